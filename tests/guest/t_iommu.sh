#!/bin/bash
# Guest test: with an IOMMU in the machine (SMMU=1 boots), the controller behind the driver
# sits in an IOMMU group with a translating (DMA) domain, so its DMA really is remapped.
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. /tests/lib.sh

load_driver || exit 0
dev=""
for d in /sys/bus/pci/devices/*; do
	# Class 0x010802: mass storage, non-volatile memory, NVMe.
	[ "$(cat "$d/class")" = 0x010802 ] && dev=$d && break
done
if [ -z "$dev" ]; then
	fail iommu-group "no NVMe PCI function found"
elif [ ! -e "$dev/iommu_group" ]; then
	fail iommu-group "$(basename "$dev") has no IOMMU group"
else
	type=$(cat "$dev/iommu_group/type" 2>/dev/null)
	case $type in
	DMA | DMA-FQ) pass iommu-group "$(basename "$dev") in group $(basename "$(readlink "$dev/iommu_group")"), domain $type" ;;
	*) fail iommu-group "$(basename "$dev") domain type '$type', expected DMA" ;;
	esac
fi
exit 0
