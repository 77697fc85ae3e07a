# Fake `machine` modules with an I2CTarget that reproduces, per MicroPython
# port, the order of events a Python IRQ handler sees, when bytes must be
# supplied, and what the controller then receives.  The behaviour modelled is
# taken from upstream extmod/machine_i2c_target.c and
# ports/<port>/machine_i2c_target.c (facts only; this is an independent
# model, see docs/capabilities.md for the sources of each fact).
#
# Runs on CPython and on the unix `micropython` (no f-strings, no typing).
# Usage:
#   m = FakeMachine("rp2")             # m acts as the `machine` module
#   x = m.bus.transfer([("w", 0x40, b"\x01\xaa"), ("r", 0x40, 2)])
#   m.bus.run()                        # or let machine.idle() pump it
#   x.results -> [2, bytearray(b"..")]
try:
    import micropython
    _heap_lock = micropython.heap_lock
    _heap_unlock = micropython.heap_unlock
except (ImportError, AttributeError):
    _heap_lock = None
    _heap_unlock = None

IRQ_ADDR_MATCH_READ = 1
IRQ_ADDR_MATCH_WRITE = 2
IRQ_READ_REQ = 4
IRQ_WRITE_REQ = 8
IRQ_END_READ = 16
IRQ_END_WRITE = 32
_HARD_ONLY = 15
_MEM_ADDR_MATCH = 64

# extmod data states
_INACTIVE = 0
_IDLE = 1
_AM_READ = 2
_AM_WRITE = 3
_MEM_SELECT = 4
_READING = 5
_WRITING = 6

# per port: family, hard IRQ available, constructor takes scl/sda, id required
PORT_TRAITS = {
    "rp2": ("dw", True, True, False),
    "alif": ("dw", True, True, True),
    "stm32": ("reg", True, False, True),
    "samd": ("reg", True, True, False),
    "mimxrt": ("reg", True, False, False),
    "zephyr": ("zephyr", True, False, True),
    "esp32": ("esp32", False, True, False),
}


_NOARG = object()


class IrqStorm(Exception):
    """The handler left a level-triggered request unserved: on the real port
    the interrupt fires again at once and the CPU never leaves it."""


class WrongByte(Exception):
    """The port would put a stale byte on the bus (zephyr: the handler did
    not call write() on a read request)."""


class _Ring:
    # Byte FIFO that never allocates after construction (hard IRQ safe).
    def __init__(self, size):
        self.b = bytearray(size)
        self.start = 0
        self.n = 0

    def push(self, v):
        if self.n == len(self.b):
            return False
        self.b[(self.start + self.n) % len(self.b)] = v
        self.n += 1
        return True

    def pop(self):
        v = self.b[self.start]
        self.start = (self.start + 1) % len(self.b)
        self.n -= 1
        return v

    def clear(self):
        self.start = 0
        self.n = 0


class FakePin:
    def __init__(self, n, *args, **kw):
        self.n = n

    def __repr__(self):
        return "Pin(GPIO%d)" % self.n


class _Irq:
    def __init__(self):
        self.handler = None
        self.trigger = 0
        self.hard = False
        self._flags = 0

    def flags(self):
        return self._flags


