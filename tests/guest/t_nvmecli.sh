#!/bin/bash
# Guest test: nvme-cli (2.3) against the driver's nodes, through the passthrough ioctls.
# Values are compared with what QEMU was given and with what the block layer and the driver's
# sysfs say: id-ctrl (serial RNV0001, model "QEMU NVMe Ctrl"), id-ns (size and block size),
# get-ns-id, list-ns, smart-log (host write commands count our writes), error-log, fw-log
# (an active slot; raw page = admin-passthru Get Log Page), get/set-feature Volatile Write Cache (reads back what was set),
# admin-passthru Identify = id-ctrl -b byte for byte, io-passthru write then O_DIRECT read and
# the reverse, queue/write_cache switching; then rnv-ioctl's bad-ioctl table and its
# unprivileged checks; then nvme reset and sysfs reset_controller with data checked across
# each; last a short fio verify to show the controller still works.
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. /tests/lib.sh

load_driver || exit 0
SYS=$(ctrl_sysfs)
QB=$(sysblock)/queue
nvmemode=""
[ "$RNV_DRIVER" = nvme ] && nvmemode=nvme

# cli NAME CMD...: run an nvme-cli command with its output in /tmp/NAME.out (stderr in .err);
# on failure report NAME and return 1.
cli() {
	local name=$1
	shift
	if ! "$@" >"/tmp/$name.out" 2>"/tmp/$name.err"; then
		fail "$name" "$* failed: $(cat "/tmp/$name.err" "/tmp/$name.out" | head -c 300)"
		return 1
	fi
}

# same NAME FILE1 FILE2 WHAT: pass when the two files are byte for byte the same.
same() {
	local out
	if out=$(cmp "$2" "$3" 2>&1); then
		pass "$1" "$4: identical ($(stat -c %s "$2") bytes)"
	else
		fail "$1" "$4: $out"
	fi
}

# --- Identify Controller / Namespace -------------------------------------------------------
if cli cli-id-ctrl nvme id-ctrl "$CTRL"; then
	sn=$(field sn </tmp/cli-id-ctrl.out)
	mn=$(field mn </tmp/cli-id-ctrl.out)
	fr=$(field fr </tmp/cli-id-ctrl.out)
	vwc=$(field vwc </tmp/cli-id-ctrl.out)
	check cli-id-ctrl-sn "$sn" RNV0001 "sn"
	check cli-id-ctrl-mn "$mn" "QEMU NVMe Ctrl" "mn"
	# (nvme's attributes keep the blank padding of the Identify fields; compare without it)
	check cli-sysfs-serial "$(sed 's/ *$//' "$SYS/serial")" "$sn" "$SYS/serial"
	check cli-sysfs-model "$(sed 's/ *$//' "$SYS/model")" "$mn" "$SYS/model"
	check cli-sysfs-firmware "$(sed 's/ *$//' "$SYS/firmware_rev")" "$fr" "$SYS/firmware_rev"
fi

if cli cli-get-ns-id nvme get-ns-id "$DISK"; then
	NSID=$(sed -n 's/.*namespace-id:\([0-9]*\).*/\1/p' /tmp/cli-get-ns-id.out)
	check cli-get-ns-id "$NSID" 1 "nsid of $DISK"
fi
NSID=${NSID:-1}

if cli cli-id-ns nvme id-ns "$DISK"; then
	nsze=$(($(field nsze </tmp/cli-id-ns.out)))
	lbads=$(sed -n 's/^lbaf *[0-9]* *:.*lbads:\([0-9]*\).*in use.*/\1/p' /tmp/cli-id-ns.out)
	ns_lbs=$((1 << ${lbads:-0}))
	check cli-id-ns-lbs "$ns_lbs" "$(blockdev --getss "$DISK")" "in-use LBA format block size"
	check cli-id-ns-nsze "$nsze" "$(($(blockdev --getsize64 "$DISK") / ns_lbs))" \
		"nsze (blocks; expected disk bytes / block size)"
fi

if cli cli-list-ns nvme list-ns "$CTRL"; then
	ids=$(sed -n 's/^\[ *[0-9]*\]:\(0x[0-9a-f]*\)$/\1/p' /tmp/cli-list-ns.out | tr '\n' ' ')
	check cli-list-ns "${ids% }" "0x$(printf %x "$NSID")" "active namespaces"
fi

# --- Logs ----------------------------------------------------------------------------------
# smart-log: QEMU counts every write command; 8 O_DIRECT 4 KiB writes are 8 commands.
hwc() { nvme smart-log "$CTRL" 2>/dev/null | field host_write_commands | tr -dc 0-9; }
before=$(hwc)
dd if=/dev/urandom of="$DISK" bs=4k count=8 seek=1024 oflag=direct status=none
after=$(hwc)
if [ -n "$before" ] && [ -n "$after" ] && [ "$((after - before))" -ge 8 ]; then
	pass cli-smart-log "host_write_commands $before -> $after after 8 direct writes"
