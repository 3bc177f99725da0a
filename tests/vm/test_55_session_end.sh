#!/bin/sh
# Elevated sessions end with their grant: every process that became root under an elevate
# grant (foreground, background, setsid'd, their children) is killed at expiry and at
# revoke, by jitgated at once and, with jitgated dead, by the kernel at the process's next
# checked operation; the holder's own unprivileged processes live on. session.end lists
# the processes ended; session.warn reaches the notify hooks before the end; an elevated
# session cannot rewrite its login uid.
. "${0%/*}/lib.sh"
. "${0%/*}/fixture.sh"

S=/opt/suid
SESSIONS=/sys/fs/bpf/jitgate/link_sessions
mkdir -p $S
cp /usr/local/bin/jg-suid $S/jg-suid
chown root:root $S/jg-suid
chmod 4755 $S/jg-suid
chmod 1777 /tmp

cat >/tmp/notify.sh <<'EOF'
#!/bin/sh
cat >>/tmp/notify.log
echo >>/tmp/notify.log
EOF
chmod 0755 /tmp/notify.sh
cat >/tmp/policy-session.json <<EOF
{
  "version": 1,
  "resources": {
    "root": { "description": "becoming root", "elevate": { "warn": "1h" } }
  },
  "notify": [ { "on": ["session.warn"], "command": ["/tmp/notify.sh"] } ]
}
EOF

# root_job NAME SCRIPT: alice (login uid 1000) becomes root through the setuid helper and
# runs SCRIPT in a root sh in the background; SCRIPT writes the pid to watch to
# /tmp/NAME.pid. Waits until it is there.
root_job() {
	rm -f /tmp/$1.pid
	with_loginuid 1000 as_user alice $S/jg-suid root sh -c "$2" >/dev/null 2>&1 &
	for _ in $(seq 100); do
		[ -s /tmp/$1.pid ] && break
		sleep 0.1
	done
}

# alive NAME: the process of /tmp/NAME.pid exists and is not a zombie.
alive() {
	_p=$(cat /tmp/$1.pid 2>/dev/null)
	[ -n "$_p" ] && [ -d /proc/$_p ] && ! grep -q '^State:.*Z' /proc/$_p/status 2>/dev/null
}

all_alive() {
	for _n in "$@"; do alive $_n || return 1; done
}

# gone_within SECONDS NAME...: every named process is gone within SECONDS.
gone_within() {
	_t=$(($1 * 10))
	shift
	while [ $_t -gt 0 ]; do
		_any=
		for _n in "$@"; do alive $_n && _any=1; done
		[ -z "$_any" ] && return 0
		sleep 0.1
		_t=$((_t - 1))
	done
	return 1
}

start_jobs() {
	root_job fg 'echo $$ >/tmp/fg.pid; exec sleep 1000'
	root_job sid 'exec setsid sh -c "echo \$\$ >/tmp/sid.pid; exec sleep 1000"'
	root_job bg 'sleep 1000 & echo $! >/tmp/bg.pid; wait'
	root_job loop 'echo $$ >/tmp/loop.pid; while :; do cat /etc/hostname >/dev/null; sleep 0.3; done'
}

in_sessions() {
	awk '{print $1}' $SESSIONS | grep -qx "$(cat /tmp/$1.pid)"
}

# --- without the gate, a root process alice started outlives everything
root_job nogate 'echo $$ >/tmp/nogate.pid; exec sleep 1000'
expect_eq "no gate: alice's setuid helper gives her a root process" \
	"$(awk '/^Uid:/{print $2}' /proc/$(cat /tmp/nogate.pid)/status)" 0
sleep 2
ok "no gate: it is still running" alive nogate
kill -9 "$(cat /tmp/nogate.pid)"

start_daemon /tmp/policy-session.json || finish

# --- expiry: jitgated ends the session at once
gid=$(jitgate grant --user alice --allow root:elevate --for 30s --reason "INC-9 debug")
# a root process on a terminal of its own, as a login's would be: the warning goes there
jg-pty 12 sh -c "echo 1000 >/proc/self/loginuid && exec /usr/bin/setpriv --reuid=1000 \
	--regid=1000 --init-groups -- $S/jg-suid root sleep 1000" >/tmp/pty.out 2>&1 &
ptyjob=$!
for _ in $(seq 100); do [ -s $SESSIONS ] && break; sleep 0.1; done
start_jobs
as_user alice sh -c 'echo $$ >/tmp/plain.pid; exec sleep 1000' &
for _ in $(seq 50); do [ -s /tmp/plain.pid ] && break; sleep 0.1; done
for j in fg sid bg loop; do
	ok "grant live: the $j root process runs" alive $j
	ok "grant live: the $j root process is in the kernel's session list" in_sessions $j
