// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Kernel events as audit records: a struct jg_event (or one of its longer forms, the exec
 * trail and the session file trail) off the ring buffer becomes the JSON record that the
 * chain and the sinks take. The names the kernel hands over are bytes, kept as text. */
#include <arpa/inet.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "audit/audit.h"
#include "lib/id.h"
#include "lib/perm.h"
#include "lib/util.h"

/* A name from the kernel (comm, path, argument) as a JSON string. Names are bytes: one
 * that is not UTF-8 would make jansson drop the field (and the object holding it), so each
 * byte of an ill-formed sequence becomes U+FFFD instead. */
static json_t *kernel_text(const char *s)
{
	json_t *j = json_string(s);
	size_t len = strlen(s), o = 0;
	char *out;

	if (j)
		return j;
	out = malloc(len * 3 + 1);
	if (!out)
		return json_string("?");
	for (size_t i = 0; i < len;) {
		const unsigned char *p = (const unsigned char *)s + i;
		size_t n = *p < 0x80 ? 1 : *p >= 0xc2 && *p <= 0xdf ? 2 :
			   *p >= 0xe0 && *p <= 0xef ? 3 : *p >= 0xf0 && *p <= 0xf4 ? 4 : 0;
		char seq[5] = { 0 };
		json_t *t = NULL;

		if (n && i + n <= len) {
			memcpy(seq, p, n);
			t = json_string(seq);	/* jansson judges overlongs and surrogates */
		}
		if (t) {
			memcpy(out + o, p, n);
			o += n;
			i += n;
			json_decref(t);
		} else {
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
		}
	}
	out[o] = 0;
	j = json_string(out);
	free(out);
	return j ? j : json_string("?");
}

static json_t *exe_of(const struct jg_event *e)
{
	char exe[JG_PATH_LEN + 1];
	uint32_t pid = e->pid;
	char path[64], buf[PATH_MAX];
	ssize_t n;

	if (e->flags & JG_EVF_EXE_OK) {
		memcpy(exe, e->exe, JG_PATH_LEN);
		exe[JG_PATH_LEN] = 0;
		return kernel_text(exe);
	}
	snprintf(path, sizeof(path), "/proc/%u/exe", pid);
	n = readlink(path, buf, sizeof(buf) - 1);
	if (n <= 0)
		return json_null();	/* the process is gone already */
	buf[n] = 0;
	return kernel_text(buf);
}

static const char *event_type(uint32_t t)
{
	switch (t) {
	case JG_EV_DENY:  return "access.deny";
	case JG_EV_ALLOW: return "access.allow";
	case JG_EV_AUDIT: return "access.audit";
	case JG_EV_TRAIL: return "session.exec";
	case JG_EV_REBIND: return "object.rebind";
	case JG_EV_TAMPER: return "tamper.deny";
	case JG_EV_SESSION_FILE: return "session.file";
	case JG_EV_SESSION_END: return "session.kill";
	default:          return "access.unknown";
	}
}

static const char *hook_name(uint32_t h)
{
	switch (h) {
	case JG_HOOK_FILE_OPEN: return "file_open";
	case JG_HOOK_EXEC:      return "exec";
	case JG_HOOK_CONNECT:   return "connect";
	case JG_HOOK_LINK:      return "link";
	case JG_HOOK_UNLINK:    return "unlink";
	case JG_HOOK_RMDIR:     return "rmdir";
	case JG_HOOK_RENAME:    return "rename";
	case JG_HOOK_CREATE:    return "create";
	case JG_HOOK_SETATTR:   return "setattr";
	case JG_HOOK_XATTR:     return "xattr";
	case JG_HOOK_PERMISSION: return "file_permission";
	case JG_HOOK_MMAP:      return "mmap";
	case JG_HOOK_SENDMSG:   return "sendmsg";
	case JG_HOOK_BIND:      return "bind";
	case JG_HOOK_SETUID_EXEC: return "setuid_exec";
	case JG_HOOK_SETUID:    return "setuid";
	case JG_HOOK_SETGID:    return "setgid";
	case JG_HOOK_MPROTECT:  return "mprotect";
	case JG_HOOK_D_INSTANTIATE: return "create";
	case JG_HOOK_XATTR_READ: return "getxattr";
	case JG_HOOK_BPF:       return "bpf";
	case JG_HOOK_BPF_OBJ:   return "bpf_object";
	case JG_HOOK_KERNEL_LOAD: return "kernel_load";
	case JG_HOOK_LOCKDOWN:  return "lockdown";
	case JG_HOOK_PTRACE:    return "ptrace";
	case JG_HOOK_KILL:      return "kill";
	case JG_HOOK_FORK:      return "fork";
	case JG_HOOK_MOUNT:     return "mount";
	case JG_HOOK_SIGIO:     return "sigio";
	case JG_HOOK_TASKCTL:   return "task_control";
	case JG_HOOK_HOST:      return "host";
	default:                return "unknown";
	}
}

