// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The small parsers behind the policy: endpoints, subjects, windows, dates, permissions. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "jitgate.h"
#include "policy/policy.h"

/* ---- endpoints ---- */

static struct jg_endpoint ep_ok(const char *text)
{
	struct jg_endpoint ep;
	char err[256] = "";

	memset(&ep, 0xaa, sizeof(ep));
	cr_assert_eq(endpoint__parse(text, &ep, err, sizeof(err)), 0, "'%s': %s", text, err);
	cr_assert_str_eq(ep.text, text);
	cr_assert_eq(ep.pos.line, 0);
	return ep;
}

static void ep_bad(const char *text, const char *gist)
{
	struct jg_endpoint ep;
	char err[256] = "";

	memset(&ep, 0xaa, sizeof(ep));
	cr_assert_eq(endpoint__parse(text, &ep, err, sizeof(err)), -EINVAL, "'%s' parsed", text);
	cr_assert_eq(ep.prefixlen, 0xaa, "output changed on error");
	cr_assert(!strncmp(err, "endpoint \"", 10), "'%s'", err);
	cr_assert(strstr(err, gist), "'%s': want '%s' in '%s'", text, gist, err);
}

static void addr6(const char *s, uint8_t out[16])
{
	cr_assert_eq(inet_pton(AF_INET6, s, out), 1, "test bug: %s", s);
}

static void check(const char *text, const char *addr, unsigned plen, bool v4, unsigned lo,
		  unsigned hi)
{
	struct jg_endpoint ep = ep_ok(text);
	uint8_t a[16];

	addr6(addr, a);
	cr_assert(!memcmp(ep.addr, a, 16), "'%s': address differs from %s", text, addr);
	cr_assert_eq(ep.prefixlen, plen, "'%s': prefixlen %u, want %u", text, ep.prefixlen, plen);
	cr_assert_eq(ep.is_v4, v4, "'%s': is_v4", text);
	cr_assert_eq(ep.port_lo, lo, "'%s': port_lo %u", text, ep.port_lo);
	cr_assert_eq(ep.port_hi, hi, "'%s': port_hi %u", text, ep.port_hi);
	endpoint__free(&ep);
	cr_assert_null(ep.text);
}

Test(endpoint, ipv4)
{
	check("10.20.0.0/16:5432", "::ffff:10.20.0.0", 112, true, 5432, 5432);
	check("127.0.0.1:7000-7010", "::ffff:127.0.0.1", 128, true, 7000, 7010);
	check("10.0.0.1", "::ffff:10.0.0.1", 128, true, 1, 65535);
	check("10.0.0.0/8", "::ffff:10.0.0.0", 104, true, 1, 65535);
	check("0.0.0.0/0:22", "::ffff:0.0.0.0", 96, true, 22, 22);
	check("192.168.1.128/25:1-65535", "::ffff:192.168.1.128", 121, true, 1, 65535);
	check("1.2.3.4:65535", "::ffff:1.2.3.4", 128, true, 65535, 65535);
	check("1.2.3.4:443-443", "::ffff:1.2.3.4", 128, true, 443, 443);
}

Test(endpoint, ipv6)
{
	check("[::1]:7777", "::1", 128, false, 7777, 7777);
	check("[2001:db8::]/32:443", "2001:db8::", 32, false, 443, 443);
	check("[2001:db8::1]:8000-8080", "2001:db8::1", 128, false, 8000, 8080);
	check("[fd00::]/8", "fd00::", 8, false, 1, 65535);
	check("[2001:db8::1]", "2001:db8::1", 128, false, 1, 65535);
	check("2001:db8::/48", "2001:db8::", 48, false, 1, 65535);	/* bare with a prefix */
	check("2001:db8::/32:443", "2001:db8::", 32, false, 443, 443);
	check("::1/128:7777", "::1", 128, false, 7777, 7777);
	check("::/0", "::", 0, false, 1, 65535);
	check("[::]/0:53", "::", 0, false, 53, 53);
}

