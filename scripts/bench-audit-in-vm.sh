#!/bin/sh
# make bench-audit, inside the VM: how many audit events per second reach a real collector
# (rsyslog over TCP) and a JSON file sink with nothing lost, how long an event takes from the
# kernel to the collector, and, past that rate, whether the books balance: every event the
# kernel produced was either delivered or counted as lost.
#
# One step per rate: alice opens a file she holds a grant for, paced by jg-bench rate, so each
# open is one access.allow event. Per step:
#   produced  = opens (jg-bench counts them; every one must succeed)
#   delivered = records of that jg-bench process at the collector (file: in the file sink)
#   lost      = the kernel's events_lost delta + the sinks' dropped delta
# and the check produced = delivered + lost, for the collector and for the file sink.
# Latency = the collector's receive time minus the record's own time (the kernel event's boot
# time converted to wall time).
#
# Then the floor, in the same boot: jitgated stops (the pinned gate and the grant stay), and
# at each rate a bare consumer (jg-bench ringcount) only reads the ring buffers and counts:
#   produced = counted + the kernel's lost delta.
#
#   sh bench-audit-in-vm.sh [SECONDS_PER_STEP] [RINGBUF_BYTES]
#   JG_BENCH_RATES="1000 20000"   the rates (events/s)
set -u
. /opt/jitgate/tests/vm/lib.sh
. /opt/jitgate/tests/vm/fixture.sh

SECS=${1:-10}
RING=${2:-4194304}
RATES=${JG_BENCH_RATES:-"1000 2000 5000 10000 20000"}
PIN=/sys/fs/bpf/jitgate
SINK=/tmp/sink.jsonl
S=/srv/prod/secrets/db.pw
OUT=/tmp/collector.log

make_tree
mkdir -p /var/spool/rsyslog
cat >/tmp/rsyslog.conf <<'CONF'
global(workDirectory="/var/spool/rsyslog")
module(load="imtcp")
input(type="imtcp" address="127.0.0.1" port="6514")
template(name="timed" type="string" string="%timegenerated:::date-rfc3339% %msg%\n")
action(type="omfile" file="/tmp/collector.log" template="timed")
CONF
: >$OUT
: >$SINK
rsyslogd -f /tmp/rsyslog.conf -i /tmp/rsyslogd.pid
# jg-bench is a trusted tool (as in the VM tests): the sealed gate gives a writable
# descriptor of its ring buffers to trusted executables alone, and the floor's reader must
# move the consumer position
cat >/tmp/bench-audit.json <<CONF
{"ringbuf_bytes": $RING,
 "trusted_tools": ["$(command -v jg-bench)"],
 "sinks": [{"type": "file", "path": "$SINK", "format": "json"},
           {"type": "syslog", "transport": "tcp", "address": "127.0.0.1:6514", "format": "json"}]}
CONF
start_daemon "$TESTDIR/policy-gate.json" --config /tmp/bench-audit.json || finish
jitgate grant --user alice --allow prod-secrets:read --for 1h --reason bench >/dev/null

stat_of() { # NAME: a counter from jitgate status --json, summed over every place it occurs
	jitgate status --json | tr -d ' \n' | sed "s/\"$1\":/\n&/g" |
		sed -n "s/^\"$1\":\([0-9]*\).*/\1/p" | awk '{ s += $1 } END { print s + 0 }'
}
# seconds since midnight UTC of an RFC 3339 time (the bench never spans a midnight)
tod='function tod(t,  h) { h = substr(t, 12); return substr(h,1,2)*3600 + substr(h,4,2)*60 + substr(h,7) + 0 }'

echo "jitgated: ring buffer $RING bytes, sinks: JSON file + JSON to rsyslog over TCP, $SECS s per rate"
printf '%-8s %-9s %-9s %-9s %-9s %-6s %-6s %-9s %-9s %s\n' rate achieved produced delivered \
	file lost books p50_ms p99_ms verdict
