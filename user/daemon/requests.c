// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The request workflow as the daemon runs it: who may decide, the audit records of each
 * step, MFA codes and lockout, summarised refusals, activation of approved requests,
 * expiry of pending ones and of extensions whose grant ended. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <bpf/libbpf.h>
#include <openssl/crypto.h>
#include "daemon/daemon.h"

/* ------------------------------------------------------------------ workflow */

void notify_failed(const char *event, const char *cmd, const char *what)
{
	json_t *ev = audit__new("notify.error");

	pr_warn("notification hook %s (on %s) %s", cmd, event, what);
	json_object_set_new(ev, "event", json_string(event));
	json_object_set_new(ev, "command", json_string(cmd));
	json_object_set_new(ev, "error", json_string(what));
	audit__emit(&d.audit, ev, 0);
}

static bool in_group_cb(uint32_t uid, const char *group, void *ctx)
{
	return util__user_in_group(uid, group);
}

struct jg_who who_of(const struct peer *p)
{
	return (struct jg_who){ .uid = p->subject, .user = p->user, .in_group = in_group_cb };
}

static json_t *id_json(uint64_t id, bool request)
{
	char buf[32];

	return json_string(request ? wf__format_id(id, buf, sizeof(buf))
				   : grants__format_id(id, buf, sizeof(buf)));
}

static void audit_request(const char *type, const struct jg_request *q, const struct peer *by,
			  json_t *extra)
{
	json_t *ev = audit__new(type), *deciders = json_array();

	json_object_set_new(ev, "request_id", id_json(q->id, true));
	json_object_set_new(ev, "role", json_string(q->role));
	json_object_set_new(ev, "subject", audit__subject(q->uid, (uint32_t)-1));
	json_object_set_new(ev, "reason", json_string(q->reason));
	json_object_set_new(ev, "state", json_string(wf__state_name(q->state)));
	json_object_set_new(ev, "duration_s", json_integer((json_int_t)q->duration_s));
	json_object_set_new(ev, "approvals", json_integer(wf__approvals(q)));
	json_object_set_new(ev, "approvals_needed", json_integer(q->approvals_needed));
	for (size_t i = 0; i < q->ndecisions; i++) {
		const struct jg_decision *dc = &q->decisions[i];

		json_array_append_new(deciders, json_pack("{s:s, s:I, s:s, s:s}", "user", dc->user,
							  "uid", (json_int_t)dc->uid, "decision",
							  dc->approve ? "approve" : "deny", "reason",
							  dc->reason));
	}
	json_object_set_new(ev, "deciders", deciders);
	if (q->grant_id)
		json_object_set_new(ev, "grant_id", id_json(q->grant_id, false));
	if (q->extends)
		json_object_set_new(ev, "extends", id_json(q->extends, false));
	if (*q->note)
		json_object_set_new(ev, "note", json_string(q->note));
	if (by)
		json_object_set_new(ev, "by", peer_json(by));
	if (extra) {
		json_object_update(ev, extra);
		json_decref(extra);
	}
	ctl_emit(ev);
}

/* A request's new state (or a new request: insert) and its audit event, in one transaction. */
int request_step(struct jg_request *q, bool insert, const char *type,
		 const struct peer *by, json_t *extra)
{
	int ret = tx_begin();

	if (!ret)
		ret = insert ? ledger__request_insert(&d.ledger, q)
			     : ledger__request_save(&d.ledger, q);
	if (!ret) {
		audit_request(type, q, by, extra);
		extra = NULL;
		ret = tx_commit();
	} else {
		tx_abort();
	}
	json_decref(extra);
	if (ret)
		ledger_warn("record a request", ret);
	else
		tx_end(true);
	return ret;
}

json_t *ledger_error(const char *what)
{
	return proto__error("EIO", "cannot %s in the ledger %s: %s", what, d.ledger.path,
			    d.ledger.err);
}

json_t *wf_error(int ret, const char *err)
{
	const char *code;

	switch (ret) {
	case -EPERM: code = "EPERM"; break;
	case -EALREADY: code = "EALREADY"; break;
	case -ETIMEDOUT: code = "ETIMEDOUT"; break;
	case -EAGAIN: code = "EAGAIN"; break;
	case -ENOENT: code = "ENOENT"; break;
	case -EEXIST: code = "EEXIST"; break;
	case -ENOSPC: code = "ENOSPC"; break;
	case -EDQUOT: code = "EDQUOT"; break;
	case -ENOLCK: code = "ENOLCK"; break;
	case -EIO: code = "EIO"; break;
	default: code = "EINVAL"; break;
	}
	return proto__error(code, "%s", err);
}

