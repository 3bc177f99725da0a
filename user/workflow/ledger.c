// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The ledger (SQLite): the schema and its migrations, grants, MFA and history. The access
 * requests' rows are ledger_requests.c's, the outboxes outbox.c's. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sqlite3.h>
#include "workflow/ledger.h"
#include "workflow/ledger_int.h"
#include "workflow/totp.h"
#include "lib/util.h"

#define SCHEMA_VERSION 3
#define STR_(x) #x
#define STR(x) STR_(x)

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS meta ("
	"  key TEXT PRIMARY KEY, value TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS resources ("
	"  name TEXT PRIMARY KEY, id INTEGER NOT NULL UNIQUE);"
	"CREATE TABLE IF NOT EXISTS requests ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT, role TEXT NOT NULL, uid INTEGER NOT NULL,"
	"  user TEXT NOT NULL, reason TEXT NOT NULL, duration_s INTEGER NOT NULL,"
	"  state TEXT NOT NULL, created_ns INTEGER NOT NULL, expires_ns INTEGER NOT NULL,"
	"  decided_ns INTEGER, approvals_needed INTEGER NOT NULL, grant_id INTEGER,"
	"  extends INTEGER, auto_approved INTEGER NOT NULL, mfa INTEGER NOT NULL,"
	"  note TEXT NOT NULL DEFAULT '');"
	"CREATE INDEX IF NOT EXISTS requests_state ON requests(state);"
	"CREATE TABLE IF NOT EXISTS decisions ("
	"  request_id INTEGER NOT NULL REFERENCES requests(id), seq INTEGER NOT NULL,"
	"  uid INTEGER NOT NULL, user TEXT NOT NULL, approve INTEGER NOT NULL,"
	"  reason TEXT NOT NULL, time_ns INTEGER NOT NULL, PRIMARY KEY (request_id, seq),"
	"  UNIQUE (request_id, uid));"
	"CREATE TABLE IF NOT EXISTS grants ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT, uid INTEGER NOT NULL, user TEXT NOT NULL,"
	"  allow TEXT NOT NULL, reason TEXT NOT NULL, break_glass INTEGER NOT NULL,"
	"  by_uid INTEGER, by_user TEXT NOT NULL, role TEXT NOT NULL DEFAULT '',"
	"  request_id INTEGER, created_ns INTEGER NOT NULL, expires_ns INTEGER NOT NULL,"
	"  expires_boot_ns INTEGER NOT NULL, boot_id TEXT NOT NULL,"
	"  ended_ns INTEGER, end_kind TEXT, ended_by_uid INTEGER, ended_by_user TEXT,"
	"  end_reason TEXT);"
	"CREATE INDEX IF NOT EXISTS grants_live ON grants(ended_ns);"
	"CREATE TABLE IF NOT EXISTS outbox ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT, event TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS mfa ("
	"  uid INTEGER PRIMARY KEY, user TEXT NOT NULL, secret BLOB NOT NULL,"
	"  last_step INTEGER NOT NULL DEFAULT -1, enrolled_ns INTEGER NOT NULL,"
	"  enrolled_by TEXT NOT NULL);";

/* Each step takes the schema from version i + 1 to i + 2 (migrations[0]: 1 -> 2). A fresh
 * ledger gets the version-1 schema above and then every step, so both ways end equal. The
 * version is PRAGMA user_version; the meta row "schema" (all older ledgers have) follows it. */
static const char *const migrations[] = {
	/* 2: the MFA lockout tally (kept across restarts), and the index the per-user request
	 * limits count with */
	"CREATE TABLE IF NOT EXISTS mfa_tally ("
	"  uid INTEGER PRIMARY KEY, failures TEXT NOT NULL DEFAULT '',"
	"  locked_ns INTEGER NOT NULL DEFAULT 0, locked_until_ns INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX IF NOT EXISTS requests_uid ON requests(uid, created_ns);",
	/* 3: fleet mode's acknowledgements (activation rows) the store has not taken yet
	 * (outbox.c) */
	"CREATE TABLE IF NOT EXISTS fleet_acks ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT, request_id TEXT NOT NULL, state TEXT NOT NULL,"
	"  reason TEXT, kernel_expiry INTEGER NOT NULL DEFAULT 0);",
};
_Static_assert(sizeof(migrations) / sizeof(migrations[0]) == SCHEMA_VERSION - 1,
	       "one migration per schema version after the first");

int lg_fail(struct jg_ledger *l, int rc)
{
	int sys = sqlite3_system_errno(l->db);

	/* "disk I/O error" alone hides the cause: the file system's errno beside it */
	if (sys && (rc & 0xff) == SQLITE_IOERR)
		snprintf(l->err, sizeof(l->err), "%s (%s)", sqlite3_errmsg(l->db), strerror(sys));
	else
		snprintf(l->err, sizeof(l->err), "%s", sqlite3_errmsg(l->db));
	switch (rc & 0xff) {
	case SQLITE_FULL: return -ENOSPC;
	case SQLITE_BUSY: case SQLITE_LOCKED: return -EBUSY;
	case SQLITE_NOMEM: return -ENOMEM;
	case SQLITE_READONLY: case SQLITE_PERM: return -EACCES;
	case SQLITE_CONSTRAINT: return -EEXIST;
	default: return -EIO;
	}
}

static int exec(struct jg_ledger *l, const char *sql)
{
	int rc = sqlite3_exec(l->db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : lg_fail(l, rc);
}

/* Prepare and bind: fmt letters i (int64), u (uint32 or NULL when JG_BY_POLICY),
 * t (text, NULL -> NULL), b (blob: pointer then size_t), z (int64, 0 -> NULL). */
int lg_prep(struct jg_ledger *l, sqlite3_stmt **st, const char *sql, const char *fmt, ...)
{
	va_list ap;
	int rc = sqlite3_prepare_v2(l->db, sql, -1, st, NULL);

	if (rc != SQLITE_OK)
		return lg_fail(l, rc);
	va_start(ap, fmt);
	for (int i = 1; fmt && *fmt; fmt++, i++) {
		switch (*fmt) {
		case 'i':
			rc = sqlite3_bind_int64(*st, i, va_arg(ap, int64_t));
			break;
		case 'z': {
			int64_t v = va_arg(ap, int64_t);

			rc = v ? sqlite3_bind_int64(*st, i, v) : sqlite3_bind_null(*st, i);
			break;
		}
		case 'u': {
			uint32_t v = va_arg(ap, uint32_t);

			rc = v == JG_BY_POLICY ? sqlite3_bind_null(*st, i)
					       : sqlite3_bind_int64(*st, i, v);
			break;
		}
		case 't':
			rc = sqlite3_bind_text(*st, i, va_arg(ap, const char *), -1, SQLITE_TRANSIENT);
			break;
		case 'b': {
			const void *p = va_arg(ap, const void *);

			rc = sqlite3_bind_blob(*st, i, p, (int)va_arg(ap, size_t), SQLITE_TRANSIENT);
			break;
		}
		}
		if (rc != SQLITE_OK)
			break;
	}
	va_end(ap);
	if (rc != SQLITE_OK) {
		rc = lg_fail(l, rc);
		sqlite3_finalize(*st);
		return rc;
	}
	return 0;
}

/* Run a statement that returns no rows. */
int lg_run(struct jg_ledger *l, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	rc = rc == SQLITE_DONE ? 0 : lg_fail(l, rc);
	sqlite3_finalize(st);
	return rc;
}

const char *lg_col_text(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t ? (const char *)t : "";
}

/* From version `from` to SCHEMA_VERSION, in one transaction: all steps or none. */
static int migrate(struct jg_ledger *l, int from)
{
	char ver[16];
	int rc;

	if (from < 1 || from > SCHEMA_VERSION) {
		snprintf(l->err, sizeof(l->err), "schema version %d, this build knows 1 to %d", from,
			 SCHEMA_VERSION);
		return -EPROTO;
	}
	rc = ledger__begin(l);
	for (int v = from; !rc && v < SCHEMA_VERSION; v++)
		rc = exec(l, migrations[v - 1]);
	snprintf(ver, sizeof(ver), "%d", SCHEMA_VERSION);
	if (!rc)
		rc = ledger__meta_set(l, "schema", ver);
	if (!rc)
		rc = exec(l, "PRAGMA user_version = " STR(SCHEMA_VERSION));
	if (!rc)
		rc = ledger__commit(l);
	if (rc) {
		char why[200];

		snprintf(why, sizeof(why), "%.199s", l->err);
		ledger__rollback(l);
		snprintf(l->err, sizeof(l->err), "migrating the schema from %d to %d: %s", from,
			 SCHEMA_VERSION, why);
	}
	return rc;
}

int ledger__open(struct jg_ledger *l, const char *path, char *err, size_t errlen)
{
	char ver[16];
	int rc, fd, uv = 0;
	sqlite3_stmt *st;

	memset(l, 0, sizeof(*l));
	snprintf(l->path, sizeof(l->path), "%s", path);
	/* create it root-only before SQLite does with the umask's mode: it holds MFA secrets */
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(err, errlen, "cannot open the ledger %s: %s", path, strerror(errno));
		return -errno;
	}
	close(fd);
	rc = sqlite3_open_v2(path, &l->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX, NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "cannot open the ledger %s: %s", path,
			 l->db ? sqlite3_errmsg(l->db) : sqlite3_errstr(rc));
		sqlite3_close(l->db);
		l->db = NULL;
		return -EIO;
	}
	sqlite3_busy_timeout(l->db, 2000);
	rc = exec(l, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;");
	if (!rc && !(rc = lg_prep(l, &st, "PRAGMA user_version", NULL))) {
		uv = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
		sqlite3_finalize(st);
	}
	if (!rc)
		rc = exec(l, schema);
	if (!rc && !uv)
		rc = ledger__meta_get(l, "schema", ver, sizeof(ver));
	if (rc == -ENOENT) {
		snprintf(ver, sizeof(ver), "1");	/* fresh: version 1, migrated below */
		rc = 0;
	}
	if (!rc)
		rc = migrate(l, uv ? uv : atoi(ver));
	if (rc) {
		snprintf(err, errlen, "the ledger %s is unusable: %s", path, l->err);
		ledger__close(l);
		return rc;
	}
	chmod(path, 0600);
	return 0;
}

void ledger__close(struct jg_ledger *l)
{
	if (l->db)
		sqlite3_close(l->db);
	l->db = NULL;
}

int ledger__begin(struct jg_ledger *l)
{
	return exec(l, "BEGIN IMMEDIATE");
}

int ledger__commit(struct jg_ledger *l)
{
	return exec(l, "COMMIT");
}

void ledger__rollback(struct jg_ledger *l)
{
	sqlite3_exec(l->db, "ROLLBACK", NULL, NULL, NULL);
}

int ledger__meta_get(struct jg_ledger *l, const char *key, char *buf, size_t len)
{
	sqlite3_stmt *st;
	int rc = lg_prep(l, &st, "SELECT value FROM meta WHERE key = ?", "t", key);

	if (rc)
		return rc;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		snprintf(buf, len, "%s", lg_col_text(st, 0));
		rc = 0;
	} else {
		rc = rc == SQLITE_DONE ? -ENOENT : lg_fail(l, rc);
	}
	sqlite3_finalize(st);
	return rc;
}

