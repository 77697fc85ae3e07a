/*
 * i2ct_engine: see i2ct_engine.h for the model.  Every engine_on_* function
 * does a bounded amount of work (no loops over buffers) because it runs in
 * the port's interrupt handler.
 */
#include "i2ct_engine.h"

#define RX_CREDIT_ALL 0xFFFFFFFFu

/* -Os would otherwise call these small helpers of the per-byte path. */
#if defined(__GNUC__)
#define I2CT_HOT_INLINE static inline __attribute__((always_inline))
#else
#define I2CT_HOT_INLINE static inline
#endif

/* What the last byte handed to the port for transmission was; it only counts
 * as sent once the controller clocked it out (next byte wanted, or its NACK). */
enum { LOADED_NONE = 0, LOADED_PYTHON, LOADED_FILLER, LOADED_REGISTER };

static void bytes_zero(void *p, size_t n) {
    uint8_t *b = (uint8_t *)p;
    while (n--) {
        *b++ = 0;
    }
}

/* ---- small helpers ------------------------------------------------------ */

static i2ct_segment_t *queue_at(const i2ct_engine_t *e, unsigned i) {
    return (i2ct_segment_t *)&e->queue[(e->q_head + i) % I2CT_QUEUE_LEN];
}

static i2ct_segment_t *queue_head(i2ct_engine_t *e) {
    return e->q_count ? queue_at(e, 0) : NULL;
}

/* The request-mode segment on the bus is always the newest one queued. */
static i2ct_segment_t *bus_segment(const i2ct_engine_t *e) {
    return e->bus == I2CT_BUS_REQUEST ? queue_at(e, e->q_count - 1u) : NULL;
}

/* Python works on the head; credits and tx data only reach the bus segment
 * when both are the same segment. */
static bool python_is_on_bus_segment(i2ct_engine_t *e) {
    return e->bus == I2CT_BUS_REQUEST && e->q_count == 1;
}

static bool is_listed(const i2ct_engine_t *e, uint8_t address) {
    for (unsigned i = 0; i < e->n_addresses; i++) {
        if (e->addresses[i] == address) {
            return true;
        }
    }
    return false;
}

static i2ct_regmap_t *find_regmap(i2ct_engine_t *e, uint8_t address) {
    for (unsigned i = 0; i < I2CT_MAX_REGMAPS; i++) {
        if (e->regmaps[i].address == address && e->regmaps[i].mem) {
            return &e->regmaps[i];
        }
    }
    return NULL;
}

static void hold_start(i2ct_engine_t *e, i2ct_hold_t kind) {
    e->hold = kind;
    e->hold_since_us = i2ct_port_now_us(e->port);
    i2ct_segment_t *seg = bus_segment(e);
    if (seg) {
        seg->flags |= I2CT_SEG_HELD;
    }
}

static void hold_end(i2ct_engine_t *e) {
    e->hold = I2CT_HOLD_NONE;
    e->held_in_ring = false;
    i2ct_segment_t *seg = bus_segment(e);
    if (seg) {
        seg->flags &= ~(I2CT_SEG_HELD | I2CT_SEG_ACK_WAIT);
    }
}

static void rx_push(i2ct_engine_t *e, uint8_t b) {
    e->rx[(e->rx_start + e->rx_len) % I2CT_RX_SIZE] = b;
    e->rx_len++;
    queue_at(e, e->q_count - 1u)->rx_avail++;
}

static void rx_discard(i2ct_engine_t *e, uint16_t n) {
    e->rx_start = (uint16_t)((e->rx_start + n) % I2CT_RX_SIZE);
    e->rx_len = (uint16_t)(e->rx_len - n);
}

/* Bytes of a segment Python never read.  They were ACKed, except the byte
 * read(n, ack=False) held if it was never ACKed (counted as a NACK). */
static void discard_unread(i2ct_engine_t *e, i2ct_segment_t *seg) {
    e->counters[I2CT_CNT_RX_UNREAD] += seg->rx_avail - (seg->rx_avail && seg->rx_unacked ? 1u : 0u);
    rx_discard(e, seg->rx_avail);
    seg->rx_avail = 0;
}

static void tx_flush_unsent(i2ct_engine_t *e) {
    e->counters[I2CT_CNT_TX_UNSENT] += e->tx_len;
    e->tx_len = 0;
    e->tx_start = 0;
}

