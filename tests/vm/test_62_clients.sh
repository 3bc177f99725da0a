#!/bin/sh
# vm-args: --timeout 600
# The control socket under hostile local clients. A client that never reads its reply, one
# that sends a byte a second and a dozen idle connections must not slow anyone else down:
# an admin's revoke, bob's approve and requests, status and list answer at once, the revoke
# takes effect in the kernel at once, and the ring buffer is drained meanwhile. Connections
# over the per-uid cap get a one-line JSON error; every drop and refusal is counted (status
# --json, daemon.clients) and audited (client.drop). And a request whose sender has exited,
# its PID now someone else's, is refused instead of acting with that someone's identity.
. "${0%/*}/lib.sh"
. "${0%/*}/fixture.sh"

SECRET=/srv/prod/secrets/db.pw
make_tree
sed -e "s/WINDOW/Mon-Sun 00:00-24:00/" "$TESTDIR/policy-workflow.json" >/tmp/policy.json
# Short write deadline so the test need not wait the default 10 s for the stuck client.
echo '{ "client_write_timeout_ms": 3000 }' >/tmp/jitgated.json

# now_ms: milliseconds since boot (busybox date has no %N)
now_ms() {
	read -r _up _ </proc/uptime
	echo "${_up%.*}${_up#*.}0"
}
# timed NAME LIMIT_MS CMD...: CMD exits 0 within LIMIT_MS; the time is printed either way.
timed() {
	_tn=$1 _tl=$2
	shift 2
	_t0=$(now_ms)
	("$@") >/tmp/timed.out 2>&1
	_trc=$?
	_tdt=$(($(now_ms) - _t0))
	if [ "$_trc" -eq 0 ] && [ "$_tdt" -le "$_tl" ]; then
		_vm_ok "$_tn ($_tdt ms)"
	else
		_vm_not_ok "$_tn" "exit $_trc after $_tdt ms; want exit 0 within $_tl ms" /tmp/timed.out
	fi
}
# rec ID: the one-line JSON record of request ID in a --json reply on stdin
rec() {
	tr -d '\n ' | sed 's/{"id":"/\n{"id":"/g' | grep "^{\"id\":\"$1\""
}
# stat NAME: daemon.clients.NAME from `jitgate status --json`
cstat() {
	jitgate status --json | tr -d '\n ' | sed -n "s/.*\"clients\":{[^}]*\"$1\":\([0-9]*\).*/\1/p"
}

echo '{ "max_clients": 0 }' >/tmp/bad.json
fails "a config with max_clients 0 is refused" jitgated --config /tmp/bad.json --policy /tmp/policy.json
jitgated --config /tmp/bad.json --policy /tmp/policy.json 2>/tmp/err
expect_contains "and the refusal names the key and its range" /tmp/err '"max_clients" must be an integer between 1 and 1024'

start_daemon /tmp/policy.json --config /tmp/jitgated.json || finish

# ------------------------------------------------------------------ PID reuse
# alice's client sends "approve" for her own request and exits before the daemon reads it
# (the daemon is stopped here, as a busy daemon would be); her PID is then given to a
# process of bob, an approver (ns_last_pid makes the reuse immediate; an attacker cycles
# PIDs). Identity read from /proc/PID when the request is handled is bob's.
rid=$(as_user alice jitgate request db-debug --reason "INC-7 pid reuse" -q)
expect_eq "alice's request is made" "${rid%%-*}" r
kill -STOP "$DAEMON_PID"
with_loginuid 1000 as_user alice jg-client send \
	"{\"v\":1,\"cmd\":\"approve\",\"args\":{\"id\":\"$rid\"}}" --no-read --pidfile /tmp/alice.pid
apid=$(cat /tmp/alice.pid)
bpid=
for _try in 1 2 3 4 5; do
	echo $((apid - 1)) >/proc/sys/kernel/ns_last_pid
	sh -c 'echo 1001 >/proc/self/loginuid && exec /usr/bin/setpriv --reuid=1001 --regid=1001 --init-groups sleep 60' &
	bpid=$!
	[ "$bpid" = "$apid" ] && break
	kill "$bpid"
	wait "$bpid" 2>/dev/null
done
sleep 0.5
expect_eq "bob's process now has alice's old PID $apid" "$bpid" "$apid"
expect_eq "and it runs with bob's loginuid" "$(cat /proc/"$apid"/loginuid)" 1001
expect_eq "and bob's uid" "$(awk '/^Uid:/ { print $3 }' /proc/"$apid"/status)" 1001
kill -CONT "$DAEMON_PID"
sleep 1.5
jitgate requests --json | rec "$rid" >/tmp/rec.json
ok "the approval on the reused PID is refused: the request is still pending" \
	grep -q '"state":"pending"' /tmp/rec.json
expect_eq "alice holds nothing" "$(probe alice open $SECRET r)" EACCES
fails "no request.approve is audited for it" sh -c "grep '\"type\":\"request.approve\"' $AUDIT | grep -q '\"request_id\":\"$rid\"'"
audit_has "audit: client.refuse names the reason" '"type":"client.refuse"' '"cmd":"approve"' \
	"process $apid runs as uid 1001 gid 1001, not as uid 1000 gid 1000 that connected"
