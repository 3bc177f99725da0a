#!/usr/bin/env bash
# make systest: the full-system test. Boots a real Debian 12 userland (systemd as PID 1,
# udev, sshd, sudo, PAM, logrotate) with the jitgate package installed by `dpkg -i`, in
# the kernel and qemu the VM tests use, and runs tests/systest/run.sh in it as a systemd
# unit after multi-user.target. Its "ok - ..." / "not ok - ..." lines come back on the
# serial console; this exits 1 on any "not ok", 124 on a timeout, 0 when all pass.
#
#   scripts/systest.sh [--deb FILE] [--timeout SEC] [--mem MB]
#
# The rootfs (mmdebstrap, bookworm minbase) is built once and cached in .cache/systest
# (scripts/systest/rootfs.sh); the package is built with scripts/deb.sh unless --deb names
# one. Needs root: the rootfs keeps its owners, and dpkg -i runs in a chroot of it.
# JITGATE_SYSTEST_KEEP=1 keeps the staging dir (tree, initramfs, console log).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=$ROOT/.cache/systest
PROG=systest.sh
DEB=
TIMEOUT=1200
MEM=2048

die() { echo "$PROG: $*" >&2; exit 2; }
while (($#)); do
	case $1 in
	--deb) (($# >= 2)) || die "--deb needs a file"; DEB=$2; shift 2 ;;
	--timeout) (($# >= 2)) || die "--timeout needs seconds"; TIMEOUT=$2; shift 2 ;;
	--mem) (($# >= 2)) || die "--mem needs MB"; MEM=$2; shift 2 ;;
	-h | --help) sed -n '2,14s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) die "unknown argument '$1' (see --help)" ;;
	esac
done
[[ $TIMEOUT =~ ^[0-9]+$ ]] || die "--timeout must be a number of seconds"
[[ $MEM =~ ^[0-9]+$ ]] || die "--mem must be a number of MB"
((EUID == 0)) || die "needs root (the rootfs keeps its owners; dpkg -i runs in a chroot)"
mkdir -p "$CACHE"
t_start=$SECONDS
step() { printf '%s: [%3ds] %s\n' "$PROG" $((SECONDS - t_start)) "$*" >&2; }

# ---------------------------------------------------------------- inputs
if [[ -z $DEB ]]; then
	step "building the package (scripts/deb.sh; unit tests skipped: make test runs them)"
	[[ ${DEB_BUILD_OPTIONS:-} == *nocheck* ]] || export DEB_BUILD_OPTIONS="${DEB_BUILD_OPTIONS:-} nocheck"
	DEB=$("$ROOT/scripts/deb.sh" | tail -n 1)
fi
[[ -f $DEB ]] || die "no package at '$DEB'"
"$ROOT/scripts/vm.sh" --fetch
KERNEL=$ROOT/.cache/vm/vmlinuz
step "rootfs (cached in .cache/systest after the first build)"
TAR=$("$ROOT/scripts/systest/rootfs.sh")

# ---------------------------------------------------------------- image
STAGE=$(mktemp -d "$CACHE/run.XXXXXX")
R=$STAGE/root
QEMU_PID=
# shellcheck disable=SC2317 # called by the trap
cleanup() {
	if [[ -n $QEMU_PID ]] && kill -0 "$QEMU_PID" 2>/dev/null; then
		kill -TERM "$QEMU_PID" 2>/dev/null || true
		wait "$QEMU_PID" 2>/dev/null || true
	fi
	if [[ ${JITGATE_SYSTEST_KEEP:-} == 1 ]]; then echo "$PROG: kept $STAGE" >&2; else rm -rf "$STAGE"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

step "unpacking ${TAR#"$ROOT"/} and installing ${DEB##*/}"
mkdir -p "$R"
tar -xpf "$TAR" --numeric-owner -C "$R"
"$ROOT/scripts/systest/image.sh" "$R" "$DEB" "$ROOT/tests/systest"
NONCE=$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
echo "$NONCE" >"$R/etc/jitgate-systest/nonce"

step "packing the initramfs"
INITRD=$STAGE/initrd.gz
(cd "$R" && find . -mindepth 1 -print0 | LC_ALL=C sort -z | cpio --quiet --null -o -H newc) |
	gzip -1 >"$INITRD"
step "initramfs $(du -m "$INITRD" | cut -f1) MB; booting (TCG, timeout ${TIMEOUT}s)"

# ---------------------------------------------------------------- boot
M_BEGIN="@@JITGATE-SYSTEST-BEGIN:$NONCE@@"
M_END="@@JITGATE-SYSTEST-END:$NONCE:"
CONSOLE=$STAGE/console.log
mkfifo "$STAGE/fifo"
timeout -k 5 "$TIMEOUT" qemu-system-x86_64 \
	-m "$MEM" -smp 2 -cpu max -nographic -no-reboot -nic none \
	-kernel "$KERNEL" -initrd "$INITRD" \
	-append "console=ttyS0 rdinit=/init panic=-1 quiet systemd.show_status=error" \
	</dev/null >"$STAGE/fifo" 2>"$STAGE/qemu.err" &
QEMU_PID=$!

state=boot failed=0 passed=0 guest_fail=
while IFS= read -r line || [[ -n $line ]]; do
	line=${line//$'\r'/}
	printf '%s\n' "$line" >>"$CONSOLE"
	case $state in
	boot)
		if [[ $line == *"$M_BEGIN"* ]]; then
			state=run
			step "guest up, running tests/systest/run.sh"
		fi
		;;
	run)
		if [[ $line == *"$M_END"* ]]; then
			guest_fail=${line##*"$M_END"}
			guest_fail=${guest_fail%%@@*}
			state=end
			break # the result is in; the guest powers off, or the cleanup stops it
		elif [[ $line == "ok - "* ]]; then
			passed=$((passed + 1))
			printf '%s\n' "$line"
		elif [[ $line == "not ok - "* ]]; then
			failed=$((failed + 1))
			printf '%s\n' "$line"
		elif [[ $line == "#"* ]]; then
			printf '%s\n' "$line"
		fi
		;;
	esac
done <"$STAGE/fifo"
qrc=0
if [[ $state == end ]]; then
	# give the guest's own power-off a few seconds, then stop it (no result can change now)
	for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$QEMU_PID" 2>/dev/null || break; sleep 0.5; done
	kill -TERM "$QEMU_PID" 2>/dev/null || true
	wait "$QEMU_PID" 2>/dev/null || true
else
	wait "$QEMU_PID" || qrc=$?
fi
QEMU_PID=
touch "$CONSOLE"
cp "$CONSOLE" "$CACHE/.last-console.$$" && mv "$CACHE/.last-console.$$" "$CACHE/last-console.log"

# ---------------------------------------------------------------- verdict
why=()
((qrc == 124 || qrc == 137)) && why+=("timed out after ${TIMEOUT}s (VM killed)")
((qrc == 0 || qrc == 124 || qrc == 137)) || why+=("qemu exited with status $qrc: $(head -c 300 "$STAGE/qemu.err")")
[[ $state != boot ]] || why+=("the test never started (no begin marker on the console)")
[[ $state != run ]] || why+=("the test did not finish (no end marker)")
((failed == 0)) || why+=("$failed check(s) not ok")
[[ $state != end || $guest_fail == "$failed" ]] || why+=("the guest counted $guest_fail failure(s), the console showed $failed")
((passed > 0)) || why+=("no check passed")
SPLAT='Oops|\[ cut here \]|WARNING: CPU:|BUG:|Kernel panic|general protection fault|kernel BUG at'
seen=$(grep -E '^\[ *[0-9]+\.[0-9]+\] ' "$CONSOLE" | grep -E -m1 "$SPLAT" || true)
[[ -z $seen ]] || why+=("kernel splat on the console: $seen")

step "$passed ok, $failed not ok"
if ((${#why[@]})); then
	for w in "${why[@]}"; do echo "$PROG: FAIL: $w" >&2; done
	if [[ $state != end ]]; then
		echo "$PROG: --- last console lines ---" >&2
		tail -n 40 "$CONSOLE" >&2
	fi
	log=$CACHE/failed-console.$(date +%Y%m%d-%H%M%S).$$.log
	cp "$CONSOLE" "$log"
	echo "$PROG: full console log: ${log#"$ROOT"/}" >&2
	((qrc == 124 || qrc == 137)) && exit 124
	exit 1
fi
exit 0
