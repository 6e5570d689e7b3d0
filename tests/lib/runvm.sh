#!/usr/bin/env bash
# Boots ONE QEMU guest (TCG) with an emulated NVMe controller, runs guest tests in it and
# reports: RNV-RESULT lines on stdout, progress on stderr, the whole serial console in
# build/vm/NAME.log. Exit 0 when every RNV-RESULT is PASS and the guest printed RNV-DONE.
#
# Knobs, from the environment or as NAME=VALUE arguments:
#   ARCH          arm64 (default) | x86
#   KERNEL        "" (default): Debian 12's 6.1. 6.12 | 7 (arm64 only): the kernel line that
#                 setup fetched (bookworm-backports, trixie-backports), its modules and the
#                 rocknvme.ko that `make ARCH=arm64 KVER=LINE` built for it
#   NONCOHERENT   1 (arm64): boot on QEMU virt's own device tree with dma-coherent removed
#                 from the PCIe host, as on the RK3588, so DMA takes the non-coherent paths
#   TESTS         comma list of guest tests (tests/guest/t_NAME.sh), default "bind"
#   DRIVER        rocknvme (default) | nvme (the in-kernel driver, to check the harness)
#   NVME_OPTS     extra -device nvme options, e.g. mdts=2 or
#                 logical_block_size=4096,physical_block_size=4096
#   DISK_SIZE     backing raw file size for truncate (default 1G)
#   DRIVE_OPTS    extra -drive options for the disk(s), e.g. discard=unmap (QEMU then punches
#                 holes for Dataset Management deallocate, so deallocated blocks read zero)
#   NVME_LAYOUT   "" (default): one controller, its namespace 1 on the disk.
#                 hotplug: the controller behind a pcie-root-port, with a QEMU monitor that
#                 obeys the guest's "RNV-HOTPLUG del|add" console lines.
#                 subsys2ns: an nvme-subsys with the controller (serial RNV0001, NVME_OPTS)
#                 and two namespaces: nsid 1 attached (DISK_SIZE), nsid 2 created detached
#                 (NS2_SIZE, default 256M) for Namespace Attachment tests. The guest gets
#                 rnvlayout=subsys2ns rnvsize2=<bytes>.
#   BLKDEBUG      (default layout only) adds a 64 MiB namespace whose image sits behind QEMU's
#                 blkdebug driver (raw -> blkdebug -> file), failing with EIO every read
#                 ("r:SECTOR") or write ("w:SECTOR") that touches the listed 512 B sectors,
#                 e.g. BLKDEBUG=r:65939,w:65616. The guest gets rnvbdns=<nsid> rnvbdrules=<same>.
#   THROTTLE      (default layout only) BPS[,BPS...]: adds one 64 MiB namespace per value, each
#                 behind its own QEMU throttle filter limited to BPS bytes per second
#                 (throttle-group x-bps-total, reads and writes together). The guest gets
#                 rnvthns=<nsid,...> rnvthbps=<same list>.
#   EXTRA_CMDLINE extra kernel arguments, e.g. swiotlb=force or iommu.strict=1
#   SMMU          1: arm64 machine with an SMMUv3 in front of PCI
#   CPUS MEM      guest CPUs (default 2) and memory (default 1G)
#   TIMEOUT       seconds before QEMU is killed (default 900); NAME log name
#   SHOW          1: also print the guest's RNV-SHOW lines (make demo) on stderr
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$(dirname "$0")/common.sh"

for kv in "$@"; do
	case $kv in
	[A-Z_]*=*) export "${kv?}" ;;
	*) echo "usage: $0 [KNOB=VALUE...] (see the header)" >&2; exit 2 ;;
	esac
