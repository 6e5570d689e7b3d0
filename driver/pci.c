// SPDX-License-Identifier: GPL-2.0
/*
 * PCI glue and the probe checklist: BAR and DMA mask,
 * interrupt vectors (MSI-X with affinity, then MSI, then INTx), and the
 * order in which the controller is brought up and torn down. What each
 * step does lives in ctrl.c, queue.c, admin.c, map.c and blk.c.
 */
#include <linux/io-64-nonatomic-lo-hi.h>
#include <linux/module.h>
#include "rocknvme.h"

/* BAR 0, DMA mask, and the capability registers. */
static int rnv_pci_map(struct rnv_ctrl *ctrl)
{
	struct pci_dev *pdev = ctrl->pdev;
	u32 mpsmin, mpsmax, shift;
	int ret;

	ret = pci_enable_device_mem(pdev);
	if (ret)
		return ret;
	pci_set_master(pdev);
	/* Uncorrectable errors reach AER recovery (rnv_err_handlers); optional. */
	rnv_enable_error_reporting(pdev);
	ret = pci_request_mem_regions(pdev, RNV_NAME);
	if (ret)
		goto disable;
	ctrl->bar = pci_iomap(pdev, 0, 0);
	if (!ctrl->bar) {
		ret = -ENOMEM;
		goto release;
	}
	/* DMA: the controller addresses 64 bits; fall back for narrow hosts. */
	ret = dma_set_mask_and_coherent(ctrl->dev, DMA_BIT_MASK(64));
	if (ret)
		ret = dma_set_mask_and_coherent(ctrl->dev, DMA_BIT_MASK(32));
	if (ret) {
		dev_err(ctrl->dev, "no usable DMA mask\n");
		goto unmap;
	}

	ctrl->cap = lo_hi_readq(ctrl->bar + NVME_REG_CAP);
	if (ctrl->cap == ~0ULL) {
		dev_err(ctrl->dev, "registers read all ones: device not responding\n");
		ret = -ENODEV;
		goto unmap;
	}
	ctrl->vs = readl(ctrl->bar + NVME_REG_VS);
	ctrl->db_stride = 1 << NVME_CAP_STRIDE(ctrl->cap);
	ctrl->dbs = ctrl->bar + NVME_REG_DBS;

	/* Controller pages are host pages when the controller allows them. */
	mpsmin = NVME_CAP_MPSMIN(ctrl->cap) + 12;
	mpsmax = NVME_CAP_MPSMAX(ctrl->cap) + 12;
	if (mpsmin > PAGE_SHIFT) {
		dev_err(ctrl->dev, "host page 2^%u smaller than CAP.MPSMIN 2^%u\n",
			PAGE_SHIFT, mpsmin);
		ret = -ENODEV;
		goto unmap;
	}
	shift = min_t(u32, PAGE_SHIFT, mpsmax);
	ctrl->page_size = 1u << shift;
	dma_set_max_seg_size(ctrl->dev, 0xffffffff);
	/*
	 * DMA: PRP entries carry the offset within a controller page, so a
	 * bounce buffer (swiotlb) must keep the original buffer's offset.
	 */
	dma_set_min_align_mask(ctrl->dev, ctrl->page_size - 1);
	/* What PCI error recovery restores after a slot reset (rnv_slot_reset). */
	pci_save_state(pdev);
	return 0;

unmap:
	pci_iounmap(pdev, ctrl->bar);
release:
	pci_release_mem_regions(pdev);
disable:
	rnv_disable_error_reporting(pdev);
	pci_disable_device(pdev);
	return ret;
}

static void rnv_pci_unmap(struct rnv_ctrl *ctrl)
{
	rnv_disable_error_reporting(ctrl->pdev);
	pci_iounmap(ctrl->pdev, ctrl->bar);
	pci_release_mem_regions(ctrl->pdev);
	pci_disable_device(ctrl->pdev);
}

static void rnv_set_irq_mode(struct rnv_ctrl *ctrl)
{
	if (ctrl->pdev->msix_enabled)
		ctrl->irq_mode = "msix";
	else if (ctrl->pdev->msi_enabled)
		ctrl->irq_mode = "msi";
	else
		ctrl->irq_mode = "intx";
}

