#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The fleet store's row-level security, on a throwaway PostgreSQL (scripts/pg-throwaway.sh):
# two hosts, each with its own client certificate mapped to the one `agent` role, and two
# people. Host A must not see or write host B's rows; people write only under their own
# name; nothing without a certificate of the site's CA gets in. One line per check.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/tests/fleet/store.sh"
D=$(mktemp -u /tmp/jg-store-XXXXXX)
fails=0 checks=0

cleanup() { "$PG" stop "$D" >/dev/null 2>&1 || true; }
trap cleanup EXIT

store_start "$D" hostA hostB || { echo "FAIL - $store_error"; exit 1; }

# A certificate with CN=hostB that our CA did not sign: a host (or store admin) faking B.
openssl req -x509 -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
	-keyout "$D/tls/fake.key" -out "$D/tls/fake.crt" -days 1 -subj "/CN=hostB" 2>/dev/null
chmod 600 "$D/tls/fake.key"

# as_host CERT SQL: psql as agent over TLS with the certificate DIR/tls/CERT.crt
as_host() {
	local crt=$1; shift
	"$PGBIN/psql" "host=127.0.0.1 port=$PORT dbname=jitgate user=agent sslmode=verify-full \
sslrootcert=$D/tls/ca.crt sslcert=$D/tls/$crt.crt sslkey=$D/tls/$crt.key" \
		-XAtq -v ON_ERROR_STOP=1 -c "SET search_path = jitgate" -c "$*" 2>&1
}

# ok NAME WANT GOT: WANT is a pattern (bash glob) the output must match
ok() {
	checks=$((checks + 1))
	# shellcheck disable=SC2053
	if [[ $3 == $2 ]]; then
		echo "ok - $1"
	else
		echo "FAIL - $1: expected $2, got: $3"
		fails=$((fails + 1))
	fi
}

H64=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
sql postgres "CREATE ROLE alice LOGIN IN ROLE jitgate_user;
	CREATE ROLE bob LOGIN IN ROLE jitgate_user" >/dev/null
sql jitgate_admin "INSERT INTO hosts (name, labels) VALUES
	('hostA', '{\"env\": \"prod\"}'), ('hostB', '{\"env\": \"prod\"}')" >/dev/null

# people file requests: one for A, one for B, one for both
ok "alice files a request under her own name" "" \
	"$(sql alice "INSERT INTO requests (id, hash, requester, role, hosts, canon, signature)
	VALUES ('fr-000000000000000a', 'sha256:${H64%?}a', 'alice', 'db-debug', '{hostA}', '{}', 's'),
	       ('fr-000000000000000b', 'sha256:${H64%?}b', 'alice', 'db-debug', '{hostB}', '{}', 's'),
	       ('fr-00000000000000ab', 'sha256:${H64%?}c', 'alice', 'db-debug', '{hostA,hostB}', '{}', 's')")"
ok "alice cannot file a request as bob" "*violates row-level security*" \
	"$(sql alice "INSERT INTO requests (id, hash, requester, role, hosts, canon, signature)
	VALUES ('fr-00000000000000bb', 'sha256:${H64%?}d', 'bob', 'x', '{hostA}', '{}', 's')")"
ok "alice cannot set a request's revision" "*permission denied*" \
	"$(sql alice "INSERT INTO requests (id, hash, requester, role, hosts, canon, signature, rev)
	VALUES ('fr-00000000000000cc', 'sha256:${H64%?}e', 'alice', 'x', '{hostA}', '{}', 's', 99)")"
ok "bob approves under his own name, not as carol" "*violates row-level security*" \
	"$(sql bob "INSERT INTO decisions (request_id, kind, by, canon, signature)
	VALUES ('fr-000000000000000a', 'approve', 'bob', '{}', 's')" &&
	sql bob "INSERT INTO decisions (request_id, kind, by, canon, signature)
	VALUES ('fr-000000000000000a', 'approve', 'carol', '{}', 's')")"
ok "revisions are taken in order" "1 2 3 4" \
	"$(sql alice "SELECT string_agg(rev::text, ' ' ORDER BY rev) FROM
	(SELECT rev FROM requests UNION ALL SELECT rev FROM decisions) r")"
