/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The access-request state machine: who may ask for a role, who may decide, how many
 * approvals it takes, and how long the resulting grant may live. Pure: identities arrive
 * resolved (group membership through a callback) and time is a parameter, so every rule is
 * unit-tested. The daemon stores requests in the ledger and turns approvals into grants.
 *
 * user/workflow/ owns the people's side of access: this state machine, the ledger (ledger.c,
 * SQLite), the live grant table (grants.c), TOTP and its lockout (totp.c) and notification
 * hooks (notify.c). It uses policy/ and lib/; it never touches the kernel (gate/ is beside
 * it, and the daemon joins the two). */
#ifndef JG_WORKFLOW_H
#define JG_WORKFLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "workflow/grants.h"
#include "policy/policy.h"

enum jg_req_state {
	JG_REQ_PENDING,
	JG_REQ_APPROVED,		/* a grant was created or extended (grant_id) */
	JG_REQ_DENIED,
	JG_REQ_CANCELLED,
	JG_REQ_EXPIRED,			/* undecided within the role's request_ttl */
	JG_REQ_FAILED,			/* approved, but the kernel refused the grant */
};

#define JG_REQ_MAX_DECISIONS 16		/* approvals are at most 10, plus one deny */

struct jg_decision {
	uint32_t uid;
	char user[JG_NAME_LEN];
	bool approve;
	char reason[JG_REASON_LEN];
	int64_t time_ns;
};

struct jg_request {
	uint64_t id;
	char role[JG_NAME_LEN];
	uint32_t uid;
	char user[JG_NAME_LEN];
	char reason[JG_REASON_LEN];
	uint64_t duration_s;		/* asked for, clamped to max_duration */
	enum jg_req_state state;
	int64_t created_ns, expires_ns;	/* wall clock; expires = created + request_ttl */
	int64_t decided_ns;		/* 0 while pending */
	unsigned approvals_needed;
	struct jg_decision decisions[JG_REQ_MAX_DECISIONS];
	size_t ndecisions;
	uint64_t grant_id;		/* the grant created or extended, 0 = none */
	uint64_t extends;		/* the grant an extension is for, 0 = a new grant */
	bool auto_approved;
	bool mfa;			/* an MFA code was checked when it was made */
	char note[128];			/* why it was cancelled or failed */
};

/* Who is acting. in_group answers group:NAME subjects (the daemon uses the user database). */
struct jg_who {
	uint32_t uid;
	const char *user;
	bool (*in_group)(uint32_t uid, const char *group, void *ctx);
	void *ctx;
};

bool wf__matches(const struct jg_subject *s, size_t n, const struct jg_who *who);

/* A new request for role at wall time now_ns. want_s = 0 asks for the role's default
 * duration; longer than max_duration is clamped (*clamped set). Checks: who is a requester,
 * the reason (required unless the role says otherwise; at most JG_REASON_LEN - 1 bytes), the
 * role's schedule (-EAGAIN naming when it opens next) and that someone can decide (approvers
 * or an auto_approve rule matching who). MFA is the caller's. Returns 0 or -errno with one
 * sentence in err; q is filled only on success (id 0, state pending). */
int wf__new(struct jg_request *q, const struct jg_role *role, const struct jg_who *who,
	    const char *reason, uint64_t want_s, int64_t now_ns, bool *clamped,
	    char *err, size_t errlen);

/* May policy approve this request without a person (role's auto_approve: who and when)? */
bool wf__auto_approves(const struct jg_role *role, const struct jg_who *who, int64_t now_ns);

/* May who approve or deny q now? (pending, not expired, an approver, not the requester, has
 * not decided it yet.) */
bool wf__can_decide(const struct jg_request *q, const struct jg_role *role,
		    const struct jg_who *who, int64_t now_ns);

/* Record an approval. Returns 1 when it was the last one needed (the caller activates the
 * grant and then calls wf__set_approved), 0 when more are needed, or -errno: -EPERM (not an
 * approver; the requester), -EALREADY (decided; already approved by who), -ETIMEDOUT
 * (expired: the caller marks it with wf__expire). */
int wf__approve(struct jg_request *q, const struct jg_role *role, const struct jg_who *who,
		const char *reason, int64_t now_ns, char *err, size_t errlen);
/* One deny ends the request. Reason required. Same errors as wf__approve. */
int wf__deny(struct jg_request *q, const struct jg_role *role, const struct jg_who *who,
	     const char *reason, int64_t now_ns, char *err, size_t errlen);