int ledger__meta_set(struct jg_ledger *l, const char *key, const char *value)
{
	sqlite3_stmt *st;
	int rc = lg_prep(l, &st, "INSERT INTO meta (key, value) VALUES (?, ?) "
			      "ON CONFLICT (key) DO UPDATE SET value = excluded.value", "tt",
		      key, value);

	return rc ? rc : lg_run(l, st);
}

int ledger__resources(struct jg_ledger *l, int (*cb)(const char *name, int id, void *ctx),
		      void *ctx)
{
	sqlite3_stmt *st;
	int rc = lg_prep(l, &st, "SELECT name, id FROM resources ORDER BY id", NULL);

	if (rc)
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		rc = cb(lg_col_text(st, 0), sqlite3_column_int(st, 1), ctx);
		if (rc)
			break;
	}
	rc = rc == SQLITE_DONE ? 0 : rc > 0 ? lg_fail(l, rc) : rc;
	sqlite3_finalize(st);
	return rc;
}

int ledger__resource_add(struct jg_ledger *l, const char *name, int id)
{
	sqlite3_stmt *st;
	int rc = lg_prep(l, &st, "INSERT INTO resources (name, id) VALUES (?, ?)", "ti", name,
		      (int64_t)id);

	return rc ? rc : lg_run(l, st);
}

