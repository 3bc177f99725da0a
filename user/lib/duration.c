// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Durations: "90s", "15m", "2h", "1d", "1h30m", "1d12h". See duration.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "lib/duration.h"

static const char units[] = "dhms";
static const uint64_t unit_secs[] = { 86400, 3600, 60, 1 };

__attribute__((format(printf, 4, 5)))
static int bad(const char *text, char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!err || !errlen)
		return -EINVAL;
	/* Quote at most 64 bytes of what was written; it may be anything. */
	n = snprintf(err, errlen, "invalid duration \"");
	for (const char *s = text; *s && n >= 0 && (size_t)n < errlen; s++) {
		unsigned char c = (unsigned char)*s;

		if (s - text >= 64) {
			n += snprintf(err + n, errlen - n, "...");
			break;
		}
		if (c < 0x20 || c == 0x7f || c == '"' || c == '\\')
			n += snprintf(err + n, errlen - n, "\\x%02x", c);
		else
			n += snprintf(err + n, errlen - n, "%c", c);
	}
	if (n >= 0 && (size_t)n < errlen)
		n += snprintf(err + n, errlen - n, "\": ");
	if (n >= 0 && (size_t)n < errlen) {
		va_start(ap, fmt);
		vsnprintf(err + n, errlen - n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

int duration__parse(const char *text, uint64_t *secs, char *err, size_t errlen)
{
	uint64_t total = 0;
	int last = -1;		/* index in units of the previous unit */
	bool too_long = false;
	const char *s = text;

	if (!text || !*text)
		return bad("", err, errlen, "it is empty; write e.g. 90s, 15m, 2h, 1d or 1h30m");
	for (const char *t = text; *t; t++)
		if (is_space(*t))
			return bad(text, err, errlen, "it must not contain spaces");
	if (*s == '-')
		return bad(text, err, errlen, "a duration cannot be negative");

	while (*s) {
		uint64_t v = 0;
		const char *digits = s;

		while (*s >= '0' && *s <= '9') {
			v = v * 10 + (uint64_t)(*s - '0');
			if (v > JG_DURATION_MAX)
				too_long = true, v = JG_DURATION_MAX + 1;
			s++;
		}
		if (s == digits) {
			if (strchr(units, *s))
				return bad(text, err, errlen, "expected a number before '%c'", *s);
			if (*s == '.' || *s == ',')
				return bad(text, err, errlen,
					   "fractions are not supported; write e.g. 1h30m, not 1.5h");
			return bad(text, err, errlen, "unexpected character '%c'; write e.g. 90s, "
				   "15m, 2h, 1d or 1h30m", *s);
		}
		if (!*s)
			return bad(text, err, errlen, "the number %.*s has no unit (use d, h, m or s)",
				   (int)(s - digits), digits);
		if (*s == '.' || *s == ',')
			return bad(text, err, errlen,
				   "fractions are not supported; write e.g. 1h30m, not 1.5h");

		const char *u = *s ? strchr(units, *s) : NULL;

		if (!u)
			return bad(text, err, errlen, "unknown unit '%c' (use d, h, m or s)", *s);
		int idx = (int)(u - units);

		if (idx == last)
			return bad(text, err, errlen, "the unit '%c' appears twice", *s);
		if (idx < last)
			return bad(text, err, errlen, "'%c' comes after '%c'; units go in the order "
				   "d, h, m, s", *s, units[last]);
		last = idx;
		s++;
		if (!too_long) {
			total += v * unit_secs[idx];	/* v <= MAX, so no overflow */
			if (total > JG_DURATION_MAX)
				too_long = true;
		}
	}
	if (too_long)
		return bad(text, err, errlen, "it is longer than the limit of %llud",
			   (unsigned long long)(JG_DURATION_MAX / 86400));
	if (total == 0)
		return bad(text, err, errlen, "a duration must be longer than zero");
	*secs = total;
	return 0;
}

char *duration__format(uint64_t secs, char *buf, size_t len)
{
	size_t n = 0;

	if (!buf || !len)
		return buf;
	buf[0] = '\0';
	if (secs == 0) {
		snprintf(buf, len, "0s");
		return buf;
	}
	for (int k = 0; k < 4; k++) {
		uint64_t v = secs / unit_secs[k];

		if (!v)
			continue;
		secs -= v * unit_secs[k];
		int w = snprintf(buf + n, len - n, "%llu%c", (unsigned long long)v, units[k]);

		if (w < 0 || (size_t)w >= len - n) {
			buf[n] = '\0';	/* no half units */
			break;
		}
		n += (size_t)w;
	}
	return buf;
}
