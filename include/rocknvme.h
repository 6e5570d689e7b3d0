/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rocknvme: the driver's own objects and the cross-file API, grouped by file.
 *
 * The NVMe spec (registers, commands, identify data) comes from the kernel's
 * <linux/nvme.h>; nothing here redefines it. Names starting rnv_ are ours,
 * nvme_ are the spec's or the kernel's.
 *
 * Layers, top to bottom. A file calls only files on lines below its own;
 * files on one line do not call each other. tests/lint.sh checks this on
 * the compiled objects (tests/lib/layers.sh reads this list). The one call
 * up is the async event completion, as in every NVMe driver: queue.c's
 * completion path hands the event to ns.c (rnv_aer_complete).
 *
 *   pci.c                     PCI driver: module init, probe, remove, errors
 *   chardev.c debugfs.c hwmon.c   user interfaces: /dev node, ioctls, debugfs
 *   blk.c                     blk-mq entry points: queue_rq, complete, timeout
 *   reset.c                   state machine, stop, reset, kill, suspend
 *   ns.c                      namespaces, disks, async events
 *   sysfs.c ctrl.c            tools' attributes; CC/CSTS, I/O queue setup
 *   power.c                   APST, Host Memory Buffer
 *   queue.c                   rings, doorbells, submit, reap
 *   dbbuf.c                   shadow doorbells
 *   admin.c                   synchronous admin commands
 *   map.c ctrl_life.c         data mapping; instance, allocation, free
 *   params.c                  module parameters
 *   quirks.c faults.c apst.c hmbplan.c   leaves: they call none of ours
 */
#ifndef ROCKNVME_H
#define ROCKNVME_H

#include <linux/blk-mq.h>
#include <linux/cdev.h>
#include <linux/dmapool.h>
#include <linux/interrupt.h>
#include <linux/jump_label.h>
#include <linux/moduleparam.h>
#include <linux/nvme.h>
#include <linux/pci.h>
#include "rnv_power.h"

#include "rocknvme-compat.h"

#define RNV_NAME		"rocknvme"
#define RNV_ADMIN_DEPTH		32	/* admin SQ/CQ entries */
#define RNV_MINORS		256	/* controllers: instances and /dev minors */
#define RNV_MAX_XFER		(4u << 20)	/* bytes; cap when MDTS is 0 or larger */
#define RNV_MAX_SEGS		128	/* data segments per request */
#define RNV_INLINE_SG		2	/* scatterlist entries in each rnv_cmd; more are chained */
#define RNV_MAX_LIST_BLOCKS	4	/* chained PRP list pages: 4 MiB needs 3 */
#define RNV_SMALL_POOL_SIZE	256	/* bytes: PRP lists of up to 32 entries */
#define RNV_ADMIN_TIMEOUT	(60 * HZ)
#define RNV_MAX_RETRIES		5	/* replays of one request before it fails */
#define RNV_AER_CID		(RNV_ADMIN_DEPTH - 1)	/* above every admin tag */
#define RNV_MAX_DISCARD_SECTORS	(4096u * 1024)	/* 2 GiB per Dataset Management */
#define RNV_SHUTDOWN_MIN_MS	5000	/* CC.SHN wait when RTD3E says less or nothing */
#define RNV_SHUTDOWN_MAX_MS	60000	/* and at most, whatever RTD3E says */
#define RNV_AER_MAX_ERRORS	8	/* failed event requests re-armed before giving up */

/*
 * Command identifiers: the blk-mq tag in the low 12 bits (queues are at
 * most 4096 deep), a per-request generation in the top 4, so a stale or
 * duplicated completion is recognised instead of ending the slot's next
 * user (NVMe lets the host choose CIDs freely).
 */
#define RNV_CID_TAG_BITS	12
#define RNV_CID_TAG_MASK	((1u << RNV_CID_TAG_BITS) - 1)
#define RNV_CID_GEN_MASK	0xf

/*
 * Identify Controller SGLS bits 1:0 (NVMe 2.0 base spec). 6.1's
 * <linux/nvme.h> has the sgls field but no names for its values.
 */
#define RNV_SGLS_MASK		0x3
#define RNV_SGLS_NONE		0x0	/* no SGLs for NVM commands */
#define RNV_SGLS_BYTE		0x1	/* SGLs, no alignment requirement */
#define RNV_SGLS_DWORD		0x2	/* SGLs, dword aligned data blocks */
#define RNV_SGL_OFF		RNV_MAX_XFER	/* sgl_threshold that never matches */

