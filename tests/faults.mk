# Fault-injection suite (make faults) and the fuzzer (make fuzz).
#   faults        tests/faults/faults.bats through tests/faults/run-faults: TAP,
#                 then one line `faults: N injected, N survived, N bad inputs
#                 rejected, N crashes, N host changes, N leftover processes`
#   fuzz          harness/fuzz/fuzz_guest_line for FUZZ_SECONDS (default 600)
#   check-faults  both through tests/run-suites (the fuzzer for
#                 FUZZ_CHECK_SECONDS, default 30), for make check
# Needs what check-prereqs builds, plus the fake guest agent, the host-side
# verdict tool, portcheck under ASan/UBSan and the fuzzer (faults-prereqs).

FAULTS_BUILD := $(HARNESS_BUILD)/faults
# One fake agent per way of misbehaving (tests/faults/agents/fake-agent.c).
FAKE_MODES   := silent overlong nul badutf8 claimpass root capeff noproof perfect
FAULTS_TOOLS := $(FAULTS_BUILD)/fake-agent $(FAKE_MODES:%=$(FAULTS_BUILD)/fake-agent-%) \
                $(FAULTS_BUILD)/verdict $(FAULTS_BUILD)/portcheck-asan
FUZZ_BIN     := $(HARNESS_BUILD)/fuzz_guest_line
FUZZ_CC      ?= clang-14
FUZZ_SECONDS ?= 600
FUZZ_CHECK_SECONDS ?= 30
FAULTS_DEPS  := util-linux clang-14 libclang-rt-14-dev

.PHONY: faults fuzz check-faults faults-prereqs faults-deps

faults-deps:
	@$(ENSURE) $(FAULTS_DEPS)

faults-prereqs: test-deps faults-deps portcheck deb deb-broken rpm image-deps $(FAULTS_TOOLS) $(FUZZ_BIN)

# Static, like the real agent: it runs in the guest from the payload disk.
# fake-agent takes its mode as an argument (on the host, stdin/stdout).
$(FAULTS_BUILD)/fake-agent: tests/faults/agents/fake-agent.c | harness-deps
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_COMMON) -O2 -static -o $@ $<

$(FAULTS_BUILD)/fake-agent-%: tests/faults/agents/fake-agent.c | harness-deps
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_COMMON) -O2 -static -DFAKE_MODE='"$*"' -o $@ $<

$(FAULTS_BUILD)/verdict: tests/faults/verdict.c $(UNIT_SRC) $(HARNESS_HDR) | harness-deps
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_COMMON) -O1 $(SAN_FLAGS) $(HARNESS_INC) -o $@ $< $(UNIT_SRC) -ljansson

$(FAULTS_BUILD)/portcheck-asan: $(PORTCHECK_SRC) $(PORTCHECK_MAIN) $(HARNESS_HDR) | harness-deps
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_COMMON) -O1 $(SAN_FLAGS) $(HARNESS_INC) $(VERSION_DEF) -o $@ $(PORTCHECK_SRC) $(PORTCHECK_MAIN) -ljansson

$(FUZZ_BIN): harness/fuzz/fuzz_guest_line.c $(UNIT_SRC) $(HARNESS_HDR) | faults-deps harness-deps
	@mkdir -p $(@D)
	$(FUZZ_CC) -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all $(HARNESS_INC) \
		-o $@ $< $(UNIT_SRC) -ljansson

faults: faults-prereqs
	tests/faults/run-faults

fuzz: $(FUZZ_BIN)
	harness/fuzz/run-fuzz $(FUZZ_SECONDS)

check-faults: faults-prereqs
	FUZZ_SECONDS=$(FUZZ_CHECK_SECONDS) tests/run-suites bats:tests/faults/faults.bats bats:harness/fuzz/fuzz.bats
