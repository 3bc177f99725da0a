// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/uio.h>
#include <sys/socket.h>
#include "audit/audit.h"
#include "audit/sink.h"

#define DENY_FILE "{\"seq\":3,\"time\":\"2026-11-22T19:36:13.256800110Z\",\"host\":\"jitgate-vm\"," \
	"\"type\":\"access.deny\",\"hook\":\"file_open\",\"subject\":{\"uid\":1000,\"loginuid\":null," \
	"\"user\":\"alice\"},\"process\":{\"pid\":200,\"tid\":200,\"ppid\":114,\"comm\":\"cat\"," \
	"\"exe\":\"/bin/busybox\",\"uid\":1000,\"euid\":1000},\"resource\":\"prod-secrets\"," \
	"\"perm\":\"read\",\"object\":{\"path\":\"/srv/prod/secrets/db.pw\",\"dev\":\"0:2\"," \
	"\"ino\":993,\"protected_ino\":991},\"grant_id\":null,\"errno\":13,\"chain\":\"ab12\"}"
#define DENY_NET "{\"seq\":4,\"time\":\"2026-11-22T19:38:13.931893390Z\",\"host\":\"jitgate-vm\"," \
	"\"type\":\"access.deny\",\"hook\":\"connect\",\"subject\":{\"uid\":1000,\"loginuid\":null," \
	"\"user\":\"alice\"},\"process\":{\"pid\":209,\"tid\":209,\"ppid\":114,\"comm\":\"jg-probe\"," \
	"\"exe\":null,\"uid\":1000,\"euid\":1000},\"resource\":\"prod-db\",\"perm\":\"connect\"," \
	"\"object\":{\"family\":\"%s\",\"addr\":\"%s\",\"port\":7777},\"grant_id\":null,\"errno\":13}"
#define GRANT "{\"seq\":5,\"time\":\"2026-11-22T19:36:14.188963270Z\",\"host\":\"jitgate-vm\"," \
	"\"type\":\"grant.create\",\"grant_id\":\"g-1\",\"subject\":{\"uid\":1000,\"loginuid\":null," \
	"\"user\":\"alice\"},\"allow\":[{\"resource\":\"prod-secrets\",\"perms\":[\"read\",\"write\"]}]," \
	"\"reason\":\"INC-4711: a=b \\\\ c\\nnext\",\"expires\":\"2026-11-22T19:36:34.186062960Z\"," \
	"\"duration_s\":20,\"break_glass\":%s,\"by\":{\"uid\":0,\"loginuid\":null,\"user\":\"root\"," \
	"\"pid\":209}}"
#define APPROVE "{\"seq\":8,\"time\":\"2026-11-22T21:44:26.570665120Z\",\"host\":\"jitgate-vm\"," \
	"\"type\":\"request.approve\",\"request_id\":\"r-1\",\"role\":\"db-debug\",\"subject\":" \
	"{\"uid\":1000,\"loginuid\":null,\"user\":\"alice\"},\"reason\":\"INC-4711\",\"state\":" \
	"\"approved\",\"duration_s\":20,\"approvals\":1,\"approvals_needed\":1,\"deciders\":[]," \
	"\"grant_id\":\"g-1\",\"by\":{\"uid\":1001,\"loginuid\":null,\"user\":\"bob\",\"pid\":199}}"
#define LOST "{\"seq\":9,\"time\":\"2026-11-22T21:44:27.000000000Z\",\"host\":\"h\"," \
	"\"type\":\"audit.lost\",\"lost\":5,\"lost_total\":12,\"reason\":\"ring buffer full\"}"

static json_t *rec(const char *text)
{
	json_error_t e;
	json_t *j = json_loads(text, 0, &e);

	cr_assert(j, "bad fixture: %s", e.text);
	return j;
}

static json_t *recf(const char *fmt, const char *a, const char *b)
{
	char buf[4096];

	snprintf(buf, sizeof(buf), fmt, a, b);
	return rec(buf);
}

#define HAS(s, sub) cr_assert(strstr((s), (sub)), "missing [%s] in %s", (sub), (s))
#define HASNT(s, sub) cr_assert(!strstr((s), (sub)), "unexpected [%s] in %s", (sub), (s))

/* ------------------------------------------------------------------ CEF */

/* r as CEF (r is freed) */
static char *cef(json_t *r)
{
	char *s = sink__cef(r);

	json_decref(r);
	return s;
}

Test(cef, access_deny_file)
{
	char *s = cef(rec(DENY_FILE));

	cr_assert(!strncmp(s, "CEF:0|jitgate|jitgate|0.1.0|access.deny|access denied|7|", 56),
		  "%s", s);
	HAS(s, "externalId=3 rt=1795376173256 dvchost=jitgate-vm cat=file_open");
	HAS(s, " suser=alice suid=1000 spid=200 sproc=cat ");
	HAS(s, " filePath=/srv/prod/secrets/db.pw fname=db.pw fileId=993 ");
	HAS(s, " act=blocked outcome=failure cs1=prod-secrets cs1Label=resource ");
	HAS(s, " cs2=/bin/busybox cs2Label=exe cs3=read cs3Label=perm");
	HASNT(s, "dst=");
	HASNT(s, "cs4=");
	free(s);
}

