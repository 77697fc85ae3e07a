/*
 * The flat functions: argument checks, target slot lookup, and a call into
 * the engine or the port.  Target instances live here, statically: the
 * engine never allocates and neither does this file.
 */
#include "i2ct_glue.h"

static i2ct_engine_t targets[I2CT_MAX_TARGETS];
static bool target_open[I2CT_MAX_TARGETS];

static i2ct_engine_t *open_target(int t) {
    if (t < 0 || t >= I2CT_MAX_TARGETS || !target_open[t]) {
        return NULL;
    }
    return &targets[t];
}

int i2ct_abi_version(void) {
    return I2CT_ABI_VERSION;
}

int i2ct_port(void) {
    return i2ct_port_id();
}

int i2ct_open(int t, int scl, int sda, const uint8_t *addresses, int n_addresses, int flags) {
    if (t < 0 || t >= I2CT_MAX_TARGETS) {
        return I2CT_PORT_EINST;
    }
    if (target_open[t]) {
        return I2CT_PORT_ESTATE;
    }
    if (n_addresses <= 0 || n_addresses > I2CT_MAX_ADDRESSES) {
        return n_addresses <= 0 ? I2CT_EINVAL : I2CT_ENOSPC;
    }
    i2ct_engine_t *e = &targets[t];
    engine_init(e, i2ct_port_state(t));
    for (int i = 0; i < n_addresses; i++) {
        int err = engine_add_address(e, addresses[i]);
        if (err) {
            return err;
        }
    }
    int err = i2ct_port_open(t, e, scl, sda, flags);
    if (err) {
        return err;
    }
    target_open[t] = true;
    return 0;
}

int i2ct_close(int t) {
    i2ct_engine_t *e = open_target(t);
    if (!e) {
        return I2CT_PORT_ESTATE;
    }
    /* Hardware first, so no interrupt runs into an engine being reset. */
    i2ct_port_close(t);
    engine_reset_bus(e);
    target_open[t] = false;
    return 0;
}

int i2ct_is_open(int t) {
    return open_target(t) != NULL;
}

int i2ct_configure(int t, int key, int value) {
    i2ct_engine_t *e = open_target(t);
    if (!e) {
        return I2CT_PORT_ESTATE;
    }
    if (value < 0) {
        return I2CT_EINVAL;
    }
    return engine_py_configure(e, key, (uint32_t)value);
}

int i2ct_set_regmap(int t, int address, uint8_t *mem, int size, int flags) {
    i2ct_engine_t *e = open_target(t);
    if (!e) {
        return I2CT_PORT_ESTATE;
    }
    if (address < 0 || address > 0x7F || size < 0 || size > 0xFFFF || flags < 0 || flags > 0xFF) {
        return I2CT_EINVAL;
    }
    return engine_set_regmap(e, (uint8_t)address, size ? mem : NULL, (uint16_t)size,
        (uint8_t)flags);
}

int i2ct_set_readonly(int t, int address, int slot, int lo, int hi) {
    i2ct_engine_t *e = open_target(t);
    if (!e) {
        return I2CT_PORT_ESTATE;
    }
    if (address < 0 || address > 0x7F || slot < 0 || slot > 1 || lo < 0 || hi < 0
        || lo > 0xFFFF || hi > 0xFFFF) {
        return I2CT_EINVAL;
    }
    return engine_set_readonly(e, (uint8_t)address, (uint8_t)slot, (uint16_t)lo, (uint16_t)hi);
}

int i2ct_request(int t) {
    i2ct_engine_t *e = open_target(t);
    return e ? engine_py_request(e) : I2CT_PORT_ESTATE;
}

int i2ct_status(int t) {
    i2ct_engine_t *e = open_target(t);
    return e ? engine_py_status(e) : I2CT_PORT_ESTATE;
}

int i2ct_rx_want(int t, int n, int ack) {
    i2ct_engine_t *e = open_target(t);
    return e ? engine_py_rx_want(e, n, ack != 0) : I2CT_PORT_ESTATE;
}

int i2ct_rx_take(int t, uint8_t *buf, int n) {
    i2ct_engine_t *e = open_target(t);
    return e ? engine_py_rx_take(e, buf, n) : I2CT_PORT_ESTATE;
}

int i2ct_tx_put(int t, const uint8_t *buf, int n) {
    i2ct_engine_t *e = open_target(t);
    return e ? engine_py_tx_put(e, buf, n) : I2CT_PORT_ESTATE;
}

int i2ct_tx_sent(int t) {
    i2ct_engine_t *e = open_target(t);
    return e ? engine_py_tx_sent(e) : I2CT_PORT_ESTATE;
}

int i2ct_tx_pending(int t) {
    i2ct_engine_t *e = open_target(t);
    return e ? engine_py_tx_pending(e) : I2CT_PORT_ESTATE;
}

int i2ct_ack(int t, int ack) {
    i2ct_engine_t *e = open_target(t);
    return e ? engine_py_ack(e, ack != 0) : I2CT_PORT_ESTATE;
}

int i2ct_seg_close(int t) {
    i2ct_engine_t *e = open_target(t);
    return e ? engine_py_close(e) : I2CT_PORT_ESTATE;
}

int i2ct_reg_dirty(int t, int address, uint8_t *span, int n) {
    i2ct_engine_t *e = open_target(t);
    if (!e) {
        return I2CT_PORT_ESTATE;
    }
    if (address < 0 || address > 0x7F || n < 4) {
        return I2CT_EINVAL;
    }
    uint16_t lo = 0, hi = 0;
    int result = engine_py_reg_dirty(e, (uint8_t)address, &lo, &hi);
    span[0] = (uint8_t)lo;
    span[1] = (uint8_t)(lo >> 8);
    span[2] = (uint8_t)hi;
    span[3] = (uint8_t)(hi >> 8);
    return result;
}

int i2ct_counter(int t, int index) {
    i2ct_engine_t *e = open_target(t);
    if (!e) {
        return I2CT_PORT_ESTATE;
    }
    if (index < 0 || index >= I2CT_CNT_COUNT) {
        return I2CT_EINVAL;
    }
    /* Counters wrap at 2**31 here; the natmod wrapper returns them unsigned. */
    return (int)(engine_py_counter(e, index) & 0x7FFFFFFFu);
}

int i2ct_service(int t) {
    i2ct_engine_t *e = open_target(t);
    if (!e) {
        return I2CT_PORT_ESTATE;
    }
    return engine_check_timeout(e, i2ct_port_now_us(e->port));
}

/* For ports' interrupt handlers and the sim port: the engine of slot t, open or not. */
i2ct_engine_t *i2ct_engine_of(int t) {
    return open_target(t);
}
