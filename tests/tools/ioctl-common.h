/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ioctl-common.h: what rnv-ioctl's parts share: the main file (rnv-ioctl.c: main and the
 * plain ioctl wrappers), the bad-input cases (ioctl-cases.c) and the fuzzer (ioctl-fuzz.c).
 */
#ifndef RNV_IOCTL_COMMON_H
#define RNV_IOCTL_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/nvme_ioctl.h>
#include "nvme-opcodes.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define PAGE		4096u
#define ID_LEN		4096u		/* Identify data */

/* A trailing "nvme" argument: the nodes are the in-kernel nvme driver's. */
extern bool nvme_mode;

/* The outcome of one call: the ioctl's return value and errno, or a note. */
struct got {
	int ret;
	int err;
	const char *note;	/* set when the ioctl succeeded but a check on it failed */
};

/* An errno's name ("EFAULT"), or "errno N". */
void fmt_errno(char *s, size_t n, int e);
/* ioctl(fd, req, arg) with its errno. */
struct got do_ioctl(int fd, unsigned long req, void *arg);
/* Identify Controller (CNS 01h) into @buf, ID_LEN bytes. */
void identify_cmd(struct nvme_passthru_cmd *c, void *buf);
/* open(2), saying why on stderr when it fails. */
int open_node(const char *path, int flags);
/* The controller and disk nodes as both modes open them, with the disk's namespace. */
struct nodes {
	int ctrl_fd;
	int disk_fd;
	unsigned int nsid;
	unsigned int lbs;	/* logical block size */
};
int open_nodes(const char *ctrl_path, const char *disk_path, struct nodes *n);

/* The modes, each returning the exit status (see rnv-ioctl.c). */
int run_bad(const char *ctrl_path, const char *disk_path);
int run_unpriv(const char *ctrl_path, const char *disk_path);
int run_fuzz(const char *ctrl_path, const char *disk_path, unsigned long count,
	     uint64_t seed);

#endif
