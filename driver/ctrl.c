// SPDX-License-Identifier: GPL-2.0
/*
 * Controller lifecycle: the CC/CSTS handshakes (enable, disable, shutdown),
 * the admin queue registers, and creating and deleting I/O queue pairs with
 * their interrupts. The PCI side (BAR, vectors) is pci.c's; the rings
 * themselves are queue.c's.
 */
#include <linux/delay.h>
#include <linux/io-64-nonatomic-lo-hi.h>
#include "rocknvme.h"

/* All-ones reads mean the device is gone (surprise removal, link down). */
bool rnv_ctrl_alive(struct rnv_ctrl *ctrl)
{
	u32 csts = readl(ctrl->bar + NVME_REG_CSTS);

	if (csts == ~0u) {
		dev_err(ctrl->dev, "controller is gone: CSTS reads all ones\n");
		return false;
	}
	if (csts & NVME_CSTS_CFS) {
		dev_err(ctrl->dev, "controller fatal status (CSTS %#x)\n", csts);
		return false;
	}
	return true;
}

/*
 * Wait up to @ms for CSTS & @mask == @want. For RDY, CAP.TO is the worst
 * case in 500 ms units (NVMe 2.0 §3.1.3.1); a shutdown has RTD3E.
 */
static int rnv_ctrl_wait(struct rnv_ctrl *ctrl, u32 mask, u32 want, unsigned int ms,
			 const char *what)
{
	unsigned long timeout = jiffies + msecs_to_jiffies(ms);
	u32 csts;

	if (mask == NVME_CSTS_RDY && !want && rnv_fault_ready_stuck(ctrl)) {
		dev_err(ctrl->dev, "%s: RDY stays 1 (injected)\n", what);
		return -ETIMEDOUT;
	}
	for (;;) {
		csts = readl(ctrl->bar + NVME_REG_CSTS);
		if (csts == ~0u) {
			dev_err(ctrl->dev, "%s: device gone (CSTS all ones)\n", what);
			return -ENODEV;
		}
		if ((csts & mask) == want)
			return 0;
		if (csts & NVME_CSTS_CFS && want & NVME_CSTS_RDY) {
			dev_err(ctrl->dev, "%s: controller fatal status (CSTS %#x)\n",
				what, csts);
			return -EIO;
		}
		if (time_after(jiffies, timeout)) {
			dev_err(ctrl->dev, "%s: timed out after %u ms (CSTS %#x)\n",
				what, ms, csts);
			return -ETIMEDOUT;
		}
		usleep_range(1000, 2000);
	}
}

static unsigned int rnv_ready_ms(struct rnv_ctrl *ctrl)
{
	return (NVME_CAP_TIMEOUT(ctrl->cap) + 1) * 500;
}

/*
 * Disable, and wait for RDY to clear. Also used at probe: a warm reboot can
 * leave the controller enabled, or with EN clear but RDY still set, and EN
 * must not be set again until RDY reads 0 (NVMe 2.0 §3.5.1).
 */
int rnv_ctrl_disable(struct rnv_ctrl *ctrl)
{
	u32 cc = readl(ctrl->bar + NVME_REG_CC);

	if (cc == ~0u) {
		dev_err(ctrl->dev, "disable: device gone (CC reads all ones)\n");
		return -ENODEV;
	}
	if (cc & NVME_CC_ENABLE)
		writel(cc & ~NVME_CC_ENABLE, ctrl->bar + NVME_REG_CC);
	rnv_quirk_delay_rdy(ctrl);
	return rnv_ctrl_wait(ctrl, NVME_CSTS_RDY, 0, rnv_ready_ms(ctrl), "disable");
}

/* Point the controller at the admin rings (AQA, ASQ, ACQ); EN must be 0. */
void rnv_ctrl_setup_admin(struct rnv_ctrl *ctrl)
{
	struct rnv_queue *aq = &ctrl->queues[0];
	u32 aqa = (aq->depth - 1) | (aq->depth - 1) << 16;

	writel(aqa, ctrl->bar + NVME_REG_AQA);
	lo_hi_writeq(aq->sq_dma, ctrl->bar + NVME_REG_ASQ);
	lo_hi_writeq(aq->cq_dma, ctrl->bar + NVME_REG_ACQ);
}

