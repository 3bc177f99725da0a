// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Schedules: windows and their boundaries, wrapping day ranges, 24:00, windows that continue
 * each other, the date range, both daylight-saving changes of Europe/Berlin in 2026 and one
 * of America/New_York, descriptions, and that the process's TZ is left as it was. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "policy/policy.h"
#include "policy/schedule.h"

/* ---- helpers ---- */

/* Unix time of an RFC 3339 time or a date. */
static int64_t T(const char *text)
{
	char err[256] = "";
	int64_t t = 0;

	cr_assert_eq(timestamp__parse(text, false, &t, err, sizeof(err)), 0, "%s", err);
	return t;
}

/* A schedule in zone (NULL = UTC) from window texts, the list ending with NULL. */
static struct jg_schedule *mk(const char *zone, ...)
{
	static struct jg_window win[JG_MAX_WINDOWS];
	static struct jg_schedule s;
	char err[256] = "";
	const char *text;
	va_list ap;

	memset(&s, 0, sizeof(s));
	s.timezone = (char *)zone;
	s.windows = win;
	va_start(ap, zone);
	while ((text = va_arg(ap, const char *))) {
		cr_assert_lt(s.nwindows, JG_MAX_WINDOWS);
		cr_assert_eq(window__parse(text, &win[s.nwindows], err, sizeof(err)), 0, "%s", err);
		s.nwindows++;
	}
	va_end(ap);
	return &s;
}

static void in(const struct jg_schedule *s, const char *now, const char *until)
{
	int64_t u = 12345;

	cr_assert(schedule__contains(s, T(now), &u), "%s not inside", now);
	cr_assert_eq(u, T(until), "at %s until %lld, want %s (%lld)", now, (long long)u, until,
		     (long long)T(until));
	cr_assert(schedule__contains(s, T(now), NULL), "%s not inside without until", now);
}

static void out(const struct jg_schedule *s, const char *now)
{
	int64_t u = 12345;

	cr_assert_not(schedule__contains(s, T(now), &u), "%s inside", now);
	cr_assert_eq(u, 12345, "until set outside");
}

static void next(const struct jg_schedule *s, const char *now, const char *want)
{
	int64_t t = schedule__next_start(s, T(now));

	cr_assert_eq(t, want ? T(want) : 0, "next start after %s: %lld, want %s", now,
		     (long long)t, want ? want : "0");
}

static void describes(const struct jg_schedule *s, const char *want)
{
	char buf[256];

	cr_assert_str_eq(schedule__describe(s, buf, sizeof(buf)), want);
}

/* 2026-11-23 is a Monday. */

/* ---- windows in UTC ---- */

Test(schedule, weekdays_utc)
{
	struct jg_schedule *s = mk(NULL, "Mon-Fri 08:00-18:00", NULL);

	in(s, "2026-11-23T08:00:00Z", "2026-11-23T18:00:00Z");	/* start inclusive */
	in(s, "2026-11-23T12:34:56Z", "2026-11-23T18:00:00Z");
	in(s, "2026-11-23T17:59:59Z", "2026-11-23T18:00:00Z");
	out(s, "2026-11-23T18:00:00Z");				/* end exclusive */
	out(s, "2026-11-23T07:59:59Z");
	in(s, "2026-11-27T09:00:00Z", "2026-11-27T18:00:00Z");	/* Friday */
	out(s, "2026-11-28T09:00:00Z");				/* Saturday */
	out(s, "2026-11-29T09:00:00Z");
}

Test(schedule, wrapping_days)
{
	struct jg_schedule *s = mk(NULL, "Fri-Mon 10:00-11:00", NULL);

	in(s, "2026-11-27T10:00:00Z", "2026-11-27T11:00:00Z");	/* Fri */
	in(s, "2026-11-28T10:30:00Z", "2026-11-28T11:00:00Z");	/* Sat */
	in(s, "2026-11-29T10:30:00Z", "2026-11-29T11:00:00Z");	/* Sun */
	in(s, "2026-11-30T10:59:00Z", "2026-11-30T11:00:00Z");	/* Mon */
	out(s, "2026-12-01T10:30:00Z");				/* Tue */
	out(s, "2026-11-26T10:30:00Z");				/* Thu */
	next(s, "2026-11-30T11:00:00Z", "2026-12-04T10:00:00Z");	/* Mon after -> Fri */
}

