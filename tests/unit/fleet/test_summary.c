// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The audit summary a host sends to the fleet store: counts of the records after the last
 * summary, the kernel's decisions, the break-glass grants with who, for whom and why. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <criterion/criterion.h>
#include "fleet/summary.h"

static char path[64], err[512];

static void write_log(const char *text)
{
	int fd;
	FILE *f;

	snprintf(path, sizeof(path), "/tmp/jg-summary-XXXXXX");
	fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	f = fdopen(fd, "w");
	fputs(text, f);
	fclose(f);
}

static const char LOG[] =
	"{\"seq\":1,\"time\":\"2026-12-06T04:00:00Z\",\"type\":\"daemon.start\"}\n"
	"{\"seq\":2,\"time\":\"2026-12-06T04:00:01Z\",\"type\":\"access.deny\"}\n"
	"{\"seq\":3,\"time\":\"2026-12-06T04:00:02Z\",\"type\":\"grant.create\",\"grant_id\":\"g-1\","
	"\"subject\":{\"uid\":1001,\"user\":\"alice\"},\"reason\":\"fleet\",\"break_glass\":false}\n"
	"{\"seq\":4,\"time\":\"2026-12-06T04:00:03Z\",\"type\":\"access.allow\"}\n"
	"{\"seq\":5,\"time\":\"2026-12-06T04:10:00Z\",\"type\":\"grant.create\",\"grant_id\":\"g-2\","
	"\"subject\":{\"uid\":1002,\"user\":\"carol\"},\"by\":{\"uid\":0,\"user\":\"root\"},"
	"\"reason\":\"INC-7 store down\",\"expires\":\"2026-12-06T04:20:00Z\",\"duration_s\":600,"
	"\"break_glass\":true}\n"
	"{\"seq\":6,\"time\":\"2026-12-06T04:10:01Z\",\"type\":\"access.allow\"}\n"
	"{\"seq\":7,\"time\":\"2026-12-06T04:10:02Z\",\"ty";	/* a partial last line */

Test(fleet_summary, counts_and_break_glass)
{
	uint64_t from = 0, to = 0;
	json_t *s = NULL, *bg;

	write_log(LOG);
	cr_assert_eq(fleet__summary_build(path, 0, 0, &s, &from, &to, err, sizeof(err)), 0, "%s",
		     err);
	cr_assert_eq(from, 1);
	cr_assert_eq(to, 6);
	cr_assert_eq(json_integer_value(json_object_get(s, "records")), 6);
	cr_assert_eq(json_integer_value(json_object_get(json_object_get(s, "counts"),
							"grant.create")), 2);
	cr_assert_eq(json_integer_value(json_object_get(json_object_get(s, "decisions"),
							"allow")), 2);
	cr_assert_eq(json_integer_value(json_object_get(json_object_get(s, "decisions"),
							"deny")), 1);
	bg = json_object_get(s, "break_glass");
	cr_assert_eq(json_array_size(bg), 1);
	cr_assert_str_eq(json_string_value(json_object_get(json_array_get(bg, 0), "user")),
			 "carol");
	cr_assert_str_eq(json_string_value(json_object_get(json_array_get(bg, 0), "by")), "root");
	cr_assert_str_eq(json_string_value(json_object_get(json_array_get(bg, 0), "reason")),
			 "INC-7 store down");
	cr_assert_eq(json_integer_value(json_object_get(json_array_get(bg, 0), "seq")), 5);
	json_decref(s);
	unlink(path);
}

Test(fleet_summary, after_the_last_one)
{
	uint64_t from = 0, to = 0;
	json_t *s = NULL;

	write_log(LOG);
	cr_assert_eq(fleet__summary_build(path, 4, 0, &s, &from, &to, err, sizeof(err)), 0);
	cr_assert_eq(from, 5);
	cr_assert_eq(to, 6);
	cr_assert_eq(json_integer_value(json_object_get(s, "records")), 2);
	json_decref(s);
	cr_assert_eq(fleet__summary_build(path, 6, 0, &s, &from, &to, err, sizeof(err)), -ENOENT);
	cr_assert_null(s);
	unlink(path);
}

Test(fleet_summary, no_log)
{
	uint64_t from, to;
	json_t *s = NULL;
	int ret = fleet__summary_build("/nonexistent/audit.log", 0, 0, &s, &from, &to, err,
				       sizeof(err));

	cr_assert(ret == -ENOENT || ret < 0);
	cr_assert_null(s);
}
