#!/bin/bash
# Guest side of `make bench` (tests/bench.sh): rocknvme against the in-kernel nvme driver on
# the same emulated controller, in one boot. Both modules are loaded; the one NVMe PCI device
# is moved between them with driver_override (unbind, drivers_probe, wait for the disk).
#
#   1. facts about each binding (queues, hctx types, io_poll, IRQ mode)    RNV-BENCH-INFO
#   2. memory taken by a binding: free pages (buddy + per-CPU lists, after drop_caches and
#      vmstat refresh) unbound vs bound; per extra I/O queue pair from a second binding with
#      one more queue (rocknvme max_io_queues=1 vs one per CPU; nvme write_queues=1 vs 0).
#      Steps 1 and 2 use both modules' default parameters.
#   3. both modules reloaded with the bench options (default: poll_queues=1 for each, so
#      the polled job really polls; the other jobs use the interrupt queues as before);
#      prefill: fio-jobs/prefill.fio writes the 1 GiB region once, so reads hit data
#   4. rounds: for every job, rocknvme (A) and nvme (B) back to back, the order alternating
#      per round and per job (ABBA); plus an A/A control job, nvme in both slots, rebound
#      between slots exactly like an A/B pair
# Each fio result (--output-format=json) is printed whole between
#   RNV-BENCH-BEGIN job=J set=ab|aa slot=A|B driver=D round=R seq=N
#   RNV-BENCH-END ... rc=RC irqs=N sha256=HASH     (N: the driver's I/O queue interrupts)
# lines for the host to cut out of the console log; progress goes out as RNV-SHOW lines.
#
# Knobs (kernel command line, from tests/bench.sh):
#   rnvbruntime  seconds per fio run (default 10)     rnvbrounds  rounds (default 4)
#   rnvbjobs     comma list of fio-jobs/ names        rnvbaa      the A/A control job
#   rnvbmem      memory samples per binding (0 = skip the memory step, default 3)
#   rnvbrnvopts rnvbnvmeopts   module parameters for the rounds, comma-separated
#                (default poll_queues=1 each; "none" = the module defaults)
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. /tests/lib.sh

JOBDIR=/tests/fio-jobs
RUNTIME=${rnvbruntime:-10}
ROUNDS=${rnvbrounds:-4}
BJOBS=${rnvbjobs:-randread-4k-qd1,randread-4k-qd32x2,randwrite-4k-qd32,seqread-128k-qd8,seqwrite-128k-qd8,randrw70-4k-qd16,randread-4k-qd1-poll}
AA_JOB=${rnvbaa:-randread-4k-qd1}
MEMREPS=${rnvbmem:-3}
RNV_OPTS=${rnvbrnvopts:-poll_queues=1}
NVME_OPTS=${rnvbnvmeopts:-poll_queues=1}
[ "$RNV_OPTS" = none ] && RNV_OPTS=""
[ "$NVME_OPTS" = none ] && NVME_OPTS=""
DRV_A=rocknvme
DRV_B=nvme
export RUNTIME

show() { echo "RNV-SHOW [bench $(date +%H:%M:%S)] $*"; }
info() { echo "RNV-BENCH-INFO $*"; }

# The emulated controller: the one PCI function of class 0x010802 (NVMe).
BDF=""
for d in /sys/bus/pci/devices/*; do
	[ "$(cat "$d/class")" = 0x010802 ] && BDF=${d##*/} && break
done
if [ -z "$BDF" ]; then
	fail bench-setup "no NVMe PCI function (class 0x010802) found"
	exit 0
fi
PCIDEV=/sys/bus/pci/devices/$BDF

# cur_driver: the driver the device is bound to now, or nothing.
cur_driver() {
	[ -e "$PCIDEV/driver" ] && basename "$(readlink "$PCIDEV/driver")"
	return 0
}

