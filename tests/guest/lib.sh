# Helpers sourced by the guest tests (they run under bash): result lines (results.sh), driver
# load/unload.
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

# Result lines: pass/fail/skip NAME DETAIL..., check NAME ACTUAL EXPECTED [WHAT], from the
# helpers the host scripts use too (tests/lib/results.sh, copied next to this file in the
# image). Each line is also kept in /tmp/results for init's check after the test.
# shellcheck disable=SC2034 # read by results.sh
RESULT_LOG=/tmp/results
# shellcheck source=../lib/results.sh
. "$(dirname "${BASH_SOURCE[0]}")/results.sh"

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

# claim_controller: for rocknvme's tests that may run after t_install in the same boot (it
# leaves the controller on nvme): move the controller back to rocknvme when $DISK is missing.
claim_controller() {
	local bdf
	[ "$RNV_DRIVER" = rocknvme ] && [ ! -e "$DISK" ] && bdf=$(nvme_bdf) || return 0
	/usr/local/sbin/rocknvme-switch "$bdf" rocknvme >/dev/null 2>&1 || true
}

# reload_rocknvme NAME [PARAM=VALUE...]: unload rocknvme if it is loaded, load it with these
# parameters and wait up to 30 s for $DISK. On failure one FAIL line NAME, and return 1.
reload_rocknvme() {
	local name=$1 out
	shift
	"$RMMOD" rocknvme 2>/dev/null
	if ! out=$("$MODPROBE" rocknvme "$@" 2>&1) || ! wait_for "$DISK" 30; then
		fail "$name" "modprobe rocknvme${*:+ $*}: $out"
		return 1
	fi
}

# dmesg_has PATTERN: the kernel log has a line matching the extended regex PATTERN.
dmesg_has() { dmesg | grep -Eq -- "$1"; }

