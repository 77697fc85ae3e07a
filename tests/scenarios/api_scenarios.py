# API scenarios: the object API against the simulated bus.  One source, two
# runners: pytest on CPython (tests/test_scenarios.py, ctypes engine) and the
# unix `micropython` with the x64 native module (tests/scenarios/run.py).
# MicroPython-compatible: plain asserts, no f-strings, no typing.
import errno

import i2cperipheral
from i2cperipheral import I2CPeripheral, sim

SCL, SDA = 5, 4

# What a scenario needs beyond the common API, for runners whose port lacks
# some of it (tests/test_chip_scenarios.py runs these with each native driver
# in the loop and marks a (scenario, port) pair "n/a" only for a capability
# docs/capabilities.md says the port does not have).  Capability names:
#   two_addresses       one target answers two addresses
#   exact_nack          the NACK the program chooses (ack(False), closing a
#                       request early) lands on that very byte
#   readonly_nack       in register mode, a byte written to a read-only range
#                       is NACKed itself (the decision needs no program)
#   address_nack        the target can NACK its own address (full queue)
#   restart_after_read  is_restart is reported for a write after a read
#   two_targets         two targets open at once (a second block on other pins)
#   sim_port            checks the sim port itself (its capabilities() row)
REQUIRES = {
    "test_unread_bytes_are_nacked_at_close": ("exact_nack",),
    "test_read_ack_false_then_nack": ("exact_nack",),
    "test_restart_flags_and_direction": ("two_addresses", "restart_after_read"),
    "test_serve_memory_without_python": ("readonly_nack",),
    "test_queue_overflow_is_nacked_and_counted": ("address_nack",),
    "test_two_targets_on_one_bus": ("two_targets",),
    "test_reference_example": ("two_addresses", "exact_nack"),
    "test_capabilities_of_the_native_engine": ("sim_port",),
}


def serve(dev, handler):
    """The usual target loop, until the simulated controller is done."""
    try:
        while True:
            r = dev.request(0)
            with r:
                handler(r)
    except sim.SimulationDone:
        pass


def raises(exc_type, fn, *args):
    try:
        fn(*args)
    except exc_type as e:
        return e
    raise AssertionError("%s not raised" % exc_type.__name__)


def balanced(bus, t=0):
    wrote, accounted_in, read, accounted_out = bus.counter_balance(t)
    assert wrote == accounted_in, (wrote, accounted_in)
    assert read == accounted_out, (read, accounted_out)


def register_device(regs):
    """An i2cget/i2cset-style register device served from Python."""
    state = {"index": 0}

    def handler(r):
        if not r.is_read:
            b = r.read(1)
            if b:
                state["index"] = b[0] % len(regs)
                data = r.read()
                for i in range(len(data)):
                    regs[(state["index"] + i) % len(regs)] = data[i]
        else:
            i = state["index"]
            r.write(bytes(regs[i:]) + bytes(regs[:i]))
    return handler


def test_i2cget_i2cset_roundtrip():
    bus = sim.reset()
    regs = bytearray(8)
    g1 = bus.i2cget(0x40, 3)
    s = bus.i2cset(0x40, 3, 0xAA)
    g2 = bus.i2cget(0x40, 3)
    w = bus.i2cget(0x40, 3, mode="w")
    with I2CPeripheral(SCL, SDA, (0x40,)) as dev:
        serve(dev, register_device(regs))
        assert (g1.value, s.error, g2.value) == (0x00, None, 0xAA)
        assert w.value == 0x00AA
        assert regs[3] == 0xAA
        balanced(bus)


def test_smbus_shapes():
    bus = sim.reset()
    regs = bytearray(range(16))
    ww = bus.write_word_data(0x40, 4, 0xBEEF)
    rw = bus.read_word_data(0x40, 4)
    pc = bus.process_call(0x40, 8, 0x1234)
    rb = bus.read_byte(0x40)
    q = bus.quick(0x40)
    with I2CPeripheral(SCL, SDA, [0x40]) as dev:
        serve(dev, register_device(regs))
        assert ww.error is None and rw.value == 0xBEEF
        assert pc.value == 0x1234          # process call reads back what it wrote
        assert rb.value == 0x34            # regs[8]: the index process_call left
        assert q.error is None
        balanced(bus)


def test_read_returns_fewer_at_stop():
    bus = sim.reset()
    bus.write(0x40, b"\x01\x02\x03")
    got = []
    with I2CPeripheral(SCL, SDA, (0x40,)) as dev:
        serve(dev, lambda r: got.append((r.read(2), r.read(5), r.read())))
    assert got == [(bytearray(b"\x01\x02"), bytearray(b"\x03"), bytearray())]


def test_unread_bytes_are_nacked_at_close():
    bus = sim.reset()
    tr = bus.write(0x40, b"\x0a\x0b\x0c")
    with I2CPeripheral(SCL, SDA, (0x40,)) as dev:
        serve(dev, lambda r: r.read(1))
        assert tr.acked == [1]
        assert tr.error == "data byte 1 NACKed"
        assert dev.stats()["nacks"] == 1
        balanced(bus)


