#!/bin/bash
# Guest test: 20 cycles of unload + load of the driver (rmmod/modprobe), each followed by a
# small O_DIRECT write and read-back through the new block device, which must match.
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. /tests/lib.sh

CYCLES=20
load_driver || exit 0
dd if=/dev/urandom of=/tmp/pattern bs=64k count=4 status=none
want=$(sha256sum </tmp/pattern)
start=$(date +%s)
for ((i = 1; i <= CYCLES; i++)); do
	unload_driver || exit 0
	load_driver || exit 0
	# A different 256 KiB slot each cycle, so a stale read cannot pass.
	if ! out=$(dd if=/tmp/pattern of="$DISK" bs=64k seek=$((i * 4)) oflag=direct conv=fsync \
		status=none 2>&1); then
		fail reload "cycle $i: write failed: $out"
		exit 0
	fi
	got=$(dd if="$DISK" bs=64k skip=$((i * 4)) count=4 iflag=direct status=none | sha256sum)
	if [ "$got" != "$want" ]; then
		fail reload "cycle $i: read-back differs from what was written"
		exit 0
	fi
done
pass reload "$CYCLES rmmod/modprobe cycles of $RNV_DRIVER, data checked each time, $(($(date +%s) - start)) s"
exit 0
