# unprivileged-ports: the policy package and the harness that proves it.
# `make verify` is the main job, `make check` runs the tests. Every target
# installs the Debian packages it needs (tools/ensure-packages).

OUT        ?= out
# Image cache shared by every checkout and by CI on the same machine.
PORTCHECK_CACHE ?= /var/cache/portcheck
export PORTCHECK_CACHE
# Set but empty or relative, every path under it would land under / or the
# current directory (clean-images was once `rm -rf /images`): refused before
# any target runs. build-image refuses it too, for portcheck and by hand.
ifeq ($(filter /%,$(PORTCHECK_CACHE)),)
$(error PORTCHECK_CACHE='$(PORTCHECK_CACHE)' is not an absolute path: set it to one (such as /var/cache/portcheck) or unset it)
endif

ENSURE     := tools/ensure-packages
DEFAULT_IMAGE ?= debian-bookworm

.PHONY: all verify check deb rpm packages clean clean-images
all: packages portcheck

include packaging/packaging.mk
include harness/harness.mk
include vm-images/images.mk
include tests/tests.mk
include tests/faults.mk
include harness/install.mk

# The main job: packages, the default image (built or reused), every
# scenario on it, the matrix on the terminal, the reports in $(OUT).
verify: portcheck deb rpm packages-old image-deps
	$(HARNESS_BUILD)/portcheck run --image $(DEFAULT_IMAGE) --scenario all \
		--package $(PKG_DEB) --package $(PKG_RPM) $(OLD_PACKAGE_ARGS) --out $(OUT)

# Older builds of the same tree, for the upgrade scenario.
OLD_VERSION := 0.0.1
PKG_DEB_OLD := $(call pkg-deb-of,$(OLD_VERSION))
PKG_RPM_OLD := $(call pkg-rpm-of,$(OLD_VERSION))
OLD_PACKAGE_ARGS := --old-package $(PKG_DEB_OLD) --old-package $(PKG_RPM_OLD)
.PHONY: deb-old rpm-old packages-old
deb-old:
	$(MAKE) --no-print-directory deb PKG_VERSION=$(OLD_VERSION)
rpm-old:
	$(MAKE) --no-print-directory rpm PKG_VERSION=$(OLD_VERSION)
packages-old: deb-old rpm-old

# Boot-to-verdict of one image (IMAGE, default $(DEFAULT_IMAGE)): the
# harness's boot, the plain boot and the floor (busybox as init),
# alternating. An image this machine cannot build is skipped.
BENCH_RUNS ?= 5
.PHONY: bench
bench: portcheck image-deps
	$(HARNESS_BUILD)/portcheck bench --image $(IMAGE) --runs $(BENCH_RUNS) --out $(OUT)/bench

clean:
	rm -rf $(OUT) harness/build

# Under the cache lock (no build is running), never crossing a mount.
clean-images:
	vm-images/build-image --clean
