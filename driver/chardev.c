// SPDX-License-Identifier: GPL-2.0
/*
 * The controller node /dev/rocknvme<N> in our own class "rocknvme", its
 * sysfs attributes, and the <linux/nvme_ioctl.h> ioctls that nvme-cli uses,
 * on the controller node and on namespace disks. User buffers are mapped
 * with blk_rq_map_user (no copy when aligned) and go through the same
 * passthrough path as the driver's own admin commands.
 */
#include <linux/nvme_ioctl.h>
#include "rocknvme.h"

static dev_t rnv_chr_devt;
static struct class *rnv_class;

/*
 * Admin commands that must stay the driver's: they would take its queues
 * or its event request away, or hand the device host memory by raw bus
 * address (Doorbell Buffer Config, Set Features Host Memory Buffer).
 */
static bool rnv_admin_cmd_reserved(const struct nvme_passthru_cmd64 *pc)
{
	switch (pc->opcode) {
	case nvme_admin_delete_sq:
	case nvme_admin_create_sq:
	case nvme_admin_delete_cq:
	case nvme_admin_create_cq:
	case nvme_admin_async_event:
	case nvme_admin_dbbuf:
		return true;
	case nvme_admin_set_features:
		switch (pc->cdw10 & 0xff) {
		case NVME_FEAT_NUM_QUEUES:
		case NVME_FEAT_HOST_MEM_BUF:
			return true;
		}
		return false;
	default:
		return false;
	}
}

/*
 * Run one user command on @rq_q. Returns 0, a positive NVMe status (as the
 * in-kernel driver does, so nvme-cli decodes it), or a negative errno.
 */
static int rnv_user_cmd(struct rnv_ctrl *ctrl, struct request_queue *rq_q,
			struct nvme_command *c, u64 ubuf, u32 len,
			u32 timeout_ms, u64 *result)
{
	struct rnv_cmd *cmd;
	struct request *req;
	struct bio *bio = NULL;
	int ret;

	if (len && (c->common.opcode & 3) == 3) {
		dev_dbg(ctrl->dev, "bidirectional opcode %#x refused\n", c->common.opcode);
		return -EINVAL;
	}
	if (len > ctrl->max_xfer) {
		dev_dbg(ctrl->dev, "data_len %u exceeds max transfer %u\n", len, ctrl->max_xfer);
		return -EINVAL;
	}
	if (len && !ubuf)
		return -EFAULT;

	req = blk_mq_alloc_request(rq_q, nvme_is_write(c) ? REQ_OP_DRV_OUT : REQ_OP_DRV_IN, 0);
	if (IS_ERR(req))
		return PTR_ERR(req);
	req->timeout = timeout_ms ? msecs_to_jiffies(timeout_ms) : RNV_ADMIN_TIMEOUT;
	cmd = rnv_cmd(req);
	cmd->sqe = *c;
	cmd->from_user = true;
	if (len) {
		ret = blk_rq_map_user(rq_q, req, NULL, u64_to_user_ptr(ubuf), len, GFP_KERNEL);
		if (ret)
			goto free_req;
		bio = req->bio;
	}
	ret = rnv_execute_rq(req);
	if (result)
		*result = le64_to_cpu(cmd->result.u64);
	/* A bounced buffer is copied back here: its EFAULT must reach the caller. */
	if (bio) {
		int uret = blk_rq_unmap_user(bio);

		if (uret && ret >= 0)
			ret = uret;
	}
free_req:
	blk_mq_free_request(req);
	return ret;
}

/*
 * NVM Subsystem Reset (NVMe 2.0 §3.7.1), when CAP.NSSRS says it exists:
 * the whole subsystem resets, so the controller comes back through a reset.
 */
static int rnv_subsys_reset(struct rnv_ctrl *ctrl)
{
	if (!NVME_CAP_NSSRC(ctrl->cap))
		return -ENOTTY;
	dev_warn(ctrl->dev, "NVM subsystem reset requested\n");
	writel(0x4E564D65, ctrl->bar + NVME_REG_NSSR);	/* "NVMe" */
	return rnv_ctrl_reset_sync(ctrl);
}

