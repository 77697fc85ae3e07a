"""Targets a fault run can be played against, all behind one flat-function set.

"sim" is the host library (engine + glue + sim port through ctypes).  Every
other target is a chip in unicorn (tests/chips): the port's driver, the engine
and the glue compiled for the chip, running against the register model of its
I2C block.  ChipLib gives a chip the same Python-visible functions as the host
library, including the sim port's bus side (sim_address, sim_write_byte, ...),
which it turns into the register model's controller actions.  So one
controller (python/i2cperipheral/sim.py SimBus) and one object API
(I2CPeripheral) drive every target, and the same fault scenario runs on each.

Only target slot 0 is wired to the chip's board pins; the scenarios use one
target.
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


class ChipLib:
    """The host library's flat functions, served by a chip in unicorn."""

    def __init__(self, name):
        self.name = name
        if name in ("samd51", "samd21"):
            from tests.chips.samd import SamdChip, pin
            self.chip = SamdChip(name)
            scl, sda, n = {"samd51": ("PA13", "PA12", 2), "samd21": ("PA23", "PA22", 3)}[name]
            self.pins = (pin(scl), pin(sda))
            self.model = self.chip.sercoms[n]
            self._set_us = self._set_counter
        elif name in ("rp2040", "rp2350"):
            from tests.chips.rp2_chip import Rp2Chip
            self.chip = Rp2Chip(name)
            self.pins = (5, 4)                         # Pico I2C0: GPIO5 SCL, GPIO4 SDA
            self.model = self.chip.i2c[0]
            self._set_us = self._set_counter
        elif name in _STM32:
            from tests.chips.stm32 import Stm32Chip, pin
            self.chip = Stm32Chip(name)
            scl, sda = ("PB6", "PB7") if name == "f405" else ("PB8", "PB9")
            self.pins = (pin(scl), pin(sda))
            self.model = self.chip.i2c[0]
            self._set_us = self.chip.set_us
        else:
            raise ValueError("unknown chip target %r" % (name,))
        self.emu = self.chip.emu
        self._open = [False] * _abi.MAX_TARGETS
        self.MAX_TARGETS = _abi.MAX_TARGETS

    def _set_counter(self, us):
        self.chip.clock.now = us & 0xFFFFFFFF

    # ---- the flat functions (as _host.HostLib exposes them) -------------------
    def _c(self, name, *args):
        return self.chip.call("i2ct_" + name, *args)

    def abi_version(self):
        return self._c("abi_version")

    def port(self):
        return self._c("port")

    def open(self, t, scl, sda, addresses, flags):
        if t != 0:
            return _abi.PORT_EINST
        addresses = bytes(addresses)
        r = self.chip.open(t, self.pins[0], self.pins[1], list(addresses), flags)
        if r == 0:
            self._open[t] = True
        return r

    def close(self, t):
        r = self._c("close", t)
        if 0 <= t < len(self._open):
            self._open[t] = False
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
        got = self.chip.rx_take(t, len(view))
        if isinstance(got, int):
            return got
        view[:len(got)] = got
        return len(got)

    def tx_put(self, t, buf):
        data = bytes(memoryview(buf).cast("B"))
        if not data:
            return self._c("tx_put", t, 0, 0)
        return self.chip.tx_put(t, data)

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
        raise NotImplementedError("register mode is not wired through ChipLib")

    # ---- the sim port's bus side, played on the register model ---------------------
    def _model(self, t):
        return self.model if self.is_open(t) else None

    def sim_address(self, t, address, is_read, restart):
        m = self._model(t)
        return _abi.SIM_CLOSED if m is None else m.address(address, bool(is_read), bool(restart))

    def sim_write_byte(self, t, byte):
        m = self._model(t)
        return _abi.SIM_CLOSED if m is None else m.write_byte(byte)

    def sim_read_byte(self, t):
        m = self._model(t)
        return _abi.SIM_CLOSED if m is None else m.read_byte()

    def sim_controller_nack(self, t):
        m = self._model(t)
        return _abi.SIM_CLOSED if m is None else (m.controller_nack() and 0)

    def sim_stop(self, t):
        m = self._model(t)
        return _abi.SIM_CLOSED if m is None else (m.stop() and 0)

    def sim_bus_error(self, t):
        """A misplaced START/STOP.  SERCOM and STM32 report it as a bus error;
        DW_apb_i2c has no bus-error flag in target mode: it sees a STOP
        (STOP_DET), or loses arbitration while it drives SDA."""
        m = self._model(t)
        if m is None:
            return _abi.SIM_CLOSED
        if hasattr(m, "bus_error"):
            m.bus_error()
        elif m.state in ("tx_out", "tx_req"):
            m.arbitration_lost()
        else:
            m.stop()
        return 0

    def sim_poll(self, t):
        m = self._model(t)
        return _abi.SIM_CLOSED if m is None else m.poll()

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
