// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The fleet store's client over libpq (store.h; docs/fleet.md, "The store"). Every query
 * is parameterised; every text read is handed on as bytes for the caller to verify. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <libpq-fe.h>
#include "fleet/store.h"

#define STATEMENT_TIMEOUT_MS "10000"

static int64_t mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* libpq's messages end with a newline and may span lines: keep the first line. */
static void pq_sentence(char *out, size_t len, const char *what, const char *msg)
{
	size_t n;

	snprintf(out, len, "%s: %s", what, msg && *msg ? msg : "no reason given");
	n = strcspn(out, "\n");
	out[n] = 0;
	while (n && (out[n - 1] == ' ' || out[n - 1] == '.'))
		out[--n] = 0;
}

static void fail(struct jg_store *s, char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void fail(struct jg_store *s, char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->err, sizeof(s->err), fmt, ap);
	va_end(ap);
	if (err && errlen)
		snprintf(err, errlen, "%s", s->err);
}

int store__init(struct jg_store *s, const char *conninfo, char *err, size_t errlen)
{
	PQconninfoOption *opts;
	char *perr = NULL;

	memset(s, 0, sizeof(*s));
	s->backoff_s = JG_STORE_BACKOFF_MIN_S;
	if (!conninfo || !*conninfo) {
		snprintf(err, errlen, "the fleet store's connection string is empty");
		return -EINVAL;
	}
	opts = PQconninfoParse(conninfo, &perr);
	if (!opts) {
		char why[400];

		pq_sentence(why, sizeof(why), "the fleet store's connection string is wrong",
			    perr ? perr : "out of memory");
		snprintf(err, errlen, "%s", why);
		PQfreemem(perr);
		return -EINVAL;
	}
	PQconninfoFree(opts);
	s->conninfo = strdup(conninfo);
	return s->conninfo ? 0 : -ENOMEM;
}

void store__disconnect(struct jg_store *s)
{
	if (s->conn)
		PQfinish(s->conn);
	s->conn = NULL;
	s->listening = false;
}

void store__free(struct jg_store *s)
{
	store__disconnect(s);
	free(s->conninfo);
	s->conninfo = NULL;
}

bool store__connected(const struct jg_store *s)
{
	return s->conn && PQstatus(s->conn) == CONNECTION_OK;
}

bool store__retry_due(const struct jg_store *s)
{
	return mono_s() >= s->retry_at;
}

int store__fd(const struct jg_store *s)
{
	return s->conn ? PQsocket(s->conn) : -1;
}

static void backoff(struct jg_store *s)
{
	unsigned wait = s->backoff_s;

	/* jitter: between half and all of the wait, so a fleet does not return at once */
	wait = wait / 2 + (unsigned)(rand() % (int)(wait / 2 + 1));
	s->retry_at = mono_s() + (wait ? wait : 1);
	s->backoff_s = s->backoff_s * 2 > JG_STORE_BACKOFF_MAX_S ? JG_STORE_BACKOFF_MAX_S :
		       s->backoff_s * 2;
	store__disconnect(s);
}

/* Run a command that returns no rows; 0 or -EIO with the server's sentence. */
static int exec_cmd(struct jg_store *s, const char *sql, int n, const char *const *vals,
		    const char *what, char *err, size_t errlen)
{
	PGresult *r = PQexecParams(s->conn, sql, n, NULL, vals, NULL, NULL, 0);
	int ret = 0;

	if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) {
		char why[480];

		pq_sentence(why, sizeof(why), what, PQresultErrorMessage(r));
		fail(s, err, errlen, "%s", why);
		ret = -EIO;
	}
	PQclear(r);
	return ret;
}

int store__schema_version(struct jg_store *s, int *version, char *err, size_t errlen)
{
	PGresult *r;
	int ret = 0;

	r = PQexec(s->conn, "SELECT to_regclass('jitgate.schema_version') IS NOT NULL");
	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
		pq_sentence(s->err, sizeof(s->err), "cannot read the store's schema version",
			    PQresultErrorMessage(r));
		snprintf(err, errlen, "%s", s->err);
		PQclear(r);
		return -EIO;
	}
	if (strcmp(PQgetvalue(r, 0, 0), "t")) {
		PQclear(r);
		fail(s, err, errlen, "the store has no jitgate schema (apply user/fleet/sql/ "
		     "as its README says)");
		return -ENOENT;
	}
	PQclear(r);
	r = PQexec(s->conn, "SELECT coalesce(max(version), 0) FROM jitgate.schema_version");
	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
		pq_sentence(s->err, sizeof(s->err), "cannot read the store's schema version",
			    PQresultErrorMessage(r));
		snprintf(err, errlen, "%s", s->err);
		ret = -EIO;
	} else {
		*version = atoi(PQgetvalue(r, 0, 0));
	}
	PQclear(r);
	return ret;
}

