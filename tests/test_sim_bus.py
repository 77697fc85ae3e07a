# The controller-side bus simulator (python/i2cperipheral/sim.py) against the
# real engine + sim port (host library through ctypes).  Targets are driven
# through the flat functions directly: register mode needs no Python, and
# request mode is serviced by a small handler the bus calls after each pump.
#
# After every test the byte accounting must balance, counted from the bus
# trace (independent of the bus's own tallies):
#   data bytes the controller wrote == BYTES_IN + NACKS + RX_DROPPED
#   data bytes the controller read  == BYTES_OUT + FILLER + garbage reads
import pytest

from i2cperipheral import _host, sim

SEG_READ = 0x0100
SEG_RESTART = 0x0200
SEG_ENDED = 0x0400
SEG_CLOSED = 0x0800
SEG_CTRL_NACK = 0x4000
SEG_TIMEOUT = 0x8000
SEG_BUS_ERROR = 0x10000
E_NOENT = -4

CNT = dict(bytes_in=0, bytes_out=1, nacks=2, filler=3, timeouts=4, bus_errors=5, overruns=6,
           rx_dropped=7, tx_unsent=8, segments=9, address_nacks=10, register_writes=11)
CFG_MAX_STRETCH_US = 0
MAX_TARGETS = 2


def counters(lib, t):
    return dict((name, lib.counter(t, i)) for name, i in CNT.items())


class World:
    """Open targets and buses of one test; checks the accounting at the end."""

    def __init__(self, lib):
        self.lib = lib
        self.buses = []
        self.check = True

    def bus(self, **options):
        b = sim.SimBus(lib=self.lib, max_targets=MAX_TARGETS, **options)
        self.buses.append(b)
        return b

    def open(self, t, addresses, max_stretch_us=0):
        assert self.lib.open(t, 10 + 2 * t, 11 + 2 * t, bytes(addresses), 0) == 0
        assert self.lib.configure(t, CFG_MAX_STRETCH_US, max_stretch_us) == 0
        return t

    def regmap(self, t, address, size=256, flags=0):
        mem = bytearray((i * 7 + 3) & 0xFF for i in range(size))
        assert self.lib.set_regmap(t, address, mem, flags) == 0
        return mem

    def balance(self):
        """All buses of this test since the targets were opened."""
        lib = self.lib
        wrote = read = garbage = 0
        for b in self.buses:
            w = sum(1 for e in b.trace if e[1] == "W")
            r = sum(1 for e in b.trace if e[1] == "R")
            # the trace agrees with the bus's own per-target tallies
            assert sum(b.bytes_written) == w
            assert sum(b.bytes_read) + b.garbage == r
            wrote += w
            read += r
            garbage += b.garbage
        opened = [t for t in range(MAX_TARGETS) if lib.is_open(t)]
        got_in = sum(lib.counter(t, CNT["bytes_in"]) + lib.counter(t, CNT["nacks"])
                     + lib.counter(t, CNT["rx_dropped"]) for t in opened)
        got_out = sum(lib.counter(t, CNT["bytes_out"]) + lib.counter(t, CNT["filler"])
                      for t in opened)
        assert (wrote, read) == (got_in, got_out + garbage), (
            "accounting: controller wrote %d read %d; targets took %d supplied %d "
            "(+%d garbage)" % (wrote, read, got_in, got_out, garbage))


@pytest.fixture
def world():
    lib = _host.load()
    for t in range(MAX_TARGETS):
        if lib.is_open(t):
            lib.close(t)
    w = World(lib)
    yield w
    try:
        if w.check:
            w.balance()
    finally:
        for t in range(MAX_TARGETS):
            if lib.is_open(t):
                lib.close(t)


