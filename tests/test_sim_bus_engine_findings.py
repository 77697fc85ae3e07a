# Engine / sim-port bugs the bus simulator ran into, kept as regression tests
# through the flat functions.  Invariant: every data byte the controller
# wrote is counted exactly once in BYTES_IN + NACKS + RX_DROPPED; bytes ACKed
# and then discarded unread are RX_UNREAD, a subset of BYTES_IN.
import pytest

from i2cperipheral import _host

BYTES_IN, NACKS, RX_DROPPED, RX_UNREAD = 0, 2, 7, 12
SIM_HOLD = 2


@pytest.fixture
def lib():
    lib = _host.load()
    for t in range(2):
        if lib.is_open(t):
            lib.close(t)
    assert lib.open(0, 1, 2, bytes([0x40]), 0) == 0
    yield lib
    for t in range(2):
        if lib.is_open(t):
            lib.close(t)


def accounted(lib):
    return lib.counter(0, BYTES_IN) + lib.counter(0, NACKS) + lib.counter(0, RX_DROPPED)


def test_acked_byte_discarded_by_close_is_counted_once(lib):
    assert lib.sim_address(0, 0x40, 0, 0) == 0
    assert lib.rx_want(0, -1, 1) == 0
    assert lib.sim_write_byte(0, 0x01) == 0     # ACKed into the ring
    assert lib.seg_close(0) == 0                # the program never read it
    assert lib.sim_stop(0) == 0
    assert accounted(lib) == 1                  # controller wrote 1 byte
    assert lib.counter(0, RX_UNREAD) == 1


def test_byte_held_for_ack_then_closed_is_counted_once(lib):
    assert lib.sim_address(0, 0x40, 0, 0) == 0
    assert lib.rx_want(0, 1, 0) == 0            # read(1, ack=False)
    assert lib.sim_write_byte(0, 0x01) == SIM_HOLD
    assert lib.seg_close(0) == 0                # leaving `with r:` without ack()
    assert lib.sim_poll(0) == 1                 # released as NACK: right
    assert lib.sim_stop(0) == 0
    assert accounted(lib) == 1                  # NACKS 1, not also dropped
    assert lib.counter(0, RX_UNREAD) == 0       # never ACKed, so not "unread"


def test_repeated_start_under_a_hold_releases_scl(lib):
    assert lib.sim_address(0, 0x40, 1, 0) == 0
    assert lib.sim_read_byte(0) == SIM_HOLD     # nothing to send yet: SCL held
    # a controller that ignores the hold sends a repeated START
    assert lib.sim_address(0, 0x40, 0, 1) == 0
    assert not lib.request(0) & 0x1000          # the engine holds nothing now
    assert lib.sim_poll(0) != SIM_HOLD          # and the port no longer holds SCL
