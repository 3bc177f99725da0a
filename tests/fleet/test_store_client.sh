#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The fleet store's client (user/fleet/store.c) and the CLI's signed fleet commands against
# a throwaway PostgreSQL (scripts/pg-throwaway.sh), with host agents that have no kernel
# (tests/jg-fleetagent.c: the real store client and the real verification). People sign
# with real ssh-keygen keys. One line per check.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/tests/fleet/store.sh"
BIN="$ROOT/.output/bin"
D=$(mktemp -u /tmp/jg-fstore-XXXXXX)
W=$(mktemp -d /tmp/jg-fclient-XXXXXX)
fails=0 checks=0

cleanup() { "$PG" stop "$D" >/dev/null 2>&1 || true; rm -rf "$W"; }
trap cleanup EXIT

for p in jitgate jg-fleetagent; do
	[[ -x $BIN/$p ]] || { echo "FAIL - $BIN/$p is missing (make all test-progs)"; exit 1; }
done
store_start "$D" hostA hostB hostC hostZ || { echo "FAIL - $store_error"; exit 1; }

ok() { # NAME WANT-PATTERN GOT
	checks=$((checks + 1))
	# shellcheck disable=SC2053
	if [[ $3 == $2 ]]; then
		echo "ok - $1"
	else
		echo "FAIL - $1: expected $2, got: $3"
		fails=$((fails + 1))
	fi
}

# people: keys, store roles, the signer list; hosts: enrolled with labels
for u in alice bob carol mallory; do
	ssh-keygen -q -t ed25519 -N '' -C "$u@test" -f "$W/$u" || exit 1
done
{
	for u in alice bob carol; do echo "$u $(cut -d' ' -f1,2 "$W/$u.pub")"; done
} > "$W/signers"
sql postgres "CREATE ROLE alice LOGIN IN ROLE jitgate_user;
	CREATE ROLE bob LOGIN IN ROLE jitgate_user; CREATE ROLE carol LOGIN IN ROLE jitgate_user;
	CREATE ROLE mallory LOGIN IN ROLE jitgate_user" >/dev/null
sql jitgate_admin "INSERT INTO hosts (name, labels) VALUES
	('hostA', '{\"env\": \"prod\", \"role\": \"db\"}'),
	('hostB', '{\"env\": \"prod\", \"role\": \"db\"}'),
	('hostC', '{\"env\": \"dev\", \"role\": \"db\"}')" >/dev/null
cat > "$W/policy.json" <<'EOF'
{"version": 1,
 "resources": {"prod-secrets": {"files": ["/srv/prod/secrets"]}},
 "roles": {"db-debug": {"allow": {"prod-secrets": ["read"]},
   "requesters": ["group:sre"], "approvers": ["group:sre-leads"], "approvals": 2,
   "max_duration": "2h", "request_ttl": "1h"}}}
EOF

people="host=$D/sock port=$PORT dbname=jitgate user"
hostci() { echo "host=127.0.0.1 port=$PORT dbname=jitgate user=agent sslmode=verify-full \
sslrootcert=$D/tls/ca.crt sslcert=$D/tls/$1.crt sslkey=$D/tls/$1.key connect_timeout=5"; }
agent() { # HOST LABELS [ARGS...]
	local h=$1 l=$2; shift 2
	"$BIN/jg-fleetagent" --store "$(hostci "$h")" --host "$h" --labels "$l" \
		--policy "$W/policy.json" --signers "$W/signers" --person alice:1000:sre \
		--person bob:1001:sre-leads --person carol:1002:sre-leads \
		--person mallory:1003:sre-leads "$@" 2>&1
}
as_person() { # USER ARGS...: the CLI as USER with USER's key
	local u=$1; shift
	JITGATE_STORE="$people=$u" JITGATE_KEY="$W/$u" "$BIN/jitgate" "$@" 2>&1
}

# ---- bad input: one sentence each, nothing changes
# snapshot: what a refused input must leave as it was (rows, and the hosts' heartbeats)
snapshot() {
	sql jitgate_admin "SELECT (SELECT count(*) FROM requests) || '/' || (SELECT count(*) FROM
		decisions) || '/' || (SELECT count(*) FROM activations) || '/' || (SELECT count(*)
		FROM audit_summary) || '/' || (SELECT string_agg(name || '=' ||
		coalesce(last_seen::text, '-'), ',' ORDER BY name) FROM hosts)"
}
before=$(snapshot)
ok "a wrong connection string is one sentence" \
	"jg-fleetagent: the fleet store's connection string is wrong: *" \
	"$("$BIN/jg-fleetagent" --store "host=x bogus" --host hostA --policy "$W/policy.json" \
		--signers "$W/signers" 2>&1)"
