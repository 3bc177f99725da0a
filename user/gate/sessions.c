// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Elevated sessions seen from userspace: the kernel's session iterator (link_sessions, see
 * bpf/session.bpf.h) read line by line, and a process's session looked up by pidfd. Both
 * go through the pins, so they work the same for a gate this daemon loaded or adopted. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "gate/gate.h"

static int open_pin(const char *pin_dir, const char *name, char *err, size_t errlen)
{
	char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", pin_dir, name);
	fd = bpf_obj_get(path);
	if (fd < 0 && err)
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
	return fd < 0 ? -errno : fd;
}

static bool parse_line(const char *line, struct jg_session_task *t)
{
	unsigned long long gid, started;
	unsigned res;
	int live;

	memset(t, 0, sizeof(*t));
	if (sscanf(line, "%d %d %u %llu %u %d %llu %15s", &t->tgid, &t->tid, &t->subject, &gid,
		   &res, &live, &started, t->comm) < 7)
		return false;
	t->grant_id = gid;
	t->resource = (uint16_t)res;
	t->live = live != 0;
	t->started_ns = started;
	return true;
}

int gate__for_each_session_task(const char *pin_dir,
				int (*fn)(const struct jg_session_task *t, void *ctx), void *ctx,
				char *err, size_t errlen)
{
	int link_fd, iter_fd, ret = 0;
	char line[256];
	FILE *f;

	link_fd = open_pin(pin_dir, "link_sessions", err, errlen);
	if (link_fd < 0)
		return link_fd;
	iter_fd = bpf_iter_create(link_fd);
	close(link_fd);
	if (iter_fd < 0) {
		ret = -errno;
		if (err)
			snprintf(err, errlen, "cannot start the session iterator: %s",
				 strerror(-ret));
		return ret;
	}
	f = fdopen(iter_fd, "r");
	if (!f) {
		ret = -errno;
		close(iter_fd);
		return ret;
	}
	while (fgets(line, sizeof(line), f)) {
		struct jg_session_task t;

		if (!parse_line(line, &t))
			continue;
		if (fn(&t, ctx))
			break;
	}
	if (ferror(f)) {
		ret = -EIO;
		if (err)
			snprintf(err, errlen, "reading the session iterator failed");
	}
	fclose(f);
	return ret;
}

int gate__session_of_pidfd(const char *pin_dir, int pidfd, struct jg_session *out)
{
	int fd = open_pin(pin_dir, "sessions", NULL, 0), ret = 0;

	if (fd < 0)
		return fd;
	if (bpf_map_lookup_elem(fd, &pidfd, out))
		ret = -errno;
	close(fd);
	return ret;
}
