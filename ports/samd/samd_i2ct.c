/*
 * SAMD51 / SAMD21 port: a SERCOM in I2C target mode feeding the engine.
 *
 * Build with -DI2CT_SAMD51 or -DI2CT_SAMD21.  Everything the chip needs is
 * reached through fixed register addresses, so the same object works inside
 * a native .mpy (no firmware symbols).
 *
 * Clock holding: CTRLA.SCLSM stays 0, so the SERCOM holds SCL before the ACK
 * bit of every received byte and before every byte it sends, until CTRLB.CMD
 * is written.  That is what lets the engine decide each ACK after seeing the
 * byte, and hold a byte for Python: the handler simply returns without a
 * command, masks AMATCH/DRDY (they are level interrupts) and the release
 * hooks issue the command later.
 */
#include "../../natmod/i2ct_glue.h"
#include "samd_sercom_i2cs.h"
#include "samd_pins.h"
#include "../cortexm/cortexm_irq.h"

#if defined(I2CT_SAMD51)
#include "samd51_regs.h"
#define SAMD_PORT_ID I2CT_PORT_SAMD51
#elif defined(I2CT_SAMD21)
#include "samd21_regs.h"
#define SAMD_PORT_ID I2CT_PORT_SAMD21
#endif

#define REG32(a) (*(volatile uint32_t *)(uintptr_t)(a))
#define REG16(a) (*(volatile uint16_t *)(uintptr_t)(a))
#define REG8(a)  (*(volatile uint8_t *)(uintptr_t)(a))

/* NVIC priority for our lines: below nothing that matters to MicroPython's
 * own timing (SysTick, USB), numerically the same on both cores' top bits. */
#define SAMD_IRQ_PRIORITY 0x80u

static const uint32_t sercom_bases[SAMD_SERCOM_COUNT] = SAMD_SERCOM_BASES;
static const uint8_t sercom_gclk_core[SAMD_SERCOM_COUNT] = SAMD_SERCOM_GCLK_CORE;
static const uint8_t sercom_apb_reg[SAMD_SERCOM_COUNT] = SAMD_SERCOM_APB_REG;
static const uint8_t sercom_apb_bit[SAMD_SERCOM_COUNT] = SAMD_SERCOM_APB_BIT;

typedef enum {
    HELD_NONE = 0,
    HELD_ADDRESS,   /* AMATCH pending (the engine never holds addresses today) */
    HELD_RX,        /* DRDY pending on a received byte */
    HELD_TX,        /* DRDY pending, the controller waits for a byte */
} samd_held_t;

typedef struct {
    i2ct_engine_t *engine;
    uint32_t base;
    uint32_t ctrlb;         /* AMODE bits; every CTRLB write keeps them */
    uint8_t sercom;
    uint8_t open;
    uint8_t held;           /* samd_held_t */
    uint8_t is_read;        /* direction of the addressed segment */
    uint8_t tx_first;       /* next DRDY of a read is the first after the address */
    uint8_t tx_pending;     /* a byte released while the address was held */
    uint8_t tx_pending_byte;
    uint8_t pins[2];        /* sda, scl */
    uint8_t saved_pincfg[2];
    uint8_t saved_pmux[2];
    uint8_t apb_was_on;
    uint8_t smbus;
    uint32_t saved_core_clock;
    uint32_t saved_slow_clock;
    uint32_t saved_vectors[SAMD_IRQ_LINES_PER_SERCOM];
} samd_port_t;

static samd_port_t ports[I2CT_MAX_TARGETS];

/* ---- vector table ------------------------------------------------------- */
/* Room for a RAM copy of the table, used when VTOR points into flash. */
static uint32_t vector_space[CORTEXM_VECTOR_SPACE_WORDS(SAMD_VECTOR_COUNT, SAMD_VECTOR_ALIGN)];
static const cortexm_vector_layout_t vector_layout = {
    vector_space, SAMD_FLASH_END, 0xFFFFFFFFu, SAMD_VECTOR_COUNT, SAMD_VECTOR_ALIGN,
};

