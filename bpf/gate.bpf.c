// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* jitgate kernel gate: BPF LSM programs that answer two questions on every open, exec and
 * connect: is this object protected, and does the subject hold a live grant for it?
 * No policy logic lives here beyond those lookups; userspace fills the maps. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "jitgate.h"
#include "errno.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define FMODE_READ  0x1
#define FMODE_WRITE 0x2
#define FMODE_EXEC  0x20

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

/* Never LRU: an entry disappears only when userspace removes it. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, JG_MAX_GRANTS);
	__type(key, struct jg_grant_key);
	__type(value, struct jg_grant);
} grants SEC(".maps");

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

static __always_inline void stat_inc(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &idx);

	if (v)
		*v += 1;
}

static __always_inline __u32 live_gen(void)
{
	__u32 zero = 0;
	struct jg_config *c = bpf_map_lookup_elem(&gate_config, &zero);

	return c ? c->gen : 0;
}

/* Does the live policy protect anything on this device? Sets *gen. */
static __always_inline bool dev_protected(__u32 dev, __u32 *gen)
{
	__u32 zero = 0, g, n;
	struct jg_config *c = bpf_map_lookup_elem(&gate_config, &zero);
	int i;

	if (!c)
		return false;
	g = c->gen & 1;
	n = c->ndevs[g];
	*gen = g;
	for (i = 0; i < JG_MAX_DEVS; i++) {
		if (i >= n)
			return false;
		if (c->devs[g][i] == dev)
			return true;
	}
	return false;
}

static __always_inline __u32 subject_of(struct task_struct *task, __u32 *loginuid)
{
	__u32 luid = (__u32)-1;

	if (bpf_core_field_exists(task->loginuid))
		luid = task->loginuid.val;
	*loginuid = luid;
	if (luid != (__u32)-1)
		return luid;
	return (__u32)bpf_get_current_uid_gid();
}

static __always_inline int perm_slot(__u32 perm)
{
	switch (perm) {
	case JG_PERM_READ:    return 0;
	case JG_PERM_WRITE:   return 1;
	case JG_PERM_EXEC:    return 2;
	case JG_PERM_CONNECT: return 3;
	default:              return 4;
	}
}

/* Live grant id for (subject, resource, perm), or 0. */
static __always_inline __u64 grant_for(__u32 subject, __u16 resource, __u32 perm, __u64 now)
{
	struct jg_grant_key key = { .subject = subject, .resource = resource };
	struct jg_grant *g;
	int slot = perm_slot(perm);

	if (resource == JG_CANARY_RESOURCE)
		return 0;
	g = bpf_map_lookup_elem(&grants, &key);
	if (!g || slot < 0 || slot >= JG_NPERMS)
		return 0;
	if (g->expires_ns[slot] <= now)
		return 0;
	return g->grant_id[slot] ? g->grant_id[slot] : 1;
}

/* Outcome of checking every protected object a request touches. */
struct verdict {
	__u16 resource;		/* deciding resource */
	__u16 perm;
	__u8  type;		/* 0 = nothing protected, else enum jg_event_type */
	__u8  too_deep;
	__u64 grant_id;
	__u64 prot_ino;
};

/* Fold one (resource, mode) requirement into the verdict. Returns true when denied. */
static __always_inline bool require(struct verdict *v, __u32 subject, __u16 res, __u8 mode,
				    __u32 perm, __u64 now, __u64 prot_ino)
{
	__u64 gid = grant_for(subject, res, perm, now);

	if (gid) {
		if (!v->type) {
			v->type = JG_EV_ALLOW;
			v->resource = res;
			v->perm = perm;
			v->grant_id = gid;
			v->prot_ino = prot_ino;
		}
		return false;
	}
	if (mode == JG_MODE_AUDIT) {
		if (v->type != JG_EV_DENY) {
			v->type = JG_EV_AUDIT;
			v->resource = res;
			v->perm = perm;
			v->grant_id = 0;
			v->prot_ino = prot_ino;
		}
		return false;
	}
	v->type = JG_EV_DENY;
	v->resource = res;
	v->perm = perm;
	v->grant_id = 0;
	v->prot_ino = prot_ino;
	return true;
}

/* Direct loads below, not BPF_CORE_READ: BTF pointers of LSM programs are read with
 * fault-safe loads (CO-RE relocated), without a bpf_probe_read_kernel call per field. */

