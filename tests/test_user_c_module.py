"""natmod/ as a MicroPython user C module, and manifest.py for freezing.

Always: the manifest's file list, the port selection of micropython.mk (make)
and micropython.cmake (cmake configure), and that usermod_glue.c registers
exactly the functions of mpy_module.c with the same arities.  (Building a
firmware with them happens outside this repository, which carries no recipe
for building MicroPython itself; docs/install.md says what was built.)"""
import os
import re
import subprocess

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
NATMOD = os.path.join(ROOT, "natmod")


# ---- manifest.py --------------------------------------------------------------------

class _Options:
    def __init__(self, **kw):
        self._kw = kw
        self._defaults = {}

    def defaults(self, **kw):
        self._defaults = kw

    def __getattr__(self, name):
        return self._kw.get(name, self._defaults.get(name))


def run_manifest(**options):
    """Evaluate manifest.py with recorders for the manifest functions; returns
    the frozen files as (installed path, source path)."""
    frozen = []

    def package(name, files=None, base_path=".", opt=None):
        base = os.path.join(ROOT, base_path)
        for f in files:
            frozen.append((name + "/" + f, os.path.join(base, name, f)))

    def module(path, base_path=".", opt=None):
        frozen.append((path, os.path.join(ROOT, base_path, path)))

    def forbidden(*a, **k):
        raise AssertionError("manifest.py must not need micropython-lib or other manifests")

    env = {"options": _Options(**options), "package": package, "module": module,
           "metadata": lambda **kw: None, "require": forbidden, "include": forbidden}
    path = os.path.join(ROOT, "manifest.py")
    with open(path) as f:
        exec(compile(f.read(), path, "exec"), env)
    return frozen


def test_manifest_freezes_the_board_library():
    frozen = run_manifest()
    names = sorted(n for n, _ in frozen)
    assert names == ["i2cperipheral/__init__.py", "i2cperipheral/_abi.py",
                     "i2cperipheral/_machine.py", "i2ctarget.py"]
    for _, src in frozen:
        assert os.path.isfile(src), src


def test_manifest_sim_option_adds_the_simulator():
    names = sorted(n for n, _ in run_manifest(sim=True))
    assert "i2cperipheral/sim.py" in names
    assert not any("_host" in n for n in names)


# ---- the binding: same functions as the .mpy module ------------------------------------

def _arity(src, name, fixed, var):
    """Arity of one hand-written wrapper: FIXED(n)(name...) or VAR(name, n, n...)."""
    found = re.findall(fixed % name, src) or re.findall(var % name, src)
    assert len(found) == 1, (name, found)
    return int(found[0])


def mpy_module_functions():
    """name -> arity from natmod/mpy_module.c's lists: X(name, arity, kinds)."""
    with open(os.path.join(NATMOD, "mpy_module.c")) as f:
        src = f.read()
    joined = src.replace("\\\n", " ")
    out = {}
    for _, body in re.findall(r"^#define (GLUE_FUNCS|SIM_FUNCS|MODULE_FUNCS)\(X\)(.*)$", joined, re.M):
        for name, n in re.findall(r"X\((\w+), (\d),", body):
            out[name] = int(n)
    return out


def usermod_functions():
    with open(os.path.join(NATMOD, "usermod_glue.c")) as f:
        src = f.read()
    registered = re.findall(r"^\s*I2CT_UM_ENTRY\((\w+)\)", src, re.M)
    generated = {name: int(n) for n, name in re.findall(r"^I2CT_UM_(\d)\((\w+)\)", src, re.M)}
    arity = {}
    for name in registered:
        arity[name] = generated[name] if name in generated else _arity(
            src, name, r"MP_DEFINE_CONST_FUN_OBJ_(\d)\(i2ct_um_%s_obj,",
            r"MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN\(i2ct_um_%s_obj, (\d)")
    return arity, registered


def test_usermod_registers_the_mpy_module_functions():
    mpy = mpy_module_functions()
    assert len(mpy) >= 29 and {"open", "close", "guard", "sim_address"} <= set(mpy), mpy
    assert mpy["open"] == 5 and mpy["rx_take"] == 2 and mpy["abi_version"] == 0
    arity, registered = usermod_functions()
    assert len(registered) == len(set(registered))
    assert sorted(registered) == sorted(mpy)
    assert arity == mpy


# ---- micropython.mk: which sources for which port -------------------------------------

HARNESS = """
USERMOD_DIR := {natmod}
SRC_USERMOD_C :=
CFLAGS_USERMOD :=
include {natmod}/micropython.mk
all:
\t@echo "SRC=$(SRC_USERMOD_C)"
\t@echo "CFLAGS=$(CFLAGS_USERMOD)"
"""


