/*
 * RP2040 / RP2350 port: a DW_apb_i2c block (I2C0 or I2C1) in target mode
 * feeding the engine.  Build with -DI2CT_RP2040 or -DI2CT_RP2350; every
 * register is reached at a fixed address, so the object works inside a
 * native .mpy.
 *
 * How the engine's decisions map onto this block (it differs from blocks
 * that hold SCL before every ACK):
 *  - The address is matched against the one IC_SAR and ACKed by hardware;
 *    it cannot be refused.  One address per instance: a second one is
 *    I2CT_PORT_EADDR.  The reserved ranges 0x00-0x07 and 0x78-0x7F are
 *    refused too (the datasheet does not guarantee operation there).
 *  - Written bytes are ACKed by hardware as they enter the 16-byte RX FIFO.
 *    IC_RX_TL=0 raises RX_FULL for every byte and the handler hands bytes to
 *    the engine one at a time, so the engine sees each byte after it was
 *    ACKed on the wire:
 *      ACK  - nothing to do;
 *      NACK - IC_SLV_DATA_NACK_ONLY=1: the *next* byte of the segment is
 *             NACKed (and not stored), which ends the controller's write.
 *             That byte raises no interrupt and never reaches software, so
 *             it is counted (NACKS) when the segment ends with STOP or a
 *             repeated START, if the refusal was armed while the controller
 *             was still in the segment (its STOP / restart not yet latched).
 *             A controller that stops exactly after the refused byte is then
 *             counted one NACK too many: the hardware cannot tell the two
 *             apart.  A refusal whose segment already ended is not armed (the
 *             rest of it is in the FIFO and refused as it drains).  NACK_ONLY
 *             is dropped at the next STOP, repeated START or START (a
 *             controller that vanished mid-write sends no STOP);
 *      HOLD - the byte waits in the engine and RX_FULL is masked, so later
 *             bytes stay in the hardware FIFO; with RX_FIFO_FULL_HLD_CTRL the
 *             block stretches SCL once 16 of them wait, instead of dropping.
 *             The release hook unmasks and the handler resumes in bus order.
 *    So per-byte NACK (read(n, ack=False) then ack(False)) refuses the byte
 *    after the n-th, and up to 16 bytes past what Python asked for are ACKed
 *    before the clock is stretched.
 *  - Read bytes: RD_REQ holds SCL until the TX FIFO has a byte.  The handler
 *    writes exactly one byte per RD_REQ, so the controller can never clock a
 *    byte the engine did not choose; on HOLD RD_REQ stays set and masked and
 *    i2ct_port_tx_release() writes IC_DATA_CMD later.  A read request
 *    behind a held received byte waits until the FIFO before it is taken
 *    (bus order), but its stretch is timed from when it was raised.
 *  - Segment boundaries: FIRST_DATA_BYTE marks a write's first byte, RD_REQ
 *    after a write / RX_DONE / RESTART_DET starts a read, RESTART_DET marks a
 *    repeated START, STOP_DET (only when addressed) ends it; a STOP without
 *    data or RD_REQ was an address-only write (SMBus quick command).
 *  - TX_ABRT flushes both FIFOs and keeps them flushed until IC_CLR_TX_ABRT
 *    is read: the handler clears it first thing, and reports a lost bus
 *    (ABRT_SLV_ARBLOST) to the engine as a bus error.
 *  - Close: IC_ENABLE=0 does not end a target transfer in progress (the
 *    disable waits for the bus; a pending RD_REQ keeps SCL low), so the block
 *    is put through RESETS, which lets go of both lines at once; it is left
 *    in reset if it was in reset before open.
 */
#include "../../natmod/i2ct_glue.h"
#include "dw_apb_i2c.h"
#include "rp2_regs.h"
#include "../cortexm/cortexm_irq.h"

#define REG32(a) (*(volatile uint32_t *)(uintptr_t)(a))

/* NVIC priority: MicroPython's default for peripheral interrupts. */
#define RP2_IRQ_PRIORITY 0x80u

/* Interrupts while running, and while a received byte is held (everything
 * latches meanwhile and is taken in order after the release). */
