// SPDX-License-Identifier: GPL-2.0
/*
 * rnv-ioctl: check how an NVMe driver's passthrough ioctls (<linux/nvme_ioctl.h>)
 * treat bad input, on the controller node and on a namespace disk.
 *
 *   rnv-ioctl bad    CTRL DISK [nvme]   the table of bad (and a few good) calls
 *   rnv-ioctl unpriv CTRL DISK [nvme]   the same nodes after dropping to uid/gid 65534
 *   rnv-ioctl fuzz   CTRL DISK COUNT SEED [nvme]
 *                                       COUNT random ioctls (the same ones for the same
 *                                       SEED), then Identify must still work; see
 *                                       ioctl-fuzz.c for what it sends and never sends.
 *                                       WRITES random data to the namespace.
 *
 * CTRL is the controller char device (/dev/rocknvme0), DISK a namespace block
 * device of it (/dev/rocknvme0n1). A trailing "nvme" says the nodes belong to
 * the in-kernel nvme driver: cases that check rocknvme's own policy are then
 * skipped (some of them would upset that driver, e.g. a Doorbell Buffer Config).
 *
 * Output of bad and unpriv, one line per case (see ioctl-cases.c):
 *   PASS|FAIL|SKIP <node>-<case> expected <what>, got <what>
 * Exit status 0 when no case failed, 1 when one did, 2 on a usage or setup error.
 * fuzz: 0, or 1 when Identify fails after it, 3 when an outcome was implausible
 * (ANOMALY lines), 2 on a usage or setup error.
 *
 * The sources: this file (main, the plain ioctl wrappers), ioctl-cases.c (bad, unpriv),
 * ioctl-fuzz.c (fuzz), ioctl-common.h (what they share) and nvme-opcodes.h (the NVMe
 * opcodes and feature ids, with what rocknvme refuses; tests/unit/opcodes.sh checks it
 * against the driver). Build: make -C tests/tools (static, -Wall -Wextra -Werror; the
 * guest images build it with their arch's compiler, see tests/lib/mkinitramfs.sh).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/fs.h>
#include "ioctl-common.h"

bool nvme_mode;

/* The flags of each opcode and feature id in nvme-opcodes.h, indexed by value. */
#define NVME_OP_FLAGS(name, value, flags)	[value] = (flags),
const unsigned char nvme_admin_flags[256] = { NVME_ADMIN_OPCODES(NVME_OP_FLAGS) };
const unsigned char nvme_io_flags[256] = { NVME_IO_OPCODES(NVME_OP_FLAGS) };
const unsigned char nvme_feat_flags[256] = { NVME_FEATURES(NVME_OP_FLAGS) };

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

void fmt_errno(char *s, size_t n, int e)
{
	const char *name = errno_name(e);

	if (name)
		snprintf(s, n, "%s", name);
	else
		snprintf(s, n, "errno %d", e);
}

struct got do_ioctl(int fd, unsigned long req, void *arg)
{
	struct got g = { 0 };

	errno = 0;
	g.ret = ioctl(fd, req, arg);
	g.err = errno;
	return g;
}

void identify_cmd(struct nvme_passthru_cmd *c, void *buf)
{
	memset(c, 0, sizeof(*c));
	c->opcode = ADM_IDENTIFY;
	c->cdw10 = 1;			/* CNS 01h: Identify Controller */
	c->addr = (uintptr_t)buf;
	c->data_len = ID_LEN;
}

int open_node(const char *path, int flags)
{
	int fd = open(path, flags);

	if (fd < 0)
		fprintf(stderr, "rnv-ioctl: open %s: %s\n", path, strerror(errno));
	return fd;
}

/*
 * Both nodes read-write, and the disk's namespace id and logical block size (512 when the
 * kernel does not say). 0, or 2 (the tool's setup-failure status) after saying why.
 */
int open_nodes(const char *ctrl_path, const char *disk_path, struct nodes *n)
{
	int ret, ss = 0;

	n->ctrl_fd = open_node(ctrl_path, O_RDWR);
	n->disk_fd = open_node(disk_path, O_RDWR);
	if (n->ctrl_fd < 0 || n->disk_fd < 0)
		return 2;
	ret = ioctl(n->disk_fd, NVME_IOCTL_ID);
	if (ret <= 0) {
		fprintf(stderr, "rnv-ioctl: %s: NVME_IOCTL_ID failed: %s\n", disk_path,
			ret < 0 ? strerror(errno) : "no namespace id");
		return 2;
	}
	n->nsid = ret;
	if (ioctl(n->disk_fd, BLKSSZGET, &ss) || ss <= 0 || ss > (int)PAGE)
		ss = 512;
	n->lbs = ss;
	return 0;
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
