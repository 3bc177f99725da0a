// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The CLI <-> daemon protocol (docs/protocol.md): framing, request and reply shapes, and the
 * client call. Every function reports failure as -errno plus one sentence in err. */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include "lib/proto.h"
#include "lib/util.h"

#define READ_CHUNK 4096

static void seterr(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Wait until fd is readable or the deadline (ms, CLOCK_MONOTONIC; < 0 = none) passes.
 * Returns 0, -ETIMEDOUT or -errno. */
static int wait_readable(int fd, int64_t deadline)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int timeout, n;

	for (;;) {
		if (deadline < 0) {
			timeout = -1;
		} else {
			int64_t left = deadline - util__monotonic_ms();

			if (left <= 0)
				return -ETIMEDOUT;
			timeout = left > 0x7fffffff ? 0x7fffffff : (int)left;
		}
		n = poll(&pfd, 1, timeout);
		if (n > 0)
			return 0;	/* readable, hung up or in error: read() tells which */
		if (n == 0)
			continue;	/* the deadline check above turns this into -ETIMEDOUT */
		if (errno != EINTR)
			return -errno;
	}
}

/* How deep arrays and objects nest in text (strings skipped), counted before jansson
 * parses it: jansson recurses once a level, up to 2048 deep. */
static size_t nesting(const char *p, size_t len)
{
	size_t depth = 0, most = 0;
	bool in_str = false;

	for (size_t i = 0; i < len; i++) {
		char ch = p[i];

		if (in_str) {
			if (ch == '\\')
				i++;
			else if (ch == '"')
				in_str = false;
		} else if (ch == '"') {
			in_str = true;
		} else if (ch == '[' || ch == '{') {
			if (++depth > most)
				most = depth;
		} else if ((ch == ']' || ch == '}') && depth) {
			depth--;
		}
	}
	return most;
}

int proto__frame(const char *buf, size_t len, size_t max, json_t **msg, char *err,
		 size_t errlen)
{
	const char *nl = memchr(buf, '\n', len);
	json_error_t jerr;
	json_t *obj;

	*msg = NULL;
	if (!nl) {
		if (len <= max)
			return -EAGAIN;
		seterr(err, errlen, "message longer than %zu bytes", max);
		return -EMSGSIZE;
	}
	if ((size_t)(nl - buf) + 1 != len) {
		seterr(err, errlen, "unexpected bytes after the end of the message");
		return -EPROTO;
	}
	if ((size_t)(nl - buf) > max) {
		seterr(err, errlen, "message longer than %zu bytes", max);
		return -EMSGSIZE;
	}
	if (nesting(buf, (size_t)(nl - buf)) > JG_PROTO_MAX_DEPTH) {
		seterr(err, errlen, "message nests arrays and objects deeper than %d levels",
		       JG_PROTO_MAX_DEPTH);
		return -EPROTO;
	}
	obj = json_loadb(buf, (size_t)(nl - buf), JSON_REJECT_DUPLICATES, &jerr);
	if (!obj) {
		seterr(err, errlen, "message is not valid JSON: %s (column %d)", jerr.text,
		       jerr.column);
		return -EPROTO;
	}
	if (!json_is_object(obj)) {
		seterr(err, errlen, "message is not a JSON object");
		json_decref(obj);
		return -EPROTO;
	}
	*msg = obj;
	return 0;
}