done
ARCH=${ARCH:-arm64}
KERNEL=${KERNEL:-}
NONCOHERENT=${NONCOHERENT:-0}
TESTS=${TESTS:-bind}
DRIVER=${DRIVER:-rocknvme}
NVME_OPTS=${NVME_OPTS:-}
DISK_SIZE=${DISK_SIZE:-1G}
DRIVE_OPTS=${DRIVE_OPTS:-}
NVME_LAYOUT=${NVME_LAYOUT:-}
BLKDEBUG=${BLKDEBUG:-}
THROTTLE=${THROTTLE:-}
NS2_SIZE=${NS2_SIZE:-256M}
EXTRA_CMDLINE=${EXTRA_CMDLINE:-}
SMMU=${SMMU:-0}
CPUS=${CPUS:-2}
MEM=${MEM:-1G}
TIMEOUT=${TIMEOUT:-900}
SHOW=${SHOW:-0}
NAME=${NAME:-$ARCH-${TESTS//,/-}}
if [ -n "$KERNEL" ] && [ "$ARCH" != arm64 ]; then
	echo "KERNEL=$KERNEL: only the arm64 guest boots other kernel lines" >&2
	exit 2
fi
ABI=$(rnv_abi "$KERNEL")
VMDIR=$RNV_OUT/vm
FINAL_LOG=$VMDIR/$NAME.log

progress() { printf '[%s] %s\n' "$NAME" "$*" >&2; }

# arm64_kernel: Debian's arm64 vmlinuz is a plain Image, which -kernel takes as is; should a
# future one be gzip-compressed, it is unpacked once into the cache. 7.x keeps it beside
# its modules (linux-binary-*), earlier ones in /boot.
arm64_kernel() {
	local k=$RNV_CACHE/kernel-$ABI-arm64/boot/vmlinuz-$ABI-arm64 img
	[ -f "$k" ] || k=$(rnv_kmods arm64 "$ABI")/vmlinuz
	if [ "$(head -c 2 "$k" | od -An -tx1 | tr -d ' ')" != 1f8b ]; then
		echo "$k"
		return
	fi
	img=$RNV_CACHE/Image-$ABI-arm64
	[ -s "$img" ] || { gunzip -c "$k" > "$img.tmp" && mv "$img.tmp" "$img"; }
	echo "$img"
}

mkdir -p "$VMDIR"
# One VM at a time on this machine (2 cores): later callers wait here for the lock.
exec 9>"$RNV_CACHE/vm.lock"
flock -n 9 || { progress "waiting for another VM on this machine to finish"; flock 9; }
INITRD=$VMDIR/initramfs-$ARCH${KERNEL:+-$ABI}.cpio.gz
KERNEL=$KERNEL bash "$RNV_TOP/tests/lib/mkinitramfs.sh" "$ARCH" "$INITRD"

# Per-run directory (disk image, log in progress): concurrent runs do not collide.
RUNDIR=$(mktemp -d "$VMDIR/$NAME.XXXXXX")
LOG=$RUNDIR/console.log
trap 'mv -f "$LOG" "$FINAL_LOG" 2>/dev/null; rm -rf "$RUNDIR"' EXIT
trap 'exit 1' INT TERM HUP
truncate -s "$DISK_SIZE" "$RUNDIR/disk.raw"
size=$(stat -c %s "$RUNDIR/disk.raw")
lbs=512
[[ $NVME_OPTS =~ logical_block_size=([0-9]+) ]] && lbs=${BASH_REMATCH[1]}
# MDTS is in units of the minimum page size (4 KiB): 2^mdts pages, 0 = no limit.
maxkb=""
[[ $NVME_OPTS =~ mdts=([0-9]+) ]] && [ "${BASH_REMATCH[1]}" -gt 0 ] &&
	maxkb=$((4 << BASH_REMATCH[1]))

CMDLINE="panic=-1 rnvtest=$TESTS rnvdriver=$DRIVER rnvsize=$size rnvlbs=$lbs"
CMDLINE+=" rnvtimeout=$((TIMEOUT > 120 ? TIMEOUT - 60 : TIMEOUT / 2))${maxkb:+ rnvmaxkb=$maxkb}${EXTRA_CMDLINE:+ $EXTRA_CMDLINE}"
# drive ID FILE: a -drive argument for a raw file in RUNDIR.
drive() { echo "file=$RUNDIR/$2,if=none,id=$1,format=raw${DRIVE_OPTS:+,$DRIVE_OPTS}"; }
case $NVME_LAYOUT in
"")
	NVME_ARGS=(-drive "$(drive d0 disk.raw)"
		-device "nvme,id=ctrl0,serial=RNV0001,drive=d0${NVME_OPTS:+,$NVME_OPTS}")
	;;
subsys2ns)
	truncate -s "$NS2_SIZE" "$RUNDIR/ns2.raw"
	CMDLINE+=" rnvlayout=subsys2ns rnvsize2=$(stat -c %s "$RUNDIR/ns2.raw")"
	NVME_ARGS=(-device "nvme-subsys,id=subsys0,nqn=nqn.2024-01.org.rocknvme:subsys0"
		-device "nvme,serial=RNV0001,subsys=subsys0,id=ctrl0${NVME_OPTS:+,$NVME_OPTS}"
		-drive "$(drive d0 disk.raw)" -device "nvme-ns,drive=d0,bus=ctrl0,nsid=1"
		-drive "$(drive d1 ns2.raw)" -device "nvme-ns,drive=d1,bus=ctrl0,nsid=2,detached=true")
	;;
