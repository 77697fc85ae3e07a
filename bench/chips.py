"""ISR cost per chip: the shipped dist/<arch>_6.3/i2ct_<chip>.mpy runs in
unicorn against the register models of tests/chips (the harness is imported,
not copied): tests/chips/mpy_loader.py puts the module's text into the chip's
RAM and resolves its relocations as the firmware's loader does, and the
chip's glue calls go to the module's functions (EmulatedChip.load_mpy).

For every data byte the controller moves, the instructions of every interrupt
entry that byte causes are added up (on some blocks one byte raises two
entries).  Instructions are converted to time at one instruction per cycle at
the chip's usual clock; not counted: exception entry/exit (12-15 cycles each
way on Cortex-M), multi-cycle instructions (loads, taken branches), flash and
peripheral bus wait states.  Instruction counts are deterministic: repeated
runs give the same figures (min = max), which the table shows.

The fixed-address test build the chip tests use (tests/chips/build.py,
compiled file by file) is measured once more for comparison only: the module
is compiled as one unit with -fwhole-program, so it differs.
"""
import os

from tests.chips import measure
from tests.chips.build import REPO

# Fm+ (1 MHz): one byte is 8 data bits + ACK = 9 bit times.
BITS_PER_BYTE = 9
FMPLUS_HZ = 1000000
N = measure.N               # data bytes per direction and mode


def _chip(name):
    from tests.chips.chip import family
    return family(name)[1](name)


# name -> (label, factory); the clock and the board pins come from the harness
CHIPS = [(name, label, lambda name=name: _chip(name)) for name, label in [
    ("samd51", "SAMD51 (Cortex-M4)"),
    ("samd21", "SAMD21 (Cortex-M0+)"),
    ("rp2040", "RP2040 (Cortex-M0+)"),
    ("rp2350", "RP2350 (Cortex-M33)"),
    ("f405", "STM32F405 I2C v1 (Cortex-M4)"),
    ("l476", "STM32L476 I2C v2 (Cortex-M4)"),
    ("f767", "STM32F767 I2C v2 (Cortex-M7)"),
]]


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


def mpy_of(name):
    """The shipped module of a chip; a clear error when it was not built."""
    from tests.chips.mpy_loader import mpy_path
    path = mpy_path(name)
    if not os.path.exists(path):
        raise FileNotFoundError("%s: no %s (build it with `make natmod`)"
                                % (name, os.path.relpath(path, REPO)))
    return path


def measure_chip(factory, mpy=True):
    """One run: (MHz, dict of per-byte instruction lists and the worst single
    entry, the MpyGlue or None).  mpy=True: on the shipped .mpy; False: on the
    test build."""
    chip = factory()
    glue = chip.load_mpy(mpy_of(chip.chip)) if mpy else None
    return chip.cfg["mhz"], measure.costs_per_action(chip), glue


def _elf_of(name):
    from tests.chips.chip import family
    return family(name)[0].build(name)


def ram(name, max_targets=2, bss=None):
    """RAM per target instance from the symbols of the ELF the harness builds
    for the chip (STT_OBJECT symbols in .bss/.data; the .mpy has no symbols,
    the objects come from the same headers): the engine's slot in the glue's
    `targets` array (sizeof(i2ct_engine_t)) plus the port's slot in `ports`.
    Module total: `bss` (the .mpy's, what the board allocates at load) if
    given, else the ELF's objects; the rest is shared by the module (the RAM
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
    total = sum(sizes.values()) if bss is None else bss
    return {"engine": engine, "port": port, "instance": engine + port,
            "shared": total - max_targets * (engine + port), "total": total,
            "elf_total": sum(sizes.values()), "symbols": sizes}


def _stats(values):
    v = sorted(values)
    return sum(v) / len(v), v[-1]


def run(repeats=3, only=None):
    rows = []
    for name, label, factory in available():
        if only and name not in only:
            continue
        runs = [measure_chip(factory) for _ in range(repeats)]
        mhz, _, glue = runs[0]
        row = {"chip": name, "label": label, "mhz": mhz, "repeats": repeats,
               "mpy": os.path.relpath(glue.path, REPO), "mpy_text": glue.text_size,
               "mpy_bss": glue.bss_size}
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
        # the test build, once (deterministic): what the chip tests measure
        _, elf, _ = measure_chip(factory, mpy=False)
        row["test_build"] = {key: dict(zip(("mean", "max"), _stats(elf[key]))) for key in
                             ("reg_in", "reg_out", "req_in", "req_out")}
        row["test_build"]["worst"] = elf["worst"]
        row["ram"] = ram(name, bss=glue.bss_size)
        rows.append(row)
    return rows
