# MicroPython manifest: freezes the i2cperipheral library into a firmware.
# From a board's manifest:
#     include("/path/to/repo/manifest.py")             the library (board)
#     include("/path/to/repo/manifest.py", sim=True)   + sim.py, for a unix build
#                                                      with the simulated bus
# The native part is a user C module (natmod/micropython.mk, .cmake), or
# the chip's _i2ct.mpy in /lib.  _host.py (ctypes, CPython) is never frozen.
options.defaults(sim=False)
metadata(description="CircuitPython's i2cperipheral / i2ctarget API: an I2C target "
         "(peripheral) in Python", version="0.1.0")
package("i2cperipheral", files=["__init__.py", "_abi.py", "_machine.py"], base_path="python")
module("i2ctarget.py", base_path="python")
if options.sim:
    package("i2cperipheral", files=["sim.py"], base_path="python")
