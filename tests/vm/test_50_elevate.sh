#!/bin/sh
# Elevation gate: a non-root subject becomes root (setuid-root exec, setgid-root exec, file
# capabilities, setresuid to 0, busybox su) only with a live elevate grant; the except list
# exempts a program's setuid exec; revoke and expiry (daemon dead) end it; the root shell
# stays its loginuid to the file gate; and every exec under the grant is in the audit trail
# with argv and cwd.
. "${0%/*}/lib.sh"
. "${0%/*}/fixture.sh"

S=/opt/suid
SECRET=/srv/prod/secrets/db.pw
make_tree
mkdir -p $S
chmod 0755 $S
# jg-suid as setuid-root, setgid-root, file-capability (cap_setuid+ep) and except-listed
# copies; busybox setuid-root behind an "su" name (its applet is chosen by argv[0]).
for f in jg-suid passwd sgid capuid; do
	cp /usr/local/bin/jg-suid $S/$f
	chown root:root $S/$f
done
chmod 4755 $S/jg-suid $S/passwd
chmod 2755 $S/sgid
chmod 0755 $S/capuid
HAVE_CAPS=$(jg-suid setcap $S/capuid)
cp /bin/busybox $S/busybox
chown root:root $S/busybox
chmod 4755 $S/busybox
ln -s busybox $S/su
# busybox su asks no password for an account whose password field is empty
sed -i 's/^root:x:/root::/' /etc/passwd
chmod 0755 /srv/prod/secrets

ok "the initramfs filesystem keeps the setuid bit" sh -c "ls -l $S/jg-suid | grep -q '^-rwsr-xr-x'"
[ "$HAVE_CAPS" = ok ] || diag "no file capabilities here (setxattr security.capability: $HAVE_CAPS): that case is skipped"

cat >/tmp/policy-elevate.json <<EOF
{
  "version": 1,
  "resources": {
    "root": { "description": "becoming root", "elevate": { "except": ["$S/passwd"] } },
    "prod-secrets": { "files": ["/srv/prod/secrets"] }
  }
}
EOF

# alice_exec PROGRAM [ARGS]: alice execs PROGRAM itself (not through a shell); prints what
# it prints, or the errno name of a refused execve.
alice_exec() {
	as_user alice jg-suid exec "$@" 2>&1
}

# --- without the gate all of this works: the denials below are the gate's doing
expect_eq "no gate: alice's setuid exec gives euid 0" "$(alice_exec $S/jg-suid)" "uid=1000 euid=0"
expect_eq "no gate: alice's setuid helper makes uid 0" "$(alice_exec $S/jg-suid root id -u)" 0
touch /tmp/go
expect_eq "no gate: the same helper waiting for a file first" "$(alice_exec $S/jg-suid after /tmp/go root id -u)" 0
expect_eq "no gate: the setuid helper makes gid 0" "$(alice_exec $S/jg-suid after /tmp/go group)" 0
expect_eq "no gate: alice's setgid-root exec runs" "$(alice_exec $S/sgid)" "uid=1000 euid=1000"
if [ "$HAVE_CAPS" = ok ]; then
	expect_eq "no gate: alice's cap_setuid program makes uid 0" "$(alice_exec $S/capuid root id -u)" 0
fi
expect_eq "no gate: busybox su gives alice a root shell" "$(as_user alice $S/su -c 'id -u' root 2>&1)" 0
expect_eq "no gate: real sudo runs alice's command as root" "$(as_user alice sudo -n id -u 2>&1)" 0

# setuid helpers that got euid 0 before the gate was there (no session), and ask for
# uid 0 / gid 0 once it is: refused by task_fix_setuid / task_fix_setgid themselves
rm -f /tmp/go
/usr/bin/setpriv --reuid=1000 --regid=1000 --init-groups -- \
	jg-suid exec $S/jg-suid after /tmp/go root id -u >/tmp/early.out 2>&1 &
early=$!
/usr/bin/setpriv --reuid=1000 --regid=1000 --init-groups -- \
	jg-suid exec $S/jg-suid after /tmp/go group >/tmp/earlyg.out 2>&1 &