class Handler:
    """Request-mode target code: records every segment, answers reads with
    reply(handler) (default: the bytes of `replies` in turn).  latency: pumps
    to wait before looking at a new segment (a slow program)."""

    def __init__(self, lib, t, replies=(), reply=None, latency=0):
        self.lib = lib
        self.t = t
        self.replies = list(replies)
        self.reply = reply
        self.latency = latency
        self.segments = []
        self.cur = None
        self.waited = 0

    def next_reply(self):
        if self.reply is not None:
            return self.reply(self)
        return self.replies.pop(0) if self.replies else b""

    def __call__(self, bus):
        lib, t = self.lib, self.t
        for _ in range(16):
            st = lib.request(t)
            if st == E_NOENT:
                return
            assert st >= 0
            cur = self.cur
            if cur is None:
                if self.waited < self.latency:
                    self.waited += 1
                    return
                self.waited = 0
                cur = self.cur = dict(address=st & 0x7F, read=bool(st & SEG_READ),
                                      restart=bool(st & SEG_RESTART), data=bytearray())
                self.segments.append(cur)
                if cur["read"]:
                    out = self.next_reply()
                    cur["offered"] = out
                    if out:
                        cur["queued"] = lib.tx_put(t, out)
                        assert 0 <= cur["queued"] <= len(out)
                else:
                    assert lib.rx_want(t, -1, 1) == 0
            n = 0
            if not cur["read"]:
                buf = bytearray(64)
                n = lib.rx_take(t, buf)
                assert n >= 0
                cur["data"] += buf[:n]
            if n > 0:
                continue
            st = lib.request(t)
            if st & SEG_ENDED:
                if not cur["read"]:  # bytes may have come in since rx_take
                    buf = bytearray(64)
                    n = lib.rx_take(t, buf)
                    cur["data"] += buf[:n]
                    if n:
                        continue
                cur["flags"] = st
                if cur["read"]:
                    cur["sent"] = lib.tx_sent(t)
                assert lib.seg_close(t) == 0
                self.cur = None
                continue
            return

    def shapes(self):
        return [(s["address"], "r" if s["read"] else "w", s["restart"], bytes(s["data"]))
                for s in self.segments]


def wire(bus):
    """The bus trace without times."""
    return [e[1:] for e in bus.trace]


# ---- register mode: each SMBus shape, bytes on the wire -------------------------

def test_smbus_shapes_register_mode_wire_bytes(world):
    t = world.open(0, [0x40])
    mem = world.regmap(t, 0x40)
    mem[0x72] = 2  # the block the block process call reads back
    bus = world.bus()
    q = bus.quick(0x40)
    qr = bus.quick(0x40, read=True)
    wb = bus.write_byte(0x40, 0x10)
    rb = bus.read_byte(0x40)
    wbd = bus.write_byte_data(0x40, 0x20, 0x5A)
    rbd = bus.read_byte_data(0x40, 0x20)
    wwd = bus.write_word_data(0x40, 0x30, 0xBEEF)
    rwd = bus.read_word_data(0x40, 0x30)
    wbl = bus.write_block_data(0x40, 0x50, b"\x01\x02\x03")
    rbl = bus.read_block_data(0x40, 0x50)
    pc = bus.process_call(0x40, 0x60, 0x1234)
    bpc = bus.block_process_call(0x40, 0x70, b"\x09")
    bus.run()
    for tr in (q, qr, wb, rb, wbd, rbd, wwd, rwd, wbl, rbl, pc, bpc):
        assert tr.done and tr.error is None and tr.faults == [], tr
    assert rb.value == mem[0x10] and rb.data == [bytes([mem[0x10]])]
    assert mem[0x20] == 0x5A and rbd.value == 0x5A
    assert mem[0x30:0x32] == b"\xef\xbe" and rwd.value == 0xBEEF  # little-endian
    assert mem[0x50:0x54] == b"\x03\x01\x02\x03"                   # count byte first
    assert rbl.value == b"\x01\x02\x03" and rbl.data == [b"\x03\x01\x02\x03"]
    assert mem[0x60:0x62] == b"\x34\x12"
    assert pc.value == mem[0x62] | mem[0x63] << 8                  # pointer moved on
    assert mem[0x70:0x72] == b"\x01\x09"
    assert bpc.value == bytes(mem[0x73:0x73 + mem[0x72]])
    w = wire(bus)
    # exact wire shape of the read-word-data: write cmd, repeated START, 2 bytes, NACK, STOP
    i = w.index(("S", 0x40, "w", "ack"), w.index(("W", 0xEF, "ack")))
    assert w[i:i + 9] == [("S", 0x40, "w", "ack"), ("W", 0x30, "ack"),
                          ("Sr", 0x40, "r", "ack"), ("R", 0xEF), ("ack",), ("R", 0xBE),
                          ("nack",), ("P",), ("S", 0x40, "w", "ack")]
    assert w[:2] == [("S", 0x40, "w", "ack"), ("P",)]  # quick write: address only
    assert w[2:4] == [("S", 0x40, "r", "ack"), ("P",)]  # quick read
    assert bus.faults == []


