// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* jitgate audit: verify the audit log's hash chain across rotated files, or show (and
 * follow) its last records. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <jansson.h>
#include <zlib.h>
#include "cli/cli.h"

/* ---- audit ---- */

static const char audit_help[] =
"Usage: jitgate audit verify [--head SEQ:HEX | --head-file FILE] [--json] [FILE]...\n"
"       jitgate audit tail [-f] [-n N] [--type PREFIX] [--json] [--file PATH]\n"
"\n"
"Read the audit log directly (no daemon needed; the log is readable by root and the log's\n"
"group only).\n"
"\n"
"verify  Check the hash chain of FILEs given oldest first, plain or .gz (e.g. audit.jsonl.2.gz\n"
"        audit.jsonl.1.gz audit.jsonl). Without FILE: " JG_AUDIT_DEFAULT " and its\n"
"        rotated files, oldest first. Prints \"FILE: N records, seq A-B, chain intact\" per\n"
"        file, or \"FILE:LINE: record seq S: what is wrong\" for the first bad record and\n"
"        exits 1. The end of jitgated's live log is compared with the head jitgated keeps\n"
"        in " JG_STATE_DIR_DEFAULT "/" JG_AUDIT_HEAD_NAME " when that is readable.\n"
"tail    Show the last events, one readable line each.\n"
"\n"
"Options:\n"
"      --head SEQ:HEX     verify: the last records must reach seq SEQ with chain value HEX\n"
"      --head-file FILE   verify: compare with this head file (default\n"
"                         " JG_STATE_DIR_DEFAULT "/" JG_AUDIT_HEAD_NAME ")\n"
"  -f, --follow           tail: keep printing new events (follows rotation)\n"
"  -n, --lines N          tail: the last N events (default 10)\n"
"  -t, --type PREFIX      tail: only events whose type starts with PREFIX (access.,\n"
"                         grant.create)\n"
"      --file PATH        tail: the log to read (default " JG_AUDIT_DEFAULT ")\n"
"      --json             verify: one JSON object; tail: the records as written\n"
"  -h, --help             show this help\n"
"\n"
"EXAMPLES\n"
"  jitgate audit verify\n"
"  jitgate audit verify audit.jsonl.2.gz audit.jsonl.1.gz audit.jsonl --head 4711:9f86d0...\n"
"  jitgate audit tail -f --type access.deny\n";

/* Reads lines from a plain or gzip file (zlib reads plain files as they are). */
struct lines {
	gzFile gz;
	const char *name;
	dev_t dev;
	ino_t ino;
	char *buf;
	size_t len, cap, pos;
	bool eof;
};

static int lines_open(struct lines *l, const char *name)
{
	struct stat st;
	int fd;

	memset(l, 0, sizeof(*l));
	l->name = name;
	fd = open(name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		close(fd);
		return -EIO;
	}
	l->dev = st.st_dev;
	l->ino = st.st_ino;
	l->gz = gzdopen(fd, "rb");
	if (!l->gz) {
		close(fd);
		return -ENOMEM;
	}
	return 0;
}

static void lines_close(struct lines *l)
{
	if (l->gz)
		gzclose(l->gz);
	free(l->buf);
	memset(l, 0, sizeof(*l));
}

/* The next line (without its newline) in *line, *len; *nl false: the file ended inside it.
 * 1: a line, 0: the end, -1: a read error. */
static int lines_next(struct lines *l, const char **line, size_t *len, bool *nl)
{
	for (;;) {
		char *p = memchr(l->buf + l->pos, '\n', l->len - l->pos);
		int n;

		if (p) {
			*line = l->buf + l->pos;
			*len = (size_t)(p - *line);
			*nl = true;
			l->pos = (size_t)(p - l->buf) + 1;
			return 1;
		}
		if (l->eof) {
			if (l->pos == l->len)
				return 0;
			*line = l->buf + l->pos;
			*len = l->len - l->pos;
			*nl = false;
			l->pos = l->len;
			return 1;
		}
		if (l->pos) {
			memmove(l->buf, l->buf + l->pos, l->len - l->pos);
			l->len -= l->pos;
			l->pos = 0;
		}
		if (l->cap - l->len < 65536) {
			char *b = realloc(l->buf, l->cap + 262144);

			if (!b)
				return -1;
			l->buf = b;
			l->cap += 262144;
		}
		n = gzread(l->gz, l->buf + l->len, (unsigned int)(l->cap - l->len));
		if (n < 0)
			return -1;
		if (!n)
			l->eof = true;
		l->len += (size_t)n;
	}
}

