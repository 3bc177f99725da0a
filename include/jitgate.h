/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Types shared by the BPF programs (bpf/gate.bpf.c) and userspace (user/).
 * Fixed-width types only: the same bytes are read on both sides. */
#ifndef JITGATE_H
#define JITGATE_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define JG_PIN_DIR_DEFAULT "/sys/fs/bpf/jitgate"

/* Layout version of the pinned maps and programs; a daemon refuses to adopt pins of another
 * version. 8: the session programs are pinned as programs and attached on demand. */
#define JG_LAYOUT_VERSION 8

#define JG_MAX_RESOURCES   1024    /* resource ids are 1..JG_MAX_RESOURCES-1; 0 is the canary */
#define JG_MAX_OBJECTS     65536   /* protected (dev, ino) entries, both generations together */
#define JG_MAX_GRANTS      16384   /* (subject, resource) entries */
#define JG_MAX_STANDING    16384   /* (subject, resource, executable) entries of standing
                                    * rules, both generations together */
#define JG_MAX_NET_PREFIXES 4096   /* CIDR entries, both generations together */
#define JG_MAX_BIND_PREFIXES 256  /* bind CIDR entries, both generations together */
#define JG_MAX_SESSION_FILES 65536 /* files an elevated session holds open at once (bpf/session_files.bpf.h) */
#define JG_MAX_HELD_FILES  65536   /* open files allowed by a grant or standing rule at once;
                                    * past it the descriptor re-check stays on until unload */
#define JG_MAX_PORT_RANGES 16      /* port ranges on one CIDR (covering prefixes included) */
#define JG_MAX_DEVS        16      /* filesystems holding protected objects, per policy */
#define JG_MAX_DEPTH       256     /* d_parent levels walked; deeper paths on a device with
                                    * protected objects are denied (fail closed) */
#define JG_MAX_NESTED      4       /* protected objects on one path (file, its dirs); more
                                    * is denied (fail closed) */
#define JG_MAX_NAMES       4096    /* names of protected objects, both generations together */
#define JG_MAX_ANCESTORS   4096    /* directories above protected objects, both generations */
#define JG_NAME_KEY_LEN    64      /* bytes of a name kept in its key (longer: cut, so two
                                    * long names may share a key: more protection, not less) */
#define JG_PATH_LEN        256
#define JG_MAX_ELEVATE     4       /* elevate resources per policy */
#define JG_ARGV_LEN        256     /* bytes of argv a session.exec event carries */
#define JG_ARGV_MAX        8       /* and at most this many arguments */
#define JG_COMM_LEN        16
#define JG_MAX_SEALED      1024    /* inodes of the sealed gate (its files, directories and
                                    * the directories above them) */
#define JG_MAX_GATE_MAPS   64      /* the gate's own maps, by id */
#define JG_MAX_SEAL_DEVS   16      /* filesystems holding sealed files; block devices under
                                    * them and under protected filesystems */
#define JG_RINGBUF_DEFAULT (4u << 20)
#define JG_PRIO_RINGBUF_DEFAULT (1u << 20)	/* the priority ring: elevation, trails,
						 * login uid tampering, rebinds */
#define JG_MAX_RATE_SUBJECTS 8192	/* subjects with a denial budget; past it denials are
					 * streamed unlimited (JG_STAT_RATE_FULL) */
#define JG_DENY_RATE_DEFAULT  50	/* denial events streamed per second and subject */
#define JG_DENY_BURST_DEFAULT 500	/* ... and at once after a quiet spell */

#define JG_CANARY_RESOURCE 0

/* Permission bits; the index of a bit is its slot in struct jg_grant. */
enum jg_perm {
	JG_PERM_READ    = 1u << 0,
	JG_PERM_WRITE   = 1u << 1,
	JG_PERM_EXEC    = 1u << 2,
	JG_PERM_CONNECT = 1u << 3,
	JG_PERM_ELEVATE = 1u << 4,
	JG_PERM_BIND    = 1u << 5,
	JG_PERM_ADMIN   = 1u << 6,	/* gate administration (the sealed gate's key) */
};
#define JG_NPERMS 7