def test_i2cget_i2cset_shapes(world):
    t = world.open(0, [0x40])
    mem = world.regmap(t, 0x40, size=16)
    bus = world.bus()
    g0 = bus.i2cget(0x40, 0x01)
    s = bus.i2cset(0x40, 0x01, 0xAA)
    g1 = bus.i2cget(0x40, 0x01)
    sw = bus.i2cset(0x40, 0x04, 0x1234, mode="w")
    gw = bus.i2cget(0x40, 0x04, mode="w")
    plain = bus.i2cget(0x40)
    bus.run()
    assert g0.value == (1 * 7 + 3) and g1.value == 0xAA and mem[1] == 0xAA
    assert gw.value == 0x1234 and mem[4:6] == b"\x34\x12"
    assert plain.value == mem[6]  # the pointer after the word read
    assert s.acked == [2] and sw.acked == [3]
    assert g1.result() == 0xAA
    assert wire(bus)[:6] == [("S", 0x40, "w", "ack"), ("W", 1, "ack"), ("Sr", 0x40, "r", "ack"),
                             ("R", 10), ("nack",), ("P",)]


def test_transfer_segment_list_and_controller_nacks_last_read_byte(world):
    t = world.open(0, [0x40])
    mem = world.regmap(t, 0x40, size=32)
    bus = world.bus()
    tr = bus.transfer([("w", 0x40, b"\x02"), ("r", 0x40, 3), ("w", 0x40, b"\x08\xAB"),
                       ("r", 0x40, 1)])
    bus.run()
    assert tr.error is None
    assert tr.data == [bytes(mem[2:5]), bytes(mem[9:10])]
    assert tr.acked == [1, 2] and mem[8] == 0xAB
    w = wire(bus)
    assert [e[0] for e in w if e[0] in ("S", "Sr", "P")] == ["S", "Sr", "Sr", "Sr", "P"]
    # ACK after every read byte but the last of each read segment
    assert [e[0] for e in w if e[0] in ("ack", "nack")] == ["ack", "ack", "nack", "nack"]
    c = counters(world.lib, t)
    assert c["bytes_out"] == 4 and c["filler"] == 0 and c["segments"] == 4


# ---- request mode: the target's Python code answers while the clock is held -----

def test_smbus_shapes_request_mode_as_the_target_sees_them(world):
    t = world.open(0, [0x40])
    h = Handler(world.lib, t, replies=[b"\x11", b"\x22", b"\x33\x44", b"\x02\xAA\xBB",
                                       b"\x55\x66", b"\x01\x77", b"\x88"])
    bus = world.bus()
    bus.add_handler(h)
    trs = [bus.quick(0x40), bus.write_byte(0x40, 0x01), bus.read_byte(0x40),
           bus.write_byte_data(0x40, 0x02, 0x03), bus.read_byte_data(0x40, 0x04),
           bus.write_word_data(0x40, 0x05, 0x0706), bus.read_word_data(0x40, 0x08),
           bus.write_block_data(0x40, 0x09, b"\xA1\xA2"), bus.read_block_data(0x40, 0x0A),
           bus.process_call(0x40, 0x0B, 0x0D0C), bus.block_process_call(0x40, 0x0E, b"\xF1"),
           bus.i2cget(0x40)]
    bus.run()
    for tr in trs:
        assert tr.error is None and not tr.faults, tr
    assert [tr.value for tr in trs] == [None, None, 0x11, None, 0x22, None, 0x4433, None,
                                       b"\xAA\xBB", 0x6655, b"\x77", 0x88]
    assert h.shapes() == [
        (0x40, "w", False, b""),
        (0x40, "w", False, b"\x01"),
        (0x40, "r", False, b""),
        (0x40, "w", False, b"\x02\x03"),
        (0x40, "w", False, b"\x04"), (0x40, "r", True, b""),
        (0x40, "w", False, b"\x05\x06\x07"),
        (0x40, "w", False, b"\x08"), (0x40, "r", True, b""),
        (0x40, "w", False, b"\x09\x02\xA1\xA2"),
        (0x40, "w", False, b"\x0A"), (0x40, "r", True, b""),
        (0x40, "w", False, b"\x0B\x0C\x0D"), (0x40, "r", True, b""),
        (0x40, "w", False, b"\x0E\x01\xF1"), (0x40, "r", True, b""),
        (0x40, "r", False, b""),
    ]
    # the controller NACKed the last byte of every read: the target sees it
    reads = [s for s in h.segments if s["read"]]
    assert all(s["flags"] & SEG_CTRL_NACK for s in reads)
    assert [s["sent"] for s in reads] == [1, 1, 2, 3, 2, 2, 1]
    assert counters(world.lib, t)["timeouts"] == 0
    assert any(e[1] == "held" for e in bus.trace)  # the clock really was stretched


