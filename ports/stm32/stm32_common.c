/*
 * Shared STM32 services for the I2C v1 and v2 drivers (see stm32_common.h).
 */
#include "../../natmod/i2ct_glue.h"
#include "stm32_common.h"

static const stm32_i2c_instance_t instances[STM32_I2C_COUNT] = STM32_I2C_INSTANCES;
static const stm32_pin_af_t pin_table[] = STM32_I2C_PINS;

/* Instance whose SCL and SDA reach the two pins; fills their AFs; -1 if none. */
static int find_instance(int scl, int sda, uint8_t *af_scl, uint8_t *af_sda) {
    if (scl == sda) {
        return -1;
    }
    const unsigned rows = sizeof(pin_table) / sizeof(pin_table[0]);
    for (unsigned i = 0; i < rows; i++) {
        const stm32_pin_af_t *c = &pin_table[i];
        if (c->pin != scl || c->role != STM32_ROLE_SCL) {
            continue;
        }
        for (unsigned j = 0; j < rows; j++) {
            const stm32_pin_af_t *d = &pin_table[j];
            if (d->pin == sda && d->role == STM32_ROLE_SDA && d->instance == c->instance) {
                *af_scl = c->af;
                *af_sda = d->af;
                return c->instance;
            }
        }
    }
    return -1;
}

/* ---- interrupt lines ------------------------------------------------------ */
/* Room for a RAM copy of the table: MicroPython's stm32 port keeps it in
 * flash.  A table already in SRAM is patched in place. */
static uint32_t vector_space[CORTEXM_VECTOR_SPACE_WORDS(STM32_VECTOR_COUNT, STM32_VECTOR_ALIGN)];
static const cortexm_vector_layout_t vector_layout = {
    vector_space, 0x20000000u, 0x3FFFFFFFu, STM32_VECTOR_COUNT, STM32_VECTOR_ALIGN,
};

static void irqs_attach(const stm32_i2c_instance_t *inst, cortexm_handler_t handler,
    uint32_t saved[2]) {
    saved[0] = cortexm_irq_attach(&vector_layout, inst->irq_event, handler, STM32_IRQ_PRIORITY);
    saved[1] = cortexm_irq_attach(&vector_layout, inst->irq_error, handler, STM32_IRQ_PRIORITY);
}

static void irqs_detach(const stm32_i2c_instance_t *inst, const uint32_t saved[2]) {
    cortexm_irq_detach(inst->irq_event, saved[0]);
    cortexm_irq_detach(inst->irq_error, saved[1]);
}

/* ---- GPIO ------------------------------------------------------------------ */

static uint32_t gpio_base(unsigned pin) {
    return STM32_GPIO_BASE + (pin >> 5) * STM32_GPIO_STRIDE;
}

static void field_set(uint32_t addr, unsigned shift, uint32_t mask, uint32_t value) {
    REG32(addr) = (REG32(addr) & ~(mask << shift)) | ((value & mask) << shift);
}

static uint32_t field_get(uint32_t addr, unsigned shift, uint32_t mask) {
    return (REG32(addr) >> shift) & mask;
}

static void pin_claim(stm32_pin_saved_t *saved, unsigned pin, unsigned af) {
    uint32_t g = gpio_base(pin);
    unsigned n = pin & 31u;
    uint32_t afr = g + GPIO_AFRL + 4u * (n >> 3);
    REG32(STM32_RCC_GPIO_ENR) = REG32(STM32_RCC_GPIO_ENR) | (1u << (pin >> 5));
    (void)REG32(STM32_RCC_GPIO_ENR);   /* let the clock enable settle */
    saved->pin = (uint8_t)pin;
    saved->moder = (uint8_t)field_get(g + GPIO_MODER, 2u * n, 3u);
    saved->otype = (uint8_t)field_get(g + GPIO_OTYPER, n, 1u);
    saved->pupd = (uint8_t)field_get(g + GPIO_PUPDR, 2u * n, 3u);
    saved->af = (uint8_t)field_get(afr, 4u * (n & 7u), 0xFu);
    /* Function, open drain and pull-up first, the mode switch last, so the
     * pin never drives the bus. */
    field_set(afr, 4u * (n & 7u), 0xFu, af);
    field_set(g + GPIO_OTYPER, n, 1u, 1u);
    field_set(g + GPIO_PUPDR, 2u * n, 3u, GPIO_PULL_UP);
    field_set(g + GPIO_MODER, 2u * n, 3u, GPIO_MODE_AF);
}

static void pin_restore(const stm32_pin_saved_t *saved) {
    uint32_t g = gpio_base(saved->pin);
    unsigned n = saved->pin & 31u;
    field_set(g + GPIO_MODER, 2u * n, 3u, saved->moder);
    field_set(g + GPIO_PUPDR, 2u * n, 3u, saved->pupd);
    field_set(g + GPIO_OTYPER, n, 1u, saved->otype);
    field_set(g + GPIO_AFRL + 4u * (n >> 3), 4u * (n & 7u), 0xFu, saved->af);
}

