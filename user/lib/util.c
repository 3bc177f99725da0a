// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <poll.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include "lib/util.h"

static int64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int64_t util__realtime_ns(void)
{
	return clock_ns(CLOCK_REALTIME);
}

int64_t util__monotonic_ms(void)
{
	return clock_ns(CLOCK_MONOTONIC) / 1000000;
}

int util__send_rest(int fd, const char *buf, size_t len, size_t *off)
{
	while (*off < len) {
		ssize_t n = send(fd, buf + *off, len - *off, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n < 0)
			return -errno;
		*off += (size_t)n;
	}
	return 1;
}

ssize_t util__recv_some(int fd, void *buf, size_t len)
{
	for (;;) {
		ssize_t n = recv(fd, buf, len, MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		return n > 0 ? n : -1;
	}
}

size_t util__write_all(int fd, const char *buf, size_t len)
{
	size_t off = 0;

	while (off < len) {
		ssize_t n = write(fd, buf + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	return off;
}

uint64_t util__boottime_ns(void)
{
	return (uint64_t)clock_ns(CLOCK_BOOTTIME);
}

int64_t util__boot_to_wall(uint64_t boot_ns)
{
	return util__realtime_ns() - ((int64_t)util__boottime_ns() - (int64_t)boot_ns);
}

char *util__rfc3339(int64_t wall_ns, char *buf, size_t len)
{
	/* the date and time of the last second asked for: a burst of records shares it */
	static __thread time_t last = -1;
	static __thread char base[32];
	time_t secs = (time_t)(wall_ns / 1000000000LL);
	long nsec = (long)(wall_ns % 1000000000LL);
	struct tm tm;

	if (nsec < 0) {
		nsec += 1000000000L;
		secs--;
	}
	if (secs != last) {
		gmtime_r(&secs, &tm);
		strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
		last = secs;
	}
	snprintf(buf, len, "%s.%09ldZ", base, nsec);
	return buf;
}

/* Every audit event names its subject: without a cache the daemon would read the user
 * database once per event. Entries live a minute, so renames show up soon enough. The age is
 * read from the coarse monotonic clock, which costs no clock hardware read (under a VM's HPET
 * a precise read is a trap per event); suspended time does not count toward the minute. */
#define NAME_CACHE_SLOTS 64
#define NAME_CACHE_TTL_NS (60LL * 1000000000LL)

static struct {
	uint32_t uid;
	int64_t until;		/* CLOCK_MONOTONIC_COARSE ns; 0 = empty */
	char name[64];
} name_cache[NAME_CACHE_SLOTS];

char *util__user_name(uint32_t uid, char *buf, size_t len)
{
	struct passwd pw, *res = NULL;
	char scratch[1024];
	int64_t now = clock_ns(CLOCK_MONOTONIC_COARSE);
	unsigned slot = uid % NAME_CACHE_SLOTS;

	if (name_cache[slot].until > now && name_cache[slot].uid == uid) {
		snprintf(buf, len, "%s", name_cache[slot].name);
		return buf;
	}
	if (getpwuid_r(uid, &pw, scratch, sizeof(scratch), &res) == 0 && res)
		snprintf(buf, len, "%s", pw.pw_name);
	else
		snprintf(buf, len, "%u", uid);
	name_cache[slot].uid = uid;
	name_cache[slot].until = now + NAME_CACHE_TTL_NS;
	snprintf(name_cache[slot].name, sizeof(name_cache[slot].name), "%s", buf);
	return buf;
}

int util__resolve_user(const char *text, uint32_t *uid, char *name, size_t namelen,
		       char *err, size_t errlen)
{
	struct passwd pw, *res = NULL;
	char scratch[1024], *end;
	unsigned long n;

	if (!text || !*text) {
		snprintf(err, errlen, "the user is empty");
		return -EINVAL;
	}
	errno = 0;
	n = strtoul(text, &end, 10);
	if (!*end && !errno && n < UINT32_MAX) {
		*uid = (uint32_t)n;
		util__user_name(*uid, name, namelen);
		return 0;
	}
	if (getpwnam_r(text, &pw, scratch, sizeof(scratch), &res) || !res) {
		snprintf(err, errlen, "no user \"%s\" on this host", text);
		return -ENOENT;
	}
	*uid = pw.pw_uid;
	snprintf(name, namelen, "%s", pw.pw_name);
	return 0;
}

/* getgrnam_r / getpwuid_r into a buffer that grows on ERANGE (a group of many members is a
 * long record); NULL when there is no such entry or on another error. The caller frees
 * *buf. */
static struct group *group_by_name(const char *name, struct group *gr, char **buf)
{
	struct group *res = NULL;

	for (size_t len = 4096; len <= (1u << 24); len *= 4) {
		char *nb = realloc(*buf, len);
		int e;

		if (!nb)
			return NULL;
		*buf = nb;
		e = getgrnam_r(name, gr, *buf, len, &res);
		if (e != ERANGE)
			return e ? NULL : res;
	}
	return NULL;
}

static struct passwd *user_by_uid(uint32_t uid, struct passwd *pw, char **buf)
{
	struct passwd *res = NULL;

	for (size_t len = 1024; len <= (1u << 20); len *= 4) {
		char *nb = realloc(*buf, len);
		int e;

		if (!nb)
			return NULL;
		*buf = nb;
		e = getpwuid_r(uid, pw, *buf, len, &res);
		if (e != ERANGE)
			return e ? NULL : res;
	}
	return NULL;
}

bool util__user_in_group(uint32_t uid, const char *group)
{
	struct passwd pw;
	struct group gr;
	char *pbuf = NULL, *gbuf = NULL;
	gid_t *groups = NULL;
	int n = 64;
	bool in = false;

	if (!group_by_name(group, &gr, &gbuf) || !user_by_uid(uid, &pw, &pbuf))
		goto out;
	/* getgrouplist says how many there are when the array is too small: no cap */
	for (int tries = 0; tries < 4; tries++) {
		gid_t *ng = realloc(groups, (size_t)n * sizeof(*groups));
		int want = n;

		if (!ng)
			goto out;
		groups = ng;
		if (getgrouplist(pw.pw_name, pw.pw_gid, groups, &want) >= 0) {
			n = want;
			break;
		}
		if (want <= n)
			goto out;
		n = want;
		if (tries == 3)
			goto out;
	}
	for (int i = 0; i < n; i++)
		if (groups[i] == gr.gr_gid) {
			in = true;
			break;
		}
out:
	free(groups);
	free(pbuf);
	free(gbuf);
	return in;
}

uint32_t util__loginuid(pid_t pid)
{
	char path[64], buf[32] = "";
	unsigned long v;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/loginuid", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return (uint32_t)-1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return (uint32_t)-1;
	buf[n] = 0;
	v = strtoul(buf, NULL, 10);
	return (uint32_t)v;
}

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

/* "Uid:\t1000\t1000\t1000\t1000" -> real and effective id. */
static int status_ids(const char *status, const char *key, uint32_t *real, uint32_t *eff)
{
	const char *line = strstr(status, key);
	unsigned long r, e;
	char *end;

	if (!line)
		return -EPROTO;
	line += strlen(key);
	errno = 0;
	r = strtoul(line, &end, 10);
	if (end == line || errno)
		return -EPROTO;
	line = end;
	e = strtoul(line, &end, 10);
	if (end == line || errno)
		return -EPROTO;
	*real = (uint32_t)r;
	*eff = (uint32_t)e;
	return 0;
}

int util__proc_ids(pid_t pid, struct util_proc_ids *ids, char *err, size_t errlen)
{
	struct pollfd pfd = { .events = POLLIN };
	char path[64], status[4096];
	int pidfd = -1, fd = -1, ret;
	ssize_t n;

	if (pid <= 0) {
		snprintf(err, errlen, "the kernel names no process for the connection (pid %d)",
			 (int)pid);
		return -ESRCH;
	}
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0) {
		ret = -errno;
		if (ret == -ESRCH)
			snprintf(err, errlen, "process %d has exited", (int)pid);
		else
			snprintf(err, errlen, "cannot open a pidfd for process %d: %s", (int)pid,
				 strerror(-ret));
		goto cleanup;
	}
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	n = fd < 0 ? -1 : read(fd, status, sizeof(status) - 1);
	if (n <= 0) {
		ret = n < 0 ? -errno : -EIO;
		if (ret == -ENOENT || ret == -ESRCH)
			ret = -ESRCH;
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(-ret));
		goto cleanup;
	}
	status[n] = 0;
	if (status_ids(status, "\nUid:", &ids->ruid, &ids->euid) ||
	    status_ids(status, "\nGid:", &ids->rgid, &ids->egid)) {
		snprintf(err, errlen, "%s has no Uid/Gid lines", path);
		ret = -EPROTO;
		goto cleanup;
	}
	ids->loginuid = util__loginuid(pid);
	/* A pidfd is readable once its process has exited. Not readable: the process that
	 * held PID when the pidfd was opened still holds it, so the reads above were its. */
	pfd.fd = pidfd;
	if (poll(&pfd, 1, 0) != 0) {
		snprintf(err, errlen, "process %d exited while it was being identified", (int)pid);
		ret = -ESRCH;
		goto cleanup;
	}
	ret = 0;
cleanup:
	if (fd >= 0)
		close(fd);
	if (pidfd >= 0)
		close(pidfd);
	return ret;
}

int util__mkdir_p(const char *path, mode_t mode)
{
	char tmp[512];

	snprintf(tmp, sizeof(tmp), "%s", path);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(tmp, mode) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, mode) && errno != EEXIST)
		return -errno;
	return 0;
}

void util__boot_id(char *buf, size_t len)
{
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "re");

	buf[0] = 0;
	if (!f)
		return;
	if (fgets(buf, (int)len, f))
		buf[strcspn(buf, "\n")] = 0;
	fclose(f);
}

char *util__json_escape_del(char *json)
{
	size_t n = 0, len;
	char *out, *o;

	if (!json || !strchr(json, 0x7f))
		return json;
	len = strlen(json);
	for (size_t i = 0; i < len; i++)
		n += json[i] == 0x7f;
	out = malloc(len + n * 5 + 1);
	if (!out) {
		free(json);
		return NULL;
	}
	o = out;
	for (size_t i = 0; i < len; i++) {
		if (json[i] == 0x7f) {
			memcpy(o, "\\u007F", 6);
			o += 6;
		} else {
			*o++ = json[i];
		}
	}
	*o = 0;
	free(json);
	return out;
}
