# CircuitPython's newer name for i2cperipheral: the same classes.
from i2cperipheral import I2CTarget as I2CTarget, I2CTargetRequest as I2CTargetRequest