/* Controller states; transitions in reset.c (rnv_change_state). */
enum rnv_state {
	RNV_NEW,		/* probing */
	RNV_LIVE,		/* I/O flows */
	RNV_RESETTING,		/* reset, FLR or suspend owns the controller */
	RNV_DEAD,		/* failed for good: all I/O fails at once; terminal */
	RNV_DELETING,		/* remove is tearing down a working controller */
};

/* How rnv_ctrl_stop leaves the controller (reset.c). */
enum rnv_stop {
	RNV_STOP_RESET,		/* CC.EN=0, outstanding I/O replayed after restart */
	RNV_STOP_SHUTDOWN,	/* CC.SHN (suspend, power off), I/O replayed on resume */
	RNV_STOP_KILL,		/* dead: outstanding and future I/O fail */
};

/* One submission/completion queue pair with its coherent rings. */
struct rnv_queue {
	struct rnv_ctrl *ctrl;
	spinlock_t sq_lock;		/* SQ slot copy, tail and SQ doorbell */
	struct nvme_command *sqes;	/* DMA: coherent ring, CPU writes only */
	struct nvme_completion *cqes;	/* DMA: coherent ring, device writes only */
	dma_addr_t sq_dma;
	dma_addr_t cq_dma;
	u32 __iomem *sq_db;
	u32 __iomem *cq_db;
	__le32 *dbbuf_sq_db;		/* shadow doorbell slots (dbbuf.c), or NULL */
	__le32 *dbbuf_cq_db;
	__le32 *dbbuf_sq_ei;		/* the controller's EventIdx for them */
	__le32 *dbbuf_cq_ei;
	bool cq_db_always;		/* INTx: CQ head by MMIO too (dbbuf.c) */
	struct blk_mq_tags *tags;	/* CID -> request lookup */
	u16 qid;
	u16 depth;
	u16 sq_tail;
	u16 last_sq_tail;		/* tail the device was last told about */
	u16 cq_head;
	u8 cq_phase;
	bool live;			/* created on the device, accepting I/O */
	int irq;			/* Linux IRQ number, or -1 when none requested */
	char irq_name[24];		/* rocknvme<N>q<qid>, as /proc/interrupts shows */
	spinlock_t cq_lock;		/* reaping from more than the IRQ (timeouts) */
	u64 submitted;
	u64 completed;
	u64 interrupts;
	u64 sq_mmio;			/* MMIO doorbell writes: what shadows save */
	u64 cq_mmio;
};

/* Per-request state: blk-mq's PDU, so the I/O path allocates nothing. */
struct rnv_cmd {
	struct nvme_command sqe;
	struct rnv_queue *q;
	union nvme_result result;
	int status;			/* NVMe status (>= 0) or -errno from the host */
	u8 retries;			/* replays so far (reset, retryable status) */
	bool aborted;			/* an Abort was sent after a timeout */
	bool in_batch;			/* reaped into a batch: its caller ends it */
	bool from_user;			/* passthrough ioctl, not the driver's own */
	u8 genctr;			/* CID generation of the current dispatch */
	unsigned short sg_alloced;	/* entries in sgt (inline + chained), 0 = none */
	dma_addr_t bvec_dma;		/* single-segment fast path mapping */
	unsigned int bvec_len;		/* 0 = no fast path mapping */
	/*
	 * List blocks from the dma_pools (map.c): PRP list pages, chained
	 * through their last entry, or the one SGL segment of descriptors.
	 */
	int nr_list_blocks;
	bool list_small;		/* blocks came from the 256 B pool */
	void *list_blocks[RNV_MAX_LIST_BLOCKS];
	dma_addr_t list_dma[RNV_MAX_LIST_BLOCKS];
	struct nvme_dsm_range dsm;	/* DMA: the one discard range, to device */
	dma_addr_t dsm_dma;		/* 0 = not mapped */
	/*
	 * Multi-segment data: the first RNV_INLINE_SG scatterlist entries live
	 * here, longer lists come from the kernel's chained sg pools.
	 */
	struct sg_table sgt;
	struct scatterlist inline_sg[RNV_INLINE_SG];
};

/* One active namespace and its disk. */
struct rnv_ns {
	struct list_head entry;		/* ctrl->namespaces, alloc to after del_gendisk */
	struct list_head remove_entry;	/* on a scan's list of disks to delete */
	struct rnv_ctrl *ctrl;
	struct gendisk *disk;
	u32 nsid;
	u8 lba_shift;
	bool frozen;			/* by a suspend or passthrough, under ns_lock */
	bool added;			/* device_add_disk done: lookups may find it */
	bool gone;			/* changed or gone: the scan deletes the disk */
	u64 nsze;			/* logical blocks */
	u8 nguid[16];			/* identity: a re-created NSID differs here */
	u8 eui64[8];
};

