// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <bpf/libbpf.h>
#include <jansson.h>
#include "lib/log.h"

static const char *log_prog = "jitgate";
static enum jg_log_level log_level = JG_LOG_INFO;
static bool log_journal;	/* stderr is the journal: "<N>" priority prefixes */
static bool log_json;		/* errors as {"error": "..."} (the CLI's --json) */

/* systemd sets JOURNAL_STREAM=DEV:INO for the stream it connected to stdout/stderr; it is
 * ours only while stderr is still that stream (a child's redirected stderr is not). */
static bool stderr_is_journal(void)
{
	const char *e = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (!e || sscanf(e, "%llu:%llu", &dev, &ino) != 2 || fstat(2, &st))
		return false;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void log__init(const char *prog, enum jg_log_level level)
{
	log_prog = prog;
	log_level = level;
	log_journal = stderr_is_journal();
}

void log__json_errors(bool on)
{
	log_json = on;
}

enum jg_log_level log__level(void)
{
	return log_level;
}

/* syslog priorities (sd-daemon.h: SD_ERR, SD_INFO, SD_DEBUG); pr_warn carries the errors */
static const char *const journal_prefix[] = { "<3>", "<6>", "<7>" };

void log__print(enum jg_log_level level, const char *fmt, ...)
{
	char buf[4096];
	size_t n;
	va_list ap;

	if (level > log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	n = strlen(buf);
	while (n && buf[n - 1] == '\n')
		buf[--n] = 0;
	if (log_json && level == JG_LOG_WARN) {
		json_t *o = json_pack("{s:s}", "error", buf);
		char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;

		fprintf(stderr, "%s\n", text ? text : "{\"error\": \"out of memory\"}");
		free(text);
		json_decref(o);
		return;
	}
	fprintf(stderr, "%s%s: %s\n", log_journal ? journal_prefix[level] : "", log_prog, buf);
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	/* libbpf's warnings are reworded by our callers; show its text only with -v. */
	if (log_level < JG_LOG_DEBUG)
		return 0;
	fprintf(stderr, "%s%s: libbpf: ", log_journal ? "<7>" : "", log_prog);
	return vfprintf(stderr, fmt, ap);
}

void log__hook_libbpf(void)
{
	libbpf_set_print(libbpf_print);
}
