#!/bin/bash
# Guest test: discard (Dataset Management, deallocate) and Write Zeroes through the driver.
#   - queue limits: discard_granularity / discard_max_bytes non-zero when id-ctrl ONCS has
#     DSM (bit 2), write_zeroes_max_bytes non-zero when it has Write Zeroes (bit 3);
#   - blkdiscard of a 4 MiB range and of a 300 MiB range: succeeds; when id-ns DLFEAT bits 2:0
#     say deallocated blocks read as zeroes (001b) or as FFh (010b), they must, while the data
#     just outside each range stays as written;
#   - blkdiscard -z (BLKZEROOUT: Write Zeroes, or the block layer's fallback): zeroes inside,
#     data outside intact;
#   - fstrim (busybox's) on a mounted ext4 reports trimmed bytes, and e2fsck finds the filesystem clean.
# QEMU honours DLFEAT only when the drive punches holes: the boot uses DRIVE_OPTS=discard=unmap.
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. /tests/lib.sh

MNT=/mnt/rnv
MiB=$((1024 * 1024))
load_driver || exit 0
QB=$(sysblock)/queue

oncs=$(nvme id-ctrl "$CTRL" 2>/dev/null | field oncs)
dlfeat=$(nvme id-ns "$DISK" 2>/dev/null | field dlfeat)
if [ -z "$oncs" ] || [ -z "$dlfeat" ]; then
	fail discard-identify "could not read id-ctrl ONCS ('$oncs') or id-ns DLFEAT ('$dlfeat')"
	exit 0
fi
oncs=$((oncs)) dlfeat=$((dlfeat))
echo "RNV-INFO oncs $(printf %#x "$oncs") dlfeat $(printf %#x "$dlfeat")"

# --- queue limits ----------------------------------------------------------------------------
gran=$(cat "$QB/discard_granularity") dmax=$(cat "$QB/discard_max_bytes")
wzmax=$(cat "$QB/write_zeroes_max_bytes")
if ((oncs & 4)); then
	if [ "$gran" -gt 0 ] && [ "$dmax" -gt 0 ]; then
		pass discard-limits "ONCS has DSM: discard_granularity $gran, discard_max_bytes $dmax"
	else
		fail discard-limits "ONCS has DSM but discard_granularity $gran, discard_max_bytes $dmax"
	fi
else
	check discard-limits "$dmax" 0 "discard_max_bytes (ONCS has no DSM)"
fi
if ((oncs & 8)); then
	if [ "$wzmax" -gt 0 ]; then
		pass wz-limits "ONCS has Write Zeroes: write_zeroes_max_bytes $wzmax"
	else
		fail wz-limits "ONCS has Write Zeroes but write_zeroes_max_bytes is 0"
	fi
else
	check wz-limits "$wzmax" 0 "write_zeroes_max_bytes (ONCS has no Write Zeroes)"
fi

# --- helpers ---------------------------------------------------------------------------------
# put MB FILE: write FILE (whole MiBs) at MB MiB, O_DIRECT.
put() { dd if="$2" of="$DISK" bs=1M seek="$1" oflag=direct conv=fsync status=none; }
# get MB N: N MiB at MB MiB, O_DIRECT, to stdout.
get() { dd if="$DISK" bs=1M skip="$1" count="$2" iflag=direct status=none; }
# others MB N BYTE: how many bytes of N MiB at MB MiB are not BYTE (octal, for tr).
others() { get "$1" "$2" | tr -d "\\$3" | wc -c; }
# intact NAME MB FILE: the MiBs at MB still hold FILE.
intact() {
	local n
	n=$(($(stat -c %s "$3") / MiB))
	[ "$(get "$2" "$n" | sha256sum)" = "$(sha256sum <"$3")" ] && return 0
	fail "$1" "$n MiB at $2 MiB, outside the range, no longer hold what was written"
	return 1
}
# expect_fill NAME MB N WHAT: the range must read as zeroes / FFh when DLFEAT says so.
expect_fill() {
	local name=$1 mb=$2 n=$3 what=$4 byte left
	case $((dlfeat & 7)) in
	1) byte=000 ;;
	2) byte=377 ;;
	*)
		pass "$name" "$what: DLFEAT bits 2:0 = $((dlfeat & 7)), read-back value not defined"
		return 0
		;;
	esac
	left=$(others "$mb" "$n" "$byte")
	if [ "$left" = 0 ]; then
		pass "$name" "$what: all $n MiB read back as byte \\$byte, as DLFEAT $dlfeat says"
	else
		fail "$name" "$what: $left of $n MiB bytes are not \\$byte, though DLFEAT is $dlfeat"
	fi
}

