/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Inside the audit log (user/audit/), not for use outside it: what the writer (audit.c:
 * open, emit, rotate) and the failing file's handling (backlog.c: the backlog, the sync,
 * the reopen by name) share. */
#ifndef JG_AUDIT_LOGFILE_H
#define JG_AUDIT_LOGFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "audit/audit.h"

/* The last complete record of the log (seq, chain; a record without a chain value, written
 * before there was one, continues the seq from the genesis value) and the bytes of a partial
 * line after it. */
struct audit_tail {
	uint64_t seq;
	char chain[65];
	uint64_t partial_len;
	char partial_sha[65];
	bool need_nl;			/* a whole record, only its newline missing */
};

/* audit.c */
int audit_write_all(int fd, const char *p, size_t len);
void audit_read_tail(int fd, struct audit_tail *t);
int audit_open_log(struct jg_audit *a);

/* backlog.c */
int audit_reserve_backlog(struct jg_audit *a);
void audit_release_backlog(struct jg_audit *a, bool unmap);
int audit_file_batch(struct jg_audit *a);
int audit_flush_backlog(struct jg_audit *a);
int audit_sync_log(struct jg_audit *a);
bool audit_sync_due(const struct jg_audit *a);
void audit_say_failure(struct jg_audit *a);

#endif
