#!/bin/sh
# The bypass catalog: every known way around the gate, tried against the gate as it is.
# Each technique first runs with no gate (so it really works here and a later denial is
# the gate's), then with the gate loaded:
#   - where the gate stops it, the check asserts the denial (EACCES, or a refused call);
#   - where it does not (yet), the test prints "# KNOWN BYPASS: ..." and counts it instead
#     of failing. docs/bypass-catalog.md lists every one with its reason, mitigation and
#     the mechanism that will close it. When a known bypass starts being blocked, the test
#     says so ("blocked now"): update the catalog then.
. "${0%/*}/lib.sh"
. "${0%/*}/fixture.sh"

POLICY=$TESTDIR/policy-bypass.json
SECRET=/srv/prod/secrets/db.pw
TOOL=/srv/prod/bin/prodctl	# a shell script under the exec resource
BIN=/srv/prod/bin/prodctl-bin	# a dynamic ELF (a copy of jg-probe) under the exec resource
LDSO=/lib64/ld-linux-x86-64.so.2
PUBLIC=/srv/public/readme
RUNS="open $PUBLIC r"		# what $BIN does when it runs: prints "ok"

_known=0
_untested=0

# known NAME GOT WHY...: a technique the catalog lists as a limitation. GOT is what the
# attempt printed; an errno of denial means the gate stops it now.
known() {
	_k_name=$1
	_k_got=$2
	shift 2
	case $_k_got in
	EACCES | EPERM | refused)
		_vm_ok "$_k_name: blocked now ($_k_got; docs/bypass-catalog.md calls it a limitation: update it)"
		;;
	*)
		_known=$((_known + 1))
		diag "KNOWN BYPASS: $_k_name (got: $(printf '%s' "$_k_got" | head -n 1)): $*"
		;;
	esac
}

untested() {
	_untested=$((_untested + 1))
	diag "UNTESTED: $*"
}

# elevated BIN MODE ARGS...: alice runs BIN (a jg-probe copy) with "as0 MODE ARGS": it
# becomes root, then runs MODE. An exec refused before jg-probe runs shows as setpriv's
# message on stderr: turned into its errno name here.
elevated() {
	_e_bin=$1
	shift
	_e_out=$(as_user alice "$_e_bin" as0 "$@" 2>&1)
	case $_e_out in
	*"Permission denied"*) echo EACCES ;;
	*"Operation not permitted"*) echo EPERM ;;
	*) printf '%s\n' "$_e_out" ;;
	esac
}

# denied NAME GOT: GOT is a denial (EACCES or EPERM).
denied() {
	case $2 in
	EACCES | EPERM) _vm_ok "$1" ;;
	*) _vm_not_ok "$1" "got '$2', want EACCES or EPERM" ;;
	esac
}

make_tree
cp /usr/local/bin/jg-probe "$BIN"
chmod 0755 "$BIN"
echo "victim" >/srv/prod/secrets/victim
echo "single-secret" >/srv/prod/secrets/single.pw
chmod 0666 /srv/prod/secrets/single.pw
echo "victim" >/srv/prod/secrets/victim2
chmod 0666 /srv/prod/secrets/victim /srv/prod/secrets/victim2
ln "$SECRET" /srv/hardlink-before-load
ln -s "$SECRET" /tmp/symlink
mkdir -p /mnt/bind /mnt/ns /mnt/ns-user
# DAC wide open on the way to the secret too, so a rename by alice is the gate's to refuse.
chmod 0777 /srv/prod
chmod 0777 /mnt/ns-user
# A script whose interpreter is the protected binary: the kernel execs $BIN for it.
printf '#!%s read\nshebang-script\n' "$BIN" >/tmp/shebang.sh
chmod 0755 /tmp/shebang.sh
# Two ways for alice to become root: a file-capability binary (cap_setuid=ep) and a
# setuid-root helper; both call setresuid(0, 0, 0) and then run a probe mode.
cp /usr/local/bin/jg-probe /tmp/capprobe
cp /usr/local/bin/jg-probe /tmp/suidprobe
chmod 0755 /tmp/capprobe
chmod 4755 /tmp/suidprobe
capset=$(jg-probe set-capsetuid /tmp/capprobe)
mkfifo /tmp/fifo-revoke /tmp/fifo-revoke2 /tmp/fifo-revoke3
chmod 0666 /tmp/fifo-revoke /tmp/fifo-revoke2 /tmp/fifo-revoke3
jg-probe listen 127.0.0.1 7005 >/dev/null 2>&1 &
LISTENER=$!
sleep 0.5
# A descriptor root opened before any policy existed, inherited by everything this shell
# starts from here on (across setpriv's and jg-probe's execs).
exec 7<"$SECRET"