/* ---- clocks ------------------------------------------------------------------ */

static bool apb1_is_on(unsigned enr_bit) {
    return (REG32(STM32_RCC_APB1ENR) >> enr_bit) & 1u;
}

static bool apb1_enable(unsigned enr_bit) {
    bool was_on = apb1_is_on(enr_bit);
    REG32(STM32_RCC_APB1ENR) = REG32(STM32_RCC_APB1ENR) | (1u << enr_bit);
    (void)REG32(STM32_RCC_APB1ENR);
    return was_on;
}

static void apb1_disable(unsigned enr_bit) {
    REG32(STM32_RCC_APB1ENR) = REG32(STM32_RCC_APB1ENR) & ~(1u << enr_bit);
}

uint32_t stm32_hclk_hz(void) {
    uint32_t per_ms = (REG32(SYST_RVR) & 0xFFFFFFu) + 1u;
    if (!(REG32(SYST_CSR) & SYST_CSR_CLKSOURCE)) {
        per_ms *= 8u;   /* SysTick on HCLK / 8 */
    }
    return per_ms * 1000u;
}

uint32_t stm32_apb1_hz(void) {
    uint32_t ppre = (REG32(STM32_RCC_CFGR) >> STM32_PPRE1_SHIFT) & 7u;
    uint32_t hz = stm32_hclk_hz();
    /* 0xx: not divided; 100..111: divided by 2, 4, 8, 16. */
    return (ppre & 4u) ? hz >> ((ppre & 3u) + 1u) : hz;
}

/* ---- time ------------------------------------------------------------------------ */
/* The cycle counter wraps every 2^32 cycles (20 s at 216 MHz); microseconds
 * are accumulated from the cycles between two reads, so a read at least that
 * often (every hold start and every service call does one) keeps the count
 * right. */
static uint32_t cycles_per_us;
static uint32_t last_cycles;
static uint32_t us_total;

void stm32_time_start(void) {
    REG32(SCB_DEMCR) = REG32(SCB_DEMCR) | DEMCR_TRCENA;
    REG32(DWT_LAR) = DWT_LAR_KEY;            /* Cortex-M7 locks the DWT */
    REG32(DWT_CTRL) = REG32(DWT_CTRL) | DWT_CTRL_CYCCNTENA;
    uint32_t mhz = stm32_hclk_hz() / 1000000u;
    cycles_per_us = mhz ? mhz : 1u;
    last_cycles = REG32(DWT_CYCCNT);
}

uint32_t stm32_now_us(void) {
    if (!cycles_per_us) {
        stm32_time_start();
    }
    uint32_t now = REG32(DWT_CYCCNT);
    uint32_t delta = now - last_cycles;
    uint32_t whole = delta / cycles_per_us;
    us_total += whole;
    last_cycles += whole * cycles_per_us;
    return us_total;
}

/* ---- a target's share of the chip ---------------------------------------------- */

static uint8_t instances_open;      /* bit n: an open target has instance n */

int stm32_hw_select(stm32_i2c_hw_t *hw, int scl, int sda) {
    if (scl < 0 || scl > 255 || sda < 0 || sda > 255) {
        return I2CT_PORT_EPIN;
    }
    int n = find_instance(scl, sda, &hw->afs[0], &hw->afs[1]);
    if (n < 0) {
        return I2CT_PORT_EPIN;
    }
    hw->inst = &instances[n];
    hw->index = (uint8_t)n;
    hw->pins[0] = (uint8_t)scl;
    hw->pins[1] = (uint8_t)sda;
    return 0;
}

int stm32_hw_power(stm32_i2c_hw_t *hw) {
    const stm32_i2c_instance_t *inst = hw->inst;
    if (instances_open & (1u << hw->index)) {
        return I2CT_PORT_EBUSY;
    }
    /* With its clock off the block cannot be running; with it on and PE
     * set, machine.I2C / pyb.I2C / machine.I2CTarget owns it. */
    if (apb1_is_on(inst->enr_bit) && (REG32(inst->base + STM32_I2C_CR1) & STM32_I2C_CR1_PE)) {
        return I2CT_PORT_EBUSY;
    }
    instances_open |= (uint8_t)(1u << hw->index);
    hw->clock_was_on = apb1_enable(inst->enr_bit);
    stm32_time_start();
    return 0;
}

void stm32_hw_connect(stm32_i2c_hw_t *hw, cortexm_handler_t handler) {
    pin_claim(&hw->saved_pins[0], hw->pins[0], hw->afs[0]);
    pin_claim(&hw->saved_pins[1], hw->pins[1], hw->afs[1]);
    irqs_attach(hw->inst, handler, hw->saved_vectors);
}

void stm32_hw_release(stm32_i2c_hw_t *hw) {
    irqs_detach(hw->inst, hw->saved_vectors);
    pin_restore(&hw->saved_pins[1]);
    pin_restore(&hw->saved_pins[0]);
    if (!hw->clock_was_on) {
        apb1_disable(hw->inst->enr_bit);
    }
    instances_open &= (uint8_t)~(1u << hw->index);
}
