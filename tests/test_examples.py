"""The examples in examples/ run unchanged against the simulated bus (the
real engine and sim port underneath), on CPython and on the unix
`micropython` with the x64 native module, and two of them through the real
i2c-tools (tools/packaging/i2csim + the LD_PRELOAD shim)."""
import os
import re
import shutil
import subprocess
import sys
import time

import pytest

from i2cperipheral import sim

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
EXAMPLES = os.path.join(ROOT, "examples")


def crc8(data, crc=0):
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = ((crc << 1) ^ 0x07) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
    return crc


def test_crc8_reference_value():
    # the CRC-8 (poly 0x07) check value of "123456789"
    assert crc8(b"123456789") == 0xF4


def run_example(name, setup=None, handler=None):
    """Queue the controller's transfers (setup(bus) -> anything), run the
    example until the simulated controller is done, return (namespace, setup's result)."""
    bus = sim.reset(stretching=True, clock_hz=100000)
    queued = setup(bus) if setup else None
    if handler:
        bus.add_handler(handler)
    path = os.path.join(EXAMPLES, name)
    with open(path) as f:
        code = compile(f.read(), path, "exec")
    ns = {"__name__": "__main__", "__file__": path}
    with pytest.raises(sim.SimulationDone):
        exec(code, ns)
    # the example's `with I2CPeripheral(...)` closed the target on the way out
    assert not any(bus.lib.is_open(t) for t in range(bus.max_targets))
    return ns, queued


# ---- 24C02 EEPROM ---------------------------------------------------------------------

@pytest.fixture
def eeprom_file(tmp_path, monkeypatch):
    path = tmp_path / "eeprom.bin"
    monkeypatch.setenv("EEPROM_FILE", str(path))
    return path


def test_eeprom_blank_chip_reads_ff_and_stores_writes(eeprom_file):
    def setup(bus):
        return [bus.read_byte_data(0x50, 0x00),
                bus.write(0x50, bytes([0x10, 1, 2, 3, 4])),
                bus.write_read(0x50, bytes([0x0F]), 6),          # random read, sequential
                bus.read(0x50, 2),                               # current-address read
                bus.i2cset(0x50, 0x80, 0xAB),
                bus.i2cget(0x50, 0x80)]
    ns, t = run_example("eeprom_24c02.py", setup)
    assert t[0].value == 0xFF
    assert t[1].acked == [5] and t[1].error is None
    assert t[2].value == bytes([0xFF, 1, 2, 3, 4, 0xFF])
    assert t[3].value == bytes([0xFF, 0xFF])                     # goes on at 0x15
    assert t[5].value == 0xAB
    mem = ns["mem"]
    assert mem[0x10:0x14] == bytes([1, 2, 3, 4]) and mem[0x80] == 0xAB
    assert mem.count(0xFF) == 256 - 5
    # persisted at exit: the whole image, as the chip holds it
    assert eeprom_file.read_bytes() == bytes(mem)


def test_eeprom_wraps_at_256_like_the_chip(eeprom_file):
    def setup(bus):
        return [bus.write(0x50, bytes([0xFE, 0xA1, 0xA2, 0xA3])),
                bus.write_read(0x50, bytes([0xFF]), 3)]
    ns, t = run_example("eeprom_24c02.py", setup)
    assert t[1].value == bytes([0xA2, 0xA3, 0xFF])
    assert ns["mem"][0xFE:] == bytes([0xA1, 0xA2]) and ns["mem"][0] == 0xA3


def test_eeprom_contents_survive_a_restart(eeprom_file):
    run_example("eeprom_24c02.py", lambda bus: bus.write(0x50, b"\x40hello"))
    assert eeprom_file.read_bytes()[0x40:0x45] == b"hello"
    ns, t = run_example("eeprom_24c02.py", lambda bus: bus.write_read(0x50, b"\x40", 5))
    assert t.value == b"hello"