def test_unknown_address_is_nacked(world):
    t = world.open(0, [0x40])
    world.regmap(t, 0x40)
    bus = world.bus()
    r = bus.read_byte(0x41)
    w = bus.write_byte_data(0x42, 1, 2)
    ok = bus.read_byte(0x40)
    second = bus.transfer([("w", 0x40, b"\x00"), ("r", 0x43, 1)])
    bus.run()
    assert r.error == "address 0x41 NACKed" and r.data == [] and r.value is None
    assert w.error == "address 0x42 NACKed" and w.acked == []
    assert ok.error is None
    assert second.error == "address 0x43 NACKed" and second.acked == [1]
    with pytest.raises(OSError, match="address 0x41 NACKed"):
        r.result()
    assert counters(world.lib, t)["address_nacks"] == 3
    assert wire(bus)[:2] == [("S", 0x41, "r", "nack"), ("P",)]


def test_nobody_on_the_bus(world):
    bus = world.bus()
    tr = bus.write(0x50, b"\x01")
    bus.run()
    assert tr.error == "address 0x50 NACKed"


def test_two_targets_each_answer_their_own_address(world):
    a = world.open(0, [0x40])
    mem = world.regmap(a, 0x40, size=8)
    b = world.open(1, [0x41, 0x42])
    h = Handler(world.lib, b, replies=[b"\x99"])
    bus = world.bus()
    bus.add_handler(h)
    t1 = bus.write(0x42, b"\x01\x02")
    t2 = bus.read_byte_data(0x40, 3)
    t3 = bus.read(0x41, 1)
    bus.run()
    assert (t1.error, t2.value, t3.value) == (None, mem[3], b"\x99")
    assert h.shapes() == [(0x42, "w", False, b"\x01\x02"), (0x41, "r", False, b"")]
    assert counters(world.lib, a)["segments"] == 2 and counters(world.lib, b)["segments"] == 2


def test_two_targets_on_one_address_share_the_wires(world):
    # both ACK; a read is the wired AND of what they drive; both store a write
    a = world.open(0, [0x40])
    mem_a = world.regmap(a, 0x40, size=4)
    b = world.open(1, [0x40])
    mem_b = world.regmap(b, 0x40, size=4)
    mem_a[:] = b"\xF0\x0F\xFF\x00"
    mem_b[:] = b"\x3C\x3C\x81\xFF"
    bus = world.bus()
    r = bus.write_read(0x40, b"\x00", 4)
    w = bus.write(0x40, b"\x01\x55")
    bus.run()
    assert r.value == b"\x30\x0C\x81\x00"
    assert w.acked == [2] and mem_a[1] == mem_b[1] == 0x55
    assert bus.bytes_written == [3, 3] and bus.bytes_read == [4, 4]
    # each wire byte reached two targets: balance per target, not per wire byte
    for t in (a, b):
        assert bus.counter_balance(t) == (3, 3, 4, 4)
    world.check = False


# ---- stretching and non-stretching controllers ------------------------------------

