/* Test fixture: ARM Thumb relocation kinds (compile without PIC). */
#include "reloc_common.h"

#define PROBES(X) X(k_abs32) X(k_thm_call) X(k_jump24) X(k_jump11) X(k_jump8) X(k_rel32) X(k_static_bss) X(k_jump19)
MPY_DEFINE_QSTRS(PROBES);

extern int probe_global_var;
int probe_other(int x);
int asm_j11(void);
int asm_j8(void);
int asm_j19(void);
extern const int32_t asm_rel_word;

/* asm: each branch goes to another section, so the assembler leaves a relocation */
__asm__(
    ".syntax unified\n"
    ".thumb\n"
    ".section .text.asm_j11,\"ax\",%progbits\n"
    ".global asm_j11\n.type asm_j11,%function\n.thumb_func\n"
    "asm_j11: b.n asm_ret42\n"
    ".section .text.asm_j8,\"ax\",%progbits\n"
    ".global asm_j8\n.type asm_j8,%function\n.thumb_func\n"
    "asm_j8: cmp r0, r0\n beq.n asm_ret43\n movs r0, #0\n bx lr\n"
    ".section .text.asm_ret,\"ax\",%progbits\n"
    ".type asm_ret42,%function\n.thumb_func\n"
    "asm_ret42: movs r0, #42\n bx lr\n"
    ".type asm_ret43,%function\n.thumb_func\n"
    "asm_ret43: movs r0, #43\n bx lr\n"
    ".type asm_ret44,%function\n.thumb_func\n"
    "asm_ret44: movs r0, #44\n bx lr\n"
    ".type asm_ret45,%function\n.thumb_func\n"
    "asm_ret45: movs r0, #45\n bx lr\n"
#if defined(__ARM_ARCH_7M__) || defined(__ARM_ARCH_7EM__)
    ".section .text.asm_j19,\"ax\",%progbits\n"
    ".global asm_j19\n.type asm_j19,%function\n.thumb_func\n"
    "asm_j19: cmp r0, r0\n beq.w asm_ret44\n movs r0, #0\n bx lr\n"
#endif
    ".section .rodata.asm_rel_word,\"a\",%progbits\n"
    ".global asm_rel_word\n.balign 4\n"
    "asm_rel_word: .word asm_ret45 - .\n"   /* R_ARM_REL32, Thumb bit included */
    ".text\n");

static int state;                           /* static .bss via a literal pool */
static const int table[4] = {7, 11, 13, 17};
volatile int sink_index;

static int call_rel(void) {
    int (*f)(void) = (int (*)(void))((uintptr_t)&asm_rel_word + (uintptr_t)asm_rel_word);
    return f();
}

static int __attribute__((noinline)) tail(int x) { return probe_other(x + 1); }  /* b.w on v7 */

PROBE(k_abs32, table[sink_index + 1] + (probe_global_var = 1000))
PROBE(k_thm_call, probe_other(3))
PROBE(k_jump24, tail(4))
PROBE(k_jump11, asm_j11())
PROBE(k_jump8, asm_j8())
PROBE(k_rel32, call_rel())
PROBE(k_static_bss, (state += 5) * 2)
#if defined(__ARM_ARCH_7M__) || defined(__ARM_ARCH_7EM__)
PROBE(k_jump19, asm_j19())
#else
PROBE(k_jump19, 44)
#endif
PROBE_INIT(PROBES)