def test_eeprom_saves_only_the_written_span(eeprom_file):
    image = bytes((i * 7) & 0xFF for i in range(256))
    eeprom_file.write_bytes(image)
    before = os.stat(eeprom_file).st_ino
    ns, t = run_example("eeprom_24c02.py",
                        lambda bus: [bus.write_read(0x50, b"\x20", 4),
                                     bus.write(0x50, b"\x30\x00\x01")])
    assert t[0].value == image[0x20:0x24]              # loaded from the file
    assert eeprom_file.read_bytes() == image[:0x30] + b"\x00\x01" + image[0x32:]
    assert os.stat(eeprom_file).st_ino == before and ns["saves"] == 1
    # a short (damaged) file: loaded as far as it goes, the rest blank
    eeprom_file.write_bytes(b"\x11\x22")
    ns, t = run_example("eeprom_24c02.py", lambda bus: bus.read(0x50, 3))
    assert t.value == b"\x11\x22\xff"


# ---- SMBus with PEC --------------------------------------------------------------------

PEC_ADDR = 0x2A
WR, RD = PEC_ADDR << 1, PEC_ADDR << 1 | 1


def test_pec_writes_checked_reads_carry_pec():
    def setup(bus):
        a = PEC_ADDR
        return [
            bus.transfer([("w", a, [0x03, 0x5A, crc8([WR, 0x03, 0x5A])])]),        # good PEC
            bus.transfer([("w", a, [0x03, 0x77, crc8([WR, 0x03, 0x77]) ^ 1])]),   # bad PEC
            bus.transfer([("w", a, [0x03]), ("r", a, 2)]),                         # read byte + PEC
            bus.transfer([("w", a, [0x12, 0x34, 0x12, crc8([WR, 0x12, 0x34, 0x12])])]),
            bus.transfer([("w", a, [0x12]), ("r", a, 3)]),                         # read word + PEC
            bus.write_byte_data(a, 0x04, 0x99),                                    # no PEC: accepted
            bus.read_byte_data(a, 0x04),                                           # host without PEC
            bus.write_byte_data(a, 0x40, 0x01),                                    # unknown command
            bus.read(a, 2),                                                        # receive byte
        ]
    ns, t = run_example("smbus_pec.py", setup)
    assert t[0].error is None and t[0].acked == [3]
    assert t[1].error == "data byte 2 NACKed"          # the PEC byte is NACKed ...
    assert t[2].data[-1] == bytes([0x5A, crc8([WR, 0x03, RD, 0x5A])])   # ... and not stored
    assert t[3].error is None and t[4].data[-1] == bytes(
        [0x34, 0x12, crc8([WR, 0x12, RD, 0x34, 0x12])])
    assert t[5].error is None and t[6].value == 0x99
    assert t[7].error == "data byte 0 NACKed"
    assert t[8].value == bytes([0x99, crc8([RD, 0x99])])  # last command was 0x04
    assert ns["pec_errors"] == 1 and ns["writes_with_pec"] == 2 and ns["writes_without_pec"] == 1
    assert ns["byte_regs"][3] == 0x5A and ns["word_regs"][2] == 0x1234


def test_pec_write_of_a_word_with_a_bad_pec_changes_nothing():
    def setup(bus):
        good = crc8([WR, 0x10, 0xCD, 0xAB])
        return [bus.transfer([("w", PEC_ADDR, [0x10, 0xCD, 0xAB, good])]),
                bus.transfer([("w", PEC_ADDR, [0x10, 0x00, 0x00, good])]),
                bus.read_word_data(PEC_ADDR, 0x10)]
    ns, t = run_example("smbus_pec.py", setup)
    assert t[1].error == "data byte 3 NACKed" and t[2].value == 0xABCD


# ---- asyncio ---------------------------------------------------------------------------

def test_asyncio_device_job_runs_while_the_device_answers():
    polls, tail = [], []

    def setup(bus):
        return bus.write_byte_data(0x42, 0x01, 0x01)   # start a measurement

    def controller(bus):
        # poll STATUS until READY (at most 2000 times), then read the result
        if bus.pending():
            return
        if not polls or (polls[-1].value != 0x02 and len(polls) < 2000):
            polls.append(bus.read_byte_data(0x42, 0x00))
        elif polls[-1].value == 0x02 and not tail:
            tail.extend([bus.read_word_data(0x42, 0x02), bus.read_byte_data(0x42, 0x04),
                         bus.write_byte_data(0x42, 0x02, 0x00), bus.write_byte_data(0x42, 0x09, 0)])

    ns, start = run_example("asyncio_device.py", setup, controller)
    values = [p.value for p in polls]
    assert start.error is None
    assert values[0] == 0x01 and values[-1] == 0x02, values[:5]    # busy, then ready
    assert set(values) == {0x01, 0x02}
    assert tail[0].value == sum(1000 + 10 * k for k in range(8)) // 8   # 1035
    assert tail[1].value >= 1 and ns["regs"][4] >= tail[1].value       # heartbeat kept going
    assert tail[2].error == "data byte 1 NACKed"   # RESULT is read-only
    assert tail[3].error == "data byte 0 NACKed"   # no register 0x09
    assert ns["jobs"] == 1 and ns["served"] == len(polls) + 3 + 1


