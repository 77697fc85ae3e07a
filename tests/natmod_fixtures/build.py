"""Compile fixture C files with the natmod flags of natmod/natmod.mk and link
them with tools/mpytool, for the tests."""

import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(ROOT, "tests", "natmod_fixtures")
ARCHES = ("x64", "armv6m", "armv7m", "armv7emsp", "armv7emdp", "rv32imc")
_flags_cache = {}


def arch_flags(arch):
    """(compiler argv, extra link options, libgcc path or None) from natmod.mk."""
    if arch not in _flags_cache:
        out = subprocess.run(["make", "-s", "--no-print-directory", "natmod-flags-" + arch], cwd=ROOT,
                             check=True, capture_output=True, text=True).stdout.strip()
        cc, ld, lib = out.split("|")
        _flags_cache[arch] = (cc.split(), ld.split(), lib or None)
    return _flags_cache[arch]


def compile_c(arch, source, out_dir, extra=()):
    cc, _, _ = arch_flags(arch)
    obj = os.path.join(out_dir, "%s.%s.o" % (os.path.splitext(os.path.basename(source))[0], arch))
    subprocess.run(cc + list(extra) + ["-c", source, "-o", obj], cwd=ROOT, check=True,
                   capture_output=True, text=True)
    return obj


def mpytool(*args):
    """Run the CLI; returns CompletedProcess."""
    return subprocess.run([sys.executable, "-m", "tools.mpytool"] + list(args), cwd=ROOT,
                          capture_output=True, text=True)


def link(arch, objects, output, extra=()):
    _, ld, lib = arch_flags(arch)
    args = ["link", "--arch", arch] + ld + list(extra)
    if lib:
        args += ["--lib", lib]
    r = mpytool(*(args + ["-o", output] + list(objects)))
    if r.returncode:
        raise AssertionError("link failed: " + r.stderr)
    return output
