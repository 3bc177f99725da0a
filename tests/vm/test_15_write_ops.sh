#!/bin/sh
# Write-class operations on a protected tree need `write`: unlink, rmdir, rename (within,
# into, out of, the protected directory itself), a hardlink into the tree, create, mkdir,
# mknod, symlink, chmod, chown, utimes, truncate, setxattr, removexattr. Each works without
# the gate, is denied under it without a grant (alice, bob, root), works for alice with a
# write grant while bob stays denied, and leaves an audit line naming its hook.
. "${0%/*}/lib.sh"
. "${0%/*}/fixture.sh"

S=/srv/prod/secrets

# Victims inside the protected tree, owned by alice so that DAC lets her do everything.
setup() {
	rm -rf /srv/prod/secrets /srv/prod/secrets2 /srv/in /srv/o /srv/plain
	make_tree
	for f in u r o c t x; do
		echo "$f" >"$S/$f"
	done
	mkdir "$S/d"
	echo in >/srv/in
	echo plain >/srv/plain
	chown alice:alice "$S"/* /srv/in /srv/plain
	chmod 0666 "$S"/[uroctx]
	chmod 0666 /srv/in /srv/plain
	jg-fd op setxattr "$S/x" trusted.jg before >/dev/null
}

# Operations that need privilege (other owner, trusted.* xattrs) run as root with the
# subject's loginuid; the others as the user. "root" means loginuid unset: subject 0.
run() { # SUBJECT priv|user OP ARGS...
	_s=$1 _how=$2
	shift 2
	if [ "$_s" = root ]; then
		jg-fd op "$@"
	elif [ "$_how" = priv ]; then
		with_loginuid "$(id -u "$_s")" jg-fd op "$@"
	else
		as_user "$_s" jg-fd op "$@"
	fi
}

# name|priv or user|operation and arguments (one line each; the order matters: the
# directory rename comes last and is undone by the caller)
OPS="unlink|user|unlink $S/u
rmdir|user|rmdir $S/d
rename within|user|rename $S/r $S/r2
rename out of|user|rename $S/o /srv/o
rename into|user|rename /srv/in $S/in
hardlink into|user|link /srv/plain $S/nl
create|user|creat $S/n
mkdir|user|mkdir $S/nd
mknod (fifo)|user|mkfifo $S/fifo
symlink|user|symlink /etc/passwd $S/sl
chmod|user|chmod $S/c 0640
chown|priv|chown $S/c 1001 1001
chmod of the protected directory|priv|chmod $S 0777
utimes|user|utimes $S/t
truncate|user|truncate $S/t 0
setxattr|priv|setxattr $S/x trusted.jg after
removexattr|priv|removexattr $S/x trusted.jg
rename of the protected directory|priv|rename $S /srv/prod/secrets2"

each() { # SUBJECT WANT LABEL
	printf '%s\n' "$OPS" | while IFS='|' read -r name how cmd; do
		# shellcheck disable=SC2086 # cmd is a word list
		expect_eq "$3: $1 $name" "$(run "$1" "$how" $cmd)" "$2"
	done
}

# Counts are kept in the subshell of the pipe above: collect them through a file.
count_file=/tmp/test15.out
each_counted() {
	each "$@" >"$count_file"
	cat "$count_file"
	_p=$(grep -c '^ok - ' "$count_file")
	_f=$(grep -c '^not ok - ' "$count_file")
	_vm_pass=$((_vm_pass + _p))
	_vm_fail=$((_vm_fail + _f))
}

# --- without the gate every operation works
setup
each_counted alice ok "no gate"
setup

start_daemon || finish
ok "status: enforcing" jitgate status

# --- no grant: denied for alice, bob and root (loginuid unset)
for u in alice bob root; do
	each_counted "$u" EACCES "no grant"
done
ok "no grant: the tree is unchanged" test -f "$S/u" -a -d "$S/d" -a -f "$S/r" -a ! -e "$S/r2" \
	-a -f "$S/o" -a -f /srv/in -a ! -e "$S/n" -a ! -e "$S/nd" -a ! -e "$S/sl" -a -d "$S"
# (reading an xattr of a protected file is a read: the check takes a read grant)
gid_x=$(jitgate grant --user root --allow prod-secrets:read --for 1m --reason "test: xattr")
expect_eq "no grant: the xattr is unchanged" "$(jg-fd op getxattr "$S/x" trusted.jg)" before
jitgate revoke "$gid_x" >/dev/null
expect_eq "unprotected neighbour: alice may create next to the tree" "$(run alice user creat /srv/alice-new)" ok
expect_eq "reading is not writing: alice still cannot read without a grant" \
	"$(probe alice open "$S/c" r)" EACCES

# --- a read grant is not enough
gid_r=$(jitgate grant --user alice --allow prod-secrets:read --for 10m --reason "INC-15 read")
expect_eq "read grant: unlink still denied" "$(run alice user unlink "$S/u")" EACCES
expect_eq "read grant: chmod still denied" "$(run alice user chmod "$S/c" 0640)" EACCES
jitgate revoke "$gid_r" >/dev/null

# --- a write grant for alice: bob stays denied, alice may do everything
gid=$(jitgate grant --user alice --allow prod-secrets:write --for 10m --reason "INC-15 write ops")
case $gid in g-*) _vm_ok "write grant ($gid)" ;; *) _vm_not_ok "write grant" "got '$gid'" ;; esac
each_counted bob EACCES "alice granted"
each_counted root EACCES "alice granted"
each_counted alice ok "write grant"
ok "write grant: the protected directory was renamed" test -d /srv/prod/secrets2
expect_eq "renamed directory: still protected for bob" "$(probe bob open /srv/prod/secrets2/db.pw w)" EACCES
expect_eq "rename it back" "$(run alice priv rename /srv/prod/secrets2 $S)" ok
ok "write grant: files moved in are there" test -f "$S/in" -a -f "$S/nl" -a -f "$S/n" -a -d "$S/nd"
ok "write grant: the file moved out is gone from the tree" test -f /srv/o -a ! -e "$S/o"
# moved out of the tree: protected by its own identity from the rename on (bpf/files.bpf.h
# carry_tree), so a write grant is no way to take a file out of the policy
expect_eq "moved out: still protected, bob denied" "$(probe bob open /srv/o r)" EACCES
# moved into the tree: now protected
expect_eq "moved in: bob cannot read it" "$(probe bob open "$S/in" r)" EACCES
jitgate revoke "$gid" >/dev/null
expect_eq "revoked: alice's unlink denied at once" "$(run alice user unlink "$S/in")" EACCES
expect_eq "revoked: alice's chmod denied at once" "$(run alice user chmod "$S/n" 0600)" EACCES

# --- audit-mode resource: logged, not blocked
expect_eq "audit-mode resource: alice may unlink" "$(run alice user unlink /srv/staging/notes)" ok

# --- the audit log names each hook
settle
for h in unlink rmdir rename create setattr xattr link; do
	audit_has "audit: deny $h" '"type":"access.deny"' "\"hook\":\"$h\"" '"perm":"write"' \
		'"resource":"prod-secrets"' '"user":"alice"' '"errno":13'
	audit_has "audit: allow $h by grant" '"type":"access.allow"' "\"hook\":\"$h\"" \
		'"perm":"write"' "\"grant_id\":\"$gid\"" '"user":"alice"'
done
audit_has "audit: the kernel names the executable (unlink)" '"type":"access.deny"' \
	'"hook":"unlink"' '"exe":"/usr/local/bin/jg-fd"'
audit_has "audit: deny for bob" '"type":"access.deny"' '"hook":"unlink"' '"user":"bob"'
audit_has "audit: unlink names the file it refused" '"type":"access.deny"' '"hook":"unlink"' \
	"\"path\":\"$S/u\""
audit_has "audit: mkdir names the directory it refused in" '"type":"access.deny"' \
	'"hook":"create"' "\"path\":\"$S\""
audit_has "audit: chmod of the protected directory names it" '"type":"access.deny"' \
	'"hook":"setattr"' "\"path\":\"$S\","
audit_has "audit: deny for root, loginuid null" '"type":"access.deny"' '"hook":"setattr"' \
	'"uid":0,"loginuid":null'
audit_has "audit: audit-mode unlink" '"type":"access.audit"' '"hook":"unlink"' '"resource":"staging"'
ok "audit: seq is gap-free" sh -c "grep -o '\"seq\":[0-9]*' $AUDIT | cut -d: -f2 | awk 'NR!=\$1{exit 1}'"
finish
