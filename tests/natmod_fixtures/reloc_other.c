/* Test fixture: the second object of the relocation probes. */
int probe_global_var = 0;   /* zero-initialised: .bss, external linkage */
int probe_other(int x) {
    probe_global_var += x;
    return probe_global_var * 10 + 7;
}
