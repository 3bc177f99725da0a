#!/bin/sh
# vm-args: --timeout 900
# One local user tries to wear the daemon down through its socket: hundreds of connections,
# an oversized request, a request that never ends, a byte a second, hundreds of requests in
# a burst, a huge reason, JSON nested thousands deep, more pending requests than allowed.
# Each is refused with one clear JSON error and counted (status: daemon.clients); while it
# goes on an admin's `jitgate list` still answers (the time is printed; the bound is loose
# on purpose, the emulator is slow), another user is not limited by dave's rate, jitgated's
# memory stays bounded (VmRSS before and after), and the refused junk leaves the ledger as
# it was and the audit log with a summary (client.drop, once a minute), not a line each.
. "${0%/*}/lib.sh"
. "${0%/*}/fixture.sh"

LEDGER=/var/lib/jitgate/ledger.db
make_tree
sed -e "s/WINDOW/Mon-Sun 00:00-24:00/" "$TESTDIR/policy-workflow.json" >/tmp/policy.json
cat >/tmp/jitgated.json <<'EOF'
{ "client_rate": 5, "client_burst": 20,
  "requests": { "max_pending": 2, "max_reason_bytes": 256 } }
EOF

now_ms() {
	read -r _up _ </proc/uptime
	echo "${_up%.*}${_up#*.}0"
}
# cstat NAME: daemon.clients.NAME from `jitgate status --json` (root: never rate-limited)
cstat() {
	jitgate status --json | tr -d '\n ' | sed -n "s/.*\"clients\":{[^}]*\"$1\":\([0-9]*\).*/\1/p"
}
rss_kb() {
	awk '/^VmRSS:/ { print $2 }' "/proc/$DAEMON_PID/status"
}
# admin_list WHAT: root's `jitgate list` answers (exit 0) within a loose bound; prints the time
admin_list() {
	_t0=$(now_ms)
	timeout 30 jitgate list >/tmp/list.out 2>&1
	_rc=$?
	_dt=$(($(now_ms) - _t0))
	if [ "$_rc" -eq 0 ] && [ "$_dt" -le 10000 ]; then
		_vm_ok "an admin's list answers $1 ($_dt ms)"
	else
		_vm_not_ok "an admin's list answers $1" "exit $_rc after $_dt ms" /tmp/list.out
	fi
}
# wait_stat NAME MIN: until daemon.clients.NAME >= MIN (60 s at most)
wait_stat() {
	_i=0
	while [ $_i -lt 600 ] && [ "$(cstat "$1")" -lt "$2" ] 2>/dev/null; do
		sleep 0.1
		_i=$((_i + 1))
	done
}

echo '{ "client_burst": 0 }' >/tmp/bad.json
jitgated --config /tmp/bad.json --policy /tmp/policy.json 2>/tmp/err
expect_contains "a config with client_burst 0 is refused, naming the key" /tmp/err \
	'"client_burst" must be an integer between 1 and 1000000'

start_daemon /tmp/policy.json --config /tmp/jitgated.json || finish
settle
admin_list "before anything"
rss0=$(rss_kb)

# ---------------------------------------------------------------- hundreds of connections
as_user dave jg-client idle 200 8 >/tmp/idle.out 2>&1 &
idle=$!
wait_stat refused_uid 100
admin_list "while dave holds 8 connections and 192 more are refused"
wait "$idle"
diag "$(cat /tmp/idle.out)"
expect_contains "dave's 200 connections: past 8 each is refused at once with EBUSY" /tmp/idle.out \
	'first refusal: {"ok":false,"code":"EBUSY","error":"uid 1003 has 8 connections to jitgated open, the most one uid may have'

# ---------------------------------------------------------------- oversized, endless, slow
big=$(printf '{"v":1,"cmd":"status","args":{"x":"%070000d"}}' 0)
as_user carol jg-client send "$big" >/tmp/big.out 2>&1
expect_contains "a 70 kB request is refused: EPROTO, message longer than 65536 bytes" /tmp/big.out \
	'"code":"EPROTO","error":"message longer than 65536 bytes"'
as_user carol jg-client endless 60 >/tmp/endless.out 2>&1
diag "$(cat /tmp/endless.out)"
expect_contains "a request that never ends is cut off at the limit with the same error" \
	/tmp/endless.out 'answer: {"ok":false,"code":"EPROTO","error":"message longer than 65536 bytes"}'
as_user carol jg-client slow '{"v":1,"cmd":"status","args":{}}' 4 >/tmp/slow.out 2>&1
diag "$(cat /tmp/slow.out)"
expect_contains "one byte a second: dropped at the read deadline (2 s), saying so" /tmp/slow.out \
	'first answer: {"ok":false,"code":"ETIMEDOUT","error":"no complete request within 2000 ms"}'

# ---------------------------------------------------------------- deep JSON, huge reason
deep="{\"v\":1,\"cmd\":\"status\",\"args\":{\"a\":$(printf '%020000d' 0 | tr 0 '[')$(printf '%020000d' 0 | tr 0 ']')}}"
as_user carol jg-client send "$deep" >/tmp/deep.out 2>&1
expect_contains "JSON nested 20000 deep is refused before it is parsed" /tmp/deep.out \
	'"code":"EPROTO","error":"message nests arrays and objects deeper than 32 levels"'
