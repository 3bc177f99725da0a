// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Handlers that read the ledger: requests, history. */
#include <stdint.h>
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

struct list_ctx {
	const struct peer *p;
	json_t *out;
	int64_t now;
};

static int list_request(const struct jg_request *q, void *ctx)
{
	struct list_ctx *c = ctx;
	const struct jg_role *role = policy__role(d.policy, q->role);
	struct jg_who who = who_of(c->p);
	bool decide = wf__can_decide(q, role, &who, c->now);
	bool approver = role && wf__matches(role->approvers, role->napprovers, &who);

	if (c->p->admin || c->p->auditor || q->uid == c->p->subject || approver)
		json_array_append_new(c->out, wf__request_json(q, decide));
	return 0;
}

json_t *do_requests(const struct peer *p, json_t *args)
{
	struct list_ctx c = { .p = p, .out = json_array(), .now = util__realtime_ns() };
	bool pending = false;
	char err[256];

	if (proto__arg_bool(args, "pending", &pending, err, sizeof(err)) == -EINVAL) {
		json_decref(c.out);
		return proto__error("EINVAL", "%s", err);
	}
	expire_requests();
	if (ledger__requests(&d.ledger, pending, list_request, &c)) {
		json_decref(c.out);
		return ledger_error("read the requests");
	}
	return proto__ok(json_pack("{s:o}", "requests", c.out));
}

json_t *do_history(const struct peer *p, json_t *args)
{
	const char *user = NULL, *resource = NULL, *since = NULL, *grant = NULL;
	char name[JG_NAME_LEN], err[256];
	int64_t since_ns = 0;
	json_t *h;

	if (!p->admin && !p->auditor)
		return proto__error("EPERM", "only an admin or an auditor may read the history (you "
				    "are %s, uid %u)", p->user, p->uid);
	if (proto__arg_string(args, "user", false, &user, err, sizeof(err)) == -EINVAL ||
	    proto__arg_string(args, "resource", false, &resource, err, sizeof(err)) == -EINVAL ||
	    proto__arg_string(args, "since", false, &since, err, sizeof(err)) == -EINVAL ||
	    proto__arg_string(args, "grant", false, &grant, err, sizeof(err)) == -EINVAL)
		return proto__error("EINVAL", "%s", err);
	if (grant && (user || resource || since))
		return proto__error("EINVAL", "grant names one grant: it does not go with user, "
				    "resource or since");
	if (grant)
		return history_grant(grant);	/* one session's trail, from the audit log */
	if (user) {
		uint32_t uid;

		if (util__resolve_user(user, &uid, name, sizeof(name), err, sizeof(err)))
			snprintf(name, sizeof(name), "%s", user);	/* a user since removed */
		user = name;
	}
	if (since) {
		uint64_t ago;
		int64_t t;

		int64_t ns;

		if (!duration__parse(since, &ago, err, sizeof(err))) {
			if (ago > INT64_MAX / 1000000000LL)
				return proto__error("EINVAL", "--since \"%s\" is too long ago", since);
			since_ns = util__realtime_ns() - (int64_t)ago * 1000000000LL;
		} else if (!timestamp__parse(since, false, &t, err, sizeof(err))) {
			/* nanoseconds in 64 bits end in 2262 */
			if (__builtin_mul_overflow(t, 1000000000LL, &ns))
				return proto__error("EINVAL", "--since \"%s\" is past the year 2262",
						    since);
			since_ns = ns;
		} else {
			return proto__error("EINVAL", "--since \"%s\" is neither a duration (7d) nor a "
					    "date (2026-11-01 or RFC 3339)", since);
		}
	}
	h = ledger__history(&d.ledger, user, resource, since_ns);
	if (!h)
		return ledger_error("read the history");
	return proto__ok(json_pack("{s:o}", "grants", h));
}
