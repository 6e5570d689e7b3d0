#!/bin/bash
# Guest test: data integrity through the driver with fio (libaio, O_DIRECT, crc32c verify) at
# one sector, 4k, 8k, 12k (a PRP list), 64k, 132k and 1M, each at queue depth 1 and 32 with
# several jobs at once on disjoint ranges, then a mixed-size (bssplit) run. Every fio run must
# exit 0, report no job error, and read back (verify) as many bytes as it wrote.
# FIO_TAG=x names the results fio-x-bs4k, ... (t_sgl.sh runs the same set with SGLs on).
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. /tests/lib.sh

JOBS=/tests/fio-jobs
NJ=3

load_driver || exit 0
export DISK NJ

# Block size -> bytes per job range (a multiple of the block size, small enough for TCG).
declare -A SIZES=([512]=512k [4k]=4m [8k]=4m [12k]=6m [64k]=8m [132k]=8448k [1m]=16m)
BSLIST="4k 8k 12k 64k 132k 1m"
[ "$LBS" = 512 ] && BSLIST="512 $BSLIST"
for bs in $BSLIST; do
	BS=$bs SIZE=${SIZES[$bs]} run_fio "${FIO_TAG:+$FIO_TAG-}bs$bs" "$JOBS/verify-bs.fio" $((1 + NJ))
done

split=4k/30:8k/10:12k/15:64k/15:132k/15:1m/15
[ "$LBS" = 512 ] && split=512/10:4k/20:8k/10:12k/15:64k/15:132k/15:1m/15
SIZE=16m BSSPLIT=$split run_fio "${FIO_TAG:+$FIO_TAG-}mixed" "$JOBS/verify-mixed.fio" "$NJ"
exit 0
