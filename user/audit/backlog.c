// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The audit log when its file fails (disk full, a file system read-only after an error, a
 * dead disk): the lines the file did not take are held in memory (the backlog, up to
 * audit_backlog_bytes, reserved when the log opens; records past it are not numbered and
 * are counted as lost); the lines it took are kept until an fdatasync says they are on
 * disk, and held again when it does not; a descriptor whose file system failed is replaced
 * by the log opened again by name. When the file takes lines again the backlog is written
 * in order, and audit.lost (if any were lost) and audit.recovered say what happened
 * meanwhile. docs/design.md, "Nothing happens without its record". */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include "audit/audit.h"
#include "audit/logfile.h"
#include "lib/log.h"
#include "lib/util.h"

/* audit_write_all that says how much of p went out before it failed. */
static int write_part(int fd, const char *p, size_t len, size_t *done)
{
	*done = 0;
	while (*done < len) {
		ssize_t n = write(fd, p + *done, len - *done);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		*done += (size_t)n;
	}
	return 0;
}

/* A write that failed after done bytes of its line: cut them back off the end, so no record
 * is torn and the next one starts a line. */
static void cut_back(struct jg_audit *a, size_t done)
{
	struct stat st;

	if (done && (fstat(a->fd, &st) || ftruncate(a->fd, st.st_size - (off_t)done)))
		a->write_errors++;
}

/* The backlog's memory is reserved when the log is opened (audit_reserve_backlog): a record
 * is numbered only when the backlog has room for it (audit__emit), so holding a numbered
 * line never has to allocate, and a shortage of memory cannot leave a hole in the chain.
 * The reservation covers audit_backlog_bytes plus what a failure can hold at once beyond
 * it: the lines written since the last sync and a batch. */
static size_t backlog_reserve_size(const struct jg_audit *a)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t n = a->backlog_max + JG_AUDIT_UNSYNCED_MAX + 4 * JG_AUDIT_BATCH_MAX;

	return (n + page - 1) / page * page;
}

int audit_reserve_backlog(struct jg_audit *a)
{
	size_t n = backlog_reserve_size(a);
	void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return -errno;
	a->backlog = p;
	a->backlog_cap = n;
	return 0;
}

/* Its pages go back to the system once it is written; the reservation stays. */
void audit_release_backlog(struct jg_audit *a, bool unmap)
{
	if (!a->backlog)
		return;
	if (unmap) {
		munmap(a->backlog, a->backlog_cap);
		a->backlog = NULL;
		a->backlog_cap = 0;
	} else {
		madvise(a->backlog, a->backlog_cap, MADV_DONTNEED);
	}
	a->backlog_len = 0;
}

/* Room for need bytes in *buf of *cap (from 64 KiB, doubling). 0 or -ENOMEM (*buf kept). */
static int grow(char **buf, size_t *cap, size_t need)
{
	size_t c = *cap ? *cap : 65536;
	char *p;

	if (need <= *cap)
		return 0;
	while (c < need)
		c *= 2;
	p = realloc(*buf, c);
	if (!p)
		return -ENOMEM;
	*buf = p;
	*cap = c;
	return 0;
}

/* Keep lines (len bytes of whole lines) for later. 0, or -ENOMEM when they are past the
 * reservation and the mapping cannot grow (then they are lost, though numbered: the chain
 * shows the hole; the bound on numbering makes that unreachable). */
static int hold(struct jg_audit *a, const char *lines, size_t len)
{
	uint64_t n = 0;

	for (size_t i = 0; i < len; i++)
		n += lines[i] == '\n';
	if (a->backlog_len + len > a->backlog_cap) {
		size_t page = (size_t)sysconf(_SC_PAGESIZE);
		size_t cap = (a->backlog_len + len + page - 1) / page * page;
		void *p = a->backlog ? mremap(a->backlog, a->backlog_cap, cap, MREMAP_MAYMOVE) :
			mmap(NULL, cap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED) {
			a->lost += n;
			a->lost_total += n;
			return -ENOMEM;
		}
		a->backlog = p;
		a->backlog_cap = cap;
	}
	memcpy(a->backlog + a->backlog_len, lines, len);
	a->backlog_len += len;
	a->backlog_n += n;
	a->held += n;
	a->held_total += n;
	return 0;
}

