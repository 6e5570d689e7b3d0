#!/bin/bash
# Guest test: namespace changes racing resets (issue 11, item 7); boot with
# NVME_LAYOUT=subsys2ns. For rnvracesecs (default 60) seconds one loop attaches namespace 2,
# rescans, detaches it and rescans again (each attach/detach also makes the driver rescan, and
# the controller sends a Namespace Attribute Changed event), while another resets the
# controller about once a second. Disks are added and deleted in every window of a reset: a
# disk left quiesced, or a lock taken in the wrong order, hangs a task. The kernel's hung-task
# detector runs with a 10 s limit; every command must return, the controller must end live,
# and namespace 1, which carries a crc32c-verified fio load meanwhile, must lose nothing.
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. /tests/lib.sh

SECS=${rnvracesecs:-60}
load_driver || exit 0
sysfs=$(ctrl_sysfs)
cntlid=$(($(nvme id-ctrl "$CTRL" 2>/dev/null | field cntlid)))
[ -w /proc/sys/kernel/hung_task_timeout_secs ] && echo 10 >/proc/sys/kernel/hung_task_timeout_secs
dd if=/dev/urandom of=/tmp/racepat bs=64k count=4 status=none
dd if=/tmp/racepat of="$DISK" bs=64k seek=8192 oflag=direct conv=fsync status=none

end=$(($(date +%s) + SECS))
(
	n=0 bad=0
	while [ "$(date +%s)" -lt "$end" ]; do
		for op in "attach-ns -n 2 -c $cntlid" ns-rescan "detach-ns -n 2 -c $cntlid" ns-rescan; do
			# shellcheck disable=SC2086 # op is a command and its arguments
			timeout 60 nvme $op "$CTRL" >/dev/null 2>&1 || bad=$((bad + 1))
			n=$((n + 1))
		done
	done
	echo "$n $bad" >/tmp/race.ns
) &
nsloop=$!
(
	n=0 bad=0
	while [ "$(date +%s)" -lt "$end" ]; do
		if timeout 60 sh -c "echo 1 >$sysfs/reset_controller" 2>/dev/null; then
			n=$((n + 1))
		else
			bad=$((bad + 1))
		fi
		sleep 0.$((RANDOM % 10))
	done
	echo "$n $bad" >/tmp/race.reset
) &
resetloop=$!
# shellcheck disable=SC2317 # called by mixed_verify_passes
going() { [ "$(date +%s)" -lt "$end" ]; }
# shellcheck disable=SC2317 # called by mixed_verify_passes
progress() { echo "state $(cat "$sysfs/state")"; }
mixed_verify_passes nsrace 16 going progress
wait "$nsloop" "$resetloop"
if [ -z "$VERIFY_FAILED" ]; then
	pass nsrace-ns1-load "$VERIFY_PASSES passes on $DISK wrote and verified $((VERIFY_WROTE >> 20)) MiB during the race"
else
	fail nsrace-ns1-load "$VERIFY_FAILED"
fi
read -r nops nsbad </tmp/race.ns
read -r nresets rbad </tmp/race.reset
echo "nsrace: $nops namespace commands ($nsbad failed), $nresets resets ($rbad refused) in $SECS s"
if [ "$nops" -gt 0 ] && [ "$nresets" -gt 0 ]; then
	pass nsrace-ran "$nops namespace commands ($nsbad returned errors), $nresets resets ($rbad refused) in $SECS s"
else
	fail nsrace-ran "$nops namespace commands, $nresets resets: a loop made no progress"
fi
if dmesg_has 'blocked for more than'; then
	fail nsrace-hung "$(dmesg | grep -m1 'blocked for more than')"
else
	pass nsrace-hung "no hung task (detector limit 10 s)"
fi
check nsrace-state "$(cat "$sysfs/state")" live "controller state after the race"
# Leave namespace 2 detached and the disks settled, then check namespace 1.
nvme detach-ns "$CTRL" -n 2 -c "$cntlid" >/dev/null 2>&1
nvme ns-rescan "$CTRL" >/dev/null 2>&1
if [ "$(dd if="$DISK" bs=64k skip=8192 count=4 iflag=direct status=none | sha256sum)" = \
	"$(sha256sum </tmp/racepat)" ]; then
	pass nsrace-ns1 "$DISK data intact after the race"
else
	fail nsrace-ns1 "$DISK data differs after the race"
fi
exit 0
