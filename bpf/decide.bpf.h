/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The two questions every hook asks: is this object protected (device, inode bitmap, ancestor
 * walk), and does the subject hold a live grant for it? Plus the event every decision that
 * involved a protected object produces. */
#ifndef JG_DECIDE_BPF_H
#define JG_DECIDE_BPF_H

#include "maps.bpf.h"

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

/* kernel_cap_t is u32[2] up to 6.2 and one u64 since: 8 bytes, same bit order either way. */
static __always_inline __u64 caps_of(const kernel_cap_t *caps)
{
	__u64 v = 0;

	bpf_core_read(&v, sizeof(v), caps);
	return v;
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
	case JG_PERM_ELEVATE: return 4;
	case JG_PERM_BIND:    return 5;
	case JG_PERM_ADMIN:   return 6;
	default:              return -1;
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

/* May the current task use a standing rule bound to its program (dev, ino)? Only when the
 * exec of that very program was checked and found clean (bpf/taint.bpf.h: no injectable
 * loader variable, not traced), and nothing has traced the process or opened its memory
 * since. A process started before the rule was in the kernel has no such record: refused,
 * fail closed. */
static __always_inline bool taint_free(struct task_struct *task, __u32 dev, __u64 ino)
{
	struct task_struct *leader = task->group_leader;
	struct jg_taint *t;

	if (task->ptrace)
		return false;
	t = bpf_task_storage_get(&taint, task, 0, 0);
	if (!t || t->flags != JG_TAINT_SCANNED || t->dev != dev || t->ino != ino)
		return false;
	if (leader == task)
		return true;
	/* a tracer of another thread marked the whole process on its leader */
	t = bpf_task_storage_get(&taint, leader, 0, 0);
	return !t || !(t->flags & (JG_TAINT_ENV | JG_TAINT_TRACED));
}

/* Does a standing rule of generation `gen` (the one the object was found in: one decision,
 * one policy, even across a reload's flip) give `perm` on `res` to the subject running the
 * current executable? Asked only when no grant holds, so unprotected and granted accesses
 * never get here. A subprogram: require() is inlined at a dozen places and this need not
 * be. The executable is current->mm->exe_file's inode (a kernel thread has no mm: only
 * rules for any program apply to it). A rule bound to the program holds only for a clean
 * process (taint_free); when that alone refused, *tainted is set and counted. */
static __noinline bool standing_allows(__u32 gen, __u32 subject, __u32 res, __u32 perm,
				       __u8 *tainted)
{
	struct jg_standing_key key = { .gen = gen & 1, .subject = subject, .resource = res };
	struct task_struct *task;
	struct jg_config *c;
	struct mm_struct *mm;
	struct file *exe;
	__u32 zero = 0, *bits;
	bool refused = false;

	if (res == JG_CANARY_RESOURCE)
		return false;
	c = bpf_map_lookup_elem(&gate_config, &zero);
	if (!c || !c->nstanding[key.gen])
		return false;	/* no standing rules: one array lookup on a denial */
	task = bpf_get_current_task_btf();
	mm = task->mm;
	exe = mm ? mm->exe_file : NULL;
	if (exe) {
		key.dev = exe->f_inode->i_sb->s_dev;
		key.ino = exe->f_inode->i_ino;
		bits = bpf_map_lookup_elem(&standing, &key);
		if (bits && (*bits & perm)) {
			if (taint_free(task, key.dev, key.ino))
				return true;
			refused = true;
		}
	}
	key.dev = 0;
	key.ino = 0;
	bits = bpf_map_lookup_elem(&standing, &key);
	if (bits && (*bits & perm))
		return true;
	if (refused) {
		*tainted = 1;
		stat_inc(JG_STAT_TAINTED);
	}
	return false;
}

/* Outcome of checking every protected object a request touches. */
struct verdict {
	__u16 resource;		/* deciding resource */
	__u16 perm;
	__u8  type;		/* 0 = nothing protected, else enum jg_event_type */
	__u8  too_deep;
	__u8  standing;		/* an allow by a standing rule (grant_id 0) */
	__u8  disconnected;	/* denied: no way up to the filesystem's root */
	__u8  tainted;		/* a standing rule bound to the program was refused: the
				 * process is tainted (JG_EVF_TAINTED) */
	__u64 grant_id;
	__u64 prot_ino;
};

/* Fold one (resource, mode) requirement into the verdict. Returns true when denied. A
 * missing grant is looked up in the standing rules before it counts (in audit mode too:
 * a standing rule is no would-deny). */
static __always_inline bool require(struct verdict *v, __u32 gen, __u32 subject, __u16 res,
				    __u8 mode, __u32 perm, __u64 now, __u64 prot_ino)
{
	__u64 gid = grant_for(subject, res, perm, now);
	bool by_rule = !gid && standing_allows(gen, subject, res, perm, &v->tainted);
	__u8 type = gid || by_rule ? JG_EV_ALLOW :
		    mode == JG_MODE_AUDIT ? JG_EV_AUDIT : JG_EV_DENY;

	/* A deny outranks an audit, an audit outranks an allow; the first allow is kept. */
	if (type == JG_EV_DENY || (type == JG_EV_AUDIT && v->type != JG_EV_DENY) || !v->type) {
		v->type = type;
		v->resource = res;
		v->perm = perm;
		v->grant_id = gid;
		v->standing = by_rule;
		v->prot_ino = prot_ino;
	}
	return type == JG_EV_DENY;
}

/* Which kinds of protected object a check with these permissions involves: read and write
 * are about `files` trees, exec about `exec` programs. */
static __always_inline __u8 kinds_of(__u32 perms)
{
	return ((perms & (JG_PERM_READ | JG_PERM_WRITE)) ? 1u << JG_KIND_FILES : 0) |
	       ((perms & JG_PERM_EXEC) ? 1u << JG_KIND_EXEC : 0);
}

/* Direct loads below, not BPF_CORE_READ: BTF pointers of LSM programs are read with
 * fault-safe loads (CO-RE relocated), without a bpf_probe_read_kernel call per field. */

struct walk_hit {
	__u64 ino;
	__u16 resource;
	__u8  mode;
	__u8  kind;
};

struct walk_ctx {
	struct dentry *d;
	struct jg_filter *filter;
	struct jg_object_key key;
	__u8 kinds;		/* 1 << enum jg_kind of the objects that count */
	__u8 done;		/* reached a root */
	__u8 disconnected;	/* ... and it is not the filesystem's root */
	__u8 overflow;		/* more than JG_MAX_NESTED protected levels */
	__u8 nhits;
	struct walk_hit hits[JG_MAX_NESTED];
};

/* The object entry for (dev, ino) when it is about this very inode: an entry recorded with
 * another i_generation is about an inode that is gone, or (btrfs) one of another subvolume. */
static __always_inline struct jg_object *object_of(struct jg_object_key *key, __u32 igen)
{
	struct jg_object *obj = bpf_map_lookup_elem(&objects, key);

	if (obj && obj->igen && obj->igen != igen)
		return NULL;
	return obj;
}

/* Is `inode` (`raw`: no BTF pointer) on the walk a protected object that counts? Records it; false when
 * there are more than JG_MAX_NESTED (the walk stops, failing closed). */
static __always_inline bool walk_visit(struct walk_ctx *w, struct inode *inode, bool raw)
{
	__u64 ino = raw ? BPF_CORE_READ(inode, i_ino) : inode->i_ino;
	struct jg_object *obj;
	__u32 bit;
	__u8 n;

	w->key.ino = ino;
	bit = jg_ino_bit(ino);
	if (!(w->filter->ino[(bit >> 6) & (JG_FILTER_WORDS - 1)] & (1ULL << (bit & 63))))
		return true;	/* certainly not protected: no hash lookup */
	/* the generation only for an inode the hash knows: most levels never load it */
	obj = object_of(&w->key, raw ? BPF_CORE_READ(inode, i_generation) : inode->i_generation);
	if (!obj || obj->kind >= 8 || !(w->kinds & (1u << obj->kind)))
		return true;
	n = w->nhits;
	if (n >= JG_MAX_NESTED) {
		w->overflow = 1;
		return false;
	}
	w->hits[n].ino = ino;
	w->hits[n].resource = obj->resource;
	w->hits[n].mode = obj->mode;
	w->hits[n].kind = obj->kind;
	w->nhits = n + 1;
	return true;
}

/* One level of the ancestor walk (a bpf_loop callback: the verifier checks it once, the
 * kernel inlines the loop). A root that is not the filesystem's root is a disconnected
 * dentry (open_by_handle_at on a cold cache, an NFS export): its real ancestors are
 * unknown. */
static long walk_step(__u32 i, struct walk_ctx *w)
{
	struct dentry *d = w->d, *parent;

	if (!d) {
		w->done = 1;
		return 1;
	}
	if (!walk_visit(w, d->d_inode, false))
		return 1;
	parent = d->d_parent;
	if (parent == d) {
		w->done = 1;
		w->disconnected = d != d->d_sb->s_root;
		return 1;
	}
	w->d = parent;
	return 0;
}

/* The same walk from a dentry that is no BTF pointer (found through an inode's alias list):
 * every field by probe read. */
static long walk_step_raw(__u32 i, struct walk_ctx *w)
{
	struct dentry *d = w->d, *parent;

	if (!d) {
		w->done = 1;
		w->disconnected = 1;	/* no dentry at all: nothing proves where it is */
		return 1;
	}
	if (!walk_visit(w, BPF_CORE_READ(d, d_inode), true))
		return 1;
	parent = BPF_CORE_READ(d, d_parent);
	if (parent == d) {
		w->done = 1;
		w->disconnected = d != BPF_CORE_READ(d, d_sb, s_root);
		return 1;
	}
	w->d = parent;
	return 0;
}

/* Walk from the dentry up through its ancestors on the same filesystem; every protected
 * object the permissions involve (kinds_of) must be satisfied for each of its bits. `raw`:
 * d is no BTF pointer (walk_step_raw). */
static __always_inline void check_tree(struct verdict *v, struct dentry *d, bool raw, __u32 gen,
				       __u32 dev, __u32 perms, __u32 *subject_out,
				       __u32 *loginuid)
{
	struct walk_ctx w = { .d = d, .key = { .gen = gen, .dev = dev }, .kinds = kinds_of(perms) };
	__u32 subject;
	__u64 now;
	int i;

	w.filter = bpf_map_lookup_elem(&filters, &gen);
	if (!w.filter)
		return;
	if (raw)
		bpf_loop(JG_MAX_DEPTH, walk_step_raw, &w, 0);
	else
		bpf_loop(JG_MAX_DEPTH, walk_step, &w, 0);
	if (w.done && !w.disconnected && !w.overflow && !w.nhits)
		return;		/* the common case: nothing protected on the way */
	/* Only now the subject and the clock (an emulated clock read is not cheap). */
	subject = subject_of(bpf_get_current_task_btf(), loginuid);
	*subject_out = subject;
	now = bpf_ktime_get_boot_ns();
	if (!w.done || w.overflow || w.disconnected) {
		/* Deeper (or more nested) than we look, or cut off from the root: we cannot
		 * prove the path is outside every protected tree, so it is denied. */
		v->type = JG_EV_DENY;
		v->too_deep = !w.disconnected;
		v->disconnected = w.disconnected;
		v->resource = 0;
		v->perm = perms & JG_PERM_READ ? JG_PERM_READ :
			  perms & JG_PERM_WRITE ? JG_PERM_WRITE : perms;
		stat_inc(w.disconnected ? JG_STAT_DISCONNECTED : JG_STAT_TOO_DEEP);
		return;
	}
	for (i = 0; i < JG_MAX_NESTED; i++) {
		struct walk_hit *h = &w.hits[i];

		if (i >= w.nhits)
			break;
		if (h->kind == JG_KIND_EXEC) {
			if (require(v, gen, subject, h->resource, h->mode, JG_PERM_EXEC, now,
				    h->ino))
				return;
			continue;
		}
		if ((perms & JG_PERM_READ) &&
		    require(v, gen, subject, h->resource, h->mode, JG_PERM_READ, now, h->ino))
			return;
		if ((perms & JG_PERM_WRITE) &&
		    require(v, gen, subject, h->resource, h->mode, JG_PERM_WRITE, now, h->ino))
			return;
	}
}

/* with_exe: resolve the executable's path; bpf_d_path is allowed only in the hooks of the
 * kernel's sleepable list (file_open, the bprm_* hooks; the daemon falls back to /proc for
 * the others). */
static __always_inline void event_fill(struct jg_event *e, const struct verdict *v, __u32 hook,
				       __u32 subject, __u32 loginuid, int ret, bool with_exe)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u64 pid_tgid = bpf_get_current_pid_tgid();

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
	e->flags = (v->too_deep ? JG_EVF_TOO_DEEP : 0) | (v->standing ? JG_EVF_STANDING : 0) |
		   (v->disconnected ? JG_EVF_DISCONNECTED : 0) |
		   (v->tainted && v->type != JG_EV_ALLOW ? JG_EVF_TAINTED : 0);
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	e->path[0] = 0;
	e->exe[0] = 0;
	/* Resolved here, not from /proc later: a short-lived process is gone by then. */
	if (with_exe &&
	    bpf_d_path((struct path *)&task->mm->exe_file->f_path, e->exe, sizeof(e->exe)) > 0)
		e->flags |= JG_EVF_EXE_OK;
}