static int connect_checks(struct jg_store *s, bool listen, char *err, size_t errlen)
{
	const char *timeout[] = { STATEMENT_TIMEOUT_MS };
	int version = 0, ret;

	ret = exec_cmd(s, "SELECT set_config('statement_timeout', $1, false)", 1, timeout,
		       "cannot set the statement timeout", err, errlen);
	if (!ret)
		ret = store__schema_version(s, &version, err, errlen);
	if (ret)
		return ret;
	if (version != JG_STORE_SCHEMA) {
		fail(s, err, errlen, "the store's schema is version %d and this jitgate knows only "
		     "version %d: %s", version, JG_STORE_SCHEMA, version > JG_STORE_SCHEMA ?
		     "upgrade jitgate on this host" : "apply the newer migrations to the store "
		     "(scripts/pg-throwaway.sh migrate, or as jitgate_admin)");
		return -EPROTO;
	}
	if (listen) {
		ret = exec_cmd(s, "LISTEN jitgate", 0, NULL, "cannot listen on the store",
			       err, errlen);
		if (ret)
			return ret;
		s->listening = true;
	}
	return 0;
}

int store__connect(struct jg_store *s, bool listen, char *err, size_t errlen)
{
	int ret;

	store__disconnect(s);
	s->conn = PQconnectdb(s->conninfo);
	if (!s->conn || PQstatus(s->conn) != CONNECTION_OK) {
		char why[480];

		pq_sentence(why, sizeof(why), "cannot connect to the fleet store",
			    s->conn ? PQerrorMessage(s->conn) : "out of memory");
		fail(s, err, errlen, "%s", why);
		backoff(s);
		return -ECONNREFUSED;
	}
	ret = connect_checks(s, listen, err, errlen);
	if (ret) {
		backoff(s);
		return ret;
	}
	if (PQsetnonblocking(s->conn, 0) == 0)
		s->backoff_s = JG_STORE_BACKOFF_MIN_S;
	s->retry_at = 0;
	return 0;
}

int store__drain(struct jg_store *s)
{
	PGnotify *n;
	int count = 0;

	if (!s->conn)
		return -EPIPE;
	if (!PQconsumeInput(s->conn) || PQstatus(s->conn) != CONNECTION_OK) {
		pq_sentence(s->err, sizeof(s->err), "the fleet store's connection was lost",
			    PQerrorMessage(s->conn));
		backoff(s);
		return -EPIPE;
	}
	while ((n = PQnotifies(s->conn))) {
		count++;
		PQfreemem(n);
	}
	return count;
}

/* A failed query on a connection that is gone: start the backoff. */
static int query_failed(struct jg_store *s, PGresult *r, const char *what, char *err,
			size_t errlen)
{
	char why[480];

	pq_sentence(why, sizeof(why), what, PQresultErrorMessage(r));
	fail(s, err, errlen, "%s", why);
	PQclear(r);
	if (PQstatus(s->conn) != CONNECTION_OK) {
		backoff(s);
		return -EPIPE;
	}
	return -EIO;
}

static char *dup_len(const char *v, size_t n)
{
	char *p = malloc(n + 1);

	if (p) {
		memcpy(p, v, n);
		p[n] = 0;
	}
	return p;
}

static int form_from(PGresult *r, int row, int col, struct jg_store_form *f)
{
	f->canonlen = (size_t)PQgetlength(r, row, col);
	f->siglen = (size_t)PQgetlength(r, row, col + 1);
	f->canon = dup_len(PQgetvalue(r, row, col), f->canonlen);
	f->sig = dup_len(PQgetvalue(r, row, col + 1), f->siglen);
	f->rev = strtoll(PQgetvalue(r, row, col + 2), NULL, 10);
	return f->canon && f->sig ? 0 : -ENOMEM;
}

void store__form_free(struct jg_store_form *f)
{
	free(f->canon);
	free(f->sig);
	memset(f, 0, sizeof(*f));
}

void store__batch_free(struct jg_store_batch *b)
{
	for (size_t i = 0; i < b->n; i++) {
		store__form_free(&b->v[i].req);
		for (size_t k = 0; k < b->v[i].ndec; k++)
			store__form_free(&b->v[i].dec[k]);
		free(b->v[i].dec);
	}
	free(b->v);
	memset(b, 0, sizeof(*b));
}

/* One row per (request, decision); requests with no decision have NULL decision columns. */
static const char FETCH_SQL[] =
	"WITH touched AS ("
	"  SELECT id FROM jitgate.requests WHERE rev > $1"
	"  UNION SELECT request_id FROM jitgate.decisions WHERE rev > $1),"
	" picked AS ("
	"  SELECT r.id, r.rev FROM jitgate.requests r JOIN touched t ON t.id = r.id"
	"  ORDER BY r.rev LIMIT $2)"
	" SELECT r.id, r.canon, r.signature, r.rev, d.canon, d.signature, d.rev, d.kind"
	" FROM picked p JOIN jitgate.requests r ON r.id = p.id"
	" LEFT JOIN jitgate.decisions d ON d.request_id = r.id"
	" ORDER BY r.rev, d.id";

