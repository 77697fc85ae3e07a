# A simulated I2C bus: the controller side plus the wires.
#
# The targets on this bus are real: the engine and the sim port, reached
# through the flat function set (the ctypes host library on CPython, the
# native module `_i2ct` on the MicroPython unix port).  This module plays the
# controller.  It calls the sim port exactly where a chip's interrupt would
# fire (address matched, byte received, byte wanted, controller NACK, STOP,
# bus error) and reads back the target's decisions (ACK, NACK, byte, or
# "SCL held").
#
# Everything is deterministic and single-threaded.  The caller queues
# transactions; pump() advances the one in progress by one bus step (START +
# address, one data byte, or one look at a clock a target holds).  The
# target's Python code runs in the same thread and calls pump() while it
# waits, so controller and target take turns.  Time is simulated: a byte
# costs 9 bit times of the bus clock, each look at a held clock costs
# stretch_step_us, and after every advance each open target is serviced (its
# maximum stretch time runs out as it would on a hardware timer).
#
# Two kinds of controller:
#  - stretching=True waits while a target holds SCL (most controllers);
#  - stretching=False samples on its own clock whatever the target does
#    (Raspberry Pi hardware I2C): a written byte whose ACK a target holds is
#    read as NACK and lost, a read byte a target has not supplied yet is read
#    as 0xFF.  Every such event is recorded in bus.faults and transfer.faults.
#
# Use:
#     from i2cperipheral import I2CPeripheral, sim
#     bus = sim.reset(stretching=True, clock_hz=100000)
#     get = bus.i2cget(0x40, 0x01)          # queued, returns a Transfer
#     bus.i2cset(0x40, 0x01, 0xAA)
#     with I2CPeripheral(5, 4, (0x40,)) as dev:
#         while True:                       # ends with sim.SimulationDone
#             r = dev.request()             # request() pumps the bus
#             ...
#     get.value, get.error, bus.faults, bus.vcd("bus.vcd")
# Targets that need no Python (register mode) are driven by bus.run().
#
# Runs on CPython and MicroPython: no f-strings, no typing, no threads.

from ._abi import (
    SIM_ACK as _SIM_ACK, SIM_NACK as _SIM_NACK, SIM_HOLD as _SIM_HOLD, SIM_SENT as _SIM_SENT,
    SIM_CLOSED as _SIM_CLOSED, CNT_BYTES_IN as _CNT_BYTES_IN, CNT_BYTES_OUT as _CNT_BYTES_OUT,
    CNT_NACKS as _CNT_NACKS, CNT_FILLER as _CNT_FILLER, CNT_RX_DROPPED as _CNT_RX_DROPPED,
)

# A read segment whose length is the first byte read (SMBus block read).
BLOCK = -1
# The same followed by one more byte (the PEC of an SMBus block read with PEC).
BLOCK_PEC = -2
# SMBus 2.0 / Linux I2C_SMBUS_BLOCK_MAX.
BLOCK_MAX = 32

ABORT_KINDS = ("stop", "restart", "vanish", "bus_error")


class SimulationDone(Exception):
    """pump() found no transaction left while stop_when_idle is set.

    A target loop such as `while True: r = dev.request()` ends this way once
    every queued transaction has run."""


class SimulationStuck(Exception):
    """run() gave up: max_steps pumps and a transaction is still in progress."""


class _ControllerGaveUp(Exception):
    pass


# Yielded before each look at a held clock: the target's program must get a
# turn there, even in an atomic pump.
_WAIT = "wait"


def _signed32(value):
    value &= 0xFFFFFFFF
    return value - 0x100000000 if value & 0x80000000 else value


def _check_address(address):
    if not isinstance(address, int) or isinstance(address, bool):
        raise TypeError("address must be an int, not %s" % type(address).__name__)
    if not 0 <= address <= 0x7F:
        raise ValueError("address 0x%x out of range 0..0x7f" % address)
    return address


def _check_byte(value, what):
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError("%s must be an int, not %s" % (what, type(value).__name__))
    if not 0 <= value <= 0xFF:
        raise ValueError("%s %d out of range 0..255" % (what, value))
    return value


def _check_word(value, what):
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError("%s must be an int, not %s" % (what, type(value).__name__))
    if not 0 <= value <= 0xFFFF:
        raise ValueError("%s %d out of range 0..65535" % (what, value))
    return value