# ---------------------------------------------------------------- no gate: all of it works
expect_eq "no gate: alice reads the secret" "$(probe alice open $SECRET r)" ok
expect_eq "no gate: alice (loginuid unset) may set her own loginuid to carol's" \
	"$(as_user alice sh -c "printf 1002 >/proc/self/loginuid 2>/dev/null && cat /proc/self/loginuid || echo refused")" 1002
expect_eq "no gate: alice runs the protected ELF" "$(as_user alice $BIN $RUNS)" ok
expect_eq "no gate: alice runs it through ld.so" "$(as_user alice $LDSO $BIN $RUNS)" ok
expect_eq "no gate: alice runs the protected script" "$(as_user alice $TOOL)" prodctl-ran
expect_eq "no gate: alice runs the shebang script" "$(probe alice exec /tmp/shebang.sh)" \
	"$(cat /tmp/shebang.sh)"
expect_eq "no gate: execveat AT_EMPTY_PATH" "$(probe alice execveat $BIN $RUNS)" ok
expect_eq "no gate: fexecve" "$(probe alice fexecve $BIN $RUNS)" ok
expect_eq "no gate: memfd copy runs" "$(probe alice memfd-exec $BIN $RUNS)" ok
expect_eq "no gate: openat2" "$(probe alice openat2 $SECRET r)" ok
expect_eq "no gate: O_PATH + /proc/self/fd reopen" "$(probe alice opath-reopen $SECRET r)" ok
expect_eq "no gate: /proc/self/fd reopen of root's descriptor" "$(probe alice open /proc/self/fd/7 r)" ok
expect_eq "no gate: io_uring openat" "$(probe alice uring-open $SECRET r)" ok
expect_eq "no gate: io_uring connect" "$(probe alice uring-connect 127.0.0.1 7005)" ok
expect_eq "no gate: connect" "$(probe alice connect 127.0.0.1 7005)" ok
expect_eq "no gate: UDP sendto without connect" "$(probe alice udp 127.0.0.1 7005)" ok
expect_eq "no gate: TCP Fast Open sendto without connect" "$(probe alice tfo 127.0.0.1 7005)" ok
expect_eq "no gate: chroot (root)" "$(probe root chroot /srv/prod /secrets/db.pw r)" ok
expect_eq "no gate: new mount namespace + bind (root)" \
	"$(probe root nsbind /srv/prod /mnt/ns /mnt/ns/secrets/db.pw r)" ok
userns=$(probe alice nsbind -U /srv/prod /mnt/ns-user /mnt/ns-user/secrets/db.pw r)
[ "$userns" = ok ] || untested "user namespaces: alice cannot create one here ($userns)"
expect_eq "no gate: inherited descriptor reads" "$(probe alice readfd 7)" db-password
expect_eq "no gate: inherited descriptor mmaps" "$(probe alice mmapfd 7)" db-password
echo x >/srv/prod/secrets/scratch
chmod 0666 /srv/prod/secrets/scratch
expect_eq "no gate: alice hardlinks the secret" \
	"$(as_user alice sh -c "ln $SECRET /srv/alice-link-pre && rm /srv/alice-link-pre && echo ok")" ok
expect_eq "no gate: truncate(2)" "$(probe alice truncate /srv/prod/secrets/scratch)" ok
expect_eq "no gate: rename(2)" "$(probe alice rename /srv/prod/secrets/scratch /srv/scratch)" ok
expect_eq "no gate: unlink(2)" "$(probe alice unlink /srv/scratch)" ok
expect_eq "no gate: set cap_setuid=ep on a copy of jg-probe" "$capset" ok
expect_eq "no gate: alice becomes root through file capabilities" "$(elevated /tmp/capprobe $RUNS)" ok
expect_eq "no gate: alice becomes root through a setuid-root helper" "$(elevated /tmp/suidprobe $RUNS)" ok