Test(schedule, end_of_day)
{
	struct jg_schedule *s = mk(NULL, "Sat 20:00-24:00", NULL);

	in(s, "2026-11-28T20:00:00Z", "2026-11-29T00:00:00Z");
	in(s, "2026-11-28T23:59:59Z", "2026-11-29T00:00:00Z");
	out(s, "2026-11-29T00:00:00Z");
	out(s, "2026-11-28T19:59:59Z");
}

Test(schedule, list_of_days)
{
	struct jg_schedule *s = mk(NULL, "Mon,Wed 09:00-10:00", NULL);

	in(s, "2026-11-23T09:00:00Z", "2026-11-23T10:00:00Z");
	out(s, "2026-11-24T09:00:00Z");
	in(s, "2026-11-25T09:00:00Z", "2026-11-25T10:00:00Z");
	next(s, "2026-11-23T10:00:00Z", "2026-11-25T09:00:00Z");
	next(s, "2026-11-23T09:30:00Z", "2026-11-23T09:30:01Z");	/* available: at once */

	/* a window earlier that day is over, a later one is next */
	s = mk(NULL, "Mon 09:00-10:00", "Mon 11:00-12:00", NULL);
	next(s, "2026-11-23T10:30:00Z", "2026-11-23T11:00:00Z");
	next(s, "2026-11-23T12:00:00Z", "2026-11-30T09:00:00Z");
}

/* ---- windows that continue each other ---- */

Test(schedule, contiguous_over_midnight)
{
	struct jg_schedule *s = mk("Europe/Berlin", "Mon-Fri 22:00-24:00", "Tue-Sat 00:00-06:00",
				   NULL);

	/* Mon 23:00 CET: until Tue 06:00 CET */
	in(s, "2026-11-23T22:00:00Z", "2026-11-24T05:00:00Z");
	in(s, "2026-11-23T21:00:00Z", "2026-11-24T05:00:00Z");	/* Mon 22:00 */
	out(s, "2026-11-23T20:59:59Z");
	in(s, "2026-11-24T04:00:00Z", "2026-11-24T05:00:00Z");	/* Tue 05:00 */
	out(s, "2026-11-24T05:00:00Z");				/* Tue 06:00 */
	in(s, "2026-11-27T22:30:00Z", "2026-11-28T05:00:00Z");	/* Fri 23:30 -> Sat 06:00 */
	out(s, "2026-11-22T22:30:00Z");				/* Sun 23:30 */
	out(s, "2026-11-23T01:00:00Z");				/* Mon 02:00: no Sun night */
}

Test(schedule, overlapping_windows)
{
	struct jg_schedule *s = mk(NULL, "Mon 08:00-12:00", "Mon 11:00-14:00", "Mon 14:00-15:00",
				   NULL);

	/* 08-12 and 11-14 overlap and merge; 14-15 only touches: another shift */
	in(s, "2026-11-23T09:00:00Z", "2026-11-23T14:00:00Z");
	in(s, "2026-11-23T11:30:00Z", "2026-11-23T14:00:00Z");
	in(s, "2026-11-23T14:00:00Z", "2026-11-23T15:00:00Z");
	out(s, "2026-11-23T15:00:00Z");
}

Test(schedule, gap_of_a_minute_stops)
{
	struct jg_schedule *s = mk(NULL, "Mon 08:00-12:00", "Mon 12:01-14:00", NULL);

	in(s, "2026-11-23T09:00:00Z", "2026-11-23T12:00:00Z");
	out(s, "2026-11-23T12:00:30Z");
	next(s, "2026-11-23T12:00:30Z", "2026-11-23T12:01:00Z");
}

