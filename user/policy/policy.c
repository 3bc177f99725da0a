// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Policy: JSON -> struct jg_policy, validated whole. See policy.h and design brief section 3.
 *
 * Every error is one sentence "FILE:LINE:COLUMN: message" that points at the offending value
 * (or key). Jansson gives positions for syntax errors only; for everything else the validator
 * builds the JSON pointer of what it looks at and asks jsonpos for its position. Unknown keys
 * are errors: a typo must never silently weaken a policy. */
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
#include "policy/policy.h"

#define PTR_MAX		1024		/* JSON pointers longer than this fall back to a parent */
#define NAME_MAX_LEN	63		/* resource and role names */
#define SUBJ_NAME_MAX	256
#define MAX_APPROVALS	10
#define POLICY_MAX_BYTES (4u << 20)
#define RESERVED_PREFIX	"jitgate-"

#define DEF_MAX_DURATION	(8 * 3600ull)
#define DEF_DEFAULT_DURATION	(3600ull)
#define DEF_REQUEST_TTL		(3600ull)

/* ---------------------------------------------------------------------------------------- */
/* Small helpers shared by the public parsers and the validator                            */

/* Quote `s` for a message: "...", control bytes and quotes escaped, long text shortened. */
static char *quote(const char *s, char *buf, size_t len)
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
static void fmt(char *buf, size_t len, const char *f, ...)
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

static bool is_alnum(char c)
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
	if (kinds & JG_RES_BIND)
		p |= JG_PERM_BIND;
	return p;
}

/* "read, write" */
static char *perm_list(unsigned bits, char *buf, size_t len)
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

/* ---------------------------------------------------------------------------------------- */
/* Freeing                                                                                  */

static void paths_free(struct jg_path *v, size_t n)
{
	for (size_t k = 0; v && k < n; k++)
		free(v[k].path);
	free(v);
}

static void subjects_free(struct jg_subject *v, size_t n)
{
	for (size_t k = 0; v && k < n; k++)
		subject__free(&v[k]);
	free(v);
}

static void allow_free(struct jg_allow *v, size_t n)
{
	for (size_t k = 0; v && k < n; k++)
		free(v[k].resource);
	free(v);
}

static void schedule_free(struct jg_schedule *s)
{
	free(s->timezone);
	free(s->windows);
}

void policy__free(struct jg_policy *p)
{
	if (!p)
		return;
	for (size_t k = 0; p->resources && k < p->nresources; k++) {
		struct jg_resource *r = &p->resources[k];

		free(r->name);
		free(r->description);
		paths_free(r->files, r->nfiles);
		paths_free(r->exec, r->nexec);
		for (size_t j = 0; r->connect && j < r->nconnect; j++)
			endpoint__free(&r->connect[j]);
		free(r->connect);
		for (size_t j = 0; r->bind && j < r->nbind; j++)
			endpoint__free(&r->bind[j]);
		free(r->bind);
		paths_free(r->elevate_except, r->nelevate_except);
	}
	free(p->resources);
	for (size_t k = 0; p->roles && k < p->nroles; k++) {
		struct jg_role *r = &p->roles[k];

		free(r->name);
		free(r->description);
		allow_free(r->allow, r->nallow);
		subjects_free(r->requesters, r->nrequesters);
		subjects_free(r->approvers, r->napprovers);
		schedule_free(&r->schedule);
		subjects_free(r->auto_approve.subjects, r->auto_approve.nsubjects);
		schedule_free(&r->auto_approve.schedule);
	}
	free(p->roles);
	for (size_t k = 0; p->standing && k < p->nstanding; k++) {
		struct jg_standing *s = &p->standing[k];

		subject__free(&s->subject);
		free(s->exe);
		allow_free(s->allow, s->nallow);
	}
	free(p->standing);
	for (size_t k = 0; p->notify && k < p->nnotify; k++) {
		for (size_t j = 0; j < p->notify[k].argc; j++)
			free(p->notify[k].argv[j]);
		free(p->notify[k].argv);
	}
	free(p->notify);
	free(p->file);
	free(p);
}

const struct jg_resource *policy__resource(const struct jg_policy *p, const char *name)
{
	for (size_t k = 0; p && name && k < p->nresources; k++)
		if (p->resources[k].name && !strcmp(p->resources[k].name, name))
			return &p->resources[k];
	return NULL;
}

const struct jg_role *policy__role(const struct jg_policy *p, const char *name)
{
	for (size_t k = 0; p && name && k < p->nroles; k++)
		if (p->roles[k].name && !strcmp(p->roles[k].name, name))
			return &p->roles[k];
	return NULL;
}

/* ---------------------------------------------------------------------------------------- */
/* The validator                                                                            */

struct ctx {
	const char *file;
	const struct jsonpos *jp;
	char *err;
	size_t errlen;
	struct jg_policy *p;
	char qbuf[8][160];
	unsigned qi;
};

/* Quoted copy of s in one of a few rotating buffers: good for the arguments of one message. */
static const char *Q(struct ctx *c, const char *s)
{
	char *b = c->qbuf[c->qi++ % 8];

	return quote(s, b, sizeof(c->qbuf[0]));
}

static int failv(struct ctx *c, struct jg_pos pos, const char *fmt, va_list ap)
{
	if (c->err && c->errlen) {
		int n = snprintf(c->err, c->errlen, "%s:%d:%d: ", c->file, pos.line, pos.col);

		if (n >= 0 && (size_t)n < c->errlen)
			vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
	}
	return -EINVAL;
}

__attribute__((format(printf, 3, 4)))
static int fail_pos(struct ctx *c, struct jg_pos pos, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = failv(c, pos, fmt, ap);
	va_end(ap);
	return ret;
}

/* At the value `ptr` names. */
__attribute__((format(printf, 3, 4)))
static int fail_val(struct ctx *c, const char *ptr, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = failv(c, jsonpos__value(c->jp, ptr), fmt, ap);
	va_end(ap);
	return ret;
}

/* At the key of the member `ptr` names (the value for array elements and the root). */
__attribute__((format(printf, 3, 4)))
static int fail_key(struct ctx *c, const char *ptr, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = failv(c, jsonpos__key(c->jp, ptr), fmt, ap);
	va_end(ap);
	return ret;
}

static int oom(struct ctx *c)
{
	if (c->err && c->errlen)
		snprintf(c->err, c->errlen, "%s: out of memory", c->file);
	return -ENOMEM;
}

/* A message from a public parser (endpoint, subject, window, ...), at ptr's value. */
static int fail_sub(struct ctx *c, const char *ptr, int ret, const char *what, const char *sub)
{
	if (ret == -ENOMEM)
		return oom(c);
	return fail_val(c, ptr, "%s%s%s", what, *what ? ": " : "", sub);
}

static void child(char *buf, const char *parent, const char *key)
{
	jsonpos__child(buf, PTR_MAX, parent, key);
}

