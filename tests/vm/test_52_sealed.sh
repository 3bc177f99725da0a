#!/bin/sh
# vm-args: --timeout 900
# The sealed gate: an elevated human (alice's root shell under a root:elevate grant, login
# uid 1000) cannot switch the gate off or get around it: no bpf() (program load, pins, ids),
# no pin removal, no unload or policy reload through jitgated, no rogue jitgated, no module
# loading, no /dev/mem or /proc/kcore, no raw block device, no ptrace or signal of jitgated,
# no write, truncate, rename or removal of the gate's files, no mount over them. Every
# refusal is a tamper.deny record naming the operation, the target and the human. Each
# technique is first shown to work with no gate loaded. The host's automation (root with no
# login uid) still reloads and unloads; with a gate-admin grant the elevated human unloads.
. "${0%/*}/lib.sh"
. "${0%/*}/fixture.sh"

S=/opt/suid
PIN=/sys/fs/bpf/jitgate
POLICY=/etc/jitgate/policy.json
BIN=$(command -v jitgated)
make_tree
elevate_setup
mkdir -p /tmp/victim
echo '{"version": 1, "resources": {"nothing": {"files": ["/srv/public"]}}}' >/tmp/empty.json
echo "not a kernel module" >/tmp/notamodule.ko
# the filesystem of the gate's files (the initramfs) as a block device node: opening it
# reads every sealed and protected file at once
ROOTDEV=$(awk '$5 == "/" { print $3; exit }' /proc/self/mountinfo)
mknod /tmp/rootblk b "${ROOTDEV%:*}" "${ROOTDEV#*:}"
chmod 0666 /tmp/rootblk

# ---------------------------------------------------------------- no gate: it all works
expect_eq "no gate: alice's root shell is root" "$(elev id -u)" 0
expect_eq "no gate: it loads a BPF program" "$(elev jg-bpfprobe prog-load)" ok
out=$(elev jg-bpfprobe prog-ids)
case $out in
ok | ENOENT) _vm_ok "no gate: it walks the kernel's program ids ($out: none loaded is ENOENT)" ;;
*) _vm_not_ok "no gate: it walks the kernel's program ids" "got '$out'" ;;
esac
expect_eq "no gate: finit_module reaches the module loader (ENOEXEC: not a module)" \
	"$(elev jg-bpfprobe finit /tmp/notamodule.ko)" ENOEXEC
expect_eq "no gate: init_module too" "$(elev jg-bpfprobe init)" ENOEXEC
expect_eq "no gate: /dev/mem opens" "$(elev jg-probe open /dev/mem r)" ok
expect_eq "no gate: /proc/kcore opens" "$(elev jg-probe open /proc/kcore r)" ok
expect_eq "no gate: the root filesystem's block device reaches its driver (ENXIO)" \
	"$(elev jg-probe open /tmp/rootblk r)" ENXIO
expect_eq "no gate: the policy can be written" "$(elev jg-probe open $POLICY w)" ok
sleep 300 &
VICTIM=$!
expect_eq "no gate: a root daemon can be traced" "$(elev jg-bpfprobe ptrace $VICTIM)" ok
expect_eq "no gate: and killed" "$(elev jg-bpfprobe kill $VICTIM 9)" ok
touch /tmp/victim/f
ok "no gate: a bind mount over a file works" elev mount -o bind /tmp/empty.json /tmp/victim/f
umount /tmp/victim/f

# ---------------------------------------------------------------- the gate, alice elevated
start_daemon $POLICY || finish
ok "status: enforcing" jitgate status
jitgate grant --user alice --allow root:elevate --for 30m --reason "INC-52 debug" >/dev/null
expect_eq "grant: alice's root shell is root" "$(elev id -u)" 0
ok "the daemon sealed its files (status counts no tamper yet)" \
	sh -c "jitgate status --json | tr -d ' \n' | grep -q '\"tamper\":0'"

# bpf(): nothing at all
expect_eq "bpf: no program load" "$(elev jg-bpfprobe prog-load)" EPERM
tamper "audit: bpf(BPF_PROG_LOAD) refused" '"hook":"bpf"' '"command":"BPF_PROG_LOAD"' \
	'"resource":"gate-admin"' '"perm":"admin"' '"elevated":true' '"grant_id":"g-'
expect_eq "bpf: no BPF_OBJ_GET of the grant map's pin" "$(elev jg-bpfprobe obj-get $PIN/grants)" EPERM
tamper "audit: bpf(BPF_OBJ_GET) refused" '"command":"BPF_OBJ_GET"'
MAPID=$(jg-bpfprobe map-id $PIN/grants)
case $MAPID in [0-9]*) _vm_ok "automation reads the grant map's id ($MAPID)" ;;
*) _vm_not_ok "automation reads the grant map's id" "got '$MAPID'" ;; esac
expect_eq "bpf: no BPF_MAP_GET_FD_BY_ID" "$(elev jg-bpfprobe map-by-id "$MAPID")" EPERM
tamper "audit: bpf(BPF_MAP_GET_FD_BY_ID) refused" '"command":"BPF_MAP_GET_FD_BY_ID"'
expect_eq "bpf: no walk of the program ids" "$(elev jg-bpfprobe prog-ids)" EPERM