start_daemon "$POLICY" || finish
ok "status: enforcing" jitgate status
expect_eq "gate: alice's plain open denied" "$(probe alice open $SECRET r)" EACCES
expect_eq "gate: alice's plain exec of the ELF denied" "$(probe alice exec $BIN $RUNS)" EACCES
expect_eq "gate: alice's plain connect denied" "$(probe alice connect 127.0.0.1 7005)" EACCES

# ---------------------------------------------------------------- names
expect_eq "symlink: denied" "$(probe alice open /tmp/symlink r)" EACCES
expect_eq "hardlink made before the policy: denied" "$(probe alice open /srv/hardlink-before-load r)" EACCES
expect_eq "hardlink after the policy: refused without a write grant" \
	"$(as_user alice sh -c "ln $SECRET /srv/alice-link 2>/dev/null && echo ok || echo refused")" refused
mount --bind /srv/prod /mnt/bind
expect_eq "bind mount: denied" "$(probe alice open /mnt/bind/secrets/db.pw r)" EACCES
umount /mnt/bind
# Renames by root (no grant): either refused outright, or the renamed tree stays protected.
if mv /srv/prod/secrets /srv/prod/renamed 2>/dev/null; then
	expect_eq "rename of the protected directory: still denied" \
		"$(probe alice open /srv/prod/renamed/db.pw r)" EACCES
	mv /srv/prod/renamed /srv/prod/secrets
else
	_vm_ok "rename of the protected directory: refused"
fi
if mv /srv/prod /srv/prod-moved 2>/dev/null; then
	expect_eq "rename of a parent: still denied" "$(probe alice open /srv/prod-moved/secrets/db.pw r)" EACCES
	mv /srv/prod-moved /srv/prod
else
	_vm_ok "rename of a parent: refused"
fi
expect_eq "openat2: denied" "$(probe alice openat2 $SECRET r)" EACCES
expect_eq "O_PATH then reopen through /proc/self/fd: denied" "$(probe alice opath-reopen $SECRET r)" EACCES
expect_eq "/proc/self/fd reopen of root's pre-policy descriptor: denied" \
	"$(probe alice open /proc/self/fd/7 r)" EACCES
expect_eq "io_uring openat: denied" "$(probe alice uring-open $SECRET r)" EACCES
expect_eq "io_uring openat for write: denied" "$(probe alice uring-open $SECRET w)" EACCES
expect_eq "io_uring connect: denied" "$(probe alice uring-connect 127.0.0.1 7005)" EACCES
expect_eq "UDP sendto without connect: denied" "$(probe alice udp 127.0.0.1 7005)" EACCES
expect_eq "TCP Fast Open (sendto MSG_FASTOPEN, no connect()): denied" "$(probe alice tfo 127.0.0.1 7005)" EACCES

# ---------------------------------------------------------------- namespaces and roots
expect_eq "chroot into the tree (root): denied" "$(probe root chroot /srv/prod /secrets/db.pw r)" EACCES
expect_eq "new mount namespace + bind mount (root): denied" \
	"$(probe root nsbind /srv/prod /mnt/ns /mnt/ns/secrets/db.pw r)" EACCES
if [ "$userns" = ok ]; then
	expect_eq "user namespace (alice is root inside) + bind mount: denied" \
		"$(probe alice nsbind -U /srv/prod /mnt/ns-user /mnt/ns-user/secrets/db.pw r)" EACCES
fi

# ---------------------------------------------------------------- exec
expect_eq "shebang script naming the protected interpreter: denied" \
	"$(probe alice exec /tmp/shebang.sh)" EACCES
