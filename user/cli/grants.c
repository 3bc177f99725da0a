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

/* Add "RES:PERM[,PERM]..." to allow (an array of {"resource","perms"}), merging repeats. */
static int add_allow(json_t *allow, const char *text, unsigned *merged_bits, size_t *nmerged,
		     size_t cap)
{
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
	for (i = 0; i < *nmerged; i++)
		if (!strcmp(jstr(json_array_get(allow, i), "resource"), a.resource))
			break;
	if (i == *nmerged) {
		if (i == cap)
			return usage_error("grant ", "too many --allow options");
		if (json_array_append_new(allow, json_pack("{s:s,s:[]}", "resource", a.resource,
							   "perms"))) {
			return cli__oom();
		}
		merged_bits[i] = 0;
		(*nmerged)++;
	}
	merged_bits[i] |= a.perms;
	return 0;
}

int do_grant(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "user", required_argument, NULL, 'u' },
		{ "allow", required_argument, NULL, 'a' },
		{ "for", required_argument, NULL, 'f' },
		{ "reason", required_argument, NULL, 'r' },
		{ "break-glass", no_argument, NULL, 'b' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	enum { MAX_ALLOW = 256 };
	const char *user = NULL, *dur = NULL, *reason = NULL;
	json_t *allow = json_array(), *args = NULL, *reply = NULL, *result = NULL, *grant;
	unsigned bits[MAX_ALLOW];
	size_t nallow = 0;
	bool json = false, break_glass = false;
	char err[512];
	uint64_t secs;
	int c, ret = EXIT_OK;

	if (!allow)
		return cli__oom();
	while ((c = getopt_long(argc, argv, ":u:a:f:r:h", opts, NULL)) != -1) {
		switch (c) {
		case 'u': user = optarg; break;
		case 'a':
			ret = add_allow(allow, optarg, bits, &nallow, MAX_ALLOW);
			if (ret)
				goto cleanup;
			break;
		case 'f': dur = optarg; break;
		case 'r': reason = optarg; break;
		case 'b': break_glass = true; break;
		case 'j': json = true; break;
		case 'h': fputs(grant_help, stdout); goto cleanup;
		default: ret = bad_option("grant ", c, argv); goto cleanup;
		}
	}
	if (cli__extra_args(argc, argv)) {
		ret = EXIT_USAGE;
		goto cleanup;
	}
	if (!user || !*user) {
		ret = usage_error("grant ", "--user is required: whom to grant access");
		goto cleanup;
	}
	if (!nallow) {
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
	for (size_t i = 0; i < nallow; i++) {
		json_t *perms = json_object_get(json_array_get(allow, i), "perms");

		for (unsigned b = 0; b < JG_NPERMS; b++)
			if (bits[i] & (1u << b))
				json_array_append_new(perms, json_string(perm__name(1u << b)));
	}

	args = json_pack("{s:s,s:O,s:s,s:s,s:b}", "user", user, "allow", allow, "for", dur,
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
		pr_warn("BREAK-GLASS: %s is an emergency grant, audited as critical",
			jstr(grant, "id"));
	pr_debug("granted %s for %s until %s", user, dur, jstr(grant, "expires") ?: "?");
cleanup:
	json_decref(allow);
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
	static const struct option opts[] = {
		{ "user", required_argument, NULL, 'u' },
		{ "reason", required_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *user = NULL, *reason = NULL, *id = NULL;
	json_t *args, *reply = NULL, *result = NULL, *revoked;
	bool json = false;
	int c, ret = EXIT_OK;

	while ((c = getopt_long(argc, argv, ":u:r:h", opts, NULL)) != -1) {
		switch (c) {
		case 'u': user = optarg; break;
		case 'r': reason = optarg; break;
		case 'j': json = true; break;
		case 'h': fputs(revoke_help, stdout); return EXIT_OK;
		default: return bad_option("revoke ", c, argv);
		}
	}
	if (cli__extra_args(argc, argv))
		return EXIT_USAGE;
	if (optind < argc)
		id = argv[optind++];
	if (!id == !user)
		return usage_error("revoke ", "name a grant ID or --user USER (one of them)");
	if ((id && !*id) || (user && !*user))
		return usage_error("revoke ", "%s must not be empty", id ? "the grant ID" : "--user");

	args = id ? json_pack("{s:s}", "id", id) : json_pack("{s:s}", "user", user);
	if (args && reason)
		json_object_set_new(args, "reason", json_string(reason));
	if (!args)
		return cli__oom();
	if (call("revoke", args, &reply, &result))
		return EXIT_FAIL;
	revoked = json_object_get(result, "revoked");
	if (!json_is_array(revoked)) {
		ret = cli__malformed("no \"revoked\" list");
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
	json_t *reply = NULL, *result = NULL, *grants = NULL;
	char *(*rows)[NCOLS] = NULL;
	size_t w[NCOLS], n;
	bool json = false;
	int c, ret = EXIT_OK;

	if ((c = cli__common_opts(argc, argv, list_help, &json)) >= 0)
		return c;
	if (cli__extra_args(argc, argv))
		return EXIT_USAGE;
	if (call("list", NULL, &reply, &result))
		return EXIT_FAIL;
	grants = json_object_get(result, "grants");
	if (!json_is_array(grants)) {
		ret = cli__malformed("no \"grants\" list");
		goto cleanup;
	}
	if (json) {
		print_json(result);
		goto cleanup;
	}
	n = json_array_size(grants);
	if (!n) {
		pr_info("no live grants");
		goto cleanup;
	}
	rows = calloc(n, sizeof(*rows));
	if (!rows) {
		ret = cli__oom();
		goto cleanup;
	}
	for (int k = 0; k < NCOLS; k++)
		w[k] = strlen(head[k]);
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
		for (int k = 0; k < NCOLS; k++) {
			if (!rows[i][k]) {
				ret = cli__oom();
				goto cleanup;
			}
			if (width(rows[i][k]) > w[k])
				w[k] = width(rows[i][k]);
		}
	}
	for (int k = 0; k < NCOLS - 1; k++)
		printf("%-*s  ", (int)w[k], head[k]);
	printf("%s\n", head[NCOLS - 1]);
	for (size_t i = 0; i < n; i++) {
		for (int k = 0; k < NCOLS - 1; k++)
			printf("%s%*s  ", rows[i][k], (int)(w[k] - width(rows[i][k])), "");
		printf("%s\n", rows[i][NCOLS - 1]);
	}
cleanup:
	if (rows)
		for (size_t i = 0; i < json_array_size(grants); i++)
			for (int k = 0; k < NCOLS; k++)
				free(rows[i][k]);
	free(rows);
	json_decref(reply);
	return ret;
}
