// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* jitgated: owns the kernel gate. Loads (or adopts) the pinned BPF LSM programs, keeps the
 * kernel maps equal to the policy and the live grants, streams kernel events into the audit
 * log and answers the CLI on a Unix socket. Runs in the foreground, systemd style. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <bpf/libbpf.h>
#include <openssl/crypto.h>
#include <systemd/sd-daemon.h>
#include "daemon/daemon.h"

struct daemon d = { .listen_fd = -1, .sig_fd = -1, .timer_fd = -1, .ep_fd = -1, .lock_fd = -1,
	.suppressed_seen = UINT64_MAX };


/* ------------------------------------------------------------------ setup */

static int listen_on(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char dir[256], *slash;
	int fd, ret;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "socket path %s is too long", path);
		return -ENAMETOOLONG;
	}
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = 0;
		util__mkdir_p(dir, 0755);
	}
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	unlink(path);	/* we hold the lock: a socket file here is stale */
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) || chmod(path, 0666) ||
	    listen(fd, 64)) {
		ret = -errno;
		snprintf(err, errlen, "cannot listen on %s: %s", path, strerror(-ret));
		close(fd);
		return ret;
	}
	return fd;
}

static int take_lock(const char *socket_path, char *err, size_t errlen)
{
	char path[300], dir[256], *slash;
	int fd;

	snprintf(dir, sizeof(dir), "%s", socket_path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir)
		*slash = 0;
	else
		snprintf(dir, sizeof(dir), "/run/jitgate");
	util__mkdir_p(dir, 0755);
	snprintf(path, sizeof(path), "%s/" JG_LOCK_NAME, dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB)) {
		snprintf(err, errlen, "another jitgated is running (lock %s is held)", path);
		if (fd >= 0)
			close(fd);
		return -EBUSY;
	}
	snprintf(d.canary, sizeof(d.canary), "%s/" JG_CANARY_NAME, dir);
	return fd;
}

static int make_canary(char *err, size_t errlen)
{
	int fd = open(d.canary, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);

	if (fd < 0 && errno == EACCES)
		return 0;	/* exists and is protected already: an adopted gate */
	if (fd < 0) {
		snprintf(err, errlen, "cannot create the canary %s: %s", d.canary, strerror(errno));
		return -errno;
	}
	if (write(fd, "jitgate canary: the gate denies this file to everyone\n", 54) < 0)
		pr_debug("canary write: %s", strerror(errno));
	close(fd);
	chmod(d.canary, 0644);
	return 0;
}

static int ep_add(int fd, uint32_t tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = tag };

	return epoll_ctl(d.ep_fd, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: jitgated [--config FILE] [--policy FILE] [options]\n"
		"\n"
		"Loads the jitgate BPF LSM gate (or adopts the pinned one), applies the policy,\n"
		"streams audit events and serves the jitgate CLI. Runs in the foreground.\n"
		"\n"
		"  --config FILE      daemon config (default %s)\n"
		"  --policy FILE      policy (default %s)\n"
		"  --socket PATH      control socket (default %s)\n"
		"  --pin-dir DIR      BPF pins (default %s)\n"
		"  --audit-log FILE   audit log (default %s)\n"
		"  --state-dir DIR    daemon state (default %s)\n"
		"  --ledger FILE      SQLite ledger of requests and grants (default STATE_DIR/ledger.db)\n"
		"  --audit-stdout     also write audit lines to stdout\n"
		"  --check            validate the config, the policy, the sinks and BPF LSM,\n"
		"                     then exit (changes nothing; the unit's ExecStartPre=)\n"
		"  --json             with --check: one JSON object on stdout\n"
		"  -v, --verbose      debug output, libbpf messages included\n"
		"  -h, --help         this text\n"
		"\n"
		"Signals: HUP reloads the policy and reopens the audit log, USR1 only reopens the\n"
		"audit log, TERM and INT stop (the gate stays loaded: jitgate unload removes it).\n"
		"Exit status: 0 stopped (or --check passed), 1 failed, 2 usage, 69 this kernel\n"
		"cannot enforce, 78 the config, the policy or a sink is wrong.\n"
		"\n"
		"EXAMPLES\n"
		"  jitgated --policy /etc/jitgate/policy.json\n"
		"  jitgated --check --policy new.json\n"
		"  systemctl reload jitgated          # jitgate policy reload\n"
		"  systemctl kill -s HUP jitgated     # reload the policy\n",
		JG_CONFIG_DEFAULT, JG_POLICY_DEFAULT, JG_SOCKET_DEFAULT, JG_PIN_DIR_DEFAULT,
		JG_AUDIT_DEFAULT, JG_STATE_DIR_DEFAULT);
}

