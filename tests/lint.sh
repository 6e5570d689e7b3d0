#!/usr/bin/env bash
# Static checks of the driver sources (`make lint`, after `make setup` fetched checkpatch.pl):
#   - checkpatch.pl --strict --no-tree --file on every driver/*.c and include/*.h;
#   - per kernel line (6.1, 6.12, 7: make KVER=) and arch (arm64 cross, x86 native): one
#     kbuild build with W=1 and C=2, through the top Makefile, in a fresh build directory so
#     every object is really recompiled. Any compiler/modpost warning fails "w1-ARCH-LINE";
#     any sparse warning or error located in our driver/ or include/ fails
#     "sparse-ARCH-LINE" (warnings sparse prints for kernel headers are counted and kept in
#     the log, not failed: we cannot fix them). 7.x builds in the trixie root, so its sparse
#     is trixie's (see tests/lib/inroot.sh). An error sparse reports in a kernel header means
#     it could not read that kernel: then nothing was proven for that build, and the check
#     says so as SKIP (not PASS) with sparse's first errors, unless sparse still found
#     something in our files (FAIL). Known today: Debian's sparse 0.6.4 (bookworm 0.6.4-3,
#     trixie 0.6.4-5, nothing newer in trixie-backports) stops at 7.x's __typeof_unqual__
#     (include/asm-generic/rwonce.h and others), and crashes (SIGSEGV) on some of our files
#     there, so sparse-*-7 is SKIP until a newer sparse is packaged; W=1 and checkpatch still
#     hold the 7.x build.
#   - "shellcheck": every shell script of the repository (tests/, .ci/run, packaging/), with
#     -x (sourced files followed) at severity warning;
#   - per build, "layers-ARCH-LINE": no driver file calls a file above it in the layer list
#     of include/rocknvme.h (tests/lib/layers.sh, from the objects' symbols with nm).
# Prints one "RNV-RESULT PASS|FAIL lint-<check>[-<arch>-<line>] <detail>" line per check, the
# offending lines (repository-relative paths) under each FAIL, then "lint: N passed, N failed".
# Exit 1 on any failure. Logs: build/lint/ (checkpatch.log, ARCH-LINE/{build,sparse}.log).
#
#   LINT_ARCHES="arm64 x86"     the arches to build (default both)
#   LINT_KERNELS="6.1 6.12 7"   the kernel lines (default all three)
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
. "$(dirname "$0")/lib/common.sh"

CHECKPATCH=$RNV_CACHE/checkpatch/scripts/checkpatch.pl
LINT_ARCHES=${LINT_ARCHES:-arm64 x86}
LINT_KERNELS=${LINT_KERNELS:-6.1 6.12 7}
LINT=$RNV_OUT/lint
PASSED=0
FAILED=0
SKIPPED=0

# checkpatch --ignore list: deliberately empty. Each candidate was weighed:
#   FILE_PATH_CHANGES   emitted only for diffs that add/move files ("does MAINTAINERS need
#                       updating?"); never in --file mode, so ignoring it would be dead config.
#   SPDX_LICENSE_TAG    applies as is: every file carries its SPDX line, keep it checked.
#   MODULE_LICENSE      applies to any module (a valid MODULE_LICENSE string), keep it.
#   checks that need a kernel tree (MAINTAINERS, DT bindings, ...) are already skipped
#   by --no-tree. Add a type here only with a comment saying why it cannot apply to us.
CHECKPATCH_IGNORE=()
# include/rocknvme-compat.h alone is checked with two more types ignored. It is the one file
# that must test the kernel version (its RNV_BEFORE macro, used by every shim there):
#   LINUX_VERSION_CODE   "code should be for the version to which it is merged": true
#                        upstream, where there is one version; an out-of-tree driver
#                        builds against several, and this header is where that is said.
#   CONSTANT_COMPARISON  the same line: LINUX_VERSION_CODE < KERNEL_VERSION() compares
#                        two constants, whichever side each is written on.
# Every other file keeps both checks, so a version test anywhere else still fails.
COMPAT_H=include/rocknvme-compat.h
COMPAT_IGNORE=(LINUX_VERSION_CODE CONSTANT_COMPARISON)

