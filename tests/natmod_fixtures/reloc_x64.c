/* Test fixture: x64 relocation kinds (compile with -fpic). */
#include "reloc_common.h"

#define PROBES(X) X(k_plt32) X(k_pc32) X(k_gotpcrelx) X(k_abs64) X(k_fptr)
MPY_DEFINE_QSTRS(PROBES);

extern int probe_global_var;
int probe_other(int x);
static const int table[5] = {3, 1, 4, 1, 5};
static int __attribute__((noinline)) twice(int x) { return 2 * x; }
static int (*const fns[2])(int) = {twice, probe_other};   /* R_X86_64_64 */
int sink_index;

PROBE(k_plt32, probe_other(2))                            /* call to another object */
PROBE(k_pc32, table[sink_index + 2] * 100 + table[4])     /* rip-relative rodata */
PROBE(k_gotpcrelx, (probe_global_var = 40) + 2)           /* global data through the GOT */
PROBE(k_abs64, fns[sink_index](21))                       /* absolute pointers in data */
PROBE(k_fptr, fns[sink_index + 1] == probe_other)
PROBE_INIT(PROBES)
