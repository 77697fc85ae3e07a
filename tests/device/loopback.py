# Wiring and helpers shared by the device tests.
#
# On a board: a machine.SoftI2C controller on two spare GPIO pins, wired to
# the target's SCL/SDA pins (see docs/device-tests.md for each board), with
# pull-ups.  The controller and the target run in one program, so while
# SoftI2C transacts (C code, blocking) no Python of the target runs.  That
# decides what one board can test:
#   - register mode (serve_memory): served in the interrupt, fully testable;
#   - request mode without the target's Python answering: the engine's
#     max_stretch_us releases the clock (NACK / filler), and afterwards the
#     program sees the request that was on the bus.  On the chips the engine
#     checks that limit when service() runs, so ServiceTick runs service()
#     from a hard timer interrupt while SoftI2C blocks;
#   - request mode answered by Python (the reference example, per-byte NACK,
#     is_restart of a served read): needs the target's program running at
#     the same time, i.e. a second board running the target (REMOTE_TARGET),
#     or, on a PC, the simulated bus, whose host `machine` stand-in runs the
#     target's program while a transfer is on the bus.
import sys

import machine

try:
    import unittest
except ImportError:  # no micropython-lib unittest (unix micropython offline)
    import unittest_min as unittest  # noqa: F401  (re-exported for the test files)

HOST = getattr(machine, "SIM", False)

# board name (a part of sys.implementation._machine) ->
#   (target SCL, target SDA, controller SCL, controller SDA) for machine.Pin()
BOARDS = (
    ("Raspberry Pi Pico", (5, 4, 7, 6)),            # I2C0 on GP5/GP4; GP7->GP5, GP6->GP4
    ("Feather M4", ("PA13", "PA12", "PA16", "PA18")),  # SCL/SDA; D5->SCL, D6->SDA
    ("ItsyBitsy M4", ("PA13", "PA12", "PA16", "PA18")),
    ("Feather M0", ("PA23", "PA22", "PA15", "PA20")),  # SCL/SDA; D5->SCL, D6->SDA
    ("PYBD", ("X9", "X10", "Y9", "Y10")),             # X9->Y9, X10->Y10
    ("PYBv1", ("X9", "X10", "Y9", "Y10")),
    ("NUCLEO-L476RG", ("PB8", "PB9", "PA8", "PA9")),  # D15/D14; D7->D15, D8->D14
)
HOST_PINS = (5, 4, 7, 6)

# A second board runs examples/peripheral_regs.py (target at 0x40 and 0x41)
# and this board is the controller only: set True to run the served tests.
REMOTE_TARGET = False

ADDR = 0x42          # the local target's address in every test
ABSENT = 0x43        # nobody answers here
CLOCK_HZ = 100000
STRETCH_US = 2000    # max_stretch_us of the request-mode tests


def pins():
    if HOST:
        return HOST_PINS
    name = getattr(sys.implementation, "_machine", "")
    for key, p in BOARDS:
        if key in name:
            return p
    raise RuntimeError("tests/device/loopback.py: no wiring for %r: add it to BOARDS" % name)


def target(addresses=(ADDR,), **kw):
    from i2cperipheral import I2CPeripheral
    scl, sda = pins()[:2]
    return I2CPeripheral(machine.Pin(scl), machine.Pin(sda), addresses, **kw)


def controller(timeout_us=50000):
    scl, sda = pins()[2:]
    return machine.SoftI2C(scl=machine.Pin(scl), sda=machine.Pin(sda), freq=CLOCK_HZ,
                           timeout=timeout_us)


def drain(dev):
    """Take and close the requests already on the queue (a scan leaves one
    per empty write); returns them as (address, is_read, is_restart)."""
    seen = []
    while True:
        r = dev.request()
        if r is None:
            return seen
        seen.append((r.address, r.is_read, r.is_restart))
        r.close()


class ServiceTick:
    """with ServiceTick(dev): run the engine's service() from a hard timer
    interrupt every millisecond, so max_stretch_us releases a held clock
    while the program is blocked (here: in SoftI2C).  On the PC the
    simulated bus services every target at each bus step already."""

    def __init__(self, dev):
        self.dev = dev
        self.timer = None

    def __enter__(self):
        if HOST:
            return self
        service, slot = self.dev._lib.service, self.dev._t

        def tick(_t):
            service(slot)  # small ints in, int out: no allocation in the interrupt

        try:
            self.timer = machine.Timer(mode=machine.Timer.PERIODIC, period=1, callback=tick,
                                       hard=True)
        except TypeError:  # a port whose Timer has no hard=
            self.timer = machine.Timer(mode=machine.Timer.PERIODIC, period=1, callback=tick)
        return self

    def __exit__(self, *exc):
        if self.timer is not None:
            self.timer.deinit()
            self.timer = None


def served(case, remote_ok=False):
    """Skip on a board what needs the target's Python to answer while the
    controller transacts.  remote_ok: the case talks to
    examples/peripheral_regs.py, which a second board can run (REMOTE_TARGET)."""
    if HOST or (remote_ok and REMOTE_TARGET):
        return
    case.skipTest("needs the target's program running during the transfer: %s"
                  % ("a second board running examples/peripheral_regs.py (REMOTE_TARGET)"
                     if remote_ok else "the PC simulator"))


def serve(program):
    """Host: run program() (one turn of the target's loop) while transfers
    are on the bus.  None: back to register mode only."""
    if HOST:
        machine.set_target_program(program)
