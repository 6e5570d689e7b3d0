// SPDX-License-Identifier: GPL-2.0
/*
 * Queue pairs: the coherent SQ and CQ rings, their doorbells, the one submit
 * path (rnv_q_submit) and the one completion path (rnv_q_reap) that admin
 * commands, I/O and passthrough all share. Creating the queues on the device
 * is ctrl.c's job; turning a completion into a finished request is blk.c's.
 */
#include "rocknvme.h"

/*
 * Polled queues take cq_lock only from process context, the others also in
 * hard IRQ: separate lockdep classes keep the two usages apart.
 */
static struct lock_class_key rnv_cq_irq_key;
static struct lock_class_key rnv_cq_poll_key;

/*
 * DMA: rings live in coherent memory (dma_alloc_coherent) because both sides
 * touch them for the whole life of the queue with no hand-over points: a
 * streaming mapping would need a sync on every entry. On a non-coherent SoC
 * such as the RK3588 the DMA API hands back an uncached mapping, so no cache
 * maintenance appears in this driver.
 */
int rnv_q_alloc(struct rnv_ctrl *ctrl, u16 qid, u16 depth)
{
	struct rnv_queue *q = &ctrl->queues[qid];
	u64 db_end = NVME_REG_DBS + (qid * 2 + 2) * 4ull * ctrl->db_stride;

	/* Both doorbells must lie inside BAR 0 (CAP.DSTRD can say otherwise). */
	if (db_end > pci_resource_len(ctrl->pdev, 0)) {
		dev_err(ctrl->dev, "queue %u: doorbells end at %#llx, past BAR 0 (%#llx)\n",
			qid, db_end, (u64)pci_resource_len(ctrl->pdev, 0));
		return -ENODEV;
	}
	q->cqes = dma_alloc_coherent(ctrl->dev, depth * sizeof(*q->cqes),
				     &q->cq_dma, GFP_KERNEL);
	if (!q->cqes)
		return -ENOMEM;
	q->sqes = dma_alloc_coherent(ctrl->dev, depth * sizeof(*q->sqes),
				     &q->sq_dma, GFP_KERNEL);
	if (!q->sqes)
		goto free_cq;

	q->ctrl = ctrl;
	q->qid = qid;
	q->depth = depth;
	q->irq = -1;
	spin_lock_init(&q->sq_lock);
	spin_lock_init(&q->cq_lock);
	lockdep_set_class(&q->cq_lock, rnv_q_polled(q) ? &rnv_cq_poll_key : &rnv_cq_irq_key);
	/* NVMe 2.0 §3.1.4: SQ y tail at 0x1000 + (2y) * stride, CQ y head after it. */
	q->sq_db = &ctrl->dbs[qid * 2 * ctrl->db_stride];
	q->cq_db = &ctrl->dbs[(qid * 2 + 1) * ctrl->db_stride];
	rnv_q_init(q);
	return 0;

free_cq:
	dma_free_coherent(ctrl->dev, depth * sizeof(*q->cqes), q->cqes, q->cq_dma);
	q->cqes = NULL;
	return -ENOMEM;
}

void rnv_q_free(struct rnv_ctrl *ctrl, u16 qid)
{
	struct rnv_queue *q = &ctrl->queues[qid];

	if (q->sqes)
		dma_free_coherent(ctrl->dev, q->depth * sizeof(*q->sqes),
				  q->sqes, q->sq_dma);
	if (q->cqes)
		dma_free_coherent(ctrl->dev, q->depth * sizeof(*q->cqes),
				  q->cqes, q->cq_dma);
	q->sqes = NULL;
	q->cqes = NULL;
}

/*
 * Reset ring state before the queue is (re)created on the device. Under
 * cq_lock: a poller (polled queues are never fenced by an IRQ free) or a
 * shared INTx handler must not reap a stale entry of the last pass while
 * the head and phase start over; it would end a request a second time.
 */
