// SPDX-License-Identifier: GPL-2.0
/*
 * Data mapping with Scatter Gather Lists (NVMe 2.0 §4.1.2), the alternative
 * to PRPs for I/O commands. One SGL data block descriptor says "this many
 * bytes at this bus address", so a request of a few large segments needs a
 * few 16 B descriptors where PRPs need an 8 B entry per controller page.
 *
 * prp.c decides (rnv_sgl_wanted) and maps the scatterlist; this file only
 * writes descriptors. The segment list comes from prp.c's dma_pools and is
 * kept in cmd->prp_list[0]/prp_dma[0], so rnv_prp_unmap frees it like a PRP
 * list. Passthrough requests always use PRPs: over PCIe, admin commands
 * must, and SGLS only promises SGLs for the NVM command set, not for any
 * opcode a user may send.
 */
#include <linux/sizes.h>
#include "rocknvme.h"

/*
 * Descriptors per segment list: one page pool block always holds the whole
 * list, so no Segment descriptor chains lists together. The block layer
 * never builds a request of more than RNV_MAX_SEGS segments (blk.c's
 * max_segments), and a controller page is at least 4 KiB (CAP.MPSMIN).
 */
static_assert(RNV_MAX_SEGS * sizeof(struct nvme_sgl_desc) <= SZ_4K);

/* At probe, after Identify Controller: what the controller offers. */
void rnv_sgl_init(struct rnv_ctrl *ctrl)
{
	u8 sgls = le32_to_cpu(ctrl->id->sgls) & RNV_SGLS_MASK;

	/* 11b is reserved: treat a value we cannot interpret as no support. */
	ctrl->sgl_support = sgls == RNV_SGLS_BYTE || sgls == RNV_SGLS_DWORD ?
			    sgls : RNV_SGLS_NONE;
	atomic_long_set(&ctrl->sgl_requests, 0);
}

const char *rnv_sgl_support_name(struct rnv_ctrl *ctrl)
{
	switch (ctrl->sgl_support) {
	case RNV_SGLS_BYTE:
		return "byte";
	case RNV_SGLS_DWORD:
		return "dword";
	default:
		return "none";
	}
}

/*
 * SGLs for a filesystem request of @nsegs segments when the controller has
 * them and the segments are large on average: then one descriptor replaces
 * many PRP entries. For page-sized segments a PRP entry (8 B) is cheaper to
 * write and to fetch than a descriptor (16 B). Dword-aligned SGLs need no
 * extra check: the virt boundary and dma_alignment of 3 (blk.c) already make
 * every segment's address and length a multiple of four.
 */
bool rnv_sgl_wanted(struct rnv_ctrl *ctrl, struct request *req, unsigned short nsegs)
{
	if (ctrl->sgl_support == RNV_SGLS_NONE || nsegs < 2 || blk_rq_is_passthrough(req))
		return false;
	/*
	 * Average segment >= threshold, without a division. A request is at
	 * most RNV_MAX_XFER bytes, so two or more segments average at most
	 * half of that: RNV_SGL_OFF never matches.
	 */
	return blk_rq_payload_bytes(req) >= (u64)rnv_params_sgl_threshold() * nsegs;
}

static void rnv_sgl_set(struct nvme_sgl_desc *d, dma_addr_t addr, u32 len, u8 type)
{
	d->addr = cpu_to_le64(addr);
	d->length = cpu_to_le32(len);
	memset(d->rsvd, 0, sizeof(d->rsvd));
	/* Type in the high nibble; subtype 0 is a plain address. */
	d->type = type << 4 | NVME_SGL_FMT_ADDRESS;
}

/*
 * Fill the command's data pointer from the first @mapped entries of the
 * mapped scatterlist (dma_map_sg's return: an IOMMU may have merged some).
 * One entry goes inline as a data block descriptor; more go into a list
 * that a Last Segment descriptor points at. BLK_STS_RESOURCE when the pool
 * is empty; the caller unmaps the scatterlist on any error.
 */
blk_status_t rnv_sgl_fill(struct rnv_ctrl *ctrl, struct request *req, int mapped)
{
	struct rnv_cmd *cmd = rnv_cmd(req);
	struct nvme_sgl_desc *list;
	struct scatterlist *sg;
	struct dma_pool *pool;
	dma_addr_t list_dma;
	int i;

	if (mapped == 1) {
		rnv_sgl_set(&cmd->sqe.common.dptr.sgl, sg_dma_address(cmd->sgt.sgl),
			    sg_dma_len(cmd->sgt.sgl), NVME_SGL_FMT_DATA_DESC);
		goto done;
	}

	/* 16 descriptors fit the 256 B pool; the page pool holds any request. */
	cmd->prp_small = mapped * sizeof(*list) <= RNV_SMALL_POOL_SIZE;
	pool = cmd->prp_small ? ctrl->prp_small_pool : ctrl->prp_page_pool;
	/* DMA: pool memory is coherent; the doorbell's writel orders the stores. */
	list = dma_pool_alloc(pool, GFP_ATOMIC, &list_dma);
	if (!list)
		return BLK_STS_RESOURCE;
	/* Owned by the command from here: rnv_prp_lists_free returns it. */
	cmd->prp_list[0] = (__le64 *)list;
	cmd->prp_dma[0] = list_dma;
	cmd->prp_pages = 1;

	for_each_sg(cmd->sgt.sgl, sg, mapped, i)
		rnv_sgl_set(&list[i], sg_dma_address(sg), sg_dma_len(sg),
			    NVME_SGL_FMT_DATA_DESC);
	rnv_sgl_set(&cmd->sqe.common.dptr.sgl, list_dma, mapped * sizeof(*list),
		    NVME_SGL_FMT_LAST_SEG_DESC);
done:
	/* PSDT 01b: SGL for the data; no metadata pointer is ever used. */
	cmd->sqe.common.flags |= NVME_CMD_SGL_METABUF;
	atomic_long_inc(&ctrl->sgl_requests);
	return BLK_STS_OK;
}