expect_eq "execveat(fd, \"\", AT_EMPTY_PATH): denied" "$(probe alice execveat $BIN $RUNS)" EACCES
expect_eq "fexecve: denied" "$(probe alice fexecve $BIN $RUNS)" EACCES
ldso_out=$(as_user alice $LDSO $BIN $RUNS 2>&1)
case $ldso_out in
*"failed to map segment"* | *"Permission denied"*) _vm_ok "ld.so running the protected ELF: its executable mapping is denied" ;;
*) _vm_not_ok "ld.so running the protected ELF: its executable mapping is denied" "got: $ldso_out" ;;
esac
gid_x=$(jitgate grant --user alice --allow prod-tools:exec --for 10m --reason "ld.so check")
expect_eq "ld.so running the protected ELF under an exec grant: runs" "$(as_user alice $LDSO $BIN $RUNS 2>&1)" ok
jitgate revoke "$gid_x" >/dev/null
settle
audit_has "audit: the ld.so mapping denial" '"type":"access.deny"' '"hook":"mmap"' '"perm":"exec"' "\"path\":\"$BIN\""
known "sh reads the protected script" "$(as_user alice sh $TOOL 2>&1)" \
	"the interpreter is exec'd; the script is only read"
known "memfd copy of the protected ELF runs" "$(probe alice memfd-exec $BIN $RUNS)" \
	"the copy is a new inode; reading the original is not exec"

# ---------------------------------------------------------------- descriptors
known "descriptor root opened before the policy, inherited across exec: read" "$(probe alice readfd 7)" \
	"reads are re-checked only on inodes an allowed open marked; this open predates the policy"
known "descriptor root opened before the policy, inherited across exec: mmap" "$(probe alice mmapfd 7)" \
	"mmaps are re-checked only on inodes an allowed open marked; this open predates the policy"
exec 7<&-

gid=$(jitgate grant --user alice --allow prod-secrets:read --for 10m --reason "bypass catalog")
case $gid in g-*) _vm_ok "grant for alice ($gid)" ;; *) _vm_not_ok "grant for alice" "got '$gid'" ;; esac
# alice opens under her grant and keeps the descriptor; the grant is revoked; she reads on.
as_user alice sh -c "exec 3<$SECRET && read _ </tmp/fifo-revoke && exec jg-probe readfd 3" \
	>/tmp/after-revoke.out 2>&1 &
HOLDER=$!
# ... and a second descriptor, to mmap after the revoke; and a mapping made under the grant.
as_user alice sh -c "exec 3<$SECRET && read _ </tmp/fifo-revoke2 && exec jg-probe mmapfd 3" \
	>/tmp/mmap-after-revoke.out 2>&1 &
HOLDER2=$!
as_user alice jg-probe mmap-hold "$SECRET" /tmp/fifo-revoke3 >/tmp/mapped-before-revoke.out 2>&1 &
HOLDER3=$!
# alice (granted) hands a descriptor to bob over SCM_RIGHTS.
as_user alice jg-probe scm-send /tmp/scm.sock "$SECRET" >/tmp/scm-send.out 2>&1 &
SENDER=$!
_i=0
while [ $_i -lt 50 ] && ! grep -q ok /tmp/scm-send.out 2>/dev/null; do sleep 0.1; _i=$((_i + 1)); done
expect_eq "bob alone: denied" "$(probe bob open $SECRET r)" EACCES
# The open was alice's (allowed, so the inode is marked); bob's read is decided for bob.
expect_eq "descriptor passed over SCM_RIGHTS by a grant holder: bob's read denied" \
	"$(probe bob scm-recv /tmp/scm.sock)" EACCES
wait $SENDER 2>/dev/null
jitgate revoke "$gid" >/dev/null
expect_eq "after revoke: alice's new open denied" "$(probe alice open $SECRET r)" EACCES
echo go >/tmp/fifo-revoke
wait $HOLDER 2>/dev/null
expect_eq "descriptor opened under a grant: read after revoke denied" "$(cat /tmp/after-revoke.out)" EACCES
echo go >/tmp/fifo-revoke2
wait $HOLDER2 2>/dev/null
expect_eq "descriptor opened under a grant: mmap after revoke denied" "$(cat /tmp/mmap-after-revoke.out)" EACCES
echo go >/tmp/fifo-revoke3
wait $HOLDER3 2>/dev/null
known "pages mapped under a grant, read after revoke" "$(cat /tmp/mapped-before-revoke.out)" \
	"a mapping made while the grant was live stays mapped; page access is not an LSM hook"

# ---------------------------------------------------------------- writes that are not open()
# (protected directory, DAC wide open: only the gate stands in the way)
expect_eq "truncate(2) by path, no grant: denied" "$(probe alice truncate /srv/prod/secrets/victim)" EACCES
expect_eq "unlink inside the protected directory, no grant: denied" \
	"$(probe alice unlink /srv/prod/secrets/victim2)" EACCES
