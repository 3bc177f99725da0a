// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The parsers of single policy values, public for the CLI and tests: permissions,
 * endpoints ("10.0.0.0/8:5432"), subjects ("group:dba"), schedule windows and dates. Each
 * answers with one sentence; the validator puts FILE:LINE:COLUMN in front. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jitgate.h"
#include "lib/duration.h"
#include "lib/jsonpos.h"
#include "policy/parse.h"

/* ---------------------------------------------------------------------------------------- */
/* Small helpers shared by the public parsers and the validator                            */

/* Quote `s` for a message: "...", control bytes and quotes escaped, long text shortened. */
char *quote(const char *s, char *buf, size_t len)
{
	size_t n = 0;

	if (len < 8) {
		if (len)
			buf[0] = '\0';
		return buf;
	}
	buf[n++] = '"';
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		char esc[8];
		size_t k;

		if (*p < 0x20 || *p == 0x7f || *p == '"' || *p == '\\')
			k = (size_t)snprintf(esc, sizeof(esc), "\\x%02x", *p);
		else
			esc[0] = (char)*p, k = 1;
		if (n + k + 5 > len) {	/* room for ..." and NUL */
			memcpy(buf + n, "...", 3);
			n += 3;
			break;
		}
		memcpy(buf + n, esc, k);
		n += k;
	}
	buf[n++] = '"';
	buf[n] = '\0';
	return buf;
}

/* snprintf for message fragments, where truncation is fine. */
__attribute__((format(printf, 3, 4)))
void fmt(char *buf, size_t len, const char *f, ...)
{
	va_list ap;

	va_start(ap, f);
	vsnprintf(buf, len, f, ap);
	va_end(ap);
}

