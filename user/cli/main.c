// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* jitgate: the command line. Everything that changes state goes through jitgated (its socket,
 * docs/protocol.md); only `status` (when the daemon is down), `policy check` and `unload` (when
 * the daemon is down) look at the host themselves. docs/cli.md documents every command. */
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
#ifdef JG_HAVE_QRENCODE
#include <qrencode.h>
#endif
#include "jitgate.h"
#include "audit/audit.h"
#include "audit/auditchain.h"
#include "policy/compile.h"
#include "gate/gate.h"
#include "lib/defaults.h"
#include "lib/duration.h"
#include "workflow/grants.h"
#include "lib/log.h"
#include "policy/policy.h"
#include "lib/proto.h"
#include "workflow/workflow.h"

#define JG_CANARY_DEFAULT  "/run/jitgate/" JG_CANARY_NAME
#define JG_SOCKET_ENV      "JITGATE_SOCKET"
#define JG_CANARY_ENV      "JITGATE_CANARY"	/* for tests and non-default daemon configs */

/* Long enough for a policy reload that walks big trees, or an unload. */
#define CALL_TIMEOUT_MS 30000
/* status answers from memory; a daemon this slow counts as unreachable. */
#define STATUS_TIMEOUT_MS 5000

/* Exit statuses. */
#define EXIT_OK    0
#define EXIT_FAIL  1
#define EXIT_USAGE 2

static struct {
	const char *socket;
	const char *pin_dir;
	const char *canary;
	char run_dir[256];	/* the socket's directory: jitgated keeps its lock and canary there */
	char canary_buf[300];
} env = {
	.socket = JG_SOCKET_DEFAULT,
	.pin_dir = JG_PIN_DIR_DEFAULT,
};

/* ---- small helpers ---- */

__attribute__((format(printf, 2, 3)))
static int usage_error(const char *cmd, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pr_warn("%s; see 'jitgate %s--help'", msg, cmd ? cmd : "");
	return EXIT_USAGE;
}

/* getopt_long's complaint, reworded: c is '?' or ':' (optstring starts with ':'). */
static int bad_option(const char *cmd, int c, char **argv)
{
	const char *arg = optind > 0 ? argv[optind - 1] : "";
	char opt[64];

	if (!strncmp(arg, "--", 2))	/* a long option, possibly "--name=value" */
		snprintf(opt, sizeof(opt), "%.*s", (int)strcspn(arg, "="), arg);
	else if (optopt)
		snprintf(opt, sizeof(opt), "-%c", optopt);
	else
		snprintf(opt, sizeof(opt), "%s", arg);
	if (c == ':')
		return usage_error(cmd, "option '%s' needs a value", opt);
	return usage_error(cmd, "unknown option '%s'", opt);
}

static const char *errno_name(int err)
{
	const char *name = strerrorname_np(err);

	return name ? name : "EIO";
}

/* A copy of s safe to print on a terminal: C0 and C1 control characters (the latter as
 * UTF-8, U+0080..U+009F) become '?', so daemon-supplied text cannot drive the terminal. */
static char *clean(const char *s)
{
	char *c = strdup(s ? s : "");

	if (!c) {
		pr_warn("out of memory");
		exit(EXIT_FAIL);
	}
	for (unsigned char *p = (unsigned char *)c; *p; p++) {
		if (*p < 0x20 || *p == 0x7f) {
			*p = '?';
		} else if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
			p[0] = p[1] = '?';
			p++;
		}
	}
	return c;
}

/* Display width of UTF-8 text (code points; good enough for names and reasons). */
static size_t width(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

static void print_json(json_t *j)
{
	/* Insertion order: keys stay where jitgated (or this file) put them. */
	json_dumpf(j, stdout, JSON_INDENT(2));
	fputc('\n', stdout);
}

static const char *jstr(json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

/* RFC 3339 ("2026-11-22T19:30:00.123456789Z", any offset) or unix seconds -> time_t. */
static int json_time(json_t *v, time_t *out)
{
	struct tm tm = { 0 };
	const char *s, *p;
	long off = 0;

	if (json_is_integer(v)) {
		*out = (time_t)json_integer_value(v);
		return 0;
	}
	s = json_string_value(v);
	if (!s)
		return -EINVAL;
	p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!p)
		return -EINVAL;
	if (*p == '.')
		for (p++; isdigit((unsigned char)*p); p++)
			;
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if ((*p == '+' || *p == '-') && isdigit((unsigned char)p[1]) &&
		   isdigit((unsigned char)p[2]) && p[3] == ':' && isdigit((unsigned char)p[4]) &&
		   isdigit((unsigned char)p[5])) {
		off = ((p[1] - '0') * 10 + (p[2] - '0')) * 3600 +
		      ((p[4] - '0') * 10 + (p[5] - '0')) * 60;
		if (*p == '-')
			off = -off;
		p += 6;
	} else {
		return -EINVAL;
	}
	if (*p)
		return -EINVAL;
	*out = timegm(&tm) - off;
	return 0;
}

static char *local_time(time_t t, char *buf, size_t len)
{
	struct tm tm;

	if (!localtime_r(&t, &tm) || !strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm))
		snprintf(buf, len, "?");
	return buf;
}

