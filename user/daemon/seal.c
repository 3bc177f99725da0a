// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The sealed gate's userspace half (the kernel's is bpf/seal.bpf.h). What jitgated seals:
 * its binary, config, policy, ledger, audit log and spool, the state, socket and pin
 * directories, the systemd unit, their directories and every directory above them; the
 * filesystems and block devices under them; its own pid. Kept current as files rotate
 * (a new audit log, a compacted spool) by a refresh on the tick. Who may administer the
 * gate through jitgated (unload, policy reload): the host's automation, or a human holding
 * a live gate-admin grant, the same rule the kernel applies. (The tamper.deny record of a
 * kernel refusal is tamper.c.) */
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

const char *seal_path_of(uint32_t dev, uint64_t ino)
{
	const struct seal_ent *s = seal_find(dev, ino);

	return s ? s->path : NULL;
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
		/* helpers the kernel runs as root by a fixed path, guarded where missing */
		"/sbin/bridge-stp", "/sbin/nfsdcltrack", "/sbin/ocfs2_hb_ctl",
		"/sbin/nfs_cache_getent", "/sbin/v86d",
	};
	/* modprobe's configuration: an install line is a command run as root at the next
	 * module autoload, which a plain socket() can cause */
	static const char *const modprobe_dirs[] = {
		"/etc/modprobe.d", "/run/modprobe.d", "/lib/modprobe.d", "/usr/lib/modprobe.d",
		"/usr/local/lib/modprobe.d",
	};
	/* the user database: who is in an admin group, whose password is what; a FIFO in
	 * its place would stop jitgated at its next user lookup */
	static const char *const accounts[] = {
		"/etc/passwd", "/etc/group", "/etc/shadow", "/etc/gshadow",
	};
	static const char *const guarded[] = {
		"/etc", "/etc/systemd/system", "/run/systemd/system", "/etc/systemd/system.control",
		"/run/systemd/system.control", "/usr/lib/systemd/system", "/lib/systemd/system",
		"/usr/local/lib/systemd/system", "/run", "/lib", "/usr/lib", "/usr/local/lib",
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
	for (size_t i = 0; i < sizeof(modprobe_dirs) / sizeof(modprobe_dirs[0]); i++)
		if (!access(modprobe_dirs[i], F_OK))
			seal_dir(m, modprobe_dirs[i]);
	seal_program(m, "/etc/modprobe.conf");
}

void seal_refresh(void)
{
	static const char *const units[] = {
		"/lib/systemd/system/jitgated.service", "/usr/lib/systemd/system/jitgated.service",
		"/etc/systemd/system/jitgated.service",
		/* make install's default PREFIX */
		"/usr/local/lib/systemd/system/jitgated.service",
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
