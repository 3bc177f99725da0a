// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Handlers of the request workflow: request, extend, approve, deny, cancel, drop. */
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

/* The arguments request and extend share; key names the role ("role") or grant ("id"). */
struct ask {
	const char *what, *reason, *otp;
	uint64_t want;
};

static int ask_args(json_t *args, const char *key, struct ask *a, char *err, size_t errlen)
{
	memset(a, 0, sizeof(*a));
	if (proto__arg_string(args, key, true, &a->what, err, errlen) ||
	    proto__arg_string(args, "reason", false, &a->reason, err, errlen) == -EINVAL ||
	    proto__arg_string(args, "otp", false, &a->otp, err, errlen) == -EINVAL)
		return -EINVAL;
	if (a->reason && wf__check_text(a->reason, d.cfg.req.reason_max, "the reason", err,
					errlen))
		return -EINVAL;
	return want_duration(args, &a->want, err, errlen);
}

/* A new request (q from wf__new) within the user's limits passes the role's MFA, then goes
 * to the ledger. *audited: the refusal was audited already (mfa.fail). */
static json_t *ask_finish(const struct peer *p, struct jg_request *q, const struct jg_role *role,
			  const struct ask *a, bool clamped, bool *audited)
{
	int64_t now = util__realtime_ns(), oldest;
	unsigned pending, recent;
	char err[1024];
	int ret;

	expire_requests();	/* a request past its ttl is no longer pending */
	if (ledger__request_counts(&d.ledger, p->subject, now - d.cfg.req.rate_window_ns,
				   &pending, &recent, &oldest))
		return ledger_error("count the requests");
	ret = wf__limits_check(&d.cfg.req, p->user, pending, recent, oldest, now, err,
			       sizeof(err));
	if (ret)
		return wf_error(ret, err);
	if (role->require_mfa) {
		ret = check_otp(p, role->name, a->otp, audited, err, sizeof(err));
		if (ret)
			return wf_error(ret, err);
		q->mfa = true;
	}
	return submit(p, q, role, clamped);
}

static json_t *request_new(const struct peer *p, json_t *args, bool *audited)
{
	const struct jg_grant_rec *live;
	const struct jg_role *role;
	struct jg_request q;
	struct jg_who who = who_of(p);
	struct ask a;
	bool clamped;
	char err[1024];
	uint64_t pending;
	int ret;

	if (ask_args(args, "role", &a, err, sizeof(err)))
		return proto__error("EINVAL", "%s", err);
	role = policy__role(d.policy, a.what);
	if (!role)
		return proto__error("ENOENT", "the policy has no role \"%s\"", a.what);
	ret = wf__new(&q, role, &who, a.reason, a.want, util__realtime_ns(), &clamped, err,
		      sizeof(err));
	if (ret)
		return wf_error(ret, err);
	pending = ledger__pending_of(&d.ledger, p->subject, role->name, 0);
	if (pending)
		return proto__error("EEXIST", "%s has a pending request r-%llu for role \"%s\" "
				    "already; cancel it or wait for a decision", p->user,
				    (unsigned long long)pending, role->name);
	live = live_grant_of_role(p->subject, role->name);
	if (live)
		return proto__error("EEXIST", "%s holds grant g-%llu of role \"%s\" already; "
				    "use 'jitgate extend g-%llu' for more time", p->user,
				    (unsigned long long)live->id, role->name,
				    (unsigned long long)live->id);
	return ask_finish(p, &q, role, &a, clamped, audited);
}

json_t *do_request(const struct peer *p, json_t *args)
{
	bool audited = false;
	json_t *reply = request_new(p, args, &audited);

	return refused(p, "request", json_string_value(json_object_get(args, "role")), reply,
		       audited);
}

static json_t *extend_new(const struct peer *p, json_t *args, bool *audited)
{
	const struct jg_grant_rec *g;
	const struct jg_role *role;
	struct jg_request q;
	struct jg_who who = who_of(p);
	uint64_t id, pending;
	struct ask a;
	bool clamped;
	char err[1024];
	int ret;

	if (ask_args(args, "id", &a, err, sizeof(err)))
		return proto__error("EINVAL", "%s", err);
	if (grants__parse_id(a.what, &id))
		return proto__error("EINVAL", "\"%s\" is not a grant id (like g-12)", a.what);
	g = grants__find(&d.grants, id);
	if (!g)
		return proto__error("ENOENT", "no live grant %s", a.what);
	if (g->uid != p->subject)
		return proto__error("EPERM", "grant %s is %s's; only its holder may extend it",
				    a.what, g->user);
	if (!*g->role)
		return proto__error("EINVAL", "grant %s was given directly by an admin, not through "
				    "a role; ask an admin for more time", a.what);
	role = policy__role(d.policy, g->role);
	if (!role)
		return proto__error("ENOENT", "role \"%s\" of grant %s is no longer in the policy",
				    g->role, a.what);
	pending = ledger__pending_of(&d.ledger, p->subject, g->role, id);
	if (pending)
		return proto__error("EEXIST", "extension r-%llu of grant %s is pending already",
				    (unsigned long long)pending, a.what);
	ret = wf__new(&q, role, &who, a.reason, a.want, util__realtime_ns(), &clamped, err,
		      sizeof(err));
	if (ret)
		return wf_error(ret, err);
	q.extends = id;
	return ask_finish(p, &q, role, &a, clamped, audited);
}

