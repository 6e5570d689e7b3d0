// SPDX-License-Identifier: GPL-2.0
/*
 * Every module parameter, in one place (README, "Module parameters").
 *
 * The numbers are range-checked by the kernel's param_set_uint_minmax; the
 * range sits next to the value in struct rnv_uint_param, so one set of ops
 * serves them all. A refusal names the parameter and its range, as
 * tests/guest/t_params.sh expects ("rocknvme: NAME=VALUE refused").
 *
 * Other files do not see these variables. The load-time ones (0444) are
 * copied into each controller at allocation (rnv_params_get, ctrl->params),
 * so a controller reads one consistent set for its lifetime. sgl_threshold
 * is writable at run time and is read through rnv_params_sgl_threshold.
 * quirks= is a list parsed by quirks.c, which owns the table it feeds.
 */
#include <linux/module.h>
#include <linux/sizes.h>
#include "rocknvme.h"

/* A number and its accepted range; kp->arg points at value. */
struct rnv_uint_param {
	unsigned int value;
	unsigned int min;
	unsigned int max;
};

static int rnv_param_set_uint(const char *val, const struct kernel_param *kp)
{
	const struct rnv_uint_param *p = container_of(kp->arg, struct rnv_uint_param, value);
	int ret;

	ret = param_set_uint_minmax(val, kp, p->min, p->max);
	if (ret)
		pr_err(RNV_NAME ": %s=%s refused: must be %u..%u\n", kp->name, val,
		       p->min, p->max);
	return ret;
}

static const struct kernel_param_ops rnv_uint_ops = {
	.set = rnv_param_set_uint,
	.get = param_get_uint,
};

/* Queues */
static struct rnv_uint_param rnv_param_io_queue_depth = {
	.value = 1024, .min = 2, .max = 4096,
};
module_param_cb(io_queue_depth, &rnv_uint_ops, &rnv_param_io_queue_depth.value, 0444);
MODULE_PARM_DESC(io_queue_depth,
		 "I/O queue entries, 2..4096 (capped by CAP.MQES)");

static struct rnv_uint_param rnv_param_max_io_queues = {
	.value = 0, .min = 0, .max = 1024,
};
module_param_cb(max_io_queues, &rnv_uint_ops, &rnv_param_max_io_queues.value, 0444);
MODULE_PARM_DESC(max_io_queues,
		 "I/O queue pairs, 0 = one per CPU (0..1024)");

static struct rnv_uint_param rnv_param_poll_queues = {
	.value = 0, .min = 0, .max = 1024,
};
module_param_cb(poll_queues, &rnv_uint_ops, &rnv_param_poll_queues.value, 0444);
MODULE_PARM_DESC(poll_queues,
		 "extra I/O queues without interrupts, for polled I/O (0..1024)");

static struct rnv_uint_param rnv_param_io_timeout = {
	.value = 30, .min = 1, .max = 255,
};
module_param_cb(io_timeout, &rnv_uint_ops, &rnv_param_io_timeout.value, 0444);
MODULE_PARM_DESC(io_timeout,
		 "seconds before an I/O command is aborted, then reset (1..255)");

static struct rnv_uint_param rnv_param_irq_coalesce_time = {
	.value = 0, .min = 0, .max = 255,
};
module_param_cb(irq_coalesce_time, &rnv_uint_ops, &rnv_param_irq_coalesce_time.value, 0444);
MODULE_PARM_DESC(irq_coalesce_time,
		 "interrupt coalescing time in 100 us units, 0..255 (0 with thr 0 = off)");

static struct rnv_uint_param rnv_param_irq_coalesce_thr = {
	.value = 0, .min = 0, .max = 255,
};
module_param_cb(irq_coalesce_thr, &rnv_uint_ops, &rnv_param_irq_coalesce_thr.value, 0444);
MODULE_PARM_DESC(irq_coalesce_thr,
		 "interrupt coalescing threshold: completions per interrupt less one, 0..255");

/* Data mapping */
/*
 * Writable at run time: it only steers requests mapped afterwards, so SGLs
 * and PRPs can be compared on one binding (t_sglbench.sh). Under QEMU 7.2
 * (TCG), 128 KiB I/O in 4 KiB segments ran no faster on SGLs than on PRPs
 * (README, Performance), so the default is upstream's: SGLs only for
 * segments of 32 KiB or more, where one descriptor replaces 8+ PRP entries.
 */
static struct rnv_uint_param rnv_param_sgl_threshold = {
	.value = SZ_32K, .min = 0, .max = RNV_SGL_OFF,
};
module_param_cb(sgl_threshold, &rnv_uint_ops, &rnv_param_sgl_threshold.value, 0644);
MODULE_PARM_DESC(sgl_threshold,
		 "use SGLs for multi-segment I/O whose average segment is at least this many bytes; 0 = always, 4194304 = never (0..4194304, default 32768)");

static bool rnv_param_shadow_doorbells = true;
module_param_named(shadow_doorbells, rnv_param_shadow_doorbells, bool, 0444);
MODULE_PARM_DESC(shadow_doorbells,
		 "use the controller's shadow doorbell buffer when it offers one (default Y)");

/* Power */
static struct rnv_uint_param rnv_param_ps_max_latency_us = {
	.value = 100000, .min = 0, .max = UINT_MAX,
};
module_param_cb(ps_max_latency_us, &rnv_uint_ops, &rnv_param_ps_max_latency_us.value, 0444);
MODULE_PARM_DESC(ps_max_latency_us,
		 "APST: highest exit latency of a power state to enter when idle, us (0 = APST off; default 100000)");

static struct rnv_uint_param rnv_param_max_host_mem_size_mb = {
	.value = 128, .min = 0, .max = 4096,
};
module_param_cb(max_host_mem_size_mb, &rnv_uint_ops, &rnv_param_max_host_mem_size_mb.value, 0444);
MODULE_PARM_DESC(max_host_mem_size_mb,
		 "Host Memory Buffer: most host memory lent to one controller, MiB (0 = none; 0..4096, default 128)");

/* Known drives: the parser and its table are quirks.c's. */
module_param_cb(quirks, &rnv_quirks_param_ops, NULL, 0444);
MODULE_PARM_DESC(quirks,
		 "add (VID:DID:FLAGS) or clear (VID:DID:-FLAGS) quirk bits by PCI ID, hex, comma separated: 1 no APST, 2 no deepest power state, 4 no Write Zeroes, 8 delay before RDY, 10 bogus namespace ids, 20 broken MSI");

/* The load-time parameters, for a controller being allocated. */
void rnv_params_get(struct rnv_params *p)
{
	p->io_queue_depth = rnv_param_io_queue_depth.value;
	p->max_io_queues = rnv_param_max_io_queues.value;
	p->poll_queues = rnv_param_poll_queues.value;
	p->io_timeout = rnv_param_io_timeout.value;
	p->irq_coalesce_time = rnv_param_irq_coalesce_time.value;
	p->irq_coalesce_thr = rnv_param_irq_coalesce_thr.value;
	p->shadow_doorbells = rnv_param_shadow_doorbells;
	p->ps_max_latency_us = rnv_param_ps_max_latency_us.value;
	p->max_host_mem_size_mb = rnv_param_max_host_mem_size_mb.value;
}

unsigned int rnv_params_sgl_threshold(void)
{
	return READ_ONCE(rnv_param_sgl_threshold.value);
}
