// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Fuzz harness: the "sinks" array of jitgated's config (sink.c) and the records it formats
 * for them (format.c, ocsf.c). The input is the sinks JSON, then records, one per "---"
 * part. Before sink__config, a file sink's path is moved into a private directory and a
 * syslog address that parses is pointed at the discard port on loopback, so no input writes
 * outside that directory or sends anywhere else; stdout is /dev/null. Every record goes
 * through the tap to the configured sinks, then through each format, the RFC 5424 envelope
 * and the octet framing, and no output may contain a raw line break (one record, one line). */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <jansson.h>
#include "fuzz.h"
#include "audit/sink.h"

static void confine(json_t *sinks)
{
	json_t *o, *v;
	size_t i;

	json_array_foreach(sinks, i, o) {
		v = json_object_get(o, "path");
		if (json_is_string(v) && json_string_value(v)[0] == '/' &&
		    json_string_length(v) < 200) {
			char path[128];

			snprintf(path, sizeof(path), "%s/sink-%zu", fz_dir(), i);
			json_object_set_new(o, "path", json_string(path));
		}
		v = json_object_get(o, "address");
		if (json_is_string(v)) {
			struct sockaddr_storage ss;
			uint32_t len;

			if (!sink__parse_address(json_string_value(v), &ss, &len))
				json_object_set_new(o, "address", json_string(
					ss.ss_family == AF_INET6 ? "[::1]:9" : "127.0.0.1:9"));
		}
	}
}

static void no_break(const char *what, const char *s, size_t len)
{
	if (s && (memchr(s, '\n', len) || memchr(s, '\r', len)))
		fz_fail("%s output has a raw line break: %.*s", what, (int)len, s);
}

static void formats(const char *line, size_t linelen)
{
	json_t *rec = json_loadb(line, linelen, 0, NULL), *ocsf, *v;
	const char *key;
	size_t len, flen;
	char *out, *msg, *frame;

	if (!json_is_object(rec)) {
		json_decref(rec);
		return;
	}
	(void)sink__severity(rec);
	for (int f = SINK_JSON; f <= SINK_OCSF; f++) {
		out = sink__format(f, rec, line, linelen, &len);
		if (!out)
			continue;
		if (f != SINK_JSON)	/* the JSON sink passes the line as jitgated wrote it */
			no_break(f == SINK_CEF ? "CEF" : "OCSF", out, len);
		msg = sink__rfc5424(rec, (int)(linelen % 24), "jitgate", out, len, &len);
		if (msg && f != SINK_JSON)
			no_break("RFC 5424", msg, len);
		frame = msg ? sink__octet_frame(msg, len, &flen) : NULL;
		free(frame);
		free(msg);
		free(out);
	}
	ocsf = sink__ocsf(rec);
	json_decref(ocsf);
	json_object_foreach(rec, key, v) {
		char *sd = json_is_string(v) ? sink__sd_value(json_string_value(v)) : NULL;

		if (sd && strpbrk(sd, "\n\r"))
			fz_fail("SD-PARAM value has a raw line break");
		free(sd);
	}
	json_decref(rec);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool quiet;
	char *text, *parts[FZ_MAX_PARTS], spool[128], err[768];
	json_t *cfg;
	size_t n;

	if (!quiet) {
		int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);

		if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0)
			abort();
		close(fd);
		quiet = true;
	}
	if (size > 256 * 1024)
		return 0;
	text = fz_str(data, size);
	n = fz_split(text, parts);
	snprintf(spool, sizeof(spool), "%s/spool", fz_dir());
	cfg = json_loads(parts[0], 0, NULL);
	if (json_is_array(cfg))
		confine(cfg);
	err[0] = '\0';
	if (sink__config(cfg, spool, err, sizeof(err))) {
		if (!err[0])
			fz_fail("sinks refused without a sentence");
	} else {
		for (size_t i = 1; i < n; i++) {
			char *line;

			if (asprintf(&line, "%s\n", parts[i]) < 0)
				abort();
			sink__tap(line, strlen(line), NULL);
			free(line);
		}
		sink__tick();
		json_decref(sink__stats());
	}
	sink__close();
	for (size_t i = 1; i < n; i++)
		formats(parts[i], strlen(parts[i]));
	json_decref(cfg);
	free(text);
	return 0;
}