static void elem(char *buf, const char *parent, size_t i)
{
	jsonpos__index(buf, PTR_MAX, parent, i);
}

/* Edit distance, for "did you mean" on unknown keys. */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[40];

	if (la >= 39 || lb >= 39)
		return 99;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t prev = row[0];

		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t cur = row[j], best = prev + (a[i - 1] != b[j - 1]);

			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			prev = cur;
		}
	}
	return row[lb];
}

static int unknown_key(struct ctx *c, const char *kptr, const char *what, const char *key,
		       const char *const *known)
{
	const char *best = NULL;
	size_t bestd = 3;
	char list[256];
	size_t n = 0;

	list[0] = '\0';
	for (size_t k = 0; known[k]; k++) {
		size_t d = distance(key, known[k]);

		if (d < bestd && d < strlen(known[k])) {
			bestd = d;
			best = known[k];
		}
		int w = snprintf(list + n, sizeof(list) - n, "%s%s", k ? ", " : "", known[k]);

		if (w > 0 && (size_t)w < sizeof(list) - n)
			n += (size_t)w;
	}
	if (best)
		return fail_key(c, kptr, "%s%sunknown key %s; did you mean \"%s\"?", what,
				*what ? ": " : "", Q(c, key), best);
	return fail_key(c, kptr, "%s%sunknown key %s (expected %s)", what, *what ? ": " : "",
			Q(c, key), list);
}

static const char *type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER: return "a number";
	case JSON_REAL: return "a number";
	case JSON_TRUE: return "true";
	case JSON_FALSE: return "false";
	case JSON_NULL: return "null";
	}
	return "something else";
}

/* A non-empty string without NUL bytes. */
static int get_str(struct ctx *c, json_t *v, const char *ptr, const char *what,
		   const char **out)
{
	if (!json_is_string(v))
		return fail_val(c, ptr, "%s must be a string, not %s", what, type_name(v));
	if (json_string_length(v) == 0)
		return fail_val(c, ptr, "%s must not be empty", what);
	if (strlen(json_string_value(v)) != json_string_length(v))
		return fail_val(c, ptr, "%s contains a NUL byte", what);
	*out = json_string_value(v);
	return 0;
}

static int dup_str(struct ctx *c, json_t *v, const char *ptr, const char *what, char **out)
{
	const char *s;
	int ret = get_str(c, v, ptr, what, &s);

	if (ret)
		return ret;
	if (!(*out = strdup(s)))
		return oom(c);
	return 0;
}

static int get_bool(struct ctx *c, json_t *v, const char *ptr, const char *what, bool *out)
{
	if (!json_is_boolean(v))
		return fail_val(c, ptr, "%s must be true or false, not %s", what, type_name(v));
	*out = json_is_true(v);
	return 0;
}

static int get_path(struct ctx *c, json_t *v, const char *ptr, const char *what,
		    struct jg_path *out)
{
	const char *s;
	int ret = get_str(c, v, ptr, what, &s);

	if (ret)
		return ret;
	if (s[0] != '/')
		return fail_val(c, ptr, "%s %s must be an absolute path (start with '/')", what,
				Q(c, s));
	if (strlen(s) >= PATH_MAX)
		return fail_val(c, ptr, "%s %s is longer than %d bytes", what, Q(c, s),
				PATH_MAX - 1);
	if (!(out->path = strdup(s)))
		return oom(c);
	out->pos = jsonpos__value(c->jp, ptr);
	return 0;
}

static int get_duration(struct ctx *c, json_t *v, const char *ptr, const char *what,
			uint64_t *out)
{
	char e[256];

	if (!json_is_string(v))
		return fail_val(c, ptr, "%s must be a string such as \"30m\", not %s", what,
				type_name(v));
	if (strlen(json_string_value(v)) != json_string_length(v))
		return fail_val(c, ptr, "%s contains a NUL byte", what);
	if (duration__parse(json_string_value(v), out, e, sizeof(e)))
		return fail_val(c, ptr, "%s: %s", what, e);
	return 0;
}

/* An array, non-empty unless allow_empty. */
static int get_array(struct ctx *c, json_t *v, const char *ptr, const char *what,
		     const char *example, bool allow_empty)
{
	if (!json_is_array(v))
		return fail_val(c, ptr, "%s must be an array%s%s, not %s", what,
				example ? " such as " : "", example ? example : "", type_name(v));
	if (!allow_empty && json_array_size(v) == 0)
		return fail_val(c, ptr, "%s must not be empty", what);
	return 0;
}

static int get_object(struct ctx *c, json_t *v, const char *ptr, const char *what)
{
	if (!json_is_object(v))
		return fail_val(c, ptr, "%s must be an object, not %s", what, type_name(v));
	return 0;
}

static bool valid_name(const char *s)
{
	size_t n = strlen(s);

	if (n < 1 || n > NAME_MAX_LEN)
		return false;
	for (size_t k = 0; k < n; k++)
		if (!is_alnum(s[k]) && s[k] != '.' && s[k] != '_' && s[k] != '-')
			return false;
	return true;
}

static int check_name(struct ctx *c, const char *kptr, const char *kind, const char *name)
{
	if (!valid_name(name))
		return fail_key(c, kptr, "%s name %s must be 1-%d characters of A-Z, a-z, 0-9, "
				"'.', '_' and '-'", kind, Q(c, name), NAME_MAX_LEN);
	return 0;
}

/* ---- resources ---- */

static int parse_paths(struct ctx *c, json_t *v, const char *ptr, const char *what,
		       bool allow_empty, struct jg_path **out, size_t *nout)
{
	char eptr[PTR_MAX];
	size_t n, i;
	json_t *e;
	int ret;

	if ((ret = get_array(c, v, ptr, what, "[\"/srv/data\"]", allow_empty)))
		return ret;
	n = json_array_size(v);
	if (!n)
		return 0;
	if (!(*out = calloc(n, sizeof(**out))))
		return oom(c);
	*nout = n;
	json_array_foreach(v, i, e) {
		elem(eptr, ptr, i);
		if ((ret = get_path(c, e, eptr, what, &(*out)[i])))
			return ret;
	}
	return 0;
}

static int parse_elevate(struct ctx *c, json_t *v, const char *ptr, const char *what,
			 struct jg_resource *r)
{
	static const char *const known[] = { "except", NULL };
	char kptr[PTR_MAX], w[256];
	const char *key;
	json_t *val;
	int ret;

	if (!json_is_object(v))
		return fail_val(c, ptr, "%s must be an object such as {\"except\": "
				"[\"/usr/bin/passwd\"]}, not %s", what, type_name(v));
	json_object_foreach(v, key, val) {
		child(kptr, ptr, key);
		if (strcmp(key, "except"))
			return unknown_key(c, kptr, what, key, known);
		fmt(w, sizeof(w), "%s except", what);
		if ((ret = parse_paths(c, val, kptr, w, true, &r->elevate_except,
				       &r->nelevate_except)))
			return ret;
	}
	return 0;
}