# /srv is mode 0777 (make_tree): DAC lets alice move files there. A file with a second
# name at load (the secret: /srv/hardlink-before-load) is protected by its own identity,
# wherever it goes.
moved=$(probe alice rename $SECRET /srv/stolen)
if [ "$moved" = ok ]; then
	expect_eq "rename of a hardlinked file out of the tree: the file stays denied" \
		"$(probe alice open /srv/stolen r)" EACCES
	mv /srv/stolen "$SECRET"
else
	expect_eq "rename of a hardlinked file out of the tree: refused" "$moved" EACCES
fi
# A file with one name is protected by its directory only.
moved=$(probe alice rename /srv/prod/secrets/single.pw /srv/single-stolen)
expect_eq "rename of a single-link file out of the tree (alice, no grant): denied" "$moved" EACCES
[ "$moved" = ok ] && mv /srv/single-stolen /srv/prod/secrets/single.pw
# So is a file created in the tree after the load.
gid_w=$(jitgate grant --user alice --allow prod-secrets:write --for 10m --reason "new secret")
as_user alice sh -c "echo new-secret >/srv/prod/secrets/new.pw"
jitgate revoke "$gid_w" >/dev/null
expect_eq "file created after the load: bob denied in the tree" "$(probe bob open /srv/prod/secrets/new.pw r)" EACCES
moved=$(probe bob rename /srv/prod/secrets/new.pw /srv/new-stolen)
expect_eq "rename of a file created after the load out of the tree (bob, no grant): denied" "$moved" EACCES
[ "$moved" = ok ] && mv /srv/new-stolen /srv/prod/secrets/new.pw
expect_eq "rename of the protected directory itself by alice (no grant): denied" \
	"$(probe alice rename /srv/prod/secrets /srv/secrets-moved)" EACCES
[ -d /srv/secrets-moved ] && mv /srv/secrets-moved /srv/prod/secrets
expect_eq "the secret is still denied after the renames" "$(probe alice open $SECRET r)" EACCES

# ---------------------------------------------------------------- becoming root, becoming someone else
denied "alice made root by file capabilities still cannot read (subject is now uid 0, no grant)" \
	"$(elevated /tmp/capprobe open $SECRET r)"
denied "alice made root by a setuid-root helper still cannot read" \
	"$(elevated /tmp/suidprobe open $SECRET r)"
denied "alice cannot become root through file capabilities (cap_setuid + setresuid(0,0,0))" \
	"$(elevated /tmp/capprobe $RUNS)"
denied "alice cannot become root through a setuid-root helper calling setresuid(0,0,0)" \
	"$(elevated /tmp/suidprobe $RUNS)"
gid_c=$(jitgate grant --user carol --allow prod-secrets:read --for 10m --reason "carol's grant")
expect_eq "carol (granted) reads" "$(probe carol read $SECRET)" db-password
expect_eq "alice alone: denied" "$(probe alice open $SECRET r)" EACCES
expect_eq "alice with an unset loginuid cannot make herself carol (CAP_AUDIT_CONTROL needed)" \
	"$(as_user alice sh -c "printf 1002 >/proc/self/loginuid 2>/dev/null && jg-probe read $SECRET || echo refused")" \
	refused
expect_eq "root (CAP_AUDIT_CONTROL, as pam_loginuid) still sets a login uid" \
	"$(with_loginuid 1002 cat /proc/self/loginuid)" 1002
settle
audit_has "audit: the loginuid takeover is a denial with its reason" '"type":"access.deny"' \
	'"user":"alice"' '"path":"/proc/' 'CAP_AUDIT_CONTROL'
expect_eq "alice with a loginuid already set cannot change it" \
	"$(with_loginuid 1000 as_user alice sh -c "printf 1002 >/proc/self/loginuid 2>/dev/null && echo ok || echo refused")" \
	refused
jitgate revoke "$gid_c" >/dev/null

kill "$LISTENER" 2>/dev/null
diag "bypass catalog: $_known known bypass(es), $_untested untested (see docs/bypass-catalog.md)"
finish
