#!/bin/sh
# No audit evasion by flooding. While jitgated is frozen, alice makes 20,000 denied opens and
# bob, holding an elevate grant, runs a few programs. Denials are limited per subject in the
# kernel (each one is still denied; over the budget it is counted, not streamed), so after
# the thaw every session.exec of bob's is in the log, and alice's denials add up exactly:
# streamed + suppressed (access.suppressed records) = her denials = the kernel's count. And
# the records that matter most have a ring of their own: with a tiny main ring and no
# budget, the main ring loses denials (audit.lost names it) while no trail is lost.
. "${0%/*}/lib.sh"
. "${0%/*}/fixture.sh"

SECRET=/srv/prod/secrets/db.pw
N=20000
make_tree
cat >/tmp/policy-flood.json <<'JSON'
{
  "version": 1,
  "resources": {
    "root": { "elevate": {} },
    "prod-secrets": { "files": ["/srv/prod/secrets"] }
  }
}
JSON
printf '{"deny_rate": 10, "deny_burst": 100}\n' >/tmp/flood.json
start_daemon /tmp/policy-flood.json --config /tmp/flood.json || finish
gid=$(jitgate grant --user bob --allow root:elevate --for 10m --reason "INC-83 patching")
ok "status shows both rings and the budget" sh -c \
	"jitgate status --json | tr -d ' \n' | grep -q '\"rings\":{\"events\":{\"bytes\":4194304,\"lost\":0},\"priority\":{\"bytes\":1048576,\"lost\":0}},\"deny_budget\":{\"rate\":10,\"burst\":100}'"

# bob_trail TAG: bob execs /bin/echo TAG (one session.exec with argv [/bin/echo, TAG])
bob_trail() {
	as_user bob jg-probe exec /bin/echo "$1" >/dev/null
}

# --- the flood, with the daemon frozen
kill -STOP "$DAEMON_PID"
as_user alice sh -c "echo \$\$ >/tmp/flood.pid; exec jg-inject flood $SECRET $N" >/tmp/flood.out
for i in 1 2 3 4 5; do bob_trail "trail-$i"; done
kill -CONT "$DAEMON_PID"
settle
settle
pid=$(cat /tmp/flood.pid)
expect_eq "the flood: $N opens, all denied" "$(cat /tmp/flood.out)" "denied=$N allowed=0 other=0"
for i in 1 2 3 4 5; do
	audit_has "bob's session.exec trail-$i is in the log" '"type":"session.exec"' '"user":"bob"' \
		"\"argv\":[\"/bin/echo\",\"trail-$i\"]" "\"grant_id\":\"$gid\""
done
streamed=$(grep '"type":"access.deny"' "$AUDIT" | grep -c "\"pid\":$pid,")
suppressed=$(grep '"type":"access.suppressed"' "$AUDIT" | grep '"user":"alice"' |
	sed -n 's/.*"suppressed":\([0-9]*\).*/\1/p' | awk '{ s += $1 } END { print s + 0 }')
diag "alice: $streamed denials streamed, $suppressed suppressed"
ok "most of the flood was not streamed ($suppressed)" test "$suppressed" -gt $((N / 2))
ok "the first ones were ($streamed, burst 100)" test "$streamed" -ge 100
expect_eq "streamed + suppressed = the denials, exactly" "$((streamed + suppressed))" "$N"
last=$(grep '"type":"access.suppressed"' "$AUDIT" | grep '"user":"alice"' | tail -n 1)
expect_eq "the last access.suppressed carries the kernel's deny count for alice" \
	"$(printf '%s' "$last" | sed -n 's/.*"denied_total":\([0-9]*\).*/\1/p')" "$N"
expect_eq "... and its suppressed_total is the sum of the records" \
	"$(printf '%s' "$last" | sed -n 's/.*"suppressed_total":\([0-9]*\).*/\1/p')" "$suppressed"
expect_contains "access.suppressed says over which interval" "$AUDIT" \
	'"type":"access.suppressed".*"since":.*"until":"[0-9-]*T'
ok "no record was lost" sh -c "! grep -q '\"type\":\"audit.lost\"' $AUDIT"
st=$(jitgate status --json | tr -d ' \n')
expect_eq "status: the kernel's suppressed count" \
	"$(printf '%s' "$st" | sed -n 's/.*"suppressed":\([0-9]*\).*/\1/p')" "$suppressed"
ok "jitgate status prints both rings' losses" sh -c "jitgate status | grep -q '0 events lost, 0 priority events lost'"
# a new denial after a quiet spell is streamed again (the bucket refilled)
sleep 2
as_user alice sh -c "echo \$\$ >/tmp/one.pid; exec jg-probe open $SECRET r" >/dev/null
settle
expect_eq "after a quiet spell alice's next denial is streamed" \
	"$(grep '"type":"access.deny"' "$AUDIT" | grep -c "\"pid\":$(cat /tmp/one.pid),")" 1
# the reported counts survive a daemon restart: nothing is reported twice
before=$(grep -c '"type":"access.suppressed"' "$AUDIT")
stop_daemon
start_daemon /tmp/policy-flood.json --config /tmp/flood.json || finish
settle
expect_eq "a restarted daemon does not report the same suppressed denials again" \
	"$(grep -c '"type":"access.suppressed"' "$AUDIT")" "$before"

# --- the priority ring alone: a 16 KiB main ring and no budget overflow; trails stay
jitgate unload >/dev/null
wait "$DAEMON_PID" 2>/dev/null
printf '{"deny_rate": 0, "ringbuf_bytes": 16384}\n' >/tmp/flood0.json
start_daemon /tmp/policy-flood.json --config /tmp/flood0.json || finish
gid=$(jitgate grant --user bob --allow root:elevate --for 10m --reason "INC-83 again")
kill -STOP "$DAEMON_PID"
as_user alice jg-inject flood $SECRET 2000 >/dev/null
for i in 6 7 8; do bob_trail "trail-$i"; done
kill -CONT "$DAEMON_PID"
settle
settle
for i in 6 7 8; do
	audit_has "tiny main ring: bob's trail-$i is in the log" '"type":"session.exec"' \
		"\"argv\":[\"/bin/echo\",\"trail-$i\"]"
done
audit_has "the main ring's loss is reported and named" '"type":"audit.lost"' '"ring":"events"'
ok "the priority ring lost nothing" sh -c "! grep '\"type\":\"audit.lost\"' $AUDIT | grep -q '\"ring\":\"priority\"'"
ok "seq is gap-free" sh -c "grep -o '\"seq\":[0-9]*' $AUDIT | cut -d: -f2 | awk 'NR!=\$1{exit 1}'"
ok "the chain verifies" jitgate audit verify "$AUDIT"
finish
