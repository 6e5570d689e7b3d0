// SPDX-License-Identifier: GPL-2.0
/*
 * Synchronous commands: a passthrough request on a blk-mq queue (normally
 * the admin queue), so they use the same submit, completion and PRP code as
 * I/O. Also the NVMe status -> text table used in every log line.
 */
#include "rocknvme.h"

static const char * const rnv_generic_status[] = {
	[NVME_SC_SUCCESS]		= "success",
	[NVME_SC_INVALID_OPCODE]	= "invalid opcode",
	[NVME_SC_INVALID_FIELD]		= "invalid field",
	[NVME_SC_CMDID_CONFLICT]	= "command id conflict",
	[NVME_SC_DATA_XFER_ERROR]	= "data transfer error",
	[NVME_SC_POWER_LOSS]		= "aborted: power loss",
	[NVME_SC_INTERNAL]		= "internal error",
	[NVME_SC_ABORT_REQ]		= "aborted by request",
	[NVME_SC_ABORT_QUEUE]		= "aborted: SQ deleted",
	[NVME_SC_FUSED_FAIL]		= "fused command failed",
	[NVME_SC_FUSED_MISSING]		= "fused command missing",
	[NVME_SC_INVALID_NS]		= "invalid namespace",
	[NVME_SC_CMD_SEQ_ERROR]		= "command sequence error",
	[NVME_SC_SGL_INVALID_LAST]	= "invalid SGL segment",
	[NVME_SC_SGL_INVALID_COUNT]	= "invalid SGL descriptor count",
	[NVME_SC_SGL_INVALID_DATA]	= "invalid data SGL length",
	[NVME_SC_SGL_INVALID_METADATA]	= "invalid metadata SGL length",
	[NVME_SC_SGL_INVALID_TYPE]	= "invalid SGL descriptor type",
	[NVME_SC_PRP_INVALID_OFFSET]	= "invalid PRP offset",
	[NVME_SC_NS_NOT_READY]		= "namespace not ready",
	[NVME_SC_LBA_RANGE]		= "LBA out of range",
	[NVME_SC_CAP_EXCEEDED]		= "capacity exceeded",
};

/* status: NVMe status field without the phase bit, or a negative errno. */
const char *rnv_status_str(int status)
{
	u16 sc = status & 0x7ff;	/* SCT and SC, without More and DNR */

	if (status < 0)
		return "host error";
	if (sc < ARRAY_SIZE(rnv_generic_status) && rnv_generic_status[sc])
		return rnv_generic_status[sc];
	switch (sc) {
	case NVME_SC_WRITE_FAULT:
		return "write fault";
	case NVME_SC_READ_ERROR:
		return "unrecovered read error";
	case NVME_SC_ACCESS_DENIED:
		return "access denied";
	case NVME_SC_UNWRITTEN_BLOCK:
		return "unwritten block";
	case NVME_SC_QID_INVALID:
		return "invalid queue id";
	case NVME_SC_QUEUE_SIZE:
		return "invalid queue size";
	case NVME_SC_CQ_INVALID:
		return "invalid completion queue";
	case NVME_SC_FEATURE_NOT_CHANGEABLE:
		return "feature not changeable";
	case NVME_SC_CMD_SIZE_LIM_EXCEEDED:
		return "command size limit exceeded";
	default:
		return "unknown status";
	}
}

/*
 * Execute a passthrough request and wait: 0, a positive NVMe status, or a
 * negative errno. A request the block layer ended without our completion
 * path (a queue being torn down) has only blk_execute_rq's status.
 */
int rnv_execute_rq(struct request *req)
{
	struct rnv_cmd *cmd = rnv_cmd(req);
	blk_status_t sts;

	cmd->status = -EIO;
	sts = blk_execute_rq(req, false);
	if (sts && !cmd->status)
		return blk_status_to_errno(sts);
	return cmd->status;
}

/*
 * Run one command to completion on @rq_q and wait. @buf (kernel memory,
 * @len bytes) is the data buffer or NULL. Returns 0, a positive NVMe
 * status, or a negative errno; fills @result when given.
 */
int rnv_submit_sync(struct rnv_ctrl *ctrl, struct request_queue *rq_q,
		    struct nvme_command *c, void *buf, unsigned int len,
		    union nvme_result *result)
{
	blk_opf_t op = nvme_is_write(c) ? REQ_OP_DRV_OUT : REQ_OP_DRV_IN;
	struct request *req;
	struct rnv_cmd *cmd;
	int ret;

