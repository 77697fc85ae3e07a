"""mypy over our .pyi stubs, the examples and tools/packaging/typed/ with
each board's MicroPython stubs (build/stubs/<board>, from `make stubs`).

    python -m tools.packaging.typecheck [--board rp2] [--expect-errors FILE]

The board stubs replace CPython's typeshed (--custom-typeshed-dir), so
`machine.Pin`, `time.ticks_us` ... are the board's.  Errors inside the
board stubs themselves are not ours and are ignored; everything we ship or
show is checked.  Exit status 0 when every board is clean.
"""
import argparse
import glob
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BOARDS = ("rp2", "samd", "esp32", "stm32")
TYPED = os.path.join(ROOT, "tools", "packaging", "typed")
# Examples that run on the PC (CPython), not on a board: checked against
# CPython's typeshed instead of a board's stubs.
HOST_EXAMPLES = ("demo.py",)


def stub_dir(board):
    d = os.path.join(ROOT, "build", "stubs", board)
    if not os.path.isfile(os.path.join(d, ".installed")):
        raise SystemExit("typecheck: %s missing: run `make stubs`" % d)
    return d


def checked_files():
    files = [os.path.join(ROOT, "python", "i2cperipheral", "__init__.pyi"),
             os.path.join(ROOT, "python", "i2ctarget.pyi"),
             os.path.join(TYPED, "usage.py")]
    files += [f for f in sorted(glob.glob(os.path.join(ROOT, "examples", "*.py")))
              if os.path.basename(f) not in HOST_EXAMPLES]
    return files


def host_files():
    return [os.path.join(ROOT, "examples", f) for f in HOST_EXAMPLES
            if os.path.exists(os.path.join(ROOT, "examples", f))]


def config_for(stubs):
    """A mypy config that silences the board stubs' own modules."""
    names = set()
    for entry in os.listdir(stubs):
        base, ext = os.path.splitext(entry)
        if ext == ".pyi" or (os.path.isdir(os.path.join(stubs, entry)) and "." not in entry
                             and entry not in ("stdlib",)):
            names.add(base)
    sections = ",".join(sorted(n + ".*" for n in names) + sorted(names))
    example_mods = ",".join(os.path.splitext(os.path.basename(f))[0]
                            for f in glob.glob(os.path.join(ROOT, "examples", "*.py")))
    text = ("[mypy]\nwarn_unused_configs = False\nstrict_optional = True\n"
            "[mypy-%s]\nignore_errors = True\n" % sections)
    if example_mods:
        # The examples run on CircuitPython (`import board`) or fall back to
        # pin numbers: the fallback re-defines the name on purpose.
        text += "[mypy-%s]\ndisable_error_code = no-redef\n" % example_mods
    return text


def run_mypy(board, files):
    """board None: CPython's own typeshed (host scripts)."""
    stubs = stub_dir(board) if board else None
    with tempfile.TemporaryDirectory() as tmp:
        cfg = os.path.join(tmp, "mypy.ini")
        with open(cfg, "w") as f:
            f.write(config_for(stubs) if stubs else "[mypy]\nstrict_optional = True\n")
        paths = [os.path.join(ROOT, "python"), os.path.join(TYPED, "stubs")]
        env = dict(os.environ, MYPYPATH=os.pathsep.join(paths + ([stubs] if stubs else [])))
        typeshed = ["--custom-typeshed-dir", stubs] if stubs else []
        proc = subprocess.run(
            [sys.executable, "-m", "mypy", "--config-file", cfg] + typeshed +
            ["--cache-dir", os.path.join(tmp, "cache"), "--no-error-summary",
             "--show-error-codes", "--hide-error-context"] + files,
            env=env, capture_output=True, text=True, timeout=600, cwd=ROOT)
    return proc.returncode, proc.stdout + proc.stderr


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m tools.packaging.typecheck")
    ap.add_argument("--board", action="append", choices=BOARDS)
    args = ap.parse_args(argv)
    failed = 0
    runs = [(b, checked_files()) for b in args.board or BOARDS]
    if not args.board and host_files():
        runs.append((None, host_files()))
    for board, files in runs:
        code, out = run_mypy(board, files)
        print("typecheck %s: %s" % (board or "host", "ok" if code == 0 else "FAILED"))
        if code:
            failed += 1
            print(out)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