# disk_of DRV: the namespace block device that DRV exposes for the controller, if any.
# nvme (native multipath, Debian's default) names its head disk nvme<S>n1 and hides the path
# disk nvme<S>c<C>n1; there is one controller in this guest, so the name pattern decides.
disk_of() {
	local b
	for b in /sys/block/*; do
		b=${b##*/}
		case $1:$b in
		rocknvme:rocknvme[0-9]*n1) echo "$b"; return 0 ;;
		nvme:nvme[0-9]*c*) ;;
		nvme:nvme[0-9]*n1) echo "$b"; return 0 ;;
		esac
	done
	return 1
}

# bind_to DRV [force]: bind the controller to DRV (unbinding what has it) and wait for the
# disk; "force" rebinds even when DRV already has it. Sets DISK. 1 on failure.
bind_to() {
	local drv=$1 force=${2:-} cur i name=""
	cur=$(cur_driver)
	if [ "$cur" = "$drv" ] && [ -z "$force" ]; then
		name=$(disk_of "$drv") && DISK=/dev/$name && [ -b "$DISK" ] && return 0
	fi
	echo "$drv" >"$PCIDEV/driver_override"
	if [ -n "$cur" ]; then
		echo "$BDF" >"/sys/bus/pci/drivers/$cur/unbind"
		for ((i = 0; i < 100; i++)); do
			disk_of "$cur" >/dev/null || break
			sleep 0.1
		done
	fi
	echo "$BDF" >/sys/bus/pci/drivers_probe 2>/dev/null
	for ((i = 0; i < 300; i++)); do
		if name=$(disk_of "$drv") && [ -b "/dev/$name" ] &&
			[ "$(cat "/sys/block/$name/size" 2>/dev/null || echo 0)" -gt 0 ]; then
			DISK=/dev/$name
			return 0
		fi
		sleep 0.1
	done
	fail "bench-bind-$drv" "$BDF: no $drv disk 30 s after drivers_probe (bound to '$(cur_driver)')"
	return 1
}

# unbind_all: leave the device bound to nothing (driver_override names no driver).
unbind_all() {
	local cur
	echo none >"$PCIDEV/driver_override"
	cur=$(cur_driver)
	[ -n "$cur" ] && echo "$BDF" >"/sys/bus/pci/drivers/$cur/unbind"
	return 0
}