static json_t *object_of(const struct jg_event *e)
{
	if (e->type == JG_EV_SESSION_END)
		return json_null();	/* no object: the process itself ends */
	if (e->hook == JG_HOOK_SETUID)
		return json_pack("{s:I, s:I, s:I, s:I}", "uid", (json_int_t)e->setid.uid,
				 "euid", (json_int_t)e->setid.euid, "suid",
				 (json_int_t)e->setid.suid, "fsuid", (json_int_t)e->setid.fsuid);
	if (e->hook == JG_HOOK_SETGID)
		return json_pack("{s:I, s:I, s:I, s:I}", "gid", (json_int_t)e->setid.uid,
				 "egid", (json_int_t)e->setid.euid, "sgid",
				 (json_int_t)e->setid.suid, "fsgid", (json_int_t)e->setid.fsuid);
	if (e->hook == JG_HOOK_CONNECT || e->hook == JG_HOOK_SENDMSG || e->hook == JG_HOOK_BIND) {
		char addr[INET6_ADDRSTRLEN];
		static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };
		bool v4 = !memcmp(e->net.addr, mapped, 12);

		if (v4)
			inet_ntop(AF_INET, &e->net.addr[12], addr, sizeof(addr));
		else
			inet_ntop(AF_INET6, e->net.addr, addr, sizeof(addr));
		return json_pack("{s:s, s:s, s:i}", "family", v4 ? "inet" : "inet6", "addr", addr,
				 "port", (int)e->net.port);
	}
	{
		char dev[32];
		char path[JG_PATH_LEN + 1];

		snprintf(dev, sizeof(dev), "%u:%u", e->file.dev >> 20, e->file.dev & 0xfffff);
		memcpy(path, e->path, JG_PATH_LEN);
		path[JG_PATH_LEN] = 0;
		return json_pack("{s:o, s:s, s:I, s:I}", "path",
				 e->flags & JG_EVF_PATH_OK ? kernel_text(path) : json_null(),
				 "dev", dev, "ino", (json_int_t)e->file.ino,
				 "protected_ino", (json_int_t)e->file.prot_ino);
	}
}

/* The arguments the kernel copied (at most JG_ARGV_MAX, JG_ARGV_LEN bytes);
 * "argv_truncated" says when that is not all the program got. */

static void trail_of(const struct jg_trail *t, json_t *ev)
{
	size_t len = t->argv_len < JG_ARGV_LEN ? t->argv_len : JG_ARGV_LEN;
	char cwd[JG_PATH_LEN + 1], arg[JG_ARGV_LEN + 1];
	json_t *argv = json_array();
	bool cut = false;
	size_t i = 0;

	while (i < len && json_array_size(argv) < JG_ARGV_MAX) {
		size_t n = strnlen(t->argv + i, len - i);
		json_t *s;

		memcpy(arg, t->argv + i, n);
		arg[n] = 0;
		s = kernel_text(arg);
		json_array_append_new(argv, s);
		if (i + n == len)
			cut = true;	/* no NUL: the copy ended inside this argument */
		i += n + 1;
	}
	if (json_array_size(argv) < t->argc)
		cut = true;
	json_object_set_new(ev, "argv", argv);
	json_object_set_new(ev, "argc", json_integer((json_int_t)t->argc));
	if (cut)
		json_object_set_new(ev, "argv_truncated", json_true());
	if (t->cwd_len) {
		memcpy(cwd, t->cwd, JG_PATH_LEN);
		cwd[JG_PATH_LEN] = 0;
		json_object_set_new(ev, "cwd", kernel_text(cwd));
	} else {
		json_object_set_new(ev, "cwd", json_null());
	}
}

