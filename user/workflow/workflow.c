// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/duration.h"
#include "policy/schedule.h"
#include "lib/id.h"
#include "lib/util.h"
#include "workflow/workflow.h"

#define NS 1000000000LL

bool wf__matches(const struct jg_subject *s, size_t n, const struct jg_who *who)
{
	for (size_t i = 0; i < n; i++) {
		switch (s[i].kind) {
		case JG_SUBJ_USER:
			if (who->user && !strcmp(s[i].name, who->user))
				return true;
			break;
		case JG_SUBJ_UID:
			if (s[i].id == who->uid)
				return true;
			break;
		case JG_SUBJ_GROUP:
			if (who->in_group && who->in_group(who->uid, s[i].name, who->ctx))
				return true;
			break;
		}
	}
	return false;
}

static bool in_schedule(const struct jg_schedule *s, int64_t now_ns, int64_t *until)
{
	return schedule__contains(s, now_ns / NS, until);
}

/* "role X is available only Mon-Fri 08:00-18:00 Europe/Berlin; it is Sat ... there; next
 * opening ..." */
static void outside_schedule(const struct jg_role *role, int64_t now_ns, char *err,
			     size_t errlen)
{
	char desc[256], local[64], next[64];
	int64_t start = schedule__next_start(&role->schedule, now_ns / NS);

	schedule__describe(&role->schedule, desc, sizeof(desc));
	schedule__local_time(&role->schedule, now_ns / NS, local, sizeof(local));
	if (start)
		schedule__local_time(&role->schedule, start, next, sizeof(next));
	snprintf(err, errlen, "role \"%s\" is available only %s; it is %s there%s%s", role->name,
		 desc, local, start ? ", next opening " : " and it does not open again",
		 start ? next : "");
}

bool wf__auto_approves(const struct jg_role *role, const struct jg_who *who, int64_t now_ns)
{
	const struct jg_auto_approve *a = &role->auto_approve;

	if (!a->present || !wf__matches(a->subjects, a->nsubjects, who))
		return false;
	return !a->has_schedule || in_schedule(&a->schedule, now_ns, NULL);
}

int wf__new(struct jg_request *q, const struct jg_role *role, const struct jg_who *who,
	    const char *reason, uint64_t want_s, int64_t now_ns, bool *clamped,
	    char *err, size_t errlen)
{
	struct jg_request r = { 0 };

	*clamped = false;
	if (!wf__matches(role->requesters, role->nrequesters, who)) {
		snprintf(err, errlen, "%s (uid %u) is not a requester of role \"%s\"", who->user,
			 who->uid, role->name);
		return -EPERM;
	}
	if (!reason)
		reason = "";
	if (role->require_reason && !*reason) {
		snprintf(err, errlen, "role \"%s\" requires a reason (--reason TEXT)", role->name);
		return -EINVAL;
	}
	if (wf__check_text(reason, sizeof(r.reason) - 1, "the reason", err, errlen))
		return -EINVAL;
	if (role->has_schedule && !in_schedule(&role->schedule, now_ns, NULL)) {
		outside_schedule(role, now_ns, err, errlen);
		return -EAGAIN;
	}
	if (!role->napprovers && !wf__auto_approves(role, who, now_ns)) {
		snprintf(err, errlen, "role \"%s\" has no approvers and its auto_approve rule does "
			 "not cover %s now, so nobody could decide this request", role->name,
			 who->user);
		return -EPERM;
	}
	if (!want_s)
		want_s = role->default_duration;
	if (want_s > role->max_duration) {
		want_s = role->max_duration;
		*clamped = true;
	}
	snprintf(r.role, sizeof(r.role), "%s", role->name);
	r.uid = who->uid;
	snprintf(r.user, sizeof(r.user), "%s", who->user);
	snprintf(r.reason, sizeof(r.reason), "%s", reason);
	r.duration_s = want_s;
	r.state = JG_REQ_PENDING;
	r.created_ns = now_ns;
	r.expires_ns = now_ns + (int64_t)role->request_ttl * NS;
	r.approvals_needed = role->approvals ? role->approvals : 1;
	*q = r;
	return 0;
}

static const struct jg_decision *decision_of(const struct jg_request *q, uint32_t uid)
{
	for (size_t i = 0; i < q->ndecisions; i++)
		if (q->decisions[i].uid == uid)
			return &q->decisions[i];
	return NULL;
}

