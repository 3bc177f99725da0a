#!/bin/sh
# Nothing lost without a count: with a tiny ring buffer and the daemon frozen, the kernel
# drops what it cannot reserve and counts it; thawed, jitgated reports the exact count as
# audit.lost, and produced = streamed + lost holds to the event. Events produced while the
# daemon is dead are drained at its restart.
. "${0%/*}/lib.sh"
. "${0%/*}/fixture.sh"

SECRET=/srv/prod/secrets/db.pw
N=2000
make_tree
printf '{"ringbuf_bytes": 4096}\n' >/tmp/small-ring.json
start_daemon "$TESTDIR/policy-gate.json" --config /tmp/small-ring.json || finish
jitgate grant --user alice --allow prod-secrets:read --for 10m --reason "loss test" >/dev/null

lost_now() {
	jitgate status --json | tr -d ' \n' | sed -n 's/.*"events_lost":\([0-9]*\).*/\1/p'
}
l0=$(lost_now)
kill -STOP "$DAEMON_PID"
as_user alice sh -c "echo \$\$ >/tmp/burst.pid; exec jg-bench rate $SECRET 2000 $((N / 2000))" >/tmp/burst.out
kill -CONT "$DAEMON_PID"
settle
settle
pid=$(cat /tmp/burst.pid)
produced=$(sed -n 's/.*opens=\([0-9]*\).*/\1/p' /tmp/burst.out)
streamed=$(grep -c "\"type\":\"access.allow\".*\"pid\":$pid," "$AUDIT")
l1=$(lost_now)
lost=$((l1 - l0))
expect_eq "the burst produced $N events" "$produced" "$N"
ok "a 4 KiB ring buffer could not hold them all ($lost lost)" test "$lost" -gt 0
ok "some were streamed ($streamed)" test "$streamed" -gt 0
expect_eq "produced = streamed + lost, exactly" "$((streamed + lost))" "$produced"
last=$(grep '"type":"audit.lost"' "$AUDIT" | tail -n 1)
expect_eq "audit.lost reports the kernel's total" \
	"$(printf '%s' "$last" | sed -n 's/.*"lost_total":\([0-9]*\).*/\1/p')" "$l1"
sum=$(grep '"type":"audit.lost"' "$AUDIT" | sed -n 's/.*"lost":\([0-9]*\).*/\1/p' |
	awk '{ s += $1 } END { print s + 0 }')
expect_eq "the audit.lost events add up to the kernel's count" "$sum" "$l1"
ok "jitgated keeps running" kill -0 "$DAEMON_PID"

# --- events while no daemon runs are kept by the pinned ring buffer and drained at start
kill_daemon
as_user bob jg-probe open "$SECRET" r >/dev/null
as_user bob jg-probe open "$SECRET" r >/dev/null
before=$(grep -c '"type":"access.deny".*"user":"bob"' "$AUDIT")
start_daemon "$TESTDIR/policy-gate.json" --config /tmp/small-ring.json
settle
after=$(grep -c '"type":"access.deny".*"user":"bob"' "$AUDIT")
expect_eq "the two denials made while the daemon was dead are in the log" "$((after - before))" 2
ok "and the seq is still gap-free" sh -c "grep -o '\"seq\":[0-9]*' $AUDIT | cut -d: -f2 | awk 'NR!=\$1{exit 1}'"
ok "and the chain verifies" jitgate audit verify "$AUDIT"
finish