/* Injected faults (faults.c): test knobs and what they hold back. */
struct rnv_fault {
	atomic_t drop;			/* completions still to drop */
	atomic_t fail;			/* completions still to fail */
	atomic_t delay;			/* completions still to hold back */
	atomic_t dropped;		/* totals, for the tests */
	atomic_t failed;
	atomic_t delayed;
	atomic_t stuck_ready;		/* waits for RDY=0 still to fail (no stop) */
	atomic_t fail_event;		/* event completions still to fail */
	u32 fail_status;
	u32 delay_ms;			/* how long a completion is held */
	u32 hmb_fake_kib;		/* HMB size to ask for instead of HMPRE, 0 = off */
	u32 poll_gap_us;		/* wait before a poller's batch ends */
	spinlock_t held_lock;		/* held list; see rnv_fault_held */
	struct list_head held;		/* struct rnv_held, oldest first */
	struct delayed_work release_work;	/* completes them when due */
};

/*
 * The load-time module parameters (params.c), copied into each controller
 * when it is allocated: the one set of values it uses for its lifetime.
 */
struct rnv_params {
	unsigned int io_queue_depth;
	unsigned int max_io_queues;
	unsigned int poll_queues;
	unsigned int io_timeout;		/* seconds */
	unsigned int irq_coalesce_time;
	unsigned int irq_coalesce_thr;
	unsigned int ps_max_latency_us;
	unsigned int max_host_mem_size_mb;
	bool shadow_doorbells;
};

/*
 * Lock order, outermost first; a lock may be taken while holding only
 * locks above it:
 *   ioctl_rwsem (read: one ioctl; write: removal waits for them)
 *   effects_lock (a passthrough command that changes namespaces)
 *   shutdown_lock, then scan_lock, then ns_lock
 *   hmb_lock (power.c: no mutex or rwsem of ours is taken under it)
 *   spinlocks, innermost: state_lock; a queue's sq_lock; a queue's cq_lock,
 *   then fault.held_lock (the completion path holds a completion back)
 * shutdown_lock is never held while a command waits for the device: the
 * timeout handler may need it to kill the controller.
 *
 * One controller. Fields are grouped by the file that owns them: it sets
 * them up and writes them; other files only read them, or call it.
 */
struct rnv_ctrl {
	/* ctrl_life.c: identity and lifetime */
	struct pci_dev *pdev;
	struct device *dev;		/* pdev->dev, for the DMA API and logs */
	int instance;			/* N in rocknvmeN, taken first in probe */
	struct rnv_params params;	/* module parameters at allocation */
	unsigned int max_io_queues;	/* size of queues[] less admin: what we ask for */
	/*
	 * Requests dispatched (blk.c) and ended (blk.c, queue.c): equal
	 * whenever nothing is in flight (debugfs).
	 */
	u64 __percpu *rq_started;
	u64 __percpu *rq_ended;

	/* pci.c: BAR, capabilities, Identify, vectors and queue counts */
	void __iomem *bar;
	u32 __iomem *dbs;
	u64 cap;
	u32 vs;
	u32 db_stride;			/* in u32 doorbell slots */
	u32 page_size;			/* controller memory page (CC.MPS), bytes */
	u32 max_xfer;			/* bytes per command, from MDTS */
	u32 shutdown_ms;		/* CC.SHN wait, from RTD3E */
	struct nvme_id_ctrl *id;	/* kept for sysfs and the demo */
	char model[41];			/* identify strings, trimmed, for sysfs */
	char serial[21];
	char firmware_rev[9];
	bool vwc;			/* volatile write cache present */
	u16 oncs;			/* optional NVM commands; quirks.c may clear WZ */
	const char *irq_mode;		/* "msix", "msi" or "intx" */
	unsigned int nr_vectors;
	unsigned int nr_io_queues;	/* irq + poll, as granted */
	unsigned int nr_irq_queues;	/* 1..nr_irq_queues have interrupts */
	unsigned int nr_poll_queues;	/* the rest are polled (REQ_POLLED) */
	u16 io_depth;

	/* queue.c: the rings (allocated in ctrl_life.c, set up by rnv_q_alloc) */
	struct rnv_queue *queues;	/* [0] admin, [1..nr_io_queues] I/O */

