// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Fuzz harness: the single-value parsers people and files feed jitgate. The first byte picks
 * the parser, the rest is its text:
 *   d duration ("1h30m")          i grant or request id ("g-12")     w window ("Mon-Fri 08:00-18:00")
 *   t timestamp (RFC 3339, date)  e endpoint ("10.0.0.0/8:22")       s subject ("group:sre")
 *   a grant allow ("res:read")    h audit head ("SEQ:HEX")           f syslog facility
 *   n sink address ("[::1]:514")  j a ledger row's allow JSON        c a role's schedule (JSON)
 * Another first byte picks by its value modulo the count. What parses is used the way the
 * product uses it, and the round trips that must hold are checked (format then parse again). */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <jansson.h>
#include "fuzz.h"
#include "audit/auditchain.h"
#include "audit/sink.h"
#include "lib/duration.h"
#include "lib/id.h"
#include "policy/policy.h"
#include "policy/schedule.h"
#include "workflow/grants.h"

static void one_duration(const char *s)
{
	uint64_t secs, again;
	char buf[64], err[256];

	if (duration__parse(s, &secs, err, sizeof(err)))
		return;
	if (!secs || secs > JG_DURATION_MAX)
		fz_fail("duration \"%s\" parsed to %llu", s, (unsigned long long)secs);
	duration__format(secs, buf, sizeof(buf));
	if (duration__parse(buf, &again, err, sizeof(err)) || again != secs)
		fz_fail("duration %llu formats as \"%s\", which does not parse back",
			(unsigned long long)secs, buf);
}

static void one_id(const char *s)
{
	static const char kinds[] = { JG_ID_GRANT, JG_ID_REQUEST };
	char buf[32];
	uint64_t id;

	for (size_t k = 0; k < sizeof(kinds); k++) {
		if (id__parse(s, kinds[k], &id))
			continue;
		id__format(kinds[k], id, buf, sizeof(buf));
		if (strcmp(buf, s))	/* one spelling per id: no sign, space or leading zero */
			fz_fail("id \"%s\" parsed to %llu, which formats as \"%s\"", s,
				(unsigned long long)id, buf);
	}
	if (!grants__parse_id(s, &id)) {
		grants__format_id(id, buf, sizeof(buf));
		if (strcmp(buf, s))
			fz_fail("grant id \"%s\" formats back as \"%s\"", s, buf);
	}
}

static void one_window(const char *s)
{
	struct jg_window w;
	char err[256];

	if (window__parse(s, &w, err, sizeof(err)))
		return;
	if (!w.days || w.days > 0x7f || w.end_min <= w.start_min || w.end_min > 1440)
		fz_fail("window \"%s\" parsed to days %#x %u-%u", s, w.days, w.start_min, w.end_min);
	for (int day = 0; day < 7; day++)
		for (int m = 0; m < 1440; m += 37)
			(void)window__contains(&w, day, m);
}

static void one_timestamp(const char *s)
{
	char err[256];
	int64_t t;

	for (int eod = 0; eod < 2; eod++)
		if (!timestamp__parse(s, eod, &t, err, sizeof(err)) && t < 0)
			fz_fail("timestamp \"%s\" parsed to %lld, before 1970", s, (long long)t);
}

static void one_endpoint(const char *s, const uint8_t *probe)
{
	struct jg_endpoint ep = { 0 };
	char err[256];

	if (endpoint__parse(s, &ep, err, sizeof(err)))
		return;
	if (ep.prefixlen > 128 || ep.port_lo > ep.port_hi || !ep.port_lo || !ep.text)
		fz_fail("endpoint \"%s\" parsed to /%u ports %u-%u", s, ep.prefixlen, ep.port_lo,
			ep.port_hi);
	if (ep.is_v4 && ep.prefixlen < 96)
		fz_fail("IPv4 endpoint \"%s\" has prefix %u in the IPv6 space", s, ep.prefixlen);
	/* its own address and lowest port are inside it */
	if (!endpoint__contains(&ep, ep.addr, ep.port_lo))
		fz_fail("endpoint \"%s\" does not contain its own address", s);
	(void)endpoint__contains(&ep, probe, (uint16_t)(probe[0] << 8 | probe[1]));
	(void)endpoint__touches_loopback(&ep);
	(void)endpoint__in_loopback(ep.addr, ep.prefixlen);
	endpoint__free(&ep);
}

static void one_subject(const char *s)
{
	struct jg_subject sub = { 0 }, again = { 0 };
	char buf[512], err[256];

	if (subject__parse(s, &sub, err, sizeof(err)))
		return;
	subject__format(&sub, buf, sizeof(buf));
	if (strlen(buf) < sizeof(buf) - 1 &&
	    (subject__parse(buf, &again, err, sizeof(err)) || again.kind != sub.kind ||
	     again.id != sub.id || (!sub.name) != (!again.name) ||
	     (sub.name && strcmp(sub.name, again.name))))
		fz_fail("subject \"%s\" formats as \"%s\", which does not parse back", s, buf);
	subject__free(&again);
	subject__free(&sub);
}

