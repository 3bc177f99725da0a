// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Schedules: weekly windows in a time zone plus a date range. See schedule.h.
 *
 * Local times come from the system zone database by switching the process's TZ for the
 * duration of one call (the daemon is single-threaded). Windows are walked in local wall
 * time and only their ends are turned back into unix times, so a window keeps its wall-clock
 * length across daylight-saving changes: "Sun 01:00-04:00" lasts two real hours on a
 * spring-forward day and four on a fall-back day. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "policy/schedule.h"

#define LOOKAHEAD_DAYS 8
#define DAY_SECS 86400

/* ---- process time zone ---- */

struct tz_saved {
	char *old;		/* copy of the previous TZ value */
	bool had;		/* TZ was set */
};

/* Evaluate in zone (NULL = UTC) until tz_leave(). Fails only without memory for the copy
 * of the previous value, which must survive setenv(). */
static int tz_enter(const char *zone, struct tz_saved *sv)
{
	const char *old = getenv("TZ");

	sv->had = old != NULL;
	sv->old = NULL;
	if (old && !(sv->old = strdup(old)))
		return -ENOMEM;
	if (setenv("TZ", zone ? zone : "UTC0", 1)) {
		free(sv->old);
		return -errno;
	}
	tzset();
	return 0;
}

static void tz_leave(struct tz_saved *sv)
{
	if (sv->had)
		setenv("TZ", sv->old, 1);
	else
		unsetenv("TZ");
	free(sv->old);
	sv->old = NULL;
	tzset();
}

/* ---- local wall time <-> unix time (inside tz_enter) ---- */

/* Local wall time of t as seconds on a UTC-like scale (t + its UTC offset). */
static int64_t wall_secs(int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!localtime_r(&tt, &tm))
		return t;
	return t + tm.tm_gmtoff;
}

/* The first unix time > after whose local wall time is `want` (fields may be out of range,
 * e.g. tm_mday + 3 or tm_hour 24). In a fall-back overlap that is the next occurrence; a
 * wall time skipped by a spring-forward gap maps forward to the end of the gap, the first
 * instant that is on the clock at or after it. INT64_MIN when that is not after `after`. */
static int64_t wall_to_unix(const struct tm *want, int64_t after)
{
	static const int isdst[] = { -1, 0, 1 };
	struct tm norm = *want;
	int64_t w, best = INT64_MAX;
	bool seen = false;
	time_t t;

	norm.tm_isdst = 0;
	w = (int64_t)timegm(&norm);	/* normalises the fields; w is the wall time wanted */
	for (size_t k = 0; k < sizeof(isdst) / sizeof(isdst[0]); k++) {
		struct tm tm = norm;

		tm.tm_isdst = isdst[k];
		t = mktime(&tm);
		if (t == (time_t)-1)
			continue;
		if (wall_secs(t) != w)
			continue;
		seen = true;
		if (t > after && t < best)
			best = t;
	}
	if (best != INT64_MAX)
		return best;
	if (seen)
		return INT64_MIN;

	/* A gap. mktime places the time past the jump (by the gap's length with glibc);
	 * look for the jump itself: the first instant whose wall time is >= w. No zone
	 * changes its clock twice in a day, so over the day before it wall time only grows. */
	struct tm tm = norm;

	tm.tm_isdst = -1;
	t = mktime(&tm);
	int64_t lo = (int64_t)t - DAY_SECS, hi = (int64_t)t;

	if (wall_secs(hi) < w || wall_secs(lo) >= w)
		return hi > after ? hi : INT64_MIN;
	while (hi - lo > 1) {	/* wall_secs(lo) < w <= wall_secs(hi) */
		int64_t mid = lo + (hi - lo) / 2;

		if (wall_secs(mid) >= w)
			hi = mid;
		else
			lo = mid;
	}
	return hi > after ? hi : INT64_MIN;
}

/* Weekday (0 = Monday) and minute of the local time t; tm gets the broken-down time. */
static bool local_day_minute(int64_t t, struct tm *tm, int *wday, int *minute)
{
	time_t tt = (time_t)t;

	if (!localtime_r(&tt, tm))
		return false;
	*wday = (tm->tm_wday + 6) % 7;
	*minute = tm->tm_hour * 60 + tm->tm_min;
	return true;
}

