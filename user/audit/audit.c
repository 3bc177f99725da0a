// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The audit log: records numbered, chained and written (with rotation and gzip), and the
 * head a restarted daemon continues from. Kernel events become records in kernel_event.c;
 * a log whose file fails (the backlog, the sync, the reopen by name) is backlog.c's. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <zlib.h>
#include "audit/audit.h"
#include "audit/auditchain.h"
#include "audit/jsondump.h"
#include "audit/logfile.h"
#include "lib/id.h"
#include "lib/log.h"
#include "lib/perm.h"
#include "lib/util.h"

uint64_t audit__last_seq(const char *path)
{
	char buf[65536 + 1];
	uint64_t seq = 0;
	off_t size, start;
	ssize_t n;
	char *line, *end;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	size = lseek(fd, 0, SEEK_END);
	start = size > 65536 ? size - 65536 : 0;
	n = pread(fd, buf, sizeof(buf) - 1, start);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	/* the last complete line: a crash may have left a partial one after it */
	end = strrchr(buf, '\n');
	while (end) {
		json_t *j;

		*end = 0;
		line = strrchr(buf, '\n');
		line = line ? line + 1 : buf;
		j = json_loads(line, 0, NULL);
		if (j) {
			json_t *s = json_object_get(j, "seq");

			if (json_is_integer(s))
				seq = (uint64_t)json_integer_value(s);
			json_decref(j);
			if (seq)
				break;
		}
		end = line > buf ? line - 1 : NULL;
	}
	return seq;
}

int audit_write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Read at most this much from the end of the log to find its last record. */
#define TAIL_WINDOW (1 << 20)

void audit_read_tail(int fd, struct audit_tail *t)
{
	off_t size = lseek(fd, 0, SEEK_END), start;
	char *buf, *end, *line;
	ssize_t n;

	memset(t, 0, sizeof(*t));
	memcpy(t->chain, JG_CHAIN_GENESIS, sizeof(t->chain));
	if (size <= 0)
		return;
	start = size > TAIL_WINDOW ? size - TAIL_WINDOW : 0;
	buf = malloc((size_t)(size - start) + 1);
	if (!buf)
		return;
	n = pread(fd, buf, (size_t)(size - start), start);
	if (n <= 0) {
		free(buf);
		return;
	}
	buf[n] = 0;
	end = memrchr(buf, '\n', (size_t)n);
	/* a crash mid-write: the bytes after the last newline */
	t->partial_len = (uint64_t)(end ? buf + n - end - 1 : n);
	if (t->partial_len) {
		char *p = end ? end + 1 : buf;
		json_t *j = json_loadb(p, t->partial_len, 0, NULL);

		if (json_integer_value(json_object_get(j, "seq")) > 0 &&
		    auditchain__split(p, t->partial_len, t->chain)) {
			t->seq = (uint64_t)json_integer_value(json_object_get(j, "seq"));
			t->need_nl = true;
			t->partial_len = 0;
			end = NULL;
		} else {
			auditchain__sha256(p, t->partial_len, t->partial_sha);
		}
		json_decref(j);
	}
	while (end) {
		json_t *j, *s;

		*end = 0;
		line = memrchr(buf, '\n', (size_t)(end - buf));
		line = line ? line + 1 : buf;
		j = json_loads(line, 0, NULL);
		s = json_object_get(j, "seq");
		if (json_is_integer(s) && json_integer_value(s) > 0) {
			t->seq = (uint64_t)json_integer_value(s);
			if (!auditchain__split(line, (size_t)(end - line), t->chain))
				memcpy(t->chain, JG_CHAIN_GENESIS, sizeof(t->chain));
			json_decref(j);
			break;
		}
		json_decref(j);
		end = line > buf ? line - 1 : NULL;
	}
	free(buf);
}

