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

/* ---- the function lists -----------------------------------------------------
 * X(name, Python arity, argument kinds): the kinds of the Python arguments in
 * order, each one of
 *     I  int                               -> one C int
 *     R  readable buffer (bytes-like)      -> C pointer, length
 *     W  writable buffer (bytearray, ...)  -> C pointer, length
 *     O  the object itself                 -> for a wrapper written here
 * A wrapper w_<name> receives the converted values in order as intptr_t. */
#define GLUE_FUNCS(X) \
    X(abi_version, 0, K0()) X(port, 0, K0()) \
    X(is_open, 1, K1(I)) X(request, 1, K1(I)) X(status, 1, K1(I)) X(tx_sent, 1, K1(I)) \
    X(tx_pending, 1, K1(I)) X(seg_close, 1, K1(I)) X(service, 1, K1(I)) \
    X(ack, 2, K2(I, I)) X(counter, 2, K2(I, I)) \
    X(configure, 3, K3(I, I, I)) X(rx_want, 3, K3(I, I, I)) \
    X(set_readonly, 5, K5(I, I, I, I, I)) \
    X(open, 5, K5(I, I, I, R, I)) X(rx_take, 2, K2(I, W)) X(tx_put, 2, K2(I, R)) \
    X(reg_dirty, 3, K3(I, I, W))
/* Written here: set_regmap takes None or a buffer; close() also drops the
 * finaliser guard() installed. */
#define MODULE_FUNCS(X) \
    X(set_regmap, 4, K4(I, I, O, I)) X(close, 1, K1(I)) X(guard, 2, K2(I, O))

#if defined(I2CT_WITH_SIM)
#define SIM_FUNCS(X) \
    X(sim_read_byte, 1, K1(I)) X(sim_controller_nack, 1, K1(I)) X(sim_stop, 1, K1(I)) \
    X(sim_bus_error, 1, K1(I)) X(sim_poll, 1, K1(I)) X(sim_set_time, 1, K1(I)) \
    X(sim_write_byte, 2, K2(I, I)) X(sim_address, 4, K4(I, I, I, I))
#else
#define SIM_FUNCS(X)
#endif

#define ALL_FUNCS(X) GLUE_FUNCS(X) MODULE_FUNCS(X) SIM_FUNCS(X)
/* The functions come first: function k has qstr index k + 1. */
#define MPY_QSTR_ENUM_ITEM_F(name, n, kinds) MPY_QSTR_ENUM_ITEM(name)
#define MPY_QSTR_STRING_ITEM_F(name, n, kinds) MPY_QSTR_STRING_ITEM(name)
#define ALL_QSTRS(X) ALL_FUNCS(X##_F) X(__del__) X(iterator) X(function)

MPY_DEFINE_QSTRS(ALL_QSTRS);

/* Argument kinds, two bits each above the arity (three bits). */
enum { KIND_I = 0, KIND_R = 1, KIND_W = 2, KIND_O = 3 };  /* R, W: the buffer flags */
#define K0() 0
#define K1(a) (KIND_##a << 3)
#define K2(a, b) (K1(a) | KIND_##b << 5)
#define K3(a, b, c) (K2(a, b) | KIND_##c << 7)
#define K4(a, b, c, d) (K3(a, b, c) | KIND_##d << 9)
#define K5(a, b, c, d, e) (K4(a, b, c, d) | KIND_##e << 11)
#define MAX_C_ARGS 6      /* open: 5 Python arguments, one buffer */

/* ---- conversions ------------------------------------------------------------ */
/* Every result is an int; counters can exceed a 31-bit small int, so the
 * runtime builds a long int where needed. */
static mpy_obj_t result(int value) {
    if (value >= -(1 << 29) && value < (1 << 29)) {
        return MPY_OBJ_NEW_SMALL_INT(value);
    }
    return mpy_new_int(value);
}

/* A buffer as (pointer, length) at v; raises TypeError when `o` does not
 * offer `flags`.  A buffer longer than an int can describe is passed as
 * INT_MAX bytes: the engine never takes that many anyway. */
