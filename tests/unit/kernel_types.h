/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Host unit tests only (gcc -include): the kernel's fixed-size type names
 * that the driver's pure files (apst.c, hmbplan.c, rnv_power.h) use.
 */
#ifndef RNV_UNIT_KERNEL_TYPES_H
#define RNV_UNIT_KERNEL_TYPES_H
#include <stdbool.h>
#include <stdint.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
#endif
