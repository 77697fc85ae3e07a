/*
 * i2ct_engine: the portable I2C target engine.
 *
 * One engine instance serves one I2C target block (several addresses).  It is
 * fed by a port's interrupt handler through the engine_on_* entry points and
 * answers each with a decision; it is driven from Python (through the flat
 * glue) by the engine_py_* entry points.  Portable C99, no libc, no
 * allocation, names no chip.
 *
 * Two ways an address can be served:
 *  - request mode: every addressed segment (START or repeated START + address
 *    + direction) is queued in bus order for Python; data bytes are ACKed only
 *    as far as Python asked for them (read(n) grants n bytes of credit), so a
 *    byte Python never asked for is held (clock stretched) or NACKed, never
 *    silently swallowed.
 *  - register mode: a memory buffer served entirely from the interrupt
 *    handler (index byte(s) first, auto-increment, wrap, read-only ranges),
 *    for controllers that cannot stretch and for EEPROM-like devices.
 *
 * A byte held for Python is released by the engine itself after the maximum
 * stretch time (NACK for a written byte, 0xFF for a read byte) and counted.
 *
 * Concurrency: engine_on_* run in the interrupt handler; engine_py_* run in
 * thread context and enter a critical section (port hook) around every
 * access to state shared with the handler.
 */
#ifndef I2CT_ENGINE_H
#define I2CT_ENGINE_H

#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>

/* ---- sizes (compile-time, no allocation) ------------------------------ */
/* Every byte the controller writes ends in exactly one of BYTES_IN, NACKS
 * and RX_DROPPED; every byte it clocks out of us in BYTES_OUT or FILLER. */
#ifndef I2CT_MAX_ADDRESSES
#define I2CT_MAX_ADDRESSES 8       /* addresses one target answers */
#endif
#ifndef I2CT_MAX_REGMAPS
#define I2CT_MAX_REGMAPS 4         /* register-mode memories per target */
#endif
#ifndef I2CT_QUEUE_LEN
#define I2CT_QUEUE_LEN 8           /* request-mode segments queued for Python */
#endif
#ifndef I2CT_RX_SIZE
#define I2CT_RX_SIZE 128           /* bytes received, not yet read by Python */
#endif
#ifndef I2CT_TX_SIZE
#define I2CT_TX_SIZE 64            /* bytes written by Python, not yet sent */
#endif

/* ---- decisions returned to the port's interrupt handler ---------------- */
typedef enum {
    I2CT_ACK = 0,   /* acknowledge (address or received byte) */
    I2CT_NACK = 1,  /* not acknowledge */
    I2CT_SEND = 2,  /* *byte_out holds the byte to transmit */
    I2CT_HOLD = 3,  /* keep SCL low; the engine calls a port_*_release hook later */
} i2ct_decision_t;

/* Segment flags: packed into the value engine_py_request() returns and the
 * value engine_py_status() returns.  Values are part of the glue ABI. */
#define I2CT_SEG_READ      0x0100u  /* controller reads from us */
#define I2CT_SEG_RESTART   0x0200u  /* began with a repeated START */
#define I2CT_SEG_ENDED     0x0400u  /* the bus segment is over (STOP, restart, NACK, error) */
#define I2CT_SEG_CLOSED    0x0800u  /* Python closed it (rest is NACK / filler) */
#define I2CT_SEG_HELD      0x1000u  /* a byte of this segment holds the clock now */
#define I2CT_SEG_ACK_WAIT  0x2000u  /* the held byte waits for engine_py_ack() */
#define I2CT_SEG_CTRL_NACK 0x4000u  /* the controller NACKed a byte we sent */
#define I2CT_SEG_TIMEOUT   0x8000u  /* the engine released a hold on its own */
#define I2CT_SEG_BUS_ERROR 0x10000u /* bus error / arbitration loss ended it */
#define I2CT_SEG_NACKED    0x20000u /* ack(False) refused a byte: the rest is NACKed */
/* Any of these: the engine answers the rest of the segment itself. */
#define I2CT_SEG_REFUSING  (I2CT_SEG_CLOSED | I2CT_SEG_TIMEOUT | I2CT_SEG_NACKED)

