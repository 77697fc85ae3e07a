/*
 * i2ct_mpy_abi.h: the part of the MicroPython runtime interface that a
 * dynamically loaded native module (.mpy, version 6.3, MicroPython 1.23 and
 * later) needs, written for this project from the format facts.
 *
 * Link with tools/mpytool, which knows the special symbols declared here:
 *   mpy_fun_table            the runtime's function table (resolved at load time)
 *   mpy_qstr_table           the module's qstr table (resolved at load time)
 *   mpy_type_fun_builtin_*   type objects of built-in function objects, i.e.
 *                            entries of the function table
 *   section ".mpy.qstrs"     the names this module needs as qstrs (see
 *                            MPY_DEFINE_QSTRS); the linker writes them into
 *                            the .mpy qstr table in the same order
 *
 * Entry convention: the module's text starts with a jump to
 *     mpy_obj_t mpy_init(mpy_obj_fun_bc_t *self, size_t n_args, size_t n_kw,
 *                        mpy_obj_t *args);
 * The runtime calls it once at import as a viper function: `self` is the
 * function object of the module's top-level code (its context holds the
 * module's globals), the arguments are empty, and it must return None.
 *
 * Everything here assumes object representation A (small ints have bit 0 set,
 * qstrs end in binary 010, immediate objects in 110), which is what the unix
 * port on x64 and the ARM Cortex-M and RISC-V ports use.
 */
#ifndef I2CT_MPY_ABI_H
#define I2CT_MPY_ABI_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

/* ---- object encoding (representation A) --------------------------------- */
typedef void *mpy_obj_t;
typedef intptr_t mpy_int_t;
typedef uintptr_t mpy_uint_t;
typedef uint16_t mpy_qstr_t;          /* qstr ids as stored in the qstr table */

#define MPY_OBJ_IS_SMALL_INT(o)     ((((mpy_uint_t)(o)) & 1u) != 0)
#define MPY_OBJ_SMALL_INT_VALUE(o)  (((mpy_int_t)(o)) >> 1)
#define MPY_OBJ_NEW_SMALL_INT(i)    ((mpy_obj_t)((((mpy_uint_t)(i)) << 1) | 1u))
#define MPY_OBJ_IS_QSTR(o)          ((((mpy_uint_t)(o)) & 7u) == 2u)
#define MPY_OBJ_NEW_QSTR(q)         ((mpy_obj_t)((((mpy_uint_t)(q)) << 3) | 2u))
#define MPY_OBJ_NEW_IMMEDIATE(v)    ((mpy_obj_t)((((mpy_uint_t)(v)) << 3) | 6u))
#define MPY_OBJ_NONE                MPY_OBJ_NEW_IMMEDIATE(0)
#define MPY_OBJ_FALSE               MPY_OBJ_NEW_IMMEDIATE(1)
#define MPY_OBJ_TRUE                MPY_OBJ_NEW_IMMEDIATE(3)
/* A small int holds one bit less than a machine word (31 bits on 32-bit
 * ports); larger values must be built with mpy_new_int / mpy_new_uint. */

/* Type codes for native_from_obj / native_to_obj. */
#define MPY_NATIVE_TYPE_OBJ   0
#define MPY_NATIVE_TYPE_BOOL  1
#define MPY_NATIVE_TYPE_INT   2
#define MPY_NATIVE_TYPE_UINT  3

/* Buffer protocol. */
typedef struct {
    void *buf;
    size_t len;
    int typecode;
} mpy_buffer_info_t;

#define MPY_BUFFER_READ   1u
#define MPY_BUFFER_WRITE  2u
#define MPY_BUFFER_RW     3u
#define MPY_BUFFER_RAISE_IF_UNSUPPORTED 4u  /* TypeError instead of returning false */

/* ---- objects the module builds or reads --------------------------------- */
typedef struct mpy_obj_type mpy_obj_type_t;   /* opaque */

typedef struct {
    const mpy_obj_type_t *type;
} mpy_obj_base_t;

