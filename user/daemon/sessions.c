// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Elevated sessions from the daemon's side (the kernel's side: bpf/session.bpf.h). When an
 * elevate grant ends, every process of its session is killed at once (SIGKILL, no grace: a
 * root shell has nothing to save that is worth root outliving its grant) and one
 * session.end record lists them; the kernel kills any the daemon misses at their next
 * checked operation. Before the end, the session's terminals get a warning. A sweep at
 * start and every few seconds catches sessions whose grant ended while jitgated was down. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include "daemon/daemon.h"

#define SWEEP_EVERY_NS (5ull * 1000000000ull)
#define MAX_VICTIMS 4096

struct victim {
	int tgid;
	int tid;
	uint64_t grant_id;
	uint64_t started_ns;
	uint32_t subject;
	uint16_t resource;
	char comm[16];
};

struct pick {
	uint64_t grant_id;	/* this grant's tasks (ended or not); 0: every ended session */
	struct victim v[MAX_VICTIMS];
	size_t n;
	size_t over;		/* tasks past MAX_VICTIMS: the next sweep takes them */
};

static struct pick scratch;
static int64_t last_sweep_ns;

static int pick_task(const struct jg_session_task *t, void *ctx)
{
	struct pick *p = ctx;

	if (p->grant_id ? t->grant_id != p->grant_id : t->live)
		return 0;
	for (size_t i = 0; i < p->n; i++)
		if (p->v[i].tgid == t->tgid)
			return 0;	/* a process once, whichever of its threads is marked */
	if (p->n == MAX_VICTIMS) {
		p->over++;
		return 0;
	}
	p->v[p->n++] = (struct victim){ .tgid = t->tgid, .tid = t->tid, .grant_id = t->grant_id,
					.started_ns = t->started_ns, .subject = t->subject,
					.resource = t->resource };
	memcpy(p->v[p->n - 1].comm, t->comm, sizeof(t->comm));
	return 0;
}

static int collect(struct pick *p, uint64_t grant_id)
{
	char err[256];
	int ret;

	p->grant_id = grant_id;
	p->n = p->over = 0;
	ret = gate__for_each_session_task(d.gate->pin_dir, pick_task, p, err, sizeof(err));
	if (ret)
		pr_warn("cannot list elevated sessions: %s", err);
	return ret;
}

static json_t *exe_of(int tgid)
{
	char path[64], buf[PATH_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/exe", tgid);
	n = readlink(path, buf, sizeof(buf) - 1);
	if (n <= 0)
		return json_null();
	buf[n] = 0;
	return json_string(buf);
}

/* Kill one process of a session, through a pidfd checked against the kernel's record so
 * that a reused pid is never hit. Returns its description, or NULL when it was gone. */
static json_t *end_process(const struct victim *v)
{
	struct jg_session s;
	json_t *proc;
	int pidfd, ret;

	pidfd = (int)syscall(SYS_pidfd_open, v->tgid, 0);
	if (pidfd < 0)
		return NULL;	/* gone already */
	ret = gate__session_of_pidfd(d.gate->pin_dir, pidfd, &s);
	/* the leader is in this session; or only a thread was marked (a raw setuid on one
	 * thread), which the iterator just saw in this very process */
	if (ret ? !(ret == -ENOENT && v->tid != v->tgid)
		: (s.grant_id != v->grant_id || s.started_ns != v->started_ns)) {
		close(pidfd);
		return NULL;
	}
	proc = json_pack("{s:i, s:s, s:o}", "pid", v->tgid, "comm", v->comm, "exe",
			 exe_of(v->tgid));
	if (syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0) && errno != ESRCH)
		pr_warn("cannot kill process %d of an ended elevated session: %s", v->tgid,
			strerror(errno));
	close(pidfd);
	return proc;
}

static const char *resource_name(uint16_t res)
{
	return res < JG_MAX_RESOURCES && d.res_names[res] ? d.res_names[res] : NULL;
}

