// SPDX-License-Identifier: GPL-2.0
/*
 * rnv-ioctl: check how an NVMe driver's passthrough ioctls (<linux/nvme_ioctl.h>)
 * treat bad input, on the controller node and on a namespace disk.
 *
 *   rnv-ioctl bad    CTRL DISK [nvme]   the table of bad (and a few good) calls
 *   rnv-ioctl unpriv CTRL DISK [nvme]   the same nodes after dropping to uid/gid 65534
 *   rnv-ioctl fuzz   CTRL DISK COUNT SEED [nvme]
 *                                       COUNT random ioctls (the same ones for the same
 *                                       SEED), then Identify must still work; see the
 *                                       fuzz section for what it sends and never sends.
 *                                       WRITES random data to the namespace.
 *
 * CTRL is the controller char device (/dev/rocknvme0), DISK a namespace block
 * device of it (/dev/rocknvme0n1). A trailing "nvme" says the nodes belong to
 * the in-kernel nvme driver: cases that check rocknvme's own policy are then
 * skipped (some of them would upset that driver, e.g. a Doorbell Buffer Config).
 *
 * Output, one line per case:
 *   PASS|FAIL|SKIP <node>-<case> expected <what>, got <what>
 * Exit status 0 when no case failed, 1 when one did, 2 on a usage or setup error.
 * fuzz: 0, or 1 when Identify fails after it, 3 when an outcome was implausible
 * (ANOMALY lines), 2 on a usage or setup error.
 *
 * "got" is an errno name when the ioctl returned -1, "status 0x..." when it
 * returned a positive NVMe status (SCT/SC as the kernel hands it back, with
 * the DNR and More bits), else the return value.
 *
 * Build: gcc -static -O2 -Wall -o rnv-ioctl rnv-ioctl.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <linux/fs.h>
#include <linux/nvme_ioctl.h>

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define PAGE		4096u
#define ID_LEN		4096u		/* Identify data */
#define HUGE_LEN	(16u << 20)	/* above any driver's max transfer */
#define NOBODY		65534
#define BOGUS_NSID	0xdeadbeefu

/* NVMe opcodes and status codes we use (NVMe 2.0 base and NVM command set). */
enum {
	ADM_DELETE_SQ	= 0x00,
	ADM_CREATE_SQ	= 0x01,
	ADM_DELETE_CQ	= 0x04,
	ADM_CREATE_CQ	= 0x05,
	ADM_IDENTIFY	= 0x06,
	ADM_GET_FEATURES = 0x0a,
	ADM_ASYNC_EVENT	= 0x0c,
	ADM_DBBUF	= 0x7c,
	ADM_VENDOR	= 0xc3,		/* vendor specific, bidirectional bits */
	IO_FLUSH	= 0x00,
	IO_READ		= 0x02,
	IO_DSM		= 0x09,
	FEAT_VWC	= 0x06,
	SC_INVALID_OPCODE = 0x01,
	STATUS_MASK	= 0x7ff,	/* SCT and SC, without More and DNR */
};

/* An NVMe ioctl that is not defined (the 'N' type, an unused number). */
#define NVME_IOCTL_UNDEFINED	_IO('N', 0x7f)

enum expect_kind {
	EXP_ERRNO,	/* ioctl returned -1 with this errno */
	EXP_ZERO,	/* ioctl returned 0 */
	EXP_STATUS,	/* ioctl returned an NVMe status with these SCT/SC */
	EXP_VALUE,	/* ioctl returned this value (NVME_IOCTL_ID) */
};

struct expect {
	enum expect_kind kind;
	int val;
};

/* The outcome of one case: the ioctl's return value and errno, or a note. */
struct got {
	int ret;
	int err;
	const char *note;	/* set when the ioctl succeeded but a check on it failed */
};

struct ctx {
	int fd;			/* the node this case runs on */
	const char *node;	/* "ctrl" or "disk" */
	unsigned int nsid;	/* the disk's namespace id */
	unsigned int lbs;	/* the disk's logical block size */
	unsigned char *buf;	/* two page-aligned pages */
	unsigned char *ref;	/* Identify Controller data read by an aligned call */
};

static int failures;
static bool nvme_mode;

static const char *errno_name(int e)
{
	switch (e) {
	case EPERM:	return "EPERM";
	case ENOENT:	return "ENOENT";
	case EIO:	return "EIO";
	case ENXIO:	return "ENXIO";
	case EBADF:	return "EBADF";
	case ENOMEM:	return "ENOMEM";
	case EACCES:	return "EACCES";
	case EFAULT:	return "EFAULT";
	case EBUSY:	return "EBUSY";
	case ENODEV:	return "ENODEV";
	case EINVAL:	return "EINVAL";
	case ENOTTY:	return "ENOTTY";
	case ENOSPC:	return "ENOSPC";
	case EAGAIN:	return "EAGAIN";
	case EINTR:	return "EINTR";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case ETIMEDOUT:	return "ETIMEDOUT";
	default:	return NULL;
	}
}

static void fmt_errno(char *s, size_t n, int e)
{
	const char *name = errno_name(e);

	if (name)
		snprintf(s, n, "%s", name);
	else
		snprintf(s, n, "errno %d", e);
}