Test(endpoint, ipv4_mapped)
{
	/* normalised into the IPv4 form: the kernel sees these connections as IPv4 ones */
	check("::ffff:10.0.0.0/104", "::ffff:10.0.0.0", 104, true, 1, 65535);
	check("[::ffff:10.0.0.0]/104:5432", "::ffff:10.0.0.0", 104, true, 5432, 5432);
	check("::ffff:10.0.0.0/104:5432-5433", "::ffff:10.0.0.0", 104, true, 5432, 5433);
	check("[::ffff:1.2.3.4]", "::ffff:1.2.3.4", 128, true, 1, 65535);
	check("[::ffff:7f00:1]:7000", "::ffff:127.0.0.1", 128, true, 7000, 7000);
	check("::ffff:0:0/96", "::ffff:0.0.0.0", 96, true, 1, 65535);
	/* a wider prefix reaches beyond the mapped space: it is an IPv6 prefix */
	check("::/80", "::", 80, false, 1, 65535);
	/* IPv4-compatible (deprecated) is not mapped */
	check("[::10.0.0.1]", "::10.0.0.1", 128, false, 1, 65535);

	struct jg_endpoint a = ep_ok("10.1.0.0/16:80"), b = ep_ok("[::ffff:10.1.0.0]/112:80");

	cr_assert(!memcmp(a.addr, b.addr, 16) && a.prefixlen == b.prefixlen && a.is_v4 == b.is_v4);
	endpoint__free(&a);
	endpoint__free(&b);
}

Test(endpoint, errors)
{
	ep_bad("", "is empty");
	ep_bad(NULL, "is empty");
	ep_bad("10.0.0.1 :80", "must not contain spaces");
	ep_bad(" 10.0.0.1", "must not contain spaces");
	ep_bad("[::1:80", "has '[' without ']'");
	ep_bad("[::1/128]:80", "put the prefix length after the ']'");
	ep_bad("[]:80", "has no address");
	ep_bad("/8:80", "has no address");
	ep_bad(":80", "has no address");
	ep_bad("[1111:2222:3333:4444:5555:6666:7777:8888:9999:aaaa:bbbb:cccc:dddd:eeee:ffff]",
	       "address that is too long");
	ep_bad("10.0.0.0/33", "invalid prefix length; it must be a number from 0 to 32");
	ep_bad("10.0.0.0/:80", "invalid prefix length");
	ep_bad("10.0.0.0/08", "invalid prefix length");
	ep_bad("10.0.0.0/-8", "invalid prefix length");
	ep_bad("[::]/129", "from 0 to 128");
	ep_bad("10.0.0.1/8x", "invalid prefix length");
	/* without brackets or a prefix, "::1:7777" would be the address ::1:7777, all ports */
	ep_bad("::1:7777", "write an IPv6 address in brackets, e.g. [::1]:7777");
	ep_bad("2001:db8::1", "in brackets");
	ep_bad("::ffff:10.0.0.1", "in brackets");
	ep_bad("fe80::1%eth0", "in brackets");
	ep_bad("2001:db8::/32:", "empty port");
	ep_bad("10.0.0.1:", "empty port");
	ep_bad("10.0.0.1:http", "invalid port; ports go from 1 to 65535");
	ep_bad("10.0.0.1:65536", "invalid port");
	ep_bad("10.0.0.1:99999999999999999999", "invalid port");
	ep_bad("10.0.0.1:+80", "invalid port");
	ep_bad("10.0.0.1:1-2-3", "invalid port range");
	ep_bad("10.0.0.1:-5", "invalid port range");
	ep_bad("10.0.0.1:5-", "invalid port range");
	ep_bad("10.0.0.1:0", "uses port 0");
	ep_bad("10.0.0.1:0-5", "uses port 0");
	ep_bad("10.0.0.1:90-80", "ends before it starts (90 > 80)");
	ep_bad("[::1]x", "unexpected text after the address");
	ep_bad("[::1]:80:90", "invalid port");
	ep_bad("[10.0.0.1]:80", "\"10.0.0.1\" is not an IPv6 address");
	ep_bad("[fe80::1%eth0]:80", "is not an IPv6 address");
	ep_bad("[gggg::1]:80", "is not an IPv6 address");
	ep_bad("10.0.0.256", "\"10.0.0.256\" is not an IPv4 address");
	ep_bad("10.1:80", "is not an IPv4 address");
	ep_bad("10.0.0.1.5", "is not an IPv4 address");
	ep_bad("db.example.com:5432", "host names are not allowed");
	ep_bad("localhost", "host names are not allowed");
}

