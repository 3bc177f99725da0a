/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
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

#endif
