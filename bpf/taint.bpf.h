/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Whose code runs in a process: a standing rule bound to a program gives access to that
 * program's code, not to whatever its user loads into it. Every exec of a program named by
 * a standing rule has its environment checked for variables that make the dynamic loader
 * or libc load or run other code (LD_PRELOAD and the rest, see env_unsafe); a process that
 * is traced, or whose memory another process opened, is tainted too. The verdict lives in
 * task storage (the `taint` map), is copied to children and threads, and is read by
 * standing_allows() (bpf/decide.bpf.h). A later exec starts over. */
#ifndef JG_TAINT_BPF_H
#define JG_TAINT_BPF_H

#include "decide.bpf.h"

#define PTRACE_MODE_ATTACH 0x02

#define JG_ENV_CHUNK    256	/* bytes of a string read at once; a longer one takes more */
#define JG_ENV_SCAN_MAX 16384	/* chunks read per exec (4 MiB of argv and environment);
				 * more is taken as injectable (fail closed) */

struct env_scratch {
	char buf[JG_ENV_CHUNK];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct env_scratch);
} env_scratch_map SEC(".maps");

static __always_inline bool starts(const char *b, const char *lit, __u32 n)
{
	__u32 i;

	for (i = 0; i < n; i++)
		if (b[i] != lit[i])
			return false;
	return true;
}

#define VAR(b, lit) starts(b, lit, sizeof(lit) - 1)

/* The variables glibc removes from the environment of setuid programs
 * (sysdeps/generic/unsecvars.h, UNSECURE_ENVVARS, glibc 2.36) with GLIBC_TUNABLES (listed
 * there for builds without tunables), and every LD_* (the loader's namespace, musl's too). */
static __always_inline bool env_unsafe(const char *b)
{
	switch (b[0]) {
	case 'L':
		return (b[1] == 'D' && b[2] == '_') || VAR(b, "LOCALDOMAIN=") ||
		       VAR(b, "LOCPATH=");
	case 'G':
		return VAR(b, "GCONV_PATH=") || VAR(b, "GETCONF_DIR=") ||
		       VAR(b, "GLIBC_TUNABLES=");
	case 'H':
		return VAR(b, "HOSTALIASES=");
	case 'M':
		return VAR(b, "MALLOC_TRACE=");
	case 'N':
		return VAR(b, "NIS_PATH=") || VAR(b, "NLSPATH=");
	case 'R':
		return VAR(b, "RESOLV_HOST_CONF=") || VAR(b, "RES_OPTIONS=");
	case 'T':
		return VAR(b, "TMPDIR=") || VAR(b, "TZDIR=");
	default:
		return false;
	}
}

struct env_scan {
	unsigned long p;	/* user address of the next read */
	__u32 left;		/* strings not read to their end yet: argv, then envp */
	__u32 envc;		/* left <= envc: an environment string */
	bool cont;		/* p is inside a string (its start was in the last chunk) */
	bool bad;
	char *buf;
};

/* One chunk (a bpf_loop callback). A string's name is in its first chunk; a string longer
 * than a chunk goes on from the chunk's last byte (its NUL from the read): a string of
 * exactly JG_ENV_CHUNK - 1 bytes then reads as "" there, which ends it as well. */
static long env_step(__u32 i, struct env_scan *s)
{
	char *b = s->buf;
	long n;

	if (!s->left)
		return 1;
	n = bpf_probe_read_user_str(b, JG_ENV_CHUNK, (const void *)s->p);
	if (n <= 0) {
		s->bad = true;	/* unreadable: cannot tell, so injectable */
		return 1;
	}
	if (!s->cont && s->left <= s->envc && env_unsafe(b)) {
		s->bad = true;
		return 1;
	}
	if (n >= JG_ENV_CHUNK) {
		s->cont = true;
		s->p += JG_ENV_CHUNK - 1;
		return 0;
	}
	s->cont = false;
	s->p += n;
	s->left--;
	return 0;
}

/* After the new program is committed (a void hook: it records, never denies). The strings
 * are where copy_strings() put them: bprm->p in the new mm, argv then envp, read before
 * the program runs a single instruction. Only programs named by a standing rule of the
 * live policy are checked; any other exec drops the record (a new program, a new
 * question). */