/* One vector for the admin queue until we know how many I/O queues exist. */
static int rnv_admin_irq_setup(struct rnv_ctrl *ctrl)
{
	struct rnv_queue *aq = &ctrl->queues[0];
	int ret;

	ret = pci_alloc_irq_vectors(ctrl->pdev, 1, 1, rnv_quirk_irq_types(ctrl));
	if (ret < 0)
		return ret;
	ctrl->nr_vectors = 1;
	aq->irq = pci_irq_vector(ctrl->pdev, 0);
	snprintf(aq->irq_name, sizeof(aq->irq_name), RNV_NAME "%dq0", ctrl->instance);
	ret = request_irq(aq->irq, rnv_irq, IRQF_SHARED, aq->irq_name, aq);
	if (ret) {
		aq->irq = -1;
		pci_free_irq_vectors(ctrl->pdev);
	}
	return ret;
}

static void rnv_admin_irq_free(struct rnv_ctrl *ctrl)
{
	struct rnv_queue *aq = &ctrl->queues[0];

	if (aq->irq >= 0)
		free_irq(aq->irq, aq);
	aq->irq = -1;
	pci_free_irq_vectors(ctrl->pdev);
}

/*
 * Re-allocate vectors for admin + @want I/O queues, spread over the CPUs
 * (pre_vectors keeps vector 0 out of the spreading, for admin). Returns the
 * number of I/O queues the vectors support. The admin queue keeps working:
 * its interrupt is re-requested on the new vector 0.
 */
static int rnv_io_irq_setup(struct rnv_ctrl *ctrl, unsigned int want)
{
	struct irq_affinity affd = { .pre_vectors = 1 };
	struct rnv_queue *aq = &ctrl->queues[0];
	int nvec, ret;

	rnv_admin_irq_free(ctrl);
	nvec = pci_alloc_irq_vectors_affinity(ctrl->pdev, 1, want + 1,
					      rnv_quirk_irq_types(ctrl) | PCI_IRQ_AFFINITY, &affd);
	if (nvec < 0)
		return nvec;
	ctrl->nr_vectors = nvec;
	rnv_set_irq_mode(ctrl);
	aq->irq = pci_irq_vector(ctrl->pdev, 0);
	ret = request_irq(aq->irq, rnv_irq, IRQF_SHARED, aq->irq_name, aq);
	if (ret) {
		aq->irq = -1;
		pci_free_irq_vectors(ctrl->pdev);
		return ret;
	}
	/* A single vector is shared by every queue; more give one per queue. */
	return nvec > 1 ? nvec - 1 : 1;
}

/* Identify strings are space padded, not NUL terminated: @dst holds len + 1. */
static void rnv_id_string(char *dst, const char *src, size_t len)
{
	char *s;

	memcpy(dst, src, len);
	dst[len] = '\0';
	s = strim(dst);
	memmove(dst, s, strlen(s) + 1);
}

/* Identify Controller: model, limits and features we act on. */
static int rnv_identify_ctrl(struct rnv_ctrl *ctrl)
{
	u32 max_xfer = RNV_MAX_XFER, mdts_shift, rtd3e;
	int ret;

	ctrl->id = kzalloc(NVME_IDENTIFY_DATA_SIZE, GFP_KERNEL);
	if (!ctrl->id)
		return -ENOMEM;
	ret = rnv_identify(ctrl, NVME_ID_CNS_CTRL, 0, ctrl->id);
	if (ret)
		return ret > 0 ? -EIO : ret;
	/*
	 * MDTS is a power of two in units of CAP.MPSMIN pages; 0 = no limit,
	 * and so is anything past 4 GiB (a shift the device could make overflow).
	 */
	mdts_shift = ctrl->id->mdts + 12 + NVME_CAP_MPSMIN(ctrl->cap);
	if (ctrl->id->mdts && mdts_shift < 32)
		max_xfer = min_t(u32, max_xfer, 1u << mdts_shift);
	/*
	 * DMA: swiotlb bounces at most dma_max_mapping_size() per segment
	 * (256 KiB); a larger request could never be mapped and would be
	 * retried forever, so the block layer must not build one.
	 */
	max_xfer = min_t(size_t, max_xfer, dma_max_mapping_size(ctrl->dev));
	ctrl->max_xfer = max_t(u32, rounddown_pow_of_two(max_xfer), ctrl->page_size);
	ctrl->vwc = ctrl->id->vwc & NVME_CTRL_VWC_PRESENT;
	ctrl->oncs = le16_to_cpu(ctrl->id->oncs);
	/* RTD3E (microseconds) is what a shutdown may take; 0 = not reported. */
	rtd3e = le32_to_cpu(ctrl->id->rtd3e);
	ctrl->shutdown_ms = clamp_t(u32, DIV_ROUND_UP(rtd3e, USEC_PER_MSEC),
				    RNV_SHUTDOWN_MIN_MS, RNV_SHUTDOWN_MAX_MS);
	rnv_sgl_init(ctrl);
	rnv_id_string(ctrl->model, ctrl->id->mn, sizeof(ctrl->id->mn));
	rnv_id_string(ctrl->serial, ctrl->id->sn, sizeof(ctrl->id->sn));
	rnv_id_string(ctrl->firmware_rev, ctrl->id->fr, sizeof(ctrl->id->fr));
	dev_info(ctrl->dev, "%s (serial %s, fw %s), NVMe %u.%u, max transfer %u KiB\n",
		 ctrl->model, ctrl->serial, ctrl->firmware_rev, ctrl->vs >> 16,
		 (ctrl->vs >> 8) & 0xff, ctrl->max_xfer >> 10);
	return 0;
}

