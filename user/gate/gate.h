/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The kernel side as userspace sees it: load or adopt the pinned programs and maps, swap
 * policy generations, write grants, prove enforcement.
 *
 * user/gate/ owns everything that touches the BPF object: the loader (gate.c, the only file
 * that includes the generated skeleton), the pins (pins.c) and the scan for descriptors
 * opened before protection (preexisting.c). It uses policy/ (compiled entries) and lib/;
 * the daemon and the CLI use it. */
#ifndef JG_GATE_H
#define JG_GATE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "jitgate.h"
#include "policy/compile.h"

struct gate_bpf;

struct jg_gate {
	struct gate_bpf *skel;
	char pin_dir[256];
	bool adopted;			/* the programs were already attached and pinned */
	uint32_t gen;			/* live policy generation (0 or 1) */
	uint32_t ringbuf_bytes;
	uint32_t prio_ringbuf_bytes;	/* the priority ring (elevation, trails, tampering) */
	uint32_t max_grants;		/* capacity of the grant map */
};

/* What a new gate is loaded with (an adopted one keeps its ring and map sizes). */
struct jg_gate_opts {
	uint32_t ringbuf_bytes;
	uint32_t prio_ringbuf_bytes;
	uint32_t max_grants;
	bool stream_allow_events;
};

/* "BPF LSM can enforce here" or -errno with one sentence. */
int gate__preflight(char *err, size_t errlen);

/* Load and attach the programs and pin everything, or adopt what is pinned already. */
int gate__open(struct jg_gate **out, const char *pin_dir, const struct jg_gate_opts *o,
	       char *err, size_t errlen);
/* Close our descriptors; the pins keep the gate enforcing. NULL is fine. */
void gate__close(struct jg_gate *g);
/* ---- pins (gate/pins.c) */

/* The link whose pin means "the gate is loaded". */
#define GATE_MARKER_LINK "link_file_open"
/* PIN_DIR/link_file_open. Returns buf. */
char *gate__marker_path(const char *pin_dir, char *buf, size_t len);
bool gate__is_pinned(const char *pin_dir);
/* Remove every pin under pin_dir and the directory (the gate stops once no descriptor holds
 * the links); an absent pin_dir is fine. 0 or -errno with one sentence in err (may be NULL). */
int gate__unpin(const char *pin_dir, char *err, size_t errlen);
/* Called with each path removed. */
typedef void (*gate_removed_fn)(const char *path, void *ctx);
/* Remove every entry of dirfd (named dirpath in messages), "link_*" first, descending into
 * directories; counts the pins removed in *count. Stops at the first failure: -errno with
 * one sentence in err. */
int gate__unpin_at(int dirfd, const char *dirpath, gate_removed_fn removed, void *ctx,
		   int *count, char *err, size_t errlen);

/* Write c as the next generation, flip to it, remove the old one. On error the live
 * generation is untouched. */
int gate__apply(struct jg_gate *g, const struct jg_compiled *c, char *err, size_t errlen);

/* Grants: -ENOSPC when the map is full (never evicts). */
int gate__set_grant(struct jg_gate *g, uint32_t subject, uint16_t resource,
		    const struct jg_grant *val);
int gate__del_grant(struct jg_gate *g, uint32_t subject, uint16_t resource);
/* Call fn for every kernel grant entry; stops when fn returns non-zero. */
int gate__for_each_grant(struct jg_gate *g,
			 int (*fn)(const struct jg_grant_key *k, const struct jg_grant *v, void *ctx),
			 void *ctx);

/* Open the canary as ourselves: 0 when the gate refuses it with EACCES. */
int gate__canary(const char *canary_path, char *err, size_t errlen);

/* Let this process open protected files (never the canary): the daemon must read inside
 * protected trees to find hardlinked files. Ends with the process. */
int gate__exempt_self(struct jg_gate *g);

/* The descriptor re-check (file_permission, file_free_security) is attached on demand:
 * armed before a read or write grant or standing rule reaches the kernel, and idle again
 * once no such grant or standing rule and no file opened under one is left. */
