// SPDX-License-Identifier: GPL-2.0
/*
 * Namespaces: one disk per active namespace (rocknvme<N>n<M>), its queue
 * limits, scanning and rescanning (probe, NVME_IOCTL_RESCAN, and the
 * Namespace Attribute Changed event), and the Asynchronous Event Request
 * that the controller answers when something changes.
 */
#include "rocknvme.h"

/* The disk's last reference: only now may the namespace (and ctrl ref) go. */
void rnv_ns_free_disk(struct gendisk *disk)
{
	struct rnv_ns *ns = disk->private_data;

	put_device(&ns->ctrl->cdev_device);
	kfree(ns);
}

/* Disk limits: the DMA ones plus what the LBA format says. */
static void rnv_ns_set_limits(struct rnv_ns *ns, struct queue_limits *lim)
{
	struct rnv_ctrl *ctrl = ns->ctrl;
	u32 lbs = 1u << ns->lba_shift;

	rnv_map_queue_limits(ctrl, lim);
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

/* Can we make a disk of it? Logs why not. */
static bool rnv_ns_usable(struct rnv_ctrl *ctrl, u32 nsid, struct nvme_id_ns *id)
{
	struct nvme_lbaf *lbaf = &id->lbaf[nvme_lbaf_index(id->flbas)];

	if (!id->ncap)
		return false;
	if (lbaf->ds < SECTOR_SHIFT || lbaf->ds > PAGE_SHIFT) {
		dev_warn(ctrl->dev, "namespace %u: LBA size 2^%u unsupported, no disk\n",
			 nsid, lbaf->ds);
		return false;
	}
	if (lbaf->ms) {
		dev_warn(ctrl->dev, "namespace %u: metadata format (%u B/LBA) unsupported, no disk\n",
			 nsid, le16_to_cpu(lbaf->ms));
		return false;
	}
	return true;
}

static int rnv_ns_add(struct rnv_ctrl *ctrl, u32 nsid, struct nvme_id_ns *id)
{
	struct queue_limits lim = {};
	struct rnv_ns *ns;
	struct gendisk *disk;
	int ret;

	ns = kzalloc(sizeof(*ns), GFP_KERNEL);
	if (!ns)
		return -ENOMEM;
	ns->ctrl = ctrl;
	ns->nsid = nsid;
	ns->lba_shift = id->lbaf[nvme_lbaf_index(id->flbas)].ds;
	ns->nsze = le64_to_cpu(id->nsze);
	memcpy(ns->nguid, id->nguid, sizeof(ns->nguid));
	memcpy(ns->eui64, id->eui64, sizeof(ns->eui64));

	rnv_ns_set_limits(ns, &lim);
	disk = blk_mq_alloc_disk(&ctrl->io_set, &lim, ns);
	if (IS_ERR(disk)) {
		ret = PTR_ERR(disk);
		goto free_ns;
	}
	ns->disk = disk;
	disk->fops = ctrl->disk_fops;
	disk->private_data = ns;
	snprintf(disk->disk_name, DISK_NAME_LEN, "rocknvme%dn%u", ctrl->instance, nsid);
	/* A volatile write cache takes flushes; FUA is part of the NVM set. */
	ret = rnv_disk_set_features(disk, ctrl->vwc ? BLK_FEAT_WRITE_CACHE | BLK_FEAT_FUA : 0);
	if (ret)
		goto put_disk;
	set_capacity(disk, ns->nsze << (ns->lba_shift - SECTOR_SHIFT));
	/*
	 * On the list from here to after del_gendisk, so that every reset
	 * quiesces this queue too; joining during a reset, it starts quiesced.
	 * Lookups skip it until the disk is added.
	 */
	mutex_lock(&ctrl->ns_lock);
	list_add_tail(&ns->entry, &ctrl->namespaces);
	if (ctrl->io_quiesced)
		blk_mq_quiesce_queue(disk->queue);
	mutex_unlock(&ctrl->ns_lock);
	/* Below the controller's class device, as nvme lays out sysfs. */
	ret = device_add_disk(&ctrl->cdev_device, disk, rnv_ns_attr_groups);
	if (ret)
		goto unlist;
	/* Dropped in rnv_ns_free_disk, which now owns ns. */
	get_device(&ctrl->cdev_device);
	WRITE_ONCE(ns->added, true);
	dev_info(ctrl->dev, "%s: %llu blocks of %u bytes (%llu MiB)\n", disk->disk_name,
		 ns->nsze, 1u << ns->lba_shift,
		 (ns->nsze << ns->lba_shift) >> 20);
	return 0;

unlist:
	mutex_lock(&ctrl->ns_lock);
	list_del(&ns->entry);
	mutex_unlock(&ctrl->ns_lock);
put_disk:
	put_disk(disk);
free_ns:
	kfree(ns);
	return ret;
}

/*
 * Bring a disk in line with its namespace as Identify now reports it. A
 * new LBA format or size is applied with the disk frozen, so no request
 * is built with the old one. A namespace that went away, came back under
 * the same NSID as another one (new identity), or now has a format we
 * cannot use gets capacity 0 at once and is marked for the scan to drop.
 */
static void rnv_ns_update(struct rnv_ns *ns, struct nvme_id_ns *id)
{
	struct rnv_ctrl *ctrl = ns->ctrl;
	struct request_queue *rq_q = ns->disk->queue;
	u8 shift = id->lbaf[nvme_lbaf_index(id->flbas)].ds;
	u64 nsze = le64_to_cpu(id->nsze);
	struct queue_limits lim;
	unsigned int memflags;
	int ret;

	if (!rnv_ns_usable(ctrl, ns->nsid, id) ||
	    memcmp(ns->nguid, id->nguid, sizeof(ns->nguid)) ||
	    memcmp(ns->eui64, id->eui64, sizeof(ns->eui64))) {
		dev_warn(ctrl->dev, "%s: namespace %u is gone or was replaced\n",
			 ns->disk->disk_name, ns->nsid);
		ns->gone = true;
		set_capacity_and_notify(ns->disk, 0);
		return;
	}
	if (shift == ns->lba_shift && nsze == ns->nsze)
		return;
	lim = queue_limits_start_update(rq_q);
	memflags = blk_mq_freeze_queue(rq_q);
	ns->lba_shift = shift;
	ns->nsze = nsze;
	rnv_ns_set_limits(ns, &lim);
	ret = queue_limits_commit_update(rq_q, &lim);
	set_capacity_and_notify(ns->disk, ret ? 0 : nsze << (shift - SECTOR_SHIFT));
	blk_mq_unfreeze_queue(rq_q, memflags);
	if (ret) {
		dev_warn(ctrl->dev, "%s: new limits refused (%d), no capacity\n",
			 ns->disk->disk_name, ret);
		ns->gone = true;
		return;
	}
	dev_info(ctrl->dev, "%s: now %llu blocks of %u bytes\n", ns->disk->disk_name,
		 nsze, 1u << shift);
}

/* Re-identify every disk's namespace. Caller holds scan_lock (the list is stable). */
static void rnv_ns_revalidate_locked(struct rnv_ctrl *ctrl, struct nvme_id_ns *id)
{
	struct rnv_ns *ns;
	int ret;

	list_for_each_entry(ns, &ctrl->namespaces, entry) {
		if (ns->gone)
			continue;
		ret = rnv_identify(ctrl, NVME_ID_CNS_NS, ns->nsid, id);
		if (ret > 0 && (ret & 0x7ff) == NVME_SC_INVALID_NS)
			memset(id, 0, sizeof(*id));	/* gone: ncap 0 */
		else if (ret)
			continue;	/* no answer now: keep what we have */
		rnv_ns_update(ns, id);
	}
}

/* After a command that may reformat or replace namespaces (see rnv_passthru_end). */
void rnv_ns_revalidate(struct rnv_ctrl *ctrl)
{
	struct nvme_id_ns *id = kzalloc(sizeof(*id), GFP_KERNEL);

	if (!id)
		return;
	mutex_lock(&ctrl->scan_lock);
	rnv_ns_revalidate_locked(ctrl, id);
	mutex_unlock(&ctrl->scan_lock);
	kfree(id);
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
		if (ns->nsid == nsid && ns->added && !ns->gone) {
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

/* Is there a disk for @nsid? Caller holds scan_lock. */
static bool rnv_ns_has_disk(struct rnv_ctrl *ctrl, u32 nsid)
{
	struct rnv_ns *ns;

	list_for_each_entry(ns, &ctrl->namespaces, entry)
		if (ns->nsid == nsid)
			return true;
	return false;
}

/*
 * Delete the disks on @victims (linked by remove_entry). del_gendisk runs
 * outside ns_lock, as it waits for I/O that a reset may have to let
 * through; the namespace stays on the list until then so that reset still
 * quiesces and unquiesces its queue. Caller holds scan_lock.
 */
static void rnv_ns_delete_list(struct rnv_ctrl *ctrl, struct list_head *victims)
{
	struct rnv_ns *ns, *next;

	list_for_each_entry_safe(ns, next, victims, remove_entry) {
		dev_info(ctrl->dev, "%s: namespace %u removed\n", ns->disk->disk_name, ns->nsid);
		del_gendisk(ns->disk);
		mutex_lock(&ctrl->ns_lock);
		list_del(&ns->entry);
		mutex_unlock(&ctrl->ns_lock);
		put_disk(ns->disk);	/* frees ns through rnv_ns_free_disk */
	}
}

/* Drop the disks of namespaces that are gone or no longer in the active list (@list NULL: all). */
static void rnv_ns_remove_inactive(struct rnv_ctrl *ctrl, const __le32 *list)
{
	struct rnv_ns *ns;
	LIST_HEAD(victims);

	mutex_lock(&ctrl->ns_lock);
	list_for_each_entry(ns, &ctrl->namespaces, entry) {
		if (!list || ns->gone || !rnv_nsid_listed(list, ns->nsid)) {
			ns->gone = true;
			list_add_tail(&ns->remove_entry, &victims);
		}
	}
	mutex_unlock(&ctrl->ns_lock);
	rnv_ns_delete_list(ctrl, &victims);
}

/*
 * Bring the disks in line with the Active Namespace ID list (CNS 02h):
 * re-read the namespaces that have disks, drop those that went away or
 * changed identity, add a disk for each new one. Used at probe, by
 * NVME_IOCTL_RESCAN, on a Namespace Attribute Changed event and after
 * admin commands that change namespaces. A namespace whose Identify fails
 * is skipped with a message; the others still get their disks.
 */
int rnv_ns_scan(struct rnv_ctrl *ctrl)
{
	enum rnv_state state;
	__le32 *list;
	void *id;
	int i, ret;

	list = kzalloc(NVME_IDENTIFY_DATA_SIZE, GFP_KERNEL);
	id = kzalloc(NVME_IDENTIFY_DATA_SIZE, GFP_KERNEL);
	ret = -ENOMEM;
	if (!list || !id)
		goto out;
	mutex_lock(&ctrl->scan_lock);
	/* Remove takes scan_lock after leaving LIVE: no disk is added behind it. */
	state = READ_ONCE(ctrl->state);
	ret = -ENODEV;
	if (state == RNV_DELETING || state == RNV_DEAD)
		goto unlock;
	ret = rnv_identify(ctrl, NVME_ID_CNS_NS_ACTIVE_LIST, 0, list);
	if (ret)
		goto unlock;
	rnv_ns_revalidate_locked(ctrl, id);
	rnv_ns_remove_inactive(ctrl, list);
	for (i = 0; i < NVME_IDENTIFY_DATA_SIZE / sizeof(*list) && list[i]; i++) {
		u32 nsid = le32_to_cpu(list[i]);

		if (rnv_ns_has_disk(ctrl, nsid))
			continue;
		if (rnv_identify(ctrl, NVME_ID_CNS_NS, nsid, id))
			continue;	/* logged by rnv_identify */
		if (!rnv_ns_usable(ctrl, nsid, id))
			continue;
		ret = rnv_ns_add(ctrl, nsid, id);
		if (ret)
			goto unlock;
	}
	ret = 0;
unlock:
	mutex_unlock(&ctrl->scan_lock);
out:
	kfree(id);
	kfree(list);
	return ret > 0 ? -EIO : ret;
}

/*
 * Stop new I/O at the block layer's door and wait up to @timeout jiffies
 * (0: no limit) for what is in flight to finish (suspend, or a command
 * that reformats). The wait is outside ns_lock, which a reset needs to
 * finish that I/O; scan_lock keeps the list from changing meanwhile.
 */
void rnv_ns_freeze(struct rnv_ctrl *ctrl, unsigned long timeout)
{
	long left;

	struct rnv_ns *ns;

	mutex_lock(&ctrl->scan_lock);
	mutex_lock(&ctrl->ns_lock);
	list_for_each_entry(ns, &ctrl->namespaces, entry) {
		if (ns->frozen)
			continue;
		blk_freeze_queue_start_non_owner(ns->disk->queue);
		ns->frozen = true;
	}
	mutex_unlock(&ctrl->ns_lock);
	list_for_each_entry(ns, &ctrl->namespaces, entry) {
		if (!timeout) {
			blk_mq_freeze_queue_wait(ns->disk->queue);
			continue;
		}
		left = blk_mq_freeze_queue_wait_timeout(ns->disk->queue, timeout);
		if (left <= 0) {
			dev_warn(ctrl->dev, "I/O still in flight after the freeze timeout\n");
			break;
		}
		timeout = left;
	}
	mutex_unlock(&ctrl->scan_lock);
}

/* End a freeze, for exactly the namespaces it froze. */
void rnv_ns_unfreeze(struct rnv_ctrl *ctrl)
{
	struct rnv_ns *ns;

	mutex_lock(&ctrl->ns_lock);
	list_for_each_entry(ns, &ctrl->namespaces, entry) {
		if (ns->frozen) {
			blk_mq_unfreeze_queue_non_owner(ns->disk->queue);
			ns->frozen = false;
		}
	}
	mutex_unlock(&ctrl->ns_lock);
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
 * Never two: the controller would hold two commands with one id.
 */
static void rnv_aer_submit(struct rnv_ctrl *ctrl)
{
	struct nvme_command c = { };

	if (atomic_cmpxchg(&ctrl->aer_outstanding, 0, 1))
		return;
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

/*
 * A failed event request is re-armed, up to RNV_AER_MAX_ERRORS in a row;
 * not when a reset aborted it (the restart arms a new one) or when the
 * controller says too many are outstanding.
 */
static void rnv_aer_failed(struct rnv_ctrl *ctrl, u16 status)
{
	switch (status & 0x7ff) {
	case NVME_SC_ABORT_REQ:
	case NVME_SC_ABORT_QUEUE:
		dev_dbg(ctrl->dev, "async event request aborted\n");
		return;
	case NVME_SC_ASYNC_LIMIT:
		dev_err(ctrl->dev, "async event request limit exceeded\n");
		return;
	}
	if (++ctrl->aer_errors > RNV_AER_MAX_ERRORS) {
		dev_err(ctrl->dev, "%u async event requests failed in a row: no more events\n",
			RNV_AER_MAX_ERRORS + 1);
		return;
	}
	dev_warn(ctrl->dev, "async event request failed: %s (%#x); re-arming\n",
		 rnv_status_str(status), status);
	queue_work(rnv_wq, &ctrl->aer_work);
}

/* Interrupt context, from rnv_q_reap under cq_lock: act on the event, then re-arm. */
void rnv_aer_complete(struct rnv_ctrl *ctrl, struct nvme_completion *cqe)
{
	u16 status = le16_to_cpu(cqe->status) >> 1;
	u32 result = le32_to_cpu(cqe->result.u32);
	u8 type = result & 7, info = (result >> 8) & 0xff;

	atomic_set(&ctrl->aer_outstanding, 0);
	if (rnv_fault_event_fails(ctrl))
		status = NVME_SC_INTERNAL;
	/* Remove and kill leave LIVE before they flush this work. */
	if (READ_ONCE(ctrl->state) != RNV_LIVE)
		return;
	if (status) {
		rnv_aer_failed(ctrl, status);
		return;
	}
	ctrl->aer_errors = 0;
	ctrl->events++;
	if (type == NVME_AER_NOTICE && info == NVME_AER_NOTICE_NS_CHANGED)
		queue_work(rnv_wq, &ctrl->scan_work);
	else
		dev_info(ctrl->dev, "async event: type %u info %#x log page %#x\n",
			 type, info, (result >> 16) & 0xff);
	queue_work(rnv_wq, &ctrl->aer_work);
}

/*
 * After every enable (probe, and restart before LIVE): ask for namespace
 * change notices, since a reset may have cleared the setting.
 */
void rnv_events_config(struct rnv_ctrl *ctrl)
{
	int ret;

	ret = rnv_set_features(ctrl, NVME_FEAT_ASYNC_EVENT, NVME_AEN_CFG_NS_ATTR, NULL);
	if (ret)
		dev_info(ctrl->dev, "namespace change notices not enabled: %s\n",
			 rnv_status_str(ret));
}

/* Once LIVE: arm the event request (it waits for nothing). */
void rnv_events_arm(struct rnv_ctrl *ctrl)
{
	ctrl->aer_errors = 0;
	rnv_aer_submit(ctrl);
}

/* At probe, before anything may look for a namespace. */
void rnv_events_init(struct rnv_ctrl *ctrl)
{
	INIT_LIST_HEAD(&ctrl->namespaces);
	mutex_init(&ctrl->ns_lock);
	mutex_init(&ctrl->scan_lock);
	INIT_WORK(&ctrl->scan_work, rnv_scan_work);
	INIT_WORK(&ctrl->aer_work, rnv_aer_work);
}

/*
 * The controller was stopped (rnv_ctrl_stop, interrupts fenced): it holds
 * no event request now, and no re-arm queued before the stop may run after
 * the restart has armed a new one.
 */
void rnv_events_stopped(struct rnv_ctrl *ctrl)
{
	cancel_work_sync(&ctrl->aer_work);
	atomic_set(&ctrl->aer_outstanding, 0);
}

/* Remove: the controller has left LIVE, so nothing queues these again. */
void rnv_events_stop(struct rnv_ctrl *ctrl)
{
	cancel_work_sync(&ctrl->aer_work);
	cancel_work_sync(&ctrl->scan_work);
}

void rnv_ns_remove_all(struct rnv_ctrl *ctrl)
{
	mutex_lock(&ctrl->scan_lock);
	rnv_ns_remove_inactive(ctrl, NULL);
	mutex_unlock(&ctrl->scan_lock);
}
