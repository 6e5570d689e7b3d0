/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nvme-opcodes.h: the one list of NVMe opcodes and feature ids that rnv-ioctl's bad-input
 * cases (ioctl-cases.c) and its fuzzer (ioctl-fuzz.c) use, with what rocknvme does with
 * each. User space has no <linux/nvme.h> (the kernel's, where the driver's nvme_admin_*,
 * nvme_cmd_* and NVME_FEAT_* come from) and <linux/nvme_ioctl.h> has only the ioctl
 * structs, so the values are spelled out here (NVMe 2.0 base and NVM command set specs).
 * The names are the kernel's in upper case, nvme_admin_ -> ADM_, nvme_cmd_ -> IO_,
 * NVME_FEAT_ -> FEAT_ (a few shortened).
 *
 * One entry a line, X(NAME, VALUE, FLAGS), read by the C files through the X macros and by
 * tests/unit/opcodes.sh, which checks that the OP_REFUSED, OP_SUBMIT and OP_EFFECTS
 * entries are exactly the driver's (driver/chardev.c, driver/admin.c):
 *   OP_REFUSED      rocknvme refuses it from user space with EPERM (chardev.c,
 *                   rnv_admin_cmd_reserved): admin opcodes in NVME_ADMIN_OPCODES, Set
 *                   Features ids in NVME_FEATURES. The in-kernel nvme driver passes them on.
 *   OP_SUBMIT       an I/O opcode NVME_IOCTL_SUBMIT_IO takes (chardev.c: read, write and
 *                   compare; any other is EINVAL).
 *   OP_EFFECTS      an admin command rocknvme always treats as changing namespaces (admin.c,
 *                   rnv_admin_effects: I/O frozen around it, namespaces rescanned after).
 * and, for the fuzzer only:
 *   OP_NOFUZZ       never sent: it would legitimately destroy or change the namespace or
 *                   controller set-up the data test after the fuzz relies on (see the fuzz
 *                   section of ioctl-fuzz.c for each one's reason).
 *   OP_MEDIA_WRITE  an I/O command that writes the media: the fuzz starts it at FZ_PROTECT.
 *   OP_FUZZ_SET     a feature id the fuzzer may Set (any other Set Features is not sent).
 */
#ifndef RNV_NVME_OPCODES_H
#define RNV_NVME_OPCODES_H

#define OP_REFUSED	0x01
#define OP_SUBMIT	0x02
#define OP_EFFECTS	0x04
#define OP_NOFUZZ	0x08
#define OP_MEDIA_WRITE	0x10
#define OP_FUZZ_SET	0x20

/* Admin opcodes (nvme_admin_*). */
#define NVME_ADMIN_OPCODES(X) \
	X(ADM_DELETE_SQ,	0x00, OP_REFUSED) \
	X(ADM_CREATE_SQ,	0x01, OP_REFUSED) \
	X(ADM_GET_LOG_PAGE,	0x02, 0) \
	X(ADM_DELETE_CQ,	0x04, OP_REFUSED) \
	X(ADM_CREATE_CQ,	0x05, OP_REFUSED) \
	X(ADM_IDENTIFY,		0x06, 0) \
	X(ADM_ABORT,		0x08, 0) \
	X(ADM_SET_FEATURES,	0x09, 0) /* refused for the OP_REFUSED feature ids */ \
	X(ADM_GET_FEATURES,	0x0a, 0) \
	X(ADM_ASYNC_EVENT,	0x0c, OP_REFUSED) \
	X(ADM_NS_MGMT,		0x0d, OP_EFFECTS | OP_NOFUZZ) \
	X(ADM_ACTIVATE_FW,	0x10, OP_NOFUZZ) \
	X(ADM_DOWNLOAD_FW,	0x11, OP_NOFUZZ) \
	X(ADM_SELF_TEST,	0x14, 0) \
	X(ADM_NS_ATTACH,	0x15, OP_EFFECTS | OP_NOFUZZ) \
	X(ADM_KEEP_ALIVE,	0x18, 0) \
	X(ADM_DIRECTIVE_SEND,	0x19, 0) \
	X(ADM_DIRECTIVE_RECV,	0x1a, 0) \
	X(ADM_VIRTUAL_MGMT,	0x1c, OP_NOFUZZ) \
	X(ADM_MI_SEND,		0x1d, OP_NOFUZZ) \
	X(ADM_MI_RECV,		0x1e, 0) \
	X(ADM_CAPACITY_MGMT,	0x20, OP_NOFUZZ) \
	X(ADM_LOCKDOWN,		0x24, OP_NOFUZZ) \
	X(ADM_DBBUF,		0x7c, OP_REFUSED | OP_NOFUZZ) \
	X(ADM_FABRICS,		0x7f, 0) \
	X(ADM_FORMAT_NVM,	0x80, OP_EFFECTS | OP_NOFUZZ) \
	X(ADM_SECURITY_SEND,	0x81, OP_NOFUZZ) \
	X(ADM_SECURITY_RECV,	0x82, 0) \
	X(ADM_SANITIZE_NVM,	0x84, OP_EFFECTS | OP_NOFUZZ) \
	X(ADM_GET_LBA_STATUS,	0x86, 0) \
	X(ADM_VENDOR,		0xc3, 0) /* vendor specific, bidirectional bits */

/* I/O opcodes (nvme_cmd_*), NVM command set. */
#define NVME_IO_OPCODES(X) \
	X(IO_FLUSH,		0x00, 0) \
	X(IO_WRITE,		0x01, OP_SUBMIT | OP_MEDIA_WRITE) \
	X(IO_READ,		0x02, OP_SUBMIT) \
	X(IO_WRITE_UNCOR,	0x04, OP_MEDIA_WRITE) \
	X(IO_COMPARE,		0x05, OP_SUBMIT) \
	X(IO_WRITE_ZEROES,	0x08, OP_MEDIA_WRITE) \
	X(IO_DSM,		0x09, 0) \
	X(IO_VERIFY,		0x0c, 0) \
	X(IO_RESV_REGISTER,	0x0d, OP_NOFUZZ) \
	X(IO_RESV_REPORT,	0x0e, 0) \
	X(IO_RESV_ACQUIRE,	0x11, OP_NOFUZZ) \
	X(IO_MGMT_RECV,		0x12, 0) \
	X(IO_RESV_RELEASE,	0x15, OP_NOFUZZ) \
	X(IO_COPY,		0x19, OP_MEDIA_WRITE) \
	X(IO_ZONE_MGMT_SEND,	0x79, 0) \
	X(IO_ZONE_MGMT_RECV,	0x7a, 0) \
	X(IO_ZONE_APPEND,	0x7d, OP_MEDIA_WRITE)

/* Feature ids (NVME_FEAT_*), for Get/Set Features. */
#define NVME_FEATURES(X) \
	X(FEAT_ARBITRATION,	0x01, OP_FUZZ_SET) \
	X(FEAT_POWER_MGMT,	0x02, OP_FUZZ_SET) \
	X(FEAT_TEMP_THRESH,	0x04, OP_FUZZ_SET) \
	X(FEAT_ERR_RECOVERY,	0x05, 0) \
	X(FEAT_VOLATILE_WC,	0x06, OP_FUZZ_SET) \
	X(FEAT_NUM_QUEUES,	0x07, OP_REFUSED) \
	X(FEAT_IRQ_COALESCE,	0x08, OP_FUZZ_SET) \
	X(FEAT_IRQ_CONFIG,	0x09, OP_FUZZ_SET) \
	X(FEAT_WRITE_ATOMIC,	0x0a, OP_FUZZ_SET) \
	X(FEAT_ASYNC_EVENT,	0x0b, OP_FUZZ_SET) \
	X(FEAT_HOST_MEM_BUF,	0x0d, OP_REFUSED) \
	X(FEAT_TIMESTAMP,	0x0e, OP_FUZZ_SET) \
	X(FEAT_KATO,		0x0f, 0) \
	X(FEAT_HOST_BEHAVIOR,	0x16, OP_FUZZ_SET) \
	X(FEAT_IOCS_PROFILE,	0x19, 0) \
	X(FEAT_WRITE_PROTECT,	0x84, 0)

#define NVME_OP_ENUM(name, value, flags)	name = (value),
enum nvme_admin_op { NVME_ADMIN_OPCODES(NVME_OP_ENUM) };
enum nvme_io_op { NVME_IO_OPCODES(NVME_OP_ENUM) };
enum nvme_feature { NVME_FEATURES(NVME_OP_ENUM) };

/* The flags of each value (0 for one not in the list), filled from the lists above. */
extern const unsigned char nvme_admin_flags[256], nvme_io_flags[256], nvme_feat_flags[256];

/* Would rocknvme refuse this admin command (opcode, CDW10) from user space? */
static inline int nvme_admin_refused(unsigned char opcode, unsigned int cdw10)
{
	if (opcode == ADM_SET_FEATURES)
		return nvme_feat_flags[cdw10 & 0xff] & OP_REFUSED;
	return nvme_admin_flags[opcode] & OP_REFUSED;
}

#endif
