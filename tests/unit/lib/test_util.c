// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* user/util.c: the ids of a process, read so that they provably are that process's. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <criterion/criterion.h>
#include "lib/util.h"

Test(proc_ids, own_process)
{
	struct util_proc_ids ids;
	char err[256] = "";

	cr_assert_eq(util__proc_ids(getpid(), &ids, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(ids.ruid, getuid());
	cr_assert_eq(ids.euid, geteuid());
	cr_assert_eq(ids.rgid, getgid());
	cr_assert_eq(ids.egid, getegid());
	cr_assert_eq(ids.loginuid, util__loginuid(getpid()));
}

Test(proc_ids, exited_process_is_refused)
{
	struct util_proc_ids ids;
	char err[256] = "";
	pid_t pid = fork();

	cr_assert_geq(pid, 0);
	if (!pid)
		_exit(0);
	cr_assert_eq(waitpid(pid, NULL, 0), pid);
	cr_assert_eq(util__proc_ids(pid, &ids, err, sizeof(err)), -ESRCH);
	cr_assert(strstr(err, "exited"), "%s", err);
}

Test(proc_ids, zombie_is_refused)
{
	/* exited but not reaped: its PID is not reusable yet, but it is not who connected any
	 * more either */
	struct util_proc_ids ids;
	char err[256] = "";
	pid_t pid = fork();
	siginfo_t si;

	cr_assert_geq(pid, 0);
	if (!pid)
		_exit(0);
	cr_assert_eq(waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT), 0);
	cr_assert_eq(util__proc_ids(pid, &ids, err, sizeof(err)), -ESRCH, "%s", err);
	waitpid(pid, NULL, 0);
}

Test(proc_ids, no_pid)
{
	struct util_proc_ids ids;
	char err[256] = "";

	cr_assert_eq(util__proc_ids(0, &ids, err, sizeof(err)), -ESRCH);
}

/* Group membership: primary and supplementary groups, with buffers that grow (no cap on a
 * group's size or a user's number of groups). */
Test(util, user_in_group)
{
	cr_assert(util__user_in_group(0, "root"));
	cr_assert_not(util__user_in_group(0, "no-such-group-jitgate"));
	cr_assert_not(util__user_in_group(4294967294u, "root"));
}
