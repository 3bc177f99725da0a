#!/bin/sh
# Session trail: every file created, written, renamed, linked, unlinked, chmod'ed, chown'ed
# or truncated by a task of an elevated session under a watched tree (default /etc,
# /var/spool/cron, ...) is a session.file record with the grant and the human; the same
# operations outside the watched trees, or by root outside any session, are not; a policy's
# own "watch" list replaces the defaults; `jitgate history --grant` shows the session's
# trail in order.
. "${0%/*}/lib.sh"
. "${0%/*}/fixture.sh"

S=/opt/suid
U=/srv/unwatched
C=/srv/custom
make_tree
mkdir -p $S /var/spool/cron/crontabs $U $C
chmod 0755 $S
cp /usr/local/bin/jg-suid $S/jg-suid
chown root:root $S/jg-suid
chmod 4755 $S/jg-suid

cat >/tmp/policy-trail.json <<EOF
{
  "version": 1,
  "resources": {
    "root": { "description": "becoming root", "elevate": {} }
  }
}
EOF

# as_root_alice SCRIPT: alice (login uid 1000) becomes root through the setuid helper and
# runs SCRIPT in a root shell: a task of her elevated session.
as_root_alice() {
	with_loginuid 1000 as_user alice $S/jg-suid root /bin/sh -c "$1"
}

# count PATTERN...: audit lines matching every pattern
count() {
	_l=$(cat "$AUDIT")
	for _p in "$@"; do
		_l=$(printf '%s\n' "$_l" | grep -F -- "$_p")
	done
	printf '%s\n' "$_l" | grep -c .
}

# The operations, in directory DIR (which holds a file t-existing).
OPS='cd DIR &&
	echo new >DIR/t-new &&
	echo more >>DIR/t-existing &&
	mv DIR/t-new DIR/t-moved &&
	chmod 0600 DIR/t-moved &&
	chown 1:1 DIR/t-moved &&
	jg-probe truncate DIR/t-moved >/dev/null &&
	ln DIR/t-moved DIR/t-hard &&
	ln -s /bin/true DIR/t-sym &&
	mkdir DIR/t-dir && rmdir DIR/t-dir &&
	rm DIR/t-moved DIR/t-hard DIR/t-sym &&
	echo ok'
ops_in() {
	printf '%s' "$OPS" | sed "s|DIR|$1|g"
}
for dir in /etc $U $C; do
	echo keep >$dir/t-existing
done

start_daemon /tmp/policy-trail.json || finish
audit_has "policy.load names the watched trees" '"type":"policy.load"' '"watch":{"trees":["/etc"' \
	'"/var/spool/cron"'

# --- root outside any session: the same operations leave no session.file
expect_eq "plain root (no session): file operations in /etc work" "$(sh -c "$(ops_in /etc)")" ok
expect_eq "plain root with a login uid, no session: the same in /etc" \
	"$(with_loginuid 0 sh -c "$(ops_in /etc)")" ok
settle
expect_eq "no session: no session.file record" "$(count '"type":"session.file"')" 0

# --- alice's root session
gid=$(jitgate grant --user alice --allow root:elevate --for 10m --reason "INC-9 patch cron")
case $gid in g-*) _vm_ok "grant prints an id ($gid)" ;; *) _vm_not_ok "grant prints an id" "got '$gid'" ;; esac
expect_eq "alice's root shell is root" "$(as_root_alice 'id -u')" 0
expect_eq "alice's root shell: file operations in /etc" "$(as_root_alice "$(ops_in /etc)")" ok
expect_eq "alice's root shell: a crontab planted" \
	"$(as_root_alice 'echo "* * * * * /tmp/x" >/var/spool/cron/crontabs/root && echo ok')" ok
expect_eq "alice's root shell: file operations in an unwatched directory" \
	"$(as_root_alice "$(ops_in $U)")" ok
settle

sf() { # sf NAME PATTERN...: a session.file line of alice's grant with PATTERNs
	_n=$1
	shift
	audit_has "$_n" '"type":"session.file"' "\"grant_id\":\"$gid\"" '"user":"alice"' \
		'"loginuid":1000' '"resource":"root"' "$@"
}
sf "trail: create in /etc (with its mode)" '"op":"create"' '"path":"/etc/t-new"' '"mode":"0'
sf "trail: write to an existing file in /etc (open for writing)" '"op":"write"' \
	'"path":"/etc/t-existing"' '"hook":"file_open"'
sf "trail: rename in /etc (both names)" '"op":"rename"' '"path":"/etc/t-new"' \
	'"new_path":"/etc/t-moved"'
sf "trail: chmod in /etc (the new mode)" '"op":"chmod"' '"path":"/etc/t-moved"' '"mode":"0600"'
sf "trail: chown in /etc (the new owner)" '"op":"chown"' '"path":"/etc/t-moved"' \
	'"owner":{"uid":1,"gid":1}'
sf "trail: truncate in /etc" '"op":"truncate"' '"path":"/etc/t-moved"' '"size":0'
sf "trail: hard link in /etc" '"op":"link"' '"path":"/etc/t-moved"' '"new_path":"/etc/t-hard"'
sf "trail: symlink in /etc (its target)" '"op":"symlink"' '"path":"/etc/t-sym"' \
	'"target":"/bin/true"'
sf "trail: mkdir in /etc" '"op":"mkdir"' '"path":"/etc/t-dir"'
sf "trail: rmdir in /etc" '"op":"rmdir"' '"path":"/etc/t-dir"'
sf "trail: unlink in /etc" '"op":"unlink"' '"path":"/etc/t-moved"'
sf "trail: the crontab in /var/spool/cron" '"op":"create"' \
	'"path":"/var/spool/cron/crontabs/root"' '"watch":"/var/spool/cron"'
