// SPDX-License-Identifier: GPL-2.0
/*
 * Power states and host memory, set after every enable (probe, reset,
 * resume: rnv_ctrl_set_optional_features calls rnv_power_config):
 *
 *  - APST: the table apst.c builds from Identify's power state descriptors,
 *    capped by ps_max_latency_us, sent with Set Features 0x0c; explicitly
 *    off when the cap is 0 or a quirk says NO_APST.
 *  - Host Memory Buffer: DRAM-less drives keep their mapping tables in
 *    host memory they borrow (HMPRE preferred, HMMIN least). The chunks
 *    are allocated once (hmbplan.c decides their sizes), handed over with
 *    Set Features 0x0d EHM=1 after every enable, taken back (EHM=0) while
 *    the controller still answers before a reset, suspend, power off or
 *    remove, and freed only at remove, after the controller is stopped
 *    with bus mastering off. See docs/dma.md, "Host Memory Buffer".
 */
#include <linux/debugfs.h>
#include <linux/dma-mapping.h>
#include <linux/module.h>
#include <linux/seq_file.h>
#include "rocknvme.h"

/* HMB descriptor list limit when HMMAXD says nothing: one page of them. */
#define RNV_HMB_MAX_DESCS	(PAGE_SIZE / sizeof(struct nvme_host_mem_buf_desc))
/* The largest chunk tried: what the page allocator hands out in one piece. */
#define RNV_HMB_MAX_CHUNK	((u64)PAGE_SIZE * MAX_ORDER_NR_PAGES)

/* One chunk of the buffer: the device's memory, never the CPU's. */
struct rnv_hmb_chunk {
	void *cookie;			/* for dma_free_attrs only: no CPU mapping */
	dma_addr_t dma;
	u64 len;
};

/* Set Features with a data buffer (APST table) or none; 0, NVMe status, -errno. */
static int rnv_set_features_data(struct rnv_ctrl *ctrl, u8 fid, u32 dw11, u32 dw12, u32 dw13,
				 u32 dw14, u32 dw15, void *buf, unsigned int len)
{
	struct nvme_command c = { };

	c.features.opcode = nvme_admin_set_features;
	c.features.fid = cpu_to_le32(fid);
	c.features.dword11 = cpu_to_le32(dw11);
	c.features.dword12 = cpu_to_le32(dw12);
	c.features.dword13 = cpu_to_le32(dw13);
	c.features.dword14 = cpu_to_le32(dw14);
	c.features.dword15 = cpu_to_le32(dw15);
	return rnv_submit_sync(ctrl, ctrl->admin_q, &c, buf, len, NULL);
}

/* ---- APST ---- */

static void rnv_apst_config(struct rnv_ctrl *ctrl)
{
	struct rnv_power *pwr = &ctrl->pwr;
	struct nvme_feat_auto_pst *table;
	struct rnv_ps ps[RNV_APST_ENTRIES];
	u64 entries[RNV_APST_ENTRIES];
	unsigned int i, npss = ctrl->id->npss;
	bool on;
	int ret;

	if (!ctrl->id->apsta || !npss || npss >= RNV_APST_ENTRIES) {
		if (pwr->apst_status != -EOPNOTSUPP)
			dev_info(ctrl->dev, "APST not supported (apsta %u, npss %u)\n",
				 ctrl->id->apsta, npss);
		pwr->apst_status = -EOPNOTSUPP;
		pwr->apst_on = false;
		return;
	}
	for (i = 0; i <= npss; i++) {
		const struct nvme_id_power_state *psd = &ctrl->id->psd[i];

		ps[i].enlat_us = le32_to_cpu(psd->entry_lat);
		ps[i].exlat_us = le32_to_cpu(psd->exit_lat);
		ps[i].non_op = psd->flags & NVME_PS_FLAGS_NON_OP_STATE;
	}
	on = ctrl->params.ps_max_latency_us && !(pwr->quirks & RNV_QUIRK_NO_APST);
	if (on)
		pwr->apst_max_ps = rnv_apst_build(ps, npss, ctrl->params.ps_max_latency_us,
						  pwr->quirks & RNV_QUIRK_NO_DEEPEST_PS, entries);
	else
		pwr->apst_max_ps = -1;
	/* DMA: the table goes to the device through blk_rq_map_kern, from the heap. */
	table = kzalloc(sizeof(*table), GFP_KERNEL);
	if (!table)
		return;
	for (i = 0; on && i < RNV_APST_ENTRIES; i++)
		table->entries[i] = cpu_to_le64(entries[i]);
	ret = rnv_set_features_data(ctrl, NVME_FEAT_AUTO_PST, on, 0, 0, 0, 0, table,
				    sizeof(*table));
	if (!ret)
		memcpy(pwr->apst_table, table->entries, sizeof(pwr->apst_table));
	kfree(table);
	if (ret)
		dev_warn(ctrl->dev, "APST refused: %s (%d)\n", rnv_status_str(ret), ret);
	else if (pwr->apst_status)
		dev_info(ctrl->dev, "APST %s%s, deepest idle state %d, max latency %u us\n",
			 on ? "on" : "off",
			 pwr->quirks & RNV_QUIRK_NO_APST ? " (quirk NO_APST)" : "",
			 pwr->apst_max_ps, ctrl->params.ps_max_latency_us);
	pwr->apst_status = ret;
	pwr->apst_on = on && !ret;
}