/* "in 14m" for a lock's remaining time. */
static char *time_left(int64_t until_ns, int64_t now_ns, char *buf, size_t len)
{
	int64_t s = (until_ns - now_ns + 999999999LL) / 1000000000LL;

	return duration__format(s > 0 ? (uint64_t)s : 1, buf, len);
}

/* A failed code: the tally grows (the ledger keeps it across restarts), mfa.fail says how
 * far it is, and the failure that reaches "deny" locks the user's MFA (mfa.lockout). */
static void mfa_failed(const struct peer *p, const char *role, struct jg_mfa_tally *t,
		       char *err, size_t errlen)
{
	const struct jg_mfa_policy *m = &d.cfg.mfa;
	int64_t now = util__realtime_ns();
	bool locks = totp__tally_fail(t, m, now);
	char win[32], lock[32], until[48], left[32];
	json_t *ev = audit__new("mfa.fail");
	size_t n = strlen(err);

	duration__format((uint64_t)(m->fail_interval_ns / 1000000000LL), win, sizeof(win));
	duration__format((uint64_t)(m->unlock_time_ns / 1000000000LL), lock, sizeof(lock));
	json_object_set_new(ev, "subject", audit__subject(p->subject, p->loginuid));
	json_object_set_new(ev, "role", json_string(role));
	json_object_set_new(ev, "by", peer_json(p));
	json_object_set_new(ev, "error", json_string(err));
	json_object_set_new(ev, "failures", json_integer(t->nfail));
	json_object_set_new(ev, "deny", json_integer(m->deny));
	/* the tally first: a crash after it loses at most this audit line, never a failure */
	if (ledger__mfa_tally_set(&d.ledger, p->subject, t))
		ledger_warn("record a failed MFA code", -EIO);	/* the audit line still goes */
	ctl_emit(ev);
	if (locks) {
		ev = audit__new("mfa.lockout");
		json_object_set_new(ev, "subject", audit__subject(p->subject, p->loginuid));
		json_object_set_new(ev, "role", json_string(role));
		json_object_set_new(ev, "by", peer_json(p));
		json_object_set_new(ev, "failures", json_integer(t->nfail));
		json_object_set_new(ev, "fail_interval_s",
				    json_integer(m->fail_interval_ns / 1000000000LL));
		json_object_set_new(ev, "until", json_string(util__rfc3339(t->locked_until_ns, until,
									  sizeof(until))));
		ctl_emit(ev);
	}
	if (locks)
		snprintf(err + n, errlen - n, "; that was failure %u within %s: MFA for %s is locked "
			 "until %s (for %s); an admin can lift it with 'jitgate mfa unlock %s'",
			 t->nfail, win, p->user, util__rfc3339(t->locked_until_ns, until,
								 sizeof(until)),
			 time_left(t->locked_until_ns, now, left, sizeof(left)), p->user);
	else if (m->deny)
		snprintf(err + n, errlen - n, " (failure %u of %u within %s; then MFA is locked "
			 "for %s)", t->nfail, m->deny, win, lock);
}

/* A role's MFA: the requester's TOTP code, once. While the user's MFA is locked nothing is
 * checked (-ENOLCK, not audited here: the caller's refusal record counts it); failures are
 * audited (mfa.fail, mfa.lockout) and *audited set. */
