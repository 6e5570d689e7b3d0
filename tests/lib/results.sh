# shellcheck shell=bash
# Result lines, one set of helpers for the host check scripts (tests/dts, tests/pkg) and the
# guest tests (tests/lib/mkinitramfs.sh copies this file to /tests/results.sh in the guest
# image; /tests/lib.sh sources it). Sourced, not run.
#
#   pass NAME DETAIL...   fail NAME DETAIL...   skip NAME WHY...
#   result PASS|FAIL|SKIP NAME DETAIL...
#   check NAME ACTUAL EXPECTED [WHAT]   pass when ACTUAL = EXPECTED, fail otherwise
#
# Each prints one line "RNV-RESULT PASS|FAIL|SKIP NAME DETAIL", the line tests/run.sh counts
# (a SKIP is "could not run here", neither a pass nor a failure). Newlines in DETAIL become
# " | ", so a line is always one result. Knobs, set before the calls:
#   RESULT_PREFIX  NAME becomes PREFIX-NAME (the host scripts: dts, pkg)
#   RESULT_LOG     a file each line is also appended to (the guest: /tmp/results, which
#                  init.sh checks after each test)
# Any FAIL sets RESULT_FAILED=1 (starts 0); the host scripts exit with it.
# shellcheck shell=bash
RESULT_FAILED=0
result() {
	local verdict=$1 name=${RESULT_PREFIX:+$RESULT_PREFIX-}$2 detail="${*:3}" line
	line="RNV-RESULT $verdict $name ${detail//$'\n'/ | }"
	echo "$line"
	[ -z "${RESULT_LOG:-}" ] || echo "$line" >>"$RESULT_LOG"
	# shellcheck disable=SC2034 # read by the scripts that source this file
	[ "$verdict" != FAIL ] || RESULT_FAILED=1
}
pass() { result PASS "$@"; }
fail() { result FAIL "$@"; }
skip() { result SKIP "$@"; }

check() {
	if [ "$2" = "$3" ]; then
		pass "$1" "${4:-value} = $2"
	else
		fail "$1" "${4:-value} is '$2', expected '$3'"
	fi
}
