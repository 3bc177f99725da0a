#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# `make bench-fleet`: approval -> all activations acknowledged, for N simulated host agents
# (tests/jg-fleetagent.c --serve: no kernel, one real libpq connection each over TLS with
# its own client certificate, LISTEN jitgate, the real fetch and verification, then the
# activation row) against a throwaway PostgreSQL on this machine (scripts/pg-throwaway.sh).
# For each N a request for the N hosts is filed by alice and approved by bob and carol
# (the jitgate CLI, ssh-keygen signatures); the clock starts at the second approval's
# commit (decisions.stored) and stops at each host's activation row (activations.at).
#   BENCH_FLEET_N="10 100 1000" (the fleet sizes), BENCH_FLEET_ROUNDS=5 (requests per size),
#   BENCH_FLEET_ACK_NOTIFY=0 (see below)
# Prints one table line per N; docs/fleet.md ("Measured") has the numbers and their reading.
set -uo pipefail
[[ -n ${BENCH_FLEET_TRACE:-} ]] && set -x

ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/tests/fleet/store.sh"
BIN="$ROOT/.output/bin"
SIZES=${BENCH_FLEET_N:-10 100 1000}
ROUNDS=${BENCH_FLEET_ROUNDS:-5}
D=$(mktemp -u /tmp/jg-bfleet-pg-XXXXXX)
W=$(mktemp -d /tmp/jg-bfleet-XXXXXX)
agents=()

die() { echo "bench-fleet: $*" >&2; exit 1; }
stop_agents() {
	local p
	for p in "${agents[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${agents[@]}"; do wait "$p" 2>/dev/null; done
	agents=()
}
cleanup() { stop_agents; "$PG" stop "$D" >/dev/null 2>&1 || true; rm -rf "$W"; }
trap cleanup EXIT

for p in jitgate jg-fleetagent; do
	[[ -x $BIN/$p ]] || die "$BIN/$p is missing (make all test-progs)"
done
max=0
for n in $SIZES; do
	[[ $n =~ ^[0-9]+$ ]] && ((n >= 1 && n <= 5000)) || die "BENCH_FLEET_N: \"$n\" is not 1 to 5000"
	((n > max)) && max=$n
done
echo "# $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at start"

store_start "$D" || die "$store_error"
# one backend per agent: room for the largest N, the people and psql
sql postgres "ALTER SYSTEM SET max_connections = $((max + 50))" >/dev/null &&
	"$PG" down "$D" && "$PG" up "$D" || die "cannot raise max_connections"

# BENCH_FLEET_ACK_NOTIFY=0: an experiment, without the activation rows' NOTIFY jitgate_ack
# (PostgreSQL 15 wakes every listening backend of the database for each NOTIFY, whatever
# its channel: N acknowledgements x N listening hosts; docs/fleet.md, "Measured")
if [[ ${BENCH_FLEET_ACK_NOTIFY:-1} == 0 ]]; then
	sql postgres "DROP TRIGGER activations_ack ON jitgate.activations" >/dev/null ||
		die "cannot drop the trigger activations_ack"
	echo "# without NOTIFY jitgate_ack on activation rows (experiment)"
fi
# people (keys, store roles, the signer list) and the policy every agent holds
for u in alice bob carol; do ssh-keygen -q -t ed25519 -N '' -C "$u@bench" -f "$W/$u" || exit 1; done
for u in alice bob carol; do echo "$u $(cut -d' ' -f1,2 "$W/$u.pub")"; done >"$W/signers"
sql postgres "CREATE ROLE alice LOGIN IN ROLE jitgate_user; CREATE ROLE bob LOGIN IN ROLE
	jitgate_user; CREATE ROLE carol LOGIN IN ROLE jitgate_user" >/dev/null
cat >"$W/policy.json" <<'EOF'
{"version": 1,
 "resources": {"prod-secrets": {"files": ["/srv/prod/secrets"]}},
 "roles": {"db-debug": {"allow": {"prod-secrets": ["read"]}, "requesters": ["group:sre"],
   "approvers": ["user:bob", "user:carol"], "approvals": 2, "max_duration": "2h",
   "request_ttl": "1h"}}}
EOF

# hosts h00001...: enrolled with a label per size they take part in, a certificate each
# (one key for all, to keep the set-up short; the store tells them apart by CN)
echo "# enrolling $max hosts (a client certificate each)"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:prime256v1 -out "$W/host.key" 2>/dev/null
chmod 600 "$W/host.key"
mkdir -p "$W/crt"
seq -f 'h%05g' 1 "$max" | xargs -P 2 -I{} openssl req -new -key "$W/host.key" -subj "/CN={}" \
	-x509 -CA "$D/tls/ca.crt" -CAkey "$D/tls/ca.key" -days 2 -out "$W/crt/{}.crt" 2>/dev/null
{
	echo "INSERT INTO hosts (name, labels) VALUES"
	for ((i = 1; i <= max; i++)); do
		l=''
		for n in $SIZES; do ((i <= n)) && l+="${l:+, }\"b$n\": \"y\""; done
		printf "%s('h%05d', '{%s}')\n" "$( ((i > 1)) && echo ,)" "$i" "$l"
	done
} >"$W/hosts.sql"
sql jitgate_admin "$(cat "$W/hosts.sql")" >/dev/null || die "cannot enroll the hosts"

