#!/bin/bash
# The full-system test, run inside the booted Debian guest by jitgate-systest.service after
# multi-user.target (scripts/systest.sh builds the image and reads the result). jitgate was
# installed with `dpkg -i`; systemd started jitgated at boot with the policy
# /etc/jitgate/policy.json (tests/systest/policy.json). Each check prints one line to the
# console, "ok - NAME" or "not ok - NAME (details)"; "# ..." lines are notes. The markers
# around them carry the nonce the host put in /etc/jitgate-systest/nonce.
set -u
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C.UTF-8

NONCE=$(cat /etc/jitgate-systest/nonce)
SECRET=/srv/secret/db.pw
EXTRA=/srv/extra/notes.txt
AUDIT=/var/log/jitgate/audit.jsonl
pass=0 fail=0
OUT=/tmp/systest.out

ok_() { pass=$((pass + 1)); echo "ok - $1"; }
not_ok() { # NAME DETAILS
	fail=$((fail + 1))
	echo "not ok - $1 ($2)"
	[ -s $OUT ] && tail -n 15 $OUT | sed 's/^/#   /'
	return 0
}
diag() { echo "# $*"; }
check() { # NAME CMD...: CMD exits 0
	local name=$1 rc
	shift
	("$@") >$OUT 2>&1
	rc=$?
	if ((rc == 0)); then ok_ "$name"; else not_ok "$name" "exit $rc: $*"; fi
}
expect_eq() { # NAME GOT WANT
	if [ "$2" = "$3" ]; then ok_ "$1"; else : >$OUT; not_ok "$1" "got '$2', want '$3'"; fi
}
expect_has() { # NAME GOT PATTERN (a grep -E pattern)
	if printf '%s\n' "$2" | grep -Eq -- "$3"; then ok_ "$1"; else
		printf '%s\n' "$2" >$OUT
		not_ok "$1" "no match for /$3/"
	fi
}

# as_alice CMD: CMD run by alice's login shell over ssh to localhost (key auth, so sshd's
# PAM stack with pam_loginuid makes her login uid 1000). Prints what it prints, stderr too.
as_alice() {
	ssh -n -i /root/.ssh/id_ed25519 -o BatchMode=yes -o StrictHostKeyChecking=no \
		-o UserKnownHostsFile=/dev/null -o LogLevel=ERROR alice@localhost "$@" 2>&1
}
# alice_reads FILE: "read" or the error cat printed
alice_reads() {
	local out
	out=$(as_alice "cat $1 >/dev/null && echo read")
	printf '%s\n' "${out##*: }"
}
wait_for() { # SECONDS CMD...: CMD succeeds within SECONDS
	local i
	for ((i = 0; i < $1 * 2; i++)); do
		"${@:2}" >/dev/null 2>&1 && return 0
		sleep 0.5
	done
	return 1
}
main_pid() { systemctl show -p MainPID --value jitgated; }
new_main_pid() { # OLD: jitgated active under another MainPID
	local p
	p=$(main_pid)
	[ "$p" != 0 ] && [ "$p" != "$1" ] && systemctl is-active -q jitgated
}

echo "@@JITGATE-SYSTEST-BEGIN:$NONCE@@"
diag "$(systemd-analyze 2>&1 | head -n 1)"
diag "kernel $(uname -r), lsm $(cat /sys/kernel/security/lsm), $(dpkg-query -W -f='${Package} ${Version}' jitgate)"

# --- the service, as systemd started it at boot
diag "[${SECONDS}s] the service, as systemd started it at boot"
check "jitgated is active after boot (systemctl is-active)" systemctl is-active -q jitgated
if ! systemctl is-active -q jitgated; then
	systemctl status --no-pager -l jitgated 2>&1 | sed 's/^/#   /'
	journalctl -b --no-pager -o short-monotonic -u jitgated 2>&1 | tail -n 40 | sed 's/^/#   /'
fi
diag "jitgated: $(systemctl show -p NRestarts -p ExecMainStartTimestampMonotonic -p ActiveEnterTimestampMonotonic jitgated | tr '\n' ' ')"
check "jitgated reports enforcing (jitgate status)" sh -c 'jitgate status | grep -qi enforc'

# --- a real login: alice over ssh, her login uid set by pam_loginuid
diag "[${SECONDS}s] a real login: alice over ssh, her login uid set by pam_loginuid"
expect_eq "alice logs in with ssh (key auth)" "$(as_alice id -un)" alice
expect_eq "her session's login uid is hers (pam_loginuid)" "$(as_alice cat /proc/self/loginuid)" 1000
expect_has "without a grant alice is refused the protected file" "$(alice_reads $SECRET)" \
	'Operation not permitted|Permission denied'
expect_eq "its mode lets anyone read it: the refusal is the gate's" "$(stat -c %a $SECRET)" 644