Test(cef, access_deny_network_v4_and_v6)
{
	char *s = cef(recf(DENY_NET, "inet", "10.0.0.5"));

	HAS(s, " dst=10.0.0.5 dpt=7777 ");
	HASNT(s, "filePath");
	HASNT(s, "cs2=");		/* exe null */
	free(s);
	s = cef(recf(DENY_NET, "inet6", "::1"));
	HAS(s, " c6a3=::1 c6a3Label=Destination IPv6 Address dpt=7777 ");
	free(s);
}

Test(cef, grant_create_escapes_and_break_glass)
{
	char *s = cef(recf(GRANT, "false", NULL));
	json_t *r;

	cr_assert(strstr(s, "|grant.create|grant created|5|"), "%s", s);
	HAS(s, " suser=root suid=0 duser=alice duid=1000 spid=209 ");
	HAS(s, " cs1=prod-secrets:read+write cs1Label=allow ");
	HAS(s, " cs4=g-1 cs4Label=grant_id ");
	HAS(s, " cn2=20 cn2Label=duration_s end=1795376194186 ");
	/* = \ and newline escaped in an extension value */
	HAS(s, " msg=INC-4711: a\\=b \\\\ c\\nnext");
	free(s);
	r = recf(GRANT, "true", NULL);
	s = sink__cef(r);
	HAS(s, "|grant.create|grant created|10|");
	cr_assert_eq(sink__severity(r), 10);
	free(s);
	json_decref(r);
}

Test(cef, header_escapes_pipe_and_backslash)
{
	char *s = cef(rec("{\"seq\":1,\"type\":\"odd|ty\\\\pe\",\"reason\":\"x|y\"}"));

	HAS(s, "|odd\\|ty\\\\pe|odd\\|ty\\\\pe|5|");
	HAS(s, "msg=x|y");		/* a pipe needs no escape in an extension */
	free(s);
}

Test(cef, request_approve)
{
	char *s = cef(rec(APPROVE));

	HAS(s, "|request.approve|request approved|4|");
	HAS(s, " suser=bob suid=1001 duser=alice duid=1000 spid=199 ");
	HAS(s, " cs4=g-1 cs4Label=grant_id cs5=r-1 cs5Label=request_id cs6=db-debug cs6Label=role");
	HAS(s, " msg=INC-4711");
	free(s);
}

Test(cef, audit_lost)
{
	char *s = cef(rec(LOST));

	HAS(s, "|audit.lost|audit events lost|9|");
	HAS(s, " outcome=failure cnt=5 cn1=12 cn1Label=lost_total msg=ring buffer full");
	free(s);
}

/* ------------------------------------------------------------------ OCSF */

static json_t *ocsf(json_t *r)
{
	json_t *o = sink__ocsf(r);

	json_decref(r);
	return o;
}

#define GET(o, path) json_object_get_path(o, path)

static json_t *json_object_get_path(json_t *o, const char *path)
{
	char buf[128], *save = NULL, *tok;

	snprintf(buf, sizeof(buf), "%s", path);
	for (tok = strtok_r(buf, ".", &save); tok && o; tok = strtok_r(NULL, ".", &save))
		o = json_object_get(o, tok);
	return o;
}

#define INT_AT(o, path, want) cr_assert_eq(json_integer_value(GET(o, path)), (want), "%s", path)
#define STR_AT(o, path, want) cr_assert_str_eq(json_string_value(GET(o, path)) ?: "(none)", \
					       (want), "%s", path)

Test(ocsf, access_deny_file)
{
	json_t *o = ocsf(rec(DENY_FILE));

	INT_AT(o, "class_uid", 1001);
	INT_AT(o, "category_uid", 1);
	INT_AT(o, "activity_id", 14);
	INT_AT(o, "type_uid", 100114);
	INT_AT(o, "severity_id", 4);
	INT_AT(o, "status_id", 2);
	INT_AT(o, "disposition_id", 2);
	INT_AT(o, "time", 1795376173256LL);
	STR_AT(o, "metadata.version", "1.1.0");
	STR_AT(o, "metadata.product.name", "jitgate");
	STR_AT(o, "metadata.product.vendor_name", "jitgate");
	INT_AT(o, "metadata.sequence", 3);
	STR_AT(o, "device.hostname", "jitgate-vm");
	STR_AT(o, "actor.user.name", "alice");
	STR_AT(o, "actor.user.uid", "1000");
	INT_AT(o, "actor.process.pid", 200);
	STR_AT(o, "actor.process.file.path", "/bin/busybox");
	STR_AT(o, "file.path", "/srv/prod/secrets/db.pw");
	STR_AT(o, "file.name", "db.pw");
	STR_AT(o, "file.uid", "0:2:993");
	STR_AT(o, "unmapped.resource", "prod-secrets");
	STR_AT(o, "unmapped.perm", "read");
	STR_AT(o, "unmapped.type", "access.deny");
	STR_AT(o, "unmapped.chain", "ab12");	/* fields we do not know travel along */
	cr_assert_null(GET(o, "unmapped.seq"));
	cr_assert_null(GET(o, "unmapped.subject"));
	cr_assert_null(GET(o, "unmapped.object"));
	json_decref(o);
}

Test(ocsf, access_deny_network)
{
	json_t *o = ocsf(recf(DENY_NET, "inet", "10.0.0.5"));

	INT_AT(o, "class_uid", 4001);
	INT_AT(o, "category_uid", 4);
	INT_AT(o, "activity_id", 5);
	STR_AT(o, "dst_endpoint.ip", "10.0.0.5");
	INT_AT(o, "dst_endpoint.port", 7777);
	INT_AT(o, "connection_info.protocol_ver_id", 4);
	cr_assert_null(GET(o, "file"));
	json_decref(o);
}

