# A 24C02-style serial EEPROM: 256 bytes at address 0x50, served entirely in
# the interrupt handler (register mode), so it also works with controllers
# that cannot stretch the clock (Raspberry Pi hardware I2C).
#
#   write:  [index, data, data, ...]   stored from index on, auto-increment
#   read:   [index] + repeated START + read n   (random / sequential read)
#   read:   read n without an index write       (current-address read)
#
# Like a real 24C02: one index byte, reads and writes wrap from 0xff to 0x00,
# a blank chip reads 0xff.  Unlike it: the 16-byte page wrap of a page write
# is NOT emulated (a write running past a page boundary goes on into the next
# page instead of wrapping to the start of its own page), there is no write
# cycle time (the chip is ready again at once, no ACK polling needed), and
# there is no write-protect pin.
#
# The contents persist in a file: at start-up the file is loaded (if it is
# missing or short, the rest reads 0xff), and each span the controller writes
# (memory_changed()) is written back to the file once the bus has been quiet
# for FLUSH_MS, and at exit.  On a board the file is "eeprom.bin" on the
# board's filesystem; on a PC set EEPROM_FILE=/some/path (environment).
#
# From a Linux host:  i2cset -y 1 0x50 0x10 0x42 ; i2cdump -y 1 0x50 b
import os
import time

from i2cperipheral import I2CPeripheral

ADDRESS = 0x50
SIZE = 256
FLUSH_MS = 20
SCL_PIN = 5  # Raspberry Pi Pico: I2C0 on GP5 (SCL) / GP4 (SDA); other boards: see README
SDA_PIN = 4


def pins(scl, sda):
    """machine.Pin objects on a board; plain numbers on the PC simulator."""
    try:
        from machine import Pin
    except ImportError:
        return scl, sda
    return Pin(scl), Pin(sda)


def storage_path():
    getenv = getattr(os, "getenv", None)  # unix port and CPython only
    path = getenv("EEPROM_FILE") if getenv else None
    return path or "eeprom.bin"


try:
    ticks_ms = time.ticks_ms
    ticks_diff = time.ticks_diff
except AttributeError:  # CPython
    def ticks_ms():
        return int(time.monotonic() * 1000)

    def ticks_diff(a, b):
        return a - b


def load(path, mem):
    """Fill mem from the file; what the file lacks stays 0xff (blank)."""
    try:
        with open(path, "rb") as f:
            data = f.read(len(mem))
    except OSError:
        data = b""
    mem[:len(data)] = data
    return len(data)


def save(path, mem, lo, hi):
    """Write mem[lo:hi] to the file at offset lo (the whole image if the
    file is not there yet or is short)."""
    try:
        f = open(path, "r+b")
        if f.seek(0, 2) < len(mem):
            f.close()
            raise OSError("short")
    except OSError:
        f = open(path, "wb")
        lo, hi = 0, len(mem)
    with f:
        f.seek(lo)
        f.write(memoryview(mem)[lo:hi])


path = storage_path()
mem = bytearray(b"\xff" * SIZE)
load(path, mem)
scl, sda = pins(SCL_PIN, SDA_PIN)
saves = 0

with I2CPeripheral(scl, sda, (ADDRESS,)) as eeprom:
    eeprom.serve_memory(ADDRESS, mem)  # 1 index byte, wraps at 256
    dirty = None        # (lo, hi) written by the controller, not yet saved
    last_change = ticks_ms()
    try:
        while True:
            eeprom.request()  # nothing to answer (register mode); keeps the bus going on a PC
            span = eeprom.memory_changed(ADDRESS)
            now = ticks_ms()
            if span:
                lo, hi = span
                dirty = (min(lo, dirty[0]), max(hi, dirty[1])) if dirty else span
                last_change = now
            elif dirty and ticks_diff(now, last_change) >= FLUSH_MS:
                save(path, mem, dirty[0], dirty[1])
                saves += 1
                dirty = None
    finally:
        # Ctrl-C, or the end of a simulation: do not lose the last write.
        span = eeprom.memory_changed(ADDRESS)
        if span:
            dirty = (min(span[0], dirty[0]), max(span[1], dirty[1])) if dirty else span
        if dirty:
            save(path, mem, dirty[0], dirty[1])
            saves += 1