def test_non_stretching_controller_breaks_request_mode_visibly(world):
    t = world.open(0, [0x40])
    h = Handler(world.lib, t, replies=[b"\x11\x22", b"\x33"])
    bus = world.bus(stretching=False)
    bus.add_handler(h)
    w = bus.write(0x40, b"\xDE\xAD")
    r = bus.read(0x40, 2)
    g = bus.i2cget(0x40, 0x01)
    bus.run()
    # the first written byte waits for the program: the controller reads NACK
    assert w.error == "data byte 0 NACKed" and w.acked == [0]
    assert w.faults and "ACK read as NACK" in w.faults[0]
    assert h.shapes()[0] == (0x40, "w", False, b"")  # the byte is lost
    # nothing to read yet: garbage 0xFF for every byte
    assert r.error is None and r.data == [b"\xFF\xFF"]
    assert len(r.faults) == 2 and "read 0xff" in r.faults[0]
    assert g.error == "data byte 0 NACKed" and g.value is None
    assert bus.garbage == 2 and len(bus.faults) == 4
    c = counters(world.lib, t)
    assert c["rx_dropped"] == 2 and c["bytes_out"] == 0 and c["bytes_in"] == 0
    assert h.segments[1]["sent"] == 0  # write() would return 0: the program can tell
    assert bus.counter_balance(t) == (2, 2, 0, 0)  # 2 bytes lost, 2 reads were garbage


def test_non_stretching_controller_even_a_fast_program_loses_reads(world):
    # atomic=False: the program runs between any two bus steps (faster than a
    # byte time).  Writes then pass, but the first byte of a read is due right
    # after the address ACK: too early for any program.
    t = world.open(0, [0x40])
    h = Handler(world.lib, t, replies=[b"\x11\x22"])
    bus = world.bus(stretching=False, atomic=False)
    bus.add_handler(h)
    w = bus.write(0x40, b"\xDE\xAD")
    r = bus.read(0x40, 2)
    bus.run()
    assert w.error is None and w.acked == [2] and not w.faults
    # garbage first, then the program's first byte, one clock late
    assert r.error is None and r.data == [b"\xFF\x11"]
    assert r.faults and "read 0xff" in r.faults[0]
    assert bus.garbage == 1
    c = counters(world.lib, t)
    assert c["bytes_out"] == 1 and c["tx_unsent"] == 1


def test_stretching_controller_same_handler_passes(world):
    t = world.open(0, [0x40])
    h = Handler(world.lib, t, replies=[b"\x11\x22"], latency=3)
    bus = world.bus(stretching=True)
    bus.add_handler(h)
    w = bus.write(0x40, b"\xDE\xAD")
    r = bus.read(0x40, 2)
    bus.run()
    assert (w.error, w.acked, r.error, r.data) == (None, [2], None, [b"\x11\x22"])
    assert bus.faults == [] and bus.garbage == 0
    assert h.segments[0]["data"] == b"\xDE\xAD"
    holds = [e[2] for e in bus.trace if e[1] == "held"]
    assert len(holds) == 2 and all(us > 0 for us in holds)


def test_non_stretching_controller_register_mode_passes(world):
    t = world.open(0, [0x40])
    mem = world.regmap(t, 0x40, size=64)
    bus = world.bus(stretching=False, clock_hz=400000)
    trs = [bus.i2cset(0x40, 5, 0x42), bus.i2cget(0x40, 5), bus.write_block_data(0x40, 8, b"xyz"),
           bus.read_block_data(0x40, 8), bus.read(0x40, 40)]
    bus.run()
    assert [tr.error for tr in trs] == [None] * 5
    assert trs[1].value == 0x42 and trs[3].value == b"xyz"
    assert bus.faults == [] and bus.garbage == 0
    assert len(trs[4].data[0]) == 40
    c = counters(world.lib, t)
    assert c["nacks"] == 0 and c["filler"] == 0 and c["timeouts"] == 0


# ---- the engine's maximum stretch time -----------------------------------------------

