// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The sealed gate's userspace half (the kernel's is bpf/seal.bpf.h). What jitgated seals:
 * its binary, config, policy, ledger, audit log and spool, the state, socket and pin
 * directories, the systemd unit, their directories and every directory above them; the
 * filesystems and block devices under them; its own pid. Kept current as files rotate
 * (a new audit log, a compacted spool) by a refresh on the tick. Who may administer the
 * gate through jitgated (unload, policy reload): the host's automation, or a human holding
 * a live gate-admin grant, the same rule the kernel applies. And the tamper.deny record of
 * a kernel refusal: the operation, the target and the human, in words. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <bpf/bpf.h>
#include "daemon/daemon.h"
#include "lib/mounts.h"

#define SEAL_REFRESH_NS 2000000000LL	/* files that rotate are sealed within this */
#define SEAL_MAX_KEPT   1024		/* sealed entries jitgated names in records */

/* What jitgated sealed, for naming the target of a refusal. */
struct seal_ent {
	uint32_t dev;
	uint64_t ino;
	char *path;
};

static struct {
	struct seal_ent *v;
	size_t n;
	uint32_t fs[JG_MAX_SEAL_DEVS];	/* filesystems of sealed files */
	size_t nfs;
	bool full_said;			/* the sealed map is full: said once */
	uint64_t refreshed_ns;		/* boot time of the last refresh */
} sl;

/* ------------------------------------------------------------------ sealing */

static const struct seal_ent *seal_find(uint32_t dev, uint64_t ino)
{
	for (size_t i = 0; i < sl.n; i++)
		if (sl.v[i].dev == dev && sl.v[i].ino == ino)
			return &sl.v[i];
	return NULL;
}

static void seal_keep(uint32_t dev, uint64_t ino, const char *path)
{
	struct seal_ent *v;

	if (seal_find(dev, ino) || sl.n >= SEAL_MAX_KEPT)
		return;
	v = realloc(sl.v, (sl.n + 1) * sizeof(*v));
	if (!v)
		return;
	sl.v = v;
	v[sl.n].dev = dev;
	v[sl.n].ino = ino;
	v[sl.n].path = strdup(path);
	if (v[sl.n].path)
		sl.n++;
}

static void fs_add(uint32_t *list, size_t *n, uint32_t dev)
{
	for (size_t i = 0; i < *n; i++)
		if (list[i] == dev)
			return;
	if (*n < JG_MAX_SEAL_DEVS)
		list[(*n)++] = dev;
}

/* Seal one existing path (symlinks followed: what jitgated opens) with `flags`; a missing
 * file is no error (no config file, no spool yet). */
static int seal_one(const struct jg_mounts *m, const char *path, uint32_t flags)
{
	const char *fstype;
	uint32_t dev;
	uint64_t ino;
	int ret;

	if (mounts__identify(m, path, &dev, &ino, &fstype))
		return 0;
	ret = gate__seal(d.gate, dev, ino, flags | JG_SEAL_PATH);
	if (ret == -ENOSPC && !sl.full_said) {
		pr_warn("the sealed inode map is full (%d entries): %s and what follows stay "
			"unsealed", JG_MAX_SEALED, path);
		sl.full_said = true;
	}
	if (ret)
		return ret;
	seal_keep(dev, ino, path);
	if (flags & JG_SEAL_OBJECT)
		fs_add(sl.fs, &sl.nfs, dev);
	return 0;
}

/* Seal `path` and the directories above it (PATH: not renamed, removed or mounted over);
 * its own directory with `dir_flags` too. */
static void seal_path(const struct jg_mounts *m, const char *path, uint32_t flags,
		      uint32_t dir_flags)
{
	char real[PATH_MAX], *slash;

	if (!realpath(path, real))
		return;
	seal_one(m, real, flags);
	for (bool first = true; (slash = strrchr(real, '/')); first = false) {
		slash[slash == real ? 1 : 0] = 0;
		seal_one(m, real, first ? dir_flags : JG_SEAL_PATH);
		if (slash == real)
			break;
	}
}

/* A directory of jitgate's own (named "jitgate": /etc/jitgate, /var/log/jitgate, ...) is
 * sealed whole: nothing is created in it or removed from it but by jitgated. */
static uint32_t own_dir_flags(const char *file)
{
	char real[PATH_MAX], *slash;

	if (!realpath(file, real) || !(slash = strrchr(real, '/')))
		return JG_SEAL_OBJECT;
	*slash = 0;
	slash = strrchr(real, '/');
	return slash && !strcmp(slash + 1, "jitgate") ? JG_SEAL_OBJECT | JG_SEAL_CONTENTS :
							  JG_SEAL_OBJECT;
}

