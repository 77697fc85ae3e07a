/* Test fixture: RISC-V relocation kinds (rv32imc, -fpic -mno-relax). */
#include "reloc_common.h"

#define PROBES(X) X(k_call) X(k_got) X(k_pcrel_i) X(k_pcrel_s) X(k_abs32) X(k_branch) X(k_jal) X(k_addsub) X(k_pcrel32) X(k_store_s) X(k_loop)
MPY_DEFINE_QSTRS(PROBES);

extern int probe_global_var;
int probe_other(int x);
int asm_jal(void);
int asm_branch(int x);
int asm_ret53(void);
int asm_store(int x);
extern const int32_t asm_diff_word, asm_pcrel_word;

__asm__(
    ".option norvc\n"
    ".section .text.asm_jal,\"ax\",@progbits\n"
    ".global asm_jal\n.type asm_jal,@function\n"
    "asm_jal: jal x0, asm_ret52\n"                          /* R_RISCV_JAL */
    ".section .text.asm_branch,\"ax\",@progbits\n"
    ".global asm_branch\n.type asm_branch,@function\n"
    "asm_branch: beq a0, x0, asm_ret53\n li a0, 1\n ret\n"  /* R_RISCV_BRANCH */
    ".section .text.asm_ret,\"ax\",@progbits\n"
    "asm_ret52: li a0, 52\n ret\n"
    ".global asm_ret53\n.type asm_ret53,@function\n"
    "asm_ret53: li a0, 53\n ret\n"
    ".section .text.asm_store,\"ax\",@progbits\n"
    ".global asm_store\n.type asm_store,@function\n"
    "asm_store:\n"
    ".Lhi_s: auipc t0, %pcrel_hi(asm_cell)\n"
    " sw a0, %pcrel_lo(.Lhi_s)(t0)\n"                      /* R_RISCV_PCREL_LO12_S */
    ".Lhi_l: auipc t1, %pcrel_hi(asm_cell)\n"
    " lw a0, %pcrel_lo(.Lhi_l)(t1)\n"
    " addi a0, a0, 1\n ret\n"
    ".section .bss.asm_cell,\"aw\",@nobits\n.balign 4\n"
    "asm_cell: .zero 4\n"
    ".section .rodata.asm_words,\"a\",@progbits\n"
    ".balign 4\n.global asm_diff_word\n"
    "asm_diff_word: .word asm_ret53 - asm_jal\n"            /* R_RISCV_ADD32 + SUB32 */
    ".global asm_pcrel_word\n"
    "asm_pcrel_word: .word asm_ret52 - .\n"                  /* R_RISCV_32_PCREL */
    ".option rvc\n"
    ".text\n");

static int state;
static const int table[4] = {7, 11, 13, 17};
static int (*const fns[1])(int) = {probe_other};          /* R_RISCV_32 */
volatile int sink_index;

static int call_pcrel(void) {
    int (*f)(void) = (int (*)(void))((uintptr_t)&asm_pcrel_word + (uintptr_t)(intptr_t)asm_pcrel_word);
    return f();
}

PROBE(k_call, probe_other(2))
PROBE(k_got, (probe_global_var = 500) + 1)
PROBE(k_pcrel_i, table[sink_index + 2])
PROBE(k_pcrel_s, (state = 77) + state)
PROBE(k_abs32, fns[sink_index](1))
PROBE(k_branch, asm_branch(0) * 10 + asm_branch(5))
PROBE(k_jal, asm_jal())
PROBE(k_addsub, asm_diff_word == (int32_t)((uintptr_t)asm_ret53 - (uintptr_t)asm_jal))
PROBE(k_pcrel32, call_pcrel())
PROBE(k_store_s, asm_store(99))

static int __attribute__((noinline)) loop(int n) {   /* branches the compiler leaves to the linker */
    int acc = 0;
    for (int i = 0; i < n; i++) {
        if (table[i & 3] > 10) {
            acc += table[i & 3];
        } else {
            acc -= 1;
        }
    }
    return acc;
}
PROBE(k_loop, loop(sink_index + 9))
PROBE_INIT(PROBES)
