#!/bin/sh
# vm-args: --timeout 600
# The metrics endpoint (docs/metrics.md): OpenMetrics text on metrics.sock (root and the
# metrics_group) and on an opt-in loopback TCP port; a non-loopback address is refused with
# a sentence. The counters move with the kernel's decisions: a denial raises the deny count
# of its resource, a grant makes live grants 1 and its use an allow, a revoke makes it 0.
# Scrapers that connect and send nothing are dropped on the read deadline and slow nobody:
# `jitgate status` answers meanwhile.
. "${0%/*}/lib.sh"
. "${0%/*}/fixture.sh"

SECRET=/srv/prod/secrets/db.pw
MSOCK=/run/jitgate/metrics.sock
make_tree
cp "$TESTDIR/policy-gate.json" /tmp/policy.json

# metric SAMPLE: the value of the sample named exactly SAMPLE (name and labels), 0 if absent
metric() {
	jitgate metrics | awk -v k="$1" 'index($0, k " ") == 1 { print $2; f = 1 }
		END { if (!f) print 0 }'
}
DENY='jitgate_decisions_total{decision="deny",resource="prod-secrets",kind="file",perm="read"}'
ALLOW='jitgate_decisions_total{decision="allow",resource="prod-secrets",kind="file",perm="read"}'

# --- only loopback over TCP: anything else is refused with one sentence, before starting
for addr in 0.0.0.0:9464 10.0.2.15:9464 '[::]:9464' '[2001:db8::1]:9464'; do
	printf '{ "metrics_listen": "%s" }\n' "$addr" >/tmp/bad.json
	jitgated --config /tmp/bad.json --policy /tmp/policy.json >/tmp/err 2>&1
	expect_eq "metrics_listen $addr: jitgated refuses to start (config error)" "$?" 78
	esc=$(printf '%s' "$addr" | sed 's/[][]/\\&/g')
	expect_contains "metrics_listen $addr: the sentence says loopback only" /tmp/err \
		"\"metrics_listen\" \"$esc\" is not a loopback address"
done
echo '{ "metrics_listen": "localhost" }' >/tmp/bad.json
jitgated --config /tmp/bad.json --policy /tmp/policy.json >/tmp/err 2>&1
expect_contains "metrics_listen without a port: the sentence shows the form" /tmp/err \
	'is not an address and port like "127.0.0.1:9464"'
echo '{ "metrics_group": "no-such-group" }' >/tmp/bad.json
jitgated --config /tmp/bad.json --policy /tmp/policy.json >/tmp/err 2>&1
expect_eq "an unknown metrics_group is a config error" "$?" 78
expect_contains "and named in one sentence" /tmp/err \
	'"metrics_group" "no-such-group" is not a group on this host'
fails "nothing was left listening by the refusals" test -e "$MSOCK"

# a TCP syslog sink whose collector is absent: its records go to the spool
cat >/tmp/jitgated.json <<'EOF'
{ "metrics_listen": "127.0.0.1:9464", "metrics_group": "sre",
  "sinks": [{ "type": "syslog", "transport": "tcp", "address": "127.0.0.1:6514",
              "format": "json" }] }
EOF
start_daemon /tmp/policy.json --config /tmp/jitgated.json || finish

# --- the socket and who may read it
expect_eq "metrics.sock is root's and sre's, mode 660" "$(stat -c '%a %U %G' "$MSOCK")" \
	"660 root sre"
ok "root reads the metrics" jitgate metrics
ok "the text follows the OpenMetrics rules (jitgate metrics --check)" jitgate metrics --check
ok "alice (group sre) reads the metrics" as_user alice jitgate metrics --check
fails "dave (not in sre) cannot read them" as_user dave jitgate metrics
as_user dave jitgate metrics 2>/tmp/err
expect_contains "and is told why in one sentence" /tmp/err "permission denied"
jitgate metrics >/tmp/m1
expect_eq "the text ends with # EOF" "$(tail -n 1 /tmp/m1)" "# EOF"
expect_contains "build info names the version" /tmp/m1 \
	'^jitgate_build_info{version="[0-9.]*"} 1$'
expect_contains "start time in seconds" /tmp/m1 '^jitgate_start_time_seconds [0-9]*\.[0-9]*$'
expect_contains "enforcing" /tmp/m1 '^jitgate_enforcing 1$'
expect_contains "the event ring's size" /tmp/m1 \
	'^jitgate_ring_buffer_size_bytes{ring="events"} [1-9][0-9]*$'
expect_contains "policy generation 1 after the start" /tmp/m1 '^jitgate_policy_generation 1$'
expect_contains "no live grants yet" /tmp/m1 '^jitgate_grants_live 0$'

