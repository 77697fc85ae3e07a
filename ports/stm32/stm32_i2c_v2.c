/*
 * STM32 I2C v2 (F7: Pyboard D; L4; and by table the G4, H7, WB) target
 * driver feeding the engine.
 *
 * Reception uses slave byte control: SBC=1, and for a write segment CR2 gets
 * RELOAD=1, NBYTES=1 at the address, so after every received byte TCR is set
 * and SCL is held between the eighth and ninth clock until NBYTES is written
 * again, with CR2.NACK choosing the answer.  That is exactly the engine's
 * model: every byte ACKed or NACKed after the engine saw it, and held as
 * long as Python needs.
 *
 * Transmission works from TXIS, which asks for the next byte as soon as
 * TXDR moved into the shift register (right after the controller's ACK of
 * the byte before), i.e. one byte ahead.  A byte loaded that way and then
 * cut off by the controller's NACK is taken back from the engine's count
 * (engine_on_tx_unloaded) and flushed.  The byte in the shift register was
 * counted sent when TXIS asked for the one behind it; when the controller
 * ends the read inside it (STOP or bus error after an ACK) the engine has
 * no way yet to take that count back: bytes_out is one too high then.
 *
 * The hardware ACKs any address OAR1/OAR2 match; with more than two
 * addresses OAR2 uses a mask, and the engine NACKs the data of the extra
 * addresses the mask lets in (it sends filler to reads of them).
 */
#include "../../natmod/i2ct_glue.h"
#include "stm32_common.h"
#include "stm32_i2c_v2_regs.h"

typedef enum {
    HELD_NONE = 0,
    HELD_RX,        /* TCR pending: a received byte waits for its ACK */
    HELD_TX,        /* TXIS pending: the controller waits for a byte */
} v2_held_t;

/* CR1 between segments; a write segment adds TCIE (TCR), a read segment
 * TXIE (TXIS), each masked again while that level flag holds SCL for Python.
 * TXIE is off outside read segments: a TXIS left over from a read cut short
 * (STOP or bus error under a held byte request) would otherwise be answered
 * with a filler byte that no segment asked for, and counted at the next read. */
#define V2_CR1_IDLE (CR1_PE | CR1_SBC | CR1_ADDRIE | CR1_NACKIE | CR1_STOPIE | CR1_ERRIE)

typedef struct {
    i2ct_engine_t *engine;
    uint32_t base;
    uint32_t cr1_run;           /* CR1 in the current segment, nothing held */
    uint8_t open;
    uint8_t held;
    uint8_t in_segment;
    stm32_i2c_hw_t hw;          /* instance, clock, pins, interrupt lines */
} v2_port_t;

static v2_port_t ports[I2CT_MAX_TARGETS];

static void v2_hold(v2_port_t *p, v2_held_t what) {
    /* TCR and TXIS are level flags: mask the one that holds. */
    p->held = (uint8_t)what;
    REG32(p->base + I2C2_CR1) = V2_CR1_IDLE;
}

static void v2_unhold(v2_port_t *p) {
    p->held = HELD_NONE;
    REG32(p->base + I2C2_CR1) = p->cr1_run;
}

static void v2_rx_answer(v2_port_t *p, bool ack) {
    /* Writing NBYTES ends the stretch and sends the (N)ACK. */
    REG32(p->base + I2C2_CR2) = CR2_RELOAD | CR2_NBYTES(1) | (ack ? 0u : CR2_NACK);
}

static void v2_flush_txdr(v2_port_t *p) {
    REG32(p->base + I2C2_ISR) = ISR_TXE;
}

static void v2_segment_over(v2_port_t *p) {
    p->in_segment = 0;
    p->held = HELD_NONE;
    p->cr1_run = V2_CR1_IDLE;
    REG32(p->base + I2C2_CR1) = V2_CR1_IDLE;
    REG32(p->base + I2C2_CR2) = 0;
    v2_flush_txdr(p);
}