#define RP2_INTR_RUN (IC_INTR_RX_FULL | IC_INTR_RD_REQ | IC_INTR_TX_ABRT | IC_INTR_RX_DONE \
    | IC_INTR_STOP_DET | IC_INTR_RESTART_DET)
#define RP2_INTR_HELD_RX (IC_INTR_TX_ABRT | IC_INTR_RD_REQ)
#define RP2_INTR_HELD_TX (RP2_INTR_RUN & ~IC_INTR_RD_REQ)

/* SDA hold after SCL falls when we transmit: 120 ns (enough for Fm+ data
 * valid time), in clk_sys cycles. */
#define RP2_SDA_TX_HOLD ((RP2_CLK_SYS_MHZ * 3u) / 25u + 1u)
/* Spike filter: 50 ns (Fm / Fm+), rounded up. */
#define RP2_SPKLEN ((RP2_CLK_SYS_MHZ * 50u + 999u) / 1000u)

static const uint32_t i2c_bases[2] = { RP2_I2C0_BASE, RP2_I2C1_BASE };
static const uint32_t i2c_resets[2] = { RP2_RESET_I2C0, RP2_RESET_I2C1 };
static const uint8_t i2c_irqs[2] = { RP2_I2C0_IRQ, RP2_I2C1_IRQ };

typedef enum { HELD_NONE = 0, HELD_RX, HELD_TX } rp2_held_t;
typedef enum { SEG_NONE = 0, SEG_WRITE, SEG_READ } rp2_seg_t;

typedef struct {
    i2ct_engine_t *engine;
    uint32_t base;
    uint8_t inst;           /* 0: I2C0, 1: I2C1 */
    uint8_t open;
    uint8_t address;
    uint8_t held;           /* rp2_held_t */
    uint8_t seg;            /* rp2_seg_t: the segment the engine was told of */
    uint8_t addressed;      /* a segment to us since the last STOP */
    uint8_t restart_seen;   /* RESTART_DET since that segment began */
    uint8_t read_over;      /* RX_DONE / restart: the next RD_REQ is a new read */
    uint8_t stop_merged;    /* a latched STOP was used up between two segments */
    uint8_t was_in_reset;
    uint8_t nack_on;        /* NACK_ONLY armed while the controller was in the segment */
    uint8_t rd_req_early;   /* RD_REQ raised while a received byte was held */
    uint32_t rd_req_us;     /* ... at this time */
    uint8_t pins[2];        /* sda, scl */
    uint32_t saved_ctrl[2];
    uint32_t saved_pad[2];
    uint32_t saved_vector;
} rp2_port_t;

static rp2_port_t ports[I2CT_MAX_TARGETS];

/* ---- vector table ------------------------------------------------------- */
/* MicroPython keeps the table in RAM (the SDK copies it there at boot); if
 * VTOR points at ROM or flash, a RAM copy is made in this space. */
static uint32_t vector_space[CORTEXM_VECTOR_SPACE_WORDS(RP2_VECTOR_COUNT, RP2_VECTOR_ALIGN)];
static const cortexm_vector_layout_t vector_layout = {
    vector_space, RP2_SRAM_BASE, 0xFFFFFFFFu, RP2_VECTOR_COUNT, RP2_VECTOR_ALIGN,
};

/* ---- the interrupt handler ---------------------------------------------- */

static uint32_t run_mask(const rp2_port_t *p) {
    /* START_DET only while a refusal is armed: it ends one that outlived its
     * segment (no STOP), without an interrupt per START otherwise. */
    return RP2_INTR_RUN | (p->nack_on ? IC_INTR_START_DET : 0u);
}

/* Refuse the rest of the segment on the wire (see the header comment). */
static void nack_arm(rp2_port_t *p) {
    uint32_t base = p->base;
    if (p->nack_on
        || (REG32(base + IC_RAW_INTR_STAT) & (IC_INTR_STOP_DET | IC_INTR_RESTART_DET))) {
        return;
    }
    (void)REG32(base + IC_CLR_START_DET);   /* only a START from now on counts */
    REG32(base + IC_SLV_DATA_NACK_ONLY) = 1;
    /* The register lists allow this write only while the block is disabled
     * and the target idle.  If it did not take, nothing is refused on the
     * wire: the bytes keep coming, ACKed, and the engine refuses (and
     * counts) each as it drains. */
    if (!(REG32(base + IC_SLV_DATA_NACK_ONLY) & 1u)) {
        return;
    }
    p->nack_on = 1;
    if (p->held == HELD_NONE) {
        REG32(base + IC_INTR_MASK) = run_mask(p);
    }
}