static const char *plural(size_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

/* Missing, empty or only white space: not a reason. */
static bool blank(const char *s)
{
	return !s || !s[strspn(s, " \t\r\n")];
}

static bool is_not_running(int ret)
{
	return ret == -ENOENT || ret == -ECONNREFUSED;
}

/* Call the daemon; on failure print its (or our) sentence and return the -errno. */
static int call(const char *cmd, json_t *args, json_t **reply, json_t **result)
{
	char err[1024] = "";
	int ret;

	ret = proto__call(env.socket, cmd, args, CALL_TIMEOUT_MS, reply, result, err,
			  sizeof(err));
	if (ret) {
		pr_warn("%s", err);
		json_decref(*reply);
		*reply = NULL;
	}
	return ret;
}

/* ---- status ---- */

static const char status_help[] =
"Usage: jitgate status [--json]\n"
"\n"
"Show whether the gate is loaded and enforcing. Exit status 0 only while it is; otherwise 1,\n"
"with one sentence on stderr saying why.\n"
"\n"
"When jitgated answers, its report is shown. When it does not run, jitgate decides on its\n"
"own: the gate is loaded if PIN_DIR/link_file_open exists, and enforcing if opening the\n"
"canary is refused (the gate denies it to everybody). The canary is the file 'canary'\n"
"beside the socket (" JG_CANARY_DEFAULT "), or $" JG_CANARY_ENV ".\n"
"\n"
"Options:\n"
"  --json      print the report as JSON (see docs/cli.md)\n"
"  -h, --help  show this help\n"
"\n"
"EXAMPLES\n"
"  jitgate status\n"
"  jitgate status --json | jq .grants\n"
"  jitgate status >/dev/null && echo protected\n";

struct local_state {
	int loaded;		/* 1 yes, 0 no, -1 cannot tell */
	char loaded_why[1024];	/* when -1 */
	int canary_err;		/* errno of open(canary), 0 = it opened */
	bool canary_dac_ok;	/* file modes alone would let us read it */
	bool enforcing;
	char why[1024];		/* when !enforcing */
};

static void local_check(struct local_state *st)
{
	char path[512];
	struct stat sb;
	int fd;

	memset(st, 0, sizeof(*st));
	gate__marker_path(env.pin_dir, path, sizeof(path));
	if (stat(path, &sb) == 0) {
		st->loaded = 1;
	} else if (errno == ENOENT || errno == ENOTDIR) {
		st->loaded = 0;
	} else {
		st->loaded = -1;
		if (errno == EACCES || errno == EPERM)
			snprintf(st->loaded_why, sizeof(st->loaded_why),
				 "permission denied on %s (root can tell)", env.pin_dir);
		else
			snprintf(st->loaded_why, sizeof(st->loaded_why), "cannot stat %s: %s", path,
				 strerror(errno));
	}

	/* access() asks the file modes only (the gate hooks file_open, not permission
	 * checks): a denial is proof only when the modes would have let us in. */
	st->canary_dac_ok = faccessat(AT_FDCWD, env.canary, R_OK, AT_EACCESS) == 0;
	fd = open(env.canary, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd >= 0) {
		st->canary_err = 0;
		close(fd);
	} else {
		st->canary_err = errno;
	}

	if (st->loaded == 0) {
		snprintf(st->why, sizeof(st->why), "the gate is not loaded (nothing pinned at %s)",
			 env.pin_dir);
	} else if (st->canary_err == 0) {
		snprintf(st->why, sizeof(st->why), "the gate is not enforcing: the canary %s "
			 "opened although the gate protects it", env.canary);
	} else if (st->canary_err == ENOENT) {
		snprintf(st->why, sizeof(st->why), "cannot prove enforcement: there is no canary "
			 "file at %s", env.canary);
	} else if (st->canary_err != EACCES && st->canary_err != EPERM) {
		snprintf(st->why, sizeof(st->why), "cannot prove enforcement: opening the canary "
			 "%s failed: %s", env.canary, strerror(st->canary_err));
	} else if (!st->canary_dac_ok) {
		snprintf(st->why, sizeof(st->why), "cannot prove enforcement: the file modes of "
			 "the canary %s deny it to uid %u anyway", env.canary, (unsigned)geteuid());
	} else {
		st->enforcing = true;
	}
}

static void print_row(const char *label, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void print_row(const char *label, const char *fmt, ...)
{
	char l[32];
	va_list ap;

	snprintf(l, sizeof(l), "%s:", label);
	printf("%-11s", l);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static int status_local(bool json, int call_ret, const char *call_err)
{
	struct local_state st;
	const char *daemon_state = is_not_running(call_ret) ? "daemon not running" :
				   "daemon unreachable";

	local_check(&st);
	if (json) {
		json_t *o = json_pack("{s:b,s:n,s:s,s:n,s:{s:s,s:o,s:s,s:s},s:n,s:n}",
				      "enforcing", st.enforcing, "daemon", "daemon_error", call_err,
				      "policy", "gate", "pin_dir", env.pin_dir, "loaded",
				      st.loaded < 0 ? json_null() : json_boolean(st.loaded),
				      "canary", env.canary, "canary_open",
				      st.canary_err ? errno_name(st.canary_err) : "ok",
				      "grants", "stats");

		if (!o) {
			pr_warn("out of memory");
			return EXIT_FAIL;
		}
		print_json(o);
		json_decref(o);
	} else {
		char *e = clean(call_err);

		if (st.enforcing)
			print_row("enforcing", "yes (%s; grants still expire in the kernel)",
				  daemon_state);
		else
			print_row("enforcing", "no (%s)", daemon_state);
		print_row("daemon", "%s", e);
		if (st.loaded > 0)
			print_row("gate", "loaded (%s)", env.pin_dir);
		else if (st.loaded == 0)
			print_row("gate", "not loaded (nothing pinned at %s)", env.pin_dir);
		else
			print_row("gate", "unknown: %s", st.loaded_why);
		if ((st.canary_err == EACCES || st.canary_err == EPERM) && !st.canary_dac_ok)
			print_row("canary", "%s refused (%s) by its file modes", env.canary,
				  errno_name(st.canary_err));
		else if (st.canary_err == EACCES || st.canary_err == EPERM)
			print_row("canary", "%s refused (%s)", env.canary,
				  errno_name(st.canary_err));
		else if (st.canary_err)
			print_row("canary", "%s cannot be opened (%s)", env.canary,
				  errno_name(st.canary_err));
		else
			print_row("canary", "%s opened", env.canary);
		free(e);
	}
	if (!st.enforcing) {
		pr_warn("%s", st.why);
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

static long long jint(json_t *obj, const char *key, long long dflt)
{
	json_t *v = json_object_get(obj, key);

	return json_is_integer(v) ? (long long)json_integer_value(v) : dflt;
}

static void status_human(json_t *r, bool enforcing)
{
	json_t *d = json_object_get(r, "daemon"), *p = json_object_get(r, "policy");
	json_t *g = json_object_get(r, "gate"), *gr = json_object_get(r, "grants");
	json_t *s = json_object_get(r, "stats");
	char buf[64], tbuf[64];
	time_t t;

	print_row("enforcing", "%s", enforcing ? "yes" : "no");
	if (json_is_object(d)) {
		char *v = clean(jstr(d, "version"));

		printf("%-11s", "daemon:");
		printf("pid %lld", jint(d, "pid", 0));
		if (!json_time(json_object_get(d, "started"), &t)) {
			time_t now = time(NULL);

			printf(", up %s", duration__format(now > t ? (uint64_t)(now - t) : 0, buf,
							   sizeof(buf)));
		}
		if (*v)
			printf(", version %s", v);
		putchar('\n');
		free(v);
	}
	if (json_is_object(p)) {
		json_t *res = json_object_get(p, "resources");
		char *f = clean(jstr(p, "file"));

		const char *sep = " (";

		printf("%-11s%s", "policy:", *f ? f : "(none)");
		if (json_is_integer(res) || json_is_array(res)) {
			long long n = json_is_integer(res) ? (long long)json_integer_value(res) :
				      (long long)json_array_size(res);

			printf("%s%lld %s", sep, n, plural((size_t)n, "resource", "resources"));
			sep = ", ";
		}
		if (json_is_integer(json_object_get(p, "roles"))) {
			long long n = jint(p, "roles", 0);

			printf("%s%lld %s", sep, n, plural((size_t)n, "role", "roles"));
			sep = ", ";
		}
		if (!json_time(json_object_get(p, "loaded"), &t)) {
			printf("%sloaded %s", sep, local_time(t, tbuf, sizeof(tbuf)));
			sep = ", ";
		}
		printf("%s\n", strcmp(sep, " (") ? ")" : "");
		free(f);
	}
	if (json_is_object(g)) {
		json_t *progs = json_object_get(g, "programs"), *rc;
		char *pd = clean(jstr(g, "pin_dir"));

		printf("%-11s%s", "gate:", *pd ? pd : env.pin_dir);
		if (json_is_array(progs)) {
			printf(" (");
			for (size_t i = 0; i < json_array_size(progs); i++) {
				char *n = clean(json_string_value(json_array_get(progs, i)));

				printf("%s%s", i ? ", " : "", n);
				free(n);
			}
			printf(")");
		}
		if (json_is_true(json_object_get(g, "adopted")))
			printf(", adopted from pins");
		putchar('\n');
		rc = json_object_get(g, "recheck");
		if (json_is_object(rc)) {
			/* the descriptor re-check: on while a read/write grant or a held file lives */
			if (json_is_true(json_object_get(rc, "armed")))
				print_row("recheck", "armed (file_permission attached), %lld %s held "
					  "under grants", jint(rc, "held_files", 0),
					  plural((size_t)jint(rc, "held_files", 0), "file", "files"));
			else
				print_row("recheck", "idle (file_permission detached: no read or "
					  "write grant, standing rule or held file)");
			if (jint(rc, "held_full", 0))
				printf("%-11s%lld opens found the held-file map full: armed until "
				       "unload\n", "", jint(rc, "held_full", 0));
			if (jint(rc, "unarmed", 0))
				printf("%-11s%lld granted opens refused with the re-check off\n", "",
				       jint(rc, "unarmed", 0));
		}
		if (jstr(g, "canary")) {
			char *cn = clean(jstr(g, "canary"));

			print_row("canary", "%s", cn);
			free(cn);
		}
		free(pd);
	}
	if (json_is_object(gr))
		print_row("grants", "%lld live / %lld capacity", jint(gr, "live", 0),
			  jint(gr, "capacity", JG_MAX_GRANTS));
	if (json_is_object(gr) && (jint(gr, "forged", 0) || jint(gr, "corrected", 0) ||
				   jint(gr, "restored", 0)))
		print_row("tampering", "%lld forged grants removed, %lld corrected, %lld restored "
			  "(written behind jitgated; see the audit log)", jint(gr, "forged", 0),
			  jint(gr, "corrected", 0), jint(gr, "restored", 0));
	if (json_is_object(s)) {
		printf("%-11s%lld denied, %lld allowed by grants, %lld audited, %lld events lost",
		       "events:", jint(s, "deny", 0), jint(s, "allow", 0), jint(s, "audit", 0),
		       jint(s, "events_lost", 0));
		printf(", %lld priority events lost", jint(s, "prio_lost", 0));
		if (jint(s, "suppressed", 0))
			printf(", %lld denials not streamed (rate limit)", jint(s, "suppressed", 0));
		if (jint(s, "tainted", 0))
			printf(", %lld standing rules refused to tainted processes",
			       jint(s, "tainted", 0));
		if (jint(s, "too_deep", 0))
			printf(", %lld denied as too deep", jint(s, "too_deep", 0));
		if (jint(s, "disconnected", 0))
			printf(", %lld denied as disconnected", jint(s, "disconnected", 0));
		if (jint(s, "rebind", 0))
			printf(", %lld protections carried to a new inode", jint(s, "rebind", 0));
		if (jint(s, "rebind_full", 0))
			printf(", %lld NOT carried (objects map full)", jint(s, "rebind_full", 0));
		if (jint(s, "audit_write_errors", 0))
			printf(", %lld audit write errors", jint(s, "audit_write_errors", 0));
		putchar('\n');
	}
}

static int do_status(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	json_t *reply = NULL, *result = NULL;
	char err[1024] = "";
	bool json = false, enforcing;
	int c, ret;

	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case 'h': fputs(status_help, stdout); return EXIT_OK;
		default: return bad_option("status ", c, argv);
		}
	}
	if (optind < argc)
		return usage_error("status ", "unexpected argument '%s'", argv[optind]);

	ret = proto__call(env.socket, "status", NULL, STATUS_TIMEOUT_MS, &reply, &result, err,
			  sizeof(err));
	if (ret == -EREMOTEIO || ret == -EPROTO) {
		pr_warn("%s", err);
		json_decref(reply);
		return EXIT_FAIL;
	}
	if (ret) {
		pr_debug("%s; checking the kernel side directly", err);
		return status_local(json, ret, err);
	}
	enforcing = json_is_true(json_object_get(result, "enforcing"));
	if (json)
		print_json(result);
	else
		status_human(result, enforcing);
	if (!enforcing) {
		const char *why = jstr(result, "reason");
		char *w;

		if (!why || !*why)	/* jitgated puts its canary verdict there */
			why = jstr(json_object_get(result, "gate"), "canary");
		w = clean(why);

		if (why && *why)
			pr_warn("the gate is not enforcing: %s", w);
		else
			pr_warn("jitgated reports that the gate is not enforcing");
		free(w);
	}
	json_decref(reply);
	return enforcing ? EXIT_OK : EXIT_FAIL;
}

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
			pr_warn("out of memory");
			return EXIT_FAIL;
		}
		merged_bits[i] = 0;
		(*nmerged)++;
	}
	merged_bits[i] |= a.perms;
	return 0;
}

