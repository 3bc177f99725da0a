#!/bin/sh
# vm-args: --modules loop,btrfs,overlay --mem 1024 --add /sbin/mkfs.btrfs:/usr/sbin/mkfs.btrfs --add /usr/bin/btrfs:/usr/sbin/btrfs --add /usr/sbin/mke2fs:/usr/sbin/mke2fs
# (mke2fs by absolute path: busybox sh would run its own ext2-only applet)
# Objects by identity, whatever the filesystem and whatever the way in: overlayfs in a user
# namespace (the protected tree as a lower layer), btrfs subvolumes (st_dev is not the
# superblock's device), open_by_handle_at on a cold cache (disconnected dentries),
# mmap-then-mprotect of a protected program, and a protected name given a new inode (sed -i,
# an editor's save, dpkg's rename, unlink and create again). Each technique is shown to work
# without the gate first.
. "${0%/*}/lib.sh"
. "${0%/*}/fixture.sh"

for m in loop btrfs overlay; do
	modprobe "$m" || { _vm_not_ok "modprobe $m" "failed"; finish; }
done

# /srv on ext4 (a real disk filesystem: a cold dcache can be had there, tmpfs has none)
dd if=/dev/zero of=/tmp/ext4.img bs=1M count=0 seek=64 2>/dev/null
/usr/sbin/mke2fs -q -t ext4 -F /tmp/ext4.img || { _vm_not_ok "mke2fs" "failed"; finish; }
mkdir -p /srv && mount -o loop /tmp/ext4.img /srv || { _vm_not_ok "mount ext4" "failed"; finish; }
make_tree
mkdir -p /srv/etc /srv/ov
echo "old-setting" >/srv/etc/app.conf
chmod 0777 /srv/etc /srv/ov
chmod 0666 /srv/etc/app.conf
# dynamic ELFs (ld.so maps them): copies of jg-probe; "open FILE r" prints ok
cp /usr/local/bin/jg-probe /srv/prod/bin/prodctl-bin
cp /usr/local/bin/jg-probe /srv/prod/bin/tool
printf 'x\n' >/srv/public/other
mkdir -p /srv/xbin
cp /usr/local/bin/jg-probe /srv/xbin/tool
cp /usr/local/bin/jg-probe /srv/xbin/tool2
chmod 0755 /srv/xbin/tool /srv/xbin/tool2
jg-fsprobe setxattr /srv/prod/secrets/db.pw user.note xattr-secret >/dev/null

# btrfs with a subvolume: its st_dev is an anonymous device, not the superblock's
dd if=/dev/zero of=/tmp/btr.img bs=1M count=0 seek=256 2>/dev/null
mkfs.btrfs -q -f /tmp/btr.img >/dev/null || { _vm_not_ok "mkfs.btrfs" "failed"; finish; }
mkdir -p /mnt/btr && mount -o loop /tmp/btr.img /mnt/btr || { _vm_not_ok "mount btrfs" "failed"; finish; }
btrfs -q subvolume create /mnt/btr/sub >/dev/null
mkdir -p /mnt/btr/sub/secrets
echo "btr-secret" >/mnt/btr/sub/secrets/s.txt
chmod 0777 /mnt/btr/sub /mnt/btr/sub/secrets
# btrfs gives an inode the generation of the transaction that made it: what an attacker
# makes later is of a later one (sync ends this one)
sync
mkdir -p /mnt/btr/pub
chmod 0777 /mnt/btr/pub
chmod +t /mnt/btr/pub
chmod 0666 /mnt/btr/sub/secrets/s.txt
diag "btrfs subvolume: stat dev $(stat -c %d /mnt/btr/sub/secrets), mountinfo $(grep ' /mnt/btr ' /proc/self/mountinfo | cut -d' ' -f3)"

# alice mounts an overlay in her own user namespace: OVL LOWER DIR
ovl() {
	_lower=$1
	shift
	rm -rf /srv/ov/up /srv/ov/work /srv/ov/m
	as_user alice mkdir -p /srv/ov/up /srv/ov/work /srv/ov/m
	as_user alice unshare -Urm sh -c "mount -t overlay overlay -o lowerdir=$_lower,upperdir=/srv/ov/up,workdir=/srv/ov/work /srv/ov/m && $*"
}