/* What kind of check a protected object takes part in. */
enum jg_kind {
	JG_KIND_FILES = 1,		/* file_open: read/write */
	JG_KIND_EXEC  = 2,		/* bprm_check_security: exec */
	JG_KIND_ELEVATE_EXCEPT = 3,	/* a setuid/file-caps program exempt from the elevate gate */
};

enum jg_mode {
	JG_MODE_ENFORCE = 0,
	JG_MODE_AUDIT   = 1,	/* log the would-deny, block nothing */
};

/* Every key carries the policy generation: a reload writes the next generation beside the
 * running one and flips `gen` in the config map, so the kernel sees one policy or the other. */

struct jg_object_key {
	__u32 gen;
	__u32 dev;
	__u64 ino;
};

struct jg_object {
	__u16 resource;
	__u8  kind;		/* enum jg_kind */
	__u8  mode;		/* enum jg_mode */
	__u32 igen;		/* the inode's i_generation when it was found, 0 = unknown (any):
				 * an inode number is reused after a delete, and on btrfs every
				 * subvolume has its own numbers on one device, so (dev, ino) alone
				 * may name another file */
};

/* LPM key: 8 bits of generation, then the address in IPv6 form (IPv4 as ::ffff:a.b.c.d). */
struct jg_net_key {
	__u32 prefixlen;	/* 8 + address prefix length */
	__u8  gen;
	__u8  addr[16];
} __attribute__((packed));

struct jg_port_range {
	__u16 lo;
	__u16 hi;
	__u16 resource;
	__u8  mode;
	__u8  pad;
};

/* One CIDR's port ranges, including those of every shorter prefix that covers it, so the
 * longest-prefix match alone answers the question. */
struct jg_net_value {
	__u32 count;
	__u32 pad;
	struct jg_port_range ranges[JG_MAX_PORT_RANGES];
};

/* Per generation, a bitmap of hashed inode numbers and one of ports: a clear bit proves "not
 * protected" with one memory load, so most opens and connects never reach a hash or LPM
 * lookup. A set bit only means "look it up". */
#define JG_FILTER_WORDS 1024		/* 65536 bits each */

struct jg_filter {
	__u64 ino[JG_FILTER_WORDS];
	__u64 port[JG_FILTER_WORDS];		/* connect endpoints (net_prefixes) */
	__u64 bind_port[JG_FILTER_WORDS];	/* bind endpoints (bind_prefixes) */
	__u64 dir[JG_FILTER_WORDS];		/* directories holding a protected name */
};

/* Fibonacci hashing to 16 bits: inode numbers are often dense, this spreads them. */
static inline __u32 jg_ino_bit(__u64 ino)
{
	return (__u32)((ino * 0x9E3779B97F4A7C15ULL) >> 48);
}

/* A protected object's name (its directory and last component): a new inode put at that
 * name (a rename over it, a create after an unlink) is protected like the object was. */
struct jg_name_key {
	__u32 gen;
	__u32 dev;
	__u64 dir_ino;
	char  name[JG_NAME_KEY_LEN];
};

struct jg_name {
	__u64 ino;		/* the inode the policy found at the name */
	struct jg_object obj;	/* igen is the new inode's when it is carried */
	__u64 pad;
};

struct jg_grant_key {
	__u32 subject;		/* loginuid, else uid */
	__u32 resource;
};

/* Per permission: until when (CLOCK_BOOTTIME ns, 0 = not granted) and by which grant. */
struct jg_grant {
	__u64 expires_ns[JG_NPERMS];
	__u64 grant_id[JG_NPERMS];
};

/* A standing rule, expanded: the subject running the executable (dev, ino; ino 0 = any
 * program) holds the permissions of `value` on the resource, without a grant. */
struct jg_standing_key {
	__u32 gen;
	__u32 subject;		/* loginuid, else uid */
	__u32 resource;
	__u32 dev;		/* kernel dev_t of the executable; 0 with ino 0 */
	__u64 ino;
};

