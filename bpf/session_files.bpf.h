/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* An elevated session's descriptors stay in the session. Reads and writes on an open
 * descriptor are not checked operations, so a file root opened read-write, or a raw socket,
 * sent to the person's plain process (SCM_RIGHTS, pidfd_getfd) would keep root's access
 * after the session ends. Every file an elevated task allocates (open, socket, pipe, memfd,
 * io_uring ring, accept ...) is marked with its session here, keyed by the struct file, and
 * the kernel refuses to install a marked file in a task outside every live session, unless
 * that task is the host's privileged automation or holds gate-admin. The files a session
 * inherited from before it began are the person's own and are not marked (but no io_uring
 * ring, inotify, fanotify or epoll descriptor from outside comes in: below).
 *
 * Cost: file_alloc_security and file_free_security run for every file on the host. The
 * first is attached only while a session can exist (user/gate/gate.c, session_armed); the
 * second, like file_receive, stays attached, as a mark left behind by a detached free hook
 * could later name a new file at the same address, and with no file marked it is one
 * array read. */
#ifndef JG_SESSION_FILES_BPF_H
#define JG_SESSION_FILES_BPF_H

#include "seal.bpf.h"

struct jg_session_file {
	__u64 grant_id;		/* the elevate grant of the session that allocated it */
	__u32 subject;		/* the session's human */
	__u16 resource;		/* the session's elevate resource */
	__u16 flags;		/* JG_SFILE_* */
};

/* Not a file of the session: a file from outside whose signal owner a session set
 * (bpf/session_lend.bpf.h). It may leave the session; its SIGIO may not outlive it. */
#define JG_SFILE_FOWNER 1
#define JG_SFILE_SAID   2	/* its refused SIGIO was reported once */

/* struct file address -> its session. Not pinned: only these programs use it. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, JG_MAX_SESSION_FILES);
	__type(key, __u64);
	__type(value, struct jg_session_file);
} session_files SEC(".maps");

/* How many files are marked, so that the free hook skips the hash when none is. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __s64);
} session_files_count SEC(".maps");

/* The session mark of a file the session allocated, or NULL. */
static __always_inline struct jg_session_file *session_file(struct file *file)
{
	__u64 key = (__u64)file;
	__u32 zero = 0;
	__s64 *n = bpf_map_lookup_elem(&session_files_count, &zero);
	struct jg_session_file *m;

	if (!n || *n <= 0)
		return NULL;
	m = bpf_map_lookup_elem(&session_files, &key);
	return m && !(m->flags & JG_SFILE_FOWNER) ? m : NULL;
}

/* A file allocated by a task in a session is marked. No room: the allocation is refused
 * (-ENFILE, counted), as an unmarked file of the session could leave it. */
SEC("lsm/file_alloc_security")
int BPF_PROG(jg_sess_falloc, struct file *file, int ret)
{
	struct jg_session_file mark = {};
	struct jg_session *s;
	__u64 key = (__u64)file;
	__u32 zero = 0;
	__s64 *n;

	if (ret)
		return ret;
	s = session_of(bpf_get_current_task_btf());
	if (!s)
		return 0;
	mark.grant_id = s->grant_id;
	mark.subject = s->subject;
	mark.resource = s->resource;
	n = bpf_map_lookup_elem(&session_files_count, &zero);
	if (!n || bpf_map_update_elem(&session_files, &key, &mark, BPF_NOEXIST)) {
		stat_inc(JG_STAT_SESSION_FILES_FULL);
		return -ENFILE;
	}
	__sync_fetch_and_add(n, 1);
	return 0;
}

/* A file's last reference: its mark goes (only the address is used; the inode may be gone). */
SEC("lsm/file_free_security")
int BPF_PROG(jg_sess_ffree, struct file *file)
{
	__u64 key = (__u64)file;
	__u32 zero = 0;
	__s64 *n = bpf_map_lookup_elem(&session_files_count, &zero);

	if (!n || *n <= 0)
		return 0;
	if (!bpf_map_delete_elem(&session_files, &key))
		__sync_fetch_and_add(n, -1);
	return 0;
}

/* ------------------------------------------------------------------ descriptors from outside
 * A ring's registered files are used through the ring with no descriptor passed: a ring
 * from outside a session (the person's plain process keeps the other end) would carry the
 * session's files out of it. An inotify or fanotify group keeps the watches and marks the
 * session adds (on directories she cannot search), an epoll set the wakeup source it sets
 * (CAP_BLOCK_SUSPEND is checked at epoll_ctl only); both report to her after the revoke.
 * So a session takes in none of them: none may come in over SCM_RIGHTS or pidfd_getfd, and
 * an elevation is refused while the task holds one (at an exec, one not closed on exec).
 * Those the session makes itself are marked and stay in. They are known by the anonymous
 * inode's name. */

#define JG_ANON_INODE_MAGIC 0x09041934	/* anon_inodefs: a file named "inotify" is not one */
#define ANON8(lit, i) (((const __u64 *)(lit "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"))[i])
#define ANON_IS(n, lit) ((n)[0] == ANON8(lit, 0) && (n)[1] == ANON8(lit, 1))

