// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The tamper.deny record of a kernel refusal (bpf/seal.bpf.h, seal_host.bpf.h,
 * session_files.bpf.h, session_lend.bpf.h): the operation, the target and the human, in
 * words. */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "daemon/daemon.h"

static const char *bpf_cmd_name(uint32_t cmd)
{
	static const char *const names[] = {
		"BPF_MAP_CREATE", "BPF_MAP_LOOKUP_ELEM", "BPF_MAP_UPDATE_ELEM",
		"BPF_MAP_DELETE_ELEM", "BPF_MAP_GET_NEXT_KEY", "BPF_PROG_LOAD", "BPF_OBJ_PIN",
		"BPF_OBJ_GET", "BPF_PROG_ATTACH", "BPF_PROG_DETACH", "BPF_PROG_TEST_RUN",
		"BPF_PROG_GET_NEXT_ID", "BPF_MAP_GET_NEXT_ID", "BPF_PROG_GET_FD_BY_ID",
		"BPF_MAP_GET_FD_BY_ID", "BPF_OBJ_GET_INFO_BY_FD", "BPF_PROG_QUERY",
		"BPF_RAW_TRACEPOINT_OPEN", "BPF_BTF_LOAD", "BPF_BTF_GET_FD_BY_ID",
		"BPF_TASK_FD_QUERY", "BPF_MAP_LOOKUP_AND_DELETE_ELEM", "BPF_MAP_FREEZE",
		"BPF_BTF_GET_NEXT_ID", "BPF_MAP_LOOKUP_BATCH", "BPF_MAP_LOOKUP_AND_DELETE_BATCH",
		"BPF_MAP_UPDATE_BATCH", "BPF_MAP_DELETE_BATCH", "BPF_LINK_CREATE",
		"BPF_LINK_UPDATE", "BPF_LINK_GET_FD_BY_ID", "BPF_LINK_GET_NEXT_ID",
		"BPF_ENABLE_STATS", "BPF_ITER_CREATE", "BPF_LINK_DETACH", "BPF_PROG_BIND_MAP",
	};

	return cmd < sizeof(names) / sizeof(names[0]) ? names[cmd] : NULL;
}

static const char *kernel_load_name(uint32_t id)
{
	/* enum kernel_read_file_id and kernel_load_data_id share their numbering */
	static const char *const names[] = { "unknown", "firmware", "module", "kexec image",
					     "kexec initramfs", "security policy",
					     "x509 certificate" };

	id &= 0xff;
	return id < sizeof(names) / sizeof(names[0]) ? names[id] : "unknown";
}

static const char *lockdown_name(uint32_t code)
{
	switch (code) {
	case JG_LD_DEV_MEM:  return "/dev/mem, /dev/kmem or /dev/port";
	case JG_LD_KCORE:    return "/proc/kcore";
	case JG_LD_KEXEC:    return "kexec of an unsigned image";
	case JG_LD_IOPORT:   return "raw I/O ports (ioperm, iopl)";
	case JG_LD_MSR:      return "model-specific registers";
	case JG_LD_MODPARAM: return "unsafe module parameters";
	case JG_LD_HIBERNATE: return "hibernation";
	case JG_LD_DEBUGFS:  return "debugfs";
	case JG_LD_PCI:      return "PCI configuration or BARs";
	case JG_LD_ACPI:     return "ACPI tables";
	default:             return "another integrity-lockdown operation";
	}
}

static const char *taskctl_name(uint32_t what)
{
	switch (what) {
	case JG_TASKCTL_PRLIMIT: return "set a resource limit of jitgated (prlimit)";
	case JG_TASKCTL_NICE:    return "change jitgated's priority (nice)";
	case JG_TASKCTL_IOPRIO:  return "change jitgated's I/O priority";
	case JG_TASKCTL_SCHED:   return "change jitgated's scheduling policy";
	default:                 return "control jitgated's process";
	}
}