/* ---- the interrupt handler ---------------------------------------------- */

static inline void i2cs_command(samd_port_t *p, uint32_t cmd, bool nack) {
    REG32(p->base + I2CS_CTRLB) = p->ctrlb | I2CS_CTRLB_CMD(cmd) | (nack ? I2CS_CTRLB_ACKACT : 0u);
}

static inline void i2cs_hold(samd_port_t *p, samd_held_t what) {
    /* AMATCH and DRDY stay set while SCL is held: mask them, or the handler
     * would be re-entered at once. */
    p->held = (uint8_t)what;
    REG8(p->base + I2CS_INTENCLR) = I2CS_INT_AMATCH | I2CS_INT_DRDY;
}

static inline void i2cs_unhold(samd_port_t *p) {
    p->held = HELD_NONE;
    REG8(p->base + I2CS_INTENSET) = I2CS_INT_AMATCH | I2CS_INT_DRDY;
}

static inline void i2cs_send(samd_port_t *p, uint8_t byte) {
    REG8(p->base + I2CS_DATA) = byte;
    i2cs_command(p, I2CS_CMD_CONTINUE, false);
}

static void samd_i2ct_irq(samd_port_t *p) {
    uint32_t base = p->base;
    i2ct_engine_t *e = p->engine;
    uint32_t flags = REG8(base + I2CS_INTFLAG) & REG8(base + I2CS_INTENSET);

    if (flags & I2CS_INT_ERROR) {
        /* Bus error, collision, SMBus low / extend timeout: the SERCOM has
         * already let go of the bus. */
        uint32_t status = REG16(base + I2CS_STATUS);
        REG16(base + I2CS_STATUS) = (uint16_t)(status & I2CS_STATUS_ERRORS);
        REG8(base + I2CS_INTFLAG) = I2CS_INT_ERROR;
        if (p->held != HELD_NONE) {
            i2cs_unhold(p);
        }
        engine_on_bus_error(e);
    }
    if (flags & I2CS_INT_PREC) {
        REG8(base + I2CS_INTFLAG) = I2CS_INT_PREC;
        engine_on_stop(e);
    }
    if (flags & I2CS_INT_AMATCH) {
        uint32_t status = REG16(base + I2CS_STATUS);
        /* With ADDRMASK in use the received address byte is in DATA. */
        uint8_t address = (uint8_t)(REG8(base + I2CS_DATA) >> 1);
        bool is_read = (status & I2CS_STATUS_DIR) != 0;
        p->is_read = is_read;
        p->tx_first = 1;
        i2ct_decision_t d = engine_on_address(e, address, is_read, (status & I2CS_STATUS_SR) != 0);
        if (d == I2CT_HOLD) {
            i2cs_hold(p, HELD_ADDRESS);
            return;
        }
        i2cs_command(p, d == I2CT_NACK ? I2CS_CMD_WAIT_START : I2CS_CMD_CONTINUE, d == I2CT_NACK);
        /* A read's first DRDY follows immediately; fall through to it only on
         * the next entry (the flag is not set yet at this point). */
        return;
    }
    if (flags & I2CS_INT_DRDY) {
        if (!p->is_read) {
            uint8_t byte = REG8(base + I2CS_DATA);
            i2ct_decision_t d = engine_on_byte_received(e, byte);
            if (d == I2CT_HOLD) {
                i2cs_hold(p, HELD_RX);
            } else if (d == I2CT_NACK) {
                i2cs_command(p, I2CS_CMD_WAIT_START, true);
            } else {
                i2cs_command(p, I2CS_CMD_CONTINUE, false);
            }
            return;
        }
        /* Controller reads.  After the first byte, DRDY also reports the
         * controller's ACK/NACK of the byte before. */
        if (!p->tx_first && (REG16(base + I2CS_STATUS) & I2CS_STATUS_RXNACK)) {
            engine_on_controller_nack(e);
            i2cs_command(p, I2CS_CMD_WAIT_START, false);
            return;
        }
        p->tx_first = 0;
        if (p->tx_pending) {
            p->tx_pending = 0;
            i2cs_send(p, p->tx_pending_byte);
            return;
        }
        uint8_t byte;
        i2ct_decision_t d = engine_on_byte_wanted(e, &byte);
        if (d == I2CT_SEND) {
            i2cs_send(p, byte);
        } else if (d == I2CT_HOLD) {
            i2cs_hold(p, HELD_TX);
        } else {
            /* A read cannot be refused: send the filler. */
            i2cs_send(p, e->filler);
        }
    }
}