struct walk_hit {
	__u64 ino;
	__u16 resource;
	__u8  mode;
};

struct walk_ctx {
	struct dentry *d;
	struct jg_filter *filter;
	struct jg_object_key key;
	__u8 kind;
	__u8 done;		/* reached the filesystem root */
	__u8 overflow;		/* more than JG_MAX_NESTED protected levels */
	__u8 nhits;
	struct walk_hit hits[JG_MAX_NESTED];
};

/* One level of the ancestor walk (a bpf_loop callback: the verifier checks it once, the
 * kernel inlines the loop). */
static long walk_step(__u32 i, struct walk_ctx *w)
{
	struct dentry *d = w->d, *parent;
	struct jg_object *obj;
	__u32 bit;
	__u8 n;

	if (!d) {
		w->done = 1;
		return 1;
	}
	w->key.ino = d->d_inode->i_ino;
	bit = jg_ino_bit(w->key.ino);
	if (!(w->filter->ino[(bit >> 6) & (JG_FILTER_WORDS - 1)] & (1ULL << (bit & 63))))
		obj = NULL;	/* certainly not protected: no hash lookup */
	else
		obj = bpf_map_lookup_elem(&objects, &w->key);
	if (obj && obj->kind == w->kind) {
		n = w->nhits;
		if (n >= JG_MAX_NESTED) {
			w->overflow = 1;
			return 1;
		}
		w->hits[n].ino = w->key.ino;
		w->hits[n].resource = obj->resource;
		w->hits[n].mode = obj->mode;
		w->nhits = n + 1;
	}
	parent = d->d_parent;
	if (parent == d) {
		w->done = 1;
		return 1;
	}
	w->d = parent;
	return 0;
}

/* Walk from the dentry up through its ancestors on the same filesystem; every protected
 * object of `kind` on the way must be satisfied for every bit of `perms`. */
static __always_inline void check_tree(struct verdict *v, struct dentry *d, __u32 gen, __u32 dev,
				       __u8 kind, __u32 perms, __u32 subject, __u64 now)
{
	struct walk_ctx w = { .d = d, .key = { .gen = gen, .dev = dev }, .kind = kind };
	int i;

	w.filter = bpf_map_lookup_elem(&filters, &gen);
	if (!w.filter)
		return;
	bpf_loop(JG_MAX_DEPTH, walk_step, &w, 0);
	if (!w.done || w.overflow) {
		/* Deeper (or more nested) than we look: we cannot prove the path is outside
		 * every protected tree, so it is denied. */
		v->type = JG_EV_DENY;
		v->too_deep = 1;
		v->resource = 0;
		v->perm = perms & JG_PERM_READ ? JG_PERM_READ :
			  perms & JG_PERM_WRITE ? JG_PERM_WRITE : perms;
		stat_inc(JG_STAT_TOO_DEEP);
		return;
	}
	for (i = 0; i < JG_MAX_NESTED; i++) {
		struct walk_hit *h = &w.hits[i];

		if (i >= w.nhits)
			break;
		if ((perms & JG_PERM_READ) &&
		    require(v, subject, h->resource, h->mode, JG_PERM_READ, now, h->ino))
			return;
		if ((perms & JG_PERM_WRITE) &&
		    require(v, subject, h->resource, h->mode, JG_PERM_WRITE, now, h->ino))
			return;
		if ((perms & JG_PERM_EXEC) &&
		    require(v, subject, h->resource, h->mode, JG_PERM_EXEC, now, h->ino))
			return;
	}
}

/* with_exe: resolve the executable's path; bpf_d_path is allowed in file_open and
 * bprm_check_security only (the daemon falls back to /proc for the other hooks). */
static __always_inline struct jg_event *event_start(const struct verdict *v, __u32 hook,
						    __u32 subject, __u32 loginuid, int ret,
						    bool with_exe)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct jg_event *e;
	__u64 pid_tgid;

	if (v->type == JG_EV_ALLOW && !ringbuf_events_allow)
		return NULL;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		stat_inc(JG_STAT_EVENTS_LOST);
		return NULL;
	}
	pid_tgid = bpf_get_current_pid_tgid();
	e->boot_ns = bpf_ktime_get_boot_ns();
	e->grant_id = v->grant_id;
	e->type = v->type;
	e->hook = hook;
	e->subject = subject;
	e->loginuid = loginuid;
	e->uid = (__u32)bpf_get_current_uid_gid();
	e->euid = task->cred->euid.val;
	e->pid = pid_tgid >> 32;
	e->tid = (__u32)pid_tgid;
	e->ppid = task->real_parent->tgid;
	e->resource = v->resource;
	e->perm = v->perm;
	e->ret = ret;
	e->flags = v->too_deep ? JG_EVF_TOO_DEEP : 0;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	e->path[0] = 0;
	e->exe[0] = 0;
	/* Resolved here, not from /proc later: a short-lived process is gone by then. */
	if (with_exe &&
	    bpf_d_path((struct path *)&task->mm->exe_file->f_path, e->exe, sizeof(e->exe)) > 0)
		e->flags |= JG_EVF_EXE_OK;
	return e;
}

