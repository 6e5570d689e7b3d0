#!/bin/bash
# Guest test: asynchronous events across resets (issue 11, item 8); boot with
# NVME_LAYOUT=subsys2ns. QEMU keeps the Asynchronous Event Configuration across a controller
# reset, a real controller need not: the test clears it from user space first (Set Features
# 0x0b = 0, what a controller that forgot it looks like), resets, and reads it back: the driver
# must set it again after every enable. After each of 5 resets exactly one event request must
# be outstanding (debugfs), and the Namespace Attribute Changed event of an attach must still
# arrive. A failed event request (debugfs fail_events) must be re-armed, not end events.
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. /tests/lib.sh

load_driver || exit 0
sysfs=$(ctrl_sysfs)
dbg=$(debugfs_dir)
DISK2=${DISK%n1}n2
cntlid=$(($(nvme id-ctrl "$CTRL" 2>/dev/null | field cntlid)))

# outstanding / received: from debugfs "events: N received, M requests outstanding".
outstanding() { sed -n 's/^events: [0-9]* received, \([0-9]*\) requests outstanding$/\1/p' "$dbg/queues"; }
received() { sed -n 's/^events: \([0-9]*\) received.*/\1/p' "$dbg/queues"; }
# aec: the Asynchronous Event Configuration as the controller reports it.
aec() { nvme get-feature "$CTRL" -f 0x0b 2>&1 | sed -n 's/.*Current value: *\(0x[0-9a-f]*\).*/\1/p'; }
# shellcheck disable=SC2317 # called through until_true
armed() { [ "$(outstanding)" = 1 ]; }

check events-armed "$(outstanding)" 1 "event requests outstanding after load"
nvme set-feature "$CTRL" -f 0x0b -v 0 >/dev/null 2>&1
check events-aec-cleared "$(aec)" 0x00000000 "AEC after Set Features 0x0b = 0"
echo 1 >"$sysfs/reset_controller"
check events-aec-after-reset "$(aec)" 0x00000100 "AEC after a reset (namespace attribute notices)"

ok=0
for ((i = 1; i <= 5; i++)); do
	echo 1 >"$sysfs/reset_controller" && until_true 2 armed && ok=$((ok + 1))
done
check events-rearmed "$ok of 5, outstanding $(outstanding)" "5 of 5, outstanding 1" \
	"resets after which exactly one event request was outstanding"

# The request armed after those resets still delivers: attach namespace 2.
r0=$(received)
nvme attach-ns "$CTRL" -n 2 -c "$cntlid" >/dev/null 2>&1
if until_true 10 test "$(received)" -gt "$r0"; then
	pass events-delivered "Namespace Attribute Changed received after 6 resets ($r0 -> $(received))"
else
	fail events-delivered "no event within 10 s of attach-ns (received stays $r0)"
fi
wait_for "$DISK2" 10 || fail events-ns2 "$DISK2 did not appear after attach-ns"
until_true 5 armed || fail events-armed-after "outstanding $(outstanding) after the event"

# A failed event request is re-armed (QEMU never fails one: the driver's test hook does).
echo 1 >"$dbg/fail_events"
nvme detach-ns "$CTRL" -n 2 -c "$cntlid" >/dev/null 2>&1
if until_true 10 dmesg_has 'async event request failed.*re-arming' && until_true 5 armed; then
	pass events-error-rearmed "failed event request logged and re-armed (outstanding 1)"
else
	fail events-error-rearmed "after an injected failure: outstanding $(outstanding); $(dmesg | grep -m1 'async event')"
fi
exit 0
