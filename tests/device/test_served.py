# Request mode answered by the target's Python: the reference example
# (examples/peripheral_regs.py), per-byte NACK, is_restart, write() counts.
# The target's program must run while the controller transacts: on a PC the
# simulated bus runs it (loopback.serve); on boards, the reference cases run
# against a second board that runs examples/peripheral_regs.py unchanged
# (loopback.REMOTE_TARGET = True); the others need the PC.
from loopback import ADDR, HOST, controller, drain, serve, served, target, unittest


class ReferenceTarget:
    """The loop of examples/peripheral_regs.py, one turn per step()."""

    def __init__(self):
        self.regs = [0] * 16
        self.index = 0
        self.got_de = 0
        self.seen = []
        self.device = target((0x40, 0x41))

    def step(self):
        r = self.device.request()
        if not r:
            return
        self.seen.append((r.address, r.is_read, r.is_restart))
        with r:
            if r.address == 0x40:
                if not r.is_read:
                    b = r.read(1)
                    if not b or b[0] > 15:
                        return
                    self.index = b[0]
                    b = r.read(1)
                    if b:
                        self.regs[self.index] = b[0]
                elif r.is_restart:
                    r.write(bytes([self.regs[self.index]]))
            elif r.address == 0x41:
                if not r.is_read:
                    b = r.read(1)
                    if b and b[0] == 0xDE:
                        self.got_de += 1


class ReferenceExample(unittest.TestCase):
    def setUp(self):
        served(self, remote_ok=True)
        self.i2c = controller()
        self.ref = ReferenceTarget() if HOST else None
        serve(self.ref.step if self.ref else None)

    def tearDown(self):
        serve(None)
        if self.ref:
            self.ref.device.deinit()

    def test_i2cset_then_i2cget(self):
        self.assertEqual(self.i2c.writeto(0x40, b"\x01\xaa"), 2)      # i2cset 0x40 0x01 0xaa
        self.assertEqual(self.i2c.readfrom_mem(0x40, 0x01, 1), b"\xaa")  # i2cget 0x40 0x01
        self.i2c.writeto_mem(0x40, 0x0F, b"\x5c")
        self.assertEqual(self.i2c.readfrom_mem(0x40, 0x0F, 1), b"\x5c")
        self.assertEqual(self.i2c.readfrom_mem(0x40, 0x01, 1), b"\xaa")
        if self.ref:
            self.assertEqual(self.ref.regs[1], 0xAA)
            self.assertIn((0x40, True, True), self.ref.seen)   # the read half is a restart

    def test_bad_index_nacked(self):
        acks = self.i2c.writeto(0x40, b"\x20\x01")
        if HOST:
            self.assertEqual(acks, 1)        # index ACKed (read(1)), the value NACKed at close
        else:
            self.assertLess(acks, 2)         # a port may NACK a byte later

    def test_read_without_restart_gets_filler(self):
        self.assertEqual(self.i2c.readfrom(0x40, 2), b"\xff\xff")
        if self.ref:
            self.assertEqual(self.ref.device.stats()["filler"], 2)

    def test_second_address(self):
        self.assertEqual(self.i2c.writeto(0x41, b"\xde"), 1)
        self.assertIn(0x41, self.i2c.scan())
        if self.ref:
            self.assertEqual(self.ref.got_de, 1)


class ServedRequests(unittest.TestCase):
    def setUp(self):
        served(self)
        self.i2c = controller()
        self.dev = target()
        self.log = []

    def tearDown(self):
        serve(None)
        self.dev.deinit()

    def test_per_byte_nack(self):
        def program():
            r = self.dev.request()
            if not r:
                return
            with r:
                while True:
                    b = r.read(1, ack=False)     # hold each byte unacknowledged ...
                    if not b:
                        break
                    self.log.append(b[0])
                    r.ack(b[0] != 0)             # ... and refuse a zero
                    if b[0] == 0:
                        break
        serve(program)
        self.assertEqual(self.i2c.writeto(ADDR, b"\x07\x00\x09"), 1)
        self.assertEqual(self.log, [7, 0])       # 0x09 was never sent
        self.assertEqual(self.dev.stats()["nacks"], 1)

    def test_restart_flags(self):
        def program():
            r = self.dev.request()
            if not r:
                return
            with r:
                self.log.append((r.is_read, r.is_restart))
                if r.is_read:
                    r.write(b"\x33")
                else:
                    r.read()
        serve(program)
        self.assertEqual(self.i2c.readfrom_mem(ADDR, 0x05, 1), b"\x33")
        self.assertEqual(self.i2c.readfrom(ADDR, 1), b"\x33")
        self.assertEqual(self.log, [(False, False), (True, True), (True, False)])

    def test_write_returns_bytes_clocked_out(self):
        def program():
            r = self.dev.request()
            if r:
                with r:
                    self.log.append(r.write(b"\x10\x20\x30\x40"))
        serve(program)
        self.assertEqual(self.i2c.readfrom(ADDR, 2), b"\x10\x20")
        self.assertEqual(self.log, [2])          # the controller NACKed the second byte
        self.assertEqual(self.dev.stats()["bytes_out"], 2)

    def test_read_all_until_stop(self):
        def program():
            r = self.dev.request()
            if r:
                with r:
                    self.log.append(bytes(r.read()))   # n < 0: until STOP
        serve(program)
        data = bytes(range(40))                  # more than one internal chunk
        self.assertEqual(self.i2c.writeto(ADDR, data), 40)
        self.assertEqual(self.log, [data])
        serve(None)
        self.assertEqual(drain(self.dev), [])
