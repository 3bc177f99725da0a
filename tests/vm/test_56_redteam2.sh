#!/bin/sh
# vm-args: --timeout 1500
# More attacks on the root containment: alice (login uid 1000) with a root:elevate grant,
# or after it, against the vendor's claims: (1) an ended grant leaves her no root of any
# kind (no process, credential, descriptor or kernel object), (3) jitgated cannot be
# starved. Each technique is first shown working with no gate where that means something;
# a check FAILS when the attack succeeds under the gate, so this file fails while a hole
# remains.
#
#  A. Descriptors lent over a unix socket (SCM_RIGHTS) or taken with pidfd_getfd(2): her
#     root shell opens root's file read-write, or makes a raw socket, and hands the
#     descriptor to her plain process, which uses it after the revoke (reads and writes are
#     not checked operations, and the plain process is in no session).
#  B. A setgid program of a privileged group other than root (shadow): her root shell
#     makes one; after the revoke her plain self runs it and reads /etc/shadow (only
#     euid/egid 0 and new capabilities need a grant at exec).
#  D. Real-time priority lent to her plain process: her root shell raises its
#     RLIMIT_RTPRIO (prlimit is refused only on jitgated); after the revoke her plain self
#     runs SCHED_FIFO, and with the throttling knob of C left at -1 she alone can starve
#     jitgated at any time, with no grant.
#  E. Stopping jitgated through the user database: /etc/passwd is not sealed; her root shell
#     puts a FIFO in its place, and jitgated, at its next user lookup (the first connection
#     of a user it has not cached), blocks in open() for good: no grant, revoke, status or
#     session end is served any more.
#  F. A kernel helper that is not there is not sealed: jitgated seals /sbin/request-key
#     only when it exists (Debian installs it with keyutils, which cloud images lack). Her
#     root shell creates it; after the revoke her plain self calls request_key(2) for a
#     key the kernel lacks, and the kernel runs the program as root with no login uid
#     (automation): it unloads the gate.
#  C. Starving jitgated: her root shell turns real-time throttling off
#     (kernel.sched_rt_runtime_us = -1, a knob the seal does not cover) and spins at
#     SCHED_FIFO 99 on every CPU across the grant's expiry. jitgated never runs to kill the
#     session, and the spinning root process makes no checked operation, so the kernel
#     does not kill it either: it writes root's file after the expiry (through a shared
#     mapping, no system call at all).
. "${0%/*}/lib.sh"
. "${0%/*}/fixture.sh"

S=/opt/suid
RT=/tmp/rt2
POLICY=/etc/jitgate/policy.json
RTB=$(command -v jg-redteam2)
RT1=$(command -v jg-redteam)
PROBE=$(command -v jg-probe)
JG=$(command -v jitgate)
RK=/sbin/request-key
KNOB=/proc/sys/kernel/sched_rt_runtime_us
make_tree
elevate_setup
mkdir -p $RT
echo rootsecret >$RT/rootonly
chmod 0600 $RT/rootonly
chmod 0755 $RT
mkdir -p $RT/u
cat >$RT/rk.sh <<EOF
#!/bin/sh
echo "ran uid=\$(id -u) loginuid=\$(cat /proc/self/loginuid)" >>$RT/rk.ran
[ -e $RT/do-unload ] && $JG unload >>$RT/unload.out 2>&1
exit 1
EOF
chmod 1777 $RT/u	# alice's own files
# The VM is busybox: a Debian /etc/shadow (root:shadow, 0640; shadow is gid 42) if it has none
if [ ! -e /etc/shadow ]; then
	echo 'root:$6$rounds=5000$salt$hash:19000:0:99999:7:::' >/etc/shadow
	chown root:42 /etc/shadow
	chmod 0640 /etc/shadow
fi

