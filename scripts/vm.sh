#!/usr/bin/env bash
# Boot the jitgate test VM, run one command in it as root, and exit with its status.
#
#   scripts/vm.sh [--lsm LIST] [--add SRC:DST]... [--modules LIST] [--mem MB] [--timeout SEC]
#                 [--net] -- CMD [ARGS]
#
# The host kernel cannot attach BPF LSM programs, so kernel behaviour is tested in
# qemu (TCG) booting Debian's cloud kernel. That kernel has no 9p and modular virtio,
# so everything travels in the initramfs and results come back on the serial console.
# See docs: design brief section 4.
#
# Environment: JITGATE_VM_KERNEL=/path/to/bzImage uses that kernel instead of the cached
# Debian one; JITGATE_VM_KEEP=1 keeps the staging dir (initramfs tree, console log).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=$ROOT/.cache/vm
PROG=vm.sh

LSM=
MEM=512
TIMEOUT=300
ADDS=()
MODULES=
NIC=none

die() { echo "$PROG: $*" >&2; exit 2; }
warn() { echo "$PROG: warning: $*" >&2; }

usage() {
	cat <<'EOF'
usage: scripts/vm.sh [--lsm LIST] [--add SRC:DST]... [--modules LIST] [--mem MB] [--timeout SEC]
                    -- CMD [ARGS]

Boots the test VM with .output/bin/* on PATH (/usr/local/bin), policies/, tests/ and
scripts/ under /opt/jitgate, runs CMD as root and exits with CMD's exit status.
  --lsm LIST      boot with lsm=LIST (e.g. lockdown,capability to run without BPF LSM)
  --add SRC:DST   also put host file or directory SRC at DST in the VM (repeatable)
  --modules LIST  put these kernel modules (comma-separated, e.g. btrfs,overlay,loop) and
                  what they depend on in the VM; load them there with modprobe NAME
  --mem MB        guest memory (default 512)
  --timeout SEC   kill the VM and fail after SEC seconds (default 300)
  --net           a virtio NIC on qemu's user networking (the guest reaches the host's
                  127.0.0.1 as 10.0.2.2); the guest sets it up with vm-net-up
  --fetch         only download the kernel into .cache/vm (once) and exit; no command
A kernel oops/WARNING/BUG/panic or a BPF verifier log in the console fails the run.
EOF
}

while (($#)); do
	case $1 in
	--lsm) (($# >= 2)) || die "--lsm needs a value"; LSM=$2; shift 2 ;;
	--add) (($# >= 2)) || die "--add needs SRC:DST"; ADDS+=("$2"); shift 2 ;;
	--mem) (($# >= 2)) || die "--mem needs a value"; MEM=$2; shift 2 ;;
	--modules) (($# >= 2)) || die "--modules needs a value"; MODULES=$2; shift 2 ;;
	--timeout) (($# >= 2)) || die "--timeout needs a value"; TIMEOUT=$2; shift 2 ;;
	--fetch) FETCH_ONLY=1; shift ;;
	--net) NIC=user,model=virtio-net-pci; MODULES=${MODULES:+$MODULES,}virtio_pci,virtio_net; shift ;;
	-h | --help) usage; exit 0 ;;
	--) shift; break ;;
	*) usage >&2; die "unknown option '$1' (put the command after --)" ;;
	esac
done
(($#)) || ((${FETCH_ONLY:-0})) || { usage >&2; die "no command given"; }
[[ $MEM =~ ^[0-9]+$ ]] || die "--mem must be a number of MB"
[[ $TIMEOUT =~ ^[0-9]+$ ]] || die "--timeout must be a number of seconds"
[[ -z $LSM || $LSM =~ ^[a-z0-9_,]+$ ]] || die "--lsm must be a comma-separated list of LSM names"
[[ -z $MODULES || $MODULES =~ ^[a-z0-9_,-]+$ ]] || die "--modules must be a comma-separated list of module names"
for a in "${ADDS[@]}"; do
	[[ $a == *:/* ]] || die "--add '$a': want SRC:/absolute/dst"
	[[ -e ${a%:*} ]] || die "--add '$a': ${a%:*} does not exist"
done
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 missing (run scripts/deps.sh)"
[[ -x /usr/bin/setpriv ]] || die "/usr/bin/setpriv missing (util-linux; run scripts/deps.sh)"
BUSYBOX=/bin/busybox
# It must be static: it is the VM's /bin/sh and runs before any library is in place.
if [[ ! -x $BUSYBOX ]] || ldd "$BUSYBOX" >/dev/null 2>&1; then
	die "$BUSYBOX is not busybox-static (run scripts/deps.sh)"
fi

mkdir -p "$CACHE"

# ---------------------------------------------------------------- kernel
# Downloaded once per checkout into the git-ignored cache and reused; the lock keeps
# concurrent first runs from racing.
kernel_pkg() { # the versioned package the metapackage points at today
	apt-cache depends linux-image-cloud-amd64 2>/dev/null |
		awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }'
}

fetch_kernel() {
	local pkg tmp
	pkg=$(kernel_pkg)
	if [[ -z $pkg ]] && ((EUID == 0)); then
		# Fresh machine or image with its package lists cleaned: refresh them once.
		apt-get update -qq >&2 || true
		pkg=$(kernel_pkg)
	fi
	[[ -n $pkg ]] || die "cannot resolve linux-image-cloud-amd64 (run apt-get update as root)"
	echo "$PROG: downloading kernel $pkg (once, into .cache/vm)" >&2
	tmp=$(mktemp -d "$CACHE/dl.XXXXXX")
	# As root, apt would warn that its _apt sandbox user cannot write here.
	local opt=()
	((EUID)) || opt=(-o APT::Sandbox::User=root)
	(cd "$tmp" && apt-get download -qq "${opt[@]}" "$pkg") >&2 || { rm -rf "$tmp"; die "apt-get download $pkg failed"; }
	dpkg -x "$tmp"/"$pkg"_*.deb "$tmp/x"
	local vmlinuz=("$tmp"/x/boot/vmlinuz-*)
	[[ -f ${vmlinuz[0]} ]] || { rm -rf "$tmp"; die "no boot/vmlinuz-* in $pkg"; }
	cp "$tmp"/x/boot/config-* "$CACHE/config" 2>/dev/null || true
	echo "${vmlinuz[0]##*/vmlinuz-} ($pkg $(dpkg-deb -f "$tmp"/"$pkg"_*.deb Version))" >"$CACHE/kernel.txt"
	mv "${vmlinuz[0]}" "$CACHE/vmlinuz"
	# The modules of the same package (tests load btrfs, overlay, loop), with the
	# modules.dep that depmod makes at install time.
	rm -rf "$CACHE/modules"
	mv "$tmp/x/lib/modules" "$CACHE/modules"
	local ver=(${CACHE}/modules/*)
	command -v depmod >/dev/null || die "depmod missing (kmod; run scripts/deps.sh)"
	mkdir -p "$CACHE/modules-root/lib"
	ln -sfn ../../modules "$CACHE/modules-root/lib/modules"
	depmod -b "$CACHE/modules-root" "${ver[0]##*/}" || die "depmod failed"
	rm -rf "$tmp"
}