else
	fail cli-smart-log "host_write_commands '$before' -> '$after' after 8 direct writes" \
		"(expected +8 or more): $(nvme smart-log "$CTRL" 2>&1 | head -n 3)"
fi

if cli cli-error-log nvme error-log "$CTRL"; then
	n=$(sed -n 's/^Error Log Entries for device:.* entries:\([0-9]*\)$/\1/p' /tmp/cli-error-log.out)
	if [ "${n:-0}" -ge 1 ]; then
		pass cli-error-log "$n entries read"
	else
		fail cli-error-log "no 'Error Log Entries ... entries:N' line: $(head -n 2 /tmp/cli-error-log.out)"
	fi
fi

# fw-log: the active slot (AFI bits 2:0) has a revision; the whole log page equals the one
# admin-passthru reads (Get Log Page 03h, 512 bytes: NUMDL 127).
if cli cli-fw-log nvme fw-log "$CTRL"; then
	afi=$(field afi </tmp/cli-fw-log.out)
	afi=$((${afi:-0} & 7))
	slot=$(sed -n "s/^frs$afi *: *[0-9a-fx]* *(\(.*\))\$/\1/p" /tmp/cli-fw-log.out)
	if [ "$afi" -ge 1 ] && [ -n "$slot" ]; then
		pass cli-fw-log "active slot $afi, revision '$slot' (id-ctrl fr '${fr:-?}')"
	else
		fail cli-fw-log "no revision for the active slot $afi: $(head -c 200 /tmp/cli-fw-log.out)"
	fi
fi
if cli cli-fw-log-raw nvme fw-log "$CTRL" -b &&
	cli cli-fw-log-passthru nvme admin-passthru "$CTRL" --opcode=2 --namespace-id=4294967295 \
		--cdw10=$(((127 << 16) | 3)) --data-len=512 -r -b; then
	same cli-fw-log-raw /tmp/cli-fw-log-raw.out /tmp/cli-fw-log-passthru.out \
		"fw-log -b vs admin-passthru Get Log Page 03h"
fi

# --- Features: Volatile Write Cache ---------------------------------------------------------
# getvwc: the current value (0 or 1) that get-feature -f 6 prints, empty on failure.
getvwc() {
	local v
	v=$(nvme get-feature "$CTRL" -f 6 2>/dev/null | sed -n 's/.*Current value:\([0-9a-fx]*\).*/\1/p')
	[ -n "$v" ] && echo $((v))
}
vwc0=$(getvwc)
if [ -z "$vwc0" ]; then
	fail cli-get-feature "nvme get-feature -f 6 failed: $(nvme get-feature "$CTRL" -f 6 2>&1 | head -c 200)"
elif [ $((${vwc:-0} & 1)) = 0 ]; then
	pass cli-get-feature "no volatile write cache (id-ctrl vwc $vwc), current value $vwc0"
else
	pass cli-get-feature "volatile write cache current value $vwc0"
	for v in 0 1; do
		if ! out=$(nvme set-feature "$CTRL" -f 6 -v "$v" 2>&1); then
			fail "cli-set-feature-$v" "set-feature -f 6 -v $v failed: $out"
			continue
		fi
		check "cli-set-feature-$v" "$(getvwc)" "$v" "get-feature -f 6 after set-feature -v $v"
	done
	nvme set-feature "$CTRL" -f 6 -v "$vwc0" >/dev/null 2>&1
fi

# --- Passthrough -----------------------------------------------------------------------------
if cli cli-id-ctrl-raw nvme id-ctrl "$CTRL" -b &&
	cli cli-admin-passthru nvme admin-passthru "$CTRL" --opcode=6 --cdw10=1 --data-len=4096 -r -b
then
	same cli-admin-passthru /tmp/cli-admin-passthru.out /tmp/cli-id-ctrl-raw.out \
		"admin-passthru Identify vs id-ctrl -b"
fi

# io-passthru write of a pattern at 4 MiB, read back with O_DIRECT (LBA and count from LBS).
nlb0=$((4096 / LBS - 1))
lba=$((4 * 1024 * 1024 / LBS))
dd if=/dev/urandom of=/tmp/pat1 bs=4k count=1 status=none
if cli cli-io-passthru-write nvme io-passthru "$DISK" --opcode=1 --namespace-id="$NSID" \
	--cdw10=$lba --cdw12=$nlb0 --data-len=4096 -w -i /tmp/pat1; then
	dd if="$DISK" of=/tmp/got1 bs=4k count=1 skip=$((lba * LBS / 4096)) iflag=direct status=none
	same cli-io-passthru-write /tmp/got1 /tmp/pat1 "io-passthru write, dd iflag=direct read"