int proto__read_max(int fd, int timeout_ms, size_t max, json_t **msg, char *err, size_t errlen)
{
	int64_t deadline = timeout_ms < 0 ? -1 : util__monotonic_ms() + timeout_ms;
	size_t len = 0, cap = max + 1;	/* the message and its newline */
	char *buf = NULL;
	int ret = -EAGAIN;

	*msg = NULL;
	while (ret == -EAGAIN) {
		size_t want = cap - len;
		size_t bufsz = len + (want < READ_CHUNK ? want : READ_CHUNK);
		ssize_t n;
		char *p;

		ret = wait_readable(fd, deadline);
		if (ret == -ETIMEDOUT) {
			seterr(err, errlen, "no complete message within %d ms", timeout_ms);
			goto cleanup;
		}
		if (ret) {
			seterr(err, errlen, "cannot wait for a message: %s", strerror(-ret));
			goto cleanup;
		}
		p = realloc(buf, bufsz);
		if (!p) {
			seterr(err, errlen, "out of memory reading a message");
			ret = -ENOMEM;
			goto cleanup;
		}
		buf = p;
		n = read(fd, buf + len, bufsz - len);
		if (n < 0) {
			ret = -errno;
			if (ret == -EINTR || ret == -EAGAIN || ret == -EWOULDBLOCK) {
				ret = -EAGAIN;
				continue;
			}
			if (ret == -ECONNRESET)
				seterr(err, errlen, "the peer closed the connection before a full message");
			else
				seterr(err, errlen, "cannot read a message: %s", strerror(-ret));
			goto cleanup;
		}
		if (n == 0) {
			seterr(err, errlen, len ? "the peer closed the connection in the middle of a "
				"message" : "the peer closed the connection without sending a message");
			ret = -ECONNRESET;
			goto cleanup;
		}
		len += (size_t)n;
		ret = proto__frame(buf, len, max, msg, err, errlen);
	}
cleanup:
	free(buf);
	return ret;
}

int proto__read(int fd, int timeout_ms, json_t **msg, char *err, size_t errlen)
{
	return proto__read_max(fd, timeout_ms, JG_PROTO_MAX_MSG, msg, err, errlen);
}

/* send() with MSG_NOSIGNAL so a vanished peer is -EPIPE, not SIGPIPE; write() for non-sockets. */
static int write_all(int fd, const char *buf, size_t len)
{
	bool sock = true;

	while (len) {
		ssize_t n = sock ? send(fd, buf, len, MSG_NOSIGNAL) : write(fd, buf, len);

		if (n < 0) {
			if (sock && errno == ENOTSOCK) {
				sock = false;
				continue;
			}
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				struct pollfd pfd = { .fd = fd, .events = POLLOUT };

				if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
					return -errno;
				continue;
			}
			return -errno;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

char *proto__line(const json_t *msg, size_t *len)
{
	char *text, *line;
	size_t n;

	if (!json_is_object(msg)) {
		errno = EINVAL;
		return NULL;
	}
	/* Compact output has no raw newline: strings escape theirs. */
	text = json_dumps(msg, JSON_COMPACT);
	if (!text) {
		errno = ENOMEM;
		return NULL;
	}
	n = strlen(text);
	line = realloc(text, n + 2);
	if (!line) {
		free(text);
		errno = ENOMEM;
		return NULL;
	}
	line[n] = '\n';
	line[n + 1] = '\0';
	*len = n + 1;
	return line;
}

int proto__write(int fd, const json_t *msg)
{
	size_t len;
	char *line = proto__line(msg, &len);
	int ret;

	if (!line)
		return -errno;
	ret = write_all(fd, line, len);
	free(line);
	return ret;
}

/* msg's member key, an object; an empty one is put there when it is absent. 0 with *out,
 * -ENOMEM, or -EINVAL when the member is not an object. */
static int object_member(json_t *msg, const char *key, json_t **out)
{
	json_t *o = json_object_get(msg, key);

	if (o) {
		*out = o;
		return json_is_object(o) ? 0 : -EINVAL;
	}
	o = json_object();
	if (!o || json_object_set_new(msg, key, o))
		return -ENOMEM;
	*out = o;
	return 0;
}

int proto__parse_request(json_t *msg, const char **cmd, json_t **args, char *err, size_t errlen)
{
	json_t *v, *c, *a;
	int ret;

	if (!json_is_object(msg)) {
		seterr(err, errlen, "a request must be a JSON object");
		return -EINVAL;
	}
	v = json_object_get(msg, "v");
	if (!v) {
		seterr(err, errlen, "the request has no protocol version \"v\"");
		return -EINVAL;
	}
	if (!json_is_integer(v) || json_integer_value(v) != JG_PROTO_VERSION) {
		char *text = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);

		seterr(err, errlen, "protocol version %s is not supported (this side speaks %d)",
		       text ? text : "?", JG_PROTO_VERSION);
		free(text);
		return -EINVAL;
	}
	c = json_object_get(msg, "cmd");
	if (!c) {
		seterr(err, errlen, "the request has no \"cmd\"");
		return -EINVAL;
	}
	if (!json_is_string(c) || !json_string_length(c)) {
		seterr(err, errlen, "the request's \"cmd\" must be a non-empty string");
		return -EINVAL;
	}
	ret = object_member(msg, "args", &a);
	if (ret) {
		seterr(err, errlen, ret == -ENOMEM ? "out of memory parsing a request" :
		       "the request's \"args\" must be a JSON object");
		return ret;
	}
	*cmd = json_string_value(c);
	*args = a;
	return 0;
}

json_t *proto__ok(json_t *result)
{
	json_t *r = json_object();

	if (!result)
		result = json_object();
	if (!r || !result || json_object_set_new(r, "ok", json_true()) ||
	    json_object_set_new(r, "result", result)) {
		json_decref(r);
		return NULL;
	}
	return r;
}

json_t *proto__error(const char *code, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	json_t *r = json_object();

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!r || json_object_set_new(r, "ok", json_false()) ||
	    json_object_set_new(r, "code", json_string(code && *code ? code : "EIO")) ||
	    json_object_set_new(r, "error", json_string(msg))) {
		json_decref(r);
		return NULL;
	}
	return r;
}

