"""Targets a fault run can be played against, all behind one flat-function set.

"sim" is the host library (engine + glue + sim port through ctypes).  Every
other target is a chip in unicorn (tests/chips): the port's driver, the engine
and the glue compiled for the chip, running against the register model of its
I2C block.  ChipLib gives a chip the same Python-visible functions as the host
library, including the sim port's bus side (sim_address, sim_write_byte, ...),
which it turns into the register model's controller actions.  So one
controller (python/i2cperipheral/sim.py SimBus) and one object API
(I2CPeripheral) drive every target, and the same fault scenario runs on each.

Target slot 0 is wired to the chip's board pins, slot 1 to a second I2C block
on other pins (two targets on one bus).  Register memory (set_regmap) lives
in the chip's RAM, as it does on a board; ChipLib keeps the Python bytearray
and that RAM in step around every call into the chip.  A START or STOP the
controller that ignores stretching (SimBus(stretching=False)) sends while the
target holds SCL low is no START or STOP on the wire: ChipLib keeps the STOP
until the target lets SCL go, and the target does not see the address of
such a START (the controller reads a NACK).  From a controller that waits for
SCL, a START or STOP while SCL is held is a harness or driver error: the
register model's refusal is raised.
"""
import os

from i2cperipheral import _abi, _host

CHIP_TARGETS = ("samd51", "samd21", "rp2040", "rp2350")
_STM32 = ("f405", "f767", "l476")


def stm32_present():
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    return os.path.exists(os.path.join(here, "chips", "stm32.py"))


def all_targets():
    """sim plus every chip family with a register model in tests/chips."""
    names = ["sim"] + list(CHIP_TARGETS)
    if stm32_present():
        names += list(_STM32)
    return names


# (SCL, SDA, block) of target slot 0 (the board's I2C pins) and slot 1 (a
# second block on other pins).
SLOT_PINS = {
    "samd51": (("PA13", "PA12", 2), ("PA09", "PA08", 0)),
    "samd21": (("PA23", "PA22", 3), ("PA09", "PA08", 0)),
    "rp2040": ((5, 4, 0), (7, 6, 1)),          # Pico I2C0 GPIO5/4, I2C1 GPIO7/6
    "rp2350": ((5, 4, 0), (7, 6, 1)),
    "f405": (("PB6", "PB7", 0), ("PB10", "PB11", 1)),   # Pyboard X9/X10, Y9/Y10
    "f767": (("PB8", "PB9", 0), ("PB10", "PB11", 1)),
    "l476": (("PB8", "PB9", 0), ("PB10", "PB11", 1)),
}


def _holds_scl_refusal(exc):
    """The register model refused a START/STOP because the target holds SCL."""
    return isinstance(exc, AssertionError) and "holds SCL" in str(exc)


def _controller_ignores_stretching(lib):
    """The simulated controller now driving lib does not wait for SCL."""
    from i2cperipheral import sim
    bus = sim._bus
    return bus is not None and bus.lib is lib and not bus.stretching