Test(ocsf, grant_create)
{
	json_t *o = ocsf(recf(GRANT, "false", NULL));

	INT_AT(o, "class_uid", 3001);
	INT_AT(o, "category_uid", 3);
	INT_AT(o, "activity_id", 7);
	INT_AT(o, "severity_id", 3);
	STR_AT(o, "user.name", "alice");
	STR_AT(o, "actor.user.name", "root");
	STR_AT(o, "unmapped.grant_id", "g-1");
	cr_assert(json_is_array(GET(o, "unmapped.allow")));
	json_decref(o);
	o = ocsf(recf(GRANT, "true", NULL));
	INT_AT(o, "severity_id", 5);
	json_decref(o);
}

Test(ocsf, request_approve)
{
	json_t *o = ocsf(rec(APPROVE));

	INT_AT(o, "class_uid", 3004);
	INT_AT(o, "activity_id", 3);
	INT_AT(o, "type_uid", 300403);
	STR_AT(o, "entity.uid", "r-1");
	STR_AT(o, "entity.name", "db-debug");
	STR_AT(o, "actor.user.name", "bob");
	STR_AT(o, "unmapped.state", "approved");
	json_decref(o);
}

Test(ocsf, audit_lost)
{
	json_t *o = ocsf(rec(LOST));

	INT_AT(o, "class_uid", 6002);
	INT_AT(o, "category_uid", 6);
	INT_AT(o, "activity_id", 99);
	INT_AT(o, "severity_id", 5);
	INT_AT(o, "status_id", 2);
	STR_AT(o, "app.name", "jitgate");
	INT_AT(o, "unmapped.lost", 5);
	INT_AT(o, "unmapped.lost_total", 12);
	json_decref(o);
}

Test(ocsf, daemon_lifecycle)
{
	static const struct { const char *type; int id; } want[] = {
		{ "daemon.start", 3 }, { "daemon.stop", 4 }, { "policy.load", 8 },
		{ "policy.reject", 8 }, { "gate.unload", 7 }, { "audit.gap", 99 },
	};

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		json_t *o = ocsf(json_pack("{s:i, s:s, s:s, s:s}", "seq", 1, "time",
					   "2026-11-22T21:44:27.000000000Z", "host", "h", "type",
					   want[i].type));

		INT_AT(o, "class_uid", 6002);
		cr_assert_eq(json_integer_value(GET(o, "activity_id")), want[i].id, "%s",
			     want[i].type);
		json_decref(o);
	}
}

/* ------------------------------------------------------------------ syslog framing */

Test(syslog, rfc5424_header_and_pri)
{
	json_t *r = rec(DENY_FILE);
	size_t len;
	char *s = sink__rfc5424(r, 10, "jitgate", "MSG", 3, &len);

	/* authpriv (10) * 8 + warning (4) */
	cr_assert_str_eq(s, "<84>1 2026-11-22T19:36:13.256800Z jitgate-vm jitgate - access.deny "
			 "[jitgate@32473 seq=\"3\"] MSG");
	cr_assert_eq(len, strlen(s));
	free(s);
	json_decref(r);
	r = rec(LOST);
	s = sink__rfc5424(r, 16, "a b", "", 0, &len);	/* local0 * 8 + err (3) */
	cr_assert_str_eq(s, "<131>1 2026-11-22T21:44:27.000000Z h ab - audit.lost "
			 "[jitgate@32473 seq=\"9\"] ");
	free(s);
	json_decref(r);
	r = rec("{\"type\":\"x\"}");
	s = sink__rfc5424(r, 1, "app", "m", 1, &len);
	cr_assert_str_eq(s, "<13>1 - - app - x - m");
	free(s);
	json_decref(r);
}

/* A "time" whose zone part holds a line break (or anything else) is not copied raw into the
 * header: it would end the syslog message there. */
Test(syslog, rfc5424_time_is_never_copied_raw)
{
	json_t *r = rec("{\"type\":\"x\",\"time\":\"2026-11-22T22:52:54.2\\n010170Z\"}");
	size_t len;
	char *s = sink__rfc5424(r, 1, "app", "m", 1, &len);

	cr_assert_not_null(s);
	cr_assert_null(memchr(s, '\n', len), "%s", s);
	cr_assert_str_eq(s, "<13>1 2026-11-22T22:52:54.2010170Z - app - x - m");
	free(s);
	json_decref(r);
}

/* ---- hostile text: a reason, a path and a comm full of control characters, separators
 * and bytes that are not UTF-8, through every format: nothing raw comes out */

#define HOSTILE_TEXT "a\x1b[2J\x1b]0;pwned\x07|b=c\\d\"e]f\nCEF:0|fake|\r\t\x7f\xc2\x9b" "31m"

/* the record as the daemon would have it, plus (nocheck) a path that is not UTF-8 */
static json_t *hostile(bool bad_utf8)
{
	json_t *r = rec(DENY_FILE);
	json_t *obj = json_object_get(r, "object"), *proc = json_object_get(r, "process");

	json_object_set_new(r, "type", json_string("access.deny|x"));
	json_object_set_new(r, "reason", json_string(HOSTILE_TEXT));
	json_object_set_new(r, "role", json_string(HOSTILE_TEXT));
	json_object_set_new(proc, "comm", json_string("ev\x1bil\ncomm"));
	json_object_set_new(obj, "path", bad_utf8 ?
			    json_string_nocheck("/srv/prod/secrets/\xff\xfe\xc0\xaf\xed\xa0\x80x\x1b") :
			    json_string("/srv/prod/secrets/" HOSTILE_TEXT));
	return r;
}

