/*
 * The simulator port.  Where a chip's interrupt handler reads a status
 * register and calls the engine, these functions are called by the Python
 * bus model with what the controller just did on the wires.  A hold is
 * recorded here and resolved when the engine calls a release hook, exactly
 * as a chip's SCL would be released by a register write.
 */
#include "sim_port.h"

typedef struct {
    int scl, sda;
    bool open;
    bool held;          /* SCL is held low by us */
    int outcome;        /* what the held call resolved to */
} sim_target_t;

static sim_target_t sim_targets[I2CT_MAX_TARGETS];
static uint32_t sim_time_us;

/* ---- engine hooks -------------------------------------------------------- */

void i2ct_port_rx_release(void *port, bool ack) {
    sim_target_t *s = (sim_target_t *)port;
    s->held = false;
    s->outcome = ack ? I2CT_SIM_ACK : I2CT_SIM_NACK;
}

void i2ct_port_tx_release(void *port, uint8_t byte) {
    sim_target_t *s = (sim_target_t *)port;
    s->held = false;
    s->outcome = I2CT_SIM_SENT | byte;
}

uint32_t i2ct_port_now_us(void *port) {
    (void)port;
    return sim_time_us;
}

/* The sim has no interrupts: the bus model and Python take turns. */
uint32_t i2ct_port_irq_save(void *port) {
    (void)port;
    return 0;
}

void i2ct_port_irq_restore(void *port, uint32_t state) {
    (void)port;
    (void)state;
}

/* ---- port setup ---------------------------------------------------------- */

int i2ct_port_id(void) {
    return I2CT_PORT_SIM;
}

void *i2ct_port_state(int t) {
    return &sim_targets[t];
}

int i2ct_port_open(int t, i2ct_engine_t *e, int scl, int sda, int flags) {
    (void)e;
    (void)flags;
    if (scl < 0 || sda < 0 || scl == sda) {
        return I2CT_PORT_EPIN;
    }
    for (int i = 0; i < I2CT_MAX_TARGETS; i++) {
        sim_target_t *o = &sim_targets[i];
        if (i != t && o->open && (o->scl == scl || o->sda == sda || o->scl == sda || o->sda == scl)) {
            return I2CT_PORT_EBUSY;
        }
    }
    sim_target_t *s = &sim_targets[t];
    s->scl = scl;
    s->sda = sda;
    s->open = true;
    s->held = false;
    s->outcome = I2CT_SIM_ACK;
    return 0;
}

void i2ct_port_close(int t) {
    if (t >= 0 && t < I2CT_MAX_TARGETS) {
        sim_targets[t].open = false;
        sim_targets[t].held = false;
    }
}

/* ---- the bus model's side ------------------------------------------------ */

static int decision_to_result(sim_target_t *s, i2ct_decision_t d, uint8_t byte) {
    switch (d) {
        case I2CT_ACK:
            return I2CT_SIM_ACK;
        case I2CT_NACK:
            return I2CT_SIM_NACK;
        case I2CT_SEND:
            return I2CT_SIM_SENT | byte;
        default:
            s->held = true;
            return I2CT_SIM_HOLD;
    }
}

int i2ct_sim_address(int t, int address, int is_read, int restart) {
    i2ct_engine_t *e = i2ct_engine_of(t);
    if (!e) {
        return I2CT_SIM_CLOSED;
    }
    /* A START ends whatever this target was holding (only a controller that
     * ignores stretching can send one then). */
    sim_targets[t].held = false;
    return decision_to_result(&sim_targets[t],
        engine_on_address(e, (uint8_t)(address & 0x7F), is_read != 0, restart != 0), 0);
}

int i2ct_sim_write_byte(int t, int byte) {
    i2ct_engine_t *e = i2ct_engine_of(t);
    if (!e) {
        return I2CT_SIM_CLOSED;
    }
    return decision_to_result(&sim_targets[t], engine_on_byte_received(e, (uint8_t)byte), 0);
}

int i2ct_sim_read_byte(int t) {
    i2ct_engine_t *e = i2ct_engine_of(t);
    if (!e) {
        return I2CT_SIM_CLOSED;
    }
    uint8_t byte = 0xFF;
    i2ct_decision_t d = engine_on_byte_wanted(e, &byte);
    return decision_to_result(&sim_targets[t], d, byte);
}

int i2ct_sim_controller_nack(int t) {
    i2ct_engine_t *e = i2ct_engine_of(t);
    if (!e) {
        return I2CT_SIM_CLOSED;
    }
    engine_on_controller_nack(e);
    return 0;
}

int i2ct_sim_stop(int t) {
    i2ct_engine_t *e = i2ct_engine_of(t);
    if (!e) {
        return I2CT_SIM_CLOSED;
    }
    sim_targets[t].held = false;
    engine_on_stop(e);
    return 0;
}

int i2ct_sim_bus_error(int t) {
    i2ct_engine_t *e = i2ct_engine_of(t);
    if (!e) {
        return I2CT_SIM_CLOSED;
    }
    sim_targets[t].held = false;
    engine_on_bus_error(e);
    return 0;
}

int i2ct_sim_poll(int t) {
    if (t < 0 || t >= I2CT_MAX_TARGETS || !sim_targets[t].open) {
        return I2CT_SIM_CLOSED;
    }
    return sim_targets[t].held ? I2CT_SIM_HOLD : sim_targets[t].outcome;
}

int i2ct_sim_set_time(int us) {
    sim_time_us = (uint32_t)us;
    return 0;
}
