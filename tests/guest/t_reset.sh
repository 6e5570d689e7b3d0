#!/bin/bash
# Guest test (rocknvme only): recovery. Controller resets on request, idle and under a fio
# verify load (outstanding I/O must be replayed, nothing lost); completions dropped by the
# debugfs fault injector (timeout -> Abort -> reset -> replay); injected media errors that
# fail exactly the I/Os they hit. Figures (resets, injected faults) are in the result lines.
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. /tests/lib.sh

sysfs=/sys/class/rocknvme/${CTRL#/dev/}
dbg=/sys/kernel/debug/rocknvme/${CTRL#/dev/}

# A short I/O timeout makes the timeout path quick: loaded with io_timeout=2 (seconds).
"$RMMOD" rocknvme 2>/dev/null
if ! out=$("$MODPROBE" rocknvme io_timeout=2 2>&1) || ! wait_for "$DISK" 30; then
	fail reset-load "modprobe rocknvme io_timeout=2: $out"
	exit 0
fi
grep -q " /sys/kernel/debug " /proc/mounts || mount -t debugfs none /sys/kernel/debug

resets() { cat "$sysfs/resets"; }

# verify_job NAME [LOOPS]: fio write+verify, 2 jobs on disjoint 24 MiB ranges at QD16.
verify_job() {
	fio --name="$1" --filename="$DISK" --ioengine=libaio --direct=1 --rw=randwrite \
		--bssplit=4k/50:64k/30:256k/20 --iodepth=16 --numjobs=2 --size=24m \
		--offset_increment=24m --loops="${2:-1}" --verify=crc32c --do_verify=1 --verify_fatal=1 \
		--verify_state_save=0 --output-format=terse --terse-version=3 \
		>"/tmp/$1.out" 2>&1
}

# 1. Idle reset through sysfs: state back to live, counter up, data path still works.
r0=$(resets)
if echo 1 >"$sysfs/reset_controller"; then
	check reset-idle "$(cat "$sysfs/state") $(($(resets) - r0))" "live 1" "state and resets"
else
	fail reset-idle "write to reset_controller failed"
fi

# 2. Ten resets during a fio verify run.
r0=$(resets)
verify_job underload 8 &
pid=$!
n=0
for ((i = 0; i < 10; i++)); do
	sleep 1
	kill -0 "$pid" 2>/dev/null || break
	echo 1 >"$sysfs/reset_controller" && n=$((n + 1))
done
if wait "$pid"; then
	pass reset-load "fio verify clean across $n resets during the run ($(($(resets) - r0)) counted)"
else
	fail reset-load "fio failed across $n resets: $(tail -n 3 /tmp/underload.out)"
fi
[ "$n" -ge 5 ] || fail reset-load-count "only $n resets happened while fio ran (want >= 5)"

# 3. Dropped completions: each lost completion times out, is aborted, then reset and replayed.
r0=$(resets)
echo 3 >"$dbg/drop_completions"
if verify_job dropped; then
	dropped=$(awk '/^injected:/ { print $2 }' "$dbg/queues")
	if [ "$dropped" -eq 3 ] && [ "$(resets)" -gt "$r0" ]; then
		pass reset-dropped "3 completions dropped, $(($(resets) - r0)) reset(s), fio verify clean"
	else
		fail reset-dropped "dropped $dropped (want 3), resets $(($(resets) - r0)) (want > 0)"
	fi
else
	fail reset-dropped "fio failed: $(tail -n 3 /tmp/dropped.out)"
fi
dmesg | grep -q "sending abort" || fail reset-abort "no Abort was sent for the lost completions"

# 4. Injected errors with Do Not Retry: exactly the next 4 reads fail, then reads work again.
#    An internal error (0x4006) reaches the reader as EIO; an unrecovered read error (0x4281)
#    is a medium error, which the block layer reports as ENODATA, like the in-kernel driver.
inject() { # inject NAME STATUS ERRNO-TEXT
	local errs=0 oks=0 other=""
	echo "$2" >"$dbg/fail_status"
	echo 4 >"$dbg/fail_commands"
	for ((i = 0; i < 8; i++)); do
		if dd if="$DISK" of=/dev/null bs=4096 count=1 skip=$((i * 7)) iflag=direct \
			2>/tmp/dd.err; then
			oks=$((oks + 1))
		elif grep -q "$3" /tmp/dd.err; then
			errs=$((errs + 1))
		else
			other=$(tail -n 1 /tmp/dd.err)
		fi
	done
	check "$1" "$errs failed, $oks ok${other:+, other: $other}" "4 failed, 4 ok" \
		"8 single-block reads after injecting 4 x status $2 ($3)"
}
inject reset-inject-eio 0x4006 "Input/output error"
inject reset-inject-medium 0x4281 "No data available"

# 5. After all that the controller still moves verified data.
if verify_job after; then
	pass reset-after "fio verify clean after resets and injected faults; state $(cat "$sysfs/state")"
else
	fail reset-after "fio failed: $(tail -n 3 /tmp/after.out)"
fi
exit 0