class FakeI2CTarget:
    def __init__(self, machine, args, kw):
        self.m = machine
        port = machine.port
        family, hard_ok, pins_ok, id_needed = PORT_TRAITS[port]
        self.family = family
        allowed = ["id", "addr", "addrsize", "mem", "mem_addrsize"]
        if pins_ok:
            allowed += ["scl", "sda"]
        if port == "mimxrt":
            allowed.append("drive")
        for k in kw:
            if k not in allowed:
                raise TypeError("unexpected keyword argument '%s'" % k)
        vals = {}
        names = ["id", "addr"]
        for i in range(len(args)):
            vals[names[i]] = args[i]
        for k in kw:
            vals[k] = kw[k]
        if "id" not in vals:
            if id_needed:
                raise TypeError("'id' argument required")
            vals["id"] = 0
        if "addr" not in vals:
            raise TypeError("'addr' argument required")
        self.id = vals["id"]
        self.addr = vals["addr"]
        self.scl = vals.get("scl")
        self.sda = vals.get("sda")
        mem = vals.get("mem")
        mas = vals.get("mem_addrsize", 8)
        if mem is not None and (mas < 0 or mas > 32 or mas % 8):
            raise ValueError("mem_addrsize must be 0, 8, 16, 24 or 32")
        if family == "esp32" and mem is None:
            # The IDF send/receive buffers are sized len(mem): none without mem.
            raise OSError(-1, "ESP_ERR_INVALID_STATE (buffer depth 0)")
        key = (port, self.id)
        old = machine.active.get(key)
        if old is not None and old is not self and old.state != _INACTIVE and not old.static:
            raise OSError(16, "bus id in use")
        self.static = port in ("rp2", "alif", "stm32", "esp32", "zephyr")
        if old is not None:
            old.state = _INACTIVE  # a static port object is re-initialised
        machine.active[key] = self
        self.mem = mem
        self.mem_addrsize = mas // 8
        self.state = _IDLE
        self.mem_addr = 0
        self.mem_addr_last = 0
        self.mem_count = 0
        self.irq_obj = _Irq()
        self.hard_ok = hard_ok
        # port hardware state
        self.ps = _IDLE
        self.rx_fifo = _Ring(16)
        self.tx_fifo = _Ring(256 if family == "esp32" else 16)
        self.rx_masked = False
        self.rd_masked = False
        self.stop_pending = False
        self.irq_active = False
        self.rx_reg = -1
        self.tx_reg = -1
        self.data_byte = 0
        self.esp_rx = None
        self.esp_index = 0
        self.deinit_count = 0

    # ---- the machine.I2CTarget API -------------------------------------------
    @property
    def memaddr(self):
        return self.mem_addr_last

    def irq(self, handler=_NOARG, trigger=IRQ_END_READ | IRQ_END_WRITE, hard=False):
        if handler is _NOARG:
            return self.irq_obj  # irq() alone: the IRQ object, unchanged
        if self.hard_ok:
            if trigger & _HARD_ONLY and not hard:
                raise ValueError("hard IRQ required")
        elif hard:
            raise ValueError("hard IRQ unsupported")
        self.irq_obj.handler = handler
        self.irq_obj.trigger = trigger
        self.irq_obj.hard = hard
        self.irq_obj._flags = 0
        return self.irq_obj

    def deinit(self):
        if self.state != _INACTIVE:
            self.state = _INACTIVE
            self.irq_obj.handler = None
            self.deinit_count += 1

    def readinto(self, buf):
        f = self.family
        if f == "dw":
            i = 0
            while i < len(buf) and self.rx_fifo.n:
                buf[i] = self.rx_fifo.pop()
                i += 1
            self.rx_masked = False
            self._check_stop_pending()
            return i
        if f == "reg":
            if len(buf) == 0 and self.m.port == "stm32":
                return 0
            buf[0] = self.rx_reg & 0xFF
            self.rx_reg = -1
            return 1
        if f == "zephyr":
            buf[0] = self.data_byte
            self.data_consumed = True
            return 1
        # esp32: from the finished write handed over by the driver
        i = 0
        while i < len(buf) and self.esp_index < len(self.esp_rx):
            buf[i] = self.esp_rx[self.esp_index]
            self.esp_index += 1
            i += 1
        return i

    def write(self, buf):
        f = self.family
        if f == "dw":
            i = 0
            while i < len(buf) and self.tx_fifo.push(buf[i]):
                i += 1
            self.rd_masked = False
            return i if self.m.port == "rp2" else 1
        if f == "reg":
            if len(buf) == 0 and self.m.port == "stm32":
                return 0
            self.tx_reg = buf[0]
            return 1
        if f == "zephyr":
            self.data_byte = buf[0]
            self.data_written = True
            return 1
        i = 0
        while i < len(buf) and self.tx_fifo.push(buf[i]):
            i += 1
        return i

    # ---- extmod's shared event logic (independent model) -----------------------
    def _event(self, ev):
        if ev & _MEM_ADDR_MATCH:
            self.mem_addr_last = self.mem_addr
        irq = self.irq_obj
        if irq.handler is None or not ev & irq.trigger:
            return False
        irq._flags = ev & irq.trigger
        if irq.hard:
            self.m.hard_calls += 1
            if self.m.heap_lock and _heap_lock is not None:
                _heap_lock()
                try:
                    irq.handler(self)
                finally:
                    _heap_unlock()
            else:
                irq.handler(self)
        else:
            self.m.scheduled.append((irq.handler, self))
        return True

    def _reset(self):
        if self.state == _READING:
            self._event(IRQ_END_READ)
        elif self.state == _AM_WRITE or self.state == _WRITING:
            self._event(IRQ_END_WRITE)
        self.state = _IDLE

    def _addr_match(self, read):
        self._reset()
        if read:
            self._event(IRQ_ADDR_MATCH_READ)
            self.state = _AM_READ
        else:
            self._event(IRQ_ADDR_MATCH_WRITE)
            self.state = _AM_WRITE

    def _read_request(self):
        handled = self._event(IRQ_READ_REQ)
        if self.mem is None:
            self.state = _READING
            if not handled:
                self.write(b"\x00")
            return
        if self.state == _MEM_SELECT:
            self.mem_addr %= len(self.mem)
            self._event(_MEM_ADDR_MATCH)
        self.state = _READING
        v = self.mem[self.mem_addr]
        self.mem_addr += 1
        if self.mem_addr >= len(self.mem):
            self.mem_addr = 0
        self.write(bytes([v]))

    def _write_request(self):
        handled = self._event(IRQ_WRITE_REQ)
        if self.mem is None:
            self.state = _WRITING
            if not handled:
                self.readinto(bytearray(1))
            return
        buf = bytearray(4)
        n = self.readinto(buf)
        for i in range(n):
            v = buf[i]
            if self.state == _AM_WRITE:
                self.state = _MEM_SELECT
                self.mem_addr = 0
                self.mem_count = self.mem_addrsize
            if self.state == _MEM_SELECT and self.mem_count > 0:
                self.mem_addr = (self.mem_addr << 8) | v
                self.mem_count -= 1
                if self.mem_count == 0:
                    self.mem_addr %= len(self.mem)
                    self._event(_MEM_ADDR_MATCH)
            else:
                if self.state == _MEM_SELECT:
                    self.state = _WRITING
                self.mem[self.mem_addr] = v
                self.mem_addr += 1
                if self.mem_addr >= len(self.mem):
                    self.mem_addr = 0

    def _check_stop_pending(self):
        if self.irq_active:
            return
        if self.stop_pending and not self.rx_fifo.n:
            self.stop_pending = False
            self.ps = _IDLE
            self._reset()

    # ---- per-family bus behaviour: generators driven by the controller ------------
    # Each yields once per bus step; yielding "stall" means SCL is held low.
    def segments(self, segs):
        if self.state == _INACTIVE:
            return self._nack_all(segs)
        f = self.family
        if f == "dw":
            return self._dw(segs)
        if f == "reg":
            return self._reg(segs)
        if f == "zephyr":
            return self._zephyr(segs)
        return self._esp32(segs)

    def _nack_all(self, segs):
        for s in segs:
            s.acked = False
            yield "nack"
            return

    def _dw(self, segs):
        first = True
        for s in segs:
            if not first:
                # repeated START (rp2 enables START_DET, alif does not)
                if self.m.port == "rp2" and self.ps != _IDLE:
                    self.irq_active = True
                    self._reset()
                    self.ps = _IDLE
                    self.irq_active = False
            first = False
            if s.addr != self.addr:
                s.acked = False
                break
            if s.kind == "w":
                for v in s.data:
                    while self.rx_fifo.n == 16:
                        yield "stall"  # RX_FIFO_FULL_HLD_CTRL holds the bus
                    self.rx_fifo.push(v)
                    s.count += 1
                    self._dw_rx_full()
                    yield "byte"
            else:
                if self.tx_fifo.n:
                    # old bytes in the TX FIFO: flushed at a new read request
                    self.m.flushed += self.tx_fifo.n
                    self.tx_fifo.clear()
                for k in range(s.n):
                    while not self.tx_fifo.n:
                        if not self.rd_masked:
                            self._dw_read_req()
                        else:
                            self.m.stretch_steps += 1
                            yield "stall"
                    s.out.append(self.tx_fifo.pop())
                    yield "byte"
                # the controller NACKs the last byte: RX_DONE takes the same path
                self._dw_read_req(rx_done=True)
        # STOP
        self.irq_active = True
        if self.ps == _IDLE and segs[0].acked and segs[-1].addr == self.addr:
            self._addr_match(False)  # a STOP with nothing before: 0-byte write
        if self.rx_fifo.n:
            self.stop_pending = True
        else:
            self._reset()
            self.ps = _IDLE
        self.irq_active = False
        self._check_stop_pending()
        yield "stop"

    def _dw_rx_full(self):
        self.irq_active = True
        while self.rx_fifo.n and not self.rx_masked:
            self.rx_masked = True
            if self.ps != _WRITING:
                self._addr_match(False)
            self._write_request()
            self.ps = _WRITING
        self.irq_active = False
        self._check_stop_pending()

    def _dw_read_req(self, rx_done=False):
        self.irq_active = True
        self.rd_masked = True
        if self.ps != _READING:
            self._addr_match(True)
        self._read_request()
        self.ps = _READING
        self.irq_active = False
        self._check_stop_pending()

    def _reg(self, segs):
        # stm32 (ADDR, RXNE/TXE per byte, n+1 TXE for n bytes read),
        # samd (AMATCH, DRDY per byte) and mimxrt (LPI2C events): each request
        # must be served inside the interrupt.
        for s in segs:
            if s.addr != self.addr:
                s.acked = False
                break
            self._addr_match(s.kind == "r")
            if s.kind == "w":
                yield "addr"
            # a read's first byte is asked for in the same interrupt as the
            # address (stm32 re-reads its status after ADDR; samd/mimxrt raise
            # it right after the address ACK): no thread code runs in between
            if s.kind == "w":
                for v in s.data:
                    self.rx_reg = v
                    self._write_request()
                    if self.rx_reg >= 0:
                        raise IrqStorm("%s: receive request not served" % self.m.port)
                    s.count += 1
                    yield "byte"
            else:
                for k in range(s.n + 1):
                    self.tx_reg = -1
                    self._read_request()
                    if self.tx_reg < 0:
                        raise IrqStorm("%s: transmit request not served" % self.m.port)
                    if k < s.n:
                        s.out.append(self.tx_reg)
                    else:
                        self.m.discarded += 1  # loaded, never clocked out
                    yield "byte"
        self._reset()  # STOP (stm32: STOPF / AF, samd: PREC, mimxrt: completion)
        yield "stop"

    def _zephyr(self, segs):
        for s in segs:
            if s.addr != self.addr:
                s.acked = False
                break
            if s.kind == "w":
                self.ps = _WRITING
                self._addr_match(False)
                yield "addr"
                for v in s.data:
                    self.data_byte = v
                    self._write_request()
                    s.count += 1
                    yield "byte"
            else:
                for k in range(s.n + 1):
                    self.data_written = False
                    if k == 0:
                        if self.ps != _READING:
                            self._addr_match(True)
                            self._read_request()
                            self.ps = _READING
                    else:
                        self._read_request()  # read_processed: prefetch
                    if not self.data_written and self.irq_obj.trigger & IRQ_READ_REQ:
                        raise WrongByte("zephyr: read request not answered, stale byte sent")
                    if k < s.n:
                        s.out.append(self.data_byte)
                    else:
                        self.m.discarded += 1
                    yield "byte"
        if self.ps == _IDLE:
            self._addr_match(False)
        self.ps = _IDLE
        self._reset()
        yield "stop"

    def _esp32(self, segs):
        pending = None
        for s in segs:
            if s.addr != self.addr:
                s.acked = False
                break
            if s.kind == "w":
                for v in s.data:
                    s.count += 1
                    yield "byte"  # into the driver's ring buffer, not seen by Python
                pending = s.data
            else:
                # address match for a read: the finished write is handed over
                # first, then the whole memory is put into the TX FIFO.
                if pending:
                    self._esp_receive(pending)
                    pending = None
                self.tx_fifo.clear()
                self._addr_match(True)
                for i in range(len(self.mem)):
                    self._read_request()
                self._reset()
                for k in range(s.n):
                    s.out.append(self.tx_fifo.pop() if self.tx_fifo.n else 0xFF)
                    yield "byte"
        if pending:
            self._esp_receive(pending)  # transfer complete
        yield "stop"

    def _esp_receive(self, data):
        self._addr_match(False)
        self.esp_rx = data
        self.esp_index = 0
        while self.esp_index < len(data):
            self._write_request()
        self._reset()