/*
 * Effects that change what the disks are: LBA format and contents (Format
 * NVM, Sanitize), namespace capacity or inventory (Namespace Management
 * and Attachment), or that ask for no other command in flight.
 */
#define RNV_EFFECTS_NS	(NVME_CMD_EFFECTS_LBCC | NVME_CMD_EFFECTS_NCC | \
			 NVME_CMD_EFFECTS_NIC | NVME_CMD_EFFECTS_CSE_MASK)

/*
 * Before such a command: no I/O may be in flight (it would use the old
 * format), and none may start until the disks are re-read afterwards.
 */
static void rnv_passthru_start(struct rnv_ctrl *ctrl, u32 effects)
{
	if (!(effects & RNV_EFFECTS_NS))
		return;
	/* One at a time: each owns the freeze from start to end. */
	mutex_lock(&ctrl->effects_lock);
	dev_info(ctrl->dev, "admin command with effects %#x: freezing I/O\n", effects);
	rnv_ns_freeze(ctrl, 0);
}

/* After it: re-read every disk while still frozen, then add and drop disks. */
static void rnv_passthru_end(struct rnv_ctrl *ctrl, u32 effects)
{
	if (!(effects & RNV_EFFECTS_NS))
		return;
	rnv_ns_revalidate(ctrl);
	rnv_ns_unfreeze(ctrl);
	mutex_unlock(&ctrl->effects_lock);
	if (rnv_ns_scan(ctrl))
		dev_warn(ctrl->dev, "namespace rescan after admin command failed\n");
}

/* NVME_IOCTL_ADMIN_CMD / IO_CMD and their 64-bit-result twins. */
static int rnv_ioctl_passthru(struct rnv_ctrl *ctrl, struct rnv_ns *ns,
			      void __user *argp, bool admin, bool is64)
{
	struct nvme_passthru_cmd64 pc;
	struct nvme_command c = { };
	struct rnv_ns *pinned = NULL;
	struct request_queue *rq_q;
	u64 result = 0;
	u32 effects;
	int ret;

	if (!capable(CAP_SYS_ADMIN))
		return -EACCES;
	/* The 32-bit struct is the 64-bit one minus its last 4 bytes. */
	if (copy_from_user(&pc, argp, is64 ? sizeof(pc) : sizeof(struct nvme_passthru_cmd)))
		return -EFAULT;
	if (pc.flags) {
		dev_dbg(ctrl->dev, "passthrough flags %#x unsupported\n", pc.flags);
		return -EINVAL;
	}
	if (pc.metadata || pc.metadata_len) {
		dev_dbg(ctrl->dev, "passthrough metadata buffers unsupported\n");
		return -EINVAL;
	}
	if (admin && rnv_admin_cmd_reserved(&pc)) {
		dev_warn_ratelimited(ctrl->dev, "admin opcode %#x (cdw10 %#x) is reserved for the driver\n",
				     pc.opcode, pc.cdw10);
		return -EPERM;
	}
	if (admin) {
		rq_q = ctrl->admin_q;
	} else if (ns) {
		/* I/O through a disk node may only address that namespace. */
		if (pc.nsid != ns->nsid) {
			dev_dbg(ctrl->dev, "I/O passthrough nsid %u on namespace %u's node\n",
				pc.nsid, ns->nsid);
			return -EINVAL;
		}
		rq_q = ns->disk->queue;
	} else {
		/* I/O on the controller node: the namespace named by nsid. */
		pinned = rnv_ns_get(ctrl, pc.nsid);
		if (!pinned) {
			dev_dbg(ctrl->dev, "I/O passthrough to unknown nsid %u\n", pc.nsid);
			return -EINVAL;
		}
		rq_q = pinned->disk->queue;
	}
	c.common.opcode = pc.opcode;
	c.common.nsid = cpu_to_le32(pc.nsid);
	c.common.cdw2[0] = cpu_to_le32(pc.cdw2);
	c.common.cdw2[1] = cpu_to_le32(pc.cdw3);
	c.common.cdw10 = cpu_to_le32(pc.cdw10);
	c.common.cdw11 = cpu_to_le32(pc.cdw11);
	c.common.cdw12 = cpu_to_le32(pc.cdw12);
	c.common.cdw13 = cpu_to_le32(pc.cdw13);
	c.common.cdw14 = cpu_to_le32(pc.cdw14);
	c.common.cdw15 = cpu_to_le32(pc.cdw15);
	effects = admin ? rnv_admin_effects(ctrl, pc.opcode) : 0;
	rnv_passthru_start(ctrl, effects);
	ret = rnv_user_cmd(ctrl, rq_q, &c, pc.addr, pc.data_len, pc.timeout_ms, &result);
	rnv_passthru_end(ctrl, effects);
	if (pinned)
		put_disk(pinned->disk);
	if (ret < 0)
		return ret;
	if (is64) {
		struct nvme_passthru_cmd64 __user *up = argp;

		if (put_user(result, &up->result))
			return -EFAULT;
	} else {
		struct nvme_passthru_cmd __user *up = argp;

		if (put_user((u32)result, &up->result))
			return -EFAULT;
	}
	return ret;
}