def test_stretch_timeout_released_by_engine(world):
    t = world.open(0, [0x40], max_stretch_us=1000)
    bus = world.bus(stretch_step_us=50)
    w = bus.write(0x40, b"\x01\x02")   # nobody reads: the engine NACKs after 1 ms
    r = bus.read(0x40, 3)              # nobody writes: 0xFF filler after 1 ms
    bus.run(max_steps=1000)
    assert w.error == "data byte 0 NACKed"
    assert 1000 <= w.end_us - w.start_us <= 1000 + 50 + 3 * bus.byte_time_us()
    assert r.error is None and r.data == [b"\xFF\xFF\xFF"]
    c = counters(world.lib, t)
    assert c["timeouts"] == 2 and c["nacks"] == 1 and c["filler"] == 3
    st = world.lib.request(t)
    assert st & SEG_TIMEOUT and st & SEG_ENDED and not st & SEG_READ
    assert world.lib.seg_close(t) == 0
    assert world.lib.request(t) & SEG_TIMEOUT
    # the target's program never ran: close its queue so accounting can finish
    assert world.lib.seg_close(t) == 0


def test_hold_forever_is_reported_by_run(world):
    world.open(0, [0x40], max_stretch_us=0)  # hold forever
    bus = world.bus()
    bus.write(0x40, b"\x01")
    with pytest.raises(sim.SimulationStuck, match="SCL held by target \\[0\\]"):
        bus.run(max_steps=200)
    world.check = False  # the held byte is, by design, unaccounted


def test_controller_timeout_gives_up(world):
    t = world.open(0, [0x40], max_stretch_us=800)
    bus = world.bus(controller_timeout_us=500, stretch_step_us=100)
    tr = bus.write(0x40, b"\x01")
    after = bus.quick(0x40)
    bus.run(max_steps=1000)
    assert tr.error == "clock stretch timeout: SCL held for 500 us" and tr.faults
    # the next transaction waits at START until the target's own limit frees SCL
    assert after.start_us < 800 + 90 <= after.end_us
    assert after.error is None
    c = counters(world.lib, t)
    assert c["timeouts"] == 1 and c["nacks"] == 1
    world.lib.seg_close(t)
    world.lib.seg_close(t)


# ---- fault shapes -------------------------------------------------------------------

def test_stop_in_the_middle_of_a_write(world):
    t = world.open(0, [0x40])
    h = Handler(world.lib, t)
    bus = world.bus()
    bus.add_handler(h)
    tr = bus.write(0x40, b"\x01\x02\x03\x04", abort_after=2)
    bus.run()
    assert tr.error is None and tr.aborted == "stop after 2 data bytes" and tr.acked == [2]
    assert h.shapes() == [(0x40, "w", False, b"\x01\x02")]
    assert [e[0] for e in wire(bus)] == ["S", "W", "W", "abort", "P"]


def test_stop_in_the_middle_of_a_read(world):
    t = world.open(0, [0x40])
    h = Handler(world.lib, t, replies=[b"\x10\x20\x30\x40"])
    bus = world.bus()
    bus.add_handler(h)
    tr = bus.read(0x40, 4, abort_after=2)
    bus.run()
    assert tr.data == [b"\x10\x20"] and tr.aborted
    assert h.segments[0]["sent"] == 2  # write() would return 2
    c = counters(world.lib, t)
    # the third byte was loaded when the controller ACKed the second, never clocked
    assert c["bytes_out"] == 2 and c["tx_unsent"] == 2


def test_repeated_start_in_the_middle_of_a_segment(world):
    t = world.open(0, [0x40])
    h = Handler(world.lib, t, replies=[b"\x77"])
    bus = world.bus()
    bus.add_handler(h)
    tr = bus.transfer([("w", 0x40, b"\x01\x02\x03"), ("r", 0x40, 1)], abort_after=1,
                      abort="restart")
    bus.run()
    assert tr.error is None and tr.data == [b"\x77"] and tr.acked == [1]
    assert h.shapes() == [(0x40, "w", False, b"\x01"), (0x40, "r", True, b"")]


def test_bus_error_mid_segment(world):
    t = world.open(0, [0x40])
    h = Handler(world.lib, t)
    bus = world.bus()
    bus.add_handler(h)
    tr = bus.write(0x40, b"\x01\x02\x03", abort_after=1, abort="bus_error")
    bus.run()
    assert tr.error == "bus error after 1 data bytes"
    assert h.segments[0]["flags"] & SEG_BUS_ERROR and h.segments[0]["data"] == b"\x01"
    assert counters(world.lib, t)["bus_errors"] == 1


