"""The bus fault kinds, each a function of a World (tests/reliability/world.py).

Each fault run: open a target through the object API, play the fault from the
controller side (python/i2cperipheral/sim.py SimBus) or from the program side,
then check
  - the bus is released within a bounded time (no hold left, the faulty
    transaction ends within max_stretch_us plus a few byte times),
  - the engine recovers: a normal write and write-then-read afterwards carry
    exactly the right bytes,
  - nothing is silent: a counter, a segment flag or the controller's own
    result shows the fault,
  - the invariants of World.check_invariants (bytes lost or invented = 0).
Every kind runs on the sim port and on every chip model (tests/reliability/targets.py).
"""
import gc

from i2cperipheral import _abi, sim

MAX_STRETCH_US = 2000
# Ports whose hardware ACKs a written byte before software decides (RP2 DW_apb_i2c:
# the RX FIFO; STM32 v1: CR1.ACK programmed one byte ahead).  Documented in
# their READMEs / driver headers: the controller sees ACK where others NACK or
# hold, and the engine still accounts for every byte.
HW_ACKS = ("rp2040", "rp2350", "f405")
# Ports whose hardware ACKs a matching address before software sees it (DW_apb_i2c,
# STM32 ADDR): a full queue cannot be refused on the wire, only counted.
ADDRESS_HW_ACKS = ("rp2040", "rp2350", "f405", "f767", "l476")
SLACK_US = 1500          # a few byte times at 100 kHz plus polling steps


def echo(reply=b"\x5a\xa5"):
    """A well-behaved program: reads whole write segments, answers reads."""
    def handler(w, r):
        if r.is_read:
            r.write(reply)
        else:
            w.read_into(r)
    return handler


def recover(w, handler=None):
    """The engine serves a normal write and a write-then-read after the fault."""
    bus = w.bus
    bus.stop_when_idle = True
    a = bus.write(0x40, b"\x11\x22\x33")
    b = bus.write_read(0x40, b"\x44", 2)
    before = len(w.delivered)
    w.serve(handler or echo())
    assert a.done and a.error is None and a.acked == [3], a
    assert b.done and b.error is None and b.value == b"\x5a\xa5", b
    # a segment left over by the fault comes first (empty, or bytes the block
    # ACKed by itself before the fault)
    got = [d for d in w.delivered[before:] if d][-2:]
    assert got == [b"\x11\x22\x33", b"\x44"], w.delivered[before:]
    assert w.lib.sim_poll(0) != _abi.SIM_HOLD


def released_in_time(w, tr, limit_us=MAX_STRETCH_US + SLACK_US):
    assert tr.done, tr
    assert tr.end_us - tr.start_us <= limit_us, (tr, tr.end_us - tr.start_us)
    assert w.lib.sim_poll(0) != _abi.SIM_HOLD


# ---- the fault kinds --------------------------------------------------------------

def abort_mid_byte(w):
    """The controller gives up inside a byte and sends STOP: the partial byte
    never completes, the segment ends with what was whole."""
    w.open(max_stretch_us=MAX_STRETCH_US)
    wr = w.bus.write(0x40, b"\x01\x02\x03\x04", abort_after=2)
    rd = w.bus.read(0x40, 4, abort_after=2)
    w.serve(echo(b"\x10\x20\x30\x40"))
    assert wr.aborted == "stop after 2 data bytes" and wr.acked == [2]
    assert rd.data == [b"\x10\x20"] and rd.aborted
    assert w.delivered == [b"\x01\x02"]
    c = w.counters()
    assert c["bytes_out"] == 2 and c["tx_unsent"] >= 1    # visible: bytes not taken
    released_in_time(w, rd)
    recover(w)


