# Shared paths for the setup, build and VM scripts. Sourced, not run.
# RNV_CACHE holds downloads and unpacked kernels, outside the repository.
RNV_CACHE=${RNV_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rocknvme}
RNV_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
RNV_OUT=${RNV_OUT:-$RNV_TOP/build}
export RNV_CACHE RNV_TOP RNV_OUT

# rnv_abi: the Debian kernel ABI that setup resolved (e.g. 6.1.0-56).
rnv_abi() { cat "$RNV_CACHE/abi"; }
# rnv_kdir ARCH: the kernel build tree for an arch (arm64 = unpacked, amd64 = host-installed).
rnv_kdir() {
	case "$1" in
	arm64) echo "$RNV_CACHE/headers-$(rnv_abi)-arm64/usr/src/linux-headers-$(rnv_abi)-arm64" ;;
	*) echo "/usr/src/linux-headers-$(rnv_abi)-amd64" ;;
	esac
}
