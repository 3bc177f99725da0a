/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The sealed gate's second ring: the host around it. Root need not touch the gate to switch
 * it off; it can ask the kernel or the host's automation (tasks with no login uid, outside
 * any session: every power over the gate) to do it later, or starve jitgated. So a sealed
 * subject may not:
 *  - redirect a program the kernel runs as root on its own (a core_pattern pipe, the
 *    module autoload's modprobe, poweroff_cmd, the hotplug/uevent helper, a cgroup v1
 *    release agent), nor register a binfmt_misc interpreter (it runs in front of every
 *    exec, automation's too); jitgated seals the helpers' programs themselves;
 *  - create the names that put code into jitgated or its unit (ld.so.preload,
 *    jitgated.service, jitgated.service.d) in the directories jitgated guards;
 *  - trace a privileged process outside its own session (bpf/seal.bpf.h, ptrace), or run
 *    io_uring requests with stronger credentials a ring holds (uring_override_creds);
 *  - reach jitgated's process around task_kill: its /proc files (oom_score_adj), its
 *    cgroup and every cgroup above it (cgroup.kill, cgroup.freeze, memory.max), moving
 *    processes between cgroups, /proc/sysrq-trigger, signals through a file owner,
 *    prlimit, nice, ioprio and scheduler.
 * These are the predicates; the refusals are in bpf/seal.bpf.h. */
#ifndef JG_SEAL_HOST_BPF_H
#define JG_SEAL_HOST_BPF_H

#include "session.bpf.h"

#define PROC_SUPER_MAGIC     0x9fa0
#define SYSFS_MAGIC          0x62656572
#define CGROUP_SUPER_MAGIC   0x27e0eb
#define CGROUP2_SUPER_MAGIC  0x63677270
#define BINFMTFS_MAGIC       0x42494e4d
#define JG_MAX_CG_DEPTH      16

/* jitgated as the kernel sees it, recorded by the bpf hook whenever it makes a bpf() call
 * (its map updates): its credentials (prlimit names its target by them alone) and the ids
 * of its cgroup v2 and of every cgroup above it, innermost first. */
struct jg_daemon_self {
	__u64 cred;
	__u32 tgid;
	__u32 ncg;
	__u64 cg[JG_MAX_CG_DEPTH];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct jg_daemon_self);
} daemon_self SEC(".maps");

/* 6.1 names the parent "parent"; later kernels "__parent": both as flavors, whichever
 * kernel the vmlinux.h came from. */
struct kernfs_node___old {
	struct kernfs_node *parent;
} __attribute__((preserve_access_index));

struct kernfs_node___new {
	struct kernfs_node *__parent;
} __attribute__((preserve_access_index));

static __always_inline struct kernfs_node *kn_parent(struct kernfs_node *kn)
{
	if (bpf_core_field_exists(((struct kernfs_node___old *)0)->parent))
		return BPF_CORE_READ((struct kernfs_node___old *)kn, parent);
	return BPF_CORE_READ((struct kernfs_node___new *)kn, __parent);
}

/* The running jitgated, from gate_config, when it is `task` (its tgid): record it. */
static __always_inline void self_record(struct task_struct *task, __u32 daemon_tgid)
{
	struct jg_daemon_self *s;
	struct kernfs_node *kn;
	__u32 zero = 0;
	int i;

	if (!daemon_tgid || task->tgid != daemon_tgid)
		return;
	s = bpf_map_lookup_elem(&daemon_self, &zero);
	if (!s)
		return;
	s->tgid = daemon_tgid;
	s->cred = (__u64)task->real_cred;
	kn = BPF_CORE_READ(task, cgroups, dfl_cgrp, kn);
	for (i = 0; i < JG_MAX_CG_DEPTH && kn; i++) {
		s->cg[i] = BPF_CORE_READ(kn, id);
		kn = kn_parent(kn);
	}
	s->ncg = i;
}

/* The live record of jitgated (NULL: none, or it has stopped since). */
static __always_inline struct jg_daemon_self *self_live(void)
{
	__u32 zero = 0;
	struct jg_config *c = bpf_map_lookup_elem(&gate_config, &zero);
	struct jg_daemon_self *s = bpf_map_lookup_elem(&daemon_self, &zero);

	if (!c || !s || !c->daemon_tgid || s->tgid != c->daemon_tgid)
		return NULL;
	return s;
}

/* Names are compared as three words: the name read into 24 zeroed bytes against the
 * literal padded with zeros (folded to constants by the compiler). */
#define KW(lit, i) (((const __u64 *)(lit "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"))[i])
#define NAME_IS(n, lit) ((n)[0] == KW(lit, 0) && (n)[1] == KW(lit, 1) && (n)[2] == KW(lit, 2))

/* Is `kn` (a cgroup directory) jitgated's cgroup or one above it? */
static __always_inline bool cg_of_daemon(struct kernfs_node *kn)
{
	struct jg_daemon_self *s = self_live();
	__u64 id;
	int i;

	if (!s || !kn)
		return false;
	id = BPF_CORE_READ(kn, id);
	for (i = 0; i < JG_MAX_CG_DEPTH; i++) {
		if (i >= s->ncg)
			return false;
		if (s->cg[i] == id)
			return true;
	}
	return false;
}

