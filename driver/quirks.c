// SPDX-License-Identifier: GPL-2.0
/*
 * Known drives and their workarounds. The facts (which drive needs what)
 * come from the in-kernel driver's tables: drivers/nvme/host/pci.c's
 * nvme_id_table by PCI ID, and core.c's nvme_core_quirks by Identify
 * vendor and model where one PCI ID covers drives that behave differently.
 * Only the workarounds rocknvme has a use for are carried (see
 * RNV_QUIRK_* in rnv_power.h).
 *
 * The quirks= parameter adds or clears bits by PCI ID without a rebuild:
 *   quirks=VID:DID:FLAGS[,VID:DID:FLAGS...]   all hex, up to 8 entries
 * FLAGS are added to what the table says; "-FLAGS" clears them instead,
 * e.g. quirks=15b7:5009:-20 gives an SN550 its MSI back.
 */
#include <linux/delay.h>
#include <linux/module.h>
#include "rocknvme.h"

struct rnv_quirk_id {
	u16 vendor;
	u16 device;
	u32 quirks;
};

#define NO_APST		RNV_QUIRK_NO_APST
#define NO_DEEPEST	RNV_QUIRK_NO_DEEPEST_PS
#define NO_WZ		RNV_QUIRK_NO_WRITE_ZEROES
#define DELAY_RDY	RNV_QUIRK_DELAY_RDY
#define BOGUS_NID	RNV_QUIRK_BOGUS_NID
#define BROKEN_MSI	RNV_QUIRK_BROKEN_MSI

/* By PCI vendor:device, as nvme_id_table lists them (the bits we carry). */
static const struct rnv_quirk_id rnv_quirk_ids[] = {
	{ 0x8086, 0xf1a5, NO_DEEPEST | NO_WZ },		/* Intel 600P/P3100 */
	{ 0x126f, 0x1001, NO_DEEPEST },			/* Silicon Motion generic */
	{ 0x126f, 0x2262, NO_DEEPEST | BOGUS_NID },	/* Silicon Motion SM2262 */
	{ 0x126f, 0x2263, BOGUS_NID },			/* Silicon Motion SM2263 */
	{ 0x1bb1, 0x0100, DELAY_RDY },			/* Seagate Nytro */
	{ 0x1c58, 0x0003, DELAY_RDY },			/* HGST adapter */
	{ 0x1c58, 0x0023, DELAY_RDY },			/* WDC SN200 adapter */
	{ 0x1c5f, 0x0540, DELAY_RDY },			/* Memblaze Pblaze4 */
	{ 0x144d, 0xa821, DELAY_RDY },			/* Samsung PM1725 */
	{ 0x144d, 0xa822, DELAY_RDY | NO_WZ },		/* Samsung PM1725a */
	{ 0x144d, 0xa802, BOGUS_NID },			/* Samsung SM953 */
	{ 0x144d, 0xa809, NO_WZ },			/* Samsung MZALQ256HBJD */
	{ 0x144d, 0xa80b, NO_WZ | BOGUS_NID },		/* Samsung PM9B1 */
	{ 0x15b7, 0x2001, NO_WZ },			/* Sandisk Skyhawk */
	{ 0x15b7, 0x5008, BROKEN_MSI },			/* WD SN530 */
	{ 0x15b7, 0x5009, BROKEN_MSI | NO_DEEPEST },	/* WD SN550 */
	{ 0x1987, 0x5012, BOGUS_NID },			/* Phison E12 */
	{ 0x1987, 0x5016, BOGUS_NID },			/* Phison E16 */
	{ 0x1987, 0x5019, NO_WZ },			/* Phison E19 */
	{ 0x1987, 0x5021, NO_WZ },			/* Phison E21 */
	{ 0x1cc1, 0x33f8, BOGUS_NID },			/* ADATA IM2P33F8ABR1 */
	{ 0x1cc1, 0x5350, BOGUS_NID },			/* ADATA XPG GAMMIX S50 */
	{ 0x1cc1, 0x8201, NO_DEEPEST },			/* ADATA SX8200PNP */
	{ 0x10ec, 0x5762, BOGUS_NID },			/* ADATA SX6000LNP */
	{ 0x10ec, 0x5763, BOGUS_NID },			/* ADATA SX6000PNP, TEAMGROUP Z330 */
	{ 0x10ec, 0x5765, BOGUS_NID },			/* TEAMGROUP MP33 */
	{ 0x1344, 0x6001, BOGUS_NID },			/* Micron Nitro */
	{ 0x1c5c, 0x1504, NO_WZ },			/* SK Hynix PC400 */
	{ 0x1c5c, 0x174a, BOGUS_NID },			/* SK Hynix P31 */
	{ 0x1c5c, 0x1d59, NO_WZ },			/* SK Hynix BC901 */
	/* Listed twice upstream (SPCC, Lexar NM610); both entries' bits. */
	{ 0x1d97, 0x2263, NO_WZ | BOGUS_NID },
	{ 0x1d97, 0x1d97, BOGUS_NID },			/* Lexar NM620 */
	{ 0x1d97, 0x2269, BOGUS_NID },			/* Lexar NM760 */
	{ 0x1cc4, 0x6302, NO_WZ },			/* UMIS RPJTJ256MGE1QDY */
	{ 0x1cc4, 0x6303, NO_WZ },			/* UMIS RPJTJ512MGE1QDY */
	{ 0x2646, 0x2262, NO_DEEPEST },			/* Kingston SKC2000 */
	{ 0x2646, 0x2263, NO_DEEPEST },			/* Kingston A2000 */
	{ 0x2646, 0x5016, NO_WZ },			/* Kingston OM3PGP4 */
	{ 0x2646, 0x5018, NO_WZ },			/* Kingston OM8SFP4 */
	{ 0x2646, 0x501a, NO_WZ },			/* Kingston OM8PGP4xxxxP */
	{ 0x2646, 0x501b, NO_WZ },			/* Kingston OM8PGP4xxxxQ */
	{ 0x2646, 0x501e, NO_WZ },			/* Kingston OM3PGP4xxxxQ */
	{ 0x1e4b, 0x1001, BOGUS_NID },			/* MAXIO MAP1001 */
	{ 0x1e4b, 0x1002, BOGUS_NID },			/* MAXIO MAP1002 */
	{ 0x1e4b, 0x1202, BOGUS_NID },			/* MAXIO MAP1202 */
	{ 0x1e4b, 0x1602, BOGUS_NID },			/* MAXIO MAP1602 */
	{ 0x1f40, 0x1202, BOGUS_NID },			/* Netac NV3000 */
	{ 0x1f40, 0x5236, BOGUS_NID },			/* Netac NV7000 */
	{ 0x1dbe, 0x5216, BOGUS_NID },			/* Acer/INNOGRIT FA100 */
	{ 0x1dbe, 0x5236, BOGUS_NID },			/* ADATA XPG GAMMIX S70 */
	{ 0xc0a9, 0x540a, BOGUS_NID },			/* Crucial P2 */
};