/* A bind endpoint's 0.0.0.0 or :: is the wildcard a server binds: it stands for every
 * address of its family (:: also for IPv4, as a dual-stack socket accepts both). */
static void endpoint__widen_wildcard(struct jg_endpoint *ep)
{
	static const uint8_t any[16], any4[16] = { [10] = 0xff, [11] = 0xff };

	if (ep->prefixlen == 128 && !memcmp(ep->addr, ep->is_v4 ? any4 : any, 16))
		ep->prefixlen = ep->is_v4 ? 96 : 0;
}

/* "connect" or "bind": an array of endpoint strings. */
static int parse_endpoints(struct ctx *c, json_t *val, const char *kptr, const char *what,
			   const char *kind, struct jg_endpoint **out, size_t *nout)
{
	char w[160], eptr[PTR_MAX];
	const char *s;
	size_t i;
	json_t *e;
	int ret;

	fmt(w, sizeof(w), "%s: %s", what, kind);
	if ((ret = get_array(c, val, kptr, w, strcmp(kind, "bind") ? "[\"10.0.0.0/8:5432\"]" :
			     "[\"0.0.0.0:8443\"]", false)))
		return ret;
	*nout = json_array_size(val);
	if (!(*out = calloc(*nout, sizeof(**out))))
		return oom(c);
	json_array_foreach(val, i, e) {
		char em[512];

		elem(eptr, kptr, i);
		fmt(w, sizeof(w), "%s: %s entry", what, kind);
		if ((ret = get_str(c, e, eptr, w, &s)))
			return ret;
		if ((ret = endpoint__parse(s, &(*out)[i], em, sizeof(em)))) {
			fmt(w, sizeof(w), "%s: %s", what, kind);
			if (ret == -ENOMEM)
				return oom(c);
			/* "resource "x": connect endpoint "..." has ..." */
			return fail_val(c, eptr, "%s %s", w, em);
		}
		(*out)[i].pos = jsonpos__value(c->jp, eptr);
		if (!strcmp(kind, "bind"))
			endpoint__widen_wildcard(&(*out)[i]);
	}
	return 0;
}

static int parse_resource(struct ctx *c, const char *name, json_t *v, const char *ptr,
			  struct jg_resource *r)
{
	static const char *const known[] = { "description", "files", "exec", "connect",
					     "bind", "elevate", "mode", NULL };
	char what[128], w[160], kptr[PTR_MAX];
	const char *key;
	json_t *val;
	int ret;

	if (!(r->name = strdup(name)))
		return oom(c);
	r->pos = jsonpos__key(c->jp, ptr);
	fmt(what, sizeof(what), "resource %s", Q(c, name));
	if ((ret = get_object(c, v, ptr, what)))
		return ret;

	json_object_foreach(v, key, val) {
		child(kptr, ptr, key);
		if (!strcmp(key, "description")) {
			fmt(w, sizeof(w), "%s: description", what);
			if ((ret = dup_str(c, val, kptr, w, &r->description)))
				return ret;
		} else if (!strcmp(key, "files")) {
			fmt(w, sizeof(w), "%s: files", what);
			if ((ret = parse_paths(c, val, kptr, w, false, &r->files, &r->nfiles)))
				return ret;
			r->kinds |= JG_RES_FILES;
		} else if (!strcmp(key, "exec")) {
			fmt(w, sizeof(w), "%s: exec", what);
			if ((ret = parse_paths(c, val, kptr, w, false, &r->exec, &r->nexec)))
				return ret;
			r->kinds |= JG_RES_EXEC;
		} else if (!strcmp(key, "connect")) {
			if ((ret = parse_endpoints(c, val, kptr, what, "connect", &r->connect,
						   &r->nconnect)))
				return ret;
			r->kinds |= JG_RES_CONNECT;
		} else if (!strcmp(key, "bind")) {
			if ((ret = parse_endpoints(c, val, kptr, what, "bind", &r->bind,
						   &r->nbind)))
				return ret;
			r->kinds |= JG_RES_BIND;
		} else if (!strcmp(key, "elevate")) {
			fmt(w, sizeof(w), "%s: elevate", what);
			if ((ret = parse_elevate(c, val, kptr, w, r)))
				return ret;
			r->kinds |= JG_RES_ELEVATE;
		} else if (!strcmp(key, "mode")) {
			fmt(w, sizeof(w), "%s: mode", what);
			if (!json_is_string(val) || (strcmp(json_string_value(val), "audit") &&
						    strcmp(json_string_value(val), "enforce")))
				return fail_val(c, kptr, "%s must be \"audit\" or \"enforce\"", w);
			r->audit_mode = !strcmp(json_string_value(val), "audit");
		} else {
			return unknown_key(c, kptr, what, key, known);
		}
	}
	if (!r->kinds)
		return fail_key(c, ptr, "%s protects nothing; give it files, exec, connect, bind "
				"or elevate", what);
	return 0;
}

static int pos_cmp(struct jg_pos a, struct jg_pos b)
{
	if (a.line != b.line)
		return a.line < b.line ? -1 : 1;
	return a.col < b.col ? -1 : a.col > b.col;
}

struct path_ref {
	const struct jg_path *path;
	const struct jg_resource *res;
};

static int path_ref_cmp(const void *a, const void *b)
{
	const struct path_ref *x = a, *y = b;
	int d = strcmp(x->path->path, y->path->path);

	return d ? d : pos_cmp(x->path->pos, y->path->pos);
}

