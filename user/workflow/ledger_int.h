/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Inside the ledger (ledger.c, outbox.c, ledger_requests.c): the statement helpers they share. Not for callers
 * of the ledger, which use ledger.h. */
#ifndef JG_LEDGER_INT_H
#define JG_LEDGER_INT_H

#include <sqlite3.h>
#include "workflow/ledger.h"

/* -errno for a SQLite result code, with its message in l->err */
int lg_fail(struct jg_ledger *l, int rc);
/* Prepare and bind: fmt letters i (int64), u (uint32 or NULL when JG_BY_POLICY),
 * t (text, NULL -> NULL), b (blob: pointer then size_t), z (int64, 0 -> NULL). */
int lg_prep(struct jg_ledger *l, sqlite3_stmt **st, const char *sql, const char *fmt, ...);
/* Run a statement that returns no rows, and finalize it. */
int lg_run(struct jg_ledger *l, sqlite3_stmt *st);
/* A text column, "" for NULL */
const char *lg_col_text(sqlite3_stmt *st, int i);

#endif
