#!/usr/bin/env bash
# Build (once) the Debian rootfs the full-system test boots, and print its path.
#
#   scripts/systest/rootfs.sh
#
# mmdebstrap makes a bookworm minbase tarball with systemd, sshd, sudo, PAM, logrotate and
# the libraries the jitgate package depends on. It is cached in .cache/systest under a name
# that carries a hash of the suite, variant and package list, so a changed list builds a
# new one and an unchanged list is built once per checkout (about 4 minutes).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CACHE=$ROOT/.cache/systest
PROG=systest/rootfs.sh

SUITE=bookworm
VARIANT=minbase
# Keep sorted. The libraries are the jitgate package's Depends (dpkg -i refuses the package
# without them); the rest is what a real host has and the tests drive.
PKGS=(
	kmod libbpf1 libelf1 libjansson4 libpam-modules libpq5 libqrencode4 libsqlite3-0 libssl3
	libsystemd0 logrotate openssh-client openssh-server procps sudo systemd systemd-sysv udev
	util-linux zlib1g
)

die() { echo "$PROG: $*" >&2; exit 2; }

list=$(IFS=,; echo "${PKGS[*]}")
key=$(printf '%s %s %s\n' "$SUITE" "$VARIANT" "$list" | sha256sum | cut -c1-12)
TAR=$CACHE/rootfs-$SUITE-$key.tar
mkdir -p "$CACHE"
if [[ ! -s $TAR ]]; then
	command -v mmdebstrap >/dev/null || die "mmdebstrap missing (run scripts/deps.sh systest)"
	((EUID == 0)) || die "building the rootfs needs root (mmdebstrap's root mode)"
	exec 9>"$CACHE/.lock"
	flock 9
	if [[ ! -s $TAR ]]; then
		echo "$PROG: building $SUITE $VARIANT rootfs (once, into .cache/systest; a few minutes)" >&2
		tmp=$CACHE/.rootfs.$$.tar
		log=$CACHE/rootfs-$key.log
		if ! mmdebstrap --variant="$VARIANT" --include="$list" "$SUITE" "$tmp" >"$log" 2>&1; then
			rm -f "$tmp"
			tail -n 30 "$log" >&2
			die "mmdebstrap failed (the whole log: ${log#"$ROOT"/})"
		fi
		mv "$tmp" "$TAR"
		printf '%s\n' "$SUITE $VARIANT $list" >"$TAR.pkgs"
	fi
	exec 9>&-
fi
echo "$TAR"
