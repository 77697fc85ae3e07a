# i2cperipheral: CircuitPython's I2C peripheral (target) API for MicroPython.
#
# This module is the whole object API.  Below it is a flat function set
# (ints and buffers in, ints out) from one of three backends, chosen at the
# first use: the native module `_i2ct` (an .mpy for the board's chip, or the
# x64 sim build on the unix port), the host library through ctypes (CPython,
# sim port), or a backend over machine.I2CTarget.  The ABI constants come
# from _abi.py, the checked mirror of the C headers.
import errno
import sys

try:
    from time import ticks_us, ticks_diff
except ImportError:  # CPython
    from time import monotonic_ns

    def ticks_us():
        return monotonic_ns() // 1000

    def ticks_diff(a, b):
        return a - b


from ._abi import (
    ABI_VERSION, MAX_ADDRESSES, MAX_REGMAPS, MAX_TARGETS, PORT_SIM, COUNTER_NAMES, SEG_READ, SEG_RESTART, SEG_ENDED,
    SEG_HELD, SEG_ACK_WAIT, SEG_TIMEOUT, E_INVAL, E_NOSPC, E_EXIST, E_NOENT, E_STATE,
    PORT_EPIN, PORT_EBUSY, PORT_EADDR, PORT_EINST, PORT_ESTATE, OPEN_SMBUS,
    CFG_MAX_STRETCH_US, CFG_FILLER, REG_INDEX16, REG_NO_WRAP,
)

SMBUS_MAX_STRETCH_US = 25000  # SMBus tLOW:SEXT
# Without smbus=True a held clock is still released after this long, so a
# stalled program cannot hold the whole bus (CircuitPython waits forever).
DEFAULT_MAX_STRETCH_US = 100000
# On a board, a timer interrupt checks the stretch limit this often, so a
# program busy elsewhere (not calling request()/read()/write()) still never
# holds the bus longer than the limit plus this period.
SERVICE_PERIOD_MS = 5

# capabilities() of the native module, and where a port is narrower.
_NATIVE_CAPABILITIES = {
    "backend": "native", "addresses_per_target": MAX_ADDRESSES, "targets": MAX_TARGETS,
    "request_mode": True, "per_byte_nack": True, "is_restart": True, "read_stretch": True,
    "write_stretch": True, "preload": False, "register_mode": True, "register_index16": True,
    "register_no_wrap": True, "register_readonly": True, "max_stretch_timeout": True,
    "pins_selectable": True,
}
_PORT_NAMES = {0: "sim", 1: "samd51", 2: "samd21", 3: "rp2040", 4: "rp2350", 5: "stm32v1",
               6: "stm32v2"}
# rp2: one IC_SAR; the hardware ACKs bytes into its FIFO, so a NACK lands on the next byte.
_PORT_LIMITS = {3: {"addresses_per_target": 1, "per_byte_nack": "next byte"},
                4: {"addresses_per_target": 1, "per_byte_nack": "next byte"},
                5: {"addresses_per_target": 2, "per_byte_nack": "next byte"}}

_READ_CHUNK = 32
MAX_READ = 65535  # one read() never allocates more than this


class _Backend:
    """The flat function set plus how to wait for the bus on this backend."""

    def __init__(self, lib):
        if lib.abi_version() != ABI_VERSION:
            raise ImportError("i2cperipheral: native module ABI %d, this wrapper needs %d: "
                              "install matching versions" % (lib.abi_version(), ABI_VERSION))
        self.lib = lib
        self.port = lib.port()
        self.max_targets = getattr(lib, "MAX_TARGETS", MAX_TARGETS)
        self.sim = self.port == PORT_SIM
        self._idle = _machine_idle()
        # Native chips: the engine's stretch limit needs a clock tick of its
        # own (the sim is ticked by its bus, machine.I2CTarget by the backend).
        self.needs_service_tick = not self.sim and not hasattr(lib, "wait")

    def step(self, t):
        """Let the bus make progress without blocking."""
        if self.sim:
            _sim().bus().pump()
        else:
            self.lib.service(t)

    def wait(self, t):
        """Wait a little for the bus (an interrupt, or a simulated bus step)."""
        if self.sim:
            _sim().bus().pump()
        elif hasattr(self.lib, "wait"):
            self.lib.wait(t)
        else:
            self.lib.service(t)
            if self._idle:
                self._idle()

    def now_us(self):
        return _sim().bus().now_us() if self.sim else ticks_us()

    def elapsed_us(self, start):
        return self.now_us() - start if self.sim else ticks_diff(ticks_us(), start)