def test_read_ack_false_then_nack():
    bus = sim.reset()
    tr = bus.write(0x40, b"\x01\x02\x03")
    seen = []

    def handler(r):
        b = r.read(2, ack=False)
        seen.append(bytes(b))
        r.ack(b[1] != 0x02)               # refuse the byte 0x02

    with I2CPeripheral(SCL, SDA, (0x40,)) as dev:
        serve(dev, handler)
    assert seen == [b"\x01\x02"]
    assert tr.acked == [1] and tr.error == "data byte 1 NACKed"


def test_read_ack_false_then_ack():
    bus = sim.reset()
    tr = bus.write(0x40, b"\x01\x02")
    with I2CPeripheral(SCL, SDA, (0x40,)) as dev:
        serve(dev, lambda r: (r.read(1, ack=False), r.ack(), r.read()))
    assert tr.acked == [2] and tr.error is None


def test_write_returns_bytes_taken():
    bus = sim.reset()
    short = bus.read(0x40, 2)
    long = bus.read(0x40, 3)
    counts = []
    with I2CPeripheral(SCL, SDA, (0x40,)) as dev:
        serve(dev, lambda r: counts.append(r.write(b"\x11\x22\x33\x44" if len(counts) == 0 else b"\x55")))
        assert counts == [2, 1]
        assert short.data == [b"\x11\x22"]
        assert long.data == [b"\x55\xff\xff"]     # the rest is filler from close
        st = dev.stats()
        assert (st["bytes_out"], st["filler"], st["tx_unsent"]) == (3, 2, 2)
        balanced(bus)


def test_restart_flags_and_direction():
    bus = sim.reset()
    bus.transfer([("w", 0x40, b"\x07"), ("r", 0x40, 1), ("w", 0x41, b"\x01")])
    seen = []

    def handler(r):
        seen.append((r.address, r.is_read, r.is_restart))
        r.write(b"\x42") if r.is_read else r.read()

    with I2CPeripheral(SCL, SDA, (0x40, 0x41)) as dev:
        serve(dev, handler)
    assert seen == [(0x40, False, False), (0x40, True, True), (0x41, False, True)]


def test_request_timeouts():
    bus = sim.reset(stop_when_idle=False)
    with I2CPeripheral(SCL, SDA, (0x40,)) as dev:
        assert dev.request() is None
        assert dev.request(-1) is None
        start = bus.now_us()
        e = raises(OSError, dev.request, 0.01)
        assert e.args[0] == errno.ETIMEDOUT
        assert bus.now_us() - start >= 10000
        bus.write(0x40, b"\x01")
        r = dev.request(1)
        assert r.address == 0x40 and r.read() == bytearray(b"\x01")
        r.close()


def test_unknown_address_nacked():
    bus = sim.reset()
    tr = bus.write(0x42, b"\x01")
    with I2CPeripheral(SCL, SDA, (0x40,)) as dev:
        serve(dev, lambda r: None)
    assert tr.error == "address 0x42 NACKed"


def test_serve_memory_without_python():
    bus = sim.reset(stretching=False)
    mem = bytearray(32)
    with I2CPeripheral(SCL, SDA, (0x50,)) as dev:
        dev.serve_memory(0x50, mem, readonly=[(16, 32)])
        w = bus.write(0x50, b"\x04hello")
        r = bus.write_read(0x50, b"\x04", 5)
        ro = bus.write(0x50, b"\x10\x99")
        bus.run()
        assert mem[4:9] == bytearray(b"hello")
        assert r.data == [b"hello"] and w.error is None
        assert ro.error == "data byte 1 NACKed" and mem[16] == 0
        assert dev.memory_changed(0x50) == (4, 9)
        assert dev.memory_changed(0x50) is None
        assert bus.faults == []
        balanced(bus)


def test_eeprom_two_index_bytes():
    bus = sim.reset()
    mem = bytearray(4096)
    with I2CPeripheral(SCL, SDA, (0x50,)) as dev:
        dev.serve_memory(0x50, mem, index_bytes=2)
        bus.write(0x50, b"\x0f\xfe\x01\x02\x03")     # wraps past the end
        r = bus.write_read(0x50, b"\x0f\xfe", 3)
        bus.run()
        assert (mem[4094], mem[4095], mem[0]) == (1, 2, 3)
        assert r.data == [b"\x01\x02\x03"]


def test_non_stretching_controller_breaks_request_mode_visibly():
    bus = sim.reset(stretching=False)
    tr = bus.i2cget(0x40, 1)
    with I2CPeripheral(SCL, SDA, (0x40,)) as dev:
        serve(dev, register_device(bytearray(4)))
    assert tr.error is not None or tr.faults
    assert bus.faults