Test(schedule, lookahead_is_eight_days)
{
	struct jg_schedule *s = mk("Europe/Berlin", "Mon-Sun 00:00-24:00", NULL);
	int64_t now = T("2026-11-23T10:00:00Z"), u;

	cr_assert(schedule__contains(s, now, &u));
	cr_assert_eq(u, now + 8 * 86400);

	s->not_after = T("2026-11-25T00:00:00Z");
	in(s, "2026-11-23T10:00:00Z", "2026-11-25T00:00:00Z");
}

/* ---- the date range ---- */

Test(schedule, date_range_only)
{
	struct jg_schedule *s = mk(NULL, NULL);
	int64_t u;

	s->not_before = T("2026-03-01");
	s->not_after = T("2026-04-01");
	out(s, "2026-02-28T23:59:59Z");
	in(s, "2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z");
	in(s, "2026-03-31T23:59:59Z", "2026-04-01T00:00:00Z");
	out(s, "2026-04-01T00:00:00Z");
	next(s, "2026-02-20T00:00:00Z", "2026-03-01T00:00:00Z");
	next(s, "2026-03-10T00:00:00Z", "2026-03-10T00:00:01Z");	/* available: at once */
	next(s, "2026-03-31T23:59:59Z", NULL);
	next(s, "2026-05-01T00:00:00Z", NULL);

	s->not_before = s->not_after = 0;		/* no bounds at all */
	cr_assert(schedule__contains(s, T("2026-01-01"), &u));
	cr_assert_eq(u, INT64_MAX);
	s->not_before = T("2026-03-01");
	cr_assert(schedule__contains(s, T("2030-01-01"), &u));
	cr_assert_eq(u, INT64_MAX);
}

Test(schedule, date_range_with_windows)
{
	struct jg_schedule *s = mk(NULL, "Mon-Fri 08:00-18:00", NULL);

	s->not_before = T("2026-11-24T12:00:00Z");
	s->not_after = T("2026-11-26T10:00:00Z");
	out(s, "2026-11-23T09:00:00Z");				/* before the range */
	out(s, "2026-11-24T11:59:59Z");
	in(s, "2026-11-24T12:00:00Z", "2026-11-24T18:00:00Z");
	in(s, "2026-11-26T09:00:00Z", "2026-11-26T10:00:00Z");	/* capped at not_after */
	out(s, "2026-11-26T10:00:00Z");
	next(s, "2026-11-23T09:00:00Z", "2026-11-24T12:00:00Z");	/* mid-window at not_before */
	next(s, "2026-11-24T18:00:00Z", "2026-11-25T08:00:00Z");
	next(s, "2026-11-26T10:00:00Z", NULL);			/* over */
	next(s, "2026-11-01T00:00:00Z", "2026-11-24T12:00:00Z");	/* weeks before */

	/* the next window is after not_after */
	s = mk(NULL, "Mon 09:00-10:00", NULL);
	s->not_after = T("2026-11-29");
	next(s, "2026-11-23T10:00:00Z", NULL);
	s->not_after = T("2026-11-30T09:30:00Z");
	next(s, "2026-11-23T10:00:00Z", "2026-11-30T09:00:00Z");
	in(s, "2026-11-30T09:00:00Z", "2026-11-30T09:30:00Z");
}

/* ---- daylight saving ---- */

