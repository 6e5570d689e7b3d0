#!/bin/bash
# Guest test (rocknvme only): polled I/O. With poll_queues=1 the driver creates one I/O
# queue without an interrupt; fio's io_uring engine with hipri=1 must complete through
# blk-mq's poll path on that queue (its completion count grows, its interrupt count stays 0)
# and the data must verify.
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. /tests/lib.sh

reload_rocknvme poll-load poll_queues=1 io_timeout=3 || exit 0
grep -q " /sys/kernel/debug " /proc/mounts || mount -t debugfs none /sys/kernel/debug
qfile=/sys/kernel/debug/rocknvme/${CTRL#/dev/}/queues
# The polled queue is the last one: qid = number of I/O queues.
pq=$(cat "/sys/class/rocknvme/${CTRL#/dev/}/queue_count")
# Columns: qid depth sq_tail cq_head phase submitted completed interrupts.
row() { awk -v q="$pq" '$1 == q { print $7, $8 }' "$qfile"; }
read -r c0 i0 <<<"$(row)"
if out=$(fio --name=poll --filename="$DISK" --ioengine=io_uring --hipri=1 --direct=1 \
	--rw=randwrite --bs=4k --iodepth=4 --size=8m --verify=crc32c --do_verify=1 \
	--verify_fatal=1 --verify_state_save=0 --output-format=terse --terse-version=3 2>&1); then
	read -r c1 i1 <<<"$(row)"
	if [ "$((c1 - c0))" -ge 4096 ] && [ "$i1" -eq "$i0" ]; then
		pass poll-verify "8 MiB written and verified through poll queue $pq: $((c1 - c0)) completions, 0 interrupts"
	else
		fail poll-verify "poll queue $pq: completions $c0 -> $c1 (want +4096), interrupts $i0 -> $i1 (want none)"
	fi
else
	fail poll-verify "fio: $(echo "$out" | tail -n 3)"
fi

# Polled completions end in the poller's batch after cq_lock is dropped; a reset's cancel in
# that window must skip them (a double completion breaks the started = ended count or the
# kernel). For rnvpollsecs (default 20) seconds polled verified fio passes run while a loop
# resets the controller and holds polled completions back (delay_ms 300, released late).
SECS=${rnvpollsecs:-20}

# passes_until NAME KIB DONE: polled fio passes, each writing KIB KiB (the next of 8 regions)
# and verifying it with crc32c, until the file DONE appears. Sets passes (those completed) and
# bad (the failing pass and fio's last lines; empty when none failed).
passes_until() {
	local out
	passes=0 bad=""
	while [ ! -e "$3" ]; do
		if ! out=$(fio --name="$1" --filename="$DISK" --ioengine=io_uring --hipri=1 \
			--direct=1 --rw=randwrite --bs=4k --iodepth=8 --size="$2"k \
			--offset=$((passes % 8 * $2))k --verify=crc32c --do_verify=1 --verify_fatal=1 \
			--verify_state_save=0 --output-format=terse --terse-version=3 2>&1); then
			bad="pass $passes: $(echo "$out" | tail -n 2)"
			return
		fi
		passes=$((passes + 1))
	done
}
dbg=$(debugfs_dir)
sysfs=$(ctrl_sysfs)
echo 300 >"$dbg/delay_ms"
read -r c0 i0 <<<"$(row)"
rm -f /tmp/pollrace.done
end=$(($(date +%s) + SECS))
(
	nr=0 nh=0
	while [ "$(date +%s)" -lt "$end" ]; do
		if [ $((RANDOM % 2)) -eq 0 ]; then
			echo 1 >"$sysfs/reset_controller" 2>/dev/null && nr=$((nr + 1))
		else
			echo 4 >"$dbg/delay_completions" && nh=$((nh + 4))
		fi
		sleep 0.$((RANDOM % 10 + 2))
	done
	echo "$nr $nh" >/tmp/pollrace.done
) &
chaos=$!
t0=$(now_ms)
passes_until pollrace 4096 /tmp/pollrace.done
wait "$chaos"
read -r nreset nhold </tmp/pollrace.done
echo 0 >"$dbg/delay_completions"
read -r c1 i1 <<<"$(row)"
if [ -z "$bad" ] && [ "$passes" -gt 0 ] && [ "$((c1 - c0))" -gt 0 ]; then
	pass poll-race-verify "$passes polled passes wrote and verified $((passes * 4)) MiB in $(($(now_ms) - t0)) ms under $nreset resets, $nhold holds asked; poll queue $pq: $((c1 - c0)) completions"
else
	fail poll-race-verify "${bad:-$passes passes, poll queue completions $c0 -> $c1}"
fi
sleep 1
check_each_once poll-race-once
check poll-race-state "$(cat "$sysfs/state")" live "controller state"

# The window itself: after a poller reaped completions and left the CQ lock and its iopoll
# callback, before it ends its batch. A real poller can be preempted there; in QEMU it lasts
# microseconds and no reset lands in it, so the race above never reaches the case. Here
# debugfs poll_gap_us makes each polled batch sleep 200 ms before it is ended, longer than
# most resets of this controller take to reach their cancel (more with more namespaces to
# quiesce), so over rnvpollsecs seconds of resets some cancels find requests still in a
# poller's batch. Those are counted in debugfs (poll-window-hit); every request must still
# end exactly once, and the data must verify.

# in_batch: how many times a reset's cancel found a request in a poller's batch (debugfs).
in_batch() { sed -n "s/^cancel: \([0-9]*\) left in a poller's batch$/\1/p" "$dbg/queues"; }
window_race() {
	local w0 w1 chaos nreset end t0
	w0=$(in_batch)
	echo 200000 >"$dbg/poll_gap_us"
	rm -f /tmp/pollwin.done
	end=$(($(date +%s) + SECS))
	(
		nr=0
		while [ "$(date +%s)" -lt "$end" ]; do
			sleep 0.$((RANDOM % 5 + 3))
			echo 1 >"$sysfs/reset_controller" 2>/dev/null && nr=$((nr + 1))
		done
		echo "$nr" >/tmp/pollwin.done
	) &
	chaos=$!
	t0=$(now_ms)
	passes_until pollwin 64 /tmp/pollwin.done
	wait "$chaos"
	read -r nreset </tmp/pollwin.done
	echo 0 >"$dbg/poll_gap_us"
	w1=$(in_batch)
	if [ -z "$bad" ] && [ "$passes" -gt 0 ]; then
		pass poll-window-verify "$passes polled passes with the gap wrote and verified $((passes * 64)) KiB in $(($(now_ms) - t0)) ms under $nreset resets"
	else
		fail poll-window-verify "${bad:-no pass completed}"
	fi
	if [ -n "$w0" ] && [ -n "$w1" ] && [ "$((w1 - w0))" -gt 0 ]; then
		pass poll-window-hit "$((w1 - w0)) times a reset's cancel found a request waiting in a poller's batch ($nreset resets) and left it to the poller"
	else
		fail poll-window-hit "no cancel found a request in a poller's batch (count '$w0' -> '$w1', $nreset resets): the race was not reached"
	fi
	sleep 1
	check_each_once poll-window-once
	check poll-window-state "$(cat "$sysfs/state")" live "controller state"
}
window_race
"$RMMOD" rocknvme
"$MODPROBE" rocknvme
wait_for "$DISK" 30 || fail poll-reload "$DISK did not come back without poll queues"
exit 0
