// SPDX-License-Identifier: GPL-2.0
/*
 * Recovery: the controller state machine, the timeout policy (look for a
 * lost interrupt, then Abort, then reset), the reset work that disables the
 * controller and brings it back with outstanding I/O replayed, and killing
 * a controller that cannot come back so that nothing waits for it. System
 * suspend and resume reuse the same stop and restart steps.
 *
 *   NEW --probe ok--> LIVE <--reset done-- RESETTING
 *                      |----reset asked------^  |
 *   any --fatal/timeout in reset--> DEAD         |
 *   any --remove--> DELETING  (DEAD stays DEAD) -'
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
		ok = old != RNV_DEAD && old != RNV_DELETING;
		break;
	case RNV_DELETING:
		ok = old != RNV_DELETING;
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
 * Quiescing is counted by blk-mq, so every quiesce needs exactly one
 * unquiesce: the flags (under ns_lock) make these safe to call twice.
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

/*
 * Let I/O flow again, and dispatch what was requeued while stopped. Also
 * ends a suspend's freeze, for exactly the namespaces it froze: one added
 * meanwhile was never frozen.
 */
static void rnv_unquiesce_io(struct rnv_ctrl *ctrl)
{
	struct rnv_ns *ns;

	mutex_lock(&ctrl->ns_lock);
	if (ctrl->io_quiesced) {
		list_for_each_entry(ns, &ctrl->namespaces, entry) {
			blk_mq_unquiesce_queue(ns->disk->queue);
			blk_mq_kick_requeue_list(ns->disk->queue);
		}
		ctrl->io_quiesced = false;
	}
	list_for_each_entry(ns, &ctrl->namespaces, entry) {
		if (ns->frozen) {
			blk_mq_unfreeze_queue_non_owner(ns->disk->queue);
			ns->frozen = false;
		}
	}
	mutex_unlock(&ctrl->ns_lock);
}

/*
 * Stop new I/O at the block layer's door and wait up to @timeout for what
 * is in flight to finish, so that a suspend shuts down an idle controller.
 */
static void rnv_freeze_io(struct rnv_ctrl *ctrl, unsigned long timeout)
{
	struct rnv_ns *ns;

	mutex_lock(&ctrl->ns_lock);
	list_for_each_entry(ns, &ctrl->namespaces, entry) {
		blk_freeze_queue_start_non_owner(ns->disk->queue);
		ns->frozen = true;
	}
	list_for_each_entry(ns, &ctrl->namespaces, entry) {
		timeout = blk_mq_freeze_queue_wait_timeout(ns->disk->queue, timeout);
		if (!timeout) {
			dev_warn(ctrl->dev, "suspend: I/O still in flight; it is replayed after resume\n");
			break;
		}
	}
	mutex_unlock(&ctrl->ns_lock);
}

static bool rnv_cancel_rq(struct request *req, void *data)
{
	struct rnv_cmd *cmd = rnv_cmd(req);

	/* Finished, or finished by the controller and held back by a test. */
	if (blk_mq_request_completed(req) || READ_ONCE(cmd->held))
		return true;
	cmd->status = *(int *)data;
	blk_mq_complete_request(req);
	return true;
}

/*
 * Complete every outstanding request with @status: -EAGAIN asks
 * rnv_complete_rq to replay file system I/O, -EIO fails it. Callers have
 * stopped the controller, so nothing else completes these requests.
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
 * Stop the controller: no new I/O, CC.EN=0 for a reset or the shutdown
 * notification for a suspend (either way the controller drops its queues),
 * then hand back what it did not finish, for replay.
 */
static void rnv_ctrl_stop(struct rnv_ctrl *ctrl, bool shutdown)
{
	rnv_quiesce(ctrl);
	if (shutdown)
		rnv_ctrl_shutdown(ctrl);
	else
		rnv_ctrl_disable(ctrl);
	rnv_ctrl_release_io_queues(ctrl);
	ctrl->queues[0].live = false;
	rnv_reap_all(ctrl);
	rnv_cancel_all(ctrl, -EAGAIN);
}

