// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* jitgate history: who had what, when, why, approved by whom (from the ledger); with
 * --grant, one grant's session trail (from the audit log). */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <jansson.h>
#include <zlib.h>
#include "cli/cli.h"

/* ---- history ---- */

static const char history_help[] =
"Usage: jitgate history [--user USER] [--resource RES] [--since WHEN] [--json]\n"
"       jitgate history --grant ID [--json]\n"
"       jitgate history --fleet [--host HOST] [--user USER] [--since WHEN] [--json]\n"
"\n"
"Who had what, when, why, and who approved it: every grant, live or ended, oldest first.\n"
"With --grant, one grant and its trail from the audit log, oldest first: its life\n"
"(granted, used, extended, ended) and, for an elevate grant, every command (session.exec)\n"
"and every change under a watched tree (session.file) of its root session.\n"
"Admins and auditors only.\n"
"With --fleet, the fleet's history from its PostgreSQL store (docs/fleet.md): each\n"
"request, who asked, why, who approved, denied or revoked it, and each host's answer\n"
"(active until, rejected and why, revoked, expired) with its time (UTC).\n"
"\n"
"Options:\n"
"  -g, --grant ID       one grant (g-N) and its session trail\n"
"      --fleet          the fleet's history from the store (--store or $JITGATE_STORE)\n"
"      --host HOST      with --fleet: only requests naming HOST, and its answers\n"
"      --store CONNINFO with --fleet: the store's libpq connection string\n"
"  -u, --user USER      only grants of USER (name or uid)\n"
"      --resource RES   only grants that covered resource RES\n"
"  -s, --since WHEN     only grants since WHEN: a date (2026-11-01), an RFC 3339 time\n"
"                       (2026-11-01T08:00:00Z) or a duration ago (7d, 12h)\n"
"      --json           print {\"grants\": [HISTORY, ...]} (see docs/cli.md)\n"
"  -h, --help           show this help\n"
"\n"
"EXAMPLES\n"
"  jitgate history --since 7d\n"
"  jitgate history --user alice --resource prod-db --since 2026-11-01\n"
"  jitgate history --json | jq -r '.grants[] | select(.break_glass) | .id'\n"
"  jitgate history --grant g-12\n"
"  jitgate history --fleet --host db1 --since 2026-11-01\n"
"  jitgate history --grant g-12 --json | jq -r '.trail[] | select(.type == \"session.file\") |\n"
"      .object.path'\n";

/* A date, an RFC 3339 time or a duration: what history's "since" accepts. */
static bool valid_since(const char *s)
{
	struct tm tm = { 0 };
	char err[256];
	uint64_t secs;
	const char *p;
	json_t *j;
	time_t t;
	bool ok;

	if (!duration__parse(s, &secs, err, sizeof(err)))
		return true;
	p = strptime(s, "%Y-%m-%d", &tm);
	if (p && !*p && isdigit((unsigned char)*s))
		return true;
	j = json_string(s);
	ok = j && !json_time(j, &t);
	json_decref(j);
	return ok;
}

static const char *end_kind(const char *end)
{
	if (!end)
		return "?";
	if (!strcmp(end, "expire"))
		return "expired";
	if (!strcmp(end, "revoke"))
		return "revoked";
	if (!strcmp(end, "drop"))
		return "dropped";
	if (!strcmp(end, "policy"))
		return "ended by a policy change";
	if (!strcmp(end, "error"))
		return "ended by an error";
	return end;
}

/* One block per grant:
 *   g-4  alice  role db-debug (r-3)
 *     access:    prod-db:connect
 *     time:      2026-11-22 19:30:00 - 2026-11-22 19:52:10 (22m10s), dropped by alice
 *     reason:    INC-4711 slow queries
 *     approved:  bob
 */
