// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* SIEM sinks (docs/siem.md). Network sinks never block: sockets are non-blocking, a record
 * the collector cannot take now goes to an append-only spool file that the 250 ms tick
 * drains in order once the collector is back.
 * Size: the order of records between the socket, the frame in progress and the spool is kept
 * by the functions of this file together (one record at a time, and drained batches); they
 * share struct sink, which no other file sees. The config parser could move out (a private
 * header for struct sink) if the file grows further. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include "lib/defaults.h"
#include "lib/log.h"
#include "lib/util.h"
#include "audit/format.h"
#include "audit/sink.h"

#define UDP_MAX 65507			/* the largest IPv4 UDP payload */
#define BACKOFF_MIN_MS 250
#define BACKOFF_MAX_MS 8000
#define CONNECT_TIMEOUT_MS 5000
#define COMPACT_MIN (1 << 20)		/* compact a spool once this much of it is sent */

struct batch_rec {
	size_t end, line;
};

enum sink_type { SINK_STDOUT, SINK_FILE, SINK_SYSLOG, SINK_JOURNAL };
enum { NET_DOWN, NET_CONNECTING, NET_UP };

struct sink {
	enum sink_type type;
	enum sink_format format;
	bool tcp;
	int facility;
	char app[49];
	char target[300];		/* "tcp:ADDRESS", "udp:ADDRESS", a path, "stdout", "journal" */
	struct sockaddr_storage ss;
	socklen_t sslen;
	int fd;				/* socket or file; -1 */
	int state;
	uint64_t next_try_ns, connect_ns;
	uint32_t backoff_ms;
	/* spool: records [spool_off, spool_size) of spool_fd are not yet taken */
	char spool_path[512], off_path[520];
	int spool_fd, off_fd;
	uint64_t spool_max;
	off_t spool_size, spool_off;
	/* the frame on its way: pend_sent of pend_len bytes written; pend_rec bytes of spool
	 * it stands for (0: it never went to the spool) */
	char *pend;
	size_t pend_len, pend_sent, pend_rec;
	uint64_t delivered, spooled, dropped, truncated, errors, refused;
	bool drop_warned;
	/* records put since the last flush, as this sink writes them: out holds them one after
	 * the other; recs[i].end is where record i ends in it, recs[i].line which line of the
	 * batch it is (local sinks and TCP) */
	struct sbuf out;
	struct batch_rec *recs;
	size_t nrecs, recs_cap;
};

/* The lines of the records put since the last flush (what a network sink spools), line i
 * ending in lines.p at ends[i]. */
static struct {
	struct sbuf lines;
	size_t *ends, n, cap;
} batch;

static struct sink sinks[SINK_MAX];
static size_t nsinks;

/* ------------------------------------------------------------------ spool */

static void spool_save_off(struct sink *s)
{
	char buf[24];

	/* fixed width, so that a shorter number never leaves digits of a longer one */
	snprintf(buf, sizeof(buf), "%020lld\n", (long long)s->spool_off);
	if (pwrite(s->off_fd, buf, 21, 0) != 21)
		s->errors++;
}

/* Everything was taken: start the file over. */
static void spool_reset(struct sink *s)
{
	if (ftruncate(s->spool_fd, 0))
		s->errors++;
	s->spool_size = s->spool_off = 0;
	spool_save_off(s);
}

