// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* mountinfo parsing: the superblock's device (what the gate compares) and the type. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "lib/mounts.h"

Test(mounts, parses_the_kernel_example)
{
	struct jg_mount m;

	cr_assert_eq(mounts__parse_line("36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 "
					"/dev/root rw,errors=continue\n", &m), 0);
	cr_assert_eq(m.id, 36);
	cr_assert_eq(m.kdev, (98u << 20) | 0);
	cr_assert_str_eq(m.fstype, "ext3");
}

Test(mounts, btrfs_subvolume_has_the_superblock_device)
{
	struct jg_mount m;

	/* stat gives a subvolume an anonymous device; mountinfo keeps the superblock's */
	cr_assert_eq(mounts__parse_line("52 30 0:27 /sub /mnt/btr rw,relatime shared:9 - btrfs "
					"/dev/loop1 rw,space_cache=v2,subvolid=256,subvol=/sub",
					&m), 0);
	cr_assert_eq(m.kdev, 27u);
	cr_assert_str_eq(m.fstype, "btrfs");
}

Test(mounts, no_optional_fields)
{
	struct jg_mount m;

	cr_assert_eq(mounts__parse_line("61 24 0:50 / /ov rw - overlay overlay rw,lowerdir=/a", &m),
		     0);
	cr_assert_str_eq(m.fstype, "overlay");
	cr_assert_eq(m.kdev, 50u);
}

Test(mounts, refuses_what_is_no_mountinfo_line)
{
	struct jg_mount m;

	cr_assert_eq(mounts__parse_line("", &m), -EINVAL);
	cr_assert_eq(mounts__parse_line("36 35 98:0 /mnt1 /mnt2 rw", &m), -EINVAL);
	cr_assert_eq(mounts__parse_line("x y z", &m), -EINVAL);
}

Test(mounts, identify_uses_the_table_for_the_path_s_mount)
{
	struct jg_mounts m = { 0 };
	const char *fstype;
	uint64_t ino;
	uint32_t kdev;

	cr_assert_eq(mounts__load(&m, NULL), 0);
	cr_assert_gt(m.n, 0, "this host has a mount table");
	cr_assert_eq(mounts__identify(&m, "/", &kdev, &ino, &fstype), 0);
	cr_assert_neq(fstype[0], 0, "/ is in the table");
	cr_assert_eq(mounts__identify(&m, "/nonexistent/path", &kdev, &ino, &fstype), -ENOENT);
	mounts__free(&m);
	mounts__free(NULL);
}

Test(mounts, a_missing_table_is_empty_not_an_error)
{
	struct jg_mounts m;

	cr_assert_eq(mounts__load(&m, "/nonexistent/mountinfo"), 0);
	cr_assert_eq(m.n, 0);
	mounts__free(&m);
}
