// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The control socket (docs/protocol.md): non-blocking clients, framing, deadlines, caps,
 * and the handler table that maps each command to its handler. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <bpf/libbpf.h>
#include <openssl/crypto.h>
#include "daemon/daemon.h"

/* ------------------------------------------------------------------ clients */

/* The control socket is served without ever waiting on one client. Every connection is
 * non-blocking and has a slot: its input (one newline-terminated request, gathered as it
 * comes), its reply (written as the socket takes it) and a deadline (for the request, then
 * for taking the reply); a client past it is dropped. Requests are handled one at a time,
 * as they complete; only the I/O is spread out, so the ring buffer, expiries and other
 * clients are served while a client is slow or stuck. Connections are capped overall and
 * per uid; root has a reserve of its per-uid cap beyond the overall one, so an admin's
 * revoke gets through when others fill the slots. Every refusal and drop is counted
 * (status: daemon.clients) and reported in a client.drop audit event at most once a minute. */

#define CLIENT_CHUNK		4096
#define ACCEPTS_PER_WAKEUP	64
#define DROP_REPORT_MS		60000

struct client {
	int fd;				/* -1: a free slot */
	bool writing;			/* the request was handled; its reply is going out */
	bool want_out;			/* waiting for EPOLLOUT */
	struct peer peer;		/* proven at accept and never looked up again */
	char unproven[200];		/* why the peer's identity is not proven; "" = it is */
	char *in;			/* the request so far; NULL until its first byte */
	size_t inlen, incap;
	char *out;			/* the reply line */
	size_t outlen, outoff;
	int64_t deadline;		/* CLOCK_MONOTONIC ms */
};

struct client_stats {
	uint64_t accepted, served, refused_full, refused_uid, refused_rate, read_timeouts,
		 write_timeouts, bad_requests, unproven, hangups, errors;
};

/* The request rate of each uid but root: a token bucket (client_rate a second, client_burst
 * at once) checked at accept, one request being one connection. A fixed table: when it is
 * full the bucket idle longest is taken over (it would be full again anyway). Each bucket
 * also counts its uid's refusals and bad requests since the last client.drop. */
#define RATE_SLOTS	256
#define DROP_TOP_UIDS	8

struct rate_bucket {
	uint32_t uid;
	bool used;
	int64_t tokens_milli;		/* 1000 = one request */
	int64_t last_ms;
	uint64_t refused, bad;		/* since the last client.drop */
};

static struct {
	struct client *v;
	size_t n;			/* slots: max_clients + max_clients_per_uid (root) */
	size_t open;
	int spare_fd;			/* given up to accept and refuse when out of descriptors */
	struct client_stats st, reported;
	int64_t reported_ms;
	struct rate_bucket rate[RATE_SLOTS];
} srv = { .spare_fd = -1 };

static struct rate_bucket *rate_bucket(uint32_t uid, int64_t now)
{
	struct rate_bucket *b, *idle = &srv.rate[0];

	for (size_t i = 0; i < RATE_SLOTS; i++) {
		b = &srv.rate[i];
		if (b->used && b->uid == uid)
			return b;
		if (!b->used || (idle->used && b->last_ms < idle->last_ms))
			idle = b;
	}
	*idle = (struct rate_bucket){ .uid = uid, .used = true, .last_ms = now,
				      .tokens_milli = (int64_t)d.cfg.client_burst * 1000 };
	return idle;
}

/* May uid open one more request now? Root always may. */
static bool rate_take(uint32_t uid, int64_t now)
{
	struct rate_bucket *b;
	int64_t cap = (int64_t)d.cfg.client_burst * 1000;

	if (!uid || !d.cfg.client_rate)
		return true;
	b = rate_bucket(uid, now);
	b->tokens_milli += (now - b->last_ms) * (int64_t)d.cfg.client_rate;
	if (b->tokens_milli > cap)
		b->tokens_milli = cap;
	b->last_ms = now;
	if (b->tokens_milli < 1000) {
		b->refused++;
		return false;
	}
	b->tokens_milli -= 1000;
	return true;
}

/* Who is on the other end, taken from the connection at accept. SO_PEERCRED (uid, gid,
 * pid) was fixed by the kernel at connect. The loginuid must come from the process that
 * connected, but SO_PEERCRED's pid is a number: when that process has exited, the number
 * may belong to anyone (PID reuse). So it is read through a pidfd that must still be live
 * after the read (util__proc_ids), from a process that still runs with the euid and egid
 * the connection was made with. Otherwise the identity is unproven: why says so, and every
 * request on the connection is refused. */