kill "$bpid"
wait "$bpid" 2>/dev/null

# The same with no reuse: the sender has simply exited, so nobody is proven.
kill -STOP "$DAEMON_PID"
with_loginuid 1000 as_user alice jg-client send \
	"{\"v\":1,\"cmd\":\"cancel\",\"args\":{\"id\":\"$rid\"}}" --no-read --pidfile /tmp/alice.pid
apid=$(cat /tmp/alice.pid)
kill -CONT "$DAEMON_PID"
sleep 1.5
audit_has "an exited sender is refused too" '"type":"client.refuse"' '"cmd":"cancel"' \
	"process $apid has exited"
ok "status counts the unproven requests" test "$(cstat unproven)" -ge 2
ok "bob's own approval still works" as_user bob jitgate approve "$rid"
gid=$(jitgate list --json | tr -d '\n ' | sed 's/{"id":"/\n{"id":"/g' |
	grep "\"request_id\":\"$rid\"" | sed -n 's/^{"id":"\(g-[0-9]*\)".*/\1/p')
ok "alice's live client works as before: she drops the grant ($gid)" as_user alice jitgate drop "$gid"

# ------------------------------------------------------------------ slow and stuck clients
ok "admin grants alice read" jitgate grant --user alice --allow prod-secrets:read --for 10m \
	--reason "INC-8 before the flood"
expect_eq "alice reads under the grant" "$(probe alice open $SECRET r)" ok
rid_c=$(as_user carol jitgate request db-debug --reason "INC-9 carol" -q)
expect_eq "carol's request is pending" "${rid_c%%-*}" r
# Enough of alice's requests that her "requests" reply outgrows the socket buffer. The
# buffer is made small (8 kB instead of 208 kB) so that sixteen requests do it.
long=$(printf '%0480d' 0)
for i in $(seq 16); do
	r=$(as_user alice jitgate request db-debug --reason "flood $i $long" -q)
	as_user alice jitgate cancel "$r" >/dev/null
done
echo 8192 >/proc/sys/net/core/wmem_default
diag "alice's requests reply: $(as_user alice jitgate requests --json | wc -c) bytes"

as_user alice jg-client stuck '{"v":1,"cmd":"requests","args":{}}' 25 >/tmp/stuck.out 2>&1 &
stuck=$!
as_user alice jg-client slow '{"v":1,"cmd":"status","args":{}}' 25 >/tmp/slow.out 2>&1 &
slow=$!
as_user dave jg-client idle 12 25 >/tmp/idle.out 2>&1 &
idle=$!
sleep 1.5

timed "admin's revoke --user alice answers at once" 3000 timeout 15 jitgate revoke --user alice --reason flood
expect_eq "right after the revoke alice's read is refused by the kernel" "$(probe alice open $SECRET r)" EACCES
timed "bob approves carol's request at once" 3000 as_user bob timeout 15 jitgate approve "$rid_c"
timed "bob's requests answers at once" 3000 as_user bob timeout 15 jitgate requests
timed "status answers at once (and exits 0: enforcing)" 3000 as_user carol timeout 15 jitgate status
timed "carol's list answers at once" 3000 as_user carol timeout 15 jitgate list
settle
audit_has "the ring buffer is drained meanwhile: alice's denial is audited" \
	'"type":"access.deny"' '"user":"alice"' '"path":"/srv/prod/secrets/db.pw"'
audit_has "audit: grant.revoke" '"type":"grant.revoke"' '"end_reason":"flood"'

# Past every deadline (read 2 s, write 3 s) the slow ones have been dropped at least once.
sleep 4
timed "status still answers at once" 3000 as_user carol timeout 15 jitgate status
refused=$(cstat refused_uid)
rto=$(cstat read_timeouts)
wto=$(cstat write_timeouts)
diag "daemon.clients: refused_uid=$refused read_timeouts=$rto write_timeouts=$wto open=$(cstat open)"
ok "dave's connections over the per-uid cap (8) are refused and counted ($refused)" test "${refused:-0}" -ge 4
ok "idle and one-byte-a-second clients are dropped at the read deadline ($rto)" test "${rto:-0}" -ge 3
ok "the client that never reads is dropped at the write deadline ($wto)" test "${wto:-0}" -ge 1
audit_has "audit: client.drop reports the drops" '"type":"client.drop"'

wait "$stuck" "$slow" "$idle"
diag "$(cat /tmp/stuck.out /tmp/slow.out /tmp/idle.out)"
expect_contains "a refused connection gets one JSON line saying why" /tmp/idle.out \
	'first refusal: {"ok":false,"code":"EBUSY","error":"uid 1003 has 8 connections to jitgated open'
expect_contains "the slow sender is told it was too slow" /tmp/slow.out \
	'first answer: {"ok":false,"code":"ETIMEDOUT"'
drops=$(sed -n 's/.* \([0-9]*\) dropped by the daemon.*/\1/p' /tmp/stuck.out)
ok "the stuck client was dropped ($drops times) and came back" test "${drops:-0}" -ge 1
ok "with all of them gone the daemon holds no connection but ours" test "$(cstat open)" -le 1
stop_daemon
finish
