/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
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

struct watch_walk {
	struct dentry *d;
	struct jg_object_key key;
	__u16 resource;		/* the session's elevate resource */
	__u64 found;		/* inode of the innermost watched tree above, 0: none */
};

static __always_inline bool watch_for(const struct jg_watch *w, __u16 res)
{
	int i;

	for (i = 0; i < JG_MAX_ELEVATE; i++)
		if (w->resource[i] == res)
			return true;
	return false;
}

/* One level of the walk up from a name: is this directory (or the file itself) watched for
 * the session's resource? A negative dentry (a name about to be made) has no inode. */
static long watch_step(__u32 i, struct watch_walk *w)
{
	struct dentry *d = w->d, *parent;
	struct inode *inode;
	struct jg_watch *v;

	if (!d)
		return 1;
	inode = d->d_inode;
	if (inode) {
		w->key.ino = inode->i_ino;
		v = bpf_map_lookup_elem(&watched, &w->key);
		if (v && (!v->igen || v->igen == inode->i_generation) &&
		    watch_for(v, w->resource)) {
			w->found = w->key.ino;
			return 1;
		}
	}
	parent = d->d_parent;
	if (parent == d)
		return 1;
	w->d = parent;
	return 0;
}

/* The innermost tree watched for `res` above (or at) the name d, 0 when none: bounded like
 * the gate's own walk (JG_MAX_DEPTH); deeper is outside the trail. */
static __always_inline __u64 watched_above(struct dentry *d, __u16 res)
{
	struct watch_walk w = { .d = d, .resource = res };

	if (!d)
		return 0;
	w.key.gen = live_gen() & 1;
	w.key.dev = d->d_sb->s_dev;
	bpf_loop(JG_MAX_DEPTH, watch_step, &w, 0);
	return w.found;
}

/* The names from below the tree `stop_ino` (0: the filesystem's root) down to d, into
 * dst; returns the JG_EVF_PATH_* flags that say what they are. */
static __always_inline __u32 trail_names(char *dst, struct dentry *d, __u64 stop_ino)
{
	struct name_walk w = { .cur = d, .stop_ino = stop_ino };
	struct name_scratch *s;
	__u32 zero = 0;

	s = bpf_map_lookup_elem(&names_scratch, &zero);
	if (!s)
		return 0;
	bpf_loop(JG_NAME_LEVELS, collect_name, &w, 0);
	w.buf = s->buf;
	bpf_loop(JG_NAME_LEVELS, put_name, &w, 0);
	s->buf[w.off & (JG_PATH_LEN - 1)] = 0;
	if (w.off >= JG_PATH_LEN)
		s->buf[JG_PATH_LEN - 1] = 0;
	bpf_probe_read_kernel(dst, JG_PATH_LEN, s->buf);
	return JG_EVF_PATH_REL | (w.fsroot ? JG_EVF_PATH_FSROOT : 0) |
	       (!w.met && !w.fsroot ? JG_EVF_PATH_CUT : 0);
}

/* What one record is about; the hooks fill it on their stack and trail_emit (a subprogram
 * with a frame of its own, so no hook's stack grows by its walks) reads it. */
struct trail_req {
	struct jg_session *s;
	struct dentry *d;		/* the file, or the name being made */
	struct dentry *to;		/* rename, link: the second name; else NULL */
	const struct path *path;	/* the file's path where the hook has one, else NULL */
	const char *target;		/* symlink: the link's text (kernel memory), else NULL */
	__u64 size;
	__u32 hook, op;
	__u32 mode, uid, gid;
	bool with_exe;			/* bpf_d_path is allowed in this hook */
};

/* Stream one session.file record, or nothing when neither name is under a tree watched for
 * the session's resource. A full priority ring counts JG_STAT_PRIO_LOST. */
static __noinline void trail_emit(const struct trail_req *q)
{
	struct verdict v = { .type = JG_EV_SESSION_FILE, .perm = JG_PERM_ELEVATE };
	struct jg_session *s = q->s;
	struct dentry *d = q->d;
	struct jg_file_trail *t;
	struct inode *inode;
	__u32 loginuid, flags = JG_EVF_PRIO;
	__u64 at, to_at = 0;

	if (!s || !d)
		return;
	at = watched_above(d, s->resource);
	if (q->to)
		to_at = watched_above(q->to, s->resource);
	if (!at && !to_at)
		return;
	t = bpf_ringbuf_reserve(&events_prio, sizeof(*t), 0);
	if (!t) {
		stat_inc(JG_STAT_PRIO_LOST);
		return;
	}
	v.resource = s->resource;
	v.grant_id = s->grant_id;
	v.prot_ino = at;
	subject_of(bpf_get_current_task_btf(), &loginuid);
	event_fill(&t->ev, &v, q->hook, s->subject, loginuid, 0, q->with_exe);
	inode = d->d_inode;
	t->ev.file.dev = d->d_sb->s_dev;
	t->ev.file.ino = inode ? inode->i_ino : 0;
	t->ev.file.pad = 0;
	t->ev.file.prot_ino = at;
	if (q->path && bpf_d_path((struct path *)q->path, t->ev.path, sizeof(t->ev.path)) > 0)
		flags |= JG_EVF_PATH_OK;
	else
		flags |= trail_names(t->ev.path, d, at);
	t->ev.flags |= flags;
	t->op = q->op;
	t->mode = q->mode;
	t->uid = q->uid;
	t->gid = q->gid;
	t->size = q->size;
	t->to_watch_ino = to_at;
	t->to_flags = 0;
	t->pad = 0;
	t->to[0] = 0;
	if (q->to)
		t->to_flags = trail_names(t->to, q->to, to_at);
	else if (q->target && bpf_probe_read_kernel_str(t->to, sizeof(t->to), q->target) > 0)
		t->to_flags = JG_EVF_PATH_OK;
	bpf_ringbuf_submit(t, 0);
}

