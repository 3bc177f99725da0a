// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* A host's own decision about a fleet request (fleet/fleet.h): every rule of docs/fleet.md's
 * "What a host verifies", in that order. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fleet/fleet.h"
#include "policy/schedule.h"
#include "workflow/workflow.h"

static const char *const reason_names[] = {
	[JG_FR_NONE] = "none",
	[JG_FR_MALFORMED] = "malformed",
	[JG_FR_NOT_CANONICAL] = "not_canonical",
	[JG_FR_BAD_SIGNATURE] = "bad_signature",
	[JG_FR_UNKNOWN_KEY] = "unknown_key",
	[JG_FR_WRONG_SIGNER] = "wrong_signer",
	[JG_FR_FLAGS] = "flags",
	[JG_FR_UNKNOWN_ROLE] = "unknown_role",
	[JG_FR_NOT_REQUESTER] = "not_requester",
	[JG_FR_OTHER_HOST] = "other_host",
	[JG_FR_LABELS] = "labels",
	[JG_FR_TOO_LONG] = "too_long",
	[JG_FR_TOO_OLD] = "too_old",
	[JG_FR_FUTURE] = "future",
	[JG_FR_BAD_TIME] = "bad_time",
	[JG_FR_REPLAYED] = "replayed",
	[JG_FR_WRONG_REQUEST] = "wrong_request",
	[JG_FR_NOT_APPROVER] = "not_approver",
	[JG_FR_SELF_APPROVAL] = "self_approval",
};

const char *fleet__reason_name(enum jg_fleet_reason r)
{
	return r <= JG_FR_SELF_APPROVAL ? reason_names[r] : "?";
}

/* Set the reason and the sentence; -EINVAL for what cannot be read, -EPERM otherwise. */
static __attribute__((format(printf, 5, 6)))
int why(enum jg_fleet_reason *out, enum jg_fleet_reason r, char *err, size_t errlen,
	const char *fmt, ...)
{
	va_list ap;

	*out = r;
	va_start(ap, fmt);
	fleet__vsay(err, errlen, fmt, ap);
	va_end(ap);
	return r == JG_FR_MALFORMED || r == JG_FR_NOT_CANONICAL ? -EINVAL : -EPERM;
}

/* A signature's errno as a reason (signers__verify's contract). */
static enum jg_fleet_reason sig_reason(int ret)
{
	switch (ret) {
	case -ENOKEY: return JG_FR_UNKNOWN_KEY;
	case -EACCES: return JG_FR_WRONG_SIGNER;
	case -EKEYREJECTED: return JG_FR_BAD_SIGNATURE;
	case -EPERM: return JG_FR_FLAGS;
	default: return JG_FR_MALFORMED;
	}
}

static struct jg_who who_of(const struct jg_fleet_host *h, const char *user)
{
	struct jg_who w = { .uid = (uint32_t)-1, .user = user, .in_group = h->in_group,
			    .ctx = h->ctx };

	if (!h->uid_of || h->uid_of(user, &w.uid, h->ctx))
		w.uid = (uint32_t)-1;
	return w;
}

static bool matches(const struct jg_fleet_host *h, const struct jg_subject *s, size_t n,
		    const char *user)
{
	struct jg_who w = who_of(h, user);

	return wf__matches(s, n, &w);
}

/* ---- one decision */

/* Parse and verify one decision for request r (hash) under role. 0 with *d and the
 * signer's entry in *who, or the refusal's errno with *reason and err. */