static const char *trail_op_name(uint32_t op)
{
	switch (op) {
	case JG_TOP_WRITE:    return "write";
	case JG_TOP_CREATE:   return "create";
	case JG_TOP_MKDIR:    return "mkdir";
	case JG_TOP_MKNOD:    return "mknod";
	case JG_TOP_SYMLINK:  return "symlink";
	case JG_TOP_LINK:     return "link";
	case JG_TOP_UNLINK:   return "unlink";
	case JG_TOP_RMDIR:    return "rmdir";
	case JG_TOP_RENAME:   return "rename";
	case JG_TOP_CHMOD:    return "chmod";
	case JG_TOP_CHOWN:    return "chown";
	case JG_TOP_TRUNCATE: return "truncate";
	default:              return "unknown";
	}
}

/* A session.file record's own fields. Names the kernel gave relative to a watched tree
 * (object.path null, "new_path" relative) are completed by jitgated, which knows the trees
 * (audit__trail_paths). */
static void file_trail_of(const struct jg_file_trail *t, json_t *ev)
{
	json_t *obj = json_object_get(ev, "object");
	char text[JG_PATH_LEN + 1], mode[16];

	json_object_set_new(ev, "op", json_string(trail_op_name(t->op)));
	json_object_del(obj, "protected_ino");
	memcpy(text, t->to, JG_PATH_LEN);
	text[JG_PATH_LEN] = 0;
	switch (t->op) {
	case JG_TOP_CREATE:
	case JG_TOP_MKDIR:
	case JG_TOP_MKNOD:
	case JG_TOP_CHMOD:
		snprintf(mode, sizeof(mode), "%04o", t->mode & 07777);
		json_object_set_new(ev, "mode", json_string(mode));
		break;
	case JG_TOP_CHOWN:
		json_object_set_new(ev, "owner", json_pack("{s:o, s:o}",
			"uid", t->uid == (uint32_t)-1 ? json_null() : json_integer(t->uid),
			"gid", t->gid == (uint32_t)-1 ? json_null() : json_integer(t->gid)));
		break;
	case JG_TOP_TRUNCATE:
		json_object_set_new(ev, "size", json_integer((json_int_t)t->size));
		break;
	case JG_TOP_SYMLINK:
		json_object_set_new(ev, "target", t->to_flags & JG_EVF_PATH_OK ?
				    kernel_text(text) : json_null());
		break;
	case JG_TOP_RENAME:
	case JG_TOP_LINK:
		json_object_set_new(ev, "new_path", kernel_text(text));
		break;
	}
}

/* "/etc" + "/cron.d/x": a name the kernel gave from below a tree (JG_EVF_PATH_REL, flags
 * as the kernel set them) made whole with the tree's path (NULL: unknown), or from the
 * filesystem's root (JG_EVF_PATH_FSROOT); "...NAMES" when the outer names are unknown. */
static json_t *whole_path(const char *rel, uint32_t flags, const char *base)
{
	char full[PATH_MAX + JG_PATH_LEN];

	if (flags & JG_EVF_PATH_FSROOT)
		snprintf(full, sizeof(full), "%s", rel[0] ? rel : "/");
	else if (base && !(flags & JG_EVF_PATH_CUT))
		snprintf(full, sizeof(full), "%s%s", base, rel);
	else
		snprintf(full, sizeof(full), "...%s", rel);
	return kernel_text(full);
}