static int do_grant(int argc, char **argv)
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

	if (!allow) {
		pr_warn("out of memory");
		return EXIT_FAIL;
	}
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
	if (optind < argc) {
		ret = usage_error("grant ", "unexpected argument '%s'", argv[optind]);
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
		pr_warn("out of memory");
		ret = EXIT_FAIL;
		goto cleanup;
	}
	if (call("grant", args, &reply, &result)) {
		ret = EXIT_FAIL;
		goto cleanup;
	}
	grant = json_object_get(result, "grant");
	if (!json_is_object(grant) || !jstr(grant, "id")) {
		pr_warn("malformed reply from jitgated: the grant has no id");
		ret = EXIT_FAIL;
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

static int do_revoke(int argc, char **argv)
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
	if (optind < argc)
		id = argv[optind++];
	if (optind < argc)
		return usage_error("revoke ", "unexpected argument '%s'", argv[optind]);
	if (!id == !user)
		return usage_error("revoke ", "name a grant ID or --user USER (one of them)");
	if ((id && !*id) || (user && !*user))
		return usage_error("revoke ", "%s must not be empty", id ? "the grant ID" : "--user");

	args = id ? json_pack("{s:s}", "id", id) : json_pack("{s:s}", "user", user);
	if (args && reason)
		json_object_set_new(args, "reason", json_string(reason));
	if (!args) {
		pr_warn("out of memory");
		return EXIT_FAIL;
	}
	if (call("revoke", args, &reply, &result))
		return EXIT_FAIL;
	revoked = json_object_get(result, "revoked");
	if (!json_is_array(revoked)) {
		pr_warn("malformed reply from jitgated: no \"revoked\" list");
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

static char *grant_resources(json_t *grant)
{
	json_t *allow = json_object_get(grant, "allow");
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return clean("?");
	for (size_t i = 0; i < json_array_size(allow); i++) {
		json_t *a = json_array_get(allow, i), *perms = json_object_get(a, "perms");

		fprintf(f, "%s%s:", i ? "; " : "", jstr(a, "resource") ?: "?");
		for (size_t k = 0; k < json_array_size(perms); k++)
			fprintf(f, "%s%s", k ? "," : "", json_string_value(json_array_get(perms, k)) ?: "?");
	}
	fclose(f);
	{
		char *c = clean(buf);

		free(buf);
		return c;
	}
}

static int do_list(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	static const char *const head[NCOLS] = { "ID", "USER", "RESOURCES", "EXPIRES", "LEFT",
						 "REASON" };
	json_t *reply = NULL, *result = NULL, *grants = NULL;
	char *(*rows)[NCOLS] = NULL;
	size_t w[NCOLS], n;
	bool json = false;
	int c, ret = EXIT_OK;

	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case 'h': fputs(list_help, stdout); return EXIT_OK;
		default: return bad_option("list ", c, argv);
		}
	}
	if (optind < argc)
		return usage_error("list ", "unexpected argument '%s'", argv[optind]);
	if (call("list", NULL, &reply, &result))
		return EXIT_FAIL;
	grants = json_object_get(result, "grants");
	if (!json_is_array(grants)) {
		pr_warn("malformed reply from jitgated: no \"grants\" list");
		ret = EXIT_FAIL;
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
		pr_warn("out of memory");
		ret = EXIT_FAIL;
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
				pr_warn("out of memory");
				ret = EXIT_FAIL;
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

/* ---- policy ---- */

static const char policy_help[] =
"Usage: jitgate policy check [--json] [FILE]...\n"
"       jitgate policy reload [--json]\n"
"\n"
"check   Validate policy files here, without jitgated: parse them and resolve their paths on\n"
"        this host as the daemon would. FILE defaults to " JG_POLICY_DEFAULT ".\n"
"        Errors are printed as FILE:LINE:COLUMN: message. Exit 1 if any file is bad.\n"
"reload  Make jitgated load its policy file again (admins only). A bad policy is refused\n"
"        whole and the running one stays.\n"
"\n"
"Options:\n"
"  --json      check: one JSON object per file; reload: jitgated's answer\n"
"  -h, --help  show this help\n"
"\n"
"EXAMPLES\n"
"  jitgate policy check /etc/jitgate/policy.json\n"
"  jitgate policy check new.json && cp new.json /etc/jitgate/policy.json && "
"jitgate policy reload\n";

/* Say what a connect endpoint on loopback protects besides the address written. */
static void print_loopback_spread(const char *file, const struct jg_compiled *c)
{
	char a[64];

	if (!c->nloopback_eps)
		return;
	printf("%s: %zu connect %s on loopback also %s %s ports on 127.0.0.0/8, ::1", file,
	       c->nloopback_eps, plural(c->nloopback_eps, "endpoint", "endpoints"),
	       plural(c->nloopback_eps, "protects", "protect"),
	       plural(c->nloopback_eps, "its", "their"));
	for (size_t i = 0; i < c->nhosts; i++)
		printf(", %s", compile__addr_text(c->hosts[i], a, sizeof(a)));
	printf("%s\n", c->nhosts ? " (this host's addresses now: reload the policy when they "
	       "change)" : "");
}

static int policy_check_one(const char *file, bool json)
{
	struct jg_policy *p = NULL;
	struct jg_compiled *c = NULL;
	uint16_t *ids = NULL;
	char err[1024] = "";
	int ret;

	ret = policy__load_file(file, &p, err, sizeof(err));
	if (ret) {
		pr_warn("%s", *err ? err : strerror(-ret));
		return EXIT_FAIL;
	}
	if (p->nresources > JG_MAX_RESOURCES - 1) {
		pr_warn("%s: too many resources (%zu; at most %d)", file, p->nresources,
			JG_MAX_RESOURCES - 1);
		ret = EXIT_FAIL;
		goto cleanup;
	}
	ids = calloc(p->nresources ? p->nresources : 1, sizeof(*ids));
	if (!ids) {
		pr_warn("out of memory");
		ret = EXIT_FAIL;
		goto cleanup;
	}
	for (size_t i = 0; i < p->nresources; i++)
		ids[i] = (uint16_t)(i + 1);
	ret = compile__policy_opts(p, ids, JG_COMPILE_NO_HARDLINK_WALK, &c, err, sizeof(err));
	if (ret) {
		if (*err)
			pr_warn("%s", err);
		else
			pr_warn("%s: %s", file, strerror(-ret));
		ret = EXIT_FAIL;
		goto cleanup;
	}
	if (json) {
		json_t *hosts = json_array();
		json_t *o = json_pack("{s:s,s:b,s:I,s:I,s:I,s:I,s:I,s:I,s:o*}", "file", file, "ok", 1,
				      "resources", (json_int_t)p->nresources,
				      "roles", (json_int_t)p->nroles,
				      "standing", (json_int_t)p->nstanding,
				      "objects", (json_int_t)c->nobjs,
				      "net_prefixes", (json_int_t)c->nnets,
				      "loopback_endpoints", (json_int_t)c->nloopback_eps,
				      "host_addresses", hosts);

		for (size_t i = 0; o && i < c->nhosts; i++) {
			char a[64];

			if (json_array_append_new(hosts, json_string(compile__addr_text(c->hosts[i],
							a, sizeof(a)))))
				json_decref(o), o = NULL;
		}
		if (!o) {
			pr_warn("out of memory");
			ret = EXIT_FAIL;
			goto cleanup;
		}
		print_json(o);
		json_decref(o);
	} else {
		printf("%s: ok (%zu %s, %zu %s, %zu %s; %zu %s, %zu %s)\n", file,
		       p->nresources, plural(p->nresources, "resource", "resources"),
		       p->nroles, plural(p->nroles, "role", "roles"),
		       p->nstanding, plural(p->nstanding, "standing rule", "standing rules"),
		       c->nobjs, plural(c->nobjs, "protected object", "protected objects"),
		       c->nnets, plural(c->nnets, "network prefix", "network prefixes"));
		print_loopback_spread(file, c);
	}
	ret = EXIT_OK;
cleanup:
	compile__free(c);
	free(ids);
	policy__free(p);
	return ret;
}

static int do_policy(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *sub;
	bool json = false;
	int c, ret;

	if (argc < 2)
		return usage_error("policy ", "say 'check' or 'reload'");
	sub = argv[1];
	if (!strcmp(sub, "-h") || !strcmp(sub, "--help")) {
		fputs(policy_help, stdout);
		return EXIT_OK;
	}
	if (strcmp(sub, "check") && strcmp(sub, "reload"))
		return usage_error("policy ", "unknown policy command '%s' (use check or reload)",
				   sub);
	argc--;
	argv++;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case 'h': fputs(policy_help, stdout); return EXIT_OK;
		default: return bad_option("policy ", c, argv);
		}
	}

	if (!strcmp(sub, "check")) {
		if (optind == argc)
			return policy_check_one(JG_POLICY_DEFAULT, json);
		ret = EXIT_OK;
		for (int i = optind; i < argc; i++)
			if (policy_check_one(argv[i], json))
				ret = EXIT_FAIL;
		return ret;
	} else {
		json_t *reply = NULL, *result = NULL, *p;

		if (optind < argc)
			return usage_error("policy ", "'policy reload' takes no file: jitgated "
					   "reloads the file it was started with");
		if (call("policy.reload", NULL, &reply, &result))
			return EXIT_FAIL;
		p = json_object_get(result, "policy");
		if (json) {
			print_json(result);
		} else {
			char *f = clean(jstr(p, "file") ?: "?");
			json_t *res = json_object_get(p, "resources");
			long long n = json_is_integer(res) ? (long long)json_integer_value(res) :
				      json_is_array(res) ? (long long)json_array_size(res) : -1;

			if (n >= 0)
				printf("policy reloaded: %s (%lld %s)\n", f, n,
				       plural((size_t)n, "resource", "resources"));
			else
				printf("policy reloaded: %s\n", f);
			free(f);
		}
		json_decref(reply);
		return EXIT_OK;
	}
}

