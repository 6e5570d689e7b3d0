// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit test of driver/apst.c (rnv_apst_build) over real drives' power
 * state descriptors, copied from public Identify Controller dumps (each
 * source is named above its table). Prints one RNV-RESULT line per case.
 *
 * Entry values: ITPS (target state) << 3 | ITPT (idle ms) << 8, so
 *   0x6418  = PS3 after 100 ms     0x6420  = PS4 after 100 ms
 *   0x7d018 = PS3 after 2000 ms    0x7d020 = PS4 after 2000 ms
 */
#include <stdio.h>
#include <string.h>
#include "rnv_power.h"

#define OP(en, ex)	{ .enlat_us = (en), .exlat_us = (ex), .non_op = false }
#define NOP(en, ex)	{ .enlat_us = (en), .exlat_us = (ex), .non_op = true }

/*
 * Samsung PM981a (MZVLB1T0HBLR, Phoenix controller), smartctl -a:
 * https://linux-hardware.ru/?log=smartctl&probe=543d2dfef7
 * The Samsung 970 EVO Plus reports the same latencies (AnandTech's 970 EVO
 * Plus review, "Power Management Features": PS3 0.21/1.2 ms, PS4 2/8 ms).
 */
static const struct rnv_ps samsung_phoenix[] = {
	OP(0, 0), OP(0, 0), OP(0, 0), NOP(210, 1200), NOP(2000, 8000),
};

/*
 * Samsung 950 PRO, nvme id-ctrl as quoted in nvme-cli pull request #52
 * ("Decode power states more readably"):
 * https://github.com/linux-nvme/nvme-cli/pull/52
 */
static const struct rnv_ps samsung_950[] = {
	OP(5, 5), OP(30, 30), OP(100, 100), NOP(500, 5000), NOP(2000, 22000),
};

/*
 * Kingston NV2 (SNV2S2000G, DRAM-less, HMB), smartctl -a:
 * https://linux-hardware.ru/?log=smartctl&probe=7117d51b53
 */
static const struct rnv_ps kingston_nv2[] = {
	OP(0, 0), OP(0, 200), OP(0, 1000), NOP(5000, 5000), NOP(20000, 70000),
};

/*
 * Toshiba XG4, nvme id-ctrl quoted in damige/linux-nvme issue #11:
 * https://github.com/damige/linux-nvme/issues/11
 */
static const struct rnv_ps toshiba_xg4[] = {
	OP(0, 0), OP(0, 0), OP(0, 0), NOP(5000, 25000), NOP(100000, 70000),
};

static int passed, failed;

static void check(const char *name, const struct rnv_ps *ps, unsigned int npss, u64 max_lat,
		  bool no_deepest, int want_ps, const u64 *want)
{
	u64 table[RNV_APST_ENTRIES];
	int got_ps, i, bad = -1;

	got_ps = rnv_apst_build(ps, npss, max_lat, no_deepest, table);
	for (i = 0; i < RNV_APST_ENTRIES && bad < 0; i++)
		if (table[i] != (i <= (int)npss && want ? want[i] : 0))
			bad = i;
	if (got_ps == want_ps && bad < 0) {
		printf("RNV-RESULT PASS unit-apst-%s deepest %d, entries", name, got_ps);
		for (i = 0; i <= (int)npss && i < RNV_APST_ENTRIES && i < 6; i++)
			printf(" %#llx", (unsigned long long)table[i]);
		printf("\n");
		passed++;
		return;
	}
	printf("RNV-RESULT FAIL unit-apst-%s deepest %d (want %d)", name, got_ps, want_ps);
	if (bad >= 0)
		printf(", entry %d is %#llx, want %#llx", bad, (unsigned long long)table[bad],
		       (unsigned long long)(bad <= (int)npss && want ? want[bad] : 0));
	printf("\n");
	failed++;
}

