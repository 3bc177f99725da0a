/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Fleet history (docs/fleet.md, "Fleet history"): the pure parts of `jitgate history
 * --fleet`, its --since and the text of one request. The rows come from the store
 * (store__history); times are UTC. */
#ifndef JG_FLEET_HISTORY_H
#define JG_FLEET_HISTORY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <jansson.h>

/* --since: a date (2026-11-01, midnight UTC), an RFC 3339 time (2026-11-01T08:00:00Z or
 * with +HH:MM / -HH:MM) or a duration ago (7d, 12h, 1h30m) before now. 0 and *t in unix
 * seconds, or -EINVAL with one sentence in err. */
int fleet__history_since(const char *text, int64_t now, int64_t *t, char *err, size_t errlen);

/* One request of the history (the object store__history makes) as a block of text:
 *   fr-8f3a0c1d2e4b5a69  alice  role db-debug  for 45m  hosts env=prod (2)
 *       reason:    INC-4411 replication lag
 *       asked:     2026-12-05 23:50:00Z
 *       approved:  bob, carol
 *       revoked:   alice
 *       hostA      active 2026-12-05 23:50:03Z until 2026-12-06 00:35:00Z
 *       hostB      revoked 2026-12-05 23:55:10Z: fleet revoke of fr-... by alice
 * Control characters in the store's text are shown as '?'. */
void fleet__history_print(FILE *out, json_t *req);
/* One break-glass grant of the history (from a host's audit summary) as a block of text:
 *   break-glass  hostB  g-7  for alice by root
 *       reason:    INC-4412 store down
 *       granted:   2026-12-06T04:10:00.1Z until 2026-12-06T04:40:00.1Z
 *       reported:  2026-12-06 04:12:03Z */
void fleet__history_print_break_glass(FILE *out, json_t *bg);

#endif