/* The command line, then defaults < config file < command line into d.cfg. -1 to go on,
 * else the exit status. */
static const char *config_path = JG_CONFIG_DEFAULT;

static int configure(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "policy", required_argument, NULL, 'p' },
		{ "socket", required_argument, NULL, 's' },
		{ "pin-dir", required_argument, NULL, 'P' },
		{ "audit-log", required_argument, NULL, 'a' },
		{ "state-dir", required_argument, NULL, 'S' },
		{ "ledger", required_argument, NULL, 'L' },
		{ "audit-stdout", no_argument, NULL, 'o' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "check", no_argument, NULL, 'C' },
		{ "json", no_argument, NULL, 'J' },
		{},
	};
	const char *config_file = JG_CONFIG_DEFAULT, *policy = NULL, *sock = NULL, *pins = NULL,
		   *audit_log = NULL, *state_dir = NULL, *ledger = NULL;
	bool config_given = false, audit_stdout = false, check = false, json = false;
	char err[1024];
	int opt, ret;

	while ((opt = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': config_file = optarg; config_given = true; break;
		case 'p': policy = optarg; break;
		case 's': sock = optarg; break;
		case 'P': pins = optarg; break;
		case 'a': audit_log = optarg; break;
		case 'S': state_dir = optarg; break;
		case 'L': ledger = optarg; break;
		case 'o': audit_stdout = true; break;
		case 'v': log__init("jitgated", JG_LOG_DEBUG); break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("jitgated %s\n", JG_VERSION); return 0;
		case 'C': check = true; break;
		case 'J': json = true; break;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		pr_warn("unexpected argument \"%s\"; see 'jitgated --help'", argv[optind]);
		return 2;
	}
	/* defaults < config file < command line */
	snprintf(d.cfg.policy, sizeof(d.cfg.policy), "%s", JG_POLICY_DEFAULT);
	snprintf(d.cfg.socket, sizeof(d.cfg.socket), "%s", JG_SOCKET_DEFAULT);
	snprintf(d.cfg.pin_dir, sizeof(d.cfg.pin_dir), "%s", JG_PIN_DIR_DEFAULT);
	snprintf(d.cfg.audit_log, sizeof(d.cfg.audit_log), "%s", JG_AUDIT_DEFAULT);
	snprintf(d.cfg.state_dir, sizeof(d.cfg.state_dir), "%s", JG_STATE_DIR_DEFAULT);
	gethostname(d.cfg.host, sizeof(d.cfg.host) - 1);
	d.cfg.ringbuf_bytes = JG_RINGBUF_DEFAULT;
	d.cfg.prio_ringbuf_bytes = JG_PRIO_RINGBUF_DEFAULT;
	d.cfg.deny_rate = JG_DENY_RATE_DEFAULT;
	d.cfg.deny_burst = JG_DENY_BURST_DEFAULT;
	d.cfg.max_grants = JG_MAX_GRANTS;
	d.cfg.audit_max_bytes = JG_AUDIT_MAX_BYTES_DEFAULT;
	d.cfg.audit_keep = JG_AUDIT_KEEP_DEFAULT;
	d.cfg.stream_allow_events = true;
	d.cfg.max_clients = MAX_CLIENTS_DEFAULT;
	d.cfg.max_clients_per_uid = MAX_CLIENTS_PER_UID_DEFAULT;
	d.cfg.client_read_timeout_ms = CLIENT_READ_TIMEOUT_MS;
	d.cfg.client_write_timeout_ms = CLIENT_WRITE_TIMEOUT_MS;
	d.cfg.client_rate = CLIENT_RATE_DEFAULT;
	d.cfg.client_burst = CLIENT_BURST_DEFAULT;
	d.cfg.audit_backlog_bytes = JG_AUDIT_BACKLOG_DEFAULT;
	d.cfg.mfa = (struct jg_mfa_policy){
		.deny = JG_MFA_DENY_DEFAULT,
		.fail_interval_ns = JG_MFA_FAIL_INTERVAL_DEFAULT * 1000000000LL,
		.unlock_time_ns = JG_MFA_UNLOCK_TIME_DEFAULT * 1000000000LL };
	d.cfg.req = (struct jg_req_limits){
		.max_pending = JG_REQ_MAX_PENDING_DEFAULT, .rate = JG_REQ_RATE_DEFAULT,
		.rate_window_ns = JG_REQ_RATE_WINDOW_DEFAULT * 1000000000LL,
		.reason_max = JG_REQ_REASON_MAX_DEFAULT };
	ret = config_load(&d.cfg, config_file, config_given, err, sizeof(err));
	if (ret) {
		if (json && check)
			log__json_errors(true);
		pr_warn("%s", err);
		return JG_EXIT_CONFIG;
	}
#define OVERRIDE(field, val) if (val) snprintf(d.cfg.field, sizeof(d.cfg.field), "%s", val)
	OVERRIDE(policy, policy);
	OVERRIDE(socket, sock);
	OVERRIDE(pin_dir, pins);
	OVERRIDE(audit_log, audit_log);
	OVERRIDE(state_dir, state_dir);
	OVERRIDE(ledger, ledger);
#undef OVERRIDE
	d.cfg.audit_stdout |= audit_stdout;
	config_path = config_file;
	d.config_path = config_file;
	if (check)
		return daemon_check(json);
	return -1;
}

