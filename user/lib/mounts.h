/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Which filesystem a path is on, as the kernel's super_block->s_dev: the device the gate
 * compares. stat()'s st_dev is not always that: btrfs gives every subvolume an anonymous
 * device of its own. /proc/self/mountinfo's major:minor field is s_dev, and statx() names
 * the mount a path is on. */
#ifndef JG_MOUNTS_H
#define JG_MOUNTS_H

#include <stddef.h>
#include <stdint.h>

struct jg_mount {
	uint64_t id;		/* mount id (statx STATX_MNT_ID) */
	uint32_t kdev;		/* super_block->s_dev, kernel encoding (major << 20 | minor) */
	char fstype[32];
};

struct jg_mounts {
	struct jg_mount *v;
	size_t n;
};

/* Read a mountinfo file (NULL: /proc/self/mountinfo). An unreadable file leaves an empty
 * table (every lookup then falls back to st_dev). Returns 0 or -ENOMEM. */
int mounts__load(struct jg_mounts *m, const char *mountinfo);
void mounts__free(struct jg_mounts *m);

/* Parse one mountinfo line into *out. Returns 0, or -EINVAL for a line that is not one. */
int mounts__parse_line(const char *line, struct jg_mount *out);

/* The filesystem `path` is on (following symlinks, as stat does): its kernel dev and type
 * ("" when the mount is not in the table: then kdev is st_dev's). Fills *st_dev and *ino
 * too. Returns 0 or -errno (from statx). */
int mounts__identify(const struct jg_mounts *m, const char *path, uint32_t *kdev,
		     uint64_t *ino, const char **fstype);
/* The same for a symbolic link itself, not what it points to. */
int mounts__identify_link(const struct jg_mounts *m, const char *path, uint32_t *kdev,
			  uint64_t *ino, const char **fstype);

#endif
