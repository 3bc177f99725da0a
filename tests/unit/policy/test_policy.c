// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Policy parser and jsonpos: every error message kind with its exact FILE:LINE:COLUMN, the
 * brief's example, defaults, and every policies/ file. Run from the repository root. */
#include <criterion/criterion.h>
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jitgate.h"
#include "lib/jsonpos.h"
#include "policy/policy.h"

/* ---- helpers ---- */

/* "t.json:LINE:COL: " for the start of the nth (0-based) occurrence of needle in json. */
static void at(const char *json, const char *needle, int nth, char *buf, size_t len)
{
	const char *p = json;
	int line = 1, col = 1;

	for (int i = 0;; i++) {
		p = strstr(p, needle);
		cr_assert(p, "test bug: needle '%s' #%d not in the policy", needle, nth);
		if (i == nth)
			break;
		p++;
	}
	for (const char *q = json; q < p; q++) {
		if (*q == '\n')
			line++, col = 1;
		else
			col++;
	}
	snprintf(buf, len, "t.json:%d:%d: ", line, col);
}

static void expect_err_prefix(const char *json, const char *want, const char *gist)
{
	struct jg_policy *const sentinel = (struct jg_policy *)0x1;
	struct jg_policy *p = sentinel;
	char err[4096];
	int ret = policy__load_string(json, "t.json", &p, err, sizeof(err));

	cr_assert_eq(ret, -EINVAL, "expected -EINVAL, got %d (%s)", ret, ret ? err : "ok");
	cr_assert_eq(p, sentinel, "*out changed on error");
	cr_assert(!strncmp(err, want, strlen(want)), "want prefix '%s', got '%s'", want, err);
	cr_assert(strstr(err, gist), "want '%s' in '%s'", gist, err);
	for (const unsigned char *c = (const unsigned char *)err; *c; c++)
		cr_assert(*c >= 0x20 && *c != 0x7f, "control byte %#x in '%s'", *c, err);
}

/* The error must point at the nth occurrence of needle and mention gist. */
static void expect_err_n(const char *json, const char *needle, int nth, const char *gist)
{
	char want[64];

	at(json, needle, nth, want, sizeof(want));
	expect_err_prefix(json, want, gist);
}

#define expect_err(json, needle, gist) expect_err_n(json, needle, 0, gist)

static struct jg_policy *load_ok(const char *json)
{
	struct jg_policy *p = NULL;
	char err[4096];
	int ret = policy__load_string(json, "t.json", &p, err, sizeof(err));

	cr_assert_eq(ret, 0, "unexpected error: %s", err);
	cr_assert_not_null(p);
	return p;
}

/* Policies of the shape the tests vary. */
#define POL(res) "{\n  \"version\": 1,\n  \"resources\": {\n" res "\n  }\n}\n"

#define RES \
	"{\n" \
	"  \"version\": 1,\n" \
	"  \"resources\": {\n" \
	"    \"data\": { \"files\": [\"/srv/data\"] },\n" \
	"    \"tool\": { \"exec\": [\"/usr/local/bin/tool\"] },\n" \
	"    \"db\": { \"connect\": [\"10.0.0.0/8:5432\"] },\n" \
	"    \"root\": { \"elevate\": { \"except\": [\"/usr/bin/passwd\"] } }\n" \
	"  }"

#define ROLE(body) RES ",\n  \"roles\": {\n    \"r1\": {\n      " body "\n    }\n  }\n}\n"
#define ALLOW "\"allow\": { \"data\": [\"read\"] }"
#define REQ "\"requesters\": [\"group:sre\"]"
#define APPR "\"approvers\": [\"group:leads\"]"
#define OKROLE ALLOW ", " REQ ", " APPR
#define STANDING(body) RES ",\n  \"standing\": [\n    " body "\n  ]\n}\n"

/* ---- the brief's example and defaults ---- */

static const char brief_example[] =
	"{\n"
	"  \"version\": 1,\n"
	"  \"resources\": {\n"
	"    \"prod-secrets\": { \"description\": \"DB credentials\", \"files\": [\"/srv/prod/secrets\"] },\n"
	"    \"prod-tools\":   { \"exec\": [\"/usr/local/bin/prodctl\"] },\n"
	"    \"prod-db\":      { \"connect\": [\"10.20.0.0/16:5432\", \"127.0.0.1:7000-7010\", \"[::1]:7777\", \"[2001:db8::]/32:443\"] },\n"
	"    \"root\":         { \"elevate\": { \"except\": [\"/usr/bin/passwd\"] } }\n"
	"  },\n"
	"  \"roles\": {\n"
	"    \"db-debug\": {\n"
	"      \"allow\": { \"prod-secrets\": [\"read\"], \"prod-tools\": [\"exec\"], \"prod-db\": [\"connect\"] },\n"
	"      \"requesters\": [\"group:sre\"], \"approvers\": [\"group:sre-leads\"], \"approvals\": 1,\n"
	"      \"default_duration\": \"30m\", \"max_duration\": \"2h\",\n"
	"      \"require_reason\": true, \"require_mfa\": true,\n"
	"      \"schedule\": { \"timezone\": \"Europe/Berlin\", \"windows\": [\"Mon-Fri 08:00-18:00\"] },\n"
	"      \"request_ttl\": \"1h\"\n"
	"    }\n"
	"  },\n"
	"  \"standing\": [\n"
	"    { \"subject\": \"user:backup\", \"exe\": \"/usr/sbin/backupd\", \"allow\": { \"prod-secrets\": [\"read\"] } }\n"
	"  ]\n"
	"}\n";

Test(policy, brief_example)
{
	struct jg_policy *p = load_ok(brief_example);
	const struct jg_resource *r;
	const struct jg_role *role;

	cr_assert_str_eq(p->file, "t.json");
	cr_assert_eq(p->version, 1);
	cr_assert_eq(p->nresources, 5);	/* the four, then the built-in gate-admin */
	/* file order is kept */
	cr_assert_str_eq(p->resources[0].name, "prod-secrets");
	cr_assert_str_eq(p->resources[3].name, "root");
	cr_assert_str_eq(p->resources[4].name, "gate-admin");
	cr_assert(p->resources[4].builtin);
	cr_assert_eq(policy__gate_admin(p), &p->resources[4]);

	r = policy__resource(p, "prod-secrets");
	cr_assert_not_null(r);
	cr_assert_str_eq(r->description, "DB credentials");
	cr_assert_eq(r->kinds, JG_RES_FILES);
	cr_assert_not(r->audit_mode);
	cr_assert_eq(r->nfiles, 1);
	cr_assert_str_eq(r->files[0].path, "/srv/prod/secrets");
	cr_assert_eq(r->files[0].pos.line, 4);
	cr_assert_eq(r->files[0].pos.col, 66);
	cr_assert_eq(r->pos.line, 4);
	cr_assert_eq(r->pos.col, 5);

	r = policy__resource(p, "prod-tools");
	cr_assert_eq(r->kinds, JG_RES_EXEC);
	cr_assert_null(r->description);
	cr_assert_str_eq(r->exec[0].path, "/usr/local/bin/prodctl");

	r = policy__resource(p, "prod-db");
	cr_assert_eq(r->kinds, JG_RES_CONNECT);
	cr_assert_eq(r->nconnect, 4);
	cr_assert_str_eq(r->connect[0].text, "10.20.0.0/16:5432");
	cr_assert(r->connect[0].is_v4);
	cr_assert_eq(r->connect[0].prefixlen, 96 + 16);
	cr_assert_eq(r->connect[0].port_lo, 5432);
	cr_assert_eq(r->connect[0].port_hi, 5432);
	cr_assert_eq(r->connect[1].port_lo, 7000);
	cr_assert_eq(r->connect[1].port_hi, 7010);
	cr_assert_not(r->connect[2].is_v4);
	cr_assert_eq(r->connect[2].prefixlen, 128);
	cr_assert_eq(r->connect[2].addr[15], 1);
	cr_assert_eq(r->connect[3].prefixlen, 32);
	cr_assert_eq(r->connect[3].pos.line, 6);

	r = policy__resource(p, "root");
	cr_assert_eq(r->kinds, JG_RES_ELEVATE);
	cr_assert_eq(r->nelevate_except, 1);
	cr_assert_str_eq(r->elevate_except[0].path, "/usr/bin/passwd");
	cr_assert_null(policy__resource(p, "nope"));

	cr_assert_eq(p->nroles, 1);
	role = policy__role(p, "db-debug");
	cr_assert_not_null(role);
	cr_assert_null(policy__role(p, "nope"));
	cr_assert_eq(role->nallow, 3);
	cr_assert_str_eq(role->allow[0].resource, "prod-secrets");
	cr_assert_eq(role->allow[0].perms, JG_PERM_READ);
	cr_assert_eq(role->allow[1].perms, JG_PERM_EXEC);
	cr_assert_eq(role->allow[2].perms, JG_PERM_CONNECT);
	cr_assert_eq(role->nrequesters, 1);
	cr_assert_eq(role->requesters[0].kind, JG_SUBJ_GROUP);
	cr_assert_str_eq(role->requesters[0].name, "sre");
	cr_assert_eq(role->requesters[0].pos.line, 12);
	cr_assert_str_eq(role->approvers[0].name, "sre-leads");
	cr_assert_eq(role->approvals, 1);
	cr_assert_eq(role->default_duration, 30 * 60);
	cr_assert_eq(role->max_duration, 2 * 3600);
	cr_assert(role->require_reason);
	cr_assert(role->require_mfa);
	cr_assert(role->has_schedule);
	cr_assert_str_eq(role->schedule.timezone, "Europe/Berlin");
	cr_assert_eq(role->schedule.nwindows, 1);
	cr_assert_eq(role->schedule.windows[0].days, 0x1f);
	cr_assert_eq(role->schedule.windows[0].start_min, 8 * 60);
	cr_assert_eq(role->schedule.windows[0].end_min, 18 * 60);
	cr_assert_eq(role->schedule.not_before, 0);
	cr_assert_eq(role->schedule.not_after, 0);
	cr_assert_eq(role->request_ttl, 3600);
	cr_assert_not(role->auto_approve.present);
	cr_assert_null(role->description);
	cr_assert_eq(role->pos.line, 10);
	cr_assert_eq(role->pos.col, 5);

	cr_assert_eq(p->nstanding, 1);
	cr_assert_eq(p->standing[0].subject.kind, JG_SUBJ_USER);
	cr_assert_str_eq(p->standing[0].subject.name, "backup");
	cr_assert_str_eq(p->standing[0].exe, "/usr/sbin/backupd");
	cr_assert_eq(p->standing[0].nallow, 1);
	cr_assert_eq(p->standing[0].allow[0].perms, JG_PERM_READ);
	cr_assert_eq(p->standing[0].pos.line, 20);
	cr_assert_eq(p->standing[0].pos.col, 5);
	policy__free(p);
}