sf "trail: the acting process (comm, exe, euid 0)" '"op":"unlink"' '"comm":"rm"' '"euid":0' \
	'"exe":"/bin/busybox"'
expect_eq "trail: nothing for the unwatched directory" \
	"$(count '"type":"session.file"' "\"path\":\"$U/")" 0
expect_eq "trail: one record per operation in /etc (create's open is not a second one)" \
	"$(count '"type":"session.file"' '"path":"/etc/t-new"')" 2
expect_eq "trail: the priority ring lost nothing" \
	"$(jitgate status --json | tr -d ' \n' | grep -o '"prio_lost":[0-9]*')" '"prio_lost":0'

# --- a policy's own watch list replaces the defaults
sed -i "s|\"elevate\": {}|\"elevate\": { \"watch\": [\"$C\"] }|" /tmp/policy-trail.json
ok "policy reload with a custom watch list" jitgate policy reload
before=$(count '"type":"session.file"' '"path":"/etc/')
expect_eq "custom watch: file operations in $C and /etc" \
	"$(as_root_alice "$(ops_in $C) && $(ops_in /etc)")" "ok
ok"
settle
sf "custom watch: create in $C" '"op":"create"' "\"path\":\"$C/t-new\"" "\"watch\":\"$C\""
sf "custom watch: rename in $C" '"op":"rename"' "\"path\":\"$C/t-new\"" \
	"\"new_path\":\"$C/t-moved\""
expect_eq "custom watch: /etc is not watched any more" \
	"$(count '"type":"session.file"' '"path":"/etc/')" "$before"

# a watched tree that does not exist is refused with its place in the file
cat >/tmp/policy-badwatch.json <<EOF
{
  "version": 1,
  "resources": {
    "root": { "elevate": { "watch": ["/nonexistent/tree"] } }
  }
}
EOF
out=$(jitgate policy check /tmp/policy-badwatch.json 2>&1)
case $out in
*"policy-badwatch.json:4:"*"cannot resolve the watched tree \"/nonexistent/tree\""*)
	_vm_ok "policy check: an unresolvable watched tree is refused with FILE:LINE" ;;
*) _vm_not_ok "policy check: an unresolvable watched tree is refused with FILE:LINE" "got '$out'" ;;
esac

# --- history --grant: the session's trail in order
ok "revoke $gid" jitgate revoke "$gid"
settle
jitgate history --grant "$gid" >/tmp/hist.out 2>&1
ok "history --grant exits 0" test -s /tmp/hist.out
expect_contains "history --grant: the grant's block" /tmp/hist.out "^$gid  alice"
line() { grep -n -- "$1" /tmp/hist.out | head -n 1 | cut -d: -f1; }
l_create=$(line " grant.create $gid")
l_allow=$(line " access.allow alice elevate")
l_exec=$(line " session.exec alice $gid")
l_file=$(line " session.file alice $gid create /etc/t-new")
l_cron=$(line " session.file alice $gid create /var/spool/cron/crontabs/root")
l_custom=$(line " session.file alice $gid create $C/t-new")
l_revoke=$(line " grant.revoke $gid")
diag "history lines: create=$l_create allow=$l_allow exec=$l_exec file=$l_file cron=$l_cron custom=$l_custom revoke=$l_revoke"
# (setpriv's own exec, by alice's login uid holding the grant, is on the trail before the
# setuid exec that used the grant)
ok "history --grant: granted, used, exec, files, revoked, in that order" \
	test -n "$l_create" -a -n "$l_allow" -a -n "$l_exec" -a -n "$l_file" -a -n "$l_cron" \
	-a -n "$l_custom" -a -n "$l_revoke" -a "$l_create" -lt "$l_allow" -a "$l_create" -lt "$l_exec" \
	-a "$l_allow" -lt "$l_file" -a "$l_exec" -lt "$l_file" -a "$l_file" -lt "$l_cron" \
	-a "$l_cron" -lt "$l_custom" -a "$l_custom" -lt "$l_revoke"
sed -n '1,12p;16,20p;60,70p' /tmp/hist.out | sed 's/^/# /'
expect_eq "history --grant: no session.file of the unwatched directory" \
	"$(grep ' session.file ' /tmp/hist.out | grep -c "$U/")" 0
jitgate history --grant "$gid" --json | tr -d '\n' | sed 's/  */ /g' >/tmp/hist.json
expect_contains "history --grant --json: the grant and its trail" /tmp/hist.json \
	"\"grant\": {.*\"id\": \"$gid\""
expect_contains "history --grant --json: records as written" /tmp/hist.json \
	'"trail": \[ { "seq": [0-9]*, .*"type": "grant.create"'
out=$(jitgate history --grant g-999 2>&1)
case $out in
*"no grant g-999"*) _vm_ok "history --grant of an unknown grant: one sentence" ;;
*) _vm_not_ok "history --grant of an unknown grant: one sentence" "got '$out'" ;;
esac
out=$(jitgate history --grant x-1 2>&1)
case $out in
*"not a grant ID"*) _vm_ok "history --grant with a malformed id: usage error" ;;
*) _vm_not_ok "history --grant with a malformed id: usage error" "got '$out'" ;;
esac
fails "history --grant with --user: refused" jitgate history --grant "$gid" --user alice
fails "history --grant as alice (not an auditor): refused" as_user alice jitgate history --grant "$gid"
finish
