#!/bin/sh
# Revocation reaches open descriptors: a descriptor opened under a grant stops reading,
# writing and mapping the file when the grant is revoked, or when it expires with no
# daemon running. mmap needs the grant (read; write for a shared writable mapping).
# The re-check (file_permission) is attached only while a grant, a standing rule or a
# descriptor opened under one exists, and never detached while such a descriptor lives.
# Also prints what file_permission costs an unprotected read (diagnostics, no assertion).
. "${0%/*}/lib.sh"
. "${0%/*}/fixture.sh"

SECRET=/srv/prod/secrets/db.pw
ALL="read write mmap-r mmap-w mmap-wp"
PIN=/sys/fs/bpf/jitgate
make_tree

# wait_detached: the daemon detaches the re-check on one of its 250 ms ticks (given 15 s:
# a loaded host slows the emulator); says how long it took
wait_detached() {
	_t0=$(date +%s)
	_i=0
	while { [ -e $PIN/link_file_permission ] || [ -e $PIN/link_file_free ]; } &&
		[ $_i -lt 150 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	echo "detached after $_i polls, $(($(date +%s) - _t0)) s" >&2
	[ ! -e $PIN/link_file_permission ] && [ ! -e $PIN/link_file_free ] && return 0
	grep -e re-check "$DAEMON_LOG" >&2
	jitgate status >&2
	return 1
}

# perm_runs_during CMD...: how many times jg_file_permission ran while CMD ran (the kernel's
# own count, kernel.bpf_stats_enabled=1): the proof that the hook is attached or not
perm_runs() {
	jg-bench progstats | awk '$2 == "jg_file_permiss" { sub(/run_cnt=/, "", $3); print $3 }'
}
perm_runs_during() {
	_r0=$(perm_runs)
	"$@" >/dev/null
	echo $(($(perm_runs) - _r0))
}

# status_has NAME PATTERN [--json]: a line of `jitgate status` matches PATTERN
status_has() {
	jitgate status $3 >/tmp/status.out 2>&1
	expect_contains "$1" /tmp/status.out "$2"
}

# hold TAG USER PATH MODE OP...: jg-fd opens PATH as USER and waits; release TAG runs the ops.
hold() {
	_t=$1 _u=$2 _p=$3 _m=$4
	shift 4
	rm -f "/tmp/ready.$_t" "/tmp/trig.$_t" "/tmp/hold.$_t"
	as_user "$_u" jg-fd hold "$_p" "$_m" "/tmp/ready.$_t" "/tmp/trig.$_t" "$@" \
		>"/tmp/hold.$_t" 2>&1 &
	_pid=$!
	eval "HOLD_PID_$_t=$_pid"
	_i=0
	while [ ! -e "/tmp/ready.$_t" ] && [ $_i -lt 100 ]; do
		kill -0 $_pid 2>/dev/null || break
		sleep 0.1
		_i=$((_i + 1))
	done
}

# release TAG: let the holder run its ops (not in a $(...) subshell: it must be our child
# to be waited for); out TAG: its output on one line
release() {
	touch "/tmp/trig.$1"
	eval "wait \$HOLD_PID_$1"
}

out() {
	tr '\n' ' ' <"/tmp/hold.$1"
}

# --- without the gate, everything works on a held descriptor
hold base alice $SECRET rw $ALL
release base
expect_eq "no gate: read, write, mmap on a held descriptor" "$(out base)" \
	"open ok read ok write ok mmap-r ok mmap-w ok mmap-wp ok "
diag "no gate: $(jg-fd loop /srv/public/readme 200000) (unprotected file, 1-byte pread)"

# a service that had the secret open before the gate existed (fd 0 of a sleep)
sleep 600 <$SECRET &
EARLY_PID=$!
# jg-bench writes grants behind the daemon below: a tool the sealed gate must trust
echo '{"trusted_tools": ["/usr/local/bin/jg-bench"]}' >/tmp/trust.json
start_daemon "$TESTDIR/policy-gate.json" --config /tmp/trust.json || finish
echo 1 >/proc/sys/kernel/bpf_stats_enabled
audit_has "policy.load names the descriptor opened before the gate" '"type":"policy.load"' \
	'"preexisting_opens":{"count":1' "\"pid\":$EARLY_PID" '"comm":"sleep"' '"fd":0' \
	"\"path\":\"$SECRET\"" '"resource":"prod-secrets"'
expect_contains "and the daemon log says to restart it" "$DAEMON_LOG" \
	"pid $EARLY_PID (sleep) has $SECRET open since before the policy"
kill $EARLY_PID
ok "status: enforcing" jitgate status
ok "no grant yet: file_permission and file_free_security are not attached" \
	sh -c "test ! -e $PIN/link_file_permission && test ! -e $PIN/link_file_free && \
	test -e $PIN/prog_file_permission && test -e $PIN/prog_file_free"
status_has "status: the re-check is idle" 'recheck: *idle'
expect_eq "no grant: 1000 reads run jg_file_permission 0 times" \
	"$(perm_runs_during jg-fd loop /srv/public/readme 1000)" 0
diag "gate loaded, no grant: $(jg-fd loop /srv/public/readme 200000) (unprotected file, 1-byte pread)"

# --- no grant: not even the open
hold none alice $SECRET r read
release none
expect_eq "no grant: the open is denied" "$(out none)" "open EACCES "

# --- a grant written into the pinned map behind the daemon (the re-check not armed): no
# descriptor may exist that a revoke could not reach, so the gate refuses the open. With
# the daemon stopped: a running one removes such an entry within a second (grant.forged).
stop_daemon
ok "write grants for alice straight into the pinned map" jg-bench grant-raw $PIN 1000 600
hold raw alice $SECRET r read
release raw
expect_eq "grant behind the daemon, re-check idle: the open is refused" "$(out raw)" "open EACCES "
ok "remove them" jg-bench grant-raw $PIN 1000 delete
start_daemon "$TESTDIR/policy-gate.json" --config /tmp/trust.json || finish
status_has "status: the refusal is counted" 'granted opens refused with the re-check off'

# --- grants that open no file (connect, exec) leave the re-check detached
gid_c=$(jitgate grant --user alice --allow prod-db:connect --allow prod-tools:exec --for 10m \
	--reason "INC-16 c")
sleep 1
ok "connect and exec grants only: the re-check stays detached" test ! -e $PIN/link_file_permission
jitgate revoke "$gid_c" >/dev/null

# --- with a read+write grant everything works on the descriptor
gid=$(jitgate grant --user alice --allow prod-secrets:read,write --for 10m --reason "INC-16")
ok "grant: file_permission and file_free_security attached before it" \
	sh -c "test -e $PIN/link_file_permission && test -e $PIN/link_file_free"
status_has "status: the re-check is armed" 'recheck: *armed'
_n=$(perm_runs_during jg-fd loop /srv/public/readme 1000)
ok "grant live: 1000 reads of an unprotected file run jg_file_permission ($_n times)" \
	test "$_n" -ge 1000
diag "grant live (re-check armed): $(jg-fd loop /srv/public/readme 200000) (unprotected file, 1-byte pread)"
hold live alice $SECRET rw $ALL
release live
expect_eq "grant: read, write, mmap on a held descriptor" "$(out live)" \
	"open ok read ok write ok mmap-r ok mmap-w ok mmap-wp ok "
diag "grant live: $(as_user alice jg-fd loop $SECRET 20000) (protected file, 1-byte pread)"

# --- revoke while the descriptor is open: every later use fails
hold rev alice $SECRET rw $ALL
ok "revoke $gid while alice holds the file open" jitgate revoke "$gid"
sleep 1.5	# six daemon ticks: each would detach the re-check if nothing held it
ok "no grant left, but alice holds a file opened under one: the re-check stays" \
	test -e $PIN/link_file_permission
status_has "status --json: one held file" '"held_files": *1' --json
release rev
expect_eq "revoked: read, write and mmap on the open descriptor fail" "$(out rev)" \
	"open ok read EACCES write EACCES mmap-r EACCES mmap-w EACCES mmap-wp EACCES "
wait_detached 2>/tmp/detach.took
ok "the held file closed, no grant: the re-check is detached" \
	test ! -e $PIN/link_file_permission -a ! -e $PIN/link_file_free
diag "$(cat /tmp/detach.took)"
status_has "status: idle again" 'recheck: *idle'
expect_eq "detached: 1000 reads run jg_file_permission 0 times" \
	"$(perm_runs_during jg-fd loop /srv/public/readme 1000)" 0
diag "after detach: $(jg-fd loop /srv/public/readme 200000) (unprotected file, 1-byte pread)"
sleep 2
diag "2 s later: $(jg-fd loop /srv/public/readme 200000) (unprotected file, 1-byte pread)"

# --- revoke only the write grant: reading and private mappings go on
gid_r=$(jitgate grant --user alice --allow prod-secrets:read --for 10m --reason "INC-16 r")
gid_w=$(jitgate grant --user alice --allow prod-secrets:write --for 10m --reason "INC-16 w")
hold part alice $SECRET rw $ALL ftruncate
ok "revoke the write grant $gid_w" jitgate revoke "$gid_w"
release part
expect_eq "write revoked: read and read mappings stay, writes and shared writable maps fail" \
	"$(out part)" \
	"open ok read ok write EACCES mmap-r ok mmap-w EACCES mmap-wp ok ftruncate EACCES "

# --- the read grant alone: a read-only descriptor reads
hold ronly alice $SECRET r read mmap-r
release ronly
expect_eq "read grant: a read-only descriptor reads and maps" "$(out ronly)" "open ok read ok mmap-r ok "
jitgate revoke "$gid_r" >/dev/null

# --- unprotected files are not touched by any of this
hold plain alice /srv/public/readme r read mmap-r
release plain
expect_eq "unprotected file: read and mmap on a held descriptor" "$(out plain)" \
	"open ok read ok mmap-r ok "

# --- expiry with the daemon dead: the kernel alone ends access through the descriptor
gid_x=$(jitgate grant --user alice --allow prod-secrets:read,write --for 6s --reason "short")
hold exp alice $SECRET rw $ALL
settle
kill_daemon
ok "daemon killed: the gate stays pinned" test -e /sys/fs/bpf/jitgate/link_file_permission
hold exp2 alice $SECRET r read
release exp2
expect_eq "daemon dead, grant live: a new descriptor reads" "$(out exp2)" "open ok read ok "
sleep 7
release exp
expect_eq "daemon dead, grant expired: read, write, mmap on the open descriptor fail" \
	"$(out exp)" \
	"open ok read EACCES write EACCES mmap-r EACCES mmap-w EACCES mmap-wp EACCES "

start_daemon
settle
audit_has "audit: read on a revoked descriptor" '"type":"access.deny"' '"hook":"file_permission"' \
	'"perm":"read"' '"user":"alice"' '"resource":"prod-secrets"' '"errno":13' \
	"\"path\":\"$SECRET\""
audit_has "audit: write on a revoked descriptor" '"type":"access.deny"' \
	'"hook":"file_permission"' '"perm":"write"' '"user":"alice"'
audit_has "audit: mmap denied" '"type":"access.deny"' '"hook":"mmap"' '"perm":"read"' '"user":"alice"'
audit_has "audit: shared writable mmap denied for write" '"type":"access.deny"' '"hook":"mmap"' \
	'"perm":"write"'
audit_has "audit: grant.expire noticed after restart" '"type":"grant.expire"' \
	"\"grant_id\":\"$gid_x\"" '"noticed_after_restart":true'
ok "restarted, the expired grant gone, nothing held: the re-check is detached" wait_detached
ok "audit: seq is gap-free" sh -c "grep -o '\"seq\":[0-9]*' $AUDIT | cut -d: -f2 | awk 'NR!=\$1{exit 1}'"
finish
