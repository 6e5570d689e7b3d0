#!/usr/bin/env bash
# Builds the guest initramfs (gzip cpio) for one arch: busybox + applets, the guest tools and
# ONLY the shared libraries they need, the kernel modules under test (in-kernel nvme and ours),
# our own test tools (tests/tools, built static here by its Makefile), the packaging scripts,
# the guest test scripts with the result helpers they share with the host (tests/lib/results.sh),
# tests/lib/fio-json.awk, fio-jobs/*.fio and /init. Skipped when a hash of its inputs has not
# changed.
#
#   mkinitramfs.sh ARCH OUT        ARCH = arm64 | x86
#   KERNEL=6.12|7 (environment)     the kernel line whose modules go in (default: Debian 12's
#                                   6.1), with build/rocknvme-ARCH-ABI.ko (make KVER=LINE)
#
# Guest layout: busybox applets in /bin /sbin /usr/bin /usr/sbin; the real tools in
# /usr/local/bin (kmod's modprobe/insmod/rmmod/lsmod/modinfo links in /usr/local/sbin),
# every library flattened into /lib/<triplet>/ (a default search dir of Debian's ld.so).
# Our tools: /usr/local/bin/rnv-ioctl; packaging/rocknvme-switch and rocknvme-list in
# /usr/local/sbin; the
# packaging/modprobe.d example in /usr/share/rocknvme/ (installed by t_install, not active).
# Guest tests and their helpers in /tests: t_*.sh, lib.sh, init.sh, results.sh (a copy of
# tests/lib/results.sh, sourced by lib.sh).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$(dirname "$0")/common.sh"

[ $# -eq 2 ] || { echo "usage: $0 arm64|x86 OUT" >&2; exit 2; }
ARCH=$1
OUT=$(realpath -m "$2")
KERNEL=${KERNEL:-}
ABI=$(rnv_abi "$KERNEL")
GUEST_BINS="fio nvme kmod mkfs.ext4 e2fsck bash blkdiscard sha256sum dd blockdev smartctl sensors"
# Modules to ship; their modinfo "depends" closure is added. The two crypto providers are the
# soft dependencies that t10-pi's crc libraries ask the crypto API for.
MODULES="ext4 jbd2 mbcache crc16 crc32c_generic libcrc32c nvme nvme-core \
crct10dif_generic crc64_rocksoft_generic"

case $ARCH in
arm64)
	KARCH=arm64 TRIPLET=aarch64-linux-gnu SYSROOT=$RNV_CACHE/guest-arm64 CC=aarch64-linux-gnu-gcc
	READELF=$(command -v aarch64-linux-gnu-readelf || command -v readelf)
	;;
x86)
	KARCH=amd64 TRIPLET=x86_64-linux-gnu SYSROOT="" READELF=readelf CC=gcc ;;
*) echo "unknown ARCH $ARCH" >&2; exit 2 ;;
esac
VER=$ABI-$KARCH
KMODS=$(rnv_kmods "$KARCH" "$ABI")
KO=$(rnv_ko "$ARCH" "$KERNEL")
GUEST_DIR=$RNV_TOP/tests/guest
TOOLS_DIR=$RNV_TOP/tests/tools
RESULTS_SH=$RNV_TOP/tests/lib/results.sh
FIO_JSON_AWK=$RNV_TOP/tests/lib/fio-json.awk
PKG_DIR=$RNV_TOP/packaging

log() { printf '[mkinitramfs %s] %s\n' "$ARCH" "$*" >&2; }

# busybox_bin: a static busybox for ARCH (arm64: Debian's busybox-static:arm64, cached).
busybox_bin() {
	if [ "$ARCH" = x86 ]; then
		echo /bin/busybox
		return
	fi
	local d=$RNV_CACHE/busybox-arm64 deb
	if [ ! -x "$d/bin/busybox" ]; then
		mkdir -p "$RNV_CACHE/debs"
		deb=$(find "$RNV_CACHE/debs" -name 'busybox-static_*_arm64.deb' | head -n1)
		if [ -z "$deb" ]; then
			(cd "$RNV_CACHE/debs" && apt-get download -q busybox-static:arm64 >&2)
			deb=$(find "$RNV_CACHE/debs" -name 'busybox-static_*_arm64.deb' | head -n1)
		fi
		rm -rf "$d"
		dpkg -x "$deb" "$d"
	fi
	echo "$d/bin/busybox"
}