Test(endpoint, loopback)
{
	static const char *on[] = { "127.0.0.1:7002", "127.1.2.3", "127.0.0.0/8:80",
		"[::1]:7777", "[::ffff:127.0.0.2]:7002", "0.0.0.0/0:5432", "[::]/0",
		"126.0.0.0/7:22", "[::ffff:0:0]/96:22" };
	static const char *off[] = { "10.0.0.1:7002", "128.0.0.1", "[::2]:7777",
		"[2001:db8::]/32:443", "[fe80::1]:22", "[::ffff:10.0.0.1]:80" };
	uint8_t a[16];

	for (size_t i = 0; i < sizeof(on) / sizeof(on[0]); i++) {
		struct jg_endpoint ep = ep_ok(on[i]);

		cr_assert(endpoint__touches_loopback(&ep), "%s", on[i]);
		endpoint__free(&ep);
	}
	for (size_t i = 0; i < sizeof(off) / sizeof(off[0]); i++) {
		struct jg_endpoint ep = ep_ok(off[i]);

		cr_assert(!endpoint__touches_loopback(&ep), "%s", off[i]);
		endpoint__free(&ep);
	}
	addr6("::ffff:127.9.9.9", a);
	cr_assert(endpoint__in_loopback(a, 128));
	cr_assert(endpoint__in_loopback(a, 104));
	cr_assert(!endpoint__in_loopback(a, 96), "all of IPv4 is more than loopback");
	addr6("::1", a);
	cr_assert(endpoint__in_loopback(a, 128));
	addr6("::", a);
	cr_assert(!endpoint__in_loopback(a, 0));
}

Test(endpoint, host_bits)
{
	char err[256];
	struct jg_endpoint ep;

	cr_assert_eq(endpoint__parse("10.1.2.3/16:80", &ep, err, sizeof(err)), -EINVAL);
	cr_assert_str_eq(err, "endpoint \"10.1.2.3/16:80\" has host bits set; did you mean "
			 "10.1.0.0/16?");
	ep_bad("10.0.0.1/0", "did you mean 0.0.0.0/0?");
	ep_bad("192.168.1.129/25", "did you mean 192.168.1.128/25?");
	ep_bad("[2001:db8::1]/32:443", "did you mean [2001:db8::]/32?");
	ep_bad("2001:db8:ff::/40", "did you mean 2001:db8::/40?");
	ep_bad("::ffff:10.1.2.3/104", "did you mean ::ffff:10.0.0.0/104?");
	ep_bad("::ffff:0:0/80", "host bits set");
}

Test(endpoint, contains)
{
	struct jg_endpoint ep = ep_ok("10.20.0.0/14:5432-5440");
	uint8_t a[16];

	addr6("::ffff:10.23.255.1", a);
	cr_assert(endpoint__contains(&ep, a, 5432));
	cr_assert(endpoint__contains(&ep, a, 5440));
	cr_assert_not(endpoint__contains(&ep, a, 5441));
	cr_assert_not(endpoint__contains(&ep, a, 5431));
	addr6("::ffff:10.24.0.1", a);
	cr_assert_not(endpoint__contains(&ep, a, 5432));
	addr6("::a17:1", a);	/* ::10.23.0.1 is not an IPv4 address */
	cr_assert_not(endpoint__contains(&ep, a, 5432));
	endpoint__free(&ep);

	ep = ep_ok("::/0");
	addr6("2001:db8::5", a);
	cr_assert(endpoint__contains(&ep, a, 1));
	endpoint__free(&ep);
	endpoint__free(NULL);
}

/* ---- subjects ---- */

static void subj_ok(const char *text, enum jg_subject_kind kind, const char *name, uint32_t id)
{
	struct jg_subject s;
	char err[256] = "", back[300];

	cr_assert_eq(subject__parse(text, &s, err, sizeof(err)), 0, "'%s': %s", text, err);
	cr_assert_eq(s.kind, kind);
	if (name)
		cr_assert_str_eq(s.name, name);
	else
		cr_assert_null(s.name);
	cr_assert_eq(s.id, id);
	cr_assert_str_eq(subject__format(&s, back, sizeof(back)), text);
	subject__free(&s);
	cr_assert_null(s.name);
}