def missing_stop(w):
    """The controller disappears after a byte: no ACK clock, no STOP.  The
    program is not running; the engine's stretch limit lets go of SCL."""
    w.open(max_stretch_us=MAX_STRETCH_US)
    w.bus.stop_when_idle = False
    tr = w.bus.write(0x40, b"\x01\x02", abort_after=1, abort="vanish")
    w.drain()
    assert tr.aborted == "vanish after 1 data bytes"
    if w.target not in HW_ACKS:
        assert w.lib.status(0) & _abi.SEG_HELD         # the byte waits for the program
        assert w.lib.sim_poll(0) == _abi.SIM_HOLD      # ... with SCL held
    t0 = w.bus.now_us()
    while w.lib.status(0) & _abi.SEG_HELD and w.bus.now_us() - t0 < 10 * MAX_STRETCH_US:
        w.bus.pump()                                   # only time passes
    assert w.bus.now_us() - t0 <= MAX_STRETCH_US + 2 * 100
    assert w.lib.sim_poll(0) != _abi.SIM_HOLD
    c = w.counters()
    if w.target in HW_ACKS:
        assert c["timeouts"] <= 1                      # the block may have taken it whole
    else:
        assert c["timeouts"] == 1 and c["nacks"] + c["rx_dropped"] == 1
        assert w.lib.request(0) & _abi.SEG_TIMEOUT     # the program is told
    recover(w)


def restart_storm(w):
    """Twenty segments joined by repeated STARTs, one cut by a repeated START
    in the middle of its data: every segment is its own request, in order."""
    w.open(max_stretch_us=MAX_STRETCH_US)
    segs = []
    for i in range(10):
        segs += [("w", 0x40, bytes([i, i + 0x80])), ("r", 0x40, 1)]
    storm = w.bus.transfer(segs)
    cut = w.bus.transfer([("w", 0x40, b"\x61\x62\x63"), ("r", 0x40, 2)], abort_after=1,
                         abort="restart")
    seen = []

    def handler(world, r):
        seen.append((r.is_read, r.is_restart))
        if r.is_read:
            r.write(b"\x7e\x7f")
        else:
            world.read_into(r)
    w.serve(handler)
    assert storm.error is None and storm.acked == [2] * 10
    assert storm.data == [b"\x7e"] * 10
    assert cut.acked == [1] and cut.data == [b"\x7e\x7f"]
    assert seen[0] == (False, False)
    if w.target == "f405":
        # v1: no STOPF after the controller's NACK ends a read, so a write
        # segment after a read cannot be told from a new transaction
        assert all(rs for rd, rs in seen[1:20] if rd)
    else:
        assert all(rs for _, rs in seen[1:20])
    assert w.delivered[:10] == [bytes([i, i + 0x80]) for i in range(10)]
    assert w.delivered[10] == b"\x61"
    assert w.counters()["segments"] >= 22
    recover(w)


def bus_error(w):
    """A misplaced START/STOP in the middle of a write and of a read."""
    w.open(max_stretch_us=MAX_STRETCH_US)
    wr = w.bus.write(0x40, b"\x01\x02\x03\x04", abort_after=2, abort="bus_error")
    rd = w.bus.read(0x40, 3, abort_after=1, abort="bus_error")
    flags = []

    def handler(world, r):
        if r.is_read:
            r.write(b"\x31\x32\x33")
        else:
            world.read_into(r)
        flags.append(world.lib.status(0))
    w.serve(handler)
    assert wr.error == "bus error after 2 data bytes"
    assert rd.error == "bus error after 1 data bytes" and rd.data == [b"\x31"]
    assert w.delivered == [b"\x01\x02"]
    assert all(f & _abi.SEG_ENDED for f in flags)
    c = w.counters()
    if w.target.startswith("rp2"):
        # DW_apb_i2c has no bus-error flag in target mode: the misplaced STOP
        # ends the write, the arbitration loss (TX_ABRT) ends the read
        assert flags[1] & (_abi.SEG_BUS_ERROR | _abi.SEG_ENDED)
    else:
        assert c["bus_errors"] == 2 and all(f & _abi.SEG_BUS_ERROR for f in flags)
    released_in_time(w, rd)
    recover(w)


