// SPDX-License-Identifier: GPL-2.0
/*
 * Namespaces: one disk per active namespace (rocknvme<N>n<M>), its queue
 * limits, scanning and rescanning (probe, NVME_IOCTL_RESCAN, and the
 * Namespace Attribute Changed event), and the Asynchronous Event Request
 * that the controller answers when something changes.
 */
#include "rocknvme.h"

/* The disk's last reference: only now may the namespace (and ctrl ref) go. */
static void rnv_ns_free_disk(struct gendisk *disk)
{
	struct rnv_ns *ns = disk->private_data;

	put_device(&ns->ctrl->cdev_device);
	kfree(ns);
}

static const struct block_device_operations rnv_bdev_ops = {
	.owner		= THIS_MODULE,
	.ioctl		= rnv_ns_ioctl,
	.compat_ioctl	= blkdev_compat_ptr_ioctl,
	.free_disk	= rnv_ns_free_disk,
};

/* Disk limits: the DMA ones plus what the LBA format says. */
static void rnv_ns_set_limits(struct rnv_ns *ns, struct queue_limits *lim)
{
	struct rnv_ctrl *ctrl = ns->ctrl;
	u32 lbs = 1u << ns->lba_shift;

	rnv_queue_set_dma_limits(ctrl, lim);
	lim->logical_block_size = lbs;
	lim->physical_block_size = lbs;
	lim->io_min = lbs;
	/* One Dataset Management range per command; NLB is 32 bits. */
	if (ctrl->oncs & NVME_CTRL_ONCS_DSM) {
		lim->discard_granularity = lbs;
		lim->max_hw_discard_sectors = RNV_MAX_DISCARD_SECTORS;
		lim->max_discard_segments = 1;
	}
	/* Write Zeroes NLB is 16 bits: at most 65536 blocks per command. */
	if (ctrl->oncs & NVME_CTRL_ONCS_WRITE_ZEROES)
		lim->max_write_zeroes_sectors =
			min_t(u32, 65536u << (ns->lba_shift - SECTOR_SHIFT),
			      ctrl->max_xfer >> SECTOR_SHIFT);
}

static int rnv_ns_add(struct rnv_ctrl *ctrl, u32 nsid, struct nvme_id_ns *id)
{
	struct nvme_lbaf *lbaf = &id->lbaf[nvme_lbaf_index(id->flbas)];
	struct queue_limits lim = {};
	struct rnv_ns *ns;
	struct gendisk *disk;
	int ret;

	if (lbaf->ds < SECTOR_SHIFT || lbaf->ds > PAGE_SHIFT) {
		dev_warn(ctrl->dev, "namespace %u: LBA size 2^%u unsupported, skipped\n",
			 nsid, lbaf->ds);
		return 0;
	}
	if (lbaf->ms) {
		dev_warn(ctrl->dev, "namespace %u: metadata format (%u B/LBA) unsupported, skipped\n",
			 nsid, le16_to_cpu(lbaf->ms));
		return 0;
	}
	ns = kzalloc(sizeof(*ns), GFP_KERNEL);
	if (!ns)
		return -ENOMEM;
	ns->ctrl = ctrl;
	ns->nsid = nsid;
	ns->lba_shift = lbaf->ds;
	ns->nsze = le64_to_cpu(id->nsze);

	rnv_ns_set_limits(ns, &lim);
	disk = blk_mq_alloc_disk(&ctrl->io_set, &lim, ns);
	if (IS_ERR(disk)) {
		ret = PTR_ERR(disk);
		goto free_ns;
	}
	ns->disk = disk;
	disk->fops = &rnv_bdev_ops;
	disk->private_data = ns;
	snprintf(disk->disk_name, DISK_NAME_LEN, "rocknvme%dn%u", ctrl->instance, nsid);
	/* A volatile write cache takes flushes; FUA is part of the NVM set. */
	ret = rnv_disk_set_features(disk, ctrl->vwc ? BLK_FEAT_WRITE_CACHE | BLK_FEAT_FUA : 0);
	if (ret)
		goto put_disk;
	set_capacity(disk, ns->nsze << (ns->lba_shift - SECTOR_SHIFT));
	ret = device_add_disk(ctrl->dev, disk, NULL);
	if (ret)
		goto put_disk;
	/* Dropped in rnv_ns_free_disk, which now owns ns. */
	get_device(&ctrl->cdev_device);
	mutex_lock(&ctrl->ns_lock);
	/* Joining during a reset: be stopped like the others until it ends. */
	if (ctrl->io_quiesced)
		blk_mq_quiesce_queue(disk->queue);
	list_add_tail(&ns->entry, &ctrl->namespaces);
	mutex_unlock(&ctrl->ns_lock);
	dev_info(ctrl->dev, "%s: %llu blocks of %u bytes (%llu MiB)\n", disk->disk_name,
		 ns->nsze, 1u << ns->lba_shift,
		 (ns->nsze << ns->lba_shift) >> 20);
	return 0;

put_disk:
	put_disk(disk);
free_ns:
	kfree(ns);
	return ret;
}

