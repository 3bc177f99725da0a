/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The sealed gate: root cannot switch it off. A sealed subject is a task that is in an
 * elevated session (bpf/session.bpf.h) or has a login uid: a human, elevated or not, unless
 * that human holds a live grant of the gate-admin resource's `admin` permission. Tasks with
 * no login uid outside any session (init, the service manager, their jobs) are the host's
 * automation and keep every power. A sealed subject gets no bpf() at all, loads no module,
 * kexec image or kernel policy, lives under lockdown (integrity, and /proc/kcore), opens no
 * raw block device of a sealed or protected filesystem, neither traces nor signals jitgated,
 * and cannot change, remove, replace or mount over the gate's files (the `sealed` inodes:
 * pins, binary, config, policy, ledger, audit log, spool and the path to them). Writable
 * descriptors of the gate's maps go to the trusted jitgated alone (its executable is a
 * TRUSTED sealed inode), whoever asks. Every refusal is a JG_EV_TAMPER event on the
 * priority ring and counts in JG_STAT_TAMPER. The file checks are called from the hooks of
 * bpf/files.bpf.h (one call each); the others are programs of their own here. */
#ifndef JG_SEAL_BPF_H
#define JG_SEAL_BPF_H

#include "session.bpf.h"
#include "seal_host.bpf.h"

#define FMODE_WRITE 0x2
#define S_IFMT      00170000
#define S_IFDIR     0040000
#define S_IFREG     0100000
#define S_IFBLK     0060000
#define S_IFCHR     0020000
#define MS_REMOUNT  32
#define MS_BIND     4096
#define MS_MOVE     8192
#define MS_PROPAGATION (0x20000 | 0x40000 | 0x80000 | 0x100000)	/* unbindable..shared */
#define PTRACE_MODE_ATTACH_SEAL 0x02
#define PTRACE_MODE_NOAUDIT_SEAL 0x04
#define BPF_OBJ_MAP 1

/* The gate's files and directories, and the path to them, by identity (struct jg_seal).
 * jitgated fills it; the loader puts its own executable in first (TRUSTED). Pinned. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, JG_MAX_SEALED);
	__type(key, struct jg_seal_key);
	__type(value, struct jg_seal);
} sealed SEC(".maps");

/* The ids of the gate's own maps (the loader records every map of the object at load):
 * a writable descriptor of one goes to the trusted jitgated alone. Pinned. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, JG_MAX_GATE_MAPS);
	__type(key, __u32);
	__type(value, __u32);
} gate_maps SEC(".maps");

/* Who is acting: the human behind a sealed subject and the session's grant, if any. */
struct seal_who {
	__u64 grant_id;		/* the elevate grant of its session, 0 outside one */
	__u32 subject;		/* the session's human, else the login uid (else the uid) */
	__u32 loginuid;
	__u16 admin_res;	/* the live policy's gate-admin resource */
};

static __always_inline __u32 seal_loginuid(struct task_struct *task)
{
	if (bpf_core_field_exists(task->loginuid))
		return task->loginuid.val;
	return (__u32)-1;
}

/* A human: in an elevated session, or with a login uid. False for the host's automation
 * (one load and one task-storage lookup: the cost for every task that is not a human). */
static __always_inline bool seal_human(struct task_struct *task, struct seal_who *w)
{
	struct jg_session *s = session_of(task);

	w->loginuid = seal_loginuid(task);
	w->grant_id = 0;
	w->admin_res = 0;
	if (s) {
		/* the login uid of an elevated task may have been rewritten: the session
		 * names the human */
		w->subject = s->subject;
		w->grant_id = s->grant_id;
		return true;
	}
	w->subject = w->loginuid;
	return w->loginuid != (__u32)-1;
}

/* Does the human hold a live gate-admin grant? Asked only before a refusal. */
static __always_inline bool seal_admin(struct seal_who *w)
{
	__u32 zero = 0;
	struct jg_config *c = bpf_map_lookup_elem(&gate_config, &zero);

	if (!c)
		return false;
	w->admin_res = (__u16)c->admin_res[c->gen & 1];
	return w->admin_res &&
	       grant_for(w->subject, w->admin_res, JG_PERM_ADMIN, bpf_ktime_get_boot_ns());
}