void rnv_q_init(struct rnv_queue *q)
{
	unsigned long flags;

	q->sq_tail = 0;
	q->last_sq_tail = 0;
	spin_lock_irqsave(&q->cq_lock, flags);
	q->cq_head = 0;
	/* NVMe 2.0 §4.2.4: the device writes phase 1 on its first pass. */
	q->cq_phase = 1;
	memset(q->cqes, 0, q->depth * sizeof(*q->cqes));
	spin_unlock_irqrestore(&q->cq_lock, flags);
	rnv_dbbuf_init_queue(q);
	/*
	 * DMA: the zeroed CQ must be visible before the device can post to it;
	 * the queue-creation command reaches the device through a writel, which
	 * orders this store, but say so with an explicit barrier for readers.
	 */
	wmb();
}

/* Caller holds sq_lock. */
static void rnv_q_write_sq_db(struct rnv_queue *q)
{
	if (q->sq_tail == q->last_sq_tail)
		return;
	/*
	 * DMA: writel() orders all earlier normal-memory stores (the SQE in the
	 * coherent ring) before the MMIO store, so no explicit wmb() is needed.
	 */
	if (rnv_dbbuf_update(q->sq_tail, q->dbbuf_sq_db, q->dbbuf_sq_ei)) {
		writel(q->sq_tail, q->sq_db);
		q->sq_mmio++;
	}
	q->last_sq_tail = q->sq_tail;
}

/*
 * Copy one command into the next SQ slot. The doorbell is rung only when
 * @ring is set (blk-mq's bd->last), batching one MMIO write per burst.
 */
void rnv_q_submit(struct rnv_queue *q, struct nvme_command *c, bool ring)
{
	spin_lock(&q->sq_lock);
	memcpy(&q->sqes[q->sq_tail], c, sizeof(*c));
	if (++q->sq_tail == q->depth)
		q->sq_tail = 0;
	q->submitted++;
	if (ring)
		rnv_q_write_sq_db(q);
	spin_unlock(&q->sq_lock);
}

/* blk-mq commit_rqs: a batch ended without bd->last; tell the device now. */
void rnv_q_ring_sq(struct rnv_queue *q)
{
	spin_lock(&q->sq_lock);
	rnv_q_write_sq_db(q);
	spin_unlock(&q->sq_lock);
}

static bool rnv_cqe_pending(struct rnv_queue *q)
{
	struct nvme_completion *cqe = &q->cqes[q->cq_head];

	/* The device owns the entry until its phase bit flips to ours. */
	return (le16_to_cpu(READ_ONCE(cqe->status)) & 1) == q->cq_phase;
}

/*
 * Successful I/O reaped into a batch: unmap each, then end them together,
 * as blk.c's rnv_complete_rq does one by one. A poll queue's batch may
 * sleep here when a test armed poll_gap_us: end one only where a poller
 * could sleep, never under a lock.
 */
static void rnv_q_complete_batch(struct io_comp_batch *iob)
{
	struct request *req;

	rnv_fault_batch_gap(iob);
	rq_list_for_each(&iob->req_list, req) {
		struct rnv_ctrl *ctrl = rnv_cmd(req)->q->ctrl;

		this_cpu_inc(*ctrl->rq_ended);
		rnv_unmap_data(ctrl, req);
	}
	blk_mq_end_request_batch(iob);
}

static void rnv_cqe_handle(struct rnv_queue *q, struct nvme_completion *cqe,
			   struct io_comp_batch *iob)
{
	u16 cid = READ_ONCE(cqe->command_id);
	u16 tag = cid & RNV_CID_TAG_MASK;
	struct request *req = NULL;
	struct rnv_cmd *cmd;