/* Root, the lock, the state directory, the ledger, the audit log and its sinks, the canary.
 * 0 or 1 (said why). */
static int start_state(void)
{
	char err[1024];
	int ret;

	if (geteuid() != 0) {
		pr_warn("jitgated must run as root (it loads BPF programs)");
		return 1;
	}
	if (util__loginuid(getpid()) != (uint32_t)-1) {
		/* a human's process: the sealed gate would refuse it its own maps */
		pr_warn("jitgated has login uid %u (it was started from a login session); the "
			"sealed gate trusts only a jitgated of the host's automation: start it "
			"from the service manager (systemctl start jitgated, systemd-run)",
			util__loginuid(getpid()));
		return 1;
	}
	ret = gate__preflight(err, sizeof(err));
	if (ret) {
		pr_warn("refusing to start: %s", err);
		return JG_EXIT_NO_ENFORCE;
	}
	d.lock_fd = take_lock(d.cfg.socket, err, sizeof(err));
	if (d.lock_fd < 0) {
		pr_warn("%s", err);
		return 1;
	}
	ret = util__mkdir_p(d.cfg.state_dir, 0700);
	if (ret) {
		pr_warn("cannot create %s: %s", d.cfg.state_dir, strerror(-ret));
		return 1;
	}
	if (!*d.cfg.ledger)
		snprintf(d.cfg.ledger, sizeof(d.cfg.ledger), "%s/ledger.db", d.cfg.state_dir);
	grants__init(&d.grants);
	d.notify.on_error = notify_failed;
	grant_set_hook(request_on_grant);
	ret = ledger__open(&d.ledger, d.cfg.ledger, err, sizeof(err));
	if (!ret)
		ret = ledger_load(err, sizeof(err));
	if (!ret) {
		char head[300];

		snprintf(head, sizeof(head), "%s/" JG_AUDIT_HEAD_NAME, d.cfg.state_dir);
		ret = audit__open_ex(&d.audit, &(struct jg_audit_cfg){
			.path = d.cfg.audit_log, .to_stdout = d.cfg.audit_stdout,
			.host = d.cfg.host, .head = head, .max_bytes = d.cfg.audit_max_bytes,
			.keep = d.cfg.audit_keep,
			.backlog_max = (size_t)d.cfg.audit_backlog_bytes }, err, sizeof(err));
	}
	if (!ret) {
		/* SIEM sinks (docs/siem.md): every audit line also goes to them */
		char spool[300], serr[768];

		snprintf(spool, sizeof(spool), "%s/spool", d.cfg.state_dir);
		ret = sink__config(d.cfg.sinks, spool, serr, sizeof(serr));
		if (ret) {
			pr_warn("%s: %s", config_path, serr);
			return JG_EXIT_CONFIG;
		}
		audit__set_sinks(&d.audit, &(struct jg_audit_sinks){
					 .put = sink__put, .flush = sink__flush });
	}
	if (!ret)
		ret = make_canary(err, sizeof(err));
	if (ret) {
		pr_warn("%s", err);
		return 1;
	}
	return 0;
}

/* Load or adopt the gate, open its rings, apply the policy and prove it enforces; then the
 * ledger's grants and requests are brought up to now. 0 or 1 (said why). */
