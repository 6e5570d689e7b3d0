#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# test-overlay.sh: build dts/rock5bp-m2-nvme.dtbo, apply it to our stand-in
# RK3588 base trees (tests/dts/rk3588-base-test.dts) with fdtoverlay, and read
# the merged trees back with fdtget. Then the same on the real thing: the
# rk3588-rock-5b-plus.dtb that Debian's 7.x kernel ships (linux-base-*, built
# with __symbols__; fetched by tests/lib/setup.sh). Host tools only; no board,
# no QEMU.
#
# Output: one line per check, always the same checks in the same order,
#   RNV-RESULT PASS dts-<check> <detail>
#   RNV-RESULT FAIL dts-<check> <detail>
# A check whose inputs could not be produced (tool missing, build failed)
# is reported as FAIL "not run: ...", never skipped. Exit status 1 if any
# check failed, else 0. KEEP=1 keeps the work directory and prints its path.

set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
DTC=${DTC:-dtc}
CPP=${CPP:-cpp}
FDTOVERLAY=${FDTOVERLAY:-fdtoverlay}
FDTGET=${FDTGET:-fdtget}
MAKE=${MAKE:-make}

# The same preprocessor flags as dts/Makefile, for the base trees.
DT_CPPFLAGS=(-nostdinc -undef -D__DTS__ -x assembler-with-cpp -I "$TOP/dts/include")

RESULT_PREFIX=dts
# shellcheck source-path=SCRIPTDIR source=../lib/results.sh
. "$TOP/tests/lib/results.sh"
# check NAME EXPECTED ACTUAL [DETAIL]: PASS (with DETAIL, else ACTUAL) when
# EXPECTED equals ACTUAL; on failure the detail shows both. Names get $PFX.
PFX=""
check() {
	if [ "$2" = "$3" ]; then
		pass "$PFX$1" "${4:-$3}"
	else
		fail "$PFX$1" "expected '$2', got '$3'"
	fi
}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/rnv-dts.XXXXXX") || {
	echo "RNV-RESULT FAIL dts-tools not run: mktemp failed"; exit 1; }
if [ "${KEEP:-0}" = 1 ]; then
	echo "# work directory: $WORK"
else
	trap 'rm -rf "$WORK"' EXIT
fi

DTBO=$WORK/rock5bp-m2-nvme.dtbo
BASE=$WORK/base-soc.dtb
MERGED=$WORK/merged-soc.dtb

# --- tools ----------------------------------------------------------------
missing=""
for t in "$DTC" "$CPP" "$FDTOVERLAY" "$FDTGET" "$MAKE"; do
	command -v "$t" > /dev/null 2>&1 || missing="$missing $t"
done
if [ -z "$missing" ]; then
	pass tools "$($DTC --version 2>&1 | head -n1)"
else
	fail tools "missing:$missing (apt-get install device-tree-compiler cpp make)"
fi

# --- build the overlay with the project's own Makefile ---------------------
# make's stderr must be empty: the Makefile already fails on a dtc or cpp
# warning, and this catches anything else printed there.
if [ -n "$missing" ]; then
	fail build "not run: tools missing"
elif ! "$MAKE" -s -C "$TOP/dts" O="$WORK" > "$WORK/make.out" 2> "$WORK/make.err"; then
	fail build "make -C dts failed: $(tr '\n' ' ' < "$WORK/make.err")"
elif [ -s "$WORK/make.err" ]; then
	fail build "make -C dts wrote to stderr: $(tr '\n' ' ' < "$WORK/make.err")"
	rm -f "$DTBO"
elif [ ! -s "$DTBO" ]; then
	fail build "make -C dts produced no $(basename "$DTBO")"
else
	pass build "$(basename "$DTBO") $(stat -c %s "$DTBO") bytes, no warnings"
fi

# --- build the three base trees ---------------------------------------------
# build_base OUT [CPP -D flag]: cpp then dtc -@; any stderr output fails.
build_base() {
	local out=$1 log=$1.log
	shift
	"$CPP" "${DT_CPPFLAGS[@]}" "$@" -o "$out.pp" "$HERE/rk3588-base-test.dts" 2> "$log" &&
		[ ! -s "$log" ] &&
		"$DTC" -@ -I dts -O dtb -o "$out" "$out.pp" 2> "$log" &&
		[ ! -s "$log" ] && return 0
	rm -f "$out"
	return 1
}
if [ -n "$missing" ]; then
	fail base "not run: tools missing"