/* The byte loaded last was clocked out: the controller ACKed it (it asks for
 * the next one) or NACKed it (it wants no more). */
I2CT_HOT_INLINE void confirm_loaded(i2ct_engine_t *e) {
    switch (e->tx_last_loaded) {
        case LOADED_PYTHON: {
            e->counters[I2CT_CNT_BYTES_OUT]++;
            i2ct_segment_t *seg = bus_segment(e);
            if (seg) {
                seg->tx_sent++;
            }
            break;
        }
        case LOADED_REGISTER:
            e->counters[I2CT_CNT_BYTES_OUT]++;
            break;
        case LOADED_FILLER:
            e->counters[I2CT_CNT_FILLER]++;
            break;
        default:
            break;
    }
    e->tx_last_loaded = LOADED_NONE;
}

/* A one-ahead block's byte counted when it entered the shift register: the
 * controller ended the segment inside it.  Undo the count. */
static void uncount_in_shift(i2ct_engine_t *e) {
    switch (e->tx_in_shift) {
        case LOADED_PYTHON: {
            e->counters[I2CT_CNT_BYTES_OUT]--;
            e->counters[I2CT_CNT_TX_UNSENT]++;
            i2ct_segment_t *seg = bus_segment(e);
            if (seg && seg->tx_sent) {
                seg->tx_sent--;
            }
            break;
        }
        case LOADED_REGISTER:
            e->counters[I2CT_CNT_BYTES_OUT]--;
            break;
        case LOADED_FILLER:
            e->counters[I2CT_CNT_FILLER]--;
            break;
        default:
            break;
    }
    e->tx_in_shift = LOADED_NONE;
}

/* End whatever segment is on the bus (STOP, repeated START, error). */
static void end_bus_segment(i2ct_engine_t *e, uint32_t why) {
    /* A byte loaded but never clocked out: the controller stopped first. */
    engine_on_tx_unloaded(e);
    uncount_in_shift(e);
    if (e->hold == I2CT_HOLD_RX) {
        /* The transfer ended under a held byte (the controller ignored the
         * stretch or timed out): Python saw it but it was never ACKed, or
         * nobody saw it at all. */
        e->counters[e->held_in_ring ? I2CT_CNT_NACKS : I2CT_CNT_RX_DROPPED]++;
    }
    i2ct_segment_t *seg = bus_segment(e);
    hold_end(e);
    if (seg) {
        seg->flags |= I2CT_SEG_ENDED | why;
        if (e->q_count == 1) {
            tx_flush_unsent(e);
        }
    }
    e->rx_credit = 0;
    e->rx_hold_last = false;
    e->bus = I2CT_BUS_IDLE;
    e->bus_regmap = NULL;
}

static bool can_accept_rx(const i2ct_engine_t *e) {
    return e->bus == I2CT_BUS_REQUEST && e->q_count == 1 && e->rx_credit
           && e->rx_len < I2CT_RX_SIZE;
}

/* Store a received byte Python has credit for.  Returns I2CT_ACK, or
 * I2CT_HOLD when it is the byte read(n, ack=False) holds for ack(). */
static i2ct_decision_t rx_accept(i2ct_engine_t *e, uint8_t b) {
    rx_push(e, b);
    if (e->rx_credit != RX_CREDIT_ALL) {
        e->rx_credit--;
    }
    if (e->rx_credit == 0 && e->rx_hold_last) {
        e->held_byte = b;
        hold_start(e, I2CT_HOLD_RX);
        e->held_in_ring = true;
        bus_segment(e)->flags |= I2CT_SEG_ACK_WAIT;
        bus_segment(e)->rx_unacked = 1;
        return I2CT_HOLD;
    }
    e->counters[I2CT_CNT_BYTES_IN]++;
    return I2CT_ACK;
}

/* Give the credit (or ring space) Python just made to a byte waiting for it. */
static void credit_held_byte(i2ct_engine_t *e) {
    if (e->hold != I2CT_HOLD_RX || e->held_in_ring || !can_accept_rx(e)) {
        return;
    }
    uint32_t since = e->hold_since_us;
    hold_end(e);
    if (rx_accept(e, e->held_byte) == I2CT_ACK) {
        i2ct_port_rx_release(e->port, true);
    } else {
        e->hold_since_us = since;  /* still the same stretch */
    }
}

