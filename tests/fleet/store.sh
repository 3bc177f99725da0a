# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# shellcheck shell=bash disable=SC2034 # PORT and store_error are read by the tests
# Sourced (bash) by the fleet tests, tests/fleet/test_*.sh, once ROOT is set: the start-up
# of their throwaway PostgreSQL (scripts/pg-throwaway.sh) written once.
#   store_start DIR HOST...  start the cluster in DIR (must not exist) with a client
#                            certificate DIR/tls/HOST.crt for each HOST; sets PORT.
#                            1 with one sentence in store_error when it cannot.
#   sql ROLE SQL             psql as ROLE over DIR's socket in the jitgate schema, output
#                            and errors together
#   as_owner CMD...          run CMD as the cluster's owner (postgres when we are root)
# "$PG" stop DIR removes the cluster (each test's trap).
PG="$ROOT/scripts/pg-throwaway.sh"
PGBIN=${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
PORT='' store_dir='' store_error=''

as_owner() { if ((EUID == 0)); then runuser -u postgres -- "$@"; else "$@"; fi; }

store_start() {
	local h
	store_dir=$1
	shift
	"$PG" start "$store_dir" >/dev/null ||
		{ store_error="the throwaway PostgreSQL did not start"; return 1; }
	for h; do
		"$PG" cert "$store_dir" "$h" || { store_error="no certificate for $h"; return 1; }
	done
	PORT=$(cat "$store_dir/port")
}

sql() { # ROLE SQL
	local who=$1
	shift
	as_owner "$PGBIN/psql" -h "$store_dir/sock" -p "$PORT" -U "$who" -d jitgate -XAtq \
		-v ON_ERROR_STOP=1 -c "SET search_path = jitgate" -c "$*" 2>&1
}