Test(schedule, berlin_spring_forward)
{
	/* 2026-03-29 02:00 CET -> 03:00 CEST at 01:00Z: the window has two real hours */
	struct jg_schedule *s = mk("Europe/Berlin", "Sun 01:00-04:00", NULL);

	out(s, "2026-03-28T23:59:59Z");				/* 00:59:59 CET */
	in(s, "2026-03-29T00:00:00Z", "2026-03-29T02:00:00Z");	/* 01:00 CET .. 04:00 CEST */
	in(s, "2026-03-29T00:59:59Z", "2026-03-29T02:00:00Z");	/* 01:59:59 CET */
	in(s, "2026-03-29T01:00:00Z", "2026-03-29T02:00:00Z");	/* 03:00 CEST */
	out(s, "2026-03-29T02:00:00Z");
	next(s, "2026-03-28T12:00:00Z", "2026-03-29T00:00:00Z");
	next(s, "2026-03-29T02:00:00Z", "2026-04-04T23:00:00Z");	/* 01:00 CEST next week */

	/* an end inside the gap is the jump itself: 02:30 never comes */
	s = mk("Europe/Berlin", "Sun 01:00-02:30", NULL);
	in(s, "2026-03-29T00:30:00Z", "2026-03-29T01:00:00Z");
	out(s, "2026-03-29T01:00:00Z");

	/* so is a start inside it */
	s = mk("Europe/Berlin", "Sun 02:30-04:00", NULL);
	next(s, "2026-03-28T12:00:00Z", "2026-03-29T01:00:00Z");
	in(s, "2026-03-29T01:00:00Z", "2026-03-29T02:00:00Z");
	out(s, "2026-03-29T00:59:59Z");

	/* a window the gap swallows whole does not happen that day */
	s = mk("Europe/Berlin", "Sun 02:10-02:40", "Mon 09:00-10:00", NULL);
	next(s, "2026-03-28T12:00:00Z", "2026-03-30T07:00:00Z");
	s = mk("Europe/Berlin", "Sun 02:10-02:40", NULL);
	next(s, "2026-03-28T12:00:00Z", "2026-04-05T00:10:00Z");	/* a week later */
}

Test(schedule, berlin_fall_back)
{
	/* 2026-10-25 03:00 CEST -> 02:00 CET at 01:00Z: the window has four real hours */
	struct jg_schedule *s = mk("Europe/Berlin", "Sun 01:00-04:00", NULL);

	out(s, "2026-10-24T22:59:59Z");				/* 00:59:59 CEST */
	in(s, "2026-10-24T23:00:00Z", "2026-10-25T03:00:00Z");	/* 01:00 CEST .. 04:00 CET */
	in(s, "2026-10-25T00:59:59Z", "2026-10-25T03:00:00Z");
	in(s, "2026-10-25T01:00:00Z", "2026-10-25T03:00:00Z");	/* 02:00 CET, again */
	out(s, "2026-10-25T03:00:00Z");
	next(s, "2026-10-24T12:00:00Z", "2026-10-24T23:00:00Z");

	/* a window inside the repeated hour happens twice */
	s = mk("Europe/Berlin", "Sun 02:00-02:30", NULL);
	in(s, "2026-10-25T00:00:00Z", "2026-10-25T00:30:00Z");	/* 02:00 CEST */
	out(s, "2026-10-25T00:30:00Z");
	next(s, "2026-10-25T00:30:00Z", "2026-10-25T01:00:00Z");	/* 02:00 CET */
	in(s, "2026-10-25T01:10:00Z", "2026-10-25T01:30:00Z");
	out(s, "2026-10-25T01:30:00Z");

	/* contiguous windows across the change */
	s = mk("Europe/Berlin", "Sat 22:00-24:00", "Sun 00:00-06:00", NULL);
	in(s, "2026-10-24T21:00:00Z", "2026-10-25T05:00:00Z");	/* 23:00 CEST .. 06:00 CET */
}

Test(schedule, new_york)
{
	/* 2026-03-08 02:00 EST -> 03:00 EDT; 2026-11-01 02:00 EDT -> 01:00 EST */
	struct jg_schedule *s = mk("America/New_York", "Mon-Fri 09:00-17:00", NULL);

	in(s, "2026-03-06T14:00:00Z", "2026-03-06T22:00:00Z");	/* Fri, EST */
	out(s, "2026-03-06T13:59:59Z");
	in(s, "2026-03-09T13:00:00Z", "2026-03-09T21:00:00Z");	/* Mon, EDT */
	out(s, "2026-03-09T21:00:00Z");
	next(s, "2026-03-06T22:00:00Z", "2026-03-09T13:00:00Z");	/* over the change */
	next(s, "2026-10-30T21:00:00Z", "2026-11-02T14:00:00Z");	/* and back */

	s = mk("America/New_York", "Sun 01:00-04:00", NULL);
	in(s, "2026-03-08T06:00:00Z", "2026-03-08T08:00:00Z");	/* two hours */
	in(s, "2026-11-01T05:00:00Z", "2026-11-01T09:00:00Z");	/* four hours */
	out(s, "2026-11-01T09:00:00Z");
}