# the gate's maps: writable descriptors only to the trusted jitgated
expect_eq "automation may read the grant map" "$(jg-bpfprobe obj-get $PIN/grants ro)" ok
expect_eq "automation may not open it for writing" "$(jg-bpfprobe obj-get $PIN/grants)" EPERM
expect_eq "nor by id" "$(jg-bpfprobe map-by-id "$MAPID")" EPERM
settle
audit_has "audit: the writable map descriptor refused, map named" '"type":"tamper.deny"' \
	'"hook":"bpf_object"' '"name":"grants"' "\"id\":$MAPID"

# pins
fails "pins: rm of a link pin refused" elev rm $PIN/link_file_open
# (the pin's name; once the mount point in front of it was missing: see docs/testing.md)
tamper "audit: unlink of the pin, with its name" '"hook":"unlink"' \
	'jitgate/link_file_open"'
fails "pins: rm -rf of the pin directory refused" elev rm -rf $PIN
fails "pins: rename of the pin directory refused" elev mv $PIN /sys/fs/bpf/jg-old
ok "pins: all still there" test -e $PIN/link_file_open -a -e $PIN/grants
fails "pins: unmount of the BPF filesystem refused" elev umount -l /sys/fs/bpf
tamper "audit: the unmount" '"hook":"mount"' '"operation":"unmount a filesystem of the gate'
ok "pins: still mounted" test -e $PIN/link_file_open

# jitgated: unload, reload, a rogue daemon
elev jitgate unload >/tmp/unload.out 2>&1
expect_eq "unload by alice's root shell refused" "$?" 1
expect_contains "saying it needs a gate-admin grant" /tmp/unload.out \
	"unloading the gate needs a live gate-admin:admin grant for alice"
tamper "audit: the refused unload" '"hook":"jitgated"' '"operation":"unloading the gate"'
fails "policy reload by alice's root shell refused" elev jitgate policy reload
tamper "audit: the refused reload" '"operation":"reloading the policy"'
ok "the gate is still loaded" jitgate status
elev jitgated --policy /tmp/empty.json --socket /tmp/rogue/jitgate.sock \
	--state-dir /tmp/rogue-state --audit-log /tmp/rogue.log >/tmp/rogue.out 2>&1
expect_eq "a rogue jitgated from alice's login session does not start" "$?" 1
expect_contains "it says why" /tmp/rogue.out "has login uid 1000"
# the same without a login uid: the kernel refuses the session's bpf()
as_user alice $S/jg-suid root jitgated --policy /tmp/empty.json --socket /tmp/rogue/jitgate.sock \
	--state-dir /tmp/rogue-state --audit-log /tmp/rogue.log >/tmp/rogue.out 2>&1
expect_eq "a rogue jitgated in alice's elevated session (no login uid) does not start" "$?" 1
expect_contains "the sealed gate refused it the maps" /tmp/rogue.out "the sealed gate refuses"
cp "$BIN" /tmp/jitgated-copy
/tmp/jitgated-copy --policy /tmp/empty.json --socket /tmp/rogue/jitgate.sock \
	--state-dir /tmp/rogue-state --audit-log /tmp/rogue.log >/tmp/rogue.out 2>&1
expect_eq "a copy of jitgated started by root automation cannot adopt the gate" "$?" 1
expect_contains "the sealed gate refused it the maps" /tmp/rogue.out "the sealed gate refuses"
settle
audit_has "audit: the copy's map descriptor refused" '"type":"tamper.deny"' \
	'"hook":"bpf_object"' '"comm":"jitgated-copy"'
expect_eq "the empty policy never applied: bob is denied" \
	"$(probe bob open /srv/prod/secrets/db.pw r)" EACCES

# the kernel
expect_eq "finit_module refused" "$(elev jg-bpfprobe finit /tmp/notamodule.ko)" EPERM
tamper "audit: the module load from a file" '"hook":"kernel_load"' \
	'"operation":"load a module into the kernel from a file"' '"path":"/tmp/notamodule.ko"'
expect_eq "init_module refused" "$(elev jg-bpfprobe init)" EPERM
tamper "audit: the module load from a buffer" '"operation":"load a module into the kernel from a buffer"'
expect_eq "/dev/mem refused" "$(elev jg-probe open /dev/mem r)" EPERM
tamper "audit: lockdown /dev/mem" '"hook":"lockdown"' '"reason":"/dev/mem, /dev/kmem or /dev/port"'
expect_eq "/proc/kcore refused" "$(elev jg-probe open /proc/kcore r)" EPERM
tamper "audit: lockdown /proc/kcore" '"reason":"/proc/kcore"'
expect_eq "the root filesystem's block device refused" "$(elev jg-probe open /tmp/rootblk r)" EPERM
tamper "audit: the raw device open" '"hook":"file_open"' '"operation":"open a raw block device"' \
	'"path":"/tmp/rootblk"'

