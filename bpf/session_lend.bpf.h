/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* What an elevated session lends to objects it did not make. The person's plain processes
 * keep their own sockets, pipes and processes after the session; root's power put into
 * them while it lasted would stay (bpf/session_files.bpf.h keeps the session's own files
 * in it). So a session task does not:
 *  - bind, listen, connect or set options on a socket from outside the session: a
 *    privileged port, SO_MARK, IP_TRANSPARENT, or a unix socket listening or connected
 *    with root's peer credentials would be hers after the revoke;
 *  - leave a signal owner with root's credentials on a file from outside: F_SETOWN is
 *    recorded (its hook cannot refuse), and once the session is over the kernel sends
 *    no signal through it (her write would SIGKILL any root process);
 *  - make a tun/tap device persistent or give it an owner or group;
 *  - make a device node, or change a device node's owner, group, mode or ACL;
 *  - write an unprivileged process's /proc files (her user namespace's uid_map), a knob
 *    that relaxes a limit for unprivileged users, or a setuid or setgid program;
 *  - (bpf/session_host.bpf.h) move a network link into another namespace, or widen the
 *    mode, owner or ACL of a file or directory it did not create;
 * and no task outside the session traces it or follows its /proc links (/proc/PID/fd,
 * cwd, root: a session process turned back into her uid would hand her root's file or a
 * directory she cannot search). The host's automation and gate-admin holders keep all of
 * it. Each refusal is a tamper.deny. */
#ifndef JG_SESSION_LEND_BPF_H
#define JG_SESSION_LEND_BPF_H

#include "session_host.bpf.h"

/* A socket from outside the session, acted on by a session task (op: JG_LEND_*). */
static __always_inline int lend_socket(struct socket *sock, __u32 op)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct seal_who w;
	struct file *file;

	if (!session_of(task))
		return 0;
	file = sock->file;
	if (!file || session_file(file))
		return 0;
	seal_human(task, &w);
	if (seal_admin(&w))
		return 0;
	return seal_refuse(&w, JG_HOOK_HOST, JG_HOST_LEND_SOCKET, op, NULL, NULL, NULL, false);
}

SEC("lsm/socket_bind")
int BPF_PROG(jg_lend_bind, struct socket *sock, struct sockaddr *address, int addrlen, int ret)
{
	return ret ? ret : lend_socket(sock, JG_LEND_BIND);
}

SEC("lsm/socket_listen")
int BPF_PROG(jg_lend_listen, struct socket *sock, int backlog, int ret)
{
	return ret ? ret : lend_socket(sock, JG_LEND_LISTEN);
}

SEC("lsm/socket_connect")
int BPF_PROG(jg_lend_connect, struct socket *sock, struct sockaddr *address, int addrlen,
	     int ret)
{
	return ret ? ret : lend_socket(sock, JG_LEND_CONNECT);
}

SEC("lsm/socket_setsockopt")
int BPF_PROG(jg_lend_sockopt, struct socket *sock, int level, int optname, int ret)
{
	return ret ? ret : lend_socket(sock, JG_LEND_SETSOCKOPT);
}

/* F_SETOWN (and leases, FIOSETOWN): a session setting the owner of a file from outside is
 * recorded with the session; anyone else setting it clears the record. The hook's return
 * is ignored by the kernel: a full map is only counted (and the SIGIO then goes). */
