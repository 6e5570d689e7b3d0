// SPDX-License-Identifier: GPL-2.0
/*
 * Recovery: the controller state machine; rnv_ctrl_stop, the one owner of
 * "stop the controller", which reset, kill, FLR, PCI error recovery,
 * suspend, power off and remove all use; the timeout policy (look for a
 * lost interrupt, then Abort, then reset); the reset work that brings a
 * stopped controller back with outstanding I/O replayed; and killing a
 * controller that cannot come back, so that nothing waits for it.
 *
 *   NEW --probe ok--> LIVE --reset, FLR, suspend--> RESETTING --restart ok--> LIVE
 *   NEW, LIVE --remove--> DELETING
 *   any but DEAD --fatal error, failed restart--> DEAD (terminal)
 */
#include "rocknvme.h"

static const char * const rnv_state_names[] = {
	[RNV_NEW]	= "new",
	[RNV_LIVE]	= "live",
	[RNV_RESETTING]	= "resetting",
	[RNV_DEAD]	= "dead",
	[RNV_DELETING]	= "deleting",
};

const char *rnv_state_name(struct rnv_ctrl *ctrl)
{
	return rnv_state_names[READ_ONCE(ctrl->state)];
}

/* Move to @new if the transition is allowed; returns whether it happened. */
bool rnv_change_state(struct rnv_ctrl *ctrl, enum rnv_state new)
{
	enum rnv_state old;
	bool ok = false;

	spin_lock_irq(&ctrl->state_lock);
	old = ctrl->state;
	switch (new) {
	case RNV_LIVE:
		ok = old == RNV_NEW || old == RNV_RESETTING;
		break;
	case RNV_RESETTING:
		ok = old == RNV_LIVE;
		break;
	case RNV_DEAD:
		ok = old != RNV_DEAD;
		break;
	case RNV_DELETING:
		ok = old == RNV_NEW || old == RNV_LIVE;
		break;
	default:
		break;
	}
	if (ok)
		WRITE_ONCE(ctrl->state, new);
	spin_unlock_irq(&ctrl->state_lock);
	return ok;
}

/*
 * Quiesce the admin queue and every disk's queue. The namespace list holds
 * a disk from allocation until after del_gendisk (rnv_ns_add,
 * rnv_ns_delete_list), so a disk being added or deleted is covered too.
 * Not blk_mq_quiesce_tagset: it takes the tag set's tag_list_lock, which
 * blk-mq holds while a new disk joining the set freezes the others; that
 * freeze can be waiting for I/O that only this reset will let finish.
 * blk-mq counts quiesces, so the flags (under ns_lock) pair each quiesce
 * with exactly one unquiesce.
 */
static void rnv_quiesce(struct rnv_ctrl *ctrl)
{
	struct rnv_ns *ns;

	mutex_lock(&ctrl->ns_lock);
	if (!ctrl->io_quiesced) {
		list_for_each_entry(ns, &ctrl->namespaces, entry)
			blk_mq_quiesce_queue(ns->disk->queue);
		ctrl->io_quiesced = true;
	}
	if (!ctrl->admin_quiesced) {
		blk_mq_quiesce_queue(ctrl->admin_q);
		ctrl->admin_quiesced = true;
	}
	mutex_unlock(&ctrl->ns_lock);
}

static void rnv_unquiesce_admin(struct rnv_ctrl *ctrl)
{
	mutex_lock(&ctrl->ns_lock);
	if (ctrl->admin_quiesced) {
		blk_mq_unquiesce_queue(ctrl->admin_q);
		ctrl->admin_quiesced = false;
	}
	mutex_unlock(&ctrl->ns_lock);
}

/* Let I/O flow again; requests handed back for replay were kicked already. */
static void rnv_unquiesce_io(struct rnv_ctrl *ctrl)
{
	struct rnv_ns *ns;

	mutex_lock(&ctrl->ns_lock);
	if (ctrl->io_quiesced) {
		list_for_each_entry(ns, &ctrl->namespaces, entry)
			blk_mq_unquiesce_queue(ns->disk->queue);
		ctrl->io_quiesced = false;
	}
	mutex_unlock(&ctrl->ns_lock);
}

