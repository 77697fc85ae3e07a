"""The API scenarios of the sim port (tests/scenarios/api_scenarios.py, the
same functions tests/test_scenarios.py runs) with each native driver in the
loop: the chip's driver, engine and glue compiled for it, running in unicorn
against the register model of its I2C block (tests/reliability/targets.py
ChipLib), driven by the same SimBus controller through the same object API.

A (scenario, chip) pair is "n/a" only where the scenario needs a capability
(api_scenarios.REQUIRES) that docs/capabilities.md or the port's README says
the chip does not have (LACKS below, with the reason).  Each n/a pair is still
run once to show the documented limit is what the chip does (a port that
gains the capability makes that check fail, so the mark must go).  Real
driver findings are strict xfails (FINDINGS).  test_matrix prints the
scenario x chip table and the counts.

Every pair runs twice: on the fixed-address test build of the sources ("elf")
and on the text of the shipped dist/<arch>_6.3/i2ct_<chip>.mpy, relocated
and called through its registered functions by tests/chips/mpy_loader.py
("mpy").
"""
import os
import subprocess
import sys

import pytest

import i2cperipheral
from i2cperipheral import sim
from tests.reliability.targets import ChipLib, stm32_present

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "scenarios"))

import api_scenarios  # noqa: E402

NAMES = sorted(n for n in dir(api_scenarios) if n.startswith("test_"))
BUILDS = ("elf", "mpy")
ROOT = os.path.dirname(HERE)
CHIPS = ["samd51", "samd21", "rp2040", "rp2350"] + (
    ["f405", "f767", "l476"] if stm32_present() else [])

_SIM_ONLY = ("checks the sim port's own capabilities() row (port 'sim', 8 addresses); "
             "each chip's row is checked by test_capabilities_on_chip")
_RP2 = {
    "two_addresses": "one IC_SAR per DW_apb_i2c block: a second address is refused with "
                     "PORT_EADDR (docs/capabilities.md, ports/rp2/README.md)",
    "exact_nack": "the RX FIFO ACKs written bytes ahead; a NACK lands on the next byte "
                  "(IC_SLV_DATA_NACK_ONLY) (docs/capabilities.md, ports/rp2/README.md)",
    "readonly_nack": "the RX FIFO ACKs written bytes ahead, so a byte for a read-only "
                     "register is ACKed (and not stored); the next one is NACKed "
                     "(docs/capabilities.md per-byte NACK column, ports/rp2/README.md)",
    "address_nack": "the block ACKs a matching address before software sees it "
                    "(ports/rp2/README.md 'The address cannot be NACKed')",
    "sim_port": _SIM_ONLY,
}
_STM32_ADDRESS_ACK = (
    "the block ACKs a matched own address before software sees it, so a full request "
    "queue is counted as an overrun and the first data byte NACKed, not the address "
    "(ports/stm32/README.md, README capability table)")
LACKS = {
    "samd51": {"sim_port": _SIM_ONLY},
    "samd21": {"sim_port": _SIM_ONLY},
    "rp2040": _RP2,
    "rp2350": _RP2,
    "f405": {
        "exact_nack": "STM32 v1 sets CR1.ACK one byte ahead: the NACK lands on the next byte "
                      "(docs/capabilities.md, ports/stm32/README.md)",
        "restart_after_read": "STM32 v1 reports no repeated START for a write after a read "
                              "(docs/capabilities.md: 'v1: not for a write after a read')",
        "address_nack": _STM32_ADDRESS_ACK,
        "sim_port": _SIM_ONLY,
    },
    "f767": {"address_nack": _STM32_ADDRESS_ACK, "sim_port": _SIM_ONLY},
    "l476": {"address_nack": _STM32_ADDRESS_ACK, "sim_port": _SIM_ONLY},
}

# (scenario, chip) -> reason: driver findings still open, as strict xfails.
FINDINGS = {}


def not_applicable(name, chip):
    """The documented reasons the pair cannot hold on this chip ([] if it must)."""
    lacks = LACKS[chip]
    return ["%s: %s" % (cap, lacks[cap]) for cap in api_scenarios.REQUIRES.get(name, ())
            if cap in lacks]


_made = []


def make_natmod():
    """dist/*.mpy up to date with the sources (make is incremental)."""
    if not _made:
        subprocess.run(["make", "-s", "-C", ROOT, "natmod"], check=True)
        _made.append(True)


