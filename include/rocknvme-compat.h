/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rocknvme follows the kernel: the driver body is written against the
 * newest block and NVMe API (Debian's 7.3), and this header is the one
 * place that knows older kernels. Each shim below names the release that
 * changed the API and gives the new call its old meaning, so the .c files
 * of driver/ have no version tests. When the oldest kernel we support
 * moves past a release, its shims are deleted and nothing else changes.
 *
 * Built and tested against 6.1, 6.12 and 7.3. A release marked "by" was
 * only bracketed by those builds (the exact upstream release was not
 * checked here); kernels in between are not tested.
 */
#ifndef ROCKNVME_COMPAT_H
#define ROCKNVME_COMPAT_H

#include <linux/blk-mq.h>
#include <linux/blkdev.h>
#include <linux/device.h>
#include <linux/nvme.h>
#include <linux/pci.h>
#include <linux/version.h>

/* The one version test: is the kernel we build against older than major.minor? */
#define RNV_BEFORE(major, minor)	(LINUX_VERSION_CODE < KERNEL_VERSION(major, minor, 0))

/* 6.4: class_create() lost its module argument. */
#if RNV_BEFORE(6, 4)
#undef class_create
#define class_create(name)						\
({									\
	static struct lock_class_key rnv_class_key;			\
									\
	__class_create(THIS_MODULE, name, &rnv_class_key);		\
})
#endif

/*
 * 6.4: the PCI core enables AER error reporting (Device Control) for every
 * device, and drivers' calls went away. Before, the driver asks for it:
 * without it the device never reports an uncorrectable error, and PCI
 * error recovery never runs.
 */
#if RNV_BEFORE(6, 4)
#include <linux/aer.h>
static inline void rnv_enable_error_reporting(struct pci_dev *pdev)
{
	pci_enable_pcie_error_reporting(pdev);
}

static inline void rnv_disable_error_reporting(struct pci_dev *pdev)
{
	pci_disable_pcie_error_reporting(pdev);
}
#else
static inline void rnv_enable_error_reporting(struct pci_dev *pdev)
{
}

static inline void rnv_disable_error_reporting(struct pci_dev *pdev)
{
}
#endif

/* 6.5: block_device_operations take a blk_mode_t instead of fmode_t. */
#if RNV_BEFORE(6, 5)
#define blk_mode_t	fmode_t
#endif

/*
 * 6.9: queue limits are handed over whole when the queue is made
 * (blk_mq_alloc_disk, blk_mq_alloc_queue) or updated between
 * queue_limits_start_update() and queue_limits_commit_update(); the
 * blk_queue_* setters went away in the releases after. Before 6.9 the
 * same limits are applied with those setters; a zero field keeps the
 * block layer's default, as it does in 6.9's queue_limits.
 */
#if RNV_BEFORE(6, 9)
static inline void rnv_compat_set_limits(struct request_queue *q,
					 const struct queue_limits *lim)
{
	if (!lim)
		return;
	if (lim->logical_block_size)
		blk_queue_logical_block_size(q, lim->logical_block_size);
	if (lim->physical_block_size)
		blk_queue_physical_block_size(q, lim->physical_block_size);
	if (lim->io_min)
		blk_queue_io_min(q, lim->io_min);
	if (lim->max_hw_sectors)
		blk_queue_max_hw_sectors(q, lim->max_hw_sectors);
	if (lim->max_segments)
		blk_queue_max_segments(q, lim->max_segments);
	if (lim->virt_boundary_mask)
		blk_queue_virt_boundary(q, lim->virt_boundary_mask);
	if (lim->dma_alignment)
		blk_queue_dma_alignment(q, lim->dma_alignment);
	if (lim->discard_granularity)
		q->limits.discard_granularity = lim->discard_granularity;
	if (lim->max_hw_discard_sectors)
		blk_queue_max_discard_sectors(q, lim->max_hw_discard_sectors);
	if (lim->max_discard_segments)
		blk_queue_max_discard_segments(q, lim->max_discard_segments);
	if (lim->max_write_zeroes_sectors)
		blk_queue_max_write_zeroes_sectors(q, lim->max_write_zeroes_sectors);
}

static inline struct queue_limits
queue_limits_start_update(struct request_queue *q)
{
	return q->limits;
}

static inline int queue_limits_commit_update(struct request_queue *q,
					     struct queue_limits *lim)
{
	rnv_compat_set_limits(q, lim);
	return 0;
}

static inline struct gendisk *
rnv_compat_alloc_disk(struct blk_mq_tag_set *set, const struct queue_limits *lim,
		      void *queuedata, struct lock_class_key *key)
{
	struct gendisk *disk = __blk_mq_alloc_disk(set, queuedata, key);

	if (!IS_ERR(disk))
		rnv_compat_set_limits(disk->queue, lim);
	return disk;
}

#undef blk_mq_alloc_disk
#define blk_mq_alloc_disk(set, lim, queuedata)				\
({									\
	static struct lock_class_key rnv_disk_key;			\
									\
	rnv_compat_alloc_disk(set, lim, queuedata, &rnv_disk_key);	\
})

static inline struct request_queue *
blk_mq_alloc_queue(struct blk_mq_tag_set *set, const struct queue_limits *lim,
		   void *queuedata)
{
	struct request_queue *q = blk_mq_init_queue(set);

	if (!IS_ERR(q)) {
		q->queuedata = queuedata;
		rnv_compat_set_limits(q, lim);
	}
	return q;
}
#endif

/*
 * 6.11: a volatile write cache, FUA and rotation are queue_limits features
 * (BLK_FEAT_*); non-rotational became the default. Before, they were queue
 * flags set on the live queue. rnv_disk_set_features() sets @features on a
 * disk that is not added yet, on either side of the change.
 */
#if !RNV_BEFORE(6, 11)
static inline int rnv_disk_set_features(struct gendisk *disk, blk_features_t features)
{
	struct queue_limits lim = queue_limits_start_update(disk->queue);

	lim.features |= features;
	return queue_limits_commit_update(disk->queue, &lim);
}
#else
#define blk_features_t		unsigned int
#define BLK_FEAT_WRITE_CACHE	BIT(0)
#define BLK_FEAT_FUA		BIT(1)
#define BLK_FEAT_ROTATIONAL	BIT(2)

static inline int rnv_disk_set_features(struct gendisk *disk, blk_features_t features)
{
	blk_queue_write_cache(disk->queue, features & BLK_FEAT_WRITE_CACHE,
			      features & BLK_FEAT_FUA);
	if (!(features & BLK_FEAT_ROTATIONAL))
		blk_queue_flag_set(QUEUE_FLAG_NONROT, disk->queue);
	return 0;
}
#endif

/*
 * By 6.12: status 0x183 has its NVMe 2.0 name, Command Size Limit Exceeded;
 * older kernels called it NVME_SC_ONCS_NOT_SUPPORTED.
 */
#if RNV_BEFORE(6, 12)
#define NVME_SC_CMD_SIZE_LIM_EXCEEDED	NVME_SC_ONCS_NOT_SUPPORTED
#endif

/*
 * 6.13: struct rq_list replaced the bare request pointer, and
 * rq_list_empty() became a function taking the list's address. Tested
 * by the old macro rather than by version: 6.12.y has the new list too.
 */
#ifdef rq_list_empty
#undef rq_list_empty
#define rq_list_empty(list)	(*(list) == NULL)
#endif

/*
 * 6.13: a freeze started in one task and ended in another (suspend, then
 * resume or reset) uses the _non_owner calls, which lockdep accepts.
 */
#if RNV_BEFORE(6, 13)
static inline void rnv_compat_unfreeze_non_owner(struct request_queue *q)
{
	blk_mq_unfreeze_queue(q);
}

#define blk_freeze_queue_start_non_owner(q)	blk_freeze_queue_start(q)
#define blk_mq_unfreeze_queue_non_owner(q)	rnv_compat_unfreeze_non_owner(q)
#endif

/*
 * 6.14: blk_mq_freeze_queue() enters a no-I/O memory allocation scope and
 * returns the flags that blk_mq_unfreeze_queue() restores.
 */
#if RNV_BEFORE(6, 14)
static inline unsigned int rnv_compat_freeze_queue(struct request_queue *q)
{
	blk_mq_freeze_queue(q);
	return 0;
}

static inline void rnv_compat_unfreeze_queue(struct request_queue *q,
					     unsigned int memflags)
{
	blk_mq_unfreeze_queue(q);
}

#define blk_mq_freeze_queue(q)			rnv_compat_freeze_queue(q)
#define blk_mq_unfreeze_queue(q, memflags)	rnv_compat_unfreeze_queue(q, memflags)
#endif

/*
 * 6.14: blk_mq_map_hw_queues() maps queues from any bus's IRQ affinity;
 * the PCI-only blk_mq_pci_map_queues() and <linux/blk-mq-pci.h> went away
 * after it. Also 6.14: every tag set may merge; before, a set had to ask
 * with BLK_MQ_F_SHOULD_MERGE, which the shim does for every set.
 */
#if RNV_BEFORE(6, 14)
#include <linux/blk-mq-pci.h>
#define blk_mq_map_hw_queues(qmap, dev, offset)				\
	blk_mq_pci_map_queues(qmap, to_pci_dev(dev), offset)

static inline int rnv_compat_alloc_tag_set(struct blk_mq_tag_set *set)
{
	set->flags |= BLK_MQ_F_SHOULD_MERGE;
	return blk_mq_alloc_tag_set(set);
}

#define blk_mq_alloc_tag_set(set)	rnv_compat_alloc_tag_set(set)
#endif

/* 6.15: blk_rq_map_sg() takes the request only (it knows its queue). */
#if RNV_BEFORE(6, 15)
static inline int rnv_compat_rq_map_sg(struct request *rq, struct scatterlist *sglist)
{
	return blk_rq_map_sg(rq->q, rq, sglist);
}

#define blk_rq_map_sg(rq, sglist)	rnv_compat_rq_map_sg(rq, sglist)
#endif

/* 6.16: blk_rq_map_kern() takes the request only, likewise. */
#if RNV_BEFORE(6, 16)
static inline int rnv_compat_rq_map_kern(struct request *rq, void *kbuf,
					 unsigned int len, gfp_t gfp)
{
	return blk_rq_map_kern(rq->q, rq, kbuf, len, gfp);
}

#define blk_rq_map_kern(rq, kbuf, len, gfp)				\
	rnv_compat_rq_map_kern(rq, kbuf, len, gfp)
#endif

/*
 * By 7.3 (after 6.16; tested at 7.0, which is an assumption): a request's
 * end_io also gets the completion batch it is ended from, or NULL.
 * RNV_END_IO_ARGS declares a handler either way; ours ignores the batch.
 */
#if RNV_BEFORE(7, 0)
#define RNV_END_IO_ARGS(rq, error)	struct request *(rq), blk_status_t (error)
#else
#define RNV_END_IO_ARGS(rq, error)					\
	struct request *(rq), blk_status_t (error),			\
	const struct io_comp_batch *iob __always_unused
#endif

#endif /* ROCKNVME_COMPAT_H */
