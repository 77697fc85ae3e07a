/* Test fixture: a small native module exercising what the real glue uses
 * (fixed and variable argument functions, ints, buffers, BSS, rodata,
 * calls across objects, division, exceptions). */
#include "natmod/abi/i2ct_mpy_abi.h"

#define DEMO_QSTRS(X) X(add) X(count) X(fill) X(sum) X(divide) X(big) X(pick) X(fail) X(ValueError)
MPY_DEFINE_QSTRS(DEMO_QSTRS);

/* defined in demo_helper.c */
int demo_helper_mix(int a, int b);
unsigned demo_helper_div(unsigned a, unsigned b);
extern int demo_calls;           /* .bss of the other object, external linkage */

static int counter_state;        /* static .bss: reached PC-relative on x64/RISC-V */
int demo_total;                  /* external .bss */

static const uint8_t pattern[8] = {1, 2, 3, 5, 8, 13, 21, 34};

static mpy_obj_t demo_add(mpy_obj_t a, mpy_obj_t b) {
    demo_calls++;
    return mpy_new_int(demo_helper_mix((int)mpy_get_int(a), (int)mpy_get_int(b)));
}

static mpy_obj_t demo_count(void) {
    counter_state++;
    demo_total += counter_state;
    return mpy_new_int(counter_state * 1000 + demo_calls);
}

/* fill(buf, seed) -> len: writes pattern-derived bytes into a writable buffer */
static mpy_obj_t demo_fill(mpy_obj_t buf_in, mpy_obj_t seed_in) {
    mpy_buffer_info_t info;
    mpy_get_buffer(buf_in, &info, MPY_BUFFER_WRITE);
    uint8_t *p = info.buf;
    int seed = (int)mpy_get_int(seed_in);
    for (size_t i = 0; i < info.len; i++) {
        p[i] = (uint8_t)(pattern[i & 7] + seed);
    }
    return mpy_new_int((mpy_int_t)info.len);
}

/* sum(buf, start, stop, step) */
static mpy_obj_t demo_sum(size_t n_args, const mpy_obj_t *args) {
    mpy_buffer_info_t info;
    mpy_get_buffer(args[0], &info, MPY_BUFFER_READ);
    mpy_int_t start = n_args > 1 ? mpy_get_int(args[1]) : 0;
    mpy_int_t stop = n_args > 2 ? mpy_get_int(args[2]) : (mpy_int_t)info.len;
    mpy_int_t step = n_args > 3 ? mpy_get_int(args[3]) : 1;
    const uint8_t *p = info.buf;
    mpy_int_t total = 0;
    for (mpy_int_t i = start; i < stop && i < (mpy_int_t)info.len; i += step) {
        total += p[i];
    }
    return mpy_new_int(total);
}

static mpy_obj_t demo_divide(mpy_obj_t a, mpy_obj_t b) {
    return mpy_new_int((mpy_int_t)demo_helper_div((unsigned)mpy_get_int(a), (unsigned)mpy_get_int(b)));
}

static mpy_obj_t demo_big(void) {
    return mpy_new_uint(0xFFFFFFF0u);
}

/* a switch the compiler may turn into a jump table */
static mpy_obj_t demo_pick(mpy_obj_t k_in) {
    int r;
    switch ((int)mpy_get_int(k_in)) {
        case 0: r = 11; break;
        case 1: r = 23; break;
        case 2: r = 37; break;
        case 3: r = 41; break;
        case 4: r = 59; break;
        case 5: r = 67; break;
        case 6: r = 73; break;
        case 7: r = 89; break;
        default: r = -1; break;
    }
    return mpy_new_int(r);
}

static mpy_obj_t demo_fail(mpy_obj_t k_in) {
    if (mpy_get_int(k_in)) {
        mpy_raise_msg(MPY_QSTR(ValueError), "demo failure requested");
    }
    return MPY_OBJ_NONE;
}

static MPY_FUN_2(add_obj, demo_add);
static MPY_FUN_0(count_obj, demo_count);
static MPY_FUN_2(fill_obj, demo_fill);
static MPY_FUN_VAR(sum_obj, 1, 4, demo_sum);
static MPY_FUN_2(divide_obj, demo_divide);
static MPY_FUN_0(big_obj, demo_big);
static MPY_FUN_1(pick_obj, demo_pick);
static MPY_FUN_1(fail_obj, demo_fail);

mpy_obj_t mpy_init(mpy_obj_fun_bc_t *self, size_t n_args, size_t n_kw, mpy_obj_t *args) {
    (void)n_args;
    (void)n_kw;
    (void)args;
    void *old_globals = mpy_fun_table.swap_globals(self->context->module.globals);
    mpy_fun_table.store_global(MPY_QSTR(add), (mpy_obj_t)&add_obj);
    mpy_fun_table.store_global(MPY_QSTR(count), (mpy_obj_t)&count_obj);
    mpy_fun_table.store_global(MPY_QSTR(fill), (mpy_obj_t)&fill_obj);
    mpy_fun_table.store_global(MPY_QSTR(sum), (mpy_obj_t)&sum_obj);
    mpy_fun_table.store_global(MPY_QSTR(divide), (mpy_obj_t)&divide_obj);
    mpy_fun_table.store_global(MPY_QSTR(big), (mpy_obj_t)&big_obj);
    mpy_fun_table.store_global(MPY_QSTR(pick), (mpy_obj_t)&pick_obj);
    mpy_fun_table.store_global(MPY_QSTR(fail), (mpy_obj_t)&fail_obj);
    mpy_fun_table.swap_globals(old_globals);
    return mpy_fun_table.const_none;
}