/* ---- register mode ------------------------------------------------------- */

/* Data at the current index is refused: past the end (no wrap) or
 * read-only.  lo <= p < hi is tested as one unsigned compare, (p - lo) <
 * (hi - lo), which is also false for an empty range (lo == hi). */
I2CT_HOT_INLINE bool reg_data_refused(const i2ct_regmap_t *rm) {
    uint16_t p = rm->pointer;
    return p >= rm->size
           || (uint16_t)(p - rm->ro_lo[0]) < (uint16_t)(rm->ro_hi[0] - rm->ro_lo[0])
           || (uint16_t)(p - rm->ro_lo[1]) < (uint16_t)(rm->ro_hi[1] - rm->ro_lo[1]);
}

I2CT_HOT_INLINE void reg_advance(i2ct_regmap_t *rm) {
    rm->pointer++;
    if (rm->pointer >= rm->size && !(rm->flags & I2CT_REG_NO_WRAP)) {
        rm->pointer = 0;
    }
}

static uint8_t reg_index_bytes(const i2ct_regmap_t *rm) {
    return (rm->flags & I2CT_REG_INDEX16) ? 2 : 1;
}

static i2ct_rx_outlook_t reg_rx_outlook(const i2ct_engine_t *e) {
    const i2ct_regmap_t *rm = e->bus_regmap;
    if (e->reg_index_bytes_seen < reg_index_bytes(rm)) {
        return I2CT_RX_WILL_ACK;
    }
    return reg_data_refused(rm) ? I2CT_RX_WILL_NACK : I2CT_RX_WILL_ACK;
}

static i2ct_decision_t reg_on_byte_received(i2ct_engine_t *e, uint8_t b) {
    i2ct_regmap_t *rm = e->bus_regmap;
    uint8_t index_bytes = reg_index_bytes(rm);
    if (e->reg_index_bytes_seen < index_bytes) {
        uint16_t p = e->reg_index_bytes_seen ? (uint16_t)((rm->pointer << 8) | b) : b;
        e->reg_index_bytes_seen++;
        if (e->reg_index_bytes_seen == index_bytes && p >= rm->size) {
            p = (rm->flags & I2CT_REG_NO_WRAP) ? rm->size : (uint16_t)(p % rm->size);
        }
        rm->pointer = p;
        e->counters[I2CT_CNT_BYTES_IN]++;
        return I2CT_ACK;
    }
    if (reg_data_refused(rm)) {
        e->counters[I2CT_CNT_NACKS]++;
        return I2CT_NACK;
    }
    rm->mem[rm->pointer] = b;
    if (rm->dirty_hi <= rm->dirty_lo) {
        rm->dirty_lo = rm->pointer;
        rm->dirty_hi = (uint16_t)(rm->pointer + 1u);
    } else {
        if (rm->pointer < rm->dirty_lo) {
            rm->dirty_lo = rm->pointer;
        }
        if (rm->pointer >= rm->dirty_hi) {
            rm->dirty_hi = (uint16_t)(rm->pointer + 1u);
        }
    }
    reg_advance(rm);
    e->counters[I2CT_CNT_BYTES_IN]++;
    e->counters[I2CT_CNT_REG_WRITES]++;
    return I2CT_ACK;
}

I2CT_HOT_INLINE uint8_t reg_next_byte(i2ct_engine_t *e) {
    i2ct_regmap_t *rm = e->bus_regmap;
    if (rm->pointer >= rm->size) {
        e->tx_last_loaded = LOADED_FILLER;
        return e->filler;
    }
    uint8_t b = rm->mem[rm->pointer];
    reg_advance(rm);
    e->tx_last_loaded = LOADED_REGISTER;
    return b;
}

/* ---- setup --------------------------------------------------------------- */

void engine_init(i2ct_engine_t *e, void *port) {
    bytes_zero(e, sizeof(*e));
    e->port = port;
    e->filler = 0xFF;
}

int engine_add_address(i2ct_engine_t *e, uint8_t address) {
    if (address > 0x7F) {
        return I2CT_EINVAL;
    }
    if (is_listed(e, address)) {
        return I2CT_EEXIST;
    }
    if (e->n_addresses >= I2CT_MAX_ADDRESSES) {
        return I2CT_ENOSPC;
    }
    e->addresses[e->n_addresses++] = address;
    return 0;
}

