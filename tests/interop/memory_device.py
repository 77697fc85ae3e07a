# A device for the i2c-tools tests (tests/test_i2ctools.py), written with the
# API as it would run on a board:
#   0x50  a 256-byte EEPROM-style register file served in the interrupt
#         (serve_memory: index byte, then data, auto-increment, wrap)
#   0x51  request mode: an SMBus block read of command 0x01 answers
#         [4, 1, 2, 3, 4]; a write of [0x02, v] stores v, read back by
#         the read-byte-data of command 0x02.
from i2cperipheral import I2CPeripheral

mem = bytearray(range(256))
stored = 0

with I2CPeripheral(5, 4, (0x50, 0x51)) as dev:
    dev.serve_memory(0x50, mem)
    command = None
    while True:
        r = dev.request()
        if not r:
            continue
        with r:
            if r.address != 0x51:
                continue
            if not r.is_read:
                b = r.read(1)
                command = b[0] if b else None
                if command == 0x02:
                    v = r.read(1)
                    if v:
                        stored = v[0]
            elif command == 0x01:
                r.write(bytes([4, 1, 2, 3, 4]))
            elif command == 0x02:
                r.write(bytes([stored]))
