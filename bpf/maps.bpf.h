/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The gate's maps and load-time knobs; all maps but .rodata are pinned (user/gate.c). */
#ifndef JG_MAPS_BPF_H
#define JG_MAPS_BPF_H

/* Set by the loader before load. */
const volatile __u32 ringbuf_events_allow = 1;	/* 0: only denials and audits are streamed */

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct jg_config);
} gate_config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, JG_MAX_OBJECTS);
	__type(key, struct jg_object_key);
	__type(value, struct jg_object);
} objects SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);		/* one per generation */
	__type(key, __u32);
	__type(value, struct jg_filter);
} filters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, JG_MAX_NET_PREFIXES);
	__type(key, struct jg_net_key);
	__type(value, struct jg_net_value);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} net_prefixes SEC(".maps");

/* Local endpoints a bind needs a grant for; apart from net_prefixes so that bind and connect
 * endpoints never share a prefix's port ranges. */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, JG_MAX_BIND_PREFIXES);
	__type(key, struct jg_net_key);
	__type(value, struct jg_net_value);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} bind_prefixes SEC(".maps");

/* Never LRU: an entry disappears only when userspace removes it. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, JG_MAX_GRANTS);
	__type(key, struct jg_grant_key);
	__type(value, struct jg_grant);
} grants SEC(".maps");

/* Standing rules: (gen, subject, resource, executable) -> enum jg_perm bits. Consulted only
 * when a check found no grant. Never LRU, like the grants. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, JG_MAX_STANDING);
	__type(key, struct jg_standing_key);
	__type(value, __u32);
} standing SEC(".maps");

/* jitgated itself, while it walks protected trees to find hardlinked files. Task storage
 * dies with the task, so a reused pid inherits nothing. */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u32);
} exempt_tasks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, JG_STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, JG_RINGBUF_DEFAULT);
} events SEC(".maps");

/* The records that matter most (elevation decisions, session trails, login uid tampering,
 * protection carried to new inodes) have a ring of their own: a flood of denials in
 * `events` cannot crowd them out. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, JG_PRIO_RINGBUF_DEFAULT);
} events_prio SEC(".maps");

/* struct jg_deny_rate with the kernel's lock type (same layout). */
struct deny_rate_val {
	struct bpf_spin_lock lock;
	__u32 pad;
	__u64 tat_ns;
	__u64 denied;
	__u64 suppressed;
};
_Static_assert(sizeof(struct deny_rate_val) == sizeof(struct jg_deny_rate), "deny_rate layout");

/* Per subject: the denial budget and its exact counters. Never LRU (an evicted entry would
 * take its counts along); when full, denials are streamed without a budget. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, JG_MAX_RATE_SUBJECTS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, struct deny_rate_val);
} deny_rate SEC(".maps");

/* Written by jitgated only: per subject, the `suppressed` count it has reported in
 * access.suppressed records. Pinned, so a restarted daemon goes on from there. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, JG_MAX_RATE_SUBJECTS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, __u64);
} deny_reported SEC(".maps");

/* The executables named by standing rules, (gen, dev, ino) -> i_generation (0: any): their
 * execs are checked for an injectable loader environment (bpf/taint.bpf.h); another inode
 * with the number (a reused one, another btrfs subvolume's) is not the rule's program. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, JG_MAX_STANDING);
	__type(key, struct jg_object_key);
	__type(value, __u32);
} standing_exes SEC(".maps");

/* Whether a process may use a standing rule bound to its program (bpf/taint.bpf.h). */
#define JG_TAINT_SCANNED 1u	/* the exec of (dev, ino) was checked */
#define JG_TAINT_ENV     2u	/* ... and its loader environment was injectable */
#define JG_TAINT_TRACED  4u	/* traced, or its memory opened by another process */

struct jg_taint {
	__u32 flags;		/* JG_TAINT_* */
	__u32 dev;		/* the program the exec check was for */
	__u64 ino;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct jg_taint);
} taint SEC(".maps");

#endif