# resolve PATH: follow symlinks inside SYSROOT (absolute links are relative to SYSROOT).
resolve() {
	local p=$1 t n=0
	while [ -L "$p" ] && [ $n -lt 40 ]; do
		t=$(readlink "$p")
		case $t in
		/*) p=$SYSROOT$t ;;
		*) p=$(dirname "$p")/$t ;;
		esac
		n=$((n + 1))
	done
	realpath -m "$p"
}

# find_bin NAME: the tool in the guest userland (arm64: SYSROOT, x86: the host).
find_bin() {
	local d
	for d in usr/bin usr/sbin bin sbin; do
		[ -e "$SYSROOT/$d/$1" ] && { echo "$SYSROOT/$d/$1"; return 0; }
	done
	log "guest tool $1 not found under ${SYSROOT:-/}"
	return 1
}

# find_lib SONAME OBJ: search OBJ's RUNPATH/RPATH ($ORIGIN expanded), then the default dirs.
find_lib() {
	local so=$1 obj=$2 rp d
	rp=$("$READELF" -d "$obj" | sed -n 's/.*(\(RUNPATH\|RPATH\)).*\[\(.*\)\]/\2/p' | tr ':' ' ')
	for d in $rp; do
		# shellcheck disable=SC2016 # a literal $ORIGIN
		case $d in
		'$ORIGIN'*) d=$(dirname "$obj")${d#\$ORIGIN} ;;
		*) d=$SYSROOT$d ;;
		esac
		[ -e "$d/$so" ] && { echo "$d/$so"; return 0; }
	done
	for d in lib/$TRIPLET usr/lib/$TRIPLET lib usr/lib; do
		[ -e "$SYSROOT/$d/$so" ] && { echo "$SYSROOT/$d/$so"; return 0; }
	done
	log "library $so (needed by $obj) not found"
	return 1
}

# needed OBJ: the DT_NEEDED sonames of an ELF object.
needed() { "$READELF" -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'; }

# mod_path NAME: a module's path relative to KMODS (nvme-core and nvme_core both match;
# 6.12 and later ship them xz-compressed as NAME.ko.xz).
mod_path() {
	local f n
	for n in "$1" "${1//_/-}" "${1//-/_}"; do
		f=$(find "$KMODS/kernel" -name "$n.ko" -o -name "$n.ko.xz" -o -name "$n.ko.zst" | head -n1)
		[ -n "$f" ] && { echo "${f#"$KMODS"/}"; return 0; }
	done
	return 1
}

# input_key: a hash of everything the image is built from.
input_key() {
	{
		echo "$ARCH $VER"
		cat "$0" "$GUEST_DIR"/* "$RNV_TOP"/fio-jobs/*.fio "$TOOLS_DIR"/* "$RESULTS_SH" \
			"$FIO_JSON_AWK"
		cat "$PKG_DIR/rocknvme-switch" "$PKG_DIR/rocknvme-list" "$PKG_DIR"/modprobe.d/*.conf
		"$CC" --version | head -n1
		[ -f "$KO" ] && sha256sum "$KO"
		ls -lL "$RNV_CACHE/kernel-$VER.stamp" "$RNV_CACHE/kernel-$ABI.stamp" 2>/dev/null || true
		[ -n "$SYSROOT" ] && ls -l "$RNV_CACHE/guest-arm64.stamp"
		for b in $GUEST_BINS; do ls -lL "$(find_bin "$b")"; done
	} | sha256sum | cut -d' ' -f1
}

build() {
	local root=$1 bb b src f lib interp m path mods=() deps=()
	mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,usr/local/bin,usr/local/sbin,etc,proc,sys,dev,tmp,mnt,run,tests}
	mkdir -p "$root/lib/$TRIPLET" "$root/lib/modules/$VER"

	# busybox and its applet links (the list is the host's busybox: same Debian build).
	bb=$(busybox_bin)
	cp "$bb" "$root/bin/busybox"
	/bin/busybox --list-full | while read -r f; do
		[ -e "$root/$f" ] || ln -s /bin/busybox "$root/$f"
	done

	# Guest tools, their NEEDED closure and the dynamic loader.
	local queue=() seen=" "
	for b in $GUEST_BINS; do
		src=$(find_bin "$b")
		cp "$(resolve "$src")" "$root/usr/local/bin/$b"
		queue+=("$(resolve "$src")")
	done
	for m in modprobe insmod rmmod lsmod modinfo depmod; do
		ln -s ../bin/kmod "$root/usr/local/sbin/$m"
	done
	ln -sf /usr/local/bin/bash "$root/bin/bash"
	interp=$("$READELF" -l "$(resolve "$(find_bin fio)")" |
		sed -n 's/.*Requesting program interpreter: \(.*\)\]/\1/p')
	mkdir -p "$root/$(dirname "$interp")"
	cp "$(resolve "$SYSROOT$interp")" "$root$interp"
	while [ ${#queue[@]} -gt 0 ]; do
		f=${queue[0]}
		queue=("${queue[@]:1}")
		for lib in $(needed "$f"); do
			case $seen in *" $lib "*) continue ;; esac
			seen="$seen$lib "
			src=$(resolve "$(find_lib "$lib" "$f")")
			cp "$src" "$root/lib/$TRIPLET/$lib"
			queue+=("$src")
		done
	done
	[ -f "$SYSROOT/etc/mke2fs.conf" ] && cp "$SYSROOT/etc/mke2fs.conf" "$root/etc/"

	# Kernel modules: the list plus its depends closure, then depmod on the host.
	read -ra mods <<<"$MODULES"
	[ -f "$KO" ] && read -ra deps <<<"$(modinfo -F depends "$KO" | tr ',' ' ')" &&
		mods+=("${deps[@]}")
	local done_mods=" "
	while [ ${#mods[@]} -gt 0 ]; do
		m=${mods[0]}
		mods=("${mods[@]:1}")
		case $done_mods in *" $m "*) continue ;; esac
		done_mods="$done_mods$m "
		path=$(mod_path "$m") || { log "module $m not in $VER (skipped)"; continue; }
		# Unpacked here, so the guest's kmod needs no decompressor and the kernel no
		# compressed-module support.
		mkdir -p "$root/lib/modules/$VER/$(dirname "$path")"
		case $path in
		*.xz) xz -dc "$KMODS/$path" >"$root/lib/modules/$VER/${path%.xz}" ;;
		*.zst) zstd -qdc "$KMODS/$path" >"$root/lib/modules/$VER/${path%.zst}" ;;
		*) install -m 644 "$KMODS/$path" "$root/lib/modules/$VER/$path" ;;
		esac
		read -ra deps <<<"$(modinfo -F depends "$KMODS/$path" | tr ',' ' ')"
		mods+=("${deps[@]}")
	done
	for f in modules.builtin modules.builtin.modinfo modules.order; do
		[ -f "$KMODS/$f" ] && cp "$KMODS/$f" "$root/lib/modules/$VER/"
	done
	if [ -f "$KO" ]; then
		install -D -m 644 "$KO" "$root/lib/modules/$VER/extra/rocknvme.ko"
	else
		log "note: $KO not built yet; image has the in-kernel nvme driver only"
	fi
	depmod -b "$root" "$VER"

	# Our test tools, static (no libraries to collect), and the packaging files.
	make -s -C "$TOOLS_DIR" CC="$CC" OUT="$root/usr/local/bin" >&2 ||
		{ log "building the tools in $TOOLS_DIR failed"; return 1; }
	install -m 755 "$PKG_DIR/rocknvme-switch" "$root/usr/local/sbin/rocknvme-switch"
	install -m 755 "$PKG_DIR/rocknvme-list" "$root/usr/local/sbin/rocknvme-list"
	install -D -m 644 -t "$root/usr/share/rocknvme/modprobe.d" "$PKG_DIR"/modprobe.d/*.conf

	# Guest scripts and /init.
	cp "$GUEST_DIR"/*.sh "$root/tests/"
	chmod 755 "$root"/tests/*.sh
	install -m 644 "$RESULTS_SH" "$root/tests/results.sh"
	mkdir -p "$root/tests/fio-jobs"
	cp "$RNV_TOP"/fio-jobs/*.fio "$root/tests/fio-jobs/"
	# The fio json reader that lib.sh shares with the host's bench report.
	cp "$FIO_JSON_AWK" "$root/tests/fio-json.awk"
	install -m 755 "$GUEST_DIR/init.sh" "$root/init"

	(cd "$root" && find . -mindepth 1 | LC_ALL=C sort |
		cpio -o -H newc -R 0:0 --quiet) | gzip -6 > "$OUT.tmp"
	mv "$OUT.tmp" "$OUT"
}

TMP=""
trap 'rm -rf "$TMP"' EXIT
trap 'exit 1' INT TERM HUP

main() {
	local key
	key=$(input_key)
	if [ -f "$OUT" ] && [ "$(cat "$OUT.key" 2>/dev/null)" = "$key" ]; then
		log "up to date: $OUT"
		return 0
	fi
	mkdir -p "$(dirname "$OUT")"
	TMP=$(mktemp -d "$(dirname "$OUT")/initramfs-$ARCH.XXXXXX")
	build "$TMP/root"
	echo "$key" > "$OUT.key"
	log "built $OUT ($(du -h "$OUT" | cut -f1))"
}

main
