// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The request workflow from the requester's and approver's side: jitgate request, extend,
 * requests, approve, deny, cancel, drop. */
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

/* ---- request workflow ---- */


/* The one positional ID of approve/deny/cancel/drop/extend, checked before sending. */
static int take_id(const char *cmd, int argc, char **argv, bool grant, const char **id)
{
	uint64_t v;

	if (optind >= argc)
		return usage_error(cmd, "name the %s ID (e.g. %s)", grant ? "grant" : "request",
				   grant ? "g-4" : "r-3");
	*id = argv[optind++];
	if (grant ? grants__parse_id(*id, &v) : wf__parse_id(*id, &v)) {
		char *c = clean(*id);
		int ret = usage_error(cmd, "'%s' is not a %s ID (they look like %s)", c,
				      grant ? "grant" : "request", grant ? "g-4" : "r-3");

		free(c);
		return ret;
	}
	return 0;
}

/* TOTP codes are 6 digits (the enrolment URI says digits=6). */
static int check_otp(const char *cmd, const char *otp)
{
	if (otp && (strlen(otp) != 6 || strspn(otp, "0123456789") != 6))
		return usage_error(cmd, "--otp must be the 6-digit code of your authenticator app");
	return 0;
}



/* A grant's expiry, relative on the daemon's clock when it said how much is left. */
static void print_grant_expiry(json_t *g)
{
	json_t *rem = json_object_get(g, "remaining_s");
	char tbuf[64], rbuf[64];
	time_t t, now = time(NULL);
	bool has_t = !json_time(json_object_get(g, "expires"), &t);

	if (json_is_integer(rem))
		rel_time(now + (time_t)json_integer_value(rem), rbuf, sizeof(rbuf));
	else if (has_t)
		rel_time(t, rbuf, sizeof(rbuf));
	if (has_t)
		printf(" expires at %s (%s)", local_time(t, tbuf, sizeof(tbuf)), rbuf);
	else if (json_is_integer(rem))
		printf(" expires %s", rbuf);
}

/* One line on a request's state (grant: the reply's GRANT, when one came with it).
 * Returns the exit status the state deserves: only "failed" is a failure. */
static int print_request(json_t *req, json_t *grant)
{
	const char *st = jstr(req, "state") ?: "?";
	char *id = clean(jstr(req, "id") ?: "?"), *role = clean(jstr(req, "role") ?: "?");
	char *ext = jstr(req, "extends") ? clean(jstr(req, "extends")) : NULL;
	json_t *apps = json_object_get(req, "approvals");
	char tbuf[64], rbuf[64];
	int ret = EXIT_OK;
	time_t t;

	if (ext)
		printf("request %s to extend %s (role %s)", id, ext, role);
	else
		printf("request %s for role %s", id, role);
	if (!strcmp(st, "approved")) {
		char *names = approver_names(apps), *gid;

		if (json_is_true(json_object_get(req, "auto_approved")))
			printf(" approved by policy");
		else if (names)
			printf(" approved by %s", names);
		else
			printf(" approved");
		free(names);
		if (json_is_object(grant)) {
			char *res = grant_resources(grant);

			gid = clean(jstr(grant, "id") ?: jstr(req, "grant_id") ?: "?");
			printf(": grant %s (%s)", gid, res);
			print_grant_expiry(grant);
			free(res);
			free(gid);
		} else if (jstr(req, "grant_id")) {
			gid = clean(jstr(req, "grant_id"));
			printf(": grant %s", gid);
			free(gid);
		}
	} else if (!strcmp(st, "pending")) {
		json_t *need = json_object_get(req, "approvals_needed");
		size_t have = json_array_size(apps);

		printf(" is pending");
		if (json_is_integer(need)) {
			long long n = json_integer_value(need), left = n - (long long)have;

			if (left < 1)
				left = 1;
			if (have)
				printf(": needs %lld more %s, %zu/%lld given", left,
				       plural((size_t)left, "approval", "approvals"), have, n);
			else
				printf(": needs %lld %s", left,
				       plural((size_t)left, "approval", "approvals"));
		}
		if (!json_time(json_object_get(req, "expires"), &t))
			printf(" (expires %s)", rel_time(t, rbuf, sizeof(rbuf)));
	} else if (!strcmp(st, "denied")) {
		json_t *d = json_object_get(req, "denied_by");
		char *by = json_is_object(d) ? who(d) : NULL;
		char *why = jstr(d, "reason") ? clean(jstr(d, "reason")) : NULL;

		printf(" denied");
		if (by)
			printf(" by %s", by);
		if (why && *why)
			printf(": %s", why);
		free(by);
		free(why);
	} else if (!strcmp(st, "cancelled")) {
		printf(" cancelled");
	} else if (!strcmp(st, "expired")) {
		printf(" expired undecided");
		if (!json_time(json_object_get(req, "expires"), &t))
			printf(" at %s", local_time(t, tbuf, sizeof(tbuf)));
	} else if (!strcmp(st, "failed")) {
		printf(" failed: approved, but the kernel refused the grant");
		ret = EXIT_FAIL;
	} else {
		char *s = clean(st);

		printf(" is %s", s);
		free(s);
	}
	putchar('\n');
	free(id);
	free(role);
	free(ext);
	return ret;
}