struct jg_config {
	__u32 gen;		/* live policy generation (0 or 1) */
	__u32 layout;		/* JG_LAYOUT_VERSION */
	/* Per generation, the devices (kernel dev_t: major << 20 | minor) that hold protected
	 * objects: the first test on every open, a scan of a few words, no hash lookup. */
	__u32 ndevs[2];
	__u32 devs[2][JG_MAX_DEVS];
	/* Per generation, the resources of kind elevate: a live elevate grant on any of them
	 * lets its subject become root; none in the policy means the elevation gate is off. */
	__u32 nelevate[2];
	__u16 elevate_res[2][JG_MAX_ELEVATE];
	__u8  elevate_mode[2][JG_MAX_ELEVATE];	/* enum jg_mode */
	/* Per generation, how many standing entries there are: none means a missing grant is
	 * a denial without a look at the standing map. */
	__u32 nstanding[2];
	/* Per generation, whether a standing entry carries read or write (file access that
	 * the descriptor re-check must be able to take back). */
	__u32 standing_rw[2];
	/* 1 while file_permission and file_free_security are attached (the descriptor
	 * re-check): only then may an open be allowed by a grant or standing rule. */
	__u32 recheck_armed;
	/* Per generation, how many protected names there are (the names map). */
	__u32 nnames[2];
	/* The per-subject denial budget (a GCRA bucket, set by jitgated at start): one denial
	 * event every deny_interval_ns, deny_tau_ns / deny_interval_ns + 1 at once.
	 * deny_interval_ns 0: every denial is streamed. */
	__u64 deny_interval_ns;
	__u64 deny_tau_ns;
	/* The sealed gate (bpf/seal.bpf.h). Per generation, the gate-admin resource: a live
	 * admin grant on it unseals its subject. */
	__u32 admin_res[2];
	__u32 daemon_tgid;	/* the running jitgated (0: none), set by it at start */
	/* Filesystems (s_dev) that hold sealed files: not unmounted, remounted or mounted
	 * over by a sealed subject. */
	__u32 nseal_fs;
	__u32 seal_fs[JG_MAX_SEAL_DEVS];
	/* Block devices (rdev) a sealed subject may not open: those of sealed and protected
	 * filesystems, their whole disks and the devices under them (dm, md). */
	__u32 nraw_devs;
	__u32 raw_devs[JG_MAX_SEAL_DEVS];
	/* 1 while the session-file and lend programs are attached: only then may an elevated
	 * session begin (an elevate grant written behind jitgated is refused until it is). */
	__u32 session_armed;
};

/* The sealed inodes (the `sealed` map): the gate's files and directories and the path to
 * them, by (dev, ino). jitgated fills it at start; the loader puts its own executable in
 * first. */
struct jg_seal_key {
	__u32 dev;
	__u32 pad;
	__u64 ino;
};

struct jg_seal {
	__u32 flags;		/* JG_SEAL_* */
	__u32 igen;		/* the inode's i_generation, 0 = any */
};

#define JG_SEAL_PATH     1u	/* not renamed, removed or mounted over (the path to the gate's
				 * files: every directory above them) */
#define JG_SEAL_OBJECT   2u	/* nor opened for writing, truncated, chmod'ed, chown'ed or
				 * given extended attributes (the files and their directories) */
#define JG_SEAL_CONTENTS 4u	/* a directory no entry is created in, removed from or renamed
				 * in or out of (the pins, the state directory, the spool) */
#define JG_SEAL_TRUSTED  8u	/* an executable whose processes (no login uid, not elevated)
				 * may open the gate's maps for writing: jitgated */
#define JG_SEAL_ACCOUNTS 32u	/* the user database (passwd, group, shadow, gshadow): sealed
				 * like OBJECT, but an elevate except-listed program (passwd,
				 * chsh) may still change it for the person running it */