Test(policy, defaults)
{
	struct jg_policy *p = load_ok(ROLE(OKROLE));
	const struct jg_role *r = &p->roles[0];

	cr_assert_eq(r->approvals, 1);
	cr_assert_eq(r->max_duration, 8 * 3600);
	cr_assert_eq(r->default_duration, 3600);
	cr_assert(r->require_reason);
	cr_assert_not(r->require_mfa);
	cr_assert_not(r->has_schedule);
	cr_assert_eq(r->request_ttl, 3600);
	cr_assert_not(r->auto_approve.present);
	cr_assert_eq(p->nstanding, 0);
	cr_assert_null(p->standing);
	policy__free(p);

	/* default_duration follows a short max_duration down */
	p = load_ok(ROLE(OKROLE ", \"max_duration\": \"20m\""));
	cr_assert_eq(p->roles[0].default_duration, 20 * 60);
	cr_assert_eq(p->roles[0].max_duration, 20 * 60);
	policy__free(p);

	/* a policy without roles and standing rules */
	p = load_ok(POL("    \"x\": { \"files\": [\"/srv/x\"], \"mode\": \"audit\" }"));
	cr_assert_eq(p->nroles, 0);
	cr_assert(p->resources[0].audit_mode);
	policy__free(p);
	p = load_ok(POL("    \"x\": { \"files\": [\"/srv/x\"], \"mode\": \"enforce\" }"));
	cr_assert_not(p->resources[0].audit_mode);
	policy__free(p);
}

Test(policy, full_role)
{
	struct jg_policy *p = load_ok(ROLE(
		"\"description\": \"all of it\",\n"
		"      \"allow\": { \"data\": [\"read\", \"write\", \"read\"], \"tool\": [\"exec\"],"
		" \"db\": [\"connect\"], \"root\": [\"elevate\"] },\n"
		"      \"requesters\": [\"user:alice\", \"uid:1001\", \"group:sre\"],\n"
		"      \"approvers\": [\"user:bob\"], \"approvals\": 10,\n"
		"      \"require_reason\": false, \"require_mfa\": false,\n"
		"      \"default_duration\": \"1d12h\", \"max_duration\": \"366d\", \"request_ttl\": \"90s\",\n"
		"      \"schedule\": { \"windows\": [\"Fri-Mon 22:00-24:00\", \"Mon,Wed 09:00-10:00\"],\n"
		"                    \"not_before\": \"2026-03-01\", \"not_after\": \"2026-03-31\" },\n"
		"      \"auto_approve\": { \"who\": [\"group:oncall\"],\n"
		"                        \"schedule\": { \"timezone\": \"UTC\", \"windows\": [\"Sat 10:00-12:00\"] } }"));
	const struct jg_role *r = &p->roles[0];

	cr_assert_str_eq(r->description, "all of it");
	cr_assert_eq(r->allow[0].perms, JG_PERM_READ | JG_PERM_WRITE);
	cr_assert_eq(r->allow[3].perms, JG_PERM_ELEVATE);
	cr_assert_eq(r->requesters[0].kind, JG_SUBJ_USER);
	cr_assert_eq(r->requesters[1].kind, JG_SUBJ_UID);
	cr_assert_eq(r->requesters[1].id, 1001);
	cr_assert_eq(r->approvals, 10);
	cr_assert_not(r->require_reason);
	cr_assert_eq(r->default_duration, 36 * 3600);
	cr_assert_eq(r->max_duration, 366 * 86400);
	cr_assert_eq(r->request_ttl, 90);
	cr_assert_null(r->schedule.timezone);
	cr_assert_eq(r->schedule.windows[0].days, 1 << 4 | 1 << 5 | 1 << 6 | 1 << 0);
	cr_assert_eq(r->schedule.windows[0].end_min, 24 * 60);
	cr_assert_eq(r->schedule.windows[1].days, 1 << 0 | 1 << 2);
	cr_assert_eq(r->schedule.not_before, 1772323200);	/* 2026-03-01T00:00:00Z */
	cr_assert_eq(r->schedule.not_after, 1775001600);	/* 2026-04-01T00:00:00Z */
	cr_assert(r->auto_approve.present);
	cr_assert_eq(r->auto_approve.nsubjects, 1);
	cr_assert_str_eq(r->auto_approve.subjects[0].name, "oncall");
	cr_assert(r->auto_approve.has_schedule);
	cr_assert_str_eq(r->auto_approve.schedule.timezone, "UTC");
	cr_assert_eq(r->auto_approve.schedule.windows[0].days, 1 << 5);
	policy__free(p);

	/* auto_approve alone (no approvers), spelled "subjects" */
	p = load_ok(ROLE(ALLOW ", " REQ ", \"auto_approve\": { \"subjects\": [\"uid:0\"] }"));
	cr_assert_eq(p->roles[0].napprovers, 0);
	cr_assert_eq(p->roles[0].auto_approve.subjects[0].kind, JG_SUBJ_UID);
	cr_assert_not(p->roles[0].auto_approve.has_schedule);
	policy__free(p);
}

Test(policy, mapped_endpoint_and_unicode)
{
	struct jg_policy *p = load_ok(POL(
		"    \"net\": { \"description\": \"r\u00e9seau \\u00e9\", "
		"\"connect\": [\"::ffff:10.0.0.0/104\", \"[::ffff:192.168.1.1]:22\"] }"));
	const struct jg_endpoint *e = p->resources[0].connect;

	cr_assert_eq(p->nresources, 2);	/* and the built-in gate-admin */
	cr_assert_eq(e[0].is_v4, true);
	cr_assert_eq(e[0].prefixlen, 104);
	cr_assert_eq(e[0].addr[12], 10);
	cr_assert(e[1].is_v4);
	cr_assert_eq(e[1].port_lo, 22);
	policy__free(p);
}

Test(policy, free_null)
{
	policy__free(NULL);
}

/* ---- syntax and the top level ---- */

Test(policy_err, syntax)
{
	expect_err_prefix("{\n  \"version\": tru\n}\n", "t.json:2:14: ", "invalid JSON");
	expect_err_prefix("{\n  \"version\": 1,\n  \"resources\": {}\n", "t.json:3:18: ",
			  "expected");
	expect_err_prefix("", "t.json:1:1: ", "invalid JSON");
	expect_err_prefix("{\"a\": \"x\ny\"}", "t.json:1:7: ", "unexpected newline");
	expect_err_prefix("{\"version\": 12345678901234567890}", "t.json:1:13: ", "too big");
	expect_err_prefix("{\"version\": \x01}", "t.json:1:13: ", "invalid JSON: ");
	expect_err_prefix("\xef\xbb\xbf{}", "t.json:1:1: ", "invalid JSON: ");	/* BOM */
}

Test(policy_err, duplicate_key)
{
	static const char j[] = "{\n  \"version\": 1,\n  \"resources\": {},\n  \"version\": 1\n}\n";

	expect_err_n(j, "\"version\"", 1, "duplicate");
}

Test(policy_err, duplicate_nested_key)
{
	static const char j[] = POL("    \"x\": { \"files\": [\"/srv/a\"], \"files\": [\"/srv/b\"] }");

	expect_err_n(j, "\"files\"", 1, "duplicate object key");
}

Test(policy_err, root_not_object)
{
	expect_err_prefix("  [1, 2]\n", "t.json:1:3: ", "must be a JSON object, not an array");
}

Test(policy_err, unknown_top_key)
{
	static const char j1[] = "{\n  \"versoin\": 1,\n  \"resources\": {}\n}\n";
	static const char j2[] = "{\n  \"version\": 1,\n  \"resources\": {},\n  \"comment\": \"x\"\n}\n";

	expect_err(j1, "\"versoin\"", "unknown key \"versoin\"; did you mean \"version\"?");
	expect_err(j2, "\"comment\"",
		   "unknown key \"comment\" (expected version, resources, roles, standing, notify)");
}

Test(policy_err, version)
{
	expect_err_prefix("{\n  \"resources\": {}\n}\n", "t.json:1:1: ", "has no \"version\"");
	expect_err("{\n  \"version\": \"1\",\n  \"resources\": {}\n}\n", "\"1\"",
		   "\"version\" must be the number 1, not a string");
	expect_err("{\n  \"version\": 1.0,\n  \"resources\": {}\n}\n", "1.0",
		   "must be the number 1");
	expect_err("{\n  \"version\": 2,\n  \"resources\": {}\n}\n", "2",
		   "unsupported policy version 2");
}