# A: alice's plain process keeps a descriptor her root shell gives it (output in $RT/fd-$1)
fd_start() { # TAG WHAT
	rm -f $RT/go-$1
	plain "$RTB" fd-keep $RT/go-$1 $S/jg-suid root "$RTB" fd-give 3 "$2" >$RT/fd-$1 2>&1 &
	wait_for $RT/fd-$1 '^held\|^refused' || diag "fd-$1: $(cat $RT/fd-$1)"
}
fd_state() { # TAG: "held" or "refused"
	grep -o '^held\|^refused' $RT/fd-$1
}
# A by pidfd_getfd: her root shell opens WHAT, turns back into uid 1000 (dumpable, so her
# plain self may take the descriptor); her plain process takes it
fd_take() { # TAG WHAT
	rm -f $RT/u/hold-$1
	elev "$RTB" fd-hold "$2" $RT/u/hold-$1 >/dev/null 2>&1 &
	_hold=$!
	plain "$RTB" fd-take $RT/u/hold-$1 | tr '\n' ' ' | sed 's/ $//'
	kill $_hold 2>/dev/null
	pkill -f "fd-hold $2 $RT/u/hold-$1" 2>/dev/null
}
fd_result() { # TAG
	touch $RT/go-$1
	wait_for $RT/fd-$1 '^read=\|^raw-send=\|^fstat=' || diag "fd-$1: $(cat $RT/fd-$1)"
	grep -v '^held\|^given' $RT/fd-$1 | tr '\n' ' ' | sed 's/ $//'
}
# A through io_uring: a ring of her plain process, inherited by her root shell, which
# registers root's file in it as a fixed file (output in $RT/ring-$1)
ring_file() { # TAG
	rm -f $RT/go-$1
	plain "$RT1" uring-keep $RT/go-$1 $RT/rootonly $S/jg-suid root "$RT1" uring-file 3 \
		$RT/rootonly >$RT/ring-$1 2>&1 &
	wait_for $RT/ring-$1 '^held\|^not-registered' || diag "ring-$1: $(cat $RT/ring-$1)"
	touch $RT/go-$1
	grep -q '^held' $RT/ring-$1 && wait_for $RT/ring-$1 '^fixed='
	grep -v '^held' $RT/ring-$1 | tr '\n' ' ' | sed 's/ *$//'
}
# ... or a ring of her plain process taken into her root shell with pidfd_getfd
ring_take() { # TAG
	rm -f $RT/u/ring-$1
	plain "$RTB" ring-hold $RT/u/ring-$1 >/dev/null 2>&1 &
	_hold=$!
	elev "$RTB" fd-take $RT/u/ring-$1 | cut -d' ' -f1
	kill $_hold 2>/dev/null
}
# D: a plain process of alice's that waits for $RT/go-$1, then asks for SCHED_FIFO
rtprio_start() { # TAG
	rm -f $RT/go-$1 $RT/u/pid-$1
	plain sh -c "echo \$\$ >$RT/u/pid-$1; while [ ! -e $RT/go-$1 ]; do sleep 0.2; done; exec $RTB fifo" \
		>$RT/fifo-$1 2>&1 &
	wait_for $RT/u/pid-$1 . || diag "no pid-$1"
}
rtprio_result() { # TAG
	touch $RT/go-$1
	wait_for $RT/fifo-$1 . || diag "fifo-$1: nothing"
	cat $RT/fifo-$1
}
# F: her root shell's /sbin/request-key (a record, and the unload when asked)
make_rk() {
	elev sh -c "cp $RT/rk.sh $RK && chmod 0755 $RK"
}
# B: a setgid-shadow (gid 42) copy of jg-probe made by her root shell
make_sgid() { # PATH
	elev sh -c "cp $PROBE $1 && chown root:42 $1 && chmod 2755 $1"
}

# ---------------------------------------------------------------- no gate: it all works
expect_eq "no gate: alice's root shell is root" "$(elev id -u)" 0
expect_eq "no gate: alice herself cannot read root's file" "$(plain "$PROBE" open $RT/rootonly r)" EACCES
expect_eq "no gate: alice herself cannot make a raw socket" "$(plain "$RTB" raw)" EPERM
expect_eq "no gate: alice herself cannot read /etc/shadow" "$(plain "$PROBE" open /etc/shadow r)" EACCES

