/*
 * A port that drives no hardware: the engine and glue of an architecture with
 * no chip port yet link against it, as a toolchain check (the resulting .mpy
 * loads, reports port() == -1 and opens nothing).
 */
#include "natmod/i2ct_glue.h"

int i2ct_port_id(void) {
    return -1;
}

int i2ct_port_open(int t, i2ct_engine_t *e, int scl, int sda, int flags) {
    (void)t;
    (void)e;
    (void)scl;
    (void)sda;
    (void)flags;
    return I2CT_PORT_EPIN;
}

void i2ct_port_close(int t) {
    (void)t;
}

void *i2ct_port_state(int t) {
    (void)t;
    return NULL;
}

void i2ct_port_rx_release(void *port, bool ack) {
    (void)port;
    (void)ack;
}

void i2ct_port_tx_release(void *port, uint8_t byte) {
    (void)port;
    (void)byte;
}

uint32_t i2ct_port_now_us(void *port) {
    (void)port;
    return 0;
}

uint32_t i2ct_port_irq_save(void *port) {
    (void)port;
    return 0;
}

void i2ct_port_irq_restore(void *port, uint32_t state) {
    (void)port;
    (void)state;
}