/* Counter indices, for engine_py_stats(). Part of the glue ABI. */
enum {
    I2CT_CNT_BYTES_IN = 0,   /* data bytes ACKed (request + register mode) */
    I2CT_CNT_BYTES_OUT,      /* data bytes sent that the controller clocked out */
    I2CT_CNT_NACKS,          /* data bytes we NACKed */
    I2CT_CNT_FILLER,         /* 0xFF bytes sent because Python had nothing */
    I2CT_CNT_TIMEOUTS,       /* holds released by the maximum stretch time */
    I2CT_CNT_BUS_ERRORS,     /* bus errors reported by the port */
    I2CT_CNT_OVERRUNS,       /* addresses NACKed because the queue was full */
    I2CT_CNT_RX_DROPPED,     /* written bytes neither ACKed nor NACKed: lost under a hold */
    I2CT_CNT_TX_UNSENT,      /* bytes Python wrote that the controller never read */
    I2CT_CNT_SEGMENTS,       /* segments addressed to us (both modes) */
    I2CT_CNT_ADDR_NACKS,     /* addresses NACKed (not ours / disabled) */
    I2CT_CNT_REG_WRITES,     /* bytes stored by register mode (subset of BYTES_IN) */
    I2CT_CNT_RX_UNREAD,      /* ACKed bytes Python closed without reading (subset of BYTES_IN) */
    I2CT_CNT_COUNT
};

/* Configuration keys for engine_py_configure(). Part of the glue ABI. */
enum {
    I2CT_CFG_MAX_STRETCH_US = 0, /* 0 = hold forever */
    I2CT_CFG_FILLER = 1,         /* byte sent when Python has none (default 0xFF) */
};

/* Register-mode flags. */
#define I2CT_REG_INDEX16   0x01u  /* two index bytes, big-endian (24C32 style) */
#define I2CT_REG_NO_WRAP   0x02u  /* past the end: NACK writes, filler reads */

typedef struct {
    uint8_t *mem;           /* Python-owned buffer, kept alive by the wrapper */
    uint16_t size;
    uint16_t ro_lo[2], ro_hi[2];   /* read-only [lo, hi) ranges; lo == hi: none */
    uint16_t dirty_lo, dirty_hi;   /* span written by the controller since last asked */
    uint16_t pointer;       /* current index */
    uint8_t flags;
    uint8_t address;        /* 0: slot unused */
} i2ct_regmap_t;

typedef struct {
    uint32_t flags;         /* I2CT_SEG_* */
    uint16_t rx_avail;      /* bytes of this segment in the rx ring */
    uint16_t tx_sent;       /* bytes the controller clocked out */
    uint8_t address;
    uint8_t rx_unacked;     /* the last byte in the ring was never ACKed (ack-wait) */
} i2ct_segment_t;

typedef enum {
    I2CT_BUS_IDLE = 0,      /* not addressed */
    I2CT_BUS_REQUEST,       /* in a request-mode segment (queue tail) */
    I2CT_BUS_REGISTER,      /* in a register-mode segment */
    I2CT_BUS_IGNORE,        /* NACKing / filling until the segment ends */
} i2ct_bus_state_t;

typedef enum {
    I2CT_HOLD_NONE = 0,
    I2CT_HOLD_RX,           /* a received byte waits for credit or ack() */
    I2CT_HOLD_TX,           /* the controller waits for a byte from Python */
} i2ct_hold_t;