# --- without the gate every technique works
expect_eq "no gate: overlay read of the tree" "$(ovl /srv/prod/secrets jg-probe read /srv/ov/m/db.pw)" db-password
expect_eq "no gate: overlay exec of the program" "$(ovl /srv/prod/bin /srv/ov/m/prodctl-bin open /srv/public/readme r)" ok
expect_eq "no gate: mmap then mprotect PROT_EXEC" "$(as_user alice jg-fsprobe mprotect-exec /srv/prod/bin/prodctl-bin)" ok
expect_eq "no gate: name_to_handle_at" "$(jg-fsprobe handle-save /srv/prod/secrets/db.pw /tmp/h.secret)" ok
jg-fsprobe handle-save /srv/public/other /tmp/h.other >/dev/null
sync; echo 2 >/proc/sys/vm/drop_caches
expect_eq "no gate: open_by_handle_at, cold cache" "$(jg-fsprobe handle-read /srv /tmp/h.secret)" db-password
expect_eq "no gate: btrfs read" "$(probe alice read /mnt/btr/sub/secrets/s.txt)" btr-secret
expect_eq "no gate: getxattr" "$(as_user alice jg-fsprobe getxattr /srv/prod/secrets/db.pw user.note)" xattr-secret
expect_eq "no gate: open for ioctl only (mode 3)" "$(as_user alice jg-fsprobe open3 /srv/prod/secrets/db.pw)" ok

start_daemon "$TESTDIR/policy-fs.json" || finish
ok "status: enforcing" jitgate status

# --- 1. overlayfs over the protected tree, in alice's user namespace
expect_eq "overlay: read through the overlay denied" "$(ovl /srv/prod/secrets jg-probe read /srv/ov/m/db.pw)" EACCES
out=$(ovl /srv/prod/bin /srv/ov/m/prodctl-bin open /srv/public/readme r 2>&1)
case $out in ok*) _vm_not_ok "overlay: exec of the protected ELF denied" "it ran: $out" ;; *) _vm_ok "overlay: exec of the protected ELF denied" ;; esac
out=$(ovl /srv/prod/bin sh /srv/ov/m/prodctl 2>&1)
case $out in *prodctl-ran*) _vm_not_ok "overlay: the protected script denied" "it ran: $out" ;; *) _vm_ok "overlay: the protected script denied" ;; esac
expect_eq "overlay: mmap PROT_EXEC of the program denied" "$(ovl /srv/prod/bin jg-fsprobe mmap-exec /srv/ov/m/prodctl-bin 2>/dev/null)" EACCES
expect_eq "overlay: an unprotected lower file still readable" "$(ovl /srv/public jg-probe read /srv/ov/m/readme)" public
settle
audit_has "audit: overlay read denied, stacked" '"type":"access.deny"' '"stacked":true' '"perm":"read"'
audit_has "audit: overlay exec denied, stacked" '"type":"access.deny"' '"stacked":true' '"perm":"exec"'

# --- 6. mmap(PROT_READ), then mprotect(PROT_EXEC)
expect_eq "mprotect PROT_EXEC of the protected ELF denied" "$(as_user alice jg-fsprobe mprotect-exec /srv/prod/bin/prodctl-bin 2>/dev/null)" EACCES
expect_eq "mprotect PROT_EXEC of an unprotected file allowed" "$(as_user alice jg-fsprobe mprotect-exec /srv/public/readme 2>/dev/null)" ok
settle
audit_has "audit: mprotect denied" '"type":"access.deny"' '"hook":"mprotect"' '"perm":"exec"'

# --- 4. open_by_handle_at on a cold cache: a disconnected dentry
sync; echo 2 >/proc/sys/vm/drop_caches
expect_eq "open_by_handle_at of the secret, cold cache (root): denied" "$(jg-fsprobe handle-read /srv /tmp/h.secret 2>/dev/null)" EACCES
sync; echo 2 >/proc/sys/vm/drop_caches
expect_eq "open_by_handle_at of an unprotected file on the same fs, cold cache: denied (fail closed)" "$(jg-fsprobe handle-read /srv /tmp/h.other 2>/dev/null)" EACCES
expect_eq "plain open of the secret (root): denied" "$(probe root open /srv/prod/secrets/db.pw r)" EACCES
settle
audit_has "audit: disconnected dentry denied" '"type":"access.deny"' 'disconnected dentry'

# --- 3. btrfs subvolume
expect_eq "btrfs: alice read denied" "$(probe alice read /mnt/btr/sub/secrets/s.txt)" EACCES
expect_eq "btrfs: root read denied" "$(probe root read /mnt/btr/sub/secrets/s.txt)" EACCES
fails "btrfs: root cannot rename the file out" mv /mnt/btr/sub/secrets/s.txt /mnt/btr/sub/out.txt
ok "btrfs: still there" test -e /mnt/btr/sub/secrets/s.txt
jitgate grant --user alice --allow btr-secrets:read --for 10m --reason "test: btrfs" >/dev/null
expect_eq "btrfs: alice with a grant reads" "$(probe alice read /mnt/btr/sub/secrets/s.txt)" btr-secret
expect_eq "btrfs: bob without one still denied" "$(probe bob read /mnt/btr/sub/secrets/s.txt)" EACCES
# alice's own subvolume numbers its inodes from 256 too: her first directory gets the
# protected directory's number, on the same device
as_user alice /usr/sbin/btrfs -q subvolume create /mnt/btr/pub/alice-sv >/dev/null 2>&1
as_user alice mkdir /mnt/btr/pub/alice-sv/x
diag "alice's directory: ino $(stat -c %i /mnt/btr/pub/alice-sv/x), the protected one: $(stat -c %i /mnt/btr/sub/secrets)"
expect_eq "btrfs: alice's same-numbered directory in her subvolume does not lift the protection" "$(probe bob read /mnt/btr/sub/secrets/s.txt)" EACCES
as_user alice sh -c 'echo mine >/mnt/btr/pub/alice-sv/x/f'
expect_eq "btrfs: and is not protected itself" "$(probe alice read /mnt/btr/pub/alice-sv/x/f)" mine

