#!/bin/bash
# Guest test (NVME_LAYOUT=hotplug): PCI error recovery (issue 11, item 6). The QEMU monitor
# injects an uncorrectable error (malformed TLP, fatal by default severity) at the root port
# above the controller. The guest's AER driver then runs recovery on everything below the
# port: rocknvme's error_detected(frozen) stops the controller, the link is reset (secondary
# bus reset), slot_reset restores config space and restarts it, resume waits for that. A
# crc32c-verified fio load runs across it and must lose nothing.
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. /tests/lib.sh

load_driver || exit 0
sysfs=$(ctrl_sysfs)
r0=$(cat "$sysfs/resets")
cat >/tmp/aer.fio <<JOB
[global]
filename=$DISK
ioengine=libaio
direct=1
rw=randwrite
bssplit=4k/40:64k/40:256k/20
size=64m
iodepth=16
numjobs=2
offset_increment=64m
verify=crc32c
do_verify=1
verify_fatal=1
verify_state_save=0

[aer]
JOB
(sleep 2; echo "RNV-HOTPLUG aer") &
run_fio aer /tmp/aer.fio 2
wait
if until_true 30 dmesg_has 'slot reset: restarting the controller'; then
	pass aer-recovered "$(dmesg | grep -E -m1 'PCI channel frozen' | sed 's/^\[[^]]*\] //'); then slot reset"
else
	fail aer-recovered "no recovery within 30 s: $(dmesg | grep -E -m3 'AER|aer|PCI channel' | tr '\n' '|')"
fi
check aer-restarts "$(($(cat "$sysfs/resets") - r0))" 1 "controller restarts"
check aer-state "$(cat "$sysfs/state")" live "controller state after recovery"
exit 0