best=0
for r in $RATES; do
	lost0=$(stat_of events_lost)
	drop0=$(stat_of dropped); drop0=${drop0:-0}
	as_user alice sh -c "echo \$\$ >/tmp/bench.pid; exec jg-bench rate $S $r $SECS" >/tmp/rate.out ||
		{ echo "jg-bench rate $r failed"; break; }
	pid=$(cat /tmp/bench.pid)
	produced=$(sed -n 's/.*opens=\([0-9]*\).*/\1/p' /tmp/rate.out)
	achieved=$(sed -n 's/.*achieved=\([0-9]*\).*/\1/p' /tmp/rate.out)
	# let the daemon and the collector catch up (bounded)
	prev=-1
	for _ in $(seq 120); do
		n=$(grep -c "\"pid\":$pid," $OUT)
		[ "$n" = "$prev" ] && [ "$n" -gt 0 ] && break
		prev=$n
		sleep 0.5
	done
	delivered=$(grep -c "\"pid\":$pid," $OUT)
	filed=$(grep -c "\"pid\":$pid," $SINK)
	lost=$(($(stat_of events_lost) - lost0))
	drop1=$(stat_of dropped); dropped=$((${drop1:-0} - drop0))
	lost=$((lost + dropped))
	books=ok
	[ $((delivered + lost)) -eq "$produced" ] || books=MISMATCH
	[ $((filed + lost)) -eq "$produced" ] || books=MISMATCH
	grep "\"pid\":$pid," $OUT | sed -n 's/^\([^ ]*\) .*"time":"\([^"]*\)".*/\1 \2/p' |
		awk "$tod"' { d = tod($1) - tod($2); if (d < 0) d += 86400; print d * 1000 }' |
		sort -n >/tmp/lat
	nl=$(wc -l </tmp/lat)
	p50=$(sed -n "$(( (nl + 1) / 2 ))p" /tmp/lat)
	p99=$(sed -n "$(( (nl * 99 + 99) / 100 ))p" /tmp/lat)
	verdict="zero loss"
	[ "$lost" -gt 0 ] && verdict="lost $lost (counted)"
	[ "$books" = ok ] || verdict="$verdict; produced != delivered + lost"
	printf '%-8s %-9s %-9s %-9s %-9s %-6s %-6s %-9.1f %-9.1f %s\n' "$r" "$achieved" "$produced" \
		"$delivered" "$filed" "$lost" "$books" "${p50:-0}" "${p99:-0}" "$verdict"
	[ "$lost" -eq 0 ] && [ "$books" = ok ] && best=$achieved
done
echo "bench-audit: highest sustained rate with zero loss: $best events/s (ring buffer $RING bytes, $SECS s per step)"
stop_daemon
kill "$(cat /tmp/rsyslogd.pid)" 2>/dev/null

# The floor: nothing but a reader of the ring buffers, same gate, same grant, same rates.
echo "floor: jg-bench ringcount (reads and counts the ring buffers, no jitgated), $SECS s per rate"
printf '%-8s %-9s %-9s %-9s %-6s %-6s %s\n' rate achieved produced counted lost books verdict
fbest=0
for r in $RATES; do
	jg-bench ringcount $PIN $((SECS + 2)) >/tmp/floor.out 2>/tmp/floor.err &
	fpid=$!
	sleep 0.5
	if ! kill -0 $fpid 2>/dev/null; then
		# the sealed gate refuses a writable descriptor of its ring buffer to anything but
		# the trusted jitgated: no bare reader can move the consumer position
		echo "floor: not measured: $(cat /tmp/floor.err)"
		break
	fi
	as_user alice jg-bench rate $S $r $SECS >/tmp/rate.out ||
		{ echo "jg-bench rate $r failed"; break; }
	wait $fpid
	produced=$(sed -n 's/.*opens=\([0-9]*\).*/\1/p' /tmp/rate.out)
	achieved=$(sed -n 's/.*achieved=\([0-9]*\).*/\1/p' /tmp/rate.out)
	counted=$(sed -n 's/.*records=\([0-9]*\).*/\1/p' /tmp/floor.out)
	lost=$(sed -n 's/.*lost=\([0-9]*\).*/\1/p' /tmp/floor.out)
	books=ok
	[ $((${counted:-0} + ${lost:-0})) -eq "$produced" ] || books=MISMATCH
	verdict="zero loss"
	[ "${lost:-0}" -gt 0 ] && verdict="lost $lost (counted)"
	printf '%-8s %-9s %-9s %-9s %-6s %-6s %s\n' "$r" "$achieved" "$produced" "${counted:-?}" \
		"${lost:-?}" "$books" "$verdict"
	[ "${lost:-1}" -eq 0 ] && [ "$books" = ok ] && fbest=$achieved
done
echo "bench-audit: floor (bare ring buffer reader): highest rate with zero loss: $fbest events/s"
echo "bench-audit: targets: 20000 events/s for 10 s with zero loss; p99 <= 100 ms at 1000 events/s"
jitgate unload >/dev/null 2>&1 || true