def test_slow_handler_released_by_stretch_limit():
    bus = sim.reset()
    tr = bus.read(0x40, 2)
    with I2CPeripheral(SCL, SDA, (0x40,)) as dev:
        dev.configure(max_stretch_us=2000)
        r = None
        while r is None:
            r = dev.request()
        # The program is busy: the bus goes on without it.
        while not tr.done:
            bus.pump()
        assert tr.data == [b"\xff\xff"]
        assert r.write(b"\x01") == 0                 # too late: the segment is over
        r.close()
        st = dev.stats()
        assert st["timeouts"] == 1 and st["filler"] == 2
        balanced(bus)


def test_deinit_during_transfer_releases_bus():
    bus = sim.reset()
    first = bus.write(0x40, b"\x01\x02")
    later = bus.write(0x40, b"\x03")
    dev = I2CPeripheral(SCL, SDA, (0x40,))
    r = None
    while r is None:
        r = dev.request()
    assert r.read(1) == bytearray(b"\x01")
    dev.deinit()
    bus.run()
    assert first.done and first.acked == [1]
    assert later.error == "address 0x40 NACKed"
    raises(ValueError, r.read, 1)


def test_queue_overflow_is_nacked_and_counted():
    bus = sim.reset(stop_when_idle=False)
    quick = [bus.quick(0x40) for _ in range(10)]
    with I2CPeripheral(SCL, SDA, (0x40,)) as dev:
        bus.run()
        assert [q.error for q in quick].count(None) == 8
        assert quick[8].error == "address 0x40 NACKed"
        assert dev.stats()["overruns"] == 2
        n = 0
        while dev.request() is not None:
            n += 1
        assert n == 8


def test_two_targets_on_one_bus():
    bus = sim.reset()
    a = bus.write(0x40, b"A")
    b = bus.write(0x60, b"B")
    got = {}
    dev1 = I2CPeripheral(SCL, SDA, (0x40,))
    dev2 = I2CPeripheral(7, 6, (0x60,))
    try:
        while not (a.done and b.done):
            for dev in (dev1, dev2):
                r = dev.request()
                if r:
                    with r:
                        got[r.address] = bytes(r.read())
    finally:
        dev1.deinit()
        dev2.deinit()
    assert got == {0x40: b"A", 0x60: b"B"}


def test_i2ctarget_names_are_the_same_objects():
    import i2ctarget
    assert i2ctarget.I2CTarget is I2CPeripheral
    assert i2ctarget.I2CTargetRequest is i2cperipheral.I2CPeripheralRequest
    bus = sim.reset()
    bus.write(0x40, b"\x05")
    with i2ctarget.I2CTarget(SCL, SDA, (0x40,)) as dev:
        r = dev.request(0)
        assert r.read() == bytearray(b"\x05")
        r.deinit()                                   # i2ctarget's name for close()
        raises(ValueError, r.read)


def test_request_async():
    import asyncio
    bus = sim.reset(stop_when_idle=False)
    bus.write(0x40, b"\x09")

    async def main(dev):
        r = await dev.request_async()
        with r:
            return bytes(r.read())

    with I2CPeripheral(SCL, SDA, (0x40,)) as dev:
        assert asyncio.run(main(dev)) == b"\x09"


def run_example(name):
    """Run examples/<name> until the simulated controller is done; returns
    what it printed."""
    path = __file__.replace("\\", "/").rsplit("/", 3)[0] + "/examples/" + name
    printed = []
    with open(path) as f:
        code = f.read()
    try:
        exec(code, {"__name__": "__main__", "print": lambda *a: printed.append(" ".join(str(x) for x in a))})
    except sim.SimulationDone:
        pass
    return printed


def test_reference_example():
    bus = sim.reset()
    get1 = bus.i2cget(0x40, 0x01)          # i2cget -y 1 0x40 0x01
    put = bus.i2cset(0x40, 0x01, 0xAA)     # i2cset -y 1 0x40 0x01 0xaa
    get2 = bus.i2cget(0x40, 0x01)
    plain = bus.read(0x40, 2)              # a plain read: the example does not serve it
    bad_index = bus.write(0x40, b"\x20\x01")
    de = bus.write_byte(0x41, 0xDE)
    printed = run_example("peripheral_regs.py")
    assert get1.value == 0x00
    assert put.error is None and put.acked == [2]
    assert get2.value == 0xAA
    assert plain.data == [b"\xff\xff"]     # filler from the context manager
    assert bad_index.acked == [1] and bad_index.error == "data byte 1 NACKed"
    assert de.error is None
    assert printed == ["0x41 received 0xde"]


def test_capabilities_of_the_native_engine():
    sim.reset()
    with I2CPeripheral(SCL, SDA, (0x40,)) as dev:
        caps = dev.capabilities()
        assert caps["backend"] == "native" and caps["port"] == "sim"
        assert caps["per_byte_nack"] is True and caps["addresses_per_target"] == 8
        raises(NotImplementedError, dev.preload, 0x40, b"x")
