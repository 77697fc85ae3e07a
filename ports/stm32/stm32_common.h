/*
 * What the two STM32 I2C drivers share: register access, the chip table
 * (pins, instances, clocks, interrupt lines), installing an instance's two
 * interrupt lines (over ports/cortexm), GPIO alternate-function claim /
 * restore, clock rates and the microsecond clock.  Everything is reached through fixed addresses, so the objects work
 * inside a native .mpy (no firmware symbols).
 *
 * Build with exactly one family define: I2CT_STM32F4 (I2C v1), I2CT_STM32F7
 * or I2CT_STM32L4 (I2C v2).
 */
#ifndef I2CT_STM32_COMMON_H
#define I2CT_STM32_COMMON_H

#include <stdint.h>
#include <stdbool.h>

#include "../cortexm/cortexm_irq.h"

#define REG32(a) (*(volatile uint32_t *)(uintptr_t)(a))

/* One row of a family's pin table: pin (port * 32 + number, PB6 = 38) can be
 * SCL or SDA of I2C `instance` (0 = I2C1) with alternate function `af`. */
#define STM32_ROLE_SCL 0u
#define STM32_ROLE_SDA 1u
typedef struct {
    uint8_t pin;
    uint8_t instance;
    uint8_t role;
    uint8_t af;
} stm32_pin_af_t;

/* One I2C instance of a family. */
typedef struct {
    uint32_t base;
    uint8_t enr_bit;        /* bit in the APB1 enable register */
    uint8_t irq_event;      /* v1: event line; v2: event line */
    uint8_t irq_error;
} stm32_i2c_instance_t;

#if defined(I2CT_STM32F4)
#include "stm32f4_chip.h"
#elif defined(I2CT_STM32F7)
#include "stm32f7_chip.h"
#elif defined(I2CT_STM32L4)
#include "stm32l4_chip.h"
#else
#error "define I2CT_STM32F4, I2CT_STM32F7 or I2CT_STM32L4"
#endif

/* Cortex-M system registers (same on M4 and M7). */
#define SCB_DEMCR       0xE000EDFCu
#define DEMCR_TRCENA    (1u << 24)
#define SYST_CSR        0xE000E010u
#define SYST_RVR        0xE000E014u
#define SYST_CSR_CLKSOURCE (1u << 2)
#define DWT_CTRL        0xE0001000u
#define DWT_CYCCNT      0xE0001004u
#define DWT_LAR         0xE0001FB0u
#define DWT_LAR_KEY     0xC5ACCE55u
#define DWT_CTRL_CYCCNTENA 1u

/* GPIO register offsets (every STM32 family). */
#define GPIO_MODER   0x00u
#define GPIO_OTYPER  0x04u
#define GPIO_PUPDR   0x0Cu
#define GPIO_AFRL    0x20u
#define GPIO_MODE_AF 2u
#define GPIO_PULL_UP 1u

/* Both I2C generations: CR1 at offset 0, PE (peripheral enable) bit 0. */
#define STM32_I2C_CR1       0x00u
#define STM32_I2C_CR1_PE    (1u << 0)

/* NVIC priority of our lines: the upper nibble is what the 4 implemented
 * bits keep; mid-range, below SysTick and the firmware's USB. */
#define STM32_IRQ_PRIORITY 0x80u

typedef struct {
    uint8_t pin;
    uint8_t moder, otype, pupd, af;   /* previous settings, restored on close */
} stm32_pin_saved_t;

/* What an open target holds of the chip, the same for both I2C blocks: an
 * instance, its bus clock, two pins and two interrupt lines. */
typedef struct {
    const stm32_i2c_instance_t *inst;
    uint8_t index;                  /* instance number, 0 = I2C1 */
    uint8_t clock_was_on;
    uint8_t pins[2];                /* scl, sda */
    uint8_t afs[2];
    stm32_pin_saved_t saved_pins[2];
    uint32_t saved_vectors[2];
} stm32_i2c_hw_t;

/* A driver's open calls these in this order, returning the first error:
 *   select:  the instance whose SCL and SDA reach the two pins, or
 *            I2CT_PORT_EPIN;
 *   power:   I2CT_PORT_EBUSY if another target or machine.I2C (clock on,
 *            PE set) has the instance, else its bus clock on and the
 *            microsecond clock started;
 *   connect: once the driver configured the block, the pins to it and its
 *            event and error lines to `handler`.
 * Its close stops the block, then calls release: everything back as found. */
int stm32_hw_select(stm32_i2c_hw_t *hw, int scl, int sda);
int stm32_hw_power(stm32_i2c_hw_t *hw);
void stm32_hw_connect(stm32_i2c_hw_t *hw, cortexm_handler_t handler);
void stm32_hw_release(stm32_i2c_hw_t *hw);

/* Clock rates derived from what the firmware configured: HCLK from SysTick
 * (MicroPython programs it for 1 kHz) and APB1 from the RCC prescaler. */
uint32_t stm32_hclk_hz(void);
uint32_t stm32_apb1_hz(void);

/* Microseconds from the DWT cycle counter (wrapping, 32 bits). */
void stm32_time_start(void);
uint32_t stm32_now_us(void);

#endif
