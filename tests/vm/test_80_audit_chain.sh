#!/bin/sh
# vm-args: --timeout 600
# The audit log's hash chain: size-based rotation into .gz files, a restart after kill -9 and
# after a crash mid-line, reopen on SIGHUP, tampering found in copies, and audit tail.
. "${0%/*}/lib.sh"
. "${0%/*}/fixture.sh"

SECRET=/srv/prod/secrets/db.pw
HEAD=/var/lib/jitgate/audit.head
T=/tmp/tamper
make_tree
printf '{"audit_max_bytes": 8192, "audit_keep": 3}\n' >/tmp/jitgated.json
start_daemon "$TESTDIR/policy-gate.json" --config /tmp/jitgated.json || finish

# --- events (denials, grants, revocations): about 135 records, 8 KiB files, 8 rotations
i=0
while [ $i -lt 45 ]; do
	probe alice open $SECRET r >/dev/null
	gid=$(jitgate grant --user bob --allow prod-secrets:read --for 5m --reason "INC-$i: check")
	jitgate revoke "$gid" >/dev/null
	i=$((i + 1))
done
settle
ok "rotated: audit.jsonl.1.gz" test -s $AUDIT.1.gz
ok "rotated: audit.jsonl.3.gz" test -s $AUDIT.3.gz
ok "only audit_keep (3) rotated files are kept" sh -c "! test -e $AUDIT.4.gz"
ok "no uncompressed rotated file is left" sh -c "! test -e $AUDIT.1"
ok "rotated files are gzip" sh -c "zcat $AUDIT.1.gz | head -n 1 | grep -q '^{\"seq\":'"
ok "the live file stays under audit_max_bytes" test "$(wc -c <$AUDIT)" -le 8192
expect_eq "the head file is root's only" "$(stat -c %a $HEAD)" 600
ok "audit verify: the whole set, oldest first" jitgate audit verify
jitgate audit verify >/tmp/verify.out 2>&1
expect_contains "each file says chain intact" /tmp/verify.out "^$AUDIT.3.gz: [0-9]* records, seq [0-9]*-[0-9]*, chain intact"
expect_contains "and the live file" /tmp/verify.out "^$AUDIT: [0-9]* records, seq [0-9]*-[0-9]*, chain intact"
expect_contains "the end is compared with the head" /tmp/verify.out "^head: seq [0-9]* matches $HEAD"
ok "explicit files in chain order verify" jitgate audit verify $AUDIT.3.gz $AUDIT.2.gz $AUDIT.1.gz $AUDIT
ok "--json says ok" sh -c "jitgate audit verify --json | grep -q '\"ok\": true'"

# --- a crash: kill -9, restart; the chain goes on
kill_daemon
start_daemon "$TESTDIR/policy-gate.json" --config /tmp/jitgated.json || finish
probe alice open $SECRET r >/dev/null
settle
ok "after kill -9 and restart: still verifies" jitgate audit verify
audit_has "the restart is in the log" '"type":"daemon.start"'

# --- a crash mid-write: an incomplete last line is accounted for after the restart
kill_daemon
partial='{"seq":999999,"time":"2026-'
printf '%s' "$partial" >>$AUDIT
fails "an incomplete last line fails verify" jitgate audit verify
jitgate audit verify >/tmp/verify.out 2>&1
expect_contains "and is named as truncated" /tmp/verify.out "^$AUDIT:[0-9]*: after seq [0-9]*: truncated record (${#partial} bytes without a newline)"
start_daemon "$TESTDIR/policy-gate.json" --config /tmp/jitgated.json || finish
settle
audit_has "the restart writes audit.partial" '"type":"audit.partial"' "\"partial_bytes\":${#partial}"
ok "after the restart it verifies again" jitgate audit verify

# --- tampering, in plain copies (the originals stay intact); a2 holds about 15 records
rm -rf $T
mkdir -p $T
fresh() {
	zcat $AUDIT.3.gz >$T/a3
	zcat $AUDIT.2.gz >$T/a2
	zcat $AUDIT.1.gz >$T/a1
	cp $AUDIT $T/live
}
files="$T/a3 $T/a2 $T/a1 $T/live"
fresh
ok "the copies verify" jitgate audit verify $files
ok "copies: the head is not compared (not jitgated's log)" sh -c "jitgate audit verify $files | grep -q '^head: not compared'"

