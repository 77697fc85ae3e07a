/*
 * The module `_i2ct` built into a firmware (MicroPython user C module; see
 * natmod/micropython.mk and natmod/micropython.cmake).  It registers the
 * same flat functions as the .mpy module natmod/mpy_module.c, under the same
 * names and with the same Python-visible signatures, over MicroPython's own
 * C API instead of our native-module ABI:
 *     open(t, scl, sda, addresses: bytes-like, flags)
 *     set_regmap(t, address, mem: bytearray or None, flags)
 *     rx_take(t, buf: writable) -> count      tx_put(t, buf) -> count
 *     reg_dirty(t, address, span: writable, 4 bytes) -> 1 / 0
 * every other function: ints in, int out.  Negative results are returned,
 * not raised (the Python wrapper raises); wrong argument types raise
 * TypeError from MicroPython's conversions.
 */
#include "py/runtime.h"
#include "py/obj.h"
#include "i2ct_glue.h"
#if defined(I2CT_WITH_SIM)
#include "../ports/sim/sim_port.h"
#endif

static int i2ct_arg(mp_obj_t o) {
    return (int)mp_obj_get_int(o);
}

static mp_obj_t i2ct_result(int value) {
    return mp_obj_new_int(value);
}

/* A buffer longer than an int can describe is passed as INT_MAX bytes. */
static int i2ct_buf_len(const mp_buffer_info_t *info) {
    return info->len > 0x7FFFFFFFu ? 0x7FFFFFFF : (int)info->len;
}

