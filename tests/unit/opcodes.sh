#!/usr/bin/env bash
# Host check, run by tests/unit/run.sh: rnv-ioctl's opcode list (tests/tools/nvme-opcodes.h)
# must say exactly what the driver does. From the driver's sources (any driver/*.c, found by
# function name, so files may be split or renamed) it takes, by their <linux/nvme.h> names:
#   rnv_admin_cmd_reserved  the case labels that return true: admin opcodes (nvme_admin_*)
#                           and Set Features ids (NVME_FEAT_*) refused from user space
#   rnv_ioctl_submit_io     the nvme_cmd_* opcodes NVME_IOCTL_SUBMIT_IO takes
#   rnv_admin_effects       the nvme_admin_* case labels: commands with known effects
# maps the names to values with the kernel's include/linux/nvme.h (the cached Debian headers
# of the default kernel, see tests/lib/common.sh), and compares them with the list's
# OP_REFUSED admin opcodes and feature ids, OP_SUBMIT and OP_EFFECTS entries.
# Prints RNV-RESULT PASS|FAIL unit-opcodes-{refused,refused-features,submit-io,effects};
# exit 1 on any failure.
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck disable=SC2034 # read by results.sh
RESULT_PREFIX=unit-opcodes
# shellcheck source=../lib/results.sh
. "$RNV_TOP/tests/lib/results.sh"

LIST=$RNV_TOP/tests/tools/nvme-opcodes.h
abi=$(rnv_abi 2>/dev/null || true)
NVME_H=""
for h in "$RNV_CACHE/headers-$abi-arm64/usr/src/linux-headers-$abi-common/include/linux/nvme.h" \
	"/usr/src/linux-headers-$abi-common/include/linux/nvme.h" \
	"$RNV_CACHE"/headers-*/usr/src/linux-headers-*-common/include/linux/nvme.h; do
	[ -f "$h" ] && { NVME_H=$h; break; }
done
if [ -z "$NVME_H" ]; then
	fail header "no kernel include/linux/nvme.h under $RNV_CACHE or /usr/src: run make setup"
	exit 1
fi

# body FUNC: the lines of FUNC's definition in driver/*.c (kernel style: the definition starts
# in column 0, the body ends at a "}" in column 0); the file on the first line.
body() {
	awk -v f="$1" '
		FNR == 1 { inside = 0 }
		!inside && $0 ~ "^[a-z].*[ *]" f "\\(" && $0 !~ /;$/ { inside = 1; print FILENAME }
		inside { print }
		inside && /^}/ { inside = 0 }' "$RNV_TOP"/driver/*.c
}

# returned_true: of a switch, the case labels whose next statement is "return true;".
returned_true() {
	awk '{
		while (match($0, /case [A-Za-z_0-9]+:/)) {
			pend = pend " " substr($0, RSTART + 5, RLENGTH - 6)
			$0 = substr($0, RSTART + RLENGTH)
		}
		if ($0 ~ /return true;/) { out = out pend; pend = "" }
		else if ($0 ~ /[;{]/) pend = ""
	} END { print out }'
}

# value NAME: NAME's value in the kernel's nvme.h, as 0x%02x (empty when it has none).
value() {
	local v
	v=$(sed -nE "s/^[[:space:]]*$1[[:space:]]*=[[:space:]]*(0x[0-9a-fA-F]+),?.*/\1/p" "$NVME_H" |
		head -n 1)
	[ -n "$v" ] && printf '0x%02x' "$((v))"
}

# listed SECTION FLAG: the values of the list's entries in NVME_ADMIN_OPCODES (admin),
# NVME_IO_OPCODES (io) or NVME_FEATURES (feat) that carry FLAG.
listed() {
	awk -v sect="$1" -v flag="$2" '
		/^#define NVME_ADMIN_OPCODES/ { s = "admin" }
		/^#define NVME_IO_OPCODES/ { s = "io" }
		/^#define NVME_FEATURES/ { s = "feat" }
		/^#define NVME_OP_ENUM/ { s = "" }
		s == sect && match($0, /X\([A-Z0-9_]+,[ \t]*0x[0-9a-fA-F]+,[ \t]*[^)]*\)/) {
			split(substr($0, RSTART + 2, RLENGTH - 3), e, /[ \t]*,[ \t]*/)
			if (e[3] ~ "(^|[ |])" flag "($|[ |])") print e[2]
		}' "$LIST" | while read -r v; do printf '0x%02x\n' "$((v))"; done | sort -u | tr '\n' ' ' |
		sed 's/ $//'
}

# minus "A" "B": the words of A that are not in B.
minus() { comm -23 <(tr ' ' '\n' <<<"$1" | sort) <(tr ' ' '\n' <<<"$2" | sort) | xargs; }

# compare CHECK WHAT "NAMES" FLAG SECTION: the driver's NAMES (mapped to values) against the
# list's SECTION entries with FLAG; one result line.
compare() {
	local check=$1 what=$2 names flag=$4 sect=$5 n v drv=() bad="" ours theirs
	names=$(xargs <<<"$3")
	for n in $names; do
		v=$(value "$n")
		if [ -z "$v" ]; then
			bad+=" $n"
		else
			drv+=("$v")
		fi
	done
	theirs=$(printf '%s\n' "${drv[@]}" | sed '/^$/d' | sort -u | tr '\n' ' ' | sed 's/ $//')
	ours=$(listed "$sect" "$flag")
	if [ -n "$bad" ]; then
		fail "$check" "$what: no value in $NVME_H for:$bad"
	elif [ -z "$theirs" ]; then
		fail "$check" "$what: found no opcode names in the driver (function renamed?)"
	elif [ "$theirs" != "$ours" ]; then
		fail "$check" "$what has {$theirs} ($names), nvme-opcodes.h $flag has {$ours}:" \
			"driver only {$(minus "$theirs" "$ours")}, list only {$(minus "$ours" "$theirs")}"
	else
		pass "$check" "$what = nvme-opcodes.h $flag: $theirs"
	fi
}

# where FUNC CHECK: W="file:FUNC" for the messages; a FAIL line CHECK and return 1 when FUNC
# is not defined exactly once.
where() {
	local files
	files=$(body "$1" | grep -c '^/' || true)
	if [ "$files" != 1 ]; then
		fail "$2" "$1 defined $files times in driver/*.c, expected once (renamed or moved?)"
		return 1
	fi
	W="$(body "$1" | head -n 1 | sed "s#^$RNV_TOP/##"):$1"
}

if where rnv_admin_cmd_reserved refused; then
	names=$(body rnv_admin_cmd_reserved | returned_true)
	compare refused "$W refused admin opcodes" \
		"$(tr ' ' '\n' <<<"$names" | grep '^nvme_admin_' | tr '\n' ' ')" OP_REFUSED admin
	compare refused-features "$W refused Set Features ids" \
		"$(tr ' ' '\n' <<<"$names" | grep '^NVME_FEAT_' | tr '\n' ' ')" OP_REFUSED feat
fi
if where rnv_ioctl_submit_io submit-io; then
	compare submit-io "$W SUBMIT_IO opcodes" \
		"$(body rnv_ioctl_submit_io | grep -oE 'nvme_cmd_[a-z0-9_]+' | sort -u | tr '\n' ' ')" \
		OP_SUBMIT io
fi
if where rnv_admin_effects effects; then
	compare effects "$W admin opcodes with known effects" \
		"$(body rnv_admin_effects | grep -oE 'case nvme_admin_[a-z0-9_]+' | cut -d' ' -f2 |
			tr '\n' ' ')" OP_EFFECTS admin
fi
exit "$RESULT_FAILED"
