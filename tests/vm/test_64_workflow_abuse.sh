#!/bin/sh
# vm-args: --timeout 600
# Abuse of the workflow by a local user, and of the kernel grant map behind the daemon:
# - TOTP guessing: N wrong codes lock the user's MFA (faillock style); while locked even the
#   right code is refused unchecked; the lock survives a restart and is lifted by an admin
#   or by time; a right code resets the count; mfa.fail / mfa.lockout / mfa.unlock audited.
# - request flooding: a pending cap, a rate limit, a reason length and no control
#   characters; refusals summarised (request.refused) and the ledger does not grow.
# - forged grants: an entry written straight into the pinned map is removed within about a
#   second and audited (grant.forged), one granting more than the ledger is corrected, and
#   a live grant's entry deleted behind the daemon comes back (grant.restored).
. "${0%/*}/lib.sh"
. "${0%/*}/fixture.sh"

SECRET=/srv/prod/secrets/db.pw
TOOL=/srv/prod/bin/prodctl
PIN=/sys/fs/bpf/jitgate
LEDGER=/var/lib/jitgate/ledger.db
make_tree

cat >/tmp/policy.json <<'EOF'
{
  "version": 1,
  "resources": {
    "prod-secrets": { "files": ["/srv/prod/secrets"] },
    "prod-tools": { "exec": ["/srv/prod/bin/prodctl"] }
  },
  "roles": {
    "role-a": { "allow": { "prod-secrets": ["read"] },
                "requesters": ["group:sre", "user:dave"], "approvers": ["user:bob"] },
    "role-b": { "allow": { "prod-secrets": ["read"] },
                "requesters": ["group:sre", "user:dave"], "approvers": ["user:bob"] },
    "role-c": { "allow": { "prod-secrets": ["read"] },
                "requesters": ["group:sre", "user:dave"], "approvers": ["user:bob"] },
    "mfa-debug": { "allow": { "prod-secrets": ["read"] },
                   "requesters": ["group:sre"], "approvers": ["user:bob"],
                   "require_mfa": true }
  }
}
EOF
cat >/tmp/jitgated.json <<'EOF'
{
  "mfa_lockout": { "deny": 3, "fail_interval": "10m", "unlock_time": "60s" },
  "requests": { "max_pending": 2, "rate": 6, "rate_window": "1h", "max_reason_bytes": 64 },
  "trusted_tools": ["/usr/local/bin/jg-bench"]
}
EOF
# jg-bench forges grants below as a trusted tool: the sealed gate gives writable
# descriptors of its maps to jitgated and the tools its config names, nobody else
start() { start_daemon /tmp/policy.json --config /tmp/jitgated.json; }
start || finish

# count TYPE [PATTERN]: audit lines of TYPE (and PATTERN)
count() {
	grep -F "\"type\":\"$1\"" "$AUDIT" | grep -cF -- "${2:-\"type\"}"
}
# otp_req CODE: alice asks for mfa-debug with CODE; stderr in /tmp/err
otp_req() {
	as_user alice jitgate request mfa-debug --reason "INC-64" --otp "$1" -q 2>/tmp/err
}