/* Bring a stopped controller back with the same queues and vectors. */
static int rnv_ctrl_restart(struct rnv_ctrl *ctrl)
{
	int n, ret;

	rnv_q_init(&ctrl->queues[0]);
	rnv_ctrl_setup_admin(ctrl);
	ret = rnv_ctrl_enable(ctrl);
	if (ret)
		return ret;
	ctrl->queues[0].live = true;
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
	return rnv_ctrl_create_io_queues(ctrl);
}

/*
 * Give up on the controller: stop its DMA before any buffer is unmapped,
 * then fail everything, now and later. CC.EN=0 asks the controller to stop;
 * clearing Bus Master makes sure even when it no longer answers.
 */
void rnv_ctrl_kill(struct rnv_ctrl *ctrl)
{
	rnv_change_state(ctrl, RNV_DEAD);
	rnv_ctrl_disable(ctrl);
	pci_clear_master(ctrl->pdev);
	rnv_reap_all(ctrl);
	rnv_cancel_all(ctrl, -EIO);
	/* Queued and future I/O now reaches queue_rq and fails at once. */
	rnv_unquiesce_admin(ctrl);
	rnv_unquiesce_io(ctrl);
}

/*
 * The second half of a reset or a resume: the controller is stopped and
 * in RESETTING. Bring it back and let I/O flow, or kill it.
 */
static int rnv_ctrl_bring_back(struct rnv_ctrl *ctrl, const char *what)
{
	int ret;

	/* From here a timeout is one of our own commands: the restart failed. */
	WRITE_ONCE(ctrl->restarting, true);
	ret = rnv_ctrl_restart(ctrl);
	WRITE_ONCE(ctrl->restarting, false);
	if (ret || !rnv_change_state(ctrl, RNV_LIVE)) {
		dev_err(ctrl->dev, "%s failed (%d): controller is dead\n", what, ret);
		rnv_ctrl_kill(ctrl);
		return ret ?: -ENODEV;
	}
	rnv_aer_submit(ctrl);
	rnv_unquiesce_io(ctrl);
	return 0;
}

static void rnv_reset_work(struct work_struct *work)
{
	struct rnv_ctrl *ctrl = container_of(work, struct rnv_ctrl, reset_work);

	dev_warn(ctrl->dev, "resetting controller\n");
	rnv_ctrl_stop(ctrl, false);
	if (rnv_ctrl_bring_back(ctrl, "reset"))
		return;
	ctrl->resets++;
	dev_info(ctrl->dev, "reset done, I/O resumed\n");
}

/*
 * System suspend (s2idle, S3, hibernation image): drain I/O, then a normal
 * shutdown (CC.SHN) so the drive flushes its cache and may lose power. What
 * did not drain in time is handed back for replay after resume. The state
 * is RESETTING meanwhile, so timeouts wait and ioctls see a busy controller.
 */
int rnv_ctrl_suspend(struct rnv_ctrl *ctrl)
{
	flush_work(&ctrl->reset_work);
	if (!rnv_change_state(ctrl, RNV_RESETTING)) {
		dev_info(ctrl->dev, "suspend: controller is %s, nothing to save\n",
			 rnv_state_name(ctrl));
		return 0;
	}
	rnv_freeze_io(ctrl, rnv_io_timeout * HZ);
	rnv_ctrl_stop(ctrl, true);
	ctrl->suspends++;
	dev_info(ctrl->dev, "suspended\n");
	return 0;
}

/*
 * Resume: the controller may have lost power or still be shut down with
 * EN set; either way disable it first, then restart as a reset does.
 */
int rnv_ctrl_resume(struct rnv_ctrl *ctrl)
{
	int ret;

	if (READ_ONCE(ctrl->state) != RNV_RESETTING)
		return 0;
	ret = rnv_ctrl_disable(ctrl);
	if (ret) {
		dev_err(ctrl->dev, "resume: controller did not disable (%d): controller is dead\n",
			ret);
		rnv_ctrl_kill(ctrl);
		return 0;
	}
	if (rnv_ctrl_bring_back(ctrl, "resume"))
		return 0;
	dev_info(ctrl->dev, "resumed, I/O flows\n");
	return 0;
}

