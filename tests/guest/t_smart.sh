#!/bin/bash
# Guest test: smartmontools (7.3) on the driver's nodes. `smartctl -a -d nvme` must work on the
# controller node and on the namespace node, through the same passthrough ioctls nvme-cli uses,
# and its SMART / Health values must be the ones `nvme smart-log` reads from the same node:
# temperature (smartctl in Celsius, nvme-cli in kelvin), available spare and threshold,
# percentage used, data units read and written, host read and write commands, busy time,
# power cycles, power on hours, unsafe shutdowns, media errors, error log entries. Model,
# serial and firmware must be the controller's (sysfs), and the health check PASSED.
# No I/O runs between the two reads, so the counters must be equal.
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. /tests/lib.sh

claim_controller
load_driver || exit 0
SYS=$(ctrl_sysfs)
# Some I/O first, so that the counters are not all zero.
dd if=/dev/urandom of="$DISK" bs=64k count=16 seek=64 oflag=direct status=none
dd if="$DISK" of=/dev/null bs=64k count=16 skip=64 iflag=direct status=none

# flat: a JSON document as "key":value lines, one per number (both tools' layouts; nvme-cli
# writes its 128-bit counters as strings of digits).
flat() { tr -d ' \n' | sed 's/:"\([0-9][0-9]*\)"/:\1/g; s/[{},]/\n/g' | grep ':[0-9]'; }
# val KEY <FLAT: the value of KEY.
val() { grep -m1 "^\"$1\":" | cut -d: -f2; }

# smartctl key -> nvme-cli smart-log key
MAP="available_spare:avail_spare available_spare_threshold:spare_thresh
percentage_used:percent_used data_units_read:data_units_read
data_units_written:data_units_written host_reads:host_read_commands
host_writes:host_write_commands controller_busy_time:controller_busy_time
power_cycles:power_cycles power_on_hours:power_on_hours unsafe_shutdowns:unsafe_shutdowns
media_errors:media_errors num_err_log_entries:num_err_log_entries"

for node in "$CTRL" "$DISK"; do
	name=smart-$(basename "$node")
	smartctl -a -d nvme "$node" >"/tmp/$name.txt" 2>&1
	rc=$?
	# Bits 0-2: command line, open or command failure; the rest report the drive's health.
	if [ $((rc & 7)) -ne 0 ]; then
		fail "$name-run" "smartctl -a -d nvme $node: exit $rc: $(head -c 400 "/tmp/$name.txt" | tr '\n' '|')"
		continue
	fi
	mn=$(sed -n 's/^Model Number: *//p' "/tmp/$name.txt")
	sn=$(sed -n 's/^Serial Number: *//p' "/tmp/$name.txt")
	fw=$(sed -n 's/^Firmware Version: *//p' "/tmp/$name.txt")
	health=$(sed -n 's/^SMART overall-health self-assessment test result: *//p' "/tmp/$name.txt")
	check "$name-run" "$mn/$sn/$fw/$health/$rc" \
		"$(cat "$SYS/model")/$(cat "$SYS/serial")/$(cat "$SYS/firmware_rev")/PASSED/0" \
		"smartctl -a model/serial/firmware/health/exit"

	smartctl -j -A -d nvme "$node" 2>/dev/null | flat >"/tmp/$name.sc"
	nvme smart-log "$node" -o json 2>/dev/null | flat >"/tmp/$name.nv"
	if ! [ -s "/tmp/$name.sc" ] || ! [ -s "/tmp/$name.nv" ]; then
		fail "$name-values" "no values: smartctl -j $(wc -l <"/tmp/$name.sc"), nvme smart-log $(wc -l <"/tmp/$name.nv") lines"
		continue
	fi
	bad="" n=0
	sc=$(val temperature <"/tmp/$name.sc")
	nv=$(val temperature <"/tmp/$name.nv")
	[ -n "$sc" ] && [ -n "$nv" ] && [ "$sc" -eq $((nv - 273)) ] || bad="$bad temperature:$sc/$nv-273"
	n=$((n + 1))
	for m in $MAP; do
		sc=$(val "${m%%:*}" <"/tmp/$name.sc")
		nv=$(val "${m#*:}" <"/tmp/$name.nv")
		[ -n "$sc" ] && [ "$sc" = "$nv" ] || bad="$bad ${m%%:*}:$sc/$nv"
		n=$((n + 1))
	done
	if [ -z "$bad" ]; then
		pass "$name-values" "$n SMART values equal to nvme smart-log (temperature $(val temperature <"/tmp/$name.sc") C, data units written $(val data_units_written <"/tmp/$name.sc"), power on hours $(val power_on_hours <"/tmp/$name.sc"))"
	else
		fail "$name-values" "smartctl/nvme differ:$bad"
	fi
done
exit 0
