// SPDX-License-Identifier: GPL-2.0
/*
 * Data mapping: a request's pages become the command's data pointer, as
 * PRP1/PRP2 or a PRP list (NVMe 2.0 §4.1.1), or as SGL descriptors (§4.1.2)
 * when the controller has them and the segments are large. One SGL data
 * block descriptor says "this many bytes at this bus address", so a request
 * of a few large segments needs a few 16 B descriptors where PRPs need an
 * 8 B entry per controller page.
 *
 * Streaming DMA only (dma_map_bvec, dma_map_sgtable). PRP list pages and
 * SGL segments are "list blocks" from two dma_pools, kept in the command's
 * list_blocks[] whichever kind they hold, so one unmap frees either alike;
 * scatterlists longer than two entries come from the kernel's chained sg
 * pools. Passthrough requests always use PRPs: over PCIe, admin commands
 * must, and SGLS only promises SGLs for the NVM command set, not for any
 * opcode a user may send. Owns nothing else: the command itself is built
 * in blk.c and submitted by queue.c.
 */
#include <linux/sizes.h>
#include "rocknvme.h"

int rnv_map_pools_create(struct rnv_ctrl *ctrl)
{
	/*
	 * PRP and SGL lists, one page or 256 bytes (the pools list in the
	 * device's sysfs "pools" file). A list must not cross a controller
	 * page: align each to its size.
	 */
	ctrl->list_page_pool = dma_pool_create("rocknvme-list-page", ctrl->dev,
					       ctrl->page_size, ctrl->page_size, 0);
	if (!ctrl->list_page_pool)
		return -ENOMEM;
	ctrl->list_small_pool = dma_pool_create("rocknvme-list-256", ctrl->dev,
						RNV_SMALL_POOL_SIZE,
						RNV_SMALL_POOL_SIZE, 0);
	if (!ctrl->list_small_pool)
		goto destroy_page_pool;
	return 0;

destroy_page_pool:
	dma_pool_destroy(ctrl->list_page_pool);
	ctrl->list_page_pool = NULL;
	return -ENOMEM;
}

void rnv_map_pools_destroy(struct rnv_ctrl *ctrl)
{
	dma_pool_destroy(ctrl->list_small_pool);
	dma_pool_destroy(ctrl->list_page_pool);
	ctrl->list_small_pool = NULL;
	ctrl->list_page_pool = NULL;
}

static void rnv_list_blocks_free(struct rnv_ctrl *ctrl, struct rnv_cmd *cmd)
{
	struct dma_pool *pool = cmd->list_small ? ctrl->list_small_pool :
						 ctrl->list_page_pool;
	int i;

	for (i = 0; i < cmd->nr_list_blocks; i++)
		dma_pool_free(pool, cmd->list_blocks[i], cmd->list_dma[i]);
	cmd->nr_list_blocks = 0;
}

/*
 * DMA limits every queue of this controller shares (namespaces and admin):
 * what one command's PRPs (or SGLs) can describe.
 */
void rnv_map_queue_limits(struct rnv_ctrl *ctrl, struct queue_limits *lim)
{
	lim->max_hw_sectors = ctrl->max_xfer >> SECTOR_SHIFT;
	lim->max_segments = min_t(u32, RNV_MAX_SEGS, ctrl->max_xfer / ctrl->page_size + 1);
	/* PRPs cannot describe a gap inside a page: let blk-mq split there. */
	lim->virt_boundary_mask = ctrl->page_size - 1;
	/* PRP entries need dword alignment only (NVMe 2.0 §4.1.1). */
	lim->dma_alignment = 3;
}

/*
 * Descriptors per segment list: one page pool block always holds the whole
 * list, so no Segment descriptor chains lists together. The block layer
 * never builds a request of more than RNV_MAX_SEGS segments (the
 * max_segments above), and a controller page is at least 4 KiB (CAP.MPSMIN).
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
 * extra check: the virt boundary and dma_alignment of 3 (rnv_map_queue_limits) already make
 * every segment's address and length a multiple of four.
 */
