// SPDX-License-Identifier: GPL-2.0
/*
 * Fault injection for the tests, since distribution kernels lack
 * CONFIG_FAULT_INJECTION. Knobs in the controller's debugfs directory
 * (rnv_fault_debugfs):
 *   drop_completions N   the next N I/O completions are ignored (timeouts)
 *   fail_commands N      the next N I/O completions get status fail_status
 *   fail_status S        NVMe status to inject (default 0x4281: DNR, read error)
 *   delay_completions N  the next N I/O completions are held back delay_ms
 *   delay_ms T           milliseconds, 1..600000 (default 100)
 *   stuck_ready N        the next N waits for CSTS.RDY=0 fail: a controller
 *                        that does not stop when disabled
 *   fail_events N        the next N async event completions fail
 *   hmb_fake_kib K       pretend Identify asked for a K KiB Host Memory Buffer
 *   poll_gap_us U        a poller's batch of completions sleeps U us (0..200000)
 *                        before it is ended: the window, after the poller left
 *                        the CQ lock and its iopoll callback, in which a reset's
 *                        cancel must leave its requests alone; in QEMU it lasts
 *                        microseconds and no reset lands in it otherwise
 * Each hook is one call where the real event would be seen: rnv_fault_io (a
 * static-key test, then rnv_fault_inject) in queue.c's completion path and
 * rnv_fault_batch_gap (the same key) where a batch is ended,
 * rnv_fault_ready_stuck in ctrl.c's RDY wait, rnv_fault_event_fails in ns.c's
 * event completion, rnv_fault_hmb_kib in power.c. This file calls nothing of
 * the driver's: every layer may use it.
 */
#include <linux/debugfs.h>
#include <linux/delay.h>
#include "rocknvme.h"

/*
 * Off (a patched-out branch in the completion path, rnv_fault_io, and where
 * a batch ends, rnv_fault_batch_gap) until a test first arms
 * drop_completions, fail_commands, delay_completions or poll_gap_us; then on,
 * for every controller, until the module unloads. Ordinary use never pays
 * for the hooks.
 */
DEFINE_STATIC_KEY_FALSE(rnv_fault_io_armed);

/*
 * One completion held back. Allocated per hold (GFP_ATOMIC, in the
 * completion path) so that struct rnv_cmd carries nothing for the tests;
 * a hold that cannot be allocated just completes on time.
 */
struct rnv_held {
	struct list_head entry;		/* rnv_fault.held, oldest first */
	struct request *req;
	unsigned long until;		/* jiffies */
};

/*
 * Called for each I/O completion, with the request's status and result
 * already stored. Returns true if the completion was taken: dropped (the
 * request times out) or held (a release work completes it later). A failed
 * one just gets the injected status.
 */
bool rnv_fault_inject(struct rnv_ctrl *ctrl, struct request *req)
{
	struct rnv_fault *f = &ctrl->fault;
	struct rnv_held *h;
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
		rnv_cmd(req)->status = READ_ONCE(f->fail_status);
		return false;
	}
	/*
	 * Allocate before taking a count: giving one back after a failed
	 * allocation could re-arm a knob that was just cleared to 0.
	 */
	h = kmalloc(sizeof(*h), GFP_ATOMIC);
	if (!h)
		return false;
	if (atomic_dec_if_positive(&f->delay) < 0) {
		kfree(h);
		return false;
	}
	atomic_inc(&f->delayed);
	h->req = req;
	h->until = jiffies + msecs_to_jiffies(READ_ONCE(f->delay_ms));
	spin_lock_irqsave(&f->held_lock, flags);
	list_add_tail(&h->entry, &f->held);
	if (list_is_singular(&f->held))
		mod_delayed_work(system_wq, &f->release_work, h->until - jiffies);
	spin_unlock_irqrestore(&f->held_lock, flags);
	return true;
}

/*
 * Is @req's completion held back? The caller holds held_lock, and keeps it
 * while it completes @req: rnv_cancel_rq (reset.c) cancels only requests
 * that are not held, and the release below completes a held one under the
 * same lock, so between them a request completes exactly once.
 */
bool rnv_fault_held(struct rnv_ctrl *ctrl, struct request *req)
{
	struct rnv_held *h;

	lockdep_assert_held(&ctrl->fault.held_lock);
	list_for_each_entry(h, &ctrl->fault.held, entry)
		if (h->req == req)
			return true;
	return false;
}

/*
 * Complete held requests that are due (all of them if @all), with the
 * status the controller gave. A reset leaves held requests alone (see
 * rnv_cancel_rq): the controller did finish them, so they are not replayed.
 */
