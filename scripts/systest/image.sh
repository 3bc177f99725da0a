#!/usr/bin/env bash
# Turn an unpacked Debian rootfs into the full-system test's guest (scripts/systest.sh):
#
#   scripts/systest/image.sh ROOTFS-DIR JITGATE.deb TESTS-DIR
#
# /init -> systemd; the package installed with `dpkg -i` in a chroot (its postinst enables
# jitgated.service); the test policy and config in /etc/jitgate; the user alice (uid 1000)
# with an ssh key that root holds, and sudoers letting her; the protected files; the test
# unit that runs TESTS-DIR/run.sh after multi-user.target. Root only (chroot, owners).
set -euo pipefail
PROG=systest/image.sh
die() { echo "$PROG: $*" >&2; exit 2; }
(($# == 3)) || die "usage: $PROG ROOTFS-DIR JITGATE.deb TESTS-DIR"
R=$1 DEB=$2 T=$3
[[ -x $R/usr/lib/systemd/systemd ]] || die "$R has no systemd"
in_root() { chroot "$R" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C "$@"; }

# What a RAM-backed guest does without: docs, man pages, locales, apt's caches.
rm -rf "$R"/usr/share/{doc,man,info,locale}/* "$R"/var/cache/apt/*.bin "$R"/var/lib/apt/lists/*

# PID 1 is systemd, straight from the initramfs (no switch_root).
ln -sfn /usr/lib/systemd/systemd "$R/init"
# A fixed machine id: not a first boot, the journal has its usual place.
od -An -N16 -tx1 /dev/urandom | tr -d ' \n' >"$R/etc/machine-id"
echo >>"$R/etc/machine-id"
echo jitgate-systest >"$R/etc/hostname"
printf '127.0.0.1 localhost\n127.0.1.1 jitgate-systest\n::1 localhost\n' >"$R/etc/hosts"
# Nobody logs in on the console (the tests' output goes there); nothing runs on a timer.
for u in serial-getty@ttyS0.service getty@tty1.service apt-daily.timer apt-daily-upgrade.timer \
	logrotate.timer dpkg-db-backup.timer fstrim.timer e2scrub_all.timer; do
	ln -sfn /dev/null "$R/etc/systemd/system/$u"
done
[[ -f $R/etc/ssh/ssh_host_ed25519_key ]] || in_root ssh-keygen -A >/dev/null

# The package, as an administrator installs it.
cp "$DEB" "$R/tmp/jitgate.deb"
if ! in_root dpkg -i /tmp/jitgate.deb >"$R/tmp/dpkg-i.log" 2>&1; then
	cat "$R/tmp/dpkg-i.log" >&2
	die "dpkg -i ${DEB##*/} failed in the rootfs"
fi
rm -f "$R/tmp/jitgate.deb"
[[ -L $R/etc/systemd/system/multi-user.target.wants/jitgated.service ]] ||
	die "the package's postinst did not enable jitgated.service"

# Emulation (TCG) on a busy builder is 10-50 times slower than a real host: the BPF verifier
# alone can take a minute. The package's TimeoutStartSec=90s stays in force everywhere else;
# here a slow start must not turn into a failed one.
install -d -m 0755 "$R/etc/systemd/system/jitgated.service.d"
printf '[Service]\nTimeoutStartSec=300s\n' >"$R/etc/systemd/system/jitgated.service.d/systest-tcg.conf"

# The test's policy and config (audit_max_bytes 0: logrotate rotates the audit log, with the
# site rule dist/jitgate.logrotate describes).
install -m 0644 "$T/policy.json" "$R/etc/jitgate/policy.json"
install -m 0644 "$T/jitgated.json" "$R/etc/jitgate/jitgated.json"
install -m 0644 "$T/logrotate-audit" "$R/etc/logrotate.d/jitgate-audit"
install -d -m 0755 "$R/etc/jitgate-systest" "$R/usr/local/lib/jitgate-systest"
install -m 0644 "$T/policy-reload.json" "$R/etc/jitgate-systest/policy-reload.json"
install -m 0755 "$T/run.sh" "$R/usr/local/lib/jitgate-systest/run.sh"

# What the policy protects, readable by anyone as far as the file modes go.
install -d -m 0755 "$R/srv/secret" "$R/srv/extra"
echo "db password: hunter2" >"$R/srv/secret/db.pw"
echo "notes" >"$R/srv/extra/notes.txt"
chmod 0644 "$R/srv/secret/db.pw" "$R/srv/extra/notes.txt"

# alice: key login over ssh (password field "*": no password, not locked), sudo for all.
in_root useradd -m -u 1000 -s /bin/bash alice
in_root usermod -p '*' alice
install -d -m 0700 "$R/root/.ssh" "$R/home/alice/.ssh"
rm -f "$R/root/.ssh/id_ed25519" "$R/root/.ssh/id_ed25519.pub"
ssh-keygen -q -t ed25519 -N '' -C root@jitgate-systest -f "$R/root/.ssh/id_ed25519"
install -m 0600 "$R/root/.ssh/id_ed25519.pub" "$R/home/alice/.ssh/authorized_keys"
in_root chown -R alice:alice /home/alice/.ssh
echo 'alice ALL=(ALL:ALL) NOPASSWD: ALL' >"$R/etc/sudoers.d/alice"
chmod 0440 "$R/etc/sudoers.d/alice"

# The test unit.
install -m 0644 "$T/jitgate-systest.service" "$R/etc/systemd/system/jitgate-systest.service"
ln -sfn /etc/systemd/system/jitgate-systest.service \
	"$R/etc/systemd/system/multi-user.target.wants/jitgate-systest.service"