# until_true SECONDS CMD...: run CMD every 0.1 s until it succeeds (0) or SECONDS pass (1).
until_true() {
	local i n=$(($1 * 10))
	shift
	for ((i = 0; i < n; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

# debugfs_dir: rocknvme's debugfs directory for $CTRL.
debugfs_dir() { echo "/sys/kernel/debug/rocknvme/$(basename "$CTRL")"; }

# rq_counts: "STARTED ENDED" from debugfs: requests dispatched to the controller and ended.
rq_counts() { sed -n 's/^requests: \([0-9]*\) started, \([0-9]*\) ended$/\1 \2/p' "$(debugfs_dir)/queues"; }

# check_each_once NAME: every request the driver dispatched was ended exactly once (a double
# completion or a lost one breaks the equality), and there was at least one.
check_each_once() {
	local started ended
	read -r started ended <<<"$(rq_counts)"
	if [ -n "$started" ] && [ "$started" -gt 0 ] && [ "$started" = "$ended" ]; then
		pass "$1" "$started requests dispatched, $ended ended: each exactly once"
	else
		fail "$1" "requests dispatched '$started', ended '$ended'"
	fi
}

# now_ms: wall-clock milliseconds, from bash's EPOCHREALTIME (busybox date has no %N).
now_ms() {
	local t=${EPOCHREALTIME/./}
	echo $((t / 1000))
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

# fio_json MODE FILE: read a fio json with tests/lib/fio-json.awk, the same reader the host's
# bench report uses (copied to /tests by mkinitramfs.sh). MODE: rates, verify, metrics, flat.
FIO_JSON_AWK=${FIO_JSON_AWK:-/tests/fio-json.awk}
fio_json() { awk -v mode="$1" -f "$FIO_JSON_AWK" "$2"; }

# run_fio NAME JOBFILE NJOBS: run a job file (knobs in the environment) and judge its json:
# fio must exit 0, every job must report no error, and read back (verify) as many bytes as
# it wrote. Prints one result line fio-NAME.
run_fio() {
	local name=$1 job=$2 njobs=$3 rc start summary jobs errs rd wr
	start=$(date +%s)
	fio --eta=never --output-format=json --output="/tmp/$name.json" "$job" 2>"/tmp/$name.err"
	rc=$?
	# Jobs, jobs with an error, bytes read (the verify pass) and written.
	summary=$(fio_json verify "/tmp/$name.json" 2>/dev/null)
	read -r jobs errs rd wr <<<"${summary:-0 0 0 0}"
	if [ "$rc" -ne 0 ] || [ "$errs" -ne 0 ] || [ "$jobs" -ne "$njobs" ] ||
		[ "$wr" -eq 0 ] || [ "$rd" -ne "$wr" ]; then
		fail "fio-$name" "exit $rc, $jobs/$njobs jobs, $errs job errors, wrote $wr B," \
			"verified $rd B: $(grep -v '^$' "/tmp/$name.err" | head -n 5)"
		return 1
	fi
	pass "fio-$name" "$jobs jobs wrote and verified $((wr / 1024)) KiB in $(($(date +%s) - start)) s"
}

# refuse_param PREFIX NAME=VALUE: rocknvme must refuse to load with this out-of-range parameter
# and say so in the kernel log ("rocknvme: NAME=VALUE refused"). Result PREFIX-refuse-NAME-VALUE.
# The module must not be loaded when this is called (modprobe of a loaded module succeeds).
refuse_param() {
	local name="$1-refuse-${2//=/-}"
	if "$MODPROBE" rocknvme "$2" 2>/dev/null; then
		fail "$name" "modprobe rocknvme $2 loaded"
		"$RMMOD" rocknvme
	elif dmesg | grep -q "rocknvme: $2 refused"; then
		pass "$name" "$2 refused with a message"
	else
		fail "$name" "$2 refused but no 'refused' message in dmesg"
	fi
}

# mixed_verify_jobfile SEED RANGE_MB: a fio job file for one pass of mixed-size random writes
# with crc32c read-back, two jobs per CPU (pinned one per CPU, so every hardware queue carries
# I/O), each owning a disjoint RANGE_MB range that it writes once in random order (fio's random
# map: no block twice, no overlapping in-flight writes). "backlog" jobs verify each 32 blocks
# right after writing them (reads and writes mixed), "bulk" jobs verify after the pass. A new
# SEED gives new offsets, sizes and data, so a lost or stale write fails the check.
mixed_verify_jobfile() {
	local ncpu split=4k/35:8k/10:12k/10:64k/15:132k/15:1m/15
	ncpu=$(nproc)
	[ "$LBS" = 512 ] && split=512/10:4k/25:8k/10:12k/10:64k/15:132k/15:1m/15
	cat <<JOB
[global]
filename=$DISK
ioengine=libaio
direct=1
rw=randwrite
bssplit=$split
size=$2m
verify=crc32c
do_verify=1
verify_fatal=1
verify_state_save=0
randseed=$1
numjobs=$ncpu
cpus_allowed=0-$((ncpu - 1))
cpus_allowed_policy=split

[backlog]
offset=0
offset_increment=$2m
iodepth=16
verify_backlog=32

[bulk]
offset=$((ncpu * $2))m
offset_increment=$2m
iodepth=32
JOB
}

# mixed_verify_pass NAME SEED RANGE_MB: run one such pass. Sets PASS_WROTE and PASS_VERIFIED
# (bytes) and PASS_SUMMARY (one line); returns 1, with the reason in PASS_FAILED, unless fio
# exited 0, every job reported no error, and it read back exactly as many bytes as it wrote.
mixed_verify_pass() {
	local rc jobs errs rd wr want=$((2 * $(nproc)))
	mixed_verify_jobfile "$2" "$3" >"/tmp/$1.fio"
	fio --eta=never --output-format=json --output="/tmp/$1.json" "/tmp/$1.fio" 2>"/tmp/$1.err"
	rc=$?
	# Jobs, jobs with an error, bytes read (the verify) and written.
	read -r jobs errs rd wr <<<"$(fio_json verify "/tmp/$1.json" 2>/dev/null)"
	jobs=${jobs:-0} errs=${errs:-1} rd=${rd:-0} wr=${wr:-0}
	PASS_WROTE=$wr PASS_VERIFIED=$rd
	PASS_SUMMARY="exit $rc, $jobs jobs, wrote $((wr >> 20)) MiB, verified $((rd >> 20)) MiB"
	if [ "$rc" -ne 0 ] || [ "$errs" -ne 0 ] || [ "$jobs" -ne "$want" ] ||
		[ "$wr" -eq 0 ] || [ "$rd" -ne "$wr" ]; then
		PASS_FAILED="exit $rc, $jobs/$want jobs, $errs job errors, wrote $wr B, verified $rd B:"
		PASS_FAILED+=" $(grep -v '^$' "/tmp/$1.err" | head -n 5)"
		return 1
	fi
}

# mixed_verify_passes NAME RANGE_MB WHILE PROGRESS: back-to-back mixed_verify_pass runs, each
# with its own seed (start time + pass number), for as long as the command WHILE succeeds
# (asked before each pass; $VERIFY_START holds the start time). After each pass a progress line
# ends with PROGRESS's output. A failing pass ends the run. Sets VERIFY_PASSES, VERIFY_WROTE and
# VERIFY_VERIFIED (bytes), VERIFY_SECS, and VERIFY_FAILED ("" when every pass verified).
# shellcheck disable=SC2034 # VERIFY_* are this function's results, read by the callers
mixed_verify_passes() {
	local name=$1 range=$2 while=$3 progress=$4 seed
	VERIFY_START=$(date +%s) VERIFY_PASSES=0 VERIFY_WROTE=0 VERIFY_VERIFIED=0 VERIFY_FAILED=""
	while "$while"; do
		VERIFY_PASSES=$((VERIFY_PASSES + 1))
		seed=$((VERIFY_START + VERIFY_PASSES))
		if ! mixed_verify_pass "$name" "$seed" "$range"; then
			VERIFY_FAILED="pass $VERIFY_PASSES (seed $seed): $PASS_FAILED"
			break
		fi
		VERIFY_WROTE=$((VERIFY_WROTE + PASS_WROTE))
		VERIFY_VERIFIED=$((VERIFY_VERIFIED + PASS_VERIFIED))
		echo "$name pass $VERIFY_PASSES (seed $seed) at $(($(date +%s) - VERIFY_START))s:" \
			"$PASS_SUMMARY; $("$progress")"
	done
	VERIFY_SECS=$(($(date +%s) - VERIFY_START))
}

# fio_json_rates FILE: "IOPS MB/s mean-clat-us" of a fio json, read, write and trim together.
fio_json_rates() { fio_json rates "$1"; }
