# The simulated bus's VCD trace, decoded by sigrok's I2C decoder: what the
# decoder sees on SCL/SDA must be the transactions the controller ran.
import shutil
import subprocess

import pytest

from i2cperipheral import _host, sim

SIGROK = shutil.which("sigrok-cli")
ANNOTATIONS = "start:repeat-start:stop:ack:nack:address-read:address-write:data-read:data-write"


def decode(path):
    out = subprocess.run(
        [SIGROK, "-I", "vcd", "-i", path, "-P", "i2c:scl=scl:sda=sda", "-A", "i2c=" + ANNOTATIONS],
        check=True, capture_output=True, text=True, timeout=60).stdout
    lines = [line.split(": ", 1)[1] for line in out.splitlines() if line.startswith("i2c-1: ")]
    # the decoder also names the direction bit on its own ("Read"/"Write")
    return [a for a in lines if a not in ("Read", "Write")]


def expected(bus):
    """The bus trace written the way sigrok's decoder annotates it."""
    names = {"S": "Start", "Sr": "Start repeat", "P": "Stop", "ack": "ACK", "nack": "NACK"}
    out = []
    for e in bus.trace:
        kind = e[1]
        if kind in ("S", "Sr"):
            out += [names[kind], "Address %s: %02X" % ("read" if e[3] == "r" else "write", e[2]),
                    "ACK" if e[4] == "ack" else "NACK"]
        elif kind == "W":
            out += ["Data write: %02X" % e[2], "ACK" if e[3] == "ack" else "NACK"]
        elif kind == "R":
            out.append("Data read: %02X" % e[2])
        elif kind in ("P", "ack", "nack"):
            out.append(names[kind])
    return out


@pytest.fixture
def lib():
    lib = _host.load()
    for t in range(2):
        if lib.is_open(t):
            lib.close(t)
    yield lib
    for t in range(2):
        if lib.is_open(t):
            lib.close(t)


def test_vcd_file_shape(lib, tmp_path):
    assert lib.open(0, 1, 2, bytes([0x40]), 0) == 0
    mem = bytearray(range(16))
    assert lib.set_regmap(0, 0x40, mem, 0) == 0
    bus = sim.SimBus(lib=lib, max_targets=2)
    bus.i2cget(0x40, 3)
    bus.run()
    text = open(bus.vcd(str(tmp_path / "t.vcd"))).read()
    assert text.startswith("$timescale ")
    assert "$var wire 1 ! scl $end" in text and "$var wire 1 \" sda $end" in text
    stamps = [int(line[1:]) for line in text.splitlines() if line.startswith("#")]
    assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps)
    # START: SDA falls while SCL is high
    changes = bus.wave
    i = next(k for k, c in enumerate(changes) if c[2] == 0)
    assert changes[i][1] == 1 and changes[i - 1][1:] == (1, 1)


@pytest.mark.skipif(SIGROK is None, reason="sigrok-cli not installed (apt-get install sigrok-cli)")
@pytest.mark.parametrize("clock_hz", [100000, 400000, 1000000])
def test_sigrok_decodes_the_trace(lib, tmp_path, clock_hz):
    assert lib.open(0, 1, 2, bytes([0x40, 0x41]), 0) == 0
    assert lib.configure(0, 0, 300) == 0  # max stretch 300 us
    mem = bytearray(range(0x80, 0xA0))
    assert lib.set_regmap(0, 0x40, mem, 0) == 0
    bus = sim.SimBus(lib=lib, max_targets=2, clock_hz=clock_hz)
    bus.i2cset(0x40, 0x02, 0x5A)
    bus.i2cget(0x40, 0x02)
    bus.read_block_data(0x40, 0x10)
    bus.read(0x41, 2)             # request mode, no program: clock held, then 0xFF filler
    bus.write(0x41, b"\x01")      # held, then NACKed by the engine's timeout
    bus.read_byte(0x33)           # nobody there
    bus.run()
    assert any(e[1] == "held" for e in bus.trace)
    got = decode(bus.vcd(str(tmp_path / "bus.vcd")))
    want = expected(bus)
    assert got == want
    assert "Data write: 5A" in got and "Address read: 33" in got and got.count("Stop") == 6


@pytest.mark.skipif(SIGROK is None, reason="sigrok-cli not installed (apt-get install sigrok-cli)")
def test_sigrok_sees_the_stretch_as_a_long_low_clock(lib, tmp_path):
    assert lib.open(0, 1, 2, bytes([0x41]), 0) == 0
    assert lib.configure(0, 0, 2000) == 0
    bus = sim.SimBus(lib=lib, max_targets=2, stretch_step_us=100)
    bus.write(0x41, b"\x01")
    bus.run()
    # SCL stays low for the whole hold (2 ms), between the data bits and the ACK bit
    lows = []
    for k in range(1, len(bus.wave)):
        if bus.wave[k - 1][1] == 0:
            lows.append(bus.wave[k][0] - bus.wave[k - 1][0])
    assert max(lows) >= 2000 * 1000
    got = decode(bus.vcd(str(tmp_path / "s.vcd")))
    assert got == ["Start", "Address write: 41", "ACK", "Data write: 01", "NACK", "Stop"]
