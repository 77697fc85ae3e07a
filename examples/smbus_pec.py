# An SMBus device with Packet Error Checking (PEC: CRC-8, polynomial
# x^8 + x^2 + x + 1 = 0x07, initial value 0, over every byte of the
# transaction including the address bytes).
#
# Address 0x2a, commands:
#   0x00-0x0f  byte registers: write byte data / read byte data
#   0x10-0x17  word registers: write word data / read word data (LSB first)
#   anything else is NACKed at the command byte.
#
# Writes: [cmd, data(, PEC)].  PEC is optional, as SMBus allows: a write that
# ends right after its data is taken as it is.  When a PEC byte follows, it is
# received with read(1, ack=False), which holds the byte unacknowledged (SCL
# stretched) while we compare it; then ack(True) accepts it, or ack(False)
# NACKs it and the write is discarded (the host sees an I/O error, e.g.
# Linux's EREMOTEIO / smbus2 OSError, and can retry).
# Reads: [cmd] + repeated START + [data..., PEC]: the PEC byte always follows
# the data; a host that does not use PEC NACKs the last data byte and never
# clocks it out.  A read without a command write first ("receive byte")
# answers from the last command, with the PEC over the read address only.
#
# From a Linux host with PEC: i2cset -y 1 0x2a 0x03 0x5a bp ; i2cget -y 1 0x2a 0x03 bp
# (wp for the word registers; smbus2: bus.pec = 1; or i2ctransfer with the PEC
# byte written out: w3@0x2a 0x03 0x5a 0x??).  Send byte (a command alone) is
# not one of this device's commands: with PEC on, its PEC byte would be taken
# as the data of a byte write, so `i2cget ... c` modes are not for PEC here.
# The same bp/wp commands work on the PC too, without a board (the i2c-tools
# shim adds and checks the PEC as Linux does):
#   make i2c-shim
#   python -m tools.packaging.i2csim serve examples/smbus_pec.py &
#   python -m tools.packaging.i2csim run -- i2cset -y 1 0x2a 0x03 0x5a bp
#   python -m tools.packaging.i2csim run -- i2cget -y 1 0x2a 0x03 bp
from i2cperipheral import I2CPeripheral

ADDRESS = 0x2A
SCL_PIN = 5  # Raspberry Pi Pico: I2C0 on GP5 (SCL) / GP4 (SDA); other boards: see README
SDA_PIN = 4


def pins(scl, sda):
    """machine.Pin objects on a board; plain numbers on the PC simulator."""
    try:
        from machine import Pin
    except ImportError:
        return scl, sda
    return Pin(scl), Pin(sda)


def crc8(data, crc=0):
    """SMBus PEC: CRC-8, polynomial 0x07, no reflection, no final XOR."""
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = ((crc << 1) ^ 0x07) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
    return crc


def width(cmd):
    """Data bytes of a command: 1 (byte register), 2 (word), 0 (unknown)."""
    if 0x00 <= cmd <= 0x0F:
        return 1
    if 0x10 <= cmd <= 0x17:
        return 2
    return 0


byte_regs = bytearray(16)
word_regs = [0] * 8
pec_errors = 0       # writes discarded for a wrong PEC
writes_with_pec = 0
writes_without_pec = 0


def value_bytes(cmd):
    if width(cmd) == 1:
        return bytes([byte_regs[cmd]])
    w = word_regs[cmd - 0x10]
    return bytes([w & 0xFF, w >> 8])


def store(cmd, data):
    if width(cmd) == 1:
        byte_regs[cmd] = data[0]
    else:
        word_regs[cmd - 0x10] = data[0] | data[1] << 8


scl, sda = pins(SCL_PIN, SDA_PIN)
command = 0
with I2CPeripheral(scl, sda, (ADDRESS,), smbus=True) as dev:
    wr = ADDRESS << 1      # address byte of a write, as it goes into the PEC
    rd = wr | 1
    while True:
        r = dev.request()
        if not r:
            continue
        with r:
            if not r.is_read:
                c = r.read(1, ack=False)       # hold the command byte: known?
                if not c:
                    continue                   # quick command: nothing to do
                n = width(c[0])
                r.ack(n > 0)                   # NACK an unknown command
                if not n:
                    continue
                command = c[0]
                data = r.read(n)
                if len(data) < n:
                    continue                   # only the command: a read follows (or nothing)
                pec = r.read(1, ack=False)     # PEC byte, held until we have checked it
                if not pec:
                    store(command, data)       # STOP right after the data: no PEC used
                    writes_without_pec += 1
                    continue
                good = pec[0] == crc8(bytes([wr, command]) + data)
                r.ack(good)                    # NACK a bad PEC ...
                if good:
                    store(command, data)
                    writes_with_pec += 1
                else:
                    pec_errors += 1            # ... and discard the write
            else:
                data = value_bytes(command)
                if r.is_restart:               # read byte/word data: [wr, cmd, rd, data]
                    covered = bytes([wr, command, rd]) + data
                else:                          # receive byte: [rd, data]
                    covered = bytes([rd]) + data
                r.write(data + bytes([crc8(covered)]))