static void put_buffer(intptr_t *v, mpy_obj_t o, unsigned flags) {
    mpy_buffer_info_t info;
    mpy_get_buffer(o, &info, flags);
    v[0] = (intptr_t)info.buf;
    v[1] = info.len > 0x7FFFFFFFu ? 0x7FFFFFFF : (int)info.len;
}

/* ---- the wrappers --------------------------------------------------------------- */
#define PTR(x) ((uint8_t *)(x))
static int w_abi_version(const intptr_t *v) { (void)v; return i2ct_abi_version(); }
static int w_port(const intptr_t *v) { (void)v; return i2ct_port(); }
#define WRAP_1(name) static int w_##name(const intptr_t *v) { return i2ct_##name(v[0]); }
WRAP_1(is_open) WRAP_1(request) WRAP_1(status) WRAP_1(tx_sent) WRAP_1(tx_pending)
WRAP_1(seg_close) WRAP_1(service)
static int w_ack(const intptr_t *v) { return i2ct_ack(v[0], v[1]); }
static int w_counter(const intptr_t *v) { return i2ct_counter(v[0], v[1]); }
static int w_configure(const intptr_t *v) { return i2ct_configure(v[0], v[1], v[2]); }
static int w_rx_want(const intptr_t *v) { return i2ct_rx_want(v[0], v[1], v[2]); }
static int w_set_readonly(const intptr_t *v) {
    return i2ct_set_readonly(v[0], v[1], v[2], v[3], v[4]);
}
/* open(t, scl, sda, addresses, flags) */
static int w_open(const intptr_t *v) {
    return i2ct_open(v[0], v[1], v[2], PTR(v[3]), v[4], v[5]);
}
/* rx_take(t, buf) -> bytes copied into buf;  tx_put(t, buf) -> bytes queued */
static int w_rx_take(const intptr_t *v) { return i2ct_rx_take(v[0], PTR(v[1]), v[2]); }
static int w_tx_put(const intptr_t *v) { return i2ct_tx_put(v[0], PTR(v[1]), v[2]); }
/* reg_dirty(t, address, span) -> 1 and span filled, or 0 */
static int w_reg_dirty(const intptr_t *v) { return i2ct_reg_dirty(v[0], v[1], PTR(v[2]), v[3]); }

/* set_regmap(t, address, mem, flags); mem None removes the map */
static int w_set_regmap(const intptr_t *v) {
    intptr_t mem[2] = {0, 0};
    if ((mpy_obj_t)v[2] != mpy_fun_table.const_none) {
        put_buffer(mem, (mpy_obj_t)v[2], MPY_BUFFER_RW);
    }
    return i2ct_set_regmap(v[0], v[1], PTR(mem[0]), mem[1], v[3]);
}

#if defined(I2CT_WITH_SIM)
WRAP_1(sim_read_byte) WRAP_1(sim_controller_nack) WRAP_1(sim_stop) WRAP_1(sim_bus_error)
WRAP_1(sim_poll) WRAP_1(sim_set_time)
static int w_sim_write_byte(const intptr_t *v) { return i2ct_sim_write_byte(v[0], v[1]); }
static int w_sim_address(const intptr_t *v) { return i2ct_sim_address(v[0], v[1], v[2], v[3]); }
#endif

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
static int w_guard(const intptr_t *v) {
    int t = v[0];
    mpy_obj_t it = (mpy_obj_t)v[1];
    if (t < 0 || t >= I2CT_MAX_TARGETS) {
        return I2CT_PORT_EINST;
    }
    unguard(t);
    if (it == mpy_fun_table.const_none) {
        return 0;
    }
    if (!i2ct_is_open(t)) {
        return I2CT_PORT_ESTATE;
    }
    mpy_obj_t del[2] = {NULL, NULL};
    mpy_fun_table.load_method_maybe(it, MPY_QSTR(__del__), del);
    const type_head_t *type = (const type_head_t *)mpy_fun_table.obj_get_type(it);
    if (del[0] == NULL || type->name != MPY_QSTR(iterator)) {
        return I2CT_EINVAL;
    }
    finalisable_iter_t *iter = (finalisable_iter_t *)it;
    for (int o = 0; o < I2CT_MAX_TARGETS; o++) {
        if (guard_iter[o] == iter) {
            return I2CT_EEXIST;  /* one iterator guards one target */
        }
    }
    guard_chain[t] = iter->finaliser;
    iter->finaliser = guard_finaliser;
    guard_iter[t] = iter;
    return 0;
}