# --- the TCP port: the same text, the OpenMetrics content type, only /metrics and /
wget -q -O /tmp/m_tcp http://127.0.0.1:9464/metrics
expect_eq "the TCP port serves the metrics" "$?" 0
expect_eq "the same families over TCP" "$(grep -c '^# TYPE' /tmp/m_tcp)" \
	"$(grep -c '^# TYPE' /tmp/m1)"
wget -S -q -O /dev/null http://127.0.0.1:9464/ 2>/tmp/headers
expect_contains "Content-Type is OpenMetrics 1.0.0" /tmp/headers \
	'Content-Type: application/openmetrics-text; version=1.0.0; charset=utf-8'
fails "another path is not served" wget -q -O /dev/null http://127.0.0.1:9464/admin
expect_eq "port 9464 listens on 127.0.0.1 only" \
	"$(awk '$2 ~ /:24F8$/ && $4 == "0A" { print $2 }' /proc/net/tcp /proc/net/tcp6)" \
	0100007F:24F8

# --- the counters move with the kernel's decisions
d0=$(metric "$DENY")
k0=$(metric 'jitgate_kernel_decisions_total{decision="deny"}')
expect_eq "bob is denied the secret" "$(probe bob open $SECRET r)" EACCES
settle
d1=$(metric "$DENY")
k1=$(metric 'jitgate_kernel_decisions_total{decision="deny"}')
expect_eq "the deny count of prod-secrets/read grew by one ($d0 -> $d1)" "$((d1 - d0))" 1
ok "the kernel's deny count grew ($k0 -> $k1)" test "$k1" -gt "$k0"
gid=$(jitgate grant --user alice --allow prod-secrets:read --for 10m --reason "metrics test")
expect_eq "one live grant after the grant" "$(metric jitgate_grants_live)" 1
a0=$(metric "$ALLOW")
expect_eq "alice reads the secret with it" "$(probe alice open $SECRET r)" ok
settle
a1=$(metric "$ALLOW")
ok "the allow count of prod-secrets/read grew ($a0 -> $a1)" test "$a1" -gt "$a0"
jitgate revoke "$gid" >/dev/null
expect_eq "no live grant after the revoke" "$(metric jitgate_grants_live)" 0
jitgate policy reload >/dev/null
expect_eq "policy generation 2 after a reload" "$(metric jitgate_policy_generation)" 2

# --- the sink without its collector: spooled, queued, not connected
S='{sink="0",type="syslog",format="json",target="tcp:127.0.0.1:6514"}'
ok "the sink spooled records" test "$(metric "jitgate_sink_spooled_records_total$S")" -gt 0
ok "its queue holds bytes" test "$(metric "jitgate_sink_queue_bytes$S")" -gt 0
expect_eq "and it is not connected" "$(metric "jitgate_sink_connected$S")" 0
expect_eq "nothing dropped" "$(metric "jitgate_sink_dropped_records_total$S")" 0

# --- scrapers that send nothing are dropped and stall nobody
r0=$(metric 'jitgate_metrics_scrapes_total{result="refused"}')
jg-client -s "$MSOCK" idle 12 5 >/tmp/idle 2>&1 &
IDLE=$!
sleep 1
t0=$(cut -d' ' -f1 /proc/uptime)
jitgate status >/tmp/status.out 2>&1
rc=$?
t1=$(cut -d' ' -f1 /proc/uptime)
ms=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%d", (b - a) * 1000 }')
expect_eq "status answers while 12 silent scrapers hold the metrics socket ($ms ms)" "$rc" 0
ok "and within 3 s" test "$ms" -le 3000
ok "grant and revoke work meanwhile" sh -c 'g=$(jitgate grant --user bob \
	--allow prod-secrets:read --for 1m --reason idle) && jitgate revoke "$g"'
wait "$IDLE"
diag "$(cat /tmp/idle)"
ok "the silent scrapers were dropped and reconnected" \
	awk '/^idle:/ { exit !($2 > 12) }' /tmp/idle
ok "a scrape works again afterwards" jitgate metrics --check
r1=$(metric 'jitgate_metrics_scrapes_total{result="refused"}')
ok "the drops are counted ($r0 -> $r1)" test "$r1" -gt "$r0"
jg-client -s "$MSOCK" endless 5 >/tmp/endless 2>&1
expect_contains "a request past 2047 bytes gets 431" /tmp/endless "431"

# --- at stop the socket goes
stop_daemon
fails "metrics.sock is removed when jitgated stops" test -e "$MSOCK"
finish