/* A file and its directory. */
static void seal_file(const struct jg_mounts *m, const char *path)
{
	seal_path(m, path, JG_SEAL_OBJECT, own_dir_flags(path));
}

/* A directory of jitgated's, whole: itself, every file in it, the path to it. */
static void seal_dir(const struct jg_mounts *m, const char *dir)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *dp;

	seal_path(m, dir, JG_SEAL_OBJECT | JG_SEAL_CONTENTS, JG_SEAL_OBJECT);
	dp = opendir(dir);
	if (!dp)
		return;
	while ((de = readdir(dp))) {
		if (de->d_name[0] == '.' && (!de->d_name[1] || !strcmp(de->d_name, "..")))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		seal_one(m, path, de->d_type == DT_DIR ? JG_SEAL_OBJECT | JG_SEAL_CONTENTS :
						       JG_SEAL_OBJECT);
	}
	closedir(dp);
}

/* The block devices under filesystem dev: itself, its whole disk when it is a partition,
 * and the devices it is made of (dm, md), with their disks. */
static void raw_add(uint32_t *raw, size_t *n, uint32_t kdev, int depth)
{
	char sys[128], real[PATH_MAX], buf[32], *slash;
	unsigned int maj, min;
	struct dirent *de;
	DIR *dp;
	FILE *f;

	fs_add(raw, n, kdev);
	if (depth > 2)
		return;
	snprintf(sys, sizeof(sys), "/sys/dev/block/%u:%u", kdev >> 20, kdev & 0xfffff);
	if (!realpath(sys, real))
		return;		/* no block device (tmpfs, bpffs, an anonymous dev) */
	{
		char part[PATH_MAX + 16];

		snprintf(part, sizeof(part), "%s/partition", real);
		if (!access(part, F_OK) && (slash = strrchr(real, '/'))) {
			char disk[PATH_MAX + 8];

			*slash = 0;
			snprintf(disk, sizeof(disk), "%s/dev", real);
			f = fopen(disk, "r");
			if (f && fgets(buf, sizeof(buf), f) && sscanf(buf, "%u:%u", &maj, &min) == 2)
				fs_add(raw, n, (maj << 20) | min);
			if (f)
				fclose(f);
			*slash = '/';
		}
	}
	{
		char slaves[PATH_MAX + 16];

		snprintf(slaves, sizeof(slaves), "%s/slaves", real);
		dp = opendir(slaves);
	}
	while (dp && (de = readdir(dp))) {
		char dev[PATH_MAX + 300];

		if (de->d_name[0] == '.')
			continue;
		snprintf(dev, sizeof(dev), "%s/slaves/%s/dev", real, de->d_name);
		f = fopen(dev, "r");
		if (f && fgets(buf, sizeof(buf), f) && sscanf(buf, "%u:%u", &maj, &min) == 2)
			raw_add(raw, n, (maj << 20) | min, depth + 1);
		if (f)
			fclose(f);
	}
	if (dp)
		closedir(dp);
}

/* A symbolic link itself (not renamed, removed or replaced). */
static void seal_link(const struct jg_mounts *m, const char *path)
{
	const char *fstype;
	uint32_t dev;
	uint64_t ino;

	if (!mounts__identify_link(m, path, &dev, &ino, &fstype) &&
	    !gate__seal(d.gate, dev, ino, JG_SEAL_OBJECT | JG_SEAL_PATH))
		seal_keep(dev, ino, path);
}

/* The first prefix of `cur` that is a symbolic link: sealed, with the directories it is
 * in (nothing mounted over them); `next` gets cur with that prefix resolved. False when no
 * prefix is a link, or the result would be too long to be a path the kernel runs. */
static bool seal_first_link(const struct jg_mounts *m, char *cur, char *next, size_t len)
{
	char target[PATH_MAX];
	struct stat st;
	ssize_t n;

	for (char *p = cur + 1;; p++) {
		char save = *p, *slash;

		if (save && save != '/')
			continue;
		*p = 0;
		n = lstat(cur, &st) || !S_ISLNK(st.st_mode) ? -1 :
		    readlink(cur, target, sizeof(target) - 1);
		if (n > 0) {
			target[n] = 0;
			seal_link(m, cur);
			slash = strrchr(cur, '/');
			if (slash != cur) {
				*slash = 0;
				seal_path(m, cur, JG_SEAL_PATH, JG_SEAL_PATH);
				*slash = '/';
			}
			/* an absolute target replaces the prefix, a relative one its last name */
			n = snprintf(next, len, "%.*s%s%s%s%s",
				     target[0] == '/' ? 0 : (int)(slash - cur), cur,
				     target[0] == '/' ? "" : "/", target, save ? "/" : "",
				     save ? p + 1 : "");
			*p = save;
			return n > 0 && (size_t)n < len;
		}
		*p = save;
		if (!save)
			return false;
	}
}

