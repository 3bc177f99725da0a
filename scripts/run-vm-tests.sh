#!/usr/bin/env bash
# Run VM tests: one fresh VM boot per file, so no test inherits another's kernel state.
#
#   scripts/run-vm-tests.sh [FILE...]      (default: tests/vm/test_*.sh)
#
# A test file may ask for vm.sh options with a line near its top such as
#   # vm-args: --lsm lockdown,capability --timeout 600
# A file passes when its VM run exits 0 (see scripts/vm.sh for what fails a run).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

files=("$@")
if ((${#files[@]} == 0)); then
	shopt -s nullglob
	files=(tests/vm/test_*.sh)
	shopt -u nullglob
fi
((${#files[@]})) || { echo "run-vm-tests: no test files" >&2; exit 2; }

passed=() failed=()
total_start=$SECONDS
i=0
for f in "${files[@]}"; do
	i=$((i + 1))
	name=${f##*/}
	echo "=== [$i/${#files[@]}] $f"
	if [[ ! -f $f ]]; then
		echo "--- FAIL $f: no such file"
		failed+=("$f")
		continue
	fi
	# Files under tests/ are already in the VM at /opt/jitgate/tests; anything else
	# is added next to them.
	real=$(realpath "$f")
	args=()
	if [[ $real == "$ROOT"/tests/* ]]; then
		vmpath=/opt/jitgate/${real#"$ROOT"/}
	else
		vmpath=/opt/jitgate/extra/$name
		args+=(--add "$real:$vmpath")
	fi
	# Per-file vm.sh options (word-split on purpose; no quoting inside).
	vmargs=$(sed -n '1,20{s/^# vm-args:[[:space:]]*//p}' "$f" | head -n1)
	# shellcheck disable=SC2206
	[[ -z $vmargs ]] || args+=($vmargs)

	start=$SECONDS
	if scripts/vm.sh "${args[@]}" -- sh "$vmpath"; then
		echo "--- PASS $f ($((SECONDS - start))s)"
		passed+=("$f")
	else
		echo "--- FAIL $f (exit $?, $((SECONDS - start))s)"
		failed+=("$f")
	fi
done

echo
echo "vm tests: ${#passed[@]} passed, ${#failed[@]} failed ($((SECONDS - total_start))s)"
for f in "${failed[@]}"; do echo "  FAIL $f"; done
((${#failed[@]} == 0))