static void fmt_expect(char *s, size_t n, const struct expect *x)
{
	switch (x->kind) {
	case EXP_ERRNO:
		fmt_errno(s, n, x->val);
		break;
	case EXP_ZERO:
		snprintf(s, n, "0");
		break;
	case EXP_STATUS:
		snprintf(s, n, "status sct/sc 0x%03x", x->val);
		break;
	case EXP_VALUE:
		snprintf(s, n, "%d", x->val);
		break;
	}
}

static void fmt_got(char *s, size_t n, const struct got *g)
{
	if (g->ret < 0)
		fmt_errno(s, n, g->err);
	else if (g->ret > 0)
		snprintf(s, n, "status 0x%04x (sct %u sc 0x%02x)", g->ret,
			 (g->ret >> 8) & 7, g->ret & 0xff);
	else
		snprintf(s, n, "0");
	if (g->note) {
		size_t len = strlen(s);

		snprintf(s + len, n - len, " (%s)", g->note);
	}
}

/* For cases whose ioctl returns a value rather than a status. */
static void fmt_got_value(char *s, size_t n, const struct got *g)
{
	if (g->ret < 0)
		fmt_errno(s, n, g->err);
	else
		snprintf(s, n, "%d", g->ret);
}

static bool matches(const struct expect *x, const struct got *g)
{
	if (g->note)
		return false;
	switch (x->kind) {
	case EXP_ERRNO:
		return g->ret == -1 && g->err == x->val;
	case EXP_ZERO:
		return g->ret == 0;
	case EXP_STATUS:
		return g->ret > 0 && (g->ret & STATUS_MASK) == x->val;
	case EXP_VALUE:
		return g->ret == x->val;
	}
	return false;
}

static void report(const char *node, const char *name, const struct expect *x,
		   const struct got *g)
{
	char want[64], have[96];
	bool ok = matches(x, g);

	fmt_expect(want, sizeof(want), x);
	if (x->kind == EXP_VALUE)
		fmt_got_value(have, sizeof(have), g);
	else
		fmt_got(have, sizeof(have), g);
	printf("%s %s-%s expected %s, got %s\n", ok ? "PASS" : "FAIL", node, name,
	       want, have);
	fflush(stdout);
	if (!ok)
		failures++;
}

static void skip(const char *node, const char *name, const char *why)
{
	printf("SKIP %s-%s %s\n", node, name, why);
	fflush(stdout);
}

static struct got do_ioctl(int fd, unsigned long req, void *arg)
{
	struct got g = { 0 };

	errno = 0;
	g.ret = ioctl(fd, req, arg);
	g.err = errno;
	return g;
}

static void identify_cmd(struct nvme_passthru_cmd *c, void *buf)
{
	memset(c, 0, sizeof(*c));
	c->opcode = ADM_IDENTIFY;
	c->cdw10 = 1;			/* CNS 01h: Identify Controller */
	c->addr = (uintptr_t)buf;
	c->data_len = ID_LEN;
}

static struct got admin(struct ctx *t, struct nvme_passthru_cmd *c)
{
	return do_ioctl(t->fd, NVME_IOCTL_ADMIN_CMD, c);
}

/* --- the cases: each builds one command and returns the ioctl's outcome --- */

static struct got c_identify(struct ctx *t)
{
	struct nvme_passthru_cmd c;
	struct got g;

	memset(t->buf, 0xa5, ID_LEN);
	identify_cmd(&c, t->buf);
	g = admin(t, &c);
	if (g.ret == 0 && memcmp(t->buf, t->ref, ID_LEN))
		g.note = "data differs from the first Identify";
	return g;
}

static struct got c_identify64(struct ctx *t)
{
	struct nvme_passthru_cmd64 c = { 0 };
	struct got g;

	c.opcode = ADM_IDENTIFY;
	c.cdw10 = 1;
	c.addr = (uintptr_t)t->buf;
	c.data_len = ID_LEN;
	c.result = 0x1234567887654321ull;
	g = do_ioctl(t->fd, NVME_IOCTL_ADMIN64_CMD, &c);
	if (g.ret == 0 && c.result != 0)
		g.note = "result not written back as 0";
	else if (g.ret == 0 && memcmp(t->buf, t->ref, ID_LEN))
		g.note = "data differs from the first Identify";
	return g;
}

/* Get Features (Volatile Write Cache) both ways: the result dword comes back. */
static struct got c_getfeat_result(struct ctx *t)
{
	struct nvme_passthru_cmd c = { 0 };
	struct nvme_passthru_cmd64 c64 = { 0 };
	static char note[80];
	struct got g;

	c.opcode = ADM_GET_FEATURES;
	c.cdw10 = FEAT_VWC;
	c.result = 0xffffffff;
	g = admin(t, &c);
	if (g.ret)
		return g;
	c64.opcode = ADM_GET_FEATURES;
	c64.cdw10 = FEAT_VWC;
	c64.result = ~0ull;
	g = do_ioctl(t->fd, NVME_IOCTL_ADMIN64_CMD, &c64);
	if (g.ret)
		return g;
	if (c.result > 1 || c64.result != c.result) {
		snprintf(note, sizeof(note), "results 0x%x and 0x%llx, expected equal 0 or 1",
			 c.result, (unsigned long long)c64.result);
		g.note = note;
	}
	return g;
}

