#!/usr/bin/env bash
# Installs and caches everything the build, the VMs and the benches need, idempotently:
#   - Debian host packages (QEMU, cross compiler, dtc, fio, nvme-cli, sparse, ...);
#   - the Debian kernel ABI resolved from the linux-image-* metapackages (never fixed here);
#   - arm64 and amd64 kernel images, arm64 headers (cross build), amd64 headers (native);
#   - an arm64 guest userland: only the .debs that hold the guest tools and their libraries;
#   - checkpatch.pl from Debian's linux-source tarball.
# Everything lands in $RNV_CACHE (default ~/.cache/rocknvme), outside the repository.
# A stamp file per step makes the second run a no-op. Prints env lines for callers.
set -euo pipefail
. "$(dirname "$0")/common.sh"

HOST_PKGS="qemu-system-arm qemu-system-x86 qemu-utils gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu \
libc6-dev-arm64-cross \
fio nvme-cli device-tree-compiler busybox-static cpio sparse gnuplot-nox kmod e2fsprogs \
util-linux bash coreutils xz-utils zstd bc flex bison libelf-dev libssl-dev make gcc python3 \
dkms shellcheck smartmontools lm-sensors"
# Tools that run inside the guests (both arches); host copies are used for x86_64.
GUEST_BINS="fio nvme kmod mkfs.ext4 e2fsck bash blkdiscard sha256sum dd blockdev smartctl sensors"

log() { printf '[setup] %s\n' "$*" >&2; }

need_host_pkgs() {
	local missing=() p
	dpkg --print-foreign-architectures | grep -qx arm64 || missing+=(arch)
	for p in $HOST_PKGS; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	log "installing Debian packages: ${missing[*]}"
	dpkg --add-architecture arm64
	apt-get update -q >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $HOST_PKGS >&2
}

resolve_abi() {
	# linux-image-arm64 depends on linux-image-<ABI>-arm64: the ABI of the day.
	local abi
	abi=$(apt-cache depends linux-image-arm64:arm64 2>/dev/null |
		sed -n 's/.*Depends: linux-image-\(.*\)-arm64.*/\1/p' | head -n1)
	if [ -z "$abi" ]; then
		apt-get update -q >&2
		abi=$(apt-cache depends linux-image-arm64:arm64 |
			sed -n 's/.*Depends: linux-image-\(.*\)-arm64.*/\1/p' | head -n1)
	fi
	[ -n "$abi" ] || { log "cannot resolve the Debian kernel ABI"; exit 1; }
	echo "$abi"
}

# fetch_deb NAME[:ARCH]: download into the deb cache once.
fetch_deb() {
	local name=$1 base=${1%%:*}
	ls "$RNV_CACHE/debs/${base}_"*.deb >/dev/null 2>&1 && return 0
	(cd "$RNV_CACHE/debs" && apt-get download -q "$name" >&2)
}

unpack_kernels() {
	local abi=$1 d
	[ -f "$RNV_CACHE/kernel-$abi.stamp" ] && return 0
	log "fetching Debian kernel $abi (arm64 image + headers, amd64 image)"
	fetch_deb "linux-image-$abi-arm64:arm64"
	fetch_deb "linux-headers-$abi-arm64:arm64"
	fetch_deb "linux-headers-$abi-common"
	fetch_deb "linux-image-$abi-amd64:amd64"
	for d in arm64 amd64; do
		rm -rf "$RNV_CACHE/kernel-$abi-$d"
		mkdir -p "$RNV_CACHE/kernel-$abi-$d"
		dpkg -x "$RNV_CACHE/debs/linux-image-$abi-${d}_"*.deb "$RNV_CACHE/kernel-$abi-$d"
	done
	d="$RNV_CACHE/headers-$abi-arm64"
	rm -rf "$d"
	mkdir -p "$d"
	dpkg -x "$RNV_CACHE/debs/linux-headers-$abi-arm64_"*.deb "$d"
	dpkg -x "$RNV_CACHE/debs/linux-headers-$abi-common_"*.deb "$d"
	# The arm64 headers' scripts are host tools from linux-kbuild (amd64, installed below).
	local kb
	mkdir -p "$d/usr/lib"
	for kb in /usr/lib/linux-kbuild-*; do
		ln -sfn "$kb" "$d/usr/lib/$(basename "$kb")"
	done
	touch "$RNV_CACHE/kernel-$abi.stamp"
}

host_headers() {
	local abi=$1
	dpkg-query -W -f='${Status}' "linux-headers-$abi-amd64" 2>/dev/null | grep -q 'ok installed' && return 0
	log "installing amd64 headers $abi (kbuild host tools + native x86_64 build)"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "linux-headers-$abi-amd64" >&2 ||
		{ apt-get update -q >&2; DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
			--no-install-recommends "linux-headers-$abi-amd64" >&2; }
}