class _Segment:
    def __init__(self, spec):
        self.kind = spec[0]
        self.addr = spec[1]
        self.acked = True
        self.count = 0
        self.out = bytearray()
        if self.kind == "w":
            self.data = bytes(spec[2])
            self.n = len(self.data)
        elif self.kind == "r":
            self.n = spec[2]
            self.data = b""
        else:
            raise ValueError("segment kind must be 'w' or 'r'")


class Transfer:
    """One controller transaction: START, segments joined by repeated
    STARTs, STOP."""

    def __init__(self, specs):
        self.segs = [_Segment(s) for s in specs]
        self.done = False

    @property
    def results(self):
        out = []
        for s in self.segs:
            if not s.acked:
                out.append(None)
            elif s.kind == "w":
                out.append(s.count)
            else:
                out.append(s.out)
        return out


class Bus:
    def __init__(self, machine):
        self.m = machine
        self.queue = []
        self.gen = None
        self.cur = None
        self.steps = 0

    def transfer(self, specs):
        x = Transfer(specs)
        self.queue.append(x)
        return x

    def _target_for(self, addr):
        for t in self.m.active.values():
            if t.state != _INACTIVE and t.addr == addr:
                return t
        return None

    def pump(self):
        """One bus step (a byte, an address, a stall), then scheduled
        (soft) IRQ handlers.  Returns False when there is nothing to do."""
        busy = self._step()
        while self.m.scheduled:
            h, arg = self.m.scheduled.pop(0)
            h(arg)
        return busy

    def _step(self):
        if self.gen is None:
            if not self.queue:
                return False
            self.cur = self.queue.pop(0)
            t = self._target_for(self.cur.segs[0].addr)
            if t is None:
                for s in self.cur.segs:
                    s.acked = False
                self.cur.done = True
                return True
            self.gen = t.segments(self.cur.segs)
        self.steps += 1
        try:
            next(self.gen)
        except StopIteration:
            self.gen = None
            self.cur.done = True
        return True

    def run(self, max_steps=10000):
        """Pump until every queued transfer is done (or max_steps)."""
        n = 0
        while (self.queue or self.gen is not None) and n < max_steps:
            self.pump()
            n += 1
        return n


