# Register mode (serve_memory): the target is served entirely in the
# interrupt, so one board tests it with its own SoftI2C controller.
import errno

from loopback import ABSENT, ADDR, controller, target, unittest


class RegisterMode(unittest.TestCase):
    def setUp(self):
        self.i2c = controller()
        self.dev = target()
        self.mem = bytearray(256)
        self.dev.serve_memory(ADDR, self.mem)

    def tearDown(self):
        self.dev.deinit()

    def test_scan_finds_the_target_only(self):
        self.assertEqual(self.i2c.scan(), [ADDR])

    def test_write_then_restart_read(self):
        self.i2c.writeto_mem(ADDR, 0x10, b"\x01\x02\x03")
        self.assertEqual(bytes(self.mem[0x10:0x13]), b"\x01\x02\x03")
        self.assertEqual(self.dev.memory_changed(ADDR), (0x10, 0x13))
        self.assertIsNone(self.dev.memory_changed(ADDR))   # reported once
        # index write, repeated START, read: served without Python
        self.assertEqual(self.i2c.readfrom_mem(ADDR, 0x10, 3), b"\x01\x02\x03")
        self.assertEqual(self.i2c.readfrom_mem(ADDR, 0x11, 1), b"\x02")
        self.assertIsNone(self.dev.memory_changed(ADDR))   # reads change nothing

    def test_current_address_read_continues(self):
        for i in range(256):
            self.mem[i] = i ^ 0x5A
        self.assertEqual(self.i2c.readfrom_mem(ADDR, 0x20, 1), bytes([0x20 ^ 0x5A]))
        self.assertEqual(self.i2c.readfrom(ADDR, 2), bytes([0x21 ^ 0x5A, 0x22 ^ 0x5A]))

    def test_wraps_at_the_end(self):
        self.assertEqual(self.i2c.writeto(ADDR, b"\xfe\xa1\xa2\xa3"), 4)
        self.assertEqual(bytes(self.mem[0xFE:]) + bytes(self.mem[:1]), b"\xa1\xa2\xa3")
        self.assertEqual(self.i2c.readfrom_mem(ADDR, 0xFF, 2), b"\xa2\xa3")

    def test_writes_counted(self):
        self.i2c.writeto_mem(ADDR, 0x00, b"abcd")
        self.i2c.readfrom_mem(ADDR, 0x00, 4)
        s = self.dev.stats()
        self.assertEqual(s["bytes_out"], 4)
        self.assertGreaterEqual(s["bytes_in"], 5)   # the index byte twice, 4 data bytes
        self.assertEqual(s["nacks"], 0)
        self.assertEqual(s["register_writes"], 4)     # bytes stored


class RegisterModeLimits(unittest.TestCase):
    def setUp(self):
        self.i2c = controller()
        self.dev = target()
        self.caps = self.dev.capabilities()

    def tearDown(self):
        self.dev.deinit()

    def test_absent_address_is_nacked(self):
        with self.assertRaises(OSError) as cm:
            self.i2c.readfrom(ABSENT, 1)
        self.assertEqual(cm.exception.args[0], errno.ENODEV)
        with self.assertRaises(OSError):
            self.i2c.writeto(ABSENT, b"\x00")

    def test_readonly_range_is_nacked(self):
        if not self.caps.get("register_readonly"):
            self.skipTest("no read-only ranges on this backend")
        mem = bytearray(16)
        self.dev.serve_memory(ADDR, mem, readonly=((0, 4),))
        acks = self.i2c.writeto(ADDR, b"\x02\xaa\xbb")
        if self.caps["per_byte_nack"] is True:
            self.assertEqual(acks, 1)                # index ACKed, first data byte NACKed
        else:
            self.assertLess(acks, 3)                 # the NACK lands a byte later
        self.assertEqual(bytes(mem[:4]), bytes(4))
        self.assertGreaterEqual(self.dev.stats()["nacks"], 1)
        self.i2c.writeto_mem(ADDR, 0x08, b"\x77")    # outside the range: stored
        self.assertEqual(mem[8], 0x77)

    def test_no_wrap_past_the_end(self):
        if not self.caps.get("register_no_wrap"):
            self.skipTest("wrap=False not available on this backend")
        mem = bytearray(16)
        self.dev.serve_memory(ADDR, mem, wrap=False)
        acks = self.i2c.writeto(ADDR, b"\x0e\x01\x02\x03")
        if self.caps["per_byte_nack"] is True:
            self.assertEqual(acks, 3)                # the byte past the end is NACKed
        self.assertEqual(bytes(mem[14:]), b"\x01\x02")
        self.assertEqual(mem[0], 0)                  # nothing wrapped to the start
        # reading past the end: filler bytes
        self.assertEqual(self.i2c.readfrom_mem(ADDR, 0x0E, 4), b"\x01\x02\xff\xff")

    def test_two_index_bytes(self):
        if not self.caps.get("register_index16"):
            self.skipTest("index_bytes=2 not available on this backend")
        mem = bytearray(512)
        self.dev.serve_memory(ADDR, mem, index_bytes=2)
        self.i2c.writeto_mem(ADDR, 0x0123, b"xy", addrsize=16)
        self.assertEqual(bytes(mem[0x123:0x125]), b"xy")
        self.assertEqual(self.i2c.readfrom_mem(ADDR, 0x0122, 4, addrsize=16), b"\x00xy\x00")
        self.assertEqual(self.dev.memory_changed(ADDR), (0x123, 0x125))
