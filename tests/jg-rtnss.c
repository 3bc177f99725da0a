// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* jg-rtnss.so: a glibc NSS module ("libnss_rt.so.2") for tests/vm/test_59_redteam.sh. glibc
 * rereads /etc/nsswitch.conf when it changes and loads the modules it names into whatever
 * process looks a user up next; this one's constructor appends "pid=PID comm=COMM" to
 * /tmp/rt/nss.hit, showing whose process ran it. It provides no lookups. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

__attribute__((constructor)) static void rt_nss_loaded(void)
{
	char comm[64] = "?";
	int fd = open("/proc/self/comm", O_RDONLY);
	FILE *f;

	if (fd >= 0) {
		ssize_t n = read(fd, comm, sizeof(comm) - 1);

		comm[n > 0 ? n : 0] = 0;
		comm[strcspn(comm, "\n")] = 0;
		close(fd);
	}
	f = fopen("/tmp/rt/nss.hit", "a");
	if (!f)
		return;
	fprintf(f, "pid=%d comm=%s\n", (int)getpid(), comm);
	fclose(f);
}
