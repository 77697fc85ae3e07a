# An I2C device served with `await dev.request_async()` beside other asyncio
# tasks: the controller starts a slow job, the job runs in its own task while
# the device keeps answering (status polls), then the controller reads the
# result.  A third task keeps a heartbeat counter going the whole time.
#
# Address 0x42, registers (index byte first, as in the reference example):
#   0x00 STATUS   bit0 busy, bit1 result ready (read-only)
#   0x01 COMMAND  write 0x01: start a measurement (averages SAMPLES samples,
#                 one every SAMPLE_MS, in the background task)
#   0x02 RESULT   low byte, 0x03 high byte (read-only)
#   0x04 BEATS    heartbeat count, mod 256 (read-only)
# A read returns the registers from the index on (auto-increment); writes to
# read-only registers and unknown indexes are NACKed.
#
# From a Linux host:  i2cset -y 1 0x42 0x01 0x01 ; i2cget -y 1 0x42 0x00 (until 0x02) ;
#                     i2cget -y 1 0x42 0x02 w
import asyncio

from i2cperipheral import I2CPeripheral

ADDRESS = 0x42
SAMPLES = 8
SAMPLE_MS = 2
BEAT_MS = 5
STATUS, COMMAND, RESULT_LO, RESULT_HI, BEATS = range(5)
BUSY, READY = 0x01, 0x02
SCL_PIN = 5  # Raspberry Pi Pico: I2C0 on GP5 (SCL) / GP4 (SDA); other boards: see README
SDA_PIN = 4

regs = bytearray(5)
jobs = 0        # measurements finished
served = 0      # requests answered


def pins(scl, sda):
    """machine.Pin objects on a board; plain numbers on the PC simulator."""
    try:
        from machine import Pin
    except ImportError:
        return scl, sda
    return Pin(scl), Pin(sda)


def read_sample(k):
    """One sample of the quantity measured.  On a board read a sensor or an
    ADC here (e.g. machine.ADC(26).read_u16()); this stand-in is a ramp."""
    return 1000 + 10 * k


async def measure():
    global jobs
    total = 0
    for k in range(SAMPLES):
        total += read_sample(k)
        await asyncio.sleep(SAMPLE_MS / 1000)  # the device goes on answering meanwhile
    value = total // SAMPLES
    regs[RESULT_LO] = value & 0xFF
    regs[RESULT_HI] = value >> 8
    regs[STATUS] = READY
    jobs += 1


async def heartbeat():
    while True:
        regs[BEATS] = (regs[BEATS] + 1) & 0xFF
        await asyncio.sleep(BEAT_MS / 1000)


async def serve(dev):
    global served
    index = 0
    while True:
        r = await dev.request_async()
        with r:
            if not r.is_read:
                b = r.read(1, ack=False)
                if not b:
                    continue
                r.ack(b[0] < len(regs))          # NACK an unknown index
                if b[0] >= len(regs):
                    continue
                index = b[0]
                b = r.read(1, ack=False)
                if not b:
                    continue                       # index only: a read follows
                writable = index == COMMAND
                r.ack(writable)
                if writable and b[0] == 0x01 and not regs[STATUS] & BUSY:
                    regs[STATUS] = BUSY
                    asyncio.create_task(measure())
            else:
                r.write(regs[index:])
        served += 1
        # request_async() returns at once while requests keep coming; give
        # the other tasks their turn after each one.
        await asyncio.sleep(0)


async def main():
    scl, sda = pins(SCL_PIN, SDA_PIN)
    with I2CPeripheral(scl, sda, (ADDRESS,)) as dev:
        beat = asyncio.create_task(heartbeat())
        try:
            await serve(dev)
        finally:
            beat.cancel()


asyncio.run(main())