/* A program the kernel or the loader runs by name: every symbolic link met on the way to
 * it (/sbin -> usr/sbin, modprobe -> ../bin/kmod), then the file and the directories above
 * it. An attacker replacing any one of them would choose the program. A program that is
 * not there has its name guarded in its directory instead (no keyutils: nobody puts a
 * request-key there for the kernel to run). */
static void seal_program(const struct jg_mounts *m, const char *path)
{
	char cur[PATH_MAX], next[PATH_MAX], *slash;

	if (path[0] != '/' || strlen(path) >= sizeof(cur))
		return;
	snprintf(cur, sizeof(cur), "%s", path);
	for (int hops = 0; hops < 16 && seal_first_link(m, cur, next, sizeof(next)); hops++)
		memcpy(cur, next, sizeof(cur));
	if (!access(cur, F_OK)) {
		seal_path(m, cur, JG_SEAL_OBJECT, JG_SEAL_PATH);
		return;
	}
	slash = strrchr(cur, '/');
	if (slash && slash != cur) {
		*slash = 0;
		seal_path(m, cur, JG_SEAL_PATH | JG_SEAL_GUARD, JG_SEAL_PATH);
	}
}

/* The program a kernel knob names: its first word ("|" first for core_pattern, where
 * only a pipe runs a program). */
static void seal_knob(const struct jg_mounts *m, const char *knob, bool pipe_only)
{
	char buf[PATH_MAX], *p;
	FILE *f = fopen(knob, "r");

	if (!f)
		return;
	p = fgets(buf, sizeof(buf), f);
	fclose(f);
	if (!p)
		return;
	if (pipe_only) {
		if (*p != '|')
			return;
		p++;
	}
	p += strspn(p, " \t");
	p[strcspn(p, " \t\n")] = 0;
	if (*p == '/')
		seal_program(m, p);
}

/* What runs as root outside the gate's files yet decides over it, sealed like them:
 * the programs the kernel runs as root on its own (their knobs are refused in the kernel:
 * bpf/seal_host.bpf.h), the elevate gate's except-listed programs (rewritten, one is root
 * for anyone), jitgated's shared libraries and the loader's cache and configuration
 * (code in the trusted jitgated), and the directories where the names that would add such
 * code (ld.so.preload, a jitgated unit or drop-in) are guarded. */
static void seal_runners(const struct jg_mounts *m)
{
	static const char *const fixed[] = {
		"/sbin/request-key", "/sbin/reboot", "/sbin/poweroff", "/etc/ld.so.cache",
		"/etc/ld.so.preload", "/etc/ld.so.conf",
		/* read by jitgated's libraries at run time, naming code they load: NSS
		 * modules at a user lookup, OpenSSL providers and engines at start */
		"/etc/nsswitch.conf", "/etc/ssl/openssl.cnf",
		/* what request-key runs for which key */
		"/etc/request-key.conf",
	};
	/* the user database: who is in an admin group, whose password is what; a FIFO in
	 * its place would stop jitgated at its next user lookup */
	static const char *const accounts[] = {
		"/etc/passwd", "/etc/group", "/etc/shadow", "/etc/gshadow",
	};
	static const char *const guarded[] = {
		"/etc", "/etc/systemd/system", "/run/systemd/system", "/etc/systemd/system.control",
		"/run/systemd/system.control", "/usr/lib/systemd/system", "/lib/systemd/system",
	};
	char line[PATH_MAX + 256], last[PATH_MAX] = "";
	FILE *f;

	seal_knob(m, "/proc/sys/kernel/modprobe", false);
	seal_knob(m, "/proc/sys/kernel/core_pattern", true);
	seal_knob(m, "/proc/sys/kernel/poweroff_cmd", false);
	seal_knob(m, "/sys/kernel/uevent_helper", false);
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		seal_program(m, fixed[i]);
	for (size_t i = 0; d.policy && i < d.policy->nresources; i++) {
		const struct jg_resource *r = &d.policy->resources[i];

		for (size_t j = 0; j < r->nelevate_except; j++)
			seal_program(m, r->elevate_except[j].path);
	}
	/* every file jitgated has mapped: its libraries and the loader */
	f = fopen("/proc/self/maps", "r");
	while (f && fgets(line, sizeof(line), f)) {
		char *path = strchr(line, '/');

		if (!path)
			continue;
		path[strcspn(path, "\n")] = 0;
		if (!strcmp(path, last) || strstr(path, " (deleted)"))
			continue;
		snprintf(last, sizeof(last), "%s", path);
		seal_program(m, path);
	}
	if (f)
		fclose(f);
	for (size_t i = 0; i < sizeof(guarded) / sizeof(guarded[0]); i++)
		seal_one(m, guarded[i], JG_SEAL_GUARD);
	for (size_t i = 0; i < sizeof(accounts) / sizeof(accounts[0]); i++)
		seal_path(m, accounts[i], JG_SEAL_OBJECT | JG_SEAL_ACCOUNTS, JG_SEAL_PATH);
	if (!access("/etc/request-key.d", F_OK))
		seal_dir(m, "/etc/request-key.d");
}