_sim_module = None


def _sim():
    """The simulated bus module (only the sim port has one), imported once."""
    global _sim_module
    if _sim_module is None:
        from . import sim
        _sim_module = sim
    return _sim_module


def _service_tick(lib, t):
    """A periodic timer interrupt that releases holds past the stretch
    limit (lib.service allocates nothing, so it may run as a hard IRQ).
    Returns the timer, or None where machine.Timer is missing."""
    try:
        from machine import Timer
    except ImportError:
        return None
    service = lib.service

    def tick(timer):
        service(t)
    for hard in ({"hard": True}, {}):  # not every port takes hard=
        try:
            return Timer(-1, mode=Timer.PERIODIC, period=SERVICE_PERIOD_MS, callback=tick,
                         **hard)
        except (TypeError, ValueError):
            pass
    return None


def _guard_target(lib, t):
    """On a board, tie target t to an object MicroPython finalises at soft
    reset and garbage collection (see guard() in natmod/mpy_module.c), so a
    forgotten target never leaves its interrupt pointing into freed memory.
    Returns the guard object (kept alive by the peripheral), or None."""
    if not hasattr(lib, "guard"):
        return None  # CPython (__del__ works) or machine.I2CTarget (firmware owns it)
    for it in _directory_iterators():
        if hasattr(it, "__del__") and lib.guard(t, it) == 0:
            return it
    return None  # no filesystem: deinit() (or `with`) is the only cleanup


def _directory_iterators():
    """Directory iterators of the mounted filesystems: the ones with a C
    finaliser.  (os.ilistdir("/") lists the mount points instead.)"""
    try:
        import vfs
        for fs, _ in vfs.mount():  # MicroPython 1.25+
            try:
                yield fs.ilistdir("/")
            except OSError:
                pass
    except (ImportError, AttributeError, TypeError, OSError):
        pass
    try:
        import os
        yield os.ilistdir(os.getcwd())
    except (ImportError, AttributeError, OSError):
        pass


def _machine_idle():
    """machine.idle (sleep until the next interrupt), or None off a board."""
    try:
        import machine
        return machine.idle
    except (ImportError, AttributeError):
        return None


_the_backend = None


def _backend():
    """The backend of this interpreter, chosen once."""
    global _the_backend
    if _the_backend is None:
        _the_backend = _Backend(_find_lib())
    return _the_backend


def _find_lib():
    try:
        import _i2ct
        return _i2ct
    except ImportError:
        pass
    if sys.implementation.name == "cpython":
        from . import _host
        return _host.load()
    try:
        from . import _machine
        return _machine.MachineLib()
    except ImportError:
        pass
    raise ImportError("i2cperipheral: no backend: install the native module for this chip "
                      "(see README) or use MicroPython 1.26+ with machine.I2CTarget")


# ---- argument checks ---------------------------------------------------------

def _type_name(x):
    return type(x).__name__


def _check_int(value, what):
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError("%s must be an int, not %s" % (what, _type_name(value)))
    return value


def _check_addresses(addresses):
    try:
        items = iter(addresses)
    except TypeError:
        items = None
    if items is None or isinstance(addresses, str):
        raise TypeError("addresses must be a sequence of ints, not %s" % _type_name(addresses))
    out = []
    for a in items:
        _check_int(a, "address")
        if not 0 <= a <= 0x7F:
            raise ValueError("address %d is outside 0..0x7f (7-bit addresses)" % a)
        if a < 0x08 or a > 0x77:
            raise ValueError("address 0x%02x is reserved by the I2C specification "
                             "(0x00-0x07 and 0x78-0x7f)" % a)
        if a in out:
            raise ValueError("address 0x%02x is listed twice" % a)
        out.append(a)
    if not out:
        raise ValueError("addresses is empty")
    if len(out) > MAX_ADDRESSES:
        raise ValueError("at most %d addresses per target, got %d" % (MAX_ADDRESSES, len(out)))
    return out