/* no C0 control character (tab included) and no DEL in s */
static void no_raw_controls(const char *what, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		cr_assert(!((unsigned char)s[i] < 0x20 || s[i] == 0x7f),
			  "%s: raw byte 0x%02x at %zu in %s", what, (unsigned char)s[i], i, s);
	/* nor a C1 control (U+0080-U+009F as UTF-8) */
	for (size_t i = 0; i + 1 < len; i++)
		cr_assert(!((unsigned char)s[i] == 0xc2 && (unsigned char)s[i + 1] >= 0x80 &&
			    (unsigned char)s[i + 1] <= 0x9f), "%s: raw C1 at %zu in %s", what, i, s);
}

/* well-formed UTF-8 (whatever the input had) */
static void valid_utf8(const char *what, const char *s)
{
	json_t *j = json_string(s);	/* jansson checks UTF-8 */

	cr_assert(j, "%s: not UTF-8: %s", what, s);
	json_decref(j);
}

/* The hostile record as CEF, with no raw control and valid UTF-8. */
static char *hostile_cef(bool bad_utf8)
{
	char *s = cef(hostile(bad_utf8));

	no_raw_controls("cef", s, strlen(s));
	valid_utf8("cef", s);
	return s;
}

Test(hostile, cef_escapes_everything)
{
	char *s = hostile_cef(false);

	/* header: | and \ escaped */
	HAS(s, "|access.deny\\|x|");
	/* extension: = and \ escaped, newline as \n, the rest as \xNN */
	HAS(s, " msg=a\\x1B[2J\\x1B]0;pwned\\x07|b\\=c\\\\d\"e]f\\nCEF:0|fake|\\r\\x09\\x7F"
	       "\\xC2\\x9B31m");
	HAS(s, " sproc=ev\\x1Bil\\ncomm ");
	HAS(s, " filePath=/srv/prod/secrets/a\\x1B[2J");
	/* no extension can be forged: every = in a value is escaped */
	HASNT(s, " fake=");
	free(s);
}

Test(hostile, cef_invalid_utf8_escaped)
{
	char *s = hostile_cef(true);

	HAS(s, "filePath=/srv/prod/secrets/\\xFF\\xFE\\xC0\\xAF\\xED\\xA0\\x80x\\x1B ");
	free(s);
}

/* The JSON sink gets the audit line as audit__emit wrote it. */
static char tapped[16384];

static void tap(const char *line, size_t len, void *ctx)
{
	(void)ctx;
	cr_assert_lt(len, sizeof(tapped));
	memcpy(tapped, line, len);
	tapped[len] = 0;
}

static char *audit_line(json_t *r)
{
	char dirt[] = "/tmp/jg-sink-audit-XXXXXX", path[64], err[256];
	struct jg_audit a;

	cr_assert(mkdtemp(dirt));
	snprintf(path, sizeof(path), "%s/audit.jsonl", dirt);
	cr_assert_eq(audit__open(&a, path, false, "h", err, sizeof(err)), 0, "%s", err);
	audit__set_tap(&a, tap, NULL);
	tapped[0] = 0;
	json_object_del(r, "seq");
	json_object_del(r, "time");
	json_object_del(r, "host");
	json_object_del(r, "chain");
	cr_assert_eq(audit__emit(&a, json_incref(r), 0), 0);
	audit__close(&a);
	unlink(path);
	rmdir(dirt);
	return tapped;
}

Test(hostile, json_and_ocsf_escape_and_refuse_bad_utf8)
{
	json_t *r = hostile(false), *back;
	char *line = audit_line(r), *s;
	size_t len;

	/* JSON: the audit line as is; jansson escaped it, audit__emit its DEL */
	s = sink__format(SINK_JSON, r, line, strlen(line), &len);
	no_raw_controls("json", s, len);
	HAS(s, "\\u001B[2J");
	HAS(s, "\\u007F");
	back = json_loads(s, 0, NULL);
	cr_assert(back, "the escaped line is JSON");
	cr_assert_str_eq(json_string_value(json_object_get(back, "reason")), HOSTILE_TEXT);
	json_decref(back);
	free(s);
	s = sink__format(SINK_OCSF, r, line, strlen(line), &len);
	no_raw_controls("ocsf", s, len);
	HAS(s, "\\u001B");
	free(s);
	json_decref(r);
	/* a string that is not UTF-8 never reaches a JSON output: jansson refuses to write it
	 * (the daemon's kernel names are made UTF-8 before, audit.c kernel_text) */
	r = hostile(true);
	line = json_dumps(r, JSON_COMPACT | JSON_ENSURE_ASCII);
	cr_assert_null(line, "jansson wrote a string that is not UTF-8: %s", line);
	s = sink__format(SINK_OCSF, r, "", 0, &len);
	if (s) {		/* a field jansson cannot hold is left out, never written raw */
		no_raw_controls("ocsf", s, len);
		valid_utf8("ocsf", s);
	}
	free(s);
	json_decref(r);
}

