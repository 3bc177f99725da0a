#!/bin/sh
# A standing rule bound to a program gives access to that program's code, not to code its
# user slips into it: a process of the rule's program started with an injectable loader
# environment (LD_PRELOAD, LD_LIBRARY_PATH, GCONV_PATH, ...: glibc's unsecure list and every
# LD_*), traced (PTRACE_SEIZE/ATTACH, PTRACE_TRACEME), or whose memory another process
# opened (/proc/PID/mem, process_vm_writev, pidfd_getfd) is refused the rule, as are its
# children; a clean exec of the program (also from a tainted process) gets it; a process
# started before the rule was in the kernel does not (fail closed). Every refusal is an
# access.deny marked "tainted" and counted. A rule for any program is not affected.
. "${0%/*}/lib.sh"
. "${0%/*}/fixture.sh"

SECRET=/srv/prod/secrets/db.pw
PUBLIC=/srv/public/readme
PROBE=/opt/backup/jg-probe	# rule program (a dynamic ELF)
INJECT=/opt/backup/jg-inject	# rule program that waits to be tampered with
PRELOAD=/usr/local/bin/jg-preload.so

make_tree
mkdir -p /opt/backup
cp "$(command -v jg-probe)" $PROBE
cp "$(command -v jg-inject)" $INJECT
chmod 0755 /opt/backup $PROBE $INJECT

# alice_env VAR=VALUE... -- CMD...: alice runs CMD with those variables added (env execs
# CMD itself, so nothing but CMD sees them: setpriv, a dynamic program, does not).
alice_env() {
	as_user alice env "$@"
}

# --- without the gate every technique works: the refusals below are the gate's doing
expect_eq "no gate: LD_PRELOAD code runs inside the rule's program and opens the secret" \
	"$(alice_env JG_PRELOAD_OPEN=$SECRET LD_PRELOAD=$PRELOAD $PROBE open $PUBLIC r | tr '\n' ' ')" \
	"preload: ok ok "
for m in attach mem vmwrite; do
	out=$(as_user alice jg-inject trace $m $INJECT $SECRET | tr '\n' ' ')
	case $m in attach) c=p ;; mem) c=m ;; vmwrite) c=v ;; esac
	expect_eq "no gate: $m writes into the rule's program, which then opens the secret" \
		"$out" "target=$c ok "
done
for m in seize getfd traceme; do
	expect_eq "no gate: $m, then the rule's program opens the secret" \
		"$(as_user alice jg-inject trace $m $INJECT $SECRET | tail -n 1)" ok
done

# a rule program started before the rule reaches the kernel; it opens once told to
rm -f /tmp/go47
as_user alice sh -c "while [ ! -e /tmp/go47 ]; do sleep 0.1; done; echo g" |
	as_user alice $INJECT wait-open $SECRET >/tmp/early.out 2>&1 &
early=$!

start_daemon "$TESTDIR/policy-taint.json" || finish

# --- the clean program with a clean environment keeps its rule
expect_eq "clean: alice reads the secret through the rule's program" "$(as_user alice $PROBE read $SECRET)" db-password
expect_eq "clean: harmless variables change nothing (FOO, XLD_PRELOAD, LDFLAGS, LANG)" \
	"$(alice_env FOO=bar XLD_PRELOAD=$PRELOAD LDFLAGS=-O2 LANG=C.UTF-8 $PROBE open $SECRET r)" ok
big=$(head -c 10000 /dev/zero | tr '\0' x)
expect_eq "clean: a 10000-byte variable is read to its end, and harmless" \
	"$(alice_env BIG=$big $PROBE open $SECRET r)" ok
expect_eq "control: alice through another program is denied" "$(probe alice open $SECRET r)" EACCES

# --- LD_PRELOAD: the injected code and the program itself are refused
expect_eq "LD_PRELOAD: the injected code's open is refused, and the program's own" \
	"$(alice_env JG_PRELOAD_OPEN=$SECRET LD_PRELOAD=$PRELOAD $PROBE open $SECRET r | tr '\n' ' ')" \
	"preload: EACCES EACCES "