/* A file or program belongs to one resource: the kernel keys objects by (dev, ino). */
static int check_duplicate_paths(struct ctx *c)
{
	struct jg_policy *p = c->p;
	struct path_ref *v, *bad = NULL, *first = NULL;
	size_t n = 0, k = 0;
	int ret = 0;

	for (size_t i = 0; i < p->nresources; i++)
		n += p->resources[i].nfiles + p->resources[i].nexec;
	if (n > JG_MAX_OBJECTS / 2) {
		/* the object map holds the running and the next policy generation */
		for (size_t i = 0; i < p->nresources; i++) {
			const struct jg_resource *r = &p->resources[i];

			for (size_t j = 0; j < r->nfiles + r->nexec; j++)
				if (++k > JG_MAX_OBJECTS / 2)
					return fail_pos(c, j < r->nfiles ? r->files[j].pos :
							r->exec[j - r->nfiles].pos,
							"resource %s: too many files and programs; a "
							"policy may list at most %d", Q(c, r->name),
							JG_MAX_OBJECTS / 2);
		}
	}
	if (n < 2)
		return 0;
	if (!(v = calloc(n, sizeof(*v))))
		return oom(c);
	for (size_t i = 0; i < p->nresources; i++) {
		const struct jg_resource *r = &p->resources[i];

		for (size_t j = 0; j < r->nfiles; j++)
			v[k++] = (struct path_ref){ &r->files[j], r };
		for (size_t j = 0; j < r->nexec; j++)
			v[k++] = (struct path_ref){ &r->exec[j], r };
	}
	qsort(v, n, sizeof(*v), path_ref_cmp);
	for (size_t i = 1; i < n; i++) {
		if (strcmp(v[i].path->path, v[i - 1].path->path))
			continue;
		size_t g = i - 1;	/* first of the group: earliest in the file */

		while (g > 0 && !strcmp(v[g - 1].path->path, v[i].path->path))
			g--;
		if (!bad || pos_cmp(v[i].path->pos, bad->path->pos) < 0) {
			bad = &v[i];
			first = &v[g];
		}
	}
	if (bad) {
		if (bad->res == first->res)
			ret = fail_pos(c, bad->path->pos, "resource %s lists the path %s twice",
				       Q(c, bad->res->name), Q(c, bad->path->path));
		else
			ret = fail_pos(c, bad->path->pos, "resource %s: the path %s is already "
				       "listed by resource %s; a file belongs to one resource",
				       Q(c, bad->res->name), Q(c, bad->path->path),
				       Q(c, first->res->name));
	}
	free(v);
	return ret;
}

struct ep_ref {
	const struct jg_endpoint *ep;
	const struct jg_resource *res;
};

static int ep_ref_cmp(const void *a, const void *b)
{
	const struct jg_endpoint *x = ((const struct ep_ref *)a)->ep;
	const struct jg_endpoint *y = ((const struct ep_ref *)b)->ep;
	int d = memcmp(x->addr, y->addr, 16);

	if (d)
		return d;
	if (x->prefixlen != y->prefixlen)
		return x->prefixlen < y->prefixlen ? -1 : 1;
	if (x->port_lo != y->port_lo)
		return x->port_lo < y->port_lo ? -1 : 1;
	return pos_cmp(x->pos, y->pos);
}

static bool same_prefix(const struct jg_endpoint *a, const struct jg_endpoint *b)
{
	return a->prefixlen == b->prefixlen && !memcmp(a->addr, b->addr, 16);
}

/* Does prefix `outer` cover prefix `inner` (equal counts)? */
static bool covers(const struct jg_endpoint *outer, const struct jg_endpoint *inner)
{
	struct jg_endpoint o = *outer;

	if (outer->prefixlen > inner->prefixlen)
		return false;
	o.port_lo = 0;
	o.port_hi = 65535;
	return endpoint__contains(&o, inner->addr, 0);
}

/* Does endpoint ep's range land on the prefix (addr, plen)? Its own prefix covers it, or it
 * is a connect endpoint on loopback and the prefix is loopback (mirrors user/compile.c). */
static bool applies(const struct jg_endpoint *ep, const uint8_t *addr, uint8_t plen, bool bind)
{
	struct jg_endpoint at = { .prefixlen = plen };

	memcpy(at.addr, addr, 16);
	if (covers(ep, &at))
		return true;
	return !bind && endpoint__touches_loopback(ep) && endpoint__in_loopback(addr, plen);
}

/* Overlapping port ranges on one prefix would make the answer depend on map order; and the
 * kernel keeps at most JG_MAX_PORT_RANGES ranges per prefix, covering prefixes included.
 * Connect and bind endpoints live in separate maps and are checked apart. */
static int check_endpoints(struct ctx *c, bool bind)
{
	const char *kind = bind ? "bind" : "connect";
	struct jg_policy *p = c->p;
	struct ep_ref *v;
	const struct ep_ref *bad = NULL, *other = NULL;
	size_t n = 0, k = 0, prefixes = 0;
	int ret = 0;

	for (size_t i = 0; i < p->nresources; i++)
		n += bind ? p->resources[i].nbind : p->resources[i].nconnect;
	if (n == 0)
		return 0;
	if (!(v = calloc(n, sizeof(*v))))
		return oom(c);
	for (size_t i = 0; i < p->nresources; i++) {
		struct jg_resource *r = &p->resources[i];

		for (size_t j = 0; j < (bind ? r->nbind : r->nconnect); j++)
			v[k++] = (struct ep_ref){ bind ? &r->bind[j] : &r->connect[j], r };
	}
	/* A bind of :: covers every bind endpoint: its map entry carries all their ranges.
	 * (v is still in file order here: the message names the first one too many.) */
	if (bind && n > JG_MAX_PORT_RANGES) {
		ret = fail_pos(c, v[JG_MAX_PORT_RANGES].ep->pos, "too many bind endpoints (%zu); a "
			       "policy may use at most %d", n, JG_MAX_PORT_RANGES);
		goto cleanup;
	}
	qsort(v, n, sizeof(*v), ep_ref_cmp);

	for (size_t i = 0; i < n; i++) {
		size_t maxi = i;

		if (i > 0 && same_prefix(v[i].ep, v[i - 1].ep))
			continue;
		prefixes++;
		/* one group of equal prefixes, sorted by port_lo */
		for (size_t j = i + 1; j < n && same_prefix(v[j].ep, v[i].ep); j++) {
			if (v[j].ep->port_lo <= v[maxi].ep->port_hi) {
				const struct ep_ref *later = &v[j], *earlier = &v[maxi];

				if (pos_cmp(later->ep->pos, earlier->ep->pos) < 0)
					later = &v[maxi], earlier = &v[j];
				if (!bad || pos_cmp(later->ep->pos, bad->ep->pos) < 0)
					bad = later, other = earlier;
			}
			if (v[j].ep->port_hi > v[maxi].ep->port_hi)
				maxi = j;
		}
	}
	if (bad) {
		ret = fail_pos(c, bad->ep->pos, "resource %s: %s endpoint %s overlaps %s of "
			       "resource %s; give each address and port to one resource only",
			       Q(c, bad->res->name), kind, Q(c, bad->ep->text), Q(c, other->ep->text),
			       Q(c, other->res->name));
		goto cleanup;
	}
	for (size_t i = 0; i < n && !bind; i++)
		if (endpoint__touches_loopback(v[i].ep)) {
			prefixes += JG_NLOOPBACK;	/* at most: they may be there already */
			break;
		}
	if (!bind && prefixes > JG_MAX_NET_PREFIXES / 2) {
		ret = fail_pos(c, v[n - 1].ep->pos, "too many connect prefixes (%zu); a policy "
			       "may use at most %d", prefixes, JG_MAX_NET_PREFIXES / 2);
		goto cleanup;
	}

	for (size_t i = 0; i < n; i++) {
		size_t cover = 0;

		for (size_t j = 0; j < n; j++)
			cover += applies(v[j].ep, v[i].ep->addr, v[i].ep->prefixlen, bind);
		if (cover > JG_MAX_PORT_RANGES) {
			ret = fail_pos(c, v[i].ep->pos, "resource %s: %s endpoint %s is "
				       "covered by %zu port ranges (its own prefix, wider ones and "
				       "those on this host's loopback addresses); the limit is %d",
				       Q(c, v[i].res->name), kind, Q(c, v[i].ep->text), cover,
				       JG_MAX_PORT_RANGES);
			goto cleanup;
		}
	}
	/* the loopback prefixes the compiler adds carry every endpoint on loopback */
	for (int l = 0; !bind && l < JG_NLOOPBACK; l++) {
		const struct ep_ref *last = NULL;
		size_t cover = 0;

		for (size_t j = 0; j < n; j++) {
			if (!applies(v[j].ep, jg_loopback[l].addr, jg_loopback[l].prefixlen, bind))
				continue;
			cover++;
			if (!last || pos_cmp(v[j].ep->pos, last->ep->pos) > 0)
				last = &v[j];
		}
		if (cover > JG_MAX_PORT_RANGES) {
			ret = fail_pos(c, last->ep->pos, "resource %s: connect endpoint %s: %zu "
				       "port ranges apply to this host's loopback address %s (an "
				       "endpoint on loopback protects every loopback address); the "
				       "limit is %d", Q(c, last->res->name), Q(c, last->ep->text),
				       cover, jg_loopback[l].text, JG_MAX_PORT_RANGES);
			goto cleanup;
		}
	}
cleanup:
	free(v);
	return ret;
}