Test(hostile, rfc5424_around_every_format)
{
	static const enum sink_format fmts[] = { SINK_JSON, SINK_CEF, SINK_OCSF };
	json_t *r = hostile(false);
	char *line = audit_line(r);

	json_object_set_new(r, "host", json_string("h\x1bst\nx"));
	json_object_set_new(r, "seq", json_integer(3));
	for (size_t i = 0; i < 3; i++) {
		size_t mlen, slen;
		char *m = sink__format(fmts[i], r, line, strlen(line), &mlen);
		char *s = sink__rfc5424(r, 10, "jitgate", m, mlen, &slen);

		no_raw_controls("rfc5424", s, slen);
		HAS(s, " hstx jitgate - access.deny|x [jitgate@32473 seq=\"3\"] ");
		free(m);
		free(s);
	}
	json_decref(r);
}

Test(hostile, sd_param_values)
{
	char *v = sink__sd_value("a\"b\\c]d\ne\x1b\xff");

	cr_assert_str_eq(v, "a\\\"b\\\\c\\]d\\x0Ae\\x1B\\xFF");
	free(v);
	v = sink__sd_value("");
	cr_assert_str_eq(v, "");
	free(v);
}

Test(syslog, facility_names)
{
	cr_assert_eq(sink__facility("authpriv"), 10);
	cr_assert_eq(sink__facility("auth"), 4);
	cr_assert_eq(sink__facility("local0"), 16);
	cr_assert_eq(sink__facility("local7"), 23);
	cr_assert_eq(sink__facility("local8"), -1);
	cr_assert_eq(sink__facility("bogus"), -1);
}

Test(syslog, octet_counting_frame)
{
	size_t len;
	char *f = sink__octet_frame("hello world", 11, &len);

	cr_assert_str_eq(f, "11 hello world");
	cr_assert_eq(len, 14);
	free(f);
}

Test(syslog, addresses)
{
	struct sockaddr_storage ss;
	uint32_t l;

	cr_assert_eq(sink__parse_address("127.0.0.1:6514", &ss, &l), 0);
	cr_assert_eq(ss.ss_family, AF_INET);
	cr_assert_eq(ntohs(((struct sockaddr_in *)&ss)->sin_port), 6514);
	cr_assert_eq(sink__parse_address("[::1]:514", &ss, &l), 0);
	cr_assert_eq(ss.ss_family, AF_INET6);
	cr_assert_neq(sink__parse_address("::1:514", &ss, &l), 0);
	cr_assert_neq(sink__parse_address("127.0.0.1", &ss, &l), 0);
	cr_assert_neq(sink__parse_address("127.0.0.1:0", &ss, &l), 0);
	cr_assert_neq(sink__parse_address("logs.example:514", &ss, &l), 0);
}

/* ------------------------------------------------------------------ config */

static void bad_config(const char *text, const char *want)
{
	char err[512] = "";
	json_t *j = rec(text);

	cr_assert_eq(sink__config(j, "/tmp", err, sizeof(err)), -EINVAL, "%s accepted", text);
	cr_assert(strstr(err, want), "error [%s] lacks [%s]", err, want);
	json_decref(j);
}

Test(config, errors_name_the_index_and_key)
{
	bad_config("{}", "\"sinks\" must be an array");
	bad_config("[{\"type\":\"kafka\"}]", "sinks[0].type must be");
	bad_config("[{\"type\":\"stdout\"},{\"type\":\"syslog\",\"address\":\"127.0.0.1:1\","
		   "\"transport\":\"sctp\"}]", "sinks[1].transport must be \"tcp\" or \"udp\"");
	bad_config("[{\"type\":\"syslog\"}]", "sinks[0].address is required");
	bad_config("[{\"type\":\"syslog\",\"address\":\"localhost:514\"}]", "sinks[0].address must be");
	bad_config("[{\"type\":\"stdout\",\"format\":\"leef\"}]", "sinks[0].format must be");
	bad_config("[{\"type\":\"stdout\",\"address\":\"127.0.0.1:1\"}]",
		   "sinks[0].address applies to \"syslog\" sinks only");
	bad_config("[{\"type\":\"syslog\",\"address\":\"127.0.0.1:1\",\"facility\":\"nope\"}]",
		   "sinks[0].facility");
	bad_config("[{\"type\":\"syslog\",\"address\":\"127.0.0.1:1\",\"spool_max_bytes\":10}]",
		   "sinks[0].spool_max_bytes");
	bad_config("[{\"type\":\"stdout\",\"colour\":true}]", "sinks[0]: unknown key \"colour\"");
	bad_config("[{\"type\":\"file\"}]", "sinks[0].path is required");
	bad_config("[{\"type\":\"syslog\",\"address\":\"127.0.0.1:1\"},"
		   "{\"type\":\"syslog\",\"address\":\"127.0.0.1:1\"}]", "sinks[1] repeats sinks[0]");
}

/* ------------------------------------------------------------------ spool and TCP */

static char spool_dir[64];

static void setup_dir(void)
{
	snprintf(spool_dir, sizeof(spool_dir), "/tmp/jg-sink-test.XXXXXX");
	cr_assert(mkdtemp(spool_dir));
}

static void teardown_dir(void)
{
	char cmd[128];

	sink__close();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", spool_dir);
	cr_assert_eq(system(cmd), 0);
}

/* A bound TCP socket that is not (yet) listening: connects to it are refused. */
static int bound_socket(int *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t l = sizeof(a);
	int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	a.sin_port = htons((uint16_t)*port);
	cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0, "bind: %s", strerror(errno));
	getsockname(fd, (struct sockaddr *)&a, &l);
	*port = ntohs(a.sin_port);
	return fd;
}