typedef struct i2ct_engine {
    void *port;                     /* port's own state, passed to hooks */
    uint8_t addresses[I2CT_MAX_ADDRESSES];
    uint8_t n_addresses;
    uint8_t filler;
    uint32_t max_stretch_us;

    i2ct_regmap_t regmaps[I2CT_MAX_REGMAPS];
    i2ct_regmap_t *bus_regmap;      /* regmap of the register segment on the bus */
    uint8_t reg_index_bytes_seen;   /* index bytes received in this write */

    /* request-mode segments, bus order: head (Python) .. tail (bus) */
    i2ct_segment_t queue[I2CT_QUEUE_LEN];
    uint8_t q_head, q_count;
    i2ct_bus_state_t bus;

    /* credit for the bus segment, granted by Python */
    uint32_t rx_credit;             /* bytes still to ACK without asking */
    bool rx_hold_last;              /* hold the byte that takes the last credit */
    uint8_t tx_last_loaded;         /* what was loaded last and not yet ACK/NACKed */
    uint8_t tx_in_shift;            /* one-ahead block: counted byte still on the wire */

    i2ct_hold_t hold;
    uint8_t held_byte;              /* I2CT_HOLD_RX: the byte waiting */
    bool held_in_ring;              /* it has been given to Python (ack() pending) */
    uint32_t hold_since_us;

    uint8_t rx[I2CT_RX_SIZE];
    uint16_t rx_start, rx_len;
    uint8_t tx[I2CT_TX_SIZE];
    uint16_t tx_start, tx_len;

    uint32_t counters[I2CT_CNT_COUNT];
} i2ct_engine_t;

/* ---- hooks the port implements (ports/<chip>/) ------------------------- */
/* Resolve a held received byte: ack=true ACK, false NACK; release SCL. */
void i2ct_port_rx_release(void *port, bool ack);
/* Resolve a held byte request: transmit `byte`; release SCL. */
void i2ct_port_tx_release(void *port, uint8_t byte);
/* Microseconds, wrapping; used only to time holds. */
uint32_t i2ct_port_now_us(void *port);
/* Mask / unmask the target's interrupt around thread-context engine access. */
uint32_t i2ct_port_irq_save(void *port);
void i2ct_port_irq_restore(void *port, uint32_t state);

/* ---- setup (thread context, target disabled) ---------------------------- */
void engine_init(i2ct_engine_t *e, void *port);
/* Returns 0, or a negative I2CT_E* code. */
int engine_add_address(i2ct_engine_t *e, uint8_t address);
int engine_set_regmap(i2ct_engine_t *e, uint8_t address, uint8_t *mem, uint16_t size,
    uint8_t flags);
int engine_set_readonly(i2ct_engine_t *e, uint8_t address, uint8_t slot, uint16_t lo,
    uint16_t hi);

/* Error codes returned by setup and Python entry points. */
#define I2CT_EINVAL   (-1)  /* argument out of range */
#define I2CT_ENOSPC   (-2)  /* table full */
#define I2CT_EEXIST   (-3)  /* already configured */
#define I2CT_ENOENT   (-4)  /* no such address / no current segment */
#define I2CT_ESTATE   (-5)  /* wrong state for this call */

/* ---- interrupt-handler entry points (called by ports) ------------------ */
/* Our block matched `address` (7-bit).  restart: began with repeated START. */
i2ct_decision_t engine_on_address(i2ct_engine_t *e, uint8_t address, bool is_read,
    bool restart);
/* The controller wrote `byte`; decide its ACK. */
i2ct_decision_t engine_on_byte_received(i2ct_engine_t *e, uint8_t byte);
/* The controller clocks a byte out of us (after our address ACK or its ACK
 * of the previous byte). */
i2ct_decision_t engine_on_byte_wanted(i2ct_engine_t *e, uint8_t *byte_out);
/* What engine_on_byte_received() will decide for the next byte, without
 * receiving it.  The decision never depends on the byte's value, so a block
 * that must ACK before it can interrupt (STM32 I2C v1) sets the ACK bit ahead. */
typedef enum {
    I2CT_RX_WILL_ACK = 0,
    I2CT_RX_WILL_NACK,
    I2CT_RX_WILL_HOLD_FOR_CREDIT,   /* until Python asks for more */
    I2CT_RX_WILL_HOLD_FOR_ACK,      /* read(n, ack=False): Python decides */
} i2ct_rx_outlook_t;
i2ct_rx_outlook_t engine_peek_rx(const i2ct_engine_t *e);
/* The byte handed over by engine_on_byte_wanted() was never clocked out (a
 * block that loads one byte ahead flushed it): count it unsent. */
