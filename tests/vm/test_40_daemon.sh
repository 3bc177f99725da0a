#!/bin/sh
# vm-args: --timeout 600
# The daemon's contract: admin-only changes, clear refusals, atomic policy reload (a bad
# policy changes nothing), one daemon at a time, restart adopts the pinned state, unload.
. "${0%/*}/lib.sh"
. "${0%/*}/fixture.sh"

SECRET=/srv/prod/secrets/db.pw
make_tree
cp "$TESTDIR/policy-gate.json" /tmp/policy.json
start_daemon /tmp/policy.json || finish

# --- status
ok "status exits 0 while enforcing" jitgate status
ok "status --json says enforcing" sh -c 'jitgate status --json | grep -q "\"enforcing\": *true"'
ok "anyone may ask for status" as_user dave jitgate status

# --- who may do what
fails "alice (not an admin) cannot grant" as_user alice jitgate grant --user alice \
	--allow prod-secrets:read --for 5m --reason "self-service?"
as_user alice jitgate grant --user alice --allow prod-secrets:read --for 5m --reason x 2>/tmp/err
expect_contains "non-admin refusal is one sentence naming the rule" /tmp/err "only an admin may grant access"
expect_eq "and alice is still denied" "$(probe alice open $SECRET r)" EACCES
fails "grant of an unknown resource" jitgate grant --user alice --allow nope:read --for 5m --reason x
fails "grant of a permission the resource lacks" jitgate grant --user alice --allow prod-db:read --for 5m --reason x
fails "grant with a bad duration" jitgate grant --user alice --allow prod-secrets:read --for 5x --reason x
fails "grant without a reason" jitgate grant --user alice --allow prod-secrets:read --for 5m
fails "grant for an unknown user" jitgate grant --user nosuch --allow prod-secrets:read --for 5m --reason x
expect_eq "nothing was granted by the refusals" "$(jitgate list --json | grep -c '"id"')" 0

# --- one daemon at a time
jitgated --policy /tmp/policy.json >/tmp/second 2>&1
expect_eq "a second jitgated exits 1" "$?" 1
expect_contains "and says another one runs" /tmp/second "another jitgated is running"

# --- policy reload: a bad policy changes nothing
gid=$(jitgate grant --user alice --allow prod-secrets:read --for 10m --reason "keep me")
printf '{\n  "version": 1,\n  "resources": {\n    "prod-secrets": { "files": ["relative/path"] }\n  }\n}\n' >/tmp/policy.json
jitgate policy reload 2>/tmp/err
expect_eq "reload of a bad policy fails" "$?" 1
expect_contains "error names FILE:LINE:COLUMN" /tmp/err "/tmp/policy.json:4:"
expect_eq "old policy still enforced: bob denied" "$(probe bob open $SECRET r)" EACCES
expect_eq "old grants still valid: alice reads" "$(probe alice open $SECRET r)" ok
fails "policy check on the bad file fails" jitgate policy check /tmp/policy.json
ok "policy check on the good file passes" jitgate policy check "$TESTDIR/policy-gate.json"

# --- a good reload swaps the policy: /srv/public becomes protected, grants survive
sed 's|"/srv/staging"|"/srv/public"|' "$TESTDIR/policy-gate.json" >/tmp/policy.json
expect_eq "before reload: public readable" "$(probe alice open /srv/public/readme r)" ok
ok "reload of a good policy" jitgate policy reload
expect_eq "after reload: public is protected (audit mode resource moved: audit only)" \
	"$(probe bob open /srv/public/readme r)" ok
sed 's|"/srv/staging"\], "mode": "audit"|"/srv/public"]|' "$TESTDIR/policy-gate.json" >/tmp/policy.json
kill -HUP "$DAEMON_PID"
sleep 1
expect_eq "after SIGHUP reload: public denied" "$(probe bob open /srv/public/readme r)" EACCES
expect_eq "grant survived both reloads" "$(probe alice open $SECRET r)" ok