/* ---- Host Memory Buffer ---- */

struct rnv_hmb_ctx {
	struct rnv_ctrl *ctrl;
	struct rnv_hmb_chunk *chunks;
	u32 max;
};

static void rnv_hmb_undo(void *data, u32 nr)
{
	struct rnv_hmb_ctx *hc = data;
	u32 i;

	for (i = 0; i < nr; i++)
		dma_free_attrs(hc->ctrl->dev, hc->chunks[i].len, hc->chunks[i].cookie,
			       hc->chunks[i].dma, DMA_ATTR_NO_KERNEL_MAPPING);
	kfree(hc->chunks);
	hc->chunks = NULL;
	hc->max = 0;
}

static bool rnv_hmb_start(void *data, u32 nr)
{
	struct rnv_hmb_ctx *hc = data;

	hc->chunks = kcalloc(nr, sizeof(*hc->chunks), GFP_KERNEL);
	hc->max = hc->chunks ? nr : 0;
	return hc->chunks;
}

/*
 * DMA: memory only the device uses, so no kernel mapping is asked for
 * (on arm64 without an IOMMU this is plain memory marked non-cacheable
 * for the device; the CPU never touches it).
 */
static bool rnv_hmb_alloc_chunk(void *data, u32 i, u64 len)
{
	struct rnv_hmb_ctx *hc = data;
	struct rnv_hmb_chunk *c = &hc->chunks[i];

	c->cookie = dma_alloc_attrs(hc->ctrl->dev, len, &c->dma, GFP_KERNEL,
				    DMA_ATTR_NO_KERNEL_MAPPING | DMA_ATTR_NO_WARN);
	c->len = len;
	return c->cookie;
}

static const struct rnv_hmb_ops rnv_hmb_dma_ops = {
	.start	= rnv_hmb_start,
	.alloc	= rnv_hmb_alloc_chunk,
	.undo	= rnv_hmb_undo,
};

/*
 * Free the chunks and the list. Callers have stopped the controller
 * (CC.EN=0 or shutdown, bus mastering off) or were refused by it: it
 * cannot be using them any more.
 */
void rnv_hmb_free(struct rnv_ctrl *ctrl)
{
	struct rnv_power *pwr = &ctrl->pwr;
	struct rnv_hmb_ctx hc = { .ctrl = ctrl, .chunks = pwr->hmb_chunks };

	pwr->hmb_on = false;
	rnv_hmb_undo(&hc, pwr->hmb_nr);
	if (pwr->hmb_descs)
		dma_free_coherent(ctrl->dev, pwr->hmb_descs_max * sizeof(*pwr->hmb_descs),
				  pwr->hmb_descs, pwr->hmb_descs_dma);
	pwr->hmb_descs = NULL;
	pwr->hmb_chunks = NULL;
	pwr->hmb_nr = 0;
	pwr->hmb_size = 0;
	pwr->hmb_descs_max = 0;
}