/* Does this denial fit its subject's budget? Each one counts in the subject's `denied`;
 * one over the budget counts in `suppressed` (and JG_STAT_SUPPRESSED) and is not streamed.
 * It is still denied: only its record is left out, and jitgated reports the count as
 * access.suppressed. A full map streams rather than loses a count (JG_STAT_RATE_FULL). */
static __always_inline bool deny_budget(__u32 subject)
{
	struct deny_rate_val *r, init = {};
	__u64 now, t, interval, tau;
	struct jg_config *c;
	__u32 zero = 0;
	bool ok;

	c = bpf_map_lookup_elem(&gate_config, &zero);
	if (!c || !c->deny_interval_ns)
		return true;
	interval = c->deny_interval_ns;
	tau = c->deny_tau_ns;
	r = bpf_map_lookup_elem(&deny_rate, &subject);
	if (!r) {
		bpf_map_update_elem(&deny_rate, &subject, &init, BPF_NOEXIST);
		r = bpf_map_lookup_elem(&deny_rate, &subject);
		if (!r) {
			stat_inc(JG_STAT_RATE_FULL);
			return true;
		}
	}
	now = bpf_ktime_get_boot_ns();
	bpf_spin_lock(&r->lock);
	r->denied++;
	t = r->tat_ns > now ? r->tat_ns : now;
	ok = t - now <= tau;
	if (ok)
		r->tat_ns = t + interval;
	else
		r->suppressed++;
	bpf_spin_unlock(&r->lock);
	if (!ok)
		stat_inc(JG_STAT_SUPPRESSED);
	return ok;
}

