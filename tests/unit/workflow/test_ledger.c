// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The SQLite ledger on a temporary file: file mode and schema, restarts, grants with their
 * history, requests with decisions, transactions, MFA, meta, resource ids and HISTORY. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sqlite3.h>

#include "jitgate.h"
#include "workflow/ledger.h"
#include "workflow/totp.h"

#define NS 1000000000LL
#define T0 (1795428000LL * NS)		/* 2026-11-23T10:00:00Z */

static char dir[64], path[128];
static struct jg_ledger L;
static char err[512];

static void rm(const char *suffix)
{
	char p[160];

	snprintf(p, sizeof(p), "%s%s", path, suffix);
	unlink(p);
}

static void open_ledger(void)
{
	int ret = ledger__open(&L, path, err, sizeof(err));

	cr_assert_eq(ret, 0, "ledger__open: %d %s", ret, err);
}

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/jg-ledger-XXXXXX");
	cr_assert(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/ledger.db", dir);
	open_ledger();
}

static void teardown(void)
{
	ledger__close(&L);
	rm("");
	rm("-wal");
	rm("-shm");
	rm("-journal");
	rmdir(dir);
}

static void reopen(void)
{
	ledger__close(&L);
	open_ledger();
}

TestSuite(ledger, .init = setup, .fini = teardown);

/* ---- records ---- */

static struct jg_grant_rec grant(uint32_t uid, const char *user, const char *res,
				 unsigned perms, int64_t created, int64_t expires)
{
	struct jg_grant_rec r = { .uid = uid, .nallow = 1, .by_uid = 0,
				  .created_wall_ns = created, .expires_wall_ns = expires,
				  .expires_boot_ns = 5000 };

	snprintf(r.user, sizeof(r.user), "%s", user);
	snprintf(r.allow[0].resource, sizeof(r.allow[0].resource), "%s", res);
	r.allow[0].perms = perms;
	snprintf(r.reason, sizeof(r.reason), "INC-1");
	snprintf(r.by_user, sizeof(r.by_user), "root");
	return r;
}

static uint64_t insert_grant(struct jg_grant_rec *r)
{
	int ret = ledger__grant_insert(&L, r, "boot-a");

	cr_assert_eq(ret, 0, "grant_insert: %d %s", ret, L.err);
	return r->id;
}

static struct jg_request request(const char *role, uint32_t uid, const char *user,
				 int64_t created)
{
	struct jg_request q = { .uid = uid, .duration_s = 1800, .state = JG_REQ_PENDING,
				.created_ns = created, .expires_ns = created + 3600 * NS,
				.approvals_needed = 1 };

	snprintf(q.role, sizeof(q.role), "%s", role);
	snprintf(q.user, sizeof(q.user), "%s", user);
	snprintf(q.reason, sizeof(q.reason), "INC-1 slow queries");
	return q;
}

static void decide(struct jg_request *q, uint32_t uid, const char *user, bool approve,
		   const char *reason, int64_t when)
{
	struct jg_decision *d = &q->decisions[q->ndecisions++];

	memset(d, 0, sizeof(*d));
	d->uid = uid;
	snprintf(d->user, sizeof(d->user), "%s", user);
	d->approve = approve;
	snprintf(d->reason, sizeof(d->reason), "%s", reason);
	d->time_ns = when;
}

static uint64_t insert_request(struct jg_request *q)
{
	int ret = ledger__request_insert(&L, q);

	cr_assert_eq(ret, 0, "request_insert: %d %s", ret, L.err);
	return q->id;
}

static void save(const struct jg_request *q)
{
	int ret = ledger__request_save(&L, q);

	cr_assert_eq(ret, 0, "request_save: %d %s", ret, L.err);
}

/* ---- collecting callbacks ---- */

struct grants_seen {
	struct jg_grant_rec r[16];
	char boot[16][64];
	size_t n;
};

static int collect_grant(const struct jg_grant_rec *r, const char *boot_id, void *ctx)
{
	struct grants_seen *s = ctx;

	cr_assert_lt(s->n, 16);
	s->r[s->n] = *r;
	snprintf(s->boot[s->n], sizeof(s->boot[0]), "%s", boot_id);
	s->n++;
	return 0;
}

static size_t live(struct grants_seen *s)
{
	memset(s, 0, sizeof(*s));
	cr_assert_eq(ledger__grants_live(&L, collect_grant, s), 0, "%s", L.err);
	return s->n;
}

struct ids_seen {
	uint64_t id[16];
	size_t n;
};

static int collect_request(const struct jg_request *q, void *ctx)
{
	struct ids_seen *s = ctx;

	cr_assert_lt(s->n, 16);
	s->id[s->n++] = q->id;
	return 0;
}

/* ---- open ---- */

static int count_tables(void)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	int n = -1;

	cr_assert_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	cr_assert_eq(sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_master WHERE type = "
					"'table' AND name IN ('meta', 'resources', 'requests', "
					"'decisions', 'grants', 'mfa', 'mfa_tally', "
					"'fleet_acks')", -1, &st, NULL),
		     SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

Test(ledger, open_creates_0600_with_schema)
{
	struct stat sb;
	char wal[160], ver[16];

	cr_assert_eq(stat(path, &sb), 0);
	cr_assert_eq(sb.st_mode & 07777, 0600, "mode %o", sb.st_mode & 07777);
	cr_assert_eq(count_tables(), 8);
	cr_assert_eq(ledger__meta_get(&L, "schema", ver, sizeof(ver)), 0);
	cr_assert_str_eq(ver, "3");
	/* the write-ahead log holds the same secrets */
	cr_assert_eq(ledger__meta_set(&L, "k", "v"), 0);
	snprintf(wal, sizeof(wal), "%s-wal", path);
	cr_assert_eq(stat(wal, &sb), 0, "no WAL file");
	cr_assert_eq(sb.st_mode & 0077, 0, "WAL mode %o", sb.st_mode & 07777);
}

