# Fault-injection suite (make faults) and the fuzzer (make fuzz).
.PHONY: faults fuzz
