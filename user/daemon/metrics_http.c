// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The metrics endpoint's sockets (docs/metrics.md): a Unix socket for root and
 * "metrics_group", and only when "metrics_listen" names one, a loopback TCP port; plain
 * HTTP/1.x, GET (or HEAD) of / or /metrics. Nothing here waits: a few slots, a bounded
 * request, the control socket's deadlines (client_read_timeout_ms, client_write_timeout_ms),
 * one reply and the connection is closed. */
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include "daemon/daemon.h"
#include "lib/metrics.h"

#define METRICS_SLOTS		8	/* scrapers at once; more are refused */
#define METRICS_REQ_MAX		2048	/* request line and headers */
#define METRICS_ACCEPTS		16	/* per wakeup of a listening socket */
#define METRICS_LINGER_MS	1000	/* after the reply, for the client to close */

struct mclient {
	int fd;				/* -1: a free slot */
	bool writing, want_out;
	bool draining;			/* the reply is out: reading to the client's close */
	char in[METRICS_REQ_MAX];
	size_t inlen;
	char *out;
	size_t outlen, outoff;
	int64_t deadline;		/* CLOCK_MONOTONIC ms */
};

static struct {
	bool on;			/* metrics_open ran: the slots are set up */
	int unix_fd, tcp_fd;
	char path[300];			/* the Unix socket, removed at exit */
	struct mclient c[METRICS_SLOTS];
	uint64_t served, refused;
} mh = { .unix_fd = -1, .tcp_fd = -1 };

/* ------------------------------------------------------------------ the listen address */

int metrics_listen_address(const char *text, struct sockaddr_storage *ss, uint32_t *len,
			   char *err, size_t errlen)
{
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
	bool loopback;

	if (sink__parse_address(text, ss, len)) {
		snprintf(err, errlen, "\"metrics_listen\" \"%s\" is not an address and port like "
			 "\"127.0.0.1:9464\" or \"[::1]:9464\"", text);
		return -EINVAL;
	}
	if (ss->ss_family == AF_INET)
		loopback = (ntohl(s4->sin_addr.s_addr) >> 24) == 127;
	else
		loopback = IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr) ||
			   (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr) && s6->sin6_addr.s6_addr[12] == 127);
	if (!loopback) {
		snprintf(err, errlen, "\"metrics_listen\" \"%s\" is not a loopback address; "
			 "jitgated serves metrics over TCP on 127.0.0.0/8 or [::1] only (put a "
			 "proxy with authentication in front to publish them further)", text);
		return -EINVAL;
	}
	return 0;
}

/* ------------------------------------------------------------------ sockets */

static int watch(int fd, int op, uint32_t tag, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.u32 = tag };

	return epoll_ctl(d.ep_fd, op, fd, &ev) ? -errno : 0;
}

/* The Unix socket: root's, and its group's when metrics_group is set (0660), else 0600. */
static int open_unix(char *err, size_t errlen)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	gid_t gid = 0;
	int fd;

	if (*d.cfg.metrics_group) {
		struct group *g = getgrnam(d.cfg.metrics_group);

		if (!g) {
			snprintf(err, errlen, "\"metrics_group\" \"%s\" is not a group on this host",
				 d.cfg.metrics_group);
			return -EINVAL;
		}
		gid = g->gr_gid;
	}
	if (strlen(mh.path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "metrics socket path %s is too long", mh.path);
		return -ENAMETOOLONG;
	}
	strcpy(sun.sun_path, mh.path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	unlink(mh.path);	/* we hold the daemon's lock: a socket file here is stale */
	/* made with the umask's mode (no write for others: nobody else can connect), then
	 * given to its group */
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) || chown(mh.path, 0, gid) ||
	    chmod(mh.path, *d.cfg.metrics_group ? 0660 : 0600) || listen(fd, 16)) {
		int ret = -errno;

		snprintf(err, errlen, "cannot serve metrics on %s: %s", mh.path, strerror(-ret));
		close(fd);
		return ret;
	}
	return fd;
}

static int open_tcp(char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	uint32_t len;
	int fd, one = 1, ret;

	ret = metrics_listen_address(d.cfg.metrics_listen, &ss, &len, err, errlen);
	if (ret)
		return ret;
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) || listen(fd, 16)) {
		ret = -errno;
		snprintf(err, errlen, "cannot serve metrics on %s: %s", d.cfg.metrics_listen,
			 strerror(-ret));
		close(fd);
		return ret;
	}
	return fd;
}

