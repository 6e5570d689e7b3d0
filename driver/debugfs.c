// SPDX-License-Identifier: GPL-2.0
/*
 * debugfs, per controller under /sys/kernel/debug/rocknvme/rocknvme<N>/:
 * a register dump, per-queue counters, and fault injection for the tests,
 * since distribution kernels lack CONFIG_FAULT_INJECTION:
 *   drop_completions N   the next N I/O completions are ignored (timeouts)
 *   fail_commands N      the next N I/O completions get status fail_status
 *   fail_status S        NVMe status to inject (default 0x4281: DNR, read error)
 *   delay_completions N  the next N I/O completions are held back delay_ms
 *   delay_ms T           milliseconds, 1..600000 (default 100)
 *   stuck_ready N        the next N waits for CSTS.RDY=0 fail: a controller
 *                        that does not stop when disabled
 *   fail_events N        the next N async event completions fail
 * The completion hooks sit in queue.c's completion path, the others where
 * the real event would be seen (ctrl.c's RDY wait, ns.c's event handler).
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
	seq_printf(m, "injected: %u dropped, %u failed, %u delayed\n",
		   atomic_read(&ctrl->fault.dropped), atomic_read(&ctrl->fault.failed),
		   atomic_read(&ctrl->fault.delayed));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(rnv_queues);

/*
 * Called for each I/O completion, with the request's status and result
 * already stored. Returns true if the completion was taken: dropped (the
 * request times out) or held (a release work completes it later). A failed
 * one just gets the injected status.
 */
bool rnv_fault_inject(struct rnv_ctrl *ctrl, struct request *req)
{
	struct rnv_fault *f = &ctrl->fault;
	struct rnv_cmd *cmd = rnv_cmd(req);
	unsigned long flags;

	if (likely(!atomic_read(&f->drop) && !atomic_read(&f->fail) &&
		   !atomic_read(&f->delay)))
		return false;
	if (atomic_dec_if_positive(&f->drop) >= 0) {
		atomic_inc(&f->dropped);
		return true;
	}
	if (atomic_dec_if_positive(&f->fail) >= 0) {
		atomic_inc(&f->failed);
		cmd->status = READ_ONCE(f->fail_status);
		return false;
	}
	if (atomic_dec_if_positive(&f->delay) < 0)
		return false;
	atomic_inc(&f->delayed);
	spin_lock_irqsave(&f->held_lock, flags);
	cmd->held = true;
	cmd->held_until = jiffies + msecs_to_jiffies(READ_ONCE(f->delay_ms));
	/* An in-flight request is on no block layer list: queuelist is ours. */
	list_add_tail(&req->queuelist, &f->held);
	if (list_is_singular(&f->held))
		mod_delayed_work(system_wq, &f->release_work, cmd->held_until - jiffies);
	spin_unlock_irqrestore(&f->held_lock, flags);
	return true;
}

/*
 * Complete held requests that are due (all of them if @all), with the
 * status the controller gave. A reset leaves held requests alone (see
 * rnv_cancel_rq): the controller did finish them, so they are not replayed.
 */
static void rnv_fault_release(struct rnv_ctrl *ctrl, bool all)
{
	struct rnv_fault *f = &ctrl->fault;
	struct request *req, *next;
	unsigned long flags;

	/*
	 * Clear held and complete under held_lock: rnv_cancel_rq, which skips
	 * held requests, must never see one in between.
	 */
	spin_lock_irqsave(&f->held_lock, flags);
	list_for_each_entry_safe(req, next, &f->held, queuelist) {
		if (!all && time_before(jiffies, rnv_cmd(req)->held_until)) {
			mod_delayed_work(system_wq, &f->release_work,
					 rnv_cmd(req)->held_until - jiffies);
			break;
		}
		list_del_init(&req->queuelist);
		rnv_cmd(req)->held = false;
		blk_mq_complete_request(req);
	}
	spin_unlock_irqrestore(&f->held_lock, flags);
}

static void rnv_fault_release_work(struct work_struct *work)
{
	struct rnv_fault *f = container_of(to_delayed_work(work), struct rnv_fault,
					   release_work);

	rnv_fault_release(container_of(f, struct rnv_ctrl, fault), false);
}

void rnv_fault_init(struct rnv_ctrl *ctrl)
{
	struct rnv_fault *f = &ctrl->fault;

	f->fail_status = NVME_STATUS_DNR | NVME_SC_READ_ERROR;
	f->delay_ms = 100;
	spin_lock_init(&f->held_lock);
	INIT_LIST_HEAD(&f->held);
	INIT_DELAYED_WORK(&f->release_work, rnv_fault_release_work);
}

/* Removal: no more injection; whatever is still held completes now. */
void rnv_fault_stop(struct rnv_ctrl *ctrl)
{
	struct rnv_fault *f = &ctrl->fault;

	atomic_set(&f->drop, 0);
	atomic_set(&f->fail, 0);
	atomic_set(&f->delay, 0);
	atomic_set(&f->stuck_ready, 0);
	atomic_set(&f->fail_event, 0);
	cancel_delayed_work_sync(&f->release_work);
	rnv_fault_release(ctrl, true);
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

/* Shared by the u32 knobs; each has its own setter with its own bounds. */
static int rnv_u32_get(void *data, u64 *val)
{
	*val = READ_ONCE(*(u32 *)data);
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
DEFINE_DEBUGFS_ATTRIBUTE(rnv_status_fops, rnv_u32_get, rnv_status_set, "0x%llx\n");

/* Up to 10 minutes: long enough to outlast any io_timeout (255 s). */
static int rnv_delay_ms_set(void *data, u64 val)
{
	if (!val || val > 600000)
		return -EINVAL;
	WRITE_ONCE(*(u32 *)data, val);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(rnv_delay_ms_fops, rnv_u32_get, rnv_delay_ms_set, "%llu\n");

void rnv_debugfs_add(struct rnv_ctrl *ctrl)
{
	struct dentry *d;

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
	debugfs_create_file_unsafe("delay_completions", 0600, d, &ctrl->fault.delay,
				   &rnv_atomic_fops);
	debugfs_create_file_unsafe("delay_ms", 0600, d, &ctrl->fault.delay_ms,
				   &rnv_delay_ms_fops);
	debugfs_create_file_unsafe("stuck_ready", 0600, d, &ctrl->fault.stuck_ready,
				   &rnv_atomic_fops);
	debugfs_create_file_unsafe("fail_events", 0600, d, &ctrl->fault.fail_event,
				   &rnv_atomic_fops);
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
