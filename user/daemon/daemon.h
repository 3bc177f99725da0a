/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* jitgated's own parts (user/daemon/): the program on top of the layers. It owns the kernel
 * gate (gate/), the ledger and the request workflow (workflow/), the audit stream and its
 * sinks (audit/) and the policy (policy/), and may use every layer below it; nothing below
 * includes it. Its files:
 *   main.c         options, startup and shutdown, the event loop
 *   config.c       the daemon config file
 *   server.c       the control socket: clients, framing, the handler table
 *   cmd_*.c        request handlers, one file per group (control, grants, requests,
 *                  history, mfa, why)
 *   requests.c     the request workflow's glue: audit, MFA, refusals, activation
 *   grants.c       a grant's life: start, end, expiry, reconciliation with the kernel
 *   guard.c        the grant map's guard (kernel entries equal the ledger's)
 *   apply.c        policy load and apply, object names, pre-existing descriptors
 *   state.c        the ledger, the outbox of control events, resource ids
 *   drain.c        the ring-buffer drain and loss accounting
 *   sessions.c     elevated sessions: ended with their grant, warned before
 *   trail.c        the session trail: watched trees, history --grant
 *   metrics.c      the metrics' snapshot and the decisions counted per resource;
 *   metrics_http.c its endpoint (Unix socket, opt-in loopback TCP)
 *   timers.c       what runs on the 250 ms tick
 *   fleet.c        fleet mode: the store's connection, verified fleet grants
 *   seal.c         the sealed gate: what jitgated seals, who may administer the gate,
 *                  the tamper.deny records
 * This header holds the state they share (struct daemon d) and their entry points. */
#ifndef JG_DAEMON_H
#define JG_DAEMON_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <jansson.h>
#include "audit/audit.h"
#include "audit/denials.h"
#include "policy/compile.h"
#include "lib/defaults.h"
#include "lib/duration.h"
#include "gate/gate.h"
#include "workflow/grants.h"
#include "workflow/ledger.h"
#include "workflow/notify.h"
#include "lib/log.h"
#include "policy/policy.h"
#include "gate/preexisting.h"
#include "lib/proto.h"
#include "policy/schedule.h"
#include "audit/sink.h"
#include "workflow/totp.h"
#include "lib/util.h"
#include "workflow/workflow.h"

#define MAX_ADMIN_GROUPS 16
#define MAX_TRUSTED_TOOLS 8
/* Control socket limits (config keys of the same names; docs/protocol.md) */
#define MAX_CLIENTS_DEFAULT		64
#define MAX_CLIENTS_PER_UID_DEFAULT	8
#define MAX_CLIENTS_LIMIT		1024
#define CLIENT_READ_TIMEOUT_MS		2000
#define CLIENT_RATE_DEFAULT		10	/* requests a second per uid (root: unlimited) */
#define CLIENT_BURST_DEFAULT		50
#define CLIENT_WRITE_TIMEOUT_MS		10000

struct config {
	char policy[256];
	char socket[256];
	char pin_dir[256];
	char audit_log[256];
	char state_dir[256];
	char ledger[300];		/* "" = STATE_DIR/ledger.db */
	char host[256];
	uint32_t ringbuf_bytes;
	uint32_t prio_ringbuf_bytes;
	uint32_t deny_rate;		/* denial events streamed per second and subject; 0: all */
	uint32_t deny_burst;
	uint32_t max_grants;
	uint64_t audit_max_bytes;	/* rotate the audit log past this; 0: never */
	uint32_t audit_keep;		/* rotated audit files kept */
	bool audit_stdout;
	bool stream_allow_events;
	char admin_groups[MAX_ADMIN_GROUPS][JG_NAME_LEN];
	size_t nadmin_groups;
	char auditor_groups[MAX_ADMIN_GROUPS][JG_NAME_LEN];
	size_t nauditor_groups;
	json_t *sinks;			/* "sinks" as given; sink.c parses it */
	json_t *fleet;			/* "fleet" as given (NULL: single-host); fleet.c parses it */
	uint32_t max_clients;		/* connections open at once (root may use more) */
	uint32_t max_clients_per_uid;
	uint32_t client_read_timeout_ms;	/* the request must be in within this */
	uint32_t client_write_timeout_ms;	/* the reply must be taken within this */
	uint32_t client_rate;		/* connections a second per uid (not root); 0: no limit */
	uint32_t client_burst;		/* at once, before client_rate applies */
	uint64_t audit_backlog_bytes;	/* audit records held while the log cannot be written */
	struct jg_mfa_policy mfa;	/* "mfa_lockout" */
	struct jg_req_limits req;	/* "requests" */
	/* "trusted_tools": executables whose processes (no login uid) may open the gate's maps
	 * for writing, beside jitgated itself (repair tools, test harnesses) */
	char trusted_tools[MAX_TRUSTED_TOOLS][256];
	size_t ntrusted_tools;
	/* the metrics endpoint (docs/metrics.md) */
	char metrics_socket[256];	/* "" = metrics.sock beside the control socket */
	char metrics_group[JG_NAME_LEN];	/* may read it besides root; "" = root only */
	char metrics_listen[64];	/* loopback "ADDR:PORT" also served; "" = none */
};

