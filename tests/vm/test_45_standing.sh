#!/bin/sh
# Standing rules: a subject running one executable (or any) holds permissions without a
# grant. Only that subject, only through that program (by inode: a copy elsewhere is
# another program), group subjects by membership (listed and primary), files and connect,
# streamed as allows marked "standing", held by the kernel alone, and gone with a reload
# that drops the rule, without a gap for the rules that stay.
. "${0%/*}/lib.sh"
. "${0%/*}/fixture.sh"

SECRET=/srv/prod/secrets/db.pw
RULE_EXE=/opt/backup/jg-probe	# the rule's program
OTHER_EXE=/opt/other/jg-probe	# the same bytes, another inode
REPORT=/srv/reports/daily.txt
NOTES=/srv/team/notes.txt

make_tree
mkdir -p /opt/backup /opt/other /srv/reports /srv/team
cp "$(command -v jg-probe)" "$RULE_EXE"
cp "$(command -v jg-probe)" "$OTHER_EXE"
echo "daily" >"$REPORT"
echo "notes" >"$NOTES"
chmod 0777 /srv/reports /srv/team
chmod 0666 "$REPORT" "$NOTES"
jg-probe listen 127.0.0.1 7005 >/dev/null 2>&1 &
jg-probe listen ::1 7777 >/dev/null 2>&1 &
sleep 0.5

# Without the gate all of this works: the denials below are the gate's doing.
expect_eq "no gate: bob reads the secret with the rule's program" "$(as_user bob $RULE_EXE open $SECRET r)" ok
expect_eq "no gate: alice reads the secret with another program" "$(as_user alice $OTHER_EXE open $SECRET r)" ok
expect_eq "no gate: carol reads the reports" "$(probe carol open $REPORT r)" ok
expect_eq "no gate: alice reads the team notes" "$(probe alice open $NOTES r)" ok
expect_eq "no gate: bob connects" "$(as_user bob $RULE_EXE connect 127.0.0.1 7005)" ok

cp "$TESTDIR/policy-standing.json" /tmp/policy.json
start_daemon /tmp/policy.json || finish
sleep 1	# four daemon ticks: a re-check nothing needed would be detached by now
ok "standing rules, no grant: the descriptor re-check is attached and stays" \
	test -e /sys/fs/bpf/jitgate/link_file_permission

# --- user + exe: that subject, through that program, for those permissions
expect_eq "rule: alice reads the secret through the rule's program" \
	"$(as_user alice $RULE_EXE read $SECRET)" db-password
expect_eq "control: alice through a copy of it at another path (another inode) denied" \
	"$(as_user alice $OTHER_EXE open $SECRET r)" EACCES
expect_eq "control: alice through the usual jg-probe denied" "$(probe alice open $SECRET r)" EACCES
expect_eq "control: alice through cat denied" "$(as_user alice cat $SECRET >/dev/null 2>&1 && echo ok || echo denied)" denied
expect_eq "control: alice may not write through the rule's program (read only)" \
	"$(as_user alice $RULE_EXE open $SECRET w)" EACCES
expect_eq "control: bob with the rule's program denied" "$(as_user bob $RULE_EXE open $SECRET r)" EACCES
expect_eq "control: root (no loginuid) with the rule's program denied" "$($RULE_EXE open $SECRET r)" EACCES
expect_eq "rule: root with alice's loginuid is alice to the gate" \
	"$(with_loginuid 1000 $RULE_EXE open $SECRET r)" ok
expect_eq "control: alice with bob's loginuid is bob to the gate" \
	"$(with_loginuid 1001 as_user alice $RULE_EXE open $SECRET r)" EACCES

# --- a rule without exe: every program of that subject
expect_eq "rule without exe: dave reads with jg-probe" "$(probe dave read $REPORT)" daily
expect_eq "rule without exe: dave writes with jg-probe" "$(probe dave open $REPORT w)" ok
expect_eq "rule without exe: dave reads with cat" "$(as_user dave cat $REPORT)" daily
expect_eq "rule without exe: dave reads with the copy" "$(as_user dave $OTHER_EXE open $REPORT r)" ok
expect_eq "control: carol (no rule) denied" "$(probe carol open $REPORT r)" EACCES
expect_eq "control: alice (rule elsewhere) denied" "$(as_user alice $RULE_EXE open $REPORT r)" EACCES

# --- group subjects: listed members (sre-leads: bob) and primary members (carol's group)
expect_eq "group rule: bob (listed in sre-leads) reads the notes" "$(probe bob read $NOTES)" notes
expect_eq "control: bob may not write them (read only)" "$(probe bob open $NOTES w)" EACCES
expect_eq "control: alice (sre, not sre-leads) denied" "$(probe alice open $NOTES r)" EACCES
expect_eq "control: dave (no group) denied" "$(probe dave open $NOTES r)" EACCES
expect_eq "group rule: carol (primary group carol) writes the notes" "$(probe carol open $NOTES w)" ok
expect_eq "control: carol may not read them (write only)" "$(probe carol open $NOTES r)" EACCES

# --- connect
expect_eq "connect rule: alice through the rule's program (IPv4)" \
	"$(as_user alice $RULE_EXE connect 127.0.0.1 7005)" ok
expect_eq "connect rule: alice through the rule's program (IPv6)" \
	"$(as_user alice $RULE_EXE connect ::1 7777)" ok
