// SPDX-License-Identifier: GPL-2.0
/*
 * The block layer side: the admin and I/O tag sets, blk_mq_ops (queue_rq,
 * commit_rqs, complete, timeout, map_queues), building read/write/flush
 * commands, and one disk per active namespace named rocknvme<N>n<M>.
 * The I/O path reads in order: rnv_queue_rq -> rnv_prp_map -> rnv_q_submit,
 * then rnv_irq -> rnv_q_reap -> rnv_complete_rq -> rnv_prp_unmap.
 */
#include <linux/blk-mq-pci.h>
#include "rocknvme.h"

static blk_status_t rnv_status_to_blk(int status)
{
	if (status < 0)
		return errno_to_blk_status(status);
	switch (status & 0x7ff) {
	case NVME_SC_SUCCESS:
		return BLK_STS_OK;
	case NVME_SC_INVALID_OPCODE:
	case NVME_SC_INVALID_FIELD:
	case NVME_SC_INVALID_NS:
	case NVME_SC_ONCS_NOT_SUPPORTED:
		return BLK_STS_NOTSUPP;
	case NVME_SC_LBA_RANGE:
	case NVME_SC_CAP_EXCEEDED:
		return BLK_STS_NOSPC;
	case NVME_SC_WRITE_FAULT:
	case NVME_SC_READ_ERROR:
	case NVME_SC_UNWRITTEN_BLOCK:
		return BLK_STS_MEDIUM;
	default:
		return BLK_STS_IOERR;
	}
}

/* Build the NVM command for a filesystem request (NVMe 2.0 NVM set §3.2). */
static blk_status_t rnv_setup_fs_cmd(struct rnv_ns *ns, struct request *req,
				     struct nvme_command *c)
{
	memset(c, 0, sizeof(*c));
	switch (req_op(req)) {
	case REQ_OP_FLUSH:
		c->common.opcode = nvme_cmd_flush;
		break;
	case REQ_OP_READ:
	case REQ_OP_WRITE:
		c->rw.opcode = req_op(req) == REQ_OP_READ ? nvme_cmd_read : nvme_cmd_write;
		c->rw.slba = cpu_to_le64(blk_rq_pos(req) >> (ns->lba_shift - SECTOR_SHIFT));
		c->rw.length = cpu_to_le16((blk_rq_bytes(req) >> ns->lba_shift) - 1);
		if (req->cmd_flags & REQ_FUA)
			c->rw.control = cpu_to_le16(NVME_RW_FUA);
		break;
	default:
		dev_err_ratelimited(ns->ctrl->dev, "unsupported block op %u\n", req_op(req));
		return BLK_STS_NOTSUPP;
	}
	c->common.nsid = cpu_to_le32(ns->nsid);
	return BLK_STS_OK;
}

static blk_status_t rnv_queue_rq(struct blk_mq_hw_ctx *hctx,
				 const struct blk_mq_queue_data *bd)
{
	struct rnv_queue *q = hctx->driver_data;
	struct rnv_ctrl *ctrl = q->ctrl;
	struct request *req = bd->rq;
	struct rnv_cmd *cmd = rnv_cmd(req);
	blk_status_t ret;

	/* A dead controller fails I/O at once instead of letting it time out. */
	if (unlikely(!READ_ONCE(q->live) || ctrl->dead))
		return BLK_STS_IOERR;

	cmd->q = q;
	cmd->status = -EIO;
	cmd->nents = 0;
	cmd->bvec_len = 0;
	cmd->prp_pages = 0;
	/* Passthrough requests arrive with their command already in cmd->sqe. */
	if (!blk_rq_is_passthrough(req)) {
		ret = rnv_setup_fs_cmd(req->q->queuedata, req, &cmd->sqe);
		if (ret)
			return ret;
	}
	cmd->sqe.common.command_id = req->tag;
	if (blk_rq_nr_phys_segments(req)) {
		ret = rnv_prp_map(ctrl, req);
		if (ret)
			return ret;
	}
	blk_mq_start_request(req);
	rnv_q_submit(q, &cmd->sqe, bd->last);
	return BLK_STS_OK;
}

static void rnv_commit_rqs(struct blk_mq_hw_ctx *hctx)
{
	rnv_q_ring_sq(hctx->driver_data);
}

static void rnv_complete_rq(struct request *req)
{
	struct rnv_cmd *cmd = rnv_cmd(req);
	struct rnv_ctrl *ctrl = cmd->q->ctrl;

	rnv_prp_unmap(ctrl, req);
	if (unlikely(cmd->status) && !blk_rq_is_passthrough(req))
		dev_err_ratelimited(ctrl->dev, "I/O op %u at sector %llu failed: %s (%#x)\n",
				    req_op(req), blk_rq_pos(req),
				    rnv_status_str(cmd->status), cmd->status);
	blk_mq_end_request(req, rnv_status_to_blk(cmd->status));
}

static bool rnv_cancel_rq(struct request *req, void *data)
{
	struct rnv_cmd *cmd = rnv_cmd(req);

	if (blk_mq_request_completed(req))
		return true;
	cmd->status = -EIO;
	blk_mq_complete_request(req);
	return true;
}