if [[ -n ${JITGATE_VM_KERNEL:-} ]]; then
	KERNEL=$JITGATE_VM_KERNEL
	[[ -f $KERNEL ]] || die "JITGATE_VM_KERNEL=$KERNEL does not exist"
else
	KERNEL=$CACHE/vmlinuz
	# A cache from before modules were kept is fetched again (kernel and modules must be
	# of the same package).
	if [[ ! -s $KERNEL || ! -f $CACHE/modules-root/lib/modules/$(ls "$CACHE/modules" 2>/dev/null | head -n1)/modules.dep ]]; then
		exec 9>"$CACHE/.lock"
		flock 9
		if [[ ! -s $KERNEL || ! -d $CACHE/modules-root ]]; then fetch_kernel; fi
		exec 9>&-
	fi
fi

((${FETCH_ONLY:-0})) && exit 0

# ---------------------------------------------------------------- staging
STAGE=$(mktemp -d "$CACHE/run.XXXXXX")
R=$STAGE/root
QEMU_PID=
# shellcheck disable=SC2317 # called by the trap
cleanup() {
	if [[ -n $QEMU_PID ]] && kill -0 "$QEMU_PID" 2>/dev/null; then
		kill -TERM "$QEMU_PID" 2>/dev/null || true
		wait "$QEMU_PID" 2>/dev/null || true
	fi
	if [[ ${JITGATE_VM_KEEP:-} == 1 ]]; then
		echo "$PROG: kept $STAGE" >&2
	else
		rm -rf "$STAGE"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mkdir -p "$R"/{bin,sbin,usr/bin,usr/sbin,usr/local/bin,usr/local/sbin,lib,lib64,etc,root,home} \
	"$R"/{proc,sys,dev,tmp,run,mnt,var/log,var/lib,var/tmp,opt/jitgate}
ln -s /run "$R/var/run"

# Copy a host file, keeping its mode but not its owner (cpio makes everything root's).
put() { # SRC DST-in-VM
	mkdir -p "$R$(dirname "$2")"
	cp -RH --preserve=mode,timestamps "$1" "$R$2"
}

# Copy the shared libraries (and the dynamic loader) a dynamic ELF needs, at the paths
# ldd names, so the loader's default search path finds them without an ld.so.cache.
declare -A LIBS_DONE=()
add_libs() { # FILE
	[[ -f $1 && $(head -c4 "$1" 2>/dev/null) == $'\x7fELF' ]] || return 0
	local out lib
	out=$(ldd "$1" 2>&1) || return 0 # static or not loadable here: nothing to add
	if grep -q 'not found' <<<"$out"; then
		die "$1 needs libraries missing on this host: $(grep 'not found' <<<"$out" | tr -s ' \t\n' ' ')"
	fi
	while read -r lib; do
		[[ -n ${LIBS_DONE[$lib]:-} ]] && continue
		LIBS_DONE[$lib]=1
		mkdir -p "$R$(dirname "$lib")"
		cp -L --preserve=mode "$lib" "$R$lib"
	done < <(awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' <<<"$out")
}

add_tree_libs() { # DIR-or-FILE in the staging tree
	local f
	while IFS= read -r -d '' f; do add_libs "$f"; done < <(find "$1" -type f -perm -u+x -print0)
}

# util-linux setpriv at /usr/bin/setpriv: tests call it by absolute path because busybox
# sh prefers its own setpriv applet, which lacks --reuid.
put /usr/bin/setpriv /usr/bin/setpriv
add_libs /usr/bin/setpriv

# rsyslogd with only the modules the SIEM test's collector loads (tests/vm/test_85_siem.sh);
# omfile is built in. Skipped when the host has no rsyslog (that test then fails clearly).
RSYSLOG_MODS=/usr/lib/x86_64-linux-gnu/rsyslog
if [[ -x /usr/sbin/rsyslogd ]]; then
	put /usr/sbin/rsyslogd /usr/sbin/rsyslogd
	add_libs /usr/sbin/rsyslogd
	for m in imtcp imudp lmnet lmnetstrms lmnsd_ptcp lmtcpsrv; do
		[[ -f $RSYSLOG_MODS/$m.so ]] || continue
		put "$RSYSLOG_MODS/$m.so" "$RSYSLOG_MODS/$m.so"
		add_libs "$RSYSLOG_MODS/$m.so"
	done
fi

# Real sudo for the elevation tests (tests/vm/test_50_elevate.sh): the setuid binary, its
# sudoers plugin and PAM with pam_permit only (the tests are about the gate, not passwords;
# sudoers gives alice and bob NOPASSWD). Skipped when the host has no sudo.
if [[ -x /usr/bin/sudo && -f /usr/libexec/sudo/sudoers.so ]]; then
	put /usr/bin/sudo /usr/bin/sudo
	add_libs /usr/bin/sudo
	put /usr/libexec/sudo/sudoers.so /usr/libexec/sudo/sudoers.so
	add_libs /usr/libexec/sudo/sudoers.so
	PAM_MODS=/usr/lib/x86_64-linux-gnu/security
	put "$PAM_MODS/pam_permit.so" "$PAM_MODS/pam_permit.so"
	add_libs "$PAM_MODS/pam_permit.so"
	mkdir -p "$R/etc/pam.d" "$R/etc/sudoers.d"
	# absolute module paths: the initramfs has no usr-merged /lib to find them by name
	for t in auth account session password; do
		echo "$t sufficient $PAM_MODS/pam_permit.so"
	done >"$R/etc/pam.d/sudo"
	cp "$R/etc/pam.d/sudo" "$R/etc/pam.d/other"
	cat >"$R/etc/sudoers" <<'EOF'
Defaults !lecture, !fqdn, !syslog, !use_pty, !requiretty
alice ALL=(ALL:ALL) NOPASSWD: ALL
bob ALL=(ALL:ALL) NOPASSWD: ALL
EOF
	chmod 0440 "$R/etc/sudoers"
	chmod 4755 "$R/usr/bin/sudo"
fi

# Kernel modules asked for, with their dependencies (modules.dep), for busybox modprobe.
if [[ -n $MODULES && -z ${JITGATE_VM_KERNEL:-} ]]; then
	kver=$(ls "$CACHE/modules" | head -n1)
	mdir=$CACHE/modules/$kver
	declare -A MOD_DONE=()
	add_module() { # NAME
		local line rel dep
		line=$(grep -E "(^|/)${1//-/[-_]}\.ko(\.[a-z]+)?:" "$mdir/modules.dep" | head -n1)
		[[ -n $line ]] || die "--modules: no module $1 in $kver"
		rel=${line%%:*}
		[[ -n ${MOD_DONE[$rel]:-} ]] && return 0
		MOD_DONE[$rel]=1
		mkdir -p "$R/lib/modules/$kver/$(dirname "$rel")"
		cp "$mdir/$rel" "$R/lib/modules/$kver/$rel"
		for dep in ${line#*:}; do
			dep=${dep##*/}
			add_module "${dep%%.ko*}"
		done
	}
	IFS=, read -ra mods <<<"$MODULES"
	for m in "${mods[@]}"; do add_module "$m"; done
	cp "$mdir/modules.dep" "$R/lib/modules/$kver/modules.dep"
fi

# busybox-static; /init links its applets at boot (one in-process call there, against
# ~300 ln forks here).
put "$BUSYBOX" /bin/busybox
ln -s busybox "$R/bin/sh"

# The project: binaries, policies, tests, scripts.
shopt -s nullglob dotglob
bins=("$ROOT"/.output/bin/*)
if ((${#bins[@]} == 0)); then
	warn ".output/bin is empty or missing: no jitgate binaries in the VM (run make first)"
fi
for f in "${bins[@]}"; do
	[[ -f $f ]] || continue
	put "$f" "/usr/local/bin/${f##*/}"
	add_libs "$f"
done
for d in policies tests scripts; do
	mkdir -p "$R/opt/jitgate/$d"
	[[ -d $ROOT/$d ]] || continue
	for f in "$ROOT/$d"/*; do put "$f" "/opt/jitgate/$d/${f##*/}"; done
done
shopt -u nullglob dotglob

# Time zones, for policies with schedules (posix/ and right/ are duplicates we skip).
if [[ -d /usr/share/zoneinfo ]]; then
	mkdir -p "$R/usr/share/zoneinfo"
	(cd /usr/share/zoneinfo && find . -path ./posix -prune -o -path ./right -prune -o -print0 |
		cpio --quiet -0 -pdm "$R/usr/share/zoneinfo")
	ln -s /usr/share/zoneinfo/Etc/UTC "$R/etc/localtime"
fi

# Accounts. Every user has a private group of the same id (Debian style). glibc >= 2.34
# has the "files" NSS backend built in, so no libnss_files.so is needed.
cat >"$R/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
alice:x:1000:1000:Alice:/home/alice:/bin/sh
bob:x:1001:1001:Bob:/home/bob:/bin/sh
carol:x:1002:1002:Carol:/home/carol:/bin/sh
dave:x:1003:1003:Dave:/home/dave:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
cat >"$R/etc/group" <<'EOF'
root:x:0:
alice:x:1000:
bob:x:1001:
carol:x:1002:
dave:x:1003:
sre:x:2000:alice,bob,carol
sre-leads:x:2001:bob
jitgate-admins:x:2002:carol
nogroup:x:65534:
EOF
cat >"$R/etc/nsswitch.conf" <<'EOF'
passwd: files
group: files
shadow: files
hosts: files
networks: files
protocols: files
services: files
EOF
cat >"$R/etc/hosts" <<'EOF'
127.0.0.1 localhost
127.0.1.1 jitgate-vm
::1 localhost ip6-localhost ip6-loopback
EOF
echo jitgate-vm >"$R/etc/hostname"
for f in /etc/protocols /etc/services; do
	if [[ -f $f ]]; then put "$f" "$f"; fi
done

# --net: the guest's side of user networking (qemu's slirp: the guest is 10.0.2.15, the host
# 10.0.2.2). The cloud kernel's virtio drivers are modules.
if [[ $NIC != none ]]; then
	cat >"$R/usr/local/sbin/vm-net-up" <<'EOF'
#!/bin/sh
modprobe virtio_pci && modprobe virtio_net || exit 1
i=0
while [ ! -e /sys/class/net/eth0 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
ip link set eth0 up && ip addr add 10.0.2.15/24 dev eth0 && ip route add default via 10.0.2.2
EOF
	chmod 755 "$R/usr/local/sbin/vm-net-up"
fi

# --add last, so that it may also replace any of the defaults above.
for a in "${ADDS[@]}"; do
	src=${a%:*} dst=${a##*:}
	if [[ -d $src ]]; then
		mkdir -p "$R$dst"
		cp -R --preserve=mode,timestamps "$src/." "$R$dst/"
	else
		put "$src" "$dst"
	fi
	add_tree_libs "$R$dst"
done


# ---------------------------------------------------------------- /init
# A random nonce makes the markers impossible to produce by accident.
NONCE=$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
M_BEGIN="@@JITGATE-VM-BEGIN:$NONCE@@"
M_EXIT="@@JITGATE-VM-EXIT:$NONCE:"
M_DMESG="@@JITGATE-VM-DMESG:$NONCE@@"
M_END="@@JITGATE-VM-END:$NONCE@@"

# CMD as a POSIX-sh-quoted word list ('...' with ' as '\'').
qcmd=
for w in "$@"; do qcmd+=" '${w//\'/\'\\\'\'}'"; done

cat >"$R/init" <<EOF
#!/bin/sh
# PID 1 of the jitgate test VM, generated by scripts/vm.sh.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root USER=root LOGNAME=root TERM=dumb JITGATE_VM=1

# The initramfs has no /dev/console node (built without root), so attach to the
# console only once devtmpfs is up. Until the applet links exist (they need /proc),
# applets are called through /bin/busybox.
/bin/busybox mount -t devtmpfs devtmpfs /dev
exec </dev/null >/dev/console 2>&1
/bin/busybox mount -t proc proc /proc

# Applet links in /bin, /sbin, /usr/bin, /usr/sbin. --install never replaces an
# existing file (so util-linux's /usr/bin/setpriv stays); busybox's setpriv lands in
# /bin and is removed so that exec'ing "setpriv" by PATH finds util-linux's.
/bin/busybox --install -s
/bin/busybox rm -f /bin/setpriv

mount -t sysfs sysfs /sys
mount -t securityfs securityfs /sys/kernel/security
mount -t bpf bpf /sys/fs/bpf
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null # bpf_printk, when debugging
mkdir -p /dev/pts /dev/shm
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /dev/pts
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -t tmpfs -o mode=755 tmpfs /run
chmod 700 /root
for u in alice bob carol dave; do
	mkdir -p /home/\$u && chown \$u:\$u /home/\$u && chmod 755 /home/\$u
done
hostname jitgate-vm
ip link set lo up # the kernel then gives lo 127.0.0.1 and ::1 by itself
cd /

echo '$M_BEGIN'
set --$qcmd
("\$@") </dev/null # a subshell, so that even "exit" cannot end PID 1
rc=\$?
echo '$M_EXIT'\$rc'@@'
echo '$M_DMESG'
dmesg
echo '$M_END'
poweroff -f
EOF
chmod 755 "$R/init"

INITRD=$STAGE/initrd.gz
(cd "$R" && find . -mindepth 1 -print0 | LC_ALL=C sort -z |
	cpio --quiet --null -o -H newc -R 0:0) | gzip -1 >"$INITRD"

# ---------------------------------------------------------------- boot
APPEND="console=ttyS0 rdinit=/init panic=-1 quiet"
# JG_VM_APPEND: more kernel arguments, for debugging (loglevel=7 shows soft lockup traces)
[[ -z ${JG_VM_APPEND:-} ]] || APPEND+=" $JG_VM_APPEND"
[[ -z $LSM ]] || APPEND+=" lsm=$LSM"

CONSOLE=$STAGE/console.log
DMESG=$STAGE/dmesg.log
mkfifo "$STAGE/fifo"
# timeout(1) runs qemu in its own process group, so Ctrl-C reaches only us; the
# cleanup trap then stops it. stdin is /dev/null so qemu leaves the terminal alone.
timeout -k 5 "$TIMEOUT" qemu-system-x86_64 \
	-m "$MEM" -smp 2 -cpu max -nographic -no-reboot -nic "$NIC" \
	-kernel "$KERNEL" -initrd "$INITRD" -append "$APPEND" \
	</dev/null >"$STAGE/fifo" 2>"$STAGE/qemu.err" &
QEMU_PID=$!

# Stream the console: boot noise before the begin marker is only logged, CMD's output
# is printed as it comes, the dmesg dump after it is kept for the splat check.
state=boot rc=
while IFS= read -r line || [[ -n $line ]]; do
	line=${line//$'\r'/}
	printf '%s\n' "$line" >>"$CONSOLE"
	case $state in
	boot)
		[[ $line == *"$M_BEGIN"* ]] && state=cmd
		;;
	cmd)
		if [[ $line == *"$M_EXIT"* ]]; then
			pre=${line%%"$M_EXIT"*} # CMD output that did not end in a newline
			[[ -z $pre ]] || printf '%s\n' "$pre"
			rc=${line##*"$M_EXIT"}
			rc=${rc%%@@*}
			state=after
		else
			printf '%s\n' "$line"
		fi
		;;
	after)
		[[ $line == *"$M_DMESG"* ]] && state=dmesg
		;;
	dmesg)
		if [[ $line == *"$M_END"* ]]; then state=end; else printf '%s\n' "$line" >>"$DMESG"; fi
		;;
	esac
done <"$STAGE/fifo"
qrc=0
wait "$QEMU_PID" || qrc=$?
QEMU_PID=
touch "$CONSOLE" "$DMESG"
# Other runs may be going on in parallel: replace last-console.log atomically, and keep
# a failed run's log under its own name.
cp "$CONSOLE" "$CACHE/.last-console.$$" && mv "$CACHE/.last-console.$$" "$CACHE/last-console.log"

# ---------------------------------------------------------------- verdict
fail=()
if ((qrc == 124 || qrc == 137)); then
	fail+=("timed out after ${TIMEOUT}s (VM killed)")
elif ((qrc != 0)); then
	fail+=("qemu exited with status $qrc: $(head -c 500 "$STAGE/qemu.err")")
fi
if [[ $state == boot ]]; then
	fail+=("the VM never started the command (no begin marker)")
elif [[ -z $rc ]]; then
	fail+=("no exit marker: the command or the kernel died before finishing")
fi

# Kernel splats: in the dmesg dump, and in kernel lines ("[  1.23] ...") on the console
# (a panic never reaches the dump). Test output is not scanned for these words, so a
# test may print "WARNING:" itself; BPF verifier logs come from libbpf in test output.
# A WARN() prints "WARNING: CPU: n PID: n at ..."; a bare "WARNING:" is left alone
# because CPU-mitigation notices (Spectre v2, RETBleed) use it without any fault.
SPLAT='Oops|\[ cut here \]|WARNING: CPU:|BUG:|Kernel panic|general protection fault|Call Trace|kernel BUG at|UBSAN:|KASAN:'
VERIFIER='BEGIN PROG LOAD LOG|BPF program load failed'
seen=$( {
	cat "$DMESG"
	grep -E '^\[ *[0-9]+\.[0-9]+\] ' "$CONSOLE" || true
} | grep -E -m1 "$SPLAT" || true)
[[ -z $seen ]] || fail+=("kernel splat in console: $seen")
vseen=$(grep -E -m1 "$VERIFIER" "$CONSOLE" || true)
[[ -z $vseen ]] || fail+=("BPF verifier rejected a program: $vseen")

if ((${#fail[@]})); then
	{
		for f in "${fail[@]}"; do echo "$PROG: FAIL: $f"; done
		if [[ -n $seen ]]; then
			echo "$PROG: --- kernel log around the splat ---"
			grep -E -B5 -A30 -m1 "$SPLAT" "$DMESG" ||
				grep -E -B5 -A30 -m1 "^\[ *[0-9]+\.[0-9]+\] .*($SPLAT)" "$CONSOLE" || true
		elif [[ -z $rc ]]; then
			echo "$PROG: --- last console lines ---"
			tail -n 40 "$CONSOLE"
		fi
		log=$CACHE/failed-console.$(date +%Y%m%d-%H%M%S).$$.log
		cp "$CONSOLE" "$log"
		echo "$PROG: full console log: ${log#"$ROOT"/}"
	} >&2
	# Keep CMD's own failure status if it had one; otherwise a distinct non-zero code.
	if [[ -n $rc && $rc != 0 ]]; then exit "$rc"; fi
	if ((qrc == 124 || qrc == 137)); then exit 124; fi
	exit 125
fi
exit "$rc"