def chip_lib(chip, build):
    if build == "mpy":
        make_natmod()
        return ChipLib(chip, mpy=True)
    return ChipLib(chip)


def run_on_chip(name, chip, build="elf"):
    """Run one scenario with `chip` as the backend of the object API and of
    the default SimBus; afterwards no block may still hold SCL."""
    lib = chip_lib(chip, build)
    saved = (i2cperipheral._the_backend, sim._bus)
    be = i2cperipheral._Backend(lib)
    be.sim = True            # waiting pumps the simulated bus, whatever the chip
    i2cperipheral._the_backend = be
    slots = getattr(i2cperipheral.I2CPeripheral, "_slots_in_use", None)
    saved_slots = list(slots) if slots is not None else None
    if slots is not None:
        slots[:] = []
    try:
        getattr(api_scenarios, name)()
        for t in range(lib.MAX_TARGETS):
            assert not lib.is_open(t), "the scenario left target %d open" % t
        held = lib.scl_held()
        assert held == [], "SCL still held by target slot(s) %r after the scenario" % held
    finally:
        i2cperipheral._the_backend, sim._bus = saved
        if slots is not None:
            slots[:] = saved_slots
        for t in range(lib.MAX_TARGETS):
            if lib.is_open(t):
                lib.close(t)
    return lib


RESULTS = {}   # (name, chip, build) -> "pass" | "FAIL" | "xfail"

CASES = []
for _build in BUILDS:
    for _chip in CHIPS:
        for _name in NAMES:
            if not_applicable(_name, _chip):
                continue
            _why = FINDINGS.get((_name, _chip))
            CASES.append(pytest.param(
                _name, _chip, _build, id="%s-%s-%s" % (_name[5:], _chip, _build),
                marks=[pytest.mark.xfail(strict=True, reason=_why)] if _why else []))


@pytest.mark.parametrize("name,chip,build", CASES)
def test_scenario_on_chip(name, chip, build):
    key = (name, chip, build)
    RESULTS[key] = "FAIL"
    try:
        run_on_chip(name, chip, build)
    except BaseException:
        if (name, chip) in FINDINGS:
            RESULTS[key] = "xfail"
        raise
    RESULTS[key] = "pass"


NA_CASES = [pytest.param(n, c, b, id="%s-%s-%s" % (n[5:], c, b))
            for b in BUILDS for c in CHIPS for n in NAMES
            if not_applicable(n, c) and "sim_port" not in api_scenarios.REQUIRES.get(n, ())]


@pytest.mark.parametrize("name,chip,build", NA_CASES)
def test_not_applicable_pair_shows_the_documented_limit(name, chip, build):
    """The scenario does fail on this chip, by an assertion about the bus
    outcome or by the address set being refused, as the n/a reason says."""
    with pytest.raises((AssertionError, ValueError)) as info:
        run_on_chip(name, chip, build)
    if info.type is ValueError:
        assert "cannot match this set of addresses" in str(info.value)
        assert any(r.startswith("two_addresses") for r in not_applicable(name, chip))
    else:
        assert "SCL still held" not in str(info.value) and "left target" not in str(info.value)


@pytest.mark.parametrize("chip", CHIPS)
def test_capabilities_on_chip(chip):
    """The chip counterpart of test_capabilities_of_the_native_engine, and the
    n/a marks above agree with what capabilities() tells the program."""
    lib = ChipLib(chip)
    saved = (i2cperipheral._the_backend, sim._bus)
    be = i2cperipheral._Backend(lib)
    be.sim = True
    i2cperipheral._the_backend = be
    try:
        sim.reset()
        with i2cperipheral.I2CPeripheral(5, 4, (0x40,)) as dev:
            caps = dev.capabilities()
            api_scenarios.raises(NotImplementedError, dev.preload, 0x40, b"x")
    finally:
        i2cperipheral._the_backend, sim._bus = saved
    port = {"samd51": "samd51", "samd21": "samd21", "rp2040": "rp2040", "rp2350": "rp2350",
            "f405": "stm32v1", "f767": "stm32v2", "l476": "stm32v2"}[chip]
    assert caps["backend"] == "native" and caps["port"] == port
    lacks = LACKS[chip]
    assert (caps["addresses_per_target"] >= 2) == ("two_addresses" not in lacks)
    assert (caps["per_byte_nack"] is True) == ("exact_nack" not in lacks)
    assert caps["is_restart"] is True and caps["register_mode"] is True


