// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The grant map's guard: while the daemon runs, the kernel grant map holds what the ledger
 * says and nothing else; forged, altered or lost entries are corrected and audited. */
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

/* ------------------------------------------------------------------ the grant map's guard */

/* While the daemon runs, the kernel grant map holds what the ledger says and nothing else.
 * Anything that writes the pinned map behind the daemon (bpftool, a bug, root with a
 * grudge) is found within a second (grants_guard from the timer), audited and undone:
 *   grant.forged     an entry no live grant explains: removed
 *   grant.corrected  an entry granting more (a permission, a later expiry) than the ledger:
 *                    written back to the ledger's value
 *   grant.restored   a live grant's entry that is missing or grants less: written again
 * A pass costs a walk of the map (two syscalls an entry): cheap for the few live grants. */
#define GUARD_INTERVAL_NS 1000000000LL
#define GUARD_DETAILED 64		/* forged entries audited one by one per pass; the rest
					 * in one record with their count */

struct guard_ctx {
	uint64_t now;			/* boot time of the pass */
	struct jg_grant_key *seen;	/* entries the ledger explains */
	size_t nseen, cap;
	size_t forged_detailed, forged_more;
};

static int key_cmp(const void *a, const void *b)
{
	const struct jg_grant_key *x = a, *y = b;

	if (x->subject != y->subject)
		return x->subject < y->subject ? -1 : 1;
	return x->resource < y->resource ? -1 : x->resource > y->resource;
}

static json_t *perm_json(int slot, uint64_t expires_boot, uint64_t grant_id, const char *key)
{
	char when[48], gid[32];
	const char *perm = perm__name(1u << slot);
	json_t *o = json_pack("{s:s}", "perm", perm ? perm : "?");

	/* a forger's expiry may be anything: past about 146 years it is no wall time */
	if (expires_boot > (uint64_t)INT64_MAX / 2)
		json_object_set_new(o, key, json_string("never"));
	else
		json_object_set_new(o, key, json_string(util__rfc3339(
			util__boot_to_wall(expires_boot), when, sizeof(when))));
	json_object_set_new(o, "grant_id", grant_id ?
			    json_string(grants__format_id(grant_id, gid, sizeof(gid))) :
			    json_null());
	return o;
}

static void guard_audit(const char *type, const struct jg_grant_key *k, json_t *perms,
			const char *action, int ret)
{
	const char *name = k->resource < JG_MAX_RESOURCES ? d.res_names[k->resource] : NULL;
	json_t *ev = audit__new(type);

	json_object_set_new(ev, "subject", audit__subject(k->subject, (uint32_t)-1));
	json_object_set_new(ev, "resource", name ? json_string(name) : json_null());
	json_object_set_new(ev, "resource_id", json_integer(k->resource));
	json_object_set_new(ev, "perms", perms);
	json_object_set_new(ev, "action", json_string(ret ? "failed" : action));
	if (ret)
		json_object_set_new(ev, "error", json_string(strerror(-ret)));
	ctl_emit(ev);
}

static int guard_entry(const struct jg_grant_key *k, const struct jg_grant *v, void *ctx)
{
	struct guard_ctx *g = ctx;
	const char *name = k->resource < JG_MAX_RESOURCES ? d.res_names[k->resource] : NULL;
	json_t *more = json_array(), *less = json_array();
	struct jg_grant known, want;
	int ret = 0;

	/* known: every grant the ledger holds for the pair, expired in the kernel or not (the
	 * tick ends those); want: what sync_pairs writes now */
	if (!name || !grants__kernel_value(&d.grants, k->subject, name, 0, &known)) {
		json_t *perms = json_array();

		for (int i = 0; i < JG_NPERMS; i++)
			if (v->expires_ns[i])
				json_array_append_new(perms, perm_json(i, v->expires_ns[i],
								       v->grant_id[i], "expires"));
		ret = gate__del_grant(d.gate, k->subject, (uint16_t)k->resource);
		d.forged++;
		if (g->forged_detailed < GUARD_DETAILED) {
			g->forged_detailed++;
			guard_audit("grant.forged", k, perms, "removed", ret);
		} else {
			g->forged_more++;
			json_decref(perms);
		}
		json_decref(more);
		json_decref(less);
		return 0;
	}
	if (g->nseen == g->cap) {
		size_t cap = g->cap ? g->cap * 2 : 64;
		struct jg_grant_key *n = realloc(g->seen, cap * sizeof(*n));

		if (!n)
			goto out;	/* unseen: restored (rewritten) below, which is harmless */
		g->seen = n;
		g->cap = cap;
	}
	g->seen[g->nseen++] = *k;
	grants__kernel_value(&d.grants, k->subject, name, g->now, &want);
	/* compare what is live now: a permission that ran out is the same on both sides */
	for (int i = 0; i < JG_NPERMS; i++) {
		uint64_t kv = v->expires_ns[i] > g->now ? v->expires_ns[i] : 0;
		uint64_t wv = want.expires_ns[i] > g->now ? want.expires_ns[i] : 0;

		if (kv > wv || (kv && kv == wv && v->grant_id[i] != want.grant_id[i])) {
			json_t *o = perm_json(i, kv, v->grant_id[i], "kernel_expires");

			json_object_set_new(o, "ledger_grant_id", want.grant_id[i] ?
					    json_integer((json_int_t)want.grant_id[i]) : json_null());
			json_array_append_new(more, o);
		} else if (kv < wv) {
			json_array_append_new(less, perm_json(i, wv, want.grant_id[i], "expires"));
		}
	}
	if (json_array_size(more) || json_array_size(less))
		ret = gate__set_grant(d.gate, k->subject, (uint16_t)k->resource, &want);
	if (json_array_size(more)) {
		d.corrected++;
		guard_audit("grant.corrected", k, json_incref(more), "rewritten", ret);
	}
	if (json_array_size(less)) {
		d.restored++;
		guard_audit("grant.restored", k, json_incref(less), "rewritten", ret);
	}
out:
	json_decref(more);
	json_decref(less);
	return 0;
}