struct peer {
	pid_t pid;
	uint32_t uid, gid, loginuid;
	uint32_t subject;		/* loginuid when set, else uid */
	char user[JG_NAME_LEN];		/* name of subject */
	bool admin;
	bool auditor;			/* may read requests and history */
};

struct objpath {
	uint32_t dev;
	uint64_t ino;
	struct jg_object val;		/* resource, kind, mode */
	char *path;
};


struct daemon {
	struct config cfg;
	const char *config_path;	/* the config file read (it may not exist) */
	struct jg_gate *gate;
	struct jg_audit audit;
	struct jg_grants grants;
	struct jg_policy *policy;
	int64_t policy_loaded_ns;
	char *res_names[JG_MAX_RESOURCES];	/* kernel resource id -> name, stable */
	struct ring_buffer *rb;
	int listen_fd, sig_fd, timer_fd, ep_fd, lock_fd;
	char canary[300];
	struct jg_ledger ledger;
	struct jg_notify notify;
	struct objpath *objpaths;	/* the applied policy's objects by (dev, ino) */
	size_t nobjpaths;
	char boot_id[64];
	int64_t started_ns;
	uint64_t lost_reported;
	uint64_t prio_lost_reported;
	int64_t suppressed_checked_ns;	/* wall time of the last access.suppressed check, 0: none
					 * since start */
	uint64_t suppressed_seen;	/* JG_STAT_SUPPRESSED at that check */
	bool crash_after_commit;	/* JITGATED_FAILPOINT=crash-after-commit (tests only) */
	bool recheck_warned;		/* said once that the re-check could not be detached */
	bool session_idle_warned;	/* said once that the session programs could not be detached */
	bool stop;
	struct jg_refusals refusals;	/* request refusals being summarised */
	uint64_t ledger_errors;		/* ledger writes that failed (disk full, read-only) */
	uint64_t ledger_failing;	/* of them since the last write that worked; 0: healthy */
	char ledger_last_err[400];
	uint64_t forged, corrected, restored;	/* kernel grant entries the guard fixed */
	int64_t guarded_ns;		/* last pass of grants_guard (boot time) */
	uint64_t policies_applied;	/* since start (metrics: jitgate_policy_generation) */
	struct jg_denials denials;	/* each person's recent denials, for why (cmd_why.c) */
};
/* The daemon's one state, shared by its files (defined in daemon/main.c). */
extern struct daemon d;

/* epoll tags of the event loop (main.c); TAG_CLIENT + slot is a client (server.c) */
enum { TAG_LISTEN = 1, TAG_RB, TAG_SIG, TAG_TIMER, TAG_FLEET = 10, TAG_CLIENT = 16 };
/* the metrics endpoint's sockets (metrics_http.c); TAG_METRICS_CLIENT + slot is a scraper */
enum { TAG_METRICS_UNIX = 8, TAG_METRICS_TCP = 9, TAG_METRICS_CLIENT = 1u << 24 };

