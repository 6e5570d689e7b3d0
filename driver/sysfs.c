// SPDX-License-Identifier: GPL-2.0
/*
 * The sysfs attributes that NVMe tools read, with the in-kernel driver's
 * names and formats: on the controller's class device (transport, address,
 * subsysnqn, cntlid, numa_node, sqsize) and on each namespace disk (nsid,
 * nuse, wwid, nguid, eui). packaging/rocknvme-list builds `nvme list`
 * from them. The driver's own attributes stay in chardev.c.
 */
#include "rocknvme.h"

static struct rnv_ctrl *rnv_sysfs_ctrl(struct device *dev)
{
	return container_of(dev, struct rnv_ctrl, cdev_device);
}

static ssize_t transport_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "pcie\n");
}
static DEVICE_ATTR_RO(transport);

static ssize_t address_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%s\n", pci_name(rnv_sysfs_ctrl(dev)->pdev));
}
static DEVICE_ATTR_RO(address);

/*
 * Identify SUBNQN (NVMe 1.2.1 on); older or silent controllers, and a name
 * without its NUL within NVMF_NQN_SIZE, get the one the spec builds from
 * PCI vendor, subsystem vendor, serial and model.
 */
static ssize_t subsysnqn_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	struct nvme_id_ctrl *id = rnv_sysfs_ctrl(dev)->id;
	size_t len = strnlen(id->subnqn, NVMF_NQN_SIZE);

	if (len && len < NVMF_NQN_SIZE)
		return sysfs_emit(buf, "%.*s\n", (int)len, id->subnqn);
	return sysfs_emit(buf, "nqn.2014.08.org.nvmexpress:%04x%04x%.*s%.*s\n",
			  le16_to_cpu(id->vid), le16_to_cpu(id->ssvid),
			  (int)sizeof(id->sn), id->sn, (int)sizeof(id->mn), id->mn);
}
static DEVICE_ATTR_RO(subsysnqn);

static ssize_t cntlid_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", le16_to_cpu(rnv_sysfs_ctrl(dev)->id->cntlid));
}
static DEVICE_ATTR_RO(cntlid);

static ssize_t numa_node_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n", dev_to_node(rnv_sysfs_ctrl(dev)->dev));
}
static DEVICE_ATTR_RO(numa_node);

/* Like nvme's: the I/O submission queue size, 0's based. */
static ssize_t sqsize_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", rnv_sysfs_ctrl(dev)->io_depth - 1);
}
static DEVICE_ATTR_RO(sqsize);

static struct attribute *rnv_tools_attrs[] = {
	&dev_attr_transport.attr,
	&dev_attr_address.attr,
	&dev_attr_subsysnqn.attr,
	&dev_attr_cntlid.attr,
	&dev_attr_numa_node.attr,
	&dev_attr_sqsize.attr,
	NULL,
};

const struct attribute_group rnv_tools_attr_group = {
	.attrs = rnv_tools_attrs,
};

static struct rnv_ns *rnv_sysfs_ns(struct device *dev)
{
	return dev_to_disk(dev)->private_data;
}

static ssize_t nsid_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", rnv_sysfs_ns(dev)->nsid);
}
static DEVICE_ATTR_RO(nsid);

/*
 * Namespace Utilization (blocks in use) changes with every write and
 * deallocate, so it is read from the controller each time.
 */
static ssize_t nuse_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	struct rnv_ns *ns = rnv_sysfs_ns(dev);
	struct nvme_id_ns *id;
	ssize_t ret;

	id = kzalloc(sizeof(*id), GFP_KERNEL);
	if (!id)
		return -ENOMEM;
	ret = rnv_identify(ns->ctrl, NVME_ID_CNS_NS, ns->nsid, id);
	if (ret > 0)
		ret = -EIO;
	if (!ret)
		ret = sysfs_emit(buf, "%llu\n", le64_to_cpu(id->nuse));
	kfree(id);
	return ret;
}
static DEVICE_ATTR_RO(nuse);

/* An Identify string's length without its blank or NUL padding. */
static int rnv_sysfs_id_len(const char *s, int len)
{
	while (len > 0 && (s[len - 1] == ' ' || !s[len - 1]))
		len--;
	return len;
}

/*
 * A world wide name, by the in-kernel driver's rule: the NGUID, else the
 * EUI-64, else one made of vendor, serial, model and nsid.
 */
static ssize_t wwid_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	struct rnv_ns *ns = rnv_sysfs_ns(dev);
	struct nvme_id_ctrl *id = ns->ctrl->id;

	if (memchr_inv(ns->nguid, 0, sizeof(ns->nguid)))
		return sysfs_emit(buf, "eui.%16phN\n", ns->nguid);
	if (memchr_inv(ns->eui64, 0, sizeof(ns->eui64)))
		return sysfs_emit(buf, "eui.%8phN\n", ns->eui64);
	return sysfs_emit(buf, "nvme.%04x-%*phN-%*phN-%08x\n", le16_to_cpu(id->vid),
			  rnv_sysfs_id_len(id->sn, sizeof(id->sn)), id->sn,
			  rnv_sysfs_id_len(id->mn, sizeof(id->mn)), id->mn, ns->nsid);
}
static DEVICE_ATTR_RO(wwid);

static ssize_t nguid_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%pU\n", rnv_sysfs_ns(dev)->nguid);
}
static DEVICE_ATTR_RO(nguid);

static ssize_t eui_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%8ph\n", rnv_sysfs_ns(dev)->eui64);
}
static DEVICE_ATTR_RO(eui);

static struct attribute *rnv_ns_attrs[] = {
	&dev_attr_nsid.attr,
	&dev_attr_nuse.attr,
	&dev_attr_wwid.attr,
	&dev_attr_nguid.attr,
	&dev_attr_eui.attr,
	NULL,
};

/* nguid and eui only when the namespace has one, as nvme shows them. */
static umode_t rnv_ns_attr_visible(struct kobject *kobj, struct attribute *a, int n)
{
	struct rnv_ns *ns = rnv_sysfs_ns(kobj_to_dev(kobj));

	if (a == &dev_attr_nguid.attr && !memchr_inv(ns->nguid, 0, sizeof(ns->nguid)))
		return 0;
	if (a == &dev_attr_eui.attr && !memchr_inv(ns->eui64, 0, sizeof(ns->eui64)))
		return 0;
	return a->mode;
}

static const struct attribute_group rnv_ns_attr_group = {
	.attrs		= rnv_ns_attrs,
	.is_visible	= rnv_ns_attr_visible,
};

const struct attribute_group *rnv_ns_attr_groups[] = {
	&rnv_ns_attr_group,
	NULL,
};