/* NVME_IOCTL_SUBMIT_IO: read, write or compare by LBA on a namespace. */
static int rnv_ioctl_submit_io(struct rnv_ns *ns, struct nvme_user_io __user *argp)
{
	struct nvme_command c = { };
	struct nvme_user_io io;
	u64 len;

	if (!capable(CAP_SYS_ADMIN))
		return -EACCES;
	if (copy_from_user(&io, argp, sizeof(io)))
		return -EFAULT;
	if (io.opcode != nvme_cmd_read && io.opcode != nvme_cmd_write &&
	    io.opcode != nvme_cmd_compare)
		return -EINVAL;
	if (io.flags || io.metadata)
		return -EINVAL;
	len = ((u64)io.nblocks + 1) << ns->lba_shift;
	if (len > ns->ctrl->max_xfer)
		return -EINVAL;
	c.rw.opcode = io.opcode;
	c.rw.nsid = cpu_to_le32(ns->nsid);
	c.rw.slba = cpu_to_le64(io.slba);
	c.rw.length = cpu_to_le16(io.nblocks);
	c.rw.control = cpu_to_le16(io.control);
	c.rw.dsmgmt = cpu_to_le32(io.dsmgmt);
	c.rw.reftag = cpu_to_le32(io.reftag);
	/* CDW15: LBAT and LBATM (apptag/appmask until 6.x renamed the fields). */
	c.common.cdw15 = cpu_to_le32(io.apptag | (u32)io.appmask << 16);
	return rnv_user_cmd(ns->ctrl, ns->disk->queue, &c, io.addr, len, 0, NULL);
}

/* Shared by both nodes; @ns is NULL on the controller node. */
static long rnv_ioctl(struct rnv_ctrl *ctrl, struct rnv_ns *ns, unsigned int cmd,
		      void __user *argp)
{
	long ret;

	/* A dead controller is refused by queue_rq, with the same -ENODEV. */
	down_read(&ctrl->ioctl_rwsem);
	if (READ_ONCE(ctrl->removing)) {
		ret = -ENODEV;
		goto out;
	}
	switch (cmd) {
	case NVME_IOCTL_ID:
		ret = ns ? ns->nsid : -ENOTTY;
		break;
	case NVME_IOCTL_ADMIN_CMD:
	case NVME_IOCTL_ADMIN64_CMD:
		ret = rnv_ioctl_passthru(ctrl, ns, argp, true, cmd == NVME_IOCTL_ADMIN64_CMD);
		break;
	case NVME_IOCTL_IO_CMD:
	case NVME_IOCTL_IO64_CMD:
		ret = rnv_ioctl_passthru(ctrl, ns, argp, false, cmd == NVME_IOCTL_IO64_CMD);
		break;
	case NVME_IOCTL_SUBMIT_IO:
		ret = ns ? rnv_ioctl_submit_io(ns, argp) : -ENOTTY;
		break;
	case NVME_IOCTL_RESET:
		ret = capable(CAP_SYS_ADMIN) ? rnv_ctrl_reset_sync(ctrl) : -EACCES;
		break;
	case NVME_IOCTL_SUBSYS_RESET:
		ret = capable(CAP_SYS_ADMIN) ? rnv_subsys_reset(ctrl) : -EACCES;
		break;
	case NVME_IOCTL_RESCAN:
		ret = capable(CAP_SYS_ADMIN) ? rnv_ns_scan(ctrl) : -EACCES;
		break;
	default:
		ret = -ENOTTY;
	}
out:
	up_read(&ctrl->ioctl_rwsem);
	return ret;
}