earlyg=$!
for _ in $(seq 100); do
	[ "$(readlink /proc/$early/exe 2>/dev/null)" = $S/jg-suid ] &&
		[ "$(readlink /proc/$earlyg/exe 2>/dev/null)" = $S/jg-suid ] && break
	sleep 0.1
done

start_daemon /tmp/policy-elevate.json || { finish; }
touch /tmp/go
wait $early
wait $earlyg
expect_eq "a setuid helper from before the gate: its setresuid(0,0,0) refused" "$(cat /tmp/early.out)" EPERM
expect_eq "a setuid helper from before the gate: its setresgid(0,0,0) refused" "$(cat /tmp/earlyg.out)" EPERM
rm -f /tmp/go
ok "status: enforcing" jitgate status
ok "no 'not enforced' warning for elevate any more" sh -c "! grep -q 'not enforced' $DAEMON_LOG"

# --- no grant: nothing makes alice root
expect_eq "no grant: setuid-root exec refused (EPERM)" "$(alice_exec $S/jg-suid)" EPERM
fails "no grant: setuid-root exec fails through setpriv too" as_user alice $S/jg-suid
expect_eq "no grant: setgid-root exec refused" "$(alice_exec $S/sgid)" EPERM
if [ "$HAVE_CAPS" = ok ]; then
	expect_eq "no grant: file-capability exec refused" "$(alice_exec $S/capuid root id -u)" EPERM
fi
out=$(as_user alice $S/su -c 'id -u' root 2>&1)
case $out in
*0) _vm_not_ok "no grant: busybox su refused" "got '$out'" ;;
*) _vm_ok "no grant: busybox su refused (id -u never ran as 0)" ;;
esac
out=$(as_user alice sudo -n id -u 2>&1)
case $out in
*"Operation not permitted"*) _vm_ok "no grant: real sudo refused at its exec (EPERM)" ;;
*) _vm_not_ok "no grant: real sudo refused at its exec (EPERM)" "got '$out'" ;;
esac
expect_eq "no grant: bob refused too" "$(as_user bob jg-suid exec $S/jg-suid 2>&1)" EPERM
expect_eq "no grant: alice's ordinary exec still works" "$(alice_exec /usr/local/bin/jg-suid)" "uid=1000 euid=1000"
expect_eq "except-listed setuid program runs without a grant" "$(alice_exec $S/passwd)" "uid=1000 euid=0"
expect_eq "except-listed program may setresuid(0,0,0) (it has euid 0; passwd does setuid(0))" \
	"$(alice_exec $S/passwd root id -u)" 0
expect_eq "root (loginuid unset) is not gated" "$($S/jg-suid root id -u)" 0

# --- a grant for alice
gid=$(jitgate grant --user alice --allow root:elevate --for 10m --reason "INC-7 patch the kernel")
case $gid in g-*) _vm_ok "grant prints an id ($gid)" ;; *) _vm_not_ok "grant prints an id" "got '$gid'" ;; esac
expect_eq "grant: setuid-root exec gives euid 0" "$(alice_exec $S/jg-suid)" "uid=1000 euid=0"
expect_eq "grant: setresuid(0,0,0) makes uid 0" "$(alice_exec $S/jg-suid root id -u)" 0
expect_eq "grant: setresgid(0,0,0) makes gid 0" "$(alice_exec $S/jg-suid group)" 0
expect_eq "grant: setgid-root exec runs" "$(alice_exec $S/sgid)" "uid=1000 euid=1000"
if [ "$HAVE_CAPS" = ok ]; then
	expect_eq "grant: file-capability program makes uid 0" "$(alice_exec $S/capuid root id -u)" 0
fi
expect_eq "grant: busybox su gives alice a root shell" "$(as_user alice $S/su -c 'id -u' root 2>&1)" 0
expect_eq "grant: real sudo runs alice's command as root" "$(as_user alice sudo -n id -u 2>&1)" 0
expect_eq "grant: sudo's root is still alice to the file gate (loginuid)" \
	"$(with_loginuid 1000 as_user alice sudo -n jg-probe open $SECRET r 2>&1)" EACCES
