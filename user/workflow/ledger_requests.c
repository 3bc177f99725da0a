// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The ledger's access requests (SQLite): a request, its decisions, the lists and the counts
 * the workflow's limits use. The schema and the rest of the ledger are ledger.c's. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>
#include "workflow/ledger.h"
#include "workflow/ledger_int.h"
#include "lib/util.h"

int ledger__request_insert(struct jg_ledger *l, struct jg_request *q)
{
	sqlite3_stmt *st;
	int rc = lg_prep(l, &st, "INSERT INTO requests (role, uid, user, reason, duration_s, state, "
			      "created_ns, expires_ns, approvals_needed, extends, auto_approved, mfa) "
			      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", "tittitiiizii",
		      q->role, (int64_t)q->uid, q->user, q->reason, (int64_t)q->duration_s,
		      wf__state_name(q->state), q->created_ns, q->expires_ns,
		      (int64_t)q->approvals_needed, (int64_t)q->extends, (int64_t)q->auto_approved,
		      (int64_t)q->mfa);

	if (rc)
		return rc;
	rc = lg_run(l, st);
	if (!rc)
		q->id = (uint64_t)sqlite3_last_insert_rowid(l->db);
	return rc ? rc : ledger__request_save(l, q);
}

int ledger__request_save(struct jg_ledger *l, const struct jg_request *q)
{
	sqlite3_stmt *st;
	int rc = lg_prep(l, &st, "UPDATE requests SET state = ?, decided_ns = ?, grant_id = ?, "
			      "auto_approved = ?, note = ? WHERE id = ?", "tzziti",
		      wf__state_name(q->state), q->decided_ns, (int64_t)q->grant_id,
		      (int64_t)q->auto_approved, q->note, (int64_t)q->id);

	if (rc || (rc = lg_run(l, st)))
		return rc;
	/* decisions are only ever appended: insert those the table does not have yet */
	for (size_t i = 0; i < q->ndecisions; i++) {
		const struct jg_decision *d = &q->decisions[i];

		rc = lg_prep(l, &st, "INSERT OR IGNORE INTO decisions (request_id, seq, uid, user, "
			  "approve, reason, time_ns) VALUES (?, ?, ?, ?, ?, ?, ?)", "iiititi",
			  (int64_t)q->id, (int64_t)i, (int64_t)d->uid, d->user, (int64_t)d->approve,
			  d->reason, d->time_ns);
		if (rc || (rc = lg_run(l, st)))
			return rc;
	}
	return 0;
}

#define REQUEST_COLS "id, role, uid, user, reason, duration_s, state, created_ns, expires_ns, " \
		     "decided_ns, approvals_needed, grant_id, extends, auto_approved, mfa, note"

static int request_row(struct jg_ledger *l, sqlite3_stmt *st, struct jg_request *q)
{
	sqlite3_stmt *ds;
	int rc;

	memset(q, 0, sizeof(*q));
	q->id = (uint64_t)sqlite3_column_int64(st, 0);
	snprintf(q->role, sizeof(q->role), "%s", lg_col_text(st, 1));
	q->uid = (uint32_t)sqlite3_column_int64(st, 2);
	snprintf(q->user, sizeof(q->user), "%s", lg_col_text(st, 3));
	snprintf(q->reason, sizeof(q->reason), "%s", lg_col_text(st, 4));
	q->duration_s = (uint64_t)sqlite3_column_int64(st, 5);
	if (wf__state_from_name(lg_col_text(st, 6), &q->state)) {
		snprintf(l->err, sizeof(l->err), "request %llu has an unknown state",
			 (unsigned long long)q->id);
		return -EINVAL;
	}
	q->created_ns = sqlite3_column_int64(st, 7);
	q->expires_ns = sqlite3_column_int64(st, 8);
	q->decided_ns = sqlite3_column_int64(st, 9);
	q->approvals_needed = (unsigned)sqlite3_column_int(st, 10);
	q->grant_id = (uint64_t)sqlite3_column_int64(st, 11);
	q->extends = (uint64_t)sqlite3_column_int64(st, 12);
	q->auto_approved = sqlite3_column_int(st, 13);
	q->mfa = sqlite3_column_int(st, 14);
	snprintf(q->note, sizeof(q->note), "%s", lg_col_text(st, 15));
	rc = lg_prep(l, &ds, "SELECT uid, user, approve, reason, time_ns FROM decisions "
			  "WHERE request_id = ? ORDER BY seq", "i", (int64_t)q->id);
	if (rc)
		return rc;
	while ((rc = sqlite3_step(ds)) == SQLITE_ROW && q->ndecisions < JG_REQ_MAX_DECISIONS) {
		struct jg_decision *d = &q->decisions[q->ndecisions++];

		d->uid = (uint32_t)sqlite3_column_int64(ds, 0);
		snprintf(d->user, sizeof(d->user), "%s", lg_col_text(ds, 1));
		d->approve = sqlite3_column_int(ds, 2);
		snprintf(d->reason, sizeof(d->reason), "%s", lg_col_text(ds, 3));
		d->time_ns = sqlite3_column_int64(ds, 4);
	}
	rc = rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : lg_fail(l, rc);
	sqlite3_finalize(ds);
	return rc;
}

