// SPDX-License-Identifier: GPL-2.0
/*
 * rnv-ioctl's bad-input cases: "bad", a table of bad (and a few good) passthrough calls
 * on the controller node and on the disk, each with the outcome it must have; "unpriv",
 * the same nodes after dropping to uid/gid 65534. One line per case:
 *   PASS|FAIL|SKIP <node>-<case> expected <what>, got <what>
 * "got" is an errno name when the ioctl returned -1, "status 0x..." when it returned a
 * positive NVMe status (SCT/SC as the kernel hands it back, with the DNR and More bits),
 * else the return value. The opcodes come from nvme-opcodes.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "ioctl-common.h"

#define HUGE_LEN	(16u << 20)	/* above any driver's max transfer */
#define NOBODY		65534
#define BOGUS_NSID	0xdeadbeefu

/* NVMe status codes the cases expect. */
enum {
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

struct ctx {
	int fd;			/* the node this case runs on */
	const char *node;	/* "ctrl" or "disk" */
	unsigned int nsid;	/* the disk's namespace id */
	unsigned int lbs;	/* the disk's logical block size */
	unsigned char *buf;	/* two page-aligned pages */
	unsigned char *ref;	/* Identify Controller data read by an aligned call */
};

static int failures;

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
	c.cdw10 = FEAT_VOLATILE_WC;
	c.result = 0xffffffff;
	g = admin(t, &c);
	if (g.ret)
		return g;
	c64.opcode = ADM_GET_FEATURES;
	c64.cdw10 = FEAT_VOLATILE_WC;
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

int run_bad(const char *ctrl_path, const char *disk_path)
{
	struct ctx ctrl = { .node = "ctrl" }, disk = { .node = "disk" };
	struct nodes n;
	unsigned char *buf, *ref;
	struct nvme_passthru_cmd c;
	size_t i;
	int ret;

	if (open_nodes(ctrl_path, disk_path, &n))
		return 2;
	ctrl.fd = n.ctrl_fd;
	disk.fd = n.disk_fd;
	ctrl.nsid = disk.nsid = n.nsid;
	ctrl.lbs = disk.lbs = n.lbs;

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

int run_unpriv(const char *ctrl_path, const char *disk_path)
{
	struct ctx ctrl = { .node = "ctrl" }, disk = { .node = "disk" };
	const struct expect eacces = ERR(EACCES);
	struct nodes n;
	struct nvme_passthru_cmd c;
	struct nvme_passthru_cmd64 c64 = { 0 };
	struct expect nsid;
	unsigned char *buf;
	struct got g;

	/* Open while still root; the files keep working after the drop. */
	if (open_nodes(ctrl_path, disk_path, &n))
		return 2;
	ctrl.fd = n.ctrl_fd;
	disk.fd = n.disk_fd;
	ctrl.nsid = disk.nsid = n.nsid;
	ctrl.lbs = disk.lbs = n.lbs;
	buf = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED) {
		perror("rnv-ioctl: buffer");
		return 2;
	}
	ctrl.buf = buf;
	disk.buf = buf;

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
