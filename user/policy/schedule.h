/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* When a role (or its auto-approval) is available: weekly windows in a time zone plus an
 * optional fixed date range (struct jg_schedule, parsed in policy.c). Evaluated against the
 * system's zone database, so daylight-saving changes move the windows with the local clock. */
#ifndef JG_SCHEDULE_H
#define JG_SCHEDULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "policy/policy.h"

/* Is unix time `now` inside the schedule? When it is and until != NULL, *until is the unix
 * time at which availability ends: the end of the current window, followed through midnight
 * when it ends at 24:00 and a window starts at 00:00 the next day (Fri 22:00-24:00 then
 * Sat 00:00-06:00; at most 8 days ahead), and never later than not_after. Windows that
 * touch within a day (06:00-14:00, 14:00-22:00) are separate shifts and not followed. A schedule without windows is available over its
 * whole date range (*until = not_after, or INT64_MAX when unbounded). */
bool schedule__contains(const struct jg_schedule *s, int64_t now, int64_t *until);

/* The next unix time > now at which the schedule is available, or 0 when it never will be
 * again (date range over) or not within 8 days. The 8 days count from not_before when that
 * is later than now, so a date range that opens next month gives its first window. When the
 * schedule is available at now + 1, that is the answer. */
int64_t schedule__next_start(const struct jg_schedule *s, int64_t now);

/* For messages: "Mon-Fri 08:00-18:00, Sat 10:00-12:00 Europe/Berlin, from 2026-03-01 to
 * 2026-03-31" (UTC dates; the last day is the one before a not_after at UTC midnight, other
 * bounds show their UTC time; "until DATE" without not_before; "always" when there is
 * nothing to say). Truncated to len - 1 characters. Returns buf. */
char *schedule__describe(const struct jg_schedule *s, char *buf, size_t len);

/* Local time in the schedule's zone for messages: "Sat 2026-11-21 10:00 CET". Returns buf. */
char *schedule__local_time(const struct jg_schedule *s, int64_t t, char *buf, size_t len);

#endif
