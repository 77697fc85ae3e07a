/*
 * STM32 I2C v1 (F4: Pyboard v1.x) target driver feeding the engine.
 *
 * What the hardware allows, and how the engine's decisions map onto it:
 * - The ACK of a received byte is sent from CR1.ACK as it stands when the
 *   byte's ninth clock comes; no interrupt comes between a byte and its ACK.
 *   So the driver programs CR1.ACK one byte ahead, from what the engine will
 *   decide for the next byte (engine_peek_rx(); that decision never depends on
 *   the byte's value).  A byte the engine would hold for Python is ACKed.
 * - The only place v1 stretches SCL in reception is BTF: a byte left unread
 *   in DR while the next one has been received.  When Python has not asked
 *   for the next byte yet, the driver leaves it in DR ("port hold"): the
 *   controller can clock one more byte, which is ACKed, and is then held
 *   until Python asks (or the maximum stretch time passes).  The check runs
 *   in i2ct_port_irq_restore(), which ends every Python-side engine call.
 * - Transmission asks for each byte at BTF (after the controller's ACK of
 *   the previous one), never on TxE, so no byte is loaded ahead of time and
 *   write() counts exactly the bytes the controller clocked.
 * - A controller NACK (AF) ends a read segment: no STOPF follows it.
 * - A refusal decided by Python (ack(False), close) reaches the wire on the
 *   next byte the hardware has not ACKed yet.
 */
#include "../../natmod/i2ct_glue.h"
#include "stm32_common.h"
#include "stm32_i2c_v1_regs.h"



typedef struct {
    i2ct_engine_t *engine;
    uint32_t base;
    uint32_t cr2_base;          /* FREQ | ITERREN */
    uint32_t rx_held_since;
    uint8_t open;
    uint8_t is_read;
    uint8_t in_segment;         /* addressed, no STOP / NACK / error since */
    uint8_t rx_held;            /* a received byte waits unread in DR */
    uint8_t tx_held;            /* the controller waits for a byte from Python */
    uint8_t oar1, oar2;         /* 7-bit addresses the hardware matches */
    stm32_i2c_hw_t hw;          /* instance, clock, pins, interrupt lines */
} v1_port_t;

static v1_port_t ports[I2CT_MAX_TARGETS];

static void v1_set_ack(v1_port_t *p, bool ack) {
    /* A plain write (CR1 holds only PE and ACK here): no read in between
     * keeps the SR1-read-then-CR1-write sequence that clears STOPF intact. */
    REG32(p->base + I2C1_CR1) = CR1_PE | (ack ? CR1_ACK : 0u);
}

static void v1_set_irqs(v1_port_t *p, uint32_t enables) {
    REG32(p->base + I2C1_CR2) = p->cr2_base | enables;
}

/* Interrupt enables while nothing is held: events always, RxNE only while
 * receiving (transmission works from BTF). */
static void v1_irqs_normal(v1_port_t *p) {
    v1_set_irqs(p, CR2_ITEVTEN | (p->is_read ? 0u : CR2_ITBUFEN));
}

static bool v1_rx_must_wait(const i2ct_engine_t *e) {
    return e->hold != I2CT_HOLD_NONE || engine_peek_rx(e) == I2CT_RX_WILL_HOLD_FOR_CREDIT;
}

/* Segment over (STOP, controller NACK, error): ready for the next address. */
static void v1_segment_over(v1_port_t *p) {
    /* CR1 first: right after an SR1 read this write also clears STOPF. */
    v1_set_ack(p, true);   /* without ACK=1 the hardware ignores our address */
    p->in_segment = 0;
    p->rx_held = 0;
    p->tx_held = 0;
    p->is_read = 0;
    /* TxE stays set until the STOP after a controller NACK: buffer
     * interrupts only come back with the next write segment. */
    v1_set_irqs(p, CR2_ITEVTEN);
}

/* Hand the byte in DR to the engine and program the ACK of the next one.
 * `sr1` is a read of SR1 just before: together with the DR read it clears BTF. */
static void v1_rx_take(v1_port_t *p, uint32_t sr1) {
    i2ct_engine_t *e = p->engine;
    uint8_t byte = (uint8_t)REG32(p->base + I2C1_DR);
    (void)sr1;
    (void)engine_on_byte_received(e, byte);
    v1_set_ack(p, engine_peek_rx(e) != I2CT_RX_WILL_NACK);
}