expect_eq "control: alice through another program denied" "$(probe alice connect 127.0.0.1 7005)" EACCES
expect_eq "control: bob through the rule's program denied" \
	"$(as_user bob $RULE_EXE connect 127.0.0.1 7005)" EACCES

# --- a grant still says which grant; the standing rule does not reach other resources
gid=$(jitgate grant --user bob --allow backup-secrets:read --for 10m --reason "INC-9 restore")
expect_eq "grant: bob reads the secret with any program" "$(probe bob open $SECRET r)" ok
jitgate revoke "$gid" >/dev/null
expect_eq "revoked: bob denied again" "$(probe bob open $SECRET r)" EACCES

# --- the kernel alone holds the rules: the daemon dead, they still decide
settle
kill_daemon
expect_eq "daemon dead: alice still reads through the rule's program" \
	"$(as_user alice $RULE_EXE open $SECRET r)" ok
expect_eq "daemon dead: alice still denied through the copy" \
	"$(as_user alice $OTHER_EXE open $SECRET r)" EACCES
start_daemon /tmp/policy.json || finish
ok "restarted daemon adopted the pinned gate (standing map included)" grep -q "adopted the pinned gate" "$DAEMON_LOG"
expect_eq "after restart: alice reads through the rule's program" "$(as_user alice $RULE_EXE open $SECRET r)" ok

# --- reloads: no gap for the rules that stay, the removed rule's access ends
as_user dave sh -c "i=0; while [ \$i -lt 150 ]; do $OTHER_EXE open $REPORT r; i=\$((i + 1)); done" \
	>/tmp/dave-loop 2>&1 &
loop=$!
for n in 1 2 3 4; do
	jitgate policy reload >/dev/null || _vm_not_ok "reload $n during dave's reads" "failed"
done
wait "$loop"
expect_eq "reloads: dave's 150 reads during 4 reloads all allowed (no gap)" \
	"$(grep -c '^ok$' /tmp/dave-loop)" 150
# drop alice's rule: everything else is the same policy
sed '/"user:alice"/,/backup-target/d' "$TESTDIR/policy-standing.json" >/tmp/policy.json
ok "reload without alice's rule" jitgate policy reload
expect_eq "removed rule: alice denied through the rule's program" "$(as_user alice $RULE_EXE open $SECRET r)" EACCES
expect_eq "removed rule: alice's connect denied" "$(as_user alice $RULE_EXE connect 127.0.0.1 7005)" EACCES
expect_eq "kept rule: dave still reads" "$(probe dave open $REPORT r)" ok
expect_eq "kept rule: bob still reads the notes" "$(probe bob open $NOTES r)" ok
cp "$TESTDIR/policy-standing.json" /tmp/policy.json
ok "reload with the rule back" jitgate policy reload
expect_eq "rule back: alice reads through the rule's program" "$(as_user alice $RULE_EXE open $SECRET r)" ok

# --- a policy the host cannot resolve is refused whole
sed 's|"user:alice"|"user:nosuchuser"|' "$TESTDIR/policy-standing.json" >/tmp/policy.json
jitgate policy reload 2>/tmp/err
expect_eq "reload with an unknown user fails" "$?" 1
expect_contains "and names FILE:LINE:COLUMN and the user" /tmp/err '/tmp/policy.json:10:[0-9]*: standing rule 1: no user "nosuchuser"'
sed 's|"/opt/backup/jg-probe"|"/opt/backup/missing"|' "$TESTDIR/policy-standing.json" >/tmp/policy.json
jitgate policy reload 2>/tmp/err
expect_eq "reload with a missing executable fails" "$?" 1
expect_contains "and names FILE:LINE:COLUMN and the path" /tmp/err '/tmp/policy.json:10:[0-9]*: standing rule 1: cannot resolve the executable "/opt/backup/missing"'
expect_eq "refused reloads changed nothing: alice still reads" "$(as_user alice $RULE_EXE open $SECRET r)" ok
cp "$TESTDIR/policy-standing.json" /tmp/policy.json

# --- the audit log
settle
audit_has "audit: standing allow for alice's read, no grant" '"type":"access.allow"' '"hook":"file_open"' \
	'"resource":"backup-secrets"' '"user":"alice"' "\"exe\":\"$RULE_EXE\"" '"grant_id":null,"standing":true'
audit_has "audit: standing allow for alice's connect" '"type":"access.allow"' '"hook":"connect"' \
	'"resource":"backup-target"' '"standing":true'
audit_has "audit: standing allow for dave, any program" '"type":"access.allow"' '"resource":"reports"' \
	'"user":"dave"' '"exe":"/bin/busybox"' '"standing":true'
audit_has "audit: the copy's denial for alice" '"type":"access.deny"' '"resource":"backup-secrets"' \
	'"user":"alice"' "\"exe\":\"$OTHER_EXE\""
ok "audit: no denial is marked standing" sh -c "! grep '\"type\":\"access.deny\"' $AUDIT | grep -q standing"
ok "audit: no grant allow is marked standing" sh -c "! grep '\"grant_id\":\"g-' $AUDIT | grep -q '\"standing\"'"
audit_has "audit: bob's grant allow carries its id" '"type":"access.allow"' '"user":"bob"' "\"grant_id\":\"$gid\""
finish
