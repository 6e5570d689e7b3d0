#!/bin/bash
# Guest test (rocknvme only): polled I/O. With poll_queues=1 the driver creates one I/O
# queue without an interrupt; fio's io_uring engine with hipri=1 must complete through
# blk-mq's poll path on that queue (its completion count grows, its interrupt count stays 0)
# and the data must verify.
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. /tests/lib.sh

reload_rocknvme poll-load poll_queues=1 || exit 0
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
"$RMMOD" rocknvme
"$MODPROBE" rocknvme
wait_for "$DISK" 30 || fail poll-reload "$DISK did not come back without poll queues"
exit 0
