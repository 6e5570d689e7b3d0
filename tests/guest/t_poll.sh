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
passes=0 bad=""
t0=$(now_ms)
while [ ! -e /tmp/pollrace.done ]; do
	if ! out=$(fio --name=pollrace --filename="$DISK" --ioengine=io_uring --hipri=1 --direct=1 \
		--rw=randwrite --bs=4k --iodepth=8 --size=4m --offset=$((passes % 8 * 4))m \
		--verify=crc32c --do_verify=1 --verify_fatal=1 --verify_state_save=0 \
		--output-format=terse --terse-version=3 2>&1); then
		bad="pass $passes: $(echo "$out" | tail -n 2)"
		break
	fi
	passes=$((passes + 1))
done
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
"$RMMOD" rocknvme
"$MODPROBE" rocknvme
wait_for "$DISK" 30 || fail poll-reload "$DISK did not come back without poll queues"
exit 0
