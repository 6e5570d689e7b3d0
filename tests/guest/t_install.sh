#!/bin/bash
# Guest test: installing rocknvme and choosing between it and nvme, as on a real system.
#   - install the module the way `make install` does (into /lib/modules/$(uname -r)/updates,
#     then depmod -a): modinfo finds it there, and the controller's own modalias
#     (/sys/bus/pci/devices/*/modalias, what udev loads at boot) resolves to nvme only before
#     and to nvme and rocknvme after;
#   - packaging/modprobe.d/rocknvme.conf (softdep nvme pre: rocknvme): modprobe shows rocknvme
#     loaded before nvme, and loading by the modalias, as udev does, binds rocknvme;
#   - packaging/rocknvme-switch moves the controller from nvme to rocknvme and back, the
#     disk appearing under the new driver's name with the data written through the old one,
#     and it refuses to move a controller whose disk is mounted.
# The image ships rocknvme.ko in /lib/modules/<ver>/extra; this test moves it out first.
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. /tests/lib.sh

KVER=$(uname -r)
MODDIR=/lib/modules/$KVER
SHIPPED=$MODDIR/extra/rocknvme.ko
CONF=/usr/share/rocknvme/modprobe.d/rocknvme.conf
SWITCH=/usr/local/sbin/rocknvme-switch
RDISK=/dev/rocknvme0n1

bdf=$(nvme_bdf) || { fail install-setup "no PCI device of class 0x010802"; exit 0; }
dev=/sys/bus/pci/devices/$bdf
modalias=$(cat "$dev/modalias")
if [ ! -f "$SHIPPED" ]; then
	fail install-setup "$SHIPPED is not in the image (rocknvme not built?)"
	exit 0
fi
echo "RNV-INFO controller $bdf modalias $modalias"

# resolve: the modules the controller's modalias resolves to, sorted, space-separated.
# (nvme has two matching aliases for QEMU's controller, class and vendor:device: sort -u)
resolve() { "$MODPROBE" -R "$modalias" 2>/dev/null | sort -u | tr '\n' ' ' | sed 's/ $//'; }
# bound: the driver bound to the controller, or "none".
bound() {
	if [ -e "$dev/driver" ]; then basename "$(readlink -f "$dev/driver")"; else echo none; fi
}
# nvme_disk: the in-kernel driver's namespace 1 disk (/dev/nvme0n1, or another instance).
nvme_disk() {
	local d
	for d in /dev/nvme[0-9]*n1; do
		[[ $d =~ ^/dev/nvme[0-9]+n1$ ]] && [ -b "$d" ] && { echo "$d"; return 0; }
	done
	return 1
}
# wait_nvme_disk SECONDS: until nvme_disk finds one.
wait_nvme_disk() {
	local i
	for ((i = 0; i < $1 * 10; i++)); do
		nvme_disk >/dev/null && return 0
		sleep 0.1
	done
	return 1
}
# unload_all: neither driver loaded, the controller free.
unload_all() {
	local m
	for m in rocknvme nvme; do
		[ -d "/sys/module/$m" ] && "$RMMOD" "$m" 2>/dev/null
	done
	[ -d /sys/module/rocknvme ] || [ -d /sys/module/nvme ] && return 1
	return 0
}
# holds DISK FILE MB: the MiBs of DISK at MB hold FILE (O_DIRECT read).
holds() {
	[ "$(dd if="$1" bs=1M skip="$3" count="$(($(stat -c %s "$2") >> 20))" iflag=direct \
		status=none | sha256sum)" = "$(sha256sum <"$2")" ]
}

# --- make install, by hand -------------------------------------------------------------------
mv "$SHIPPED" /tmp/rocknvme.ko
depmod -a
check install-before "$(resolve)" nvme "modprobe -R $modalias, rocknvme not installed"

# make install: kbuild's modules_install with INSTALL_MOD_DIR=updates, then depmod -a.
mkdir -p "$MODDIR/updates"
cp /tmp/rocknvme.ko "$MODDIR/updates/rocknvme.ko"
chmod 644 "$MODDIR/updates/rocknvme.ko"
depmod -a
check install-path "$(modinfo -n rocknvme 2>&1)" "$MODDIR/updates/rocknvme.ko" "modinfo -n rocknvme"
check install-alias "$(resolve)" "nvme rocknvme" "modprobe -R $modalias after install + depmod -a"