Test(ledger, open_tightens_an_existing_file)
{
	struct stat sb;

	ledger__close(&L);
	cr_assert_eq(chmod(path, 0644), 0);
	open_ledger();
	cr_assert_eq(stat(path, &sb), 0);
	cr_assert_eq(sb.st_mode & 07777, 0600, "mode %o", sb.st_mode & 07777);
}

Test(ledger, open_fails_cleanly)
{
	struct jg_ledger l2;
	char p[192];

	snprintf(p, sizeof(p), "%s/no/such/dir/ledger.db", dir);
	cr_assert_eq(ledger__open(&l2, p, err, sizeof(err)), -ENOENT);
	cr_assert(strstr(err, "cannot open the ledger"), "%s", err);
	cr_assert_null(l2.db);

	/* a file that is not a database */
	snprintf(p, sizeof(p), "%s/junk.db", dir);
	FILE *f = fopen(p, "w");

	cr_assert(f);
	fputs("this is not a SQLite database, not at all, no, not even a little bit\n", f);
	fclose(f);
	cr_assert_lt(ledger__open(&l2, p, err, sizeof(err)), 0);
	cr_assert(strstr(err, "unusable") || strstr(err, "cannot open"), "%s", err);
	cr_assert_null(l2.db);
	unlink(p);
}

