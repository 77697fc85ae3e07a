"""On a board the engine's stretch limit is checked by a timer interrupt the
wrapper starts, so a program busy elsewhere (not calling request(), read()
or write()) still cannot hold the bus past the limit.  Played with the real
SAMD51 driver in unicorn (tests/reliability/targets.py ChipLib) and a
stand-in machine.Timer that the test fires by hand."""
import sys
import types

import pytest

import i2cperipheral
from i2cperipheral import _abi
from tests.reliability.targets import ChipLib


class FakeTimer:
    PERIODIC = 1
    made = []

    def __init__(self, id=-1, mode=None, period=None, callback=None, hard=False):
        self.mode, self.period, self.callback, self.hard = mode, period, callback, hard
        self.running = True
        FakeTimer.made.append(self)

    def fire(self):
        if self.running:
            self.callback(self)

    def deinit(self):
        self.running = False


@pytest.fixture
def board(monkeypatch):
    FakeTimer.made = []
    monkeypatch.setitem(sys.modules, "machine", types.SimpleNamespace(Timer=FakeTimer))
    lib = ChipLib("samd51")
    monkeypatch.setattr(i2cperipheral, "_the_backend", i2cperipheral._Backend(lib))
    yield lib
    for t in range(_abi.MAX_TARGETS):
        if lib.is_open(t):
            lib.close(t)


def test_tick_releases_a_hold_the_program_never_looks_at(board):
    lib = board
    dev = i2cperipheral.I2CPeripheral(*lib.pins, addresses=(0x40,))
    [timer] = FakeTimer.made
    assert timer.mode == FakeTimer.PERIODIC and timer.period == i2cperipheral.SERVICE_PERIOD_MS
    assert timer.hard is True
    dev.configure(max_stretch_us=1000)
    lib.sim_set_time(0)
    assert lib.sim_address(0, 0x40, 0, 0) == _abi.SIM_ACK
    assert lib.sim_write_byte(0, 0x11) == _abi.SIM_HOLD      # nobody asked for it: SCL held
    lib.sim_set_time(999)
    timer.fire()
    assert lib.sim_poll(0) == _abi.SIM_HOLD                   # not yet at the limit
    lib.sim_set_time(1200)
    timer.fire()                                              # the program is still busy elsewhere
    assert lib.sim_poll(0) == _abi.SIM_NACK                   # released by the interrupt
    assert dev.stats()["timeouts"] == 1
    lib.sim_stop(0)
    dev.deinit()
    assert timer.running is False


def test_without_the_tick_the_hold_stays_until_the_program_calls_in(board):
    lib = board
    dev = i2cperipheral.I2CPeripheral(*lib.pins, addresses=(0x40,))
    dev.configure(max_stretch_us=1000)
    lib.sim_set_time(0)
    lib.sim_address(0, 0x40, 0, 0)
    assert lib.sim_write_byte(0, 0x11) == _abi.SIM_HOLD
    lib.sim_set_time(5000)
    assert lib.sim_poll(0) == _abi.SIM_HOLD                   # nothing ticked
    assert dev.request(-1) is not None                        # the program's call services it
    assert lib.sim_poll(0) == _abi.SIM_NACK
    lib.sim_stop(0)
    dev.deinit()


def test_no_timer_where_machine_has_none(monkeypatch):
    monkeypatch.setitem(sys.modules, "machine", types.SimpleNamespace())
    lib = ChipLib("rp2040")
    monkeypatch.setattr(i2cperipheral, "_the_backend", i2cperipheral._Backend(lib))
    dev = i2cperipheral.I2CPeripheral(*lib.pins, addresses=(0x40,))
    assert dev._tick is None
    dev.deinit()
