#!/bin/sh
# Proves the VM harness itself, so that later tests can trust it: BPF LSM active,
# mounts, accounts, running as another user, loginuid, loopback, PATH, our binaries.
# shellcheck disable=SC2016 # single-quoted sh -c scripts expand inside the VM's sh
# shellcheck source=tests/vm/lib.sh
. "${0%/*}/lib.sh"

# --- kernel and mounts
ok "bpf is in /sys/kernel/security/lsm" sh -c 'tr , "\n" </sys/kernel/security/lsm | grep -qx bpf'
ok "bpffs mounted at /sys/fs/bpf" grep -q '^[^ ]* /sys/fs/bpf bpf ' /proc/mounts
ok "securityfs mounted" grep -q '^[^ ]* /sys/kernel/security securityfs ' /proc/mounts
ok "/tmp is a tmpfs" grep -q '^[^ ]* /tmp tmpfs ' /proc/mounts
ok "/run is a tmpfs" grep -q '^[^ ]* /run tmpfs ' /proc/mounts
ok "kernel has BTF" test -r /sys/kernel/btf/vmlinux
expect_eq "hostname" "$(hostname)" jitgate-vm

# --- accounts
expect_eq "id -u alice" "$(id -u alice)" 1000
expect_eq "id -u bob" "$(id -u bob)" 1001
expect_eq "id -u carol" "$(id -u carol)" 1002
expect_eq "id -u dave" "$(id -u dave)" 1003
expect_eq "groups of alice" "$(id -Gn alice)" "alice sre"
expect_eq "groups of bob" "$(id -Gn bob)" "bob sre sre-leads"
expect_eq "groups of carol" "$(id -Gn carol)" "carol sre jitgate-admins"
expect_eq "groups of dave" "$(id -Gn dave)" "dave"
expect_eq "alice owns her home" "$(stat -c %U /home/alice)" alice

# --- running as another user (util-linux setpriv, glibc NSS from /etc files)
ok "/usr/bin/setpriv is util-linux's" sh -c '/usr/bin/setpriv --version | grep -q util-linux'
expect_eq "as_user alice: id -u" "$(as_user alice id -u)" 1000
expect_eq "as_user alice: id -g" "$(as_user alice id -g)" 1000
expect_eq "as_user bob: supplementary groups" "$(as_user bob id -G)" "1001 2000 2001"
expect_eq "as_user alice: HOME" "$(as_user alice sh -c 'echo $HOME')" /home/alice
expect_eq "as_user alice has no capabilities" \
	"$(as_user alice grep CapEff /proc/self/status | tr -d ' \t')" CapEff:0000000000000000
fails "as_user alice cannot write /root" as_user alice touch /root/alice-was-here
ok "fails: an unknown user is a setup error, not a denial" \
	sh -c '. /opt/jitgate/tests/vm/lib.sh; fails x as_user nosuchuser true | grep -q "^not ok - x"'

# --- audit loginuid (the subject of every check is loginuid when set)
expect_eq "test shell's loginuid is unset" "$(cat /proc/self/loginuid)" 4294967295
expect_eq "with_loginuid 1000 reads back" "$(with_loginuid 1000 cat /proc/self/loginuid)" 1000
expect_eq "loginuid is inherited through as_user" \
	"$(with_loginuid 1000 as_user alice cat /proc/self/loginuid)" 1000
expect_eq "root keeping loginuid 1000 (alice after sudo)" \
	"$(with_loginuid 1000 sh -c 'echo $(id -u) $(cat /proc/self/loginuid)')" "0 1000"
fails "a set loginuid cannot be changed without CAP_AUDIT_CONTROL" \
	with_loginuid 1000 as_user alice sh -c 'echo 1001 >/proc/self/loginuid'
ok "root (CAP_AUDIT_CONTROL) may change a set loginuid" \
	with_loginuid 1000 sh -c 'echo 1001 >/proc/self/loginuid && test "$(cat /proc/self/loginuid)" = 1001'
expect_eq "test shell's loginuid still unset afterwards" "$(cat /proc/self/loginuid)" 4294967295

# --- network
ok "127.0.0.1 on lo" sh -c 'ip -4 addr show dev lo | grep -q "inet 127.0.0.1/8"'
ok "::1 on lo" sh -c 'ip -6 addr show dev lo | grep -q "inet6 ::1/128"'
ok "ping 127.0.0.1" ping -c 1 -W 5 127.0.0.1
ok "ping ::1" ping -c 1 -W 5 ::1

# --- environment and our files
ok "/usr/local/bin is on PATH" sh -c 'case ":$PATH:" in *:/usr/local/bin:*) exit 0 ;; esac; exit 1'
ok "policies at /opt/jitgate/policies" test -d /opt/jitgate/policies
ok "scripts at /opt/jitgate/scripts" test -x /opt/jitgate/scripts/vm.sh
ok "time zones available" test -f /usr/share/zoneinfo/Europe/Berlin

# Every dynamic binary we installed must find its libraries. This is what ldd does:
# ld.so --verify tells dynamic (0, 2) from static, --list loads without running main
# (on a static binary --list would crash, hence the check first).
n=0
for f in /usr/local/bin/*; do
	[ -f "$f" ] || continue
	n=$((n + 1))
	ok "libraries of $f" sh -c \
		'ld=/lib64/ld-linux-x86-64.so.2
		 $ld --verify "$1" >/dev/null 2>&1; case $? in 0 | 2) ;; *) exit 0 ;; esac
		 ! $ld --list "$1" 2>&1 | grep "not found"' _ "$f"
done
[ "$n" -gt 0 ] || diag "no binaries in /usr/local/bin (was .output/bin empty?)"

finish