CORTEXM_TARGET_HANDLERS(samd_i2ct_irq, ports);

/* ---- engine hooks ------------------------------------------------------- */

void i2ct_port_rx_release(void *port, bool ack) {
    samd_port_t *p = port;
    if (!p->open) {
        return;
    }
    if (p->held == HELD_RX || p->held == HELD_ADDRESS) {
        i2cs_command(p, ack ? I2CS_CMD_CONTINUE : I2CS_CMD_WAIT_START, !ack);
        i2cs_unhold(p);
    }
}

void i2ct_port_tx_release(void *port, uint8_t byte) {
    samd_port_t *p = port;
    if (!p->open) {
        return;
    }
    if (p->held == HELD_TX) {
        i2cs_send(p, byte);
        i2cs_unhold(p);
    } else if (p->held == HELD_ADDRESS) {
        p->tx_pending = 1;
        p->tx_pending_byte = byte;
        i2cs_command(p, I2CS_CMD_CONTINUE, false);
        i2cs_unhold(p);
    }
}

uint32_t i2ct_port_now_us(void *port) {
    (void)port;
    #if defined(I2CT_SAMD51)
    REG8(SAMD_US_TC_BASE + TC_CTRLBSET) = TC_CTRLBSET_CMD_READSYNC;
    for (unsigned spin = 0; spin < 1000u && (REG8(SAMD_US_TC_BASE + TC_CTRLBSET) & 0xE0u); spin++) {
    }
    #endif
    return REG32(SAMD_US_TC_BASE + TC_COUNT32);
}

uint32_t i2ct_port_irq_save(void *port) {
    (void)port;
    return cortexm_irq_save();
}

void i2ct_port_irq_restore(void *port, uint32_t state) {
    (void)port;
    cortexm_irq_restore(state);
}

/* ---- glue hooks --------------------------------------------------------- */

int i2ct_port_id(void) {
    return SAMD_PORT_ID;
}

void *i2ct_port_state(int t) {
    if (t < 0 || t >= I2CT_MAX_TARGETS) {
        return NULL;
    }
    return &ports[t];
}

static const samd_pin_sercom_t *pin_entry(int pin) {
    for (unsigned i = 0; i < sizeof(samd_pin_sercoms) / sizeof(samd_pin_sercoms[0]); i++) {
        if (samd_pin_sercoms[i].pin == pin) {
            return &samd_pin_sercoms[i];
        }
    }
    return NULL;
}

/* Mux (C or D) that puts `pin` on (sercom, pad), or -1. */
static int pin_mux_for(const samd_pin_sercom_t *entry, unsigned sercom, unsigned pad) {
    uint8_t want = (uint8_t)(sercom << 4 | pad);
    if (entry->mux_c == want) {
        return PORT_MUX_C;
    }
    if (entry->mux_d == want) {
        return PORT_MUX_D;
    }
    return -1;
}

/* SERCOM whose PAD0 reaches sda and PAD1 reaches scl; fills the muxes. */
static int find_sercom(int scl, int sda, int *mux_scl, int *mux_sda) {
    const samd_pin_sercom_t *es = pin_entry(scl), *ed = pin_entry(sda);
    if (!es || !ed || scl == sda) {
        return -1;
    }
    for (unsigned n = 0; n < SAMD_SERCOM_COUNT; n++) {
        int md = pin_mux_for(ed, n, 0), ms = pin_mux_for(es, n, 1);
        if (md >= 0 && ms >= 0) {
            *mux_sda = md;
            *mux_scl = ms;
            return (int)n;
        }
    }
    return -1;
}