# binding_facts DRV CONFIG: one INFO line about the current binding (CONFIG: a label).
binding_facts() {
	local drv=$1 config=$2 name mqdisk hctx types="" n=0 t tags=""
	name=${DISK#/dev/}
	# The blk-mq queues: the disk itself, or for nvme multipath its hidden path disk.
	mqdisk=$name
	if [ ! -d "/sys/block/$name/mq" ]; then
		for t in /sys/block/nvme*c*n1; do mqdisk=${t##*/}; done
	fi
	for hctx in /sys/kernel/debug/block/"$mqdisk"/hctx*; do
		[ -d "$hctx" ] || continue
		n=$((n + 1))
		t=$(cat "$hctx/type" 2>/dev/null || echo "?")
		types+="${types:+,}$t"
		[ -z "$tags" ] && tags=$(sed -n 's/^nr_tags=//p' "$hctx/tags" 2>/dev/null)
	done
	if [ "$n" = 0 ]; then
		for t in "/sys/block/$mqdisk/mq/"*; do [ -e "$t" ] && n=$((n + 1)); done
	fi
	local extra="" c oacs
	if [ "$drv" = rocknvme ]; then
		for c in /sys/class/rocknvme/*; do break; done
		extra="queue_count=$(cat "$c/queue_count" 2>/dev/null)"
		extra+=" irq_mode=$(tr ' ' : <"$c/irq_mode" 2>/dev/null)"
		extra+=" io_queue_depth=$(cat /sys/module/rocknvme/parameters/io_queue_depth)"
	else
		extra="multipath=$(cat /sys/module/nvme_core/parameters/multipath 2>/dev/null)"
		extra+=" poll_queues=$(cat /sys/module/nvme/parameters/poll_queues 2>/dev/null)"
		extra+=" io_queue_depth=$(cat /sys/module/nvme/parameters/io_queue_depth 2>/dev/null)"
	fi
	# Optional Admin Command Support from Identify Controller (bit 8: Doorbell Buffer Config,
	# the shadow doorbells that QEMU's controller offers and the in-kernel nvme turns on).
	for c in "$PCIDEV/$drv/"*; do break; done
	oacs=$(nvme id-ctrl "/dev/${c##*/}" 2>/dev/null | awk -F: '$1 ~ /^oacs/ { gsub(/ /, "", $2); print $2 }')
	extra+=" oacs=${oacs:-?}"
	info "binding config=$config driver=$drv disk=$name mq_disk=$mqdisk hctx=$n hctx_types=${types:-?}" \
		"nr_tags=${tags:-?} io_poll=$(cat "/sys/block/$name/queue/io_poll" 2>/dev/null)" \
		"max_hw_sectors_kb=$(cat "/sys/block/$name/queue/max_hw_sectors_kb")" \
		"bytes=$(blockdev --getsize64 "$DISK") lbs=$(blockdev --getss "$DISK") $extra"
}

# free_kb: free memory in KiB: every zone's free pages plus the pages parked on per-CPU
# lists, after dropping caches and folding the per-CPU vmstat deltas into the totals.
free_kb() {
	sync
	echo 3 >/proc/sys/vm/drop_caches
	sleep 1
	echo 1 >/proc/sys/vm/stat_refresh 2>/dev/null
	awk -v pk="$PAGE_KB" '$1 == "nr_free_pages" { f += $2 } $1 == "count:" { p += $2 }
		END { print (f + p) * pk }' /proc/zoneinfo
}
PAGE_KB=$(awk '/^KernelPageSize:/ { print $2; exit }' /proc/self/smaps)
PAGE_KB=${PAGE_KB:-4}

# median N...: of integers.
median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# mem_binding LABEL DRV: KiB taken by binding DRV (median of MEMREPS bind/unbind cycles,
# after one warm-up cycle). Prints an INFO line and echoes nothing.
mem_binding() {
	local label=$1 drv=$2 r f0 f1 deltas=()
	unbind_all
	bind_to "$drv" || return 1
	unbind_all
	for ((r = 0; r < MEMREPS; r++)); do
		f0=$(free_kb)
		bind_to "$drv" || return 1
		sleep 1
		f1=$(free_kb)
		unbind_all
		deltas+=($((f0 - f1)))
	done
	info "mem config=$label driver=$drv kib_median=$(median "${deltas[@]}") kib_samples=$(
		IFS=,
		echo "${deltas[*]}"
	)"
	show "memory: binding $label takes $(median "${deltas[@]}") KiB (samples: ${deltas[*]})"
}

# reload MODULE ARGS...: reload a driver module with parameters (device not bound to it).
reload() {
	local m=$1 out
	shift
	unbind_all
	if ! out=$("$RMMOD" "$m" 2>&1) || ! out=$("$MODPROBE" "$m" "$@" 2>&1); then
		fail bench-reload "$m $*: $out"
		return 1
	fi
}

# irq_count DRV: interrupts so far on DRV's I/O queue vectors (named DRV<N>q<M>, M > 0).
irq_count() {
	awk -v re="^$1[0-9]+q[1-9][0-9]*\$" 'NR == 1 { n = NF; next }
		$NF ~ re { for (i = 2; i <= n + 1; i++) s += $i } END { print s + 0 }' /proc/interrupts
}

# progress_line FILE: IOPS, MB/s and mean completion latency of a fio json, for the console.
progress_line() {
	local iops mbps clat
	read -r iops mbps clat <<<"$(fio_json_rates "$1")"
	printf "%8.0f IOPS %7.1f MB/s  mean clat %7.1f us" "$iops" "$mbps" "$clat"
}

