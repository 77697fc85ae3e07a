# The object API (python/i2cperipheral) over the machine.I2CTarget backend,
# driven by the fake port models: the program's waits pump the modelled bus.
import errno
import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "python"))
sys.path.insert(0, os.path.join(ROOT, "tests", "machine_models"))

import fake_machine  # noqa: E402
import i2cperipheral  # noqa: E402
from i2cperipheral import _machine as M  # noqa: E402

ADDR = 0x40


@pytest.fixture
def board(monkeypatch):
    made = []

    def use(port):
        m = fake_machine.FakeMachine(port)
        lib = M.MachineLib(machine_module=m, platform=port, bus_ids={0: 1, 1: 2})
        monkeypatch.setattr(i2cperipheral, "_the_backend", i2cperipheral._Backend(lib))
        made.append(m)
        return m, lib
    return use


def serve(dev, transfers, regs, log):
    """A register device as a program would write it on this backend."""
    index = 0
    while not all(x.done for x in transfers):
        r = dev.request()  # check once; the idle below lets the bus model run
        if r is None:
            dev._lib.wait(dev._t)
            continue
        with r:
            if not r.is_read:
                b = r.read(1)
                if b:
                    index = b[0] & 15
                b = r.read(1)
                if b:
                    regs[index] = b[0]
                log.append(("w", bytes(b)))
            else:
                log.append(("r", r.write(bytes([regs[index]]))))


@pytest.mark.parametrize("port", ["rp2", "alif"])
def test_register_device_program_on_stretching_ports(board, port):
    m, lib = board(port)
    regs = bytearray(16)
    with i2cperipheral.I2CPeripheral(5, 4, (ADDR,)) as dev:
        xs = [m.bus.transfer([("w", ADDR, b"\x01\xaa")]),           # i2cset 0x40 1 0xaa
              m.bus.transfer([("w", ADDR, b"\x01"), ("r", ADDR, 1)])]  # i2cget 0x40 1
        serve(dev, xs, regs, [])
        assert regs[1] == 0xAA
        assert xs[1].results == [1, bytearray(b"\xaa")]
        st = dev.stats()
        assert st["bytes_out"] == 1 and st["filler"] == 0 and st["segments"] == 3
    assert m.created[-1].state == fake_machine._INACTIVE  # deinit released it


@pytest.mark.parametrize("port", ["stm32", "samd", "mimxrt", "zephyr"])
def test_same_program_on_immediate_ports_fails_loudly(board, port):
    m, lib = board(port)
    regs = bytearray(16)
    with i2cperipheral.I2CPeripheral(5, 4, (ADDR,)) as dev:
        xs = [m.bus.transfer([("w", ADDR, b"\x01\xaa")]),
              m.bus.transfer([("w", ADDR, b"\x01"), ("r", ADDR, 1)])]
        with pytest.raises(NotImplementedError, match="preload"):
            serve(dev, xs, regs, [])
        m.bus.run()
        assert xs[1].results == [1, bytearray(b"\xff")]  # filler, and counted:
        assert dev.stats()["filler"] == 1


@pytest.mark.parametrize("port", ["stm32", "zephyr"])
def test_preloaded_response_on_immediate_ports(board, port):
    m, lib = board(port)
    with i2cperipheral.I2CPeripheral(5, 4, (ADDR,)) as dev:
        dev.preload(ADDR, b"\x42\x43")
        x = m.bus.transfer([("r", ADDR, 2)])
        r = dev.request(timeout=2)
        assert r.is_read and not r.is_restart
        r.close()
        m.bus.run()
        assert x.results == [bytearray(b"\x42\x43")]
        assert dev.stats()["bytes_out"] == 2


@pytest.mark.parametrize("port", ["esp32", "rp2", "stm32"])
def test_serve_memory_through_the_api(board, port):
    m, lib = board(port)
    mem = bytearray(8)
    with i2cperipheral.I2CPeripheral(5, 4, (ADDR,)) as dev:
        dev.serve_memory(ADDR, mem)
        x = m.bus.transfer([("w", ADDR, b"\x05\x99")])
        y = m.bus.transfer([("w", ADDR, b"\x05"), ("r", ADDR, 2)])
        m.bus.run()
        assert mem[5] == 0x99 and y.results == [1, bytearray(b"\x99\x00")]
        assert dev.memory_changed(ADDR) == (5, 8)
        assert dev.memory_changed(ADDR) is None
        with pytest.raises(NotImplementedError, match="cannot NACK"):
            dev.serve_memory(ADDR, mem, readonly=[(0, 2)])
        with pytest.raises(NotImplementedError, match="wraps"):
            dev.serve_memory(ADDR, mem, wrap=False)


def test_esp32_request_raises_and_names_the_alternative(board):
    m, lib = board("esp32")
    with i2cperipheral.I2CPeripheral(5, 4, (ADDR,)) as dev:
        with pytest.raises(NotImplementedError, match="serve_memory"):
            dev.request()


def test_two_addresses_rejected_with_reason(board):
    board("rp2")
    with pytest.raises(ValueError, match="one address per I2C block"):
        i2cperipheral.I2CPeripheral(5, 4, (0x40, 0x41))


def test_request_timeout_while_bus_idle(board):
    board("rp2")
    with i2cperipheral.I2CPeripheral(5, 4, (ADDR,)) as dev:
        assert dev.request() is None
        with pytest.raises(OSError) as e:
            dev.request(timeout=0.01)
        assert e.value.errno == errno.ETIMEDOUT


def test_bus_id_from_the_constructor(monkeypatch):
    m = fake_machine.FakeMachine("stm32")
    lib = M.MachineLib(machine_module=m, platform="stm32")   # no bus ids configured
    monkeypatch.setattr(i2cperipheral, "_the_backend", i2cperipheral._Backend(lib))
    with pytest.raises(ValueError, match="bus id"):
        i2cperipheral.I2CPeripheral(5, 4, (ADDR,)).request()
    with i2cperipheral.I2CPeripheral(5, 4, (ADDR,), bus=2) as dev:
        dev.preload(ADDR, b"\x07")
        x = m.bus.transfer([("r", ADDR, 1)])
        dev.request(timeout=2).close()
        m.bus.run()
        assert x.results == [bytearray(b"\x07")]
    with pytest.raises(TypeError, match="bus must be"):
        i2cperipheral.I2CPeripheral(5, 4, (ADDR,), bus=1.5)


def test_capabilities_and_preload_errors(board):
    m, lib = board("esp32")
    with i2cperipheral.I2CPeripheral(5, 4, (ADDR,)) as dev:
        caps = dev.capabilities()
        assert caps["backend"] == "machine" and caps["port"] == "esp32"
        assert caps["per_byte_nack"] is False and caps["register_mode"] is True
        with pytest.raises(NotImplementedError, match="serve_memory"):
            dev.preload(ADDR, b"x")
        with pytest.raises(ValueError, match="not one of this target"):
            dev.preload(0x41, b"x")