static int ports_using(unsigned sercom, int except) {
    for (int t = 0; t < I2CT_MAX_TARGETS; t++) {
        if (t != except && ports[t].open && ports[t].sercom == sercom) {
            return 1;
        }
    }
    return 0;
}

/* Hardware address matching for the engine's list: one address exactly, two
 * with the two-address mode, more with whichever of mask or range matches
 * fewer extra addresses (the engine NACKs the extras).  0 or an EADDR. */
static int address_config(const i2ct_engine_t *e, uint32_t *addr_reg, uint32_t *amode) {
    uint8_t n = e->n_addresses;
    if (n == 0) {
        return I2CT_PORT_EADDR;
    }
    for (unsigned i = 0; i < n; i++) {
        if (e->addresses[i] > 0x7Fu) {
            return I2CT_PORT_EADDR;
        }
    }
    uint8_t first = e->addresses[0];
    if (n == 1) {
        *addr_reg = I2CS_ADDR_ADDR(first);
        *amode = I2CS_AMODE_MASK;
        return 0;
    }
    if (n == 2) {
        *addr_reg = I2CS_ADDR_ADDR(first) | I2CS_ADDR_ADDRMASK(e->addresses[1]);
        *amode = I2CS_AMODE_2_ADDRS;
        return 0;
    }
    uint8_t mask = 0, lo = first, hi = first;
    for (unsigned i = 1; i < n; i++) {
        uint8_t a = e->addresses[i];
        mask |= (uint8_t)(a ^ first);
        lo = a < lo ? a : lo;
        hi = a > hi ? a : hi;
    }
    unsigned mask_bits = 0;
    for (uint8_t m = mask; m; m >>= 1) {
        mask_bits += m & 1u;
    }
    unsigned mask_count = 1u << mask_bits, range_count = (unsigned)(hi - lo) + 1u;
    if (range_count < mask_count) {
        *addr_reg = I2CS_ADDR_ADDR(lo) | I2CS_ADDR_ADDRMASK(hi);
        *amode = I2CS_AMODE_RANGE;
    } else {
        *addr_reg = I2CS_ADDR_ADDR(first & (uint8_t)~mask) | I2CS_ADDR_ADDRMASK(mask);
        *amode = I2CS_AMODE_MASK;
    }
    return 0;
}

static uint32_t pmux_addr(unsigned pin) {
    return PORT_BASE + (pin >> 5) * PORT_GROUP_STRIDE + PORT_PMUX + ((pin & 31u) >> 1);
}

static uint32_t pincfg_addr(unsigned pin) {
    return PORT_BASE + (pin >> 5) * PORT_GROUP_STRIDE + PORT_PINCFG + (pin & 31u);
}

static void pin_claim(samd_port_t *p, unsigned i, unsigned pin, unsigned mux) {
    uint32_t pm = pmux_addr(pin), pc = pincfg_addr(pin);
    unsigned shift = (pin & 1u) ? 4u : 0u;
    uint8_t v = REG8(pm);
    p->saved_pmux[i] = (uint8_t)((v >> shift) & 0xFu);
    p->saved_pincfg[i] = REG8(pc);
    REG8(pm) = (uint8_t)((v & ~(0xFu << shift)) | (mux << shift));
    REG8(pc) = (uint8_t)(p->saved_pincfg[i] | PORT_PINCFG_PMUXEN | PORT_PINCFG_INEN);
}

static void pin_restore(samd_port_t *p, unsigned i) {
    unsigned pin = p->pins[i];
    uint32_t pm = pmux_addr(pin);
    unsigned shift = (pin & 1u) ? 4u : 0u;
    REG8(pincfg_addr(pin)) = p->saved_pincfg[i];
    REG8(pm) = (uint8_t)((REG8(pm) & ~(0xFu << shift)) | ((unsigned)p->saved_pmux[i] << shift));
}

static uint32_t apb_addr(unsigned sercom) {
    return SAMD_APB_BASE + sercom_apb_reg[sercom];
}

