#!/bin/bash
# Guest test (NONCOHERENT=1 boots): the PCIe host really is non-coherent here, and the driver's
# coherent DMA buffers (queue rings, PRP pools, shadow doorbells) are remapped uncached by the
# DMA layer, which /proc/vmallocinfo shows as "dma-coherent" areas: their count must rise when
# rocknvme binds and fall back when it unbinds. Data integrity on this path is the fio test's.
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. /tests/lib.sh

# The host bridge node of QEMU's virt tree, as the guest sees it.
node=$(ls -d /proc/device-tree/pcie@* 2>/dev/null | head -n1)
if [ -z "$node" ]; then
	fail noncoherent-dt "no /proc/device-tree/pcie@* node (not a device-tree boot?)"
	exit 0
elif [ -e "$node/dma-coherent" ]; then
	fail noncoherent-dt "$node still has dma-coherent: the -dtb from runvm.sh was not used"
	exit 0
fi
pass noncoherent-dt "${node#/proc/device-tree}: no dma-coherent property"

# remapped: the number of vmalloc areas the DMA layer made for coherent buffers.
remapped() { grep -c 'dma-coherent' /proc/vmallocinfo; }

[ -d /sys/module/rocknvme ] && { unload_driver || exit 0; }
before=$(remapped)
load_driver || exit 0
bound=$(remapped)
unload_driver || exit 0
after=$(remapped)
if [ "$bound" -gt "$before" ] && [ "$after" -lt "$bound" ]; then
	pass noncoherent-remap "dma-coherent vmalloc areas: $before unbound, $bound bound, $after after rmmod"
else
	fail noncoherent-remap "dma-coherent vmalloc areas: $before unbound, $bound bound," \
		"$after after rmmod (expected a rise while bound)"
fi
load_driver || exit 0
exit 0