int ledger__grant_insert(struct jg_ledger *l, struct jg_grant_rec *r, const char *boot_id)
{
	json_t *allow = grants__allow_json(r);
	char *text = json_dumps(allow, JSON_COMPACT);
	sqlite3_stmt *st;
	int rc;

	json_decref(allow);
	if (!text)
		return -ENOMEM;
	rc = lg_prep(l, &st, "INSERT INTO grants (uid, user, allow, reason, break_glass, by_uid, "
		  "by_user, role, request_id, created_ns, expires_ns, expires_boot_ns, boot_id) "
		  "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", "ittti" "utt" "ziiit",
		  (int64_t)r->uid, r->user, text, r->reason, (int64_t)r->break_glass, r->by_uid,
		  r->by_user, r->role, (int64_t)r->request_id, r->created_wall_ns,
		  r->expires_wall_ns, (int64_t)r->expires_boot_ns, boot_id);
	free(text);
	if (rc)
		return rc;
	rc = lg_run(l, st);
	if (!rc)
		r->id = (uint64_t)sqlite3_last_insert_rowid(l->db);
	return rc;
}

int ledger__grant_set_expiry(struct jg_ledger *l, uint64_t id, int64_t expires_wall_ns,
			     uint64_t expires_boot_ns, const char *boot_id)
{
	sqlite3_stmt *st;
	int rc = lg_prep(l, &st, "UPDATE grants SET expires_ns = ?, expires_boot_ns = ?, boot_id = ? "
			      "WHERE id = ?", "iiti", expires_wall_ns, (int64_t)expires_boot_ns,
		      boot_id, (int64_t)id);

	return rc ? rc : lg_run(l, st);
}

