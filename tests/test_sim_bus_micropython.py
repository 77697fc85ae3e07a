# The bus simulator under the unix MicroPython, with the engine and sim port
# from the x64 native module (the same flat functions as the ctypes library).
import os
import shutil
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

SCRIPT = r"""
import sys
sys.path.insert(0, %(python)r)
sys.path.insert(0, %(moddir)r)
import _i2ct as lib
from i2cperipheral import sim

print("open", lib.open(0, 1, 2, bytes([0x40, 0x41]), 0))
mem = bytearray(range(16))
print("regmap", lib.set_regmap(0, 0x40, mem, 0))
print("stretch", lib.configure(0, 0, 1000))

# the default bus comes from the package's backend (the native module here)
bus = sim.reset()
assert sim.bus() is bus and bus.lib is lib
g = bus.i2cget(0x40, 3)
s = bus.i2cset(0x40, 3, 0xaa)
g2 = bus.i2cget(0x40, 3)
nobody = bus.read_byte(0x42)
blk = bus.read_block_data(0x40, 2)
seq = bus.transfer([("w", 0x40, b"\x02"), ("r", 0x40, 2)])
bus.run()
print("regs", g.value, s.acked, g2.value, nobody.error, blk.value, seq.data)
for bad in (lambda: bus.transfer(5), lambda: bus.write(0x40, 5), lambda: bus.read(0x80, 1),
            lambda: bus.write(0x40, b"x", abort="explode")):
    try:
        bad()
        print("no error")
    except (TypeError, ValueError) as e:
        print(type(e).__name__, e)

def handler(b):
    st = lib.request(0)
    if st < 0:
        return
    if st & 0x100:
        lib.tx_put(0, b"\x12\x34")
    else:
        lib.rx_want(0, -1, 1)
        lib.rx_take(0, bytearray(8))
    if lib.request(0) & 0x400:
        lib.seg_close(0)

bus.add_handler(handler)
w = bus.read_word_data(0x41, 7)
bus.run()
print("word", hex(w.value), w.error, len(bus.faults))

pi = sim.reset(stretching=False)
r = pi.read(0x41, 2)
pi.run()
print("pi", r.data, pi.garbage, len(pi.faults))

timed = sim.reset()
t = timed.write(0x41, b"\x01")   # no program: the engine NACKs after 1 ms
timed.run()
print("timeout", t.error, lib.counter(0, 4), timed.now_us() >= 1000)
lib.seg_close(0)

try:
    timed.pump()
except sim.SimulationDone:
    print("idle")
timed.vcd(%(vcd)r)
lib.close(0)
print("DONE")
"""


def test_sim_bus_runs_under_micropython(tmp_path):
    mp = shutil.which("micropython")
    assert mp, "the unix micropython is part of this project's test setup"
    subprocess.run(["make", "-s", "-C", ROOT, "natmod-x64"], check=True, timeout=300)
    mpy = os.path.join(ROOT, "dist", "x64_6.3", "i2ct_sim.mpy")
    shutil.copy(mpy, str(tmp_path / "_i2ct.mpy"))
    script = tmp_path / "run.py"
    vcd = str(tmp_path / "bus.vcd")
    script.write_text(SCRIPT % dict(python=os.path.join(ROOT, "python"), moddir=str(tmp_path),
                                    vcd=vcd))
    out = subprocess.run([mp, str(script)], capture_output=True, text=True, timeout=120,
                         cwd=str(tmp_path))
    assert out.returncode == 0, out.stdout + out.stderr
    lines = out.stdout.splitlines()
    assert lines == [
        "open 0", "regmap 0", "stretch 0",
        "regs 3 [2] 170 address 0x42 NACKed b'\\xaa\\x04' [b'\\x02\\xaa']",
        "TypeError segments must be a list of ('w', addr, data) / ('r', addr, n)",
        "TypeError data must be bytes-like or a list of ints, not int",
        "ValueError address 0x80 out of range 0..0x7f",
        "ValueError abort must be one of ('stop', 'restart', 'vanish', 'bus_error'), not 'explode'",
        "word 0x3412 None 0",
        "pi [b'\\xff\\xff'] 2 2",
        "timeout data byte 0 NACKed 1 True",
        "idle",
        "DONE",
    ], out.stdout
    assert open(vcd).read().startswith("$timescale")