static bool rnv_sgl_wanted(struct rnv_ctrl *ctrl, struct request *req, unsigned short nsegs)
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
static blk_status_t rnv_sgl_fill(struct rnv_ctrl *ctrl, struct request *req, int mapped)
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
	cmd->list_small = mapped * sizeof(*list) <= RNV_SMALL_POOL_SIZE;
	pool = cmd->list_small ? ctrl->list_small_pool : ctrl->list_page_pool;
	/* DMA: pool memory is coherent; the doorbell's writel orders the stores. */
	list = dma_pool_alloc(pool, GFP_ATOMIC, &list_dma);
	if (!list)
		return BLK_STS_RESOURCE;
	/* Owned by the command from here: rnv_list_blocks_free returns it. */
	cmd->list_blocks[0] = list;
	cmd->list_dma[0] = list_dma;
	cmd->nr_list_blocks = 1;

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

/*
 * Fast path: one segment that spans at most two controller pages needs no
 * scatterlist and no list, just PRP1 and PRP2 (NVMe 2.0 §4.1.1).
 */
static blk_status_t rnv_prp_map_bvec(struct rnv_ctrl *ctrl, struct request *req,
				     struct bio_vec *bv)
{
	struct rnv_cmd *cmd = rnv_cmd(req);
	unsigned int first = ctrl->page_size - (bv->bv_offset & (ctrl->page_size - 1));

	/* DMA: streaming map; the device may only touch it until unmap. */
	cmd->bvec_dma = dma_map_bvec(ctrl->dev, bv, rq_dma_dir(req), 0);
	if (dma_mapping_error(ctrl->dev, cmd->bvec_dma))
		return BLK_STS_RESOURCE;
	cmd->bvec_len = bv->bv_len;
	cmd->sqe.common.dptr.prp1 = cpu_to_le64(cmd->bvec_dma);
	if (bv->bv_len > first)
		cmd->sqe.common.dptr.prp2 = cpu_to_le64(cmd->bvec_dma + first);
	return BLK_STS_OK;
}

/* Get the next list page; on a full page, chain it through its last slot. */
static __le64 *rnv_prp_list_next(struct rnv_ctrl *ctrl, struct rnv_cmd *cmd,
				 struct dma_pool *pool)
{
	dma_addr_t dma;
	__le64 *list;

	if (cmd->nr_list_blocks == RNV_MAX_LIST_BLOCKS)
		return NULL;
	list = dma_pool_alloc(pool, GFP_ATOMIC, &dma);
	if (!list)
		return NULL;
	cmd->list_blocks[cmd->nr_list_blocks] = list;
	cmd->list_dma[cmd->nr_list_blocks] = dma;
	cmd->nr_list_blocks++;
	return list;
}

/*
 * Walk the mapped scatterlist one controller page at a time. PRP1 takes the
 * first (possibly unaligned) page, then either PRP2 holds the second page or
 * PRP2 points at a list. The block layer's virt boundary guarantees every
 * segment but the first starts, and every one but the last ends, on a page
 * boundary, which is exactly what PRPs can express.
 */