static void reverse(char *p, size_t n)
{
	for (size_t i = 0, j = n; i + 1 < j; i++, j--) {
		char c = p[i];

		p[i] = p[j - 1];
		p[j - 1] = c;
	}
}

/* Lines (whole) back at the front of the backlog: older than everything held. Rotated in
 * place (three reversals), so it needs no memory of its own. */
static int hold_front(struct jg_audit *a, const char *lines, size_t len)
{
	size_t was = a->backlog_len;
	int ret;

	if ((ret = hold(a, lines, len)))
		return ret;
	if (was) {
		reverse(a->backlog, was);
		reverse(a->backlog + was, len);
		reverse(a->backlog, was + len);
	}
	return 0;
}

/* The lines the descriptor took since the last sync that worked cannot be trusted (its file
 * system failed, or a sync failed): held again, before everything held already. */
static void rehold_unsynced(struct jg_audit *a)
{
	if (!a->unsynced_len)
		return;
	hold_front(a, a->unsynced, a->unsynced_len);
	a->unsynced_len = 0;
}

/* The descriptor cannot be trusted: what it took since the last sync is held again, and
 * the log is opened again by name before the next retry. When its file system failed (EIO,
 * EROFS), which file it was: reopen_failed will not take that one again. */
static void distrust(struct jg_audit *a)
{
	struct stat st;

	a->reopen = true;
	if ((a->last_err == -EIO || a->last_err == -EROFS) && !a->failed_id && a->fd >= 0 &&
	    !fstat(a->fd, &st)) {
		a->failed_id = true;
		a->failed_dev = st.st_dev;
		a->failed_ino = st.st_ino;
	}
	rehold_unsynced(a);
}

/* The file failed with err (-errno): counted, and a new failure is said (say_failure) with
 * its time. A file system that failed under the descriptor (EIO, EROFS) is left for one
 * opened again by name, and what it took since the last sync is held again. */
static void failed(struct jg_audit *a, int err)
{
	bool was_failing = a->backlog_len || a->last_err;

	a->write_errors++;
	a->last_err = err;
	if (err == -EIO || err == -EROFS)
		distrust(a);
	if (was_failing)
		return;
	a->failing_since_ns = util__realtime_ns();
	a->failure_new = true;
}

/* fdatasync of what was written since the last one, and a file system that still takes
 * writes: ext4 read-only after an error may answer a sync with 0 while the lines sit in
 * the page cache, never to reach the disk. A failure holds those lines again and starts a
 * failure. 0 or -errno. */
int audit_sync_log(struct jg_audit *a)
{
	struct statvfs sv;
	int ret = 0;

	a->synced_ns = (int64_t)util__boottime_ns();
	if (!a->unsynced_len || a->fd < 0)
		return 0;
	if (fdatasync(a->fd))
		ret = -errno;
	else if (!fstatvfs(a->fd, &sv) && (sv.f_flag & ST_RDONLY))
		ret = -EROFS;
	if (ret) {
		failed(a, ret);
		distrust(a);	/* what the descriptor took cannot be trusted */
	}
	a->unsynced_len = 0;
	return ret;
}

/* Past this many unsynced bytes a sync is due at once (audit__flush): what a failed sync
 * holds again stays within audit_backlog_bytes (at most 1 MiB). */
bool audit_sync_due(const struct jg_audit *a)
{
	size_t max = a->backlog_max < JG_AUDIT_UNSYNCED_MAX ? a->backlog_max :
		JG_AUDIT_UNSYNCED_MAX;

	return a->unsynced_len && !a->backlog_len &&
		((int64_t)util__boottime_ns() - a->synced_ns >= JG_AUDIT_SYNC_NS ||
		 a->unsynced_len >= max);
}

/* Lines the file took: kept until a sync says they are on disk. */
static void note_written(struct jg_audit *a, const char *lines, size_t len)
{
	if (!len)
		return;
	if (grow(&a->unsynced, &a->unsynced_cap, a->unsynced_len + len)) {
		/* no room to keep them: on disk now, or counted */
		if (fdatasync(a->fd) == 0)
			a->unsynced_len = 0;
		else
			a->write_errors++;
		return;
	}
	memcpy(a->unsynced + a->unsynced_len, lines, len);
	a->unsynced_len += len;
}

/* The waiting lines to the log in one write, unless the log is failing (then they join the
 * backlog). A write that fails part way keeps the whole lines it wrote, cuts the torn one
 * back off the file and holds the rest. */
