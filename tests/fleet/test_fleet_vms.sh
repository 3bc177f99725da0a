#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# `make fleet-test`: fleet mode end to end. A throwaway PostgreSQL on this machine
# (scripts/pg-throwaway.sh), two test VMs as hosts hostA and hostB (scripts/vm.sh --net:
# they reach it at 10.0.2.2 with their own client certificates), a third host hostC in the
# store only (env=dev), people signing with real ssh-keygen keys through the jitgate CLI:
#   R0 db-primary --hosts tier=primary: only hostA (hostB is denied: labels)
#   R1 db-debug --hosts env=prod: two signed approvals, active on both, alice allowed
#   a forged row (R1's bytes edited, inserted by the store's admin): fleet.reject on both
#   alice revokes R1: it reaches both, alice denied
#   R2 for 90 s, active on both; PostgreSQL stopped; R2 expires on both all the same
# The guests' checks come from tests/fleet/guest.sh; one line per check.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/tests/fleet/store.sh"
BIN="$ROOT/.output/bin"
D=$(mktemp -u /tmp/jg-fleet-pg-XXXXXX)
W=$(mktemp -d /tmp/jg-fleet-XXXXXX)
fails=0 checks=0 vmpids=()

cleanup() {
	local p
	for p in "${vmpids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	"$PG" stop "$D" >/dev/null 2>&1 || true
	rm -rf "$W"
}
trap cleanup EXIT

ok() { # NAME: the last command's status
	local rc=$?
	checks=$((checks + 1))
	if ((rc == 0)); then echo "ok - $1"; else echo "not ok - $1"; fails=$((fails + 1)); fi
}

for p in jitgate jitgated jg-probe; do
	[[ -x $BIN/$p ]] || { echo "not ok - $BIN/$p is missing (make all test-progs)"; exit 1; }
done
store_start "$D" hostA hostB || { echo "not ok - $store_error"; exit 1; }

# people and hosts
for u in alice bob carol; do ssh-keygen -q -t ed25519 -N '' -C "$u@test" -f "$W/$u" || exit 1; done
mkdir -p "$W/stage/tls"
for u in alice bob carol; do echo "$u $(cut -d' ' -f1,2 "$W/$u.pub")"; done >"$W/stage/signers"
sql postgres "CREATE ROLE alice LOGIN IN ROLE jitgate_user; CREATE ROLE bob LOGIN IN ROLE
	jitgate_user; CREATE ROLE carol LOGIN IN ROLE jitgate_user" >/dev/null
sql jitgate_admin "INSERT INTO hosts (name, labels) VALUES
	('hostA', '{\"env\": \"prod\", \"role\": \"db\", \"tier\": \"primary\"}'),
	('hostB', '{\"env\": \"prod\", \"role\": \"db\"}'),
	('hostC', '{\"env\": \"dev\", \"role\": \"db\"}')" >/dev/null
cat >"$W/stage/policy.json" <<'EOF'
{"version": 1,
 "resources": {"prod-secrets": {"files": ["/srv/prod/secrets"]},
               "primary-key": {"files": ["/srv/primary"]}},
 "roles": {
  "db-debug": {"allow": {"prod-secrets": ["read"]}, "requesters": ["group:sre"],
    "approvers": ["user:bob", "user:carol"], "approvals": 2, "max_duration": "2h",
    "request_ttl": "1h"},
  "db-primary": {"allow": {"primary-key": ["read"]}, "requesters": ["group:sre"],
    "approvers": ["user:bob", "user:carol"], "approvals": 2, "max_duration": "2h",
    "request_ttl": "1h"}}}
EOF
cp "$D/tls/ca.crt" "$D"/tls/hostA.* "$D"/tls/hostB.* "$W/stage/tls/"
echo "PORT=$PORT" >"$W/stage/env"

# the two hosts
for h in A B; do
	labels=env=prod,role=db
	[[ $h == A ]] && labels+=,tier=primary
	"$ROOT/scripts/vm.sh" --net --timeout 1500 --add "$W/stage:/opt/fleet" -- \
		sh /opt/jitgate/tests/fleet/guest.sh "host$h" "$labels" >"$W/vm$h.log" 2>&1 &
	vmpids+=($!)
done