# ---- TMP117 sensor ---------------------------------------------------------------------

TMP = 0x48


def word(tr):
    d = tr.data[-1]
    return d[0] << 8 | d[1]


def celsius(raw):
    return (raw - 0x10000 if raw & 0x8000 else raw) / 128


def test_sensor_register_map():
    def setup(bus):
        reg = lambda p: bus.transfer([("w", TMP, [p]), ("r", TMP, 2)])  # noqa: E731
        return {
            "id": reg(0x0F), "temp": reg(0x00), "again": bus.read(TMP, 2),
            "config": reg(0x01), "config2": reg(0x01), "thigh": reg(0x02), "tlow": reg(0x03),
            "bad_pointer": bus.write(TMP, [0x09]), "write_temp": bus.write(TMP, [0x00, 1, 2]),
            "write_id": bus.write(TMP, [0x0F, 0, 0]),
            "eeprom1": bus.write(TMP, [0x05, 0xBE, 0xEF]), "eeprom1_back": reg(0x05),
            "eeprom3": bus.write(TMP, [0x08, 0x12, 0x34]), "eeprom3_back": reg(0x08),
            "offset": reg(0x07),
            "smbus_word": bus.read_word_data(TMP, 0x0F),
        }
    ns, t = run_example("sensor_emulation.py", setup)
    assert word(t["id"]) == 0x0117
    assert t["smbus_word"].value == 0x1701          # i2cget ... w shows the bytes swapped
    temp = celsius(word(t["temp"]))
    assert 21.9 <= temp <= 25.1, temp
    assert t["again"].value == t["temp"].data[-1]   # a read without pointer write: same register
    assert word(t["config"]) == 0x0220              # DATA_READY cleared by the TEMP read
    assert word(t["thigh"]) == 0x6000 and word(t["tlow"]) == 0x8000
    assert t["bad_pointer"].error == "data byte 0 NACKed"
    assert t["write_temp"].error == "data byte 1 NACKed"
    assert t["write_id"].error == "data byte 1 NACKed"
    assert word(t["eeprom1_back"]) == 0xBEEF and word(t["eeprom3_back"]) == 0x1234
    assert word(t["offset"]) == 0                   # TEMP_OFFSET (0x07) resets to 0
    assert ns["regs"][0x0F] == 0x0117


def test_sensor_data_ready_alerts_offset_and_reset():
    def setup(bus):
        reg = lambda p: bus.transfer([("w", TMP, [p]), ("r", TMP, 2)])  # noqa: E731
        return [
            reg(0x01),                                  # DATA_READY from the power-up conversion
            reg(0x01),                                  # cleared by reading CONFIG
            bus.write(TMP, [0x07, 0x02, 0x00]),         # offset +4 °C (0x0200 = 512/128)
            bus.write(TMP, [0x02, 0x0A, 0x00]),         # THIGH 20 °C
            bus.write(TMP, [0x01, 0x02, 0x02]),         # SOFT_RESET: registers to reset values
            reg(0x07), reg(0x02), reg(0x01),
        ]
    ns, t = run_example("sensor_emulation.py", setup)
    assert word(t[0]) == 0x2220 and word(t[1]) == 0x0220
    assert all(x.error is None for x in t[2:5])
    assert word(t[5]) == 0 and word(t[6]) == 0x6000
    assert word(t[7]) & 0x2000                      # the reset ran a conversion