class _TargetFactory:
    def __init__(self, machine):
        self._m = machine
        self.IRQ_END_READ = IRQ_END_READ
        self.IRQ_END_WRITE = IRQ_END_WRITE
        if PORT_TRAITS[machine.port][1]:
            self.IRQ_ADDR_MATCH_READ = IRQ_ADDR_MATCH_READ
            self.IRQ_ADDR_MATCH_WRITE = IRQ_ADDR_MATCH_WRITE
            self.IRQ_READ_REQ = IRQ_READ_REQ
            self.IRQ_WRITE_REQ = IRQ_WRITE_REQ

    def __call__(self, *args, **kw):
        t = FakeI2CTarget(self._m, args, kw)
        self._m.created.append(t)
        return t


class FakeMachine:
    """Stands in for the `machine` module of one MicroPython port."""

    def __init__(self, port, heap_lock=True):
        if port not in PORT_TRAITS:
            raise ValueError("unknown port %r" % port)
        self.port = port
        self.heap_lock = heap_lock
        self.active = {}
        self.created = []
        self.scheduled = []
        self.bus = Bus(self)
        self.I2CTarget = _TargetFactory(self)
        self.Pin = FakePin
        self.irq_disabled = 0
        self.hard_calls = 0
        self.stretch_steps = 0
        self.flushed = 0
        self.discarded = 0

    def idle(self):
        self.bus.pump()

    def disable_irq(self):
        self.irq_disabled += 1
        return self.irq_disabled

    def enable_irq(self, state):
        self.irq_disabled -= 1
