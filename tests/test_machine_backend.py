# The machine.I2CTarget backend (python/i2cperipheral/_machine.py) against
# fake machine modules that reproduce each port's event order
# (tests/machine_models/fake_machine.py).
import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "python"))
sys.path.insert(0, os.path.join(ROOT, "tests", "machine_models"))

import fake_machine  # noqa: E402
from i2cperipheral import _machine as M  # noqa: E402

HARD_PORTS = ["rp2", "alif", "stm32", "samd", "mimxrt", "zephyr"]
DEFER_PORTS = ["rp2", "alif"]
IMMEDIATE_PORTS = ["stm32", "samd", "mimxrt", "zephyr"]
ADDR = 0x40


def dirty(lib):
    span = bytearray(4)
    if not lib.reg_dirty(0, ADDR, span):
        return None
    return (span[0] | span[1] << 8, span[2] | span[3] << 8)


def make(port, addr=ADDR, **kw):
    m = fake_machine.FakeMachine(port)
    lib = M.MachineLib(machine_module=m, platform=port, bus_ids={0: 1, 1: 2}, **kw)
    assert lib.open(0, 5, 4, bytes([addr]), 0) == 0
    return m, lib


def take_all(lib, t=0):
    out = bytearray()
    buf = bytearray(64)
    while True:
        n = lib.rx_take(t, buf)
        if n <= 0:
            return out
        out += buf[:n]


def requests(m, lib):
    """Drain the queue: (flags, bytes) per segment, in bus order."""
    m.bus.run()
    out = []
    while True:
        v = lib.request(0)
        if v == M.E_NOENT:
            return out
        data = bytes(take_all(lib)) if not v & M.SEG_READ else None
        out.append((v, data))
        assert lib.seg_close(0) == 0


# ---- request mode: writes ---------------------------------------------------------

@pytest.mark.parametrize("port", HARD_PORTS)
def test_write_is_one_segment_with_all_bytes(port):
    m, lib = make(port)
    x = m.bus.transfer([("w", ADDR, b"\x01\xaa\xbb")])
    segs = requests(m, lib)
    assert x.results == [3]
    assert len(segs) == 1
    flags, data = segs[0]
    assert flags & 0xFF == ADDR
    assert not flags & M.SEG_READ
    assert flags & M.SEG_ENDED
    assert not flags & M.SEG_RESTART  # machine.I2CTarget never reports it
    assert data == b"\x01\xaa\xbb"
    assert lib.counter(0, M.CNT_BYTES_IN) == 3
    assert lib.counter(0, M.CNT_SEGMENTS) == 1
    assert m.hard_calls > 0


@pytest.mark.parametrize("port", HARD_PORTS)
def test_segments_in_bus_order(port):
    m, lib = make(port)
    lib.preload(0, ADDR, b"\x55") if port in IMMEDIATE_PORTS else None
    m.bus.transfer([("w", ADDR, b"\x10")])
    m.bus.transfer([("w", ADDR, b"\x20\x21"), ("w", ADDR, b"\x22")])
    m.bus.transfer([("w", ADDR, b"")])  # i2cdetect-style quick write
    m.bus.transfer([("w", ADDR, b"\x30")])
    segs = requests(m, lib)
    if port == "alif":
        # alif does not enable START_DET: write, repeated START, write looks
        # like one write (ports/alif/machine_i2c_target.c)
        assert [d for f, d in segs] == [b"\x10", b"\x20\x21\x22", b"", b"\x30"]
    else:
        assert [d for f, d in segs] == [b"\x10", b"\x20\x21", b"\x22", b"", b"\x30"]
    assert all(f & M.SEG_ENDED and not f & M.SEG_READ for f, d in segs)


