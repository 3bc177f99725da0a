// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The ledger's outboxes (ledger.h): control events that must go out after their commit,
 * and fleet mode's acknowledgements that must reach the store. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sqlite3.h>
#include "workflow/ledger.h"
#include "workflow/ledger_int.h"

int ledger__outbox_add(struct jg_ledger *l, const char *event, uint64_t *id)
{
	sqlite3_stmt *st;
	int rc = lg_prep(l, &st, "INSERT INTO outbox (event) VALUES (?)", "t", event);

	if (rc || (rc = lg_run(l, st)))
		return rc;
	*id = (uint64_t)sqlite3_last_insert_rowid(l->db);
	return 0;
}

int ledger__outbox_del(struct jg_ledger *l, uint64_t id)
{
	sqlite3_stmt *st;
	int rc = lg_prep(l, &st, "DELETE FROM outbox WHERE id = ?", "i", (int64_t)id);

	return rc ? rc : lg_run(l, st);
}

int ledger__outbox(struct jg_ledger *l, int (*cb)(uint64_t id, const char *event, void *ctx),
		   void *ctx)
{
	sqlite3_stmt *st;
	int rc = lg_prep(l, &st, "SELECT id, event FROM outbox ORDER BY id", NULL);

	if (rc)
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		rc = cb((uint64_t)sqlite3_column_int64(st, 0), lg_col_text(st, 1), ctx);
		if (rc)
			break;
	}
	rc = rc == SQLITE_DONE ? 0 : rc > 0 ? lg_fail(l, rc) : rc;
	sqlite3_finalize(st);
	return rc;
}

int ledger__fleet_ack_add(struct jg_ledger *l, const char *request_id, const char *state,
			  const char *reason, int64_t kernel_expiry)
{
	sqlite3_stmt *st;
	int rc = lg_prep(l, &st, "INSERT INTO fleet_acks (request_id, state, reason, "
			 "kernel_expiry) VALUES (?, ?, ?, ?)", "ttti", request_id, state, reason,
			 kernel_expiry);

	return rc ? rc : lg_run(l, st);
}

int ledger__fleet_ack_del(struct jg_ledger *l, uint64_t id)
{
	sqlite3_stmt *st;
	int rc = lg_prep(l, &st, "DELETE FROM fleet_acks WHERE id = ?", "i", (int64_t)id);

	return rc ? rc : lg_run(l, st);
}

int ledger__fleet_ack_first(struct jg_ledger *l, struct jg_fleet_ack *a)
{
	sqlite3_stmt *st;
	int rc = lg_prep(l, &st, "SELECT id, request_id, state, reason, kernel_expiry FROM "
			 "fleet_acks ORDER BY id LIMIT 1", NULL);

	if (rc)
		return rc;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		memset(a, 0, sizeof(*a));
		a->id = (uint64_t)sqlite3_column_int64(st, 0);
		snprintf(a->request_id, sizeof(a->request_id), "%s", lg_col_text(st, 1));
		snprintf(a->state, sizeof(a->state), "%s", lg_col_text(st, 2));
		snprintf(a->reason, sizeof(a->reason), "%s", lg_col_text(st, 3));
		a->kernel_expiry = sqlite3_column_int64(st, 4);
		rc = 0;
	} else {
		rc = rc == SQLITE_DONE ? -ENOENT : lg_fail(l, rc);
	}
	sqlite3_finalize(st);
	return rc;
}

long ledger__fleet_ack_count(struct jg_ledger *l)
{
	sqlite3_stmt *st;
	long n;
	int rc = lg_prep(l, &st, "SELECT count(*) FROM fleet_acks", NULL);

	if (rc)
		return rc;
	rc = sqlite3_step(st);
	n = rc == SQLITE_ROW ? (long)sqlite3_column_int64(st, 0) : lg_fail(l, rc);
	sqlite3_finalize(st);
	return n;
}