static int parse_resources(struct ctx *c, json_t *v, const char *ptr)
{
	char kptr[PTR_MAX];
	const char *key;
	json_t *val;
	size_t i = 0;
	int ret;

	if (!json_is_object(v))
		return fail_val(c, ptr, "\"resources\" must be an object of name: resource, "
				"not %s", type_name(v));
	c->p->nresources = json_object_size(v);
	if (c->p->nresources &&
	    !(c->p->resources = calloc(c->p->nresources, sizeof(*c->p->resources))))
		return oom(c);
	json_object_foreach(v, key, val) {
		child(kptr, ptr, key);
		if (i >= JG_MAX_RESOURCES - 1)
			return fail_key(c, kptr, "too many resources; a policy may have at most %d",
					JG_MAX_RESOURCES - 1);
		if ((ret = check_name(c, kptr, "resource", key)))
			return ret;
		if (!strncmp(key, RESERVED_PREFIX, strlen(RESERVED_PREFIX)))
			return fail_key(c, kptr, "resource name %s is reserved: names starting "
					"with \"" RESERVED_PREFIX "\" belong to jitgate itself",
					Q(c, key));
		if ((ret = parse_resource(c, key, val, kptr, &c->p->resources[i++])))
			return ret;
	}
	if ((ret = check_duplicate_paths(c)))
		return ret;
	if ((ret = check_endpoints(c, false)))
		return ret;
	return check_endpoints(c, true);
}

/* ---- roles and standing rules ---- */

static int parse_subjects(struct ctx *c, json_t *v, const char *ptr, const char *what,
			  struct jg_subject **out, size_t *nout)
{
	char eptr[PTR_MAX], w[192], e[512];
	const char *s;
	size_t i;
	json_t *x;
	int ret;

	if ((ret = get_array(c, v, ptr, what, "[\"group:sre\"]", false)))
		return ret;
	*nout = json_array_size(v);
	if (!(*out = calloc(*nout, sizeof(**out))))
		return oom(c);
	json_array_foreach(v, i, x) {
		elem(eptr, ptr, i);
		fmt(w, sizeof(w), "%s entry", what);
		if ((ret = get_str(c, x, eptr, w, &s)))
			return ret;
		if ((ret = subject__parse(s, &(*out)[i], e, sizeof(e))))
			return fail_sub(c, eptr, ret, what, e);
		(*out)[i].pos = jsonpos__value(c->jp, eptr);
	}
	return 0;
}

static int parse_allow(struct ctx *c, json_t *v, const char *ptr, const char *what,
		       struct jg_allow **out, size_t *nout)
{
	char kptr[PTR_MAX], eptr[PTR_MAX], w[192], list[64];
	const char *key, *s;
	json_t *val, *x;
	size_t i = 0, j;
	int ret;

	if (!json_is_object(v))
		return fail_val(c, ptr, "%s must be an object such as {\"prod-db\": "
				"[\"connect\"]}, not %s", what, type_name(v));
	if (!json_object_size(v))
		return fail_val(c, ptr, "%s must not be empty", what);
	*nout = json_object_size(v);
	if (!(*out = calloc(*nout, sizeof(**out))))
		return oom(c);
	json_object_foreach(v, key, val) {
		struct jg_allow *a = &(*out)[i++];
		const struct jg_resource *r = policy__resource(c->p, key);

		child(kptr, ptr, key);
		if (!r)
			return fail_key(c, kptr, "%s names unknown resource %s", what, Q(c, key));
		if (!(a->resource = strdup(key)))
			return oom(c);
		a->pos = jsonpos__key(c->jp, kptr);
		fmt(w, sizeof(w), "%s %s", what, Q(c, key));
		if ((ret = get_array(c, val, kptr, w, "[\"read\"]", false)))
			return ret;
		json_array_foreach(val, j, x) {
			unsigned bit, valid = perm__valid_for_kinds(r->kinds);

			elem(eptr, kptr, j);
			fmt(w, sizeof(w), "%s %s entry", what, Q(c, key));
			if ((ret = get_str(c, x, eptr, w, &s)))
				return ret;
			if (!(bit = perm__from_name(s)))
				return fail_val(c, eptr, "%s: unknown permission %s for resource %s "
						"(permissions are read, write, exec, connect, "
						"bind, elevate)", what, Q(c, s), Q(c, key));
			if (!(bit & valid))
				return fail_val(c, eptr, "%s: resource %s has no %s permission; it "
						"takes %s", what, Q(c, key), Q(c, s),
						perm_list(valid, list, sizeof(list)));
			a->perms |= bit;
		}
	}
	return 0;
}

/* IANA names like "Europe/Berlin", "America/Argentina/Buenos_Aires", "Etc/GMT+5", "UTC". A
 * name that glibc cannot find makes it fall back to UTC silently, so when the zone database
 * is installed ($TZDIR or /usr/share/zoneinfo) the zone must exist in it. */