# result PASS|FAIL|SKIP NAME DETAIL...: the one result line of a check. SKIP is for a check
# that could not be run here, with the reason; it is not a pass.
result() {
	local status=$1 name=$2
	shift 2
	echo "RNV-RESULT $status lint-$name $*"
	case $status in
	PASS) PASSED=$((PASSED + 1)) ;;
	SKIP) SKIPPED=$((SKIPPED + 1)) ;;
	*) FAILED=$((FAILED + 1)) ;;
	esac
}

# offending < LINES: the lines that made a check fail, indented under its result line.
offending() { sed "s/^/    /"; }

run_checkpatch() {
	local files=() log=$LINT/checkpatch.log bad start=$SECONDS
	local ignore=${CHECKPATCH_IGNORE[*]-}
	if [ ! -x "$CHECKPATCH" ]; then
		result FAIL checkpatch "$CHECKPATCH missing: run make setup (setup.sh --lint)"
		return 0
	fi
	files=("$RNV_TOP"/driver/*.c "$RNV_TOP"/include/*.h)
	files=("${files[@]#"$RNV_TOP"/}")
	local others=() f compat_ignore
	for f in "${files[@]}"; do [ "$f" = "$COMPAT_H" ] || others+=("$f"); done
	compat_ignore=$(IFS=,; echo "${CHECKPATCH_IGNORE[*]-}${CHECKPATCH_IGNORE[*]:+,}${COMPAT_IGNORE[*]}")
	# --terse: one "file:line: TYPE:NAME: message" line per finding. checkpatch exits 1 on
	# any finding (CHECK included, with --strict); findings are taken from the output.
	# With --terse a clean file prints nothing, so a clean run is exit 0 and no output.
	local cp_rc=0
	(cd "$RNV_TOP" && "$CHECKPATCH" --strict --no-tree --file --terse --show-types \
		--color=never ${ignore:+--ignore "${ignore// /,}"} "${others[@]}") >"$log" 2>&1 || cp_rc=$?
	if [ -f "$RNV_TOP/$COMPAT_H" ]; then
		(cd "$RNV_TOP" && "$CHECKPATCH" --strict --no-tree --file --terse --show-types \
			--color=never --ignore "$compat_ignore" "$COMPAT_H") >>"$log" 2>&1 || cp_rc=$?
	fi
	bad=$(grep -E ': (ERROR|WARNING|CHECK):' "$log" || true)
	if [ -n "$bad" ]; then
		result FAIL checkpatch "$(grep -c . <<<"$bad") finding(s) in ${#files[@]} files" \
			"($((SECONDS - start))s, $log):"
		offending <<<"$bad"
	elif [ "$cp_rc" -ne 0 ] || [ -s "$log" ]; then
		# No finding line but no clean summary either: checkpatch itself failed.
		result FAIL checkpatch "checkpatch did not run cleanly, see $log:"
		offending < <(tail -n 5 "$log")
	else
		result PASS checkpatch "${#files[@]} files, --strict, no findings ($((SECONDS - start))s)"
	fi
}

# check_arch ARCH: one build, two results (w1-ARCH and sparse-ARCH).
# The top Makefile copies the sources into $(TOP)/build/ARCH and copies the module to
# $(TOP)/build/rocknvme-ARCH.ko; overriding TOP puts both under build/lint/ARCH, so the
# lint build neither reuses objects (W=1 alone changes nothing kbuild would recompile
# for on a second run) nor replaces the modules `make test` boots.
# C=2 makes kbuild run $(CHECK) on every .c it compiles; CHECK is a wrapper around sparse
# that sends sparse's output to its own log, so gcc's W=1 warnings and sparse's warnings
# (same "file:line:col: warning:" format) are told apart without guessing. kbuild already
# passes sparse what arm64 needs (CHECKFLAGS: --arch=arm64 -D__aarch64__ -mlittle-endian
# -m64); 6.1 enables endian checks (-Wbitwise) by default, no CF=-D__CHECK_ENDIAN__.
check_arch() {
	local arch=$1 line=$2 name=$1-$2 dir=$LINT/$1-$2 start=$SECONDS rc=0 bdir log slog
	local warn errs ours others herr ncc nchk abi
	rm -rf "$dir"
	mkdir -p "$dir"
	abi=$(rnv_abi "$line" 2>/dev/null) || {
		result FAIL "w1-$name" "no kernel $line: run make setup"
		result FAIL "sparse-$name" "not run: no kernel $line"
		return 0
	}
	bdir=$dir/build/$arch-$abi
	log=$dir/build.log
	slog=$dir/sparse.log
	: >"$slog"
	if ! command -v sparse >/dev/null; then
		echo "sparse not installed" >"$slog"
	fi
	# A sparse that crashes (trixie's does on 7.x's headers) must not fail the W=1 build
	# it rides on: the wrapper notes the crash in sparse.log and lets kbuild go on.
	cat >"$dir/sparse-wrapper" <<EOF
#!/bin/sh
# kbuild CHECK for lint: note the file, run sparse with its output in sparse.log.
for f; do :; done
echo "CHECKED \$f" >>"$slog"
[ -s "$slog.version" ] || sparse --version >"$slog.version" 2>&1
sparse "\$@" 2>>"$slog" || echo "\$f: error: sparse exited with status \$?" >>"$slog"
exit 0
EOF
	chmod +x "$dir/sparse-wrapper"
	make -C "$RNV_TOP" --no-print-directory ARCH="$arch" KVER="$line" TOP="$dir" \
		KBUILD_EXTRA="W=1 C=2 CHECK=$dir/sparse-wrapper" >"$log" 2>&1 || rc=$?
	# Report paths as the repository's: the build tree is a copy of it.
	sed -i "s#$bdir/##g" "$log" "$slog"

	# W=1: any warning, from gcc or modpost ("WARNING: modpost: ..."), wherever it points.
	# A header's warning repeats once per .c including it: keep the first of each.
	warn=$(grep -iE 'warning:' "$log" | awk '!seen[$0]++' || true)
	errs=$(grep -iE 'error:|Error [0-9]|\*\*\*' "$log" || true)
	if [ "$rc" -ne 0 ]; then
		result FAIL "w1-$name" "build failed (make exit $rc, $((SECONDS - start))s, $log):"
		if [ -n "$warn$errs" ]; then
			offending <<<"$(printf '%s\n%s\n' "$warn" "$errs" | sed '/^$/d')"
		else
			offending < <(tail -n 5 "$log")
		fi
	elif [ -n "$warn" ]; then
		result FAIL "w1-$name" "$(grep -c . <<<"$warn") warning(s) with W=1" \
			"($((SECONDS - start))s, $log):"
		offending <<<"$warn"
	else
		result PASS "w1-$name" "W=1 build, no warnings ($((SECONDS - start))s)"
	fi

	# Layers: from this build's objects, no call up the list in include/rocknvme.h.
	local layers
	if [ "$rc" -ne 0 ]; then
		result FAIL "layers-$name" "not checked: the build failed"
	elif layers=$(bash "$RNV_TOP/tests/lib/layers.sh" "$bdir/driver" "$RNV_TOP/include/rocknvme.h"); then
		result PASS "layers-$name" "$(ls "$bdir"/driver/*.o | wc -l) objects, no call up the layer list"
	else
		result FAIL "layers-$name" "calls up the layer list of include/rocknvme.h:"
		offending <<<"$layers"
	fi

	# sparse: findings in our files fail; kernel-header ones are only counted.
	ours=$(grep -E '^(driver|include)/[^:]+:[0-9]+(:[0-9]+)?: (warning|error):' "$slog" |
		awk '!seen[$0]++' || true)
	others=$(grep -E ': (warning|error):' "$slog" | grep -vcE '^(driver|include)/' || true)
	# What stopped sparse: errors in kernel headers, or sparse itself failing on a file.
	herr=$(grep -E ': error:' "$slog" | grep -vE '^(driver|include)/[^:]+:[0-9]+' |
		awk '!seen[$0]++' || true)
	ncc=$(grep -cE '^ *CC \[M\] +driver/' "$log" || true)
	nchk=$(grep -c '^CHECKED ' "$slog" || true)
	if [ -n "$ours" ]; then
		result FAIL "sparse-$name" "$(grep -c . <<<"$ours") finding(s) in our files" \
			"(${others:-0} in kernel headers ignored, $slog):"
		offending <<<"$ours"
	elif [ -n "$herr" ]; then
		result SKIP "sparse-$name" "sparse $(cat "$slog.version" 2>/dev/null) cannot" \
			"parse kernel $abi's headers ($(grep -c . <<<"$herr") error(s)$(grep -q 'sparse exited' <<<"$herr" &&
				echo ", $(grep -c 'sparse exited' <<<"$herr") crash(es)"), so nothing" \
			"was checked; $slog):"
		offending < <(grep 'sparse exited' <<<"$herr" | head -n 2; grep -v 'sparse exited' <<<"$herr" | head -n 3)
	elif [ "$rc" -ne 0 ] || [ "$nchk" -eq 0 ] || [ "$nchk" -ne "$ncc" ]; then
		# The build stopped or sparse never ran on some file: nothing was proven.
		result FAIL "sparse-$name" "sparse checked $nchk of $ncc compiled files" \
			"(make exit $rc, $slog):"
		offending < <(grep -vE '^CHECKED ' "$slog" | tail -n 5)
	else
		result PASS "sparse-$name" "$nchk files checked, no findings in driver/ or include/" \
			"(${others:-0} in kernel headers ignored)"
	fi
}

# The scripts are the test suite: a quoting slip there makes a check pass that should not.
run_shellcheck() {
	local files=() log=$LINT/shellcheck.log
	# Every *.sh (sourced helpers too: they say their shell in a directive), and the
	# extension-less scripts of .ci/ and packaging/ that start with a shell's #!.
	mapfile -t files < <(cd "$RNV_TOP" && { git ls-files -- '*.sh' .ci/run 'packaging/*' 2>/dev/null ||
		find tests .ci packaging -type f; } | sort -u | while read -r f; do
			[ -f "$f" ] || continue
			case $f in
			*.sh) echo "$f" ;;
			*) head -n 1 "$f" | grep -qE '^#!.*(ba)?sh' && echo "$f" ;;
			esac
		done)
	if ! command -v shellcheck >/dev/null; then
		result FAIL shellcheck "shellcheck not installed: run make setup"
	elif (cd "$RNV_TOP" && shellcheck -x -S warning -f gcc "${files[@]}") >"$log" 2>&1; then
		result PASS shellcheck "${#files[@]} scripts, no warnings"
	else
		result FAIL shellcheck "$(grep -c . "$log") finding(s) in ${#files[@]} scripts ($log):"
		offending <"$log"
	fi
}

start=$SECONDS
mkdir -p "$LINT"
run_checkpatch
run_shellcheck
for line in $LINT_KERNELS; do
	for arch in $LINT_ARCHES; do
		check_arch "$arch" "$line"
	done
done
echo "lint: $PASSED passed, $FAILED failed, $SKIPPED skipped ($((SECONDS - start))s)"
[ "$FAILED" -eq 0 ]