SEQ=0
TOTAL=0
FAILED_RUNS=0
FAILED_POLL=""
# measure JOB SET SLOT DRV ROUND [force]: one fio run, its json printed between markers.
measure() {
	local job=$1 set=$2 slot=$3 drv=$4 round=$5 force=${6:-} rc sum tag eta irq0 irqs
	SEQ=$((SEQ + 1))
	tag="job=$job set=$set slot=$slot driver=$drv round=$round seq=$SEQ"
	if bind_to "$drv" "$force"; then
		tag+=" disk=${DISK#/dev/}"
	else
		echo "RNV-BENCH-BEGIN $tag"
		echo "RNV-BENCH-END $tag rc=bind irqs=0 sha256=-"
		FAILED_RUNS=$((FAILED_RUNS + 1))
		return 1
	fi
	export DISK
	rm -f /tmp/bench.json
	irq0=$(irq_count "$drv")
	fio --eta=never --output-format=json --output=/tmp/bench.json "$JOBDIR/$job.fio" \
		2>/tmp/bench.err
	rc=$?
	irqs=$(($(irq_count "$drv") - irq0))
	[ -f /tmp/bench.json ] || : >/tmp/bench.json
	[ -s /tmp/bench.err ] && sed "s/^/RNV-BENCH-ERR seq=$SEQ /" /tmp/bench.err
	sum=$(sha256sum </tmp/bench.json | cut -d' ' -f1)
	echo "RNV-BENCH-BEGIN $tag"
	cat /tmp/bench.json
	echo "RNV-BENCH-END $tag rc=$rc irqs=$irqs sha256=$sum"
	eta=$((($(date +%s) - T0) * (TOTAL - SEQ) / SEQ))
	if [ "$rc" = 0 ]; then
		show "$(printf '[%2d/%d] round %d/%d %-20s %s %-8s %s  (%d:%02d left)' "$SEQ" "$TOTAL" \
			"$round" "$ROUNDS" "$job" "$set:$slot" "$drv" "$(progress_line /tmp/bench.json)" \
			$((eta / 60)) $((eta % 60)))"
	else
		# A polled job may fail where the driver has no poll queues: recorded, not fatal.
		case $job in
		*poll*) FAILED_POLL+=" $drv:$round" ;;
		*) FAILED_RUNS=$((FAILED_RUNS + 1)) ;;
		esac
		show "[$SEQ/$TOTAL] round $round/$ROUNDS $job $drv: fio exit $rc: $(head -c 300 /tmp/bench.err)"
	fi
}

# --- 0. both drivers loaded, nothing bound --------------------------------------------
echo none >"$PCIDEV/driver_override"
for m in nvme rocknvme; do
	if ! out=$("$MODPROBE" "$m" 2>&1); then
		fail bench-setup "modprobe $m: $out"
		exit 0
	fi
done
unbind_all
IFS=, read -ra JOBLIST <<<"$BJOBS"
for j in "${JOBLIST[@]}" "$AA_JOB" prefill; do
	[ -f "$JOBDIR/$j.fio" ] || { fail bench-setup "no fio job $JOBDIR/$j.fio"; exit 0; }