expect_eq "grant: bob's sudo still refused (his own subject)" \
	"$(as_user bob sudo -n id -u 2>&1 | grep -c 'Operation not permitted')" 1
expect_eq "grant: bob still refused" "$(as_user bob jg-suid exec $S/jg-suid 2>&1)" EPERM
expect_eq "grant: bob with alice's loginuid is alice" \
	"$(with_loginuid 1000 as_user bob jg-suid exec $S/jg-suid root id -u 2>&1)" 0

# The root shell alice got is still alice to the file gate (loginuid), and its execs are
# the session trail.
expect_eq "alice's root shell (loginuid 1000): the secret stays denied" \
	"$(with_loginuid 1000 as_user alice $S/jg-suid root jg-probe open $SECRET r)" EACCES
expect_eq "baseline: root with its own loginuid unset is denied too" "$(jg-probe open $SECRET r)" EACCES
gid_r=$(jitgate grant --user alice --allow prod-secrets:read --for 10m --reason "INC-7 read")
expect_eq "alice's root shell reads the secret with alice's read grant" \
	"$(with_loginuid 1000 as_user alice $S/jg-suid root jg-probe open $SECRET r)" ok
expect_eq "bob's root shell (loginuid 1001) does not get alice's read grant" \
	"$(jitgate grant --user bob --allow root:elevate --for 1m --reason t >/dev/null;
	   with_loginuid 1001 as_user bob $S/jg-suid root jg-probe open $SECRET r)" EACCES
jitgate revoke --user bob >/dev/null
jitgate revoke "$gid_r" >/dev/null
mkdir -p /srv/work
chmod 0777 /srv/work
expect_eq "trail: a command in alice's root shell" \
	"$(with_loginuid 1000 as_user alice sh -c "cd /srv/work && $S/jg-suid root /bin/echo trail-marker 'two words'")" \
	"trail-marker two words"

# --- revoke ends it at once
ok "revoke $gid" jitgate revoke "$gid"
expect_eq "revoked: setuid-root exec refused" "$(alice_exec $S/jg-suid)" EPERM
expect_eq "revoked: busybox su refused" "$(as_user alice $S/su -c 'id -u' root 2>/dev/null)" ""
expect_eq "revoked: real sudo refused" "$(as_user alice sudo -n id -u 2>/dev/null)" ""
settle
trails=$(grep -c '"type":"session.exec"' "$AUDIT")
alice_exec /usr/local/bin/jg-suid >/dev/null
settle
expect_eq "revoked: alice's execs leave the trail" "$(grep -c '"type":"session.exec"' "$AUDIT")" "$trails"

# late_start OUT ARGS...: alice's setuid helper under a grant, waiting for /tmp/go before it
# does ARGS (output in OUT, pid in $late); returns once the setuid copy runs.
late_start() {
	_out=$1
	shift
	rm -f /tmp/go
	# (setpriv itself, not as_user: $! must be the pid that execs)
	/usr/bin/setpriv --reuid=1000 --regid=1000 --init-groups -- \
		jg-suid exec $S/jg-suid after /tmp/go "$@" >"$_out" 2>&1 &
	late=$!
	# the same pid goes setpriv -> jg-suid -> the setuid copy: wait until it runs the latter
	for _ in $(seq 100); do
		[ "$(readlink /proc/$late/exe 2>/dev/null)" = $S/jg-suid ] && break
		sleep 0.1
	done
}
# late_end GRANT: revoke GRANT, let the helper go on; its exit status in $st
late_end() {
	jitgate revoke "$1" >/dev/null
	touch /tmp/go
	wait $late
	st=$?
}

# setresuid(0,0,0) is gated by itself: a setuid program started under a grant that is
# revoked before it asks for uid 0 is refused.
gid_l=$(jitgate grant --user alice --allow root:elevate --for 10m --reason "INC-8")
late_start /tmp/late.out root id -u
expect_eq "the setuid helper runs under the grant, waiting" "$(readlink /proc/$late/exe)" $S/jg-suid
late_end "$gid_l"
# it became euid 0 under the grant, so it is in the elevated session the revoke ended:
# killed (by jitgated at the revoke, or by the kernel at its setresuid) before uid 0
expect_eq "grant revoked after the setuid exec: the helper is killed (SIGKILL), never uid 0" \
	"$st $(cat /tmp/late.out)" "137 "