/* Is the procfs inode one of jitgated's /proc/PID (or /proc/PID/task/PID) files? */
static __always_inline bool proc_of_daemon(struct inode *inode)
{
	/* container_of, by address: read with probe reads from here on */
	struct proc_inode *pi = (struct proc_inode *)((__u64)inode -
						       bpf_core_field_offset(struct proc_inode,
									     vfs_inode));
	__u32 zero = 0;
	struct jg_config *c = bpf_map_lookup_elem(&gate_config, &zero);
	struct pid *pid = BPF_CORE_READ(pi, pid);
	int nr;

	if (!pid || !c || !c->daemon_tgid)
		return false;
	nr = BPF_CORE_READ(pid, numbers[0].nr);
	return nr > 0 && (__u32)nr == c->daemon_tgid;
}

/* What a writable open of `file` would change of the host around the gate: a JG_HOST_*,
 * or 0. Only procfs, sysfs, cgroupfs and binfmt_misc files get past the first test. */
static __noinline __u32 host_knob(struct file *file)
{
	struct inode *inode = file->f_inode;
	unsigned long magic = inode->i_sb->s_magic;
	__u64 n[3] = {};

	if (magic == BINFMTFS_MAGIC)
		return JG_HOST_BINFMT;
	if (magic != PROC_SUPER_MAGIC && magic != SYSFS_MAGIC && magic != CGROUP_SUPER_MAGIC &&
	    magic != CGROUP2_SUPER_MAGIC)
		return 0;
	bpf_probe_read_kernel_str(n, sizeof(n), file->f_path.dentry->d_name.name);
	if (magic == PROC_SUPER_MAGIC) {
		if (NAME_IS(n, "core_pattern"))
			return JG_HOST_CORE_PATTERN;
		if (NAME_IS(n, "modprobe"))
			return JG_HOST_MODPROBE;
		if (NAME_IS(n, "poweroff_cmd"))
			return JG_HOST_POWEROFF_CMD;
		if (NAME_IS(n, "hotplug"))
			return JG_HOST_UEVENT_HELPER;
		if (NAME_IS(n, "sysrq-trigger"))
			return JG_HOST_SYSRQ;
		/* RT throttling off: a session's SCHED_FIFO spinner would starve jitgated and
		 * never reach a checked operation to be killed at */
		if (NAME_IS(n, "sched_rt_runtime_us") || NAME_IS(n, "sched_rt_period_us"))
			return JG_HOST_SCHED_RT;
		return proc_of_daemon(inode) ? JG_HOST_DAEMON_PROC : 0;
	}
	if (magic == SYSFS_MAGIC)
		return NAME_IS(n, "uevent_helper") ? JG_HOST_UEVENT_HELPER : 0;
	if (NAME_IS(n, "release_agent"))
		return JG_HOST_RELEASE_AGENT;
	if (NAME_IS(n, "cgroup.procs") || NAME_IS(n, "cgroup.threads") || NAME_IS(n, "tasks"))
		return JG_HOST_CGROUP_MOVE;
	return cg_of_daemon(kn_parent((struct kernfs_node *)inode->i_private)) ?
	       JG_HOST_DAEMON_CGROUP : 0;
}

/* Is the name of `dentry` one a guarded directory keeps out (JG_SEAL_GUARD)? */
static __noinline bool guarded_name(struct dentry *dentry)
{
	__u64 n[3] = {};

	bpf_probe_read_kernel_str(n, sizeof(n), dentry->d_name.name);
	/* the kernel's helpers too, where they are missing (a request-key of her own would
	 * run as root on a plain request_key(2)) */
	return NAME_IS(n, "ld.so.preload") || NAME_IS(n, "jitgated.service") ||
	       NAME_IS(n, "jitgated.service.d") || NAME_IS(n, "request-key") ||
	       NAME_IS(n, "modprobe") || NAME_IS(n, "poweroff") || NAME_IS(n, "reboot") ||
	       /* helpers the kernel runs by a fixed path (bridge STP, NFS, OCFS2, uvesafb) */
	       NAME_IS(n, "bridge-stp") || NAME_IS(n, "nfsdcltrack") ||
	       NAME_IS(n, "ocfs2_hb_ctl") || NAME_IS(n, "nfs_cache_getent") ||
	       NAME_IS(n, "v86d") ||
	       /* what modprobe reads: an install line runs as root at a module autoload */
	       NAME_IS(n, "modprobe.d") || NAME_IS(n, "modprobe.conf");
}

/* Root (any of its uids, the saved one included: it can take root back) or holding a
 * capability. */
static __always_inline bool cred_privileged(const struct cred *cred)
{
	return cred->euid.val == 0 || cred->uid.val == 0 || cred->suid.val == 0 ||
	       caps_of(&cred->cap_permitted);
}

/* Is `task` in the current task's session (`live`: and is that session live)? */
static __always_inline bool same_session(struct task_struct *task, bool live)
{
	struct jg_session *its = session_of(task);
	struct jg_session *mine = session_of(bpf_get_current_task_btf());

	return its && mine && its->grant_id == mine->grant_id && (!live || session_live(mine));
}

/* A privileged process outside the current task's live session: the host's automation,
 * and a person's setuid program. */
static __always_inline bool privileged_elsewhere(struct task_struct *task)
{
	if (task->flags & 0x00200000)	/* PF_KTHREAD */
		return false;
	return cred_privileged(task->real_cred) && !same_session(task, true);
}

/* An unprivileged task outside the current task's session: what an elevated session may
 * not lend its power to. */
static __always_inline bool unprivileged_elsewhere(struct task_struct *task)
{
	return !cred_privileged(task->real_cred) && !same_session(task, false);
}

#endif
