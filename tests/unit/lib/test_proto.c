// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* user/proto.c: framing over a socketpair, request/reply shapes, argument getters, and the
 * client call against a tiny in-process server. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <criterion/criterion.h>
#include "lib/proto.h"

static int sv[2] = { -1, -1 };	/* sv[0]: the reader under test, sv[1]: the peer */
static char err[512];

static void setup(void)
{
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	err[0] = '\0';
}

static void teardown(void)
{
	for (int i = 0; i < 2; i++)
		if (sv[i] >= 0)
			close(sv[i]);
	sv[0] = sv[1] = -1;
}

static void put(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		cr_assert_gt(n, 0, "write: %s", strerror(errno));
		buf += n;
		len -= (size_t)n;
	}
}

static void puts_fd(int fd, const char *s)
{
	put(fd, s, strlen(s));
}

/* A writer in the background: for messages larger than the socket buffer, and for a line
 * that arrives in two pieces with a pause between them. It stops quietly when the reader
 * goes away (no asserts and no SIGPIPE outside the test's own thread). */
struct writer {
	pthread_t thread;
	int fd;
	const char *a, *b;
	size_t alen, blen;
	int pause_ms;
};

static void put_quiet(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n <= 0)
			return;
		buf += n;
		len -= (size_t)n;
	}
}

static void *writer_main(void *arg)
{
	struct writer *w = arg;

	put_quiet(w->fd, w->a, w->alen);
	if (w->pause_ms)
		usleep((useconds_t)w->pause_ms * 1000);
	if (w->b)
		put_quiet(w->fd, w->b, w->blen);
	return NULL;
}

static void writer_start(struct writer *w)
{
	cr_assert_eq(pthread_create(&w->thread, NULL, writer_main, w), 0);
}

static void writer_join(struct writer *w)
{
	pthread_join(w->thread, NULL);
}

/* '{"a":"xxx..."}' of exactly len bytes, plus a newline when nl. */
static char *make_msg(size_t len, bool nl, size_t *outlen)
{
	char *s = malloc(len + 2);

	cr_assert_not_null(s);
	cr_assert_geq(len, 8);
	memcpy(s, "{\"a\":\"", 6);
	memset(s + 6, 'x', len - 8);
	memcpy(s + len - 2, "\"}", 2);
	s[len] = '\n';
	s[len + 1] = '\0';
	*outlen = len + (nl ? 1 : 0);
	return s;
}

TestSuite(framing, .init = setup, .fini = teardown, .timeout = 10);

Test(framing, good_message)
{
	json_t *msg = NULL;

	puts_fd(sv[1], "{\"v\":1,\"cmd\":\"status\",\"args\":{}}\n");
	cr_assert_eq(proto__read(sv[0], 1000, &msg, err, sizeof(err)), 0, "%s", err);
	cr_assert(json_is_object(msg));
	cr_assert_str_eq(json_string_value(json_object_get(msg, "cmd")), "status");
	json_decref(msg);
}

Test(framing, two_writes_form_one_line)
{
	struct writer w = { .fd = sv[1], .a = "{\"v\":1,\"cm", .b = "d\":\"list\"}\n",
			    .pause_ms = 100 };
	json_t *msg = NULL;

	w.alen = strlen(w.a);
	w.blen = strlen(w.b);
	writer_start(&w);
	cr_assert_eq(proto__read(sv[0], 2000, &msg, err, sizeof(err)), 0, "%s", err);
	writer_join(&w);
	cr_assert_str_eq(json_string_value(json_object_get(msg, "cmd")), "list");
	json_decref(msg);
}

Test(framing, exactly_at_the_limit)
{
	size_t len;
	char *s = make_msg(JG_PROTO_MAX_MSG, true, &len);
	struct writer w = { .fd = sv[1], .a = s, .alen = len };
	json_t *msg = NULL;

	writer_start(&w);
	cr_assert_eq(proto__read(sv[0], 2000, &msg, err, sizeof(err)), 0, "%s", err);
	writer_join(&w);
	cr_assert_eq(json_string_length(json_object_get(msg, "a")), JG_PROTO_MAX_MSG - 8);
	json_decref(msg);
	free(s);
}