static int w_close(const intptr_t *v) {
    int t = v[0];
    if (t >= 0 && t < I2CT_MAX_TARGETS) {
        unguard(t);
    }
    return i2ct_close(t);
}

/* ---- registration ----------------------------------------------------------------
 * One function object per function, all of one type whose call slot is
 * call() below: it finds the function by the object's place in funcs[],
 * checks the arity (the runtime raises TypeError with its usual message),
 * converts the arguments by the kinds, calls the wrapper and returns its
 * int.  Cheaper than a built-in function object and a converting C
 * function per name; the Python-visible behaviour is the same: positional
 * arguments only, TypeError for a wrong count or a wrong argument type, the
 * objects print as <function> and act as class attributes as built-in
 * functions do (the same type flags). */
typedef struct {
    const mpy_obj_type_call_t *type;
    int (*fun)(const intptr_t *v);
} fun_obj_t;

static mpy_obj_type_call_t fun_type;   /* filled by mpy_init */

#define FUN_OBJ(name, n, kinds) [MPY_QI_##name - 1] = {&fun_type, w_##name},
static const fun_obj_t funcs[] = { ALL_FUNCS(FUN_OBJ) };
#define FUN_SPEC(name, n, kinds) [MPY_QI_##name - 1] = (n) | (kinds),
static const uint16_t specs[] = { ALL_FUNCS(FUN_SPEC) };
#define N_FUNCS (sizeof(funcs) / sizeof(funcs[0]))

static mpy_obj_t call(mpy_obj_t self, size_t n_args, size_t n_kw, const mpy_obj_t *args) {
    const fun_obj_t *f = (const fun_obj_t *)self;
    unsigned spec = specs[f - funcs];
    unsigned n = spec & 7u;
    if (n_args != n || n_kw) {
        mpy_fun_table.arg_check_num_sig(n_args, n_kw, MPY_FUN_SIG(n, n));  /* raises */
    }
    intptr_t v[MAX_C_ARGS];
    intptr_t *p = v;
    for (unsigned i = 0; i < n; i++) {
        unsigned kind = (spec >> (3 + 2 * i)) & 3u;
        if (kind == KIND_I) {
            *p++ = (int)mpy_get_int(args[i]);
        } else if (kind == KIND_O) {
            *p++ = (intptr_t)args[i];
        } else {
            put_buffer(p, args[i], kind);
            p += 2;
        }
    }
    return result(f->fun(v));
}

/* externally_visible: natmod.mk compiles the module with -fwhole-program. */
__attribute__((externally_visible))
mpy_obj_t mpy_init(mpy_obj_fun_bc_t *self, size_t n_args, size_t n_kw, mpy_obj_t *args) {
    (void)n_args;
    (void)n_kw;
    (void)args;
    fun_type.base.type = mpy_fun_table.type_type;
    fun_type.flags = MPY_TYPE_FLAG_BINDS_SELF | MPY_TYPE_FLAG_BUILTIN_FUN;
    fun_type.name = MPY_QSTR(function);
    fun_type.slot_index[MPY_TYPE_SLOT_INDEX_CALL] = 1;
    fun_type.call = call;
    /* Store into this module's globals even if the caller's are current. */
    void *caller_globals = mpy_fun_table.swap_globals(self->context->module.globals);
    for (size_t i = 0; i < N_FUNCS; i++) {
        mpy_fun_table.store_global(mpy_qstr_table[i + 1], (mpy_obj_t)&funcs[i]);
    }
    mpy_fun_table.swap_globals(caller_globals);
    return mpy_fun_table.const_none;
}
