/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* What the fuzz harnesses share (docs/testing.md): the input as a C string, an input cut
 * into parts at a separator line, and a private directory for whatever a harness must write.
 * A harness that finds a broken invariant calls fz_fail, which aborts so libFuzzer keeps the
 * input. */
#ifndef JG_FUZZ_H
#define JG_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ftw.h>
#include <unistd.h>

/* Parts of one input are separated by this line (documents, files, records). */
#define FZ_SEP "\n---\n"
#define FZ_MAX_PARTS 8

#define fz_fail(...) do { fprintf(stderr, "fuzz invariant: " __VA_ARGS__); \
			   fputc('\n', stderr); abort(); } while (0)

/* A NUL-terminated copy (an embedded NUL ends the string, as it would for a C caller). */
static inline char *fz_str(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* Cut s in place at every FZ_SEP; returns the number of parts (at least 1), the last taking
 * what is left over FZ_MAX_PARTS. */
static inline size_t fz_split(char *s, char **parts)
{
	size_t n = 0;

	parts[n++] = s;
	while (n < FZ_MAX_PARTS) {
		char *sep = strstr(s, FZ_SEP);

		if (!sep)
			break;
		*sep = '\0';
		s = sep + strlen(FZ_SEP);
		parts[n++] = s;
	}
	return n;
}

static int fz_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static char fz_dir_path[64];

static void fz_dir_remove(void)
{
	if (fz_dir_path[0])
		nftw(fz_dir_path, fz_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* A directory of this process, removed at exit: in $TMPDIR, else /dev/shm (memory: the
 * harnesses that write files write on every input), else /tmp. */
static inline const char *fz_dir(void)
{
	if (!fz_dir_path[0]) {
		const char *t = getenv("TMPDIR");

		if (!t || !*t || strlen(t) >= 40)
			t = access("/dev/shm", W_OK) ? "/tmp" : "/dev/shm";
		snprintf(fz_dir_path, sizeof(fz_dir_path), "%s/jg-fuzz-XXXXXX", t);
		if (!mkdtemp(fz_dir_path))
			abort();
		atexit(fz_dir_remove);
	}
	return fz_dir_path;
}

#endif
