/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The file trail of elevated sessions: a file created, opened for writing, renamed, linked,
 * unlinked, chmod'ed, chown'ed or truncated by a task of an elevated session (session_of)
 * under one of the policy's watched trees (the watched map: directories by identity, for the
 * elevate resources that watch them) is streamed as a session.file record on the priority
 * ring, with the session's grant and human. Observation only: nothing here denies. A task
 * outside every session pays one task-storage lookup; only session tasks walk d_parent. */
#ifndef JG_TRAIL_BPF_H
#define JG_TRAIL_BPF_H

#include "session.bpf.h"

/* iattr.ia_valid bits the trail looks at */
#define JG_ATTR_MODE 0x1
#define JG_ATTR_UID  0x2
#define JG_ATTR_GID  0x4
#define JG_ATTR_SIZE 0x8
#define JG_ATTR_OPEN 0x8000	/* the truncation of open(O_TRUNC): the write is on record */
#define JG_FMODE_WRITE   0x2
#define JG_FMODE_CREATED 0x100000	/* the open made the file */

/* Watched trees, (gen, dev, ino) -> struct jg_watch (user/compile.c). Pinned: it is policy. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, JG_MAX_WATCH);
	__type(key, struct jg_object_key);
	__type(value, struct jg_watch);
} watched SEC(".maps");

/* Everything a session.file record is built from and in: per-CPU, not on the stack. The
 * hooks that call the trail already use most of their 512 bytes (and bpf_loop callbacks
 * count as a call level), so the trail keeps a few bytes of stack and its state here. Kernel
 * pointers are kept as numbers and read through probe reads. */
struct trail_work {
	struct jg_file_trail t;			/* the record */
	char names[2 * JG_PATH_LEN];		/* names put together (room for a masked
						 * offset plus one name) */
	char opened[JG_PATH_LEN];		/* file_open: the path bpf_d_path gave */
	struct jg_object_key key;		/* the watched map's key during a walk */
	__u64 d, to, target;			/* dentries of the names, a symlink's text */
	__u64 cur, start, stop_ino, found;	/* walk state */
	__u32 n, off;
	__u16 resource;				/* the session's elevate resource */
	__u8 fsroot, met, opened_ok;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct trail_work);
} trail_work SEC(".maps");

/* What the bpf_loop callbacks get (a stack pointer is all they may get here). */
struct trail_ctx {
	struct trail_work *w;
};

static __always_inline bool watch_for(const struct jg_watch *v, __u16 res)
{
	int i;

	for (i = 0; i < JG_MAX_ELEVATE; i++)
		if (v->resource[i] == res)
			return true;
	return false;
}

/* One level of the walk up from a name: is this directory (or the file itself) watched for
 * the session's resource? A negative dentry (a name about to be made) has no inode. */
static long watch_step(__u32 i, struct trail_ctx *c)
{
	struct trail_work *w = c->w;
	struct dentry *d = (struct dentry *)w->cur, *parent;
	struct jg_watch *v;
	struct inode *inode;

	if (!d)
		return 1;
	inode = BPF_CORE_READ(d, d_inode);
	if (inode) {
		w->key.ino = BPF_CORE_READ(inode, i_ino);
		v = bpf_map_lookup_elem(&watched, &w->key);
		if (v && (!v->igen || v->igen == BPF_CORE_READ(inode, i_generation)) &&
		    watch_for(v, w->resource)) {
			w->found = w->key.ino;
			return 1;
		}
	}
	parent = BPF_CORE_READ(d, d_parent);
	if (parent == d)
		return 1;
	w->cur = (__u64)parent;
	return 0;
}

/* The innermost tree watched for the session's resource above (or at) the name d, 0 when
 * none: bounded like the gate's own walk (JG_MAX_DEPTH); deeper is outside the trail. */
static __always_inline __u64 watched_above(struct trail_work *w, __u64 d)
{
	struct trail_ctx c = { .w = w };
	struct dentry *dent = (struct dentry *)d;

	if (!d)
		return 0;
	w->key.gen = live_gen() & 1;
	w->key.dev = BPF_CORE_READ(dent, d_sb, s_dev);
	w->cur = d;
	w->found = 0;
	bpf_loop(JG_MAX_DEPTH, watch_step, &c, 0);
	return w->found;
}

/* Naming a file from below its watched tree without an array of dentries: count the levels
 * first, then for each name from the outermost in, go up to it again from the file. At most
 * JG_NAME_LEVELS names, so at most 136 steps up. */
