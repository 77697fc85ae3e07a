"""What every emulated chip (samd.py, rp2_chip.py, stm32.py) shares: the
driver ELF loaded in a CortexM, the firmware's vector table of distinct
"b ." handlers, the register models attached to the bus, and the glue's
flat functions called as a board's Python would call them.

Per-chip facts (addresses, clocks, pins, the models of each block) stay in
the chip modules.
"""
import os

from .armemu import CortexM
from .build import REPO, build_elf

B_DOT = b"\xfe\xe7\x00\xbf"          # b . ; nop -- a firmware handler that never returns


def pin(name):
    """Port pin name to pin number, 32 a port: 'PA12' -> 12, 'PB03' -> 35, 'PB6' -> 38."""
    return (ord(name[1].upper()) - ord("A")) * 32 + int(name[2:])


def common_sources():
    """The sources every chip build links after its driver: Cortex-M interrupt
    plumbing, the engine and the glue."""
    return [os.path.join(REPO, "ports", "cortexm", "cortexm_irq.c"),
            os.path.join(REPO, "natmod", "engine", "i2ct_engine.c"),
            os.path.join(REPO, "natmod", "i2ct_glue.c")]


def build_chip(chip, cfg, port_sources, base):
    """The fixed-address ELF of one chip: its driver sources, then the common ones."""
    return build_elf("i2ct_" + chip, list(port_sources) + common_sources(), cfg["arch"],
                     defines=[cfg["define"]], base=base)


FAMILIES = (("samd", "SamdChip"), ("rp2_chip", "Rp2Chip"), ("stm32", "Stm32Chip"))


def family(chip):
    """(module, class) of the chip assembly whose CHIPS table has `chip`."""
    import importlib
    for mod, cls in FAMILIES:
        m = importlib.import_module(__package__ + "." + mod)
        if chip in m.CHIPS:
            return m, getattr(m, cls)
    raise ValueError("no chip assembly for %r" % (chip,))


class RegisterFile:
    """Plain memory-like registers (clock enables, pin configuration)."""

    def __init__(self, size):
        self.mem = bytearray(size)

    def read(self, off, size):
        return int.from_bytes(self.mem[off:off + size], "little")

    def write(self, off, size, value):
        self.mem[off:off + size] = (value & ((1 << (8 * size)) - 1)).to_bytes(size, "little")

    def u32(self, off):
        return self.read(off, 4)


class EmulatedChip:
    """One emulated chip with the driver loaded; target slot calls go through the glue.

    A chip module sets BOARD ({chip: (scl, sda, block)}: the board's I2C pins
    and the block behind them), `pin` (name -> number) and `blocks` (the I2C
    register models, in block order)."""

    BOARD = {}
    blocks = ()

    def __init__(self, chip, cfg, elf, flash, ram, handler_base, vector_table, scs=None):
        self.cfg = cfg
        self.chip = chip
        self.emu = CortexM(elf, cpu=cfg["cpu"], flash=flash, ram=ram)
        if scs is not None:
            self.emu.devices[0] = (self.emu.devices[0][0], self.emu.devices[0][1], scs)
            self.emu.scs = scs
        # the firmware's vector table, every slot a distinct handler
        self.firmware_vectors = [ram[0] + ram[1]] + [
            (handler_base + 4 * i) | 1 for i in range(1, cfg["n_vectors"])]
        for i in range(cfg["n_vectors"]):
            self.emu.write(handler_base + 4 * i, B_DOT)
        for i, v in enumerate(self.firmware_vectors):
            self.emu.write32(vector_table + 4 * i, v)
        self.emu.scs.vtor = vector_table

    def attach(self, base, size, model):
        """Map a register model at base; it raises interrupts through this emulator."""
        model.emu = self.emu
        self.emu.add_device(base, size, model)
        return model

    @staticmethod
    def pin(name):
        return pin(name)

    def board(self):
        """(scl, sda, model): the board's I2C pins as numbers and the block's model."""
        scl, sda, n = self.BOARD[self.chip]
        return self.pin(scl), self.pin(sda), self.blocks[n]

    def open_board(self, addresses=(0x40,), flags=0):
        """Open target 0 on the board pins; returns the block's model."""
        scl, sda, bus = self.board()
        r = self.open(0, scl, sda, list(addresses), flags)
        assert r == 0, "open on the board pins returned %d" % r
        return bus

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

    def set_regmap(self, t, address, size, flags=0, at=None):
        """Register memory lives in emulated RAM (Python owns it on a board)."""
        addr = at if at is not None else self.emu.scratch_base - 0x400
        return addr, self.call("i2ct_set_regmap", t, address, addr, size, flags)

    def load_mpy(self, path=None):
        """Run the shipped module instead of the test build: load
        dist/<arch>_6.3/i2ct_<chip>.mpy (or `path`) with mpy_loader.MpyGlue and
        send this chip's glue calls (open, call, close, set_regmap, tx_put,
        rx_take) to the module's functions.  Returns the MpyGlue."""
        from .mpy_loader import MpyGlue
        glue = MpyGlue(self, path)
        regmap_at = self.emu.scratch_base - 0x400
        if glue.end > regmap_at:
            raise ValueError("%s: module text+bss end at 0x%x, over the register memory at 0x%x"
                             % (glue.path, glue.end, regmap_at))

        def set_regmap(t, address, size, flags=0, at=None):
            addr = at if at is not None else regmap_at
            return addr, glue.set_regmap(t, address, addr, size, flags)

        self.mpy = glue
        self.call = glue.call
        self.open = glue.open
        self.close = glue.close
        self.tx_put = glue.tx_put
        self.rx_take = glue.rx_take
        self.set_regmap = set_regmap
        return glue

    def isr_counts(self, reason):
        """Instructions of every interrupt entry that served `reason` (the model's irq_reason)."""
        return [n for _, n, why in self.emu.irq_log if why == reason]
