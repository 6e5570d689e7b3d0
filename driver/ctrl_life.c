// SPDX-License-Identifier: GPL-2.0
/*
 * A controller's identity and lifetime: its instance number (the N in
 * rocknvmeN, in the IRQ, disk and /dev names), the allocation of struct
 * rnv_ctrl with what every later step needs, and the final free. Also the
 * driver's workqueue, which every controller's work runs on.
 *
 * The instance is taken first in probe, before anything is named after it,
 * and given back only in rnv_ctrl_free. That runs when the last reference
 * goes: the /dev node's device (chardev.c, rnv_chr_init) holds it, and
 * open files and namespace disks take references on that device.
 */
#include "rocknvme.h"

/* Instances are also the /dev node's minor numbers: at most RNV_MINORS. */
static DEFINE_IDA(rnv_instance_ida);

/*
 * Reset, scan and event work: WQ_MEM_RECLAIM because a reset may be what
 * stands between memory reclaim and the writeback it waits for.
 */
struct workqueue_struct *rnv_wq;

/*
 * Probe's first step. Returns a controller with its instance, the module
 * parameters (ctrl->params) and the queue array and counters sized by them;
 * the files' own state is set up by their init functions after this.
 */
struct rnv_ctrl *rnv_ctrl_alloc(struct pci_dev *pdev)
{
	struct rnv_ctrl *ctrl;
	int instance;

	instance = ida_alloc_max(&rnv_instance_ida, RNV_MINORS - 1, GFP_KERNEL);
	if (instance < 0)
		return ERR_PTR(instance);
	ctrl = kzalloc_node(sizeof(*ctrl), GFP_KERNEL, dev_to_node(&pdev->dev));
	if (!ctrl) {
		ida_free(&rnv_instance_ida, instance);
		return ERR_PTR(-ENOMEM);
	}
	ctrl->instance = instance;
	ctrl->pdev = pdev;
	ctrl->dev = &pdev->dev;
	rnv_params_get(&ctrl->params);
	/* Room for admin plus every I/O queue we will ask for (rnv_negotiate_queues). */
	ctrl->max_io_queues = (ctrl->params.max_io_queues ?: num_possible_cpus()) +
			      ctrl->params.poll_queues;
	ctrl->queues = kcalloc(ctrl->max_io_queues + 1, sizeof(*ctrl->queues), GFP_KERNEL);
	ctrl->rq_started = alloc_percpu(u64);
	ctrl->rq_ended = alloc_percpu(u64);
	if (!ctrl->queues || !ctrl->rq_started || !ctrl->rq_ended) {
		rnv_ctrl_free(ctrl);
		return ERR_PTR(-ENOMEM);
	}
	return ctrl;
}

/*
 * The last reference is gone: free what the controller still owns. Fields
 * other files allocated later (Identify data, the effects log) are NULL if
 * probe stopped before them.
 */
void rnv_ctrl_free(struct rnv_ctrl *ctrl)
{
	ida_free(&rnv_instance_ida, ctrl->instance);
	free_percpu(ctrl->rq_started);
	free_percpu(ctrl->rq_ended);
	kfree(ctrl->effects);
	kfree(ctrl->queues);
	kfree(ctrl->id);
	kfree(ctrl);
}

/* Module load and unload. */
int rnv_ctrl_life_init(void)
{
	rnv_wq = alloc_workqueue(RNV_NAME, WQ_UNBOUND | WQ_MEM_RECLAIM, 0);
	return rnv_wq ? 0 : -ENOMEM;
}

void rnv_ctrl_life_exit(void)
{
	destroy_workqueue(rnv_wq);
	ida_destroy(&rnv_instance_ida);
}