static bool rnv_cancel_rq(struct request *req, void *data)
{
	struct rnv_ctrl *ctrl = rnv_rq_ctrl(req);
	struct rnv_cmd *cmd = rnv_cmd(req);
	unsigned long flags;

	/*
	 * Cancel only what no one else will complete. Skipped: finished;
	 * finished by the controller and waiting in a poller's or interrupt's
	 * batch (in_batch, seen since rnv_reap_all took every cq_lock); or
	 * finished and held back by a test (faults.c). held_lock makes "not
	 * held" and this completion one step against the release's, which
	 * unlists and completes under it: exactly one of them completes.
	 */
	spin_lock_irqsave(&ctrl->fault.held_lock, flags);
	if (!blk_mq_request_completed(req)) {
		if (READ_ONCE(cmd->in_batch)) {
			/* Counted for debugfs: the tests show they reach this case. */
			ctrl->cancel_in_batch++;
		} else if (!rnv_fault_held(ctrl, req)) {
			cmd->status = *(int *)data;
			blk_mq_complete_request(req);
		}
	}
	spin_unlock_irqrestore(&ctrl->fault.held_lock, flags);
	return true;
}

/*
 * Complete every outstanding request with @status: -EAGAIN asks
 * rnv_complete_rq to replay file system I/O, -ENODEV fails it. Only
 * rnv_ctrl_stop calls this, after fencing every other completer.
 */
static void rnv_cancel_all(struct rnv_ctrl *ctrl, int status)
{
	if (ctrl->io_set_ready) {
		blk_mq_tagset_busy_iter(&ctrl->io_set, rnv_cancel_rq, &status);
		blk_mq_tagset_wait_completed_request(&ctrl->io_set);
	}
	blk_mq_tagset_busy_iter(&ctrl->admin_set, rnv_cancel_rq, &status);
	blk_mq_tagset_wait_completed_request(&ctrl->admin_set);
}

/* Take completions the controller posted before it stopped. */
static void rnv_reap_all(struct rnv_ctrl *ctrl)
{
	unsigned long flags;
	unsigned int qid;

	for (qid = 0; qid <= ctrl->nr_io_queues; qid++) {
		struct rnv_queue *q = &ctrl->queues[qid];

		if (!q->cqes)
			continue;
		spin_lock_irqsave(&q->cq_lock, flags);
		rnv_q_reap(q);
		spin_unlock_irqrestore(&q->cq_lock, flags);
	}
}

/*
 * Stop the controller, the same way for every caller, under shutdown_lock:
 *  1. quiesce: nothing new reaches the rings;
 *  2. CC.EN=0, or CC.SHN for a shutdown; skipped when it is gone;
 *  3. bus mastering off, so that even a controller that ignored step 2
 *     cannot write to memory that is unmapped below;
 *  4. fence the interrupts: free the I/O vectors and wait out the admin
 *     handler, so no handler is between reaping a completion and ending
 *     its request;
 *  5. reap what was posted, then cancel the rest exactly once.
 * A second stop finds nothing enabled and nothing outstanding.
 */
void rnv_ctrl_stop(struct rnv_ctrl *ctrl, enum rnv_stop how)
{
	struct rnv_queue *aq = &ctrl->queues[0];
	int ret;

	mutex_lock(&ctrl->shutdown_lock);
	rnv_quiesce(ctrl);
	if (ctrl->enabled) {
		if (how == RNV_STOP_KILL && readl(ctrl->bar + NVME_REG_CSTS) == ~0u)
			ret = -ENODEV;
		else if (how == RNV_STOP_SHUTDOWN)
			ret = rnv_ctrl_shutdown(ctrl);
		else
			ret = rnv_ctrl_disable(ctrl);
		if (ret)
			dev_warn(ctrl->dev, "controller did not stop (%d): bus mastering off\n",
				 ret);
		ctrl->enabled = false;
	}
	pci_clear_master(ctrl->pdev);
	rnv_ctrl_release_io_queues(ctrl);
	WRITE_ONCE(aq->live, false);
	if (aq->irq >= 0)
		synchronize_irq(aq->irq);
	rnv_reap_all(ctrl);
	rnv_cancel_all(ctrl, how == RNV_STOP_KILL ? -ENODEV : -EAGAIN);
	/* The controller dropped its event request with the rest. */
	rnv_events_stopped(ctrl);
	mutex_unlock(&ctrl->shutdown_lock);
}

/*
 * Bring a stopped controller back with the same queues and vectors. The
 * register steps run under shutdown_lock; the admin commands after them
 * do not, since their timeout may have to kill the controller.
 */