	/* blk.c: tag sets */
	struct blk_mq_tag_set admin_set;
	struct request_queue *admin_q;
	struct blk_mq_tag_set io_set;
	bool io_set_ready;

	/* admin.c */
	struct nvme_effects_log *effects;	/* Commands Supported and Effects, or NULL */

	/* dbbuf.c: shadow doorbell buffer */
	__le32 *dbbuf_dbs;		/* shadow doorbells */
	__le32 *dbbuf_eis;		/* EventIdx buffer */
	dma_addr_t dbbuf_dbs_dma;
	dma_addr_t dbbuf_eis_dma;
	bool dbbuf_on;			/* the controller accepted them */

	/* map.c: list block pools, SGL support */
	struct dma_pool *list_small_pool;	/* 256 B list blocks */
	struct dma_pool *list_page_pool;	/* controller-page list blocks */
	u8 sgl_support;			/* Identify SGLS bits 1:0, RNV_SGLS_* */
	atomic_long_t sgl_requests;	/* requests mapped with SGLs, for sysfs */

	/* reset.c: state machine, stop and restart */
	enum rnv_state state;
	spinlock_t state_lock;		/* state transitions */
	struct mutex shutdown_lock;	/* rnv_ctrl_stop and restart's register setup */
	bool enabled;			/* CC.EN set since the last stop (shutdown_lock) */
	struct work_struct reset_work;
	unsigned int resets;		/* successful resets, for sysfs */
	unsigned int suspends;		/* system suspends, for debugfs */
	unsigned int cancel_in_batch;	/* cancels that found a request in a batch */
	bool restarting;		/* reset work is issuing its own commands */
	bool io_quiesced;		/* namespace queues quiesced by a reset */
	bool admin_quiesced;		/* admin queue quiesced by a reset */

	/* ns.c: namespaces, scans, async events */
	struct list_head namespaces;
	struct mutex ns_lock;		/* namespaces list and queue quiescing */
	struct mutex scan_lock;		/* one namespace scan at a time */
	struct work_struct scan_work;	/* rescan after a namespace change event */
	struct work_struct aer_work;	/* re-arm the async event request */
	unsigned int events;		/* async events received */
	atomic_t aer_outstanding;	/* event requests the controller holds: 0 or 1 */
	unsigned int aer_errors;	/* consecutive failed event requests */

	/* chardev.c: /dev/rocknvmeN, ioctls, the disks' operations */
	struct device cdev_device;	/* its refcount owns ctrl (rnv_ctrl_free) */
	struct cdev cdev;
	const struct block_device_operations *disk_fops;	/* for ns.c's disks */
	bool removing;			/* remove has begun: refuse ioctls */
	struct rw_semaphore ioctl_rwsem;	/* ioctls (read) vs removal (write) */
	struct mutex effects_lock;	/* one passthrough that changes namespaces at a time */

	struct rnv_power pwr;		/* power.c, quirks.c: quirks, APST, HMB */
	struct rnv_fault fault;		/* faults.c: test knobs */
	struct dentry *debugfs;		/* debugfs.c: the controller's directory */
	struct device *hwmon;		/* hwmon.c: temperature, or NULL */
};

/* ctrl_life.c: instance, allocation and final free; the driver's workqueue */
extern struct workqueue_struct *rnv_wq;
struct rnv_ctrl *rnv_ctrl_alloc(struct pci_dev *pdev);
void rnv_ctrl_free(struct rnv_ctrl *ctrl);
int rnv_ctrl_life_init(void);
void rnv_ctrl_life_exit(void);

/* faults.c: fault injection for the tests, and its hooks */
void rnv_fault_init(struct rnv_ctrl *ctrl);
void rnv_fault_stop(struct rnv_ctrl *ctrl);
void rnv_fault_debugfs(struct rnv_ctrl *ctrl, struct dentry *dir);
bool rnv_fault_inject(struct rnv_ctrl *ctrl, struct request *req);
DECLARE_STATIC_KEY_FALSE(rnv_fault_io_armed);

/* The I/O completion hook: a no-op branch until a test arms a knob. */
static inline bool rnv_fault_io(struct rnv_ctrl *ctrl, struct request *req)
{
	return static_branch_unlikely(&rnv_fault_io_armed) && rnv_fault_inject(ctrl, req);
}

void rnv_fault_batch_wait(struct io_comp_batch *iob);