/* The JG_HOST_SHARED_* a descriptor of this kind is refused with, or 0. */
static __noinline __u32 outside_kind(struct file *f)
{
	const unsigned char *name = NULL;
	struct dentry *d = NULL;
	__u64 n[2] = {};

	if (!f)
		return 0;
	bpf_probe_read_kernel(&d, sizeof(d), &f->f_path.dentry);
	if (!d || BPF_CORE_READ(d, d_sb, s_magic) != JG_ANON_INODE_MAGIC)
		return 0;
	bpf_probe_read_kernel(&name, sizeof(name), &d->d_name.name);
	if (!name || bpf_probe_read_kernel_str(n, sizeof(n), name) <= 0)
		return 0;
	if (ANON_IS(n, "[io_uring]"))
		return JG_HOST_SHARED_RING;
	if (ANON_IS(n, "inotify"))
		return JG_HOST_SHARED_INOTIFY;
	if (ANON_IS(n, "[fanotify]"))
		return JG_HOST_SHARED_FANOTIFY;
	if (ANON_IS(n, "[eventpoll]"))
		return JG_HOST_SHARED_EPOLL;
	return 0;
}

struct ring_scan {
	struct file **fd;
	unsigned long *open;
	unsigned long *cloexec;
	unsigned long bits;	/* the open (and kept) descriptors of the current word */
	__u32 words;
	__u32 found;		/* the descriptor + 1 */
	__u32 kind;		/* its JG_HOST_SHARED_* */
};

/* One descriptor (a bpf_loop callback: verified once, however many descriptors). */
static long ring_fd(__u32 i, struct ring_scan *c)
{
	unsigned long open = 0, cx = 0;
	struct file *f = NULL;
	__u32 w = i / 64, b = i % 64;

	if (w >= c->words)
		return 1;
	if (!b) {
		bpf_probe_read_kernel(&open, sizeof(open), &c->open[w]);
		if (c->cloexec)
			bpf_probe_read_kernel(&cx, sizeof(cx), &c->cloexec[w]);
		c->bits = open & ~cx;
	}
	if (!(c->bits & (1UL << b)))
		return 0;
	bpf_probe_read_kernel(&f, sizeof(f), &c->fd[i]);
	c->kind = outside_kind(f);
	if (!c->kind)
		return 0;
	c->found = i + 1;
	return 1;
}

#define JG_MAX_FD_WORDS (1 << 14)	/* 1M descriptors: fs.nr_open's default ceiling */

static __noinline int session_ring_check(struct task_struct *task, bool exec)
{
	struct ring_scan c = {};
	struct fdtable *fdt;
	struct seal_who w;

	fdt = BPF_CORE_READ(task, files, fdt);
	if (!fdt)
		return 0;
	c.fd = BPF_CORE_READ(fdt, fd);
	c.open = BPF_CORE_READ(fdt, open_fds);
	c.cloexec = exec ? BPF_CORE_READ(fdt, close_on_exec) : NULL;
	c.words = BPF_CORE_READ(fdt, max_fds) / 64;
	if (c.words > JG_MAX_FD_WORDS)
		c.words = JG_MAX_FD_WORDS;
	bpf_loop(c.words * 64, ring_fd, &c, 0);
	if (!c.found)
		return 0;
	seal_human(task, &w);
	return seal_refuse(&w, JG_HOOK_HOST, c.kind, c.found - 1, NULL, NULL, NULL, false);
}

/* A task outside a session that may have what the session made or touch its tasks: the
 * host's privileged automation (no login uid: it could open or trace it itself) or a
 * holder of gate-admin. Otherwise w names it (with no login uid: by its uid). */
static __always_inline bool outside_may(struct task_struct *task, struct seal_who *w)
{
	if (!seal_human(task, w)) {
		if (cred_privileged(task->real_cred))
			return true;
		w->subject = task->real_cred->uid.val;	/* an unprivileged task with no login uid */
		return false;
	}
	return seal_admin(w);
}

/* A descriptor being installed in the current task (SCM_RIGHTS, pidfd_getfd): a ring,
 * inotify, fanotify or epoll descriptor not made in a session goes into none; a session's file goes only to a task in a live session (it ends with that session), to the host's
 * privileged automation (no login uid: it could open the file itself), or to a holder of
 * gate-admin. Anyone else, the person's plain shell first of all, is refused with a
 * tamper.deny naming the file and the session's grant. */
SEC("lsm/file_receive")
int BPF_PROG(jg_sess_frecv, struct file *file, int ret)
{
	struct jg_session_file *mark;
	struct task_struct *task;
	struct jg_session *s;
	struct seal_who w;
	__u32 kind;

	if (ret)
		return ret;
	task = bpf_get_current_task_btf();
	s = session_of(task);
	mark = session_file(file);
	if (!mark) {
		kind = s ? outside_kind(file) : 0;
		if (!kind)
			return 0;
		seal_human(task, &w);
		return seal_refuse(&w, JG_HOOK_HOST, kind, (__u64)-1, NULL, NULL, NULL, false);
	}
	if ((s && session_live(s)) || outside_may(task, &w))
		return 0;
	return seal_refuse(&w, JG_HOOK_HOST, JG_HOST_LEND_FILE, mark->grant_id, file->f_inode,
			   NULL, file->f_path.dentry, false);
}

#endif
