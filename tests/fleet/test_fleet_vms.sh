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
#   R3 live on both; hostB goes offline (the store stops accepting its certificate and drops
#   its session); alice revokes R3: hostA acknowledges, hostB cannot
#   hostA goes offline too; R4 (db-logs) is requested and approved; PostgreSQL is stopped and
#   started; both hosts return: hostB applies R3's revoke before anything else, both
#   activate R4 and acknowledge it after the restart
#   R5 with carol's approval and bob's approval of R4 copied into it: refused (fleet.reject)
#   R6 (db-logs) while the store refuses activation rows: each host holds its
#   acknowledgement in its ledger; PostgreSQL stopped, jitgated killed (-9) and started
#   again, PostgreSQL back: the held acknowledgements arrive
#   R2 for 90 s, active on both; PostgreSQL stopped; R2 expires on both all the same, and
#   each host makes a local break-glass grant; PostgreSQL back: both acknowledge R2 as
#   expired and report the break-glass grant in their audit summaries
# The guests' checks come from tests/fleet/guest.sh; one line per check.
# FLEET_DEMO=1 (`make fleet-demo`): the same run told for a newcomer, up to R1's revoke:
# each step says what happens and why, and shows the commands people type and their output.
set -uo pipefail
DEMO=${FLEET_DEMO:-}

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

say() { [[ -z $DEMO ]] || printf '\n== %s\n' "$*"; }
typed() { [[ -z $DEMO ]] || printf '   $ %s\n' "$*"; }
show() { # the command people type, and what it prints (demo only)
	[[ -z $DEMO ]] && return 0
	if [[ $1 == person ]]; then printf '   $ %s: jitgate %s\n' "$2" "${*:3}"
	else printf '   $ %s\n' "$*"; fi
	"$@" 2>&1 | sed 's/^/     /'
}
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
               "primary-key": {"files": ["/srv/primary"]},
               "prod-logs": {"files": ["/srv/logs"]}},
 "roles": {
  "db-debug": {"allow": {"prod-secrets": ["read"]}, "requesters": ["group:sre"],
    "approvers": ["user:bob", "user:carol"], "approvals": 2, "max_duration": "2h",
    "request_ttl": "1h"},
  "db-primary": {"allow": {"primary-key": ["read"]}, "requesters": ["group:sre"],
    "approvers": ["user:bob", "user:carol"], "approvals": 2, "max_duration": "2h",
    "request_ttl": "1h"},
  "db-logs": {"allow": {"prod-logs": ["read"]}, "requesters": ["group:sre"],
    "approvers": ["user:bob", "user:carol"], "approvals": 2, "max_duration": "2h",
    "request_ttl": "1h"}}}
EOF
cp "$D/tls/ca.crt" "$D"/tls/hostA.* "$D"/tls/hostB.* "$W/stage/tls/"
echo "PORT=$PORT" >"$W/stage/env"
echo "DEMO=$DEMO" >>"$W/stage/env"
say "A throwaway PostgreSQL is the fleet store (port $PORT): hosts hostA (env=prod, role=db,
   tier=primary), hostB (env=prod, role=db) and hostC (env=dev, only in the store). Two test
   VMs boot as hostA and hostB; each runs jitgated in fleet mode with its own client
   certificate, its own policy and its own list of who may sign (alice, bob, carol)."

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
# let_in NAME...: the only host certificates the store accepts from now on (none without a
# name, "all" for every one); the sessions of the others are ended at once. A host left out
# is offline: it keeps reconnecting with backoff and is refused.
let_in() {
	local n
	if [[ ${1:-} == all ]]; then
		echo 'hosts   /^[A-Za-z0-9._-]+$      agent'
	else
		echo '# hosts let in: '"$*"
		for n in "$@"; do echo "hosts   $n      agent"; done
	fi >"$D/data/pg_ident.conf"
	sql postgres "SELECT pg_reload_conf()" >/dev/null || return 1
	sleep 0.5
	[[ ${1:-} == all ]] && return 0
	sql postgres "SELECT count(pg_terminate_backend(a.pid)) FROM pg_stat_activity a JOIN
		pg_stat_ssl s USING (pid) WHERE a.usename = 'agent' AND
		substring(s.client_dn FROM 'CN=([^/,]*)') <> ALL ('{$(IFS=,; echo "$*")}')" >/dev/null
}

# finish_run: wait for the VMs, count their checks, print the total and exit
finish_run() {
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
	exit
}

wait_log FLEET-READY 600
ok "both hosts boot, network and connect to the store in fleet mode"
say "Both hosts are connected. Nobody has a grant yet: alice is denied the prod secrets on both."
[[ $(sql alice "SELECT count(*) FROM hosts WHERE last_seen IS NOT NULL") == 2 ]]
ok "both hosts beat their heartbeat into the store"

