// SPDX-License-Identifier: GPL-2.0
/*
 * Temperature through the kernel's hwmon class, so `sensors` shows the
 * drive: temp1_input is the composite temperature of the SMART log,
 * temp1_max and temp1_min the controller's over- and under-temperature
 * thresholds (Get/Set Features Temperature Threshold), temp1_crit its
 * critical composite temperature (Identify CCTEMP), temp1_alarm the SMART
 * critical warning temperature bit. Every read is a fresh admin command;
 * a dead controller answers -ENODEV at once (rnv_queue_rq).
 */
#include <linux/hwmon.h>
#include <linux/units.h>
#include "rocknvme.h"

/* An admin command's return: an NVMe status is an I/O error to hwmon. */
static int rnv_hwmon_errno(int ret)
{
	return ret > 0 ? -EIO : ret;
}

/* Temperature Threshold (NVMe 2.0 §5.27.1.3) of the composite sensor, in kelvin. */
static int rnv_hwmon_get_thresh(struct rnv_ctrl *ctrl, bool under, long *val)
{
	struct nvme_command c = { };
	union nvme_result res;
	int ret;

	c.features.opcode = nvme_admin_get_features;
	c.features.fid = cpu_to_le32(NVME_FEAT_TEMP_THRESH);
	c.features.dword11 = cpu_to_le32(under ? NVME_TEMP_THRESH_TYPE_UNDER : 0);
	ret = rnv_submit_sync(ctrl, ctrl->admin_q, &c, NULL, 0, &res);
	if (ret)
		return rnv_hwmon_errno(ret);
	*val = kelvin_to_millicelsius(le32_to_cpu(res.u32) & NVME_TEMP_THRESH_MASK);
	return 0;
}

static int rnv_hwmon_set_thresh(struct rnv_ctrl *ctrl, bool under, long val)
{
	u32 kelvin = clamp_val(millicelsius_to_kelvin(val), 0, NVME_TEMP_THRESH_MASK);
	u32 dw11 = kelvin | (under ? NVME_TEMP_THRESH_TYPE_UNDER : 0);

	return rnv_hwmon_errno(rnv_set_features(ctrl, NVME_FEAT_TEMP_THRESH, dw11, NULL));
}

/* SMART / Health Information (NVMe 2.0 §5.16.1.3), controller-wide. */
static int rnv_hwmon_read_smart(struct rnv_ctrl *ctrl, u32 attr, long *val)
{
	struct nvme_smart_log *log;
	int ret;

	log = kzalloc(sizeof(*log), GFP_KERNEL);
	if (!log)
		return -ENOMEM;
	ret = rnv_hwmon_errno(rnv_get_log(ctrl, NVME_LOG_SMART, log, sizeof(*log)));
	if (ret)
		goto free;
	if (attr == hwmon_temp_alarm)
		*val = !!(log->critical_warning & NVME_SMART_CRIT_TEMPERATURE);
	else	/* two bytes, little endian, at an odd offset */
		*val = kelvin_to_millicelsius(log->temperature[0] | log->temperature[1] << 8);
free:
	kfree(log);
	return ret;
}

static int rnv_hwmon_read(struct device *dev, enum hwmon_sensor_types type,
			  u32 attr, int channel, long *val)
{
	struct rnv_ctrl *ctrl = dev_get_drvdata(dev);

	if (READ_ONCE(ctrl->state) == RNV_DEAD)
		return -ENODEV;
	switch (attr) {
	case hwmon_temp_input:
	case hwmon_temp_alarm:
		return rnv_hwmon_read_smart(ctrl, attr, val);
	case hwmon_temp_max:
		return rnv_hwmon_get_thresh(ctrl, false, val);
	case hwmon_temp_min:
		return rnv_hwmon_get_thresh(ctrl, true, val);
	case hwmon_temp_crit:
		*val = kelvin_to_millicelsius(le16_to_cpu(ctrl->id->cctemp));
		return 0;
	default:
		return -EOPNOTSUPP;
	}
}

static int rnv_hwmon_write(struct device *dev, enum hwmon_sensor_types type,
			   u32 attr, int channel, long val)
{
	struct rnv_ctrl *ctrl = dev_get_drvdata(dev);

	if (READ_ONCE(ctrl->state) == RNV_DEAD)
		return -ENODEV;
	switch (attr) {
	case hwmon_temp_max:
		return rnv_hwmon_set_thresh(ctrl, false, val);
	case hwmon_temp_min:
		return rnv_hwmon_set_thresh(ctrl, true, val);
	default:
		return -EOPNOTSUPP;
	}
}

/*
 * The thresholds exist when Identify reports a warning composite
 * temperature (WCTEMP), the critical one when it reports CCTEMP; the
 * spec makes both mandatory only from NVMe 1.2 on.
 */
static umode_t rnv_hwmon_is_visible(const void *data, enum hwmon_sensor_types type,
				    u32 attr, int channel)
{
	const struct rnv_ctrl *ctrl = data;

	switch (attr) {
	case hwmon_temp_input:
	case hwmon_temp_alarm:
	case hwmon_temp_label:
		return 0444;
	case hwmon_temp_max:
	case hwmon_temp_min:
		return ctrl->id->wctemp ? 0644 : 0;
	case hwmon_temp_crit:
		return ctrl->id->cctemp ? 0444 : 0;
	default:
		return 0;
	}
}

static int rnv_hwmon_read_string(struct device *dev, enum hwmon_sensor_types type,
				 u32 attr, int channel, const char **str)
{
	*str = "Composite";
	return 0;
}

static const struct hwmon_channel_info *rnv_hwmon_info[] = {
	HWMON_CHANNEL_INFO(temp, HWMON_T_INPUT | HWMON_T_MAX | HWMON_T_MIN |
			   HWMON_T_CRIT | HWMON_T_ALARM | HWMON_T_LABEL),
	NULL
};

static const struct hwmon_ops rnv_hwmon_ops = {
	.is_visible	= rnv_hwmon_is_visible,
	.read		= rnv_hwmon_read,
	.read_string	= rnv_hwmon_read_string,
	.write		= rnv_hwmon_write,
};

static const struct hwmon_chip_info rnv_hwmon_chip = {
	.ops	= &rnv_hwmon_ops,
	.info	= rnv_hwmon_info,
};

/*
 * Under the controller's class device, as the in-kernel driver does. Not
 * device-managed: devres of a class device is released only with its last
 * reference, and the hwmon device must be gone before the admin queue is.
 * Without it the controller still works, so a failure is only logged.
 */
void rnv_hwmon_add(struct rnv_ctrl *ctrl)
{
	struct device *hwmon;

	hwmon = hwmon_device_register_with_info(&ctrl->cdev_device, RNV_NAME, ctrl,
						&rnv_hwmon_chip, NULL);
	if (IS_ERR(hwmon)) {
		dev_warn(ctrl->dev, "no hwmon device: %ld\n", PTR_ERR(hwmon));
		return;
	}
	ctrl->hwmon = hwmon;
}

/* Remove: unregistering waits for sysfs readers that are in a command. */
void rnv_hwmon_remove(struct rnv_ctrl *ctrl)
{
	if (!ctrl->hwmon)
		return;
	hwmon_device_unregister(ctrl->hwmon);
	ctrl->hwmon = NULL;
}
