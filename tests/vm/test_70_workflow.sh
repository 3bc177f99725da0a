#!/bin/sh
# The self-service workflow end to end against the real kernel: request, approval by another
# person, use, expiry; self-approval, two approvers, one deny, MFA (wrong and replayed codes),
# request ttl, schedules (a closed role refused, an auto-approved one clamped to its window),
# extension needing approval, notification hooks, history, and kill -9 mid-workflow.
. "${0%/*}/lib.sh"
. "${0%/*}/fixture.sh"

SECRET=/srv/prod/secrets/db.pw
make_tree

# A window open now for three more minutes (UTC), so the auto-approved grant is clamped to it.
h=$(date -u +%H); m=$(date -u +%M); h=${h#0}; m=${m#0}
now=$((h * 60 + m)); lo=$((now - 1)); hi=$((now + 3))
[ $lo -lt 0 ] && lo=0
[ $hi -gt 1440 ] && hi=1440
hhmm() { printf '%02d:%02d' $(($1 / 60)) $(($1 % 60)); }
sed -e "s/WINDOW/Mon-Sun $(hhmm $lo)-$(hhmm $hi)/" -e 's|"Europe/Berlin"|"UTC"|' \
	"$TESTDIR/policy-workflow.json" >/tmp/policy.json
start_daemon /tmp/policy.json || finish

# rec ID: the one-line JSON record of grant or request ID in stdin (a list reply)
rec() {
	tr -d '\n ' | sed 's/{"id":"/\n{"id":"/g' | grep "^{\"id\":\"$1\""
}
# grant_of RID: the live grant created by request RID
grant_of() {
	jitgate list --json | tr -d '\n ' | sed 's/{"id":"/\n{"id":"/g' |
		grep "\"request_id\":\"$1\"" | sed -n 's/^{"id":"\(g-[0-9]*\)".*/\1/p'
}
# left GID: remaining seconds of a live grant
left() {
	jitgate list --json | rec "$1" | sed -n 's/.*"remaining_s":\([0-9]*\).*/\1/p'
}

# --- alice requests, bob approves, alice reads, the grant expires, alice is denied
expect_eq "before any request alice is denied" "$(probe alice open $SECRET r)" EACCES
rid=$(as_user alice jitgate request db-debug --reason "INC-1 slow queries" -q)
expect_eq "request prints a request id" "${rid%%-*}" r
expect_eq "pending request grants nothing" "$(probe alice open $SECRET r)" EACCES
as_user bob jitgate requests --pending >/tmp/bob.txt 2>&1
ok "bob sees it as decidable" sh -c "grep '$rid' /tmp/bob.txt | grep -q '\*'"
fails "dave (not an approver) cannot approve" as_user dave jitgate approve "$rid"
fails "alice cannot approve her own request" as_user alice jitgate approve "$rid"
as_user alice jitgate approve "$rid" 2>/tmp/err
expect_contains "self-approval refusal says why" /tmp/err "cannot decide their own request"
as_user bob jitgate approve "$rid" --json >/tmp/approve.json
ok "bob approves: the reply carries the grant" grep -q '"grant"' /tmp/approve.json
gid=$(sed -n 's/.*"grant_id": *"\(g-[0-9]*\)".*/\1/p' /tmp/approve.json | head -n1)
expect_eq "after approval alice reads" "$(probe alice open $SECRET r)" ok
expect_eq "bob (the approver) is still denied" "$(probe bob open $SECRET r)" EACCES
fails "a second approval of a decided request" as_user bob jitgate approve "$rid"
sleep 5
expect_eq "after the 4 s duration alice is denied again" "$(probe alice open $SECRET r)" EACCES
settle
audit_has "audit: request.create with reason" '"type":"request.create"' "\"request_id\":\"$rid\"" '"reason":"INC-1 slow queries"'
audit_has "audit: request.approve by bob" '"type":"request.approve"' "\"request_id\":\"$rid\"" '"user":"bob"'
audit_has "audit: grant.create links request and grant" '"type":"grant.create"' "\"grant_id\":\"$gid\"" "\"request_id\":\"$rid\""
audit_has "audit: grant.expire" '"type":"grant.expire"' "\"grant_id\":\"$gid\""
audit_has "audit: the kernel allow carries the grant id" '"type":"access.allow"' "\"grant_id\":\"$gid\""

# --- who may ask
fails "dave (not in sre) cannot request db-debug" as_user dave jitgate request db-debug --reason x
fails "unknown role" as_user alice jitgate request no-such-role --reason x

# --- two approvers, distinct; one deny ends a request
rid=$(as_user alice jitgate request two-man --reason "INC-2 data fix" -q)
as_user bob jitgate approve "$rid" >/dev/null
expect_eq "one of two approvals grants nothing" "$(probe alice open $SECRET w)" EACCES
as_user bob jitgate approve "$rid" 2>/tmp/err
expect_contains "the same approver twice does not count" /tmp/err "approved request $rid already"
ok "carol gives the second approval" as_user carol jitgate approve "$rid"
expect_eq "two distinct approvals: alice writes" "$(probe alice open $SECRET w)" ok
gid2=$(grant_of "$rid")
ok "alice drops the two-approver grant ($gid2)" as_user alice jitgate drop "$gid2"
rid=$(as_user carol jitgate request two-man --reason "INC-3" -q)
ok "bob denies with a reason" as_user bob jitgate deny "$rid" --reason "not during the freeze"
fails "after a deny no approval counts" as_user alice jitgate approve "$rid"
expect_eq "carol stays denied" "$(probe carol open $SECRET r)" EACCES
as_user carol jitgate requests --json >/tmp/carol.json
rec "$rid" </tmp/carol.json >/tmp/carol.rec
ok "the requester sees the denial" grep -q '"state":"denied"' /tmp/carol.rec
as_user dave jitgate requests --json >/tmp/dave.json
fails "dave sees nothing of others' requests" grep -q '"id": *"r-' /tmp/dave.json

# --- extension is a new request and needs approval again
rid=$(as_user alice jitgate request db-debug --for 2m --reason "INC-4" -q)
as_user bob jitgate approve "$rid" >/dev/null
gid3=$(grant_of "$rid")
left1=$(left "$gid3")
ext=$(as_user alice jitgate extend "$gid3" --for 5m --reason "need more" -q)
expect_eq "extend makes a new request" "${ext%%-*}" r
left2=$(left "$gid3")
ok "unapproved, the grant keeps its time ($left1 s -> $left2 s)" test "$left2" -le "$left1"
fails "alice cannot approve her own extension" as_user alice jitgate approve "$ext"
ok "bob approves the extension" as_user bob jitgate approve "$ext"
left3=$(left "$gid3")
ok "approved, the grant has 5 more minutes ($left3 s)" test "$left3" -gt 400
fails "a second request for a role one holds is refused (extend instead)" \
	as_user alice jitgate request db-debug --reason again
ok "alice drops her grant early" as_user alice jitgate drop "$gid3"
expect_eq "dropped: alice denied" "$(probe alice open $SECRET r)" EACCES
settle
audit_has "audit: grant.extend" '"type":"grant.extend"' "\"grant_id\":\"$gid3\"" "\"request_id\":\"$ext\""
audit_has "audit: grant.drop" '"type":"grant.drop"' "\"grant_id\":\"$gid3\""

# --- MFA: wrong and replayed codes refused
secret=$(jitgate mfa enroll alice --json | sed -n 's/.*"secret": *"\([A-Z2-7]*\)".*/\1/p')
jitgate mfa enroll carol --qr >/tmp/enroll.txt 2>&1
ok "mfa enroll prints an otpauth URI" grep -q '^otpauth://totp/jitgate:carol?secret=' /tmp/enroll.txt
ok "and a QR code of it (--qr)" test "$(grep -c '█' /tmp/enroll.txt)" -gt 10
fails "alice cannot enrol herself" as_user alice jitgate mfa enroll alice
fails "MFA role without a code" as_user alice jitgate request mfa-debug --reason x
code=$(jg-totp "$secret")
wrong=$(printf '%06d' $(( (1${code} + 1) % 1000000 )))
as_user alice jitgate request mfa-debug --reason x --otp "$wrong" 2>/tmp/err
expect_contains "a wrong code is refused" /tmp/err "wrong MFA code"
rid=$(as_user alice jitgate request mfa-debug --reason "INC-5" --otp "$code" -q)
expect_eq "the right code makes a request" "${rid%%-*}" r
as_user alice jitgate cancel "$rid" >/dev/null
as_user alice jitgate request mfa-debug --reason "INC-5 again" --otp "$code" 2>/tmp/err
expect_contains "the same code again is refused (replay)" /tmp/err "used already"
settle
audit_has "audit: mfa.fail" '"type":"mfa.fail"' '"user":"alice"'
audit_has "audit: request.cancel" '"type":"request.cancel"' "\"request_id\":\"$rid\""
fails "the audit log holds no MFA secret" grep -q "$secret" "$AUDIT"

# --- request ttl
rid=$(as_user alice jitgate request quick-ttl --reason "INC-6" -q)
sleep 3.5
fails "an expired request cannot be approved" as_user bob jitgate approve "$rid"
ok "it shows as expired" sh -c "jitgate requests --json | tr -d '\n ' | grep -q '\"id\":\"$rid\"[^}]*\"state\":\"expired\"'"
settle
audit_has "audit: request.expire" '"type":"request.expire"' "\"request_id\":\"$rid\""

# --- schedules
as_user alice jitgate request closed --reason x 2>/tmp/err
expect_eq "a role outside its schedule is refused" "$?" 1
expect_contains "and the refusal names the schedule" /tmp/err "is available only"
as_user alice jitgate request shift --reason "night shift" --json >/tmp/shift.json
ok "inside its window an auto-approved role is granted at once" grep -q '"grant"' /tmp/shift.json
left=$(tr -d '\n ' </tmp/shift.json | sed -n 's/.*"remaining_s":\([0-9]*\).*/\1/p')
ok "and the 2h grant is clamped to the window's end ($left s)" test "$left" -le 240
expect_eq "the auto-approved grant works" "$(probe alice open /srv/staging/notes r)" ok
rid=$(as_user dave jitgate request shift --reason "contractor" -q)
expect_eq "dave is not in the auto_approve rule: pending" "${rid%%-*}" r
settle
audit_has "audit: auto approval names policy" '"type":"grant.create"' '"auto_approved":true' '"decided_by":"policy"'

# --- notification hooks: event JSON on stdin; a failing hook blocks nothing
ok "the hook got request.create" grep -q '"type":"request.create"' /tmp/notified
ok "the hook got request.deny" grep -q '"type":"request.deny"' /tmp/notified
ok "the hook got request.expire" grep -q '"type":"request.expire"' /tmp/notified
audit_has "a failing hook is audited" '"type":"notify.error"' '/nonexistent/pager'

# --- kill -9 mid-workflow: nothing lost
rid=$(as_user alice jitgate request db-debug --for 10m --reason "INC-7 crash test" -q)
kill_daemon
start_daemon /tmp/policy.json
ok "the pending request survived kill -9" sh -c "jitgate requests --pending | grep -q '$rid'"
ok "bob approves it after the restart" as_user bob jitgate approve "$rid"
expect_eq "alice reads" "$(probe alice open $SECRET r)" ok
kill_daemon
expect_eq "daemon dead: the grant still holds" "$(probe alice open $SECRET r)" ok
start_daemon /tmp/policy.json
ok "after a second kill -9 the grant is listed" sh -c "jitgate list --json | grep -q '\"request_id\": *\"$rid\"'"
expect_eq "and enforced" "$(probe alice open $SECRET r)" ok

# --- a crash after the ledger commit but before the audit line: the event is not lost
stop_daemon
export JITGATED_FAILPOINT=crash-after-commit
start_daemon /tmp/policy.json
unset JITGATED_FAILPOINT
as_user alice jitgate request two-man --reason "INC-8 crash window" -q >/dev/null 2>&1
wait "$DAEMON_PID" 2>/dev/null
fails "the failpoint killed jitgated right after the commit" kill -0 "$DAEMON_PID"
fails "so the audit log has no request.create for it yet" grep -q '"reason":"INC-8 crash window"' "$AUDIT"
start_daemon /tmp/policy.json
ok "the request is in the ledger" sh -c "jitgate requests --json | grep -q 'INC-8 crash window'"
audit_has "and its request.create went out at the restart, marked recovered" \
	'"type":"request.create"' '"reason":"INC-8 crash window"' '"recovered":true'
ok "the audit chain verifies" jitgate audit verify "$AUDIT"

# --- history: who had what, when, why, approved by whom
fails "alice may not read the history" as_user alice jitgate history
jitgate history --user alice --json >/tmp/history.json
ok "history lists alice's first grant" grep -q "\"id\": *\"$gid\"" /tmp/history.json
rec "$gid" </tmp/history.json >/tmp/h1
ok "with its approver" grep -q '"approvers":\[{"user":"bob"' /tmp/h1
ok "and how it ended" grep -q '"end":"expire"' /tmp/h1
ok "and why" grep -q '"reason":"INC-1slowqueries"' /tmp/h1
rec "$gid2" </tmp/history.json >/tmp/h2
ok "the two-approver grant lists both approvers" grep -q '"approvers":\[{"user":"bob".*{"user":"carol"' /tmp/h2
ok "and that its holder dropped it" grep -q '"end":"drop"' /tmp/h2
ok "history --resource filters" sh -c "jitgate history --resource staging --json | grep -q '\"staging\"'"
ok "history --since in the future is empty" sh -c "jitgate history --since 2099-01-01 --json | tr -d '\n ' | grep -q '\"grants\":\[\]'"
finish