static long trail_count(__u32 i, struct trail_ctx *c)
{
	struct trail_work *w = c->w;
	struct dentry *d = (struct dentry *)w->cur, *parent;
	struct inode *inode;

	if (!d)
		return 1;
	inode = BPF_CORE_READ(d, d_inode);
	if (inode && BPF_CORE_READ(inode, i_ino) == w->stop_ino) {
		w->met = 1;
		return 1;
	}
	parent = BPF_CORE_READ(d, d_parent);
	if (parent == d || w->n >= JG_NAME_LEVELS) {
		w->fsroot = parent == d;
		return 1;
	}
	w->n++;
	w->cur = (__u64)parent;
	return 0;
}

static long trail_put(__u32 i, struct trail_ctx *c)
{
	struct trail_work *w = c->w;
	struct dentry *d = (struct dentry *)w->start;
	__u32 up, k;
	long r;

	if (i >= w->n || w->off >= JG_PATH_LEN - 1)
		return 1;
	up = w->n - 1 - i;
	for (k = 0; k < JG_NAME_LEVELS; k++) {
		if (k >= up)
			break;
		d = BPF_CORE_READ(d, d_parent);
	}
	w->names[w->off & (JG_PATH_LEN - 1)] = '/';
	w->off++;
	r = bpf_probe_read_kernel_str(&w->names[w->off & (JG_PATH_LEN - 1)], JG_PATH_LEN,
				      BPF_CORE_READ(d, d_name.name));
	if (r > 1)
		w->off += r - 1;
	return 0;
}

/* The names from below the tree stop_ino (0: the filesystem's root) down to d, into
 * w->names; returns the JG_EVF_PATH_* flags that say what they are. */
static __always_inline __u32 trail_names(struct trail_work *w, __u64 d, __u64 stop_ino)
{
	struct trail_ctx c = { .w = w };

	w->start = d;
	w->cur = d;
	w->stop_ino = stop_ino;
	w->n = 0;
	w->off = 0;
	w->fsroot = 0;
	w->met = 0;
	bpf_loop(JG_NAME_LEVELS, trail_count, &c, 0);
	bpf_loop(JG_NAME_LEVELS, trail_put, &c, 0);
	w->names[w->off & (JG_PATH_LEN - 1)] = 0;
	if (w->off >= JG_PATH_LEN)
		w->names[JG_PATH_LEN - 1] = 0;
	return JG_EVF_PATH_REL | (w->fsroot ? JG_EVF_PATH_FSROOT : 0) |
	       (!w->met && !w->fsroot ? JG_EVF_PATH_CUT : 0);
}

/* Stream the session.file record the caller set up in trail_work (trail_begin), or nothing
 * when neither name is under a tree watched for the session's resource. with_exe: the hook
 * may resolve the process's executable (bpf_d_path); a constant at every call. A full
 * priority ring counts JG_STAT_PRIO_LOST. */
static __noinline void trail_emit(struct jg_session *s, __u32 hook, bool with_exe)
{
	struct verdict v = { .type = JG_EV_SESSION_FILE, .perm = JG_PERM_ELEVATE };
	struct jg_file_trail *t;
	struct trail_work *w;
	struct inode *inode;
	struct dentry *d;
	__u32 zero = 0, loginuid, flags = JG_EVF_PRIO;
	__u64 at, to_at;

	w = bpf_map_lookup_elem(&trail_work, &zero);
	if (!w || !w->d)
		return;
	w->resource = s->resource;
	at = watched_above(w, w->d);
	to_at = watched_above(w, w->to);
	if (!at && !to_at)
		return;
	t = &w->t;
	v.resource = s->resource;
	v.grant_id = s->grant_id;
	v.prot_ino = at;
	subject_of(bpf_get_current_task_btf(), &loginuid);
	event_fill(&t->ev, &v, hook, s->subject, loginuid, 0, with_exe);
	d = (struct dentry *)w->d;
	inode = BPF_CORE_READ(d, d_inode);
	t->ev.file.dev = BPF_CORE_READ(d, d_sb, s_dev);
	t->ev.file.ino = inode ? BPF_CORE_READ(inode, i_ino) : 0;
	t->ev.file.pad = 0;
	t->ev.file.prot_ino = at;
	if (w->opened_ok) {
		bpf_probe_read_kernel(t->ev.path, sizeof(t->ev.path), w->opened);
		flags |= JG_EVF_PATH_OK;
	} else {
		flags |= trail_names(w, w->d, at);
		bpf_probe_read_kernel(t->ev.path, sizeof(t->ev.path), w->names);
	}
	t->ev.flags |= flags;
	t->to_watch_ino = to_at;
	t->to_flags = 0;
	t->pad = 0;
	t->to[0] = 0;
	if (w->to) {
		t->to_flags = trail_names(w, w->to, to_at);
		bpf_probe_read_kernel(t->to, sizeof(t->to), w->names);
	} else if (w->target && bpf_probe_read_kernel_str(t->to, sizeof(t->to),
							  (const char *)w->target) > 0) {
		t->to_flags = JG_EVF_PATH_OK;
	}
	if (bpf_ringbuf_output(&events_prio, t, sizeof(*t), 0))
		stat_inc(JG_STAT_PRIO_LOST);
}