expect_eq "LD_PRELOAD: a child forked by the injected code is refused too" \
	"$(alice_env JG_PRELOAD_OPEN=$SECRET JG_PRELOAD_FORK=1 LD_PRELOAD=$PRELOAD $PROBE open $PUBLIC r | grep child)" \
	"preload child: EACCES"
expect_eq "LD_PRELOAD after a 10000-byte variable is still seen" \
	"$(alice_env BIG=$big LD_PRELOAD=$PRELOAD $PROBE open $SECRET r)" EACCES
for v in LD_LIBRARY_PATH=/nonexistent LD_AUDIT=/nonexistent.so LD_BIND_NOW=1 \
	GCONV_PATH=/tmp GLIBC_TUNABLES=glibc.malloc.check=0 LOCPATH=/tmp NLSPATH=/tmp/%N \
	MALLOC_TRACE=/tmp/mt TMPDIR=/tmp TZDIR=/tmp RES_OPTIONS=debug HOSTALIASES=/tmp/h; do
	expect_eq "${v%%=*} set: the rule is refused" "$(alice_env "$v" $PROBE open $SECRET r 2>/dev/null | tail -n 1)" EACCES
done
expect_eq "a clean exec from a tainted process gets the rule again (exec starts over)" \
	"$(alice_env LD_PRELOAD=$PRELOAD $PROBE exec /usr/bin/env -u LD_PRELOAD $PROBE open $SECRET r)" ok
expect_eq "a rule for any program (bob) is not affected by LD_PRELOAD" \
	"$(as_user bob env LD_PRELOAD=$PRELOAD $PROBE open $SECRET r)" ok

# --- another process changing the rule's program: the process is refused from then on
expect_eq "control: untouched, the waiting program reads the secret" \
	"$(as_user alice jg-inject trace none $INJECT $SECRET | tr '\n' ' ')" "target=- ok "
expect_eq "PTRACE_SEIZE: refused while traced" \
	"$(as_user alice jg-inject trace seize $INJECT $SECRET | tail -n 1)" EACCES
expect_eq "PTRACE_ATTACH + POKEDATA + DETACH: refused after the tracer left" \
	"$(as_user alice jg-inject trace attach $INJECT $SECRET | tr '\n' ' ')" "target=p EACCES "
expect_eq "/proc/PID/mem write: refused" \
	"$(as_user alice jg-inject trace mem $INJECT $SECRET | tr '\n' ' ')" "target=m EACCES "
expect_eq "process_vm_writev: refused" \
	"$(as_user alice jg-inject trace vmwrite $INJECT $SECRET | tr '\n' ' ')" "target=v EACCES "
expect_eq "pidfd_getfd: refused" \
	"$(as_user alice jg-inject trace getfd $INJECT $SECRET | tail -n 1)" EACCES
expect_eq "PTRACE_TRACEME before the exec: refused" \
	"$(as_user alice jg-inject trace traceme $INJECT $SECRET | tail -n 1)" EACCES
expect_eq "a new clean process of the program still reads" "$(as_user alice $PROBE open $SECRET r)" ok

# --- started before the rule was in the kernel: no exec record, refused (fail closed)
touch /tmp/go47
wait $early
expect_eq "a process started before the rule is refused it" "$(tail -n 1 /tmp/early.out)" EACCES

# --- audit and counters
settle
audit_has "audit: LD_PRELOAD refusal is an access.deny marked tainted" '"type":"access.deny"' \
	'"hook":"file_open"' '"user":"alice"' "\"exe\":\"$PROBE\"" '"tainted":true' \
	'"resource":"backup-secrets"'
audit_has "audit: ptrace refusal is marked tainted" '"type":"access.deny"' \
	"\"exe\":\"$INJECT\"" '"tainted":true'
audit_has "audit: the clean program's read is a standing allow" '"type":"access.allow"' \
	"\"exe\":\"$PROBE\"" '"standing":true'
ok "audit: a plain denial (another program) is not marked tainted" \
	sh -c "grep '\"type\":\"access.deny\"' $AUDIT | grep '\"exe\":\"/usr/local/bin/jg-probe\"' | grep -vq tainted"
n=$(jitgate status --json | tr -d ' \n' | sed -n 's/.*"tainted":\([0-9]*\).*/\1/p')
ok "status counts the refusals (tainted: $n)" test "${n:-0}" -ge 20
finish
