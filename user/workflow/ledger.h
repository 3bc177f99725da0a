/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The ledger: a SQLite database (WAL, synchronous=FULL) holding every request, decision and
 * grant with its whole history, MFA enrolments and lockout tallies, the stable resource ids
 * and the daemon's few counters. The daemon writes it before it touches the kernel, so after a crash at any point
 * the ledger is the truth the kernel map is reconciled against. */
#ifndef JG_LEDGER_H
#define JG_LEDGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "workflow/grants.h"
#include "workflow/workflow.h"

struct sqlite3;

struct jg_ledger {
	struct sqlite3 *db;
	char path[256];
	char err[256];			/* the last SQLite error, for messages */
};

/* Opens (creating with mode 0600 when absent) and migrates the schema. Returns 0 or -errno
 * with one sentence in err. */
int ledger__open(struct jg_ledger *l, const char *path, char *err, size_t errlen);
void ledger__close(struct jg_ledger *l);

/* Group several writes into one transaction (all or nothing on a crash). */
int ledger__begin(struct jg_ledger *l);
int ledger__commit(struct jg_ledger *l);
void ledger__rollback(struct jg_ledger *l);

/* Small named values (boot_id, lost_reported). get: -ENOENT when absent. */
int ledger__meta_get(struct jg_ledger *l, const char *key, char *buf, size_t len);
int ledger__meta_set(struct jg_ledger *l, const char *key, const char *value);

/* Resource name -> kernel id, stable for the life of the host. */
int ledger__resources(struct jg_ledger *l, int (*cb)(const char *name, int id, void *ctx),
		      void *ctx);
int ledger__resource_add(struct jg_ledger *l, const char *name, int id);

/* Grants. insert assigns r->id (never reused). boot_id names the boot expires_boot_ns
 * belongs to. */
int ledger__grant_insert(struct jg_ledger *l, struct jg_grant_rec *r, const char *boot_id);
int ledger__grant_set_expiry(struct jg_ledger *l, uint64_t id, int64_t expires_wall_ns,
			     uint64_t expires_boot_ns, const char *boot_id);
/* kind: "expire", "revoke", "drop", "policy", "error". by_uid JG_BY_POLICY = no person. */
int ledger__grant_end(struct jg_ledger *l, uint64_t id, const char *kind, int64_t when_ns,
		      uint32_t by_uid, const char *by_user, const char *reason);
/* Every grant not ended yet, with the boot id its boot expiry belongs to. */
int ledger__grants_live(struct jg_ledger *l,
			int (*cb)(const struct jg_grant_rec *r, const char *boot_id, void *ctx),
			void *ctx);

/* Requests. insert assigns q->id; save writes state, decided, grant, note and the decisions
 * not stored yet. */
int ledger__request_insert(struct jg_ledger *l, struct jg_request *q);
int ledger__request_save(struct jg_ledger *l, const struct jg_request *q);
/* -ENOENT when there is no such request. */
int ledger__request_get(struct jg_ledger *l, uint64_t id, struct jg_request *q);
/* Newest first. pending_only: state pending. */
int ledger__requests(struct jg_ledger *l, bool pending_only,
		     int (*cb)(const struct jg_request *q, void *ctx), void *ctx);
/* The pending request of uid for role (extends = 0) or extending grant `extends`: its id, or
 * 0 when there is none. */
uint64_t ledger__pending_of(struct jg_ledger *l, uint32_t uid, const char *role,
			    uint64_t extends);

/* MFA: -ENOENT when the user has no enrolment. last_step -1 = never used. */
int ledger__mfa_get(struct jg_ledger *l, uint32_t uid, uint8_t *secret, size_t *len,
		    int64_t *last_step);
int ledger__mfa_set(struct jg_ledger *l, uint32_t uid, const char *user, const uint8_t *secret,
		    size_t len, int64_t when_ns, const char *by_user);
int ledger__mfa_used(struct jg_ledger *l, uint32_t uid, int64_t step);
/* The user's failed-code tally and lock (totp.h); a user without one gets an empty tally.
 * set with an empty tally deletes the row. */
struct jg_mfa_tally;
int ledger__mfa_tally_get(struct jg_ledger *l, uint32_t uid, struct jg_mfa_tally *t);
int ledger__mfa_tally_set(struct jg_ledger *l, uint32_t uid, const struct jg_mfa_tally *t);

/* For the per-user request limits: uid's pending requests, and the requests it filed at or
 * after since_ns with the oldest one's time (0 when none). */
int ledger__request_counts(struct jg_ledger *l, uint32_t uid, int64_t since_ns,
			   unsigned *pending, unsigned *recent, int64_t *oldest_ns);

/* The outbox: audit events written in the same transaction as the state they describe and
 * deleted once emitted, so a crash between the commit and the audit line loses nothing (the
 * next start emits what is left). */
int ledger__outbox_add(struct jg_ledger *l, const char *event, uint64_t *id);
int ledger__outbox_del(struct jg_ledger *l, uint64_t id);
int ledger__outbox(struct jg_ledger *l, int (*cb)(uint64_t id, const char *event, void *ctx),
		   void *ctx);

/* Fleet mode's acknowledgements (docs/fleet.md): an activation row for the store, kept
 * until the store has taken it (jitgated adds it, sends what is held in order after each
 * connect and deletes what was sent), so neither a store outage nor a restart of jitgated
 * loses one. reason may be NULL; kernel_expiry 0 for none (seconds since the epoch). */
struct jg_fleet_ack {
	uint64_t id;
	char request_id[32];
	char state[16];
	char reason[640];
	int64_t kernel_expiry;
};
int ledger__fleet_ack_add(struct jg_ledger *l, const char *request_id, const char *state,
			  const char *reason, int64_t kernel_expiry);
int ledger__fleet_ack_del(struct jg_ledger *l, uint64_t id);
/* The oldest held acknowledgement: 0, -ENOENT when none is held. */
int ledger__fleet_ack_first(struct jg_ledger *l, struct jg_fleet_ack *a);
/* How many are held (-errno on failure). */
long ledger__fleet_ack_count(struct jg_ledger *l);

/* History (docs/protocol.md HISTORY objects), oldest first. Filters may be NULL / 0. */
json_t *ledger__history(struct jg_ledger *l, const char *user, const char *resource,
			int64_t since_ns);
/* [HISTORY] of one grant, [] when the ledger has no such grant; NULL when it failed. */
json_t *ledger__history_grant(struct jg_ledger *l, uint64_t grant_id);

#endif
