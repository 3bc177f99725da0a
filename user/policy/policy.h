/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Policy model: parsed and validated from JSON, nothing resolved against the host yet
 * (paths stay paths, subjects stay names), so it is pure and unit-testable.
 *
 * user/policy/ owns the policy: parsing and validation (parse.h names its files), schedules
 * (schedule.c) and compiling into kernel map entries (compile.c, standing.c). It uses lib/
 * and audit/ may be used beside it; gate/, workflow/ and the programs use it. */
#ifndef JG_POLICY_H
#define JG_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/id.h"
#include "lib/jsonpos.h"
#include "lib/perm.h"


struct jg_path {
	char *path;			/* absolute, as written */
	struct jg_pos pos;
};

/* A network endpoint: address in IPv6 form (IPv4 as ::ffff:a.b.c.d with prefixlen 96 + n). */
struct jg_endpoint {
	uint8_t addr[16];
	uint8_t prefixlen;		/* 0..128 in the IPv6 space */
	bool is_v4;			/* written as IPv4 (or IPv4-mapped IPv6) */
	uint16_t port_lo, port_hi;	/* inclusive; no port in the text means 1-65535 */
	char *text;			/* as written, for messages and audit */
	struct jg_pos pos;
};

/* Resource kinds (a resource may have several). */
#define JG_RES_FILES   (1u << 0)
#define JG_RES_EXEC    (1u << 1)
#define JG_RES_CONNECT (1u << 2)
#define JG_RES_ELEVATE (1u << 3)
#define JG_RES_BIND    (1u << 4)
#define JG_RES_GATE    (1u << 5)	/* gate administration: {"gate": {"admin": true}} */

/* The gate-admin resource every policy has: declared under any name with
 * {"gate": {"admin": true}}, else added under this name. A live grant of its `admin`
 * permission lets a human (login uid, or elevated) unload the gate, reload the policy and
 * replace jitgated or its files; without one the kernel refuses them (bpf/seal.bpf.h). */
#define JG_GATE_ADMIN_NAME "gate-admin"

#define JG_ELEVATE_WARN_DEFAULT_S 300

/* The trees an elevate resource's sessions are watched under when it names none. */
#define JG_WATCH_DEFAULTS { "/etc", "/usr", "/boot", "/root", "/var/spool/cron", \
			    "/lib/systemd", "/etc/systemd" }

struct jg_resource {
	char *name;
	char *description;		/* may be NULL */
	unsigned kinds;			/* JG_RES_* */
	bool audit_mode;		/* "mode": "audit" */
	struct jg_path *files;     size_t nfiles;
	struct jg_path *exec;      size_t nexec;
	struct jg_endpoint *connect; size_t nconnect;
	struct jg_endpoint *bind;    size_t nbind;	/* local endpoints; 0.0.0.0 and :: mean
						 * every address of the family */
	struct jg_path *elevate_except; size_t nelevate_except;
	uint64_t elevate_warn_s;	/* warn a session's terminals this long before its grant
					 * ends ("warn", default 5m; false: 0, no warning) */
	bool builtin;			/* the gate-admin resource added by the parser */
	/* elevate: the trees whose file changes by its sessions are audited (session.file);
	 * without "watch" the defaults (JG_WATCH_DEFAULTS), with [] none */
	bool has_watch;
	struct jg_path *elevate_watch; size_t nelevate_watch;
	struct jg_pos pos;		/* of the resource's key */
};

enum jg_subject_kind {
	JG_SUBJ_USER = 1,		/* user:NAME */
	JG_SUBJ_UID,			/* uid:N */
	JG_SUBJ_GROUP,			/* group:NAME */
};

struct jg_subject {
	enum jg_subject_kind kind;
	char *name;			/* USER and GROUP */
	uint32_t id;			/* UID */
	struct jg_pos pos;
};

/* One "RESOURCE": ["perm", ...] entry of an allow object. */
struct jg_allow {
	char *resource;			/* validated: names a resource of the policy */
	unsigned perms;			/* enum jg_perm bits (include/jitgate.h) */
	struct jg_pos pos;
};