static const char *host_name(uint32_t what)
{
	switch (what) {
	case JG_HOST_CORE_PATTERN:  return "redirect core dumps (kernel.core_pattern)";
	case JG_HOST_MODPROBE:      return "redirect module autoload (kernel.modprobe)";
	case JG_HOST_POWEROFF_CMD:  return "redirect the poweroff helper (kernel.poweroff_cmd)";
	case JG_HOST_UEVENT_HELPER: return "set the hotplug helper (uevent_helper)";
	case JG_HOST_RELEASE_AGENT: return "set a cgroup release agent";
	case JG_HOST_BINFMT:        return "register a binfmt_misc interpreter";
	case JG_HOST_SYSRQ:         return "trigger a magic SysRq action";
	case JG_HOST_CGROUP_MOVE:   return "move processes between cgroups";
	case JG_HOST_DAEMON_CGROUP: return "change jitgated's cgroup or one above it";
	case JG_HOST_DAEMON_PROC:   return "write jitgated's /proc files";
	case JG_HOST_URING_CREDS:   return "run io_uring requests with root's registered credentials";
	case JG_HOST_SCHED_RT:      return "turn real-time throttling off (kernel.sched_rt_*)";
	case JG_HOST_PRIVMODE:      return "make a setuid, setgid or file-capability program";
	case JG_HOST_LEND:          return "lend priority, scheduling or limits to an unprivileged process";
	case JG_HOST_LEND_FILE:     return "take a descriptor an elevated session opened";
	case JG_HOST_SHARED_RING:   return "take an io_uring ring from outside into an elevated session";
	case JG_HOST_LEND_SOCKET:   return "use a socket from outside an elevated session with its power";
	case JG_HOST_LEND_SIGIO:    return "signal through a file owner an ended elevated session set";
	case JG_HOST_SESSION_TRACE: return "trace an elevated session's process or follow its /proc links";
	case JG_HOST_LEND_TUN:      return "keep a tun/tap device an elevated session set up";
	case JG_HOST_LEND_DEVICE:   return "make or hand over a device node in an elevated session";
	case JG_HOST_LEND_KNOB:     return "relax a limit for unprivileged users in an elevated session";
	case JG_HOST_LEND_PROC:     return "write an unprivileged process's /proc files from an elevated session";
	case JG_HOST_SHARED_INOTIFY:  return "take an inotify descriptor from outside into an elevated session";
	case JG_HOST_SHARED_FANOTIFY: return "take a fanotify descriptor from outside into an elevated session";
	case JG_HOST_SHARED_EPOLL:    return "take an epoll descriptor from outside into an elevated session";
	case JG_HOST_NETNS_MOVE:      return "move a network link into another network namespace from an elevated session";
	case JG_HOST_WIDEN_MODE:      return "widen the mode, owner or ACL of a file an elevated session did not create";
	default:                    return "change the host around the gate";
	}
}

static const char *lend_op(uint64_t op)
{
	switch (op) {
	case JG_LEND_BIND:       return "bind";
	case JG_LEND_LISTEN:     return "listen";
	case JG_LEND_CONNECT:    return "connect";
	case JG_LEND_SETSOCKOPT: return "setsockopt";
	default:                 return "socket";
	}
}

/* What a JG_HOOK_HOST refusal's id names, in its object. */
static void host_object(json_t *obj, const struct jg_event *e, char *buf, size_t len)
{
	switch (e->tamper.what) {
	case JG_HOST_LEND_FILE:		/* the grant of the file's session */
	case JG_HOST_LEND_SIGIO:	/* ... of the session that set the owner */
		json_object_set_new(obj, "session_grant",
				    json_string(grants__format_id(e->tamper.id, buf, len)));
		break;
	case JG_HOST_LEND_SOCKET:
		json_object_set_new(obj, "socket_op", json_string(lend_op(e->tamper.id)));
		break;
	case JG_HOST_SESSION_TRACE:
		json_object_set_new(obj, "pid", json_integer((json_int_t)e->tamper.id));
		break;
	case JG_HOST_LEND_TUN:
		json_object_set_new(obj, "ioctl", json_integer((json_int_t)e->tamper.id));
		break;
	case JG_HOST_SHARED_RING:	/* held at the elevation: its number; received: none */
	case JG_HOST_SHARED_INOTIFY:
	case JG_HOST_SHARED_FANOTIFY:
	case JG_HOST_SHARED_EPOLL:
		if (e->tamper.id != UINT64_MAX)
			json_object_set_new(obj, "fd", json_integer((json_int_t)e->tamper.id));
		break;
	case JG_HOST_NETNS_MOVE:	/* the link's index */
		json_object_set_new(obj, "ifindex", json_integer((json_int_t)e->tamper.id));
		break;
	case JG_HOST_WIDEN_MODE:	/* the mode asked for (JG_ATTR_MODE), or the owner change */
		json_object_set_new(obj, "change", json_string(e->tamper.id >> 32 ? "owner" : "mode"));
		json_object_set_new(obj, "mode", json_integer((json_int_t)(e->tamper.id & 07777)));
		break;
	}
}

