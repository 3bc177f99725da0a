#!/usr/bin/env bash
# make deb: build the Debian package from a copy of the tree in .output/deb/src (so the
# worktree gets no debian/ build litter and the results stay inside .output), with
#   dpkg-buildpackage -b -us -uc
# Prints the .deb's path last. The copy shares .cache (vmlinux.h from the pinned VM kernel).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
ver=$(dpkg-parsechangelog -S Version)
out=$ROOT/.output/deb
src=$out/src/jitgate-$ver
rm -rf "$out"
mkdir -p "$src"
tar --exclude=./.output --exclude=./.cache --exclude=./.git -cf - . | tar -xf - -C "$src"
[[ -e .cache ]] && ln -s "$ROOT/.cache" "$src/.cache"
log=$out/build.log
# two jobs at most (a shared builder), unless the caller chose
[[ ${DEB_BUILD_OPTIONS:-} == *parallel=* ]] || export DEB_BUILD_OPTIONS="${DEB_BUILD_OPTIONS:-} parallel=2"
if ! (cd "$src" && dpkg-buildpackage -b -us -uc) >"$log" 2>&1; then
	tail -n 40 "$log" >&2
	echo "deb.sh: dpkg-buildpackage failed (the whole log: $log)" >&2
	exit 1
fi
deb=("$out"/src/jitgate_"$ver"_*.deb)
[[ -f ${deb[0]} ]] || { echo "deb.sh: no .deb came out (see $log)" >&2; exit 1; }
mv "$out"/src/jitgate_"$ver"_* "$out"/src/jitgate-dbgsym_"$ver"_* "$out"/ 2>/dev/null || true
ls "$out"/jitgate_"$ver"_*.deb