/* The latest end of a window holding (wday, minute), or -1 when none holds it. */
static int covering_end(const struct jg_schedule *s, int wday, int minute)
{
	int end = -1;

	for (size_t k = 0; k < s->nwindows; k++)
		if (window__contains(&s->windows[k], wday, minute) && s->windows[k].end_min > end)
			end = s->windows[k].end_min;
	return end;
}

static bool in_range(const struct jg_schedule *s, int64_t t)
{
	return (!s->not_before || t >= s->not_before) && (!s->not_after || t < s->not_after);
}

/* schedule__contains with the zone already entered. */
static bool contains_local(const struct jg_schedule *s, int64_t now, int64_t *until)
{
	struct tm tm;
	int wday, minute, end, day = 0;
	int64_t u;

	if (!in_range(s, now))
		return false;
	if (!s->nwindows) {
		if (until)
			*until = s->not_after ? s->not_after : INT64_MAX;
		return true;
	}
	if (!local_day_minute(now, &tm, &wday, &minute))
		return false;
	if ((end = covering_end(s, wday, minute)) < 0)
		return false;
	if (!until)
		return true;

	/* Overlapping windows merge. A window cannot cross midnight, so one ending at 24:00
	 * continues into one starting at 00:00 the next day. Windows that merely touch within
	 * a day stay apart: they are shifts, and a grant of one shift ends with it. */
	minute = end;
	for (;;) {
		if (minute == 24 * 60) {
			if (day + 1 > LOOKAHEAD_DAYS ||
			    (end = covering_end(s, (wday + day + 1) % 7, 0)) < 0)
				break;
			day++;
			minute = end;
			continue;
		}
		end = covering_end(s, (wday + day) % 7, minute - 1);
		if (end <= minute)
			break;
		minute = end;
	}
	tm.tm_mday += day;
	tm.tm_hour = minute / 60;
	tm.tm_min = minute % 60;
	tm.tm_sec = 0;
	u = wall_to_unix(&tm, now);
	if (u <= now)		/* cannot be: the walk only went forward */
		u = now + 1;
	if (u > now + (int64_t)LOOKAHEAD_DAYS * DAY_SECS)
		u = now + (int64_t)LOOKAHEAD_DAYS * DAY_SECS;
	if (s->not_after && u > s->not_after)
		u = s->not_after;
	*until = u;
	return true;
}

bool schedule__contains(const struct jg_schedule *s, int64_t now, int64_t *until)
{
	struct tz_saved sv;
	bool in;

	if (!s->nwindows)	/* no local time needed */
		return contains_local(s, now, until);
	if (tz_enter(s->timezone, &sv))
		return false;
	in = contains_local(s, now, until);
	tz_leave(&sv);
	return in;
}

/* schedule__next_start with the zone entered: the earliest of `start` itself and the local
 * starts of windows in the next days that really are inside the schedule (a start may fall
 * into a gap that swallows its whole window, or outside the date range). */
static int64_t next_start_local(const struct jg_schedule *s, int64_t start, int64_t limit)
{
	struct tm tm0;
	int wday, minute;
	int64_t best = 0;

	if (contains_local(s, start, NULL))
		return start;
	if (!local_day_minute(start, &tm0, &wday, &minute))
		return 0;
	for (int day = 0; day <= LOOKAHEAD_DAYS + 1; day++) {
		for (size_t k = 0; k < s->nwindows; k++) {
			const struct jg_window *w = &s->windows[k];
			struct tm tm = tm0;
			int64_t t;

			if (!(w->days & (1u << ((wday + day) % 7))))
				continue;
			tm.tm_mday += day;
			tm.tm_hour = w->start_min / 60;
			tm.tm_min = w->start_min % 60;
			tm.tm_sec = 0;
			t = wall_to_unix(&tm, start - 1);
			if (t < start || t > limit || (best && t >= best) ||
			    !contains_local(s, t, NULL))
				continue;
			best = t;
		}
	}
	return best;
}

int64_t schedule__next_start(const struct jg_schedule *s, int64_t now)
{
	int64_t start = now + 1, limit, t;
	struct tz_saved sv;

	/* The lookahead counts from when the date range opens: a role that starts next month
	 * gets its first window after that, not a 0. */
	if (s->not_before > start)
		start = s->not_before;
	if (s->not_after && start >= s->not_after)
		return 0;
	limit = start + (int64_t)LOOKAHEAD_DAYS * DAY_SECS;
	if (!s->nwindows)
		return start;
	if (tz_enter(s->timezone, &sv))
		return 0;
	t = next_start_local(s, start, limit);
	tz_leave(&sv);
	return t;
}