Test(schedule, zones_east_of_utc_change_the_day)
{
	/* Mon 00:30 in Tokyo is Sun 15:30Z */
	struct jg_schedule *s = mk("Asia/Tokyo", "Mon 00:00-01:00", NULL);

	in(s, "2026-11-22T15:30:00Z", "2026-11-22T16:00:00Z");
	out(s, "2026-11-23T00:30:00Z");
}

/* ---- text ---- */

Test(schedule, describe)
{
	struct jg_schedule *s = mk("Europe/Berlin", "Mon-Fri 08:00-18:00", "Sat 10:00-12:00", NULL);

	describes(s, "Mon-Fri 08:00-18:00, Sat 10:00-12:00 Europe/Berlin");
	s->not_before = T("2026-03-01");
	s->not_after = T("2026-04-01");			/* "2026-03-31" in a policy */
	describes(s, "Mon-Fri 08:00-18:00, Sat 10:00-12:00 Europe/Berlin, from 2026-03-01 to "
		  "2026-03-31");
	s->not_before = 0;
	describes(s, "Mon-Fri 08:00-18:00, Sat 10:00-12:00 Europe/Berlin, until 2026-03-31");
	s->not_before = T("2026-03-01T09:30:00+01:00");
	s->not_after = 0;
	describes(s, "Mon-Fri 08:00-18:00, Sat 10:00-12:00 Europe/Berlin, from 2026-03-01 "
		  "08:30 UTC");
	s->not_after = T("2026-03-31T12:00:05Z");
	describes(s, "Mon-Fri 08:00-18:00, Sat 10:00-12:00 Europe/Berlin, from 2026-03-01 "
		  "08:30 UTC to 2026-03-31 12:00:05 UTC");

	describes(mk(NULL, "Mon,Wed 09:00-10:00", NULL), "Mon,Wed 09:00-10:00 UTC");
	describes(mk(NULL, "Sat 20:00-24:00", NULL), "Sat 20:00-24:00 UTC");
	describes(mk(NULL, "Fri-Mon 22:00-24:00", NULL), "Fri-Mon 22:00-24:00 UTC");
	describes(mk(NULL, "Mon-Sun 00:00-24:00", NULL), "Mon-Sun 00:00-24:00 UTC");
	describes(mk(NULL, "Mon-Wed,Fri 00:00-00:01", NULL), "Mon-Wed,Fri 00:00-00:01 UTC");
	describes(mk(NULL, "Mon,Wed,Sat-Sun 07:05-07:10", NULL), "Wed,Sat-Mon 07:05-07:10 UTC");
	describes(mk(NULL, "Sun 01:00-02:00", NULL), "Sun 01:00-02:00 UTC");

	s = mk("Europe/Berlin", NULL);
	describes(s, "always");
	s->not_before = T("2026-03-01");
	s->not_after = T("2026-03-02");
	describes(s, "from 2026-03-01 to 2026-03-01");
}

Test(schedule, describe_truncates)
{
	struct jg_schedule *s = mk("Europe/Berlin", "Mon-Fri 08:00-18:00", NULL);
	char buf[10];

	memset(buf, 'x', sizeof(buf));
	cr_assert_str_eq(schedule__describe(s, buf, sizeof(buf)), "Mon-Fri 0");
}

