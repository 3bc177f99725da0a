#!/bin/sh
# jitgate micro-benchmark, run inside the test VM (scripts/bench.sh boots it):
#
#   sh /opt/jitgate/scripts/bench-in-vm.sh [--quick] [--no-stats]
#
# In one boot, two rounds of: the loops with no gate loaded (base), then jitgated with
# policies/bench.json and the same loops again (gated): the unprotected ones with no grant
# live (the descriptor re-check detached), then a grant for the bench subject (root: its
# loginuid is unset, so its subject is uid 0) and the granted ones plus read and open of
# the unprotected file again (_armed), all with the daemon's default config (allow events
# streamed); the gate is unloaded between rounds. Then the two granted cases
# twice more under "stream_allow_events": false (ev-off). Two rounds rather than one show
# how far the numbers move by themselves: under TCG on a shared host they move a lot.
# Prints a table of gated/base ratios against the targets and what each jg_* program cost
# per run (kernel.bpf_stats_enabled=1). Speed is reported, never asserted: the exit status
# is non-zero only when a measurement or the setup failed.
#
#   --quick     a tenth of the iterations (smoke test of the script, numbers meaningless)
#   --no-stats  leave kernel.bpf_stats_enabled at 0 (no per-program numbers; shows what
#               the statistics themselves cost the gated loops)
#
# See docs/bench.md for what each case measures and the results.
# shellcheck disable=SC3043,SC2086 # busybox sh has local; case lists are split on purpose

PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH

POLICY=/opt/jitgate/policies/bench.json
OUT=/tmp/jg-bench
RES=$OUT/results	# "PHASE CASE MEDIAN_NS_PER_OP MIN_NS_PER_OP", PHASE base1 gated1 ... noev2
AUDIT=/var/log/jitgate/audit.jsonl
SCALE=10
STATS=1
for a in "$@"; do
	case $a in
	--quick) SCALE=1 ;;
	--no-stats) STATS=0 ;;
	*) echo "bench-in-vm: unknown option $a" >&2; exit 2 ;;
	esac
done

# Iterations per timed run (5 runs + a tenth for warm-up). Under TCG an open/close takes
# ~15-30 us, a refused loopback connect ~100-200 us, fork+exec of busybox ~10 ms.
N_OPEN=$((2000 * SCALE))
N_PROT=$((100 * SCALE))	# each one an audit event while events are on: the 5.1 x N of
			# them should fit the 4 MiB ring buffer (6700 events of 624 bytes)
N_EXEC=$((8 * SCALE))
N_CONN=$((100 * SCALE))	# the granted connect streams events too

FAILED=0
DAEMON_PID=
GRANT_ID=
ROOT_GRANT_ID=
STARTS=0
PROGDELTA=0

say() { echo "bench: $*"; }
fail() {
	echo "bench: FAIL: $*"
	FAILED=1
}
die() {
	echo "bench: FAIL: $*"
	stop_daemon
	exit 1
}

# ------------------------------------------------------------------ cases
# connect goes to closed ports: every connect is refused (ECONNREFUSED) with and without
# the gate, the same outcome both ways. 127.0.0.1:7001 is an unprotected port (the gate's
# port filter already says no); 127.0.0.2:7000 has the protected port number on another
# address, so the gate also does the LPM lookup before allowing (the unprotected worst case).
# The protected endpoint is 10.99.0.1:7000, an address of lo's that is not loopback: an
# endpoint on loopback would protect 127.0.0.2 too (every loopback address is this host).
# The granted cases come last: with events on, each leaves the daemon a backlog of audit
# events to write, and the next case waits until it has (wait_drain), so that no case
# pays for another's events.
# The descriptor re-check (file_permission on every read and write, file_free_security on
# every close) is attached only while a grant or a file opened under one exists, and root
# containment's session programs (file_alloc_security, the socket hooks) only while an
# elevate grant does: the idle cases run before the bench grants (the usual state of a
# host), the *_armed ones, the same loops, after them.
CASES_IDLE="open_samefs open_otherfs read_unprot exec connect_unprot connect_sameport"
CASES_LIVE="read_unprot_armed open_samefs_armed open_prot_grant connect_prot_grant"
CASES_ALL="$CASES_IDLE $CASES_LIVE"
CASES_GRANT="open_prot_grant connect_prot_grant"

