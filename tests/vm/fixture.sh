# shellcheck shell=sh
# Fixtures for gate tests inside the VM: the protected tree, and starting/stopping jitgated.
#   . "${0%/*}/lib.sh"; . "${0%/*}/fixture.sh"

AUDIT=/var/log/jitgate/audit.jsonl
DAEMON_LOG=/tmp/jitgated.log
TESTDIR=/opt/jitgate/tests/vm

# Objects the test policy protects; world-readable and -writable so that DAC allows
# everything and any denial is the gate's.
make_tree() {
	mkdir -p /srv/prod/secrets /srv/prod/bin /srv/staging /srv/public
	echo "db-password" >/srv/prod/secrets/db.pw
	echo "public" >/srv/public/readme
	echo "staged" >/srv/staging/notes
	chmod 0777 /srv/prod/secrets /srv/staging /srv
	chmod 0666 /srv/prod/secrets/db.pw /srv/public/readme /srv/staging/notes
	printf '#!/bin/sh\necho prodctl-ran\n' >/srv/prod/bin/prodctl
	cp /bin/busybox /srv/prod/bin/prodctl-bin 2>/dev/null || true
	chmod 0755 /srv/prod/bin/prodctl
}

# start_daemon [POLICY] [ARGS...]: start jitgated in the background, wait for "ready".
start_daemon() {
	_policy=${1:-$TESTDIR/policy-gate.json}
	[ $# -gt 0 ] && shift
	: >"$DAEMON_LOG"
	jitgated --policy "$_policy" "$@" >>"$DAEMON_LOG" 2>&1 &
	DAEMON_PID=$!
	_i=0
	while [ $_i -lt 1800 ]; do	# 3 min: BPF verification under a loaded emulator is slow
		grep -q "ready" "$DAEMON_LOG" 2>/dev/null && return 0
		kill -0 "$DAEMON_PID" 2>/dev/null || break
		sleep 0.1
		_i=$((_i + 1))
	done
	_vm_not_ok "jitgated becomes ready" "it did not" "$DAEMON_LOG"
	return 1
}

# Kill hard (no cleanup of any kind), as a crash would.
kill_daemon() {
	kill -9 "$DAEMON_PID" 2>/dev/null
	wait "$DAEMON_PID" 2>/dev/null
	: >"$DAEMON_LOG"
}

stop_daemon() {
	kill -TERM "$DAEMON_PID" 2>/dev/null
	wait "$DAEMON_PID" 2>/dev/null
	: >"$DAEMON_LOG"
}

# Let the daemon drain the ring buffer (it polls 4 times a second).
settle() {
	sleep 0.6
}

# wait_audit SECONDS PATTERN...: wait until a single audit line matches every pattern (for
# what the daemon does on its own tick, which a loaded emulator may delay); 1 if it never does.
wait_audit() {
	_limit=$(($1 * 10))
	shift
	_n=0
	while [ $_n -lt $_limit ]; do
		_lines=$(cat "$AUDIT" 2>/dev/null)
		for _p in "$@"; do
			_lines=$(printf '%s\n' "$_lines" | grep -F -- "$_p")
		done
		[ -n "$_lines" ] && return 0
		sleep 0.1
		_n=$((_n + 1))
	done
	return 1
}

# audit_has NAME PATTERN...: a single audit line matches every (grep -F) pattern.
audit_has() {
	_name=$1
	shift
	_lines=$(cat "$AUDIT")
	for _p in "$@"; do
		_lines=$(printf '%s\n' "$_lines" | grep -F -- "$_p")
	done
	if [ -n "$_lines" ]; then
		_vm_ok "$_name"
	else
		_vm_not_ok "$_name" "no audit line with: $*"
		tail -n 5 "$AUDIT" | sed 's/^/#   /'
	fi
}

# probe USER ARGS...: jg-probe as USER (root: as is).
probe() {
	_u=$1
	shift
	if [ "$_u" = root ]; then
		jg-probe "$@"
	else
		as_user "$_u" jg-probe "$@"
	fi
}

# st SECTION KEY: status --json's SECTION.KEY (a number, true/false, or a string's text)
st() {
	jitgate status --json | tr -d '\n' | sed -e 's/": */":/g' |
		sed -n "s/.*\"$1\":{[^}]*\"$2\":\"\{0,1\}\([^,\"}]*\).*/\1/p"
}

# wait_st SECTION KEY OP VALUE: until `test $(st SECTION KEY) OP VALUE` (60 s at most)
wait_st() {
	_i=0
	until test "$(st "$1" "$2")" "$3" "$4" 2>/dev/null; do
		_i=$((_i + 1))
		[ $_i -ge 600 ] && return 1
		sleep 0.1
	done
}

# ---- the audit log and the ledger on a disk of the test's own

# start_on_disk DIR BACKLOG: jitgated with the audit log $AUDIT and its state in DIR/state,
# holding up to BACKLOG bytes of audit records while the log cannot be written
start_on_disk() {
	cat >/tmp/jitgated.json <<EOF
{ "audit_log": "$AUDIT", "state_dir": "$1/state", "audit_backlog_bytes": $2 }
EOF
	start_daemon "$TESTDIR/policy-gate.json" --config /tmp/jitgated.json
}

# read_under_grant NAME REASON: alice reads the secret under a grant (check NAME), then the
# grant is revoked
read_under_grant() {
	_g=$(jitgate grant --user alice --allow prod-secrets:read --for 10m --reason "$2")
	expect_eq "$1 ($_g)" "$(probe alice open /srv/prod/secrets/db.pw r)" ok
	jitgate revoke "$_g" >/dev/null
	settle
}

# lines FILE: how many lines FILE has (0 when there is none)
lines() {
	if [ -f "$1" ]; then wc -l <"$1" | tr -d ' '; else echo 0; fi
}

# wait_lines FILE N: until FILE has N lines (30 s at most)
wait_lines() {
	_i=0
	while [ $_i -lt 300 ] && [ "$(lines "$1")" -lt "$2" ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
}

# wait_for FILE PATTERN: up to 30 s for a line of FILE matching PATTERN
wait_for() {
	_i=0
	while [ $_i -lt 300 ]; do
		grep -q -e "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
		_i=$((_i + 1))
	done
	return 1
}

# ---- the root containment: alice's root shell through a setuid helper

# elevate_setup [EXCEPT]: $S/jg-suid (setuid root) and $POLICY with root (elevate, EXCEPT the
# one setuid program it exempts) and prod-secrets
elevate_setup() {
	mkdir -p "$S" /etc/jitgate
	cp /usr/local/bin/jg-suid "$S/jg-suid"
	chown root:root "$S/jg-suid"
	chmod 4755 "$S/jg-suid"
	if [ -n "${1:-}" ]; then
		_elevate="{ \"except\": [\"$1\"] }"
	else
		_elevate="{}"
	fi
	cat >"$POLICY" <<EOF
{
  "version": 1,
  "resources": {
    "root": { "elevate": $_elevate },
    "prod-secrets": { "files": ["/srv/prod/secrets"] }
  }
}
EOF
	chmod 0644 "$POLICY"
}

# elev CMD...: CMD in alice's root shell (login uid 1000, root through the setuid helper)
elev() {
	with_loginuid 1000 as_user alice "$S/jg-suid" root "$@"
}

# plain CMD...: CMD as alice (login uid 1000)
plain() {
	with_loginuid 1000 as_user alice "$@"
}

# tamper NAME PATTERN...: a tamper.deny record by alice matching every pattern
tamper() {
	_n=$1
	shift
	settle
	audit_has "$_n" '"type":"tamper.deny"' '"user":"alice"' '"errno":1' "$@"
}

# ---- rsyslogd as a SIEM collector (RS: its folder)

# need_rsyslog: rsyslogd is in the VM, or one failure and the end of the file
need_rsyslog() {
	command -v rsyslogd >/dev/null && return 0
	_vm_not_ok "rsyslogd is in the VM" "it is not (install rsyslog on the host: scripts/deps.sh)"
	finish
}

# rsyslog_conf: $RS/rsyslog.conf with the TCP and UDP input modules, then stdin (the inputs
# and rule sets)
rsyslog_conf() {
	mkdir -p "$RS"
	{
		printf 'global(workDirectory="%s" maxMessageSize="64k")\n' "$RS"
		printf 'module(load="imtcp")\nmodule(load="imudp")\n'
		cat
	} >"$RS/rsyslog.conf"
}

# start_rsyslog PORT: rsyslogd in the background (pid RS_PID) until it listens on TCP PORT
# (10 s at most, else a failure and 1)
start_rsyslog() {
	rsyslogd -n -f "$RS/rsyslog.conf" -i "$RS/pid" >>"$RS/out" 2>&1 &
	RS_PID=$!
	_i=0
	while [ $_i -lt 100 ]; do
		netstat -ltn 2>/dev/null | grep -q "127.0.0.1:$1" && return 0
		sleep 0.1
		_i=$((_i + 1))
	done
	_vm_not_ok "rsyslogd listens" "it does not" "$RS/out"
	return 1
}

stop_rsyslog() {
	kill -TERM "$RS_PID"
	wait "$RS_PID" 2>/dev/null
}
