// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* preexisting__scan over a fake /proc: fd links are ordinary symlinks here, which stat and
 * readlink treat as they treat the kernel's magic ones. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "policy/compile.h"
#include "gate/preexisting.h"

static char root[] = "/tmp/jg-preexisting-XXXXXX";
static struct stat prot_dir;

static void put(const char *rel, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "w");
	cr_assert_not_null(f, "cannot create %s", path);
	fputs(text, f);
	fclose(f);
}

static void dir(const char *rel)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	cr_assert_eq(mkdir(path, 0700), 0, "mkdir %s", path);
}

static void fd_link(const char *rel, const char *target_rel, bool absolute)
{
	char path[512], target[512];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	if (absolute)
		snprintf(target, sizeof(target), "%s/%s", root, target_rel);
	else
		snprintf(target, sizeof(target), "%s", target_rel);
	cr_assert_eq(symlink(target, path), 0, "symlink %s", path);
}

/* the protected tree is <root>/prot, resource 7 */
static bool is_prot(uint32_t kdev, uint64_t ino, uint16_t *resource, void *ctx)
{
	(void)ctx;
	if (kdev != compile__kdev(prot_dir.st_dev) || ino != prot_dir.st_ino)
		return false;
	*resource = 7;
	return true;
}

static void setup(void)
{
	char path[512];

	cr_assert_not_null(mkdtemp(root));
	dir("prot");
	dir("prot/sub");
	dir("plain");
	put("prot/sub/secret", "s");
	put("plain/file", "p");
	dir("proc");
	dir("proc/100");
	dir("proc/100/fd");
	put("proc/100/comm", "holder\n");
	fd_link("proc/100/fd/3", "prot/sub/secret", true);
	fd_link("proc/100/fd/4", "plain/file", true);
	fd_link("proc/100/fd/5", "pipe:[4242]", false);	/* dangling, like a pipe */
	dir("proc/200");
	dir("proc/200/fd");
	fd_link("proc/200/fd/0", "prot", true);		/* a protected directory itself */
	dir("proc/300");
	dir("proc/300/fd");
	fd_link("proc/300/fd/9", "prot/sub/secret", true);	/* the scanner's own pid */
	dir("proc/self-not-a-pid");
	snprintf(path, sizeof(path), "%s/prot", root);
	cr_assert_eq(stat(path, &prot_dir), 0);
}

static void teardown(void)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(preexisting, .init = setup, .fini = teardown);

static const struct jg_preexisting *by_pid(const struct jg_preexisting *v, size_t n, int pid)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].pid == pid)
			return &v[i];
	return NULL;
}

Test(preexisting, finds_files_under_a_protected_tree_and_skips_the_rest)
{
	struct jg_preexisting found[8];
	char proc[512], want[512];
	const struct jg_preexisting *e;
	size_t n;

	snprintf(proc, sizeof(proc), "%s/proc", root);
	n = preexisting__scan(proc, 300, is_prot, NULL, found, 8);
	cr_assert_eq(n, 2, "found %zu descriptors, want 2 (pid 100 fd 3, pid 200 fd 0)", n);
	e = by_pid(found, n, 100);
	cr_assert_not_null(e);
	cr_assert_eq(e->fd, 3);
	cr_assert_str_eq(e->comm, "holder");
	cr_assert_eq(e->resource, 7);
	snprintf(want, sizeof(want), "%s/prot/sub/secret", root);
	cr_assert_str_eq(e->path, want);
	e = by_pid(found, n, 200);
	cr_assert_not_null(e);
	cr_assert_eq(e->fd, 0);
	cr_assert_str_eq(e->comm, "", "no comm file: empty, not garbage");
}

Test(preexisting, counts_past_max_without_writing_past_it)
{
	struct jg_preexisting found[1];
	char proc[512];

	snprintf(proc, sizeof(proc), "%s/proc", root);
	cr_assert_eq(preexisting__scan(proc, 300, is_prot, NULL, found, 1), 2);
	cr_assert_eq(preexisting__scan(proc, 300, is_prot, NULL, NULL, 0), 2);
}

Test(preexisting, a_missing_proc_root_finds_nothing)
{
	cr_assert_eq(preexisting__scan("/nonexistent/proc", 0, is_prot, NULL, NULL, 0), 0);
}
