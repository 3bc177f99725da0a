// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* jg-fd: VM test helper for what jg-probe (one open per process) cannot do.
 *
 *   jg-fd hold PATH r|w|rw READY TRIGGER OP...
 *	open PATH, print "open RESULT", create the file READY, wait (up to 120 s) until the
 *	file TRIGGER exists, then run each OP on the same descriptor and print "OP RESULT".
 *	OP: read (pread 1 byte), write (pwrite 1 byte at offset 0: the byte read at open, so
 *	the content stays), mmap-r (PROT_READ, MAP_SHARED), mmap-w (PROT_READ|PROT_WRITE,
 *	MAP_SHARED), mmap-wp (PROT_READ|PROT_WRITE, MAP_PRIVATE), ftruncate (to its size)
 *   jg-fd op OPERATION ARGS...
 *	one write-class operation: unlink P, rmdir P, rename A B, link A B, creat P,
 *	mkdir P, mkfifo P, symlink TARGET P, chmod P OCTAL, chown P UID GID, utimes P,
 *	truncate P LEN, setxattr P NAME VALUE, removexattr P NAME; getxattr P NAME prints
 *	the value instead of "ok"
 *   jg-fd loop PATH COUNT
 *	open PATH once, then COUNT preads of 1 byte; prints "ns/read N"
 *
 * RESULT is "ok" or the errno name. Exit: 0 all ok, 1 any failed, 2 usage, 125 setup error.
 * Only libc. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/xattr.h>

static const char *errname(int err)
{
	static char buf[32];

	switch (err) {
	case 0:       return "ok";
	case EPERM:   return "EPERM";
	case ENOENT:  return "ENOENT";
	case EBADF:   return "EBADF";
	case EACCES:  return "EACCES";
	case EEXIST:  return "EEXIST";
	case EXDEV:   return "EXDEV";
	case EINVAL:  return "EINVAL";
	case ENOTDIR: return "ENOTDIR";
	case EISDIR:  return "EISDIR";
	case ENOTEMPTY: return "ENOTEMPTY";
	case EROFS:   return "EROFS";
	case ENOTSUP: return "ENOTSUP";
	case ENODATA: return "ENODATA";
	case ETXTBSY: return "ETXTBSY";
	default:
		snprintf(buf, sizeof(buf), "E%d", err);
		return buf;
	}
}

static int usage(void)
{
	fprintf(stderr, "usage: jg-fd hold PATH r|w|rw READY TRIGGER OP...\n"
			"       jg-fd op OPERATION ARGS...\n"
			"       jg-fd loop PATH COUNT\n");
	return 2;
}

static int fd_op(int fd, const char *op, char *byte)
{
	struct stat st;
	void *p;

	if (!strcmp(op, "read"))
		return pread(fd, byte, 1, 0) < 0 ? errno : 0;
	if (!strcmp(op, "write"))
		return pwrite(fd, byte, 1, 0) < 0 ? errno : 0;
	if (!strcmp(op, "ftruncate")) {
		if (fstat(fd, &st))
			return errno;
		return ftruncate(fd, st.st_size) ? errno : 0;
	}
	if (!strncmp(op, "mmap-", 5)) {
		int prot = PROT_READ, flags = MAP_SHARED;

		if (!strcmp(op, "mmap-w"))
			prot |= PROT_WRITE;
		else if (!strcmp(op, "mmap-wp")) {
			prot |= PROT_WRITE;
			flags = MAP_PRIVATE;
		} else if (strcmp(op, "mmap-r"))
			return -1;
		p = mmap(NULL, 4096, prot, flags, fd, 0);
		if (p == MAP_FAILED)
			return errno;
		munmap(p, 4096);
		return 0;
	}
	return -1;
}

