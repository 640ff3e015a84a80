# The harness: portcheck (host side) and portcheck-agent (static, runs in
# the guest). C11, warnings are errors.
#
# harness/src is split by layer; a file may include its own folder and the
# layers below it, never one beside or above it (harness/check-layers):
#   common   constants the host and the guest share (harness/common)
#   base     util, spawn, signals, progress
#   probe    reading a machine's sysctl.d and binds (portcheck host)
#   vm       one qemu process, the guest channel and its protocol
#   report   the writers, from report.json
#   run      images, packages, scenarios, the engine and the unit pool
#   cli      argument parsing and the subcommands

HARNESS_BUILD := harness/build
HARNESS_DEPS  := gcc libc6-dev make libjansson-dev libcmocka-dev pkg-config qemu-system-x86 qemu-utils e2fsprogs \
                 dpkg-dev rpm coreutils
CC      ?= cc
CFLAGS_COMMON := -std=c11 -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wunused-macros -g
CFLAGS_HARNESS ?= -O2
HARNESS_LAYERS := base probe vm report run cli
HARNESS_INC   := -Iharness/src -Iharness
PORTCHECK_SRC := $(filter-out harness/src/cli/main.c,$(foreach l,$(HARNESS_LAYERS),$(wildcard harness/src/$(l)/*.c)))
PORTCHECK_MAIN := harness/src/cli/main.c
# The upstream patches, as C arrays (report/upstream_patches.h): the drafts quote them.
UPSTREAM_PATCHES := packaging/upstream/systemd-50-default.patch packaging/upstream/linux-sysctl-defaults.patch
PORTCHECK_GEN := $(HARNESS_BUILD)/gen/upstream_patches.c
PORTCHECK_SRC += $(PORTCHECK_GEN)
AGENT_SRC     := $(wildcard harness/guest/*.c)
HARNESS_HDR   := $(foreach l,$(HARNESS_LAYERS),$(wildcard harness/src/$(l)/*.h)) \
                 $(wildcard harness/guest/*.h harness/common/*.h)
VERSION_DEF    = -DPORTCHECK_VERSION='"$(VERSION)"'

.PHONY: portcheck harness-deps check-layers
portcheck: $(HARNESS_BUILD)/portcheck $(HARNESS_BUILD)/portcheck-agent

harness-deps:
	@$(ENSURE) $(HARNESS_DEPS)

check-layers:
	harness/check-layers $(HARNESS_LAYERS)

$(HARNESS_BUILD)/portcheck: $(PORTCHECK_SRC) $(PORTCHECK_MAIN) $(HARNESS_HDR) | harness-deps
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_COMMON) $(CFLAGS_HARNESS) $(HARNESS_INC) $(VERSION_DEF) -o $@ $(PORTCHECK_SRC) $(PORTCHECK_MAIN) -ljansson

$(PORTCHECK_GEN): $(UPSTREAM_PATCHES) harness/embed-text harness/src/report/upstream_patches.h
	@mkdir -p $(@D)
	harness/embed-text report/upstream_patches.h upstream_systemd_patch=$(word 1,$(UPSTREAM_PATCHES)) \
		upstream_debian_patch=$(word 2,$(UPSTREAM_PATCHES)) > $@.tmp
	mv $@.tmp $@

# Static: the same binary runs on every guest, whatever its libc.
$(HARNESS_BUILD)/portcheck-agent: $(AGENT_SRC) $(HARNESS_HDR) | harness-deps
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_COMMON) -O2 -Iharness -static -o $@ $(AGENT_SRC) -ljansson