static blk_status_t rnv_prp_fill(struct rnv_ctrl *ctrl, struct request *req)
{
	struct rnv_cmd *cmd = rnv_cmd(req);
	u32 ps = ctrl->page_size;
	unsigned int per_page = ps / sizeof(__le64);
	struct scatterlist *sg = cmd->sgt.sgl;
	int len = blk_rq_payload_bytes(req);
	u64 dma = sg_dma_address(sg);
	int seg_len = sg_dma_len(sg);
	u32 off = dma & (ps - 1);
	struct dma_pool *pool;
	unsigned int i = 0, nprps;
	__le64 *list;

	cmd->sqe.common.dptr.prp1 = cpu_to_le64(dma);
	len -= ps - off;
	if (len <= 0)
		return BLK_STS_OK;
	seg_len -= ps - off;
	if (seg_len > 0) {
		dma += ps - off;
	} else {
		sg = sg_next(sg);
		if (seg_len < 0 || !sg)
			goto bad_sg;
		dma = sg_dma_address(sg);
		seg_len = sg_dma_len(sg);
	}
	if (len <= ps) {
		cmd->sqe.common.dptr.prp2 = cpu_to_le64(dma);
		return BLK_STS_OK;
	}

	nprps = DIV_ROUND_UP(len, ps);
	/*
	 * A passthrough data_len may exceed what the command transfers; the
	 * controller then reads PRP2 as a data page and writes through it. A
	 * page-sized list keeps such a write inside memory this command owns.
	 */
	cmd->list_small = nprps <= RNV_SMALL_POOL_SIZE / sizeof(__le64) &&
			 !blk_rq_is_passthrough(req);
	pool = cmd->list_small ? ctrl->list_small_pool : ctrl->list_page_pool;
	list = rnv_prp_list_next(ctrl, cmd, pool);
	if (!list)
		return BLK_STS_RESOURCE;
	cmd->sqe.common.dptr.prp2 = cpu_to_le64(cmd->list_dma[0]);

	for (;;) {
		if (i == per_page) {
			/* Full page: move its last entry to a new page, link it. */
			__le64 *prev = list;

			list = rnv_prp_list_next(ctrl, cmd, pool);
			if (!list)
				goto fail;
			list[0] = prev[per_page - 1];
			prev[per_page - 1] = cpu_to_le64(cmd->list_dma[cmd->nr_list_blocks - 1]);
			i = 1;
		}
		list[i++] = cpu_to_le64(dma);
		len -= ps;
		seg_len -= ps;
		if (len <= 0)
			break;
		if (seg_len > 0) {
			dma += ps;
			continue;
		}
		sg = sg_next(sg);
		if (seg_len < 0 || !sg)
			goto bad_sg;
		dma = sg_dma_address(sg);
		seg_len = sg_dma_len(sg);
	}
	return BLK_STS_OK;

bad_sg:
	dev_err_ratelimited(ctrl->dev,
			    "request of %u bytes in %d segments has a gap PRPs cannot describe\n",
			    blk_rq_payload_bytes(req), cmd->sgt.nents);
	rnv_list_blocks_free(ctrl, cmd);
	return BLK_STS_IOERR;
fail:
	rnv_list_blocks_free(ctrl, cmd);
	return BLK_STS_RESOURCE;
}

/*
 * Give the chained part of the scatterlist back. The table is freed by the
 * size it was allocated with, not the entries blk_rq_map_sg used.
 */
static void rnv_sg_free(struct rnv_cmd *cmd)
{
	cmd->sgt.orig_nents = cmd->sg_alloced;
	sg_free_table_chained(&cmd->sgt, RNV_INLINE_SG);
	cmd->sg_alloced = 0;
}

/*
 * Map a request's data for the device and fill the command's data pointer.
 * BLK_STS_RESOURCE means "try again later" (mapping space or pool exhausted);
 * any other error fails the request with a log line.
 */