# --- reading without read: ioctl-only opens, extended attributes
expect_eq "open for ioctl only (mode 3) needs read: denied" "$(as_user alice jg-fsprobe open3 /srv/prod/secrets/db.pw 2>/dev/null)" EACCES
expect_eq "getxattr of a protected file: denied" "$(as_user alice jg-fsprobe getxattr /srv/prod/secrets/db.pw user.note 2>/dev/null)" EACCES
expect_eq "listxattr of a protected file: denied" "$(as_user alice jg-fsprobe listxattr /srv/prod/secrets/db.pw 2>/dev/null)" EACCES
settle
audit_has "audit: getxattr denied" '"type":"access.deny"' '"hook":"getxattr"' '"perm":"read"'

# --- a program leaves its exec-protected tree (root, no grant)
ln /srv/xbin/tool /srv/tool-link
mv /srv/xbin/tool2 /srv/tool2-moved
out=$(as_user alice /srv/tool-link open /srv/public/readme r 2>&1)
case $out in ok*) _vm_not_ok "hardlink out of an exec tree: still exec-protected" "it ran: $out" ;; *) _vm_ok "hardlink out of an exec tree: still exec-protected" ;; esac
out=$(as_user alice /srv/tool2-moved open /srv/public/readme r 2>&1)
case $out in ok*) _vm_not_ok "rename out of an exec tree: still exec-protected" "it ran: $out" ;; *) _vm_ok "rename out of an exec tree: still exec-protected" ;; esac

# --- the name of a tree: a directory above it cannot be moved away without a grant
fails "alice cannot rename a directory above the protected tree" as_user alice mv /srv/prod /srv/prod.old
ok "the tree is where the policy says" test -d /srv/prod/secrets
settle
audit_has "audit: rename of an ancestor denied" '"type":"access.deny"' '"hook":"rename"' 'renaming a directory above a protected object'

# --- 9. a new inode at a protected name
jitgate grant --user alice --allow app-conf:read,write --for 10m --reason "test: rotate" >/dev/null
ino_before=$(stat -c %i /srv/etc/app.conf)
ok "sed -i by the grant holder" as_user alice sed -i s/old/new/ /srv/etc/app.conf
ino_after=$(stat -c %i /srv/etc/app.conf)
[ "$ino_before" != "$ino_after" ] && _vm_ok "sed -i made a new inode" || _vm_not_ok "sed -i made a new inode" "same inode $ino_before"
expect_eq "after sed -i: alice (grant) reads the new file" "$(probe alice read /srv/etc/app.conf)" new-setting
expect_eq "after sed -i: bob (no grant) denied" "$(probe bob read /srv/etc/app.conf)" EACCES
ok "unlink by the grant holder" as_user alice rm /srv/etc/app.conf
as_user alice sh -c 'echo recreated >/srv/etc/app.conf'
expect_eq "created again at the name: bob denied" "$(probe bob read /srv/etc/app.conf)" EACCES
cp /srv/prod/bin/prodctl-bin /srv/prod/bin/.tool.new
mv /srv/prod/bin/.tool.new /srv/prod/bin/tool
out=$(as_user alice /srv/prod/bin/tool open /srv/public/readme r 2>&1)
case $out in ok*) _vm_not_ok "program replaced dpkg-style: alice exec denied" "it ran: $out" ;; *) _vm_ok "program replaced dpkg-style: alice exec denied" ;; esac
settle
audit_has "audit: object.rebind on sed -i (rename)" '"type":"object.rebind"' '"hook":"rename"' '"resource":"app-conf"' '"path":"/srv/etc/app.conf"'
audit_has "audit: object.rebind on create" '"type":"object.rebind"' '"hook":"create"' '"resource":"app-conf"'
audit_has "audit: object.rebind of the program" '"type":"object.rebind"' '"resource":"prod-tools"' '"path":"/srv/prod/bin/tool"'
jitgate policy reload >/dev/null 2>&1
expect_eq "after a reload: the renamed-over file still protected" "$(probe bob read /srv/etc/app.conf)" EACCES

stop_daemon
finish