/* The sealed entry of an inode (NULL: not sealed, or another inode with the number). */
static __always_inline struct jg_seal *seal_of(struct inode *inode)
{
	struct jg_seal_key k = {};
	struct jg_seal *s;

	if (!inode)
		return NULL;
	k.dev = inode->i_sb->s_dev;
	k.ino = inode->i_ino;
	s = bpf_map_lookup_elem(&sealed, &k);
	if (s && s->igen && s->igen != inode->i_generation)
		return NULL;
	return s;
}

static __always_inline bool seal_has(struct inode *inode, __u32 flags)
{
	struct jg_seal *s = seal_of(inode);

	return s && (s->flags & flags);
}

/* Is dev one of the first n of list (a config array of JG_MAX_SEAL_DEVS)? */
static __always_inline bool seal_dev_in(const __u32 *list, __u32 n, __u32 dev)
{
	int i;

	for (i = 0; i < JG_MAX_SEAL_DEVS; i++) {
		if (i >= n)
			return false;
		if (list[i] == dev)
			return true;
	}
	return false;
}

static __always_inline bool seal_fs(__u32 dev)
{
	__u32 zero = 0;
	struct jg_config *c = bpf_map_lookup_elem(&gate_config, &zero);

	return c && seal_dev_in(c->seal_fs, c->nseal_fs, dev);
}

/* The user database (JG_SEAL_ACCOUNTS) stays open to an elevate except-listed program the
 * current task runs (passwd changing the person's own password); the ptrace seal keeps
 * such a program from being made to do anything else. */
static __always_inline bool seal_accounts_ok(struct inode *inode)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct jg_object_key key = {};
	struct mm_struct *mm = task->mm;
	struct file *exe = mm ? mm->exe_file : NULL;
	struct jg_object *obj;
	__u32 zero = 0;
	struct jg_config *c = bpf_map_lookup_elem(&gate_config, &zero);

	if (!c || !exe || !seal_has(inode, JG_SEAL_ACCOUNTS))
		return false;
	key.gen = c->gen & 1;
	key.dev = exe->f_inode->i_sb->s_dev;
	key.ino = exe->f_inode->i_ino;
	obj = object_of(&key, exe->f_inode->i_generation);
	return obj && obj->kind == JG_KIND_ELEVATE_EXCEPT;
}

/* Refuse, and say so: a tamper.deny naming the operation (hook, what), the target (the
 * inode dev/ino with its path, or id) and the human. `path` (hooks that may resolve one)
 * or `names` (the dentry's names up to its filesystem's root) name the target; with_exe
 * only in hooks that may resolve paths. Never budgeted: every attempt is on the record. */
static __always_inline int seal_refuse(const struct seal_who *w, __u32 hook, __u32 what,
				       __u64 id, struct inode *inode, const struct path *path,
				       struct dentry *names, bool with_exe)
{
	struct verdict v = { .type = JG_EV_TAMPER, .perm = JG_PERM_ADMIN };
	struct jg_event *e;

	v.resource = w->admin_res;
	v.grant_id = w->grant_id;
	stat_inc(JG_STAT_TAMPER);
	e = event_start_flags(&v, hook, w->subject, w->loginuid, -EPERM, with_exe, JG_EVF_PRIO);
	if (!e)
		return -EPERM;
	e->tamper.ino = inode ? inode->i_ino : 0;
	e->tamper.dev = inode ? inode->i_sb->s_dev : 0;
	e->tamper.what = what;
	e->tamper.id = id;
	if (path && bpf_d_path((struct path *)path, e->path, sizeof(e->path)) > 0)
		e->flags |= JG_EVF_PATH_OK;
	else if (names)
		name_path(e, names, 0);
	bpf_ringbuf_submit(e, 0);
	return -EPERM;
}

/* ------------------------------------------------------------------ file hooks */

/* file_open: writing a sealed file; any open of a raw block device under a sealed or
 * protected filesystem (reading it is reading every file on it). Reads of other files
 * return at the first test. */
static __always_inline int seal_file_open(struct file *file)
{
	struct inode *inode = file->f_inode;
	struct seal_who w;
	bool blk = (inode->i_mode & S_IFMT) == S_IFBLK;
	__u32 zero = 0;

	if (!(file->f_mode & FMODE_WRITE) && !blk)
		return 0;
	if (!seal_human(bpf_get_current_task_btf(), &w))
		return 0;
	if (blk) {
		struct jg_config *c = bpf_map_lookup_elem(&gate_config, &zero);

		if (!c || !seal_dev_in(c->raw_devs, c->nraw_devs, inode->i_rdev))
			return 0;
	} else if (!seal_has(inode, JG_SEAL_OBJECT)) {
		/* not the gate's file: the host around it (bpf/seal_host.bpf.h)? */
		__u32 knob = host_knob(file);

		if (!knob || seal_admin(&w))
			return 0;
		return seal_refuse(&w, JG_HOOK_HOST, knob, 0, inode, &file->f_path, NULL, true);
	}
	if (seal_accounts_ok(inode) || seal_admin(&w))
		return 0;
	return seal_refuse(&w, JG_HOOK_FILE_OPEN, file->f_mode, 0, inode, &file->f_path, NULL,
			   true);
}