	if (unlikely(!q->qid && cid == RNV_AER_CID)) {
		rnv_aer_complete(q->ctrl, cqe);
		return;
	}
	/* No tags: a queue with no namespace (or not yet created) has no requests. */
	if (likely(q->tags && tag < q->tags->nr_tags))
		req = blk_mq_tag_to_rq(q->tags, tag);
	if (unlikely(!req || rnv_cmd(req)->genctr != cid >> RNV_CID_TAG_BITS)) {
		dev_warn_ratelimited(q->ctrl->dev,
				     "queue %u: completion for unknown or stale command id %#x\n",
				     q->qid, cid);
		return;
	}
	cmd = rnv_cmd(req);
	cmd->status = le16_to_cpu(cqe->status) >> 1;
	cmd->result = cqe->result;
	/* Test hook: may change the status, drop or hold the completion. */
	if (q->qid && rnv_fault_io(q->ctrl, req))
		return;
	/*
	 * A successful request joins the caller's batch, ended all at once
	 * after the CQ lock is dropped (rnv_q_complete_batch); errors go one by
	 * one through rnv_complete_rq, which decides about retries.
	 */
	if (!cmd->status && blk_mq_add_to_batch(req, iob, 0, rnv_q_complete_batch)) {
		/*
		 * Still in flight to blk-mq until the batch ends: the flag,
		 * set under cq_lock, tells a reset's cancel (which takes
		 * cq_lock first) that this request is already finished.
		 */
		WRITE_ONCE(cmd->in_batch, true);
		return;
	}
	blk_mq_complete_request(req);
}

/*
 * Consume every posted completion, then write the CQ head doorbell once.
 * Returns the number of completions found. Callers hold cq_lock. With
 * @iob, successful requests are collected there for the caller to end
 * once the lock is dropped; without, each is completed here.
 */
static int rnv_q_reap_batch(struct rnv_queue *q, struct io_comp_batch *iob)
{
	int found = 0;

	while (rnv_cqe_pending(q)) {
		/*
		 * DMA: dma_rmb() keeps the reads of the entry's other fields
		 * after the phase test; without it a weakly ordered CPU (arm64)
		 * may read a stale command id from before the device's write.
		 */
		dma_rmb();
		rnv_cqe_handle(q, &q->cqes[q->cq_head], iob);
		if (++q->cq_head == q->depth) {
			q->cq_head = 0;
			q->cq_phase ^= 1;
		}
		found++;
	}
	if (found) {
		q->completed += found;
		/* The head write releases the slots back to the device. */
		if (rnv_dbbuf_update(q->cq_head, q->dbbuf_cq_db, q->dbbuf_cq_ei) ||
		    q->cq_db_always) {
			writel(q->cq_head, q->cq_db);
			q->cq_mmio++;
		}
	}
	return found;
}

int rnv_q_reap(struct rnv_queue *q)
{
	return rnv_q_reap_batch(q, NULL);
}

/*
 * blk-mq poll for a queue without interrupt (io_uring hipri, REQ_POLLED).
 * Successful completions join the poller's batch, which it ends after
 * cq_lock is dropped; rnv_cancel_rq skips them (cmd->in_batch).
 */
int rnv_q_poll(struct rnv_queue *q, struct io_comp_batch *iob)
{
	int found;

	/* Nothing posted: skip the lock, as most polls of a QD1 job find. */
	if (!rnv_cqe_pending(q))
		return 0;
	spin_lock(&q->cq_lock);
	/*
	 * A stopped queue is reaped by rnv_ctrl_stop alone: its ring may be
	 * re-initialised under us once the lock is dropped.
	 */
	found = READ_ONCE(q->live) ? rnv_q_reap_batch(q, iob) : 0;
	spin_unlock(&q->cq_lock);
	return found;
}

/*
 * The interrupt handler batches I/O completions: a reset that cancels
 * requests first frees this IRQ, which waits for the batch to be ended.
 */
irqreturn_t rnv_irq(int irq, void *data)
{
	struct rnv_queue *q = data;
	DEFINE_IO_COMP_BATCH(iob);
	int found;

	spin_lock(&q->cq_lock);
	found = rnv_q_reap_batch(q, q->qid ? &iob : NULL);
	spin_unlock(&q->cq_lock);
	if (!rq_list_empty(&iob.req_list))
		iob.complete(&iob);
	if (!found)
		return IRQ_NONE;
	q->interrupts++;
	return IRQ_HANDLED;
}