/* A built-in function taking a fixed number (0..3) of positional arguments. */
typedef struct {
    mpy_obj_base_t base;
    union {
        mpy_obj_t (*f0)(void);
        mpy_obj_t (*f1)(mpy_obj_t);
        mpy_obj_t (*f2)(mpy_obj_t, mpy_obj_t);
        mpy_obj_t (*f3)(mpy_obj_t, mpy_obj_t, mpy_obj_t);
    } fun;
} mpy_fun_fixed_t;

/* A built-in function taking a variable number of positional arguments;
 * the runtime checks the count against `sig` before calling. */
typedef struct {
    mpy_obj_base_t base;
    uint32_t sig;                     /* MPY_FUN_SIG(min, max) */
    union {
        mpy_obj_t (*var)(size_t n_args, const mpy_obj_t *args);
    } fun;
} mpy_fun_var_t;

#define MPY_FUN_SIG(n_min, n_max) \
    ((uint32_t)(((uint32_t)(n_min) << 17) | ((uint32_t)(n_max) << 1)))

/* The runtime's type objects for the two function kinds above (entries of
 * the function table, filled in at load time). */
extern const mpy_obj_type_t mpy_type_fun_builtin_0;
extern const mpy_obj_type_t mpy_type_fun_builtin_1;
extern const mpy_obj_type_t mpy_type_fun_builtin_2;
extern const mpy_obj_type_t mpy_type_fun_builtin_3;
extern const mpy_obj_type_t mpy_type_fun_builtin_var;

#define MPY_FUN_0(name, c_fun) \
    const mpy_fun_fixed_t name = {{&mpy_type_fun_builtin_0}, {.f0 = (c_fun)}}
#define MPY_FUN_1(name, c_fun) \
    const mpy_fun_fixed_t name = {{&mpy_type_fun_builtin_1}, {.f1 = (c_fun)}}
#define MPY_FUN_2(name, c_fun) \
    const mpy_fun_fixed_t name = {{&mpy_type_fun_builtin_2}, {.f2 = (c_fun)}}
#define MPY_FUN_3(name, c_fun) \
    const mpy_fun_fixed_t name = {{&mpy_type_fun_builtin_3}, {.f3 = (c_fun)}}
#define MPY_FUN_VAR(name, n_min, n_max, c_fun) \
    const mpy_fun_var_t name = {{&mpy_type_fun_builtin_var}, MPY_FUN_SIG(n_min, n_max), {.var = (c_fun)}}

/* A type whose objects are callable: the part of the runtime's type layout
 * (MicroPython 1.20 and later) up to its first slot.  After base come the
 * flags, the name (a qstr id), twelve one-byte slot indexes (make_new,
 * print, call, unary_op, binary_op, attr, subscr, iter, buffer, protocol,
 * parent, locals_dict; 0 = absent, k = slots[k - 1]) and the slots.  A
 * module fills one at init (its name is a qstr known only at load time) and
 * sets only the call slot: the runtime calls it as
 *     call(self, n_args, n_kw, args)
 * with the object that was called as self.  Without a print slot an object
 * prints as "<name>"; the built-in functions' type is named "function". */
/* The flags of the runtime's own built-in function types: as a class
 * attribute such a function binds self, except on a class defined in Python
 * (there it acts as a staticmethod). */
#define MPY_TYPE_FLAG_BINDS_SELF  0x0020u
#define MPY_TYPE_FLAG_BUILTIN_FUN 0x0040u
#define MPY_TYPE_SLOT_INDEX_CALL  2
#define MPY_TYPE_N_SLOT_INDEXES   12

typedef struct {
    mpy_obj_base_t base;
    uint16_t flags;
    uint16_t name;
    uint8_t slot_index[MPY_TYPE_N_SLOT_INDEXES];
    mpy_obj_t (*call)(mpy_obj_t self, size_t n_args, size_t n_kw, const mpy_obj_t *args);
} mpy_obj_type_call_t;

