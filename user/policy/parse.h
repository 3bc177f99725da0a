/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Inside the policy parser (user/policy/), not for use outside it: the limits, the
 * validator's context and the helpers its files share. The parser is split by what it
 * reads: values.c (single values: endpoints, subjects, windows, dates), resources.c,
 * roles.c (roles and standing rules), notify.c, with check.c (messages at positions, typed
 * getters, whole-policy checks) and load.c (the file, the root object, freeing). */
#ifndef JG_POLICY_PARSE_H
#define JG_POLICY_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "lib/jsonpos.h"
#include "policy/policy.h"

#define PTR_MAX		1024		/* JSON pointers longer than this fall back to a parent */
#define NAME_MAX_LEN	63		/* resource and role names */
#define SUBJ_NAME_MAX	256
#define MAX_APPROVALS	10
#define POLICY_MAX_BYTES (4u << 20)
#define RESERVED_PREFIX	"jitgate-"

#define DEF_MAX_DURATION	(8 * 3600ull)
#define DEF_DEFAULT_DURATION	(3600ull)
#define DEF_REQUEST_TTL		(3600ull)

/* What the validator carries: where messages go, and the policy it fills. */
struct ctx {
	const char *file;
	const struct jsonpos *jp;
	char *err;
	size_t errlen;
	struct jg_policy *p;
	char qbuf[8][160];
	unsigned qi;
};

/* Quoted copy of s for the arguments of one message (a few rotating buffers in c). */
const char *policy__quote_arg(struct ctx *c, const char *s);
#define Q(c, s) policy__quote_arg(c, s)

/* check.c */
__attribute__((format(printf, 3, 4)))
int fail_pos(struct ctx *c, struct jg_pos pos, const char *fmt, ...);
__attribute__((format(printf, 3, 4)))
int fail_val(struct ctx *c, const char *ptr, const char *fmt, ...);
__attribute__((format(printf, 3, 4)))
int fail_key(struct ctx *c, const char *ptr, const char *fmt, ...);
int oom(struct ctx *c);
int fail_sub(struct ctx *c, const char *ptr, int ret, const char *what, const char *sub);
void child(char *buf, const char *parent, const char *key);
void elem(char *buf, const char *parent, size_t i);
int unknown_key(struct ctx *c, const char *kptr, const char *what, const char *key,
		const char *const *known);
const char *type_name(const json_t *v);
int get_str(struct ctx *c, json_t *v, const char *ptr, const char *what,
	    const char **out);
int dup_str(struct ctx *c, json_t *v, const char *ptr, const char *what, char **out);
int get_bool(struct ctx *c, json_t *v, const char *ptr, const char *what, bool *out);
int get_path(struct ctx *c, json_t *v, const char *ptr, const char *what,
	     struct jg_path *out);
int get_duration(struct ctx *c, json_t *v, const char *ptr, const char *what,
		 uint64_t *out);
int get_array(struct ctx *c, json_t *v, const char *ptr, const char *what,
	      const char *example, bool allow_empty);
int get_object(struct ctx *c, json_t *v, const char *ptr, const char *what);
void *get_table(struct ctx *c, json_t *v, const char *ptr, const char *kind,
		const char *member, size_t size, size_t *n, int *ret);
int check_name(struct ctx *c, const char *kptr, const char *kind, const char *name);
int check_duplicate_paths(struct ctx *c);
int check_endpoints(struct ctx *c, bool bind);

/* notify.c */
int parse_notify(struct ctx *c, json_t *v, const char *ptr);

/* resources.c */
int parse_resources(struct ctx *c, json_t *v, const char *ptr);

/* roles.c */
int parse_roles(struct ctx *c, json_t *v, const char *ptr);
int parse_standing(struct ctx *c, json_t *v, const char *ptr);

/* values.c */
char *quote(const char *s, char *buf, size_t len);
__attribute__((format(printf, 3, 4)))
void fmt(char *buf, size_t len, const char *f, ...);
bool is_alnum(char c);
char *perm_list(unsigned bits, char *buf, size_t len);

#endif