def _check_data(data, what):
    if isinstance(data, (str, int)):  # bytes(5) would be five zero bytes
        raise TypeError("%s must be bytes-like or a list of ints, not %s"
                        % (what, type(data).__name__))
    try:
        out = bytes(data)
    except (TypeError, ValueError):
        raise TypeError("%s must be bytes-like or a list of ints 0..255" % what)
    return out


class Transfer:
    """One queued controller transaction and, once done, its result.

    done     True once the transaction has finished on the bus.
    data     list of bytes, one per read segment (what the controller read).
    acked    list of ints, one per write segment: data bytes ACKed.
    error    None, or why the controller failed ('address 0x40 NACKed',
             'data byte 2 NACKed', 'bus error after 1 data bytes', ...).
             Data byte numbers count from 0 within their segment.
    aborted  None, or the fault shape that cut it short (abort option).
    faults   what went wrong on the wires (non-stretching controller).
    value    the decoded result of an SMBus / i2cget shape (int or bytes),
             None until done or when it failed.
    """

    def __init__(self, kind, segments, abort_after, abort, decode=None):
        self.kind = kind
        self.segments = segments
        self.abort_after = abort_after
        self.abort = abort
        self.done = False
        self.data = []
        self.acked = []
        self.error = None
        self.aborted = None
        self.faults = []
        self.value = None
        self.start_us = None
        self.end_us = None
        self._decode = decode

    def result(self):
        """value, or OSError naming the failure; RuntimeError if not done."""
        if not self.done:
            raise RuntimeError("transfer %s not done yet: pump the bus (bus.run())" % self.kind)
        if self.error:
            raise OSError("%s: %s" % (self.kind, self.error))
        return self.value

    def __repr__(self):
        state = "done" if self.done else "queued"
        return "<Transfer %s %s data=%r acked=%r error=%r faults=%d>" % (
            self.kind, state, self.data, self.acked, self.error, len(self.faults))


