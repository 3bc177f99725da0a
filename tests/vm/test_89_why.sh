#!/bin/sh
# jitgate why: a person refused by the kernel asks jitgated what was refused and which role
# would allow it (people cannot read the audit log). The denials are the kernel's (alice is
# refused first; with the gate absent nothing would be refused and why would name nothing);
# each person sees only their own, found by the connection's uid and login uid; an admin
# may name a person; a path, a program and HOST:PORT are answered from the policy too; a
# flood of one person's denials pushes out only their own (counted); bad arguments get one
# sentence.
. "${0%/*}/lib.sh"
. "${0%/*}/fixture.sh"

SECRET=/srv/prod/secrets/db.pw
make_tree
# files made before the gate is up (under it root too is refused: its subject is uid 0)
echo other >/srv/prod/secrets/other
mkdir -p /srv/prod/secrets/flood
i=0
while [ $i -lt 40 ]; do
	echo x >/srv/prod/secrets/flood/f$i
	i=$((i + 1))
done
chmod 0666 /srv/prod/secrets/other /srv/prod/secrets/flood/*
JITGATE=$(command -v jitgate)
start_daemon "$TESTDIR/policy-why.json" || finish

# lines FILE: the number of lines in FILE
lines() { wc -l <"$1" | tr -d ' '; }

# ---------------------------------------------------------------- alice is refused
expect_eq "the kernel refuses alice the secret" "$(probe alice open $SECRET r)" EACCES
probe alice open $SECRET r >/dev/null
probe alice open $SECRET r >/dev/null
settle
as_user alice jitgate why >/tmp/why.txt 2>&1
expect_eq "why as alice succeeds" "$?" 0
diag "$(cat /tmp/why.txt)"
expect_contains "it names the file" /tmp/why.txt "read $SECRET (jg-probe, 3 times since"
expect_contains "the resource" /tmp/why.txt "protected by resource prod-secrets (DB credentials)"
expect_contains "the roles that would allow it" /tmp/why.txt \
	"roles that give it: db-read (read), db-admin (read, write)"
expect_contains "and how to ask for one alice may request" /tmp/why.txt \
	"ask: jitgate request db-read --for 30m --reason TEXT"
as_user alice jitgate why --json >/tmp/why.json
tr -d ' \n' </tmp/why.json >/tmp/why1.json
for kv in '"count":3' '"resource":"prod-secrets"' '"perm":"read"' '"hook":"file_open"' \
	  "\"object\":{\"path\":\"$SECRET\"}" '"user":"alice"' '"uid":1000' '"dropped":0'; do
	ok "--json: $kv" grep -qF "$kv" /tmp/why1.json
done
# role ROLE: that role's object in /tmp/why1.json
role() { sed 's/{"role":/\n{"role":/g' /tmp/why1.json | grep "^{\"role\":\"$1\"" | head -n 1; }
may_req() { role "$1" | grep -q "\"may_request\":$2"; }
ok "--json: alice may request db-read" may_req db-read true
ok "--json: she may not request db-admin (carol's)" may_req db-admin false

# ---------------------------------------------------------------- only one's own
as_user bob jitgate why >/tmp/bob.txt 2>&1
expect_eq "why as bob succeeds" "$?" 0
ok "bob's why does not show alice's denial" sh -c "! grep -q '$SECRET' /tmp/bob.txt"
expect_contains "bob was refused nothing" /tmp/bob.txt "^jitgate refused bob nothing recently"
as_user bob jitgate why --user alice >/tmp/bob.out 2>/tmp/bob.err
expect_eq "bob may not read alice's denials" "$?" 1
expect_contains "he is told so in one sentence" /tmp/bob.err \
	"only an admin may see another user's denials (you are bob, uid 1001)"
expect_eq "one line" "$(lines /tmp/bob.err)" 1
ok "and nothing of alice's is printed" sh -c "! grep -q '$SECRET' /tmp/bob.out"
jitgate why --user alice >/tmp/root.txt 2>&1
expect_contains "root (an admin) may: --user alice names the file" /tmp/root.txt "read $SECRET"
jitgate why >/tmp/rootown.txt 2>&1
ok "root's own why does not show alice's denial" sh -c "! grep -q '$SECRET' /tmp/rootown.txt"
# The subject is the login uid: alice's root shell (sudo -s) is still alice.
expect_eq "a root process with login uid 1002 (carol) is refused" \
	"$(with_loginuid 1002 jg-probe open /srv/prod/secrets/other r)" EACCES
settle
as_user carol jitgate why >/tmp/carol.txt 2>&1
expect_contains "carol's why shows what her root shell was refused" /tmp/carol.txt \
	"read /srv/prod/secrets/other"
ok "and not alice's" sh -c "! grep -q '$SECRET' /tmp/carol.txt"
expect_contains "carol (in sre) may ask for db-read" /tmp/carol.txt \
	"ask: jitgate request db-read --for 30m --reason TEXT"
with_loginuid 1002 jitgate why >/tmp/carolroot.txt 2>&1
expect_contains "why from that root shell (login uid 1002) answers for carol" \
	/tmp/carolroot.txt "^Refused to carol recently"

# ---------------------------------------------------------------- a path, a program, an endpoint
as_user alice jitgate why $SECRET >/tmp/path.txt 2>&1
expect_contains "why PATH: alice's denial of it" /tmp/path.txt "read $SECRET"
expect_contains "and what the policy says of it" /tmp/path.txt \
	"^$SECRET is protected by resource prod-secrets (entry /srv/prod/secrets)"
as_user bob jitgate why /srv/prod/secrets/../secrets/./db.pw >/tmp/bobpath.txt 2>&1
diag "$(cat /tmp/bobpath.txt)"
expect_contains "a path bob was not refused: answered from the policy" /tmp/bobpath.txt \
	"^$SECRET is protected by resource prod-secrets"
ok "without alice's denial" sh -c "! grep -q '^Refused' /tmp/bobpath.txt"
expect_contains "with the roles and how to ask" /tmp/bobpath.txt \
	"ask: jitgate request db-read --for 30m --reason TEXT"
as_user alice jitgate why /srv/public/readme >/tmp/public.txt 2>&1
expect_eq "an unprotected file: exit 0" "$?" 0
expect_contains "is said not protected" /tmp/public.txt "^/srv/public/readme is not protected by jitgate"
fails "alice cannot run prodctl" as_user alice /srv/prod/bin/prodctl
settle
as_user alice env PATH=/srv/prod/bin:/usr/bin:/bin "$JITGATE" why prodctl >/tmp/prog.txt 2>&1
diag "$(cat /tmp/prog.txt)"
expect_contains "why PROGRAM: the exec denial" /tmp/prog.txt "exec /srv/prod/bin/prodctl"
expect_contains "its resource and role" /tmp/prog.txt "roles that give it: tools (exec)"
expect_contains "and how to ask" /tmp/prog.txt "ask: jitgate request tools --for 15m --reason TEXT"
expect_eq "alice cannot connect to 127.0.0.1:7003" "$(probe alice connect 127.0.0.1 7003)" EACCES
settle
as_user alice jitgate why 127.0.0.1:7003 >/tmp/net.txt 2>&1
diag "$(cat /tmp/net.txt)"
expect_contains "why HOST:PORT: the connect denial" /tmp/net.txt "connect 127.0.0.1:7003"
expect_contains "and the policy's entry" /tmp/net.txt \
	"^127.0.0.1:7003 is protected by resource prod-db (entry 127.0.0.1:7000-7010)"
as_user alice jitgate why localhost:7003 >/tmp/net2.txt 2>&1
expect_contains "a host name is resolved" /tmp/net2.txt "^127.0.0.1:7003 is protected by resource prod-db"
as_user alice jitgate why 127.0.0.1:8080 >/tmp/net3.txt 2>&1
expect_contains "an unprotected endpoint" /tmp/net3.txt "^127.0.0.1:8080 is not protected by jitgate"
as_user alice jitgate why --last 1 >/tmp/last.txt 2>&1
expect_eq "--last 1 shows one denial" "$(grep -c '^  [0-9]' /tmp/last.txt)" 1
expect_contains "the newest (the connect)" /tmp/last.txt "connect 127.0.0.1:7003"

# ---------------------------------------------------------------- a flood is bounded
as_user bob sh -c 'i=0; while [ $i -lt 40 ]; do cat /srv/prod/secrets/flood/f$i 2>/dev/null; i=$((i + 1)); done'
settle
as_user bob jitgate why --json >/tmp/flood.json
ok "bob's flood: he keeps 16, the rest counted as dropped (24)" sh -c \
	"tr -d ' \n' </tmp/flood.json | grep -q '\"dropped\":24' &&
	 tr -d ' \n' </tmp/flood.json | grep -q '\"remembered\":16'"
as_user bob jitgate why >/tmp/flood.txt
expect_contains "and says so" /tmp/flood.txt "(24 older denials forgotten: jitgated keeps the last 16 a person)"
as_user alice jitgate why >/tmp/why2.txt 2>&1
expect_contains "alice's denial is still remembered after bob's flood" /tmp/why2.txt "read $SECRET"

# ---------------------------------------------------------------- bad arguments
# bad NAME EXIT PATTERN ARGS...: jitgate why ARGS as alice exits EXIT with one line matching
bad() {
	_n=$1 _x=$2 _p=$3
	shift 3
	as_user alice jitgate why "$@" >/tmp/bad.out 2>/tmp/bad.err
	_rc=$?
	expect_eq "$_n: exit $_x" "$_rc" "$_x"
	expect_contains "$_n: one sentence" /tmp/bad.err "$_p"
	expect_eq "$_n: one line, nothing on stdout" "$(lines /tmp/bad.err)/$(lines /tmp/bad.out)" 1/0
}
bad "an unknown path" 1 "^jitgate: /no/such/file does not exist, and jitgate protects nothing by that name$" /no/such/file
bad "an unknown program" 1 "no program 'nosuchprog' on PATH; give a path" nosuchprog
bad "--last 0" 2 "--last takes a number from 1 to 16, not '0'" --last 0
bad "two operands" 2 "unexpected argument 'b'" /a b
bad "a port out of range" 2 "the port in '127.0.0.1:99999' must be a number from 1 to 65535" 127.0.0.1:99999
bad "an unknown user" 1 "nosuchuser" --user nosuchuser
bad "an empty operand" 2 "name a path, a program or HOST:PORT" ""
ok "the daemon runs on" kill -0 "$DAEMON_PID"
stop_daemon
finish