# the journal sink (tests/systest/jitgated.json): the denial is one journal entry, selectable
# by jitgate's MESSAGE_ID and its fields, at warning priority
JMSG=7c0b2b1e3f6a4d0e9a51c2d4e8f3a6b1
jdeny() { journalctl --no-pager -o cat MESSAGE_ID=$JMSG JITGATE_TYPE=access.deny \
	JITGATE_SUBJECT_USER=alice JITGATE_OBJECT_PATH=$SECRET | grep -q '"type":"access.deny"'; }
check "the journal sink: the denial is in the journal by MESSAGE_ID and fields" wait_for 10 jdeny
expect_eq "its entry is at warning priority (PRIORITY=4)" \
	"$(journalctl --no-pager -o verbose MESSAGE_ID=$JMSG JITGATE_TYPE=access.deny | sed -n 's/^ *PRIORITY=//p' | sort -u)" 4
expect_eq "its JITGATE_SEQ is the audit log's seq of that denial" \
	"$(journalctl --no-pager -o verbose MESSAGE_ID=$JMSG JITGATE_TYPE=access.deny JITGATE_OBJECT_PATH=$SECRET | sed -n 's/^ *JITGATE_SEQ=//p' | tail -n 1)" \
	"$(grep '"type":"access.deny"' $AUDIT | grep -F "\"path\":\"$SECRET\"" | tail -n 1 | sed -n 's/^{"seq":\([0-9]*\),.*/\1/p')"

gid=$(jitgate grant --user alice --allow secret:read --for 2m --reason "SYSTEST-1 read the secret" 2>$OUT)
expect_has "jitgate grant prints a grant id" "$gid" '^g-[0-9]+$'
expect_eq "with secret:read alice reads it" "$(alice_reads $SECRET)" read
check "jitgate revoke ends it" jitgate revoke "$gid"
expect_has "after revoke alice is refused again" "$(alice_reads $SECRET)" \
	'Operation not permitted|Permission denied'

# --- becoming root with sudo (sudoers lets alice; the elevate gate decides)
diag "[${SECONDS}s] becoming root with sudo (sudoers lets alice; the elevate gate decides)"
out=$(as_alice sudo -n -i id -u)
if [ "$out" != 0 ] && printf '%s\n' "$out" | grep -q 'Operation not permitted'; then
	ok_ "without root:elevate alice's sudo -i is refused (EPERM at the exec)"
else
	printf '%s\n' "$out" >$OUT
	not_ok "without root:elevate alice's sudo -i is refused (EPERM at the exec)" "got '$out'"
fi
gid=$(jitgate grant --user alice --allow root:elevate --for 2m --reason "SYSTEST-2 patch" 2>$OUT)
expect_has "jitgate grant root:elevate prints a grant id" "$gid" '^g-[0-9]+$'
expect_eq "with root:elevate alice's sudo -i runs as root" "$(as_alice sudo -n -i id -u)" 0
expect_has "her root shell is still alice to the file gate (login uid)" \
	"$(as_alice sudo -n -i cat $SECRET)" 'Operation not permitted|Permission denied'
jitgate revoke "$gid" >/dev/null 2>&1
expect_has "after revoke sudo is refused again" "$(as_alice sudo -n id -u)" 'Operation not permitted'

# --- SIGKILL: systemd restarts jitgated, it adopts the pinned gate, a grant still expires
diag "[${SECONDS}s] SIGKILL: systemd restarts jitgated, it adopts the pinned gate, a grant still expires"
old=$(main_pid)
gid=$(jitgate grant --user alice --allow secret:read --for 60s --reason "SYSTEST-3 expiry" 2>$OUT)
t_end=$(($(date +%s) + 60))
expect_has "a 60 s grant before the kill" "$gid" '^g-[0-9]+$'
systemctl kill -s KILL jitgated
check "systemd restarts jitgated after SIGKILL (new MainPID, active)" wait_for 60 new_main_pid "$old"
diag "MainPID $old -> $(main_pid), NRestarts=$(systemctl show -p NRestarts --value jitgated)"
last_start=$(grep '"daemon.start"' $AUDIT | tail -n 1)
expect_has "the restarted daemon adopted the pinned gate (daemon.start adopted=true)" \
	"$last_start" '"adopted": ?true'
expect_eq "the grant survives the restart: alice still reads" "$(alice_reads $SECRET)" read
check "jitgate list still shows the grant" sh -c "jitgate list | grep -q '$gid'"
left=$((t_end - $(date +%s)))
diag "waiting ${left}s for the grant's expiry"
((left > 0)) && sleep $left
sleep 2
expect_has "the grant expired on time (refused 2 s after its end)" "$(alice_reads $SECRET)" \
	'Operation not permitted|Permission denied'