void audit__trail_paths(const struct jg_file_trail *t, json_t *rec, const char *watch,
			const char *to_watch)
{
	json_t *obj = json_object_get(rec, "object");
	char rel[JG_PATH_LEN + 1];

	if (watch)
		json_object_set_new(rec, "watch", json_string(watch));
	else if (to_watch)
		json_object_set_new(rec, "watch", json_string(to_watch));
	if (obj && !(t->ev.flags & JG_EVF_PATH_OK) && (t->ev.flags & JG_EVF_PATH_REL)) {
		memcpy(rel, t->ev.path, JG_PATH_LEN);
		rel[JG_PATH_LEN] = 0;
		json_object_set_new(obj, "path", whole_path(rel, t->ev.flags, watch));
	}
	if ((t->op == JG_TOP_RENAME || t->op == JG_TOP_LINK) && (t->to_flags & JG_EVF_PATH_REL)) {
		memcpy(rel, t->to, JG_PATH_LEN);
		rel[JG_PATH_LEN] = 0;
		json_object_set_new(rec, "new_path", whole_path(rel, t->to_flags, to_watch));
	}
}

json_t *audit__from_kernel(const struct jg_event *e, const char *resource)
{
	char comm[JG_COMM_LEN + 1], gid[32];
	json_t *ev = audit__new(event_type(e->type));

	memcpy(comm, e->comm, JG_COMM_LEN);
	comm[JG_COMM_LEN] = 0;
	json_object_set_new(ev, "hook", json_string(hook_name(e->hook)));
	json_object_set_new(ev, "subject", audit__subject(e->subject, e->loginuid));
	json_object_set_new(ev, "process",
			    json_pack("{s:I, s:I, s:I, s:o, s:o, s:I, s:I}",
				      "pid", (json_int_t)e->pid, "tid", (json_int_t)e->tid,
				      "ppid", (json_int_t)e->ppid, "comm", kernel_text(comm), "exe",
				      exe_of(e), "uid", (json_int_t)e->uid,
				      "euid", (json_int_t)e->euid));
	json_object_set_new(ev, "resource", resource ? json_string(resource) : json_null());
	json_object_set_new(ev, "perm", json_string(perm__name(e->perm) ? perm__name(e->perm)
								     : "unknown"));
	json_object_set_new(ev, "object", object_of(e));
	json_object_set_new(ev, "grant_id", e->grant_id ?
			    json_string(id__format(JG_ID_GRANT, e->grant_id, gid, sizeof(gid))) :
			    json_null());
	if (e->flags & JG_EVF_STANDING)
		json_object_set_new(ev, "standing", json_true());	/* no grant: a standing rule */
	if (e->ret)
		json_object_set_new(ev, "errno", json_integer(-e->ret));
	if (e->flags & JG_EVF_LOGINUID)
		json_object_set_new(ev, "reason", json_string(
			e->type == JG_EV_TAMPER ? "an elevated session cannot change its login uid"
						: "setting the login uid needs CAP_AUDIT_CONTROL"));
	if (e->type == JG_EV_SESSION_END)
		json_object_set_new(ev, "reason",
				    json_string("elevated session over: its grant is no longer live"));
	if (e->flags & JG_EVF_TOO_DEEP)
		json_object_set_new(ev, "reason", json_string("path deeper than the ancestor walk"));
	if (e->flags & JG_EVF_DISCONNECTED)
		json_object_set_new(ev, "reason",
				    json_string("disconnected dentry: its ancestors are unknown"));
	if (e->flags & JG_EVF_ANCESTOR)
		json_object_set_new(ev, "reason",
				    json_string("renaming a directory above a protected object"));
	if (e->flags & JG_EVF_STACKED)
		json_object_set_new(ev, "stacked", json_true());	/* through overlayfs */
	if (e->type == JG_EV_REBIND)
		json_object_set_new(ev, "perm", json_null());	/* no access: a new inode */
	if (e->type == JG_EV_REBIND && e->ret)
		json_object_set_new(ev, "reason", json_string("the objects map is full"));
	if (e->flags & JG_EVF_TAINTED) {
		/* a standing rule bound to this program matched, and was refused */
		json_object_set_new(ev, "tainted", json_true());
		json_object_set_new(ev, "reason",
				    json_string("standing rule refused: the process's loader "
						"environment was injectable, it was traced or its "
						"memory opened by another process, or it started "
						"before the rule"));
	}
	if (e->type == JG_EV_TRAIL)
		trail_of((const struct jg_trail *)e, ev);
	if (e->type == JG_EV_SESSION_FILE)
		file_trail_of((const struct jg_file_trail *)e, ev);
	return ev;
}