Test(policy_err, resources_missing_or_wrong)
{
	expect_err_prefix("\n{ \"version\": 1 }", "t.json:2:1: ", "has no \"resources\"");
	expect_err("{ \"version\": 1, \"resources\": [] }", "[]",
		   "\"resources\" must be an object of name: resource, not an array");
	expect_err("{ \"version\": 1, \"resources\": {}, \"roles\": [] }", "[]",
		   "\"roles\" must be an object");
	expect_err_n("{ \"version\": 1, \"resources\": {}, \"standing\": {} }", "{}", 1,
		     "\"standing\" must be an array of rules, not an object");
}

/* ---- resources ---- */

Test(policy_err, resource_name)
{
	expect_err(POL("    \"bad name\": { \"files\": [\"/srv/a\"] }"), "\"bad name\"",
		   "resource name \"bad name\" must be 1-63 characters");
	expect_err(POL("    \"\": { \"files\": [\"/srv/a\"] }"), "\"\":", "resource name \"\"");
	expect_err(POL("    \"a123456789b123456789c123456789d123456789e123456789f123456789abcd\":"
		       " { \"files\": [\"/srv/a\"] }"), "\"a1", "must be 1-63 characters");
	expect_err(POL("    \"jitgate-canary\": { \"files\": [\"/srv/a\"] }"),
		   "\"jitgate-canary\"", "is reserved");
}

Test(policy, resource_name_63_ok)
{
	struct jg_policy *p = load_ok(POL(
		"    \"a123456789b123456789c123456789d123456789e123456789f123456789abc\": "
		"{ \"files\": [\"/srv/a\"] }, \"A.b_c-9\": { \"exec\": [\"/bin/x\"] }"));

	cr_assert_eq(strlen(p->resources[0].name), 63);
	policy__free(p);
}

Test(policy_err, resource_shape)
{
	expect_err(POL("    \"x\": [\"/srv/a\"]"), "[\"/srv/a\"]",
		   "resource \"x\" must be an object, not an array");
	expect_err(POL("    \"x\": { \"fils\": [\"/srv/a\"] }"), "\"fils\"",
		   "resource \"x\": unknown key \"fils\"; did you mean \"files\"?");
	expect_err(POL("    \"x\": { \"paths\": [\"/srv/a\"] }"), "\"paths\"",
		   "unknown key \"paths\" (expected description, files, exec, connect, bind, elevate, gate, mode)");
	expect_err(POL("    \"x\": { \"description\": \"just words\" }"), "\"x\"",
		   "resource \"x\" protects nothing; give it files, exec, connect, bind, elevate or gate");
}

Test(policy_err, description)
{
	expect_err(POL("    \"x\": { \"description\": 5, \"files\": [\"/a\"] }"), "5",
		   "resource \"x\": description must be a string, not a number");
	expect_err(POL("    \"x\": { \"description\": \"\", \"files\": [\"/a\"] }"), "\"\"",
		   "resource \"x\": description must not be empty");
}

Test(policy_err, files)
{
	expect_err(POL("    \"x\": { \"files\": \"/srv/a\" }"), "\"/srv/a\"",
		   "resource \"x\": files must be an array such as [\"/srv/data\"], not a string");
	expect_err(POL("    \"x\": { \"files\": [] }"), "[]", "resource \"x\": files must not be empty");
	expect_err(POL("    \"x\": { \"files\": [\"/a\", null] }"), "null",
		   "resource \"x\": files must be a string, not null");
	expect_err(POL("    \"x\": { \"files\": [\"/a\", \"\"] }"), "\"\"", "files must not be empty");
	expect_err(POL("    \"x\": { \"files\": [\"srv/a\"] }"), "\"srv/a\"",
		   "resource \"x\": files \"srv/a\" must be an absolute path (start with '/')");
	expect_err(POL("    \"x\": { \"exec\": [\"/usr/bin/a\\u0000b\"] }"), "\"/usr",
		   "resource \"x\": exec contains a NUL byte");
}

Test(policy_err, path_too_long)
{
	size_t n = 5000;
	char *json = malloc(n + 200), *path = malloc(n + 1);

	memset(path, 'a', n);
	path[0] = '/';
	path[n] = '\0';
	snprintf(json, n + 200, POL("    \"x\": { \"files\": [\"%s\"] }"), path);
	expect_err(json, "\"/aaa", "is longer than 4095 bytes");
	free(json);
	free(path);
}

Test(policy_err, duplicate_paths)
{
	expect_err_n(POL("    \"x\": { \"files\": [\"/srv/a\", \"/srv/b\", \"/srv/a\"] }"),
		     "\"/srv/a\"", 1, "resource \"x\" lists the path \"/srv/a\" twice");
	expect_err_n(POL("    \"x\": { \"files\": [\"/srv/a\"] },\n"
			 "    \"y\": { \"exec\": [\"/srv/b\", \"/srv/a\"] }"),
		     "\"/srv/a\"", 1,
		     "resource \"y\": the path \"/srv/a\" is already listed by resource \"x\"");
	/* the first duplicate in the file is the one reported */
	expect_err_n(POL("    \"x\": { \"files\": [\"/srv/z\", \"/srv/a\"] },\n"
			 "    \"y\": { \"exec\": [\"/srv/a\", \"/srv/z\"] }"),
		     "\"/srv/a\"", 1, "path \"/srv/a\" is already listed");
}

Test(policy_err, connect)
{
	/* the brief's own example of a message */
	static const char j[] = POL("    \"prod-db\": { \"connect\": [\"10.0.0.0/8:5432\", "
				    "\"10.1.2.3/16:80\"] }");
	char want[64];

	at(j, "\"10.1.2.3/16:80\"", 0, want, sizeof(want));
	cr_assert_str_eq(want, "t.json:4:49: ");
	expect_err(j, "\"10.1.2.3/16:80\"", "resource \"prod-db\": connect endpoint "
		   "\"10.1.2.3/16:80\" has host bits set; did you mean 10.1.0.0/16?");

	expect_err(POL("    \"n\": { \"connect\": \"10.0.0.0/8\" }"), "\"10.",
		   "connect must be an array");
	expect_err(POL("    \"n\": { \"connect\": [] }"), "[]", "connect must not be empty");
	expect_err(POL("    \"n\": { \"connect\": [443] }"), "443",
		   "connect entry must be a string, not a number");
	expect_err(POL("    \"n\": { \"connect\": [\"10.0.0.1:0\"] }"), "\"10.0.0.1:0\"",
		   "resource \"n\": connect endpoint \"10.0.0.1:0\" uses port 0");
	expect_err(POL("    \"n\": { \"connect\": [\"db.internal:5432\"] }"), "\"db.",
		   "host names are not allowed");
}

Test(policy_err, connect_overlap)
{
	expect_err_n(POL("    \"a\": { \"connect\": [\"10.0.0.0/8:5000-5010\"] },\n"
			 "    \"b\": { \"connect\": [\"10.0.0.0/8:5010\"] }"),
		     "\"10.0.0.0/8:5010\"", 0,
		     "resource \"b\": connect endpoint \"10.0.0.0/8:5010\" overlaps "
		     "\"10.0.0.0/8:5000-5010\" of resource \"a\"");
	/* the same address written as IPv4 and as IPv4-mapped IPv6 is the same address */
	expect_err(POL("    \"a\": { \"connect\": [\"10.0.0.1\", \"[::ffff:10.0.0.1]:22\"] }"),
		   "\"[::ffff", "overlaps \"10.0.0.1\" of resource \"a\"");
}

Test(policy, connect_no_overlap)
{
	struct jg_policy *p = load_ok(POL(
		"    \"a\": { \"connect\": [\"10.0.0.0/8:5000-5010\", \"10.0.0.0/16:5000\"] },\n"
		"    \"b\": { \"connect\": [\"10.0.0.0/8:5011\", \"[::]/0:5000\"] }"));

	policy__free(p);
}

/* A connect endpoint on loopback protects every loopback address: its range lands on the
 * prefixes of the others, and the kernel's limit per prefix counts it there. */
Test(policy_err, loopback_ranges_add_up)
{
	struct jg_policy *p = load_ok(POL("    \"a\": { \"connect\": [\"127.0.0.1:7001\", \"127.0.0.2:7002\", \"127.0.0.3:7003\", \"127.0.0.4:7004\", \"127.0.0.5:7005\", \"127.0.0.6:7006\", \"127.0.0.7:7007\", \"127.0.0.8:7008\", \"127.0.0.9:7009\", \"127.0.0.10:7010\", \"127.0.0.11:7011\", \"127.0.0.12:7012\", \"127.0.0.13:7013\", \"127.0.0.14:7014\", \"127.0.0.15:7015\", \"127.0.0.16:7016\"] }"));

	policy__free(p);
	expect_err(POL("    \"a\": { \"connect\": [\"127.0.0.1:7001\", \"127.0.0.2:7002\", \"127.0.0.3:7003\", \"127.0.0.4:7004\", \"127.0.0.5:7005\", \"127.0.0.6:7006\", \"127.0.0.7:7007\", \"127.0.0.8:7008\", \"127.0.0.9:7009\", \"127.0.0.10:7010\", \"127.0.0.11:7011\", \"127.0.0.12:7012\", \"127.0.0.13:7013\", \"127.0.0.14:7014\", \"127.0.0.15:7015\", \"127.0.0.16:7016\"] },\n"
		       "    \"b\": { \"connect\": [\"[::1]:8000\"] }"),
		   "\"[::1]:8000\"", "resource \"b\": connect endpoint \"[::1]:8000\" is covered by 17 port ranges (its own prefix, wider ones "
		   "and those on this host's loopback addresses)");
}

