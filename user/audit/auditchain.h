/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The audit log's hash chain, its verification and the one-line rendering of a record
 * (docs/audit-schema.md, "Tamper evidence"). Pure logic: no files, so it is tested on buffers. */
#ifndef JG_AUDITCHAIN_H
#define JG_AUDITCHAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#define JG_CHAIN_HEX 64
/* What the first record of a fresh log chains to. */
#define JG_CHAIN_GENESIS "0000000000000000000000000000000000000000000000000000000000000000"
/* A written record ends with this, the value and "\"}" (no newline). */
#define JG_CHAIN_KEY ",\"chain\":\""
#define JG_CHAIN_SUFFIX_LEN (sizeof(JG_CHAIN_KEY) - 1 + JG_CHAIN_HEX + 2)

/* out = hex SHA-256 over prev (64 hex characters) followed by body[0..len). 0 or -ENOMEM. */
int auditchain__hash(const char *prev, const char *body, size_t len, char out[JG_CHAIN_HEX + 1]);

/* out = hex SHA-256 of p[0..len). 0 or -ENOMEM. */
int auditchain__sha256(const void *p, size_t len, char out[JG_CHAIN_HEX + 1]);

/* line (no newline) = body without its closing '}', then ,"chain":"HEX"}. Copies HEX to
 * chain and returns the length of the line up to the chain field, or 0 when the line does not
 * end with a chain field. The body hashed is line[0..ret) followed by "}". */
size_t auditchain__split(const char *line, size_t len, char chain[JG_CHAIN_HEX + 1]);

struct jg_chain_verify {
	/* where the chain stands */
	uint64_t seq;			/* seq of the last good record, 0: none yet */
	char chain[JG_CHAIN_HEX + 1];	/* its chain value */
	bool anchored;			/* a record was seen: the next must chain to it */
	uint64_t records;		/* good records, all files */
	/* the file being read */
	const char *file;
	uint64_t line;			/* lines fed in this file */
	uint64_t file_records, file_first, file_last;
	/* an incomplete line that must be followed by its audit.partial record */
	bool partial;
	const char *partial_file;
	uint64_t partial_line;
	uint64_t partial_len;
	char partial_sha[JG_CHAIN_HEX + 1];
	/* the head to compare with (jitgated's audit.head or --head) */
	bool head_set, head_seen;
	uint64_t head_seq;
	char head_chain[JG_CHAIN_HEX + 1];
	/* the first problem: FILE, LINE and what */
	bool bad;
	const char *err_file;
	uint64_t err_line;
	uint64_t err_seq;		/* 0: not a record (an incomplete line, the end) */
	char err[256];
};

void auditchain__verify_init(struct jg_chain_verify *v);
/* Expect the record with seq to have chain value hex (checked as it passes, and at the end). */
void auditchain__verify_head(struct jg_chain_verify *v, uint64_t seq, const char *hex);
/* Files in chain order, oldest first. */
void auditchain__verify_file(struct jg_chain_verify *v, const char *name);
/* One line without its newline; newline false: the file ended inside it. 0 or -1 (v->err). */
int auditchain__verify_line(struct jg_chain_verify *v, const char *line, size_t len,
			    bool newline);
/* After the last line of the last file (pending incomplete line, the head). 0 or -1. */
int auditchain__verify_end(struct jg_chain_verify *v);
/* Feeds a whole buffer of lines as one file (tests and small files). 0 or -1. */
int auditchain__verify_buf(struct jg_chain_verify *v, const char *name, const char *buf,
			   size_t len);

/* "SEQ:HEX" -> seq and hex. 0 or -EINVAL. */
int auditchain__parse_head(const char *s, uint64_t *seq, char hex[JG_CHAIN_HEX + 1]);

/* One readable line for a record (no newline), control characters replaced:
 *   2026-11-22 21:44:26 #7 grant.create g-1 alice prod-secrets:read until 21:44:46 "reason"
 * The time is shown in the local time zone. Returns buf. */
char *auditchain__render(json_t *rec, char *buf, size_t len);

#endif
