// SPDX-License-Identifier: GPL-2.0
/*
 * rnv-ioctl's fuzzer ("fuzz"): COUNT random passthrough ioctls, the same ones for the same
 * SEED, then Identify Controller must still work. What it sends and never sends is below;
 * the opcodes and what rocknvme refuses come from nvme-opcodes.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <linux/fs.h>
#include "ioctl-common.h"

/*
 * --- fuzz: COUNT random ioctls, then Identify Controller must still work ---------------
 *
 * The sequence depends only on SEED: no draw depends on an outcome, so a seed replays
 * the same calls (their outcomes may differ, e.g. after a timeout reset). Each call goes
 * to stderr before it is made ("N call...") and its outcome after ("N = outcome"), so
 * the last line names the call a hang is stuck in. stdout has INFO lines, progress,
 * ANOMALY lines and the SUMMARY / IOCTLS / STATUS lines.
 *
 * The calls: NVME_IOCTL_ADMIN_CMD and ADMIN64_CMD, IO_CMD and IO64_CMD on both nodes,
 * SUBMIT_IO on both (the controller node must say ENOTTY), NVME_IOCTL_ID, and numbers
 * no layer defines. Random opcodes (a list of the interesting ones, or any byte),
 * nsid, cdw2..cdw15, flags, metadata pointer and length, timeout_ms (0 = the driver's
 * default, or 1..FZ_MAX_TMO ms), data_len (0, under a page, page-crossing, up to
 * FZ_LARGE, huge) and buffers: page-aligned, dword-aligned and odd (bounced) ones in a
 * read-write arena, NULL, read-only, unmapped, partly unmapped (runs into a hole),
 * kernel addresses and random 64-bit values. The argument pointer itself is sometimes
 * NULL, read-only (the result cannot be written back), cut by a hole, or a kernel one.
 * The tool only ever touches its own mappings, so it cannot crash on a bad pointer:
 * those come back as EFAULT from the kernel.
 *
 * Never sent (OP_NOFUZZ in nvme-opcodes.h), because each would legitimately destroy or
 * change the namespace or controller set-up that the data test after the fuzz relies on:
 *   admin 0x80 Format NVM, 0x84 Sanitize        erase the media (Format may change LBAF)
 *   admin 0x0D Namespace Management,
 *         0x15 Namespace Attachment             delete or detach the namespace
 *   admin 0x10 Firmware Commit,
 *         0x11 Firmware Image Download          may activate new firmware, reset
 *   admin 0x1C Virtualization Management        takes queues and vectors from the controller
 *   admin 0x7C Doorbell Buffer Config           moves the doorbells into host memory
 *   admin 0x81 Security Send                    may set up locking: media unreadable
 *   admin 0x1D NVMe-MI Send                     management commands that can reset/reconfigure
 *   admin 0x20 Capacity Management              creates and deletes endurance groups / sets
 *   admin 0x24 Lockdown                         can prohibit admin commands (Identify!)
 *   admin 0x09 Set Features, except the ids marked OP_FUZZ_SET (Arbitration, Power
 *         Management, Temperature Threshold, Volatile Write Cache, Interrupt Coalescing,
 *         Interrupt Vector Configuration, Write Atomicity, Async Event Configuration,
 *         Timestamp, Host Behavior Support). Left out, e.g.: 0x07 Number of Queues (the
 *         driver's queues), 0x05 Error Recovery (DULBE fails reads of unwritten blocks),
 *         0x0D Host Memory Buffer (the controller would DMA to random host addresses),
 *         0x0F Keep Alive Timer (an expiry may stop the controller), 0x19 I/O Command
 *         Set Profile, 0x84 Namespace Write Protection.
 *   I/O 0x0D, 0x11, 0x15 Reservation Register / Acquire / Release: could fence our writes
 *   with "nvme", also admin 0x00 0x01 0x04 0x05 0x0C (queue management, Async Event
 *   Request: OP_REFUSED): the in-kernel driver passes them on; rocknvme must refuse them
 *   (EPERM), so they are sent to rocknvme, and a success is an anomaly.
 *   ioctls NVME_IOCTL_RESET, SUBSYS_RESET and RESCAN: defined, not fuzzed.
 * Shaped, so the controller never writes to host memory beyond the buffer the driver
 * mapped (a user lying to the DMA engine about a transfer length: no driver can check
 * that, the in-kernel one neither; it would corrupt guest memory and blame the driver):
 *   Read (I/O 0x02): NLB fits data_len (one block when data_len is smaller: that lands
 *   in the buffer's own page, or at PRP2 = 0). Get Log Page, Directive Receive,
 *   Reservation Report, I/O Management Receive, Zone Management Receive: NUMD fits
 *   data_len; Security Receive: the allocation length does. (Identify returns 4 KiB: a
 *   smaller buffer's page takes it, or its remainder goes to PRP2 = 0. A buffer larger
 *   than what the command transfers is legitimate and is sent: the controller sizes
 *   PRP2's role by its own transfer, so a driver that built a PRP list for the larger
 *   data_len must cope with PRP2 being taken as a data page.)
 * Media writes (OP_MEDIA_WRITE: Write, Write Uncorrectable, Write Zeroes, Zone Append,
 * Copy's destination; SUBMIT_IO Write) start at or beyond FZ_PROTECT, so the data test after the fuzz uses
 * blocks no fuzz write touched (Dataset Management and Copy source ranges are random
 * bytes from the buffer: practically never in range).
 * Vendor-specific opcodes (admin 0xC0..0xFF, I/O 0x80..0xFF) are sent: QEMU refuses
 * them. Do not point this at a drive whose data or firmware matters.
 *
 * Anomalies (ANOMALY lines for the first few, ANOMALIES counts per reason, exit 3): an
 * undefined ioctl succeeding; success or an NVMe status for a call whose argument
 * pointer or data buffer is bad (NULL, unmapped, partly unmapped, kernel, read-only for
 * data the controller writes) instead of EFAULT; a status wider than 15 bits; and, for
 * rocknvme only, its documented refusals (flags, metadata, the OP_REFUSED admin opcodes
 * and Set Features ids, I/O for another nsid, bidirectional data, SUBMIT_IO opcodes not
 * marked OP_SUBMIT) being accepted. With "nvme", a bad buffer for data the controller writes is
 * not judged when the block layer bounces it (address or length not dword-aligned): the
 * in-kernel driver drops blk_rq_unmap_user's -EFAULT, so the call "succeeds".
 */
