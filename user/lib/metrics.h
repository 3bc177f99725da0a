/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* jitgated's metrics as OpenMetrics 1.0.0 text (docs/metrics.md lists every family): a pure
 * function from a snapshot of the daemon's counters to the exposition, so the format rules
 * (HELP and TYPE before the samples, _total on counter samples, escaped label values, the
 * closing "# EOF") are tested without a daemon. The daemon fills the snapshot
 * (daemon/metrics.c); nothing here keeps state. */
#ifndef JG_METRICS_H
#define JG_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JG_METRICS_CONTENT_TYPE \
	"application/openmetrics-text; version=1.0.0; charset=utf-8"
/* jitgated keeps its metrics socket next to its control socket (default /run/jitgate). */
#define JG_METRICS_NAME "metrics.sock"

/* Decisions the daemon drained from the kernel, per resource, kind and permission. */
struct jg_metrics_decision {
	const char *decision;		/* "deny", "allow", "audit" */
	const char *resource;		/* the policy's name */
	const char *kind;		/* "file", "exec", "connect", "bind", "elevate", "admin" */
	const char *perm;		/* "read", "write", ... */
	uint64_t count;
};

/* One of the kernel's ring buffers. */
struct jg_metrics_ring {
	const char *name;		/* "events", "priority" */
	uint64_t size_bytes, used_bytes, lost;
};

/* One SIEM sink (audit/sink.c's counters). */
struct jg_metrics_sink {
	const char *index;		/* "0", "1", ...: its place in the config */
	const char *type, *format, *target;
	bool network;			/* has a spool and a connection */
	bool connected;
	uint64_t delivered, dropped, truncated, errors, spooled, backlog_bytes;
};

/* One named kernel counter (JG_STAT_*) besides the decisions. */
struct jg_metrics_stat {
	const char *name;
	uint64_t value;
};

struct jg_metrics {
	const char *version;
	int64_t start_time_ns;		/* wall clock */
	bool enforcing;
	uint64_t kernel_deny, kernel_allow, kernel_audit;	/* JG_STAT_DENY, _ALLOW, _AUDIT */
	const struct jg_metrics_stat *stats;
	size_t nstats;
	const struct jg_metrics_decision *decisions;
	size_t ndecisions;
	uint64_t grants_live, grants_capacity;
	uint64_t requests_pending;
	const struct jg_metrics_ring *rings;
	size_t nrings;
	uint64_t policy_generation;	/* policies applied since the daemon started */
	int64_t policy_loaded_ns;
	uint64_t policy_resources;
	/* the audit log */
	uint64_t audit_write_errors, audit_lost, audit_pending_bytes;
	const struct jg_metrics_sink *sinks;
	size_t nsinks;
	/* the metrics endpoint itself */
	uint64_t scrapes, scrapes_refused;
};

/* The exposition, ending with "# EOF\n"; malloc'd, its length in *len. NULL: out of memory. */
char *metrics__render(const struct jg_metrics *m, size_t *len);

/* A label value as OpenMetrics writes it between quotes: \ " and newline escaped (\\ \" \n),
 * other control characters and bytes that are not UTF-8 as '?'. malloc'd; NULL: out of
 * memory. */
char *metrics__label_value(const char *s);

/* Is text a valid exposition by the rules metrics__render follows (every family has HELP and
 * TYPE before its samples, counter samples end in _total, a family's samples are together,
 * label values are quoted and escaped, the last line is "# EOF")? 0, or -EINVAL with the
 * first broken rule and its line in err. For tests and `jitgate metrics --check`. */
int metrics__check(const char *text, size_t len, char *err, size_t errlen);

#endif