sed -i '3s/"host":"[^"]*"/"host":"forged"/' $T/a2
jitgate audit verify $files >/tmp/verify.out 2>&1
expect_eq "an edited record fails" "$?" 1
seq3=$(zcat $AUDIT.2.gz | sed -n '3s/^{"seq":\([0-9]*\),.*/\1/p')
expect_contains "verify names the edited record" /tmp/verify.out "^$T/a2:3: record seq $seq3: its content does not match its chain value"
fresh

sed -i 4d $T/a2
jitgate audit verify $files >/tmp/verify.out 2>&1
expect_eq "a deleted record fails" "$?" 1
expect_contains "verify names where it is missing" /tmp/verify.out "^$T/a2:4: record seq [0-9]*: comes after seq [0-9]*: seq [0-9]* missing"
fresh

sed -n '5p' $T/a2 >/tmp/line5
sed -i '5d' $T/a2
sed -i "5r /tmp/line5" $T/a2
jitgate audit verify $files >/tmp/verify.out 2>&1
expect_eq "swapped records fail" "$?" 1
expect_contains "verify names the first out of place" /tmp/verify.out "^$T/a2:5: record seq"
fresh

size=$(wc -c <$T/a2)
zcat $AUDIT.2.gz | head -c $((size - 40)) >$T/a2
jitgate audit verify $files >/tmp/verify.out 2>&1
expect_eq "a file cut mid-line fails" "$?" 1
expect_contains "verify names the truncated record" /tmp/verify.out "^$T/a2:[0-9]*: after seq [0-9]*: truncated record (.* bytes without a newline)"
fresh

sed -i '$d' $T/a2
jitgate audit verify $files >/tmp/verify.out 2>&1
expect_eq "the last record cut from a rotated file fails" "$?" 1
expect_contains "at the first record of the next file" /tmp/verify.out "^$T/a1:1: record seq"
fresh

sed -i '$d' $T/live
ok "records cut from the end of a copy: the copy alone passes" jitgate audit verify $files
jitgate audit verify --head-file $HEAD $files >/tmp/verify.out 2>&1
expect_eq "but not against jitgated's head" "$?" 1
expect_contains "which says records were removed from the end" /tmp/verify.out "the log ends at seq [0-9]* but the head is seq [0-9]*: records removed from the end"
hs=$(cut -d' ' -f1 $HEAD | sed 's/^0*//'):$(cut -d' ' -f2 $HEAD)
fails "nor against --head SEQ:HEX" jitgate audit verify --head "$hs" $files
ok "the original passes --head SEQ:HEX" jitgate audit verify --head "$hs"

# --- logrotate: move the file, SIGHUP; the new file continues seq and chain
mv $AUDIT /var/log/jitgate/moved.jsonl
kill -HUP "$DAEMON_PID"
sleep 1
probe alice open $SECRET r >/dev/null
settle
ok "SIGHUP reopened the path" test -s $AUDIT
ok "the moved file and the new one verify in order" jitgate audit verify $AUDIT.3.gz $AUDIT.2.gz \
	$AUDIT.1.gz /var/log/jitgate/moved.jsonl $AUDIT

# --- tail: one readable line per event (of the live file)
for i in 1 2 3 4 5 6; do
	probe alice open $SECRET r >/dev/null
done
settle
jitgate audit tail -n 5 --type access. >/tmp/tail.out 2>&1
expect_eq "tail -n 5 --type access. prints 5 lines" "$(wc -l </tmp/tail.out)" 5
expect_contains "a readable denial" /tmp/tail.out "^[0-9-]* [0-9:]* #[0-9]* access.deny alice read $SECRET prod-secrets (jg-probe, pid [0-9]*)$"
expect_eq "only access events" "$(grep -vc ' access\.' /tmp/tail.out)" 0
jitgate audit tail -n 2 --file $AUDIT.1.gz --type grant.create >/tmp/tail.out 2>&1
expect_contains "tail reads a rotated .gz file" /tmp/tail.out "grant.create g-[0-9]* bob prod-secrets:read until [0-9:]* by root \"INC-[0-9]*: check\""
expect_eq "tail --json prints the records as written" \
	"$(jitgate audit tail -n 1 --json | grep -c '"chain":"[0-9a-f]*"}$')" 1
finish