Test(policy, bind_endpoints)
{
	struct jg_policy *p = load_ok(POL(
		"    \"web\": { \"bind\": [\"0.0.0.0:8443\", \"[::]:8443\", "
		"\"127.0.0.1:9000-9010\"] },\n"
		"    \"db\": { \"connect\": [\"127.0.0.1:9000\"], \"bind\": [\"[::1]:5432\"] }"));
	const struct jg_resource *r = policy__resource(p, "web");

	cr_assert_eq(r->kinds, JG_RES_BIND);
	cr_assert_eq(r->nbind, 3);
	cr_assert_eq(r->nconnect, 0);
	/* the wildcards stand for every address: 0.0.0.0 all of IPv4, :: everything */
	cr_assert(r->bind[0].is_v4);
	cr_assert_eq(r->bind[0].prefixlen, 96);
	cr_assert_eq(r->bind[0].port_lo, 8443);
	cr_assert_not(r->bind[1].is_v4);
	cr_assert_eq(r->bind[1].prefixlen, 0);
	cr_assert_eq(r->bind[2].prefixlen, 128);
	cr_assert_eq(r->bind[2].port_lo, 9000);
	cr_assert_eq(r->bind[2].port_hi, 9010);
	cr_assert_eq(r->bind[2].pos.line, 4);
	cr_assert_eq(perm__valid_for_kinds(r->kinds), JG_PERM_BIND);
	/* a connect and a bind endpoint on one address and port do not collide */
	r = policy__resource(p, "db");
	cr_assert_eq(r->kinds, JG_RES_CONNECT | JG_RES_BIND);
	cr_assert_eq(r->bind[0].prefixlen, 128);	/* only the wildcard widens */
	policy__free(p);

	p = load_ok("{\n  \"version\": 1,\n  \"resources\": {\n"
		    "    \"web\": { \"bind\": [\"[::]:443\"] }\n  },\n  \"roles\": {\n"
		    "    \"r\": { \"allow\": { \"web\": [\"bind\"] }, "
		    "\"requesters\": [\"group:sre\"], \"approvers\": [\"group:leads\"] }\n  }\n}\n");
	cr_assert_eq(p->roles[0].allow[0].perms, JG_PERM_BIND);
	policy__free(p);
}

Test(policy_err, bind)
{
	expect_err(POL("    \"n\": { \"bind\": \"0.0.0.0:80\" }"), "\"0.0",
		   "resource \"n\": bind must be an array such as [\"0.0.0.0:8443\"]");
	expect_err(POL("    \"n\": { \"bind\": [] }"), "[]", "bind must not be empty");
	expect_err(POL("    \"n\": { \"bind\": [80] }"), "80",
		   "bind entry must be a string, not a number");
	expect_err(POL("    \"n\": { \"bind\": [\"127.0.0.1:0\"] }"), "\"127.0.0.1:0\"",
		   "resource \"n\": bind endpoint \"127.0.0.1:0\" uses port 0");
	expect_err_n(POL("    \"a\": { \"bind\": [\"0.0.0.0:8000-8010\"] },\n"
			 "    \"b\": { \"bind\": [\"0.0.0.0/0:8005\"] }"),
		     "\"0.0.0.0/0:8005\"", 0,
		     "resource \"b\": bind endpoint \"0.0.0.0/0:8005\" overlaps "
		     "\"0.0.0.0:8000-8010\" of resource \"a\"");
	/* bind is a permission of bind resources only */
	expect_err("{\n  \"version\": 1,\n  \"resources\": {\n"
		   "    \"n\": { \"connect\": [\"10.0.0.1:22\"] }\n  },\n  \"roles\": {\n"
		   "    \"r\": { \"allow\": { \"n\": [\"bind\"] }, "
		   "\"requesters\": [\"group:sre\"], \"approvers\": [\"group:leads\"] }\n  }\n}\n",
		   "\"bind\"]", "resource \"n\" has no \"bind\" permission; it takes connect");
}

/* Resource "n" with KIND endpoints first and then fmt for 2 to 16 loads; with extra as the
 * 17th it is refused as gist says, at needle. */
static void seventeenth_refused(const char *kind, const char *first, const char *fmt,
				const char *extra, const char *needle, const char *gist)
{
	char json[4096], *tail;

	snprintf(json, sizeof(json), "{\n  \"version\": 1,\n  \"resources\": {\n"
		 "    \"n\": { \"%s\": [\"%s\"", kind, first);
	for (int k = 2; k <= 16; k++)
		sprintf(json + strlen(json), fmt, k);
	strcat(json, "] }\n  }\n}\n");
	policy__free(load_ok(json));

	tail = strstr(json, "] }");
	*tail = '\0';
	sprintf(tail, ", %s] }\n  }\n}\n", extra);
	expect_err(json, needle, gist);
}

Test(policy_err, too_many_bind_endpoints)
{
	/* a bind of :: covers them all: 16 fit in one map entry, 17 do not */
	seventeenth_refused("bind", "10.0.0.1:1", ", \"10.0.0.%d:80\"", "\"[::1]:80\"",
			    "\"[::1]:80\"", "too many bind endpoints (17); a policy may use at "
			    "most 16");
}

Test(policy_err, port_ranges_per_prefix)
{
	/* 16 ranges covering 10.9.0.0/16 are fine, the 17th is one too many */
	seventeenth_refused("connect", "10.0.0.0/8:1", ", \"10.9.0.0/16:%d\"",
			    "\"10.9.0.0/16:17\"", "\"10.9.0.0/16:2\"",
			    "is covered by 17 port ranges");
}

Test(policy_err, too_many_prefixes)
{
	size_t cap = 200000, n;
	char *json = malloc(cap);

	n = (size_t)snprintf(json, cap, "{ \"version\": 1, \"resources\": { \"n\": { \"connect\": [");
	for (int k = 0; k <= JG_MAX_NET_PREFIXES / 2; k++)
		n += (size_t)snprintf(json + n, cap - n, "%s\"10.%d.%d.0/24\"", k ? ", " : "",
				      k / 256, k % 256);
	snprintf(json + n, cap - n, "] } } }");
	expect_err(json, "\"10.8.0.0/24\"", "too many connect prefixes (2049)");
	free(json);
}

Test(policy_err, too_many_objects)
{
	size_t cap = 1 << 20, n;
	char *json = malloc(cap);

	n = (size_t)snprintf(json, cap, "{ \"version\": 1, \"resources\": { \"f\": { \"files\": [");
	for (int k = 0; k <= JG_MAX_OBJECTS / 2; k++)
		n += (size_t)snprintf(json + n, cap - n, "%s\"/f/%d\"", k ? "," : "", k);
	snprintf(json + n, cap - n, "] } } }");
	expect_err(json, "\"/f/32768\"", "too many files and programs; a policy may list at most 32768");
	free(json);
}

Test(policy_err, too_many_resources)
{
	size_t cap = 100000, n;
	char *json = malloc(cap);

	n = (size_t)snprintf(json, cap, "{ \"version\": 1, \"resources\": {");
	for (int k = 0; k < JG_MAX_RESOURCES; k++)
		n += (size_t)snprintf(json + n, cap - n, "%s\"r%d\": { \"files\": [\"/r/%d\"] }",
				      k ? ", " : "", k, k);
	snprintf(json + n, cap - n, "} }");
	expect_err(json, "\"r1023\"", "too many resources; a policy may have at most 1023");
	free(json);
}

Test(policy_err, elevate)
{
	expect_err(POL("    \"root\": { \"elevate\": true }"), "true",
		   "resource \"root\": elevate must be an object such as {\"except\"");
	expect_err(POL("    \"root\": { \"elevate\": { \"exept\": [] } }"), "\"exept\"",
		   "resource \"root\": elevate: unknown key \"exept\"; did you mean \"except\"?");
	expect_err(POL("    \"root\": { \"elevate\": { \"except\": [\"passwd\"] } }"), "\"passwd\"",
		   "resource \"root\": elevate except \"passwd\" must be an absolute path");
	expect_err(POL("    \"root\": { \"elevate\": { \"except\": \"/usr/bin/passwd\" } }"),
		   "\"/usr", "elevate except must be an array");
}

Test(policy, elevate_empty)
{
	struct jg_policy *p = load_ok(POL("    \"root\": { \"elevate\": { \"except\": [] } },"
					  " \"r2\": { \"elevate\": {} }"));

	cr_assert_eq(p->resources[0].kinds, JG_RES_ELEVATE);
	cr_assert_eq(p->resources[0].nelevate_except, 0);
	cr_assert_eq(p->resources[1].kinds, JG_RES_ELEVATE);
	cr_assert_eq(p->resources[0].elevate_warn_s, JG_ELEVATE_WARN_DEFAULT_S);
	policy__free(p);
}

Test(policy, elevate_warn)
{
	struct jg_policy *p = load_ok(POL("    \"root\": { \"elevate\": { \"warn\": \"10m\" } },"
					  " \"r2\": { \"elevate\": { \"warn\": false } }"));

	cr_assert_eq(p->resources[0].elevate_warn_s, 600);
	cr_assert_eq(p->resources[1].elevate_warn_s, 0);
	policy__free(p);
}

Test(policy_err, elevate_warn)
{
	expect_err(POL("    \"root\": { \"elevate\": { \"warn\": \"soon\" } }"), "\"soon\"",
		   "resource \"root\": elevate warn: ");
	expect_err(POL("    \"root\": { \"elevate\": { \"warn\": true } }"), "true",
		   "elevate warn must be a string such as \"30m\"");
	expect_err(POL("    \"root\": { \"elevate\": { \"wran\": \"5m\" } }"), "\"wran\"",
		   "did you mean \"warn\"?");
}

