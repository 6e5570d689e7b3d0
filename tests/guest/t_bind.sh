#!/bin/bash
# Guest test: the driver binds to the controller, and the namespace's block device has the
# size (rnvsize, bytes) and logical block size (rnvlbs) that QEMU was given; when rnvmaxkb is
# set (QEMU mdts=), the advertised max transfer does not exceed what the controller allows.
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. /tests/lib.sh

load_driver || exit 0
pass bind-load "$RNV_DRIVER bound, $DISK present"
if [ -c "$CTRL" ]; then
	pass bind-ctrl "$CTRL is a char device"
else
	fail bind-ctrl "$CTRL missing or not a char device"
fi
[ -n "${rnvsize:-}" ] && check bind-size "$(blockdev --getsize64 "$DISK")" "$rnvsize" "getsize64"
check bind-lbs "$(blockdev --getss "$DISK")" "$LBS" "getss"
if [ -n "${rnvmaxkb:-}" ]; then
	kb=$(cat "$(sysblock)/queue/max_hw_sectors_kb")
	if [ "$kb" -le "$rnvmaxkb" ]; then
		pass bind-mdts "max_hw_sectors_kb $kb <= $rnvmaxkb"
	else
		fail bind-mdts "max_hw_sectors_kb $kb exceeds the controller's MDTS ($rnvmaxkb KiB)"
	fi
fi
# Interrupt mode (rocknvme's sysfs): INTx when booted with pci=nomsi, MSI-X otherwise, with
# one vector per I/O queue plus admin when MSI-X gave enough.
if [ "$RNV_DRIVER" = rocknvme ]; then
	sysfs=/sys/class/rocknvme/${CTRL#/dev/}
	read -r mode nvec <"$sysfs/irq_mode"
	want=msix
	grep -qw pci=nomsi /proc/cmdline && want=intx
	check bind-irq-mode "$mode" "$want" "interrupt mode ($nvec vectors, $(cat "$sysfs/queue_count") I/O queues)"
fi
exit 0