/*
 * Find a namespace and pin its disk (and so the ns, see rnv_ns_free_disk)
 * for a caller outside the scan; release with put_disk(ns->disk).
 */
struct rnv_ns *rnv_ns_get(struct rnv_ctrl *ctrl, u32 nsid)
{
	struct rnv_ns *ns, *found = NULL;

	mutex_lock(&ctrl->ns_lock);
	list_for_each_entry(ns, &ctrl->namespaces, entry) {
		if (ns->nsid == nsid) {
			get_device(disk_to_dev(ns->disk));
			found = ns;
			break;
		}
	}
	mutex_unlock(&ctrl->ns_lock);
	return found;
}

static bool rnv_nsid_listed(const __le32 *list, u32 nsid)
{
	unsigned int i;

	for (i = 0; i < NVME_IDENTIFY_DATA_SIZE / sizeof(*list) && list[i]; i++)
		if (le32_to_cpu(list[i]) == nsid)
			return true;
	return false;
}

/* Delete disks in @gone; outside ns_lock, as del_gendisk waits for I/O. */
static void rnv_ns_delete_list(struct list_head *gone)
{
	struct rnv_ns *ns, *next;

	list_for_each_entry_safe(ns, next, gone, entry) {
		list_del(&ns->entry);
		dev_info(ns->ctrl->dev, "%s: namespace %u removed\n",
			 ns->disk->disk_name, ns->nsid);
		del_gendisk(ns->disk);
		put_disk(ns->disk);	/* frees ns through rnv_ns_free_disk */
	}
}

/* Drop the disks of namespaces that are no longer in the active list. */
static void rnv_ns_remove_inactive(struct rnv_ctrl *ctrl, const __le32 *list)
{
	struct rnv_ns *ns, *next;
	LIST_HEAD(gone);

	mutex_lock(&ctrl->ns_lock);
	list_for_each_entry_safe(ns, next, &ctrl->namespaces, entry)
		if (!rnv_nsid_listed(list, ns->nsid))
			list_move_tail(&ns->entry, &gone);
	mutex_unlock(&ctrl->ns_lock);
	rnv_ns_delete_list(&gone);
}

/*
 * Bring the disks in line with the Active Namespace ID list (CNS 02h):
 * add a disk for each new namespace, delete those that went away. Used at
 * probe, by NVME_IOCTL_RESCAN and on a Namespace Attribute Changed event.
 */
int rnv_ns_scan(struct rnv_ctrl *ctrl)
{
	struct rnv_ns *ns;
	__le32 *list;
	void *id;
	int i, ret;

	list = kzalloc(NVME_IDENTIFY_DATA_SIZE, GFP_KERNEL);
	id = kzalloc(NVME_IDENTIFY_DATA_SIZE, GFP_KERNEL);
	ret = -ENOMEM;
	if (!list || !id)
		goto out;
	mutex_lock(&ctrl->scan_lock);
	ret = rnv_identify(ctrl, NVME_ID_CNS_NS_ACTIVE_LIST, 0, list);
	if (ret)
		goto unlock;
	rnv_ns_remove_inactive(ctrl, list);
	for (i = 0; i < NVME_IDENTIFY_DATA_SIZE / sizeof(*list) && list[i]; i++) {
		u32 nsid = le32_to_cpu(list[i]);

		ns = rnv_ns_get(ctrl, nsid);
		if (ns) {
			put_disk(ns->disk);
			continue;
		}
		ret = rnv_identify(ctrl, NVME_ID_CNS_NS, nsid, id);
		if (ret)
			goto unlock;
		if (!((struct nvme_id_ns *)id)->ncap)
			continue;
		ret = rnv_ns_add(ctrl, nsid, id);
		if (ret)
			goto unlock;
	}
unlock:
	mutex_unlock(&ctrl->scan_lock);
out:
	kfree(id);
	kfree(list);
	return ret > 0 ? -EIO : ret;
}