/* The reply of request/approve/deny/cancel/extend: {"request": REQUEST[, "grant": GRANT]}.
 * quiet: the grant id when there is a grant, else the request id. */
static int show_request_reply(json_t *result, bool json, bool quiet)
{
	json_t *req = json_object_get(result, "request"), *grant = json_object_get(result, "grant");
	const char *st;

	if (!json_is_object(req) || !jstr(req, "id"))
		return cli__malformed("no request in it");
	st = jstr(req, "state") ?: "";
	if (json) {
		print_json(result);
	} else if (quiet) {
		char *id = clean(json_is_object(grant) && jstr(grant, "id") ? jstr(grant, "id") :
				 jstr(req, "id"));

		printf("%s\n", id);
		free(id);
	} else {
		return print_request(req, grant);
	}
	if (!strcmp(st, "failed")) {
		pr_warn("request %s failed: approved, but the kernel refused the grant",
			jstr(req, "id"));
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

/* request and extend: the same options, the same answer. */
static const char request_help[] =
"Usage: jitgate request ROLE [--for DURATION] --reason TEXT [--otp CODE] [-q] [--json]\n"
"\n"
"Ask for the access of a policy role. The role's approvers decide (jitgate approve/deny);\n"
"a role with auto_approve is granted at once. Prints what became of the request:\n"
"  request r-3 for role db-debug is pending: needs 1 approval (expires in 59m)\n"
"  request r-3 for role db-debug approved by policy: grant g-4 (prod-db:connect) ...\n"
"\n"
"Options:\n"
"  -f, --for DURATION  how long (default: the role's); the role's max_duration caps it\n"
"  -r, --reason TEXT   why (ticket, incident); shown to the approvers, goes to the audit log\n"
"      --otp CODE      the 6-digit code of your authenticator app (roles with require_mfa)\n"
"  -q, --quiet         print only the id: g-N when a grant was created, else r-N\n"
"      --json          print {\"request\": REQUEST[, \"grant\": GRANT]} (see docs/cli.md)\n"
"  -h, --help          show this help\n"
"\n"
"EXAMPLES\n"
"  jitgate request db-debug --for 30m --reason 'INC-4711 slow queries'\n"
"  jitgate request prod-admin -r 'CHG-12' --otp 123456\n"
"  id=$(jitgate request db-debug -q -r 'INC-4711') && case $id in g-*) echo granted;; esac\n";

static const char extend_help[] =
"Usage: jitgate extend GRANT --for DURATION --reason TEXT [--otp CODE] [-q] [--json]\n"
"\n"
"Ask for more time on a grant you hold that came from a role. This is a new request\n"
"(it extends GRANT) and needs approval again, as the role says.\n"
"\n"
"Options:\n"
"  -f, --for DURATION  how much longer\n"
"  -r, --reason TEXT   why; shown to the approvers, goes to the audit log\n"
"      --otp CODE      the 6-digit code of your authenticator app (roles with require_mfa)\n"
"  -q, --quiet         print only the id: g-N when the grant was extended at once, else r-N\n"
"      --json          print {\"request\": REQUEST[, \"grant\": GRANT]} (see docs/cli.md)\n"
"  -h, --help          show this help\n"
"\n"
"EXAMPLES\n"
"  jitgate extend g-4 --for 30m --reason 'INC-4711 still digging'\n"
"  jitgate extend g-4 -f 1h -r 'CHG-12 overrun' --otp 123456\n";

static int request_or_extend(int argc, char **argv, bool extend)
{
	const char *cmd = extend ? "extend " : "request ";
	const char *target = NULL, *dur = NULL, *reason = NULL, *otp = NULL;
	json_t *reply = NULL, *result = NULL;
	bool json = false, quiet = false;
	const struct cli_opt opts[] = {
		{ "for", 'f', .arg = &dur },
		{ "reason", 'r', .arg = &reason },
		{ "otp", 0, .arg = &otp },
		{ "quiet", 'q', .flag = &quiet },
		{ "json", 0, .flag = &json },
		{ 0 }
	};
	char err[512];
	uint64_t secs;
	int c, ret;

	if ((c = cli__opts(argc, argv, extend ? extend_help : request_help, opts)) >= 0)
		return c;
	ret = extend ? take_id(cmd, argc, argv, true, &target) :
		       cli__operand(argc, argv, "name the ROLE to request (roles are in the policy)",
				    "ROLE", &target);
	if (ret)
		return ret;
	if (extend && !dur)
		return usage_error(cmd, "--for is required: how much longer (e.g. 30m)");
	if (dur && duration__parse(dur, &secs, err, sizeof(err)))
		return usage_error(cmd, "--for: %s", err);
	if (blank(reason))
		return usage_error(cmd, "--reason is required: say why (e.g. a ticket)");
	ret = check_otp(cmd, otp);
	if (ret)
		return ret;

	if (cli__ask(extend ? "extend" : "request", &reply, &result, extend ? "id" : "role",
		     target, "for", dur, "reason", reason, "otp", otp, NULL))
		return EXIT_FAIL;
	ret = show_request_reply(result, json, quiet);
	json_decref(reply);
	return ret;
}

int do_request(int argc, char **argv)
{
	if (fleet_wanted(argc, argv, false))	/* --hosts: a fleet request (cli/fleet.c) */
		return do_fleet_as("request", argc, argv);
	return request_or_extend(argc, argv, false);
}

int do_extend(int argc, char **argv)
{
	return request_or_extend(argc, argv, true);
}

/* ---- requests ---- */

static const char requests_help[] =
"Usage: jitgate requests [--pending] [--json]\n"
"\n"
"Show requests, newest first: your own and those you may decide (admins and auditors see\n"
"all). A '*' after the state marks the ones you may approve or deny now.\n"
"\n"
"Options:\n"
"  -p, --pending  only requests still waiting for a decision\n"
"      --json     print {\"requests\": [REQUEST, ...]} (see docs/cli.md)\n"
"  -h, --help     show this help\n"
"\n"
"EXAMPLES\n"
"  jitgate requests --pending\n"
"  jitgate requests --json | jq -r '.requests[] | select(.can_decide) | .id'\n";

#define REASON_COL_MAX 40	/* code points of REASON in the requests table */

/* Cut s (clean UTF-8) to at most max code points, ending in "..." when cut. */
static void truncate_text(char *s, size_t max)
{
	size_t n = 0;

	if (width(s) <= max)
		return;
	for (char *p = s; *p; p++) {
		if (((unsigned char)*p & 0xc0) != 0x80 && n++ == max - 3) {
			strcpy(p, "...");
			return;
		}
	}
}

enum { RQ_ID, RQ_ROLE, RQ_USER, RQ_STATE, RQ_APPR, RQ_AGE, RQ_EXPIRES, RQ_REASON, RQ_NCOLS };

/* One row of the requests table into row (NULL cells: out of memory). Returns whether the
 * caller may decide it (marked with "*"). */
static bool request_row(json_t *r, char *row[RQ_NCOLS])
{
	json_t *need = json_object_get(r, "approvals_needed");
	const char *st = jstr(r, "state") ?: "?";
	char buf[64], *reason = clean(jstr(r, "reason")), *cst;
	time_t t, now = time(NULL);
	bool mark = !strcmp(st, "pending") && json_is_true(json_object_get(r, "can_decide"));

	row[RQ_ID] = clean(jstr(r, "id") ?: "?");
	row[RQ_ROLE] = clean(jstr(r, "role") ?: "?");
	row[RQ_USER] = who(r);
	cst = clean(st);
	if (asprintf(&row[RQ_STATE], "%s%s", cst, mark ? "*" : "") < 0)
		row[RQ_STATE] = NULL;
	free(cst);
	if (json_is_integer(need))
		snprintf(buf, sizeof(buf), "%zu/%lld", json_array_size(json_object_get(r,
			 "approvals")), (long long)json_integer_value(need));
	else
		snprintf(buf, sizeof(buf), "?");
	row[RQ_APPR] = clean(buf);
	if (!json_time(json_object_get(r, "created"), &t))
		duration__format(now > t ? (uint64_t)(now - t) : 0, buf, sizeof(buf));
	else
		snprintf(buf, sizeof(buf), "?");
	row[RQ_AGE] = clean(buf);
	/* only a pending request still has an expiry that matters */
	if (!strcmp(st, "pending") && !json_time(json_object_get(r, "expires"), &t))
		rel_time(t, buf, sizeof(buf));
	else
		snprintf(buf, sizeof(buf), "-");
	row[RQ_EXPIRES] = clean(buf);
	truncate_text(reason, REASON_COL_MAX);
	if (jstr(r, "extends")) {
		char *ext = clean(jstr(r, "extends"));

		if (asprintf(&row[RQ_REASON], "[extends %s] %s", ext, reason) < 0)
			row[RQ_REASON] = NULL;
		free(ext);
		free(reason);
	} else {
		row[RQ_REASON] = reason;
	}
	return mark;
}

int do_requests(int argc, char **argv)
{
	static const char *const head[RQ_NCOLS] = { "ID", "ROLE", "USER", "STATE", "APPROVALS",
						    "AGE", "EXPIRES", "REASON" };
	json_t *args = NULL, *reply = NULL, *reqs;
	char *(*rows)[RQ_NCOLS] = NULL;
	size_t n = 0;
	bool json = false, pending = false, marked = false;
	const struct cli_opt opts[] = {
		{ "pending", 'p', .flag = &pending },
		{ "json", 0, .flag = &json },
		{ 0 }
	};
	int c, ret = EXIT_OK;

	if ((c = cli__opts(argc, argv, requests_help, opts)) >= 0)
		return c;
	if (pending) {
		args = json_pack("{s:b}", "pending", 1);
		if (!args)
			return cli__oom();
	}
	if ((c = cli__ask_list("requests", args, "requests", json, pending ?
			       "no pending requests" : "no requests", &reply, &reqs)) >= 0) {
		json_decref(reply);
		return c;
	}
	n = json_array_size(reqs);
	rows = calloc(n, sizeof(*rows));
	if (!rows) {
		ret = cli__oom();
		goto cleanup;
	}
	for (size_t i = 0; i < n; i++)
		marked |= request_row(json_array_get(reqs, i), rows[i]);
	ret = cli__table(head, &rows[0][0], n, RQ_NCOLS);
	if (ret)
		goto cleanup;
	fflush(stdout);	/* the note goes below the table */
	if (marked)
		pr_info("* you may approve or deny these: jitgate approve ID, jitgate deny ID --reason TEXT");
cleanup:
	cli__table_free(rows ? &rows[0][0] : NULL, n, RQ_NCOLS);
	json_decref(reply);
	return ret;
}

/* ---- approve, deny, cancel ---- */

static const char approve_help[] =
"Usage: jitgate approve ID [--reason TEXT] [--json]\n"
"\n"
"Approve a pending request (an approver of its role; not your own request). When this was\n"
"the last approval needed the grant is created, and its id is shown.\n"
"\n"
"Options:\n"
"  -r, --reason TEXT  a note for the audit log\n"
"      --json         print {\"request\": REQUEST[, \"grant\": GRANT]} (see docs/cli.md)\n"
"  -h, --help         show this help\n"
"\n"
"EXAMPLES\n"
"  jitgate approve r-3\n"
"  jitgate approve r-3 --reason 'checked INC-4711'\n";

static const char deny_help[] =
"Usage: jitgate deny ID --reason TEXT [--json]\n"
"\n"
"Deny a pending request (an approver of its role). The reason is required; the requester\n"
"sees it.\n"
"\n"
"Options:\n"
"  -r, --reason TEXT  why not\n"
"      --json         print {\"request\": REQUEST} (see docs/cli.md)\n"
"  -h, --help         show this help\n"
"\n"
"EXAMPLES\n"
"  jitgate deny r-3 --reason 'not during the freeze'\n";

static const char cancel_help[] =
"Usage: jitgate cancel ID [--json]\n"
"\n"
"Withdraw a pending request of yours (admins: anyone's).\n"
"\n"
"Options:\n"
"      --json  print {\"request\": REQUEST} (see docs/cli.md)\n"
"  -h, --help  show this help\n"
"\n"
"EXAMPLES\n"
"  jitgate cancel r-3\n";

/* approve, deny and cancel: ID [--reason], one line on the request's new state. */
static int decide(int argc, char **argv, const char *what)
{
	bool is_cancel = !strcmp(what, "cancel"), is_deny = !strcmp(what, "deny");
	const char *help = is_cancel ? cancel_help : is_deny ? deny_help : approve_help;
	const char *id = NULL, *reason = NULL;
	json_t *reply = NULL, *result = NULL;
	bool json = false;
	const struct cli_opt opts[] = {	/* cancel has no --reason */
		{ "reason", 'r', .arg = &reason },
		{ "json", 0, .flag = &json },
		{ 0 }
	};
	char cmd[16];
	int c, ret;

	if (!is_cancel && fleet_wanted(argc, argv, true))	/* an fr- id (cli/fleet.c) */
		return do_fleet_as(what, argc, argv);
	snprintf(cmd, sizeof(cmd), "%s ", what);
	if ((c = cli__opts(argc, argv, help, is_cancel ? opts + 1 : opts)) >= 0)
		return c;
	ret = take_id(cmd, argc, argv, false, &id);
	if (ret)
		return ret;
	if (is_deny && blank(reason))
		return usage_error(cmd, "--reason is required: tell the requester why not");
	if (cli__ask(what, &reply, &result, "id", id, "reason", reason, NULL))
		return EXIT_FAIL;
	ret = show_request_reply(result, json, false);
	json_decref(reply);
	return ret;
}

int do_approve(int argc, char **argv)
{
	return decide(argc, argv, "approve");
}

int do_deny(int argc, char **argv)
{
	return decide(argc, argv, "deny");
}

int do_cancel(int argc, char **argv)
{
	return decide(argc, argv, "cancel");
}

/* ---- drop ---- */

static const char drop_help[] =
"Usage: jitgate drop GRANT [--json]\n"
"\n"
"Give up a grant of yours now, before it expires (admins: anyone's; they may also\n"
"'jitgate revoke').\n"
"\n"
"Options:\n"
"      --json  print {\"dropped\": ID}\n"
"  -h, --help  show this help\n"
"\n"
"EXAMPLES\n"
"  jitgate drop g-4\n";

int do_drop(int argc, char **argv)
{
	json_t *reply = NULL, *result = NULL;
	const char *id = NULL;
	bool json = false;
	int c, ret;

	if ((c = cli__common_opts(argc, argv, drop_help, &json)) >= 0)
		return c;
	ret = take_id("drop ", argc, argv, true, &id);
	if (ret)
		return ret;
	if (cli__ask("drop", &reply, &result, "id", id, NULL))
		return EXIT_FAIL;
	if (json) {
		print_json(result);
	} else {
		char *d = clean(jstr(result, "dropped") ?: id);

		printf("dropped %s\n", d);
		free(d);
	}
	json_decref(reply);
	return EXIT_OK;
}
