// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "policy/compile.h"
#include "gate/preexisting.h"

/* The file a descriptor names (stat follows the /proc link to the open file itself, even
 * when it was renamed or deleted), then its directories by the name the link shows. */
static bool fd_protected(const char *link, const char *path, jg_protected_fn fn, void *ctx,
			 uint16_t *resource)
{
	char dir[PATH_MAX];
	struct stat st;
	char *slash;

	if (stat(link, &st) || !(S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)))
		return false;
	if (fn(compile__kdev(st.st_dev), st.st_ino, resource, ctx))
		return true;
	if (path[0] != '/')
		return false;	/* "pipe:[…]", "anon_inode:…" */
	snprintf(dir, sizeof(dir), "%s", path);
	while ((slash = strrchr(dir, '/'))) {
		slash[slash == dir] = 0;	/* keep "/" itself */
		if (!stat(dir, &st) && fn(compile__kdev(st.st_dev), st.st_ino, resource, ctx))
			return true;
		if (slash == dir)
			break;
	}
	return false;
}

static void read_comm(const char *proc_root, int pid, char *comm, size_t len)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%d/comm", proc_root, pid);
	comm[0] = 0;
	f = fopen(path, "re");
	if (!f)
		return;
	if (fgets(comm, (int)len, f))
		comm[strcspn(comm, "\n")] = 0;
	fclose(f);
}

size_t preexisting__scan(const char *proc_root, int skip_pid, jg_protected_fn fn, void *ctx,
			 struct jg_preexisting *out, size_t max)
{
	DIR *procs = opendir(proc_root);
	struct dirent *pe, *fe;
	size_t found = 0;

	if (!procs)
		return 0;
	while ((pe = readdir(procs))) {
		char fd_dir[PATH_MAX];
		int pid;
		DIR *fds;

		if (!isdigit((unsigned char)pe->d_name[0]))
			continue;
		pid = atoi(pe->d_name);
		if (pid == skip_pid)
			continue;
		snprintf(fd_dir, sizeof(fd_dir), "%s/%d/fd", proc_root, pid);
		fds = opendir(fd_dir);
		if (!fds)
			continue;
		while ((fe = readdir(fds))) {
			char link[sizeof(fd_dir) + sizeof(fe->d_name) + 2], path[PATH_MAX];
			uint16_t resource = 0;
			ssize_t n;

			if (!isdigit((unsigned char)fe->d_name[0]))
				continue;
			snprintf(link, sizeof(link), "%s/%s", fd_dir, fe->d_name);
			n = readlink(link, path, sizeof(path) - 1);
			if (n < 0)
				continue;
			path[n] = 0;
			if (!fd_protected(link, path, fn, ctx, &resource))
				continue;
			if (found < max) {
				struct jg_preexisting *e = &out[found];

				e->pid = pid;
				e->fd = atoi(fe->d_name);
				e->resource = resource;
				snprintf(e->path, sizeof(e->path), "%s", path);
				read_comm(proc_root, pid, e->comm, sizeof(e->comm));
			}
			found++;
		}
		closedir(fds);
	}
	closedir(procs);
	return found;
}