/* A name removed (unlink, rmdir): a sealed path, or an entry of a sealed directory. */
static __always_inline int seal_remove(struct inode *dir, struct dentry *dentry, __u32 hook)
{
	struct seal_who w;

	if (!seal_human(bpf_get_current_task_btf(), &w))
		return 0;
	if (!seal_has(dentry->d_inode, JG_SEAL_PATH) && !seal_has(dir, JG_SEAL_CONTENTS))
		return 0;
	if (seal_admin(&w))
		return 0;
	return seal_refuse(&w, hook, 0, 0, dentry->d_inode, NULL, dentry, true);
}

/* A rename: of a sealed path, over one, or in or out of a sealed directory. Allowed (the
 * host's automation, a gate-admin holder), a new file put in place of a trusted executable
 * (dpkg's rename of a new jitgated over the old one) is trusted too. */
static __always_inline int seal_rename(struct inode *old_dir, struct dentry *old_dentry,
				       struct inode *new_dir, struct dentry *new_dentry)
{
	struct inode *src = old_dentry->d_inode, *dst = new_dentry->d_inode;
	struct jg_seal *t;
	struct seal_who w;
	bool human = seal_human(bpf_get_current_task_btf(), &w);

	if (human && (seal_has(src, JG_SEAL_PATH) || seal_has(dst, JG_SEAL_PATH) ||
		      seal_has(old_dir, JG_SEAL_CONTENTS) || seal_has(new_dir, JG_SEAL_CONTENTS) ||
		      (seal_has(new_dir, JG_SEAL_GUARD) && guarded_name(new_dentry))) &&
	    !seal_accounts_ok(dst) && !seal_admin(&w))
		return seal_refuse(&w, JG_HOOK_RENAME, 0, 0, src, NULL, old_dentry, true);
	t = seal_of(dst);
	if (t && (t->flags & JG_SEAL_TRUSTED) && src) {
		struct jg_seal_key k = { .dev = src->i_sb->s_dev, .ino = src->i_ino };
		struct jg_seal v = { .flags = t->flags, .igen = src->i_generation };

		bpf_map_update_elem(&sealed, &k, &v, BPF_ANY);
	}
	return 0;
}

/* A name created in `dir` (create, mkdir, mknod, symlink, link). */
static __always_inline int seal_create(struct inode *dir, struct dentry *dentry, __u32 hook,
				       bool with_exe)
{
	struct seal_who w;

	if (!seal_human(bpf_get_current_task_btf(), &w))
		return 0;
	if (!seal_has(dir, JG_SEAL_CONTENTS) &&
	    !(seal_has(dir, JG_SEAL_GUARD) && guarded_name(dentry)))
		return 0;
	if (seal_admin(&w))
		return 0;
	/* the new dentry has no inode yet: its directory's names, then its own */
	return seal_refuse(&w, hook, 0, 0, dir, NULL, dentry, with_exe);
}

/* chmod, chown, utimes, truncate, extended attributes of a sealed file or directory. */
static __always_inline int seal_attr(struct dentry *dentry, __u32 hook, bool with_exe)
{
	struct seal_who w;

	if (!seal_human(bpf_get_current_task_btf(), &w))
		return 0;
	if (!seal_has(dentry->d_inode, JG_SEAL_OBJECT) || seal_admin(&w))
		return 0;
	return seal_refuse(&w, hook, 0, 0, dentry->d_inode, NULL, dentry, with_exe);
}

/* ------------------------------------------------------------------ the gate's objects */

/* A sealed subject makes no bpf() call at all: no program load, no BPF_OBJ_GET of a pin,
 * no *_GET_FD_BY_ID, no link detach. The 6.1 hook has (cmd, attr, size); later kernels add
 * an argument, so the earlier programs' return is not read (this is the only program on
 * the hook). */
