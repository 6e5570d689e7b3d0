// SPDX-License-Identifier: GPL-2.0
/*
 * The block layer side: the admin and I/O tag sets, blk_mq_ops (queue_rq,
 * commit_rqs, complete, timeout, map_queues), building read/write/flush
 * commands, and one disk per active namespace named rocknvme<N>n<M>.
 * The I/O path reads in order: rnv_queue_rq -> rnv_map_data -> rnv_q_submit,
 * then rnv_irq -> rnv_q_reap -> rnv_complete_rq -> rnv_unmap_data.
 */
#include "rocknvme.h"

static blk_status_t rnv_status_to_blk(int status)
{
	/*
	 * -EAGAIN marks a request a reset handed back for replay; when it
	 * still ends with it, the replays ran out: an I/O error. BLK_STS_AGAIN
	 * would reach the reader as EAGAIN, which only REQ_NOWAIT I/O may get.
	 */
	if (status == -EAGAIN)
		return BLK_STS_IOERR;
	if (status < 0)
		return errno_to_blk_status(status);
	switch (status & 0x7ff) {
	case NVME_SC_SUCCESS:
		return BLK_STS_OK;
	case NVME_SC_INVALID_OPCODE:
	case NVME_SC_INVALID_FIELD:
	case NVME_SC_INVALID_NS:
	case NVME_SC_CMD_SIZE_LIM_EXCEEDED:
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
	case REQ_OP_DISCARD:
		/* The range goes by DMA: rnv_map_dsm maps it. */
		c->dsm.opcode = nvme_cmd_dsm;
		c->dsm.nr = 0;		/* one range, zero-based */
		c->dsm.attributes = cpu_to_le32(NVME_DSMGMT_AD);
		rnv_cmd(req)->dsm.cattr = 0;
		rnv_cmd(req)->dsm.nlb = cpu_to_le32(blk_rq_bytes(req) >> ns->lba_shift);
		rnv_cmd(req)->dsm.slba = cpu_to_le64(blk_rq_pos(req) >>
						     (ns->lba_shift - SECTOR_SHIFT));
		break;
	case REQ_OP_WRITE_ZEROES:
		c->write_zeroes.opcode = nvme_cmd_write_zeroes;
		c->write_zeroes.slba = cpu_to_le64(blk_rq_pos(req) >>
						   (ns->lba_shift - SECTOR_SHIFT));
		c->write_zeroes.length = cpu_to_le16((blk_rq_bytes(req) >> ns->lba_shift) - 1);
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

/* Discard and Write Zeroes carry segments in blk-mq's count but no data. */
static bool rnv_rq_has_data(struct request *req)
{
	switch (req_op(req)) {
	case REQ_OP_READ:
	case REQ_OP_WRITE:
	case REQ_OP_DRV_IN:
	case REQ_OP_DRV_OUT:
		return blk_rq_nr_phys_segments(req);
	default:
		return false;
	}
}

static blk_status_t rnv_queue_rq(struct blk_mq_hw_ctx *hctx,
				 const struct blk_mq_queue_data *bd)
{
	struct rnv_queue *q = hctx->driver_data;
	struct rnv_ctrl *ctrl = q->ctrl;
	struct request *req = bd->rq;
	struct rnv_cmd *cmd = rnv_cmd(req);
	blk_status_t ret;

	cmd->q = q;
	/*
	 * A dead or retired controller fails commands at once instead of
	 * letting them time out; the status tells a waiting caller why.
	 */
	if (unlikely(READ_ONCE(ctrl->state) == RNV_DEAD || !READ_ONCE(q->live))) {
		cmd->status = -ENODEV;
		return BLK_STS_IOERR;
	}

	/* First dispatch only: replays keep their count. */
	if (!(req->rq_flags & RQF_DONTPREP)) {
		cmd->retries = 0;
		req->rq_flags |= RQF_DONTPREP;
	}
	/* Each dispatch is a new command: a timeout aborts it before a reset. */
	cmd->aborted = false;
	cmd->status = -EIO;
	cmd->in_batch = false;
	cmd->sg_alloced = 0;
	cmd->bvec_len = 0;
	cmd->nr_list_blocks = 0;
	/* Passthrough requests arrive with their command already in cmd->sqe. */
	if (!blk_rq_is_passthrough(req)) {
		cmd->from_user = false;
		ret = rnv_setup_fs_cmd(req->q->queuedata, req, &cmd->sqe);
		if (ret)
			return ret;
	}
	cmd->genctr = (cmd->genctr + 1) & RNV_CID_GEN_MASK;
	cmd->sqe.common.command_id = req->tag | cmd->genctr << RNV_CID_TAG_BITS;
	cmd->dsm_dma = 0;
	if (req_op(req) == REQ_OP_DISCARD)
		ret = rnv_map_dsm(ctrl, req);
	else if (rnv_rq_has_data(req))
		ret = rnv_map_data(ctrl, req);
	else
		ret = BLK_STS_OK;
	if (ret)
		return ret;
	blk_mq_start_request(req);
	this_cpu_inc(*ctrl->rq_started);
	rnv_q_submit(q, &cmd->sqe, bd->last);
	return BLK_STS_OK;
}

static void rnv_commit_rqs(struct blk_mq_hw_ctx *hctx)
{
	rnv_q_ring_sq(hctx->driver_data);
}

/*
 * Replay instead of failing: commands the host cancelled for a reset
 * (-EAGAIN), and device errors without Do Not Retry, a bounded number of
 * times. Passthrough commands are the user's to retry.
 */
static bool rnv_should_retry(struct request *req, int status)
{
	if (blk_rq_is_passthrough(req) || rnv_cmd(req)->retries >= RNV_MAX_RETRIES)
		return false;
	if (status == -EAGAIN)
		return true;
	return status > 0 && !(status & NVME_STATUS_DNR) && !blk_noretry_request(req);
}

static void rnv_complete_rq(struct request *req)
{
	struct rnv_cmd *cmd = rnv_cmd(req);
	struct rnv_ctrl *ctrl = cmd->q->ctrl;

	this_cpu_inc(*ctrl->rq_ended);
	rnv_unmap_data(ctrl, req);
	if (unlikely(cmd->status) && rnv_should_retry(req, cmd->status)) {
		cmd->retries++;
		/* A quiesced queue (reset) keeps it until the reset lets I/O flow. */
		blk_mq_requeue_request(req, true);
		return;
	}
	if (unlikely(cmd->status) && !blk_rq_is_passthrough(req))
		dev_err_ratelimited(ctrl->dev, "I/O op %u at sector %llu failed: %s (%#x)\n",
				    req_op(req), blk_rq_pos(req),
				    rnv_status_str(cmd->status), cmd->status);
	blk_mq_end_request(req, rnv_status_to_blk(cmd->status));
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

	map->nr_queues = ctrl->nr_irq_queues;
	map->queue_offset = 0;
	/* Vector 0 is the admin queue's (pre_vectors), so I/O starts at 1. */
	if (ctrl->nr_vectors > 1)
		blk_mq_map_hw_queues(map, ctrl->dev, 1);
	else
		blk_mq_map_queues(map);
	if (set->nr_maps <= HCTX_TYPE_POLL)
		return;
	/* Reads share the default queues; polled I/O has its own, after them. */
	set->map[HCTX_TYPE_READ].nr_queues = 0;
	map = &set->map[HCTX_TYPE_POLL];
	map->nr_queues = ctrl->nr_poll_queues;
	map->queue_offset = ctrl->nr_irq_queues;
	blk_mq_map_queues(map);
}

static int rnv_poll(struct blk_mq_hw_ctx *hctx, struct io_comp_batch *iob)
{
	return rnv_q_poll(hctx->driver_data, iob);
}

static const struct blk_mq_ops rnv_admin_ops = {
	.queue_rq	= rnv_queue_rq,
	.commit_rqs	= rnv_commit_rqs,
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
	.poll		= rnv_poll,
	.timeout	= rnv_timeout,
};

int rnv_admin_set_create(struct rnv_ctrl *ctrl)
{
	struct blk_mq_tag_set *set = &ctrl->admin_set;
	int ret;

	set->ops = &rnv_admin_ops;
	set->nr_hw_queues = 1;
	/*
	 * One slot stays empty (a full ring looks like an empty one) and one
	 * is the async event request's, outside blk-mq.
	 */
	set->queue_depth = RNV_ADMIN_DEPTH - 2;
	set->timeout = RNV_ADMIN_TIMEOUT;
	set->numa_node = dev_to_node(ctrl->dev);
	set->cmd_size = sizeof(struct rnv_cmd);
	set->driver_data = ctrl;
	ret = blk_mq_alloc_tag_set(set);
	if (ret)
		return ret;
	ctrl->admin_q = blk_mq_alloc_queue(set, NULL, NULL);
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
	set->nr_maps = ctrl->nr_poll_queues ? HCTX_MAX_TYPES : 1;
	set->queue_depth = ctrl->io_depth - 1;
	set->timeout = ctrl->params.io_timeout * HZ;
	set->numa_node = dev_to_node(ctrl->dev);
	set->cmd_size = sizeof(struct rnv_cmd);
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

/* The admin queue gets its DMA limits once Identify has given MDTS. */
int rnv_admin_set_limits(struct rnv_ctrl *ctrl)
{
	struct queue_limits lim = queue_limits_start_update(ctrl->admin_q);

	rnv_map_queue_limits(ctrl, &lim);
	return queue_limits_commit_update(ctrl->admin_q, &lim);
}
