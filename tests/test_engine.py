"""The engine through the ctypes host library: the flat functions driven by
the sim port's bus-side entry points, one bus event at a time."""
import pytest

from i2cperipheral import _host

ACK, NACK, HOLD, SENT = 0, 1, 2, 0x100
SEG_READ, SEG_RESTART, SEG_ENDED, SEG_CLOSED = 0x100, 0x200, 0x400, 0x800
SEG_HELD, SEG_ACK_WAIT, SEG_CTRL_NACK, SEG_TIMEOUT, SEG_BUS_ERROR = 0x1000, 0x2000, 0x4000, 0x8000, 0x10000
E_INVAL, E_NOSPC, E_EXIST, E_NOENT, E_STATE = -1, -2, -3, -4, -5
PORT_EPIN, PORT_EBUSY, PORT_ESTATE = -20, -21, -24
(BYTES_IN, BYTES_OUT, NACKS, FILLER, TIMEOUTS, BUS_ERRORS, OVERRUNS, RX_DROPPED,
 TX_UNSENT, SEGMENTS, ADDR_NACKS, REG_WRITES) = range(12)
QUEUE_LEN, RX_SIZE, TX_SIZE = 8, 128, 64


@pytest.fixture
def lib():
    lib = _host.load()
    for t in range(2):
        if lib.is_open(t):
            lib.close(t)
    lib.sim_set_time(0)
    yield lib
    for t in range(2):
        if lib.is_open(t):
            lib.close(t)


@pytest.fixture
def t(lib):
    assert lib.open(0, 5, 4, bytes([0x40, 0x41]), 0) == 0
    return 0


def counters(lib, t):
    return [lib.counter(t, i) for i in range(12)]


def take(lib, t, n=256):
    buf = bytearray(n)
    k = lib.rx_take(t, buf)
    assert k >= 0
    return bytes(buf[:k])


def dirty(lib, t, address):
    span = bytearray(4)
    k = lib.reg_dirty(t, address, span)
    assert k in (0, 1)
    return (span[0] | span[1] << 8, span[2] | span[3] << 8) if k else None


def test_open_checks(lib):
    assert lib.open(0, 5, 5, b"\x40", 0) == PORT_EPIN
    assert lib.open(0, 5, 4, b"", 0) == E_INVAL
    assert lib.open(0, 5, 4, bytes(range(0x40, 0x49)), 0) == E_NOSPC
    assert lib.open(0, 5, 4, b"\x40\x40", 0) == E_EXIST
    assert lib.open(0, 5, 4, b"\x80", 0) == E_INVAL
    assert lib.open(0, 5, 4, b"\x40", 0) == 0
    assert lib.open(0, 7, 6, b"\x41", 0) == PORT_ESTATE  # slot 0 already open
    assert lib.open(1, 5, 6, b"\x41", 0) == PORT_EBUSY   # SCL pin shared
    assert lib.open(2, 7, 6, b"\x41", 0) == -23          # no such slot
    assert lib.close(0) == 0
    assert lib.close(0) == PORT_ESTATE
    assert lib.request(0) == PORT_ESTATE


def test_write_bytes_are_acked_only_with_credit(lib, t):
    assert lib.sim_address(t, 0x40, 0, 0) == ACK
    assert lib.request(t) == 0x40
    assert lib.sim_write_byte(t, 0x11) == HOLD           # Python has not asked yet
    assert lib.status(t) & SEG_HELD
    assert lib.rx_want(t, 2, 1) == 0
    assert lib.sim_poll(t) == ACK                        # credit released the held byte
    assert lib.sim_write_byte(t, 0x22) == ACK            # second byte of the credit
    assert lib.sim_write_byte(t, 0x33) == HOLD           # beyond what was asked
    assert take(lib, t) == b"\x11\x22"
    lib.sim_stop(t)
    assert lib.status(t) & SEG_ENDED
    c = counters(lib, t)
    assert (c[BYTES_IN], c[NACKS], c[RX_DROPPED]) == (2, 0, 1)