else
	bad=""
	build_base "$BASE" || bad="$bad soc($(tr '\n' ' ' < "$BASE.log"))"
	build_base "$WORK/base-5bp.dtb" -DRNV_BASE_5BP ||
		bad="$bad 5bp($(tr '\n' ' ' < "$WORK/base-5bp.dtb.log"))"
	build_base "$WORK/base-5b.dtb" -DRNV_BASE_5B ||
		bad="$bad 5b($(tr '\n' ' ' < "$WORK/base-5b.dtb.log"))"
	if [ -z "$bad" ]; then
		pass base "soc, 5bp and 5b variants built with dtc -@, no warnings"
	else
		fail base "failed:$bad"
	fi
fi

# --- apply -------------------------------------------------------------------
if [ ! -s "$DTBO" ] || [ ! -s "$BASE" ]; then
	fail apply "not run: overlay or base tree missing"
elif "$FDTOVERLAY" -i "$BASE" -o "$MERGED" "$DTBO" > "$WORK/apply.log" 2>&1 &&
	[ -s "$MERGED" ]; then
	pass apply "fdtoverlay -i base-soc.dtb -o merged-soc.dtb rock5bp-m2-nvme.dtbo"
else
	fail apply "fdtoverlay failed: $(tr '\n' ' ' < "$WORK/apply.log")"
	rm -f "$MERGED"
fi

# --- helpers on the merged tree -----------------------------------------------
# get TYPE PATH PROP: fdtget's value, or the literal <missing>.
get() { "$FDTGET" -t "$1" "$MERGED" "$2" "$3" 2> /dev/null || echo "<missing>"; }
# sym LABEL: the node path a label names in the merged tree's __symbols__.
sym() { get s /__symbols__ "$1"; }
# ph LABEL: the phandle of the node a label names.
ph() { local p; p=$(sym "$1"); get u "$p" phandle; }
# pins LABEL: "bank pin function" of a pin group's first rockchip,pins entry.
pins() { local p; p=$(sym "$1"); get u "$p" rockchip,pins | cut -d' ' -f1-3; }

# Every check below reads the merged tree; without it, each fails "not run".
MERGED_CHECKS=(labels fixups phy-status phy-data-lanes
	pcie3x4-status pcie3x4-num-lanes pcie3x4-reset-gpios pcie3x4-supply pcie3x4-pinctrl
	pcie3x2-status pcie3x2-num-lanes pcie3x2-reset-gpios pcie3x2-supply pcie3x2-pinctrl
	regulator-enable-gpio regulator-pinctrl)

if [ ! -s "$MERGED" ]; then
	for c in "${MERGED_CHECKS[@]}"; do fail "$c" "not run: no merged tree"; done