int engine_set_regmap(i2ct_engine_t *e, uint8_t address, uint8_t *mem, uint16_t size,
    uint8_t flags) {
    if (!is_listed(e, address)) {
        return I2CT_ENOENT;
    }
    if (mem && size == 0) {
        return I2CT_EINVAL;
    }
    uint32_t irq = i2ct_port_irq_save(e->port);
    i2ct_regmap_t *rm = find_regmap(e, address);
    int result = 0;
    if (!rm && mem) {
        for (unsigned i = 0; i < I2CT_MAX_REGMAPS && !rm; i++) {
            if (!e->regmaps[i].mem) {
                rm = &e->regmaps[i];
            }
        }
        if (!rm) {
            result = I2CT_ENOSPC;
        }
    }
    if (rm) {
        if (e->bus_regmap == rm) {
            end_bus_segment(e, 0);
        }
        bytes_zero(rm, sizeof(*rm));
        if (mem) {
            rm->mem = mem;
            rm->size = size;
            rm->flags = flags;
            rm->address = address;
        }
    }
    i2ct_port_irq_restore(e->port, irq);
    return result;
}

int engine_set_readonly(i2ct_engine_t *e, uint8_t address, uint8_t slot, uint16_t lo,
    uint16_t hi) {
    i2ct_regmap_t *rm = find_regmap(e, address);
    if (!rm) {
        return I2CT_ENOENT;
    }
    if (slot >= 2 || lo > hi || hi > rm->size) {
        return I2CT_EINVAL;
    }
    uint32_t irq = i2ct_port_irq_save(e->port);
    rm->ro_lo[slot] = lo;
    rm->ro_hi[slot] = hi;
    i2ct_port_irq_restore(e->port, irq);
    return 0;
}

/* ---- interrupt-handler entry points -------------------------------------- */

i2ct_decision_t engine_on_address(i2ct_engine_t *e, uint8_t address, bool is_read,
    bool restart) {
    if (e->bus != I2CT_BUS_IDLE) {
        end_bus_segment(e, 0);
    }
    if (!is_listed(e, address)) {
        e->counters[I2CT_CNT_ADDR_NACKS]++;
        return I2CT_NACK;
    }
    i2ct_regmap_t *rm = find_regmap(e, address);
    if (rm) {
        e->counters[I2CT_CNT_SEGMENTS]++;
        e->bus = I2CT_BUS_REGISTER;
        e->bus_regmap = rm;
        e->reg_index_bytes_seen = 0;
        return I2CT_ACK;
    }
    if (e->q_count >= I2CT_QUEUE_LEN) {
        /* Python is behind by a whole queue: refuse rather than lose. */
        e->counters[I2CT_CNT_OVERRUNS]++;
        return I2CT_NACK;
    }
    e->counters[I2CT_CNT_SEGMENTS]++;
    e->q_count++;
    i2ct_segment_t *seg = queue_at(e, e->q_count - 1u);
    seg->address = address;
    seg->flags = (is_read ? I2CT_SEG_READ : 0u) | (restart ? I2CT_SEG_RESTART : 0u);
    seg->rx_avail = 0;
    seg->tx_sent = 0;
    seg->rx_unacked = 0;
    e->bus = I2CT_BUS_REQUEST;
    e->rx_credit = 0;
    e->rx_hold_last = false;
    return I2CT_ACK;
}

i2ct_rx_outlook_t engine_peek_rx(const i2ct_engine_t *e) {
    if (e->bus == I2CT_BUS_REGISTER) {
        return reg_rx_outlook(e);
    }
    const i2ct_segment_t *seg = bus_segment(e);
    if (!seg || (seg->flags & (I2CT_SEG_READ | I2CT_SEG_REFUSING)) || e->hold != I2CT_HOLD_NONE) {
        return I2CT_RX_WILL_NACK;
    }
    if (!can_accept_rx(e)) {
        /* No credit yet (Python has not asked, or is on an older segment)
         * or no room: the byte waits unacknowledged until Python makes room. */
        return I2CT_RX_WILL_HOLD_FOR_CREDIT;
    }
    return (e->rx_credit == 1u && e->rx_hold_last) ? I2CT_RX_WILL_HOLD_FOR_ACK : I2CT_RX_WILL_ACK;
}

