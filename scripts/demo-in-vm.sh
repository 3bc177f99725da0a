#!/bin/sh
# make demo, inside the VM: deny -> request -> approval by another person -> allow ->
# expiry -> deny, with the audit lines each step wrote. Then the part only a kernel gate can do: the daemon is killed and
# a grant still ends on time.
set -u
. /opt/jitgate/tests/vm/lib.sh

AUDIT=/var/log/jitgate/audit.jsonl
POLICY=/opt/jitgate/policies/demo.json
SECRET=/srv/prod/secrets/db.pw
seen=0

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }
as_alice() { printf 'alice$ %s\n' "$*"; as_user alice "$@"; }
# The audit lines written since the last call, one compact line each.
audit_new() {
	sleep 0.6	# jitgated drains the ring buffer 4 times a second
	total=$(wc -l <"$AUDIT")
	if [ "$total" -gt "$seen" ]; then
		echo "   audit:"
		sed -n "$((seen + 1)),${total}p" "$AUDIT" | cut -c1-400 | sed 's/^/   | /'
	fi
	seen=$total
}

# Start jitgated and wait for its "ready" (the canary denied): up to 3 minutes, since BPF
# verification under a busy emulator is slow. A daemon that exits or never gets ready ends
# the demo with its log: the story after it would show nothing true.
start_jitgated() {
	jitgated --policy $POLICY >/tmp/jitgated.log 2>&1 &
	DAEMON=$!
	i=0
	until grep -q ready /tmp/jitgated.log; do
		if ! kill -0 $DAEMON 2>/dev/null || [ $i -gt 1800 ]; then
			cat /tmp/jitgated.log
			echo "demo: jitgated did not become ready; the demo stops here" >&2
			exit 1
		fi
		sleep 0.1
		i=$((i + 1))
	done
	cat /tmp/jitgated.log
}

mkdir -p /srv/prod/secrets /srv/prod/bin
echo "postgres://app:s3cr3t@db.prod:5432/app" >$SECRET
chmod 0644 $SECRET	# file modes let everybody read it: the gate is what stops them
printf '#!/bin/sh\necho prodctl: ok\n' >/srv/prod/bin/prodctl
chmod 0755 /srv/prod/bin/prodctl

say "Before jitgate: file modes let alice read the production secret"
as_alice cat $SECRET

say "Start jitgated with $POLICY"
start_jitgated
run jitgate status
audit_new

say "1. No grant: alice is denied by the kernel"
as_alice cat $SECRET
as_alice /srv/prod/bin/prodctl
audit_new

say "2. alice asks for the db-debug role, for 20 seconds, with a reason"
printf 'alice$ jitgate request db-debug --for 20s --reason "INC-4711: slow queries on the primary"\n'
as_user alice jitgate request db-debug --for 20s --reason "INC-4711: slow queries on the primary"
RID=$(as_user alice jitgate requests --pending --json | sed -n 's/.*"id": *"\(r-[0-9]*\)".*/\1/p' | head -n1)
as_alice cat $SECRET
audit_new

say "3. alice cannot approve her own request; bob (sre-leads) sees it and approves"
as_alice jitgate approve "$RID"
printf 'bob$ jitgate requests --pending\n'; as_user bob jitgate requests --pending
printf 'bob$ jitgate approve %s\n' "$RID"; as_user bob jitgate approve "$RID"
audit_new

say "4. alice reads the secret and runs prodctl; bob, who approved but holds no grant, cannot"
as_alice cat $SECRET
as_alice /srv/prod/bin/prodctl
printf 'bob$ cat %s\n' $SECRET; as_user bob cat $SECRET
run jitgate list
# the descriptor re-check (file_permission) is attached while a read/write grant lives
printf '$ jitgate status | grep recheck\n'; jitgate status | grep recheck
audit_new

say "5. The grant expires: nothing to revoke, the kernel compares the expiry on every open"
sleep 21
as_alice cat $SECRET
printf '$ jitgate status | grep recheck\n'; jitgate status | grep recheck
audit_new
printf '$ jitgate history --user alice\n'; jitgate history --user alice

say "6. Grants end on time even when jitgated is dead (an admin grant this time)"
run jitgate grant --user alice --allow prod-secrets:read --for 10s --reason "INC-4712: check replica config"
as_alice cat $SECRET
printf '$ kill -9 jitgated\n'; kill -9 $DAEMON; wait $DAEMON 2>/dev/null
run jitgate status
printf '$ sleep 11\n'; sleep 11
as_alice cat $SECRET
say "jitgated restarts, adopts the pinned gate and records what happened while it was away"
start_jitgated
audit_new

say "7. Every record is chained to the one before (SHA-256): the log is tamper-evident"
run jitgate audit verify $AUDIT
printf '$ jitgate audit tail -n 4\n'; jitgate audit tail -n 4 --file $AUDIT

say "Demo done: deny -> request -> approve -> allow -> expiry -> deny, every step in $AUDIT"