/* The segment ended (counted: a byte was refused on the wire) or a new
 * transaction began (not counted). */
static void nack_end(rp2_port_t *p, bool counted) {
    if (!p->nack_on) {
        return;
    }
    if (counted) {
        engine_on_byte_refused(p->engine);
    }
    p->nack_on = 0;
    REG32(p->base + IC_SLV_DATA_NACK_ONLY) = 0;
    if (p->held == HELD_NONE) {
        REG32(p->base + IC_INTR_MASK) = run_mask(p);
    }
}

/* A segment to us began (first data byte, first RD_REQ, or a STOP after
 * the address alone).  Returns the engine's answer to the address. */
static i2ct_decision_t begin_segment(rp2_port_t *p, bool is_read) {
    bool restart = p->addressed || p->restart_seen;
    i2ct_decision_t d = engine_on_address(p->engine, p->address, is_read, restart);
    p->seg = is_read ? SEG_READ : SEG_WRITE;
    p->addressed = 1;
    p->restart_seen = 0;
    p->read_over = 0;
    return d;
}

static void on_stop(rp2_port_t *p) {
    if (!p->addressed) {
        /* STOP_DET fires only when we were addressed: with no byte and no
         * RD_REQ, that was an address-only write. */
        (void)begin_segment(p, false);
    }
    nack_end(p, true);
    engine_on_stop(p->engine);
    p->seg = SEG_NONE;
    p->addressed = 0;
    p->restart_seen = 0;
    p->read_over = 0;
}

/* Hand received bytes to the engine one by one.  Returns true when the
 * engine holds one (the rest stays in the FIFO). */
static bool rx_drain(rp2_port_t *p) {
    uint32_t base = p->base;
    i2ct_engine_t *e = p->engine;
    /* Entered on RX_FULL: at least one byte is there. */
    do {
        uint32_t v = REG32(base + IC_DATA_CMD);
        if ((v & IC_DATA_CMD_FIRST_DATA_BYTE) || p->seg != SEG_WRITE) {
            /* A new write segment.  If a STOP is latched and no repeated
             * START was seen, the STOP came between the two segments. */
            if (p->addressed && !p->restart_seen
                && (REG32(base + IC_RAW_INTR_STAT) & IC_INTR_STOP_DET)) {
                (void)REG32(base + IC_CLR_STOP_DET);
                on_stop(p);
                /* One latch bit for two STOPs: the second one may be lost. */
                p->stop_merged = 1;
            }
            if (begin_segment(p, false) == I2CT_NACK) {
                /* Refused (queue full): the hardware ACKed the address and
                 * this byte already; refuse from the next byte on. */
                nack_arm(p);
            }
        }
        i2ct_decision_t d = engine_on_byte_received(e, (uint8_t)(v & IC_DATA_CMD_DAT_MASK));
        if (d == I2CT_NACK) {
            nack_arm(p);
        } else if (d == I2CT_HOLD) {
            p->held = HELD_RX;
            REG32(base + IC_INTR_MASK) = RP2_INTR_HELD_RX;
            return true;
        }
    } while (REG32(base + IC_STATUS) & IC_STATUS_RFNE);
    return false;
}

static void on_read_request(rp2_port_t *p) {
    uint32_t base = p->base;
    bool early = false;
    if (p->seg != SEG_READ || p->read_over || p->restart_seen) {
        if (p->held == HELD_RX) {
            /* A read behind a held received byte (a write segment, so this
             * is off the per-byte path): served after the FIFO before it, in
             * bus order, but its stretch is timed from now. */
            p->rd_req_us = i2ct_port_now_us(p);
            p->rd_req_early = 1;
            REG32(base + IC_INTR_MASK) = IC_INTR_TX_ABRT;
            return;
        }
        early = p->rd_req_early;
        p->rd_req_early = 0;
        (void)begin_segment(p, true);
    }
    uint8_t byte;
    i2ct_decision_t d = engine_on_byte_wanted(p->engine, &byte);
    if (d == I2CT_HOLD) {
        /* RD_REQ stays set (SCL stays low); masked until the release.  The
         * controller has waited since RD_REQ rose: time the stretch from then. */
        if (early) {
            engine_hold_began_at(p->engine, p->rd_req_us);
        }
        p->held = HELD_TX;
        REG32(base + IC_INTR_MASK) = RP2_INTR_HELD_TX;
        return;
    }
    if (d != I2CT_SEND) {
        byte = p->engine->filler;   /* a read cannot be refused */
    }
    REG32(base + IC_DATA_CMD) = byte;
    (void)REG32(base + IC_CLR_RD_REQ);
}

