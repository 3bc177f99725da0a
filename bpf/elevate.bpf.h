/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Becoming root: setuid/setgid-root and file-capability execs, setuid-family transitions to
 * uid 0, and the exec trail of a subject holding an elevate grant. */
#ifndef JG_ELEVATE_BPF_H
#define JG_ELEVATE_BPF_H

#include "session.bpf.h"

/* The live generation's config when its policy has elevate resources, else NULL (the
 * elevation gate is off: one array lookup per exec or setuid). */
static __always_inline struct jg_config *elevate_config(__u32 *gen)
{
	__u32 zero = 0;
	struct jg_config *c = bpf_map_lookup_elem(&gate_config, &zero);

	if (!c)
		return NULL;
	*gen = c->gen & 1;
	return c->nelevate[*gen & 1] ? c : NULL;
}

/* A live elevate grant on any elevate resource allows; without one the first enforcing
 * resource denies (audit-mode resources only: a would-deny). */
static __always_inline void elevate_verdict(struct verdict *v, const struct jg_config *c,
					    __u32 gen, __u32 subject)
{
	__u64 now = bpf_ktime_get_boot_ns(), gid;
	__u16 deny = 0, audit = 0;
	__u32 n = c->nelevate[gen & 1];
	int i;

	v->perm = JG_PERM_ELEVATE;
	for (i = 0; i < JG_MAX_ELEVATE; i++) {
		__u16 res;

		if (i >= n)
			break;
		res = c->elevate_res[gen & 1][i];
		gid = grant_for(subject, res, JG_PERM_ELEVATE, now);
		if (gid) {
			v->type = JG_EV_ALLOW;
			v->resource = res;
			v->grant_id = gid;
			return;
		}
		if (c->elevate_mode[gen & 1][i] == JG_MODE_AUDIT) {
			if (!audit)
				audit = res;
		} else if (!deny) {
			deny = res;
		}
	}
	v->type = deny ? JG_EV_DENY : JG_EV_AUDIT;
	v->resource = deny ? deny : audit;
}

/* Runs after commoncap computed the new credentials (setuid bits, file capabilities): an
 * exec that would give a non-root subject euid/egid 0 (global ids) or capabilities it lacks
 * needs a live elevate grant, unless the program is on an elevate resource's except list. */
SEC("lsm/bprm_creds_from_file")
int BPF_PROG(jg_setuid_exec, struct linux_binprm *bprm, struct file *file, int ret)
{
	struct task_struct *task;
	const struct cred *old;
	struct jg_object_key key;
	struct jg_object *obj;
	struct verdict v = {};
	struct jg_config *c;
	__u32 gen, subject, loginuid;
	struct cred *new;

	if (ret)
		return ret;
	c = elevate_config(&gen);
	if (!c)
		return 0;
	task = bpf_get_current_task_btf();
	new = bprm->cred;
	old = task->cred;
	/* Capabilities count in the initial user namespace only: those of a rootless
	 * container's namespace give no power over the host. */
	if (!((new->euid.val == 0 && old->euid.val != 0) ||
	      (new->egid.val == 0 && old->egid.val != 0) ||
	      (new->user_ns->level == 0 &&
	       (caps_of(&new->cap_permitted) & ~caps_of(&old->cap_permitted)))))
		return 0;
	subject = subject_of(task, &loginuid);
	if (subject == 0)
		return 0;	/* root is not gated here */
	key.gen = gen;
	key.dev = file->f_inode->i_sb->s_dev;
	key.ino = file->f_inode->i_ino;
	obj = object_of(&key, file->f_inode->i_generation);
	if (obj && obj->kind == JG_KIND_ELEVATE_EXCEPT)
		return 0;
	elevate_verdict(&v, c, gen, subject);
	ret = v.type == JG_EV_DENY ? -EPERM : 0;
	if (v.type == JG_EV_ALLOW)
		ret = session_begin(task, &v, subject, true);
	if (ret)
		v.type = JG_EV_DENY;	/* the session could not begin: refused */
	count(&v);
	emit_file_event(&v, JG_HOOK_SETUID_EXEC, subject, loginuid, ret, true, key.dev, key.ino,
			&file->f_path, NULL, 0);
	return ret;
}

/* Is the current process running an except-listed program? */
static __always_inline bool running_except(struct task_struct *task, __u32 gen)
{
	struct file *exe = task->mm->exe_file;
	struct jg_object_key key = { .gen = gen };
	struct jg_object *obj;

	if (!exe)
		return false;
	key.dev = exe->f_inode->i_sb->s_dev;
	key.ino = exe->f_inode->i_ino;
	obj = object_of(&key, exe->f_inode->i_generation);
	return obj && obj->kind == JG_KIND_ELEVATE_EXCEPT;
}

/* A setuid- or setgid-family change; ids are {real, effective, saved, fs}. A real or saved
 * id that becomes 0 needs a grant; so does an effective or fs id that becomes 0 in a process
 * that held 0 in none of its real, effective or saved ids (a setuid program dropping and
 * taking back its euid got that root at exec, where it was checked). An except-listed
 * program is exempt here too: it runs with euid 0 already, and passwd, for one, calls
 * setuid(0). */