Test(framing, one_over_the_limit)
{
	size_t len;
	char *s = make_msg(JG_PROTO_MAX_MSG + 1, true, &len);
	struct writer w = { .fd = sv[1], .a = s, .alen = len };
	json_t *msg = NULL;

	writer_start(&w);
	cr_assert_eq(proto__read(sv[0], 2000, &msg, err, sizeof(err)), -EMSGSIZE);
	cr_assert_null(msg);
	cr_assert(strstr(err, "65536"), "%s", err);
	shutdown(sv[0], SHUT_RDWR);	/* a writer still blocked gets EPIPE */
	writer_join(&w);
	free(s);
}

Test(framing, endless_line_is_cut_off)
{
	/* No newline ever: the reader must give up at the limit, not wait for the timeout. */
	size_t len;
	char *s = make_msg(3 * JG_PROTO_MAX_MSG, false, &len);
	struct writer w = { .fd = sv[1], .a = s, .alen = len };
	json_t *msg = NULL;

	writer_start(&w);
	cr_assert_eq(proto__read(sv[0], 5000, &msg, err, sizeof(err)), -EMSGSIZE, "%s", err);
	shutdown(sv[0], SHUT_RDWR);	/* a writer still blocked gets EPIPE */
	writer_join(&w);
	free(s);
}

Test(framing, custom_limit)
{
	json_t *msg = NULL;

	puts_fd(sv[1], "{\"a\":12345}\n");	/* 11 bytes before the newline */
	cr_assert_eq(proto__read_max(sv[0], 1000, 10, &msg, err, sizeof(err)), -EMSGSIZE);
	cr_assert_null(msg);
}

/* line on the wire: proto__read refuses it with ret and no message, err holding want (NULL:
 * not checked). */
static void read_refused(const char *line, int ret, const char *want)
{
	json_t *msg = NULL;

	puts_fd(sv[1], line);
	cr_assert_eq(proto__read(sv[0], 1000, &msg, err, sizeof(err)), ret);
	cr_assert_null(msg);
	if (want)
		cr_assert(strstr(err, want), "%s", err);
}

Test(framing, not_json)
{
	read_refused("hello there\n", -EPROTO, "not valid JSON");
}

Test(framing, array_is_not_an_object)
{
	read_refused("[1,2,3]\n", -EPROTO, "not a JSON object");
}

Test(framing, duplicate_keys)
{
	read_refused("{\"cmd\":\"list\",\"cmd\":\"unload\"}\n", -EPROTO, NULL);
}

Test(framing, bad_utf8)
{
	read_refused("{\"a\":\"\xff\xfe\"}\n", -EPROTO, NULL);
}

Test(framing, two_values_on_one_line)
{
	read_refused("{} {}\n", -EPROTO, NULL);
}

Test(framing, trailing_bytes_after_newline)
{
	read_refused("{\"v\":1}\n{\"v\":1}\n", -EPROTO, "after the end");
}

Test(framing, peer_closes_early)
{
	json_t *msg = NULL;

	puts_fd(sv[1], "{\"v\":1,");
	close(sv[1]);
	sv[1] = -1;
	cr_assert_eq(proto__read(sv[0], 1000, &msg, err, sizeof(err)), -ECONNRESET);
	cr_assert_null(msg);
	cr_assert(strstr(err, "middle"), "%s", err);
}

Test(framing, peer_closes_without_a_word)
{
	json_t *msg = NULL;

	close(sv[1]);
	sv[1] = -1;
	cr_assert_eq(proto__read(sv[0], 1000, &msg, err, sizeof(err)), -ECONNRESET);
	cr_assert_null(msg);
}

Test(framing, timeout)
{
	json_t *msg = NULL;

	puts_fd(sv[1], "{\"v\":1");	/* half a line, then silence */
	cr_assert_eq(proto__read(sv[0], 100, &msg, err, sizeof(err)), -ETIMEDOUT);
	cr_assert_null(msg);
	cr_assert(strstr(err, "100 ms"), "%s", err);
}

