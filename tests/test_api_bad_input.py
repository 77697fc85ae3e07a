"""Bad input to the object API: each case asserts the exception type and a
message that names the problem.  None may crash or hang."""
import errno

import pytest

import i2cperipheral
from i2cperipheral import I2CPeripheral, sim

SCL, SDA = 5, 4


@pytest.fixture(autouse=True)
def quiet_bus():
    sim.reset(stop_when_idle=False)
    yield
    for dev in list(_open):
        dev.deinit()
    _open.clear()


_open = []


def make(*args, **kw):
    dev = I2CPeripheral(*args, **kw)
    _open.append(dev)
    return dev


def write_request(dev, data=b"\x01"):
    sim.bus().write(dev.addresses[0], data)
    return dev.request(0)


def read_request(dev, n=1):
    sim.bus().read(dev.addresses[0], n)
    return dev.request(0)


class Pinlike:
    """Stands in for machine.Pin: has value(), and a repr naming the pin."""

    def __init__(self, text):
        self.text = text

    def value(self):
        return 1

    def __repr__(self):
        return self.text


CONSTRUCTOR_CASES = [
    ("address above 7 bits", (SCL, SDA, (0x80,)), ValueError, "outside 0..0x7f"),
    ("negative address", (SCL, SDA, (-1,)), ValueError, "outside 0..0x7f"),
    ("general call address", (SCL, SDA, (0x00,)), ValueError, "reserved"),
    ("reserved low address", (SCL, SDA, (0x07,)), ValueError, "reserved"),
    ("10-bit prefix address", (SCL, SDA, (0x78,)), ValueError, "reserved"),
    ("reserved high address", (SCL, SDA, (0x7F,)), ValueError, "reserved"),
    ("empty addresses", (SCL, SDA, ()), ValueError, "addresses is empty"),
    ("empty list", (SCL, SDA, []), ValueError, "addresses is empty"),
    ("duplicate address", (SCL, SDA, (0x40, 0x40)), ValueError, "listed twice"),
    ("too many addresses", (SCL, SDA, tuple(range(0x40, 0x49))), ValueError, "at most 8"),
    ("address is a str", (SCL, SDA, ("0x40",)), TypeError, "address must be an int"),
    ("address is a float", (SCL, SDA, (64.0,)), TypeError, "address must be an int"),
    ("address is a bool", (SCL, SDA, (True,)), TypeError, "address must be an int"),
    ("address is None", (SCL, SDA, (None,)), TypeError, "address must be an int"),
    ("addresses is an int", (SCL, SDA, 0x40), TypeError, "addresses must be a sequence"),
    ("addresses is a str", (SCL, SDA, "@"), TypeError, "addresses must be a sequence"),
    ("addresses is None", (SCL, SDA, None), TypeError, "addresses must be a sequence"),
    ("scl is None", (None, SDA, (0x40,)), TypeError, "scl must be a Pin"),
    ("sda is a float", (SCL, 4.5, (0x40,)), TypeError, "sda must be a Pin"),
    ("scl is a bool", (True, SDA, (0x40,)), TypeError, "scl must be a Pin"),
    ("scl is a list", ([5], SDA, (0x40,)), TypeError, "scl must be a Pin"),
    ("negative pin number", (-1, SDA, (0x40,)), ValueError, "negative"),
    ("unknown pin name", ("nonsense", SDA, (0x40,)), ValueError, "not a pin name"),
    ("board pin name", ("D9", SDA, (0x40,)), ValueError, "pass machine.Pin"),
    ("unknown Pin repr", (Pinlike("Pin(weird)"), SDA, (0x40,)), ValueError, "not a pin name"),
    ("scl and sda the same", (SCL, SCL, (0x40,)), ValueError, "same pin"),
    ("same pin by two names", ("GP5", 5, (0x40,)), ValueError, "same pin"),
]


@pytest.mark.parametrize("case", CONSTRUCTOR_CASES, ids=[c[0] for c in CONSTRUCTOR_CASES])
def test_constructor_rejects(case):
    _, args, exc, text = case
    with pytest.raises(exc, match=text):
        make(*args)