done
fails "alice's unprivileged process is in no session" in_sessions plain
expect_eq "the session names alice (uid 1000) and the grant" \
	"$(awk -v p="$(cat /tmp/fg.pid)" '$1==p {print $3, "g-" $4}' $SESSIONS)" "1000 $gid"
ok "status shows the elevated processes in one session" \
	sh -c "jitgate status | grep -q '^elevated: *[0-9]* process.* in 1 session$'"

# the warning: the policy's "warn" (1h) is longer than the grant, so it comes at once
ok "session.warn audited, with the terminal it went to" wait_audit 10 '"type":"session.warn"' \
	"\"grant_id\":\"$gid\"" '"user":"alice"' '"ttys":["/dev/pts/'
wait $ptyjob
expect_contains "the warning reached the session's terminal" /tmp/pty.out \
	"jitgate: the elevated session of alice under grant $gid ends in"
ok "session.warn reached the notify hook" sh -c \
	'for i in $(seq 50); do grep -q "session.warn" /tmp/notify.log 2>/dev/null && exit 0; sleep 0.1; done; exit 1'

# the elevated session cannot change its login uid (the sealed gate keys on it)
out=$(with_loginuid 1000 as_user alice $S/jg-suid root sh -c 'echo 4294967295 >/proc/self/loginuid && echo changed' 2>&1)
case $out in
*changed*) _vm_not_ok "an elevated session cannot rewrite its login uid" "got '$out'" ;;
*) _vm_ok "an elevated session cannot rewrite its login uid" ;;
esac
ok "plain root (no session) still can set an unset login uid" \
	sh -c 'echo 4242 >/proc/self/loginuid && [ "$(cat /proc/self/loginuid)" = 4242 ]'

ok "at expiry every root process of the session is gone within 45 s" gone_within 45 fg sid bg loop
ok "alice's unprivileged process lives on" alive plain
settle
audit_has "grant.expire audited" '"type":"grant.expire"' "\"grant_id\":\"$gid\""
audit_has "session.end lists the processes ended" '"type":"session.end"' \
	"\"grant_id\":\"$gid\"" '"end_reason":"expire"' "\"pid\":$(cat /tmp/fg.pid)," \
	"\"pid\":$(cat /tmp/sid.pid)," '"exe":"/bin/busybox"' '"user":"alice"'
audit_has "tamper.deny: the login uid rewrite" '"type":"tamper.deny"' \
	'"reason":"an elevated session cannot change its login uid"' '"user":"alice"'

# --- revoke ends it at once
gid2=$(jitgate grant --user alice --allow root:elevate --for 10m --reason "INC-10")
start_jobs
ok "second grant: the root processes run" all_alive fg sid bg loop
ok "revoke $gid2" jitgate revoke "$gid2"
ok "at revoke every root process is gone within 5 s" gone_within 5 fg sid bg loop
ok "alice's unprivileged process still lives" alive plain
settle
audit_has "session.end at revoke" '"type":"session.end"' "\"grant_id\":\"$gid2\"" \
	'"end_reason":"revoke"' "\"pid\":$(cat /tmp/fg.pid),"

# --- expiry with jitgated dead: the kernel ends what acts; the restart sweeps the rest
gid3=$(jitgate grant --user alice --allow root:elevate --for 15s --reason "INC-11")
root_job loop 'echo $$ >/tmp/loop.pid; while :; do cat /etc/hostname >/dev/null; sleep 0.3; done'
root_job idle 'echo $$ >/tmp/idle.pid; exec sleep 1000'
ok "third grant: a busy and an idle root process run" all_alive loop idle
settle
kill_daemon
ok "jitgated dead: the busy root process is killed by the kernel after expiry" gone_within 40 loop
diag "the idle root process made no checked operation; it is ended when jitgated is back:"
start_daemon /tmp/policy-session.json
ok "after the restart the idle root process is gone within 5 s" gone_within 5 idle
ok "alice's unprivileged process lived through it all" alive plain
settle
audit_has "session.kill: the kernel's own kill, drained after the restart" \
	'"type":"session.kill"' "\"grant_id\":\"$gid3\"" \
	"\"pid\":$(cat /tmp/loop.pid)," '"reason":"elevated session over: its grant is no longer live"'
audit_has "session.end: the restart's sweep" '"type":"session.end"' "\"grant_id\":\"$gid3\"" \
	"\"pid\":$(cat /tmp/idle.pid),"
n=$(jitgate status --json | grep -o '"session_end": *[0-9]*' | tr -dc 0-9)
ok "status counts the kernel's kills (session_end: $n)" test "${n:-0}" -ge 1
kill "$(cat /tmp/plain.pid)" 2>/dev/null
for t in session.warn session.end session.kill; do
	diag "$(grep -m1 "\"type\":\"$t\"" $AUDIT)"
done
ok "audit: seq is gap-free" sh -c "grep -o '\"seq\":[0-9]*' $AUDIT | cut -d: -f2 | awk 'NR!=\$1{exit 1}'"
finish
