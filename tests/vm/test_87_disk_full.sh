#!/bin/sh
# vm-args: --timeout 600
# Disk full under the audit log and the ledger (a 2 MiB tmpfs holds both): a grant is
# refused with a clear error and created nowhere (no ledger row, no kernel entry); audit
# records the file cannot take are held in memory in order (status: audit.pending), those
# past audit_backlog_bytes are counted as lost, never numbered; the ledger's failures are
# counted (status: ledger) and audited. When space returns the held records are written,
# audit.recovered says how many were late and how many lost, the next grant works, and the
# chain verifies.
. "${0%/*}/lib.sh"
. "${0%/*}/fixture.sh"

SECRET=/srv/prod/secrets/db.pw
SMALL=/mnt/small
AUDIT=$SMALL/log/audit.jsonl
make_tree
mkdir -p $SMALL
mount -t tmpfs -o size=2m tmpfs $SMALL || { _vm_not_ok "a 2 MiB tmpfs is mounted" "mount failed"; finish; }
start_on_disk $SMALL 16384 || finish
read_under_grant "with room, alice reads under a grant" "INC-87 before"

# ---------------------------------------------------------------- fill the disk
dd if=/dev/zero of=$SMALL/fill bs=4096 2>/dev/null
diag "$(df -k $SMALL | tail -n 1)"
jitgate grant --user alice --allow prod-secrets:read --for 10m --reason "INC-87 full" >/tmp/g.out 2>/tmp/err
expect_eq "disk full: the grant is refused" "$?" 1
expect_contains "with a clear error naming the ledger and the cause" /tmp/err \
	"cannot record the grant in the ledger $SMALL/state/ledger.db: database or disk is full; nothing was granted"
expect_eq "nothing was granted in the kernel: alice is denied" "$(probe alice open $SECRET r)" EACCES
ok "and no grant is listed" sh -c "! jitgate list --json | grep -q '\"user\": *\"alice\"'"
ok "status counts the ledger's failure" test "$(st ledger write_errors)" -ge 1
expect_eq "status: the ledger is failing" "$(st ledger failing)" true

# Denials make audit records the full file cannot take: held, then (past 16 KiB) lost.
i=0
while [ $i -lt 300 ] && [ "$(st audit lost)" -lt 1 ] 2>/dev/null; do
	probe alice open $SECRET r >/dev/null
	probe alice open $SECRET r >/dev/null
	settle
	i=$((i + 1))
done
ok "the daemon runs on" kill -0 "$DAEMON_PID"
ok "and enforces: alice is still denied" test "$(probe alice open $SECRET r)" = EACCES
settle
pending=$(st audit pending)
lost=$(st audit lost)
diag "status audit: $(jitgate status --json | tr -d '\n ' | sed -n 's/.*"audit":\({[^}]*}\).*/\1/p')"
ok "records the file cannot take are held ($pending pending)" test "${pending:-0}" -ge 1
ok "those past audit_backlog_bytes are counted as lost ($lost)" test "${lost:-0}" -ge 1
expect_eq "status names the error" "$(st audit error)" "No space left on device"
jitgate status >/tmp/status.txt
diag "$(grep -e '^audit log' -e '^ledger' /tmp/status.txt)"
expect_contains "jitgate status says so in words: the audit log" /tmp/status.txt \
	"records held in memory .* lost since start; cannot be written: No space left on device"
expect_contains "and the ledger" /tmp/status.txt "changes are refused (writes failed since start: [0-9]*): .*database or disk is full"
grep -q "cannot be written\|database or disk is full" "$DAEMON_LOG"
expect_eq "the daemon's log says so too" "$?" 0

# ---------------------------------------------------------------- space returns
rm -f $SMALL/fill
ok "once space returns the held records are written (pending 0)" wait_st audit pending -eq 0
ok "and status names no error" sh -c "jitgate status --json | tr -d ' \n' | grep -q '\"audit\":{[^}]*\"error\":null'"
audit_has "audit: audit.write_error, numbered after the first line that failed" \
	'"type":"audit.write_error"' '"error":"No space left on device"'
audit_has "audit: audit.recovered says how many were late and how many lost" \
	'"type":"audit.recovered"' '"error":"No space left on device"' "\"lost\":$lost"
audit_has "audit: ledger.error names the failure" '"type":"ledger.error"' "$SMALL/state/ledger.db"
g2=$(jitgate grant --user alice --allow prod-secrets:read --for 10m --reason "INC-87 after")
expect_eq "the next grant works ($g2)" "${g2%%-*}" g
expect_eq "alice reads under it" "$(probe alice open $SECRET r)" ok
settle
audit_has "audit: ledger.recovered after the first write that worked" '"type":"ledger.recovered"' \
	'"failures":'
expect_eq "status: the ledger is healthy again" "$(st ledger failing)" false
ok "no grant without its ledger row: history has the two that were made" \
	sh -c "[ \$(jitgate history --user alice --json | grep -o '\"id\": *\"g-[0-9]*\"' | sort -u | wc -l) -eq 2 ]"
diag "$(grep -e '"type":"audit.write_error"' -e '"type":"audit.recovered"' -e '"type":"ledger.error"' -e '"type":"ledger.recovered"' $AUDIT)"
ok "the seq is gap-free" sh -c "grep -o '^{\"seq\":[0-9]*' $AUDIT | cut -d: -f2 | awk 'NR!=\$1{exit 1}'"
ok "no line is torn: each is one JSON record" sh -c "! grep -v '^{\"seq\":.*\"chain\":\"[0-9a-f]*\"}\$' $AUDIT"
ok "the audit chain verifies (jitgate audit verify)" \
	jitgate audit verify --head-file $SMALL/state/audit.head "$AUDIT"
stop_daemon
ok "after a clean stop it still verifies" \
	jitgate audit verify --head-file $SMALL/state/audit.head "$AUDIT"
umount $SMALL
finish
