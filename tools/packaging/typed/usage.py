# Typed use of the public API, checked by mypy against each board's stubs
# (tests/test_stubs.py).  Not run.
import machine

from i2cperipheral import I2CPeripheral, I2CPeripheralRequest
from i2ctarget import I2CTarget, I2CTargetRequest


def handle(r: I2CPeripheralRequest, regs: bytearray) -> int:
    with r:
        if r.is_read:
            return r.write(regs[0:2])
        data: bytearray = r.read(2, ack=True)
        r.ack(True)
        return len(data)


def main() -> None:
    regs = bytearray(16)
    scl = machine.Pin(5)
    sda = machine.Pin(4)
    dev = I2CPeripheral(scl, sda, (0x40, 0x41), smbus=False)
    dev.configure(max_stretch_us=50000, filler=0xFF)
    dev.serve_memory(0x41, regs, index_bytes=1, wrap=True, readonly=[(0, 4)])
    span = dev.memory_changed(0x41)
    if span is not None:
        lo, hi = span
        print(lo + hi)
    counts: dict = dev.stats()
    print(counts["bytes_in"] if "bytes_in" in counts else 0)
    r = dev.request(timeout=0.5)
    if r is not None:
        handle(r, regs)
    dev.deinit()
    with I2CTarget("GP5", "GP4", [0x42]) as t:
        req = t.request()
        if req:
            assert isinstance(req, I2CTargetRequest)
            req.close()


async def serve(dev: I2CPeripheral) -> None:
    r = await dev.request_async(poll_ms=2)
    r.deinit()