i2ct_decision_t engine_on_byte_received(i2ct_engine_t *e, uint8_t byte) {
    if (e->bus == I2CT_BUS_REGISTER) {
        return reg_on_byte_received(e, byte);
    }
    switch (engine_peek_rx(e)) {
        case I2CT_RX_WILL_NACK:
            e->counters[I2CT_CNT_NACKS]++;
            return I2CT_NACK;
        case I2CT_RX_WILL_HOLD_FOR_CREDIT:
            e->held_byte = byte;
            e->held_in_ring = false;
            hold_start(e, I2CT_HOLD_RX);
            return I2CT_HOLD;
        default:
            return rx_accept(e, byte);
    }
}

i2ct_decision_t engine_on_byte_wanted(i2ct_engine_t *e, uint8_t *byte_out) {
    confirm_loaded(e);
    if (e->bus == I2CT_BUS_REGISTER) {
        *byte_out = reg_next_byte(e);
        return I2CT_SEND;
    }
    i2ct_segment_t *seg = bus_segment(e);
    if (!seg || !(seg->flags & I2CT_SEG_READ)
        || (seg->flags & I2CT_SEG_REFUSING)) {
        e->tx_last_loaded = LOADED_FILLER;
        *byte_out = e->filler;
        return I2CT_SEND;
    }
    if (python_is_on_bus_segment(e) && e->tx_len) {
        *byte_out = e->tx[e->tx_start];
        e->tx_start = (uint16_t)((e->tx_start + 1u) % I2CT_TX_SIZE);
        e->tx_len--;
        e->tx_last_loaded = LOADED_PYTHON;
        return I2CT_SEND;
    }
    hold_start(e, I2CT_HOLD_TX);
    return I2CT_HOLD;
}

void engine_on_byte_refused(i2ct_engine_t *e) {
    e->counters[I2CT_CNT_NACKS]++;
}

void engine_hold_began_at(i2ct_engine_t *e, uint32_t since_us) {
    if (e->hold != I2CT_HOLD_NONE) {
        e->hold_since_us = since_us;
    }
}

void engine_on_tx_unloaded(i2ct_engine_t *e) {
    if (e->tx_last_loaded == LOADED_PYTHON) {
        e->counters[I2CT_CNT_TX_UNSENT]++;
    }
    e->tx_last_loaded = LOADED_NONE;
}

i2ct_decision_t engine_on_byte_wanted_ahead(i2ct_engine_t *e, uint8_t *byte_out) {
    uint8_t moving = e->tx_last_loaded;
    i2ct_decision_t d = engine_on_byte_wanted(e, byte_out);   /* counts `moving` */
    e->tx_in_shift = moving;
    return d;
}

void engine_on_controller_nack(i2ct_engine_t *e) {
    e->tx_in_shift = LOADED_NONE;   /* the NACKed byte: it was clocked out */
    confirm_loaded(e);
    i2ct_segment_t *seg = bus_segment(e);
    if (seg) {
        seg->flags |= I2CT_SEG_CTRL_NACK;
    }
}

void engine_on_stop(i2ct_engine_t *e) {
    if (e->bus != I2CT_BUS_IDLE) {
        end_bus_segment(e, 0);
    }
}

void engine_on_bus_error(i2ct_engine_t *e) {
    e->counters[I2CT_CNT_BUS_ERRORS]++;
    if (e->bus != I2CT_BUS_IDLE) {
        end_bus_segment(e, I2CT_SEG_BUS_ERROR);
    }
}

bool engine_check_timeout(i2ct_engine_t *e, uint32_t now_us) {
    bool released = false;
    uint32_t irq = i2ct_port_irq_save(e->port);
    if (e->hold != I2CT_HOLD_NONE && e->max_stretch_us
        && (uint32_t)(now_us - e->hold_since_us) >= e->max_stretch_us) {
        i2ct_hold_t kind = e->hold;
        i2ct_segment_t *seg = bus_segment(e);
        if (seg) {
            seg->flags |= I2CT_SEG_TIMEOUT;
        }
        e->counters[I2CT_CNT_TIMEOUTS]++;
        hold_end(e);
        if (kind == I2CT_HOLD_RX) {
            e->counters[I2CT_CNT_NACKS]++;
            i2ct_port_rx_release(e->port, false);
        } else {
            e->tx_last_loaded = LOADED_FILLER;
            i2ct_port_tx_release(e->port, e->filler);
        }
        released = true;
    }
    i2ct_port_irq_restore(e->port, irq);
    return released;
}