/* Records that go to the priority ring: elevation decisions, login uid tampering, rebinds
 * (and whatever an emitter marks JG_EVF_PRIO). Session trails reserve there directly. */
static __always_inline bool event_prio(const struct verdict *v, __u32 hook, __u32 flags)
{
	return hook == JG_HOOK_SETUID_EXEC || hook == JG_HOOK_SETUID || hook == JG_HOOK_SETGID ||
	       v->type == JG_EV_REBIND || v->type == JG_EV_TRAIL ||
	       (flags & (JG_EVF_PRIO | JG_EVF_LOGINUID));
}

/* Reserve and fill a record, or NULL: an allow while allows are not streamed, a denial
 * over its subject's budget, a full ring (counted per ring). `flags` (JG_EVF_*) only
 * choose the ring here; the caller sets them. */
static __always_inline struct jg_event *event_start_flags(const struct verdict *v, __u32 hook,
							  __u32 subject, __u32 loginuid,
							  int ret, bool with_exe, __u32 flags)
{
	bool prio = event_prio(v, hook, flags);
	struct jg_event *e;

	if (v->type == JG_EV_ALLOW && !ringbuf_events_allow)
		return NULL;
	if (v->type == JG_EV_DENY && !deny_budget(subject))
		return NULL;
	if (prio)
		e = bpf_ringbuf_reserve(&events_prio, sizeof(*e), 0);
	else
		e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		stat_inc(prio ? JG_STAT_PRIO_LOST : JG_STAT_EVENTS_LOST);
		return NULL;
	}
	event_fill(e, v, hook, subject, loginuid, ret, with_exe);
	if (prio)
		e->flags |= JG_EVF_PRIO;
	return e;
}