static __always_inline int gate_setid(__u32 hook, const __u32 now[4], const __u32 was[4])
{
	struct task_struct *task;
	__u32 gen, subject, loginuid;
	struct verdict v = {};
	struct jg_config *c;
	struct jg_event *e;
	bool had_root;
	int ret;

	ret = session_enforce(hook);
	if (ret)
		return ret;
	c = elevate_config(&gen);
	if (!c)
		return 0;
	had_root = !was[0] || !was[1] || !was[2];
	if (!((now[0] == 0 && was[0] != 0) || (now[2] == 0 && was[2] != 0) ||
	      (!had_root && (now[1] == 0 || now[3] == 0))))
		return 0;
	task = bpf_get_current_task_btf();
	subject = subject_of(task, &loginuid);
	if (subject == 0 || running_except(task, gen))
		return 0;
	elevate_verdict(&v, c, gen, subject);
	ret = v.type == JG_EV_DENY ? -EPERM : 0;
	if (v.type == JG_EV_ALLOW)
		ret = session_begin(task, &v, subject, false);
	if (ret)
		v.type = JG_EV_DENY;	/* the session could not begin: refused */
	count(&v);
	e = event_start(&v, hook, subject, loginuid, ret, false);
	if (e) {
		e->setid.uid = now[0];
		e->setid.euid = now[1];
		e->setid.suid = now[2];
		e->setid.fsuid = now[3];
		bpf_ringbuf_submit(e, 0);
	}
	return ret;
}

/* setuid(), setreuid(), setresuid(), setfsuid() */
SEC("lsm/task_fix_setuid")
int BPF_PROG(jg_setuid, struct cred *new, const struct cred *old, int flags, int ret)
{
	const __u32 now[4] = { new->uid.val, new->euid.val, new->suid.val, new->fsuid.val };
	const __u32 was[4] = { old->uid.val, old->euid.val, old->suid.val, old->fsuid.val };

	return ret ? ret : gate_setid(JG_HOOK_SETUID, now, was);
}

/* The same for the group: gid 0 opens every file of group root (and, with it, much of what
 * makes a host root). Only a task that holds CAP_SETGID or a real/saved gid 0 can ask, so
 * this catches a privileged helper that outlived the grant it was started under. */
SEC("lsm/task_fix_setgid")
int BPF_PROG(jg_setgid, struct cred *new, const struct cred *old, int flags, int ret)
{
	const __u32 now[4] = { new->gid.val, new->egid.val, new->sgid.val, new->fsgid.val };
	const __u32 was[4] = { old->gid.val, old->egid.val, old->sgid.val, old->fsgid.val };

	return ret ? ret : gate_setid(JG_HOOK_SETGID, now, was);
}

/* The session trail: once the new program is committed, every exec of a subject holding
 * a live elevate grant is streamed with its arguments and working directory, root shells
 * included (the subject is the loginuid). The arguments are read where copy_strings() put
 * them (bprm->p, in the new mm that is current's by now; mm->arg_start is set only later),
 * one string at a time so that the environment after them is never read. A void hook: it
 * observes, never denies. */
SEC("lsm/bprm_committed_creds")
int BPF_PROG(jg_exec_trail, struct linux_binprm *bprm)
{
	struct task_struct *task;
	__u32 gen, subject, loginuid, off = 0, argc;
	struct verdict v = {};
	struct jg_config *c;
	struct jg_trail *t;
	unsigned long p;
	long n;
	int i;

	c = elevate_config(&gen);
	if (!c)
		return 0;
	task = bpf_get_current_task_btf();
	subject = subject_of(task, &loginuid);
	if (subject == 0)
		return 0;
	elevate_verdict(&v, c, gen, subject);
	if (v.type != JG_EV_ALLOW)
		return 0;
	v.type = JG_EV_TRAIL;
	/* the priority ring: a flood of denials cannot push the trail out */
	t = bpf_ringbuf_reserve(&events_prio, sizeof(*t), 0);
	if (!t) {
		stat_inc(JG_STAT_PRIO_LOST);
		return 0;
	}
	event_fill(&t->ev, &v, JG_HOOK_EXEC, subject, loginuid, 0, true);
	t->ev.flags |= JG_EVF_PRIO;
	t->ev.file.dev = bprm->file->f_inode->i_sb->s_dev;
	t->ev.file.ino = bprm->file->f_inode->i_ino;
	t->ev.file.prot_ino = 0;
	if (bpf_d_path((struct path *)&bprm->file->f_path, t->ev.path, sizeof(t->ev.path)) > 0)
		t->ev.flags |= JG_EVF_PATH_OK;
	argc = bprm->argc;
	t->argc = argc;
	p = bprm->p;
	for (i = 0; i < JG_ARGV_MAX; i++) {
		if (i >= argc || off >= JG_ARGV_LEN)
			break;
		n = bpf_probe_read_user_str(&t->argv[off & (JG_ARGV_LEN - 1)], JG_ARGV_LEN,
					    (const void *)p);
		if (n <= 0)
			break;
		off += n;
		p += n;
	}
	t->argv_len = off > JG_ARGV_LEN ? JG_ARGV_LEN : off;
	t->cwd_len = 0;
	n = bpf_d_path(&task->fs->pwd, t->cwd, sizeof(t->cwd));
	if (n > 0)
		t->cwd_len = n;
	bpf_ringbuf_submit(t, 0);
	return 0;
}

#endif