@pytest.mark.parametrize("pin,number", [
    ("GP5", 5), ("GPIO17", 17), ("PA22", 22), ("PB06", 38), ("12", 12),
    (Pinlike("Pin(GPIO3, mode=IN)"), 3), (Pinlike("Pin('PA12')"), 12),
    (Pinlike("Pin(Pin.cpu.B7, mode=AF_OD)"), 39), (Pinlike("Pin(21)"), 21),
    (Pinlike("Pin(Pin.cpu.PA19, mode=IN, pull=PULL_OFF)"), 19),
])
def test_pin_forms_accepted(pin, number):
    assert i2cperipheral._pin_number(pin, "scl") == number


def test_second_instance_on_same_pins():
    make(SCL, SDA, (0x40,))
    with pytest.raises(ValueError, match="already in use"):
        make(SCL, SDA, (0x41,))


def test_third_instance_when_all_slots_used():
    make(SCL, SDA, (0x40,))
    make(7, 6, (0x41,))
    with pytest.raises(RuntimeError, match="in use: deinit"):
        make(9, 8, (0x42,))


def test_slot_is_reused_after_deinit():
    make(SCL, SDA, (0x40,)).deinit()
    make(SCL, SDA, (0x40,))


@pytest.mark.parametrize("timeout", ["1", None, True, [1], b"1"])
def test_request_timeout_type(timeout):
    dev = make(SCL, SDA, (0x40,))
    with pytest.raises(TypeError, match="timeout must be a number"):
        dev.request(timeout)


def test_request_after_deinit():
    dev = make(SCL, SDA, (0x40,))
    dev.deinit()
    with pytest.raises(ValueError, match="deinitialized"):
        dev.request()


def test_double_deinit_is_harmless():
    dev = make(SCL, SDA, (0x40,))
    dev.deinit()
    dev.deinit()
    with pytest.raises(ValueError, match="deinitialized"):
        dev.stats()


def test_deinit_inside_with_block():
    with make(SCL, SDA, (0x40,)) as dev:
        dev.deinit()


@pytest.mark.parametrize("method,args", [
    ("configure", ()), ("serve_memory", (0x40, bytearray(2))), ("memory_changed", (0x40,)),
    ("stats", ()), ("request", (1,)),
])
def test_extras_after_deinit(method, args):
    dev = make(SCL, SDA, (0x40,))
    dev.deinit()
    with pytest.raises(ValueError, match="deinitialized"):
        getattr(dev, method)(*args)


@pytest.mark.parametrize("call", [
    lambda r: r.read(1), lambda r: r.read(), lambda r: r.ack(), lambda r: r.write(b"x"),
])
def test_request_use_after_close(call):
    dev = make(SCL, SDA, (0x40,))
    r = write_request(dev)
    r.close()
    with pytest.raises(ValueError, match="request is closed"):
        call(r)


def test_request_use_after_next_request():
    dev = make(SCL, SDA, (0x40,))
    r1 = write_request(dev)
    write_request(dev)
    with pytest.raises(ValueError, match="request is closed"):
        r1.read(1)


def test_request_use_after_peripheral_deinit():
    dev = make(SCL, SDA, (0x40,))
    r = write_request(dev)
    dev.deinit()
    with pytest.raises(ValueError, match="closed|deinitialized"):
        r.read(1)


def test_read_on_read_request():
    dev = make(SCL, SDA, (0x40,))
    r = read_request(dev)
    with pytest.raises(OSError, match="controller reads") as e:
        r.read(1)
    assert e.value.errno == errno.EACCES


def test_write_on_write_request():
    dev = make(SCL, SDA, (0x40,))
    r = write_request(dev)
    with pytest.raises(OSError, match="controller writes") as e:
        r.write(b"x")
    assert e.value.errno == errno.EACCES


def test_ack_on_read_request():
    dev = make(SCL, SDA, (0x40,))
    r = read_request(dev)
    with pytest.raises(OSError, match="no byte to acknowledge") as e:
        r.ack()
    assert e.value.errno == errno.EACCES


def test_ack_with_no_held_byte():
    dev = make(SCL, SDA, (0x40,))
    r = write_request(dev)
    with pytest.raises(RuntimeError, match="no byte is held"):
        r.ack(False)


def test_ack_twice():
    dev = make(SCL, SDA, (0x40,))
    r = write_request(dev, b"\x01\x02")
    r.read(1, ack=False)
    r.ack()
    with pytest.raises(RuntimeError, match="no byte is held"):
        r.ack()