static __always_inline struct jg_event *event_start(const struct verdict *v, __u32 hook,
						    __u32 subject, __u32 loginuid, int ret,
						    bool with_exe)
{
	return event_start_flags(v, hook, subject, loginuid, ret, with_exe, 0);
}

static __always_inline void count(const struct verdict *v)
{
	stat_inc(v->type == JG_EV_DENY ? JG_STAT_DENY :
		 v->type == JG_EV_AUDIT ? JG_STAT_AUDIT : JG_STAT_ALLOW);
}

/* Hooks that have no struct path (bpf_d_path is not allowed or there is nothing to give it)
 * still name the object: the dentry names up to the protected object that decided, which
 * jitgated puts under that object's path from the policy. Built in a per-CPU scratch buffer
 * twice the path's size, so every masked offset plus one name read stays inside it. */
struct name_scratch {
	char buf[2 * JG_PATH_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct name_scratch);
} names_scratch SEC(".maps");

struct name_walk {
	struct dentry *cur;
	__u64 stop_ino;
	__u32 n;
	bool fsroot, met;
	struct dentry *d[JG_NAME_LEVELS];
	char *buf;
	__u32 off;
};

static long collect_name(__u32 i, struct name_walk *w)
{
	struct dentry *d = w->cur, *parent;
	struct inode *inode;

	if (!d)
		return 1;
	inode = d->d_inode;
	if (inode && inode->i_ino == w->stop_ino) {
		w->met = true;
		return 1;
	}
	parent = d->d_parent;
	if (parent == d || w->n >= JG_NAME_LEVELS) {
		w->fsroot = parent == d;
		return 1;
	}
	w->d[w->n & (JG_NAME_LEVELS - 1)] = d;
	w->n++;
	w->cur = parent;
	return 0;
}

