#!/bin/bash
# Guest test: namespaces coming and going (boot with NVME_LAYOUT=subsys2ns: QEMU's nvme-subsys
# with one controller, namespace 1 attached, namespace 2 created detached).
#   - at load only namespace 1 has a disk; list-ns shows 1, list-ns --all shows 1 and 2, and
#     id-ns --force on namespace 2 gives the size QEMU was given (rnvsize2);
#   - attach-ns (Namespace Attachment, admin 0x15, passed through): with no rescan from the test,
#     the disk ...n2 must appear (the driver rescans after a command whose effects change the
#     namespace inventory, and the controller's Namespace Attribute Changed event asks again:
#     t_events checks the event on its own), with the right size, and take I/O; detach-ns must
#     make it go;
#   - the same with `nvme ns-rescan` (NVME_IOCTL_RESCAN) right after each attach and detach;
#     data written to namespace 2 survives detach + attach;
#   - namespace 1 is untouched throughout.
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. /tests/lib.sh

WAIT=15
if [ "${rnvlayout:-}" != subsys2ns ]; then
	fail ns-layout "needs the boot knob NVME_LAYOUT=subsys2ns (rnvlayout='${rnvlayout:-}')"
	exit 0
fi
load_driver || exit 0
DISK2=${DISK%n1}n2

# wait_gone PATH SECONDS: until PATH no longer exists.
wait_gone() {
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		[ -e "$1" ] || return 0
		sleep 0.1
	done
	return 1
}
# list [ARGS...]: the namespace ids nvme list-ns prints, space-separated.
list() {
	nvme list-ns "$CTRL" "$@" 2>/dev/null | sed -n 's/^\[ *[0-9]*\]:\(0x[0-9a-f]*\)$/\1/p' |
		tr '\n' ' ' | sed 's/ $//'
}
# attach|detach: nvme attach-ns / detach-ns of namespace 2 to/from our controller.
attach() { nvme attach-ns "$CTRL" -n 2 -c "$cntlid" 2>&1; }
detach() { nvme detach-ns "$CTRL" -n 2 -c "$cntlid" 2>&1; }
# disks: the namespace disks of the controller, for details.
disks() {
	local d
	for d in /sys/block/"$(basename "${DISK%n1}")"n*; do
		[ -e "$d" ] && printf '%s ' "${d##*/}"
	done
}

# Namespace 1 keeps a pattern through all of this.
# reads_back DEV SKIP PATTERN: the 4 x 64 KiB at 64 KiB block SKIP of DEV equal file PATTERN.
reads_back() {
	[ "$(dd if="$1" bs=64k skip="$2" count=4 iflag=direct status=none | sha256sum)" = \
		"$(sha256sum <"$3")" ]
}

dd if=/dev/urandom of=/tmp/ns1pat bs=64k count=4 status=none
dd if=/tmp/ns1pat of="$DISK" bs=64k seek=16 oflag=direct conv=fsync status=none

# --- start: namespace 2 allocated, not attached ----------------------------------------------
if [ -b "$DISK" ] && [ ! -e "$DISK2" ]; then
	pass ns-initial "$DISK present, $DISK2 absent (namespace 2 detached)"
else
	fail ns-initial "expected $DISK only; disks: $(disks)"
fi
check ns-list-active "$(list)" 0x1 "list-ns"
check ns-list-allocated "$(list --all)" "0x1 0x2" "list-ns --all"
cntlid=$(nvme id-ctrl "$CTRL" 2>/dev/null | field cntlid)
if [ -z "$cntlid" ]; then
	fail ns-cntlid "nvme id-ctrl $CTRL failed"
	exit 0
fi
cntlid=$((cntlid))
if out=$(nvme id-ns "$CTRL" -n 2 --force 2>&1); then
	nsze=$(($(field nsze <<<"$out")))
	lbads=$(sed -n 's/^lbaf *[0-9]* *:.*lbads:\([0-9]*\).*in use.*/\1/p' <<<"$out")
	check ns2-id-allocated "$((nsze << ${lbads:-0}))" "${rnvsize2:-?}" \
		"namespace 2 bytes from id-ns --force (nsze $nsze, lbads ${lbads:-?})"