fd_start f0 $RT/rootonly
expect_eq "no gate: a descriptor from her root shell reads and writes root's file for her plain process" \
	"$(fd_result f0)" "read=rootsecret write=ok"
fd_start r0 raw
expect_eq "no gate: a raw socket from her root shell sends for her plain process" \
	"$(fd_result r0)" "raw-send=ok"
echo rootsecret >$RT/rootonly
expect_eq "no gate: her plain process takes a descriptor of root's file from her root shell (pidfd_getfd)" \
	"$(fd_take t0 $RT/rootonly)" "read=rootsecret write=ok"
echo rootsecret >$RT/rootonly
expect_eq "no gate: root's file registered in her plain ring by her root shell reads for her" \
	"$(ring_file u0)" "fixed=rootsecret"
expect_eq "no gate: her root shell takes her plain ring (pidfd_getfd)" "$(ring_take k0 | cut -c1-5)" "read="

make_sgid $RT/sg0
expect_eq "no gate: a setgid-shadow program from her root shell reads /etc/shadow for her" \
	"$(plain $RT/sg0 open /etc/shadow r)" ok

expect_eq "no gate: alice herself gets no real-time priority" "$(plain "$RTB" fifo)" EPERM
rtprio_start p0
expect_eq "no gate: her root shell raises her plain process's RLIMIT_RTPRIO" \
	"$(elev "$RTB" rtprio "$(cat $RT/u/pid-p0)")" ok
expect_eq "no gate: and her plain process runs SCHED_FIFO" "$(rtprio_result p0)" ok


if [ -e $RK ]; then
	diag "this VM has a $RK: F is not tried"
	RK=
else
	make_rk
	diag "no gate: her root shell's $RK: $(stat -c '%A %u' $RK 2>&1)"
	diag "no gate: her plain request_key(2): $(plain "$RTB" request-key)"
	expect_contains "no gate: and the kernel ran her $RK as root with no login uid" \
		$RT/rk.ran "ran uid=0 loginuid=4294967295"
	rm -f $RK $RT/rk.ran
fi

# ---------------------------------------------------------------- the gate
start_daemon $POLICY || finish
ok "status: enforcing" jitgate status
G1=$(jitgate grant --user alice --allow root:elevate --for 30m --reason "INC-56 debug" | grep -o 'g-[0-9]*' | head -n1)
expect_eq "grant $G1: alice's root shell is root" "$(elev id -u)" 0

# A: her root shell's descriptors stay in her session, while the grant is live already
fd_start f1 $RT/rootonly
expect_eq "a descriptor of root's file from her root shell is refused to her plain process (SCM_RIGHTS)" \
	"$(fd_state f1)" refused
fd_start r1 raw
expect_eq "a raw socket from her root shell is refused to her plain process (SCM_RIGHTS)" \
	"$(fd_state r1)" refused
expect_eq "her plain process cannot take a descriptor of root's file from her session (pidfd_getfd)" \
	"$(fd_take t1 $RT/rootonly)" take=EPERM
wait_audit 10 '"tamper.deny"' "take a descriptor an elevated session opened" "\"session_grant\":\"$G1\""
audit_has "audit: tamper.deny for the descriptor, naming the file and the session's grant" \
	'"tamper.deny"' "take a descriptor an elevated session opened" "rootonly" "\"session_grant\":\"$G1\""
expect_eq "her root shell cannot begin while it holds her plain ring (no fixed file of root's for her)" \
	"$(ring_file u1)" "not-registered"
wait_audit 10 '"tamper.deny"' "take an io_uring ring from outside into an elevated session"
audit_has "audit: tamper.deny for the inherited ring" \
	'"tamper.deny"' "take an io_uring ring from outside into an elevated session"
expect_eq "her root shell cannot take her plain ring (pidfd_getfd)" "$(ring_take k1)" take=EPERM
# inside the session, handing descriptors on works as before
rm -f $RT/go-s1
elev "$RTB" fd-keep $RT/go-s1 "$RTB" fd-give 3 $RT/rootonly >$RT/fd-s1 2>&1 &
wait_for $RT/fd-s1 '^held\|^refused' || diag "fd-s1: $(cat $RT/fd-s1)"
expect_eq "within her session a descriptor of root's file is handed on and used" \
	"$(fd_result s1)" "read=rootsecret write=ok"
