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