fi
# The reverse: dd oflag=direct writes at 5 MiB, io-passthru reads.
lba=$((5 * 1024 * 1024 / LBS))
dd if=/dev/urandom of=/tmp/pat2 bs=4k count=1 status=none
dd if=/tmp/pat2 of="$DISK" bs=4k seek=$((lba * LBS / 4096)) oflag=direct conv=fsync status=none
if cli cli-io-passthru-read nvme io-passthru "$DISK" --opcode=2 --namespace-id="$NSID" \
	--cdw10=$lba --cdw12=$nlb0 --data-len=4096 -r -b; then
	same cli-io-passthru-read /tmp/cli-io-passthru-read.out /tmp/pat2 \
		"dd oflag=direct write, io-passthru read"
fi

# --- queue/write_cache ------------------------------------------------------------------------
# The block layer's view of the cache follows id-ctrl VWC; the user may switch it either way.
if [ -n "${vwc:-}" ]; then
	want="write through"
	[ $((vwc & 1)) = 1 ] && want="write back"
	check wc-sysfs-initial "$(cat "$QB/write_cache")" "$want" "queue/write_cache (id-ctrl vwc $vwc)"
fi
for mode in "write through" "write back"; do
	if ! out=$( (echo "$mode" >"$QB/write_cache") 2>&1); then
		fail "wc-sysfs-${mode// /-}" "echo '$mode' > $QB/write_cache: $out"
		continue
	fi
	check "wc-sysfs-${mode// /-}" "$(cat "$QB/write_cache")" "$mode" "queue/write_cache"
	echo "RNV-INFO write_cache '$mode': controller VWC feature now '$(getvwc)'"
	dd if=/tmp/pat1 of="$DISK" bs=4k seek=1536 oflag=direct,sync conv=fsync status=none ||
		fail "wc-sysfs-${mode// /-}-io" "synchronous write with the cache in '$mode' failed"
done
[ $((${vwc:-0} & 1)) = 1 ] || echo "write through" >"$QB/write_cache"

# --- rnv-ioctl: bad input, then unprivileged ----------------------------------------------
# Its lines "PASS|FAIL|SKIP node-case detail" become result lines ioctl-node-case.
for mode in bad unpriv; do
	rnv-ioctl "$mode" "$CTRL" "$DISK" $nvmemode >"/tmp/ioctl-$mode.out" 2>"/tmp/ioctl-$mode.err"
	rc=$?
	while read -r verdict name detail; do
		case $verdict in
		PASS | FAIL) result "$verdict" "ioctl-$name" "$detail" ;;
		SKIP) echo "RNV-INFO ioctl-$name skipped: $detail" ;;
		esac
	done <"/tmp/ioctl-$mode.out"
	if [ "$rc" -ge 2 ] || ! grep -q '^\(PASS\|FAIL\) ' "/tmp/ioctl-$mode.out"; then
		fail "ioctl-$mode" "rnv-ioctl $mode exited $rc: $(head -c 300 "/tmp/ioctl-$mode.err")"
	fi
done

# --- Resets ----------------------------------------------------------------------------------
# reset_check NAME CMD...: write a pattern, run CMD (a reset, no I/O in flight), wait up to 30 s
# for the controller to be live again, then the pattern must read back and fresh I/O work.
reset_check() {
	local name=$1 i state out lines log
	shift
	lines=$(dmesg | wc -l)
	dd if=/dev/urandom of=/tmp/rpat bs=64k count=4 status=none
	dd if=/tmp/rpat of="$DISK" bs=64k seek=200 oflag=direct conv=fsync status=none
	if ! out=$("$@" 2>&1); then
		fail "$name" "$* failed: $out"
		return 1
	fi
	for ((i = 0; i < 300; i++)); do
		state=$(cat "$SYS/state" 2>/dev/null)
		[ "$state" = live ] && [ -b "$DISK" ] && break
		sleep 0.1
	done
	if [ "$state" != live ]; then
		fail "$name" "state '$state' 30 s after $*"
		return 1
	fi
	dd if="$DISK" of=/tmp/rgot bs=64k skip=200 count=4 iflag=direct status=none
	if ! cmp -s /tmp/rgot /tmp/rpat; then
		fail "$name" "data written before '$*' reads back different"
		return 1
	fi
	if ! out=$(nvme id-ctrl "$CTRL" 2>&1 >/dev/null); then
		fail "$name" "id-ctrl after '$*' failed: $out"
		return 1
	fi
	# What the driver logged meanwhile, as evidence that a reset happened (not checked:
	# the in-kernel nvme logs nothing for a requested reset).
	log=$(dmesg | tail -n +"$((lines + 1))" | grep -i reset | sed 's/^\[[ 0-9.]*\] //' |
		head -n 2 | tr '\n' ';')
	pass "$name" "$*: state live after $((i / 10)).$((i % 10)) s, 256 KiB written before" \
		"read back; kernel log: ${log:-nothing about a reset}"
}
reset_check cli-reset nvme reset "$CTRL"
reset_check sysfs-reset-controller sh -c "echo 1 > $SYS/reset_controller"

# --- Still working: a short fio verify ------------------------------------------------------
export DISK
BS=4k SIZE=4m NJ=2 run_fio nvmecli-after /tests/fio-jobs/verify-bs.fio 3
exit 0
