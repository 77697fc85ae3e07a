"""One fault run: a target (sim or chip), the object API on it, a SimBus
controller, and the invariants checked at the end of every run.

Invariants (checked by World.check_invariants after every fault run):
  written == BYTES_IN + NACKS + RX_DROPPED   every byte the controller wrote
                                              was delivered, NACKed or counted
  RX_UNREAD <= BYTES_IN, and == bytes ACKed that the program never read
  read == BYTES_OUT + FILLER (+ garbage)     every byte the controller read was
                                              the program's or counted filler
  delivered bytes == the bytes the controller wrote, in order (prefix check)
  no segment stays open: nothing queued, no hold, SCL released
"""
import i2cperipheral
from i2cperipheral import _abi, sim

from .targets import make_lib

CNT = dict((name, i) for i, name in enumerate(_abi.COUNTER_NAMES))


class World:
    def __init__(self, target, **bus_options):
        self.target = target
        self.lib = make_lib(target)
        self._saved = (i2cperipheral._the_backend, sim._bus)
        be = i2cperipheral._Backend(self.lib)
        be.sim = True      # waiting pumps the simulated bus, whatever the chip
        be.max_targets = 1 if target != "sim" else be.max_targets
        i2cperipheral._the_backend = be
        options = dict(stretch_step_us=100)
        options.update(bus_options)
        self.bus = sim.reset(lib=self.lib, max_targets=_abi.MAX_TARGETS, **options)
        self.buses = [self.bus]
        self.dev = None
        self.delivered = []      # bytes the program got from read(), in order
        self.supplied = 0

    def new_bus(self, **options):
        """A fresh controller on the same target, after deinit / soft reset (the
        accounting of the run before is checked by the scenario itself)."""
        opts = dict(stretch_step_us=100)
        opts.update(options)
        self.bus = sim.reset(lib=self.lib, max_targets=_abi.MAX_TARGETS, **opts)
        # the engine's counters start again at the next open(): so does the tally
        self.buses = [self.bus]
        self.delivered = []
        return self.bus

    def open(self, addresses=(0x40,), max_stretch_us=2000, **kw):
        self.dev = i2cperipheral.I2CPeripheral(5, 4, addresses, **kw)
        self.dev.configure(max_stretch_us=max_stretch_us)
        return self.dev

    def counters(self):
        return dict((name, self.lib.counter(0, i)) for name, i in CNT.items())

    def written(self):
        return sum(sum(b.bytes_written) for b in self.buses)

    def read_count(self):
        return sum(sum(b.bytes_read) for b in self.buses)

    def garbage(self):
        return sum(b.garbage for b in self.buses)

    def drain(self, max_pumps=2000):
        """Let the bus settle: pump until idle (the program is not running)."""
        n = 0
        while not self.bus.idle() and n < max_pumps:
            try:
                self.bus.pump()
            except sim.SimulationDone:
                break
            n += 1
        return self.bus.idle()

    def serve(self, handler, max_requests=200):
        """Run `handler(r)` for every request until the bus is done."""
        dev = self.dev
        try:
            for _ in range(max_requests):
                r = dev.request(timeout=0)
                with r:
                    handler(self, r)
        except sim.SimulationDone:
            pass

    def read_into(self, r, n=-1, ack=True):
        b = r.read(n, ack)
        self.delivered.append(bytes(b))
        return b

    def close_program_side(self):
        """Close whatever the program left queued (the engine keeps bus order)."""
        closed = 0
        while self.lib.is_open(0) and self.lib.request(0) >= 0 and closed < 64:
            assert self.lib.seg_close(0) == 0
            closed += 1
        return closed

    def check_invariants(self, wrote_data=None, expect_open=True):
        """The accounting of the whole run.  Returns the counters."""
        lib = self.lib
        assert self.bus.idle(), "a transaction is still on the bus"
        # trace and the bus's tallies agree
        for b in self.buses:
            assert sum(1 for e in b.trace if e[1] == "W") == sum(b.bytes_written)
            assert sum(1 for e in b.trace if e[1] == "R") == sum(b.bytes_read) + b.garbage
        if not expect_open:
            return None
        assert lib.is_open(0)
        c = self.counters()
        # no segment stays open, nothing holds SCL
        assert lib.sim_poll(0) != _abi.SIM_HOLD, "SCL still held"
        st = lib.request(0)
        assert st == _abi.E_NOENT, "a segment is still queued: flags 0x%x" % st
        written = self.written()
        acc_in = c["bytes_in"] + c["nacks"] + c["rx_dropped"]
        assert written == acc_in, "controller wrote %d, engine accounts %d (%r)" % (
            written, acc_in, c)
        assert c["rx_unread"] <= c["bytes_in"]
        got = sum(len(d) for d in self.delivered)
        assert got + c["rx_unread"] <= c["bytes_in"]
        read = self.read_count() + self.garbage()
        acc_out = c["bytes_out"] + c["filler"] + self.garbage()
        assert read == acc_out, "controller read %d, engine supplied %d (%r)" % (read, acc_out, c)
        if wrote_data is not None:
            # what the program got is exactly a prefix-wise subsequence, in order
            stream = b"".join(self.delivered)
            assert stream == bytes(wrote_data)[:len(stream)] or _in_order(stream, wrote_data), (
                "delivered %r is not what the controller wrote %r" % (stream, wrote_data))
        return c

    def finish(self):
        i2cperipheral._the_backend, sim._bus = self._saved
        if self.dev is not None:
            try:
                self.dev.deinit()
            except Exception:
                pass
        for t in range(_abi.MAX_TARGETS):
            if self.lib.is_open(t):
                self.lib.close(t)


def _in_order(stream, wrote):
    """stream is a subsequence of wrote (bytes NACKed between are skipped)."""
    it = iter(bytes(wrote))
    return all(any(b == w for w in it) for b in stream)
