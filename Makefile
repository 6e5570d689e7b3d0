# rocknvme top-level Makefile: the build front end and the two README commands.
# Kbuild (not this file) lists the objects; the kernel's build system reads it.
#
#   make                  build rocknvme.ko for KDIR (default: running kernel's headers,
#                         else the Debian amd64 headers that `make setup` installed)
#   make ARCH=arm64       cross-build against Debian's arm64 headers (fetched by setup)
#   make KVER=6.12        build against another kernel line that setup fetched: 6.1 (Debian
#                         12), 6.12 (bookworm-backports), 7 (trixie-backports), or an ABI
#                         such as 6.12.95+deb12; output build/rocknvme-ARCH-ABI.ko. The 7.x
#                         build runs inside the cached trixie root (tests/lib/inroot.sh).
#   make setup            install packages, fetch and cache kernels and guest userland
#   make test             the QEMU test suite (arm64 then x86_64); ends "N passed, N failed"
#   make demo             boot the emulated arm64 board, show the controller, run fio
#   make lint             checkpatch --strict, sparse (C=2) and W=1 on both arches
#   make install          install into /lib/modules/$(uname -r)/updates and run depmod,
#                         and rocknvme-switch, rocknvme-list into $(PREFIX)/sbin (install-tools)

SHELL := /bin/bash
TOP := $(CURDIR)
ARCH ?= $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
RNV_CACHE ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/rocknvme
export RNV_CACHE
SRCS := Kbuild $(wildcard driver/*.c include/*.h)
ifeq ($(ARCH),arm64)
CROSS_COMPILE ?= aarch64-linux-gnu-
DEB_ARCH := arm64
else
DEB_ARCH := amd64
endif
# KVER: a line name setup wrote abi-NAME for, else an ABI (a -arm64/-amd64 suffix is dropped).
ifdef KVER
ABI := $(or $(shell cat $(RNV_CACHE)/abi-$(KVER) 2>/dev/null),$(KVER:%-$(DEB_ARCH)=%))
TAG := -$(ABI)
else
ABI = $(shell cat $(RNV_CACHE)/abi 2>/dev/null)
endif
# Kernels whose kbuild tools need a newer Debian are unpacked into that root's /usr/src.
KROOT := $(RNV_CACHE)/root-trixie

KDIRS := $(RNV_CACHE)/headers-$(ABI)-$(DEB_ARCH)/usr/src/linux-headers-$(ABI)-$(DEB_ARCH) \
	/usr/src/linux-headers-$(ABI)-$(DEB_ARCH) $(KROOT)/usr/src/linux-headers-$(ABI)-$(DEB_ARCH)
ifeq ($(ARCH)$(KVER),x86)
KDIR ?= $(firstword $(wildcard /lib/modules/$(shell uname -r)/build $(KDIRS)) $(KDIRS))
else
KDIR ?= $(firstword $(wildcard $(KDIRS)) $(KDIRS))
endif
# A KDIR inside the root is built there: same paths for the sources, the root's compiler.
INROOT := $(if $(filter $(KROOT)/%,$(KDIR)),bash $(CURDIR)/tests/lib/inroot.sh $(KROOT) $(TOP))
# Each arch (and kernel, with KVER) builds in its own copy of the sources: kbuild writes
# objects next to them.
BDIR := $(TOP)/build/$(ARCH)$(TAG)

.PHONY: all modules setup test demo bench lint install install-tools clean dtbo

all: modules

modules: $(if $(filter command line,$(origin KDIR)),,setup-once)
	@mkdir -p $(BDIR)
	@cp -a --parents $(SRCS) $(BDIR)/
	$(INROOT) $(MAKE) -C $(KDIR:$(KROOT)%=%) M=$(BDIR) ARCH=$(ARCH) \
		CROSS_COMPILE=$(CROSS_COMPILE) $(KBUILD_EXTRA) modules
	@cp $(BDIR)/rocknvme.ko $(TOP)/build/rocknvme-$(ARCH)$(TAG).ko
	@echo "built build/rocknvme-$(ARCH)$(TAG).ko for $(notdir $(KDIR))"

# setup-once: cheap when everything is cached (stamps), so every target may call it.
.PHONY: setup-once
setup-once:
	@bash tests/lib/setup.sh

setup:
	bash tests/lib/setup.sh --lint

test: setup
	bash tests/run.sh

demo: setup-once
	bash tests/demo.sh

bench: setup-once
	bash tests/bench.sh

lint: setup
	bash tests/lint.sh

dtbo:
	$(MAKE) -C dts

install: modules install-tools
	$(MAKE) -C $(KDIR) M=$(BDIR) INSTALL_MOD_DIR=updates modules_install
	depmod -a $(shell uname -r)

# The user tools (also for DKMS installs, which place only the module).
PREFIX ?= /usr/local
install-tools:
	install -D -m 755 -t $(DESTDIR)$(PREFIX)/sbin packaging/rocknvme-switch packaging/rocknvme-list

clean:
	rm -rf build results
	-$(MAKE) -C dts clean
