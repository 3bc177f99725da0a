// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Test helper for the elevation gate, installed setuid-root (or with file capabilities) by
 * the VM tests. Every outcome is one word or line on stdout, so tests compare strings.
 *
 *   jg-suid                      print "uid=R euid=E"
 *   jg-suid root [CMD ARGS...]   setresuid(0, 0, 0), then run CMD (default: print ids);
 *                                on failure print the errno name (EPERM) and exit 1
 *   jg-suid group                setresgid(0, 0, 0), print the gid (or the errno name, exit 1)
 *   jg-suid exec PATH [ARGS...]  execv(PATH); on failure print the errno name, exit 1
 *   jg-suid setcap FILE          give FILE cap_setuid+ep (security.capability, v2)
 *   jg-suid after FILE ARGS...   wait (up to 5 min) until FILE exists, then act on ARGS
 */
#include <errno.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <sys/xattr.h>

static const char *errname(int e)
{
	switch (e) {
	case EPERM:  return "EPERM";
	case EACCES: return "EACCES";
	case ENOENT: return "ENOENT";
	case EINVAL: return "EINVAL";
	default:     return strerror(e);
	}
}

static int ids(void)
{
	printf("uid=%u euid=%u\n", (unsigned)getuid(), (unsigned)geteuid());
	return 0;
}

/* struct vfs_cap_data, revision 2: permitted and inheritable, two 32-bit words each. */
#define VFS_CAP_REVISION_2 0x02000000u
#define VFS_CAP_FLAGS_EFFECTIVE 0x000001u
#define CAP_SETUID_BIT 7

static int setcap(const char *file)
{
	uint32_t data[5] = { VFS_CAP_REVISION_2 | VFS_CAP_FLAGS_EFFECTIVE,
			     1u << CAP_SETUID_BIT, 0, 0, 0 };

	if (setxattr(file, "security.capability", data, sizeof(data), 0)) {
		printf("%s\n", errname(errno));
		return 1;
	}
	printf("ok\n");
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && !strcmp(argv[1], "after")) {
		for (int i = 0; i < 3000 && access(argv[2], F_OK); i++)
			usleep(100 * 1000);
		argv[2] = argv[0];
		argv += 2;
		argc -= 2;
	}
	if (argc < 2)
		return ids();
	if (!strcmp(argv[1], "group")) {
		if (setresgid(0, 0, 0)) {
			printf("%s\n", errname(errno));
			return 1;
		}
		printf("%u\n", (unsigned)getgid());
		return 0;
	}
	if (!strcmp(argv[1], "root")) {
		if (setresuid(0, 0, 0)) {
			printf("%s\n", errname(errno));
			return 1;
		}
		if (argc < 3)
			return ids();
		fflush(stdout);
		execvp(argv[2], argv + 2);
		printf("%s\n", errname(errno));
		return 1;
	}
	if (!strcmp(argv[1], "exec") && argc >= 3) {
		execv(argv[2], argv + 2);
		printf("%s\n", errname(errno));
		return 1;
	}
	if (!strcmp(argv[1], "setcap") && argc == 3)
		return setcap(argv[2]);
	fprintf(stderr, "usage: jg-suid [root [CMD ARGS...] | exec PATH [ARGS...] | setcap FILE]\n");
	return 2;
}