Test(ledger, reopen_keeps_everything)
{
	struct jg_grant_rec g = grant(1000, "alice", "db", JG_PERM_CONNECT, T0, T0 + 1800 * NS);
	struct jg_request q = request("db-debug", 1000, "alice", T0), back;
	struct grants_seen s;
	uint8_t secret[64] = { 1, 2, 3 };
	size_t len = sizeof(secret);
	int64_t step;
	char buf[64];

	insert_grant(&g);
	insert_request(&q);
	cr_assert_eq(ledger__meta_set(&L, "boot_id", "boot-a"), 0);
	cr_assert_eq(ledger__resource_add(&L, "db", 3), 0);
	cr_assert_eq(ledger__mfa_set(&L, 1000, "alice", secret, 20, T0, "root"), 0);
	reopen();
	cr_assert_eq(live(&s), 1);
	cr_assert_eq(s.r[0].id, g.id);
	cr_assert_eq(ledger__request_get(&L, q.id, &back), 0);
	cr_assert_str_eq(back.role, "db-debug");
	cr_assert_eq(ledger__meta_get(&L, "boot_id", buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "boot-a");
	cr_assert_eq(ledger__mfa_get(&L, 1000, secret, &len, &step), 0);
	cr_assert_eq(len, 20);
	cr_assert_eq(ledger__meta_get(&L, "schema", buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "3");
}

/* ---- grants ---- */

Test(ledger, grant_ids_increase_and_are_never_reused)
{
	struct jg_grant_rec g = grant(1000, "alice", "db", JG_PERM_CONNECT, T0, T0 + 60 * NS);

	cr_assert_eq(insert_grant(&g), 1);
	cr_assert_eq(insert_grant(&g), 2);
	cr_assert_eq(insert_grant(&g), 3);
	cr_assert_eq(ledger__grant_end(&L, 3, "revoke", T0, 0, "root", NULL), 0);
	cr_assert_eq(insert_grant(&g), 4);
	cr_assert_eq(ledger__grant_end(&L, 4, "expire", T0, JG_BY_POLICY, "policy", NULL), 0);
	reopen();
	cr_assert_eq(insert_grant(&g), 5);
}

Test(ledger, grant_end_keeps_history)
{
	struct jg_grant_rec a = grant(1000, "alice", "db", JG_PERM_CONNECT, T0, T0 + 60 * NS);
	struct jg_grant_rec b = grant(1001, "bob", "db", JG_PERM_CONNECT, T0, T0 + 60 * NS);
	struct grants_seen s;
	json_t *h, *e;

	insert_grant(&a);
	insert_grant(&b);
	cr_assert_eq(ledger__grant_end(&L, a.id, "revoke", T0 + 10 * NS, 0, "root", "done"), 0);
	cr_assert_eq(live(&s), 1);
	cr_assert_eq(s.r[0].id, b.id);
	/* ending it again changes nothing */
	cr_assert_eq(ledger__grant_end(&L, a.id, "drop", T0 + 20 * NS, 1000, "alice", NULL), 0);

	h = ledger__history(&L, NULL, NULL, 0);
	cr_assert_eq(json_array_size(h), 2);
	e = json_array_get(h, 0);
	cr_assert_str_eq(json_string_value(json_object_get(e, "id")), "g-1");
	cr_assert_str_eq(json_string_value(json_object_get(e, "end")), "revoke");
	cr_assert_str_eq(json_string_value(json_object_get(e, "ended")),
			 "2026-11-23T10:00:10.000000000Z");
	cr_assert_eq(json_integer_value(json_object_get(json_object_get(e, "ended_by"), "uid")),
		     0);
	cr_assert_str_eq(json_string_value(json_object_get(json_object_get(e, "ended_by"),
							   "user")), "root");
	cr_assert_str_eq(json_string_value(json_object_get(e, "end_reason")), "done");
	/* the live one */
	e = json_array_get(h, 1);
	cr_assert(json_is_null(json_object_get(e, "ended")));
	cr_assert(json_is_null(json_object_get(e, "end")));
	cr_assert_null(json_object_get(e, "ended_by"));
	cr_assert_null(json_object_get(e, "remaining_s"));
	json_decref(h);
}

Test(ledger, grant_ended_by_policy)
{
	struct jg_grant_rec a = grant(1000, "alice", "db", JG_PERM_CONNECT, T0, T0 + 60 * NS);
	json_t *h, *by;

	insert_grant(&a);
	cr_assert_eq(ledger__grant_end(&L, a.id, "expire", T0 + 60 * NS, JG_BY_POLICY, "policy",
				       NULL), 0);
	h = ledger__history(&L, NULL, NULL, 0);
	by = json_object_get(json_array_get(h, 0), "ended_by");
	cr_assert(json_is_null(json_object_get(by, "uid")));
	cr_assert_str_eq(json_string_value(json_object_get(by, "user")), "policy");
	cr_assert_null(json_object_get(json_array_get(h, 0), "end_reason"));
	json_decref(h);
}

Test(ledger, grants_live_round_trip)
{
	struct jg_grant_rec a = grant(1000, "alice", "db", JG_PERM_CONNECT, T0, T0 + 1800 * NS);
	struct jg_grant_rec b = grant(1001, "bob", "files", JG_PERM_READ | JG_PERM_WRITE,
				      T0 + NS, T0 + 7200 * NS);
	struct grants_seen s;

	/* a: auto-approved from request r-3, two resources */
	a.nallow = 2;
	snprintf(a.allow[1].resource, sizeof(a.allow[1].resource), "tool");
	a.allow[1].perms = JG_PERM_EXEC;
	a.by_uid = JG_BY_POLICY;
	snprintf(a.by_user, sizeof(a.by_user), "policy");
	a.request_id = 3;
	snprintf(a.role, sizeof(a.role), "db-debug");
	a.expires_boot_ns = 123456789012345ULL;
	/* b: an admin's break-glass grant, no request */
	b.break_glass = true;
	b.by_uid = 1002;
	snprintf(b.by_user, sizeof(b.by_user), "carol");
	snprintf(b.reason, sizeof(b.reason), "outage \"quoted\" 'and' ünïcode");
	insert_grant(&a);
	cr_assert_eq(ledger__grant_insert(&L, &b, "boot-b"), 0, "%s", L.err);

	cr_assert_eq(live(&s), 2);
	for (size_t i = 0; i < 2; i++) {
		const struct jg_grant_rec *w = i ? &b : &a, *g = &s.r[i];

		cr_assert_eq(g->id, w->id);
		cr_assert_eq(g->uid, w->uid);
		cr_assert_str_eq(g->user, w->user);
		cr_assert_eq(g->nallow, w->nallow);
		for (size_t k = 0; k < w->nallow; k++) {
			cr_assert_str_eq(g->allow[k].resource, w->allow[k].resource);
			cr_assert_eq(g->allow[k].perms, w->allow[k].perms);
		}
		cr_assert_str_eq(g->reason, w->reason);
		cr_assert_eq(g->break_glass, w->break_glass);
		cr_assert_eq(g->by_uid, w->by_uid);
		cr_assert_str_eq(g->by_user, w->by_user);
		cr_assert_eq(g->request_id, w->request_id);
		cr_assert_str_eq(g->role, w->role);
		cr_assert_eq(g->created_wall_ns, w->created_wall_ns);
		cr_assert_eq(g->expires_wall_ns, w->expires_wall_ns);
		cr_assert_eq(g->expires_boot_ns, w->expires_boot_ns);
	}
	cr_assert_str_eq(s.boot[0], "boot-a");
	cr_assert_str_eq(s.boot[1], "boot-b");

	/* a new expiry for a new boot */
	cr_assert_eq(ledger__grant_set_expiry(&L, a.id, T0 + 3600 * NS, 777, "boot-c"), 0);
	cr_assert_eq(live(&s), 2);
	cr_assert_eq(s.r[0].expires_wall_ns, T0 + 3600 * NS);
	cr_assert_eq(s.r[0].expires_boot_ns, 777);
	cr_assert_str_eq(s.boot[0], "boot-c");
	cr_assert_eq(s.r[1].expires_boot_ns, 5000);
}

static int stop_at_first(const struct jg_grant_rec *r, const char *boot_id, void *ctx)
{
	(void)r;
	(void)boot_id;
	++*(int *)ctx;
	return -EINTR;
}

Test(ledger, grants_live_callback_stops)
{
	struct jg_grant_rec a = grant(1000, "alice", "db", JG_PERM_CONNECT, T0, T0 + 60 * NS);
	int calls = 0;

	insert_grant(&a);
	insert_grant(&a);
	cr_assert_eq(ledger__grants_live(&L, stop_at_first, &calls), -EINTR);
	cr_assert_eq(calls, 1);
}

/* ---- requests ---- */

Test(ledger, request_round_trip_with_decisions)
{
	struct jg_request q = request("db-debug", 1000, "alice", T0), back;

	q.approvals_needed = 2;
	q.mfa = true;
	q.extends = 6;
	cr_assert_eq(insert_request(&q), 1);
	cr_assert_eq(ledger__request_get(&L, 1, &back), 0, "%s", L.err);
	cr_assert_eq(back.id, 1);
	cr_assert_str_eq(back.role, "db-debug");
	cr_assert_eq(back.uid, 1000);
	cr_assert_str_eq(back.user, "alice");
	cr_assert_str_eq(back.reason, "INC-1 slow queries");
	cr_assert_eq(back.duration_s, 1800);
	cr_assert_eq(back.state, JG_REQ_PENDING);
	cr_assert_eq(back.created_ns, T0);
	cr_assert_eq(back.expires_ns, T0 + 3600 * NS);
	cr_assert_eq(back.decided_ns, 0);
	cr_assert_eq(back.approvals_needed, 2);
	cr_assert_eq(back.grant_id, 0);
	cr_assert_eq(back.extends, 6);
	cr_assert_not(back.auto_approved);
	cr_assert(back.mfa);
	cr_assert_eq(back.ndecisions, 0);
	cr_assert_str_eq(back.note, "");

	/* first approval, saved */
	decide(&q, 1001, "bob", true, "ok", T0 + NS);
	save(&q);
	cr_assert_eq(ledger__request_get(&L, 1, &back), 0);
	cr_assert_eq(back.ndecisions, 1);
	/* second approval and the grant, saved with the whole decision list again */
	decide(&q, 1002, "carol", true, "", T0 + 2 * NS);
	q.state = JG_REQ_APPROVED;
	q.decided_ns = T0 + 3 * NS;
	q.grant_id = 9;
	snprintf(q.note, sizeof(q.note), "extended");
	save(&q);
	save(&q);
	reopen();
	cr_assert_eq(ledger__request_get(&L, 1, &back), 0);
	cr_assert_eq(back.state, JG_REQ_APPROVED);
	cr_assert_eq(back.decided_ns, T0 + 3 * NS);
	cr_assert_eq(back.grant_id, 9);
	cr_assert_str_eq(back.note, "extended");
	cr_assert_eq(back.ndecisions, 2);
	cr_assert_eq(back.decisions[0].uid, 1001);
	cr_assert_str_eq(back.decisions[0].user, "bob");
	cr_assert(back.decisions[0].approve);
	cr_assert_str_eq(back.decisions[0].reason, "ok");
	cr_assert_eq(back.decisions[0].time_ns, T0 + NS);
	cr_assert_eq(back.decisions[1].uid, 1002);
	cr_assert_str_eq(back.decisions[1].reason, "");
	cr_assert_eq(back.decisions[1].time_ns, T0 + 2 * NS);

	cr_assert_eq(ledger__request_get(&L, 2, &back), -ENOENT);
}

Test(ledger, request_denied_and_auto_approved)
{
	struct jg_request q = request("db-debug", 1000, "alice", T0), back;
	struct jg_request a = request("db-debug", 1004, "erin", T0);

	insert_request(&q);
	decide(&q, 1002, "carol", false, "freeze", T0 + NS);
	q.state = JG_REQ_DENIED;
	q.decided_ns = T0 + NS;
	save(&q);
	cr_assert_eq(ledger__request_get(&L, q.id, &back), 0);
	cr_assert_eq(back.state, JG_REQ_DENIED);
	cr_assert_not(back.decisions[0].approve);
	cr_assert_str_eq(back.decisions[0].reason, "freeze");

	/* approved by policy when it was made: inserted already approved */
	a.state = JG_REQ_APPROVED;
	a.auto_approved = true;
	a.grant_id = 2;
	a.decided_ns = T0;
	insert_request(&a);
	cr_assert_eq(ledger__request_get(&L, a.id, &back), 0);
	cr_assert_eq(back.state, JG_REQ_APPROVED);
	cr_assert(back.auto_approved);
	cr_assert_eq(back.grant_id, 2);
	cr_assert_eq(back.decided_ns, T0);
}

Test(ledger, requests_newest_first_and_pending_only)
{
	struct jg_request q;
	struct ids_seen s = { 0 };

	for (int i = 0; i < 4; i++) {
		q = request("db-debug", 1000 + i, "u", T0 + i * NS);
		if (i == 1 || i == 2) {
			q.state = i == 1 ? JG_REQ_CANCELLED : JG_REQ_EXPIRED;
			q.decided_ns = T0 + 10 * NS;
		}
		insert_request(&q);
	}
	cr_assert_eq(ledger__requests(&L, false, collect_request, &s), 0);
	cr_assert_eq(s.n, 4);
	cr_assert_eq(s.id[0], 4);
	cr_assert_eq(s.id[1], 3);
	cr_assert_eq(s.id[2], 2);
	cr_assert_eq(s.id[3], 1);
	memset(&s, 0, sizeof(s));
	cr_assert_eq(ledger__requests(&L, true, collect_request, &s), 0);
	cr_assert_eq(s.n, 2);
	cr_assert_eq(s.id[0], 4);
	cr_assert_eq(s.id[1], 1);
}

Test(ledger, pending_of)
{
	struct jg_request a = request("db-debug", 1000, "alice", T0);
	struct jg_request b = request("db-debug", 1000, "alice", T0);
	struct jg_request c = request("other", 1001, "bob", T0);

	b.extends = 4;
	insert_request(&a);
	insert_request(&b);
	insert_request(&c);
	cr_assert_eq(ledger__pending_of(&L, 1000, "db-debug", 0), a.id);
	cr_assert_eq(ledger__pending_of(&L, 1000, "db-debug", 4), b.id);
	cr_assert_eq(ledger__pending_of(&L, 1000, "db-debug", 5), 0);
	cr_assert_eq(ledger__pending_of(&L, 1000, "other", 0), 0);
	cr_assert_eq(ledger__pending_of(&L, 1001, "db-debug", 0), 0);
	cr_assert_eq(ledger__pending_of(&L, 1001, "other", 0), c.id);
	a.state = JG_REQ_APPROVED;
	a.decided_ns = T0;
	save(&a);
	cr_assert_eq(ledger__pending_of(&L, 1000, "db-debug", 0), 0);
	cr_assert_eq(ledger__pending_of(&L, 1000, "db-debug", 4), b.id);
}

/* ---- transactions ---- */

Test(ledger, rollback_leaves_nothing)
{
	struct jg_grant_rec g = grant(1000, "alice", "db", JG_PERM_CONNECT, T0, T0 + 60 * NS);
	struct jg_request q = request("db-debug", 1000, "alice", T0), back;
	struct grants_seen s;
	struct ids_seen ids = { 0 };
	char buf[16];

	cr_assert_eq(ledger__begin(&L), 0, "%s", L.err);
	insert_grant(&g);
	insert_request(&q);
	cr_assert_eq(ledger__meta_set(&L, "k", "v"), 0);
	ledger__rollback(&L);
	cr_assert_eq(live(&s), 0);
	cr_assert_eq(ledger__request_get(&L, q.id, &back), -ENOENT);
	cr_assert_eq(ledger__requests(&L, false, collect_request, &ids), 0);
	cr_assert_eq(ids.n, 0);
	cr_assert_eq(ledger__meta_get(&L, "k", buf, sizeof(buf)), -ENOENT);
	reopen();
	cr_assert_eq(live(&s), 0);

	/* and a committed one stays */
	cr_assert_eq(ledger__begin(&L), 0);
	insert_grant(&g);
	insert_request(&q);
	cr_assert_eq(ledger__commit(&L), 0, "%s", L.err);
	reopen();
	cr_assert_eq(live(&s), 1);
	cr_assert_eq(ledger__request_get(&L, q.id, &back), 0);
}

/* ---- MFA ---- */

Test(ledger, mfa)
{
	uint8_t s1[20], s2[32], out[64], tiny[8];
	size_t len = sizeof(out);
	int64_t step = 99;

	memset(s1, 0x11, sizeof(s1));
	memset(s2, 0x22, sizeof(s2));
	cr_assert_eq(ledger__mfa_get(&L, 1000, out, &len, &step), -ENOENT);
	cr_assert_eq(ledger__mfa_set(&L, 1000, "alice", s1, sizeof(s1), T0, "root"), 0);
	len = sizeof(out);
	cr_assert_eq(ledger__mfa_get(&L, 1000, out, &len, &step), 0);
	cr_assert_eq(len, sizeof(s1));
	cr_assert_arr_eq(out, s1, sizeof(s1));
	cr_assert_eq(step, -1);
	cr_assert_eq(ledger__mfa_used(&L, 1000, 59820000), 0);
	len = sizeof(out);
	cr_assert_eq(ledger__mfa_get(&L, 1000, out, &len, &step), 0);
	cr_assert_eq(step, 59820000);
	/* another user is separate */
	len = sizeof(out);
	cr_assert_eq(ledger__mfa_get(&L, 1001, out, &len, &step), -ENOENT);
	/* a buffer too small */
	len = sizeof(tiny);
	cr_assert_eq(ledger__mfa_get(&L, 1000, tiny, &len, &step), -ENOSPC);
	/* re-enrolment: new secret, never used */
	cr_assert_eq(ledger__mfa_set(&L, 1000, "alice", s2, sizeof(s2), T0 + NS, "root"), 0);
	len = sizeof(out);
	cr_assert_eq(ledger__mfa_get(&L, 1000, out, &len, &step), 0);
	cr_assert_eq(len, sizeof(s2));
	cr_assert_arr_eq(out, s2, sizeof(s2));
	cr_assert_eq(step, -1);
	reopen();
	len = sizeof(out);
	cr_assert_eq(ledger__mfa_get(&L, 1000, out, &len, &step), 0);
	cr_assert_eq(len, sizeof(s2));
}

/* ---- meta and resources ---- */

Test(ledger, meta)
{
	char buf[64] = "untouched";

	cr_assert_eq(ledger__meta_get(&L, "boot_id", buf, sizeof(buf)), -ENOENT);
	cr_assert_str_eq(buf, "untouched");
	cr_assert_eq(ledger__meta_set(&L, "boot_id", "b1"), 0);
	cr_assert_eq(ledger__meta_get(&L, "boot_id", buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "b1");
	cr_assert_eq(ledger__meta_set(&L, "boot_id", "b2"), 0);
	cr_assert_eq(ledger__meta_get(&L, "boot_id", buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "b2");
	cr_assert_eq(ledger__meta_set(&L, "lost_reported", ""), 0);
	cr_assert_eq(ledger__meta_get(&L, "lost_reported", buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "");
}

struct res_seen {
	char name[8][32];
	int id[8];
	size_t n;
};

static int collect_res(const char *name, int id, void *ctx)
{
	struct res_seen *s = ctx;

	cr_assert_lt(s->n, 8);
	snprintf(s->name[s->n], sizeof(s->name[0]), "%s", name);
	s->id[s->n++] = id;
	return 0;
}

Test(ledger, resource_ids)
{
	struct res_seen s = { 0 };

	cr_assert_eq(ledger__resources(&L, collect_res, &s), 0);
	cr_assert_eq(s.n, 0);
	cr_assert_eq(ledger__resource_add(&L, "tool", 2), 0);
	cr_assert_eq(ledger__resource_add(&L, "db", 1), 0);
	cr_assert_eq(ledger__resource_add(&L, "db", 3), -EEXIST);	/* name taken */
	cr_assert_eq(ledger__resource_add(&L, "files", 2), -EEXIST);	/* id taken */
	reopen();
	cr_assert_eq(ledger__resources(&L, collect_res, &s), 0);
	cr_assert_eq(s.n, 2);
	cr_assert_str_eq(s.name[0], "db");	/* by id */
	cr_assert_eq(s.id[0], 1);
	cr_assert_str_eq(s.name[1], "tool");
	cr_assert_eq(s.id[1], 2);
}

/* ---- history ---- */

static const char *ids_of(json_t *h, char *buf, size_t len)
{
	size_t i, off = 0;
	json_t *e;

	buf[0] = '\0';
	json_array_foreach(h, i, e)
		off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? " " : "",
					json_string_value(json_object_get(e, "id")));
	return buf;
}

/* g-1 alice db, from r-1 (bob and carol approved; r-2 extension approved by dave, r-3
 * extension denied), ended by a revoke; g-2 bob files, a direct grant, live; g-3 alice
 * files, expired long ago. */
static void history_fixture(void)
{
	struct jg_grant_rec g1 = grant(1000, "alice", "db", JG_PERM_CONNECT, T0, T0 + 3600 * NS);
	struct jg_grant_rec g2 = grant(1001, "bob", "files", JG_PERM_READ, T0 + 100 * NS,
				       T0 + 7200 * NS);
	struct jg_grant_rec g3 = grant(1000, "alice", "files", JG_PERM_READ, T0 - 86400 * NS,
				       T0 - 82800 * NS);
	struct jg_request r1 = request("db-debug", 1000, "alice", T0 - 60 * NS);
	struct jg_request r2 = request("db-debug", 1000, "alice", T0 + 1000 * NS);
	struct jg_request r3 = request("db-debug", 1000, "alice", T0 + 2000 * NS);

	r1.approvals_needed = 2;
	insert_request(&r1);
	decide(&r1, 1002, "carol", true, "", T0 - 30 * NS);
	decide(&r1, 1001, "bob", true, "ok", T0 - 40 * NS);	/* earlier, listed second */
	r1.state = JG_REQ_APPROVED;
	r1.decided_ns = T0;
	r1.grant_id = 1;
	save(&r1);

	g1.request_id = r1.id;
	snprintf(g1.role, sizeof(g1.role), "db-debug");
	g1.by_uid = 1002;
	snprintf(g1.by_user, sizeof(g1.by_user), "carol");
	cr_assert_eq(insert_grant(&g1), 1);
	cr_assert_eq(insert_grant(&g2), 2);
	cr_assert_eq(insert_grant(&g3), 3);
	cr_assert_eq(ledger__grant_end(&L, 3, "expire", T0 - 82800 * NS, JG_BY_POLICY, "policy",
				       NULL), 0);

	r2.extends = 1;
	insert_request(&r2);
	decide(&r2, 1003, "dave", true, "", T0 + 1100 * NS);
	r2.state = JG_REQ_APPROVED;
	r2.decided_ns = T0 + 1100 * NS;
	r2.grant_id = 1;
	save(&r2);

	r3.extends = 1;
	r3.approvals_needed = 2;
	insert_request(&r3);
	decide(&r3, 1005, "frank", true, "", T0 + 2100 * NS);
	decide(&r3, 1004, "erin", false, "enough", T0 + 2200 * NS);
	r3.state = JG_REQ_DENIED;
	r3.decided_ns = T0 + 2200 * NS;
	save(&r3);

	cr_assert_eq(ledger__grant_end(&L, 1, "revoke", T0 + 3000 * NS, 0, "root", "incident over"),
		     0);
}

Test(ledger, history_filters)
{
	char buf[128];
	json_t *h;

	history_fixture();
	h = ledger__history(&L, NULL, NULL, 0);
	cr_assert_str_eq(ids_of(h, buf, sizeof(buf)), "g-1 g-2 g-3");
	json_decref(h);
	h = ledger__history(&L, "alice", NULL, 0);
	cr_assert_str_eq(ids_of(h, buf, sizeof(buf)), "g-1 g-3");
	json_decref(h);
	h = ledger__history(&L, "nobody", NULL, 0);
	cr_assert_eq(json_array_size(h), 0);
	json_decref(h);
	h = ledger__history(&L, NULL, "files", 0);
	cr_assert_str_eq(ids_of(h, buf, sizeof(buf)), "g-2 g-3");
	json_decref(h);
	h = ledger__history(&L, "alice", "files", 0);
	cr_assert_str_eq(ids_of(h, buf, sizeof(buf)), "g-3");
	json_decref(h);
	/* since: live at any time since then (g-3 ended a day ago) */
	h = ledger__history(&L, NULL, NULL, T0 - 3600 * NS);
	cr_assert_str_eq(ids_of(h, buf, sizeof(buf)), "g-1 g-2");
	json_decref(h);
	/* g-1 ended at T0 + 3000 s, g-2 expires at T0 + 7200 s */
	h = ledger__history(&L, NULL, NULL, T0 + 3000 * NS);
	cr_assert_str_eq(ids_of(h, buf, sizeof(buf)), "g-1 g-2");
	json_decref(h);
	h = ledger__history(&L, NULL, NULL, T0 + 3001 * NS);
	cr_assert_str_eq(ids_of(h, buf, sizeof(buf)), "g-2");
	json_decref(h);
	h = ledger__history(&L, NULL, NULL, T0 + 7201 * NS);
	cr_assert_eq(json_array_size(h), 0);
	json_decref(h);
}

Test(ledger, history_entries)
{
	json_t *h, *e, *a, *x;

	history_fixture();
	h = ledger__history(&L, NULL, NULL, 0);

	/* g-1: approvers of r-1 and of the approved extension r-2, by time; not frank (his
	 * approval was for the denied r-3) nor erin (a denial) */
	e = json_array_get(h, 0);
	cr_assert_str_eq(json_string_value(json_object_get(e, "user")), "alice");
	cr_assert_str_eq(json_string_value(json_object_get(e, "role")), "db-debug");
	cr_assert_str_eq(json_string_value(json_object_get(e, "request_id")), "r-1");
	cr_assert_str_eq(json_string_value(json_object_get(json_object_get(e, "granted_by"),
							   "user")), "carol");
	a = json_object_get(e, "approvers");
	cr_assert_eq(json_array_size(a), 3, "%s", json_dumps(a, 0));
	cr_assert_str_eq(json_string_value(json_object_get(json_array_get(a, 0), "user")), "bob");
	cr_assert_eq(json_integer_value(json_object_get(json_array_get(a, 0), "uid")), 1001);
	cr_assert_str_eq(json_string_value(json_object_get(json_array_get(a, 0), "time")),
			 "2026-11-23T09:59:20.000000000Z");
	cr_assert_str_eq(json_string_value(json_object_get(json_array_get(a, 1), "user")),
			 "carol");
	cr_assert_str_eq(json_string_value(json_object_get(json_array_get(a, 2), "user")), "dave");
	x = json_object_get(e, "extensions");
	cr_assert_eq(json_array_size(x), 2);
	cr_assert_str_eq(json_string_value(json_array_get(x, 0)), "r-2");
	cr_assert_str_eq(json_string_value(json_array_get(x, 1)), "r-3");
	cr_assert_str_eq(json_string_value(json_object_get(e, "end")), "revoke");
	cr_assert_str_eq(json_string_value(json_object_get(e, "end_reason")), "incident over");
	cr_assert_eq(json_integer_value(json_object_get(json_object_get(e, "ended_by"), "uid")),
		     0);
	cr_assert_str_eq(json_string_value(json_object_get(e, "created")),
			 "2026-11-23T10:00:00.000000000Z");
	cr_assert(json_is_array(json_object_get(e, "allow")));
	cr_assert_str_eq(json_string_value(json_object_get(json_array_get(
		json_object_get(e, "allow"), 0), "resource")), "db");

	/* g-2: a direct grant, live */
	e = json_array_get(h, 1);
	cr_assert(json_is_null(json_object_get(e, "role")));
	cr_assert_null(json_object_get(e, "request_id"));
	cr_assert_eq(json_array_size(json_object_get(e, "approvers")), 0);
	cr_assert_eq(json_array_size(json_object_get(e, "extensions")), 0);
	cr_assert(json_is_null(json_object_get(e, "end")));
	cr_assert(json_is_null(json_object_get(e, "ended")));

	/* g-3: expired */
	e = json_array_get(h, 2);
	cr_assert_str_eq(json_string_value(json_object_get(e, "end")), "expire");
	cr_assert(json_is_null(json_object_get(json_object_get(e, "ended_by"), "uid")));
	json_decref(h);
}

/* ---- schema versions ---- */

static void sql(const char *p, const char *text)
{
	sqlite3 *db;

	cr_assert_eq(sqlite3_open(p, &db), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(db, text, NULL, NULL, NULL), SQLITE_OK, "%s",
		     sqlite3_errmsg(db));
	sqlite3_close(db);
}

Test(ledger, newer_schema_refused)
{
	struct jg_ledger l2;

	ledger__close(&L);
	sql(path, "PRAGMA user_version = 4");
	cr_assert_eq(ledger__open(&l2, path, err, sizeof(err)), -EPROTO);
	cr_assert(strstr(err, "schema version 4"), "%s", err);
	cr_assert_null(l2.db);
	sql(path, "PRAGMA user_version = 3");
	open_ledger();
}

/* The version is SQLite's user_version, set with the migration; the meta row follows it
 * (older builds read that one). */
Test(ledger, schema_version_in_user_version)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	char ver[16];

	cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
	cr_assert_eq(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL), SQLITE_OK);
	cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
	cr_assert_eq(sqlite3_column_int(st, 0), 3);
	sqlite3_finalize(st);
	sqlite3_close(db);
	cr_assert_eq(ledger__meta_get(&L, "schema", ver, sizeof(ver)), 0);
	cr_assert_str_eq(ver, "3");
}

/* A version-1 ledger (before the MFA lockout) is migrated on open: its data stays, the
 * tally table and the version appear. */
Test(ledger, migrates_version_1)
{
	struct jg_request q = request("db-debug", 1000, "alice", T0);
	struct jg_mfa_tally t = { .nfail = 2, .fail_ns = { T0, T0 + NS } };
	char ver[16];

	insert_request(&q);
	ledger__close(&L);
	/* as a version-1 build left it: no user_version, the meta row only */
	sql(path, "DROP TABLE mfa_tally; DROP TABLE fleet_acks; DROP INDEX requests_uid; "
		  "PRAGMA user_version = 0; UPDATE meta SET value = '1' WHERE key = 'schema'");
	cr_assert_eq(count_tables(), 6);
	open_ledger();
	cr_assert_eq(count_tables(), 8);
	cr_assert_eq(ledger__meta_get(&L, "schema", ver, sizeof(ver)), 0);
	cr_assert_str_eq(ver, "3");
	cr_assert_eq(ledger__mfa_tally_set(&L, 1000, &t), 0);
	cr_assert_eq(ledger__pending_of(&L, 1000, "db-debug", 0), q.id);
}

/* The lockout tally survives a restart; an empty one leaves no row. */
Test(ledger, mfa_tally)
{
	struct jg_mfa_tally t = { .nfail = 3, .fail_ns = { T0, T0 + NS, T0 + 2 * NS },
				  .locked_ns = T0 + 2 * NS, .locked_until_ns = T0 + 902 * NS };
	struct jg_mfa_tally back;

	cr_assert_eq(ledger__mfa_tally_get(&L, 1000, &back), 0);
	cr_assert_eq(back.nfail, 0);
	cr_assert_eq(back.locked_ns, 0);
	cr_assert_eq(ledger__mfa_tally_set(&L, 1000, &t), 0);
	reopen();
	cr_assert_eq(ledger__mfa_tally_get(&L, 1000, &back), 0);
	cr_assert_eq(back.nfail, 3);
	cr_assert_eq(back.fail_ns[2], T0 + 2 * NS);
	cr_assert_eq(back.locked_ns, T0 + 2 * NS);
	cr_assert_eq(back.locked_until_ns, T0 + 902 * NS);
	totp__tally_reset(&t);
	cr_assert_eq(ledger__mfa_tally_set(&L, 1000, &t), 0);
	cr_assert_eq(ledger__mfa_tally_get(&L, 1000, &back), 0);
	cr_assert_eq(back.nfail, 0);
	cr_assert_eq(back.locked_until_ns, 0);
}

/* What the per-user request limits count. */
Test(ledger, request_counts)
{
	struct jg_request a = request("db-debug", 1000, "alice", T0);
	struct jg_request b = request("two-man", 1000, "alice", T0 + 60 * NS);
	struct jg_request c = request("db-debug", 1001, "bob", T0 + 90 * NS);
	unsigned pending, recent;
	int64_t oldest;

	insert_request(&a);
	insert_request(&b);
	insert_request(&c);
	b.state = JG_REQ_CANCELLED;
	save(&b);
	cr_assert_eq(ledger__request_counts(&L, 1000, T0, &pending, &recent, &oldest), 0);
	cr_assert_eq(pending, 1);
	cr_assert_eq(recent, 2);
	cr_assert_eq(oldest, T0);
	cr_assert_eq(ledger__request_counts(&L, 1000, T0 + 30 * NS, &pending, &recent, &oldest),
		     0);
	cr_assert_eq(recent, 1);
	cr_assert_eq(oldest, T0 + 60 * NS);
	cr_assert_eq(ledger__request_counts(&L, 1002, 0, &pending, &recent, &oldest), 0);
	cr_assert_eq(pending + recent, 0);
	cr_assert_eq(oldest, 0);
}

/* A database with a meta table of another shape: the open fails with SQLite's complaint
 * (-EIO, "no such column: value"), not with a version read from nowhere. */
Test(ledger, foreign_meta_table_refused)
{
	struct jg_ledger l2;
	char p[192];
	int ret;

	snprintf(p, sizeof(p), "%s/other.db", dir);
	sql(p, "CREATE TABLE meta (k TEXT PRIMARY KEY, v TEXT)");
	ret = ledger__open(&l2, p, err, sizeof(err));
	if (!ret)
		ledger__close(&l2);
	unlink(p);
	strcat(p, "-wal");
	unlink(p);
	strcpy(p + strlen(p) - 4, "-shm");
	unlink(p);
	cr_assert_eq(ret, -EIO, "%d %s", ret, err);
	cr_assert(strstr(err, "no such column"), "%s", err);
}

static int outbox_collect(uint64_t id, const char *event, void *ctx)
{
	json_t *arr = ctx;

	json_array_append_new(arr, json_pack("{s:I, s:s}", "id", (json_int_t)id, "event", event));
	return 0;
}

/* Events written in a transaction survive a restart until deleted; a rollback takes them. */
Test(ledger, outbox)
{
	uint64_t a, b, c;
	json_t *arr = json_array();

	cr_assert_eq(ledger__begin(&L), 0);
	cr_assert_eq(ledger__outbox_add(&L, "{\"type\":\"request.create\"}", &a), 0);
	cr_assert_eq(ledger__outbox_add(&L, "{\"type\":\"grant.create\"}", &b), 0);
	cr_assert_eq(ledger__commit(&L), 0);
	cr_assert_lt(a, b);
	cr_assert_eq(ledger__begin(&L), 0);
	cr_assert_eq(ledger__outbox_add(&L, "{\"type\":\"rolled.back\"}", &c), 0);
	ledger__rollback(&L);
	ledger__close(&L);
	open_ledger();		/* a restart */
	cr_assert_eq(ledger__outbox(&L, outbox_collect, arr), 0);
	cr_assert_eq(json_array_size(arr), 2);
	cr_assert_str_eq(json_string_value(json_object_get(json_array_get(arr, 0), "event")),
			 "{\"type\":\"request.create\"}");
	cr_assert_eq(ledger__outbox_del(&L, a), 0);
	json_array_clear(arr);
	cr_assert_eq(ledger__outbox(&L, outbox_collect, arr), 0);
	cr_assert_eq(json_array_size(arr), 1);
	cr_assert_eq(json_integer_value(json_object_get(json_array_get(arr, 0), "id")), (json_int_t)b);
	json_decref(arr);
}

/* Fleet acknowledgements wait in the ledger in order, survive a reopen, and leave once
 * deleted; a NULL reason comes back empty. */
Test(ledger, fleet_acks)
{
	struct jg_fleet_ack a;

	cr_assert_eq(ledger__fleet_ack_first(&L, &a), -ENOENT);
	cr_assert_eq(ledger__fleet_ack_count(&L), 0);
	cr_assert_eq(ledger__fleet_ack_add(&L, "fr-0000000000000001", "active", NULL, 1796460320),
		     0);
	cr_assert_eq(ledger__fleet_ack_add(&L, "fr-0000000000000002", "rejected",
					   "labels: not this host", 0), 0);
	reopen();
	cr_assert_eq(ledger__fleet_ack_count(&L), 2);
	cr_assert_eq(ledger__fleet_ack_first(&L, &a), 0);
	cr_assert_str_eq(a.request_id, "fr-0000000000000001");
	cr_assert_str_eq(a.state, "active");
	cr_assert_str_eq(a.reason, "");
	cr_assert_eq(a.kernel_expiry, 1796460320);
	cr_assert_eq(ledger__fleet_ack_del(&L, a.id), 0);
	cr_assert_eq(ledger__fleet_ack_first(&L, &a), 0);
	cr_assert_str_eq(a.request_id, "fr-0000000000000002");
	cr_assert_str_eq(a.reason, "labels: not this host");
	cr_assert_eq(a.kernel_expiry, 0);
	cr_assert_eq(ledger__fleet_ack_del(&L, a.id), 0);
	cr_assert_eq(ledger__fleet_ack_first(&L, &a), -ENOENT);
}