int proto__parse_reply(json_t *reply, json_t **result, const char **code, char *err,
		       size_t errlen)
{
	json_t *ok, *res, *e, *c;
	int ret;

	*result = NULL;
	if (code)
		*code = NULL;
	if (!json_is_object(reply)) {
		seterr(err, errlen, "malformed reply from jitgated: not a JSON object");
		return -EPROTO;
	}
	ok = json_object_get(reply, "ok");
	if (!json_is_boolean(ok)) {
		seterr(err, errlen, "malformed reply from jitgated: \"ok\" is missing or not "
		       "true/false");
		return -EPROTO;
	}
	if (json_is_true(ok)) {
		ret = object_member(reply, "result", &res);
		if (ret) {
			seterr(err, errlen, ret == -ENOMEM ? "out of memory parsing a reply" :
			       "malformed reply from jitgated: \"result\" is not an object");
			return ret == -ENOMEM ? ret : -EPROTO;
		}
		*result = res;
		return 0;
	}
	e = json_object_get(reply, "error");
	c = json_object_get(reply, "code");
	if (e && !json_is_string(e)) {
		seterr(err, errlen, "malformed reply from jitgated: \"error\" is not a string");
		return -EPROTO;
	}
	if (c && !json_is_string(c)) {
		seterr(err, errlen, "malformed reply from jitgated: \"code\" is not a string");
		return -EPROTO;
	}
	if (code)
		*code = c ? json_string_value(c) : "EIO";
	seterr(err, errlen, "%s", e && json_string_length(e) ? json_string_value(e) :
	       "jitgated reported an error without saying which");
	return -EREMOTEIO;
}