static struct got c_null_addr(struct ctx *t)
{
	struct nvme_passthru_cmd c;

	identify_cmd(&c, NULL);
	return admin(t, &c);
}

static struct got c_huge_len(struct ctx *t)
{
	struct nvme_passthru_cmd c;
	struct got g;
	void *big;

	/* A real mapping, so only the length is wrong. */
	big = mmap(NULL, HUGE_LEN, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (big == MAP_FAILED) {
		g.ret = -1;
		g.err = errno;
		g.note = "mmap failed";
		return g;
	}
	identify_cmd(&c, big);
	c.data_len = HUGE_LEN;
	g = admin(t, &c);
	munmap(big, HUGE_LEN);
	return g;
}

static struct got c_metadata(struct ctx *t)
{
	struct nvme_passthru_cmd c;

	identify_cmd(&c, t->buf);
	c.metadata = (uintptr_t)(t->buf + PAGE);
	c.metadata_len = 64;
	return admin(t, &c);
}

static struct got c_flags(struct ctx *t)
{
	struct nvme_passthru_cmd c;

	identify_cmd(&c, t->buf);
	c.flags = 1;	/* fused operation, first command */
	return admin(t, &c);
}

/* Queue management with queue id 0: invalid on any controller, should it get there. */
static struct got queue_cmd(struct ctx *t, unsigned char opcode)
{
	struct nvme_passthru_cmd c = { 0 };

	c.opcode = opcode;
	c.cdw10 = 0 | (15u << 16);	/* qid 0, 16 entries */
	return admin(t, &c);
}

static struct got c_create_sq(struct ctx *t) { return queue_cmd(t, ADM_CREATE_SQ); }
static struct got c_delete_sq(struct ctx *t) { return queue_cmd(t, ADM_DELETE_SQ); }
static struct got c_create_cq(struct ctx *t) { return queue_cmd(t, ADM_CREATE_CQ); }
static struct got c_delete_cq(struct ctx *t) { return queue_cmd(t, ADM_DELETE_CQ); }
static struct got c_async_event(struct ctx *t) { return queue_cmd(t, ADM_ASYNC_EVENT); }
static struct got c_dbbuf(struct ctx *t) { return queue_cmd(t, ADM_DBBUF); }

static struct got c_vendor_nodata(struct ctx *t)
{
	struct nvme_passthru_cmd c = { 0 };

	c.opcode = ADM_VENDOR;
	return admin(t, &c);
}

static struct got c_vendor_bidir(struct ctx *t)
{
	struct nvme_passthru_cmd c;

	identify_cmd(&c, t->buf);
	c.opcode = ADM_VENDOR;
	return admin(t, &c);
}

static struct got c_unknown_ioctl(struct ctx *t)
{
	return do_ioctl(t->fd, NVME_IOCTL_UNDEFINED, NULL);
}

static struct got c_nsid_ioctl(struct ctx *t)
{
	return do_ioctl(t->fd, NVME_IOCTL_ID, NULL);
}

static struct got io_cmd(struct ctx *t, unsigned int nsid)
{
	struct nvme_passthru_cmd c = { 0 };

	c.opcode = IO_FLUSH;
	c.nsid = nsid;
	return do_ioctl(t->fd, NVME_IOCTL_IO_CMD, &c);
}

static struct got c_io_flush(struct ctx *t) { return io_cmd(t, t->nsid); }
static struct got c_io_bad_nsid(struct ctx *t) { return io_cmd(t, BOGUS_NSID); }

/* Read the first blocks into t->buf through IO_CMD / IO64_CMD. */
static struct got c_io_read(struct ctx *t)
{
	struct nvme_passthru_cmd c = { 0 };

	c.opcode = IO_READ;
	c.nsid = t->nsid;
	c.addr = (uintptr_t)t->buf;
	c.data_len = PAGE;
	c.cdw12 = PAGE / t->lbs - 1;	/* 0's based block count */
	return do_ioctl(t->fd, NVME_IOCTL_IO_CMD, &c);
}

static struct got c_io64_read(struct ctx *t)
{
	struct nvme_passthru_cmd64 c = { 0 };

	c.opcode = IO_READ;
	c.nsid = t->nsid;
	c.addr = (uintptr_t)t->buf;
	c.data_len = PAGE;
	c.cdw12 = PAGE / t->lbs - 1;
	return do_ioctl(t->fd, NVME_IOCTL_IO64_CMD, &c);
}

static struct got c_io_null_addr(struct ctx *t)
{
	struct nvme_passthru_cmd c = { 0 };

	c.opcode = IO_READ;
	c.nsid = t->nsid;
	c.data_len = PAGE;
	c.cdw12 = PAGE / t->lbs - 1;
	return do_ioctl(t->fd, NVME_IOCTL_IO_CMD, &c);
}

static struct got submit_io(struct ctx *t, unsigned char opcode)
{
	struct nvme_user_io io = { 0 };

