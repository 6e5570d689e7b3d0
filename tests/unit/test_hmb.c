// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit test of driver/hmbplan.c: the Host Memory Buffer chunk plan
 * (rnv_hmb_plan) against a simulated allocator (largest free piece, total
 * budget), and the descriptor writer (rnv_hmb_desc). The drives' HMPRE,
 * HMMIN, HMMINDS and HMMAXD come from public nvme id-ctrl dumps (sources
 * above each case). Prints one RNV-RESULT line per case.
 */
#include <stdio.h>
#include <string.h>
#include "rnv_power.h"

#define KIB	1024ull
#define MIB	(1024ull * KIB)
#define MAXC	4096

/* Simulated memory: any piece up to @largest while @budget lasts. */
struct sim {
	u64 largest;
	u64 budget;
	u64 used;
	u32 live;		/* chunks allocated and not freed */
	u32 arrays;		/* start() without undo() or a kept result */
	u32 max;		/* room start() gave */
	u64 len[MAXC];
	u64 addr[MAXC];
	u64 next_addr;
};

static bool sim_start(void *ctx, u32 nr)
{
	struct sim *s = ctx;

	if (nr > MAXC)
		return false;
	s->arrays++;
	s->max = nr;
	return true;
}

static bool sim_alloc(void *ctx, u32 i, u64 len)
{
	struct sim *s = ctx;

	if (i >= s->max || len > s->largest || s->used + len > s->budget)
		return false;
	s->used += len;
	s->len[i] = len;
	s->addr[i] = s->next_addr;
	s->next_addr += len + 64 * KIB;
	s->live++;
	return true;
}

static void sim_undo(void *ctx, u32 nr)
{
	struct sim *s = ctx;
	u32 i;

	for (i = 0; i < nr; i++) {
		s->used -= s->len[i];
		s->live--;
	}
	s->arrays--;
	s->max = 0;
}

static const struct rnv_hmb_ops sim_ops = {
	.start = sim_start, .alloc = sim_alloc, .undo = sim_undo,
};

static int passed, failed;

/*
 * Plan with host limits like power.c's on a 4 KiB-page arm64 (largest chunk
 * 4 MiB, at least two pages, 256 descriptors per page of them).
 */
static void check(const char *name, u64 hmpre_4k, u64 hmmin_4k, u64 hmminds_4k, u32 hmmaxd,
		  u64 cap, u64 largest, u64 budget, u64 want_size, u32 want_nr, u64 want_first)
{
	static struct sim s;
	struct rnv_hmb_req req = {
		.preferred = hmpre_4k * 4096 < cap ? hmpre_4k * 4096 : cap,
		.min = hmmin_4k * 4096,
		.max_chunk = 4 * MIB,
		.min_chunk = hmminds_4k * 4096 > 8192 ? hmminds_4k * 4096 : 8192,
		.max_descs = hmmaxd && hmmaxd < 256 ? hmmaxd : 256,
		.page_size = 4096,
	};
	u64 size, sum = 0;
	u32 nr, i, odd = 0;

	memset(&s, 0, sizeof(s));
	s.largest = largest;
	s.budget = budget;
	s.next_addr = 0x80000000ull;
	size = rnv_hmb_plan(&req, &sim_ops, &s, &nr);
	for (i = 0; i < nr; i++) {
		sum += s.len[i];
		if (s.len[i] % 4096 || (i && s.len[i] > s.len[0]))
			odd++;
	}
	/* What is not kept must be freed: chunks and the arrays of failed attempts. */
	if (size == want_size && nr == want_nr && (!nr || s.len[0] == want_first) &&
	    sum == size && !odd && s.live == nr && s.arrays == (nr ? 1 : 0) &&
	    (!req.min || !size || size >= req.min) && nr <= req.max_descs) {
		printf("RNV-RESULT PASS unit-hmb-%s %llu KiB in %u chunks of %llu KiB\n", name,
		       (unsigned long long)(size / KIB), nr,
		       (unsigned long long)(nr ? s.len[0] / KIB : 0));
		passed++;
		return;
	}
	printf("RNV-RESULT FAIL unit-hmb-%s got %llu KiB in %u chunks (first %llu KiB, sum %llu KiB, %u odd, %u live, %u arrays), want %llu KiB in %u of %llu KiB\n",
	       name, (unsigned long long)(size / KIB), nr,
	       (unsigned long long)(nr ? s.len[0] / KIB : 0), (unsigned long long)(sum / KIB),
	       odd, s.live, s.arrays, (unsigned long long)(want_size / KIB), want_nr,
	       (unsigned long long)(want_first / KIB));
	failed++;
}