Test(policy_err, mode)
{
	expect_err(POL("    \"x\": { \"files\": [\"/a\"], \"mode\": \"warn\" }"), "\"warn\"",
		   "resource \"x\": mode must be \"audit\" or \"enforce\"");
	expect_err(POL("    \"x\": { \"files\": [\"/a\"], \"mode\": true }"), "true",
		   "mode must be \"audit\" or \"enforce\"");
}

/* ---- roles ---- */

Test(policy_err, role_name_and_shape)
{
	expect_err(RES ",\n  \"roles\": { \"db debug\": {} }\n}\n", "\"db debug\"",
		   "role name \"db debug\" must be 1-63 characters");
	expect_err(RES ",\n  \"roles\": { \"r\": [] }\n}\n", "[]",
		   "role \"r\" must be an object, not an array");
	expect_err(ROLE(OKROLE ", \"aprovals\": 2"), "\"aprovals\"",
		   "role \"r1\": unknown key \"aprovals\"; did you mean \"approvals\"?");
	expect_err(ROLE(OKROLE ", \"ttl\": \"1h\""), "\"ttl\"",
		   "role \"r1\": unknown key \"ttl\" (expected description, allow,");
	expect_err(ROLE(OKROLE ", \"description\": 1"), "1\n",
		   "role \"r1\": description must be a string");
}

Test(policy_err, role_missing)
{
	expect_err(ROLE(REQ ", " APPR), "\"r1\"", "role \"r1\" has no \"allow\"");
	expect_err(ROLE(ALLOW ", " APPR), "\"r1\"", "role \"r1\" has no \"requesters\"");
	expect_err(ROLE(ALLOW ", " REQ), "\"r1\"",
		   "role \"r1\" has neither \"approvers\" nor \"auto_approve\", so no request");
}

Test(policy_err, allow)
{
	expect_err(ROLE("\"allow\": [\"data\"], " REQ ", " APPR), "[\"data\"]",
		   "role \"r1\": allow must be an object such as {\"prod-db\": [\"connect\"]}, not an array");
	expect_err(ROLE("\"allow\": {}, " REQ ", " APPR), "{}", "role \"r1\": allow must not be empty");
	expect_err(ROLE("\"allow\": { \"data\": [\"read\"], \"dta\": [\"read\"] }, " REQ ", " APPR),
		   "\"dta\"", "role \"r1\": allow names unknown resource \"dta\"");
	expect_err(ROLE("\"allow\": { \"data\": \"read\" }, " REQ ", " APPR), "\"read\"",
		   "role \"r1\": allow \"data\" must be an array such as [\"read\"], not a string");
	expect_err(ROLE("\"allow\": { \"data\": [] }, " REQ ", " APPR), "[]",
		   "role \"r1\": allow \"data\" must not be empty");
	expect_err(ROLE("\"allow\": { \"data\": [true] }, " REQ ", " APPR), "true",
		   "role \"r1\": allow \"data\" entry must be a string, not true");
	expect_err(ROLE("\"allow\": { \"data\": [\"read\", \"rw\"] }, " REQ ", " APPR), "\"rw\"",
		   "role \"r1\": allow: unknown permission \"rw\" for resource \"data\"");
	expect_err(ROLE("\"allow\": { \"db\": [\"read\"] }, " REQ ", " APPR), "\"read\"",
		   "role \"r1\": allow: resource \"db\" has no \"read\" permission; it takes connect");
	expect_err_n(ROLE("\"allow\": { \"data\": [\"exec\"] }, " REQ ", " APPR), "\"exec\"", 1,
		   "resource \"data\" has no \"exec\" permission; it takes read, write");
	expect_err_n(ROLE("\"allow\": { \"tool\": [\"elevate\"] }, " REQ ", " APPR), "\"elevate\"",
		     1, "it takes exec");
}

Test(policy, allow_multi_kind_resource)
{
	struct jg_policy *p = load_ok(
		"{ \"version\": 1, \"resources\": { \"m\": { \"files\": [\"/a\"], \"exec\": [\"/b\"],"
		" \"connect\": [\"10.0.0.1:1\"] } }, \"roles\": { \"r\": { \"allow\": { \"m\":"
		" [\"read\", \"write\", \"exec\", \"connect\"] }, \"requesters\": [\"uid:1\"],"
		" \"approvers\": [\"uid:2\"] } } }");

	cr_assert_eq(p->resources[0].kinds, JG_RES_FILES | JG_RES_EXEC | JG_RES_CONNECT);
	cr_assert_eq(p->roles[0].allow[0].perms,
		     JG_PERM_READ | JG_PERM_WRITE | JG_PERM_EXEC | JG_PERM_CONNECT);
	policy__free(p);
}

Test(policy_err, subjects)
{
	expect_err(ROLE(ALLOW ", \"requesters\": \"group:sre\", " APPR), "\"group:sre\"",
		   "role \"r1\": requesters must be an array such as [\"group:sre\"], not a string");
	expect_err(ROLE(ALLOW ", \"requesters\": [], " APPR), "[]",
		   "role \"r1\": requesters must not be empty");
	expect_err(ROLE(ALLOW ", \"requesters\": [1000], " APPR), "1000",
		   "role \"r1\": requesters entry must be a string, not a number");
	expect_err(ROLE(ALLOW ", " REQ ", \"approvers\": [\"group:leads\", \"alice\"]"), "\"alice\"",
		   "role \"r1\": approvers: subject \"alice\" must be user:NAME, uid:N or group:NAME");
	expect_err(ROLE(ALLOW ", " REQ ", \"approvers\": [\"uid:-1\"]"), "\"uid:-1\"",
		   "subject \"uid:-1\": the uid must be a decimal number");
	expect_err(ROLE(ALLOW ", " REQ ", \"approvers\": [\"user:\"]"), "\"user:\"",
		   "subject \"user:\" has an empty name");
}

Test(policy_err, approvals)
{
	expect_err(ROLE(OKROLE ", \"approvals\": 0"), "0\n", "role \"r1\": approvals must be a "
		   "whole number from 1 to 10");
	expect_err(ROLE(OKROLE ", \"approvals\": 11"), "11", "from 1 to 10");
	expect_err(ROLE(OKROLE ", \"approvals\": \"2\""), "\"2\"", "from 1 to 10");
	expect_err(ROLE(OKROLE ", \"approvals\": 1.5"), "1.5", "from 1 to 10");
}

Test(policy_err, durations)
{
	expect_err(ROLE(OKROLE ", \"default_duration\": 30"), "30",
		   "role \"r1\": default_duration must be a string such as \"30m\", not a number");
	expect_err(ROLE(OKROLE ", \"default_duration\": \"30x\""), "\"30x\"",
		   "role \"r1\": default_duration: invalid duration \"30x\": unknown unit 'x'");
	expect_err(ROLE(OKROLE ", \"max_duration\": \"367d\""), "\"367d\"",
		   "role \"r1\": max_duration: invalid duration \"367d\": it is longer than the limit");
	expect_err(ROLE(OKROLE ", \"request_ttl\": \"0s\""), "\"0s\"",
		   "role \"r1\": request_ttl: invalid duration \"0s\"");
	expect_err(ROLE(OKROLE ", \"request_ttl\": \"1h\\u0000\""), "\"1h",
		   "request_ttl contains a NUL byte");
	/* default above max, either order in the file; points at default_duration */
	expect_err(ROLE(OKROLE ", \"default_duration\": \"3h\", \"max_duration\": \"2h\""), "\"3h\"",
		   "role \"r1\": default_duration 3h is longer than max_duration 2h");
	expect_err(ROLE(OKROLE ", \"max_duration\": \"1h\", \"default_duration\": \"1h30m\""),
		   "\"1h30m\"", "default_duration 1h30m is longer than max_duration 1h");
}

Test(policy_err, booleans)
{
	expect_err(ROLE(OKROLE ", \"require_mfa\": \"yes\""), "\"yes\"",
		   "role \"r1\": require_mfa must be true or false, not a string");
	expect_err(ROLE(OKROLE ", \"require_reason\": 0"), "0\n",
		   "role \"r1\": require_reason must be true or false, not a number");
}

Test(policy_err, schedule)
{
	expect_err(ROLE(OKROLE ", \"schedule\": [\"Mon-Fri 08:00-18:00\"]"), "[\"Mon",
		   "role \"r1\": schedule must be an object, not an array");
	expect_err(ROLE(OKROLE ", \"schedule\": { \"window\": [\"Mon 08:00-09:00\"] }"), "\"window\"",
		   "role \"r1\": schedule: unknown key \"window\"; did you mean \"windows\"?");
	expect_err(ROLE(OKROLE ", \"schedule\": {}"), "{}",
		   "role \"r1\": schedule is empty; give it windows, not_before or not_after");
	expect_err(ROLE(OKROLE ", \"schedule\": { \"windows\": [] }"), "[]",
		   "role \"r1\": schedule windows must not be empty");
	expect_err(ROLE(OKROLE ", \"schedule\": { \"windows\": \"Mon 08:00-09:00\" }"), "\"Mon",
		   "schedule windows must be an array");
	expect_err(ROLE(OKROLE ", \"schedule\": { \"windows\": [8] }"), "8]",
		   "role \"r1\": schedule windows entry must be a string");
	expect_err(ROLE(OKROLE ", \"schedule\": { \"windows\": [\"Mon 08:00-09:00\", "
			"\"Mox 08:00-09:00\"] }"), "\"Mox",
		   "role \"r1\": schedule window \"Mox 08:00-09:00\" has an unknown day \"Mox\"");
	expect_err(ROLE(OKROLE ", \"schedule\": { \"windows\": [\"Mon 18:00-08:00\"] }"), "\"Mon",
		   "ends at or before it starts");
	expect_err(ROLE(OKROLE ", \"schedule\": { \"timezone\": \"\", \"windows\": [\"Mon 08:00-09:00\"] }"),
		   "\"\"", "role \"r1\": schedule timezone must not be empty");
	expect_err(ROLE(OKROLE ", \"schedule\": { \"timezone\": \"../etc/passwd\", \"windows\": "
			"[\"Mon 08:00-09:00\"] }"), "\"../",
		   "role \"r1\": schedule timezone \"../etc/passwd\" is not a time zone name");
	expect_err(ROLE(OKROLE ", \"schedule\": { \"timezone\": \"Europe//Berlin\", \"windows\": "
			"[\"Mon 08:00-09:00\"] }"), "\"Europe", "is not a time zone name");
}