#define JG_MAX_WINDOWS 16
/* A weekly window "Mon-Fri 08:00-18:00": days bit 0 = Monday .. bit 6 = Sunday; minutes
 * from local midnight; end > start (a window does not cross midnight; write two).
 * A window holds the minutes start_min <= m < end_min; "24:00" may end a window.
 * Days: "Mon", "Mon-Fri", "Mon,Wed", "Mon-Wed,Fri"; a range may wrap ("Fri-Mon"). */
struct jg_window {
	uint8_t days;
	uint16_t start_min, end_min;
	struct jg_pos pos;
};

struct jg_schedule {
	char *timezone;			/* IANA name, e.g. "Europe/Berlin"; NULL = UTC */
	struct jg_window *windows; size_t nwindows;
	/* optional fixed date range (RFC 3339 or YYYY-MM-DD), 0 = unbounded; allowed while
	 * not_before <= now < not_after. A date alone is a UTC day: not_before "2026-03-01" is
	 * 2026-03-01T00:00:00Z, not_after "2026-03-31" is 2026-04-01T00:00:00Z (the whole day). */
	int64_t not_before, not_after;	/* unix seconds */
};

struct jg_auto_approve {
	bool present;
	struct jg_subject *subjects; size_t nsubjects;	/* who may be auto-approved */
	bool has_schedule;
	struct jg_schedule schedule;	/* and when (optional) */
};

struct jg_role {
	char *name;
	struct jg_allow *allow; size_t nallow;
	struct jg_subject *requesters; size_t nrequesters;
	struct jg_subject *approvers; size_t napprovers;
	unsigned approvals;		/* default 1 */
	uint64_t default_duration;	/* seconds; default min(1h, max_duration) */
	uint64_t max_duration;		/* seconds; default 8h */
	bool require_reason;		/* default true */
	bool require_mfa;		/* default false */
	bool has_schedule;
	struct jg_schedule schedule;
	uint64_t request_ttl;		/* seconds; default 1h */
	struct jg_auto_approve auto_approve;
	struct jg_pos pos;
	char *description;		/* may be NULL */
};

struct jg_standing {
	struct jg_subject subject;
	char *exe;			/* absolute path; NULL = any executable */
	struct jg_allow *allow; size_t nallow;
	struct jg_pos pos;
};

/* Events a notification hook may run on (JG_NOTIFY_* bits). */
#define JG_NOTIFY_REQUEST_CREATE  (1u << 0)
#define JG_NOTIFY_REQUEST_APPROVE (1u << 1)
#define JG_NOTIFY_REQUEST_DENY    (1u << 2)
#define JG_NOTIFY_REQUEST_CANCEL  (1u << 3)
#define JG_NOTIFY_REQUEST_EXPIRE  (1u << 4)
#define JG_NOTIFY_SESSION_WARN    (1u << 5)	/* an elevated session ends soon */
#define JG_NOTIFY_ALL             0x1fu	/* every request event: what a hook without "on"
					 * runs on */

/* {"on": ["request.create", ...], "command": ["/usr/local/bin/page", "--team", "sre"],
 * "timeout": "10s"}: runs the command with the audit event's JSON on stdin. */
struct jg_notify_hook {
	char **argv;			/* NULL-terminated; argv[0] absolute */
	size_t argc;
	unsigned events;		/* JG_NOTIFY_*; absent "on" = every request event */
	uint64_t timeout_s;		/* default 10 s, then SIGKILL */
	struct jg_pos pos;
};

/* JG_NOTIFY_* bit of an audit event type, 0 when hooks never run on it: the events a hook's
 * "on" may name, which the notifier (workflow/notify.c) matches against. */
unsigned policy__notify_event_bit(const char *type);

struct jg_policy {
	char *file;			/* the name used in messages */
	int version;
	struct jg_resource *resources; size_t nresources;	/* in file order */
	struct jg_role *roles; size_t nroles;			/* in file order */
	struct jg_standing *standing; size_t nstanding;
	struct jg_notify_hook *notify; size_t nnotify;
};