/* session.end for the victims of one grant (those in p->v with that grant id). */
static void end_grant(const struct pick *p, uint64_t grant_id, const char *why)
{
	json_t *procs = json_array(), *ev;
	const struct victim *first = NULL;
	const char *res;
	char gid[32];

	for (size_t i = 0; i < p->n; i++) {
		json_t *proc;

		if (p->v[i].grant_id != grant_id)
			continue;
		if (!first)
			first = &p->v[i];
		proc = end_process(&p->v[i]);
		if (proc)
			json_array_append_new(procs, proc);
	}
	if (!first || !json_array_size(procs)) {
		json_decref(procs);
		return;
	}
	ev = audit__new("session.end");
	json_object_set_new(ev, "grant_id", json_string(grants__format_id(grant_id, gid,
									  sizeof(gid))));
	json_object_set_new(ev, "subject", audit__subject(first->subject, (uint32_t)-1));
	res = resource_name(first->resource);
	json_object_set_new(ev, "resource", res ? json_string(res) : json_null());
	json_object_set_new(ev, "end_reason", json_string(why));
	json_object_set_new(ev, "processes", procs);
	ctl_emit(ev);
}

static void end_all(struct pick *p, const char *why)
{
	for (size_t i = 0; i < p->n; i++) {
		bool seen = false;

		for (size_t j = 0; j < i && !seen; j++)
			seen = p->v[j].grant_id == p->v[i].grant_id;
		if (!seen)
			end_grant(p, p->v[i].grant_id, why);
	}
	if (p->over)
		pr_warn("%zu more elevated-session processes than one pass ends; the next "
			"sweep takes them", p->over);
}

/* Passes over the tasks at one grant's end: a process forked while a pass ran is caught
 * by the next (or, failing that, by the kernel at its first checked operation). */
#define END_PASSES 3

void sessions__grant_ended(uint64_t grant_id, const char *kind)
{
	/* A revoke ends this grant's session even when another elevate grant of the same
	 * person is live; an expiry ends whatever no live grant covers. */
	for (int pass = 0; pass < END_PASSES; pass++) {
		size_t found = 0;

		if (!strcmp(kind, "revoke") && !collect(&scratch, grant_id)) {
			found += scratch.n;
			end_all(&scratch, kind);
		}
		if (!collect(&scratch, 0)) {
			found += scratch.n;
			end_all(&scratch, kind);
		}
		if (!found)
			break;
	}
}

void sessions__sweep(bool now)
{
	int64_t t = (int64_t)util__boottime_ns();

	if (!now && t - last_sweep_ns < (int64_t)SWEEP_EVERY_NS)
		return;
	last_sweep_ns = t;
	if (!collect(&scratch, 0))
		end_all(&scratch, "expire");
}

struct census {
	size_t processes, ending;
	uint64_t grants[64];
	size_t ngrants;
};

static int count_task(const struct jg_session_task *t, void *ctx)
{
	struct census *c = ctx;
	size_t i;

	if (t->tid != t->tgid)
		return 0;	/* processes, not threads */
	c->processes++;
	if (!t->live)
		c->ending++;
	for (i = 0; i < c->ngrants && c->grants[i] != t->grant_id; i++)
		;
	if (i == c->ngrants && c->ngrants < 64)
		c->grants[c->ngrants++] = t->grant_id;
	return 0;
}

json_t *sessions__status(void)
{
	struct census c = { 0 };

	if (gate__for_each_session_task(d.gate->pin_dir, count_task, &c, NULL, 0))
		return json_null();
	return json_pack("{s:I, s:I, s:I}", "processes", (json_int_t)c.processes, "sessions",
			 (json_int_t)c.ngrants, "ending", (json_int_t)c.ending);
}

/* ------------------------------------------------------------------ the warning */

#define MAX_WARNED 256
static uint64_t warned[MAX_WARNED];
static size_t nwarned;

static bool was_warned(uint64_t id)
{
	for (size_t i = 0; i < nwarned; i++)
		if (warned[i] == id)
			return true;
	return false;
}

