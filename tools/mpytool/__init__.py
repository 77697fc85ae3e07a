"""mpytool: build MicroPython native modules (.mpy 6.3) from ELF objects.

    python -m tools.mpytool link -o out.mpy --arch ARCH a.o b.o [--lib libgcc.a]
    python -m tools.mpytool dump x.mpy
"""
