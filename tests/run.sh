#!/usr/bin/env bash
# The QEMU test suite (`make test`): builds rocknvme.ko for arm64 and x86 (and for arm64 on the
# newer kernel lines, 6.12 and 7.x), then boots the table of guests below one at a time
# (TCG), each running several guest tests, counts every
# RNV-RESULT line and ends with exactly one line "N passed, N failed" (exit 1 on any failure).
# The host-side device-tree overlay checks (tests/dts/test-overlay.sh) run first, as "host-dts",
# then the packaging checks (tests/pkg/test-packaging.sh: dkms.conf, modprobe.d, rocknvme-switch),
# as "host-pkg", then the unit tests of the driver's pure builders (tests/unit/run.sh: APST table,
# Host Memory Buffer plan, built with the host gcc), as "host-unit".
#
#   ONLY=<substring>  run only the boots whose name contains it (e.g. ONLY=x86, ONLY=smmu)
#   DRIVER=nvme       run the whole suite against the in-kernel nvme driver (no module build)
#   DRIVER=rocknvme   (default) build and test our module
#   SOAK_SECONDS=N    how long arm64-soak's mixed I/O under resets runs (default 300)
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
. "$(dirname "$0")/lib/common.sh"

DRIVER=${DRIVER:-rocknvme}
ONLY=${ONLY:-}
SOAK_SECONDS=${SOAK_SECONDS:-300}
export DRIVER
mkdir -p "$RNV_OUT/vm"
# Every result line of this run; kept as build/vm/results.txt at the end.
RESULTS=$(mktemp "$RNV_OUT/vm/results.XXXXXX")
trap 'mv -f "$RESULTS" "$RNV_OUT/vm/results.txt"' EXIT
TIMINGS=()
declare -A BUILT=()