/* ---- int-only functions, by arity ------------------------------------------ */
#define I2CT_UM_0(name) \
    static mp_obj_t i2ct_um_##name(void) { \
        return i2ct_result(i2ct_##name()); \
    } \
    static MP_DEFINE_CONST_FUN_OBJ_0(i2ct_um_##name##_obj, i2ct_um_##name);
#define I2CT_UM_1(name) \
    static mp_obj_t i2ct_um_##name(mp_obj_t a) { \
        return i2ct_result(i2ct_##name(i2ct_arg(a))); \
    } \
    static MP_DEFINE_CONST_FUN_OBJ_1(i2ct_um_##name##_obj, i2ct_um_##name);
#define I2CT_UM_2(name) \
    static mp_obj_t i2ct_um_##name(mp_obj_t a, mp_obj_t b) { \
        return i2ct_result(i2ct_##name(i2ct_arg(a), i2ct_arg(b))); \
    } \
    static MP_DEFINE_CONST_FUN_OBJ_2(i2ct_um_##name##_obj, i2ct_um_##name);
#define I2CT_UM_3(name) \
    static mp_obj_t i2ct_um_##name(mp_obj_t a, mp_obj_t b, mp_obj_t c) { \
        return i2ct_result(i2ct_##name(i2ct_arg(a), i2ct_arg(b), i2ct_arg(c))); \
    } \
    static MP_DEFINE_CONST_FUN_OBJ_3(i2ct_um_##name##_obj, i2ct_um_##name);
#define I2CT_UM_4(name) \
    static mp_obj_t i2ct_um_##name(size_t n, const mp_obj_t *a) { \
        (void)n; \
        return i2ct_result(i2ct_##name(i2ct_arg(a[0]), i2ct_arg(a[1]), i2ct_arg(a[2]), \
            i2ct_arg(a[3]))); \
    } \
    static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(i2ct_um_##name##_obj, 4, 4, i2ct_um_##name);
#define I2CT_UM_5(name) \
    static mp_obj_t i2ct_um_##name(size_t n, const mp_obj_t *a) { \
        (void)n; \
        return i2ct_result(i2ct_##name(i2ct_arg(a[0]), i2ct_arg(a[1]), i2ct_arg(a[2]), \
            i2ct_arg(a[3]), i2ct_arg(a[4]))); \
    } \
    static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(i2ct_um_##name##_obj, 5, 5, i2ct_um_##name);

I2CT_UM_0(abi_version)
I2CT_UM_0(port)
I2CT_UM_1(is_open)
I2CT_UM_1(request)
I2CT_UM_1(status)
I2CT_UM_1(tx_sent)
I2CT_UM_1(tx_pending)
I2CT_UM_1(seg_close)
I2CT_UM_1(service)
I2CT_UM_2(ack)
I2CT_UM_2(counter)
I2CT_UM_3(configure)
I2CT_UM_3(rx_want)
I2CT_UM_5(set_readonly)
#if defined(I2CT_WITH_SIM)
I2CT_UM_1(sim_read_byte)
I2CT_UM_1(sim_controller_nack)
I2CT_UM_1(sim_stop)
I2CT_UM_1(sim_bus_error)
I2CT_UM_1(sim_poll)
I2CT_UM_1(sim_set_time)
I2CT_UM_2(sim_write_byte)
I2CT_UM_4(sim_address)
#endif

/* ---- buffer functions ---------------------------------------------------------- */
/* open(t, scl, sda, addresses, flags) */
static mp_obj_t i2ct_um_open(size_t n, const mp_obj_t *a) {
    (void)n;
    mp_buffer_info_t addresses;
    mp_get_buffer_raise(a[3], &addresses, MP_BUFFER_READ);
    return i2ct_result(i2ct_open(i2ct_arg(a[0]), i2ct_arg(a[1]), i2ct_arg(a[2]),
        (const uint8_t *)addresses.buf, i2ct_buf_len(&addresses), i2ct_arg(a[4])));
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(i2ct_um_open_obj, 5, 5, i2ct_um_open);

/* set_regmap(t, address, mem, flags); mem None removes the map.  The Python
 * wrapper keeps mem referenced while the engine points into it. */
static mp_obj_t i2ct_um_set_regmap(size_t n, const mp_obj_t *a) {
    (void)n;
    uint8_t *mem = NULL;
    int size = 0;
    if (a[2] != mp_const_none) {
        mp_buffer_info_t info;
        mp_get_buffer_raise(a[2], &info, MP_BUFFER_RW);
        mem = (uint8_t *)info.buf;
        size = i2ct_buf_len(&info);
    }
    return i2ct_result(i2ct_set_regmap(i2ct_arg(a[0]), i2ct_arg(a[1]), mem, size,
        i2ct_arg(a[3])));
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(i2ct_um_set_regmap_obj, 4, 4, i2ct_um_set_regmap);

/* rx_take(t, buf) -> bytes copied into buf */
static mp_obj_t i2ct_um_rx_take(mp_obj_t t, mp_obj_t buf) {
    mp_buffer_info_t info;
    mp_get_buffer_raise(buf, &info, MP_BUFFER_WRITE);
    return i2ct_result(i2ct_rx_take(i2ct_arg(t), (uint8_t *)info.buf, i2ct_buf_len(&info)));
}
static MP_DEFINE_CONST_FUN_OBJ_2(i2ct_um_rx_take_obj, i2ct_um_rx_take);

/* tx_put(t, buf) -> bytes queued */
static mp_obj_t i2ct_um_tx_put(mp_obj_t t, mp_obj_t buf) {
    mp_buffer_info_t info;
    mp_get_buffer_raise(buf, &info, MP_BUFFER_READ);
    return i2ct_result(i2ct_tx_put(i2ct_arg(t), (const uint8_t *)info.buf,
        i2ct_buf_len(&info)));
}
static MP_DEFINE_CONST_FUN_OBJ_2(i2ct_um_tx_put_obj, i2ct_um_tx_put);

/* reg_dirty(t, address, span) -> 1 and span filled, or 0 */
static mp_obj_t i2ct_um_reg_dirty(mp_obj_t t, mp_obj_t address, mp_obj_t span) {
    mp_buffer_info_t info;
    mp_get_buffer_raise(span, &info, MP_BUFFER_WRITE);
    return i2ct_result(i2ct_reg_dirty(i2ct_arg(t), i2ct_arg(address), (uint8_t *)info.buf,
        i2ct_buf_len(&info)));
}
static MP_DEFINE_CONST_FUN_OBJ_3(i2ct_um_reg_dirty_obj, i2ct_um_reg_dirty);

/* ---- soft reset --------------------------------------------------------------------
 * A soft reset frees the heap a target's register map and request buffers
 * live in while its interrupt stays enabled.  The .mpy module hooks a
 * directory iterator's finaliser for this (see guard() in mpy_module.c);
 * built in, the module has its own finalisable object per open target,
 * reachable from a root pointer until close(), so MicroPython's sweep of
 * the whole heap at soft reset finalises it and closes the target first.
 * guard(t, it) keeps the .mpy signature; `it` (the .mpy's carrier) is not
 * needed here.  guard(t, None) removes the guard; close() does too. */
#if MICROPY_ENABLE_FINALISER
typedef struct {
    mp_obj_base_t base;
    int t;
} i2ct_guard_obj_t;

MP_REGISTER_ROOT_POINTER(mp_obj_t i2ct_guards[I2CT_MAX_TARGETS]);

static void i2ct_unguard(int t) {
    i2ct_guard_obj_t *g = MP_OBJ_TO_PTR(MP_STATE_VM(i2ct_guards)[t]);
    if (g != NULL) {
        g->t = -1;
        MP_STATE_VM(i2ct_guards)[t] = MP_OBJ_NULL;
    }
}

static mp_obj_t i2ct_guard_del(mp_obj_t self_in) {
    i2ct_guard_obj_t *g = MP_OBJ_TO_PTR(self_in);
    if (g->t >= 0 && g->t < I2CT_MAX_TARGETS && MP_STATE_VM(i2ct_guards)[g->t] == self_in) {
        int t = g->t;
        MP_STATE_VM(i2ct_guards)[t] = MP_OBJ_NULL;
        g->t = -1;
        i2ct_close(t);
    }
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_1(i2ct_guard_del_obj, i2ct_guard_del);

static const mp_rom_map_elem_t i2ct_guard_locals_table[] = {
    { MP_ROM_QSTR(MP_QSTR___del__), MP_ROM_PTR(&i2ct_guard_del_obj) },
};
static MP_DEFINE_CONST_DICT(i2ct_guard_locals, i2ct_guard_locals_table);

static MP_DEFINE_CONST_OBJ_TYPE(i2ct_guard_type, MP_QSTR_i2ct_guard, MP_TYPE_FLAG_NONE,
    locals_dict, &i2ct_guard_locals);

/* guard(t, it) -> 0; guard(t, None) -> 0 (removed) */
static mp_obj_t i2ct_um_guard(mp_obj_t t_in, mp_obj_t it) {
    int t = i2ct_arg(t_in);
    if (t < 0 || t >= I2CT_MAX_TARGETS) {
        return i2ct_result(I2CT_PORT_EINST);
    }
    i2ct_unguard(t);
    if (it == mp_const_none) {
        return i2ct_result(0);
    }
    if (!i2ct_is_open(t)) {
        return i2ct_result(I2CT_PORT_ESTATE);
    }
    i2ct_guard_obj_t *g = mp_obj_malloc_with_finaliser(i2ct_guard_obj_t, &i2ct_guard_type);
    g->t = t;
    MP_STATE_VM(i2ct_guards)[t] = MP_OBJ_FROM_PTR(g);
    return i2ct_result(0);
}
#else
static void i2ct_unguard(int t) {
    (void)t;
}

/* No finalisers in this firmware: nothing can close a target at soft reset. */
static mp_obj_t i2ct_um_guard(mp_obj_t t_in, mp_obj_t it) {
    (void)t_in;
    (void)it;
    return i2ct_result(I2CT_EINVAL);
}
#endif
static MP_DEFINE_CONST_FUN_OBJ_2(i2ct_um_guard_obj, i2ct_um_guard);

/* close(t): also drops the guard */
static mp_obj_t i2ct_um_close(mp_obj_t t_in) {
    int t = i2ct_arg(t_in);
    if (t >= 0 && t < I2CT_MAX_TARGETS) {
        i2ct_unguard(t);
    }
    return i2ct_result(i2ct_close(t));
}
static MP_DEFINE_CONST_FUN_OBJ_1(i2ct_um_close_obj, i2ct_um_close);

/* ---- the module ------------------------------------------------------------------- */
#define I2CT_UM_ENTRY(name) { MP_ROM_QSTR(MP_QSTR_##name), MP_ROM_PTR(&i2ct_um_##name##_obj) },

static const mp_rom_map_elem_t i2ct_module_globals_table[] = {
    { MP_ROM_QSTR(MP_QSTR___name__), MP_ROM_QSTR(MP_QSTR__i2ct) },
    I2CT_UM_ENTRY(abi_version)
    I2CT_UM_ENTRY(port)
    I2CT_UM_ENTRY(open)
    I2CT_UM_ENTRY(close)
    I2CT_UM_ENTRY(is_open)
    I2CT_UM_ENTRY(configure)
    I2CT_UM_ENTRY(set_regmap)
    I2CT_UM_ENTRY(set_readonly)
    I2CT_UM_ENTRY(request)
    I2CT_UM_ENTRY(status)
    I2CT_UM_ENTRY(rx_want)
    I2CT_UM_ENTRY(rx_take)
    I2CT_UM_ENTRY(tx_put)
    I2CT_UM_ENTRY(tx_sent)
    I2CT_UM_ENTRY(tx_pending)
    I2CT_UM_ENTRY(ack)
    I2CT_UM_ENTRY(seg_close)
    I2CT_UM_ENTRY(reg_dirty)
    I2CT_UM_ENTRY(counter)
    I2CT_UM_ENTRY(service)
    I2CT_UM_ENTRY(guard)
    #if defined(I2CT_WITH_SIM)
    I2CT_UM_ENTRY(sim_address)
    I2CT_UM_ENTRY(sim_write_byte)
    I2CT_UM_ENTRY(sim_read_byte)
    I2CT_UM_ENTRY(sim_controller_nack)
    I2CT_UM_ENTRY(sim_stop)
    I2CT_UM_ENTRY(sim_bus_error)
    I2CT_UM_ENTRY(sim_poll)
    I2CT_UM_ENTRY(sim_set_time)
    #endif
};
static MP_DEFINE_CONST_DICT(i2ct_module_globals, i2ct_module_globals_table);

const mp_obj_module_t i2ct_user_cmodule = {
    .base = { &mp_type_module },
    .globals = (mp_obj_dict_t *)&i2ct_module_globals,
};

MP_REGISTER_MODULE(MP_QSTR__i2ct, i2ct_user_cmodule);
