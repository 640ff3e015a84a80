# make check: every test, ending in one line `N passed, N failed`.
#   unit   cmocka tests of the parser, checks and line splitting, plain and
#          under ASan/UBSan
#   bats   packages, guest agent (in a private netns), CLI; bare-root: the
#          set-up of every target from a git clone in a bare minbase bookworm;
#          upstream.bats reads trixie's and sid's images (built on first use)
#   vm     the real thing: debian-bookworm boots, baseline/install/reboot
#          pass with the package and fail with a deliberately broken one;
#          preinstalled.bats builds debian-bookworm-preinstalled (the .deb
#          baked in by mmdebstrap) and runs the preinstalled scenario there

# iproute2 and netbase: agent.bats's --exposure test brings up lo with `ip`
# and reads service names from /etc/services (a minbase root has neither).
TEST_DEPS := bats jq libcmocka-dev libxml2-utils chromium python3-yaml autopkgtest man-db groff-base perl curl \
             iproute2 netbase
UNIT_TESTS := $(patsubst harness/tests/unit/%.c,%,$(wildcard harness/tests/unit/test_*.c))
UNIT_SRC := harness/src/vm/protocol.c harness/src/vm/accel_cache.c harness/src/base/spawn.c harness/src/base/signals.c harness/src/run/checks.c harness/src/vm/channel.c harness/src/base/util.c harness/src/base/text_safe.c \
            harness/src/run/scenarios.c harness/src/run/shards.c $(wildcard harness/src/report/*.c) $(PORTCHECK_GEN)
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer

.PHONY: check check-unit check-bats check-vm test-deps unit-tests

test-deps:
	@$(ENSURE) $(TEST_DEPS)

unit-tests: $(foreach t,$(UNIT_TESTS),$(HARNESS_BUILD)/$(t) $(HARNESS_BUILD)/$(t)-asan)

$(HARNESS_BUILD)/test_%: harness/tests/unit/test_%.c $(UNIT_SRC) $(HARNESS_HDR) | harness-deps
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_COMMON) -O1 $(HARNESS_INC) -o $@ $< $(UNIT_SRC) -ljansson -lcmocka

$(HARNESS_BUILD)/test_%-asan: harness/tests/unit/test_%.c $(UNIT_SRC) $(HARNESS_HDR) | harness-deps
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_COMMON) -O1 $(SAN_FLAGS) $(HARNESS_INC) -o $@ $< $(UNIT_SRC) -ljansson -lcmocka

# Everything check needs, built first so the suites only run things.
check-prereqs: test-deps portcheck unit-tests deb deb-broken rpm packages-old image-deps faults-prereqs

FUZZ_CHECK_SECONDS ?= 30
check: check-prereqs
	FUZZ_SECONDS=$(FUZZ_CHECK_SECONDS) tests/run-suites $(foreach t,$(UNIT_TESTS),unit:$(HARNESS_BUILD)/$(t) unit:$(HARNESS_BUILD)/$(t)-asan) \
		bats:tests/layers.bats bats:tests/run-suites.bats bats:tests/packages.bats bats:harness/tests/agent/agent.bats bats:tests/cli.bats \
		bats:tests/report.bats bats:tests/host.bats bats:tests/ecosystem.bats bats:tests/recipes.bats bats:tests/upstream.bats \
		bats:tests/bare-root.bats bats:tests/vm.bats bats:tests/matrix.bats bats:tests/preinstalled.bats \
		bats:tests/faults/faults.bats bats:harness/fuzz/fuzz.bats

check-unit: test-deps unit-tests
	tests/run-suites $(foreach t,$(UNIT_TESTS),unit:$(HARNESS_BUILD)/$(t) unit:$(HARNESS_BUILD)/$(t)-asan)

check-vm: check-prereqs
	tests/run-suites bats:tests/vm.bats