/* Ask for a reset; false if one is already running or the controller is gone. */
bool rnv_ctrl_schedule_reset(struct rnv_ctrl *ctrl)
{
	if (!rnv_change_state(ctrl, RNV_RESETTING))
		return false;
	queue_work(system_unbound_wq, &ctrl->reset_work);
	return true;
}

/* NVME_IOCTL_RESET and sysfs reset_controller: reset and wait for the outcome. */
int rnv_ctrl_reset_sync(struct rnv_ctrl *ctrl)
{
	if (!rnv_ctrl_schedule_reset(ctrl) && READ_ONCE(ctrl->state) != RNV_RESETTING)
		return -EBUSY;
	flush_work(&ctrl->reset_work);
	return READ_ONCE(ctrl->state) == RNV_LIVE ? 0 : -EIO;
}

void rnv_ctrl_init_recovery(struct rnv_ctrl *ctrl)
{
	spin_lock_init(&ctrl->state_lock);
	INIT_WORK(&ctrl->reset_work, rnv_reset_work);
	ctrl->state = RNV_NEW;
}

static enum rq_end_io_ret rnv_abort_done(RNV_END_IO_ARGS(req, error))
{
	struct rnv_cmd *cmd = rnv_cmd(req);

	/* Dword 0 bit 0 set: the command was not aborted (NVMe 2.0 §5.1). */
	dev_warn(cmd->q->ctrl->dev, "abort: %s, command %saborted\n",
		 rnv_status_str(cmd->status),
		 !cmd->status && !(le32_to_cpu(cmd->result.u32) & 1) ? "" : "not ");
	return RQ_END_IO_FREE;
}

/* Send Abort for @req without waiting; its answer only goes to the log. */
static int rnv_send_abort(struct rnv_ctrl *ctrl, struct request *req)
{
	struct rnv_queue *q = rnv_cmd(req)->q;
	struct request *abort_req;
	struct rnv_cmd *cmd;

	abort_req = blk_mq_alloc_request(ctrl->admin_q, REQ_OP_DRV_OUT, BLK_MQ_REQ_NOWAIT);
	if (IS_ERR(abort_req))
		return PTR_ERR(abort_req);
	cmd = rnv_cmd(abort_req);
	cmd->from_user = false;
	memset(&cmd->sqe, 0, sizeof(cmd->sqe));
	cmd->sqe.abort.opcode = nvme_admin_abort_cmd;
	cmd->sqe.abort.sqid = cpu_to_le16(q->qid);
	cmd->sqe.abort.cid = req->tag;
	abort_req->timeout = RNV_ADMIN_TIMEOUT;
	abort_req->end_io = rnv_abort_done;
	blk_execute_rq_nowait(abort_req, false);
	return 0;
}

/*
 * blk-mq timeout. A lost interrupt is fixed by reaping. An I/O command gets
 * an Abort and one more timeout period; after that (or at once for an admin
 * command) the controller is reset, and the reset replays file system I/O.
 * A timeout while the controller is not live (probe, reset) or has failed
 * means it cannot be trusted: it is killed so nobody waits for it forever.
 */
enum blk_eh_timer_return rnv_timeout(struct request *req)
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
	/*
	 * Waiting for a reset that is about to cancel and replay it. While the
	 * reset restarts the controller only its own commands can prove the
	 * restart failed: a user's passthrough command (dispatched once the
	 * admin queue runs again, with its own timeout) just waits.
	 */
	if (READ_ONCE(ctrl->state) == RNV_RESETTING &&
	    (!READ_ONCE(ctrl->restarting) || cmd->from_user) && rnv_ctrl_alive(ctrl))
		return BLK_EH_RESET_TIMER;
	if (READ_ONCE(ctrl->state) != RNV_LIVE || !rnv_ctrl_alive(ctrl)) {
		dev_err(ctrl->dev, "queue %u: command %u (opcode %#x) timed out in state %s; disabling controller\n",
			q->qid, req->tag, cmd->sqe.common.opcode, rnv_state_name(ctrl));
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
