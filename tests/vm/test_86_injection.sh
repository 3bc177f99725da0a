#!/bin/sh
# vm-args: --timeout 420
# Injection through what users control: a file name, a process name (comm) and a reason
# holding newlines, escape sequences, CEF delimiters (| = \), syslog structured-data
# delimiters (] " \) and bytes that are not UTF-8 cannot forge or split a record in any
# output: the audit log (JSON, chained), a file sink (CEF), and rsyslogd taking RFC 5424
# over TCP (JSON, OCSF) and UDP (CEF). Each output has exactly one line per record, every
# line is a whole record of its format, no forged CEF header or extension appears, and
# rsyslogd parses the header and structured data jitgated wrote, not what the user did.
. "${0%/*}/lib.sh"
. "${0%/*}/fixture.sh"

RS=/tmp/rsyslog
CEF_FILE=/tmp/sink.cef

need_rsyslog
make_tree
rsyslog_conf <<EOF
input(type="imtcp" address="127.0.0.1" port="6514" ruleset="json")
input(type="imtcp" address="127.0.0.1" port="6516" ruleset="ocsf")
input(type="imudp" address="127.0.0.1" port="6515" ruleset="cef")
template(name="raw" type="string" string="%msg%\n")
template(name="hdr" type="string" string="%hostname% %app-name% %msgid% %structured-data%\n")
ruleset(name="json") { action(type="omfile" file="$RS/json.log" template="raw") }
ruleset(name="ocsf") { action(type="omfile" file="$RS/ocsf.log" template="raw") }
ruleset(name="cef") {
	action(type="omfile" file="$RS/cef.log" template="raw")
	action(type="omfile" file="$RS/cef.hdr" template="hdr")
}
EOF
cat >/tmp/jitgated.json <<EOF
{
  "sinks": [
    {"type": "syslog", "transport": "tcp", "address": "127.0.0.1:6514", "format": "json"},
    {"type": "syslog", "transport": "tcp", "address": "127.0.0.1:6516", "format": "ocsf"},
    {"type": "syslog", "transport": "udp", "address": "127.0.0.1:6515", "format": "cef"},
    {"type": "file", "path": "$CEF_FILE", "format": "cef"}
  ]
}
EOF
start_rsyslog 6516

# Made before the gate protects the tree: a file name with a newline and a forged syslog
# header and CEF record after it, the CEF and SD delimiters, an escape sequence and bytes that
# are not UTF-8 (\377, an overlong /); a name holds no /, so the forged extension is duser=.
EVIL=$(printf '/srv/prod/secrets/x\n<13>1 2026-01-01T00:00:00Z forged jitgate - access.allow [jitgate@32473 seq="1"] CEF:0|fake|fake|1|x|y|1|src=6.6.6.6 duser=root\\|a=b]c"d\033[2J\377\300\257')
printf 'x' >"$EVIL"
chmod 0666 "$EVIL"
ok "the hostile file exists under the protected tree" test -f "$EVIL"

start_daemon "$TESTDIR/policy-gate.json" --config /tmp/jitgated.json || finish

# alice's shell renames itself (comm: 15 bytes) and opens the file itself: denied
as_user alice sh -c 'printf "a\nb|c=d]e\"f\\\\\033" >/proc/self/comm; exec 3<"$1"' sh "$EVIL" 2>/dev/null
ok "alice's open of it is denied" test "$?" -ne 0
# an admin's reason with every delimiter (control characters in a reason are refused)
g=$(jitgate grant --user bob --allow prod-secrets:read --for 10m \
	--reason 'INC-86 a|b=c\d]e"f CEF:0|fake|x| msg=forged [jitgate@32473 seq="1"]')
expect_eq "a reason with | = \\ ] \" is taken as text ($g)" "${g%%-*}" g
jitgate grant --user bob --allow prod-secrets:read --for 10m --reason "$(printf 'INC-86\nCEF:0|fake')" 2>/tmp/err
expect_eq "a reason with a newline is refused" "$?" 1
expect_contains "saying why" /tmp/err "the reason has a control character (U+000A)"
jitgate revoke "$g" >/dev/null
settle