static int rnv_setup_io(struct rnv_ctrl *ctrl)
{
	unsigned int qid;
	int n, ret;

	int irq_n, poll_n;

	n = rnv_negotiate_queues(ctrl);
	if (n < 0)
		return n;
	/* Poll queues come out of the grant, but one interrupt queue stays. */
	poll_n = min_t(int, ctrl->params.poll_queues, n - 1);
	irq_n = rnv_io_irq_setup(ctrl, n - poll_n);
	if (irq_n < 0)
		return irq_n;
	ctrl->nr_irq_queues = irq_n;
	ctrl->nr_poll_queues = poll_n;
	n = irq_n + poll_n;
	ctrl->nr_io_queues = n;
	ctrl->io_depth = min_t(u32, ctrl->params.io_queue_depth, NVME_CAP_MQES(ctrl->cap) + 1);
	for (qid = 1; qid <= n; qid++) {
		ret = rnv_q_alloc(ctrl, qid, ctrl->io_depth);
		if (ret)
			goto free_queues;
	}
	ret = rnv_ctrl_create_io_queues(ctrl);
	if (ret)
		goto free_queues;
	dev_info(ctrl->dev, "%u I/O queues (%u polled) of depth %u, %u %s vector%s\n",
		 n, poll_n, ctrl->io_depth, ctrl->nr_vectors, ctrl->irq_mode,
		 ctrl->nr_vectors > 1 ? "s" : "");
	return 0;

free_queues:
	while (qid-- > 1)
		rnv_q_free(ctrl, qid);
	return ret;
}

static void rnv_teardown_io(struct rnv_ctrl *ctrl)
{
	unsigned int qid;

	rnv_ctrl_delete_io_queues(ctrl);
	for (qid = 1; qid <= ctrl->nr_io_queues; qid++)
		rnv_q_free(ctrl, qid);
}

static int rnv_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct rnv_ctrl *ctrl;
	int ret;

	/* The instance first: every name made below includes it. */
	ctrl = rnv_ctrl_alloc(pdev);
	if (IS_ERR(ctrl)) {
		dev_err(&pdev->dev, "probe failed: %ld\n", PTR_ERR(ctrl));
		return PTR_ERR(ctrl);
	}
	rnv_ctrl_init_recovery(ctrl);
	rnv_events_init(ctrl);
	rnv_fault_init(ctrl);
	rnv_power_init(ctrl);
	/* From here on the last put_device() frees ctrl (rnv_ctrl_free). */
	rnv_chr_init(ctrl);
	pci_set_drvdata(pdev, ctrl);
	ctrl->shutdown_ms = RNV_SHUTDOWN_MIN_MS;
	rnv_quirks_init(ctrl);
	ret = rnv_pci_map(ctrl);
	if (ret)
		goto put_ctrl;
	ret = rnv_ctrl_disable(ctrl);
	if (ret)
		goto unmap;
	ret = rnv_q_alloc(ctrl, 0, RNV_ADMIN_DEPTH);
	if (ret)
		goto unmap;
	/*
	 * Vectors before enable: some controllers (QEMU's among them) bind
	 * the admin CQ to its MSI-X vector when CC.EN is set, and a vector
	 * that was not enabled by then never fires.
	 */
	ret = rnv_admin_irq_setup(ctrl);
	if (ret)
		goto free_admin_q;
	rnv_ctrl_setup_admin(ctrl);
	ctrl->enabled = true;
	ret = rnv_ctrl_enable(ctrl);
	if (ret)
		goto disable;
	ctrl->queues[0].live = true;
	ret = rnv_admin_set_create(ctrl);
	if (ret)
		goto not_live;
	ret = rnv_map_pools_create(ctrl);
	if (ret)
		goto destroy_admin_set;
	ret = rnv_identify_ctrl(ctrl);
	if (ret)
		goto destroy_pools;
	rnv_quirks_identify(ctrl);
	ret = rnv_admin_set_limits(ctrl);
	if (ret)
		goto destroy_pools;
	rnv_effects_read(ctrl);
	rnv_dbbuf_alloc(ctrl);
	rnv_ctrl_set_optional_features(ctrl);
	rnv_events_config(ctrl);
	ret = rnv_setup_io(ctrl);
	if (ret)
		goto destroy_pools;
	ret = rnv_io_set_create(ctrl);
	if (ret)
		goto teardown_io;
	ret = rnv_chr_add(ctrl);
	if (ret)
		goto destroy_io_set;
	ret = rnv_ns_scan(ctrl);
	if (ret)
		goto remove_ns;
	/* A command that timed out during probe killed the controller. */
	ret = -ENODEV;
	if (!rnv_change_state(ctrl, RNV_LIVE))
		goto remove_ns;
	rnv_debugfs_add(ctrl);
	rnv_hwmon_add(ctrl);
	rnv_events_arm(ctrl);
	return 0;