def scl_held_by_other(w):
    """Another device holds SCL low for 50 ms in the middle of a write.  Our
    target holds nothing then, so nothing of ours times out; the transfer
    goes on when SCL comes back."""
    w.open(max_stretch_us=MAX_STRETCH_US)
    bus = w.bus
    state = dict(done=False)

    def other_device(b):
        if not state["done"] and sum(b.bytes_written) >= 2 and \
                b.lib.sim_poll(0) != _abi.SIM_HOLD:
            state["done"] = True
            state["at"] = b.now_us()
            b._advance(50000 * 1000)       # ns: SCL low 50 ms, no edges, only time
    bus.add_handler(other_device)
    tr = bus.write(0x40, bytes(range(1, 9)))
    w.serve(echo())
    bus.remove_handler(other_device)
    assert state["done"]
    assert tr.error is None and tr.acked == [8] and tr.end_us - tr.start_us >= 50000, (tr, state, w.counters())
    assert w.delivered == [bytes(range(1, 9))]
    assert w.counters()["timeouts"] == 0
    recover(w)


def slow_handler(w):
    """The program takes longer than the maximum stretch time to read and to
    write: the engine NACKs the written byte and sends filler, and counts."""
    w.open(max_stretch_us=MAX_STRETCH_US)
    bus = w.bus
    wr = bus.write(0x40, b"\x01\x02")
    rd = bus.read(0x40, 1)
    results = []

    def dawdle():
        t0 = bus.now_us()
        while not bus.idle() and bus.now_us() - t0 < 2 * MAX_STRETCH_US:
            bus.pump()

    def handler(world, r):
        dawdle()
        if r.is_read:
            results.append(r.write(b"\x99"))
        else:
            results.append(world.read_into(r))
        results.append(world.lib.status(0))
    w.serve(handler)
    if w.target in HW_ACKS:          # the block ACKed ahead; the refusal hits a later byte
        assert wr.error in (None, "data byte 1 NACKed"), wr
    else:
        assert wr.error == "data byte 0 NACKed", wr
    assert rd.error is None and rd.data == [b"\xff"]
    if w.target not in HW_ACKS:      # else the block took byte 0 before the program was late
        assert results[0] == b"" and results[1] & _abi.SEG_TIMEOUT
    assert results[2] == 0 and results[3] & _abi.SEG_TIMEOUT
    c = w.counters()
    assert c["filler"] == 1
    if w.target not in HW_ACKS:
        assert c["timeouts"] == 2 and c["nacks"] == 1
    released_in_time(w, wr)
    released_in_time(w, rd)
    recover(w)


def overrun_underrun(w):
    """A program that never reads a write (leaves `with r:` at once), a write
    longer than the receive ring (ring full holds, never drops), and a program
    that writes fewer bytes than the controller reads (filler, counted)."""
    w.open(max_stretch_us=MAX_STRETCH_US)
    bus = w.bus
    ignored = bus.write(0x40, b"\x01\x02\x03")
    big = bus.write(0x40, bytes(i & 0xFF for i in range(200)))
    short = bus.read(0x40, 5)
    n = dict(k=0)

    def handler(world, r):
        n["k"] += 1
        if n["k"] == 1:
            return                          # never reads
        if r.is_read:
            assert r.write(b"\xc1\xc2") == 2
        else:
            world.read_into(r)
    w.serve(handler)
    if w.target in HW_ACKS:
        assert ignored.error in ("data byte 1 NACKed", "data byte 2 NACKed"), ignored
    else:
        assert ignored.error == "data byte 0 NACKed", ignored
    assert big.error is None and big.acked == [200]
    assert b"".join(w.delivered) == bytes(i & 0xFF for i in range(200))
    assert short.data == [b"\xc1\xc2\xff\xff\xff"]
    c = w.counters()
    assert c["filler"] == 3 and c["nacks"] >= 1 and c["rx_dropped"] == 0
    recover(w)