n=$(lines "$AUDIT")
last=$(sed -n '$s/^{"seq":\([0-9]*\),.*/\1/p' "$AUDIT")
expect_eq "audit log: one line per record ($n lines, last seq $last)" "$n" "$last"
ok "audit log: every line is one whole chained record" \
	sh -c "! grep -v '^{\"seq\":[0-9]*,.*,\"chain\":\"[0-9a-f]\{64\}\"}\$' $AUDIT"
ok "audit log: the chain verifies" jitgate audit verify "$AUDIT"
audit_has "audit log: the denial names the file, escaped (not UTF-8: U+FFFD)" \
	'"type":"access.deny"' '"path":"/srv/prod/secrets/x\n<13>1 2026-01-01T00:00:00Z forged' \
	'duser=root\\|a=b]c\"d\u001B[2J\uFFFD\uFFFD\uFFFD"'
audit_has "audit log: the comm, escaped" '"type":"access.deny"' '"comm":"a\nb|c=d]e\"f\\\u001B"'
ok "audit log: no raw byte outside printable ASCII" sh -c "! LC_ALL=C grep -q '[^ -~]' $AUDIT"

# ---------------------------------------------------------------- the sinks
for f in "$RS/json.log" "$RS/ocsf.log" "$RS/cef.log" "$RS/cef.hdr" "$CEF_FILE"; do
	wait_lines "$f" "$n"
done
expect_eq "rsyslog JSON over TCP: one line per record" "$(lines "$RS/json.log")" "$n"
ok "rsyslog JSON: the lines are the audit lines byte for byte" cmp -s "$AUDIT" "$RS/json.log"
expect_eq "rsyslog OCSF over TCP: one line per record" "$(lines "$RS/ocsf.log")" "$n"
ok "rsyslog OCSF: every line is one JSON object" sh -c "! grep -v '^{.*}\$' $RS/ocsf.log"
expect_eq "rsyslog CEF over UDP: one line per record" "$(lines "$RS/cef.log")" "$n"
expect_eq "CEF file sink: one line per record" "$(lines "$CEF_FILE")" "$n"
# CEF extension escapes: \ and = escaped, newline as \n, other controls and bytes that are
# not UTF-8 as \xNN; | needs none in an extension
# (the bytes that are not UTF-8 became U+FFFD when the kernel's record was read: valid UTF-8,
# which CEF carries as it is)
CEF_PATH='filePath=/srv/prod/secrets/x\n<13>1 2026-01-01T00:00:00Z forged jitgate - access.allow [jitgate@32473 seq\="1"] CEF:0|fake|fake|1|x|y|1|src\=6.6.6.6 duser\=root\\|a\=b]c"d\x1B[2J'
CEF_PATH="$CEF_PATH$(printf '\357\277\275\357\277\275\357\277\275') "
CTRL=$(printf '[\001-\037\177]')
for f in "$RS/cef.log" "$CEF_FILE"; do
	expect_eq "$f: every line starts with jitgate's CEF header" \
		"$(grep -c '^CEF:0|jitgate|jitgate|' "$f")" "$n"
	ok "$f: no forged CEF header" sh -c "! grep -q '^CEF:0|fake' $f"
	ok "$f: no forged extension (src=, duser=)" \
		sh -c "! grep -q -e '[ |]src=6' -e ' duser=root' $f"
	ok "$f: no raw control character" sh -c "! LC_ALL=C grep -q '$CTRL' $f"
	ok "$f: the path is there, escaped (\\n, \\=, \\\\, \\x1B)" grep -qF -- "$CEF_PATH" "$f"
done
ok "rsyslog parsed jitgate's header for every CEF record: host, app, type, one SD element" \
	sh -c "! grep -v '^[^ ]* jitgate [a-z._]* \[jitgate@32473 seq=\"[0-9]*\"\]\$' $RS/cef.hdr"
ok "no record was parsed as the forged access.allow" sh -c "! grep -q ' forged ' $RS/cef.hdr"
stop_daemon
kill "$RS_PID" 2>/dev/null
finish