static int spool_open(struct sink *s, const char *dir, char *err, size_t errlen)
{
	char name[300], buf[24] = { 0 }, *p;
	struct stat st;
	long long off;

	snprintf(name, sizeof(name), "%s-%s.spool", s->target,
		 s->format == SINK_CEF ? "cef" : s->format == SINK_OCSF ? "ocsf" : "json");
	for (p = name; *p; p++)
		if (*p == ':' || *p == '/' || *p == '[' || *p == ']')
			*p = '_';
	snprintf(s->spool_path, sizeof(s->spool_path), "%s/%s", dir, name);
	snprintf(s->off_path, sizeof(s->off_path), "%s.offset", s->spool_path);
	s->spool_fd = open(s->spool_path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	s->off_fd = s->spool_fd < 0 ? -1 :
		    open(s->off_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (s->spool_fd < 0 || s->off_fd < 0 || fstat(s->spool_fd, &st)) {
		int e = errno;

		snprintf(err, errlen, "cannot open the spool %s: %s", s->spool_path, strerror(e));
		return -e;
	}
	s->spool_size = st.st_size;
	/* a crash mid-append left a partial record: cut it off */
	while (s->spool_size > 0) {
		char c;

		if (pread(s->spool_fd, &c, 1, s->spool_size - 1) != 1 || c == '\n')
			break;
		s->spool_size--;
	}
	if (s->spool_size != st.st_size && ftruncate(s->spool_fd, s->spool_size))
		s->errors++;
	if (pread(s->off_fd, buf, sizeof(buf) - 1, 0) > 0 && sscanf(buf, "%lld", &off) == 1 &&
	    off >= 0 && off <= s->spool_size)
		s->spool_off = off;
	if (s->spool_off == s->spool_size)
		spool_reset(s);
	return 0;
}

static int spool_append(struct sink *s, const char *line, size_t len)
{
	ssize_t n;

	if ((uint64_t)s->spool_size + len > s->spool_max) {
		s->dropped++;
		if (!s->drop_warned)
			pr_warn("sink %s: spool %s is full (%llu bytes); dropping records (counted "
				"as dropped) until the collector takes some", s->target,
				s->spool_path, (unsigned long long)s->spool_max);
		s->drop_warned = true;
		return -ENOSPC;
	}
	n = write(s->spool_fd, line, len);
	if (n != (ssize_t)len) {
		/* never leave half a record: the next append would merge with it */
		if (n > 0 && ftruncate(s->spool_fd, s->spool_size))
			s->errors++;
		s->dropped++;
		s->errors++;
		return -EIO;
	}
	s->spool_size += (off_t)len;
	s->spooled++;
	return 0;
}

/* The next spooled record at spool_off (newline included), malloc'd; NULL at the end. */
static char *spool_next(struct sink *s, size_t *len)
{
	size_t cap = 8192;
	char *buf = NULL, *nl;

	for (;;) {
		size_t want = (size_t)(s->spool_size - s->spool_off);
		ssize_t n;
		char *p;

		if (!want)
			break;
		if (want > cap)
			want = cap;
		p = realloc(buf, want);
		if (!p)
			break;
		buf = p;
		n = pread(s->spool_fd, buf, want, s->spool_off);
		if (n <= 0)
			break;
		nl = memchr(buf, '\n', (size_t)n);
		if (nl) {
			*len = (size_t)(nl - buf) + 1;
			return buf;
		}
		if ((size_t)n < want || cap >= (64u << 20))
			break;
		cap *= 2;
	}
	free(buf);
	return NULL;
}

/* Move what is not yet taken to the front of a fresh file, so the bound counts backlog. */
static void spool_compact(struct sink *s)
{
	char tmp[540], buf[65536];
	off_t pos = s->spool_off;
	int fd;

	snprintf(tmp, sizeof(tmp), "%s.tmp", s->spool_path);
	fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	while (pos < s->spool_size) {
		ssize_t n = pread(s->spool_fd, buf, sizeof(buf), pos);

		if (n <= 0 || write(fd, buf, (size_t)n) != n) {
			close(fd);
			unlink(tmp);
			return;
		}
		pos += n;
	}
	/* the offset goes to 0 after the rename: a crash in between resends, never skips */
	if (rename(tmp, s->spool_path)) {
		close(fd);
		unlink(tmp);
		return;
	}
	close(s->spool_fd);
	s->spool_fd = fd;
	s->spool_size -= s->spool_off;
	s->spool_off = 0;
	spool_save_off(s);
}

/* ------------------------------------------------------------------ network */

static void net_down(struct sink *s, int err)
{
	if (s->fd >= 0) {
		if (s->state == NET_UP)
			pr_info("sink %s: collector gone (%s); spooling to %s", s->target,
				err ? strerror(err) : "it closed the connection", s->spool_path);
		close(s->fd);
	}
	s->fd = -1;
	s->state = NET_DOWN;
	s->pend_sent = 0;		/* a new connection gets the whole frame again */
	s->next_try_ns = (uint64_t)now_ns() + (uint64_t)s->backoff_ms * 1000000;
	s->backoff_ms = s->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : s->backoff_ms * 2;
}

static void net_up(struct sink *s)
{
	s->state = NET_UP;
	s->backoff_ms = BACKOFF_MIN_MS;
	s->drop_warned = false;
	pr_debug("sink %s: connected", s->target);
}

static void net_connect(struct sink *s)
{
	s->fd = socket(s->ss.ss_family, (s->tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK |
		       SOCK_CLOEXEC, 0);
	if (s->fd < 0) {
		net_down(s, errno);
		return;
	}
	if (!connect(s->fd, (struct sockaddr *)&s->ss, s->sslen)) {
		net_up(s);
	} else if (errno == EINPROGRESS) {
		s->state = NET_CONNECTING;
		s->connect_ns = (uint64_t)now_ns();
	} else {
		net_down(s, errno);
	}
}

/* Is the TCP peer still there? The collector never sends, so EOF means it closed. */
static bool net_alive(struct sink *s)
{
	char c;
	ssize_t n;

	if (!s->tcp)
		return true;
	n = recv(s->fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
		net_down(s, n == 0 ? 0 : errno);
		return false;
	}
	if (n > 0) {
		char junk[512];

		while (recv(s->fd, junk, sizeof(junk), MSG_DONTWAIT) > 0)
			;		/* nothing is expected back: discard */
	}
	return true;
}

/* Advance a connection in progress; true when up. */
static bool net_ready(struct sink *s)
{
	uint64_t now = (uint64_t)now_ns();

	if (s->state == NET_DOWN && now >= s->next_try_ns)
		net_connect(s);
	if (s->state == NET_CONNECTING) {
		struct pollfd p = { .fd = s->fd, .events = POLLOUT };
		int soerr = 0;
		socklen_t l = sizeof(soerr);

		if (poll(&p, 1, 0) == 1) {
			if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &soerr, &l) || soerr)
				net_down(s, soerr ? soerr : errno);
			else
				net_up(s);
		} else if (now - s->connect_ns > (uint64_t)CONNECT_TIMEOUT_MS * 1000000) {
			net_down(s, ETIMEDOUT);
		}
	}
	return s->state == NET_UP;
}

/* Bytes written (maybe fewer than len on TCP) or -errno. */
static ssize_t net_send(struct sink *s, const char *p, size_t len)
{
	ssize_t n;

	do
		n = send(s->fd, p, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n >= 0)
		return n;
	if (errno == ECONNREFUSED && !s->tcp)
		s->refused++;	/* an ICMP error for an earlier datagram came back */
	return -errno;
}

/* The record as this sink sends it: an octet-counted RFC 5424 frame (TCP) or a datagram. */
static char *net_frame(struct sink *s, json_t *rec, const char *line, size_t len,
		       size_t *flen)
{
	size_t mlen, slen;
	char *msg = sink__format(s->format, rec, line, len, &mlen), *sys, *frame;

	if (!msg)
		return NULL;
	sys = sink__rfc5424(rec, s->facility, s->app, msg, mlen, &slen);
	free(msg);
	if (!sys)
		return NULL;
	if (!s->tcp) {
		if (slen > UDP_MAX) {
			slen = UDP_MAX;
			/* do not end inside a UTF-8 sequence */
			while (slen && ((unsigned char)sys[slen] & 0xc0) == 0x80)
				slen--;
			s->truncated++;
		}
		*flen = slen;
		return sys;
	}
	frame = sink__octet_frame(sys, slen, flen);
	free(sys);
	return frame;
}

/* The frame in progress is finished with: sent, or (sent false) given up and counted. */
static void pend_done(struct sink *s, bool sent)
{
	free(s->pend);
	s->pend = NULL;
	s->pend_len = s->pend_sent = 0;
	if (sent)
		s->delivered++;
	else
		s->dropped++;
	if (s->pend_rec) {
		s->spool_off += (off_t)s->pend_rec;
		s->pend_rec = 0;
		if (s->spool_off >= s->spool_size)
			spool_reset(s);
		else
			spool_save_off(s);
	}
}

/* Write the frame in progress, then spooled records, until the socket would block. */
static void net_drain(struct sink *s)
{
	while (net_ready(s) && net_alive(s)) {
		ssize_t n;

		if (!s->pend) {
			size_t len = 0;
			char *line = spool_next(s, &len);
			json_t *rec;

			if (!line)
				break;
			rec = json_loadb(line, len, 0, NULL);
			if (rec)
				s->pend = net_frame(s, rec, line, len, &s->pend_len);
			json_decref(rec);
			free(line);
			if (!s->pend) {
				/* unreadable record: skip it, counted */
				s->errors++;
				s->dropped++;
				s->spool_off += (off_t)len;
				if (!len || s->spool_off >= s->spool_size)
					spool_reset(s);
				else
					spool_save_off(s);
				continue;
			}
			s->pend_rec = len;
			s->pend_sent = 0;
		}
		n = net_send(s, s->pend + s->pend_sent, s->pend_len - s->pend_sent);
		if (n == -EMSGSIZE) {
			/* this datagram can never go: skip it, counted, rather than stall */
			pend_done(s, false);
			continue;
		}
		if (n < 0) {
			if (n != -EAGAIN && n != -EWOULDBLOCK && n != -ENOBUFS)
				net_down(s, (int)-n);
			break;
		}
		s->pend_sent += (size_t)n;
		if (s->pend_sent < s->pend_len)
			break;
		pend_done(s, true);
	}
	if (s->spool_off > COMPACT_MIN && s->spool_off > s->spool_size / 2)
		spool_compact(s);
}

static void net_put(struct sink *s, json_t *rec, const char *line, size_t len)
{
	/* straight to the socket only when nothing is waiting before this record */
	if (!s->pend && s->spool_size == s->spool_off && net_ready(s) && net_alive(s)) {
		size_t flen = 0;
		char *frame = net_frame(s, rec, line, len, &flen);
		ssize_t n;

		if (!frame) {
			s->errors++;
			s->dropped++;
			return;
		}
		n = net_send(s, frame, flen);
		if (n == (ssize_t)flen) {
			free(frame);
			s->delivered++;
			return;
		}
		if (n > 0) {
			/* the rest goes before anything else; spooled too, so that an exit before
			 * it is done resends it at the next start */
			s->pend = frame;
			s->pend_len = flen;
			s->pend_sent = (size_t)n;
			s->pend_rec = spool_append(s, line, len) ? 0 : len;
			return;
		}
		free(frame);
		if (n == -EMSGSIZE) {
			s->dropped++;
			return;
		}
		if (n != -EAGAIN && n != -EWOULDBLOCK && n != -ENOBUFS)
			net_down(s, (int)-n);
	}
	if (!spool_append(s, line, len))
		net_drain(s);
}

/* ------------------------------------------------------------------ local sinks */

static void local_put(struct sink *s, json_t *rec, const char *line, size_t len)
{
	size_t mlen = 0, off;
	char *msg = sink__format(s->format, rec, line, len, &mlen);

	if (!msg) {
		s->errors++;
		s->dropped++;
		return;
	}
	msg[mlen] = '\n';	/* every format leaves the NUL's byte: overwrite it */
	mlen++;
	off = util__write_all(s->fd, msg, mlen);
	free(msg);
	if (off == mlen) {
		s->delivered++;
	} else {
		s->errors++;
		s->dropped++;
	}
}

/* The journal: one entry a record, sent at once (a local datagram, as UDP). */
static void journal_put(struct sink *s, json_t *rec, const char *line, size_t len)
{
	size_t mlen = 0;
	char *msg = sink__format(s->format, rec, line, len, &mlen);

	if (msg && journal_send(rec, msg, mlen) >= 0) {
		s->delivered++;
	} else {
		s->errors++;
		s->dropped++;
	}
	free(msg);
}

/* ------------------------------------------------------------------ the module */

void sink__tap(const char *line, size_t len, void *ctx)
{
	json_t *rec;

	if (!nsinks)
		return;
	rec = json_loadb(line, len, 0, NULL);
	if (!rec)
		rec = json_object();
	for (size_t i = 0; i < nsinks; i++) {
		if (sinks[i].type == SINK_SYSLOG)
			net_put(&sinks[i], rec, line, len);
		else if (sinks[i].type == SINK_JOURNAL)
			journal_put(&sinks[i], rec, line, len);
		else
			local_put(&sinks[i], rec, line, len);
	}
	json_decref(rec);
}

/* ------------------------------------------------------------------ batches */

static bool grow(void **p, size_t *cap, size_t n, size_t size)
{
	size_t c;
	void *q;

	if (n < *cap)
		return true;
	c = *cap ? *cap * 2 : 256;
	q = realloc(*p, c * size);
	if (!q)
		return false;
	*p = q;
	*cap = c;
	return true;
}

/* Line i of the batch: where it starts and how long it is (0: it could not be kept). */
static size_t line_start(size_t i)
{
	return i ? batch.ends[i - 1] : 0;
}

/* A record as this sink writes it, appended to its batch: the format and a newline (local),
 * or the octet-counted RFC 5424 frame (TCP). false: it could not be made (nothing added). */
static bool batch_add(struct sink *s, json_t *rec, const char *line, size_t len)
{
	size_t mlen = 0, before = s->out.len;
	char *msg;

	if (!grow((void **)&s->recs, &s->recs_cap, s->nrecs, sizeof(*s->recs)))
		return false;
	if (s->type == SINK_SYSLOG) {
		msg = net_frame(s, rec, line, len, &mlen);
		if (msg)
			sb_put(&s->out, msg, mlen);
	} else {
		msg = sink__format(s->format, rec, line, len, &mlen);
		if (msg) {
			sb_put(&s->out, msg, mlen);
			sb_put(&s->out, "\n", 1);
		}
	}
	free(msg);
	if (!msg || s->out.oom) {
		s->out.len = before;
		s->out.oom = false;
		return false;
	}
	s->recs[s->nrecs].end = s->out.len;
	s->recs[s->nrecs].line = batch.n;
	s->nrecs++;
	return true;
}

void sink__put(const char *line, size_t len, json_t *rec, void *ctx)
{
	size_t before = batch.lines.len;
	bool parsed = false;

	if (!nsinks || !grow((void **)&batch.ends, &batch.cap, batch.n, sizeof(*batch.ends)))
		return;
	if (!rec) {
		rec = json_loadb(line, len, 0, NULL);
		if (!rec)
			rec = json_object();
		parsed = true;
	}
	for (size_t i = 0; i < nsinks; i++) {
		struct sink *s = &sinks[i];

		if (s->type == SINK_SYSLOG && !s->tcp) {
			net_put(s, rec, line, len);	/* datagrams stay one send each */
		} else if (s->type == SINK_JOURNAL) {
			journal_put(s, rec, line, len);
		} else if (!batch_add(s, rec, line, len)) {
			s->errors++;
			s->dropped++;
		}
	}
	/* kept for spooling; without it (no memory) a record that must be spooled is dropped,
	 * counted */
	sb_put(&batch.lines, line, len);
	if (batch.lines.oom) {
		batch.lines.len = before;
		batch.lines.oom = false;
	}
	batch.ends[batch.n++] = batch.lines.len;
	if (parsed)
		json_decref(rec);
}

/* A local sink's batch in one write; what did not go is counted, record by record. */
static void local_flush(struct sink *s)
{
	size_t off = util__write_all(s->fd, s->out.p, s->out.len);

	for (size_t i = 0; i < s->nrecs; i++) {
		if (s->recs[i].end <= off) {
			s->delivered++;
		} else {
			s->errors++;
			s->dropped++;
		}
	}
}

/* Spool the line of batch record r; a line that could not be kept is dropped, counted. */
static int spool_rec(struct sink *s, const struct batch_rec *r)
{
	size_t start = line_start(r->line), len = batch.ends[r->line] - start;

	if (!len) {
		s->errors++;
		s->dropped++;
		return -ENOMEM;
	}
	return spool_append(s, batch.lines.p + start, len);
}

/* A TCP sink's batch: one send when nothing waits before it and the collector is there. The
 * record the socket took only part of becomes the frame in progress (spooled too, as in
 * net_put), the ones after it go to the spool in order. */
static void tcp_flush(struct sink *s)
{
	size_t sent = 0, i = 0;

	if (!s->pend && s->spool_size == s->spool_off && net_ready(s) && net_alive(s)) {
		ssize_t n = net_send(s, s->out.p, s->out.len);

		if (n < 0 && n != -EAGAIN && n != -EWOULDBLOCK && n != -ENOBUFS)
			net_down(s, (int)-n);
		sent = n > 0 ? (size_t)n : 0;
		for (; i < s->nrecs && s->recs[i].end <= sent; i++)
			s->delivered++;
		if (i < s->nrecs && sent > (i ? s->recs[i - 1].end : 0)) {
			size_t start = i ? s->recs[i - 1].end : 0, flen = s->recs[i].end - start;

			s->pend = malloc(flen);
			if (s->pend) {
				memcpy(s->pend, s->out.p + start, flen);
				s->pend_len = flen;
				s->pend_sent = sent - start;
				s->pend_rec = spool_rec(s, &s->recs[i]) ? 0 :
					      batch.ends[s->recs[i].line] - line_start(s->recs[i].line);
			} else {
				/* part of a frame went and the rest cannot: start a new connection */
				s->errors++;
				s->dropped++;
				net_down(s, ENOMEM);
			}
			i++;
		}
	}
	for (; i < s->nrecs; i++)
		spool_rec(s, &s->recs[i]);
	if (s->spool_size != s->spool_off || s->pend)
		net_drain(s);
}

void sink__flush(void *ctx)
{
	for (size_t i = 0; i < nsinks; i++) {
		struct sink *s = &sinks[i];

		if (s->nrecs && s->type == SINK_SYSLOG)
			tcp_flush(s);
		else if (s->nrecs)
			local_flush(s);
		s->out.len = 0;
		s->nrecs = 0;
	}
	batch.lines.len = 0;
	batch.n = 0;
}

void sink__tick(void)
{
	for (size_t i = 0; i < nsinks; i++)
		if (sinks[i].type == SINK_SYSLOG)
			net_drain(&sinks[i]);
}

static const char *const type_names[] = { "stdout", "file", "syslog", "journal" };
static const char *const format_names[] = { "json", "cef", "ocsf" };

json_t *sink__stats(void)
{
	json_t *a = json_array();

	for (size_t i = 0; i < nsinks; i++) {
		struct sink *s = &sinks[i];
		json_t *o = json_pack("{s:i, s:s, s:s, s:s, s:I, s:I, s:I, s:I}",
				      "index", (int)i, "type", type_names[s->type],
				      "format", format_names[s->format], "target", s->target,
				      "delivered", (json_int_t)s->delivered,
				      "dropped", (json_int_t)s->dropped,
				      "truncated", (json_int_t)s->truncated,
				      "errors", (json_int_t)s->errors);

		if (s->type == SINK_SYSLOG) {
			json_object_set_new(o, "connected", json_boolean(s->state == NET_UP));
			json_object_set_new(o, "spooled", json_integer((json_int_t)s->spooled));
			json_object_set_new(o, "backlog_bytes",
					    json_integer((json_int_t)(s->spool_size - s->spool_off)));
			json_object_set_new(o, "spool", json_string(s->spool_path));
			if (!s->tcp)
				json_object_set_new(o, "refused",
						    json_integer((json_int_t)s->refused));
		}
		json_array_append_new(a, o);
	}
	return a;
}

static void sink_close(struct sink *s)
{
	if (s->fd >= 0 && s->fd != STDOUT_FILENO)
		close(s->fd);
	if (s->spool_fd >= 0)
		close(s->spool_fd);
	if (s->off_fd >= 0)
		close(s->off_fd);
	free(s->pend);
	free(s->out.p);
	free(s->recs);
	s->fd = s->spool_fd = s->off_fd = -1;
	s->pend = NULL;
	s->out = (struct sbuf){ 0 };
	s->recs = NULL;
	s->nrecs = s->recs_cap = 0;
}

void sink__close(void)
{
	sink__flush(NULL);
	for (size_t i = 0; i < nsinks; i++)
		sink_close(&sinks[i]);
	nsinks = 0;
}

static int pick(json_t *v, const char *const *names, size_t n)
{
	for (size_t i = 0; json_is_string(v) && i < n; i++)
		if (!strcmp(json_string_value(v), names[i]))
			return (int)i;
	return -1;
}

#define BAD(...) do { snprintf(err, errlen, __VA_ARGS__); return -EINVAL; } while (0)

static int parse_one(json_t *o, size_t i, struct sink *s, char *err, size_t errlen)
{
	static const char *const transports[] = { "udp", "tcp" };
	const char *key;
	json_t *v;
	int t;

	memset(s, 0, sizeof(*s));
	s->fd = s->spool_fd = s->off_fd = -1;
	if (!json_is_object(o))
		BAD("sinks[%zu] must be an object such as {\"type\": \"syslog\", \"address\": "
		    "\"127.0.0.1:6514\"}", i);
	t = pick(json_object_get(o, "type"), type_names, 4);
	if (t < 0)
		BAD("sinks[%zu].type must be \"stdout\", \"file\", \"syslog\" or \"journal\"", i);
	s->type = (enum sink_type)t;
	json_object_foreach(o, key, v) {
		bool net = !strcmp(key, "transport") || !strcmp(key, "address") ||
			   !strcmp(key, "app_name") || !strcmp(key, "facility") ||
			   !strcmp(key, "spool_max_bytes");

		if (!strcmp(key, "type"))
			continue;
		if (!strcmp(key, "format")) {
			t = pick(v, format_names, 3);
			if (t < 0)
				BAD("sinks[%zu].format must be \"json\", \"cef\" or \"ocsf\"", i);
			s->format = (enum sink_format)t;
		} else if (!strcmp(key, "path")) {
			if (s->type != SINK_FILE)
				BAD("sinks[%zu].path applies to \"file\" sinks only", i);
			if (!json_is_string(v) || json_string_value(v)[0] != '/' ||
			    strlen(json_string_value(v)) >= sizeof(s->target))
				BAD("sinks[%zu].path must be an absolute path", i);
			snprintf(s->target, sizeof(s->target), "%s", json_string_value(v));
		} else if (net && s->type != SINK_SYSLOG) {
			BAD("sinks[%zu].%s applies to \"syslog\" sinks only", i, key);
		} else if (!strcmp(key, "transport")) {
			t = pick(v, transports, 2);
			if (t < 0)
				BAD("sinks[%zu].transport must be \"tcp\" or \"udp\"", i);
			s->tcp = t == 1;
		} else if (!strcmp(key, "address")) {
			uint32_t l = 0;

			if (sink__parse_address(json_string_value(v), &s->ss, &l))
				BAD("sinks[%zu].address must be IPV4:PORT or [IPV6]:PORT with a "
				    "literal address (got %s)", i,
				    json_is_string(v) ? json_string_value(v) : "no string");
			s->sslen = l;
		} else if (!strcmp(key, "app_name")) {
			const char *a = json_string_value(v);
			size_t n = a ? strlen(a) : 0;

			if (!n || n > 48 || strspn(a, "!\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJ"
					   "KLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz"
					   "{|}~") != n)
				BAD("sinks[%zu].app_name must be 1 to 48 printable ASCII characters "
				    "without spaces", i);
			snprintf(s->app, sizeof(s->app), "%s", a);
		} else if (!strcmp(key, "facility")) {
			s->facility = sink__facility(json_string_value(v));
			if (s->facility < 0)
				BAD("sinks[%zu].facility must be a syslog facility name such as "
				    "\"authpriv\", \"auth\" or \"local0\"", i);
		} else if (!strcmp(key, "spool_max_bytes")) {
			json_int_t n = json_is_integer(v) ? json_integer_value(v) : 0;

			if (n < 4096 || n > ((json_int_t)1 << 40))
				BAD("sinks[%zu].spool_max_bytes must be an integer between 4096 and "
				    "1099511627776", i);
			s->spool_max = (uint64_t)n;
		} else {
			BAD("sinks[%zu]: unknown key \"%s\"", i, key);
		}
	}
	if (s->type == SINK_FILE && !*s->target)
		BAD("sinks[%zu].path is required for a \"file\" sink", i);
	if (s->type == SINK_STDOUT || s->type == SINK_JOURNAL)
		snprintf(s->target, sizeof(s->target), "%s", type_names[s->type]);
	if (s->type == SINK_SYSLOG) {
		char addr[INET6_ADDRSTRLEN];
		uint16_t port;

		if (!s->sslen)
			BAD("sinks[%zu].address is required for a \"syslog\" sink", i);
		if (!json_object_get(o, "transport"))
			s->tcp = true;
		if (!*s->app)
			snprintf(s->app, sizeof(s->app), "jitgate");
		if (!json_object_get(o, "facility"))
			s->facility = 10;	/* authpriv: access decisions are private */
		if (!s->spool_max)
			s->spool_max = SINK_SPOOL_DEFAULT;
		if (s->ss.ss_family == AF_INET6) {
			inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&s->ss)->sin6_addr, addr,
				  sizeof(addr));
			port = ntohs(((struct sockaddr_in6 *)&s->ss)->sin6_port);
			snprintf(s->target, sizeof(s->target), "%s:[%s]:%u", s->tcp ? "tcp" : "udp",
				 addr, port);
		} else {
			inet_ntop(AF_INET, &((struct sockaddr_in *)&s->ss)->sin_addr, addr,
				  sizeof(addr));
			port = ntohs(((struct sockaddr_in *)&s->ss)->sin_port);
			snprintf(s->target, sizeof(s->target), "%s:%s:%u", s->tcp ? "tcp" : "udp",
				 addr, port);
		}
		s->backoff_ms = BACKOFF_MIN_MS;
	}
	return 0;
}