#if defined(I2CT_SAMD51)
static uint32_t gclk_channel_claim(unsigned id, unsigned gen) {
    uint32_t before = REG32(GCLK_PCHCTRL(id));
    if (!(before & GCLK_PCHCTRL_CHEN)) {
        REG32(GCLK_PCHCTRL(id)) = GCLK_PCHCTRL_GEN(gen) | GCLK_PCHCTRL_CHEN;
        for (unsigned spin = 0; spin < 10000u && !(REG32(GCLK_PCHCTRL(id)) & GCLK_PCHCTRL_CHEN); spin++) {
        }
    }
    return before;
}

static void gclk_channel_restore(unsigned id, uint32_t before) {
    if (!(before & GCLK_PCHCTRL_CHEN)) {
        REG32(GCLK_PCHCTRL(id)) = before;
    }
}
#else
static void gclk_sync(void) {
    for (unsigned spin = 0; spin < 10000u && (REG8(GCLK_STATUS) & GCLK_STATUS_SYNCBUSY); spin++) {
    }
}

static uint32_t gclk_channel_claim(unsigned id, unsigned gen) {
    /* Writing the ID byte selects the channel whose state CLKCTRL reads. */
    REG8(GCLK_CLKCTRL) = (uint8_t)id;
    gclk_sync();
    uint32_t before = REG16(GCLK_CLKCTRL);
    if (!(before & GCLK_CLKCTRL_CLKEN)) {
        REG16(GCLK_CLKCTRL) = (uint16_t)(GCLK_CLKCTRL_ID(id) | GCLK_CLKCTRL_GEN(gen) | GCLK_CLKCTRL_CLKEN);
        gclk_sync();
    }
    return before;
}

static void gclk_channel_restore(unsigned id, uint32_t before) {
    if (!(before & GCLK_CLKCTRL_CLKEN)) {
        REG16(GCLK_CLKCTRL) = (uint16_t)(GCLK_CLKCTRL_ID(id) | (before & 0x0F00u));
        gclk_sync();
    }
}
#endif

static void sercom_sync(uint32_t base, uint32_t bits) {
    for (unsigned spin = 0; spin < 100000u && (REG32(base + I2CS_SYNCBUSY) & bits); spin++) {
    }
}

