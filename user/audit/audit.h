/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Audit stream: one JSON object per line with a gap-free per-host seq (docs/audit-schema.md).
 *
 * user/audit/ owns the audit log: records (audit.c), the hash chain and its verification
 * (auditchain.c), the SIEM formats (format.c, ocsf.c), sinks with their spools (sink.c) and
 * reading the log back (scan.c).
 * It uses lib/ only: grant ids and permission names come from there, so the policy and the
 * workflow above can audit without audit knowing them. */
#ifndef JG_AUDIT_H
#define JG_AUDIT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <jansson.h>
#include "jitgate.h"

#define JG_AUDIT_MAX_BYTES_DEFAULT (64ull << 20)
#define JG_AUDIT_KEEP_DEFAULT 10
/* jitgated keeps the last seq and chain value here, in its state dir (root only). */
#define JG_AUDIT_HEAD_NAME "audit.head"

typedef void (*jg_audit_tap)(const char *line, size_t len, void *ctx);
/* A sink that takes the record too (rec: the line's object, chain included, borrowed) and is
 * flushed after the audit log at the end of every batch. */
struct jg_audit_sinks {
	void (*put)(const char *line, size_t len, json_t *rec, void *ctx);
	void (*flush)(void *ctx);
	void *ctx;
};

/* Lines emitted inside a batch wait here; the log gets them in one write. The bound is also
 * what a crash of jitgated in the middle of a drain can take with it (about 100 records). */
#define JG_AUDIT_BATCH_MAX (64u << 10)

struct jg_audit {
	int fd;				/* -1: no file sink */
	bool to_stdout;
	char path[256];
	char host[256];
	uint64_t seq;			/* last seq written */
	uint64_t write_errors;		/* lines a sink failed to take */
	char chain[65];			/* chain value of record seq (docs/audit-schema.md) */
	uint64_t size;			/* bytes in the file, for rotation */
	uint64_t max_bytes;		/* 0: never rotate */
	unsigned int keep;		/* rotated files kept (PATH.1.gz ... PATH.KEEP.gz) */
	int head_fd;			/* -1: no head file */
	char head[300];
	jg_audit_tap tap;
	void *tap_ctx;
	struct jg_audit_sinks sinks;
	/* batch: lines not yet written (pend_lines of them, pend_len bytes) */
	unsigned int batch_depth;
	char *pend;
	size_t pend_len, pend_cap, pend_lines;
	/* Lines the file did not take (ENOSPC, EROFS, EIO), in order, each ending in '\n':
	 * written before anything newer, on the next flush. Past backlog_max bytes (held and
	 * waiting) a record is not numbered at all, only counted in lost. */
	char *backlog;
	size_t backlog_len, backlog_cap, backlog_max;
	uint64_t backlog_n;		/* records in backlog */
	uint64_t held, lost;		/* since the file last failed: written late, not numbered */
	uint64_t held_total, lost_total;	/* since start */
	uint64_t lost_after_seq;	/* the last seq numbered before the first of lost: the
					 * lost ones belong after it (audit.lost says so) */
	int last_err;			/* -errno of the failure that started the backlog; 0: none */
	int64_t failing_since_ns;	/* wall time of that failure */
	bool failure_new;		/* the failure is not on the record yet (audit.write_error) */
	/* Lines written since the last fdatasync that worked. A file system that fails under
	 * the log (read-only after an error, a dead disk) may take a write and drop it, so
	 * they are kept until a sync says they are on disk (and the file system is not
	 * read-only); a failed sync, EIO or EROFS holds them again (at the backlog's front).
	 * Synced once a second (audit__flush) and whenever they pass backlog_max (at most
	 * JG_AUDIT_UNSYNCED_MAX). */
	char *unsynced;
	size_t unsynced_len, unsynced_cap;
	int64_t synced_ns;		/* CLOCK_BOOTTIME of the last sync attempt */
	bool reopen;			/* the descriptor's file system failed (EIO, EROFS): open
					 * the log (and head) by name again before retrying */
	/* The file whose file system failed (EIO, EROFS): ext4 that failed may go on taking
	 * writes and answering syncs with 0 (its error was reported once), so the log is
	 * opened again only when its name leads elsewhere (mounted again), or after
	 * audit__reopen (SIGHUP, SIGUSR1: an administrator says it is good again). */
	bool failed_id;
	dev_t failed_dev;
	ino_t failed_ino;
};
#define JG_AUDIT_UNSYNCED_MAX (1u << 20)
#define JG_AUDIT_SYNC_NS 1000000000LL

