// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* A grant's life: start (ledger, then kernel, then audit), end (the same order), expiry,
 * and reconciliation of the kernel map with the ledger at start. What the request workflow
 * must do when a grant starts or ends goes through one hook (grants__set_hook). */
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

/* ------------------------------------------------------------------ grants in the kernel */

/* Recompute the kernel entry of every (uid, resource) pair that grant r touches. */
int sync_pairs(const struct jg_grant_rec *r)
{
	uint64_t now = util__boottime_ns();
	int ret = 0;

	for (size_t a = 0; a < r->nallow; a++) {
		struct jg_grant val;
		int id = res_id(r->allow[a].resource);
		int err;

		if (id < 0)
			continue;
		if (grants__kernel_value(&d.grants, r->uid, r->allow[a].resource, now, &val))
			err = gate__set_grant(d.gate, r->uid, (uint16_t)id, &val);
		else
			err = gate__del_grant(d.gate, r->uid, (uint16_t)id);
		if (err && !ret)
			ret = err;
	}
	return ret;
}

void audit_grant(const char *type, const struct jg_grant_rec *r, json_t *extra)
{
	json_t *ev = audit__new(type);
	char gid[32], when[48];

	json_object_set_new(ev, "grant_id", json_string(grants__format_id(r->id, gid, sizeof(gid))));
	json_object_set_new(ev, "subject", audit__subject(r->uid, (uint32_t)-1));
	json_object_set_new(ev, "allow", grants__allow_json(r));
	json_object_set_new(ev, "reason", json_string(r->reason));
	json_object_set_new(ev, "expires", json_string(util__rfc3339(r->expires_wall_ns, when,
								   sizeof(when))));
	if (extra) {
		json_object_update(ev, extra);
		json_decref(extra);
	}
	ctl_emit(ev);
}

json_t *peer_json(const struct peer *p)
{
	return json_pack("{s:I, s:o, s:s, s:I}", "uid", (json_int_t)p->uid, "loginuid",
			 p->loginuid == (uint32_t)-1 ? json_null() : json_integer(p->loginuid),
			 "user", p->user, "pid", (json_int_t)p->pid);
}

static grant_hook_fn grant_hook;

void grant_set_hook(grant_hook_fn fn)
{
	grant_hook = fn;
}

static void grant_life(enum grant_phase phase, uint64_t grant_id, const struct jg_request *q,
		       const struct peer *p)
{
	if (grant_hook)
		grant_hook(phase, grant_id, q, p);
}

/* End a live grant: the ledger first, then the kernel, then the audit line.
 * kind: "expire", "revoke", "drop", "policy". by NULL = the daemon itself. */
int grant_end(uint64_t id, const char *kind, const struct peer *by, const char *reason,
	      const char *type, json_t *extra)
{
	const struct jg_grant_rec *g = grants__find(&d.grants, id);
	struct jg_grant_rec r;
	json_t *again;
	int ret;

	if (!g) {
		json_decref(extra);
		return -ENOENT;
	}
	r = *g;
	if (!extra)
		extra = json_object();
	if (by)
		json_object_set_new(extra, "by", peer_json(by));
	if (reason && strcmp(kind, "expire"))
		json_object_set_new(extra, "end_reason", json_string(reason));
	ret = tx_begin();
	if (!ret)
		ret = ledger__grant_end(&d.ledger, id, kind, util__realtime_ns(),
					by ? by->subject : JG_BY_POLICY, by ? by->user : "jitgated",
					reason);
	if (ret) {
		tx_abort();
		ledger_warn("record the end of a grant", ret);	/* the kernel must still lose it */
	}
	again = ret ? NULL : json_deep_copy(extra);
	audit_grant(type, &r, extra);	/* in the transaction when there is one */
	if (!ret && tx_commit()) {
		ledger_warn("record the end of a grant", -EIO);
		audit_grant(type, &r, again);	/* the grant ends all the same: say so */
		again = NULL;
	}
	json_decref(again);
	grants__remove(&d.grants, id, NULL);
	sync_pairs(&r);
	tx_end(true);
	sessions__grant_ended(id, kind);
	grant_life(GRANT_ENDED, id, NULL, NULL);
	fleet_grant_ended(id, kind);	/* a fleet grant's end is acknowledged to the store */
	return 0;
}

void expire_grants(bool late)
{
	uint64_t now = util__boottime_ns();

	for (size_t i = 0; i < d.grants.n;) {
		if (d.grants.v[i].expires_boot_ns > now) {
			i++;
			continue;
		}
		grant_end(d.grants.v[i].id, "expire", NULL, NULL, "grant.expire",
			  late ? json_pack("{s:b}", "noticed_after_restart", 1) : NULL);
	}
}