Test(schedule, local_time)
{
	char buf[64];

	cr_assert_str_eq(schedule__local_time(mk("Europe/Berlin", NULL), T("2026-11-21T09:00:00Z"),
					      buf, sizeof(buf)), "Sat 2026-11-21 10:00 CET");
	cr_assert_str_eq(schedule__local_time(mk("Europe/Berlin", NULL), T("2026-03-29T01:00:00Z"),
					      buf, sizeof(buf)), "Sun 2026-03-29 03:00 CEST");
	cr_assert_str_eq(schedule__local_time(mk(NULL, NULL), T("2026-11-21T09:00:00Z"), buf,
					      sizeof(buf)), "Sat 2026-11-21 09:00 UTC");
	cr_assert_str_eq(schedule__local_time(mk("America/New_York", NULL),
					      T("2026-11-01T05:30:00Z"), buf, sizeof(buf)),
			 "Sun 2026-11-01 01:30 EDT");
	cr_assert_str_eq(schedule__local_time(mk("America/New_York", NULL),
					      T("2026-11-01T06:30:00Z"), buf, sizeof(buf)),
			 "Sun 2026-11-01 01:30 EST");
}

/* ---- the process's TZ ---- */

static void use_all(void)
{
	struct jg_schedule *s = mk("America/New_York", "Mon-Fri 09:00-17:00", NULL);
	char buf[128];
	int64_t u;

	schedule__contains(s, T("2026-11-23T15:00:00Z"), &u);
	schedule__next_start(s, T("2026-11-23T23:00:00Z"));
	schedule__local_time(s, T("2026-11-23T15:00:00Z"), buf, sizeof(buf));
	schedule__describe(s, buf, sizeof(buf));
	s = mk(NULL, "Mon 09:00-17:00", NULL);
	schedule__contains(s, T("2026-11-23T15:00:00Z"), &u);
	schedule__local_time(s, T("2026-11-23T15:00:00Z"), buf, sizeof(buf));
}

Test(schedule, tz_restored)
{
	time_t t = (time_t)T("2026-11-23T15:00:00Z");
	struct tm tm;

	setenv("TZ", "Asia/Tokyo", 1);
	tzset();
	use_all();
	cr_assert_str_eq(getenv("TZ"), "Asia/Tokyo");
	localtime_r(&t, &tm);
	cr_assert_eq(tm.tm_gmtoff, 9 * 3600);

	unsetenv("TZ");
	tzset();
	use_all();
	cr_assert_null(getenv("TZ"));

	setenv("TZ", "", 1);		/* set but empty is not the same as unset */
	tzset();
	use_all();
	cr_assert_str_eq(getenv("TZ"), "");
}

Test(schedule, from_a_policy)
{
	static const char policy[] =
		"{ \"version\": 1,\n"
		"  \"resources\": { \"db\": { \"files\": [\"/srv/db\"] } },\n"
		"  \"roles\": { \"oncall\": { \"allow\": { \"db\": [\"read\"] },\n"
		"      \"requesters\": [\"user:alice\"], \"approvers\": [\"user:bob\"],\n"
		"      \"schedule\": { \"timezone\": \"Europe/Berlin\",\n"
		"                    \"windows\": [\"Mon-Fri 22:00-24:00\", \"Tue-Sat 00:00-06:00\"],\n"
		"                    \"not_before\": \"2026-11-01\", \"not_after\": \"2026-11-30\" } } } }\n";
	struct jg_policy *p = NULL;
	char err[512] = "", buf[256];
	int64_t u;

	cr_assert_eq(policy__load_string(policy, "t.json", &p, err, sizeof(err)), 0, "%s", err);
	const struct jg_role *r = policy__role(p, "oncall");

	cr_assert(r && r->has_schedule);
	cr_assert(schedule__contains(&r->schedule, T("2026-11-23T22:00:00Z"), &u));
	cr_assert_eq(u, T("2026-11-24T05:00:00Z"));
	cr_assert_str_eq(schedule__describe(&r->schedule, buf, sizeof(buf)),
			 "Mon-Fri 22:00-24:00, Tue-Sat 00:00-06:00 Europe/Berlin, from 2026-11-01 "
			 "to 2026-11-30");
	policy__free(p);
}