SEC("lsm/file_set_fowner")
int BPF_PROG(jg_lend_fowner, struct file *file)
{
	struct jg_session_file rec = {}, *m;
	struct jg_session *s;
	__u64 key = (__u64)file;
	__u32 zero = 0;
	__s64 *n;

	s = session_of(bpf_get_current_task_btf());
	n = bpf_map_lookup_elem(&session_files_count, &zero);
	if (!n)
		return 0;
	m = *n > 0 ? bpf_map_lookup_elem(&session_files, &key) : NULL;
	if (m && !(m->flags & JG_SFILE_FOWNER))
		return 0;	/* the session's own file stays in the session */
	if (!s) {
		if (m && !bpf_map_delete_elem(&session_files, &key))
			__sync_fetch_and_add(n, -1);
		return 0;
	}
	rec.grant_id = s->grant_id;
	rec.subject = s->subject;
	rec.resource = s->resource;
	rec.flags = JG_SFILE_FOWNER;
	if (m) {
		*m = rec;
		return 0;
	}
	if (bpf_map_update_elem(&session_files, &key, &rec, BPF_NOEXIST)) {
		stat_inc(JG_STAT_SESSION_FILES_FULL);
		return 0;
	}
	__sync_fetch_and_add(n, 1);
	return 0;
}

/* A signal through a file owner a session set, or through a file of a session, once that
 * session is over: refused, said once per file (her loop of writes would otherwise flood the record), counted always. */
SEC("lsm/file_send_sigiotask")
int BPF_PROG(jg_lend_sigio, struct task_struct *tsk, struct fown_struct *fown, int sig, int ret)
{
	struct jg_session_file *m;
	struct seal_who w = {};
	__u32 zero = 0;
	__s64 *n;
	__u64 key;

	if (ret)
		return ret;
	n = bpf_map_lookup_elem(&session_files_count, &zero);
	if (!n || *n <= 0)
		return 0;
	key = (__u64)fown - bpf_core_field_offset(struct file, f_owner);
	m = bpf_map_lookup_elem(&session_files, &key);
	/* a file from outside whose owner a session set, or one of the session's own (a FIFO
	 * reader left in her socket: her write would signal through it) */
	if (!m || grant_for(m->subject, m->resource, JG_PERM_ELEVATE, bpf_ktime_get_boot_ns()) ==
		    m->grant_id)
		return 0;
	if (m->flags & JG_SFILE_SAID) {
		stat_inc(JG_STAT_TAMPER);
		return -EPERM;
	}
	m->flags |= JG_SFILE_SAID;
	if (!seal_human(bpf_get_current_task_btf(), &w)) {
		w.subject = m->subject;	/* the I/O of automation: name the session's human */
		w.loginuid = (__u32)-1;
	}
	return seal_refuse(&w, JG_HOOK_HOST, JG_HOST_LEND_SIGIO, m->grant_id, NULL, NULL, NULL,
			   false);
}

/* Tracing a session's task, or following its /proc links, from outside the session (any
 * mode: /proc/PID/fd is a read-mode check). The same session's tasks, the host's
 * automation and gate-admin holders may. */
SEC("lsm/ptrace_access_check")
int BPF_PROG(jg_lend_trace, struct task_struct *child, unsigned int mode, int ret)
{
	struct task_struct *task;
	struct jg_session *cs, *mine;
	struct seal_who w;

	if (ret)
		return ret;
	cs = session_of(child);
	if (!cs)
		return 0;
	task = bpf_get_current_task_btf();
	mine = session_of(task);
	if (mine && mine->grant_id == cs->grant_id)
		return 0;
	if (outside_may(task, &w))
		return 0;
	if (mode & PTRACE_MODE_NOAUDIT_SEAL) {	/* ps reading /proc/PID/stat: quietly */
		stat_inc(JG_STAT_TAMPER);
		return -EPERM;
	}
	return seal_refuse(&w, JG_HOOK_HOST, JG_HOST_SESSION_TRACE, child->tgid, NULL, NULL, NULL,
			   false);
}

/* include/uapi/linux/if_tun.h: _IOW('T', 203 | 204 | 206, int) */
#define JG_TUNSETPERSIST 0x400454cbu
#define JG_TUNSETOWNER   0x400454ccu
#define JG_TUNSETGROUP   0x400454ceu

/* A persistent tun/tap device outlives the session; with an owner or group it is hers to
 * attach to after the revoke. A non-persistent one goes with the session's descriptor. */
