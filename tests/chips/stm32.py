"""An STM32 in unicorn: one of the two I2C drivers (ports/stm32), the engine
and the glue compiled for the family, an I2C register model per instance,
and the RCC / GPIO / SysTick / DWT registers the drivers touch.

Addresses and bits here are typed in from the reference manuals, not taken
from ports/stm32/*.h, so a wrong constant in the driver lands nowhere (or on
the wrong model) and the run fails.
"""
import os

from . import build as build_mod
from .armemu import SCS_BASE, SCS_SIZE, CortexM, SystemControl
from .build import REPO, build_elf
from .samd import RegisterFile
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


def pin(name):
    """'PB6' -> 38."""
    return (ord(name[1].upper()) - ord("A")) * 32 + int(name[2:])


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


def sources(gen):
    d = os.path.join(REPO, "ports", "stm32")
    return [os.path.join(d, "stm32_i2c_v%d.c" % gen), os.path.join(d, "stm32_common.c"),
            os.path.join(REPO, "ports", "cortexm", "cortexm_irq.c"),
            os.path.join(REPO, "natmod", "engine", "i2ct_engine.c"),
            os.path.join(REPO, "natmod", "i2ct_glue.c")]


def build(chip):
    c = CHIPS[chip]
    return build_elf("i2ct_" + chip, sources(c["gen"]), c["arch"], defines=[c["define"]],
                     base=CODE_BASE)


class Stm32Chip:
    def __init__(self, chip):
        c = self.cfg = CHIPS[chip]
        self.chip = chip
        self.emu = CortexM(build(chip), cpu=c["cpu"], flash=FLASH, ram=RAM)
        core = CoreRegisters(c["mhz"])
        self.emu.devices[0] = (SCS_BASE, SCS_SIZE, core)
        self.emu.scs = core
        self.firmware_vectors = [RAM[0] + RAM[1]] + [
            (FIRMWARE_HANDLER_BASE + 4 * i) | 1 for i in range(1, c["n_vectors"])]
        for i, v in enumerate(self.firmware_vectors):
            self.emu.write32(FLASH[0] + 4 * i, v)
        for i in range(c["n_vectors"]):
            self.emu.write(FIRMWARE_HANDLER_BASE + 4 * i, b"\xfe\xe7\x00\xbf")
        core.vtor = FLASH[0]
        self.dwt = CycleCounter()
        self.emu.add_device(0xE0001000, 0x1000, self.dwt)
        self.i2c = []
        for n, (_, ev, er) in enumerate(c["instances"]):
            m = (I2CV1 if c["gen"] == 1 else I2CV2)(ev, er)
            m.emu = self.emu
            self.emu.add_device(I2C_BASES[n], 0x400, m)
            self.i2c.append(m)
        self.rcc = RegisterFile(0x100)
        shift, value = c["ppre1"]
        self.rcc.write(0x08, 4, value << shift)
        self.emu.add_device(c["rcc"], 0x100, self.rcc)
        self.gpio = RegisterFile(0x400 * c["gpio_ports"])
        self.emu.add_device(c["gpio"], 0x400 * c["gpio_ports"], self.gpio)

    # ---- glue -----------------------------------------------------------------
    def call(self, name, *args, **kw):
        return self.emu.call(name, *args, **kw)

    def open(self, t, scl, sda, addresses, flags=0):
        return self.call("i2ct_open", t, scl, sda, bytes(addresses), len(addresses), flags)

    def close(self, t):
        return self.call("i2ct_close", t)

    def rx_take(self, t, n):
        self.emu.scratch_next = self.emu.scratch_base
        addr = self.emu.alloc(max(n, 1))
        got = self.emu.call("i2ct_rx_take", t, addr, n)
        return got if got < 0 else self.emu.read(addr, got)

    def tx_put(self, t, data):
        return self.call("i2ct_tx_put", t, bytes(data), len(data))

    def set_regmap(self, t, address, size, flags=0):
        addr = self.emu.scratch_base - 0x400
        return addr, self.call("i2ct_set_regmap", t, address, addr, size, flags)

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

    def isr_counts(self, reason):
        return [n for _, n, why in self.emu.irq_log if why == reason]

    def set_us(self, us):
        self.dwt.cycles = us * self.cfg["mhz"]
