// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* jitgate grant, revoke and list: direct grants, given and taken by admins. */
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

/* ---- grant ---- */

static const char grant_help[] =
"Usage: jitgate grant --user USER --allow RESOURCE:PERM[,PERM]... [--allow ...]\n"
"                     --for DURATION --reason TEXT [--break-glass] [--json]\n"
"\n"
"Grant USER access to resources of the running policy, from now for DURATION. The kernel\n"
"takes the access away on time, with or without jitgated. Admins only. Prints the grant id.\n"
"\n"
"Options:\n"
"  -u, --user USER        user name or uid\n"
"  -a, --allow RES:PERMS  a resource and its permissions (read, write, exec, connect,\n"
"                         elevate, bind), comma separated; repeat for more resources\n"
"  -f, --for DURATION     90s, 15m, 2h, 1d, 1h30m ...\n"
"  -r, --reason TEXT      why (ticket, incident); goes to the audit log\n"
"      --break-glass      an emergency grant: --reason is required, and the audit\n"
"                         log marks it critical\n"
"      --json             print the whole grant as JSON instead of its id\n"
"  -h, --help             show this help\n"
"\n"
"EXAMPLES\n"
"  jitgate grant --user alice --allow prod-secrets:read --for 30m --reason 'INC-4711'\n"
"  jitgate grant -u bob -a prod-db:connect -a prod-tools:exec -f 1h30m -r 'CHG-12 migration'\n"
"  id=$(jitgate grant -u alice -a prod-secrets:read,write -f 15m -r rotate) && echo $id\n"
"  jitgate grant -u bob -a prod-db:connect -f 1h -r 'INC-4712 outage' --break-glass\n";

enum { MAX_ALLOW = 256 };

/* The --allow options so far: allow is an array of {"resource","perms"}, one per resource,
 * bits[i] the permissions of its i-th member (written into it once all are in). */
struct allow_list {
	json_t *allow;
	unsigned bits[MAX_ALLOW];
	size_t n;
};

/* Add "RES:PERM[,PERM]..." to the list, merging repeats (a cli_opt take). */
static int add_allow(const char *text, void *data)
{
	struct allow_list *l = data;
	const char *colon = strrchr(text, ':');
	struct jg_grant_allow a;
	char err[256];
	size_t i;

	/* grants__parse_allow skips empty permissions; a typo like "read,,write" is refused */
	if (colon && (colon[1] == ',' || strstr(colon, ",,") ||
		      (colon[1] && colon[strlen(colon) - 1] == ',')))
		return usage_error("grant ", "--allow '%s' has an empty permission", text);
	if (grants__parse_allow(text, &a, err, sizeof(err)))
		return usage_error("grant ", "--allow: %s", err);
	for (i = 0; i < l->n; i++)
		if (!strcmp(jstr(json_array_get(l->allow, i), "resource"), a.resource))
			break;
	if (i == l->n) {
		if (i == MAX_ALLOW)
			return usage_error("grant ", "too many --allow options");
		if (json_array_append_new(l->allow, json_pack("{s:s,s:[]}", "resource",
							      a.resource, "perms")))
			return cli__oom();
		l->bits[i] = 0;
		l->n++;
	}
	l->bits[i] |= a.perms;
	return 0;
}

