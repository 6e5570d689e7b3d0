#!/bin/bash
# Guest test (rocknvme only): SGL data transfers (driver/map.c).
#   - sgl_threshold out of range is refused at load with a message;
#   - loaded with sgl_threshold=0, the sysfs attribute "sgl" (support threshold requests)
#     reports the support that nvme id-ctrl's SGLS bits 1:0 give (QEMU: byte);
#   - the whole fio crc32c verify set (t_fio.sh, results fio-sgl-*) runs with every
#     multi-segment request on SGLs: fio's malloc'd buffers are scattered 4 KiB pages, so
#     8k..1M requests have many segments; the SGL request counter must rise;
#   - passthrough (io-passthru, 128 KiB) keeps PRPs: the counter stays put, data matches dd;
#   - sgl_threshold=4194304 written at run time turns SGLs off: fio verify, counter stays put.
# In the swiotlb=force boot every descriptor points at a bounce slot; under the SMMU at IOVAs.
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. /tests/lib.sh

if [ "$RNV_DRIVER" != rocknvme ]; then
	pass sgl-skipped "rocknvme only (driver $RNV_DRIVER)"
	exit 0
fi
PARAM=/sys/module/rocknvme/parameters/sgl_threshold

"$RMMOD" rocknvme 2>/dev/null
for bad in sgl_threshold=4194305 sgl_threshold=-1; do
	refuse_param sgl "$bad"
done

if ! out=$("$MODPROBE" rocknvme sgl_threshold=0 2>&1) || ! wait_for "$DISK" 30; then
	fail sgl-load "modprobe rocknvme sgl_threshold=0: $out"
	exit 0
fi
SGL=$(ctrl_sysfs)/sgl
# sgl_count: the requests mapped with SGLs so far (third field of the sysfs attribute).
sgl_count() { awk '{ print $3 }' "$SGL"; }

sgls=$(nvme id-ctrl "$CTRL" 2>/dev/null | field sgls)
case $((${sgls:-0} & 3)) in
1) want=byte ;;
2) want=dword ;;
*) want=none ;;
esac
read -r support threshold _ <"$SGL"
check sgl-support "$support $threshold" "$want 0" "sysfs sgl support, threshold (id-ctrl sgls ${sgls:-?})"
if [ "$want" = none ]; then
	fail sgl-support "the controller reports no SGL support (sgls ${sgls:-?}): nothing to test"
	exit 0
fi

before=$(sgl_count)
FIO_TAG=sgl bash /tests/t_fio.sh
after=$(sgl_count)
if [ "$after" -gt "$before" ]; then
	pass sgl-used "$((after - before)) requests mapped with SGLs during the verify set"
else
	fail sgl-used "SGL request counter did not rise ($before -> $after)"
fi

# Passthrough keeps PRPs: 128 KiB from nvme-cli's buffer (several pages, so several
# segments), compared with an O_DIRECT read of the same blocks that fio wrote above.
nlb0=$((131072 / LBS - 1))
before=$(sgl_count)
if nvme io-passthru "$DISK" --opcode=2 --namespace-id=1 --cdw10=0 --cdw12=$nlb0 \
	--data-len=131072 -r -b 2>/tmp/sgl-pt.err >/tmp/sgl-pt.bin; then
	after=$(sgl_count)
	# dd's own 128 KiB reads may take SGLs: it runs after the count.
	dd if="$DISK" of=/tmp/sgl-dd.bin bs=128k count=1 iflag=direct status=none
	pt=$(sha256sum </tmp/sgl-pt.bin | cut -d' ' -f1)
	dd=$(sha256sum </tmp/sgl-dd.bin | cut -d' ' -f1)
	if [ "$pt" != "$dd" ]; then
		fail sgl-passthru "io-passthru read differs from dd iflag=direct"
	elif [ "$after" != "$before" ]; then
		fail sgl-passthru "SGL counter moved ($before -> $after) for a passthrough read"
	else
		pass sgl-passthru "128 KiB io-passthru read on PRPs matches dd"
	fi
else
	fail sgl-passthru "nvme io-passthru read: $(head -c 200 /tmp/sgl-pt.err)"
fi

# The "off" value, written at run time: the same kind of I/O stays on PRPs.
echo 4194304 >"$PARAM"
before=$(sgl_count)
BS=128k SIZE=4m NJ=1 run_fio sgl-off /tests/fio-jobs/verify-bs.fio 2
after=$(sgl_count)
check sgl-off "$((after - before))" 0 "SGL requests with sgl_threshold=4194304"
exit 0