#define JG_SEAL_GUARD    16u	/* a directory where the names that would run code in jitgated
				 * or the host's automation (ld.so.preload, jitgated.service,
				 * jitgated.service.d) are not created, linked or renamed to */

enum jg_stat {
	JG_STAT_EVENTS_LOST = 0,	/* ring buffer reserve failed */
	JG_STAT_DENY,
	JG_STAT_ALLOW,
	JG_STAT_AUDIT,
	JG_STAT_TOO_DEEP,
	JG_STAT_HELD_FULL,	/* a granted open found held_files full: re-check stays on */
	JG_STAT_UNARMED,	/* a grant or standing rule used while the re-check was off */
	JG_STAT_SUPPRESSED,	/* denial events not streamed: the subject's rate limit */
	JG_STAT_PRIO_LOST,	/* priority ring buffer reserve failed */
	JG_STAT_DISCONNECTED,	/* denied: a disconnected dentry (no way up to the root) */
	JG_STAT_REBIND,		/* protection carried to a new inode at a protected name */
	JG_STAT_REBIND_FULL,	/* ... that found the objects map full */
	JG_STAT_TAINTED,	/* a standing rule refused: loader environment or ptrace */
	JG_STAT_STALE,		/* an object entry dropped: its inode number was reused */
	JG_STAT_RATE_FULL,	/* a denial streamed past its budget: deny_rate map full */
	JG_STAT_SESSION_END,	/* a task of an ended elevated session killed by the kernel */
	JG_STAT_SESSION_FULL,	/* an elevation refused: no room to mark its session */
	JG_STAT_TAMPER,		/* an operation on the gate itself refused (tamper.deny) */
	JG_STAT_SESSION_FILES_FULL,	/* a file refused to an elevated session: no room to mark it */
	JG_STAT_SESSION_UNARMED,	/* an elevation refused: the session programs were off */
	JG_STAT_MAX,
};

enum jg_event_type {
	JG_EV_DENY  = 1,
	JG_EV_ALLOW = 2,	/* allowed by a grant or a standing rule (JG_EVF_STANDING) */
	JG_EV_AUDIT = 3,	/* would have been denied; resource is in audit mode */
	JG_EV_TRAIL = 4,	/* an exec by a subject holding an elevate grant (session trail) */
	JG_EV_REBIND = 5,	/* a new inode took a protected name: now protected too */
	JG_EV_TAMPER = 6,	/* an operation on the gate itself (its BPF objects, pins, files,
				 * daemon; module loading, raw memory) refused */
	JG_EV_SESSION_FILE = 7,	/* a file changed by an elevated session under a watched tree */
	JG_EV_SESSION_END = 8,	/* the kernel killed a task of an ended elevated session */
};

