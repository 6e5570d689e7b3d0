#!/usr/bin/env bash
# make demo's guest side: what the controller and namespace report, then a short fio
# read and write run with IOPS and bandwidth. Lines for the user start with RNV-SHOW.
. /tests/lib.sh

show() { echo "RNV-SHOW $*"; }

load_driver || exit 0
sysfs=/sys/class/rocknvme/${CTRL#/dev/}
blk=/sys/block/${DISK#/dev/}
show ""
show "controller  $CTRL: $(cat "$sysfs/model"), serial $(cat "$sysfs/serial"), firmware $(cat "$sysfs/firmware_rev")"
show "queues      $(cat "$sysfs/queue_count") I/O queue pairs, interrupts: $(cat "$sysfs/irq_mode") vector(s)"
show "namespace   $DISK: $(($(blockdev --getsize64 "$DISK") >> 20)) MiB," \
	"logical block $(blockdev --getss "$DISK") B, max transfer $(cat "$blk/queue/max_hw_sectors_kb") KiB," \
	"volatile cache: $(cat "$blk/queue/write_cache")"
if out=$(nvme id-ctrl "$CTRL" 2>&1); then
	show "nvme id-ctrl $CTRL:"
	echo "$out" | grep -E '^(vid|sn|mn|fr|mdts|nn|oncs|vwc|sqes|cqes) ' | sed 's/^/RNV-SHOW     /'
	pass demo-id-ctrl "nvme id-ctrl answered on $CTRL"
else
	fail demo-id-ctrl "nvme id-ctrl $CTRL: $out"
fi
show ""
show "fio (libaio, direct, 10 s each; QEMU TCG emulation, not hardware speed):"
# run NAME RW BS DEPTH: one fio job; terse v3 fields 7/8 are read KiB/s and IOPS, 48/49 write.
run() {
	local t r w
	if ! t=$(fio --name="$1" --filename="$DISK" --rw="$2" --bs="$3" --iodepth="$4" \
		--ioengine=libaio --direct=1 --time_based --runtime=10 --size=1G \
		--output-format=terse --terse-version=3 2>&1); then
		fail "demo-$1" "fio: $t"
		return
	fi
	r=$(echo "$t" | awk -F';' '{ printf "%d IOPS, %.1f MB/s", $8, $7 * 1024 / 1e6 }')
	w=$(echo "$t" | awk -F';' '{ printf "%d IOPS, %.1f MB/s", $49, $48 * 1024 / 1e6 }')
	case $2 in
	*read) show "  $(printf '%-10s %-9s bs=%-5s qd=%-3s' "$1" "$2" "$3" "$4") read  $r" ;;
	*) show "  $(printf '%-10s %-9s bs=%-5s qd=%-3s' "$1" "$2" "$3" "$4") write $w" ;;
	esac
	pass "demo-$1" "fio $2 bs=$3 qd=$4 ran"
}
run randread randread 4k 32
run randwrite randwrite 4k 32
run seqread read 128k 8
run seqwrite write 128k 8
show ""
