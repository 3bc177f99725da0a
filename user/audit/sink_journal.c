// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The local journal as a sink (docs/siem.md, "journal"): one entry per record, sent to
 * journald's socket with sd_journal_sendv. MESSAGE is the record in the sink's format, so
 * a collector that reads the journal gets what a syslog peer would; the record's fields are
 * journal fields too (JITGATE_TYPE, JITGATE_SEQ, JITGATE_SUBJECT_USER, ...), so
 * `journalctl MESSAGE_ID=... JITGATE_TYPE=access.deny` selects without parsing, and
 * PRIORITY follows the record's severity as in the syslog sink. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <systemd/sd-journal.h>
#include "audit/format.h"
#include "audit/sink.h"

/* Every jitgate audit record in the journal carries this MESSAGE_ID (jitgate-audit(5)). */
#define JOURNAL_MESSAGE_ID "7c0b2b1e3f6a4d0e9a51c2d4e8f3a6b1"

struct fields {
	struct iovec iov[SINK_JOURNAL_MAX_FIELDS];
	size_t n;
	bool full;
};

/* NAME=value as one journal field; value may hold any byte (sd_journal_sendv frames it). */
static void add(struct fields *f, const char *name, const char *value, size_t vlen)
{
	size_t nlen = strlen(name);
	char *p;

	if (f->n == SINK_JOURNAL_MAX_FIELDS) {
		f->full = true;
		return;
	}
	p = malloc(nlen + 1 + vlen);
	if (!p) {
		f->full = true;
		return;
	}
	memcpy(p, name, nlen);
	p[nlen] = '=';
	memcpy(p + nlen + 1, value, vlen);
	f->iov[f->n].iov_base = p;
	f->iov[f->n].iov_len = nlen + 1 + vlen;
	f->n++;
}

/* JITGATE_<PREFIX_>KEY for a key of [a-z0-9_]; other keys are only in MESSAGE. */
static bool field_name(char *out, size_t outlen, const char *prefix, const char *key)
{
	int n = snprintf(out, outlen, "JITGATE_%s%s%s", prefix ? prefix : "", prefix ? "_" : "",
			 key);

	if (n < 0 || (size_t)n >= outlen || n > 64)
		return false;
	for (char *c = out + 8; *c; c++) {
		if (!(islower((unsigned char)*c) || isupper((unsigned char)*c) ||
		      isdigit((unsigned char)*c) || *c == '_'))
			return false;
		*c = (char)toupper((unsigned char)*c);
	}
	return true;
}

/* A value's text: strings as they are, numbers and booleans as JSON, arrays and objects
 * (below the first level) as compact JSON. */
static void add_value(struct fields *f, const char *name, json_t *v)
{
	char *text;

	if (json_is_null(v))
		return;
	if (json_is_string(v)) {
		add(f, name, json_string_value(v), json_string_length(v));
		return;
	}
	text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	if (text)
		add(f, name, text, strlen(text));
	else
		f->full = true;
	free(text);
}

static void add_record(struct fields *f, json_t *rec)
{
	char name[80];
	const char *key, *sub;
	json_t *v, *w;

	json_object_foreach(rec, key, v) {
		if (json_is_object(v)) {
			json_object_foreach(v, sub, w)
				if (field_name(name, sizeof(name), key, sub))
					add_value(f, name, w);
		} else if (field_name(name, sizeof(name), NULL, key)) {
			add_value(f, name, v);
		}
	}
}

size_t sink__journal_fields(json_t *rec, const char *msg, size_t len, struct iovec *iov,
			    size_t max)
{
	struct fields f = { .n = 0 };
	char prio[4];

	snprintf(prio, sizeof(prio), "%d", syslog_severity(sink__severity(rec)));
	add(&f, "MESSAGE", msg, len);
	add(&f, "MESSAGE_ID", JOURNAL_MESSAGE_ID, strlen(JOURNAL_MESSAGE_ID));
	add(&f, "PRIORITY", prio, strlen(prio));
	add(&f, "SYSLOG_IDENTIFIER", "jitgate", 7);
	add(&f, "SYSLOG_FACILITY", "10", 2);	/* authpriv, as the syslog sink */
	add_record(&f, rec);
	/* a record with more fields than fit is still sent whole in MESSAGE */
	if (f.n < 5 || f.n > max) {
		sink__journal_free(f.iov, f.n);
		return 0;
	}
	memcpy(iov, f.iov, f.n * sizeof(*iov));
	return f.n;
}

void sink__journal_free(struct iovec *iov, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(iov[i].iov_base);
}

int journal_send(json_t *rec, const char *msg, size_t len)
{
	struct iovec iov[SINK_JOURNAL_MAX_FIELDS];
	size_t n = sink__journal_fields(rec, msg, len, iov, SINK_JOURNAL_MAX_FIELDS);
	int ret;

	if (!n)
		return -ENOMEM;
	ret = sd_journal_sendv(iov, (int)n);
	sink__journal_free(iov, n);
	return ret;
}
