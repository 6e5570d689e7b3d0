#!/bin/bash
# Guest test: a controller that does not stop, a dead controller, and removing it (issue 11,
# items 3, 4 and 5). QEMU's controller always drops RDY when disabled; the debugfs knob
# stuck_ready makes the driver see a RDY that stays 1, as a hung drive shows it.
#   1. One stuck disable during a reset: the driver turns bus mastering off (the controller
#      might still DMA), then, since the next disable works, restarts it: live, data verified.
#   2. Two: the restart cannot trust the controller either, so it is killed: state dead, bus
#      mastering off in the PCI command register, file system I/O fails at once with EIO and
#      an admin command through nvme-cli fails with ENODEV ("No such device"), not success.
#   3. The dead controller's PCI device is removed (sysfs remove): it must take seconds (no
#      command is sent to it, so none waits out a timeout), then a PCI rescan binds it again.
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. /tests/lib.sh

load_driver || exit 0
sysfs=$(ctrl_sysfs)
dbg=$(debugfs_dir)
bdf=$(nvme_bdf)
# bus_master: bit 2 of the PCI command register (config space offset 4).
bus_master() {
	local cmd
	cmd=$(od -An -tu2 -j4 -N2 "/sys/bus/pci/devices/$bdf/config" | tr -d ' ')
	echo $(((cmd >> 2) & 1))
}
check dead-bm-live "$(bus_master)" 1 "bus master enable while live"

# 1. One disable that does not complete.
echo 1 >"$dbg/stuck_ready"
echo 1 >"$sysfs/reset_controller"
check dead-stuck-once "$(cat "$sysfs/state")" live "state after a reset whose disable stuck once"
if dmesg_has 'did not stop .*bus mastering off'; then
	pass dead-stuck-bm "the stuck disable turned bus mastering off before anything was unmapped"
else
	fail dead-stuck-bm "no 'did not stop ... bus mastering off' line"
fi
check dead-bm-restarted "$(bus_master)" 1 "bus master enable after the restart"
cat >/tmp/dead.fio <<JOB
[dead]
filename=$DISK
ioengine=libaio
direct=1
rw=randwrite
bs=64k
size=16m
iodepth=8
verify=crc32c
do_verify=1
verify_fatal=1
verify_state_save=0
JOB
run_fio dead-after-stuck /tmp/dead.fio 1

# 2. Stuck twice: dead.
echo 2 >"$dbg/stuck_ready"
echo 1 >"$sysfs/reset_controller" 2>/dev/null
check dead-state "$(cat "$sysfs/state")" dead "state after the restart found RDY stuck"
check dead-bm-off "$(bus_master)" 0 "bus master enable of the dead controller"
start=$(now_ms)
if dd if="$DISK" of=/dev/null bs=4k count=1 iflag=direct 2>/tmp/dead.dd; then
	fail dead-io "a read from the dead controller's disk succeeded"
else
	ms=$(($(now_ms) - start))
	if grep -q 'Input/output error' /tmp/dead.dd && [ "$ms" -lt 5000 ]; then
		pass dead-io "read failed with EIO in $ms ms"
	else
		fail dead-io "read failed after $ms ms: $(cat /tmp/dead.dd)"
	fi
fi
out=$(nvme id-ctrl "$CTRL" 2>&1)
rc=$?
if [ "$rc" -ne 0 ] && [[ $out == *"No such device"* ]]; then
	pass dead-ioctl "nvme id-ctrl on the dead controller: exit $rc, $(head -n1 <<<"$out")"
else
	fail dead-ioctl "nvme id-ctrl on the dead controller: exit $rc, $(head -n1 <<<"$out")"
fi

# 3. Remove the dead controller's PCI device, then bring it back with a rescan.
mark=$(dmesg | wc -l)
start=$(now_ms)
echo 1 >"/sys/bus/pci/devices/$bdf/remove"
ms=$(($(now_ms) - start))
if [ ! -e "$CTRL" ] && [ ! -e "$DISK" ] && [ "$ms" -lt 10000 ]; then
	pass dead-remove "dead controller removed in $ms ms, nodes gone"
else
	fail dead-remove "remove took $ms ms; $CTRL $([ -e "$CTRL" ] && echo present || echo gone)"
fi
if dmesg | tail -n +"$((mark + 1))" | grep -Eq 'timed out|sending abort'; then
	fail dead-remove-quiet "$(dmesg | tail -n +"$((mark + 1))" | grep -E -m1 'timed out|sending abort')"
else
	pass dead-remove-quiet "no command timed out during the remove"
fi
echo 1 >/sys/bus/pci/rescan
if wait_for "$DISK" 30; then
	check dead-rebound "$(cat "$sysfs/state")" live "state after PCI rescan"
	run_fio dead-rebound /tmp/dead.fio 1
else
	fail dead-rebound "$DISK did not come back within 30 s of a PCI rescan"
fi
exit 0