/* Where the filesystem of kdev is mounted (its root), from mountinfo; "" when unknown. */
static void mount_point(uint32_t kdev, char *out, size_t len)
{
	char line[4096], root[PATH_MAX], mnt[PATH_MAX];
	unsigned int maj, min;
	FILE *f = fopen("/proc/self/mountinfo", "r");

	out[0] = 0;
	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%*u %*u %u:%u %4095s %4095s", &maj, &min, root, mnt) != 4)
			continue;
		if (((maj << 20) | min) == kdev && !strcmp(root, "/")) {
			snprintf(out, len, "%s", strcmp(mnt, "/") ? mnt : "");
			break;
		}
	}
	if (f)
		fclose(f);
}

/* The name of a sealed target: jitgated's own name for it, else the names the kernel
 * found (up to the filesystem's root) under the filesystem's mount point. */
static void name_target(const struct jg_event *e, json_t *obj)
{
	const char *sealed = seal_path_of(e->tamper.dev, e->tamper.ino);
	char rel[JG_PATH_LEN + 1], mnt[PATH_MAX], full[PATH_MAX + JG_PATH_LEN];

	if (e->flags & JG_EVF_PATH_OK)
		return;		/* resolved by the kernel */
	if (sealed && !((e->flags & JG_EVF_PATH_REL) &&
			(e->hook == JG_HOOK_CREATE || e->hook == JG_HOOK_LINK))) {
		json_object_set_new(obj, "path", json_string(sealed));
		return;
	}
	if (!(e->flags & JG_EVF_PATH_REL))
		return;
	memcpy(rel, e->path, JG_PATH_LEN);
	rel[JG_PATH_LEN] = 0;
	mount_point(e->tamper.dev, mnt, sizeof(mnt));
	snprintf(full, sizeof(full), "%s%s%s", e->flags & JG_EVF_PATH_CUT ? "..." : mnt, rel,
		 rel[0] ? "" : "/");
	json_object_set_new(obj, "path", json_string(full));
}

static json_t *daemon_target(uint64_t tgid)
{
	return json_pack("{s:s, s:I, s:b}", "kind", "process", "pid", (json_int_t)tgid,
			 "jitgated", tgid == (uint64_t)getpid());
}

/* A refusal whose target is a process: jitgated, or the host's automation (ptrace). */
static const char *process_op(const struct jg_event *e, char *buf, size_t len)
{
	switch (e->hook) {
	case JG_HOOK_PTRACE:
		return e->tamper.id == (uint64_t)getpid() ?
		       "trace jitgated (ptrace, /proc/PID/mem, process_vm_writev, pidfd_getfd)" :
		       "trace a privileged process of the host's automation (ptrace, /proc/PID/mem, "
		       "process_vm_writev, pidfd_getfd)";
	case JG_HOOK_KILL:
		snprintf(buf, len, "signal %u to jitgated", e->tamper.what);
		return buf;
	case JG_HOOK_SIGIO:
		snprintf(buf, len, "signal %u to jitgated through a file owner (F_SETOWN)",
			 e->tamper.what ? e->tamper.what : 29);
		return buf;
	default:
		return taskctl_name(e->tamper.what);
	}
}