static long put_name(__u32 i, struct name_walk *w)
{
	struct dentry *d;
	long r;

	if (i >= w->n || w->off >= JG_PATH_LEN - 1)
		return 1;
	d = w->d[(w->n - 1 - i) & (JG_NAME_LEVELS - 1)];
	w->buf[w->off & (JG_PATH_LEN - 1)] = '/';
	w->off++;
	r = bpf_probe_read_kernel_str(&w->buf[w->off & (JG_PATH_LEN - 1)], JG_PATH_LEN,
				      BPF_CORE_READ(d, d_name.name));
	if (r > 1)
		w->off += r - 1;
	return 0;
}

static __always_inline void name_path(struct jg_event *e, struct dentry *d, __u64 stop_ino)
{
	struct name_walk w = { .cur = d, .stop_ino = stop_ino };
	struct name_scratch *s;
	__u32 zero = 0;

	s = bpf_map_lookup_elem(&names_scratch, &zero);
	if (!s)
		return;
	bpf_loop(JG_NAME_LEVELS, collect_name, &w, 0);
	w.buf = s->buf;
	bpf_loop(JG_NAME_LEVELS, put_name, &w, 0);
	s->buf[w.off & (JG_PATH_LEN - 1)] = 0;
	if (w.off >= JG_PATH_LEN)
		s->buf[JG_PATH_LEN - 1] = 0;
	bpf_probe_read_kernel(e->path, sizeof(e->path), s->buf);
	e->flags |= JG_EVF_PATH_REL | (w.fsroot ? JG_EVF_PATH_FSROOT : 0) |
		    (!w.met && !w.fsroot ? JG_EVF_PATH_CUT : 0);
}

/* Stream the decision on an inode: the file's identity, its path when the hook may resolve
 * one (`path` NULL otherwise, a constant, so the call to bpf_d_path is compiled out), else
 * the names below the protected object from dentry `names` (NULL: none), extra JG_EVF_*
 * flags (JG_EVF_PRIO or JG_EVF_LOGINUID: on the priority ring). */
static __always_inline void emit_file_event(const struct verdict *v, __u32 hook, __u32 subject,
					    __u32 loginuid, int ret, bool with_exe, __u32 dev,
					    __u64 ino, const struct path *path, struct dentry *names,
					    __u32 flags)
{
	struct jg_event *e = event_start_flags(v, hook, subject, loginuid, ret, with_exe, flags);

	if (!e)
		return;
	e->flags |= flags;
	e->file.dev = dev;
	e->file.ino = ino;
	e->file.prot_ino = v->prot_ino;
	if (path && bpf_d_path((struct path *)path, e->path, sizeof(e->path)) > 0)
		e->flags |= JG_EVF_PATH_OK;
	else if (names)
		name_path(e, names, v->prot_ino);
	bpf_ringbuf_submit(e, 0);
}

/* The daemon's canary: enforced, never streamed. A walk that failed closed (too deep,
 * disconnected) has resource 0 too, and is streamed. */
static __always_inline bool is_canary(const struct verdict *v)
{
	return v->resource == JG_CANARY_RESOURCE && !v->too_deep && !v->disconnected;
}

