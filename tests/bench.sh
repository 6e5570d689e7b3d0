#!/usr/bin/env bash
# make bench: rocknvme against the in-kernel nvme driver on QEMU's emulated NVMe controller,
# in ONE boot of the arm64 guest (virt, Cortex-A76, GICv3, no SMMU, 2 CPUs, 2 GiB disk).
# The guest side is tests/guest/t_bench.sh: it moves the one controller between the two
# drivers with driver_override and runs every fio-jobs/ bench job in paired, interleaved
# (ABBA) rounds, plus an A/A control (nvme against itself) for the noise floor. Each fio
# json comes back on the console between RNV-BENCH-BEGIN/END lines; tests/lib/bench_report.py
# cuts them out of build/vm/bench.log and writes
#   results/bench.json  every round's raw fio json, binding facts, memory, metadata
#   results/bench.md    the tables: IOPS (medians, spread, ratios), completion latency (p50,
#                       p99, p99.9 per job and driver, paired rocknvme/nvme ratios: > 1 means
#                       rocknvme is slower), both with the A/A control; module sizes, memory
#   results/bench.png   rocknvme/nvme IOPS ratio per job with the paired-round spread, and the
#                       p50/p99/p99.9 latency ratios below it (gnuplot)
# Every fio number comes from tests/lib/fio-json.awk, the reader the guest uses too.
# and prints the table. Exit 1 when the guest reported a failure or no result came back.
#
#   BENCH_QUICK=1     smoke run (CI): 2 rounds of 2 s (+1 s ramp), one memory sample; ~4 min
#   RUNTIME=S         seconds per fio run (default 6; quick 2)
#   ROUNDS=N          paired rounds per job (default 6; quick 2; at least 2); full run ~18 min
#   BENCH_JOBS=a,b    subset of the jobs (names of fio-jobs/*.fio)
#   BENCH_AA=job      the A/A control job (default randread-4k-qd1)
#   BENCH_MEM=N       memory samples per binding (default 3; quick 1; 0 = skip)
#   BENCH_RNV_OPTS    rocknvme parameters for the rounds, comma-separated (default
#                     poll_queues=1, so the polled job polls; "" = module defaults)
#   BENCH_NVME_OPTS   the same for the in-kernel nvme (default poll_queues=1)
#
# Numbers are QEMU TCG emulation on this host, not hardware: they compare the two drivers'
# CPU cost per I/O on identical emulated hardware, and swing from run to run (see the A/A).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
. "$(dirname "$0")/lib/common.sh"

QUICK=${BENCH_QUICK:-0}
[ "$QUICK" = 0 ] && QUICK=""
# The noise under TCG on a shared 2-core host is slow (tens of seconds) and large: more,
# shorter pairs (6 x 6 s) beat fewer long ones (4 x 10 s) for the same wall time.
RUNTIME=${RUNTIME:-$([ -n "$QUICK" ] && echo 2 || echo 6)}
ROUNDS=${ROUNDS:-$([ -n "$QUICK" ] && echo 2 || echo 6)}
MEMREPS=${BENCH_MEM:-$([ -n "$QUICK" ] && echo 1 || echo 3)}
JOBS=${BENCH_JOBS:-randread-4k-qd1,randread-4k-qd32x2,randwrite-4k-qd32,seqread-128k-qd8,seqwrite-128k-qd8,randrw70-4k-qd16,randread-4k-qd1-poll}
AA=${BENCH_AA:-randread-4k-qd1}
RNV_OPTS=${BENCH_RNV_OPTS-poll_queues=1}
NVME_OPTS=${BENCH_NVME_OPTS-poll_queues=1}
case "$RNV_OPTS$NVME_OPTS" in *" "*)
	echo "[bench] BENCH_RNV_OPTS/BENCH_NVME_OPTS: separate parameters with commas" >&2; exit 2 ;;
esac
RESULTS=$RNV_TOP/results
LOG=$RNV_OUT/vm/bench.log
PY=/usr/bin/python3
[ -x $PY ] || PY=python3

