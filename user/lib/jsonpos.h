/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Positions of JSON values in their source text, by JSON pointer (RFC 6901).
 *
 * Jansson reports line and column only for syntax errors. The policy validator needs them for
 * semantic errors too ("this endpoint has host bits set"), so it scans the original text once
 * more with this small scanner, which records for every value and every object key the JSON
 * pointer that names it and where it starts. Lines and columns are 1-based; columns count bytes.
 *
 * Pointers: "" is the root, "/resources/prod-db/connect/2" the third endpoint of prod-db. In a
 * key, "~" is written "~0" and "/" is written "~1"; \uXXXX escapes are decoded to UTF-8 first. */
#ifndef JG_JSONPOS_H
#define JG_JSONPOS_H

#include <stdbool.h>
#include <stddef.h>

/* Where a value sits in a JSON text, for FILE:LINE:COLUMN messages (1-based). */
struct jg_pos {
	int line;
	int col;
};

struct jsonpos;

/* Scan `len` bytes of JSON text. Returns 0, -EINVAL when the text is not well-formed JSON
 * (run a real parser first for a good message), or -ENOMEM. *out is untouched on error. */
int jsonpos__scan(const char *text, size_t len, struct jsonpos **out);
void jsonpos__free(struct jsonpos *jp);

/* Number of recorded values. */
size_t jsonpos__count(const struct jsonpos *jp);

/* Exact lookup. Returns true when `ptr` names a value; *value is where the value starts and
 * *key where its object key starts (its opening quote), or {0, 0} for the root and for array
 * elements. Either output may be NULL. */
bool jsonpos__get(const struct jsonpos *jp, const char *ptr, struct jg_pos *value,
		  struct jg_pos *key);

/* Where the value named by `ptr` starts; when `ptr` names nothing, the position of its
 * nearest parent that exists. {1, 1} when even the root is unknown. */
struct jg_pos jsonpos__value(const struct jsonpos *jp, const char *ptr);

/* Like jsonpos__value, but an object member answers with the position of its key. */
struct jg_pos jsonpos__key(const struct jsonpos *jp, const char *ptr);

/* Append "/" and `key` escaped per RFC 6901 to the pointer `parent`, into buf. Returns the
 * length written, or -ENAMETOOLONG (buf then holds `parent`, so lookups fall back to it). */
int jsonpos__child(char *buf, size_t len, const char *parent, const char *key);
/* Append "/INDEX". Same contract. */
int jsonpos__index(char *buf, size_t len, const char *parent, size_t index);

/* Line and column (1-based, bytes) of byte `offset` in `text`. An offset past the end
 * answers with the last byte's position. */
struct jg_pos jsonpos__offset_pos(const char *text, size_t len, size_t offset);

/* Start of the JSON token (string, number, literal or punctuation) that holds byte `offset`
 * of `text`; `offset` itself when it is whitespace. Used to turn the "last byte read" that
 * jansson reports for syntax errors into the start of the offending token. */
size_t jsonpos__token_start(const char *text, size_t len, size_t offset);

#endif /* JG_JSONPOS_H */