/* Callers disabled the controller; one whose RDY never dropped is not enabled. */
int rnv_ctrl_enable(struct rnv_ctrl *ctrl)
{
	u32 cc = NVME_CC_CSS_NVM | NVME_CC_AMS_RR | NVME_CC_SHN_NONE |
		 NVME_CC_IOSQES | NVME_CC_IOCQES;
	u32 csts = readl(ctrl->bar + NVME_REG_CSTS);

	if (csts & NVME_CSTS_RDY) {
		dev_err(ctrl->dev, "enable: RDY still set (CSTS %#x)\n", csts);
		return csts == ~0u ? -ENODEV : -EBUSY;
	}
	cc |= (ilog2(ctrl->page_size) - 12) << NVME_CC_MPS_SHIFT;
	writel(cc, ctrl->bar + NVME_REG_CC);
	writel(cc | NVME_CC_ENABLE, ctrl->bar + NVME_REG_CC);
	return rnv_ctrl_wait(ctrl, NVME_CSTS_RDY, NVME_CSTS_RDY, rnv_ready_ms(ctrl), "enable");
}

/*
 * Normal shutdown notification (NVMe 2.0 §3.6.2): lets the drive flush its
 * caches and metadata; skipping it is what makes some drives come back
 * without namespaces after a warm reboot. The wait is RTD3E's, bounded.
 */
int rnv_ctrl_shutdown(struct rnv_ctrl *ctrl)
{
	u32 cc = readl(ctrl->bar + NVME_REG_CC);

	if (cc == ~0u)
		return -ENODEV;
	if (!(cc & NVME_CC_ENABLE))
		return 0;
	cc = (cc & ~NVME_CC_SHN_MASK) | NVME_CC_SHN_NORMAL;
	writel(cc, ctrl->bar + NVME_REG_CC);
	return rnv_ctrl_wait(ctrl, NVME_CSTS_SHST_MASK, NVME_CSTS_SHST_CMPLT,
			     ctrl->shutdown_ms, "shutdown");
}

/* Set Features Number of Queues (NVMe 2.0 §5.27.1.5): ask, get the grant. */
int rnv_negotiate_queues(struct rnv_ctrl *ctrl)
{
	unsigned int want = min(ctrl->max_io_queues, 65535u);
	u32 q = want - 1, result;
	int ret;

	ret = rnv_set_features(ctrl, NVME_FEAT_NUM_QUEUES, q | q << 16, &result);
	if (ret) {
		dev_err(ctrl->dev, "set number of queues failed: %s (%d)\n",
			rnv_status_str(ret), ret);
		return ret > 0 ? -EIO : ret;
	}
	/* The grant is zero-based, separately for SQs and CQs. */
	return min3(want, (result & 0xffff) + 1, (result >> 16) + 1);
}

/*
 * Optional features, set after every enable (probe and reset), before the
 * I/O queues exist: shadow doorbells, APST and the Host Memory Buffer
 * (power.c), interrupt coalescing. None is needed for correct I/O, so a controller that
 * refuses one is logged and used without it.
 */
void rnv_ctrl_set_optional_features(struct rnv_ctrl *ctrl)
{
	u32 coalesce = ctrl->params.irq_coalesce_thr |
		       ctrl->params.irq_coalesce_time << 8;
	int ret;

	rnv_dbbuf_config(ctrl);
	rnv_power_config(ctrl);
	/*
	 * Interrupt Coalescing (NVMe 2.0 §5.27.1.9): one interrupt per
	 * THR + 1 completions or per TIME * 100 us, whichever comes first.
	 * It trades latency for CPU time, so it is off unless asked for.
	 */
	if (!coalesce)
		return;
	ret = rnv_set_features(ctrl, NVME_FEAT_IRQ_COALESCE, coalesce, NULL);
	if (ret)
		dev_warn(ctrl->dev, "interrupt coalescing %#x refused: %s (%d)\n", coalesce,
			 ret > 0 ? rnv_status_str(ret) : "host error", ret);
}

static int rnv_delete_queue(struct rnv_ctrl *ctrl, u8 opcode, u16 qid)
{
	struct nvme_command c = { };

	c.delete_queue.opcode = opcode;
	c.delete_queue.qid = cpu_to_le16(qid);
	return rnv_submit_sync(ctrl, ctrl->admin_q, &c, NULL, 0, NULL);
}

/* Vector for an I/O queue: its own when MSI-X gave one per queue. */
static u16 rnv_queue_vector(struct rnv_ctrl *ctrl, u16 qid)
{
	return ctrl->nr_vectors > 1 ? qid : 0;
}

