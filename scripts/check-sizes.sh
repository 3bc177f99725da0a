#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Rooms of a human size: no file under user/ over MAX_FILE lines and no function over
# MAX_FUNC lines, unless a comment says why: "Size:" in the file's first 20 lines for a
# file, "Long:" in the 3 lines above a function. Prints each offender; exits 1 if any.
cd "$(dirname "$0")/.." || exit 2
MAX_FILE=${MAX_FILE:-800}
MAX_FUNC=${MAX_FUNC:-120}

bad=0
for f in $(find user -name '*.[ch]' | sort); do
	n=$(wc -l < "$f")
	if [ "$n" -gt "$MAX_FILE" ] && ! head -n 20 "$f" | grep -q 'Size:'; then
		echo "$f: $n lines (over $MAX_FILE; split it, or say why with \"Size:\" at its top)"
		bad=1
	fi
	# A function starts at a line that opens in column 0 with a name and '(' and does not
	# end with ';', and ends at the first "}" in column 0.
	awk -v max="$MAX_FUNC" -v f="$f" '
		{ prev3 = prev2; prev2 = prev1; prev1 = cur; cur = $0 }
		/^[A-Za-z_].*\(/ && !/;[[:space:]]*$/ && !/^(typedef|struct [a-z_]+ \{|#)/ && !start {
			start = NR; name = $0; why = (prev1 prev2 prev3) ~ /Long:/
		}
		/^}/ && start {
			len = NR - start + 1
			if (len > max && !why) {
				printf "%s:%d: function of %d lines (over %d; split it, or say why with \"Long:\" above it): %s\n", f, start, len, max, name
				bad = 1
			}
			start = 0
		}
		END { exit bad }' "$f" || bad=1
done
[ $bad = 0 ] || echo "check-sizes: rooms over size"
exit $bad