int ledger__grant_end(struct jg_ledger *l, uint64_t id, const char *kind, int64_t when_ns,
		      uint32_t by_uid, const char *by_user, const char *reason)
{
	sqlite3_stmt *st;
	int rc = lg_prep(l, &st, "UPDATE grants SET ended_ns = ?, end_kind = ?, ended_by_uid = ?, "
			      "ended_by_user = ?, end_reason = ? WHERE id = ? AND ended_ns IS NULL",
		      "itutti", when_ns, kind, by_uid, by_user, reason ? reason : "", (int64_t)id);

	return rc ? rc : lg_run(l, st);
}

#define GRANT_COLS "id, uid, user, allow, reason, break_glass, by_uid, by_user, role, " \
		   "request_id, created_ns, expires_ns, expires_boot_ns, boot_id"

static int grant_row(struct jg_ledger *l, sqlite3_stmt *st, struct jg_grant_rec *r)
{
	json_t *allow = json_loads(lg_col_text(st, 3), 0, NULL);
	char err[128];
	int rc;

	memset(r, 0, sizeof(*r));
	r->id = (uint64_t)sqlite3_column_int64(st, 0);
	rc = grants__allow_from_json(allow, r, err, sizeof(err));
	json_decref(allow);
	if (rc) {
		snprintf(l->err, sizeof(l->err), "grant %llu: %s", (unsigned long long)r->id, err);
		return rc;
	}
	r->uid = (uint32_t)sqlite3_column_int64(st, 1);
	snprintf(r->user, sizeof(r->user), "%s", lg_col_text(st, 2));
	snprintf(r->reason, sizeof(r->reason), "%s", lg_col_text(st, 4));
	r->break_glass = sqlite3_column_int(st, 5);
	r->by_uid = sqlite3_column_type(st, 6) == SQLITE_NULL ? JG_BY_POLICY
							       : (uint32_t)sqlite3_column_int64(st, 6);
	snprintf(r->by_user, sizeof(r->by_user), "%s", lg_col_text(st, 7));
	snprintf(r->role, sizeof(r->role), "%s", lg_col_text(st, 8));
	r->request_id = (uint64_t)sqlite3_column_int64(st, 9);
	r->created_wall_ns = sqlite3_column_int64(st, 10);
	r->expires_wall_ns = sqlite3_column_int64(st, 11);
	r->expires_boot_ns = (uint64_t)sqlite3_column_int64(st, 12);
	return 0;
}

