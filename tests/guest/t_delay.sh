#!/bin/bash
# Guest test (rocknvme only): the debugfs completion delay (delay_completions N, delay_ms T):
# the next N I/O completions are held T ms before the request completes. A short delay only
# slows I/O down; a delay longer than io_timeout is a slow device: the timeout fires, an
# Abort is sent, the controller is reset, and the request still completes with its data.
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. /tests/lib.sh

sysfs=/sys/class/rocknvme/${CTRL#/dev/}
dbg=/sys/kernel/debug/rocknvme/${CTRL#/dev/}
reload_rocknvme delay-load io_timeout=2 || exit 0
grep -q " /sys/kernel/debug " /proc/mounts || mount -t debugfs none /sys/kernel/debug
delayed() { awk '/^injected:/ { print $6 }' "$dbg/queues"; }
resets() { cat "$sysfs/resets"; }

# A known block to read back: 4 KiB of random data at 512 MiB, away from the fio ranges.
dd if=/dev/urandom of=/tmp/blk bs=4096 count=1 2>/dev/null
dd if=/tmp/blk of="$DISK" bs=4096 seek=131072 oflag=direct conv=notrunc 2>/dev/null
want=$(sha256sum </tmp/blk)

# timed_read NAME: one direct 4 KiB read of that block; prints "ms sha-ok|sha-bad|error".
timed_read() {
	local t0 t1 got
	t0=$(now_ms)
	if dd if="$DISK" of="/tmp/$1" bs=4096 count=1 skip=131072 iflag=direct 2>/dev/null; then
		t1=$(now_ms)
		got=$(sha256sum <"/tmp/$1")
		echo "$((t1 - t0)) $([ "$got" = "$want" ] && echo sha-ok || echo sha-bad)"
	else
		echo "$(($(now_ms) - t0)) error"
	fi
}

# 1. One completion held 500 ms, under the 2 s timeout: slower, same data, no recovery.
echo 500 >"$dbg/delay_ms"
d0=$(delayed) r0=$(resets)
echo 1 >"$dbg/delay_completions"
read -r t res <<<"$(timed_read short)"
if [ "$res" = sha-ok ] && [ "$t" -ge 500 ] && [ "$t" -lt 2000 ] &&
	[ "$(($(delayed) - d0))" -eq 1 ] && [ "$(resets)" -eq "$r0" ]; then
	pass delay-short "1 completion held 500 ms: read took $t ms, data intact, no reset"
else
	fail delay-short "read $res in $t ms (want sha-ok in 500..1999), delayed" \
		"+$(($(delayed) - d0)) (want 1), resets +$(($(resets) - r0)) (want 0)"
fi

# 2. 200 completions held 50 ms each during a write+verify run: slower, nothing lost.
echo 50 >"$dbg/delay_ms"
d0=$(delayed) r0=$(resets)
echo 200 >"$dbg/delay_completions"
if fio --name=delay --filename="$DISK" --ioengine=libaio --direct=1 --rw=randwrite \
	--bs=4k --iodepth=8 --numjobs=2 --size=4m --offset_increment=8m --verify=crc32c \
	--do_verify=1 --verify_fatal=1 --verify_state_save=0 --output-format=terse \
	--terse-version=3 >/tmp/delay.out 2>&1; then
	check delay-load "$(($(delayed) - d0)) $(($(resets) - r0))" "200 0" \
		"completions held 50 ms during fio verify (clean), resets"
else
	fail delay-load "fio failed with delayed completions: $(tail -n 3 /tmp/delay.out)"
fi

# 3. One completion held 8 s, far past the 2 s timeout (blk-mq rounds timers up to whole
#    seconds, so expiries come 2-3 s apart): timeout -> Abort (too late: the controller
#    already finished it) -> second timeout -> reset; the reset leaves the finished request
#    alone and it completes at 8 s with its data.
echo 8000 >"$dbg/delay_ms"
d0=$(delayed) r0=$(resets) a0=$(dmesg | grep -c "sending abort")
echo 1 >"$dbg/delay_completions"
read -r t res <<<"$(timed_read long)"
aborts=$(($(dmesg | grep -c "sending abort") - a0))
if [ "$res" = sha-ok ] && [ "$t" -ge 8000 ] && [ "$t" -lt 20000 ] && [ "$aborts" -ge 1 ] &&
	[ "$(($(resets) - r0))" -ge 1 ] && [ "$(cat "$sysfs/state")" = live ]; then
	pass delay-timeout "completion held 8 s: timed out, $aborts abort(s)," \
		"$(($(resets) - r0)) reset(s), read done in $t ms with its data, state live"
else
	fail delay-timeout "read $res in $t ms (want sha-ok, 8000..19999), aborts $aborts (want >= 1)," \
		"resets +$(($(resets) - r0)) (want >= 1), state $(cat "$sysfs/state")"
fi
if ! { "$RMMOD" rocknvme && "$MODPROBE" rocknvme && wait_for "$DISK" 30; }; then
	fail delay-reload "reload after the delay tests failed"
fi
exit 0