# --- SIGUSR1 reopens the audit log and reloads nothing; --check validates beside a daemon
kill -USR1 "$DAEMON_PID"
sleep 0.5
ok "SIGUSR1: the audit log reopened" grep -q "audit log .* reopened" "$DAEMON_LOG"
ok "SIGUSR1: the daemon runs on" kill -0 "$DAEMON_PID"
ok "--check passes on the running policy (no lock taken)" jitgated --check --policy /tmp/policy.json
ok "--check --json says ok" sh -c 'jitgated --check --json --policy /tmp/policy.json | grep -q "\"ok\":true,\"checks\""'
printf '{"version": 1, "resources": {"x": {"files": ["relative"]}}}\n' >/tmp/bad-policy.json
jitgated --check --policy /tmp/bad-policy.json 2>/tmp/err
expect_eq "--check of a bad policy exits 78" "$?" 78
expect_contains "and names FILE:LINE:COLUMN" /tmp/err "/tmp/bad-policy.json:1:"
printf '{"bogus": 1}\n' >/tmp/bad-config.json
jitgated --check --json --config /tmp/bad-config.json 2>/tmp/err
expect_eq "--check of a bad config exits 78" "$?" 78
expect_contains "the error as JSON under --json" /tmp/err '^{"error":"/tmp/bad-config.json: unknown key .*bogus.*"}$'

# --- restart adopts the pinned state and the live grant
stop_daemon
ok "stopped daemon: gate still pinned" test -e /sys/fs/bpf/jitgate/link_file_open
expect_eq "stopped daemon: grant still honoured" "$(probe alice open $SECRET r)" ok
expect_eq "stopped daemon: bob still denied" "$(probe bob open $SECRET r)" EACCES
# systemd's notification: READY=1, sent after the canary was denied (jitgated logs
# "ready: ... (canary denied)" just before it)
jg-client notify /tmp/notify.sock 240 >/tmp/notify.out 2>&1 &
NOTIFY_PID=$!
sleep 0.3
export NOTIFY_SOCKET=/tmp/notify.sock
start_daemon /tmp/policy.json
unset NOTIFY_SOCKET
wait "$NOTIFY_PID"
expect_eq "READY=1 reached the notification socket" "$?" 0
expect_contains "with the status line" /tmp/notify.out "^READY=1;STATUS=enforcing: policy /tmp/policy.json"
ok "and the daemon logged the canary denial" grep -q "enforcing (canary denied)" "$DAEMON_LOG"
ok "restart adopted the pinned gate" grep -q "adopted the pinned gate" "$DAEMON_LOG"
ok "the grant is listed after restart" sh -c "jitgate list | grep -q $gid"
ok "and can be revoked" jitgate revoke "$gid"
expect_eq "revoked after restart: alice denied" "$(probe alice open $SECRET r)" EACCES

# --- unload: the gate goes away only when asked
fails "alice cannot unload" as_user alice jitgate unload
ok "root unloads" jitgate unload
sleep 1
ok "pins removed" sh -c '! test -e /sys/fs/bpf/jitgate'
expect_eq "after unload: the secret is readable again" "$(probe bob open $SECRET r)" ok
fails "status is not 0 after unload" jitgate status
# --- a full grant map is an error, audited, and changes nothing (never LRU)
printf '{"max_grants": 2}\n' >/tmp/small.json
start_daemon /tmp/policy.json --config /tmp/small.json
ok "grant 1 of 2" jitgate grant --user alice --allow prod-secrets:read --for 10m --reason one
ok "grant 2 of 2" jitgate grant --user bob --allow prod-secrets:read --for 10m --reason two
jitgate grant --user carol --allow prod-secrets:read --for 10m --reason three 2>/tmp/err
expect_eq "grant 3 fails" "$?" 1
expect_contains "it says the map is full" /tmp/err "the kernel grant map is full (2 entries); the grant was not created"
expect_eq "carol is not listed" "$(jitgate list --json | grep -c '"user": *"carol"')" 0
expect_eq "carol stays denied" "$(probe carol open $SECRET r)" EACCES
expect_eq "alice keeps her grant (nothing evicted)" "$(probe alice open $SECRET r)" ok
expect_eq "bob keeps his grant (nothing evicted)" "$(probe bob open $SECRET r)" ok
settle
audit_has "audit: grant.error for carol" '"type":"grant.error"' '"user":"carol"' 'No space left'
audit_has "audit: policy.reject" '"type":"policy.reject"' '/tmp/policy.json:4:'
audit_has "audit: gate.unload" '"type":"gate.unload"'
finish