def test_read_with_ack_false_holds_the_nth_byte(lib, t):
    lib.sim_address(t, 0x40, 0, 0)
    assert lib.rx_want(t, 2, 0) == 0
    assert lib.sim_write_byte(t, 1) == ACK
    assert lib.sim_write_byte(t, 2) == HOLD
    assert lib.status(t) & SEG_ACK_WAIT
    assert take(lib, t) == b"\x01\x02"
    assert lib.rx_want(t, 1, 1) == E_STATE               # ack() first
    assert lib.ack(t, 0) == 0
    assert lib.sim_poll(t) == NACK
    assert lib.ack(t, 1) == E_STATE                       # nothing held any more
    assert lib.sim_write_byte(t, 3) == NACK              # the rest is refused
    lib.sim_stop(t)
    c = counters(lib, t)
    assert (c[BYTES_IN], c[NACKS]) == (1, 2)


def test_ack_true_releases_with_ack(lib, t):
    lib.sim_address(t, 0x40, 0, 0)
    lib.rx_want(t, 1, 0)
    assert lib.sim_write_byte(t, 9) == HOLD
    assert lib.ack(t, 1) == 0
    assert lib.sim_poll(t) == ACK
    assert lib.counter(t, BYTES_IN) == 1


def test_read_segment_waits_for_python_then_fills(lib, t):
    assert lib.sim_address(t, 0x40, 1, 1) == ACK
    assert lib.request(t) == 0x40 | SEG_READ | SEG_RESTART
    assert lib.sim_read_byte(t) == HOLD
    assert lib.tx_put(t, b"\x11\x22") == 2
    assert lib.sim_poll(t) == SENT | 0x11
    assert lib.sim_read_byte(t) == SENT | 0x22
    assert lib.sim_read_byte(t) == HOLD                  # Python has no more
    assert lib.tx_sent(t) == 2 and lib.tx_pending(t) == 0
    assert lib.seg_close(t) == 0
    assert lib.sim_poll(t) == SENT | 0xFF
    assert lib.sim_read_byte(t) == SENT | 0xFF
    lib.sim_controller_nack(t)
    lib.sim_stop(t)
    c = counters(lib, t)
    assert (c[BYTES_OUT], c[FILLER], c[TX_UNSENT]) == (2, 2, 0)
    assert lib.request(t) == E_NOENT


def test_controller_nack_ends_write_count(lib, t):
    lib.sim_address(t, 0x40, 1, 0)
    assert lib.tx_put(t, b"abc") == 3
    assert lib.sim_read_byte(t) == SENT | ord("a")
    lib.sim_controller_nack(t)
    assert lib.status(t) & SEG_CTRL_NACK
    lib.sim_stop(t)
    assert lib.tx_sent(t) == 1
    assert lib.counter(t, TX_UNSENT) == 2
    assert lib.tx_put(t, b"x") == 0                       # segment over


def test_loaded_byte_not_clocked_is_unsent(lib, t):
    lib.sim_address(t, 0x40, 1, 0)
    lib.tx_put(t, b"ab")
    assert lib.sim_read_byte(t) == SENT | ord("a")
    assert lib.sim_read_byte(t) == SENT | ord("b")       # 'a' was ACKed
    lib.sim_stop(t)                                      # 'b' loaded, never clocked
    c = counters(lib, t)
    assert (c[BYTES_OUT], c[TX_UNSENT]) == (1, 1)


def test_segments_queue_in_bus_order(lib, t):
    lib.sim_address(t, 0x40, 0, 0)                       # quick write (i2cdetect)
    lib.sim_stop(t)
    lib.sim_address(t, 0x41, 0, 0)
    assert lib.sim_write_byte(t, 7) == HOLD
    assert lib.request(t) == 0x40 | SEG_ENDED
    assert lib.rx_want(t, 1, 1) == 0                     # head is not on the bus
    assert lib.sim_poll(t) == HOLD
    assert lib.seg_close(t) == 0
    assert lib.request(t) & 0xFF == 0x41
    lib.rx_want(t, 1, 1)
    assert lib.sim_poll(t) == ACK
    assert take(lib, t) == b"\x07"