static int check_timezone(struct ctx *c, const char *tz, const char *ptr, const char *what)
{
	const char *dir = getenv("TZDIR");
	char path[PATH_MAX];
	struct stat st;
	bool start = true;

	if (!dir || !*dir)
		dir = "/usr/share/zoneinfo";
	for (const char *s = tz; *s; s++) {
		if (*s == '/') {
			if (start)
				goto bad;
			start = true;
			continue;
		}
		if (!is_alnum(*s) && *s != '_' && *s != '+' && *s != '-')
			goto bad;
		start = false;
	}
	if (start || strlen(tz) > 64)
		goto bad;
	if (!strcmp(tz, "UTC"))
		return 0;
	if (stat(dir, &st) || !S_ISDIR(st.st_mode))
		return 0;	/* no zone database here: the daemon host must have one */
	snprintf(path, sizeof(path), "%s/%s", dir, tz);
	if (stat(path, &st) || !S_ISREG(st.st_mode))
		return fail_val(c, ptr, "%s %s is not a known time zone (there is no %s)", what,
				Q(c, tz), path);
	return 0;
bad:
	return fail_val(c, ptr, "%s %s is not a time zone name such as \"Europe/Berlin\"", what,
			Q(c, tz));
}

static int parse_schedule(struct ctx *c, json_t *v, const char *ptr, const char *what,
			  struct jg_schedule *s)
{
	static const char *const known[] = { "timezone", "windows", "not_before", "not_after",
					     NULL };
	char kptr[PTR_MAX], eptr[PTR_MAX], w[192], e[512];
	const char *key, *str;
	json_t *val, *x;
	size_t i;
	int ret;
	char nb_ptr[PTR_MAX] = "";

	if ((ret = get_object(c, v, ptr, what)))
		return ret;
	json_object_foreach(v, key, val) {
		child(kptr, ptr, key);
		if (!strcmp(key, "timezone")) {
			fmt(w, sizeof(w), "%s timezone", what);
			if ((ret = get_str(c, val, kptr, w, &str)) ||
			    (ret = check_timezone(c, str, kptr, w)))
				return ret;
			if (!(s->timezone = strdup(str)))
				return oom(c);
		} else if (!strcmp(key, "windows")) {
			fmt(w, sizeof(w), "%s windows", what);
			if ((ret = get_array(c, val, kptr, w, "[\"Mon-Fri 08:00-18:00\"]", false)))
				return ret;
			if (json_array_size(val) > JG_MAX_WINDOWS)
				return fail_val(c, kptr, "%s has more than %d windows", what,
						JG_MAX_WINDOWS);
			s->nwindows = json_array_size(val);
			if (!(s->windows = calloc(s->nwindows, sizeof(*s->windows))))
				return oom(c);
			json_array_foreach(val, i, x) {
				elem(eptr, kptr, i);
				fmt(w, sizeof(w), "%s windows entry", what);
				if ((ret = get_str(c, x, eptr, w, &str)))
					return ret;
				if ((ret = window__parse(str, &s->windows[i], e, sizeof(e))))
					return fail_val(c, eptr, "%s %s", what, e);
				s->windows[i].pos = jsonpos__value(c->jp, eptr);
			}
		} else if (!strcmp(key, "not_before") || !strcmp(key, "not_after")) {
			bool after = key[4] == 'a';

			fmt(w, sizeof(w), "%s %s", what, key);
			if ((ret = get_str(c, val, kptr, w, &str)))
				return ret;
			if ((ret = timestamp__parse(str, after, after ? &s->not_after :
						    &s->not_before, e, sizeof(e))))
				return fail_val(c, kptr, "%s: %s", w, e);
			if (!after)
				fmt(nb_ptr, sizeof(nb_ptr), "%s", kptr);
		} else {
			return unknown_key(c, kptr, what, key, known);
		}
	}
	if (!s->nwindows && !s->not_before && !s->not_after)
		return fail_val(c, ptr, "%s is empty; give it windows, not_before or not_after",
				what);
	if (s->not_before && s->not_after && s->not_after <= s->not_before) {
		child(kptr, ptr, "not_after");
		return fail_val(c, kptr, "%s not_after is not later than its not_before", what);
	}
	return 0;
}

static int parse_auto_approve(struct ctx *c, json_t *v, const char *ptr, const char *what,
			      struct jg_auto_approve *a)
{
	static const char *const known[] = { "subjects", "who", "schedule", NULL };
	char kptr[PTR_MAX], w[192];
	const char *key, *seen = NULL;
	json_t *val;
	int ret;

	if ((ret = get_object(c, v, ptr, what)))
		return ret;
	a->present = true;
	json_object_foreach(v, key, val) {
		child(kptr, ptr, key);
		if (!strcmp(key, "subjects") || !strcmp(key, "who")) {
			if (seen)
				return fail_key(c, kptr, "%s has both \"%s\" and \"%s\"; they mean the "
						"same, use one", what, seen, key);
			seen = key;
			fmt(w, sizeof(w), "%s %s", what, key);
			if ((ret = parse_subjects(c, val, kptr, w, &a->subjects, &a->nsubjects)))
				return ret;
		} else if (!strcmp(key, "schedule")) {
			fmt(w, sizeof(w), "%s schedule", what);
			if ((ret = parse_schedule(c, val, kptr, w, &a->schedule)))
				return ret;
			a->has_schedule = true;
		} else {
			return unknown_key(c, kptr, what, key, known);
		}
	}
	if (!seen)
		return fail_key(c, ptr, "%s has no \"who\"; list the subjects whose requests are "
				"approved automatically", what);
	return 0;
}

static int parse_role(struct ctx *c, const char *name, json_t *v, const char *ptr,
		      struct jg_role *r)
{
	static const char *const known[] = { "description", "allow", "requesters", "approvers",
					     "approvals", "default_duration", "max_duration",
					     "require_reason", "require_mfa", "schedule",
					     "request_ttl", "auto_approve", NULL };
	char what[128], w[192], kptr[PTR_MAX], dptr[PTR_MAX] = "";
	const char *key;
	json_t *val;
	bool has_default = false;
	int ret;

	if (!(r->name = strdup(name)))
		return oom(c);
	r->pos = jsonpos__key(c->jp, ptr);
	r->approvals = 1;
	r->max_duration = DEF_MAX_DURATION;
	r->require_reason = true;
	r->request_ttl = DEF_REQUEST_TTL;
	fmt(what, sizeof(what), "role %s", Q(c, name));
	if ((ret = get_object(c, v, ptr, what)))
		return ret;