unsigned wf__approvals(const struct jg_request *q)
{
	unsigned n = 0;

	for (size_t i = 0; i < q->ndecisions; i++)
		n += q->decisions[i].approve;
	return n;
}

static int decide_check(const struct jg_request *q, const struct jg_role *role,
			const struct jg_who *who, int64_t now_ns, char *err, size_t errlen)
{
	char id[32];

	wf__format_id(q->id, id, sizeof(id));
	if (q->state != JG_REQ_PENDING) {
		snprintf(err, errlen, "request %s is %s already", id, wf__state_name(q->state));
		return -EALREADY;
	}
	if (now_ns >= q->expires_ns) {
		snprintf(err, errlen, "request %s expired undecided", id);
		return -ETIMEDOUT;
	}
	if (who->uid == q->uid) {
		snprintf(err, errlen, "%s cannot decide their own request %s", who->user, id);
		return -EPERM;
	}
	if (!wf__matches(role->approvers, role->napprovers, who)) {
		snprintf(err, errlen, "%s (uid %u) is not an approver of role \"%s\"", who->user,
			 who->uid, role->name);
		return -EPERM;
	}
	if (decision_of(q, who->uid)) {
		snprintf(err, errlen, "%s has approved request %s already; it needs %u distinct "
			 "approvers", who->user, id, q->approvals_needed);
		return -EALREADY;
	}
	if (q->ndecisions >= JG_REQ_MAX_DECISIONS) {
		snprintf(err, errlen, "request %s has too many decisions", id);
		return -EALREADY;
	}
	return 0;
}

bool wf__can_decide(const struct jg_request *q, const struct jg_role *role,
		    const struct jg_who *who, int64_t now_ns)
{
	char err[8];

	return role && decide_check(q, role, who, now_ns, err, sizeof(err)) == 0;
}

static int record(struct jg_request *q, const struct jg_who *who, bool approve,
		  const char *reason, int64_t now_ns, char *err, size_t errlen)
{
	struct jg_decision *d = &q->decisions[q->ndecisions];

	if (reason && wf__check_text(reason, sizeof(d->reason) - 1, "the reason", err, errlen))
		return -EINVAL;
	memset(d, 0, sizeof(*d));
	d->uid = who->uid;
	snprintf(d->user, sizeof(d->user), "%s", who->user);
	d->approve = approve;
	snprintf(d->reason, sizeof(d->reason), "%s", reason ? reason : "");
	d->time_ns = now_ns;
	q->ndecisions++;
	return 0;
}

int wf__approve(struct jg_request *q, const struct jg_role *role, const struct jg_who *who,
		const char *reason, int64_t now_ns, char *err, size_t errlen)
{
	int ret = decide_check(q, role, who, now_ns, err, errlen);

	if (!ret)
		ret = record(q, who, true, reason, now_ns, err, errlen);
	if (ret)
		return ret;
	return wf__approvals(q) >= q->approvals_needed ? 1 : 0;
}

int wf__deny(struct jg_request *q, const struct jg_role *role, const struct jg_who *who,
	     const char *reason, int64_t now_ns, char *err, size_t errlen)
{
	int ret;

	if (!reason || !*reason) {
		snprintf(err, errlen, "a denial needs a reason (--reason TEXT)");
		return -EINVAL;
	}
	ret = decide_check(q, role, who, now_ns, err, errlen);
	if (!ret)
		ret = record(q, who, false, reason, now_ns, err, errlen);
	if (ret)
		return ret;
	q->state = JG_REQ_DENIED;
	q->decided_ns = now_ns;
	return 0;
}

int wf__cancel(struct jg_request *q, const struct jg_who *who, bool admin, const char *note,
	       int64_t now_ns, char *err, size_t errlen)
{
	char id[32];

	wf__format_id(q->id, id, sizeof(id));
	if (who && !admin && who->uid != q->uid) {
		snprintf(err, errlen, "only %s (who asked) or an admin may cancel request %s",
			 q->user, id);
		return -EPERM;
	}
	if (q->state != JG_REQ_PENDING) {
		snprintf(err, errlen, "request %s is %s already", id, wf__state_name(q->state));
		return -EALREADY;
	}
	q->state = JG_REQ_CANCELLED;
	q->decided_ns = now_ns;
	snprintf(q->note, sizeof(q->note), "%s", note ? note : "");
	return 0;
}

