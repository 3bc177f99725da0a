// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* jg-fsprobe: file-identity probes for the VM tests, answered in one line like jg-probe.
 *
 *   jg-fsprobe handle-save PATH FILE       name_to_handle_at(PATH): the handle into FILE
 *   jg-fsprobe handle-read MOUNTDIR FILE   open_by_handle_at (on MOUNTDIR's filesystem) of the
 *                                          handle in FILE, then read: prints the content
 *   jg-fsprobe mprotect-exec PATH          mmap(PROT_READ) then mprotect(PROT_READ|PROT_EXEC)
 *   jg-fsprobe mmap-exec PATH              mmap(PROT_READ|PROT_EXEC) directly
 *   jg-fsprobe open3 PATH                  open(PATH, O_WRONLY|O_RDWR): the ioctl-only mode
 *   jg-fsprobe setxattr PATH NAME VALUE    setxattr (as the test's setup)
 *   jg-fsprobe getxattr PATH NAME          getxattr: prints the value
 *   jg-fsprobe listxattr PATH              listxattr
 *   jg-fsprobe shutdown MOUNTDIR           FS_IOC_SHUTDOWN of MOUNTDIR's
 *                                          filesystem (ext4, xfs): from then on its reads
 *                                          and writes fail with EIO, as a dead disk's would
 *
 * Output: "ok" (or the content), or the errno name of the failure. Exit: 0 ok, 1 the
 * attempt failed, 2 usage, 125 setup failed (the test's fault, not the gate's). */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/xattr.h>

static int fail(const char *what)
{
	int err = errno;

	printf("%s\n", err == EACCES ? "EACCES" : err == EPERM ? "EPERM" : strerror(err));
	fprintf(stderr, "jg-fsprobe: %s: %s\n", what, strerror(err));
	return 1;
}

static int setup_fail(const char *what)
{
	fprintf(stderr, "jg-fsprobe: %s: %s\n", what, strerror(errno));
	return 125;
}

static int handle_save(const char *path, const char *file)
{
	struct file_handle *h = malloc(sizeof(*h) + MAX_HANDLE_SZ);
	int mount_id, fd;

	h->handle_bytes = MAX_HANDLE_SZ;
	if (name_to_handle_at(AT_FDCWD, path, h, &mount_id, 0))
		return setup_fail("name_to_handle_at");
	fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, h, sizeof(*h) + h->handle_bytes) < 0)
		return setup_fail(file);
	close(fd);
	printf("ok\n");
	return 0;
}

static int handle_read(const char *mountdir, const char *file)
{
	struct file_handle *h = malloc(sizeof(*h) + MAX_HANDLE_SZ);
	char buf[4096];
	int mfd, hfd, fd;
	ssize_t n;

	hfd = open(file, O_RDONLY);
	if (hfd < 0 || read(hfd, h, sizeof(*h) + MAX_HANDLE_SZ) < (ssize_t)sizeof(*h))
		return setup_fail(file);
	mfd = open(mountdir, O_RDONLY | O_DIRECTORY);
	if (mfd < 0)
		return setup_fail(mountdir);
	fd = open_by_handle_at(mfd, h, O_RDONLY);
	if (fd < 0)
		return fail("open_by_handle_at");
	n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0)
		return fail("read");
	buf[n] = 0;
	fputs(buf, stdout);
	return 0;
}

static int map_exec(const char *path, bool later)
{
	void *p;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return fail("open");
	p = mmap(NULL, 4096, later ? PROT_READ : PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED)
		return fail("mmap");
	if (later && mprotect(p, 4096, PROT_READ | PROT_EXEC))
		return fail("mprotect");
	printf("ok\n");
	return 0;
}

static int xattr_probe(int argc, char **argv)
{
	char buf[4096];
	ssize_t n;

	if (!strcmp(argv[1], "setxattr")) {
		if (setxattr(argv[2], argv[3], argv[4], strlen(argv[4]), 0))
			return setup_fail("setxattr");
		printf("ok\n");
		return 0;
	}
	n = !strcmp(argv[1], "getxattr") ? getxattr(argv[2], argv[3], buf, sizeof(buf) - 1)
					 : listxattr(argv[2], buf, sizeof(buf) - 1);
	if (n < 0)
		return fail(argv[1]);
	buf[n] = 0;
	printf("%s\n", argc == 4 ? buf : "ok");
	return 0;
}

/* <linux/fs.h> has no FS_IOC_SHUTDOWN in every libc's headers: ext4's and xfs's number. */
#define JG_FS_IOC_SHUTDOWN _IOR('X', 125, unsigned int)
#define JG_GOING_DEFAULT 0	/* flush what was written, then go down */

static int shutdown_fs(const char *dir)
{
	unsigned int how = JG_GOING_DEFAULT;
	int fd = open(dir, O_RDONLY | O_DIRECTORY);

	if (fd < 0)
		return setup_fail("open");
	if (ioctl(fd, JG_FS_IOC_SHUTDOWN, &how))
		return setup_fail("FS_IOC_SHUTDOWN");
	close(fd);
	printf("ok\n");
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "shutdown"))
		return shutdown_fs(argv[2]);
	if (argc == 4 && !strcmp(argv[1], "handle-save"))
		return handle_save(argv[2], argv[3]);
	if (argc == 4 && !strcmp(argv[1], "handle-read"))
		return handle_read(argv[2], argv[3]);
	if (argc == 3 && !strcmp(argv[1], "mprotect-exec"))
		return map_exec(argv[2], true);
	if (argc == 3 && !strcmp(argv[1], "mmap-exec"))
		return map_exec(argv[2], false);
	if (argc == 3 && !strcmp(argv[1], "open3")) {
		int fd = open(argv[2], O_WRONLY | O_RDWR);

		if (fd < 0)
			return fail("open");
		printf("ok\n");
		return 0;
	}
	if ((argc == 5 && !strcmp(argv[1], "setxattr")) ||
	    (argc == 4 && !strcmp(argv[1], "getxattr")) ||
	    (argc == 3 && !strcmp(argv[1], "listxattr")))
		return xattr_probe(argc, argv);
	fprintf(stderr, "usage: jg-fsprobe handle-save PATH FILE | handle-read MOUNTDIR FILE |\n"
			"       mprotect-exec PATH | mmap-exec PATH | open3 PATH |\n"
			"       setxattr PATH NAME VALUE | getxattr PATH NAME | listxattr PATH |\n"
			"       shutdown MOUNTDIR\n");
	return 2;
}