/* By Identify VID and model, where the PCI ID is shared (core.c's table). */
struct rnv_quirk_model {
	u16 vid;
	const char *model;
	u32 quirks;
};

static const struct rnv_quirk_model rnv_quirk_models[] = {
	/* Dies in any APST state. */
	{ 0x1179, "THNSF5256GPUK TOSHIBA", NO_APST },
	/* Kioxia CD6-V / HPE PE8030: times out under load with APST. */
	{ 0x1e0f, "KCD6XVUL6T40", NO_APST },
	/* Shares its PCI ID with the 970 EVO Plus, which needs none of this. */
	{ 0x144d, "Samsung Portable SSD X5", DELAY_RDY | NO_DEEPEST },
};

/* quirks= entries, parsed and checked at load. */
#define RNV_QUIRK_PARAMS	8

struct rnv_quirk_param {
	u16 vendor;
	u16 device;
	u32 set;
	u32 clear;
};

static struct rnv_quirk_param rnv_quirk_params[RNV_QUIRK_PARAMS];
static unsigned int rnv_nr_quirk_params;
static char rnv_quirks_str[RNV_QUIRK_PARAMS * 16];

/* One "VID:DID:[-]FLAGS" entry; false if malformed or out of range. */
static bool rnv_quirk_parse_one(char *s, struct rnv_quirk_param *p)
{
	char *vid = strsep(&s, ":"), *did = strsep(&s, ":"), *flags = s;
	bool clear;
	u32 bits;

	if (!vid || !did || !flags || kstrtou16(vid, 16, &p->vendor) ||
	    kstrtou16(did, 16, &p->device))
		return false;
	clear = *flags == '-';
	if (kstrtou32(flags + clear, 16, &bits) || !bits || bits & ~RNV_QUIRK_ALL)
		return false;
	p->set = clear ? 0 : bits;
	p->clear = clear ? bits : 0;
	return true;
}

static int rnv_quirks_set(const char *val, const struct kernel_param *kp)
{
	struct rnv_quirk_param parsed[RNV_QUIRK_PARAMS];
	char *buf, *s, *entry;
	unsigned int n = 0;
	int ret = 0;

	if (strlen(val) >= sizeof(rnv_quirks_str)) {
		pr_err(RNV_NAME ": quirks= refused: longer than %zu characters\n",
		       sizeof(rnv_quirks_str) - 1);
		return -EINVAL;
	}
	buf = kstrdup(val, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	s = strim(buf);
	/* An empty value is no entry at all. */
	if (!*s)
		s = NULL;
	while ((entry = strsep(&s, ",")) != NULL) {
		if (n == RNV_QUIRK_PARAMS || !rnv_quirk_parse_one(entry, &parsed[n])) {
			pr_err(RNV_NAME ": quirks=%s refused: want up to %u of VID:DID:FLAGS or VID:DID:-FLAGS (hex, FLAGS within %#x)\n",
			       val, RNV_QUIRK_PARAMS, RNV_QUIRK_ALL);
			ret = -EINVAL;
			break;
		}
		n++;
	}
	kfree(buf);
	if (ret)
		return ret;
	memcpy(rnv_quirk_params, parsed, sizeof(parsed[0]) * n);
	rnv_nr_quirk_params = n;
	strscpy(rnv_quirks_str, val, sizeof(rnv_quirks_str));
	return 0;
}

static int rnv_quirks_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%s\n", rnv_quirks_str);
}

