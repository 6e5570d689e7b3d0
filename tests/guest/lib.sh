# Helpers sourced by the guest tests (they run under bash): result lines, driver load/unload.
# shellcheck shell=bash
#
# Module tools: busybox's shell runs its own modprobe/insmod/rmmod applets before any PATH
# lookup, and those do not understand everything kmod's do (softdeps, modules.dep.bin). The
# image therefore has kmod's tools as links in /usr/local/sbin (-> /usr/local/bin/kmod), and
# the tests always call them by full path: $MODPROBE, $RMMOD. The real fio, dd, blockdev,
# sha256sum, mkfs.ext4, e2fsck, ... are in /usr/local/bin, first in PATH (bash does not prefer
# busybox applets). The kernel's own module requests use the same modprobe (see init.sh).
#
# After load_driver: $DISK is the namespace block device, $CTRL the controller char device.
# Knobs from the kernel command line (see init.sh): rnvdriver rnvsize rnvlbs rnvmaxkb.

MODPROBE=/usr/local/sbin/modprobe
RMMOD=/usr/local/sbin/rmmod
RNV_DRIVER=${rnvdriver:-rocknvme}
case $RNV_DRIVER in
nvme) DRV_MODULE=nvme DISK=/dev/nvme0n1 CTRL=/dev/nvme0 ;;
*) DRV_MODULE=rocknvme DISK=/dev/rocknvme0n1 CTRL=/dev/rocknvme0 ;;
esac
# The expected logical block size (the smallest I/O the disk takes).
LBS=${rnvlbs:-512}
export DISK CTRL LBS

# pass NAME DETAIL... / fail NAME DETAIL...: one result line, also kept for init's summary.
result() {
	local detail="${*:3}" line
	line="RNV-RESULT $1 $2 ${detail//$'\n'/ | }"
	echo "$line"
	echo "$line" >>/tmp/results
}
pass() { result PASS "$@"; }
fail() { result FAIL "$@"; }

# check NAME ACTUAL EXPECTED [WHAT]: pass when equal, fail otherwise.
check() {
	if [ "$2" = "$3" ]; then
		pass "$1" "${4:-value} = $2"
	else
		fail "$1" "${4:-value} is '$2', expected '$3'"
	fi
}

# wait_for PATH SECONDS: until PATH exists (as a block or char device, or anything else).
wait_for() {
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		[ -e "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

# load_driver: modprobe the driver under test and wait up to 30 s for its block device.
load_driver() {
	local out
	if ! [ -d "/sys/module/$DRV_MODULE" ]; then
		if ! out=$("$MODPROBE" "$DRV_MODULE" 2>&1); then
			fail load-driver "modprobe $DRV_MODULE: $out"
			return 1
		fi
	fi
	if ! wait_for "$DISK" 30; then
		fail load-driver "$DISK did not appear within 30 s after modprobe $DRV_MODULE"
		return 1
	fi
	return 0
}

# unload_driver: rmmod the driver (the in-kernel nvme keeps nvme-core loaded).
unload_driver() {
	local out i
	if ! out=$("$RMMOD" "$DRV_MODULE" 2>&1); then
		fail unload-driver "rmmod $DRV_MODULE: $out"
		return 1
	fi
	for ((i = 0; i < 50; i++)); do
		[ -e "$DISK" ] || return 0
		sleep 0.1
	done
	fail unload-driver "$DISK still present 5 s after rmmod"
	return 1
}

# sysblock: the /sys/block directory of $DISK.
sysblock() { echo "/sys/block/$(basename "$DISK")"; }

# ctrl_sysfs: the sysfs directory of $CTRL's class device (serial, model, state, ...).
ctrl_sysfs() { echo "/sys/class/$DRV_MODULE/$(basename "$CTRL")"; }

# nvme_bdf: the PCI address of the (first) NVMe controller, class 01:08:02.
nvme_bdf() {
	local d
	for d in /sys/bus/pci/devices/*; do
		[ "$(cat "$d/class")" = 0x010802 ] && { basename "$d"; return 0; }
	done
	return 1
}

# field NAME <FILE: the value of "NAME : value" in nvme-cli's plain output, blanks trimmed.
field() {
	awk -v k="$1" -F: '{ n = $1; gsub(/[ \t]+$/, "", n) }
		n == k { sub(/^[^:]*:[ \t]*/, ""); sub(/[ \t]+$/, ""); print; exit }'
}

# run_fio NAME JOBFILE NJOBS: run a job file (knobs in the environment) and judge its json:
# fio must exit 0, every job must report no error, and read back (verify) as many bytes as
# it wrote. Prints one result line fio-NAME.
run_fio() {
	local name=$1 job=$2 njobs=$3 rc start summary jobs errs rd wr
	start=$(date +%s)
	fio --eta=never --output-format=json --output="/tmp/$name.json" "$job" 2>"/tmp/$name.err"
	rc=$?
	# Per job: its "error", then the io_bytes of read (the verify pass), write and trim.
	summary=$(awk -F' : ' '
		/"jobname"/ { jobs++; n = 0 }
		/^      "error"/ { sub(/,.*/, "", $2); if ($2 + 0) errs++ }
		/"io_bytes"/ { sub(/,.*/, "", $2); n++; if (n == 1) rd += $2; if (n == 2) wr += $2 }
		END { printf "%d %d %d %d", jobs, errs, rd, wr }' "/tmp/$name.json" 2>/dev/null)
	read -r jobs errs rd wr <<<"${summary:-0 0 0 0}"
	if [ "$rc" -ne 0 ] || [ "$errs" -ne 0 ] || [ "$jobs" -ne "$njobs" ] ||
		[ "$wr" -eq 0 ] || [ "$rd" -ne "$wr" ]; then
		fail "fio-$name" "exit $rc, $jobs/$njobs jobs, $errs job errors, wrote $wr B," \
			"verified $rd B: $(grep -v '^$' "/tmp/$name.err" | head -n 5)"
		return 1
	fi
	pass "fio-$name" "$jobs jobs wrote and verified $((wr / 1024)) KiB in $(($(date +%s) - start)) s"
}
