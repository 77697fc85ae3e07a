/*
 * The flat function set the native module exposes (ctypes-like: ints and
 * buffers in, ints out).  All object API lives in Python.  The same
 * functions are exported from the host shared library (CPython, ctypes) and
 * registered by natmod/mpy_module.c in the .mpy module `_i2ct`, where each is
 * named without its `i2ct_` prefix.  Negative results are I2CT_E* codes
 * (engine) or I2CT_PORT_E* codes (port); the Python wrapper turns them into
 * exceptions.  `t` selects one of I2CT_MAX_TARGETS target instances.
 */
#ifndef I2CT_GLUE_H
#define I2CT_GLUE_H

#include "engine/i2ct_engine.h"

#define I2CT_ABI_VERSION 1
#ifndef I2CT_MAX_TARGETS
#define I2CT_MAX_TARGETS 2
#endif

/* Port identifiers returned by i2ct_port_id(). */
enum {
    I2CT_PORT_SIM = 0,
    I2CT_PORT_SAMD51 = 1,
    I2CT_PORT_SAMD21 = 2,
    I2CT_PORT_RP2040 = 3,
    I2CT_PORT_RP2350 = 4,
    I2CT_PORT_STM32_V1 = 5,
    I2CT_PORT_STM32_V2 = 6,
};

/* Errors from ports' open (beside the engine's I2CT_E*). */
#define I2CT_PORT_EPIN     (-20)  /* pin cannot be SCL/SDA of any instance */
#define I2CT_PORT_EBUSY    (-21)  /* hardware instance already in use */
#define I2CT_PORT_EADDR    (-22)  /* address set the hardware cannot match */
#define I2CT_PORT_EINST    (-23)  /* no such instance / target slot */
#define I2CT_PORT_ESTATE   (-24)  /* target not open / already open */

/* ---- what a port provides besides the interrupt hooks ------------------ */
int i2ct_port_id(void);
/* Claim pins, clocks and interrupt; start answering.  The engine is
 * initialised and holds the addresses already. */
int i2ct_port_open(int t, i2ct_engine_t *e, int scl, int sda, int flags);
/* Stop answering, release everything open() took. Idempotent. */
void i2ct_port_close(int t);
/* Port state pointer for target t (handed to the engine's hooks). */
void *i2ct_port_state(int t);

/* open() flags */
#define I2CT_OPEN_SMBUS 0x01u     /* hardware SMBus timeouts where available */

/* ---- the flat functions ------------------------------------------------- */
int i2ct_abi_version(void);
int i2ct_port(void);
int i2ct_open(int t, int scl, int sda, const uint8_t *addresses, int n_addresses, int flags);
int i2ct_close(int t);
int i2ct_is_open(int t);
int i2ct_configure(int t, int key, int value);
int i2ct_set_regmap(int t, int address, uint8_t *mem, int size, int flags);
int i2ct_set_readonly(int t, int address, int slot, int lo, int hi);
int i2ct_request(int t);
int i2ct_status(int t);
int i2ct_rx_want(int t, int n, int ack);
int i2ct_rx_take(int t, uint8_t *buf, int n);
int i2ct_tx_put(int t, const uint8_t *buf, int n);
int i2ct_tx_sent(int t);
int i2ct_tx_pending(int t);
int i2ct_ack(int t, int ack);
int i2ct_seg_close(int t);
/* Fills span[0..3] with lo, hi (little-endian 16-bit each) and returns 1
 * when the controller wrote the map since the last call, else 0. */
int i2ct_reg_dirty(int t, int address, uint8_t *span, int n);
int i2ct_counter(int t, int index);
/* Thread-context housekeeping: releases holds past the stretch limit. */
int i2ct_service(int t);

/* For the sim port and tests: the engine of open target t, or NULL. */
i2ct_engine_t *i2ct_engine_of(int t);

#endif