enum jg_hook {
	JG_HOOK_FILE_OPEN = 1,
	JG_HOOK_EXEC      = 2,
	JG_HOOK_CONNECT   = 3,
	JG_HOOK_LINK      = 4,
	/* write-class operations on protected files */
	JG_HOOK_UNLINK    = 5,
	JG_HOOK_RMDIR     = 6,
	JG_HOOK_RENAME    = 7,
	JG_HOOK_CREATE    = 8,	/* create, mkdir, mknod, symlink inside a protected directory */
	JG_HOOK_SETATTR   = 9,	/* chmod, chown, utimes, truncate */
	JG_HOOK_XATTR     = 10,	/* setxattr, removexattr */
	JG_HOOK_PERMISSION = 11,	/* read/write on an already open descriptor */
	JG_HOOK_MMAP      = 12,
	/* network */
	JG_HOOK_SENDMSG   = 13,	/* unconnected UDP sendto/sendmsg, TCP Fast Open */
	JG_HOOK_BIND      = 14,
	/* elevation */
	JG_HOOK_SETUID_EXEC = 15,	/* exec of a setuid/setgid-root or file-capability program */
	JG_HOOK_SETUID    = 16,	/* setuid-family transition to uid 0 */
	JG_HOOK_SETGID    = 17,	/* setgid-family transition to gid 0 */
	JG_HOOK_MPROTECT  = 18,	/* mprotect adding PROT_EXEC to a file mapping */
	JG_HOOK_D_INSTANTIATE = 19,	/* a name created (create, link, mknod, symlink) */
	JG_HOOK_XATTR_READ = 20,	/* getxattr, listxattr */
	/* the sealed gate */
	JG_HOOK_BPF       = 21,	/* the bpf() syscall */
	JG_HOOK_BPF_OBJ   = 22,	/* a descriptor of one of the gate's maps or programs */
	JG_HOOK_KERNEL_LOAD = 23,	/* module, kexec image, firmware, policy loaded into the kernel */
	JG_HOOK_LOCKDOWN  = 24,	/* /dev/mem, /dev/port, /proc/kcore and the like */
	JG_HOOK_PTRACE    = 25,
	JG_HOOK_KILL      = 26,	/* a signal to jitgated */
	/* elevated sessions */
	JG_HOOK_FORK      = 27,	/* fork/clone (task_alloc) */
	JG_HOOK_MOUNT     = 28,	/* mount, umount, remount, move_mount on the gate's files */
	/* the host around the gate (bpf/seal_host.bpf.h) */
	JG_HOOK_SIGIO     = 29,	/* a signal to jitgated through a file owner (F_SETOWN) */
	JG_HOOK_TASKCTL   = 30,	/* prlimit, nice, ioprio, scheduler of jitgated */
	JG_HOOK_HOST      = 31,	/* the kernel's root helpers, binfmt_misc, cgroups, sysrq,
				 * jitgated's /proc files: tamper.what is a JG_HOST_* */
};

#define JG_AF_INET  2
#define JG_AF_INET6 10

struct jg_event {
	__u64 boot_ns;
	__u64 grant_id;
	__u32 type;		/* enum jg_event_type */
	__u32 hook;		/* enum jg_hook */
	__u32 subject;
	__u32 loginuid;
	__u32 uid;
	__u32 euid;
	__u32 pid;		/* tgid */
	__u32 tid;
	__u32 ppid;
	__u16 resource;
	__u16 perm;		/* the one enum jg_perm bit that decided */
	__s32 ret;		/* what the hook returned */
	__u32 flags;		/* JG_EVF_* */
	char  comm[JG_COMM_LEN];
	union {
		struct {
			__u64 ino;	/* the opened file */
			__u32 dev;
			__u32 pad;
			__u64 prot_ino;	/* the protected object that matched (itself or ancestor) */
		} file;
		struct {
			__u16 family;
			__u16 port;
			__u32 pad;
			__u8  addr[16];
		} net;
		struct {
			__u64 ino;	/* the inode concerned (0: none) */
			__u32 dev;
			__u32 what;	/* bpf: the command; bpf_object: 1 map; kernel_load: the
					 * kernel's read/load id; lockdown: the reason; ptrace:
					 * the mode; kill: the signal; mount: JG_SEAL_MNT_* */
			__u64 id;	/* bpf_object: the map id; ptrace, kill: the target tgid */
		} tamper;	/* JG_EV_TAMPER */
		struct {
			__u32 uid;	/* JG_HOOK_SETUID/SETGID: the ids asked for */
			__u32 euid;
			__u32 suid;
			__u32 fsuid;
		} setid;
	};
	char  path[JG_PATH_LEN];
	char  exe[JG_PATH_LEN];	/* the acting process's executable */
};

#define JG_EVF_TOO_DEEP  (1u << 0)	/* denied because the ancestor walk hit JG_MAX_DEPTH */
#define JG_EVF_PATH_OK   (1u << 1)	/* path holds a resolved name */
#define JG_EVF_EXE_OK    (1u << 2)	/* exe holds a resolved name */
#define JG_EVF_LOGINUID  (1u << 3)	/* refused: an unprivileged task setting its loginuid */
#define JG_EVF_STANDING  (1u << 4)	/* allowed by a standing rule (grant_id is 0) */
#define JG_EVF_PATH_REL  (1u << 5)	/* hooks without a struct path: path holds the names
					 * below the protected object prot_ino ("" for the
					 * object itself), or from the filesystem's root when
					 * JG_EVF_PATH_FSROOT */