@pytest.mark.parametrize("chip", CHIPS)
def test_shipped_module_is_what_runs(chip):
    """With mpy=True the chip runs the .mpy's text: its functions were
    registered by its init, the vectors the driver installs at open() point
    into that text, and a byte goes through it."""
    make_natmod()
    lib = ChipLib(chip, mpy=True)
    glue = lib.glue
    assert {"open", "close", "request", "rx_take", "tx_put", "set_regmap"} <= set(glue.functions)
    assert glue.relocations > 50
    with open(glue.path, "rb") as f:
        assert f.read(2) == b"M\x06"
    assert lib.abi_version() == i2cperipheral._abi.ABI_VERSION
    saved = (i2cperipheral._the_backend, sim._bus)
    be = i2cperipheral._Backend(lib)
    be.sim = True
    i2cperipheral._the_backend = be
    try:
        bus = sim.reset()
        w = bus.write(0x40, b"\x5a\xa5")
        before = set(lib.emu.scs.enabled)
        with i2cperipheral.I2CPeripheral(5, 4, (0x40,)) as dev:
            lines = sorted(set(lib.emu.scs.enabled) - before)
            assert lines and all(glue.handler_in_text(irq) for irq in lines), lines
            r = dev.request(0)
            assert bytes(r.read()) == b"\x5a\xa5"
            r.close()
            assert dev.stats()["bytes_in"] == 2
        assert w.acked == [2] and w.error is None
    finally:
        i2cperipheral._the_backend, sim._bus = saved
    assert lib.emu.irq_log, "no interrupt went through the module's handler"
    assert all(lib.emu.vector(irq) == lib.chip.firmware_vectors[16 + irq] for irq in lines)


def test_matrix(capsys):
    """Every applicable pair ran and passed (or is a listed finding) on both
    builds; prints the scenario x chip table.  Pairs not run earlier in this
    session (a -k selection) are run here."""
    for build in BUILDS:
        for name in NAMES:
            for chip in CHIPS:
                if not_applicable(name, chip) or (name, chip, build) in RESULTS:
                    continue
                try:
                    run_on_chip(name, chip, build)
                    RESULTS[(name, chip, build)] = "pass"
                except Exception:
                    RESULTS[(name, chip, build)] = "xfail" if (name, chip) in FINDINGS else "FAIL"
    width = max(len(n) for n in NAMES) - 5
    lines = ["API scenarios x chips (driver + engine + glue in unicorn, register models); "
             "each cell: test build / shipped .mpy",
             "%-*s %s" % (width, "scenario", " ".join("%-11s" % c for c in CHIPS))]
    applicable = passed = xfailed = na = 0
    for name in NAMES:
        cells = []
        for chip in CHIPS:
            if not_applicable(name, chip):
                cells.append("n/a")
                na += 1
                continue
            applicable += 1
            r = [RESULTS[(name, chip, b)] for b in BUILDS]
            passed += r.count("pass")
            xfailed += r.count("xfail")
            cells.append(r[0] if r[0] == r[1] else "/".join(r))
        lines.append("%-*s %s" % (width, name[5:], " ".join("%-11s" % c for c in cells)))
    lines.append("pairs %d: applicable %d, n/a %d; runs %d (x2 builds): passed %d, "
                 "findings (strict xfail) %d"
                 % (len(NAMES) * len(CHIPS), applicable, na, 2 * applicable, passed, xfailed))
    lines.append("n/a reasons:")
    for chip in CHIPS:
        for cap, why in sorted(LACKS[chip].items()):
            lines.append("  %s %s: %s" % (chip, cap, why))
    for (name, chip), why in sorted(FINDINGS.items()):
        lines.append("  finding %s on %s: %s" % (name, chip, why))
    with capsys.disabled():
        print("\n" + "\n".join(lines))
    failed = sorted(k for k, v in RESULTS.items() if v == "FAIL")
    assert failed == [], "applicable pairs failing: %r" % failed
    assert xfailed == len(BUILDS) * len([k for k in FINDINGS if k[1] in CHIPS])
    assert passed + xfailed == len(BUILDS) * applicable
    assert set(CHIPS) >= {"samd51", "samd21", "rp2040", "rp2350"}