static __always_inline void count(const struct verdict *v)
{
	stat_inc(v->type == JG_EV_DENY ? JG_STAT_DENY :
		 v->type == JG_EV_AUDIT ? JG_STAT_AUDIT : JG_STAT_ALLOW);
}

/* Decide on a dentry of device `dev`; returns 0 when nothing protected is involved. */
static __always_inline int gate_dentry(struct verdict *v, struct dentry *dentry, __u32 dev,
				       __u8 kind, __u32 perms, __u32 *gen, __u32 *subject,
				       __u32 *loginuid)
{
	if (!dev_protected(dev, gen))
		return 0;
	*subject = subject_of(bpf_get_current_task_btf(), loginuid);
	check_tree(v, dentry, *gen, dev, kind, perms, *subject, bpf_ktime_get_boot_ns());
	if (!v->type)
		return 0;
	count(v);
	return v->type == JG_EV_DENY ? -EACCES : 0;
}

/* Shared by file_open and bprm_check_security: both decide on a struct file. */
static __always_inline int gate_file(struct file *file, __u8 kind, __u32 perms, __u32 hook)
{
	__u32 dev = file->f_inode->i_sb->s_dev;
	__u32 gen, subject, loginuid;
	struct verdict v = {};
	struct jg_event *e;
	int ret;

	ret = gate_dentry(&v, file->f_path.dentry, dev, kind, perms, &gen,
			  &subject, &loginuid);
	if (!v.type || (v.resource == JG_CANARY_RESOURCE && !v.too_deep))
		return ret;	/* the canary is the daemon's self-test: enforced, never streamed */
	if (ret && hook == JG_HOOK_FILE_OPEN &&
	    bpf_task_storage_get(&exempt_tasks, bpf_get_current_task_btf(), 0, 0))
		return 0;	/* jitgated reading a protected directory to compile the policy */
	e = event_start(&v, hook, subject, loginuid, ret, true);
	if (e) {
		e->file.dev = dev;
		e->file.ino = file->f_inode->i_ino;
		e->file.prot_ino = v.prot_ino;
		if (bpf_d_path((struct path *)&file->f_path, e->path, sizeof(e->path)) > 0)
			e->flags |= JG_EVF_PATH_OK;
		bpf_ringbuf_submit(e, 0);
	}
	return ret;
}

SEC("lsm/file_open")
int BPF_PROG(jg_file_open, struct file *file, int ret)
{
	__u32 fmode, perms = 0;

	if (ret)
		return ret;
	fmode = file->f_mode;
	if (fmode & FMODE_READ)
		perms |= JG_PERM_READ;
	if (fmode & FMODE_WRITE)
		perms |= JG_PERM_WRITE;
	if (!perms)
		return 0;
	return gate_file(file, JG_KIND_FILES, perms, JG_HOOK_FILE_OPEN);
}

SEC("lsm/bprm_check_security")
int BPF_PROG(jg_exec, struct linux_binprm *bprm, int ret)
{
	if (ret)
		return ret;
	return gate_file(bprm->file, JG_KIND_EXEC, JG_PERM_EXEC, JG_HOOK_EXEC);
}

/* A new name for a protected inode needs write; the inode then stays protected by its own
 * identity, so the new name (which may sit outside the tree) is no way around the gate. */
SEC("lsm/inode_link")
int BPF_PROG(jg_inode_link, struct dentry *old_dentry, struct inode *dir,
	     struct dentry *new_dentry, int ret)
{
	__u32 dev, gen = 0, subject = 0, loginuid = 0;
	struct verdict v = {};
	struct jg_event *e;

