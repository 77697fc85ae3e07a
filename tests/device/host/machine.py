# A stand-in for `machine` when the device suite runs on a PC under the unix
# `micropython` (or CPython): SoftI2C drives the simulated bus of
# i2cperipheral.sim instead of two GPIO pins wired to the target's pins.
# Only on MICROPYPATH for the host run (tests/test_device_suite.py); on a
# board the real `machine` is used and this file is not copied.
#
# What is the same as machine.SoftI2C on a board (upstream extmod/machine_i2c.c):
#   - an address NACK raises OSError(ENODEV); a clock held longer than
#     `timeout` microseconds raises OSError(ETIMEDOUT);
#   - writeto() returns the number of data bytes ACKed and stops at the
#     first NACK; writeto_mem() returns None (a NACKed data byte is silent);
#   - readfrom_mem() is write index + repeated START + read; a NACKed index
#     ends with STOP and returns the buffer unread (zeros), without raising;
#   - scan() addresses 0x08..0x77 with empty writes.
# What differs:
#   - the bus is deterministic and its time simulated (100 kHz; `freq` is
#     recorded, not used);
#   - writeto(..., stop=False) (a transfer left open for a repeated START)
#     and the primitive start/stop/readinto/write are not provided:
#     NotImplementedError.  Use readfrom_mem() for restart reads.
#   - set_target_program(fn): while a transfer is on the bus, fn() is called
#     instead of a plain bus step; fn is one turn of the target's program
#     (request() and the request's read()/write() pump the bus).  On a board
#     that program runs elsewhere (a second board); here it stands in for it.
import errno

from i2cperipheral import sim

SIM = True
_MAX_STEPS = 200000

_bus = sim.reset(stretching=True, clock_hz=100000, stop_when_idle=False, record=False)
_program = None


def simulated_bus():
    return _bus


def set_target_program(fn):
    """fn(): one turn of the target's program, or None (register mode only)."""
    global _program
    _program = fn


def idle():
    pass


class Pin:
    IN = 0
    OUT = 1
    OPEN_DRAIN = 2
    PULL_UP = 1

    def __init__(self, id, mode=-1, pull=-1, value=None):
        if not isinstance(id, int):
            raise TypeError("host stand-in Pin: give a pin number, not %r" % (id,))
        self.id = id
        self._value = 1 if value is None else value

    def value(self, v=None):
        if v is None:
            return self._value
        self._value = v

    def __repr__(self):
        return "Pin(%d)" % self.id


def _run(tr):
    steps = 0
    while not tr.done:
        if steps >= _MAX_STEPS:
            raise OSError(errno.ETIMEDOUT, "host stand-in: transfer %s never finished" % tr.kind)
        if _program is not None:
            _program()
        else:
            _bus.pump()
        steps += 1
    err = tr.error
    if err:
        if "address" in err and "NACKed" in err:
            raise OSError(errno.ENODEV)
        if "stretch timeout" in err or "bus busy" in err:
            raise OSError(errno.ETIMEDOUT)
        if "NACKed" not in err:
            raise OSError(errno.EIO)
    return tr


def _memaddr(memaddr, addrsize):
    if addrsize not in (8, 16, 24, 32):
        raise ValueError("addrsize must be 8, 16, 24 or 32")
    n = addrsize // 8
    return bytes((memaddr >> (8 * (n - 1 - i))) & 0xFF for i in range(n))


class SoftI2C:
    def __init__(self, scl, sda, *, freq=400000, timeout=50000):
        if not isinstance(scl, Pin) or not isinstance(sda, Pin):
            raise TypeError("SoftI2C(scl=Pin, sda=Pin)")
        self.scl = scl
        self.sda = sda
        self.freq = freq
        self.timeout = timeout

    def _go(self, tr):
        _bus.controller_timeout_us = self.timeout
        return _run(tr)

    def scan(self):
        found = []
        for addr in range(0x08, 0x78):
            tr = _bus.quick(addr)
            try:
                self._go(tr)
            except OSError as e:
                if e.args[0] != errno.ENODEV:
                    raise
                continue
            found.append(addr)
        return found

    def writeto(self, addr, buf, stop=True):
        if not stop:
            raise NotImplementedError("host stand-in: writeto(stop=False) is not simulated; "
                                      "use readfrom_mem() for a restart read")
        tr = self._go(_bus.write(addr, bytes(buf)))
        return tr.acked[0] if tr.acked else 0

    def readfrom(self, addr, nbytes, stop=True):
        if not stop:
            raise NotImplementedError("host stand-in: readfrom(stop=False) is not simulated")
        return bytes(self._go(_bus.read(addr, nbytes)).data[-1])

    def readfrom_into(self, addr, buf, stop=True):
        data = self.readfrom(addr, len(buf), stop)
        buf[:] = data

    def writeto_mem(self, addr, memaddr, buf, *, addrsize=8):
        self._go(_bus.write(addr, _memaddr(memaddr, addrsize) + bytes(buf)))

    def readfrom_mem(self, addr, memaddr, nbytes, *, addrsize=8):
        tr = self._go(_bus.transfer([("w", addr, _memaddr(memaddr, addrsize)),
                                     ("r", addr, nbytes)]))
        if len(tr.data) == 0:  # index NACKed: STOP, buffer left as it was
            return bytes(nbytes)
        return bytes(tr.data[-1])

    def readfrom_mem_into(self, addr, memaddr, buf, *, addrsize=8):
        buf[:] = self.readfrom_mem(addr, memaddr, len(buf), addrsize=addrsize)
