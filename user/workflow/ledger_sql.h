/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Inside the ledger (user/workflow/), not for use outside it: the SQLite helpers that the
 * ledger (ledger.c: schema, grants, MFA, history, outbox) and its request rows
 * (ledger_requests.c) share. */
#ifndef JG_WORKFLOW_LEDGER_SQL_H
#define JG_WORKFLOW_LEDGER_SQL_H

#include <sqlite3.h>
#include "workflow/ledger.h"

/* SQLite's error rc as l->err (with the file system's errno beside an I/O error) and a
 * -errno. */
int ledger_fail(struct jg_ledger *l, int rc);
/* Prepare and bind: fmt letters i (int64), u (uint32 or NULL when JG_BY_POLICY),
 * t (text, NULL -> NULL), b (blob: pointer then size_t), z (int64, 0 -> NULL). */
int ledger_prep(struct jg_ledger *l, sqlite3_stmt **st, const char *sql, const char *fmt, ...);
/* Run a statement that returns no rows (and finalize it). */
int ledger_run(struct jg_ledger *l, sqlite3_stmt *st);
/* Column i as text, "" for NULL. */
const char *ledger_col_text(sqlite3_stmt *st, int i);

#endif
