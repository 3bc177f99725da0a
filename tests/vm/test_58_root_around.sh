#!/bin/sh
# vm-args: --timeout 900 --modules binfmt_misc
# The sealed gate's second ring: an elevated human (alice's root shell under a root:elevate
# grant, login uid 1000) cannot reach the gate through the host around it. No redirecting
# the programs the kernel runs as root on its own (core_pattern, modprobe, poweroff_cmd,
# a cgroup v1 release agent by file or mount option), no binfmt_misc interpreter, no
# ld.so.preload or jitgated unit, no write of jitgated's libraries, of an except-listed
# setuid program or of the kernel's helper programs; no ptrace, process_vm_writev of the
# host's privileged automation; no way around task_kill to jitgated (a signal through a
# file owner, prlimit, nice, its /proc files, its cgroup and those above it, moving
# processes between cgroups, sysrq). Each technique is first shown to work with no gate
# loaded; each refusal is a tamper.deny naming the operation and the human. The host's
# automation (root with no login uid) keeps these powers.
. "${0%/*}/lib.sh"
. "${0%/*}/fixture.sh"

S=/opt/suid
POLICY=/etc/jitgate/policy.json
CG=/sys/fs/cgroup
make_tree
elevate_setup "$S/jg-except"
mkdir -p /tmp/cg1 $CG /etc/systemd/system /usr/local/lib/systemd/system
cp /usr/local/bin/jg-suid $S/jg-except
chown root:root $S/jg-except
chmod 4755 $S/jg-except
mount -t cgroup2 none $CG || { _vm_not_ok "mount cgroup2" "failed"; finish; }
echo "+pids" >$CG/cgroup.subtree_control 2>/dev/null
mkdir -p $CG/gate.slice/jitgated.service $CG/other
mount -t binfmt_misc none /proc/sys/fs/binfmt_misc 2>/dev/null ||
	{ modprobe binfmt_misc && mount -t binfmt_misc none /proc/sys/fs/binfmt_misc; }
# one of jitgated's libraries (no ldd here: the image keeps the host's paths)
for LIB in /lib/x86_64-linux-gnu/libjansson.so.4 /usr/lib/x86_64-linux-gnu/libjansson.so.4; do
	[ -e $LIB ] && break
done
LIB=$(readlink -f "$LIB")

# victim: a privileged process of the host's automation (root, no login uid)
victim() {
	sleep 600 &
	VICTIM=$!
}

# ---------------------------------------------------------------- no gate: it all works
expect_eq "no gate: alice's root shell is root" "$(elev id -u)" 0
expect_eq "no gate: core_pattern can be written" "$(elev jg-probe open /proc/sys/kernel/core_pattern w)" ok
expect_eq "no gate: kernel.modprobe can be written" "$(elev jg-probe open /proc/sys/kernel/modprobe w)" ok
expect_eq "no gate: /proc/sysrq-trigger opens for writing" "$(elev jg-probe open /proc/sysrq-trigger w)" ok
ok "no gate: a cgroup v1 hierarchy mounts with a release agent" \
	elev mount -t cgroup -o none,name=jgt,release_agent=/tmp/agent cgroup /tmp/cg1
expect_eq "no gate: its release_agent can be written" "$(elev jg-probe open /tmp/cg1/release_agent w)" ok
umount /tmp/cg1
if [ -e /proc/sys/fs/binfmt_misc/register ]; then
	expect_eq "no gate: binfmt_misc register opens" \
		"$(elev jg-probe open /proc/sys/fs/binfmt_misc/register w)" ok
fi
expect_eq "no gate: jitgated's library can be opened for writing" "$(elev jg-probe open "$LIB" w)" ok
expect_eq "no gate: the except-listed setuid program can be written" "$(elev jg-probe open $S/jg-except w)" ok
ok "no gate: /etc/ld.so.preload can be made" elev touch /etc/ld.so.preload
rm -f /etc/ld.so.preload
victim
expect_eq "no gate: a root service can be traced" "$(elev jg-bpfprobe ptrace $VICTIM)" ok
expect_eq "no gate: process_vm_writev reaches its memory (EFAULT: page 1 is unmapped)" \
	"$(elev jg-bpfprobe vmwrite $VICTIM)" EFAULT
expect_eq "no gate: its resource limits set" "$(elev jg-bpfprobe prlimit $VICTIM)" ok
expect_eq "no gate: its priority changed" "$(elev jg-bpfprobe nice $VICTIM)" ok
expect_eq "no gate: a signal reaches it through a file owner" "$(elev jg-bpfprobe sigio $VICTIM 9)" ok
sleep 0.5
fails "no gate: that SIGKILL ended it" kill -0 $VICTIM
victim
echo $VICTIM >$CG/gate.slice/jitgated.service/cgroup.procs
expect_eq "no gate: its /proc/PID/oom_score_adj can be written" \
	"$(elev jg-probe open /proc/$VICTIM/oom_score_adj w)" ok
