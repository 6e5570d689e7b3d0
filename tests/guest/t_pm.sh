#!/bin/bash
# Guest test (rocknvme only): system suspend and resume. The guest has no way to be woken
# from a real s2idle here (no wake-up source on QEMU's virt board that the test can fire), so
# the kernel's PM test mode does the round trip: with /sys/power/pm_test = devices, writing
# "freeze" to /sys/power/state freezes tasks, runs every driver's suspend callback, waits
# pm_test_delay seconds, then runs the resume callbacks, exactly as a real suspend would up to
# the point where the platform sleeps. Three such cycles run during a fio write+verify load:
# the driver must drain, shut the controller down (CC.SHN), bring it back, and lose nothing.
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. /tests/lib.sh

grep -q " /sys/kernel/debug " /proc/mounts || mount -t debugfs none /sys/kernel/debug
dbg=/sys/kernel/debug/rocknvme/${CTRL#/dev/}
sysfs=/sys/class/rocknvme/${CTRL#/dev/}
if ! [ -w /sys/power/pm_test ] || ! grep -qw freeze /sys/power/state; then
	fail pm-support "no /sys/power/pm_test or no freeze in /sys/power/state:" \
		"$(cat /sys/power/state 2>&1)"
	exit 0
fi
load_driver || exit 0
suspends() { sed -n 's/.*suspends \([0-9]*\).*/\1/p' "$dbg/regs"; }
[ -w /sys/module/suspend/parameters/pm_test_delay ] &&
	echo 1 >/sys/module/suspend/parameters/pm_test_delay

# 1. Idle cycle: the controller goes through shutdown and comes back live.
echo devices >/sys/power/pm_test
s0=$(suspends)
if echo freeze >/sys/power/state 2>/tmp/pm.err; then
	check pm-idle "$(($(suspends) - s0)) $(cat "$sysfs/state")" "1 live" "suspends, state after resume"
else
	fail pm-idle "echo freeze > /sys/power/state: $(cat /tmp/pm.err)"
fi

# 2. Three cycles under a write+verify load: back-to-back passes of lib.sh's mixed-size
#    write + crc32c read-back (every block written is verified), until the cycles are done.
s0=$(suspends)
rm -f /tmp/pm.stop /tmp/pm.fail /tmp/pm.passes
# shellcheck disable=SC2317 # called by mixed_verify_passes
pm_going() { [ ! -e /tmp/pm.stop ]; }
# shellcheck disable=SC2317 # called by mixed_verify_passes
pm_progress() { echo "suspends so far $(($(suspends) - s0))"; }
(
	mixed_verify_passes pm 16 pm_going pm_progress
	echo "$VERIFY_PASSES $((VERIFY_VERIFIED >> 20))" >/tmp/pm.passes
	[ -z "$VERIFY_FAILED" ] || echo "$VERIFY_FAILED" >/tmp/pm.fail
) &
loader=$!
n=0
for ((i = 0; i < 3; i++)); do
	sleep 2
	# The loader only ends early when a pass failed.
	kill -0 "$loader" 2>/dev/null || break
	echo freeze >/sys/power/state 2>>/tmp/pm.err && n=$((n + 1))
done
touch /tmp/pm.stop
wait "$loader"
read -r np mib </tmp/pm.passes
if [ ! -e /tmp/pm.fail ] && [ "$np" -gt 0 ]; then
	pass pm-load "$np fio passes, $mib MiB verified, clean across $n suspend/resume cycles" \
		"($(($(suspends) - s0)) counted by the driver)"
else
	fail pm-load "fio failed across $n suspend/resume cycles: $(cat /tmp/pm.fail 2>&1)"
fi
[ "$n" -eq 3 ] || fail pm-load-count "only $n of 3 cycles happened: $(cat /tmp/pm.err)"
echo none >/sys/power/pm_test

# The driver's own account: a shutdown and a restart per cycle, no reset, no failure.
shut=$(dmesg | grep -c "rocknvme.*suspended$")
res=$(dmesg | grep -c "rocknvme.*resumed, I/O flows")
check pm-log "$shut $res $(dmesg | grep -c 'rocknvme.*resume failed')" "$((n + 1)) $((n + 1)) 0" \
	"'suspended', 'resumed' and 'resume failed' lines in the kernel log"
exit 0