else
	# Labels resolve to the node paths the upstream RK3588 trees use.
	want="pcie3x4=/pcie@fe150000 pcie3x2=/pcie@fe160000 pcie30phy=/phy@fee80000 vcc3v3_pcie30=/regulator-vcc3v3-pcie30"
	got=""
	for l in pcie3x4 pcie3x2 pcie30phy vcc3v3_pcie30; do got="$got $l=$(sym $l)"; done
	check labels "$want" "${got# }"

	# The overlay refers to the base only through labels: every reference
	# is a __fixups__ entry, it has no internal references (no
	# __local_fixups__) and defines no node with a phandle of its own.
	fix=$("$FDTGET" -p "$DTBO" /__fixups__ 2> /dev/null | sort | tr '\n' ' ')
	wantfix="gpio1 gpio4 pcie30phy pcie3_rst pcie3_vcc3v3_en pcie3x2 pcie3x2_rst pcie3x4 vcc3v3_pcie30 "
	if [ "$fix" != "$wantfix" ]; then
		fail fixups "expected fixups '$wantfix', got '$fix'"
	elif "$FDTGET" -l "$DTBO" / 2> /dev/null | grep -qx __local_fixups__; then
		fail fixups "overlay has __local_fixups__ (internal phandle references)"
	elif "$DTC" -I dtb -O dts "$DTBO" 2> /dev/null | grep -q 'phandle ='; then
		fail fixups "overlay defines a node with a phandle"
	else
		pass fixups "labels only: ${fix% }"
	fi

	phy=$(sym pcie30phy)
	check phy-status "okay" "$(get s "$phy" status)"
	check phy-data-lanes "1 1 2 2" "$(get u "$phy" data-lanes)"

	reg_ph=$(ph vcc3v3_pcie30)
	gpio1_ph=$(ph gpio1)
	gpio4_ph=$(ph gpio4)

	# check_ctrl LABEL LANES PERST_PIN PINGROUP: one controller's checks.
	check_ctrl() {
		local n=$1 p
		p=$(sym "$1")
		check "$n-status" "okay" "$(get s "$p" status)"
		check "$n-num-lanes" "$2" "$(get u "$p" num-lanes)"
		# <&gpio4 pin GPIO_ACTIVE_HIGH>: controller phandle, line, flags 0.
		check "$n-reset-gpios" "$gpio4_ph $3 0" "$(get u "$p" reset-gpios)" \
			"<&gpio4 $3 GPIO_ACTIVE_HIGH> = cells $gpio4_ph $3 0"
		check "$n-supply" "$reg_ph" "$(get u "$p" vpcie3v3-supply)" \
			"phandle $reg_ph = vcc3v3_pcie30 $(sym vcc3v3_pcie30)"
		local names p0 want got
		names=$(get s "$p" pinctrl-names)
		p0=$(get u "$p" pinctrl-0)
		want="default -> phandle $(ph "$4") = $4, pins <4 $3 RK_FUNC_GPIO>"
		got="$names -> phandle $p0 = $4, pins <$(pins "$4" | sed 's/ 0$/ RK_FUNC_GPIO/')>"
		check "$n-pinctrl" "$want" "$got"
	}
	check_ctrl pcie3x4 2 14 pcie3_rst	# GPIO4_PB6 = line 14
	check_ctrl pcie3x2 2 8 pcie3x2_rst	# GPIO4_PB0 = line 8

	r=$(sym vcc3v3_pcie30)
	if get s "$r" enable-active-high | grep -qx '<missing>'; then
		fail regulator-enable-gpio "enable-active-high missing"
	else
		# <&gpio1 RK_PA4 GPIO_ACTIVE_HIGH>, GPIO1_PA4 = line 4.
		check regulator-enable-gpio "$gpio1_ph 4 0" "$(get u "$r" gpios)" \
			"<&gpio1 4 GPIO_ACTIVE_HIGH> = cells $gpio1_ph 4 0, enable-active-high"
	fi
	check regulator-pinctrl \
		"default -> phandle $(ph pcie3_vcc3v3_en) = pcie3_vcc3v3_en, pins <1 4 0>" \
		"$(get s "$r" pinctrl-names) -> phandle $(get u "$r" pinctrl-0) = pcie3_vcc3v3_en, pins <$(pins pcie3_vcc3v3_en)>"
fi

# --- on the upstream 5B+ layout the overlay must change nothing ---------------
B5BP=$WORK/base-5bp.dtb
if [ ! -s "$DTBO" ] || [ ! -s "$B5BP" ]; then
	fail idempotent-5bp "not run: overlay or 5bp base missing"
elif ! "$FDTOVERLAY" -i "$B5BP" -o "$WORK/merged-5bp.dtb" "$DTBO" > "$WORK/apply-5bp.log" 2>&1; then
	fail idempotent-5bp "fdtoverlay failed: $(tr '\n' ' ' < "$WORK/apply-5bp.log")"
else
	"$DTC" -I dtb -O dts -o "$WORK/base-5bp.txt" "$B5BP" 2> /dev/null
	"$DTC" -I dtb -O dts -o "$WORK/merged-5bp.txt" "$WORK/merged-5bp.dtb" 2> /dev/null
	if [ -s "$WORK/base-5bp.txt" ] && cmp -s "$WORK/base-5bp.txt" "$WORK/merged-5bp.txt"; then
		pass idempotent-5bp "merged tree identical to the 5B+ base ($(wc -l < "$WORK/base-5bp.txt") lines of dts)"
	else
		fail idempotent-5bp "overlay changed the 5B+ tree: $(diff "$WORK/base-5bp.txt" \
			"$WORK/merged-5bp.txt" 2>&1 | grep '^[<>]' | head -n4 | tr '\n' ' ')"
	fi
fi

# --- on the ROCK 5B layout (GPIO4_PB0 = USB 5 V) the overlay must not apply ----
B5B=$WORK/base-5b.dtb
if [ ! -s "$DTBO" ] || [ ! -s "$B5B" ]; then
	fail refuses-5b "not run: overlay or 5b base missing"
elif "$FDTOVERLAY" -i "$B5B" -o "$WORK/merged-5b.dtb" "$DTBO" > "$WORK/apply-5b.log" 2>&1; then
	fail refuses-5b "overlay applied to the ROCK 5B layout: pcie3x2 and vcc5v0_host would share GPIO4_PB0"
else
	pass refuses-5b "fdtoverlay refused the 5B tree: $(grep -o 'FDT_ERR_[A-Z_]*' "$WORK/apply-5b.log" | head -n1) (no pcie3x2_rst)"
fi

