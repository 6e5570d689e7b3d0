#!/bin/bash
# Guest test (rocknvme, runvm.sh BLKDEBUG=r:SECTOR,w:SECTOR,...): device-level faults from
# QEMU itself. The namespace rnvbdns sits behind QEMU's blkdebug driver, which fails with
# EIO every read (r:) or write (w:) that touches one of the listed sectors. QEMU 7.2's nvme
# (hw/nvme/ctrl.c nvme_aio_err) turns an AIO error into Unrecovered Read Error (0x281) for a
# read and Write Fault (0x280) for a write, without Do Not Retry: rocknvme replays each
# RNV_MAX_RETRIES (5) times, then fails it as a medium error, BLK_STS_MEDIUM, which user
# space sees as ENODATA ("No data available", 61), not EIO.
#
# Over a 1 MiB region at 32 MiB (256 blocks of 4 KiB), which must hold every listed sector:
#   bd-write     every block written alone (dd O_DIRECT): exactly the write-bad blocks fail,
#                with ENODATA; every block's I/O went to the controller 1 time, a failing
#                one 1 + 5 times (debugfs submitted counters)
#   bd-read      every block read alone: exactly the read-bad blocks fail, with ENODATA;
#                all the others read back byte for byte what was written (a block whose
#                write failed reads its old content, zeroes)
#   bd-fio       fio crc32c write+verify over every stretch between bad blocks: clean
#   bd-fio-err   fio reading a read-bad block and writing a write-bad block: error 61
#   bd-log       our driver logged "I/O op 0|1 at sector S failed: ... (0x281|0x280)" for the
#                first failing read and write
#   bd-state     no reset happened (these are answered errors, not timeouts); state live
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. /tests/lib.sh

NS=${rnvbdns:-}
RULES=${rnvbdrules:-}
if [ -z "$NS" ] || [ -z "$RULES" ]; then
	fail bd-setup "no blkdebug namespace (boot with runvm.sh BLKDEBUG=r:SECTOR,w:SECTOR)"
	exit 0
