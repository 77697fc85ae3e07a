# Backend scenarios run under the unix `micropython` (and CPython): the fake
# port models call hard IRQ handlers with the heap locked, so any allocation
# in the backend's interrupt path raises MemoryError here.
# Usage: micropython mp_scenarios.py <repo root>
import sys

ROOT = sys.argv[-1]
sys.path.insert(0, ROOT + "/python")
sys.path.insert(0, ROOT + "/tests/machine_models")
import fake_machine  # noqa: E402
from i2cperipheral import _machine as M  # noqa: E402

ADDR = 0x40


def dirty(lib):
    span = bytearray(4)
    if not lib.reg_dirty(0, ADDR, span):
        return None
    return (span[0] | span[1] << 8, span[2] | span[3] << 8)
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)


def make(port):
    m = fake_machine.FakeMachine(port, heap_lock=True)
    lib = M.MachineLib(machine_module=m, platform=port, bus_ids={0: 1})
    lib.open(0, 5, 4, bytes([ADDR]), 0)
    return m, lib


def scenario_write_then_read(port):
    m, lib = make(port)
    defer = port in ("rp2", "alif")
    if not defer:
        lib.preload(0, ADDR, b"\x12\x34")
    x = m.bus.transfer([("w", ADDR, b"\x01\xaa"), ("r", ADDR, 2)])
    for i in range(12):
        m.idle()
    v = lib.request(0)
    buf = bytearray(8)
    n = lib.rx_take(0, buf)
    check(v & 0xFF == ADDR and not v & M.SEG_READ, port + " write flags")
    check(bytes(buf[:n]) == b"\x01\xaa", port + " write bytes")
    lib.seg_close(0)
    v = lib.request(0)
    check(v & M.SEG_READ, port + " read flags")
    if defer:
        check(v & M.SEG_HELD, port + " held")
        lib.tx_put(0, b"\x12\x34")
    m.bus.run()
    check(x.results == [2, bytearray(b"\x12\x34")], port + " controller got " + repr(x.results))
    check(lib.tx_sent(0) == 2, port + " tx_sent")
    lib.seg_close(0)
    check(m.hard_calls > 0, port + " hard IRQs ran")


def scenario_register_mode(port):
    m, lib = make(port)
    mem = bytearray(16)
    lib.set_regmap(0, ADDR, mem, 0)
    y = m.bus.transfer([("w", ADDR, b"\x03\x77"), ("r", ADDR, 1)])
    z = m.bus.transfer([("w", ADDR, b"\x03"), ("r", ADDR, 1)])
    m.bus.run()
    check(mem[3] == 0x77 and z.results == [1, bytearray(b"\x77")], port + " register mode")
    check(dirty(lib) == (3, 16), port + " reg_dirty")


for port in ("rp2", "alif", "stm32", "samd", "mimxrt", "zephyr"):
    scenario_write_then_read(port)
    scenario_register_mode(port)
scenario_register_mode("esp32")
print("FAILURES", failures)
print("DONE", sys.implementation.name)