blk_status_t rnv_map_data(struct rnv_ctrl *ctrl, struct request *req)
{
	struct rnv_cmd *cmd = rnv_cmd(req);
	unsigned short nsegs = blk_rq_nr_phys_segments(req);
	blk_status_t ret;
	int err;

	cmd->sg_alloced = 0;
	cmd->bvec_len = 0;
	cmd->nr_list_blocks = 0;
	if (nsegs == 1) {
		struct bio_vec bv = req_bvec(req);

		if ((bv.bv_offset & (ctrl->page_size - 1)) + bv.bv_len <= 2 * ctrl->page_size)
			return rnv_prp_map_bvec(ctrl, req, &bv);
	}
	if (WARN_ON_ONCE(nsegs > RNV_MAX_SEGS))
		return BLK_STS_IOERR;

	/*
	 * The scatterlist: RNV_INLINE_SG entries in the command, the rest
	 * chained from the kernel's sg pools (GFP_ATOMIC: queue_rq must not
	 * sleep; an empty pool means try again later).
	 */
	cmd->sgt.sgl = cmd->inline_sg;
	if (sg_alloc_table_chained(&cmd->sgt, nsegs, cmd->inline_sg, RNV_INLINE_SG))
		return BLK_STS_RESOURCE;
	cmd->sg_alloced = nsegs;
	cmd->sgt.orig_nents = blk_rq_map_sg(req, cmd->sgt.sgl);
	ret = BLK_STS_IOERR;
	if (!cmd->sgt.orig_nents)
		goto free_sg;
	/*
	 * DMA: scatter-gather streaming map; it may bounce (swiotlb) or merge
	 * entries (IOMMU), so the PRP walk reads the mapped entries
	 * (sgt.nents) and their lengths; unmap takes the table as mapped.
	 */
	err = dma_map_sgtable(ctrl->dev, &cmd->sgt, rq_dma_dir(req), DMA_ATTR_NO_WARN);
	if (err) {
		/*
		 * -EINVAL and -EREMOTEIO will not map on a retry; anything else
		 * is exhausted space: a full swiotlb comes back as -EIO from
		 * dma-direct, -ENOMEM from an IOMMU. Try again later.
		 */
		ret = err == -EINVAL || err == -EREMOTEIO ? BLK_STS_IOERR : BLK_STS_RESOURCE;
		goto free_sg;
	}
	/* Large segments, and a controller that has them: SGLs. */
	if (rnv_sgl_wanted(ctrl, req, nsegs))
		ret = rnv_sgl_fill(ctrl, req, cmd->sgt.nents);
	else
		ret = rnv_prp_fill(ctrl, req);
	if (ret == BLK_STS_OK)
		return ret;
	dma_unmap_sgtable(ctrl->dev, &cmd->sgt, rq_dma_dir(req), 0);
free_sg:
	rnv_sg_free(cmd);
	return ret;
}

/* The discard range: one small streaming mapping, device reads it. */
blk_status_t rnv_map_dsm(struct rnv_ctrl *ctrl, struct request *req)
{
	struct rnv_cmd *cmd = rnv_cmd(req);
	dma_addr_t dma;

	dma = dma_map_single(ctrl->dev, &cmd->dsm, sizeof(cmd->dsm), DMA_TO_DEVICE);
	if (dma_mapping_error(ctrl->dev, dma))
		return BLK_STS_RESOURCE;
	cmd->dsm_dma = dma;
	cmd->sqe.dsm.dptr.prp1 = cpu_to_le64(dma);
	return BLK_STS_OK;
}

/*
 * Undo rnv_map_data once the device is done. DMA: the unmap is the sync for
 * the CPU: it copies bounce buffers back and invalidates caches for reads.
 */
void rnv_unmap_data(struct rnv_ctrl *ctrl, struct request *req)
{
	struct rnv_cmd *cmd = rnv_cmd(req);

	if (cmd->dsm_dma) {
		dma_unmap_single(ctrl->dev, cmd->dsm_dma, sizeof(cmd->dsm), DMA_TO_DEVICE);
		cmd->dsm_dma = 0;
	}
	if (cmd->bvec_len) {
		dma_unmap_page(ctrl->dev, cmd->bvec_dma, cmd->bvec_len, rq_dma_dir(req));
		cmd->bvec_len = 0;
		return;
	}
	if (!cmd->sg_alloced)
		return;
	rnv_list_blocks_free(ctrl, cmd);
	dma_unmap_sgtable(ctrl->dev, &cmd->sgt, rq_dma_dir(req), 0);
	rnv_sg_free(cmd);
}