static void subj_bad(const char *text, const char *gist)
{
	struct jg_subject s = { .kind = 99 };
	char err[512] = "";

	cr_assert_eq(subject__parse(text, &s, err, sizeof(err)), -EINVAL, "'%s' parsed", text);
	cr_assert_eq(s.kind, 99);
	cr_assert(!strncmp(err, "subject \"", 9), "'%s'", err);
	cr_assert(strstr(err, gist), "'%s': want '%s' in '%s'", text, gist, err);
}

Test(subject, valid)
{
	subj_ok("user:alice", JG_SUBJ_USER, "alice", 0);
	subj_ok("group:sre-leads", JG_SUBJ_GROUP, "sre-leads", 0);
	subj_ok("uid:0", JG_SUBJ_UID, NULL, 0);
	subj_ok("uid:1000", JG_SUBJ_UID, NULL, 1000);
	subj_ok("uid:4294967294", JG_SUBJ_UID, NULL, 4294967294u);
	subj_ok("user:svc-backup$", JG_SUBJ_USER, "svc-backup$", 0);
	subj_ok("user:alice@corp.example", JG_SUBJ_USER, "alice@corp.example", 0);
	subj_ok("group:First.Last_2", JG_SUBJ_GROUP, "First.Last_2", 0);
}

Test(subject, errors)
{
	char long_name[300] = "user:";

	subj_bad("alice", "must be user:NAME, uid:N or group:NAME");
	subj_bad("", "must be user:NAME");
	subj_bad(NULL, "must be user:NAME");
	subj_bad("User:alice", "must be user:NAME");
	subj_bad("users:alice", "must be user:NAME");
	subj_bad("user:", "has an empty name");
	subj_bad("group:", "has an empty name");
	subj_bad("uid:", "the uid must be a decimal number from 0 to 4294967294");
	subj_bad("uid:-1", "decimal number");
	subj_bad("uid:4294967295", "decimal number");	/* (uid_t)-1: "unset" */
	subj_bad("uid:99999999999999999999999", "decimal number");
	subj_bad("uid:01", "decimal number");
	subj_bad("uid:1x", "decimal number");
	subj_bad("uid: 1", "decimal number");
	subj_bad("user:al ice", "a name may hold only letters, digits");
	subj_bad("user:a:b", "a name may hold only");
	subj_bad("group:a$b", "a name may hold only");
	subj_bad("user:-rf", "cannot start with '-'");
	memset(long_name + 5, 'a', 257);
	long_name[262] = '\0';
	subj_bad(long_name, "longer than 256 bytes");
}

Test(subject, format)
{
	char buf[16];
	struct jg_subject s = { .kind = JG_SUBJ_USER, .name = "averyveryverylongname" };

	cr_assert_str_eq(subject__format(&s, buf, sizeof(buf)), "user:averyveryv");
	cr_assert_str_eq(subject__format(NULL, buf, sizeof(buf)), "?");
	subject__free(NULL);
}

/* ---- windows ---- */

static struct jg_window win_ok(const char *text, uint8_t days, int start, int end)
{
	struct jg_window w;
	char err[256] = "";

	cr_assert_eq(window__parse(text, &w, err, sizeof(err)), 0, "'%s': %s", text, err);
	cr_assert_eq(w.days, days, "'%s': days %#x, want %#x", text, w.days, days);
	cr_assert_eq(w.start_min, start, "'%s'", text);
	cr_assert_eq(w.end_min, end, "'%s'", text);
	return w;
}

static void win_bad(const char *text, const char *gist)
{
	struct jg_window w = { .days = 0xee };
	char err[512] = "";

	cr_assert_eq(window__parse(text, &w, err, sizeof(err)), -EINVAL, "'%s' parsed", text);
	cr_assert_eq(w.days, 0xee);
	cr_assert(!strncmp(err, "window \"", 8), "'%s'", err);
	cr_assert(strstr(err, gist), "'%s': want '%s' in '%s'", text, gist, err);
}

#define MON (1 << 0)
#define TUE (1 << 1)
#define WED (1 << 2)
#define THU (1 << 3)
#define FRI (1 << 4)
#define SAT (1 << 5)
#define SUN (1 << 6)

