#!/bin/bash
# Guest test (NVME_LAYOUT=hotplug): removal under load and hot add. Data written before the
# removal is checksummed; fio then writes to another range while the QEMU monitor unplugs the
# controller (device_del through pciehp): fio must end with errors, not hang; nothing oopses;
# rmmod works; after device_add the controller binds again and the early data verifies.
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. /tests/lib.sh

load_driver || exit 0
# 1. Known data in the first 16 MiB.
dd if=/dev/urandom of=/tmp/before bs=1M count=16 2>/dev/null
dd if=/tmp/before of="$DISK" bs=1M oflag=direct conv=fsync 2>/dev/null
sum_before=$(sha256sum </tmp/before | cut -d' ' -f1)

# 2. Load on another range, then ask the host to unplug the controller.
fio --name=load --filename="$DISK" --ioengine=libaio --direct=1 --rw=randwrite --bs=4k \
	--iodepth=16 --offset=64m --size=256m --time_based --runtime=120 \
	--output-format=terse >/tmp/load.out 2>&1 &
fio_pid=$!
sleep 3
echo "RNV-HOTPLUG del"
gone=0
for ((i = 0; i < 300; i++)); do
	[ -e "$DISK" ] || { gone=1; break; }
	sleep 0.1
done
if [ "$gone" = 1 ]; then
	pass hotplug-removed "$DISK went away $((i / 10)) s after device_del"
else
	fail hotplug-removed "$DISK still present 30 s after device_del"
fi
# fio must come back (with an error) well before its 120 s runtime.
for ((i = 0; i < 300; i++)); do
	kill -0 "$fio_pid" 2>/dev/null || break
	sleep 0.1
done
if kill -0 "$fio_pid" 2>/dev/null; then
	fail hotplug-fio "fio still running 30 s after the removal (hung I/O)"
	kill -9 "$fio_pid"
else
	wait "$fio_pid"
	rc=$?
	if [ "$rc" -ne 0 ]; then
		pass hotplug-fio "fio ended with exit $rc after the removal: $(grep -o 'err=[ 0-9]*' /tmp/load.out | head -n 1)"
	else
		fail hotplug-fio "fio reported success although its device was removed"
	fi
fi
if "$RMMOD" rocknvme && "$MODPROBE" rocknvme; then
	pass hotplug-rmmod "rmmod and modprobe work after the removal"
else
	fail hotplug-rmmod "rmmod/modprobe failed after the removal"
fi

# 3. Plug it back: it binds again and the early data is intact.
echo "RNV-HOTPLUG add"
if wait_for "$DISK" 60; then
	sum_after=$(dd if="$DISK" bs=1M count=16 iflag=direct 2>/dev/null | sha256sum | cut -d' ' -f1)
	check hotplug-data "$sum_after" "$sum_before" "sha256 of the 16 MiB written before removal"
else
	fail hotplug-add "$DISK did not come back within 60 s of device_add"
fi
exit 0
