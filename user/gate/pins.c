// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The gate's pins in the BPF filesystem: whether the gate is loaded (its marker link), and
 * their removal, which both jitgated's unload and `jitgate unload` (daemon down) go through.
 * Links go first: once they are gone the programs stop, then the maps can follow. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "gate/gate.h"

char *gate__marker_path(const char *pin_dir, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", pin_dir, GATE_MARKER_LINK);
	return buf;
}

bool gate__is_pinned(const char *pin_dir)
{
	char path[512];

	return access(gate__marker_path(pin_dir, path, sizeof(path)), F_OK) == 0;
}

/* The names in dirfd but "." and "..". */
static int read_names(int dirfd, const char *dirpath, char ***out, size_t *nout, char *err,
		      size_t errlen)
{
	char **names = NULL;
	size_t n = 0;
	DIR *d;
	struct dirent *de;
	int ret = 0, fd = dup(dirfd);

	if (fd < 0 || !(d = fdopendir(fd))) {
		ret = -errno;
		if (fd >= 0)
			close(fd);
		snprintf(err, errlen, "cannot read %s: %s", dirpath, strerror(-ret));
		return ret;
	}
	while ((errno = 0, de = readdir(d))) {
		char **p;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		p = realloc(names, (n + 1) * sizeof(*names));
		if (!p || !(p[n] = strdup(de->d_name))) {
			names = p ? p : names;
			snprintf(err, errlen, "out of memory");
			ret = -ENOMEM;
			goto cleanup;
		}
		names = p;
		n++;
	}
	if (errno) {
		ret = -errno;
		snprintf(err, errlen, "cannot read %s: %s", dirpath, strerror(-ret));
	}
cleanup:
	closedir(d);
	*out = names;
	*nout = n;
	return ret;
}

int gate__unpin_at(int dirfd, const char *dirpath, gate_removed_fn removed, void *ctx,
		   int *count, char *err, size_t errlen)
{
	char **names = NULL;
	size_t n = 0;
	int ret = read_names(dirfd, dirpath, &names, &n, err, errlen);

	for (int pass = 0; pass < 2 && !ret; pass++) {
		for (size_t i = 0; i < n && !ret; i++) {
			bool is_link = !strncmp(names[i], "link_", 5);
			char path[4096];

			if (is_link != (pass == 0))
				continue;
			snprintf(path, sizeof(path), "%s/%s", dirpath, names[i]);
			if (unlinkat(dirfd, names[i], 0) == 0) {
				if (removed)
					removed(path, ctx);
				(*count)++;
				continue;
			}
			ret = -errno;
			if (ret == -EISDIR || ret == -EPERM) {
				/* a directory (EPERM is what POSIX allows for it too) */
				int sub = openat(dirfd, names[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);

				if (sub >= 0) {
					ret = gate__unpin_at(sub, path, removed, ctx, count, err,
							     errlen);
					close(sub);
					if (ret)
						break;	/* err already says why */
					if (unlinkat(dirfd, names[i], AT_REMOVEDIR) == 0) {
						if (removed)
							removed(path, ctx);
						continue;
					}
					ret = -errno;
				}
			}
			snprintf(err, errlen, "cannot remove %s: %s", path, strerror(-ret));
		}
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return ret;
}

int gate__unpin(const char *pin_dir, char *err, size_t errlen)
{
	char why[4200];
	int dirfd, count = 0, ret = 0;

	dirfd = open(pin_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		if (errno == ENOENT)
			return 0;
		ret = -errno;
		goto out;
	}
	ret = gate__unpin_at(dirfd, pin_dir, NULL, NULL, &count, why, sizeof(why));
	close(dirfd);
	if (!ret && rmdir(pin_dir))
		ret = -errno;
out:
	if (ret && err)
		snprintf(err, errlen, "cannot remove the pins under %s: %s", pin_dir, strerror(-ret));
	return ret;
}
