"""Random bus event sequences against the engine, with the invariants every
run must keep: no byte lost or invented, every segment closed, counters add up."""
from hypothesis import given, settings, strategies as st

from i2cperipheral import _host
from test_engine import (ACK, NACK, HOLD, SENT, SEG_READ, E_NOENT, BYTES_IN, BYTES_OUT,
                         NACKS, FILLER, RX_DROPPED, counters)

ADDRESSES = (0x40, 0x41)
REG_ADDRESS = 0x41


class Controller:
    """A stretching controller that keeps to the protocol, except when the
    fuzzer makes it abort (STOP or bus error while the target holds SCL)."""

    def __init__(self, lib, t, mem):
        self.lib, self.t, self.mem = lib, t, mem
        self.segment = None       # dict of the segment on the bus, or None
        self.held = False
        self.written = 0          # data bytes the controller clocked in
        self.read_confirmed = 0   # bytes read that were then ACKed or NACKed
        self.pending_read = None  # the byte read last, not yet ACK/NACKed
        self.segments = []        # request-mode segments, bus order

    def resolve(self, result):
        self.held = result == HOLD
        return result

    def start(self, address, is_read):
        restart = self.segment is not None
        self.confirm_read(ack=False)
        r = self.lib.sim_address(self.t, address, is_read, restart)
        self.held = False
        if r == NACK:
            self.stop()
            return
        self.segment = {"address": address, "read": is_read, "wrote": bytearray(),
                        "got": bytearray(), "register": address == REG_ADDRESS}
        if not self.segment["register"]:
            self.segments.append(self.segment)

    def write(self, byte):
        self.written += 1
        self.segment["wrote"].append(byte)
        r = self.resolve(self.lib.sim_write_byte(self.t, byte))
        if r == NACK:
            self.stop()

    def read(self):
        self.confirm_read(ack=True)
        r = self.resolve(self.lib.sim_read_byte(self.t))
        if r != HOLD:
            self.pending_read = r & 0xFF

    def poll(self):
        r = self.resolve(self.lib.sim_poll(self.t))
        if r == HOLD:
            return
        if self.segment and self.segment["read"]:
            self.pending_read = r & 0xFF
        elif r == NACK:
            self.stop()

    def confirm_read(self, ack):
        if self.pending_read is None:
            return
        self.read_confirmed += 1
        self.segment["got"].append(self.pending_read)
        self.pending_read = None
        if not ack:
            self.lib.sim_controller_nack(self.t)

    def stop(self, error=False):
        self.confirm_read(ack=False)
        if error:
            self.lib.sim_bus_error(self.t)
        else:
            self.lib.sim_stop(self.t)
        self.segment = None
        self.held = False


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_random_bus_keeps_invariants(data):
    lib = _host.load()
    for t in range(2):
        if lib.is_open(t):
            lib.close(t)
    t = 0
    assert lib.open(t, 5, 4, bytes(ADDRESSES), 0) == 0
    mem = bytearray(range(0x80, 0x90))
    lib.set_regmap(t, REG_ADDRESS, mem, 0)
    max_stretch = data.draw(st.sampled_from([0, 300]))
    lib.configure(t, 0, max_stretch)
    now = 0
    lib.sim_set_time(0)
    c = Controller(lib, t, mem)
    python_got = {}           # id(segment dict) -> bytes Python read
    python_sent = []          # bytes Python queued per read segment, by order
    head = 0                  # index into c.segments of Python's head segment
    data_bytes = st.integers(0, 0xFE)   # 0xFF is kept for filler

    for _ in range(data.draw(st.integers(10, 80))):
        side = data.draw(st.sampled_from(["controller", "python", "time"]))
        if side == "time":
            now += data.draw(st.integers(0, 400))
            lib.sim_set_time(now)
            lib.service(t)
            if c.held:
                c.poll()
            continue
        if side == "controller":
            if c.held:
                action = data.draw(st.sampled_from(["poll", "poll", "abort", "error"]))
            elif c.segment is None:
                action = "start"
            else:
                action = data.draw(st.sampled_from(["data", "data", "data", "stop", "start", "error"]))
            if action == "poll":
                c.poll()
            elif action in ("abort", "stop"):
                c.stop()
            elif action == "error":
                c.stop(error=True)
            elif action == "start":
                c.start(data.draw(st.sampled_from(ADDRESSES + (0x50,))), data.draw(st.booleans()))
            elif c.segment["read"]:
                c.read()
            else:
                c.write(data.draw(data_bytes))
            continue
        # Python's side, on the head segment
        v = lib.request(t)
        if v == E_NOENT:
            continue
        seg = c.segments[head]
        assert v & 0x7F == seg["address"] and bool(v & SEG_READ) == seg["read"]
        op = data.draw(st.sampled_from(["want", "take", "put", "ack", "close"]))
        if op == "want" and not seg["read"]:
            lib.rx_want(t, data.draw(st.integers(-1, 5)), data.draw(st.booleans()))
        elif op == "take":
            buf = bytearray(8)
            k = lib.rx_take(t, buf)
            python_got.setdefault(id(seg), bytearray()).extend(buf[:k])
        elif op == "put" and seg["read"]:
            chunk = bytes(data.draw(st.lists(data_bytes, max_size=4)))
            k = lib.tx_put(t, chunk)
            if k > 0:
                python_sent.append((id(seg), chunk[:k]))
        elif op == "ack":
            lib.ack(t, data.draw(st.booleans()))
        elif op == "close":
            buf = bytearray(256)
            k = lib.rx_take(t, buf)
            python_got.setdefault(id(seg), bytearray()).extend(buf[:k])
            lib.seg_close(t)
            head += 1
        if c.held:
            c.poll()

    # Wind down: the controller aborts whatever it does, Python closes all.
    c.stop()
    while lib.request(t) != E_NOENT:
        seg = c.segments[head]
        buf = bytearray(256)
        k = lib.rx_take(t, buf)
        python_got.setdefault(id(seg), bytearray()).extend(buf[:k])
        lib.seg_close(t)
        head += 1
    assert head == len(c.segments)                     # every segment was seen and closed

    n = counters(lib, t)
    # Every byte the controller wrote was delivered and ACKed, NACKed, or counted dropped.
    assert n[BYTES_IN] + n[NACKS] + n[RX_DROPPED] == c.written
    # Every byte the controller read came from Python, the memory, or is counted filler.
    assert n[BYTES_OUT] + n[FILLER] == c.read_confirmed
    for seg in c.segments:
        got = bytes(python_got.get(id(seg), b""))
        if not seg["read"]:
            # Python saw exactly a prefix of what the controller wrote.
            assert bytes(seg["wrote"][:len(got)]) == got
        else:
            sent = b"".join(chunk for sid, chunk in python_sent if sid == id(seg))
            real = bytes(b for b in seg["got"] if b != 0xFF)
            assert sent[:len(real)] == real              # in order, nothing invented
    lib.close(t)
