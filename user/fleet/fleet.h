/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* What one host decides about a fleet request, on its own: the request's and every
 * decision's signature, checked against this host's policy, signer list, name, labels and
 * clock (docs/fleet.md, "What a host verifies"). Pure: the replay memory, group membership
 * and time come from the caller, so every refusal is unit-tested.
 *
 * user/fleet/ owns fleet mode's trust: SSH signatures (sshsig.c), the signer list
 * (signers.c), the signed forms (signed.c), this verification (verify.c) and the store's
 * client (store.c, store_people.c: libpq). It uses workflow/ (who matches a role's
 * subjects, text rules), policy/ and lib/; the daemon and the CLI use it. Verification
 * never touches the kernel or the store. */
#ifndef JG_FLEET_H
#define JG_FLEET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "fleet/signed.h"
#include "fleet/signers.h"
#include "policy/policy.h"

/* How far ahead of this host's clock a signed time may be. */
#define JG_FLEET_SKEW_S 300
/* Decisions looked at per request (approvals are at most 10; the rest is noise). */
#define JG_FLEET_MAX_DECISIONS 64
/* Refused decisions a verdict describes one by one. */
#define JG_FLEET_MAX_REJECTED 16

/* Why a request or a decision is refused: the fleet.reject record's "reason". */
enum jg_fleet_reason {
	JG_FR_NONE = 0,
	JG_FR_MALFORMED,		/* not the form, or not a signature */
	JG_FR_NOT_CANONICAL,		/* valid JSON, but not the canonical bytes */
	JG_FR_BAD_SIGNATURE,		/* does not verify, or another namespace */
	JG_FR_UNKNOWN_KEY,		/* key not in this host's signer list */
	JG_FR_WRONG_SIGNER,		/* listed, but not for this person, namespace or time */
	JG_FR_FLAGS,			/* FIDO2 touch or PIN missing */
	JG_FR_UNKNOWN_ROLE,		/* no such role in this host's policy */
	JG_FR_NOT_REQUESTER,
	JG_FR_OTHER_HOST,		/* this host is not in the request's list */
	JG_FR_LABELS,			/* this host's own labels do not match the selector */
	JG_FR_TOO_LONG,			/* duration over the role's max_duration */
	JG_FR_TOO_OLD,			/* past the role's request_ttl */
	JG_FR_FUTURE,			/* signed time ahead of this host's clock */
	JG_FR_BAD_TIME,			/* a decision made before its request */
	JG_FR_REPLAYED,			/* activated here before, or its id reused */
	JG_FR_WRONG_REQUEST,		/* a decision for another request */
	JG_FR_NOT_APPROVER,
	JG_FR_SELF_APPROVAL,		/* the requester approving their own request */
};

const char *fleet__reason_name(enum jg_fleet_reason r);

/* This host, as it sees itself. */
struct jg_fleet_host {
	const char *name;
	const char *labels;		/* its own labels, "env=prod,role=db" ("" for none) */
	const struct jg_policy *policy;
	const struct jg_signers *signers;
	/* group:NAME subjects (uid from uid_of, or (uint32_t)-1); may be NULL */
	bool (*in_group)(uint32_t uid, const char *group, void *ctx);
	/* uid of a person, for uid:N subjects and groups; NULL or -ENOENT: none */
	int (*uid_of)(const char *user, uint32_t *uid, void *ctx);
	/* replay memory: has this host activated request id before? If so, *hash is the
	 * request hash it activated. NULL: nothing remembered (tests of other rules only). */
	bool (*seen)(const char *id, uint8_t hash[32], void *ctx);
	void *ctx;
	int64_t now;			/* unix seconds */
};

/* One signed form as the store carries it: canonical bytes and the armored signature. */
struct jg_fleet_signed {
	const char *text;
	size_t len;
	const char *sig;
	size_t siglen;
};

enum jg_fleet_outcome {
	JG_FLEET_GRANT = 1,		/* start the grant now, ending at not_after */
	JG_FLEET_PENDING,		/* valid, not enough approvals yet (or outside schedule) */
	JG_FLEET_DENIED,		/* a valid denial */
	JG_FLEET_REVOKED,		/* a valid revoke */
	JG_FLEET_ENDED,			/* approved, but its time is over: nothing to start */
};

struct jg_fleet_rejected {
	size_t index;			/* into the decisions given */
	enum jg_fleet_reason reason;
	char by[JG_NAME_LEN];		/* as the decision claims, "" when unreadable */
	char error[256];
};

struct jg_fleet_verdict {
	enum jg_fleet_outcome outcome;
	enum jg_fleet_reason reason;	/* the request's refusal (JG_FR_NONE when accepted) */
	struct jg_fleet_request req;	/* parsed (free with fleet__verdict_free) */
	uint8_t hash[32];
	const struct jg_role *role;
	unsigned approvals, needed;
	int64_t approved_at;		/* time of the last needed approval */
	int64_t not_after;		/* GRANT: when the grant ends (unix seconds) */
	char by[JG_NAME_LEN];		/* DENIED, REVOKED: who */
	char note[256];			/* PENDING: why (schedule, approvals) */
	struct jg_fleet_rejected rejected[JG_FLEET_MAX_REJECTED];
	size_t nrejected;		/* described; more may have been refused */
	size_t nrefused;		/* every refused decision */
};

/* Decide about a request and its decisions (at most JG_FLEET_MAX_DECISIONS are read).
 * Returns 0 with v->outcome when the request itself holds (refused decisions beside it are
 * listed in v->rejected: each is a fleet.reject of its own), or -EPERM / -EINVAL with
 * v->reason and one sentence in err when the request is refused as a whole. */
int fleet__verify_request(const struct jg_fleet_host *h, const struct jg_fleet_signed *req,
			  const struct jg_fleet_signed *dec, size_t ndec,
			  struct jg_fleet_verdict *v, char *err, size_t errlen);
void fleet__verdict_free(struct jg_fleet_verdict *v);

/* A revoke of an accepted request r (hash: its canonical bytes' SHA-256): signed, for r,
 * by r's requester or an approver of its role in this host's policy. Returns 0 (by set) or
 * -EPERM / -EINVAL with *reason and one sentence. */
int fleet__verify_revoke(const struct jg_fleet_host *h, const struct jg_fleet_request *r,
			 const uint8_t hash[32], const struct jg_fleet_signed *d, char *by,
			 size_t bylen, enum jg_fleet_reason *reason, char *err, size_t errlen);

#endif