static void config_tcp(int port, long max)
{
	char text[256], err[256] = "";
	json_t *j;

	snprintf(text, sizeof(text), "[{\"type\":\"syslog\",\"transport\":\"tcp\",\"address\":"
		 "\"127.0.0.1:%d\",\"spool_max_bytes\":%ld}]", port, max);
	j = rec(text);
	cr_assert_eq(sink__config(j, spool_dir, err, sizeof(err)), 0, "%s", err);
	json_decref(j);
}

static void emit(int seq)
{
	char line[256];
	int n = snprintf(line, sizeof(line), "{\"seq\":%d,\"time\":\"2026-11-22T19:36:13.000000001Z\","
			 "\"host\":\"h\",\"type\":\"grant.expire\",\"grant_id\":\"g-%d\"}\n", seq, seq);

	sink__tap(line, (size_t)n, NULL);
}

static json_int_t stat_of(const char *key)
{
	json_t *a = sink__stats();
	json_int_t v = json_integer_value(json_object_get(json_array_get(a, 0), key));

	json_decref(a);
	return v;
}

/* Accept the sink's connection (ticking it along) and read frames until want seqs came;
 * each must be a well-formed octet-counted RFC 5424 frame. Returns the connection. */
static int collect(int lfd, int cfd, int *seqs, int want, int *got)
{
	static char buf[1 << 16];
	static size_t have;

	fcntl(lfd, F_SETFL, O_NONBLOCK);
	for (int i = 0; i < 200 && *got < want; i++) {
		struct pollfd p;
		char *sp, *end;
		ssize_t n;

		sink__tick();
		if (cfd < 0) {
			cfd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
			if (cfd < 0) {
				usleep(50000);
				continue;
			}
			have = 0;
		}
		p = (struct pollfd){ .fd = cfd, .events = POLLIN };
		if (poll(&p, 1, 50) != 1)
			continue;
		n = read(cfd, buf + have, sizeof(buf) - have - 1);
		if (n <= 0)
			continue;
		have += (size_t)n;
		buf[have] = 0;
		for (;;) {
			long len = strtol(buf, &sp, 10);
			char *seq;

			if (sp == buf || *sp != ' ' || (size_t)(sp + 1 - buf) + (size_t)len > have)
				break;
			end = sp + 1 + len;
			cr_assert(!strncmp(sp + 1, "<86>1 2026-11-22T19:36:13.000000Z h jitgate - "
					   "grant.expire [jitgate@32473 seq=", 78), "%.*s",
				  (int)len, sp + 1);
			seq = strstr(sp + 1, "{\"seq\":");
			cr_assert(seq && seq < end);
			seqs[(*got)++] = atoi(seq + 7);
			cr_assert_eq(end[-1], '}', "a frame ends with the record");
			memmove(buf, end, have - (size_t)(end - buf));
			have -= (size_t)(end - buf);
		}
	}
	return cfd;
}

Test(spool, tcp_in_order_across_collector_restarts, .init = setup_dir, .fini = teardown_dir)
{
	int port = 0, lfd = bound_socket(&port), cfd, seqs[200], got = 0;

	config_tcp(port, 1 << 20);
	for (int i = 1; i <= 20; i++)
		emit(i);	/* refused: everything spooled */
	cr_assert_eq(stat_of("spooled"), 20);
	cr_assert_eq(stat_of("delivered"), 0);
	cr_assert_gt(stat_of("backlog_bytes"), 0);

	/* the collector comes up: the spool drains in order, new records after it */
	cr_assert_eq(listen(lfd, 4), 0);
	emit(21);
	cfd = collect(lfd, -1, seqs, 21, &got);
	cr_assert_eq(got, 21, "got %d of 21", got);
	for (int i = 0; i < got; i++)
		cr_assert_eq(seqs[i], i + 1, "record %d is seq %d", i, seqs[i]);
	for (int i = 22; i <= 30; i++)
		emit(i);	/* connected and idle: straight to the socket */
	cfd = collect(lfd, cfd, seqs, 30, &got);
	cr_assert_eq(got, 30);
	cr_assert_eq(stat_of("delivered"), 30);
	cr_assert_eq(stat_of("spooled"), 21);
	cr_assert_eq(stat_of("backlog_bytes"), 0);

	/* the collector goes away: the sink notices the close before writing */
	close(cfd);
	close(lfd);
	for (int i = 31; i <= 40; i++)
		emit(i);
	cr_assert_eq(stat_of("connected"), 0);
	cr_assert_eq(stat_of("delivered"), 30);

	/* the daemon restarts meanwhile: the spool and its offset survive */
	sink__close();
	lfd = bound_socket(&port);
	config_tcp(port, 1 << 20);
	emit(41);
	cr_assert_eq(stat_of("backlog_bytes") > 0, 1);
	cr_assert_eq(listen(lfd, 4), 0);
	emit(42);
	cfd = collect(lfd, -1, seqs, 42, &got);
	cr_assert_eq(got, 42, "got %d of 42", got);
	for (int i = 0; i < got; i++)
		cr_assert_eq(seqs[i], i + 1, "record %d is seq %d", i, seqs[i]);
	cr_assert_eq(stat_of("dropped"), 0);
	close(cfd);
	close(lfd);
}

