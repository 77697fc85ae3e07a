"""Type stubs: python/i2cperipheral/__init__.pyi and python/i2ctarget.pyi.

- mypy's stubtest: the stubs name exactly what the runtime module has, with
  the same parameters (catches an API change the stubs missed);
- mypy with each board's MicroPython stubs (rp2, samd, esp32, stm32; pinned
  in tools/packaging/stubs-requirements.txt, `make stubs`): our stubs, the
  examples and tools/packaging/typed/usage.py are clean, and every line of
  tools/packaging/typed/bad_usage.py marked "# error:" is an error."""
import os
import re
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)

from tools.packaging import typecheck  # noqa: E402

BAD = os.path.join(ROOT, "tools", "packaging", "typed", "bad_usage.py")


@pytest.fixture(scope="module")
def board_stubs():
    proc = subprocess.run(["make", "-s", "-C", ROOT, "stubs"], capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for board in typecheck.BOARDS:
        assert os.path.isfile(os.path.join(ROOT, "build", "stubs", board, "machine.pyi"))


def test_stubs_match_the_runtime(tmp_path):
    cfg = tmp_path / "mypy.ini"
    cfg.write_text("[mypy]\n[mypy-i2cperipheral._machine,i2cperipheral.sim,i2cperipheral._host,"
                   "i2cperipheral._abi]\nignore_errors = True\n")
    allow = tmp_path / "allow.txt"
    # only the public modules are stubbed; the private backends and sim are not API
    allow.write_text("i2cperipheral\\._.*\ni2cperipheral\\.sim.*\n")
    env = dict(os.environ, MYPYPATH=os.path.join(ROOT, "python"),
               PYTHONPATH=os.path.join(ROOT, "python"))
    proc = subprocess.run([sys.executable, "-m", "mypy.stubtest", "i2cperipheral", "i2ctarget",
                           "--mypy-config-file", str(cfg), "--allowlist", str(allow),
                           "--ignore-unused-allowlist"],
                          capture_output=True, text=True, timeout=300, env=env,
                          cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("board", typecheck.BOARDS)
def test_clean_with_board_stubs(board_stubs, board):
    files = typecheck.checked_files()
    assert any(f.endswith("peripheral_regs.py") for f in files)
    code, out = typecheck.run_mypy(board, files)
    assert code == 0, out


def test_host_examples_clean():
    code, out = typecheck.run_mypy(None, typecheck.host_files())
    assert code == 0, out


@pytest.mark.parametrize("board", ["rp2", "esp32"])
def test_wrong_uses_are_errors(board_stubs, board):
    with open(BAD) as f:
        marked = {i for i, line in enumerate(f, 1) if "# error:" in line}
    assert len(marked) >= 7
    code, out = typecheck.run_mypy(board, [BAD])
    assert code != 0
    flagged = {int(m) for m in re.findall(r"bad_usage\.py:(\d+): error:", out)}
    assert flagged == marked, out