/* ---- unload ---- */

static const char unload_help[] =
"Usage: jitgate unload\n"
"\n"
"Remove the gate from the kernel: every protected object becomes accessible again and all\n"
"grants end. Root only. jitgated does it and exits; when jitgated is not running, jitgate\n"
"removes the pins under PIN_DIR itself (links first) and lists what it removed.\n"
"\n"
"Options:\n"
"  -h, --help  show this help\n"
"\n"
"EXAMPLES\n"
"  sudo jitgate unload\n"
"  sudo jitgate --pin-dir /sys/fs/bpf/jitgate-test unload\n";

static void print_removed(const char *path, void *ctx)
{
	printf("removed %s\n", path);
}

static bool daemon_holds_lock(void)
{
	char path[300];
	bool held;
	int fd;

	snprintf(path, sizeof(path), "%s/" JG_LOCK_NAME, env.run_dir);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return false;
	held = flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK;
	close(fd);
	return held;
}

static int unload_local(void)
{
	char err[4200];
	int dirfd, count = 0, ret;

	dirfd = open(env.pin_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		if (errno == ENOENT) {
			printf("jitgate is not loaded (nothing pinned at %s)\n", env.pin_dir);
			return EXIT_OK;
		}
		pr_warn("cannot open %s: %s", env.pin_dir, strerror(errno));
		return EXIT_FAIL;
	}
	/* A running jitgated holds RUN_DIR/jitgated.lock (and a loader may lock the pin
	 * directory): don't pull the pins from under a daemon that merely does not answer. */
	if (daemon_holds_lock() ||
	    (flock(dirfd, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK)) {
		pr_warn("a jitgated is running but does not answer on %s; stop it first",
			env.socket);
		close(dirfd);
		return EXIT_FAIL;
	}
	ret = gate__unpin_at(dirfd, env.pin_dir, print_removed, NULL, &count, err, sizeof(err));
	close(dirfd);
	if (ret) {
		pr_warn("%s", err);
		return EXIT_FAIL;
	}
	if (rmdir(env.pin_dir) < 0) {
		pr_warn("cannot remove %s: %s", env.pin_dir, strerror(errno));
		return EXIT_FAIL;
	}
	if (!count) {
		printf("jitgate is not loaded (%s was empty; removed it)\n", env.pin_dir);
		return EXIT_OK;
	}
	printf("removed %s\n", env.pin_dir);
	printf("jitgate unloaded: jitgated was not running; removed %d %s\n", count,
	       plural((size_t)count, "pin", "pins"));
	return EXIT_OK;
}

static int do_unload(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	json_t *reply = NULL, *result = NULL;
	char err[1024] = "";
	int c, ret;

	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'h': fputs(unload_help, stdout); return EXIT_OK;
		default: return bad_option("unload ", c, argv);
		}
	}
	if (optind < argc)
		return usage_error("unload ", "unexpected argument '%s'", argv[optind]);
	if (geteuid() != 0) {
		pr_warn("only root may unload the gate (you are uid %u)", (unsigned)geteuid());
		return EXIT_FAIL;
	}
	ret = proto__call(env.socket, "unload", NULL, CALL_TIMEOUT_MS, &reply, &result, err,
			  sizeof(err));
	json_decref(reply);
	if (!ret) {
		printf("jitgate unloaded: jitgated removed the gate from the kernel and exited\n");
		return EXIT_OK;
	}
	if (is_not_running(ret)) {
		pr_debug("%s; removing the pins here", err);
		return unload_local();
	}
	if (ret == -ETIMEDOUT)
		pr_warn("%s; stop jitgated (e.g. systemctl stop jitgated) and run 'jitgate unload' "
			"again", err);
	else
		pr_warn("%s", err);
	return EXIT_FAIL;
}

/* ---- request workflow ---- */

/* Whole minutes from a minute on: "in 30m" reads better than "in 29m59s". */
static char *rel_time(time_t t, char *buf, size_t len)
{
	time_t now = time(NULL);
	uint64_t d = t > now ? (uint64_t)(t - now) : (uint64_t)(now - t);
	char dbuf[64];

	if (d >= 60)
		d = (d + 30) / 60 * 60;
	duration__format(d, dbuf, sizeof(dbuf));
	snprintf(buf, len, t >= now ? "in %s" : "%s ago", dbuf);
	return buf;
}