/* ---- text ---- */

/* snprintf at buf + *n that keeps *n at most len - 1 when the text does not fit. */
__attribute__((format(printf, 4, 5)))
static void put(char *buf, size_t len, size_t *n, const char *fmt, ...)
{
	va_list ap;
	int r;

	if (*n + 1 >= len)
		return;
	va_start(ap, fmt);
	r = vsnprintf(buf + *n, len - *n, fmt, ap);
	va_end(ap);
	if (r < 0)
		return;
	*n = *n + (size_t)r < len ? *n + (size_t)r : len - 1;
}

static const char *const day_names[7] = { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" };

/* Days as "Mon-Fri", "Sat", "Mon,Wed"; a run over Sunday into Monday is written as one,
 * last: "Wed,Fri-Mon". */
static void put_days(char *buf, size_t len, size_t *n, uint8_t days)
{
	int a[7], b[7], runs = 0;

	days &= 0x7f;
	if (days == 0x7f) {
		put(buf, len, n, "Mon-Sun");
		return;
	}
	for (int d = 0; d < 7; d++) {
		if (!(days & (1u << d)))
			continue;
		if (runs && b[runs - 1] == d - 1) {
			b[runs - 1] = d;
		} else {
			a[runs] = b[runs] = d;
			runs++;
		}
	}
	if (runs > 1 && a[0] == 0 && b[runs - 1] == 6) {
		b[runs - 1] = b[0];
		memmove(a, a + 1, sizeof(a[0]) * (size_t)(runs - 1));
		memmove(b, b + 1, sizeof(b[0]) * (size_t)(runs - 1));
		runs--;
	}
	for (int k = 0; k < runs; k++) {
		put(buf, len, n, "%s%s", k ? "," : "", day_names[a[k]]);
		if (a[k] != b[k])
			put(buf, len, n, "-%s", day_names[b[k]]);
	}
}

/* A UTC date for the range: the date alone at midnight, else date and time. not_after is an
 * exclusive bound, so at midnight its previous day is the last one included. */
static void put_date(char *buf, size_t len, size_t *n, int64_t t, bool is_end)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t % DAY_SECS == 0) {
		if (is_end)
			tt -= DAY_SECS;
		gmtime_r(&tt, &tm);
		put(buf, len, n, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
		return;
	}
	gmtime_r(&tt, &tm);
	put(buf, len, n, "%04d-%02d-%02d %02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
	    tm.tm_mday, tm.tm_hour, tm.tm_min);
	if (tm.tm_sec)
		put(buf, len, n, ":%02d", tm.tm_sec);
	put(buf, len, n, " UTC");
}

char *schedule__describe(const struct jg_schedule *s, char *buf, size_t len)
{
	size_t n = 0;

	if (!buf || !len)
		return buf;
	buf[0] = '\0';
	for (size_t k = 0; k < s->nwindows; k++) {
		const struct jg_window *w = &s->windows[k];

		if (k)
			put(buf, len, &n, ", ");
		put_days(buf, len, &n, w->days);
		put(buf, len, &n, " %02d:%02d-%02d:%02d", w->start_min / 60, w->start_min % 60,
		    w->end_min / 60, w->end_min % 60);
	}
	if (s->nwindows)
		put(buf, len, &n, " %s", s->timezone ? s->timezone : "UTC");
	if (s->not_before) {
		put(buf, len, &n, "%sfrom ", n ? ", " : "");
		put_date(buf, len, &n, s->not_before, false);
	}
	if (s->not_after) {
		put(buf, len, &n, "%s%s ", n ? (s->not_before ? " " : ", ") : "",
		    s->not_before ? "to" : "until");
		put_date(buf, len, &n, s->not_after, true);
	}
	if (!n)
		put(buf, len, &n, "always");
	return buf;
}

char *schedule__local_time(const struct jg_schedule *s, int64_t t, char *buf, size_t len)
{
	struct tz_saved sv;
	time_t tt = (time_t)t;
	struct tm tm;

	if (!buf || !len)
		return buf;
	buf[0] = '\0';
	if (tz_enter(s ? s->timezone : NULL, &sv))
		return buf;
	if (localtime_r(&tt, &tm) && !strftime(buf, len, "%a %Y-%m-%d %H:%M %Z", &tm))
		buf[0] = '\0';
	tz_leave(&sv);
	return buf;
}
