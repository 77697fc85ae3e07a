"""The API scenarios (tests/scenarios/api_scenarios.py) on both runners:
CPython with the ctypes engine, and the unix `micropython` with our own x64
native module (sim port inside)."""
import os
import shutil
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SCENARIOS = os.path.join(HERE, "scenarios")
sys.path.insert(0, SCENARIOS)

import api_scenarios  # noqa: E402

NAMES = sorted(n for n in dir(api_scenarios) if n.startswith("test_"))


@pytest.mark.parametrize("name", NAMES)
def test_on_cpython(name):
    getattr(api_scenarios, name)()


@pytest.fixture(scope="module")
def natmod_dir(tmp_path_factory):
    subprocess.run(["make", "-s", "-C", ROOT, "natmod-x64"], check=True)
    d = tmp_path_factory.mktemp("mpy")
    shutil.copy(os.path.join(ROOT, "dist", "x64_6.3", "i2ct_sim.mpy"), d / "_i2ct.mpy")
    return d


def run_micropython(natmod_dir, script, *args):
    env = dict(os.environ, MICROPYPATH=os.pathsep.join(
        [str(natmod_dir), os.path.join(ROOT, "python"), SCENARIOS, ".frozen"]))
    return subprocess.run(["micropython", script] + list(args), env=env, capture_output=True,
                          text=True, timeout=300)


def test_on_micropython(natmod_dir):
    proc = run_micropython(natmod_dir, os.path.join(SCENARIOS, "run.py"))
    out = proc.stdout + proc.stderr
    assert "%d passed, 0 failed" % len(NAMES) in out, out
    assert proc.returncode == 0, out
    # The wrapper really ran over the native module, not a fallback.
    check = run_micropython(natmod_dir, "-c",
                            "import i2cperipheral;b=i2cperipheral._backend();"
                            "print(type(b.lib).__name__, b.port)")
    assert check.stdout.split() == ["module", "0"], check.stdout + check.stderr


GUARD_SCRIPT = """
import gc, i2cperipheral
lib = i2cperipheral._backend().lib
p = i2cperipheral.I2CPeripheral(5, 4, (0x40,))
assert p._guard is not None and lib.is_open(0) == 1
p = None                      # forgotten without deinit()
for i in range(3):
    gc.collect()
assert lib.is_open(0) == 0    # the finaliser closed it (soft reset runs the same one)
r = i2cperipheral.I2CPeripheral(5, 4, (0x40,))
old = r._guard
r.deinit()                    # deinit() hands the guard back
r2 = i2cperipheral.I2CPeripheral(5, 4, (0x40,))
r = old = None
for i in range(3):
    gc.collect()
assert lib.is_open(r2._t) == 1   # an old guard never closes the slot's next target
assert lib.guard(0, 5) == -1     # not a finalisable iterator: refused
assert lib.guard(0, None) == 0
print("guard ok")
"""


def test_forgotten_target_is_closed_by_a_finaliser_on_micropython(natmod_dir):
    proc = run_micropython(natmod_dir, "-c", GUARD_SCRIPT)
    assert proc.stdout.strip() == "guard ok", proc.stdout + proc.stderr
