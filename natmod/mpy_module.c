/*
 * The native module `_i2ct`: registers every flat function of i2ct_glue.h
 * (and, built with -DI2CT_WITH_SIM, the i2ct_sim_* bus functions) under its
 * name without the `i2ct_` prefix.
 *
 * Python-visible signatures: ints in, ints out, exactly as in the headers,
 * except that a (pointer, length) pair is one buffer object:
 *     open(t, scl, sda, addresses: bytes-like, flags)
 *     set_regmap(t, address, mem: bytearray or None, flags)
 *     rx_take(t, buf: writable) -> count      tx_put(t, buf) -> count
 *     reg_dirty(t, address, span: writable, 4 bytes) -> 1 / 0
 * Negative results are returned as ints (error codes); the Python wrapper
 * raises.  Only argument type errors raise here (TypeError, from the
 * runtime's int and buffer conversions).
 */
#include "abi/i2ct_mpy_abi.h"
#include "i2ct_glue.h"
#if defined(I2CT_WITH_SIM)
#include "../ports/sim/sim_port.h"
#endif

/* ---- the function lists (name, C arity) -------------------------------- */
#define GLUE_INT_FUNCS_0(X) X(abi_version) X(port)
#define GLUE_INT_FUNCS_1(X) X(is_open) X(request) X(status) X(tx_sent) \
    X(tx_pending) X(seg_close) X(service)
#define GLUE_INT_FUNCS_2(X) X(ack) X(counter)
#define GLUE_INT_FUNCS_3(X) X(configure) X(rx_want)
#define GLUE_INT_FUNCS_5(X) X(set_readonly)
#define GLUE_BUF_FUNCS(X) X(open) X(set_regmap) X(rx_take) X(tx_put) X(reg_dirty)
/* Written here: close() also drops the finaliser guard() installed. */
#define MODULE_FUNCS(X) X(close) X(guard)

#if defined(I2CT_WITH_SIM)
#define SIM_INT_FUNCS_1(X) X(sim_read_byte) X(sim_controller_nack) X(sim_stop) \
    X(sim_bus_error) X(sim_poll) X(sim_set_time)
#define SIM_INT_FUNCS_2(X) X(sim_write_byte)
#define SIM_INT_FUNCS_4(X) X(sim_address)
#else
#define SIM_INT_FUNCS_1(X)
#define SIM_INT_FUNCS_2(X)
#define SIM_INT_FUNCS_4(X)
#endif

#define ALL_FUNCS(X) GLUE_INT_FUNCS_0(X) GLUE_INT_FUNCS_1(X) GLUE_INT_FUNCS_2(X) \
    GLUE_INT_FUNCS_3(X) GLUE_INT_FUNCS_5(X) GLUE_BUF_FUNCS(X) MODULE_FUNCS(X) \
    SIM_INT_FUNCS_1(X) SIM_INT_FUNCS_2(X) SIM_INT_FUNCS_4(X)
#define ALL_QSTRS(X) ALL_FUNCS(X) X(__del__) X(iterator)

MPY_DEFINE_QSTRS(ALL_QSTRS);

/* ---- conversions ------------------------------------------------------------ */
static inline int arg_int(mpy_obj_t o) {
    return (int)mpy_get_int(o);
}

/* Every glue result is an int; counters can exceed a 31-bit small int, so
 * the runtime builds a long int where needed. */
static inline mpy_obj_t result(int value) {
    if (value >= -(1 << 29) && value < (1 << 29)) {
        return MPY_OBJ_NEW_SMALL_INT(value);
    }
    return mpy_new_int(value);
}

