#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# user/ is layered (docs/design.md, "Map"): a folder may include its own headers and those of
# the folders below it, never one above or beside it. Every project include names its folder
# ("policy/policy.h"), so one grep finds every edge. Prints each back-edge; exits 1 if any.
cd "$(dirname "$0")/.." || exit 2

rank() {
	case "$1" in
	lib) echo 0 ;;
	audit) echo 1 ;;
	policy) echo 2 ;;
	gate|workflow) echo 3 ;;
	fleet) echo 4 ;;
	daemon|cli) echo 5 ;;
	*) echo "" ;;
	esac
}

bad=0
for f in $(find user -name '*.[ch]' | sort); do
	from=${f#user/}; from=${from%%/*}
	rf=$(rank "$from")
	if [ -z "$rf" ]; then
		echo "$f: folder '$from' has no place in the layering (scripts/check-layers.sh)"
		bad=1
		continue
	fi
	grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$f" |
	sed 's/^\([0-9]*\):.*"\(.*\)".*/\1 \2/' | {
		err=0
		while read -r line inc; do
			case "$inc" in
			jitgate.h) continue ;;			# include/, shared with the BPF side
			gate.skel.h)
				[ "$from" = gate ] && continue
				echo "$f:$line: only user/gate/ may include the skeleton"; err=1; continue ;;
			*/*) ;;
			*)	echo "$f:$line: \"$inc\" does not name its folder"; err=1; continue ;;
			esac
			to=${inc%%/*}
			rt=$(rank "$to")
			if [ -z "$rt" ] || [ ! -f "user/$inc" ]; then
				echo "$f:$line: \"$inc\" is not a header under user/"; err=1
			elif [ "$to" != "$from" ] && [ "$rt" -ge "$rf" ]; then
				echo "$f:$line: $from/ may not include \"$inc\" ($to/ is not below $from/)"
				err=1
			fi
		done
		exit $err
	} || bad=1
done
[ $bad = 0 ] || echo "check-layers: back-edges found (the layers are in docs/design.md)"
exit $bad