	json_object_foreach(v, key, val) {
		child(kptr, ptr, key);
		fmt(w, sizeof(w), "%s: %s", what, key);
		if (!strcmp(key, "description")) {
			ret = dup_str(c, val, kptr, w, &r->description);
		} else if (!strcmp(key, "allow")) {
			ret = parse_allow(c, val, kptr, w, &r->allow, &r->nallow);
		} else if (!strcmp(key, "requesters")) {
			ret = parse_subjects(c, val, kptr, w, &r->requesters, &r->nrequesters);
		} else if (!strcmp(key, "approvers")) {
			ret = parse_subjects(c, val, kptr, w, &r->approvers, &r->napprovers);
		} else if (!strcmp(key, "approvals")) {
			if (!json_is_integer(val) || json_integer_value(val) < 1 ||
			    json_integer_value(val) > MAX_APPROVALS)
				return fail_val(c, kptr, "%s must be a whole number from 1 to %d", w,
						MAX_APPROVALS);
			r->approvals = (unsigned)json_integer_value(val);
		} else if (!strcmp(key, "default_duration")) {
			ret = get_duration(c, val, kptr, w, &r->default_duration);
			has_default = true;
			fmt(dptr, sizeof(dptr), "%s", kptr);
		} else if (!strcmp(key, "max_duration")) {
			ret = get_duration(c, val, kptr, w, &r->max_duration);
		} else if (!strcmp(key, "request_ttl")) {
			ret = get_duration(c, val, kptr, w, &r->request_ttl);
		} else if (!strcmp(key, "require_reason")) {
			ret = get_bool(c, val, kptr, w, &r->require_reason);
		} else if (!strcmp(key, "require_mfa")) {
			ret = get_bool(c, val, kptr, w, &r->require_mfa);
		} else if (!strcmp(key, "schedule")) {
			fmt(w, sizeof(w), "%s: schedule", what);
			ret = parse_schedule(c, val, kptr, w, &r->schedule);
			r->has_schedule = true;
		} else if (!strcmp(key, "auto_approve")) {
			ret = parse_auto_approve(c, val, kptr, w, &r->auto_approve);
		} else {
			return unknown_key(c, kptr, what, key, known);
		}
		if (ret)
			return ret;
	}

	if (!r->allow)
		return fail_key(c, ptr, "%s has no \"allow\"; say which resources and "
				"permissions it grants", what);
	if (!r->requesters)
		return fail_key(c, ptr, "%s has no \"requesters\"; list who may request it", what);
	if (!r->approvers && !r->auto_approve.present)
		return fail_key(c, ptr, "%s has neither \"approvers\" nor \"auto_approve\", so no "
				"request for it could ever be approved", what);
	if (has_default && r->default_duration > r->max_duration) {
		char a[32], b[32];

		return fail_val(c, dptr, "%s: default_duration %s is longer than max_duration %s",
				what, duration__format(r->default_duration, a, sizeof(a)),
				duration__format(r->max_duration, b, sizeof(b)));
	}
	if (!has_default)
		r->default_duration = r->max_duration < DEF_DEFAULT_DURATION ?
				      r->max_duration : DEF_DEFAULT_DURATION;
	return 0;
}

static int parse_roles(struct ctx *c, json_t *v, const char *ptr)
{
	char kptr[PTR_MAX];
	const char *key;
	json_t *val;
	size_t i = 0;
	int ret;

	if (!json_is_object(v))
		return fail_val(c, ptr, "\"roles\" must be an object of name: role, not %s",
				type_name(v));
	c->p->nroles = json_object_size(v);
	if (c->p->nroles && !(c->p->roles = calloc(c->p->nroles, sizeof(*c->p->roles))))
		return oom(c);
	json_object_foreach(v, key, val) {
		child(kptr, ptr, key);
		if ((ret = check_name(c, kptr, "role", key)) ||
		    (ret = parse_role(c, key, val, kptr, &c->p->roles[i++])))
			return ret;
	}
	return 0;
}

static int parse_standing(struct ctx *c, json_t *v, const char *ptr)
{
	static const char *const known[] = { "subject", "exe", "allow", NULL };
	char eptr[PTR_MAX], kptr[PTR_MAX], what[64], w[128], e[512];
	const char *key, *s;
	json_t *rule, *val;
	size_t i;
	int ret;

	if (!json_is_array(v))
		return fail_val(c, ptr, "\"standing\" must be an array of rules, not %s",
				type_name(v));
	c->p->nstanding = json_array_size(v);
	if (c->p->nstanding &&
	    !(c->p->standing = calloc(c->p->nstanding, sizeof(*c->p->standing))))
		return oom(c);
	json_array_foreach(v, i, rule) {
		struct jg_standing *st = &c->p->standing[i];
		bool has_subject = false;

		elem(eptr, ptr, i);
		fmt(what, sizeof(what), "standing rule %zu", i + 1);
		st->pos = jsonpos__value(c->jp, eptr);
		if ((ret = get_object(c, rule, eptr, what)))
			return ret;
		json_object_foreach(rule, key, val) {
			child(kptr, eptr, key);
			fmt(w, sizeof(w), "%s: %s", what, key);
			if (!strcmp(key, "subject")) {
				if ((ret = get_str(c, val, kptr, w, &s)))
					return ret;
				if ((ret = subject__parse(s, &st->subject, e, sizeof(e))))
					return fail_sub(c, kptr, ret, what, e);
				st->subject.pos = jsonpos__value(c->jp, kptr);
				has_subject = true;
			} else if (!strcmp(key, "exe")) {
				struct jg_path p = { 0 };

				if ((ret = get_path(c, val, kptr, w, &p)))
					return ret;
				st->exe = p.path;
			} else if (!strcmp(key, "allow")) {
				if ((ret = parse_allow(c, val, kptr, w, &st->allow, &st->nallow)))
					return ret;
			} else {
				return unknown_key(c, kptr, what, key, known);
			}
		}
		if (!has_subject)
			return fail_val(c, eptr, "%s has no \"subject\"; say who it is for", what);
		if (!st->allow)
			return fail_val(c, eptr, "%s has no \"allow\"; say what it grants", what);
	}
	return 0;
}

static const char *const notify_events[] = { "request.create", "request.approve",
					     "request.deny", "request.cancel", "request.expire",
					     NULL };

unsigned policy__notify_event_bit(const char *type)
{
	for (unsigned i = 0; notify_events[i]; i++)
		if (!strcmp(type, notify_events[i]))
			return 1u << i;
	return 0;
}

