# The example of CircuitPython's i2cperipheral documentation, with the
# repairs its text needs to be valid Python (the two bodies it leaves empty
# are filled in, marked "repaired") and pins that also exist on a PC.
#
# From a Linux host:  i2cset -y 1 0x40 0x01 0xaa ; i2cget -y 1 0x40 0x01
try:
    import board
except ImportError:  # no CircuitPython `board`: any two pin numbers do on the simulator
    class board:
        SCL = 5
        SDA = 4

from i2cperipheral import I2CPeripheral

regs = [0] * 16
index = 0

with I2CPeripheral(board.SCL, board.SDA, (0x40, 0x41)) as device:
    while True:
        r = device.request()
        if not r:
            # Maybe do some housekeeping
            continue  # repaired: the loop body was empty
        with r:  # Closes the transfer if necessary by sending a NACK or feeding dummy bytes
            if r.address == 0x40:
                if not r.is_read:  # Main write which is Selected read
                    b = r.read(1)
                    if not b or b[0] > 15:
                        continue  # repaired: empty body; ignore a bad register index
                    index = b[0]
                    b = r.read(1)
                    if b:
                        regs[index] = b[0]
                elif r.is_restart:  # Combined transfer: This is the Main read message
                    n = r.write(bytes([regs[index]]))
                    # A read transfer is not supported in this example
                    # If the microcontroller tries, it will get 0xff byte(s) by the ctx manager (r.close())
            elif r.address == 0x41:
                if not r.is_read:
                    b = r.read(1)
                    if b and b[0] == 0xde:
                        # do something
                        print("0x41 received 0xde")  # repaired: empty body