def test_controller_vanishes_then_time_passes(world):
    t = world.open(0, [0x40], max_stretch_us=2000)
    bus = world.bus(stop_when_idle=False, stretch_step_us=100)
    tr = bus.write(0x40, b"\x01", abort="vanish")  # gone after the data bits: no ACK, no STOP
    bus.run()
    assert tr.done and tr.aborted == "vanish after 1 data bytes"
    assert not any(e[1] == "P" for e in bus.trace)
    # the byte is held (no program), the controller is gone: only time passes
    assert world.lib.sim_poll(t) == 2
    for _ in range(25):
        assert bus.pump() is False
    assert bus.now_us() >= 2000
    c = counters(world.lib, t)
    assert c["timeouts"] == 1 and c["nacks"] == 1  # the engine let go by itself
    assert world.lib.sim_poll(t) != 2
    st = world.lib.request(t)
    assert st & SEG_TIMEOUT and not st & SEG_ENDED  # no STOP ever came
    assert world.lib.seg_close(t) == 0


def test_vanished_controller_segment_ends_at_next_start(world):
    t = world.open(0, [0x40])
    mem = world.regmap(t, 0x40, size=16)
    bus = world.bus()
    gone = bus.write(0x40, b"\x03\x99\x98\x97", abort_after=2, abort="vanish")
    tr = bus.read_byte_data(0x40, 3)
    bus.run()
    assert gone.aborted == "vanish after 2 data bytes" and mem[3] == 0x99
    assert mem[4] == (4 * 7 + 3)  # the rest never came
    assert tr.value == 0x99
    assert [e[1] for e in bus.trace].count("P") == 1


def test_non_stretching_controller_against_held_bus_at_start(world):
    t = world.open(0, [0x40], max_stretch_us=0)
    bus = world.bus(stretching=False)
    h = Handler(world.lib, t, latency=10 ** 6)  # a program that never answers
    bus.add_handler(h)
    bus.read(0x40, 1, abort_after=0, abort="vanish")  # target holds for its first byte
    nxt = bus.write(0x40, b"\x01")
    bus.run()
    assert nxt.error == "bus busy: SCL held low by a target" and nxt.faults
    world.check = False  # a byte stays held forever by design


def test_block_read_count_out_of_range(world):
    t = world.open(0, [0x40])
    mem = world.regmap(t, 0x40, size=16)
    mem[5] = 40
    bus = world.bus()
    tr = bus.read_block_data(0x40, 5)
    bus.run()
    assert tr.error == "block count 40 out of range 0..32" and tr.value is None
    assert wire(bus)[-3:] == [("R", 40), ("nack",), ("P",)]


# ---- the simulator itself ------------------------------------------------------------

def run_scenario(world, stretching):
    for t in range(MAX_TARGETS):
        if world.lib.is_open(t):
            world.lib.close(t)
    world.buses = []  # counters start again with the targets
    a = world.open(0, [0x40], max_stretch_us=300)
    world.regmap(a, 0x40, size=32)
    b = world.open(1, [0x41], max_stretch_us=300)
    h = Handler(world.lib, b, reply=lambda hd: bytes([len(hd.segments)]) * 3, latency=2)
    bus = world.bus(stretching=stretching)
    bus.add_handler(h)
    bus.i2cset(0x40, 1, 0x55)
    bus.i2cget(0x40, 1)
    bus.write_read(0x41, b"\x01\x02", 3)
    bus.read_block_data(0x41, 0)
    bus.write(0x41, b"\x05\x06", abort_after=1)
    bus.read_byte(0x42)
    bus.run()
    world.balance()
    return list(bus.trace), list(bus.wave), list(bus.faults), bus.now_us()


@pytest.mark.parametrize("stretching", [True, False])
def test_deterministic(world, stretching):
    first = run_scenario(world, stretching)
    second = run_scenario(world, stretching)
    assert first == second
    assert len(first[0]) > 20
    assert bool(first[2]) == (not stretching)