static int do_hold(int argc, char **argv)
{
	const char *path = argv[2], *mode = argv[3], *ready = argv[4], *trigger = argv[5];
	char byte = 'x';
	int flags, fd, i, rc = 0, err;

	if (!strcmp(mode, "r"))
		flags = O_RDONLY;
	else if (!strcmp(mode, "w"))
		flags = O_WRONLY;
	else if (!strcmp(mode, "rw"))
		flags = O_RDWR;
	else
		return usage();
	fd = open(path, flags | O_CLOEXEC | O_NOCTTY);
	printf("open %s\n", errname(fd < 0 ? errno : 0));
	fflush(stdout);
	if (fd < 0)
		return 1;
	if (flags != O_WRONLY && pread(fd, &byte, 1, 0) != 1)
		byte = 'x';
	i = open(ready, O_WRONLY | O_CREAT | O_CLOEXEC, 0666);
	if (i < 0) {
		fprintf(stderr, "jg-fd: cannot create %s: %s\n", ready, strerror(errno));
		return 125;
	}
	close(i);
	for (i = 0; access(trigger, F_OK); i++) {
		if (i >= 2400) {
			fprintf(stderr, "jg-fd: %s did not appear within 120 s\n", trigger);
			return 125;
		}
		usleep(50000);
	}
	for (i = 6; i < argc; i++) {
		err = fd_op(fd, argv[i], &byte);
		if (err < 0)
			return usage();
		printf("%s %s\n", argv[i], errname(err));
		if (err)
			rc = 1;
	}
	close(fd);
	return rc;
}

static int one_op(int argc, char **argv)
{
	const char *op = argv[2];
	int n = argc - 3, fd;
	char **a = argv + 3;

	if (!strcmp(op, "unlink") && n == 1)
		return unlink(a[0]) ? errno : 0;
	if (!strcmp(op, "rmdir") && n == 1)
		return rmdir(a[0]) ? errno : 0;
	if (!strcmp(op, "rename") && n == 2)
		return rename(a[0], a[1]) ? errno : 0;
	if (!strcmp(op, "link") && n == 2)
		return link(a[0], a[1]) ? errno : 0;
	if (!strcmp(op, "creat") && n == 1) {
		fd = open(a[0], O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
		if (fd < 0)
			return errno;
		close(fd);
		return 0;
	}
	if (!strcmp(op, "mkdir") && n == 1)
		return mkdir(a[0], 0777) ? errno : 0;
	if (!strcmp(op, "mkfifo") && n == 1)
		return mkfifo(a[0], 0666) ? errno : 0;
	if (!strcmp(op, "symlink") && n == 2)
		return symlink(a[0], a[1]) ? errno : 0;
	if (!strcmp(op, "chmod") && n == 2)
		return chmod(a[0], (mode_t)strtoul(a[1], NULL, 8)) ? errno : 0;
	if (!strcmp(op, "chown") && n == 3)
		return chown(a[0], (uid_t)atol(a[1]), (gid_t)atol(a[2])) ? errno : 0;
	if (!strcmp(op, "utimes") && n == 1)
		return utimensat(AT_FDCWD, a[0], NULL, 0) ? errno : 0;
	if (!strcmp(op, "truncate") && n == 2)
		return truncate(a[0], atol(a[1])) ? errno : 0;
	if (!strcmp(op, "setxattr") && n == 3)
		return setxattr(a[0], a[1], a[2], strlen(a[2]), 0) ? errno : 0;
	if (!strcmp(op, "removexattr") && n == 2)
		return removexattr(a[0], a[1]) ? errno : 0;
	return -1;
}

static int do_loop(const char *path, long count)
{
	struct timespec t0, t1;
	char byte;
	long i;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || count <= 0) {
		fprintf(stderr, "jg-fd: cannot open %s: %s\n", path, strerror(errno));
		return 125;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < count; i++)
		if (pread(fd, &byte, 1, 0) < 0) {
			printf("%s\n", errname(errno));
			return 1;
		}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("ns/read %.1f\n", ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) /
				     (double)count);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	int err;

	if (argc >= 7 && !strcmp(argv[1], "hold"))
		return do_hold(argc, argv);
	if (argc == 5 && !strcmp(argv[1], "op") && !strcmp(argv[2], "getxattr")) {
		char val[256];
		ssize_t n = getxattr(argv[3], argv[4], val, sizeof(val) - 1);

		if (n < 0) {
			printf("%s\n", errname(errno));
			return 1;
		}
		val[n] = 0;
		printf("%s\n", val);
		return 0;
	}
	if (argc >= 4 && !strcmp(argv[1], "op")) {
		err = one_op(argc, argv);
		if (err < 0)
			return usage();
		printf("%s\n", errname(err));
		return err ? 1 : 0;
	}
	if (argc == 4 && !strcmp(argv[1], "loop"))
		return do_loop(argv[2], atol(argv[3]));
	return usage();
}
