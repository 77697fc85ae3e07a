/* Register mode through the engine and the sim port, in C: index byte,
 * 250 writes, repeated START, 250 reads, per round; prints ns per data byte.
 * A host benchmark program (libc is fine here; the engine itself uses none). */
#define _POSIX_C_SOURCE 199309L
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "i2ct_glue.h"
#include "sim_port.h"

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(void) {
    static uint8_t mem[256];
    const uint8_t addr = 0x50;
    enum { CHUNK = 250, ROUNDS = 4000 };
    if (i2ct_open(0, 1, 2, &addr, 1, 0) != 0 || i2ct_set_regmap(0, addr, mem, sizeof mem, 0) != 0) {
        fprintf(stderr, "engine_loop: open failed\n");
        return 1;
    }
    unsigned sink = 0;
    double t0 = now_ns();
    for (int r = 0; r < ROUNDS; r++) {
        i2ct_sim_address(0, addr, 0, 0);
        i2ct_sim_write_byte(0, 0);
        for (int i = 0; i < CHUNK; i++) {
            sink += (unsigned)i2ct_sim_write_byte(0, i);
        }
        i2ct_sim_address(0, addr, 1, 1);
        for (int i = 0; i < CHUNK; i++) {
            sink += (unsigned)i2ct_sim_read_byte(0);
        }
        i2ct_sim_controller_nack(0);
        i2ct_sim_stop(0);
    }
    double dt = now_ns() - t0;
    if (mem[CHUNK - 1] != (uint8_t)(CHUNK - 1)) {
        fprintf(stderr, "engine_loop: register memory not written\n");
        return 1;
    }
    printf("%.3f %u\n", dt / (2.0 * CHUNK * ROUNDS), sink & 1u);
    i2ct_close(0);
    return 0;
}