struct jg_recheck {
	bool armed;
	uint64_t held;		/* files opened under a grant or standing rule, still alive */
	uint64_t held_full;	/* opens that found held_files full (the re-check stays on) */
	uint64_t unarmed;	/* grants refused because the re-check was off */
};

/* Attach and arm (idempotent): 1 attached now, 0 was already; -errno with one sentence,
 * and then no grant may be written. */
int gate__recheck_arm(struct jg_gate *g, char *err, size_t errlen);
/* Detach when nothing can need it: 1 detached, 0 kept (or already idle), -errno. */
int gate__recheck_idle(struct jg_gate *g);
int gate__recheck(struct jg_gate *g, struct jg_recheck *out);
/* The session-file and lend programs (bpf/session_files.bpf.h, session_lend.bpf.h) cost
 * every file allocation, socket operation and trace check on the host: attached before an
 * elevate grant is written (1 when this attached them, 0 already, -errno with err), and
 * detached by gate__session_idle once no live elevate grant and no session task is left
 * (1 when detached, 0 not, -errno). */
int gate__session_arm(struct jg_gate *g, char *err, size_t errlen);
int gate__session_idle(struct jg_gate *g);

int gate__stats(struct jg_gate *g, uint64_t out[JG_STAT_MAX]);
int gate__events_fd(struct jg_gate *g);
int gate__prio_events_fd(struct jg_gate *g);

/* The per-subject denial budget: `rate` denial events a second, `burst` at once; rate 0
 * streams every denial. Applies to a loaded or adopted gate alike. */
int gate__set_deny_budget(struct jg_gate *g, uint32_t rate, uint32_t burst);
/* Call fn for every subject with a denial budget: its kernel counters and the suppressed
 * count reported so far (gate__set_deny_reported); stops when fn returns non-zero. */
int gate__for_each_deny(struct jg_gate *g,
			int (*fn)(uint32_t subject, const struct jg_deny_rate *r,
				  uint64_t reported, void *ctx),
			void *ctx);
int gate__set_deny_reported(struct jg_gate *g, uint32_t subject, uint64_t reported);
/* ---- elevated sessions (gate/sessions.c) */

/* One task of an elevated session, as the kernel's session iterator lists it. */
struct jg_session_task {
	int32_t tgid;
	int32_t tid;
	uint32_t subject;		/* the human */
	uint64_t grant_id;		/* the elevate grant it began under */
	uint16_t resource;
	bool live;			/* the subject still holds a live elevate grant on it */
	uint64_t started_ns;		/* boot ns */
	char comm[16];
};

/* Call fn for every task of every elevated session (the pinned link_sessions iterator);
 * stops when fn returns non-zero. 0, or -errno with one sentence in err. */
int gate__for_each_session_task(const char *pin_dir,
				int (*fn)(const struct jg_session_task *t, void *ctx), void *ctx,
				char *err, size_t errlen);
/* The session of the process behind pidfd (its thread group leader): 0 and *out, -ENOENT
 * when it is in none, other -errno. */
int gate__session_of_pidfd(const char *pin_dir, int pidfd, struct jg_session *out);
/* ---- the sealed gate (bpf/seal.bpf.h) */

/* Add JG_SEAL_* flags to the sealed inode (dev, ino) (kept: the flags it had). 0, -ENOSPC
 * when the map is full, or -errno. */
int gate__seal(struct jg_gate *g, uint32_t dev, uint64_t ino, uint32_t flags);
/* Record the running jitgated's tgid (0: none) and, when not NULL, the filesystems holding
 * sealed files and the block devices a sealed subject may not open (JG_MAX_SEAL_DEVS
 * each, else -E2BIG). */
int gate__seal_config(struct jg_gate *g, uint32_t daemon_tgid, const uint32_t *fs, size_t nfs,
		      const uint32_t *raw, size_t nraw);
/* The elevated session of process pid: 0 and *out, -ENOENT when it is in none. */
int gate__session_of(struct jg_gate *g, pid_t pid, struct jg_session *out);

/* The kernel hooks the gate's programs attach to ("file_open", ...); returns how many. */
size_t gate__hooks(struct jg_gate *g, const char **names, size_t max);

#endif