fi
load_driver || exit 0
BD=${CTRL}n$NS
sysfs=$(ctrl_sysfs)
dbg=/sys/kernel/debug/rocknvme/${CTRL#/dev/}
grep -q " /sys/kernel/debug " /proc/mounts || mount -t debugfs none /sys/kernel/debug
if ! wait_for "$BD" 30; then
	fail bd-setup "$BD (nsid $NS) did not appear"
	exit 0
fi
BS=4096
BASE=$((32 << 20))	# the region, in bytes
NBLK=256
RETRIES=5		# RNV_MAX_RETRIES in include/rocknvme.h

# The blocks the rules hit, from the same list QEMU's config was made of.
declare -A RBAD=() WBAD=()
for r in ${RULES//,/ }; do
	s=${r#?:}
	b=$(((s * 512 - BASE) / BS))
	if [ $((s * 512)) -lt "$BASE" ] || [ "$b" -ge "$NBLK" ]; then
		fail bd-setup "rule $r is outside the test region (sectors $((BASE / 512))..$(((BASE + NBLK * BS) / 512 - 1)))"
		exit 0
	fi
	case $r in
	r:*) RBAD[$b]=1 ;;
	w:*) WBAD[$b]=1 ;;
	esac
done
sorted() { tr ' ' '\n' <<<"$*" | grep . | sort -n | tr '\n' ' ' | sed 's/ $//'; }
want_w=$(sorted "${!WBAD[@]}")
want_r=$(sorted "${!RBAD[@]}")
# submitted: commands sent on all I/O queues (debugfs columns: qid depth sq_tail cq_head
# phase submitted completed interrupts).
submitted() { awk '$1 ~ /^[0-9]+$/ && $1 > 0 { s += $6 } END { print s + 0 }' "$dbg/queues"; }
r0=$(cat "$sysfs/resets")

# 1. Every block written alone.
dd if=/dev/urandom of=/tmp/bd.src bs=$BS count=$NBLK 2>/dev/null
failed=() other="" tries_ok="" tries_bad=""
for ((b = 0; b < NBLK; b++)); do
	s0=$(submitted)
	if dd if=/tmp/bd.src of="$BD" bs=$BS count=1 skip=$b seek=$((BASE / BS + b)) \
		oflag=direct conv=notrunc 2>/tmp/dd.err; then
		tries_ok+=" $(($(submitted) - s0))"
	elif grep -q "No data available" /tmp/dd.err; then
		failed+=("$b")
		tries_bad+=" $(($(submitted) - s0))"
	else
		other+=" block $b: $(tail -n 1 /tmp/dd.err)"
	fi
done
check bd-write "failed [$(sorted "${failed[@]}")]${other:+, other errors:$other}" \
	"failed [$want_w]" "blocks (of $NBLK) whose write failed with ENODATA"
want_tries=""
for b in $want_w; do want_tries+=" $((RETRIES + 1))"; done
check bd-retries "good:$(tr ' ' '\n' <<<"$tries_ok" | grep . | sort -u | tr '\n' ' ')failing:$tries_bad" \
	"good:1 failing:$want_tries" "commands sent per 4 KiB write (1 + $RETRIES replays when failing)"

# 2. Every block read alone into a zeroed copy; compared whole with what it should hold.
dd if=/dev/zero of=/tmp/bd.back bs=$BS count=$NBLK 2>/dev/null
cp /tmp/bd.src /tmp/bd.want
for b in "${!WBAD[@]}" "${!RBAD[@]}"; do
	dd if=/dev/zero of=/tmp/bd.want bs=$BS count=1 seek="$b" conv=notrunc 2>/dev/null
done
failed=() other=""
for ((b = 0; b < NBLK; b++)); do
	if dd if="$BD" of=/tmp/bd.back bs=$BS count=1 skip=$((BASE / BS + b)) seek=$b \
		iflag=direct conv=notrunc 2>/tmp/dd.err; then
		:
	elif grep -q "No data available" /tmp/dd.err; then
		failed+=("$b")
	else
		other+=" block $b: $(tail -n 1 /tmp/dd.err)"
	fi
done
if cmp -s /tmp/bd.back /tmp/bd.want; then
	same="all other blocks as written"
else
	same="differs: $(cmp -l /tmp/bd.back /tmp/bd.want | awk -v bs=$BS 'NR == 1 { printf "first at byte %d (block %d)", $1 - 1, ($1 - 1) / bs }'), $(cmp -l /tmp/bd.back /tmp/bd.want | wc -l) bytes"
fi
check bd-read "failed [$(sorted "${failed[@]}")]${other:+, other errors:$other}; $same" \
	"failed [$want_r]; all other blocks as written" \
	"blocks whose read failed with ENODATA; content of the rest"

# 3. fio crc32c over every stretch of good blocks: one job per stretch.
{
	printf '[global]\nfilename=%s\nioengine=libaio\ndirect=1\nrw=randwrite\nbs=%s\n' "$BD" $BS
	printf 'iodepth=8\nverify=crc32c\ndo_verify=1\nverify_fatal=1\nverify_state_save=0\n'
	njobs=0 from=0
	for ((b = 0; b <= NBLK; b++)); do
		if [ "$b" -eq "$NBLK" ] || [ -n "${RBAD[$b]:-}" ] || [ -n "${WBAD[$b]:-}" ]; then
			if [ "$b" -gt "$from" ]; then
				printf '[good%d]\noffset=%d\nsize=%d\n' "$njobs" $((BASE + from * BS)) \
					$(((b - from) * BS))
				njobs=$((njobs + 1))
			fi
			from=$((b + 1))
		fi
	done
	echo "$njobs" >/tmp/bd.njobs
} >/tmp/bd-good.fio
run_fio bd-good /tmp/bd-good.fio "$(cat /tmp/bd.njobs)"

# 4. fio over one bad block of each kind: fio fails with the errno, 61 (ENODATA).
fio_err() { # fio_err NAME RW BLOCK: fio's exit and its job's error value
	fio --name="$1" --filename="$BD" --ioengine=libaio --direct=1 --rw="$2" --bs=$BS \
		--offset=$((BASE + $3 * BS)) --size=$BS --output-format=json \
		--output="/tmp/$1.json" >/dev/null 2>&1
	echo "exit $? error $(awk -F' : ' '/^      "error"/ { sub(/,.*/, "", $2); print $2 + 0; exit }' \
		"/tmp/$1.json" 2>/dev/null)"
}
rb=$(sorted "${!RBAD[@]}" | cut -d' ' -f1)
wb=$(sorted "${!WBAD[@]}" | cut -d' ' -f1)
check bd-fio-err "read: $(fio_err bdr read "$rb"), write: $(fio_err bdw write "$wb")" \
	"read: exit 1 error 61, write: exit 1 error 61" \
	"fio on read-bad block $rb and write-bad block $wb"

# 5. The driver's error lines name the sectors (blk_rq_pos, 512 B units) and statuses.
log=$(dmesg)
line_r="I/O op 0 at sector $(((BASE + rb * BS) / 512)) failed: unrecovered read error (0x281)"
line_w="I/O op 1 at sector $(((BASE + wb * BS) / 512)) failed: write fault (0x280)"
missing=""
grep -qF "$line_r" <<<"$log" || missing+=" [$line_r]"
grep -qF "$line_w" <<<"$log" || missing+=" [$line_w]"
if [ -z "$missing" ]; then
	pass bd-log "$(grep -c 'failed: unrecovered read error (0x281)' <<<"$log") read and" \
		"$(grep -c 'failed: write fault (0x280)' <<<"$log") write error lines, e.g. '$line_r'"
else
	fail bd-log "missing from dmesg:$missing; driver lines: $(grep -m 3 rocknvme <<<"$log")"
fi
check bd-state "$(cat "$sysfs/state") +$(($(cat "$sysfs/resets") - r0))" "live +0" \
	"state and resets during the test"
exit 0