person() { # USER ARGS...
	local u=$1; shift
	JITGATE_STORE="host=$D/sock port=$PORT dbname=jitgate user=$u" JITGATE_KEY="$W/$u" \
		"$BIN/jitgate" "$@" 2>&1
}
agent() { # NAME LABELS
	"$BIN/jg-fleetagent" --store "host=127.0.0.1 port=$PORT dbname=jitgate user=agent \
sslmode=verify-full sslrootcert=$D/tls/ca.crt sslcert=$W/crt/$1.crt sslkey=$W/host.key \
connect_timeout=30" --host "$1" --labels "$2" --policy "$W/policy.json" --signers "$W/signers" \
		--person alice:1001:sre --person bob:1002:sre --person carol:1003:sre \
		--serve 3600 --poll 30 $quiet
}
quiet=--quiet
[[ -n ${BENCH_FLEET_TRACE:-} ]] && quiet=''
labels_of() { # I: the labels of host I
	local n l=''
	for n in $SIZES; do ((I <= n)) && l+="${l:+,}b$n=y"; done
	echo "$l"
}
agents_connected() {
	sql postgres "SELECT count(*) FROM pg_stat_activity WHERE usename = 'agent'"
}

printf '%-6s %-7s %-22s %-22s %-10s %s\n' N rounds "host ack p50/p99 (ms)" \
	"all acked p50/max (ms)" "acks/s" "verified+acked"
for n in $SIZES; do
	for ((i = 1; i <= n; i++)); do
		agent "$(printf 'h%05d' "$i")" "$(I=$i labels_of)" 2>>"$W/agents.err" &
		agents+=($!)
		((i % 50 == 0)) && sleep 0.2
	done
	t=600
	while (($(agents_connected) < n && t-- > 0)); do sleep 0.5; done
	(($(agents_connected) >= n)) || die "only $(agents_connected) of $n agents connected ($(tail -n 2 "$W/agents.err"))"
	sleep 2
	ids=()
	for ((r = 1; r <= ROUNDS; r++)); do
		out=$(person alice request db-debug --hosts "b$n=y" --for 30m --reason "bench $n/$r")
		id=$(sed -n 's/^fleet request \(fr-[0-9a-f]*\):.*/\1/p' <<<"$out")
		[[ -n $id ]] || die "the request for $n hosts failed: $(tail -n 2 <<<"$out")"
		out=$(person bob approve "$id") || die "bob's approval failed: $(tail -n 2 <<<"$out")"
		sleep 1	# the first approval's wake-up (pending everywhere) is over
		out=$(person carol approve "$id") ||
			die "carol's approval failed: $(tail -n 2 <<<"$out")"
		t=1200
		while (($(sql alice "SELECT count(*) FROM activations WHERE request_id = '$id' AND
			state = 'active'") < n && t-- > 0)); do sleep 0.1; done
		ids+=("'$id'")
		sleep 1
	done
	list=$(IFS=,; echo "${ids[*]}")
	sql alice "WITH t0 AS (SELECT request_id, max(stored) AS at FROM decisions
			WHERE request_id IN ($list) AND kind = 'approve' GROUP BY request_id),
		l AS (SELECT a.request_id, extract(epoch FROM a.at - t0.at) * 1000 AS ms,
			a.at FROM activations a JOIN t0 USING (request_id) WHERE a.state = 'active'),
		r AS (SELECT request_id, max(ms) AS all_ms, count(*) AS acks,
			count(*) / greatest(extract(epoch FROM max(at) - min(at)), 0.001) AS rate
			FROM l GROUP BY request_id)
		SELECT format('%-6s %-7s %-22s %-22s %-10s %s', $n, $ROUNDS,
			(SELECT round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms)) || ' / ' ||
				round(percentile_cont(0.99) WITHIN GROUP (ORDER BY ms)) FROM l),
			(SELECT round(percentile_cont(0.5) WITHIN GROUP (ORDER BY all_ms)) || ' / ' ||
				round(max(all_ms)) FROM r),
			(SELECT round(percentile_cont(0.5) WITHIN GROUP (ORDER BY rate)) FROM r),
			(SELECT sum(acks) FROM r) || ' of ' || $n * $ROUNDS)"
	stop_agents
done
echo "# load average $(cut -d' ' -f1-3 /proc/loadavg) at the end"