Test(framing, frame_gathers_until_the_newline)
{
	const char *full = "{\"v\":1}\n";
	json_t *msg = NULL;

	cr_assert_eq(proto__frame(full, 3, 100, &msg, err, sizeof(err)), -EAGAIN);
	cr_assert_null(msg);
	cr_assert_eq(proto__frame(full, strlen(full), 100, &msg, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(json_integer_value(json_object_get(msg, "v")), 1);
	json_decref(msg);
	cr_assert_eq(proto__frame("{}\n{}", 5, 100, &msg, err, sizeof(err)), -EPROTO);
	cr_assert(strstr(err, "after the end"), "%s", err);
	cr_assert_eq(proto__frame("{\"a\":1", 7, 6, &msg, err, sizeof(err)), -EMSGSIZE);
	cr_assert_eq(proto__frame("[1]\n", 4, 100, &msg, err, sizeof(err)), -EPROTO);
	cr_assert_null(msg);
}

/* Nesting is limited before jansson parses (it recurses once a level); brackets inside
 * strings do not count. */
Test(framing, deep_nesting_is_refused)
{
	char buf[512];
	json_t *msg = NULL;
	size_t n = 0;

	/* 32 levels: the most */
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "{\"a\":");
	for (int i = 1; i < JG_PROTO_MAX_DEPTH; i++)
		buf[n++] = '[';
	for (int i = 1; i < JG_PROTO_MAX_DEPTH; i++)
		buf[n++] = ']';
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "}\n");
	cr_assert_eq(proto__frame(buf, n, 1000, &msg, err, sizeof(err)), 0, "%s", err);
	json_decref(msg);
	msg = NULL;
	/* 33: refused, saying why */
	n = 0;
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "{\"a\":");
	for (int i = 0; i < JG_PROTO_MAX_DEPTH; i++)
		buf[n++] = '[';
	for (int i = 0; i < JG_PROTO_MAX_DEPTH; i++)
		buf[n++] = ']';
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "}\n");
	cr_assert_eq(proto__frame(buf, n, 1000, &msg, err, sizeof(err)), -EPROTO);
	cr_assert_null(msg);
	cr_assert(strstr(err, "deeper than 32 levels"), "%s", err);
	/* brackets in strings (and escaped quotes) are text */
	{
		const char *s = "{\"a\":\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\\\"[[[\"}\n";

		cr_assert_eq(proto__frame(s, strlen(s), 1000, &msg, err, sizeof(err)), 0, "%s",
			     err);
	}
	json_decref(msg);
}

Test(framing, line_is_compact_with_one_newline)
{
	json_t *m = json_pack("{s:s}", "a", "x\ny");
	size_t len = 0;
	char *line = proto__line(m, &len);

	cr_assert_not_null(line);
	cr_assert_eq(len, strlen(line));
	cr_assert_str_eq(line, "{\"a\":\"x\\ny\"}\n");
	free(line);
	json_decref(m);
	m = json_array();
	cr_assert_null(proto__line(m, &len));
	cr_assert_eq(errno, EINVAL);
	json_decref(m);
}

Test(framing, write_then_read_round_trip)
{
	json_t *out = json_pack("{s:i,s:s,s:{s:s}}", "v", 1, "cmd", "grant", "args", "reason",
				"line one\nline two");
	json_t *in = NULL;

	cr_assert_eq(proto__write(sv[1], out), 0);
	cr_assert_eq(proto__read(sv[0], 1000, &in, err, sizeof(err)), 0, "%s", err);
	cr_assert(json_equal(in, out));
	json_decref(in);
	json_decref(out);
}

Test(framing, write_refuses_non_objects)
{
	json_t *a = json_array();

	cr_assert_eq(proto__write(sv[1], a), -EINVAL);
	cr_assert_eq(proto__write(sv[1], NULL), -EINVAL);
	json_decref(a);
}

Test(framing, write_to_a_closed_peer_is_epipe_not_sigpipe)
{
	json_t *out = json_object();

	close(sv[0]);
	sv[0] = -1;
	cr_assert_eq(proto__write(sv[1], out), -EPIPE);
	json_decref(out);
}

/* ---- requests ---- */

static json_t *req(const char *text)
{
	json_error_t jerr;
	json_t *j = json_loads(text, 0, &jerr);

	cr_assert_not_null(j, "%s: %s", text, jerr.text);
	return j;
}

TestSuite(request, .init = setup, .fini = teardown);