json_t *do_extend(const struct peer *p, json_t *args)
{
	bool audited = false;
	json_t *reply = extend_new(p, args, &audited);

	return refused(p, "extend", json_string_value(json_object_get(args, "id")), reply,
		       audited);
}

/* Load a request and expire it first when its ttl passed. */
static int load_request(json_t *args, struct jg_request *q, const struct jg_role **role,
			json_t **reply)
{
	const char *id_text;
	char err[256];
	uint64_t id;
	int ret;

	*reply = NULL;
	if (proto__arg_string(args, "id", true, &id_text, err, sizeof(err))) {
		*reply = proto__error("EINVAL", "%s", err);
		return -EINVAL;
	}
	if (wf__parse_id(id_text, &id)) {
		*reply = proto__error("EINVAL", "\"%s\" is not a request id (like r-3)", id_text);
		return -EINVAL;
	}
	ret = ledger__request_get(&d.ledger, id, q);
	if (ret) {
		*reply = ret == -ENOENT ? proto__error("ENOENT", "no request %s", id_text)
					: ledger_error("read the request");
		return ret;
	}
	if (wf__expire(q, util__realtime_ns())) {
		request_step(q, false, "request.expire", NULL, NULL);
	}
	*role = policy__role(d.policy, q->role);
	return 0;
}

/* approve and deny: the request, its role (still in the policy) and the decider's reason. */
static int load_decision(json_t *args, struct jg_request *q, const struct jg_role **role,
			 const char **reason, json_t **reply)
{
	char err[256];

	if (load_request(args, q, role, reply))
		return -EINVAL;
	if (!*role) {
		*reply = proto__error("ENOENT", "role \"%s\" is no longer in the policy", q->role);
		return -ENOENT;
	}
	if (proto__arg_string(args, "reason", false, reason, err, sizeof(err)) == -EINVAL) {
		*reply = proto__error("EINVAL", "%s", err);
		return -EINVAL;
	}
	return 0;
}

json_t *do_approve(const struct peer *p, json_t *args)
{
	const struct jg_role *role;
	struct jg_request q;
	struct jg_who who = who_of(p);
	const char *reason = NULL;
	json_t *reply, *grant = NULL, *res;
	char err[1024];
	int ret;

	if (load_decision(args, &q, &role, &reason, &reply))
		return reply;
	ret = wf__approve(&q, role, &who, reason, util__realtime_ns(), err, sizeof(err));
	if (ret < 0)
		return wf_error(ret, err);
	if (ret == 0) {
		if (request_step(&q, false, "request.approve", p, NULL))
			return ledger_error("record the approval");
	} else {
		ret = activate(&q, role, p, &grant, err, sizeof(err));
		if (ret)
			return wf_error(ret, err);	/* pending still, unless the kernel refused */
	}
	res = json_pack("{s:o}", "request", wf__request_json(&q, false));
	if (grant)
		json_object_set_new(res, "grant", grant);
	return proto__ok(res);
}

json_t *do_deny(const struct peer *p, json_t *args)
{
	const struct jg_role *role;
	struct jg_request q;
	struct jg_who who = who_of(p);
	const char *reason = NULL;
	json_t *reply;
	char err[1024];
	int ret;

	if (load_decision(args, &q, &role, &reason, &reply))
		return reply;
	ret = wf__deny(&q, role, &who, reason, util__realtime_ns(), err, sizeof(err));
	if (ret < 0)
		return wf_error(ret, err);
	if (request_step(&q, false, "request.deny", p, NULL))
		return ledger_error("record the denial");
	return proto__ok(json_pack("{s:o}", "request", wf__request_json(&q, false)));
}

json_t *do_cancel(const struct peer *p, json_t *args)
{
	const struct jg_role *role;
	struct jg_request q;
	struct jg_who who = who_of(p);
	json_t *reply;
	char err[1024], note[128];
	int ret;

	if (load_request(args, &q, &role, &reply))
		return reply;
	snprintf(note, sizeof(note), "cancelled by %s", p->user);
	ret = wf__cancel(&q, &who, p->admin, note, util__realtime_ns(), err, sizeof(err));
	if (ret < 0)
		return wf_error(ret, err);
	if (request_step(&q, false, "request.cancel", p, NULL))
		return ledger_error("record the cancellation");
	return proto__ok(json_pack("{s:o}", "request", wf__request_json(&q, false)));
}

json_t *do_drop(const struct peer *p, json_t *args)
{
	const char *id_text;
	const struct jg_grant_rec *g;
	char err[256];
	uint64_t id;

	if (proto__arg_string(args, "id", true, &id_text, err, sizeof(err)))
		return proto__error("EINVAL", "%s", err);
	if (grants__parse_id(id_text, &id))
		return proto__error("EINVAL", "\"%s\" is not a grant id (like g-12)", id_text);
	g = grants__find(&d.grants, id);
	if (!g)
		return proto__error("ENOENT", "no live grant %s", id_text);
	if (g->uid != p->subject && !p->admin)
		return proto__error("EPERM", "grant %s is %s's; only its holder or an admin may "
				    "drop it", id_text, g->user);
	grant_end(id, "drop", p, "given up by its holder", "grant.drop", NULL);
	return proto__ok(json_pack("{s:s}", "dropped", id_text));
}
