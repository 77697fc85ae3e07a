# Native modules (.mpy 6.3), linked by our own tools/mpytool.
# Included by the top-level Makefile.
#
#   make natmod         every module whose port exists and whose compiler is installed
#   make natmod-x64     dist/x64_6.3/i2ct_sim.mpy only (the unix port, sim port inside)
#   make natmod-ARCH    the modules of one architecture (fails if its compiler is missing)
#
# Output: dist/<arch>_6.3/i2ct_<port>.mpy.  Architectures without a chip port
# yet get i2ct_null.mpy (engine + glue + a port that drives nothing), only to
# check the toolchain end to end.

PYTHON ?= python3
NATMOD_MPY_VERSION := 6.3
NATMOD_BUILD := build/natmod
NATMOD_DIST := dist
MPYTOOL := $(PYTHON) -m tools.mpytool

NATMOD_CFLAGS := -std=c99 -Os -Wall -Wextra -fno-common -ffunction-sections -fdata-sections \
	-ffreestanding -nostdlib -fno-asynchronous-unwind-tables -fno-unwind-tables \
	-fno-stack-protector -fno-tree-loop-distribute-patterns -fno-ident -Inatmod -I. -MMD -MP

# Per architecture: compiler, flags, libgcc, linker options.
# ARM: no PIC; absolute addresses sit in literal pools and are relocated at
# load time (-mword-relocations keeps them out of movw/movt pairs).
# x64 and RISC-V: PIC; static variables are reached PC-relative, so their
# .bss is placed inside the (writable) text with --bss-in-text.
NATMOD_CC_x64 := gcc
NATMOD_ARCH_CFLAGS_x64 := -fpic -fcf-protection=none
NATMOD_LDFLAGS_x64 := --bss-in-text
NATMOD_PKG_x64 := gcc

NATMOD_ARM_CFLAGS := -mthumb -fno-pic -mword-relocations
NATMOD_CC_armv6m := arm-none-eabi-gcc
NATMOD_ARCH_CFLAGS_armv6m := $(NATMOD_ARM_CFLAGS) -mcpu=cortex-m0plus -mfloat-abi=soft
NATMOD_PKG_armv6m := gcc-arm-none-eabi
NATMOD_CC_armv7m := arm-none-eabi-gcc
NATMOD_ARCH_CFLAGS_armv7m := $(NATMOD_ARM_CFLAGS) -mcpu=cortex-m3 -mfloat-abi=soft
NATMOD_PKG_armv7m := gcc-arm-none-eabi
NATMOD_CC_armv7emsp := arm-none-eabi-gcc
NATMOD_ARCH_CFLAGS_armv7emsp := $(NATMOD_ARM_CFLAGS) -mcpu=cortex-m4 -mfloat-abi=hard -mfpu=fpv4-sp-d16
NATMOD_PKG_armv7emsp := gcc-arm-none-eabi
NATMOD_CC_armv7emdp := arm-none-eabi-gcc
NATMOD_ARCH_CFLAGS_armv7emdp := $(NATMOD_ARM_CFLAGS) -mcpu=cortex-m7 -mfloat-abi=hard -mfpu=fpv5-d16
NATMOD_PKG_armv7emdp := gcc-arm-none-eabi

NATMOD_CC_rv32imc := riscv64-unknown-elf-gcc
NATMOD_ARCH_CFLAGS_rv32imc := -march=rv32imc -mabi=ilp32 -fpic -mno-relax -msmall-data-limit=0
NATMOD_LDFLAGS_rv32imc := --bss-in-text
NATMOD_PKG_rv32imc := gcc-riscv64-unknown-elf

NATMOD_ARCHES := x64 armv6m armv7m armv7emsp armv7emdp rv32imc

# libgcc of the exact multilib (e.g. __aeabi_uidiv on armv6m); empty for x64.
natmod_libgcc = $(if $(filter x64,$(1)),,$(shell $(NATMOD_CC_$(1)) $(NATMOD_ARCH_CFLAGS_$(1)) -print-libgcc-file-name 2>/dev/null))
natmod_have_cc = $(shell command -v $(NATMOD_CC_$(1)) 2>/dev/null)

NATMOD_CORE_SRC := natmod/engine/i2ct_engine.c natmod/i2ct_glue.c natmod/mpy_module.c natmod/abi/i2ct_mpy_mem.c

# ---- modules: arch, port name, port sources, port defines ------------------------
# Each module is compiled as one translation unit: a generated file that
# #includes every source, built with -fwhole-program (only mpy_init, marked
# externally_visible, stays global).  The compiler then sees the whole
# module: the glue's one-line functions and single-caller engine functions
# inline, unused code goes.  Measured against one object per source:
# ~1000 bytes less per chip module, and 8-15 % fewer ISR instructions per
# byte.  (LTO with `gcc -flto -r` saved only ~200 bytes: a relocatable link
# keeps every global symbol.)  Sources therefore must not define two file-
# static names alike; the compiler says so if they do.
NATMOD_MODULES :=
NATMOD_UNITY_FLAGS := -fwhole-program

# $(1)=arch $(2)=port name $(3)=port sources $(4)=defines
define NATMOD_MODULE
NATMOD_MODULES += $(1)/$(2)
NATMOD_MPY_$(1)_$(2) := $(NATMOD_DIST)/$(1)_$(NATMOD_MPY_VERSION)/i2ct_$(2).mpy
NATMOD_UNITY_$(1)_$(2) := $(NATMOD_BUILD)/$(1)/$(2)/i2ct_$(2)_module.c
NATMOD_OBJ_$(1)_$(2) := $(NATMOD_BUILD)/$(1)/$(2)/i2ct_$(2)_module.o
NATMOD_OUTPUTS_$(1) += $$(NATMOD_MPY_$(1)_$(2))