/* Fail every outstanding request; the controller will not answer them. */
void rnv_cancel_all(struct rnv_ctrl *ctrl)
{
	if (ctrl->io_set_ready)
		blk_mq_tagset_busy_iter(&ctrl->io_set, rnv_cancel_rq, NULL);
	blk_mq_tagset_busy_iter(&ctrl->admin_set, rnv_cancel_rq, NULL);
}

/*
 * Give up on the controller: stop its DMA before any buffer is unmapped,
 * then fail everything outstanding. CC.EN=0 asks the controller to stop;
 * clearing Bus Master makes sure even when it no longer answers.
 */
void rnv_ctrl_kill(struct rnv_ctrl *ctrl)
{
	WRITE_ONCE(ctrl->dead, true);
	rnv_ctrl_disable(ctrl);
	pci_clear_master(ctrl->pdev);
	rnv_cancel_all(ctrl);
}

/*
 * A command did not complete in time. First look for a lost interrupt; if
 * the completion really is missing, or the controller has failed, stop the
 * controller (no more DMA) and fail what is outstanding, so nothing hangs.
 */
static enum blk_eh_timer_return rnv_timeout(struct request *req)
{
	struct rnv_cmd *cmd = rnv_cmd(req);
	struct rnv_queue *q = cmd->q;
	struct rnv_ctrl *ctrl = q->ctrl;
	unsigned long flags;

	spin_lock_irqsave(&q->cq_lock, flags);
	rnv_q_reap(q);
	spin_unlock_irqrestore(&q->cq_lock, flags);
	if (blk_mq_request_completed(req)) {
		dev_warn(ctrl->dev, "queue %u: command %u completed without an interrupt\n",
			 q->qid, req->tag);
		return BLK_EH_DONE;
	}
	dev_err(ctrl->dev, "queue %u: command %u (opcode %#x) timed out; disabling controller\n",
		q->qid, req->tag, cmd->sqe.common.opcode);
	rnv_ctrl_kill(ctrl);
	return BLK_EH_DONE;
}

static int rnv_init_hctx(struct blk_mq_hw_ctx *hctx, void *data, unsigned int idx)
{
	struct rnv_ctrl *ctrl = data;
	/* Admin hctx 0 is queue 0; I/O hctx i is queue i + 1. */
	struct rnv_queue *q = &ctrl->queues[hctx->queue->tag_set == &ctrl->admin_set ?
					    0 : idx + 1];

	q->tags = hctx->tags;
	hctx->driver_data = q;
	return 0;
}

static void rnv_map_queues(struct blk_mq_tag_set *set)
{
	struct rnv_ctrl *ctrl = set->driver_data;
	struct blk_mq_queue_map *map = &set->map[HCTX_TYPE_DEFAULT];

	/* Vector 0 is the admin queue's (pre_vectors), so I/O starts at 1. */
	if (ctrl->nr_vectors > 1)
		blk_mq_pci_map_queues(map, ctrl->pdev, 1);
	else
		blk_mq_map_queues(map);
}

static const struct blk_mq_ops rnv_admin_ops = {
	.queue_rq	= rnv_queue_rq,
	.complete	= rnv_complete_rq,
	.init_hctx	= rnv_init_hctx,
	.timeout	= rnv_timeout,
};

static const struct blk_mq_ops rnv_io_ops = {
	.queue_rq	= rnv_queue_rq,
	.commit_rqs	= rnv_commit_rqs,
	.complete	= rnv_complete_rq,
	.init_hctx	= rnv_init_hctx,
	.map_queues	= rnv_map_queues,
	.timeout	= rnv_timeout,
};

int rnv_admin_set_create(struct rnv_ctrl *ctrl)
{
	struct blk_mq_tag_set *set = &ctrl->admin_set;
	int ret;

	set->ops = &rnv_admin_ops;
	set->nr_hw_queues = 1;
	/* One slot stays empty: a full ring looks like an empty one. */
	set->queue_depth = RNV_ADMIN_DEPTH - 1;
	set->timeout = RNV_ADMIN_TIMEOUT;
	set->numa_node = dev_to_node(ctrl->dev);
	set->cmd_size = sizeof(struct rnv_cmd);
	set->flags = BLK_MQ_F_NO_SCHED;
	set->driver_data = ctrl;
	ret = blk_mq_alloc_tag_set(set);
	if (ret)
		return ret;
	ctrl->admin_q = blk_mq_init_queue(set);
	if (IS_ERR(ctrl->admin_q)) {
		ret = PTR_ERR(ctrl->admin_q);
		goto free_set;
	}
	return 0;

free_set:
	blk_mq_free_tag_set(set);
	ctrl->admin_q = NULL;
	return ret;
}

void rnv_admin_set_destroy(struct rnv_ctrl *ctrl)
{
	blk_mq_destroy_queue(ctrl->admin_q);
	blk_put_queue(ctrl->admin_q);
	blk_mq_free_tag_set(&ctrl->admin_set);
	ctrl->admin_q = NULL;
}

