#!/bin/bash
# Guest test: ioctl fuzz. rnv-ioctl fuzz sends COUNT (10000) random passthrough ioctls to the
# controller node and the namespace disk (admin/IO, 32- and 64-bit, SUBMIT_IO, undefined
# numbers; random opcodes, fields, lengths, timeouts and good and bad buffers, leaving out
# what would legitimately destroy the namespace or the controller's set-up: see the fuzz
# comment in tests/tools/ioctl-fuzz.c). The seed is printed and replays the same calls:
# kernel command line rnvseed=N (default: the time), rnvfuzz=COUNT.
# Results: fuzz-run (it completed and Identify still answers, with the outcome counts),
# fuzz-sanity (no implausible outcome, e.g. success for an unmapped buffer), fuzz-state
# (the controller is live), then fio verify at two block sizes on the blocks the fuzz never
# wrote (its media writes start at 64 MiB). init's dmesg check catches WARN/BUG/Oops.
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. /tests/lib.sh

COUNT=${rnvfuzz:-10000}
SEED=${rnvseed:-$(date +%s)}
# Longest the fuzz may take before it counts as hung (10000 calls take about a minute).
LIMIT=480

load_driver || exit 0
sysfs=$(ctrl_sysfs)
nvmemode=""
[ "$RNV_DRIVER" = nvme ] && nvmemode=nvme
r0=$(cat "$sysfs/resets" 2>/dev/null || echo 0)
echo "fuzz: $COUNT ioctls, seed $SEED (replay: rnvseed=$SEED)"

# The fuzz runs in the background so a call stuck in the kernel is reported with its trace
# (each call goes to /tmp/fuzz.trace before it is made, its outcome after).
start=$(date +%s)
rnv-ioctl fuzz "$CTRL" "$DISK" "$COUNT" "$SEED" $nvmemode >/tmp/fuzz.out 2>/tmp/fuzz.trace &
pid=$!
while kill -0 "$pid" 2>/dev/null && [ $(($(date +%s) - start)) -lt "$LIMIT" ]; do
	sleep 1
done
if kill -0 "$pid" 2>/dev/null; then
	fail fuzz-run "seed $SEED: no end after ${LIMIT}s, stuck in: $(tail -n 1 /tmp/fuzz.trace)"
	head -n 20 "/proc/$pid/stack" 2>/dev/null
	kill -KILL "$pid" 2>/dev/null
	exit 0
fi
wait "$pid"
rc=$?
secs=$(($(date +%s) - start))
grep -E '^(INFO|SUMMARY|IOCTLS|STATUS|ANOMAL|IDENTIFY)' /tmp/fuzz.out
summary=$(sed -n 's/^SUMMARY //p' /tmp/fuzz.out)
resets=$(($(cat "$sysfs/resets" 2>/dev/null || echo 0) - r0))
case $rc in
0 | 3)
	pass fuzz-run "seed $SEED, $summary; Identify still answers; $resets controller reset(s)" ;;
1)
	fail fuzz-run "seed $SEED: $(grep '^IDENTIFY' /tmp/fuzz.out); $summary" ;;
*)
	fail fuzz-run "seed $SEED: rnv-ioctl exited $rc after ${secs}s: $(tail -n 2 /tmp/fuzz.out)" \
		"$(tail -n 2 /tmp/fuzz.trace)"
	exit 0 ;;
esac
if [ "$rc" = 3 ]; then
	fail fuzz-sanity "seed $SEED: $(sed -n 's/^INFO \([0-9]*\) anomalies.*/\1/p' /tmp/fuzz.out)" \
		"implausible outcomes: $(sed -n 's/^ANOMALIES //p' /tmp/fuzz.out | tr '\n' ';')" \
		"first: $(grep -m1 '^ANOMALY ' /tmp/fuzz.out)"
else
	pass fuzz-sanity "no implausible outcome (bad buffers and pointers all refused)"
fi
check fuzz-state "$(cat "$sysfs/state")" live "controller state after the fuzz"

# The data path still moves verified data (offsets 0..16 MiB and 0..33 MiB: below the 64 MiB
# where the fuzz's media writes start).
export DISK
NJ=3
export NJ
BS=4k SIZE=4m run_fio after-fuzz-4k /tests/fio-jobs/verify-bs.fio $((1 + NJ))
BS=132k SIZE=8448k run_fio after-fuzz-132k /tests/fio-jobs/verify-bs.fio $((1 + NJ))
exit 0
