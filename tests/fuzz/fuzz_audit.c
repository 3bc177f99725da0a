// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Fuzz harness: what `jitgate audit verify` reads (any user may point it at any file) and
 * what jitgated reads back from its own log when it starts. The input is
 *   FLAGS [HEAD] FILE [---FILE]...
 * FLAGS is the first byte:
 *   bit 0  re-chain: every line that is a record gets a correct chain value (so verification
 *          goes past the hash and checks order, gaps, partial lines and the head)
 *   bit 1  compare with a head: the first line "SEQ:HEX" when it parses, else the last
 *          record's own seq and chain (a valid head)
 *   bit 2  then spoil the head's chain value (a head that does not match)
 *   bit 3  also write the last file as an audit log and a head file, open it the way
 *          jitgated does at start (tail, partial line, head), add one record, read the head
 * Files are separated by a "---" line; every record is also rendered for `audit show`. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>
#include "fuzz.h"
#include "audit/audit.h"
#include "audit/auditchain.h"

struct buf {
	char *p;
	size_t len, cap;
};

static void put(struct buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->p = realloc(b->p, b->cap);
		if (!b->p)
			abort();
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

/* One line as a record chained to *prev (updated), when it is a JSON object with a seq. */
static void rechain(struct buf *out, const char *line, size_t len, char prev[JG_CHAIN_HEX + 1],
		    uint64_t *last_seq)
{
	char chain[JG_CHAIN_HEX + 1], *body;
	json_t *rec = json_loadb(line, len, JSON_REJECT_DUPLICATES, NULL);
	json_t *s = json_object_get(rec, "seq");
	size_t prefix;

	if (!json_is_integer(s) || json_integer_value(s) <= 0) {
		json_decref(rec);
		put(out, line, len);
		return;
	}
	*last_seq = (uint64_t)json_integer_value(s);
	json_decref(rec);
	prefix = auditchain__split(line, len, chain);
	if (!prefix) {
		if (!len || line[len - 1] != '}') {
			put(out, line, len);
			return;
		}
		prefix = len - 1;
	}
	body = malloc(prefix + 2);
	if (!body)
		abort();
	memcpy(body, line, prefix);
	body[prefix] = '}';
	if (auditchain__hash(prev, body, prefix + 1, chain))
		abort();
	free(body);
	put(out, line, prefix);
	put(out, JG_CHAIN_KEY, strlen(JG_CHAIN_KEY));
	put(out, chain, JG_CHAIN_HEX);
	put(out, "\"}", 2);
	memcpy(prev, chain, sizeof(chain));
}

static void render_all(const char *text)
{
	const char *p = text;

	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		json_t *rec = json_loadb(p, len, 0, NULL);
		char out[512];

		if (json_is_object(rec)) {
			auditchain__render(rec, out, sizeof(out));
			if (strlen(out) >= sizeof(out) || strchr(out, '\n'))
				fz_fail("rendered record has a newline or overflows");
		}
		json_decref(rec);
		p += len + (nl != NULL);
	}
}

/* jitgated's start on this log: audit__open_ex reads its tail and the head file. */
static void reopen_log(const char *text, const char *head_line)
{
	char log[128], head[128], err[512], hex[65], path[256];
	struct jg_audit a;
	uint64_t seq;
	int fd;

	snprintf(log, sizeof(log), "%s/audit.jsonl", fz_dir());
	snprintf(head, sizeof(head), "%s/audit.head", fz_dir());
	fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, text, strlen(text)) < 0)
		abort();
	close(fd);
	unlink(head);
	if (head_line) {
		fd = open(head, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd < 0 || write(fd, head_line, strlen(head_line)) < 0)
			abort();
		close(fd);
	}
	if (audit__open_ex(&a, &(struct jg_audit_cfg){ .path = log, .host = "fuzz", .head = head,
						 .max_bytes = 1 << 20, .keep = 1 }, err, sizeof(err)))
		return;
	audit__emit(&a, json_pack("{s:s}", "type", "fuzz.check"), 0);
	audit__close(&a);
	if (!audit__read_head(head, &seq, hex, path, sizeof(path)) && seq != a.seq)
		fz_fail("head file says seq %llu, the log wrote %llu", (unsigned long long)seq,
			(unsigned long long)a.seq);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char prev[JG_CHAIN_HEX + 1] = JG_CHAIN_GENESIS, *parts[FZ_MAX_PARTS], *text;
	char hex[JG_CHAIN_HEX + 1], names[FZ_MAX_PARTS][16], head_line[200];
	struct buf files[FZ_MAX_PARTS] = { 0 };
	struct jg_chain_verify v;
	uint64_t seq = 0, last_seq = 0;
	bool have_head = false;
	size_t n, first = 0;
	uint8_t flags;

	if (size < 1 || size > 512 * 1024)
		return 0;
	flags = data[0];
	text = fz_str(data + 1, size - 1);
	n = fz_split(text, parts);
	for (size_t i = 0; i < n; i++) {
		const char *p = parts[i];

		if (i == 0 && (flags & 2)) {
			const char *nl = strchr(p, '\n');

			if (nl) {
				char h[128];

				snprintf(h, sizeof(h), "%.*s", (int)(nl - p), p);
				if (!auditchain__parse_head(h, &seq, hex)) {
					have_head = true;
					p = nl + 1;
				}
			}
		}
		while (*p) {
			const char *nl = strchr(p, '\n');
			size_t len = nl ? (size_t)(nl - p) : strlen(p);

			if (flags & 1)
				rechain(&files[i], p, len, prev, &last_seq);
			else
				put(&files[i], p, len);
			if (nl)
				put(&files[i], "\n", 1);
			p += len + (nl != NULL);
		}
		if (!files[i].p)
			put(&files[i], "", 0);
	}
	if ((flags & 2) && !have_head && last_seq) {
		seq = last_seq;
		memcpy(hex, prev, sizeof(hex));
		have_head = true;
	}
	if (have_head && (flags & 4))
		hex[0] = hex[0] == 'a' ? 'b' : 'a';

	auditchain__verify_init(&v);
	if (have_head)
		auditchain__verify_head(&v, seq, hex);
	for (size_t i = first; i < n && !v.bad; i++) {
		snprintf(names[i], sizeof(names[i]), "f%zu", i);
		auditchain__verify_buf(&v, names[i], files[i].p, files[i].len);
		if (i == n - 1)
			auditchain__verify_end(&v);
	}
	if (v.bad && !v.err[0])
		fz_fail("verification failed without a sentence");
	if (!v.bad && (flags & 7) == 7 && have_head && v.head_seen)
		fz_fail("a spoiled head matched");
	for (size_t i = 0; i < n; i++)
		render_all(files[i].p);
	if (flags & 8) {
		snprintf(head_line, sizeof(head_line), "%020llu %s /x\n", (unsigned long long)seq,
			 have_head ? hex : JG_CHAIN_GENESIS);
		reopen_log(files[n - 1].p, seq ? head_line : NULL);
	}
	for (size_t i = 0; i < n; i++)
		free(files[i].p);
	free(text);
	return 0;
}