# the daemon's process
expect_eq "ptrace of jitgated refused" "$(elev jg-bpfprobe ptrace "$DAEMON_PID")" EPERM
tamper "audit: the ptrace" '"hook":"ptrace"' '"jitgated":true'
expect_eq "SIGKILL to jitgated refused" "$(elev jg-bpfprobe kill "$DAEMON_PID" 9)" EPERM
expect_eq "SIGTERM too" "$(elev jg-bpfprobe kill "$DAEMON_PID" 15)" EPERM
tamper "audit: the signal" '"hook":"kill"' '"signal":9'
ok "jitgated still runs" kill -0 "$DAEMON_PID"
sleep 300 &
VICTIM=$!
expect_eq "other root processes may still be signalled" "$(elev jg-bpfprobe kill $VICTIM 9)" ok

# the gate's files
expect_eq "policy: no write" "$(elev jg-probe open $POLICY w)" EPERM
tamper "audit: the policy write" '"hook":"file_open"' "\"path\":\"$POLICY\"" \
	'"operation":"open the gate'
fails "policy: no rm" elev rm $POLICY
fails "policy: no rename over it" elev sh -c "cp /tmp/empty.json /etc/jitgate/new && mv /etc/jitgate/new $POLICY"
fails "policy: no truncate" elev truncate -s 0 $POLICY
fails "policy: no chmod" elev chmod 0666 $POLICY
fails "policy: no rename of its directory" elev mv /etc/jitgate /etc/jitgate.old
fails "policy: no bind mount over it" elev mount -o bind /tmp/empty.json $POLICY
tamper "audit: the mount" '"hook":"mount"' '"operation":"mount over the gate'
ok "policy: unchanged" grep -q prod-secrets $POLICY
# (writing the running binary is ETXTBSY anyway; removing, replacing, chmod'ing it is not)
fails "jitgated's binary: no rm" elev rm "$BIN"
tamper "audit: the binary's unlink" '"hook":"unlink"' "\"path\":\"$BIN\""
fails "jitgated's binary: no rename of another file over it" elev mv /tmp/jitgated-copy "$BIN"
fails "jitgated's binary: no chmod" elev chmod 4755 "$BIN"
tamper "audit: the binary's chmod" '"hook":"setattr"' "\"path\":\"$BIN\""
ok "jitgated's binary: still there" test -x "$BIN"
expect_eq "audit log: no write" "$(elev jg-probe open $AUDIT w)" EPERM
fails "audit log: no truncate" elev truncate -s 0 $AUDIT
fails "audit log: no rm" elev rm $AUDIT
expect_eq "ledger: no write" "$(elev jg-probe open /var/lib/jitgate/ledger.db w)" EPERM
fails "ledger: no planted hot journal" elev touch /var/lib/jitgate/ledger.db-journal
tamper "audit: the create in the state directory" '"hook":"create"' \
	'"path":"/var/lib/jitgate/ledger.db-journal"'

# alice without the root shell is a human too, but DAC stops her first: no tamper noise
before=$(grep -c '"type":"tamper.deny"' $AUDIT)
expect_eq "plain alice: bpf() refused by the kernel's own rule" \
	"$(with_loginuid 1000 as_user alice jg-bpfprobe prog-load)" EPERM
settle
expect_eq "and no tamper.deny for that" "$(grep -c '"type":"tamper.deny"' $AUDIT)" "$before"

# automation keeps its powers
ok "automation: policy reload" jitgate policy reload
ok "automation: may write the policy" sh -c "cat $POLICY >>/dev/null && touch $POLICY"
jitgate status --json | tr -d ' \n' >/tmp/status.json
ok "status counts the refusals" grep -q '"tamper":[1-9]' /tmp/status.json

# with a gate-admin grant the elevated human administers the gate
jitgate grant --user alice --allow gate-admin:admin --for 45m --reason "INC-52 upgrade" >/dev/null
ok "gate-admin: alice's root shell reloads the policy" elev jitgate policy reload
expect_eq "gate-admin: and may write the policy" "$(elev jg-probe open $POLICY w)" ok
ok "gate-admin: and unloads the gate" elev jitgate unload
sleep 1
ok "the pins are gone" sh -c "! test -e $PIN"
wait "$DAEMON_PID" 2>/dev/null
expect_eq "no gate: the secret is readable again" "$(probe bob open /srv/prod/secrets/db.pw r)" ok
ok "the audit chain verifies" jitgate audit verify "$AUDIT"

# the copy that could not adopt the gate is a working jitgated: with no gate it loads one
: >"$DAEMON_LOG"
/tmp/jitgated-copy --policy $POLICY >>"$DAEMON_LOG" 2>&1 &
DAEMON_PID=$!
_i=0
while [ $_i -lt 1800 ] && ! grep -q ready "$DAEMON_LOG"; do sleep 0.1; _i=$((_i + 1)); done
ok "no gate: the copy of jitgated loads a gate of its own" grep -q ready "$DAEMON_LOG"
ok "automation unloads it" jitgate unload
wait "$DAEMON_PID" 2>/dev/null
finish