hotplug)
	# Behind a PCIe root port, so the QEMU monitor can unplug and re-plug it while the guest
	# runs (guest asks with "RNV-HOTPLUG del|add" lines, see watch_hotplug). -blockdev keeps
	# the disk image alive across device_del, which would auto-delete a -drive.
	# shellcheck disable=SC2054 # each element is one QEMU option value: its commas are QEMU's
	NVME_ARGS=(-blockdev "driver=file,filename=$RUNDIR/disk.raw,node-name=d0"
		-device pcie-root-port,id=rp0,chassis=1,slot=1
		-device "nvme,id=nvme0,serial=RNV0001,drive=d0,bus=rp0${NVME_OPTS:+,$NVME_OPTS}"
		-monitor "unix:$RUNDIR/mon.sock,server=on,wait=off")
	;;
*) echo "unknown NVME_LAYOUT $NVME_LAYOUT" >&2; exit 2 ;;
esac
if [ -n "$BLKDEBUG$THROTTLE" ] && [ -n "$NVME_LAYOUT" ]; then
	echo "BLKDEBUG and THROTTLE add namespaces to the default layout only" >&2
	exit 2
fi
nsid=1
# blkdebug_conf RULES: [inject-error] sections for r:SECTOR / w:SECTOR. blkdebug only arms
# the rules of the event just seen (raw's read_aio or write_aio, sent before each request),
# so every rule is listed under both events and told apart by iotype: a read then fails on
# a read-bad sector whatever request came before it, even with reads and writes in flight.
blkdebug_conf() {
	local rule ev
	for ev in read_aio write_aio; do
		for rule in ${1//,/ }; do
			case $rule in
			r:[0-9]*) printf '[inject-error]\nevent = "%s"\niotype = "read"\n' "$ev" ;;
			w:[0-9]*) printf '[inject-error]\nevent = "%s"\niotype = "write"\n' "$ev" ;;
			*) echo "bad BLKDEBUG rule $rule (r:SECTOR or w:SECTOR)" >&2; return 1 ;;
			esac
			printf 'errno = "5"\nsector = "%s"\nonce = "off"\n\n' "${rule#?:}"
		done
	done
}
if [ -n "$BLKDEBUG" ]; then
	nsid=$((nsid + 1))
	truncate -s 64M "$RUNDIR/bd.raw"
	blkdebug_conf "$BLKDEBUG" >"$RUNDIR/blkdebug.conf"
	NVME_ARGS+=(-blockdev "driver=raw,node-name=bd,file.driver=blkdebug,file.config=$RUNDIR/blkdebug.conf,file.image.driver=file,file.image.filename=$RUNDIR/bd.raw"
		-device "nvme-ns,drive=bd,bus=ctrl0,nsid=$nsid")
	CMDLINE+=" rnvbdns=$nsid rnvbdrules=$BLKDEBUG"
fi
thns=""
for bps in ${THROTTLE//,/ }; do
	nsid=$((nsid + 1))
	truncate -s 64M "$RUNDIR/th$nsid.raw"
	NVME_ARGS+=(-object "throttle-group,id=tg$nsid,x-bps-total=$bps"
		-blockdev "driver=throttle,node-name=th$nsid,throttle-group=tg$nsid,file.driver=file,file.filename=$RUNDIR/th$nsid.raw"
		-device "nvme-ns,drive=th$nsid,bus=ctrl0,nsid=$nsid")
	thns+=${thns:+,}$nsid
done
[ -z "$THROTTLE" ] || CMDLINE+=" rnvthns=$thns rnvthbps=$THROTTLE"
case $ARCH in
arm64)
	machine=virt,gic-version=3
	[ "$SMMU" = 1 ] && machine+=,iommu=smmuv3
	QEMU=(qemu-system-aarch64 -M "$machine" -cpu cortex-a76
		-kernel "$(arm64_kernel)" -append "console=ttyAMA0 $CMDLINE")
	;;
x86)
	QEMU=(qemu-system-x86_64 -accel tcg -M q35 -cpu max -net none
		-kernel "$RNV_CACHE/kernel-$ABI-amd64/boot/vmlinuz-$ABI-amd64"
		-append "console=ttyS0 $CMDLINE")
	;;
*) echo "unknown ARCH $ARCH" >&2; exit 2 ;;
esac
QEMU+=(-smp "$CPUS" -m "$MEM" -nographic -no-reboot -initrd "$INITRD" "${NVME_ARGS[@]}")

