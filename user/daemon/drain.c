// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The ring-buffer drain: kernel events into audit records, and the accounting of what the
 * kernel could not deliver (lost events, suppressed denials). */
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

/* ------------------------------------------------------------------ events */

/* Wall time minus boot time for the batch being drained: two clock reads per batch instead of
 * two per event (each one a trap under a VM's HPET clock). 0: outside a drain. */
static int64_t wall_off;

/* Everything both ring buffers hold, as one audit batch: every record is numbered and chained
 * on its own, the log gets one write, the sinks one write or send each (audit__batch_end). A
 * batch that passes JG_AUDIT_BATCH_MAX bytes is written as it goes. */
void drain_events(void)
{
	audit__batch_begin(&d.audit);
	wall_off = util__realtime_ns() - (int64_t)util__boottime_ns();
	ring_buffer__consume(d.rb);
	wall_off = 0;
	audit__batch_end(&d.audit);
}

int on_event(void *ctx, void *data, size_t size)
{
	const struct jg_event *e = data;
	const char *name;
	int64_t wall;
	json_t *rec;

	if (size < sizeof(*e) || (e->type == JG_EV_TRAIL && size < sizeof(struct jg_trail)) ||
	    (e->type == JG_EV_SESSION_FILE && size < sizeof(struct jg_file_trail)))
		return 0;
	name = e->resource < JG_MAX_RESOURCES ? d.res_names[e->resource] : NULL;
	rec = audit__from_kernel(e, name);
	if (rec && e->type == JG_EV_TAMPER)
		seal_describe(e, rec);
	if (rec && e->type == JG_EV_SESSION_FILE)
		trail_paths(e, rec);	/* named from below a watched tree */
	else if (rec && e->type != JG_EV_TRAIL && (e->flags & JG_EVF_PATH_REL))
		name_object(e, rec);
	if (e->type == JG_EV_REBIND)
		objpaths_rebind(e);
	metrics_count(e);
	wall = wall_off ? (int64_t)e->boot_ns + wall_off : util__boot_to_wall(e->boot_ns);
	if (rec && e->type == JG_EV_DENY)
		denials__note(&d.denials, e->subject, rec, wall);	/* for why */
	audit__emit(&d.audit, rec, wall);
	return 0;
}

/* One audit.lost per ring that lost records since the last report: which ring, how many,
 * and the kernel's total for it. */
static void report_lost(const char *ring, uint64_t total, uint64_t *reported)
{
	json_t *ev;

	if (total == *reported)
		return;
	ev = audit__new("audit.lost");
	json_object_set_new(ev, "lost", json_integer((json_int_t)(total - *reported)));
	json_object_set_new(ev, "lost_total", json_integer((json_int_t)total));
	json_object_set_new(ev, "ring", json_string(ring));
	json_object_set_new(ev, "reason", json_string("kernel ring buffer full"));
	audit__emit(&d.audit, ev, 0);
	*reported = total;
}

void check_lost(void)
{
	uint64_t stats[JG_STAT_MAX] = { 0 };
	uint64_t was = d.lost_reported, prio_was = d.prio_lost_reported;

	if (gate__stats(d.gate, stats))
		return;
	report_lost("priority", stats[JG_STAT_PRIO_LOST], &d.prio_lost_reported);
	report_lost("events", stats[JG_STAT_EVENTS_LOST], &d.lost_reported);
	if (d.lost_reported != was || d.prio_lost_reported != prio_was)
		save_lost();
}

/* Denials over a subject's budget were denied but not streamed: one access.suppressed per
 * subject whose kernel count grew, with the exact number since the last record. Runs after
 * a drain, so it follows the denials that were streamed. Emitted before the reported count
 * is stored: a crash in between repeats a count (suppressed_total tells), never drops one. */
static int suppressed_one(uint32_t subject, const struct jg_deny_rate *r, uint64_t reported,
			  void *ctx)
{
	int64_t now = *(const int64_t *)ctx;
	char when[48];
	json_t *ev;
	int ret;

	if (r->suppressed <= reported)
		return 0;
	ev = audit__new("access.suppressed");
	/* the budget is per subject (login uid, else uid): which of the two is not kept */
	json_object_set_new(ev, "subject", audit__subject(subject, (uint32_t)-1));
	json_object_del(json_object_get(ev, "subject"), "loginuid");
	json_object_set_new(ev, "suppressed", json_integer((json_int_t)(r->suppressed - reported)));
	json_object_set_new(ev, "suppressed_total", json_integer((json_int_t)r->suppressed));
	json_object_set_new(ev, "denied_total", json_integer((json_int_t)r->denied));
	json_object_set_new(ev, "since", d.suppressed_checked_ns ?
			    json_string(util__rfc3339(d.suppressed_checked_ns, when, sizeof(when))) :
			    json_null());
	json_object_set_new(ev, "until", json_string(util__rfc3339(now, when, sizeof(when))));
	json_object_set_new(ev, "reason", json_string("denials over the subject's rate limit"));
	audit__emit(&d.audit, ev, 0);
	ret = gate__set_deny_reported(d.gate, subject, r->suppressed);
	if (ret)
		pr_warn("cannot store the reported suppressed count of subject %u: %s", subject,
			strerror(-ret));
	return 0;
}

void check_suppressed(void)
{
	uint64_t stats[JG_STAT_MAX] = { 0 };
	int64_t now = util__realtime_ns();

	/* the map walk only when the kernel suppressed something since the last one */
	if (gate__stats(d.gate, stats) || stats[JG_STAT_SUPPRESSED] == d.suppressed_seen)
		return;
	gate__for_each_deny(d.gate, suppressed_one, &now);
	d.suppressed_seen = stats[JG_STAT_SUPPRESSED];
	d.suppressed_checked_ns = now;
}