class ChipLib:
    """The host library's flat functions, served by a chip in unicorn.

    mpy=True (or a path): the chip runs the text of the shipped
    dist/<arch>_6.3/i2ct_<chip>.mpy (tests/chips/mpy_loader.py) instead of
    the fixed-address test build of the same sources."""

    def __init__(self, name, mpy=False):
        self.name = name
        if name in ("samd51", "samd21"):
            from tests.chips.samd import SamdChip, pin
            self.chip = SamdChip(name)
            blocks = self.chip.sercoms
            self._set_us = self._set_counter
        elif name in ("rp2040", "rp2350"):
            from tests.chips.rp2_chip import Rp2Chip

            def pin(n):
                return n
            self.chip = Rp2Chip(name)
            blocks = self.chip.i2c
            self._set_us = self._set_counter
        elif name in _STM32:
            from tests.chips.stm32 import Stm32Chip, pin
            self.chip = Stm32Chip(name)
            blocks = self.chip.i2c
            self._set_us = self.chip.set_us
        else:
            raise ValueError("unknown chip target %r" % (name,))
        self.slot_pins = [(pin(scl), pin(sda)) for scl, sda, _ in SLOT_PINS[name]]
        self.models = [blocks[n] for _, _, n in SLOT_PINS[name]]
        self.pins = self.slot_pins[0]
        self.model = self.models[0]
        self.emu = self.chip.emu
        self.glue = self.chip
        end = max(a + n for a, n in self.emu.symbols.values())
        if mpy:
            from tests.chips.mpy_loader import MpyGlue
            self.glue = MpyGlue(self.chip, None if mpy is True else mpy)
            end = max(end, self.glue.end)
        self._open = [False] * _abi.MAX_TARGETS
        self.MAX_TARGETS = _abi.MAX_TARGETS
        # register memory: (t, address) -> [python bytearray, chip address, last synced bytes]
        self._maps = {}
        self._map_next = (end + 0xFF) & ~0xFF
        self._deferred_stop = [False] * _abi.MAX_TARGETS

    # ---- register memory: the Python bytearray and the chip's RAM in step ----
    def _push(self):
        for entry in self._maps.values():
            mem, addr, seen = entry
            if mem != seen:
                self.emu.write(addr, mem)
                entry[2] = bytes(mem)

    def _pull(self):
        for entry in self._maps.values():
            mem, addr, seen = entry
            now = self.emu.read(addr, len(mem))
            if now != seen:
                mem[:] = now
                entry[2] = now

    def _run(self, fn, *args):
        """Call into the chip (code or a model action that raises interrupts)."""
        if self._maps:
            self._push()
        try:
            return fn(*args)
        finally:
            if any(self._deferred_stop):
                self._deliver_deferred()
            if self._maps:
                self._pull()

    def _deliver_deferred(self):
        for t, due in enumerate(self._deferred_stop):
            if due and self._open[t]:
                try:
                    self.models[t].stop()
                except AssertionError as exc:
                    if not _holds_scl_refusal(exc):
                        raise
                    continue
                self._deferred_stop[t] = False

    def _set_counter(self, us):
        self.chip.clock.now = us & 0xFFFFFFFF

    # ---- the flat functions (as _host.HostLib exposes them) -------------------
    def _c(self, name, *args):
        return self._run(self.glue.call, "i2ct_" + name, *args)

    def abi_version(self):
        return self._c("abi_version")

    def port(self):
        return self._c("port")

    def open(self, t, scl, sda, addresses, flags):
        if not 0 <= t < len(self.slot_pins):
            return _abi.PORT_EINST
        addresses = bytes(addresses)
        scl, sda = self.slot_pins[t]
        r = self._run(self.glue.open, t, scl, sda, list(addresses), flags)
        if r == 0:
            self._open[t] = True
            self._deferred_stop[t] = False
        return r

    def close(self, t):
        r = self._c("close", t)
        if 0 <= t < len(self._open):
            self._open[t] = False
            self._deferred_stop[t] = False
            for key in [k for k in self._maps if k[0] == t]:
                del self._maps[key]
        return r

    def is_open(self, t):
        return 1 if 0 <= t < len(self._open) and self._open[t] else 0

    def configure(self, t, key, value):
        return self._c("configure", t, key, value)

    def request(self, t):
        return self._c("request", t)

    def status(self, t):
        return self._c("status", t)

    def rx_want(self, t, n, ack):
        return self._c("rx_want", t, n, 1 if ack else 0)

    def rx_take(self, t, buf):
        view = memoryview(buf).cast("B")
        got = self._run(self.glue.rx_take, t, len(view))
        if isinstance(got, int):
            return got
        view[:len(got)] = got
        return len(got)

    def tx_put(self, t, buf):
        data = bytes(memoryview(buf).cast("B"))
        if not data:
            return self._c("tx_put", t, 0, 0)
        return self._run(self.glue.tx_put, t, data)

    def tx_sent(self, t):
        return self._c("tx_sent", t)

    def tx_pending(self, t):
        return self._c("tx_pending", t)

    def ack(self, t, ack):
        return self._c("ack", t, 1 if ack else 0)

    def seg_close(self, t):
        return self._c("seg_close", t)

    def counter(self, t, index):
        return self._c("counter", t, index)

    def service(self, t):
        return self._c("service", t)

    def set_regmap(self, t, address, mem, flags=0):
        """mem is copied into the chip's RAM (where a board's bytearray is)
        and kept in step with it (see _run)."""
        key = (t, address)
        if mem is None:
            self._maps.pop(key, None)
            return self._regmap(t, address, 0, 0, flags)
        view = memoryview(mem).cast("B")
        if view.readonly:
            raise TypeError("mem must be writable (bytearray), not %s" % type(mem).__name__)
        old = self._maps.get(key)
        if old is not None and len(old[0]) >= len(view):
            addr = old[1]
        else:
            addr = self._map_next
            self._map_next = (addr + len(view) + 7) & ~7
            if self._map_next > self.emu.scratch_base:
                raise MemoryError("no chip RAM left for %d bytes of register memory" % len(view))
        self.emu.write(addr, bytes(view))
        r = self._regmap(t, address, addr, len(view), flags)
        if r == 0:
            self._maps[key] = [mem, addr, bytes(view)]
        else:
            self._maps.pop(key, None)
        return r

    def _regmap(self, t, address, addr, size, flags):
        if self.glue is not self.chip:
            return self._run(self.glue.set_regmap, t, address, addr, size, flags)
        return self._c("set_regmap", t, address, addr, size, flags)

    def set_readonly(self, t, address, slot, lo, hi):
        return self._c("set_readonly", t, address, slot, lo, hi)

    def reg_dirty(self, t, address, span):
        view = memoryview(span).cast("B")
        if self.glue is not self.chip:
            r, got = self._run(self.glue.reg_dirty, t, address, len(view))
        else:
            r = self._c("reg_dirty", t, address, bytes(len(view)), len(view))
            got = self.emu.read(self.emu.last_args[2], len(view)) if r > 0 else b""
        if r > 0:
            view[:] = got
        return r

    # ---- the sim port's bus side, played on the register model ---------------------
    def _model(self, t):
        return self.models[t] if self.is_open(t) else None

    def sim_address(self, t, address, is_read, restart):
        m = self._model(t)
        if m is None:
            return _abi.SIM_CLOSED
        try:
            return self._run(m.address, address, bool(is_read), bool(restart))
        except AssertionError as exc:
            if not (_holds_scl_refusal(exc) and _controller_ignores_stretching(self)):
                raise
            return _abi.SIM_NACK     # SCL is low: no START, and SDA floats high

    def sim_write_byte(self, t, byte):
        m = self._model(t)
        return _abi.SIM_CLOSED if m is None else self._run(m.write_byte, byte)

    def sim_read_byte(self, t):
        m = self._model(t)
        return _abi.SIM_CLOSED if m is None else self._run(m.read_byte)

    def sim_controller_nack(self, t):
        m = self._model(t)
        return _abi.SIM_CLOSED if m is None else (self._run(m.controller_nack) and 0)

    def sim_stop(self, t):
        m = self._model(t)
        if m is None:
            return _abi.SIM_CLOSED
        if self._deferred_stop[t]:
            return 0
        try:
            self._run(m.stop)
        except AssertionError as exc:
            if not (_holds_scl_refusal(exc) and _controller_ignores_stretching(self)):
                raise
            self._deferred_stop[t] = True     # seen once the target lets SCL go
        return 0

    def sim_bus_error(self, t):
        """A misplaced START/STOP.  SERCOM and STM32 report it as a bus error;
        DW_apb_i2c has no bus-error flag in target mode: it sees a STOP
        (STOP_DET), or loses arbitration while it drives SDA."""
        m = self._model(t)
        if m is None:
            return _abi.SIM_CLOSED
        if hasattr(m, "bus_error"):
            self._run(m.bus_error)
        elif m.state in ("tx_out", "tx_req"):
            self._run(m.arbitration_lost)
        else:
            self._run(m.stop)
        return 0

    def sim_poll(self, t):
        m = self._model(t)
        return _abi.SIM_CLOSED if m is None else self._run(m.poll)

    def scl_held(self):
        """Slots whose block still holds SCL low, open or not (probed with a
        STOP, which the register models refuse while they hold SCL)."""
        held = []
        for t, m in enumerate(self.models):
            if self._deferred_stop[t]:
                held.append(t)
                continue
            try:
                self._run(m.stop)
            except AssertionError as exc:
                if not _holds_scl_refusal(exc):
                    raise
                held.append(t)
        return held

    def sim_set_time(self, us):
        self._set_us(us & 0xFFFFFFFF)
        return 0


def make_lib(name):
    if name == "sim":
        lib = _host.load()
        for t in range(_abi.MAX_TARGETS):
            if lib.is_open(t):
                lib.close(t)
        return lib
    return ChipLib(name)