int metrics_open(char *err, size_t errlen)
{
	for (int i = 0; i < METRICS_SLOTS; i++)
		mh.c[i].fd = -1;
	mh.on = true;
	if (*d.cfg.metrics_socket) {
		snprintf(mh.path, sizeof(mh.path), "%s", d.cfg.metrics_socket);
	} else {
		char dir[256], *slash;

		snprintf(dir, sizeof(dir), "%s", d.cfg.socket);
		slash = strrchr(dir, '/');
		if (slash && slash != dir)
			*slash = 0;
		else
			snprintf(dir, sizeof(dir), "/run/jitgate");
		snprintf(mh.path, sizeof(mh.path), "%s/" JG_METRICS_NAME, dir);
	}
	mh.unix_fd = open_unix(err, errlen);
	if (mh.unix_fd < 0 || watch(mh.unix_fd, EPOLL_CTL_ADD, TAG_METRICS_UNIX, EPOLLIN)) {
		if (mh.unix_fd >= 0)
			snprintf(err, errlen, "cannot watch %s: %s", mh.path, strerror(errno));
		return -EINVAL;
	}
	if (!*d.cfg.metrics_listen)
		return 0;
	mh.tcp_fd = open_tcp(err, errlen);
	if (mh.tcp_fd < 0 || watch(mh.tcp_fd, EPOLL_CTL_ADD, TAG_METRICS_TCP, EPOLLIN)) {
		if (mh.tcp_fd >= 0)
			snprintf(err, errlen, "cannot watch %s: %s", d.cfg.metrics_listen,
				 strerror(errno));
		return -EINVAL;
	}
	return 0;
}

/* ------------------------------------------------------------------ clients */

static void mclient_close(struct mclient *c)
{
	if (c->fd < 0)
		return;
	close(c->fd);
	free(c->out);
	c->out = NULL;
	c->fd = -1;
	c->inlen = c->outlen = c->outoff = 0;
	c->writing = c->want_out = c->draining = false;
}

/* The reply is out. Closing now, with bytes of the client's still unread (a request that
 * was too long), would reset the connection and could destroy the reply before the client
 * read it; so the sending side is shut and what the client still sends is read and
 * dropped until it closes, for at most METRICS_LINGER_MS. */
static void linger(struct mclient *c)
{
	if (shutdown(c->fd, SHUT_WR) ||
	    (c->want_out && watch(c->fd, EPOLL_CTL_MOD, TAG_METRICS_CLIENT + (uint32_t)(c - mh.c),
				  EPOLLIN | EPOLLRDHUP))) {
		mclient_close(c);
		return;
	}
	c->writing = false;
	c->draining = true;
	c->deadline = util__monotonic_ms() + METRICS_LINGER_MS;
}

static void drain(struct mclient *c)
{
	for (;;) {
		ssize_t n = util__recv_some(c->fd, c->in, sizeof(c->in));

		if (n == 0)
			return;
		if (n < 0) {
			mclient_close(c);
			return;
		}
	}
}

static void output(struct mclient *c)
{
	int ret = util__send_rest(c->fd, c->out, c->outlen, &c->outoff);

	if (ret == 0 && !c->want_out &&
	    watch(c->fd, EPOLL_CTL_MOD, TAG_METRICS_CLIENT + (uint32_t)(c - mh.c), EPOLLOUT))
		ret = -1;	/* cannot wait for room: as if gone */
	if (ret == 0) {
		c->want_out = true;
		return;
	}
	if (ret < 0) {
		mh.refused++;
		mclient_close(c);
		return;
	}
	linger(c);
}

/* Start the reply: status line, headers, and body (not for HEAD). */
static void reply(struct mclient *c, int code, const char *reason, const char *type,
		  const char *body, size_t bodylen, bool head)
{
	char *out = NULL;
	int n;

	n = asprintf(&out, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
		     "Cache-Control: no-store\r\nConnection: close\r\n\r\n%.*s", code, reason,
		     type, bodylen, head ? 0 : (int)bodylen, body);
	if (n < 0) {
		mh.refused++;
		mclient_close(c);
		return;
	}
	if (code == 200)
		mh.served++;
	else
		mh.refused++;
	c->out = out;
	c->outlen = (size_t)n;
	c->writing = true;
	c->deadline = util__monotonic_ms() + d.cfg.client_write_timeout_ms;
	output(c);
}

static void error_reply(struct mclient *c, int code, const char *reason, const char *sentence)
{
	char body[256];
	int n = snprintf(body, sizeof(body), "%s\n", sentence);

	reply(c, code, reason, "text/plain; charset=utf-8", body, (size_t)n, false);
}