Test(policy_err, schedule_too_many_windows)
{
	expect_err(ROLE(OKROLE ", \"schedule\": { \"windows\": [\"Mon 00:00-01:00\", "
			"\"Mon 00:00-01:00\", \"Mon 00:00-01:00\", \"Mon 00:00-01:00\", \"Mon 00:00-01:00\", "
			"\"Mon 00:00-01:00\", \"Mon 00:00-01:00\", \"Mon 00:00-01:00\", \"Mon 00:00-01:00\", "
			"\"Mon 00:00-01:00\", \"Mon 00:00-01:00\", \"Mon 00:00-01:00\", \"Mon 00:00-01:00\", "
			"\"Mon 00:00-01:00\", \"Mon 00:00-01:00\", \"Mon 00:00-01:00\", \"Mon 00:00-01:00\"] }"),
		   "[\"Mon 00", "role \"r1\": schedule has more than 16 windows");
}

Test(policy_err, schedule_unknown_timezone)
{
	struct stat st;

	if (stat("/usr/share/zoneinfo/Europe/Berlin", &st))
		cr_skip_test("no zone database on this host");
	unsetenv("TZDIR");
	expect_err(ROLE(OKROLE ", \"schedule\": { \"timezone\": \"Europe/Berln\", \"windows\": "
			"[\"Mon 08:00-09:00\"] }"), "\"Europe/Berln\"",
		   "role \"r1\": schedule timezone \"Europe/Berln\" is not a known time zone");
	/* without a zone database the name is only checked for its form */
	setenv("TZDIR", "/nonexistent", 1);
	policy__free(load_ok(ROLE(OKROLE ", \"schedule\": { \"timezone\": \"Europe/Berln\", "
				  "\"windows\": [\"Mon 08:00-09:00\"] }")));
	unsetenv("TZDIR");
}

Test(policy_err, schedule_dates)
{
	expect_err(ROLE(OKROLE ", \"schedule\": { \"not_before\": \"01/03/2026\" }"), "\"01/",
		   "role \"r1\": schedule not_before: date \"01/03/2026\" must be YYYY-MM-DD or RFC 3339");
	expect_err(ROLE(OKROLE ", \"schedule\": { \"not_after\": \"2026-02-30\" }"), "\"2026",
		   "role \"r1\": schedule not_after: date \"2026-02-30\" does not exist");
	expect_err(ROLE(OKROLE ", \"schedule\": { \"not_after\": 20260301 }"), "2026",
		   "schedule not_after must be a string, not a number");
	expect_err(ROLE(OKROLE ", \"schedule\": { \"not_before\": \"2026-03-31\", "
			"\"not_after\": \"2026-03-01\" }"), "\"2026-03-01\"",
		   "role \"r1\": schedule not_after is not later than its not_before");
	/* reported at not_after even when it comes first */
	expect_err(ROLE(OKROLE ", \"schedule\": { \"not_after\": \"2026-03-01T10:00:00Z\", "
			"\"not_before\": \"2026-03-01T11:00:00+01:00\" }"), "\"2026-03-01T10",
		   "not_after is not later than its not_before");
}

Test(policy, schedule_dates)
{
	struct jg_policy *p = load_ok(ROLE(OKROLE ", \"schedule\": { \"not_before\": "
		"\"2026-03-01T09:00:00+01:00\", \"not_after\": \"2026-03-01T18:30:00Z\" }"));

	cr_assert_eq(p->roles[0].schedule.not_before, 1772352000);
	cr_assert_eq(p->roles[0].schedule.not_after, 1772389800);
	cr_assert_eq(p->roles[0].schedule.nwindows, 0);
	policy__free(p);
}

Test(policy_err, auto_approve)
{
	expect_err(ROLE(ALLOW ", " REQ ", \"auto_approve\": true"), "true",
		   "role \"r1\": auto_approve must be an object, not true");
	expect_err(ROLE(ALLOW ", " REQ ", \"auto_approve\": { \"whom\": [\"uid:1\"] }"), "\"whom\"",
		   "role \"r1\": auto_approve: unknown key \"whom\"; did you mean \"who\"?");
	expect_err(ROLE(ALLOW ", " REQ ", \"auto_approve\": { \"who\": [\"uid:1\"], "
			"\"subjects\": [\"uid:2\"] }"), "\"subjects\"",
		   "role \"r1\": auto_approve has both \"who\" and \"subjects\"; they mean the same");
	expect_err(ROLE(ALLOW ", " REQ ", \"auto_approve\": { \"schedule\": { \"windows\": "
			"[\"Mon 08:00-09:00\"] } }"), "\"auto_approve\"",
		   "role \"r1\": auto_approve has no \"who\"");
	expect_err(ROLE(ALLOW ", " REQ ", \"auto_approve\": { \"who\": [\"grp:x\"] }"), "\"grp:x\"",
		   "role \"r1\": auto_approve who: subject \"grp:x\" must be");
	expect_err(ROLE(ALLOW ", " REQ ", \"auto_approve\": { \"who\": [\"uid:1\"], \"schedule\": "
			"{ \"windows\": [\"Sat 12:00-10:00\"] } }"), "\"Sat",
		   "role \"r1\": auto_approve schedule window \"Sat 12:00-10:00\" ends at or before");
}

/* ---- standing rules ---- */

Test(policy_err, standing)
{
	expect_err(STANDING("\"user:backup\""), "\"user:backup\"",
		   "standing rule 1 must be an object, not a string");
	expect_err_n(STANDING("{ \"subject\": \"user:a\", \"allow\": { \"data\": [\"read\"] } },\n"
			      "    { \"subject\": \"user:b\", \"exec\": \"/x\", \"allow\": {} }"),
		     "\"exec\"", 1, "standing rule 2: unknown key \"exec\"; did you mean \"exe\"?");
	expect_err(STANDING("{ \"allow\": { \"data\": [\"read\"] } }"), "{ \"allow\"",
		   "standing rule 1 has no \"subject\"");
	expect_err(STANDING("{ \"subject\": \"user:a\" }"), "{ \"subject\"",
		   "standing rule 1 has no \"allow\"");
	expect_err(STANDING("{ \"subject\": \"usr:a\", \"allow\": { \"data\": [\"read\"] } }"),
		   "\"usr:a\"", "standing rule 1: subject \"usr:a\" must be user:NAME");
	expect_err(STANDING("{ \"subject\": 1000, \"allow\": { \"data\": [\"read\"] } }"),
		   "1000", "standing rule 1: subject must be a string, not a number");
	expect_err(STANDING("{ \"subject\": \"user:a\", \"exe\": \"backupd\", \"allow\": "
			    "{ \"data\": [\"read\"] } }"), "\"backupd\"",
		   "standing rule 1: exe \"backupd\" must be an absolute path");
	expect_err(STANDING("{ \"subject\": \"user:a\", \"allow\": { \"nope\": [\"read\"] } }"),
		   "\"nope\"", "standing rule 1: allow names unknown resource \"nope\"");
	expect_err(STANDING("{ \"subject\": \"user:a\", \"allow\": { \"db\": [\"write\"] } }"),
		   "\"write\"", "resource \"db\" has no \"write\" permission");
}

Test(policy, standing_without_exe)
{
	struct jg_policy *p = load_ok(STANDING("{ \"subject\": \"group:dba\", \"allow\": "
					       "{ \"db\": [\"connect\"] } }"));

	cr_assert_null(p->standing[0].exe);
	cr_assert_eq(p->standing[0].subject.kind, JG_SUBJ_GROUP);
	policy__free(p);
}

/* ---- positions through escapes and non-ASCII text ---- */

Test(policy_err, positions_count_bytes)
{
	/* "é" is two bytes, the escaped quote and \u sequences are several: columns count bytes */
	static const char j[] =
		"{ \"version\": 1, \"resources\": {\n"
		"\t\"x\": { \"description\": \"caf\u00e9 \\\" \\u00e9\", \"files\": [\"rel\"] } } }";

	expect_err_prefix(j, "t.json:2:53: ", "resource \"x\": files \"rel\" must be an absolute path");
}

Test(policy_err, message_escapes_control_bytes)
{
	expect_err(POL("    \"x\": { \"files\": [\"a\\nb\"] }"), "\"a\\n",
		   "files \"a\\x0ab\" must be an absolute path");
}

Test(policy, out_untouched_and_err_null)
{
	struct jg_policy *p = (struct jg_policy *)0x2;

	cr_assert_eq(policy__load_string("{}", "t.json", &p, NULL, 0), -EINVAL);
	cr_assert_eq(p, (struct jg_policy *)0x2);
	cr_assert_eq(policy__load_string(NULL, NULL, &p, NULL, 0), -EINVAL);
}

