// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* jitgate status (from the daemon, or from the host when it is down) and jitgate unload
 * (through the daemon, or by removing the pins when it is down). */
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

		if (!o)
			return cli__oom();
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


/* The gate's line, the descriptor re-check and the canary. */
static void print_gate(json_t *g)
{
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

/* The kernel's event counters on one line. */
static void print_events(json_t *s)
{
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

/* The audit log and ledger when a write failed (disk full, read-only): a line each. */
static void print_storage(json_t *a, json_t *l)
{
	if (json_is_object(a) && (jint(a, "pending", 0) || jint(a, "lost", 0))) {
		char *f = clean(jstr(a, "file")), *e = clean(jstr(a, "error"));

		print_row("audit log", "%s: %lld records held in memory (%lld bytes), %lld lost "
			  "since start%s%s", f, jint(a, "pending", 0), jint(a, "pending_bytes", 0),
			  jint(a, "lost", 0), *e ? "; cannot be written: " : "", e);
		free(f);
		free(e);
	}
	if (json_is_object(l) && json_is_true(json_object_get(l, "failing"))) {
		char *f = clean(jstr(l, "file")), *e = clean(jstr(l, "error"));

		print_row("ledger", "%s: changes are refused (writes failed since start: %lld): "
			  "%s", f, jint(l, "write_errors", 0), e);
		free(f);
		free(e);
	}
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
	if (json_is_object(g))
		print_gate(g);
	if (json_is_object(gr))
		print_row("grants", "%lld live / %lld capacity", jint(gr, "live", 0),
			  jint(gr, "capacity", JG_MAX_GRANTS));
	if (json_is_object(gr) && (jint(gr, "forged", 0) || jint(gr, "corrected", 0) ||
				   jint(gr, "restored", 0)))
		print_row("tampering", "%lld forged grants removed, %lld corrected, %lld restored "
			  "(written behind jitgated; see the audit log)", jint(gr, "forged", 0),
			  jint(gr, "corrected", 0), jint(gr, "restored", 0));
	if (json_is_object(json_object_get(r, "sessions"))) {
		json_t *se = json_object_get(r, "sessions");

		print_row("elevated", "%lld %s in %lld %s%s", jint(se, "processes", 0),
			  plural((size_t)jint(se, "processes", 0), "process", "processes"),
			  jint(se, "sessions", 0),
			  plural((size_t)jint(se, "sessions", 0), "session", "sessions"),
			  jint(se, "ending", 0) ? " (some ending: their grant is over)" : "");
	}
	if (json_is_object(s))
		print_events(s);
	print_storage(json_object_get(r, "audit"), json_object_get(r, "ledger"));
}

int do_status(int argc, char **argv)
{
	json_t *reply = NULL, *result = NULL;
	char err[1024] = "";
	bool json = false, enforcing;
	int c, ret;

	if ((c = cli__common_opts(argc, argv, status_help, &json)) >= 0)
		return c;

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

int do_unload(int argc, char **argv)
{
	json_t *reply = NULL, *result = NULL;
	char err[1024] = "";
	int c, ret;

	if ((c = cli__common_opts(argc, argv, unload_help, NULL)) >= 0)
		return c;
	if (cli__not_root())
		return EXIT_FAIL;
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
