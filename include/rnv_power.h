/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rocknvme: what the drives owners buy need (power.c, quirks.c), and the
 * two pure builders behind it (apst.c, hmbplan.c).
 *
 * The pure part, up to "kernel only" below, compiles in the kernel and with
 * the host's gcc (tests/unit/): it has no kernel calls, and takes plain
 * numbers, already in CPU byte order, instead of <linux/nvme.h> structs.
 */
#ifndef RNV_POWER_H
#define RNV_POWER_H

/* Host unit tests get u8, u32, u64 and bool from tests/unit/kernel_types.h. */
#ifdef __KERNEL__
#include <linux/types.h>
#endif

/*
 * Autonomous Power State Transition (NVMe 2.0 §5.27.1.6). The table has 32
 * entries, one per power state; entry N says where state N goes when idle:
 * bits 7:3 ITPS (target state), bits 31:8 ITPT (idle time, ms).
 */
#define RNV_APST_ENTRIES	32
#define RNV_APST_ITPS_SHIFT	3
#define RNV_APST_ITPT_SHIFT	8
#define RNV_APST_ITPT_MAX	((1u << 24) - 1)
/*
 * Idle times chosen as the in-kernel driver does by default (6.1): a state
 * whose entry + exit latency is at most 15 ms is entered after 100 ms idle,
 * one of at most 100 ms after 2 s; at most one state of each kind is used.
 */
#define RNV_APST_PRIMARY_TOL_US		15000
#define RNV_APST_PRIMARY_MS		100
#define RNV_APST_SECONDARY_TOL_US	100000
#define RNV_APST_SECONDARY_MS		2000

/* One power state descriptor, as the table builder needs it. */
struct rnv_ps {
	u32 enlat_us;		/* ENLAT: entry latency */
	u32 exlat_us;		/* EXLAT: exit latency */
	bool non_op;		/* NOPS: non-operational state */
};

int rnv_apst_build(const struct rnv_ps *ps, unsigned int npss, u64 max_latency_us,
		   bool no_deepest, u64 table[RNV_APST_ENTRIES]);

/*
 * Host Memory Buffer (NVMe 2.0 §5.27.1.10) chunk plan. Sizes in bytes;
 * every chunk is a multiple of @page_size (the controller's memory page,
 * the unit of the descriptors).
 */
struct rnv_hmb_req {
	u64 preferred;		/* HMPRE, capped by max_host_mem_size_mb */
	u64 min;		/* HMMIN: less is useless; 0 = any amount */
	u64 max_chunk;		/* the largest single allocation to try */
	u64 min_chunk;		/* HMMINDS, or what the host thinks worth it */
	u32 max_descs;		/* HMMAXD, or the host's own limit; not 0 */
	u32 page_size;
};

/*
 * The allocator behind the plan: start(n) before an attempt with at most
 * n chunks, alloc(i, len) for chunk i, undo(n) to free chunks 0..n-1 and
 * what start() took when an attempt is given up.
 */
struct rnv_hmb_ops {
	bool (*start)(void *ctx, u32 nr);
	bool (*alloc)(void *ctx, u32 i, u64 len);
	void (*undo)(void *ctx, u32 nr);
};

u64 rnv_hmb_plan(const struct rnv_hmb_req *req, const struct rnv_hmb_ops *ops, void *ctx,
		 u32 *nr_chunks);

/* One Host Memory Buffer descriptor as the controller reads it: 16 bytes. */
#define RNV_HMB_DESC_SIZE	16
void rnv_hmb_desc(void *desc, u64 addr, u64 len, u32 page_size);

#ifdef __KERNEL__
/* ---- kernel only ---- */
#include <linux/mutex.h>
#include <linux/nvme.h>

struct rnv_ctrl;
struct dentry;

/*
 * Quirks: our own bits (the in-kernel driver's NVME_QUIRK_* are private to
 * drivers/nvme/host/nvme.h). The quirks= parameter takes them in hex.
 */
#define RNV_QUIRK_NO_APST		0x01	/* APST makes the drive fail */
#define RNV_QUIRK_NO_DEEPEST_PS		0x02	/* never enter the deepest state */
#define RNV_QUIRK_NO_WRITE_ZEROES	0x04	/* Write Zeroes is broken */
#define RNV_QUIRK_DELAY_RDY		0x08	/* wait 2.3 s after CC.EN=0 */
#define RNV_QUIRK_BOGUS_NID		0x10	/* NGUID/EUI-64 are not unique */
#define RNV_QUIRK_BROKEN_MSI		0x20	/* MSI never fires: MSI-X or INTx */
#define RNV_QUIRK_ALL			0x3f
#define RNV_QUIRK_RDY_DELAY_MS		2300

/* Per-controller state, embedded in struct rnv_ctrl as pwr. */
struct rnv_power {
	u32 quirks;			/* applied: table, then quirks= */
	/* APST: what was sent last, for debugfs */
	int apst_status;		/* -EOPNOTSUPP: not supported; or as rnv_submit_sync */
	bool apst_on;			/* APSTE sent as 1 */
	int apst_max_ps;		/* deepest target state, -1 = none */
	__le64 apst_table[RNV_APST_ENTRIES];
	/* HMB: chunks the device owns while hmb_on, freed only at remove */
	struct mutex hmb_lock;
	struct rnv_hmb_chunk *hmb_chunks;
	u32 hmb_nr;			/* chunks allocated (and descriptors) */
	u64 hmb_size;			/* bytes in them */
	struct nvme_host_mem_buf_desc *hmb_descs;	/* DMA: coherent, read by device */
	dma_addr_t hmb_descs_dma;
	u32 hmb_descs_max;		/* entries hmb_descs has room for */
	bool hmb_on;			/* EHM=1 accepted since the last enable */
	unsigned int hmb_refused;	/* Set Features refused, for the tests */
};

/* quirks.c: known drives, the quirks= parameter, sysfs */
void rnv_quirks_init(struct rnv_ctrl *ctrl);
void rnv_quirks_identify(struct rnv_ctrl *ctrl);
unsigned int rnv_quirk_irq_types(struct rnv_ctrl *ctrl);
void rnv_quirk_delay_rdy(struct rnv_ctrl *ctrl);
void rnv_quirk_ns_ids(struct rnv_ctrl *ctrl, struct nvme_id_ns *id);
extern const struct attribute_group rnv_power_attr_group;
extern const struct kernel_param_ops rnv_quirks_param_ops;

/* power.c: APST and Host Memory Buffer */
void rnv_power_init(struct rnv_ctrl *ctrl);
void rnv_power_config(struct rnv_ctrl *ctrl);
void rnv_hmb_disable(struct rnv_ctrl *ctrl);
void rnv_hmb_free(struct rnv_ctrl *ctrl);
void rnv_power_debugfs(struct rnv_ctrl *ctrl, struct dentry *dir);
#endif /* __KERNEL__ */

#endif /* RNV_POWER_H */
