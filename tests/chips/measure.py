"""Interrupt instructions per data byte: the bus scenarios that measure the
compiled drivers in unicorn, shared by the chip tests (tests/test_chip_*.py:
figures by what each interrupt entry served, on the test build) and the
benchmark (bench/chips.py: figures by the controller action that caused the
entries, on the shipped .mpy: EmulatedChip.load_mpy points the chip's glue
calls at the module's functions first; the scenarios only use those calls).

Register mode (served inside the interrupt): index byte + N writes, repeated
START, N reads, at 0x50.  Request mode: N bytes written with the credit
granted and N bytes read with the data queued, at 0x40, so nothing waits for
Python.  Instruction counts are deterministic.
"""
from .bus import ACK, HOLD, NACK, SENT  # noqa: F401 (the models' result codes)

N = 16                  # data bytes per direction and mode
BOUND = 400             # instructions per byte: a short bounded handler (Fm+ leaves 9 us a byte)
KEYS = ("reg_in", "reg_out", "req_in", "req_out")


def check(cond, what):
    """An assertion that also holds under python -O (the benchmark runs as a program)."""
    if not cond:
        raise AssertionError("measure scenario: " + what)


class Meter:
    """Instructions of the interrupt entries each bus action causes."""

    def __init__(self, chip):
        self.log = chip.emu.irq_log

    def __call__(self, action, *args):
        before = len(self.log)
        result = action(*args)
        return result, sum(n for _, n, _ in self.log[before:])


def worst(chip, also=0):
    """The longest interrupt entry logged (and `also`)."""
    return max([also] + [n for _, n, _ in chip.emu.irq_log])


def register_mode(chip, bus, meter=None):
    """Index 0 + N writes, repeated START, N reads, controller NACK, STOP, to the
    register map at 0x50 (set up by the caller).  The log starts empty; returns
    the instructions each write and each read caused."""
    meter = meter or Meter(chip)
    chip.emu.irq_log.clear()
    check(bus.address(0x50, False) == ACK, "address")
    costs_in, costs_out = [], []
    for b in [0] + list(range(N)):
        r, n = meter(bus.write_byte, b)
        check(r == ACK, "register write ACKed")
        costs_in.append(n)
    check(bus.address(0x50, True, restart=True) == ACK, "restart")
    for _ in range(N):
        r, n = meter(bus.read_byte)
        check(r & SENT, "register read sent")
        costs_out.append(n)
    bus.controller_nack()
    bus.stop()
    return costs_in, costs_out


def per_byte(chip, reason, entries, at_least=False):
    """(average, max) instructions of the entries that served `reason`; there are
    `entries` of them (at least that many with at_least)."""
    counts = chip.isr_counts(reason)
    if at_least:
        check(len(counts) >= entries, "%s: %d entries, %d wanted" % (reason, len(counts), entries))
    else:
        check(len(counts) == entries, "%s: %d entries, %d wanted" % (reason, len(counts), entries))
    return sum(counts) / len(counts), max(counts)