SEC("lsm/file_ioctl")
int BPF_PROG(jg_lend_ioctl, struct file *file, unsigned int cmd, unsigned long arg, int ret)
{
	if (ret)
		return ret;
	if (cmd != JG_TUNSETOWNER && cmd != JG_TUNSETGROUP && !(cmd == JG_TUNSETPERSIST && arg))
		return 0;
	if (!session_of(bpf_get_current_task_btf()))
		return 0;
	return seal_refuse_human(JG_HOOK_HOST, JG_HOST_LEND_TUN, cmd);
}

/* ------------------------------------------------------------------ writable opens
 * A session writing into what her plain processes keep: the /proc files of an unprivileged
 * process outside the session (the uid_map of her own user namespace made 0-4294967295
 * would give that namespace every host uid; oom_score_adj, autogroup), the knobs that
 * relax a limit for unprivileged users (a privileged port for anyone, the kernel log,
 * kernel pointers, perf, unprivileged BPF and user namespaces, the protected_* links), and
 * the contents of a setuid or setgid program (root's CAP_FSETID keeps the bit). */
#define JG_S_ISUID 04000
#define JG_S_ISGID 02000
#define JG_S_IXGRP 00010
#define KW32(lit, i) \
	(((const __u64 *)(lit "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"))[i])
#define NAME_IS32(n, lit) ((n)[0] == KW32(lit, 0) && (n)[1] == KW32(lit, 1) && \
			   (n)[2] == KW32(lit, 2) && (n)[3] == KW32(lit, 3))

static __noinline bool relaxing_knob(struct dentry *d)
{
	__u64 n[4] = {};

	bpf_probe_read_kernel_str(n, sizeof(n), BPF_CORE_READ(d, d_name.name));
	return NAME_IS32(n, "ip_unprivileged_port_start") || NAME_IS32(n, "ping_group_range") ||
	       NAME_IS32(n, "dmesg_restrict") || NAME_IS32(n, "kptr_restrict") ||
	       NAME_IS32(n, "perf_event_paranoid") || NAME_IS32(n, "unprivileged_bpf_disabled") ||
	       NAME_IS32(n, "unprivileged_userfaultfd") ||
	       NAME_IS32(n, "unprivileged_userns_clone") || NAME_IS32(n, "max_user_namespaces") ||
	       NAME_IS32(n, "protected_symlinks") || NAME_IS32(n, "protected_hardlinks") ||
	       NAME_IS32(n, "protected_fifos") || NAME_IS32(n, "protected_regular") ||
	       NAME_IS32(n, "suid_dumpable") || NAME_IS32(n, "ptrace_scope") ||
	       NAME_IS32(n, "mmap_min_addr") || NAME_IS32(n, "randomize_va_space");
}

/* The task a /proc/PID inode is of is unprivileged and not the current process. */
static __noinline bool proc_of_unprivileged(struct inode *inode)
{
	struct proc_inode *pi = (struct proc_inode *)((__u64)inode -
						       bpf_core_field_offset(struct proc_inode,
									     vfs_inode));
	struct pid *pid = BPF_CORE_READ(pi, pid);
	struct hlist_node *first;
	struct task_struct *t;
	const struct cred *cred;
	kernel_cap_t caps;
	int nr;

	if (!pid)
		return false;
	nr = BPF_CORE_READ(pid, numbers[0].nr);
	if (nr <= 0 || (__u32)nr == (__u32)(bpf_get_current_pid_tgid() >> 32))
		return false;
	first = BPF_CORE_READ(pid, tasks[PIDTYPE_PID].first);
	if (!first)
		return false;
	t = (struct task_struct *)((__u64)first - bpf_core_field_offset(struct task_struct,
									   pid_links));
	cred = BPF_CORE_READ(t, real_cred);
	if (!cred)
		return false;
	caps = BPF_CORE_READ(cred, cap_permitted);
	/* capabilities count in the initial user namespace only: hers, in a namespace of her
	 * own, are the reason for the rule */
	return BPF_CORE_READ(cred, euid.val) && BPF_CORE_READ(cred, uid.val) &&
	       BPF_CORE_READ(cred, suid.val) &&
	       (BPF_CORE_READ(cred, user_ns, level) || !caps_of(&caps));
}

