// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Fuzz harness: the control socket as every local user reaches it. The daemon's socket code
 * (daemon/server.c, included below so its connection slots can be handed a peer) reads the
 * bytes from a real socket with its framing reader, validates the request and dispatches it
 * to the real handlers (grants, requests, approvals, history, MFA, status), which work on a
 * real ledger (SQLite, fresh for every input), the real policy and audit code, and the
 * in-memory gate of fake_gate.c instead of the kernel.
 *
 * An input is up to 8 connections, one per "---" part, made in order against the same
 * state (so a request can be approved by the next connection). The first byte of a part is
 * who connects: 'r' root (admin), 'a' uid 1000 (requester), 'b' uid 1001 (approver),
 * 'c' uid 1002 (auditor, no login uid), '!' a peer whose identity is unproven; any other
 * byte picks one of the first four. The rest is sent as it is, then the writing side closes.
 * Every complete line must get exactly one reply line: a JSON object with "ok". */
#include "daemon/server.c"
#include "fuzz.h"

/* The daemon's one state, which daemon/main.c defines in the product. */
struct daemon d = { .listen_fd = -1, .sig_fd = -1, .timer_fd = -1, .ep_fd = -1, .lock_fd = -1,
	.suppressed_seen = UINT64_MAX };

void fake_gate__reset(void);

static const char policy_text[] =
	"{\"version\": 1,\n"
	" \"resources\": {\n"
	"  \"secrets\": {\"files\": [\"@/secrets\"]},\n"
	"  \"tools\":   {\"exec\": [\"@/tool\"]},\n"
	"  \"db\":      {\"connect\": [\"10.20.0.0/16:5432\", \"[::1]:7777\"]},\n"
	"  \"root\":    {\"elevate\": {\"except\": [\"/usr/bin/passwd\"]}}\n"
	" },\n"
	" \"roles\": {\n"
	"  \"debug\": {\"allow\": {\"secrets\": [\"read\"], \"db\": [\"connect\"]},\n"
	"    \"requesters\": [\"uid:1000\"], \"approvers\": [\"uid:1001\"], \"approvals\": 1,\n"
	"    \"default_duration\": \"30m\", \"max_duration\": \"2h\", \"request_ttl\": \"1h\"},\n"
	"  \"auto\": {\"allow\": {\"tools\": [\"exec\"]}, \"requesters\": [\"uid:1000\", \"uid:1002\"],\n"
	"    \"approvers\": [\"uid:1001\"], \"require_reason\": false,\n"
	"    \"auto_approve\": {\"who\": [\"uid:1000\"]}},\n"
	"  \"twoman\": {\"allow\": {\"secrets\": [\"read\", \"write\"]}, \"requesters\": [\"uid:1000\"],\n"
	"    \"approvers\": [\"uid:1001\", \"uid:0\"], \"approvals\": 2},\n"
	"  \"mfa\": {\"allow\": {\"root\": [\"elevate\"]}, \"requesters\": [\"uid:1000\"],\n"
	"    \"approvers\": [\"uid:1001\"], \"require_mfa\": true,\n"
	"    \"schedule\": {\"timezone\": \"Europe/Berlin\", \"windows\": [\"Mon-Sun 00:00-24:00\"]}}\n"
	" }\n"
	"}\n";

static char template_path[160];