	if (ret)
		return ret;
	dev = old_dentry->d_sb->s_dev;
	ret = gate_dentry(&v, old_dentry, dev, JG_KIND_FILES, JG_PERM_WRITE, &gen, &subject,
			  &loginuid);
	if (!v.type)
		return ret;
	if (!ret && !v.too_deep) {
		struct jg_object_key key = { .gen = gen, .dev = dev };
		struct jg_object obj = { .resource = v.resource, .kind = JG_KIND_FILES };

		struct jg_filter *f = bpf_map_lookup_elem(&filters, &gen);
		__u32 bit;

		key.ino = old_dentry->d_inode->i_ino;
		obj.mode = v.type == JG_EV_AUDIT ? JG_MODE_AUDIT : JG_MODE_ENFORCE;
		bpf_map_update_elem(&objects, &key, &obj, BPF_NOEXIST);
		/* the walk looks at the filter first: the new entry must pass it */
		bit = jg_ino_bit(key.ino);
		if (f)
			__sync_fetch_and_or(&f->ino[(bit >> 6) & (JG_FILTER_WORDS - 1)],
					    1ULL << (bit & 63));
	}
	if (v.resource == JG_CANARY_RESOURCE && !v.too_deep)
		return ret;
	e = event_start(&v, JG_HOOK_LINK, subject, loginuid, ret, false);
	if (e) {
		e->file.dev = dev;
		e->file.ino = old_dentry->d_inode->i_ino;
		e->file.prot_ino = v.prot_ino;
		bpf_ringbuf_submit(e, 0);
	}
	return ret;
}

SEC("lsm/socket_connect")
int BPF_PROG(jg_connect, struct socket *sock, struct sockaddr *address, int addrlen, int ret)
{
	struct jg_net_key key = {};
	struct jg_filter *filter;
	struct jg_net_value *val;
	__u32 gen;
	struct task_struct *task;
	struct verdict v = {};
	struct jg_event *e;
	__u32 subject, loginuid;
	__u16 family, port;
	__u64 now;
	int i;

	if (ret)
		return ret;
	family = address->sa_family;
	if (family != JG_AF_INET && family != JG_AF_INET6)
		return 0;
	/* sin_port and sin6_port both sit at byte 2, sin_addr at byte 4: fixed by the socket
	 * ABI, so plain offsets (sa_data's declaration differs between kernel versions) */
	port = bpf_ntohs(*(__u16 *)((void *)address + 2));
	gen = live_gen() & 1;
	filter = bpf_map_lookup_elem(&filters, &gen);
	if (!filter || !(filter->port[(port >> 6) & (JG_FILTER_WORDS - 1)] & (1ULL << (port & 63))))
		return 0;	/* no protected endpoint has this port: no LPM lookup */
	if (family == JG_AF_INET) {
		if (addrlen < (int)sizeof(struct sockaddr_in))
			return 0;
		key.addr[10] = 0xff;
		key.addr[11] = 0xff;
		*(__u32 *)&key.addr[12] = *(__u32 *)((void *)address + 4);
	} else {
		struct sockaddr_in6 sin6;

		if (addrlen < (int)sizeof(sin6) ||
		    bpf_probe_read_kernel(&sin6, sizeof(sin6), address))
			return 0;
		__builtin_memcpy(key.addr, &sin6.sin6_addr, 16);
	}
	key.gen = (__u8)gen;
	key.prefixlen = 8 + 128;
	val = bpf_map_lookup_elem(&net_prefixes, &key);
	if (!val)
		return 0;

	task = bpf_get_current_task_btf();
	subject = subject_of(task, &loginuid);
	now = bpf_ktime_get_boot_ns();
	for (i = 0; i < JG_MAX_PORT_RANGES; i++) {
		struct jg_port_range *r;

		if (i >= val->count)
			break;
		r = &val->ranges[i];
		if (port < r->lo || port > r->hi)
			continue;
		if (require(&v, subject, r->resource, r->mode, JG_PERM_CONNECT, now, 0))
			break;
	}
	if (!v.type)
		return 0;
	count(&v);
	ret = v.type == JG_EV_DENY ? -EACCES : 0;
	e = event_start(&v, JG_HOOK_CONNECT, subject, loginuid, ret, false);
	if (e) {
		e->net.family = family;
		e->net.port = port;
		__builtin_memcpy(e->net.addr, key.addr, 16);
		bpf_ringbuf_submit(e, 0);
	}
	return ret;
}