/* Create the CQ then the SQ (an SQ names its CQ), NVMe 2.0 §5.4 and §5.5. */
static int rnv_create_queue(struct rnv_ctrl *ctrl, u16 qid)
{
	struct rnv_queue *q = &ctrl->queues[qid];
	bool polled = rnv_q_polled(q);
	u16 vector = polled ? 0 : rnv_queue_vector(ctrl, qid);
	struct nvme_command c = { };
	u16 cq_flags = NVME_QUEUE_PHYS_CONTIG;
	int ret;

	rnv_q_init(q);
	c.create_cq.opcode = nvme_admin_create_cq;
	c.create_cq.prp1 = cpu_to_le64(q->cq_dma);
	c.create_cq.cqid = cpu_to_le16(qid);
	c.create_cq.qsize = cpu_to_le16(q->depth - 1);
	if (!polled)
		cq_flags |= NVME_CQ_IRQ_ENABLED;
	c.create_cq.cq_flags = cpu_to_le16(cq_flags);
	c.create_cq.irq_vector = cpu_to_le16(vector);
	ret = rnv_submit_sync(ctrl, ctrl->admin_q, &c, NULL, 0, NULL);
	if (ret)
		goto err;

	memset(&c, 0, sizeof(c));
	c.create_sq.opcode = nvme_admin_create_sq;
	c.create_sq.prp1 = cpu_to_le64(q->sq_dma);
	c.create_sq.sqid = cpu_to_le16(qid);
	c.create_sq.qsize = cpu_to_le16(q->depth - 1);
	c.create_sq.sq_flags = cpu_to_le16(NVME_QUEUE_PHYS_CONTIG);
	c.create_sq.cqid = cpu_to_le16(qid);
	ret = rnv_submit_sync(ctrl, ctrl->admin_q, &c, NULL, 0, NULL);
	if (ret)
		goto delete_cq;

	if (!polled) {
		snprintf(q->irq_name, sizeof(q->irq_name), RNV_NAME "%dq%u",
			 ctrl->instance, qid);
		q->irq = pci_irq_vector(ctrl->pdev, vector);
		ret = request_irq(q->irq, rnv_irq, IRQF_SHARED, q->irq_name, q);
		if (ret)
			goto delete_sq;
	}
	WRITE_ONCE(q->live, true);
	return 0;

delete_sq:
	q->irq = -1;
	rnv_delete_queue(ctrl, nvme_admin_delete_sq, qid);
delete_cq:
	rnv_delete_queue(ctrl, nvme_admin_delete_cq, qid);
err:
	dev_err(ctrl->dev, "creating I/O queue %u failed: %s (%d)\n", qid,
		ret > 0 ? rnv_status_str(ret) : "host error", ret);
	return ret > 0 ? -EIO : ret;
}

/* Stop using a queue; tell the controller only if it is there to listen. */
static void rnv_destroy_queue(struct rnv_ctrl *ctrl, u16 qid, bool tell)
{
	struct rnv_queue *q = &ctrl->queues[qid];

	if (!q->live)
		return;
	WRITE_ONCE(q->live, false);
	if (tell) {
		rnv_delete_queue(ctrl, nvme_admin_delete_sq, qid);
		rnv_delete_queue(ctrl, nvme_admin_delete_cq, qid);
	}
	if (q->irq >= 0)
		free_irq(q->irq, q);
	q->irq = -1;
}

/* Create queues 1..nr_io_queues; on failure, unwind those already made. */
int rnv_ctrl_create_io_queues(struct rnv_ctrl *ctrl)
{
	unsigned int qid;
	int ret;

	for (qid = 1; qid <= ctrl->nr_io_queues; qid++) {
		ret = rnv_create_queue(ctrl, qid);
		if (ret)
			goto destroy;
	}
	return 0;

destroy:
	while (--qid >= 1)
		rnv_destroy_queue(ctrl, qid, true);
	return ret;
}

/*
 * Delete in reverse; NVMe requires an SQ gone before its CQ. A dead
 * controller answers nothing, so then only the interrupts are let go.
 */
void rnv_ctrl_delete_io_queues(struct rnv_ctrl *ctrl)
{
	bool tell = READ_ONCE(ctrl->state) != RNV_DEAD;
	unsigned int qid;

	for (qid = ctrl->nr_io_queues; qid >= 1; qid--)
		rnv_destroy_queue(ctrl, qid, tell);
}

/* After CC.EN=0 the controller has forgotten its queues: just let go. */
void rnv_ctrl_release_io_queues(struct rnv_ctrl *ctrl)
{
	unsigned int qid;

	for (qid = ctrl->nr_io_queues; qid >= 1; qid--)
		rnv_destroy_queue(ctrl, qid, false);
}
