# Emulation of a TI TMP117 digital temperature sensor at its default address
# 0x48, with its register map, so that a Linux host's own driver (tmp117, IIO)
# or any TMP117 library sees a plausible sensor:
#
#   0x00 TEMP_RESULT  16-bit two's complement, 7.8125 m°C per LSB (1/128 °C)
#   0x01 CONFIG       bit15 HIGH_ALERT, bit14 LOW_ALERT, bit13 DATA_READY
#                     (flags: read-only, cleared when CONFIG is read; DATA_READY
#                     also when TEMP_RESULT is read), bits 11:10 MOD (00
#                     continuous, 01 shutdown, 11 one-shot), bits 9:7 CONV,
#                     bit1 SOFT_RESET; reset value 0x0220
#   0x02 THIGH_LIMIT  reset 0x6000 (192 °C)      0x03 TLOW_LIMIT reset 0x8000 (-256 °C)
#   0x04 EEPROM_UL    0x0000 (EEPROM not emulated: writes are accepted, nothing is programmed)
#   0x05 EEPROM1, 0x06 EEPROM2, 0x08 EEPROM3   general-purpose words
#   0x07 TEMP_OFFSET  added to every result, same format as TEMP_RESULT
#   0x0F DEVICE_ID    0x0117 (read-only)
# Every register is a 16-bit word sent MSB first.  A write is [pointer, MSB,
# LSB]; [pointer] alone sets the pointer for the reads that follow (with or
# without a repeated START).  Pointers 0x09-0x0e do not exist and are NACKed;
# writes to the read-only registers are NACKed at their first data byte.
#
# The temperature follows a slow, smooth "room" curve (23.5 °C +- 1.5 °C over
# two minutes), converted once per conversion cycle: CONV selects the cycle
# (with the reset averaging: 125 ms to 16 s, 1 s at reset).  Simplifications:
# alert mode only (no therm mode hysteresis), the ALERT pin is not driven,
# AVG is stored but does not change the cycle.
#
# From a Linux host:  i2cget -y 1 0x48 0x0f w   -> 0x1701 (SMBus words are LSB
# first; the chip sends MSB first), or  i2ctransfer -y 1 w1@0x48 0x00 r2.
# With the kernel driver: echo tmp117 0x48 > /sys/bus/i2c/devices/i2c-1/new_device
import math
import time

from i2cperipheral import I2CPeripheral

ADDRESS = 0x48
SCL_PIN = 5  # Raspberry Pi Pico: I2C0 on GP5 (SCL) / GP4 (SDA); other boards: see README
SDA_PIN = 4

TEMP, CONFIG, THIGH, TLOW, EEPROM_UL, EEPROM1, EEPROM2, OFFSET, EEPROM3 = range(9)
DEVICE_ID = 0x0F
RESET = {TEMP: 0x8000, CONFIG: 0x0220, THIGH: 0x6000, TLOW: 0x8000, EEPROM_UL: 0,
         EEPROM1: 0, EEPROM2: 0, EEPROM3: 0, OFFSET: 0, DEVICE_ID: 0x0117}
READ_ONLY = (TEMP, DEVICE_ID)
HIGH_ALERT, LOW_ALERT, DATA_READY = 0x8000, 0x4000, 0x2000
FLAGS = HIGH_ALERT | LOW_ALERT | DATA_READY
MOD_SHUTDOWN, MOD_ONE_SHOT = 0x0400, 0x0C00
SOFT_RESET = 0x0002
CYCLE_MS = (125, 125, 250, 500, 1000, 4000, 8000, 16000)  # CONV 0..7 (AVG = 8)
LSB_C = 0.0078125

try:
    ticks_ms = time.ticks_ms
    ticks_diff = time.ticks_diff
except AttributeError:  # CPython
    def ticks_ms():
        return int(time.monotonic() * 1000)

    def ticks_diff(a, b):
        return a - b


def pins(scl, sda):
    """machine.Pin objects on a board; plain numbers on the PC simulator."""
    try:
        from machine import Pin
    except ImportError:
        return scl, sda
    return Pin(scl), Pin(sda)


def signed16(v):
    return v - 0x10000 if v & 0x8000 else v


def room_temperature(ms):
    """The simulated environment, in °C, ms milliseconds after start."""
    return 23.5 + 1.5 * math.sin(2 * math.pi * ms / 120000)


regs = dict(RESET)
started = ticks_ms()
last_conversion = started
conversions = 0


def convert():
    """One conversion: result (+ offset), DATA_READY, alert flags."""
    global conversions
    celsius = room_temperature(ticks_diff(ticks_ms(), started))
    raw = int(round(celsius / LSB_C)) + signed16(regs[OFFSET])
    raw = max(-0x8000, min(0x7FFF, raw))
    regs[TEMP] = raw & 0xFFFF
    flags = DATA_READY
    if raw > signed16(regs[THIGH]):
        flags |= HIGH_ALERT
    if raw < signed16(regs[TLOW]):
        flags |= LOW_ALERT
    regs[CONFIG] |= flags
    conversions += 1


def housekeeping():
    """Convert when a cycle is over (continuous mode) or once (one-shot)."""
    global last_conversion
    mode = regs[CONFIG] & MOD_ONE_SHOT
    if mode == MOD_SHUTDOWN:
        return
    now = ticks_ms()
    cycle = CYCLE_MS[(regs[CONFIG] >> 7) & 7]
    if mode == MOD_ONE_SHOT or ticks_diff(now, last_conversion) >= cycle:
        last_conversion = now
        convert()
        if mode == MOD_ONE_SHOT:  # back to shutdown once the result is there
            regs[CONFIG] = (regs[CONFIG] & ~MOD_ONE_SHOT & 0xFFFF) | MOD_SHUTDOWN


def write_register(pointer, value):
    global last_conversion
    if pointer == CONFIG:
        if value & SOFT_RESET:
            regs.clear()
            regs.update(RESET)
            last_conversion = ticks_ms()
            convert()
            return
        regs[CONFIG] = (regs[CONFIG] & FLAGS) | (value & ~FLAGS & ~SOFT_RESET & 0xFFFF)
    else:
        regs[pointer] = value


def read_register(pointer):
    value = regs[pointer]
    if pointer == CONFIG:
        regs[CONFIG] &= ~FLAGS & 0xFFFF  # reading CONFIG clears the flags
    elif pointer == TEMP:
        regs[CONFIG] &= ~DATA_READY & 0xFFFF
    return value


scl, sda = pins(SCL_PIN, SDA_PIN)
pointer = TEMP
convert()  # the first conversion is done right after power-up

with I2CPeripheral(scl, sda, (ADDRESS,)) as sensor:
    while True:
        r = sensor.request()
        if not r:
            housekeeping()
            continue
        with r:
            if not r.is_read:
                p = r.read(1, ack=False)
                if not p:
                    continue
                r.ack(p[0] in regs)              # NACK a pointer that does not exist
                if p[0] not in regs:
                    continue
                pointer = p[0]
                msb = r.read(1, ack=False)
                if not msb:
                    continue                      # pointer only: reads follow
                r.ack(pointer not in READ_ONLY)  # NACK writes to read-only registers
                if pointer in READ_ONLY:
                    continue
                lsb = r.read(1)
                if lsb:
                    write_register(pointer, msb[0] << 8 | lsb[0])
            else:
                value = read_register(pointer)
                r.write(bytes([value >> 8, value & 0xFF]))