void seal_refresh(void)
{
	static const char *const units[] = {
		"/lib/systemd/system/jitgated.service", "/usr/lib/systemd/system/jitgated.service",
		"/etc/systemd/system/jitgated.service",
	};
	uint32_t raw[JG_MAX_SEAL_DEVS];
	size_t nraw = 0;
	struct jg_mounts m = { 0 };
	char path[PATH_MAX], dir[PATH_MAX], *slash;
	int ret;

	if (!d.gate)
		return;
	sl.refreshed_ns = util__boottime_ns();
	mounts__load(&m, NULL);
	if (readlink("/proc/self/exe", path, sizeof(path) - 1) > 0)
		seal_file(&m, "/proc/self/exe");
	for (size_t i = 0; i < d.cfg.ntrusted_tools; i++) {
		seal_file(&m, d.cfg.trusted_tools[i]);
		seal_one(&m, d.cfg.trusted_tools[i], JG_SEAL_TRUSTED);
	}
	if (d.config_path)
		seal_file(&m, d.config_path);
	seal_file(&m, d.cfg.policy);
	seal_file(&m, d.cfg.ledger);
	for (size_t i = 0; i < 3; i++) {
		static const char *const sqlite[] = { "-wal", "-shm", "-journal" };

		snprintf(path, sizeof(path), "%s%s", d.cfg.ledger, sqlite[i]);
		seal_one(&m, path, JG_SEAL_OBJECT);
	}
	seal_file(&m, d.cfg.audit_log);
	snprintf(path, sizeof(path), "%s.1", d.cfg.audit_log);
	seal_one(&m, path, JG_SEAL_OBJECT);
	for (unsigned int i = 1; i <= d.cfg.audit_keep + 1; i++) {
		snprintf(path, sizeof(path), "%s.%u.gz", d.cfg.audit_log, i);
		seal_one(&m, path, JG_SEAL_OBJECT);
	}
	seal_dir(&m, d.cfg.state_dir);
	snprintf(path, sizeof(path), "%s/spool", d.cfg.state_dir);
	seal_dir(&m, path);
	seal_dir(&m, d.cfg.pin_dir);
	snprintf(dir, sizeof(dir), "%s", d.cfg.socket);
	if ((slash = strrchr(dir, '/')) && slash != dir) {
		*slash = 0;
		seal_dir(&m, dir);
	}
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		seal_file(&m, units[i]);
		snprintf(path, sizeof(path), "%s.d", units[i]);
		if (!access(path, F_OK))
			seal_dir(&m, path);
	}
	seal_runners(&m);
	mounts__free(&m);
	/* raw devices: those under sealed files, and under the policy's protected objects */
	for (size_t i = 0; i < sl.nfs; i++)
		raw_add(raw, &nraw, sl.fs[i], 0);
	for (size_t i = 0; i < d.nobjpaths; i++)
		raw_add(raw, &nraw, d.objpaths[i].dev, 0);
	ret = gate__seal_config(d.gate, (uint32_t)getpid(), sl.fs, sl.nfs, raw, nraw);
	if (ret)
		pr_warn("cannot write the sealed gate's devices into the config map: %s",
			strerror(-ret));
}