/* TX_ABRT, RX_DONE, RESTART_DET: at most once per segment, kept out of the
 * per-byte path. */
static void on_segment_events(rp2_port_t *p, uint32_t stat) {
    uint32_t base = p->base;
    if (stat & IC_INTR_TX_ABRT) {
        /* The FIFOs stay flushed until this read: clear before serving any
         * RD_REQ.  A flushed stale byte (ABRT_SLVFLUSH_TXFIFO) needs nothing
         * more; losing the bus ends the segment. */
        uint32_t source = REG32(base + IC_TX_ABRT_SOURCE);
        (void)REG32(base + IC_CLR_TX_ABRT);
        if (source & (ABRT_SLV_ARBLOST | ABRT_ARB_LOST)) {
            engine_on_bus_error(p->engine);
            p->seg = SEG_NONE;
            p->read_over = 0;
        }
    }
    if (stat & IC_INTR_RX_DONE) {
        (void)REG32(base + IC_CLR_RX_DONE);
        if (p->seg == SEG_READ && !p->read_over) {
            engine_on_controller_nack(p->engine);
            p->read_over = 1;
        }
    }
    if (stat & IC_INTR_RESTART_DET) {
        (void)REG32(base + IC_CLR_RESTART_DET);
        p->restart_seen = 1;
        nack_end(p, true);
    }
    if (stat & IC_INTR_START_DET) {
        /* Unmasked only while a refusal is armed.  With a STOP or repeated
         * START latched as well, those end it (and count); else the
         * controller started over without a STOP. */
        (void)REG32(base + IC_CLR_START_DET);
        if (!(REG32(base + IC_RAW_INTR_STAT) & (IC_INTR_STOP_DET | IC_INTR_RESTART_DET))) {
            nack_end(p, false);
        }
    }
}

static void rp2_i2ct_irq(rp2_port_t *p) {
    uint32_t base = p->base;
    uint32_t stat = REG32(base + IC_INTR_STAT);

    if (stat & (IC_INTR_TX_ABRT | IC_INTR_RX_DONE | IC_INTR_RESTART_DET | IC_INTR_START_DET)) {
        on_segment_events(p, stat);
    }
    if ((stat & IC_INTR_RX_FULL) && rx_drain(p)) {
        return;     /* the rest waits for the release, in bus order */
    }
    if (stat & IC_INTR_STOP_DET) {
        (void)REG32(base + IC_CLR_STOP_DET);
        on_stop(p);
    }
    if (p->stop_merged) {
        /* The FIFO is empty now: if the target state machine is idle, the
         * write segment drained last is over too (its STOP shared a latch). */
        p->stop_merged = 0;
        if (p->seg == SEG_WRITE
            && !(REG32(base + IC_STATUS) & (IC_STATUS_SLV_ACTIVITY | IC_STATUS_RFNE))) {
            on_stop(p);
        }
    }
    if (stat & IC_INTR_RD_REQ) {
        on_read_request(p);
    }
}

CORTEXM_TARGET_HANDLERS(rp2_i2ct_irq, ports);

/* ---- engine hooks ------------------------------------------------------- */

void i2ct_port_rx_release(void *port, bool ack) {
    rp2_port_t *p = port;
    if (!p->open || p->held != HELD_RX) {
        return;
    }
    p->held = HELD_NONE;
    if (!ack) {
        /* The held byte was ACKed by hardware; refuse the next one. */
        nack_arm(p);
    }
    /* Unmasking lets the latched FIFO level and events interrupt again. */
    REG32(p->base + IC_INTR_MASK) = run_mask(p);
    if (p->stop_merged) {
        /* Nothing may be latched any more: enter the handler anyway. */
        cortexm_nvic_set_pending(i2c_irqs[p->inst]);
    }
}

