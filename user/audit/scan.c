// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Reading the audit log back: the records of the live log and its rotated files (PATH.N.gz,
 * or PATH.N while a rotation is under way) oldest first, for the questions the log alone
 * answers (one grant's session trail). Files whose records all came before the time asked
 * about are not read past their first line. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>
#include "audit/audit.h"

#define SCAN_MAX_FILES 1000

/* The name of rotated file i (0: the live log); false when there is none. */
static bool log_name(const char *path, unsigned i, char *buf, size_t len)
{
	if (!i) {
		snprintf(buf, len, "%s", path);
		return !access(buf, F_OK);
	}
	snprintf(buf, len, "%s.%u.gz", path, i);
	if (!access(buf, F_OK))
		return true;
	snprintf(buf, len, "%s.%u", path, i);
	return !access(buf, F_OK);
}

/* One line (without its newline) of a plain or gzip file into *buf; false at the end. */
static bool read_line(gzFile gz, char **buf, size_t *cap)
{
	size_t n = 0;

	for (;;) {
		if (*cap - n < 2) {
			size_t ncap = *cap ? *cap * 2 : 4096;
			char *p = realloc(*buf, ncap);

			if (!p)
				return false;
			*buf = p;
			*cap = ncap;
		}
		if (!gzgets(gz, *buf + n, (int)(*cap - n)))
			return n > 0;
		n += strlen(*buf + n);
		if (n && (*buf)[n - 1] == '\n') {
			(*buf)[n - 1] = 0;
			return true;
		}
		if (gzeof(gz))
			return n > 0;
	}
}

/* Unix seconds of a record's "time", -1 when it has none. */
static int64_t record_secs(json_t *rec)
{
	const char *s = json_string_value(json_object_get(rec, "time"));
	struct tm tm = { 0 };

	if (!s || !strptime(s, "%Y-%m-%dT%H:%M:%S", &tm))
		return -1;
	return (int64_t)timegm(&tm);
}

/* Does the file begin at or before since_s (its first record's time)? An unreadable or
 * empty file says nothing: it is read. */
static bool begins_by(const char *name, int64_t since_s)
{
	gzFile gz = gzopen(name, "rb");
	size_t cap = 0;
	char *line = NULL;
	bool yes = false;

	if (!gz)
		return false;
	while (read_line(gz, &line, &cap)) {
		json_t *rec = json_loads(line, 0, NULL);
		int64_t t = record_secs(rec);

		json_decref(rec);
		if (t >= 0) {
			yes = t <= since_s;
			break;
		}
	}
	free(line);
	gzclose(gz);
	return yes;
}

int audit__scan(const char *path, int64_t since_s, const char *needle,
		int (*fn)(json_t *rec, void *ctx), void *ctx, char *err, size_t errlen)
{
	char name[PATH_MAX];
	unsigned first = 0;
	size_t cap = 0;
	char *line = NULL;
	int ret = 0;

	if (!log_name(path, 0, name, sizeof(name))) {
		snprintf(err, errlen, "the audit log %s does not exist", path);
		return -ENOENT;
	}
	/* newest to oldest until a file that began by since_s: older ones cannot matter */
	while (first < SCAN_MAX_FILES && !begins_by(name, since_s) &&
	       log_name(path, first + 1, name, sizeof(name)))
		first++;
	for (unsigned i = first + 1; i-- > 0 && !ret;) {
		gzFile gz;

		if (!log_name(path, i, name, sizeof(name)))
			continue;	/* rotated away meanwhile: its records are in the next */
		gz = gzopen(name, "rb");
		if (!gz) {
			ret = -errno ? -errno : -EIO;
			snprintf(err, errlen, "cannot read the audit log %s: %s", name,
				 strerror(-ret));
			break;
		}
		while (!ret && read_line(gz, &line, &cap)) {
			json_t *rec;

			if (needle && !strstr(line, needle))
				continue;
			rec = json_loads(line, 0, NULL);
			if (!json_is_object(rec)) {
				json_decref(rec);
				continue;	/* a partial line a crash left: audit verify says so */
			}
			ret = fn(rec, ctx);
			json_decref(rec);
		}
		gzclose(gz);
	}
	free(line);
	return ret < 0 ? ret : 0;
}