static int check_decision(const struct jg_fleet_host *h, const struct jg_fleet_request *r,
			  const uint8_t hash[32], const struct jg_role *role,
			  const struct jg_fleet_signed *s, struct jg_fleet_decision *d,
			  const struct jg_signer **who, enum jg_fleet_reason *reason, char *err,
			  size_t errlen)
{
	char e[256];
	int ret;

	ret = fleet__decision_parse(s->text, s->len, d, e, sizeof(e));
	if (ret)
		return why(reason, ret == -EBADMSG ? JG_FR_NOT_CANONICAL : JG_FR_MALFORMED, err,
			   errlen, "%s", e);
	ret = signers__verify(h->signers, d->by, s->sig, s->siglen, s->text, s->len,
			      JG_SSHSIG_NAMESPACE, d->time, 0, who, e, sizeof(e));
	if (ret)
		return why(reason, sig_reason(ret), err, errlen, "%s's %s: %s", d->by,
			   fleet__kind_name(d->kind), e);
	if (strcmp(d->request_id, r->id) || memcmp(d->request_hash, hash, 32))
		return why(reason, JG_FR_WRONG_REQUEST, err, errlen, "%s's %s is for %s "
			   "request %s, not this one (%s with these contents)", d->by,
			   fleet__kind_name(d->kind), strcmp(d->request_id, r->id) ? "another" :
			   "another version of", d->request_id, r->id);
	if (d->time < r->created)
		return why(reason, JG_FR_BAD_TIME, err, errlen, "%s's %s is dated before the "
			   "request was made", d->by, fleet__kind_name(d->kind));
	if (d->time > h->now + JG_FLEET_SKEW_S)
		return why(reason, JG_FR_FUTURE, err, errlen, "%s's %s is dated %lld s ahead of "
			   "this host's clock", d->by, fleet__kind_name(d->kind),
			   (long long)(d->time - h->now));
	switch (d->kind) {
	case JG_FLEET_APPROVE:
		/* by name, or by a key the requester also signs with under another name */
		if (!strcmp(d->by, r->requester) || signer__has_principal(*who, r->requester))
			return why(reason, JG_FR_SELF_APPROVAL, err, errlen, "%s may not approve "
				   "%s's request: %s", d->by, r->requester,
				   strcmp(d->by, r->requester) ? "the approving key is also the "
				   "requester's" : "it is their own");
		/* fall through */
	case JG_FLEET_DENY:
		if (matches(h, role->approvers, role->napprovers, d->by) ||
		    (d->kind == JG_FLEET_DENY && !strcmp(d->by, r->requester)))
			return 0;
		return why(reason, JG_FR_NOT_APPROVER, err, errlen, "%s is not an approver of "
			   "role \"%s\" on this host", d->by, role->name);
	case JG_FLEET_REVOKE:
		if (!strcmp(d->by, r->requester) ||
		    matches(h, role->approvers, role->napprovers, d->by))
			return 0;
		return why(reason, JG_FR_NOT_APPROVER, err, errlen, "%s may not revoke: neither "
			   "the requester nor an approver of role \"%s\" on this host", d->by,
			   role->name);
	}
	return why(reason, JG_FR_MALFORMED, err, errlen, "the decision's kind is unknown");
}

/* ---- the request */

static int check_request(const struct jg_fleet_host *h, const struct jg_fleet_signed *s,
			 struct jg_fleet_verdict *v, char *err, size_t errlen)
{
	struct jg_fleet_request *r = &v->req;
	const struct jg_role *role;
	uint8_t prev[32];
	char e[256];
	int ret;