int check_otp(const struct peer *p, const char *role, const char *otp, bool *audited,
	      char *err, size_t errlen)
{
	uint8_t key[JG_TOTP_SECRET_MAX];
	size_t len = sizeof(key);
	struct jg_mfa_tally t;
	int64_t last, step, now = util__realtime_ns();
	char until[48], left[32];
	int ret;

	*audited = false;
	ret = ledger__mfa_get(&d.ledger, p->subject, key, &len, &last);
	if (ret == -ENOENT) {
		snprintf(err, errlen, "role \"%s\" requires MFA and %s has no MFA enrolment; an "
			 "admin runs 'jitgate mfa enroll %s'", role, p->user, p->user);
		return -EPERM;
	}
	if (!ret)
		ret = ledger__mfa_tally_get(&d.ledger, p->subject, &t);
	if (ret) {
		OPENSSL_cleanse(key, sizeof(key));
		snprintf(err, errlen, "cannot read the MFA enrolment: %s", d.ledger.err);
		return -EIO;
	}
	if (totp__tally_locked(&t, now)) {
		OPENSSL_cleanse(key, sizeof(key));
		snprintf(err, errlen, "MFA for %s is locked after %u failed codes until %s (%s from "
			 "now); no code is checked until then, or until an admin runs 'jitgate mfa "
			 "unlock %s'", p->user, t.nfail, util__rfc3339(t.locked_until_ns, until,
								       sizeof(until)),
			 time_left(t.locked_until_ns, now, left, sizeof(left)), p->user);
		return -ENOLCK;
	}
	if (!otp || !*otp) {
		OPENSSL_cleanse(key, sizeof(key));
		snprintf(err, errlen, "role \"%s\" requires an MFA code (--otp CODE)", role);
		return -EINVAL;
	}
	ret = totp__verify(key, len, otp, now / 1000000000LL, last, &step);
	OPENSSL_cleanse(key, sizeof(key));
	if (ret) {
		if (ret == -EALREADY)
			snprintf(err, errlen, "this MFA code was used already; wait for the next one");
		else if (ret == -EACCES)
			snprintf(err, errlen, "wrong MFA code for %s", p->user);
		else
			snprintf(err, errlen, "an MFA code is %d digits", JG_TOTP_DIGITS);
		mfa_failed(p, role, &t, err, errlen);
		*audited = true;
		return ret == -EALREADY ? -EALREADY : t.locked_ns ? -ENOLCK : -EINVAL;
	}
	/* a correct code ends the run of failures */
	ret = tx_begin();
	if (!ret)
		ret = ledger__mfa_used(&d.ledger, p->subject, step);
	if (!ret && (t.nfail || t.locked_ns)) {
		totp__tally_reset(&t);
		ret = ledger__mfa_tally_set(&d.ledger, p->subject, &t);
	}
	if (!ret)
		ret = tx_commit();
	else
		tx_abort();
	if (ret) {
		snprintf(err, errlen, "cannot record the MFA code as used: %s", d.ledger.err);
		return -EIO;
	}
	return 0;
}

/* ------------------------------------------------------------------ refusals */

/* A refusal of a request or extension is audited as request.refused: the first of a quiet
 * user at once, the rest as one summary a minute (wf__refusal_note), so that a user filing
 * junk cannot grow the audit log (or the ledger: nothing refused is stored) without bound. */
void refusal_summary(const struct jg_refusal *s, void *ctx)
{
	json_t *ev = audit__new("request.refused");
	char first[48], last[48];

	(void)ctx;
	json_object_set_new(ev, "subject", audit__subject(s->uid, (uint32_t)-1));
	json_object_set_new(ev, "count", json_integer((json_int_t)s->count));
	json_object_set_new(ev, "summary", json_true());
	json_object_set_new(ev, "first", json_string(util__rfc3339(s->first_ns, first,
								  sizeof(first))));
	json_object_set_new(ev, "last", json_string(util__rfc3339(s->last_ns, last,
								 sizeof(last))));
	json_object_set_new(ev, "code", json_string(s->code));
	json_object_set_new(ev, "error", json_string(s->error));
	ctl_emit(ev);
}

json_t *refused(const struct peer *p, const char *command, const char *what,
		json_t *reply, bool audited)
{
	const char *code = json_string_value(json_object_get(reply, "code"));
	const char *error = json_string_value(json_object_get(reply, "error"));
	json_t *ev;

	if (!json_is_false(json_object_get(reply, "ok")) || audited)
		return reply;
	if (!wf__refusal_note(&d.refusals, p->subject, p->user, code, error,
			      util__realtime_ns()))
		return reply;		/* counted for the next summary */
	ev = audit__new("request.refused");
	json_object_set_new(ev, "subject", audit__subject(p->subject, p->loginuid));
	json_object_set_new(ev, "by", peer_json(p));
	json_object_set_new(ev, "command", json_string(command));
	if (what)
		json_object_set_new(ev, !strcmp(command, "extend") ? "grant_id" : "role",
				    json_string(what));
	json_object_set_new(ev, "count", json_integer(1));
	json_object_set_new(ev, "code", json_string(code ? code : "EIO"));
	json_object_set_new(ev, "error", json_string(error ? error : ""));
	ctl_emit(ev);
	return reply;
}

static json_t *approvers_json(const struct jg_request *q)
{
	json_t *a = json_array();

	for (size_t i = 0; i < q->ndecisions; i++)
		if (q->decisions[i].approve)
			json_array_append_new(a, json_pack("{s:s, s:I}", "user", q->decisions[i].user,
							   "uid", (json_int_t)q->decisions[i].uid));
	return a;
}

/* The decision comes before what it caused in the audit stream. */
static void announce_approval(const struct jg_request *q, const struct peer *p)
{
	audit_request("request.approve", q, p,
		      p ? NULL : json_pack("{s:s}", "decided_by", "policy"));
}