void grants_guard(void)
{
	struct guard_ctx g = { .now = util__boottime_ns() };
	int64_t mono = (int64_t)g.now;

	if (mono - d.guarded_ns < GUARD_INTERVAL_NS)
		return;
	d.guarded_ns = mono;
	gate__for_each_grant(d.gate, guard_entry, &g);
	if (g.forged_more) {
		json_t *ev = audit__new("grant.forged");

		json_object_set_new(ev, "count", json_integer((json_int_t)g.forged_more));
		json_object_set_new(ev, "summary", json_true());
		json_object_set_new(ev, "action", json_string("removed"));
		ctl_emit(ev);
	}
	if (g.nseen > 1)
		qsort(g.seen, g.nseen, sizeof(*g.seen), key_cmp);
	/* live grants whose entry is gone altogether */
	for (size_t i = 0; i < d.grants.n; i++) {
		const struct jg_grant_rec *r = &d.grants.v[i];

		if (r->expires_boot_ns <= g.now)
			continue;	/* the tick ends it */
		for (size_t a = 0; a < r->nallow; a++) {
			int id = res_id(r->allow[a].resource);
			struct jg_grant_key k = { .subject = r->uid };
			struct jg_grant want;
			json_t *perms;
			int ret;

			if (id < 0)
				continue;
			k.resource = (uint32_t)id;
			if (bsearch(&k, g.seen, g.nseen, sizeof(k), key_cmp) ||
			    !grants__kernel_value(&d.grants, k.subject, r->allow[a].resource, g.now,
						  &want))
				continue;
			perms = json_array();
			for (int p = 0; p < JG_NPERMS; p++)
				if (want.expires_ns[p])
					json_array_append_new(perms, perm_json(p, want.expires_ns[p],
									       want.grant_id[p],
									       "expires"));
			ret = gate__set_grant(d.gate, k.subject, k.resource, &want);
			d.restored++;
			guard_audit("grant.restored", &k, perms, "rewritten", ret);
			if (!ret && g.nseen < g.cap) {
				/* another grant of the pair must not restore it twice */
				g.seen[g.nseen++] = k;
				qsort(g.seen, g.nseen, sizeof(*g.seen), key_cmp);
			}
		}
	}
	free(g.seen);
}

/* The descriptor re-check costs every read and write on the host: off once no read or write
 * grant, no such standing rule and no file opened under one is left (gate__recheck_idle).
 * The session programs cost every file allocation and socket operation: off once no live
 * elevate grant and no session task is left (gate__session_idle). */
void recheck_idle(void)
{
	int ret = gate__recheck_idle(d.gate);

	if (ret > 0)
		pr_info("descriptor re-check detached: no read or write grant, standing rule or "
			"held file left");
	else if (ret < 0 && !d.recheck_warned) {
		pr_warn("cannot detach the descriptor re-check: %s; it stays on", strerror(-ret));
		d.recheck_warned = true;
	}
	ret = gate__session_idle(d.gate);
	if (ret > 0)
		pr_info("session-file and lend programs detached: no elevate grant or session "
			"left");
	else if (ret < 0 && !d.session_idle_warned) {
		pr_warn("cannot detach the session programs: %s; they stay on", strerror(-ret));
		d.session_idle_warned = true;
	}
}