# wait_log MARKER SECONDS: both guests printed "MARKER hostX"
wait_log() {
	local t=$2
	while ((t-- > 0)); do
		grep -q "^$1 hostA" "$W/vmA.log" && grep -q "^$1 hostB" "$W/vmB.log" && return 0
		sleep 1
	done
	return 1
}
# wait_state ID STATE SECONDS [HOSTS]: the activation rows of ID on HOSTS say STATE
wait_state() {
	local t=$3 want=${4:-hostA,hostB}
	while ((t-- > 0)); do
		[[ $(sql alice "SELECT string_agg(host, ',' ORDER BY host) FROM activations
			WHERE request_id = '$1' AND state = '$2'") == "$want" ]] && return 0
		sleep 1
	done
	return 1
}
person() { # USER ARGS...
	local u=$1; shift
	JITGATE_STORE="host=$D/sock port=$PORT dbname=jitgate user=$u" JITGATE_KEY="$W/$u" \
		"$BIN/jitgate" "$@" 2>&1
}
request() { # ROLE SELECTOR DURATION REASON: prints the id
	person alice request "$1" --hosts "$2" --for "$3" --reason "$4" |
		sed -n 's/^fleet request \(fr-[0-9a-f]*\):.*/\1/p'
}
approve2() { person bob approve "$1" >/dev/null && person carol approve "$1" >/dev/null; }

wait_log FLEET-READY 600
ok "both hosts boot, network and connect to the store in fleet mode"
[[ $(sql alice "SELECT count(*) FROM hosts WHERE last_seen IS NOT NULL") == 2 ]]
ok "both hosts beat their heartbeat into the store"

R0=$(request db-primary tier=primary 10m fleet-R0)
[[ -n $R0 ]] && approve2 "$R0"
ok "R0 (tier=primary) is requested and approved by bob and carol"
R1=$(request db-debug env=prod 20m fleet-R1)
[[ -n $R1 ]] && approve2 "$R1"
ok "R1 (env=prod) is requested and approved by bob and carol"
wait_state "$R1" active 300
ok "both hosts acknowledge R1 as active"
wait_state "$R0" active 60 hostA
ok "R0 is active on hostA only"
wait_log FLEET-CHECKED-1 300
ok "both hosts checked the kernel under R1"

canon=$(sql alice "SELECT canon FROM requests WHERE id = '$R1'")
sig=$(sql alice "SELECT signature FROM requests WHERE id = '$R1'")
forged=${canon/\"duration\":1200/\"duration\":7000}
forged=${forged/$R1/fr-00000000000000f0}
sql jitgate_admin "INSERT INTO requests (id, hash, requester, role, hosts, canon, signature)
	VALUES ('fr-00000000000000f0', 'sha256:$(printf %064d 0)', 'alice', 'db-debug',
	'{hostA,hostB}', \$q\$$forged\$q\$, \$q\$$sig\$q\$)" >/dev/null
wait_state fr-00000000000000f0 rejected 120
ok "both hosts write a rejection row for the forged request"

person alice fleet revoke "$R1" --reason "done" >/dev/null
ok "alice signs a revoke of R1"
wait_state "$R1" revoked 300
ok "the revoke reaches both hosts (acknowledged)"
wait_log FLEET-CHECKED-2 300
ok "both hosts checked the kernel after the revoke"

R2=$(request db-debug env=prod 90s fleet-R2)
[[ -n $R2 ]] && approve2 "$R2"
ok "R2 (90 s) is requested and approved"
wait_state "$R2" active 200
ok "both hosts acknowledge R2 as active"
wait_log FLEET-R2 200
as_owner "$PGBIN/pg_ctl" -D "$D/data" -m fast -w stop >/dev/null 2>&1
ok "PostgreSQL is stopped while R2 is live"

rc=0
for p in "${vmpids[@]}"; do wait "$p" || rc=1; done
vmpids=()
for h in A B; do
	grep -E '^(ok|not ok) - ' "$W/vm$h.log"
	g=$(grep -cE '^ok - ' "$W/vm$h.log")
	b=$(grep -cE '^not ok - ' "$W/vm$h.log")
	checks=$((checks + g + b))
	fails=$((fails + b))
	if ! grep -q '^[0-9]* passed, 0 failed' "$W/vm$h.log"; then
		grep -qE '^not ok - ' "$W/vm$h.log" || fails=$((fails + 1))
		echo "# host$h's VM log (tail):"
		tail -n 30 "$W/vm$h.log" | sed 's/^/#   /'
	fi
done
((rc == 0)) || echo "# a VM run failed"
echo "fleet: $((checks - fails)) of $checks checks passed"
((fails == 0 && rc == 0))