/* The hook where a batch of completions is about to end: the same no-op branch. */
static inline void rnv_fault_batch_gap(struct io_comp_batch *iob)
{
	if (static_branch_unlikely(&rnv_fault_io_armed))
		rnv_fault_batch_wait(iob);
}

bool rnv_fault_held(struct rnv_ctrl *ctrl, struct request *req);
bool rnv_fault_ready_stuck(struct rnv_ctrl *ctrl);
bool rnv_fault_event_fails(struct rnv_ctrl *ctrl);
u32 rnv_fault_hmb_kib(struct rnv_ctrl *ctrl);

/* params.c: module parameters */
void rnv_params_get(struct rnv_params *p);
unsigned int rnv_params_sgl_threshold(void);

/* chardev.c: /dev/rocknvmeN, sysfs attributes, nvme ioctls */
int rnv_chr_register(void);
void rnv_chr_unregister(void);
void rnv_chr_init(struct rnv_ctrl *ctrl);
int rnv_chr_add(struct rnv_ctrl *ctrl);
void rnv_chr_hide(struct rnv_ctrl *ctrl);
void rnv_chr_del(struct rnv_ctrl *ctrl);
void rnv_chr_wait_ioctls(struct rnv_ctrl *ctrl);

/* sysfs.c: the attributes NVMe tools read (nvme's names and formats) */
extern const struct attribute_group rnv_tools_attr_group;
extern const struct attribute_group *rnv_ns_attr_groups[];

/* hwmon.c: composite temperature and its thresholds */
#if IS_ENABLED(CONFIG_HWMON)
void rnv_hwmon_add(struct rnv_ctrl *ctrl);
void rnv_hwmon_remove(struct rnv_ctrl *ctrl);
#else
static inline void rnv_hwmon_add(struct rnv_ctrl *ctrl) { }
static inline void rnv_hwmon_remove(struct rnv_ctrl *ctrl) { }
#endif

/* debugfs.c: register dump, queue counters; the directory for power.c, faults.c */
void rnv_debugfs_register(void);
void rnv_debugfs_unregister(void);
void rnv_debugfs_add(struct rnv_ctrl *ctrl);
void rnv_debugfs_remove(struct rnv_ctrl *ctrl);

/* ctrl.c: controller registers, enable/disable/shutdown, I/O queue setup */
int rnv_ctrl_disable(struct rnv_ctrl *ctrl);
int rnv_ctrl_enable(struct rnv_ctrl *ctrl);
int rnv_ctrl_shutdown(struct rnv_ctrl *ctrl);
void rnv_ctrl_setup_admin(struct rnv_ctrl *ctrl);
int rnv_ctrl_create_io_queues(struct rnv_ctrl *ctrl);
void rnv_ctrl_delete_io_queues(struct rnv_ctrl *ctrl);
void rnv_ctrl_release_io_queues(struct rnv_ctrl *ctrl);
int rnv_negotiate_queues(struct rnv_ctrl *ctrl);
void rnv_ctrl_set_optional_features(struct rnv_ctrl *ctrl);
bool rnv_ctrl_alive(struct rnv_ctrl *ctrl);

/* admin.c: synchronous commands on the admin tag set */
int rnv_execute_rq(struct request *req);
int rnv_submit_sync(struct rnv_ctrl *ctrl, struct request_queue *rq_q,
		    struct nvme_command *c, void *buf, unsigned int len,
		    union nvme_result *result);
int rnv_identify(struct rnv_ctrl *ctrl, u8 cns, u32 nsid, void *buf);
int rnv_set_features(struct rnv_ctrl *ctrl, u8 fid, u32 dword11, u32 *result);
int rnv_get_log(struct rnv_ctrl *ctrl, u8 lid, void *buf, unsigned int len);
const char *rnv_status_str(int status);
void rnv_effects_read(struct rnv_ctrl *ctrl);
u32 rnv_admin_effects(struct rnv_ctrl *ctrl, u8 opcode);

/* queue.c: coherent rings, doorbells, submit and reap */

/* A poll queue: no interrupt; the I/O queues after the interrupt-driven ones. */
static inline bool rnv_q_polled(const struct rnv_queue *q)
{
	return q->qid > q->ctrl->nr_irq_queues;
}

int rnv_q_alloc(struct rnv_ctrl *ctrl, u16 qid, u16 depth);
void rnv_q_free(struct rnv_ctrl *ctrl, u16 qid);
void rnv_q_init(struct rnv_queue *q);
void rnv_q_submit(struct rnv_queue *q, struct nvme_command *c, bool ring);
void rnv_q_ring_sq(struct rnv_queue *q);
int rnv_q_reap(struct rnv_queue *q);
irqreturn_t rnv_irq(int irq, void *data);
int rnv_q_poll(struct rnv_queue *q, struct io_comp_batch *iob);

