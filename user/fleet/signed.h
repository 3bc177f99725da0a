/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The signed forms of fleet mode: a request and a decision (approve, deny, revoke), each as
 * canonical bytes, the JSON that jansson dumps with JSON_SORT_KEYS | JSON_COMPACT over a
 * restricted value set (ASCII keys, integers 0 to 2^53-1, strings without control
 * characters but tab), which is exactly RFC 8785 (JCS) for these values. Parsing refuses
 * bytes that are not their own canonical form, unknown or missing fields and duplicate keys,
 * so one request has one byte string and one hash. docs/fleet.md shows both forms. */
#ifndef JG_FLEET_SIGNED_H
#define JG_FLEET_SIGNED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "workflow/grants.h"

#define JG_FLEET_ID_LEN 20		/* "fr-" + 16 hex digits + NUL */
#define JG_FLEET_NONCE_LEN 33		/* 32 hex digits + NUL */
#define JG_FLEET_HOST_LEN 254		/* a DNS name: 253 bytes + NUL */
#define JG_FLEET_SELECTOR_LEN 512
#define JG_FLEET_MAX_HOSTS 16384
#define JG_FLEET_TEXT_MAX (1 << 20)	/* canonical bytes of one form */
#define JG_FLEET_INT_MAX ((1LL << 53) - 1)	/* JSON integers exact everywhere */

#define JG_FLEET_REQUEST_TYPE "jitgate.fleet.request"
#define JG_FLEET_DECISION_TYPE "jitgate.fleet.decision"
#define JG_FLEET_FORM_VERSION 1

struct jg_fleet_request {
	char id[JG_FLEET_ID_LEN];
	char requester[JG_NAME_LEN];
	char role[JG_NAME_LEN];
	char selector[JG_FLEET_SELECTOR_LEN];	/* "env=prod,role=db": all must hold */
	char **hosts;			/* resolved, sorted (strcmp), no duplicates */
	size_t nhosts;
	uint64_t duration;		/* seconds */
	char reason[JG_REASON_LEN];
	int64_t created;		/* unix seconds */
	char nonce[JG_FLEET_NONCE_LEN];
};

enum jg_fleet_kind {
	JG_FLEET_APPROVE = 1,
	JG_FLEET_DENY,
	JG_FLEET_REVOKE,
};

struct jg_fleet_decision {
	char request_id[JG_FLEET_ID_LEN];
	uint8_t request_hash[32];	/* SHA-256 of the request's canonical bytes */
	char by[JG_NAME_LEN];
	enum jg_fleet_kind kind;
	int64_t time;			/* unix seconds */
	char reason[JG_REASON_LEN];
};

/* The canonical bytes of r (NUL-terminated, malloc'd; *len without the NUL). Checks every
 * field first: -EINVAL with one sentence naming the field, -ENOMEM. */
int fleet__request_canon(const struct jg_fleet_request *r, char **out, size_t *len,
			 char *err, size_t errlen);
/* Parse canonical bytes into r (hosts on the heap: fleet__request_free). -EINVAL with one
 * sentence (not JSON, a field missing, unknown or invalid), -EBADMSG (valid, but the bytes
 * are not the canonical form); r is filled only on success. fleet__decision_parse alike. */
int fleet__request_parse(const char *text, size_t len, struct jg_fleet_request *r, char *err,
			 size_t errlen);
void fleet__request_free(struct jg_fleet_request *r);
/* Is host in r's list (binary search)? */
bool fleet__request_names(const struct jg_fleet_request *r, const char *host);

int fleet__decision_canon(const struct jg_fleet_decision *d, char **out, size_t *len,
			  char *err, size_t errlen);
int fleet__decision_parse(const char *text, size_t len, struct jg_fleet_decision *d,
			  char *err, size_t errlen);

const char *fleet__kind_name(enum jg_fleet_kind k);

/* SHA-256 of canonical bytes, and its text "sha256:" + 64 hex digits (buf >= 72 bytes). */
void fleet__hash(const char *text, size_t len, uint8_t out[32]);
char *fleet__hash_text(const uint8_t h[32], char *buf, size_t len);

/* A new request id ("fr-" + 16 hex) and nonce (32 hex) from the kernel's random source. */
int fleet__new_id(char id[JG_FLEET_ID_LEN], char nonce[JG_FLEET_NONCE_LEN]);

/* Labels and selectors: "key=value" items joined by commas; keys and values of
 * [A-Za-z0-9._/-], 1-63 bytes; a key at most once. Returns 0 or -EINVAL with one sentence
 * (what names the text: "the selector", "the host's labels"). */
int fleet__labels_check(const char *text, const char *what, char *err, size_t errlen);
/* Does every item of selector hold in labels? host=NAME is implicit and means the host's
 * name only (a label "host" is not consulted). Both texts must have passed
 * fleet__labels_check. */
bool fleet__selector_holds(const char *selector, const char *labels, const char *host);

#endif