static void v2_irq(v2_port_t *p) {
    uint32_t base = p->base;
    i2ct_engine_t *e = p->engine;
    uint32_t isr = REG32(base + I2C2_ISR);

    uint32_t errors = isr & (ISR_BERR | ISR_ARLO | ISR_OVR | ISR_TIMEOUT);
    if (errors) {
        /* ICR bits sit where the ISR flags do. */
        REG32(base + I2C2_ICR) = errors;
        engine_on_bus_error(e);
        v2_segment_over(p);
        return;
    }
    if (isr & ISR_ADDR) {
        bool is_read = (isr & ISR_DIR) != 0;
        bool restart = p->in_segment != 0;
        p->in_segment = 1;
        p->cr1_run = V2_CR1_IDLE | (is_read ? CR1_TXIE : CR1_TCIE);
        v2_unhold(p);
        if (is_read) {
            REG32(base + I2C2_CR2) = 0;
            v2_flush_txdr(p);      /* TXDR may hold a byte of an earlier read */
        } else {
            REG32(base + I2C2_CR2) = CR2_RELOAD | CR2_NBYTES(1);
        }
        (void)engine_on_address(e, (uint8_t)ISR_ADDCODE(isr), is_read, restart);
        REG32(base + I2C2_ICR) = ICR_ADDRCF;   /* releases SCL */
        return;
    }
    if (isr & ISR_NACKF) {
        REG32(base + I2C2_ICR) = ICR_NACKCF;
        if (!(isr & ISR_TXE)) {
            engine_on_tx_unloaded(e);
            v2_flush_txdr(p);
        }
        engine_on_controller_nack(e);
    }
    if ((isr & ISR_TCR) && p->held == HELD_NONE) {
        uint8_t byte = (uint8_t)REG32(base + I2C2_RXDR);
        i2ct_decision_t d = engine_on_byte_received(e, byte);
        if (d == I2CT_HOLD) {
            v2_hold(p, HELD_RX);
            return;
        }
        v2_rx_answer(p, d != I2CT_NACK);
    }
    if ((isr & ISR_TXIS) && !(isr & ISR_NACKF) && p->held == HELD_NONE) {
        uint8_t byte;
        i2ct_decision_t d = engine_on_byte_wanted_ahead(e, &byte);
        if (d == I2CT_HOLD) {
            v2_hold(p, HELD_TX);
            return;
        }
        REG32(base + I2C2_TXDR) = d == I2CT_SEND ? byte : e->filler;
    }
    if (isr & ISR_STOPF) {
        REG32(base + I2C2_ICR) = ICR_STOPCF;
        engine_on_stop(e);
        v2_segment_over(p);
    }
}

CORTEXM_TARGET_HANDLERS(v2_irq, ports);

/* ---- engine hooks ----------------------------------------------------------- */

void i2ct_port_rx_release(void *port, bool ack) {
    v2_port_t *p = port;
    if (p->open && p->held == HELD_RX) {
        v2_rx_answer(p, ack);
        v2_unhold(p);
    }
}

void i2ct_port_tx_release(void *port, uint8_t byte) {
    v2_port_t *p = port;
    if (p->open && p->held == HELD_TX) {
        REG32(p->base + I2C2_TXDR) = byte;
        v2_unhold(p);
    }
}

uint32_t i2ct_port_now_us(void *port) {
    (void)port;
    return stm32_now_us();
}

uint32_t i2ct_port_irq_save(void *port) {
    (void)port;
    return cortexm_irq_save();
}

void i2ct_port_irq_restore(void *port, uint32_t state) {
    (void)port;
    cortexm_irq_restore(state);
}

/* ---- glue hooks ------------------------------------------------------------- */

int i2ct_port_id(void) {
    return I2CT_PORT_STM32_V2;
}

void *i2ct_port_state(int t) {
    if (t < 0 || t >= I2CT_MAX_TARGETS) {
        return 0;
    }
    return &ports[t];
}

/* OAR1 exact, OAR2 with the smallest mask covering the rest; the address
 * put in OAR1 is the one that leaves OAR2 matching fewest extras. */
