# The flat function set (see natmod/i2ct_glue.h) over MicroPython's
# machine.I2CTarget (MicroPython 1.26+), for boards without a native module:
# ESP32-S2/S3/C3 and every port that has machine.I2CTarget.
#
# machine.I2CTarget answers one address per I2C block and gives Python an
# event per address match / byte / end of transfer; what a port really does
# differs (docs/capabilities.md lists it, with the upstream file each fact
# comes from):
#  - rp2, alif (DesignWare block): a read request that Python does not
#    answer in the interrupt keeps SCL low until write() is called, so a
#    read can wait for the program (clock stretching, bounded by
#    max_stretch_us).  Every written byte is ACKed by the hardware.
#  - stm32, samd, mimxrt, zephyr: each byte must be answered inside the
#    interrupt; a read is served from a response preloaded for the address
#    (preload()), then filler bytes.  Every written byte is ACKed.
#  - esp32 (S2/S3/C3...): no hard interrupts; the IDF driver hands a write
#    over only after it ended and fills the whole read response up front
#    from the memory buffer, without telling how many bytes were written.
#    Only register mode (serve_memory / set_regmap) can be served there.
# Whatever cannot be done raises NotImplementedError naming the port and the
# reason; nothing is sent that the program did not ask for except the filler
# byte, and that is counted.
#
# The interrupt handler below runs as a hard IRQ: it allocates nothing
# (preallocated buffers and lists of small ints only).
import sys

try:
    from time import ticks_us, ticks_diff