/*
 * The Changed Namespace List log (ID 04h) must be read for the controller
 * to report the next change (NVMe 2.0 §5.14.1.4); its content is not
 * needed, the full scan finds every difference.
 */
static void rnv_scan_work(struct work_struct *work)
{
	struct rnv_ctrl *ctrl = container_of(work, struct rnv_ctrl, scan_work);
	void *log;

	if (READ_ONCE(ctrl->state) != RNV_LIVE)
		return;
	log = kzalloc(NVME_IDENTIFY_DATA_SIZE, GFP_KERNEL);
	if (log) {
		rnv_get_log(ctrl, NVME_LOG_CHANGED_NS, log, NVME_IDENTIFY_DATA_SIZE);
		kfree(log);
	}
	if (rnv_ns_scan(ctrl))
		dev_warn(ctrl->dev, "namespace rescan after event failed\n");
}

/*
 * Asynchronous Event Request: one always outstanding on the admin queue,
 * under a command id outside the tag range so blk-mq never sees it (it
 * has no timeout: the controller answers only when something happens).
 */
void rnv_aer_submit(struct rnv_ctrl *ctrl)
{
	struct nvme_command c = { };

	c.common.opcode = nvme_admin_async_event;
	c.common.command_id = RNV_AER_CID;
	rnv_q_submit(&ctrl->queues[0], &c, true);
}

static void rnv_aer_work(struct work_struct *work)
{
	struct rnv_ctrl *ctrl = container_of(work, struct rnv_ctrl, aer_work);

	if (READ_ONCE(ctrl->state) == RNV_LIVE)
		rnv_aer_submit(ctrl);
}

/* Interrupt context, from rnv_q_reap: act on the event, then re-arm. */
void rnv_aer_complete(struct rnv_ctrl *ctrl, struct nvme_completion *cqe)
{
	u16 status = le16_to_cpu(cqe->status) >> 1;
	u32 result = le32_to_cpu(cqe->result.u32);
	u8 type = result & 7, info = (result >> 8) & 0xff;

	if (status) {
		/* Aborted by a reset or shutdown; the reset arms a new one. */
		dev_dbg(ctrl->dev, "async event request ended: %s\n", rnv_status_str(status));
		return;
	}
	ctrl->events++;
	if (type == NVME_AER_NOTICE && info == NVME_AER_NOTICE_NS_CHANGED)
		queue_work(system_wq, &ctrl->scan_work);
	else
		dev_info(ctrl->dev, "async event: type %u info %#x log page %#x\n",
			 type, info, (result >> 16) & 0xff);
	queue_work(system_wq, &ctrl->aer_work);
}

/* Ask for namespace change notices, then arm the first event request. */
void rnv_events_start(struct rnv_ctrl *ctrl)
{
	int ret;

	ret = rnv_set_features(ctrl, NVME_FEAT_ASYNC_EVENT, NVME_AEN_CFG_NS_ATTR, NULL);
	if (ret)
		dev_info(ctrl->dev, "namespace change notices not enabled: %s\n",
			 rnv_status_str(ret));
	rnv_aer_submit(ctrl);
}

void rnv_events_init(struct rnv_ctrl *ctrl)
{
	mutex_init(&ctrl->scan_lock);
	INIT_WORK(&ctrl->scan_work, rnv_scan_work);
	INIT_WORK(&ctrl->aer_work, rnv_aer_work);
}

void rnv_events_stop(struct rnv_ctrl *ctrl)
{
	cancel_work_sync(&ctrl->aer_work);
	cancel_work_sync(&ctrl->scan_work);
}

void rnv_ns_remove_all(struct rnv_ctrl *ctrl)
{
	LIST_HEAD(gone);

	mutex_lock(&ctrl->ns_lock);
	list_splice_init(&ctrl->namespaces, &gone);
	mutex_unlock(&ctrl->ns_lock);
	rnv_ns_delete_list(&gone);
}
