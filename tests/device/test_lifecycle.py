# Construction, deinit and reuse of a target on the real pins.
import errno

from loopback import ABSENT, ADDR, controller, target, unittest


class Lifecycle(unittest.TestCase):
    def setUp(self):
        self.i2c = controller()

    def test_deinit_releases_the_address(self):
        dev = target()
        dev.serve_memory(ADDR, bytearray(4))
        self.assertEqual(self.i2c.scan(), [ADDR])
        dev.deinit()
        self.assertEqual(self.i2c.scan(), [])
        with self.assertRaises(OSError) as cm:
            self.i2c.readfrom(ADDR, 1)
        self.assertEqual(cm.exception.args[0], errno.ENODEV)

    def test_deinit_twice_and_use_after_deinit(self):
        dev = target()
        dev.deinit()
        dev.deinit()                                  # harmless
        for call in (lambda: dev.request(), lambda: dev.stats(),
                     lambda: dev.configure(filler=0), lambda: dev.memory_changed(ADDR),
                     lambda: dev.serve_memory(ADDR, bytearray(2))):
            with self.assertRaises(ValueError):
                call()

    def test_with_block_deinits_and_pins_are_reusable(self):
        with target() as dev:
            dev.serve_memory(ADDR, bytearray(b"\x11\x22"))
            self.assertEqual(self.i2c.readfrom_mem(ADDR, 0, 2), b"\x11\x22")
        self.assertEqual(self.i2c.scan(), [])
        for _ in range(3):                            # open, serve, close, again
            with target() as dev:
                mem = bytearray(2)
                dev.serve_memory(ADDR, mem)
                self.i2c.writeto_mem(ADDR, 1, b"\x99")
                self.assertEqual(mem[1], 0x99)

    def test_request_closed_by_deinit(self):
        dev = target()
        self.assertEqual(self.i2c.scan(), [ADDR])     # leaves a quick-write request
        r = dev.request()
        self.assertIsNotNone(r)
        dev.deinit()
        with self.assertRaises(ValueError):
            r.read(1)

    def test_bad_arguments(self):
        with self.assertRaises(ValueError):
            target((0x05,))                           # reserved address
        with self.assertRaises(ValueError):
            target((ADDR, ADDR))
        with self.assertRaises(TypeError):
            target(ADDR)                              # not a sequence
        dev = target()
        try:
            with self.assertRaises(ValueError):
                dev.serve_memory(ABSENT, bytearray(2))   # not this target's address
            with self.assertRaises(ValueError):
                dev.configure(filler=256)
        finally:
            dev.deinit()