# the list of sources is the file's content: rewritten only when it changes
$$(NATMOD_UNITY_$(1)_$(2)): $(lastword $(MAKEFILE_LIST)) FORCE
	@mkdir -p $$(@D)
	@printf '#include "%s"\n' $(NATMOD_CORE_SRC) $(3) > $$@.tmp
	@if cmp -s $$@.tmp $$@; then rm $$@.tmp; else mv $$@.tmp $$@; fi

$$(NATMOD_OBJ_$(1)_$(2)): $$(NATMOD_UNITY_$(1)_$(2))
	$$(call natmod_require_cc,$(1))
	$(NATMOD_CC_$(1)) $(NATMOD_CFLAGS) $(NATMOD_UNITY_FLAGS) $(NATMOD_ARCH_CFLAGS_$(1)) $(4) -c $$< -o $$@

$$(NATMOD_MPY_$(1)_$(2)): $$(NATMOD_OBJ_$(1)_$(2)) $(wildcard tools/mpytool/*.py)
	@mkdir -p $$(@D)
	$(MPYTOOL) link --arch $(1) $(NATMOD_LDFLAGS_$(1)) --source-name i2ct_$(2).mpy \
		$$(addprefix --lib ,$$(call natmod_libgcc,$(1))) -o $$@ $$(NATMOD_OBJ_$(1)_$(2))
	@$(MPYTOOL) check $$@
	@echo "natmod: $$@ ($$$$(wc -c < $$@) bytes)"

-include $$(NATMOD_OBJ_$(1)_$(2):.o=.d)
endef

natmod_require_cc = @command -v $(NATMOD_CC_$(1)) >/dev/null 2>&1 || { \
	echo "natmod: $(1) needs $(NATMOD_CC_$(1)), which is not installed (apt-get install $(NATMOD_PKG_$(1)))" >&2; exit 1; }

# x64: the unix port, with the simulator port so the API runs inside micropython.
$(eval $(call NATMOD_MODULE,x64,sim,ports/sim/sim_port.c,-DI2CT_WITH_SIM))

ifneq ($(wildcard ports/samd/samd_i2ct.c),)
$(eval $(call NATMOD_MODULE,armv7emsp,samd51,ports/samd/samd_i2ct.c ports/cortexm/cortexm_irq.c,-DI2CT_SAMD51))
$(eval $(call NATMOD_MODULE,armv6m,samd21,ports/samd/samd_i2ct.c ports/cortexm/cortexm_irq.c,-DI2CT_SAMD21))
endif
ifneq ($(wildcard ports/rp2/rp2_i2ct.c),)
$(eval $(call NATMOD_MODULE,armv6m,rp2040,ports/rp2/rp2_i2ct.c ports/cortexm/cortexm_irq.c,-DI2CT_RP2040))
$(eval $(call NATMOD_MODULE,armv7emsp,rp2350,ports/rp2/rp2_i2ct.c ports/cortexm/cortexm_irq.c,-DI2CT_RP2350))
endif
ifneq ($(wildcard ports/stm32/stm32_i2c_v1.c),)
$(eval $(call NATMOD_MODULE,armv7emsp,stm32f4,ports/stm32/stm32_i2c_v1.c ports/stm32/stm32_common.c ports/cortexm/cortexm_irq.c,-DI2CT_STM32F4))
$(eval $(call NATMOD_MODULE,armv7emsp,stm32l4,ports/stm32/stm32_i2c_v2.c ports/stm32/stm32_common.c ports/cortexm/cortexm_irq.c,-DI2CT_STM32L4))
$(eval $(call NATMOD_MODULE,armv7emdp,stm32f7,ports/stm32/stm32_i2c_v2.c ports/stm32/stm32_common.c ports/cortexm/cortexm_irq.c,-DI2CT_STM32F7))
endif
ifneq ($(wildcard ports/esp32c3/*.c),)
$(eval $(call NATMOD_MODULE,rv32imc,esp32c3,$(wildcard ports/esp32c3/*.c),))
endif

# Architectures no port covers yet: the null port, as a toolchain check.
$(foreach a,$(NATMOD_ARCHES),$(if $(NATMOD_OUTPUTS_$(a)),,$(eval $(call NATMOD_MODULE,$(a),null,tests/natmod_fixtures/null_port.c,))))

.PHONY: natmod $(addprefix natmod-,$(NATMOD_ARCHES)) FORCE
FORCE:
$(foreach a,$(NATMOD_ARCHES),$(eval natmod-$(a): $$(NATMOD_OUTPUTS_$(a))))

# Every architecture whose compiler is installed; a clear note for the others.
NATMOD_AVAILABLE := $(foreach a,$(NATMOD_ARCHES),$(if $(call natmod_have_cc,$(a)),$(a)))
NATMOD_MISSING := $(filter-out $(NATMOD_AVAILABLE),$(NATMOD_ARCHES))
natmod: $(addprefix natmod-,$(NATMOD_AVAILABLE))
	@$(foreach a,$(NATMOD_MISSING),echo "natmod: skipped $(a): $(NATMOD_CC_$(a)) not installed (apt-get install $(NATMOD_PKG_$(a)))" >&2;)
	@true

all: natmod

# For tests that build their own objects with the same flags: prints
# "<cc> <cflags>|<mpytool link flags>|<libgcc>".
natmod-flags-%:
	@echo "$(NATMOD_CC_$*) $(filter-out -MMD -MP,$(NATMOD_CFLAGS)) $(NATMOD_ARCH_CFLAGS_$*)|$(NATMOD_LDFLAGS_$*)|$(call natmod_libgcc,$*)"
