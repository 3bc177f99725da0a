/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* A host's audit summary for the fleet store (docs/fleet.md, "Audit summary"): what its
 * hash-chained audit log holds after the last summary sent, counted, with every break-glass
 * grant made on the host (who, for whom, why, when). The log stays the source of truth; the
 * summary lets people ask the store "what happened on which host" and see break-glass
 * grants made while the store was down once it is back. */
#ifndef JG_FLEET_SUMMARY_H
#define JG_FLEET_SUMMARY_H

#include <stdint.h>
#include <jansson.h>

/* Break-glass grants listed in one summary (the rest are counted in "break_glass_more"). */
#define JG_SUMMARY_BREAK_GLASS_MAX 100

/* Reads the audit log at path (and its rotated files that may hold records after since_s,
 * unix seconds) and summarizes the records with seq > after:
 *   {"records": N, "counts": {TYPE: N...}, "decisions": {"allow": N, "deny": N,
 *    "audit": N}, "break_glass": [{"seq", "time", "grant_id", "user", "by", "reason",
 *    "expires", "duration_s"}], "break_glass_more": N}
 * *from and *to are the first and last seq summarized. 0 (*out set), -ENOENT when no record
 * is newer than after (*out NULL), or -errno with one sentence in err. */
int fleet__summary_build(const char *path, uint64_t after, int64_t since_s, json_t **out,
			 uint64_t *from, uint64_t *to, char *err, size_t errlen);

#endif