static void print_history(json_t *h)
{
	char *id = clean(jstr(h, "id") ?: "?"), *user = who(h), *res = grant_resources(h);
	char *reason = clean(jstr(h, "reason")), *by = NULL, *names;
	json_t *gb = json_object_get(h, "granted_by"), *ext = json_object_get(h, "extensions");
	bool bg = json_is_true(json_object_get(h, "break_glass"));
	bool has_c, has_e, has_end, ended;
	char cbuf[64], ebuf[64], dbuf[64];
	time_t c, e, end;

	printf("%s  %s  ", id, user);
	if (jstr(h, "role")) {
		char *role = clean(jstr(h, "role"));

		printf("role %s", role);
		free(role);
		if (jstr(h, "request_id")) {
			char *r = clean(jstr(h, "request_id"));

			printf(" (%s)", r);
			free(r);
		}
	} else {
		printf("%s", bg ? "BREAK-GLASS" : "direct");
	}
	putchar('\n');
	printf("    %-10s %s\n", "access:", res);

	has_c = !json_time(json_object_get(h, "created"), &c);
	has_e = !json_time(json_object_get(h, "expires"), &e);
	has_end = !json_time(json_object_get(h, "ended"), &end);
	ended = has_end || jstr(h, "end");
	printf("    %-10s %s - ", "time:", has_c ? local_time(c, cbuf, sizeof(cbuf)) : "?");
	if (!ended) {
		printf("%s (live, expires %s)\n", has_e ? local_time(e, ebuf, sizeof(ebuf)) : "?",
		       has_e ? rel_time(e, dbuf, sizeof(dbuf)) : "?");
	} else {
		json_t *eb = json_object_get(h, "ended_by");
		char *kind = clean(end_kind(jstr(h, "end")));

		printf("%s", has_end ? local_time(end, ebuf, sizeof(ebuf)) : "?");
		if (has_c && has_end)
			printf(" (%s)", duration__format(end > c ? (uint64_t)(end - c) : 0, dbuf,
							 sizeof(dbuf)));
		printf(", %s", kind);
		if (json_is_object(eb)) {
			by = who(eb);
			printf(" by %s", by);
			free(by);
		}
		putchar('\n');
		free(kind);
	}
	printf("    %-10s %s%s\n", "reason:", bg ? "[break-glass] " : "", reason);
	names = approver_names(json_object_get(h, "approvers"));
	if (names) {
		printf("    %-10s %s\n", "approved:", names);
	} else if (json_is_object(gb)) {
		bool policy = json_is_null(json_object_get(gb, "uid")) &&
			      !strcmp(jstr(gb, "user") ?: "", "policy");

		by = who(gb);
		printf("    %-10s %s\n", jstr(h, "role") ? "approved:" : "granted:",
		       policy ? "policy (auto-approved)" : by);
		free(by);
	}
	free(names);
	if (json_array_size(ext)) {
		printf("    %-10s ", "extended:");
		for (size_t i = 0; i < json_array_size(ext); i++) {
			char *x = clean(json_string_value(json_array_get(ext, i)) ?: "?");

			printf("%s%s", i ? ", " : "", x);
			free(x);
		}
		putchar('\n');
	}
	free(id);
	free(user);
	free(res);
	free(reason);
}

/* history --grant: the grant's block, then its trail one line each. */
static void print_trail(json_t *result)
{
	json_t *trail = json_object_get(result, "trail"), *rec;
	char line[2048];
	size_t i;

	print_history(json_object_get(result, "grant"));
	printf("    %-10s %zu record%s from the audit log%s\n", "trail:", json_array_size(trail),
	       json_array_size(trail) == 1 ? "" : "s",
	       json_is_true(json_object_get(result, "truncated")) ? " (cut: more in the log)" :
	       "");
	json_array_foreach(trail, i, rec)
		printf("      %s\n", auditchain__render(rec, line, sizeof(line)));
}

int do_history(int argc, char **argv)
{
	const char *user = NULL, *resource = NULL, *since = NULL, *grant = NULL;
	const char *host = NULL, *store = NULL;
	json_t *reply = NULL, *result = NULL, *grants;
	bool json = false, fleet = false;
	const struct cli_opt opts[] = {
		{ "fleet", 0, .flag = &fleet },
		{ "host", 0, .arg = &host },
		{ "store", 0, .arg = &store },
		{ "user", 'u', .arg = &user },
		{ "resource", 0, .arg = &resource },
		{ "since", 's', .arg = &since },
		{ "grant", 'g', .arg = &grant },
		{ "json", 0, .flag = &json },
		{ 0 }
	};
	int c, ret = EXIT_OK;
	uint64_t gid;

	if ((c = cli__opts(argc, argv, history_help, opts)) >= 0)
		return c;
	if ((user && !*user) || (resource && !*resource))
		return usage_error("history ", "%s must not be empty", user && !*user ? "--user" :
				   "--resource");
	if ((host || store) && !fleet)
		return usage_error("history ", "%s goes with --fleet", host ? "--host" : "--store");
	if (fleet && (grant || resource))
		return usage_error("history ", "--fleet does not go with %s (the store knows roles, "
				   "not this host's resources)", grant ? "--grant" : "--resource");
	if (fleet)
		return fleet_history(host, user, since, store, json);
	if (since && !valid_since(since)) {
		char *s = clean(since);

		ret = usage_error("history ", "--since '%s' must be a date (2026-11-01), an RFC 3339 "
				  "time or a duration ago (7d)", s);
		free(s);
		return ret;
	}
	if (grant && (user || resource || since))
		return usage_error("history ", "--grant names one grant: it does not go with "
				   "--user, --resource or --since");
	if (grant && grants__parse_id(grant, &gid)) {
		char *g = clean(grant);

		ret = usage_error("history ", "'%s' is not a grant ID (they look like g-4)", g);
		free(g);
		return ret;
	}
	if (cli__ask("history", &reply, &result, "grant", grant, "user", user, "resource",
		     resource, "since", since, NULL))
		return EXIT_FAIL;
	if (grant) {
		if (!json_is_object(json_object_get(result, "grant")) ||
		    !json_is_array(json_object_get(result, "trail")))
			ret = cli__malformed("no \"grant\" and \"trail\"");
		else if (json)
			print_json(result);
		else
			print_trail(result);
		json_decref(reply);
		return ret;
	}
	grants = cli__list(result, "grants");
	if (!grants) {
		ret = EXIT_FAIL;
	} else if (json) {
		print_json(result);
	} else if (!json_array_size(grants)) {
		pr_info("no grants in the history%s", user || resource || since ?
			" that match" : "");
	} else {
		for (size_t i = 0; i < json_array_size(grants); i++) {
			if (i)
				putchar('\n');
			print_history(json_array_get(grants, i));
		}
	}
	json_decref(reply);
	return ret;
}
