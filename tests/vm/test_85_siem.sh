#!/bin/sh
# vm-args: --timeout 420
# SIEM sinks against a real collector: rsyslogd takes RFC 5424 over TCP (octet counting,
# JSON records) and UDP (CEF records). Every audit record arrives intact and in order, also
# across a collector restart and a daemon restart while the collector is down (the spool).
. "${0%/*}/lib.sh"
. "${0%/*}/fixture.sh"

SECRET=/srv/prod/secrets/db.pw
RS=/tmp/rsyslog
SEQS=/tmp/seqs

need_rsyslog
make_tree
rsyslog_conf <<EOF
input(type="imtcp" address="127.0.0.1" port="6514" ruleset="tcp")
input(type="imudp" address="127.0.0.1" port="6515" ruleset="udp")
template(name="raw" type="string" string="%msg%\n")
ruleset(name="tcp") { action(type="omfile" file="$RS/tcp.log" template="raw") }
ruleset(name="udp") { action(type="omfile" file="$RS/udp.log" template="raw") }
EOF
cat >/tmp/jitgated.json <<'EOF'
{
  "sinks": [
    {"type": "syslog", "transport": "tcp", "address": "127.0.0.1:6514", "format": "json"},
    {"type": "syslog", "transport": "udp", "address": "127.0.0.1:6515", "format": "cef",
     "facility": "local3"}
  ]
}
EOF

# The seq numbers of a file of JSON records, one a line.
seqs_of() {
	sed -n 's/^{"seq":\([0-9]*\),.*/\1/p' "$1"
}

# Some traffic: a denial, a grant, an allowed read, a revocation.
traffic() {
	probe alice open $SECRET r >/dev/null
	probe bob open $SECRET w >/dev/null
	_gid=$(jitgate grant --user alice --allow prod-secrets:read --for 10m --reason "$1")
	probe alice read $SECRET >/dev/null
	jitgate revoke "$_gid" >/dev/null
	settle
}

# Every audit record arrived over TCP, intact, in order, once.
check_tcp() {
	_n=$(lines "$AUDIT")
	wait_lines "$RS/tcp.log" "$_n"	# 30 s: the reconnect backoff is <= 8 s
	expect_eq "$1: rsyslog got as many TCP records as the audit log has ($_n)" \
		"$(lines "$RS/tcp.log")" "$_n"
	if cmp -s "$AUDIT" "$RS/tcp.log"; then
		_vm_ok "$1: the TCP records are the audit lines byte for byte, in order"
	else
		_vm_not_ok "$1: the TCP records are the audit lines byte for byte, in order" \
			"they differ"
		diff "$AUDIT" "$RS/tcp.log" | head -n 20 | sed 's/^/#   /'
	fi
	seq 1 "$_n" >"$SEQS"
	seqs_of "$RS/tcp.log" | cmp -s - "$SEQS"
	expect_eq "$1: TCP seqs are 1..$_n, no gap, no duplicate" "$?" 0
}

# ---- phase 1: the collector is up
start_rsyslog 6514
start_daemon "$TESTDIR/policy-gate.json" --config /tmp/jitgated.json || finish
traffic "INC-85 one"
check_tcp "collector up"
n=$(lines "$AUDIT")
wait_lines "$RS/udp.log" "$n"
expect_eq "UDP: one CEF datagram per record" "$(lines "$RS/udp.log")" "$n"
expect_eq "UDP: every datagram is CEF" "$(grep -c '^CEF:0|jitgate|jitgate|' "$RS/udp.log")" "$n"
sed -n 's/.*externalId=\([0-9]*\) .*/\1/p' "$RS/udp.log" >/tmp/udp-seqs
seq 1 "$n" | cmp -s - /tmp/udp-seqs
expect_eq "UDP: the CEF externalIds are the seqs, in order" "$?" 0
expect_contains "UDP: a denial in CEF" "$RS/udp.log" \
	'|access.deny|access denied|7|.* suser=alice .*filePath=/srv/prod/secrets/db.pw fname=db.pw'
expect_contains "UDP: the grant in CEF" "$RS/udp.log" \
	'|grant.create|grant created|5|.*suser=root .*duser=alice .*msg=INC-85 one'
jitgate status --json >/tmp/status.json
expect_contains "status shows the TCP sink connected" /tmp/status.json '"connected": true'
expect_contains "status shows what the sinks delivered" /tmp/status.json "\"delivered\": $n"

# ---- phase 2: the collector goes away, events go on, the collector comes back
stop_rsyslog
traffic "INC-85 two"
traffic "INC-85 three"
jitgate status --json >/tmp/status.json
expect_contains "collector down: status says not connected" /tmp/status.json '"connected": false'
expect_eq "collector down: nothing new reached rsyslog" "$(lines "$RS/tcp.log")" "$n"
expect_eq "collector down: enforcement goes on (alice denied)" "$(probe alice open $SECRET r)" \
	EACCES
start_rsyslog 6514
check_tcp "after the collector restart"

# ---- phase 3: collector down across a daemon restart: the spool and its offset survive
stop_rsyslog
traffic "INC-85 four"
stop_daemon
ls /var/lib/jitgate/spool/ >/tmp/spool.ls
expect_contains "the spool is on disk" /tmp/spool.ls 'tcp_127.0.0.1_6514-json.spool'
start_daemon "$TESTDIR/policy-gate.json" --config /tmp/jitgated.json || finish
traffic "INC-85 five"
start_rsyslog 6514
check_tcp "after a daemon restart with the collector down"
jitgate status --json >/tmp/status.json
expect_contains "status: the TCP sink dropped nothing" /tmp/status.json '"dropped": 0'
diag "audit records: $(lines "$AUDIT"), TCP: $(lines "$RS/tcp.log"), UDP: $(lines "$RS/udp.log")"
stop_daemon
stop_rsyslog
finish
