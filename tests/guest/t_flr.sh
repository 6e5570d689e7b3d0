#!/bin/bash
# Guest test: function level resets under load (issue 11, item 6). `echo 1 >
# /sys/bus/pci/devices/<bdf>/reset` resets the controller behind the driver, as AER and DPC
# recovery do; the driver's reset_prepare/reset_done stop it first and restart it after, so
# the I/O in flight is replayed at once instead of waiting out a timeout, an Abort that can
# never complete and a reset. The same fixed crc32c-verified fio load runs twice, without
# and with three FLRs; both times are printed and the second may take at most FLR_SLACK
# seconds longer (default 10, a third of the 30 s I/O timeout that one lost request costs).
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. /tests/lib.sh

SLACK=${rnvflrslack:-10}
load_driver || exit 0
sysfs=$(ctrl_sysfs)
bdf=$(nvme_bdf)
if [ ! -w "/sys/bus/pci/devices/$bdf/reset" ]; then
	fail flr-sysfs "no /sys/bus/pci/devices/$bdf/reset"
	exit 0
fi
method=$(cat "/sys/bus/pci/devices/$bdf/reset_method" 2>/dev/null)
pass flr-sysfs "$bdf reset methods: ${method:-?}"

# load NAME SEED: one fixed verified pass (2 jobs x 48 MiB, mixed sizes); sets LOAD_MS.
load() {
	local start
	cat >"/tmp/$1.fio" <<JOB
[global]
filename=$DISK
ioengine=libaio
direct=1
rw=randwrite
bssplit=4k/40:64k/40:256k/20
size=48m
iodepth=16
numjobs=2
offset_increment=48m
verify=crc32c
do_verify=1
verify_fatal=1
verify_state_save=0
randseed=$2

[$1]
JOB
	start=$(now_ms)
	run_fio "$1" "/tmp/$1.fio" 2
	LOAD_MS=$(($(now_ms) - start))
}

load flr-baseline 11 || exit 0
base_ms=$LOAD_MS
r0=$(cat "$sysfs/resets")
(
	for i in 1 2 3; do
		sleep "$(((base_ms / 4000) > 1 ? base_ms / 4000 : 1))"
		if echo 1 >"/sys/bus/pci/devices/$bdf/reset"; then
			echo "flr $i ok"
		else
			echo "flr $i failed"
		fi
	done >/tmp/flr.log 2>&1
) &
flrs=$!
load flr-load 12
flr_ms=$LOAD_MS
wait "$flrs"
nok=$(grep -c ' ok$' /tmp/flr.log)
check flr-count "$nok" 3 "function resets done during the load ($(tr '\n' ',' </tmp/flr.log))"
check flr-restarts "$(($(cat "$sysfs/resets") - r0))" 3 "controller restarts counted"
echo "flr: baseline ${base_ms} ms, with 3 FLRs ${flr_ms} ms"
if [ "$flr_ms" -le $((base_ms + SLACK * 1000)) ]; then
	pass flr-time "load with 3 FLRs took $flr_ms ms, without $base_ms ms (limit +${SLACK} s)"
else
	fail flr-time "load with 3 FLRs took $flr_ms ms, without $base_ms ms: more than ${SLACK} s longer"
fi
if dmesg_has 'timed out|sending abort'; then
	fail flr-no-timeout "$(dmesg | grep -E -m1 'timed out|sending abort')"
else
	pass flr-no-timeout "no command timed out across the FLRs"
fi
check flr-state "$(cat "$sysfs/state")" live "controller state"
exit 0
