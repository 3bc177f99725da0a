// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The metrics (docs/metrics.md): one snapshot of the counters the daemon keeps anyway (gate
 * stats, grants, the ledger, the audit log, the sinks), rendered by lib/metrics.c; the
 * decisions per resource are counted here, from the drained kernel events (metrics_count).
 * metrics_http.c serves the text. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include "daemon/daemon.h"
#include "lib/metrics.h"
#include "lib/perm.h"

#define METRICS_NPERMS		7	/* enum jg_perm's bits */

/* Drained decisions: [resource][perm bit][deny, allow, audit]. */
static uint64_t counts[JG_MAX_RESOURCES][METRICS_NPERMS][3];

static const char *const decision_names[3] = { "deny", "allow", "audit" };

/* ------------------------------------------------------------------ counting */

void metrics_count(const struct jg_event *e)
{
	int dec = e->type == JG_EV_DENY ? 0 : e->type == JG_EV_ALLOW ? 1 :
		  e->type == JG_EV_AUDIT ? 2 : -1;
	int bit = e->perm ? __builtin_ctz(e->perm) : -1;

	/* resource 0: the kernel never streams the canary's denial, so these are denials that
	 * failed closed (a walk too deep, a disconnected dentry) before naming a resource */
	if (dec < 0 || bit < 0 || bit >= METRICS_NPERMS || e->resource >= JG_MAX_RESOURCES)
		return;
	counts[e->resource][bit][dec]++;
}

static const char *kind_of(unsigned perm_bit)
{
	switch (perm_bit) {
	case JG_PERM_READ:
	case JG_PERM_WRITE:	return "file";
	case JG_PERM_EXEC:	return "exec";
	case JG_PERM_CONNECT:	return "connect";
	case JG_PERM_BIND:	return "bind";
	case JG_PERM_ELEVATE:	return "elevate";
	default:		return "admin";
	}
}

/* The non-zero counts as decisions, resources by name (a resource id without one, named
 * "#ID"; resource 0, no resource, ""); names[] holds those names. *n: how many. NULL with
 * n 0 when there are none. */
static struct jg_metrics_decision *decisions(size_t *n, char (**names)[16])
{
	struct jg_metrics_decision *v;
	size_t k = 0, cap = 0;

	for (size_t r = 0; r < JG_MAX_RESOURCES; r++)
		for (int b = 0; b < METRICS_NPERMS; b++)
			for (int x = 0; x < 3; x++)
				cap += counts[r][b][x] != 0;
	*n = 0;
	*names = NULL;
	if (!cap)
		return NULL;
	v = calloc(cap, sizeof(*v));
	*names = calloc(cap, sizeof(**names));
	if (!v || !*names) {
		free(v);
		free(*names);
		*names = NULL;
		return NULL;
	}
	for (size_t r = 0; r < JG_MAX_RESOURCES; r++)
		for (int b = 0; b < METRICS_NPERMS; b++)
			for (int x = 0; x < 3; x++) {
				if (!counts[r][b][x])
					continue;
				if (r)
					snprintf((*names)[k], sizeof((*names)[k]), "#%zu", r);
				v[k] = (struct jg_metrics_decision){
					.decision = decision_names[x],
					.resource = r && d.res_names[r] ? d.res_names[r] :
						    (*names)[k],
					.kind = kind_of(1u << b), .perm = perm__name(1u << b),
					.count = counts[r][b][x] };
				k++;
			}
	*n = k;
	return v;
}

/* ------------------------------------------------------------------ the snapshot */

/* Bytes of a BPF ring buffer written and not yet consumed: its producer position minus its
 * consumer position, each on a page of the map's mmap (read-only here). */
static uint64_t ring_used(int map_fd)
{
	long page = sysconf(_SC_PAGESIZE);
	void *cons, *prod;
	uint64_t used = 0;

	if (map_fd < 0)
		return 0;
	cons = mmap(NULL, (size_t)page, PROT_READ, MAP_SHARED, map_fd, 0);
	prod = mmap(NULL, (size_t)page, PROT_READ, MAP_SHARED, map_fd, page);
	if (cons != MAP_FAILED && prod != MAP_FAILED)
		used = __atomic_load_n((unsigned long *)prod, __ATOMIC_ACQUIRE) -
		       __atomic_load_n((unsigned long *)cons, __ATOMIC_ACQUIRE);
	if (cons != MAP_FAILED)
		munmap(cons, (size_t)page);
	if (prod != MAP_FAILED)
		munmap(prod, (size_t)page);
	return used;
}

static int count_request(const struct jg_request *q, void *ctx)
{
	(*(uint64_t *)ctx)++;
	return 0;
}

static uint64_t juint(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_integer(v) && json_integer_value(v) > 0 ? (uint64_t)json_integer_value(v) :
								  0;
}