/* dbbuf.c: shadow doorbell buffer */
void rnv_dbbuf_alloc(struct rnv_ctrl *ctrl);
void rnv_dbbuf_free(struct rnv_ctrl *ctrl);
void rnv_dbbuf_config(struct rnv_ctrl *ctrl);
void rnv_dbbuf_init_queue(struct rnv_queue *q);
bool rnv_dbbuf_update(u16 value, __le32 *db, __le32 *ei);

/* map.c: data mapping into PRPs or SGLs, the queues' DMA limits */
int rnv_map_pools_create(struct rnv_ctrl *ctrl);
void rnv_map_pools_destroy(struct rnv_ctrl *ctrl);
void rnv_map_queue_limits(struct rnv_ctrl *ctrl, struct queue_limits *lim);
blk_status_t rnv_map_data(struct rnv_ctrl *ctrl, struct request *req);
blk_status_t rnv_map_dsm(struct rnv_ctrl *ctrl, struct request *req);
void rnv_unmap_data(struct rnv_ctrl *ctrl, struct request *req);
void rnv_sgl_init(struct rnv_ctrl *ctrl);
const char *rnv_sgl_support_name(struct rnv_ctrl *ctrl);

/* blk.c: tag sets, blk_mq_ops, namespaces and disks */
int rnv_admin_set_create(struct rnv_ctrl *ctrl);
void rnv_admin_set_destroy(struct rnv_ctrl *ctrl);
int rnv_io_set_create(struct rnv_ctrl *ctrl);
void rnv_io_set_destroy(struct rnv_ctrl *ctrl);
int rnv_admin_set_limits(struct rnv_ctrl *ctrl);

/* ns.c: namespaces, disks, rescans and asynchronous events */
int rnv_ns_scan(struct rnv_ctrl *ctrl);
void rnv_ns_revalidate(struct rnv_ctrl *ctrl);
void rnv_ns_remove_all(struct rnv_ctrl *ctrl);
void rnv_ns_free_disk(struct gendisk *disk);
struct rnv_ns *rnv_ns_get(struct rnv_ctrl *ctrl, u32 nsid);
void rnv_ns_freeze(struct rnv_ctrl *ctrl, unsigned long timeout);
void rnv_ns_unfreeze(struct rnv_ctrl *ctrl);
void rnv_aer_complete(struct rnv_ctrl *ctrl, struct nvme_completion *cqe);
void rnv_events_init(struct rnv_ctrl *ctrl);
void rnv_events_config(struct rnv_ctrl *ctrl);
void rnv_events_arm(struct rnv_ctrl *ctrl);
void rnv_events_stopped(struct rnv_ctrl *ctrl);
void rnv_events_stop(struct rnv_ctrl *ctrl);

/* reset.c: state machine, timeout policy, reset work, kill */
const char *rnv_state_name(struct rnv_ctrl *ctrl);
bool rnv_change_state(struct rnv_ctrl *ctrl, enum rnv_state new);
void rnv_ctrl_init_recovery(struct rnv_ctrl *ctrl);
bool rnv_ctrl_schedule_reset(struct rnv_ctrl *ctrl);
int rnv_ctrl_reset_sync(struct rnv_ctrl *ctrl);
void rnv_ctrl_stop(struct rnv_ctrl *ctrl, enum rnv_stop how);
void rnv_ctrl_kill(struct rnv_ctrl *ctrl);
void rnv_ctrl_begin_delete(struct rnv_ctrl *ctrl);
void rnv_ctrl_retire(struct rnv_ctrl *ctrl);
bool rnv_ctrl_reset_prepare(struct rnv_ctrl *ctrl);
void rnv_ctrl_reset_done(struct rnv_ctrl *ctrl);
int rnv_ctrl_suspend(struct rnv_ctrl *ctrl);
int rnv_ctrl_resume(struct rnv_ctrl *ctrl);
void rnv_ctrl_power_off(struct rnv_ctrl *ctrl);
enum blk_eh_timer_return rnv_timeout(struct request *req);

static inline struct rnv_cmd *rnv_cmd(struct request *req)
{
	return blk_mq_rq_to_pdu(req);
}

static inline struct rnv_ctrl *rnv_rq_ctrl(struct request *req)
{
	return req->q->tag_set->driver_data;
}

#endif /* ROCKNVME_H */