say "alice asks for db-primary on the hosts labelled tier=primary, for 10 minutes. The CLI
   resolves the labels in the store (hostA only), alice signs the request with her SSH key,
   then bob and carol each sign an approval of exactly that request and host list."
typed "alice: jitgate request db-primary --hosts tier=primary --for 10m --reason fleet-R0"
typed "bob:   jitgate approve fr-...    (it prints the requester, role and every host it signs)"
typed "carol: jitgate approve fr-..."
R0=$(request db-primary tier=primary 10m fleet-R0)
[[ -n $R0 ]] && approve2 "$R0"
ok "R0 (tier=primary) is requested and approved by bob and carol"
say "alice asks for db-debug on env=prod (hostA and hostB) for 20 minutes; bob and carol approve."
R1=$(request db-debug env=prod 20m fleet-R1)
[[ -n $R1 ]] && approve2 "$R1"
ok "R1 (env=prod) is requested and approved by bob and carol"
say "Each host reads the request and the approvals, checks every signature against its own
   signer list and policy (roles, approvers, two approvals, the duration), then writes its
   kernel map and answers with an activation row."
wait_state "$R1" active 300
ok "both hosts acknowledge R1 as active"
wait_state "$R0" active 60 hostA
ok "R0 is active on hostA only"
wait_log FLEET-CHECKED-1 300
ok "both hosts checked the kernel under R1"
show person alice fleet status "$R1"
show person alice fleet status "$R0"
say "In the kernels: alice reads the prod secrets on both hosts (R1); the primary's key on
   hostA only (R0): hostB does not carry tier=primary, so it never granted R0 and denies.
   hostC has no VM here: it is in the store but not in R1's list (env=dev)."

say "Whoever runs the store cannot grant: the store's admin inserts a copy of R1 with a longer
   duration (the signature no longer matches). Both hosts refuse it, audit fleet.reject and
   write a rejection row."
canon=$(sql alice "SELECT canon FROM requests WHERE id = '$R1'")
sig=$(sql alice "SELECT signature FROM requests WHERE id = '$R1'")
forged=${canon/\"duration\":1200/\"duration\":7000}
forged=${forged/$R1/fr-00000000000000f0}
sql jitgate_admin "INSERT INTO requests (id, hash, requester, role, hosts, canon, signature)
	VALUES ('fr-00000000000000f0', 'sha256:$(printf %064d 0)', 'alice', 'db-debug',
	'{hostA,hostB}', \$q\$$forged\$q\$, \$q\$$sig\$q\$)" >/dev/null
wait_state fr-00000000000000f0 rejected 120
ok "both hosts write a rejection row for the forged request"

say "alice is done: she signs a revoke of R1. Each host verifies it, ends the grant (and the
   elevated sessions with it) and acknowledges."
typed "alice: jitgate fleet revoke $R1 --reason done"
person alice fleet revoke "$R1" --reason "done" >/dev/null
ok "alice signs a revoke of R1"
wait_state "$R1" revoked 300
ok "the revoke reaches both hosts (acknowledged)"
wait_log FLEET-CHECKED-2 300
ok "both hosts checked the kernel after the revoke"
show person alice fleet status "$R1"
say "The fleet's history: who had what on which host, why, approved by whom."
show person alice history --fleet
if [[ -n $DEMO ]]; then
	say "The end of the demo (make fleet-test goes on: a host offline during a revoke, a store restart, a replayed approval, acknowledgements across a kill, an expiry
   and a break-glass grant with the store down)."
	finish_run
fi

R3=$(request db-debug env=prod 20m fleet-R3)
[[ -n $R3 ]] && approve2 "$R3" && wait_state "$R3" active 200
ok "R3 is approved and active on both hosts"
wait_log FLEET-R3 200
let_in hostA && sleep 1 &&
	[[ $(sql alice "SELECT count(*) FROM pg_stat_ssl WHERE client_dn LIKE '%CN=hostB'") == 0 ]]
ok "hostB is offline (the store refuses its certificate and ended its session)"
person alice fleet revoke "$R3" --reason "done with R3" >/dev/null && wait_state "$R3" revoked 120 hostA
ok "the revoke of R3 reaches hostA while hostB is offline"
sleep 3
[[ $(sql alice "SELECT state FROM activations WHERE request_id = '$R3' AND host = 'hostB'") == active ]]
ok "hostB's row of R3 still says active while it is offline"

# a store restart between approval and activation
let_in
R4=$(request db-logs env=prod 20m fleet-R4)
[[ -n $R4 ]] && approve2 "$R4" &&
	[[ $(sql alice "SELECT count(*) FROM activations WHERE request_id = '$R4'") == 0 ]]
