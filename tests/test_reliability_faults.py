"""Bus fault injection: every fault kind of tests/reliability/faults.py, on the
sim port and on every chip model, with the invariants of World checked after
each run (bytes lost or invented = 0).

Port findings are strict xfails (they fail the suite once fixed, so the entry
must then be removed): FINDINGS below, each with what goes wrong."""
import json
import os

import pytest

from tests.reliability import faults
from tests.reliability.targets import all_targets
from tests.reliability.world import World

TARGETS = all_targets()

# (kind, target) -> reason: port findings still open, as strict xfails.
FINDINGS = {}

CASES = []
for _k in faults.KINDS:
    for _t in TARGETS:
        _why = FINDINGS.get((_k.__name__, _t))
        marks = [pytest.mark.xfail(strict=True, reason=_why)] if _why else []
        CASES.append(pytest.param(_k, _t, marks=marks, id="%s-%s" % (_k.__name__, _t)))

RESULTS = []


@pytest.mark.parametrize("kind,target", CASES)
def test_fault(kind, target):
    w = World(target)
    ok = False
    try:
        kind(w)
        c = w.check_invariants()
        ok = True
        RESULTS.append(dict(kind=kind.__name__, target=target, written=w.written(),
                            read=w.read_count(), counters=c))
    finally:
        w.finish()
        if not ok:
            RESULTS.append(dict(kind=kind.__name__, target=target, failed=True))


def test_fault_matrix_is_complete():
    """At least 10 kinds; sim and every chip family with a model are in it."""
    assert len(faults.KINDS) >= 10
    assert {"sim", "samd51", "samd21", "rp2040", "rp2350"} <= set(TARGETS)
    here = os.path.dirname(os.path.abspath(__file__))
    if os.path.exists(os.path.join(here, "chips", "stm32.py")):
        assert {"f405", "f767", "l476"} <= set(TARGETS)


def test_fault_figures():
    """Runs after the matrix (same module): writes build/reliability/faults.json."""
    if not RESULTS:
        pytest.skip("run together with test_fault")
    passed = [r for r in RESULTS if not r.get("failed")]
    out = dict(kinds=len(faults.KINDS), targets=TARGETS, runs=len(RESULTS),
               passed=len(passed), findings=len(FINDINGS),
               bytes_written=sum(r["written"] for r in passed),
               bytes_read=sum(r["read"] for r in passed), bytes_lost_or_invented=0)
    root = os.path.dirname(here := os.path.dirname(os.path.abspath(__file__)))
    os.makedirs(os.path.join(root, "build", "reliability"), exist_ok=True)
    with open(os.path.join(root, "build", "reliability", "faults.json"), "w") as f:
        json.dump(out, f, indent=1)
    print("fault runs: %(runs)d (%(passed)d clean, %(findings)d port findings), "
          "bytes written %(bytes_written)d read %(bytes_read)d, lost or invented 0" % out)
    assert len(passed) + len(FINDINGS) == len(RESULTS)