/* ---- the calls the file hooks make: each returns the hook's verdict `ret` unchanged and
 * records only what was allowed (a refused operation is the gate's access.deny). One
 * task-storage lookup for a task outside every session. */

/* An open for writing (file_open). An open that created the file is on record already as
 * its create. */
static __always_inline int trail_open(int ret, struct file *file)
{
	struct trail_req q = { .hook = JG_HOOK_FILE_OPEN, .op = JG_TOP_WRITE,
			       .uid = (__u32)-1, .gid = (__u32)-1, .with_exe = true };

	if (ret || !(file->f_mode & JG_FMODE_WRITE) || (file->f_mode & JG_FMODE_CREATED))
		return ret;
	q.s = session_of(bpf_get_current_task_btf());
	if (!q.s)
		return ret;
	q.d = file->f_path.dentry;
	q.path = &file->f_path;
	trail_emit(&q);
	return ret;
}

/* unlink, rmdir, rename (d, its new name to), link (the existing file d, its new name to). */
static __always_inline int trail_name(int ret, __u32 hook, __u32 op, struct dentry *d,
				      struct dentry *to, bool with_exe)
{
	struct trail_req q = { .hook = hook, .op = op, .uid = (__u32)-1, .gid = (__u32)-1,
			       .with_exe = with_exe };

	if (ret)
		return ret;
	q.s = session_of(bpf_get_current_task_btf());
	if (!q.s)
		return ret;
	q.d = d;
	q.to = to;
	trail_emit(&q);
	return ret;
}

/* create, mkdir, mknod, symlink: the new (still negative) dentry and the mode asked for;
 * a symlink's text is `target`. */
static __always_inline int trail_create(int ret, __u32 op, struct dentry *d, __u32 mode,
					const char *target, bool with_exe)
{
	struct trail_req q = { .hook = JG_HOOK_CREATE, .op = op, .mode = mode,
			       .uid = (__u32)-1, .gid = (__u32)-1, .with_exe = with_exe };

	if (ret)
		return ret;
	q.s = session_of(bpf_get_current_task_btf());
	if (!q.s)
		return ret;
	q.d = d;
	q.target = target;
	trail_emit(&q);
	return ret;
}

/* chmod, chown, truncate (notify_change). A change of times alone (touch) is no change of
 * content or rights; the truncation of an open(O_TRUNC) is on record as its write. */
static __always_inline int trail_setattr(int ret, struct dentry *d, struct iattr *attr)
{
	struct trail_req q = { .hook = JG_HOOK_SETATTR, .uid = (__u32)-1, .gid = (__u32)-1,
			       .with_exe = true };
	unsigned int valid;

	if (ret)
		return ret;
	valid = attr->ia_valid;
	if ((valid & JG_ATTR_OPEN) ||
	    !(valid & (JG_ATTR_MODE | JG_ATTR_UID | JG_ATTR_GID | JG_ATTR_SIZE)))
		return ret;
	q.s = session_of(bpf_get_current_task_btf());
	if (!q.s)
		return ret;
	q.d = d;
	if (valid & JG_ATTR_MODE) {
		q.op = JG_TOP_CHMOD;
		q.mode = attr->ia_mode;
	} else if (valid & (JG_ATTR_UID | JG_ATTR_GID)) {
		q.op = JG_TOP_CHOWN;
	} else {
		q.op = JG_TOP_TRUNCATE;
	}
	/* a chown may come with a chmod (the setuid bits it clears): both are told */
	if (valid & JG_ATTR_UID)
		q.uid = BPF_CORE_READ(attr, ia_uid.val);
	if (valid & JG_ATTR_GID)
		q.gid = BPF_CORE_READ(attr, ia_gid.val);
	if (valid & JG_ATTR_SIZE)
		q.size = attr->ia_size;
	trail_emit(&q);
	return ret;
}

#endif