case_args() {
	case $1 in
	open_samefs | open_samefs_armed) echo "open /srv/bench/plain/file $N_OPEN" ;;
	open_otherfs) echo "open /dev/null $N_OPEN" ;;
	read_unprot | read_unprot_armed) echo "read /srv/bench/plain/file $N_OPEN" ;;
	open_prot_grant) echo "open /srv/bench/prot/secret $N_PROT" ;;
	exec) echo "exec /bin/true $N_EXEC" ;;
	connect_unprot) echo "connect 127.0.0.1 7001 $N_CONN" ;;
	connect_sameport) echo "connect 127.0.0.2 7000 $N_CONN" ;;
	connect_prot_grant) echo "connect 10.99.0.1 7000 $N_CONN" ;;
	esac
}

# run_phase PHASE CASE...: one jg-bench loop per case; "PHASE CASE MEDIAN MIN" to $RES,
# jg-bench's output (with progdelta lines in gated phases) to $OUT/PHASE.CASE.
run_phase() {
	local phase="$1" c out ns pre
	shift
	for c in "$@"; do
		out=$OUT/$phase.$c
		pre=$(audit_size)
		# shellcheck disable=SC2046 # word splitting of the arguments is wanted
		if JG_BENCH_PROGSTATS=$PROGDELTA jg-bench $(case_args "$c") >"$out" 2>"$out.err"; then
			ns=$(awk '$2 ~ /^ns_per_op=/ { sub(/^ns_per_op=/, "", $2); sub(/^min=/, "", $3)
				print $2, $3 }' "$out")
			echo "$phase $c $ns" >>"$RES"
			printf 'bench: %-6s %-19s %s\n' "$phase" "$c" "$(grep '^[a-z]* ns_per_op=' "$out")"
			case $phase in gated* | noev*) wait_drain "$c" "$pre" ;; esac
		else
			fail "$phase $c: jg-bench $(case_args "$c"): $(cat "$out.err")"
			echo "$phase $c - -" >>"$RES"
		fi
	done
}

audit_size() {
	if [ -f "$AUDIT" ]; then wc -c <"$AUDIT"; else echo 0; fi
}

# wait_drain CASE OFFSET: wait until the daemon has written what the case made the kernel
# stream (the audit log has stopped growing for a second; at most 60 s), then say what
# it wrote from OFFSET on, by event type.
wait_drain() {
	local last=-1 size i=0 t0 what
	t0=$(date +%s)
	while [ "$i" -lt 60 ]; do
		size=$(audit_size)
		[ "$size" != "$last" ] || break
		last=$size
		i=$((i + 1))
		sleep 1
	done
	[ "$i" -lt 60 ] || say "  ($1: the audit log was still growing after 60 s)"
	what=$(tail -c +$(($2 + 1)) "$AUDIT" 2>/dev/null |
		sed -n 's/.*"type":"\([^"]*\)".*/\1/p' | sort | uniq -c |
		awk '{ printf "%s%s %s", (NR > 1 ? ", " : ""), $1, $2 }')
	[ -z "$what" ] ||
		say "  ($1: audit log +$what; written $(($(date +%s) - t0))s after the loop at most)"
}

start_daemon() { # [jitgated options]
	local i=0 log
	STARTS=$((STARTS + 1))
	log=$OUT/jitgated.$STARTS.err
	: >"$log"	# exists and is empty before the daemon starts: no stale "ready"
	jitgated --policy "$POLICY" "$@" >"$OUT/jitgated.$STARTS.out" 2>>"$log" &
	DAEMON_PID=$!
	while ! grep -q ready "$log"; do
		if ! kill -0 "$DAEMON_PID" 2>/dev/null || [ "$i" -ge 600 ]; then
			sed 's/^/bench:   jitgated: /' "$log"
			return 1
		fi
		i=$((i + 1))
		sleep 0.2
	done
	say "jitgated ready after ~$((i / 5))s: $(grep ready "$log" | tail -n1)"
}

# Ends the bench grant first: the ledger outlives the unload, and a grant restored by the
# next round's daemon would keep the descriptor re-check armed through its idle cases.
stop_daemon() {
	[ -n "$DAEMON_PID" ] || return 0
	if [ -n "$ROOT_GRANT_ID" ]; then
		jitgate revoke "$ROOT_GRANT_ID" >/dev/null 2>&1 ||
			say "jitgate revoke $ROOT_GRANT_ID failed"
		ROOT_GRANT_ID=
	fi
	if [ -n "$GRANT_ID" ]; then
		jitgate revoke "$GRANT_ID" >/dev/null 2>&1 || say "jitgate revoke $GRANT_ID failed"
		GRANT_ID=
	fi
	jitgate unload >"$OUT/unload.out" 2>&1 || {
		say "jitgate unload failed: $(cat "$OUT/unload.out")"
		kill "$DAEMON_PID" 2>/dev/null
	}
	wait "$DAEMON_PID" 2>/dev/null
	DAEMON_PID=
}