# ---------------------------------------------------------------- TOTP lockout
secret=$(jitgate mfa enroll alice --json | sed -n 's/.*"secret": *"\([A-Z2-7]*\)".*/\1/p')
code=$(jg-totp "$secret")
wrong=$(printf '%06d' $(( (1${code} + 1) % 1000000 )))
otp_req "$wrong"
expect_contains "wrong code 1: the running count" /tmp/err "failure 1 of 3 within 10m"
otp_req "$wrong"
expect_contains "wrong code 2" /tmp/err "failure 2 of 3"
otp_req "$wrong"
expect_contains "wrong code 3 locks MFA, saying until when" /tmp/err "MFA for alice is locked until"
fails "while locked the right code is refused" otp_req "$(jg-totp "$secret")"
expect_contains "unchecked, with a clear error" /tmp/err "is locked after 3 failed codes until .*no code is checked"
settle
expect_eq "audit: one mfa.fail per failure (3), none while locked" "$(count mfa.fail)" 3
audit_has "audit: mfa.fail carries the running count" '"type":"mfa.fail"' '"failures":3' '"deny":3'
audit_has "audit: mfa.lockout with the lock's end" '"type":"mfa.lockout"' '"user":"alice"' '"until":'
audit_has "audit: the locked attempt is a request.refused" '"type":"request.refused"' '"code":"ENOLCK"'
kill_daemon
start || finish
fails "after kill -9 and a restart the lock holds" otp_req "$(jg-totp "$secret")"
expect_contains "(the ledger kept it)" /tmp/err "is locked"
fails "alice cannot lift her own lock" as_user alice jitgate mfa unlock alice
ok "an admin lifts it" jitgate mfa unlock alice
settle
audit_has "audit: mfa.unlock by root" '"type":"mfa.unlock"' '"was_locked":true' '"failures":3' '"user":"root"'
ok "after the unlock the right code works" otp_req "$(jg-totp "$secret")"
rid=$(as_user alice jitgate requests --pending --json | sed -n 's/.*"id": *"\(r-[0-9]*\)".*/\1/p' | head -n1)
as_user alice jitgate cancel "$rid" >/dev/null 2>&1
# a right code after failures (not locked) resets the count
otp_req "$wrong"
otp_req "$wrong"
expect_contains "two failures counted" /tmp/err "failure 2 of 3"
ok "then a right code (the next step's)" otp_req "$(jg-totp "$secret" 1)"
rid=$(as_user alice jitgate requests --pending --json | sed -n 's/.*"id": *"\(r-[0-9]*\)".*/\1/p' | head -n1)
as_user alice jitgate cancel "$rid" >/dev/null 2>&1
otp_req "$wrong"
expect_contains "the count started again" /tmp/err "failure 1 of 3"
# lifted by time (unlock_time 60s: long enough that a slow restart above does not lift the first lock)
otp_req "$wrong"
otp_req "$wrong"
expect_contains "locked again" /tmp/err "is locked until"
fails "locked: refused" otp_req "$wrong"
expect_contains "unchecked" /tmp/err "no code is checked"
sleep 60.5
otp_req "$wrong"
expect_contains "after unlock_time the lock is gone: codes are checked again" /tmp/err "failure 1 of 3"

# ---------------------------------------------------------------- request flooding
as_user carol jitgate request role-a --reason "INC-64 a" -q >/dev/null
as_user carol jitgate request role-b --reason "INC-64 b" -q >/dev/null
as_user carol jitgate request role-c --reason "INC-64 c" 2>/tmp/err
expect_eq "a third pending request is refused" "$?" 1
expect_contains "saying why" /tmp/err "carol has 2 pending requests, the most one user may have"
settle
size0=$(cat $LEDGER $LEDGER-wal 2>/dev/null | wc -c)
lines0=$(wc -l <"$AUDIT")
i=0
while [ $i -lt 40 ]; do
	as_user carol jitgate request role-c --reason "INC-64 junk $i" -q >/dev/null 2>&1
	i=$((i + 1))
done
settle
size1=$(cat $LEDGER $LEDGER-wal 2>/dev/null | wc -c)
lines1=$(wc -l <"$AUDIT")
expect_eq "40 refused requests do not grow the ledger" "$size1" "$size0"
# counted for a summary a minute: at most one line more, should the loop take a minute
ok "nor the audit log by a line each ($lines0 -> $lines1 lines)" test $((lines1 - lines0)) -le 1
audit_has "audit: carol's first refusal went out at once" '"type":"request.refused"' \
	'"user":"carol"' '"count":1' '"code":"EDQUOT"' '"role":"role-c"'
stop_daemon
summed=$(grep -F '"type":"request.refused"' "$AUDIT" | grep -F '"user":"carol"' |
	grep -F '"summary":true' | sed -n 's/.*"count":\([0-9]*\).*/\1/p' | awk '{ s += $1 } END { print s + 0 }')
expect_eq "the summaries (the last at shutdown) count all 40" "$summed" 40
start || finish
# rate: 6 an hour
i=0
while [ $i -lt 6 ]; do
	r=$(as_user dave jitgate request role-a --reason "INC-64 rate $i" -q)
	as_user dave jitgate cancel "$r" >/dev/null
	i=$((i + 1))
