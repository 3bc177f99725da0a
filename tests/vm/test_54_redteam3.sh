#!/bin/sh
# vm-args: --modules tun --timeout 600
# Red team: descriptors and kernel objects that root's power set up inside an elevated
# session, kept by the person's plain processes after the revoke. Each technique is shown
# first with no gate (and, where it matters, that alice cannot do it by herself), then
# under the gate: a check named "..." fails when the attack still works.
. "${0%/*}/lib.sh"
. "${0%/*}/fixture.sh"

S=/opt/suid
RT=jg-redteam3
mkdir -p $S /srv/r3/private
chmod 1777 /tmp
cp /usr/local/bin/jg-suid $S/jg-suid
chown root:root $S/jg-suid
chmod 4755 $S/jg-suid
echo root-only >/srv/r3/rootfile
chmod 0600 /srv/r3/rootfile
echo in-private >/srv/r3/private/f
chmod 0666 /srv/r3/private/f
chmod 0700 /srv/r3/private
chmod 0755 /srv/r3

# stopped NAME FILE PATTERN: passes when no line of FILE matches PATTERN (the attack's
# success line); fails, showing FILE, when one does.
stopped() {
	if grep -q -e "$3" "$2"; then
		_vm_not_ok "$1" "the attack worked: '$3'" "$2"
	else
		_vm_ok "$1"
		sed 's/^/#   /' "$2"
	fi
}