static int rnv_ctrl_restart(struct rnv_ctrl *ctrl)
{
	int n, ret;

	mutex_lock(&ctrl->shutdown_lock);
	/* Killed since the stop (a permanent PCI error, a removal): stay down. */
	ret = READ_ONCE(ctrl->state) == RNV_RESETTING ? 0 : -ENODEV;
	/* EN may be set only once RDY reads 0: a controller that never stopped is not reused. */
	if (!ret)
		ret = rnv_ctrl_disable(ctrl);
	if (!ret) {
		pci_set_master(ctrl->pdev);
		/* Config space as it works now, for PCI error recovery to restore. */
		pci_save_state(ctrl->pdev);
		rnv_q_init(&ctrl->queues[0]);
		rnv_ctrl_setup_admin(ctrl);
		ctrl->enabled = true;
		ret = rnv_ctrl_enable(ctrl);
	}
	if (!ret)
		WRITE_ONCE(ctrl->queues[0].live, true);
	mutex_unlock(&ctrl->shutdown_lock);
	if (ret)
		return ret;
	rnv_unquiesce_admin(ctrl);
	n = rnv_negotiate_queues(ctrl);
	if (n < 0)
		return n;
	if (n < ctrl->nr_io_queues) {
		dev_err(ctrl->dev, "after reset only %d of %u I/O queues granted\n",
			n, ctrl->nr_io_queues);
		return -EIO;
	}
	rnv_ctrl_set_optional_features(ctrl);
	rnv_events_config(ctrl);
	return rnv_ctrl_create_io_queues(ctrl);
}

/*
 * Give up on the controller for good: DEAD is terminal. Its DMA is stopped
 * before any buffer is unmapped, everything outstanding fails, and the
 * queues run again so that everything later fails at once in queue_rq.
 */
void rnv_ctrl_kill(struct rnv_ctrl *ctrl)
{
	if (rnv_change_state(ctrl, RNV_DEAD))
		dev_err(ctrl->dev, "controller is dead: all I/O fails from now on\n");
	rnv_ctrl_stop(ctrl, RNV_STOP_KILL);
	rnv_unquiesce_admin(ctrl);
	rnv_unquiesce_io(ctrl);
}

/*
 * The second half of a reset, FLR or resume: the controller is stopped
 * and RESETTING. Bring it back and let I/O flow, or kill it.
 */
static int rnv_ctrl_bring_back(struct rnv_ctrl *ctrl, const char *what)
{
	int ret;

	/* From here a timeout of our own command means the restart failed. */
	WRITE_ONCE(ctrl->restarting, true);
	ret = rnv_ctrl_restart(ctrl);
	WRITE_ONCE(ctrl->restarting, false);
	if (!ret && !rnv_change_state(ctrl, RNV_LIVE))
		ret = -ENODEV;
	if (ret) {
		dev_err(ctrl->dev, "%s failed (%d)\n", what, ret);
		rnv_ctrl_kill(ctrl);
		return ret;
	}
	/* Nothing after LIVE waits for the device: a timeout now means a new reset. */
	rnv_events_arm(ctrl);
	rnv_unquiesce_io(ctrl);
	return 0;
}

static void rnv_reset_work(struct work_struct *work)
{
	struct rnv_ctrl *ctrl = container_of(work, struct rnv_ctrl, reset_work);

	/* Killed since the reset was asked for: nothing to bring back. */
	if (READ_ONCE(ctrl->state) != RNV_RESETTING)
		return;
	dev_warn(ctrl->dev, "resetting controller\n");
	rnv_ctrl_stop(ctrl, RNV_STOP_RESET);
	if (rnv_ctrl_bring_back(ctrl, "reset"))
		return;
	ctrl->resets++;
	dev_info(ctrl->dev, "reset done, I/O resumed\n");
}

/*
 * Take the controller over for @new (RESETTING for an FLR or suspend,
 * DELETING for remove), waiting for a running reset to finish first.
 * False when it is dead, or RESETTING with no reset work to wait for (a
 * PCI error recovery that never ended).
 */
static bool rnv_ctrl_claim(struct rnv_ctrl *ctrl, enum rnv_state new)
{
	bool waited;

	do {
		waited = flush_work(&ctrl->reset_work);
		/* The controller gives the host memory back while it still can. */
		rnv_hmb_disable(ctrl);
		if (rnv_change_state(ctrl, new))
			return true;
	} while (waited && READ_ONCE(ctrl->state) == RNV_RESETTING);
	return false;
}

/*
 * A function reset is coming (sysfs reset, AER or DPC recovery): stop the
 * controller now, as a reset would, so nothing is in flight across it.
 * rnv_ctrl_reset_done restarts it. False if there was nothing to stop.
 */
bool rnv_ctrl_reset_prepare(struct rnv_ctrl *ctrl)
{
	if (!rnv_ctrl_claim(ctrl, RNV_RESETTING))
		return false;
	dev_info(ctrl->dev, "function reset: controller stopped\n");
	rnv_ctrl_stop(ctrl, RNV_STOP_RESET);
	return true;
}