	ret = fleet__request_parse(s->text, s->len, r, e, sizeof(e));
	if (ret)
		return why(&v->reason, ret == -EBADMSG ? JG_FR_NOT_CANONICAL : JG_FR_MALFORMED,
			   err, errlen, "%s", e);
	fleet__hash(s->text, s->len, v->hash);
	role = v->role = policy__role(h->policy, r->role);
	if (!role)
		return why(&v->reason, JG_FR_UNKNOWN_ROLE, err, errlen, "request %s asks for role "
			   "\"%s\", which this host's policy does not have", r->id, r->role);
	ret = signers__verify(h->signers, r->requester, s->sig, s->siglen, s->text, s->len,
			      JG_SSHSIG_NAMESPACE, r->created,
			      role->require_mfa ? JG_SK_USER_VERIFIED : 0, NULL, e, sizeof(e));
	if (ret)
		return why(&v->reason, sig_reason(ret), err, errlen, "request %s by %s: %s%s",
			   r->id, r->requester, e, ret == -EPERM && role->require_mfa ?
			   " (the role requires MFA: a FIDO2 key with a PIN)" : "");
	if (!matches(h, role->requesters, role->nrequesters, r->requester))
		return why(&v->reason, JG_FR_NOT_REQUESTER, err, errlen, "request %s: %s may not "
			   "request role \"%s\" on this host", r->id, r->requester, role->name);
	if (!fleet__request_names(r, h->name))
		return why(&v->reason, JG_FR_OTHER_HOST, err, errlen, "request %s does not name "
			   "this host (%s) among its %zu hosts", r->id, h->name, r->nhosts);
	if (!fleet__selector_holds(r->selector, h->labels, h->name))
		return why(&v->reason, JG_FR_LABELS, err, errlen, "request %s selects \"%s\", "
			   "which this host's own labels \"%s\" do not match", r->id, r->selector,
			   h->labels);
	if (r->duration > role->max_duration)
		return why(&v->reason, JG_FR_TOO_LONG, err, errlen, "request %s asks for %llu s, "
			   "longer than role \"%s\" allows here (%llu s)", r->id,
			   (unsigned long long)r->duration, role->name,
			   (unsigned long long)role->max_duration);
	if (r->created > h->now + JG_FLEET_SKEW_S)
		return why(&v->reason, JG_FR_FUTURE, err, errlen, "request %s is dated %lld s "
			   "ahead of this host's clock", r->id, (long long)(r->created - h->now));
	if (h->seen && h->seen(r->id, prev, h->ctx))
		return why(&v->reason, JG_FR_REPLAYED, err, errlen, memcmp(prev, v->hash, 32) ?
			   "request %s was activated here before with other contents: this one "
			   "reuses its id" : "request %s was activated here before: a replay",
			   r->id);
	return 0;
}

static void note_rejected(struct jg_fleet_verdict *v, size_t i, enum jg_fleet_reason reason,
			  const char *by, const char *error)
{
	struct jg_fleet_rejected *x;

	v->nrefused++;
	if (v->nrejected >= JG_FLEET_MAX_REJECTED)
		return;
	x = &v->rejected[v->nrejected++];
	x->index = i;
	x->reason = reason;
	snprintf(x->by, sizeof(x->by), "%s", by);
	snprintf(x->error, sizeof(x->error), "%s", error);
}

