#!/bin/bash
# Guest test (rocknvme, runvm.sh THROTTLE=BPS): a very slow device. Namespace rnvthns (the
# first one listed) sits behind a QEMU throttle filter (x-bps-total = rnvthbps). QEMU's
# throttle lets a request through at once while its bucket holds less than a tenth of a
# second's bytes, and charges the request's size when it goes through (util/throttle.c
# throttle_compute_wait): one large write passes at once, and a 4 KiB read right behind it
# is held back W = (write - BPS / 10) / BPS seconds, 7.9 s at 64 KiB/s.
#
# rocknvme is loaded with io_timeout=T=2. blk-mq checks timeouts on whole seconds, so the
# read's first timeout (an Abort, which QEMU answers "not aborted") comes T..T+1 s after it
# was sent and the second (a controller reset) 2T..2T+2 s: before W runs out. QEMU's reset
# (hw/nvme/ctrl.c nvme_ctrl_reset) first drains every namespace, and a drain lifts the
# throttle (block/throttle.c throttle_co_drain_begin): the held-back read is done then and
# its completion is taken by the reset, so the read completes, with its data, well inside
# the replay budget (RNV_MAX_RETRIES = 5). It does not fail: on this device a throttle can
# never outlast a reset. The test checks the figures make W fall between 2T + 3 s and the
# first replay budget before it runs.
#   th-timeout   the read returned the written data, took over 2T (so it timed out), and
#                at least one Abort and 1..5 resets happened, each asked and logged done;
#                state live
#   th-slow-ok   I/O slower than the device but within the timeout (fio verify at QD1 on the
#                throttled namespace) is clean and causes no reset
#   th-after     the same controller moves verified data (fio on namespace 1), state live
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. /tests/lib.sh

T=2			# io_timeout for this test, seconds
RETRIES=5		# RNV_MAX_RETRIES in include/rocknvme.h
IFS=, read -r NSA _ <<<"${rnvthns:-}"
IFS=, read -r BPSA _ <<<"${rnvthbps:-}"
if [ -z "${NSA:-}" ] || [ -z "${BPSA:-}" ]; then
	fail th-setup "no throttled namespace (boot with runvm.sh THROTTLE=BYTES_PER_SECOND)"
	exit 0
fi
THA=${CTRL}n$NSA
reload_rocknvme th-setup "io_timeout=$T" || exit 0
if ! wait_for "$THA" 30; then
	fail th-setup "modprobe rocknvme io_timeout=$T: $THA missing"
	exit 0