#define JG_EVF_PATH_FSROOT (1u << 6)
#define JG_EVF_PATH_CUT  (1u << 7)	/* more than JG_NAME_LEVELS names: the outer ones are
					 * missing */
#define JG_EVF_DISCONNECTED (1u << 8)	/* denied: the dentry is disconnected from its root
					 * (open_by_handle_at, NFS export): no ancestor walk */
#define JG_EVF_STACKED   (1u << 9)	/* reached through a stacking filesystem (overlayfs):
					 * decided on the real inode */
#define JG_EVF_TAINTED   (1u << 10)	/* a standing rule did not apply: the process's loader
					 * environment was injectable or it was traced */
#define JG_EVF_PRIO      (1u << 11)	/* came on the priority ring buffer */
#define JG_EVF_ANCESTOR  (1u << 12)	/* a rename of a directory above a protected object */
#define JG_NAME_LEVELS   16

/* What a refused JG_HOOK_MOUNT was (tamper.what). */
#define JG_SEAL_MNT_MOUNT   1	/* mount over a sealed path */
#define JG_SEAL_MNT_UMOUNT  2	/* unmount a filesystem holding sealed files */
#define JG_SEAL_MNT_REMOUNT 3	/* remount it (read-only, other options) */
#define JG_SEAL_MNT_MOVE    4	/* move a mount onto or off a sealed path */

/* What a refused JG_HOOK_HOST was (tamper.what). */
#define JG_HOST_CORE_PATTERN  1	/* kernel.core_pattern (a pipe runs as root) */
#define JG_HOST_MODPROBE      2	/* kernel.modprobe (module autoload runs it) */
#define JG_HOST_POWEROFF_CMD  3	/* kernel.poweroff_cmd */
#define JG_HOST_UEVENT_HELPER 4	/* kernel.hotplug, /sys/kernel/uevent_helper */
#define JG_HOST_RELEASE_AGENT 5	/* a cgroup v1 release_agent (file or mount option) */
#define JG_HOST_BINFMT        6	/* binfmt_misc: an interpreter in front of every exec */
#define JG_HOST_SYSRQ         7	/* /proc/sysrq-trigger */
#define JG_HOST_CGROUP_MOVE   8	/* cgroup.procs, cgroup.threads, tasks: moving processes */
#define JG_HOST_DAEMON_CGROUP 9	/* a control file of jitgated's cgroup or one above it */
#define JG_HOST_DAEMON_PROC   10	/* /proc/PID/... of jitgated (oom_score_adj and the rest) */
#define JG_HOST_URING_CREDS   11	/* an io_uring personality stronger than the task */
#define JG_HOST_SCHED_RT      12	/* kernel.sched_rt_runtime_us / _period_us (RT throttling) */
#define JG_HOST_PRIVMODE      13	/* setuid/setgid bits or file capabilities set by a session */
#define JG_HOST_LEND          14	/* limits, priority or scheduling lent to an unprivileged task */
#define JG_HOST_LEND_FILE     15	/* a session's descriptor received outside it (SCM_RIGHTS, pidfd_getfd) */
#define JG_HOST_SHARED_RING   16	/* an io_uring ring from outside a session, taken into it */
#define JG_HOST_LEND_SOCKET   17	/* a socket from outside a session bound, listened, connected or set by it (tamper.id: JG_LEND_*) */
#define JG_HOST_LEND_SIGIO    18	/* a signal through a file owner an ended session set (tamper.id: its grant) */
#define JG_HOST_SESSION_TRACE 19	/* a session's process traced or its /proc links followed from outside it */
#define JG_HOST_LEND_TUN      20	/* a tun/tap device made persistent or given an owner by a session */
#define JG_HOST_LEND_DEVICE   21	/* a device node made, or its owner, mode or ACL changed, by a session */
#define JG_HOST_LEND_KNOB     22	/* a knob relaxing a limit for unprivileged users written by a session */
#define JG_HOST_LEND_PROC     23	/* an unprivileged process's /proc files written by a session */
#define JG_HOST_SHARED_INOTIFY  24	/* an inotify descriptor from outside a session, taken into it */
#define JG_HOST_SHARED_FANOTIFY 25	/* a fanotify descriptor from outside a session, taken into it */
#define JG_HOST_SHARED_EPOLL    26	/* an epoll descriptor from outside a session, taken into it */
#define JG_HOST_NETNS_MOVE      27	/* a network link moved into another namespace by a session */
#define JG_HOST_WIDEN_MODE      28	/* group/other bits, owner or ACL of a file the session did not create */