static void one_allow(const char *s)
{
	struct jg_grant_allow a;
	char err[256];

	if (!grants__parse_allow(s, &a, err, sizeof(err)) &&
	    (!a.resource[0] || !memchr(a.resource, '\0', sizeof(a.resource))))
		fz_fail("allow \"%s\" parsed to a bad resource name", s);
}

static void one_head(const char *s)
{
	char hex[JG_CHAIN_HEX + 1];
	uint64_t seq;

	if (!auditchain__parse_head(s, &seq, hex) && (!seq || strlen(hex) != JG_CHAIN_HEX))
		fz_fail("head \"%s\" parsed to seq %llu", s, (unsigned long long)seq);
}

static void one_facility(const char *s)
{
	int f = sink__facility(s);

	if (f < -1 || f > 23)
		fz_fail("facility \"%s\" is %d", s, f);
}

static void one_address(const char *s)
{
	struct sockaddr_storage ss;
	uint32_t len = 0;

	if (!sink__parse_address(s, &ss, &len) &&
	    (len > sizeof(ss) || (ss.ss_family != AF_INET && ss.ss_family != AF_INET6)))
		fz_fail("address \"%s\" parsed to family %d length %u", s, ss.ss_family, len);
}

/* What the ledger stores for a grant's allow, read back at start (ledger.c grant_row). */
static void one_allow_json(const char *s)
{
	struct jg_grant_rec *r = calloc(1, sizeof(*r));
	json_t *j = json_loads(s, 0, NULL), *back;
	char err[256];

	if (!r)
		abort();
	if (!grants__allow_from_json(j, r, err, sizeof(err))) {
		if (!r->nallow || r->nallow > JG_GRANT_MAX_ALLOW)
			fz_fail("allow JSON gave %zu entries", r->nallow);
		back = grants__allow_json(r);
		json_decref(back);
	}
	json_decref(j);
	free(r);
}

/* A schedule as a role holds it: the text is the role's "schedule" value, validated by the
 * policy loader (zone names checked against the zone database), then evaluated at a time
 * taken from the input's last 8 bytes. */
static void one_schedule(const char *s, int64_t now)
{
	static const char head[] = "{\"version\":1,\"resources\":{\"r\":{\"files\":[\"/\"]}},"
		"\"roles\":{\"x\":{\"allow\":{\"r\":[\"read\"]},\"requesters\":[\"uid:1\"],"
		"\"schedule\":";
	size_t len = sizeof(head) + strlen(s) + 8;
	char *text = malloc(len), buf[512], err[512];
	struct jg_policy *p = NULL;
	const struct jg_schedule *sc;
	int64_t until, next;

	if (!text)
		abort();
	snprintf(text, len, "%s%s}}}", head, s);
	if (policy__load_string(text, "fuzz", &p, err, sizeof(err)) || !p->nroles ||
	    !p->roles[0].has_schedule)
		goto cleanup;
	sc = &p->roles[0].schedule;
	now %= 400ll * 366 * 86400;	/* 1970 .. 2370 */
	if (now < 0)
		now = -now;
	if (schedule__contains(sc, now, &until) && until <= now)
		fz_fail("schedule %s: available at %lld until %lld", s, (long long)now,
			(long long)until);
	next = schedule__next_start(sc, now);
	if (next && next <= now)
		fz_fail("schedule %s: next start %lld is not after %lld", s, (long long)next,
			(long long)now);
	if (next && !schedule__contains(sc, next, NULL))
		fz_fail("schedule %s: not available at its next start %lld", s, (long long)next);
	schedule__describe(sc, buf, sizeof(buf));
	schedule__local_time(sc, now, buf, sizeof(buf));
cleanup:
	policy__free(p);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char picks[] = "diwtesahfnjc";
	uint8_t probe[16] = { 0 };
	int64_t now = 0;
	const char *k;
	char *s;
	int pick;

	if (size < 1 || size > 4096)
		return 0;
	k = memchr(picks, data[0], sizeof(picks) - 1);
	pick = k ? (int)(k - picks) : data[0] % (int)(sizeof(picks) - 1);
	s = fz_str(data + 1, size - 1);
	memcpy(probe, data + 1, size - 1 < 16 ? size - 1 : 16);
	if (size >= 9)
		memcpy(&now, data + size - 8, 8);
	switch (picks[pick]) {
	case 'd': one_duration(s); break;
	case 'i': one_id(s); break;
	case 'w': one_window(s); break;
	case 't': one_timestamp(s); break;
	case 'e': one_endpoint(s, probe); break;
	case 's': one_subject(s); break;
	case 'a': one_allow(s); break;
	case 'h': one_head(s); break;
	case 'f': one_facility(s); break;
	case 'n': one_address(s); break;
	case 'j': one_allow_json(s); break;
	case 'c': one_schedule(s, now); break;
	}
	free(s);
	return 0;
}
