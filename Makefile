# i2cperipheral for MicroPython: build, test and demo entry points.
#   make            host library + every native module whose toolchain is installed
#   make host       the engine + glue + sim port as a shared library for CPython (ctypes)
#   make test       the whole test suite (what CI runs)
#   make demo       the API example against the simulated bus
PYTHON ?= python3
HOST_CC ?= gcc
HOST_CFLAGS ?= -std=c99 -Wall -Wextra -pedantic -Werror -O1 -g -fPIC
ENGINE_SRC := natmod/engine/i2ct_engine.c natmod/i2ct_glue.c
ENGINE_HDR := natmod/engine/i2ct_engine.h natmod/i2ct_glue.h
SIM_SRC := ports/sim/sim_port.c
SIM_HDR := ports/sim/sim_port.h

.PHONY: all host test demo clean
all: host
host: build/host/libi2ct_sim.so

build/host/libi2ct_sim.so: $(ENGINE_SRC) $(SIM_SRC) $(ENGINE_HDR) $(SIM_HDR)
	@mkdir -p $(@D)
	$(HOST_CC) $(HOST_CFLAGS) -shared -Inatmod -o $@ $(ENGINE_SRC) $(SIM_SRC)

test: all
	$(PYTHON) -m pytest -q tests

demo: host
	$(PYTHON) examples/demo.py

clean:
	rm -rf build dist

-include natmod/natmod.mk
-include mk/reliability.mk
-include mk/packaging.mk
-include mk/bench.mk