except ImportError:  # CPython (tests)
    from time import monotonic_ns

    def ticks_us():
        return (monotonic_ns() // 1000) & 0x3FFFFFFF

    def ticks_diff(a, b):
        return ((a - b + 0x20000000) & 0x3FFFFFFF) - 0x20000000

from ._abi import (  # noqa: F401  (the glue ABI, shared with the native module)
    ABI_VERSION, SEG_READ, SEG_RESTART, SEG_ENDED, SEG_CLOSED, SEG_HELD, SEG_ACK_WAIT,
    SEG_CTRL_NACK, SEG_TIMEOUT, SEG_BUS_ERROR, E_INVAL, E_NOSPC, E_EXIST, E_NOENT, E_STATE,
    PORT_EPIN, PORT_EBUSY, PORT_EADDR, PORT_EINST, PORT_ESTATE, CNT_BYTES_IN, CNT_BYTES_OUT,
    CNT_NACKS, CNT_FILLER, CNT_TIMEOUTS, CNT_BUS_ERRORS, CNT_OVERRUNS, CNT_RX_DROPPED,
    CNT_TX_UNSENT, CNT_SEGMENTS, CNT_ADDR_NACKS, CNT_REG_WRITES, CNT_RX_UNREAD, CNT_COUNT,
    CFG_MAX_STRETCH_US, CFG_FILLER, REG_INDEX16, REG_NO_WRAP,
)

PORT_MACHINE = 64  # i2ct_port() value of this backend (native ports are 0..6)
# Private (never returned): part of this read was answered without Python's
# bytes (preloaded response or filler) because the port could not wait.
_SEG_EARLY = 0x100000
_SEG_PUBLIC = 0xFFFFF

# machine.I2CTarget event bits (extmod/machine_i2c_target.c).
IRQ_ADDR_MATCH_READ = 1 << 0
IRQ_ADDR_MATCH_WRITE = 1 << 1
IRQ_READ_REQ = 1 << 2
IRQ_WRITE_REQ = 1 << 3
IRQ_END_READ = 1 << 4
IRQ_END_WRITE = 1 << 5
_IRQ_ALL = 0x3F
_IRQ_END = IRQ_END_READ | IRQ_END_WRITE

QUEUE_LEN = 8
RX_SIZE = 256
TX_SIZE = 64

# Where the byte handed to the hardware last came from.
_LOADED_NONE = 0
_LOADED_PYTHON = 1
_LOADED_PRELOAD = 2
_LOADED_FILLER = 3

# How a read segment is being answered.
_SRC_NONE = 0      # nothing sent yet
_SRC_PYTHON = 1    # bytes from tx_put()
_SRC_PRELOAD = 2   # the preloaded response, then filler
_SRC_FILLER = 3    # filler only (nothing was there in time, or a timeout)


class _Traits:
    def __init__(self, name, hard, defer_read, pins, id_needed, request_mode):
        self.name = name
        self.hard = hard              # hard IRQs: the handler sees each byte
        self.defer_read = defer_read  # an unanswered read request stretches SCL
        self.pins = pins              # the constructor takes scl=/sda=
        self.id_needed = id_needed    # the constructor has no default bus id
        self.request_mode = request_mode


# Facts from the upstream ports/<port>/machine_i2c_target.c (see docs/capabilities.md).
PORTS = {
    "esp32": _Traits("esp32", False, False, True, False, False),
    "rp2": _Traits("rp2", True, True, True, False, True),
    "alif": _Traits("alif", True, True, True, True, True),
    "samd": _Traits("samd", True, False, True, False, True),
    "stm32": _Traits("stm32", True, False, False, True, True),
    "mimxrt": _Traits("mimxrt", True, False, False, False, True),
    "zephyr": _Traits("zephyr", True, False, False, True, True),
}


def _unsupported(port, what):
    return NotImplementedError("i2cperipheral on %s (machine.I2CTarget backend): %s" % (port, what))


class _Target:
    """State of one target slot: the machine.I2CTarget, the segment queue
    shared with the interrupt handler, and the Python-side buffers."""

    def __init__(self, lib, t):
        self.lib = lib
        self.t = t
        self.hw = None            # the machine.I2CTarget
        self.irq_obj = None
        self.address = 0
        self.scl = None
        self.sda = None
        self.bus_id = None
        self.flags = 0
        self.filler = 0xFF
        self.max_stretch_us = 0
        self.cnt = [0] * CNT_COUNT
        # segment queue (bus order), head = Python's current request
        self.q_flags = [0] * QUEUE_LEN
        self.q_rx = [0] * QUEUE_LEN      # bytes of the segment in the rx ring
        self.q_sent = [0] * QUEUE_LEN    # bytes the controller clocked out
        self.q_head = 0
        self.q_count = 0
        self.bus = -1  # queue slot on the bus; -1 idle, -2 dropping, -3 closed but preloaded
        self.src = _SRC_NONE
        self.loaded = _LOADED_NONE
        self.pre_i = 0
        self.held = False
        self.hold_t0 = 0
        self.rx = bytearray(RX_SIZE)
        self.rx_start = 0
        self.rx_len = 0
        self.rx_chunk = bytearray(16)    # one interrupt's worth (DW FIFO depth)
        self.tx = bytearray(TX_SIZE)
        self.tx_start = 0
        self.tx_len = 0
        self.one = bytearray(1)
        self.preload = None              # response served on ports that cannot wait
        self.pre_cur = None              # the response the bus segment started with
        self.ack_pending = False
        # register mode
        self.mem = None
        self.mem_flags = 0
        self.dirty_lo = -1
        self.handler = self._irq         # bound once: the IRQ must not allocate

    # ---- interrupt side (hard IRQ on all ports but esp32) -------------------
    def _irq(self, hw):
        f = self.irq_obj.flags()
        if self.mem is not None:
            self._irq_mem(hw, f)
            return
        if f & IRQ_ADDR_MATCH_WRITE:
            self._begin(0)
        elif f & IRQ_ADDR_MATCH_READ:
            self._begin(SEG_READ)
        if f & IRQ_WRITE_REQ:
            self._byte_in(hw)
        if f & IRQ_READ_REQ:
            self._byte_wanted(hw)
        if f & _IRQ_END:
            self._end(hw)

    def _irq_mem(self, hw, f):
        # Register mode: machine.I2CTarget serves mem itself; note the events
        # (esp32: writes with data only, see _construct).
        if f & _IRQ_END:
            self.cnt[CNT_SEGMENTS] += 1
        if f & IRQ_END_WRITE:
            start = hw.memaddr
            if self.dirty_lo < 0 or start < self.dirty_lo:
                self.dirty_lo = start

    def _begin(self, read):
        if self.bus != -1:
            self._end(self.hw)
        self.cnt[CNT_SEGMENTS] += 1
        self.src = _SRC_NONE
        self.loaded = _LOADED_NONE
        self.pre_i = 0
        if self.q_count == QUEUE_LEN:
            # The address was ACKed by the hardware already: drop the segment.
            self.cnt[CNT_OVERRUNS] += 1
            self.bus = -2
            return
        i = (self.q_head + self.q_count) % QUEUE_LEN
        self.q_flags[i] = self.address | read
        self.q_rx[i] = 0
        self.q_sent[i] = 0
        self.q_count += 1
        self.bus = i

    def _byte_in(self, hw):
        n = hw.readinto(self.rx_chunk)
        i = self.bus
        keep = i >= 0 and not (self.q_flags[i] & SEG_CLOSED)
        j = 0
        while j < n:
            self.cnt[CNT_BYTES_IN] += 1  # the hardware ACKed it already
            if keep and self.rx_len < RX_SIZE:
                self.rx[(self.rx_start + self.rx_len) % RX_SIZE] = self.rx_chunk[j]
                self.rx_len += 1
                self.q_rx[i] += 1
            else:
                self.cnt[CNT_RX_UNREAD] += 1
            j += 1

    def _confirm_loaded(self):
        # A new request for a byte: the one loaded before was clocked out.
        k = self.loaded
        if k == _LOADED_PYTHON or k == _LOADED_PRELOAD:
            self.cnt[CNT_BYTES_OUT] += 1
            if self.bus >= 0:
                self.q_sent[self.bus] += 1
        elif k == _LOADED_FILLER:
            self.cnt[CNT_FILLER] += 1
        self.loaded = _LOADED_NONE

    def _load(self, hw, b, kind):
        self.one[0] = b
        hw.write(self.one)
        self.loaded = kind

    def _byte_wanted(self, hw):
        self._confirm_loaded()
        i = self.bus
        if i == -3:
            src = _SRC_PRELOAD  # closed by Python, still the preloaded response
        elif i < 0 or self.q_flags[i] & (SEG_CLOSED | SEG_TIMEOUT):
            self._load(hw, self.filler, _LOADED_FILLER)
            return
        else:
            src = self.src
        if src <= _SRC_PYTHON and self.tx_len and i == self.q_head:
            self.src = _SRC_PYTHON
            b = self.tx[self.tx_start]
            self.tx_start = (self.tx_start + 1) % TX_SIZE
            self.tx_len -= 1
            self._load(hw, b, _LOADED_PYTHON)
            return
        if src == _SRC_NONE and self.preload is not None:
            src = self.src = _SRC_PRELOAD
            self.pre_cur = self.preload  # replacing it later does not mix responses
            self.q_flags[i] |= _SEG_EARLY
        if src == _SRC_PRELOAD:
            if self.pre_i < len(self.pre_cur):
                b = self.pre_cur[self.pre_i]
                self.pre_i += 1
                self._load(hw, b, _LOADED_PRELOAD)
            else:
                self._load(hw, self.filler, _LOADED_FILLER)
            return
        if src <= _SRC_PYTHON and self.lib.traits.defer_read:
            # Leave the request unanswered: the block stretches SCL until
            # tx_put() (or the stretch limit) writes a byte.
            self.held = True
            self.hold_t0 = ticks_us()
            self.q_flags[i] |= SEG_HELD
            return
        self.src = _SRC_FILLER
        self.q_flags[i] |= _SEG_EARLY
        self._load(hw, self.filler, _LOADED_FILLER)

    def _end(self, hw):
        i = self.bus
        if self.loaded == _LOADED_PYTHON:
            # Loaded in answer to the request that came with the controller's
            # NACK (or prefetched): never clocked out.
            self.cnt[CNT_TX_UNSENT] += 1
        self.loaded = _LOADED_NONE
        if self.held:
            # The read request that was left unanswered was the one the
            # controller's NACK raises: answer it so the block unmasks read
            # requests; the byte is flushed at the next read.
            self.held = False
            self._load(hw, self.filler, _LOADED_NONE)
        if i >= 0:
            fl = self.q_flags[i] & ~SEG_HELD
            if fl & SEG_READ and self.q_sent[i]:
                fl |= SEG_CTRL_NACK
            self.q_flags[i] = fl | SEG_ENDED
        self.bus = -1

    # ---- thread side ----------------------------------------------------------
    def critical(self):
        return self.lib.machine.disable_irq()

    def end_critical(self, state):
        self.lib.machine.enable_irq(state)

    def release_hold(self, byte, kind):
        # With interrupts off: answer the read request left pending.
        self.held = False
        i = self.bus
        if i >= 0:
            self.q_flags[i] &= ~SEG_HELD
        self._load(self.hw, byte, kind)

    def service(self):
        if not self.held or not self.max_stretch_us:
            return 0
        st = self.critical()
        try:
            if self.held and ticks_diff(ticks_us(), self.hold_t0) >= self.max_stretch_us:
                i = self.bus
                if i >= 0:
                    self.q_flags[i] |= SEG_TIMEOUT
                self.src = _SRC_FILLER
                self.cnt[CNT_TIMEOUTS] += 1
                self.release_hold(self.filler, _LOADED_FILLER)
                return 1
        finally:
            self.end_critical(st)
        return 0


class MachineLib:
    """The flat function set over machine.I2CTarget.

    machine_module / platform: for tests (a fake machine module, a port
    name); by default `import machine` and sys.platform.  bus_ids: target
    slot -> the bus id given to machine.I2CTarget (stm32, alif and zephyr
    have no default; rp2's is derived from the SDA pin)."""

    MAX_TARGETS = 2

    def __init__(self, machine_module=None, platform=None, bus_ids=None):
        if machine_module is None:
            import machine as machine_module
        if not hasattr(machine_module, "I2CTarget"):
            raise ImportError("machine.I2CTarget is missing: MicroPython 1.26 or later "
                              "with I2C target support is needed")
        self.machine = machine_module
        name = platform or sys.platform
        if name.startswith("esp32"):
            name = "esp32"
        if name not in PORTS:
            raise ImportError("i2cperipheral: no machine.I2CTarget support known for port %r "
                              "(known: %s)" % (name, ", ".join(sorted(PORTS))))
        self.traits = PORTS[name]
        self.bus_ids = dict(bus_ids or {})
        if self.traits.name == "zephyr":
            self.MAX_TARGETS = 1
        self._targets = [None] * self.MAX_TARGETS

    # ---- identity -------------------------------------------------------------
    def abi_version(self):
        return ABI_VERSION

    def port(self):
        return PORT_MACHINE

    def capabilities(self):
        """What this port can serve through machine.I2CTarget (docs/capabilities.md)."""
        tr = self.traits
        return {
            "backend": "machine",
            "port": tr.name,
            "addresses_per_target": 1,
            "targets": self.MAX_TARGETS,
            "request_mode": tr.request_mode,
            "per_byte_nack": False,
            "is_restart": False,
            "read_stretch": tr.defer_read,
            "write_stretch": False,
            "preload": tr.request_mode,
            "register_mode": True,
            "register_index16": True,
            "register_no_wrap": False,
            "register_readonly": False,
            "max_stretch_timeout": tr.defer_read,
            "pins_selectable": tr.pins,
        }

    # ---- helpers ----------------------------------------------------------------
    def _get(self, t):
        if not isinstance(t, int) or not 0 <= t < self.MAX_TARGETS:
            return None
        return self._targets[t]

    def _pin(self, n):
        if n is None or not isinstance(n, int):
            return n
        try:
            return self.machine.Pin(n)
        except Exception:
            return n

    def _bus_id(self, tg):
        bid = self.bus_ids.get(tg.t)
        if bid is None and self.traits.name == "rp2" and isinstance(tg.sda, int):
            bid = (tg.sda >> 1) & 1  # GPIO 0/1, 4/5, ... I2C0; 2/3, 6/7, ... I2C1
        if bid is None and self.traits.id_needed:
            raise ValueError("machine.I2CTarget on %s needs the I2C bus id: pass "
                             "MachineLib(bus_ids={%d: <id>})" % (self.traits.name, tg.t))
        return bid

    def _construct(self, tg, mem, mem_addrsize):
        kw = {}
        if mem is not None:
            kw["mem"] = mem
            kw["mem_addrsize"] = mem_addrsize
        if self.traits.pins:
            if tg.scl is not None:
                kw["scl"] = self._pin(tg.scl)
            if tg.sda is not None:
                kw["sda"] = self._pin(tg.sda)
        bid = self._bus_id(tg)
        if bid is None:
            hw = self.machine.I2CTarget(addr=tg.address, **kw)
        else:
            hw = self.machine.I2CTarget(bid, tg.address, **kw)
        tg.hw = hw
        if mem is not None:
            # Soft IRQs (esp32) read the flags when the handler runs, so a
            # later END_READ would hide an END_WRITE: ask for writes only.
            trig = _IRQ_END if self.traits.hard else IRQ_END_WRITE
        else:
            trig = _IRQ_ALL
        tg.irq_obj = hw.irq(tg.handler, trigger=trig, hard=self.traits.hard)

    def _teardown(self, tg):
        if tg.hw is not None:
            hw = tg.hw
            tg.hw = None
            try:
                hw.irq(None, trigger=0)
            except Exception:
                pass
            hw.deinit()

    # ---- lifetime -----------------------------------------------------------------
    def open(self, t, scl, sda, addresses, flags):
        if not isinstance(t, int) or not 0 <= t < self.MAX_TARGETS:
            return PORT_EINST
        if self._targets[t] is not None:
            return PORT_ESTATE
        addrs = bytes(addresses)
        if len(addrs) != 1:
            raise ValueError("machine.I2CTarget answers one address per I2C block; got %d "
                             "addresses (use one I2CPeripheral per bus id, or the native "
                             "module where the chip matches several)" % len(addrs))
        tg = _Target(self, t)
        tg.address = addrs[0]
        tg.scl = scl
        tg.sda = sda
        tg.flags = flags
        if self.traits.request_mode:
            self._construct(tg, None, 8)
        # esp32: nothing answers until set_regmap() gives a memory.
        self._targets[t] = tg
        return 0

    def close(self, t):
        tg = self._get(t)
        if tg is None:
            return 0
        self._teardown(tg)
        self._targets[t] = None
        return 0

    def is_open(self, t):
        return 1 if self._get(t) is not None else 0

    def configure(self, t, key, value):
        tg = self._get(t)
        if tg is None:
            return PORT_ESTATE
        if key == CFG_MAX_STRETCH_US:
            if value < 0:
                return E_INVAL
            tg.max_stretch_us = value
            return 0
        if key == CFG_FILLER:
            if not 0 <= value <= 0xFF:
                return E_INVAL
            tg.filler = value
            return 0
        return E_INVAL

    def wait(self, t):
        """Idle briefly so the interrupt (or, in tests, the bus model) runs."""
        self.service(t)
        self.machine.idle()

    def service(self, t):
        tg = self._get(t)
        if tg is None:
            return PORT_ESTATE
        return tg.service()

    # ---- register mode ------------------------------------------------------------
    def set_regmap(self, t, address, mem, flags):
        tg = self._get(t)
        if tg is None:
            return PORT_ESTATE
        if address != tg.address:
            return E_NOENT
        if mem is not None and flags & REG_NO_WRAP:
            raise _unsupported(self.traits.name, "serve_memory(wrap=False): machine.I2CTarget "
                               "always wraps the index at the end of the memory")
        if mem is not None and not 0 < len(mem) <= 0xFFFF:
            return E_INVAL
        self._teardown(tg)
        st_flags = flags
        tg.mem = mem
        tg.mem_flags = st_flags
        tg.dirty_lo = -1
        if mem is None:
            if self.traits.request_mode:
                self._construct(tg, None, 8)
            return 0
        self._construct(tg, mem, 16 if flags & REG_INDEX16 else 8)
        return 0

    def set_readonly(self, t, address, slot, lo, hi):
        tg = self._get(t)
        if tg is None:
            return PORT_ESTATE
        if tg.mem is None or address != tg.address:
            return E_NOENT
        if lo == hi:
            return 0
        raise _unsupported(self.traits.name, "read-only ranges: machine.I2CTarget stores every "
                           "byte the controller writes into mem and cannot NACK it")

    def reg_dirty(self, t, address, span):
        tg = self._get(t)
        if tg is None:
            return PORT_ESTATE
        if tg.mem is None or address != tg.address:
            return E_NOENT
        st = self.machine.disable_irq()
        lo = tg.dirty_lo
        tg.dirty_lo = -1
        self.machine.enable_irq(st)
        if lo < 0:
            return 0
        # machine.I2CTarget reports where a write started (memaddr), not its
        # length: the span runs to the end of the memory.
        hi = len(tg.mem)
        span[0], span[1], span[2], span[3] = lo & 0xFF, lo >> 8, hi & 0xFF, hi >> 8
        return 1

    # ---- request mode -------------------------------------------------------------
    def _head(self, t):
        tg = self._get(t)
        if tg is None:
            return None, PORT_ESTATE
        if tg.mem is None and not self.traits.request_mode:
            raise _unsupported(self.traits.name, "request(): the ESP-IDF driver hands a write over "
                               "only after it ended, without its length, and answers reads before "
                               "Python runs; serve the address from memory (serve_memory) instead")
        if tg.q_count == 0:
            return tg, E_NOENT
        return tg, 0

    def _status_of(self, tg):
        fl = tg.q_flags[tg.q_head] & _SEG_PUBLIC
        if tg.ack_pending:
            fl |= SEG_ACK_WAIT
        return fl

    def request(self, t):
        tg, err = self._head(t)
        if err:
            return err
        return self._status_of(tg)

    def status(self, t):
        tg, err = self._head(t)
        if err:
            return err
        return self._status_of(tg) & ~0xFF

    def rx_want(self, t, n, ack):
        tg, err = self._head(t)
        if err:
            return err
        if tg.q_flags[tg.q_head] & SEG_READ:
            return E_STATE
        # The hardware ACKs every byte on its own: there is no credit to give.
        # ack=False is remembered so ack(True) works; ack(False) cannot NACK.
        tg.ack_pending = not ack and n > 0
        return 0

    def rx_take(self, t, buf):
        tg, err = self._head(t)
        if err:
            return err
        h = tg.q_head
        st = self.machine.disable_irq()
        n = tg.q_rx[h]
        if n > len(buf):
            n = len(buf)
        j = 0
        while j < n:
            buf[j] = tg.rx[tg.rx_start]
            tg.rx_start = (tg.rx_start + 1) % RX_SIZE
            j += 1
        tg.rx_len -= n
        tg.q_rx[h] -= n
        self.machine.enable_irq(st)
        return n

    def ack(self, t, flag):
        tg, err = self._head(t)
        if err:
            return err
        if not tg.ack_pending:
            return E_STATE
        tg.ack_pending = False
        if not flag:
            raise _unsupported(self.traits.name, "ack(False): machine.I2CTarget ACKs every byte the "
                               "controller writes before Python sees it; a byte cannot be NACKed")
        return 0

    def tx_put(self, t, buf):
        tg, err = self._head(t)
        if err:
            return err
        h = tg.q_head
        fl = tg.q_flags[h]
        if not fl & SEG_READ or fl & SEG_CLOSED:
            return E_STATE
        if fl & SEG_TIMEOUT:
            return 0
        if fl & _SEG_EARLY:
            raise _unsupported(self.traits.name, "write() on a read request: this port answers a "
                               "read inside the interrupt, and this one was answered before the "
                               "program's bytes were there (preloaded response or filler); call "
                               "preload(address, data) before the controller reads, or serve the "
                               "address from memory (serve_memory)")
        if fl & SEG_ENDED:
            return 0
        st = self.machine.disable_irq()
        n = 0
        lim = len(buf)
        while n < lim and tg.tx_len < TX_SIZE:
            tg.tx[(tg.tx_start + tg.tx_len) % TX_SIZE] = buf[n]
            tg.tx_len += 1
            n += 1
        if tg.held and h == tg.bus and tg.tx_len:
            b = tg.tx[tg.tx_start]
            tg.tx_start = (tg.tx_start + 1) % TX_SIZE
            tg.tx_len -= 1
            tg.src = _SRC_PYTHON
            tg.release_hold(b, _LOADED_PYTHON)
        self.machine.enable_irq(st)
        return n

    def tx_sent(self, t):
        tg, err = self._head(t)
        if err:
            return err
        return tg.q_sent[tg.q_head]

    def tx_pending(self, t):
        tg = self._get(t)
        if tg is None:
            return PORT_ESTATE
        return tg.tx_len

    def seg_close(self, t):
        tg, err = self._head(t)
        if err:
            return err
        st = self.machine.disable_irq()
        h = tg.q_head
        if h == tg.bus:
            tg.q_flags[h] |= SEG_CLOSED
            if tg.held:
                tg.src = _SRC_FILLER
                tg.release_hold(tg.filler, _LOADED_FILLER)
            # The rest of this bus segment: the preloaded response it started
            # with (the program declared it up front), else dropped / filler.
            if tg.src == _SRC_NONE and tg.preload is not None and tg.q_flags[h] & SEG_READ:
                tg.src = _SRC_PRELOAD
                tg.pre_cur = tg.preload
                tg.pre_i = 0
            tg.bus = -3 if tg.src == _SRC_PRELOAD else -2
        n = tg.q_rx[h]
        tg.cnt[CNT_RX_UNREAD] += n
        tg.rx_start = (tg.rx_start + n) % RX_SIZE
        tg.rx_len -= n
        tg.cnt[CNT_TX_UNSENT] += tg.tx_len
        tg.tx_len = 0
        tg.tx_start = 0
        tg.ack_pending = False
        tg.q_flags[h] = 0
        tg.q_head = (h + 1) % QUEUE_LEN
        tg.q_count -= 1
        self.machine.enable_irq(st)
        return 0

    def counter(self, t, index):
        tg = self._get(t)
        if tg is None:
            return PORT_ESTATE
        if not 0 <= index < CNT_COUNT:
            return E_INVAL
        return tg.cnt[index]

    # ---- beyond the flat set --------------------------------------------------------
    def preload(self, t, address, data):
        """The response sent, from its first byte, at every read of `address`
        whose bytes the program could not supply in time (ports that answer
        in the interrupt); filler follows its end.  None removes it."""
        tg = self._get(t)
        if tg is None:
            return PORT_ESTATE
        if address != tg.address:
            return E_NOENT
        if not self.traits.request_mode:
            raise _unsupported(self.traits.name, "preload(): reads are served from memory on this "
                               "port; use serve_memory")
        new = None if data is None else bytes(data)
        st = self.machine.disable_irq()
        tg.preload = new  # a read already on the bus finishes with the old response
        self.machine.enable_irq(st)
        return 0
