#!/usr/bin/env bash
# Installs and caches everything the build, the VMs and the benches need, idempotently:
#   - Debian host packages (QEMU, cross compiler, dtc, fio, nvme-cli, sparse, ...);
#   - the Debian kernel ABI resolved from the linux-image-* metapackages (never fixed here);
#   - arm64 and amd64 kernel images, arm64 headers (cross build), amd64 headers (native);
#   - an arm64 guest userland: only the .debs that hold the guest tools and their libraries;
#   - checkpatch.pl from Debian's linux-source tarball;
#   - the newer kernel lines (KLINES below): 6.12 from bookworm-backports and 7.x from
#     trixie-backports, each resolved from its suite's metapackages through a private apt
#     state (the host's sources and lists are not touched): arm64 and amd64 headers, the
#     arm64 kernel and its modules; 7.x builds in a trixie root made once with mmdebstrap.
# Everything lands in $RNV_CACHE (default ~/.cache/rocknvme), outside the repository.
# A stamp file per step makes the second run a no-op. Prints a few "[setup] ..." progress
# lines on stderr; apt's, dpkg's, mmdebstrap's and the downloads' own output goes to
# $RNV_CACHE/setup.log (appended, one "=== setup" header per run that logs anything), and its
# last lines of this run are shown when setup fails.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$(dirname "$0")/common.sh"

HOST_PKGS="qemu-system-arm qemu-system-x86 qemu-utils gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu \
libc6-dev-arm64-cross \
fio nvme-cli device-tree-compiler busybox-static cpio sparse gnuplot-nox kmod e2fsprogs \
util-linux bash coreutils xz-utils zstd bc flex bison libelf-dev libssl-dev make gcc python3 \
dkms shellcheck smartmontools lm-sensors dwarves mmdebstrap"
# Tools that run inside the guests (both arches); host copies are used for x86_64.
GUEST_BINS="fio nvme kmod mkfs.ext4 e2fsck bash blkdiscard sha256sum dd blockdev smartctl sensors"

log() { printf '[setup] %s\n' "$*" >&2; }

SETUP_LOG=$RNV_CACHE/setup.log
# This run's header in the log ($$ is the same in command substitutions), written before the
# first logged command, so that a run with nothing to do leaves the log alone.
LOG_MARK="=== setup $(date -u +%Y-%m-%dT%H:%M:%SZ) pid $$"
logged() { [ -f "$SETUP_LOG" ] && grep -qxF -- "$LOG_MARK" "$SETUP_LOG"; }
# quiet CMD...: run CMD (a command or a function) with its output appended to $SETUP_LOG.
quiet() {
	logged || echo "$LOG_MARK" >>"$SETUP_LOG"
	echo "+ $*" >>"$SETUP_LOG"
	"$@" >>"$SETUP_LOG" 2>&1
}

# in_dir DIR CMD...: run CMD in DIR (apt-get download writes to the current directory).
in_dir() {
	local d=$1 rc=0
	shift
	pushd "$d" >/dev/null
	"$@" || rc=$?
	popd >/dev/null
	return "$rc"
}

# On failure: this run's last lines of the log (other runs sharing the cache may append too).
on_exit() {
	local rc=$?
	[ "$rc" = 0 ] && return 0
	log "FAILED (exit $rc)"
	if logged; then
		log "last lines of $SETUP_LOG:"
		awk -v m="$LOG_MARK" '$0 == m { p = 1 } p' "$SETUP_LOG" | tail -n 25 | sed 's/^/    /' >&2
	fi
	return "$rc"
}
trap on_exit EXIT

need_host_pkgs() {
	local missing=() p
	dpkg --print-foreign-architectures | grep -qx arm64 || missing+=(arch)
	for p in $HOST_PKGS; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	log "installing Debian packages: ${missing[*]} (apt-get; output in $SETUP_LOG)"
	dpkg --add-architecture arm64
	quiet apt-get update -q
	# shellcheck disable=SC2086 # one word per package
	quiet env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $HOST_PKGS
}

resolve_abi() {
	# linux-image-arm64 depends on linux-image-<ABI>-arm64: the ABI of the day.
	local abi
	abi=$(apt-cache depends linux-image-arm64:arm64 2>/dev/null |
		sed -n 's/.*Depends: linux-image-\(.*\)-arm64.*/\1/p' | head -n1)
	if [ -z "$abi" ]; then
		log "apt-get update (the arm64 kernel metapackage is not in the lists yet)"
		quiet apt-get update -q
		abi=$(apt-cache depends linux-image-arm64:arm64 |
			sed -n 's/.*Depends: linux-image-\(.*\)-arm64.*/\1/p' | head -n1)
	fi
	[ -n "$abi" ] || { log "cannot resolve the Debian kernel ABI"; exit 1; }
	echo "$abi"
}

