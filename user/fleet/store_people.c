// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The fleet store for people (the CLI): who am I, which hosts a selector names, filing
 * requests and decisions, reading a request back and its per-host state (store.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <libpq-fe.h>
#include "fleet/signed.h"
#include "fleet/store.h"

static int pq_error(struct jg_store *s, PGresult *r, const char *what, char *err,
		    size_t errlen)
{
	const char *msg = PQresultErrorMessage(r);
	size_t n;

	snprintf(s->err, sizeof(s->err), "%s: %s", what, msg && *msg ? msg : "no reason given");
	n = strcspn(s->err, "\n");
	s->err[n] = 0;
	snprintf(err, errlen, "%s", s->err);
	PQclear(r);
	return -EIO;
}

static int need_conn(struct jg_store *s, char *err, size_t errlen)
{
	if (store__connected(s))
		return 0;
	snprintf(err, errlen, "not connected to the fleet store");
	return -ENOTCONN;
}

int store__whoami(struct jg_store *s, char *user, size_t len, char *err, size_t errlen)
{
	PGresult *r;

	if (need_conn(s, err, errlen))
		return -ENOTCONN;
	r = PQexec(s->conn, "SELECT session_user");
	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1)
		return pq_error(s, r, "cannot ask the store who you are", err, errlen);
	snprintf(user, len, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	return 0;
}

/* selector "k=v,..." as a jsonb containment object; host=NAME into *name. */
static int selector_json(const char *selector, char **json, char *name, size_t namelen)
{
	json_t *o = json_object();
	char item[256];

	*name = 0;
	for (const char *p = selector; *p; ) {
		size_t n = strcspn(p, ",");
		char *eq;

		snprintf(item, sizeof(item), "%.*s", (int)n, p);
		eq = strchr(item, '=');
		if (eq) {
			*eq = 0;
			if (!strcmp(item, "host"))
				snprintf(name, namelen, "%s", eq + 1);
			else
				json_object_set_new(o, item, json_string(eq + 1));
		}
		p += n + (p[n] == ',');
	}
	*json = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return *json ? 0 : -ENOMEM;
}

int store__resolve(struct jg_store *s, const char *selector, char ***hosts, size_t *n,
		   char *err, size_t errlen)
{
	char name[JG_FLEET_HOST_LEN], *json = NULL;
	const char *vals[2];
	PGresult *r;
	int rows;

	*hosts = NULL;
	*n = 0;
	if (need_conn(s, err, errlen))
		return -ENOTCONN;
	if (fleet__labels_check(selector, "the host selector", err, errlen))
		return -EINVAL;
	if (selector_json(selector, &json, name, sizeof(name)))
		return -ENOMEM;
	vals[0] = json;
	vals[1] = *name ? name : NULL;
	r = PQexecParams(s->conn, "SELECT name FROM jitgate.hosts WHERE labels @> $1::jsonb AND"
			 " ($2::text IS NULL OR name = $2) ORDER BY name COLLATE \"C\"", 2, NULL,
			 vals, NULL, NULL, 0);
	free(json);
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		return pq_error(s, r, "cannot read the store's hosts", err, errlen);
	rows = PQntuples(r);
	if (!rows) {
		PQclear(r);
		snprintf(err, errlen, "no host in the fleet store matches \"%s\"", selector);
		return -ENOENT;
	}
	*hosts = calloc((size_t)rows, sizeof(char *));
	for (int i = 0; *hosts && i < rows; i++) {
		(*hosts)[i] = strdup(PQgetvalue(r, i, 0));
		if ((*hosts)[i])
			(*n)++;
	}
	PQclear(r);
	if (*n != (size_t)rows) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

/* {a,b,c} for a text[] parameter (host names are [A-Za-z0-9._-]: nothing to quote). */
static char *pg_array(char *const *v, size_t n)
{
	size_t len = 3;
	char *out, *p;

	for (size_t i = 0; i < n; i++)
		len += strlen(v[i]) + 1;
	out = malloc(len);
	if (!out)
		return NULL;
	p = out;
	*p++ = '{';
	for (size_t i = 0; i < n; i++)
		p += sprintf(p, "%s%s", i ? "," : "", v[i]);
	*p++ = '}';
	*p = 0;
	return out;
}

int store__insert_request(struct jg_store *s, const char *id, const char *hash,
			  const char *requester, const char *role, char *const *hosts,
			  size_t nhosts, const char *canon, const char *sig, char *err,
			  size_t errlen)
{
	char *arr;
	PGresult *r;

	if (need_conn(s, err, errlen))
		return -ENOTCONN;
	arr = pg_array(hosts, nhosts);
	if (!arr)
		return -ENOMEM;
	r = PQexecParams(s->conn, "INSERT INTO jitgate.requests (id, hash, requester, role, hosts,"
			 " canon, signature) VALUES ($1, $2, $3, $4, $5::text[], $6, $7)", 7, NULL,
			 (const char *[]){ id, hash, requester, role, arr, canon, sig }, NULL, NULL,
			 0);
	free(arr);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		return pq_error(s, r, "the store refused the request", err, errlen);
	PQclear(r);
	return 0;
}

int store__insert_decision(struct jg_store *s, const char *request_id, const char *kind,
			   const char *by, const char *canon, const char *sig, char *err,
			   size_t errlen)
{
	PGresult *r;

	if (need_conn(s, err, errlen))
		return -ENOTCONN;
	r = PQexecParams(s->conn, "INSERT INTO jitgate.decisions (request_id, kind, by, canon,"
			 " signature) VALUES ($1, $2, $3, $4, $5)", 5, NULL,
			 (const char *[]){ request_id, kind, by, canon, sig }, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		return pq_error(s, r, "the store refused the decision", err, errlen);
	PQclear(r);
	return 0;
}

int store__get_request(struct jg_store *s, const char *id, struct jg_store_form *f,
		       char *err, size_t errlen)
{
	PGresult *r;

	memset(f, 0, sizeof(*f));
	if (need_conn(s, err, errlen))
		return -ENOTCONN;
	r = PQexecParams(s->conn, "SELECT canon, signature, rev FROM jitgate.requests WHERE "
			 "id = $1", 1, NULL, (const char *[]){ id }, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		return pq_error(s, r, "cannot read the request", err, errlen);
	if (PQntuples(r) != 1) {
		PQclear(r);
		snprintf(err, errlen, "the fleet store has no request %s", id);
		return -ENOENT;
	}
	f->canonlen = (size_t)PQgetlength(r, 0, 0);
	f->siglen = (size_t)PQgetlength(r, 0, 1);
	f->canon = strndup(PQgetvalue(r, 0, 0), f->canonlen);
	f->sig = strndup(PQgetvalue(r, 0, 1), f->siglen);
	f->rev = strtoll(PQgetvalue(r, 0, 2), NULL, 10);
	PQclear(r);
	if (!f->canon || !f->sig) {
		store__form_free(f);
		return -ENOMEM;
	}
	return 0;
}

int store__activations(struct jg_store *s, const char *id,
		       void (*fn)(const char *host, const char *state, const char *reason,
				  const char *expiry, void *ctx),
		       void *ctx, char *err, size_t errlen)
{
	PGresult *r;

	if (need_conn(s, err, errlen))
		return -ENOTCONN;
	r = PQexecParams(s->conn, "SELECT host, state, coalesce(reason, ''), coalesce(to_char("
			 "kernel_expiry AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), '')"
			 " FROM jitgate.activations WHERE request_id = $1 ORDER BY host COLLATE "
			 "\"C\"", 1, NULL, (const char *[]){ id }, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		return pq_error(s, r, "cannot read the activations", err, errlen);
	for (int i = 0; i < PQntuples(r); i++)
		fn(PQgetvalue(r, i, 0), PQgetvalue(r, i, 1), PQgetvalue(r, i, 2),
		   PQgetvalue(r, i, 3), ctx);
	PQclear(r);
	return 0;
}

/* One request of the history: the signed fields from its canonical bytes, the decisions
 * and activation rows as the store has them. NULL when the bytes do not parse (skipped:
 * counted by the caller). */
static json_t *history_item(PGresult *r, int row)
{
	struct jg_fleet_request q;
	json_t *o, *hosts, *dec, *act;
	char e[256];

	if (fleet__request_parse(PQgetvalue(r, row, 1), (size_t)PQgetlength(r, row, 1), &q, e,
				 sizeof(e)))
		return NULL;
	dec = json_loads(PQgetvalue(r, row, 2), 0, NULL);
	act = json_loads(PQgetvalue(r, row, 3), 0, NULL);
	hosts = json_array();
	for (size_t i = 0; i < q.nhosts; i++)
		json_array_append_new(hosts, json_string(q.hosts[i]));
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:o, s:o, s:o}", "id", q.id,
		      "requester", q.requester, "role", q.role, "reason", q.reason, "selector",
		      q.selector, "created", (json_int_t)q.created, "duration",
		      (json_int_t)q.duration, "hosts", hosts, "decisions",
		      dec ? dec : json_array(), "activations", act ? act : json_array());
	fleet__request_free(&q);
	return o;
}

/* The break-glass grants the hosts' audit summaries carry: "break_glass" of out, each
 * {"host", "reported", "seq", "time", "grant_id", "user", "by", "reason", "expires",
 * "duration_s"}, oldest report first. The filters are store__history's (the user: for whom
 * or by whom; since: reported since). */
static int history_break_glass(struct jg_store *s, const char *const *vals, json_t *out,
			       char *err, size_t errlen)
{
	json_t *list = json_array();
	PGresult *r;

	json_object_set_new(out, "break_glass", list);
	r = PQexecParams(s->conn,
		"SELECT jsonb_build_object('host', s.host, 'reported',"
		"  extract(epoch FROM s.at)::bigint) || e"
		" FROM jitgate.audit_summary s,"
		"  jsonb_array_elements(CASE jsonb_typeof(s.summary->'break_glass') WHEN 'array'"
		"  THEN s.summary->'break_glass' ELSE '[]' END) e"
		" WHERE jsonb_typeof(e) = 'object' AND ($1::text IS NULL OR s.host = $1)"
		" AND ($2::text IS NULL OR e->>'user' = $2 OR e->>'by' = $2)"
		" AND ($3::bigint IS NULL OR s.at >= to_timestamp($3::bigint))"
		" ORDER BY s.at, s.id, e->>'seq'", 3, NULL, vals, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		return pq_error(s, r, "cannot read the hosts' audit summaries", err, errlen);
	for (int i = 0; i < PQntuples(r); i++) {
		json_t *o = json_loads(PQgetvalue(r, i, 0), 0, NULL);

		if (json_is_object(o))
			json_array_append_new(list, o);
		else
			json_decref(o);
	}
	PQclear(r);
	return 0;
}

int store__history(struct jg_store *s, const char *host, const char *user, int64_t since,
		   json_t **out, char *err, size_t errlen)
{
	char sb[24];
	const char *vals[] = { host, user, since ? sb : NULL };
	json_t *list;
	PGresult *r;
	long bad = 0;

	if (need_conn(s, err, errlen))
		return -ENOTCONN;
	snprintf(sb, sizeof(sb), "%lld", (long long)since);
	r = PQexecParams(s->conn,
		"SELECT r.id, r.canon,"
		" coalesce((SELECT json_agg(json_build_object('kind', d.kind, 'by', d.by, 'at',"
		"  extract(epoch FROM d.stored)::bigint) ORDER BY d.id) FROM jitgate.decisions d"
		"  WHERE d.request_id = r.id), '[]'),"
		" coalesce((SELECT json_agg(json_build_object('host', a.host, 'state', a.state,"
		"  'reason', a.reason, 'kernel_expiry', extract(epoch FROM a.kernel_expiry)::bigint,"
		"  'at', extract(epoch FROM a.at)::bigint) ORDER BY a.host COLLATE \"C\")"
		"  FROM jitgate.activations a WHERE a.request_id = r.id"
		"  AND ($1::text IS NULL OR a.host = $1)), '[]')"
		" FROM jitgate.requests r"
		" WHERE ($1::text IS NULL OR $1 = ANY (r.hosts))"
		" AND ($2::text IS NULL OR r.requester = $2)"
		" AND ($3::bigint IS NULL OR r.stored >= to_timestamp($3::bigint))"
		" ORDER BY r.stored, r.id", 3, NULL, vals, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		return pq_error(s, r, "cannot read the fleet history", err, errlen);
	list = json_array();
	for (int i = 0; i < PQntuples(r); i++) {
		json_t *o = history_item(r, i);

		if (o)
			json_array_append_new(list, o);
		else
			bad++;
	}
	PQclear(r);
	*out = json_pack("{s:o, s:I}", "requests", list, "unreadable", (json_int_t)bad);
	if (history_break_glass(s, vals, *out, err, errlen)) {
		json_decref(*out);
		*out = NULL;
		return -EIO;
	}
	return 0;
}
