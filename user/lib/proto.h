/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The CLI <-> daemon protocol (docs/protocol.md): one JSON object per line, one request and
 * one reply per connection over a Unix stream socket. */
#ifndef JG_PROTO_H
#define JG_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

#define JG_PROTO_VERSION  1
#define JG_PROTO_MAX_MSG  65536
#define JG_PROTO_MAX_DEPTH 32	/* arrays and objects in a request or reply */
#define JG_SOCKET_DEFAULT "/run/jitgate/jitgate.sock"
/* Replies may be longer than requests (a "list" of thousands of grants): the client reads them
 * with this limit. */
#define JG_PROTO_MAX_REPLY (64u << 20)

/* Read one newline-terminated JSON object (at most JG_PROTO_MAX_MSG bytes) within timeout_ms.
 * Returns 0, or -EMSGSIZE (too long), -EPROTO (not a JSON object / bad UTF-8 / bytes after the
 * newline), -ETIMEDOUT, -ECONNRESET (peer closed before a full line), -errno; err says which. */
int proto__read(int fd, int timeout_ms, json_t **msg, char *err, size_t errlen);
/* The same with another limit (max bytes before the newline). timeout_ms < 0 waits forever. */
int proto__read_max(int fd, int timeout_ms, size_t max, json_t **msg, char *err, size_t errlen);

/* Framing for a reader that gathers bytes itself (the daemon's non-blocking sockets):
 * buf[0..len) is everything read so far. Returns 0 with *msg (caller decrefs) once it is one
 * complete line holding a JSON object, -EAGAIN while no newline came yet and len <= max,
 * else -EMSGSIZE or -EPROTO with one sentence in err (as proto__read). */
int proto__frame(const char *buf, size_t len, size_t max, json_t **msg, char *err,
		 size_t errlen);

/* Write msg compactly followed by "\n". Returns 0 or -errno. */
int proto__write(int fd, const json_t *msg);
/* The same line in a malloc'd buffer (*len bytes, the newline included; NUL-terminated);
 * NULL with errno EINVAL (not an object) or ENOMEM. */
char *proto__line(const json_t *msg, size_t *len);

/* Validate a request {"v":1,"cmd":"...","args":{...}}; args may be absent ({} then).
 * *cmd and *args borrow from msg. Returns 0 or -EINVAL with one sentence in err. */
int proto__parse_request(json_t *msg, const char **cmd, json_t **args, char *err, size_t errlen);

/* {"ok":true,"result":RESULT} (result reference stolen; NULL = {}). */
json_t *proto__ok(json_t *result);
/* {"ok":false,"code":CODE,"error":"..."}; CODE is an errno name such as "EPERM". */
json_t *proto__error(const char *code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Parse a reply. Returns 0 with *result borrowed from reply, or -EREMOTEIO with the daemon's
 * sentence in err (and *code set to its code when code != NULL), or -EPROTO. */
int proto__parse_reply(json_t *reply, json_t **result, const char **code, char *err, size_t errlen);

/* Client: connect to socket_path, send {"v":1,"cmd":cmd,"args":args} (args stolen, may be
 * NULL), wait up to timeout_ms for the reply. On success *reply holds the whole reply (caller
 * decrefs) and *result borrows its "result". Errors as above plus -ENOENT/-ECONNREFUSED
 * ("jitgated is not running (no socket at PATH)"), -EACCES ("permission denied on PATH").
 * Whenever a reply arrived (also with -EREMOTEIO or a malformed reply: -EPROTO), *reply holds
 * it so the caller can read its "code"; the caller decrefs *reply in every case (NULL-safe). */
int proto__call(const char *socket_path, const char *cmd, json_t *args, int timeout_ms,
		json_t **reply, json_t **result, char *err, size_t errlen);

/* Typed argument getters: 0, -ENOENT when absent and !required (out untouched),
 * -EINVAL with "argument \"NAME\" must be ..." in err. */
int proto__arg_string(json_t *args, const char *name, bool required, const char **out,
		      char *err, size_t errlen);
int proto__arg_bool(json_t *args, const char *name, bool *out, char *err, size_t errlen);
int proto__arg_array(json_t *args, const char *name, bool required, json_t **out,
		     char *err, size_t errlen);

#endif