int i2ct_port_open(int t, i2ct_engine_t *e, int scl, int sda, int flags) {
    if (t < 0 || t >= I2CT_MAX_TARGETS) {
        return I2CT_PORT_EINST;
    }
    samd_port_t *p = &ports[t];
    if (p->open) {
        return I2CT_PORT_ESTATE;
    }
    if (scl < 0 || scl > 63 || sda < 0 || sda > 63) {
        return I2CT_PORT_EPIN;
    }
    int mux_scl, mux_sda;
    int sercom = find_sercom(scl, sda, &mux_scl, &mux_sda);
    if (sercom < 0) {
        return I2CT_PORT_EPIN;
    }
    uint32_t addr_reg, amode;
    int err = address_config(e, &addr_reg, &amode);
    if (err) {
        return err;
    }
    uint32_t base = sercom_bases[sercom];
    uint32_t apb = apb_addr((unsigned)sercom), apb_bit = 1u << sercom_apb_bit[sercom];
    uint8_t apb_was_on = (REG32(apb) & apb_bit) != 0;
    /* With its bus clock off the SERCOM cannot be running (and must not be
     * read); with it on, an enabled SERCOM belongs to someone else. */
    if (ports_using((unsigned)sercom, t) || (apb_was_on && (REG32(base + I2CS_CTRLA) & I2CS_CTRLA_ENABLE))) {
        return I2CT_PORT_EBUSY;
    }

    p->engine = e;
    p->base = base;
    p->sercom = (uint8_t)sercom;
    p->held = HELD_NONE;
    p->is_read = 0;
    p->tx_first = 0;
    p->tx_pending = 0;
    p->pins[0] = (uint8_t)sda;
    p->pins[1] = (uint8_t)scl;
    p->smbus = (flags & I2CT_OPEN_SMBUS) != 0;
    p->apb_was_on = apb_was_on;

    /* Clocks: bus clock, core clock, and the 32 kHz clock SMBus timeouts count. */
    REG32(apb) = REG32(apb) | apb_bit;
    p->saved_core_clock = gclk_channel_claim(sercom_gclk_core[sercom], SAMD_GCLK_GEN_CORE);
    if (p->smbus) {
        p->saved_slow_clock = gclk_channel_claim(SAMD_SERCOM_GCLK_SLOW, SAMD_GCLK_GEN_SLOW);
    }

    REG32(base + I2CS_CTRLA) = I2CS_CTRLA_SWRST;
    sercom_sync(base, I2CS_SYNCBUSY_SWRST);
    uint32_t ctrla = I2CS_CTRLA_MODE_I2CS | I2CS_CTRLA_SDAHOLD(2) | I2CS_CTRLA_SPEED(0);
    if (p->smbus) {
        ctrla |= I2CS_CTRLA_LOWTOUTEN | I2CS_CTRLA_SEXTTOEN;
    }
    REG32(base + I2CS_CTRLA) = ctrla;
    p->ctrlb = I2CS_CTRLB_AMODE(amode);
    REG32(base + I2CS_CTRLB) = p->ctrlb;
    REG32(base + I2CS_ADDR) = addr_reg;

    pin_claim(p, 0, (unsigned)sda, (unsigned)mux_sda);
    pin_claim(p, 1, (unsigned)scl, (unsigned)mux_scl);

    /* Interrupt: every line of this SERCOM goes to our handler. */
    unsigned irq0 = SAMD_SERCOM_IRQ0(sercom);
    for (unsigned k = 0; k < SAMD_IRQ_LINES_PER_SERCOM; k++) {
        p->saved_vectors[k] = cortexm_irq_attach(&vector_layout, irq0 + k, target_handlers[t],
            SAMD_IRQ_PRIORITY);
    }

    p->open = 1;
    REG8(base + I2CS_INTFLAG) = I2CS_INT_ALL;
    REG8(base + I2CS_INTENSET) = I2CS_INT_ALL;
    REG32(base + I2CS_CTRLA) = ctrla | I2CS_CTRLA_ENABLE;
    sercom_sync(base, I2CS_SYNCBUSY_ENABLE);
    return 0;
}

void i2ct_port_close(int t) {
    if (t < 0 || t >= I2CT_MAX_TARGETS || !ports[t].open) {
        return;
    }
    samd_port_t *p = &ports[t];
    uint32_t base = p->base;
    unsigned sercom = p->sercom;

    REG8(base + I2CS_INTENCLR) = I2CS_INT_ALL;
    REG32(base + I2CS_CTRLA) = REG32(base + I2CS_CTRLA) & ~I2CS_CTRLA_ENABLE;
    sercom_sync(base, I2CS_SYNCBUSY_ENABLE);
    REG32(base + I2CS_CTRLA) = I2CS_CTRLA_SWRST;
    sercom_sync(base, I2CS_SYNCBUSY_SWRST);

    unsigned irq0 = SAMD_SERCOM_IRQ0(sercom);
    for (unsigned k = 0; k < SAMD_IRQ_LINES_PER_SERCOM; k++) {
        cortexm_irq_detach(irq0 + k, p->saved_vectors[k]);
    }

    pin_restore(p, 1);
    pin_restore(p, 0);
    gclk_channel_restore(sercom_gclk_core[sercom], p->saved_core_clock);
    if (p->smbus) {
        /* The slow clock channel is shared (all SERCOMs on SAMD51): leave it
         * to the last SMBus user. */
        int others = 0;
        for (int o = 0; o < I2CT_MAX_TARGETS; o++) {
            others |= (o != t && ports[o].open && ports[o].smbus);
        }
        if (!others) {
            gclk_channel_restore(SAMD_SERCOM_GCLK_SLOW, p->saved_slow_clock);
        }
    }
    if (!p->apb_was_on) {
        uint32_t apb = apb_addr(sercom);
        REG32(apb) = REG32(apb) & ~(1u << sercom_apb_bit[sercom]);
    }
    p->held = HELD_NONE;
    p->open = 0;
}
