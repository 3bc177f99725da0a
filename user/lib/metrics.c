// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The OpenMetrics exposition of jitgated's counters (lib/metrics.h), and a checker of the
 * rules it follows. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/metrics.h"

/* ------------------------------------------------------------------ label values */

/* The length of the valid UTF-8 sequence at s (1-4), or 0 when it is not one. */
static size_t utf8_seq(const unsigned char *s)
{
	size_t n, i;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0) {
		n = 2;
		cp = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3;
		cp = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		n = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* overlong forms, surrogates and past U+10FFFF are not UTF-8 */
	if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return n;
}

char *metrics__label_value(const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t cap = strlen((const char *)p) * 2 + 1, o = 0, n;
	char *out = malloc(cap);

	if (!out)
		return NULL;
	while (*p) {
		if (*p == '\\' || *p == '"' || *p == '\n') {
			out[o++] = '\\';
			out[o++] = *p == '\n' ? 'n' : (char)*p;
			p++;
		} else if (*p < 0x20 || *p == 0x7f || !(n = utf8_seq(p))) {
			out[o++] = '?';
			p++;
		} else {
			memcpy(out + o, p, n);
			o += n;
			p += n;
		}
	}
	out[o] = 0;
	return out;
}

/* ------------------------------------------------------------------ rendering */

struct out {
	FILE *f;
	bool oom;
};

/* The family's metadata: HELP, TYPE and, for a name ending in _seconds or _bytes, UNIT. */
static void family(struct out *o, const char *name, const char *type, const char *help)
{
	size_t len = strlen(name);

	fprintf(o->f, "# TYPE %s %s\n", name, type);
	if (len > 8 && !strcmp(name + len - 8, "_seconds"))
		fprintf(o->f, "# UNIT %s seconds\n", name);
	else if (len > 6 && !strcmp(name + len - 6, "_bytes"))
		fprintf(o->f, "# UNIT %s bytes\n", name);
	fprintf(o->f, "# HELP %s %s\n", name, help);
}

/* One sample: name and suffix ("_total", "_info", ""), labels as (name, value) pairs ending
 * with a NULL name, and the value as text. */
static void sample(struct out *o, const char *name, const char *suffix, const char *value, ...)
{
	const char *k, *v;
	bool first = true;
	va_list ap;

	fprintf(o->f, "%s%s", name, suffix);
	va_start(ap, value);
	while ((k = va_arg(ap, const char *))) {
		char *esc;

		v = va_arg(ap, const char *);
		esc = metrics__label_value(v);
		if (!esc) {
			o->oom = true;
			break;
		}
		fprintf(o->f, "%s%s=\"%s\"", first ? "{" : ",", k, esc);
		free(esc);
		first = false;
	}
	va_end(ap);
	fprintf(o->f, "%s %s\n", first ? "" : "}", value);
}

static const char *u64(uint64_t v, char buf[24])
{
	snprintf(buf, 24, "%" PRIu64, v);
	return buf;
}

/* Wall nanoseconds as seconds with milliseconds. */
static const char *secs(int64_t ns, char buf[32])
{
	snprintf(buf, 32, "%" PRId64 ".%03d", ns / 1000000000, (int)(ns % 1000000000 / 1000000));
	return buf;
}