/* Release a port hold (thread context, interrupts masked).  timed_out: the
 * byte has held the bus for the maximum stretch time already, so the engine's
 * hold of it, if it starts one, is over at once (NACK, SEG_TIMEOUT, counted)
 * instead of stretching for another max_stretch_us; and CR1.ACK is set again
 * from what the engine decides, so the bus moves on. */
static void v1_rx_release_held(v1_port_t *p, bool timed_out) {
    uint32_t sr1 = REG32(p->base + I2C1_SR1);
    p->rx_held = 0;
    v1_rx_take(p, sr1);
    if (timed_out) {
        /* The engine's hold, if it started one, began when the byte began
         * to wait in DR: it is due now. */
        engine_hold_began_at(p->engine, p->rx_held_since);
        (void)engine_check_timeout(p->engine, stm32_now_us());
    }
    if (sr1 & SR1_STOPF) {
        /* The STOP came while the byte waited: SR1 read, then the CR1 write
         * in v1_segment_over clears it. */
        engine_on_stop(p->engine);
        (void)REG32(p->base + I2C1_SR1);
        v1_segment_over(p);
        return;
    }
    v1_irqs_normal(p);
}

static void v1_tx_next(v1_port_t *p) {
    i2ct_engine_t *e = p->engine;
    uint8_t byte;
    i2ct_decision_t d = engine_on_byte_wanted(e, &byte);
    if (d == I2CT_HOLD) {
        /* SCL stays low while DR is empty; BTF is a level flag: mask it. */
        p->tx_held = 1;
        v1_set_irqs(p, 0);
        return;
    }
    REG32(p->base + I2C1_DR) = d == I2CT_SEND ? byte : e->filler;
}

static void v1_irq(v1_port_t *p) {
    uint32_t base = p->base;
    i2ct_engine_t *e = p->engine;
    uint32_t sr1 = REG32(base + I2C1_SR1);

    uint32_t errors = sr1 & (SR1_BERR | SR1_ARLO | SR1_OVR | SR1_TIMEOUT);
    if (errors) {
        /* The hardware has let go of the bus; a byte left in DR is lost. */
        REG32(base + I2C1_SR1) = ~errors & 0xFFFFu;
        if (p->rx_held) {
            (void)REG32(base + I2C1_DR);
        }
        engine_on_bus_error(e);
        v1_segment_over(p);
        return;
    }
    if (sr1 & SR1_AF) {
        REG32(base + I2C1_SR1) = ~SR1_AF & 0xFFFFu;
        engine_on_controller_nack(e);
        engine_on_stop(e);
        v1_segment_over(p);
        return;
    }
    if (sr1 & SR1_ADDR) {
        uint32_t sr2 = REG32(base + I2C1_SR2);   /* SR1 then SR2: clears ADDR */
        bool is_read = (sr2 & SR2_TRA) != 0;
        uint8_t address = (sr2 & SR2_DUALF) ? p->oar2 : p->oar1;
        bool restart = p->in_segment != 0;
        p->in_segment = 1;
        p->is_read = is_read;
        p->tx_held = 0;
        /* The hardware ACKed the address already; when the engine refuses it,
         * the engine itself NACKs the data / sends filler. */
        (void)engine_on_address(e, address, is_read, restart);
        v1_irqs_normal(p);
        if (is_read) {
            v1_tx_next(p);
        } else {
            v1_set_ack(p, engine_peek_rx(e) != I2CT_RX_WILL_NACK);
        }
        return;
    }
    if (sr1 & SR1_RXNE) {
        if (v1_rx_must_wait(e)) {
            /* Leave it in DR: the hardware stretches after the next byte. */
            if (!p->rx_held) {
                p->rx_held = 1;
                p->rx_held_since = i2ct_port_now_us(p);
            }
            v1_set_irqs(p, (sr1 & (SR1_BTF | SR1_STOPF)) ? 0u : CR2_ITEVTEN);
            return;
        }
        v1_rx_take(p, sr1);
        if (!(sr1 & SR1_STOPF)) {
            return;   /* a byte behind it, if any, comes in the next entry */
        }
    }
    if (sr1 & SR1_STOPF) {
        /* SR1 read then a CR1 write clears STOPF; v1_segment_over writes CR1. */
        engine_on_stop(e);
        (void)REG32(base + I2C1_SR1);
        v1_segment_over(p);
        return;
    }
    if ((sr1 & SR1_BTF) && p->is_read && !p->tx_held) {
        v1_tx_next(p);   /* SR1 read then DR write clears BTF */
    }
}

CORTEXM_TARGET_HANDLERS(v1_irq, ports);