static long rnv_chr_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	return rnv_ioctl(file->private_data, NULL, cmd, (void __user *)arg);
}

static int rnv_ns_ioctl(struct block_device *bdev, blk_mode_t mode, unsigned int cmd,
			unsigned long arg)
{
	struct rnv_ns *ns = bdev->bd_disk->private_data;

	return rnv_ioctl(ns->ctrl, ns, cmd, (void __user *)arg);
}

/*
 * The disks' operations. Their ioctls are the node's, and may rescan or
 * reset, so the table lives up here; ns.c, a layer below, makes the disks
 * and takes the table from ctrl->disk_fops instead of naming this file.
 */
static const struct block_device_operations rnv_disk_fops = {
	.owner		= THIS_MODULE,
	.ioctl		= rnv_ns_ioctl,
	.compat_ioctl	= blkdev_compat_ptr_ioctl,
	.free_disk	= rnv_ns_free_disk,
};

static int rnv_chr_open(struct inode *inode, struct file *file)
{
	struct rnv_ctrl *ctrl = container_of(inode->i_cdev, struct rnv_ctrl, cdev);

	file->private_data = ctrl;
	get_device(&ctrl->cdev_device);
	return 0;
}

static int rnv_chr_release(struct inode *inode, struct file *file)
{
	struct rnv_ctrl *ctrl = file->private_data;

	put_device(&ctrl->cdev_device);
	return 0;
}

static const struct file_operations rnv_chr_fops = {
	.owner		= THIS_MODULE,
	.open		= rnv_chr_open,
	.release	= rnv_chr_release,
	.unlocked_ioctl	= rnv_chr_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
};

static struct rnv_ctrl *to_rnv_ctrl(struct device *dev)
{
	return container_of(dev, struct rnv_ctrl, cdev_device);
}

static ssize_t model_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%s\n", to_rnv_ctrl(dev)->model);
}
static DEVICE_ATTR_RO(model);

static ssize_t serial_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%s\n", to_rnv_ctrl(dev)->serial);
}
static DEVICE_ATTR_RO(serial);

static ssize_t firmware_rev_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%s\n", to_rnv_ctrl(dev)->firmware_rev);
}
static DEVICE_ATTR_RO(firmware_rev);

static ssize_t state_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%s\n", rnv_state_name(to_rnv_ctrl(dev)));
}
static DEVICE_ATTR_RO(state);

static ssize_t queue_count_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", to_rnv_ctrl(dev)->nr_io_queues);
}
static DEVICE_ATTR_RO(queue_count);

static ssize_t irq_mode_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	struct rnv_ctrl *ctrl = to_rnv_ctrl(dev);

	return sysfs_emit(buf, "%s %u\n", ctrl->irq_mode, ctrl->nr_vectors);
}
static DEVICE_ATTR_RO(irq_mode);

/* Fenced against removal as NVME_IOCTL_RESET is: the node outlives the hide. */
static ssize_t reset_controller_store(struct device *dev, struct device_attribute *attr,
				      const char *buf, size_t count)
{
	struct rnv_ctrl *ctrl = to_rnv_ctrl(dev);
	int ret = -ENODEV;

	down_read(&ctrl->ioctl_rwsem);
	if (!READ_ONCE(ctrl->removing))
		ret = rnv_ctrl_reset_sync(ctrl);
	up_read(&ctrl->ioctl_rwsem);
	return ret ? ret : count;
}
static DEVICE_ATTR_WO(reset_controller);

static ssize_t resets_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", to_rnv_ctrl(dev)->resets);
}
static DEVICE_ATTR_RO(resets);

/*
 * "<support> <threshold> <requests>": what Identify SGLS offers (none, byte
 * or dword), the sgl_threshold in effect, and how many requests were mapped
 * with SGLs since probe, so a test can tell the SGL path really ran.
 */