SEC("lsm/bpf")
int BPF_PROG(jg_seal_bpf, int cmd)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct seal_who w;
	__u32 zero = 0;

	if (!seal_human(task, &w)) {
		struct jg_config *c = bpf_map_lookup_elem(&gate_config, &zero);

		if (c)
			self_record(task, c->daemon_tgid);
		return 0;
	}
	if (seal_admin(&w))
		return 0;
	return seal_refuse(&w, JG_HOOK_BPF, (__u32)cmd, 0, NULL, NULL, NULL, true);
}

/* Is the current task the trusted jitgated: no login uid, no session, and its executable
 * a TRUSTED sealed inode? */
static __always_inline bool seal_trusted(struct task_struct *task)
{
	struct mm_struct *mm = task->mm;
	struct file *exe = mm ? mm->exe_file : NULL;

	if (!exe || seal_loginuid(task) != (__u32)-1 || session_of(task))
		return false;
	return seal_has(exe->f_inode, JG_SEAL_TRUSTED);
}

/* A writable descriptor of one of the gate's maps (BPF_OBJ_GET of its pin,
 * BPF_MAP_GET_FD_BY_ID) goes to the trusted jitgated alone: a copy of the binary, another
 * loader, a tool with root cannot write grants or flip the policy. Read-only descriptors
 * stay open to the host's automation (status tools, bpftool map dump). */
SEC("lsm/bpf_map")
int BPF_PROG(jg_seal_bpf_map, struct bpf_map *map, fmode_t fmode, int ret)
{
	struct task_struct *task;
	struct seal_who w;
	__u32 id;

	if (ret)
		return ret;
	if (!(fmode & FMODE_WRITE))
		return 0;
	id = map->id;
	if (!bpf_map_lookup_elem(&gate_maps, &id))
		return 0;
	task = bpf_get_current_task_btf();
	if (seal_trusted(task))
		return 0;
	/* not even a gate-admin holder: an admin unloads or reloads through jitgated */
	if (!seal_human(task, &w))
		w.subject = (__u32)bpf_get_current_uid_gid();
	seal_admin(&w);		/* names the gate-admin resource in the record */
	return seal_refuse(&w, JG_HOOK_BPF_OBJ, BPF_OBJ_MAP, id, NULL, NULL, NULL, true);
}

/* ------------------------------------------------------------------ the kernel itself */

/* Modules, kexec images, IMA policies and certificates read from a file (finit_module,
 * kexec_file_load). Firmware is left alone: drivers load it in the context of whatever
 * task opened the device. */
SEC("lsm/kernel_read_file")
int BPF_PROG(jg_seal_read_file, struct file *file, enum kernel_read_file_id id, bool contents,
	     int ret)
{
	struct seal_who w;

	if (ret)
		return ret;
	if (id == bpf_core_enum_value(enum kernel_read_file_id, READING_FIRMWARE))
		return 0;
	if (!seal_human(bpf_get_current_task_btf(), &w) || seal_admin(&w))
		return 0;
	return seal_refuse(&w, JG_HOOK_KERNEL_LOAD, (__u32)id, 0, file->f_inode, &file->f_path,
			   NULL, true);
}

/* The same from a buffer (init_module, kexec_load). */
SEC("lsm/kernel_load_data")
int BPF_PROG(jg_seal_load_data, enum kernel_load_data_id id, bool contents, int ret)
{
	struct seal_who w;

	if (ret)
		return ret;
	if (id == bpf_core_enum_value(enum kernel_load_data_id, LOADING_FIRMWARE))
		return 0;
	if (!seal_human(bpf_get_current_task_btf(), &w) || seal_admin(&w))
		return 0;
	/* 0x100 apart from kernel_read_file's ids: the record says "from a buffer" */
	return seal_refuse(&w, JG_HOOK_KERNEL_LOAD, 0x100 | (__u32)id, 0, NULL, NULL, NULL,
			   false);
}

/* The record's name for a lockdown reason (JG_LD_*): the kernel's numbers move between
 * versions, its names do not. */