@pytest.mark.parametrize("port", HARD_PORTS)
def test_read_n_returns_fewer_at_stop_and_close_drops_rest(port):
    m, lib = make(port)
    m.bus.transfer([("w", ADDR, b"\x01\x02\x03\x04")])
    m.bus.run()
    assert lib.rx_want(0, 2, 1) == 0
    buf = bytearray(2)
    assert lib.rx_take(0, buf) == 2 and buf == b"\x01\x02"
    assert lib.seg_close(0) == 0
    # the hardware ACKed the two bytes Python never read: counted, not hidden
    assert lib.counter(0, M.CNT_RX_UNREAD) == 2
    assert lib.counter(0, M.CNT_BYTES_IN) == 4
    assert lib.counter(0, M.CNT_NACKS) == 0


@pytest.mark.parametrize("port", HARD_PORTS)
def test_ack_false_cannot_nack(port):
    m, lib = make(port)
    m.bus.transfer([("w", ADDR, b"\x07\x08")])
    m.bus.run()
    assert lib.ack(0, 1) == M.E_STATE  # nothing held
    assert lib.rx_want(0, 1, 0) == 0
    assert lib.status(0) & M.SEG_ACK_WAIT
    assert lib.ack(0, 1) == 0  # accepting is what the hardware did anyway
    assert lib.rx_want(0, 1, 0) == 0
    with pytest.raises(NotImplementedError, match="cannot be NACKed"):
        lib.ack(0, 0)


@pytest.mark.parametrize("port", HARD_PORTS)
def test_queue_overflow_counted(port):
    m, lib = make(port)
    for i in range(M.QUEUE_LEN + 2):
        m.bus.transfer([("w", ADDR, bytes([i]))])
    segs = requests(m, lib)
    assert [d for f, d in segs] == [bytes([i]) for i in range(M.QUEUE_LEN)]
    assert lib.counter(0, M.CNT_OVERRUNS) == 2
    assert lib.counter(0, M.CNT_RX_UNREAD) == 2


# ---- request mode: reads ------------------------------------------------------------

@pytest.mark.parametrize("port", DEFER_PORTS)
def test_defer_port_read_waits_for_python(port):
    m, lib = make(port)
    x = m.bus.transfer([("w", ADDR, b"\x05"), ("r", ADDR, 3)])
    for _ in range(20):
        m.idle()
    assert not x.done and m.stretch_steps > 0  # SCL held while Python decides
    assert lib.request(0) & M.SEG_ENDED  # the write half
    assert bytes(take_all(lib)) == b"\x05"
    lib.seg_close(0)
    v = lib.request(0)
    assert v & M.SEG_READ and v & M.SEG_HELD and v & 0xFF == ADDR
    assert lib.tx_put(0, b"\xa1\xa2\xa3\xa4\xa5") == 5
    m.bus.run()
    assert x.done and x.results == [1, bytearray(b"\xa1\xa2\xa3")]
    st = lib.status(0)
    assert st & M.SEG_ENDED and st & M.SEG_CTRL_NACK and not st & M.SEG_HELD
    assert lib.tx_sent(0) == 3
    lib.seg_close(0)
    # \xa4 was loaded for the request the NACK raised, \xa5 never left the queue
    assert lib.counter(0, M.CNT_TX_UNSENT) == 2
    assert lib.counter(0, M.CNT_BYTES_OUT) == 3
    assert lib.counter(0, M.CNT_FILLER) == 0


@pytest.mark.parametrize("port", DEFER_PORTS)
def test_defer_port_next_read_not_wedged_and_no_stale_byte(port):
    m, lib = make(port)
    x = m.bus.transfer([("r", ADDR, 2)])
    m.bus.pump()
    assert lib.request(0) & M.SEG_HELD
    assert lib.tx_put(0, b"\x11\x22") == 2
    m.bus.run()
    assert x.results == [bytearray(b"\x11\x22")]
    lib.seg_close(0)
    y = m.bus.transfer([("r", ADDR, 1)])
    m.bus.pump()
    m.bus.pump()
    assert lib.request(0) & M.SEG_HELD  # read requests still reach the handler
    assert lib.tx_put(0, b"\x33") == 1
    m.bus.run()
    assert y.results == [bytearray(b"\x33")]  # the dummy byte was flushed, not sent
    assert m.flushed >= 1