/* Decide on a dentry of device `dev` (`raw`: no BTF pointer, see walk_step_raw); returns 0
 * when nothing protected is involved. */
static __always_inline int gate_dentry(struct verdict *v, struct dentry *dentry, bool raw,
				       __u32 dev, __u32 perms, __u32 *gen, __u32 *subject,
				       __u32 *loginuid)
{
	if (!dev_protected(dev, gen))
		return 0;
	check_tree(v, dentry, raw, *gen, dev, perms, subject, loginuid);
	if (!v->type)
		return 0;
	count(v);
	return v->type == JG_EV_DENY ? -EACCES : 0;
}

/* A stacking filesystem (overlayfs) opens the file of the layer below with the overlay's
 * path: f_inode is the real inode, f_path.dentry the overlay's, whose ancestors are the
 * overlay's, not the protected tree's. Such a file is decided on its real inode, walked up
 * from that inode's own dentry (the first alias: a file with another link into a protected
 * tree is protected by its own identity, see user/compile.c). No alias is no proof:
 * walk_step_raw denies it. */
static __always_inline bool file_stacked(struct file *file)
{
	return file->f_path.dentry->d_inode != file->f_inode;
}

static __always_inline struct dentry *inode_alias(struct inode *inode)
{
	struct hlist_node *first = BPF_CORE_READ(inode, i_dentry.first);

	if (!first)
		return NULL;
	return (struct dentry *)((void *)first - bpf_core_field_offset(struct dentry, d_u));
}

/* Decide on an open file for `perms`. Reached through a stacked path it needs exec as well
 * on exec-protected programs: the overlay's own file, which exec and mmap see, is on
 * another device, so its open is the one place that can stop them. *flags gets
 * JG_EVF_STACKED then. */
static __always_inline int gate_open_file(struct verdict *v, struct file *file, __u32 perms,
					  __u32 *gen, __u32 *subject, __u32 *loginuid,
					  __u32 *flags)
{
	__u32 dev = file->f_inode->i_sb->s_dev;

	if (!file_stacked(file))
		return gate_dentry(v, file->f_path.dentry, false, dev, perms, gen, subject,
				   loginuid);
	*flags |= JG_EVF_STACKED;
	return gate_dentry(v, inode_alias(file->f_inode), true, dev, perms | JG_PERM_EXEC, gen,
			   subject, loginuid);
}

/* Whether file_permission and file_free_security are attached (user/gate.c arms them). */
static __always_inline bool recheck_armed(void)
{
	__u32 zero = 0;
	struct jg_config *cfg = bpf_map_lookup_elem(&gate_config, &zero);

	return cfg && cfg->recheck_armed;
}

/* Shared by file_open and bprm_check_security: both decide on a struct file. The verdict is
 * left in *v (v->type 0: nothing protected was involved). */
static __always_inline int gate_file_v(struct verdict *v, struct file *file, __u32 perms,
				       __u32 hook)
{
	__u32 dev = file->f_inode->i_sb->s_dev;
	__u32 gen, subject, loginuid, flags = 0;
	int ret;

	ret = gate_open_file(v, file, perms, &gen, &subject, &loginuid, &flags);
	if (!v->type || is_canary(v))
		return ret;	/* the canary is the daemon's self-test: enforced, never streamed */
	if (v->type == JG_EV_ALLOW && hook == JG_HOOK_FILE_OPEN && !recheck_armed()) {
		/* a descriptor no revoke could reach: userspace arms the re-check before it
		 * writes a read or write grant or standing rule, so only a foreign map writer
		 * (or a bug, failing closed) gets here */
		stat_inc(JG_STAT_UNARMED);
		v->type = JG_EV_DENY;
		ret = -EACCES;
	}
	if (ret && hook == JG_HOOK_FILE_OPEN &&
	    bpf_task_storage_get(&exempt_tasks, bpf_get_current_task_btf(), 0, 0))
		return 0;	/* jitgated reading a protected directory to compile the policy */
	emit_file_event(v, hook, subject, loginuid, ret, true, dev, file->f_inode->i_ino,
			&file->f_path, NULL, flags);
	return ret;
}

static __always_inline int gate_file(struct file *file, __u32 perms, __u32 hook)
{
	struct verdict v = {};

	return gate_file_v(&v, file, perms, hook);
}

#endif