remove_ns:
	/* ioctls (node or disks) may be running: refuse more, wait, then no rescans. */
	rnv_chr_hide(ctrl);
	rnv_chr_wait_ioctls(ctrl);
	rnv_change_state(ctrl, RNV_DELETING);
	rnv_ns_remove_all(ctrl);
	rnv_chr_del(ctrl);
destroy_io_set:
	rnv_io_set_destroy(ctrl);
teardown_io:
	rnv_teardown_io(ctrl);
destroy_pools:
	rnv_map_pools_destroy(ctrl);
destroy_admin_set:
	rnv_admin_set_destroy(ctrl);
not_live:
	ctrl->queues[0].live = false;
disable:
	rnv_ctrl_disable(ctrl);
	ctrl->enabled = false;
	/* Even if it did not stop: memory it was lent must be out of its reach first. */
	pci_clear_master(pdev);
	rnv_hmb_free(ctrl);
	rnv_dbbuf_free(ctrl);
	rnv_admin_irq_free(ctrl);
free_admin_q:
	rnv_q_free(ctrl, 0);
unmap:
	rnv_pci_unmap(ctrl);
put_ctrl:
	dev_err(&pdev->dev, "probe failed: %d\n", ret);
	put_device(&ctrl->cdev_device);
	return ret;
}

/*
 * Removal mirrors probe, in an order that never waits for a device that
 * cannot answer: ioctls are refused first, a controller that is gone (or
 * dead) is killed so every wait ends at once, a working one is drained
 * (disks deleted with writeback, queues deleted) and shut down. Only then
 * are the ioctls still in flight waited for, and memory freed.
 */
static void rnv_remove(struct pci_dev *pdev)
{
	struct rnv_ctrl *ctrl = pci_get_drvdata(pdev);

	rnv_chr_hide(ctrl);
	rnv_debugfs_remove(ctrl);
	if (!pci_device_is_present(pdev))
		rnv_ctrl_kill(ctrl);
	/* After a kill, so that a reader waiting on a gone device returns. */
	rnv_hwmon_remove(ctrl);
	rnv_ctrl_begin_delete(ctrl);
	rnv_events_stop(ctrl);
	rnv_ns_remove_all(ctrl);
	rnv_chr_del(ctrl);
	rnv_fault_stop(ctrl);
	rnv_ctrl_delete_io_queues(ctrl);
	rnv_ctrl_retire(ctrl);
	/*
	 * Again: an event completion that saw LIVE just before
	 * begin_delete may have queued work after the first call; retire
	 * fenced the interrupts, so nothing queues it after this one.
	 */
	rnv_events_stop(ctrl);
	rnv_chr_wait_ioctls(ctrl);
	rnv_io_set_destroy(ctrl);
	rnv_teardown_io(ctrl);
	rnv_map_pools_destroy(ctrl);
	rnv_admin_set_destroy(ctrl);
	rnv_hmb_free(ctrl);
	rnv_dbbuf_free(ctrl);
	rnv_admin_irq_free(ctrl);
	rnv_q_free(ctrl, 0);
	rnv_pci_unmap(ctrl);
	/* Open files and disks may still hold the controller; they free it. */
	put_device(&ctrl->cdev_device);
}

/* Power off, reboot, kexec: see rnv_ctrl_power_off. */
static void rnv_shutdown(struct pci_dev *pdev)
{
	rnv_ctrl_power_off(pci_get_drvdata(pdev));
}