/* ---- thread-context entry points ----------------------------------------- */

int32_t engine_py_request(i2ct_engine_t *e) {
    uint32_t irq = i2ct_port_irq_save(e->port);
    i2ct_segment_t *seg = queue_head(e);
    int32_t result = seg ? (int32_t)(seg->address | seg->flags) : I2CT_ENOENT;
    i2ct_port_irq_restore(e->port, irq);
    return result;
}

int32_t engine_py_status(i2ct_engine_t *e) {
    return engine_py_request(e);
}

int engine_py_rx_want(i2ct_engine_t *e, int32_t n, bool ack) {
    uint32_t irq = i2ct_port_irq_save(e->port);
    i2ct_segment_t *seg = queue_head(e);
    int result = 0;
    if (!seg) {
        result = I2CT_ENOENT;
    } else if (seg->flags & (I2CT_SEG_READ | I2CT_SEG_CLOSED | I2CT_SEG_ACK_WAIT)) {
        result = I2CT_ESTATE;
    } else if (python_is_on_bus_segment(e)) {
        /* Bytes already waiting in the ring count towards n. */
        e->rx_credit = n < 0 ? RX_CREDIT_ALL
            : (uint32_t)n > seg->rx_avail ? (uint32_t)n - seg->rx_avail : 0u;
        e->rx_hold_last = n > 0 && !ack;
        credit_held_byte(e);
    }
    i2ct_port_irq_restore(e->port, irq);
    return result;
}

int engine_py_rx_take(i2ct_engine_t *e, uint8_t *buf, int n) {
    uint32_t irq = i2ct_port_irq_save(e->port);
    i2ct_segment_t *seg = queue_head(e);
    int count = 0;
    if (!seg) {
        count = I2CT_ENOENT;
    } else {
        while (count < n && seg->rx_avail) {
            buf[count++] = e->rx[e->rx_start];
            rx_discard(e, 1);
            seg->rx_avail--;
        }
        /* Room in the ring may be what a held byte waited for. */
        credit_held_byte(e);
    }
    i2ct_port_irq_restore(e->port, irq);
    return count;
}

int engine_py_tx_put(i2ct_engine_t *e, const uint8_t *buf, int n) {
    uint32_t irq = i2ct_port_irq_save(e->port);
    i2ct_segment_t *seg = queue_head(e);
    int count = 0;
    if (!seg) {
        count = I2CT_ENOENT;
    } else if (!(seg->flags & I2CT_SEG_READ) || (seg->flags & I2CT_SEG_CLOSED)) {
        count = I2CT_ESTATE;
    } else if (!(seg->flags & (I2CT_SEG_ENDED | I2CT_SEG_TIMEOUT))) {
        while (count < n && e->tx_len < I2CT_TX_SIZE) {
            e->tx[(e->tx_start + e->tx_len) % I2CT_TX_SIZE] = buf[count++];
            e->tx_len++;
        }
        if (e->hold == I2CT_HOLD_TX && e->tx_len && python_is_on_bus_segment(e)) {
            uint8_t b = e->tx[e->tx_start];
            e->tx_start = (uint16_t)((e->tx_start + 1u) % I2CT_TX_SIZE);
            e->tx_len--;
            hold_end(e);
            e->tx_last_loaded = LOADED_PYTHON;
            i2ct_port_tx_release(e->port, b);
        }
    }
    i2ct_port_irq_restore(e->port, irq);
    return count;
}

int engine_py_tx_sent(i2ct_engine_t *e) {
    uint32_t irq = i2ct_port_irq_save(e->port);
    i2ct_segment_t *seg = queue_head(e);
    int result = seg ? seg->tx_sent : I2CT_ENOENT;
    i2ct_port_irq_restore(e->port, irq);
    return result;
}

int engine_py_tx_pending(i2ct_engine_t *e) {
    uint32_t irq = i2ct_port_irq_save(e->port);
    int result = e->tx_len;
    i2ct_port_irq_restore(e->port, irq);
    return result;
}

