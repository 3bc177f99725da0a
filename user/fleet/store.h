/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The fleet store's client (libpq): what a host's agent and a person's CLI do with the
 * PostgreSQL store (docs/fleet.md, "The store"). The store is a mailbox: nothing read here
 * is trusted; the caller verifies every form with fleet__verify_request. Queries are
 * synchronous and bounded by the connection string's connect_timeout and a statement
 * timeout; the socket is the caller's to watch for notifications (a hint only: polling with
 * store__fetch alone is correct). */
#ifndef JG_FLEET_STORE_H
#define JG_FLEET_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

/* The schema version this jitgate knows (user/fleet/sql/NNN_*.sql). */
#define JG_STORE_SCHEMA 1
/* Reconnect backoff: 1 s doubling to 60 s, with jitter. */
#define JG_STORE_BACKOFF_MIN_S 1
#define JG_STORE_BACKOFF_MAX_S 60
/* Requests read by one store__fetch (the rest on the next). */
#define JG_STORE_FETCH_MAX 256

struct pg_conn;

struct jg_store {
	struct pg_conn *conn;		/* NULL: not connected */
	char *conninfo;
	unsigned backoff_s;		/* the next wait after a failure */
	int64_t retry_at;		/* monotonic seconds: the next connect may be tried */
	bool listening;
	char err[512];			/* the last failure, one sentence */
};

/* One signed form as the store carries it (malloc'd strings). */
struct jg_store_form {
	char *canon;
	size_t canonlen;
	char *sig;
	size_t siglen;
	char kind[8];			/* decisions: "approve", "deny", "revoke" (a copy:
					 * untrusted) */
	int64_t rev;
};

/* A request that has something newer than the cursor, with every decision of it. */
struct jg_store_item {
	char id[20];			/* "fr-" + 16 hex (the schema checks it) */
	struct jg_store_form req;
	struct jg_store_form *dec;
	size_t ndec;
	bool has_revoke;		/* a decision row says "revoke" (processed first) */
};

struct jg_store_batch {
	struct jg_store_item *v;
	size_t n;
	int64_t max_rev;		/* the cursor after this batch */
	bool more;			/* JG_STORE_FETCH_MAX reached: fetch again */
};

/* Check the connection string (libpq's own parser): 0, or -EINVAL with one sentence.
 * Keeps a copy. Nothing connects yet. */
int store__init(struct jg_store *s, const char *conninfo, char *err, size_t errlen);
void store__free(struct jg_store *s);

/* Connect (blocking, bounded by connect_timeout, default 10 s), check the schema version
 * and, when listen is set, LISTEN jitgate. 0, or a negative errno with s->err and err set
 * (-ECONNREFUSED: cannot connect; -EPROTO: a schema version this jitgate does not know;
 * -EIO: a query failed). On failure the backoff grows and s->retry_at is set. */
int store__connect(struct jg_store *s, bool listen, char *err, size_t errlen);
void store__disconnect(struct jg_store *s);
bool store__connected(const struct jg_store *s);
/* May a reconnect be tried now (the backoff has passed)? */
bool store__retry_due(const struct jg_store *s);
/* The connection's socket (-1 when not connected): readable means notifications or a
 * dropped connection; then call store__drain. */
int store__fd(const struct jg_store *s);
/* Read what the socket holds. Returns the number of notifications (>= 0), or -EPIPE when
 * the connection is gone (then disconnected, the backoff starts). */
int store__drain(struct jg_store *s);

/* The schema version in the store: 0, or -EIO / -ENOENT (no jitgate schema). */
int store__schema_version(struct jg_store *s, int *version, char *err, size_t errlen);

/* The requests naming this host (row-level security decides) with a request or decision
 * revision above cursor, each with all its decisions, oldest first. */
int store__fetch(struct jg_store *s, int64_t cursor, struct jg_store_batch *b, char *err,
		 size_t errlen);
void store__batch_free(struct jg_store_batch *b);

/* This host's answer to request id: state "active", "rejected", "revoked" or "expired";
 * reason may be NULL; kernel_expiry unix seconds (0: none). Written once per (request,
 * host), later answers replace it. */
int store__ack(struct jg_store *s, const char *id, const char *host, const char *state,
	       const char *reason, int64_t kernel_expiry, char *err, size_t errlen);
/* The host's heartbeat: last_seen = now(), versions (a JSON object text). */
int store__heartbeat(struct jg_store *s, const char *host, const char *versions, char *err,
		     size_t errlen);

/* This host's audit summary of its records seq_from..seq_to (summary: a JSON object text,
 * fleet__summary_build). One row each; the store keeps them all. */
int store__audit_summary(struct jg_store *s, const char *host, uint64_t seq_from,
			 uint64_t seq_to, const char *summary, char *err, size_t errlen);

/* ---- people (the CLI) */

/* The store's name for the person connected (session_user). */
int store__whoami(struct jg_store *s, char *user, size_t len, char *err, size_t errlen);
/* The hosts whose store labels hold every key=value of selector (host=NAME: that name),
 * sorted in byte order (malloc'd array of malloc'd names). */
int store__resolve(struct jg_store *s, const char *selector, char ***hosts, size_t *n,
		   char *err, size_t errlen);
int store__insert_request(struct jg_store *s, const char *id, const char *hash,
			  const char *requester, const char *role, char *const *hosts,
			  size_t nhosts, const char *canon, const char *sig, char *err,
			  size_t errlen);
int store__insert_decision(struct jg_store *s, const char *request_id, const char *kind,
			   const char *by, const char *canon, const char *sig, char *err,
			   size_t errlen);
/* A request's canonical bytes and signature (-ENOENT: no such request). */
int store__get_request(struct jg_store *s, const char *id, struct jg_store_form *f,
		       char *err, size_t errlen);
void store__form_free(struct jg_store_form *f);
/* Per-host state of a request: calls fn for each activation row. */
int store__activations(struct jg_store *s, const char *id,
		       void (*fn)(const char *host, const char *state, const char *reason,
				  const char *expiry, void *ctx),
		       void *ctx, char *err, size_t errlen);

/* Fleet history: {"requests": [REQ...], "unreadable": N} (N: rows whose bytes do not
 * parse), oldest first, each REQ {"id", "requester", "role", "reason", "selector",
 * "created", "duration", "hosts": [...], "decisions": [{"kind", "by", "at"}],
 * "activations": [{"host", "state", "reason", "kernel_expiry", "at"}]} (times in unix
 * seconds; the signed fields from the canonical bytes, the rest as the store has it).
 * Filters may be NULL / 0: host (requests naming it, its rows only), requester, stored
 * since (unix seconds). */

int store__history(struct jg_store *s, const char *host, const char *user, int64_t since,
		   json_t **out, char *err, size_t errlen);

#endif