def unconfigured_address(w):
    """General call (0x00) and an address nobody configured are NACKed."""
    w.open(max_stretch_us=MAX_STRETCH_US)
    gc_tr = w.bus.write(0x00, b"\x06")
    other = w.bus.write(0x41, b"\x01")
    other_rd = w.bus.read(0x41, 1)
    w.serve(echo())
    assert gc_tr.error == "address 0x00 NACKed"
    assert other.error == "address 0x41 NACKed" and other_rd.error == "address 0x41 NACKed"
    assert w.delivered == [] and w.counters()["segments"] == 0
    recover(w)


def deinit_during_transfer(w):
    """deinit() while the controller is in the middle of a read the program
    has only half answered: SCL is let go at once, the target is off the bus."""
    dev = w.open(max_stretch_us=0)                 # hold forever: only deinit frees it
    bus = w.bus
    rd = bus.read(0x40, 3)
    r = dev.request(timeout=0)
    assert r.is_read
    assert r.write(b"\x21") == 1                   # one byte out, the next is awaited
    for _ in range(5):
        bus.pump()
    assert w.lib.status(0) & _abi.SEG_HELD and w.lib.sim_poll(0) == _abi.SIM_HOLD
    c = w.counters()
    dev.deinit()
    assert not w.lib.is_open(0)
    assert w.lib.sim_poll(0) != _abi.SIM_HOLD      # released by deinit, not by time
    w.drain()
    assert rd.done and rd.data == [b"\x21\xff\xff"]
    assert c["bytes_out"] == 1
    try:
        r.write(b"\x22")
        raise AssertionError("write() after deinit() did not raise")
    except ValueError as e:
        assert "closed" in str(e) or "deinit" in str(e)
    w.new_bus()
    w.open(max_stretch_us=MAX_STRETCH_US)
    recover(w)


class _Interrupt(KeyboardInterrupt):
    pass


def keyboard_interrupt(w):
    """Ctrl-C while the program waits inside request() and inside read():
    leaving the `with r:` block closes the request, the rest is NACKed, no
    hold is left, and the next request() works."""
    w.open(max_stretch_us=0)
    bus = w.bus
    fired = []

    def ctrl_c_in_request(b):
        if not fired and b.steps >= 1:
            fired.append("request")
            raise _Interrupt()
    bus.add_handler(ctrl_c_in_request)
    first = bus.write(0x40, b"\x01\x02\x03\x04")
    try:
        w.dev.request(timeout=0)
        raise AssertionError("no KeyboardInterrupt out of request()")
    except KeyboardInterrupt:
        pass
    bus.remove_handler(ctrl_c_in_request)

    state = dict(in_read=False)

    def ctrl_c_in_read(b):
        if len(fired) == 1 and state["in_read"]:
            fired.append("read")
            raise _Interrupt()
    bus.add_handler(ctrl_c_in_read)
    try:
        with w.dev.request(timeout=0) as r:
            w.read_into(r, 1)
            state["in_read"] = True
            r.read(3)                          # waits for bytes 2..4: Ctrl-C here
        raise AssertionError("no KeyboardInterrupt out of read()")
    except KeyboardInterrupt:
        pass
    bus.remove_handler(ctrl_c_in_read)
    assert fired == ["request", "read"]
    assert w.lib.sim_poll(0) != _abi.SIM_HOLD         # closed by `with`: SCL free now
    w.drain()
    took = first.acked[0]
    assert 1 <= took < 4 and first.error == "data byte %d NACKed" % took, first
    assert w.delivered == [b"\x01"]
    c = w.counters()
    # bytes ACKed while read() waited and then dropped by the close are counted
    if w.target not in HW_ACKS:
        assert c["rx_unread"] == took - 1 and c["nacks"] == 1
    assert c["timeouts"] == 0
    w.dev.configure(max_stretch_us=MAX_STRETCH_US)
    recover(w)