int proto__call(const char *socket_path, const char *cmd, json_t *args, int timeout_ms,
		json_t **reply, json_t **result, char *err, size_t errlen)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	json_t *req = NULL, *rep = NULL;
	int fd = -1, ret;

	*reply = NULL;
	*result = NULL;
	if (!args)
		args = json_object();
	if (!args || !json_is_object(args)) {
		json_decref(args);
		seterr(err, errlen, "internal error: arguments of \"%s\" are not an object", cmd);
		return -EINVAL;
	}
	req = json_object();
	if (!req)
		json_decref(args);
	/* json_object_set_new steals the value even when it fails */
	if (!req || json_object_set_new(req, "v", json_integer(JG_PROTO_VERSION)) ||
	    json_object_set_new(req, "cmd", json_string(cmd))) {
		if (req)
			json_decref(args);
		seterr(err, errlen, "out of memory building a request");
		ret = -ENOMEM;
		goto cleanup;
	}
	if (json_object_set_new(req, "args", args)) {
		seterr(err, errlen, "out of memory building a request");
		ret = -ENOMEM;
		goto cleanup;
	}

	if (strlen(socket_path) >= sizeof(addr.sun_path)) {
		seterr(err, errlen, "socket path too long: %s", socket_path);
		ret = -ENAMETOOLONG;
		goto cleanup;
	}
	strcpy(addr.sun_path, socket_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		ret = -errno;
		seterr(err, errlen, "cannot create a socket: %s", strerror(-ret));
		goto cleanup;
	}
	while ((ret = connect(fd, (struct sockaddr *)&addr, sizeof(addr))) < 0 && errno == EINTR)
		;
	if (ret < 0) {
		ret = -errno;
		if (ret == -ENOENT || ret == -ECONNREFUSED)
			seterr(err, errlen, "jitgated is not running (no socket at %s)", socket_path);
		else if (ret == -EACCES || ret == -EPERM)
			seterr(err, errlen, "permission denied on %s", socket_path);
		else
			seterr(err, errlen, "cannot connect to jitgated at %s: %s", socket_path,
			       strerror(-ret));
		goto cleanup;
	}

	ret = proto__write(fd, req);
	if (ret == -EPIPE || ret == -ECONNRESET) {
		/* The daemon may have refused the connection (too many of them) with a line
		 * and closed before the request went out: that line says why. */
		if (proto__read_max(fd, 1000, JG_PROTO_MAX_REPLY, &rep, NULL, 0) == 0) {
			*reply = rep;
			ret = proto__parse_reply(rep, result, NULL, err, errlen);
			goto cleanup;
		}
	}
	if (ret) {
		seterr(err, errlen, "cannot send the request to jitgated: %s", strerror(-ret));
		goto cleanup;
	}
	ret = proto__read_max(fd, timeout_ms, JG_PROTO_MAX_REPLY, &rep, err, errlen);
	if (ret == -ETIMEDOUT) {
		seterr(err, errlen, "jitgated did not answer \"%s\" within %d ms", cmd, timeout_ms);
		goto cleanup;
	}
	if (ret == -ECONNRESET) {
		seterr(err, errlen, "jitgated closed the connection without answering \"%s\"",
		       cmd);
		goto cleanup;
	}
	if (ret) {
		char why[256];

		snprintf(why, sizeof(why), "%s", err ? err : "");
		seterr(err, errlen, "bad reply from jitgated: %s", why);
		goto cleanup;
	}
	*reply = rep;
	ret = proto__parse_reply(rep, result, NULL, err, errlen);
cleanup:
	if (fd >= 0)
		close(fd);
	json_decref(req);
	return ret;
}

/* Absent and JSON null are the same: a sender may write "x": null for "not given". */
static json_t *arg_get(json_t *args, const char *name)
{
	json_t *v = json_is_object(args) ? json_object_get(args, name) : NULL;

	return json_is_null(v) ? NULL : v;
}

/* Argument name, when it is there and of the type is_type checks (what says which): 0 with
 * *out, -ENOENT when absent and not required, else -EINVAL with one sentence. */
static int arg_typed(json_t *args, const char *name, bool required, int (*is_type)(json_t *),
		     const char *what, json_t **out, char *err, size_t errlen)
{
	json_t *v = arg_get(args, name);

	if (!v && !required)
		return -ENOENT;
	if (!v) {
		seterr(err, errlen, "argument \"%s\" is required", name);
		return -EINVAL;
	}
	if (!is_type(v)) {
		seterr(err, errlen, "argument \"%s\" must be %s", name, what);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

/* jansson's type tests are macros: functions to hand to arg_typed */
static int is_string(json_t *v)
{
	return json_is_string(v);
}

static int is_boolean(json_t *v)
{
	return json_is_boolean(v);
}

static int is_array(json_t *v)
{
	return json_is_array(v);
}

int proto__arg_string(json_t *args, const char *name, bool required, const char **out,
		      char *err, size_t errlen)
{
	json_t *v;
	int ret = arg_typed(args, name, required, is_string, "a string", &v, err, errlen);

	if (!ret)
		*out = json_string_value(v);
	return ret;
}

int proto__arg_bool(json_t *args, const char *name, bool *out, char *err, size_t errlen)
{
	json_t *v;
	int ret = arg_typed(args, name, false, is_boolean, "true or false", &v, err, errlen);

	if (!ret)
		*out = json_is_true(v);
	return ret;
}

int proto__arg_array(json_t *args, const char *name, bool required, json_t **out,
		     char *err, size_t errlen)
{
	return arg_typed(args, name, required, is_array, "an array", out, err, errlen);
}