	req = blk_mq_alloc_request(rq_q, op, 0);
	if (IS_ERR(req))
		return PTR_ERR(req);
	req->timeout = RNV_ADMIN_TIMEOUT;
	cmd = rnv_cmd(req);
	cmd->sqe = *c;
	cmd->from_user = false;
	if (buf && len) {
		ret = blk_rq_map_kern(req, buf, len, GFP_KERNEL);
		if (ret)
			goto free_req;
	}
	ret = rnv_execute_rq(req);
	if (result)
		*result = cmd->result;
free_req:
	blk_mq_free_request(req);
	return ret;
}

/* Identify (NVMe 2.0 §5.17): @buf must hold NVME_IDENTIFY_DATA_SIZE bytes. */
int rnv_identify(struct rnv_ctrl *ctrl, u8 cns, u32 nsid, void *buf)
{
	struct nvme_command c = { };
	int ret;

	c.identify.opcode = nvme_admin_identify;
	c.identify.nsid = cpu_to_le32(nsid);
	c.identify.cns = cns;
	ret = rnv_submit_sync(ctrl, ctrl->admin_q, &c, buf,
			      NVME_IDENTIFY_DATA_SIZE, NULL);
	if (ret)
		dev_err(ctrl->dev, "identify cns %u nsid %u failed: %s (%#x)\n",
			cns, nsid, rnv_status_str(ret), ret);
	else if (cns == NVME_ID_CNS_NS)
		rnv_quirk_ns_ids(ctrl, buf);
	return ret;
}

int rnv_set_features(struct rnv_ctrl *ctrl, u8 fid, u32 dword11, u32 *result)
{
	struct nvme_command c = { };
	union nvme_result res;
	int ret;

	c.features.opcode = nvme_admin_set_features;
	c.features.fid = cpu_to_le32(fid);
	c.features.dword11 = cpu_to_le32(dword11);
	ret = rnv_submit_sync(ctrl, ctrl->admin_q, &c, NULL, 0, &res);
	if (!ret && result)
		*result = le32_to_cpu(res.u32);
	return ret;
}

/* Get Log Page (NVMe 2.0 §5.16), @len a multiple of 4 bytes. */
int rnv_get_log(struct rnv_ctrl *ctrl, u8 lid, void *buf, unsigned int len)
{
	struct nvme_command c = { };
	u32 numd = len / 4 - 1;

	c.get_log_page.opcode = nvme_admin_get_log_page;
	c.get_log_page.nsid = cpu_to_le32(NVME_NSID_ALL);
	c.get_log_page.lid = lid;
	c.get_log_page.numdl = cpu_to_le16(numd & 0xffff);
	c.get_log_page.numdu = cpu_to_le16(numd >> 16);
	return rnv_submit_sync(ctrl, ctrl->admin_q, &c, buf, len, NULL);
}

/*
 * Commands Supported and Effects log (NVMe 2.0 §5.16.1.6), read once at
 * probe when Identify LPA says it exists: it tells which admin commands
 * change formats, capacity or the namespace inventory.
 */
void rnv_effects_read(struct rnv_ctrl *ctrl)
{
	struct nvme_effects_log *log;
	int ret;

	if (!(ctrl->id->lpa & NVME_CTRL_LPA_CMD_EFFECTS_LOG))
		return;
	log = kzalloc(sizeof(*log), GFP_KERNEL);
	if (!log)
		return;
	ret = rnv_get_log(ctrl, NVME_LOG_CMD_EFFECTS, log, sizeof(*log));
	if (ret) {
		dev_info(ctrl->dev, "no command effects log: %s (%d)\n",
			 rnv_status_str(ret), ret);
		kfree(log);
		return;
	}
	ctrl->effects = log;
}

/*
 * Effects of an admin command: what the log says, plus what the spec says
 * the commands that reformat or re-inventory namespaces always do, for
 * drives without the log or with an incomplete one.
 */
u32 rnv_admin_effects(struct rnv_ctrl *ctrl, u8 opcode)
{
	u32 effects = ctrl->effects ? le32_to_cpu(ctrl->effects->acs[opcode]) : 0;

	switch (opcode) {
	case nvme_admin_format_nvm:
	case nvme_admin_sanitize_nvm:
		effects |= NVME_CMD_EFFECTS_LBCC | NVME_CMD_EFFECTS_NCC |
			   NVME_CMD_EFFECTS_CSE_MASK;
		break;
	case nvme_admin_ns_mgmt:
	case nvme_admin_ns_attach:
		effects |= NVME_CMD_EFFECTS_NCC | NVME_CMD_EFFECTS_NIC;
		break;
	}
	return effects;
}