def isr_per_byte(chip, out_entries=(N, N), at_least=False, one_address=False):
    """The chip tests' figures, on the board pins: {"reg_in", "reg_out", "req_in",
    "req_out": (average, max) instructions of the "byte_in" / "byte_out" entries,
    "worst": the longest single entry}.

    out_entries: the "byte_out" entries of the register read and the request
    read (blocks differ: one a byte, the first loaded at the address, one ahead).
    one_address: the block matches one address (RP2's DW_apb_i2c), so each mode
    opens its own; its write raises no interrupt before the first byte, which is
    taken before the credit is granted, and the counting of each request
    direction starts once everything is granted or queued."""
    scl, sda, bus = chip.board()
    check(chip.open(0, scl, sda, [0x50] if one_address else [0x40, 0x50]) == 0, "open")
    chip.set_regmap(0, 0x50, 64)
    register_mode(chip, bus)
    out = {"reg_in": per_byte(chip, "byte_in", N + 1, at_least),
           "reg_out": per_byte(chip, "byte_out", out_entries[0], at_least),
           "worst": worst(chip)}
    if one_address:
        chip.close(0)
        check(chip.open(0, scl, sda, [0x40]) == 0, "open")
    chip.emu.irq_log.clear()
    bus.address(0x40, False)
    if one_address:
        check(bus.write_byte(0) == ACK, "first byte ACKed")   # held until Python asks
        chip.call("i2ct_rx_want", 0, N + 1, 1)
        chip.emu.irq_log.clear()
    else:
        chip.call("i2ct_rx_want", 0, N, 1)
    for b in range(N):
        check(bus.write_byte(b) == ACK, "request write ACKed")
    bus.stop()
    out["req_in"] = per_byte(chip, "byte_in", N, at_least)
    chip.call("i2ct_seg_close", 0)
    bus.address(0x40, True)
    check(bus.read_byte() == HOLD, "read waits for Python")
    chip.tx_put(0, bytes(range(N)))
    if one_address:
        chip.emu.irq_log.clear()
    check(bus.poll() & SENT, "first read byte")
    for _ in range(N - 1):
        check(bus.read_byte() & SENT, "request read sent")
    bus.controller_nack()
    bus.stop()
    out["req_out"] = per_byte(chip, "byte_out", out_entries[1], at_least)
    out["worst"] = worst(chip, out["worst"])
    return out


def report(name, m, mhz):
    """The line the chip tests print."""
    return ("\n%s ISR instructions per byte (avg/max): register in %.0f/%d out %.0f/%d, "
            "request in %.0f/%d out %.0f/%d; worst entry %d (%.2f us at %d MHz, 1 instr/cycle)"
            % (name, m["reg_in"][0], m["reg_in"][1], m["reg_out"][0], m["reg_out"][1],
               m["req_in"][0], m["req_in"][1], m["req_out"][0], m["req_out"][1],
               m["worst"], m["worst"] / mhz, mhz))


def assert_bounded(m):
    for key in KEYS:
        assert m[key][1] < BOUND, (key, m[key])


def costs_per_action(chip):
    """The benchmark's figures, on the board pins: {"reg_in", "reg_out", "req_in",
    "req_out": instructions of every entry each data-byte action caused (a list,
    one a byte; on some blocks a byte raises two entries), "worst": the longest
    single entry}.  Each mode opens its own address (one per block is enough);
    the first byte of the request write goes before the credit (some blocks tell
    the engine of a write only then) and is not counted."""
    scl, sda, bus = chip.board()
    meter = Meter(chip)
    check(chip.open(0, scl, sda, [0x50]) == 0, "open")
    check(chip.set_regmap(0, 0x50, 64)[1] == 0, "set_regmap")
    out = dict(zip(("reg_in", "reg_out"), register_mode(chip, bus, meter)))
    out["worst"] = worst(chip)
    chip.close(0)
    check(chip.open(0, scl, sda, [0x40]) == 0, "reopen")
    chip.emu.irq_log.clear()
    check(bus.address(0x40, False) == ACK, "address")
    first = bus.write_byte(0xAA)
    chip.call("i2ct_rx_want", 0, N + 1, 1)
    if first == HOLD:
        check(bus.poll() == ACK, "first byte released")
    out["req_in"] = []
    for b in range(N):
        r, n = meter(bus.write_byte, b)
        check(r == ACK, "request write ACKed")
        out["req_in"].append(n)
    bus.stop()
    check(chip.rx_take(0, 64) == bytes([0xAA] + list(range(N))), "bytes delivered")
    chip.call("i2ct_seg_close", 0)
    check(bus.address(0x40, True) == ACK, "read address")
    check(bus.read_byte() == HOLD, "read waits for Python")
    chip.tx_put(0, bytes(range(N + 1)))
    check(bus.poll() & SENT, "first read byte")
    out["req_out"] = []
    for _ in range(N):
        r, n = meter(bus.read_byte)
        check(r & SENT, "request read sent")
        out["req_out"].append(n)
    bus.controller_nack()
    bus.stop()
    out["worst"] = worst(chip, out["worst"])
    chip.close(0)
    return out
