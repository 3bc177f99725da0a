// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The pure parts of `jitgate history --fleet` (history.h). */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "fleet/history.h"
#include "lib/duration.h"

/* "YYYY-MM-DD", then optionally "THH:MM:SS" and "Z" or "+HH:MM"/"-HH:MM". */
static int parse_time(const char *s, int64_t *t)
{
	int y, mo, da, h = 0, mi = 0, se = 0, oh = 0, om = 0, n = 0;
	struct tm tm = { 0 }, chk;
	int64_t off = 0;
	time_t back;
	char sign;

	if (strlen(s) < 10 || !isdigit((unsigned char)s[0]) ||
	    sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &da, &n) != 3 || n != 10)
		return -EINVAL;
	s += 10;
	if (*s) {
		if ((*s != 'T' && *s != 't') || sscanf(s + 1, "%2d:%2d:%2d%n", &h, &mi, &se, &n) != 3 ||
		    n != 8)
			return -EINVAL;
		s += 9;
		if (*s == 'Z' || *s == 'z') {
			s++;
		} else if ((*s == '+' || *s == '-') &&
			   sscanf(s + 1, "%2d:%2d%n", &oh, &om, &n) == 2 && n == 5) {
			sign = *s;
			if (oh > 23 || om > 59)
				return -EINVAL;
			off = (int64_t)(oh * 3600 + om * 60) * (sign == '+' ? 1 : -1);
			s += 6;
		} else {
			return -EINVAL;
		}
		if (*s)
			return -EINVAL;
	}
	if (mo < 1 || mo > 12 || da < 1 || da > 31 || h > 23 || mi > 59 || se > 60 || y < 1970)
		return -EINVAL;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = da;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	/* timegm normalises 2026-02-30 into March: refuse what does not come back the same */
	back = timegm(&tm);
	gmtime_r(&back, &chk);
	if (chk.tm_mday != da || chk.tm_mon != mo - 1)
		return -EINVAL;
	*t = (int64_t)back - off;
	return 0;
}

int fleet__history_since(const char *text, int64_t now, int64_t *t, char *err, size_t errlen)
{
	uint64_t secs;
	char e[128];

	if (text && *text && isdigit((unsigned char)*text) && strlen(text) >= 10 &&
	    text[4] == '-') {
		if (!parse_time(text, t))
			return 0;
	} else if (text && *text && !duration__parse(text, &secs, e, sizeof(e))) {
		*t = now - (int64_t)secs;
		return 0;
	}
	snprintf(err, errlen, "--since '%.64s' must be a date (2026-11-01), an RFC 3339 time "
		 "(2026-11-01T08:00:00Z) or a duration ago (7d)", text ? text : "");
	return -EINVAL;
}

/* ---- printing */

static const char *str(json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));

	return v ? v : "";
}

/* s with control characters as '?' (the store's text is anyone's) */
static void put_clean(FILE *out, const char *s)
{
	for (; *s; s++)
		fputc(iscntrl((unsigned char)*s) ? '?' : *s, out);
}

static void put_time(FILE *out, json_t *v)
{
	time_t t;
	struct tm tm;
	char buf[32];

	if (!json_is_integer(v)) {
		fputs("?", out);
		return;
	}
	t = (time_t)json_integer_value(v);
	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%SZ", &tm);
	fputs(buf, out);
}

/* "bob, carol" of the decisions of one kind; false when there are none */
static bool names_of(FILE *out, json_t *decisions, const char *kind, const char *label)
{
	bool any = false;
	size_t i;
	json_t *d;

	json_array_foreach(decisions, i, d) {
		if (strcmp(str(d, "kind"), kind))
			continue;
		fprintf(out, any ? ", " : "    %-10s ", label);
		put_clean(out, str(d, "by"));
		any = true;
	}
	if (any)
		fputc('\n', out);
	return any;
}

static void print_activation(FILE *out, json_t *a)
{
	const char *state = str(a, "state");

	fputs("    ", out);
	put_clean(out, str(a, "host"));
	fprintf(out, "%*s", (int)(strlen(str(a, "host")) < 10 ? 11 - strlen(str(a, "host")) : 1),
		"");
	put_clean(out, state);
	fputc(' ', out);
	put_time(out, json_object_get(a, "at"));
	if (!strcmp(state, "active") && json_is_integer(json_object_get(a, "kernel_expiry"))) {
		fputs(" until ", out);
		put_time(out, json_object_get(a, "kernel_expiry"));
	}
	if (*str(a, "reason")) {
		fputs(": ", out);
		put_clean(out, str(a, "reason"));
	}
	fputc('\n', out);
}

void fleet__history_print(FILE *out, json_t *req)
{
	json_t *dec = json_object_get(req, "decisions"), *act = json_object_get(req, "activations");
	json_t *hosts = json_object_get(req, "hosts");
	char dur[32];
	size_t i;
	json_t *a;

	put_clean(out, str(req, "id"));
	fputs("  ", out);
	put_clean(out, str(req, "requester"));
	fputs("  role ", out);
	put_clean(out, str(req, "role"));
	fprintf(out, "  for %s  hosts ", duration__format(
		(uint64_t)json_integer_value(json_object_get(req, "duration")), dur, sizeof(dur)));
	put_clean(out, *str(req, "selector") ? str(req, "selector") : "(listed)");
	fprintf(out, " (%zu)\n", json_array_size(hosts));
	fprintf(out, "    %-10s ", "reason:");
	put_clean(out, str(req, "reason"));
	fprintf(out, "\n    %-10s ", "asked:");
	put_time(out, json_object_get(req, "created"));
	fputc('\n', out);
	if (!names_of(out, dec, "approve", "approved:"))
		fprintf(out, "    %-10s (nobody yet)\n", "approved:");
	names_of(out, dec, "deny", "denied:");
	names_of(out, dec, "revoke", "revoked:");
	if (!json_array_size(act))
		fprintf(out, "    %-10s no host has answered\n", "hosts:");
	json_array_foreach(act, i, a)
		print_activation(out, a);
}

void fleet__history_print_break_glass(FILE *out, json_t *bg)
{
	fputs("break-glass  ", out);
	put_clean(out, str(bg, "host"));
	fputs("  ", out);
	put_clean(out, str(bg, "grant_id"));
	fputs("  for ", out);
	put_clean(out, *str(bg, "user") ? str(bg, "user") : "?");
	fputs(" by ", out);
	put_clean(out, *str(bg, "by") ? str(bg, "by") : "?");
	fprintf(out, "\n    %-10s ", "reason:");
	put_clean(out, str(bg, "reason"));
	fprintf(out, "\n    %-10s ", "granted:");
	put_clean(out, str(bg, "time"));
	fprintf(out, " until ");
	put_clean(out, str(bg, "expires"));
	fprintf(out, "\n    %-10s ", "reported:");
	put_time(out, json_object_get(bg, "reported"));
	fputc('\n', out);
}
