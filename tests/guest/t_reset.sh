#!/bin/bash
# Guest test (rocknvme only): recovery. Controller resets on request, idle and spread over a
# 60 s verified write load (outstanding I/O must be replayed, nothing lost); completions
# dropped by the debugfs fault injector (timeout -> Abort -> reset -> replay); injected media
# errors that fail exactly the I/Os they hit. Figures (resets, injected faults) are in the
# result lines. rnvresetload=SECONDS (kernel command line) sets the load's length (default 60).
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. /tests/lib.sh

sysfs=/sys/class/rocknvme/${CTRL#/dev/}
dbg=/sys/kernel/debug/rocknvme/${CTRL#/dev/}
LOAD_SECONDS=${rnvresetload:-60}
LOAD_RESETS=10
RANGE_MB=32		# per fio job

# Sections 1 and 2 run with the default I/O timeout: a reset must not need a short one.
reload_rocknvme reset-load || exit 0
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

# 2. Issue 4, test 4: ten resets spread over a 60 s verified write load. The load is a
#    sequence of fio passes, each with a fresh random seed; in a pass every job owns a
#    disjoint 32 MiB range and writes it once in random order with mixed sizes, then every
#    block is read back against its crc32c: "backlog" jobs check each 32 blocks right after
#    writing them (reads and writes mixed under the resets), "bulk" jobs check after the
#    pass. So everything written is verified, and a lost or stale write fails. The resets go
#    through sysfs reset_controller, one every LOAD_SECONDS / 10, the first half a period in.
ncpu=$(nproc)
period=$((LOAD_SECONDS / LOAD_RESETS))
r0=$(resets)
rm -f /tmp/resets.done /tmp/resets.progress /tmp/reset.err
(
	ok=0 bad=0
	sleep $((period / 2))
	for ((i = 0; i < LOAD_RESETS; i++)); do
		[ "$i" -gt 0 ] && sleep "$period"
		if echo 1 >"$sysfs/reset_controller" 2>>/tmp/reset.err; then
			ok=$((ok + 1))
		else
			bad=$((bad + 1))
		fi
		echo "$ok $bad $(date +%s)" >/tmp/resets.tmp
		mv /tmp/resets.tmp /tmp/resets.progress
	done
	mv /tmp/resets.progress /tmp/resets.done
) &
resetter=$!
# Passes until LOAD_SECONDS have gone and the last reset is done (a pass is running then).
# shellcheck disable=SC2317 # called by mixed_verify_passes
load_going() {
	[ $(($(date +%s) - VERIFY_START)) -lt "$LOAD_SECONDS" ] || [ ! -e /tmp/resets.done ]
}
# shellcheck disable=SC2317 # called by mixed_verify_passes
load_progress() {
	echo "resets so far $(cut -d' ' -f1 /tmp/resets.progress /tmp/resets.done 2>/dev/null)"
}
mixed_verify_passes reset-load "$RANGE_MB" load_going load_progress
wait "$resetter"
read -r nreset nbad last </tmp/resets.done
counted=$(($(resets) - r0))
if [ -z "$VERIFY_FAILED" ]; then
	pass reset-load "$VERIFY_PASSES fio passes in ${VERIFY_SECS}s: wrote" \
		"$((VERIFY_WROTE >> 20)) MiB, verified $((VERIFY_VERIFIED >> 20)) MiB (crc32c)," \
		"0 errors, across $nreset resets (the last at $((last - VERIFY_START))s)"
else
	fail reset-load "after ${VERIFY_SECS}s: $VERIFY_FAILED"
fi
check reset-load-count "$nreset ok, $nbad failed, counter +$counted, state $(cat "$sysfs/state")" \
	"$LOAD_RESETS ok, 0 failed, counter +$LOAD_RESETS, state live" \
	"resets during the load$([ -s /tmp/reset.err ] && echo " ($(head -c 200 /tmp/reset.err))")"

# From here a short I/O timeout makes the timeout path quick: reload with io_timeout=2 (s).
reload_rocknvme reset-reload io_timeout=2 || exit 0

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

# 3b. A read whose completion is lost every time: the first try and all 5 replays time out,
#     each is aborted and then reset, and the reader gets EIO (not EAGAIN) at the end.
r0=$(resets) a0=$(dmesg | grep -c "sending abort")
echo 6 >"$dbg/drop_completions"
dd if="$DISK" of=/dev/null bs=4096 count=1 skip=4096 iflag=direct 2>/tmp/dd6.err
rc=$?
got="rc $rc, $(grep -o 'Input/output error' /tmp/dd6.err | head -n 1), $(($(resets) - r0)) resets,"
got="$got $(($(dmesg | grep -c "sending abort") - a0)) aborts, $(cat "$sysfs/state")"
check reset-exhausted "$got" "rc 1, Input/output error, 6 resets, 6 aborts, live" \
	"a read dropped 6 times (1 + 5 replays): dd's outcome, resets, aborts, state"

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
