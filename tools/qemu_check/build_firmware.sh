#!/bin/sh
# Build upstream mpy-cross and the qemu port firmware for the boards the
# .mpy checks use.  Not part of CI.
#
#   tools/qemu_check/build_firmware.sh /tmp/mpbuild-qemu [BOARD ...]
#
# The argument is a writable copy of an upstream MicroPython tree (e.g.
# `cp -a /tmp/mpsrc /tmp/mpbuild-qemu`); nothing of it is copied here.
# Per board two builds: build-<BOARD> (the port's default 140 KB heap) and
# build-<BOARD>-heap1M (MICROPY_HEAP_SIZE=1048576, for the API scenarios).
#
# Deviations from a plain `make BOARD=...`, all through documented make
# variables, none in the upstream files:
# - FROZEN_MANIFEST= : the default manifest requires unittest from
#   lib/micropython-lib, a submodule that is empty in a plain clone; the
#   checks need no frozen code.
# - VIRT_RV32 only, LIBS=<rv32imac/ilp32 libgcc.a>: the port asks the compiler
#   for -march=rv32imac_zicsr's libgcc; Debian 12's riscv64-unknown-elf-gcc
#   12.2 has no multilib for that spelling and answers with the rv64 default
#   libgcc.a, which the 32-bit link rejects.
# - VIRT_RV32 needs a C library's headers: apt-get install picolibc-riscv64-unknown-elf
set -eu
MP=${1:?usage: build_firmware.sh UPSTREAM_MICROPYTHON_TREE [BOARD ...]}
shift
BOARDS=${*:-MPS2_AN385 MPS2_AN500 VIRT_RV32}
JOBS=${JOBS:-2}
test -f "$MP/ports/qemu/Makefile" || { echo "not a MicroPython tree: $MP" >&2; exit 1; }

echo "upstream commit: $(git -C "$MP" rev-parse HEAD 2>/dev/null || echo unknown)"
make -s -C "$MP/mpy-cross" -j"$JOBS"

for b in $BOARDS; do
    extra=""
    if [ "$b" = VIRT_RV32 ]; then
        if ! riscv64-unknown-elf-gcc --print-file-name=picolibc.specs | grep -q /; then
            echo "VIRT_RV32: no picolibc (apt-get install picolibc-riscv64-unknown-elf)" >&2
            exit 1
        fi
        lib=$(riscv64-unknown-elf-gcc -march=rv32imac -mabi=ilp32 -print-libgcc-file-name)
        extra="LIBS=$lib"
    fi
    for variant in default heap1M; do
        if [ $variant = default ]; then
            build=build-$b; heap=""
        else
            build=build-$b-heap1M; heap="MICROPY_HEAP_SIZE=1048576"
        fi
        echo "== $b ($variant) -> $MP/ports/qemu/$build/firmware.elf"
        make -s -C "$MP/ports/qemu" -j"$JOBS" BOARD="$b" BUILD="$build" FROZEN_MANIFEST= $extra $heap \
            > "$MP/ports/qemu/$build.log" 2>&1 || { tail -20 "$MP/ports/qemu/$build.log" >&2; exit 1; }
        tail -2 "$MP/ports/qemu/$build.log"
    done
done