dd if=/dev/urandom of=/tmp/r8 bs=1M count=8 status=none
dd if=/tmp/r8 of=/tmp/r1 bs=1M count=1 status=none
head -c $((2 * MiB)) /tmp/r8 >/tmp/r2a
tail -c $((2 * MiB)) /tmp/r8 >/tmp/r2b

# --- blkdiscard: 4 MiB at 64 MiB, inside 8 MiB of data at 62 MiB ------------------------------
put 62 /tmp/r8
if out=$(blkdiscard -o $((64 * MiB)) -l $((4 * MiB)) "$DISK" 2>&1); then
	pass discard-blkdiscard "blkdiscard 4 MiB at 64 MiB"
	expect_fill discard-reads "64" 4 "4 MiB discarded"
	intact discard-bounds 62 /tmp/r2a && intact discard-bounds 68 /tmp/r2b &&
		pass discard-bounds "the 2 MiB on either side of the range are intact"
else
	fail discard-blkdiscard "blkdiscard 4 MiB at 64 MiB: $out"
fi

# --- blkdiscard: 300 MiB at 100 MiB, data in the first/last MiB and either side ---------------
for mb in 99 100 399 400; do put $mb /tmp/r1; done
if out=$(blkdiscard -o $((100 * MiB)) -l $((300 * MiB)) "$DISK" 2>&1); then
	pass discard-large "blkdiscard 300 MiB at 100 MiB (discard_max_bytes $dmax)"
	expect_fill discard-large-first 100 1 "first MiB of 300 discarded"
	expect_fill discard-large-last 399 1 "last MiB of 300 discarded"
	intact discard-large-bounds 99 /tmp/r1 && intact discard-large-bounds 400 /tmp/r1 &&
		pass discard-large-bounds "the MiB before and the MiB after the range are intact"
else
	fail discard-large "blkdiscard 300 MiB at 100 MiB: $out"
fi

# --- blkdiscard -z: 4 MiB of zeroes at 132 MiB, inside 8 MiB of data at 130 MiB -------------
put 130 /tmp/r8
if out=$(blkdiscard -z -o $((132 * MiB)) -l $((4 * MiB)) "$DISK" 2>&1); then
	left=$(others 132 4 000)
	if [ "$left" = 0 ]; then
		pass wz-zeroes "blkdiscard -z 4 MiB at 132 MiB: all zero (write_zeroes_max_bytes $wzmax)"
	else
		fail wz-zeroes "blkdiscard -z 4 MiB at 132 MiB: $left bytes not zero"
	fi
	intact wz-bounds 130 /tmp/r2a && intact wz-bounds 136 /tmp/r2b &&
		pass wz-bounds "the 2 MiB on either side of the range are intact"
else
	fail wz-zeroes "blkdiscard -z 4 MiB at 132 MiB: $out"
fi

# --- fstrim on ext4 ----------------------------------------------------------------------------
if ! out=$("$MODPROBE" ext4 2>&1); then
	fail fstrim "modprobe ext4: $out"
	exit 0
fi
mkdir -p "$MNT"
if ! out=$(mkfs.ext4 -q -F -E nodiscard "$DISK" 2>&1) || ! out=$(mount -t ext4 "$DISK" "$MNT" 2>&1)
then
	fail fstrim "mkfs.ext4 or mount: $out"
	exit 0
fi
dd if=/dev/urandom of="$MNT/junk" bs=1M count=32 status=none
sync
rm -f "$MNT/junk"
sync
if out=$(fstrim -v "$MNT" 2>&1); then
	# busybox: "MNT: N bytes trimmed"; util-linux: "MNT: 1 GiB (N bytes) trimmed ..."
	bytes=$(sed -n 's/.*[ (]\([0-9][0-9]*\) bytes)\{0,1\} trimmed.*/\1/p' <<<"$out")
	if [ "${bytes:-0}" -gt 0 ]; then
		pass fstrim "fstrim -v: $out"
	else
		fail fstrim "fstrim -v reported no trimmed bytes: $out"
	fi
else
	fail fstrim "fstrim -v $MNT: $out"
fi
umount "$MNT"
if out=$(e2fsck -fn "$DISK" 2>&1); then
	pass fstrim-fsck "e2fsck -fn clean after fstrim"
else
	fail fstrim-fsck "e2fsck -fn after fstrim: $(tail -n 3 <<<"$out")"
fi
exit 0