SEC("lsm/bprm_committed_creds")
int BPF_PROG(jg_taint_exec, struct linux_binprm *bprm)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct jg_object_key key = {};
	struct env_scan s = {};
	struct env_scratch *sc;
	struct jg_config *c;
	struct jg_taint *t;
	__u32 zero = 0, *igen = NULL;

	c = bpf_map_lookup_elem(&gate_config, &zero);
	if (c) {
		key.gen = c->gen & 1;
		key.dev = bprm->file->f_inode->i_sb->s_dev;
		key.ino = bprm->file->f_inode->i_ino;
	}
	if (c)
		igen = bpf_map_lookup_elem(&standing_exes, &key);
	if (!c || !c->nstanding[key.gen & 1] || !igen ||
	    (*igen && *igen != bprm->file->f_inode->i_generation)) {
		bpf_task_storage_delete(&taint, task);
		return 0;
	}
	sc = bpf_map_lookup_elem(&env_scratch_map, &zero);
	if (sc) {
		s.buf = sc->buf;
		s.p = bprm->p;
		s.envc = bprm->envc;
		s.left = bprm->argc + s.envc;
		bpf_loop(JG_ENV_SCAN_MAX, env_step, &s, 0);
	}
	t = bpf_task_storage_get(&taint, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!t)
		return 0;	/* no record: the rule is refused to this process */
	t->flags = JG_TAINT_SCANNED | (!sc || s.bad || s.left ? JG_TAINT_ENV : 0) |
		   (task->ptrace ? JG_TAINT_TRACED : 0);
	t->dev = key.dev;
	t->ino = key.ino;
	return 0;
}

/* A child, or a new thread, runs the code its parent runs: it starts with its parent's
 * record, and with its parent's process's taint (a tracer of one thread marks the leader). */
SEC("lsm/task_alloc")
int BPF_PROG(jg_taint_fork, struct task_struct *task, unsigned long clone_flags, int ret)
{
	struct task_struct *cur = bpf_get_current_task_btf();
	struct jg_taint *p, *l, *n;

	if (ret)
		return ret;
	p = bpf_task_storage_get(&taint, cur, 0, 0);
	if (!p)
		return 0;
	n = bpf_task_storage_get(&taint, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!n)
		return 0;	/* no record: refused, fail closed */
	n->flags = p->flags;
	n->dev = p->dev;
	n->ino = p->ino;
	if (cur->group_leader != cur) {
		l = bpf_task_storage_get(&taint, cur->group_leader, 0, 0);
		if (l)
			n->flags |= l->flags & (JG_TAINT_ENV | JG_TAINT_TRACED);
	}
	return 0;
}

/* A plain or: every writer but exec (which holds the locks ptrace needs) sets this bit. */
static __always_inline void taint_traced(struct task_struct *t)
{
	struct jg_taint *s = bpf_task_storage_get(&taint, t, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);

	if (s)
		s->flags |= JG_TAINT_TRACED;
}

/* Another process asks for the power to change this one: PTRACE_ATTACH/SEIZE,
 * /proc/PID/mem, process_vm_writev (and _readv), pidfd_getfd all ask with
 * PTRACE_MODE_ATTACH (only read-mode checks, /proc/PID/stat and the like, do not). The
 * kernel asks only after its own checks passed and never for a process's own threads.
 * The whole process is marked (the target and its leader); while a vfork child has not
 * exec'd yet it shares its parent's memory, so the parent is marked too. */
SEC("lsm/ptrace_access_check")
int BPF_PROG(jg_taint_ptrace, struct task_struct *child, unsigned int mode, int ret)
{
	struct task_struct *parent;

	if (ret)
		return ret;
	if (!(mode & PTRACE_MODE_ATTACH))
		return 0;
	taint_traced(child);
	if (child->group_leader != child)
		taint_traced(child->group_leader);
	if (child->vfork_done) {
		parent = child->real_parent;
		if (parent)
			taint_traced(parent->group_leader);
	}
	return 0;
}

/* PTRACE_TRACEME: the caller asks its parent to trace it. */
SEC("lsm/ptrace_traceme")
int BPF_PROG(jg_taint_traceme, struct task_struct *parent, int ret)
{
	struct task_struct *task = bpf_get_current_task_btf();

	if (ret)
		return ret;
	taint_traced(task);
	if (task->group_leader != task)
		taint_traced(task->group_leader);
	return 0;
}

#endif