	io.opcode = opcode;
	io.addr = (uintptr_t)t->buf;
	io.slba = 0;
	io.nblocks = PAGE / t->lbs - 1;
	return do_ioctl(t->fd, NVME_IOCTL_SUBMIT_IO, &io);
}

static struct got c_submit_read(struct ctx *t) { return submit_io(t, IO_READ); }
static struct got c_submit_bad_op(struct ctx *t) { return submit_io(t, IO_DSM); }

/* A buffer one byte off any alignment: the driver must copy or reject, not corrupt. */
static struct got c_unaligned(struct ctx *t)
{
	struct nvme_passthru_cmd c;
	unsigned char *p = t->buf + 1;
	struct got g;

	memset(t->buf, 0xa5, 2 * PAGE);
	identify_cmd(&c, p);
	g = admin(t, &c);
	if (g.ret == 0 && memcmp(p, t->ref, ID_LEN))
		g.note = "data differs from the aligned Identify";
	else if (g.ret == 0 && (t->buf[0] != 0xa5 || p[ID_LEN] != 0xa5))
		g.note = "bytes around the buffer were overwritten";
	return g;
}

/* The buffer was unmapped before the call. */
static struct got c_unmapped(struct ctx *t)
{
	struct nvme_passthru_cmd c;
	struct got g;
	void *p;

	p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		g.ret = -1;
		g.err = errno;
		g.note = "mmap failed";
		return g;
	}
	munmap(p, PAGE);
	identify_cmd(&c, p);
	return admin(t, &c);
}

/* The first half of the buffer is mapped, the second half not. */
static struct got c_half_unmapped(struct ctx *t)
{
	struct nvme_passthru_cmd c;
	unsigned char *p;
	struct got g;

	p = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		g.ret = -1;
		g.err = errno;
		g.note = "mmap failed";
		return g;
	}
	munmap(p + PAGE, PAGE);
	identify_cmd(&c, p + PAGE / 2);
	g = admin(t, &c);
	munmap(p, PAGE);
	return g;
}

/* A read-only buffer for a command that writes into it. */
static struct got c_readonly_buf(struct ctx *t)
{
	struct nvme_passthru_cmd c;
	struct got g;
	void *p;

	p = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		g.ret = -1;
		g.err = errno;
		g.note = "mmap failed";
		return g;
	}
	identify_cmd(&c, p);
	g = admin(t, &c);
	munmap(p, PAGE);
	return g;
}

#define ON_CTRL	1
#define ON_DISK	2
#define ON_BOTH	(ON_CTRL | ON_DISK)

struct bad_case {
	const char *name;
	int nodes;		/* ON_CTRL, ON_DISK or ON_BOTH */
	struct got (*run)(struct ctx *t);
	struct expect ctrl;	/* expected on the controller node */
	struct expect disk;	/* expected on the disk */
	bool rocknvme_only;	/* rocknvme's own policy: skipped for nvme */
};

#define ERR(e)		{ EXP_ERRNO, (e) }
#define ZERO		{ EXP_ZERO, 0 }
#define STATUS(sc)	{ EXP_STATUS, (sc) }
#define INVALID_OPCODE	STATUS(SC_INVALID_OPCODE)
#define NSID		{ EXP_VALUE, -1 }	/* the disk's nsid, filled in at run time */
#define NONE		{ EXP_ZERO, 0 }		/* the case does not run on that node */

/* CASE: the same for any driver; POLICY: what rocknvme chose, skipped for nvme. */
#define CASE(name, nodes, run, ctrl, disk)	{ name, nodes, run, ctrl, disk, false }
#define POLICY(name, nodes, run, ctrl, disk)	{ name, nodes, run, ctrl, disk, true }

/*
 * Where the in-kernel nvme driver (6.1) differs, the row is a POLICY one:
 *  - a NULL buffer with data_len set is sent without data there, not refused;
 *  - metadata on admin commands is ignored there;
 *  - queue management, AER and Doorbell Buffer Config pass through there;
 *  - the controller node takes only IO_CMD (ENOTTY for IO64_CMD) there;
 *  - a bidirectional opcode with data is sent as a write there.
 * IO_CMD whose nsid is not the disk's (or, on the controller node, no namespace's) is
 * EINVAL on both drivers, as is any command with flags set.
 *
 * The table, run in order on each node it names. Good calls come first and in
 * between, so that a bad call which broke the driver shows up as a failing
 * good call after it.
 */
