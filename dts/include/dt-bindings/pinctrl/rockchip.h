/* SPDX-License-Identifier: (GPL-2.0-only OR MIT) */
/*
 * rocknvme: the Rockchip pin constants our device-tree sources use. Same
 * path and values as the kernel's dt-bindings header; only what we need.
 *
 * A Rockchip GPIO bank has 32 lines in four groups of eight, A to D, so
 * GPIOn_Xm is line (X - 'A') * 8 + m of bank n: GPIO4_PB6 = bank 4, line 14.
 */
#ifndef RNV_DT_BINDINGS_ROCKCHIP_PINCTRL_H
#define RNV_DT_BINDINGS_ROCKCHIP_PINCTRL_H

#define RK_PA1		1	/* GPIO1_PA1: USB host 5 V enable on the 5B+ */
#define RK_PA4		4	/* GPIO1_PA4: vcc3v3_pcie30 enable */
#define RK_PB0		8	/* GPIO4_PB0: pcie3x2 PERST# (5B+), USB 5 V (5B) */
#define RK_PB6		14	/* GPIO4_PB6: pcie3x4 PERST# */

/* rockchip,pins mux function: 0 selects plain GPIO. */
#define RK_FUNC_GPIO	0

#endif
