#!/usr/bin/env bash
# make deb-check: build the Debian package (scripts/deb.sh) and check what it holds:
#   - the layout (dpkg -c): binaries, BPF object, unit, tmpfiles.d, logrotate, completion,
#     man pages, config examples; no test helper; the conffiles; Depends from shlibs
#   - lintian: no error (warnings and infos are printed; docs/install.md justifies them)
#   - systemd-analyze verify of the unit (with the package's binaries and man pages), and
#     systemd-analyze security's exposure score (printed; over 5.0 fails)
#   - every man page renders with man -l, without warnings
#   - the bash completion loads and completes the commands
#   scripts/deb-check.sh [PATH.deb]    (default: build one)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
PROG=deb-check
fails=0
ok() { echo "ok    $*"; }
bad() { echo "FAIL  $*"; fails=$((fails + 1)); }

if (($#)); then deb=$1; else deb=$(scripts/deb.sh | tail -n 1); fi
[[ -f $deb ]] || { echo "$PROG: no package at '$deb'" >&2; exit 1; }
echo "$PROG: $deb"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# ---- layout
dpkg -c "$deb" | awk '{ print $1, $2, $6 }' | sed 's|^\(.*\) \./|\1 /|' >"$tmp/list"
want=(
	"-rwxr-xr-x root/root /usr/sbin/jitgated"
	"-rwxr-xr-x root/root /usr/bin/jitgate"
	"-rw-r--r-- root/root /usr/lib/jitgate/gate.bpf.o"
	"-rw-r--r-- root/root /lib/systemd/system/jitgated.service"
	"-rw-r--r-- root/root /usr/lib/tmpfiles.d/jitgate.conf"
	"-rw-r--r-- root/root /etc/logrotate.d/jitgate"
	"-rw-r--r-- root/root /etc/jitgate/jitgated.json"
	"-rw-r--r-- root/root /etc/jitgate/policy.json"
	"-rw-r--r-- root/root /usr/share/bash-completion/completions/jitgate"
	"-rw-r--r-- root/root /usr/share/man/man1/jitgate.1.gz"
	"-rw-r--r-- root/root /usr/share/man/man8/jitgated.8.gz"
	"-rw-r--r-- root/root /usr/share/man/man5/jitgate-policy.5.gz"
	"-rw-r--r-- root/root /usr/share/man/man5/jitgate-audit.5.gz"
	"-rw-r--r-- root/root /usr/share/doc/jitgate/copyright"
	"-rw-r--r-- root/root /usr/share/doc/jitgate/examples/example.json"
)
for w in "${want[@]}"; do
	if grep -qxF -- "$w" "$tmp/list"; then ok "dpkg -c: $w"; else bad "dpkg -c: missing $w"; fi
done
if grep -E '/jg-|\.so$|/tests?/' "$tmp/list"; then bad "dpkg -c: a test helper is in the package"; else ok "dpkg -c: no test helper"; fi
if grep -E -v ' /(etc|lib|usr)(/|$)' "$tmp/list" | grep -v ' /$'; then
	bad "dpkg -c: files outside /etc /lib /usr"
else
	ok "dpkg -c: only /etc, /lib and /usr"
fi
dpkg-deb -e "$deb" "$tmp/DEBIAN"
for c in /etc/jitgate/jitgated.json /etc/jitgate/policy.json /etc/logrotate.d/jitgate; do
	if grep -qxF "$c" "$tmp/DEBIAN/conffiles"; then ok "conffile $c"; else bad "not a conffile: $c"; fi
done
depends=$(dpkg-deb -f "$deb" Depends)
for lib in libbpf1 libc6 libjansson4 libsqlite3-0 libssl3 libsystemd0 zlib1g; do
	if [[ ", $depends," == *", $lib "* || ", $depends," == *", $lib,"* ]]; then
		ok "Depends: $lib (from shlibs)"
	else
		bad "Depends lacks $lib: $depends"
	fi
done
for s in postinst prerm postrm; do
	[[ -f $tmp/DEBIAN/$s ]] && sh -n "$tmp/DEBIAN/$s" && ok "maintainer script $s" || bad "maintainer script $s"
done
grep -q "deb-systemd-helper enable 'jitgated.service'" "$tmp/DEBIAN/postinst" &&
	grep -q "deb-systemd-invoke \$_dh_action 'jitgated.service'" "$tmp/DEBIAN/postinst" &&
	ok "postinst enables and starts jitgated.service" || bad "postinst does not enable and start the unit"

# ---- lintian
# exit status 0: no error (warnings and infos may be there); 1: errors; 2: lintian failed
lrc=0
lintian --pedantic --display-info "$deb" >"$tmp/lintian" 2>&1 || lrc=$?
grep -v '^running with root privileges' "$tmp/lintian" | sed 's/^/      lintian: /' || true
if ((lrc == 0)) && ! grep -q '^E:' "$tmp/lintian"; then ok "lintian: no error"; else bad "lintian: errors (exit $lrc)"; fi

# ---- the unit, with the package's files in place of /usr
dpkg-deb -x "$deb" "$tmp/root"
sed -e "s|/usr/sbin/jitgated|$tmp/root/usr/sbin/jitgated|g" -e "s|/usr/bin/jitgate|$tmp/root/usr/bin/jitgate|g" \
	"$tmp/root/lib/systemd/system/jitgated.service" >"$tmp/jitgated.service"
if MANPATH=$tmp/root/usr/share/man systemd-analyze verify "$tmp/jitgated.service" >"$tmp/verify" 2>&1 &&
	! grep -q . "$tmp/verify"; then
	ok "systemd-analyze verify jitgated.service"
else
	sed 's/^/      /' "$tmp/verify"
	bad "systemd-analyze verify jitgated.service"
fi
score=$(systemd-analyze security --offline=yes "$tmp/jitgated.service" 2>/dev/null |
	sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
if [[ -n $score ]] && awk -v s="$score" 'BEGIN { exit !(s <= 5.0) }'; then
	ok "systemd-analyze security: exposure $score (at most 5.0)"
else
	bad "systemd-analyze security: exposure '${score:-?}' (want at most 5.0)"
fi

# ---- man pages
for m in "$tmp"/root/usr/share/man/man*/*.gz; do
	if w=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$m" 2>&1 >/dev/null) && [[ -z $w ]] &&
		[[ $(LC_ALL=C.UTF-8 MANWIDTH=80 man -l "$m" 2>/dev/null | wc -l) -gt 20 ]]; then
		ok "man -l ${m#"$tmp"/root}"
	else
		printf '%s\n' "$w" | sed 's/^/      /'
		bad "man -l ${m#"$tmp"/root}"
	fi
done

# ---- bash completion
got=$(bash -c '
	source /usr/share/bash-completion/bash_completion
	source "$1"
	COMP_WORDS=(jitgate re); COMP_CWORD=1; COMP_LINE="jitgate re"; COMP_POINT=${#COMP_LINE}
	_jitgate; echo "${COMPREPLY[*]}"' _ "$tmp/root/usr/share/bash-completion/completions/jitgate" 2>&1)
if [[ $got == *request* && $got == *requests* && $got == *revoke* ]]; then
	ok "bash completion: jitgate re<TAB> -> $got"
else
	bad "bash completion: jitgate re<TAB> gave '$got'"
fi

echo "$PROG: $fails failed"
((fails == 0))