@pytest.mark.parametrize("port", DEFER_PORTS)
def test_defer_port_timeout_sends_filler(port, monkeypatch):
    m, lib = make(port)
    now = [1000]
    monkeypatch.setattr(M, "ticks_us", lambda: now[0])
    assert lib.configure(0, M.CFG_MAX_STRETCH_US, 25000) == 0
    assert lib.configure(0, M.CFG_FILLER, 0xEE) == 0
    x = m.bus.transfer([("r", ADDR, 2)])
    m.bus.pump()
    assert lib.service(0) == 0
    now[0] += 25000
    assert lib.service(0) == 1
    m.bus.run()
    assert x.results == [bytearray(b"\xee\xee")]
    st = lib.status(0)
    assert st & M.SEG_TIMEOUT and st & M.SEG_ENDED
    assert lib.tx_put(0, b"\x01") == 0  # too late: the controller took filler
    assert lib.counter(0, M.CNT_TIMEOUTS) == 1
    assert lib.counter(0, M.CNT_FILLER) == 2


@pytest.mark.parametrize("port", IMMEDIATE_PORTS)
def test_immediate_port_read_without_preload_is_filler_and_write_raises(port):
    m, lib = make(port)
    x = m.bus.transfer([("r", ADDR, 3)])
    m.bus.run()
    assert x.results == [bytearray(b"\xff\xff\xff")]
    assert lib.counter(0, M.CNT_FILLER) == 3
    v = lib.request(0)
    assert v & M.SEG_READ and v & M.SEG_ENDED and not v & M.SEG_HELD
    with pytest.raises(NotImplementedError, match="preload"):
        lib.tx_put(0, b"\x01")
    assert lib.tx_sent(0) == 0


@pytest.mark.parametrize("port", IMMEDIATE_PORTS + DEFER_PORTS)
def test_preload_served_from_start_each_read_then_filler(port):
    m, lib = make(port)
    assert lib.preload(0, ADDR, b"\xc0\xc1") == 0
    x = m.bus.transfer([("w", ADDR, b"\x00"), ("r", ADDR, 3)])
    y = m.bus.transfer([("r", ADDR, 1)])
    m.bus.run()
    assert x.results == [1, bytearray(b"\xc0\xc1\xff")]
    assert y.results == [bytearray(b"\xc0")]
    segs = requests(m, lib)
    assert [f & M.SEG_READ for f, d in segs] == [0, M.SEG_READ, M.SEG_READ]
    assert lib.counter(0, M.CNT_BYTES_OUT) == 3
    assert lib.counter(0, M.CNT_FILLER) == 1


def test_preload_replaced_between_reads():
    m, lib = make("stm32")
    lib.preload(0, ADDR, b"\x01")
    x = m.bus.transfer([("r", ADDR, 1)])
    m.bus.run()
    lib.preload(0, ADDR, b"\x02")
    y = m.bus.transfer([("r", ADDR, 1)])
    m.bus.run()
    assert (x.results, y.results) == ([bytearray(b"\x01")], [bytearray(b"\x02")])


def test_tx_sent_matches_bytes_the_controller_received_with_prefetch():
    # stm32 asks for n+1 bytes for an n-byte read: the last is never sent.
    m, lib = make("stm32")
    lib.preload(0, ADDR, b"\x01\x02\x03\x04")
    x = m.bus.transfer([("r", ADDR, 2)])
    m.bus.run()
    assert x.results == [bytearray(b"\x01\x02")]
    assert lib.tx_sent(0) == 2
    assert m.discarded == 1
    assert lib.counter(0, M.CNT_BYTES_OUT) == 2


def test_closing_a_held_read_sends_filler():
    m, lib = make("rp2")
    x = m.bus.transfer([("r", ADDR, 2)])
    m.bus.pump()
    assert lib.request(0) & M.SEG_HELD
    assert lib.seg_close(0) == 0
    m.bus.run()
    assert x.results == [bytearray(b"\xff\xff")]
    assert lib.counter(0, M.CNT_FILLER) == 2
    assert lib.request(0) == M.E_NOENT


# ---- setup errors -------------------------------------------------------------------

