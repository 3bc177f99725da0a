/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The audit tests' reader: a log file, plain or gzip, whole into memory. */
#ifndef JG_TEST_GZSLURP_H
#define JG_TEST_GZSLURP_H

#include <criterion/criterion.h>
#include <stdlib.h>
#include <zlib.h>

/* The file at path (up to cap - 1 bytes), NUL-terminated, malloc'd; its length in *len. */
static inline char *gz_slurp(const char *path, size_t cap, size_t *len)
{
	gzFile gz = gzopen(path, "rb");
	char *buf = malloc(cap);
	int n;

	cr_assert_not_null(gz, "%s", path);
	n = gzread(gz, buf, (unsigned int)cap - 1);
	cr_assert_geq(n, 0);
	gzclose(gz);
	buf[n] = 0;
	*len = (size_t)n;
	return buf;
}

#endif
