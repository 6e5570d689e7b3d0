#!/usr/bin/env bash
# make demo: boot the emulated arm64 board (virt, Cortex-A76, GICv3 + ITS, SMMUv3) with a
# 4 GiB NVMe namespace, load rocknvme, print what the controller reports, run a short fio.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"

mkdir -p "$RNV_OUT"
echo "[demo] building rocknvme.ko for arm64 ..."
make -C "$RNV_TOP" --no-print-directory ARCH=arm64 >"$RNV_OUT/demo-build.log" 2>&1 ||
	{ tail -n 20 "$RNV_OUT/demo-build.log"; exit 1; }
echo "[demo] booting the arm64 guest (TCG emulation: about a minute) ..."
SHOW=1 bash "$RNV_TOP/tests/lib/runvm.sh" NAME=demo TESTS=demo DISK_SIZE=4G SMMU=1 \
	TIMEOUT=600 >"$RNV_OUT/demo-results.txt"
