#!/bin/bash
# Guest test: PRP list chaining. A 4 MiB request needs 1024 PRP entries, more than one
# controller page of list holds (511 + a link), so the list pages must be chained. Direct I/O
# from huge-page buffers gives the block layer 2 MiB segments, so the requests really are
# 4 MiB. Needs QEMU mdts=0 (no limit: our own 4 MiB cap applies). Verified with crc32c.
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. /tests/lib.sh

load_driver || exit 0
maxkb=$(cat "/sys/block/${DISK#/dev/}/queue/max_hw_sectors_kb")
if [ "$maxkb" -lt 4096 ]; then
	fail chain-limit "max_hw_sectors_kb is $maxkb, need 4096 (boot with NVME_OPTS=mdts=0)"
	exit 0
fi
pass chain-limit "max_hw_sectors_kb = $maxkb"
# The block layer's soft limit (default 1280 KiB) would split the requests: lift it.
echo "$maxkb" >"/sys/block/${DISK#/dev/}/queue/max_sectors_kb"
echo 16 >/proc/sys/vm/nr_hugepages
if [ "$(cat /proc/sys/vm/nr_hugepages)" -lt 4 ]; then
	fail chain-hugepages "could not reserve huge pages"
	exit 0
fi
before=$(awk '{ print $1 }' "/sys/block/${DISK#/dev/}/stat")
if out=$(fio --name=chain --filename="$DISK" --ioengine=libaio --direct=1 --bs=4m \
	--iodepth=2 --rw=write --size=64m --iomem=shmhuge --verify=crc32c --do_verify=1 \
	--verify_fatal=1 --verify_state_save=0 --output-format=terse --terse-version=3 2>&1); then
	after=$(awk '{ print $1 }' "/sys/block/${DISK#/dev/}/stat")
	# 64 MiB read back in 4 MiB requests is 16 reads; split requests would be more.
	if [ $((after - before)) -le 16 ]; then
		pass chain-verify "64 MiB in 4 MiB requests (chained PRP lists) verified, $((after - before)) reads"
	else
		fail chain-verify "data verified but reads were split: $((after - before)) reads for 64 MiB"
	fi
else
	fail chain-verify "fio: $(echo "$out" | tail -n 3)"
fi
echo 0 >/proc/sys/vm/nr_hugepages