static ssize_t sgl_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	struct rnv_ctrl *ctrl = to_rnv_ctrl(dev);

	return sysfs_emit(buf, "%s %u %lu\n", rnv_sgl_support_name(ctrl),
			  rnv_params_sgl_threshold(), atomic_long_read(&ctrl->sgl_requests));
}
static DEVICE_ATTR_RO(sgl);

static struct attribute *rnv_ctrl_attrs[] = {
	&dev_attr_model.attr,
	&dev_attr_serial.attr,
	&dev_attr_firmware_rev.attr,
	&dev_attr_state.attr,
	&dev_attr_queue_count.attr,
	&dev_attr_irq_mode.attr,
	&dev_attr_reset_controller.attr,
	&dev_attr_resets.attr,
	&dev_attr_sgl.attr,
	NULL,
};

static const struct attribute_group rnv_ctrl_group = {
	.attrs = rnv_ctrl_attrs,
};

static const struct attribute_group *rnv_ctrl_groups[] = {
	&rnv_ctrl_group,
	&rnv_power_attr_group,	/* quirks, hmb (power.c) */
	&rnv_tools_attr_group,
	NULL,
};

/* The controller's last reference: everything probe allocated for it. */
static void rnv_ctrl_release(struct device *dev)
{
	struct rnv_ctrl *ctrl = to_rnv_ctrl(dev);

	rnv_ctrl_free(ctrl);
}

/*
 * Set up the embedded device early in probe so that its reference count
 * owns the controller memory from then on; rnv_chr_add makes it visible.
 */
void rnv_chr_init(struct rnv_ctrl *ctrl)
{
	struct device *d = &ctrl->cdev_device;

	device_initialize(d);
	d->class = rnv_class;
	d->parent = ctrl->dev;
	d->groups = rnv_ctrl_groups;
	d->release = rnv_ctrl_release;
	d->devt = MKDEV(MAJOR(rnv_chr_devt), ctrl->instance);
	ctrl->disk_fops = &rnv_disk_fops;
	init_rwsem(&ctrl->ioctl_rwsem);
	mutex_init(&ctrl->effects_lock);
}

int rnv_chr_add(struct rnv_ctrl *ctrl)
{
	int ret;

	ret = dev_set_name(&ctrl->cdev_device, RNV_NAME "%d", ctrl->instance);
	if (ret)
		return ret;
	cdev_init(&ctrl->cdev, &rnv_chr_fops);
	ctrl->cdev.owner = THIS_MODULE;
	return cdev_device_add(&ctrl->cdev, &ctrl->cdev_device);
}

/*
 * Remove, first step: close the node to new opens; ioctls from files still
 * open see ->removing and get -ENODEV. Those in flight are not waited for
 * here: one may wait for the controller, which remove stops first. The
 * device itself stays registered until rnv_chr_del: the namespace disks
 * (and the hwmon device) are its children in sysfs and go first.
 */
void rnv_chr_hide(struct rnv_ctrl *ctrl)
{
	WRITE_ONCE(ctrl->removing, true);
	cdev_del(&ctrl->cdev);
}

/* Remove, once no disk is left below it: the class device goes. */
void rnv_chr_del(struct rnv_ctrl *ctrl)
{
	device_del(&ctrl->cdev_device);
}

/* Remove, once the controller is stopped: the last ioctl in flight ends. */
void rnv_chr_wait_ioctls(struct rnv_ctrl *ctrl)
{
	down_write(&ctrl->ioctl_rwsem);
	up_write(&ctrl->ioctl_rwsem);
}

int rnv_chr_register(void)
{
	int ret;

	ret = alloc_chrdev_region(&rnv_chr_devt, 0, RNV_MINORS, RNV_NAME);
	if (ret)
		return ret;
	rnv_class = class_create(RNV_NAME);
	if (IS_ERR(rnv_class)) {
		ret = PTR_ERR(rnv_class);
		goto unregister;
	}
	return 0;

unregister:
	unregister_chrdev_region(rnv_chr_devt, RNV_MINORS);
	return ret;
}

void rnv_chr_unregister(void)
{
	class_destroy(rnv_class);
	unregister_chrdev_region(rnv_chr_devt, RNV_MINORS);
}
