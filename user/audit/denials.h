/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Each person's recent denials, as jitgated drained them from the kernel: what `jitgate why`
 * answers from, for people who cannot read the audit log. Bounded: at most JG_DENIALS_USERS
 * subjects with at most JG_DENIALS_PER_USER denials each, so one subject's flood only ever
 * pushes out its own older denials (counted in its `dropped`); a new subject beyond the
 * table takes the slot of the subject whose last denial is oldest (counted in
 * `users_evicted`). The same denial again (resource, permission, object, program) is one
 * entry with a count. Pure: time is a parameter. */
#ifndef JG_AUDIT_DENIALS_H
#define JG_AUDIT_DENIALS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#define JG_DENIALS_USERS	64
#define JG_DENIALS_PER_USER	16

struct jg_denial {
	int64_t first_ns, last_ns;	/* wall clock */
	uint64_t count;
	char resource[64];		/* "" when the record named none */
	char perm[16];
	char hook[24];
	char path[272];			/* files and programs; "" for an endpoint */
	char addr[48];			/* endpoints: numeric address, "" for a path */
	int port;
	char comm[20];
	char exe[272];
};

struct jg_denials_user {
	uint32_t subject;		/* login uid, else uid (the kernel's subject) */
	bool used;
	int64_t last_ns;
	uint64_t dropped;		/* denials pushed out by newer ones of this subject */
	size_t n;
	struct jg_denial v[JG_DENIALS_PER_USER];
};

struct jg_denials {
	struct jg_denials_user u[JG_DENIALS_USERS];
	uint64_t noted;			/* denials taken */
	uint64_t users_evicted;		/* subjects forgotten for a newer one */
};

/* Take an access.deny record (the JSON the audit stream gets: resource, perm, hook,
 * object {path} or {addr, port}, process {comm, exe}) of subject at wall time now_ns. */
void denials__note(struct jg_denials *d, uint32_t subject, const json_t *rec, int64_t now_ns);

/* subject's denials, newest first, into out[0..max); returns how many were copied.
 * *dropped (may be NULL) gets how many of theirs were pushed out. */
size_t denials__of(const struct jg_denials *d, uint32_t subject, struct jg_denial *out,
		   size_t max, uint64_t *dropped);

/* Does the denial concern path (itself or something below it)? path normalised. */
bool denials__path_matches(const struct jg_denial *x, const char *path);

#endif /* JG_AUDIT_DENIALS_H */