static void check_desc(void)
{
	static const unsigned char want[16] = {
		0x00, 0x00, 0x40, 0x3b, 0x01, 0x00, 0x00, 0x00,	/* 0x13b400000 */
		0x00, 0x04, 0x00, 0x00,				/* 1024 pages */
		0, 0, 0, 0,
	};
	unsigned char d[16];

	memset(d, 0xa5, sizeof(d));
	rnv_hmb_desc(d, 0x13b400000ull, 4 * MIB, 4096);
	if (!memcmp(d, want, sizeof(d))) {
		printf("RNV-RESULT PASS unit-hmb-desc 4 MiB at 0x13b400000: 16 bytes little endian, BSIZE 1024 pages\n");
		passed++;
	} else {
		printf("RNV-RESULT FAIL unit-hmb-desc bytes differ\n");
		failed++;
	}
	/* 64 KiB controller pages: BSIZE counts those. */
	rnv_hmb_desc(d, 0x10000, 2 * MIB, 65536);
	if (d[8] == 32 && !d[9] && !d[10] && !d[11] && d[2] == 1) {
		printf("RNV-RESULT PASS unit-hmb-desc-64k 2 MiB = 32 pages of 64 KiB\n");
		passed++;
	} else {
		printf("RNV-RESULT FAIL unit-hmb-desc-64k BSIZE bytes %u %u %u %u\n", d[8], d[9],
		       d[10], d[11]);
		failed++;
	}
}

int main(void)
{
	const u64 plenty = 1024 * MIB, cap = 128 * MIB;

	/*
	 * BIWIN CE430T5D100-512G (DRAM-less), nvme id-ctrl in
	 * geerlingguy/raspberry-pi-pcie-devices issue #679:
	 * hmpre 16384, hmmin 3072, hmminds 256, hmmaxd 64.
	 * https://github.com/geerlingguy/raspberry-pi-pcie-devices/issues/679
	 */
	check("biwin-ce430", 16384, 3072, 256, 64, cap, 4 * MIB, plenty, 64 * MIB, 16, 4 * MIB);
	/* Fragmented: nothing over 1 MiB (HMMINDS): 64 chunks, HMMAXD's limit, still 64 MiB. */
	check("biwin-ce430-1m", 16384, 3072, 256, 64, cap, 1 * MIB, plenty, 64 * MIB, 64, 1 * MIB);
	/* Only 20 MiB free: more than HMMIN (12 MiB), taken. */
	check("biwin-ce430-20m", 16384, 3072, 256, 64, cap, 4 * MIB, 20 * MIB, 20 * MIB, 5, 4 * MIB);
	/* Only 8 MiB free: under HMMIN at every chunk size, nothing kept. */
	check("biwin-ce430-8m", 16384, 3072, 256, 64, cap, 4 * MIB, 8 * MIB, 0, 0, 0);
	/* max_host_mem_size_mb=32. */
	check("biwin-ce430-cap32", 16384, 3072, 256, 64, 32 * MIB, 4 * MIB, plenty, 32 * MIB, 8,
	      4 * MIB);
	/*
	 * A 256 GB DRAM-less drive with hmpre = hmmin = 16384 (64 MiB), nvme id-ctrl
	 * in raspberrypi/rpi-eeprom issue #584 (HMMINDS/HMMAXD not quoted: 0).
	 * https://github.com/raspberrypi/rpi-eeprom/issues/584
	 */
	check("rpi584", 16384, 16384, 0, 0, cap, 2 * MIB, plenty, 64 * MIB, 32, 2 * MIB);
	/* All or nothing: 63 MiB free is not enough. */
	check("rpi584-63m", 16384, 16384, 0, 0, cap, 4 * MIB, 63 * MIB, 0, 0, 0);
	/*
	 * HMMAXD 8 and HMMINDS 0, as the WD SN530/SN550 report them
	 * (raspberrypi/linux issues #6228 and #6195; HMPRE taken as 200 MiB,
	 * HMMIN 0): the cap gives 128 MiB, eight 4 MiB chunks make 32 MiB.
	 * https://github.com/raspberrypi/linux/issues/6195
	 */
	check("hmmaxd8", 51200, 0, 0, 8, cap, 4 * MIB, plenty, 32 * MIB, 8, 4 * MIB);
	/* Not a power of two: 5 MiB + 12 KiB preferred, last chunk the remainder. */
	check("odd-size", 1283, 0, 0, 0, cap, 4 * MIB, plenty, 5 * MIB + 12 * KIB, 2, 4 * MIB);
	/* Nothing allocatable at all. */
	check("no-memory", 16384, 0, 0, 0, cap, 4 * MIB, 0, 0, 0, 0);
	check_desc();

	printf("unit-hmb: %d passed, %d failed\n", passed, failed);
	return failed != 0;
}