static __always_inline __u32 lockdown_code(enum lockdown_reason what)
{
	if (what == bpf_core_enum_value(enum lockdown_reason, LOCKDOWN_DEV_MEM))
		return JG_LD_DEV_MEM;
	if (what == bpf_core_enum_value(enum lockdown_reason, LOCKDOWN_KCORE))
		return JG_LD_KCORE;
	if (what == bpf_core_enum_value(enum lockdown_reason, LOCKDOWN_KEXEC))
		return JG_LD_KEXEC;
	if (what == bpf_core_enum_value(enum lockdown_reason, LOCKDOWN_IOPORT))
		return JG_LD_IOPORT;
	if (what == bpf_core_enum_value(enum lockdown_reason, LOCKDOWN_MSR))
		return JG_LD_MSR;
	if (what == bpf_core_enum_value(enum lockdown_reason, LOCKDOWN_MODULE_PARAMETERS))
		return JG_LD_MODPARAM;
	if (what == bpf_core_enum_value(enum lockdown_reason, LOCKDOWN_HIBERNATION))
		return JG_LD_HIBERNATE;
	if (what == bpf_core_enum_value(enum lockdown_reason, LOCKDOWN_DEBUGFS))
		return JG_LD_DEBUGFS;
	if (what == bpf_core_enum_value(enum lockdown_reason, LOCKDOWN_PCI_ACCESS))
		return JG_LD_PCI;
	if (what == bpf_core_enum_value(enum lockdown_reason, LOCKDOWN_ACPI_TABLES))
		return JG_LD_ACPI;
	return JG_LD_OTHER | (__u32)what;
}

/* A sealed subject lives under lockdown: every reason of the integrity level (/dev/mem,
 * /dev/port, ioperm, MSRs, kexec, hibernation, module parameters, ACPI tables, debugfs
 * writes...) and /proc/kcore. Tracing and perf stay (the debugging a root session is for);
 * they read, they cannot change the gate. */
SEC("lsm/locked_down")
int BPF_PROG(jg_seal_lockdown, enum lockdown_reason what, int ret)
{
	struct seal_who w;

	if (ret)
		return ret;
	if (what == bpf_core_enum_value(enum lockdown_reason, LOCKDOWN_NONE) ||
	    (what >= bpf_core_enum_value(enum lockdown_reason, LOCKDOWN_INTEGRITY_MAX) &&
	     what != bpf_core_enum_value(enum lockdown_reason, LOCKDOWN_KCORE)))
		return 0;
	if (!seal_human(bpf_get_current_task_btf(), &w) || seal_admin(&w))
		return 0;
	return seal_refuse(&w, JG_HOOK_LOCKDOWN, lockdown_code(what), 0, NULL, NULL, NULL, false);
}

/* ------------------------------------------------------------------ jitgated */

/* Is `task` the running jitgated (the tgid it recorded, and a trusted executable: a pid
 * reused after its death is not it)? */
static __always_inline bool seal_is_daemon(struct task_struct *task)
{
	__u32 zero = 0;
	struct jg_config *c = bpf_map_lookup_elem(&gate_config, &zero);
	struct mm_struct *mm;
	struct file *exe;

	if (!c || !c->daemon_tgid || task->tgid != c->daemon_tgid)
		return false;
	mm = task->mm;
	exe = mm ? mm->exe_file : NULL;
	return exe && seal_has(exe->f_inode, JG_SEAL_TRUSTED);
}

/* ptrace attach, /proc/PID/mem, process_vm_writev, pidfd_getfd on jitgated or on a
 * privileged process outside the tracer's own session: the host's automation (its code
 * would run with every power over the gate), a setuid program a person runs on an
 * except-list (its code would be root that no session end kills). Read access
 * (/proc/PID/maps, environ) is left: it changes nothing, and ps asks for it. Tracing a
 * service is gate administration: a gate-admin grant allows it. */
SEC("lsm/ptrace_access_check")
int BPF_PROG(jg_seal_ptrace, struct task_struct *child, unsigned int mode, int ret)
{
	struct seal_who w;

	if (ret)
		return ret;
	if (!(mode & PTRACE_MODE_ATTACH_SEAL) ||
	    (!seal_is_daemon(child) && !privileged_elsewhere(child)))
		return 0;
	if (!seal_human(bpf_get_current_task_btf(), &w) || seal_admin(&w))
		return 0;
	if (mode & PTRACE_MODE_NOAUDIT_SEAL) {
		stat_inc(JG_STAT_TAMPER);
		return -EPERM;
	}
	return seal_refuse(&w, JG_HOOK_PTRACE, mode, child->tgid, NULL, NULL, NULL, false);
}

/* Any signal to jitgated (kill, tgkill, pidfd_send_signal); signal 0 only asks whether it
 * lives. */
