# Demo: the reference example (examples/peripheral_regs.py) runs unchanged
# against a simulated bus whose controller plays i2c-tools commands at it.
# The target side is the real engine and sim port (C, through ctypes); the
# example's `while True` loop ends when the controller has nothing left.
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "python"))

from i2cperipheral import sim  # noqa: E402

COMMANDS = (
    ("i2cget -y 1 0x40 0x01", lambda bus: bus.i2cget(0x40, 0x01)),
    ("i2cset -y 1 0x40 0x01 0xaa", lambda bus: bus.i2cset(0x40, 0x01, 0xAA)),
    ("i2cget -y 1 0x40 0x01", lambda bus: bus.i2cget(0x40, 0x01)),
    ("i2cget -y 1 0x40", lambda bus: bus.i2cget(0x40)),
    ("i2cset -y 1 0x41 0xde", lambda bus: bus.write_byte(0x41, 0xDE)),
    ("i2cget -y 1 0x42", lambda bus: bus.i2cget(0x42)),
)


def run_example(bus):
    """Run examples/peripheral_regs.py until the simulated controller is done."""
    path = os.path.join(HERE, "peripheral_regs.py")
    with open(path) as f:
        code = compile(f.read(), path, "exec")
    try:
        exec(code, {"__name__": "__main__"})
    except sim.SimulationDone:
        pass


def show(command, transfer):
    if transfer.error:
        return "%-28s -> Error: %s" % (command, transfer.error)
    if transfer.value is None:
        return "%-28s -> ok (%d byte(s) ACKed)" % (command, sum(transfer.acked))
    return "%-28s -> 0x%02x" % (command, transfer.value)


def main():
    bus = sim.reset(stretching=True, clock_hz=100000)
    transfers = [(command, queue(bus)) for command, queue in COMMANDS]
    print("simulated bus, 100 kHz; target: examples/peripheral_regs.py at 0x40 and 0x41\n")
    run_example(bus)
    print()
    for command, transfer in transfers:
        print(show(command, transfer))
    print("\n%d us of bus time simulated" % bus.now_us())


if __name__ == "__main__":
    main()