def soft_reset(w):
    """A soft reset during a held byte: the program's objects go away and the
    finaliser (__del__ -> deinit) closes the target; SCL is let go, the
    interrupt and vector table are as before init (chip targets)."""
    chip = getattr(w.lib, "chip", None)
    before = chip_state(chip) if chip else None
    dev = w.open(max_stretch_us=0)
    if chip:
        assert chip_state(chip) != before or w.target.startswith("rp2") is False
    bus = w.bus
    tr = bus.write(0x40, b"\x01\x02\x03")
    r = dev.request(timeout=0)
    w.read_into(r, 1)
    for _ in range(5):
        if not bus.idle():
            bus.pump()
    if w.target not in HW_ACKS:
        assert w.lib.sim_poll(0) == _abi.SIM_HOLD      # byte 2 waits for the program
    c = w.counters()
    # soft reset: nothing refers to the objects any more; the finaliser runs
    w.dev = None
    del dev, r
    gc.collect()
    assert not w.lib.is_open(0), "the finaliser did not close the target"
    assert w.lib.sim_poll(0) != _abi.SIM_HOLD
    w.drain()
    if w.target not in HW_ACKS:
        assert tr.error == "data byte 1 NACKed" and tr.acked == [1]
        assert c["bytes_in"] == 1
    if chip:
        assert chip_state(chip) == before, "interrupt / vector state not restored"
        assert no_vector_into_natmod(chip)
    w.new_bus()
    w.open(max_stretch_us=MAX_STRETCH_US)
    recover(w)


def queue_overflow(w):
    """Twelve address-only writes while the program is busy: the queue holds
    eight; the rest are refused at the address and counted."""
    w.open(max_stretch_us=MAX_STRETCH_US)
    bus = w.bus
    quick = [bus.quick(0x40) for _ in range(_abi.QUEUE_LEN + 4)]
    w.drain()
    refused = [q for q in quick if q.error]
    c = w.counters()
    assert c["overruns"] == 4                          # never silent
    if w.target in ADDRESS_HW_ACKS:
        assert refused == []     # the block ACKed the address; the engine dropped the segment
    else:
        assert len(refused) == 4, ([q.error for q in quick], c)
        assert all(q.error == "address 0x40 NACKed" for q in refused)
    served = []

    def handler(world, r):
        served.append(r.address)
    w.serve(handler)
    assert len(served) == _abi.QUEUE_LEN
    recover(w)


KINDS = [abort_mid_byte, missing_stop, restart_storm, bus_error, scl_held_by_other,
         slow_handler, overrun_underrun, unconfigured_address, deinit_during_transfer,
         keyboard_interrupt, soft_reset, queue_overflow]


# ---- chip state for soft-reset safety -------------------------------------------------

def chip_state(chip):
    emu = chip.emu
    n = len(chip.firmware_vectors)
    vtor = emu.scs.vtor
    table = tuple(emu.read32(vtor + 4 * i) for i in range(n))
    return (vtor, table, frozenset(emu.scs.enabled))


def no_vector_into_natmod(chip):
    emu = chip.emu
    lo, hi = natmod_range(chip)
    n = len(chip.firmware_vectors)
    for i in range(1, n):
        v = emu.read32(emu.scs.vtor + 4 * i) & ~1
        if lo <= v < hi:
            return False
    return True


def natmod_range(chip):
    """[lo, hi) of the driver + engine + glue image loaded into RAM (what a
    natmod occupies on the board)."""
    ram_lo = chip.emu.ram[0]
    spans = [(a, a + max(n, 1)) for a, n in chip.emu.symbols.values()
             if ram_lo <= a < chip.emu.scratch_base]
    return (min(s[0] for s in spans) & ~1, max(s[1] for s in spans))
