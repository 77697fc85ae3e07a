"""Bad input below the object API: the flat glue called directly (ctypes on
CPython, the x64 .mpy in the unix MicroPython), the .mpy loader (our
tools/mpytool and MicroPython's own import), and the count of every distinct
bad-input case in the suite (this file, tests/test_api_bad_input.py,
tests/test_mpytool_errors.py, tests/test_sim_bus.py::test_bad_input).

Every case names its exception (or, for raw C calls, its I2CT_* code) and the
words of the message; crash-prone ones run in a subprocess with a timeout."""
import ctypes
import os
import shutil
import subprocess
import sys

import pytest

from i2cperipheral import _abi, _host

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
X64_MPY = os.path.join(ROOT, "dist", "x64_6.3", "i2ct_sim.mpy")
ARM_MPY = os.path.join(ROOT, "dist", "armv6m_6.3", "i2ct_rp2040.mpy")


@pytest.fixture
def lib():
    lib = _host.load()
    for t in range(_abi.MAX_TARGETS):
        if lib.is_open(t):
            lib.close(t)
    yield lib
    for t in range(_abi.MAX_TARGETS):
        if lib.is_open(t):
            lib.close(t)


# ---- raw glue through ctypes: wrong ints give the documented code, never a crash ---------

def _opened(lib):
    assert lib.open(0, 1, 2, bytes([0x40]), 0) == 0
    return lib


RAW_CASES = [
    # (id, call(lib, dll) -> int, expected code)
    ("open_slot_negative", lambda l, d: l.open(-1, 1, 2, b"\x40", 0), _abi.PORT_EINST),
    ("open_slot_too_big", lambda l, d: l.open(_abi.MAX_TARGETS, 1, 2, b"\x40", 0), _abi.PORT_EINST),
    ("open_no_addresses", lambda l, d: l.open(0, 1, 2, b"", 0), _abi.E_INVAL),
    ("open_nine_addresses", lambda l, d: l.open(0, 1, 2, bytes(range(0x40, 0x49)), 0), _abi.E_NOSPC),
    ("open_address_8bit", lambda l, d: l.open(0, 1, 2, b"\x80", 0), _abi.E_INVAL),
    ("open_duplicate_address", lambda l, d: l.open(0, 1, 2, b"\x40\x40", 0), _abi.E_EXIST),
    ("open_same_pin", lambda l, d: l.open(0, 3, 3, b"\x40", 0), _abi.PORT_EPIN),
    ("open_negative_pin", lambda l, d: l.open(0, -3, 3, b"\x40", 0), _abi.PORT_EPIN),
    ("open_n_negative_raw", lambda l, d: d.i2ct_open(0, 1, 2, (ctypes.c_uint8 * 1)(0x40), -5, 0), _abi.E_INVAL),
    ("calls_on_closed_slot", lambda l, d: l.request(0), _abi.PORT_ESTATE),
    ("calls_on_slot_out_of_range", lambda l, d: l.status(99), _abi.PORT_ESTATE),
    ("configure_negative", lambda l, d: _opened(l).configure(0, 0, -1), _abi.E_INVAL),
    ("configure_unknown_key", lambda l, d: _opened(l).configure(0, 9, 1), _abi.E_INVAL),
    ("configure_filler_over_255", lambda l, d: _opened(l).configure(0, 1, 256), _abi.E_INVAL),
    ("counter_index_out_of_range", lambda l, d: _opened(l).counter(0, _abi.CNT_COUNT), _abi.E_INVAL),
    ("counter_index_negative", lambda l, d: _opened(l).counter(0, -1), _abi.E_INVAL),
    ("reg_dirty_span_too_short", lambda l, d: _opened(l).reg_dirty(0, 0x40, bytearray(3)), _abi.E_INVAL),
    ("reg_dirty_not_a_map", lambda l, d: _opened(l).reg_dirty(0, 0x40, bytearray(4)), _abi.E_NOENT),
    ("set_regmap_unlisted_address", lambda l, d: _opened(l).set_regmap(0, 0x41, bytearray(4), 0), _abi.E_NOENT),
    ("set_regmap_size_too_big_raw", lambda l, d: _opened(l) and d.i2ct_set_regmap(0, 0x40, None, 0x10000, 0), _abi.E_INVAL),
    ("set_regmap_bad_flags", lambda l, d: _opened(l).set_regmap(0, 0x40, bytearray(4), 0x100), _abi.E_INVAL),
    ("set_readonly_slot_2", lambda l, d: _opened(l).set_readonly(0, 0x40, 2, 0, 1), _abi.E_INVAL),
    ("set_readonly_without_map", lambda l, d: _opened(l).set_readonly(0, 0x40, 0, 0, 1), _abi.E_NOENT),
    ("rx_want_nothing_queued", lambda l, d: _opened(l).rx_want(0, 1, 1), _abi.E_NOENT),
    ("rx_want_on_read_segment", lambda l, d: (_opened(l).sim_address(0, 0x40, 1, 0), l.rx_want(0, 1, 1))[1], _abi.E_STATE),
    ("tx_put_on_write_segment", lambda l, d: (_opened(l).sim_address(0, 0x40, 0, 0), l.tx_put(0, b"x"))[1], _abi.E_STATE),
    ("ack_nothing_held", lambda l, d: (_opened(l).sim_address(0, 0x40, 0, 0), l.ack(0, 1))[1], _abi.E_STATE),
    ("seg_close_nothing_queued", lambda l, d: _opened(l).seg_close(0), _abi.E_NOENT),
    ("rx_take_negative_n_raw", lambda l, d: (_opened(l).sim_address(0, 0x40, 0, 0), d.i2ct_rx_take(0, None, -1))[1], 0),
    ("tx_put_negative_n_raw", lambda l, d: (_opened(l).sim_address(0, 0x40, 1, 0), d.i2ct_tx_put(0, None, -1))[1], 0),
    ("sim_bus_on_closed_target", lambda l, d: l.sim_write_byte(0, 1), _abi.SIM_CLOSED),
    ("close_twice", lambda l, d: (_opened(l).close(0), l.close(0))[1], _abi.PORT_ESTATE),
]