SEC("lsm/task_kill")
int BPF_PROG(jg_seal_kill, struct task_struct *p, struct kernel_siginfo *info, int sig,
	     const struct cred *cred, int ret)
{
	struct seal_who w;

	if (ret)
		return ret;
	if (!sig || !seal_is_daemon(p))
		return 0;
	if (!seal_human(bpf_get_current_task_btf(), &w) || seal_admin(&w))
		return 0;
	return seal_refuse(&w, JG_HOOK_KILL, (__u32)sig, p->tgid, NULL, NULL, NULL, false);
}

/* A signal through a file owner (F_SETOWN + F_SETSIG on a socket, pipe, lease, dnotify):
 * sent by whoever does the I/O, around task_kill. jitgated never asks for one, so none
 * reaches it, whoever set the owner (the host's automation has kill(2) for that). */
/* 6.1 keeps the owner's credentials in the fown_struct; later kernels in its file. */
struct fown_struct___old {
	const struct cred *cred;
} __attribute__((preserve_access_index));

SEC("lsm/file_send_sigiotask")
int BPF_PROG(jg_seal_sigio, struct task_struct *tsk, struct fown_struct *fown, int sig,
	     int ret)
{
	struct seal_who w = {};

	if (ret)
		return ret;
	if (!seal_is_daemon(tsk))
		return 0;
	/* the human doing the I/O (the usual case: the attacker writes to its own pipe),
	 * else the uid that set the owner */
	if (seal_human(bpf_get_current_task_btf(), &w))
		return seal_refuse(&w, JG_HOOK_SIGIO, (__u32)sig, tsk->tgid, NULL, NULL, NULL,
				   false);
	if (bpf_core_field_exists(((struct fown_struct___old *)0)->cred))
		w.subject = BPF_CORE_READ((struct fown_struct___old *)fown, cred, uid.val);
	else
		w.subject = (__u32)bpf_get_current_uid_gid();
	w.loginuid = (__u32)-1;
	return seal_refuse(&w, JG_HOOK_SIGIO, (__u32)sig, tsk->tgid, NULL, NULL, NULL, false);
}

/* Refuse the current task if it is a sealed subject (a person without a live gate-admin
 * grant), with a tamper.deny naming (hook, what, id); 0 for anyone else. */
static __always_inline int seal_refuse_human(__u32 hook, __u32 what, __u64 id)
{
	struct seal_who w;

	if (!seal_human(bpf_get_current_task_btf(), &w) || seal_admin(&w))
		return 0;
	return seal_refuse(&w, hook, what, id, NULL, NULL, NULL, false);
}

/* prlimit, setpriority, ioprio_set, sched_setscheduler/setattr on jitgated (RLIMIT_CPU
 * kills it; the others starve it): a sealed subject's are refused. */
static __always_inline int seal_taskctl(__u32 what, __u32 tgid)
{
	return seal_refuse_human(JG_HOOK_TASKCTL, what, tgid);
}

/* An elevated session lending a higher priority, a real-time policy or higher limits to
 * an unprivileged task outside it (the person's plain shell): that task would keep them
 * after the session, enough to starve jitgated. */
static __always_inline int seal_lend(struct task_struct *p)
{
	if (!session_of(bpf_get_current_task_btf()) || !unprivileged_elsewhere(p))
		return 0;
	return seal_refuse_human(JG_HOOK_HOST, JG_HOST_LEND, p->tgid);
}

SEC("lsm/task_prlimit")
int BPF_PROG(jg_seal_prlimit, const struct cred *cred, const struct cred *tcred,
	     unsigned int flags, int ret)
{
	struct jg_daemon_self *s;

	if (ret)
		return ret;
	if (!(flags & 2))	/* LSM_PRLIMIT_WRITE */
		return 0;
	s = self_live();
	if (s && s->cred == (__u64)tcred)
		return seal_taskctl(JG_TASKCTL_PRLIMIT, s->tgid);
	/* a session raising an unprivileged process's limits (RLIMIT_RTPRIO, RLIMIT_NICE):
	 * prlimit names its target by credentials only */
	if (!cred_privileged(tcred) && session_of(bpf_get_current_task_btf()))
		return seal_refuse_human(JG_HOOK_HOST, JG_HOST_LEND, 0);
	return 0;
}

SEC("lsm/task_setnice")
int BPF_PROG(jg_seal_setnice, struct task_struct *p, int nice, int ret)
{
	if (ret)
		return ret;
	if (!seal_is_daemon(p))
		return seal_lend(p);
	return seal_taskctl(JG_TASKCTL_NICE, p->tgid);
}