Test(spool, bounded_by_spool_max_bytes_and_counted, .init = setup_dir, .fini = teardown_dir)
{
	int port = 0, lfd = bound_socket(&port), cfd, seqs[200], got = 0;
	json_int_t kept;

	config_tcp(port, 4096);
	for (int i = 1; i <= 100; i++)
		emit(i);
	kept = stat_of("spooled");
	cr_assert_gt(kept, 10);
	cr_assert_lt(kept, 100);
	cr_assert_eq(stat_of("dropped"), 100 - kept, "every record not kept is counted");
	cr_assert_leq(stat_of("backlog_bytes"), 4096);

	/* what was kept is the oldest, in order */
	cr_assert_eq(listen(lfd, 4), 0);
	cfd = collect(lfd, -1, seqs, (int)kept, &got);
	cr_assert_eq(got, kept);
	for (int i = 0; i < got; i++)
		cr_assert_eq(seqs[i], i + 1);
	close(cfd);
	close(lfd);
}

Test(sinks, stdout_and_file_formats, .init = setup_dir, .fini = teardown_dir)
{
	char text[512], err[256] = "", path[128], buf[4096];
	json_t *j;
	FILE *f;

	snprintf(path, sizeof(path), "%s/cef.log", spool_dir);
	snprintf(text, sizeof(text), "[{\"type\":\"file\",\"path\":\"%s\",\"format\":\"cef\"},"
		 "{\"type\":\"file\",\"path\":\"%s\",\"format\":\"json\"}]", path, path);
	j = rec(text);
	cr_assert_eq(sink__config(j, spool_dir, err, sizeof(err)), 0, "%s", err);
	json_decref(j);
	emit(7);
	f = fopen(path, "r");
	cr_assert(fgets(buf, sizeof(buf), f));
	cr_assert(!strncmp(buf, "CEF:0|jitgate|jitgate|0.1.0|grant.expire|grant expired|3|"
			   "externalId=7 ", 70), "%s", buf);
	cr_assert(fgets(buf, sizeof(buf), f));
	cr_assert(!strncmp(buf, "{\"seq\":7,", 9), "%s", buf);
	cr_assert(buf[strlen(buf) - 1] == '\n');
	fclose(f);
}

/* ------------------------------------------------------------------ tamper.deny */

#define TAMPER "{\"seq\":12,\"time\":\"2026-11-22T21:50:00.000000000Z\",\"host\":\"jitgate-vm\"," \
	"\"type\":\"tamper.deny\",\"hook\":\"%s\",\"subject\":{\"uid\":1000,\"loginuid\":1000," \
	"\"user\":\"alice\"},\"process\":{\"pid\":300,\"tid\":300,\"ppid\":299,\"comm\":\"rm\"," \
	"\"exe\":\"/bin/busybox\",\"uid\":0,\"euid\":0},\"resource\":\"gate-admin\"," \
	"\"perm\":\"admin\",\"object\":%s,\"grant_id\":\"g-4\",\"errno\":1," \
	"\"operation\":\"unlink\",\"elevated\":true}"

/* A refused operation on the gate is the highest severity in every format. */
Test(tamper, highest_severity_everywhere)
{
	json_t *r = recf(TAMPER, "unlink", "{\"path\":\"/sys/fs/bpf/jitgate/link_file_open\","
			 "\"dev\":\"0:21\",\"ino\":7}");
	size_t len;
	char *s = sink__cef(r);
	json_t *o;

	cr_assert_eq(sink__severity(r), 10);
	cr_assert(!strncmp(s, "CEF:0|jitgate|jitgate|0.1.0|tamper.deny|operation on the gate "
			   "itself refused|10|", 77), "%s", s);
	HAS(s, " suser=alice ");
	HAS(s, "filePath=/sys/fs/bpf/jitgate/link_file_open");
	HAS(s, " act=blocked outcome=failure ");
	free(s);
	s = sink__rfc5424(r, 10, "jitgate", "MSG", 3, &len);	/* authpriv * 8 + crit (2) */
	cr_assert(!strncmp(s, "<82>1 ", 6), "%s", s);
	free(s);
	o = sink__ocsf(r);
	INT_AT(o, "class_uid", 1001);
	INT_AT(o, "activity_id", 4);
	INT_AT(o, "severity_id", 5);
	INT_AT(o, "status_id", 2);
	INT_AT(o, "disposition_id", 2);
	STR_AT(o, "actor.user.name", "alice");
	STR_AT(o, "file.path", "/sys/fs/bpf/jitgate/link_file_open");
	json_decref(o);
	json_decref(r);
	r = recf(TAMPER, "kill", "{\"kind\":\"process\",\"pid\":100,\"jitgated\":true,"
		 "\"signal\":9}");
	o = sink__ocsf(r);
	INT_AT(o, "class_uid", 1007);
	INT_AT(o, "activity_id", 2);
	INT_AT(o, "severity_id", 5);
	json_decref(o);
	json_decref(r);
	r = recf(TAMPER, "kernel_load", "{\"kind\":\"kernel\",\"load\":\"module\"}");
	o = sink__ocsf(r);
	INT_AT(o, "class_uid", 1002);
	INT_AT(o, "severity_id", 5);
	json_decref(o);
	json_decref(r);
}

/* ------------------------------------------------------------------ file sinks, hostile */

/* A file sink of each format gets exactly one line per record, whatever the record holds:
 * no raw control character, and each JSON or OCSF line parses back. */
