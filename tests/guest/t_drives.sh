#!/bin/bash
# Guest test (rocknvme only): quirks, APST and the Host Memory Buffer on QEMU's controller.
# QEMU 7.2 reports npss = 0, apsta = 0 and hmpre = 0, so what runs here is:
#   - the parameters' load-time checks (quirks=, ps_max_latency_us=, max_host_mem_size_mb=);
#   - APST's "not supported" path: the log line and debugfs apst saying off;
#   - quirks= against the controller's own PCI ID (1b36:0010, or 8086:5845 with QEMU's
#     use-intel-id=on; neither is in the table): sysfs quirks shows the bits, a cleared bit
#     is cleared, an entry for another ID does not apply, and NO_WRITE_ZEROES takes Write
#     Zeroes away from the disk (write_zeroes_max_bytes 0), DELAY_RDY makes a reset take 2.3 s;
#   - HMB: nothing allocated with hmpre 0; then the debugfs knob hmb_fake_kib pretends HMPRE =
#     HMMIN = N KiB from the next enable on, a reset allocates and offers it, QEMU refuses
#     Set Features 0x0d (Invalid Field), and the driver frees it all and runs on without;
#     with max_host_mem_size_mb below the minimum nothing is allocated at all.
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. /tests/lib.sh

bdf=$(nvme_bdf) || { fail drives "no NVMe controller in the guest"; exit 0; }
vid=$(sed 's/^0x//' "/sys/bus/pci/devices/$bdf/vendor")
did=$(sed 's/^0x//' "/sys/bus/pci/devices/$bdf/device")
id="$vid:$did"
sysfs=/sys/class/rocknvme/${CTRL#/dev/}
dfs=$(debugfs_dir)
zmax=/sys/block/${DISK#/dev/}/queue/write_zeroes_max_bytes
# mark, then newlog: the kernel log lines since the mark (busybox dmesg cannot clear it).
since=0
mark() { since=$(dmesg | wc -l); }
newlog() { dmesg | tail -n +$((since + 1)); }

"$RMMOD" rocknvme 2>/dev/null
for bad in quirks=zz quirks=1b36:0010 "quirks=$id:40" "quirks=$id:-0" quirks=1b36:10000:1 \
	ps_max_latency_us=-1 ps_max_latency_us=x max_host_mem_size_mb=4097; do
	refuse_param drives "$bad"
done
if "$MODPROBE" rocknvme "quirks=$id:1,$id:2,$id:4,$id:8,$id:10,$id:20,$id:1,$id:2,$id:4" 2>/dev/null; then
	fail drives-refuse-quirks-9 "nine quirks= entries loaded (at most 8)"
	"$RMMOD" rocknvme
elif dmesg | grep -q "rocknvme: quirks=.* refused"; then
	pass drives-refuse-quirks-9 "nine quirks= entries refused with a message"
else
	fail drives-refuse-quirks-9 "refused without a message"
fi

# Defaults: no quirk for QEMU's IDs, APST not supported, no HMB.
mark
reload_rocknvme drives-load || exit 0
check drives-quirks-none "$(cat "$sysfs/quirks")" 0x0 "$id quirks"
if newlog | grep -q "APST not supported (apsta 0, npss 0)"; then
	pass drives-apst-log "APST not supported logged"
else
	fail drives-apst-log "no 'APST not supported' line: $(newlog | grep -i apst | tail -n 2)"
fi
check drives-apst-debugfs "$(head -n 1 "$dfs/apst")" "off: not supported (apsta 0, npss 0)" "debugfs apst"
check drives-hmb-none "$(cat "$sysfs/hmb")" "0 0 off" "hmb (bytes chunks state) with hmpre 0"
if newlog | grep -qi "host memory buffer"; then
	fail drives-hmb-none-log "HMB log lines with hmpre 0: $(newlog | grep -i 'host memory' | head -n 1)"
else
	pass drives-hmb-none-log "no host memory buffer activity with hmpre 0"
fi
wz=$(cat "$zmax")
if [ "$wz" -gt 0 ]; then
	pass drives-wz-default "write_zeroes_max_bytes $wz without the quirk"
else
	fail drives-wz-default "write_zeroes_max_bytes is $wz without the quirk (QEMU has Write Zeroes)"
fi

# HMB refused by the controller: allocate, offer, get Invalid Field, free, go on.
echo 4096 >"$dfs/hmb_fake_kib"
mark
if echo 1 >"$sysfs/reset_controller"; then
	alloc=$(newlog | grep -c "host memory buffer: 4096 KiB in [0-9]* chunks")
	refused=$(newlog | grep -c "host memory buffer refused: invalid field (.*), 4096 KiB freed")
	check drives-hmb-refused "$alloc $refused $(cat "$dfs/hmb_refused") $(cat "$sysfs/hmb")" \
		"1 1 1 0 0 off" "allocated, refused, hmb_refused, hmb after the reset"
else
	fail drives-hmb-refused "reset_controller failed: $(newlog | tail -n 3)"
fi
check drives-hmb-state "$(cat "$sysfs/state")" live "controller state after the refused HMB"
if dd if="$DISK" of=/dev/null bs=1M count=8 iflag=direct 2>/dev/null; then
	pass drives-hmb-io "8 MiB read after the refused HMB"
else
	fail drives-hmb-io "read failed after the refused HMB"
fi
# And again: nothing is left over from the first time (refused again, freed again).
mark
echo 1 >"$sysfs/reset_controller"
check drives-hmb-again "$(newlog | grep -c 'host memory buffer refused') $(cat "$dfs/hmb_refused") $(cat "$sysfs/hmb")" \
	"1 2 0 0 off" "refusals in the log, hmb_refused, hmb after a second reset"

# A minimum above max_host_mem_size_mb: nothing is even allocated.
reload_rocknvme drives-hmb-max max_host_mem_size_mb=1 || exit 0
echo 4096 >"$dfs/hmb_fake_kib"
mark
echo 1 >"$sysfs/reset_controller"
if newlog | grep -q "minimum 4096 KiB over max_host_mem_size_mb=1, not used" &&
	! newlog | grep -q "KiB in [0-9]* chunks"; then
	pass drives-hmb-max "minimum over max_host_mem_size_mb: not allocated, logged"
else
	fail drives-hmb-max "log: $(newlog | grep -i 'host memory' | head -n 2)"
fi
check drives-hmb-max-sysfs "$(cat "$sysfs/hmb")" "0 0 off" "hmb"

# quirks=: add, clear, another ID's entry ignored; NO_WRITE_ZEROES takes Write Zeroes away.
mark
reload_rocknvme drives-quirks "quirks=$id:25,$id:-20,ffff:$did:2" || exit 0
check drives-quirks-param "$(cat "$sysfs/quirks")" 0x5 "$id quirks after +25, -20 and an ffff:$did entry"
if newlog | grep -q "quirks 0x5 (by PCI ID) no_apst no_write_zeroes" &&
	newlog | grep -q "Write Zeroes disabled by quirk"; then
	pass drives-quirks-log "applied quirks and their effect logged"
else
	fail drives-quirks-log "log: $(newlog | grep -i quirk | head -n 3)"
fi
check drives-quirks-wz "$(cat "$zmax")" 0 "write_zeroes_max_bytes with NO_WRITE_ZEROES"
if dd if=/dev/zero of="$DISK" bs=4k count=16 seek=1024 oflag=direct 2>/dev/null &&
	blkdiscard -z -o $((8 << 20)) -l $((1 << 20)) "$DISK" 2>/dev/null; then
	pass drives-quirks-zeroout "writes and BLKZEROOUT (written as zeroes) still work"
else
	fail drives-quirks-zeroout "write or blkdiscard -z failed with the quirk"
fi

# DELAY_RDY (8): every disable waits 2.3 s before looking at RDY, so a reset takes that long.
t0=$(now_ms)
echo 1 >"$sysfs/reset_controller"
plain=$(($(now_ms) - t0))
reload_rocknvme drives-delay "quirks=$id:8" || exit 0
t0=$(now_ms)
echo 1 >"$sysfs/reset_controller"
delayed=$(($(now_ms) - t0))
if [ "$(cat "$sysfs/quirks")" = 0x8 ] && [ "$delayed" -ge 2300 ] && [ "$plain" -lt 2300 ]; then
	pass drives-quirks-delay "reset ${plain} ms without, ${delayed} ms with DELAY_RDY"
else
	fail drives-quirks-delay "quirks $(cat "$sysfs/quirks"), reset ${plain} ms without, ${delayed} ms with DELAY_RDY"
fi

"$RMMOD" rocknvme
if dmesg | grep -qE "WARNING:|BUG:|Call trace"; then
	fail drives-clean "kernel warnings: $(dmesg | grep -E 'WARNING:|BUG:' | head -n 2)"
else
	pass drives-clean "no kernel warning through reloads, resets and refusals"
fi
reload_rocknvme drives-reload || exit 0
exit 0
