/* Test fixture helpers: a probe module registers k_* functions returning ints. */
#include "natmod/abi/i2ct_mpy_abi.h"

#define PROBE(name, expr) \
    static mpy_obj_t w_##name(void) { \
        return mpy_new_int((mpy_int_t)(expr)); \
    } \
    static MPY_FUN_0(f_##name, w_##name);

#define REGISTER(name) mpy_fun_table.store_global(MPY_QSTR(name), (mpy_obj_t)&f_##name);

#define PROBE_INIT(LIST) \
    mpy_obj_t mpy_init(mpy_obj_fun_bc_t *self, size_t n_args, size_t n_kw, mpy_obj_t *args) { \
        (void)n_args; (void)n_kw; (void)args; \
        void *g = mpy_fun_table.swap_globals(self->context->module.globals); \
        LIST(REGISTER) \
        mpy_fun_table.swap_globals(g); \
        return mpy_fun_table.const_none; \
    }
