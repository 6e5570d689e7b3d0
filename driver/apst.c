// SPDX-License-Identifier: GPL-2.0
/*
 * The Autonomous Power State Transition table, built from the power state
 * descriptors alone: a pure function (no kernel calls), so that
 * tests/unit/test_apst.c runs it on the host over real drives' tables.
 * power.c sends the result (Set Features 0x0c).
 *
 * The policy is the in-kernel driver's default: only non-operational
 * states are targets; a state whose exit latency exceeds the cap
 * (ps_max_latency_us) is not used, nor the deepest one on a drive quirked
 * NO_DEEPEST_PS. Walking from the deepest state up, the first usable state
 * with entry + exit latency within 15 ms becomes the 100 ms idle target,
 * and, if none such was found deeper, the first within 100 ms the 2 s one.
 * Every state above a target falls to the nearest target below it.
 */
#include "rnv_power.h"

/* The idle time for a state of @total_us latency, 0 if it is not used. */
static u32 rnv_apst_idle_ms(u64 total_us, unsigned int *kind)
{
	if (total_us <= RNV_APST_PRIMARY_TOL_US) {
		if (*kind == 1)
			return 0;
		*kind = 1;
		return RNV_APST_PRIMARY_MS;
	}
	if (total_us <= RNV_APST_SECONDARY_TOL_US) {
		if (*kind <= 2)
			return 0;
		*kind = 2;
		return RNV_APST_SECONDARY_MS;
	}
	return 0;
}

/*
 * Fill @table (CPU byte order) for states 0..@npss of @ps; the rest is 0.
 * Returns the deepest target state, or -1 when no state qualifies (APST
 * on with such a table never leaves the operational states).
 */
int rnv_apst_build(const struct rnv_ps *ps, unsigned int npss, u64 max_latency_us,
		   bool no_deepest, u64 table[RNV_APST_ENTRIES])
{
	unsigned int kind = 3;		/* none chosen yet: 1 primary, 2 secondary */
	u64 target = 0;
	int state, max_ps = -1;

	for (state = 0; state < RNV_APST_ENTRIES; state++)
		table[state] = 0;
	if (npss >= RNV_APST_ENTRIES)
		return -1;
	/* Lower numbers draw more power; NPSS is the deepest state's number. */
	for (state = npss; state >= 0; state--) {
		u64 total_us;
		u32 idle_ms;

		table[state] = target;
		if (no_deepest && state == (int)npss)
			continue;
		if (!ps[state].non_op || ps[state].exlat_us > max_latency_us)
			continue;
		total_us = (u64)ps[state].enlat_us + ps[state].exlat_us;
		idle_ms = rnv_apst_idle_ms(total_us, &kind);
		if (!idle_ms)
			continue;
		target = (u64)state << RNV_APST_ITPS_SHIFT |
			 (u64)idle_ms << RNV_APST_ITPT_SHIFT;
		if (max_ps < 0)
			max_ps = state;
	}
	return max_ps;
}