echo rootsecret >$RT/rootonly

# B: set up while elevated, then the grant is revoked
make_sgid $RT/sg1
rtprio_start p1
diag "her root shell raises RLIMIT_RTPRIO of her plain process: $(elev "$RTB" rtprio "$(cat $RT/u/pid-p1)")"
elev sh -c "cp $PROBE $RT/su1 && chown root:root $RT/su1 && chmod 4755 $RT/su1"
ok "revoke $G1" jitgate revoke "$G1"
sleep 2
fails "after the revoke: alice's root shell is refused" elev id -u

# A after the revoke: nothing was lent, and nothing can be taken from what is left
expect_eq "after the revoke: her plain process holds no descriptor of root's file" "$(fd_state f1)" refused
echo rootsecret >$RT/rootonly

R=$(rtprio_result p1)
if [ "$R" = ok ]; then
	_vm_not_ok "after the revoke: her plain process gets no real-time priority from a limit her root shell raised" \
		"HOLE D: SCHED_FIFO $R"
else
	_vm_ok "after the revoke: her plain process gets no real-time priority from a limit her root shell raised ($R)"
fi

fails "after the revoke: a setuid-root program her root shell made is refused" plain $RT/su1 open $RT/rootonly r
R=$(plain $RT/sg1 open /etc/shadow r 2>&1)
if [ "$R" = ok ]; then
	_vm_not_ok "after the revoke: a setgid-shadow program her root shell made does not read /etc/shadow" \
		"HOLE B: $(stat -c '%A %U:%g' $RT/sg1) opened /etc/shadow: $R"
else
	_vm_ok "after the revoke: a setgid-shadow program her root shell made does not read /etc/shadow ($R)"
fi

# C, the control: the same spin at the normal priority, throttling untouched: jitgated
# runs at the expiry and kills it, so root's file is never written after the expiry
printf 'untouched%55s\n' ' ' >$RT/rootmap
chmod 0600 $RT/rootmap
T1=$(date +%s)
G2=$(jitgate grant --user alice --allow root:elevate --for 20s --reason "INC-56 spin" | grep -o 'g-[0-9]*' | head -n1)
EXP=$((T1 + 20))
diag "grant $G2 at $T1: it has ended by $EXP"
elev "$RTB" rt-starve $((EXP - 5)) $((EXP + 3)) $RT/rootmap plain >$RT/spin.out 2>&1 &
RTPID=$!
wait $RTPID
RC=$?
diag "control spin: $(tr '\n' ' ' <$RT/spin.out) (exit $RC)"
expect_eq "control: a spinning elevated process at normal priority is killed by its grant's end" \
	"$(head -n1 $RT/rootmap | cut -c1-9)" untouched
settle
diag "session.end: $(grep session.end $AUDIT | tail -n1 | cut -c1-300)"

# C: a short grant; the spin covers its expiry (TCG: leave the CLI a few seconds of slack).
# START..END is about 8 s of spinning, well below the RCU stall timeout (21 s).
OLDKNOB=$(cat $KNOB)
printf 'untouched%55s\n' ' ' >$RT/rootmap
chmod 0600 $RT/rootmap
T0=$(date +%s)
G3=$(jitgate grant --user alice --allow root:elevate --for 20s --reason "INC-56 rt" | grep -o 'g-[0-9]*' | head -n1)
T1=$(date +%s)
EXP=$((T1 + 20))	# the grant ends by then at the latest
diag "grant $G3 between $T0 and $T1: it has ended by $EXP"
elev "$RTB" rt-starve $((EXP - 5)) $((EXP + 3)) $RT/rootmap >$RT/rt.out 2>&1 &
RTPID=$!
wait_for $RT/rt.out '^armed' || diag "rt-starve: $(cat $RT/rt.out)"
wait $RTPID
diag "rt-starve: $(tr '\n' ' ' <$RT/rt.out); $KNOB was $OLDKNOB, is $(cat $KNOB)"
echo "$OLDKNOB" >$KNOB
T=$(sed -n 's/^after t=\([0-9]*\).*/\1/p' $RT/rootmap)
if [ -n "$T" ] && [ "$T" -gt "$EXP" ]; then
	_vm_not_ok "an elevated process is gone by its grant's end (no starving jitgated)" \
		"HOLE C: root's file, written $((T - EXP)) s after the expiry by her session: $(head -n1 $RT/rootmap)"
