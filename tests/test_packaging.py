"""mip packages end to end: `make package` builds the tree, a local HTTP
server on 127.0.0.1 serves it, the unix `micropython`'s own mip (and
mpremote's mip code, with a directory standing in for the board) installs
it into fresh directories, and the API scenarios run from the installed
copy."""
import functools
import hashlib
import http.server
import json
import os
import subprocess
import sys
import threading

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SCENARIOS = os.path.join(HERE, "scenarios")
sys.path.insert(0, ROOT)

from tools.packaging import build_mip  # noqa: E402

CORE_MPY = ["i2cperipheral/__init__.mpy", "i2cperipheral/_abi.mpy",
            "i2cperipheral/_machine.mpy", "i2ctarget.mpy"]
# chip package -> the .mpy arch code in the header (MicroPython's MP_NATIVE_ARCH_*)
ARCH_CODES = {"armv6m": 4, "armv7m": 5, "armv7em": 6, "armv7emsp": 7, "armv7emdp": 8, "x64": 2}


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """(base_url, tree): `make package` output served on 127.0.0.1."""
    tree = tmp_path_factory.mktemp("mip")
    handler = functools.partial(_Quiet, directory=str(tree))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.timeout = 5
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                              daemon=True)
    thread.start()
    base = "http://127.0.0.1:%d" % server.server_address[1]
    try:
        subprocess.run(["make", "-s", "-C", ROOT, "package", "MIP_BASE_URL=" + base,
                        "MIP_OUT=" + str(tree)], check=True, timeout=600,
                       capture_output=True, text=True)
        yield base, tree
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def index_of(tree):
    with open(os.path.join(tree, "index.json")) as f:
        return json.load(f)


def mip_install(target, url):
    proc = subprocess.run(["micropython", "-m", "mip", "install", "--target", str(target), url],
                          capture_output=True, text=True, timeout=60,
                          env=dict(os.environ, MICROPYPATH=".frozen"))
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0 and "Done" in out, out
    return out


def files_under(d):
    out = {}
    for root, _, names in os.walk(d):
        for n in names:
            p = os.path.join(root, n)
            with open(p, "rb") as f:
                out[os.path.relpath(p, d).replace(os.sep, "/")] = f.read()
    return out


def run_mpy(path, args, timeout=300):
    env = dict(os.environ, MICROPYPATH=os.pathsep.join(path + [".frozen"]))
    return subprocess.run(["micropython"] + args, env=env, capture_output=True, text=True,
                          timeout=timeout)


def test_unix_package_installs_and_runs_the_scenarios(served, tmp_path):
    base, tree = served
    out = mip_install(tmp_path, base + "/unix-x64")
    assert "i2cperipheral/package.json" in out  # the dependency was followed
    got = files_under(tmp_path)
    assert sorted(got) == sorted(CORE_MPY + ["_i2ct.mpy", "i2cperipheral/sim.mpy"])
    with open(os.path.join(ROOT, "dist", "x64_6.3", "i2ct_sim.mpy"), "rb") as f:
        assert got["_i2ct.mpy"] == f.read()
    # every installed file is what index.json says was built
    idx = index_of(tree)["packages"]
    for pkg in ("i2cperipheral", "unix-x64"):
        for name, digest in idx[pkg]["files"].items():
            assert hashlib.sha256(got[name]).hexdigest() == digest, name
    # Only the installed copy is on the path (no python/), and it is what runs.
    check = run_mpy([str(tmp_path)], ["-c", "import i2cperipheral, i2ctarget;"
                                      "print(i2cperipheral.__file__);"
                                      "b = i2cperipheral._backend();"
                                      "print(type(b.lib).__name__, b.port, "
                                      "i2ctarget.I2CTarget is i2cperipheral.I2CPeripheral)"])
    assert check.stdout.split() == [str(tmp_path) + "/i2cperipheral/__init__.mpy",
                                    "module", "0", "True"], check.stdout + check.stderr
    sys.path.insert(0, SCENARIOS)
    import api_scenarios
    n = len([x for x in dir(api_scenarios) if x.startswith("test_")])
    proc = run_mpy([str(tmp_path), SCENARIOS], [os.path.join(SCENARIOS, "run.py")])
    assert "%d passed, 0 failed" % n in proc.stdout, proc.stdout + proc.stderr


def test_reference_example_from_installed_copy(served, tmp_path):
    """i2cset then i2cget against examples/peripheral_regs.py, installed copy only."""
    base, _ = served
    mip_install(tmp_path, base + "/unix-x64")
    script = (
        "from i2cperipheral import sim\n"
        "bus = sim.reset(stop_when_idle=True)\n"
        "bus.i2cset(0x40, 0x01, 0xaa)\n"
        "get = bus.i2cget(0x40, 0x01)\n"
        "try:\n"
        "    exec(open(%r).read())\n"
        "except sim.SimulationDone:\n"
        "    pass\n"
        "print('value', hex(get.value))\n" % os.path.join(ROOT, "examples", "peripheral_regs.py"))
    proc = run_mpy([str(tmp_path)], ["-c", script], timeout=120)
    assert proc.stdout.split()[-2:] == ["value", "0xaa"], proc.stdout + proc.stderr


