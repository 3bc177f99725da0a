// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* SIEM sinks (docs/siem.md). Network sinks never block: sockets are non-blocking, a record
 * the collector cannot take now goes to an append-only spool file that the 250 ms tick
 * drains in order once the collector is back. */
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
#include "lib/log.h"
#include "audit/sink.h"
#include "lib/util.h"

#define UDP_MAX 65507			/* the largest IPv4 UDP payload */
#define BACKOFF_MIN_MS 250
#define BACKOFF_MAX_MS 8000
#define CONNECT_TIMEOUT_MS 5000
#define COMPACT_MIN (1 << 20)		/* compact a spool once this much of it is sent */

enum sink_type { SINK_STDOUT, SINK_FILE, SINK_SYSLOG };
enum { NET_DOWN, NET_CONNECTING, NET_UP };

struct sink {
	enum sink_type type;
	enum sink_format format;
	bool tcp;
	int facility;
	char app[49];
	char target[300];		/* "tcp:ADDRESS", "udp:ADDRESS", a path, "stdout" */
	struct sockaddr_storage ss;
	socklen_t sslen;
	int fd;				/* socket or file; -1 */
	int state;
	uint64_t next_try_ns, connect_ns;
	uint32_t backoff_ms;
	/* spool: records [spool_off, spool_size) of spool_fd are not yet taken */
	char spool_path[512], off_path[520];
	int spool_fd, off_fd;
	uint64_t spool_max;
	off_t spool_size, spool_off;
	/* the frame on its way: pend_sent of pend_len bytes written; pend_rec bytes of spool
	 * it stands for (0: it never went to the spool) */
	char *pend;
	size_t pend_len, pend_sent, pend_rec;
	uint64_t delivered, spooled, dropped, truncated, errors, refused;
	bool drop_warned;
};

static struct sink sinks[SINK_MAX];
static size_t nsinks;

/* ------------------------------------------------------------------ small helpers */

struct sbuf {
	char *p;
	size_t len, cap;
	bool oom, ext;			/* ext: an extension was written (CEF) */
};

static void sb_put(struct sbuf *b, const char *s, size_t n)
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

static void sb_puts(struct sbuf *b, const char *s)
{
	sb_put(b, s, strlen(s));
}

static void __attribute__((format(printf, 2, 3))) sb_printf(struct sbuf *b, const char *fmt, ...)
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