static int start_gate(void)
{
	char err[1024];
	int ret;

	{
		struct jg_gate_opts o = {
			.ringbuf_bytes = d.cfg.ringbuf_bytes,
			.prio_ringbuf_bytes = d.cfg.prio_ringbuf_bytes,
			.max_grants = d.cfg.max_grants,
			.stream_allow_events = d.cfg.stream_allow_events,
		};

		ret = gate__open(&d.gate, d.cfg.pin_dir, &o, err, sizeof(err));
	}
	if (ret) {
		pr_warn("refusing to start: %s", err);
		return 1;
	}
	if (!d.gate->adopted) {
		d.lost_reported = 0;	/* a new stats map counts from zero */
		d.prio_lost_reported = 0;
	}
	ret = gate__set_deny_budget(d.gate, d.cfg.deny_rate, d.cfg.deny_burst);
	if (ret) {
		pr_warn("refusing to start: cannot set the denial budget in the config map: %s",
			strerror(-ret));
		if (!d.gate->adopted)
			gate__unpin(d.cfg.pin_dir, NULL, 0);
		return 1;
	}
	ret = gate__exempt_self(d.gate);
	if (ret) {
		pr_warn("refusing to start: cannot exempt jitgated from its own gate: %s",
			strerror(-ret));
		return 1;
	}
	/* The priority ring first: each drain empties it before the other one. */
	d.rb = ring_buffer__new(gate__prio_events_fd(d.gate), on_event, NULL, NULL);
	if (!d.rb || ring_buffer__add(d.rb, gate__events_fd(d.gate), on_event, NULL)) {
		pr_warn("cannot open the event ring buffers: %s", strerror(errno));
		return 1;
	}
	drain_events();	/* what the kernel kept while no daemon ran comes first */
	check_suppressed();
	d.started_ns = util__realtime_ns();
	{
		json_t *ev = audit__new("daemon.start");

		json_object_set_new(ev, "version", json_string(JG_VERSION));
		json_object_set_new(ev, "pid", json_integer(getpid()));
		json_object_set_new(ev, "adopted", json_boolean(d.gate->adopted));
		json_object_set_new(ev, "pin_dir", json_string(d.cfg.pin_dir));
		audit__emit(&d.audit, ev, 0);
	}
	replay_outbox();	/* events a crash kept from going out */
	ret = policy_apply(d.cfg.policy, err, sizeof(err));
	if (ret) {
		pr_warn("refusing to start: %s", err);
		if (!d.gate->adopted)
			gate__unpin(d.cfg.pin_dir, NULL, 0);
		return JG_EXIT_CONFIG;
	}
	/* Never claim what is not true: prove a denial before saying ready. */
	ret = gate__canary(d.canary, err, sizeof(err));
	if (ret) {
		pr_warn("refusing to start: %s", err);
		if (!d.gate->adopted)
			gate__unpin(d.cfg.pin_dir, NULL, 0);
		return JG_EXIT_NO_ENFORCE;
	}
	reconcile();
	sessions__sweep(true);	/* sessions whose grant ended while no daemon ran */
	expire_requests();
	seal_refresh();		/* the policy's devices are known now */

	check_lost();
	return 0;
}

/* The socket, signals, the tick and the event loop's epoll; then say ready. 0 or 1. */
static int start_loop(void)
{
	char err[1024];
	sigset_t mask;

	d.listen_fd = listen_on(d.cfg.socket, err, sizeof(err));
	if (d.listen_fd >= 0 && clients_init(err, sizeof(err))) {
		close(d.listen_fd);
		d.listen_fd = -1;
	}
	if (d.listen_fd < 0) {
		pr_warn("%s", err);
		return 1;
	}
	sigemptyset(&mask);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGUSR1);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	d.sig_fd = signalfd(-1, &mask, SFD_CLOEXEC);
	d.timer_fd = timers_open();
	d.ep_fd = epoll_create1(EPOLL_CLOEXEC);
	if (d.sig_fd < 0 || d.timer_fd < 0 || d.ep_fd < 0 || ep_add(d.listen_fd, TAG_LISTEN) ||
	    ep_add(ring_buffer__epoll_fd(d.rb), TAG_RB) || ep_add(d.sig_fd, TAG_SIG) ||
	    ep_add(d.timer_fd, TAG_TIMER)) {
		pr_warn("cannot set up the event loop: %s", strerror(errno));
		return 1;
	}
	if (metrics_open(err, sizeof(err))) {
		pr_warn("%s", err);
		return 1;
	}
	if (fleet_start(err, sizeof(err))) {
		pr_warn("%s", err);
		return JG_EXIT_CONFIG;
	}
	pr_info("ready: %s gate, policy %s (%zu resources), %zu live grants, enforcing (canary "
		"denied)", d.gate->adopted ? "adopted the pinned" : "loaded a new",
		d.cfg.policy, d.policy->nresources, d.grants.n);
	/* READY=1 only now: the canary was denied (start_gate) */
	sd_notifyf(0, "READY=1\nSTATUS=enforcing: policy %s, %zu live grants", d.cfg.policy,
		   d.grants.n);
	d.crash_after_commit = getenv("JITGATED_FAILPOINT") &&
			       !strcmp(getenv("JITGATED_FAILPOINT"), "crash-after-commit");
	return 0;
}