SEC("lsm/task_setioprio")
int BPF_PROG(jg_seal_setioprio, struct task_struct *p, int ioprio, int ret)
{
	if (ret)
		return ret;
	if (!seal_is_daemon(p))
		return seal_lend(p);
	return seal_taskctl(JG_TASKCTL_IOPRIO, p->tgid);
}

SEC("lsm/task_setscheduler")
int BPF_PROG(jg_seal_setscheduler, struct task_struct *p, int ret)
{
	if (ret)
		return ret;
	if (!seal_is_daemon(p))
		return seal_lend(p);
	return seal_taskctl(JG_TASKCTL_SCHED, p->tgid);
}

/* A person in an elevated session may not make a program that runs with privilege after
 * it: setuid, or setgid with group execute, on a regular file (chmod, a create with that
 * mode), nor file capabilities. Run later by the person's plain self, it would lend
 * root's or a privileged group's power (shadow, disk, docker) past the grant. */
#define JG_S_ISUID 04000
#define JG_S_ISGID 02000
#define JG_S_IXGRP 00010

static __always_inline bool priv_mode(__u32 mode)
{
	return (mode & JG_S_ISUID) || ((mode & JG_S_ISGID) && (mode & JG_S_IXGRP));
}

static __noinline int seal_privmode(struct dentry *dentry)
{
	struct seal_who w;

	if (!session_of(bpf_get_current_task_btf()))
		return 0;
	if (!seal_human(bpf_get_current_task_btf(), &w) || seal_admin(&w))
		return 0;
	return seal_refuse(&w, JG_HOOK_HOST, JG_HOST_PRIVMODE, 0, dentry->d_inode, NULL, dentry,
			   false);
}

/* A file created with such a mode (open(O_CREAT, 04755), mknod): path_mknod sees both,
 * with a stack of its own (inode_create's is full). */
SEC("lsm/path_mknod")
int BPF_PROG(jg_seal_mknod, const struct path *dir, struct dentry *dentry, umode_t mode,
	     unsigned int dev, int ret)
{
	if (ret)
		return ret;
	if ((mode & S_IFMT) != S_IFREG || !priv_mode(mode))
		return 0;
	return seal_privmode(dentry);
}

/* chmod u+s / g+s (chmod, fchmod, fchmodat; the same stack reasoning). */
SEC("lsm/path_chmod")
int BPF_PROG(jg_seal_chmod, const struct path *path, umode_t mode, int ret)
{
	struct inode *inode;

	if (ret)
		return ret;
	inode = path->dentry->d_inode;
	if (!priv_mode(mode) || !inode || (inode->i_mode & S_IFMT) != S_IFREG)
		return 0;
	/* a gate's file: inode_setattr refuses it, and its record names the gate's file */
	if (seal_has(inode, JG_SEAL_OBJECT))
		return 0;
	return seal_privmode(path->dentry);
}

/* File capabilities (setcap): a program of its own on the hook, the file hooks' frames
 * being full. */
SEC("lsm/inode_setxattr")
int BPF_PROG(jg_seal_fcaps, void *ns, struct dentry *dentry, const char *name,
	     const void *value, size_t size, int flags, int ret)
{
	__u64 n[3] = {};

	if (ret)
		return ret;
	bpf_probe_read_kernel_str(n, sizeof(n), name);
	if (!NAME_IS(n, "security.capability"))
		return 0;
	return seal_privmode(dentry);
}

/* clone3(CLONE_INTO_CGROUP) by a person: its child would start in a cgroup it names, such
 * as jitgated's (where its memory use gets jitgated OOM-killed), past the cgroup.procs
 * files it may not write. The service manager (automation) is what uses it. */
#define JG_CLONE_INTO_CGROUP 0x200000000ULL

static __always_inline int seal_clone(unsigned long clone_flags)
{
	if (!(clone_flags & JG_CLONE_INTO_CGROUP))
		return 0;
	return seal_refuse_human(JG_HOOK_HOST, JG_HOST_CGROUP_MOVE, 0);
}

/* An io_uring request run with credentials registered in the ring (a personality): a
 * ring an elevated shell registered root's credentials in, kept by the person's plain
 * process, would be root outside every session. A human may use only credentials no
 * stronger than its own, unless it is in a live session itself. */