@pytest.mark.parametrize("case", RAW_CASES, ids=[c[0] for c in RAW_CASES])
def test_raw_glue_codes(lib, case):
    _, call, code = case
    assert call(lib, lib._dll) == code


PY_CASES = [
    ("rx_take_immutable", lambda l: l.rx_take(0, b"abc"), TypeError, "writable"),
    ("rx_take_int", lambda l: l.rx_take(0, 5), TypeError, "int"),
    ("tx_put_none", lambda l: l.tx_put(0, None), TypeError, "NoneType"),
    ("open_addresses_int", lambda l: l.open(0, 1, 2, 5, 0), TypeError, "int"),
    ("configure_str_key", lambda l: l.configure(0, "key", 1), ctypes.ArgumentError, "argument 2"),
    ("counter_float", lambda l: l.counter(0, 1.5), ctypes.ArgumentError, "argument 2"),
    ("request_none", lambda l: l.request(None), ctypes.ArgumentError, "argument 1"),
    ("set_regmap_bytes", lambda l: l.set_regmap(0, 0x40, b"ro", 0), TypeError, "writable"),
]


@pytest.mark.parametrize("case", PY_CASES, ids=[c[0] for c in PY_CASES])
def test_host_glue_wrong_python_types(lib, case):
    _, call, exc, words = case
    with pytest.raises(exc, match=words):
        call(lib)


# ---- the x64 .mpy in MicroPython: wrong types raise TypeError, never crash -----------------