static int peer_of(const struct ucred *cred, struct peer *p, char *why, size_t whylen)
{
	struct util_proc_ids ids;
	char err[160];
	int ret;

	memset(p, 0, sizeof(*p));
	p->pid = cred->pid;
	p->uid = cred->uid;
	p->gid = cred->gid;
	p->loginuid = (uint32_t)-1;
	p->subject = p->uid;
	ret = util__proc_ids(cred->pid, &ids, err, sizeof(err));
	if (!ret && (ids.euid != cred->uid || ids.egid != cred->gid)) {
		snprintf(err, sizeof(err), "process %d runs as uid %u gid %u, not as uid %u gid %u "
			 "that connected", (int)cred->pid, ids.euid, ids.egid, cred->uid, cred->gid);
		ret = -ESRCH;
	}
	if (ret) {
		snprintf(why, whylen, "%s", err);
		util__user_name(p->uid, p->user, sizeof(p->user));
		return ret;
	}
	p->loginuid = ids.loginuid;
	p->subject = p->loginuid != (uint32_t)-1 ? p->loginuid : p->uid;
	util__user_name(p->subject, p->user, sizeof(p->user));
	p->admin = p->uid == 0;
	for (size_t i = 0; i < d.cfg.nadmin_groups && !p->admin; i++)
		p->admin = util__user_in_group(p->uid, d.cfg.admin_groups[i]);
	for (size_t i = 0; i < d.cfg.nauditor_groups && !p->auditor; i++)
		p->auditor = util__user_in_group(p->uid, d.cfg.auditor_groups[i]);
	seal_peer(p);
	return 0;
}

static json_t *clients_json(void)
{
	return json_pack("{s:I, s:i, s:i, s:i, s:i, s:i, s:i, s:I, s:I, s:I, s:I, s:I, s:I, "
			 "s:I, s:I, s:I, s:I, s:I}",
			 "open", (json_int_t)srv.open, "max", (int)d.cfg.max_clients,
			 "max_per_uid", (int)d.cfg.max_clients_per_uid,
			 "rate", (int)d.cfg.client_rate, "burst", (int)d.cfg.client_burst,
			 "read_timeout_ms", (int)d.cfg.client_read_timeout_ms,
			 "write_timeout_ms", (int)d.cfg.client_write_timeout_ms,
			 "accepted", (json_int_t)srv.st.accepted,
			 "served", (json_int_t)srv.st.served,
			 "refused_full", (json_int_t)srv.st.refused_full,
			 "refused_uid", (json_int_t)srv.st.refused_uid,
			 "refused_rate", (json_int_t)srv.st.refused_rate,
			 "read_timeouts", (json_int_t)srv.st.read_timeouts,
			 "write_timeouts", (json_int_t)srv.st.write_timeouts,
			 "bad_requests", (json_int_t)srv.st.bad_requests,
			 "unproven", (json_int_t)srv.st.unproven,
			 "hangups", (json_int_t)srv.st.hangups,
			 "errors", (json_int_t)srv.st.errors);
}