# owner_pkg PATH: the Debian package that ships PATH, trying the merged-/usr spellings too.
owner_pkg() {
	local f c
	f=$(readlink -f "$1")
	for c in "$f" "${f#/usr}" "/usr$f" "$1"; do
		dpkg -S "$c" 2>/dev/null | head -n1 | cut -d: -f1 && return 0
	done
	log "no package owns $1"
	return 1
}

# guest_pkgs BIN...: the host (amd64) packages that hold each BIN and its shared libraries;
# Debian multiarch gives the same package names for arm64.
guest_pkgs() {
	local pkgs="" lib b
	for b in "$@"; do
		b=$(command -v "$b")
		pkgs="$pkgs $(owner_pkg "$b")"
		for lib in $(ldd "$b" | awk '/=>/ { print $3 }'); do
			pkgs="$pkgs $(owner_pkg "$lib")"
		done
	done
	echo "$pkgs" | tr ' ' '\n' | sed '/^$/d' | sort -u
}

# guest_has ROOT BIN: the guest root already holds BIN (where mkinitramfs.sh looks for it).
guest_has() {
	local d
	for d in usr/bin usr/sbin bin sbin; do
		[ -e "$1/$d/$2" ] && return 0
	done
	return 1
}

# deb_unpacked ROOT DEB: a regular file of DEB (outside /usr/share) is already in ROOT.
deb_unpacked() {
	local f
	f=$(dpkg-deb --fsys-tarfile "$2" | tar -t | grep -v -e '/$' -e '^\./usr/share/' | head -n1)
	[ -n "$f" ] && [ -e "$1/$f" ]
}

# The arm64 guest root: for each guest tool, the host (amd64) package set that provides the
# binary and its shared libraries names the same packages for arm64 (Debian multiarch).
# Once made, it only grows: a tool added to GUEST_BINS later has its packages (those not yet
# unpacked) unpacked on top, and nothing is removed, since other runs sharing the cache may
# be reading the root at that moment.
guest_root_arm64() {
	local root="$RNV_CACHE/guest-arm64" stamp="$RNV_CACHE/guest-arm64.stamp" p deb b
	local missing=() bins=()
	if [ -f "$stamp" ]; then
		for b in $GUEST_BINS; do
			guest_has "$root" "$b" || missing+=("$b")
		done
		[ ${#missing[@]} -eq 0 ] && return 0
		log "adding to the arm64 guest userland: ${missing[*]}"
		for p in $(guest_pkgs "${missing[@]}"); do
			fetch_deb "$p:arm64"
			deb=$(ls "$RNV_CACHE/debs/${p}_"*arm64.deb)
			deb_unpacked "$root" "$deb" || dpkg -x "$deb" "$root"
		done
		touch "$stamp"
		return 0
	fi
	log "fetching arm64 guest userland ($GUEST_BINS)"
	rm -rf "$root"
	mkdir -p "$root"
	read -ra bins <<<"$GUEST_BINS"
	for p in libc6 libgcc-s1 $(guest_pkgs "${bins[@]}"); do
		fetch_deb "$p:arm64"
		dpkg -x "$RNV_CACHE/debs/${p}_"*arm64.deb "$root"
	done
	touch "$stamp"
}

checkpatch() {
	local abi=$1 deb d
	[ -x "$RNV_CACHE/checkpatch/scripts/checkpatch.pl" ] && return 0
	log "fetching checkpatch.pl from Debian's linux-source"
	fetch_deb linux-source-6.1
	deb=$(ls "$RNV_CACHE/debs/linux-source-6.1_"*.deb | head -n1)
	d=$(mktemp -d)
	dpkg -x "$deb" "$d"
	mkdir -p "$RNV_CACHE/checkpatch"
	tar -xaf "$d"/usr/src/linux-source-6.1.tar.* -C "$RNV_CACHE/checkpatch" --strip-components=1 \
		--wildcards '*/scripts/checkpatch.pl' '*/scripts/spelling.txt' \
		'*/scripts/const_structs.checkpatch'
	rm -rf "$d"
}

main() {
	mkdir -p "$RNV_CACHE/debs"
	need_host_pkgs
	local abi
	abi=$(resolve_abi)
	echo "$abi" > "$RNV_CACHE/abi"
	host_headers "$abi"
	unpack_kernels "$abi"
	guest_root_arm64
	case "${1:-}" in
	--lint) checkpatch "$abi" ;;
	esac
	log "ready: kernel $abi, cache $RNV_CACHE"
}

main "$@"