/* Allocate chunks and the descriptor list for @pref..@min bytes. */
static int rnv_hmb_alloc(struct rnv_ctrl *ctrl, u64 pref, u64 min, u32 maxd, u64 minds)
{
	struct rnv_power *pwr = &ctrl->pwr;
	struct rnv_hmb_req req = {
		.preferred = pref,
		.min = min,
		.max_chunk = RNV_HMB_MAX_CHUNK,
		/* Chunks of less than two pages are not worth a descriptor. */
		.min_chunk = max_t(u64, minds, 2 * PAGE_SIZE),
		.max_descs = maxd ? min_t(u32, maxd, RNV_HMB_MAX_DESCS) : RNV_HMB_MAX_DESCS,
		.page_size = ctrl->page_size,
	};
	struct rnv_hmb_ctx hc = { .ctrl = ctrl };
	u32 i, nr;
	u64 size;

	size = rnv_hmb_plan(&req, &rnv_hmb_dma_ops, &hc, &nr);
	if (!size)
		return -ENOMEM;
	/* DMA: coherent, the device reads the list whenever it likes. */
	pwr->hmb_descs = dma_alloc_coherent(ctrl->dev, nr * sizeof(*pwr->hmb_descs),
					    &pwr->hmb_descs_dma, GFP_KERNEL);
	if (!pwr->hmb_descs) {
		rnv_hmb_undo(&hc, nr);
		return -ENOMEM;
	}
	BUILD_BUG_ON(sizeof(*pwr->hmb_descs) != RNV_HMB_DESC_SIZE ||
		     offsetof(struct nvme_host_mem_buf_desc, size) != 8);
	for (i = 0; i < nr; i++)
		rnv_hmb_desc(&pwr->hmb_descs[i], hc.chunks[i].dma, hc.chunks[i].len,
			     ctrl->page_size);
	pwr->hmb_descs_max = nr;
	pwr->hmb_chunks = hc.chunks;
	pwr->hmb_nr = nr;
	pwr->hmb_size = size;
	dev_info(ctrl->dev, "host memory buffer: %llu KiB in %u chunks of up to %llu KiB\n",
		 size >> 10, nr, hc.chunks[0].len >> 10);
	return 0;
}

/* Set Features Host Memory Buffer (NVMe 2.0 §5.27.1.10): EHM, MR, the list. */
static int rnv_hmb_send(struct rnv_ctrl *ctrl, u32 bits)
{
	struct rnv_power *pwr = &ctrl->pwr;

	return rnv_set_features_data(ctrl, NVME_FEAT_HOST_MEM_BUF, bits,
				     pwr->hmb_size / ctrl->page_size,
				     lower_32_bits(pwr->hmb_descs_dma),
				     upper_32_bits(pwr->hmb_descs_dma), pwr->hmb_nr, NULL, 0);
}

static void rnv_hmb_config(struct rnv_ctrl *ctrl)
{
	struct rnv_power *pwr = &ctrl->pwr;
	const struct nvme_id_ctrl *id = ctrl->id;
	u64 max = (u64)ctrl->params.max_host_mem_size_mb << 20;
	u64 pref = (u64)le32_to_cpu(id->hmpre) << 12;
	u64 min = (u64)le32_to_cpu(id->hmmin) << 12;
	u32 bits = NVME_HOST_MEM_ENABLE, fake_kib = rnv_fault_hmb_kib(ctrl);
	int ret;

	if (fake_kib) {
		pref = (u64)fake_kib << 10;
		min = pref;
	}
	mutex_lock(&pwr->hmb_lock);
	/* CC.EN=0 disabled it; the memory is still ours to hand back. */
	pwr->hmb_on = false;
	if (!pref || !max)
		goto unlock;
	if (min > max) {
		dev_info(ctrl->dev, "host memory buffer: minimum %llu KiB over max_host_mem_size_mb=%u, not used\n",
			 min >> 10, ctrl->params.max_host_mem_size_mb);
		rnv_hmb_free(ctrl);
		goto unlock;
	}
	if (pwr->hmb_nr) {
		/* The same memory again: the controller may trust what it left there. */
		bits |= NVME_HOST_MEM_RETURN;
	} else if (rnv_hmb_alloc(ctrl, min_t(u64, pref, max), min,
				 le16_to_cpu(id->hmmaxd), (u64)le32_to_cpu(id->hmminds) << 12)) {
		dev_warn(ctrl->dev, "host memory buffer: could not allocate %llu..%llu KiB, running without\n",
			 min >> 10, min_t(u64, pref, max) >> 10);
		goto unlock;
	}
	ret = rnv_hmb_send(ctrl, bits);
	if (ret) {
		/* Refused: the controller never owned it, so it can go at once. */
		dev_warn(ctrl->dev, "host memory buffer refused: %s (%d), %llu KiB freed\n",
			 rnv_status_str(ret), ret, pwr->hmb_size >> 10);
		pwr->hmb_refused++;
		rnv_hmb_free(ctrl);
		goto unlock;
	}
	pwr->hmb_on = true;
unlock:
	mutex_unlock(&pwr->hmb_lock);
}

