/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* SIEM sinks: the audit stream as JSON, CEF or OCSF to stdout, a file, the journal or
 * syslog (RFC 5424 over UDP, or TCP with RFC 6587 octet counting), with an on-disk spool per
 * network sink so that a slow or absent collector never stalls the daemon (docs/siem.md). */
#ifndef JG_SINK_H
#define JG_SINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#define SINK_MAX 8
#define SINK_SPOOL_DEFAULT (64u << 20)

enum sink_format { SINK_JSON, SINK_CEF, SINK_OCSF };

/* Parse the config's "sinks" array (NULL: no sinks) and open them; replaces any sinks
 * configured before. Spools live in spool_dir (created). On error: -EINVAL and one sentence
 * naming the index and key, nothing opened. */
int sink__config(json_t *sinks, const char *spool_dir, char *err, size_t errlen);
/* The audit tap: one JSON line (trailing newline included) to every sink. ctx unused. */
void sink__tap(const char *line, size_t len, void *ctx);
/* The batched form of the tap (struct jg_audit_sinks): put formats the record (rec: the
 * line's object, borrowed; NULL: parsed from line) for every sink, flush writes what was
 * put: one write per file sink, one send per TCP sink (what the socket does not take is
 * spooled in order); a UDP sink sends each datagram at put. */
void sink__put(const char *line, size_t len, json_t *rec, void *ctx);
void sink__flush(void *ctx);
/* Reconnect, notice closed peers and drain spools without blocking; call every 250 ms. */
void sink__tick(void);
/* [{index, type, format, target, connected, delivered, spooled, backlog_bytes, dropped,
 *   truncated, errors}] */
json_t *sink__stats(void);
/* Close sockets and spools (what is spooled stays for the next start). */
void sink__close(void);

/* ---- pure formatting, exposed for tests */

/* 0-10, the CEF severity of a record (docs/siem.md has the table). */
int sink__severity(json_t *rec);
/* The record as one CEF line (no newline); malloc'd. */
char *sink__cef(json_t *rec);
/* The record as an OCSF 1.1.0 event (new reference). */
json_t *sink__ocsf(json_t *rec);
/* The record in a format, no trailing newline; malloc'd, length in *len. */
char *sink__format(enum sink_format f, json_t *rec, const char *line, size_t linelen,
		   size_t *len);
/* RFC 5424 message around msg: "<PRI>1 TIME HOST APP - TYPE [jitgate@32473 seq="N"] MSG".
 * facility 0-23. malloc'd, length in *len. */
char *sink__rfc5424(json_t *rec, int facility, const char *app, const char *msg,
		    size_t msglen, size_t *len);
/* An RFC 5424 SD-PARAM value: ", \ and ] escaped with \, control characters and bytes that
 * are not UTF-8 as \xNN (never raw). malloc'd. */
char *sink__sd_value(const char *value);
/* Facility name ("authpriv", "local0", ...) to number, -1 when unknown. */
int sink__facility(const char *name);
/* RFC 6587 octet counting: "LEN SP MSG"; malloc'd, length in *len. */
char *sink__octet_frame(const char *msg, size_t msglen, size_t *len);
/* The journal entry of a record (MESSAGE: msg, len bytes, the record in the sink's format;
 * MESSAGE_ID, PRIORITY, SYSLOG_IDENTIFIER; the record's fields as JITGATE_KEY and
 * JITGATE_KEY_SUB) into iov (at most max); the count, 0 on no memory. Free with
 * sink__journal_free. */
#define SINK_JOURNAL_MAX_FIELDS 64
struct iovec;
size_t sink__journal_fields(json_t *rec, const char *msg, size_t len, struct iovec *iov,
			    size_t max);
void sink__journal_free(struct iovec *iov, size_t n);
/* "host:port" or "[v6]:port" to a socket address; -EINVAL when malformed. */
int sink__parse_address(const char *text, void *ss, uint32_t *sslen);

#endif