const struct kernel_param_ops rnv_quirks_param_ops = {
	.set = rnv_quirks_set,
	.get = rnv_quirks_get,
};

static void rnv_quirks_log(struct rnv_ctrl *ctrl, u32 quirks, const char *why)
{
	dev_info(ctrl->dev, "quirks %#x (%s)%s%s%s%s%s%s\n", quirks, why,
		 quirks & NO_APST ? " no_apst" : "",
		 quirks & NO_DEEPEST ? " no_deepest_ps" : "",
		 quirks & NO_WZ ? " no_write_zeroes" : "",
		 quirks & DELAY_RDY ? " delay_rdy" : "",
		 quirks & BOGUS_NID ? " bogus_nid" : "",
		 quirks & BROKEN_MSI ? " broken_msi" : "");
}

/* At probe, before the first register access: by PCI ID and quirks=. */
void rnv_quirks_init(struct rnv_ctrl *ctrl)
{
	struct pci_dev *pdev = ctrl->pdev;
	u32 quirks = 0;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(rnv_quirk_ids); i++)
		if (rnv_quirk_ids[i].vendor == pdev->vendor &&
		    rnv_quirk_ids[i].device == pdev->device)
			quirks |= rnv_quirk_ids[i].quirks;
	for (i = 0; i < rnv_nr_quirk_params; i++) {
		const struct rnv_quirk_param *p = &rnv_quirk_params[i];

		if (p->vendor == pdev->vendor && p->device == pdev->device)
			quirks = (quirks | p->set) & ~p->clear;
	}
	ctrl->pwr.quirks = quirks;
	if (quirks)
		rnv_quirks_log(ctrl, quirks, "by PCI ID");
}

/* Identify strings are space padded: @id matches when @s is all of it. */
static bool rnv_id_matches(const char *id, size_t len, const char *s)
{
	size_t n = strlen(s);

	if (n > len || memcmp(id, s, n))
		return false;
	for (; n < len; n++)
		if (id[n] != ' ' && id[n] != '\0')
			return false;
	return true;
}

/* After Identify Controller: model-string entries, and their effects. */
void rnv_quirks_identify(struct rnv_ctrl *ctrl)
{
	const struct nvme_id_ctrl *id = ctrl->id;
	u32 extra = 0;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(rnv_quirk_models); i++)
		if (rnv_quirk_models[i].vid == le16_to_cpu(id->vid) &&
		    rnv_id_matches(id->mn, sizeof(id->mn), rnv_quirk_models[i].model))
			extra |= rnv_quirk_models[i].quirks;
	if (extra & ~ctrl->pwr.quirks) {
		ctrl->pwr.quirks |= extra;
		rnv_quirks_log(ctrl, ctrl->pwr.quirks, "by model");
	}
	if (ctrl->pwr.quirks & NO_WZ && ctrl->oncs & NVME_CTRL_ONCS_WRITE_ZEROES) {
		ctrl->oncs &= ~NVME_CTRL_ONCS_WRITE_ZEROES;
		dev_info(ctrl->dev, "Write Zeroes disabled by quirk\n");
	}
}

/* The interrupt types pci_alloc_irq_vectors may try. */
unsigned int rnv_quirk_irq_types(struct rnv_ctrl *ctrl)
{
	if (ctrl->pwr.quirks & BROKEN_MSI)
		return PCI_IRQ_ALL_TYPES & ~PCI_IRQ_MSI;
	return PCI_IRQ_ALL_TYPES;
}

/* After CC.EN=0, before RDY is looked at: some controllers need time. */
void rnv_quirk_delay_rdy(struct rnv_ctrl *ctrl)
{
	if (ctrl->pwr.quirks & DELAY_RDY)
		msleep(RNV_QUIRK_RDY_DELAY_MS);
}

/*
 * Identify Namespace just read: a drive quirked BOGUS_NID reports NGUID
 * and EUI-64 values that are not unique (often the same on every unit),
 * so they are dropped, and namespaces are told apart by NSID alone.
 */
void rnv_quirk_ns_ids(struct rnv_ctrl *ctrl, struct nvme_id_ns *id)
{
	if (!(ctrl->pwr.quirks & BOGUS_NID))
		return;
	memset(id->nguid, 0, sizeof(id->nguid));
	memset(id->eui64, 0, sizeof(id->eui64));
}