static const struct bad_case cases[] = {
	CASE("identify",		ON_BOTH, c_identify,	ZERO,		ZERO),
	CASE("identify64",		ON_BOTH, c_identify64,	ZERO,		ZERO),
	CASE("getfeat-result",		ON_BOTH, c_getfeat_result, ZERO,	ZERO),
	POLICY("null-addr",		ON_BOTH, c_null_addr,	ERR(EFAULT),	ERR(EFAULT)),
	CASE("huge-data-len",		ON_BOTH, c_huge_len,	ERR(EINVAL),	ERR(EINVAL)),
	POLICY("metadata",		ON_BOTH, c_metadata,	ERR(EINVAL),	ERR(EINVAL)),
	CASE("flags",			ON_BOTH, c_flags,	ERR(EINVAL),	ERR(EINVAL)),
	POLICY("create-sq",		ON_BOTH, c_create_sq,	ERR(EPERM),	ERR(EPERM)),
	POLICY("delete-sq",		ON_BOTH, c_delete_sq,	ERR(EPERM),	ERR(EPERM)),
	POLICY("create-cq",		ON_BOTH, c_create_cq,	ERR(EPERM),	ERR(EPERM)),
	POLICY("delete-cq",		ON_BOTH, c_delete_cq,	ERR(EPERM),	ERR(EPERM)),
	POLICY("async-event",		ON_CTRL, c_async_event,	ERR(EPERM),	NONE),
	POLICY("dbbuf-config",		ON_CTRL, c_dbbuf,	ERR(EPERM),	NONE),
	CASE("vendor-opcode",		ON_BOTH, c_vendor_nodata, INVALID_OPCODE, INVALID_OPCODE),
	POLICY("vendor-bidir-data",	ON_CTRL, c_vendor_bidir, ERR(EINVAL),	NONE),
	CASE("unknown-ioctl",		ON_BOTH, c_unknown_ioctl, ERR(ENOTTY),	ERR(ENOTTY)),
	CASE("nsid-ioctl",		ON_BOTH, c_nsid_ioctl,	ERR(ENOTTY),	NSID),
	CASE("io-flush",		ON_BOTH, c_io_flush,	ZERO,		ZERO),
	CASE("io-bad-nsid",		ON_BOTH, c_io_bad_nsid,	ERR(EINVAL),	ERR(EINVAL)),
	CASE("io-read",			ON_BOTH, c_io_read,	ZERO,		ZERO),
	POLICY("io64-read",		ON_CTRL, c_io64_read,	ZERO,		NONE),
	CASE("io64-read",		ON_DISK, c_io64_read,	NONE,		ZERO),
	POLICY("io-null-addr",		ON_BOTH, c_io_null_addr, ERR(EFAULT),	ERR(EFAULT)),
	CASE("submit-io-read",		ON_BOTH, c_submit_read,	ERR(ENOTTY),	ZERO),
	CASE("submit-io-bad-op",	ON_DISK, c_submit_bad_op, NONE,		ERR(EINVAL)),
	CASE("unaligned-buf",		ON_BOTH, c_unaligned,	ZERO,		ZERO),
	CASE("unmapped-buf",		ON_BOTH, c_unmapped,	ERR(EFAULT),	ERR(EFAULT)),
	CASE("half-unmapped-buf",	ON_BOTH, c_half_unmapped, ERR(EFAULT),	ERR(EFAULT)),
	CASE("readonly-buf",		ON_BOTH, c_readonly_buf, ERR(EFAULT),	ERR(EFAULT)),
	CASE("identify-after",		ON_BOTH, c_identify,	ZERO,		ZERO),
};

static int open_node(const char *path, int flags)
{
	int fd = open(path, flags);

	if (fd < 0)
		fprintf(stderr, "rnv-ioctl: open %s: %s\n", path, strerror(errno));
	return fd;
}

/* The namespace id and block size of the disk, or 0 when unknown. */
static void disk_info(int fd, unsigned int *nsid, unsigned int *lbs)
{
	int ret, ss = 0;

	ret = ioctl(fd, NVME_IOCTL_ID);
	*nsid = ret > 0 ? (unsigned int)ret : 0;
	if (ioctl(fd, BLKSSZGET, &ss) || ss <= 0 || ss > (int)PAGE)
		ss = 512;
	*lbs = ss;
}

static int run_bad(const char *ctrl_path, const char *disk_path)
{
	struct ctx ctrl = { .node = "ctrl" }, disk = { .node = "disk" };
	unsigned char *buf, *ref;
	struct nvme_passthru_cmd c;
	size_t i;
	int ret;

	ctrl.fd = open_node(ctrl_path, O_RDWR);
	disk.fd = open_node(disk_path, O_RDWR);
	if (ctrl.fd < 0 || disk.fd < 0)
		return 2;
	disk_info(disk.fd, &disk.nsid, &disk.lbs);
	if (!disk.nsid) {
		fprintf(stderr, "rnv-ioctl: %s: NVME_IOCTL_ID failed: %s\n", disk_path,
			strerror(errno));
		return 2;
	}
	ctrl.nsid = disk.nsid;
	ctrl.lbs = disk.lbs;

	buf = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ref = malloc(ID_LEN);
	if (buf == MAP_FAILED || !ref) {
		perror("rnv-ioctl: buffers");
		return 2;
	}
	/* The reference Identify Controller data, from a plain aligned call. */
	identify_cmd(&c, ref);
	ret = ioctl(ctrl.fd, NVME_IOCTL_ADMIN_CMD, &c);
	if (ret) {
		fprintf(stderr, "rnv-ioctl: reference Identify on %s failed: %s\n", ctrl_path,
			ret < 0 ? strerror(errno) : "NVMe status");
		return 2;
	}
	ctrl.buf = buf;
	disk.buf = buf;
	ctrl.ref = ref;
	disk.ref = ref;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct bad_case *bc = &cases[i];
		struct ctx *nodes[2] = { &ctrl, &disk };
		int n;

		for (n = 0; n < 2; n++) {
			struct ctx *t = nodes[n];
			struct expect x = n ? bc->disk : bc->ctrl;
			struct got g;

			if (!(bc->nodes & (n ? ON_DISK : ON_CTRL)))
				continue;
			if (bc->rocknvme_only && nvme_mode) {
				skip(t->node, bc->name, "rocknvme policy, not checked for nvme");
				continue;
			}
			if (x.kind == EXP_VALUE && x.val == -1)
				x.val = disk.nsid;
			g = bc->run(t);
			report(t->node, bc->name, &x, &g);
		}
	}
	return failures ? 1 : 0;
}