SEC("lsm/file_open")
int BPF_PROG(jg_lend_open, struct file *file, int ret)
{
	struct inode *inode;
	__u32 what = 0;
	umode_t mode;

	if (ret)
		return ret;
	if (!(file->f_mode & FMODE_WRITE) || !session_of(bpf_get_current_task_btf()))
		return 0;
	inode = file->f_inode;
	mode = inode->i_mode;
	if ((mode & S_IFMT) == S_IFREG &&
	    ((mode & JG_S_ISUID) || ((mode & JG_S_ISGID) && (mode & JG_S_IXGRP))))
		what = JG_HOST_PRIVMODE;
	else if (inode->i_sb->s_magic == PROC_SUPER_MAGIC)
		what = proc_of_unprivileged(inode) ? JG_HOST_LEND_PROC :
		       relaxing_knob(file->f_path.dentry) ? JG_HOST_LEND_KNOB : 0;
	return what ? seal_refuse_human(JG_HOOK_HOST, what, 0) : 0;
}

/* ------------------------------------------------------------------ device nodes
 * A device node the session makes, or hands over (owner, group, mode, ACL), is hers to open
 * after the revoke: a SCSI generic disk reads every block, a console's screen or an input
 * device its user's keys. Root in the session opens devices as it likes. */

static __always_inline int lend_device(umode_t mode)
{
	mode &= S_IFMT;
	if ((mode != S_IFCHR && mode != S_IFBLK) || !session_of(bpf_get_current_task_btf()))
		return 0;
	return seal_refuse_human(JG_HOOK_HOST, JG_HOST_LEND_DEVICE, mode);
}

SEC("lsm/inode_mknod")
int BPF_PROG(jg_lend_mknod, struct inode *dir, struct dentry *dentry, umode_t mode, dev_t rdev,
	     int ret)
{
	return ret ? ret : lend_device(mode);
}

/* The arguments move with the idmap (bpf/files.bpf.h, SETATTR_ARGS). */
SEC("lsm/inode_setattr")
int jg_lend_setattr(unsigned long long *ctx)
{
	struct dentry *dentry;
	struct iattr *attr;
	struct inode *inode;
	long ret;

	SETATTR_ARGS(ctx, dentry, attr, ret);
	if ((int)ret)
		return (int)ret;
	if (!(BPF_CORE_READ(attr, ia_valid) & (JG_ATTR_MODE | JG_ATTR_UID | JG_ATTR_GID)))
		return 0;
	inode = BPF_CORE_READ(dentry, d_inode);
	if (!inode)
		return 0;
	ret = lend_device(BPF_CORE_READ(inode, i_mode));
	return ret ? (int)ret : widen_attr(dentry, attr);
}

SEC("lsm/inode_setxattr")
int BPF_PROG(jg_lend_acl, void *ns, struct dentry *dentry, const char *name, const void *value,
	     size_t size, int flags, int ret)
{
	static const char acl[] = "system.posix_acl";
	char buf[sizeof(acl)] = {};
	struct inode *inode;

	if (ret)
		return ret;
	if (bpf_probe_read_kernel_str(buf, sizeof(buf), name) != sizeof(acl))
		return 0;
	for (int i = 0; i < (int)sizeof(acl) - 1; i++)
		if (buf[i] != acl[i])
			return 0;
	inode = dentry->d_inode;
	if (!inode)
		return 0;
	ret = lend_device(inode->i_mode);
	return ret ? ret : widen_acl(dentry);
}

#endif