def test_read_before_ack_of_held_byte():
    dev = make(SCL, SDA, (0x40,))
    r = write_request(dev, b"\x01\x02")
    r.read(1, ack=False)
    with pytest.raises(RuntimeError, match=r"waits for ack\(\) first"):
        r.read(1)


@pytest.mark.parametrize("n", [1.0, "1", None, b"\x01"])
def test_read_n_type(n):
    dev = make(SCL, SDA, (0x40,))
    r = write_request(dev)
    with pytest.raises(TypeError, match="n must be an int"):
        r.read(n)


def test_read_larger_than_any_buffer():
    dev = make(SCL, SDA, (0x40,))
    r = write_request(dev)
    with pytest.raises(ValueError, match="at most 65535 bytes"):
        r.read(1 << 20)


def test_read_zero_is_empty_bytearray():
    dev = make(SCL, SDA, (0x40,))
    r = write_request(dev)
    got = r.read(0)
    assert isinstance(got, bytearray) and got == bytearray()


@pytest.mark.parametrize("buf", [5, None, "text", 1.5, [1, 2]])
def test_write_buffer_type(buf):
    dev = make(SCL, SDA, (0x40,))
    r = read_request(dev)
    with pytest.raises(TypeError, match="bytes-like"):
        r.write(buf)


SERVE_MEMORY_CASES = [
    ("not one of its addresses", (0x41, bytearray(4)), {}, ValueError, "not one of this target's"),
    ("address not an int", ("0x40", bytearray(4)), {}, TypeError, "address must be an int"),
    ("bytes, not bytearray", (0x40, b"abcd"), {}, TypeError, "must be a bytearray"),
    ("list memory", (0x40, [0, 0]), {}, TypeError, "must be a bytearray"),
    ("empty memory", (0x40, bytearray()), {}, ValueError, "1..65535 bytes"),
    ("memory too large", (0x40, bytearray(0x10000)), {}, ValueError, "1..65535 bytes"),
    ("index_bytes 3", (0x40, bytearray(4)), {"index_bytes": 3}, ValueError, "index_bytes must be 1 or 2"),
    ("index_bytes True", (0x40, bytearray(4)), {"index_bytes": True}, ValueError, "index_bytes"),
    ("three readonly ranges", (0x40, bytearray(8)), {"readonly": [(0, 1)] * 3}, ValueError, "at most 2"),
    ("readonly past end", (0x40, bytearray(8)), {"readonly": [(4, 9)]}, ValueError, "not inside"),
    ("readonly reversed", (0x40, bytearray(8)), {"readonly": [(5, 4)]}, ValueError, "not inside"),
    ("readonly not ints", (0x40, bytearray(8)), {"readonly": [(0.5, 4)]}, TypeError, "readonly start"),
]


@pytest.mark.parametrize("case", SERVE_MEMORY_CASES, ids=[c[0] for c in SERVE_MEMORY_CASES])
def test_serve_memory_rejects(case):
    _, args, kw, exc, text = case
    dev = make(SCL, SDA, (0x40,))
    with pytest.raises(exc, match=text):
        dev.serve_memory(*args, **kw)


def test_more_memories_than_the_engine_holds():
    dev = make(SCL, SDA, (0x40, 0x41, 0x42, 0x43, 0x44))
    for address in (0x40, 0x41, 0x42, 0x43):
        dev.serve_memory(address, bytearray(4))
    with pytest.raises(ValueError, match="no room left.*4 memories per target"):
        dev.serve_memory(0x44, bytearray(4))


def test_memory_changed_on_request_mode_address():
    dev = make(SCL, SDA, (0x40,))
    with pytest.raises(ValueError, match="not served from memory"):
        dev.memory_changed(0x40)


@pytest.mark.parametrize("kw,exc,text", [
    ({"max_stretch_us": -1}, ValueError, "max_stretch_us must be"),
    ({"max_stretch_us": 2 ** 31}, ValueError, "max_stretch_us must be"),
    ({"max_stretch_us": 1.5}, TypeError, "max_stretch_us must be an int"),
    ({"filler": 256}, ValueError, "filler must be a byte"),
    ({"filler": -1}, ValueError, "filler must be a byte"),
    ({"filler": "x"}, TypeError, "filler must be an int"),
])
def test_configure_rejects(kw, exc, text):
    dev = make(SCL, SDA, (0x40,))
    with pytest.raises(exc, match=text):
        dev.configure(**kw)