static int v2_address_config(const i2ct_engine_t *e, uint32_t *oar1, uint32_t *oar2) {
    unsigned n = e->n_addresses;
    if (n == 0) {
        return I2CT_PORT_EADDR;
    }
    unsigned best_extra = 0xFFFFu;
    for (unsigned i = 0; i < n; i++) {
        unsigned first = 1, k = 0;
        uint8_t ref = 0;
        for (unsigned j = 0; j < n; j++) {
            if (j == i) {
                continue;
            }
            uint8_t a = e->addresses[j];
            if (first) {
                ref = a;
                first = 0;
            }
            while (k < 7u && (a >> k) != (ref >> k)) {
                k++;
            }
        }
        unsigned extra = first ? 0u : (1u << k) - (n - 1u);
        if (extra < best_extra) {
            best_extra = extra;
            *oar1 = OAR1_OA1EN | OAR1_OA1(e->addresses[i]);
            *oar2 = first ? 0u
                : OAR2_OA2EN | OAR2_OA2(ref & (uint8_t)~((1u << k) - 1u)) | OAR2_OA2MSK(k);
        }
    }
    return 0;
}

int i2ct_port_open(int t, i2ct_engine_t *e, int scl, int sda, int flags) {
    if (t < 0 || t >= I2CT_MAX_TARGETS) {
        return I2CT_PORT_EINST;
    }
    v2_port_t *p = &ports[t];
    if (p->open) {
        return I2CT_PORT_ESTATE;
    }
    int err = stm32_hw_select(&p->hw, scl, sda);
    if (err) {
        return err;
    }
    uint32_t oar1 = 0, oar2 = 0;
    err = v2_address_config(e, &oar1, &oar2);
    if (err) {
        return err;
    }
    err = stm32_hw_power(&p->hw);
    if (err) {
        return err;
    }

    p->engine = e;
    p->base = p->hw.inst->base;
    p->held = HELD_NONE;
    p->in_segment = 0;
    p->cr1_run = V2_CR1_IDLE;

    uint32_t base = p->base;
    REG32(base + I2C2_CR1) = 0;
    /* Target timing: only the data setup (SCLDEL) and hold (SDADEL) delays
     * matter; a prescaled period of about 125 ns gives 250 ns setup and
     * 125 ns hold, inside the Fm+ limits. */
    uint32_t hz = stm32_apb1_hz();
    uint32_t mhz = hz / 1000000u;
    uint32_t presc = (mhz + 7u) / 8u;
    presc = presc ? presc - 1u : 0u;
    presc = presc > 15u ? 15u : presc;
    REG32(base + I2C2_TIMINGR) = TIMINGR_PRESC(presc) | TIMINGR_SCLDEL(1) | TIMINGR_SDADEL(1);
    if (flags & I2CT_OPEN_SMBUS) {
        /* SCL low for 25 ms: (TIMEOUTA + 1) * 2048 kernel clocks. */
        uint32_t a = (hz / 1000u * 25u) / 2048u;
        a = a ? a - 1u : 0u;
        a = a > 0xFFFu ? 0xFFFu : a;
        REG32(base + I2C2_TIMEOUTR) = TIMEOUTR_TIMEOUTA(a) | TIMEOUTR_TIMOUTEN;
    } else {
        REG32(base + I2C2_TIMEOUTR) = 0;
    }
    REG32(base + I2C2_CR2) = 0;
    REG32(base + I2C2_OAR1) = 0;          /* OA1EN must be 0 to change OA1 */
    REG32(base + I2C2_OAR2) = 0;
    REG32(base + I2C2_OAR1) = oar1;
    REG32(base + I2C2_OAR2) = oar2;

    stm32_hw_connect(&p->hw, target_handlers[t]);
    p->open = 1;
    REG32(base + I2C2_CR1) = V2_CR1_IDLE;
    return 0;
}

void i2ct_port_close(int t) {
    if (t < 0 || t >= I2CT_MAX_TARGETS || !ports[t].open) {
        return;
    }
    v2_port_t *p = &ports[t];
    REG32(p->base + I2C2_CR1) = 0;        /* PE=0 also resets the state machine */
    REG32(p->base + I2C2_OAR1) = 0;
    REG32(p->base + I2C2_OAR2) = 0;
    REG32(p->base + I2C2_TIMEOUTR) = 0;
    stm32_hw_release(&p->hw);
    p->open = 0;
    p->held = HELD_NONE;
}
