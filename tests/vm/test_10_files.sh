#!/bin/sh
# File read and write through the gate: deny without a grant, allow with one for that
# subject only, revoke at once, expiry enforced by the kernel alone, names (symlink,
# hardlinks, bind mount, renames) do not matter, loginuid decides, and the audit log
# holds every decision.
. "${0%/*}/lib.sh"
. "${0%/*}/fixture.sh"

SECRET=/srv/prod/secrets/db.pw
make_tree
ln "$SECRET" /srv/hardlink-before-load
ln -s "$SECRET" /tmp/symlink
mkdir -p /mnt/bind

# Without the gate all of this works: the denials below are the gate's doing.
expect_eq "no gate: alice reads the secret" "$(probe alice open $SECRET r)" ok
expect_eq "no gate: bob writes the secret" "$(probe bob open $SECRET w)" ok

start_daemon || { finish; }
ok "status: enforcing" jitgate status

# --- no grant: denied for everyone, root included (loginuid unset: subject uid 0)
for u in alice bob root; do
	expect_eq "no grant: $u read denied" "$(probe $u open $SECRET r)" EACCES
	expect_eq "no grant: $u write denied" "$(probe $u open $SECRET w)" EACCES
done
expect_eq "directory listing of the tree denied" "$(probe alice open /srv/prod/secrets r)" EACCES
expect_eq "unprotected neighbour still readable" "$(probe alice open /srv/public/readme r)" ok
expect_eq "symlink: denied" "$(probe alice open /tmp/symlink r)" EACCES
expect_eq "hardlink made before the policy: denied" "$(probe alice open /srv/hardlink-before-load r)" EACCES
mount --bind /srv/prod /mnt/bind
expect_eq "bind mount: denied" "$(probe alice open /mnt/bind/secrets/db.pw r)" EACCES
# Renaming the protected directory is itself a write to it: root takes a write grant.
gid_root=$(jitgate grant --user root --allow prod-secrets:write --for 10m --reason "test: rename")
mv /srv/prod/secrets /srv/prod/renamed
expect_eq "renamed protected directory: denied" "$(probe alice open /srv/prod/renamed/db.pw r)" EACCES
mv /srv/prod /srv/prod-moved
expect_eq "renamed parent directory: denied" "$(probe alice open /srv/prod-moved/renamed/db.pw r)" EACCES
mv /srv/prod-moved /srv/prod
mv /srv/prod/renamed /srv/prod/secrets
jitgate revoke "$gid_root" >/dev/null
fails "hardlink after load without a grant: refused" as_user alice ln "$SECRET" /srv/alice-link
expect_eq "root with alice's loginuid: denied" "$(with_loginuid 1000 jg-probe open $SECRET r)" EACCES

# --- a read grant for alice
gid=$(jitgate grant --user alice --allow prod-secrets:read --for 10m --reason "INC-1 rotate creds")
case $gid in g-*) _vm_ok "grant prints an id ($gid)" ;; *) _vm_not_ok "grant prints an id" "got '$gid'" ;; esac
expect_eq "grant: alice reads" "$(probe alice read $SECRET)" db-password
expect_eq "grant: alice still cannot write (read only)" "$(probe alice open $SECRET w)" EACCES
expect_eq "grant: bob still denied" "$(probe bob open $SECRET r)" EACCES
expect_eq "grant: root (loginuid unset) still denied" "$(probe root open $SECRET r)" EACCES
expect_eq "grant: root with alice's loginuid reads (sudo -s keeps alice)" \
	"$(with_loginuid 1000 jg-probe open $SECRET r)" ok
expect_eq "grant: bob with loginuid 1000 is alice to the gate" \
	"$(with_loginuid 1000 as_user bob jg-probe open $SECRET r)" ok
expect_eq "grant: alice with loginuid 1001 is bob to the gate" \
	"$(with_loginuid 1001 as_user alice jg-probe open $SECRET r)" EACCES
expect_eq "grant: via symlink" "$(probe alice open /tmp/symlink r)" ok
expect_eq "grant: via bind mount" "$(probe alice open /mnt/bind/secrets/db.pw r)" ok
expect_eq "grant: via hardlink" "$(probe alice open /srv/hardlink-before-load r)" ok
# A grant adds nothing to what DAC allows: with the file mode closed, alice's grant is moot.
gid_root=$(jitgate grant --user root --allow prod-secrets:write --for 10m --reason "test: chmod")
chmod 0600 "$SECRET"
settle
allows_before=$(grep -c '"type":"access.allow"' "$AUDIT")
expect_eq "grant: DAC denial stands (mode 0600, alice granted)" "$(probe alice open $SECRET r)" EACCES
settle
expect_eq "grant: no access.allow for an open DAC refused" "$(grep -c '"type":"access.allow"' "$AUDIT")" "$allows_before"
chmod 0666 "$SECRET"
jitgate revoke "$gid_root" >/dev/null
# The same for another LSM: Landlock (ahead of bpf in the LSM order) refuses, the grant is moot.
expect_eq "grant: another LSM's denial stands (Landlock forbids reads)" \
	"$(probe alice landlock-open $SECRET r)" EACCES
expect_eq "grant: the same open without Landlock is allowed" "$(probe alice open $SECRET r)" ok
ok "list shows the grant" sh -c "jitgate list | grep -q $gid"
ok "list --json shows alice" sh -c "jitgate list --json | grep -q '\"user\": *\"alice\"'"

