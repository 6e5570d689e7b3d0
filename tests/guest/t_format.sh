#!/bin/bash
# Guest test: Format NVM through nvme-cli changes the disk under the driver (issue 11, item 1).
# The namespace is reformatted 512 B -> 4 KiB -> 512 B, as setup guides advise owners to do
# (`nvme format /dev/rocknvme0 -n 1 --lbaf=N --force`). After each format the disk must show
# the new logical block size and the same capacity in bytes, and crc32c-verified O_DIRECT I/O
# at the new block size must pass: the driver freezes I/O around the command (its Commands
# Supported and Effects say it changes the LBA format) and re-identifies the namespace. A
# driver that kept the old format would build 512 B LBAs for a 4 KiB namespace and fail.
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. /tests/lib.sh

load_driver || exit 0
size0=$(blockdev --getsize64 "$DISK")

# lbaf_index DS: the index of the LBA format with 2^DS byte blocks and no metadata.
lbaf_index() {
	nvme id-ns "$CTRL" -n 1 2>/dev/null | awk -v ds="$1" '
		/^lbaf/ { i = $2; ms = $4; lb = $5; sub(/ms:/, "", ms); sub(/lbads:/, "", lb)
			if (ms + 0 == 0 && lb + 0 == ds) { print i; exit } }'
}

# format_to DS BYTES: format namespace 1 to 2^DS byte blocks and check the disk follows.
format_to() {
	local ds=$1 lbs=$2 idx out start ms job
	idx=$(lbaf_index "$ds")
	if [ -z "$idx" ]; then
		fail "format-$lbs" "no LBA format with lbads $ds and no metadata in id-ns"
		return 1
	fi
	start=$(now_ms)
	if ! out=$(nvme format "$CTRL" -n 1 --lbaf="$idx" --force 2>&1); then
		fail "format-$lbs" "nvme format -n 1 --lbaf=$idx: $out"
		return 1
	fi
	ms=$(($(now_ms) - start))
	pass "format-$lbs" "nvme format --lbaf=$idx (${lbs} B) took $ms ms: $(tr '\n' ' ' <<<"$out")"
	check "format-$lbs-getss" "$(blockdev --getss "$DISK")" "$lbs" "logical block size after format"
	check "format-$lbs-sysfs" "$(cat "$(sysblock)/queue/logical_block_size")" "$lbs" \
		"queue/logical_block_size"
	check "format-$lbs-bytes" "$(blockdev --getsize64 "$DISK")" "$size0" "capacity in bytes"
	job=/tmp/format-$lbs.fio
	cat >"$job" <<JOB
[global]
filename=$DISK
ioengine=libaio
direct=1
rw=randwrite
bssplit=$lbs/20:$((lbs * 8))/30:64k/30:1m/20
blockalign=$lbs
size=48m
iodepth=16
verify=crc32c
do_verify=1
verify_fatal=1
verify_state_save=0
randseed=$lbs

[fmt]
JOB
	run_fio "format-$lbs" "$job" 1
}

format_to 12 4096 && format_to 9 512
# The driver saw each format coming (effects) and re-read the namespace.
n=$(dmesg | grep -c 'rocknvme0n1: now [0-9]* blocks of')
check format-revalidated "$n" 2 "'now N blocks of' lines for the two formats"
exit 0