void i2ct_port_tx_release(void *port, uint8_t byte) {
    rp2_port_t *p = port;
    if (!p->open || p->held != HELD_TX) {
        return;
    }
    REG32(p->base + IC_DATA_CMD) = byte;
    (void)REG32(p->base + IC_CLR_RD_REQ);
    p->held = HELD_NONE;
    REG32(p->base + IC_INTR_MASK) = run_mask(p);
}

uint32_t i2ct_port_now_us(void *port) {
    (void)port;
    return REG32(RP2_TIMER_BASE + TIMER_TIMERAWL);
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
    return RP2_PORT_ID;
}

void *i2ct_port_state(int t) {
    if (t < 0 || t >= I2CT_MAX_TARGETS) {
        return NULL;
    }
    return &ports[t];
}

/* Instance whose SDA is `sda` and SCL is `scl`, or -1. */
static int find_instance(int scl, int sda) {
    if (scl < 0 || sda < 0 || scl >= (int)RP2_GPIO_COUNT || sda >= (int)RP2_GPIO_COUNT) {
        return -1;
    }
    if ((sda & 1) != 0 || (scl & 1) != 1) {
        return -1;
    }
    int inst = (sda >> 1) & 1;
    return ((scl >> 1) & 1) == inst ? inst : -1;
}

static void pin_claim(rp2_port_t *p, unsigned i, unsigned pin) {
    p->pins[i] = (uint8_t)pin;
    p->saved_ctrl[i] = REG32(IO_GPIO_CTRL(pin));
    p->saved_pad[i] = REG32(PADS_GPIO(pin));
    /* Input on, output enabled, pull-up on (external pull-ups are still
     * needed for real bus speeds), Schmitt trigger, slow slew. */
    uint32_t pad = (p->saved_pad[i] & ~(PADS_OD | PADS_PDE | PADS_SLEWFAST))
        | PADS_IE | PADS_PUE | PADS_SCHMITT;
    REG32(PADS_GPIO(pin)) = pad;
    REG32(IO_GPIO_CTRL(pin)) = (p->saved_ctrl[i] & ~IO_CTRL_FUNCSEL_MASK) | IO_FUNCSEL_I2C;
    /* RP2350: release the pad isolation only once the function is selected. */
    REG32(PADS_GPIO(pin)) = pad & ~RP2_PAD_ISO;
}

static void pin_restore(rp2_port_t *p, unsigned i) {
    unsigned pin = p->pins[i];
    REG32(IO_GPIO_CTRL(pin)) = p->saved_ctrl[i];
    REG32(PADS_GPIO(pin)) = p->saved_pad[i];
}

static void wait_enable_status(uint32_t base, uint32_t want) {
    for (unsigned spin = 0; spin < 100000u
         && (REG32(base + IC_ENABLE_STATUS) & IC_ENABLE_STATUS_IC_EN) != want; spin++) {
    }
}

static void wait_reset_done(uint32_t reset_bit) {
    for (unsigned spin = 0; spin < 100000u
         && !(REG32(RP2_RESETS_BASE + RESETS_RESET_DONE) & reset_bit); spin++) {
    }
}