void rnv_ctrl_reset_done(struct rnv_ctrl *ctrl)
{
	if (READ_ONCE(ctrl->state) != RNV_RESETTING)
		return;
	queue_work(rnv_wq, &ctrl->reset_work);
	flush_work(&ctrl->reset_work);
}

/*
 * Remove: move to DELETING, or kill when the controller is dead already
 * or stuck in a recovery that never ended. Either way nothing waits for a
 * reset any more.
 */
void rnv_ctrl_begin_delete(struct rnv_ctrl *ctrl)
{
	if (!rnv_ctrl_claim(ctrl, RNV_DELETING))
		rnv_ctrl_kill(ctrl);
	/* DELETING and DEAD refuse resets; one asked for before finishes now. */
	cancel_work_sync(&ctrl->reset_work);
}

/*
 * The end of remove: shut the controller down (every command on it is done
 * or cancelled), then let the queues run so that a late command fails in
 * queue_rq (no queue is live) instead of waiting on a quiesced queue.
 */
void rnv_ctrl_retire(struct rnv_ctrl *ctrl)
{
	rnv_ctrl_stop(ctrl, RNV_STOP_SHUTDOWN);
	rnv_unquiesce_admin(ctrl);
	rnv_unquiesce_io(ctrl);
}

/*
 * System suspend (s2idle, S3, hibernation image): drain I/O, then a normal
 * shutdown (CC.SHN) so the drive flushes its cache and may lose power. What
 * did not drain in time is handed back for replay after resume. The state
 * is RESETTING meanwhile, so timeouts wait and ioctls see a busy controller.
 */
int rnv_ctrl_suspend(struct rnv_ctrl *ctrl)
{
	if (!rnv_ctrl_claim(ctrl, RNV_RESETTING)) {
		dev_info(ctrl->dev, "suspend: controller is %s, nothing to save\n",
			 rnv_state_name(ctrl));
		return 0;
	}
	rnv_ns_freeze(ctrl, ctrl->params.io_timeout * HZ);
	rnv_ctrl_stop(ctrl, RNV_STOP_SHUTDOWN);
	ctrl->suspends++;
	dev_info(ctrl->dev, "suspended\n");
	return 0;
}

/* Resume: the controller may have lost power or still be shut down with EN set. */
int rnv_ctrl_resume(struct rnv_ctrl *ctrl)
{
	if (READ_ONCE(ctrl->state) != RNV_RESETTING)
		return 0;
	if (!rnv_ctrl_bring_back(ctrl, "resume"))
		dev_info(ctrl->dev, "resumed, I/O flows\n");
	rnv_ns_unfreeze(ctrl);
	return 0;
}

/*
 * Power off, reboot or kexec: drain what is in flight, shut down (CC.SHN)
 * so the drive flushes and comes back clean, and leave it with bus
 * mastering off and its vectors quiet for whatever runs next.
 */
void rnv_ctrl_power_off(struct rnv_ctrl *ctrl)
{
	if (rnv_ctrl_claim(ctrl, RNV_RESETTING))
		rnv_ns_freeze(ctrl, ctrl->params.io_timeout * HZ);
	rnv_ctrl_stop(ctrl, RNV_STOP_SHUTDOWN);
}

/*
 * Ask for a reset; false if one is already running or the controller is
 * not live. The work is queued under state_lock, so whoever sees RESETTING
 * from a reset also finds the work to wait for (rnv_ctrl_claim).
 */
bool rnv_ctrl_schedule_reset(struct rnv_ctrl *ctrl)
{
	bool ok;

	spin_lock_irq(&ctrl->state_lock);
	ok = ctrl->state == RNV_LIVE;
	if (ok) {
		WRITE_ONCE(ctrl->state, RNV_RESETTING);
		queue_work(rnv_wq, &ctrl->reset_work);
	}
	spin_unlock_irq(&ctrl->state_lock);
	return ok;
}

/* NVME_IOCTL_RESET and sysfs reset_controller: reset and wait for the outcome. */
int rnv_ctrl_reset_sync(struct rnv_ctrl *ctrl)
{
	rnv_hmb_disable(ctrl);
	if (!rnv_ctrl_schedule_reset(ctrl) && READ_ONCE(ctrl->state) != RNV_RESETTING)
		return -EBUSY;
	flush_work(&ctrl->reset_work);
	return READ_ONCE(ctrl->state) == RNV_LIVE ? 0 : -EIO;
}

