#!/bin/bash
# Guest test: soak. For rnvsoak=SECONDS (kernel command line, default 300) fio writes random
# mixed-size blocks (one sector to 1 MiB) and reads every one back with crc32c, on all I/O
# queues at once, while the controller is reset through sysfs every RESET_EVERY seconds.
#
# Verification is exact: each pass is one fio run whose jobs each own a disjoint range and
# write it once in random order (fio's random map: no block twice, no overlap between
# in-flight writes), then read every block back; "backlog" jobs check each 32 blocks right
# after writing them (reads and writes mixed under the resets), "bulk" jobs check after the
# pass. Every pass has its own random seed, so offsets, sizes and data differ from the pass
# before: a lost or stale write fails the check. Jobs are pinned one per CPU
# (cpus_allowed_policy=split), so every CPU's hardware queue carries I/O.
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

split=4k/35:8k/10:12k/10:64k/15:132k/15:1m/15
[ "$LBS" = 512 ] && split=512/10:4k/25:8k/10:12k/10:64k/15:132k/15:1m/15
# job_file SEED: one pass.
job_file() {
	cat <<EOF
[global]
filename=$DISK
ioengine=libaio
direct=1
rw=randwrite
bssplit=$split
size=${RANGE_MB}m
verify=crc32c
do_verify=1
verify_fatal=1
verify_state_save=0
randseed=$1
numjobs=$ncpu
cpus_allowed=0-$((ncpu - 1))
cpus_allowed_policy=split

[backlog]
offset=0
offset_increment=${RANGE_MB}m
iodepth=16
verify_backlog=32

[bulk]
offset=$((ncpu * RANGE_MB))m
offset_increment=${RANGE_MB}m
iodepth=32
EOF
}

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

start=$(date +%s)
passes=0 wrote=0 verified=0 failed=""
echo "soak: ${SOAK}s, $((2 * ncpu)) jobs on $ncpu CPUs ($nq I/O queues), ${RANGE_MB} MiB each, reset every ${RESET_EVERY}s"
while [ $(($(date +%s) - start)) -lt "$SOAK" ]; do
	passes=$((passes + 1))
	seed=$((start + passes))
	job_file "$seed" >/tmp/soak.fio
	fio --eta=never --output-format=json --output=/tmp/soak.json /tmp/soak.fio 2>/tmp/soak.err
	rc=$?
	# Per job: its "error", then the io_bytes of read (the verify) and write.
	read -r jobs errs rd wr <<<"$(awk -F' : ' '
		/"jobname"/ { jobs++; n = 0 }
		/^      "error"/ { sub(/,.*/, "", $2); if ($2 + 0) errs++ }
		/"io_bytes"/ { sub(/,.*/, "", $2); n++; if (n == 1) rd += $2; if (n == 2) wr += $2 }
		END { printf "%d %d %d %d", jobs, errs, rd, wr }' /tmp/soak.json 2>/dev/null)"
	jobs=${jobs:-0} errs=${errs:-1} rd=${rd:-0} wr=${wr:-0}
	wrote=$((wrote + wr))
	verified=$((verified + rd))
	echo "soak pass $passes (seed $seed) at $(($(date +%s) - start))s: exit $rc, $jobs jobs," \
		"wrote $((wr >> 20)) MiB, verified $((rd >> 20)) MiB; resets $(cat /tmp/soak.resets)"
	if [ "$rc" -ne 0 ] || [ "$errs" -ne 0 ] || [ "$jobs" -ne $((2 * ncpu)) ] ||
		[ "$wr" -eq 0 ] || [ "$rd" -ne "$wr" ]; then
		failed="pass $passes (seed $seed): exit $rc, $jobs/$((2 * ncpu)) jobs, $errs job errors,"
		failed+=" wrote $wr B, verified $rd B: $(grep -v '^$' /tmp/soak.err | head -n 5)"
		break
	fi
done
secs=$(($(date +%s) - start))
touch /tmp/soak.stop
wait "$resetter"
read -r nreset nbad </tmp/soak.resets
counted=$(($(cat "$sysfs/resets" 2>/dev/null || echo 0) - r0))

if [ -z "$failed" ]; then
	pass soak-verify "$passes passes in ${secs}s, $((2 * ncpu)) jobs on $ncpu CPUs:" \
		"wrote $((wrote >> 20)) MiB, verified $((verified >> 20)) MiB (crc32c), 0 errors"
else
	fail soak-verify "after ${secs}s: $failed"
fi
if [ "$nbad" -ne 0 ]; then
	fail soak-resets "$nbad of $((nreset + nbad)) resets failed: $(cat /tmp/soak.reset.err)"
elif [ "$nreset" -lt 1 ]; then
	fail soak-resets "no reset happened in ${secs}s (one every ${RESET_EVERY}s)"
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