[ "$ROUNDS" -ge 2 ] || { echo "[bench] ROUNDS must be at least 2 (ABBA)" >&2; exit 2; }
for j in ${JOBS//,/ } "$AA"; do
	[ -f "$RNV_TOP/fio-jobs/$j.fio" ] || { echo "[bench] no fio-jobs/$j.fio" >&2; exit 2; }
done
IFS=, read -ra joblist <<<"$JOBS"
runs=$((ROUNDS * (2 * ${#joblist[@]} + 2)))
# Guest time: per fio run RUNTIME + 1 s ramp + ~3 s of fio start-up, rebinding and console;
# then boot, memory samples and the 1 GiB prefill. The VM timeout leaves a wide margin.
estimate=$((runs * (RUNTIME + 4) + 90 + MEMREPS * 25))
TIMEOUT=$((estimate * 2 + 300))

mkdir -p "$RNV_OUT/vm" "$RESULTS"
echo "[bench] $([ -n "$QUICK" ] && echo "quick (BENCH_QUICK=1)" || echo full) run:" \
	"$ROUNDS rounds x ${#joblist[@]} jobs x 2 drivers + A/A ($AA), ${RUNTIME} s each" \
	"= $runs fio runs; about $((estimate / 60 + 1)) min of guest time;" \
	"module options: rocknvme ${RNV_OPTS:-(defaults)}, nvme ${NVME_OPTS:-(defaults)}"
echo "[bench] building rocknvme.ko for arm64 ..."
make -C "$RNV_TOP" --no-print-directory ARCH=arm64 >"$RNV_OUT/bench-build.log" 2>&1 ||
	{ tail -n 20 "$RNV_OUT/bench-build.log"; exit 1; }

# Wait here for other engineers' VMs (runvm.sh takes the same lock again), so that the
# timings and host CPU figures below cover our boot only.
flock -n "$RNV_CACHE/vm.lock" true 2>/dev/null || {
	echo "[bench] waiting for another VM on this machine to finish ..."
	flock "$RNV_CACHE/vm.lock" true
}
start_date=$(date -u +%Y-%m-%dT%H:%M:%SZ)
start=$(date +%s)
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
stat_start=$(head -n1 /proc/stat)
echo "[bench] booting the arm64 guest (TCG; progress below, console in ${LOG#"$RNV_TOP"/}) ..."
vm_ok=1
guest_knobs="rnvbruntime=$RUNTIME rnvbrounds=$ROUNDS rnvbmem=$MEMREPS rnvbjobs=$JOBS rnvbaa=$AA"
guest_knobs+=" rnvbrnvopts=${RNV_OPTS:-none} rnvbnvmeopts=${NVME_OPTS:-none}"
SHOW=1 bash "$RNV_TOP/tests/lib/runvm.sh" NAME=bench TESTS=bench ARCH=arm64 SMMU=0 CPUS=2 \
	MEM=1G DISK_SIZE=2G TIMEOUT="$TIMEOUT" \
	EXTRA_CMDLINE="$guest_knobs" \
	>"$RNV_OUT/vm/bench-results.txt" || vm_ok=0
cat "$RNV_OUT/vm/bench-results.txt"
elapsed=$(($(date +%s) - start))
# Host CPU over the boot (this machine's /proc/stat): busy and steal shares of all CPUs.
hoststat=$(printf '%s\n%s\n' "$stat_start" "$(head -n1 /proc/stat)" | awk '
	{ t = 0; for (i = 2; i <= NF; i++) t += $i; tot[NR] = t; idle[NR] = $5 + $6; st[NR] = $9 }
	END { d = tot[2] - tot[1]; if (d > 0) printf "busy %.0f%%, steal %.1f%%",
		100 * (d - (idle[2] - idle[1])) / d, 100 * (st[2] - st[1]) / d }')

ABI=$(rnv_abi)
KMODS=$RNV_CACHE/kernel-$ABI-arm64/lib/modules/$ABI-arm64
report_ok=1
"$PY" "$RNV_TOP/tests/lib/bench_report.py" --log "$LOG" --out "$RESULTS" \
	--abi "$ABI" --qemu "$(qemu-system-aarch64 --version | head -n1)" \
	--date "$start_date" --elapsed "$elapsed" --mode "$([ -n "$QUICK" ] && echo quick || echo full)" \
	--runtime "$RUNTIME" --rounds "$ROUNDS" --aa "$AA" \
	--opts "rocknvme ${RNV_OPTS:-(defaults)}, nvme ${NVME_OPTS:-(defaults)}" \
	--load "$load_start / $(cut -d' ' -f1-3 /proc/loadavg)" --hoststat "$hoststat" \
	--git "$(git -C "$RNV_TOP" describe --always --dirty 2>/dev/null || echo unknown)" \
	--rocknvme-ko "$RNV_OUT/rocknvme-arm64.ko" --kmods "$KMODS" || report_ok=0

echo "[bench] done in $((elapsed / 60)) min $((elapsed % 60)) s (VM step: initramfs, boot," \
	"bench, power-off); results/bench.{md,json,png}"
[ "$vm_ok" = 1 ] && [ "$report_ok" = 1 ]