static void rnv_fault_release(struct rnv_ctrl *ctrl, bool all)
{
	struct rnv_fault *f = &ctrl->fault;
	struct rnv_held *h, *next;
	unsigned long flags;

	/* Unlist and complete in one step under held_lock: see rnv_fault_held. */
	spin_lock_irqsave(&f->held_lock, flags);
	list_for_each_entry_safe(h, next, &f->held, entry) {
		if (!all && time_before(jiffies, h->until)) {
			mod_delayed_work(system_wq, &f->release_work, h->until - jiffies);
			break;
		}
		list_del(&h->entry);
		blk_mq_complete_request(h->req);
		kfree(h);
	}
	spin_unlock_irqrestore(&f->held_lock, flags);
}

static void rnv_fault_release_work(struct work_struct *work)
{
	struct rnv_fault *f = container_of(to_delayed_work(work), struct rnv_fault,
					   release_work);

	rnv_fault_release(container_of(f, struct rnv_ctrl, fault), false);
}

/*
 * Test hook (poll_gap_us), called as a batch of successful completions is
 * about to be ended. Only a poll queue's batch waits, and it sleeps: it is
 * ended in the poller's own process context (io_uring's iopoll), after the
 * CQ lock and the iopoll callback (with iocb_bio_iopoll's RCU section) are
 * done with; callers that poll without a batch never get here. Sleeping
 * there is what a preempted poller does on a PREEMPT kernel, and what lets
 * a reset's quiesce finish its RCU grace period meanwhile: a busy wait
 * would hold the grace period up on a non-preemptible kernel (Debian's 6.1)
 * and the reset would never overlap the window. An interrupt's batch never
 * waits.
 */
void rnv_fault_batch_wait(struct io_comp_batch *iob)
{
	struct request *req;
	struct rnv_queue *q;
	u32 us;

	rq_list_for_each(&iob->req_list, req) {
		q = rnv_cmd(req)->q;
		us = READ_ONCE(q->ctrl->fault.poll_gap_us);
		if (us && rnv_q_polled(q))
			fsleep(us);
		break;		/* the first request names the queue */
	}
}

/* Test hook (stuck_ready): a controller whose RDY never drops. */
bool rnv_fault_ready_stuck(struct rnv_ctrl *ctrl)
{
	return atomic_dec_if_positive(&ctrl->fault.stuck_ready) >= 0;
}

/* Test hook (fail_events): this event completion fails instead. */
bool rnv_fault_event_fails(struct rnv_ctrl *ctrl)
{
	return unlikely(atomic_dec_if_positive(&ctrl->fault.fail_event) >= 0);
}

/* Test hook (hmb_fake_kib): the HMB size to ask for instead of HMPRE, 0 = none. */
u32 rnv_fault_hmb_kib(struct rnv_ctrl *ctrl)
{
	return READ_ONCE(ctrl->fault.hmb_fake_kib);
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
	WRITE_ONCE(f->poll_gap_us, 0);
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

/* The I/O completion knobs: the hook is switched on before the count is set. */
static int rnv_io_knob_set(void *data, u64 val)
{
	if (val && val <= INT_MAX)
		static_branch_enable(&rnv_fault_io_armed);
	return rnv_atomic_set(data, val);
}
DEFINE_DEBUGFS_ATTRIBUTE(rnv_io_knob_fops, rnv_atomic_get, rnv_io_knob_set, "%llu\n");

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

/* Up to 200 ms: longer than a whole reset of an emulated controller. */
static int rnv_poll_gap_set(void *data, u64 val)
{
	if (val > 200000)
		return -EINVAL;
	if (val)
		static_branch_enable(&rnv_fault_io_armed);
	WRITE_ONCE(*(u32 *)data, val);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(rnv_poll_gap_fops, rnv_u32_get, rnv_poll_gap_set, "%llu\n");

/* The knobs, in the controller's debugfs directory @dir (debugfs.c). */
void rnv_fault_debugfs(struct rnv_ctrl *ctrl, struct dentry *dir)
{
	struct rnv_fault *f = &ctrl->fault;

	debugfs_create_file_unsafe("drop_completions", 0600, dir, &f->drop, &rnv_io_knob_fops);
	debugfs_create_file_unsafe("fail_commands", 0600, dir, &f->fail, &rnv_io_knob_fops);
	debugfs_create_file_unsafe("fail_status", 0600, dir, &f->fail_status, &rnv_status_fops);
	debugfs_create_file_unsafe("delay_completions", 0600, dir, &f->delay, &rnv_io_knob_fops);
	debugfs_create_file_unsafe("delay_ms", 0600, dir, &f->delay_ms, &rnv_delay_ms_fops);
	debugfs_create_file_unsafe("stuck_ready", 0600, dir, &f->stuck_ready, &rnv_atomic_fops);
	debugfs_create_file_unsafe("fail_events", 0600, dir, &f->fail_event, &rnv_atomic_fops);
	debugfs_create_u32("hmb_fake_kib", 0600, dir, &f->hmb_fake_kib);
	debugfs_create_file_unsafe("poll_gap_us", 0600, dir, &f->poll_gap_us, &rnv_poll_gap_fops);
}
