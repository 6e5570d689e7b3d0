#!/bin/bash
# Guest test: data integrity through the driver with fio (libaio, O_DIRECT, crc32c verify) at
# one sector, 4k, 8k, 12k (a PRP list), 64k, 132k and 1M, each at queue depth 1 and 32 with
# several jobs at once on disjoint ranges, then a mixed-size (bssplit) run. Every fio run must
# exit 0, report no job error, and read back (verify) as many bytes as it wrote.
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. /tests/lib.sh

JOBS=/tests/fio-jobs
NJ=3

# run_fio NAME JOBFILE NJOBS: run a job file (knobs in the environment) and judge its json.
run_fio() {
	local name=$1 job=$2 njobs=$3 rc start summary
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

load_driver || exit 0
export DISK NJ

# Block size -> bytes per job range (a multiple of the block size, small enough for TCG).
declare -A SIZES=([512]=512k [4k]=4m [8k]=4m [12k]=6m [64k]=8m [132k]=8448k [1m]=16m)
BSLIST="4k 8k 12k 64k 132k 1m"
[ "$LBS" = 512 ] && BSLIST="512 $BSLIST"
for bs in $BSLIST; do
	BS=$bs SIZE=${SIZES[$bs]} run_fio "bs$bs" "$JOBS/verify-bs.fio" $((1 + NJ))
done

split=4k/30:8k/10:12k/15:64k/15:132k/15:1m/15
[ "$LBS" = 512 ] && split=512/10:4k/20:8k/10:12k/15:64k/15:132k/15:1m/15
SIZE=16m BSSPLIT=$split run_fio mixed "$JOBS/verify-mixed.fio" "$NJ"
exit 0