/* The requester (or an admin) withdraws a pending request. */
int wf__cancel(struct jg_request *q, const struct jg_who *who, bool admin, const char *note,
	       int64_t now_ns, char *err, size_t errlen);
/* Pending and past its ttl: mark it expired and return true. */
bool wf__expire(struct jg_request *q, int64_t now_ns);

void wf__set_approved(struct jg_request *q, uint64_t grant_id, bool by_policy, int64_t now_ns);
void wf__set_failed(struct jg_request *q, const char *note, int64_t now_ns);

/* Seconds the grant of an approved request gets at activation time now_ns: the request's
 * duration, never beyond the end of the role's current schedule window. -EAGAIN with a
 * sentence when the role is outside its schedule now. */
int wf__grant_seconds(const struct jg_request *q, const struct jg_role *role, int64_t now_ns,
		      uint64_t *secs, char *err, size_t errlen);

/* Distinct approvals so far. */
unsigned wf__approvals(const struct jg_request *q);

const char *wf__state_name(enum jg_req_state s);
int wf__state_from_name(const char *name, enum jg_req_state *s);

/* "r-3" <-> 3. */
int wf__parse_id(const char *text, uint64_t *id);
char *wf__format_id(uint64_t id, char *buf, size_t len);

/* The protocol's REQUEST object (docs/protocol.md). */
json_t *wf__request_json(const struct jg_request *q, bool can_decide);

/* ---- what one user may file (the daemon config's "requests"; docs/design.md) */

#define JG_REQ_MAX_PENDING_DEFAULT 5
#define JG_REQ_RATE_DEFAULT 30			/* requests ... */
#define JG_REQ_RATE_WINDOW_DEFAULT 3600		/* ... per this many seconds */
#define JG_REQ_REASON_MAX_DEFAULT (JG_REASON_LEN - 1)

struct jg_req_limits {
	unsigned max_pending;		/* pending requests (and extensions) one user may have */
	unsigned rate;			/* requests one user may file per rate_window; 0: no limit */
	int64_t rate_window_ns;
	size_t reason_max;		/* bytes, at most JG_REASON_LEN - 1 */
};

/* A reason (or other free text a person gives): at most max bytes, and no control character
 * but tab (C0, DEL, and the C1 range U+0080-U+009F). what names the field ("the reason").
 * Returns 0 or -EINVAL with one sentence naming the first bad byte's offset. */
int wf__check_text(const char *text, size_t max, const char *what, char *err, size_t errlen);

/* May a user with `pending` pending requests, who filed `recent` requests within the rate
 * window (the oldest of them at oldest_ns), file one more now? 0, or -EDQUOT (pending cap)
 * or -EAGAIN (rate, naming when the next one is possible) with one sentence. */
int wf__limits_check(const struct jg_req_limits *l, const char *user, unsigned pending,
		     unsigned recent, int64_t oldest_ns, int64_t now_ns, char *err,
		     size_t errlen);

/* ---- refusals, summarised: a user who is refused again and again must not grow the audit
 * log by a record per attempt. The first refusal of a quiet user is audited at once; later
 * ones are only counted, and each minute (JG_REFUSAL_WINDOW) one summary with the count goes
 * out while they keep coming. */

#define JG_REFUSAL_WINDOW_NS (60 * 1000000000LL)
#define JG_REFUSALS_MAX 256		/* users tracked at once; past that each is audited */

struct jg_refusal {
	uint32_t uid;
	char user[JG_NAME_LEN];
	int64_t window_ns;		/* start of the current window */
	int64_t first_ns, last_ns;	/* of the refusals counted in it */
	uint64_t count;			/* refusals counted, not yet audited */
	char code[16];			/* of the last one */
	char error[256];
};

struct jg_refusals {
	struct jg_refusal v[JG_REFUSALS_MAX];
	size_t n;
};

/* A refusal of uid at now. Returns true when the caller audits it now (the first of a quiet
 * user, or the table is full); false when it was counted for the next summary. */
bool wf__refusal_note(struct jg_refusals *r, uint32_t uid, const char *user, const char *code,
		      const char *error, int64_t now_ns);
/* Windows over by now (all: every one, at shutdown): emit(summary) for each with a count,
 * then the window starts again; a window that counted nothing is forgotten. Returns the
 * number of summaries. */
size_t wf__refusals_flush(struct jg_refusals *r, int64_t now_ns, bool all,
			  void (*emit)(const struct jg_refusal *s, void *ctx), void *ctx);

#endif