/* ---- the calls the file hooks make: each returns the hook's verdict `ret` unchanged and
 * records only what was allowed (a refused operation is the gate's access.deny). A task
 * outside every session costs one task-storage lookup. */

/* The session of the current task and a trail_work set up for operation `op` on the name
 * d (and `to`), or NULL: no session (almost every task). */
static __always_inline struct trail_work *trail_begin(struct jg_session **s, __u32 op,
						      struct dentry *d, struct dentry *to)
{
	struct trail_work *w;
	__u32 zero = 0;

	*s = session_of(bpf_get_current_task_btf());
	if (!*s)
		return NULL;
	w = bpf_map_lookup_elem(&trail_work, &zero);
	if (!w)
		return NULL;
	w->d = (__u64)d;
	w->to = (__u64)to;
	w->target = 0;
	w->opened_ok = 0;
	w->t.op = op;
	w->t.mode = 0;
	w->t.uid = (__u32)-1;
	w->t.gid = (__u32)-1;
	w->t.size = 0;
	return w;
}

/* An open for writing (file_open). An open that created the file is on record already as
 * its create. */
static __always_inline int trail_open(int ret, struct file *file)
{
	struct trail_work *w;
	struct jg_session *s;

	if (ret || !(file->f_mode & JG_FMODE_WRITE) || (file->f_mode & JG_FMODE_CREATED))
		return ret;
	w = trail_begin(&s, JG_TOP_WRITE, file->f_path.dentry, NULL);
	if (!w)
		return ret;
	w->opened_ok = bpf_d_path((struct path *)&file->f_path, w->opened,
				  sizeof(w->opened)) > 0;
	trail_emit(s, JG_HOOK_FILE_OPEN, true);
	return ret;
}

/* unlink, rmdir, rename (d, its new name to), link (the existing file d, its new name to). */
static __always_inline int trail_name(int ret, __u32 hook, __u32 op, struct dentry *d,
				      struct dentry *to, bool with_exe)
{
	struct jg_session *s;

	if (ret || !trail_begin(&s, op, d, to))
		return ret;
	trail_emit(s, hook, with_exe);
	return ret;
}

/* create, mkdir, mknod, symlink: the new (still negative) dentry and the mode asked for;
 * a symlink's text is `target`. */
static __always_inline int trail_create(int ret, __u32 op, struct dentry *d, __u32 mode,
					const char *target, bool with_exe)
{
	struct trail_work *w;
	struct jg_session *s;

	if (ret)
		return ret;
	w = trail_begin(&s, op, d, NULL);
	if (!w)
		return ret;
	w->t.mode = mode;
	w->target = (__u64)target;
	trail_emit(s, JG_HOOK_CREATE, with_exe);
	return ret;
}

/* chmod, chown, truncate (notify_change). A change of times alone (touch) is no change of
 * content or rights; the truncation of an open(O_TRUNC) is on record as its write. */
static __always_inline int trail_setattr(int ret, struct dentry *d, struct iattr *attr)
{
	struct trail_work *w;
	struct jg_session *s;
	unsigned int valid;

	if (ret)
		return ret;
	valid = attr->ia_valid;
	if ((valid & JG_ATTR_OPEN) ||
	    !(valid & (JG_ATTR_MODE | JG_ATTR_UID | JG_ATTR_GID | JG_ATTR_SIZE)))
		return ret;
	w = trail_begin(&s, (valid & JG_ATTR_MODE) ? JG_TOP_CHMOD :
			    (valid & (JG_ATTR_UID | JG_ATTR_GID)) ? JG_TOP_CHOWN : JG_TOP_TRUNCATE,
			d, NULL);
	if (!w)
		return ret;
	/* a chown may come with a chmod (the setuid bits it clears): both are told */
	if (valid & JG_ATTR_MODE)
		w->t.mode = attr->ia_mode;
	if (valid & JG_ATTR_UID)
		w->t.uid = BPF_CORE_READ(attr, ia_uid.val);
	if (valid & JG_ATTR_GID)
		w->t.gid = BPF_CORE_READ(attr, ia_gid.val);
	if (valid & JG_ATTR_SIZE)
		w->t.size = attr->ia_size;
	trail_emit(s, JG_HOOK_SETATTR, true);
	return ret;
}

#endif