@pytest.mark.parametrize("port", HARD_PORTS + ["esp32"])
def test_one_address_per_target(port):
    m = fake_machine.FakeMachine(port)
    lib = M.MachineLib(machine_module=m, platform=port, bus_ids={0: 1})
    with pytest.raises(ValueError, match="one address"):
        lib.open(0, 5, 4, bytes([0x40, 0x41]), 0)
    assert lib.is_open(0) == 0


@pytest.mark.parametrize("port", ["stm32", "alif", "zephyr"])
def test_bus_id_required(port):
    m = fake_machine.FakeMachine(port)
    lib = M.MachineLib(machine_module=m, platform=port)
    with pytest.raises(ValueError, match="bus id"):
        lib.open(0, 5, 4, bytes([0x40]), 0)


@pytest.mark.parametrize("port", ["stm32", "mimxrt", "zephyr"])
def test_ports_with_fixed_pins_get_no_pin_arguments(port):
    m, lib = make(port)  # the fake raises TypeError on scl=/sda=
    assert m.created[-1].scl is None


def test_rp2_bus_id_from_pins():
    m = fake_machine.FakeMachine("rp2")
    lib = M.MachineLib(machine_module=m, platform="rp2")
    lib.open(0, 3, 2, bytes([0x40]), 0)
    lib.open(1, 5, 4, bytes([0x41]), 0)
    assert [t.id for t in m.created] == [1, 0]
    assert m.created[0].sda.n == 2


def test_unknown_port_and_missing_i2ctarget():
    with pytest.raises(ImportError, match="no machine.I2CTarget support"):
        M.MachineLib(machine_module=fake_machine.FakeMachine("rp2"), platform="nrf")

    class NoTarget:
        pass
    with pytest.raises(ImportError, match="1.26"):
        M.MachineLib(machine_module=NoTarget(), platform="rp2")


def test_close_deinits_and_later_calls_report_closed():
    m, lib = make("samd")
    hw = m.created[-1]
    assert lib.close(0) == 0
    assert hw.deinit_count == 1
    assert lib.is_open(0) == 0
    assert lib.request(0) == M.PORT_ESTATE
    assert lib.counter(0, 0) == M.PORT_ESTATE
    x = m.bus.transfer([("w", ADDR, b"\x01")])
    m.bus.run()
    assert x.results == [None]  # nobody answers


# ---- register mode --------------------------------------------------------------------

@pytest.mark.parametrize("port", HARD_PORTS + ["esp32"])
def test_register_mode_write_then_read_back(port):
    m, lib = make(port)
    mem = bytearray(range(16))
    assert lib.set_regmap(0, ADDR, mem, 0) == 0
    hw = m.created[-1]
    assert hw.mem is mem and hw.mem_addrsize == 1
    assert hw.irq_obj.hard == (port != "esp32")
    assert dirty(lib) is None
    x = m.bus.transfer([("w", ADDR, b"\x03\xaa\xbb")])
    y = m.bus.transfer([("w", ADDR, b"\x02"), ("r", ADDR, 4)])
    m.bus.run()
    assert x.results == [3]
    assert y.results == [1, bytearray(b"\x02\xaa\xbb\x05")]
    assert mem[3:5] == b"\xaa\xbb"
    assert dirty(lib) == (3, 16)
    assert dirty(lib) is None
    assert lib.request(0) == M.E_NOENT  # register segments are not queued
    # machine.I2CTarget emits no END_WRITE for an index-only write, and esp32
    # asks only for END_WRITE (soft IRQ flags are read late)
    assert lib.counter(0, M.CNT_SEGMENTS) == (1 if port == "esp32" else 2)


@pytest.mark.parametrize("port", ["rp2", "stm32", "esp32"])
def test_register_mode_index16_and_back_to_request_mode(port):
    m, lib = make(port)
    mem = bytearray(300)
    assert lib.set_regmap(0, ADDR, mem, M.REG_INDEX16) == 0
    assert m.created[-1].mem_addrsize == 2
    x = m.bus.transfer([("w", ADDR, b"\x01\x00\x5a")])
    m.bus.run()
    assert mem[256] == 0x5A
    assert lib.set_regmap(0, ADDR, None, 0) == 0
    if port == "esp32":
        with pytest.raises(NotImplementedError):
            lib.request(0)
    else:
        m.bus.transfer([("w", ADDR, b"\x01")])
        assert [d for f, d in requests(m, lib)] == [b"\x01"]