else
	_vm_ok "an elevated process is gone by its grant's end ($(head -n1 $RT/rootmap))"
fi
settle
diag "session.end: $(grep session.end $AUDIT | tail -n1 | cut -c1-300)"

# F: it unloads the gate when it works (jitgated is started again for E)
if [ -n "$RK" ]; then
	G5=$(jitgate grant --user alice --allow root:elevate --for 30m --reason "INC-56 rk" | grep -o 'g-[0-9]*' | head -n1)
	make_rk
	diag "under grant $G5, her root shell's $RK: $(stat -c '%A %u' $RK 2>&1)"
	jitgate revoke "$G5" >/dev/null 2>&1
	sleep 1
	touch $RT/do-unload
	diag "after the revoke, her plain request_key(2): $(plain "$RTB" request-key)"
	ok "the gate is still loaded after a plain user's request_key(2)" jitgate status
	if [ -e $RT/rk.ran ]; then
		diag "HOLE F: $RK: $(cat $RT/rk.ran); jitgate unload said: $(cat $RT/unload.out 2>/dev/null)"
	fi
	rm -f $RK
fi
if ! jitgate status >/dev/null 2>&1; then
	wait "$DAEMON_PID" 2>/dev/null
	start_daemon $POLICY || finish
fi

# E (last: jitgated may stay stuck): /etc/passwd becomes a FIFO; then a user jitgated has not
# seen yet (carol) connects, from a process started before (nothing on the test's side looks
# a user up meanwhile)
G4=$(jitgate grant --user alice --allow root:elevate --for 30m --reason "INC-56 nss" | grep -o 'g-[0-9]*' | head -n1)
printf '#!/bin/sh\nwhile [ ! -e %s/go-e ]; do sleep 0.2; done\nexec jg-client send %s\n' \
	$RT "'{\"v\":1,\"cmd\":\"status\",\"args\":{}}'" >$RT/trigger.sh
with_loginuid 1002 as_user carol sh $RT/trigger.sh >$RT/trigger.out 2>&1 &
sleep 1
elev sh -c "mv /etc/passwd $RT/passwd.real && mkfifo -m 0644 /etc/passwd"
diag "her root shell's /etc/passwd: $(stat -c '%F %u' /etc/passwd 2>&1)"
touch $RT/go-e
sleep 3
R=$(timeout 10 jg-client send '{"v":1,"cmd":"status","args":{}}' 2>&1 | cut -c1-80)
W=$(cat /proc/$DAEMON_PID/wchan 2>/dev/null)
if [ -z "$R" ]; then
	_vm_not_ok "jitgated still answers after her root shell replaced /etc/passwd with a FIFO" \
		"HOLE E: no answer to root's status in 10 s; jitgated (pid $DAEMON_PID) waits in $W"
else
	_vm_ok "jitgated still answers after her root shell replaced /etc/passwd with a FIFO ($R)"
fi
# restore: the FIFO moves away (a reader blocked on it stays blocked on it), the file comes
# back, then writers that close at once release the readers (they read an empty file)
mv /etc/passwd $RT/passwd.fifo
mv $RT/passwd.real /etc/passwd
for _i in 1 2 3; do
	timeout 1 sh -c ": >$RT/passwd.fifo"
done
ok "jitgated answers again once /etc/passwd is back" timeout 30 jitgate status
jitgate revoke "$G4" >/dev/null 2>&1

finish