int ledger__grants_live(struct jg_ledger *l,
			int (*cb)(const struct jg_grant_rec *r, const char *boot_id, void *ctx),
			void *ctx)
{
	sqlite3_stmt *st;
	int rc = lg_prep(l, &st, "SELECT " GRANT_COLS " FROM grants WHERE ended_ns IS NULL "
			      "ORDER BY id", NULL);

	if (rc)
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct jg_grant_rec r;

		rc = grant_row(l, st, &r);
		if (!rc)
			rc = cb(&r, lg_col_text(st, 13), ctx);
		if (rc)
			break;
	}
	rc = rc == SQLITE_DONE ? 0 : rc > 0 ? lg_fail(l, rc) : rc;
	sqlite3_finalize(st);
	return rc;
}

int ledger__mfa_get(struct jg_ledger *l, uint32_t uid, uint8_t *secret, size_t *len,
		    int64_t *last_step)
{
	sqlite3_stmt *st;
	int rc = lg_prep(l, &st, "SELECT secret, last_step FROM mfa WHERE uid = ?", "i",
		      (int64_t)uid);

	if (rc)
		return rc;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		size_t n = (size_t)sqlite3_column_bytes(st, 0);

		if (n > *len) {
			rc = -ENOSPC;
		} else {
			memcpy(secret, sqlite3_column_blob(st, 0), n);
			*len = n;
			*last_step = sqlite3_column_int64(st, 1);
			rc = 0;
		}
	} else {
		rc = rc == SQLITE_DONE ? -ENOENT : lg_fail(l, rc);
	}
	sqlite3_finalize(st);
	return rc;
}

int ledger__mfa_set(struct jg_ledger *l, uint32_t uid, const char *user, const uint8_t *secret,
		    size_t len, int64_t when_ns, const char *by_user)
{
	sqlite3_stmt *st;
	int rc = lg_prep(l, &st, "INSERT INTO mfa (uid, user, secret, last_step, enrolled_ns, "
			      "enrolled_by) VALUES (?, ?, ?, -1, ?, ?) ON CONFLICT (uid) DO UPDATE "
			      "SET user = excluded.user, secret = excluded.secret, last_step = -1, "
			      "enrolled_ns = excluded.enrolled_ns, enrolled_by = excluded.enrolled_by",
		      "itbit", (int64_t)uid, user, secret, len, when_ns, by_user);

	return rc ? rc : lg_run(l, st);
}

int ledger__mfa_used(struct jg_ledger *l, uint32_t uid, int64_t step)
{
	sqlite3_stmt *st;
	int rc = lg_prep(l, &st, "UPDATE mfa SET last_step = ? WHERE uid = ?", "ii", step,
		      (int64_t)uid);

	return rc ? rc : lg_run(l, st);
}

int ledger__mfa_tally_get(struct jg_ledger *l, uint32_t uid, struct jg_mfa_tally *t)
{
	sqlite3_stmt *st;
	int rc = lg_prep(l, &st, "SELECT failures, locked_ns, locked_until_ns FROM mfa_tally "
			      "WHERE uid = ?", "i", (int64_t)uid);

	totp__tally_reset(t);
	if (rc)
		return rc;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		totp__tally_parse(t, lg_col_text(st, 0));
		t->locked_ns = sqlite3_column_int64(st, 1);
		t->locked_until_ns = sqlite3_column_int64(st, 2);
		rc = 0;
	} else {
		rc = rc == SQLITE_DONE ? 0 : lg_fail(l, rc);
	}
	sqlite3_finalize(st);
	return rc;
}

int ledger__mfa_tally_set(struct jg_ledger *l, uint32_t uid, const struct jg_mfa_tally *t)
{
	char text[JG_MFA_DENY_MAX * 21 + 1];
	sqlite3_stmt *st;
	int rc;

	if (!t->nfail && !t->locked_ns)
		rc = lg_prep(l, &st, "DELETE FROM mfa_tally WHERE uid = ?", "i", (int64_t)uid);
	else if (totp__tally_format(t, text, sizeof(text)))
		return -ENOSPC;
	else
		rc = lg_prep(l, &st, "INSERT INTO mfa_tally (uid, failures, locked_ns, "
			  "locked_until_ns) VALUES (?, ?, ?, ?) ON CONFLICT (uid) DO UPDATE SET "
			  "failures = excluded.failures, locked_ns = excluded.locked_ns, "
			  "locked_until_ns = excluded.locked_until_ns", "itii", (int64_t)uid, text,
			  t->locked_ns, t->locked_until_ns);
	return rc ? rc : lg_run(l, st);
}

