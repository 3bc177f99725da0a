/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The daemon's table of live grants (people's view: names, reasons, wall-clock times) and the
 * per-(subject, resource) kernel entries derived from it. */
#ifndef JG_GRANTS_H
#define JG_GRANTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "jitgate.h"

#define JG_GRANT_MAX_ALLOW 32
#define JG_NAME_LEN 64
#define JG_REASON_LEN 512
#define JG_BY_POLICY ((uint32_t)-1)

struct jg_grant_allow {
	char resource[JG_NAME_LEN];
	unsigned perms;			/* enum jg_perm bits */
};

struct jg_grant_rec {
	uint64_t id;
	uint32_t uid;
	char user[JG_NAME_LEN];
	struct jg_grant_allow allow[JG_GRANT_MAX_ALLOW];
	size_t nallow;
	char reason[JG_REASON_LEN];
	bool break_glass;
	uint32_t by_uid;		/* JG_BY_POLICY: auto-approved, no person */
	char by_user[JG_NAME_LEN];
	uint64_t request_id;		/* the request it came from, 0 = a direct grant */
	char role[JG_NAME_LEN];		/* "" for a direct grant */
	int64_t created_wall_ns;
	int64_t expires_wall_ns;
	uint64_t expires_boot_ns;	/* what the kernel compares */
};

struct jg_grants {
	struct jg_grant_rec *v;
	size_t n, cap;
	uint64_t next_id;		/* ids are never reused on a host */
};

void grants__init(struct jg_grants *t);
void grants__free(struct jg_grants *t);
/* Copies r, assigning r->id when it is 0. Returns the stored record or NULL (ENOMEM). */
struct jg_grant_rec *grants__add(struct jg_grants *t, const struct jg_grant_rec *r);
struct jg_grant_rec *grants__find(struct jg_grants *t, uint64_t id);
/* Removes by id; the record is copied to *out when out != NULL. -ENOENT if absent. */
int grants__remove(struct jg_grants *t, uint64_t id, struct jg_grant_rec *out);

/* The kernel value for (uid, resource) at boot time `now`: per permission the live grant with
 * the latest expiry. Returns false when no live grant covers the pair. */
bool grants__kernel_value(const struct jg_grants *t, uint32_t uid, const char *resource,
			  uint64_t now_boot_ns, struct jg_grant *out);

/* "g-12" <-> 12. Returns 0 or -EINVAL. */
int grants__parse_id(const char *text, uint64_t *id);
char *grants__format_id(uint64_t id, char *buf, size_t len);

/* The protocol's GRANT object (docs/protocol.md). */
json_t *grants__to_json(const struct jg_grant_rec *r, int64_t now_wall_ns);
/* [{"resource": R, "perms": ["read", ...]}, ...] and back (validating every entry; the
 * ledger keeps a grant's allow list in this form). */
json_t *grants__allow_json(const struct jg_grant_rec *r);
int grants__allow_from_json(json_t *allow, struct jg_grant_rec *r, char *err, size_t errlen);

/* "prod-secrets:read,write" into a grant_allow; -EINVAL with a sentence in err. */
int grants__parse_allow(const char *text, struct jg_grant_allow *a, char *err, size_t errlen);

#endif