MP_GLUE_CASES = [
    ("open_t_str", 'lib.open("0", 1, 2, b"\\x40", 0)', "TypeError", "can't convert str to int"),
    ("open_addresses_int", "lib.open(0, 1, 2, 64, 0)", "TypeError", "buffer protocol"),
    ("open_addresses_none", "lib.open(0, 1, 2, None, 0)", "TypeError", "buffer protocol"),
    ("open_flags_float", 'lib.open(0, 1, 2, b"\\x40", 1.5)', "TypeError", "can't convert float to int"),
    ("open_too_few_args", "lib.open(0, 1)", "TypeError", "5 positional arguments"),
    ("configure_key_str", 'lib.configure(0, "k", 1)', "TypeError", "can't convert str to int"),
    ("rx_take_int", "lib.rx_take(0, 5)", "TypeError", "buffer protocol"),
    ("rx_take_bytes", 'lib.rx_take(0, b"abc")', "TypeError", "buffer protocol"),
    ("rx_take_none", "lib.rx_take(0, None)", "TypeError", "buffer protocol"),
    ("tx_put_int", "lib.tx_put(0, 7)", "TypeError", "buffer protocol"),
    ("reg_dirty_int", "lib.reg_dirty(0, 0x40, 4)", "TypeError", "buffer protocol"),
    ("set_regmap_int", "lib.set_regmap(0, 0x40, 16, 0)", "TypeError", "buffer protocol"),
    ("counter_index_str", 'lib.counter(0, "x")', "TypeError", "can't convert str to int"),
    ("request_none", "lib.request(None)", "TypeError", "can't convert NoneType to int"),
    ("ack_list", "lib.ack(0, [1])", "TypeError", "can't convert list to int"),
    ("sim_address_str", 'lib.sim_address(0, "a", 0, 0)', "TypeError", "can't convert str to int"),
    ("request_slot_out_of_range", "lib.request(7)", "RESULT", "-24"),
    ("counter_index_out_of_range", "lib.counter(0, 99)", "RESULT", "-24"),
]

MP_LOADER_CASES = [
    # (id, how to make the file from the good x64 .mpy, exception, words)
    ("empty_file", lambda good, arm: b"", "ValueError", "incompatible .mpy file"),
    ("wrong_magic", lambda good, arm: b"X" + good[1:], "ValueError", "incompatible .mpy file"),
    ("wrong_version", lambda good, arm: good[:1] + b"\x05" + good[2:], "ValueError", "incompatible .mpy file"),
    ("wrong_arch_armv6m", lambda good, arm: arm, "ValueError", "incompatible .mpy arch"),
    ("garbage", lambda good, arm: bytes(range(256)) * 4, "ValueError", "incompatible .mpy file"),
    ("huge_qstr_count", lambda good, arm: good[:4] + b"\xff\xff\xff\xff\x0f" + good[5:],
     "MemoryError", "memory allocation failed"),
]


def _micropython():
    mp = shutil.which("micropython")
    assert mp, "the unix micropython is part of this project's test setup"
    if not os.path.exists(X64_MPY):
        subprocess.run(["make", "-s", "-C", ROOT, "natmod-x64"], check=True, timeout=300)
    return mp


def _mp_lines(mp, code, cwd, timeout=20):
    out = subprocess.run([mp, "-c", code], cwd=cwd, capture_output=True, text=True,
                         timeout=timeout)
    assert out.returncode == 0, "micropython died (%d): %s" % (out.returncode, out.stderr[-500:])
    return dict(line.split(" ", 1) for line in out.stdout.splitlines() if " " in line)


def test_micropython_glue_wrong_types(tmp_path):
    mp = _micropython()
    shutil.copy(X64_MPY, tmp_path / "_i2ct.mpy")
    lines = ["import sys", "sys.path.insert(0, %r)" % str(tmp_path), "import _i2ct as lib"]
    for name, expr, _, _ in MP_GLUE_CASES:
        lines += ["try:", "    print(%r, 'RESULT', %s)" % (name, expr),
                  "except Exception as e:", "    print(%r, type(e).__name__, e)" % name]
    got = _mp_lines(mp, "\n".join(lines), str(tmp_path))
    for name, _, exc, words in MP_GLUE_CASES:
        assert name in got, "case %s printed nothing (crash?)" % name
        kind, _, msg = got[name].partition(" ")
        assert kind == exc and words in msg, (name, got[name])