static json_t *time_or_null(int64_t ns)
{
	char buf[48];

	return ns ? json_string(util__rfc3339(ns, buf, sizeof(buf))) : json_null();
}

/* ledger__history, and with grant_id (0: any) one grant. */
static json_t *history(struct jg_ledger *l, const char *user, const char *resource,
		       int64_t since_ns, uint64_t grant_id)
{
	sqlite3_stmt *st, *ds;
	json_t *out = json_array();
	int rc;

	/* a grant is in range when it was live at any time since since_ns */
	rc = lg_prep(l, &st, "SELECT " GRANT_COLS ", ended_ns, end_kind, ended_by_uid, "
		  "ended_by_user, end_reason FROM grants WHERE (?1 IS NULL OR user = ?1) AND "
		  "(?2 IS NULL OR EXISTS (SELECT 1 FROM json_each(grants.allow) "
		  "WHERE json_extract(value, '$.resource') = ?2)) AND "
		  "IFNULL(ended_ns, expires_ns) >= ?3 AND (?4 IS NULL OR id = ?4) ORDER BY id",
		  "ttiz", user, resource, since_ns, (int64_t)grant_id);
	if (rc) {
		json_decref(out);
		return NULL;
	}
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct jg_grant_rec r;
		json_t *g, *approvers = json_array(), *ext = json_array();
		char id[32];

		if (grant_row(l, st, &r))
			continue;
		g = grants__to_json(&r, 0);
		json_object_del(g, "remaining_s");
		json_object_set_new(g, "ended", time_or_null(sqlite3_column_int64(st, 14)));
		json_object_set_new(g, "end", sqlite3_column_type(st, 15) == SQLITE_NULL ?
					       json_null() : json_string(lg_col_text(st, 15)));
		if (sqlite3_column_type(st, 14) != SQLITE_NULL) {
			json_object_set_new(g, "ended_by", json_pack("{s:o, s:s}", "uid",
				sqlite3_column_type(st, 16) == SQLITE_NULL ? json_null() :
				json_integer(sqlite3_column_int64(st, 16)), "user", lg_col_text(st, 17)));
			if (*lg_col_text(st, 18))
				json_object_set_new(g, "end_reason", json_string(lg_col_text(st, 18)));
		}
		if (!r.request_id)
			json_object_set_new(g, "role", json_null());
		if (r.request_id &&
		    !lg_prep(l, &ds, "SELECT d.user, d.uid, d.time_ns, d.reason FROM decisions d JOIN "
			  "requests q ON q.id = d.request_id WHERE d.approve = 1 AND "
			  "(q.id = ?1 OR (q.extends = ?2 AND q.state = 'approved')) ORDER BY d.time_ns",
			  "ii", (int64_t)r.request_id, (int64_t)r.id)) {
			while (sqlite3_step(ds) == SQLITE_ROW)
				json_array_append_new(approvers, json_pack(
					"{s:s, s:I, s:o}", "user", lg_col_text(ds, 0), "uid",
					(json_int_t)sqlite3_column_int64(ds, 1), "time",
					time_or_null(sqlite3_column_int64(ds, 2))));
			sqlite3_finalize(ds);
		}
		if (!lg_prep(l, &ds, "SELECT id FROM requests WHERE extends = ? ORDER BY id", "i",
			  (int64_t)r.id)) {
			while (sqlite3_step(ds) == SQLITE_ROW)
				json_array_append_new(ext, json_string(wf__format_id(
					(uint64_t)sqlite3_column_int64(ds, 0), id, sizeof(id))));
			sqlite3_finalize(ds);
		}
		json_object_set_new(g, "approvers", approvers);
		json_object_set_new(g, "extensions", ext);
		json_array_append_new(out, g);
	}
	sqlite3_finalize(st);
	return out;
}

json_t *ledger__history(struct jg_ledger *l, const char *user, const char *resource,
			int64_t since_ns)
{
	return history(l, user, resource, since_ns, 0);
}

json_t *ledger__history_grant(struct jg_ledger *l, uint64_t grant_id)
{
	return history(l, NULL, NULL, 0, grant_id ? grant_id : UINT64_MAX);
}
