#!/bin/bash
# Guest test: every request is completed exactly once while resets, timeouts and kills race
# the completion paths (issue 11, item 2). For rnvkillsecs (default 60) seconds a fully
# verified mixed fio load runs on every queue while a loop keeps, at random, resetting the
# controller, dropping completions (timeout -> Abort -> reset) and holding completions back
# (delay_ms 300) with io_timeout=3. Afterwards the driver's debugfs counters must show as
# many requests ended as were dispatched (a double completion or a lost one breaks the
# equality, or the kernel), every byte written must verify, and the controller must be live.
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. /tests/lib.sh

SECS=${rnvkillsecs:-60}
reload_rocknvme killrace-load io_timeout=3 || exit 0
sysfs=$(ctrl_sysfs)
dbg=$(debugfs_dir)
echo 300 >"$dbg/delay_ms"
end=$(($(date +%s) + SECS))
(
	nr=0 nd=0 nh=0 armed_at=-64
	while [ "$(date +%s)" -lt "$end" ]; do
		# Drops only while I/O flows (64 requests started since the last ones): at the
		# tail of a pass the only requests in flight are the replays of the last drop,
		# and dropping them again and again would exhaust the driver's bounded retries
		# (RNV_MAX_RETRIES), a failure the test did not mean to cause.
		read -r started _ <<<"$(rq_counts)"
		case $((RANDOM % 3)) in
		0) echo 1 >"$sysfs/reset_controller" 2>/dev/null && nr=$((nr + 1)) ;;
		1) if [ "$(cat "$dbg/drop_completions")" = 0 ] && [ "${started:-0}" -ge $((armed_at + 64)) ]; then
			echo 2 >"$dbg/drop_completions" && nd=$((nd + 2)) armed_at=$started
		fi ;;
		2) echo 8 >"$dbg/delay_completions" && nh=$((nh + 8)) ;;
		esac
		sleep 1.$((RANDOM % 10))
	done
	echo "$nr $nd $nh" >/tmp/killrace.done
) &
chaos=$!
# shellcheck disable=SC2317 # called by mixed_verify_passes
going() { [ ! -e /tmp/killrace.done ]; }
# shellcheck disable=SC2317 # called by mixed_verify_passes
progress() { echo "requests $(rq_counts)"; }
mixed_verify_passes killrace 16 going progress
wait "$chaos"
read -r nreset ndrop nhold </tmp/killrace.done
echo 0 >"$dbg/drop_completions"
echo 0 >"$dbg/delay_completions"
if [ -z "$VERIFY_FAILED" ]; then
	pass killrace-verify "$VERIFY_PASSES passes wrote and verified $((VERIFY_WROTE >> 20)) MiB in $VERIFY_SECS s under $nreset resets, $ndrop drops, $nhold holds asked"
else
	fail killrace-verify "$VERIFY_FAILED"
fi
# Held requests are released within delay_ms; dropped ones are replayed after a reset.
sleep 2
check_each_once killrace-once
check killrace-state "$(cat "$sysfs/state")" live "controller state"
"$RMMOD" rocknvme
exit 0
