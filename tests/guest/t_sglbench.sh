#!/bin/bash
# Guest side of the SGL-vs-PRP measurement (not in `make test`; numbers in README, Performance):
#   bash tests/lib/runvm.sh NAME=sglbench TESTS=sglbench DISK_SIZE=2G TIMEOUT=1800
# rocknvme alone, one binding; sgl_threshold is switched at run time between 0 (A: every
# multi-segment request on SGLs) and 4194304 (B: PRPs only) around each fio run. After a 1 GiB
# prefill, every round runs each job A then B or B then A (ABBA across rounds and jobs). One
# RNV-SGLBENCH line per run: job, slot, round, IOPS, MB/s, mean completion latency, and the
# SGL requests counted during it (sysfs sgl), so the path each slot took is on record.
#   rnvsbrounds  rounds (default 4)   rnvsbruntime  seconds per run (default 6)
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. /tests/lib.sh

JOBDIR=/tests/fio-jobs
ROUNDS=${rnvsbrounds:-4}
RUNTIME=${rnvsbruntime:-6}
PARAM=/sys/module/rocknvme/parameters/sgl_threshold
export RUNTIME

load_driver || exit 0
SGL=$(ctrl_sysfs)/sgl
sgl_count() { awk '{ print $3 }' "$SGL"; }
echo "RNV-SGLBENCH info sgl=$(cat "$SGL") rounds=$ROUNDS runtime=$RUNTIME" \
	"max_hw_sectors_kb=$(cat "$(sysblock)/queue/max_hw_sectors_kb")"
if ! out=$(fio --eta=never --output-format=terse "$JOBDIR/prefill.fio" 2>&1); then
	fail sglbench-prefill "$(echo "$out" | tail -n 3)"
	exit 0
fi

# run JOB SLOT ROUND: one fio run with SGLs (A) or PRPs (B).
run() {
	local job=$1 slot=$2 round=$3 c0 c1 line
	if [ "$slot" = A ]; then echo 0 >"$PARAM"; else echo 4194304 >"$PARAM"; fi
	c0=$(sgl_count)
	if ! fio --eta=never --output-format=json --output=/tmp/sb.json "$JOBDIR/$job.fio" \
		2>/tmp/sb.err; then
		fail "sglbench-$job-$slot-$round" "fio: $(head -c 300 /tmp/sb.err)"
		return
	fi
	c1=$(sgl_count)
	read -r iops mbps clat <<<"$(fio_json_rates /tmp/sb.json)"
	line="iops=$iops mbps=$mbps clat_us=$clat"
	echo "RNV-SGLBENCH run job=$job slot=$slot round=$round $line sgl_requests=$((c1 - c0))"
}

for ((r = 1; r <= ROUNDS; r++)); do
	j=0
	for job in seqread-128k-qd8 seqwrite-128k-qd8; do
		if (((r + j) % 2 == 0)); then
			run "$job" A "$r"
			run "$job" B "$r"
		else
			run "$job" B "$r"
			run "$job" A "$r"
		fi
		j=$((j + 1))
	done
done
pass sglbench "$ROUNDS rounds done"
exit 0