Test(request, good)
{
	json_t *m = req("{\"v\":1,\"cmd\":\"revoke\",\"args\":{\"id\":\"g-1\"}}");
	const char *cmd = NULL;
	json_t *args = NULL;

	cr_assert_eq(proto__parse_request(m, &cmd, &args, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(cmd, "revoke");
	cr_assert_str_eq(json_string_value(json_object_get(args, "id")), "g-1");
	json_decref(m);
}

Test(request, args_may_be_absent)
{
	json_t *m = req("{\"v\":1,\"cmd\":\"status\"}");
	const char *cmd = NULL;
	json_t *args = NULL;

	cr_assert_eq(proto__parse_request(m, &cmd, &args, err, sizeof(err)), 0, "%s", err);
	cr_assert(json_is_object(args));
	cr_assert_eq(json_object_size(args), 0);
	json_decref(m);
}

static void bad_request(const char *text, const char *needle)
{
	json_t *m = req(text);
	const char *cmd = NULL;
	json_t *args = NULL;

	err[0] = '\0';
	cr_assert_eq(proto__parse_request(m, &cmd, &args, err, sizeof(err)), -EINVAL, "%s", text);
	cr_assert(strstr(err, needle), "%s -> '%s', expected '%s'", text, err, needle);
	json_decref(m);
}

Test(request, missing_v)
{
	bad_request("{\"cmd\":\"status\"}", "\"v\"");
}

Test(request, wrong_v)
{
	bad_request("{\"v\":2,\"cmd\":\"status\"}", "version 2 is not supported");
	bad_request("{\"v\":\"1\",\"cmd\":\"status\"}", "version \"1\"");
	bad_request("{\"v\":1.0,\"cmd\":\"status\"}", "not supported");
}

Test(request, missing_cmd)
{
	bad_request("{\"v\":1}", "no \"cmd\"");
}

Test(request, cmd_not_a_string)
{
	bad_request("{\"v\":1,\"cmd\":7}", "\"cmd\" must be");
	bad_request("{\"v\":1,\"cmd\":\"\"}", "non-empty");
}

Test(request, args_not_an_object)
{
	bad_request("{\"v\":1,\"cmd\":\"grant\",\"args\":[]}", "\"args\" must be");
	bad_request("{\"v\":1,\"cmd\":\"grant\",\"args\":null}", "\"args\" must be");
}

Test(request, not_an_object)
{
	bad_request("[]", "JSON object");
}

/* ---- replies ---- */

TestSuite(reply, .init = setup, .fini = teardown);

Test(reply, ok_shape)
{
	json_t *r = proto__ok(json_pack("{s:b}", "enforcing", 1));
	json_t *expect = req("{\"ok\":true,\"result\":{\"enforcing\":true}}");

	cr_assert(json_equal(r, expect));
	json_decref(r);
	json_decref(expect);

	r = proto__ok(NULL);
	expect = req("{\"ok\":true,\"result\":{}}");
	cr_assert(json_equal(r, expect));
	json_decref(r);
	json_decref(expect);
}

Test(reply, error_shape)
{
	json_t *r = proto__error("EPERM", "only an admin may grant access (you are uid %d)", 1000);
	json_t *expect = req("{\"ok\":false,\"code\":\"EPERM\","
			     "\"error\":\"only an admin may grant access (you are uid 1000)\"}");

	cr_assert(json_equal(r, expect));
	json_decref(r);
	json_decref(expect);

	r = proto__error(NULL, "x");
	cr_assert_str_eq(json_string_value(json_object_get(r, "code")), "EIO");
	json_decref(r);
}

Test(reply, parse_ok)
{
	json_t *r = req("{\"ok\":true,\"result\":{\"revoked\":[\"g-1\"]}}");
	json_t *res = NULL;
	const char *code = "x";

	cr_assert_eq(proto__parse_reply(r, &res, &code, err, sizeof(err)), 0, "%s", err);
	cr_assert_null(code);
	cr_assert_eq(res, json_object_get(r, "result"));
	cr_assert_eq(json_array_size(json_object_get(res, "revoked")), 1);
	json_decref(r);
}

Test(reply, parse_ok_without_result)
{
	json_t *r = req("{\"ok\":true}");
	json_t *res = NULL;

	cr_assert_eq(proto__parse_reply(r, &res, NULL, err, sizeof(err)), 0, "%s", err);
	cr_assert(json_is_object(res));
	json_decref(r);
}

Test(reply, parse_error)
{
	json_t *r = proto__error("ENOENT", "no live grant g-9");
	json_t *res = (json_t *)1;
	const char *code = NULL;

	cr_assert_eq(proto__parse_reply(r, &res, &code, err, sizeof(err)), -EREMOTEIO);
	cr_assert_null(res);
	cr_assert_str_eq(code, "ENOENT");
	cr_assert_str_eq(err, "no live grant g-9");
	json_decref(r);
}

Test(reply, parse_malformed)
{
	const char *bad[] = { "{}", "{\"ok\":1}", "{\"ok\":true,\"result\":[]}",
			      "{\"ok\":false,\"error\":5}", "{\"ok\":false,\"code\":5}" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *r = req(bad[i]);
		json_t *res = NULL;

		cr_assert_eq(proto__parse_reply(r, &res, NULL, err, sizeof(err)), -EPROTO,
			     "%s", bad[i]);
		cr_assert(strstr(err, "malformed"), "%s", err);
		json_decref(r);
	}
}

/* ---- argument getters ---- */

TestSuite(args, .init = setup, .fini = teardown);

Test(args, string)
{
	json_t *a = req("{\"user\":\"alice\",\"n\":3,\"z\":null}");
	const char *s = "untouched";

	cr_assert_eq(proto__arg_string(a, "user", true, &s, err, sizeof(err)), 0);
	cr_assert_str_eq(s, "alice");
	s = "untouched";
	cr_assert_eq(proto__arg_string(a, "reason", false, &s, err, sizeof(err)), -ENOENT);
	cr_assert_str_eq(s, "untouched");
	cr_assert_eq(proto__arg_string(a, "z", false, &s, err, sizeof(err)), -ENOENT);
	cr_assert_eq(proto__arg_string(a, "reason", true, &s, err, sizeof(err)), -EINVAL);
	cr_assert_str_eq(err, "argument \"reason\" is required");
	cr_assert_eq(proto__arg_string(a, "n", false, &s, err, sizeof(err)), -EINVAL);
	cr_assert_str_eq(err, "argument \"n\" must be a string");
	cr_assert_str_eq(s, "untouched");
	json_decref(a);
}

Test(args, boolean)
{
	json_t *a = req("{\"break_glass\":true,\"s\":\"yes\"}");
	bool b = false;

	cr_assert_eq(proto__arg_bool(a, "break_glass", &b, err, sizeof(err)), 0);
	cr_assert(b);
	b = true;
	cr_assert_eq(proto__arg_bool(a, "missing", &b, err, sizeof(err)), -ENOENT);
	cr_assert(b);
	cr_assert_eq(proto__arg_bool(a, "s", &b, err, sizeof(err)), -EINVAL);
	cr_assert_str_eq(err, "argument \"s\" must be true or false");
	json_decref(a);
}

Test(args, array)
{
	json_t *a = req("{\"allow\":[{\"resource\":\"r\"}],\"o\":{}}");
	json_t *v = NULL;

	cr_assert_eq(proto__arg_array(a, "allow", true, &v, err, sizeof(err)), 0);
	cr_assert_eq(json_array_size(v), 1);
	v = NULL;
	cr_assert_eq(proto__arg_array(a, "x", false, &v, err, sizeof(err)), -ENOENT);
	cr_assert_null(v);
	cr_assert_eq(proto__arg_array(a, "x", true, &v, err, sizeof(err)), -EINVAL);
	cr_assert_str_eq(err, "argument \"x\" is required");
	cr_assert_eq(proto__arg_array(a, "o", true, &v, err, sizeof(err)), -EINVAL);
	cr_assert_str_eq(err, "argument \"o\" must be an array");
	json_decref(a);
}

Test(args, null_args_object)
{
	const char *s = NULL;

	cr_assert_eq(proto__arg_string(NULL, "user", false, &s, err, sizeof(err)), -ENOENT);
	cr_assert_eq(proto__arg_string(NULL, "user", true, &s, err, sizeof(err)), -EINVAL);
}

/* ---- proto__call against a one-shot server on a real socket ---- */

static char sock_dir[64];
static char sock_path[128];

static void call_setup(void)
{
	strcpy(sock_dir, "/tmp/jg-test-proto-XXXXXX");
	cr_assert_not_null(mkdtemp(sock_dir));
	snprintf(sock_path, sizeof(sock_path), "%s/jitgate.sock", sock_dir);
	err[0] = '\0';
}

static void call_teardown(void)
{
	unlink(sock_path);
	rmdir(sock_dir);
}

static int listen_at(const char *path, bool do_listen)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	cr_assert_geq(fd, 0);
	strcpy(addr.sun_path, path);
	cr_assert_eq(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0, "%s", strerror(errno));
	if (do_listen)
		cr_assert_eq(listen(fd, 4), 0);
	return fd;
}

struct server {
	pthread_t thread;
	int lfd;
	const char *answer;	/* raw bytes to send back; NULL = close without answering */
	json_t *request;	/* what arrived */
};

static void *server_main(void *arg)
{
	struct server *s = arg;
	char e[256];
	int fd = accept(s->lfd, NULL, NULL);

	if (fd < 0)
		return NULL;
	proto__read(fd, 2000, &s->request, e, sizeof(e));
	if (s->answer)
		put_quiet(fd, s->answer, strlen(s->answer));
	close(fd);
	return NULL;
}

TestSuite(call, .init = call_setup, .fini = call_teardown, .timeout = 10);

Test(call, round_trip)
{
	struct server s = { .answer = "{\"ok\":true,\"result\":{\"revoked\":[\"g-3\"]}}\n" };
	json_t *reply = NULL, *result = NULL;
	int ret;

	s.lfd = listen_at(sock_path, true);
	pthread_create(&s.thread, NULL, server_main, &s);
	ret = proto__call(sock_path, "revoke", json_pack("{s:s}", "id", "g-3"), 2000, &reply,
			  &result, err, sizeof(err));
	pthread_join(s.thread, NULL);
	close(s.lfd);
	cr_assert_eq(ret, 0, "%s", err);
	cr_assert_str_eq(json_string_value(json_array_get(json_object_get(result, "revoked"), 0)),
			 "g-3");
	cr_assert_eq(json_integer_value(json_object_get(s.request, "v")), 1);
	cr_assert_str_eq(json_string_value(json_object_get(s.request, "cmd")), "revoke");
	cr_assert_str_eq(json_string_value(json_object_get(json_object_get(s.request, "args"),
							   "id")), "g-3");
	json_decref(s.request);
	json_decref(reply);
}

Test(call, null_args_become_empty_object)
{
	struct server s = { .answer = "{\"ok\":true,\"result\":{}}\n" };
	json_t *reply = NULL, *result = NULL;

	s.lfd = listen_at(sock_path, true);
	pthread_create(&s.thread, NULL, server_main, &s);
	cr_assert_eq(proto__call(sock_path, "status", NULL, 2000, &reply, &result, err,
				 sizeof(err)), 0, "%s", err);
	pthread_join(s.thread, NULL);
	close(s.lfd);
	cr_assert(json_is_object(json_object_get(s.request, "args")));
	json_decref(s.request);
	json_decref(reply);
}

Test(call, daemon_error_keeps_the_reply)
{
	struct server s = { .answer = "{\"ok\":false,\"code\":\"EPERM\",\"error\":\"only an admin "
				      "may grant access (you are uid 1000)\"}\n" };
	json_t *reply = NULL, *result = NULL;
	int ret;

	s.lfd = listen_at(sock_path, true);
	pthread_create(&s.thread, NULL, server_main, &s);
	ret = proto__call(sock_path, "grant", json_object(), 2000, &reply, &result, err,
			  sizeof(err));
	pthread_join(s.thread, NULL);
	close(s.lfd);
	cr_assert_eq(ret, -EREMOTEIO);
	cr_assert_str_eq(err, "only an admin may grant access (you are uid 1000)");
	cr_assert_null(result);
	cr_assert_str_eq(json_string_value(json_object_get(reply, "code")), "EPERM");
	json_decref(s.request);
	json_decref(reply);
}

Test(call, daemon_hangs_up)
{
	struct server s = { .answer = NULL };
	json_t *reply = NULL, *result = NULL;
	int ret;

	s.lfd = listen_at(sock_path, true);
	pthread_create(&s.thread, NULL, server_main, &s);
	ret = proto__call(sock_path, "list", NULL, 2000, &reply, &result, err, sizeof(err));
	pthread_join(s.thread, NULL);
	close(s.lfd);
	cr_assert_eq(ret, -ECONNRESET);
	cr_assert(strstr(err, "without answering"), "%s", err);
	cr_assert_null(reply);
	json_decref(s.request);
}

/* The daemon refuses a connection (too many open) with a line and closes it unread. */
static void *refuser_main(void *arg)
{
	struct server *s = arg;
	int fd = accept(s->lfd, NULL, NULL);

	if (fd < 0)
		return NULL;
	put_quiet(fd, s->answer, strlen(s->answer));
	close(fd);
	return NULL;
}

Test(call, refusal_before_the_request_went_out)
{
	/* A request bigger than the socket buffer: its write is still going when the daemon
	 * closes, so it fails (EPIPE); the refusal line must still reach the caller. */
	struct server s = { .answer = "{\"ok\":false,\"code\":\"EBUSY\",\"error\":\"uid 1000 has "
				      "8 connections\"}\n" };
	json_t *reply = NULL, *result = NULL;
	size_t big = 1 << 20;
	char *pad = malloc(big + 1);
	int ret;

	memset(pad, 'x', big);
	pad[big] = 0;
	s.lfd = listen_at(sock_path, true);
	pthread_create(&s.thread, NULL, refuser_main, &s);
	ret = proto__call(sock_path, "status", json_pack("{s:s}", "pad", pad), 2000, &reply,
			  &result, err, sizeof(err));
	pthread_join(s.thread, NULL);
	close(s.lfd);
	free(pad);
	cr_assert_eq(ret, -EREMOTEIO, "%d: %s", ret, err);
	cr_assert_str_eq(err, "uid 1000 has 8 connections");
	json_decref(reply);
}

Test(call, daemon_says_nothing)
{
	json_t *reply = NULL, *result = NULL;
	int lfd = listen_at(sock_path, true);	/* never accepts: the kernel queues us */

	cr_assert_eq(proto__call(sock_path, "list", NULL, 200, &reply, &result, err,
				 sizeof(err)), -ETIMEDOUT);
	cr_assert(strstr(err, "did not answer"), "%s", err);
	close(lfd);
}

Test(call, no_socket)
{
	json_t *reply = NULL, *result = NULL;
	char expect[256];

	cr_assert_eq(proto__call(sock_path, "status", NULL, 1000, &reply, &result, err,
				 sizeof(err)), -ENOENT);
	snprintf(expect, sizeof(expect), "jitgated is not running (no socket at %s)", sock_path);
	cr_assert_str_eq(err, expect);
	cr_assert_null(reply);
}

Test(call, socket_without_listener)
{
	json_t *reply = NULL, *result = NULL;
	char expect[256];
	int fd = listen_at(sock_path, false);

	cr_assert_eq(proto__call(sock_path, "status", NULL, 1000, &reply, &result, err,
				 sizeof(err)), -ECONNREFUSED);
	snprintf(expect, sizeof(expect), "jitgated is not running (no socket at %s)", sock_path);
	cr_assert_str_eq(err, expect);
	close(fd);
}

Test(call, permission_denied)
{
	json_t *reply = NULL, *result = NULL;
	char expect[256];
	int fd;

	if (geteuid() == 0)
		cr_skip_test("root is never denied by file modes");
	fd = listen_at(sock_path, true);
	chmod(sock_path, 0);
	cr_assert_eq(proto__call(sock_path, "status", NULL, 1000, &reply, &result, err,
				 sizeof(err)), -EACCES);
	snprintf(expect, sizeof(expect), "permission denied on %s", sock_path);
	cr_assert_str_eq(err, expect);
	close(fd);
}

Test(call, path_too_long)
{
	char path[200];
	json_t *reply = NULL, *result = NULL;

	memset(path, 'a', sizeof(path) - 1);
	path[0] = '/';
	path[sizeof(path) - 1] = '\0';
	cr_assert_eq(proto__call(path, "status", NULL, 1000, &reply, &result, err, sizeof(err)),
		     -ENAMETOOLONG);
}
