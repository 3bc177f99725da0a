// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* jitgate metrics: jitgated's OpenMetrics text, fetched from its metrics socket with a plain
 * HTTP GET (the same text a scraper gets; docs/metrics.md). */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include "cli/cli.h"
#include "lib/metrics.h"
#include "lib/util.h"

#define METRICS_TIMEOUT_MS 5000
#define METRICS_REPLY_MAX (16u << 20)

static const char metrics_help[] =
"Usage: jitgate metrics [--metrics-socket PATH] [--check]\n"
"\n"
"Print jitgated's metrics as OpenMetrics text (what a Prometheus scraper gets): decisions\n"
"per resource, live grants, pending requests, the ring buffers, the audit log and its\n"
"sinks. Read from jitgated's metrics socket, which root and the config's metrics_group\n"
"may use (docs/metrics.md lists every metric).\n"
"\n"
"Options:\n"
"  --metrics-socket PATH  jitgated's metrics socket (default: metrics.sock beside the\n"
"                         control socket, " "/run/jitgate/" JG_METRICS_NAME ")\n"
"  --check                check the text against the OpenMetrics rules instead of\n"
"                         printing it (exit 1 and the first broken rule)\n"
"  -h, --help             show this help\n"
"\n"
"EXAMPLES\n"
"  jitgate metrics\n"
"  jitgate metrics | grep '^jitgate_decisions_total{decision=\"deny\"'\n"
"  jitgate metrics --check\n"
"  curl -s --unix-socket /run/jitgate/metrics.sock http://localhost/metrics\n";

/* Everything the socket says until it closes, within the deadline. 0 or -errno. */
static int read_all(int fd, char **buf, size_t *len, int64_t deadline_ms)
{
	size_t cap = 0;

	*buf = NULL;
	*len = 0;
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int64_t now;
		ssize_t n;

		now = util__monotonic_ms();
		if (now >= deadline_ms || poll(&pfd, 1, (int)(deadline_ms - now)) == 0)
			return -ETIMEDOUT;
		if (*len + 65536 + 1 > cap) {
			char *p;

			if (cap >= METRICS_REPLY_MAX)
				return -EMSGSIZE;
			cap = cap ? cap * 2 : 131072;
			p = realloc(*buf, cap);
			if (!p)
				return -ENOMEM;
			*buf = p;
		}
		n = recv(fd, *buf + *len, cap - *len - 1, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		*len += (size_t)n;
	}
	(*buf)[*len] = 0;
	return 0;
}

/* GET /metrics on path: the body of a 200 reply into *body (malloc'd). 0, or EXIT_FAIL
 * after saying why. */
static int fetch(const char *path, char **reply, const char **body, size_t *bodylen)
{
	static const char req[] = "GET /metrics HTTP/1.1\r\nHost: localhost\r\n"
				  "Accept: " JG_METRICS_CONTENT_TYPE "\r\nConnection: close\r\n\r\n";
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	size_t len = 0;
	char *hdr_end;
	int fd, ret, code = 0;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		pr_warn("metrics socket path %s is too long", path);
		return EXIT_FAIL;
	}
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun))) {
		ret = errno;
		if (ret == ENOENT || ret == ECONNREFUSED)
			pr_warn("jitgated is not running (nothing answers on its metrics socket %s)",
				path);
		else if (ret == EACCES || ret == EPERM)
			pr_warn("cannot read the metrics at %s: permission denied (they are root's "
				"and the metrics_group's of jitgated.json)", path);
		else
			pr_warn("cannot connect to the metrics socket %s: %s", path, strerror(ret));
		if (fd >= 0)
			close(fd);
		return EXIT_FAIL;
	}
	if (send(fd, req, sizeof(req) - 1, MSG_NOSIGNAL) != (ssize_t)sizeof(req) - 1)
		ret = -errno;
	else
		ret = read_all(fd, reply, &len, util__monotonic_ms() + METRICS_TIMEOUT_MS);
	close(fd);
	if (ret) {
		pr_warn("no metrics from %s: %s", path, ret == -ETIMEDOUT ?
			"jitgated did not answer within 5 seconds" : strerror(-ret));
		return EXIT_FAIL;
	}
	hdr_end = strstr(*reply, "\r\n\r\n");
	if (sscanf(*reply, "HTTP/1.%*d %d", &code) != 1 || !hdr_end) {
		pr_warn("malformed reply from jitgated's metrics socket %s", path);
		return EXIT_FAIL;
	}
	*body = hdr_end + 4;
	*bodylen = len - (size_t)(*body - *reply);
	if (code != 200) {
		pr_warn("jitgated refused the metrics request (HTTP %d): %.*s", code,
			(int)strcspn(*body, "\n"), *body);
		return EXIT_FAIL;
	}
	return 0;
}

int do_metrics(int argc, char **argv)
{
	const char *path = NULL, *body;
	bool check = false;
	const struct cli_opt opts[] = {
		{ "metrics-socket", 0, .arg = &path },
		{ "check", 0, .flag = &check },
		{ 0 }
	};
	char def[300], err[256], *reply = NULL;
	size_t len;
	int c;

	if ((c = cli__opts(argc, argv, metrics_help, opts)) >= 0)
		return c;
	if (!path || !*path) {
		snprintf(def, sizeof(def), "%s/" JG_METRICS_NAME, env.run_dir);
		path = def;
	}
	if ((c = fetch(path, &reply, &body, &len))) {
		free(reply);
		return c;
	}
	if (check) {
		c = metrics__check(body, len, err, sizeof(err));
		if (!c && !strstr(reply, "\r\nContent-Type: " JG_METRICS_CONTENT_TYPE "\r\n")) {
			snprintf(err, sizeof(err), "the reply's Content-Type is not "
				 JG_METRICS_CONTENT_TYPE);
			c = -1;
		}
		if (c)
			pr_warn("the metrics text breaks the OpenMetrics rules: %s", err);
		else
			printf("the metrics text follows the OpenMetrics rules (%zu bytes)\n", len);
	} else {
		fwrite(body, 1, len, stdout);
	}
	free(reply);
	return c ? EXIT_FAIL : EXIT_OK;
}
