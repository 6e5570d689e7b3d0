#!/bin/bash
# Guest test: soak. For rnvsoak=SECONDS (kernel command line, default 300) fio writes random
# mixed-size blocks (one sector to 1 MiB) and reads every one back with crc32c, on all I/O
# queues at once, while the controller is reset through sysfs every RESET_EVERY seconds.
#
# Verification is exact: each pass is one fio run of lib.sh's mixed_verify_jobfile (every
# block written once and read back with crc32c, a new seed per pass, jobs pinned one per CPU
# so every hardware queue carries I/O).
# Results: soak-verify (no error, bytes written = bytes verified), soak-resets (every reset
# returned success and the driver counted it), soak-queues (every I/O queue's completion
# count in debugfs grew), soak-state (live at the end).
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. /tests/lib.sh

SOAK=${rnvsoak:-300}
RESET_EVERY=20
RANGE_MB=32		# per job
load_driver || exit 0
sysfs=$(ctrl_sysfs)
dbg=/sys/kernel/debug/$DRV_MODULE/${CTRL#/dev/}
grep -q " /sys/kernel/debug " /proc/mounts || mount -t debugfs none /sys/kernel/debug
ncpu=$(nproc)
nq=$(cat "$sysfs/queue_count" 2>/dev/null || echo 0)

# completions: "qid completed" per I/O queue (debugfs columns: qid depth sq_tail cq_head
# phase submitted completed interrupts).
completions() { awk '$1 ~ /^[0-9]+$/ && $1 > 0 { print $1, $7 }' "$dbg/queues" 2>/dev/null; }
# (The guest has no /dev/fd, so no process substitution: here-strings instead.)
declare -A c0=() c1=()
while read -r q c; do [ -n "$q" ] && c0[$q]=$c; done <<<"$(completions)"

# The resets, in the background until /tmp/soak.stop appears; counts in /tmp/soak.resets.
rm -f /tmp/soak.stop
echo "0 0" >/tmp/soak.resets
r0=$(cat "$sysfs/resets" 2>/dev/null || echo 0)
(
	ok=0 bad=0
	while :; do
		for ((s = 0; s < RESET_EVERY; s++)); do
			[ -e /tmp/soak.stop ] && exit 0
			sleep 1
		done
		if echo 1 >"$sysfs/reset_controller" 2>/tmp/soak.reset.err; then
			ok=$((ok + 1))
		else
			bad=$((bad + 1))
		fi
		echo "$ok $bad" >/tmp/soak.resets
	done
) &
resetter=$!

echo "soak: ${SOAK}s, $((2 * ncpu)) jobs on $ncpu CPUs ($nq I/O queues), ${RANGE_MB} MiB each, reset every ${RESET_EVERY}s"
# shellcheck disable=SC2317 # called by mixed_verify_passes
soak_going() { [ $(($(date +%s) - VERIFY_START)) -lt "$SOAK" ]; }
# shellcheck disable=SC2317 # called by mixed_verify_passes
soak_progress() { echo "resets $(cat /tmp/soak.resets)"; }
mixed_verify_passes soak "$RANGE_MB" soak_going soak_progress
touch /tmp/soak.stop
wait "$resetter"
read -r nreset nbad </tmp/soak.resets
counted=$(($(cat "$sysfs/resets" 2>/dev/null || echo 0) - r0))

if [ -z "$VERIFY_FAILED" ]; then
	pass soak-verify "$VERIFY_PASSES passes in ${VERIFY_SECS}s, $((2 * ncpu)) jobs on $ncpu CPUs:" \
		"wrote $((VERIFY_WROTE >> 20)) MiB, verified $((VERIFY_VERIFIED >> 20)) MiB (crc32c), 0 errors"
else
	fail soak-verify "after ${VERIFY_SECS}s: $VERIFY_FAILED"
fi
if [ "$nbad" -ne 0 ]; then
	fail soak-resets "$nbad of $((nreset + nbad)) resets failed: $(cat /tmp/soak.reset.err)"
elif [ "$nreset" -lt 1 ]; then
	fail soak-resets "no reset happened in ${VERIFY_SECS}s (one every ${RESET_EVERY}s)"
elif [ "$DRV_MODULE" = rocknvme ] && [ "$counted" -lt "$nreset" ]; then
	fail soak-resets "$nreset resets returned success, but $sysfs/resets grew by $counted"
else
	pass soak-resets "survived $nreset resets under load (driver counted $counted)"
fi
if [ "$DRV_MODULE" = rocknvme ]; then
	grown=0 stuck="" per=""
	while read -r q c; do [ -n "$q" ] && c1[$q]=$c; done <<<"$(completions)"
	for ((q = 1; q <= nq; q++)); do
		d=$((${c1[$q]:-0} - ${c0[$q]:-0}))
		per+=" q$q+$d"
		if [ "$d" -gt 0 ]; then grown=$((grown + 1)); else stuck+=" $q"; fi
	done
	if [ "$nq" -gt 0 ] && [ "$grown" -eq "$nq" ]; then
		pass soak-queues "all $nq I/O queues completed I/O:$per"
	else
		fail soak-queues "$grown of $nq I/O queues completed I/O (idle:${stuck:- none}):$per"
	fi
fi
check soak-state "$(cat "$sysfs/state")" live "controller state after the soak"
exit 0