# --- modprobe.d: rocknvme before nvme ----------------------------------------------------------
mkdir -p /etc/modprobe.d
cp "$CONF" /etc/modprobe.d/rocknvme.conf
# (output captured first: grep -q would stop reading early, and pipefail fail the pipe)
config=$("$MODPROBE" -c 2>&1)
if grep -qx 'softdep nvme pre: rocknvme' <<<"$config"; then
	# --show-depends lists the insmod lines in load order, soft dependencies included.
	order=$("$MODPROBE" --show-depends nvme 2>&1 | sed -n 's|^insmod .*/\([^/]*\)\.ko.*|\1|p' |
		grep -E '^(rocknvme|nvme)$' | tr '\n' ' ' | sed 's/ $//')
	check install-softdep-order "$order" "rocknvme nvme" "modprobe --show-depends nvme load order"
else
	fail install-softdep-order "modprobe -c does not show the softdep from $CONF"
fi
unload_all
if out=$("$MODPROBE" "$modalias" 2>&1); then
	if wait_for "$RDISK" 30 && [ -b "$RDISK" ] && [ "$(bound)" = rocknvme ]; then
		pass install-softdep-bind "modprobe <modalias> loaded $(lsmod | awk '$1 ~ /^(nvme|rocknvme)$/ { printf "%s ", $1 }')and rocknvme has $bdf, $RDISK present"
	else
		fail install-softdep-bind "after modprobe <modalias>: $bdf bound to $(bound), $RDISK $([ -e "$RDISK" ] || echo not) present"
	fi
else
	fail install-softdep-bind "modprobe $modalias: $out"
fi
rm -f /etc/modprobe.d/rocknvme.conf
unload_all || { fail install-unload "could not unload rocknvme and nvme: $(lsmod | head -n 5)"; exit 0; }

# --- rocknvme-switch: nvme -> rocknvme -> nvme ------------------------------------------------
"$MODPROBE" nvme
if ! wait_nvme_disk 30; then
	fail switch-setup "modprobe nvme: no /dev/nvme*n1 within 30 s (bound: $(bound))"
	exit 0
fi
NDISK=$(nvme_disk)
"$MODPROBE" rocknvme
sleep 1
check switch-setup "$(bound)" nvme "driver of $bdf after modprobe nvme, then rocknvme"
dd if=/dev/urandom of=/tmp/swpat bs=1M count=1 status=none
dd if=/tmp/swpat of="$NDISK" bs=1M seek=10 oflag=direct conv=fsync status=none

if out=$("$SWITCH" "$bdf" rocknvme 2>&1) && wait_for "$RDISK" 30 && [ -b "$RDISK" ]; then
	if [ "$(bound)" = rocknvme ] && ! nvme_disk >/dev/null && holds "$RDISK" /tmp/swpat 10; then
		pass switch-to-rocknvme "$out; $NDISK gone, data written through nvme reads back"
	else
		fail switch-to-rocknvme "$out; bound $(bound), nvme disk $(nvme_disk || echo gone), data $(holds "$RDISK" /tmp/swpat 10 && echo same || echo differs)"
	fi
else
	fail switch-to-rocknvme "rocknvme-switch $bdf rocknvme: $out; bound $(bound)"
fi
check switch-override "$(cat "$dev/driver_override")" rocknvme "driver_override"

dd if=/dev/urandom of=/tmp/swpat2 bs=1M count=1 status=none
[ -b "$RDISK" ] && dd if=/tmp/swpat2 of="$RDISK" bs=1M seek=12 oflag=direct conv=fsync status=none
if out=$("$SWITCH" "$bdf" nvme 2>&1) && wait_nvme_disk 30; then
	NDISK=$(nvme_disk)
	if [ "$(bound)" = nvme ] && [ ! -e "$RDISK" ] && holds "$NDISK" /tmp/swpat2 12; then
		pass switch-to-nvme "$out; $RDISK gone, data written through rocknvme reads back"
	else
		fail switch-to-nvme "$out; bound $(bound), $RDISK $([ -e "$RDISK" ] && echo present || echo gone)"
	fi
else
	fail switch-to-nvme "rocknvme-switch $bdf nvme: $out; bound $(bound)"
fi

# --- rocknvme-switch refuses a mounted disk -----------------------------------------------------
NDISK=$(nvme_disk) || exit 0
"$MODPROBE" ext4
mkdir -p /mnt/rnv
if mkfs.ext4 -q -F "$NDISK" && mount -t ext4 "$NDISK" /mnt/rnv; then
	if out=$("$SWITCH" "$bdf" rocknvme 2>&1); then
		fail switch-refuses-mounted "moved $bdf with $NDISK mounted: $out"
	elif [ "$(bound)" = nvme ] && [ -b "$NDISK" ]; then
		pass switch-refuses-mounted "refused, controller still on nvme: $out"
	else
		fail switch-refuses-mounted "failed but left $bdf bound to $(bound): $out"
	fi
	umount /mnt/rnv
else
	fail switch-refuses-mounted "could not mkfs/mount $NDISK"
fi
exit 0