/* A grant's life as the request workflow must learn it, through one hook (grants.c calls
 * it, requests.c listens; main.c connects them):
 *   GRANT_DECIDED  request q, decided by p (NULL: by policy), became a grant attempt: said
 *                  in the grant's transaction, and again when the kernel refused the grant
 *   GRANT_ENDED    grant grant_id ended: extension requests of it are void */
enum grant_phase { GRANT_DECIDED, GRANT_ENDED };
typedef void (*grant_hook_fn)(enum grant_phase phase, uint64_t grant_id,
			      const struct jg_request *q, const struct peer *p);
void grant_set_hook(grant_hook_fn fn);
void request_on_grant(enum grant_phase phase, uint64_t grant_id, const struct jg_request *q,
		      const struct peer *p);

/* ---- entry points of the daemon's files */

/* timers.c: the 250 ms tick's descriptor (-1 with errno), and what runs on each tick */
/* sessions.c: elevated sessions end with their grant */
void sessions__grant_ended(uint64_t grant_id, const char *kind);
void sessions__sweep(bool now);
void sessions__warn_due(void);
/* {"processes", "sessions", "ending"}: what is elevated now */
json_t *sessions__status(void);

int timers_open(void);
void timers_tick(void);

/* apply.c */
void objpaths_free(struct objpath *v, size_t n);
void objpaths_rebind(const struct jg_event *e);
void name_object(const struct jg_event *e, json_t *rec);
json_t *policy_summary(void);
int policy_apply(const char *file, char *err, size_t errlen);

/* Exit statuses beside 0, 1 (failed) and 2 (usage); the unit's RestartPreventExitStatus=
 * names both: a restart cannot help. */
#define JG_EXIT_NO_ENFORCE 69	/* this kernel cannot enforce (EX_UNAVAILABLE) */
#define JG_EXIT_CONFIG     78	/* the config, the policy or a sink is wrong (EX_CONFIG) */
/* jitgated --check (daemon/check.c): the exit status. */
int daemon_check(bool json);

/* trail.c: the watched trees of the applied policy, session.file paths, history --grant */
void watchpaths_set(const struct jg_compiled *c);
void watchpaths_free(void);
void trail_paths(const struct jg_event *e, json_t *rec);
json_t *watch_summary(const struct jg_compiled *c);
json_t *history_grant(const char *id);

/* cmd_control.c */
json_t *reply_status(void);
json_t *do_reload(const struct peer *p, json_t *args);
json_t *do_unload(const struct peer *p, json_t *args);

/* cmd_grants.c */
json_t *deny_perm(const struct peer *p, const char *what);
json_t *do_grant(const struct peer *p, json_t *args);
json_t *do_revoke(const struct peer *p, json_t *args);
json_t *do_list(const struct peer *p, json_t *args);

/* cmd_history.c */
json_t *do_requests(const struct peer *p, json_t *args);
json_t *do_history(const struct peer *p, json_t *args);

/* cmd_why.c */
json_t *do_why(const struct peer *p, json_t *args);

/* cmd_mfa.c */
json_t *do_mfa_enroll(const struct peer *p, json_t *args);
json_t *do_mfa_unlock(const struct peer *p, json_t *args);

/* cmd_requests.c */
json_t *do_request(const struct peer *p, json_t *args);
json_t *do_extend(const struct peer *p, json_t *args);
json_t *do_approve(const struct peer *p, json_t *args);
json_t *do_deny(const struct peer *p, json_t *args);
json_t *do_cancel(const struct peer *p, json_t *args);
json_t *do_drop(const struct peer *p, json_t *args);

/* config.c */
int config_load(struct config *c, const char *file, bool must_exist, char *err,
		size_t errlen);

/* drain.c */
int on_event(void *ctx, void *data, size_t size);
void drain_events(void);
void check_lost(void);
void check_suppressed(void);

/* grants.c */
int sync_pairs(const struct jg_grant_rec *r);
void audit_grant(const char *type, const struct jg_grant_rec *r, json_t *extra);
json_t *peer_json(const struct peer *p);
int grant_end(uint64_t id, const char *kind, const struct peer *by, const char *reason,
	      const char *type, json_t *extra);