fi
sysfs=$(ctrl_sysfs)
resets() { cat "$sysfs/resets"; }
count() { dmesg | grep -c "$1"; }
# wait_ms DEV BPS: WMS, how long a 4 KiB read waits behind one write of wkb KiB (the
# largest single request the namespace takes, at most 512 KiB).
wait_ms() {
	local maxkb
	maxkb=$(cat "/sys/block/$(basename "$1")/queue/max_sectors_kb")
	wkb=$((maxkb < 512 ? maxkb : 512))
	WMS=$(((wkb * 1024 - $2 / 10) * 1000 / $2))
}
# slow_read DEV: one write of $wkb KiB, then a 4 KiB read of its start right behind it, in
# the background so that a hang is reported (after 90 s), not waited for. Sets the figures.
slow_read() {
	local pid i t0 t1 t2
	dd if=/dev/urandom of=/tmp/th.src bs=1K count="$wkb" 2>/dev/null
	# The partition scan's reads left a little in the bucket: let it drain.
	sleep 3
	r0=$(resets)
	a0=$(count "timed out; sending abort")
	o0=$(count "still outstanding; resetting controller")
	d0=$(count "reset done, I/O resumed")
	t0=$(now_ms)
	dd if=/tmp/th.src of="$1" bs="${wkb}K" count=1 oflag=direct 2>/tmp/thw.err
	wrc=$?
	t1=$(now_ms)
	rm -f /tmp/th.back
	dd if="$1" of=/tmp/th.back bs=4096 count=1 iflag=direct 2>/tmp/thr.err &
	pid=$!
	for ((i = 0; i < 900; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		rrc=hung
	else
		wait "$pid"
		rrc=$?
	fi
	t2=$(now_ms)
	write_ms=$((t1 - t0))
	read_ms=$((t2 - t1))
	nres=$(($(resets) - r0))
	nabort=$(($(count "timed out; sending abort") - a0))
	nout=$(($(count "still outstanding; resetting controller") - o0))
	ndone=$(($(count "reset done, I/O resumed") - d0))
	same=no
	[ -s /tmp/th.back ] && head -c 4096 /tmp/th.src | cmp -s - /tmp/th.back && same=yes
	rerr=$(grep -o 'Input/output error\|Resource temporarily unavailable\|No data available' \
		/tmp/thr.err | head -n 1)
	figures="write ${write_ms} ms (exit $wrc), read ${read_ms} ms (exit $rrc${rerr:+, $rerr},"
	figures+=" data $same), throttle wait $WMS ms: $nabort abort(s), $nres reset(s)"
	figures+=" ($nout asked, $ndone logged done), state $(cat "$sysfs/state")"
}

# Held back longer than two timeouts: the reset recovers the read.
wait_ms "$THA" "$BPSA"
if [ "$WMS" -le $(((2 * T + 3) * 1000)) ] || [ "$WMS" -ge $((RETRIES * T * 1000)) ]; then
	fail th-timeout "a ${wkb} KiB write at $BPSA B/s holds the next read $WMS ms: want" \
		"$(((2 * T + 3) * 1000))..$((RETRIES * T * 1000)) ms (change THROTTLE)"
else
	slow_read "$THA"
	if [ "$wrc" -eq 0 ] && [ "$rrc" = 0 ] && [ "$same" = yes ] &&
		[ "$read_ms" -gt $((2 * T * 1000)) ] && [ "$nabort" -ge 1 ] &&
		[ "$nres" -ge 1 ] && [ "$nres" -le "$RETRIES" ] && [ "$nout" -eq "$nres" ] &&
		[ "$ndone" -eq "$nres" ] && [ "$(cat "$sysfs/state")" = live ]; then
		pass th-timeout "$figures"
	else
		fail th-timeout "$figures; want: both exit 0, the written data, a read over $((2 * T)) s," \
			">= 1 abort, 1..$RETRIES resets each asked and done, state live"
	fi
fi

# Slow but within the timeout: 64 KiB at QD1, 4 KiB each (a request waits 4096 / BPS s).
r0=$(resets)
t0=$(date +%s)
if out=$(fio --name=slow --filename="$THA" --ioengine=libaio --direct=1 --rw=randwrite --bs=4k \
	--iodepth=1 --offset=1m --size=64k --verify=crc32c --do_verify=1 --verify_fatal=1 \
	--verify_state_save=0 --output-format=terse --terse-version=3 2>&1); then
	check th-slow-ok "exit 0, resets +$(($(resets) - r0))" "exit 0, resets +0" \
		"fio verify of 64 KiB at QD1 on the throttled $THA ($(($(date +%s) - t0)) s)"
else
	fail th-slow-ok "fio on the throttled namespace failed: $(tail -n 3 <<<"$out")"
fi

# The same controller moves verified data at full speed on namespace 1.
if fio --name=after --filename="$DISK" --ioengine=libaio --direct=1 --rw=randwrite \
	--bssplit=4k/50:64k/30:256k/20 --iodepth=16 --numjobs=2 --size=24m --offset_increment=24m \
	--verify=crc32c --do_verify=1 --verify_fatal=1 --verify_state_save=0 \
	--output-format=terse --terse-version=3 >/tmp/th-after.out 2>&1; then
	check th-after "$(cat "$sysfs/state")" live "fio verify clean (2 x 24 MiB) on $DISK; state"
else
	fail th-after "fio failed after the timeouts: $(tail -n 3 /tmp/th-after.out)"
fi
exit 0