@pytest.mark.parametrize("port", ["rp2", "esp32"])
def test_register_mode_unsupported_options_raise(port):
    m, lib = make(port)
    with pytest.raises(NotImplementedError, match="wraps"):
        lib.set_regmap(0, ADDR, bytearray(8), M.REG_NO_WRAP)
    assert lib.set_regmap(0, ADDR, bytearray(8), 0) == 0
    assert lib.set_readonly(0, ADDR, 0, 2, 2) == 0  # empty range: nothing to enforce
    with pytest.raises(NotImplementedError, match="cannot NACK"):
        lib.set_readonly(0, ADDR, 0, 0, 4)
    assert lib.set_regmap(0, 0x41, bytearray(8), 0) == M.E_NOENT


def test_esp32_request_mode_is_refused_clearly():
    m, lib = make("esp32")
    assert m.created == []  # nothing answers until a memory is given
    with pytest.raises(NotImplementedError, match="serve_memory"):
        lib.request(0)
    with pytest.raises(NotImplementedError, match="serve_memory"):
        lib.preload(0, ADDR, b"\x01")
    caps = lib.capabilities()
    assert caps["request_mode"] is False and caps["register_mode"] is True


def test_esp32_soft_irq_runs_later():
    m, lib = make("esp32")
    mem = bytearray(8)
    lib.set_regmap(0, ADDR, mem, 0)
    m.bus.transfer([("w", ADDR, b"\x04\x01")])
    for _ in range(3):
        m.bus._step()  # bus steps without running scheduled handlers
    assert dirty(lib) is None  # handler not run yet
    m.bus.run()
    assert dirty(lib) == (4, 8)


def test_esp32_write_followed_by_restart_read_still_marks_dirty():
    # Both END_WRITE and END_READ happen in one driver callback; the soft
    # handler runs later and reads the flags then.
    m, lib = make("esp32")
    mem = bytearray(8)
    lib.set_regmap(0, ADDR, mem, 0)
    x = m.bus.transfer([("w", ADDR, b"\x02\x44"), ("r", ADDR, 1)])
    m.bus.run()
    assert mem[2] == 0x44 and x.results == [2, bytearray(b"\x00")]  # read from index 3
    assert dirty(lib) == (2, 8)


# ---- capabilities ------------------------------------------------------------------------

@pytest.mark.parametrize("port", HARD_PORTS + ["esp32"])
def test_capabilities_shape(port):
    m = fake_machine.FakeMachine(port)
    caps = M.MachineLib(machine_module=m, platform=port).capabilities()
    assert caps["per_byte_nack"] is False and caps["is_restart"] is False
    assert caps["addresses_per_target"] == 1
    assert caps["read_stretch"] == (port in DEFER_PORTS)
    assert caps["port"] == port


def test_esp32_variants_map_to_esp32():
    m = fake_machine.FakeMachine("esp32")
    assert M.MachineLib(machine_module=m, platform="esp32").traits.name == "esp32"


# ---- the same backend under the unix micropython ------------------------------------

def test_backend_runs_under_micropython_with_heap_locked_irqs():
    import shutil
    import subprocess
    mp = shutil.which("micropython")
    assert mp, "the unix micropython is part of this project's test setup"
    script = os.path.join(ROOT, "tests", "machine_models", "mp_scenarios.py")
    out = subprocess.run([mp, script, ROOT], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "FAILURES []" in out.stdout, out.stdout
    assert "DONE micropython" in out.stdout


def test_micropython_scenarios_also_pass_on_cpython():
    import subprocess
    script = os.path.join(ROOT, "tests", "machine_models", "mp_scenarios.py")
    out = subprocess.run([sys.executable, script, ROOT], capture_output=True, text=True, timeout=60)
    assert "FAILURES []" in out.stdout, out.stdout + out.stderr