void expire_grants(bool late);
void reconcile(void);
int grant_start(struct jg_grant_rec *r, struct jg_request *q, const struct peer *p,
		bool announce, json_t *create_extra, char *err, size_t errlen);

/* fleet.c: fleet mode (docs/fleet.md); all do nothing without a "fleet" config key */
int fleet_start(char *err, size_t errlen);
void fleet_event(void);
void fleet_tick(void);
void fleet_stop(void);
bool fleet_enabled(void);
json_t *fleet_status(void);
void fleet_grant_ended(uint64_t grant_id, const char *kind);

/* guard.c */
void grants_guard(void);
void recheck_idle(void);

/* metrics.c: count a drained kernel event; the exposition of now (malloc'd) */
void metrics_count(const struct jg_event *e);
char *metrics_text(size_t *len, uint64_t served, uint64_t refused);
/* metrics_http.c */
struct sockaddr_storage;
int metrics_listen_address(const char *text, struct sockaddr_storage *ss, uint32_t *len,
			   char *err, size_t errlen);
int metrics_open(char *err, size_t errlen);
void metrics_accept(uint32_t tag);
void metrics_event(uint32_t slot, uint32_t events);
void metrics_tick(void);
void metrics_close(void);

/* requests.c */
void notify_failed(const char *event, const char *cmd, const char *what);
struct jg_who who_of(const struct peer *p);
int request_step(struct jg_request *q, bool insert, const char *type,
		 const struct peer *by, json_t *extra);
json_t *ledger_error(const char *what);
json_t *wf_error(int ret, const char *err);
int check_otp(const struct peer *p, const char *role, const char *otp, bool *audited,
	      char *err, size_t errlen);
void refusal_summary(const struct jg_refusal *s, void *ctx);
json_t *refused(const struct peer *p, const char *command, const char *what,
		json_t *reply, bool audited);
int activate(struct jg_request *q, const struct jg_role *role, const struct peer *p,
	     json_t **grant_out, char *err, size_t errlen);
json_t *submit(const struct peer *p, struct jg_request *q, const struct jg_role *role,
	       bool clamped);
const struct jg_grant_rec *live_grant_of_role(uint32_t uid, const char *role);
int want_duration(json_t *args, uint64_t *secs, char *err, size_t errlen);
void expire_requests(void);

/* seal.c */
void seal_refresh(void);
void seal_tick(void);
void seal_stop(void);
/* The path jitgated sealed at dev/ino, or NULL. */
const char *seal_path_of(uint32_t dev, uint64_t ino);
/* May p administer the gate (`what`: "unloading the gate", ...)? The host's automation
 * may; a human (login uid, or elevated) only with a live gate-admin grant. Otherwise a
 * tamper.deny record is written and *refusal is the reply. */
bool seal_may_admin(const struct peer *p, const char *what, json_t **refusal);
/* A peer in an elevated session is its human: the root it holds for the session is not
 * jitgated's admin (it would grant itself more root, or gate-admin). */
void seal_peer(struct peer *p);

/* tamper.c: a tamper.deny record's operation, target and human, from the kernel's event */
void seal_describe(const struct jg_event *e, json_t *rec);

/* server.c */
void client_event(uint32_t slot, uint32_t events);
void clients_accept(void);
void clients_tick(void);
int clients_init(char *err, size_t errlen);
void clients_close(void);

/* state.c */
void ledger_warn(const char *what, int ret);
/* {"file", "write_errors", "failing", "error"}: the ledger's writes, for status */
json_t *ledger_state(void);
void save_lost(void);
int ledger_load(char *err, size_t errlen);
int tx_begin(void);
void tx_abort(void);
int tx_commit(void);
void tx_end(bool emit);
void ctl_emit(json_t *ev);
void replay_outbox(void);
int res_id(const char *name);
int policy_load_ids(const char *file, struct jg_policy **p, uint16_t **ids, char *err,
		    size_t errlen);
int assign_ids(const struct jg_policy *p, uint16_t *ids, char *err, size_t errlen);

#endif
