/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Audit stream: one JSON object per line with a gap-free per-host seq (docs/audit.md). */
#ifndef JG_AUDIT_H
#define JG_AUDIT_H

#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>
#include "jitgate.h"

struct jg_audit {
	int fd;				/* -1: no file sink */
	bool to_stdout;
	char path[256];
	char host[256];
	uint64_t seq;			/* last seq written */
	uint64_t write_errors;		/* lines a sink failed to take */
	void (*tap)(const char *line, size_t len, void *ctx);
	void *tap_ctx;
};

/* Opens (creating directories) and continues the seq found on the file's last line. */
int audit__open(struct jg_audit *a, const char *path, bool to_stdout, const char *host,
		char *err, size_t errlen);
void audit__close(struct jg_audit *a);

/* {"type": TYPE}; the caller adds fields, audit__emit puts seq, time and host in front. */
json_t *audit__new(const char *type);
/* Writes ev (stolen) with the next seq; wall_ns 0 = now. Returns 0 or -errno (counted). */
int audit__emit(struct jg_audit *a, json_t *ev, int64_t wall_ns);

/* audit__emit hands every final line (trailing newline included) to tap after writing it to
 * the file; NULL removes the tap. */
void audit__set_tap(struct jg_audit *a, void (*tap)(const char *line, size_t len, void *ctx),
		    void *ctx);

/* {"uid", "loginuid", "user"} for a subject; loginuid -1 becomes null. */
json_t *audit__subject(uint32_t subject, uint32_t loginuid);

/* A kernel event as an audit record (without seq/time/host). resource may be NULL. */
json_t *audit__from_kernel(const struct jg_event *e, const char *resource);

/* Last "seq" in an audit file, 0 when empty or absent. */
uint64_t audit__last_seq(const char *path);

#endif
