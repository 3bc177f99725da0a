#!/usr/bin/env bash
# jitgate micro-benchmark: boots the test VM once and runs scripts/bench-in-vm.sh in it
# (baseline without the gate, then with jitgated and a grant; see docs/bench.md).
#
#   scripts/bench.sh [--quick] [--no-stats]     (make bench builds first, then runs this)
#
# Options are passed to bench-in-vm.sh. Speed is reported, not asserted: the exit status
# is non-zero only when the VM run itself failed (boot, timeout, kernel splat, a loop or
# the daemon failing), never because a ratio missed its target.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

for a in "$@"; do
	case $a in
	--quick | --no-stats) ;;
	-h | --help) sed -n '2,9s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) echo "bench.sh: unknown option '$a' (see --help)" >&2; exit 2 ;;
	esac
done
for b in jitgated jitgate jg-bench; do
	[[ -x .output/bin/$b ]] || { echo "bench.sh: .output/bin/$b missing (run make)" >&2; exit 2; }
done

# The VM's numbers are only as quiet as the host: say how busy it was.
read -r l1 l5 _ </proc/loadavg
others=$(pgrep -c qemu-system || true)
echo "bench.sh: host $(nproc) CPUs, load average $l1 (1 min) $l5 (5 min), ${others:-0} other qemu running"
if ((${others:-0} > 0)) || awk -v l="$l1" -v n="$(nproc)" 'BEGIN { exit !(l >= n) }'; then
	echo "bench.sh: warning: the host is busy; expect noisy ratios (compare round1 and round2)"
fi

rc=0
scripts/vm.sh --timeout 600 -- sh /opt/jitgate/scripts/bench-in-vm.sh "$@" || rc=$?
if ((rc)); then
	echo "bench.sh: the benchmark VM run failed (exit $rc)" >&2
fi
exit "$rc"
