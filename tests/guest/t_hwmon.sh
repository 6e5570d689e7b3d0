#!/bin/bash
# Guest test: the controller's hwmon device (driver/hwmon.c), end to end against what the
# controller itself answers through nvme-cli:
#   - one hwmon device named rocknvme, below the controller's class device;
#   - temp1_input = the SMART log composite temperature (QEMU 7.2: 323 K) in millidegrees,
#     temp1_crit = Identify CCTEMP, temp1_max / temp1_min = Get Features Temperature
#     Threshold (over / under), temp1_alarm = SMART critical warning bit 1;
#   - temp1_max written below the composite temperature: Get Features reads the new
#     threshold back, temp1_alarm and the SMART critical warning turn on; restored: off;
#   - `sensors` (lm-sensors) shows the chip with the same temperature;
#   - a dead controller: reads fail at once with ENODEV; the controller is then unbound from
#     rocknvme (the hwmon device goes with it) and bound again (it comes back). (Not a PCI
#     remove and rescan: t_install, earlier in the same boot, loads nvme, which could take
#     the rescanned function.)
# kelvin_to_millicelsius: K * 1000 - 273150.
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. /tests/lib.sh

claim_controller
load_driver || exit 0
SYS=$(ctrl_sysfs)

# hwmon_dir: the hwmon device whose parent is $SYS (empty when none).
hwmon_dir() {
	local h
	for h in /sys/class/hwmon/hwmon*; do
		[ -e "$h/device" ] || continue
		[ "$(readlink -f "$h/device")" = "$(readlink -f "$SYS")" ] && { echo "$h"; return; }
	done
}
# mc KELVIN: millidegrees Celsius as the kernel converts.
mc() { echo $(($1 * 1000 - 273150)); }
# jnum KEY <JSON: the number after "KEY": in nvme-cli's json output.
jnum() { tr -d ' \n' | grep -o "\"$1\":[0-9]*" | head -n1 | cut -d: -f2; }
# thresh [under]: the composite sensor's threshold in kelvin, from Get Features 04h.
thresh() {
	local cdw11=0 v
	[ "${1:-}" = under ] && cdw11=0x100000
	v=$(nvme get-feature "$CTRL" -f 4 --cdw11="$cdw11" 2>/dev/null |
		sed -n 's/.*Current value:\(0x[0-9a-fA-F]*\|0\).*/\1/p')
	[ -n "$v" ] && echo $((v & 0xffff))
}
smart_json() { nvme smart-log "$CTRL" -o json 2>/dev/null; }

H=$(hwmon_dir)
if [ -z "$H" ]; then
	fail hwmon-device "no /sys/class/hwmon/hwmon* whose device is $SYS"
	exit 0
fi
check hwmon-name "$(cat "$H/name")" rocknvme "$H/name"
check hwmon-label "$(cat "$H/temp1_label")" Composite "temp1_label"

kelvin=$(smart_json | jnum temperature)
check hwmon-temp-input "$(cat "$H/temp1_input")" "$(mc "${kelvin:-0}")" \
	"temp1_input (smart-log composite ${kelvin:-?} K)"
cctemp=$(nvme id-ctrl "$CTRL" -o json 2>/dev/null | jnum cctemp)
check hwmon-temp-crit "$(cat "$H/temp1_crit")" "$(mc "${cctemp:-0}")" "temp1_crit (CCTEMP ${cctemp:-?} K)"
over=$(thresh)
under=$(thresh under)
check hwmon-temp-max "$(cat "$H/temp1_max")" "$(mc "${over:-0}")" "temp1_max (over threshold ${over:-?} K)"
check hwmon-temp-min "$(cat "$H/temp1_min")" "$(mc "${under:-0}")" "temp1_min (under threshold ${under:-?} K)"
check hwmon-alarm-off "$(cat "$H/temp1_alarm")/$(($(smart_json | jnum critical_warning) & 2))" \
	0/0 "temp1_alarm / SMART critical warning temperature bit"

# Over-temperature threshold 5 degrees below the composite temperature: the warning is raised.
orig_max=$(cat "$H/temp1_max")
low=$(($(cat "$H/temp1_input") - 5000))
if echo "$low" >"$H/temp1_max"; then
	check hwmon-set-max "$(cat "$H/temp1_max")/$(thresh)" "$low/$((kelvin - 5))" \
		"temp1_max / Get Features over threshold (K) after writing $low"
	check hwmon-alarm-on "$(cat "$H/temp1_alarm")/$(($(smart_json | jnum critical_warning) & 2))" \
		1/2 "temp1_alarm / SMART critical warning temperature bit"
else
	fail hwmon-set-max "writing $low to temp1_max failed"
fi
# (sensors before the restore: the alarm shows in its output too)
if out=$(sensors 2>&1); then
	chip=$(grep -m1 '^rocknvme-' <<<"$out")
	line=$(grep -m1 '^Composite:' <<<"$out")
	want=$(awk -v m="$(cat "$H/temp1_input")" 'BEGIN { printf "+%.1f", m / 1000 }')
	if [ -n "$chip" ] && [[ $line == *"$want"* ]] && [[ $line == *ALARM* ]]; then
		pass hwmon-sensors "sensors: $chip: $line"
	else
		fail hwmon-sensors "no rocknvme chip with Composite $want and ALARM: $(tr '\n' '|' <<<"$out")"
	fi
else
	fail hwmon-sensors "sensors failed: $out"
fi
echo "$orig_max" >"$H/temp1_max"
check hwmon-restore "$(cat "$H/temp1_max")/$(cat "$H/temp1_alarm")" "$orig_max/0" \
	"temp1_max / temp1_alarm after restoring the threshold"

# Under-temperature threshold written and read back through Get Features.
orig_min=$(cat "$H/temp1_min")
echo 10000 >"$H/temp1_min"
check hwmon-set-min "$(cat "$H/temp1_min")/$(thresh under)" "$(mc 283)/283" \
	"temp1_min / Get Features under threshold (K) after writing 10000"
echo "$orig_min" >"$H/temp1_min"

# A dead controller (debugfs stuck_ready, as t_dead): reads fail at once, nothing hangs.
bdf=$(nvme_bdf)
echo 2 >"$(debugfs_dir)/stuck_ready"
echo 1 >"$SYS/reset_controller" 2>/dev/null
start=$(now_ms)
if out=$(cat "$H/temp1_input" 2>&1); then
	fail hwmon-dead "temp1_input of a $(cat "$SYS/state") controller read $out"
else
	ms=$(($(now_ms) - start))
	if [[ $out == *"No such device"* ]] && [ "$ms" -lt 5000 ]; then
		pass hwmon-dead "state $(cat "$SYS/state"): temp1_input failed in $ms ms: ${out##*: }"
	else
		fail hwmon-dead "state $(cat "$SYS/state"), $ms ms: $out"
	fi
fi
echo "$bdf" >/sys/bus/pci/drivers/rocknvme/unbind
if [ -e "$H" ]; then
	fail hwmon-removed "$H still present after unbinding the dead controller"
else
	pass hwmon-removed "$H gone with the dead controller (unbind)"
fi
echo "$bdf" >/sys/bus/pci/drivers/rocknvme/bind
if wait_for "$DISK" 30 && H=$(hwmon_dir) && [ -n "$H" ]; then
	check hwmon-rebound "$(cat "$H/temp1_input")" "$(mc "${kelvin:-0}")" "temp1_input after binding again"
else
	fail hwmon-rebound "$DISK or the hwmon device did not come back after binding again"
fi
exit 0