expect_eq "no gate: its cgroup's cgroup.kill opens" \
	"$(elev jg-probe open $CG/gate.slice/jitgated.service/cgroup.kill w)" ok
expect_eq "no gate: the cgroup above it too" "$(elev jg-probe open $CG/gate.slice/cgroup.freeze w)" ok
expect_eq "no gate: processes can be moved" "$(elev jg-probe open $CG/other/cgroup.procs w)" ok
kill $VICTIM

# ---------------------------------------------------------------- the gate, alice elevated
start_daemon $POLICY || finish
echo $DAEMON_PID >$CG/gate.slice/jitgated.service/cgroup.procs
jitgate grant --user alice --allow root:elevate --for 30m --reason "INC-58 debug" >/dev/null
expect_eq "grant: alice's root shell is root" "$(elev id -u)" 0
# the daemon's move is seen at its next bpf() call (its 2 s seal refresh)
sleep 3

# the kernel's own root helpers
expect_eq "core_pattern: refused" "$(elev jg-probe open /proc/sys/kernel/core_pattern w)" EPERM
tamper "audit: core_pattern" '"hook":"host"' '"operation":"redirect core dumps (kernel.core_pattern)"' \
	'"path":"/proc/sys/kernel/core_pattern"' '"elevated":true' '"grant_id":"g-'
expect_eq "kernel.modprobe: refused" "$(elev jg-probe open /proc/sys/kernel/modprobe w)" EPERM
tamper "audit: modprobe" '"operation":"redirect module autoload (kernel.modprobe)"'
expect_eq "kernel.poweroff_cmd: refused" "$(elev jg-probe open /proc/sys/kernel/poweroff_cmd w)" EPERM
if [ -e /sys/kernel/uevent_helper ]; then
	expect_eq "uevent_helper: refused" "$(elev jg-probe open /sys/kernel/uevent_helper w)" EPERM
else
	diag "/sys/kernel/uevent_helper: not in this kernel (CONFIG_UEVENT_HELPER off)"
fi
fails "a cgroup v1 mount with a release agent: refused" \
	elev mount -t cgroup -o none,name=jgt,release_agent=/tmp/agent cgroup /tmp/cg1
tamper "audit: the release agent mount option" '"operation":"set a cgroup release agent"'
ok "automation mounts it" mount -t cgroup -o none,name=jgt cgroup /tmp/cg1
expect_eq "its release_agent file: refused" "$(elev jg-probe open /tmp/cg1/release_agent w)" EPERM
tamper "audit: the release_agent file" '"path":"/tmp/cg1/release_agent"'
umount /tmp/cg1
if [ -e /proc/sys/fs/binfmt_misc/register ]; then
	expect_eq "binfmt_misc register: refused" \
		"$(elev jg-probe open /proc/sys/fs/binfmt_misc/register w)" EPERM
	tamper "audit: binfmt_misc" '"operation":"register a binfmt_misc interpreter"'
else
	_vm_not_ok "binfmt_misc mounted" "no /proc/sys/fs/binfmt_misc/register"
fi
MODPROBE=$(readlink -f "$(cat /proc/sys/kernel/modprobe)")
if [ -f "$MODPROBE" ]; then
	# (touch: utimes, refused for a sealed file like a write; harmless if it were not)
	fails "the modprobe program ($MODPROBE): sealed" elev touch "$MODPROBE"
	tamper "audit: the modprobe program" '"hook":"setattr"' "\"path\":\"$MODPROBE\""
fi

# code in jitgated or in a setuid program anyone may run
expect_eq "jitgated's library: no write" "$(elev jg-probe open "$LIB" w)" EPERM
tamper "audit: the library" "\"path\":\"$LIB\""
fails "jitgated's library: no rename over it" elev sh -c "cp $LIB /tmp/l && mv /tmp/l $LIB"
fails "/etc/ld.so.preload: not made" elev touch /etc/ld.so.preload
tamper "audit: ld.so.preload" '"hook":"create"' '"path":"/etc/ld.so.preload"'
fails "/etc/ld.so.preload: not renamed into place" elev sh -c "echo x >/etc/pre && mv /etc/pre /etc/ld.so.preload"
ok "/etc/ld.so.preload: absent" test ! -e /etc/ld.so.preload
fails "a jitgated unit in /etc/systemd/system: not made" elev mkdir /etc/systemd/system/jitgated.service.d
fails "nor in /usr/local/lib/systemd/system (make install's default)" elev mkdir /usr/local/lib/systemd/system/jitgated.service.d
ok "other files in /etc still are (the trail records them)" elev touch /etc/motd.jg
expect_eq "the except-listed setuid program: no write" "$(elev jg-probe open $S/jg-except w)" EPERM
fails "nor a rename over it" elev sh -c "cp /bin/busybox /tmp/bb && mv /tmp/bb $S/jg-except"