check_unloaded() {
	if [ -n "$(jg-bench progstats 2>/dev/null)" ]; then
		die "jg_* programs are loaded (a gate is in place): no baseline possible"
	fi
}

grant_bench() {
	local id
	GRANT_ID=
	id=$(jitgate grant --user root --allow bench-files:read --allow bench-db:connect \
		--for 1h --reason "jitgate micro-benchmark" 2>"$OUT/grant.err") ||
		die "jitgate grant failed: $(cat "$OUT/grant.err")"
	GRANT_ID=$id
	say "granted root bench-files:read and bench-db:connect for 1h: $id"
	# an elevate grant makes a session possible: root containment's programs attach
	id=$(jitgate grant --user alice --allow bench-root:elevate --for 1h \
		--reason "jitgate micro-benchmark: containment attached" 2>"$OUT/grant.err") ||
		die "jitgate grant (elevate) failed: $(cat "$OUT/grant.err")"
	ROOT_GRANT_ID=$id
	say "granted alice bench-root:elevate for 1h: $id (session programs attached)"
}

# Proof that the gate really stands in the measured paths, so the gated numbers are not
# those of a gate that allows everything. alice holds no file or connect grant.
check_enforcing() {
	local alice="/usr/bin/setpriv --reuid=1000 --regid=1000 --clear-groups --"
	if $alice cat /srv/bench/prot/secret >/dev/null 2>&1; then
		fail "alice could read /srv/bench/prot/secret without a grant"
	fi
	if $alice jg-bench connect 10.99.0.1 7000 1 >/dev/null 2>&1; then
		fail "alice could connect to 10.99.0.1:7000 without a grant"
	fi
	if /srv/bench/bin/tool true 2>/dev/null; then
		fail "root could exec /srv/bench/bin/tool without a grant"
	fi
	if $alice cat /srv/bench/plain/file >/dev/null 2>&1 &&
		cat /srv/bench/prot/secret >/dev/null 2>&1; then
		say "gate check: alice denied the protected file, port and tool; root (granted) reads the file"
	else
		fail "the unprotected file or the granted protected file cannot be read"
	fi
}

# recheck_is STATE: `jitgate status` says the descriptor re-check is STATE (idle, armed)
recheck_is() {
	jitgate status 2>&1 | grep -q "^recheck: *$1" ||
		fail "the descriptor re-check is not $1: $(jitgate status 2>&1 | grep '^recheck')"
}

# gated_phase NAME: start jitgated (default config), run the idle cases, grant, run the
# rest, unload.
gated_phase() {
	say "--- phase $1: jitgated --policy $POLICY (default config: allow events streamed)"
	start_daemon || die "jitgated did not become ready"
	recheck_is idle
	PROGDELTA=$STATS
	run_phase "$1" $CASES_IDLE
	PROGDELTA=0
	grant_bench
	check_enforcing
	recheck_is armed
	PROGDELTA=$STATS
	run_phase "$1" $CASES_LIVE
	PROGDELTA=0
	jg-bench progstats >"$OUT/progstats.$1" 2>&1
	jitgate status 2>&1 | grep -i 'events' | head -n1 >"$OUT/events.$1"
	stop_daemon
	check_unloaded
}

# ------------------------------------------------------------------ setup
mkdir -p "$OUT"
: >"$RES"
# Everything under /srv/bench is on the VM's root filesystem (the initramfs), so the
# unprotected file shares its device with the protected directory and the programs walk
# its ancestors; /dev/null is on devtmpfs, which holds nothing protected.
mkdir -p /srv/bench/prot /srv/bench/plain /srv/bench/bin
echo "protected bench data" >/srv/bench/prot/secret
echo "plain bench data" >/srv/bench/plain/file
cp /bin/busybox /srv/bench/bin/tool	# a copy, not a link: busybox itself stays unprotected
ip addr add 10.99.0.1/32 dev lo || die "cannot give lo the bench's protected address 10.99.0.1"

[ "$(stat -c %d /srv/bench/plain/file)" = "$(stat -c %d /srv/bench/prot)" ] ||
	die "/srv/bench/plain and /srv/bench/prot are on different devices"
