/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Elevated sessions: root that ends on time. A task that becomes root (or gains a
 * capability) under an elevate grant is marked with the grant and the human
 * (struct jg_session, task storage); its children inherit the mark at fork. Once that grant
 * is no longer live, the session is over: every checked operation of a marked task sends it
 * SIGKILL and is refused, so the kernel ends the session without jitgated. jitgated ends
 * all of it at once through the `sessions` task iterator below. */
#ifndef JG_SESSION_BPF_H
#define JG_SESSION_BPF_H

#include "decide.bpf.h"

#define JG_SIGKILL 9
#define JG_PF_EXITING 0x4	/* a #define, so not in vmlinux.h */

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct jg_session);
} sessions SEC(".maps");

static __always_inline struct jg_session *session_of(struct task_struct *task)
{
	return bpf_task_storage_get(&sessions, task, 0, 0);
}

/* Is the grant the session began under still live? A revoke, an expiry, or a new grant in
 * its place (another id) all end it. */
static __always_inline bool session_live(const struct jg_session *s)
{
	return grant_for(s->subject, s->resource, JG_PERM_ELEVATE, bpf_ktime_get_boot_ns()) ==
	       s->grant_id;
}

/* bpf/session_files.bpf.h: an io_uring ring from outside the session in the task's
 * descriptors (-EPERM, said), which would carry the session's files out of it */
static __noinline int session_ring_check(struct task_struct *task, bool exec);

static __always_inline bool session_programs_armed(void)
{
	__u32 zero = 0;
	struct jg_config *c = bpf_map_lookup_elem(&gate_config, &zero);

	return c && c->session_armed;
}

/* Mark the current task: it became root under grant v->grant_id of `subject`. 0, or
 * -ENOMEM when no storage could be made: the elevation is refused (an unmarked root would
 * outlive its grant). `exec`: at an exec, whose close-on-exec descriptors are not kept. */
static __always_inline int session_begin(struct task_struct *task, const struct verdict *v,
					 __u32 subject, bool exec)
{
	struct jg_session *s = session_of(task);

	/* a task already in a live session of this grant keeps its start */
	if (s && s->grant_id == v->grant_id && s->subject == subject &&
	    s->resource == v->resource)
		return 0;
	/* the programs that keep a session's files and powers in it must be attached */
	if (!session_programs_armed()) {
		stat_inc(JG_STAT_SESSION_UNARMED);
		return -EPERM;
	}
	/* refused before the mark changes: a task of an ended session stays marked */
	if (session_ring_check(task, exec))
		return -EPERM;
	s = bpf_task_storage_get(&sessions, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!s) {
		stat_inc(JG_STAT_SESSION_FULL);
		return -ENOMEM;
	}
	s->grant_id = v->grant_id;
	s->subject = subject;
	s->resource = v->resource;
	s->started_ns = bpf_ktime_get_boot_ns();
	s->flags = 0;
	return 0;
}

/* The session of the current task is over: kill the process, refuse the operation, and
 * (once per task) say so on the priority ring. */
static __noinline int session_end(struct task_struct *task, struct jg_session *s, __u32 hook)
{
	struct verdict v = { .type = JG_EV_SESSION_END, .perm = JG_PERM_ELEVATE };
	struct jg_event *e;
	__u32 loginuid;

	bpf_send_signal(JG_SIGKILL);
	if (s->flags & JG_SESS_KILLED)
		return -EPERM;
	s->flags |= JG_SESS_KILLED;
	stat_inc(JG_STAT_SESSION_END);
	v.resource = s->resource;
	v.grant_id = s->grant_id;
	subject_of(task, &loginuid);
	e = event_start_flags(&v, hook, s->subject, loginuid, -EPERM, false, JG_EVF_PRIO);
	if (e) {
		e->file.dev = 0;
		e->file.ino = s->started_ns;	/* when the session began */
		e->file.prot_ino = 0;
		bpf_ringbuf_submit(e, 0);
	}
	return -EPERM;
}

/* Called first by the checked hooks: 0 for a task outside any session or in a live one
 * (one task-storage lookup, NULL for almost every task); -EPERM, with the process killed,
 * for a task whose session is over. */
static __always_inline int session_enforce(__u32 hook)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct jg_session *s = session_of(task);

	if (!s || session_live(s))
		return 0;
	return session_end(task, s, hook);
}

/* bpf/seal.bpf.h: a person's clone3(CLONE_INTO_CGROUP) (into jitgated's cgroup, its
 * memory limit is the OOM killer's to enforce on jitgated) */
static __always_inline int seal_clone(unsigned long clone_flags);

/* A child of a session task is in the session; a task of an ended session cannot fork.
 * No storage for the child: the fork is refused (an unmarked child would keep root). */
SEC("lsm/task_alloc")
int BPF_PROG(jg_session_fork, struct task_struct *task, unsigned long clone_flags, int ret)
{
	struct task_struct *cur;
	struct jg_session *p, *n;

	if (ret)
		return ret;
	ret = seal_clone(clone_flags);
	if (ret)
		return ret;
	cur = bpf_get_current_task_btf();
	p = session_of(cur);
	if (!p)
		return 0;
	if (!session_live(p))
		return session_end(cur, p, JG_HOOK_FORK);
	n = bpf_task_storage_get(&sessions, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!n) {
		stat_inc(JG_STAT_SESSION_FULL);
		return -ENOMEM;
	}
	n->grant_id = p->grant_id;
	n->subject = p->subject;
	n->resource = p->resource;
	n->started_ns = p->started_ns;
	n->flags = 0;
	return 0;
}

/* Every task in a session, one line each: "tgid tid subject grant_id resource live
 * started_ns comm". jitgated reads it (the pinned link_sessions) to end sessions at once,
 * to warn their terminals, and to find the tasks of a session at startup. */
SEC("iter/task")
int jg_sessions(struct bpf_iter__task *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct task_struct *task = ctx->task;
	struct jg_session *s;

	if (!task)
		return 0;
	/* dying or dead (a zombie waits for its parent): nothing left to end */
	if (task->exit_state || (task->flags & JG_PF_EXITING))
		return 0;
	s = session_of(task);
	if (!s)
		return 0;
	BPF_SEQ_PRINTF(seq, "%d %d %u %llu %u %d %llu %s\n", task->tgid, task->pid, s->subject,
		       s->grant_id, s->resource, session_live(s) ? 1 : 0, s->started_ns,
		       task->comm);
	return 0;
}

#endif