def _pin_number(pin, what):
    """A pin as the flat functions take it: GPIO number, or port*32 + pin
    for chips with lettered ports (PA22 -> 22, PB06 -> 38)."""
    if isinstance(pin, bool):
        raise TypeError("%s must be a Pin, a pin name or a pin number, not bool" % what)
    if isinstance(pin, int):
        if pin < 0:
            raise ValueError("%s pin number %d is negative" % (what, pin))
        return pin
    if isinstance(pin, str):
        name = pin
    elif hasattr(pin, "value"):  # a machine.Pin: its repr names the pin
        # rp2 "Pin(GPIO5, ...)", esp32 "Pin(5)", samd "Pin(Pin.cpu.PA19, ...)",
        # stm32 "Pin(Pin.cpu.B6, ...)"
        name = repr(pin)
        start = name.find("(")
        name = name[start + 1:].split(",")[0].split(")")[0].strip("'\" ")
        if name.startswith("Pin.cpu."):
            name = name[8:]
            if not (len(name) > 2 and name[0] == "P" and name[1].isalpha()):
                name = "P" + name
    else:
        raise TypeError("%s must be a Pin, a pin name or a pin number, not %s"
                        % (what, _type_name(pin)))
    number = _parse_pin_name(name)
    if number is None:
        raise ValueError("%s pin %r is not a pin name this library knows (GPIOn, Pxnn, n); "
                         "for a board name pass machine.Pin(%r)" % (what, name, name))
    return number


def _parse_pin_name(name):
    upper = name.upper()
    # Board names (D9, X9, SCL...) differ per board: pass a machine.Pin for those.
    for prefix in ("GPIO", "GP", "IO"):
        if upper.startswith(prefix) and upper[len(prefix):].isdigit():
            return int(upper[len(prefix):])
    if upper.isdigit():
        return int(upper)
    if len(upper) >= 3 and upper[0] == "P" and "A" <= upper[1] <= "K" and upper[2:].isdigit():
        return (ord(upper[1]) - ord("A")) * 32 + int(upper[2:])
    return None


def _check_result(code, context):
    """Raise the exception a negative flat-function result stands for."""
    if code >= 0:
        return code
    if code == PORT_ESTATE:
        raise ValueError("I2CPeripheral is deinitialized")
    if code == PORT_EPIN:
        raise ValueError("%s: these pins cannot be SCL/SDA of an I2C target on this chip" % context)
    if code == PORT_EBUSY:
        raise ValueError("%s: pins or I2C block already in use" % context)
    if code == PORT_EADDR:
        raise ValueError("%s: the hardware cannot match this set of addresses" % context)
    if code == E_NOSPC:
        raise ValueError("%s: no room left in the engine's table (at most %d addresses, "
                         "%d memories per target)" % (context, MAX_ADDRESSES, MAX_REGMAPS))
    if code == E_EXIST:
        raise ValueError("%s: already configured" % context)
    if code == E_INVAL:
        raise ValueError("%s: argument out of range" % context)
    if code == PORT_EINST:
        raise RuntimeError("%s: no free target instance" % context)
    if code in (E_NOENT, E_STATE):
        raise RuntimeError("%s: not possible in the current bus state" % context)
    raise OSError(errno.EIO, "%s failed with code %d" % (context, code))


# ---- the API -----------------------------------------------------------------