# build ARCH[-LINE]: the module for one arch (and kernel line, make KVER=LINE); its outcome
# is a result line like any test's.
build() {
	local arch=${1%%-*} line='' log=$RNV_OUT/vm/build-$1.log ko
	[[ $1 == *-* ]] && line=${1#*-}
	ko=$(rnv_ko "$arch" "$line")
	if make -C "$RNV_TOP" --no-print-directory ARCH="$arch" ${line:+KVER=$line} >"$log" 2>&1; then
		echo "RNV-RESULT PASS build-$1 ${ko#"$RNV_TOP"/}" | tee -a "$RESULTS"
		BUILT[$1]=1
	else
		echo "RNV-RESULT FAIL build-$1 make ARCH=$arch${line:+ KVER=$line} failed, see $log:" \
			"$(grep -m1 -E 'error|Error' "$log" || tail -n 1 "$log")" | tee -a "$RESULTS"
	fi
}

# arm64-reset's blkdebug namespace: reads fail on 2 sectors, writes on 2 others, all in the
# 1 MiB at 32 MiB that t_blkdebug.sh sweeps (blocks 50 and 200 for reads, 10 and 100 for writes).
BLKDEBUG_RULES=r:65939,r:67143,w:65616,w:66341

# The core set: what every other kernel and the non-coherent board run (bind, the fio verify
# set, ext4, nvme-cli, resets under a verified load), plus a swiotlb=force boot per kernel.
CORE=bind,fio,ext4,nvmecli,reset

# The suite: one guest boot per row, several guest tests per boot to save boot time. The full
# suite runs on Debian 12's 6.1; KERNEL=6.12|7 rows boot the newer lines (core set only).
# name          knobs (ARCH defaults to arm64, DISK_SIZE to 1G; see tests/lib/runvm.sh)
BOOTS=(
	"arm64-lbs512  TESTS=bind,fio,ext4,reload NVME_OPTS=mdts=2"
	"arm64-lbs4096 TESTS=bind,fio,shadow,pm NVME_OPTS=logical_block_size=4096,physical_block_size=4096"
	"arm64-swiotlb TESTS=fio,sgl EXTRA_CMDLINE=swiotlb=force"
	"arm64-smmu    TESTS=fio,iommu,sgl SMMU=1 EXTRA_CMDLINE=iommu.strict=1"
	"arm64-nvmecli TESTS=nvmecli,discard,install,hwmon,smart,list DRIVE_OPTS=discard=unmap"
	"arm64-ns      TESTS=ns,format,events,nsrace,list NVME_LAYOUT=subsys2ns"
	"arm64-chain   TESTS=chain NVME_OPTS=mdts=0"
	"arm64-drives  TESTS=drives NVME_OPTS=use-intel-id=on"
	"arm64-reset   TESTS=reset,poll,delay,blkdebug,throttle BLKDEBUG=$BLKDEBUG_RULES THROTTLE=65536"
	"arm64-recover TESTS=flr,killrace,dead"
	"arm64-hotplug TESTS=hotplug NVME_LAYOUT=hotplug"
	"arm64-fewvec  TESTS=params,fio NVME_OPTS=msix_qsize=2 EXTRA_CMDLINE=rnvvectors=2"
	"arm64-intx    TESTS=bind,fio EXTRA_CMDLINE=pci=nomsi"
	"arm64-fuzz    TESTS=fuzz EXTRA_CMDLINE=rnvseed=1795647579"
	"arm64-soak    TESTS=soak EXTRA_CMDLINE=rnvsoak=$SOAK_SECONDS TIMEOUT=$((SOAK_SECONDS + 600))"
	"x86           TESTS=bind,fio,ext4 ARCH=x86"
	"arm64-noncoh  TESTS=noncoherent,$CORE NONCOHERENT=1"
	"arm64-k612    TESTS=$CORE KERNEL=6.12"
	"arm64-k612-swiotlb TESTS=fio KERNEL=6.12 EXTRA_CMDLINE=swiotlb=force"
	"arm64-k7      TESTS=$CORE KERNEL=7"
	"arm64-k7-swiotlb TESTS=fio KERNEL=7 EXTRA_CMDLINE=swiotlb=force"
)

# boot_arch KNOB=VALUE...: the module a row needs: ARCH, and -LINE for KERNEL=LINE.
boot_arch() {
	local kv arch=arm64 line=''
	for kv in "$@"; do
		[[ $kv == ARCH=* ]] && arch=${kv#ARCH=}
		[[ $kv == KERNEL=* ]] && line=${kv#KERNEL=}
	done
	echo "$arch${line:+-$line}"
}

# boot NAME KNOB=VALUE...: one guest (see tests/lib/runvm.sh for the knobs).
boot() {
	local name=$1 arch start
	shift
	arch=$(boot_arch "$@")
	if [ "$DRIVER" = rocknvme ] && [ -z "${BUILT[$arch]:-}" ]; then
		echo "RNV-RESULT FAIL $name not booted: no rocknvme module for $arch" | tee -a "$RESULTS"
		return 0
	fi
	start=$(date +%s)
	local before rc
	before=$(grep -c "^\[$name\] RNV-RESULT " "$RESULTS" || true)
	set +e
	bash "$RNV_TOP/tests/lib/runvm.sh" NAME="$name" "$@" | sed -u "s/^/[$name] /" |
		tee -a "$RESULTS"
	rc=${PIPESTATUS[0]}
	set -e
	# runvm.sh stopped from outside (a signal while it waited for the VM lock, say) prints
	# no result at all: that is a failed boot, not a boot with nothing to report.
	if [ "$rc" -ne 0 ] && [ "$(grep -c "^\[$name\] RNV-RESULT " "$RESULTS" || true)" = "$before" ]; then
		echo "[$name] RNV-RESULT FAIL vm-not-run runvm.sh exited with status $rc before any result" |
			tee -a "$RESULTS"
	fi
	TIMINGS+=("$(printf '%-19s %4ss' "$name" $(($(date +%s) - start)))")
}

suite_start=$(date +%s)
selected=()
for row in "${BOOTS[@]}"; do
	read -ra f <<<"$row"
	[[ ${f[0]} == *"$ONLY"* ]] && selected+=("$row")
done
if [ "$DRIVER" = rocknvme ]; then
	for arch in arm64 x86 arm64-6.12 arm64-7; do
		for row in "${selected[@]}"; do
			read -ra f <<<"$row"
			if [ "$(boot_arch "${f[@]:1}")" = "$arch" ]; then
				build "$arch"
				break
			fi
		done
	done
fi
if [[ host-dts == *"$ONLY"* ]] && [ -f "$RNV_TOP/tests/dts/test-overlay.sh" ]; then
	bash "$RNV_TOP/tests/dts/test-overlay.sh" | sed -u 's/^/[host-dts] /' | tee -a "$RESULTS" || true
fi
if [[ host-pkg == *"$ONLY"* ]] && [ -f "$RNV_TOP/tests/pkg/test-packaging.sh" ]; then
	bash "$RNV_TOP/tests/pkg/test-packaging.sh" | sed -u 's/^/[host-pkg] /' | tee -a "$RESULTS" || true
fi
if [[ host-unit == *"$ONLY"* ]] && [ -f "$RNV_TOP/tests/unit/run.sh" ]; then
	bash "$RNV_TOP/tests/unit/run.sh" | grep '^RNV-RESULT' | sed -u 's/^/[host-unit] /' |
		tee -a "$RESULTS" || true
fi
if [[ host-lint == *"$ONLY"* ]] && [ "$DRIVER" = rocknvme ]; then
	# checkpatch --strict, W=1 and sparse on both arches: CI holds the code to them.
	bash "$RNV_TOP/tests/lint.sh" 2>&1 | grep '^RNV-RESULT' | sed -u 's/^/[host-lint] /' |
		tee -a "$RESULTS" || true
fi
for row in "${selected[@]}"; do
	read -ra f <<<"$row"
	boot "${f[@]}"
done
if [[ bench-smoke == *"$ONLY"* ]] && [ "$DRIVER" = rocknvme ]; then
	# make bench must run from a fresh clone (it only has to finish here, not win).
	if BENCH_QUICK=1 bash "$RNV_TOP/tests/bench.sh" >"$RNV_OUT/vm/bench-smoke.log" 2>&1 &&
		[ -s "$RNV_TOP/results/bench.md" ] && [ -s "$RNV_TOP/results/bench.png" ]; then
		echo "RNV-RESULT PASS bench-smoke BENCH_QUICK=1 make bench wrote results/bench.{json,md,png}"
	else
		echo "RNV-RESULT FAIL bench-smoke BENCH_QUICK=1 make bench failed: $(tail -n 2 "$RNV_OUT/vm/bench-smoke.log")"
	fi | tee -a "$RESULTS"
fi

echo "Boot timings (wall clock, TCG, driver $DRIVER):"
for t in "${TIMINGS[@]}"; do echo "  $t"; done
echo "  total          $(($(date +%s) - suite_start))s"
skipped=$(grep -c 'RNV-RESULT SKIP ' "$RESULTS" || true)
[ "$skipped" -eq 0 ] || echo "$skipped skipped (could not run here, not passes):" \
	"$(grep -o 'RNV-RESULT SKIP [^ ]*' "$RESULTS" | cut -d' ' -f3 | tr '\n' ' ')"
passed=$(grep -c 'RNV-RESULT PASS ' "$RESULTS" || true)
failed=$(grep -c 'RNV-RESULT FAIL ' "$RESULTS" || true)
if [ "$((passed + failed))" -eq 0 ]; then
	echo "no results (ONLY=$ONLY matched no boot?)"
	failed=1
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
