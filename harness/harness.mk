# The harness: portcheck (host side) and portcheck-agent (static, runs in
# the guest). C11, warnings are errors.

HARNESS_BUILD := harness/build
HARNESS_DEPS  := gcc make libjansson-dev libcmocka-dev pkg-config qemu-system-x86 qemu-utils e2fsprogs \
                 dpkg-dev rpm coreutils
CC      ?= cc
CFLAGS_COMMON := -std=c11 -Wall -Wextra -Werror -Wshadow -Wformat=2 -g
CFLAGS_HARNESS ?= -O2
PORTCHECK_SRC := $(filter-out harness/src/main.c,$(wildcard harness/src/*.c))
AGENT_SRC     := $(wildcard harness/guest/*.c)
HARNESS_HDR   := $(wildcard harness/src/*.h harness/guest/*.h)
VERSION_DEF    = -DPORTCHECK_VERSION='"$(VERSION)"'

.PHONY: portcheck harness-deps
portcheck: $(HARNESS_BUILD)/portcheck $(HARNESS_BUILD)/portcheck-agent

harness-deps:
	@$(ENSURE) $(HARNESS_DEPS)

$(HARNESS_BUILD)/portcheck: $(PORTCHECK_SRC) harness/src/main.c $(HARNESS_HDR) | harness-deps
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_COMMON) $(CFLAGS_HARNESS) $(VERSION_DEF) -o $@ $(PORTCHECK_SRC) harness/src/main.c -ljansson

# Static: the same binary runs on every guest, whatever its libc.
$(HARNESS_BUILD)/portcheck-agent: $(AGENT_SRC) $(HARNESS_HDR) | harness-deps
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_COMMON) -O2 -static -o $@ $(AGENT_SRC) -ljansson
