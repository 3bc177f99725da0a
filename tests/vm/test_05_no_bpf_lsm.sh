#!/bin/sh
# vm-args: --lsm lockdown,capability
# Never claim what is not true: on a kernel where BPF LSM is not active, jitgated refuses
# to start with one clear sentence and leaves nothing behind.
. "${0%/*}/lib.sh"
. "${0%/*}/fixture.sh"

make_tree
ok "this boot has no bpf in the LSM list" sh -c '! tr , "\n" </sys/kernel/security/lsm | grep -qx bpf'
jitgated --policy "$TESTDIR/policy-gate.json" >/tmp/out 2>&1
rc=$?
expect_eq "jitgated exits 69 (this kernel cannot enforce)" "$rc" 69
expect_contains "it says why" /tmp/out "refusing to start: BPF LSM is not active"
expect_contains "it says how to fix it" /tmp/out 'add "lsm=lockdown,capability,bpf"'
expect_eq "one line of output" "$(wc -l </tmp/out | tr -d ' ')" 1
ok "nothing pinned" sh -c '! test -e /sys/fs/bpf/jitgate'
fails "status is not 0" jitgate status
expect_eq "the file stays readable (nothing claims to protect it)" "$(probe alice open /srv/prod/secrets/db.pw r)" ok
finish
