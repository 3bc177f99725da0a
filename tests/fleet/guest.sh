#!/bin/sh
# One host of `make fleet-test` (tests/fleet/test_fleet_vms.sh), inside the test VM:
# jitgated in fleet mode against the host machine's throwaway PostgreSQL (10.0.2.2 on
# qemu's user networking), then the kernel's answers as the fleet's requests, revokes and
# expiries reach it. It prints FLEET-* markers the host side waits for; every check is one
# "ok -" / "not ok -" line.
#   guest.sh NAME LABELS      (/opt/fleet holds env, tls/, signers, policy.json)
. /opt/jitgate/tests/vm/lib.sh
. /opt/jitgate/tests/vm/fixture.sh

H=$1
L=$2
F=/opt/fleet
. "$F/env"
SECRET=/srv/prod/secrets/db.pw
PRIMARY=/srv/primary/key
LOGS=/srv/logs/app.log

# wait_until SECONDS CMD...: until CMD succeeds (1 when it never does)
wait_until() {
	_t=$1
	shift
	while [ "$_t" -gt 0 ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 1
		_t=$((_t - 1))
	done
	return 1
}
connected() { jitgate status --json | tr -d ' \n' | grep -q '"connected":true'; }
disconnected() { jitgate status --json | tr -d ' \n' | grep -q '"connected":false'; }
has_grant() { jitgate list --json | grep -q "$1"; }
no_grant() { ! has_grant "$1"; }
acks_held() { jitgate status --json | tr -d ' \n' | grep -q '"acks_waiting":[1-9]'; }
acks_none() { jitgate status --json | tr -d ' \n' | grep -q '"acks_waiting":0'; }

ok "$H: the network is up (virtio_net on user networking)" vm-net-up
make_tree
mkdir -p /srv/primary
echo primary >"$PRIMARY"
chmod 0777 /srv/primary
chmod 0666 "$PRIMARY"
mkdir -p /srv/logs
echo log >"$LOGS"
chmod 0777 /srv/logs
chmod 0666 "$LOGS"
cat >/tmp/jitgated.json <<EOF
{"host": "$H", "fleet": {"store": "host=10.0.2.2 port=$PORT dbname=jitgate user=agent sslmode=verify-ca sslrootcert=$F/tls/ca.crt sslcert=$F/tls/$H.crt sslkey=$F/tls/$H.key connect_timeout=10 gssencmode=disable", "labels": "$L", "signers": "$F/signers", "poll_s": 5}}
EOF
start_daemon "$F/policy.json" --config /tmp/jitgated.json || finish
ok "$H: jitgated in fleet mode connects to the store" wait_until 120 connected
expect_eq "$H: before any fleet request alice is denied" "$(probe alice open $SECRET r)" EACCES
echo "FLEET-READY $H"

# R0 (db-primary, tier=primary) and R1 (db-debug, env=prod), each with two approvals
ok "$H: the fleet grant R1 arrives" wait_until 400 has_grant fleet-R1
expect_eq "$H: alice reads the prod secrets under R1" "$(probe alice open $SECRET r)" ok
case ",$L," in
*,tier=primary,*)
	expect_eq "$H: alice reads the primary's key under R0 (labels match)" \
		"$(probe alice open $PRIMARY r)" ok ;;
*)
	ok "$H: no grant of R0 here (its selector names tier=primary)" no_grant fleet-R0
	expect_eq "$H: alice is denied the primary's key (labels do not match R0)" \
		"$(probe alice open $PRIMARY r)" EACCES ;;
esac
echo "FLEET-CHECKED-1 $H"

# a forged request (its bytes edited in the store) is refused and audited
ok "$H: the edited request is refused and audited as fleet.reject" \
	wait_audit 120 '"type":"fleet.reject"' fr-00000000000000f0 bad_signature
expect_eq "$H: the forged request granted nothing more" \
	"$(jitgate list --json | grep -c fr-00000000000000f0)" 0

# the signed revoke of R1
ok "$H: the fleet revoke of R1 ends the grant" wait_until 300 no_grant fleet-R1
expect_eq "$H: alice is denied again after the revoke" "$(probe alice open $SECRET r)" EACCES
audit_has "$H: grant.revoke names the fleet request" '"type":"grant.revoke"' fleet_request_id
echo "FLEET-CHECKED-2 $H"
if [ -n "${DEMO:-}" ]; then	# make fleet-demo ends here
	stop_daemon
	finish
fi