Test(policy, default_name)
{
	struct jg_policy *p = NULL;
	char err[256];

	cr_assert_eq(policy__load_string("[]", NULL, &p, err, sizeof(err)), -EINVAL);
	cr_assert(!strncmp(err, "policy:1:1: ", 12), "%s", err);
	/* a tiny buffer is truncated, not overrun */
	cr_assert_eq(policy__load_string("[]", "t.json", &p, err, 8), -EINVAL);
	cr_assert_str_eq(err, "t.json:");
}

/* ---- files ---- */

Test(policy_file, io_errors)
{
	struct jg_policy *p = NULL;
	char err[512];

	cr_assert_eq(policy__load_file("/nonexistent/policy.json", &p, err, sizeof(err)), -ENOENT);
	cr_assert_str_eq(err, "/nonexistent/policy.json: No such file or directory");
	cr_assert_null(p);
	cr_assert_eq(policy__load_file("/", &p, err, sizeof(err)), -EISDIR);
	cr_assert_str_eq(err, "/: Is a directory");
}

static char *write_tmp(const void *data, size_t len)
{
	static char path[] = "/tmp/jg-test-policy-XXXXXX";
	int fd;

	strcpy(path, "/tmp/jg-test-policy-XXXXXX");
	fd = mkstemp(path);
	cr_assert(fd >= 0);
	cr_assert_eq(write(fd, data, len), (ssize_t)len);
	close(fd);
	return path;
}

