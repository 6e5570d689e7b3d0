#!/usr/bin/env bash
# Host unit tests of the driver's pure builders (no kernel needed): each tests/unit/test_*.c is
# compiled with the host gcc together with the driver file it tests, and run. The tests print
# their own "RNV-RESULT PASS|FAIL unit-..." lines; a test that does not build, or crashes, gets
# one FAIL line here. Ends with "unit: N passed, N failed"; exit 1 on any failure.
#   test_apst.c  driver/apst.c     APST table from real drives' power state descriptors
#   test_hmb.c   driver/hmbplan.c  Host Memory Buffer chunk plan and descriptors
#   opcodes.sh   driver/*.c        what the driver refuses (and SUBMIT_IO allows, and treats as
#                                  changing namespaces) = rnv-ioctl's tests/tools/nvme-opcodes.h
#   bench_stats.py tests/lib/bench_report.py  the median's confidence interval make bench prints
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"

OUT=$RNV_OUT/unit
# shellcheck disable=SC2054 # -fsanitize takes a comma-separated list
CFLAGS=(-std=gnu11 -O2 -Wall -Wextra -Werror -fsanitize=address,undefined -I "$RNV_TOP/include"
	-include "$RNV_TOP/tests/unit/kernel_types.h")
mkdir -p "$OUT"
declare -A SRC=([apst]=driver/apst.c [hmb]=driver/hmbplan.c)

# run_check NAME CMD...: run one check with its output in $OUT/NAME.log and pass its
# RNV-RESULT lines on; a check that exits non-zero without a FAIL line of its own (it did not
# build its cases, it crashed) gets one FAIL named unit-NAME.
run_check() {
	local name=$1 rc
	shift
	"$@" >"$OUT/$name.log" 2>&1
	rc=$?
	grep '^RNV-RESULT ' "$OUT/$name.log"
	if [ "$rc" -ne 0 ] && ! grep -q '^RNV-RESULT FAIL' "$OUT/$name.log"; then
		echo "RNV-RESULT FAIL unit-$name exit $rc without a failed check: $(tail -n 3 "$OUT/$name.log" | tr '\n' ' ')"
	fi
}

log=$(mktemp)
{
for t in apst hmb; do
	if ! gcc "${CFLAGS[@]}" -o "$OUT/test_$t" "$RNV_TOP/tests/unit/test_$t.c" \
		"$RNV_TOP/${SRC[$t]}" >"$OUT/build-$t.log" 2>&1; then
		echo "RNV-RESULT FAIL unit-$t-build gcc failed: $(head -n 3 "$OUT/build-$t.log" | tr '\n' ' ')"
		continue
	fi
	run_check "$t" "$OUT/test_$t"
done
run_check opcodes bash "$RNV_TOP/tests/unit/opcodes.sh"
run_check bench python3 "$RNV_TOP/tests/unit/bench_stats.py"
} | tee "$log"
passed=$(grep -c 'RNV-RESULT PASS' "$log")
failed=$(grep -c 'RNV-RESULT FAIL' "$log")
rm -f "$log"
echo "unit: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