/* ---- wrappers of the int-only functions --------------------------------------- */
#define WRAP_0(name) \
    static mpy_obj_t w_##name(void) { \
        return result(i2ct_##name()); \
    } \
    static MPY_FUN_0(f_##name, w_##name);
#define WRAP_1(name) \
    static mpy_obj_t w_##name(mpy_obj_t a) { \
        return result(i2ct_##name(arg_int(a))); \
    } \
    static MPY_FUN_1(f_##name, w_##name);
#define WRAP_2(name) \
    static mpy_obj_t w_##name(mpy_obj_t a, mpy_obj_t b) { \
        return result(i2ct_##name(arg_int(a), arg_int(b))); \
    } \
    static MPY_FUN_2(f_##name, w_##name);
#define WRAP_3(name) \
    static mpy_obj_t w_##name(mpy_obj_t a, mpy_obj_t b, mpy_obj_t c) { \
        return result(i2ct_##name(arg_int(a), arg_int(b), arg_int(c))); \
    } \
    static MPY_FUN_3(f_##name, w_##name);
#define WRAP_4(name) \
    static mpy_obj_t w_##name(size_t n, const mpy_obj_t *a) { \
        (void)n; \
        return result(i2ct_##name(arg_int(a[0]), arg_int(a[1]), arg_int(a[2]), arg_int(a[3]))); \
    } \
    static MPY_FUN_VAR(f_##name, 4, 4, w_##name);
#define WRAP_5(name) \
    static mpy_obj_t w_##name(size_t n, const mpy_obj_t *a) { \
        (void)n; \
        return result(i2ct_##name(arg_int(a[0]), arg_int(a[1]), arg_int(a[2]), arg_int(a[3]), \
            arg_int(a[4]))); \
    } \
    static MPY_FUN_VAR(f_##name, 5, 5, w_##name);

GLUE_INT_FUNCS_0(WRAP_0)
GLUE_INT_FUNCS_1(WRAP_1)
GLUE_INT_FUNCS_2(WRAP_2)
GLUE_INT_FUNCS_3(WRAP_3)
GLUE_INT_FUNCS_5(WRAP_5)
SIM_INT_FUNCS_1(WRAP_1)
SIM_INT_FUNCS_2(WRAP_2)
SIM_INT_FUNCS_4(WRAP_4)

/* ---- wrappers of the buffer functions ------------------------------------------ */
/* A buffer longer than an int can describe is passed as INT_MAX bytes: the
 * engine never takes that many anyway. */
static int buffer_len(const mpy_buffer_info_t *info) {
    return info->len > 0x7FFFFFFFu ? 0x7FFFFFFF : (int)info->len;
}

/* open(t, scl, sda, addresses, flags) */
static mpy_obj_t w_open(size_t n, const mpy_obj_t *a) {
    (void)n;
    mpy_buffer_info_t addresses;
    mpy_get_buffer(a[3], &addresses, MPY_BUFFER_READ);
    return result(i2ct_open(arg_int(a[0]), arg_int(a[1]), arg_int(a[2]),
        (const uint8_t *)addresses.buf, buffer_len(&addresses), arg_int(a[4])));
}
static MPY_FUN_VAR(f_open, 5, 5, w_open);

/* set_regmap(t, address, mem, flags); mem None removes the map */
static mpy_obj_t w_set_regmap(size_t n, const mpy_obj_t *a) {
    (void)n;
    uint8_t *mem = NULL;
    int size = 0;
    if (a[2] != mpy_fun_table.const_none) {
        mpy_buffer_info_t info;
        mpy_get_buffer(a[2], &info, MPY_BUFFER_RW);
        mem = (uint8_t *)info.buf;
        size = buffer_len(&info);
    }
    return result(i2ct_set_regmap(arg_int(a[0]), arg_int(a[1]), mem, size, arg_int(a[3])));
}
static MPY_FUN_VAR(f_set_regmap, 4, 4, w_set_regmap);

/* rx_take(t, buf) -> bytes copied into buf */
static mpy_obj_t w_rx_take(mpy_obj_t t, mpy_obj_t buf) {
    mpy_buffer_info_t info;
    mpy_get_buffer(buf, &info, MPY_BUFFER_WRITE);
    return result(i2ct_rx_take(arg_int(t), (uint8_t *)info.buf, buffer_len(&info)));
}
static MPY_FUN_2(f_rx_take, w_rx_take);

/* tx_put(t, buf) -> bytes queued */
static mpy_obj_t w_tx_put(mpy_obj_t t, mpy_obj_t buf) {
    mpy_buffer_info_t info;
    mpy_get_buffer(buf, &info, MPY_BUFFER_READ);
    return result(i2ct_tx_put(arg_int(t), (const uint8_t *)info.buf, buffer_len(&info)));
}
static MPY_FUN_2(f_tx_put, w_tx_put);

/* reg_dirty(t, address, span) -> 1 and span filled, or 0 */
static mpy_obj_t w_reg_dirty(mpy_obj_t t, mpy_obj_t address, mpy_obj_t span) {
    mpy_buffer_info_t info;
    mpy_get_buffer(span, &info, MPY_BUFFER_WRITE);
    return result(i2ct_reg_dirty(arg_int(t), arg_int(address), (uint8_t *)info.buf,
        buffer_len(&info)));
}
static MPY_FUN_3(f_reg_dirty, w_reg_dirty);

/* ---- the finaliser guard ---------------------------------------------------------
 * A soft reset frees the heap that holds this module's code while the
 * target's interrupt may still point into it, and MicroPython runs no
 * __del__ of Python classes.  It does run, at soft reset (gc_sweep_all) and
 * at garbage collection, the finaliser of the iterator os.ilistdir()
 * returns: an object whose type is "iterator" with a __del__, laid out as
 * {base, iternext, finaliser, ...} with the finaliser a C function pointer.
 * guard(t, it) puts our function in that pointer: it closes target t
 * (interrupt off, vector restored) while our code is still intact, then
 * calls the original finaliser.  close() and guard(t, None) undo it. */
typedef struct {
    mpy_obj_base_t base;
    mpy_obj_t (*iternext)(mpy_obj_t self);
    mpy_obj_t (*finaliser)(mpy_obj_t self);
} finalisable_iter_t;

/* The layout a type starts with: base, flags, name (qstr). */
typedef struct {
    mpy_obj_base_t base;
    uint16_t flags;
    uint16_t name;
} type_head_t;

static finalisable_iter_t *guard_iter[I2CT_MAX_TARGETS];
static mpy_obj_t (*guard_chain[I2CT_MAX_TARGETS])(mpy_obj_t self);

static void unguard(int t) {
    if (guard_iter[t]) {
        guard_iter[t]->finaliser = guard_chain[t];
        guard_iter[t] = NULL;
    }
}

static mpy_obj_t guard_finaliser(mpy_obj_t self) {
    mpy_obj_t (*chain)(mpy_obj_t) = NULL;
    for (int t = 0; t < I2CT_MAX_TARGETS; t++) {
        if (guard_iter[t] == (finalisable_iter_t *)self) {
            chain = guard_chain[t];
            unguard(t);
            i2ct_close(t);
        }
    }
    return chain ? chain(self) : mpy_fun_table.const_none;
}

/* guard(t, it) -> 0, or I2CT_EINVAL when `it` is not such an iterator;
 * guard(t, None) removes it. */
static mpy_obj_t w_guard(mpy_obj_t t_in, mpy_obj_t it) {
    int t = arg_int(t_in);
    if (t < 0 || t >= I2CT_MAX_TARGETS) {
        return result(I2CT_PORT_EINST);
    }
    unguard(t);
    if (it == mpy_fun_table.const_none) {
        return result(0);
    }
    if (!i2ct_is_open(t)) {
        return result(I2CT_PORT_ESTATE);
    }
    mpy_obj_t del[2] = {NULL, NULL};
    mpy_fun_table.load_method_maybe(it, MPY_QSTR(__del__), del);
    const type_head_t *type = (const type_head_t *)mpy_fun_table.obj_get_type(it);
    if (del[0] == NULL || type->name != MPY_QSTR(iterator)) {
        return result(I2CT_EINVAL);
    }
    finalisable_iter_t *iter = (finalisable_iter_t *)it;
    for (int o = 0; o < I2CT_MAX_TARGETS; o++) {
        if (guard_iter[o] == iter) {
            return result(I2CT_EEXIST);  /* one iterator guards one target */
        }
    }
    guard_chain[t] = iter->finaliser;
    iter->finaliser = guard_finaliser;
    guard_iter[t] = iter;
    return result(0);
}
static MPY_FUN_2(f_guard, w_guard);

static mpy_obj_t w_close(mpy_obj_t t_in) {
    int t = arg_int(t_in);
    if (t >= 0 && t < I2CT_MAX_TARGETS) {
        unguard(t);
    }
    return result(i2ct_close(t));
}
static MPY_FUN_1(f_close, w_close);

/* ---- registration ---------------------------------------------------------------- */
typedef struct {
    uint16_t qstr_index;
    const void *fun;          /* an mpy_fun_fixed_t or mpy_fun_var_t */
} entry_t;

#define ENTRY(name) {MPY_QI_##name, &f_##name},
static const entry_t entries[] = { ALL_FUNCS(ENTRY) };

__attribute__((externally_visible)) mpy_obj_t mpy_init(mpy_obj_fun_bc_t *self, size_t n_args, size_t n_kw, mpy_obj_t *args) {
    (void)n_args;
    (void)n_kw;
    (void)args;
    /* Store into this module's globals even if the caller's are current. */
    void *caller_globals = mpy_fun_table.swap_globals(self->context->module.globals);
    for (size_t i = 0; i < sizeof(entries) / sizeof(entries[0]); i++) {
        mpy_fun_table.store_global(mpy_qstr_table[entries[i].qstr_index], (mpy_obj_t)entries[i].fun);
    }
    mpy_fun_table.swap_globals(caller_globals);
    return mpy_fun_table.const_none;
}