else
	fail ns2-id-allocated "nvme id-ns $CTRL -n 2 --force: $out"
fi

# --- attach and detach, the Namespace Attribute Changed event alone --------------------------
if ! out=$(attach) || [[ $out != *Success* ]]; then
	fail ns-attach "attach-ns -n 2 -c $cntlid: $out"
	exit 0
fi
pass ns-attach "$out"
if wait_for "$DISK2" "$WAIT" && [ -b "$DISK2" ]; then
	pass ns-aen-attach "$DISK2 appeared after attach-ns, no rescan"
else
	fail ns-aen-attach "$DISK2 not there $WAIT s after attach-ns (no rescan); disks: $(disks)"
	nvme ns-rescan "$CTRL" >/dev/null 2>&1
	wait_for "$DISK2" "$WAIT" || { fail ns-attach "$DISK2 not there after ns-rescan either"; exit 0; }
fi
check ns-list-attached "$(list)" "0x1 0x2" "list-ns after attach"
check ns2-size "$(blockdev --getsize64 "$DISK2")" "${rnvsize2:-?}" "getsize64 of $DISK2"
dd if=/dev/urandom of=/tmp/ns2pat bs=64k count=4 status=none
if dd if=/tmp/ns2pat of="$DISK2" bs=64k seek=8 oflag=direct conv=fsync status=none &&
	reads_back "$DISK2" 8 /tmp/ns2pat; then
	pass ns2-io "256 KiB written to $DISK2 read back identical"
else
	fail ns2-io "write and O_DIRECT read-back on $DISK2 failed or differed"
fi

if ! out=$(detach) || [[ $out != *Success* ]]; then
	fail ns-detach "detach-ns -n 2 -c $cntlid: $out"
	exit 0
fi
pass ns-detach "$out"
if wait_gone "$DISK2" "$WAIT"; then
	pass ns-aen-detach "$DISK2 went away after detach-ns, no rescan"
else
	fail ns-aen-detach "$DISK2 still there $WAIT s after detach-ns (no rescan)"
	nvme ns-rescan "$CTRL" >/dev/null 2>&1
	wait_gone "$DISK2" "$WAIT" || { fail ns-detach "$DISK2 still there after ns-rescan"; exit 0; }
fi
check ns-list-detached "$(list)" 0x1 "list-ns after detach"

# --- the same with nvme ns-rescan right after each change -------------------------------------
attach >/dev/null
if out=$(nvme ns-rescan "$CTRL" 2>&1); then
	pass ns-rescan-cmd "nvme ns-rescan $CTRL after attach-ns"
else
	fail ns-rescan-cmd "nvme ns-rescan $CTRL: exit $?: $out"
fi
if wait_for "$DISK2" "$WAIT" && [ -b "$DISK2" ]; then
	pass ns-rescan-attach "$DISK2 present after attach-ns + ns-rescan; disks: $(disks)"
	if reads_back "$DISK2" 8 /tmp/ns2pat; then
		pass ns2-persist "data written to namespace 2 before detach reads back after re-attach"
	else
		fail ns2-persist "namespace 2 data differs after detach + attach"
	fi
else
	fail ns-rescan-attach "$DISK2 not there $WAIT s after attach-ns + ns-rescan; disks: $(disks)"
fi
detach >/dev/null
if out=$(nvme ns-rescan "$CTRL" 2>&1) && wait_gone "$DISK2" "$WAIT"; then
	pass ns-rescan-detach "$DISK2 gone after detach-ns + ns-rescan"
else
	fail ns-rescan-detach "after detach-ns + ns-rescan ($out): disks: $(disks)"
fi

# --- namespace 1 untouched -------------------------------------------------------------------
if reads_back "$DISK" 16 /tmp/ns1pat; then
	pass ns1-intact "$DISK data unchanged through attach/detach/rescan of namespace 2"
else
	fail ns1-intact "$DISK data changed"
fi
exit 0
