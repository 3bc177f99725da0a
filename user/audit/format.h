/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Inside the SIEM output (user/audit/), not for use outside it: the growing text buffer and
 * the record fields the formats (format.c: CEF, RFC 5424; ocsf.c: OCSF) and the sinks
 * (sink.c) share. */
#ifndef JG_AUDIT_FORMAT_H
#define JG_AUDIT_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

struct sbuf {
	char *p;
	size_t len, cap;
	bool oom, ext;			/* ext: an extension was written (CEF) */
};

/* What the formats know of an audit record type. */
struct ev_info {
	const char *type;
	int severity;			/* CEF 0-10 */
	const char *name;
};

/* format.c */
void sb_put(struct sbuf *b, const char *s, size_t n);
void sb_puts(struct sbuf *b, const char *s);
const char *str_of(json_t *o, const char *key);
int64_t now_ns(void);
int64_t time_ms(const char *t);
const char *base_name(const char *path);
const struct ev_info *ev_info(const char *type);
bool is_failure(const char *type);
int syslog_severity(int cef_severity);

/* sink_journal.c: one journal entry for a record, MESSAGE the record in its sink's format
 * (msg, len bytes). 0 or -errno. */
int journal_send(json_t *rec, const char *msg, size_t len);

#endif