static void setup_policy(void)
{
	char path[128], file[128], err[1024], *text, *at;
	FILE *f;

	/* the policy's files live in the harness's directory: "@" stands for it */
	snprintf(file, sizeof(file), "%s/secrets", fz_dir());
	close(open(file, O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
	snprintf(d.canary, sizeof(d.canary), "%s/canary", fz_dir());
	close(open(d.canary, O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
	snprintf(file, sizeof(file), "%s/tool", fz_dir());
	close(open(file, O_WRONLY | O_CREAT | O_CLOEXEC, 0700));
	snprintf(path, sizeof(path), "%s/policy.json", fz_dir());
	f = fopen(path, "w");
	if (!f)
		abort();
	for (text = (char *)policy_text; (at = strchr(text, '@')); text = at + 1)
		fprintf(f, "%.*s%s", (int)(at - text), text, fz_dir());
	fputs(text, f);
	fclose(f);
	snprintf(d.cfg.policy, sizeof(d.cfg.policy), "%s", path);
	if (policy_apply(path, err, sizeof(err))) {
		fprintf(stderr, "fuzz_proto: the harness's policy does not load: %s\n", err);
		abort();
	}
}

static void copy_file(const char *from, const char *to)
{
	char buf[65536];
	int in = open(from, O_RDONLY | O_CLOEXEC);
	int out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ssize_t n;

	if (in < 0 || out < 0)
		abort();
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			abort();
	close(in);
	close(out);
}

static void unlink_ledger(void)
{
	char side[320];

	unlink(d.cfg.ledger);
	snprintf(side, sizeof(side), "%s-wal", d.cfg.ledger);
	unlink(side);
	snprintf(side, sizeof(side), "%s-shm", d.cfg.ledger);
	unlink(side);
}

static void setup(void)
{
	char err[1024];

	log__init("jitgated", JG_LOG_WARN);
	snprintf(d.cfg.state_dir, sizeof(d.cfg.state_dir), "%s", fz_dir());
	snprintf(d.cfg.ledger, sizeof(d.cfg.ledger), "%s/ledger.db", fz_dir());
	snprintf(d.cfg.pin_dir, sizeof(d.cfg.pin_dir), "%s/pins", fz_dir());
	snprintf(d.cfg.socket, sizeof(d.cfg.socket), "%s/sock", fz_dir());
	snprintf(d.cfg.host, sizeof(d.cfg.host), "fuzz");
	d.cfg.max_grants = 256;
	d.cfg.max_clients = MAX_CLIENTS_DEFAULT;
	d.cfg.max_clients_per_uid = MAX_CLIENTS_PER_UID_DEFAULT;
	d.cfg.client_read_timeout_ms = CLIENT_READ_TIMEOUT_MS;
	d.cfg.client_write_timeout_ms = CLIENT_WRITE_TIMEOUT_MS;
	d.cfg.mfa = (struct jg_mfa_policy){ .deny = JG_MFA_DENY_DEFAULT,
		.fail_interval_ns = JG_MFA_FAIL_INTERVAL_DEFAULT * 1000000000LL,
		.unlock_time_ns = JG_MFA_UNLOCK_TIME_DEFAULT * 1000000000LL };
	d.cfg.req = (struct jg_req_limits){ .max_pending = JG_REQ_MAX_PENDING_DEFAULT,
		.rate = JG_REQ_RATE_DEFAULT, .rate_window_ns = JG_REQ_RATE_WINDOW_DEFAULT * 1000000000LL,
		.reason_max = JG_REQ_REASON_MAX_DEFAULT };
	d.gate = calloc(1, sizeof(*d.gate));
	if (!d.gate)
		abort();
	snprintf(d.gate->pin_dir, sizeof(d.gate->pin_dir), "%s", d.cfg.pin_dir);
	d.gate->max_grants = d.cfg.max_grants;
	d.ep_fd = epoll_create1(EPOLL_CLOEXEC);
	/* no audit file: records are built, chained and handed to the (empty) tap */
	if (audit__open_ex(&d.audit, &(struct jg_audit_cfg){ .host = d.cfg.host }, err,
			   sizeof(err)) || clients_init(err, sizeof(err))) {
		fprintf(stderr, "fuzz_proto: %s\n", err);
		abort();
	}
	grant_set_hook(request_on_grant);
	d.notify.on_error = notify_failed;
	/* the template ledger: the policy applied once, its resource ids recorded */
	unlink_ledger();
	grants__init(&d.grants);
	if (ledger__open(&d.ledger, d.cfg.ledger, err, sizeof(err)) ||
	    ledger_load(err, sizeof(err))) {
		fprintf(stderr, "fuzz_proto: %s\n", err);
		abort();
	}
	setup_policy();
	ledger__close(&d.ledger);
	grants__free(&d.grants);
	snprintf(template_path, sizeof(template_path), "%s/template.db", fz_dir());
	copy_file(d.cfg.ledger, template_path);
}

/* A fresh ledger (the template: the policy's resources recorded, nothing else) and grant
 * table for every input, so an input replays the same way. */
static void state_begin(void)
{
	char err[1024];

	fake_gate__reset();
	grants__init(&d.grants);
	for (size_t i = 0; i < JG_MAX_RESOURCES; i++) {	/* ledger_load reads them again */
		free(d.res_names[i]);
		d.res_names[i] = NULL;
	}
	unlink_ledger();
	copy_file(template_path, d.cfg.ledger);
	if (ledger__open(&d.ledger, d.cfg.ledger, err, sizeof(err)) ||
	    ledger_load(err, sizeof(err))) {
		fprintf(stderr, "fuzz_proto: %s\n", err);
		abort();
	}
}

static void state_end(void)
{
	ledger__close(&d.ledger);
	grants__free(&d.grants);
}

static void peer_for(uint8_t who, struct client *c)
{
	static const uint32_t uids[] = { 0, 1000, 1001, 1002 };
	const char *k = memchr("rabc", who, 4);
	size_t i = k ? (size_t)(k - "rabc") : who % 4;

	memset(&c->peer, 0, sizeof(c->peer));
	c->peer.pid = getpid();
	c->peer.uid = c->peer.gid = uids[i];
	c->peer.loginuid = i == 3 ? (uint32_t)-1 : uids[i];
	c->peer.subject = uids[i];
	util__user_name(c->peer.subject, c->peer.user, sizeof(c->peer.user));
	c->peer.admin = i == 0;
	c->peer.auditor = i == 3;
	c->unproven[0] = '\0';
	if (who == '!')
		snprintf(c->unproven, sizeof(c->unproven), "process %d has exited", (int)getpid());
}

static void one_connection(const char *bytes, size_t len, uint8_t who)
{
	struct client *c = &srv.v[0];
	int sv[2], big = 8 << 20;
	char *reply = NULL;
	size_t rlen = 0;
	bool complete = memchr(bytes, '\n', len) != NULL;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv))
		abort();
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big));
	setsockopt(sv[1], SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big));
	if (len && send(sv[1], bytes, len, MSG_NOSIGNAL) != (ssize_t)len)
		abort();
	shutdown(sv[1], SHUT_WR);
	c->fd = sv[0];
	peer_for(who, c);
	c->deadline = util__monotonic_ms() + d.cfg.client_read_timeout_ms;
	srv.open++;
	client_input(c);
	if (c->fd >= 0)
		client_close(c);	/* a reply the socket did not take: dropped, as at the deadline */
	for (;;) {
		char chunk[65536];
		ssize_t n = recv(sv[1], chunk, sizeof(chunk), 0);

		if (n <= 0)
			break;
		reply = realloc(reply, rlen + (size_t)n + 1);
		if (!reply)
			abort();
		memcpy(reply + rlen, chunk, (size_t)n);
		rlen += (size_t)n;
	}
	close(sv[1]);
	if (getenv("FUZZ_VERBOSE"))	/* to read what an input did */
		fprintf(stderr, "%c> %.*s", who, (int)(rlen < 600 ? rlen : 600), reply ? reply : "");
	if (complete || len > JG_PROTO_MAX_MSG) {
		json_t *msg = NULL;
		char err[256];

		if (!reply || proto__frame(reply, rlen, JG_PROTO_MAX_REPLY, &msg, err, sizeof(err)))
			fz_fail("no reply line, or not one JSON object (%zu bytes): %s", rlen,
				reply ? err : "nothing");
		if (!json_is_boolean(json_object_get(msg, "ok")))
			fz_fail("a reply without \"ok\"");
		json_decref(msg);
	}
	free(reply);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	char *parts[FZ_MAX_PARTS], *text;
	size_t n;

	if (!ready) {
		setup();
		ready = true;
	}
	if (size > 2 * JG_PROTO_MAX_MSG)
		return 0;
	/* parts are byte strings: split on the raw input, not at the first NUL */
	text = malloc(size + 1);
	if (!text)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	n = 1;
	parts[0] = text;
	{
		char *p = text, *end = text + size;

		while (n < FZ_MAX_PARTS) {
			char *sep = memmem(p, (size_t)(end - p), FZ_SEP, strlen(FZ_SEP));

			if (!sep)
				break;
			*sep = '\0';
			p = sep + strlen(FZ_SEP);
			parts[n++] = p;
		}
		state_begin();
		for (size_t i = 0; i < n; i++) {
			char *pend = i + 1 < n ? parts[i + 1] - strlen(FZ_SEP) : end;
			size_t len = (size_t)(pend - parts[i]);

			if (len)
				one_connection(parts[i] + 1, len - 1, (uint8_t)parts[i][0]);
		}
		state_end();
	}
	free(text);
	return 0;
}
