// SPDX-License-Identifier: GPL-2.0
/*
 * debugfs, per controller under /sys/kernel/debug/rocknvme/rocknvme<N>/:
 * a register dump, per-queue counters, power state (power.c) and the fault
 * injection knobs (faults.c).
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
	seq_printf(m, "state %s, resets %u, suspends %u\n", rnv_state_name(ctrl),
		   ctrl->resets, ctrl->suspends);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(rnv_regs);

static u64 rnv_percpu_sum(u64 __percpu *counter)
{
	u64 sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += *per_cpu_ptr(counter, cpu);
	return sum;
}

static int rnv_queues_show(struct seq_file *m, void *unused)
{
	struct rnv_ctrl *ctrl = m->private;
	unsigned int qid;

	seq_puts(m, "qid depth  sq_tail cq_head phase  submitted  completed interrupts    sq_mmio    cq_mmio\n");
	for (qid = 0; qid <= ctrl->nr_io_queues; qid++) {
		struct rnv_queue *q = &ctrl->queues[qid];

		if (!q->sqes)
			continue;
		seq_printf(m, "%3u %5u %8u %7u %5u %10llu %10llu %10llu %10llu %10llu\n",
			   qid, q->depth, q->sq_tail, q->cq_head, q->cq_phase, q->submitted,
			   q->completed, q->interrupts, q->sq_mmio, q->cq_mmio);
	}
	seq_printf(m, "shadow doorbells: %s\n", ctrl->dbbuf_on ? "on" : "off");
	seq_printf(m, "events: %u received, %d requests outstanding\n", ctrl->events,
		   atomic_read(&ctrl->aer_outstanding));
	seq_printf(m, "requests: %llu started, %llu ended\n",
		   rnv_percpu_sum(ctrl->rq_started), rnv_percpu_sum(ctrl->rq_ended));
	seq_printf(m, "cancel: %u left in a poller's batch\n", READ_ONCE(ctrl->cancel_in_batch));
	seq_printf(m, "injected: %u dropped, %u failed, %u delayed\n",
		   atomic_read(&ctrl->fault.dropped), atomic_read(&ctrl->fault.failed),
		   atomic_read(&ctrl->fault.delayed));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(rnv_queues);

void rnv_debugfs_add(struct rnv_ctrl *ctrl)
{
	struct dentry *d;

	d = debugfs_create_dir(dev_name(&ctrl->cdev_device), rnv_debugfs_root);
	ctrl->debugfs = d;
	debugfs_create_file("regs", 0400, d, ctrl, &rnv_regs_fops);
	debugfs_create_file("queues", 0400, d, ctrl, &rnv_queues_fops);
	rnv_power_debugfs(ctrl, d);
	rnv_fault_debugfs(ctrl, d);
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