static int add_row(struct jg_store_batch *b, PGresult *r, int row)
{
	struct jg_store_item *it = b->n ? &b->v[b->n - 1] : NULL;
	const char *id = PQgetvalue(r, row, 0);
	struct jg_store_form *f;
	int ret;

	if (!it || strcmp(it->id, id)) {
		it = &b->v[b->n++];
		memset(it, 0, sizeof(*it));
		snprintf(it->id, sizeof(it->id), "%s", id);
		ret = form_from(r, row, 1, &it->req);
		if (ret)
			return ret;
		if (it->req.rev > b->max_rev)
			b->max_rev = it->req.rev;
	}
	if (PQgetisnull(r, row, 4))
		return 0;
	f = realloc(it->dec, (it->ndec + 1) * sizeof(*f));
	if (!f)
		return -ENOMEM;
	it->dec = f;
	f = &it->dec[it->ndec++];
	memset(f, 0, sizeof(*f));
	ret = form_from(r, row, 4, f);
	snprintf(f->kind, sizeof(f->kind), "%s", PQgetvalue(r, row, 7));
	if (!strcmp(f->kind, "revoke"))
		it->has_revoke = true;
	if (f->rev > b->max_rev)
		b->max_rev = f->rev;
	return ret;
}

int store__fetch(struct jg_store *s, int64_t cursor, struct jg_store_batch *b, char *err,
		 size_t errlen)
{
	char cur[24], lim[16];
	const char *vals[] = { cur, lim };
	PGresult *r;
	int rows, ret = 0;

	memset(b, 0, sizeof(*b));
	b->max_rev = cursor;
	if (!store__connected(s)) {
		fail(s, err, errlen, "not connected to the fleet store");
		return -ENOTCONN;
	}
	snprintf(cur, sizeof(cur), "%lld", (long long)cursor);
	snprintf(lim, sizeof(lim), "%d", JG_STORE_FETCH_MAX);
	r = PQexecParams(s->conn, FETCH_SQL, 2, NULL, vals, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		return query_failed(s, r, "cannot read the fleet store", err, errlen);
	rows = PQntuples(r);
	b->v = calloc(rows ? (size_t)rows : 1, sizeof(*b->v));
	for (int i = 0; b->v && i < rows && !ret; i++)
		ret = add_row(b, r, i);
	PQclear(r);
	if (!b->v || ret) {
		store__batch_free(b);
		fail(s, err, errlen, "out of memory reading the fleet store");
		return -ENOMEM;
	}
	b->more = b->n >= JG_STORE_FETCH_MAX;
	return 0;
}

int store__ack(struct jg_store *s, const char *id, const char *host, const char *state,
	       const char *reason, int64_t kernel_expiry, char *err, size_t errlen)
{
	char exp[24];
	const char *vals[] = { id, host, state, reason, kernel_expiry ? exp : NULL };
	PGresult *r;

	if (!store__connected(s)) {
		fail(s, err, errlen, "not connected to the fleet store");
		return -ENOTCONN;
	}
	snprintf(exp, sizeof(exp), "%lld", (long long)kernel_expiry);
	r = PQexecParams(s->conn,
		"INSERT INTO jitgate.activations (request_id, host, state, reason, kernel_expiry)"
		" VALUES ($1, $2, $3, $4, to_timestamp($5::bigint))"
		" ON CONFLICT (request_id, host) DO UPDATE SET state = excluded.state,"
		" reason = excluded.reason, kernel_expiry = excluded.kernel_expiry, at = now()",
		5, NULL, vals, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		return query_failed(s, r, "cannot write the activation row", err, errlen);
	PQclear(r);
	return 0;
}

int store__audit_summary(struct jg_store *s, const char *host, uint64_t seq_from,
			 uint64_t seq_to, const char *summary, char *err, size_t errlen)
{
	char from[24], to[24];
	const char *vals[] = { host, from, to, summary };
	PGresult *r;

	if (!store__connected(s)) {
		fail(s, err, errlen, "not connected to the fleet store");
		return -ENOTCONN;
	}
	snprintf(from, sizeof(from), "%llu", (unsigned long long)seq_from);
	snprintf(to, sizeof(to), "%llu", (unsigned long long)seq_to);
	r = PQexecParams(s->conn, "INSERT INTO jitgate.audit_summary (host, seq_from, seq_to,"
			 " summary) VALUES ($1, $2::bigint, $3::bigint, $4::jsonb)", 4, NULL, vals,
			 NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		return query_failed(s, r, "cannot write the audit summary", err, errlen);
	PQclear(r);
	return 0;
}

int store__heartbeat(struct jg_store *s, const char *host, const char *versions, char *err,
		     size_t errlen)
{
	const char *vals[] = { host, versions };
	PGresult *r;

	if (!store__connected(s)) {
		fail(s, err, errlen, "not connected to the fleet store");
		return -ENOTCONN;
	}
	r = PQexecParams(s->conn, "UPDATE jitgate.hosts SET last_seen = now(), versions = "
			 "$2::jsonb WHERE name = $1", 2, NULL, vals, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		return query_failed(s, r, "cannot write the heartbeat", err, errlen);
	if (strcmp(PQcmdTuples(r), "1")) {
		PQclear(r);
		fail(s, err, errlen, "the fleet store has no host \"%s\" for this connection "
		     "(enrol it, and check its certificate's CN)", host);
		return -ENOENT;
	}
	PQclear(r);
	return 0;
}