int ledger__request_get(struct jg_ledger *l, uint64_t id, struct jg_request *q)
{
	sqlite3_stmt *st;
	int rc = lg_prep(l, &st, "SELECT " REQUEST_COLS " FROM requests WHERE id = ?", "i",
		      (int64_t)id);

	if (rc)
		return rc;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		rc = request_row(l, st, q);
	else
		rc = rc == SQLITE_DONE ? -ENOENT : lg_fail(l, rc);
	sqlite3_finalize(st);
	return rc;
}

int ledger__requests(struct jg_ledger *l, bool pending_only,
		     int (*cb)(const struct jg_request *q, void *ctx), void *ctx)
{
	sqlite3_stmt *st;
	int rc = lg_prep(l, &st, pending_only ?
		      "SELECT " REQUEST_COLS " FROM requests WHERE state = 'pending' ORDER BY id DESC" :
		      "SELECT " REQUEST_COLS " FROM requests ORDER BY id DESC", NULL);

	if (rc)
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct jg_request *q = malloc(sizeof(*q));

		if (!q) {
			rc = -ENOMEM;
			break;
		}
		rc = request_row(l, st, q);
		if (!rc)
			rc = cb(q, ctx);
		free(q);
		if (rc)
			break;
	}
	rc = rc == SQLITE_DONE ? 0 : rc > 0 ? lg_fail(l, rc) : rc;
	sqlite3_finalize(st);
	return rc;
}

uint64_t ledger__pending_of(struct jg_ledger *l, uint32_t uid, const char *role,
			    uint64_t extends)
{
	sqlite3_stmt *st;
	uint64_t id = 0;

	if (lg_prep(l, &st, "SELECT id FROM requests WHERE state = 'pending' AND uid = ? AND "
			 "role = ? AND IFNULL(extends, 0) = ? LIMIT 1", "iti", (int64_t)uid, role,
		 (int64_t)extends))
		return 0;
	if (sqlite3_step(st) == SQLITE_ROW)
		id = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return id;
}

int ledger__request_counts(struct jg_ledger *l, uint32_t uid, int64_t since_ns,
			   unsigned *pending, unsigned *recent, int64_t *oldest_ns)
{
	sqlite3_stmt *st;
	int rc = lg_prep(l, &st, "SELECT (SELECT COUNT(*) FROM requests WHERE uid = ?1 AND "
			      "state = 'pending'), COUNT(*), IFNULL(MIN(created_ns), 0) FROM requests "
			      "WHERE uid = ?1 AND created_ns >= ?2", "ii", (int64_t)uid, since_ns);

	if (rc)
		return rc;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*pending = (unsigned)sqlite3_column_int64(st, 0);
		*recent = (unsigned)sqlite3_column_int64(st, 1);
		*oldest_ns = sqlite3_column_int64(st, 2);
		rc = 0;
	} else {
		rc = lg_fail(l, rc);
	}
	sqlite3_finalize(st);
	return rc;
}