# --- revoke takes effect at once
ok "revoke $gid" jitgate revoke "$gid"
expect_eq "revoked: alice denied at once" "$(probe alice open $SECRET r)" EACCES
fails "revoke of an unknown id fails" jitgate revoke g-999999

# --- write grant; a hardlink made with it stays protected by inode identity
gid_w=$(jitgate grant --user alice --allow prod-secrets:write --for 10m --reason "INC-2")
expect_eq "write grant: alice writes" "$(probe alice open $SECRET w)" ok
expect_eq "write grant: alice still cannot read (write only)" "$(probe alice open $SECRET r)" EACCES
expect_eq "write grant: bob cannot write" "$(probe bob open $SECRET w)" EACCES
expect_eq "write grant: root (loginuid unset) cannot write" "$(probe root open $SECRET w)" EACCES
expect_eq "write grant: root with alice's loginuid writes" "$(with_loginuid 1000 jg-probe open $SECRET w)" ok
expect_eq "write grant: via symlink" "$(probe alice open /tmp/symlink w)" ok
expect_eq "write grant: via bind mount" "$(probe alice open /mnt/bind/secrets/db.pw w)" ok
expect_eq "write grant: via hardlink" "$(probe alice open /srv/hardlink-before-load w)" ok
ok "revoke the write grant" jitgate revoke "$gid_w"
expect_eq "write revoked: alice cannot write at once" "$(probe alice open $SECRET w)" EACCES
expect_eq "write revoked: nor via the hardlink" "$(probe alice open /srv/hardlink-before-load w)" EACCES
gid_w=$(jitgate grant --user alice --allow prod-secrets:read,write --for 10m --reason "INC-3")
expect_eq "read+write grant: O_RDWR" "$(probe alice open $SECRET rw)" ok
ok "write grant: alice may hardlink the secret out of the tree" as_user alice ln "$SECRET" /srv/alice-link
expect_eq "write grant: the new name works for alice" "$(probe alice open /srv/alice-link r)" ok
expect_eq "the new name is denied to bob" "$(probe bob open /srv/alice-link r)" EACCES
jitgate revoke --user alice >/dev/null
expect_eq "after revoke: the new name is denied to alice" "$(probe alice open /srv/alice-link r)" EACCES

# --- audit mode: logged, not blocked
expect_eq "audit-mode resource: alice reads" "$(probe alice open /srv/staging/notes r)" ok

# --- expiry with the daemon dead: the kernel alone ends access
gid_x=$(jitgate grant --user alice --allow prod-secrets:read,write --for 6s --reason "short")
expect_eq "short grant: alice reads" "$(probe alice open $SECRET r)" ok
expect_eq "short grant: alice writes" "$(probe alice open $SECRET w)" ok
settle
kill_daemon
ok "daemon killed: the gate stays pinned" test -e /sys/fs/bpf/jitgate/link_file_open
ok "daemon killed: status still says enforcing" jitgate status
expect_eq "daemon dead, grant live: alice reads" "$(probe alice open $SECRET r)" ok
sleep 7
expect_eq "daemon dead, grant expired: alice's read denied by the kernel alone" "$(probe alice open $SECRET r)" EACCES
expect_eq "daemon dead, grant expired: alice's write denied by the kernel alone" "$(probe alice open $SECRET w)" EACCES
expect_eq "daemon dead: carol denied (first time carol tries)" "$(probe carol open $SECRET r)" EACCES
start_daemon
ok "restarted daemon adopted the pinned gate" grep -q "adopted the pinned gate" "$DAEMON_LOG"
settle
expect_eq "after restart: the hardlink made before the first load is still denied" \
	"$(probe alice open /srv/hardlink-before-load r)" EACCES

# --- the audit log holds the decisions
audit_has "audit: daemon.start" '"type":"daemon.start"'
audit_has "audit: policy.load" '"type":"policy.load"'
audit_has "audit: deny for alice read with path" '"type":"access.deny"' '"resource":"prod-secrets"' \
	'"perm":"read"' '"user":"alice"' "\"path\":\"$SECRET\""
audit_has "audit: deny for bob write" '"type":"access.deny"' '"perm":"write"' '"user":"bob"'
audit_has "audit: allow for alice write with grant id" '"type":"access.allow"' '"perm":"write"' "\"grant_id\":\"$gid_w\""
audit_has "audit: deny for root with loginuid null" '"type":"access.deny"' '"uid":0,"loginuid":null'
audit_has "audit: deny via symlink names the real file" '"type":"access.deny"' '"comm":"jg-probe"' '"path":"/srv/prod/secrets/db.pw"'
audit_has "audit: allow carries the grant id" '"type":"access.allow"' "\"grant_id\":\"$gid\"" '"user":"alice"'
audit_has "audit: audit-mode would-deny" '"type":"access.audit"' '"resource":"staging"'
audit_has "audit: refused hardlink" '"type":"access.deny"' '"hook":"link"' '"perm":"write"'
audit_has "audit: grant.create with reason" '"type":"grant.create"' "\"grant_id\":\"$gid\"" '"reason":"INC-1 rotate creds"'
audit_has "audit: grant.revoke" '"type":"grant.revoke"' "\"grant_id\":\"$gid\""
audit_has "audit: grant.expire noticed after restart" '"type":"grant.expire"' "\"grant_id\":\"$gid_x\"" '"noticed_after_restart":true'
audit_has "audit: a denial from while the daemon was dead was drained" '"type":"access.deny"' '"user":"carol"'
ok "audit: seq is gap-free" sh -c "grep -o '\"seq\":[0-9]*' $AUDIT | cut -d: -f2 | awk 'NR!=\$1{exit 1}'"
finish