/* One try to send a short error line on a fresh or dying socket; it is closed after. */
static void send_error_line(int fd, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void send_error_line(int fd, const char *code, const char *fmt, ...)
{
	char msg[512], *line;
	json_t *reply;
	va_list ap;
	size_t len;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	reply = proto__error(code, "%s", msg);
	line = reply ? proto__line(reply, &len) : NULL;
	if (line && send(fd, line, len, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		pr_debug("client error line not sent: %s", strerror(errno));
	free(line);
	json_decref(reply);
}

static void client_close(struct client *c)
{
	if (c->fd < 0)
		return;
	close(c->fd);	/* leaves the epoll set with it */
	free(c->in);
	free(c->out);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	srv.open--;
}

static int client_watch(struct client *c, int op, uint32_t events)
{
	struct epoll_event ev = { .events = events,
				  .data.u32 = TAG_CLIENT + (uint32_t)(c - srv.v) };

	return epoll_ctl(d.ep_fd, op, c->fd, &ev) ? -errno : 0;
}

/* The request of an unproven peer: refused, and audited (someone may be borrowing another
 * process's PID). */
static json_t *refuse_unproven(const struct client *c, const char *cmd)
{
	json_t *ev = audit__new("client.refuse");

	json_object_set_new(ev, "by", peer_json(&c->peer));
	json_object_set_new(ev, "gid", json_integer(c->peer.gid));
	json_object_set_new(ev, "cmd", json_string(cmd));
	json_object_set_new(ev, "reason", json_string(c->unproven));
	audit__emit(&d.audit, ev, 0);
	srv.st.unproven++;
	return proto__error("EPERM", "jitgated cannot prove who sent this request (%s); nothing "
			    "was done", c->unproven);
}

static json_t *do_status(const struct peer *p, json_t *args)
{
	json_t *st = reply_status();

	json_object_set_new(json_object_get(st, "daemon"), "clients", clients_json());
	return proto__ok(st);
}

/* Every command the socket answers (docs/protocol.md), and its handler. A handler checks
 * its own arguments and who may run it, and returns the reply. */
static const struct handler {
	const char *cmd;
	json_t *(*fn)(const struct peer *p, json_t *args);
} handlers[] = {
	{ "status",        do_status },		/* server.c */
	{ "policy.reload", do_reload },		/* cmd_control.c */
	{ "unload",        do_unload },
	{ "grant",         do_grant },		/* cmd_grants.c */
	{ "revoke",        do_revoke },
	{ "list",          do_list },
	{ "request",       do_request },	/* cmd_requests.c */
	{ "extend",        do_extend },
	{ "approve",       do_approve },
	{ "deny",          do_deny },
	{ "cancel",        do_cancel },
	{ "drop",          do_drop },
	{ "requests",      do_requests },	/* cmd_history.c */
	{ "history",       do_history },
	{ "mfa.enroll",    do_mfa_enroll },	/* cmd_mfa.c */
	{ "mfa.unlock",    do_mfa_unlock },
	{ "why",           do_why },		/* cmd_why.c */
};

/* A request that is not one: counted overall and for its uid's next client.drop. */
static void count_bad(const struct client *c)
{
	srv.st.bad_requests++;
	if (c->peer.uid)
		rate_bucket(c->peer.uid, util__monotonic_ms())->bad++;
}

static json_t *dispatch(const struct client *c, json_t *msg)
{
	const struct peer *peer = &c->peer;
	const char *cmd;
	json_t *args;
	char err[256];

	if (proto__parse_request(msg, &cmd, &args, err, sizeof(err))) {
		count_bad(c);
		return proto__error("EINVAL", "%s", err);
	}
	if (c->unproven[0])
		return refuse_unproven(c, cmd);
	for (size_t i = 0; i < sizeof(handlers) / sizeof(handlers[0]); i++)
		if (!strcmp(cmd, handlers[i].cmd))
			return handlers[i].fn(peer, args);
	return proto__error("EINVAL", "unknown command \"%s\"", cmd);
}

/* Write what the socket takes; done: close. */
static void client_output(struct client *c)
{
	int ret = util__send_rest(c->fd, c->out, c->outlen, &c->outoff);

	if (ret == 0) {
		if (!c->want_out && client_watch(c, EPOLL_CTL_MOD, EPOLLOUT)) {
			srv.st.errors++;
			client_close(c);
			return;
		}
		c->want_out = true;
		return;
	}
	if (ret < 0)
		srv.st.hangups++;	/* gone before taking its reply */
	else
		srv.st.served++;
	client_close(c);
}

static void client_reply(struct client *c, json_t *reply)
{
	c->out = reply ? proto__line(reply, &c->outlen) : NULL;
	json_decref(reply);
	free(c->in);
	c->in = NULL;
	if (!c->out) {
		srv.st.errors++;
		client_close(c);
		return;
	}
	c->writing = true;
	c->deadline = util__monotonic_ms() + d.cfg.client_write_timeout_ms;
	client_output(c);
}

/* Gather what arrived; once the request is complete, handle it and start the reply. */
static void client_input(struct client *c)
{
	for (;;) {
		json_t *msg = NULL, *reply;
		char err[256];
		ssize_t n;
		int ret;

		if (c->inlen == c->incap) {
			size_t cap = c->incap + CLIENT_CHUNK;
			char *p;

			if (cap > JG_PROTO_MAX_MSG + 1)
				cap = JG_PROTO_MAX_MSG + 1;	/* the message and its newline */
			p = realloc(c->in, cap);
			if (!p) {
				srv.st.errors++;
				client_close(c);
				return;
			}
			c->in = p;
			c->incap = cap;
		}
		n = util__recv_some(c->fd, c->in + c->inlen, c->incap - c->inlen);
		if (n == 0)
			return;
		if (n < 0) {
			srv.st.hangups++;	/* closed before a whole request */
			client_close(c);
			return;
		}
		c->inlen += (size_t)n;
		ret = proto__frame(c->in, c->inlen, JG_PROTO_MAX_MSG, &msg, err, sizeof(err));
		if (ret == -EAGAIN)
			continue;
		if (ret) {
			count_bad(c);
			reply = proto__error("EPROTO", "%s", err);
		} else {
			reply = dispatch(c, msg);
		}
		json_decref(msg);
		client_reply(c, reply);
		return;
	}
}

void client_event(uint32_t slot, uint32_t events)
{
	struct client *c = slot < srv.n ? &srv.v[slot] : NULL;

	if (!c || c->fd < 0)
		return;		/* closed earlier in this round */
	if (c->writing)
		client_output(c);
	else if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		client_input(c);
}

static void client_open(int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	size_t mine = 0, slot = SIZE_MAX;
	struct client *c;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len)) {
		srv.st.errors++;
		close(fd);
		return;
	}
	for (size_t i = 0; i < srv.n; i++) {
		if (srv.v[i].fd < 0 && slot == SIZE_MAX)
			slot = i;
		else if (srv.v[i].fd >= 0 && srv.v[i].peer.uid == cred.uid)
			mine++;
	}
	if (mine >= d.cfg.max_clients_per_uid) {
		send_error_line(fd, "EBUSY", "uid %u has %zu connections to jitgated open, the most "
				"one uid may have; try again when one of them has ended", cred.uid,
				mine);
		srv.st.refused_uid++;
		close(fd);
		return;
	}
	if (!rate_take(cred.uid, util__monotonic_ms())) {
		send_error_line(fd, "EAGAIN", "uid %u sent more than %u requests a second (%u at "
				"once) to jitgated, the most one uid may; nothing was read; try "
				"again in a second", cred.uid, d.cfg.client_rate,
				d.cfg.client_burst);
		srv.st.refused_rate++;
		close(fd);
		return;
	}
	if (slot == SIZE_MAX || (srv.open >= d.cfg.max_clients && cred.uid != 0)) {
		send_error_line(fd, "EBUSY", "jitgated is serving the most connections it takes "
				"(%u); try again shortly", d.cfg.max_clients);
		srv.st.refused_full++;
		close(fd);
		return;
	}
	c = &srv.v[slot];
	c->fd = fd;
	if (peer_of(&cred, &c->peer, c->unproven, sizeof(c->unproven)) && !c->unproven[0])
		snprintf(c->unproven, sizeof(c->unproven), "its process cannot be identified");
	c->deadline = util__monotonic_ms() + d.cfg.client_read_timeout_ms;
	srv.open++;
	if (client_watch(c, EPOLL_CTL_ADD, EPOLLIN | EPOLLRDHUP)) {
		srv.st.errors++;
		client_close(c);
		return;
	}
	srv.st.accepted++;
}

void clients_accept(void)
{
	for (int i = 0; i < ACCEPTS_PER_WAKEUP; i++) {
		int fd = accept4(d.listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

		if (fd >= 0) {
			client_open(fd);
			continue;
		}
		if (errno == EINTR || errno == ECONNABORTED)
			continue;
		if ((errno == EMFILE || errno == ENFILE) && srv.spare_fd >= 0) {
			/* out of descriptors: take the connection with the spare one and say no,
			 * or it would wake the loop forever */
			close(srv.spare_fd);
			fd = accept4(d.listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
			if (fd >= 0) {
				send_error_line(fd, "EBUSY", "jitgated is out of file descriptors; "
						"try again shortly");
				close(fd);
			}
			srv.st.errors++;
			srv.spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
			continue;
		}
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			pr_warn("accept on %s: %s", d.cfg.socket, strerror(errno));
		return;
	}
}

/* The uids with the most rate refusals and bad requests since the last client.drop (at
 * most DROP_TOP_UIDS, most first): [{"uid", "refused_rate", "bad_requests"}]; their counts
 * start again. */
static json_t *top_uids(void)
{
	json_t *arr = json_array();

	for (int k = 0; k < DROP_TOP_UIDS; k++) {
		struct rate_bucket *top = NULL;

		for (size_t i = 0; i < RATE_SLOTS; i++) {
			struct rate_bucket *b = &srv.rate[i];

			if (b->used && b->refused + b->bad &&
			    (!top || b->refused + b->bad > top->refused + top->bad))
				top = b;
		}
		if (!top)
			break;
		json_array_append_new(arr, json_pack("{s:I, s:I, s:I}", "uid", (json_int_t)top->uid,
						     "refused_rate", (json_int_t)top->refused,
						     "bad_requests", (json_int_t)top->bad));
		top->refused = top->bad = 0;
	}
	for (size_t i = 0; i < RATE_SLOTS; i++)
		srv.rate[i].refused = srv.rate[i].bad = 0;
	return arr;
}

/* From the timer: drop who is past its deadline; now and then, audit what was dropped. */
static void report_drops(int64_t now, bool force);

void clients_tick(void)
{
	int64_t now = util__monotonic_ms();
	struct client_stats *s = &srv.st;

	for (size_t i = 0; i < srv.n; i++) {
		struct client *c = &srv.v[i];

		if (c->fd < 0 || now < c->deadline)
			continue;
		if (c->writing) {
			s->write_timeouts++;
		} else {
			send_error_line(c->fd, "ETIMEDOUT", "no complete request within %u ms",
					d.cfg.client_read_timeout_ms);
			s->read_timeouts++;
		}
		client_close(c);
	}
	report_drops(now, false);
}

/* Audit what was refused and dropped since the last report: at most once a minute, and at
 * exit (force), so every count reaches the log. */
static void report_drops(int64_t now, bool force)
{
	struct client_stats *s = &srv.st, *r = &srv.reported;
	json_t *ev;

	if (!force && now - srv.reported_ms < DROP_REPORT_MS && srv.reported_ms)
		return;
	if (s->refused_full == r->refused_full && s->refused_uid == r->refused_uid &&
	    s->refused_rate == r->refused_rate && s->bad_requests == r->bad_requests &&
	    s->read_timeouts == r->read_timeouts && s->write_timeouts == r->write_timeouts &&
	    s->errors == r->errors)
		return;
	ev = audit__new("client.drop");
	json_object_set_new(ev, "refused_rate", json_integer((json_int_t)(s->refused_rate -
									  r->refused_rate)));
	json_object_set_new(ev, "bad_requests", json_integer((json_int_t)(s->bad_requests -
									  r->bad_requests)));
	json_object_set_new(ev, "uids", top_uids());
	json_object_set_new(ev, "refused_full", json_integer((json_int_t)(s->refused_full -
									  r->refused_full)));
	json_object_set_new(ev, "refused_uid", json_integer((json_int_t)(s->refused_uid -
									 r->refused_uid)));
	json_object_set_new(ev, "read_timeouts", json_integer((json_int_t)(s->read_timeouts -
									   r->read_timeouts)));
	json_object_set_new(ev, "write_timeouts", json_integer((json_int_t)(s->write_timeouts -
									    r->write_timeouts)));
	json_object_set_new(ev, "errors", json_integer((json_int_t)(s->errors - r->errors)));
	json_object_set_new(ev, "since_ms", json_integer(srv.reported_ms ?
							   now - srv.reported_ms : 0));
	audit__emit(&d.audit, ev, 0);
	*r = *s;
	srv.reported_ms = now;
}

int clients_init(char *err, size_t errlen)
{
	size_t n = (size_t)d.cfg.max_clients + d.cfg.max_clients_per_uid;
	struct rlimit rl;

	/* a descriptor per slot and enough for everything else */
	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < n + 256) {
		rl.rlim_cur = rl.rlim_max < n + 256 ? rl.rlim_max : n + 256;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	srv.v = calloc(n, sizeof(*srv.v));
	if (!srv.v) {
		snprintf(err, errlen, "out of memory for %zu client slots", n);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		srv.v[i].fd = -1;
	srv.n = n;
	srv.spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	return 0;
}

/* At exit: one last try to hand out replies already made (unload's), then close all; the
 * last counts are audited. */
void clients_close(void)
{
	if (srv.n)
		report_drops(util__monotonic_ms(), true);
	for (size_t i = 0; i < srv.n; i++) {
		struct client *c = &srv.v[i];

		if (c->fd >= 0 && c->writing && c->outoff < c->outlen &&
		    send(c->fd, c->out + c->outoff, c->outlen - c->outoff,
			 MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
			pr_debug("reply not sent at exit: %s", strerror(errno));
		client_close(c);
	}
	free(srv.v);
	srv.v = NULL;
	srv.n = 0;
	if (srv.spare_fd >= 0)
		close(srv.spare_fd);
	srv.spare_fd = -1;
}
