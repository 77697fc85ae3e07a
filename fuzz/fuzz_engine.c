/*
 * Native fuzz driver for the engine + glue + sim port: random bus events and
 * random program calls, with the byte accounting checked after every
 * transaction.  Built with AddressSanitizer and UBSan (make fuzz-engine).
 *
 *   build/asan/fuzz_engine [events] [seed]
 *
 * Exit status 0 and a summary line on success; 1 with the failing event on
 * an invariant violation (the sanitizers abort by themselves).
 */
#include <stdio.h>
#include <stdlib.h>
#include "../ports/sim/sim_port.h"

static unsigned long long rng_state;

static unsigned rnd(unsigned n) {
    rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (unsigned)((rng_state >> 33) % n);
}

static long wrote, read_bytes, events, total_wrote, total_read;

static int fail(const char *what) {
    fprintf(stderr, "fuzz_engine: invariant broken after %ld events: %s\n", events, what);
    return 1;
}

static int check(int t) {
    long in = i2ct_counter(t, I2CT_CNT_BYTES_IN) + i2ct_counter(t, I2CT_CNT_NACKS)
        + i2ct_counter(t, I2CT_CNT_RX_DROPPED);
    long out = i2ct_counter(t, I2CT_CNT_BYTES_OUT) + i2ct_counter(t, I2CT_CNT_FILLER);
    if (in != wrote) {
        fprintf(stderr, "written %ld accounted %ld\n", wrote, in);
        return fail("BYTES_IN + NACKS + RX_DROPPED != bytes written");
    }
    if (out > read_bytes) {
        fprintf(stderr, "read %ld supplied %ld\n", read_bytes, out);
        return fail("BYTES_OUT + FILLER > bytes read");
    }
    if (i2ct_counter(t, I2CT_CNT_RX_UNREAD) > i2ct_counter(t, I2CT_CNT_BYTES_IN)) {
        return fail("RX_UNREAD > BYTES_IN");
    }
    return 0;
}

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 1000000;
    rng_state = argc > 2 ? strtoull(argv[2], NULL, 0) : 1;
    const uint8_t addrs[2] = {0x40, 0x41};
    static uint8_t mem[64];
    uint8_t buf[200];
    int t = 0, now = 0, in_seg = 0, is_read = 0, held = 0;
    long transactions = 0;
    if (i2ct_open(t, 1, 2, addrs, 2, 0) != 0) {
        return fail("open");
    }
    i2ct_configure(t, I2CT_CFG_MAX_STRETCH_US, 500);
    i2ct_set_regmap(t, 0x41, mem, sizeof mem, 0);
    for (events = 0; events < n; events++) {
        now += 1 + (int)rnd(60);
        i2ct_sim_set_time(now & 0x7FFFFFFF);
        i2ct_service(t);
        if (held) {
            int r = i2ct_sim_poll(t);
            if (r != I2CT_SIM_HOLD) {
                held = 0;
                if (is_read && r >= I2CT_SIM_SENT) {
                    read_bytes++;
                }
            }
        }
        unsigned k = rnd(100);
        if (k < 45 && !held) {                      /* the controller */
            unsigned c = rnd(20);
            if (!in_seg || c == 0) {                /* START / repeated START */
                is_read = (int)rnd(2);
                int a = rnd(8) == 0 ? 0x42 : (rnd(3) == 0 ? 0x41 : 0x40);
                int r = i2ct_sim_address(t, a, is_read, in_seg);
                in_seg = r == I2CT_SIM_ACK;
            } else if (c == 1) {
                i2ct_sim_stop(t);
                in_seg = 0;
                transactions++;
                if (check(t)) {
                    return 1;
                }
            } else if (c == 2) {
                i2ct_sim_bus_error(t);
                in_seg = 0;
            } else if (is_read) {
                if (c == 3) {
                    i2ct_sim_controller_nack(t);
                    i2ct_sim_stop(t);
                    in_seg = 0;
                } else {
                    int r = i2ct_sim_read_byte(t);
                    if (r == I2CT_SIM_HOLD) {
                        held = 1;
                    } else if (r >= I2CT_SIM_SENT) {
                        read_bytes++;
                    }
                }
            } else {
                int r = i2ct_sim_write_byte(t, (int)rnd(256));
                wrote++;
                if (r == I2CT_SIM_HOLD) {
                    held = 1;
                } else if (r == I2CT_SIM_NACK) {
                    i2ct_sim_stop(t);
                    in_seg = 0;
                }
            }
        } else if (k < 45) {
            /* SCL held: a controller that ignores it may STOP / restart */
            if (rnd(50) == 0) {
                i2ct_sim_stop(t);
                held = 0;
                in_seg = 0;
            }
        } else {                                    /* the program */
            unsigned p = rnd(10);
            int n_ = (int)rnd(8) - 1;
            if (p == 0) {
                i2ct_rx_want(t, n_, (int)rnd(2));
            } else if (p == 1) {
                i2ct_rx_take(t, buf, (int)rnd(sizeof buf));
            } else if (p == 2) {
                int m = (int)rnd(sizeof buf);
                for (int i = 0; i < m; i++) {
                    buf[i] = (uint8_t)rnd(256);
                }
                i2ct_tx_put(t, buf, m);
            } else if (p == 3) {
                i2ct_ack(t, (int)rnd(2));
            } else if (p == 4) {
                i2ct_seg_close(t);
            } else if (p == 5) {
                i2ct_request(t);
                i2ct_status(t);
                i2ct_tx_sent(t);
                i2ct_tx_pending(t);
            } else if (p == 6) {
                uint8_t span[4];
                i2ct_reg_dirty(t, 0x41, span, 4);
            } else if (p == 7 && rnd(2000) == 0) {
                /* deinit and open again: the engine starts from zero */
                i2ct_close(t);
                if (i2ct_sim_poll(t) != I2CT_SIM_CLOSED) {
                    return fail("sim port still answers after close");
                }
                i2ct_open(t, 1, 2, addrs, 2, 0);
                i2ct_configure(t, I2CT_CFG_MAX_STRETCH_US, 500);
                i2ct_set_regmap(t, 0x41, mem, sizeof mem, 0);
                total_wrote += wrote;
                total_read += read_bytes;
                wrote = read_bytes = 0;
                in_seg = held = 0;
            } else {
                /* bad arguments: never crash */
                i2ct_rx_take(t, buf, -5);
                i2ct_tx_put(t, buf, -1);
                i2ct_counter(t, 99);
                i2ct_configure(t, 7, 1);
                i2ct_set_readonly(t, 0x41, 3, 5, 1);
                i2ct_request(-1);
                i2ct_request(I2CT_MAX_TARGETS);
            }
        }
    }
    /* end: STOP, close everything the program left, check */
    i2ct_sim_stop(t);
    while (i2ct_request(t) >= 0) {
        i2ct_seg_close(t);
    }
    if (check(t)) {
        return 1;
    }
    printf("fuzz_engine: %ld events, %ld transactions, bytes written %ld, read %ld, findings 0\n",
        events, transactions, total_wrote + wrote, total_read + read_bytes);
    return 0;
}