void engine_on_tx_unloaded(i2ct_engine_t *e);
/* engine_on_byte_wanted() for a block that loads one byte ahead and asks
 * for the next byte when the one loaded last moves into its shift register
 * (STM32 I2C v2 TXIS).  That byte is counted sent now, so that write() and
 * tx_sent see it while the controller clocks it; if the segment then ends by
 * STOP, repeated START or bus error before the controller ACKed or NACKed it,
 * the count moves to TX_UNSENT (bytes_out / filler one less). */
i2ct_decision_t engine_on_byte_wanted_ahead(i2ct_engine_t *e, uint8_t *byte_out);
/* The hardware refused a written byte on its own (e.g. RP2's
 * IC_SLV_DATA_NACK_ONLY) without the engine seeing it: count the NACK. */
void engine_on_byte_refused(i2ct_engine_t *e);
/* The controller has been held since `since_us` (before the port could ask
 * the engine): time the hold that engine_on_byte_* just started from then. */
void engine_hold_began_at(i2ct_engine_t *e, uint32_t since_us);
/* The controller NACKed the byte we sent last (it wants no more). */
void engine_on_controller_nack(i2ct_engine_t *e);
/* STOP seen (also: the port's own timeout ended the transfer). */
void engine_on_stop(i2ct_engine_t *e);
/* Bus error, arbitration loss, or a hardware timeout such as SMBus LOWTOUT. */
void engine_on_bus_error(i2ct_engine_t *e);
/* Release a hold older than the maximum stretch time; call from a timer or
 * from thread context.  Returns true when it released something. */
bool engine_check_timeout(i2ct_engine_t *e, uint32_t now_us);

/* ---- thread-context entry points (called by the glue for Python) ------- */
/* Head segment of the queue: address | I2CT_SEG_* flags, or I2CT_ENOENT. */
int32_t engine_py_request(i2ct_engine_t *e);
/* Flags of the head segment (I2CT_SEG_*), or I2CT_ENOENT. */
int32_t engine_py_status(i2ct_engine_t *e);
/* Ask for n more bytes of the head (write) segment; n < 0: all of it.
 * ack=false: the n-th byte is held for engine_py_ack(). */
int engine_py_rx_want(i2ct_engine_t *e, int32_t n, bool ack);
/* Copy up to n received bytes of the head segment into buf; returns count. */
int engine_py_rx_take(i2ct_engine_t *e, uint8_t *buf, int n);
/* Queue up to n bytes for the head (read) segment; returns how many fit. */
int engine_py_tx_put(i2ct_engine_t *e, const uint8_t *buf, int n);
/* Bytes of the head segment the controller has clocked out so far. */
int engine_py_tx_sent(i2ct_engine_t *e);
/* Bytes written by Python still waiting in the engine. */
int engine_py_tx_pending(i2ct_engine_t *e);
/* Resolve the byte held by read(n, ack=False). */
int engine_py_ack(i2ct_engine_t *e, bool ack);
/* Close the head segment and pop it: NACK / filler for the rest. */
int engine_py_close(i2ct_engine_t *e);
int engine_py_configure(i2ct_engine_t *e, int key, uint32_t value);
/* Span [lo, hi) of a register map written by the controller since the last
 * call: 1 and the span, 0 when nothing was written, I2CT_ENOENT when the
 * address has no map.  Clears the span. */
int engine_py_reg_dirty(i2ct_engine_t *e, uint8_t address, uint16_t *lo, uint16_t *hi);
uint32_t engine_py_counter(i2ct_engine_t *e, int index);
/* Forget all bus state (target disabled): ends segments, drops holds. */
void engine_reset_bus(i2ct_engine_t *e);

#endif
