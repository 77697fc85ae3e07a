"""ISR cost per chip: the compiled drivers run in unicorn against the register
models of tests/chips (the harness is imported, not copied).

For every data byte the controller moves, the instructions of every interrupt
entry that byte causes are added up (on some blocks one byte raises two
entries).  Instructions are converted to time at one instruction per cycle at
the chip's usual clock; not counted: exception entry/exit (12-15 cycles each
way on Cortex-M), multi-cycle instructions (loads, taken branches), flash and
peripheral bus wait states.  Instruction counts are deterministic: repeated
runs give the same figures (min = max), which the table shows.
"""
import os

from tests.chips.build import REPO

# Fm+ (1 MHz): one byte is 8 data bits + ACK = 9 bit times.
BITS_PER_BYTE = 9
FMPLUS_HZ = 1000000
N = 16                      # data bytes per direction and mode


def _samd(name, scl, sda, n):
    from tests.chips.samd import SamdChip, pin
    c = SamdChip(name)
    return c, (pin(scl), pin(sda)), lambda: c.sercoms[n]


def _rp2(name):
    from tests.chips.rp2_chip import Rp2Chip
    c = Rp2Chip(name)
    return c, (5, 4), lambda: c.i2c[0]


def _stm32(name):
    from tests.chips.stm32 import Stm32Chip, pin
    c = Stm32Chip(name)
    return c, (pin("PB6"), pin("PB7")), lambda: c.i2c[0]


# name -> (label, factory); the clock comes from the harness's chip table
CHIPS = [
    ("samd51", "SAMD51 (Cortex-M4)", lambda: _samd("samd51", "PA13", "PA12", 2)),
    ("samd21", "SAMD21 (Cortex-M0+)", lambda: _samd("samd21", "PA23", "PA22", 3)),
    ("rp2040", "RP2040 (Cortex-M0+)", lambda: _rp2("rp2040")),
    ("rp2350", "RP2350 (Cortex-M33)", lambda: _rp2("rp2350")),
    ("f405", "STM32F405 I2C v1 (Cortex-M4)", lambda: _stm32("f405")),
    ("l476", "STM32L476 I2C v2 (Cortex-M4)", lambda: _stm32("l476")),
    ("f767", "STM32F767 I2C v2 (Cortex-M7)", lambda: _stm32("f767")),
]


def available():
    """The chips whose port and register model exist in this tree."""
    out = []
    for name, label, factory in CHIPS:
        if name.startswith(("f", "l")):
            if not (os.path.isdir(os.path.join(REPO, "ports", "stm32"))
                    and os.path.exists(os.path.join(REPO, "tests", "chips", "stm32.py"))):
                continue
        out.append((name, label, factory))
    return out


class _Meter:
    """Instructions of the interrupt entries each bus action causes."""

    def __init__(self, chip):
        self.log = chip.emu.irq_log

    def __call__(self, action, *args):
        before = len(self.log)
        result = action(*args)
        return result, sum(n for _, n, _ in self.log[before:])


def _check(cond, what):
    if not cond:
        raise AssertionError("bench scenario: " + what)