/* What mpy_init receives: the module's top-level function object.  Only the
 * leading fields are declared (the rest is not ours to touch). */
typedef struct {
    mpy_obj_base_t base;
    void *globals;                    /* the module's globals dict */
} mpy_obj_module_t;

typedef struct {
    mpy_obj_module_t module;
    mpy_qstr_t *qstr_table;
    mpy_obj_t *obj_table;
} mpy_module_context_t;

typedef struct {
    mpy_obj_base_t base;
    const mpy_module_context_t *context;
} mpy_obj_fun_bc_t;

/* ---- the runtime function table ------------------------------------------
 * Every slot is one machine word.  Only the slots this project calls are
 * named; the gaps keep the positions.  Slot numbers are the table index. */
typedef struct {
    mpy_obj_t const_none;                                              /* 0 */
    mpy_obj_t const_false;                                             /* 1 */
    mpy_obj_t const_true;                                              /* 2 */
    mpy_uint_t (*native_from_obj)(mpy_obj_t obj, mpy_uint_t type);     /* 3: raises TypeError */
    mpy_obj_t (*native_to_obj)(mpy_uint_t value, mpy_uint_t type);     /* 4 */
    void *(*swap_globals)(void *new_globals);                          /* 5 */
    mpy_obj_t (*load_name)(mpy_uint_t qst);                            /* 6 */
    mpy_obj_t (*load_global)(mpy_uint_t qst);                          /* 7: also finds builtins */
    void *unused_8_11[4];
    void (*store_name)(mpy_uint_t qst, mpy_obj_t obj);                 /* 12 */
    void (*store_global)(mpy_uint_t qst, mpy_obj_t obj);               /* 13 */
    void *unused_14_26[13];
    mpy_obj_t (*call_function_n_kw)(mpy_obj_t fun, size_t n_args_kw, const mpy_obj_t *args); /* 27 */
    void *unused_28_33[6];
    void (*raise)(mpy_obj_t exc);                                      /* 34 */
    void *unused_35_43[9];
    /* raises TypeError (the runtime's own message) unless n_kw is 0 or sig
     * takes keywords and n_args is within sig (MPY_FUN_SIG) */
    void (*arg_check_num_sig)(size_t n_args, size_t n_kw, uint32_t sig); /* 44 */
    void *unused_45_54[10];
    void (*raise_msg)(const mpy_obj_type_t *exc_type, const char *msg); /* 55 */
    const mpy_obj_type_t *(*obj_get_type)(mpy_obj_t obj);              /* 56 */
    void *unused_57_63[7];
    void (*load_method_maybe)(mpy_obj_t base, mpy_uint_t attr, mpy_obj_t *dest); /* 64 */
    bool (*get_buffer)(mpy_obj_t obj, mpy_buffer_info_t *info, mpy_uint_t flags); /* 65 */
    void *unused_66_72[7];
    const mpy_obj_type_t *type_type;                                   /* 73 */
    const mpy_obj_type_t *type_str;                                    /* 74 */
    const mpy_obj_type_t *type_list;                                   /* 75 */
    const mpy_obj_type_t *type_dict;                                   /* 76 */
    const mpy_obj_type_t *type_fun_builtin_0;                          /* 77 */
    const mpy_obj_type_t *type_fun_builtin_1;                          /* 78 */
    const mpy_obj_type_t *type_fun_builtin_2;                          /* 79 */
    const mpy_obj_type_t *type_fun_builtin_3;                          /* 80 */
    const mpy_obj_type_t *type_fun_builtin_var;                        /* 81 */
    const mpy_obj_type_t *type_Exception;                              /* 82 */
} mpy_fun_table_t;

/* Compile-time checks of the slot positions (C99: a negative array size
 * fails the build). */
#define MPY_SLOT_CHECK(field, index) \
    typedef char mpy_slot_check_##field[(offsetof(mpy_fun_table_t, field) == (index) * sizeof(void *)) ? 1 : -1]
