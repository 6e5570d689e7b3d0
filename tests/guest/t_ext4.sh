#!/bin/bash
# Guest test: a filesystem round trip through the driver. mkfs.ext4 on the whole disk, mount,
# write a few files of random data, checksum them, sync and unmount; e2fsck -fn must find the
# filesystem clean; after a remount (caches dropped) the files must read back identical.
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. /tests/lib.sh

MNT=/mnt/rnv
load_driver || exit 0
if ! out=$("$MODPROBE" ext4 2>&1); then
	fail ext4-modprobe "modprobe ext4: $out"
	exit 0
fi
mkdir -p "$MNT"

# step NAME CMD...: run CMD; on failure report NAME with its output and stop the test.
step() {
	local name=$1 out
	shift
	if ! out=$("$@" 2>&1); then
		fail "ext4-$name" "$* failed: $(tail -n 3 <<<"$out")"
		umount "$MNT" 2>/dev/null
		exit 0
	fi
}

step mkfs mkfs.ext4 -q -F "$DISK"
step mount mount -t ext4 "$DISK" "$MNT"
for i in 1 2 3 4; do
	# 1, 2, 3 and 4 MiB, plus an odd tail so the last block is partial.
	step write dd if=/dev/urandom of="$MNT/file$i" bs=1M count="$i" status=none
	step write dd if=/dev/urandom of="$MNT/file$i" bs=777 count=3 oflag=append conv=notrunc \
		status=none
done
mkdir -p "$MNT/dir/sub"
step write cp "$MNT/file2" "$MNT/dir/sub/copy2"
(cd "$MNT" && sha256sum file1 file2 file3 file4 dir/sub/copy2) >/tmp/ext4.sums
step sync sync
step umount umount "$MNT"
pass ext4-write "mkfs, mount, wrote 4 files (10 MiB) + a copy, unmounted"

step fsck e2fsck -fn "$DISK"
pass ext4-fsck "e2fsck -fn $DISK clean"

echo 3 >/proc/sys/vm/drop_caches
step remount mount -t ext4 "$DISK" "$MNT"
if out=$(cd "$MNT" && sha256sum -c /tmp/ext4.sums 2>&1); then
	pass ext4-readback "5 files match their checksums after remount"
else
	fail ext4-readback "$(grep -v ': OK$' <<<"$out" | head -n 3)"
fi
step umount umount "$MNT"
exit 0
