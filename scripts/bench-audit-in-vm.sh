#!/bin/sh
# make bench-audit, inside the VM: how many audit events per second reach a real collector
# (rsyslog over TCP) with nothing lost, how long an event takes from the kernel to the
# collector, and, past that rate, whether the books balance: every event the kernel produced
# was either delivered or counted as lost.
#
# One step per rate: alice opens a file she holds a grant for, paced by jg-bench rate, so each
# open is one access.allow event. Per step:
#   produced  = opens (jg-bench counts them; every one must succeed)
#   delivered = records of that jg-bench process at the collector
#   lost      = the kernel's events_lost delta + the sink's dropped delta
# and the check produced = delivered + lost. Latency = the collector's receive time minus the
# record's own time (the kernel event's boot time converted to wall time).
#
#   sh bench-audit-in-vm.sh [SECONDS_PER_STEP] [RINGBUF_BYTES]
set -u
. /opt/jitgate/tests/vm/lib.sh
. /opt/jitgate/tests/vm/fixture.sh

SECS=${1:-4}
RING=${2:-262144}
RATES=${JG_BENCH_RATES:-"250 500 1000 2000 4000 8000 16000"}
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
rsyslogd -f /tmp/rsyslog.conf -i /tmp/rsyslogd.pid
cat >/tmp/bench-audit.json <<CONF
{"ringbuf_bytes": $RING,
 "sinks": [{"type": "syslog", "transport": "tcp", "address": "127.0.0.1:6514", "format": "json"}]}
CONF
start_daemon "$TESTDIR/policy-gate.json" --config /tmp/bench-audit.json || finish
jitgate grant --user alice --allow prod-secrets:read --for 1h --reason bench >/dev/null

stat_of() { # NAME: a counter from jitgate status --json
	jitgate status --json | tr -d ' \n' | sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p" | head -n1
}
# seconds since midnight UTC of an RFC 3339 time (the bench never spans a midnight)
tod='function tod(t,  h) { h = substr(t, 12); return substr(h,1,2)*3600 + substr(h,4,2)*60 + substr(h,7) + 0 }'

printf '%-8s %-9s %-9s %-9s %-6s %-6s %-9s %-9s %s\n' rate achieved produced delivered lost \
	books p50_ms p99_ms verdict
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
	lost=$(($(stat_of events_lost) - lost0))
	drop1=$(stat_of dropped); dropped=$((${drop1:-0} - drop0))
	lost=$((lost + dropped))
	books=ok
	[ $((delivered + lost)) -eq "$produced" ] || books=MISMATCH
	grep "\"pid\":$pid," $OUT | sed -n 's/^\([^ ]*\) .*"time":"\([^"]*\)".*/\1 \2/p' |
		awk "$tod"' { d = tod($1) - tod($2); if (d < 0) d += 86400; print d * 1000 }' |
		sort -n >/tmp/lat
	nl=$(wc -l </tmp/lat)
	p50=$(sed -n "$(( (nl + 1) / 2 ))p" /tmp/lat)
	p99=$(sed -n "$(( (nl * 99 + 99) / 100 ))p" /tmp/lat)
	verdict="zero loss"
	[ "$lost" -gt 0 ] && verdict="lost $lost (counted)"
	[ "$books" = ok ] || verdict="$verdict; produced != delivered + lost"
	printf '%-8s %-9s %-9s %-9s %-6s %-6s %-9.1f %-9.1f %s\n' "$r" "$achieved" "$produced" \
		"$delivered" "$lost" "$books" "${p50:-0}" "${p99:-0}" "$verdict"
	[ "$lost" -eq 0 ] && [ "$books" = ok ] && best=$achieved
done
echo "bench-audit: highest sustained rate with zero loss: $best events/s (ring buffer $RING bytes, $SECS s per step)"
stop_daemon
kill "$(cat /tmp/rsyslogd.pid)" 2>/dev/null
