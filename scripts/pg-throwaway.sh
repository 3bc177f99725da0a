#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# A throwaway PostgreSQL for the fleet store's tests: a cluster in a temporary directory,
# run as a normal user (postgres when we are root: initdb refuses root), TLS with a test CA,
# host certificates mapped to the one `agent` role (docs/fleet.md, "The store"), and the
# schema applied from user/fleet/sql/. No system service is touched.
#
#   scripts/pg-throwaway.sh start DIR         make and start the cluster in DIR (must not
#                                             exist), apply the schema; prints PORT=N
#   scripts/pg-throwaway.sh cert DIR NAME     a client certificate with CN=NAME from DIR's
#                                             CA: DIR/tls/NAME.crt and .key
#   scripts/pg-throwaway.sh migrate DIR       apply the migrations the store lacks
#   scripts/pg-throwaway.sh down DIR          stop the server, keeping DIR (a store outage)
#   scripts/pg-throwaway.sh up DIR            start it again after `down`
#   scripts/pg-throwaway.sh stop DIR          stop the cluster and remove DIR
#
# Connection: host=127.0.0.1 port=$(cat DIR/port) dbname=jitgate (TLS: sslrootcert=
# DIR/tls/ca.crt), or the socket directory DIR/sock. Superuser: postgres.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SQL="$ROOT/user/fleet/sql"
PGBIN=${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
DB=jitgate

die() { echo "pg-throwaway: $*" >&2; exit 1; }

# Run as the cluster's owner: postgres when we are root, else ourselves.
as_owner() {
	if ((EUID == 0)); then runuser -u postgres -- "$@"; else "$@"; fi
}

psql_super() {
	local dir=$1; shift
	as_owner "$PGBIN/psql" -h "$dir/sock" -p "$(cat "$dir/port")" -U postgres -XAtq \
		-v ON_ERROR_STOP=1 "$@"
}

free_port() {
	local p
	for ((p = 40000 + $$ % 20000; p < 65000; p++)); do
		(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
	done
	die "no free TCP port on 127.0.0.1"
}

# A key and certificate signed by DIR's CA: tls_issue DIR NAME CN [SAN]
tls_issue() {
	local t=$1/tls name=$2 cn=$3 san=${4:-}
	openssl req -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
		-keyout "$t/$name.key" -out "$t/$name.csr" -subj "/CN=$cn" 2>/dev/null
	openssl x509 -req -in "$t/$name.csr" -CA "$t/ca.crt" -CAkey "$t/ca.key" \
		-CAcreateserial -days 2 -out "$t/$name.crt" \
		${san:+-extfile <(printf 'subjectAltName=%s\n' "$san")} 2>/dev/null
	chmod 600 "$t/$name.key"
	rm -f "$t/$name.csr"
}

migrate() {
	local dir=$1 have known f v
	have=0
	if [[ $(psql_super "$dir" -d "$DB" -c "SELECT to_regclass('jitgate.schema_version')
		IS NOT NULL") == t ]]; then
		have=$(psql_super "$dir" -d "$DB" -c "SELECT coalesce(max(version), 0) FROM
			jitgate.schema_version")
	fi
	known=0
	for f in "$SQL"/[0-9][0-9][0-9]_*.sql; do
		v=$((10#$(basename "$f" | cut -c1-3)))
		((v > known)) && known=$v
	done
	((have <= known)) ||
		die "the store's schema version $have is newer than this jitgate knows ($known)"
	for f in "$SQL"/[0-9][0-9][0-9]_*.sql; do
		v=$((10#$(basename "$f" | cut -c1-3)))
		((v == 0 || v <= have)) && continue
		# each migration as the schema's owner, in one transaction
		as_owner "$PGBIN/psql" -h "$dir/sock" -p "$(cat "$dir/port")" -U jitgate_admin \
			-d "$DB" -XAtq -v ON_ERROR_STOP=1 -1 -f "$f" >/dev/null ||
			die "migration $(basename "$f") failed"
	done
}

start() {
	local dir=$1 port
	[[ ! -e $dir ]] || die "$dir exists already"
	[[ -x $PGBIN/initdb ]] || die "no PostgreSQL server binaries (install postgresql)"
	mkdir -p "$dir/tls" "$dir/sock"
	port=$(free_port)
	echo "$port" > "$dir/port"

	openssl req -x509 -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
		-keyout "$dir/tls/ca.key" -out "$dir/tls/ca.crt" -days 2 \
		-subj "/CN=jitgate throwaway CA" 2>/dev/null
	tls_issue "$dir" server 127.0.0.1 "IP:127.0.0.1"
	((EUID != 0)) || chown -R postgres: "$dir"
	chmod 700 "$dir"

	as_owner "$PGBIN/initdb" -D "$dir/data" -U postgres -A trust --no-sync >"$dir/initdb.log" 2>&1 ||
		{ cat "$dir/initdb.log" >&2; die "initdb failed"; }
	# hosts: TLS with a certificate of our CA, its CN mapped to `agent`; never over the socket.
	# people and admins: trusted on the socket and on 127.0.0.1 (a test cluster).
	cat > "$dir/data/pg_hba.conf" <<-EOF
	local   all     agent                   reject
	local   all     all                     trust
	hostssl $DB     agent   127.0.0.1/32    cert map=hosts
	hostssl all     all     127.0.0.1/32    trust
	EOF
	cat > "$dir/data/pg_ident.conf" <<-'EOF'
	hosts   /^[A-Za-z0-9._-]+$      agent
	EOF
	((EUID != 0)) || chown postgres: "$dir/data/pg_hba.conf" "$dir/data/pg_ident.conf"
	up "$dir"

	psql_super "$dir" -d postgres -c "CREATE DATABASE $DB" >/dev/null
	psql_super "$dir" -d "$DB" -v DBNAME="$DB" -f "$SQL/000_bootstrap.sql" >/dev/null
	migrate "$dir"
	echo "PORT=$port"
}

# Start the server of DIR (made by start).
up() {
	local dir=$1 port
	port=$(cat "$dir/port")
	as_owner "$PGBIN/pg_ctl" -D "$dir/data" -w -l "$dir/server.log" -o "-k $dir/sock \
		-c listen_addresses=127.0.0.1 -p $port -c fsync=off -c ssl=on \
		-c ssl_cert_file=$dir/tls/server.crt -c ssl_key_file=$dir/tls/server.key \
		-c ssl_ca_file=$dir/tls/ca.crt" start >/dev/null ||
		{ cat "$dir/server.log" >&2; die "the server did not start"; }
}

# Stop it (fast: sessions are ended, what is committed stays), keeping DIR.
down() {
	local dir=$1
	[[ -f $dir/port ]] || die "$dir is not a throwaway cluster"
	as_owner "$PGBIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
}

cert() {
	local dir=$1 name=$2
	[[ $name =~ ^[A-Za-z0-9._-]+$ ]] || die "\"$name\" is not a host name"
	tls_issue "$dir" "$name" "$name"
}

stop() {
	local dir=$1
	[[ -f $dir/port ]] || die "$dir is not a throwaway cluster"
	[[ ! -d $dir/data ]] || as_owner "$PGBIN/pg_ctl" -D "$dir/data" -m immediate -w stop \
		>/dev/null 2>&1 || true
	rm -rf "$dir"
}

case "${1:-}" in
start)   (($# == 2)) || die "usage: $0 start DIR"; start "$2" ;;
cert)    (($# == 3)) || die "usage: $0 cert DIR NAME"; cert "$2" "$3" ;;
migrate) (($# == 2)) || die "usage: $0 migrate DIR"; migrate "$2" ;;
up)      (($# == 2)) || die "usage: $0 up DIR"; up "$2" ;;
down)    (($# == 2)) || die "usage: $0 down DIR"; down "$2" ;;
stop)    (($# == 2)) || die "usage: $0 stop DIR"; stop "$2" ;;
*)       die "usage: $0 start|cert|migrate|up|down|stop DIR [NAME]" ;;
esac
