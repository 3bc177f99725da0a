# shellcheck shell=sh
# Assertion helpers for tests that run inside the test VM (busybox ash, POSIX sh).
#
#   . "${0%/*}/lib.sh"
#   ok     NAME CMD...            CMD exits 0
#   fails  NAME CMD...            CMD exits 1..124 or 126 (e.g. denied); 125 (a helper
#                                 below could not set up), 127 (not found) and death
#                                 by a signal (>128) prove nothing and count as not ok
#   expect_eq       NAME GOT WANT         string equality
#   expect_contains NAME FILE PATTERN     a line of FILE matches PATTERN (grep basic regex)
#   as_user NAME CMD...           run CMD (a program, not a shell function) as NAME with
#                                 its uid, gid and supplementary groups, no capabilities
#   with_loginuid UID CMD...      run CMD (program or function) in a subshell whose
#                                 /proc/self/loginuid is UID
#   diag MSG...                   print "# MSG" (a comment that is not a check)
#   finish                        print "N passed, M failed"; exit 1 on any failure
#
# Each check prints one line, "ok - NAME" or "not ok - NAME (details)", followed on
# failure by the command's output as "#   " lines. CMD runs in a subshell, so an `exit`
# inside it cannot end the test.

_vm_pass=0
_vm_fail=0
_vm_out=${TMPDIR:-/tmp}/vmtest-out.$$

_vm_ok() {
	_vm_pass=$((_vm_pass + 1))
	echo "ok - $1"
}

_vm_not_ok() { # NAME DETAILS [OUTPUT-FILE]
	_vm_fail=$((_vm_fail + 1))
	echo "not ok - $1 ($2)"
	if [ -n "${3:-}" ] && [ -f "$3" ] && [ -r "$3" ]; then
		tail -n 20 "$3" | sed 's/^/#   /'
	fi
}

diag() {
	echo "# $*"
}

ok() {
	_vm_name=$1
	shift
	("$@") >"$_vm_out" 2>&1
	_vm_rc=$?
	if [ "$_vm_rc" -eq 0 ]; then
		_vm_ok "$_vm_name"
	else
		_vm_not_ok "$_vm_name" "exit $_vm_rc: $*" "$_vm_out"
	fi
	rm -f "$_vm_out"
}

# A denied operation exits 1 (EACCES/EPERM from the tool) or 126 (exec refused). A
# helper's setup error (125), a command not found (127) or a crash (signal, >128)
# proves nothing.
fails() {
	_vm_name=$1
	shift
	("$@") >"$_vm_out" 2>&1
	_vm_rc=$?
	if [ "$_vm_rc" -eq 0 ]; then
		_vm_not_ok "$_vm_name" "succeeded, expected failure: $*" "$_vm_out"
	elif [ "$_vm_rc" -eq 125 ] || [ "$_vm_rc" -eq 127 ] || [ "$_vm_rc" -gt 128 ]; then
		_vm_not_ok "$_vm_name" "exit $_vm_rc (setup error, not found or killed), expected a clean failure: $*" "$_vm_out"
	else
		_vm_ok "$_vm_name"
	fi
	rm -f "$_vm_out"
}

expect_eq() {
	if [ "$2" = "$3" ]; then
		_vm_ok "$1"
	else
		_vm_not_ok "$1" "got '$2', want '$3'"
	fi
}

expect_contains() {
	if [ ! -e "$2" ]; then
		_vm_not_ok "$1" "$2 does not exist"
	elif grep -q -e "$3" "$2"; then
		_vm_ok "$1"
	else
		_vm_not_ok "$1" "no line of $2 matches '$3'" "$2"
	fi
}

# util-linux setpriv by absolute path: busybox sh would run its own setpriv applet,
# which has no --reuid. Changing all uids away from 0 drops every capability.
as_user() {
	_vm_user=$1
	shift
	_vm_uid=$(id -u "$_vm_user" 2>/dev/null) || {
		echo "as_user: no such user: $_vm_user" >&2
		return 125
	}
	_vm_gid=$(id -g "$_vm_user")
	HOME=/home/$_vm_user USER=$_vm_user LOGNAME=$_vm_user \
		/usr/bin/setpriv --reuid="$_vm_uid" --regid="$_vm_gid" --init-groups -- "$@"
}

# The kernel lets any process set its own loginuid once while it is unset (4294967295,
# as for everything started by the VM's init); changing it after that needs
# CAP_AUDIT_CONTROL. So set it in a fresh subshell, which the command then inherits.
with_loginuid() {
	_vm_luid=$1
	shift
	(
		printf '%s' "$_vm_luid" >/proc/self/loginuid || {
			echo "with_loginuid: cannot set loginuid to $_vm_luid" >&2
			exit 125
		}
		case $(type "$1" 2>/dev/null) in
		*function*) "$@" ;;
		*) exec "$@" ;;
		esac
	)
}

finish() {
	echo "$_vm_pass passed, $_vm_fail failed"
	if [ $((_vm_pass + _vm_fail)) -eq 0 ]; then
		echo "not ok - no checks ran"
		exit 1
	fi
	[ "$_vm_fail" -eq 0 ] || exit 1
	exit 0
}