SEC("lsm/uring_override_creds")
int BPF_PROG(jg_seal_uring_creds, const struct cred *new, int ret)
{
	struct task_struct *task;
	const struct cred *cur;
	struct jg_session *s;
	struct seal_who w;

	if (ret)
		return ret;
	task = bpf_get_current_task_btf();
	cur = task->cred;
	if ((new->euid.val != 0 || cur->euid.val == 0) &&
	    !(caps_of(&new->cap_effective) & ~caps_of(&cur->cap_effective)))
		return 0;
	if (!seal_human(task, &w))
		return 0;
	s = session_of(task);
	if ((s && session_live(s)) || seal_admin(&w))
		return 0;
	return seal_refuse(&w, JG_HOOK_HOST, JG_HOST_URING_CREDS, 0, NULL, NULL, NULL, false);
}

/* ------------------------------------------------------------------ mounts */

/* Mounting over a sealed path (a bind mount over the policy, a new bpffs over the pins'),
 * remounting a filesystem that holds sealed files (read-only: no audit log). */
SEC("lsm/sb_mount")
int BPF_PROG(jg_seal_mount, const char *dev_name, const struct path *path, const char *type,
	     unsigned long flags, void *data, int ret)
{
	struct seal_who w;
	__u32 what;

	if (ret)
		return ret;
	/* shared, private, slave alone: nothing is hidden or changed. With MS_BIND or
	 * MS_REMOUNT the kernel does the bind or remount and ignores the propagation bits. */
	if ((flags & MS_PROPAGATION) && !(flags & (MS_BIND | MS_REMOUNT)))
		return 0;
	if (!seal_human(bpf_get_current_task_btf(), &w))
		return 0;
	if (flags & MS_REMOUNT) {
		if (!seal_fs(path->mnt->mnt_sb->s_dev))
			return 0;
		what = JG_SEAL_MNT_REMOUNT;
	} else {
		if (!seal_has(path->dentry->d_inode, JG_SEAL_PATH))
			return 0;
		what = flags & MS_MOVE ? JG_SEAL_MNT_MOVE : JG_SEAL_MNT_MOUNT;
	}
	if (seal_admin(&w))
		return 0;
	return seal_refuse(&w, JG_HOOK_MOUNT, what, 0, path->dentry->d_inode, path, NULL, true);
}

/* Unmounting a filesystem that holds sealed files: the BPF filesystem of the pins (its
 * last unmount would release the gate), the audit log's, the ledger's. */
SEC("lsm/sb_umount")
int BPF_PROG(jg_seal_umount, struct vfsmount *mnt, int flags, int ret)
{
	struct seal_who w;

	if (ret)
		return ret;
	if (!seal_human(bpf_get_current_task_btf(), &w) || !seal_fs(mnt->mnt_sb->s_dev) ||
	    seal_admin(&w))
		return 0;
	return seal_refuse(&w, JG_HOOK_MOUNT, JG_SEAL_MNT_UMOUNT, 0, mnt->mnt_root->d_inode,
			   NULL, mnt->mnt_root, true);
}

/* move_mount(2) onto a sealed path. */
SEC("lsm/move_mount")
int BPF_PROG(jg_seal_move_mount, const struct path *from_path, const struct path *to_path,
	     int ret)
{
	struct seal_who w;

	if (ret)
		return ret;
	if (!seal_human(bpf_get_current_task_btf(), &w) ||
	    !seal_has(to_path->dentry->d_inode, JG_SEAL_PATH) || seal_admin(&w))
		return 0;
	return seal_refuse(&w, JG_HOOK_MOUNT, JG_SEAL_MNT_MOVE, 0, to_path->dentry->d_inode,
			   NULL, to_path->dentry, false);
}

/* A cgroup v1 hierarchy mounted with a release agent (mount -o release_agent=, or
 * fsconfig): the agent runs as root with no login uid. Every mount option passes here
 * (mount(2) and the new mount API alike); returning 0 leaves it to the filesystem. */
SEC("lsm/fs_context_parse_param")
int BPF_PROG(jg_seal_mount_param, struct fs_context *fc, struct fs_parameter *param, int ret)
{
	struct seal_who w;
	__u64 n[3] = {};

	if (ret)
		return ret;
	if (!seal_human(bpf_get_current_task_btf(), &w))
		return 0;
	bpf_probe_read_kernel_str(n, sizeof(n), param->key);
	if (!NAME_IS(n, "release_agent") || seal_admin(&w))
		return 0;
	return seal_refuse(&w, JG_HOOK_HOST, JG_HOST_RELEASE_AGENT, 0, NULL, NULL, NULL, false);
}

#endif