/* The default set, oldest first: PATH.N.gz (or PATH.N) ... PATH.1.gz, PATH. */
static char **default_logs(size_t *n)
{
	char **v = NULL, name[300];
	size_t count = 0, i;

	for (i = 1; i <= 1000; i++) {
		snprintf(name, sizeof(name), "%s.%zu.gz", JG_AUDIT_DEFAULT, i);
		if (access(name, F_OK)) {
			snprintf(name, sizeof(name), "%s.%zu", JG_AUDIT_DEFAULT, i);
			if (access(name, F_OK))
				break;
		}
	}
	count = i;	/* the rotated ones and the live log */
	v = calloc(count, sizeof(*v));
	if (!v)
		return NULL;
	for (i = 1; i < count; i++) {
		snprintf(name, sizeof(name), "%s.%zu.gz", JG_AUDIT_DEFAULT, i);
		if (access(name, F_OK))
			snprintf(name, sizeof(name), "%s.%zu", JG_AUDIT_DEFAULT, i);
		v[count - 1 - i] = strdup(name);
	}
	v[count - 1] = strdup(JG_AUDIT_DEFAULT);
	for (i = 0; i < count; i++) {
		if (!v[i])
			exit(cli__oom());
	}
	*n = count;
	return v;
}

static bool same_file(const char *a, const char *b)
{
	struct stat sa, sb;

	return !stat(a, &sa) && !stat(b, &sb) && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* Where and why the chain broke: a line, or the "error" member of the JSON answer. */
static void report_break(const struct jg_chain_verify *v, bool json, json_t *out)
{
	char where[400];

	if (v->err_line)
		snprintf(where, sizeof(where), "%s:%llu", v->err_file,
			 (unsigned long long)v->err_line);
	else
		snprintf(where, sizeof(where), "%s", v->err_file ?: "?");
	if (json)
		json_object_set_new(out, "error", json_pack("{s:s, s:I, s:o, s:s}",
			"file", v->err_file ?: "?", "line", (json_int_t)v->err_line,
			"seq", v->err_seq ? json_integer((json_int_t)v->err_seq) : json_null(),
			"message", v->err));
	else
		printf("%s: %s\n", where, v->err);
}

static int audit_verify(int argc, char **argv, bool json, const char *head_arg,
			const char *head_file)
{
	struct jg_chain_verify v;
	char **files = argv, **dflt = NULL, hex[65], hpath[256], note[512] = "";
	size_t nfiles = (size_t)argc;
	json_t *out = json ? json_pack("{s:b, s:[]}", "ok", 0, "files") : NULL;
	bool compared = false;
	uint64_t hseq = 0;
	int ret = EXIT_OK;

	auditchain__verify_init(&v);
	if (!nfiles) {
		dflt = files = default_logs(&nfiles);
		if (!files)
			return cli__oom();
	}
	/* the head first: whatever jitgated writes while we read comes after it */
	if (head_arg) {
		auditchain__parse_head(head_arg, &hseq, hex);
		compared = true;
		snprintf(note, sizeof(note), "the head given (--head)");
	} else {
		const char *hf = head_file ?: JG_STATE_DIR_DEFAULT "/" JG_AUDIT_HEAD_NAME;
		int r = audit__read_head(hf, &hseq, hex, hpath, sizeof(hpath));

		if (r && head_file) {
			pr_warn("cannot read the head file %s: %s", hf, r == -EINVAL ?
				"not a head file" : strerror(-r));
			ret = EXIT_FAIL;
			goto out;
		} else if (r) {
			snprintf(note, sizeof(note), "not compared with jitgated's head: cannot "
				 "read %s (%s); records cut from the end would go unnoticed", hf,
				 r == -EINVAL ? "not a head file" : strerror(-r));
		} else if (!head_file && !same_file(hpath, files[nfiles - 1])) {
			snprintf(note, sizeof(note), "not compared with jitgated's head: the last "
				 "file is not jitgated's log %s", hpath);
		} else {
			compared = true;
			snprintf(note, sizeof(note), "%s", hf);
		}
	}
	if (compared)
		auditchain__verify_head(&v, hseq, hex);

	for (size_t i = 0; i < nfiles && !v.bad; i++) {
		struct lines l;
		const char *line;
		size_t len;
		bool nl;
		int r;

		if (lines_open(&l, files[i])) {
			pr_warn("cannot open %s: %s", files[i], strerror(errno ?: EIO));
			ret = EXIT_FAIL;
			goto out;
		}
		auditchain__verify_file(&v, files[i]);
		while ((r = lines_next(&l, &line, &len, &nl)) == 1)
			if (auditchain__verify_line(&v, line, len, nl))
				break;
		lines_close(&l);
		if (r < 0) {
			pr_warn("cannot read %s: not a complete gzip file or a read error", files[i]);
			ret = EXIT_FAIL;
			goto out;
		}
		if (i == nfiles - 1)
			auditchain__verify_end(&v);
		if (v.bad && (v.err_file != files[i] || v.err_line))
			break;
		if (json) {
			json_array_append_new(json_object_get(out, "files"),
				json_pack("{s:s, s:I, s:I, s:I}", "file", files[i],
					  "records", (json_int_t)v.file_records,
					  "first_seq", (json_int_t)v.file_first,
					  "last_seq", (json_int_t)v.file_last));
		} else if (v.file_records) {
			printf("%s: %llu %s, seq %llu-%llu, chain intact\n", files[i],
			       (unsigned long long)v.file_records,
			       plural(v.file_records, "record", "records"),
			       (unsigned long long)v.file_first, (unsigned long long)v.file_last);
		} else {
			printf("%s: 0 records\n", files[i]);
		}
	}
	if (v.bad) {
		report_break(&v, json, out);
		ret = EXIT_FAIL;
	} else if (!json) {
		if (compared)
			printf("head: seq %llu matches %s\n", (unsigned long long)hseq, note);
		else
			printf("head: %s\n", note);
	}
	if (json) {
		json_object_set_new(out, "ok", json_boolean(!v.bad));
		json_object_set_new(out, "records", json_integer((json_int_t)v.records));
		json_object_set_new(out, "head", compared ?
			json_pack("{s:b, s:I, s:s, s:s}", "compared", 1, "seq", (json_int_t)hseq,
				  "chain", hex, "source", note) :
			json_pack("{s:b, s:s}", "compared", 0, "note", note));
		print_json(out);
	}
out:
	json_decref(out);
	if (dflt) {
		for (size_t i = 0; i < nfiles; i++)
			free(dflt[i]);
		free(dflt);
	}
	return ret;
}

/* A record tail prints, or false when the type filter drops it (or it is not a record). */
static bool tail_wants(const char *line, size_t len, const char *type, json_t **rec)
{
	json_t *j = json_loadb(line, len, 0, NULL);
	const char *t = json_string_value(json_object_get(j, "type"));

	if (!t || (type && strncmp(t, type, strlen(type)))) {
		json_decref(j);
		return false;
	}
	*rec = j;
	return true;
}

static void tail_print(const char *line, size_t len, json_t *rec, bool json)
{
	char buf[4096];

	if (json)
		printf("%.*s\n", (int)len, line);
	else
		printf("%s\n", auditchain__render(rec, buf, sizeof(buf)));
}

/* Complete lines only; a partial last line waits for the rest (-f). -1: a read error. */
static int tail_read(struct lines *l, const char *type, bool json, char **ring, size_t *rlen,
		     size_t nlines, size_t *head, size_t *count, off_t *off)
{
	const char *line;
	size_t len;
	bool nl;
	int r;

	while ((r = lines_next(l, &line, &len, &nl)) == 1) {
		json_t *rec;

		if (!nl) {
			l->pos -= len;
			l->eof = false;
			break;
		}
		*off += (off_t)len + 1;
		if (!tail_wants(line, len, type, &rec))
			continue;
		if (!ring) {
			tail_print(line, len, rec, json);
		} else if (nlines) {
			free(ring[*head]);
			ring[*head] = strndup(line, len);
			rlen[*head] = ring[*head] ? len : 0;
			*head = (*head + 1) % nlines;
			if (*count < nlines)
				(*count)++;
		}
		json_decref(rec);
	}
	return r < 0 ? -1 : 0;
}

static int audit_tail(const char *file, size_t nlines, const char *type, bool json, bool follow)
{
	struct lines l;
	char **ring;
	size_t *rlen, head = 0, count = 0;
	struct stat st;
	off_t off = 0;
	int ret = EXIT_OK;

	if (lines_open(&l, file)) {
		pr_warn("cannot open %s: %s", file, strerror(errno ?: EIO));
		return EXIT_FAIL;
	}
	if (follow && !gzdirect(l.gz)) {
		lines_close(&l);
		return usage_error("audit ", "--follow needs a plain file, %s is compressed", file);
	}
	ring = calloc(nlines + 1, sizeof(*ring));
	rlen = calloc(nlines + 1, sizeof(*rlen));
	if (!ring || !rlen) {
		ret = cli__oom();
		goto out;
	}
	/* the last N that pass the filter */
	if (tail_read(&l, type, json, ring, rlen, nlines, &head, &count, &off))
		goto bad_read;
	for (size_t i = 0; i < count; i++) {
		size_t k = (head + nlines - count + i) % nlines;
		json_t *rec;

		if (ring[k] && tail_wants(ring[k], rlen[k], type, &rec)) {
			tail_print(ring[k], rlen[k], rec, json);
			json_decref(rec);
		}
	}
	/* as tail -F: new lines, and the new file at the path after a rotation */
	while (follow) {
		fflush(stdout);
		usleep(250000);
		gzclearerr(l.gz);
		l.eof = false;
		if (tail_read(&l, type, json, NULL, NULL, 0, NULL, NULL, &off))
			goto bad_read;
		if (!stat(file, &st) && (st.st_ino != l.ino || st.st_dev != l.dev ||
					 st.st_size < off)) {
			lines_close(&l);
			while (lines_open(&l, file))
				usleep(250000);
			off = 0;
		}
	}
	goto out;
bad_read:
	pr_warn("cannot read %s: a read error or a damaged gzip file", file);
	ret = EXIT_FAIL;
out:
	for (size_t i = 0; ring && i < nlines; i++)
		free(ring[i]);
	free(ring);
	free(rlen);
	lines_close(&l);
	return ret;
}

/* --lines N (a cli_opt take). */
static int take_lines(const char *value, void *data)
{
	long *nlines = data;
	char *end;

	errno = 0;
	*nlines = strtol(value, &end, 10);
	if (errno || *end || !*value || *nlines < 0 || *nlines > 1000000)
		return usage_error("audit ", "--lines must be a number from 0 to 1000000");
	return 0;
}

int do_audit(int argc, char **argv)
{
	static const char *const subs[] = { "verify", "tail", NULL };
	const char *head = NULL, *head_file = NULL, *type = NULL, *file = NULL;
	bool json = false, follow = false, verify;
	long nlines = 10;
	const struct cli_opt opts[] = {
		{ "head", 0, .arg = &head },
		{ "head-file", 0, .arg = &head_file },
		{ "follow", 'f', .flag = &follow },
		{ "lines", 'n', .take = take_lines, .data = &nlines },
		{ "type", 't', .arg = &type },
		{ "file", 0, .arg = &file },
		{ "json", 0, .flag = &json },
		{ 0 }
	};
	int c, sub;

	if ((c = cli__sub(argc, argv, audit_help, "say 'verify' or 'tail'", subs, &sub)) >= 0)
		return c;
	verify = sub == 0;
	argc--;
	argv++;
	if ((c = cli__opts(argc, argv, audit_help, opts)) >= 0)
		return c;
	if (verify) {
		uint64_t seq;
		char hex[65];

		if (follow || type || file || nlines != 10)
			return usage_error("audit ", "-f, -n, --type and --file are for 'audit tail'");
		if (head && head_file)
			return usage_error("audit ", "give --head or --head-file, not both");
		if (head && auditchain__parse_head(head, &seq, hex))
			return usage_error("audit ", "--head must be SEQ:HEX (a seq and a 64 "
					   "character SHA-256 in hex)");
		return audit_verify(argc - optind, argv + optind, json, head, head_file);
	}
	if (head || head_file)
		return usage_error("audit ", "--head and --head-file are for 'audit verify'");
	if (optind < argc)
		return usage_error("audit ", "unexpected argument '%s' (the log is --file PATH)",
				   argv[optind]);
	if (file && !*file)
		return usage_error("audit ", "--file needs a path");
	return audit_tail(file ?: JG_AUDIT_DEFAULT, (size_t)nlines, type, json, follow);
}