bool wf__expire(struct jg_request *q, int64_t now_ns)
{
	if (q->state != JG_REQ_PENDING || now_ns < q->expires_ns)
		return false;
	q->state = JG_REQ_EXPIRED;
	q->decided_ns = now_ns;
	return true;
}

void wf__set_approved(struct jg_request *q, uint64_t grant_id, bool by_policy, int64_t now_ns)
{
	q->state = JG_REQ_APPROVED;
	q->grant_id = grant_id;
	q->auto_approved = by_policy;
	q->decided_ns = now_ns;
}

void wf__set_failed(struct jg_request *q, const char *note, int64_t now_ns)
{
	q->state = JG_REQ_FAILED;
	q->decided_ns = now_ns;
	snprintf(q->note, sizeof(q->note), "%s", note);
}

int wf__grant_seconds(const struct jg_request *q, const struct jg_role *role, int64_t now_ns,
		      uint64_t *secs, char *err, size_t errlen)
{
	int64_t until;
	uint64_t s = q->duration_s;

	if (role->has_schedule) {
		if (!in_schedule(&role->schedule, now_ns, &until)) {
			outside_schedule(role, now_ns, err, errlen);
			return -EAGAIN;
		}
		/* the window ends at a whole second; a grant of 0 s would be no grant */
		if (until != INT64_MAX && until - now_ns / NS < (int64_t)s)
			s = until > now_ns / NS ? (uint64_t)(until - now_ns / NS) : 1;
	}
	*secs = s;
	return 0;
}

static const char *const state_names[] = {
	[JG_REQ_PENDING] = "pending", [JG_REQ_APPROVED] = "approved",
	[JG_REQ_DENIED] = "denied", [JG_REQ_CANCELLED] = "cancelled",
	[JG_REQ_EXPIRED] = "expired", [JG_REQ_FAILED] = "failed",
};

const char *wf__state_name(enum jg_req_state s)
{
	return (unsigned)s < sizeof(state_names) / sizeof(state_names[0]) ? state_names[s] : "?";
}

int wf__state_from_name(const char *name, enum jg_req_state *s)
{
	for (size_t i = 0; i < sizeof(state_names) / sizeof(state_names[0]); i++) {
		if (!strcmp(name, state_names[i])) {
			*s = (enum jg_req_state)i;
			return 0;
		}
	}
	return -EINVAL;
}

int wf__parse_id(const char *text, uint64_t *id)
{
	return id__parse(text, JG_ID_REQUEST, id);
}

char *wf__format_id(uint64_t id, char *buf, size_t len)
{
	return id__format(JG_ID_REQUEST, id, buf, len);
}

static json_t *time_json(int64_t ns)
{
	char buf[48];

	return json_string(util__rfc3339(ns, buf, sizeof(buf)));
}

json_t *wf__request_json(const struct jg_request *q, bool can_decide)
{
	char id[32];
	json_t *o, *approvals = json_array();

	o = json_pack("{s:s, s:s, s:s, s:I, s:s, s:I, s:s, s:o, s:o, s:i, s:b, s:b, s:b}",
		      "id", wf__format_id(q->id, id, sizeof(id)), "role", q->role, "user", q->user,
		      "uid", (json_int_t)q->uid, "reason", q->reason,
		      "duration_s", (json_int_t)q->duration_s, "state", wf__state_name(q->state),
		      "created", time_json(q->created_ns), "expires", time_json(q->expires_ns),
		      "approvals_needed", (int)q->approvals_needed,
		      "auto_approved", q->auto_approved, "mfa", q->mfa, "can_decide", can_decide);
	for (size_t i = 0; i < q->ndecisions; i++) {
		const struct jg_decision *d = &q->decisions[i];
		json_t *dj = json_pack("{s:s, s:I, s:o}", "user", d->user, "uid",
				       (json_int_t)d->uid, "time", time_json(d->time_ns));

		if (*d->reason)
			json_object_set_new(dj, "reason", json_string(d->reason));
		if (d->approve)
			json_array_append_new(approvals, dj);
		else
			json_object_set_new(o, "denied_by", dj);
	}
	json_object_set_new(o, "approvals", approvals);
	if (q->decided_ns)
		json_object_set_new(o, "decided", time_json(q->decided_ns));
	if (q->grant_id)
		json_object_set_new(o, "grant_id", json_string(grants__format_id(q->grant_id, id,
										 sizeof(id))));
	if (q->extends)
		json_object_set_new(o, "extends", json_string(grants__format_id(q->extends, id,
										sizeof(id))));
	if (*q->note)
		json_object_set_new(o, "note", json_string(q->note));
	return o;
}