int engine_py_ack(i2ct_engine_t *e, bool ack) {
    uint32_t irq = i2ct_port_irq_save(e->port);
    i2ct_segment_t *seg = queue_head(e);
    int result = 0;
    if (!seg) {
        result = I2CT_ENOENT;
    } else if (!(seg->flags & I2CT_SEG_ACK_WAIT) || !python_is_on_bus_segment(e)) {
        result = I2CT_ESTATE;
    } else {
        hold_end(e);
        if (ack) {
            e->counters[I2CT_CNT_BYTES_IN]++;
            seg->rx_unacked = 0;
        } else {
            e->counters[I2CT_CNT_NACKS]++;
            /* The controller is told to stop; anything more it sends is NACKed. */
            seg->flags |= I2CT_SEG_NACKED;
        }
        i2ct_port_rx_release(e->port, ack);
    }
    i2ct_port_irq_restore(e->port, irq);
    return result;
}

int engine_py_close(i2ct_engine_t *e) {
    uint32_t irq = i2ct_port_irq_save(e->port);
    i2ct_segment_t *seg = queue_head(e);
    int result = 0;
    if (!seg) {
        result = I2CT_ENOENT;
    } else {
        seg->flags |= I2CT_SEG_CLOSED;
        if (python_is_on_bus_segment(e)) {
            /* Release a byte held for Python: the rest of the segment is
             * NACKed (write) or filled (read) from now on. */
            if (e->hold == I2CT_HOLD_RX) {
                hold_end(e);
                e->counters[I2CT_CNT_NACKS]++;
                i2ct_port_rx_release(e->port, false);
            } else if (e->hold == I2CT_HOLD_TX) {
                hold_end(e);
                e->tx_last_loaded = LOADED_FILLER;
                i2ct_port_tx_release(e->port, e->filler);
            }
            e->rx_credit = 0;
            tx_flush_unsent(e);
            /* The bus segment outlives the request: serve it as ignored. */
            e->bus = I2CT_BUS_IGNORE;
        }
        discard_unread(e, seg);
        e->q_head = (uint8_t)((e->q_head + 1u) % I2CT_QUEUE_LEN);
        e->q_count--;
    }
    i2ct_port_irq_restore(e->port, irq);
    return result;
}

int engine_py_configure(i2ct_engine_t *e, int key, uint32_t value) {
    switch (key) {
        case I2CT_CFG_MAX_STRETCH_US:
            e->max_stretch_us = value;
            return 0;
        case I2CT_CFG_FILLER:
            if (value > 0xFF) {
                return I2CT_EINVAL;
            }
            e->filler = (uint8_t)value;
            return 0;
        default:
            return I2CT_EINVAL;
    }
}

int engine_py_reg_dirty(i2ct_engine_t *e, uint8_t address, uint16_t *lo, uint16_t *hi) {
    i2ct_regmap_t *rm = find_regmap(e, address);
    if (!rm) {
        return I2CT_ENOENT;
    }
    uint32_t irq = i2ct_port_irq_save(e->port);
    int result = 0;
    if (rm->dirty_hi > rm->dirty_lo) {
        *lo = rm->dirty_lo;
        *hi = rm->dirty_hi;
        rm->dirty_lo = rm->dirty_hi = 0;
        result = 1;
    }
    i2ct_port_irq_restore(e->port, irq);
    return result;
}

uint32_t engine_py_counter(i2ct_engine_t *e, int index) {
    if (index < 0 || index >= I2CT_CNT_COUNT) {
        return 0;
    }
    return e->counters[index];
}

void engine_reset_bus(i2ct_engine_t *e) {
    uint32_t irq = i2ct_port_irq_save(e->port);
    if (e->bus != I2CT_BUS_IDLE) {
        end_bus_segment(e, 0);
    }
    while (e->q_count) {
        i2ct_segment_t *seg = queue_head(e);
        discard_unread(e, seg);
        e->q_head = (uint8_t)((e->q_head + 1u) % I2CT_QUEUE_LEN);
        e->q_count--;
    }
    e->rx_start = e->rx_len = 0;
    tx_flush_unsent(e);
    i2ct_port_irq_restore(e->port, irq);
}