class SimBus:
    """A controller and the wires of one simulated I2C bus."""

    def __init__(self, lib=None, stretching=True, clock_hz=100000, stretch_step_us=None,
                 stop_when_idle=True, controller_timeout_us=None, max_targets=None,
                 record=True, atomic=None):
        if not isinstance(clock_hz, int) or isinstance(clock_hz, bool) or not \
                1000 <= clock_hz <= 5000000:
            raise ValueError("clock_hz must be an int in 1000..5000000, not %r" % (clock_hz,))
        backend = None
        if lib is None:
            backend = _default_backend()
            lib = backend.lib if hasattr(backend, "lib") else backend
        elif hasattr(lib, "lib") and hasattr(lib, "max_targets"):
            backend, lib = lib, lib.lib
        self.lib = lib
        if max_targets is None:
            max_targets = getattr(backend, "max_targets", None) or getattr(lib, "MAX_TARGETS", 2)
        self.max_targets = max_targets
        self.stretching = bool(stretching)
        self.clock_hz = clock_hz
        # Bit time in ns, a multiple of 4 so the waveform's quarter bits are whole ns.
        self._bit_ns = (1000000000 // clock_hz) // 4 * 4
        if stretch_step_us is None:
            stretch_step_ns = max(1000, self._bit_ns // 1000 * 1000)
        else:
            if not isinstance(stretch_step_us, int) or stretch_step_us < 1:
                raise ValueError("stretch_step_us must be an int >= 1, not %r" % (stretch_step_us,))
            stretch_step_ns = stretch_step_us * 1000
        self._step_ns = stretch_step_ns
        if controller_timeout_us is not None and (
                not isinstance(controller_timeout_us, int) or controller_timeout_us < 1):
            raise ValueError("controller_timeout_us must be None or an int >= 1")
        self.controller_timeout_us = controller_timeout_us
        self.stop_when_idle = bool(stop_when_idle)
        # atomic: the controller does not let the target's program run between
        # two bus steps, only while it waits for a held clock.  A controller
        # that cannot stretch never waits, so its transactions run whole, as
        # they do against a real program far slower than one byte time.
        self.atomic = (not self.stretching) if atomic is None else bool(atomic)
        self.record = bool(record)

        self.faults = []
        self.trace = []      # (time_us, event, ...): the bus events in order
        self.wave = []       # (time_ns, scl, sda) line changes, for vcd()
        self.transfers = []  # every transfer queued, in order
        self.steps = 0
        # Data bytes delivered to each target; data bytes each target supplied
        # that the controller clocked in; bytes the controller read while a
        # target held SCL (non-stretching controller: garbage).
        self.bytes_written = [0] * max_targets
        self.bytes_read = [0] * max_targets
        self.garbage = 0
        self._t_ns = 0
        self._queue = []
        self._current = None
        self._gen = None
        self._held = []      # targets known to hold SCL, not yet resolved
        self._scl = 1
        self._sda = 1
        self._pumping = False
        self._handlers = []
        self._first_step = False
        lib.sim_set_time(0)
        if self.record:
            self.wave.append((0, 1, 1))

    # ---- time ---------------------------------------------------------------

    def now_us(self):
        """Simulated microseconds since this bus was created."""
        return self._t_ns // 1000

    def byte_time_us(self):
        """Microseconds one byte (8 bits + ACK) takes at the bus clock."""
        return 9 * self._bit_ns // 1000

    def _advance(self, ns):
        self._t_ns += ns
        lib = self.lib
        lib.sim_set_time(_signed32(self._t_ns // 1000))
        for t in range(self.max_targets):
            if lib.is_open(t):
                lib.service(t)

    # ---- queue and pump -----------------------------------------------------

    def idle(self):
        """True when no transaction is queued or in progress."""
        return self._current is None and not self._queue

    def pending(self):
        """Transactions queued or in progress."""
        return len(self._queue) + (self._current is not None)

    def add_handler(self, fn):
        """Call fn(bus) after every pump (a test's stand-in for target code)."""
        self._handlers.append(fn)

    def remove_handler(self, fn):
        self._handlers.remove(fn)

    def pump(self):
        """Advance the bus by one step.  Returns True when a transaction step
        ran; with nothing to do raises SimulationDone (stop_when_idle) or
        lets time pass and returns False."""
        if self._pumping:
            raise RuntimeError("SimBus.pump() called from a bus handler (re-entrant pump)")
        self._pumping = True
        try:
            if self._current is None:
                if not self._queue:
                    if self.stop_when_idle:
                        raise SimulationDone("simulated bus idle: no transaction left")
                    self._advance(self._step_ns)
                    self.steps += 1
                    return False
                tr = self._queue.pop(0)
                self._current = tr
                self._gen = self._transaction(tr)
                self._first_step = True
            while True:
                waiting = next(self._gen) is _WAIT
                if self._current.done:
                    self._current = None
                    self._gen = None
                    break
                if waiting or not self.atomic:
                    break
            self.steps += 1
            for fn in self._handlers:
                fn(self)
        finally:
            self._pumping = False
        return True

    def run(self, max_steps=100000):
        """Pump until every queued transaction is done (targets that need no
        Python: register mode, or a handler added with add_handler)."""
        steps = 0
        while not self.idle():
            if steps >= max_steps:
                tr = self._current
                held = [t for t in range(self.max_targets)
                        if self.lib.is_open(t) and self.lib.sim_poll(t) == _SIM_HOLD]
                raise SimulationStuck(
                    "bus still busy after %d steps (%d us simulated): transfer %s%s; "
                    "no target code is releasing the clock?" % (
                        max_steps, self.now_us(), tr.kind if tr else "?",
                        (", SCL held by target %s" % held) if held else ""))
            self.pump()
            steps += 1
        return steps

    def _queue_transfer(self, kind, segments, abort_after=None, abort="stop", decode=None):
        if abort not in ABORT_KINDS:
            raise ValueError("abort must be one of %s, not %r" % (ABORT_KINDS, abort))
        if abort_after is not None and (not isinstance(abort_after, int) or abort_after < 0):
            raise ValueError("abort_after must be None or an int >= 0, not %r" % (abort_after,))
        if not segments:
            raise ValueError("a transfer needs at least one segment")
        tr = Transfer(kind, segments, abort_after, abort, decode)
        self._queue.append(tr)
        self.transfers.append(tr)
        return tr

    # ---- controller operations ----------------------------------------------

    def transfer(self, segments, abort_after=None, abort="stop"):
        """An i2ctransfer-style list: ('w', addr, data) writes data,
        ('r', addr, n) reads n bytes (sim.BLOCK: a count byte, then that
        many; sim.BLOCK_PEC: the same, then one PEC byte more).  Repeated
        START between segments, one STOP at the end.

        abort_after=k cuts the transfer after k data bytes (counted over all
        segments; 0 = right after the first address) with `abort`:
          'stop'      STOP there (mid-segment or between segments);
          'restart'   repeated START into the next segment (STOP if none);
          'vanish'    the controller disappears: no STOP, only time passes;
          'bus_error' a misplaced START/STOP the targets see as a bus error.
        With abort_after=None, 'vanish' and 'bus_error' replace the final STOP."""
        try:
            items = iter(segments)  # MicroPython's list has no __iter__ attribute
        except TypeError:
            items = None
        if items is None or isinstance(segments, (str, bytes)):
            raise TypeError("segments must be a list of ('w', addr, data) / ('r', addr, n)")
        norm = []
        for seg in items:
            if not isinstance(seg, tuple) or len(seg) != 3:
                raise TypeError("segment %r: expected ('w', addr, data) or ('r', addr, n)" % (seg,))
            d, addr, arg = seg
            _check_address(addr)
            if d == "w":
                norm.append(("w", addr, _check_data(arg, "write data")))
            elif d == "r":
                if arg not in (BLOCK, BLOCK_PEC) and (
                        not isinstance(arg, int) or isinstance(arg, bool) or arg < 0):
                    raise ValueError("read length must be an int >= 0, sim.BLOCK or "
                                     "sim.BLOCK_PEC, not %r" % (arg,))
                norm.append(("r", addr, arg))
            else:
                raise ValueError("segment direction must be 'w' or 'r', not %r" % (d,))
        return self._queue_transfer("transfer", norm, abort_after, abort)

    def write(self, addr, data, **kw):
        seg = ("w", _check_address(addr), _check_data(data, "data"))
        return self._queue_transfer("write", [seg], **kw)

    def read(self, addr, n, **kw):
        if not isinstance(n, int) or n < 0:
            raise ValueError("read length must be an int >= 0, not %r" % (n,))
        return self._queue_transfer("read", [("r", _check_address(addr), n)],
                                    decode=_decode_last, **kw)

    def write_read(self, addr, data, n, **kw):
        if not isinstance(n, int) or n < 0:
            raise ValueError("read length must be an int >= 0, not %r" % (n,))
        addr = _check_address(addr)
        return self._queue_transfer("write_read", [("w", addr, _check_data(data, "data")),
                                                   ("r", addr, n)], decode=_decode_last, **kw)

    # SMBus shapes (Linux i2c-dev / smbus2 names).

    def quick(self, addr, read=False, **kw):
        addr = _check_address(addr)
        seg = ("r", addr, 0) if read else ("w", addr, b"")
        return self._queue_transfer("quick", [seg], **kw)

    def read_byte(self, addr, **kw):
        return self._queue_transfer("read_byte", [("r", _check_address(addr), 1)],
                                    decode=_decode_byte, **kw)

    def write_byte(self, addr, value, **kw):
        return self._queue_transfer("write_byte", [("w", _check_address(addr),
                                                    bytes([_check_byte(value, "value")]))], **kw)

    def read_byte_data(self, addr, cmd, **kw):
        addr = _check_address(addr)
        return self._queue_transfer("read_byte_data", [
            ("w", addr, bytes([_check_byte(cmd, "cmd")])), ("r", addr, 1)],
            decode=_decode_byte, **kw)

    def write_byte_data(self, addr, cmd, value, **kw):
        return self._queue_transfer("write_byte_data", [
            ("w", _check_address(addr),
             bytes([_check_byte(cmd, "cmd"), _check_byte(value, "value")]))], **kw)

    def read_word_data(self, addr, cmd, **kw):
        addr = _check_address(addr)
        return self._queue_transfer("read_word_data", [
            ("w", addr, bytes([_check_byte(cmd, "cmd")])), ("r", addr, 2)],
            decode=_decode_word, **kw)

    def write_word_data(self, addr, cmd, value, **kw):
        _check_word(value, "value")
        return self._queue_transfer("write_word_data", [
            ("w", _check_address(addr),
             bytes([_check_byte(cmd, "cmd"), value & 0xFF, value >> 8]))], **kw)

    def read_block_data(self, addr, cmd, **kw):
        addr = _check_address(addr)
        return self._queue_transfer("read_block_data", [
            ("w", addr, bytes([_check_byte(cmd, "cmd")])), ("r", addr, BLOCK)],
            decode=_decode_block, **kw)

    def write_block_data(self, addr, cmd, data, **kw):
        data = _check_data(data, "data")
        if len(data) > BLOCK_MAX:
            raise ValueError("block of %d bytes: SMBus allows at most %d" % (len(data), BLOCK_MAX))
        return self._queue_transfer("write_block_data", [
            ("w", _check_address(addr), bytes([_check_byte(cmd, "cmd"), len(data)]) + data)], **kw)

    def process_call(self, addr, cmd, value, **kw):
        addr = _check_address(addr)
        _check_word(value, "value")
        return self._queue_transfer("process_call", [
            ("w", addr, bytes([_check_byte(cmd, "cmd"), value & 0xFF, value >> 8])),
            ("r", addr, 2)], decode=_decode_word, **kw)

    def block_process_call(self, addr, cmd, data, **kw):
        addr = _check_address(addr)
        data = _check_data(data, "data")
        if len(data) > BLOCK_MAX:
            raise ValueError("block of %d bytes: SMBus allows at most %d" % (len(data), BLOCK_MAX))
        return self._queue_transfer("block_process_call", [
            ("w", addr, bytes([_check_byte(cmd, "cmd"), len(data)]) + data),
            ("r", addr, BLOCK)], decode=_decode_block, **kw)

    # i2c-tools shapes.

    def i2cget(self, addr, reg=None, mode="b", **kw):
        """`i2cget -y 1 addr [reg [mode]]`: mode 'b' (byte) or 'w' (word)."""
        if mode not in ("b", "w"):
            raise ValueError("i2cget mode must be 'b' or 'w', not %r" % (mode,))
        if reg is None:
            if mode == "w":
                raise ValueError("i2cget word mode needs a register")
            return self.read_byte(addr, **kw)
        if mode == "w":
            return self.read_word_data(addr, reg, **kw)
        return self.read_byte_data(addr, reg, **kw)

    def i2cset(self, addr, reg, value, mode="b", **kw):
        """`i2cset -y 1 addr reg value [mode]`: mode 'b' (byte) or 'w' (word)."""
        if mode == "b":
            return self.write_byte_data(addr, reg, value, **kw)
        if mode == "w":
            return self.write_word_data(addr, reg, value, **kw)
        raise ValueError("i2cset mode must be 'b' or 'w', not %r" % (mode,))

    # ---- checks -------------------------------------------------------------

    def counter_balance(self, t):
        """(controller wrote, engine accounted, controller read, engine supplied)
        for target t: the first two and the last two must match once the bus
        is idle and no byte is held."""
        lib = self.lib
        if not lib.is_open(t):
            raise ValueError("counter_balance(%d): target %d is not open" % (t, t))
        acc_in = (lib.counter(t, _CNT_BYTES_IN) + lib.counter(t, _CNT_NACKS)
                  + lib.counter(t, _CNT_RX_DROPPED))
        acc_out = lib.counter(t, _CNT_BYTES_OUT) + lib.counter(t, _CNT_FILLER)
        return self.bytes_written[t], acc_in, self.bytes_read[t], acc_out

    # ---- the transaction, step by step --------------------------------------

    def _boundary(self):
        # Each pump runs one step; a step starts after a yield, except the
        # first step of a transaction.
        if self._first_step:
            self._first_step = False
        else:
            yield

    def _transaction(self, tr):
        tr.start_us = self.now_us()
        try:
            yield from self._body(tr)
        except _ControllerGaveUp as e:
            tr.error = str(e)
            self._log("giveup")
        tr.end_us = self.now_us()
        tr.data = [bytes(d) for d in tr.data]
        if not tr.error and not tr.aborted and tr._decode is not None:
            tr.value = tr._decode(tr)
        tr.done = True
        yield

    def _fault(self, tr, text):
        text = "%d us: %s" % (self.now_us(), text)
        tr.faults.append(text)
        self.faults.append(text)
        self._log("fault", text)

    def _log(self, *event):
        if self.record:
            self.trace.append((self.now_us(),) + event)

    def _body(self, tr):
        yield from self._wait_bus_free(tr)
        if tr.error:
            return
        segs = tr.segments
        last_seg = len(segs) - 1
        restart = False
        count = 0
        si = 0
        while si <= last_seg:
            d, addr, arg = segs[si]
            is_read = d == "r"
            yield from self._boundary()
            sel = self._address(addr, is_read, restart)
            restart = True
            if not sel:
                tr.error = "address 0x%02x NACKed" % addr
                self._stop()
                return
            if is_read:
                got = bytearray()
                tr.data.append(got)
                total = arg if arg >= 0 else 1
                cut = self._abort_due(tr, count, total > 0 or si < last_seg)
                vals = yield from self._load(tr, sel, addr, 0, self._waits(tr, cut or (
                    tr.abort_after is None and total == 0 and si == last_seg)))
                i = 0
                while not cut and i < total:
                    yield from self._boundary()
                    byte = self._clock_in(tr, sel, vals, addr, i)
                    got.append(byte)
                    i += 1
                    count += 1
                    if arg < 0 and i == 1:
                        if byte > BLOCK_MAX:
                            tr.error = "block count %d out of range 0..%d" % (byte, BLOCK_MAX)
                            tr.data[-1] = bytes(got)
                            self._ack_bit(sel, False)
                            self._stop()
                            return
                        total = 1 + byte + (arg == BLOCK_PEC)
                    last = i >= total
                    self._ack_bit(sel, not last)
                    cut = self._abort_due(tr, count, not last or si < last_seg)
                    if not last:
                        vals = yield from self._load(tr, sel, addr, i, self._waits(tr, cut))
                tr.data[-1] = bytes(got)
            else:
                acked = 0
                tr.acked.append(0)
                cut = self._abort_due(tr, count, len(arg) > 0 or si < last_seg)
                i = 0
                while not cut and i < len(arg):
                    yield from self._boundary()
                    # A controller that vanishes after this byte does not
                    # wait for its ACK.
                    gone = tr.abort == "vanish" and tr.aborted is None and (
                        (tr.abort_after is not None and count + 1 == tr.abort_after)
                        or (tr.abort_after is None and i == len(arg) - 1 and si == last_seg))
                    ack = yield from self._write_byte(tr, sel, arg[i], addr, i, not gone)
                    if gone:
                        count += 1
                        acked += ack
                        tr.acked[-1] = acked
                        tr.aborted = "vanish after %d data bytes" % count
                        self._log("abort", "vanish", count)
                        return
                    count += 1
                    if not ack:
                        tr.error = "data byte %d NACKed" % i
                        self._stop()
                        return
                    acked += 1
                    tr.acked[-1] = acked
                    i += 1
                    cut = self._abort_due(tr, count, i < len(arg) or si < last_seg)
            if cut:
                tr.aborted = "%s after %d data bytes" % (tr.abort, count)
                self._log("abort", tr.abort, count)
                if tr.abort == "restart" and si < last_seg:
                    si += 1
                    continue
                if tr.abort == "vanish":
                    return
                if tr.abort == "bus_error":
                    tr.error = "bus error after %d data bytes" % count
                    self._bus_error()
                    return
                self._stop()
                return
            si += 1
        if tr.abort_after is None and tr.abort == "vanish":
            tr.aborted = "vanish at the end"
            self._log("abort", "vanish", count)
            return
        if tr.abort_after is None and tr.abort == "bus_error":
            tr.aborted = "bus_error at the end"
            tr.error = "bus error after %d data bytes" % count
            self._bus_error()
            return
        self._stop()

    def _waits(self, tr, ending):
        # Does the controller wait for a byte the target is loading?  Not
        # when it is about to vanish or break the bus anyway.
        return not (ending and tr.abort in ("vanish", "bus_error"))

    def _abort_due(self, tr, count, more):
        return tr.abort_after is not None and count == tr.abort_after and more \
            and tr.aborted is None

    # ---- bus steps ------------------------------------------------------------

    def _wait_bus_free(self, tr):
        # A target still holding SCL from an earlier transaction (one whose
        # controller vanished) keeps the bus busy.
        held = self._still_held(self._held)
        if not held:
            return
        if not self.stretching:
            self._fault(tr, "SCL held low by target %s at START: bus busy" % held)
            tr.error = "bus busy: SCL held low by a target"
            return
        waited = 0
        while held:
            yield _WAIT
            waited = self._hold_step(tr, waited)
            held = self._still_held(held)

    def _still_held(self, targets):
        held = []
        for t in targets:
            if self.lib.sim_poll(t) == _SIM_HOLD:
                held.append(t)
            elif t in self._held:
                self._held.remove(t)
        return held

    def _hold_step(self, tr, waited):
        self._advance(self._step_ns)
        waited += self._step_ns
        limit = self.controller_timeout_us
        if limit is not None and waited >= limit * 1000:
            self._fault(tr, "controller gave up: SCL held for %d us" % (waited // 1000))
            raise _ControllerGaveUp("clock stretch timeout: SCL held for %d us" % (waited // 1000))
        return waited

    def _wait_release(self, tr, held, results):
        # Stretching controller: look at the held clock once per pump.
        for t in held:
            if t not in self._held:
                self._held.append(t)
        waited = 0
        while held:
            yield _WAIT
            waited = self._hold_step(tr, waited)
            for t in held[:]:
                r = self.lib.sim_poll(t)
                if r != _SIM_HOLD:
                    results[t] = r
                    held.remove(t)
                    if t in self._held:
                        self._held.remove(t)
        self._log("held", waited // 1000)

    def _address(self, addr, is_read, restart):
        lib = self.lib
        T = self._bit_ns
        self._wave_start()
        self._wave_bits((addr << 1) | (1 if is_read else 0), 8, self._t_ns + T)
        self._advance(9 * T)
        sel = []
        for t in range(self.max_targets):
            if not lib.is_open(t):
                continue
            r = lib.sim_address(t, addr, 1 if is_read else 0, 1 if restart else 0)
            # A new address ends whatever the target was doing, holds included.
            if t in self._held:
                self._held.remove(t)
            if r == _SIM_ACK:
                sel.append(t)
        ack = bool(sel)
        self._wave_bits(0 if ack else 1, 1, self._t_ns)
        self._advance(T)
        self._log("Sr" if restart else "S", addr, "r" if is_read else "w", "ack" if ack else "nack")
        return sel

    def _write_byte(self, tr, sel, byte, addr, index, wait=True):
        lib = self.lib
        T = self._bit_ns
        self._wave_bits(byte, 8, self._t_ns)
        self._advance(8 * T)
        results = {}
        held = []
        for t in sel:
            r = lib.sim_write_byte(t, byte)
            self.bytes_written[t] += 1
            results[t] = r
            if r == _SIM_HOLD:
                held.append(t)
        if held:
            if not wait:
                for t in held:
                    if t not in self._held:
                        self._held.append(t)
                    results[t] = _SIM_NACK
            elif self.stretching:
                try:
                    yield from self._wait_release(tr, held, results)
                except _ControllerGaveUp:
                    self._log("W", byte, "held")
                    raise
            else:
                for t in held:
                    self._held.append(t)
                    results[t] = _SIM_NACK
                self._fault(tr, "write 0x%02x byte %d: SCL held by target, ACK read as NACK, "
                                "byte lost" % (addr, index))
        ack = False
        for t in sel:
            if results[t] == _SIM_ACK:
                ack = True
        self._wave_bits(0 if ack else 1, 1, self._t_ns)
        self._advance(T)
        self._log("W", byte, "ack" if ack else "nack")
        return ack

    def _load(self, tr, sel, addr, index, wait=True):
        # The controller ACKed the address or the previous byte: each target
        # puts its next byte on the bus (or holds SCL until it has one).
        lib = self.lib
        vals = {}
        held = []
        for t in sel:
            if t in self._held:
                # Non-stretching controller went on while t held SCL: if t has
                # let go since, its byte lands in this clock.
                r = lib.sim_poll(t)
                if r == _SIM_HOLD:
                    vals[t] = None
                    continue
                self._held.remove(t)
            else:
                r = lib.sim_read_byte(t)
                if r == _SIM_HOLD:
                    if self.stretching and wait:
                        held.append(t)
                    else:
                        self._held.append(t)
                        vals[t] = None
                    continue
            vals[t] = r
        if held:
            yield from self._wait_release(tr, held, vals)
        for t in sel:
            r = vals[t]
            vals[t] = (r & 0xFF) if (r is not None and r >= _SIM_SENT) else None
        return vals

    def _clock_in(self, tr, sel, vals, addr, index):
        byte = 0xFF
        garbage = False
        for t in sel:
            v = vals[t]
            if v is None:
                garbage = garbage or t in self._held
            else:
                byte &= v
                self.bytes_read[t] += 1
        if garbage:
            self.garbage += 1
            self._fault(tr, "read 0x%02x byte %d: SCL held by target, read 0x%02x" % (
                addr, index, byte))
        self._wave_bits(byte, 8, self._t_ns, masked=garbage)
        self._advance(8 * self._bit_ns)
        self._log("R", byte)
        return byte

    def _ack_bit(self, sel, ack):
        # The controller's ACK (wants more) or NACK (done) of a byte it read.
        lib = self.lib
        if not ack:
            for t in sel:
                if t not in self._held:
                    lib.sim_controller_nack(t)
        self._wave_bits(0 if ack else 1, 1, self._t_ns)
        self._advance(self._bit_ns)
        self._log("ack" if ack else "nack")

    def _stop(self):
        lib = self.lib
        self._wave_stop()
        self._advance(self._bit_ns)
        for t in range(self.max_targets):
            if lib.is_open(t):
                lib.sim_stop(t)
                if t in self._held:
                    self._held.remove(t)
        self._log("P")

    def _bus_error(self):
        lib = self.lib
        for t in range(self.max_targets):
            if lib.is_open(t):
                lib.sim_bus_error(t)
                if t in self._held:
                    self._held.remove(t)
        self._advance(self._bit_ns)
        self._log("bus_error")

    # ---- waveform -------------------------------------------------------------
    # A bit cell of T ns: SDA changes at T/4 (SCL low), SCL rises at T/2 and
    # falls at T.  A target holding SCL simply delays the next cell.

    def _set(self, t_ns, scl, sda):
        if scl != self._scl or sda != self._sda:
            self._scl = scl
            self._sda = sda
            if self.record:
                self.wave.append((t_ns, scl, sda))

    def _wave_start(self):
        t = self._t_ns
        q = self._bit_ns // 4
        if self._scl == 0 or self._sda == 0:
            # Repeated START: release SDA while SCL is low, then raise SCL.
            self._set(t, 0, 1)
            self._set(t + q, 1, 1)
        self._set(t + 2 * q, 1, 0)
        self._set(t + 3 * q, 0, 0)

    def _wave_stop(self):
        t = self._t_ns
        q = self._bit_ns // 4
        self._set(t, 0, 0)
        self._set(t + q, 1, 0)
        self._set(t + 2 * q, 1, 1)

    def _wave_bits(self, value, nbits, t, masked=False):
        q = self._bit_ns // 4
        for k in range(nbits - 1, -1, -1):
            bit = (value >> k) & 1
            self._set(t + q, 0, bit)
            if not masked:  # a target holding SCL hides the controller's clock
                self._set(t + 2 * q, 1, bit)
                self._set(t + 4 * q, 0, bit)
            t += 4 * q

    def vcd(self, path):
        """Write the SCL/SDA trace as a VCD file (sigrok-cli -I vcd -P i2c)."""
        wave = self.wave
        if not self.record:
            raise RuntimeError("this bus was created with record=False: no trace")
        # Coarsest power-of-ten timescale that keeps every change exact.
        scale = 1
        while scale < 1000000:
            nxt = scale * 10
            ok = True
            for entry in wave:
                if entry[0] % nxt:
                    ok = False
                    break
            if not ok:
                break
            scale = nxt
        units = {1: "1 ns", 10: "10 ns", 100: "100 ns", 1000: "1 us", 10000: "10 us",
                 100000: "100 us", 1000000: "1 ms"}
        out = ["$timescale %s $end" % units[scale], "$scope module i2c $end",
               "$var wire 1 ! scl $end", "$var wire 1 \" sda $end", "$upscope $end",
               "$enddefinitions $end"]
        last = None
        for t_ns, scl, sda in wave:
            stamp = t_ns // scale
            if stamp != last:
                out.append("#%d" % stamp)
                last = stamp
            out.append("%d!" % scl)
            out.append("%d\"" % sda)
        end = (self._t_ns + self._bit_ns) // scale
        if last is None or end > last:
            out.append("#%d" % end)
        with open(path, "w") as f:
            f.write("\n".join(out) + "\n")
        return path


def _decode_last(tr):
    return tr.data[-1] if tr.data else b""


def _decode_byte(tr):
    return tr.data[-1][0]


def _decode_word(tr):
    d = tr.data[-1]
    return d[0] | (d[1] << 8)


def _decode_block(tr):
    return bytes(tr.data[-1][1:])


def _default_backend():
    import i2cperipheral
    return i2cperipheral._backend()


_bus = None


def bus():
    """The default simulated bus (created on first use)."""
    global _bus
    if _bus is None:
        _bus = SimBus()
    return _bus


def reset(**options):
    """Replace the default bus with a new one made with these options
    (see SimBus) and return it."""
    global _bus
    _bus = None
    _bus = SimBus(**options)
    return _bus