done
TOTAL=$((ROUNDS * (2 * ${#JOBLIST[@]} + 2)))
info "bdf=$BDF kernel=$(uname -r) cpus=$(nproc) mem_kb=$(awk '/^MemTotal/ { print $2 }' /proc/meminfo)" \
	"fio=$(fio --version) runtime=$RUNTIME rounds=$ROUNDS jobs=$BJOBS aa_job=$AA_JOB"
show "controller $BDF; $ROUNDS rounds x (${#JOBLIST[@]} jobs x 2 drivers + A/A $AA_JOB x 2)" \
	"= $TOTAL fio runs of ${RUNTIME}+1 s"

# --- 1. what each binding looks like --------------------------------------------------
for drv in $DRV_A $DRV_B; do
	bind_to "$drv" || exit 0
	binding_facts "$drv" "$drv-default"
done

# --- 2. memory ------------------------------------------------------------------------
if [ "$MEMREPS" -gt 0 ]; then
	show "memory: free pages unbound vs bound, median of $MEMREPS (+1 warm-up) binds per setting"
	mem_binding rocknvme-default rocknvme
	reload rocknvme max_io_queues=1 && mem_binding rocknvme-1q rocknvme
	bind_to rocknvme && binding_facts rocknvme rocknvme-1q
	reload rocknvme
	mem_binding nvme-default nvme
	reload nvme write_queues=1 && mem_binding nvme-write_queues1 nvme
	bind_to nvme && binding_facts nvme nvme-write_queues1
	reload nvme
fi

# --- 3. the bench options, prefill ---------------------------------------------------
# load_opts MODULE OPTS: reload with OPTS (commas -> spaces); on failure (a driver without
# that parameter) fall back to the defaults and say so.
load_opts() {
	local m=$1 opts=$2 out
	[ -n "$opts" ] || return 0
	unbind_all
	"$RMMOD" "$m" 2>/dev/null
	# shellcheck disable=SC2086 # one word per parameter
	if out=$("$MODPROBE" "$m" ${opts//,/ } 2>&1); then
		info "opts module=$m applied=$opts"
	else
		info "opts module=$m failed=$opts"
		show "WARNING: $m does not take '$opts' ($out); the rounds run it with its defaults"
		out=$("$MODPROBE" "$m" 2>&1) || { fail bench-setup "modprobe $m: $out"; exit 0; }
	fi
}
load_opts rocknvme "$RNV_OPTS"
load_opts nvme "$NVME_OPTS"
bind_to $DRV_A || exit 0
binding_facts $DRV_A "$DRV_A-bench"
bind_to $DRV_B || exit 0
binding_facts $DRV_B "$DRV_B-bench"
start=$(date +%s)
show "prefill: writing the 1 GiB region once through $DRV_B ($DISK)"
if ! out=$(fio --eta=never --output-format=terse "$JOBDIR/prefill.fio" 2>&1); then
	fail bench-prefill "fio prefill.fio on $DISK: $(echo "$out" | tail -n 3)"
	exit 0
fi
pass bench-prefill "1 GiB written through $DRV_B in $(($(date +%s) - start)) s"
T0=$(date +%s)

# --- 4. rounds ------------------------------------------------------------------------
# Order: pair (round r, job j) runs A then B when r + j is even, else B then A. For each job
# the rounds alternate AB, BA, AB, ... (ABBA), and within a round consecutive pairs share
# their middle driver, which saves a rebind. The A/A control (nvme in both slots) is rebound
# between its slots, as an A/B pair always is.
for ((r = 1; r <= ROUNDS; r++)); do
	j=0
	for job in "${JOBLIST[@]}"; do
		if (((r + j) % 2 == 0)); then
			measure "$job" ab A $DRV_A "$r"
			measure "$job" ab B $DRV_B "$r"
		else
			measure "$job" ab B $DRV_B "$r"
			measure "$job" ab A $DRV_A "$r"
		fi
		j=$((j + 1))
	done
	if ((r % 2 == 1)); then
		measure "$AA_JOB" aa A $DRV_B "$r" force
		measure "$AA_JOB" aa B $DRV_B "$r" force
	else
		measure "$AA_JOB" aa B $DRV_B "$r" force
		measure "$AA_JOB" aa A $DRV_B "$r" force
	fi
done

if [ "$FAILED_RUNS" = 0 ]; then
	pass bench-runs "$SEQ fio runs; failed: ${FAILED_POLL:+polled job (recorded, not fatal) }${FAILED_POLL:-none}"
else
	fail bench-runs "$FAILED_RUNS of $SEQ fio runs failed (see RNV-BENCH-ERR lines)"
fi
unbind_all
exit 0
