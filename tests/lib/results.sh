# Result lines for the host-side check scripts (tests/dts, tests/pkg). Sourced after the
# script sets RESULT_PREFIX: each check prints "RNV-RESULT PASS|FAIL <prefix>-<check>
# detail...", and any FAIL sets failed=1, which the script exits with.
# shellcheck shell=bash
failed=0
result() {	# result PASS|FAIL check detail...
	local verdict=$1 check=$2
	shift 2
	echo "RNV-RESULT $verdict $RESULT_PREFIX-$check $*"
	[ "$verdict" = PASS ] || failed=1
}
pass() { result PASS "$@"; }
fail() { result FAIL "$@"; }