def test_restart_ends_previous_segment(lib, t):
    lib.sim_address(t, 0x40, 0, 0)
    lib.rx_want(t, -1, 1)
    assert lib.sim_write_byte(t, 1) == ACK
    assert lib.sim_address(t, 0x40, 1, 1) == ACK
    assert lib.request(t) & SEG_ENDED
    assert take(lib, t) == b"\x01"
    lib.seg_close(t)
    assert lib.request(t) == 0x40 | SEG_READ | SEG_RESTART


def test_queue_full_nacks_address_and_counts(lib, t):
    for _ in range(QUEUE_LEN):
        assert lib.sim_address(t, 0x40, 0, 0) == ACK
        lib.sim_stop(t)
    assert lib.sim_address(t, 0x40, 0, 0) == NACK
    assert lib.counter(t, OVERRUNS) == 1
    assert lib.sim_write_byte(t, 1) == NACK              # nothing to deliver to
    lib.seg_close(t)
    assert lib.sim_address(t, 0x40, 0, 0) == ACK


def test_unlisted_address_nacked(lib, t):
    assert lib.sim_address(t, 0x50, 0, 0) == NACK
    assert lib.counter(t, ADDR_NACKS) == 1
    assert lib.request(t) == E_NOENT


def test_rx_ring_full_holds_until_drained(lib, t):
    lib.sim_address(t, 0x40, 0, 0)
    lib.rx_want(t, -1, 1)
    for i in range(RX_SIZE):
        assert lib.sim_write_byte(t, i & 0xFF) == ACK
    assert lib.sim_write_byte(t, 0xAB) == HOLD
    got = take(lib, t, 10)
    assert got == bytes(range(10))
    assert lib.sim_poll(t) == ACK
    assert len(take(lib, t, 512)) == RX_SIZE - 10 + 1


def test_tx_ring_bounded(lib, t):
    lib.sim_address(t, 0x40, 1, 0)
    assert lib.tx_put(t, bytes(100)) == TX_SIZE
    assert lib.rx_want(t, 1, 1) == E_STATE               # read segment
    lib.sim_address(t, 0x40, 0, 1)
    lib.seg_close(t)
    assert lib.tx_put(t, b"x") == E_STATE                # write segment


def test_stretch_timeout_nacks_written_byte(lib, t):
    assert lib.configure(t, 0, 1000) == 0
    lib.sim_address(t, 0x40, 0, 0)
    lib.sim_set_time(100)
    assert lib.sim_write_byte(t, 1) == HOLD
    lib.sim_set_time(1099)
    assert lib.service(t) == 0
    lib.sim_set_time(1100)
    assert lib.service(t) == 1
    assert lib.sim_poll(t) == NACK
    assert lib.status(t) & SEG_TIMEOUT
    assert lib.sim_write_byte(t, 2) == NACK              # no second stretch
    c = counters(lib, t)
    assert (c[TIMEOUTS], c[NACKS]) == (1, 2)


def test_stretch_timeout_fills_read_byte(lib, t):
    lib.configure(t, 0, 500)
    lib.sim_address(t, 0x40, 1, 0)
    assert lib.sim_read_byte(t) == HOLD
    lib.sim_set_time(500)
    lib.service(t)
    assert lib.sim_poll(t) == SENT | 0xFF
    assert lib.sim_read_byte(t) == SENT | 0xFF
    lib.sim_controller_nack(t)
    assert counters(lib, t)[FILLER] == 2


def test_zero_stretch_limit_holds_forever(lib, t):
    lib.sim_address(t, 0x40, 0, 0)
    lib.sim_write_byte(t, 1)
    lib.sim_set_time(2 ** 30)
    assert lib.service(t) == 0
    assert lib.sim_poll(t) == HOLD


