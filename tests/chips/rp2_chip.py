"""An RP2040 or RP2350 in unicorn: the driver (ports/rp2), engine and glue
compiled for the chip, DW_apb_i2c models for I2C0 and I2C1, and the RESETS,
IO_BANK0, PADS_BANK0 and TIMER registers the driver touches.

Addresses here are typed in from the datasheets independently of
ports/rp2/*.h, so a wrong constant in the driver lands on no model (or the
wrong one) and the run fails.  The RP2350's Cortex-M33 runs as unicorn's
Cortex-M4: the module is built for armv7emsp (M4 code generation), which the
M33 executes.
"""
import os

from .armemu import EmuError
from .build import REPO
from .chip import EmulatedChip, build_chip
from .rp2_dw_i2c import DwApbI2c

CHIPS = {
    "rp2040": dict(
        cpu="cortex-m0plus", arch="armv6m", define="I2CT_RP2040", port_id=3, mhz=125,
        ram=(0x20000000, 0x42000), code_base=0x20020000, n_gpio=30,
        i2c=[0x40044000, 0x40048000], irqs=[23, 24], n_vectors=16 + 32,
        resets=0x4000C000, reset_bits=[3, 4], io_bank0=0x40014000,
        pads_bank0=0x4001C000, pad_reset=0x56, timer=0x40054000,
    ),
    "rp2350": dict(
        cpu="cortex-m4", arch="armv7emsp", define="I2CT_RP2350", port_id=4, mhz=150,
        ram=(0x20000000, 0x82000), code_base=0x20020000, n_gpio=48,
        i2c=[0x40090000, 0x40098000], irqs=[36, 37], n_vectors=16 + 52,
        resets=0x40020000, reset_bits=[4, 5], io_bank0=0x40028000,
        pads_bank0=0x40038000, pad_reset=0x116, timer=0x400B0000,
    ),
}

XIP_FLASH = (0x10000000, 0x100000)
FLASH_VECTORS = 0x10000100          # after the RP2040's 256-byte boot stage 2
FIRMWARE_HANDLER_BASE = 0x10001000  # fake firmware handlers: "b ." loops
RAM_VECTORS = 0x20000000            # where the SDK keeps its RAM copy

BOARD = {"rp2040": (5, 4, 0), "rp2350": (5, 4, 0)}   # Pico I2C0: GPIO 5 (SCL) / 4 (SDA)


class Resets:
    """RESETS: RESET (1 = held in reset), RESET_DONE, and the atomic aliases
    (+0x1000 XOR, +0x2000 set, +0x3000 clear)."""

    def __init__(self, held):
        self.reset = held
        self.writes = []
        self.on_reset = {}            # bit -> callable: the block's state is lost

    def _set(self, value):
        asserted = value & ~self.reset
        self.reset = value
        for bit, fn in self.on_reset.items():
            if asserted >> bit & 1:
                fn()

    def read(self, off, size):
        reg = off & 0xFFF
        if reg == 0x0:
            return self.reset
        if reg == 0x8:
            return ~self.reset & 0x1FFFFFFF
        raise EmuError("unmodelled RESETS read 0x%x" % off)

    def write(self, off, size, value):
        if off & 0xFFF != 0x0 or size != 4:
            raise EmuError("unmodelled RESETS write 0x%x" % off)
        alias = off & 0x3000
        self.writes.append((alias, value))
        if alias == 0:
            self._set(value)
        elif alias == 0x1000:
            self._set(self.reset ^ value)
        elif alias == 0x2000:
            self._set(self.reset | value)
        else:
            self._set(self.reset & ~value)

    def held(self, bit):
        return bool(self.reset >> bit & 1)


class WordRegisters:
    """Plain 32-bit registers (IO_BANK0 GPIO CTRL, PADS_BANK0), word access only."""

    def __init__(self, name, size, initial):
        self.name = name
        self.size = size
        self.regs = dict(initial)

    def read(self, off, size):
        if size != 4 or off % 4:
            raise EmuError("%s: %d-byte access at 0x%x" % (self.name, size, off))
        return self.regs.get(off, 0)

    def write(self, off, size, value):
        if size != 4 or off % 4 or off not in self.regs:
            raise EmuError("%s: unmodelled write 0x%x" % (self.name, off))
        self.regs[off] = value


class Timer:
    def __init__(self):
        self.now = 0

    def read(self, off, size):
        if off == 0x28 and size == 4:
            return self.now & 0xFFFFFFFF
        raise EmuError("unmodelled TIMER read 0x%x" % off)

    def write(self, off, size, value):
        raise EmuError("TIMER write 0x%x" % off)


def build(chip):
    return build_chip(chip, CHIPS[chip], [os.path.join(REPO, "ports", "rp2", "rp2_i2ct.c")],
                      CHIPS[chip]["code_base"])


class Rp2Chip(EmulatedChip):
    """One emulated RP2040 / RP2350 with the driver loaded.

    vectors="ram": VTOR points at a RAM table (what MicroPython runs with);
    "flash": VTOR points at the table in XIP flash (the driver must copy it)."""

    BOARD = BOARD

    def __init__(self, chip, vectors="ram"):
        c = CHIPS[chip]
        self.vector_base = RAM_VECTORS if vectors == "ram" else FLASH_VECTORS
        super().__init__(chip, c, build(chip), XIP_FLASH, c["ram"],
                         FIRMWARE_HANDLER_BASE, vector_table=self.vector_base)
        held = sum(1 << b for b in c["reset_bits"])
        self.resets = Resets(held)
        self.emu.add_device(c["resets"], 0x4000, self.resets)
        self.i2c = self.blocks = []
        for n, base in enumerate(c["i2c"]):
            bit = c["reset_bits"][n]
            m = DwApbI2c(c["irqs"][n], in_reset=lambda bit=bit: self.resets.held(bit))
            self.resets.on_reset[bit] = m.reset
            self.i2c.append(self.attach(base, 0x100, m))
        self.io = WordRegisters("IO_BANK0", 0x200,
                                {4 + 8 * g: 0x1F for g in range(c["n_gpio"])})
        self.io.regs.update({8 * g: 0 for g in range(c["n_gpio"])})   # GPIOn_STATUS
        self.emu.add_device(c["io_bank0"], 0x200, self.io)
        self.pads = WordRegisters("PADS_BANK0", 0x100,
                                  {4 + 4 * g: c["pad_reset"] for g in range(c["n_gpio"])})
        self.emu.add_device(c["pads_bank0"], 0x100, self.pads)
        self.clock = Timer()
        self.emu.add_device(c["timer"], 0x100, self.clock)

    @staticmethod
    def pin(gpio):
        return gpio                     # GPIO numbers are the pin numbers

    # ---- chip state helpers ---------------------------------------------------------
    def funcsel(self, gpio):
        return self.io.regs[4 + 8 * gpio] & 0x1F

    def pad(self, gpio):
        return self.pads.regs[4 + 4 * gpio]
