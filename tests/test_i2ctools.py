"""The real i2c-tools binaries and smbus2 against device scripts written with
our API, through build/host/libi2cshim.so (LD_PRELOAD stand-in for
/dev/i2c-1) and `python -m tools.packaging.i2csim serve`.  The tools'
printed output is compared with what the device script holds."""
import os
import re
import subprocess
import sys
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SHIM = os.path.join(ROOT, "build", "host", "libi2cshim.so")


@pytest.fixture(scope="module", autouse=True)
def built():
    subprocess.run(["make", "-s", "-C", ROOT, "host", "i2c-shim"], check=True, timeout=300)


def start_server(tmp_path, script):
    sock = str(tmp_path / "bus.sock")
    ready = tmp_path / "ready"
    proc = subprocess.Popen([sys.executable, "-m", "tools.packaging.i2csim", "serve", script,
                             "--socket", sock, "--ready-file", str(ready)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 20
    while not ready.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise AssertionError("server did not start: %s" % proc.communicate()[0])
        time.sleep(0.05)
    return proc, sock


def stop_server(proc):
    proc.terminate()
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


@pytest.fixture(scope="module")
def regs_bus(tmp_path_factory):
    proc, sock = start_server(tmp_path_factory.mktemp("regs"),
                              os.path.join(ROOT, "examples", "peripheral_regs.py"))
    yield sock
    stop_server(proc)


@pytest.fixture(scope="module")
def mem_bus(tmp_path_factory):
    proc, sock = start_server(tmp_path_factory.mktemp("mem"),
                              os.path.join(HERE, "interop", "memory_device.py"))
    yield sock
    stop_server(proc)


def tool(sock, *argv, timeout=30):
    env = dict(os.environ, LD_PRELOAD=SHIM, I2CSIM_SOCKET=sock, I2CSIM_BUS="1")
    return subprocess.run(list(argv), env=env, capture_output=True, text=True, timeout=timeout)


def ok(proc):
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


# ---- the reference example ----------------------------------------------------------

def test_i2cset_then_i2cget(regs_bus):
    ok(tool(regs_bus, "i2cset", "-y", "1", "0x40", "0x01", "0xaa"))
    assert ok(tool(regs_bus, "i2cget", "-y", "1", "0x40", "0x01")).strip() == "0xaa"
    ok(tool(regs_bus, "i2cset", "-y", "1", "0x40", "0x0f", "0x5c"))
    assert ok(tool(regs_bus, "i2cget", "-y", "1", "0x40", "0x0f")).strip() == "0x5c"
    assert ok(tool(regs_bus, "i2cget", "-y", "1", "0x40", "0x01")).strip() == "0xaa"


def test_i2cdetect_shows_the_two_addresses(regs_bus):
    out = ok(tool(regs_bus, "i2cdetect", "-y", "1"))
    found = []
    for line in out.splitlines()[1:]:
        row, _, cells = line.partition(":")
        for i in range(16):
            cell = cells[1 + 3 * i:3 + 3 * i]
            if re.fullmatch(r"[0-9a-f]{2}", cell):
                found.append(int(row, 16) + i)
    assert found == [0x40, 0x41], out


def test_absent_address_is_an_error(regs_bus):
    proc = tool(regs_bus, "i2cget", "-y", "1", "0x42")
    assert proc.returncode != 0
    assert "Read failed" in proc.stderr


def test_bad_register_index_is_nacked(regs_bus):
    # the example NACKs an index > 15: i2cset's write fails
    proc = tool(regs_bus, "i2cset", "-y", "1", "0x40", "0x20", "0x01")
    assert proc.returncode != 0 and "Write failed" in proc.stderr


# ---- a register-mode device ------------------------------------------------------------

def test_i2cdump_matches_the_memory(mem_bus):
    out = ok(tool(mem_bus, "i2cdump", "-y", "1", "0x50", "b"))
    got = []
    for line in out.splitlines()[1:]:
        m = re.match(r"([0-9a-f]{2}): ((?:[0-9a-f]{2} ){15}[0-9a-f]{2})", line)
        assert m, line
        assert int(m.group(1), 16) == len(got)
        got += [int(x, 16) for x in m.group(2).split()]
    assert got == list(range(256))


def test_i2ctransfer_write_then_read_segments(mem_bus):
    out = ok(tool(mem_bus, "i2ctransfer", "-y", "1", "w1@0x50", "0x10", "r4"))
    assert out.split() == ["0x10", "0x11", "0x12", "0x13"]
    ok(tool(mem_bus, "i2ctransfer", "-y", "1", "w3@0x50", "0xc0", "0xde", "0xad"))
    out = ok(tool(mem_bus, "i2ctransfer", "-y", "1", "w1@0x50", "0xbf", "r4@0x50"))
    assert out.split() == ["0xbf", "0xde", "0xad", "0xc2"]
    ok(tool(mem_bus, "i2ctransfer", "-y", "1", "w3@0x50", "0xc0", "0xc0", "0xc1"))  # restore


def test_i2cget_word_and_block_modes(mem_bus):
    assert ok(tool(mem_bus, "i2cget", "-y", "1", "0x50", "0x21", "w")).strip() == "0x2221"
    out = ok(tool(mem_bus, "i2cget", "-y", "1", "0x50", "0x30", "i", "4"))
    assert out.split() == ["0x30", "0x31", "0x32", "0x33"]


SMBUS2 = """
import smbus2
with smbus2.SMBus(1) as bus:
    print(bus.read_i2c_block_data(0x50, 0x40, 8))
    bus.write_i2c_block_data(0x50, 0x80, [9, 8, 7])
    print(bus.read_i2c_block_data(0x50, 0x7f, 5))
    bus.write_i2c_block_data(0x50, 0x80, [0x80, 0x81, 0x82])
    print(bus.read_block_data(0x51, 0x01))
    bus.write_byte_data(0x51, 0x02, 0x77)
    print(bus.read_byte_data(0x51, 0x02))
    w = smbus2.i2c_msg.write(0x50, [0x10])
    r = smbus2.i2c_msg.read(0x50, 3)
    bus.i2c_rdwr(w, r)
    print(list(r))
    try:
        bus.read_byte(0x33)
    except OSError as e:
        print("absent", e.errno)
"""


def test_smbus2(mem_bus):
    out = ok(tool(mem_bus, sys.executable, "-c", SMBUS2)).splitlines()
    assert out == [str(list(range(0x40, 0x48))), "[127, 9, 8, 7, 131]", "[1, 2, 3, 4]", "119",
                   "[16, 17, 18]", "absent 6"], out


# ---- failure shapes: bounded, clear --------------------------------------------------

def test_no_server_fails_fast(tmp_path):
    t0 = time.monotonic()
    proc = tool(str(tmp_path / "nothing.sock"), "i2cget", "-y", "1", "0x40", "0x01")
    assert proc.returncode != 0 and "Could not open file" in proc.stderr
    assert time.monotonic() - t0 < 10


def test_other_bus_numbers_are_absent(regs_bus):
    proc = tool(regs_bus, "i2cget", "-y", "2", "0x40", "0x01")
    assert proc.returncode != 0 and "Could not open file" in proc.stderr


def test_i2csim_run_command(regs_bus):
    proc = subprocess.run([sys.executable, "-m", "tools.packaging.i2csim", "run", "--socket",
                           regs_bus, "--", "i2cget", "-y", "1", "0x40", "0x01"], cwd=ROOT,
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0 and proc.stdout.strip() in ("0xaa", "0x00"), proc.stderr


# ---- SMBus PEC (I2C_PEC), as Linux's SMBus-over-I2C emulation does it -------------------

def crc8(data, crc=0):
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = ((crc << 1) ^ 0x07) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
    return crc


# A probe device at 0x2b: it answers what the transaction's write part asked for,
# with a PEC byte after the data (a wrong one for 0x02 and 0x21), and a read on
# its own returns the raw bytes of the last write (count first, no PEC), so a
# test sees exactly what the host put on the wire.
PROBE = '''
from i2cperipheral import I2CPeripheral

A = 0x2B
WR, RD = A << 1, A << 1 | 1


def crc8(data, crc=0):
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = ((crc << 1) ^ 0x07) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
    return crc


def answer(w):
    cmd = w[0]
    if cmd in (0x01, 0x02):
        return bytes([0x42])
    if cmd == 0x03:
        return bytes([0x34, 0x12])
    if cmd in (0x20, 0x21):
        return bytes([3, 0xA1, 0xA2, 0xA3])
    if cmd == 0x30:                       # block process call: the block reversed
        block = w[2:2 + w[1]]
        return bytes([len(block)]) + bytes(reversed(block))
    return bytes([cmd])


last = b""
with I2CPeripheral(5, 4, (A,), smbus=True) as dev:
    while True:
        r = dev.request()
        if not r:
            continue
        with r:
            if not r.is_read:
                last = bytes(r.read())
            elif not r.is_restart or not last:
                r.write(bytes([len(last)]) + last)
            else:
                data = answer(last)
                pec = crc8(bytes([WR]) + last + bytes([RD]) + data)
                r.write(data + bytes([pec ^ (0xFF if last[0] in (0x02, 0x21) else 0)]))
'''

PROBE_ADDR = 0x2B
PWR = PROBE_ADDR << 1


@pytest.fixture(scope="module")
def pec_bus(tmp_path_factory):
    proc, sock = start_server(tmp_path_factory.mktemp("pec"),
                              os.path.join(ROOT, "examples", "smbus_pec.py"))
    yield sock
    stop_server(proc)


@pytest.fixture(scope="module")
def probe_bus(tmp_path_factory):
    d = tmp_path_factory.mktemp("probe")
    script = d / "probe.py"
    script.write_text(PROBE)
    proc, sock = start_server(d, str(script))
    yield sock
    stop_server(proc)


def last_write(sock):
    """The raw bytes of the probe's last write, read with I2C_RDWR (never any PEC)."""
    out = [int(x, 16) for x in ok(tool(sock, "i2ctransfer", "-y", "1", "r8@0x2b")).split()]
    return out[1:1 + out[0]]


def test_pec_is_advertised(pec_bus):
    out = ok(tool(pec_bus, "i2cdetect", "-F", "1"))
    assert re.search(r"^SMBus PEC\s+yes$", out, re.M), out


def test_i2cset_i2cget_bp_wp_on_the_pec_example(pec_bus):
    ok(tool(pec_bus, "i2cset", "-y", "1", "0x2a", "0x03", "0x5a", "bp"))
    assert ok(tool(pec_bus, "i2cget", "-y", "1", "0x2a", "0x03", "bp")).strip() == "0x5a"
    ok(tool(pec_bus, "i2cset", "-y", "1", "0x2a", "0x0e", "0xc3", "bp"))
    assert ok(tool(pec_bus, "i2cget", "-y", "1", "0x2a", "0x0e", "bp")).strip() == "0xc3"
    ok(tool(pec_bus, "i2cset", "-y", "1", "0x2a", "0x12", "0xbeef", "wp"))
    assert ok(tool(pec_bus, "i2cget", "-y", "1", "0x2a", "0x12", "wp")).strip() == "0xbeef"
    # without PEC the same registers read the same (the device's PEC goes unclocked)
    assert ok(tool(pec_bus, "i2cget", "-y", "1", "0x2a", "0x03", "b")).strip() == "0x5a"
    assert ok(tool(pec_bus, "i2cget", "-y", "1", "0x2a", "0x12", "w")).strip() == "0xbeef"
    # an unknown command is still NACKed with PEC on
    bad = tool(pec_bus, "i2cset", "-y", "1", "0x2a", "0x40", "0x01", "bp")
    assert bad.returncode != 0 and "Write failed" in bad.stderr


SMBUS2_PEC = """
import smbus2
with smbus2.SMBus(1) as bus:
    bus.pec = 1
    bus.write_byte_data(0x2a, 0x05, 0x77)
    print(bus.read_byte_data(0x2a, 0x05))
    bus.write_word_data(0x2a, 0x13, 0x1234)
    print(bus.read_word_data(0x2a, 0x13))
    bus.pec = 0
    print(bus.read_byte_data(0x2a, 0x05))
"""


def test_smbus2_with_pec_on_the_pec_example(pec_bus):
    out = ok(tool(pec_bus, sys.executable, "-c", SMBUS2_PEC)).split()
    assert out == ["119", str(0x1234), "119"], out


def test_writes_carry_the_pec_byte(probe_bus):
    ok(tool(probe_bus, "i2cset", "-y", "1", "0x2b", "0x05", "0x66", "bp"))
    assert last_write(probe_bus) == [0x05, 0x66, crc8([PWR, 0x05, 0x66])]
    ok(tool(probe_bus, "i2cset", "-y", "1", "0x2b", "0x06", "0xabcd", "wp"))
    assert last_write(probe_bus) == [0x06, 0xCD, 0xAB, crc8([PWR, 0x06, 0xCD, 0xAB])]
    ok(tool(probe_bus, "i2cset", "-y", "1", "0x2b", "0x05", "0x66", "b"))   # no PEC asked
    assert last_write(probe_bus) == [0x05, 0x66]


def test_reads_check_the_pec(probe_bus):
    assert ok(tool(probe_bus, "i2cget", "-y", "1", "0x2b", "0x01", "bp")).strip() == "0x42"
    assert ok(tool(probe_bus, "i2cget", "-y", "1", "0x2b", "0x03", "wp")).strip() == "0x1234"
    # the device's PEC is wrong for 0x02: with PEC the read fails, without it passes
    bad = tool(probe_bus, "i2cget", "-y", "1", "0x2b", "0x02", "bp")
    assert bad.returncode != 0 and "Read failed" in bad.stderr, bad.stdout + bad.stderr
    assert ok(tool(probe_bus, "i2cget", "-y", "1", "0x2b", "0x02", "b")).strip() == "0x42"


SMBUS2_PROBE = """
import ctypes, errno, smbus2
A = 0x2b
with smbus2.SMBus(1) as bus:
    bus.pec = 1
    def last():
        r = smbus2.i2c_msg.read(A, 8)          # I2C_RDWR: never a PEC
        bus.i2c_rdwr(r)
        b = list(r)
        return b[1:1 + b[0]]
    bus.write_byte(A, 0x07); print("send", last())
    bus.write_block_data(A, 0x08, [1, 2, 3]); print("block", last())
    bus.write_quick(A); print("quick", last())
    bus.write_i2c_block_data(A, 0x09, [4, 5]); print("i2cblock", last())
    print("read_block", bus.read_block_data(A, 0x20))
    print("proc", bus.block_process_call(A, 0x30, [7, 8, 9]))
    print("i2cread", bus.read_i2c_block_data(A, 0x01, 2))
    for cmd in (0x02, 0x21):
        try:
            bus.read_block_data(A, cmd) if cmd == 0x21 else bus.read_byte_data(A, cmd)
            print("bad", cmd, "accepted")
        except OSError as e:
            print("bad", cmd, errno.errorcode[e.errno])
    # I2C_RDWR with I2C_M_RECV_LEN: buf[0] = bytes read besides the block (2: with PEC)
    w = smbus2.i2c_msg.write(A, [0x20])
    r = smbus2.i2c_msg.read(A, 34)
    r.flags |= 0x0400
    r.buf[0] = 2
    bus.i2c_rdwr(w, r)
    print("recv_len", list(bytes(r.buf[:6])))
"""


def test_smbus2_pec_on_every_transaction_kind(probe_bus):
    out = ok(tool(probe_bus, sys.executable, "-c", SMBUS2_PROBE)).splitlines()
    blk = [0x08, 3, 1, 2, 3]
    assert out == [
        "send %s" % [0x07, crc8([PWR, 0x07])],
        "block %s" % (blk + [crc8([PWR] + blk)]),
        "quick []",                                   # no PEC on a quick command
        "i2cblock [9, 4, 5]",                         # nor on I2C block transfers
        "read_block [161, 162, 163]",
        "proc [9, 8, 7]",                    # checked over both messages
        "i2cread [66, %d]" % crc8([PWR, 0x01, PWR | 1, 0x42]),  # 2 bytes, nothing checked
        "bad 2 EBADMSG",
        "bad 33 EBADMSG",
        "recv_len %s" % [3, 0xA1, 0xA2, 0xA3, crc8([PWR, 0x20, PWR | 1, 3, 0xA1, 0xA2, 0xA3]),
                         0],
    ], out
