#!/bin/bash
# Guest test: the sysfs layout and attributes tools read, and packaging/rocknvme-list against
# nvme-cli's own `nvme list` for the in-kernel driver, on the same QEMU controller in one boot:
#   1. rocknvme: /sys/block/<disk>/device is the controller's class device, whose parent is
#      the PCI function; transport, address, subsysnqn, cntlid, numa_node, sqsize on it;
#      nsid, nuse, wwid on the disk (values against nvme-cli's Identify);
#   2. rocknvme-list and rocknvme-list -o json are saved, the controller is moved to nvme
#      (rocknvme-switch), and `nvme list` / `nvme list -o json` are taken;
#   3. JSON: each namespace's entry byte for byte the same text once DevicePath is swapped
#      (/dev/rocknvme0n<M> for /dev/nvme0n<M>), the text around the entries the same, as many
#      entries as namespaces attached; table: the same header, and each row the same from the
#      SN column on (Generic is nvme's /dev/ng0n<M>; rocknvme has no generic node: empty); nvme's class device has the same transport, address,
#      subsysnqn, cntlid, numa_node, model, serial and firmware_rev as ours had;
#   4. back to rocknvme.
# With NVME_LAYOUT=subsys2ns (the namespaces row), namespace 2 is attached first, so two rows
# are compared (and the namespace count), and detached again at the end.
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. /tests/lib.sh

SWITCH=/usr/local/sbin/rocknvme-switch
LIST=/usr/local/sbin/rocknvme-list
claim_controller
load_driver || exit 0
SYS=$(ctrl_sysfs)
bdf=$(nvme_bdf)
jstr() { tr -d '\n' | grep -o "\"$1\":\"[^\"]*\"" | head -n1 | cut -d'"' -f4; }
jnum() { tr -d ' \n' | grep -o "\"$1\":[0-9]*" | head -n1 | cut -d: -f2; }

# --- 1. layout and attributes -------------------------------------------------------------
dev=$(readlink -f "$(sysblock)/device")
check list-layout-disk "$dev" "$(readlink -f "$SYS")" "$(sysblock)/device"
check list-layout-ctrl "$(basename "$(readlink -f "$SYS/device")")" "$bdf" "parent of $SYS"
nvme id-ctrl "$CTRL" -o json >/tmp/list-idctrl.json 2>/dev/null
check list-attr-transport "$(cat "$SYS/transport")" pcie transport
check list-attr-address "$(cat "$SYS/address")" "$bdf" address
check list-attr-subsysnqn "$(cat "$SYS/subsysnqn")" "$(jstr subnqn </tmp/list-idctrl.json)" \
	"subsysnqn (id-ctrl subnqn)"
check list-attr-cntlid "$(cat "$SYS/cntlid")" "$(jnum cntlid </tmp/list-idctrl.json)" "cntlid (id-ctrl)"
check list-attr-numa "$(cat "$SYS/numa_node")" "$(cat "/sys/bus/pci/devices/$bdf/numa_node")" \
	"numa_node (PCI device's)"
sq=$(cat "$SYS/sqsize")
if [[ $sq =~ ^[0-9]+$ ]] && [ "$sq" -gt 0 ]; then
	pass list-attr-sqsize "sqsize $sq"
else
	fail list-attr-sqsize "sqsize '$sq'"
fi
SB=$(sysblock)
check list-attr-nsid "$(cat "$SB/nsid")" 1 "nsid"
nuse=$(nvme id-ns "$DISK" -o json 2>/dev/null | jnum nuse)
check list-attr-nuse "$(cat "$SB/nuse")" "$nuse" "nuse (id-ns)"
wwid=$(cat "$SB/wwid")
case $wwid in
eui.* | nvme.* | uuid.*) pass list-attr-wwid "wwid $wwid" ;;
*) fail list-attr-wwid "wwid '$wwid'" ;;
esac
# Two namespaces where the layout has a second one to attach (t_ns's layout).
ns2=""
if [ "${rnvlayout:-}" = subsys2ns ]; then
	ns2=${DISK%n1}n2
	nvme attach-ns "$CTRL" -n 2 -c "$(cat "$SYS/cntlid")" >/dev/null 2>&1
	if wait_for "$ns2" 30; then
		pass list-ns2 "namespace 2 attached: $ns2"
	else
		fail list-ns2 "$ns2 did not appear after attach-ns"
		ns2=""
	fi
fi
ours=""
for a in transport address subsysnqn cntlid numa_node model serial firmware_rev; do
	ours="$ours$a=$(sed 's/ *$//' "$SYS/$a");"
done

# --- 2. both listings ------------------------------------------------------------------------
if ! "$LIST" >/tmp/list-rnv.txt 2>&1 || ! "$LIST" -o json >/tmp/list-rnv.json 2>&1; then
	fail list-run "rocknvme-list failed: $(head -c 300 /tmp/list-rnv.txt /tmp/list-rnv.json)"
	exit 0
fi
pass list-run "rocknvme-list: $(($(wc -l </tmp/list-rnv.txt) - 2)) namespace row(s)"
if ! out=$("$SWITCH" "$bdf" nvme 2>&1); then
	fail list-switch "rocknvme-switch $bdf nvme: $out"
	exit 0