/* ---- engine hooks ----------------------------------------------------------- */

void i2ct_port_rx_release(void *port, bool ack) {
    v1_port_t *p = port;
    if (!p->open) {
        return;
    }
    /* The held byte went out ACKed already (see the top of the file); what
     * is left to decide is the next byte. */
    v1_set_ack(p, ack && engine_peek_rx(p->engine) != I2CT_RX_WILL_NACK);
}

void i2ct_port_tx_release(void *port, uint8_t byte) {
    v1_port_t *p = port;
    if (!p->open || !p->tx_held) {
        return;
    }
    (void)REG32(p->base + I2C1_SR1);
    REG32(p->base + I2C1_DR) = byte;   /* SR1 read then DR write clears BTF */
    p->tx_held = 0;
    v1_irqs_normal(p);
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
    v1_port_t *p = port;
    /* Every Python-side engine call ends here, still masked: the moment to
     * see whether a byte left in DR can go to the engine now. */
    if (p->open && p->rx_held) {
        i2ct_engine_t *e = p->engine;
        if (!v1_rx_must_wait(e)) {
            v1_rx_release_held(p, false);
        } else if (e->max_stretch_us && e->hold == I2CT_HOLD_NONE
                   && (uint32_t)(stm32_now_us() - p->rx_held_since) >= e->max_stretch_us) {
            /* Stretched long enough: the engine takes the byte and times it
             * out at once; the bus moves on. */
            v1_rx_release_held(p, true);
        }
    }
    cortexm_irq_restore(state);
}

/* ---- glue hooks ------------------------------------------------------------- */

int i2ct_port_id(void) {
    return I2CT_PORT_STM32_V1;
}

void *i2ct_port_state(int t) {
    if (t < 0 || t >= I2CT_MAX_TARGETS) {
        return 0;
    }
    return &ports[t];
}

int i2ct_port_open(int t, i2ct_engine_t *e, int scl, int sda, int flags) {
    (void)flags;   /* v1 has SMBus timeouts only in SMBus mode; not used */
    if (t < 0 || t >= I2CT_MAX_TARGETS) {
        return I2CT_PORT_EINST;
    }
    v1_port_t *p = &ports[t];
    if (p->open) {
        return I2CT_PORT_ESTATE;
    }
    int err = stm32_hw_select(&p->hw, scl, sda);
    if (err) {
        return err;
    }
    /* OAR1 and OAR2: two addresses at most, matched exactly. */
    if (e->n_addresses < 1 || e->n_addresses > 2) {
        return I2CT_PORT_EADDR;
    }
    err = stm32_hw_power(&p->hw);
    if (err) {
        return err;
    }

    p->engine = e;
    p->base = p->hw.inst->base;
    p->in_segment = p->rx_held = p->tx_held = p->is_read = 0;
    p->oar1 = e->addresses[0];
    p->oar2 = e->n_addresses > 1 ? e->addresses[1] : 0;

    uint32_t base = p->base;
    REG32(base + I2C1_CR1) = CR1_SWRST;
    REG32(base + I2C1_CR1) = 0;
    uint32_t mhz = stm32_apb1_hz() / 1000000u;
    mhz = mhz < 2u ? 2u : mhz > 50u ? 50u : mhz;
    p->cr2_base = CR2_FREQ(mhz) | CR2_ITERREN;
    REG32(base + I2C1_CR2) = p->cr2_base;
    REG32(base + I2C1_OAR1) = OAR1_BIT14 | OAR1_ADD7(p->oar1);
    REG32(base + I2C1_OAR2) = e->n_addresses > 1 ? (OAR2_ENDUAL | OAR2_ADD2(p->oar2)) : 0u;

    stm32_hw_connect(&p->hw, target_handlers[t]);

    p->open = 1;
    v1_set_irqs(p, CR2_ITEVTEN);
    REG32(base + I2C1_CR1) = CR1_PE;
    REG32(base + I2C1_CR1) = CR1_PE | CR1_ACK;   /* ACK can be set once PE is */
    return 0;
}

void i2ct_port_close(int t) {
    if (t < 0 || t >= I2CT_MAX_TARGETS || !ports[t].open) {
        return;
    }
    v1_port_t *p = &ports[t];
    REG32(p->base + I2C1_CR2) = 0;
    REG32(p->base + I2C1_CR1) = CR1_SWRST;
    REG32(p->base + I2C1_CR1) = 0;
    stm32_hw_release(&p->hw);
    p->open = 0;
    p->rx_held = p->tx_held = 0;
}