[ "$(stat -c %d /dev/null)" != "$(stat -c %d /srv/bench/prot)" ] ||
	die "/dev/null is on the protected device"

if [ "$STATS" = 1 ]; then
	echo 1 >/proc/sys/kernel/bpf_stats_enabled || die "cannot enable kernel.bpf_stats_enabled"
fi
say "kernel $(uname -r), $(grep -c ^processor /proc/cpuinfo) vCPUs" \
	"($(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')), clocksource" \
	"$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource 2>/dev/null)," \
	"bpf_stats_enabled=$(cat /proc/sys/kernel/bpf_stats_enabled)"
say "iterations per timed run: open $N_OPEN, protected open $N_PROT, exec $N_EXEC," \
	"connect $N_CONN (5 timed runs after a tenth as warm-up; the median run is reported)"
if pidof jitgated >/dev/null 2>&1; then die "a jitgated is running already: no baseline possible"; fi
check_unloaded

# ------------------------------------------------------------------ phases
T0=$(date +%s)
for round in 1 2; do
	say "--- phase base$round: no gate loaded"
	run_phase "base$round" $CASES_ALL
	gated_phase "gated$round"
done

say "--- phase noev: jitgated --config {\"stream_allow_events\": false}"
echo '{ "stream_allow_events": false }' >"$OUT/noevents.json"
start_daemon --config "$OUT/noevents.json" ||
	die "jitgated --config $OUT/noevents.json did not become ready"
grant_bench
PROGDELTA=$STATS
run_phase noev1 $CASES_GRANT	# twice: one short loop alone is at the mercy of a burst
run_phase noev2 $CASES_GRANT
PROGDELTA=0
stop_daemon
say "measured in $(($(date +%s) - T0))s"

# ------------------------------------------------------------------ report
echo
echo "jitgate micro-benchmark: ns per operation (each the median of 5 timed runs)"
awk '
	$3 != "-" { v[$1, $2] = $3; m[$1, $2] = $4 }
	function q(a, b) { return (a > 0 && b > 0) ? sprintf("%.3f", a / b) : "-" }
	function mean(a, b) { return (a > 0 && b > 0) ? (a + b) / 2 : 0 }
	function lo(a, b) { return (a > 0 && b > 0) ? (a < b ? a : b) : 0 }
	# ev-off: mean of the two events-off loops / base; "?" when they differ by over 0.05
	function noev(c, b,   n1, n2) {
		n1 = v["noev1", c]; n2 = v["noev2", c]
		if (!(n1 > 0 && n2 > 0 && b > 0)) return ""
		return q(mean(n1, n2), b) ((n1 - n2) / b > 0.05 || (n2 - n1) / b > 0.05 ? "?" : "")
	}
	END {
		# the table keeps this order whatever order the cases ran in
		n = split("open_samefs open_otherfs read_unprot exec connect_unprot connect_sameport " \
			"read_unprot_armed open_samefs_armed open_prot_grant connect_prot_grant", cs, " ")
		tgt["open_samefs"] = 1.05; tgt["open_otherfs"] = 1.05; tgt["open_prot_grant"] = 1.20
		tgt["read_unprot"] = 1.05; tgt["read_unprot_armed"] = 1.05; tgt["open_samefs_armed"] = 1.05
		tgt["exec"] = 1.03; tgt["connect_unprot"] = 1.05; tgt["connect_sameport"] = 1.05
		tgt["connect_prot_grant"] = 1.05
		printf "%-19s %9s %9s %6s %6s %-5s %7s %7s %9s %6s\n", "case", "base", "gated", "ratio", \
			"target", "", "round1", "round2", "min-ratio", "ev-off"
		for (i = 1; i <= n; i++) {
			c = cs[i]
			b = mean(v["base1", c], v["base2", c]); g = mean(v["gated1", c], v["gated2", c])
			ratio = q(g, b)
			verdict = ratio == "-" ? "n/a" : ratio + 0 <= tgt[c] ? "ok" : "MISS"
			r1 = q(v["gated1", c], v["base1", c]); r2 = q(v["gated2", c], v["base2", c])
			if (r1 != "-" && r2 != "-" && (r1 - r2 > 0.05 || r2 - r1 > 0.05))
				verdict = verdict "?"
			printf "%-19s %9s %9s %6s %6.2f %-5s %7s %7s %9s %6s\n", c, b ? int(b) : "-", \
				g ? int(g) : "-", ratio, tgt[c], verdict, \
				r1, r2, \
				q(lo(m["gated1", c], m["gated2", c]), lo(m["base1", c], m["base2", c])), \
				noev(c, b)
		}
	}' "$RES"
