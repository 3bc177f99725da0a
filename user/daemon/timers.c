// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The daemon's tick: every 250 ms (CLOCK_BOOTTIME, so a suspend counts) the kernel events
 * are drained first, then what is due is done: expiries, the grant map's guard, refusal
 * summaries, the re-check's idling, notification hooks, loss accounting, SIEM sinks, the
 * sealed files and client deadlines. */
#include <sys/timerfd.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "daemon/daemon.h"

#define TICK_NS 250000000

int timers_open(void)
{
	int fd = timerfd_create(CLOCK_BOOTTIME, TFD_CLOEXEC);

	if (fd >= 0)
		timerfd_settime(fd, 0, &(struct itimerspec){ .it_interval = { 0, TICK_NS },
							      .it_value = { 0, TICK_NS } }, NULL);
	return fd;
}

void timers_tick(void)
{
	uint64_t ticks;

	if (read(d.timer_fd, &ticks, sizeof(ticks)) < 0)
		return;
	audit__flush(&d.audit);		/* a log that failed (disk full) takes its backlog */
	drain_events();	/* kernel events precede expiry */
	expire_grants(false);
	sessions__warn_due();
	sessions__sweep(false);
	grants_guard();		/* after expiry: the ledger's view is current */
	wf__refusals_flush(&d.refusals, util__realtime_ns(), false,
			   refusal_summary, NULL);
	expire_requests();
	recheck_idle();
	notify__reap(&d.notify);
	check_lost();
	check_suppressed();
	sink__tick();	/* reconnect, drain spools; never blocks */
	seal_tick();	/* rotated audit files, a compacted spool */
	clients_tick();
	metrics_tick();
	fleet_tick();	/* reconnect with backoff, poll the store */
}
