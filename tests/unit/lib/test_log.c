// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* lib/log.c: journald priority prefixes when stderr is the journal's stream, and errors as
 * JSON objects. stderr is pointed at a temporary file for each test. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <criterion/criterion.h>
#include "lib/log.h"

static char path[] = "/tmp/jg-test-log.XXXXXX";
static int saved = -1;

static void to_file(void)
{
	int fd = mkstemp(path);

	cr_assert(fd >= 0);
	fflush(stderr);
	saved = dup(2);
	dup2(fd, 2);
	close(fd);
}

static void back(void)
{
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	unlink(path);
	strcpy(path, "/tmp/jg-test-log.XXXXXX");
	unsetenv("JOURNAL_STREAM");
	log__json_errors(false);
	log__init("jitgate", JG_LOG_INFO);
}

static char *written(void)
{
	static char buf[1024];
	FILE *f;
	size_t n;

	fflush(stderr);
	f = fopen(path, "r");
	cr_assert_not_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = 0;
	fclose(f);
	return buf;
}

TestSuite(log, .init = to_file, .fini = back);

Test(log, plain_without_journal)
{
	log__init("jitgated", JG_LOG_DEBUG);
	pr_warn("refusing to start: %s", "why");
	pr_info("ready");
	cr_assert_str_eq(written(), "jitgated: refusing to start: why\njitgated: ready\n");
}

Test(log, priority_prefixes_when_stderr_is_the_journal)
{
	struct stat st;
	char v[64];

	cr_assert_eq(fstat(2, &st), 0);
	snprintf(v, sizeof(v), "%llu:%llu", (unsigned long long)st.st_dev,
		 (unsigned long long)st.st_ino);
	setenv("JOURNAL_STREAM", v, 1);
	log__init("jitgated", JG_LOG_DEBUG);
	pr_warn("refused");
	pr_info("ready");
	pr_debug("detail");
	cr_assert_str_eq(written(), "<3>jitgated: refused\n<6>jitgated: ready\n<7>jitgated: detail\n");
}

Test(log, no_prefix_when_the_stream_is_another)
{
	setenv("JOURNAL_STREAM", "1:2", 1);
	log__init("jitgated", JG_LOG_INFO);
	pr_info("ready");
	cr_assert_str_eq(written(), "jitgated: ready\n");
}

Test(log, errors_as_json)
{
	log__init("jitgate", JG_LOG_INFO);
	log__json_errors(true);
	pr_warn("no grant \"%s\"", "g-9");
	pr_info("info stays text");
	cr_assert_str_eq(written(), "{\"error\":\"no grant \\\"g-9\\\"\"}\njitgate: info stays text\n");
}