# the host's privileged automation
victim
expect_eq "ptrace of a root service: refused" "$(elev jg-bpfprobe ptrace $VICTIM)" EPERM
tamper "audit: the ptrace" '"hook":"ptrace"' '"operation":"trace a privileged process of the host' \
	"\"pid\":$VICTIM"
expect_eq "process_vm_writev into it: refused" "$(elev jg-bpfprobe vmwrite $VICTIM)" EPERM
expect_eq "alice's own unprivileged processes may still be traced" \
	"$(with_loginuid 1000 as_user alice sh -c 'sleep 60 & P=$!; '"$S"'/jg-suid root jg-bpfprobe ptrace $P; kill $P')" ok
expect_eq "the automation itself traces it" "$(jg-bpfprobe ptrace $VICTIM)" ok
kill $VICTIM

# jitgated, around task_kill
expect_eq "SIGKILL through a file owner: sent, and refused by the kernel" \
	"$(elev jg-bpfprobe sigio "$DAEMON_PID" 9)" ok
tamper "audit: the file owner's signal" '"hook":"sigio"' '"jitgated":true'
ok "jitgated still runs" kill -0 "$DAEMON_PID"
expect_eq "prlimit RLIMIT_CPU of jitgated: refused" "$(elev jg-bpfprobe prlimit "$DAEMON_PID")" EPERM
tamper "audit: prlimit" '"hook":"task_control"' '"operation":"set a resource limit of jitgated (prlimit)"'
expect_eq "renice of jitgated: refused" "$(elev jg-bpfprobe nice "$DAEMON_PID")" EPERM
expect_eq "its oom_score_adj: refused" "$(elev jg-probe open /proc/$DAEMON_PID/oom_score_adj w)" EPERM
tamper "audit: jitgated's /proc file" '"operation":"write jitgated'"'"'s /proc files"'
expect_eq "its cgroup.kill: refused" \
	"$(elev jg-probe open $CG/gate.slice/jitgated.service/cgroup.kill w)" EPERM
tamper "audit: jitgated's cgroup" '"operation":"change jitgated'"'"'s cgroup or one above it"'
expect_eq "cgroup.freeze of the cgroup above it: refused" \
	"$(elev jg-probe open $CG/gate.slice/cgroup.freeze w)" EPERM
expect_eq "moving processes between cgroups: refused" \
	"$(elev jg-probe open $CG/other/cgroup.procs w)" EPERM
tamper "audit: the cgroup move" '"operation":"move processes between cgroups"'
expect_eq "another cgroup's controls are alice's to change" \
	"$(elev jg-probe open $CG/other/cgroup.freeze w)" ok
expect_eq "/proc/sysrq-trigger: refused" "$(elev jg-probe open /proc/sysrq-trigger w)" EPERM
tamper "audit: sysrq" '"operation":"trigger a magic SysRq action"'
ok "jitgated still runs" kill -0 "$DAEMON_PID"

# the host's automation keeps its powers
expect_eq "automation writes core_pattern" "$(jg-probe open /proc/sys/kernel/core_pattern w)" ok
expect_eq "automation writes jitgated's oom_score_adj" \
	"$(jg-probe open /proc/$DAEMON_PID/oom_score_adj w)" ok
expect_eq "automation moves processes" "$(jg-probe open $CG/other/cgroup.procs w)" ok
ok "automation makes /etc/ld.so.preload (an empty one)" touch /etc/ld.so.preload
rm -f /etc/ld.so.preload

# with a gate-admin grant the elevated human may administer the host around it
jitgate grant --user alice --allow gate-admin:admin --for 10m --reason "CHG-58" >/dev/null
expect_eq "gate-admin: core_pattern may be written" "$(elev jg-probe open /proc/sys/kernel/core_pattern w)" ok
victim
expect_eq "gate-admin: a root service may be traced" "$(elev jg-bpfprobe ptrace $VICTIM)" ok
kill $VICTIM
ok "jitgated still runs" kill -0 "$DAEMON_PID"
stop_daemon
finish