static const char *str_of(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static int64_t now_ns(void)
{
	return (int64_t)util__boottime_ns();
}

/* RFC 3339 UTC ("...T19:36:13.256800110Z") to ms since the epoch; -1 when unparsable. */
static int64_t time_ms(const char *t)
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

static const char *base_name(const char *path)
{
	const char *s = path ? strrchr(path, '/') : NULL;

	return s ? s + 1 : path;
}

/* ------------------------------------------------------------------ severity and names */

static const struct ev_info {
	const char *type;
	int severity;			/* CEF 0-10 */
	const char *name;
} ev_table[] = {
	{ "access.deny",     7, "access denied" },
	{ "access.audit",    5, "access would have been denied (audit mode)" },
	{ "access.allow",    1, "access allowed by a grant" },
	{ "session.exec",    3, "exec under an elevate grant" },
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
	{ "gate.unload",     8, "gate unloaded" },
	{ "audit.lost",      9, "audit events lost" },
};

static const struct ev_info *ev_info(const char *type)
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
static int syslog_severity(int sev)
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

static bool is_failure(const char *type)
{
	static const char *const fail[] = { "access.deny", "grant.error", "policy.reject",
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
	bool access = !strncmp(type, "access.", 7) || !strcmp(type, "session.exec");
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
	if (!strcmp(type, "access.deny"))
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

/* ------------------------------------------------------------------ OCSF */

struct ocsf_class {
	int class_uid, category_uid, activity_id;
	const char *class_name, *category_name, *activity_name;
};

static const char *hook_activity(const char *hook, const char *perm, const char *type,
				 int *id)
{
	static const struct { const char *hook; int id; const char *name; } fs[] = {
		{ "file_open", 14, "Open" }, { "link", 1, "Create" }, { "create", 1, "Create" },
		{ "unlink", 4, "Delete" }, { "rmdir", 4, "Delete" }, { "rename", 5, "Rename" },
		{ "setattr", 6, "Set Attributes" }, { "xattr", 6, "Set Attributes" },
	};

	for (size_t i = 0; i < sizeof(fs) / sizeof(fs[0]); i++)
		if (!strcmp(hook, fs[i].hook)) {
			*id = fs[i].id;
			return fs[i].name;
		}
	if (!strcmp(hook, "file_permission") || !strcmp(hook, "mmap")) {
		bool w = perm && !strcmp(perm, "write");

		*id = w ? 3 : 2;
		return w ? "Update" : "Read";
	}
	*id = 99;
	return "Other";
}

static void ocsf_class_of(json_t *rec, struct ocsf_class *c)
{
	const char *type = str_of(rec, "type") ? str_of(rec, "type") : "";
	const char *hook = str_of(rec, "hook") ? str_of(rec, "hook") : "";

	*c = (struct ocsf_class){ 6002, 6, 99, "Application Lifecycle", "Application Activity",
				  "Other" };
	if (!strncmp(type, "access.", 7) || !strcmp(type, "session.exec")) {
		if (!strcmp(hook, "exec") || !strcmp(hook, "setuid_exec") ||
		    !strcmp(hook, "setuid")) {
			bool setuid = !strcmp(hook, "setuid");

			*c = (struct ocsf_class){ 1007, 1, setuid ? 5 : 1, "Process Activity",
						  "System Activity",
						  setuid ? "Set User ID" : "Launch" };
		} else if (!strcmp(hook, "connect") || !strcmp(hook, "sendmsg") ||
			   !strcmp(hook, "bind")) {
			*c = (struct ocsf_class){ 4001, 4, 99, "Network Activity",
						  "Network Activity", "Other" };
			if (!strcmp(hook, "connect")) {
				bool deny = !strcmp(type, "access.deny");

				c->activity_id = deny ? 5 : 1;
				c->activity_name = deny ? "Refuse" : "Open";
			} else if (!strcmp(hook, "sendmsg")) {
				c->activity_id = 6;
				c->activity_name = "Traffic";
			}
		} else {
			*c = (struct ocsf_class){ 1001, 1, 99, "File System Activity",
						  "System Activity", "Other" };
			c->activity_name = hook_activity(hook, str_of(rec, "perm"), type,
							 &c->activity_id);
		}
	} else if (!strncmp(type, "grant.", 6) || !strcmp(type, "mfa.enroll") ||
		   !strcmp(type, "mfa.lockout") || !strcmp(type, "mfa.unlock")) {
		bool attach = !strcmp(type, "grant.create") || !strcmp(type, "grant.extend") ||
			      !strcmp(type, "grant.error") || !strcmp(type, "grant.restored");

		*c = (struct ocsf_class){ 3001, 3, attach ? 7 : 8, "Account Change",
					  "Identity & Access Management",
					  attach ? "Attach Policy" : "Detach Policy" };
		if (!strcmp(type, "mfa.enroll")) {
			c->activity_id = 10;
			c->activity_name = "MFA Factor Enable";
		} else if (!strcmp(type, "mfa.lockout")) {
			c->activity_id = 9;
			c->activity_name = "Lock";
		} else if (!strcmp(type, "mfa.unlock")) {
			c->activity_id = 12;
			c->activity_name = "Unlock";
		}
	} else if (!strcmp(type, "mfa.fail")) {
		*c = (struct ocsf_class){ 3002, 3, 99, "Authentication",
					  "Identity & Access Management", "Other" };
	} else if (!strncmp(type, "request.", 8)) {
		*c = (struct ocsf_class){ 3004, 3, 3, "Entity Management",
					  "Identity & Access Management", "Update" };
		if (!strcmp(type, "request.create") || !strcmp(type, "request.refused")) {
			c->activity_id = 1;
			c->activity_name = "Create";
		} else if (!strcmp(type, "request.cancel") || !strcmp(type, "request.expire")) {
			c->activity_id = 4;
			c->activity_name = "Delete";
		}
	} else {
		/* the daemon's own lifecycle: Application Lifecycle, set above */
		static const struct { const char *type; int id; const char *name; } life[] = {
			{ "daemon.start", 3, "Start" },   { "daemon.stop", 4, "Stop" },
			{ "policy.load", 8, "Update" },   { "policy.reject", 8, "Update" },
			{ "gate.unload", 7, "Disable" },
		};

		for (size_t i = 0; i < sizeof(life) / sizeof(life[0]); i++)
			if (!strcmp(type, life[i].type)) {
				c->activity_id = life[i].id;
				c->activity_name = life[i].name;
			}
	}
}

/* OCSF user: {name, uid (a string in OCSF)}; NULL when u names nobody. */
static json_t *ocsf_user(json_t *u)
{
	json_t *o, *uid;

	if (!json_is_object(u))
		return NULL;
	o = json_object();
	if (str_of(u, "user"))
		json_object_set_new(o, "name", json_string(str_of(u, "user")));
	uid = json_object_get(u, "uid");
	if (json_is_integer(uid)) {
		char s[24];

		snprintf(s, sizeof(s), "%lld", (long long)json_integer_value(uid));
		json_object_set_new(o, "uid", json_string(s));
	}
	return o;
}

static json_t *ocsf_file(const char *path, json_t *obj)
{
	json_t *f = json_object();
	char uid[64];

	json_object_set_new(f, "name", json_string(path ? base_name(path) : ""));
	if (path)
		json_object_set_new(f, "path", json_string(path));
	if (json_is_integer(json_object_get(obj, "ino"))) {
		snprintf(uid, sizeof(uid), "%s:%lld", str_of(obj, "dev") ? str_of(obj, "dev") : "?",
			 (long long)json_integer_value(json_object_get(obj, "ino")));
		json_object_set_new(f, "uid", json_string(uid));
	}
	json_object_set_new(f, "type_id", json_integer(0));
	return f;
}

static json_t *ocsf_process(json_t *p, json_t *rec)
{
	json_t *o = json_object(), *argv = json_object_get(rec, "argv");
	const char *exe = str_of(p, "exe");
	char uid[24];

	if (json_is_integer(json_object_get(p, "pid")))
		json_object_set(o, "pid", json_object_get(p, "pid"));
	if (str_of(p, "comm"))
		json_object_set_new(o, "name", json_string(str_of(p, "comm")));
	if (exe)
		json_object_set_new(o, "file", ocsf_file(exe, NULL));
	if (json_is_integer(json_object_get(p, "euid"))) {
		snprintf(uid, sizeof(uid), "%lld",
			 (long long)json_integer_value(json_object_get(p, "euid")));
		json_object_set_new(o, "user", json_pack("{s:s}", "uid", uid));
	}
	if (json_is_array(argv)) {
		struct sbuf b = { 0 };
		size_t i;
		json_t *a;

		json_array_foreach(argv, i, a) {
			if (i)
				sb_put(&b, " ", 1);
			sb_puts(&b, json_string_value(a) ? json_string_value(a) : "");
		}
		if (!b.oom && b.p)
			json_object_set_new(o, "cmd_line", json_string(b.p));
		free(b.p);
	}
	return o;
}

static const char *ocsf_severity(int sev, int *id)
{
	static const char *const names[] = { "Unknown", "Informational", "Low", "Medium", "High",
					     "Critical" };

	*id = sev >= 9 ? 5 : sev >= 7 ? 4 : sev >= 4 ? 3 : sev >= 2 ? 2 : 1;
	return names[*id];
}

json_t *sink__ocsf(json_t *rec)
{
	json_t *rest = json_deep_copy(rec), *o = json_object(), *actor = json_object(), *u;
	const char *type = str_of(rec, "type") ? str_of(rec, "type") : "unknown";
	json_t *subject = json_object_get(rec, "subject"), *by = json_object_get(rec, "by");
	json_t *proc = json_object_get(rec, "process"), *obj = json_object_get(rec, "object");
	const struct ev_info *e = ev_info(type);
	bool access = !strncmp(type, "access.", 7) || !strcmp(type, "session.exec");
	bool fail = is_failure(type);
	struct ocsf_class c;
	char tname[128];
	int sev_id;
	const char *sev_name = ocsf_severity(sink__severity(rec), &sev_id);
	int64_t ms = time_ms(str_of(rec, "time"));

	ocsf_class_of(rec, &c);
	snprintf(tname, sizeof(tname), "%s: %s", c.class_name, c.activity_name);
	json_object_set_new(o, "class_uid", json_integer(c.class_uid));
	json_object_set_new(o, "class_name", json_string(c.class_name));
	json_object_set_new(o, "category_uid", json_integer(c.category_uid));
	json_object_set_new(o, "category_name", json_string(c.category_name));
	json_object_set_new(o, "activity_id", json_integer(c.activity_id));
	json_object_set_new(o, "activity_name", json_string(c.activity_name));
	json_object_set_new(o, "type_uid", json_integer((json_int_t)c.class_uid * 100 +
							c.activity_id));
	json_object_set_new(o, "type_name", json_string(tname));
	json_object_set_new(o, "severity_id", json_integer(sev_id));
	json_object_set_new(o, "severity", json_string(sev_name));
	json_object_set_new(o, "time", json_integer(ms >= 0 ? ms : 0));
	json_object_set_new(o, "status_id", json_integer(fail ? 2 : 1));
	json_object_set_new(o, "status", json_string(fail ? "Failure" : "Success"));
	json_object_set_new(o, "message", json_string(e ? e->name : type));
	json_object_set_new(o, "metadata",
			    json_pack("{s:s, s:{s:s, s:s, s:s}, s:O?, s:O?, s:s}",
				      "version", "1.1.0", "product", "name", "jitgate",
				      "vendor_name", "jitgate", "version", JG_VERSION,
				      "sequence", json_object_get(rec, "seq"),
				      "original_time", json_object_get(rec, "time"),
				      "log_name", "audit"));
	json_object_set_new(o, "device", json_pack("{s:s, s:i}", "hostname",
						   str_of(rec, "host") ? str_of(rec, "host") : "",
						   "type_id", 0));
	json_object_del(rest, "seq");
	json_object_del(rest, "time");
	json_object_del(rest, "host");

	if (access) {
		const char *hook = str_of(rec, "hook") ? str_of(rec, "hook") : "";

		if ((u = ocsf_user(subject))) {
			json_object_set_new(actor, "user", u);
			json_object_del(rest, "subject");
		}
		if (json_is_object(proc)) {
			if (c.class_uid == 1007) {
				json_t *p = ocsf_process(proc, rec);

				/* the program that was (or would have been) started */
				if (str_of(obj, "path"))
					json_object_set_new(p, "file",
							    ocsf_file(str_of(obj, "path"), obj));
				json_object_set_new(o, "process", p);
				json_object_del(rest, "argv");
			} else {
				json_object_set_new(actor, "process", ocsf_process(proc, rec));
			}
			json_object_del(rest, "process");
		}
		if (c.class_uid == 4001 && json_is_object(obj)) {
			json_t *ep = json_pack("{s:O?, s:O?}", "ip", json_object_get(obj, "addr"),
					       "port", json_object_get(obj, "port"));
			const char *fam = str_of(obj, "family");

			json_object_set_new(o, strcmp(hook, "bind") ? "dst_endpoint" : "src_endpoint",
					    ep);
			json_object_set_new(o, "connection_info",
					    json_pack("{s:i}", "protocol_ver_id",
						      fam && !strcmp(fam, "inet6") ? 6 : 4));
			json_object_del(rest, "object");
		} else if (c.class_uid == 1001 && json_is_object(obj)) {
			json_object_set_new(o, "file", ocsf_file(str_of(obj, "path"), obj));
			json_object_del(rest, "object");
		} else if (c.class_uid == 1007 && str_of(obj, "path")) {
			json_object_del(rest, "object");
		}
		if (!strcmp(type, "access.deny"))
			json_object_set_new(o, "disposition_id", json_integer(2)),
			json_object_set_new(o, "disposition", json_string("Blocked"));
		else if (!strcmp(type, "access.allow") || !strcmp(type, "session.exec"))
			json_object_set_new(o, "disposition_id", json_integer(1)),
			json_object_set_new(o, "disposition", json_string("Allowed"));
		else if (!strcmp(type, "access.audit"))
			json_object_set_new(o, "disposition_id", json_integer(15)),
			json_object_set_new(o, "disposition", json_string("Detected"));
	} else {
		if ((u = ocsf_user(by))) {
			json_object_set_new(actor, "user", u);
			json_object_del(rest, "by");
		}
		if ((c.class_uid == 3001 || c.class_uid == 3002) && (u = ocsf_user(subject))) {
			json_object_set_new(o, "user", u);
			json_object_del(rest, "subject");
		}
		if (c.class_uid == 3004 && str_of(rec, "request_id")) {
			json_object_set_new(o, "entity",
					    json_pack("{s:s, s:s, s:s?}", "uid",
						      str_of(rec, "request_id"), "type",
						      "access request", "name", str_of(rec, "role")));
			if (!json_object_get(actor, "user") && (u = ocsf_user(subject)))
				json_object_set_new(actor, "user", u);
		}
		if (c.class_uid == 6002)
			json_object_set_new(o, "app", json_pack("{s:s, s:s, s:s}", "name", "jitgate",
								"vendor_name", "jitgate",
								"version", JG_VERSION));
	}
	if (json_object_size(actor))
		json_object_set_new(o, "actor", actor);
	else
		json_decref(actor);
	if (json_object_size(rest))
		json_object_set_new(o, "unmapped", rest);
	else
		json_decref(rest);
	return o;
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
	/* RFC 5424 allows at most 6 digits of a second's fraction */
	if (t && (dot = strchr(t, '.')) && dot - t == 19) {
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

/* ------------------------------------------------------------------ spool */

static void spool_save_off(struct sink *s)
{
	char buf[24];

	/* fixed width, so that a shorter number never leaves digits of a longer one */
	snprintf(buf, sizeof(buf), "%020lld\n", (long long)s->spool_off);
	if (pwrite(s->off_fd, buf, 21, 0) != 21)
		s->errors++;
}

/* Everything was taken: start the file over. */
static void spool_reset(struct sink *s)
{
	if (ftruncate(s->spool_fd, 0))
		s->errors++;
	s->spool_size = s->spool_off = 0;
	spool_save_off(s);
}

static int spool_open(struct sink *s, const char *dir, char *err, size_t errlen)
{
	char name[300], buf[24] = { 0 }, *p;
	struct stat st;
	long long off;

	snprintf(name, sizeof(name), "%s-%s.spool", s->target,
		 s->format == SINK_CEF ? "cef" : s->format == SINK_OCSF ? "ocsf" : "json");
	for (p = name; *p; p++)
		if (*p == ':' || *p == '/' || *p == '[' || *p == ']')
			*p = '_';
	snprintf(s->spool_path, sizeof(s->spool_path), "%s/%s", dir, name);
	snprintf(s->off_path, sizeof(s->off_path), "%s.offset", s->spool_path);
	s->spool_fd = open(s->spool_path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	s->off_fd = s->spool_fd < 0 ? -1 :
		    open(s->off_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (s->spool_fd < 0 || s->off_fd < 0 || fstat(s->spool_fd, &st)) {
		int e = errno;

		snprintf(err, errlen, "cannot open the spool %s: %s", s->spool_path, strerror(e));
		return -e;
	}
	s->spool_size = st.st_size;
	/* a crash mid-append left a partial record: cut it off */
	while (s->spool_size > 0) {
		char c;

		if (pread(s->spool_fd, &c, 1, s->spool_size - 1) != 1 || c == '\n')
			break;
		s->spool_size--;
	}
	if (s->spool_size != st.st_size && ftruncate(s->spool_fd, s->spool_size))
		s->errors++;
	if (pread(s->off_fd, buf, sizeof(buf) - 1, 0) > 0 && sscanf(buf, "%lld", &off) == 1 &&
	    off >= 0 && off <= s->spool_size)
		s->spool_off = off;
	if (s->spool_off == s->spool_size)
		spool_reset(s);
	return 0;
}

static int spool_append(struct sink *s, const char *line, size_t len)
{
	ssize_t n;

	if ((uint64_t)s->spool_size + len > s->spool_max) {
		s->dropped++;
		if (!s->drop_warned)
			pr_warn("sink %s: spool %s is full (%llu bytes); dropping records (counted "
				"as dropped) until the collector takes some", s->target,
				s->spool_path, (unsigned long long)s->spool_max);
		s->drop_warned = true;
		return -ENOSPC;
	}
	n = write(s->spool_fd, line, len);
	if (n != (ssize_t)len) {
		/* never leave half a record: the next append would merge with it */
		if (n > 0 && ftruncate(s->spool_fd, s->spool_size))
			s->errors++;
		s->dropped++;
		s->errors++;
		return -EIO;
	}
	s->spool_size += (off_t)len;
	s->spooled++;
	return 0;
}

/* The next spooled record at spool_off (newline included), malloc'd; NULL at the end. */
static char *spool_next(struct sink *s, size_t *len)
{
	size_t cap = 8192;
	char *buf = NULL, *nl;

	for (;;) {
		size_t want = (size_t)(s->spool_size - s->spool_off);
		ssize_t n;
		char *p;

		if (!want)
			break;
		if (want > cap)
			want = cap;
		p = realloc(buf, want);
		if (!p)
			break;
		buf = p;
		n = pread(s->spool_fd, buf, want, s->spool_off);
		if (n <= 0)
			break;
		nl = memchr(buf, '\n', (size_t)n);
		if (nl) {
			*len = (size_t)(nl - buf) + 1;
			return buf;
		}
		if ((size_t)n < want || cap >= (64u << 20))
			break;
		cap *= 2;
	}
	free(buf);
	return NULL;
}

/* Move what is not yet taken to the front of a fresh file, so the bound counts backlog. */
static void spool_compact(struct sink *s)
{
	char tmp[540], buf[65536];
	off_t pos = s->spool_off;
	int fd;

	snprintf(tmp, sizeof(tmp), "%s.tmp", s->spool_path);
	fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	while (pos < s->spool_size) {
		ssize_t n = pread(s->spool_fd, buf, sizeof(buf), pos);

		if (n <= 0 || write(fd, buf, (size_t)n) != n) {
			close(fd);
			unlink(tmp);
			return;
		}
		pos += n;
	}
	/* the offset goes to 0 after the rename: a crash in between resends, never skips */
	if (rename(tmp, s->spool_path)) {
		close(fd);
		unlink(tmp);
		return;
	}
	close(s->spool_fd);
	s->spool_fd = fd;
	s->spool_size -= s->spool_off;
	s->spool_off = 0;
	spool_save_off(s);
}

/* ------------------------------------------------------------------ network */

static void net_down(struct sink *s, int err)
{
	if (s->fd >= 0) {
		if (s->state == NET_UP)
			pr_info("sink %s: collector gone (%s); spooling to %s", s->target,
				err ? strerror(err) : "it closed the connection", s->spool_path);
		close(s->fd);
	}
	s->fd = -1;
	s->state = NET_DOWN;
	s->pend_sent = 0;		/* a new connection gets the whole frame again */
	s->next_try_ns = (uint64_t)now_ns() + (uint64_t)s->backoff_ms * 1000000;
	s->backoff_ms = s->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : s->backoff_ms * 2;
}

static void net_up(struct sink *s)
{
	s->state = NET_UP;
	s->backoff_ms = BACKOFF_MIN_MS;
	s->drop_warned = false;
	pr_debug("sink %s: connected", s->target);
}

static void net_connect(struct sink *s)
{
	s->fd = socket(s->ss.ss_family, (s->tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK |
		       SOCK_CLOEXEC, 0);
	if (s->fd < 0) {
		net_down(s, errno);
		return;
	}
	if (!connect(s->fd, (struct sockaddr *)&s->ss, s->sslen)) {
		net_up(s);
	} else if (errno == EINPROGRESS) {
		s->state = NET_CONNECTING;
		s->connect_ns = (uint64_t)now_ns();
	} else {
		net_down(s, errno);
	}
}

/* Is the TCP peer still there? The collector never sends, so EOF means it closed. */
static bool net_alive(struct sink *s)
{
	char c;
	ssize_t n;

	if (!s->tcp)
		return true;
	n = recv(s->fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
		net_down(s, n == 0 ? 0 : errno);
		return false;
	}
	if (n > 0) {
		char junk[512];

		while (recv(s->fd, junk, sizeof(junk), MSG_DONTWAIT) > 0)
			;		/* nothing is expected back: discard */
	}
	return true;
}

/* Advance a connection in progress; true when up. */
static bool net_ready(struct sink *s)
{
	uint64_t now = (uint64_t)now_ns();

	if (s->state == NET_DOWN && now >= s->next_try_ns)
		net_connect(s);
	if (s->state == NET_CONNECTING) {
		struct pollfd p = { .fd = s->fd, .events = POLLOUT };
		int soerr = 0;
		socklen_t l = sizeof(soerr);

		if (poll(&p, 1, 0) == 1) {
			if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &soerr, &l) || soerr)
				net_down(s, soerr ? soerr : errno);
			else
				net_up(s);
		} else if (now - s->connect_ns > (uint64_t)CONNECT_TIMEOUT_MS * 1000000) {
			net_down(s, ETIMEDOUT);
		}
	}
	return s->state == NET_UP;
}

/* Bytes written (maybe fewer than len on TCP) or -errno. */
static ssize_t net_send(struct sink *s, const char *p, size_t len)
{
	ssize_t n;

	do
		n = send(s->fd, p, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n >= 0)
		return n;
	if (errno == ECONNREFUSED && !s->tcp)
		s->refused++;	/* an ICMP error for an earlier datagram came back */
	return -errno;
}

/* The record as this sink sends it: an octet-counted RFC 5424 frame (TCP) or a datagram. */
static char *net_frame(struct sink *s, json_t *rec, const char *line, size_t len,
		       size_t *flen)
{
	size_t mlen, slen;
	char *msg = sink__format(s->format, rec, line, len, &mlen), *sys, *frame;

	if (!msg)
		return NULL;
	sys = sink__rfc5424(rec, s->facility, s->app, msg, mlen, &slen);
	free(msg);
	if (!sys)
		return NULL;
	if (!s->tcp) {
		if (slen > UDP_MAX) {
			slen = UDP_MAX;
			/* do not end inside a UTF-8 sequence */
			while (slen && ((unsigned char)sys[slen] & 0xc0) == 0x80)
				slen--;
			s->truncated++;
		}
		*flen = slen;
		return sys;
	}
	frame = sink__octet_frame(sys, slen, flen);
	free(sys);
	return frame;
}

/* The frame in progress is finished with: sent, or (sent false) given up and counted. */
static void pend_done(struct sink *s, bool sent)
{
	free(s->pend);
	s->pend = NULL;
	s->pend_len = s->pend_sent = 0;
	if (sent)
		s->delivered++;
	else
		s->dropped++;
	if (s->pend_rec) {
		s->spool_off += (off_t)s->pend_rec;
		s->pend_rec = 0;
		if (s->spool_off >= s->spool_size)
			spool_reset(s);
		else
			spool_save_off(s);
	}
}

/* Write the frame in progress, then spooled records, until the socket would block. */
static void net_drain(struct sink *s)
{
	while (net_ready(s) && net_alive(s)) {
		ssize_t n;

		if (!s->pend) {
			size_t len = 0;
			char *line = spool_next(s, &len);
			json_t *rec;

			if (!line)
				break;
			rec = json_loadb(line, len, 0, NULL);
			if (rec)
				s->pend = net_frame(s, rec, line, len, &s->pend_len);
			json_decref(rec);
			free(line);
			if (!s->pend) {
				/* unreadable record: skip it, counted */
				s->errors++;
				s->dropped++;
				s->spool_off += (off_t)len;
				if (!len || s->spool_off >= s->spool_size)
					spool_reset(s);
				else
					spool_save_off(s);
				continue;
			}
			s->pend_rec = len;
			s->pend_sent = 0;
		}
		n = net_send(s, s->pend + s->pend_sent, s->pend_len - s->pend_sent);
		if (n == -EMSGSIZE) {
			/* this datagram can never go: skip it, counted, rather than stall */
			pend_done(s, false);
			continue;
		}
		if (n < 0) {
			if (n != -EAGAIN && n != -EWOULDBLOCK && n != -ENOBUFS)
				net_down(s, (int)-n);
			break;
		}
		s->pend_sent += (size_t)n;
		if (s->pend_sent < s->pend_len)
			break;
		pend_done(s, true);
	}
	if (s->spool_off > COMPACT_MIN && s->spool_off > s->spool_size / 2)
		spool_compact(s);
}

static void net_put(struct sink *s, json_t *rec, const char *line, size_t len)
{
	/* straight to the socket only when nothing is waiting before this record */
	if (!s->pend && s->spool_size == s->spool_off && net_ready(s) && net_alive(s)) {
		size_t flen = 0;
		char *frame = net_frame(s, rec, line, len, &flen);
		ssize_t n;

		if (!frame) {
			s->errors++;
			s->dropped++;
			return;
		}
		n = net_send(s, frame, flen);
		if (n == (ssize_t)flen) {
			free(frame);
			s->delivered++;
			return;
		}
		if (n > 0) {
			/* the rest goes before anything else; spooled too, so that an exit before
			 * it is done resends it at the next start */
			s->pend = frame;
			s->pend_len = flen;
			s->pend_sent = (size_t)n;
			s->pend_rec = spool_append(s, line, len) ? 0 : len;
			return;
		}
		free(frame);
		if (n == -EMSGSIZE) {
			s->dropped++;
			return;
		}
		if (n != -EAGAIN && n != -EWOULDBLOCK && n != -ENOBUFS)
			net_down(s, (int)-n);
	}
	if (!spool_append(s, line, len))
		net_drain(s);
}

/* ------------------------------------------------------------------ local sinks */

static void local_put(struct sink *s, json_t *rec, const char *line, size_t len)
{
	size_t mlen = 0, off = 0;
	char *msg = sink__format(s->format, rec, line, len, &mlen);

	if (!msg) {
		s->errors++;
		s->dropped++;
		return;
	}
	msg[mlen] = '\n';	/* every format leaves the NUL's byte: overwrite it */
	mlen++;
	while (off < mlen) {
		ssize_t n = write(s->fd, msg + off, mlen - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	free(msg);
	if (off == mlen) {
		s->delivered++;
	} else {
		s->errors++;
		s->dropped++;
	}
}

/* ------------------------------------------------------------------ the module */

void sink__tap(const char *line, size_t len, void *ctx)
{
	json_t *rec;

	if (!nsinks)
		return;
	rec = json_loadb(line, len, 0, NULL);
	if (!rec)
		rec = json_object();
	for (size_t i = 0; i < nsinks; i++) {
		if (sinks[i].type == SINK_SYSLOG)
			net_put(&sinks[i], rec, line, len);
		else
			local_put(&sinks[i], rec, line, len);
	}
	json_decref(rec);
}

void sink__tick(void)
{
	for (size_t i = 0; i < nsinks; i++)
		if (sinks[i].type == SINK_SYSLOG)
			net_drain(&sinks[i]);
}

static const char *const type_names[] = { "stdout", "file", "syslog" };
static const char *const format_names[] = { "json", "cef", "ocsf" };

json_t *sink__stats(void)
{
	json_t *a = json_array();

	for (size_t i = 0; i < nsinks; i++) {
		struct sink *s = &sinks[i];
		json_t *o = json_pack("{s:i, s:s, s:s, s:s, s:I, s:I, s:I, s:I}",
				      "index", (int)i, "type", type_names[s->type],
				      "format", format_names[s->format], "target", s->target,
				      "delivered", (json_int_t)s->delivered,
				      "dropped", (json_int_t)s->dropped,
				      "truncated", (json_int_t)s->truncated,
				      "errors", (json_int_t)s->errors);

		if (s->type == SINK_SYSLOG) {
			json_object_set_new(o, "connected", json_boolean(s->state == NET_UP));
			json_object_set_new(o, "spooled", json_integer((json_int_t)s->spooled));
			json_object_set_new(o, "backlog_bytes",
					    json_integer((json_int_t)(s->spool_size - s->spool_off)));
			json_object_set_new(o, "spool", json_string(s->spool_path));
			if (!s->tcp)
				json_object_set_new(o, "refused",
						    json_integer((json_int_t)s->refused));
		}
		json_array_append_new(a, o);
	}
	return a;
}

static void sink_close(struct sink *s)
{
	if (s->fd >= 0 && s->fd != STDOUT_FILENO)
		close(s->fd);
	if (s->spool_fd >= 0)
		close(s->spool_fd);
	if (s->off_fd >= 0)
		close(s->off_fd);
	free(s->pend);
	s->fd = s->spool_fd = s->off_fd = -1;
	s->pend = NULL;
}

void sink__close(void)
{
	for (size_t i = 0; i < nsinks; i++)
		sink_close(&sinks[i]);
	nsinks = 0;
}

static int pick(json_t *v, const char *const *names, size_t n)
{
	for (size_t i = 0; json_is_string(v) && i < n; i++)
		if (!strcmp(json_string_value(v), names[i]))
			return (int)i;
	return -1;
}

#define BAD(...) do { snprintf(err, errlen, __VA_ARGS__); return -EINVAL; } while (0)

static int parse_one(json_t *o, size_t i, struct sink *s, char *err, size_t errlen)
{
	static const char *const transports[] = { "udp", "tcp" };
	const char *key;
	json_t *v;
	int t;

	memset(s, 0, sizeof(*s));
	s->fd = s->spool_fd = s->off_fd = -1;
	if (!json_is_object(o))
		BAD("sinks[%zu] must be an object such as {\"type\": \"syslog\", \"address\": "
		    "\"127.0.0.1:6514\"}", i);
	t = pick(json_object_get(o, "type"), type_names, 3);
	if (t < 0)
		BAD("sinks[%zu].type must be \"stdout\", \"file\" or \"syslog\"", i);
	s->type = (enum sink_type)t;
	json_object_foreach(o, key, v) {
		bool net = !strcmp(key, "transport") || !strcmp(key, "address") ||
			   !strcmp(key, "app_name") || !strcmp(key, "facility") ||
			   !strcmp(key, "spool_max_bytes");

		if (!strcmp(key, "type"))
			continue;
		if (!strcmp(key, "format")) {
			t = pick(v, format_names, 3);
			if (t < 0)
				BAD("sinks[%zu].format must be \"json\", \"cef\" or \"ocsf\"", i);
			s->format = (enum sink_format)t;
		} else if (!strcmp(key, "path")) {
			if (s->type != SINK_FILE)
				BAD("sinks[%zu].path applies to \"file\" sinks only", i);
			if (!json_is_string(v) || json_string_value(v)[0] != '/' ||
			    strlen(json_string_value(v)) >= sizeof(s->target))
				BAD("sinks[%zu].path must be an absolute path", i);
			snprintf(s->target, sizeof(s->target), "%s", json_string_value(v));
		} else if (net && s->type != SINK_SYSLOG) {
			BAD("sinks[%zu].%s applies to \"syslog\" sinks only", i, key);
		} else if (!strcmp(key, "transport")) {
			t = pick(v, transports, 2);
			if (t < 0)
				BAD("sinks[%zu].transport must be \"tcp\" or \"udp\"", i);
			s->tcp = t == 1;
		} else if (!strcmp(key, "address")) {
			uint32_t l = 0;

			if (sink__parse_address(json_string_value(v), &s->ss, &l))
				BAD("sinks[%zu].address must be IPV4:PORT or [IPV6]:PORT with a "
				    "literal address (got %s)", i,
				    json_is_string(v) ? json_string_value(v) : "no string");
			s->sslen = l;
		} else if (!strcmp(key, "app_name")) {
			const char *a = json_string_value(v);
			size_t n = a ? strlen(a) : 0;

			if (!n || n > 48 || strspn(a, "!\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJ"
					   "KLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz"
					   "{|}~") != n)
				BAD("sinks[%zu].app_name must be 1 to 48 printable ASCII characters "
				    "without spaces", i);
			snprintf(s->app, sizeof(s->app), "%s", a);
		} else if (!strcmp(key, "facility")) {
			s->facility = sink__facility(json_string_value(v));
			if (s->facility < 0)
				BAD("sinks[%zu].facility must be a syslog facility name such as "
				    "\"authpriv\", \"auth\" or \"local0\"", i);
		} else if (!strcmp(key, "spool_max_bytes")) {
			json_int_t n = json_is_integer(v) ? json_integer_value(v) : 0;

			if (n < 4096 || n > ((json_int_t)1 << 40))
				BAD("sinks[%zu].spool_max_bytes must be an integer between 4096 and "
				    "1099511627776", i);
			s->spool_max = (uint64_t)n;
		} else {
			BAD("sinks[%zu]: unknown key \"%s\"", i, key);
		}
	}
	if (s->type == SINK_FILE && !*s->target)
		BAD("sinks[%zu].path is required for a \"file\" sink", i);
	if (s->type == SINK_STDOUT)
		snprintf(s->target, sizeof(s->target), "stdout");
	if (s->type == SINK_SYSLOG) {
		char addr[INET6_ADDRSTRLEN];
		uint16_t port;

		if (!s->sslen)
			BAD("sinks[%zu].address is required for a \"syslog\" sink", i);
		if (!json_object_get(o, "transport"))
			s->tcp = true;
		if (!*s->app)
			snprintf(s->app, sizeof(s->app), "jitgate");
		if (!json_object_get(o, "facility"))
			s->facility = 10;	/* authpriv: access decisions are private */
		if (!s->spool_max)
			s->spool_max = SINK_SPOOL_DEFAULT;
		if (s->ss.ss_family == AF_INET6) {
			inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&s->ss)->sin6_addr, addr,
				  sizeof(addr));
			port = ntohs(((struct sockaddr_in6 *)&s->ss)->sin6_port);
			snprintf(s->target, sizeof(s->target), "%s:[%s]:%u", s->tcp ? "tcp" : "udp",
				 addr, port);
		} else {
			inet_ntop(AF_INET, &((struct sockaddr_in *)&s->ss)->sin_addr, addr,
				  sizeof(addr));
			port = ntohs(((struct sockaddr_in *)&s->ss)->sin_port);
			snprintf(s->target, sizeof(s->target), "%s:%s:%u", s->tcp ? "tcp" : "udp",
				 addr, port);
		}
		s->backoff_ms = BACKOFF_MIN_MS;
	}
	return 0;
}

int sink__config(json_t *arr, const char *spool_dir, char *err, size_t errlen)
{
	struct sink tmp[SINK_MAX];
	size_t n = 0, i;
	json_t *o;
	int ret = 0;

	sink__close();
	if (!arr || json_is_null(arr))
		return 0;
	if (!json_is_array(arr) || json_array_size(arr) > SINK_MAX)
		BAD("\"sinks\" must be an array of at most %d sink objects", SINK_MAX);
	json_array_foreach(arr, i, o) {
		ret = parse_one(o, i, &tmp[i], err, errlen);
		if (ret)
			return ret;
		for (size_t j = 0; j < i; j++)
			if (tmp[j].type != SINK_STDOUT && tmp[j].type == tmp[i].type &&
			    tmp[j].format == tmp[i].format && !strcmp(tmp[j].target, tmp[i].target))
				BAD("sinks[%zu] repeats sinks[%zu] (same target and format)", i, j);
		n = i + 1;
	}
	for (i = 0; i < n && !ret; i++) {
		struct sink *s = &tmp[i];

		if (s->type == SINK_STDOUT) {
			s->fd = STDOUT_FILENO;
		} else if (s->type == SINK_FILE) {
			s->fd = open(s->target, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
			if (s->fd < 0) {
				ret = -errno;
				snprintf(err, errlen, "sinks[%zu]: cannot open %s: %s", i, s->target,
					 strerror(errno));
			}
		} else {
			ret = util__mkdir_p(spool_dir, 0700);
			if (ret)
				snprintf(err, errlen, "sinks[%zu]: cannot create the spool directory "
					 "%s: %s", i, spool_dir, strerror(-ret));
			else
				ret = spool_open(s, spool_dir, err, errlen);
			if (!ret)
				net_connect(s);	/* non-blocking; the tick completes it */
		}
	}
	if (ret) {
		for (size_t j = 0; j < i; j++)
			sink_close(&tmp[j]);
		return ret;
	}
	memcpy(sinks, tmp, n * sizeof(tmp[0]));
	nsinks = n;
	return 0;
}
