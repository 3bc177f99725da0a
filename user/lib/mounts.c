// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Paths to the kernel's filesystem identity (see mounts.h). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include "lib/mounts.h"

#ifndef STATX_MNT_ID
#define STATX_MNT_ID 0x00001000U
#endif

static uint32_t kdev_of(unsigned int maj, unsigned int min)
{
	return (uint32_t)((maj << 20) | (min & 0xfffff));
}

/* "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue" */
int mounts__parse_line(const char *line, struct jg_mount *out)
{
	unsigned long long id, parent;
	unsigned int maj, min;
	const char *sep;
	int n = 0;

	if (sscanf(line, "%llu %llu %u:%u %n", &id, &parent, &maj, &min, &n) != 4 || !n)
		return -EINVAL;
	/* the optional fields end at a lone "-"; the type is the word after it */
	sep = strstr(line + n, " - ");
	if (!sep || sscanf(sep + 3, "%31s", out->fstype) != 1)
		return -EINVAL;
	out->id = id;
	out->kdev = kdev_of(maj, min);
	return 0;
}

int mounts__load(struct jg_mounts *m, const char *mountinfo)
{
	char *line = NULL;
	size_t cap = 0, vcap = 0;
	int ret = 0;
	FILE *f;

	m->v = NULL;
	m->n = 0;
	f = fopen(mountinfo ? mountinfo : "/proc/self/mountinfo", "re");
	if (!f)
		return 0;
	while (getline(&line, &cap, f) > 0) {
		struct jg_mount mt;

		if (mounts__parse_line(line, &mt))
			continue;
		if (m->n == vcap) {
			void *p = realloc(m->v, (vcap = vcap ? vcap * 2 : 32) * sizeof(*m->v));

			if (!p) {
				ret = -ENOMEM;
				break;
			}
			m->v = p;
		}
		m->v[m->n++] = mt;
	}
	free(line);
	fclose(f);
	if (ret)
		mounts__free(m);
	return ret;
}

void mounts__free(struct jg_mounts *m)
{
	if (!m)
		return;
	free(m->v);
	m->v = NULL;
	m->n = 0;
}

static int identify(const struct jg_mounts *m, const char *path, int flags, uint32_t *kdev,
		    uint64_t *ino, const char **fstype)
{
	struct statx stx;

	if (statx(AT_FDCWD, path, flags, STATX_BASIC_STATS | STATX_MNT_ID, &stx))
		return -errno;
	*ino = stx.stx_ino;
	*kdev = kdev_of(stx.stx_dev_major, stx.stx_dev_minor);
	*fstype = "";
	if (!(stx.stx_mask & STATX_MNT_ID))
		return 0;
	for (size_t i = 0; m && i < m->n; i++) {
		if (m->v[i].id == stx.stx_mnt_id) {
			*kdev = m->v[i].kdev;
			*fstype = m->v[i].fstype;
			break;
		}
	}
	return 0;
}

int mounts__identify(const struct jg_mounts *m, const char *path, uint32_t *kdev,
		     uint64_t *ino, const char **fstype)
{
	return identify(m, path, 0, kdev, ino, fstype);
}

int mounts__identify_link(const struct jg_mounts *m, const char *path, uint32_t *kdev,
			  uint64_t *ino, const char **fstype)
{
	return identify(m, path, AT_SYMLINK_NOFOLLOW, kdev, ino, fstype);
}
