"""A SAMD51 or SAMD21 in unicorn: the driver, engine and glue compiled for the
chip, SERCOM I2CS models on every SERCOM, and the few clock / pin / timer
registers the driver touches.

Addresses here are typed in from the datasheets independently of
ports/samd/*.h, so a wrong constant in the driver lands on no model (or the
wrong one) and the run fails.
"""
import os

from .armemu import EmuError
from .build import REPO
from .chip import EmulatedChip, RegisterFile, build_chip, pin  # noqa: F401 (pin: for importers)
from .sercom_i2cs import SercomI2CS

CHIPS = {
    "samd51": dict(
        cpu="cortex-m4", arch="armv7emsp", define="I2CT_SAMD51", port_id=1, mhz=120,
        flash=(0x0, 0x80000), ram=(0x20000000, 0x30000), code_base=0x20010000,
        sercoms=[0x40003000, 0x40003400, 0x41012000, 0x41014000,
                 0x43000000, 0x43000400, 0x43000800, 0x43000C00],
        irq0=lambda n: 46 + 4 * n, lines=4, n_vectors=16 + 138,
        gclk=0x40001C00, apb=(0x40000800, 0x40), port=0x41008000, tc=0x40003800,
        apb_bits={n: (off, bit) for n, (off, bit) in enumerate(
            [(0x14, 12), (0x14, 13), (0x18, 9), (0x18, 10),
             (0x20, 0), (0x20, 1), (0x20, 2), (0x20, 3)])},
        gclk_core=[7, 8, 23, 24, 34, 35, 36, 37], gclk_slow=3,
    ),
    "samd21": dict(
        cpu="cortex-m0plus", arch="armv6m", define="I2CT_SAMD21", port_id=2, mhz=48,
        flash=(0x0, 0x40000), ram=(0x20000000, 0x8000), code_base=0x20001000,
        sercoms=[0x42000800, 0x42000C00, 0x42001000, 0x42001400, 0x42001800, 0x42001C00],
        irq0=lambda n: 9 + n, lines=1, n_vectors=16 + 29,
        gclk=0x40000C00, apb=(0x40000400, 0x40), port=0x41004400, tc=0x42003000,
        apb_bits={n: (0x20, 2 + n) for n in range(6)},
        gclk_core=[0x14 + n for n in range(6)], gclk_slow=0x13,
    ),
}

FIRMWARE_HANDLER_BASE = 0x1000   # fake firmware handlers: "b ." loops in flash

BOARD = {   # Feather M4 / ItsyBitsy M4 (SERCOM2, mux C) and Feather M0 (SERCOM3, mux C)
    "samd51": ("PA13", "PA12", 2), "samd21": ("PA23", "PA22", 3)}


class Samd21Gclk(RegisterFile):
    """GCLK of the D21: CLKCTRL is one 16-bit window onto a channel selected by ID."""

    def __init__(self):
        super().__init__(0x10)
        self.channels = {}
        self.selected = 0

    def read(self, off, size):
        if off == 0x02 and size == 2:
            return self.channels.get(self.selected, self.selected)
        return super().read(off, size)

    def write(self, off, size, value):
        if off == 0x02 and size == 1:
            self.selected = value & 0x3F
        elif off == 0x02 and size == 2:
            self.selected = value & 0x3F
            self.channels[self.selected] = value
        else:
            super().write(off, size, value)


class UsCounter:
    """MicroPython's microsecond counter (TC0+TC1 on D51, TC4+TC5 on D21)."""

    def __init__(self, chip):
        self.chip = chip
        self.now = 0
        self.readsyncs = 0

    def read(self, off, size):
        if self.chip == "samd51":
            if off == 0x05 and size == 1:
                return 0               # READSYNC done at once
            if off == 0x14 and size == 4:
                return self.now & 0xFFFFFFFF
        elif off == 0x10 and size == 4:
            return self.now & 0xFFFFFFFF
        raise EmuError("unmodelled timer read 0x%x" % off)

    def write(self, off, size, value):
        if self.chip == "samd51" and off == 0x05 and size == 1 and value == 0x80:
            self.readsyncs += 1
            return
        raise EmuError("unmodelled timer write 0x%x=0x%x" % (off, value))


def build(chip):
    return build_chip(chip, CHIPS[chip], [os.path.join(REPO, "ports", "samd", "samd_i2ct.c")],
                      CHIPS[chip]["code_base"])


class SamdChip(EmulatedChip):
    """One emulated SAMD with the driver loaded and a SERCOM I2CS model on every SERCOM."""

    BOARD = BOARD

    def __init__(self, chip):
        c = CHIPS[chip]
        super().__init__(chip, c, build(chip), c["flash"], c["ram"],
                         FIRMWARE_HANDLER_BASE, vector_table=0)
        self.sercoms = self.blocks = [
            self.attach(base, 0x40, SercomI2CS(c["irq0"](n), c["lines"]))
            for n, base in enumerate(c["sercoms"])]
        self.gclk = Samd21Gclk() if chip == "samd21" else RegisterFile(0x140)
        self.emu.add_device(c["gclk"], 0x140 if chip == "samd51" else 0x10, self.gclk)
        self.apb = RegisterFile(c["apb"][1])
        self.emu.add_device(c["apb"][0], c["apb"][1], self.apb)
        self.port = RegisterFile(0x100)
        self.emu.add_device(c["port"], 0x100, self.port)
        self.clock = UsCounter(chip)
        self.emu.add_device(c["tc"], 0x40, self.clock)

    # ---- chip state helpers ---------------------------------------------------------
    def apb_on(self, n):
        off, bit = self.cfg["apb_bits"][n]
        return bool(self.apb.u32(off) >> bit & 1)

    def pin_mux(self, p):
        group, n = divmod(p, 32)
        cfg = self.port.read(group * 0x80 + 0x40 + n, 1)
        pmux = self.port.read(group * 0x80 + 0x30 + n // 2, 1)
        return cfg, (pmux >> 4 if n & 1 else pmux & 0xF)

    def gclk_channel(self, ident):
        if self.chip == "samd51":
            return self.gclk.u32(0x80 + 4 * ident)
        return self.gclk.channels.get(ident, 0)