done
as_user dave jitgate request role-a --reason "INC-64 rate 7" 2>/tmp/err
expect_eq "the 7th request within the hour is refused" "$?" 1
expect_contains "saying when the next is possible" /tmp/err "dave filed 6 requests within 1h, the most allowed; the next is possible at"
# reasons: length and control characters
long=$(printf '%065d' 0)
as_user alice jitgate request role-a --reason "$long" 2>/tmp/err
expect_contains "a 65-byte reason is refused (max_reason_bytes 64)" /tmp/err "the reason is 65 bytes, longer than the 64 allowed"
as_user alice jitgate request role-a --reason "$(printf 'INC-1\033[2J\033]0;x\007')" 2>/tmp/err
expect_contains "a reason with ESC is refused" /tmp/err "control character (U+001B) at byte 6"
as_user alice jitgate request role-a --reason "$(printf 'INC-1\nfake: line')" 2>/tmp/err
expect_contains "a reason with a newline is refused" /tmp/err "control character (U+000A)"
jitgate grant --user alice --allow prod-secrets:read --for 1m --reason "$(printf 'x\033y')" 2>/tmp/err
expect_contains "an admin's grant reason too" /tmp/err "control character (U+001B)"
as_user alice jitgate request role-a --reason "$(printf 'INC-1\tdetail')" -q >/dev/null 2>/tmp/err
expect_eq "a tab is fine" "$?" 0

# ---------------------------------------------------------------- forged grants
# the technique works with no daemon: a raw entry lets alice run the tool
stop_daemon
ok "no daemon: write alice's grants straight into the pinned map" jg-bench grant-raw $PIN 1000 600
expect_eq "no daemon: the forged grant lets alice exec" "$(probe alice exec $TOOL)" prodctl-ran
ok "remove them" jg-bench grant-raw $PIN 1000 delete
start || finish
expect_eq "daemon up: alice may not exec" "$(probe alice exec $TOOL)" EACCES
ok "daemon running: forge alice's grants behind it" jg-bench grant-raw $PIN 1000 600
wait_audit 15 '"type":"grant.forged"' '"resource":"prod-tools"'
expect_eq "within ~1 s the forged grant is gone: exec refused" "$(probe alice exec $TOOL)" EACCES
settle
audit_has "audit: grant.forged with subject, resource, perms, expiry" '"type":"grant.forged"' \
	'"user":"alice"' '"resource":"prod-tools"' '"perm":"exec"' '"expires":"' '"grant_id":"g-999999"' \
	'"action":"removed"'
jitgate status >/tmp/status.out 2>&1
expect_contains "status counts them" /tmp/status.out "forged grants removed"
# a live grant: an entry granting more is corrected, a deleted one restored
gid=$(jitgate grant --user alice --allow prod-tools:exec --for 10m --reason "INC-64 exec")
expect_eq "a real grant: alice execs" "$(probe alice exec $TOOL)" prodctl-ran
ok "overwrite it (and forge others) behind the daemon" jg-bench grant-raw $PIN 1000 600
wait_audit 15 '"type":"grant.corrected"' '"resource":"prod-tools"' '"action":"rewritten"'
expect_eq "the forged read is gone" "$(probe alice open $SECRET r)" EACCES
expect_eq "the real exec grant still works" "$(probe alice exec $TOOL)" prodctl-ran
settle
audit_has "audit: grant.corrected back to the ledger's value" '"type":"grant.corrected"' \
	'"resource":"prod-tools"' '"perm":"exec"' '"grant_id":"g-999999"' '"action":"rewritten"'
restored_before=$(grep -c '"type":"grant.restored"' "$AUDIT")
ok "delete the live grant's entry behind the daemon" jg-bench grant-raw $PIN 1000 delete
_n=0	# wait for the guard's next restore (the tick slips on a loaded emulator)
while [ "$(grep -c '"type":"grant.restored"' "$AUDIT")" -le "$restored_before" ] && [ $_n -lt 150 ]; do
	sleep 0.1
	_n=$((_n + 1))
done
expect_eq "it came back: alice execs" "$(probe alice exec $TOOL)" prodctl-ran
settle
audit_has "audit: grant.restored" '"type":"grant.restored"' "\"grant_id\":\"$gid\"" \
	'"resource":"prod-tools"' '"user":"alice"'
jitgate status --json >/tmp/status.json
ok "status --json: forged, corrected, restored" sh -c "tr -d '\n ' </tmp/status.json |
	grep -q '\"forged\":[1-9][0-9]*,\"corrected\":[1-9][0-9]*,\"restored\":[1-9]'"
ok "the audit chain verifies" jitgate audit verify "$AUDIT"
stop_daemon
finish
