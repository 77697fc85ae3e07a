# CircuitPython's `board` as the examples use it (they fall back to pin numbers).
SCL: int
SDA: int