# wait_line FILE PATTERN: up to 30 s
wait_line() {
	for _ in $(seq 300); do
		grep -q -e "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# A root process of the host's automation: the target of a SIGIO owner.
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

alive() {
	kill -0 "$1" 2>/dev/null && echo alive || echo dead
}

# ---------------------------------------------------------------- no gate
diag "no gate: alice alone"
v0=$(start_victim)
touch /tmp/go.alone
as_user alice $RT plain /tmp/go.alone 80 $RT sess 80 "$v0" >/tmp/alone.out 2>&1
sed 's/^/#   /' /tmp/alone.out
ok "alone: alice cannot bind port 80" grep -q 'bind=EACCES' /tmp/alone.out
ok "alone: alice cannot set SO_MARK / IP_TRANSPARENT" grep -q 'mark=EPERM transparent=EPERM' /tmp/alone.out
expect_eq "alone: her own SIGIO owner cannot kill root's process" "$(alive "$v0")" alive
fails "alone: alice cannot write into the 0700 root directory's file" \
	as_user alice sh -c 'echo x >>/srv/r3/private/f'
modprobe tun 2>/dev/null
mkdir -p /dev/net
[ -e /dev/net/tun ] || mknod /dev/net/tun c 10 200
chmod 0666 /dev/net/tun
expect_eq "alone: alice cannot make a tap device" "$(as_user alice $RT tun-attach rt3x)" "attach=EPERM write=none"

diag "no gate: root (setuid helper) does it for her"
v1=$(start_victim)
bg_plain nogate $RT plain /tmp/go.nogate 81 $S/jg-suid root $RT sess 81 "$v1"
wait_line /tmp/nogate.out held
touch /tmp/go.nogate
wait_line /tmp/nogate.out newbind
sleep 0.5
sed 's/^/#   /' /tmp/nogate.out
ok "no gate: port 81 bound and listening, SO_MARK and IP_TRANSPARENT kept" \
	grep -q 'listen=ok port=81 mark=42 transparent=1 newbind=EACCES' /tmp/nogate.out
expect_eq "no gate: the SIGIO owner set by root kills root's process" "$(alive "$v1")" dead

for t in stream dgram seqpacket; do
	bg_plain nf$t $RT inflight $t /tmp/go.nf$t $S/jg-suid root $RT give 3 /srv/r3/rootfile
	wait_line /tmp/nf$t.out sent
	touch /tmp/go.nf$t
	wait_line /tmp/nf$t.out recv
	ok "no gate: root's file over SCM_RIGHTS ($t) received later, writable" \
		grep -q 'recv=held write=ok' /tmp/nf$t.out
done

rm -f /tmp/hd0.pid
$S/jg-suid root $RT hold-dir /srv/r3/private f /tmp/hd0.pid >/dev/null 2>&1 &
hd0=$!
wait_line /tmp/hd0.pid .
bg_plain take0 $RT take-dir /tmp/hd0.pid f /tmp/go.take0
wait_line /tmp/take0.out taken
kill "$hd0" 2>/dev/null
touch /tmp/go.take0
wait_line /tmp/take0.out open=
sed 's/^/#   /' /tmp/take0.out
ok "no gate: /proc/PID/fd reopens root's file in a 0700 directory, writable later" \
	grep -q 'fdwrite=ok' /tmp/take0.out
# /proc/PID/cwd is no way in by itself: chdir checks the directory's own permission
ok "no gate: /proc/PID/cwd of the 0700 directory is refused by its mode alone" \
	grep -q 'cwd=EACCES' /tmp/take0.out

out=$($S/jg-suid root sh -c 'mknod /tmp/r3dev0 c 1 3 && chmod 600 /tmp/r3dev0 && chown 1000 /tmp/r3dev0 && echo ok' 2>&1)
expect_eq "no gate: root makes a device node and hands it to alice" "$out" ok
ok "no gate: alice opens it" as_user alice sh -c 'echo x >/tmp/r3dev0'

expect_eq "no gate: root makes a persistent tap owned by alice" "$($S/jg-suid root $RT tun-make rt3a)" ok
out=$(as_user alice $RT tun-attach rt3a)
diag "tun-attach rt3a: $out"
ok "no gate: alice attaches to it" sh -c "echo '$out' | grep -q attach=ok"

# ---------------------------------------------------------------- the gate
cat >/tmp/policy-r3.json <<EOF
{
  "version": 1,
  "resources": {
    "root": { "description": "becoming root", "elevate": {} },
    "prod-secrets": { "files": ["/srv/prod/secrets"] }
  }
}
EOF
make_tree
# jg-bench writes a grant behind the daemon below: a tool the sealed gate must trust
echo '{"trusted_tools": ["/usr/local/bin/jg-bench"]}' >/tmp/trust.json
start_daemon /tmp/policy-r3.json --config /tmp/trust.json || finish

# The session programs are attached only while a session can exist.
PIN=/sys/fs/bpf/jitgate
ok "no elevate grant yet: the session programs are not attached" \
	sh -c "test ! -e $PIN/link_sess_falloc && test ! -e $PIN/link_lend_bind && test -e $PIN/prog_sess_falloc"
ok "the hooks that guard marks already made are always attached" \
	sh -c "test -e $PIN/link_sess_ffree && test -e $PIN/link_sess_frecv && test -e $PIN/link_lend_sigio"
stop_daemon
ok "an elevate grant for alice written into the pinned map behind jitgated" \
	jg-bench grant-raw $PIN 1000 600
out=$(with_loginuid 1000 as_user alice $S/jg-suid root id -u 2>&1)
diag "elevation with the session programs off: $out"
ok "with the session programs off, the elevation is refused" sh -c "test '$out' != 0"
ok "remove it" jg-bench grant-raw $PIN 1000 delete
start_daemon /tmp/policy-r3.json --config /tmp/trust.json || finish
ok "the refusal is counted (session_unarmed)" sh -c "jitgate status --json | grep -q '\"session_unarmed\": *[1-9]'"

grant() {
	jitgate grant --user alice --allow root:elevate --for 10m --reason "INC-54 $1"
}

# 1. sockets of her plain process set up by the session's root
v2=$(start_victim)
g=$(grant sockets)
ok "an elevate grant: the session programs are attached" \
	sh -c "test -e $PIN/link_sess_falloc && test -e $PIN/link_lend_bind && test -e $PIN/link_lend_ioctl"
bg_plain sock $RT plain /tmp/go.sock 82 $S/jg-suid root $RT sess 82 "$v2"
wait_line /tmp/sock.out held
diag "session's work on her sockets: $(head -n1 /tmp/sock.out)"
jitgate revoke "$g" >/dev/null
sleep 1
touch /tmp/go.sock
wait_line /tmp/sock.out newbind
sleep 0.5
stopped "revoked: her plain socket does not keep port 82 bound and listening" \
	/tmp/sock.out 'listen=ok port=82'
stopped "revoked: her plain socket does not keep SO_MARK 42" \
	/tmp/sock.out 'mark=42'
stopped "revoked: her plain socket does not keep IP_TRANSPARENT" \
	/tmp/sock.out 'transparent=1'
expect_eq "revoked: her pipe's SIGIO owner set by root cannot kill root's process" \
	"$(alive "$v2")" alive

# the session's own sockets keep root's power within it
g=$(grant own)
out=$(with_loginuid 1000 as_user alice $S/jg-suid root $RT sess-own 84 2>&1)
jitgate revoke "$g" >/dev/null
expect_eq "live: the session binds and listens on port 84 with a socket of its own" "$out" "own=ok"

# 2. root's file over SCM_RIGHTS, left in flight until after the revoke
for t in stream dgram seqpacket; do
	g=$(grant "inflight $t")
	bg_plain if$t $RT inflight $t /tmp/go.if$t $S/jg-suid root $RT give 3 /srv/r3/rootfile
	wait_line /tmp/if$t.out sent
	jitgate revoke "$g" >/dev/null
	sleep 1
	touch /tmp/go.if$t
	wait_line /tmp/if$t.out recv
	stopped "revoked: root's file in flight ($t) is not received writable" \
		/tmp/if$t.out 'recv=held'
done

# 3. /proc/PID/fd and /proc/PID/cwd of a session process turned back into uid 1000
g=$(grant magic-links)
rm -f /tmp/hd.pid
with_loginuid 1000 as_user alice $S/jg-suid root $RT hold-dir /srv/r3/private f /tmp/hd.pid \
	>/tmp/hd.out 2>&1 &
wait_line /tmp/hd.pid . || diag "hold-dir: $(cat /tmp/hd.out)"
bg_plain take $RT take-dir /tmp/hd.pid f /tmp/go.take
wait_line /tmp/take.out taken
diag "while live: $(cat /tmp/take.out)"
hdpid=$(cut -d' ' -f1 /tmp/hd.pid)
jitgate revoke "$g" >/dev/null
sleep 1
expect_eq "revoked: the session process that went back to uid 1000 is killed" "$(alive "$hdpid")" dead
touch /tmp/go.take
wait_line /tmp/take.out open=
stopped "revoked: her reopened /proc/PID/fd of root's file in a 0700 directory is not writable" \
	/tmp/take.out 'fdwrite=ok'

# 4. the session drops to uid 1000 and waits
g=$(grant drop)
rm -f /tmp/drop.pid
with_loginuid 1000 as_user alice $S/jg-suid root $RT drop /tmp/drop.pid >/dev/null 2>&1 &
wait_line /tmp/drop.pid .
dpid=$(cat /tmp/drop.pid)
jitgate revoke "$g" >/dev/null
sleep 2
expect_eq "revoked: a session process back at uid 1000 does not live on" "$(alive "$dpid")" dead

# 5. a persistent tap device owned by her, made by the session
g=$(grant tun)
out=$(with_loginuid 1000 as_user alice $S/jg-suid root $RT tun-make rt3b 2>&1)
diag "session tun-make rt3b: $out"
jitgate revoke "$g" >/dev/null
sleep 1
out=$(with_loginuid 1000 as_user alice $RT tun-attach rt3b 2>&1)
diag "tun-attach rt3b after the revoke: $out"
ok "revoked: she cannot attach to the tap device the session made for her" \
	sh -c "! echo '$out' | grep -q attach=ok"

# 6. device nodes made or handed over by the session
g=$(grant devices)
out=$(with_loginuid 1000 as_user alice $S/jg-suid root sh -c \
	'mknod /tmp/r3dev1 c 1 3; a=$?; chmod 666 /tmp/r3dev0; b=$?; chown 1000:1000 /dev/null; c=$?; echo "mknod=$a chmod=$b chown=$c"' 2>&1)
jitgate revoke "$g" >/dev/null
expect_eq "the session makes no device node and hands none over" "$(echo "$out" | tail -n 1)" "mknod=1 chmod=1 chown=1"
ok "no device node made" test ! -e /tmp/r3dev1

# no elevate grant and no session task left: detached on one of jitgated's ticks
for _ in $(seq 150); do
	[ -e $PIN/link_sess_falloc ] || break
	sleep 0.1
done
ok "every grant revoked, every session over: the session programs are detached" \
	sh -c "test ! -e $PIN/link_sess_falloc && test ! -e $PIN/link_lend_trace && test -e $PIN/link_sess_ffree"

settle
ok "audit: session.end records" grep -q '"type":"session.end"' "$AUDIT"
# said: each refusal is a tamper.deny naming what the session tried
said() {
	ok "audit: $1" sh -c "grep -F '\"tamper.deny\"' '$AUDIT' | grep -F '$2' | grep -qF '$3'"
}
said "bind of her socket by the session" 'from outside an elevated session' '"socket_op":"bind"'
said "setsockopt of her socket by the session" 'from outside an elevated session' '"socket_op":"setsockopt"'
said "the SIGIO after the session, naming its grant" 'owner an ended elevated session set' '"session_grant":'
said "her /proc/PID/fd of the session's process" 'follow its /proc links' '"pid":'
said "the session's TUNSETOWNER" 'tun/tap device' '"ioctl":'
said "the session's mknod and chmod of a device node" 'device node in an elevated session' '"subject"'
grep -F '"tamper.deny"' "$AUDIT" | tail -n 5 | cut -c1-300 | sed 's/^/#   /'
finish