def run_mk(tmp_path, port_dir, **make_vars):
    d = tmp_path / port_dir
    d.mkdir(exist_ok=True)
    (d / "harness.mk").write_text(HARNESS.format(natmod=NATMOD))
    args = ["make", "-s", "-C", str(d), "-f", "harness.mk"] + [
        "%s=%s" % kv for kv in make_vars.items()]
    return subprocess.run(args, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("port_dir,mcu,expect_src,expect_def", [
    ("unix", "", "ports/sim/sim_port.c", "-DI2CT_WITH_SIM"),
    ("samd", "SAMD51", "ports/samd/samd_i2ct.c", "-DI2CT_SAMD51"),
    ("samd", "SAMD21", "ports/samd/samd_i2ct.c", "-DI2CT_SAMD21"),
    ("stm32", "f4", "ports/stm32/stm32_i2c_v1.c", "-DI2CT_STM32F4"),
    ("stm32", "f7", "ports/stm32/stm32_i2c_v2.c", "-DI2CT_STM32F7"),
    ("stm32", "l4", "ports/stm32/stm32_i2c_v2.c", "-DI2CT_STM32L4"),
])
def test_mk_picks_the_driver(tmp_path, port_dir, mcu, expect_src, expect_def):
    proc = run_mk(tmp_path, port_dir, **({"MCU_SERIES": mcu} if mcu else {}))
    assert proc.returncode == 0, proc.stderr
    lines = dict(line.split("=", 1) for line in proc.stdout.splitlines())
    srcs = lines["SRC"].split()
    assert os.path.join(ROOT, expect_src) in srcs
    for s in srcs:
        assert os.path.isfile(s), s
    assert any(s.endswith("natmod/usermod_glue.c") for s in srcs)
    assert not any(s.endswith("mpy_module.c") for s in srcs)  # the .mpy binding stays out
    assert expect_def in lines["CFLAGS"].split()


def test_mk_unknown_port_is_a_clear_error(tmp_path):
    proc = run_mk(tmp_path, "esp8266")
    assert proc.returncode != 0
    assert "no I2C target driver for port 'esp8266'" in proc.stderr
    proc = run_mk(tmp_path, "unix", I2CT_PORT="pic32")
    assert proc.returncode != 0 and "unknown I2CT_PORT 'pic32'" in proc.stderr


# ---- micropython.cmake -----------------------------------------------------------------

CMAKE_PROJECT = """
cmake_minimum_required(VERSION 3.13)
project(harness NONE)
add_library(usermod INTERFACE)
include({natmod}/micropython.cmake)
get_target_property(srcs usermod_i2ct INTERFACE_SOURCES)
get_target_property(defs usermod_i2ct INTERFACE_COMPILE_DEFINITIONS)
get_target_property(links usermod INTERFACE_LINK_LIBRARIES)
message(STATUS "SRC=${{srcs}}")
message(STATUS "DEF=${{defs}}")
message(STATUS "LINK=${{links}}")
"""


def run_cmake(tmp_path, **cache):
    src = tmp_path / "proj"
    src.mkdir(exist_ok=True)
    (src / "CMakeLists.txt").write_text(CMAKE_PROJECT.format(natmod=NATMOD))
    build = tmp_path / ("build-" + "-".join("%s" % v for v in cache.values()))
    args = ["cmake", "-S", str(src), "-B", str(build)] + ["-D%s=%s" % kv for kv in cache.items()]
    return subprocess.run(args, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("platform,define", [("rp2040", "I2CT_RP2040"),
                                             ("rp2350-arm-s", "I2CT_RP2350")])
def test_cmake_picks_the_driver(tmp_path, platform, define):
    proc = run_cmake(tmp_path, PICO_PLATFORM=platform)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = dict(line.split("-- ", 1)[1].split("=", 1) for line in proc.stdout.splitlines()
               if re.match(r"-- (SRC|DEF|LINK)=", line))
    srcs = out["SRC"].split(";")
    assert os.path.join(ROOT, "ports", "rp2", "rp2_i2ct.c") in srcs
    for s in srcs:
        assert os.path.isfile(s), s
    assert out["DEF"] == define
    assert out["LINK"] == "usermod_i2ct"


def test_cmake_without_a_driver_is_a_clear_error(tmp_path):
    proc = run_cmake(tmp_path, PICO_PLATFORM="rp2350-riscv")
    assert proc.returncode != 0
    assert "no I2C target driver for this port" in proc.stdout + proc.stderr
