// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* jitgate history --fleet: --since in each form and its refusals, and one request's text. */
#include <errno.h>
#include <stdlib.h>
#include <criterion/criterion.h>
#include "fleet/history.h"

static char err[512];
static const int64_t NOW = 1796457600;	/* 2026-12-05T08:00:00Z */

static int64_t since(const char *s)
{
	int64_t t = -1;

	err[0] = 0;
	cr_assert_eq(fleet__history_since(s, NOW, &t, err, sizeof(err)), 0, "%s: %s", s, err);
	return t;
}

static void refused(const char *s)
{
	int64_t t = 42;

	err[0] = 0;
	cr_assert_eq(fleet__history_since(s, NOW, &t, err, sizeof(err)), -EINVAL, "%s", s);
	cr_assert(err[0], "no message for %s", s);
	cr_assert_null(strchr(err, '\n'), "message with a line break: %s", err);
	cr_assert(strstr(err, "--since"), "%s", err);
	cr_assert_eq(t, 42, "%s changed the time", s);
}

Test(fleet_history, since_forms)
{
	cr_assert_eq(since("2026-12-05"), NOW - 8 * 3600);
	cr_assert_eq(since("2026-12-05T08:00:00Z"), NOW);
	cr_assert_eq(since("2026-12-05T09:30:00+01:30"), NOW);
	cr_assert_eq(since("2026-12-05T06:00:00-02:00"), NOW);
	cr_assert_eq(since("7d"), NOW - 7 * 86400);
	cr_assert_eq(since("1h30m"), NOW - 5400);
}

Test(fleet_history, since_refused)
{
	refused("");
	refused("yesterday");
	refused("2026-13-01");
	refused("2026-02-30");
	refused("2026-12-05T25:00:00Z");
	refused("2026-12-05T08:00:00");		/* no zone: ambiguous */
	refused("2026-12-05T08:00:00Z trailing");
	refused("2026-12-05 08:00:00");
	refused("-7d");
	refused("7x");
}

static char *render(const char *json)
{
	json_t *req = json_loads(json, 0, NULL);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cr_assert_not_null(req, "bad test JSON");
	fleet__history_print(f, req);
	fclose(f);
	json_decref(req);
	return buf;
}

Test(fleet_history, print_block)
{
	char *out = render(
		"{\"id\":\"fr-8f3a0c1d2e4b5a69\",\"requester\":\"alice\",\"role\":\"db-debug\","
		"\"reason\":\"INC-4411 lag\",\"selector\":\"env=prod\",\"created\":1796457600,"
		"\"duration\":2700,\"hosts\":[\"hostA\",\"hostB\"],"
		"\"decisions\":[{\"kind\":\"approve\",\"by\":\"bob\",\"at\":1796457610},"
		"{\"kind\":\"approve\",\"by\":\"carol\",\"at\":1796457620},"
		"{\"kind\":\"revoke\",\"by\":\"alice\",\"at\":1796457900}],"
		"\"activations\":[{\"host\":\"hostA\",\"state\":\"active\",\"reason\":null,"
		"\"kernel_expiry\":1796460320,\"at\":1796457621},"
		"{\"host\":\"hostB\",\"state\":\"revoked\",\"reason\":\"fleet revoke by alice\","
		"\"kernel_expiry\":null,\"at\":1796457901}]}");

	cr_assert_str_eq(out,
		"fr-8f3a0c1d2e4b5a69  alice  role db-debug  for 45m  hosts env=prod (2)\n"
		"    reason:    INC-4411 lag\n"
		"    asked:     2026-12-05 08:00:00Z\n"
		"    approved:  bob, carol\n"
		"    revoked:   alice\n"
		"    hostA      active 2026-12-05 08:00:21Z until 2026-12-05 08:45:20Z\n"
		"    hostB      revoked 2026-12-05 08:05:01Z: fleet revoke by alice\n");
	free(out);
}

/* Nothing decided, no host answered, and the store's text with control characters. */
Test(fleet_history, print_pending_and_clean)
{
	char *out = render(
		"{\"id\":\"fr-0000000000000001\",\"requester\":\"alice\",\"role\":\"db\\u001b[2J\","
		"\"reason\":\"line\\nbreak\",\"selector\":\"\",\"created\":1796457600,"
		"\"duration\":90,\"hosts\":[\"db1\"],\"decisions\":[],\"activations\":[]}");

	cr_assert_str_eq(out,
		"fr-0000000000000001  alice  role db?[2J  for 1m30s  hosts (listed) (1)\n"
		"    reason:    line?break\n"
		"    asked:     2026-12-05 08:00:00Z\n"
		"    approved:  (nobody yet)\n"
		"    hosts:     no host has answered\n");
	free(out);
}