static void render_gate(struct out *o, const struct jg_metrics *m)
{
	char b[32];

	family(o, "jitgate_build", "info", "The running jitgated's version.");
	sample(o, "jitgate_build", "_info", "1", "version", m->version, NULL);
	family(o, "jitgate_start_time_seconds", "gauge",
	       "When jitgated started, in seconds since the Unix epoch.");
	sample(o, "jitgate_start_time_seconds", "", secs(m->start_time_ns, b), NULL);
	family(o, "jitgate_enforcing", "gauge",
	       "1 while the gate is loaded and denies the canary, else 0.");
	sample(o, "jitgate_enforcing", "", m->enforcing ? "1" : "0", NULL);
	family(o, "jitgate_kernel_decisions", "counter",
	       "Decisions the kernel made on protected objects (exact, streamed or not).");
	sample(o, "jitgate_kernel_decisions", "_total", u64(m->kernel_deny, b), "decision", "deny",
	       NULL);
	sample(o, "jitgate_kernel_decisions", "_total", u64(m->kernel_allow, b), "decision",
	       "allow", NULL);
	sample(o, "jitgate_kernel_decisions", "_total", u64(m->kernel_audit, b), "decision",
	       "audit", NULL);
	family(o, "jitgate_decisions", "counter",
	       "Decisions jitgated drained from the kernel's ring buffers, per resource, kind "
	       "and permission (denials over a subject's budget and lost events are not in it).");
	for (size_t i = 0; i < m->ndecisions; i++) {
		const struct jg_metrics_decision *x = &m->decisions[i];

		sample(o, "jitgate_decisions", "_total", u64(x->count, b), "decision", x->decision,
		       "resource", x->resource, "kind", x->kind, "perm", x->perm, NULL);
	}
	family(o, "jitgate_kernel_events", "counter",
	       "The kernel gate's other counters, by name (docs/metrics.md).");
	for (size_t i = 0; i < m->nstats; i++)
		sample(o, "jitgate_kernel_events", "_total", u64(m->stats[i].value, b), "event",
		       m->stats[i].name, NULL);
	family(o, "jitgate_ring_buffer_size_bytes", "gauge", "Size of a kernel ring buffer.");
	for (size_t i = 0; i < m->nrings; i++)
		sample(o, "jitgate_ring_buffer_size_bytes", "", u64(m->rings[i].size_bytes, b),
		       "ring", m->rings[i].name, NULL);
	family(o, "jitgate_ring_buffer_used_bytes", "gauge",
	       "Bytes of a kernel ring buffer written and not yet drained.");
	for (size_t i = 0; i < m->nrings; i++)
		sample(o, "jitgate_ring_buffer_used_bytes", "", u64(m->rings[i].used_bytes, b),
		       "ring", m->rings[i].name, NULL);
	family(o, "jitgate_ring_buffer_lost_events", "counter",
	       "Events the kernel could not put on a full ring buffer.");
	for (size_t i = 0; i < m->nrings; i++)
		sample(o, "jitgate_ring_buffer_lost_events", "_total", u64(m->rings[i].lost, b),
		       "ring", m->rings[i].name, NULL);
}

static void render_state(struct out *o, const struct jg_metrics *m)
{
	char b[32];

	family(o, "jitgate_grants_live", "gauge", "Grants live now.");
	sample(o, "jitgate_grants_live", "", u64(m->grants_live, b), NULL);
	family(o, "jitgate_grants_capacity", "gauge", "Entries the kernel's grant map holds.");
	sample(o, "jitgate_grants_capacity", "", u64(m->grants_capacity, b), NULL);
	family(o, "jitgate_requests_pending", "gauge", "Requests waiting for a decision.");
	sample(o, "jitgate_requests_pending", "", u64(m->requests_pending, b), NULL);
	family(o, "jitgate_policy_generation", "gauge",
	       "Policies jitgated applied since it started (1 after the start, one more per "
	       "reload that was applied).");
	sample(o, "jitgate_policy_generation", "", u64(m->policy_generation, b), NULL);
	family(o, "jitgate_policy_loaded_time_seconds", "gauge",
	       "When the running policy was applied, in seconds since the Unix epoch.");
	sample(o, "jitgate_policy_loaded_time_seconds", "", secs(m->policy_loaded_ns, b), NULL);
	family(o, "jitgate_policy_resources", "gauge", "Resources the running policy declares.");
	sample(o, "jitgate_policy_resources", "", u64(m->policy_resources, b), NULL);
	family(o, "jitgate_audit_write_errors", "counter", "Writes of the audit log that failed.");
	sample(o, "jitgate_audit_write_errors", "_total", u64(m->audit_write_errors, b), NULL);
	family(o, "jitgate_audit_lost_records", "counter",
	       "Audit records dropped because the log could not be written and the backlog was "
	       "full.");
	sample(o, "jitgate_audit_lost_records", "_total", u64(m->audit_lost, b), NULL);
	family(o, "jitgate_audit_pending_bytes", "gauge",
	       "Audit records held in memory while the log cannot be written.");
	sample(o, "jitgate_audit_pending_bytes", "", u64(m->audit_pending_bytes, b), NULL);
	family(o, "jitgate_metrics_scrapes", "counter",
	       "Requests to this endpoint, served or refused (slots full, bad request, timeout).");
	sample(o, "jitgate_metrics_scrapes", "_total", u64(m->scrapes, b), "result", "served",
	       NULL);
	sample(o, "jitgate_metrics_scrapes", "_total", u64(m->scrapes_refused, b), "result",
	       "refused", NULL);
}