def measure(factory):
    """One run: dict of per-byte instruction lists and the worst single entry."""
    from tests.chips.sercom_i2cs import ACK, HOLD, SENT   # same codes in every model
    chip, (scl, sda), model = factory()
    meter = _Meter(chip)
    out = {}
    # register mode: index byte + N writes, repeated START, N reads
    _check(chip.open(0, scl, sda, [0x50]) == 0, "open")
    s = model()
    _check(chip.set_regmap(0, 0x50, 64)[1] == 0, "set_regmap")
    chip.emu.irq_log.clear()
    _check(s.address(0x50, False) == ACK, "address")
    costs = []
    for b in [0] + list(range(N)):
        r, n = meter(s.write_byte, b)
        _check(r == ACK, "register write ACKed")
        costs.append(n)
    out["reg_in"] = costs
    _check(s.address(0x50, True, restart=True) == ACK, "restart")
    costs = []
    for _ in range(N):
        r, n = meter(s.read_byte)
        _check(r & SENT, "register read sent")
        costs.append(n)
    out["reg_out"] = costs
    s.controller_nack()
    s.stop()
    worst = max(n for _, n, _ in chip.emu.irq_log)
    chip.close(0)
    # request mode, credit granted / bytes queued up front so nothing waits
    _check(chip.open(0, scl, sda, [0x40]) == 0, "reopen")
    s = model()
    chip.emu.irq_log.clear()
    _check(s.address(0x40, False) == ACK, "address")
    first = s.write_byte(0xAA)                      # some blocks tell the engine only now
    chip.call("i2ct_rx_want", 0, N + 1, 1)
    if first == HOLD:
        _check(s.poll() == ACK, "first byte released")
    costs = []
    for b in range(N):
        r, n = meter(s.write_byte, b)
        _check(r == ACK, "request write ACKed")
        costs.append(n)
    out["req_in"] = costs
    s.stop()
    _check(chip.rx_take(0, 64) == bytes([0xAA] + list(range(N))), "bytes delivered")
    chip.call("i2ct_seg_close", 0)
    _check(s.address(0x40, True) == ACK, "read address")
    _check(s.read_byte() == HOLD, "read waits for Python")
    chip.tx_put(0, bytes(range(N + 1)))
    _check(s.poll() & SENT, "first read byte")
    costs = []
    for _ in range(N):
        r, n = meter(s.read_byte)
        _check(r & SENT, "request read sent")
        costs.append(n)
    out["req_out"] = costs
    s.controller_nack()
    s.stop()
    out["worst"] = max([worst] + [n for _, n, _ in chip.emu.irq_log])
    chip.close(0)
    return chip.cfg["mhz"], out


def _elf_of(name):
    if name.startswith("samd"):
        from tests.chips.samd import build
    elif name.startswith("rp"):
        from tests.chips.rp2_chip import build
    else:
        from tests.chips.stm32 import build
    return build(name)


def ram(name, max_targets=2):
    """RAM from the ELF the harness builds for the chip (the natmod's code and
    data): STT_OBJECT symbols in .bss/.data.  Per target instance: the
    engine's slot in the glue's `targets` array (sizeof(i2ct_engine_t)) plus
    the port's slot in `ports`; the rest is shared by the module (the RAM
    vector table copy, bookkeeping)."""
    from elftools.elf.elffile import ELFFile
    sizes = {}
    with open(_elf_of(name), "rb") as f:
        elf = ELFFile(f)
        keep = {i for i, sec in enumerate(elf.iter_sections())
                if sec.name.startswith((".bss", ".data"))}
        for sym in elf.get_section_by_name(".symtab").iter_symbols():
            if sym["st_info"]["type"] == "STT_OBJECT" and sym["st_shndx"] in keep:
                sizes[sym.name] = sizes.get(sym.name, 0) + sym["st_size"]
    engine = sizes.get("targets", 0) // max_targets
    port = sizes.get("ports", 0) // max_targets
    shared = sum(v for k, v in sizes.items() if k not in ("targets", "ports"))
    return {"engine": engine, "port": port, "instance": engine + port, "shared": shared,
            "total": sum(sizes.values()), "symbols": sizes}


def _stats(values):
    v = sorted(values)
    return sum(v) / len(v), v[-1]


def run(repeats=3, only=None):
    rows = []
    for name, label, factory in available():
        if only and name not in only:
            continue
        runs = [measure(factory) for _ in range(repeats)]
        mhz = runs[0][0]
        row = {"chip": name, "label": label, "mhz": mhz, "repeats": repeats}
        for key in ("reg_in", "reg_out", "req_in", "req_out"):
            means = sorted(_stats(r[1][key])[0] for r in runs)
            maxes = sorted(_stats(r[1][key])[1] for r in runs)
            row[key] = {"mean": means[len(means) // 2], "max": maxes[len(maxes) // 2],
                        "min_run": means[0], "max_run": means[-1]}
        worsts = sorted(r[1]["worst"] for r in runs)
        row["worst"] = {"median": worsts[len(worsts) // 2], "min": worsts[0], "max": worsts[-1]}
        reg_byte = max(row["reg_in"]["max"], row["reg_out"]["max"])
        req_byte = max(row["req_in"]["max"], row["req_out"]["max"])
        row["reg_us"] = reg_byte / mhz
        row["req_us"] = req_byte / mhz
        # a byte lasts 9 bit times: the ISR keeps up while its time fits in one byte
        row["reg_max_khz"] = BITS_PER_BYTE * mhz * 1000 / reg_byte
        row["req_max_khz"] = BITS_PER_BYTE * mhz * 1000 / req_byte
        row["ram"] = ram(name)
        rows.append(row)
    return rows