int audit__read_head(const char *file, uint64_t *seq, char hex[65], char *path,
		     size_t pathlen)
{
	char buf[512], *sp;
	ssize_t n;
	int fd, tries;

	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* jitgated rewrites it in place: a torn read does not parse, read again */
	for (tries = 0; tries < 5; tries++) {
		n = pread(fd, buf, sizeof(buf) - 1, 0);
		if (n <= 0)
			break;
		buf[n] = 0;
		if (buf[n - 1] != '\n')
			continue;
		buf[n - 1] = 0;
		sp = strchr(buf, ' ');
		if (!sp)
			continue;
		*sp = ':';
		sp = strchr(sp + 1, ' ');
		if (!sp)
			continue;
		*sp++ = 0;
		if (auditchain__parse_head(buf, seq, hex))
			continue;
		snprintf(path, pathlen, "%s", sp);
		close(fd);
		return 0;
	}
	close(fd);
	return n < 0 ? -errno : -EINVAL;
}

/* Fixed width (the seq padded): rewritten in place by one pwrite per record, no fsync.
 * Returns its length, 0 on failure. */
static size_t head_write(struct jg_audit *a)
{
	char buf[600];
	int n;

	if (a->head_fd < 0)
		return 0;
	n = snprintf(buf, sizeof(buf), "%020llu %s %s\n", (unsigned long long)a->seq, a->chain,
		     a->path);
	if (n <= 0 || (size_t)n >= sizeof(buf) || pwrite(a->head_fd, buf, (size_t)n, 0) != n) {
		a->write_errors++;
		return 0;
	}
	return (size_t)n;
}

int audit_open_log(struct jg_audit *a)
{
	struct stat st;
	int fd = open(a->path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0640);

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		close(fd);
		return -EIO;
	}
	if (a->fd >= 0)
		close(a->fd);
	a->fd = fd;
	a->size = (uint64_t)st.st_size;
	return 0;
}