# --- the real ROCK 5B+ tree from Debian's 7.x kernel ---------------------------
# Its labels are the ones the overlay refers to (__symbols__), the overlay
# applies, it changes nothing there (upstream already describes both M.2
# slots), and the merged tree reads back as on our stand-in.
RNV_CACHE=${RNV_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rocknvme}
abi7=$(cat "$RNV_CACHE/abi-7" 2>/dev/null)
REAL=""
for d in usr/lib lib; do
	f=$RNV_CACHE/kernel-$abi7-arm64/$d/modules/$abi7-arm64/dtb/rockchip/rk3588-rock-5b-plus.dtb
	[ -n "$abi7" ] && [ -s "$f" ] && REAL=$f
done
REAL_CHECKS=(symbols apply unchanged phy-data-lanes pcie3x4-status pcie3x4-reset-gpios
	pcie3x4-supply pcie3x2-status pcie3x2-reset-gpios pcie3x2-supply)
PFX=real5bp-
if [ -z "$REAL" ] || [ ! -s "$DTBO" ]; then
	for c in "${REAL_CHECKS[@]}"; do
		fail "$PFX$c" "not run: ${REAL:+overlay missing}${REAL:-no rk3588-rock-5b-plus.dtb of kernel 7.x (${abi7:-unresolved}) in $RNV_CACHE: run make setup}"
	done
else
	MERGED=$WORK/merged-real-5bp.dtb
	missing_syms=""
	for l in gpio1 gpio4 pcie30phy pcie3_rst pcie3_vcc3v3_en pcie3x2 pcie3x2_rst pcie3x4 vcc3v3_pcie30; do
		"$FDTGET" "$REAL" /__symbols__ "$l" > /dev/null 2>&1 || missing_syms="$missing_syms $l"
	done
	if [ -z "$missing_syms" ]; then
		pass "${PFX}symbols" "$(basename "$REAL") of $abi7 has __symbols__ for every label the overlay uses"
	else
		fail "${PFX}symbols" "$(basename "$REAL") of $abi7 lacks __symbols__ for:$missing_syms"
	fi
	if "$FDTOVERLAY" -i "$REAL" -o "$MERGED" "$DTBO" > "$WORK/apply-real.log" 2>&1 && [ -s "$MERGED" ]; then
		pass "${PFX}apply" "fdtoverlay -i $(basename "$REAL") ($abi7) rock5bp-m2-nvme.dtbo"
		"$DTC" -I dtb -O dts -o "$WORK/real.txt" "$REAL" 2> /dev/null
		"$DTC" -I dtb -O dts -o "$WORK/real-merged.txt" "$MERGED" 2> /dev/null
		if [ -s "$WORK/real.txt" ] && cmp -s "$WORK/real.txt" "$WORK/real-merged.txt"; then
			pass "${PFX}unchanged" "merged tree identical to Debian's ($(wc -l < "$WORK/real.txt") lines of dts)"
		else
			fail "${PFX}unchanged" "overlay changed the real 5B+ tree: $(diff "$WORK/real.txt" \
				"$WORK/real-merged.txt" 2>&1 | grep '^[<>]' | head -n4 | tr '\n' ' ')"
		fi
		check phy-data-lanes "1 1 2 2" "$(get u "$(sym pcie30phy)" data-lanes)"
		gpio4_ph=$(ph gpio4)
		reg_ph=$(ph vcc3v3_pcie30)
		# LABEL PERST line: GPIO4_PB6 = 14, GPIO4_PB0 = 8, as on the stand-in.
		while read -r n line; do
			p=$(sym "$n")
			check "$n-status" "okay" "$(get s "$p" status)"
			check "$n-reset-gpios" "$gpio4_ph $line 0" "$(get u "$p" reset-gpios)" \
				"<&gpio4 $line GPIO_ACTIVE_HIGH> = cells $gpio4_ph $line 0"
			check "$n-supply" "$reg_ph" "$(get u "$p" vpcie3v3-supply)" \
				"phandle $reg_ph = vcc3v3_pcie30 $(sym vcc3v3_pcie30)"
		done <<-EOF
			pcie3x4 14
			pcie3x2 8
		EOF
	else
		fail "${PFX}apply" "fdtoverlay failed on $(basename "$REAL"): $(tr '\n' ' ' < "$WORK/apply-real.log")"
		for c in unchanged phy-data-lanes pcie3x4-status pcie3x4-reset-gpios pcie3x4-supply \
			pcie3x2-status pcie3x2-reset-gpios pcie3x2-supply; do
			fail "$PFX$c" "not run: the overlay did not apply"
		done
	fi
fi
PFX=""

exit "$RESULT_FAILED"
