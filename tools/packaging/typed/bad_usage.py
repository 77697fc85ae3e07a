# Wrong uses the stubs must reject (tests/test_stubs.py expects one mypy
# error per line marked "error:" below).  Not run.
import machine

from i2cperipheral import I2CPeripheral
from i2ctarget import I2CTarget

dev = I2CPeripheral(machine.Pin(5), machine.Pin(4), (0x40,))
dev.request(timeout="1")  # error: timeout is a number
dev.serve_memory(0x40, b"\x00" * 4)  # error: mem must be a bytearray
I2CPeripheral(5.0, 4, (0x40,))  # error: a float is no pin
I2CTarget(5, 4, 0x40)  # error: addresses is a sequence
r = dev.request()
r.read(2)  # error: request() may return None
n: str = dev.request(0).write(b"\x01")  # error: write() returns int (and may be None)
I2CPeripheral(machine.I2C(0), 4, (0x40,))  # error: an I2C bus is no pin (machine is the board's)