# and setresgid(0,0,0) likewise
gid_g=$(jitgate grant --user alice --allow root:elevate --for 10m --reason "INC-8b")
late_start /tmp/lateg.out group
late_end "$gid_g"
expect_eq "grant revoked after the setuid exec: killed before its setresgid(0,0,0)" \
	"$st $(cat /tmp/lateg.out)" "137 "

# --- expiry with the daemon dead: the kernel alone ends it
gid_x=$(jitgate grant --user alice --allow root:elevate --for 6s --reason "short")
expect_eq "short grant: setuid exec works" "$(alice_exec $S/jg-suid)" "uid=1000 euid=0"
settle
kill_daemon
expect_eq "daemon dead, grant live: setresuid(0,0,0) works" "$(alice_exec $S/jg-suid root id -u)" 0
sleep 7
expect_eq "daemon dead, grant expired: setuid exec refused by the kernel alone" "$(alice_exec $S/jg-suid)" EPERM
expect_eq "daemon dead, grant expired: busybox su refused" "$(as_user alice $S/su -c 'id -u' root 2>/dev/null)" ""
start_daemon /tmp/policy-elevate.json
settle

# --- audit mode (a reload: the next generation's config): logged, not blocked
sed -i 's/"description": "becoming root",/"mode": "audit",/' /tmp/policy-elevate.json
ok "policy reload with the elevate resource in audit mode" jitgate policy reload
expect_eq "audit mode: alice's setuid exec runs" "$(alice_exec $S/jg-suid root id -u)" 0
sed -i 's/"mode": "audit",//' /tmp/policy-elevate.json
ok "policy reload back to enforcing" jitgate policy reload
expect_eq "enforcing again: alice's setuid exec refused" "$(alice_exec $S/jg-suid)" EPERM
settle

# --- the audit log
audit_has "audit: setuid exec denied" '"type":"access.deny"' '"hook":"setuid_exec"' \
	'"resource":"root"' '"perm":"elevate"' '"user":"alice"' "\"path\":\"$S/jg-suid\""
audit_has "audit: setresuid denied with the ids asked for" '"type":"access.deny"' '"hook":"setuid"' \
	'"perm":"elevate"' '"object":{"uid":0,"euid":0,"suid":0,"fsuid":0}'
audit_has "audit: setresgid denied with the ids asked for" '"type":"access.deny"' '"hook":"setgid"' \
	'"perm":"elevate"' '"object":{"gid":0,"egid":0,"sgid":0,"fsgid":0}'
audit_has "audit: bob denied" '"type":"access.deny"' '"hook":"setuid_exec"' '"user":"bob"'
audit_has "audit: allowed by the grant" '"type":"access.allow"' '"hook":"setuid_exec"' \
	"\"grant_id\":\"$gid\"" '"user":"alice"'
audit_has "audit: trail with argv and cwd" '"type":"session.exec"' "\"grant_id\":\"$gid\"" \
	'"argv":["/bin/echo","trail-marker","two words"]' '"cwd":"/srv/work"' '"loginuid":1000'
audit_has "audit: trail of the root shell's exec (uid 0, subject alice)" '"type":"session.exec"' \
	'"uid":1000,"loginuid":1000' '"comm":"jg-probe"' '"euid":0'
audit_has "audit: trail of the setuid program itself" '"type":"session.exec"' \
	"\"path\":\"$S/jg-suid\"" '"resource":"root"'
audit_has "audit: a denial while the daemon was dead was drained" '"type":"access.deny"' \
	'"hook":"setuid_exec"' '"errno":1'
audit_has "audit: audit-mode would-deny" '"type":"access.audit"' '"hook":"setuid_exec"' \
	'"resource":"root"' '"user":"alice"'
audit_has "audit: grant.expire" '"type":"grant.expire"' "\"grant_id\":\"$gid_x\""
ok "audit: seq is gap-free" sh -c "grep -o '\"seq\":[0-9]*' $AUDIT | cut -d: -f2 | awk 'NR!=\$1{exit 1}'"
finish