void seal_describe(const struct jg_event *e, json_t *rec)
{
	json_t *obj = json_object_get(rec, "object");
	const char *op = NULL;
	char buf[128];

	if (e->flags & JG_EVF_LOGINUID) {
		/* an elevated session's login uid rewrite (bpf/files.bpf.h guard_loginuid): its
		 * reason is already set, the session's grant names the session */
		json_object_set_new(rec, "operation", json_string("rewrite its login uid"));
		json_object_set_new(rec, "elevated", json_true());
		return;
	}
	switch (e->hook) {
	case JG_HOOK_BPF:
		op = bpf_cmd_name(e->tamper.what);
		snprintf(buf, sizeof(buf), "bpf(%s)", op ? op : "unknown command");
		json_object_set_new(rec, "object", json_pack("{s:s, s:s, s:I}", "kind", "bpf",
							     "command", op ? op : "unknown",
							     "cmd", (json_int_t)e->tamper.what));
		op = buf;
		break;
	case JG_HOOK_BPF_OBJ: {
		struct bpf_map_info info = {};
		__u32 len = sizeof(info);
		int fd = bpf_map_get_fd_by_id((__u32)e->tamper.id);

		if (fd >= 0 && bpf_obj_get_info_by_fd(fd, &info, &len))
			info.name[0] = 0;
		if (fd >= 0)
			close(fd);
		op = "a writable descriptor of the gate's map";
		json_object_set_new(rec, "object", json_pack("{s:s, s:I, s:s}", "kind", "bpf_map",
							     "id", (json_int_t)e->tamper.id,
							     "name", info.name));
		break;
	}
	case JG_HOOK_KERNEL_LOAD:
		snprintf(buf, sizeof(buf), "load a %s into the kernel from a %s",
			 kernel_load_name(e->tamper.what),
			 e->tamper.what & 0x100 ? "buffer" : "file");
		op = buf;
		if (!(e->tamper.what & 0x100) && obj)
			json_object_set_new(obj, "kind", json_string("file"));
		else
			json_object_set_new(rec, "object",
					    json_pack("{s:s, s:s}", "kind", "kernel", "load",
						      kernel_load_name(e->tamper.what)));
		break;
	case JG_HOOK_LOCKDOWN:
		snprintf(buf, sizeof(buf), "lockdown: %s", lockdown_name(e->tamper.what));
		op = buf;
		json_object_set_new(rec, "object", json_pack("{s:s, s:s, s:I}", "kind", "lockdown",
							     "reason", lockdown_name(e->tamper.what),
							     "code", (json_int_t)e->tamper.what));
		break;
	case JG_HOOK_PTRACE:
	case JG_HOOK_KILL:
	case JG_HOOK_SIGIO:
	case JG_HOOK_TASKCTL:
		op = process_op(e, buf, sizeof(buf));
		json_object_set_new(rec, "object", daemon_target(e->tamper.id));
		if (e->hook == JG_HOOK_KILL)
			json_object_set_new(json_object_get(rec, "object"), "signal",
					    json_integer(e->tamper.what));
		break;
	case JG_HOOK_HOST:
		op = host_name(e->tamper.what);
		if (obj)
			json_object_set_new(obj, "kind", json_string("host"));
		else
			json_object_set_new(rec, "object", json_pack("{s:s}", "kind", "host"));
		host_object(json_object_get(rec, "object"), e, buf, sizeof(buf));
		break;
	case JG_HOOK_MOUNT:
		op = e->tamper.what == JG_SEAL_MNT_UMOUNT ? "unmount a filesystem of the gate's files" :
		     e->tamper.what == JG_SEAL_MNT_REMOUNT ? "remount a filesystem of the gate's files" :
		     e->tamper.what == JG_SEAL_MNT_MOVE ? "move a mount onto the gate's files" :
		     "mount over the gate's files";
		break;
	case JG_HOOK_FILE_OPEN:
		op = (e->tamper.what & 0x2) ? "open the gate's file for writing" :
					      "open a raw block device";
		break;
	case JG_HOOK_UNLINK: op = "unlink"; break;
	case JG_HOOK_RMDIR:  op = "rmdir"; break;
	case JG_HOOK_RENAME: op = "rename"; break;
	case JG_HOOK_CREATE: op = "create in a sealed directory"; break;
	case JG_HOOK_LINK:   op = "link into a sealed directory"; break;
	case JG_HOOK_SETATTR: op = "chmod, chown, utimes or truncate"; break;
	case JG_HOOK_XATTR:  op = "change extended attributes"; break;
	default:             op = "unknown"; break;
	}
	json_object_set_new(rec, "operation", json_string(op));
	obj = json_object_get(rec, "object");
	if (obj && (e->hook == JG_HOOK_FILE_OPEN || e->hook == JG_HOOK_UNLINK ||
		    e->hook == JG_HOOK_RMDIR || e->hook == JG_HOOK_RENAME ||
		    e->hook == JG_HOOK_CREATE || e->hook == JG_HOOK_LINK ||
		    e->hook == JG_HOOK_SETATTR || e->hook == JG_HOOK_XATTR ||
		    e->hook == JG_HOOK_MOUNT || e->hook == JG_HOOK_KERNEL_LOAD ||
		    e->hook == JG_HOOK_HOST)) {
		json_object_del(obj, "protected_ino");
		name_target(e, obj);
	}
	json_object_set_new(rec, "elevated", json_boolean(e->grant_id != 0));
	json_object_set_new(rec, "reason", json_string("the gate is sealed: a human needs a live "
						       "gate-admin grant"));
}
