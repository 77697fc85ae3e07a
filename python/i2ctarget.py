# CircuitPython's newer name for i2cperipheral: the same objects.
from i2cperipheral import I2CTarget, I2CTargetRequest  # noqa: F401
