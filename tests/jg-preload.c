// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* jg-preload.so: the code a user slips into someone else's program with LD_PRELOAD, for the
 * VM tests of standing rules bound to a program. Its constructor runs inside the program
 * before main():
 *
 *   JG_PRELOAD_OPEN=PATH    open PATH for reading; prints "preload: ok" or
 *                           "preload: EACCES" (the errno's name)
 *   JG_PRELOAD_FORK=1       ... and from a forked child too ("preload child: ...")
 *
 * Nothing happens without JG_PRELOAD_OPEN, so the program itself runs as usual after it. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

static const char *name_of(int err)
{
	switch (err) {
	case 0:      return "ok";
	case EACCES: return "EACCES";
	case EPERM:  return "EPERM";
	case ENOENT: return "ENOENT";
	default:     return "error";
	}
}

static int try_open(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

__attribute__((constructor)) static void jg_preload(void)
{
	const char *path = getenv("JG_PRELOAD_OPEN");
	pid_t pid;

	if (!path)
		return;
	printf("preload: %s\n", name_of(try_open(path)));
	fflush(stdout);
	if (!getenv("JG_PRELOAD_FORK"))
		return;
	pid = fork();
	if (pid == 0) {
		printf("preload child: %s\n", name_of(try_open(path)));
		fflush(stdout);
		_exit(0);
	}
	if (pid > 0)
		waitpid(pid, NULL, 0);
}
