// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The audit record in SIEM formats (docs/siem.md): severities and names, CEF, the choice
 * of format, and the syslog framing (RFC 5424 with its structured data, RFC 6587 octet
 * counting). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include "lib/defaults.h"
#include "lib/util.h"
#include "audit/format.h"
#include "audit/sink.h"

/* ------------------------------------------------------------------ small helpers */


void sb_put(struct sbuf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		char *p;

		while (b->len + n + 1 > cap)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p) {
			b->oom = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = 0;
}

void sb_puts(struct sbuf *b, const char *s)
{
	sb_put(b, s, strlen(s));
}

__attribute__((format(printf, 2, 3)))
static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n > 0)
		sb_put(b, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

static char *sb_done(struct sbuf *b, size_t *len)
{
	if (b->oom || !b->p) {
		free(b->p);
		return NULL;
	}
	if (len)
		*len = b->len;
	return b->p;
}

const char *str_of(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

int64_t now_ns(void)
{
	return (int64_t)util__boottime_ns();
}

/* RFC 3339 UTC ("...T19:36:13.256800110Z") to ms since the epoch; -1 when unparsable. */
int64_t time_ms(const char *t)
{
	struct tm tm = { 0 };
	int ms = 0, n = 0;
	const char *frac;

	if (!t || sscanf(t, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
			 &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	frac = t + n;
	if (*frac == '.')
		for (int i = 1; i <= 3; i++)
			ms = ms * 10 + (frac[i] >= '0' && frac[i] <= '9' ? frac[i] - '0' : 0);
	return (int64_t)timegm(&tm) * 1000 + ms;
}

const char *base_name(const char *path)
{
	const char *s = path ? strrchr(path, '/') : NULL;

	return s ? s + 1 : path;
}

/* ------------------------------------------------------------------ severity and names */

static const struct ev_info ev_table[] = {
	{ "tamper.deny",    10, "operation on the gate itself refused" },
	{ "access.deny",     7, "access denied" },
	{ "access.audit",    5, "access would have been denied (audit mode)" },
	{ "access.allow",    1, "access allowed by a grant" },
	{ "session.exec",    3, "exec under an elevate grant" },
	{ "session.warn",    4, "elevated session ends soon" },
	{ "session.end",     6, "elevated session ended" },
	{ "session.kill",    7, "elevated session process killed by the kernel" },
	{ "session.file",    5, "file changed under an elevate grant" },
	{ "grant.create",    5, "grant created" },
	{ "grant.extend",    4, "grant extended" },
	{ "grant.revoke",    4, "grant revoked" },
	{ "grant.drop",      3, "grant dropped" },
	{ "grant.expire",    3, "grant expired" },
	{ "grant.error",     6, "grant failed" },
	{ "grant.orphan",    6, "orphan kernel grants removed" },
	{ "grant.forged",    9, "forged kernel grant removed" },
	{ "grant.corrected", 8, "kernel grant beyond the ledger corrected" },
	{ "grant.restored",  7, "missing kernel grant restored" },
	{ "request.create",  3, "access requested" },
	{ "request.approve", 4, "request approved" },
	{ "request.deny",    4, "request denied" },
	{ "request.cancel",  3, "request cancelled" },
	{ "request.expire",  3, "request expired" },
	{ "request.refused", 4, "request refused" },
	{ "mfa.enroll",      5, "MFA enrolled" },
	{ "mfa.fail",        7, "MFA code rejected" },
	{ "mfa.lockout",     8, "MFA locked after failed codes" },
	{ "mfa.unlock",      5, "MFA lockout lifted" },
	{ "notify.error",    5, "notification hook failed" },
	{ "daemon.start",    3, "daemon started" },
	{ "daemon.stop",     5, "daemon stopped" },
	{ "policy.load",     3, "policy loaded" },
	{ "policy.reject",   6, "policy rejected" },
	{ "fleet.reject",    7, "fleet request or decision refused" },
	{ "gate.unload",     8, "gate unloaded" },
	{ "audit.lost",      9, "audit events lost" },
};

const struct ev_info *ev_info(const char *type)
{
	for (size_t i = 0; type && i < sizeof(ev_table) / sizeof(ev_table[0]); i++)
		if (!strcmp(ev_table[i].type, type))
			return &ev_table[i];
	return NULL;
}

int sink__severity(json_t *rec)
{
	const char *sev = str_of(rec, "severity");
	const struct ev_info *e = ev_info(str_of(rec, "type"));

	if ((sev && !strcmp(sev, "critical")) || json_is_true(json_object_get(rec, "break_glass")))
		return 10;
	return e ? e->severity : 5;
}

/* CEF 0-10 to a syslog severity: 2 crit, 3 err, 4 warning, 5 notice, 6 info. */
int syslog_severity(int sev)
{
	if (sev >= 10)
		return 2;
	if (sev >= 9)
		return 3;
	if (sev >= 7)
		return 4;
	if (sev >= 4)
		return 5;
	return 6;
}

bool is_failure(const char *type)
{
	static const char *const fail[] = { "access.deny", "tamper.deny", "grant.error",
					    "policy.reject", "fleet.reject",
					    "mfa.fail", "mfa.lockout", "request.refused",
					    "notify.error", "audit.lost" };

	for (size_t i = 0; type && i < sizeof(fail) / sizeof(fail[0]); i++)
		if (!strcmp(type, fail[i]))
			return true;
	return false;
}

/* ------------------------------------------------------------------ CEF */

/* Bytes of the well-formed UTF-8 sequence at p (1-4), 0 when it is not one (a stray
 * continuation byte, an overlong form, a surrogate, past U+10FFFF, cut short). */
static size_t utf8_seq(const unsigned char *p)
{
	unsigned c = p[0];
	size_t n;
	uint32_t cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;	/* also stops at the NUL */
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return n;
}

/* Text for a format that has its own escapes for `special` (each written as \c) and none
 * for control characters: \n and \r as such (nl), every other C0 control, DEL, the C1
 * controls (U+0080-U+009F) and every byte that is not well-formed UTF-8 as \xNN. A
 * literal backslash is always escaped, so none of this can be mistaken for text. */
static void put_escaped(struct sbuf *b, const char *text, const char *special, bool nl)
{
	const unsigned char *p = (const unsigned char *)text;
	char x[16];

	while (p && *p) {
		size_t n = utf8_seq(p);

		if (n == 1 && (*p == '\\' || strchr(special, *p))) {
			x[0] = '\\';
			x[1] = (char)*p;
			sb_put(b, x, 2);
		} else if (n == 1 && nl && (*p == '\n' || *p == '\r')) {
			sb_put(b, *p == '\n' ? "\\n" : "\\r", 2);
		} else if (n == 0 || (n == 1 && (*p < 0x20 || *p == 0x7f))) {
			snprintf(x, sizeof(x), "\\x%02X", *p);
			sb_put(b, x, 4);
			n = 1;
		} else if (n == 2 && p[0] == 0xc2 && p[1] <= 0x9f) {
			snprintf(x, sizeof(x), "\\xC2\\x%02X", p[1]);
			sb_put(b, x, 8);
		} else {
			sb_put(b, (const char *)p, n);
		}
		p += n;
	}
}

/* CEF header field: | and \ escaped (the spec's only header escapes), the rest as above. */
static void cef_hdr(struct sbuf *b, const char *s)
{
	put_escaped(b, s, "|", true);
	sb_put(b, "|", 1);
}

/* CEF extension value: \ and = escaped, newline as \n, the rest as above. */
static void cef_ext(struct sbuf *b, const char *key, const char *val)
{
	if (!val || !*val)
		return;
	if (b->ext)
		sb_put(b, " ", 1);
	b->ext = true;
	sb_puts(b, key);
	sb_put(b, "=", 1);
	put_escaped(b, val, "=", true);
}

char *sink__sd_value(const char *value)
{
	struct sbuf b = { 0 };

	/* RFC 5424 6.3.3: ", \ and ] escaped; no escape exists for control characters */
	sb_put(&b, "", 0);
	put_escaped(&b, value, "\"]", false);
	return sb_done(&b, NULL);
}

static void cef_int(struct sbuf *b, const char *key, json_t *v)
{
	char num[32];

	if (!json_is_integer(v))
		return;
	snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
	cef_ext(b, key, num);
}

static void cef_label(struct sbuf *b, const char *key, const char *val, const char *label)
{
	char lk[32];

	if (!val || !*val)
		return;
	cef_ext(b, key, val);
	snprintf(lk, sizeof(lk), "%sLabel", key);
	cef_ext(b, lk, label);
}

/* "res:perm+perm,res2:perm" from an "allow" array. */
static void allow_text(json_t *allow, struct sbuf *out)
{
	size_t i, j;
	json_t *a, *p;

	json_array_foreach(allow, i, a) {
		if (i)
			sb_put(out, ",", 1);
		sb_puts(out, str_of(a, "resource") ? str_of(a, "resource") : "?");
		json_array_foreach(json_object_get(a, "perms"), j, p) {
			sb_put(out, j ? "+" : ":", 1);
			sb_puts(out, json_string_value(p) ? json_string_value(p) : "?");
		}
	}
}

char *sink__cef(json_t *rec)
{
	const char *type = str_of(rec, "type") ? str_of(rec, "type") : "unknown";
	const struct ev_info *e = ev_info(type);
	json_t *subject = json_object_get(rec, "subject"), *by = json_object_get(rec, "by");
	json_t *proc = json_object_get(rec, "process"), *obj = json_object_get(rec, "object");
	bool access = !strncmp(type, "access.", 7) || !strcmp(type, "session.exec") ||
		      !strcmp(type, "tamper.deny") ||
		      !strcmp(type, "session.file");
	struct sbuf b = { 0 };
	char num[32];
	int64_t ms;

	sb_puts(&b, "CEF:0|");
	cef_hdr(&b, "jitgate");
	cef_hdr(&b, "jitgate");
	cef_hdr(&b, JG_VERSION);
	cef_hdr(&b, type);
	cef_hdr(&b, e ? e->name : type);
	sb_printf(&b, "%d|", sink__severity(rec));

	cef_int(&b, "externalId", json_object_get(rec, "seq"));
	ms = time_ms(str_of(rec, "time"));
	if (ms >= 0) {
		snprintf(num, sizeof(num), "%lld", (long long)ms);
		cef_ext(&b, "rt", num);
	}
	cef_ext(&b, "dvchost", str_of(rec, "host"));
	cef_ext(&b, "cat", str_of(rec, "hook"));
	if (access || !by) {
		/* the subject acted (an access), or nobody else is named */
		cef_ext(&b, "suser", str_of(subject, "user"));
		cef_int(&b, "suid", json_object_get(subject, "uid"));
	} else {
		cef_ext(&b, "suser", str_of(by, "user"));
		cef_int(&b, "suid", json_object_get(by, "uid"));
		cef_ext(&b, "duser", str_of(subject, "user"));
		cef_int(&b, "duid", json_object_get(subject, "uid"));
	}
	if (json_is_object(proc)) {
		cef_int(&b, "spid", json_object_get(proc, "pid"));
		cef_ext(&b, "sproc", str_of(proc, "comm"));
	} else if (json_is_object(by)) {
		cef_int(&b, "spid", json_object_get(by, "pid"));
	}
	if (json_is_object(obj)) {
		const char *addr = str_of(obj, "addr"), *fam = str_of(obj, "family");

		if (addr) {
			bool v6 = fam && !strcmp(fam, "inet6");
			bool bind = str_of(rec, "hook") && !strcmp(str_of(rec, "hook"), "bind");

			if (bind) {
				cef_label(&b, v6 ? "c6a2" : "src", addr,
					  v6 ? "Source IPv6 Address" : NULL);
				cef_int(&b, "spt", json_object_get(obj, "port"));
			} else {
				cef_label(&b, v6 ? "c6a3" : "dst", addr,
					  v6 ? "Destination IPv6 Address" : NULL);
				cef_int(&b, "dpt", json_object_get(obj, "port"));
			}
		} else if (json_object_get(obj, "ino")) {
			cef_ext(&b, "filePath", str_of(obj, "path"));
			cef_ext(&b, "fname", base_name(str_of(obj, "path")));
			cef_int(&b, "fileId", json_object_get(obj, "ino"));
		} else if (json_object_get(obj, "euid")) {
			cef_int(&b, "duid", json_object_get(obj, "uid"));
		}
	}
	if (!strcmp(type, "access.deny") || !strcmp(type, "tamper.deny"))
		cef_ext(&b, "act", "blocked");
	else if (!strcmp(type, "access.allow"))
		cef_ext(&b, "act", "allowed");
	else if (!strcmp(type, "access.audit"))
		cef_ext(&b, "act", "audited");
	cef_ext(&b, "outcome", is_failure(type) ? "failure" : "success");
	cef_label(&b, "cs1", str_of(rec, "resource"), "resource");
	if (json_is_array(json_object_get(rec, "allow"))) {
		struct sbuf a = { 0 };

		allow_text(json_object_get(rec, "allow"), &a);
		cef_label(&b, "cs1", a.oom ? NULL : a.p, "allow");
		free(a.p);
	}
	if (json_is_object(proc))
		cef_label(&b, "cs2", str_of(proc, "exe"), "exe");
	cef_label(&b, "cs3", str_of(rec, "perm"), "perm");
	cef_label(&b, "cs4", str_of(rec, "grant_id"), "grant_id");
	cef_label(&b, "cs5", str_of(rec, "request_id"), "request_id");
	cef_label(&b, "cs6", str_of(rec, "role"), "role");
	if (json_is_integer(json_object_get(rec, "lost_total"))) {
		cef_int(&b, "cnt", json_object_get(rec, "lost"));
		cef_int(&b, "cn1", json_object_get(rec, "lost_total"));
		cef_ext(&b, "cn1Label", "lost_total");
	}
	if (json_is_integer(json_object_get(rec, "duration_s"))) {
		cef_int(&b, "cn2", json_object_get(rec, "duration_s"));
		cef_ext(&b, "cn2Label", "duration_s");
	}
	ms = time_ms(str_of(rec, "expires"));
	if (ms >= 0) {
		snprintf(num, sizeof(num), "%lld", (long long)ms);
		cef_ext(&b, "end", num);
	}
	cef_ext(&b, "reason", str_of(rec, "end_reason") ? str_of(rec, "end_reason")
							 : str_of(rec, "error"));
	cef_ext(&b, "msg", str_of(rec, "reason") ? str_of(rec, "reason") : str_of(rec, "note"));
	return sb_done(&b, NULL);
}

char *sink__format(enum sink_format f, json_t *rec, const char *line, size_t linelen,
		   size_t *len)
{
	char *s;

	if (f == SINK_CEF) {
		s = sink__cef(rec);
	} else if (f == SINK_OCSF) {
		json_t *o = sink__ocsf(rec);

		s = util__json_escape_del(json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII));
		json_decref(o);
	} else {
		while (linelen && (line[linelen - 1] == '\n' || line[linelen - 1] == '\r'))
			linelen--;
		s = malloc(linelen + 1);
		if (s) {
			memcpy(s, line, linelen);
			s[linelen] = 0;
		}
		if (s && len)
			*len = linelen;
		return s;
	}
	if (s && len)
		*len = strlen(s);
	return s;
}

/* ------------------------------------------------------------------ syslog framing */

int sink__facility(const char *name)
{
	static const char *const names[] = { "kern", "user", "mail", "daemon", "auth", "syslog",
					     "lpr", "news", "uucp", "cron", "authpriv", "ftp" };
	char *end;
	long n;

	if (!name)
		return -1;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(name, names[i]))
			return (int)i;
	if (!strncmp(name, "local", 5) && name[5] >= '0' && name[5] <= '7' && !name[6])
		return 16 + name[5] - '0';
	n = strtol(name, &end, 10);
	return *name && !*end && n >= 0 && n <= 23 ? (int)n : -1;
}

/* PRINTUSASCII (33-126) only, at most max bytes; "-" when nothing is left. */
static void sd_token(struct sbuf *b, const char *s, size_t max)
{
	size_t n = 0;

	for (; s && *s && n < max; s++)
		if (*s >= 33 && *s <= 126) {
			sb_put(b, s, 1);
			n++;
		}
	if (!n)
		sb_put(b, "-", 1);
	sb_put(b, " ", 1);
}

char *sink__rfc5424(json_t *rec, int facility, const char *app, const char *msg,
		    size_t msglen, size_t *len)
{
	const char *t = str_of(rec, "time"), *dot;
	json_t *seq = json_object_get(rec, "seq");
	struct sbuf b = { 0 };

	sb_printf(&b, "<%d>1 ", facility * 8 + syslog_severity(sink__severity(rec)));
	/* RFC 5424 allows at most 6 digits of a second's fraction. Only a time made of
	 * RFC 3339 characters is copied as it is; anything else goes through sd_token. */
	if (t && (dot = strchr(t, '.')) && dot - t == 19 &&
	    strspn(t, "0123456789-+:.TZ") == strlen(t)) {
		size_t d = strspn(dot + 1, "0123456789");

		sb_put(&b, t, 20);
		sb_put(&b, dot + 1, d < 6 ? d : 6);
		sb_puts(&b, dot[1 + d] ? dot + 1 + d : "Z");
		sb_put(&b, " ", 1);
	} else {
		sd_token(&b, t, 32);
	}
	sd_token(&b, str_of(rec, "host"), 255);
	sd_token(&b, app, 48);
	sd_token(&b, NULL, 128);			/* PROCID */
	sd_token(&b, str_of(rec, "type"), 32);
	if (json_is_integer(seq)) {
		char num[32], *v;

		snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(seq));
		v = sink__sd_value(num);	/* every SD-PARAM value goes through the escape */
		sb_puts(&b, "[jitgate@32473 seq=\"");
		sb_puts(&b, v ? v : "");
		sb_puts(&b, "\"] ");
		free(v);
	} else
		sb_puts(&b, "- ");
	sb_put(&b, msg, msglen);
	return sb_done(&b, len);
}

char *sink__octet_frame(const char *msg, size_t msglen, size_t *len)
{
	struct sbuf b = { 0 };

	sb_printf(&b, "%zu ", msglen);
	sb_put(&b, msg, msglen);
	return sb_done(&b, len);
}

int sink__parse_address(const char *text, void *out, uint32_t *outlen)
{
	struct sockaddr_storage *ss = out;
	char host[256];
	const char *colon, *port;
	char *end;
	long p;

	memset(ss, 0, sizeof(*ss));
	if (!text)
		return -EINVAL;
	if (*text == '[') {
		const char *rb = strchr(text, ']');

		if (!rb || rb[1] != ':' || (size_t)(rb - text - 1) >= sizeof(host))
			return -EINVAL;
		memcpy(host, text + 1, (size_t)(rb - text - 1));
		host[rb - text - 1] = 0;
		port = rb + 2;
	} else {
		colon = strrchr(text, ':');
		if (!colon || (size_t)(colon - text) >= sizeof(host) || strchr(text, ':') != colon)
			return -EINVAL;
		memcpy(host, text, (size_t)(colon - text));
		host[colon - text] = 0;
		port = colon + 1;
	}
	p = strtol(port, &end, 10);
	if (!*port || *end || p < 1 || p > 65535)
		return -EINVAL;
	if (*text == '[') {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		if (inet_pton(AF_INET6, host, &s6->sin6_addr) != 1)
			return -EINVAL;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)p);
		*outlen = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		/* a literal address: resolving names could block the daemon */
		if (inet_pton(AF_INET, host, &s4->sin_addr) != 1)
			return -EINVAL;
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)p);
		*outlen = sizeof(*s4);
	}
	return 0;
}
