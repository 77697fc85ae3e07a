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
