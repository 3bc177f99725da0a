/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Inside user/audit/: a record's compact JSON text, the audit log's own rendering. */
#ifndef JG_AUDIT_JSONDUMP_H
#define JG_AUDIT_JSONDUMP_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

/* Exactly util__json_escape_del(json_dumps(v, JSON_COMPACT | JSON_ENSURE_ASCII)), malloc'd,
 * length in *len (may be NULL). NULL when v holds what it leaves to jansson (a real number),
 * or on no memory: then call jansson. */
char *jsondump__compact(json_t *v, size_t *len);

#endif