/* Can uid/gid NOBODY open @path for read and write, going by its mode? */
static bool nobody_may_open(const struct stat *st)
{
	if (st->st_uid == NOBODY)
		return (st->st_mode & 0600) == 0600;
	if (st->st_gid == NOBODY)
		return (st->st_mode & 0060) == 0060;
	return (st->st_mode & 0006) == 0006;
}

/* Open @path as NOBODY: success or EACCES, whichever the node's mode says. */
static void unpriv_open(const char *node, const char *path)
{
	struct expect x;
	struct stat st;
	struct got g = { 0 };
	char name[48];
	int fd;

	if (stat(path, &st)) {
		fprintf(stderr, "rnv-ioctl: stat %s: %s\n", path, strerror(errno));
		failures++;
		return;
	}
	x.kind = nobody_may_open(&st) ? EXP_ZERO : EXP_ERRNO;
	x.val = x.kind == EXP_ERRNO ? EACCES : 0;
	errno = 0;
	fd = open(path, O_RDWR);
	g.ret = fd < 0 ? -1 : 0;
	g.err = errno;
	snprintf(name, sizeof(name), "open-as-nobody-mode-%04o", st.st_mode & 07777);
	report(node, name, &x, &g);
	if (fd >= 0)
		close(fd);
}

static int run_unpriv(const char *ctrl_path, const char *disk_path)
{
	struct ctx ctrl = { .node = "ctrl" }, disk = { .node = "disk" };
	const struct expect eacces = ERR(EACCES);
	struct nvme_passthru_cmd c;
	struct nvme_passthru_cmd64 c64 = { 0 };
	struct expect nsid;
	unsigned char *buf;
	struct got g;

	/* Open while still root; the files keep working after the drop. */
	ctrl.fd = open_node(ctrl_path, O_RDWR);
	disk.fd = open_node(disk_path, O_RDWR);
	if (ctrl.fd < 0 || disk.fd < 0)
		return 2;
	disk_info(disk.fd, &disk.nsid, &disk.lbs);
	buf = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED || !disk.nsid) {
		fprintf(stderr, "rnv-ioctl: setup failed\n");
		return 2;
	}
	ctrl.buf = buf;
	disk.buf = buf;
	ctrl.nsid = disk.nsid;
	ctrl.lbs = disk.lbs;

	if (setgroups(0, NULL) || setgid(NOBODY) || setuid(NOBODY)) {
		perror("rnv-ioctl: dropping to uid/gid 65534");
		return 2;
	}
	if (getuid() != NOBODY || geteuid() != NOBODY || getegid() != NOBODY) {
		fprintf(stderr, "rnv-ioctl: still uid %d euid %d egid %d\n", getuid(),
			geteuid(), getegid());
		return 2;
	}
	printf("INFO dropped to uid %d gid %d; fds opened as root\n", getuid(), getgid());

	identify_cmd(&c, buf);
	g = admin(&ctrl, &c);
	report("ctrl", "unpriv-admin", &eacces, &g);
	identify_cmd(&c, buf);
	g = admin(&disk, &c);
	report("disk", "unpriv-admin", &eacces, &g);

	c64.opcode = ADM_IDENTIFY;
	c64.cdw10 = 1;
	c64.addr = (uintptr_t)buf;
	c64.data_len = ID_LEN;
	g = do_ioctl(ctrl.fd, NVME_IOCTL_ADMIN64_CMD, &c64);
	report("ctrl", "unpriv-admin64", &eacces, &g);

	g = c_io_read(&disk);
	report("disk", "unpriv-io-read", &eacces, &g);
	g = c_io_read(&ctrl);
	report("ctrl", "unpriv-io-read", &eacces, &g);
	/* nvme leaves SUBMIT_IO to the file's open mode; rocknvme wants CAP_SYS_ADMIN. */
	if (nvme_mode) {
		skip("disk", "unpriv-submit-io", "rocknvme policy, not checked for nvme");
	} else {
		g = c_submit_read(&disk);
		report("disk", "unpriv-submit-io", &eacces, &g);
	}

	/* Asking which namespace a disk is needs no privilege. */
	nsid.kind = EXP_VALUE;
	nsid.val = disk.nsid;
	g = c_nsid_ioctl(&disk);
	report("disk", "unpriv-nsid-ioctl", &nsid, &g);

	unpriv_open("ctrl", ctrl_path);
	unpriv_open("disk", disk_path);
	return failures ? 1 : 0;
}

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
 * Never sent, because each would legitimately destroy or change the namespace or
 * controller set-up that the data test after the fuzz relies on:
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
 *   admin 0x09 Set Features, except the ids in fz_safe_fids (Arbitration, Power
 *         Management, Temperature Threshold, Volatile Write Cache, Interrupt Coalescing,
 *         Interrupt Vector Configuration, Write Atomicity, Async Event Configuration,
 *         Timestamp, Host Behavior Support). Left out, e.g.: 0x07 Number of Queues (the
 *         driver's queues), 0x05 Error Recovery (DULBE fails reads of unwritten blocks),
 *         0x0D Host Memory Buffer (the controller would DMA to random host addresses),
 *         0x0F Keep Alive Timer (an expiry may stop the controller), 0x19 I/O Command
 *         Set Profile, 0x84 Namespace Write Protection.
 *   I/O 0x0D, 0x11, 0x15 Reservation Register / Acquire / Release: could fence our writes
 *   with "nvme", also admin 0x00 0x01 0x04 0x05 0x0C (queue management, Async Event
 *   Request): the in-kernel driver passes them on; rocknvme must refuse them (EPERM),
 *   so they are sent to rocknvme, and a success is an anomaly.
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
 * Media writes (Write, Write Uncorrectable, Write Zeroes, Zone Append, Copy's
 * destination) start at or beyond FZ_PROTECT, so the data test after the fuzz uses
 * blocks no fuzz write touched (Dataset Management and Copy source ranges are random
 * bytes from the buffer: practically never in range).
 * Vendor-specific opcodes (admin 0xC0..0xFF, I/O 0x80..0xFF) are sent: QEMU refuses
 * them. Do not point this at a drive whose data or firmware matters.
 *
 * Anomalies (ANOMALY lines for the first few, ANOMALIES counts per reason, exit 3): an
 * undefined ioctl succeeding; success or an NVMe status for a call whose argument
 * pointer or data buffer is bad (NULL, unmapped, partly unmapped, kernel, read-only for
 * data the controller writes) instead of EFAULT; a status wider than 15 bits; and, for
 * rocknvme only, its documented refusals (flags, metadata, queue management/AER opcodes,
 * I/O for another nsid, bidirectional data, SUBMIT_IO opcodes other than read/write/
 * compare) being accepted. With "nvme", a bad buffer for data the controller writes is
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

static bool fz_admin_excluded(uint8_t op)
{
	switch (op) {
	case 0x0d: case 0x10: case 0x11: case 0x15: case 0x1c: case 0x1d: case 0x20:
	case 0x24: case 0x7c: case 0x80: case 0x81: case 0x84:
		return true;
	case 0x00: case 0x01: case 0x04: case 0x05: case 0x0c:
		return nvme_mode;
	default:
		return false;
	}
}

/* What rocknvme refuses with EPERM (chardev.c): its own queues and the AER. */
static bool fz_admin_reserved(uint8_t op)
{
	return op == 0x00 || op == 0x01 || op == 0x04 || op == 0x05 || op == 0x0c ||
	       op == 0x7c;
}

static bool fz_io_excluded(uint8_t op)
{
	return op == 0x0d || op == 0x11 || op == 0x15;
}

/* Media writes: they start at or beyond f->protect. */
static bool fz_media_write(uint8_t op)
{
	return op == 0x01 || op == 0x04 || op == 0x08 || op == 0x19 || op == 0x7d;
}

static const uint32_t fz_safe_fids[] = {
	0x01, 0x02, 0x04, 0x06, 0x08, 0x09, 0x0a, 0x0b, 0x0e, 0x16,
};

static uint8_t fz_admin_opcode(struct fz *f)
{
	/* Log, Identify (twice), Abort, Set/Get Features, Self-test, Keep Alive, Directive
	 * Send/Receive, MI Receive, Fabrics, Security Receive, Get LBA Status, then the
	 * queue management and AER opcodes rocknvme refuses. */
	static const uint32_t common[] = {
		0x02, 0x06, 0x06, 0x08, 0x09, 0x0a, 0x14, 0x18, 0x19, 0x1a, 0x1e, 0x7f, 0x82,
		0x86, 0x00, 0x01, 0x04, 0x05, 0x0c,
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
		0x00, 0x01, 0x01, 0x02, 0x02, 0x02, 0x04, 0x05, 0x08, 0x09, 0x0c, 0x0e, 0x12,
		0x19, 0x79, 0x7a, 0x7d,
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
	case 0x06:		/* Identify: CNS, CNTID; CSI */
		c->cdw10 = (fz_pct(f, 80) ? fz_pick(f, cns) : fz_rnd(f, 256)) |
			   (fz_pct(f, 10) ? fz_rnd(f, 65536) << 16 : 0);
		c->cdw11 = fz_pct(f, 80) ? 0 : fz_dw(f);
		break;
	case 0x02:		/* Get Log Page: LID, LSP, RAE, NUMDL; NUMDU, LSI; offset */
		c->cdw10 = (fz_pct(f, 80) ? fz_pick(f, lids) : fz_rnd(f, 256)) |
			   (fz_pct(f, 10) ? fz_rnd(f, 16) << 8 : 0) | fz_rnd(f, 2) << 15 |
			   (numd & 0xffff) << 16;
		c->cdw11 = numd >> 16 | (fz_pct(f, 10) ? fz_rnd(f, 65536) << 16 : 0);
		c->cdw12 = fz_pct(f, 80) ? 0 : fz_dw(f);
		c->cdw13 = fz_pct(f, 90) ? 0 : fz_dw(f);
		break;
	case 0x09:		/* Set Features: a safe FID, sometimes Save */
		fid = fz_pick(f, fz_safe_fids);
		c->cdw10 = fid | (fz_pct(f, 10) ? 1u << 31 : 0);
		if (fid == 0x06 && fz_pct(f, 80))
			c->cdw11 = fz_rnd(f, 2);
		break;
	case 0x0a:		/* Get Features: FID, SEL */
		c->cdw10 = (fz_pct(f, 50) ? fz_pick(f, fz_safe_fids) : fz_rnd(f, 256)) |
			   fz_rnd(f, 8) << 8;
		break;
	case 0x08:		/* Abort: SQID, CID (31 is rocknvme's AER) */
		r = fz_rnd(f, 100);
		sqid = r < 40 ? 0 : r < 80 ? 1 + fz_rnd(f, 4) : fz_rnd(f, 65536);
		r = fz_rnd(f, 100);
		cid = r < 10 ? 31 : r < 70 ? fz_rnd(f, 32) : fz_rnd(f, 65536);
		c->cdw10 = sqid | cid << 16;
		break;
	case 0x1a:		/* Directive Receive: NUMD */
		c->cdw10 = numd;
		break;
	case 0x82:		/* Security Receive: allocation length in bytes */
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
	if (c->opcode == 0x02)		/* the controller writes (NLB + 1) blocks */
		nlb = !blocks ? 0 : nlb < blocks ? nlb : blocks - 1;
	if (fz_media_write(c->opcode) && slba < f->protect)
		slba += f->protect;
	c->cdw10 = (uint32_t)slba;
	c->cdw11 = slba >> 32;
	c->cdw12 = nlb | (fz_pct(f, 20) ? (uint32_t)fz_next(f) & 0xffff0000u : 0);
	switch (c->opcode) {
	case 0x09:		/* DSM: NR; attributes (the ranges are the buffer's bytes) */
		c->cdw10 = fz_rnd(f, 256);
		c->cdw11 = fz_rnd(f, 8);
		break;
	case 0x0e:		/* Reservation Report: NUMD */
		c->cdw10 = numd;
		break;
	case 0x12:		/* I/O Management Receive: NUMD */
		c->cdw11 = numd;
		break;
	case 0x7a:		/* Zone Management Receive: NUMD */
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
	io->opcode = r < 40 ? 0x02 : r < 65 ? 0x01 : r < 80 ? 0x05 : fz_rnd(f, 256);
	r = fz_rnd(f, 100);
	io->nblocks = r < 60 ? fz_rnd(f, 128) : r < 80 ? fz_rnd(f, 1024) : fz_rnd(f, 65536);
	io->slba = fz_slba(f);
	if (io->opcode == 0x01 && io->slba < f->protect)
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
	k->dev_writes = io->opcode == 0x02;
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
	if (admin && fz_admin_reserved(c->opcode))
		return FW_RESERVED;
	if (passthru && !admin && c->nsid != f->nsid)
		return FW_NSID;
	if (k->kind == FK_SUBMIT && (k->io.flags || k->io.metadata))
		return FW_SUBMIT_FLAGS;
	if (k->kind == FK_SUBMIT && k->io.opcode != 0x01 && k->io.opcode != 0x02 &&
	    k->io.opcode != 0x05)
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

static int run_fuzz(const char *ctrl_path, const char *disk_path, unsigned long count,
		    uint64_t seed)
{
	static struct fz f;
	static unsigned char ref[ID_LEN] __attribute__((aligned(4096)));
	static unsigned char after[ID_LEN] __attribute__((aligned(4096)));
	struct nvme_passthru_cmd c;
	unsigned long long bytes = 0;
	unsigned long i, step = count >= 10 ? count / 10 : 1;
	double start;
	uint64_t *w;
	int ret;

	f.ctrl_fd = open_node(ctrl_path, O_RDWR);
	f.disk_fd = open_node(disk_path, O_RDWR);
	if (f.ctrl_fd < 0 || f.disk_fd < 0)
		return 2;
	disk_info(f.disk_fd, &f.nsid, &f.lbs);
	if (!f.nsid || ioctl(f.disk_fd, BLKGETSIZE64, &bytes) || bytes / f.lbs < 1024) {
		fprintf(stderr, "rnv-ioctl: %s: no nsid or size\n", disk_path);
		return 2;
	}
	f.nsze = bytes / f.lbs;
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

static void usage(void)
{
	fputs("usage: rnv-ioctl bad|unpriv CTRL DISK [nvme]\n"
	      "       rnv-ioctl fuzz CTRL DISK COUNT SEED [nvme]\n", stderr);
	exit(2);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 2 && !strcmp(argv[1], "fuzz")) {
		unsigned long count;
		unsigned long long seed;
		char *end1, *end2;

		if (argc == 7 && !strcmp(argv[6], "nvme"))
			nvme_mode = true;
		else if (argc != 6)
			usage();
		count = strtoul(argv[4], &end1, 0);
		seed = strtoull(argv[5], &end2, 0);
		if (*end1 || *end2 || !*argv[4] || !*argv[5])
			usage();
		return run_fuzz(argv[2], argv[3], count, seed);
	}
	if (argc == 5 && !strcmp(argv[4], "nvme"))
		nvme_mode = true;
	else if (argc != 4)
		usage();
	if (!strcmp(argv[1], "bad"))
		return run_bad(argv[2], argv[3]);
	if (!strcmp(argv[1], "unpriv"))
		return run_unpriv(argv[2], argv[3]);
	usage();
	return 2;
}
