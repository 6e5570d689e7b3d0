/* SPDX-License-Identifier: (GPL-2.0-only OR MIT) */
/*
 * rocknvme: the GPIO specifier flags our device-tree sources use, so that
 * `make -C dts` builds without a kernel tree. Same path and values as the
 * kernel's dt-bindings header; only the constants we need are here.
 * Flags cell bit 0 is the line polarity.
 */
#ifndef RNV_DT_BINDINGS_GPIO_H
#define RNV_DT_BINDINGS_GPIO_H

#define GPIO_ACTIVE_HIGH	0
#define GPIO_ACTIVE_LOW		1

#endif