fi
nsys=""
for c in /sys/class/nvme/nvme*; do
	[ "$(basename "$(readlink -f "$c/device")")" = "$bdf" ] && nsys=$c
done
nvme list >/tmp/list-nvme.txt 2>&1
nvme list -o json >/tmp/list-nvme.json 2>&1
theirs=""
for a in transport address subsysnqn cntlid numa_node model serial firmware_rev; do
	theirs="$theirs$a=$(sed 's/ *$//' "$nsys/$a" 2>/dev/null);"
done

# --- 3. compare ------------------------------------------------------------------------------
check list-attrs-vs-nvme "$ours" "$theirs" "class device attributes (ours = nvme's)"
# Namespaces come in nsid order from rocknvme-list and in libnvme's scan order from nvme (the
# reverse, with two), so entries and rows are compared as sets: each sorted by nsid.
# Device paths: ours are $RPRE<nsid>, nvme's $NPRE<nsid>.
RPRE=${DISK%n1}n
NPRE=$(jstr DevicePath </tmp/list-nvme.json | sed 's/n[0-9]*$/n/')
# blocks FILE: the Devices entries of a JSON list, one per line (its text, newlines as |),
# sorted by nsid, with the path prefix of our listing swapped for nvme's.
blocks() {
	sed "s#\"$RPRE\([0-9]*\)\"#\"$NPRE\\1\"#" "$1" | awk '
		/^    \{$/ { b = $0; inb = 1; next }
		inb && /^    \},?$/ { sub(/,$/, ""); print ns "\t" b "|" $0; inb = 0; next }
		inb { b = b "|" $0; if ($0 ~ /"NameSpace"/) { ns = $0; gsub(/[^0-9]/, "", ns) } }' |
		sort -n | cut -f2
}
# frame FILE: the text outside the entries (opening and closing lines).
frame() { grep -v '^     ' "$1" | grep -v '^    [{}]'; }
blocks /tmp/list-rnv.json >/tmp/list-rnv.blocks
blocks /tmp/list-nvme.json >/tmp/list-nvme.blocks
nns=$(grep -c . /tmp/list-nvme.blocks)
want=1
[ -n "$ns2" ] && want=2
if [ "$nns" -eq "$want" ] && cmp -s /tmp/list-rnv.blocks /tmp/list-nvme.blocks &&
	[ "$(frame /tmp/list-rnv.json)" = "$(frame /tmp/list-nvme.json)" ]; then
	pass list-json "$nns entries ($want namespaces attached), byte for byte nvme's but for the paths (${RPRE}N for ${NPRE}N): $(head -n1 /tmp/list-rnv.blocks | tr -s ' ' | head -c 300)"
else
	fail list-json "$nns entries from nvme, $want namespaces attached; ours: $(tr '\n' ' ' </tmp/list-rnv.blocks | tr -s ' ' | head -c 500) nvme's: $(tr '\n' ' ' </tmp/list-nvme.blocks | tr -s ' ' | head -c 500) frames: $(frame /tmp/list-rnv.json | tr '\n' '|') / $(frame /tmp/list-nvme.json | tr '\n' '|')"
fi
check list-json-paths "$(jstr DevicePath </tmp/list-rnv.json)|$NPRE" "$DISK|/dev/nvme0n" \
	"rocknvme-list's first DevicePath | nvme's prefix"
# Table: node and generic columns are 21 wide each; the header and each row from SN on must
# be equal (the rows compared as sorted sets).
tail -n +3 /tmp/list-rnv.txt | cut -c45- | sed 's/ *$//' | sort >/tmp/list-rnv.cols
tail -n +3 /tmp/list-nvme.txt | cut -c45- | sed 's/ *$//' | sort >/tmp/list-nvme.cols
if [ "$(head -n2 /tmp/list-rnv.txt)" = "$(head -n2 /tmp/list-nvme.txt)" ] &&
	cmp -s /tmp/list-rnv.cols /tmp/list-nvme.cols && [ "$(grep -c . /tmp/list-nvme.cols)" -eq "$want" ]; then
	pass list-table "header and $want row(s) equal from SN on: $(head -n1 /tmp/list-rnv.cols | tr -s ' ')"
else
	fail list-table "ours: $(tr '\n' '|' </tmp/list-rnv.txt) nvme's: $(tr '\n' '|' </tmp/list-nvme.txt)"
fi

# --- 4. back ---------------------------------------------------------------------------------
if out=$("$SWITCH" "$bdf" rocknvme 2>&1) && wait_for "$DISK" 30; then
	pass list-switch-back "$out"
else
	fail list-switch-back "rocknvme-switch $bdf rocknvme: $out"
fi
if [ -n "$ns2" ]; then
	nvme detach-ns "$CTRL" -n 2 -c "$(cat "$SYS/cntlid")" >/dev/null 2>&1
	n=0
	while [ -e "$ns2" ] && [ $n -lt 300 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	check list-ns2-detach "$([ -e "$ns2" ] && echo present || echo gone)" gone "$ns2 after detach-ns"
fi
exit 0
