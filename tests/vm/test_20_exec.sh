#!/bin/sh
# Exec through the gate: a protected executable runs only under a live exec grant of the
# subject; names and loginuid as for files; expiry without the daemon; audit lines.
. "${0%/*}/lib.sh"
. "${0%/*}/fixture.sh"

TOOL=/srv/prod/bin/prodctl
make_tree
ln -s "$TOOL" /tmp/prodctl-symlink
mkdir -p /mnt/bin

expect_eq "no gate: alice runs the tool" "$(as_user alice $TOOL)" prodctl-ran
start_daemon || finish

for u in alice bob root; do
	expect_eq "no grant: $u exec denied" "$(probe $u exec $TOOL)" EACCES
done
expect_eq "no grant: via symlink denied" "$(probe alice exec /tmp/prodctl-symlink)" EACCES
mount --bind /srv/prod/bin /mnt/bin
expect_eq "no grant: via bind mount denied" "$(probe alice exec /mnt/bin/prodctl)" EACCES
# renaming the directory above the program moves its name: that needs the program's grant
fails "no grant: root cannot rename the directory above the program" mv /srv/prod/bin /srv/prod/bin-renamed
gid_mv=$(jitgate grant --user root --allow prod-tools:exec --for 1m --reason "test: rename")
mv /srv/prod/bin /srv/prod/bin-renamed
expect_eq "no grant: renamed directory, still denied" "$(probe alice exec /srv/prod/bin-renamed/prodctl)" EACCES
mv /srv/prod/bin-renamed /srv/prod/bin
jitgate revoke "$gid_mv" >/dev/null
ln "$TOOL" /srv/prodctl-hardlink 2>/dev/null
expect_eq "no grant: hardlink (root made it: root holds no write grant either)" \
	"$(test -e /srv/prodctl-hardlink && echo exists || echo refused)" exists
expect_eq "no grant: via that hardlink denied (same inode)" "$(probe alice exec /srv/prodctl-hardlink)" EACCES
expect_eq "reading the tool is not exec: allowed" "$(probe alice open $TOOL r)" ok

gid=$(jitgate grant --user alice --allow prod-tools:exec --for 10m --reason "deploy hotfix")
expect_eq "grant: alice runs the tool" "$(as_user alice $TOOL)" prodctl-ran
expect_eq "grant: via symlink" "$(as_user alice /tmp/prodctl-symlink)" prodctl-ran
expect_eq "grant: bob still denied" "$(probe bob exec $TOOL)" EACCES
expect_eq "grant: root with alice's loginuid runs it" "$(with_loginuid 1000 $TOOL)" prodctl-ran
expect_eq "grant: root without loginuid denied" "$(probe root exec $TOOL)" EACCES

ok "revoke" jitgate revoke "$gid"
expect_eq "revoked: alice denied at once" "$(probe alice exec $TOOL)" EACCES

gid_x=$(jitgate grant --user alice --allow prod-tools:exec --for 6s --reason "short")
expect_eq "short grant: alice runs it" "$(as_user alice $TOOL)" prodctl-ran
settle
kill_daemon
sleep 7
expect_eq "daemon dead, grant expired: alice denied by the kernel alone" "$(probe alice exec $TOOL)" EACCES
start_daemon
settle

audit_has "audit: exec deny" '"type":"access.deny"' '"hook":"exec"' '"resource":"prod-tools"' '"perm":"exec"' "\"path\":\"$TOOL\""
audit_has "audit: exec allow with grant id" '"type":"access.allow"' '"hook":"exec"' "\"grant_id\":\"$gid\""
audit_has "audit: grant.expire" '"type":"grant.expire"' "\"grant_id\":\"$gid_x\""
finish