int main(void)
{
	static const u64 phoenix_def[] = { 0x6420, 0x6420, 0x6420, 0x6420, 0 };
	static const u64 phoenix_ps3[] = { 0x6418, 0x6418, 0x6418, 0, 0 };
	static const u64 s950_def[] = { 0x6418, 0x6418, 0x6418, 0x7d020, 0 };
	static const u64 s950_ps3[] = { 0x6418, 0x6418, 0x6418, 0, 0 };
	static const u64 nv2_def[] = { 0x6418, 0x6418, 0x6418, 0x7d020, 0 };
	static const u64 xg4_def[] = { 0x7d018, 0x7d018, 0x7d018, 0, 0 };
	static const struct rnv_ps two_secondary[] = {
		OP(0, 0), OP(0, 0), OP(0, 0), NOP(10000, 20000), NOP(20000, 50000),
	};
	static const u64 two_secondary_want[] = { 0x7d020, 0x7d020, 0x7d020, 0x7d020, 0 };
	static const struct rnv_ps primary_then_slow[] = {
		OP(0, 0), NOP(30000, 30000), NOP(1000, 1000), NOP(2000, 3000),
	};
	static const u64 primary_then_slow_want[] = { 0x6418, 0x6418, 0x6418, 0 };
	struct rnv_ps all_op[32], deep31[32];
	u64 deep31_want[32];
	int i;

	/* Both idle states within 15 ms: the deepest (PS4) after 100 ms, PS3 unused. */
	check("samsung-phoenix", samsung_phoenix, 4, 100000, false, 4, phoenix_def);
	/* NO_DEEPEST_PS (as a quirked drive gets): PS3 becomes the target. */
	check("samsung-phoenix-nodeepest", samsung_phoenix, 4, 100000, true, 3, phoenix_ps3);
	/* ps_max_latency_us=5500: PS4's 8 ms exit is over the cap. */
	check("samsung-phoenix-5500us", samsung_phoenix, 4, 5500, false, 3, phoenix_ps3);
	/* Cap under every exit latency: APST on, no target. */
	check("samsung-phoenix-1000us", samsung_phoenix, 4, 1000, false, -1, NULL);
	/* PS4 24 ms total: the 2 s target; PS3 5.5 ms: the 100 ms one. */
	check("samsung-950", samsung_950, 4, 100000, false, 4, s950_def);
	check("samsung-950-10000us", samsung_950, 4, 10000, false, 3, s950_ps3);
	check("kingston-nv2", kingston_nv2, 4, 100000, false, 4, nv2_def);
	/* PS4 170 ms total is past the 100 ms tolerance: PS3 (30 ms) after 2 s only. */
	check("toshiba-xg4", toshiba_xg4, 4, 100000, false, 3, xg4_def);
	check("toshiba-xg4-170000us", toshiba_xg4, 4, 170000, false, 3, xg4_def);

	/* Synthetic edges: all operational; 32 states with the deepest at 31; npss 32 invalid. */
	for (i = 0; i < 32; i++) {
		all_op[i] = (struct rnv_ps)OP(10, 10);
		deep31[i] = i == 31 ? (struct rnv_ps)NOP(100, 100) : (struct rnv_ps)OP(0, 0);
		deep31_want[i] = i < 31 ? (31 << 3 | 100 << 8) : 0;
	}
	/* At most one 2 s target: PS3 (30 ms) is not used once PS4 (70 ms) is. */
	check("two-secondary", two_secondary, 4, 100000, false, 4, two_secondary_want);
	/* A 100 ms target found, shallower states are neither primary nor secondary. */
	check("primary-then-slow", primary_then_slow, 3, 100000, false, 3, primary_then_slow_want);
	check("all-operational", all_op, 31, 100000, false, -1, NULL);
	check("npss-31", deep31, 31, 100000, false, 31, deep31_want);
	check("npss-32-invalid", deep31, 32, 100000, false, -1, NULL);

	printf("unit-apst: %d passed, %d failed\n", passed, failed);
	return failed != 0;
}