void seal_tick(void)
{
	if (util__boottime_ns() - sl.refreshed_ns >= (uint64_t)SEAL_REFRESH_NS)
		seal_refresh();
}

void seal_stop(void)
{
	/* no daemon to protect: its pid may be anyone's next */
	if (d.gate)
		gate__seal_config(d.gate, 0, NULL, 0, NULL, 0);
	for (size_t i = 0; i < sl.n; i++)
		free(sl.v[i].path);
	free(sl.v);
	memset(&sl, 0, sizeof(sl));
}

/* ------------------------------------------------------------------ administration */

/* Does `subject` hold a live grant of the gate-admin resource's admin permission? */
static bool holds_gate_admin(uint32_t subject)
{
	const struct jg_resource *gr = policy__gate_admin(d.policy);
	struct jg_grant g;

	return gr && grants__kernel_value(&d.grants, subject, gr->name, util__boottime_ns(), &g) &&
	       g.expires_ns[__builtin_ctz(JG_PERM_ADMIN)];
}

void seal_peer(struct peer *p)
{
	struct jg_session s;

	if (!d.gate || gate__session_of(d.gate, p->pid, &s))
		return;
	p->subject = s.subject;
	util__user_name(p->subject, p->user, sizeof(p->user));
	/* gate administration is what a gate-admin grant is for */
	p->admin = holds_gate_admin(p->subject);
	p->auditor = false;
	for (size_t i = 0; i < d.cfg.nadmin_groups && !p->admin; i++)
		p->admin = util__user_in_group(p->subject, d.cfg.admin_groups[i]);
	for (size_t i = 0; i < d.cfg.nauditor_groups && !p->auditor; i++)
		p->auditor = util__user_in_group(p->subject, d.cfg.auditor_groups[i]);
}

bool seal_may_admin(const struct peer *p, const char *what, json_t **refusal)
{
	struct jg_session s;
	const struct jg_resource *gr = policy__gate_admin(d.policy);
	uint32_t subject = p->subject;
	uint64_t session = 0;
	char name[JG_NAME_LEN], gid[32];
	json_t *ev;

	*refusal = NULL;
	if (!gate__session_of(d.gate, p->pid, &s)) {
		subject = s.subject;
		session = s.grant_id;
	} else if (p->loginuid == (uint32_t)-1) {
		return true;	/* the host's automation */
	}
	if (holds_gate_admin(subject))
		return true;
	util__user_name(subject, name, sizeof(name));
	ev = audit__new("tamper.deny");
	json_object_set_new(ev, "hook", json_string("jitgated"));
	json_object_set_new(ev, "operation", json_string(what));
	json_object_set_new(ev, "subject", audit__subject(subject, p->loginuid));
	json_object_set_new(ev, "by", peer_json(p));
	json_object_set_new(ev, "resource", gr ? json_string(gr->name) : json_null());
	json_object_set_new(ev, "perm", json_string("admin"));
	json_object_set_new(ev, "grant_id", session ?
			    json_string(grants__format_id(session, gid, sizeof(gid))) : json_null());
	json_object_set_new(ev, "elevated", json_boolean(session != 0));
	json_object_set_new(ev, "errno", json_integer(EPERM));
	json_object_set_new(ev, "reason", json_string("the gate is sealed: a human needs a live "
						      "gate-admin grant"));
	audit__emit(&d.audit, ev, 0);
	*refusal = proto__error("EPERM", "%s needs a live %s:admin grant for %s (a person, not the "
				"host's automation); request it or ask an admin to grant it",
				what, gr ? gr->name : JG_GATE_ADMIN_NAME, name);
	return false;
}

/* ------------------------------------------------------------------ tamper.deny records */

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
	default:                    return "change the host around the gate";
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
	const struct seal_ent *s = seal_find(e->tamper.dev, e->tamper.ino);
	char rel[JG_PATH_LEN + 1], mnt[PATH_MAX], full[PATH_MAX + JG_PATH_LEN];

	if (e->flags & JG_EVF_PATH_OK)
		return;		/* resolved by the kernel */
	if (s && !((e->flags & JG_EVF_PATH_REL) &&
		   (e->hook == JG_HOOK_CREATE || e->hook == JG_HOOK_LINK))) {
		json_object_set_new(obj, "path", json_string(s->path));
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
		if (e->tamper.what == JG_HOST_LEND_FILE)	/* the grant of the file's session */
			json_object_set_new(json_object_get(rec, "object"), "session_grant",
					    json_string(grants__format_id(e->tamper.id, buf, sizeof(buf))));
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