def test_close_write_nacks_held_byte(lib, t):
    lib.sim_address(t, 0x40, 0, 0)
    assert lib.sim_write_byte(t, 1) == HOLD
    lib.seg_close(t)
    assert lib.sim_poll(t) == NACK
    assert lib.sim_write_byte(t, 2) == NACK
    lib.sim_stop(t)
    assert counters(lib, t)[NACKS] == 2


def test_bus_error_ends_segment(lib, t):
    lib.sim_address(t, 0x40, 0, 0)
    lib.sim_bus_error(t)
    assert lib.request(t) & (SEG_ENDED | SEG_BUS_ERROR) == SEG_ENDED | SEG_BUS_ERROR
    assert lib.counter(t, BUS_ERRORS) == 1


def test_configure_checks(lib, t):
    assert lib.configure(t, 1, 0x00) == 0
    assert lib.configure(t, 1, 0x100) == E_INVAL
    assert lib.configure(t, 9, 1) == E_INVAL
    assert lib.configure(t, 0, -1) == E_INVAL
    lib.sim_address(t, 0x40, 1, 0)
    lib.seg_close(t)
    assert lib.sim_read_byte(t) == SENT | 0x00           # the configured filler


def test_register_mode_served_without_python(lib, t):
    mem = bytearray(range(16))
    assert lib.set_regmap(t, 0x41, mem, 0) == 0
    assert lib.set_readonly(t, 0x41, 0, 8, 10) == 0
    lib.sim_address(t, 0x41, 0, 0)
    assert [lib.sim_write_byte(t, b) for b in (14, 0xA0, 0xA1, 0xA2)] == [ACK] * 4
    lib.sim_stop(t)
    assert mem[14:16] == b"\xa0\xa1" and mem[0] == 0xA2  # wrapped
    lib.sim_address(t, 0x41, 0, 0)
    assert [lib.sim_write_byte(t, b) for b in (7, 0x77, 0x88)] == [ACK, ACK, NACK]  # 8 is read-only
    lib.sim_address(t, 0x41, 1, 1)
    assert [lib.sim_read_byte(t) & 0xFF for _ in range(3)] == [8, 9, 10]
    lib.sim_controller_nack(t)
    lib.sim_stop(t)
    assert lib.request(t) == E_NOENT                     # Python saw nothing
    assert dirty(lib, t, 0x41) == (0, 16)               # the wrap made the span whole
    assert dirty(lib, t, 0x41) is None
    c = counters(lib, t)
    assert (c[REG_WRITES], c[BYTES_OUT], c[NACKS]) == (4, 3, 1)


def test_register_mode_16bit_index_no_wrap(lib, t):
    mem = bytearray(300)
    mem[299] = 0x5A
    assert lib.set_regmap(t, 0x40, mem, 1 | 2) == 0
    lib.sim_address(t, 0x40, 0, 0)
    assert lib.sim_write_byte(t, 0x01) == ACK
    assert lib.sim_write_byte(t, 0x2B) == ACK            # index 299
    assert lib.sim_write_byte(t, 0x11) == ACK
    assert lib.sim_write_byte(t, 0x22) == NACK           # past the end, no wrap
    lib.sim_address(t, 0x40, 1, 1)
    assert lib.sim_read_byte(t) == SENT | 0xFF
    assert mem[299] == 0x11
    assert dirty(lib, t, 0x40) == (299, 300)


def test_regmap_checks(lib, t):
    assert lib.set_regmap(t, 0x50, bytearray(4), 0) == E_NOENT
    assert lib.set_readonly(t, 0x40, 0, 0, 1) == E_NOENT
    lib.set_regmap(t, 0x40, bytearray(4), 0)
    assert lib.set_readonly(t, 0x40, 0, 2, 5) == E_INVAL
    assert lib.set_readonly(t, 0x40, 2, 0, 1) == E_INVAL
    assert lib.set_regmap(t, 0x40, None, 0) == 0         # back to request mode
    lib.sim_address(t, 0x40, 0, 0)
    assert lib.request(t) == 0x40