def test_sensor_converts_over_time():
    """Continuous conversion at the 125 ms cycle (CONV=0); between reads the
    controller waits 0.15 s of real time, so conversions happen in between.
    (Back-to-back transfers to the sensor never leave request() idle, so the
    controller addresses another chip first: one idle turn for the loop.)"""
    state = {"step": 0}
    out = []

    def setup(bus):
        return [bus.write(TMP, [0x07, 0x02, 0x00]),           # offset +4 °C
                bus.write(TMP, [0x02, 0x0A, 0x00]),           # THIGH 20 °C: alert
                bus.write(TMP, [0x01, 0x00, 0x00])]           # CONV=0: 125 ms cycle

    def controller(bus):
        if bus.pending() or state["step"] >= 3:
            return
        state["step"] += 1
        time.sleep(0.15)
        bus.quick(0x30)  # another chip's address: the sensor's loop gets an idle turn
        out.append(bus.transfer([("w", TMP, [0x01]), ("r", TMP, 2)]))
        out.append(bus.transfer([("w", TMP, [0x00]), ("r", TMP, 2)]))

    ns, t = run_example("sensor_emulation.py", setup, controller)
    assert ns["conversions"] >= 3
    for i in range(0, len(out), 2):
        cfg = word(out[i])
        assert cfg & 0xA000 == 0xA000, hex(cfg)     # DATA_READY and HIGH_ALERT set again
        temp = celsius(word(out[i + 1]))
        assert 25.9 <= temp <= 29.1, temp           # 23.5 +- 1.5, +4 offset


def test_sensor_one_shot_and_shutdown():
    state = {"step": 0}
    out = []

    def setup(bus):
        return [bus.transfer([("w", TMP, [0x01]), ("r", TMP, 2)]),    # clear flags
                bus.write(TMP, [0x01, 0x04, 0x00])]                    # MOD=01 shutdown

    def controller(bus):
        if bus.pending() or state["step"] >= 2:
            return
        state["step"] += 1
        if state["step"] == 1:
            time.sleep(0.01)
            bus.quick(0x30)  # another chip's address: the sensor's loop gets an idle turn
            out.append(bus.transfer([("w", TMP, [0x01]), ("r", TMP, 2)]))
            out.append(bus.write(TMP, [0x01, 0x0C, 0x00]))        # one-shot
        else:
            time.sleep(0.01)
            bus.quick(0x30)
            out.append(bus.transfer([("w", TMP, [0x01]), ("r", TMP, 2)]))

    ns, t = run_example("sensor_emulation.py", setup, controller)
    assert word(out[0]) == 0x0400                   # shut down: no conversion, no flag
    assert word(out[2]) == 0x2400                   # one result, back to shutdown
    assert ns["conversions"] == 2                   # power-up + the one-shot


# ---- the examples on MicroPython (unix port, x64 native module) -------------------------

MP_DRIVER = """
import sys
from i2cperipheral import sim
bus = sim.reset()
%s
try:
    exec(open(%r).read(), {'__name__': '__main__'})
except sim.SimulationDone:
    pass
%s
"""


@pytest.fixture(scope="module")
def natmod_dir(tmp_path_factory):
    subprocess.run(["make", "-s", "-C", ROOT, "natmod-x64"], check=True)
    d = tmp_path_factory.mktemp("mpy")
    shutil.copy(os.path.join(ROOT, "dist", "x64_6.3", "i2ct_sim.mpy"), d / "_i2ct.mpy")
    return d