int do_grant(int argc, char **argv)
{
	const char *user = NULL, *dur = NULL, *reason = NULL;
	json_t *args = NULL, *reply = NULL, *result = NULL, *grant;
	struct allow_list al = { .allow = json_array() };
	bool json = false, break_glass = false;
	const struct cli_opt opts[] = {
		{ "user", 'u', .arg = &user },
		{ "allow", 'a', .take = add_allow, .data = &al },
		{ "for", 'f', .arg = &dur },
		{ "reason", 'r', .arg = &reason },
		{ "break-glass", 0, .flag = &break_glass },
		{ "json", 0, .flag = &json },
		{ 0 }
	};
	char err[512];
	uint64_t secs;
	int c, ret = EXIT_OK;

	if (!al.allow)
		return cli__oom();
	if ((c = cli__opts(argc, argv, grant_help, opts)) >= 0) {
		ret = c;
		goto cleanup;
	}
	if (!user || !*user) {
		ret = usage_error("grant ", "--user is required: whom to grant access");
		goto cleanup;
	}
	if (!al.n) {
		ret = usage_error("grant ", "--allow RESOURCE:PERM is required: what to grant");
		goto cleanup;
	}
	if (!dur) {
		ret = usage_error("grant ", "--for is required: how long the grant lasts (e.g. 30m)");
		goto cleanup;
	}
	if (duration__parse(dur, &secs, err, sizeof(err))) {
		ret = usage_error("grant ", "--for: %s", err);
		goto cleanup;
	}
	if (break_glass && blank(reason)) {
		ret = usage_error("grant ", "--break-glass needs --reason: an emergency grant must "
				  "say why");
		goto cleanup;
	}
	if (blank(reason)) {
		ret = usage_error("grant ", "--reason is required: say why (e.g. a ticket)");
		goto cleanup;
	}
	for (size_t i = 0; i < al.n; i++) {
		json_t *perms = json_object_get(json_array_get(al.allow, i), "perms");

		for (unsigned b = 0; b < JG_NPERMS; b++)
			if (al.bits[i] & (1u << b))
				json_array_append_new(perms, json_string(perm__name(1u << b)));
	}

	args = json_pack("{s:s,s:O,s:s,s:s,s:b}", "user", user, "allow", al.allow, "for", dur,
			 "reason", reason, "break_glass", break_glass);
	if (!args) {
		ret = cli__oom();
		goto cleanup;
	}
	if (call("grant", args, &reply, &result)) {
		ret = EXIT_FAIL;
		goto cleanup;
	}
	grant = json_object_get(result, "grant");
	if (!json_is_object(grant) || !jstr(grant, "id")) {
		ret = cli__malformed("the grant has no id");
		goto cleanup;
	}
	if (json) {
		print_json(grant);
	} else {
		char *id = clean(jstr(grant, "id"));

		printf("%s\n", id);
		free(id);
	}
	fflush(stdout);
	if (break_glass)
		pr_info("BREAK-GLASS: %s is an emergency grant, audited as critical",
			jstr(grant, "id"));
	pr_debug("granted %s for %s until %s", user, dur, jstr(grant, "expires") ?: "?");
cleanup:
	json_decref(al.allow);
	json_decref(reply);
	return ret;
}

/* ---- revoke ---- */

static const char revoke_help[] =
"Usage: jitgate revoke ID [--reason TEXT] [--json]\n"
"       jitgate revoke --user USER [--reason TEXT] [--json]\n"
"\n"
"End a grant, or every live grant of a user, now. Admins only. Prints each revoked id.\n"
"\n"
"Options:\n"
"  -u, --user USER    revoke every live grant of USER (name or uid)\n"
"  -r, --reason TEXT  why; goes to the audit log\n"
"      --json         print {\"revoked\": [ID, ...]}\n"
"  -h, --help         show this help\n"
"\n"
"EXAMPLES\n"
"  jitgate revoke g-12\n"
"  jitgate revoke --user alice --reason 'left the incident call'\n";