ok "an unreachable store is one sentence" "jg-fleetagent: cannot connect to the fleet store: *" \
	"$("$BIN/jg-fleetagent" --store "host=127.0.0.1 port=1 dbname=jitgate connect_timeout=2" \
		--host hostA --policy "$W/policy.json" --signers "$W/signers" 2>&1)"
ok "a host the store does not know is refused" \
	"*the fleet store has no host \"hostZ\" for this connection*" "$(agent hostZ "")"
ok "a request with a wrong connection string is one sentence" \
	"jitgate: the fleet store's connection string is wrong: *" \
	"$(JITGATE_STORE="host=x bogus" JITGATE_KEY="$W/alice" "$BIN/jitgate" request db-debug \
		--hosts env=prod --for 10m --reason x 2>&1 | head -n 2 | tr '\n' '|')"
ok "... and none of these changed anything in the store" "$before" "$(snapshot)"

# ---- request, resolved by labels, signed by alice
out=$(as_person alice request db-debug --hosts env=prod,role=db --for 30m --reason "INC-1 lag")
ok "the request resolves env=prod,role=db to hostA and hostB" \
	"fleet request fr-* on 2 hosts: hostA hostB*" "$out"
REQ=$(sed -n 's/^fleet request \(fr-[0-9a-f]*\):.*/\1/p' <<<"$out")
ok "host A sees it pending (0 of 2 approvals)" "$REQ pending 0 of 2 approvals" \
	"$(agent hostA env=prod,role=db)"
ok "host C (env=dev) does not even see it" "" "$(agent hostC env=dev,role=db)"

# ---- two signed approvals, with the notification as the push hint
agent hostB env=prod,role=db --wait 20 > "$W/waitB" &
waitpid=$!
sleep 1
ok "bob approves, seeing both hosts" "approve $REQ: alice asks*on 2 hosts: hostA hostB*" \
	"$(as_person bob approve "$REQ")"
wait "$waitpid"
ok "host B was notified of the approval" "*notified*" "$(cat "$W/waitB")"
ok "carol approves" "*approve of $REQ by carol stored*" "$(as_person carol approve "$REQ")"
ok "host A activates with two valid approvals" "$REQ active" "$(agent hostA env=prod,role=db)"
ok "host B activates" "$REQ active" "$(agent hostB env=prod,role=db)"
ok "fleet status shows both hosts active" "*hostA*active*hostB*active*2 of 2 hosts answered*" \
	"$(as_person alice fleet status "$REQ" | tr '\n' ' ')"
ok "host labels that do not match the selector are refused" \
	"$REQ rejected labels: *" "$(agent hostA env=dev,role=db --no-ack)"