/*
 * PCI error recovery (AER, DPC) and function resets (sysfs reset, VFIO):
 * the controller is stopped before the link or function resets and
 * restarted after, the way a controller reset does it, so I/O in flight
 * is replayed instead of timing out against a controller that forgot it.
 */
static pci_ers_result_t rnv_error_detected(struct pci_dev *pdev, pci_channel_state_t state)
{
	struct rnv_ctrl *ctrl = pci_get_drvdata(pdev);

	switch (state) {
	case pci_channel_io_normal:
		return PCI_ERS_RESULT_CAN_RECOVER;
	case pci_channel_io_frozen:
		dev_warn(ctrl->dev, "PCI channel frozen: stopping for a slot reset\n");
		if (!rnv_ctrl_reset_prepare(ctrl))
			return PCI_ERS_RESULT_DISCONNECT;
		return PCI_ERS_RESULT_NEED_RESET;
	default:
		dev_warn(ctrl->dev, "PCI channel failed for good\n");
		rnv_ctrl_kill(ctrl);
		return PCI_ERS_RESULT_DISCONNECT;
	}
}

static pci_ers_result_t rnv_slot_reset(struct pci_dev *pdev)
{
	struct rnv_ctrl *ctrl = pci_get_drvdata(pdev);

	dev_info(ctrl->dev, "slot reset: restarting the controller\n");
	pci_restore_state(pdev);
	rnv_ctrl_reset_done(ctrl);
	return READ_ONCE(ctrl->state) == RNV_LIVE ? PCI_ERS_RESULT_RECOVERED :
						    PCI_ERS_RESULT_DISCONNECT;
}

static void rnv_error_resume(struct pci_dev *pdev)
{
	struct rnv_ctrl *ctrl = pci_get_drvdata(pdev);

	flush_work(&ctrl->reset_work);
}

static void rnv_reset_prepare(struct pci_dev *pdev)
{
	rnv_ctrl_reset_prepare(pci_get_drvdata(pdev));
}

static void rnv_reset_done(struct pci_dev *pdev)
{
	rnv_ctrl_reset_done(pci_get_drvdata(pdev));
}

static const struct pci_error_handlers rnv_err_handlers = {
	.error_detected	= rnv_error_detected,
	.slot_reset	= rnv_slot_reset,
	.resume		= rnv_error_resume,
	.reset_prepare	= rnv_reset_prepare,
	.reset_done	= rnv_reset_done,
};

static int rnv_pm_suspend(struct device *dev)
{
	return rnv_ctrl_suspend(dev_get_drvdata(dev));
}

static int rnv_pm_resume(struct device *dev)
{
	return rnv_ctrl_resume(dev_get_drvdata(dev));
}

/* The same pair for every system sleep transition, hibernation included. */
static DEFINE_SIMPLE_DEV_PM_OPS(rnv_pm_ops, rnv_pm_suspend, rnv_pm_resume);

static const struct pci_device_id rnv_ids[] = {
	{ PCI_DEVICE_CLASS(PCI_CLASS_STORAGE_EXPRESS, 0xffffff) },
	{ }
};
MODULE_DEVICE_TABLE(pci, rnv_ids);

static struct pci_driver rnv_driver = {
	.name		= RNV_NAME,
	.id_table	= rnv_ids,
	.probe		= rnv_probe,
	.remove		= rnv_remove,
	.shutdown	= rnv_shutdown,
	.err_handler	= &rnv_err_handlers,
	.driver.pm	= pm_sleep_ptr(&rnv_pm_ops),
};

static int __init rnv_init(void)
{
	int ret;

	ret = rnv_ctrl_life_init();
	if (ret)
		return ret;
	ret = rnv_chr_register();
	if (ret)
		goto life_exit;
	rnv_debugfs_register();
	ret = pci_register_driver(&rnv_driver);
	if (ret)
		goto unregister;
	return 0;

unregister:
	rnv_debugfs_unregister();
	rnv_chr_unregister();
life_exit:
	rnv_ctrl_life_exit();
	return ret;
}

static void __exit rnv_exit(void)
{
	pci_unregister_driver(&rnv_driver);
	rnv_debugfs_unregister();
	rnv_chr_unregister();
	rnv_ctrl_life_exit();
}

module_init(rnv_init);
module_exit(rnv_exit);
MODULE_DESCRIPTION("rocknvme: a compact NVMe PCIe driver");
MODULE_LICENSE("GPL");
