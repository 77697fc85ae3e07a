"""Bus fault injection: every fault kind of tests/reliability/faults.py, on the
sim port and on every chip model, with the invariants of World checked after
each run (bytes lost or invented = 0)."""
import pytest

from tests.reliability import faults
from tests.reliability.targets import all_targets
from tests.reliability.world import World

TARGETS = all_targets()
RESULTS = []


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("kind", faults.KINDS, ids=lambda k: k.__name__)
def test_fault(kind, target):
    w = World(target)
    try:
        kind(w)
        c = w.check_invariants()
        RESULTS.append((kind.__name__, target, w.written(), w.read_count(), c))
    finally:
        w.finish()


def test_fault_matrix_is_complete():
    """At least 10 kinds, and the chip families that exist are all in it."""
    assert len(faults.KINDS) >= 10
    assert {"sim", "samd51", "samd21", "rp2040", "rp2350"} <= set(TARGETS)