/*
 * Take the buffer back while the controller still answers (it may be in
 * the middle of using it). Only a live controller is asked, never one
 * behind a frozen PCI channel: a timed-out one is reset without this, and
 * CC.EN=0 then ends its use of the buffer (bus mastering goes off too).
 * The memory itself stays allocated until remove.
 */
void rnv_hmb_disable(struct rnv_ctrl *ctrl)
{
	struct rnv_power *pwr = &ctrl->pwr;
	int ret;

	mutex_lock(&pwr->hmb_lock);
	if (pwr->hmb_on && READ_ONCE(ctrl->state) == RNV_LIVE &&
	    !pci_channel_offline(ctrl->pdev)) {
		ret = rnv_hmb_send(ctrl, 0);
		if (ret)
			dev_warn(ctrl->dev, "host memory buffer disable: %s (%d)\n",
				 rnv_status_str(ret), ret);
	}
	pwr->hmb_on = false;
	mutex_unlock(&pwr->hmb_lock);
}

/* ---- glue ---- */

void rnv_power_init(struct rnv_ctrl *ctrl)
{
	mutex_init(&ctrl->pwr.hmb_lock);
	ctrl->pwr.apst_max_ps = -1;
	ctrl->pwr.apst_status = 1;	/* nothing sent yet: the first result is logged */
}

/* After every enable, before the I/O queues exist. */
void rnv_power_config(struct rnv_ctrl *ctrl)
{
	rnv_apst_config(ctrl);
	rnv_hmb_config(ctrl);
}

/* debugfs apst: what was sent, one line per entry used. */
static int rnv_apst_show(struct seq_file *m, void *unused)
{
	struct rnv_ctrl *ctrl = m->private;
	struct rnv_power *pwr = &ctrl->pwr;
	unsigned int i;

	if (pwr->apst_status == -EOPNOTSUPP) {
		seq_printf(m, "off: not supported (apsta %u, npss %u)\n", ctrl->id->apsta,
			   ctrl->id->npss);
		return 0;
	}
	seq_printf(m, "%s: ps_max_latency_us %u, quirks %#x, deepest idle state %d, status %d\n",
		   pwr->apst_on ? "on" : "off", ctrl->params.ps_max_latency_us, pwr->quirks,
		   pwr->apst_max_ps, pwr->apst_status);
	for (i = 0; i <= ctrl->id->npss && i < RNV_APST_ENTRIES; i++) {
		u64 e = le64_to_cpu(pwr->apst_table[i]);

		seq_printf(m, "ps%u: %#010llx -> ps%llu after %llu ms\n", i, e,
			   (e >> RNV_APST_ITPS_SHIFT) & 0x1f, e >> RNV_APST_ITPT_SHIFT);
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(rnv_apst);

void rnv_power_debugfs(struct rnv_ctrl *ctrl, struct dentry *dir)
{
	debugfs_create_file("apst", 0400, dir, ctrl, &rnv_apst_fops);
	/* How often the controller refused a host memory buffer (tests read it). */
	debugfs_create_u32("hmb_refused", 0400, dir, &ctrl->pwr.hmb_refused);
}

/* ---- sysfs: quirks, hmb ---- */

static struct rnv_ctrl *rnv_dev_ctrl(struct device *dev)
{
	return container_of(dev, struct rnv_ctrl, cdev_device);
}

static ssize_t quirks_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%#x\n", rnv_dev_ctrl(dev)->pwr.quirks);
}
static DEVICE_ATTR_RO(quirks);

/* "<bytes granted> <chunks> <on|off>" */
static ssize_t hmb_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	struct rnv_power *pwr = &rnv_dev_ctrl(dev)->pwr;
	ssize_t n;

	mutex_lock(&pwr->hmb_lock);
	n = sysfs_emit(buf, "%llu %u %s\n", pwr->hmb_size, pwr->hmb_nr,
		       pwr->hmb_on ? "on" : "off");
	mutex_unlock(&pwr->hmb_lock);
	return n;
}
static DEVICE_ATTR_RO(hmb);

static struct attribute *rnv_power_attrs[] = {
	&dev_attr_quirks.attr,
	&dev_attr_hmb.attr,
	NULL,
};

const struct attribute_group rnv_power_attr_group = {
	.attrs = rnv_power_attrs,
};