/* The controlling terminal of a process as a device path, or false. */
static bool tty_of(int pid, char *buf, size_t len)
{
	char path[64], stat[1024], *p;
	unsigned major, minor;
	int tty_nr = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	p = fgets(stat, sizeof(stat), f);
	fclose(f);
	if (!p || !(p = strrchr(stat, ')')))
		return false;
	/* ") S ppid pgrp session tty_nr" */
	if (sscanf(p + 1, " %*c %*d %*d %*d %d", &tty_nr) != 1 || !tty_nr)
		return false;
	major = ((unsigned)tty_nr >> 8) & 0xfff;
	minor = ((unsigned)tty_nr & 0xff) | (((unsigned)tty_nr >> 12) & 0xfff00);
	if (major >= 136 && major <= 143)
		snprintf(buf, len, "/dev/pts/%u", (major - 136) * 256 + minor);
	else if (major == 4 && minor < 64)
		snprintf(buf, len, "/dev/tty%u", minor);
	else if (major == 4)
		snprintf(buf, len, "/dev/ttyS%u", minor - 64);
	else
		return false;
	return true;
}

/* Write the warning to each terminal of the session once; returns the terminals. */
static json_t *warn_ttys(const struct pick *p, const char *text)
{
	json_t *ttys = json_array();

	for (size_t i = 0; i < p->n; i++) {
		char tty[64];
		size_t k;
		int fd;

		if (!tty_of(p->v[i].tgid, tty, sizeof(tty)))
			continue;
		for (k = 0; k < json_array_size(ttys); k++)
			if (!strcmp(json_string_value(json_array_get(ttys, k)), tty))
				break;
		if (k < json_array_size(ttys))
			continue;
		fd = open(tty, O_WRONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (write(fd, text, strlen(text)) > 0)
			json_array_append_new(ttys, json_string(tty));
		close(fd);
	}
	return ttys;
}

static void warn_grant(const struct jg_grant_rec *r, uint64_t left_s)
{
	char gid[32], text[512], left[32];
	json_t *ev;

	if (collect(&scratch, r->id) || !scratch.n)
		return;		/* no session yet: warn when one exists */
	grants__format_id(r->id, gid, sizeof(gid));
	duration__format(left_s ? left_s : 1, left, sizeof(left));
	snprintf(text, sizeof(text),
		 "\r\n\a*** jitgate: the elevated session of %s under grant %s ends in %s; "
		 "every process of it will be killed then. ***\r\n", r->user, gid, left);
	ev = audit__new("session.warn");
	json_object_set_new(ev, "grant_id", json_string(gid));
	json_object_set_new(ev, "subject", audit__subject(r->uid, (uint32_t)-1));
	json_object_set_new(ev, "ends_in_s", json_integer((json_int_t)left_s));
	json_object_set_new(ev, "processes", json_integer((json_int_t)scratch.n));
	json_object_set_new(ev, "ttys", warn_ttys(&scratch, text));
	ctl_emit(ev);
	if (nwarned == MAX_WARNED)
		nwarned = 0;	/* the oldest are long over */
	warned[nwarned++] = r->id;
}

/* The warning period of an elevate grant: the longest "warn" of its elevate resources. */
static uint64_t warn_period_s(const struct jg_grant_rec *r)
{
	uint64_t w = 0;

	for (size_t a = 0; a < r->nallow; a++) {
		const struct jg_resource *res;

		if (!(r->allow[a].perms & JG_PERM_ELEVATE) || !d.policy)
			continue;
		res = policy__resource(d.policy, r->allow[a].resource);
		if (res && res->elevate_warn_s > w)
			w = res->elevate_warn_s;
	}
	return w;
}

void sessions__warn_due(void)
{
	uint64_t now = util__boottime_ns();

	for (size_t i = 0; i < d.grants.n; i++) {
		const struct jg_grant_rec *r = &d.grants.v[i];
		uint64_t w = warn_period_s(r), left;

		if (!w || r->expires_boot_ns <= now || was_warned(r->id))
			continue;
		left = (r->expires_boot_ns - now) / 1000000000ull;
		if (left <= w)
			warn_grant(r, left);
	}
}