# --- systemctl reload applies a new policy; a bad one is refused and changes nothing
diag "[${SECONDS}s] systemctl reload applies a new policy; a bad one is refused and changes nothing"
expect_eq "before the reload /srv/extra is not protected" "$(alice_reads $EXTRA)" read
cp /etc/jitgate/policy.json /tmp/policy.orig
cp /etc/jitgate-systest/policy-reload.json /etc/jitgate/policy.json
check "systemctl reload jitgated (new policy)" systemctl reload jitgated
expect_has "the new policy holds: alice is refused /srv/extra" "$(alice_reads $EXTRA)" \
	'Operation not permitted|Permission denied'
echo '{ "version": 1, "resources": { "broken": ' >/etc/jitgate/policy.json
if systemctl reload jitgated >$OUT 2>&1; then
	not_ok "a broken policy: systemctl reload fails" "it succeeded"
else
	ok_ "a broken policy: systemctl reload fails"
fi
check "jitgated is still active after the refused reload" systemctl is-active -q jitgated
expect_has "the running policy stays: /srv/extra still refused" "$(alice_reads $EXTRA)" \
	'Operation not permitted|Permission denied'
cp /etc/jitgate-systest/policy-reload.json /etc/jitgate/policy.json

# --- logrotate rotates the audit log (site rule, postrotate SIGUSR1); no record is lost
diag "[${SECONDS}s] logrotate rotates the audit log (site rule, postrotate SIGUSR1); no record is lost"
before=$(wc -l <$AUDIT)
check "logrotate -f rotates audit.jsonl" logrotate -f /etc/logrotate.d/jitgate-audit
check "the rotated file is there (audit.jsonl.1.gz)" test -s $AUDIT.1.gz
alice_reads $SECRET >/dev/null # a denial: a record written after the rotation
check "jitgated writes to the new audit.jsonl after SIGUSR1" wait_for 10 test -s $AUDIT
expect_eq "the rotated file holds every record from before" "$(zcat $AUDIT.1.gz | wc -l)" "$before"
check "jitgate audit verify across the rotated and the new file" jitgate audit verify $AUDIT.1.gz $AUDIT
diag "$(jitgate audit verify $AUDIT.1.gz $AUDIT 2>&1 | tail -n 1)"
seq_of() { sed -n 's/^{"seq":\([0-9]*\),.*/\1/p'; }
last=$(zcat $AUDIT.1.gz | tail -n 1 | seq_of)
first=$(head -n 1 $AUDIT | seq_of)
expect_eq "the new file's first seq follows the rotated file's last ($last)" "$first" "$((last + 1))"

# --- the journal holds the daemon's log
diag "[${SECONDS}s] the journal holds the daemon's log"
journalctl -u jitgated --no-pager -o cat >/tmp/journal.txt 2>&1
expect_has "journalctl -u jitgated has the daemon's ready line" "$(cat /tmp/journal.txt)" 'ready'
expect_has "the journal shows the restart after SIGKILL" \
	"$(journalctl -u jitgated --no-pager 2>&1)" 'status=9/KILL|signal=KILL'
diag "journal: $(wc -l </tmp/journal.txt) lines from jitgated"

# --- the package purges cleanly
diag "[${SECONDS}s] the package purges cleanly"
dpkg --purge jitgate >$OUT 2>&1
rc=$?
if ((rc == 0)); then ok_ "dpkg --purge jitgate"; else not_ok "dpkg --purge jitgate" "exit $rc"; fi
st=$(dpkg-query -W -f='${db:Status-Status}' jitgate 2>/dev/null)
expect_eq "dpkg no longer knows jitgate (status '$st')" "${st:-not-installed}" not-installed
check "jitgated is stopped" sh -c '! systemctl is-active -q jitgated'
check "the unit, the binaries and the BPF object are gone" sh -c \
	'! test -e /usr/lib/systemd/system/jitgated.service && ! test -e /lib/systemd/system/jitgated.service &&
	 ! test -e /usr/sbin/jitgated && ! test -e /usr/bin/jitgate && ! test -e /usr/lib/jitgate'
check "/etc/jitgate, /var/lib/jitgate and /var/log/jitgate are gone" sh -c \
	'! test -e /etc/jitgate && ! test -e /var/lib/jitgate && ! test -e /var/log/jitgate'
remains=$(find /etc/jitgate /var/lib/jitgate /var/log/jitgate /run/jitgate /etc/logrotate.d/jitgate \
	/usr/share/doc/jitgate -mindepth 0 2>/dev/null | tr '\n' ' ')
diag "what remains: ${remains:-nothing}"
expect_eq "of /run/jitgate only the canary remains" "$(ls -A /run/jitgate 2>/dev/null | tr '\n' ' ')" "canary "
expect_has "the gate stays loaded after the purge (fail closed)" "$(alice_reads $SECRET)" \
	'Operation not permitted|Permission denied'

echo "# $pass passed, $fail failed"
echo "@@JITGATE-SYSTEST-END:$NONCE:$fail@@"
# Off at once: the result is out, and a clean shutdown would wait on what the still-loaded
# gate protects (its pins under /sys/fs/bpf).
sync
echo o >/proc/sysrq-trigger