ok "a new decision notifies its revision only" "*notification \"jitgate\" with payload \"5\"*" \
	"$(sql bob "LISTEN jitgate; INSERT INTO decisions (request_id, kind, by, canon, signature)
	VALUES ('fr-00000000000000ab', 'approve', 'bob', '{}', 's')")"

# hosts read what targets them
ok "host A sees its own requests only" "fr-000000000000000a fr-00000000000000ab" \
	"$(as_host hostA "SELECT string_agg(id, ' ' ORDER BY id) FROM requests")"
ok "host B sees its own requests only" "fr-000000000000000b fr-00000000000000ab" \
	"$(as_host hostB "SELECT string_agg(id, ' ' ORDER BY id) FROM requests")"
ok "host B sees the decisions of its requests only" "fr-00000000000000ab" \
	"$(as_host hostB "SELECT string_agg(request_id, ' ') FROM decisions")"
ok "host A sees only its own host row" "hostA" \
	"$(as_host hostA "SELECT string_agg(name, ' ') FROM hosts")"

# hosts write only their own rows
ok "host A acknowledges its activation" "" \
	"$(as_host hostA "INSERT INTO activations (request_id, host, state, kernel_expiry)
	VALUES ('fr-00000000000000ab', 'hostA', 'active', now() + interval '45 minutes')")"
ok "host A cannot write an activation for host B" "*violates row-level security*" \
	"$(as_host hostA "INSERT INTO activations (request_id, host, state)
	VALUES ('fr-00000000000000ab', 'hostB', 'active')")"
as_host hostB "INSERT INTO activations (request_id, host, state, reason)
	VALUES ('fr-00000000000000ab', 'hostB', 'rejected', 'labels')" >/dev/null
ok "host A cannot change host B's activation" "0" \
	"$(as_host hostA "WITH u AS (UPDATE activations SET state = 'active'
	WHERE host = 'hostB' RETURNING 1) SELECT count(*) FROM u")"
ok "host A cannot move its activation to host B" "*violates row-level security*" \
	"$(as_host hostA "UPDATE activations SET host = 'hostB' WHERE host = 'hostA'")"
ok "host B's rejection is still its own" "rejected" \
	"$(sql alice "SELECT state FROM activations WHERE host = 'hostB'")"
ok "host A beats its own heartbeat" "1" \
	"$(as_host hostA "WITH u AS (UPDATE hosts SET last_seen = now() RETURNING 1)
	SELECT count(*) FROM u")"
ok "host A cannot touch host B's heartbeat" "0" \
	"$(as_host hostA "WITH u AS (UPDATE hosts SET last_seen = now()
	WHERE name = 'hostB' RETURNING 1) SELECT count(*) FROM u")"
ok "host A cannot change its own labels" "*permission denied*" \
	"$(as_host hostA "UPDATE hosts SET labels = '{\"env\": \"staging\"}'")"
ok "host A cannot insert a request" "*permission denied*" \
	"$(as_host hostA "INSERT INTO requests (id, hash, requester, role, hosts, canon,
	signature) VALUES ('fr-00000000000000dd', 'sha256:${H64%?}f', 'alice', 'x', '{hostA}',
	'{}', 's')")"
ok "host A cannot insert an approval" "*permission denied*" \
	"$(as_host hostA "INSERT INTO decisions (request_id, kind, by, canon, signature)
	VALUES ('fr-00000000000000ab', 'approve', 'bob', '{}', 's')")"
ok "host A cannot file host B's audit summary" "*violates row-level security*" \
	"$(as_host hostA "INSERT INTO audit_summary (host, seq_from, seq_to, summary)
	VALUES ('hostB', 1, 2, '{}')")"

# identity
ok "a certificate our CA did not sign is refused" "*unknown ca*" \
	"$(as_host fake "SELECT 1")"
ok "the agent role without a certificate is refused" "*rejects connection*" \
	"$(sql agent "SELECT 1")"
ok "the schema version is 1" "1" "$(sql alice "SELECT max(version) FROM schema_version")"

echo "store RLS: $((checks - fails)) of $checks checks passed"
((fails == 0))