/* A whole request is in: answer its request line. */
static void handle(struct mclient *c)
{
	char method[8], target[256], version[16], *text;
	size_t tl;
	bool head;

	c->in[c->inlen < sizeof(c->in) ? c->inlen : sizeof(c->in) - 1] = 0;
	if (sscanf(c->in, "%7[A-Z] %255[^ \r\n] %15[^ \r\n]", method, target, version) != 3 ||
	    strncmp(version, "HTTP/1.", 7)) {
		error_reply(c, 400, "Bad Request", "not an HTTP/1.x request line");
		return;
	}
	head = !strcmp(method, "HEAD");
	if (strcmp(method, "GET") && !head) {
		error_reply(c, 405, "Method Not Allowed", "only GET and HEAD are served");
		return;
	}
	tl = strcspn(target, "?");
	if (!(tl == 1 && target[0] == '/') && !(tl == 8 && !strncmp(target, "/metrics", 8))) {
		error_reply(c, 404, "Not Found", "metrics are served at /metrics");
		return;
	}
	text = metrics_text(&tl, mh.served, mh.refused);
	if (!text) {
		error_reply(c, 500, "Internal Server Error", "out of memory");
		return;
	}
	reply(c, 200, "OK", JG_METRICS_CONTENT_TYPE, text, tl, head);
	free(text);
}

static void input(struct mclient *c)
{
	for (;;) {
		ssize_t n = util__recv_some(c->fd, c->in + c->inlen, sizeof(c->in) - 1 - c->inlen);

		if (n == 0)
			return;
		if (n < 0) {
			mh.refused++;	/* gone before a whole request */
			mclient_close(c);
			return;
		}
		c->inlen += (size_t)n;
		c->in[c->inlen] = 0;
		if (strstr(c->in, "\r\n\r\n") || strstr(c->in, "\n\n")) {
			handle(c);
			return;
		}
		if (c->inlen == sizeof(c->in) - 1) {
			error_reply(c, 431, "Request Header Fields Too Large",
				    "the request is longer than 2047 bytes");
			return;
		}
	}
}

void metrics_event(uint32_t slot, uint32_t events)
{
	struct mclient *c = slot < METRICS_SLOTS ? &mh.c[slot] : NULL;

	if (!mh.on || !c || c->fd < 0)
		return;
	if (c->draining)
		drain(c);
	else if (c->writing)
		output(c);
	else
		input(c);
}

void metrics_accept(uint32_t tag)
{
	int lfd = tag == TAG_METRICS_TCP ? mh.tcp_fd : mh.unix_fd;

	for (int i = 0; i < METRICS_ACCEPTS; i++) {
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK), slot;

		if (fd < 0 && (errno == EINTR || errno == ECONNABORTED))
			continue;
		if (fd < 0)
			return;
		for (slot = 0; slot < METRICS_SLOTS && mh.c[slot].fd >= 0; slot++)
			;
		if (slot == METRICS_SLOTS) {
			static const char busy[] = "HTTP/1.1 503 Service Unavailable\r\n"
				"Content-Length: 0\r\nConnection: close\r\n\r\n";

			if (send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
				pr_debug("metrics: busy reply not sent: %s", strerror(errno));
			close(fd);
			mh.refused++;
			continue;
		}
		mh.c[slot].fd = fd;
		mh.c[slot].deadline = util__monotonic_ms() + d.cfg.client_read_timeout_ms;
		if (watch(fd, EPOLL_CTL_ADD, TAG_METRICS_CLIENT + (uint32_t)slot,
			  EPOLLIN | EPOLLRDHUP)) {
			mh.refused++;
			mclient_close(&mh.c[slot]);
		}
	}
}

/* From the timer: drop who is past its deadline. */
void metrics_tick(void)
{
	int64_t now = util__monotonic_ms();

	for (int i = 0; mh.on && i < METRICS_SLOTS; i++) {
		if (mh.c[i].fd < 0 || now < mh.c[i].deadline)
			continue;
		if (!mh.c[i].draining) {
			static const char late[] = "HTTP/1.1 408 Request Timeout\r\n"
				"Content-Length: 0\r\nConnection: close\r\n\r\n";

			if (!mh.c[i].writing &&
			    send(mh.c[i].fd, late, sizeof(late) - 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
				pr_debug("metrics: timeout reply not sent: %s", strerror(errno));
			mh.refused++;
		}
		mclient_close(&mh.c[i]);
	}
}

void metrics_close(void)
{
	for (int i = 0; mh.on && i < METRICS_SLOTS; i++)
		mclient_close(&mh.c[i]);
	if (mh.unix_fd >= 0) {
		close(mh.unix_fd);
		unlink(mh.path);
	}
	if (mh.tcp_fd >= 0)
		close(mh.tcp_fd);
	mh.unix_fd = mh.tcp_fd = -1;
}