def micropython(natmod_dir, example, queue, report, env=None):
    script = MP_DRIVER % (queue, os.path.join(EXAMPLES, example), report)
    e = dict(os.environ, MICROPYPATH=os.pathsep.join(
        [str(natmod_dir), os.path.join(ROOT, "python"), ".frozen"]), **(env or {}))
    proc = subprocess.run(["micropython", "-c", script], env=e, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout.split()


def test_examples_on_micropython(natmod_dir, tmp_path):
    out = micropython(natmod_dir, "eeprom_24c02.py",
                      "w = bus.write(0x50, b'\\x10abc'); r = bus.write_read(0x50, b'\\x0f', 5)",
                      "print(r.value.hex(), w.acked[0])",
                      env={"EEPROM_FILE": str(tmp_path / "e.bin")})
    assert out == ["ff616263ff", "4"]
    assert (tmp_path / "e.bin").read_bytes()[0x10:0x13] == b"abc"
    out = micropython(natmod_dir, "smbus_pec.py",
                      "w = bus.transfer([('w', 0x2a, [3, 0x5a, %d])]); "
                      "b = bus.transfer([('w', 0x2a, [3, 1, 0])]); "
                      "r = bus.transfer([('w', 0x2a, [3]), ('r', 0x2a, 2)])" % crc8([WR, 3, 0x5A]),
                      "print(w.error, b.error is not None, r.data[-1].hex())")
    assert out == ["None", "True", "5a%02x" % crc8([WR, 3, RD, 0x5A])]
    out = micropython(natmod_dir, "sensor_emulation.py",
                      "i = bus.transfer([('w', 0x48, [0x0f]), ('r', 0x48, 2)]); "
                      "t = bus.transfer([('w', 0x48, [0]), ('r', 0x48, 2)])",
                      "print(i.data[-1].hex(), t.data[-1][0])")
    assert out[0] == "0117" and 0x0A <= int(out[1]) <= 0x0C   # 22..25 °C: MSB 10..12


def test_asyncio_example_on_micropython(natmod_dir):
    out = micropython(
        natmod_dir, "asyncio_device.py",
        "polls = []\n"
        "done = []\n"
        "bus.write_byte_data(0x42, 1, 1)\n"
        "def ctl(bus):\n"
        "    if bus.pending() or done: return\n"
        "    if polls and polls[-1].value == 2:\n"
        "        done.append(bus.read_word_data(0x42, 2))\n"
        "    elif len(polls) < 2000:\n"
        "        polls.append(bus.read_byte_data(0x42, 0))\n"
        "bus.add_handler(ctl)",
        "print(polls[0].value, polls[-1].value, done[0].value)")
    assert out == ["1", "2", "1035"]


# ---- through the real i2c-tools ---------------------------------------------------------

SHIM = os.path.join(ROOT, "build", "host", "libi2cshim.so")


@pytest.fixture(scope="module")
def shim_built():
    subprocess.run(["make", "-s", "-C", ROOT, "host", "i2c-shim"], check=True, timeout=300)


def start_server(tmp_path, script, env=None):
    d = tmp_path / os.path.splitext(os.path.basename(script))[0]
    d.mkdir()
    sock = str(d / "bus.sock")
    ready = d / "ready"
    proc = subprocess.Popen([sys.executable, "-m", "tools.packaging.i2csim", "serve", script,
                             "--socket", sock, "--ready-file", str(ready)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env=dict(os.environ, **(env or {})))
    deadline = time.monotonic() + 20
    while not ready.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise AssertionError("server did not start: %s" % proc.communicate()[0])
        time.sleep(0.05)
    return proc, sock


def stop_server(proc):
    proc.terminate()   # SIGTERM: the script's `finally` does not run, the OS closes the file
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


def tool(sock, *argv):
    env = dict(os.environ, LD_PRELOAD=SHIM, I2CSIM_SOCKET=sock, I2CSIM_BUS="1")
    proc = subprocess.run(list(argv), env=env, capture_output=True, text=True, timeout=30)
    return proc


def ok(proc):
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def parse_i2cdump(out):
    got = []
    for line in out.splitlines()[1:]:
        m = re.match(r"([0-9a-f]{2}): ((?:[0-9a-f]{2} ){15}[0-9a-f]{2})", line)
        assert m, line
        assert int(m.group(1), 16) == len(got)
        got += [int(x, 16) for x in m.group(2).split()]
    return got


def test_eeprom_with_i2c_tools(shim_built, tmp_path):
    image = tmp_path / "eeprom.bin"
    image.write_bytes(bytes(range(256)))
    proc, sock = start_server(tmp_path, os.path.join(EXAMPLES, "eeprom_24c02.py"),
                              {"EEPROM_FILE": str(image)})
    try:
        assert parse_i2cdump(ok(tool(sock, "i2cdump", "-y", "1", "0x50", "b"))) == \
            list(range(256))
        ok(tool(sock, "i2cset", "-y", "1", "0x50", "0x10", "0xaa"))
        ok(tool(sock, "i2ctransfer", "-y", "1", "w4@0x50", "0xfe", "0x01", "0x02", "0x03"))
        assert ok(tool(sock, "i2cget", "-y", "1", "0x50", "0x10")).strip() == "0xaa"
        assert ok(tool(sock, "i2ctransfer", "-y", "1", "w1@0x50", "0xfd", "r4")).split() == \
            ["0xfd", "0x01", "0x02", "0x03"]        # wrapped from 0xff to 0x00
        expect = list(range(256))
        expect[0x10], expect[0xFE], expect[0xFF], expect[0x00] = 0xAA, 1, 2, 3
        assert parse_i2cdump(ok(tool(sock, "i2cdump", "-y", "1", "0x50", "b"))) == expect
        # persisted while serving: the loop saves once the bus is quiet for 20 ms
        deadline = time.monotonic() + 5
        while list(image.read_bytes()) != expect and time.monotonic() < deadline:
            time.sleep(0.05)
        assert list(image.read_bytes()) == expect
        # i2cdetect sees the chip
        assert re.search(r"^50: 50 ", ok(tool(sock, "i2cdetect", "-y", "1")), re.M)
    finally:
        stop_server(proc)


def test_sensor_and_pec_with_i2c_tools(shim_built, tmp_path):
    proc, sock = start_server(tmp_path, os.path.join(EXAMPLES, "sensor_emulation.py"))
    try:
        assert ok(tool(sock, "i2cget", "-y", "1", "0x48", "0x0f", "w")).strip() == "0x1701"
        msb, lsb = (int(x, 16) for x in ok(tool(
            sock, "i2ctransfer", "-y", "1", "w1@0x48", "0x00", "r2")).split())
        t0 = celsius(msb << 8 | lsb)
        assert 21.9 <= t0 <= 25.1
        # the Linux driver's write of a calibration offset (+2 °C), then a one-shot conversion
        ok(tool(sock, "i2ctransfer", "-y", "1", "w3@0x48", "0x07", "0x01", "0x00"))
        ok(tool(sock, "i2ctransfer", "-y", "1", "w3@0x48", "0x01", "0x0c", "0x00"))
        deadline = time.monotonic() + 5
        while True:
            cfg = ok(tool(sock, "i2ctransfer", "-y", "1", "w1@0x48", "0x01", "r2")).split()
            if int(cfg[0], 16) & 0x20 or time.monotonic() > deadline:  # DATA_READY
                break
        assert cfg == ["0x24", "0x00"], cfg   # ready, back to shutdown
        msb, lsb = (int(x, 16) for x in ok(tool(
            sock, "i2ctransfer", "-y", "1", "w1@0x48", "0x00", "r2")).split())
        assert abs(celsius(msb << 8 | lsb) - (t0 + 2)) < 0.2
        bad = tool(sock, "i2cset", "-y", "1", "0x48", "0x0a", "0x00")
        assert bad.returncode != 0 and "Write failed" in bad.stderr
    finally:
        stop_server(proc)

    proc, sock = start_server(tmp_path, os.path.join(EXAMPLES, "smbus_pec.py"))
    try:
        pec = crc8([WR, 0x05, 0x3C])
        ok(tool(sock, "i2ctransfer", "-y", "1", "w3@0x2a", "0x05", "0x3c", "0x%02x" % pec))
        bad = tool(sock, "i2ctransfer", "-y", "1", "w3@0x2a", "0x05", "0x00", "0x%02x" % pec)
        assert bad.returncode != 0                   # PEC NACKed: the write fails
        out = ok(tool(sock, "i2ctransfer", "-y", "1", "w1@0x2a", "0x05", "r2@0x2a")).split()
        assert out == ["0x3c", "0x%02x" % crc8([WR, 0x05, RD, 0x3C])]
        assert ok(tool(sock, "i2cget", "-y", "1", "0x2a", "0x05")).strip() == "0x3c"
        # the header's commands, PEC added and checked by the shim as Linux does
        ok(tool(sock, "i2cset", "-y", "1", "0x2a", "0x03", "0x5a", "bp"))
        assert ok(tool(sock, "i2cget", "-y", "1", "0x2a", "0x03", "bp")).strip() == "0x5a"
        ok(tool(sock, "i2cset", "-y", "1", "0x2a", "0x11", "0x8001", "wp"))
        assert ok(tool(sock, "i2cget", "-y", "1", "0x2a", "0x11", "wp")).strip() == "0x8001"
        # raw, without the shim's PEC handling: the stored word and the device's PEC
        out = ok(tool(sock, "i2ctransfer", "-y", "1", "w1@0x2a", "0x11", "r3@0x2a")).split()
        assert out == ["0x01", "0x80", "0x%02x" % crc8([WR, 0x11, RD, 0x01, 0x80])]
    finally:
        stop_server(proc)