MPY_SLOT_CHECK(native_from_obj, 3);
MPY_SLOT_CHECK(swap_globals, 5);
MPY_SLOT_CHECK(load_global, 7);
MPY_SLOT_CHECK(store_name, 12);
MPY_SLOT_CHECK(store_global, 13);
MPY_SLOT_CHECK(obj_get_type, 56);
MPY_SLOT_CHECK(call_function_n_kw, 27);
MPY_SLOT_CHECK(raise, 34);
MPY_SLOT_CHECK(arg_check_num_sig, 44);
MPY_SLOT_CHECK(raise_msg, 55);
MPY_SLOT_CHECK(load_method_maybe, 64);
MPY_SLOT_CHECK(get_buffer, 65);
MPY_SLOT_CHECK(type_type, 73);
MPY_SLOT_CHECK(type_fun_builtin_0, 77);
MPY_SLOT_CHECK(type_fun_builtin_var, 81);
MPY_SLOT_CHECK(type_Exception, 82);

extern const mpy_fun_table_t mpy_fun_table;

/* ---- qstrs ----------------------------------------------------------------
 * A module lists its names once:
 *     #define MY_QSTRS(X) X(open) X(close) X(ValueError)
 *     MPY_DEFINE_QSTRS(MY_QSTRS)
 * and uses MPY_QSTR(open).  Index 0 of the table is the module's source name. */
extern const mpy_qstr_t mpy_qstr_table[];

#define MPY_QSTR_ENUM_ITEM(name) MPY_QI_##name,
#define MPY_QSTR_STRING_ITEM(name) #name "\0"
#define MPY_DEFINE_QSTRS(LIST) \
    enum { MPY_QI_source_name_ = 0, LIST(MPY_QSTR_ENUM_ITEM) MPY_QI_count_ }; \
    __attribute__((section(".mpy.qstrs"), used)) \
    static const char mpy_qstr_names_[] = LIST(MPY_QSTR_STRING_ITEM)
#define MPY_QSTR(name) (mpy_qstr_table[MPY_QI_##name])

/* ---- helpers ------------------------------------------------------------- */
static inline mpy_int_t mpy_get_int(mpy_obj_t o) {
    return (mpy_int_t)mpy_fun_table.native_from_obj(o, MPY_NATIVE_TYPE_INT);
}

static inline mpy_obj_t mpy_new_int(mpy_int_t value) {
    return mpy_fun_table.native_to_obj((mpy_uint_t)value, MPY_NATIVE_TYPE_INT);
}

/* Values up to the full machine word (a long int where needed). */
static inline mpy_obj_t mpy_new_uint(mpy_uint_t value) {
    return mpy_fun_table.native_to_obj(value, MPY_NATIVE_TYPE_UINT);
}

/* Raises TypeError when `o` does not offer the buffer protocol with `flags`. */
static inline void mpy_get_buffer(mpy_obj_t o, mpy_buffer_info_t *info, mpy_uint_t flags) {
    mpy_fun_table.get_buffer(o, info, flags | MPY_BUFFER_RAISE_IF_UNSUPPORTED);
}

/* Raise `exc_type_qstr` (a builtin exception name, e.g. MPY_QSTR(ValueError))
 * with a constant message; does not return. */
static inline void mpy_raise_msg(mpy_uint_t exc_type_qstr, const char *msg) {
    mpy_fun_table.raise_msg((const mpy_obj_type_t *)mpy_fun_table.load_global(exc_type_qstr), msg);
    for (;;) {
    }
}

/* Raise OSError(errno_value). */
static inline void mpy_raise_oserror(mpy_uint_t oserror_qstr, int errno_value) {
    mpy_obj_t arg = MPY_OBJ_NEW_SMALL_INT(errno_value);
    mpy_fun_table.raise(mpy_fun_table.call_function_n_kw(
        mpy_fun_table.load_global(oserror_qstr), 1, &arg));
    for (;;) {
    }
}

#endif