struct jg_audit_cfg {
	const char *path;		/* NULL or "": no file sink */
	bool to_stdout;
	const char *host;
	const char *head;		/* where to keep the head; NULL: nowhere */
	uint64_t max_bytes;		/* rotate before a line would make the file bigger */
	unsigned int keep;
	size_t backlog_max;		/* bytes held in memory while the file fails; 0: default */
};
#define JG_AUDIT_BACKLOG_DEFAULT (4u << 20)

/* Opens (creating directories) and continues seq and chain from the file's last complete
 * record, or from the head file when the log is empty (a new file after rotation). A partial
 * last line (a crash) is ended and accounted for by an audit.partial record; a log that ends
 * before the head by audit.gap. */
int audit__open_ex(struct jg_audit *a, const struct jg_audit_cfg *cfg, char *err,
		   size_t errlen);
/* audit__open_ex without head file and rotation. */
int audit__open(struct jg_audit *a, const char *path, bool to_stdout, const char *host,
		char *err, size_t errlen);
/* {"file", "pending", "pending_bytes", "backlog_max", "held", "lost", "write_errors",
 * "error"}: the file sink's state for status. */
json_t *audit__state(const struct jg_audit *a);
/* Opens the path again (after logrotate moved it); seq and chain continue. 0 or -errno. */
int audit__reopen(struct jg_audit *a);
void audit__close(struct jg_audit *a);
/* tap gets every finished line (chain and newline included), in order; inside a batch
 * before the log's write of it. */
void audit__set_tap(struct jg_audit *a, void (*tap)(const char *line, size_t len, void *ctx),
		    void *ctx);

/* Reads a head file: "SEQ HEX PATH". 0, -errno, or -EINVAL when malformed. */
int audit__read_head(const char *file, uint64_t *seq, char hex[65], char *path,
		     size_t pathlen);

/* {"type": TYPE}; the caller adds fields, audit__emit puts seq, time and host in front. */
json_t *audit__new(const char *type);
/* Writes ev (stolen) with the next seq and its chain value, rotating the file first when the
 * line would pass max_bytes; wall_ns 0 = now. Returns 0 or -errno (counted). A line the
 * file does not take is cut back off the file (no torn line) and held in the backlog, with
 * an audit.write_error record after it; a record the full backlog cannot take gets no seq
 * (the chain stays whole) and is counted as lost (-ENOSPC). */
int audit__emit(struct jg_audit *a, json_t *ev, int64_t wall_ns);

/* Records emitted between begin and end (a drained batch of kernel events) are numbered and
 * chained one by one as always, but reach the log in one write (and the head file, stdout and
 * the sinks once) at end, or earlier when JG_AUDIT_BATCH_MAX bytes wait. Nests; outside a
 * batch every emit is written at once. end returns 0 or the first write error (-errno). */
void audit__batch_begin(struct jg_audit *a);
int audit__batch_end(struct jg_audit *a);
/* Writes what waits now (the batch goes on): first what the backlog holds after a failed
 * write, oldest first, as far as the file takes it (once it is empty, an audit.recovered
 * record says how many records were written late and how many were lost), then the batch;
 * the sinks are flushed. 0, or -errno of a write the file refused. */
int audit__flush(struct jg_audit *a);
/* The sinks (put, flush) every record goes to after the log; NULL: none. */
void audit__set_sinks(struct jg_audit *a, const struct jg_audit_sinks *sinks);

/* {"uid", "loginuid", "user"} for a subject; loginuid -1 becomes null. */
json_t *audit__subject(uint32_t subject, uint32_t loginuid);

/* A kernel event as an audit record (without seq/time/host). resource may be NULL. */
json_t *audit__from_kernel(const struct jg_event *e, const char *resource);

/* A session.file record's paths made whole: the kernel named the file (and a rename's or
 * link's new name) from below its watched tree; watch and to_watch are those trees' paths
 * (NULL: unknown, or none). Sets "watch" too. */
void audit__trail_paths(const struct jg_file_trail *t, json_t *rec, const char *watch,
			const char *to_watch);

/* Calls fn for every record of the audit log at path and its rotated files, oldest first,
 * from the newest file that began at or before since_s (unix seconds; older files cannot
 * hold later records). needle (NULL: none) keeps only lines
 * that contain it. fn returns 0 to go on, > 0 to stop, < 0 (returned) on error. 0, or
 * -errno with one sentence in err. */
int audit__scan(const char *path, int64_t since_s, const char *needle,
		int (*fn)(json_t *rec, void *ctx), void *ctx, char *err, size_t errlen);

/* Last "seq" in an audit file, 0 when empty or absent. */
uint64_t audit__last_seq(const char *path);

#endif
