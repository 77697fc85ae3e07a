# Runs the device suite and prints one line per case and a summary:
#     N run, P passed, F failed, S skipped
# On a board (files copied to the board's filesystem, see docs/device-tests.md):
#     mpremote run tests/device/run.py
# On a PC (simulated bus, tests/device/host/machine.py as `machine`):
#     MICROPYPATH=<dir with _i2ct.mpy>:python:tests/device/host:tests/device:.frozen \
#         micropython tests/device/run.py
# A module or Class.test name as argument runs only that part.
import sys

import loopback
from loopback import unittest

MODULES = ("test_register_mode", "test_request_mode", "test_served", "test_lifecycle")


def _cases(module):
    for name in sorted(dir(module)):
        cls = getattr(module, name)
        if isinstance(cls, type) and issubclass(cls, unittest.TestCase) \
                and cls is not unittest.TestCase:
            yield cls


def _close_leftovers():
    """A failing case may leave a target open: close it so the next case can run."""
    from i2cperipheral import _backend
    be = _backend()
    left = [t for t in range(be.max_targets) if be.lib.is_open(t)]
    for t in left:
        be.lib.close(t)
    return left


def main(argv):
    want = argv[1:] if len(argv) > 1 else None
    counts = {"ok": 0, "FAIL": 0, "ERROR": 0, "skip": 0}
    for modname in MODULES:
        module = __import__(modname)
        for cls in _cases(module):
            names = [n for n in sorted(dir(cls)) if n.startswith("test")]
            for name in names:
                full = "%s.%s.%s" % (modname, cls.__name__, name)
                if want and not [w for w in want if w in full]:
                    continue
                case = cls()
                note = ""
                try:
                    case.setUp()
                    try:
                        getattr(case, name)()
                    finally:
                        case.tearDown()
                    result = "ok"
                except unittest.SkipTest as e:
                    result, note = "skip", str(e)
                except AssertionError as e:
                    result, note = "FAIL", str(e)
                except Exception as e:  # noqa: B902 (report every error, go on)
                    result, note = "ERROR", "%s: %s" % (type(e).__name__, e)
                loopback.serve(None)
                left = _close_leftovers()
                if left and result == "ok":
                    result, note = "FAIL", "left target(s) %r open" % (left,)
                counts[result] += 1
                print("%-5s %s%s" % (result, full, (" -- " + note) if note else ""))
    failed = counts["FAIL"] + counts["ERROR"]
    run = failed + counts["ok"] + counts["skip"]
    print("%d run, %d passed, %d failed, %d skipped" % (run, counts["ok"], failed, counts["skip"]))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