# ---- forged and replayed rows
canon=$(sql alice "SELECT canon FROM requests WHERE id = '$REQ'")
sig=$(sql alice "SELECT signature FROM requests WHERE id = '$REQ'")
FORGED=fr-00000000000000f0
forged=${canon/\"duration\":1800/\"duration\":7000}
forged=${forged/$REQ/$FORGED}
sql jitgate_admin "INSERT INTO requests (id, hash, requester, role, hosts, canon, signature)
	VALUES ('$FORGED', 'sha256:$(printf %064d 0)', 'alice', 'db-debug', '{hostA,hostB}',
	\$q\$$forged\$q\$, \$q\$$sig\$q\$)" >/dev/null
ok "an edited request inserted by the store's admin is refused" \
	"*$FORGED rejected bad_signature: *" "$(agent hostA env=prod,role=db --no-ack | tr '\n' ' ')"
out=$(as_person mallory request db-debug --hosts host=hostA --for 10m --reason "mine")
MREQ=$(sed -n 's/^fleet request \(fr-[0-9a-f]*\):.*/\1/p' <<<"$out")
ok "a request signed by a key not in the host's list is refused" \
	"*$MREQ rejected unknown_key: *" "$(agent hostA env=prod,role=db --no-ack | tr '\n' ' ')"
out=$(as_person alice request db-debug --hosts host=hostA --for 10m --reason "second")
REQ2=$(sed -n 's/^fleet request \(fr-[0-9a-f]*\):.*/\1/p' <<<"$out")
bobdec=$(sql bob "SELECT canon FROM decisions WHERE request_id = '$REQ' AND by = 'bob'")
bobsig=$(sql bob "SELECT signature FROM decisions WHERE request_id = '$REQ' AND by = 'bob'")
sql bob "INSERT INTO decisions (request_id, kind, by, canon, signature) VALUES
	('$REQ2', 'approve', 'bob', \$q\$$bobdec\$q\$, \$q\$$bobsig\$q\$)" >/dev/null
ok "an approval moved to another request is refused" \
	"*$REQ2 decision-rejected wrong_request:*$REQ2 pending 0 of 2 approvals*" \
	"$(agent hostA env=prod,role=db --no-ack | tr '\n' ' ')"
sql carol "INSERT INTO decisions (request_id, kind, by, canon, signature) VALUES
	('$REQ2', 'approve', 'carol', '{}', '')" >/dev/null
ok "an approval that is not signed is refused" "*$REQ2 decision-rejected malformed:*" \
	"$(agent hostA env=prod,role=db --no-ack | tr '\n' ' ')"
before=$(snapshot)
ok "an approval the CLI cannot sign (no key) is one sentence" "jitgate: *$W/nokey*" \
	"$(JITGATE_STORE="$people=carol" JITGATE_KEY="$W/nokey" "$BIN/jitgate" approve "$REQ2" \
		2>&1 | tail -n 1)"
ok "... and stores nothing" "$before" "$(snapshot)"

# ---- revoke reaches both hosts
ok "alice revokes her request" "*revoke of $REQ by alice stored*" \
	"$(as_person alice fleet revoke "$REQ" --reason "done")"
ok "host A sees the revoke" "*$REQ revoked*" "$(agent hostA env=prod,role=db | tr '\n' ' ')"
ok "host B sees the revoke" "*$REQ revoked*" "$(agent hostB env=prod,role=db | tr '\n' ' ')"
ok "fleet status shows both hosts revoked" "*hostA*revoked*hostB*revoked*" \
	"$(as_person alice fleet status "$REQ" | tr '\n' ' ')"

# ---- fleet history: who had what on which host, when, why, approved by whom
out=$(as_person carol history --fleet)
ok "history --fleet: the request, its reason, approvers, revoker and both hosts' answers" \
	"*$REQ  alice  role db-debug  for 30m  hosts env=prod,role=db (2)*reason:    INC-1 lag*approved:  bob, carol*revoked:   alice*hostA      revoked 20*hostB      revoked 20*" \
	"$out"
out=$(as_person carol history --fleet --user alice --host hostA --since 1h)
ok "history --fleet --user alice --host hostA: alice's requests naming hostA only" \
	"$REQ *$REQ2 *approved:  bob, carol*" "$(tr '\n' ' ' <<<"$out")"
ok "... and neither mallory's request nor hostB's answer" "0" \
	"$(grep -c -e "$MREQ" -e hostB <<<"$out")"
ok "history --fleet --host hostC: nothing (no request names it)" \
	"jitgate: no fleet requests in the store that match" \
	"$(as_person carol history --fleet --host hostC)"
ok "history --fleet --json: the activation rows with their times" \
	"*\"host\": \"hostA\"*\"state\": \"revoked\"*" "$(as_person carol history --fleet --json)"
ok "history --fleet with a wrong connection string: one sentence" \
	"jitgate: the fleet store's connection string is wrong: *" \
	"$("$BIN/jitgate" history --fleet --store "host=x bogus" 2>&1 | head -n 2 | tr '\n' '|')"
ok "history --fleet --since with a bad time: one sentence" \
	"jitgate: history: --since 'yesterday' must be a date (2026-11-01), *" \
	"$(as_person carol history --fleet --since yesterday)"

# ---- a store with an unknown schema version
sql jitgate_admin "INSERT INTO schema_version (version) VALUES (99)" >/dev/null
before=$(snapshot)
ok "history --fleet on an unknown schema version: one sentence" \
	"jitgate: the store's schema is version 99 and this jitgate knows only version 1: *" \
	"$(as_person carol history --fleet)"
ok "an unknown schema version is refused with both versions named" \
	"jg-fleetagent: the store's schema is version 99 and this jitgate knows only version 1: *" \
	"$(agent hostA env=prod,role=db)"
ok "a request on an unknown schema version is one sentence" \
	"jitgate: the store's schema is version 99 and this jitgate knows only version 1: *" \
	"$(as_person alice request db-debug --hosts env=prod --for 10m --reason x | head -n 1)"
ok "... and the unknown schema version changed nothing in the store" "$before" "$(snapshot)"
sql jitgate_admin "DELETE FROM schema_version WHERE version = 99" >/dev/null

echo "store client: $((checks - fails)) of $checks checks passed"
((fails == 0))
