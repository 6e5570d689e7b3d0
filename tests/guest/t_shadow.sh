#!/bin/bash
# Guest test (rocknvme only): shadow doorbells and interrupt coalescing. QEMU's controller
# offers Doorbell Buffer Config (OACS bit 8): the driver must turn it on, keep moving verified
# data, and ring fewer MMIO doorbells than it submits and completes commands (the debugfs
# queue counters sq_mmio/cq_mmio against submitted/completed). With shadow_doorbells=0 every
# submission batch and every reap rings MMIO again. A reset must re-arm the buffer. Loading
# with irq_coalesce_time/thr must program the Interrupt Coalescing feature (read back with
# nvme get-feature) and out-of-range values must be refused.
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. /tests/lib.sh

grep -q " /sys/kernel/debug " /proc/mounts || mount -t debugfs none /sys/kernel/debug
dbg=/sys/kernel/debug/rocknvme/${CTRL#/dev/}
sysfs=/sys/class/rocknvme/${CTRL#/dev/}

# totals: submitted completed sq_mmio cq_mmio summed over the I/O queues (qid > 0).
# Columns: qid depth sq_tail cq_head phase submitted completed interrupts sq_mmio cq_mmio.
totals() {
	awk '$1 ~ /^[0-9]+$/ && $1 > 0 { s += $6; c += $7; sm += $9; cm += $10 }
		END { print s + 0, c + 0, sm + 0, cm + 0 }' "$dbg/queues"
}

# load_run NAME: 4 jobs of 4k random writes at QD32 with crc32c read-back; prints the
# counter deltas "submitted completed sq_mmio cq_mmio".
load_run() {
	local s0 c0 sm0 cm0 s1 c1 sm1 cm1
	read -r s0 c0 sm0 cm0 <<<"$(totals)"
	if ! fio --name="$1" --filename="$DISK" --ioengine=libaio --direct=1 --rw=randwrite \
		--bs=4k --iodepth=32 --numjobs=4 --size=8m --offset_increment=8m \
		--verify=crc32c --do_verify=1 --verify_fatal=1 --verify_state_save=0 \
		--output-format=terse --terse-version=3 >"/tmp/$1.out" 2>&1; then
		fail "shadow-$1" "fio verify failed: $(tail -n 3 "/tmp/$1.out")"
		return 1
	fi
	read -r s1 c1 sm1 cm1 <<<"$(totals)"
	echo "$((s1 - s0)) $((c1 - c0)) $((sm1 - sm0)) $((cm1 - cm0))"
}

reload_rocknvme shadow-load || exit 0
check shadow-on "$(awk '/^shadow doorbells:/ { print $3 }' "$dbg/queues")" on \
	"shadow doorbells with QEMU's controller (OACS bit 8)"
if d=$(load_run on); then
	read -r s c sm cm <<<"$d"
	if [ "$s" -ge 8192 ] && [ "$c" -ge 8192 ] && [ $((sm + cm)) -lt $((s + c)) ]; then
		pass shadow-saves "32 MiB verified; $s commands: $sm SQ and $cm CQ MMIO doorbell" \
			"writes ($(((sm + cm) * 100 / (s + c)))% of submissions + completions)"
	else
		fail shadow-saves "submitted $s completed $c (want >= 8192 each), MMIO writes" \
			"sq $sm cq $cm (want fewer than $((s + c)) together)"
	fi
fi

# A reset makes the controller forget the buffer: the driver must hand it over again.
r0=$(cat "$sysfs/resets")
echo 1 >"$sysfs/reset_controller"
if d=$(load_run after-reset); then
	read -r s c sm cm <<<"$d"
	check shadow-reset "$(($(cat "$sysfs/resets") - r0)) $(awk '/^shadow doorbells:/ { print $3 }' \
		"$dbg/queues") $([ $((sm + cm)) -lt $((s + c)) ] && echo saving)" "1 on saving" \
		"resets, shadow doorbells, fewer MMIO writes than commands after the reset"
fi

# Without shadow doorbells: every reap that found completions rings the CQ head by MMIO.
if reload_rocknvme shadow-load shadow_doorbells=0 && d=$(load_run off); then
	read -r s c sm cm <<<"$d"
	off=$(awk '/^shadow doorbells:/ { print $3 }' "$dbg/queues")
	if [ "$off" = off ] && [ "$sm" -gt 0 ] && [ "$cm" -gt 0 ] && [ "$sm" -le "$s" ]; then
		pass shadow-off "shadow_doorbells=0: 32 MiB verified with $sm SQ and $cm CQ MMIO" \
			"doorbell writes for $s commands"
	else
		fail shadow-off "shadow doorbells '$off' (want off), MMIO sq $sm cq $cm for $s commands"
	fi
fi

# Interrupt coalescing: threshold 7 (8 completions), time 2 (200 us) -> feature value 0x207.
"$RMMOD" rocknvme
for bad in irq_coalesce_time=256 irq_coalesce_thr=-1; do
	refuse_param coalesce "$bad"
done
if reload_rocknvme shadow-load irq_coalesce_time=2 irq_coalesce_thr=7; then
	# QEMU 7.2 answers Feature Not Changeable (it has the feature, read-only, 0): then the
	# driver must say so and go on without it. A controller that takes it reads back 0x207.
	val=$(nvme get-feature "$CTRL" --feature-id=8 2>&1 | sed -n 's/.*Current value:[[:space:]]*//p')
	if [ "$val" = 00000207 ] || [ "$val" = 0x00000207 ]; then
		pass coalesce-feature "Interrupt Coalescing read back with nvme get-feature = $val"
	elif [ "$val" = 00000000 ] &&
		dmesg | grep -q "interrupt coalescing 0x207 refused: feature not changeable"; then
		pass coalesce-feature "the controller refused 0x207 as not changeable (QEMU 7.2)," \
			"the driver logged it, get-feature reads $val"
	else
		fail coalesce-feature "get-feature reads '$val', and no refusal of 0x207 was logged"
	fi
	if d=$(load_run coalesce); then
		pass coalesce-verify "32 MiB verified after asking for coalescing"
	fi
fi
reload_rocknvme shadow-load
exit 0