huge=$(printf '%060000d' 0)
as_user alice jitgate request db-debug --reason "INC-67 $huge" 2>/tmp/err
expect_eq "a 60 kB reason is refused" "$?" 1
expect_contains "saying how long it is and what is allowed" /tmp/err \
	"the reason is 60007 bytes, longer than the 256 allowed"

# ---------------------------------------------------------------- pending cap
r1=$(as_user alice jitgate request db-debug --reason "INC-67 one" -q)
r2=$(as_user alice jitgate request two-man --reason "INC-67 two" -q)
expect_eq "alice files two pending requests" "${r1%%-*}${r2%%-*}" rr
as_user alice jitgate request quick-ttl --reason "INC-67 three" 2>/tmp/err
expect_eq "a third pending request is refused (max_pending 2)" "$?" 1
expect_contains "EDQUOT, saying why" /tmp/err "alice has 2 pending requests, the most one user may have"
as_user alice jitgate cancel "$r1" >/dev/null
as_user alice jitgate cancel "$r2" >/dev/null

# ---------------------------------------------------------------- a burst of requests
settle
size0=$(cat $LEDGER $LEDGER-wal 2>/dev/null | wc -c)
lines1=$(wc -l <"$AUDIT")
t0=$(now_ms)
as_user dave jg-client flood '{"v":1,"cmd":"status","args":{}}' 400 >/tmp/flood.out 2>&1
secs=$((($(now_ms) - t0) / 1000 + 1))
diag "$(cat /tmp/flood.out) (in about $secs s)"
nok=$(sed -n 's/^flood: [0-9]* sent, \([0-9]*\) ok.*/\1/p' /tmp/flood.out)
nref=$(sed -n 's/^flood: [0-9]* sent, [0-9]* ok, \([0-9]*\) refused.*/\1/p' /tmp/flood.out)
ok "dave's 400 requests: the most 20 at once and 5 a second are served ($nok in ~$secs s)" \
	test "${nok:-999}" -le $((20 + 5 * secs + 5))
ok "the rest are refused ($nref)" test "${nref:-0}" -ge 1
expect_contains "with EAGAIN and one sentence" /tmp/flood.out \
	'first refusal: {"ok":false,"code":"EAGAIN","error":"uid 1003 sent more than 5 requests a second (20 at once) to jitgated, the most one uid may; nothing was read; try again in a second"}'
ok "alice is not limited by dave's rate" as_user alice jitgate status
admin_list "right after the burst"
refr=$(cstat refused_rate)
ok "status counts the refusals (refused_rate $refr)" test "${refr:-0}" -ge "${nref:-1}"

# ---------------------------------------------------------------- what is left
settle
diag "daemon.clients: $(jitgate status --json | tr -d '\n ' | sed -n 's/.*"clients":\({[^}]*}\).*/\1/p')"
size1=$(cat $LEDGER $LEDGER-wal 2>/dev/null | wc -c)
expect_eq "the refused burst did not grow the ledger" "$size1" "$size0"
lines2=$(wc -l <"$AUDIT")
ok "nor the audit log by a line each ($lines1 -> $lines2 lines for $nref refusals)" \
	test $((lines2 - lines1)) -le 2
rss1=$(rss_kb)
# the same again (by bob): buffers are reused, so memory does not grow with the abuse
as_user bob jg-client idle 200 4 >/dev/null 2>&1
as_user bob jg-client send "$big" >/dev/null 2>&1
as_user bob jg-client endless 60 >/dev/null 2>&1
as_user bob jg-client send "$deep" >/dev/null 2>&1
as_user bob jg-client flood '{"v":1,"cmd":"status","args":{}}' 200 >/dev/null 2>&1
settle
rss2=$(rss_kb)
diag "jitgated VmRSS: $rss0 kB at start, $rss1 kB after the abuse, $rss2 kB after a second round"
ok "jitgated's memory stays bounded: the first round adds at most 32 MiB ($rss0 -> $rss1 kB)" \
	test "$rss1" -le $((rss0 + 32768))
ok "and a second round at most 4 MiB more ($rss1 -> $rss2 kB)" test "$rss2" -le $((rss1 + 4096))
ok "no connection is left open but ours" test "$(cstat open)" -le 1
ok "the daemon still serves everyone: carol's list" as_user carol jitgate list
refr=$(cstat refused_rate)
bad=$(cstat bad_requests)
stop_daemon
# the last summary goes out at exit: the summaries add up to the counters
sum_of() {
	sed -n 's/.*"type":"client.drop","refused_rate":\([0-9]*\),"bad_requests":\([0-9]*\),.*/\1 \2/p' \
		"$AUDIT" | awk -v f="$1" '{ s += (f == "refused_rate" ? $1 : $2) } END { print s + 0 }'
}
ndrop=$(grep -c '"type":"client.drop"' "$AUDIT")
ok "refusals are summed up in few client.drop records ($ndrop), not one each" test "$ndrop" -le 4
expect_eq "their refused_rate adds up to the counter" "$(sum_of refused_rate)" "$refr"
expect_eq "their bad_requests add up to the counter" "$(sum_of bad_requests)" "$bad"
audit_has "audit: client.drop names dave's uid first with his refusals" '"type":"client.drop"' \
	'"uids":[{"uid":1003,"refused_rate":'
audit_has "and carol's bad requests" '"type":"client.drop"' '{"uid":1002,"refused_rate":0,"bad_requests":'
finish