/* ------------------------------------------------------------------ limits */

int wf__check_text(const char *text, size_t max, const char *what, char *err, size_t errlen)
{
	const unsigned char *p = (const unsigned char *)text;
	size_t len = text ? strlen(text) : 0;

	if (len > max) {
		snprintf(err, errlen, "%s is %zu bytes, longer than the %zu allowed", what, len,
			 max);
		return -EINVAL;
	}
	/* one line of text for people: a newline, ESC or CSI in it only forges or hides
	 * lines in terminals, logs and SIEMs */
	for (size_t i = 0; i < len; i++) {
		unsigned c = p[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f ||
		    (c == 0xc2 && i + 1 < len && p[i + 1] >= 0x80 && p[i + 1] <= 0x9f)) {
			c = c == 0xc2 ? p[i + 1] : c;	/* C1: the code point is the second byte */
			snprintf(err, errlen, "%s has a control character (U+%04X) at byte %zu; "
				 "only printable text and tabs are allowed", what, c, i + 1);
			return -EINVAL;
		}
	}
	return 0;
}

int wf__limits_check(const struct jg_req_limits *l, const char *user, unsigned pending,
		     unsigned recent, int64_t oldest_ns, int64_t now_ns, char *err,
		     size_t errlen)
{
	if (l->max_pending && pending >= l->max_pending) {
		snprintf(err, errlen, "%s has %u pending requests, the most one user may have; "
			 "cancel one or wait for a decision", user, pending);
		return -EDQUOT;
	}
	if (l->rate && recent >= l->rate) {
		char when[48], win[32];
		int64_t next = oldest_ns + l->rate_window_ns;

		duration__format((uint64_t)(l->rate_window_ns / NS), win, sizeof(win));
		snprintf(err, errlen, "%s filed %u requests within %s, the most allowed; the next "
			 "is possible at %s", user, recent, win,
			 util__rfc3339(next > now_ns ? next : now_ns, when, sizeof(when)));
		return -EAGAIN;
	}
	return 0;
}

/* ------------------------------------------------------------------ refusals */

static struct jg_refusal *refusal_of(struct jg_refusals *r, uint32_t uid)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->v[i].uid == uid)
			return &r->v[i];
	return NULL;
}

bool wf__refusal_note(struct jg_refusals *r, uint32_t uid, const char *user, const char *code,
		      const char *error, int64_t now_ns)
{
	struct jg_refusal *s = refusal_of(r, uid);

	if (!s) {
		if (r->n >= JG_REFUSALS_MAX)
			return true;	/* audited one by one rather than lost */
		s = &r->v[r->n++];
		memset(s, 0, sizeof(*s));
		s->uid = uid;
		snprintf(s->user, sizeof(s->user), "%s", user ? user : "");
		s->window_ns = now_ns;
		return true;		/* the first of a quiet user: audited at once */
	}
	if (!s->count)
		s->first_ns = now_ns;
	s->count++;
	s->last_ns = now_ns;
	snprintf(s->code, sizeof(s->code), "%s", code ? code : "");
	snprintf(s->error, sizeof(s->error), "%s", error ? error : "");
	return false;
}

size_t wf__refusals_flush(struct jg_refusals *r, int64_t now_ns, bool all,
			  void (*emit)(const struct jg_refusal *s, void *ctx), void *ctx)
{
	size_t sent = 0;

	for (size_t i = 0; i < r->n;) {
		struct jg_refusal *s = &r->v[i];

		if (!all && now_ns - s->window_ns < JG_REFUSAL_WINDOW_NS) {
			i++;
			continue;
		}
		if (s->count) {
			emit(s, ctx);
			sent++;
		}
		if (s->count && !all) {
			/* still busy: the next window starts now, its refusals summarised too */
			s->window_ns = now_ns;
			s->count = 0;
			i++;
			continue;
		}
		r->v[i] = r->v[--r->n];		/* quiet for a window: forgotten */
	}
	return sent;
}