#define FZ_ARENA	(8u << 20)		/* valid buffers, read-write */
#define FZ_RO		(8u << 20)		/* read-only buffers */
#define FZ_HALF		(4u << 20)		/* the first half mapped, the second a hole */
#define FZ_LARGE	((4u << 20) + PAGE)	/* "large" lengths go up to here */
#define FZ_PROTECT	(64ull << 20)		/* media writes start at or beyond this byte */
#define FZ_MAX_TMO	100			/* ms, the longest short timeout */
#define FZ_KERNEL_ADDR	0xffff800000000000ull	/* above any user address (arm64, x86) */
#define FZ_ERRNOS	256
#define FZ_MAX_ANOMALY_LINES 20

#ifndef NVME_IOCTL_IO64_CMD_VEC
#define NVME_IOCTL_IO64_CMD_VEC	_IOWR('N', 0x49, struct nvme_passthru_cmd64)
#endif

enum fz_kind { FK_ADMIN, FK_ADMIN64, FK_IO, FK_IO64, FK_SUBMIT, FK_NSID, FK_UNKNOWN, FK_NR };
static const char *const fz_kind_name[FK_NR] = {
	"admin", "admin64", "io", "io64", "submit-io", "nsid", "unknown",
};

enum fz_buf { FB_ALIGNED, FB_DWORD, FB_ODD, FB_NULL, FB_RO, FB_UNMAPPED, FB_PARTIAL,
	      FB_KERNEL, FB_GARBAGE };
static const char *const fz_buf_name[] = {
	"aligned", "dword", "odd", "null", "readonly", "unmapped", "partial", "kernel",
	"garbage",
};

enum fz_arg { FA_NORMAL, FA_NULL, FA_READONLY, FA_EDGE, FA_KERNEL };
static const char *const fz_arg_name[] = { "ok", "null", "readonly", "edge", "kernel" };

/* Why an outcome is implausible (fz_judge's answers), see fz_why_text. */
enum fz_why { FW_NONE, FW_UNKNOWN_OK, FW_WIDE_STATUS, FW_BAD_ARG, FW_BAD_BUF, FW_RO_BUF,
	      FW_FLAGS, FW_METADATA, FW_BIDI, FW_RESERVED, FW_NSID, FW_SUBMIT_FLAGS,
	      FW_SUBMIT_OP, FW_NR };

struct fz {
	int ctrl_fd, disk_fd;
	unsigned int nsid, lbs;
	uint64_t nsze;			/* namespace size in blocks */
	uint64_t protect;		/* the first block a media write may start at */
	uint64_t state;			/* the PRNG */
	unsigned char *arena;		/* FZ_ARENA bytes, read-write, random bytes */
	unsigned char *ro;		/* FZ_RO bytes, read-only */
	unsigned char *half;		/* FZ_HALF bytes, the second half unmapped */
	unsigned char *args;		/* 4 pages: read-write, read-only, read-write, hole */
	unsigned long ok, sct[8], err[FZ_ERRNOS], sc[0x800], kinds[FK_NR], anomalies;
	unsigned long why[FW_NR], why_bounced[FW_NR];	/* anomalies per reason */
};

/* One call, as made: for the trace and for judging its outcome. */
struct fz_call {
	enum fz_kind kind;
	bool on_disk;
	unsigned long req;
	enum fz_arg arg;
	struct nvme_passthru_cmd64 pc;	/* passthrough; the 32-bit one is its first 72 bytes */
	struct nvme_user_io io;		/* SUBMIT_IO */
	enum fz_buf buf;		/* the data buffer's kind */
	uint32_t len;			/* data bytes the driver is asked to map */
	bool dev_writes;		/* the controller writes the buffer */
};

