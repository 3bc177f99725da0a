#!/usr/bin/env bash
# Install the Debian packages jitgate needs to build and test.
# Idempotent: silent when everything is present, installs only what is missing.
#   scripts/deps.sh       what make, make test and make demo need
#   scripts/deps.sh pkg   that, and the packaging tools (make deb, make deb-check)
#   scripts/deps.sh systest  that, and what the full-system test needs (make systest)
set -euo pipefail

PKGS=(
	# build
	make gcc clang llvm pkg-config bpftool kmod
	libbpf-dev libelf-dev zlib1g-dev libjansson-dev libsqlite3-dev libssl-dev libqrencode-dev
	libsystemd-dev lz4
	# tests: unit tests on the host, kernel tests in a VM (scripts/vm.sh)
	libcriterion-dev qemu-system-x86 busybox-static cpio util-linux rsyslog sudo
	# the metrics text checked by the Prometheus client's OpenMetrics parser (unit test)
	python3-prometheus-client
	# fleet: SSH signatures made by the real ssh-keygen in the unit tests; the store's tests
	# run a throwaway PostgreSQL (scripts/pg-throwaway.sh) with a test CA made by openssl
	openssh-client postgresql postgresql-contrib libpq-dev openssl
	# fuzzing (make fuzz): libFuzzer and the sanitizer runtimes of Debian's clang
	libclang-rt-14-dev
	# filesystems the VM tests build: btrfs and ext4 images on loop devices
	btrfs-progs e2fsprogs
	# schedules in the daemon and the VM need the zone database
	tzdata
)
# packaging: man pages (scdoc), the Debian package and its checks (lintian, systemd-analyze)
if [[ ${1:-} == pkg || ${1:-} == systest ]]; then
	PKGS+=(scdoc debhelper dpkg-dev fakeroot lintian systemd man-db bash-completion)
fi
# full-system test: the Debian rootfs (mmdebstrap) and the guest's ssh key (ssh-keygen)
if [[ ${1:-} == systest ]]; then
	PKGS+=(mmdebstrap openssh-client)
fi

missing=()
for p in "${PKGS[@]}"; do
	# "install ok installed" is the only state that means the package is usable.
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[[ $st == "install ok installed" ]] || missing+=("$p")
done
((${#missing[@]})) || exit 0

SUDO=()
((EUID == 0)) || SUDO=(sudo)
export DEBIAN_FRONTEND=noninteractive

echo "deps: installing ${missing[*]}" >&2
# apt/dpkg chatter goes to a log that is shown only if something fails.
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# Refresh the package lists only now that we know we need them (slow, needs network).
if ! { "${SUDO[@]}" apt-get update -qq &&
	"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
	cat "$log" >&2
	echo "deps: installing ${missing[*]} failed" >&2
	exit 1
fi