int audit_file_batch(struct jg_audit *a)
{
	size_t done, whole = 0;
	int ret;

	if (a->backlog_len)
		return hold(a, a->pend, a->pend_len);
	ret = write_part(a->fd, a->pend, a->pend_len, &done);
	if (!ret) {
		a->size += a->pend_len;
		note_written(a, a->pend, a->pend_len);
		return 0;
	}
	for (size_t i = done; i > 0; i--) {
		if (a->pend[i - 1] == '\n') {
			whole = i;
			break;
		}
	}
	cut_back(a, done - whole);
	a->size += whole;
	note_written(a, a->pend, whole);
	failed(a, ret);
	hold(a, a->pend + whole, a->pend_len - whole);
	return ret;
}

/* The failure is on the record: numbered after the lines the file did not take, so the
 * sinks learn it at once and the file when it takes lines again. */
void audit_say_failure(struct jg_audit *a)
{
	json_t *w = audit__new("audit.write_error");
	char msg[400];

	a->failure_new = false;
	snprintf(msg, sizeof(msg), "the audit log %s cannot be written (%s); records are held in "
		 "memory (up to %zu bytes) until it can", a->path, strerror(-a->last_err),
		 a->backlog_max);
	json_object_set_new(w, "file", json_string(a->path));
	json_object_set_new(w, "error", json_string(strerror(-a->last_err)));
	json_object_set_new(w, "message", json_string(msg));
	pr_warn("%s", msg);
	audit__emit(a, w, 0);
}

/* {"seq":N,... -> N; 0 when the line does not start so. */
static uint64_t line_seq(const char *line)
{
	return strncmp(line, "{\"seq\":", 7) ? 0 : strtoull(line + 7, NULL, 10);
}

/* Held lines the reopened file already has (seq up to its last record, written before the
 * failure) are dropped, so no record is written twice. */
static void drop_kept(struct jg_audit *a, uint64_t file_seq)
{
	size_t off = 0;

	while (off < a->backlog_len) {
		char *nl = memchr(a->backlog + off, '\n', a->backlog_len - off);
		uint64_t seq = line_seq(a->backlog + off);

		if (!nl || !seq || seq > file_seq)
			break;
		off += (size_t)(nl - (a->backlog + off)) + 1;
		a->backlog_n--;
		if (a->held)
			a->held--;
	}
	memmove(a->backlog, a->backlog + off, a->backlog_len - off);
	a->backlog_len -= off;
}

/* The log's file system failed under its descriptor: open the log and the head by name
 * again (an administrator may have mounted it again). The new file may have kept some of
 * the held lines (written before the failure; drop_kept), and may end in a torn line: the
 * part of a held record the file system wrote back before it failed. That is cut off when
 * the backlog holds every record after the file's last (so nothing is lost by it);
 * otherwise it is ended with a newline and left for verify to show. The name must lead to
 * another file than the one that failed (st_dev, st_ino): ext4 that failed goes on taking
 * writes into its page cache and shows them back. 0, or -errno while the log cannot be
 * opened (the failure that started the backlog stays the one named). */