# R3; then (this host may be offline) its revoke, a store restart and R4
ok "$H: the fleet grant R3 arrives" wait_until 300 has_grant fleet-R3
expect_eq "$H: alice reads under R3" "$(probe alice open $SECRET r)" ok
R3ID=$(grep -F '"type":"grant.create"' "$AUDIT" | grep -F fleet-R3 |
	sed -n 's/.*"fleet_request_id":"\(fr-[0-9a-f]*\)".*/\1/p' | head -n 1)
echo "FLEET-R3 $H"
ok "$H: the fleet grant R4 arrives after the store's restart" wait_until 400 has_grant fleet-R4
ok "$H: R3's revoke ended its grant" no_grant fleet-R3
expect_eq "$H: alice is denied the prod secrets after R3's revoke" \
	"$(probe alice open $SECRET r)" EACCES
expect_eq "$H: alice reads the logs under R4" "$(probe alice open $LOGS r)" ok
rl=$(grep -nF '"type":"grant.revoke"' "$AUDIT" | grep -F "${R3ID:-none}" | cut -d: -f1 | head -n 1)
cl=$(grep -nF '"type":"grant.create"' "$AUDIT" | grep -F fleet-R4 | cut -d: -f1 | head -n 1)
ok "$H: R3's revoke is applied before R4 starts" test "${rl:-0}" -gt 0 -a "${cl:-0}" -gt "${rl:-0}"
echo "FLEET-CHECKED-3 $H"

# R5: carol's approval and bob's approval of R4 copied into it
ok "$H: the approval copied from another request is refused as fleet.reject" \
	wait_audit 120 '"type":"fleet.reject"' '"reason":"wrong_request"' '"what":"decision"'
ok "$H: R5 grants nothing (one valid approval of two)" no_grant fleet-R5
expect_eq "$H: alice is still denied the prod secrets" "$(probe alice open $SECRET r)" EACCES
echo "FLEET-CHECKED-4 $H"

# R6: the store refuses its acknowledgement; the store goes down, jitgated is killed and
# started again; the acknowledgement was kept in the ledger and goes out on return
ok "$H: the fleet grant R6 arrives" wait_until 300 has_grant fleet-R6
ok "$H: R6's acknowledgement is held (the store refused it)" wait_until 60 acks_held
echo "FLEET-ACK-HELD $H"
ok "$H: jitgated notices that the store is down (R6)" wait_until 200 disconnected
kill_daemon
start_daemon "$F/policy.json" --config /tmp/jitgated.json || finish
ok "$H: after kill -9 and a restart the acknowledgement is still held" acks_held
ok "$H: R6 is still granted after the restart" has_grant fleet-R6
echo "FLEET-RESTARTED $H"
ok "$H: the held acknowledgement goes out once the store is back" wait_until 300 acks_none
echo "FLEET-ACKS-SENT $H"

# R2, short; then the store goes away and the kernel ends it anyway
ok "$H: the fleet grant R2 arrives" wait_until 300 has_grant fleet-R2
expect_eq "$H: alice reads under R2" "$(probe alice open $SECRET r)" ok
echo "FLEET-R2 $H"
ok "$H: jitgated notices that the store is down" wait_until 200 disconnected
ok "$H: R2 expires with the store down" wait_until 200 no_grant fleet-R2
expect_eq "$H: alice is denied after the expiry" "$(probe alice open $SECRET r)" EACCES
audit_has "$H: grant.expire is audited" '"type":"grant.expire"' fleet-R2
ok "$H: R2's expiry acknowledgement waits in the ledger" acks_held
# a local break-glass grant while the store is down: reported in the audit summary on return
ok "$H: a local break-glass grant works with the store down" jitgate grant --user carol \
	--allow prod-logs:read --for 10m --reason "fleet-BG store down" --break-glass
expect_eq "$H: carol reads the logs under the break-glass grant" "$(probe carol open $LOGS r)" ok
BGSEQ=$(grep -F '"type":"grant.create"' "$AUDIT" | grep -F fleet-BG |
	sed -n 's/.*"seq":\([0-9]*\).*/\1/p' | head -n 1)
echo "FLEET-R2-EXPIRED $H"
ok "$H: the expiry acknowledgement goes out once the store is back" wait_until 300 acks_none
summary_past() {
	[ "$(jitgate status --json | tr -d ' \n' |
		sed -n 's/.*"summary_seq":\([0-9]*\).*/\1/p')" -ge "${BGSEQ:-999999999}" ]
}
ok "$H: the audit summary with the break-glass grant reaches the store" \
	wait_until 200 summary_past
echo "FLEET-SUMMARY-SENT $H"
stop_daemon
finish