int rnv_io_set_create(struct rnv_ctrl *ctrl)
{
	struct blk_mq_tag_set *set = &ctrl->io_set;
	int ret;

	set->ops = &rnv_io_ops;
	set->nr_hw_queues = ctrl->nr_io_queues;
	set->queue_depth = ctrl->io_depth - 1;
	set->timeout = 30 * HZ;
	set->numa_node = dev_to_node(ctrl->dev);
	set->cmd_size = sizeof(struct rnv_cmd);
	set->flags = BLK_MQ_F_SHOULD_MERGE;
	set->driver_data = ctrl;
	ret = blk_mq_alloc_tag_set(set);
	if (ret)
		return ret;
	ctrl->io_set_ready = true;
	return 0;
}

void rnv_io_set_destroy(struct rnv_ctrl *ctrl)
{
	if (!ctrl->io_set_ready)
		return;
	blk_mq_free_tag_set(&ctrl->io_set);
	ctrl->io_set_ready = false;
}

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

/*
 * DMA limits every queue of this controller shares (namespaces and admin):
 * what one command's PRPs can describe.
 */
void rnv_queue_set_dma_limits(struct rnv_ctrl *ctrl, struct request_queue *rq_q)
{
	blk_queue_max_hw_sectors(rq_q, ctrl->max_xfer >> SECTOR_SHIFT);
	blk_queue_max_segments(rq_q, min_t(u32, RNV_MAX_SEGS,
					   ctrl->max_xfer / ctrl->page_size + 1));
	/* PRPs cannot describe a gap inside a page: let blk-mq split there. */
	blk_queue_virt_boundary(rq_q, ctrl->page_size - 1);
	/* PRP entries need dword alignment only (NVMe 2.0 §4.1.1). */
	blk_queue_dma_alignment(rq_q, 3);
}

/* Disk limits: the DMA ones plus what the LBA format and cache say. */
static void rnv_ns_set_limits(struct rnv_ns *ns, struct request_queue *rq_q)
{
	struct rnv_ctrl *ctrl = ns->ctrl;
	u32 lbs = 1u << ns->lba_shift;

	rnv_queue_set_dma_limits(ctrl, rq_q);
	blk_queue_logical_block_size(rq_q, lbs);
	blk_queue_physical_block_size(rq_q, lbs);
	blk_queue_io_min(rq_q, lbs);
	blk_queue_write_cache(rq_q, ctrl->vwc, ctrl->vwc);
	blk_queue_flag_set(QUEUE_FLAG_NONROT, rq_q);
}

static int rnv_ns_add(struct rnv_ctrl *ctrl, u32 nsid, struct nvme_id_ns *id)
{
	struct nvme_lbaf *lbaf = &id->lbaf[nvme_lbaf_index(id->flbas)];
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

	disk = blk_mq_alloc_disk(&ctrl->io_set, ns);
	if (IS_ERR(disk)) {
		ret = PTR_ERR(disk);
		goto free_ns;
	}
	ns->disk = disk;
	disk->fops = &rnv_bdev_ops;
	disk->private_data = ns;
	snprintf(disk->disk_name, DISK_NAME_LEN, "rocknvme%dn%u", ctrl->instance, nsid);
	rnv_ns_set_limits(ns, disk->queue);
	set_capacity(disk, ns->nsze << (ns->lba_shift - SECTOR_SHIFT));
	ret = device_add_disk(ctrl->dev, disk, NULL);
	if (ret)
		goto put_disk;
	/* Dropped in rnv_ns_free_disk, which now owns ns. */
	get_device(&ctrl->cdev_device);
	list_add_tail(&ns->entry, &ctrl->namespaces);
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

/* Active namespace list (CNS 02h), then Identify Namespace for each. */
int rnv_ns_scan(struct rnv_ctrl *ctrl)
{
	__le32 *list;
	void *id;
	int i, ret;

	list = kzalloc(NVME_IDENTIFY_DATA_SIZE, GFP_KERNEL);
	id = kzalloc(NVME_IDENTIFY_DATA_SIZE, GFP_KERNEL);
	ret = -ENOMEM;
	if (!list || !id)
		goto out;
	ret = rnv_identify(ctrl, NVME_ID_CNS_NS_ACTIVE_LIST, 0, list);
	if (ret)
		goto out;
	for (i = 0; i < NVME_IDENTIFY_DATA_SIZE / sizeof(*list) && list[i]; i++) {
		u32 nsid = le32_to_cpu(list[i]);

		ret = rnv_identify(ctrl, NVME_ID_CNS_NS, nsid, id);
		if (ret)
			goto out;
		if (!((struct nvme_id_ns *)id)->ncap)
			continue;
		ret = rnv_ns_add(ctrl, nsid, id);
		if (ret)
			goto out;
	}
out:
	kfree(id);
	kfree(list);
	return ret > 0 ? -EIO : ret;
}

void rnv_ns_remove_all(struct rnv_ctrl *ctrl)
{
	struct rnv_ns *ns, *next;

	list_for_each_entry_safe(ns, next, &ctrl->namespaces, entry) {
		list_del(&ns->entry);
		del_gendisk(ns->disk);
		put_disk(ns->disk);	/* frees ns through rnv_ns_free_disk */
	}
}