class I2CPeripheral:
    """Two wire serial protocol peripheral (I2C target)."""

    def __init__(self, scl, sda, addresses, smbus=False, *, bus=None):
        """bus: the I2C block id, for machine.I2CTarget ports that cannot
        tell it from the pins (stm32, alif, zephyr); native ports pick the
        block from the pins and ignore it."""
        addrs = _check_addresses(addresses)
        if bus is not None and (isinstance(bus, bool) or not isinstance(bus, (int, str))):
            raise TypeError("bus must be an int or a name, not %s" % _type_name(bus))
        scl_n = _pin_number(scl, "scl")
        sda_n = _pin_number(sda, "sda")
        if scl_n == sda_n:
            raise ValueError("scl and sda are the same pin")
        be = _backend()
        # The engine knows which target slots are open (a finaliser may have
        # closed one behind Python's back): take the first free one.
        slot = 0
        while slot < be.max_targets and be.lib.is_open(slot):
            slot += 1
        if slot >= be.max_targets:
            raise RuntimeError("all %d I2C targets are in use: deinit() one first" % be.max_targets)
        self._be = be
        self._lib = be.lib
        self._t = slot
        self._current = None
        self._tick = None
        self._memories = {}
        self.addresses = tuple(addrs)
        if bus is not None and hasattr(be.lib, "bus_ids"):
            be.lib.bus_ids[slot] = bus
        _check_result(self._lib.open(slot, scl_n, sda_n, bytes(addrs), OPEN_SMBUS if smbus else 0),
                      "I2CPeripheral(scl=%r, sda=%r)" % (scl, sda))
        self._open = True
        self._guard = _guard_target(be.lib, slot)
        self._tick = _service_tick(be.lib, slot) if be.needs_service_tick else None
        self.configure(max_stretch_us=SMBUS_MAX_STRETCH_US if smbus else DEFAULT_MAX_STRETCH_US)

    # lifetime
    def deinit(self):
        """Release pins, interrupt and peripheral.  Calling it again does nothing."""
        if not getattr(self, "_open", False):
            return
        if self._current is not None:
            self._current.close()
        if self._tick is not None:
            self._tick.deinit()
            self._tick = None
        self._lib.close(self._t)
        self._open = False
        self._memories = {}

    def __del__(self):
        self.deinit()

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        self.deinit()

    def _check_open(self):
        if not self._open:
            raise ValueError("I2CPeripheral is deinitialized")

    # requests
    def request(self, timeout=-1):
        """Wait for a request: timeout < 0 checks once (None if nothing), 0
        waits forever, > 0 waits that many seconds then raises OSError(ETIMEDOUT)."""
        if not self._open:
            raise ValueError("I2CPeripheral is deinitialized")
        # A comparison is the cheapest type check MicroPython has: anything
        # but a number raises TypeError (bool is refused explicitly).
        try:
            negative = timeout < 0
        except TypeError:
            negative = None
        if negative is None or timeout is True or timeout is False:
            raise TypeError("timeout must be a number of seconds, not %s" % _type_name(timeout))
        if self._current is not None:
            # The previous request is over once the program asks for the next.
            self._current.close()
        be = self._be
        if negative:
            be.step(self._t)
            return self._take_request()
        start = None
        while True:
            r = self._take_request()
            if r is not None:
                return r
            if timeout:
                if start is None:
                    start = be.now_us()
                elif be.elapsed_us(start) >= timeout * 1000000:
                    raise OSError(errno.ETIMEDOUT, "no I2C request within %s s" % timeout)
            be.wait(self._t)

    async def request_async(self, poll_ms=1):
        """asyncio: wait for the next request without blocking other tasks."""
        import asyncio
        self._check_open()
        if self._current is not None:
            self._current.close()
        # Yield once even when a request is already waiting: back-to-back
        # requests must not starve the other tasks.
        await asyncio.sleep(0)
        while True:
            self._be.step(self._t)
            r = self._take_request()
            if r is not None:
                return r
            await asyncio.sleep(poll_ms / 1000)

    def _take_request(self):
        v = self._lib.request(self._t)
        if v < 0:
            if v == E_NOENT:
                return None
            _check_result(v, "request()")
        r = I2CPeripheralRequest(self, v & 0x7F, (v & SEG_READ) != 0, (v & SEG_RESTART) != 0)
        self._current = r
        return r

    # extras beyond CircuitPython's API
    def configure(self, max_stretch_us=None, filler=None):
        """max_stretch_us: release a held clock after this long (0: never),
        NACKing a written byte or sending the filler byte; filler: the byte
        sent when the program has none (default 0xFF)."""
        self._check_open()
        if max_stretch_us is not None:
            _check_int(max_stretch_us, "max_stretch_us")
            if not 0 <= max_stretch_us <= 0x7FFFFFFF:
                raise ValueError("max_stretch_us must be 0..2**31-1, got %d" % max_stretch_us)
            _check_result(self._lib.configure(self._t, CFG_MAX_STRETCH_US, max_stretch_us),
                          "configure(max_stretch_us)")
        if filler is not None:
            _check_int(filler, "filler")
            if not 0 <= filler <= 0xFF:
                raise ValueError("filler must be a byte value 0..255, got %d" % filler)
            _check_result(self._lib.configure(self._t, CFG_FILLER, filler), "configure(filler)")

    def serve_memory(self, address, mem, index_bytes=1, wrap=True, readonly=()):
        """Serve `address` from `mem` entirely in the interrupt handler, as a
        register file / EEPROM: the controller writes `index_bytes` index
        bytes, then data (stored at the index, auto-incrementing), or reads
        from the index.  readonly: up to two (lo, hi) index ranges whose
        writes are NACKed.  mem=None returns the address to request mode."""
        self._check_open()
        _check_int(address, "address")
        if address not in self.addresses:
            raise ValueError("address 0x%02x is not one of this target's addresses" % address)
        if mem is None:
            _check_result(self._lib.set_regmap(self._t, address, None, 0), "serve_memory")
            self._memories.pop(address, None)
            return
        if not isinstance(mem, bytearray):
            raise TypeError("mem must be a bytearray, not %s" % _type_name(mem))
        if not 0 < len(mem) <= 0xFFFF:
            raise ValueError("mem must hold 1..65535 bytes, got %d" % len(mem))
        if index_bytes not in (1, 2) or isinstance(index_bytes, bool):
            raise ValueError("index_bytes must be 1 or 2, got %r" % (index_bytes,))
        if len(readonly) > 2:
            raise ValueError("at most 2 read-only ranges, got %d" % len(readonly))
        ranges = []
        for lo_hi in readonly:
            lo, hi = lo_hi
            _check_int(lo, "readonly start")
            _check_int(hi, "readonly end")
            if not 0 <= lo <= hi <= len(mem):
                raise ValueError("readonly range (%d, %d) is not inside 0..%d" % (lo, hi, len(mem)))
            ranges.append((lo, hi))
        flags = (REG_INDEX16 if index_bytes == 2 else 0) | (0 if wrap else REG_NO_WRAP)
        _check_result(self._lib.set_regmap(self._t, address, mem, flags), "serve_memory")
        self._memories[address] = mem  # the engine points into it: keep it alive
        for slot, (lo, hi) in enumerate(ranges):
            _check_result(self._lib.set_readonly(self._t, address, slot, lo, hi), "serve_memory")

    def memory_changed(self, address):
        """(lo, hi): the index span the controller wrote since the last call, or None."""
        self._check_open()
        if address not in self._memories:
            raise ValueError("address 0x%02x is not served from memory" % address)
        span = bytearray(4)
        if not _check_result(self._lib.reg_dirty(self._t, address, span), "memory_changed"):
            return None
        return (span[0] | span[1] << 8, span[2] | span[3] << 8)

    def preload(self, address, data):
        """The response a read of `address` gets from its first byte when the
        port cannot wait for write() (machine.I2CTarget on stm32, samd,
        mimxrt, zephyr); filler follows.  Native ports wait for write() and
        need none: there it raises NotImplementedError."""
        self._check_open()
        _check_int(address, "address")
        if address not in self.addresses:
            raise ValueError("address 0x%02x is not one of this target's addresses" % address)
        if not hasattr(self._lib, "preload"):
            raise NotImplementedError("preload(): this backend waits for write(); no preload needed")
        if data is not None:
            try:
                data = bytes(memoryview(data))
            except TypeError:
                raise TypeError("preload data must be bytes-like, not %s" % _type_name(data))
        _check_result(self._lib.preload(self._t, address, data), "preload")

    def capabilities(self):
        """What this backend and port can serve (see docs/capabilities.md)."""
        if hasattr(self._lib, "capabilities"):
            return self._lib.capabilities()
        caps = dict(_NATIVE_CAPABILITIES)
        caps["port"] = _PORT_NAMES.get(self._be.port, str(self._be.port))
        caps.update(_PORT_LIMITS.get(self._be.port, {}))
        return caps

    def stats(self):
        """Counters since construction, by name (see COUNTER_NAMES)."""
        self._check_open()
        out = {}
        for i in range(len(COUNTER_NAMES)):
            out[COUNTER_NAMES[i]] = _check_result(self._lib.counter(self._t, i), "stats")
        return out


