# Reliability builds (see RELIABILITY.md).
#   make asan-host      the host library with AddressSanitizer + UBSan (build/asan/)
#   make fuzz-engine    the native fuzz driver over the sanitizer build
#   make fuzz-long      1e7 events per seed, 4 seeds (the figure in RELIABILITY.md)
#   make reliability    the reliability tests against the sanitizer build
ASAN_FLAGS := -std=c99 -Wall -Wextra -O1 -g -fno-omit-frame-pointer \
	-fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_EVENTS ?= 10000000
FUZZ_SEEDS ?= 1 2 3 4

.PHONY: asan-host fuzz-engine fuzz-long reliability
asan-host: build/asan/libi2ct_sim.so
fuzz-engine: build/asan/fuzz_engine

build/asan/libi2ct_sim.so: $(ENGINE_SRC) $(SIM_SRC) $(ENGINE_HDR) $(SIM_HDR)
	@mkdir -p $(@D)
	$(HOST_CC) $(ASAN_FLAGS) -fPIC -shared -Inatmod -o $@ $(ENGINE_SRC) $(SIM_SRC)

build/asan/fuzz_engine: fuzz/fuzz_engine.c $(ENGINE_SRC) $(SIM_SRC) $(ENGINE_HDR) $(SIM_HDR)
	@mkdir -p $(@D)
	$(HOST_CC) $(ASAN_FLAGS) -Inatmod -o $@ fuzz/fuzz_engine.c $(ENGINE_SRC) $(SIM_SRC)

fuzz-long: build/asan/fuzz_engine
	@for s in $(FUZZ_SEEDS); do ./build/asan/fuzz_engine $(FUZZ_EVENTS) $$s || exit 1; done

reliability: asan-host fuzz-engine
	$(PYTHON) -m pytest -q tests/test_reliability_sanitizer.py
