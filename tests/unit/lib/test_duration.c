// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "lib/duration.h"

static void ok(const char *text, uint64_t want)
{
	uint64_t secs = 12345;
	char err[256] = "";

	cr_assert_eq(duration__parse(text, &secs, err, sizeof(err)), 0, "'%s': %s", text, err);
	cr_assert_eq(secs, want, "'%s' -> %llu, want %llu", text, (unsigned long long)secs,
		     (unsigned long long)want);
}

static void bad(const char *text, const char *gist)
{
	uint64_t secs = 12345;
	char err[256] = "";

	cr_assert_eq(duration__parse(text, &secs, err, sizeof(err)), -EINVAL, "'%s' parsed",
		     text ? text : "(null)");
	cr_assert_eq(secs, 12345, "output changed on error");
	cr_assert(!strncmp(err, "invalid duration \"", 18), "'%s'", err);
	cr_assert(strstr(err, gist), "want '%s' in '%s'", gist, err);
	cr_assert(!strchr(err, '\n'));
}

Test(duration, valid)
{
	ok("90s", 90);
	ok("15m", 900);
	ok("2h", 7200);
	ok("1d", 86400);
	ok("1h30m", 5400);
	ok("1d12h", 129600);
	ok("1d2h3m4s", 86400 + 7200 + 180 + 4);
	ok("1s", 1);
	ok("120m", 7200);
	ok("0h30m", 1800);
	ok("007m", 420);
	ok("366d", JG_DURATION_MAX);
	ok("365d23h59m60s", JG_DURATION_MAX);
	ok("31622400s", JG_DURATION_MAX);
}

Test(duration, invalid)
{
	bad("", "it is empty");
	bad(NULL, "it is empty");
	bad("0s", "longer than zero");
	bad("0d0h0m0s", "longer than zero");
	bad("5", "the number 5 has no unit");
	bad("1h30", "the number 30 has no unit");
	bad("5x", "unknown unit 'x' (use d, h, m or s)");
	bad("5H", "unknown unit 'H'");
	bad("5ms", "expected a number before 's'");	/* no milliseconds */
	bad("1m1h", "'h' comes after 'm'; units go in the order d, h, m, s");
	bad("1s1d", "'d' comes after 's'");
	bad("1h1h", "the unit 'h' appears twice");
	bad("1h30m1h", "'h' comes after 'm'");
	bad("367d", "longer than the limit of 366d");
	bad("366d1s", "longer than the limit");
	bad("99999999999999999999999s", "longer than the limit");
	bad("18446744073709551617s", "longer than the limit");
	bad("9999999999999d", "longer than the limit");
	bad(" 5m", "must not contain spaces");
	bad("5m ", "must not contain spaces");
	bad("1h 30m", "must not contain spaces");
	bad("-5m", "cannot be negative");
	bad("+5m", "unexpected character '+'");
	bad("1.5h", "fractions are not supported");
	bad("h", "expected a number before 'h'");
	bad("1hm", "expected a number before 'm'");
	bad("5 m", "spaces");
	bad("\"5m\"", "unexpected character '\"'");
}

Test(duration, message_quotes_safely)
{
	uint64_t secs;
	char err[256];
	char long_text[300];

	memset(long_text, '7', sizeof(long_text) - 2);
	long_text[sizeof(long_text) - 2] = 'x';
	long_text[sizeof(long_text) - 1] = '\0';
	cr_assert_eq(duration__parse("1\n", &secs, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "\"1\\x0a\""), "%s", err);
	cr_assert_eq(duration__parse(long_text, &secs, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "...\""), "%s", err);
	/* no buffer, or a tiny one */
	cr_assert_eq(duration__parse("x", &secs, NULL, 0), -EINVAL);
	cr_assert_eq(duration__parse("x", &secs, err, 4), -EINVAL);
	cr_assert_eq(strlen(err), 3);
}

Test(duration, format)
{
	char buf[32];

	cr_assert_str_eq(duration__format(0, buf, sizeof(buf)), "0s");
	cr_assert_str_eq(duration__format(5400, buf, sizeof(buf)), "1h30m");
	cr_assert_str_eq(duration__format(90, buf, sizeof(buf)), "1m30s");
	cr_assert_str_eq(duration__format(86400, buf, sizeof(buf)), "1d");
	cr_assert_str_eq(duration__format(129600, buf, sizeof(buf)), "1d12h");
	cr_assert_str_eq(duration__format(90061, buf, sizeof(buf)), "1d1h1m1s");
	cr_assert_str_eq(duration__format(JG_DURATION_MAX, buf, sizeof(buf)), "366d");
	cr_assert_str_eq(duration__format(UINT64_MAX, buf, sizeof(buf)),
			 "213503982334601d7h15s");
	cr_assert_str_eq(duration__format(5400, buf, 4), "1h");	/* truncated at a unit */
	cr_assert_null(duration__format(1, NULL, 0));
}

Test(duration, round_trip)
{
	char buf[32];

	for (uint64_t s = 1; s <= JG_DURATION_MAX; s = s * 3 + 7) {
		uint64_t back = 0;
		char err[256];

		duration__format(s, buf, sizeof(buf));
		cr_assert_eq(duration__parse(buf, &back, err, sizeof(err)), 0, "%s: %s", buf, err);
		cr_assert_eq(back, s, "%s", buf);
	}
}