Test(window, valid)
{
	win_ok("Mon-Fri 08:00-18:00", MON | TUE | WED | THU | FRI, 480, 1080);
	win_ok("Sun 22:00-23:59", SUN, 1320, 1439);
	win_ok("Sat 10:00-12:00", SAT, 600, 720);
	win_ok("Mon,Wed 09:00-10:00", MON | WED, 540, 600);
	win_ok("Mon-Wed,Fri 09:00-10:00", MON | TUE | WED | FRI, 540, 600);
	win_ok("Fri-Mon 20:00-22:00", FRI | SAT | SUN | MON, 1200, 1320);	/* wraps */
	win_ok("Sun-Sat 00:00-24:00", 0x7f, 0, 1440);
	win_ok("Sat-Sun 06:00-06:01", SAT | SUN, 360, 361);
	win_ok("Tue-Tue 00:00-00:01", TUE, 0, 1);
	win_ok("mon-FRI 08:00-18:00", 0x1f, 480, 1080);
	win_ok("Thu  07:30-15:45", THU, 450, 945);
}

Test(window, errors)
{
	win_bad("", "must look like \"Mon-Fri 08:00-18:00\"");
	win_bad("Mon", "must look like");
	win_bad(" Mon 08:00-09:00", "must look like");
	win_bad("Mox 08:00-09:00", "has an unknown day \"Mox\"; use Mon, Tue");
	win_bad("Monday 08:00-09:00", "unknown day \"Monday\"");
	win_bad("Mon-Fry 08:00-09:00", "unknown day \"Mon-Fry\"");
	win_bad("Mon- 08:00-09:00", "unknown day");
	win_bad("Mon,,Tue 08:00-09:00", "unknown day \"\"");
	win_bad("Mon, 08:00-09:00", "empty day after ','");
	win_bad("Mon 25:00-26:00", "invalid time \"25:00\"; use HH:MM from 00:00 to 23:59");
	win_bad("Mon 08:60-09:00", "invalid time \"08:60\"");
	win_bad("Mon 24:00-24:00", "invalid time \"24:00\"");
	win_bad("Mon 08:00-24:01", "invalid time \"24:01\"; use HH:MM from 00:00 to 24:00");
	win_bad("Mon 08:00-9a:00", "invalid time \"9a:00\"");
	win_bad("Mon 8:00-9:00", "must give its times as HH:MM-HH:MM");
	win_bad("Mon 08:00", "must give its times as HH:MM-HH:MM");
	win_bad("Mon 08:00-09:00 ", "HH:MM-HH:MM");
	win_bad("Mon 08:00 09:00", "HH:MM-HH:MM");
	win_bad("Mon 18:00-08:00", "ends at or before it starts; a window cannot cross midnight");
	win_bad("Mon 08:00-08:00", "ends at or before it starts");
}

Test(window, contains)
{
	struct jg_window w = win_ok("Fri-Mon 22:00-24:00", FRI | SAT | SUN | MON, 1320, 1440);

	cr_assert(window__contains(&w, 4, 1320));
	cr_assert(window__contains(&w, 0, 1439));
	cr_assert_not(window__contains(&w, 1, 1330));	/* Tuesday */
	cr_assert_not(window__contains(&w, 6, 1319));
	cr_assert_not(window__contains(&w, 7, 1330));
	cr_assert_not(window__contains(&w, -1, 1330));
	w = win_ok("Mon-Fri 08:00-18:00", 0x1f, 480, 1080);
	cr_assert(window__contains(&w, 2, 480));
	cr_assert_not(window__contains(&w, 2, 1080));	/* the end is exclusive */
}

/* ---- dates ---- */

static void ts_ok(const char *text, bool end, int64_t want)
{
	int64_t t = -1;
	char err[256] = "";

	cr_assert_eq(timestamp__parse(text, end, &t, err, sizeof(err)), 0, "'%s': %s", text, err);
	cr_assert_eq(t, want, "'%s' -> %lld, want %lld", text, (long long)t, (long long)want);
}

static void ts_bad(const char *text, const char *gist)
{
	int64_t t = -1;
	char err[256] = "";

	cr_assert_eq(timestamp__parse(text, false, &t, err, sizeof(err)), -EINVAL, "'%s'", text);
	cr_assert_eq(t, -1);
	cr_assert(strstr(err, gist), "'%s': want '%s' in '%s'", text, gist, err);
}