Test(hostile, file_sinks_one_line_per_record, .init = setup_dir, .fini = teardown_dir)
{
	static const char *const fmts[] = { "cef", "json", "ocsf" };
	char text[1024], err[256] = "", path[3][128];
	size_t off = 0;
	json_t *j;

	off += (size_t)snprintf(text + off, sizeof(text) - off, "[");
	for (size_t i = 0; i < 3; i++) {
		snprintf(path[i], sizeof(path[i]), "%s/%s.log", spool_dir, fmts[i]);
		off += (size_t)snprintf(text + off, sizeof(text) - off,
					"%s{\"type\":\"file\",\"path\":\"%s\",\"format\":\"%s\"}",
					i ? "," : "", path[i], fmts[i]);
	}
	snprintf(text + off, sizeof(text) - off, "]");
	j = rec(text);
	cr_assert_eq(sink__config(j, spool_dir, err, sizeof(err)), 0, "%s", err);
	json_decref(j);
	for (int k = 0; k < 3; k++) {
		json_t *r = hostile(false);
		char *line = audit_line(r);

		sink__tap(line, strlen(line), NULL);
		json_decref(r);
	}
	for (size_t i = 0; i < 3; i++) {
		static char buf[1 << 16];
		FILE *f = fopen(path[i], "r");
		int lines = 0;

		cr_assert_not_null(f, "%s", path[i]);
		while (fgets(buf, sizeof(buf), f)) {
			size_t len = strlen(buf);

			cr_assert_eq(buf[len - 1], '\n', "%s: a line longer than expected", fmts[i]);
			buf[--len] = 0;
			no_raw_controls(fmts[i], buf, len);
			valid_utf8(fmts[i], buf);
			if (i == 0) {
				cr_assert(!strncmp(buf, "CEF:0|jitgate|jitgate|", 22), "%s", buf);
			} else {
				json_t *back = json_loads(buf, 0, NULL);

				cr_assert_not_null(back, "%s: not one JSON object: %s", fmts[i], buf);
				json_decref(back);
			}
			lines++;
		}
		fclose(f);
		cr_assert_eq(lines, 3, "%s: %d lines for 3 records", fmts[i], lines);
	}
}

/* ------------------------------------------------------------------ journal */

static const char *field(struct iovec *iov, size_t n, const char *name, char *buf, size_t len)
{
	size_t l = strlen(name);

	for (size_t i = 0; i < n; i++) {
		const char *p = iov[i].iov_base;

		if (iov[i].iov_len > l && !memcmp(p, name, l) && p[l] == '=') {
			snprintf(buf, len, "%.*s", (int)(iov[i].iov_len - l - 1), p + l + 1);
			return buf;
		}
	}
	return NULL;
}

/* A denial as a journal entry: MESSAGE is the record as the sink formats it, PRIORITY its
 * severity as the syslog sink has it (warning), the record's fields selectable by name; a
 * reason with a newline stays one field (sd_journal_sendv frames values by length). */
Test(journal, a_record_becomes_one_entry_with_its_fields)
{
	json_t *r = rec("{\"seq\":7,\"type\":\"access.deny\",\"subject\":{\"uid\":1000,"
			"\"user\":\"alice\"},\"object\":{\"path\":\"/srv/prod/db.pw\"},"
			"\"reason\":\"two\\nlines\",\"grant_id\":null,\"odd-key\":1}");
	struct iovec iov[SINK_JOURNAL_MAX_FIELDS];
	char buf[256];
	size_t n = sink__journal_fields(r, "MSG", 3, iov, SINK_JOURNAL_MAX_FIELDS);

	cr_assert_gt(n, 5);
	cr_assert_str_eq(field(iov, n, "MESSAGE", buf, sizeof(buf)), "MSG");
	cr_assert_eq(strlen(field(iov, n, "MESSAGE_ID", buf, sizeof(buf))), 32);
	cr_assert_str_eq(field(iov, n, "PRIORITY", buf, sizeof(buf)), "4");
	cr_assert_str_eq(field(iov, n, "JITGATE_TYPE", buf, sizeof(buf)), "access.deny");
	cr_assert_str_eq(field(iov, n, "JITGATE_SEQ", buf, sizeof(buf)), "7");
	cr_assert_str_eq(field(iov, n, "JITGATE_SUBJECT_USER", buf, sizeof(buf)), "alice");
	cr_assert_str_eq(field(iov, n, "JITGATE_OBJECT_PATH", buf, sizeof(buf)), "/srv/prod/db.pw");
	cr_assert_str_eq(field(iov, n, "JITGATE_REASON", buf, sizeof(buf)), "two\nlines");
	cr_assert_null(field(iov, n, "JITGATE_GRANT_ID", buf, sizeof(buf)), "null is left out");
	cr_assert_null(field(iov, n, "JITGATE_ODD-KEY", buf, sizeof(buf)),
		       "a key that is no journal field name is only in MESSAGE");
	sink__journal_free(iov, n);
	json_decref(r);
}

Test(journal, the_config_takes_a_journal_sink_and_nothing_of_syslog)
{
	char err[256] = "";
	json_t *j = rec("[{\"type\":\"journal\",\"format\":\"cef\"}]");
	json_t *st;

	cr_assert_eq(sink__config(j, "/tmp", err, sizeof(err)), 0, "%s", err);
	st = sink__stats();
	cr_assert_str_eq(json_string_value(json_object_get(json_array_get(st, 0), "type")),
			 "journal");
	json_decref(st);
	json_decref(j);
	sink__close();
	bad_config("[{\"type\":\"journal\",\"address\":\"127.0.0.1:1\"}]",
		   "sinks[0].address applies to \"syslog\" sinks only");
	bad_config("[{\"type\":\"journal\"},{\"type\":\"journal\"}]", "sinks[1] repeats sinks[0]");
}
