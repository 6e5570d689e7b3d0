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
(
	p=0
	while [ ! -e /tmp/pm.stop ]; do
		p=$((p + 1))
		if ! mixed_verify_pass pm "$((RANDOM + p))" 16; then
			echo "pass $p: $PASS_FAILED" >/tmp/pm.fail
			break
		fi
		echo "$p $((PASS_VERIFIED >> 20))" >>/tmp/pm.passes
	done
) &
loader=$!
n=0
for ((i = 0; i < 3; i++)); do
	sleep 2
	[ -e /tmp/pm.fail ] && break
	echo freeze >/sys/power/state 2>>/tmp/pm.err && n=$((n + 1))
done
touch /tmp/pm.stop
wait "$loader"
if [ ! -e /tmp/pm.fail ] && [ -s /tmp/pm.passes ]; then
	pass pm-load "$(wc -l </tmp/pm.passes) fio passes, $(awk '{ s += $2 } END { print s }' \
		/tmp/pm.passes) MiB verified, clean across $n suspend/resume cycles" \
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
