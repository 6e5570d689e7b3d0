// SPDX-License-Identifier: GPL-2.0
/*
 * Data mapping: a request's pages become PRP1/PRP2 or a PRP list, or an
 * SGL (sgl.c) when the controller has them and the segments are large.
 * Streaming DMA only (dma_map_bvec, dma_map_sgtable); PRP lists and SGL
 * segments come from two dma_pools, and scatterlists longer than two
 * entries from the kernel's chained sg pools. Owns
 * nothing else: the command itself is built in blk.c and submitted by
 * queue.c.
 */
#include "rocknvme.h"

int rnv_prp_pools_create(struct rnv_ctrl *ctrl)
{
	/* A list must not cross a controller page: align each to its size. */
	ctrl->prp_page_pool = dma_pool_create("rocknvme-prp-page", ctrl->dev,
					      ctrl->page_size, ctrl->page_size, 0);
	if (!ctrl->prp_page_pool)
		return -ENOMEM;
	ctrl->prp_small_pool = dma_pool_create("rocknvme-prp-256", ctrl->dev,
					       RNV_SMALL_POOL_SIZE,
					       RNV_SMALL_POOL_SIZE, 0);
	if (!ctrl->prp_small_pool)
		goto destroy_page_pool;
	return 0;

destroy_page_pool:
	dma_pool_destroy(ctrl->prp_page_pool);
	ctrl->prp_page_pool = NULL;
	return -ENOMEM;
}

void rnv_prp_pools_destroy(struct rnv_ctrl *ctrl)
{
	dma_pool_destroy(ctrl->prp_small_pool);
	dma_pool_destroy(ctrl->prp_page_pool);
	ctrl->prp_small_pool = NULL;
	ctrl->prp_page_pool = NULL;
}

static void rnv_prp_lists_free(struct rnv_ctrl *ctrl, struct rnv_cmd *cmd)
{
	struct dma_pool *pool = cmd->prp_small ? ctrl->prp_small_pool :
						 ctrl->prp_page_pool;
	int i;

	for (i = 0; i < cmd->prp_pages; i++)
		dma_pool_free(pool, cmd->prp_list[i], cmd->prp_dma[i]);
	cmd->prp_pages = 0;
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

	if (cmd->prp_pages == RNV_MAX_PRP_PAGES)
		return NULL;
	list = dma_pool_alloc(pool, GFP_ATOMIC, &dma);
	if (!list)
		return NULL;
	cmd->prp_list[cmd->prp_pages] = list;
	cmd->prp_dma[cmd->prp_pages] = dma;
	cmd->prp_pages++;
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
	cmd->prp_small = nprps <= RNV_SMALL_POOL_SIZE / sizeof(__le64) &&
			 !blk_rq_is_passthrough(req);
	pool = cmd->prp_small ? ctrl->prp_small_pool : ctrl->prp_page_pool;
	list = rnv_prp_list_next(ctrl, cmd, pool);
	if (!list)
		return BLK_STS_RESOURCE;
	cmd->sqe.common.dptr.prp2 = cpu_to_le64(cmd->prp_dma[0]);

	for (;;) {
		if (i == per_page) {
			/* Full page: move its last entry to a new page, link it. */
			__le64 *prev = list;

			list = rnv_prp_list_next(ctrl, cmd, pool);
			if (!list)
				goto fail;
			list[0] = prev[per_page - 1];
			prev[per_page - 1] = cpu_to_le64(cmd->prp_dma[cmd->prp_pages - 1]);
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
	rnv_prp_lists_free(ctrl, cmd);
	return BLK_STS_IOERR;
fail:
	rnv_prp_lists_free(ctrl, cmd);
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
blk_status_t rnv_prp_map(struct rnv_ctrl *ctrl, struct request *req)
{
	struct rnv_cmd *cmd = rnv_cmd(req);
	unsigned short nsegs = blk_rq_nr_phys_segments(req);
	blk_status_t ret;
	int err;

	cmd->sg_alloced = 0;
	cmd->bvec_len = 0;
	cmd->prp_pages = 0;
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
	/* Large segments, and a controller that has them: SGLs (sgl.c). */
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
blk_status_t rnv_prp_map_dsm(struct rnv_ctrl *ctrl, struct request *req)
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
 * Undo rnv_prp_map once the device is done. DMA: the unmap is the sync for
 * the CPU: it copies bounce buffers back and invalidates caches for reads.
 */
void rnv_prp_unmap(struct rnv_ctrl *ctrl, struct request *req)
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
	rnv_prp_lists_free(ctrl, cmd);
	dma_unmap_sgtable(ctrl->dev, &cmd->sgt, rq_dma_dir(req), 0);
	rnv_sg_free(cmd);
}
