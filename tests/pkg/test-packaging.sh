#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# test-packaging.sh: host checks of the installation files, no VM (the guest side is
# tests/guest/t_install.sh):
#   pkg-shellcheck       packaging/rocknvme-switch and rocknvme-list are shellcheck-clean as
#                        POSIX sh
#   pkg-modprobe-conf    kmod parses packaging/modprobe.d/rocknvme.conf into the softdep
#   pkg-dkms-version     dkms.conf has a literal PACKAGE_VERSION (what README's sed reads)
#   pkg-dkms-build       `dkms add` + `dkms build` of a copy of the tree against the amd64
#                        headers, in private DKMS trees under a temp directory (nothing goes
#                        to /usr/src or /var/lib/dkms; signing is turned off so no MOK key is
#                        made), and the built module is rocknvme for that kernel
#
# Output: one "RNV-RESULT PASS|FAIL pkg-<check> <detail>" line per check, always the same
# checks; a check that cannot run (tool missing) is a FAIL "not run: ...". Exit 1 on a FAIL.
# KEEP=1 keeps the work directory and prints its path.
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
. "$TOP/tests/lib/common.sh"

RESULT_PREFIX=pkg
# shellcheck source-path=SCRIPTDIR source=../lib/results.sh
. "$TOP/tests/lib/results.sh"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/rnv-pkg.XXXXXX") || {
	echo "RNV-RESULT FAIL pkg-dkms-build not run: mktemp failed"; exit 1; }
if [ "${KEEP:-0}" = 1 ]; then
	echo "# work directory: $WORK"
else
	trap 'rm -rf "$WORK"' EXIT
fi

# --- rocknvme-switch ---------------------------------------------------------
if ! command -v shellcheck >/dev/null; then
	fail shellcheck "not run: shellcheck missing (apt-get install shellcheck)"
elif out=$(shellcheck -s sh "$TOP/packaging/rocknvme-switch" "$TOP/packaging/rocknvme-list" 2>&1); then
	pass shellcheck "packaging/rocknvme-switch, rocknvme-list clean ($(shellcheck --version | sed -n 's/^version: //p'))"
else
	fail shellcheck "packaging/rocknvme-switch, rocknvme-list: $(head -n 6 <<<"$out" | tr '\n' ' ')"
fi

# --- modprobe.d --------------------------------------------------------------
if ! command -v modprobe >/dev/null && [ ! -x /sbin/modprobe ]; then
	fail modprobe-conf "not run: kmod's modprobe missing"
else
	mp=$(command -v modprobe || echo /sbin/modprobe)
	if "$mp" -C "$TOP/packaging/modprobe.d" -c 2>"$WORK/mp.err" |
		grep -qx 'softdep nvme pre: rocknvme'; then
		pass modprobe-conf "modprobe -C packaging/modprobe.d -c: softdep nvme pre: rocknvme"
	else
		fail modprobe-conf "softdep not in modprobe -c: $(head -c 200 "$WORK/mp.err")"
	fi
fi

# --- dkms --------------------------------------------------------------------
ver=$(sed -n 's/^PACKAGE_VERSION="\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' "$TOP/dkms.conf")
if [[ $ver =~ ^[0-9]+(\.[0-9]+)+$ ]]; then
	pass dkms-version "PACKAGE_VERSION $ver"
else
	fail dkms-version "no literal PACKAGE_VERSION in dkms.conf (got '$ver')"
fi

ABI=$(rnv_abi 2>/dev/null)
KVER=$ABI-amd64
KSRC=$(rnv_kdir x86 2>/dev/null)
if ! command -v dkms >/dev/null; then
	fail dkms-build "not run: dkms missing (apt-get install dkms)"
elif [ -z "$ABI" ] || [ ! -d "$KSRC" ]; then
	fail dkms-build "not run: no amd64 headers at '$KSRC' (make setup)"
elif [ -z "$ver" ]; then
	fail dkms-build "not run: no PACKAGE_VERSION"
else
	# The tree as a user would clone it: tracked and new files, no build output.
	mkdir -p "$WORK/copy" "$WORK/tree" "$WORK/src" "$WORK/inst"
	(cd "$TOP" && git ls-files -co --exclude-standard | grep -v '^build/' |
		tar -cf - -T - | tar -xf - -C "$WORK/copy")
	D=(--dkmstree "$WORK/tree" --sourcetree "$WORK/src" --installtree "$WORK/inst")
	ko=$WORK/tree/rocknvme/$ver/$KVER/x86_64/module/rocknvme.ko
	if ! dkms add "${D[@]}" "$WORK/copy" >"$WORK/dkms.log" 2>&1; then
		fail dkms-build "dkms add failed: $(tail -n 3 "$WORK/dkms.log" | tr '\n' ' ')"
	elif ! sign_file=/nonexistent dkms build "${D[@]}" "rocknvme/$ver" -k "$KVER" -a x86_64 \
		--kernelsourcedir "$KSRC" >>"$WORK/dkms.log" 2>&1; then
		fail dkms-build "dkms build failed: $(grep -iE 'error|bad return' "$WORK/dkms.log" |
			head -n 3 | tr '\n' ' ') (make.log: $(tail -n 3 "$WORK"/tree/rocknvme/"$ver"/build/make.log 2>/dev/null | tr '\n' ' '))"
	elif [ ! -f "$ko" ]; then
		fail dkms-build "dkms build succeeded but $ko is missing"
	else
		name=$(modinfo -F name "$ko") vermagic=$(modinfo -F vermagic "$ko")
		if [ "$name" = rocknvme ] && [[ $vermagic == "$KVER "* ]]; then
			pass dkms-build "dkms build rocknvme/$ver -k $KVER: module $name, vermagic $vermagic"
		else
			fail dkms-build "built module is '$name', vermagic '$vermagic' (wanted rocknvme, $KVER)"
		fi
	fi
fi

exit $failed