/* SIGHUP: reopen the audit log and reload the policy; SIGUSR1: reopen the audit log only
 * (log rotation by an outside tool); SIGTERM, SIGINT: stop. */
static void on_signal(void)
{
	struct signalfd_siginfo si;
	char err[1024];
	int ret;

	if (read(d.sig_fd, &si, sizeof(si)) != sizeof(si))
		return;
	if (si.ssi_signo == SIGHUP || si.ssi_signo == SIGUSR1) {
		/* logrotate's postrotate: a new file, the chain goes on */
		ret = audit__reopen(&d.audit);
		if (ret)
			pr_warn("cannot reopen the audit log %s: %s",
				d.cfg.audit_log, strerror(-ret));
		else if (si.ssi_signo == SIGUSR1)
			pr_info("audit log %s reopened", d.cfg.audit_log);
		if (si.ssi_signo == SIGUSR1)
			return;
		if (policy_apply(d.cfg.policy, err, sizeof(err)))
			pr_warn("reload refused: %s; the running policy stays",
				err);
		else
			pr_info("policy %s reloaded", d.cfg.policy);
	} else {
		d.stop = true;
	}
}

static void loop(void)
{
	while (!d.stop) {
		struct epoll_event evs[8];
		int n = epoll_wait(d.ep_fd, evs, 8, -1);
		bool accept_due = false;

		if (n < 0 && errno == EINTR)
			continue;
		for (int i = 0; i < n; i++) {
			switch (evs[i].data.u32) {
			case TAG_LISTEN:
				accept_due = true;	/* after this round: no slot reused in it */
				break;
			case TAG_RB:
				drain_events();
				break;
			case TAG_TIMER:
				timers_tick();
				break;
			case TAG_SIG:
				on_signal();
				break;
			case TAG_METRICS_UNIX:
			case TAG_METRICS_TCP:
				metrics_accept(evs[i].data.u32);
				break;
			case TAG_FLEET:
				fleet_event();
				break;
			default:
				if (evs[i].data.u32 >= TAG_METRICS_CLIENT) {
					metrics_event(evs[i].data.u32 - TAG_METRICS_CLIENT,
						      evs[i].events);
					break;
				}
				client_event(evs[i].data.u32 - TAG_CLIENT, evs[i].events);
				break;
			}
		}
		if (accept_due)
			clients_accept();
	}
}

static void stop(void)
{
	sd_notify(0, "STOPPING=1\nSTATUS=stopping; the gate stays loaded");
	clients_close();
	metrics_close();
	drain_events();
	check_lost();
	check_suppressed();
	wf__refusals_flush(&d.refusals, util__realtime_ns(), true, refusal_summary, NULL);
	{
		json_t *ev = audit__new("daemon.stop");

		json_object_set_new(ev, "pid", json_integer(getpid()));
		json_object_set_new(ev, "gate", json_string(gate__is_pinned(d.cfg.pin_dir) ?
							    "enforcing (pinned)" : "unloaded"));
		audit__emit(&d.audit, ev, 0);
	}
	unlink(d.cfg.socket);
	seal_stop();
	fleet_stop();
}

static int run(int argc, char **argv)
{
	int ret = configure(argc, argv);

	if (ret >= 0)
		return ret;
	if ((ret = start_state()) || (ret = start_gate()) || (ret = start_loop()))
		return ret;
	loop();
	stop();
	return 0;
}

int main(int argc, char **argv)
{
	int ret;

	log__init("jitgated", JG_LOG_INFO);
	log__hook_libbpf();
	ret = run(argc, argv);
	ring_buffer__free(d.rb);
	gate__close(d.gate);
	audit__close(&d.audit);
	sink__tick();	/* one last non-blocking try; the rest stays spooled */
	sink__close();
	json_decref(d.cfg.sinks);
	json_decref(d.cfg.fleet);
	policy__free(d.policy);
	grants__free(&d.grants);
	ledger__close(&d.ledger);
	objpaths_free(d.objpaths, d.nobjpaths);
	watchpaths_free();
	for (int i = 0; i < JG_MAX_RESOURCES; i++)
		free(d.res_names[i]);
	return ret;
}