Test(policy_file, from_file_and_raw_nul)
{
	static const char good[] = POL("    \"x\": { \"files\": [\"/srv/x\"] }");
	static const char bad[] = "{ \"version\": 1,\n  \"resources\": {\"x\": {\"files\": [\"/a\0b\"]}}}";
	struct jg_policy *p = NULL;
	char err[512], want[600];
	char *path = write_tmp(good, sizeof(good) - 1);

	cr_assert_eq(policy__load_file(path, &p, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(p->file, path);
	policy__free(p);
	unlink(path);

	p = NULL;
	path = write_tmp(bad, sizeof(bad) - 1);
	cr_assert_eq(policy__load_file(path, &p, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "%s:2:33: invalid JSON: control character 0x0", path);
	cr_assert(!strncmp(err, want, strlen(want)), "want '%s' got '%s'", want, err);
	cr_assert_null(p);
	unlink(path);
}

Test(policy_file, too_large)
{
	size_t n = (4u << 20) + 10;
	char *big = malloc(n), err[512];
	struct jg_policy *p = NULL;

	memset(big, ' ', n);
	char *path = write_tmp(big, n);

	cr_assert_eq(policy__load_file(path, &p, err, sizeof(err)), -EFBIG);
	cr_assert(strstr(err, "larger than 4 MiB"), "%s", err);
	unlink(path);
	free(big);
}

Test(policy_file, every_shipped_policy_parses)
{
	glob_t g;
	char err[1024];

	cr_assert_eq(glob("policies/*.json", 0, NULL, &g), 0, "no policies/*.json; run from the "
		     "repository root");
	cr_assert_geq(g.gl_pathc, 8);
	for (size_t k = 0; k < g.gl_pathc; k++) {
		struct jg_policy *p = NULL;

		cr_assert_eq(policy__load_file(g.gl_pathv[k], &p, err, sizeof(err)), 0, "%s", err);
		cr_assert_gt(p->nresources, 0, "%s", g.gl_pathv[k]);
		policy__free(p);
	}
	globfree(&g);
}

Test(policy_file, example_is_the_brief)
{
	struct jg_policy *p = NULL;
	char err[1024];

	cr_assert_eq(policy__load_file("policies/example.json", &p, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(p->nresources, 5);	/* the brief's four and the built-in gate-admin */
	cr_assert_eq(p->nroles, 1);
	cr_assert_eq(p->nstanding, 1);
	cr_assert_eq(policy__role(p, "db-debug")->max_duration, 7200);
	policy__free(p);
}

Test(policy_file, demo)
{
	struct jg_policy *p = NULL;
	const struct jg_resource *r;
	const struct jg_role *role;
	char err[1024];

	cr_assert_eq(policy__load_file("policies/demo.json", &p, err, sizeof(err)), 0, "%s", err);
	r = policy__resource(p, "prod-secrets");
	cr_assert_str_eq(r->files[0].path, "/srv/prod/secrets");
	r = policy__resource(p, "prod-tools");
	cr_assert_str_eq(r->exec[0].path, "/srv/prod/bin/prodctl");
	r = policy__resource(p, "prod-db");
	cr_assert_eq(r->nconnect, 2);
	cr_assert_str_eq(r->connect[0].text, "127.0.0.1:7000-7010");
	cr_assert_str_eq(r->connect[1].text, "[::1]:7777");
	role = policy__role(p, "db-debug");
	cr_assert_not_null(role);
	cr_assert_eq(role->requesters[0].kind, JG_SUBJ_GROUP);
	cr_assert_str_eq(role->requesters[0].name, "sre");
	cr_assert_str_eq(role->approvers[0].name, "sre-leads");
	policy__free(p);
}

/* ---- jsonpos ---- */

static struct jsonpos *scan(const char *text)
{
	struct jsonpos *jp = NULL;

	cr_assert_eq(jsonpos__scan(text, strlen(text), &jp), 0, "scan failed: %s", text);
	return jp;
}

static void expect_pos(const struct jsonpos *jp, const char *ptr, int vl, int vc, int kl, int kc)
{
	struct jg_pos v, k;

	cr_assert(jsonpos__get(jp, ptr, &v, &k), "no entry for '%s'", ptr);
	cr_assert(v.line == vl && v.col == vc, "'%s' value at %d:%d, want %d:%d", ptr, v.line,
		  v.col, vl, vc);
	cr_assert(k.line == kl && k.col == kc, "'%s' key at %d:%d, want %d:%d", ptr, k.line,
		  k.col, kl, kc);
}

Test(jsonpos, nested)
{
	static const char t[] =
		"{\"a\": {\"b\": [1, {\"c\": \"x\"}, []]},\n"
		" \"d\" :null, \"e\": [ [ true ] ], \"f\": -1.5e3}";
	struct jsonpos *jp = scan(t);

	cr_assert_eq(jsonpos__count(jp), 12);
	expect_pos(jp, "", 1, 1, 0, 0);
	expect_pos(jp, "/a", 1, 7, 1, 2);
	expect_pos(jp, "/a/b", 1, 13, 1, 8);
	expect_pos(jp, "/a/b/0", 1, 14, 0, 0);
	expect_pos(jp, "/a/b/1", 1, 17, 0, 0);
	expect_pos(jp, "/a/b/1/c", 1, 23, 1, 18);
	expect_pos(jp, "/a/b/2", 1, 29, 0, 0);
	expect_pos(jp, "/d", 2, 7, 2, 2);
	expect_pos(jp, "/e", 2, 18, 2, 13);
	expect_pos(jp, "/e/0", 2, 20, 0, 0);
	expect_pos(jp, "/e/0/0", 2, 22, 0, 0);
	expect_pos(jp, "/f", 2, 37, 2, 32);
	cr_assert_not(jsonpos__get(jp, "/a/b/3", NULL, NULL));
	cr_assert_not(jsonpos__get(jp, "/a/c", NULL, NULL));
	cr_assert_not(jsonpos__get(jp, "a", NULL, NULL));
	jsonpos__free(jp);
}

Test(jsonpos, fallback_to_parent)
{
	struct jsonpos *jp = scan("\n  {\"a\": {\"b\": [10, 20]}}");
	struct jg_pos p;

	p = jsonpos__value(jp, "/a/b/1");
	cr_assert(p.line == 2 && p.col == 20, "%d:%d", p.line, p.col);
	p = jsonpos__value(jp, "/a/b/7/x");
	cr_assert(p.line == 2 && p.col == 15, "%d:%d", p.line, p.col);
	p = jsonpos__key(jp, "/a/b/7/x");	/* parent /a/b is a member: its key */
	cr_assert(p.line == 2 && p.col == 10, "%d:%d", p.line, p.col);
	p = jsonpos__key(jp, "/a/b/1");		/* array element: its value */
	cr_assert(p.line == 2 && p.col == 20);
	p = jsonpos__value(jp, "/zz");
	cr_assert(p.line == 2 && p.col == 3);
	p = jsonpos__key(jp, "");
	cr_assert(p.line == 2 && p.col == 3);
	p = jsonpos__value(jp, "bogus");
	cr_assert(p.line == 2 && p.col == 3);
	p = jsonpos__value(NULL, "/a");
	cr_assert(p.line == 1 && p.col == 1);
	jsonpos__free(jp);
	jsonpos__free(NULL);
}

Test(jsonpos, escaped_keys)
{
	static const char t[] =
		"{\"a/b\": 1, \"m~n\": 2, \"q\\\"x\": 3, \"\\u00e9t\\u00E9\": 4, \"\\ud83d\\ude00\": 5,\n"
		" \"t\\tk\\/\": 6, \"\u00fc\": 7, \"~1\": 8, \"\": 9}";
	struct jsonpos *jp = scan(t);

	expect_pos(jp, "/a~1b", 1, 9, 1, 2);
	expect_pos(jp, "/m~0n", 1, 19, 1, 12);
	expect_pos(jp, "/q\"x", 1, 30, 1, 22);
	expect_pos(jp, "/\u00e9t\u00e9", 1, 50, 1, 33);
	expect_pos(jp, "/\xf0\x9f\x98\x80", 1, 69, 1, 53);
	expect_pos(jp, "/t\tk~1", 2, 12, 2, 2);
	expect_pos(jp, "/\u00fc", 2, 21, 2, 15);	/* ü is two bytes */
	expect_pos(jp, "/~01", 2, 30, 2, 24);
	expect_pos(jp, "/", 2, 37, 2, 33);
	jsonpos__free(jp);
}

Test(jsonpos, strings_with_escapes_do_not_shift)
{
	struct jsonpos *jp = scan("{\"s\": \"a\\\"b\\\\\", \"u\": \"\\u20ac\u20ac{[\", \"t\": 1}");

	expect_pos(jp, "/t", 1, 42, 1, 37);
	jsonpos__free(jp);
}

Test(jsonpos, crlf_and_tabs)
{
	struct jsonpos *jp = scan("{\r\n\t\"a\":\r\n\t\t[1,\r\n 2]}");

	expect_pos(jp, "/a", 3, 3, 2, 2);
	expect_pos(jp, "/a/1", 4, 2, 0, 0);
	jsonpos__free(jp);
}

Test(jsonpos, scalar_root_and_empty)
{
	struct jsonpos *jp = scan("  42 ");

	expect_pos(jp, "", 1, 3, 0, 0);
	cr_assert_eq(jsonpos__count(jp), 1);
	jsonpos__free(jp);
	jp = scan("{}");
	cr_assert_eq(jsonpos__count(jp), 1);
	jsonpos__free(jp);
}

Test(jsonpos, malformed)
{
	static const char *bad[] = {
		"", "{", "{\"a\"}", "{\"a\":}", "[1,]x", "[1 2]", "{\"a\":1,}", "\"abc",
		"\"\\x\"", "\"\\u12\"", "\"\\ud800\"", "{\"\\ud800x\": 1}", "\"\\udc00\"", "[1] [2]",
		"{\"a\\u0000\": 1}", "\"a\nb\"", "{1: 2}", "[\x01]",
	};
	static const char good[] = "{\"a\": [1, {\"b\": \"c\\u00e9\"}, null], \"d\": true}";

	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		struct jsonpos *jp = (struct jsonpos *)0x1;

		cr_assert_eq(jsonpos__scan(bad[k], strlen(bad[k]), &jp), -EINVAL, "'%s'", bad[k]);
		cr_assert_eq(jp, (struct jsonpos *)0x1);
	}
	/* every proper prefix of a document is malformed; none may crash or leak */
	for (size_t n = 0; n < sizeof(good) - 1; n++) {
		struct jsonpos *jp = NULL;

		cr_assert_eq(jsonpos__scan(good, n, &jp), -EINVAL, "prefix %zu", n);
	}
	/* a NUL byte in the middle is not JSON */
	struct jsonpos *jp = NULL;
	cr_assert_eq(jsonpos__scan("[1,\0 2]", 7, &jp), -EINVAL);
}

Test(jsonpos, deep)
{
	size_t n = 3000;
	char *t = malloc(2 * n + 1);
	struct jsonpos *jp = NULL;

	memset(t, '[', n);
	memset(t + n, ']', n);
	t[2 * n] = '\0';
	cr_assert_eq(jsonpos__scan(t, 2 * n, &jp), -EINVAL);	/* deeper than jansson allows */
	t[0] = ' ';
	t[2 * n - 1] = ' ';
	memset(t, ' ', 1000);
	memset(t + 2 * n - 1000, ' ', 1000);
	cr_assert_eq(jsonpos__scan(t, 2 * n, &jp), 0);
	cr_assert_eq(jsonpos__count(jp), 2000);
	jsonpos__free(jp);
	free(t);
}

Test(jsonpos, child_pointer)
{
	char buf[16];

	cr_assert_eq(jsonpos__child(buf, sizeof(buf), "", "a/b~c"), 8);
	cr_assert_str_eq(buf, "/a~1b~0c");
	cr_assert_eq(jsonpos__child(buf, sizeof(buf), buf, "x"), 10);
	cr_assert_str_eq(buf, "/a~1b~0c/x");
	cr_assert_eq(jsonpos__child(buf, sizeof(buf), buf, "toolong"), -ENAMETOOLONG);
	cr_assert_str_eq(buf, "/a~1b~0c/x");	/* falls back to the parent */
	cr_assert_eq(jsonpos__index(buf, sizeof(buf), buf, 12), 13);
	cr_assert_str_eq(buf, "/a~1b~0c/x/12");
	cr_assert_eq(jsonpos__child(buf, sizeof(buf), "/r", "~~~~~~~"), -ENAMETOOLONG);
	cr_assert_str_eq(buf, "/r");
	cr_assert_eq(jsonpos__child(buf, sizeof(buf), "", ""), 1);
	cr_assert_str_eq(buf, "/");
}

Test(jsonpos, offsets_and_tokens)
{
	static const char t[] = "{\"ab\": tru,\n  \"c\": 12}";
	struct jg_pos p;

	p = jsonpos__offset_pos(t, strlen(t), 0);
	cr_assert(p.line == 1 && p.col == 1);
	p = jsonpos__offset_pos(t, strlen(t), 14);
	cr_assert(p.line == 2 && p.col == 3, "%d:%d", p.line, p.col);
	p = jsonpos__offset_pos(t, strlen(t), 999);	/* clamps to the last byte */
	cr_assert(p.line == 2 && p.col == 10, "%d:%d", p.line, p.col);
	p = jsonpos__offset_pos("", 0, 5);
	cr_assert(p.line == 1 && p.col == 1);

	cr_assert_eq(jsonpos__token_start(t, strlen(t), 9), 7);		/* in "tru" */
	cr_assert_eq(jsonpos__token_start(t, strlen(t), 3), 1);		/* in "ab" */
	cr_assert_eq(jsonpos__token_start(t, strlen(t), 5), 5);		/* ':' */
	cr_assert_eq(jsonpos__token_start(t, strlen(t), 6), 6);		/* blank */
	cr_assert_eq(jsonpos__token_start(t, strlen(t), 20), 19);	/* in 12 */
	cr_assert_eq(jsonpos__token_start(t, strlen(t), 99), 99);
	cr_assert_eq(jsonpos__token_start("\"a\\\"b\" x", 8, 4), 0);	/* escaped quote */
	cr_assert_eq(jsonpos__token_start("[\0\0]", 4, 2), 1);		/* stray NULs */
}

/* ---- the gate-admin resource ---- */

Test(policy, gate_admin_declared)
{
	struct jg_policy *p = load_ok(
		"{\"version\": 1, \"resources\": {"
		"\"admin\": {\"description\": \"jitgate itself\", \"gate\": {\"admin\": true}},"
		"\"root\": {\"elevate\": {}}},"
		"\"roles\": {\"gate\": {\"allow\": {\"admin\": [\"admin\"], \"root\": [\"elevate\"]},"
		"\"requesters\": [\"group:sre\"], \"approvers\": [\"group:sre-leads\"]}}}");

	cr_assert_eq(p->nresources, 2);	/* declared: no built-in beside it */
	cr_assert_str_eq(policy__gate_admin(p)->name, "admin");
	cr_assert_eq(policy__gate_admin(p)->kinds, JG_RES_GATE);
	cr_assert_not(policy__gate_admin(p)->builtin);
	cr_assert_eq(policy__role(p, "gate")->allow[0].perms, JG_PERM_ADMIN);
	policy__free(p);
}

Test(policy, gate_admin_builtin_in_roles)
{
	struct jg_policy *p = load_ok(
		"{\"version\": 1, \"resources\": {\"root\": {\"elevate\": {}}},"
		"\"roles\": {\"prod-root\": {\"allow\": {\"root\": [\"elevate\"], "
		"\"gate-admin\": [\"admin\"]}, \"requesters\": [\"group:sre\"], "
		"\"approvers\": [\"group:sre-leads\"], \"max_duration\": \"45m\"}}}");

	cr_assert_str_eq(policy__gate_admin(p)->name, "gate-admin");
	cr_assert(policy__gate_admin(p)->builtin);
	cr_assert_eq(policy__role(p, "prod-root")->allow[1].perms, JG_PERM_ADMIN);
	policy__free(p);
}

Test(policy, gate_admin_errors)
{
	expect_err("{\"version\": 1, \"resources\": {\"g\": {\"gate\": {\"admin\": false}}}}",
		   "{\"admin\": false}", "resource \"g\": gate must be {\"admin\": true}");
	expect_err("{\"version\": 1, \"resources\": {\"g\": {\"gate\": {\"admin\": true, "
		   "\"x\": 1}}}}", "\"x\"", "unknown key");
	expect_err("{\"version\": 1, \"resources\": {\"g\": {\"gate\": {\"admin\": true}, "
		   "\"files\": [\"/srv\"]}}}", "\"g\"", "\"gate\" stands alone");
	expect_err("{\"version\": 1, \"resources\": {\"g\": {\"gate\": {\"admin\": true}}, "
		   "\"h\": {\"gate\": {\"admin\": true}}}}", "\"h\"",
		   "a policy has one gate-admin resource, and \"g\" is it already");
	expect_err("{\"version\": 1, \"resources\": {\"gate-admin\": {\"files\": [\"/srv\"]}}}",
		   "\"gate-admin\"", "is the built-in gate administration resource");
	expect_err("{\"version\": 1, \"resources\": {\"f\": {\"files\": [\"/srv\"]}}, \"roles\": "
		   "{\"r\": {\"allow\": {\"gate-admin\": [\"read\"]}, \"requesters\": [\"user:a\"], "
		   "\"approvers\": [\"user:b\"]}}}", "\"read\"",
		   "resource \"gate-admin\" has no \"read\" permission; it takes admin");
}
