# SPDX-License-Identifier: GPL-2.0
#
# APSM top-level Makefile.
#
#   make              build apsm.ko and the userspace programs
#   make demo         install dependencies, boot a VM, run the demo
#   make check        install dependencies, run every test, print the tally
#   make kunit        KUnit suites under UML
#   make bench        every benchmark (bench/*.sh), each in its own VM;
#                     bench/sim.sh (no module) on the host
#   make dkms-install register and build the module with DKMS
#   make fuzz         build the libFuzzer targets (tests/fuzz/)
#   make fuzz-run     replay their corpora and fuzz each FUZZ_SECONDS (20)
#
# KDIR selects the kernel build tree (default: the newest Debian
# linux-headers-*-amd64 in /usr/src). W=1 and C=1 pass through to kbuild.

KVER ?= $(shell scripts/kver.sh 2>/dev/null)
KDIR ?= /usr/src/linux-headers-$(KVER)
VERSION := $(shell sed -n 's/.*APSM_VERSION "\(.*\)"/\1/p' include/core/version.h)

.PHONY: all module userspace deps check demo kunit bench dkms-install \
	dkms-uninstall clean

all: module userspace

module:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

userspace:
	$(MAKE) -C userspace-ctl
	$(MAKE) -C tests/tools

deps:
	scripts/deps.sh

check: deps
	scripts/check.sh

demo: deps all
	scripts/vm-run.sh scripts/demo.sh

kunit: deps
	scripts/kunit.sh

# libFuzzer targets of apsmd's and apsmctl's parsers (Documentation/testing.md,
# "Fuzzing"); check runs them briefly. Long run: make fuzz-run FUZZ_SECONDS=3600
FUZZ_SECONDS ?= 20
.PHONY: fuzz fuzz-run
fuzz:
	$(MAKE) -C tests/fuzz

fuzz-run: fuzz
	$(MAKE) -C tests/fuzz run FUZZ_SECONDS=$(FUZZ_SECONDS)

# Not part of check: figures, not pass/fail (see bench/README.md).
bench: deps all
	$(MAKE) -C bench
	@set -e; for b in bench/*.sh; do \
		[ $$b != bench/sim.sh ] || continue; \
		echo "== $$b (host load average: $$(cut -d' ' -f1-3 /proc/loadavg))"; \
		scripts/vm-run.sh --timeout 1200 $$b; \
	done
	@echo "== bench/sim.sh (on the host; host load average: $$(cut -d' ' -f1-3 /proc/loadavg))"
	bench/sim.sh

dkms-install:
	scripts/dkms.sh install $(VERSION)

dkms-uninstall:
	scripts/dkms.sh uninstall $(VERSION)

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	$(MAKE) -C userspace-ctl clean
	$(MAKE) -C tests/tools clean
	$(MAKE) -C bench clean
	$(MAKE) -C tests/fuzz clean
