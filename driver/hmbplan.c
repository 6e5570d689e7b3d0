// SPDX-License-Identifier: GPL-2.0
/*
 * How a Host Memory Buffer is cut into chunks: a pure function (no kernel
 * calls; the allocator comes in as callbacks), so that
 * tests/unit/test_hmb.c runs it on the host against simulated memory.
 * power.c supplies dma_alloc_attrs behind the callbacks.
 *
 * Large physically contiguous allocations are what fails first on a
 * machine that has been up for a while, so the plan starts with the
 * largest chunk and halves it after every failed attempt, down to the
 * controller's minimum descriptor size (HMMINDS). An attempt fails when an
 * allocation fails before anything was allocated, or when what it got is
 * less than HMMIN; the controller's descriptor limit (HMMAXD) caps the
 * number of chunks, so small chunks may add up to less than preferred.
 */
#include "rnv_power.h"

static u64 rnv_round_up(u64 n, u64 unit)
{
	return (n + unit - 1) / unit * unit;
}

/* One attempt with chunks of @chunk bytes; returns the bytes allocated. */
static u64 rnv_hmb_try(const struct rnv_hmb_req *req, const struct rnv_hmb_ops *ops,
		       void *ctx, u64 chunk, u32 *nr)
{
	u64 want = rnv_round_up(req->preferred, req->page_size);
	u64 n = (want + chunk - 1) / chunk, size = 0;
	u32 i;

	if (n > req->max_descs)
		n = req->max_descs;
	*nr = 0;
	if (!ops->start(ctx, (u32)n))
		return 0;
	for (i = 0; i < n && size < want; i++) {
		u64 len = want - size < chunk ? want - size : chunk;

		if (!ops->alloc(ctx, i, len))
			break;
		size += len;
	}
	*nr = i;
	return size;
}

/*
 * Plan and allocate: returns the bytes allocated in *@nr_chunks chunks, or
 * 0 with nothing left allocated when no attempt reached the minimum.
 */
u64 rnv_hmb_plan(const struct rnv_hmb_req *req, const struct rnv_hmb_ops *ops, void *ctx,
		 u32 *nr_chunks)
{
	u64 chunk, min_chunk, size;
	u32 nr;

	*nr_chunks = 0;
	if (!req->preferred || !req->page_size || !req->max_descs || req->min > req->preferred)
		return 0;
	min_chunk = rnv_round_up(req->min_chunk ? req->min_chunk : req->page_size,
				 req->page_size);
	chunk = req->max_chunk < req->preferred ? req->max_chunk : req->preferred;
	chunk = chunk / req->page_size * req->page_size;
	for (; chunk && chunk >= min_chunk; chunk = chunk / 2 / req->page_size * req->page_size) {
		size = rnv_hmb_try(req, ops, ctx, chunk, &nr);
		if (size && size >= req->min) {
			*nr_chunks = nr;
			return size;
		}
		ops->undo(ctx, nr);
	}
	return 0;
}

/*
 * Write descriptor @desc for a chunk at bus address @addr of @len bytes:
 * ADDR (bytes 7:0) and BSIZE in controller pages (bytes 11:8), little
 * endian, bytes 15:12 reserved (NVMe 2.0 Figure 388). Byte by byte, so it
 * means the same on any host; power.c checks that this is the layout of
 * <linux/nvme.h>'s struct nvme_host_mem_buf_desc.
 */
void rnv_hmb_desc(void *desc, u64 addr, u64 len, u32 page_size)
{
	u8 *d = desc;
	u64 pages = len / page_size;
	int i;

	for (i = 0; i < 8; i++)
		d[i] = (u8)(addr >> (8 * i));
	for (i = 0; i < 4; i++)
		d[8 + i] = (u8)(pages >> (8 * i));
	for (i = 12; i < RNV_HMB_DESC_SIZE; i++)
		d[i] = 0;
}
