# natmod/ as a MicroPython user C module (make-based ports: unix, samd, stm32, qemu):
# the module `_i2ct` built into the firmware from the same engine, glue and
# chip driver sources as the .mpy, with natmod/usermod_glue.c as the binding.
#
#   make -C ports/samd BOARD=... USER_C_MODULES=/path/to/repo/natmod
#   (MicroPython versions that only look one directory down: USER_C_MODULES=/path/to/repo)
#
# The driver follows the port being built (MCU_SERIES of samd and stm32
# boards; the unix port gets the simulated bus); I2CT_PORT=<name> overrides:
# sim, samd51, samd21, stm32f4, stm32f7, stm32l4, null (drives nothing).

I2CT_DIR := $(USERMOD_DIR)
I2CT_ROOT := $(abspath $(I2CT_DIR)/..)
I2CT_BUILD_PORT := $(notdir $(abspath $(CURDIR)))

ifeq ($(I2CT_PORT),)
ifeq ($(I2CT_BUILD_PORT),unix)
I2CT_PORT := sim
else ifeq ($(MCU_SERIES),SAMD51)
I2CT_PORT := samd51
else ifeq ($(MCU_SERIES),SAMD21)
I2CT_PORT := samd21
else ifneq ($(filter f4 f7 l4,$(MCU_SERIES)),)
I2CT_PORT := stm32$(MCU_SERIES)
else
$(error i2cperipheral: no I2C target driver for port '$(I2CT_BUILD_PORT)' MCU_SERIES '$(MCU_SERIES)'; set I2CT_PORT=sim|samd51|samd21|stm32f4|stm32f7|stm32l4|null)
endif
endif

I2CT_SRC_sim := ports/sim/sim_port.c
I2CT_DEF_sim := -DI2CT_WITH_SIM
I2CT_SRC_samd51 := ports/samd/samd_i2ct.c ports/cortexm/cortexm_irq.c
I2CT_DEF_samd51 := -DI2CT_SAMD51
I2CT_SRC_samd21 := ports/samd/samd_i2ct.c ports/cortexm/cortexm_irq.c
I2CT_DEF_samd21 := -DI2CT_SAMD21
I2CT_SRC_stm32f4 := ports/stm32/stm32_common.c ports/stm32/stm32_i2c_v1.c ports/cortexm/cortexm_irq.c
I2CT_DEF_stm32f4 := -DI2CT_STM32F4
I2CT_SRC_stm32f7 := ports/stm32/stm32_common.c ports/stm32/stm32_i2c_v2.c ports/cortexm/cortexm_irq.c
I2CT_DEF_stm32f7 := -DI2CT_STM32F7
I2CT_SRC_stm32l4 := ports/stm32/stm32_common.c ports/stm32/stm32_i2c_v2.c ports/cortexm/cortexm_irq.c
I2CT_DEF_stm32l4 := -DI2CT_STM32L4
I2CT_SRC_null := tests/natmod_fixtures/null_port.c
I2CT_DEF_null :=

ifeq ($(origin I2CT_SRC_$(I2CT_PORT)),undefined)
$(error i2cperipheral: unknown I2CT_PORT '$(I2CT_PORT)'; one of sim samd51 samd21 stm32f4 stm32f7 stm32l4 null)
endif

SRC_USERMOD_C += $(I2CT_DIR)/usermod_glue.c $(I2CT_DIR)/i2ct_glue.c $(I2CT_DIR)/engine/i2ct_engine.c \
	$(addprefix $(I2CT_ROOT)/,$(I2CT_SRC_$(I2CT_PORT)))
CFLAGS_USERMOD += -I$(I2CT_DIR) $(I2CT_DEF_$(I2CT_PORT))
