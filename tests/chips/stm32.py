"""An STM32 in unicorn: one of the two I2C drivers (ports/stm32), the engine
and the glue compiled for the family, an I2C register model per instance,
and the RCC / GPIO / SysTick / DWT registers the drivers touch.

Addresses and bits here are typed in from the reference manuals, not taken
from ports/stm32/*.h, so a wrong constant in the driver lands nowhere (or on
the wrong model) and the run fails.
"""
import os

from . import build as build_mod
from .armemu import SystemControl
from .build import REPO
from .chip import EmulatedChip, RegisterFile, build_chip, pin  # noqa: F401 (pin: for importers)
from .stm32_i2c_v1 import I2CV1
from .stm32_i2c_v2 import I2CV2

# the F7 firmware's code generation (natmod arch armv7emdp)
build_mod.ARCH_FLAGS.setdefault(
    "armv7emdp", ["-mthumb", "-mcpu=cortex-m7", "-mfpu=fpv5-d16", "-mfloat-abi=hard"])

I2C_BASES = [0x40005400, 0x40005800, 0x40005C00, 0x40006000]

CHIPS = {
    # Pyboard v1.x: 168 MHz, APB1 = HCLK / 4 (CFGR.PPRE1 = 0b101)
    "f405": dict(gen=1, cpu="cortex-m4", arch="armv7emsp", define="I2CT_STM32F4", port_id=5,
                 mhz=168, ppre1=(10, 0b101), rcc=0x40023800, gpio_enr=0x30, apb1enr=0x40,
                 gpio=0x40020000, gpio_ports=9, n_vectors=16 + 82,
                 instances=[(21, 31, 32), (22, 33, 34), (23, 72, 73)]),
    # Pyboard D SF6: 216 MHz (the SF2 runs at 120), APB1 = HCLK / 4
    "f767": dict(gen=2, cpu="cortex-m7", arch="armv7emdp", define="I2CT_STM32F7", port_id=6,
                 mhz=216, ppre1=(10, 0b101), rcc=0x40023800, gpio_enr=0x30, apb1enr=0x40,
                 gpio=0x40020000, gpio_ports=11, n_vectors=16 + 110,
                 instances=[(21, 31, 32), (22, 33, 34), (23, 72, 73), (24, 95, 96)]),
    # NUCLEO-L476RG: 80 MHz, APB1 not divided
    "l476": dict(gen=2, cpu="cortex-m4", arch="armv7emsp", define="I2CT_STM32L4", port_id=6,
                 mhz=80, ppre1=(8, 0), rcc=0x40021000, gpio_enr=0x4C, apb1enr=0x58,
                 gpio=0x48000000, gpio_ports=8, n_vectors=16 + 82,
                 instances=[(21, 31, 32), (22, 33, 34), (23, 72, 73)]),
}

FLASH = (0x08000000, 0x100000)
RAM = (0x20000000, 0x40000)
CODE_BASE = 0x20010000
FIRMWARE_HANDLER_BASE = 0x08001000

# board I2C pins: Pyboard v1.x X9/X10 = PB6/PB7 (I2C1); Pyboard D X9/X10 = PB8/PB9 (I2C1);
# NUCLEO-L476 D15/D14 = PB8/PB9
BOARD = {"f405": ("PB6", "PB7", 0), "f767": ("PB8", "PB9", 0), "l476": ("PB8", "PB9", 0)}


class CoreRegisters(SystemControl):
    """The generic SCS model plus SysTick's reload / control and DEMCR."""

    def __init__(self, mhz):
        super().__init__()
        self.syst_csr = 0x7                  # enabled, interrupt, processor clock
        self.syst_rvr = mhz * 1000 - 1       # MicroPython's 1 ms tick
        self.demcr = 0

    def read(self, off, size):
        if off == 0x010:
            return self.syst_csr
        if off == 0x014:
            return self.syst_rvr
        if off == 0xDFC:
            return self.demcr
        return super().read(off, size)

    def write(self, off, size, value):
        if off == 0xDFC:
            self.demcr = value
            return
        if off in (0x010, 0x014, 0x018):
            raise AssertionError("driver wrote SysTick (0x%x)" % off)
        super().write(off, size, value)


class CycleCounter:
    """DWT: CTRL.CYCCNTENA, CYCCNT (set by the test), LAR."""

    def __init__(self):
        self.ctrl = 0x40000000
        self.cycles = 0
        self.unlocked = False

    def read(self, off, size):
        if off == 0x000:
            return self.ctrl
        if off == 0x004:
            return self.cycles & 0xFFFFFFFF if self.ctrl & 1 else 0
        return 0

    def write(self, off, size, value):
        if off == 0x000:
            self.ctrl = value
        elif off == 0xFB0:
            self.unlocked = value == 0xC5ACCE55
        elif off == 0x004:
            self.cycles = value


def build(chip):
    d = os.path.join(REPO, "ports", "stm32")
    return build_chip(chip, CHIPS[chip], [os.path.join(d, "stm32_i2c_v%d.c" % CHIPS[chip]["gen"]),
                                          os.path.join(d, "stm32_common.c")], CODE_BASE)


class Stm32Chip(EmulatedChip):
    """One emulated STM32 with the driver of its I2C generation loaded."""

    BOARD = BOARD

    def __init__(self, chip):
        c = CHIPS[chip]
        super().__init__(chip, c, build(chip), FLASH, RAM, FIRMWARE_HANDLER_BASE,
                         vector_table=FLASH[0], scs=CoreRegisters(c["mhz"]))
        self.dwt = CycleCounter()
        self.emu.add_device(0xE0001000, 0x1000, self.dwt)
        self.i2c = self.blocks = [
            self.attach(I2C_BASES[n], 0x400, (I2CV1 if c["gen"] == 1 else I2CV2)(ev, er))
            for n, (_, ev, er) in enumerate(c["instances"])]
        self.rcc = RegisterFile(0x100)
        shift, value = c["ppre1"]
        self.rcc.write(0x08, 4, value << shift)
        self.emu.add_device(c["rcc"], 0x100, self.rcc)
        self.gpio = RegisterFile(0x400 * c["gpio_ports"])
        self.emu.add_device(c["gpio"], 0x400 * c["gpio_ports"], self.gpio)

    # ---- chip state ---------------------------------------------------------------
    def clock_on(self, n):
        return bool(self.rcc.u32(self.cfg["apb1enr"]) >> self.cfg["instances"][n][0] & 1)

    def set_clock(self, n, on):
        off, bit = self.cfg["apb1enr"], self.cfg["instances"][n][0]
        v = self.rcc.u32(off)
        self.rcc.write(off, 4, v | 1 << bit if on else v & ~(1 << bit))

    def pin_config(self, p):
        """(mode, open_drain, pull, af) of pin p."""
        base = (p >> 5) * 0x400
        n = p & 31
        mode = self.gpio.u32(base) >> 2 * n & 3
        od = self.gpio.u32(base + 4) >> n & 1
        pull = self.gpio.u32(base + 0xC) >> 2 * n & 3
        af = self.gpio.u32(base + 0x20 + 4 * (n >> 3)) >> 4 * (n & 7) & 0xF
        return mode, od, pull, af

    def gpio_clock_on(self, port_index):
        return bool(self.rcc.u32(self.cfg["gpio_enr"]) >> port_index & 1)

    def set_us(self, us):
        self.dwt.cycles = us * self.cfg["mhz"]
