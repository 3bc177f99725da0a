// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "audit.h"
#include "grants.h"
#include "policy.h"
#include "util.h"

uint64_t audit__last_seq(const char *path)
{
	char buf[65536 + 1];
	uint64_t seq = 0;
	off_t size, start;
	ssize_t n;
	char *line, *end;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	size = lseek(fd, 0, SEEK_END);
	start = size > 65536 ? size - 65536 : 0;
	n = pread(fd, buf, sizeof(buf) - 1, start);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	/* the last complete line: a crash may have left a partial one after it */
	end = strrchr(buf, '\n');
	while (end) {
		json_t *j;

		*end = 0;
		line = strrchr(buf, '\n');
		line = line ? line + 1 : buf;
		j = json_loads(line, 0, NULL);
		if (j) {
			json_t *s = json_object_get(j, "seq");

			if (json_is_integer(s))
				seq = (uint64_t)json_integer_value(s);
			json_decref(j);
			if (seq)
				break;
		}
		end = line > buf ? line - 1 : NULL;
	}
	return seq;
}

static int write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int audit__open(struct jg_audit *a, const char *path, bool to_stdout, const char *host,
		char *err, size_t errlen)
{
	char dir[256], *slash;
	int ret;

	memset(a, 0, sizeof(*a));
	a->fd = -1;
	a->to_stdout = to_stdout;
	snprintf(a->host, sizeof(a->host), "%s", host);
	if (!path || !*path)
		return 0;
	snprintf(a->path, sizeof(a->path), "%s", path);
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = 0;
		ret = util__mkdir_p(dir, 0750);
		if (ret) {
			snprintf(err, errlen, "cannot create %s: %s", dir, strerror(-ret));
			return ret;
		}
	}
	a->seq = audit__last_seq(path);
	a->fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (a->fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot open the audit log %s: %s", path, strerror(-ret));
		return ret;
	}
	{
		/* a crash mid-line left a partial record: end it so ours starts on a line */
		off_t size = lseek(a->fd, 0, SEEK_END);
		char last = '\n';

		if (size > 0 && pread(a->fd, &last, 1, size - 1) == 1 && last != '\n' &&
		    write_all(a->fd, "\n", 1))
			a->write_errors++;
	}
	return 0;
}

void audit__close(struct jg_audit *a)
{
	if (a->fd >= 0)
		close(a->fd);
	a->fd = -1;
}

json_t *audit__new(const char *type)
{
	return json_pack("{s:s}", "type", type);
}

int audit__emit(struct jg_audit *a, json_t *ev, int64_t wall_ns)
{
	char when[48], *line;
	json_t *rec;
	int ret = 0;
	size_t len;

	if (!ev)
		return -ENOMEM;
	rec = json_pack("{s:I, s:s, s:s}", "seq", (json_int_t)(a->seq + 1), "time",
			util__rfc3339(wall_ns ? wall_ns : util__realtime_ns(), when, sizeof(when)),
			"host", a->host);
	json_object_update(rec, ev);
	json_decref(ev);
	line = json_dumps(rec, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(rec);
	if (!line) {
		a->write_errors++;
		return -ENOMEM;
	}
	a->seq++;
	len = strlen(line);
	line[len++] = '\n';	/* json_dumps leaves room: we overwrite the NUL */
	if (a->fd >= 0 && (ret = write_all(a->fd, line, len)))
		a->write_errors++;
	if (a->to_stdout && write_all(STDOUT_FILENO, line, len))
		a->write_errors++;
	if (a->tap)
		a->tap(line, len, a->tap_ctx);
	free(line);
	return ret;
}

void audit__set_tap(struct jg_audit *a, void (*tap)(const char *line, size_t len, void *ctx),
		    void *ctx)
{
	a->tap = tap;
	a->tap_ctx = ctx;
}

json_t *audit__subject(uint32_t subject, uint32_t loginuid)
{
	char name[JG_NAME_LEN];

	return json_pack("{s:I, s:o, s:s}", "uid", (json_int_t)subject, "loginuid",
			 loginuid == (uint32_t)-1 ? json_null() : json_integer(loginuid),
			 "user", util__user_name(subject, name, sizeof(name)));
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
		return json_string(exe);
	}
	snprintf(path, sizeof(path), "/proc/%u/exe", pid);
	n = readlink(path, buf, sizeof(buf) - 1);
	if (n <= 0)
		return json_null();	/* the process is gone already */
	buf[n] = 0;
	return json_string(buf);
}

static const char *event_type(uint32_t t)
{
	switch (t) {
	case JG_EV_DENY:  return "access.deny";
	case JG_EV_ALLOW: return "access.allow";
	case JG_EV_AUDIT: return "access.audit";
	case JG_EV_TRAIL: return "session.exec";
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
	default:                return "unknown";
	}
}

static json_t *object_of(const struct jg_event *e)
{
	if (e->hook == JG_HOOK_SETUID)
		return json_pack("{s:I, s:I, s:I, s:I}", "uid", (json_int_t)e->setid.uid,
				 "euid", (json_int_t)e->setid.euid, "suid",
				 (json_int_t)e->setid.suid, "fsuid", (json_int_t)e->setid.fsuid);
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
				 e->flags & JG_EVF_PATH_OK ? json_string(path) : json_null(),
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
		s = json_string(arg);	/* NULL: not UTF-8 */
		json_array_append_new(argv, s ? s : json_string("?"));
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
		json_object_set_new(ev, "cwd", json_string(cwd));
	} else {
		json_object_set_new(ev, "cwd", json_null());
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
			    json_pack("{s:I, s:I, s:I, s:s, s:o, s:I, s:I}",
				      "pid", (json_int_t)e->pid, "tid", (json_int_t)e->tid,
				      "ppid", (json_int_t)e->ppid, "comm", comm, "exe",
				      exe_of(e), "uid", (json_int_t)e->uid,
				      "euid", (json_int_t)e->euid));
	json_object_set_new(ev, "resource", resource ? json_string(resource) : json_null());
	json_object_set_new(ev, "perm", json_string(perm__name(e->perm) ? perm__name(e->perm)
								     : "unknown"));
	json_object_set_new(ev, "object", object_of(e));
	json_object_set_new(ev, "grant_id", e->grant_id ?
			    json_string(grants__format_id(e->grant_id, gid, sizeof(gid))) :
			    json_null());
	if (e->ret)
		json_object_set_new(ev, "errno", json_integer(-e->ret));
	if (e->flags & JG_EVF_LOGINUID)
		json_object_set_new(ev, "reason",
				    json_string("setting the login uid needs CAP_AUDIT_CONTROL"));
	if (e->flags & JG_EVF_TOO_DEEP)
		json_object_set_new(ev, "reason", json_string("path deeper than the ancestor walk"));
	if (e->type == JG_EV_TRAIL)
		trail_of((const struct jg_trail *)e, ev);
	return ev;
}