int sink__config(json_t *arr, const char *spool_dir, char *err, size_t errlen)
{
	struct sink tmp[SINK_MAX];
	size_t n = 0, i;
	json_t *o;
	int ret = 0;

	sink__close();
	if (!arr || json_is_null(arr))
		return 0;
	if (!json_is_array(arr) || json_array_size(arr) > SINK_MAX)
		BAD("\"sinks\" must be an array of at most %d sink objects", SINK_MAX);
	json_array_foreach(arr, i, o) {
		ret = parse_one(o, i, &tmp[i], err, errlen);
		if (ret)
			return ret;
		for (size_t j = 0; j < i; j++)
			if (tmp[j].type != SINK_STDOUT && tmp[j].type == tmp[i].type &&
			    tmp[j].format == tmp[i].format && !strcmp(tmp[j].target, tmp[i].target))
				BAD("sinks[%zu] repeats sinks[%zu] (same target and format)", i, j);
		n = i + 1;
	}
	for (i = 0; i < n && !ret; i++) {
		struct sink *s = &tmp[i];

		if (s->type == SINK_STDOUT) {
			s->fd = STDOUT_FILENO;
		} else if (s->type == SINK_JOURNAL) {
			continue;	/* each record is one datagram to journald's socket */
		} else if (s->type == SINK_FILE) {
			s->fd = open(s->target, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
			if (s->fd < 0) {
				ret = -errno;
				snprintf(err, errlen, "sinks[%zu]: cannot open %s: %s", i, s->target,
					 strerror(errno));
			}
		} else {
			ret = util__mkdir_p(spool_dir, 0700);
			if (ret)
				snprintf(err, errlen, "sinks[%zu]: cannot create the spool directory "
					 "%s: %s", i, spool_dir, strerror(-ret));
			else
				ret = spool_open(s, spool_dir, err, errlen);
			if (!ret)
				net_connect(s);	/* non-blocking; the tick completes it */
		}
	}
	if (ret) {
		for (size_t j = 0; j < i; j++)
			sink_close(&tmp[j]);
		return ret;
	}
	memcpy(sinks, tmp, n * sizeof(tmp[0]));
	nsinks = n;
	return 0;
}
