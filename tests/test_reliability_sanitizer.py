"""The engine, glue and sim port built with AddressSanitizer + UBSan
(mk/reliability.mk), exercised two ways in the normal test run:
  - the native fuzz driver (fuzz/fuzz_engine.c) over random event streams,
    byte accounting checked after every transaction;
  - the engine, fuzz (hypothesis), bus and fault tests through ctypes with the
    sanitizer library (LD_PRELOAD of libasan + libubsan, I2CT_HOSTLIB).
The long run (`make fuzz-long`, 4 x 1e7 events) is the figure in RELIABILITY.md."""
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ASAN_LIB = os.path.join(ROOT, "build", "asan", "libi2ct_sim.so")
FUZZ = os.path.join(ROOT, "build", "asan", "fuzz_engine")
SHORT_EVENTS = 400000


def _make(*targets):
    subprocess.run(["make", "-s", "-C", ROOT, "-f", "Makefile", "-f", "mk/reliability.mk"]
                   + list(targets), check=True)


def _runtime(name):
    cc = os.environ.get("HOST_CC", "gcc")
    return subprocess.run([cc, "-print-file-name=" + name], capture_output=True, text=True,
                          check=True).stdout.strip()


def _env():
    env = dict(os.environ)
    env["I2CT_HOSTLIB"] = ASAN_LIB
    env["LD_PRELOAD"] = _runtime("libasan.so") + ":" + _runtime("libubsan.so")
    # CPython itself is not leak-clean; errors in the library still abort
    env["ASAN_OPTIONS"] = "detect_leaks=0:abort_on_error=1"
    env["UBSAN_OPTIONS"] = "halt_on_error=1:print_stacktrace=1"
    env["PYTHONPATH"] = os.path.join(ROOT, "python") + os.pathsep + ROOT
    return env


def test_native_fuzz_short_run_finds_nothing():
    _make("fuzz-engine")
    for seed in (1, 2):
        out = subprocess.run([FUZZ, str(SHORT_EVENTS), str(seed)], capture_output=True,
                             text=True, timeout=120)
        assert out.returncode == 0, out.stderr[-3000:]
        assert "findings 0" in out.stdout and "%d events" % SHORT_EVENTS in out.stdout
        assert "Sanitizer" not in out.stderr and "runtime error" not in out.stderr


def test_sanitizer_build_catches_an_overflow():
    """The instrumented library really is instrumented: a buffer shorter than
    the length passed makes ASan abort the process (never a silent pass)."""
    _make("asan-host")
    code = ("import ctypes; from i2cperipheral import _host; lib = _host.load();"
            "assert lib._dll._name.endswith('build/asan/libi2ct_sim.so'), lib._dll._name;"
            "lib.open(0, 1, 2, bytes([0x40]), 0); lib.sim_address(0, 0x40, 1, 0);"
            "libc = ctypes.CDLL(None); libc.malloc.restype = ctypes.c_void_p;"
            "p = ctypes.cast(libc.malloc(1), ctypes.POINTER(ctypes.c_uint8));"
            "lib._dll.i2ct_tx_put(0, p, 64)")
    out = subprocess.run([sys.executable, "-c", code], env=_env(), capture_output=True,
                         text=True, timeout=120)
    assert out.returncode != 0
    assert "AddressSanitizer: heap-buffer-overflow" in out.stderr, out.stderr[-2000:]
    assert "engine_py_tx_put" in out.stderr


def test_engine_suites_under_sanitizers():
    _make("asan-host")
    tests = ["tests/test_engine.py", "tests/test_engine_fuzz.py",
             "tests/test_sim_bus_engine_findings.py", "tests/test_sim_bus.py",
             "tests/test_reliability_faults.py", "-k", "not samd and not rp2 and not f405 "
             "and not f767 and not l476 and not figures"]
    out = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"] + tests,
                         cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=600)
    tail = (out.stdout + out.stderr)[-3000:]
    assert out.returncode == 0, tail
    assert "passed" in out.stdout and " failed" not in out.stdout, tail
    assert "AddressSanitizer" not in out.stderr and "runtime error" not in out.stderr, tail