/* The one positional ID of approve/deny/cancel/drop/extend, checked before sending. */
static int take_id(const char *cmd, int argc, char **argv, bool grant, const char **id)
{
	uint64_t v;

	if (optind >= argc)
		return usage_error(cmd, "name the %s ID (e.g. %s)", grant ? "grant" : "request",
				   grant ? "g-4" : "r-3");
	*id = argv[optind++];
	if (optind < argc)
		return usage_error(cmd, "unexpected argument '%s'", argv[optind]);
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

/* A person in a reply ({"user","uid"}): the name, else "uid N", else "?". */
static char *who(json_t *o)
{
	char *s;

	if (jstr(o, "user"))
		return clean(jstr(o, "user"));
	if (json_is_integer(json_object_get(o, "uid")) &&
	    asprintf(&s, "uid %lld", jint(o, "uid", -1)) >= 0)
		return s;
	return clean("?");
}

/* "bob, carol" from an approvals/approvers array; NULL when it is empty. */
static char *approver_names(json_t *arr)
{
	char *buf = NULL, *c;
	size_t len = 0;
	FILE *f;

	if (!json_array_size(arr))
		return NULL;
	f = open_memstream(&buf, &len);
	if (!f)
		return clean("?");
	for (size_t i = 0; i < json_array_size(arr); i++) {
		char *w = who(json_array_get(arr, i));

		fprintf(f, "%s%s", i ? ", " : "", w);
		free(w);
	}
	fclose(f);
	c = clean(buf);
	free(buf);
	return c;
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

	if (!json_is_object(req) || !jstr(req, "id")) {
		pr_warn("malformed reply from jitgated: no request in it");
		return EXIT_FAIL;
	}
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
	static const struct option opts[] = {
		{ "for", required_argument, NULL, 'f' },
		{ "reason", required_argument, NULL, 'r' },
		{ "otp", required_argument, NULL, 'o' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *cmd = extend ? "extend " : "request ";
	const char *target = NULL, *dur = NULL, *reason = NULL, *otp = NULL;
	json_t *args, *reply = NULL, *result = NULL;
	bool json = false, quiet = false;
	char err[512];
	uint64_t secs;
	int c, ret;

	while ((c = getopt_long(argc, argv, ":f:r:qh", opts, NULL)) != -1) {
		switch (c) {
		case 'f': dur = optarg; break;
		case 'r': reason = optarg; break;
		case 'o': otp = optarg; break;
		case 'q': quiet = true; break;
		case 'j': json = true; break;
		case 'h': fputs(extend ? extend_help : request_help, stdout); return EXIT_OK;
		default: return bad_option(cmd, c, argv);
		}
	}
	if (extend) {
		ret = take_id(cmd, argc, argv, true, &target);
		if (ret)
			return ret;
	} else {
		if (optind >= argc)
			return usage_error(cmd, "name the ROLE to request (roles are in the policy)");
		target = argv[optind++];
		if (optind < argc)
			return usage_error(cmd, "unexpected argument '%s'", argv[optind]);
		if (!*target)
			return usage_error(cmd, "the ROLE must not be empty");
	}
	if (extend && !dur)
		return usage_error(cmd, "--for is required: how much longer (e.g. 30m)");
	if (dur && duration__parse(dur, &secs, err, sizeof(err)))
		return usage_error(cmd, "--for: %s", err);
	if (blank(reason))
		return usage_error(cmd, "--reason is required: say why (e.g. a ticket)");
	ret = check_otp(cmd, otp);
	if (ret)
		return ret;

	args = json_pack("{s:s}", extend ? "id" : "role", target);
	if (args && dur)
		json_object_set_new(args, "for", json_string(dur));
	if (args)
		json_object_set_new(args, "reason", json_string(reason));
	if (args && otp)
		json_object_set_new(args, "otp", json_string(otp));
	if (!args) {
		pr_warn("out of memory");
		return EXIT_FAIL;
	}
	if (call(extend ? "extend" : "request", args, &reply, &result))
		return EXIT_FAIL;
	ret = show_request_reply(result, json, quiet);
	json_decref(reply);
	return ret;
}

static int do_request(int argc, char **argv)
{
	return request_or_extend(argc, argv, false);
}

static int do_extend(int argc, char **argv)
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

static int do_requests(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pending", no_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	static const char *const head[RQ_NCOLS] = { "ID", "ROLE", "USER", "STATE", "APPROVALS",
						    "AGE", "EXPIRES", "REASON" };
	json_t *args = NULL, *reply = NULL, *result = NULL, *reqs;
	char *(*rows)[RQ_NCOLS] = NULL;
	size_t w[RQ_NCOLS], n = 0;
	bool json = false, pending = false, marked = false;
	int c, ret = EXIT_OK;

	while ((c = getopt_long(argc, argv, ":ph", opts, NULL)) != -1) {
		switch (c) {
		case 'p': pending = true; break;
		case 'j': json = true; break;
		case 'h': fputs(requests_help, stdout); return EXIT_OK;
		default: return bad_option("requests ", c, argv);
		}
	}
	if (optind < argc)
		return usage_error("requests ", "unexpected argument '%s'", argv[optind]);
	if (pending) {
		args = json_pack("{s:b}", "pending", 1);
		if (!args) {
			pr_warn("out of memory");
			return EXIT_FAIL;
		}
	}
	if (call("requests", args, &reply, &result))
		return EXIT_FAIL;
	reqs = json_object_get(result, "requests");
	if (!json_is_array(reqs)) {
		pr_warn("malformed reply from jitgated: no \"requests\" list");
		ret = EXIT_FAIL;
		goto cleanup;
	}
	if (json) {
		print_json(result);
		goto cleanup;
	}
	n = json_array_size(reqs);
	if (!n) {
		pr_info(pending ? "no pending requests" : "no requests");
		goto cleanup;
	}
	rows = calloc(n, sizeof(*rows));
	if (!rows) {
		pr_warn("out of memory");
		ret = EXIT_FAIL;
		goto cleanup;
	}
	for (int k = 0; k < RQ_NCOLS; k++)
		w[k] = strlen(head[k]);
	for (size_t i = 0; i < n; i++) {
		json_t *r = json_array_get(reqs, i), *need = json_object_get(r, "approvals_needed");
		const char *st = jstr(r, "state") ?: "?";
		char buf[64], *reason = clean(jstr(r, "reason")), *cst;
		time_t t, now = time(NULL);
		bool mark = !strcmp(st, "pending") && json_is_true(json_object_get(r, "can_decide"));

		marked |= mark;
		rows[i][RQ_ID] = clean(jstr(r, "id") ?: "?");
		rows[i][RQ_ROLE] = clean(jstr(r, "role") ?: "?");
		rows[i][RQ_USER] = who(r);
		cst = clean(st);
		if (asprintf(&rows[i][RQ_STATE], "%s%s", cst, mark ? "*" : "") < 0)
			rows[i][RQ_STATE] = NULL;
		free(cst);
		if (json_is_integer(need))
			snprintf(buf, sizeof(buf), "%zu/%lld", json_array_size(json_object_get(r,
				 "approvals")), (long long)json_integer_value(need));
		else
			snprintf(buf, sizeof(buf), "?");
		rows[i][RQ_APPR] = clean(buf);
		if (!json_time(json_object_get(r, "created"), &t))
			duration__format(now > t ? (uint64_t)(now - t) : 0, buf, sizeof(buf));
		else
			snprintf(buf, sizeof(buf), "?");
		rows[i][RQ_AGE] = clean(buf);
		/* only a pending request still has an expiry that matters */
		if (!strcmp(st, "pending") && !json_time(json_object_get(r, "expires"), &t))
			rel_time(t, buf, sizeof(buf));
		else
			snprintf(buf, sizeof(buf), "-");
		rows[i][RQ_EXPIRES] = clean(buf);
		truncate_text(reason, REASON_COL_MAX);
		if (jstr(r, "extends")) {
			char *ext = clean(jstr(r, "extends"));

			if (asprintf(&rows[i][RQ_REASON], "[extends %s] %s", ext, reason) < 0)
				rows[i][RQ_REASON] = NULL;
			free(ext);
			free(reason);
		} else {
			rows[i][RQ_REASON] = reason;
		}
		for (int k = 0; k < RQ_NCOLS; k++) {
			if (!rows[i][k]) {
				pr_warn("out of memory");
				ret = EXIT_FAIL;
				goto cleanup;
			}
			if (width(rows[i][k]) > w[k])
				w[k] = width(rows[i][k]);
		}
	}
	for (int k = 0; k < RQ_NCOLS - 1; k++)
		printf("%-*s  ", (int)w[k], head[k]);
	printf("%s\n", head[RQ_NCOLS - 1]);
	for (size_t i = 0; i < n; i++) {
		for (int k = 0; k < RQ_NCOLS - 1; k++)
			printf("%s%*s  ", rows[i][k], (int)(w[k] - width(rows[i][k])), "");
		printf("%s\n", rows[i][RQ_NCOLS - 1]);
	}
	fflush(stdout);	/* the note goes below the table */
	if (marked)
		pr_info("* you may approve or deny these: jitgate approve ID, jitgate deny ID --reason TEXT");
cleanup:
	if (rows)
		for (size_t i = 0; i < n; i++)
			for (int k = 0; k < RQ_NCOLS; k++)
				free(rows[i][k]);
	free(rows);
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
	static const struct option opts[] = {
		{ "reason", required_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	static const struct option cancel_opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	bool is_cancel = !strcmp(what, "cancel"), is_deny = !strcmp(what, "deny");
	const char *help = is_cancel ? cancel_help : is_deny ? deny_help : approve_help;
	const char *id = NULL, *reason = NULL;
	json_t *args, *reply = NULL, *result = NULL;
	char cmd[16];
	bool json = false;
	int c, ret;

	snprintf(cmd, sizeof(cmd), "%s ", what);
	while ((c = getopt_long(argc, argv, is_cancel ? ":h" : ":r:h",
				is_cancel ? cancel_opts : opts, NULL)) != -1) {
		switch (c) {
		case 'r': reason = optarg; break;
		case 'j': json = true; break;
		case 'h': fputs(help, stdout); return EXIT_OK;
		default: return bad_option(cmd, c, argv);
		}
	}
	ret = take_id(cmd, argc, argv, false, &id);
	if (ret)
		return ret;
	if (is_deny && blank(reason))
		return usage_error(cmd, "--reason is required: tell the requester why not");
	args = json_pack("{s:s}", "id", id);
	if (args && reason)
		json_object_set_new(args, "reason", json_string(reason));
	if (!args) {
		pr_warn("out of memory");
		return EXIT_FAIL;
	}
	if (call(what, args, &reply, &result))
		return EXIT_FAIL;
	ret = show_request_reply(result, json, false);
	json_decref(reply);
	return ret;
}

static int do_approve(int argc, char **argv)
{
	return decide(argc, argv, "approve");
}

static int do_deny(int argc, char **argv)
{
	return decide(argc, argv, "deny");
}

static int do_cancel(int argc, char **argv)
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

static int do_drop(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	json_t *args, *reply = NULL, *result = NULL;
	const char *id = NULL;
	bool json = false;
	int c, ret;

	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case 'h': fputs(drop_help, stdout); return EXIT_OK;
		default: return bad_option("drop ", c, argv);
		}
	}
	ret = take_id("drop ", argc, argv, true, &id);
	if (ret)
		return ret;
	args = json_pack("{s:s}", "id", id);
	if (!args) {
		pr_warn("out of memory");
		return EXIT_FAIL;
	}
	if (call("drop", args, &reply, &result))
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

/* ---- history ---- */

static const char history_help[] =
"Usage: jitgate history [--user USER] [--resource RES] [--since WHEN] [--json]\n"
"\n"
"Who had what, when, why, and who approved it: every grant, live or ended, oldest first.\n"
"Admins and auditors only.\n"
"\n"
"Options:\n"
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
"  jitgate history --json | jq -r '.grants[] | select(.break_glass) | .id'\n";

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

static int do_history(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "user", required_argument, NULL, 'u' },
		{ "resource", required_argument, NULL, 'R' },
		{ "since", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *user = NULL, *resource = NULL, *since = NULL;
	json_t *args, *reply = NULL, *result = NULL, *grants;
	bool json = false;
	int c, ret = EXIT_OK;

	while ((c = getopt_long(argc, argv, ":u:s:h", opts, NULL)) != -1) {
		switch (c) {
		case 'u': user = optarg; break;
		case 'R': resource = optarg; break;
		case 's': since = optarg; break;
		case 'j': json = true; break;
		case 'h': fputs(history_help, stdout); return EXIT_OK;
		default: return bad_option("history ", c, argv);
		}
	}
	if (optind < argc)
		return usage_error("history ", "unexpected argument '%s'", argv[optind]);
	if ((user && !*user) || (resource && !*resource))
		return usage_error("history ", "%s must not be empty", user && !*user ? "--user" :
				   "--resource");
	if (since && !valid_since(since)) {
		char *s = clean(since);

		ret = usage_error("history ", "--since '%s' must be a date (2026-11-01), an RFC 3339 "
				  "time or a duration ago (7d)", s);
		free(s);
		return ret;
	}
	args = json_object();
	if (args && user)
		json_object_set_new(args, "user", json_string(user));
	if (args && resource)
		json_object_set_new(args, "resource", json_string(resource));
	if (args && since)
		json_object_set_new(args, "since", json_string(since));
	if (!args) {
		pr_warn("out of memory");
		return EXIT_FAIL;
	}
	if (call("history", args, &reply, &result))
		return EXIT_FAIL;
	grants = json_object_get(result, "grants");
	if (!json_is_array(grants)) {
		pr_warn("malformed reply from jitgated: no \"grants\" list");
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

/* ---- mfa ---- */

static const char mfa_help[] =
"Usage: jitgate mfa enroll USER [--secret BASE32] [--qr] [--json]\n"
"       jitgate mfa unlock USER [--json]\n"
"\n"
"Enrol USER for TOTP codes (roles with require_mfa ask for one: --otp CODE). Admins only.\n"
"Prints the otpauth:// URI (first line) and the base32 secret, for USER's authenticator\n"
"app, and a QR code of the URI when the output is a terminal (or with --qr). They are\n"
"shown this once: jitgated keeps the secret and never prints it again. Enrolling again\n"
"replaces the user's secret.\n"
"\n"
"unlock lifts USER's MFA lockout (too many wrong codes: jitgated refuses every code\n"
"until the lock's time is over) and clears the failures counted so far. Admins only.\n"
"\n"
"Options:\n"
"  -s, --secret BASE32  use this secret (A-Z, 2-7) instead of a new random one; '-' reads\n"
"                       it from stdin, so it stays out of the process list\n"
"      --qr             draw the QR code also when the output is not a terminal\n"
"      --json           print {\"user\", \"uid\", \"uri\", \"secret\"}\n"
"  -h, --help           show this help\n"
"\n"
"EXAMPLES\n"
"  jitgate mfa enroll alice\n"
"  jitgate mfa enroll alice --secret - < alice.secret\n"
"  jitgate mfa unlock alice\n";


/* The URI as a QR code for the authenticator app's camera, drawn with half blocks (two
 * modules per character cell, light modules as ink: terminals are mostly dark). */
static void print_qr(const char *uri)
{
#ifdef JG_HAVE_QRENCODE
	QRcode *q = QRcode_encodeString(uri, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	const int quiet = 2;

	if (!q) {
		pr_warn("cannot draw the QR code: %s", strerror(errno));
		return;
	}
	for (int y = -quiet; y < q->width + quiet; y += 2) {
		for (int x = -quiet; x < q->width + quiet; x++) {
			bool top = y >= 0 && y < q->width && x >= 0 && x < q->width &&
				   (q->data[y * q->width + x] & 1);
			bool bot = y + 1 >= 0 && y + 1 < q->width && x >= 0 && x < q->width &&
				   (q->data[(y + 1) * q->width + x] & 1);

			fputs(top ? (bot ? " " : "\u2584") : (bot ? "\u2580" : "\u2588"), stdout);
		}
		putchar('\n');
	}
	QRcode_free(q);
#else
	(void)uri;
	pr_warn("this jitgate was built without libqrencode: no QR code");
#endif
}

static int mfa_unlock(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	json_t *args, *reply = NULL, *result = NULL;
	bool json = false;
	const char *user;
	char *name;
	int c;

	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case 'h': fputs(mfa_help, stdout); return EXIT_OK;
		default: return bad_option("mfa ", c, argv);
		}
	}
	if (optind >= argc)
		return usage_error("mfa ", "name the USER to unlock");
	user = argv[optind++];
	if (optind < argc)
		return usage_error("mfa ", "unexpected argument '%s'", argv[optind]);
	if (!*user)
		return usage_error("mfa ", "the USER must not be empty");
	args = json_pack("{s:s}", "user", user);
	if (!args) {
		pr_warn("out of memory");
		return EXIT_FAIL;
	}
	if (call("mfa.unlock", args, &reply, &result))
		return EXIT_FAIL;
	if (json) {
		print_json(result);
	} else {
		name = who(result);
		if (json_is_true(json_object_get(result, "was_locked")))
			printf("MFA for %s unlocked (it was locked after %lld failed codes)\n", name,
			       jint(result, "failures", 0));
		else
			printf("MFA for %s was not locked; %lld failed codes cleared\n", name,
			       jint(result, "failures", 0));
		free(name);
	}
	json_decref(reply);
	return EXIT_OK;
}

static int do_mfa(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "secret", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "qr", no_argument, NULL, 'Q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *user, *secret = NULL;
	bool qr = isatty(STDOUT_FILENO);
	json_t *args, *reply = NULL, *result = NULL;
	char line[256];
	bool json = false;
	int c;

	if (argc < 2)
		return usage_error("mfa ", "say 'enroll USER'");
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		fputs(mfa_help, stdout);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "unlock"))
		return mfa_unlock(argc - 1, argv + 1);
	if (strcmp(argv[1], "enroll"))
		return usage_error("mfa ", "unknown mfa command '%s' (use enroll or unlock)",
				   argv[1]);
	argc--;
	argv++;
	while ((c = getopt_long(argc, argv, ":s:h", opts, NULL)) != -1) {
		switch (c) {
		case 's': secret = optarg; break;
		case 'j': json = true; break;
		case 'Q': qr = true; break;
		case 'h': fputs(mfa_help, stdout); return EXIT_OK;
		default: return bad_option("mfa ", c, argv);
		}
	}
	if (optind >= argc)
		return usage_error("mfa ", "name the USER to enrol");
	user = argv[optind++];
	if (optind < argc)
		return usage_error("mfa ", "unexpected argument '%s'", argv[optind]);
	if (!*user)
		return usage_error("mfa ", "the USER must not be empty");
	if (secret && !strcmp(secret, "-")) {
		if (!fgets(line, sizeof(line), stdin)) {
			pr_warn("--secret -: nothing to read on stdin");
			return EXIT_FAIL;
		}
		line[strcspn(line, "\r\n")] = '\0';
		secret = line;
	}
	if (secret) {
		size_t n = strspn(secret, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz234567");

		/* base32, with '=' padding at most */
		if (!n || secret[n + strspn(secret + n, "=")])
			return usage_error("mfa ", "--secret must be base32 (letters A-Z and digits "
					   "2-7)");
	}

	args = json_pack("{s:s}", "user", user);
	if (args && secret)
		json_object_set_new(args, "secret", json_string(secret));
	if (!args) {
		pr_warn("out of memory");
		return EXIT_FAIL;
	}
	if (call("mfa.enroll", args, &reply, &result))
		return EXIT_FAIL;
	if (!jstr(result, "uri")) {
		pr_warn("malformed reply from jitgated: no \"uri\"");
		json_decref(reply);
		return EXIT_FAIL;
	}
	if (json) {
		print_json(result);
	} else {
		char *uri = clean(jstr(result, "uri")), *sec = clean(jstr(result, "secret") ?: "?");
		char *name = who(result);

		printf("%s\n", uri);
		if (qr)
			print_qr(uri);
		if (json_is_integer(json_object_get(result, "uid")))
			printf("secret: %s (for %s, uid %lld)\n", sec, name, jint(result, "uid", -1));
		else
			printf("secret: %s (for %s)\n", sec, name);
		free(uri);
		free(sec);
		free(name);
	}
	fflush(stdout);
	pr_warn("this secret is shown only once: put it in the user's authenticator app now");
	json_decref(reply);
	return EXIT_OK;
}

/* ---- audit ---- */

static const char audit_help[] =
"Usage: jitgate audit verify [--head SEQ:HEX | --head-file FILE] [--json] [FILE]...\n"
"       jitgate audit tail [-f] [-n N] [--type PREFIX] [--json] [--file PATH]\n"
"\n"
"Read the audit log directly (no daemon needed; the log is readable by root and the log's\n"
"group only).\n"
"\n"
"verify  Check the hash chain of FILEs given oldest first, plain or .gz (e.g. audit.jsonl.2.gz\n"
"        audit.jsonl.1.gz audit.jsonl). Without FILE: " JG_AUDIT_DEFAULT " and its\n"
"        rotated files, oldest first. Prints \"FILE: N records, seq A-B, chain intact\" per\n"
"        file, or \"FILE:LINE: record seq S: what is wrong\" for the first bad record and\n"
"        exits 1. The end of jitgated's live log is compared with the head jitgated keeps\n"
"        in " JG_STATE_DIR_DEFAULT "/" JG_AUDIT_HEAD_NAME " when that is readable.\n"
"tail    Show the last events, one readable line each.\n"
"\n"
"Options:\n"
"      --head SEQ:HEX     verify: the last records must reach seq SEQ with chain value HEX\n"
"      --head-file FILE   verify: compare with this head file (default\n"
"                         " JG_STATE_DIR_DEFAULT "/" JG_AUDIT_HEAD_NAME ")\n"
"  -f, --follow           tail: keep printing new events (follows rotation)\n"
"  -n, --lines N          tail: the last N events (default 10)\n"
"  -t, --type PREFIX      tail: only events whose type starts with PREFIX (access.,\n"
"                         grant.create)\n"
"      --file PATH        tail: the log to read (default " JG_AUDIT_DEFAULT ")\n"
"      --json             verify: one JSON object; tail: the records as written\n"
"  -h, --help             show this help\n"
"\n"
"EXAMPLES\n"
"  jitgate audit verify\n"
"  jitgate audit verify audit.jsonl.2.gz audit.jsonl.1.gz audit.jsonl --head 4711:9f86d0...\n"
"  jitgate audit tail -f --type access.deny\n";

/* Reads lines from a plain or gzip file (zlib reads plain files as they are). */
struct lines {
	gzFile gz;
	const char *name;
	dev_t dev;
	ino_t ino;
	char *buf;
	size_t len, cap, pos;
	bool eof;
};

static int lines_open(struct lines *l, const char *name)
{
	struct stat st;
	int fd;

	memset(l, 0, sizeof(*l));
	l->name = name;
	fd = open(name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		close(fd);
		return -EIO;
	}
	l->dev = st.st_dev;
	l->ino = st.st_ino;
	l->gz = gzdopen(fd, "rb");
	if (!l->gz) {
		close(fd);
		return -ENOMEM;
	}
	return 0;
}

static void lines_close(struct lines *l)
{
	if (l->gz)
		gzclose(l->gz);
	free(l->buf);
	memset(l, 0, sizeof(*l));
}

/* The next line (without its newline) in *line, *len; *nl false: the file ended inside it.
 * 1: a line, 0: the end, -1: a read error. */
static int lines_next(struct lines *l, const char **line, size_t *len, bool *nl)
{
	for (;;) {
		char *p = memchr(l->buf + l->pos, '\n', l->len - l->pos);
		int n;

		if (p) {
			*line = l->buf + l->pos;
			*len = (size_t)(p - *line);
			*nl = true;
			l->pos = (size_t)(p - l->buf) + 1;
			return 1;
		}
		if (l->eof) {
			if (l->pos == l->len)
				return 0;
			*line = l->buf + l->pos;
			*len = l->len - l->pos;
			*nl = false;
			l->pos = l->len;
			return 1;
		}
		if (l->pos) {
			memmove(l->buf, l->buf + l->pos, l->len - l->pos);
			l->len -= l->pos;
			l->pos = 0;
		}
		if (l->cap - l->len < 65536) {
			char *b = realloc(l->buf, l->cap + 262144);

			if (!b)
				return -1;
			l->buf = b;
			l->cap += 262144;
		}
		n = gzread(l->gz, l->buf + l->len, (unsigned int)(l->cap - l->len));
		if (n < 0)
			return -1;
		if (!n)
			l->eof = true;
		l->len += (size_t)n;
	}
}

/* The default set, oldest first: PATH.N.gz (or PATH.N) ... PATH.1.gz, PATH. */
static char **default_logs(size_t *n)
{
	char **v = NULL, name[300];
	size_t count = 0, i;

	for (i = 1; i <= 1000; i++) {
		snprintf(name, sizeof(name), "%s.%zu.gz", JG_AUDIT_DEFAULT, i);
		if (access(name, F_OK)) {
			snprintf(name, sizeof(name), "%s.%zu", JG_AUDIT_DEFAULT, i);
			if (access(name, F_OK))
				break;
		}
	}
	count = i;	/* the rotated ones and the live log */
	v = calloc(count, sizeof(*v));
	if (!v)
		return NULL;
	for (i = 1; i < count; i++) {
		snprintf(name, sizeof(name), "%s.%zu.gz", JG_AUDIT_DEFAULT, i);
		if (access(name, F_OK))
			snprintf(name, sizeof(name), "%s.%zu", JG_AUDIT_DEFAULT, i);
		v[count - 1 - i] = strdup(name);
	}
	v[count - 1] = strdup(JG_AUDIT_DEFAULT);
	for (i = 0; i < count; i++) {
		if (!v[i]) {
			pr_warn("out of memory");
			exit(EXIT_FAIL);
		}
	}
	*n = count;
	return v;
}

static bool same_file(const char *a, const char *b)
{
	struct stat sa, sb;

	return !stat(a, &sa) && !stat(b, &sb) && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static int audit_verify(int argc, char **argv, bool json, const char *head_arg,
			const char *head_file)
{
	struct jg_chain_verify v;
	char **files = argv, **dflt = NULL, hex[65], hpath[256], note[512] = "";
	size_t nfiles = (size_t)argc;
	json_t *out = json ? json_pack("{s:b, s:[]}", "ok", 0, "files") : NULL;
	bool compared = false;
	uint64_t hseq = 0;
	int ret = EXIT_OK;

	auditchain__verify_init(&v);
	if (!nfiles) {
		dflt = files = default_logs(&nfiles);
		if (!files) {
			pr_warn("out of memory");
			return EXIT_FAIL;
		}
	}
	/* the head first: whatever jitgated writes while we read comes after it */
	if (head_arg) {
		auditchain__parse_head(head_arg, &hseq, hex);
		compared = true;
		snprintf(note, sizeof(note), "the head given (--head)");
	} else {
		const char *hf = head_file ?: JG_STATE_DIR_DEFAULT "/" JG_AUDIT_HEAD_NAME;
		int r = audit__read_head(hf, &hseq, hex, hpath, sizeof(hpath));

		if (r && head_file) {
			pr_warn("cannot read the head file %s: %s", hf, r == -EINVAL ?
				"not a head file" : strerror(-r));
			ret = EXIT_FAIL;
			goto out;
		} else if (r) {
			snprintf(note, sizeof(note), "not compared with jitgated's head: cannot "
				 "read %s (%s); records cut from the end would go unnoticed", hf,
				 r == -EINVAL ? "not a head file" : strerror(-r));
		} else if (!head_file && !same_file(hpath, files[nfiles - 1])) {
			snprintf(note, sizeof(note), "not compared with jitgated's head: the last "
				 "file is not jitgated's log %s", hpath);
		} else {
			compared = true;
			snprintf(note, sizeof(note), "%s", hf);
		}
	}
	if (compared)
		auditchain__verify_head(&v, hseq, hex);

	for (size_t i = 0; i < nfiles && !v.bad; i++) {
		struct lines l;
		const char *line;
		size_t len;
		bool nl;
		int r;

		if (lines_open(&l, files[i])) {
			pr_warn("cannot open %s: %s", files[i], strerror(errno ?: EIO));
			ret = EXIT_FAIL;
			goto out;
		}
		auditchain__verify_file(&v, files[i]);
		while ((r = lines_next(&l, &line, &len, &nl)) == 1)
			if (auditchain__verify_line(&v, line, len, nl))
				break;
		lines_close(&l);
		if (r < 0) {
			pr_warn("cannot read %s: not a complete gzip file or a read error", files[i]);
			ret = EXIT_FAIL;
			goto out;
		}
		if (i == nfiles - 1)
			auditchain__verify_end(&v);
		if (v.bad && (v.err_file != files[i] || v.err_line))
			break;
		if (json) {
			json_array_append_new(json_object_get(out, "files"),
				json_pack("{s:s, s:I, s:I, s:I}", "file", files[i],
					  "records", (json_int_t)v.file_records,
					  "first_seq", (json_int_t)v.file_first,
					  "last_seq", (json_int_t)v.file_last));
		} else if (v.file_records) {
			printf("%s: %llu %s, seq %llu-%llu, chain intact\n", files[i],
			       (unsigned long long)v.file_records,
			       plural(v.file_records, "record", "records"),
			       (unsigned long long)v.file_first, (unsigned long long)v.file_last);
		} else {
			printf("%s: 0 records\n", files[i]);
		}
	}
	if (v.bad) {
		char where[400];

		if (v.err_line)
			snprintf(where, sizeof(where), "%s:%llu", v.err_file,
				 (unsigned long long)v.err_line);
		else
			snprintf(where, sizeof(where), "%s", v.err_file ?: "?");
		if (json)
			json_object_set_new(out, "error", json_pack("{s:s, s:I, s:o, s:s}",
				"file", v.err_file ?: "?", "line", (json_int_t)v.err_line,
				"seq", v.err_seq ? json_integer((json_int_t)v.err_seq) : json_null(),
				"message", v.err));
		else
			printf("%s: %s\n", where, v.err);
		ret = EXIT_FAIL;
	} else if (!json) {
		if (compared)
			printf("head: seq %llu matches %s\n", (unsigned long long)hseq, note);
		else
			printf("head: %s\n", note);
	}
	if (json) {
		json_object_set_new(out, "ok", json_boolean(!v.bad));
		json_object_set_new(out, "records", json_integer((json_int_t)v.records));
		json_object_set_new(out, "head", compared ?
			json_pack("{s:b, s:I, s:s, s:s}", "compared", 1, "seq", (json_int_t)hseq,
				  "chain", hex, "source", note) :
			json_pack("{s:b, s:s}", "compared", 0, "note", note));
		print_json(out);
	}
out:
	json_decref(out);
	if (dflt) {
		for (size_t i = 0; i < nfiles; i++)
			free(dflt[i]);
		free(dflt);
	}
	return ret;
}

/* A record tail prints, or false when the type filter drops it (or it is not a record). */
static bool tail_wants(const char *line, size_t len, const char *type, json_t **rec)
{
	json_t *j = json_loadb(line, len, 0, NULL);
	const char *t = json_string_value(json_object_get(j, "type"));

	if (!t || (type && strncmp(t, type, strlen(type)))) {
		json_decref(j);
		return false;
	}
	*rec = j;
	return true;
}

static void tail_print(const char *line, size_t len, json_t *rec, bool json)
{
	char buf[4096];

	if (json)
		printf("%.*s\n", (int)len, line);
	else
		printf("%s\n", auditchain__render(rec, buf, sizeof(buf)));
}

/* Complete lines only; a partial last line waits for the rest (-f). -1: a read error. */
static int tail_read(struct lines *l, const char *type, bool json, char **ring, size_t *rlen,
		     size_t nlines, size_t *head, size_t *count, off_t *off)
{
	const char *line;
	size_t len;
	bool nl;
	int r;

	while ((r = lines_next(l, &line, &len, &nl)) == 1) {
		json_t *rec;

		if (!nl) {
			l->pos -= len;
			l->eof = false;
			break;
		}
		*off += (off_t)len + 1;
		if (!tail_wants(line, len, type, &rec))
			continue;
		if (!ring) {
			tail_print(line, len, rec, json);
		} else if (nlines) {
			free(ring[*head]);
			ring[*head] = strndup(line, len);
			rlen[*head] = ring[*head] ? len : 0;
			*head = (*head + 1) % nlines;
			if (*count < nlines)
				(*count)++;
		}
		json_decref(rec);
	}
	return r < 0 ? -1 : 0;
}

static int audit_tail(const char *file, size_t nlines, const char *type, bool json, bool follow)
{
	struct lines l;
	char **ring;
	size_t *rlen, head = 0, count = 0;
	struct stat st;
	off_t off = 0;
	int ret = EXIT_OK;

	if (lines_open(&l, file)) {
		pr_warn("cannot open %s: %s", file, strerror(errno ?: EIO));
		return EXIT_FAIL;
	}
	if (follow && !gzdirect(l.gz)) {
		lines_close(&l);
		return usage_error("audit ", "--follow needs a plain file, %s is compressed", file);
	}
	ring = calloc(nlines + 1, sizeof(*ring));
	rlen = calloc(nlines + 1, sizeof(*rlen));
	if (!ring || !rlen) {
		pr_warn("out of memory");
		ret = EXIT_FAIL;
		goto out;
	}
	/* the last N that pass the filter */
	if (tail_read(&l, type, json, ring, rlen, nlines, &head, &count, &off))
		goto bad_read;
	for (size_t i = 0; i < count; i++) {
		size_t k = (head + nlines - count + i) % nlines;
		json_t *rec;

		if (ring[k] && tail_wants(ring[k], rlen[k], type, &rec)) {
			tail_print(ring[k], rlen[k], rec, json);
			json_decref(rec);
		}
	}
	/* as tail -F: new lines, and the new file at the path after a rotation */
	while (follow) {
		fflush(stdout);
		usleep(250000);
		gzclearerr(l.gz);
		l.eof = false;
		if (tail_read(&l, type, json, NULL, NULL, 0, NULL, NULL, &off))
			goto bad_read;
		if (!stat(file, &st) && (st.st_ino != l.ino || st.st_dev != l.dev ||
					 st.st_size < off)) {
			lines_close(&l);
			while (lines_open(&l, file))
				usleep(250000);
			off = 0;
		}
	}
	goto out;
bad_read:
	pr_warn("cannot read %s: a read error or a damaged gzip file", file);
	ret = EXIT_FAIL;
out:
	for (size_t i = 0; ring && i < nlines; i++)
		free(ring[i]);
	free(ring);
	free(rlen);
	lines_close(&l);
	return ret;
}

static int do_audit(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "head", required_argument, NULL, 'H' },
		{ "head-file", required_argument, NULL, 'F' },
		{ "follow", no_argument, NULL, 'f' },
		{ "lines", required_argument, NULL, 'n' },
		{ "type", required_argument, NULL, 't' },
		{ "file", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *sub, *head = NULL, *head_file = NULL, *type = NULL, *file = NULL;
	bool json = false, follow = false, verify;
	long nlines = 10;
	int c;

	if (argc < 2)
		return usage_error("audit ", "say 'verify' or 'tail'");
	sub = argv[1];
	if (!strcmp(sub, "-h") || !strcmp(sub, "--help")) {
		fputs(audit_help, stdout);
		return EXIT_OK;
	}
	if (strcmp(sub, "verify") && strcmp(sub, "tail"))
		return usage_error("audit ", "unknown audit command '%s' (use verify or tail)", sub);
	verify = !strcmp(sub, "verify");
	argc--;
	argv++;
	while ((c = getopt_long(argc, argv, ":fn:t:h", opts, NULL)) != -1) {
		switch (c) {
		case 'H': head = optarg; break;
		case 'F': head_file = optarg; break;
		case 'f': follow = true; break;
		case 'n': {
			char *end;

			errno = 0;
			nlines = strtol(optarg, &end, 10);
			if (errno || *end || !*optarg || nlines < 0 || nlines > 1000000)
				return usage_error("audit ", "--lines must be a number from 0 to "
						   "1000000");
			break;
		}
		case 't': type = optarg; break;
		case 'p': file = optarg; break;
		case 'j': json = true; break;
		case 'h': fputs(audit_help, stdout); return EXIT_OK;
		default: return bad_option("audit ", c, argv);
		}
	}
	if (verify) {
		uint64_t seq;
		char hex[65];

		if (follow || type || file || nlines != 10)
			return usage_error("audit ", "-f, -n, --type and --file are for 'audit tail'");
		if (head && head_file)
			return usage_error("audit ", "give --head or --head-file, not both");
		if (head && auditchain__parse_head(head, &seq, hex))
			return usage_error("audit ", "--head must be SEQ:HEX (a seq and a 64 "
					   "character SHA-256 in hex)");
		return audit_verify(argc - optind, argv + optind, json, head, head_file);
	}
	if (head || head_file)
		return usage_error("audit ", "--head and --head-file are for 'audit verify'");
	if (optind < argc)
		return usage_error("audit ", "unexpected argument '%s' (the log is --file PATH)",
				   argv[optind]);
	if (file && !*file)
		return usage_error("audit ", "--file needs a path");
	return audit_tail(file ?: JG_AUDIT_DEFAULT, (size_t)nlines, type, json, follow);
}

/* ---- main ---- */

static int do_help(int argc, char **argv);

static const struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
} cmds[] = {
	{ "status",   do_status,   "show whether the gate is loaded and enforcing" },
	{ "grant",    do_grant,    "give a user access to resources for a while" },
	{ "revoke",   do_revoke,   "end grants now" },
	{ "list",     do_list,     "show live grants and the time they have left" },
	{ "request",  do_request,  "ask for a role's access" },
	{ "requests", do_requests, "show requests you made or may decide" },
	{ "approve",  do_approve,  "approve a pending request" },
	{ "deny",     do_deny,     "deny a pending request" },
	{ "cancel",   do_cancel,   "withdraw a pending request of yours" },
	{ "extend",   do_extend,   "ask for more time on a grant you hold" },
	{ "drop",     do_drop,     "give up a grant of yours now" },
	{ "history",  do_history,  "who had what, when, why, approved by whom" },
	{ "mfa",      do_mfa,      "enrol a user for TOTP codes, or lift a lockout (admins)" },
	{ "policy",   do_policy,   "check a policy file, or make jitgated reload its policy" },
	{ "audit",    do_audit,    "verify the audit log's hash chain, or show its last events" },
	{ "unload",   do_unload,   "remove the gate from the kernel (root)" },
	{ "help",     do_help,     "show this help, or a command's: jitgate help COMMAND" },
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: jitgate [OPTIONS] COMMAND [ARGS]...\n"
		"\n"
		"Just-in-time access to protected files, programs and networks, enforced in the\n"
		"kernel by BPF LSM and managed by jitgated.\n"
		"\n"
		"Commands:\n");
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  %-8s %s\n", cmds[i].name, cmds[i].summary);
	fprintf(f,
		"\n"
		"Options:\n"
		"      --socket PATH  jitgated's socket (default " JG_SOCKET_DEFAULT ",\n"
		"                     or $" JG_SOCKET_ENV ")\n"
		"      --pin-dir DIR  where the gate is pinned (default " JG_PIN_DIR_DEFAULT ")\n"
		"  -v, --verbose      say more on stderr\n"
		"  -h, --help         show this help\n"
		"  -V, --version      show the version\n"
		"\n"
		"Run 'jitgate COMMAND --help' for a command's options and examples.\n"
		"Exit status: 0 success, 1 failure (one sentence on stderr), 2 usage error.\n");
}

static const struct cmd *find_cmd(const char *name)
{
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(cmds[i].name, name))
			return &cmds[i];
	return NULL;
}

static int unknown_cmd(const char *name)
{
	return usage_error(NULL, "unknown command '%s'", name);
}

static int do_help(int argc, char **argv)
{
	const struct cmd *c;
	char *sub[] = { NULL, "--help", NULL };

	if (argc < 2 || !strcmp(argv[1], "help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "--help")) {
		usage(stdout);
		return EXIT_OK;
	}
	c = find_cmd(argv[1]);
	if (!c)
		return unknown_cmd(argv[1]);
	sub[0] = argv[1];
	optind = 0;
	return c->fn(2, sub);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "pin-dir", required_argument, NULL, 'p' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 }
	};
	enum jg_log_level level = JG_LOG_INFO;
	const char *s = getenv(JG_SOCKET_ENV);
	const struct cmd *cmd;
	int c, ret;

	log__init("jitgate", level);
	if (s && *s)
		env.socket = s;
	s = getenv(JG_CANARY_ENV);
	if (s && *s)
		env.canary = s;
	opterr = 0;
	/* '+': stop at the command name; what follows belongs to the command. */
	while ((c = getopt_long(argc, argv, "+:vhV", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (!*optarg)
				return usage_error(NULL, "--socket needs a path");
			env.socket = optarg;
			break;
		case 'p':
			if (!*optarg)
				return usage_error(NULL, "--pin-dir needs a directory");
			env.pin_dir = optarg;
			break;
		case 'v': level = JG_LOG_DEBUG; break;
		case 'h': usage(stdout); return EXIT_OK;
		case 'V': printf("jitgate %s (protocol %d)\n", JG_VERSION, JG_PROTO_VERSION);
			  return EXIT_OK;
		default: return bad_option(NULL, c, argv);
		}
	}
	log__init("jitgate", level);
	/* jitgated keeps its canary and lock beside its socket. */
	snprintf(env.run_dir, sizeof(env.run_dir), "%s", env.socket);
	s = strrchr(env.run_dir, '/');
	if (s && s != env.run_dir)
		env.run_dir[s - env.run_dir] = '\0';
	else
		snprintf(env.run_dir, sizeof(env.run_dir), "/run/jitgate");
	if (!env.canary) {
		snprintf(env.canary_buf, sizeof(env.canary_buf), "%s/" JG_CANARY_NAME, env.run_dir);
		env.canary = env.canary_buf;
	}
	if (optind == argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	cmd = find_cmd(argv[optind]);
	if (!cmd)
		return unknown_cmd(argv[optind]);
	argc -= optind;
	argv += optind;
	optind = 0;	/* GNU: start the command's own getopt_long afresh */
	ret = cmd->fn(argc, argv);
	if (fflush(stdout) || ferror(stdout)) {
		pr_warn("cannot write the output: %s", strerror(errno));
		return EXIT_FAIL;
	}
	return ret;
}