/* The request is approved (by the last approver p, or by policy when p is NULL): create the
 * grant, or extend the one it extends. The request's new state and the grant are written to
 * the ledger in one transaction before the kernel sees them. *grant_out gets GRANT json. */
int activate(struct jg_request *q, const struct jg_role *role, const struct peer *p,
	     json_t **grant_out, char *err, size_t errlen)
{
	int64_t now = util__realtime_ns();
	struct jg_grant_rec r = { 0 };
	uint64_t secs;
	json_t *extra;
	int ret;

	*grant_out = NULL;
	if (q->extends) {
		struct jg_grant_rec *g = grants__find(&d.grants, q->extends);
		struct jg_request cap = *q;
		struct jg_grant_rec upd;
		int64_t old_wall, new_wall;
		uint64_t old_boot, allowed;

		if (!g) {
			snprintf(err, errlen, "grant g-%llu has ended; ask anew with 'jitgate "
				 "request %s'", (unsigned long long)q->extends, q->role);
			return -ENOENT;
		}
		cap.duration_s = role->max_duration;	/* no grant lives longer than that from now */
		ret = wf__grant_seconds(&cap, role, now, &allowed, err, errlen);
		if (ret)
			return ret;
		old_wall = g->expires_wall_ns;
		old_boot = g->expires_boot_ns;
		new_wall = old_wall + (int64_t)q->duration_s * 1000000000LL;
		if (new_wall > now + (int64_t)allowed * 1000000000LL)
			new_wall = now + (int64_t)allowed * 1000000000LL;
		if (new_wall < old_wall)
			new_wall = old_wall;
		upd = *g;
		upd.expires_wall_ns = new_wall;
		upd.expires_boot_ns = old_boot + (uint64_t)(new_wall - old_wall);
		{
			char before[48];

			extra = json_pack("{s:o, s:s, s:I, s:o}", "request_id", id_json(q->id, true),
					  "expires_before", util__rfc3339(old_wall, before,
									  sizeof(before)),
					  "added_s", (json_int_t)((new_wall - old_wall) / 1000000000LL),
					  "approvers", approvers_json(q));
		}
		if (!p)
			json_object_set_new(extra, "decided_by", json_string("policy"));
		ret = tx_begin();
		if (!ret)
			ret = ledger__grant_set_expiry(&d.ledger, g->id, upd.expires_wall_ns,
						       upd.expires_boot_ns, d.boot_id);
		if (!ret) {
			wf__set_approved(q, g->id, p == NULL, now);
			ret = ledger__request_save(&d.ledger, q);
		}
		if (!ret) {
			announce_approval(q, p);
			audit_grant("grant.extend", &upd, extra);
			extra = NULL;
			ret = tx_commit();
		} else {
			tx_abort();
		}
		json_decref(extra);
		if (ret) {
			snprintf(err, errlen, "cannot record the extension in the ledger %s: %s",
				 d.ledger.path, d.ledger.err);
			return -EIO;
		}
		g->expires_wall_ns = upd.expires_wall_ns;
		g->expires_boot_ns = upd.expires_boot_ns;
		sync_pairs(g);
		tx_end(true);
		*grant_out = grants__to_json(g, util__realtime_ns());
		return 0;
	}
	ret = wf__grant_seconds(q, role, now, &secs, err, errlen);
	if (ret)
		return ret;
	if (!p && role->auto_approve.has_schedule) {
		/* what policy approved within a window ends with that window */
		int64_t until;

		if (schedule__contains(&role->auto_approve.schedule, now / 1000000000LL, &until) &&
		    until - now / 1000000000LL < (int64_t)secs)
			secs = (uint64_t)(until - now / 1000000000LL);
	}
	for (size_t i = 0; i < role->nallow && i < JG_GRANT_MAX_ALLOW; i++) {
		snprintf(r.allow[i].resource, sizeof(r.allow[i].resource), "%s",
			 role->allow[i].resource);
		r.allow[i].perms = role->allow[i].perms;
		r.nallow = i + 1;
	}
	r.uid = q->uid;
	snprintf(r.user, sizeof(r.user), "%s", q->user);
	snprintf(r.reason, sizeof(r.reason), "%s", q->reason);
	r.by_uid = p ? p->subject : JG_BY_POLICY;
	snprintf(r.by_user, sizeof(r.by_user), "%s", p ? p->user : "policy");
	r.request_id = q->id;
	snprintf(r.role, sizeof(r.role), "%s", q->role);
	r.created_wall_ns = now;
	r.expires_wall_ns = now + (int64_t)secs * 1000000000LL;
	r.expires_boot_ns = util__boottime_ns() + secs * 1000000000ULL;
	/* the approvers include this one: wf__approve recorded it */
	extra = json_pack("{s:o, s:s, s:I, s:o, s:b}", "request_id", id_json(q->id, true), "role",
			  q->role, "duration_s", (json_int_t)secs, "approvers", approvers_json(q),
			  "auto_approved", p == NULL);
	if (p)
		json_object_set_new(extra, "by", peer_json(p));
	else
		json_object_set_new(extra, "decided_by", json_string("policy"));
	ret = grant_start(&r, q, p, true, extra, err, errlen);
	if (ret)
		return ret;
	*grant_out = grants__to_json(&r, util__realtime_ns());
	return 0;
}

