# shellcheck shell=bash
# Shared paths for the setup, build and VM scripts. Sourced, not run.
# RNV_CACHE holds downloads and unpacked kernels, outside the repository.
RNV_CACHE=${RNV_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rocknvme}
RNV_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
RNV_OUT=${RNV_OUT:-$RNV_TOP/build}
export RNV_CACHE RNV_TOP RNV_OUT

# rnv_abi [LINE]: the Debian kernel ABI that setup resolved (e.g. 6.1.0-56) for Debian 12's
# own kernel, or for another line it fetched (6.1, 6.12, 7: see KLINES in setup.sh).
rnv_abi() {
	if [ -n "${1:-}" ]; then
		cat "$RNV_CACHE/abi-$1"
	else
		cat "$RNV_CACHE/abi"
	fi
}
# rnv_ko ARCH [LINE]: the module `make` built for ARCH and that line (make KVER=LINE).
rnv_ko() {
	if [ -n "${2:-}" ]; then
		echo "$RNV_OUT/rocknvme-$1-$(rnv_abi "$2").ko"
	else
		echo "$RNV_OUT/rocknvme-$1.ko"
	fi
}
# rnv_kmods ARCH-DEB ABI: the unpacked modules tree of a kernel (7.x ships them in /usr/lib).
rnv_kmods() {
	local d
	for d in lib usr/lib; do
		[ -d "$RNV_CACHE/kernel-$2-$1/$d/modules/$2-$1" ] &&
			{ echo "$RNV_CACHE/kernel-$2-$1/$d/modules/$2-$1"; return 0; }
	done
	echo "$RNV_CACHE/kernel-$2-$1/lib/modules/$2-$1"
}
# rnv_kdir ARCH: the kernel build tree for an arch (arm64 = unpacked, amd64 = host-installed).
rnv_kdir() {
	case "$1" in
	arm64) echo "$RNV_CACHE/headers-$(rnv_abi)-arm64/usr/src/linux-headers-$(rnv_abi)-arm64" ;;
	*) echo "/usr/src/linux-headers-$(rnv_abi)-amd64" ;;
	esac
}
