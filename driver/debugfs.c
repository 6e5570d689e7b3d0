// SPDX-License-Identifier: GPL-2.0
/*
 * debugfs, per controller under /sys/kernel/debug/rocknvme/rocknvme<N>/:
 * a register dump, per-queue counters, and fault injection for the tests,
 * since distribution kernels lack CONFIG_FAULT_INJECTION:
 *   drop_completions N   the next N I/O completions are ignored (timeouts)
 *   fail_commands N      the next N I/O completions get status fail_status
 *   fail_status S        NVMe status to inject (default 0x4281: DNR, read error)
 * The hooks themselves sit in queue.c's completion path.
 */
#include <linux/debugfs.h>
#include <linux/io-64-nonatomic-lo-hi.h>
#include "rocknvme.h"

static struct dentry *rnv_debugfs_root;

static int rnv_regs_show(struct seq_file *m, void *unused)
{
	struct rnv_ctrl *ctrl = m->private;

	seq_printf(m, "CAP   %016llx\n", lo_hi_readq(ctrl->bar + NVME_REG_CAP));
	seq_printf(m, "VS    %08x\n", readl(ctrl->bar + NVME_REG_VS));
	seq_printf(m, "CC    %08x\n", readl(ctrl->bar + NVME_REG_CC));
	seq_printf(m, "CSTS  %08x\n", readl(ctrl->bar + NVME_REG_CSTS));
	seq_printf(m, "AQA   %08x\n", readl(ctrl->bar + NVME_REG_AQA));
	seq_printf(m, "state %s, resets %u\n", rnv_state_name(ctrl), ctrl->resets);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(rnv_regs);

static int rnv_queues_show(struct seq_file *m, void *unused)
{
	struct rnv_ctrl *ctrl = m->private;
	unsigned int qid;

	seq_puts(m, "qid depth  sq_tail cq_head phase  submitted  completed interrupts\n");
	for (qid = 0; qid <= ctrl->nr_io_queues; qid++) {
		struct rnv_queue *q = &ctrl->queues[qid];

		if (!q->sqes)
			continue;
		seq_printf(m, "%3u %5u %8u %7u %5u %10llu %10llu %10llu\n", qid, q->depth,
			   q->sq_tail, q->cq_head, q->cq_phase, q->submitted, q->completed,
			   q->interrupts);
	}
	seq_printf(m, "injected: %u dropped, %u failed\n",
		   atomic_read(&ctrl->fault.dropped), atomic_read(&ctrl->fault.failed));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(rnv_queues);

/*
 * Called for each I/O completion. Returns true if the completion must be
 * dropped; may replace @status with the injected one.
 */
bool rnv_fault_inject(struct rnv_ctrl *ctrl, int *status)
{
	struct rnv_fault *f = &ctrl->fault;

	if (likely(!atomic_read(&f->drop) && !atomic_read(&f->fail)))
		return false;
	if (atomic_dec_if_positive(&f->drop) >= 0) {
		atomic_inc(&f->dropped);
		return true;
	}
	if (atomic_dec_if_positive(&f->fail) >= 0) {
		atomic_inc(&f->failed);
		*status = READ_ONCE(f->fail_status);
	}
	return false;
}

static int rnv_atomic_get(void *data, u64 *val)
{
	*val = atomic_read(data);
	return 0;
}

static int rnv_atomic_set(void *data, u64 val)
{
	if (val > INT_MAX)
		return -EINVAL;
	atomic_set(data, val);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(rnv_atomic_fops, rnv_atomic_get, rnv_atomic_set, "%llu\n");

static int rnv_status_get(void *data, u64 *val)
{
	*val = *(u32 *)data;
	return 0;
}

/* Only a real error may be injected: SCT/SC non-zero, within 15 bits. */
static int rnv_status_set(void *data, u64 val)
{
	if (!(val & 0x7ff) || val > 0x7fff)
		return -EINVAL;
	WRITE_ONCE(*(u32 *)data, val);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(rnv_status_fops, rnv_status_get, rnv_status_set, "0x%llx\n");

void rnv_debugfs_add(struct rnv_ctrl *ctrl)
{
	struct dentry *d;

	ctrl->fault.fail_status = NVME_STATUS_DNR | NVME_SC_READ_ERROR;
	d = debugfs_create_dir(dev_name(&ctrl->cdev_device), rnv_debugfs_root);
	ctrl->debugfs = d;
	debugfs_create_file("regs", 0400, d, ctrl, &rnv_regs_fops);
	debugfs_create_file("queues", 0400, d, ctrl, &rnv_queues_fops);
	debugfs_create_file_unsafe("drop_completions", 0600, d, &ctrl->fault.drop,
				   &rnv_atomic_fops);
	debugfs_create_file_unsafe("fail_commands", 0600, d, &ctrl->fault.fail,
				   &rnv_atomic_fops);
	debugfs_create_file_unsafe("fail_status", 0600, d, &ctrl->fault.fail_status,
				   &rnv_status_fops);
}

void rnv_debugfs_remove(struct rnv_ctrl *ctrl)
{
	debugfs_remove_recursive(ctrl->debugfs);
	ctrl->debugfs = NULL;
}

void rnv_debugfs_register(void)
{
	rnv_debugfs_root = debugfs_create_dir(RNV_NAME, NULL);
}

void rnv_debugfs_unregister(void)
{
	debugfs_remove_recursive(rnv_debugfs_root);
}