# cached NAME[:ARCH]: the deb cache holds NAME (for ARCH, or Architecture: all).
cached() {
	local base=${1%%:*} arch="" f
	[ "$base" != "$1" ] && arch=${1#*:}
	for f in "$RNV_CACHE/debs/${base}_"*.deb; do
		[ -e "$f" ] || continue
		[ -z "$arch" ] && return 0
		case $f in *_"$arch".deb | *_all.deb) return 0 ;; esac
	done
	return 1
}

# fetch_debs NAME[:ARCH]...: download those not in the deb cache yet, in ONE apt-get call.
fetch_debs() {
	local n want=()
	for n in "$@"; do
		cached "$n" || want+=("$n")
	done
	[ ${#want[@]} -eq 0 ] && return 0
	in_dir "$RNV_CACHE/debs" quiet apt-get download -q "${want[@]}"
}

unpack_kernels() {
	local abi=$1 d
	[ -f "$RNV_CACHE/kernel-$abi.stamp" ] && return 0
	log "fetching Debian kernel $abi (arm64 image + headers, amd64 image)"
	fetch_debs "linux-image-$abi-arm64:arm64" "linux-headers-$abi-arm64:arm64" \
		"linux-headers-$abi-common" "linux-image-$abi-amd64:amd64"
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
	quiet env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
		"linux-headers-$abi-amd64" ||
		{ quiet apt-get update -q; quiet env DEBIAN_FRONTEND=noninteractive apt-get install -y \
			-q --no-install-recommends "linux-headers-$abi-amd64"; }
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
	local missing=() bins=() pkgs=()
	if [ -f "$stamp" ]; then
		for b in $GUEST_BINS; do
			guest_has "$root" "$b" || missing+=("$b")
		done
		[ ${#missing[@]} -eq 0 ] && return 0
		log "adding to the arm64 guest userland: ${missing[*]}"
		read -ra pkgs <<<"$(guest_pkgs "${missing[@]}" | tr '\n' ' ')"
		fetch_debs "${pkgs[@]/%/:arm64}"
		for p in "${pkgs[@]}"; do
			deb=$(deb "$p" arm64)
			deb_unpacked "$root" "$deb" || dpkg -x "$deb" "$root"
		done
		touch "$stamp"
		return 0
	fi
	log "fetching the arm64 guest userland ($GUEST_BINS): one apt-get download"
	rm -rf "$root"
	mkdir -p "$root"
	read -ra bins <<<"$GUEST_BINS"
	read -ra pkgs <<<"$({ echo libc6; echo libgcc-s1; guest_pkgs "${bins[@]}"; } |
		sort -u | tr '\n' ' ')"
	fetch_debs "${pkgs[@]/%/:arm64}"
	log "unpacking ${#pkgs[@]} .debs into $root"
	for p in "${pkgs[@]}"; do
		dpkg -x "$(deb "$p" arm64)" "$root"
	done
	touch "$stamp"
}

checkpatch() {
	local abi=$1 deb d
	[ -x "$RNV_CACHE/checkpatch/scripts/checkpatch.pl" ] && return 0
	log "fetching checkpatch.pl from Debian's linux-source"
	fetch_debs linux-source-6.1
	deb=$(deb linux-source-6.1 all)
	d=$(mktemp -d)
	dpkg -x "$deb" "$d"
	mkdir -p "$RNV_CACHE/checkpatch"
	tar -xaf "$d"/usr/src/linux-source-6.1.tar.* -C "$RNV_CACHE/checkpatch" --strip-components=1 \
		--wildcards '*/scripts/checkpatch.pl' '*/scripts/spelling.txt' \
		'*/scripts/const_structs.checkpatch'
	rm -rf "$d"
}

# The newer kernel lines: NAME SUITE ROOT. NAME is what KVER= and KERNEL= accept; SUITE is
# the Debian suite whose linux-image-* metapackages name the ABI; ROOT is "host" when the
# suite's kbuild tools run on this Debian 12 host, else the Debian release of the root they
# need (7.x's tools need glibc >= 2.38 and gcc-14, so they run in a trixie root).
KLINES="6.12:bookworm-backports:host 7:trixie-backports:trixie"
# The host's own Debian mirror (deb822 or one-line sources), for the other suites.
MIRROR=$(sed -n -e 's#^URIs: *\(\S*/debian\)/*$#\1#p' -e 's#^deb \(\[[^]]*\] \)\?\(\S*/debian\)/* .*#\2#p' \
	/etc/apt/sources.list /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n1 || true)
MIRROR=${MIRROR:-http://deb.debian.org/debian}
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg

# sapt SUITE apt-get|apt-cache ARGS...: apt with a private sources list, lists and cache
# for SUITE, so the host's own apt state (Debian 12 only) stays as it is.
sapt() {
	local d=$RNV_CACHE/apt/$1 tool=$2
	shift 2
	"$tool" -o Dir::Etc::sourcelist="$d/sources.list" -o Dir::Etc::sourceparts=- \
		-o Dir::State::Lists="$d/lists" -o Dir::Cache="$d/cache" \
		-o APT::Architectures::=amd64 -o APT::Architectures::=arm64 "$@"
}

# suite_update SUITE: refresh SUITE's private lists when they are a day old (backports move
# to a new ABI now and then), or at once with RNV_REFRESH=1.
suite_update() {
	local d=$RNV_CACHE/apt/$1
	[ -n "$(find "$d/updated.stamp" -mtime -1 2>/dev/null)" ] && [ -z "${RNV_REFRESH:-}" ] &&
		return 0
	mkdir -p "$d/lists/partial" "$d/cache/archives/partial"
	echo "deb [signed-by=$KEYRING] $MIRROR $1 main" > "$d/sources.list"
	log "apt update for $1 (private lists in $d)"
	quiet sapt "$1" apt-get -q update
	touch "$d/updated.stamp"
}

# suite_abi SUITE: the ABI that SUITE's linux-image-arm64 names; its headers metapackage
# must name the same one.
suite_abi() {
	local img hdr
	img=$(sapt "$1" apt-cache depends linux-image-arm64:arm64 |
		sed -n 's/.*Depends: linux-image-\(.*\)-arm64:arm64$/\1/p' | head -n1)
	hdr=$(sapt "$1" apt-cache depends linux-headers-arm64:arm64 |
		sed -n 's/.*Depends: linux-headers-\(.*\)-arm64:arm64$/\1/p' | head -n1)
	if [ -z "$img" ] || [ "$img" != "$hdr" ]; then
		log "cannot resolve the kernel ABI of $1 (image '$img', headers '$hdr')"
		exit 1
	fi
	echo "$img"
}

# sfetch SUITE NAME[:ARCH]...: download from SUITE into the deb cache those not there yet,
# in one apt-get call.
sfetch() {
	local s=$1 n want=()
	shift
	for n in "$@"; do
		cached "$n" || want+=("$n")
	done
	[ ${#want[@]} -eq 0 ] && return 0
	in_dir "$RNV_CACHE/debs" quiet sapt "$s" apt-get download -q "${want[@]}"
}

# deb NAME ARCH: the cached .deb of NAME for ARCH (all or ARCH); 1 with a message if none.
deb() {
	local f
	for f in "$RNV_CACHE/debs/${1}_"*"_$2.deb" "$RNV_CACHE/debs/${1}_"*_all.deb; do
		[ -e "$f" ] && { echo "$f"; return 0; }
	done
	log "no $2 .deb of $1 in $RNV_CACHE/debs"
	return 1
}

# What a build root holds: the compilers (native and aarch64), what the kbuild tools link
# (libelf, libssl), pahole for BTF, sparse for lint, and dkms for the packaging test.
ROOT_PKGS=gcc-14,gcc-14-aarch64-linux-gnu,binutils,binutils-aarch64-linux-gnu,make,libc6-dev,libelf1t64,libssl3t64,dwarves,bc,kmod,sparse,dkms

# make_root RELEASE: a Debian root with the tools kbuild runs, made once; made again (about a
# minute) when ROOT_PKGS changes, which its stamp records. Kernel headers unpacked into it
# carry their own stamp inside it, so they come back with a new root.
make_root() {
	local root=$RNV_CACHE/root-$1
	[ "$(cat "$root.stamp" 2>/dev/null)" = "$ROOT_PKGS" ] && return 0
	log "making the $1 build root with mmdebstrap (about a minute)"
	rm -rf "$root" "$root.stamp"
	quiet mmdebstrap --variant=apt --architectures=amd64 --include="$ROOT_PKGS" \
		"$1" "$root" "deb [signed-by=$KEYRING] $MIRROR $1 main"
	echo "$ROOT_PKGS" >"$root.stamp"
}

# checker_valid COMMON: 7.x's Makefile asks scripts/checker-valid.sh whether sparse can be used
# with C=1/C=2 (it must print 1), but Debian's linux-kbuild package does not ship that script,
# so kbuild would turn sparse off without a word. Ours only asks whether sparse runs with
# kbuild's flags; whether it can read this kernel's headers is for tests/lint.sh to see.
checker_valid() {
	local s=$1/scripts/checker-valid.sh
	grep -q 'checker-valid.sh' "$1/Makefile" && [ ! -e "$s" ] || return 0
	cat >"$s" <<'SH'
#!/bin/sh
# checker-valid.sh CHECK [CHECKFLAGS...] (written by rocknvme's tests/lib/setup.sh: Debian's
# linux-kbuild lacks it): print 1 when the checker runs on an empty C file.
f=$(mktemp --suffix=.c) || exit 0
"$@" "$f" >/dev/null 2>&1 && echo 1
rm -f "$f"
SH
	chmod 755 "$s"
}

# kernel_line NAME SUITE ROOT: resolve, fetch and unpack one kernel line. Headers for both
# arches go to headers-ABI-ARCH (host) or into the root's /usr/src, with the amd64 kbuild
# tools beside them; the arm64 kernel and modules go to kernel-ABI-arm64.
kernel_line() {
	local name=$1 suite=$2 rootrel=$3 abi kb dir a tree p
	suite_update "$suite"
	abi=$(suite_abi "$suite")
	echo "$abi" > "$RNV_CACHE/abi-$name"
	[ "$rootrel" = host ] || make_root "$rootrel"
	tree=$RNV_CACHE/root-$rootrel
	[ "$rootrel" = host ] && tree=$RNV_CACHE/headers-$abi-amd64
	[ -f "$RNV_CACHE/kernel-$abi.stamp" ] && [ -f "$tree/.rnv-headers-$abi" ] && return 0
	log "fetching Debian kernel $abi ($suite): headers, arm64 kernel and modules"
	kb=$(sapt "$suite" apt-cache depends "linux-headers-$abi-amd64" |
		sed -n 's/.*Depends: \(linux-kbuild-[^:]*\).*/\1/p' | head -n1)
	sfetch "$suite" "linux-headers-$abi-arm64:arm64" "linux-headers-$abi-amd64:amd64" \
		"linux-headers-$abi-common" "$kb:amd64"
	# 6.12 ships one linux-image; 7.x splits it into binary, modules and base (dtbs).
	if sapt "$suite" apt-cache show "linux-binary-$abi-arm64:arm64" >/dev/null 2>&1; then
		sfetch "$suite" "linux-binary-$abi-arm64:arm64" "linux-modules-$abi-arm64:arm64" \
			"linux-base-$abi-arm64:arm64"
		p="linux-binary-$abi-arm64 linux-modules-$abi-arm64 linux-base-$abi-arm64"
	else
		sfetch "$suite" "linux-image-$abi-arm64:arm64"
		p="linux-image-$abi-arm64"
	fi
	dir=$RNV_CACHE/kernel-$abi-arm64
	rm -rf "$dir"
	mkdir -p "$dir"
	for a in $p; do dpkg -x "$(deb "$a" arm64)" "$dir"; done
	for a in arm64 amd64; do
		if [ "$rootrel" = host ]; then
			tree=$RNV_CACHE/headers-$abi-$a
			rm -rf "$tree"
			mkdir -p "$tree"
		else
			tree=$RNV_CACHE/root-$rootrel
		fi
		dpkg -x "$(deb "linux-headers-$abi-$a" "$a")" "$tree"
		dpkg -x "$(deb "linux-headers-$abi-common" all)" "$tree"
		dpkg -x "$(deb "$kb" amd64)" "$tree"
		# Outside a root, the headers' Makefile must include the common tree from here.
		[ "$rootrel" = host ] && sed -i "s#^include /usr/src/#include $tree/usr/src/#" \
			"$tree/usr/src/linux-headers-$abi-$a/Makefile"
	done
	checker_valid "$tree/usr/src/linux-headers-$abi-common"
	touch "$tree/.rnv-headers-$abi" "$RNV_CACHE/kernel-$abi.stamp"
}

main() {
	mkdir -p "$RNV_CACHE/debs"
	need_host_pkgs
	local abi kl
	abi=$(resolve_abi)
	echo "$abi" > "$RNV_CACHE/abi"
	echo "$abi" > "$RNV_CACHE/abi-6.1"
	host_headers "$abi"
	unpack_kernels "$abi"
	guest_root_arm64
	for kl in $KLINES; do
		IFS=: read -r -a kl <<<"$kl"
		kernel_line "${kl[@]}"
	done
	case "${1:-}" in
	--lint) checkpatch "$abi" ;;
	esac
	log "ready: kernels $abi $(cat "$RNV_CACHE"/abi-6.12 "$RNV_CACHE"/abi-7 | tr '\n' ' ')cache $RNV_CACHE"
}

main "$@"