static const char *jstr_or(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

/* The sinks from sink__stats (sj, kept by the caller while the snapshot is used). */
static struct jg_metrics_sink *sinks_of(json_t *sj, size_t *n, char (**idx)[24])
{
	struct jg_metrics_sink *v;
	json_t *o;
	size_t i;

	*n = json_array_size(sj);
	*idx = NULL;
	if (!*n)
		return NULL;
	v = calloc(*n, sizeof(*v));
	*idx = calloc(*n, sizeof(**idx));
	if (!v || !*idx) {
		free(v);
		free(*idx);
		*idx = NULL;
		*n = 0;
		return NULL;
	}
	json_array_foreach(sj, i, o) {
		snprintf((*idx)[i], sizeof((*idx)[i]), "%zu", i);
		v[i] = (struct jg_metrics_sink){
			.index = (*idx)[i], .type = jstr_or(o, "type"), .format = jstr_or(o, "format"),
			.target = jstr_or(o, "target"),
			.network = json_object_get(o, "spooled") != NULL,
			.connected = json_is_true(json_object_get(o, "connected")),
			.delivered = juint(o, "delivered"), .dropped = juint(o, "dropped"),
			.truncated = juint(o, "truncated"), .errors = juint(o, "errors"),
			.spooled = juint(o, "spooled"), .backlog_bytes = juint(o, "backlog_bytes") };
	}
	return v;
}

/* The exposition of now; malloc'd, NULL when out of memory. */
char *metrics_text(size_t *len, uint64_t served, uint64_t refused)
{
	uint64_t stats[JG_STAT_MAX] = { 0 }, pending = 0;
	char err[256], (*names)[16] = NULL, (*idx)[24] = NULL;
	struct jg_metrics_ring rings[2];
	struct jg_metrics_stat st[] = {
		{ "too_deep", 0 }, { "disconnected", 0 }, { "suppressed", 0 },
		{ "rate_full", 0 }, { "tainted", 0 }, { "held_full", 0 }, { "unarmed", 0 },
		{ "rebind", 0 }, { "rebind_full", 0 }, { "stale", 0 }, { "session_end", 0 },
		{ "session_full", 0 }, { "tamper", 0 },
	};
	static const int st_id[] = {
		JG_STAT_TOO_DEEP, JG_STAT_DISCONNECTED, JG_STAT_SUPPRESSED, JG_STAT_RATE_FULL,
		JG_STAT_TAINTED, JG_STAT_HELD_FULL, JG_STAT_UNARMED, JG_STAT_REBIND,
		JG_STAT_REBIND_FULL, JG_STAT_STALE, JG_STAT_SESSION_END, JG_STAT_SESSION_FULL,
		JG_STAT_TAMPER,
	};
	struct jg_metrics m = { .version = JG_VERSION };
	json_t *sj = sink__stats();
	char *text;

	gate__stats(d.gate, stats);
	for (size_t i = 0; i < sizeof(st) / sizeof(st[0]); i++)
		st[i].value = stats[st_id[i]];
	rings[0] = (struct jg_metrics_ring){ "events", d.gate->ringbuf_bytes,
		ring_used(gate__events_fd(d.gate)), stats[JG_STAT_EVENTS_LOST] };
	rings[1] = (struct jg_metrics_ring){ "priority", d.gate->prio_ringbuf_bytes,
		ring_used(gate__prio_events_fd(d.gate)), stats[JG_STAT_PRIO_LOST] };
	if (ledger__requests(&d.ledger, true, count_request, &pending))
		pending = 0;
	m.start_time_ns = d.started_ns;
	m.enforcing = gate__canary(d.canary, err, sizeof(err)) == 0;
	m.kernel_deny = stats[JG_STAT_DENY];
	m.kernel_allow = stats[JG_STAT_ALLOW];
	m.kernel_audit = stats[JG_STAT_AUDIT];
	m.stats = st;
	m.nstats = sizeof(st) / sizeof(st[0]);
	m.decisions = decisions(&m.ndecisions, &names);
	m.grants_live = d.grants.n;
	m.grants_capacity = d.gate->max_grants;
	m.requests_pending = pending;
	m.rings = rings;
	m.nrings = 2;
	m.policy_generation = d.policies_applied;
	m.policy_loaded_ns = d.policy_loaded_ns;
	m.policy_resources = d.policy ? d.policy->nresources : 0;
	m.audit_write_errors = d.audit.write_errors;
	m.audit_lost = d.audit.lost_total;
	m.audit_pending_bytes = d.audit.backlog_len;
	m.sinks = sinks_of(sj, &m.nsinks, &idx);
	m.scrapes = served;
	m.scrapes_refused = refused;
	text = metrics__render(&m, len);
	free((void *)m.decisions);
	free(names);
	free((void *)m.sinks);
	free(idx);
	json_decref(sj);
	return text;
}