def test_time_follows_the_bus_clock(world):
    t = world.open(0, [0x40])
    world.regmap(t, 0x40)
    for hz, us in ((100000, 10), (400000, 2.5), (1000000, 1)):
        bus = world.bus(clock_hz=hz)
        assert bus.byte_time_us() == int(9 * us)
        bus.write(0x40, b"\x00\x01\x02")
        bus.run()
        # START + address + ACK = 10 bits, 3 bytes of 9 bits, STOP = 1 bit
        assert bus.now_us() == int((10 + 27 + 1) * us)


def test_pump_when_idle(world):
    bus = world.bus()
    with pytest.raises(sim.SimulationDone):
        bus.pump()
    lazy = world.bus(stop_when_idle=False, stretch_step_us=7)
    assert lazy.pump() is False and lazy.pump() is False
    assert lazy.now_us() == 14


def test_pump_steps_one_bus_step_at_a_time(world):
    t = world.open(0, [0x40])
    world.regmap(t, 0x40)
    bus = world.bus()
    tr = bus.read_word_data(0x40, 0)
    seen = []
    while not tr.done:
        bus.pump()
        seen.append(len(bus.trace))
    # address, cmd byte, restart+address, byte, byte+NACK+STOP
    assert len(seen) == 5 and bus.idle()


def test_reentrant_pump_is_refused(world):
    t = world.open(0, [0x40])
    world.regmap(t, 0x40)
    bus = world.bus()
    errors = []

    def bad(b):
        try:
            b.pump()
        except RuntimeError as e:
            errors.append(str(e))
    bus.add_handler(bad)
    bus.write(0x40, b"\x00")
    bus.run()
    assert errors and "re-entrant" in errors[0]


def test_default_bus_and_reset():
    saved = sim._bus
    try:
        lib = _host.load()
        b1 = sim.reset(lib=lib, stretching=False, clock_hz=400000)
        assert sim.bus() is b1 and not b1.stretching and b1.clock_hz == 400000
        b2 = sim.reset(lib=lib)
        assert sim.bus() is b2 and b2 is not b1 and b2.stretching and b2.stop_when_idle
    finally:
        sim._bus = saved


@pytest.mark.parametrize("call, exc, text", [
    (lambda b: b.write(0x80, b"x"), ValueError, "address 0x80 out of range"),
    (lambda b: b.write("0x40", b"x"), TypeError, "address must be an int"),
    (lambda b: b.write(0x40, "text"), TypeError, "not str"),
    (lambda b: b.write(0x40, 5), TypeError, "not int"),
    (lambda b: b.write(0x40, [1, 300]), TypeError, "list of ints 0..255"),
    (lambda b: b.transfer(("w", 0x40, b"x")), TypeError, "segment"),
    (lambda b: b.transfer(5), TypeError, "segments must be a list"),
    (lambda b: b.read(0x40, -2), ValueError, "read length"),
    (lambda b: b.transfer([("x", 0x40, 1)]), ValueError, "direction"),
    (lambda b: b.transfer([("w", 0x40)]), TypeError, "segment"),
    (lambda b: b.transfer([]), ValueError, "at least one segment"),
    (lambda b: b.write(0x40, b"x", abort="explode"), ValueError, "abort must be one of"),
    (lambda b: b.write(0x40, b"x", abort_after=-1), ValueError, "abort_after"),
    (lambda b: b.write_byte_data(0x40, 1, 256), ValueError, "value 256 out of range"),
    (lambda b: b.write_word_data(0x40, 1, 0x10000), ValueError, "out of range 0..65535"),
    (lambda b: b.write_block_data(0x40, 1, bytes(33)), ValueError, "at most 32"),
    (lambda b: b.i2cget(0x40, 1, mode="q"), ValueError, "mode"),
    (lambda b: b.write(0x40, b"x").result(), RuntimeError, "not done"),
])
def test_bad_input(world, call, exc, text):
    bus = world.bus()
    with pytest.raises(exc, match=text):
        call(bus)


def test_bad_bus_options():
    lib = _host.load()
    with pytest.raises(ValueError, match="clock_hz"):
        sim.SimBus(lib=lib, clock_hz=0)
    with pytest.raises(ValueError, match="stretch_step_us"):
        sim.SimBus(lib=lib, stretch_step_us=0)