static int cmp_time(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* Count the valid approvals (each approver once, the earliest), note denials and revokes.
 * One approver is one name and one key: a key listed for two names, or a name with two
 * keys, counts once. */
static void read_decisions(const struct jg_fleet_host *h, const struct jg_fleet_signed *dec,
			   size_t ndec, struct jg_fleet_verdict *v, int64_t *times)
{
	char approvers[JG_FLEET_MAX_DECISIONS][JG_NAME_LEN];
	const struct jg_signer *keys[JG_FLEET_MAX_DECISIONS];
	size_t n = 0;

	for (size_t i = 0; i < ndec && i < JG_FLEET_MAX_DECISIONS; i++) {
		struct jg_fleet_decision d = { 0 };
		enum jg_fleet_reason reason = JG_FR_NONE;
		const struct jg_signer *who = NULL;
		char e[256];
		size_t k;

		if (check_decision(h, &v->req, v->hash, v->role, &dec[i], &d, &who, &reason, e,
				   sizeof(e))) {
			note_rejected(v, i, reason, d.by, e);
			continue;
		}
		if (d.kind != JG_FLEET_APPROVE) {
			enum jg_fleet_outcome o = d.kind == JG_FLEET_DENY ? JG_FLEET_DENIED :
						  JG_FLEET_REVOKED;

			if (v->outcome != JG_FLEET_REVOKED) {	/* a revoke outranks a denial */
				v->outcome = o;
				snprintf(v->by, sizeof(v->by), "%s", d.by);
			}
			continue;
		}
		for (k = 0; k < n && strcmp(approvers[k], d.by) && keys[k] != who; k++)
			;
		if (k < n) {
			if (d.time < times[k])
				times[k] = d.time;
			continue;
		}
		snprintf(approvers[n], sizeof(approvers[n]), "%s", d.by);
		keys[n] = who;
		times[n++] = d.time;
	}
	v->approvals = (unsigned)n;
}

int fleet__verify_request(const struct jg_fleet_host *h, const struct jg_fleet_signed *req,
			  const struct jg_fleet_signed *dec, size_t ndec,
			  struct jg_fleet_verdict *v, char *err, size_t errlen)
{
	int64_t times[JG_FLEET_MAX_DECISIONS], ttl_end, until = 0;
	const struct jg_role *role;
	int ret;

	memset(v, 0, sizeof(*v));
	ret = check_request(h, req, v, err, errlen);
	if (ret)
		return ret;
	role = v->role;
	read_decisions(h, dec, ndec, v, times);
	if (v->outcome)			/* denied or revoked */
		return 0;
	v->needed = role->approvals ? role->approvals : 1;
	ttl_end = v->req.created + (int64_t)role->request_ttl;
	if (v->approvals < v->needed) {
		if (h->now > ttl_end)
			return why(&v->reason, JG_FR_TOO_OLD, err, errlen, "request %s has %u of %u "
				   "approvals and is past role \"%s\"'s request_ttl", v->req.id,
				   v->approvals, v->needed, role->name);
		v->outcome = JG_FLEET_PENDING;
		snprintf(v->note, sizeof(v->note), "%u of %u approvals", v->approvals, v->needed);
		return 0;
	}
	qsort(times, v->approvals, sizeof(times[0]), cmp_time);
	v->approved_at = times[v->needed - 1];
	if (v->approved_at > ttl_end)
		return why(&v->reason, JG_FR_TOO_OLD, err, errlen, "request %s got its last needed "
			   "approval after role \"%s\"'s request_ttl", v->req.id, role->name);
	v->not_after = v->approved_at + (int64_t)v->req.duration;
	if (v->not_after <= h->now) {
		v->outcome = JG_FLEET_ENDED;
		return 0;
	}
	if (role->has_schedule) {
		if (!schedule__contains(&role->schedule, h->now, &until)) {
			v->outcome = JG_FLEET_PENDING;
			snprintf(v->note, sizeof(v->note), "role \"%s\" is outside its schedule now",
				 role->name);
			return 0;
		}
		if (until && until < v->not_after)
			v->not_after = until;
	}
	v->outcome = JG_FLEET_GRANT;
	return 0;
}

void fleet__verdict_free(struct jg_fleet_verdict *v)
{
	if (v)
		fleet__request_free(&v->req);
}

int fleet__verify_revoke(const struct jg_fleet_host *h, const struct jg_fleet_request *r,
			 const uint8_t hash[32], const struct jg_fleet_signed *d, char *by,
			 size_t bylen, enum jg_fleet_reason *reason, char *err, size_t errlen)
{
	const struct jg_role *role = policy__role(h->policy, r->role);
	struct jg_fleet_decision dec = { 0 };
	const struct jg_signer *who = NULL;
	int ret;

	*reason = JG_FR_NONE;
	if (!role)
		return why(reason, JG_FR_UNKNOWN_ROLE, err, errlen, "request %s's role \"%s\" is "
			   "not in this host's policy any more", r->id, r->role);
	ret = check_decision(h, r, hash, role, d, &dec, &who, reason, err, errlen);
	if (ret)
		return ret;
	if (dec.kind != JG_FLEET_REVOKE)
		return why(reason, JG_FR_MALFORMED, err, errlen, "%s's %s is not a revoke", dec.by,
			   fleet__kind_name(dec.kind));
	snprintf(by, bylen, "%s", dec.by);
	return 0;
}