int i2ct_port_open(int t, i2ct_engine_t *e, int scl, int sda, int flags) {
    (void)flags;    /* no hardware SMBus timeouts on this block */
    if (t < 0 || t >= I2CT_MAX_TARGETS) {
        return I2CT_PORT_EINST;
    }
    rp2_port_t *p = &ports[t];
    if (p->open) {
        return I2CT_PORT_ESTATE;
    }
    int inst = find_instance(scl, sda);
    if (inst < 0) {
        return I2CT_PORT_EPIN;
    }
    /* One IC_SAR per block, and the reserved addresses are off limits. */
    if (e->n_addresses != 1 || e->addresses[0] < 0x08u || e->addresses[0] > 0x77u) {
        return I2CT_PORT_EADDR;
    }
    for (int o = 0; o < I2CT_MAX_TARGETS; o++) {
        if (o != t && ports[o].open && ports[o].inst == inst) {
            return I2CT_PORT_EBUSY;
        }
    }
    uint32_t base = i2c_bases[inst];
    uint32_t reset_bit = i2c_resets[inst];
    uint8_t was_in_reset = (REG32(RP2_RESETS_BASE + RESETS_RESET) & reset_bit) != 0;
    /* Out of reset and enabled: machine.I2C or machine.I2CTarget owns it.
     * (A block in reset must not be read.) */
    if (!was_in_reset && (REG32(base + IC_ENABLE) & IC_ENABLE_ENABLE)) {
        return I2CT_PORT_EBUSY;
    }

    p->engine = e;
    p->base = base;
    p->inst = (uint8_t)inst;
    p->address = e->addresses[0];
    p->held = HELD_NONE;
    p->seg = SEG_NONE;
    p->addressed = 0;
    p->restart_seen = 0;
    p->read_over = 0;
    p->stop_merged = 0;
    p->nack_on = 0;
    p->rd_req_early = 0;
    p->was_in_reset = was_in_reset;

    if (was_in_reset) {
        REG32(RP2_RESETS_BASE + RP2_ALIAS_CLR + RESETS_RESET) = reset_bit;
        wait_reset_done(reset_bit);
    }

    /* Configure with the block disabled (IC_CON, IC_SAR and IC_FS_SPKLEN
     * ignore writes otherwise). */
    REG32(base + IC_ENABLE) = 0;
    wait_enable_status(base, 0);
    REG32(base + IC_INTR_MASK) = 0;
    REG32(base + IC_CON) = IC_CON_SPEED_FAST | IC_CON_STOP_DET_IFADDRESSED
        | IC_CON_RX_FIFO_FULL_HLD_CTRL;      /* target on, controller off */
    REG32(base + IC_SAR) = p->address;
    REG32(base + IC_SDA_HOLD) = RP2_SDA_TX_HOLD;
    REG32(base + IC_FS_SPKLEN) = RP2_SPKLEN;
    REG32(base + IC_RX_TL) = 0;             /* RX_FULL from one byte on */
    REG32(base + IC_TX_TL) = 0;
    REG32(base + IC_ACK_GENERAL_CALL) = 0;  /* address 0 is not ours */
    REG32(base + IC_SLV_DATA_NACK_ONLY) = 0;
    (void)REG32(base + IC_CLR_INTR);

    pin_claim(p, 0, (unsigned)sda);
    pin_claim(p, 1, (unsigned)scl);

    unsigned irq = i2c_irqs[inst];
    p->saved_vector = cortexm_irq_attach(&vector_layout, irq, target_handlers[t],
        RP2_IRQ_PRIORITY);

    p->open = 1;
    REG32(base + IC_INTR_MASK) = run_mask(p);
    REG32(base + IC_ENABLE) = IC_ENABLE_ENABLE;
    wait_enable_status(base, IC_ENABLE_STATUS_IC_EN);
    return 0;
}

void i2ct_port_close(int t) {
    if (t < 0 || t >= I2CT_MAX_TARGETS || !ports[t].open) {
        return;
    }
    rp2_port_t *p = &ports[t];
    uint32_t base = p->base;
    unsigned irq = i2c_irqs[p->inst];
    uint32_t reset_bit = i2c_resets[p->inst];

    /* Off the bus now, whatever the transfer: IC_ENABLE=0 would wait for a
     * pending RD_REQ forever, a reset ends it and lets go of SCL and SDA. */
    REG32(base + IC_INTR_MASK) = 0;
    REG32(RP2_RESETS_BASE + RP2_ALIAS_SET + RESETS_RESET) = reset_bit;

    cortexm_irq_detach(irq, p->saved_vector);

    pin_restore(p, 1);
    pin_restore(p, 0);
    if (!p->was_in_reset) {
        /* Left as found: out of reset (and disabled, its reset state). */
        REG32(RP2_RESETS_BASE + RP2_ALIAS_CLR + RESETS_RESET) = reset_bit;
        wait_reset_done(reset_bit);
    }
    p->held = HELD_NONE;
    p->nack_on = 0;
    p->rd_req_early = 0;
    p->seg = SEG_NONE;
    p->open = 0;
}
