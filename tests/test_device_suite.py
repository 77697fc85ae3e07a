"""tests/device/ (the on-board unittest suite) run on the PC: the unix
`micropython` with our x64 native module, and CPython, with
tests/device/host/machine.py standing in for the loopback wiring
(SoftI2C drives the simulated bus).  Every case must pass, none skipped."""
import os
import re
import shutil
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DEVICE = os.path.join(HERE, "device")


def device_cases(device_dir=DEVICE):
    """module.Class.test_name of every case in the suite's test files."""
    names = []
    for fn in sorted(os.listdir(device_dir)):
        if not (fn.startswith("test_") and fn.endswith(".py")):
            continue
        cls = None
        with open(os.path.join(device_dir, fn)) as f:
            for line in f:
                m = re.match(r"class (\w+)\(unittest\.TestCase\)", line)
                if m:
                    cls = m.group(1)
                m = re.match(r"    def (test\w*)\(", line)
                if m and cls:
                    names.append("%s.%s.%s" % (fn[:-3], cls, m.group(1)))
    return names


@pytest.fixture(scope="module")
def natmod_dir(tmp_path_factory):
    subprocess.run(["make", "-s", "-C", ROOT, "natmod-x64"], check=True)
    d = tmp_path_factory.mktemp("mpy")
    shutil.copy(os.path.join(ROOT, "dist", "x64_6.3", "i2ct_sim.mpy"), d / "_i2ct.mpy")
    return d


def run_micropython(natmod_dir, args, device_dir=DEVICE):
    env = dict(os.environ, MICROPYPATH=os.pathsep.join(
        [str(natmod_dir), os.path.join(ROOT, "python"), os.path.join(device_dir, "host"),
         device_dir, ".frozen"]))
    return subprocess.run(["micropython"] + args, env=env, capture_output=True, text=True,
                           timeout=120, cwd=device_dir)


def check_all_passed(out, cases):
    lines = [l for l in out.splitlines() if re.match(r"(ok|FAIL|ERROR|skip) ", l)]
    ran = sorted(l.split()[1] for l in lines)
    assert ran == sorted(cases), out
    assert all(l.startswith("ok ") for l in lines), out
    n = len(cases)
    assert "%d run, %d passed, 0 failed, 0 skipped" % (n, n) in out, out


def test_suite_has_the_cases_the_brief_lists():
    cases = device_cases()
    assert len(cases) >= 25
    joined = " ".join(cases)
    for topic in ("reference", "restart", "nack", "filler", "timeout", "deinit"):
        assert topic in joined.lower(), topic


def test_device_suite_on_micropython(natmod_dir):
    cases = device_cases()
    proc = run_micropython(natmod_dir, ["run.py"])
    check_all_passed(proc.stdout + proc.stderr, cases)
    assert proc.returncode == 0
    # the unix micropython has no unittest: the suite's fallback was used, over
    # the native module (not a Python stand-in for the engine)
    check = run_micropython(natmod_dir, ["-c", "import loopback, i2cperipheral; "
                                         "print(loopback.unittest.__name__, loopback.HOST, "
                                         "type(i2cperipheral._backend().lib).__name__)"])
    assert check.stdout.split() == ["unittest_min", "True", "module"], check.stdout + check.stderr


def test_device_suite_on_cpython():
    cases = device_cases()
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [os.path.join(ROOT, "python"), os.path.join(DEVICE, "host"), DEVICE]))
    proc = subprocess.run([sys.executable, "run.py"], env=env, capture_output=True, text=True,
                          timeout=120, cwd=DEVICE)
    check_all_passed(proc.stdout + proc.stderr, cases)
    assert proc.returncode == 0


def test_runner_reports_a_failing_case(natmod_dir, tmp_path):
    copy = tmp_path / "device"
    shutil.copytree(DEVICE, copy)
    with open(copy / "test_lifecycle.py", "a") as f:
        f.write("\n\nclass Broken(unittest.TestCase):\n"
                "    def test_wrong(self):\n"
                "        self.assertEqual(1, 2)\n"
                "\n    def test_raises_other(self):\n"
                "        with self.assertRaises(ValueError):\n"
                "            raise KeyError(1)\n")
    proc = run_micropython(natmod_dir, ["run.py"], str(copy))
    out = proc.stdout + proc.stderr
    n = len(device_cases())
    assert "%d run, %d passed, 2 failed, 0 skipped" % (n + 2, n) in out, out
    assert "FAIL  test_lifecycle.Broken.test_wrong -- 1 != 2" in out
    assert "ERROR test_lifecycle.Broken.test_raises_other -- KeyError" in out
    assert proc.returncode == 1


def test_on_a_single_board_served_cases_skip_with_the_reason(natmod_dir):
    script = ("import loopback\n"
              "loopback.HOST = False\n"
              "class C(loopback.unittest.TestCase):\n"
              "    pass\n"
              "for remote_ok in (False, True):\n"
              "    try:\n"
              "        loopback.served(C(), remote_ok)\n"
              "        print('ran')\n"
              "    except loopback.unittest.SkipTest as e:\n"
              "        print('skip:', e)\n"
              "loopback.REMOTE_TARGET = True\n"
              "loopback.served(C(), True)\n"
              "print('remote ran')\n")
    proc = run_micropython(natmod_dir, ["-c", script])
    lines = proc.stdout.splitlines()
    assert lines[0] == "skip: needs the target's program running during the transfer: " \
                       "the PC simulator", proc.stdout + proc.stderr
    assert "second board running examples/peripheral_regs.py" in lines[1]
    assert lines[2] == "remote ran"