/* Store a new request (from request or extend), audit it, and let policy approve it when an
 * auto_approve rule covers it. */
json_t *submit(const struct peer *p, struct jg_request *q, const struct jg_role *role,
	       bool clamped)
{
	struct jg_who who = who_of(p);
	json_t *grant = NULL, *res;
	char err[1024];
	int ret;

	if (request_step(q, true, "request.create", p,
			 clamped ? json_pack("{s:b}", "clamped", 1) : NULL))
		return ledger_error("record the request");
	if (wf__auto_approves(role, &who, util__realtime_ns())) {
		ret = activate(q, role, NULL, &grant, err, sizeof(err));
		if (ret) {
			/* stays pending for a person to decide */
			pr_info("request r-%llu: auto-approval did not grant: %s",
				(unsigned long long)q->id, err);
		}
	}
	res = json_pack("{s:o}", "request", wf__request_json(q, false));
	if (clamped)
		json_object_set_new(res, "clamped", json_true());
	if (grant)
		json_object_set_new(res, "grant", grant);
	return proto__ok(res);
}

const struct jg_grant_rec *live_grant_of_role(uint32_t uid, const char *role)
{
	for (size_t i = 0; i < d.grants.n; i++)
		if (d.grants.v[i].uid == uid && !strcmp(d.grants.v[i].role, role))
			return &d.grants.v[i];
	return NULL;
}

int want_duration(json_t *args, uint64_t *secs, char *err, size_t errlen)
{
	const char *text;
	char e[256];

	*secs = 0;
	if (proto__arg_string(args, "for", false, &text, e, sizeof(e)) == -ENOENT)
		return 0;
	if (!json_is_string(json_object_get(args, "for"))) {
		snprintf(err, errlen, "%s", e);
		return -EINVAL;
	}
	if (duration__parse(text, secs, e, sizeof(e))) {
		snprintf(err, errlen, "--for: %s", e);
		return -EINVAL;
	}
	return 0;
}

/* Requests undecided past their ttl, and extensions of grants that ended. */
struct due_ctx {
	uint64_t ids[64];
	size_t n;
	int64_t now;
	uint64_t grant;		/* collect extensions of this grant instead */
};

static int collect_due(const struct jg_request *q, void *ctx)
{
	struct due_ctx *c = ctx;

	if (c->n < 64 && (c->grant ? q->extends == c->grant : q->expires_ns <= c->now))
		c->ids[c->n++] = q->id;
	return 0;
}

void expire_requests(void)
{
	static int64_t last;
	struct due_ctx c = { .now = util__realtime_ns() };

	if (c.now - last < 1000000000LL)	/* once a second is precise enough for a ttl */
		return;
	last = c.now;
	ledger__requests(&d.ledger, true, collect_due, &c);
	for (size_t i = 0; i < c.n; i++) {
		struct jg_request q;

		if (ledger__request_get(&d.ledger, c.ids[i], &q) || !wf__expire(&q, c.now))
			continue;
		request_step(&q, false, "request.expire", NULL, NULL);
	}
}

static void cancel_extensions(uint64_t grant_id)
{
	struct due_ctx c = { .now = util__realtime_ns(), .grant = grant_id };

	ledger__requests(&d.ledger, true, collect_due, &c);
	for (size_t i = 0; i < c.n; i++) {
		struct jg_request q;
		char note[128], err[64];

		snprintf(note, sizeof(note), "grant g-%llu ended", (unsigned long long)grant_id);
		if (ledger__request_get(&d.ledger, c.ids[i], &q) ||
		    wf__cancel(&q, NULL, true, note, c.now, err, sizeof(err)))
			continue;
		request_step(&q, false, "request.cancel", NULL, NULL);
	}
}

void request_on_grant(enum grant_phase phase, uint64_t grant_id, const struct jg_request *q,
		      const struct peer *p)
{
	if (phase == GRANT_DECIDED)
		announce_approval(q, p);
	else
		cancel_extensions(grant_id);
}