/* The socket operation of a refused JG_HOST_LEND_SOCKET (tamper.id). */
#define JG_LEND_BIND       1
#define JG_LEND_LISTEN     2
#define JG_LEND_CONNECT    3
#define JG_LEND_SETSOCKOPT 4

/* What a refused JG_HOOK_TASKCTL was (tamper.what). */
#define JG_TASKCTL_PRLIMIT 1
#define JG_TASKCTL_NICE    2
#define JG_TASKCTL_IOPRIO  3
#define JG_TASKCTL_SCHED   4

/* What a refused JG_HOOK_LOCKDOWN was (tamper.what): each kernel numbers its lockdown
 * reasons its own way, so the gate names the ones it knows (CO-RE) and sends
 * JG_LD_OTHER | the kernel's number for the rest. */
#define JG_LD_DEV_MEM   1	/* /dev/mem, /dev/kmem, /dev/port */
#define JG_LD_KCORE     2	/* /proc/kcore */
#define JG_LD_KEXEC     3
#define JG_LD_IOPORT    4	/* ioperm, iopl */
#define JG_LD_MSR       5
#define JG_LD_MODPARAM  6	/* unsafe module parameters */
#define JG_LD_HIBERNATE 7
#define JG_LD_DEBUGFS   8
#define JG_LD_PCI       9	/* PCI config space, BARs */
#define JG_LD_ACPI      10	/* ACPI tables, custom methods */
#define JG_LD_OTHER     0x100		/* names of such a path, innermost first */

/* A JG_EV_TRAIL record (longer than the others): an exec by a subject holding an elevate
 * grant. ev.path is the program, ev.file its (dev, ino). */
struct jg_trail {
	struct jg_event ev;
	__u32 argc;		/* arguments the program got */
	__u16 argv_len;		/* bytes of argv used (<= JG_ARGV_LEN): the first arguments,
				 * each NUL-terminated, the last one maybe cut short */
	__u16 cwd_len;		/* 0: the working directory could not be resolved */
	char  cwd[JG_PATH_LEN];
	char  argv[2 * JG_ARGV_LEN];	/* twice the room: the verifier must see every string
					 * read (of up to JG_ARGV_LEN) fit */
};

/* A subject's denial budget (the deny_rate map, key: subject), a GCRA token bucket. The
 * kernel updates it under the lock; the counters only grow, so userspace reads them without
 * it. Every denial that reaches the event stage counts in `denied` and either is streamed
 * or counts in `suppressed`. */
struct jg_deny_rate {
	__u32 lock;		/* struct bpf_spin_lock in the kernel's view of the map */
	__u32 pad;
	__u64 tat_ns;		/* theoretical arrival time of the next denial (boot ns) */
	__u64 denied;		/* denials of this subject that would be streamed */
	__u64 suppressed;	/* ... of them not streamed: over the budget */
};

/* An elevated session: task storage (the sessions map) on every task that became root or
 * gained a capability under an elevate grant, and on every task it forks. It names the
 * human, not the task's ids: an elevated task may change its uid and loginuid. The session
 * ends when the grant it began under is no longer live (expired, revoked, replaced); from
 * then on every checked operation of its tasks kills them (bpf/session.bpf.h), and jitgated
 * ends them all at once. */