__attribute__((format(printf, 3, 4)))
static int msg(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

bool is_alnum(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Decimal without sign or leading zeros (but "0"), at most `max`. */
static bool parse_uint(const char *s, size_t n, unsigned long long max, unsigned long long *out)
{
	unsigned long long v = 0;

	if (n == 0 || (n > 1 && s[0] == '0'))
		return false;
	for (size_t k = 0; k < n; k++) {
		if (!is_digit(s[k]))
			return false;
		v = v * 10 + (unsigned long long)(s[k] - '0');
		if (v > max)
			return false;
	}
	*out = v;
	return true;
}

/* ---------------------------------------------------------------------------------------- */
/* Permissions                                                                              */

unsigned perm__valid_for_kinds(unsigned kinds)
{
	unsigned p = 0;

	if (kinds & JG_RES_FILES)
		p |= JG_PERM_READ | JG_PERM_WRITE;
	if (kinds & JG_RES_EXEC)
		p |= JG_PERM_EXEC;
	if (kinds & JG_RES_CONNECT)
		p |= JG_PERM_CONNECT;
	if (kinds & JG_RES_ELEVATE)
		p |= JG_PERM_ELEVATE;
	if (kinds & JG_RES_GATE)
		p |= JG_PERM_ADMIN;
	if (kinds & JG_RES_BIND)
		p |= JG_PERM_BIND;
	return p;
}

/* "read, write" */
char *perm_list(unsigned bits, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (unsigned bit = 1; bit; bit <<= 1) {
		if (!(bits & bit) || !perm__name(bit))
			continue;
		int w = snprintf(buf + n, len - n, "%s%s", n ? ", " : "", perm__name(bit));

		if (w < 0 || (size_t)w >= len - n)
			break;
		n += (size_t)w;
	}
	return buf;
}

/* ---------------------------------------------------------------------------------------- */
/* Endpoints                                                                                */

void endpoint__free(struct jg_endpoint *ep)
{
	if (!ep)
		return;
	free(ep->text);
	ep->text = NULL;
}

static bool host_bits_clear(const uint8_t a[16], unsigned plen)
{
	for (unsigned bit = plen; bit < 128; bit++)
		if (a[bit / 8] & (0x80 >> (bit % 8)))
			return false;
	return true;
}

static void mask_addr(uint8_t a[16], unsigned plen)
{
	for (unsigned bit = plen; bit < 128; bit++)
		a[bit / 8] &= (uint8_t)~(0x80 >> (bit % 8));
}

static const uint8_t v4mapped_prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

static int parse_ports(const char *text, const char *s, struct jg_endpoint *ep, char *err,
		       size_t errlen)
{
	char q[160];
	const char *dash = strchr(s, '-');
	unsigned long long lo, hi;

	quote(text, q, sizeof(q));
	if (!*s)
		return msg(err, errlen, "endpoint %s has an empty port after ':'", q);
	if (dash) {
		if (!parse_uint(s, (size_t)(dash - s), 65535, &lo) ||
		    !parse_uint(dash + 1, strlen(dash + 1), 65535, &hi))
			return msg(err, errlen, "endpoint %s has an invalid port range; write "
				   "PORT or LOW-HIGH with ports from 1 to 65535", q);
	} else {
		if (!parse_uint(s, strlen(s), 65535, &lo))
			return msg(err, errlen, "endpoint %s has an invalid port; ports go from 1 "
				   "to 65535", q);
		hi = lo;
	}
	if (lo == 0 || hi == 0)
		return msg(err, errlen, "endpoint %s uses port 0; ports go from 1 to 65535", q);
	if (lo > hi)
		return msg(err, errlen, "endpoint %s has a port range that ends before it starts "
			   "(%llu > %llu)", q, lo, hi);
	ep->port_lo = (uint16_t)lo;
	ep->port_hi = (uint16_t)hi;
	return 0;
}

/* Long: one pass over the text in the grammar's order (brackets, address, prefix, port),
 * each refusal naming what it found; split, the halves would share the parse state. */
int endpoint__parse(const char *text, struct jg_endpoint *ep, char *err, size_t errlen)
{
	struct jg_endpoint e = { .port_lo = 1, .port_hi = 65535 };
	char q[160], addr[64];
	const char *rest, *a_start;
	size_t a_len;
	bool bracket = false, v6;
	unsigned long long plen = 0;
	bool has_plen = false;
	int ret;

	if (!text)
		text = "";
	quote(text, q, sizeof(q));
	if (!*text)
		return msg(err, errlen, "endpoint \"\" is empty; write e.g. 10.0.0.0/8:443");
	for (const char *t = text; *t; t++)
		if (*t == ' ' || *t == '\t' || *t == '\n' || *t == '\r')
			return msg(err, errlen, "endpoint %s must not contain spaces", q);

	if (text[0] == '[') {
		const char *close = strchr(text, ']');

		if (!close)
			return msg(err, errlen, "endpoint %s has '[' without ']'", q);
		a_start = text + 1;
		a_len = (size_t)(close - a_start);
		rest = close + 1;
		bracket = true;
		v6 = true;
		if (memchr(a_start, '/', a_len))
			return msg(err, errlen, "endpoint %s: put the prefix length after the ']', "
				   "e.g. [2001:db8::]/32:443", q);
	} else {
		const char *first = strchr(text, ':');

		v6 = first && strchr(first + 1, ':');	/* two colons: a bare IPv6 address */
		a_start = text;
		a_len = strcspn(text, v6 ? "/" : "/:");
		rest = text + a_len;
		/* "::1:7777" is the address ::1:7777, not [::1]:7777: never guess */
		if (v6 && *rest != '/')
			return msg(err, errlen, "endpoint %s: write an IPv6 address in brackets, "
				   "e.g. [::1]:7777, or [::1] for all ports", q);
	}
	if (a_len == 0)
		return msg(err, errlen, "endpoint %s has no address", q);
	if (a_len >= sizeof(addr))
		return msg(err, errlen, "endpoint %s has an address that is too long", q);
	memcpy(addr, a_start, a_len);
	addr[a_len] = '\0';

	if (*rest == '/') {
		const char *p = rest + 1;
		size_t n = strcspn(p, ":");

		if (!parse_uint(p, n, v6 ? 128 : 32, &plen))
			return msg(err, errlen, "endpoint %s has an invalid prefix length; it must "
				   "be a number from 0 to %d", q, v6 ? 128 : 32);
		has_plen = true;
		rest = p + n;
	}
	if (*rest == ':') {
		if ((ret = parse_ports(text, rest + 1, &e, err, errlen)))
			return ret;
	} else if (*rest) {
		return msg(err, errlen, "endpoint %s has unexpected text after the address; write "
			   "ADDRESS[/PREFIX][:PORT[-PORT]]", q);
	}

	if (v6) {
		if (inet_pton(AF_INET6, addr, e.addr) != 1)
			return msg(err, errlen, "endpoint %s: \"%s\" is not an IPv6 address", q,
				   addr);
		e.prefixlen = has_plen ? (uint8_t)plen : 128;
		if (!host_bits_clear(e.addr, e.prefixlen)) {
			uint8_t m[16];
			char s[INET6_ADDRSTRLEN];

			memcpy(m, e.addr, 16);
			mask_addr(m, e.prefixlen);
			inet_ntop(AF_INET6, m, s, sizeof(s));
			return msg(err, errlen, "endpoint %s has host bits set; did you mean "
				   "%s%s%s/%u?", q, bracket ? "[" : "", s, bracket ? "]" : "",
				   e.prefixlen);
		}
		/* IPv4-mapped: the kernel sees these connections as IPv4 ones */
		if (!memcmp(e.addr, v4mapped_prefix, 12) && e.prefixlen >= 96)
			e.is_v4 = true;
	} else {
		if (inet_pton(AF_INET, addr, e.addr + 12) != 1) {
			bool name = false;

			for (const char *t = addr; *t; t++)
				if ((*t >= 'a' && *t <= 'z') || (*t >= 'A' && *t <= 'Z'))
					name = true;
			if (name)
				return msg(err, errlen, "endpoint %s: \"%s\" is not an IP address; "
					   "host names are not allowed", q, addr);
			return msg(err, errlen, "endpoint %s: \"%s\" is not an IPv4 address", q,
				   addr);
		}
		memcpy(e.addr, v4mapped_prefix, 12);
		e.prefixlen = (uint8_t)(96 + (has_plen ? plen : 32));
		e.is_v4 = true;
		if (!host_bits_clear(e.addr, e.prefixlen)) {
			uint8_t m[16];
			char s[INET_ADDRSTRLEN];

			memcpy(m, e.addr, 16);
			mask_addr(m, e.prefixlen);
			inet_ntop(AF_INET, m + 12, s, sizeof(s));
			return msg(err, errlen, "endpoint %s has host bits set; did you mean %s/%u?",
				   q, s, e.prefixlen - 96);
		}
	}

	e.text = strdup(text);
	if (!e.text)
		return msg(err, errlen, "out of memory"), -ENOMEM;
	*ep = e;
	return 0;
}

bool endpoint__contains(const struct jg_endpoint *ep, const uint8_t addr[16], uint16_t port)
{
	unsigned plen = ep->prefixlen;

	if (port < ep->port_lo || port > ep->port_hi)
		return false;
	if (memcmp(ep->addr, addr, plen / 8))
		return false;
	if (plen % 8) {
		uint8_t m = (uint8_t)(0xff << (8 - plen % 8));

		if ((ep->addr[plen / 8] & m) != (addr[plen / 8] & m))
			return false;
	}
	return true;
}

const struct jg_loopback jg_loopback[JG_NLOOPBACK] = {
	{ { [10] = 0xff, [11] = 0xff, [12] = 127 }, 96 + 8, "127.0.0.0/8" },
	{ { [15] = 1 }, 128, "::1" },
};

/* Does the prefix (oa, olen) contain the prefix (ia, ilen)? */
static bool prefix_contains(const uint8_t *oa, unsigned olen, const uint8_t *ia, unsigned ilen)
{
	if (olen > ilen || memcmp(oa, ia, olen / 8))
		return false;
	if (olen % 8) {
		uint8_t m = (uint8_t)(0xff << (8 - olen % 8));

		if ((oa[olen / 8] & m) != (ia[olen / 8] & m))
			return false;
	}
	return true;
}

bool endpoint__in_loopback(const uint8_t addr[16], uint8_t prefixlen)
{
	for (int i = 0; i < JG_NLOOPBACK; i++)
		if (prefix_contains(jg_loopback[i].addr, jg_loopback[i].prefixlen, addr, prefixlen))
			return true;
	return false;
}

bool endpoint__touches_loopback(const struct jg_endpoint *ep)
{
	for (int i = 0; i < JG_NLOOPBACK; i++)
		if (prefix_contains(ep->addr, ep->prefixlen, jg_loopback[i].addr,
				    jg_loopback[i].prefixlen) ||
		    prefix_contains(jg_loopback[i].addr, jg_loopback[i].prefixlen, ep->addr,
				    ep->prefixlen))
			return true;
	return false;
}

/* ---------------------------------------------------------------------------------------- */
/* Subjects                                                                                 */

void subject__free(struct jg_subject *s)
{
	if (!s)
		return;
	free(s->name);
	s->name = NULL;
}

int subject__parse(const char *text, struct jg_subject *s, char *err, size_t errlen)
{
	struct jg_subject r = { 0 };
	char q[160];
	const char *name;

	if (!text)
		text = "";
	quote(text, q, sizeof(q));
	if (!strncmp(text, "uid:", 4)) {
		unsigned long long id;

		if (!parse_uint(text + 4, strlen(text + 4), 4294967294ull, &id))
			return msg(err, errlen, "subject %s: the uid must be a decimal number from "
				   "0 to 4294967294", q);
		r.kind = JG_SUBJ_UID;
		r.id = (uint32_t)id;
		*s = r;
		return 0;
	}
	if (!strncmp(text, "user:", 5)) {
		r.kind = JG_SUBJ_USER;
		name = text + 5;
	} else if (!strncmp(text, "group:", 6)) {
		r.kind = JG_SUBJ_GROUP;
		name = text + 6;
	} else {
		return msg(err, errlen, "subject %s must be user:NAME, uid:N or group:NAME", q);
	}

	size_t n = strlen(name);

	if (n == 0)
		return msg(err, errlen, "subject %s has an empty name", q);
	if (n > SUBJ_NAME_MAX)
		return msg(err, errlen, "subject %s has a name longer than %d bytes", q,
			   SUBJ_NAME_MAX);
	if (name[0] == '-')
		return msg(err, errlen, "subject %s: a name cannot start with '-'", q);
	for (size_t k = 0; k < n; k++) {
		char c = name[k];

		if (is_alnum(c) || c == '.' || c == '_' || c == '-' || c == '@' ||
		    (c == '$' && k == n - 1))
			continue;
		return msg(err, errlen, "subject %s: a name may hold only letters, digits, '.', "
			   "'_', '-', '@' and a final '$'", q);
	}
	r.name = strdup(name);
	if (!r.name)
		return msg(err, errlen, "out of memory"), -ENOMEM;
	*s = r;
	return 0;
}

char *subject__format(const struct jg_subject *s, char *buf, size_t len)
{
	if (!buf || !len)
		return buf;
	switch (s ? s->kind : 0) {
	case JG_SUBJ_USER:
		snprintf(buf, len, "user:%s", s->name ? s->name : "");
		break;
	case JG_SUBJ_GROUP:
		snprintf(buf, len, "group:%s", s->name ? s->name : "");
		break;
	case JG_SUBJ_UID:
		snprintf(buf, len, "uid:%u", s->id);
		break;
	default:
		snprintf(buf, len, "?");
	}
	return buf;
}

/* ---------------------------------------------------------------------------------------- */
/* Windows and dates                                                                        */

static const char *const day_names[7] = { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" };

static int day_index(const char *s, size_t n)
{
	if (n != 3)
		return -1;
	for (int d = 0; d < 7; d++)
		if (!strncasecmp(s, day_names[d], 3))
			return d;
	return -1;
}

/* "HH:MM" (exactly 5 bytes); 24:00 only when allow_24. Minutes or -1. */
static int parse_hhmm(const char *s, bool allow_24)
{
	if (!is_digit(s[0]) || !is_digit(s[1]) || s[2] != ':' || !is_digit(s[3]) ||
	    !is_digit(s[4]))
		return -1;
	int h = (s[0] - '0') * 10 + (s[1] - '0'), m = (s[3] - '0') * 10 + (s[4] - '0');

	if (allow_24 && h == 24 && m == 0)
		return 24 * 60;
	if (h > 23 || m > 59)
		return -1;
	return h * 60 + m;
}

int window__parse(const char *text, struct jg_window *w, char *err, size_t errlen)
{
	struct jg_window r = { 0 };
	char q[160];
	const char *sp, *t, *p;

	if (!text)
		text = "";
	quote(text, q, sizeof(q));
	sp = strchr(text, ' ');
	if (!sp || sp == text)
		return msg(err, errlen, "window %s must look like \"Mon-Fri 08:00-18:00\"", q);

	/* days: comma-separated days or day ranges */
	for (p = text; p < sp;) {
		size_t n = strcspn(p, ",");

		if (p + n > sp)
			n = (size_t)(sp - p);
		const char *dash = memchr(p, '-', n);
		int a, b;

		if (dash) {
			a = day_index(p, (size_t)(dash - p));
			b = day_index(dash + 1, n - (size_t)(dash - p) - 1);
		} else {
			a = b = day_index(p, n);
		}
		if (a < 0 || b < 0)
			return msg(err, errlen, "window %s has an unknown day \"%.*s\"; use Mon, Tue, "
				   "Wed, Thu, Fri, Sat, Sun, a range like Mon-Fri or a list like "
				   "Mon,Wed", q, (int)n, p);
		for (int d = a;; d = (d + 1) % 7) {	/* "Fri-Mon" wraps over the weekend */
			r.days |= (uint8_t)(1u << d);
			if (d == b)
				break;
		}
		p += n;
		if (p < sp) {
			p++;	/* ',' */
			if (p == sp)
				return msg(err, errlen, "window %s has an empty day after ','", q);
		}
	}

	for (t = sp; *t == ' '; t++)
		;
	if (strlen(t) != 11 || t[5] != '-')
		return msg(err, errlen, "window %s must give its times as HH:MM-HH:MM, e.g. "
			   "\"Mon-Fri 08:00-18:00\"", q);
	int start = parse_hhmm(t, false), end = parse_hhmm(t + 6, true);

	if (start < 0)
		return msg(err, errlen, "window %s has an invalid time \"%.5s\"; use HH:MM from "
			   "00:00 to 23:59", q, t);
	if (end < 0)
		return msg(err, errlen, "window %s has an invalid time \"%.5s\"; use HH:MM from "
			   "00:00 to 24:00", q, t + 6);
	if (end <= start)
		return msg(err, errlen, "window %s ends at or before it starts; a window cannot "
			   "cross midnight, so write two windows", q);
	r.start_min = (uint16_t)start;
	r.end_min = (uint16_t)end;
	*w = r;
	return 0;
}

bool window__contains(const struct jg_window *w, int wday, int minute)
{
	if (wday < 0 || wday > 6)
		return false;
	return (w->days & (1u << wday)) && minute >= w->start_min && minute < w->end_min;
}

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	const int64_t era = (y >= 0 ? y : y - 399) / 400;
	const unsigned yoe = (unsigned)(y - era * 400);
	const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + (int64_t)doe - 719468;
}

static int digits(const char *s, int n)
{
	int v = 0;

	for (int k = 0; k < n; k++) {
		if (!is_digit(s[k]))
			return -1;
		v = v * 10 + (s[k] - '0');
	}
	return v;
}

int timestamp__parse(const char *text, bool end_of_day, int64_t *out, char *err, size_t errlen)
{
	static const int mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	char q[160];
	const char *s = text ? text : "";
	int y, mo, d, h = 0, mi = 0, se = 0;
	int64_t off = 0, t;
	bool date_only;

	quote(s, q, sizeof(q));
	if (strlen(s) < 10 || s[4] != '-' || s[7] != '-' || (y = digits(s, 4)) < 0 ||
	    (mo = digits(s + 5, 2)) < 0 || (d = digits(s + 8, 2)) < 0)
		goto bad_form;
	date_only = s[10] == '\0';
	if (!date_only) {
		const char *p = s + 10;

		if ((*p != 'T' && *p != 't') || strlen(p) < 10 || p[3] != ':' || p[6] != ':' ||
		    (h = digits(p + 1, 2)) < 0 || (mi = digits(p + 4, 2)) < 0 ||
		    (se = digits(p + 7, 2)) < 0)
			goto bad_form;
		p += 9;
		if (*p == '.') {
			if (!is_digit(*++p))
				goto bad_form;
			while (is_digit(*p))
				p++;
		}
		if ((*p == 'Z' || *p == 'z') && !p[1]) {
			off = 0;
		} else if ((*p == '+' || *p == '-') && strlen(p) == 6 && p[3] == ':') {
			int oh = digits(p + 1, 2), om = digits(p + 4, 2);

			if (oh < 0 || om < 0 || oh > 23 || om > 59)
				goto bad_form;
			off = (int64_t)(oh * 60 + om) * 60 * (*p == '-' ? -1 : 1);
		} else {
			goto bad_form;
		}
	}
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	if (y < 1970 || mo < 1 || mo > 12 || d < 1 ||
	    d > mdays[mo - 1] + (mo == 2 && leap) || h > 23 || mi > 59 || se > 59)
		return msg(err, errlen, "date %s does not exist; years go from 1970 to 9999", q);
	t = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + se - off;
	if (date_only && end_of_day)
		t += 86400;
	if (t <= 0)
		return msg(err, errlen, "date %s is not after 1970-01-01T00:00:00Z", q);
	*out = t;
	return 0;
bad_form:
	return msg(err, errlen, "date %s must be YYYY-MM-DD or RFC 3339 such as "
		   "2026-03-01T09:00:00+01:00", q);
}