static int parse_notify(struct ctx *c, json_t *v, const char *ptr)
{
	static const char *const known[] = { "on", "command", "timeout", NULL };
	char eptr[PTR_MAX], kptr[PTR_MAX], aptr[PTR_MAX], what[64], w[128];
	const char *key;
	json_t *hook, *val, *a;
	size_t i, k;
	int ret;

	if ((ret = get_array(c, v, ptr, "\"notify\"", "[{\"command\": [\"/usr/local/bin/page\"]}]",
			     true)))
		return ret;
	c->p->nnotify = json_array_size(v);
	if (c->p->nnotify && !(c->p->notify = calloc(c->p->nnotify, sizeof(*c->p->notify))))
		return oom(c);
	json_array_foreach(v, i, hook) {
		struct jg_notify_hook *h = &c->p->notify[i];

		elem(eptr, ptr, i);
		fmt(what, sizeof(what), "notify hook %zu", i + 1);
		h->pos = jsonpos__value(c->jp, eptr);
		h->events = JG_NOTIFY_ALL;
		h->timeout_s = 10;
		if ((ret = get_object(c, hook, eptr, what)))
			return ret;
		json_object_foreach(hook, key, val) {
			child(kptr, eptr, key);
			fmt(w, sizeof(w), "%s: %s", what, key);
			if (!strcmp(key, "on")) {
				if ((ret = get_array(c, val, kptr, w, "[\"request.create\"]", false)))
					return ret;
				h->events = 0;
				json_array_foreach(val, k, a) {
					const char *s;
					unsigned bit;

					elem(aptr, kptr, k);
					if ((ret = get_str(c, a, aptr, w, &s)))
						return ret;
					bit = policy__notify_event_bit(s);
					if (!bit)
						return fail_val(c, aptr, "%s: %s is not an event hooks "
								"run on; use request.create, "
								"request.approve, request.deny, "
								"request.cancel or request.expire",
								what, Q(c, s));
					h->events |= bit;
				}
			} else if (!strcmp(key, "command")) {
				if ((ret = get_array(c, val, kptr, w, "[\"/usr/local/bin/page\", "
						     "\"--team\", \"sre\"]", false)))
					return ret;
				h->argc = json_array_size(val);
				if (!(h->argv = calloc(h->argc + 1, sizeof(*h->argv))))
					return oom(c);
				json_array_foreach(val, k, a) {
					elem(aptr, kptr, k);
					if (k == 0) {
						struct jg_path pth = { 0 };

						if ((ret = get_path(c, a, aptr, w, &pth)))
							return ret;
						h->argv[0] = pth.path;
					} else if ((ret = dup_str(c, a, aptr, w, &h->argv[k]))) {
						return ret;
					}
				}
			} else if (!strcmp(key, "timeout")) {
				if ((ret = get_duration(c, val, kptr, w, &h->timeout_s)))
					return ret;
			} else {
				return unknown_key(c, kptr, what, key, known);
			}
		}
		if (!h->argv)
			return fail_val(c, eptr, "%s has no \"command\"; say what to run", what);
	}
	return 0;
}

static int parse_root(struct ctx *c, json_t *root)
{
	static const char *const known[] = { "version", "resources", "roles", "standing", "notify",
					     NULL };
	char kptr[PTR_MAX];
	const char *key;
	json_t *val;
	int ret;

	if (!json_is_object(root))
		return fail_val(c, "", "a policy must be a JSON object, not %s", type_name(root));
	json_object_foreach(root, key, val) {
		child(kptr, "", key);
		if (!strcmp(key, known[0]) || !strcmp(key, known[1]) || !strcmp(key, known[2]) ||
		    !strcmp(key, known[3]) || !strcmp(key, known[4]))
			continue;
		return unknown_key(c, kptr, "", key, known);
	}

	val = json_object_get(root, "version");
	if (!val)
		return fail_val(c, "", "the policy has no \"version\"; write \"version\": 1");
	if (!json_is_integer(val))
		return fail_val(c, "/version", "\"version\" must be the number 1, not %s",
				type_name(val));
	if (json_integer_value(val) != 1)
		return fail_val(c, "/version", "unsupported policy version %lld; this jitgate "
				"reads version 1", (long long)json_integer_value(val));
	c->p->version = 1;

	val = json_object_get(root, "resources");
	if (!val)
		return fail_val(c, "", "the policy has no \"resources\"; name what it protects");
	if ((ret = parse_resources(c, val, "/resources")))
		return ret;
	if ((val = json_object_get(root, "roles")) && (ret = parse_roles(c, val, "/roles")))
		return ret;
	if ((val = json_object_get(root, "standing")) &&
	    (ret = parse_standing(c, val, "/standing")))
		return ret;
	if ((val = json_object_get(root, "notify")) && (ret = parse_notify(c, val, "/notify")))
		return ret;
	return 0;
}

static int load_buffer(const char *text, size_t len, const char *name, struct jg_policy **out,
		       char *err, size_t errlen)
{
	struct ctx c = { .file = name ? name : "policy", .err = err, .errlen = errlen };
	struct jsonpos *jp = NULL;
	json_error_t jerr;
	json_t *root;
	int ret;

	if (err && errlen)
		err[0] = '\0';
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
	if (!root) {
		/* jansson points at the last byte it read; point at the start of that token */
		size_t off = jerr.position > 0 ? (size_t)jerr.position - 1 : 0;
		struct jg_pos pos = jsonpos__offset_pos(text, len,
							jsonpos__token_start(text, len, off));

		char text_[sizeof(jerr.text) * 4];
		size_t n = 0;

		/* jansson quotes the offending token, which may hold any byte */
		for (const unsigned char *t = (const unsigned char *)jerr.text; *t; t++) {
			if (*t < 0x20 || *t == 0x7f)
				n += (size_t)snprintf(text_ + n, sizeof(text_) - n, "\\x%02x", *t);
			else
				text_[n++] = (char)*t;
		}
		text_[n] = '\0';
		return fail_pos(&c, pos, "invalid JSON: %s", text_);
	}
	ret = jsonpos__scan(text, len, &jp);
	if (ret == -ENOMEM) {
		json_decref(root);
		return oom(&c);
	}
	c.jp = jp;	/* NULL if the scanner disagrees with jansson: positions become 1:1 */

	if (!(c.p = calloc(1, sizeof(*c.p))) || !(c.p->file = strdup(c.file))) {
		ret = oom(&c);
		goto cleanup;
	}
	ret = parse_root(&c, root);
	if (!ret) {
		*out = c.p;
		c.p = NULL;
	}
cleanup:
	policy__free(c.p);
	jsonpos__free(jp);
	json_decref(root);
	return ret;
}

int policy__load_string(const char *text, const char *name, struct jg_policy **out,
			char *err, size_t errlen)
{
	return load_buffer(text ? text : "", text ? strlen(text) : 0, name, out, err, errlen);
}

int policy__load_file(const char *path, struct jg_policy **out, char *err, size_t errlen)
{
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		if (err && errlen)
			snprintf(err, errlen, "%s: %s", path, strerror(-ret));
		return ret;
	}
	for (;;) {
		if (len == cap) {
			char *b;

			if (cap >= POLICY_MAX_BYTES) {
				ret = -EFBIG;
				if (err && errlen)
					snprintf(err, errlen, "%s: the file is larger than %u MiB, "
						 "too large for a policy", path,
						 POLICY_MAX_BYTES >> 20);
				goto cleanup;
			}
			cap = cap ? cap * 2 : 16384;
			if (!(b = realloc(buf, cap + 1))) {
				ret = -ENOMEM;
				if (err && errlen)
					snprintf(err, errlen, "%s: out of memory", path);
				goto cleanup;
			}
			buf = b;
		}
		ssize_t n = read(fd, buf + len, cap - len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			if (err && errlen)
				snprintf(err, errlen, "%s: %s", path, strerror(-ret));
			goto cleanup;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	ret = load_buffer(buf, len, path, out, err, errlen);
cleanup:
	close(fd);
	free(buf);
	return ret;
}