void rnv_ctrl_init_recovery(struct rnv_ctrl *ctrl)
{
	spin_lock_init(&ctrl->state_lock);
	mutex_init(&ctrl->shutdown_lock);
	INIT_WORK(&ctrl->reset_work, rnv_reset_work);
	ctrl->state = RNV_NEW;
}

static enum rq_end_io_ret rnv_abort_done(RNV_END_IO_ARGS(req, error))
{
	struct rnv_cmd *cmd = rnv_cmd(req);

	/* Dword 0 bit 0 set: the command was not aborted (NVMe 2.0 §5.1). */
	dev_warn(rnv_rq_ctrl(req)->dev, "abort: %s, command %saborted\n",
		 rnv_status_str(cmd->status),
		 !cmd->status && !(le32_to_cpu(cmd->result.u32) & 1) ? "" : "not ");
	return RQ_END_IO_FREE;
}

/* Send Abort for @req without waiting; its answer only goes to the log. */
static int rnv_send_abort(struct rnv_ctrl *ctrl, struct request *req)
{
	struct rnv_cmd *io = rnv_cmd(req);
	struct request *abort_req;
	struct rnv_cmd *cmd;

	abort_req = blk_mq_alloc_request(ctrl->admin_q, REQ_OP_DRV_OUT, BLK_MQ_REQ_NOWAIT);
	if (IS_ERR(abort_req))
		return PTR_ERR(abort_req);
	cmd = rnv_cmd(abort_req);
	cmd->from_user = false;
	memset(&cmd->sqe, 0, sizeof(cmd->sqe));
	cmd->sqe.abort.opcode = nvme_admin_abort_cmd;
	cmd->sqe.abort.sqid = cpu_to_le16(io->q->qid);
	cmd->sqe.abort.cid = io->sqe.common.command_id;
	abort_req->timeout = RNV_ADMIN_TIMEOUT;
	abort_req->end_io = rnv_abort_done;
	blk_execute_rq_nowait(abort_req, false);
	return 0;
}

/*
 * blk-mq timeout. A lost interrupt is fixed by reaping. An I/O command gets
 * an Abort and one more timeout period; after that (or at once for an admin
 * command) the controller is reset, and the reset replays file system I/O.
 * While a reset, FLR or suspend owns the controller every request waits for
 * it, except the restart's own commands: their timeout means the restart
 * failed. Anywhere else (probe, remove, dead) the controller is killed so
 * that nobody waits for it forever.
 */
enum blk_eh_timer_return rnv_timeout(struct request *req)
{
	struct rnv_cmd *cmd = rnv_cmd(req);
	struct rnv_queue *q = cmd->q;
	struct rnv_ctrl *ctrl = q->ctrl;
	enum rnv_state state = READ_ONCE(ctrl->state);
	unsigned long flags;

	/* PCI error recovery owns the device: MMIO reads all ones meanwhile. */
	if (pci_channel_offline(ctrl->pdev))
		return BLK_EH_RESET_TIMER;
	spin_lock_irqsave(&q->cq_lock, flags);
	rnv_q_reap(q);
	spin_unlock_irqrestore(&q->cq_lock, flags);
	if (blk_mq_request_completed(req)) {
		dev_warn(ctrl->dev, "queue %u: command %u completed without an interrupt\n",
			 q->qid, req->tag);
		return BLK_EH_DONE;
	}
	if (state == RNV_RESETTING && (!READ_ONCE(ctrl->restarting) || cmd->from_user))
		return BLK_EH_RESET_TIMER;
	if (state != RNV_LIVE || !rnv_ctrl_alive(ctrl)) {
		dev_err(ctrl->dev, "queue %u: command %u (opcode %#x) timed out in state %s; disabling controller\n",
			q->qid, req->tag, cmd->sqe.common.opcode, rnv_state_names[state]);
		rnv_ctrl_kill(ctrl);
		return BLK_EH_DONE;
	}
	/* Admin commands are not aborted (NVMe 2.0 §5.1): reset straight away. */
	if (q->qid && !cmd->aborted) {
		cmd->aborted = true;
		dev_warn(ctrl->dev, "queue %u: command %u (opcode %#x) timed out; sending abort\n",
			 q->qid, req->tag, cmd->sqe.common.opcode);
		if (!rnv_send_abort(ctrl, req))
			return BLK_EH_RESET_TIMER;
	}
	dev_warn(ctrl->dev, "queue %u: command %u still outstanding; resetting controller\n",
		 q->qid, req->tag);
	rnv_ctrl_schedule_reset(ctrl);
	/* The reset cancels and replays this request. */
	return BLK_EH_RESET_TIMER;
}