class I2CPeripheralRequest:
    """One addressed segment: START or repeated START, address, direction."""

    _closed = False  # set on the instance by close()

    def __init__(self, peripheral, address, is_read, is_restart):
        self._p = peripheral
        self.address = address
        self.is_read = is_read
        self.is_restart = is_restart

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        self.close()

    def _check(self):
        if self._closed:
            raise ValueError("I2C request is closed")
        self._p._check_open()

    def read(self, n=-1, ack=True):
        """Up to n bytes the controller writes (n < 0: until the segment
        ends); fewer when it sends STOP or repeated START.  ack=False holds
        the n-th byte unacknowledged until ack()."""
        if self._closed or not self._p._open:
            self._check()
        if n.__class__ is not int:  # the cheapest exact check on MicroPython
            raise TypeError("n must be an int, not %s" % _type_name(n))
        if self.is_read:
            raise OSError(errno.EACCES, "read() on a read request: the controller reads, use write()")
        if n > MAX_READ:
            raise ValueError("read(%d): at most %d bytes per read()" % (n, MAX_READ))
        if n == 0:
            return bytearray()
        p = self._p
        lib, t = p._lib, p._t
        err = lib.rx_want(t, n, 1 if ack else 0)
        if err < 0:
            if err == E_STATE and lib.status(t) & SEG_ACK_WAIT:
                raise RuntimeError("read(): the byte read(n, ack=False) held waits for ack() first")
            _check_result(err, "read()")
        buf = bytearray(n if n > 0 else _READ_CHUNK)
        got = lib.rx_take(t, buf)
        if got < 0:
            _check_result(got, "read()")
        while True:
            if got == len(buf):
                if n > 0 or got >= MAX_READ:
                    break  # with n < 0, the rest stays for the next read()
                buf.extend(bytearray(_READ_CHUNK))
            # Status before taking: bytes only arrive before the segment ends.
            status = _check_result(lib.status(t), "read()")
            k = _check_result(lib.rx_take(t, memoryview(buf)[got:]), "read()")
            got += k
            if k == 0:
                if status & (SEG_ENDED | SEG_TIMEOUT):
                    break
                p._be.wait(t)
        return buf if got == len(buf) else buf[:got]

    def write(self, buffer):
        """Send bytes to the controller; returns how many it clocked out
        before it NACKed or ended the segment."""
        if self._closed or not self._p._open:
            self._check()
        if buffer.__class__ is str:
            raise TypeError("write() needs a bytes-like object, not str")
        if not self.is_read:
            raise OSError(errno.EACCES, "write() on a write request: the controller writes, use read()")
        p = self._p
        lib, t = p._lib, p._t
        sent_before = lib.tx_sent(t)
        try:
            offset = lib.tx_put(t, buffer)
            size = len(buffer)
        except TypeError:
            raise TypeError("write() needs a bytes-like object, not %s" % _type_name(buffer))
        if offset < 0 or sent_before < 0:
            _check_result(min(offset, sent_before), "write()")
        data = None
        while True:
            if offset < size:  # more than the engine's buffer: feed it as it drains
                if data is None:
                    data = memoryview(buffer)
                offset += _check_result(lib.tx_put(t, data[offset:]), "write()")
            status = lib.status(t)
            if status & (SEG_ENDED | SEG_TIMEOUT) or status < 0:
                _check_result(status, "write()")
                break
            if offset >= size and status & SEG_HELD and lib.tx_pending(t) == 0:
                break  # all taken, and the controller already asks for more
            p._be.wait(t)
        return _check_result(lib.tx_sent(t), "write()") - sent_before

    def ack(self, ack=True):
        """ACK (or NACK) the byte read(n, ack=False) held."""
        self._check()
        if self.is_read:
            raise OSError(errno.EACCES, "ack() on a read request: there is no byte to acknowledge")
        if self._p._lib.ack(self._p._t, bool(ack)) < 0:
            raise RuntimeError("ack(): no byte is held; use read(n, ack=False) first")

    def close(self):
        """End the request: the rest of a write is NACKed, the rest of a read
        gets filler bytes (0xFF).  Calling it again does nothing."""
        if self._closed:
            return
        self._closed = True
        p = self._p
        if p._current is self:
            p._current = None
        if p._open:
            p._lib.seg_close(p._t)

    deinit = close  # i2ctarget's name


I2CTarget = I2CPeripheral
I2CTargetRequest = I2CPeripheralRequest