struct jg_session {
	__u64 grant_id;		/* the elevate grant it began under */
	__u64 started_ns;	/* boot ns of the elevation */
	__u32 subject;		/* the human holding the grant */
	__u16 resource;		/* the elevate resource */
	__u16 flags;		/* JG_SESS_* */
};

#define JG_SESS_KILLED 1u	/* the kernel sent SIGKILL: its session.end event is out */

/* The session trail's watched trees (the watched map, key struct jg_object_key): files
 * created, written, renamed, unlinked or re-permissioned under one of them by a task of an
 * elevated session are streamed as JG_EV_SESSION_FILE. */
#define JG_MAX_WATCH 512		/* watched trees, both generations together */

/* A watched tree: the elevate resources whose sessions it is watched for (0: unused slot),
 * and its directory's i_generation when it was resolved (0: any). */
struct jg_watch {
	__u32 igen;
	__u16 resource[JG_MAX_ELEVATE];
	__u32 pad;
};

/* What a task of an elevated session did to a file under a watched tree. */
enum jg_trail_op {
	JG_TOP_WRITE = 1,	/* opened for writing (an open that created it: JG_TOP_CREATE) */
	JG_TOP_CREATE,
	JG_TOP_MKDIR,
	JG_TOP_MKNOD,
	JG_TOP_SYMLINK,
	JG_TOP_LINK,
	JG_TOP_UNLINK,
	JG_TOP_RMDIR,
	JG_TOP_RENAME,
	JG_TOP_CHMOD,
	JG_TOP_CHOWN,
	JG_TOP_TRUNCATE,
};

/* A JG_EV_SESSION_FILE record. ev.path names the file: the whole path (JG_EVF_PATH_OK), else
 * the names below the watched tree ev.file.prot_ino (JG_EVF_PATH_REL), or from the
 * filesystem's root (JG_EVF_PATH_FSROOT). ev.grant_id and ev.subject are the session's. */
struct jg_file_trail {
	struct jg_event ev;
	__u32 op;		/* enum jg_trail_op */
	__u32 mode;		/* create, mkdir, mknod, chmod: the mode asked for */
	__u32 uid;		/* chown: the new owner, (__u32)-1 unchanged */
	__u32 gid;
	__u64 size;		/* truncate: the new size */
	__u64 to_watch_ino;	/* rename, link: the watched tree above `to` (0: none) */
	__u32 to_flags;		/* JG_EVF_PATH_* of `to` */
	__u32 pad;
	char  to[JG_PATH_LEN];	/* rename, link: the new name; symlink: the link's target */
};

#ifndef __cplusplus
_Static_assert(sizeof(struct jg_session) == 24, "jg_session layout changed");
_Static_assert(sizeof(struct jg_watch) == 16, "jg_watch layout changed");
_Static_assert(sizeof(struct jg_file_trail) == sizeof(struct jg_event) + 40 + JG_PATH_LEN,
	       "jg_file_trail layout changed");
_Static_assert(sizeof(struct jg_deny_rate) == 32, "jg_deny_rate layout changed");
_Static_assert(sizeof(struct jg_event) == 104 + 2 * JG_PATH_LEN, "jg_event layout changed");
_Static_assert(sizeof(struct jg_net_key) == 21, "jg_net_key must be packed");
_Static_assert(sizeof(struct jg_grant) == 16 * JG_NPERMS, "jg_grant layout changed");
_Static_assert(sizeof(struct jg_standing_key) == 24, "jg_standing_key layout changed");
_Static_assert(sizeof(struct jg_name_key) == 16 + JG_NAME_KEY_LEN, "jg_name_key layout changed");
_Static_assert(sizeof(struct jg_name) == 24, "jg_name layout changed");
_Static_assert(sizeof(struct jg_object) == 8, "jg_object layout changed");
_Static_assert(sizeof(struct jg_seal_key) == 16, "jg_seal_key layout changed");
_Static_assert(sizeof(struct jg_seal) == 8, "jg_seal layout changed");
#endif

#endif /* JITGATE_H */