/* splitmix64: small, fast, and the same on every architecture. */
static uint64_t fz_next(struct fz *f)
{
	uint64_t z = (f->state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* 0..n-1 (0 when n is 0). */
static uint32_t fz_rnd(struct fz *f, uint64_t n)
{
	return n ? (uint32_t)(fz_next(f) % n) : 0;
}

static bool fz_pct(struct fz *f, unsigned int pct)
{
	return fz_rnd(f, 100) < pct;
}

#define fz_pick(f, v)	((v)[fz_rnd((f), ARRAY_SIZE(v))])

/* A command dword: mostly 0 or small, sometimes anything. */
static uint32_t fz_dw(struct fz *f)
{
	unsigned int r = fz_rnd(f, 100);

	if (r < 50)
		return 0;
	if (r < 80)
		return fz_rnd(f, 256);
	return (uint32_t)fz_next(f);
}

static uint32_t fz_len(struct fz *f)
{
	static const uint32_t huge[] = { 16u << 20, 64u << 20, 1u << 30, 0x7fffffffu,
					 0xfffff000u, 0xffffffffu };
	unsigned int r = fz_rnd(f, 100);
	uint32_t len;

	if (r < 25)
		return 0;
	if (r < 55)			/* within a page */
		return fz_pct(f, 50) ? 512 * (1 + fz_rnd(f, 8)) : 1 + fz_rnd(f, PAGE);
	if (r < 75)			/* crossing pages */
		len = PAGE + 1 + fz_rnd(f, 60u << 10);
	else if (r < 90)		/* large: half within QEMU's 512 KiB MDTS, half beyond */
		len = fz_pct(f, 50) ? (64u << 10) + fz_rnd(f, 448u << 10) :
				      (512u << 10) + fz_rnd(f, FZ_LARGE - (512u << 10));
	else				/* huge */
		return fz_pct(f, 50) ? fz_pick(f, huge) :
				       FZ_ARENA + fz_rnd(f, 0xffffffffu - FZ_ARENA);
	if (fz_pct(f, 50))
		len = (len + 511) & ~511u;
	return len;
}

/* A buffer of @len bytes of some kind (set in *kind); its address. */
static uint64_t fz_buf(struct fz *f, uint32_t len, enum fz_buf *kind)
{
	uint64_t room = len < FZ_ARENA ? FZ_ARENA - len : 0;
	uint64_t rroom = len < FZ_RO ? FZ_RO - len : 0;
	unsigned int r = fz_rnd(f, 100);
	uint64_t off;

	*kind = r < 30 ? FB_ALIGNED : r < 45 ? FB_DWORD : r < 58 ? FB_ODD : r < 65 ? FB_NULL :
		r < 75 ? FB_RO : r < 82 ? FB_UNMAPPED : r < 90 ? FB_PARTIAL :
		r < 95 ? FB_KERNEL : FB_GARBAGE;
	switch (*kind) {
	case FB_ALIGNED:
		return (uintptr_t)f->arena + (uint64_t)fz_rnd(f, room / PAGE + 1) * PAGE;
	case FB_DWORD:
		return (uintptr_t)f->arena + (uint64_t)fz_rnd(f, room / 4 + 1) * 4;
	case FB_ODD:
		return (uintptr_t)f->arena + (room ? (fz_rnd(f, room) | 1) : 1);
	case FB_NULL:
		return 0;
	case FB_RO:
		off = fz_rnd(f, rroom + 1);
		if (fz_pct(f, 50))
			off &= ~(uint64_t)(PAGE - 1);
		return (uintptr_t)f->ro + off;
	case FB_UNMAPPED:
		off = FZ_HALF / 2 + fz_rnd(f, FZ_HALF / 2);
		if (fz_pct(f, 50))
			off &= ~(uint64_t)(PAGE - 1);
		return (uintptr_t)f->half + off;
	case FB_PARTIAL:
		/* At least its last byte lies in the hole. */
		off = len >= 2 ? 1 + fz_rnd(f, len - 1 < FZ_HALF / 2 ? len - 1 : FZ_HALF / 2) : 0;
		return (uintptr_t)f->half + FZ_HALF / 2 - off;
	case FB_KERNEL:
		return FZ_KERNEL_ADDR + ((uint64_t)fz_rnd(f, 1u << 30) << 12) +
		       (fz_pct(f, 50) ? fz_rnd(f, PAGE) : 0);
	case FB_GARBAGE:
		return fz_next(f);
	}
	return 0;
}

/* Kinds the kernel must refuse with EFAULT whatever the direction (NULL: rocknvme). */
static bool fz_buf_bad(enum fz_buf b)
{
	return b == FB_UNMAPPED || b == FB_PARTIAL || b == FB_KERNEL || b == FB_GARBAGE ||
	       (b == FB_NULL && !nvme_mode);
}

static enum fz_arg fz_argkind(struct fz *f)
{
	unsigned int r = fz_rnd(f, 100);

	return r < 82 ? FA_NORMAL : r < 86 ? FA_NULL : r < 92 ? FA_READONLY :
	       r < 97 ? FA_EDGE : FA_KERNEL;
}

/* Put the ioctl argument (@size bytes of @src) where @how says; its address. */
static void *fz_place_arg(struct fz *f, enum fz_arg how, const void *src, size_t size)
{
	unsigned char *p, *end = f->args + 3 * PAGE;	/* the hole starts here */

	switch (how) {
	case FA_NULL:
		return NULL;
	case FA_KERNEL:
		return (void *)(uintptr_t)FZ_KERNEL_ADDR;
	case FA_READONLY:
		p = f->args + PAGE;
		if (mprotect(p, PAGE, PROT_READ | PROT_WRITE) == 0) {
			memcpy(p, src, size);
			mprotect(p, PAGE, PROT_READ);
		}
		return p;
	case FA_EDGE:
		/* The last 1..size-1 bytes lie in the hole. */
		if (size < 2)
			return end - 1;
		p = end - size + 1 + fz_rnd(f, size - 1);
		memcpy(p, src, end - p);
		return p;
	case FA_NORMAL:
		break;
	}
	memcpy(f->args, src, size);
	return f->args;
}

static uint32_t fz_nsid(struct fz *f)
{
	unsigned int r = fz_rnd(f, 100);

	if (r < 60)
		return f->nsid;
	if (r < 70)
		return 0;
	if (r < 80)
		return 0xffffffffu;
	if (r < 88)
		return f->nsid + 1;
	return (uint32_t)fz_next(f);
}

static uint64_t fz_slba(struct fz *f)
{
	unsigned int r = fz_rnd(f, 100);

	if (r < 55)
		return fz_next(f) % f->nsze;
	if (r < 70)		/* around the end */
		return f->nsze - 256 + fz_rnd(f, 512);
	if (r < 80)
		return 0;
	return fz_next(f);
}

/* Never sent (OP_NOFUZZ); with "nvme" also not what rocknvme refuses (OP_REFUSED). */
static bool fz_admin_excluded(uint8_t op)
{
	return (nvme_admin_flags[op] & OP_NOFUZZ) ||
	       (nvme_mode && (nvme_admin_flags[op] & OP_REFUSED));
}

static bool fz_io_excluded(uint8_t op)
{
	return nvme_io_flags[op] & OP_NOFUZZ;
}

/* Media writes: they start at or beyond f->protect. */
static bool fz_media_write(uint8_t op)
{
	return nvme_io_flags[op] & OP_MEDIA_WRITE;
}

/* The feature ids Set Features may name (OP_FUZZ_SET), in ascending order. */
static uint32_t fz_safe_fids[256];
static unsigned int fz_nsafe;

static void fz_safe_fids_init(void)
{
	unsigned int fid;

	for (fid = 0; fid < ARRAY_SIZE(nvme_feat_flags); fid++)
		if (nvme_feat_flags[fid] & OP_FUZZ_SET)
			fz_safe_fids[fz_nsafe++] = fid;
}

static uint32_t fz_safe_fid(struct fz *f)
{
	return fz_safe_fids[fz_rnd(f, fz_nsafe)];
}

static uint8_t fz_admin_opcode(struct fz *f)
{
	/* Log, Identify (twice), Abort, Set/Get Features, Self-test, Keep Alive, Directive
	 * Send/Receive, MI Receive, Fabrics, Security Receive, Get LBA Status, then the
	 * queue management and AER opcodes rocknvme refuses. */
	static const uint32_t common[] = {
		ADM_GET_LOG_PAGE, ADM_IDENTIFY, ADM_IDENTIFY, ADM_ABORT, ADM_SET_FEATURES,
		ADM_GET_FEATURES, ADM_SELF_TEST, ADM_KEEP_ALIVE, ADM_DIRECTIVE_SEND,
		ADM_DIRECTIVE_RECV, ADM_MI_RECV, ADM_FABRICS, ADM_SECURITY_RECV,
		ADM_GET_LBA_STATUS, ADM_DELETE_SQ, ADM_CREATE_SQ, ADM_DELETE_CQ, ADM_CREATE_CQ,
		ADM_ASYNC_EVENT,
	};
	uint8_t op;

	do
		op = fz_pct(f, 60) ? fz_pick(f, common) : fz_rnd(f, 256);
	while (fz_admin_excluded(op));
	return op;
}

static uint8_t fz_io_opcode(struct fz *f)
{
	/* Flush, Write, Read, Write Uncorrectable, Compare, Write Zeroes, DSM, Verify,
	 * Reservation Report, I/O Management Receive, Copy, Zone Management Send/Receive,
	 * Zone Append. */
	static const uint32_t common[] = {
		IO_FLUSH, IO_WRITE, IO_WRITE, IO_READ, IO_READ, IO_READ, IO_WRITE_UNCOR,
		IO_COMPARE, IO_WRITE_ZEROES, IO_DSM, IO_VERIFY, IO_RESV_REPORT, IO_MGMT_RECV,
		IO_COPY, IO_ZONE_MGMT_SEND, IO_ZONE_MGMT_RECV, IO_ZONE_APPEND,
	};
	uint8_t op;

	do
		op = fz_pct(f, 65) ? fz_pick(f, common) : fz_rnd(f, 256);
	while (fz_io_excluded(op));
	return op;
}

static void fz_shape_admin(struct fz *f, struct nvme_passthru_cmd64 *c)
{
	static const uint32_t cns[] = { 0x00, 0x01, 0x02, 0x03, 0x05, 0x06, 0x07, 0x08,
					0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x1c };
	static const uint32_t lids[] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
					 0x0d, 0x70, 0x80, 0x81, 0xc0 };
	/* 0's based dwords: (numd + 1) * 4 bytes fit in data_len (or are 4 bytes). */
	uint32_t numd = c->data_len >= 4 ? fz_rnd(f, c->data_len / 4) : 0;
	uint32_t fid, sqid, cid;
	unsigned int r;

	switch (c->opcode) {
	case ADM_IDENTIFY:	/* CNS, CNTID; CSI */
		c->cdw10 = (fz_pct(f, 80) ? fz_pick(f, cns) : fz_rnd(f, 256)) |
			   (fz_pct(f, 10) ? fz_rnd(f, 65536) << 16 : 0);
		c->cdw11 = fz_pct(f, 80) ? 0 : fz_dw(f);
		break;
	case ADM_GET_LOG_PAGE:	/* LID, LSP, RAE, NUMDL; NUMDU, LSI; offset */
		c->cdw10 = (fz_pct(f, 80) ? fz_pick(f, lids) : fz_rnd(f, 256)) |
			   (fz_pct(f, 10) ? fz_rnd(f, 16) << 8 : 0) | fz_rnd(f, 2) << 15 |
			   (numd & 0xffff) << 16;
		c->cdw11 = numd >> 16 | (fz_pct(f, 10) ? fz_rnd(f, 65536) << 16 : 0);
		c->cdw12 = fz_pct(f, 80) ? 0 : fz_dw(f);
		c->cdw13 = fz_pct(f, 90) ? 0 : fz_dw(f);
		break;
	case ADM_SET_FEATURES:	/* a safe FID, sometimes Save */
		fid = fz_safe_fid(f);
		c->cdw10 = fid | (fz_pct(f, 10) ? 1u << 31 : 0);
		if (fid == FEAT_VOLATILE_WC && fz_pct(f, 80))
			c->cdw11 = fz_rnd(f, 2);
		break;
	case ADM_GET_FEATURES:	/* FID, SEL */
		c->cdw10 = (fz_pct(f, 50) ? fz_safe_fid(f) : fz_rnd(f, 256)) |
			   fz_rnd(f, 8) << 8;
		break;
	case ADM_ABORT:		/* SQID, CID (31 is rocknvme's AER) */
		r = fz_rnd(f, 100);
		sqid = r < 40 ? 0 : r < 80 ? 1 + fz_rnd(f, 4) : fz_rnd(f, 65536);
		r = fz_rnd(f, 100);
		cid = r < 10 ? 31 : r < 70 ? fz_rnd(f, 32) : fz_rnd(f, 65536);
		c->cdw10 = sqid | cid << 16;
		break;
	case ADM_DIRECTIVE_RECV: /* NUMD */
		c->cdw10 = numd;
		break;
	case ADM_SECURITY_RECV:	/* allocation length in bytes */
		c->cdw11 = fz_rnd(f, (uint64_t)c->data_len + 1);
		break;
	}
}

static void fz_shape_io(struct fz *f, struct nvme_passthru_cmd64 *c)
{
	uint32_t blocks = c->data_len / f->lbs;
	uint32_t numd = c->data_len >= 4 ? fz_rnd(f, c->data_len / 4) : 0;
	uint64_t slba = fz_slba(f);
	uint32_t nlb;

	nlb = fz_pct(f, 60) ? (blocks ? blocks - 1 : fz_rnd(f, 8)) : fz_rnd(f, 65536);
	if (c->opcode == IO_READ)	/* the controller writes (NLB + 1) blocks */
		nlb = !blocks ? 0 : nlb < blocks ? nlb : blocks - 1;
	if (fz_media_write(c->opcode) && slba < f->protect)
		slba += f->protect;
	c->cdw10 = (uint32_t)slba;
	c->cdw11 = slba >> 32;
	c->cdw12 = nlb | (fz_pct(f, 20) ? (uint32_t)fz_next(f) & 0xffff0000u : 0);
	switch (c->opcode) {
	case IO_DSM:		/* NR; attributes (the ranges are the buffer's bytes) */
		c->cdw10 = fz_rnd(f, 256);
		c->cdw11 = fz_rnd(f, 8);
		break;
	case IO_RESV_REPORT:	/* NUMD */
		c->cdw10 = numd;
		break;
	case IO_MGMT_RECV:	/* NUMD */
		c->cdw11 = numd;
		break;
	case IO_ZONE_MGMT_RECV:	/* NUMD */
		c->cdw12 = numd;
		break;
	}
}

static void fz_passthru(struct fz *f, struct fz_call *k, bool admin)
{
	struct nvme_passthru_cmd64 *c = &k->pc;
	enum fz_buf mkind;

	memset(c, 0, sizeof(*c));
	c->opcode = admin ? fz_admin_opcode(f) : fz_io_opcode(f);
	c->nsid = fz_nsid(f);
	if (fz_pct(f, 10)) {
		c->cdw2 = (uint32_t)fz_next(f);
		c->cdw3 = (uint32_t)fz_next(f);
	}
	c->cdw10 = fz_dw(f);
	c->cdw11 = fz_dw(f);
	c->cdw12 = fz_dw(f);
	c->cdw13 = fz_dw(f);
	c->cdw14 = fz_dw(f);
	c->cdw15 = fz_dw(f);
	if (fz_pct(f, 6))
		c->flags = 1 + fz_rnd(f, 255);
	if (fz_pct(f, 6)) {
		c->metadata_len = fz_len(f);
		c->metadata = fz_buf(f, c->metadata_len, &mkind);
	}
	c->timeout_ms = fz_pct(f, 20) ? 1 + fz_rnd(f, FZ_MAX_TMO) : 0;
	c->data_len = fz_len(f);
	c->addr = fz_buf(f, c->data_len, &k->buf);
	if (admin)
		fz_shape_admin(f, c);
	else
		fz_shape_io(f, c);
	k->len = c->data_len;
	k->dev_writes = !(c->opcode & 1);
}

static void fz_submit(struct fz *f, struct fz_call *k)
{
	struct nvme_user_io *io = &k->io;
	unsigned int r = fz_rnd(f, 100);
	enum fz_buf mkind;

	memset(io, 0, sizeof(*io));
	io->opcode = r < 40 ? IO_READ : r < 65 ? IO_WRITE : r < 80 ? IO_COMPARE : fz_rnd(f, 256);
	r = fz_rnd(f, 100);
	io->nblocks = r < 60 ? fz_rnd(f, 128) : r < 80 ? fz_rnd(f, 1024) : fz_rnd(f, 65536);
	io->slba = fz_slba(f);
	if (io->opcode == IO_WRITE && io->slba < f->protect)
		io->slba += f->protect;
	if (fz_pct(f, 6))
		io->flags = 1 + fz_rnd(f, 255);
	if (fz_pct(f, 20))
		io->control = fz_rnd(f, 65536);
	if (fz_pct(f, 20)) {
		io->dsmgmt = (uint32_t)fz_next(f);
		io->reftag = (uint32_t)fz_next(f);
		io->apptag = fz_rnd(f, 65536);
		io->appmask = fz_rnd(f, 65536);
	}
	if (fz_pct(f, 6))
		io->metadata = fz_buf(f, 64, &mkind);
	/* The driver maps (nblocks + 1) blocks: the length is not ours to choose. */
	k->len = (io->nblocks + 1) * f->lbs;
	io->addr = fz_buf(f, k->len, &k->buf);
	k->dev_writes = io->opcode == IO_READ;
}

/* Defined NVMe ioctls (not fuzzed as "unknown"). */
static bool fz_known_req(unsigned long req)
{
	return req == NVME_IOCTL_ID || req == NVME_IOCTL_ADMIN_CMD ||
	       req == NVME_IOCTL_SUBMIT_IO || req == NVME_IOCTL_IO_CMD ||
	       req == NVME_IOCTL_RESET || req == NVME_IOCTL_SUBSYS_RESET ||
	       req == NVME_IOCTL_RESCAN || req == NVME_IOCTL_ADMIN64_CMD ||
	       req == NVME_IOCTL_IO64_CMD || (nvme_mode && req == NVME_IOCTL_IO64_CMD_VEC);
}

/*
 * An ioctl number nobody handles: 'N' with any number, size and direction; the defined
 * 'N' numbers with another size or direction; or types of other subsystems that neither
 * the VFS nor the block layer handle themselves ('T', 'X', 'f', 0x12, 'p', 0x94 and 0x03
 * are theirs, and some of those would change the disk).
 */
static unsigned long fz_unknown_req(struct fz *f)
{
	static const uint32_t types[] = { 'V', 'E', 'U', 0xae };
	static const uint32_t sizes[] = { 0, 48, 72, 80 };
	unsigned long req;
	unsigned int r, dir, size;

	do {
		r = fz_rnd(f, 100);
		dir = fz_rnd(f, 4);
		size = fz_rnd(f, 1u << _IOC_SIZEBITS);
		if (r < 60)
			req = _IOC(dir, 'N', fz_rnd(f, 256), size);
		else if (r < 80)
			req = _IOC(dir, 'N', 0x40 + fz_rnd(f, 10),
				   fz_pct(f, 50) ? size : fz_pick(f, sizes));
		else
			req = _IOC(dir, fz_pick(f, types), fz_rnd(f, 256), size);
	} while (fz_known_req(req));
	return req;
}

static void fz_describe(const struct fz *f, const struct fz_call *k, char *s, size_t n)
{
	const struct nvme_passthru_cmd64 *c = &k->pc;
	const struct nvme_user_io *io = &k->io;
	const char *node = k->on_disk ? "disk" : "ctrl";

	switch (k->kind) {
	case FK_ADMIN:
	case FK_ADMIN64:
	case FK_IO:
	case FK_IO64:
		snprintf(s, n, "%s@%s op=%#04x nsid=%#x cdw2-3=%#x,%#x cdw10-15=%#x,%#x,%#x,%#x,%#x,%#x flags=%#x md=%#llx/%u len=%u buf=%s:%#llx tmo=%u arg=%s",
			 fz_kind_name[k->kind], node, c->opcode, c->nsid, c->cdw2, c->cdw3,
			 c->cdw10, c->cdw11, c->cdw12, c->cdw13, c->cdw14, c->cdw15, c->flags,
			 (unsigned long long)c->metadata, c->metadata_len, c->data_len,
			 fz_buf_name[k->buf], (unsigned long long)c->addr, c->timeout_ms,
			 fz_arg_name[k->arg]);
		break;
	case FK_SUBMIT:
		snprintf(s, n, "submit-io@%s op=%#04x slba=%llu nblocks=%u flags=%#x control=%#x md=%#llx len=%u buf=%s:%#llx arg=%s",
			 node, io->opcode, (unsigned long long)io->slba, io->nblocks, io->flags,
			 io->control, (unsigned long long)io->metadata, k->len,
			 fz_buf_name[k->buf], (unsigned long long)io->addr, fz_arg_name[k->arg]);
		break;
	case FK_NSID:
		snprintf(s, n, "nsid@%s", node);
		break;
	default:
		snprintf(s, n, "ioctl %#lx@%s arg=%s", k->req, node, fz_arg_name[k->arg]);
		break;
	}
	(void)f;
}

static void fz_outcome(char *s, size_t n, int ret, int err)
{
	if (ret < 0)
		fmt_errno(s, n, err);
	else if (ret > 0)
		snprintf(s, n, "status %#x", ret);
	else
		snprintf(s, n, "0");
}

/* Why an outcome is implausible (fz_judge's answers), counted per reason. */
static const char *const fz_why_text[FW_NR] = {
	[FW_UNKNOWN_OK]	= "an undefined ioctl did not fail",
	[FW_WIDE_STATUS] = "a status wider than 15 bits",
	[FW_BAD_ARG]	= "a bad argument pointer, yet no EFAULT",
	[FW_BAD_BUF]	= "a bad data buffer, yet no EFAULT",
	[FW_RO_BUF]	= "a read-only buffer for data the controller writes, yet no EFAULT",
	[FW_FLAGS]	= "flags set, yet accepted",
	[FW_METADATA]	= "a metadata buffer, yet accepted",
	[FW_BIDI]	= "bidirectional data, yet accepted",
	[FW_RESERVED]	= "an opcode reserved for the driver, yet accepted",
	[FW_NSID]	= "I/O for another nsid, yet accepted",
	[FW_SUBMIT_FLAGS] = "SUBMIT_IO flags or metadata, yet accepted",
	[FW_SUBMIT_OP]	= "a SUBMIT_IO opcode other than read, write or compare, yet accepted",
};

/*
 * The block layer copies through kernel pages ("bounces") when the address or length is
 * not dword-aligned; for data the controller writes, the user buffer is then first
 * touched after the command, when blk_rq_unmap_user copies back.
 */
static bool fz_bounced(const struct fz_call *k)
{
	uint64_t addr = k->kind == FK_SUBMIT ? k->io.addr : k->pc.addr;

	return ((addr | k->len) & 3) != 0;
}

/* FW_NONE when the outcome is plausible, else what is wrong with it. */
static enum fz_why fz_judge(const struct fz *f, const struct fz_call *k, int ret)
{
	bool passthru = k->kind <= FK_IO64, admin = k->kind <= FK_ADMIN64;
	const struct nvme_passthru_cmd64 *c = &k->pc;

	if (ret < 0)
		return FW_NONE;
	if (k->kind == FK_UNKNOWN)
		return FW_UNKNOWN_OK;
	if (k->kind == FK_NSID)
		return FW_NONE;
	if (ret > 0x7fff)
		return FW_WIDE_STATUS;
	/* SUBMIT_IO writes nothing back, so a read-only argument is fine there. */
	if (k->arg != FA_NORMAL && !(k->kind == FK_SUBMIT && k->arg == FA_READONLY))
		return FW_BAD_ARG;
	/*
	 * A bounced buffer for data the controller writes is not checked for nvme: the
	 * in-kernel driver (6.1) ignores blk_rq_unmap_user's -EFAULT as well.
	 */
	if (k->len && !(nvme_mode && k->dev_writes && fz_bounced(k))) {
		if (fz_buf_bad(k->buf))
			return FW_BAD_BUF;
		if (k->buf == FB_RO && k->dev_writes)
			return FW_RO_BUF;
	}
	if (nvme_mode)
		return FW_NONE;
	/* rocknvme's own refusals (chardev.c, and the table of the "bad" mode). */
	if (passthru && c->flags)
		return FW_FLAGS;
	if (passthru && (c->metadata || c->metadata_len))
		return FW_METADATA;
	if (passthru && c->data_len && (c->opcode & 3) == 3)
		return FW_BIDI;
	if (admin && nvme_admin_refused(c->opcode, c->cdw10))
		return FW_RESERVED;
	if (passthru && !admin && c->nsid != f->nsid)
		return FW_NSID;
	if (k->kind == FK_SUBMIT && (k->io.flags || k->io.metadata))
		return FW_SUBMIT_FLAGS;
	if (k->kind == FK_SUBMIT && !(nvme_io_flags[k->io.opcode] & OP_SUBMIT))
		return FW_SUBMIT_OP;
	return FW_NONE;
}

static void fz_count(struct fz *f, const struct fz_call *k, int ret, int err)
{
	f->kinds[k->kind]++;
	if (ret == 0 || (k->kind == FK_NSID && ret > 0)) {
		f->ok++;
	} else if (ret > 0) {
		f->sct[(ret >> 8) & 7]++;
		f->sc[ret & 0x7ff]++;
	} else {
		f->err[err > 0 && err < FZ_ERRNOS ? err : 0]++;
	}
}

static void fz_one(struct fz *f, unsigned long i)
{
	struct fz_call k;
	unsigned int r = fz_rnd(f, 100);
	char desc[400], out[48];
	enum fz_why why;
	void *arg = NULL;
	int ret, err;

	memset(&k, 0, sizeof(k));
	if (r < 20)
		k.kind = FK_ADMIN;
	else if (r < 28)
		k.kind = FK_ADMIN, k.on_disk = true;
	else if (r < 36)
		k.kind = FK_ADMIN64;
	else if (r < 40)
		k.kind = FK_ADMIN64, k.on_disk = true;
	else if (r < 55)
		k.kind = FK_IO, k.on_disk = true;
	else if (r < 65)
		k.kind = FK_IO;
	else if (r < 72)
		k.kind = FK_IO64, k.on_disk = true;
	else if (r < 77)
		k.kind = FK_IO64;
	else if (r < 87)
		k.kind = FK_SUBMIT, k.on_disk = true;
	else if (r < 89)
		k.kind = FK_SUBMIT;
	else if (r < 98)
		k.kind = FK_UNKNOWN, k.on_disk = fz_pct(f, 50);
	else
		k.kind = FK_NSID, k.on_disk = fz_pct(f, 50);

	switch (k.kind) {
	case FK_ADMIN:
	case FK_ADMIN64:
	case FK_IO:
	case FK_IO64:
		fz_passthru(f, &k, k.kind <= FK_ADMIN64);
		k.req = k.kind == FK_ADMIN ? NVME_IOCTL_ADMIN_CMD :
			k.kind == FK_ADMIN64 ? NVME_IOCTL_ADMIN64_CMD :
			k.kind == FK_IO ? NVME_IOCTL_IO_CMD : NVME_IOCTL_IO64_CMD;
		k.arg = fz_argkind(f);
		arg = fz_place_arg(f, k.arg, &k.pc, k.kind == FK_ADMIN || k.kind == FK_IO ?
				   sizeof(struct nvme_passthru_cmd) : sizeof(k.pc));
		break;
	case FK_SUBMIT:
		fz_submit(f, &k);
		k.req = NVME_IOCTL_SUBMIT_IO;
		k.arg = fz_argkind(f);
		arg = fz_place_arg(f, k.arg, &k.io, sizeof(k.io));
		break;
	case FK_NSID:
		k.req = NVME_IOCTL_ID;
		break;
	default:
		k.req = fz_unknown_req(f);
		k.arg = fz_argkind(f);
		arg = fz_place_arg(f, k.arg, f->args, 0);
		break;
	}

	fz_describe(f, &k, desc, sizeof(desc));
	fprintf(stderr, "%lu %s\n", i, desc);
	errno = 0;
	ret = ioctl(k.on_disk ? f->disk_fd : f->ctrl_fd, k.req, arg);
	err = errno;
	fz_outcome(out, sizeof(out), ret, err);
	fprintf(stderr, "%lu = %s\n", i, out);
	fz_count(f, &k, ret, err);
	why = fz_judge(f, &k, ret);
	if (why != FW_NONE) {
		if (f->anomalies < FZ_MAX_ANOMALY_LINES)
			printf("ANOMALY #%lu %s%s: got %s for %s\n", i, fz_why_text[why],
			       k.len && fz_bounced(&k) ? " (bounced)" : "", out, desc);
		f->anomalies++;
		f->why[why]++;
		if (k.len && fz_bounced(&k))
			f->why_bounced[why]++;
	}
}

static double fz_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void fz_summary(const struct fz *f, unsigned long count, double secs)
{
	static const char *const sct[8] = { "generic", "cmd-specific", "media", "path",
					    "sct4", "sct5", "sct6", "vendor" };
	unsigned long used[10] = { 0 };
	unsigned int i, j, top[10];
	char name[24];

	printf("SUMMARY %lu ioctls in %.0f s: ok %lu", count, secs, f->ok);
	for (i = 0; i < 8; i++)
		if (f->sct[i])
			printf(", nvme-%s %lu", sct[i], f->sct[i]);
	for (i = 0; i < FZ_ERRNOS; i++) {
		if (!f->err[i])
			continue;
		fmt_errno(name, sizeof(name), i);
		printf(", %s %lu", i ? name : "errno-other", f->err[i]);
	}
	printf("\nIOCTLS");
	for (i = 0; i < FK_NR; i++)
		printf(" %s %lu", fz_kind_name[i], f->kinds[i]);
	/* The ten most frequent NVMe statuses (SCT/SC). */
	printf("\nSTATUS");
	for (j = 0; j < ARRAY_SIZE(top); j++) {
		top[j] = 0;
		for (i = 1; i < ARRAY_SIZE(f->sc); i++) {
			bool taken = false;
			unsigned int t;

			for (t = 0; t < j; t++)
				taken |= top[t] == i;
			if (!taken && f->sc[i] > used[j]) {
				used[j] = f->sc[i];
				top[j] = i;
			}
		}
		if (!used[j])
			break;
		printf(" %#05x:%lu", top[j], used[j]);
	}
	printf("\n");
}

int run_fuzz(const char *ctrl_path, const char *disk_path, unsigned long count,
		    uint64_t seed)
{
	static struct fz f;
	static unsigned char ref[ID_LEN] __attribute__((aligned(4096)));
	static unsigned char after[ID_LEN] __attribute__((aligned(4096)));
	struct nvme_passthru_cmd c;
	struct nodes n;
	unsigned long long bytes = 0;
	unsigned long i, step = count >= 10 ? count / 10 : 1;
	double start;
	uint64_t *w;
	int ret;

	if (open_nodes(ctrl_path, disk_path, &n))
		return 2;
	f.ctrl_fd = n.ctrl_fd;
	f.disk_fd = n.disk_fd;
	f.nsid = n.nsid;
	f.lbs = n.lbs;
	if (ioctl(f.disk_fd, BLKGETSIZE64, &bytes) || bytes / f.lbs < 1024) {
		fprintf(stderr, "rnv-ioctl: %s: no size, or under 1024 blocks\n", disk_path);
		return 2;
	}
	f.nsze = bytes / f.lbs;
	fz_safe_fids_init();
	f.protect = FZ_PROTECT / f.lbs;

	f.arena = mmap(NULL, FZ_ARENA, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	f.ro = mmap(NULL, FZ_RO, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	f.half = mmap(NULL, FZ_HALF, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	f.args = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		      -1, 0);
	if (f.arena == MAP_FAILED || f.ro == MAP_FAILED || f.half == MAP_FAILED ||
	    f.args == MAP_FAILED || munmap(f.half + FZ_HALF / 2, FZ_HALF / 2) ||
	    munmap(f.args + 3 * PAGE, PAGE) || mprotect(f.args + PAGE, PAGE, PROT_READ)) {
		perror("rnv-ioctl: fuzz mappings");
		return 2;
	}
	/* Random bytes in the arena (what writes send), from their own stream. */
	f.state = seed ^ 0x5a5a5a5a5a5a5a5aull;
	for (w = (uint64_t *)f.arena; w < (uint64_t *)(f.arena + FZ_ARENA); w++)
		*w = fz_next(&f);
	for (w = (uint64_t *)f.half; w < (uint64_t *)(f.half + FZ_HALF / 2); w++)
		*w = fz_next(&f);
	f.state = seed;

	identify_cmd(&c, ref);
	ret = ioctl(f.ctrl_fd, NVME_IOCTL_ADMIN_CMD, &c);
	if (ret) {
		fprintf(stderr, "rnv-ioctl: Identify before the fuzz: %s\n",
			ret < 0 ? strerror(errno) : "NVMe status");
		return 2;
	}
	printf("INFO fuzz seed %llu, %lu ioctls on %s and %s (nsid %u, %llu blocks of %u B; media writes from block %llu)\n",
	       (unsigned long long)seed, count, ctrl_path, disk_path, f.nsid,
	       (unsigned long long)f.nsze, f.lbs, (unsigned long long)f.protect);

	start = fz_now();
	for (i = 0; i < count; i++) {
		fz_one(&f, i);
		if ((i + 1) % step == 0)
			printf("INFO %lu/%lu after %.1f s\n", i + 1, count, fz_now() - start);
	}
	fz_summary(&f, count, fz_now() - start);
	if (f.anomalies)
		printf("INFO %lu anomalies (the first %d are listed above)\n", f.anomalies,
		       FZ_MAX_ANOMALY_LINES);
	for (i = 0; i < FW_NR; i++)
		if (f.why[i])
			printf("ANOMALIES %lu x %s (%lu of them with a bounced buffer: address or length not dword-aligned)\n",
			       f.why[i], fz_why_text[i], f.why_bounced[i]);

	/* The controller must still answer, with the same identity (VID..MN, bytes 0-63). */
	memset(after, 0xa5, sizeof(after));
	identify_cmd(&c, after);
	errno = 0;
	ret = ioctl(f.ctrl_fd, NVME_IOCTL_ADMIN_CMD, &c);
	if (ret) {
		char out[48];

		fz_outcome(out, sizeof(out), ret, errno);
		printf("IDENTIFY after the fuzz: %s\n", out);
		return 1;
	}
	if (memcmp(ref, after, 64)) {
		printf("IDENTIFY after the fuzz: 0, but VID/SN/MN differ from before\n");
		return 1;
	}
	printf("IDENTIFY after the fuzz: 0, same VID/SN/MN\n");
	return f.anomalies ? 3 : 0;
}