ok "R4 is requested and approved while both hosts are offline (no activation yet)"
as_owner "$PGBIN/pg_ctl" -D "$D/data" -m fast -w -l "$D/server.log" restart >/dev/null 2>&1 &&
	[[ $(sql alice "SELECT count(*) FROM decisions WHERE request_id = '$R4' AND kind =
		'approve'") == 2 ]]
ok "PostgreSQL restarts with R4 and its two approvals"
let_in all
ok "both hosts are let back in"
wait_state "$R3" revoked 200
ok "hostB applies the revoke of R3 on its return (acknowledged)"
wait_state "$R4" active 200
ok "both hosts activate R4 after the store's restart (nothing lost)"
[[ $(sql alice "SELECT bool_and(at > pg_postmaster_start_time()) FROM activations WHERE
	request_id = '$R4'") == t ]]
ok "R4's activation rows were written after the restart"
wait_log FLEET-CHECKED-3 200
ok "both hosts checked the kernel after their return"

# a replayed approval: bob's approval of R4 copied to R5, which carol alone approved
R5=$(request db-debug env=prod 20m fleet-R5)
[[ -n $R5 ]] && person carol approve "$R5" >/dev/null &&
	sql jitgate_admin "INSERT INTO decisions (request_id, kind, by, canon, signature)
		SELECT '$R5', kind, by, canon, signature FROM decisions
		WHERE request_id = '$R4' AND by = 'bob' AND kind = 'approve'" >/dev/null
ok "R5 is approved by carol, and bob's approval of R4 is copied to it in the store"
wait_log FLEET-CHECKED-4 200
ok "both hosts refused the copied approval"
[[ $(sql alice "SELECT count(*) FROM activations WHERE request_id = '$R5'") == 0 ]]
ok "R5 is active nowhere"

# acknowledgements held in the ledger across a store outage and a kill of jitgated
sql postgres "REVOKE INSERT, UPDATE ON jitgate.activations FROM agent" >/dev/null
R6=$(request db-logs env=prod 20m fleet-R6)
[[ -n $R6 ]] && approve2 "$R6"
ok "R6 is requested and approved while the store refuses activation rows"
wait_log FLEET-ACK-HELD 200 &&
	[[ $(sql alice "SELECT count(*) FROM activations WHERE request_id = '$R6'") == 0 ]]
ok "both hosts granted R6 and hold its acknowledgement"
"$PG" down "$D"
ok "PostgreSQL is stopped"
wait_log FLEET-RESTARTED 300
ok "both hosts' jitgated were killed and started again while the store was down"
"$PG" up "$D" && sql postgres "GRANT INSERT, UPDATE ON jitgate.activations TO agent" >/dev/null
ok "PostgreSQL is back and takes activation rows again"
wait_state "$R6" active 200
ok "R6's acknowledgements, held in the ledgers across the kill, reach the store"
wait_log FLEET-ACKS-SENT 200
ok "both hosts' outboxes are empty"

R2=$(request db-debug env=prod 90s fleet-R2)
[[ -n $R2 ]] && approve2 "$R2"
ok "R2 (90 s) is requested and approved"
wait_state "$R2" active 200
ok "both hosts acknowledge R2 as active"
wait_log FLEET-R2 200
as_owner "$PGBIN/pg_ctl" -D "$D/data" -m fast -w stop >/dev/null 2>&1
ok "PostgreSQL is stopped while R2 is live"
wait_log FLEET-R2-EXPIRED 300
ok "R2 expired on both hosts with the store down; each made a local break-glass grant"
"$PG" up "$D"
ok "PostgreSQL is back"
wait_state "$R2" expired 200
ok "both hosts acknowledge R2 as expired once the store is back (held in their ledgers)"
wait_log FLEET-SUMMARY-SENT 200 &&
	[[ $(sql alice "SELECT string_agg(DISTINCT s.host, ',' ORDER BY s.host) FROM audit_summary s,
		jsonb_array_elements(s.summary->'break_glass') e
		WHERE e->>'reason' = 'fleet-BG store down' AND e->>'user' = 'carol'") == hostA,hostB ]]
ok "both break-glass grants made while the store was down arrive in the audit summaries"
[[ $(sql alice "SELECT count(*) FROM (SELECT seq_from, lag(seq_to) OVER (PARTITION BY host
	ORDER BY seq_from) AS prev FROM audit_summary) x WHERE prev IS NOT NULL AND
	seq_from <> prev + 1") == 0 &&
	$(sql alice "SELECT count(DISTINCT host) FROM audit_summary WHERE
	(summary->'counts'->>'grant.create')::int > 0") == 2 ]]
ok "each host's audit summaries cover its log in order, without gaps or overlaps"
hist=$(person alice history --fleet --host hostB)
grep -q '^break-glass  hostB  g-[0-9]*  for carol by root' <<<"$hist" &&
	grep -q 'fleet-BG store down' <<<"$hist"
ok "jitgate history --fleet --host hostB shows the break-glass grant made there"

finish_run