@pytest.mark.parametrize("case", MP_LOADER_CASES, ids=[c[0] for c in MP_LOADER_CASES])
def test_micropython_refuses_malformed_mpy(tmp_path, case):
    name, make, exc, words = case
    mp = _micropython()
    good = open(X64_MPY, "rb").read()
    arm = open(ARM_MPY, "rb").read() if os.path.exists(ARM_MPY) else good[:2] + b"\x0b" + good[3:]
    (tmp_path / "_i2ct.mpy").write_bytes(make(good, arm))
    code = ("import sys\nsys.path.insert(0, %r)\ntry:\n    import _i2ct\n    print('r loaded')\n"
            "except Exception as e:\n    print('r', type(e).__name__, e)\n" % str(tmp_path))
    got = _mp_lines(mp, code, str(tmp_path))["r"]
    assert got.startswith(exc) and words in got, got


# ---- tools/mpytool check on malformed input: the problem is named ---------------------------

MPYTOOL_CASES = [
    ("truncated_at_4", lambda g: g[:4], "truncated"),
    ("truncated_at_40", lambda g: g[:40], "truncated: wanted"),
    ("truncated_half", lambda g: g[:len(g) // 2], "truncated"),
    ("truncated_last_byte", lambda g: g[:-1], "truncated at byte"),
    ("wrong_version", lambda g: g[:1] + b"\x05" + g[2:], "unsupported .mpy version 5"),
    ("huge_qstr_count", lambda g: g[:4] + b"\xff\xff\xff\xff\x0f" + g[5:], "truncated"),
    ("garbage", lambda g: bytes(range(256)) * 4, "no 'M' magic"),
    ("empty", lambda g: b"", "no 'M' magic"),
]


@pytest.mark.parametrize("case", MPYTOOL_CASES, ids=[c[0] for c in MPYTOOL_CASES])
def test_mpytool_check_names_the_problem(tmp_path, case):
    """MicroPython's own loader hangs on some truncated files (see
    RELIABILITY.md): `mpytool check` is the gate that names them."""
    name, make, words = case
    if not os.path.exists(X64_MPY):
        subprocess.run(["make", "-s", "-C", ROOT, "natmod-x64"], check=True, timeout=300)
    path = tmp_path / "bad.mpy"
    path.write_bytes(make(open(X64_MPY, "rb").read()))
    out = subprocess.run([sys.executable, "-m", "tools.mpytool", "check", str(path)], cwd=ROOT,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 1, out
    assert "mpytool: error:" in out.stderr and words in out.stderr, out.stderr


# ---- the count -------------------------------------------------------------------------------

BAD_INPUT_FILES = ["tests/test_api_bad_input.py", "tests/test_mpytool_errors.py",
                   "tests/test_bad_input_matrix.py", "tests/test_sim_bus.py::test_bad_input"]


def test_count_distinct_bad_input_cases():
    """Every collected case of the bad-input files (minus this counter and the
    few positive controls), plus the MicroPython glue cases run in one process."""
    out = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q",
                          "-p", "no:cacheprovider"] + BAD_INPUT_FILES, cwd=ROOT,
                         capture_output=True, text=True, timeout=300)
    ids = [line for line in out.stdout.splitlines() if "::" in line]
    positive = [i for i in ids if "accepted" in i or "count_distinct" in i or "is_empty" in i
                or "harmless" in i or "reused" in i or "glue_wrong_types" in i]
    per_file = {}
    for i in ids:
        if i not in positive:
            per_file[i.split("::")[0]] = per_file.get(i.split("::")[0], 0) + 1
    total = sum(per_file.values()) + len(MP_GLUE_CASES)
    print("bad-input cases: %d (%s; micropython glue %d)" % (
        total, ", ".join("%s %d" % kv for kv in sorted(per_file.items())), len(MP_GLUE_CASES)))
    assert total >= 100