struct orphan_ctx {
	size_t removed;
};

static int drop_orphan(const struct jg_grant_key *k, const struct jg_grant *v, void *ctx)
{
	struct orphan_ctx *o = ctx;
	struct jg_grant want;
	const char *name = k->resource < JG_MAX_RESOURCES ? d.res_names[k->resource] : NULL;

	if (name && grants__kernel_value(&d.grants, k->subject, name, util__boottime_ns(), &want))
		return 0;
	gate__del_grant(d.gate, k->subject, (uint16_t)k->resource);
	o->removed++;
	return 0;
}

/* After a restart: the kernel holds exactly what the ledger says is live. */
void reconcile(void)
{
	struct orphan_ctx o = { 0 };

	expire_grants(true);
	for (size_t i = 0; i < d.grants.n; i++) {
		int ret = sync_pairs(&d.grants.v[i]);

		if (ret)
			pr_warn("cannot restore grant g-%llu into the kernel: %s",
				(unsigned long long)d.grants.v[i].id, strerror(-ret));
	}
	gate__for_each_grant(d.gate, drop_orphan, &o);
	if (o.removed) {
		json_t *ev = audit__new("grant.orphan");

		json_object_set_new(ev, "removed", json_integer((json_int_t)o.removed));
		json_object_set_new(ev, "reason", json_string("kernel grant without a record"));
		audit__emit(&d.audit, ev, 0);
	}
}

/* Start a grant: the ledger first (with the request's new state and the audit events, in one
 * transaction), then the kernel, then the events go out. When the kernel refuses (a full
 * map), the events are dropped, the grant is recorded as ended by "error", the request as
 * failed, and grant.error is audited. announce: a request.approve event precedes grant.create.
 * create_extra (stolen): the fields grant.create adds. Fills r->id. */
int grant_start(struct jg_grant_rec *r, struct jg_request *q, const struct peer *p,
		bool announce, json_t *create_extra, char *err, size_t errlen)
{
	int64_t now = util__realtime_ns();
	json_t *ev;
	int ret;

	ret = tx_begin();
	if (!ret)
		ret = ledger__grant_insert(&d.ledger, r, d.boot_id);
	if (!ret && q) {
		wf__set_approved(q, r->id, p == NULL, now);
		ret = ledger__request_save(&d.ledger, q);
	}
	if (!ret) {
		if (q && announce)
			grant_life(GRANT_DECIDED, r->id, q, p);
		audit_grant("grant.create", r, create_extra);
		create_extra = NULL;
		ret = tx_commit();
	} else {
		tx_abort();
	}
	json_decref(create_extra);
	if (ret) {
		snprintf(err, errlen, "cannot record the grant in the ledger %s: %s; nothing was "
			 "granted", d.ledger.path, d.ledger.err);
		return -EIO;
	}
	if (!grants__add(&d.grants, r)) {
		ret = -ENOMEM;
	} else {
		ret = sync_pairs(r);
		if (ret) {
			grants__remove(&d.grants, r->id, NULL);
			sync_pairs(r);
		}
	}
	tx_end(ret == 0);
	if (!ret)
		return 0;
	ledger__grant_end(&d.ledger, r->id, "error", now, JG_BY_POLICY, "jitgated",
			  strerror(-ret));
	if (q) {
		wf__set_failed(q, ret == -ENOSPC ? "the kernel grant map is full" :
			       "the kernel refused the grant", now);
		ledger__request_save(&d.ledger, q);
		if (announce)	/* approved, but the kernel refused */
			grant_life(GRANT_DECIDED, r->id, q, p);
	}
	ev = audit__new("grant.error");
	json_object_set_new(ev, "subject", audit__subject(r->uid, (uint32_t)-1));
	json_object_set_new(ev, "allow", grants__allow_json(r));
	if (p)
		json_object_set_new(ev, "by", peer_json(p));
	if (q) {
		char id[32];

		json_object_set_new(ev, "request_id", json_string(wf__format_id(q->id, id,
										sizeof(id))));
	}
	json_object_set_new(ev, "error", json_string(strerror(-ret)));
	ctl_emit(ev);
	if (ret == -ENOSPC)
		snprintf(err, errlen, "the kernel grant map is full (%u entries); the grant was "
			 "not created", d.gate->max_grants);
	else
		snprintf(err, errlen, "cannot write the grant into the kernel: %s", strerror(-ret));
	return ret;
}
