/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rocknvme is written against the newest kernel API. Each shim below gives
 * an older kernel what a newer one has, and names the release that
 * changed it; the driver body has no version tests.
 */
#ifndef ROCKNVME_COMPAT_H
#define ROCKNVME_COMPAT_H

#include <linux/blk-mq.h>
#include <linux/version.h>

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 2, 0)
/* 6.2: quiesce every request queue of a tag set in one call. */
static inline void blk_mq_quiesce_tagset(struct blk_mq_tag_set *set)
{
	struct request_queue *q;

	mutex_lock(&set->tag_list_lock);
	list_for_each_entry(q, &set->tag_list, tag_set_list)
		blk_mq_quiesce_queue(q);
	mutex_unlock(&set->tag_list_lock);
}

static inline void blk_mq_unquiesce_tagset(struct blk_mq_tag_set *set)
{
	struct request_queue *q;

	mutex_lock(&set->tag_list_lock);
	list_for_each_entry(q, &set->tag_list, tag_set_list)
		blk_mq_unquiesce_queue(q);
	mutex_unlock(&set->tag_list_lock);
}
#endif

#endif /* ROCKNVME_COMPAT_H */