/* Parse and validate. On error: returns -EINVAL (or -errno for I/O, -EFBIG over 4 MiB,
 * -ENOMEM), *out untouched, and err holds one sentence "FILE:LINE:COLUMN: message" (I/O
 * errors: "FILE: message"). policy__load_string names the text "policy" when name is NULL.
 * The format and its defaults: policies/README.md. */
int policy__load_file(const char *path, struct jg_policy **out, char *err, size_t errlen);
int policy__load_string(const char *text, const char *name, struct jg_policy **out,
			char *err, size_t errlen);
void policy__free(struct jg_policy *p);

const struct jg_resource *policy__resource(const struct jg_policy *p, const char *name);
/* The gate-admin resource (every parsed policy has one). */
const struct jg_resource *policy__gate_admin(const struct jg_policy *p);
const struct jg_role *policy__role(const struct jg_policy *p, const char *name);

/* Permissions a resource of these kinds can carry (files: read|write, exec: exec, ...). */
unsigned perm__valid_for_kinds(unsigned kinds);

/* "1.2.3.0/24:80-90", "[2001:db8::]/32:443", "[::1]:7777", "10.0.0.1" (all ports).
 * An IPv6 address goes in brackets, except with a prefix: "::ffff:10.0.0.0/104:5432".
 * IPv4-mapped IPv6 (::ffff:a.b.c.d, prefix >= 96) is stored as IPv4 (is_v4 = true).
 * Returns 0 or -EINVAL with a message (no position) in err. */
int endpoint__parse(const char *text, struct jg_endpoint *ep, char *err, size_t errlen);

/* This host's loopback addresses, in the IPv6 form the maps use: 127.0.0.0/8 (stored as
 * ::ffff:127.0.0.0/104) and ::1/128. A connect endpoint that touches them (its prefix covers
 * one or lies inside one) means "this host's service": it protects its ports on all of them
 * and on the host's own addresses (user/compile.c). Bind endpoints are taken as written. */
#define JG_NLOOPBACK 2
extern const struct jg_loopback {
	uint8_t addr[16];
	uint8_t prefixlen;
	const char *text;
} jg_loopback[JG_NLOOPBACK];

bool endpoint__touches_loopback(const struct jg_endpoint *ep);
/* Is the prefix (addr, prefixlen) inside the loopback set? */
bool endpoint__in_loopback(const uint8_t addr[16], uint8_t prefixlen);

/* "user:NAME", "uid:N", "group:NAME". */
int subject__parse(const char *text, struct jg_subject *s, char *err, size_t errlen);

/* The parse functions above and below fill their output only on success (pos = {0, 0}).
 * endpoint__parse sets ep->text and subject__parse s->name (USER, GROUP) to a copy on the heap:
 * release them with these (NULL and zeroed structs are fine). Objects inside a jg_policy
 * belong to it: policy__free releases them. */
void endpoint__free(struct jg_endpoint *ep);
void subject__free(struct jg_subject *s);

/* "user:alice", "uid:1000", "group:sre" into buf; returns buf. */
char *subject__format(const struct jg_subject *s, char *buf, size_t len);

/* True when the network address (16 bytes, IPv4 as ::ffff:a.b.c.d) is inside ep's prefix
 * and port inside its range. */
bool endpoint__contains(const struct jg_endpoint *ep, const uint8_t addr[16], uint16_t port);

/* "Mon-Fri 08:00-18:00" (see struct jg_window). Returns 0 or -EINVAL with one sentence. */
int window__parse(const char *text, struct jg_window *w, char *err, size_t errlen);
/* wday: 0 = Monday .. 6 = Sunday; minute: 0..1439 from local midnight. */
bool window__contains(const struct jg_window *w, int wday, int minute);

/* "2026-03-01" or RFC 3339 "2026-03-01T09:00:00+01:00" (also Z, fractions ignored) into unix
 * seconds. A date alone is a UTC day: its start, or with end_of_day its end (the next day's
 * 00:00:00Z). Years 1970-9999. Returns 0 or -EINVAL with one sentence. */
int timestamp__parse(const char *text, bool end_of_day, int64_t *out, char *err, size_t errlen);

#endif /* JG_POLICY_H */