static int reopen_failed(struct jg_audit *a)
{
	struct audit_tail t;
	struct stat st;
	int ret, fd;

	rehold_unsynced(a);	/* the old descriptor's page cache is no proof */
	if (stat(a->path, &st))
		return -errno;
	if (a->failed_id && st.st_dev == a->failed_dev && st.st_ino == a->failed_ino)
		return a->last_err;	/* the file system that failed: not mounted anew */
	ret = audit_open_log(a);
	if (ret) {
		pr_debug("the audit log %s cannot be opened again yet: %s", a->path,
			 strerror(-ret));
		return ret;
	}
	a->reopen = false;
	a->failed_id = false;
	if (a->head[0] && (fd = open(a->head, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) >= 0) {
		if (a->head_fd >= 0)
			close(a->head_fd);
		a->head_fd = fd;
	}
	audit_read_tail(a->fd, &t);
	drop_kept(a, t.seq);
	if (t.partial_len && a->backlog_len && line_seq(a->backlog) == t.seq + 1 &&
	    !ftruncate(a->fd, (off_t)(a->size - t.partial_len))) {
		pr_info("the audit log %s ended in %llu bytes of a record it lost; they are cut "
			"off, the record is written again", a->path,
			(unsigned long long)t.partial_len);
		a->size -= t.partial_len;
	} else if ((t.partial_len || t.need_nl) && !audit_write_all(a->fd, "\n", 1)) {
		a->size++;
	}
	pr_info("the audit log %s was opened again after %s; it ends at record %llu",
		a->path, strerror(-a->last_err), (unsigned long long)t.seq);
	return 0;
}

/* Records past audit_backlog_bytes were not numbered (the chain has no hole): one audit.lost
 * says how many, why, and where in the seq they belong (after lost_after_seq, before this
 * record). */
static void say_lost(struct jg_audit *a)
{
	json_t *ev = audit__new("audit.lost");
	char msg[400];

	snprintf(msg, sizeof(msg), "%llu audit records made while %s could not be written (%s) "
		 "were past audit_backlog_bytes (%zu) and are lost: they came after seq %llu and "
		 "before seq %llu", (unsigned long long)a->lost, a->path, strerror(-a->last_err),
		 a->backlog_max, (unsigned long long)a->lost_after_seq,
		 (unsigned long long)a->seq + 1);
	json_object_set_new(ev, "lost", json_integer((json_int_t)a->lost));
	json_object_set_new(ev, "lost_total", json_integer((json_int_t)a->lost_total));
	json_object_set_new(ev, "file", json_string(a->path));
	json_object_set_new(ev, "error", json_string(strerror(-a->last_err)));
	json_object_set_new(ev, "after_seq", json_integer((json_int_t)a->lost_after_seq));
	json_object_set_new(ev, "before_seq", json_integer((json_int_t)(a->seq + 1)));
	json_object_set_new(ev, "reason", json_string("audit log not writable, backlog full"));
	json_object_set_new(ev, "message", json_string(msg));
	pr_warn("%s", msg);
	audit__emit(a, ev, 0);
}

/* The backlog is written and on disk: audit.lost (when records were lost) and
 * audit.recovered say what happened meanwhile, in the chain. */
static void say_recovered(struct jg_audit *a)
{
	char since[48], msg[400];
	json_t *ev = audit__new("audit.recovered");
	int err = a->last_err;

	snprintf(msg, sizeof(msg), "the audit log %s can be written again after %s: %llu records "
		 "were written late, %llu were lost", a->path, strerror(-err),
		 (unsigned long long)a->held, (unsigned long long)a->lost);
	json_object_set_new(ev, "file", json_string(a->path));
	json_object_set_new(ev, "error", json_string(strerror(-err)));
	json_object_set_new(ev, "since", json_string(util__rfc3339(a->failing_since_ns, since,
								    sizeof(since))));
	json_object_set_new(ev, "held", json_integer((json_int_t)a->held));
	json_object_set_new(ev, "lost", json_integer((json_int_t)a->lost));
	json_object_set_new(ev, "message", json_string(msg));
	pr_info("%s", msg);
	audit_release_backlog(a, false);
	if (a->lost)
		say_lost(a);
	a->held = 0;
	a->lost = 0;
	a->last_err = 0;
	audit__emit(a, ev, 0);
}

/* What the backlog holds, as far as the file takes it; once it is empty and on disk, the
 * recovery is on the record. */
int audit_flush_backlog(struct jg_audit *a)
{
	size_t off = 0, done;
	int ret = 0;

	if (!a->backlog_len || a->fd < 0)
		return 0;
	if (a->reopen && (ret = reopen_failed(a)))
		return ret;
	while (off < a->backlog_len) {
		char *nl = memchr(a->backlog + off, '\n', a->backlog_len - off);
		size_t len = (size_t)(nl - (a->backlog + off)) + 1;

		ret = write_part(a->fd, a->backlog + off, len, &done);
		if (ret) {
			a->last_err = ret;	/* counted when it first failed */
			cut_back(a, done);
			if (ret == -EIO || ret == -EROFS)
				a->reopen = true;
			break;
		}
		note_written(a, a->backlog + off, len);
		a->size += len;
		off += len;
		a->backlog_n--;
	}
	memmove(a->backlog, a->backlog + off, a->backlog_len - off);
	a->backlog_len -= off;
	if (a->reopen)
		distrust(a);	/* written to a file system that failed: again */
	if (a->backlog_len)
		return ret ? ret : a->last_err;
	/* on disk before it is called recovered: a failed sync holds them again */
	if ((ret = audit_sync_log(a)))
		return ret;
	say_recovered(a);
	return 0;
}
