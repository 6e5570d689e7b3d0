#!/bin/bash
# Guest test (rocknvme only): module parameters. Out-of-range values are refused at load with
# a message naming the parameter; max_io_queues above the CPU count is honoured within what
# the interrupt vectors allow (the boot may limit MSI-X with QEMU msix_qsize=N, in which case
# rnvvectors=N says how many vectors to expect).
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. /tests/lib.sh

"$RMMOD" rocknvme 2>/dev/null
for bad in io_queue_depth=1 io_queue_depth=5000 io_timeout=0 max_io_queues=4096 poll_queues=x \
	sgl_threshold=4194305; do
	refuse_param params "$bad"
done

if ! out=$("$MODPROBE" rocknvme max_io_queues=4 io_queue_depth=64 2>&1) || ! wait_for "$DISK" 30; then
	fail params-load "modprobe rocknvme max_io_queues=4 io_queue_depth=64: $out"
	exit 0
fi
sysfs=/sys/class/rocknvme/${CTRL#/dev/}
read -r mode nvec <"$sysfs/irq_mode"
nq=$(cat "$sysfs/queue_count")
if [ -n "${rnvvectors:-}" ]; then
	# Fewer vectors than queues wanted: admin + (vectors - 1) I/O queues.
	check params-vectors "$mode $nvec $nq" "msix $rnvvectors $((rnvvectors - 1))" "mode, vectors, I/O queues"
else
	check params-vectors "$mode $nvec $nq" "msix 5 4" "mode, vectors, I/O queues"
fi
check params-depth "$(cat "/sys/block/${DISK#/dev/}/mq/0/nr_tags")" 63 "tags per queue (depth 64 less the empty slot)"
exit 0