# NONCOHERENT=1: QEMU's virt board describes its PCIe host as dma-coherent; the RK3588's is
# not. Dump the board's own tree (same -M, -cpu, -smp, -m), drop that one property, boot on
# it: the guest then remaps coherent buffers and does cache maintenance at map/unmap/sync.
if [ "$NONCOHERENT" = 1 ]; then
	[ "$ARCH" = arm64 ] || { echo "NONCOHERENT=1 needs ARCH=arm64" >&2; exit 2; }
	dtb=$RUNDIR/virt-noncoherent.dtb
	qemu-system-aarch64 -M "$machine,dumpdtb=$dtb" -cpu cortex-a76 -smp "$CPUS" -m "$MEM" \
		-nographic >"$RUNDIR/dumpdtb.log" 2>&1 ||
		{ progress "dumpdtb failed: $(tail -n 2 "$RUNDIR/dumpdtb.log")"; exit 1; }
	pcie=$(fdtget -l "$dtb" / | grep -m1 '^pcie@') ||
		{ progress "no pcie@ node in QEMU's tree"; exit 1; }
	fdtget "$dtb" "/$pcie" dma-coherent >/dev/null 2>&1 ||
		{ progress "/$pcie has no dma-coherent property to remove"; exit 1; }
	fdtput -d "$dtb" "/$pcie" dma-coherent
	QEMU+=(-dtb "$dtb")
fi

# monitor CMD: one human-monitor command to the running QEMU; prints its reply.
monitor() {
	python3 - "$RUNDIR/mon.sock" "$1" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.settimeout(2)
s.sendall((sys.argv[2] + "\n").encode())
time.sleep(1)
try:
    out = s.recv(65536).decode(errors="replace")
except OSError:
    out = ""
# The monitor echoes the command among escape sequences: keep its reply lines.
for line in out.splitlines():
    line = line.strip()
    if line and "QEMU" not in line and "(qemu)" not in line:
        print(line)
s.close()
PY
}

# watch_hotplug: follow the console and turn the guest's requests into monitor commands.
watch_hotplug() {
	tail -n +1 -F "$LOG" 2>/dev/null | while IFS= read -r line; do
		case $line in
		"RNV-HOTPLUG del"*)
			progress "monitor: device_del nvme0"
			monitor "device_del nvme0" ;;
		"RNV-HOTPLUG add"*)
			# QEMU finishes device_del (frees the id and the disk) only after the guest powered the
			# slot off: until then device_add fails; retry.
			for ((i = 0; i < 20; i++)); do
				reply=$(monitor "device_add nvme,id=nvme0,serial=RNV0001,drive=d0,bus=rp0${NVME_OPTS:+,$NVME_OPTS}")
				[[ $reply == *Error* ]] || break
				sleep 2
			done
			progress "monitor: device_add nvme after $i retries: ${reply:-ok}" ;;
		esac
	done
}
if [ "$NVME_LAYOUT" = hotplug ]; then
	: >"$LOG"
	watch_hotplug >/dev/null &
	WATCHER=$!
	trap 'pkill -P "$WATCHER" 2>/dev/null; kill "$WATCHER" 2>/dev/null; mv -f "$LOG" "$FINAL_LOG" 2>/dev/null; rm -rf "$RUNDIR"' EXIT
fi

progress "booting: ${QEMU[*]}"
start=$(date +%s)
set +e
# The console, CRs dropped, goes whole to the log; the terminal sees results and progress.
timeout -k 10 "$TIMEOUT" "${QEMU[@]}" </dev/null 2>&1 | sed -u 's/\r$//' | tee "$LOG" |
	awk -v name="$NAME" -v show="$SHOW" '
		/^RNV-RESULT (PASS|FAIL) / { print; fflush(); next }
		/^RNV-SHOW/ && show == 1 { sub(/^RNV-SHOW ?/, ""); print > "/dev/stderr"; next }
		/^RNV-(BOOTED|RUN|TIME|DONE)/ || /Kernel panic|BUG:|Oops|Unable to handle|WARNING:/ {
			printf "[%s] %s\n", name, $0 > "/dev/stderr"
		}'
status=${PIPESTATUS[0]}
set -e
elapsed=$(($(date +%s) - start))

fails=$(grep -c '^RNV-RESULT FAIL ' "$LOG" || true)
passes=$(grep -c '^RNV-RESULT PASS ' "$LOG" || true)
ok=1
if [ "$status" = 124 ] || [ "$status" = 137 ]; then
	echo "RNV-RESULT FAIL vm-timeout $NAME: QEMU killed after ${TIMEOUT}s (log: $FINAL_LOG)"
	ok=0 fails=$((fails + 1))
elif ! grep -q '^RNV-DONE' "$LOG"; then
	echo "RNV-RESULT FAIL vm-incomplete $NAME: QEMU exited ($status) before RNV-DONE:" \
		"$(grep -m1 -E 'Kernel panic.*' "$LOG" || tail -n 1 "$LOG")"
	ok=0 fails=$((fails + 1))
fi
[ "$fails" -eq 0 ] && [ "$passes" -gt 0 ] || ok=0
progress "done in ${elapsed}s: $passes passed, $fails failed (log: $FINAL_LOG)"
[ "$ok" = 1 ]
