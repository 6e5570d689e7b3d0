// SPDX-License-Identifier: GPL-2.0
/*
 * Shadow doorbells (Doorbell Buffer Config, NVMe 2.0 §5.8), for controllers
 * that advertise OACS bit 8. Emulated and virtualized controllers do: each
 * MMIO doorbell write there is a trap into the hypervisor, the dominant
 * cost of an I/O. The host instead writes the new SQ tail or CQ head into a
 * page of ordinary memory, the shadow doorbell buffer, and rings the MMIO
 * doorbell only when the controller asked to be woken for that value,
 * which it says in a second page, the EventIdx buffer.
 *
 * Both buffers mirror the doorbell register layout (SQ y at 2y * stride, CQ y
 * at (2y + 1) * stride, 32-bit slots). Only I/O queues use them, as in the
 * in-kernel driver; admin commands are rare and keep the MMIO doorbells.
 */
#include <linux/module.h>
#include "rocknvme.h"

static size_t rnv_dbbuf_size(struct rnv_ctrl *ctrl)
{
	return (ctrl->max_io_queues + 1) * 2 * ctrl->db_stride * sizeof(u32);
}

/*
 * Allocate both buffers, once per probe. DMA: coherent memory, like the
 * rings, because host and controller read and write the slots at any time.
 * Failure only means running without shadow doorbells.
 */
void rnv_dbbuf_alloc(struct rnv_ctrl *ctrl)
{
	size_t size = rnv_dbbuf_size(ctrl);

	if (!ctrl->params.shadow_doorbells ||
	    !(le16_to_cpu(ctrl->id->oacs) & NVME_CTRL_OACS_DBBUF_SUPP))
		return;
	/* dma_alloc_coherent gives whole pages: page aligned, as the spec asks. */
	ctrl->dbbuf_dbs = dma_alloc_coherent(ctrl->dev, size, &ctrl->dbbuf_dbs_dma,
					     GFP_KERNEL);
	if (!ctrl->dbbuf_dbs)
		goto fail;
	ctrl->dbbuf_eis = dma_alloc_coherent(ctrl->dev, size, &ctrl->dbbuf_eis_dma,
					     GFP_KERNEL);
	if (!ctrl->dbbuf_eis)
		goto free_dbs;
	return;

free_dbs:
	dma_free_coherent(ctrl->dev, size, ctrl->dbbuf_dbs, ctrl->dbbuf_dbs_dma);
	ctrl->dbbuf_dbs = NULL;
fail:
	dev_warn(ctrl->dev, "no memory for shadow doorbells: using MMIO doorbells\n");
}

/* Only once the controller is disabled: until then it may write EventIdx. */
void rnv_dbbuf_free(struct rnv_ctrl *ctrl)
{
	size_t size = rnv_dbbuf_size(ctrl);

	ctrl->dbbuf_on = false;
	if (ctrl->dbbuf_eis)
		dma_free_coherent(ctrl->dev, size, ctrl->dbbuf_eis, ctrl->dbbuf_eis_dma);
	if (ctrl->dbbuf_dbs)
		dma_free_coherent(ctrl->dev, size, ctrl->dbbuf_dbs, ctrl->dbbuf_dbs_dma);
	ctrl->dbbuf_eis = NULL;
	ctrl->dbbuf_dbs = NULL;
}

/*
 * Hand the buffers to the controller. Needed after every enable, since a
 * reset makes the controller forget them, and before the I/O queues are
 * created, since their queues start at tail/head 0 like the cleared slots.
 */
void rnv_dbbuf_config(struct rnv_ctrl *ctrl)
{
	struct nvme_command c = { };
	int ret;

	ctrl->dbbuf_on = false;
	if (!ctrl->dbbuf_dbs)
		return;
	memset(ctrl->dbbuf_dbs, 0, rnv_dbbuf_size(ctrl));
	memset(ctrl->dbbuf_eis, 0, rnv_dbbuf_size(ctrl));
	c.dbbuf.opcode = nvme_admin_dbbuf;
	c.dbbuf.prp1 = cpu_to_le64(ctrl->dbbuf_dbs_dma);
	c.dbbuf.prp2 = cpu_to_le64(ctrl->dbbuf_eis_dma);
	ret = rnv_submit_sync(ctrl, ctrl->admin_q, &c, NULL, 0, NULL);
	if (ret) {
		dev_warn(ctrl->dev, "doorbell buffer config failed: %s (%d); using MMIO doorbells\n",
			 ret > 0 ? rnv_status_str(ret) : "host error", ret);
		return;
	}
	ctrl->dbbuf_on = true;
}

/* Point an I/O queue at its slots (or at none), before it is created. */
void rnv_dbbuf_init_queue(struct rnv_queue *q)
{
	struct rnv_ctrl *ctrl = q->ctrl;
	unsigned int sq = q->qid * 2 * ctrl->db_stride;
	unsigned int cq = (q->qid * 2 + 1) * ctrl->db_stride;

	q->cq_db_always = false;
	if (!q->qid || !ctrl->dbbuf_on) {
		q->dbbuf_sq_db = NULL;
		q->dbbuf_cq_db = NULL;
		q->dbbuf_sq_ei = NULL;
		q->dbbuf_cq_ei = NULL;
		return;
	}
	q->dbbuf_sq_db = &ctrl->dbbuf_dbs[sq];
	q->dbbuf_cq_db = &ctrl->dbbuf_dbs[cq];
	q->dbbuf_sq_ei = &ctrl->dbbuf_eis[sq];
	q->dbbuf_cq_ei = &ctrl->dbbuf_eis[cq];
	*q->dbbuf_sq_db = 0;
	*q->dbbuf_cq_db = 0;
	*q->dbbuf_sq_ei = 0;
	*q->dbbuf_cq_ei = 0;
	/*
	 * A level-triggered INTx line stays asserted until the controller
	 * sees the CQ head catch up, and controllers (QEMU's among them)
	 * re-evaluate the line only on the MMIO head doorbell: a head written
	 * only to the shadow slot leaves it up and the interrupt storms. With
	 * INTx the CQ head therefore goes to both, the shadow slot (which the
	 * controller reads) and the MMIO doorbell (which lowers the line).
	 */
	q->cq_db_always = !ctrl->pdev->msix_enabled && !ctrl->pdev->msi_enabled;
}

/*
 * Publish @value in the shadow slot @db and say whether the MMIO doorbell
 * must be rung as well: yes when the controller's EventIdx lies in the
 * range of values this update skipped over (old, value], in u16 ring
 * arithmetic, like virtio's event index. Caller holds the queue's lock;
 * @db is NULL when the queue has no shadow slot.
 */
bool rnv_dbbuf_update(u16 value, __le32 *db, __le32 *ei)
{
	u16 old, event;

	if (!db)
		return true;
	/*
	 * DMA: the controller may read the shadow slot at any moment, with no
	 * MMIO write to order against. What @value hands over must be done
	 * first: the SQEs written (stores) or the CQEs read (loads), hence a
	 * full barrier and not just a write barrier.
	 */
	mb();
	old = le32_to_cpu(*db);
	WRITE_ONCE(*db, cpu_to_le32(value));
	/*
	 * DMA: full barrier. The shadow store must be visible to the
	 * controller before we read its EventIdx. The controller does the
	 * mirror image (update EventIdx, then read the shadow value), so at
	 * least one side sees the other's latest write and no doorbell is lost.
	 */
	mb();
	event = le32_to_cpu(READ_ONCE(*ei));
	return (u16)(value - event - 1) < (u16)(value - old);
}