/* One sink family: a counter or gauge of each sink (network_only: sinks with a spool). */
static void render_sink_family(struct out *o, const struct jg_metrics *m, const char *name,
			       const char *type, const char *help, size_t field, bool network_only)
{
	bool counter = !strcmp(type, "counter");
	char b[32];

	family(o, name, type, help);
	for (size_t i = 0; i < m->nsinks; i++) {
		const struct jg_metrics_sink *s = &m->sinks[i];
		uint64_t v;

		if (network_only && !s->network)
			continue;
		if (field == SIZE_MAX)
			v = s->connected;
		else
			memcpy(&v, (const char *)s + field, sizeof(v));
		sample(o, name, counter ? "_total" : "", u64(v, b), "sink", s->index, "type",
		       s->type, "format", s->format, "target", s->target, NULL);
	}
}

static void render_sinks(struct out *o, const struct jg_metrics *m)
{
	static const struct {
		const char *name, *type, *help;
		size_t field;			/* SIZE_MAX: connected */
		bool network_only;
	} fams[] = {
		{ "jitgate_sink_delivered_records", "counter", "Audit records a SIEM sink delivered.",
		  offsetof(struct jg_metrics_sink, delivered), false },
		{ "jitgate_sink_dropped_records", "counter",
		  "Audit records a SIEM sink dropped (its spool was full).",
		  offsetof(struct jg_metrics_sink, dropped), false },
		{ "jitgate_sink_truncated_records", "counter",
		  "Audit records a SIEM sink cut to its size limit.",
		  offsetof(struct jg_metrics_sink, truncated), false },
		{ "jitgate_sink_errors", "counter", "Write, send and connect errors of a SIEM sink.",
		  offsetof(struct jg_metrics_sink, errors), false },
		{ "jitgate_sink_spooled_records", "counter",
		  "Audit records a network sink put in its spool to send later.",
		  offsetof(struct jg_metrics_sink, spooled), true },
		{ "jitgate_sink_queue_bytes", "gauge",
		  "Bytes a network sink's spool holds, not yet sent.",
		  offsetof(struct jg_metrics_sink, backlog_bytes), true },
		{ "jitgate_sink_connected", "gauge",
		  "1 while a network sink is connected to its collector.", SIZE_MAX, true },
	};

	for (size_t i = 0; i < sizeof(fams) / sizeof(fams[0]); i++)
		render_sink_family(o, m, fams[i].name, fams[i].type, fams[i].help, fams[i].field,
				   fams[i].network_only);
}

char *metrics__render(const struct jg_metrics *m, size_t *len)
{
	struct out o = { 0 };
	char *text = NULL;
	size_t n = 0;

	o.f = open_memstream(&text, &n);
	if (!o.f)
		return NULL;
	render_gate(&o, m);
	render_state(&o, m);
	render_sinks(&o, m);
	fputs("# EOF\n", o.f);
	if (fclose(o.f) || o.oom) {
		free(text);
		return NULL;
	}
	if (len)
		*len = n;
	return text;
}