int audit__open_ex(struct jg_audit *a, const struct jg_audit_cfg *cfg, char *err,
		   size_t errlen)
{
	char dir[256], *slash, hpath[256], hchain[65];
	uint64_t hseq = 0;
	struct audit_tail t;
	bool have_head = false;
	int ret;

	memset(a, 0, sizeof(*a));
	a->fd = -1;
	a->head_fd = -1;
	a->to_stdout = cfg->to_stdout;
	a->max_bytes = cfg->max_bytes;
	a->keep = cfg->keep;
	a->backlog_max = cfg->backlog_max ? cfg->backlog_max : JG_AUDIT_BACKLOG_DEFAULT;
	memcpy(a->chain, JG_CHAIN_GENESIS, sizeof(a->chain));
	snprintf(a->host, sizeof(a->host), "%s", cfg->host);
	if (!cfg->path || !*cfg->path)
		return 0;
	snprintf(a->path, sizeof(a->path), "%s", cfg->path);
	snprintf(dir, sizeof(dir), "%s", cfg->path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = 0;
		ret = util__mkdir_p(dir, 0750);
		if (ret) {
			snprintf(err, errlen, "cannot create %s: %s", dir, strerror(-ret));
			return ret;
		}
	}
	ret = audit_reserve_backlog(a);
	if (ret) {
		snprintf(err, errlen, "cannot reserve %zu bytes of memory for the audit backlog "
			 "(audit_backlog_bytes): %s", a->backlog_max, strerror(-ret));
		return ret;
	}
	ret = audit_open_log(a);
	if (ret) {
		snprintf(err, errlen, "cannot open the audit log %s: %s", a->path, strerror(-ret));
		return ret;
	}
	if (cfg->head && *cfg->head) {
		snprintf(a->head, sizeof(a->head), "%s", cfg->head);
		have_head = !audit__read_head(a->head, &hseq, hchain, hpath, sizeof(hpath));
		a->head_fd = open(a->head, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (a->head_fd < 0) {
			ret = -errno;
			snprintf(err, errlen, "cannot open %s: %s", a->head, strerror(-ret));
			return ret;
		}
	}
	audit_read_tail(a->fd, &t);
	if (t.seq) {
		a->seq = t.seq;
		memcpy(a->chain, t.chain, sizeof(a->chain));
	} else if (have_head) {
		/* an empty log: moved away while no daemon ran; the chain goes on */
		a->seq = hseq;
		memcpy(a->chain, hchain, sizeof(a->chain));
	}
	if (t.partial_len || t.need_nl) {
		/* end it so ours starts on a line */
		if (audit_write_all(a->fd, "\n", 1))
			a->write_errors++;
		else
			a->size++;
	}
	if (t.partial_len) {
		json_t *ev = audit__new("audit.partial");

		/* what the incomplete line was: verify checks it against these */
		json_object_set_new(ev, "after_seq", json_integer((json_int_t)a->seq));
		json_object_set_new(ev, "partial_bytes", json_integer((json_int_t)t.partial_len));
		json_object_set_new(ev, "partial_sha256", json_string(t.partial_sha));
		audit__emit(a, ev, 0);
	}
	if (have_head && t.seq && !strcmp(hpath, a->path) &&
	    (hseq > t.seq || (hseq == t.seq && strcmp(hchain, t.chain)))) {
		json_t *ev = audit__new("audit.gap");

		/* the log lost records the head remembers: say so in the chain */
		json_object_set_new(ev, "head_seq", json_integer((json_int_t)hseq));
		json_object_set_new(ev, "head_chain", json_string(hchain));
		json_object_set_new(ev, "file_seq", json_integer((json_int_t)t.seq));
		json_object_set_new(ev, "reason", json_string(
			"the audit log ends before the head jitgated kept: records were removed "
			"from its end or the file was replaced"));
		audit__emit(a, ev, 0);
	}
	{
		size_t n = head_write(a);

		/* a longer head left by another log path */
		if (n && ftruncate(a->head_fd, (off_t)n))
			a->write_errors++;
	}
	return 0;
}

int audit__open(struct jg_audit *a, const char *path, bool to_stdout, const char *host,
		char *err, size_t errlen)
{
	struct jg_audit_cfg cfg = { .path = path, .to_stdout = to_stdout, .host = host };

	return audit__open_ex(a, &cfg, err, errlen);
}

int audit__reopen(struct jg_audit *a)
{
	int ret;

	if (!*a->path)
		return 0;
	/* an administrator's word that the file (system) that failed is good again */
	a->failed_id = false;
	audit__flush(a);	/* what waits belongs to the file that was open */
	ret = audit_open_log(a);
	if (ret)
		a->write_errors++;
	return ret;
}

void audit__close(struct jg_audit *a)
{
	a->batch_depth = 0;
	if (audit__flush(a) && a->backlog_len)
		pr_warn("%llu audit records could not be written to %s (%s); the next start "
			"reports the gap", (unsigned long long)a->backlog_n, a->path,
			strerror(-a->last_err));
	free(a->pend);
	a->pend = NULL;
	a->pend_len = a->pend_cap = a->pend_lines = 0;
	audit_release_backlog(a, true);
	if (a->fd >= 0 && a->unsynced_len && fdatasync(a->fd))
		pr_warn("the audit log %s: the last records may not be on disk: %s", a->path,
			strerror(errno));
	free(a->unsynced);
	a->unsynced = NULL;
	a->unsynced_len = a->unsynced_cap = 0;
	if (a->fd >= 0)
		close(a->fd);
	if (a->head_fd >= 0)
		close(a->head_fd);
	a->fd = -1;
	a->head_fd = -1;
}

void audit__set_tap(struct jg_audit *a, void (*tap)(const char *line, size_t len, void *ctx),
		    void *ctx)
{
	a->tap = tap;
	a->tap_ctx = ctx;
}

/* from -> to.gz with zlib (fast level: this runs on the event path), synced, then from is
 * removed. 0 or -errno; on failure from stays. */
static int gzip_file(const char *from, const char *to)
{
	char tmp[320], buf[65536];
	int in, out, ret = 0;
	gzFile gz;
	ssize_t n;

	snprintf(tmp, sizeof(tmp), "%s.tmp", to);
	in = open(from, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return -errno;
	out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (out < 0) {
		ret = -errno;
		close(in);
		return ret;
	}
	gz = gzdopen(dup(out), "wb1");
	if (!gz)
		ret = -ENOMEM;
	while (!ret && (n = read(in, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || gzwrite(gz, buf, (unsigned int)n) != (int)n)
			ret = -EIO;
	}
	if (gz && gzclose(gz) != Z_OK && !ret)
		ret = -EIO;
	if (!ret && fsync(out))
		ret = -errno;
	close(out);
	close(in);
	if (!ret && rename(tmp, to))
		ret = -errno;
	if (ret)
		unlink(tmp);
	else
		unlink(from);
	return ret;
}

/* PATH -> PATH.1 -> PATH.1.gz, the older ones shifted up, beyond keep deleted; a new PATH.
 * Synchronous: files rotate rarely, and kernel events wait in the ring buffer meanwhile. */
static void rotate(struct jg_audit *a)
{
	char from[300], to[300], one[300];

	/* whatever fails, try again only after another max_bytes, not on every line */
	a->size = 0;
	snprintf(one, sizeof(one), "%s.1", a->path);
	snprintf(to, sizeof(to), "%s.1.gz", a->path);
	/* a compression that failed last time: finish it, or keep writing here rather than
	 * overwrite records that are in no .gz yet */
	if (!access(one, F_OK) && (a->keep ? gzip_file(one, to) : unlink(one)))
		return;
	snprintf(to, sizeof(to), "%s.%u.gz", a->path, a->keep);
	if (a->keep)
		unlink(to);
	for (unsigned int i = a->keep; i > 1; i--) {
		snprintf(from, sizeof(from), "%s.%u.gz", a->path, i - 1);
		snprintf(to, sizeof(to), "%s.%u.gz", a->path, i);
		rename(from, to);
	}
	if (rename(a->path, one)) {
		a->write_errors++;
		return;
	}
	if (audit_open_log(a))
		a->write_errors++;
	snprintf(to, sizeof(to), "%s.1.gz", a->path);
	if (!a->keep)
		unlink(one);
	else if (gzip_file(one, to))
		a->write_errors++;
}

json_t *audit__new(const char *type)
{
	return json_pack("{s:s}", "type", type);
}

int audit__flush(struct jg_audit *a)
{
	int ret = 0;

	if (a->backlog_len && a->fd >= 0)
		ret = audit_flush_backlog(a);
	if (a->pend_len) {
		if (a->fd >= 0) {
			int r = audit_file_batch(a);

			ret = ret ? ret : r;
			head_write(a);
		}
		if (a->to_stdout && audit_write_all(STDOUT_FILENO, a->pend, a->pend_len))
			a->write_errors += a->pend_lines;
		a->pend_len = 0;
		a->pend_lines = 0;
	}
	if (audit_sync_due(a)) {
		int r = audit_sync_log(a);

		ret = ret ? ret : r;
	}
	if (a->sinks.flush)
		a->sinks.flush(a->sinks.ctx);
	if (a->failure_new)
		audit_say_failure(a);
	return ret;
}

void audit__batch_begin(struct jg_audit *a)
{
	a->batch_depth++;
}

int audit__batch_end(struct jg_audit *a)
{
	if (a->batch_depth && --a->batch_depth)
		return 0;
	return audit__flush(a);
}

void audit__set_sinks(struct jg_audit *a, const struct jg_audit_sinks *sinks)
{
	if (sinks)
		a->sinks = *sinks;
	else
		memset(&a->sinks, 0, sizeof(a->sinks));
}

/* Room for len more waiting bytes; false when there is none (nothing changed). */
static bool pend_room(struct jg_audit *a, size_t len)
{
	size_t cap = a->pend_cap ? a->pend_cap : 65536;
	char *p;

	if (a->pend_len + len <= a->pend_cap)
		return true;
	while (cap < a->pend_len + len)
		cap *= 2;
	p = realloc(a->pend, cap);
	if (!p)
		return false;
	a->pend = p;
	a->pend_cap = cap;
	return true;
}

int audit__emit(struct jg_audit *a, json_t *ev, int64_t wall_ns)
{
	char when[48], chain[65], *body, *line;
	json_t *rec;
	int ret = 0;
	size_t blen, len;
	bool keep = a->fd >= 0 || a->to_stdout;

	if (!ev)
		return -ENOMEM;
	if (a->backlog_len)
		audit__flush(a);	/* what the file did not take goes first */
	rec = json_pack("{s:I, s:s, s:s}", "seq", (json_int_t)(a->seq + 1), "time",
			util__rfc3339(wall_ns ? wall_ns : util__realtime_ns(), when, sizeof(when)),
			"host", a->host);
	json_object_update(rec, ev);
	json_decref(ev);
	body = jsondump__compact(rec, &blen);
	if (!body) {
		body = util__json_escape_del(json_dumps(rec, JSON_COMPACT | JSON_ENSURE_ASCII));
		blen = body ? strlen(body) : 0;
	}
	if (!body || blen < 2 || auditchain__hash(a->chain, body, blen, chain) ||
	    (keep && !pend_room(a, blen + JG_CHAIN_SUFFIX_LEN))) {
		free(body);
		json_decref(rec);
		a->write_errors++;
		return -ENOMEM;
	}
	len = blen - 1 + JG_CHAIN_SUFFIX_LEN + 1;	/* no '}' of the body, a newline */
	if (a->fd >= 0 && a->backlog_len &&
	    a->backlog_len + a->pend_len + len > a->backlog_max) {
		/* no room to hold it: not numbered, so the chain has no hole; counted */
		free(body);
		json_decref(rec);
		if (!a->lost)
			a->lost_after_seq = a->seq;	/* where the lost ones belong */
		a->lost++;
		a->lost_total++;
		return -ENOSPC;
	}
	/* rotation comes between records: what waits goes to the file it belongs to first
	 * (not while the file fails: the backlog belongs to it) */
	if (a->fd >= 0 && !a->backlog_len && a->max_bytes && a->size + a->pend_len &&
	    a->size + a->pend_len + len > a->max_bytes) {
		ret = audit__flush(a);
		if (!a->backlog_len)
			rotate(a);
	}
	/* the body without its '}', then ,"chain":"HEX"} and the newline; built where it waits
	 * (a scratch buffer when nothing keeps it) */
	line = keep ? a->pend + a->pend_len : malloc(len);
	if (!line) {
		free(body);
		json_decref(rec);
		a->write_errors++;
		return -ENOMEM;
	}
	memcpy(line, body, blen - 1);
	memcpy(line + blen - 1, JG_CHAIN_KEY, sizeof(JG_CHAIN_KEY) - 1);
	memcpy(line + blen - 1 + sizeof(JG_CHAIN_KEY) - 1, chain, JG_CHAIN_HEX);
	memcpy(line + len - 3, "\"}\n", 3);
	free(body);
	a->seq++;
	memcpy(a->chain, chain, sizeof(a->chain));
	if (keep) {
		a->pend_len += len;
		a->pend_lines++;
	}
	if (a->tap)
		a->tap(line, len, a->tap_ctx);
	if (a->sinks.put) {
		/* the record as the line holds it: its chain last */
		json_object_set_new(rec, "chain", json_string(chain));
		a->sinks.put(line, len, rec, a->sinks.ctx);
	}
	json_decref(rec);
	if (!keep)
		free(line);
	if (!a->batch_depth || a->pend_len >= JG_AUDIT_BATCH_MAX) {
		int r = audit__flush(a);

		/* a line the file did not take is held, not lost: no error for the caller */
		if (!a->backlog_len)
			ret = ret ? ret : r;
	}
	return a->backlog_len ? 0 : ret;
}

json_t *audit__state(const struct jg_audit *a)
{
	return json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:s?}",
			 "file", a->path, "pending", (json_int_t)a->backlog_n,
			 "pending_bytes", (json_int_t)a->backlog_len,
			 "backlog_max", (json_int_t)a->backlog_max,
			 "held", (json_int_t)a->held_total, "lost", (json_int_t)a->lost_total,
			 "write_errors", (json_int_t)a->write_errors,
			 "error", a->last_err ? strerror(-a->last_err) : NULL);
}

json_t *audit__subject(uint32_t subject, uint32_t loginuid)
{
	char name[64];		/* a user name, as long as the grant table keeps one */

	return json_pack("{s:I, s:o, s:s}", "uid", (json_int_t)subject, "loginuid",
			 loginuid == (uint32_t)-1 ? json_null() : json_integer(loginuid),
			 "user", util__user_name(subject, name, sizeof(name)));
}