Test(timestamp, valid)
{
	ts_ok("2026-03-01", false, 1772323200);
	ts_ok("2026-03-01", true, 1772323200 + 86400);
	ts_ok("2026-03-01T09:00:00+01:00", false, 1772323200 + 8 * 3600);
	ts_ok("2026-03-01T09:00:00+01:00", true, 1772323200 + 8 * 3600);	/* exact */
	ts_ok("2026-03-01T08:00:00Z", false, 1772323200 + 8 * 3600);
	ts_ok("2026-03-01t08:00:00.999z", false, 1772323200 + 8 * 3600);
	ts_ok("2026-02-28T23:30:00-05:30", false, 1772323200 + 5 * 3600);
	ts_ok("2024-02-29", false, 1709164800);
	ts_ok("2000-02-29", false, 951782400);
	ts_ok("1970-01-02", false, 86400);
	ts_ok("1970-01-01T00:00:01Z", false, 1);
	ts_ok("9999-12-31T23:59:59Z", false, 253402300799);
}

Test(timestamp, errors)
{
	ts_bad("", "must be YYYY-MM-DD or RFC 3339 such as 2026-03-01T09:00:00+01:00");
	ts_bad(NULL, "must be YYYY-MM-DD");
	ts_bad("26-03-01", "must be YYYY-MM-DD");
	ts_bad("2026-3-1", "must be YYYY-MM-DD");
	ts_bad("01/03/2026", "must be YYYY-MM-DD");
	ts_bad("2026-03-01x", "must be YYYY-MM-DD");
	ts_bad("2026-03-01 08:00:00Z", "must be YYYY-MM-DD");
	ts_bad("2026-03-01T08:00:00", "must be YYYY-MM-DD");
	ts_bad("2026-03-01T08:00Z", "must be YYYY-MM-DD");
	ts_bad("2026-03-01T08:00:00+0100", "must be YYYY-MM-DD");
	ts_bad("2026-03-01T08:00:00.Z", "must be YYYY-MM-DD");
	ts_bad("2026-03-01T08:00:00+24:00", "must be YYYY-MM-DD");
	ts_bad("2023-02-29", "\"2023-02-29\" does not exist");
	ts_bad("1900-02-29", "does not exist");
	ts_bad("2026-13-01", "does not exist");
	ts_bad("2026-00-10", "does not exist");
	ts_bad("2026-04-31", "does not exist");
	ts_bad("2026-03-01T24:00:00Z", "does not exist");
	ts_bad("2026-03-01T23:60:00Z", "does not exist");
	ts_bad("2026-03-01T23:59:60Z", "does not exist");
	ts_bad("1969-12-31", "years go from 1970 to 9999");
	ts_bad("1970-01-01", "is not after 1970-01-01T00:00:00Z");
	ts_bad("1970-01-01T00:30:00+01:00", "is not after");
}

/* ---- permissions ---- */

Test(perm, names)
{
	static const char *names[] = { "read", "write", "exec", "connect", "elevate", "bind",
				       "admin" };

	for (unsigned k = 0; k < JG_NPERMS; k++) {
		cr_assert_eq(perm__from_name(names[k]), 1u << k);
		cr_assert_str_eq(perm__name(1u << k), names[k]);
	}
	cr_assert_eq(perm__from_name("Read"), 0);
	cr_assert_eq(perm__from_name(""), 0);
	cr_assert_eq(perm__from_name(NULL), 0);
	cr_assert_null(perm__name(0));
	cr_assert_null(perm__name(JG_PERM_READ | JG_PERM_WRITE));
	cr_assert_null(perm__name(1u << JG_NPERMS));
}

Test(perm, valid_for_kinds)
{
	cr_assert_eq(perm__valid_for_kinds(0), 0);
	cr_assert_eq(perm__valid_for_kinds(JG_RES_FILES), JG_PERM_READ | JG_PERM_WRITE);
	cr_assert_eq(perm__valid_for_kinds(JG_RES_EXEC), JG_PERM_EXEC);
	cr_assert_eq(perm__valid_for_kinds(JG_RES_CONNECT), JG_PERM_CONNECT);
	cr_assert_eq(perm__valid_for_kinds(JG_RES_ELEVATE), JG_PERM_ELEVATE);
	cr_assert_eq(perm__valid_for_kinds(JG_RES_BIND), JG_PERM_BIND);
	cr_assert_eq(perm__valid_for_kinds(JG_RES_FILES | JG_RES_CONNECT),
		     JG_PERM_READ | JG_PERM_WRITE | JG_PERM_CONNECT);
}
