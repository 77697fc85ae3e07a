# Runs every test_* function of the scenario modules under any Python, with
# no test framework (the unix `micropython` has no unittest): prints one line
# per scenario and a closing "N passed, N failed" line; exit status 1 on failure.
import sys

import api_scenarios

MODULES = (api_scenarios,)


def main():
    passed = failed = 0
    for module in MODULES:
        for name in sorted(n for n in dir(module) if n.startswith("test_")):
            try:
                getattr(module, name)()
            except Exception as e:  # report and go on: every scenario runs
                failed += 1
                print("FAIL %s: %r" % (name, e))
                if hasattr(sys, "print_exception"):
                    sys.print_exception(e)
            else:
                passed += 1
                print("PASS %s" % name)
    print("%d passed, %d failed" % (passed, failed))
    return failed


if __name__ == "__main__":
    sys.exit(1 if main() else 0)