@pytest.mark.parametrize("chip", sorted(build_mip.CHIPS))
def test_chip_package(served, tmp_path, chip):
    base, tree = served
    arch, name = build_mip.CHIPS[chip]
    native = os.path.join(ROOT, "dist", "%s_6.3" % arch, name)
    assert os.path.exists(native), "%s not built" % native
    mip_install(tmp_path, base + "/" + chip)
    got = files_under(tmp_path)
    assert sorted(got) == sorted(CORE_MPY + ["_i2ct.mpy"])  # no sim.py, no _host.py
    with open(native, "rb") as f:
        assert got["_i2ct.mpy"] == f.read()
    head = got["_i2ct.mpy"][:4]
    assert head[:2] == b"M\x06" and head[2] & 3 == 3 and head[2] >> 2 == ARCH_CODES[arch], head
    for mpy in CORE_MPY:
        assert got[mpy][:2] == b"M\x06", mpy


class _DirTransport:
    """What mpremote's mip needs of a board, over a local directory."""

    def __init__(self, root):
        self.root = root

    def _p(self, path):
        return os.path.join(self.root, path.lstrip("/"))

    def fs_exists(self, path):
        return os.path.exists(self._p(path))

    def fs_mkdir(self, path):
        os.mkdir(self._p(path))

    def fs_writefile(self, path, data, progress_callback=None):
        with open(self._p(path), "wb") as f:
            f.write(data)


def test_mpremote_mip_installs_the_same_urls(served, tmp_path, capsys):
    """`mpremote mip install URL` code path (mpremote.mip), a directory as the board."""
    from mpremote import mip as mpremote_mip
    base, _ = served
    mpremote_mip._install_package(_DirTransport(str(tmp_path)), base + "/rp2040",
                                  "https://micropython.org/pi/v2", "/lib", None, True)
    got = files_under(tmp_path / "lib")
    assert sorted(got) == sorted(CORE_MPY + ["_i2ct.mpy"])
    with open(os.path.join(ROOT, "dist", "armv6m_6.3", "i2ct_rp2040.mpy"), "rb") as f:
        assert got["_i2ct.mpy"] == f.read()


def test_source_package(served, tmp_path):
    base, _ = served
    mip_install(tmp_path, base + "/i2cperipheral/src.json")
    got = files_under(tmp_path)
    expect = list(build_mip.CORE_MODULES) + list(build_mip.STUBS)
    assert sorted(got) == sorted(expect)
    for name in expect:
        with open(os.path.join(ROOT, "python", name), "rb") as f:
            assert got[name] == f.read(), name


def test_missing_package_fails(served, tmp_path):
    base, _ = served
    proc = subprocess.run(["micropython", "-m", "mip", "install", "--target", str(tmp_path),
                           base + "/nosuchchip"], capture_output=True, text=True, timeout=60,
                          env=dict(os.environ, MICROPYPATH=".frozen"))
    assert "Package not found" in proc.stdout + proc.stderr
    assert not os.listdir(tmp_path)


def test_bad_base_url(tmp_path):
    with pytest.raises(build_mip.PackagingError, match="base-url"):
        build_mip.build(str(tmp_path / "out"), "ftp://x", os.path.join(ROOT, "dist"))


def test_required_chip_missing(tmp_path):
    with pytest.raises(build_mip.PackagingError, match="samd51: .* not built"):
        build_mip.build(str(tmp_path / "out"), "http://127.0.0.1:1", str(tmp_path),
                        require_chips=("samd51",))


def test_wrong_native_file_is_refused(tmp_path):
    d = tmp_path / "armv6m_6.3"
    d.mkdir()
    (d / "i2ct_samd21.mpy").write_bytes(b"00000000: 4d06 ...\n")  # a hex dump, not a module
    with pytest.raises(build_mip.PackagingError, match="not a native .mpy 6.3"):
        build_mip.build(str(tmp_path / "out"), "http://127.0.0.1:1", str(tmp_path))


def test_wrong_mpy_cross(tmp_path):
    fake = tmp_path / "mpy-cross"
    fake.write_text("#!/bin/sh\necho 'MicroPython v1.19; mpy-cross emitting mpy v6'\n")
    fake.chmod(0o755)
    with pytest.raises(build_mip.PackagingError, match="need mpy v6.3"):
        build_mip.build(str(tmp_path / "out"), "http://127.0.0.1:1", str(tmp_path),
                        mpy_cross=str(fake))