int do_revoke(int argc, char **argv)
{
	const char *user = NULL, *reason = NULL, *id = NULL;
	json_t *reply = NULL, *result = NULL, *revoked;
	bool json = false;
	const struct cli_opt opts[] = {
		{ "user", 'u', .arg = &user },
		{ "reason", 'r', .arg = &reason },
		{ "json", 0, .flag = &json },
		{ 0 }
	};
	int c, ret = EXIT_OK;

	if ((c = cli__opts(argc, argv, revoke_help, opts)) >= 0)
		return c;
	if (optind < argc)
		id = argv[optind++];
	if (!id == !user)
		return usage_error("revoke ", "name a grant ID or --user USER (one of them)");
	if ((id && !*id) || (user && !*user))
		return usage_error("revoke ", "%s must not be empty", id ? "the grant ID" : "--user");

	if (cli__ask("revoke", &reply, &result, id ? "id" : "user", id ? id : user, "reason",
		     reason, NULL))
		return EXIT_FAIL;
	revoked = cli__list(result, "revoked");
	if (!revoked) {
		ret = EXIT_FAIL;
		goto cleanup;
	}
	if (json) {
		print_json(result);
	} else {
		for (size_t i = 0; i < json_array_size(revoked); i++) {
			char *s = clean(json_string_value(json_array_get(revoked, i)));

			printf("%s\n", s);
			free(s);
		}
	}
	if (!json_array_size(revoked)) {
		char *u = clean(user ? user : id);

		pr_info("%s had no live grant to revoke", u);
		free(u);
	}
cleanup:
	json_decref(reply);
	return ret;
}

/* ---- list ---- */

static const char list_help[] =
"Usage: jitgate list [--json]\n"
"\n"
"Show live grants with the time they have left: all of them for an admin, your own\n"
"otherwise.\n"
"\n"
"Options:\n"
"  --json      print {\"grants\": [GRANT, ...]} (see docs/cli.md)\n"
"  -h, --help  show this help\n"
"\n"
"EXAMPLES\n"
"  jitgate list\n"
"  jitgate list --json | jq -r '.grants[] | select(.user == \"alice\") | .id'\n";

enum { COL_ID, COL_USER, COL_RES, COL_EXPIRES, COL_LEFT, COL_REASON, NCOLS };


int do_list(int argc, char **argv)
{
	static const char *const head[NCOLS] = { "ID", "USER", "RESOURCES", "EXPIRES", "LEFT",
						 "REASON" };
	json_t *reply = NULL, *grants = NULL;
	char *(*rows)[NCOLS] = NULL;
	size_t n = 0;
	bool json = false;
	int c, ret = EXIT_OK;

	if ((c = cli__common_opts(argc, argv, list_help, &json)) >= 0)
		return c;
	if ((c = cli__ask_list("list", NULL, "grants", json, "no live grants", &reply,
			       &grants)) >= 0) {
		json_decref(reply);
		return c;
	}
	n = json_array_size(grants);
	rows = calloc(n, sizeof(*rows));
	if (!rows) {
		ret = cli__oom();
		goto cleanup;
	}
	for (size_t i = 0; i < n; i++) {
		json_t *g = json_array_get(grants, i), *rem = json_object_get(g, "remaining_s");
		char tbuf[64], dbuf[64], *reason = clean(jstr(g, "reason"));
		time_t t, now = time(NULL);
		long long left = -1;
		bool has_t = !json_time(json_object_get(g, "expires"), &t);

		if (json_is_integer(rem))
			left = json_integer_value(rem);
		else if (has_t)
			left = t > now ? (long long)(t - now) : 0;
		rows[i][COL_ID] = clean(jstr(g, "id") ?: "?");
		if (jstr(g, "user"))
			rows[i][COL_USER] = clean(jstr(g, "user"));
		else if (asprintf(&rows[i][COL_USER], "%lld", jint(g, "uid", -1)) < 0)
			rows[i][COL_USER] = NULL;
		rows[i][COL_RES] = grant_resources(g);
		rows[i][COL_EXPIRES] = clean(has_t ? local_time(t, tbuf, sizeof(tbuf)) : "?");
		rows[i][COL_LEFT] = clean(left >= 0 ? duration__format((uint64_t)left, dbuf,
									sizeof(dbuf)) : "?");
		if (json_is_true(json_object_get(g, "break_glass"))) {
			if (asprintf(&rows[i][COL_REASON], "[break-glass] %s", reason) < 0)
				rows[i][COL_REASON] = NULL;
			free(reason);
		} else {
			rows[i][COL_REASON] = reason;
		}
	}
	ret = cli__table(head, &rows[0][0], n, NCOLS);
cleanup:
	cli__table_free(rows ? &rows[0][0] : NULL, n, NCOLS);
	json_decref(reply);
	return ret;
}