echo "base, gated: mean of the two rounds' medians; ratio = gated / base, judged against the"
echo "  target. round1, round2: each round's own ratio; how far apart they are is this run's noise"
echo "  (\"?\" after the verdict: they differ by more than 0.05, too noisy to judge; rerun)."
echo "min-ratio: fastest gated run / fastest base run over both rounds (noise only adds time)."
echo "ev-off: the granted case under jitgated with \"stream_allow_events\": false (mean of two"
echo "  loops, \"?\" when they differ by more than 0.05 of base) / base."
echo

if [ "$STATS" = 1 ]; then
	echo "BPF programs per case (kernel.bpf_stats_enabled=1, timed runs only; runs by other"
	echo "processes meanwhile, such as the daemon writing audit events, count too)"
	printf '%-19s %-13s %8s %10s %10s %10s\n' "case" "program" "runs/op" "ns/run r1" "ns/run r2" "ev-off"
	for c in $CASES_ALL; do
		for f in gated1 gated2 noev1; do
			if [ -f "$OUT/$f.$c" ]; then cat "$OUT/$f.$c"; else echo "x ns_per_op=-"; fi
		done | awk -v c="$c" '
			$1 == "progdelta" {
				for (i = 3; i <= NF; i++) { split($i, kv, "="); a[kv[1]] = kv[2] }
				if (!($2 in seen)) { seen[$2] = 1; order[++np] = $2 }
				if (k == 1) rpo[$2] = a["runs_per_op"]
				ns[$2, k] = a["run_cnt"] + 0 ? a["ns_per_run"] : "-"
			}
			$2 ~ /^ns_per_op=/ { k++ }	# a loop line comes before its progdelta lines
			END {
				for (j = 1; j <= np; j++) {
					p = order[j]
					if (rpo[p] + 0 < 0.005) continue
					printf "%-19s %-13s %8s %10s %10s %10s\n", c, p, rpo[p], ns[p, 1], \
						ns[p, 2], ns[p, 3]
				}
			}'
	done
	echo "runs/op from round 1. A program runs once per operation of its own hook; more (an exec"
	echo "opens its binary, the daemon opens /etc/passwd per event) comes from the work around it."
	echo
	echo "Root containment's share: the time its programs (jg_sess*, jg_lend_*, jg_seal_*) take per operation,"
	echo "as a share of the gated operation, each round from its own counters (target: 2% or less)"
	printf '%-19s %12s %12s %8s %8s\n' "case" "ns/op r1" "ns/op r2" "share r1" "share r2"
	for c in $CASES_ALL; do
		for f in gated1 gated2; do
			if [ -f "$OUT/$f.$c" ]; then cat "$OUT/$f.$c"; else echo "x ns_per_op=-"; fi
		done | awk -v c="$c" '
			$2 ~ /^ns_per_op=/ { k++; split($2, kv, "="); op[k] = kv[2] }
			$1 == "progdelta" && $2 ~ /^jg_(sess|seal_|lend_)/ {
				for (i = 3; i <= NF; i++) { split($i, kv, "="); a[kv[1]] = kv[2] }
				cost[k] += a["runs_per_op"] * a["ns_per_run"]
			}
			function share(r) { return op[r] + 0 > 0 ? sprintf("%.2f%%", 100 * cost[r] / op[r]) : "-" }
			END {
				printf "%-19s %12d %12d %8s %8s\n", c, cost[1], cost[2], share(1), share(2)
			}'
	done
	echo "(ns/op: the containment programs' nanoseconds per operation; share: of the gated operation)"
	echo
	for r in 1 2; do
		echo "BPF programs over the whole of phase gated$r (jg-bench progstats)"
		cat "$OUT/progstats.gated$r"
	done
	echo
fi
for r in 1 2; do
	say "gated$r $(cat "$OUT/events.gated$r" 2>/dev/null)"
done
say "audit log, whole run: $(sed -n 's/.*"type":"\([^"]*\)".*/\1/p' "$AUDIT" 2>/dev/null |
	sort | uniq -c | awk '{ printf "%s%s %s", (NR > 1 ? ", " : ""), $1, $2 }')"

if [ "$FAILED" != 0 ]; then
	say "some measurements FAILED (see above)"
	exit 1
fi
exit 0
