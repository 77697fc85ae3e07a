"""Register model of the STM32 I2C v2 block (F0/F3/F7/L0/L4/G4/H7/WB) in
slave mode, typed in from RM0385 / RM0351 independently of the C headers.

Facts modelled:
- ISR is read-only except TXE (writing 1 flushes TXDR); flags are cleared
  through ICR (ADDRCF, NACKCF, STOPCF, BERRCF, ARLOCF, OVRCF, TIMOUTCF).
- Address: ACKed by hardware on an OA1 (OA1EN) or OA2 (OA2EN, OA2MSK masks
  the low bits; reserved addresses are never ACKed through a mask) match;
  ADDR stretches SCL until ADDRCF; ADDCODE and DIR tell what matched.
  OA1 cannot change while OA1EN=1.
- Reception with SBC=1, RELOAD=1, NBYTES=1: each byte goes to RXDR (RXNE)
  and sets TCR, SCL held between the 8th and 9th clock; writing CR2 with a
  non-zero NBYTES sends the ACK, or the NACK when CR2.NACK is set (NACK
  clears after being sent).  Without byte control the hardware ACKs alone.
- Transmission (NOSTRETCH=0): TXIS when TXDR is empty and the next byte is
  needed; a byte moves from TXDR to the shift register when the controller
  starts clocking it, which raises TXIS for the one after; SCL is stretched
  while the controller wants a byte and TXDR is empty.  NACKF on the
  controller's NACK, STOPF on the STOP after it.
- PE=0 resets the state machine and the flags.
- Lines: event (ADDRIE, NACKIE, STOPIE, TCIE for TCR, TXIE, RXIE), error
  (ERRIE: BERR, ARLO, OVR, TIMEOUT).
"""

from .bus import ACK, HOLD, NACK, SENT  # noqa: F401 (the models' result codes)

CR1, CR2, OAR1, OAR2, TIMINGR, TIMEOUTR, ISR, ICR, PECR, RXDR, TXDR = (
    0x00, 0x04, 0x08, 0x0C, 0x10, 0x14, 0x18, 0x1C, 0x20, 0x24, 0x28)
PE, TXIE, RXIE, ADDRIE, NACKIE, STOPIE, TCIE, ERRIE = 1, 2, 4, 8, 0x10, 0x20, 0x40, 0x80
SBC, NOSTRETCH = 1 << 16, 1 << 17
CR2_NACK, RELOAD = 1 << 15, 1 << 24
TXE, TXIS, RXNE, ADDR, NACKF, STOPF, TC, TCR = 1, 2, 4, 8, 0x10, 0x20, 0x40, 0x80
BERR, ARLO, OVR, TIMEOUT = 1 << 8, 1 << 9, 1 << 10, 1 << 12
ERRORS = BERR | ARLO | OVR | TIMEOUT
DIR = 1 << 16
ICR_BITS = ADDR | NACKF | STOPF | BERR | ARLO | OVR | (1 << 11) | TIMEOUT | (1 << 13)


class ModelError(AssertionError):
    pass


def reserved(address):
    return address <= 0x07 or address >= 0x78


class I2CV2:
    def __init__(self, irq_event, irq_error):
        self.irq_event = irq_event
        self.irq_error = irq_error
        self.emu = None
        self.log = []
        self.acks = []
        self.cr1 = self.cr2 = self.oar1 = self.oar2 = self.timingr = self.timeoutr = 0
        self._reset_state()

    def _reset_state(self):
        self.isr = TXE
        self.rxdr = 0
        self.txdr = None
        self.shift = None
        self.state = "idle"          # idle, rx, tx, nacked
        self.pending = None
        self.out_done = False
        self.addcode = 0
        self.dir = False
        self.outcome = None

    # ---- register side ------------------------------------------------------
    def read(self, off, size):
        if size != 4:
            raise ModelError("I2C v2 registers are read as words (0x%x size %d)" % (off, size))
        if off == ISR:
            return self.isr | (self.addcode << 17) | (DIR if self.dir else 0)
        if off == RXDR:
            self.isr &= ~RXNE
            return self.rxdr
        regs = {CR1: self.cr1, CR2: self.cr2, OAR1: self.oar1, OAR2: self.oar2,
                TIMINGR: self.timingr, TIMEOUTR: self.timeoutr, ICR: 0, PECR: 0, TXDR: self.txdr or 0}
        if off in regs:
            return regs[off]
        raise ModelError("unmodelled I2C v2 read 0x%x" % off)

    def write(self, off, size, value):
        if size != 4:
            raise ModelError("I2C v2 registers are written as words (0x%x)" % off)
        if off == CR1:
            if self.cr1 & PE and not value & PE:
                self._reset_state()
            if self.cr1 & PE and value & PE and (value ^ self.cr1) & (SBC | NOSTRETCH):
                raise ModelError("SBC / NOSTRETCH changed while PE=1")
            self.cr1 = value
            return
        if off == CR2:
            self.cr2 = value & 0x07FFFFFF
            if self.isr & TCR and self.cr2 >> 16 & 0xFF:
                nack = bool(self.cr2 & CR2_NACK)
                self.isr &= ~TCR
                self.cr2 &= ~CR2_NACK
                self.acks.append(NACK if nack else ACK)
                self.outcome = NACK if nack else ACK
                if nack:
                    self.state = "nacked"
            return
        if off == OAR1:
            if self.oar1 & (1 << 15) and value & (1 << 15) and (value ^ self.oar1) & 0x3FF:
                raise ModelError("OA1 changed while OA1EN=1")
            self.oar1 = value & 0x87FF
            return
        if off == OAR2:
            if self.oar2 & (1 << 15) and value & (1 << 15) and (value ^ self.oar2) & 0x7FE:
                raise ModelError("OA2 changed while OA2EN=1")
            self.oar2 = value & 0x87FE
            return
        if off == TIMINGR:
            if self.cr1 & PE:
                raise ModelError("TIMINGR written while PE=1")
            self.timingr = value
            return
        if off == TIMEOUTR:
            self.timeoutr = value
            return
        if off == ISR:
            if value & TXE:
                self.txdr = None
                self.isr |= TXE
                if self.state == "tx" and not self.isr & ADDR:
                    self.isr |= TXIS
            return
        if off == ICR:
            cleared = value & ICR_BITS & self.isr
            self.isr &= ~(value & ICR_BITS)
            if cleared & ADDR and self.state == "tx" and self.isr & TXE:
                self.isr |= TXIS
            return
        if off == TXDR:
            if not self.isr & TXE:
                raise ModelError("TXDR written while full")
            self.txdr = value & 0xFF
            self.isr &= ~(TXE | TXIS)
            return
        if off == PECR:
            return
        raise ModelError("unmodelled I2C v2 write 0x%x" % off)

    def pending_irqs(self):
        if not self.cr1 & PE:
            return set()
        out = set()
        ev = ((self.isr & ADDR and self.cr1 & ADDRIE) or (self.isr & NACKF and self.cr1 & NACKIE)
              or (self.isr & STOPF and self.cr1 & STOPIE) or (self.isr & TCR and self.cr1 & TCIE)
              or (self.isr & TXIS and self.cr1 & TXIE) or (self.isr & RXNE and self.cr1 & RXIE))
        if ev:
            out.add(self.irq_event)
        if self.isr & ERRORS and self.cr1 & ERRIE:
            out.add(self.irq_error)
        return out

    def irq_reason(self):
        if self.isr & ERRORS and self.cr1 & ERRIE:
            return "error"
        if self.isr & ADDR and self.cr1 & ADDRIE:
            return "address"
        if self.isr & NACKF and self.cr1 & NACKIE:
            return "nack"
        if self.isr & TCR and self.cr1 & TCIE:
            return "byte_in"
        if self.isr & TXIS and self.cr1 & TXIE:
            return "byte_out"
        if self.isr & STOPF and self.cr1 & STOPIE:
            return "stop"
        return None

    # ---- bus side -------------------------------------------------------------
    @property
    def enabled(self):
        return bool(self.cr1 & PE)

    def matches(self, address):
        if self.oar1 & (1 << 15) and not self.oar1 & (1 << 10) and address == (self.oar1 >> 1) & 0x7F:
            return True
        if self.oar2 & (1 << 15):
            k = self.oar2 >> 8 & 7
            if k and reserved(address):
                return False
            return (address >> k) == (((self.oar2 >> 1) & 0x7F) >> k)
        return False

    def stretched(self):
        return bool(self.isr & (ADDR | TCR)) or self.pending is not None

    def address(self, address, is_read, restart=False):
        if self.isr & (ADDR | TCR):
            raise ModelError("START while the target holds SCL")
        if not self.enabled or not self.matches(address):
            self.state = "idle"
            return NACK
        self.isr |= ADDR
        self.addcode = address
        self.dir = bool(is_read)
        self.state = "tx" if is_read else "rx"
        self.shift = None
        self.out_done = False
        self.pending = None
        self.log.append(("start", address, is_read, restart))
        self.emu.service_interrupts()
        return ACK                       # the hardware ACKs a matched address

    def write_byte(self, byte):
        if self.state not in ("rx", "nacked"):
            raise ModelError("write_byte in state %s" % self.state)
        self.pending = ("w", byte & 0xFF)
        return self._settle()

    def read_byte(self):
        if self.state != "tx":
            raise ModelError("read_byte in state %s" % self.state)
        self.pending = ("r",)
        return self._settle()

    def _step(self):
        """Let a pending bus step go as far as the registers allow."""
        if self.pending is None or self.isr & ADDR:
            return
        if self.pending[0] == "w":
            if self.isr & TCR:
                return
            if self.pending[1] is None:
                return
            byte = self.pending[1]
            self.pending = ("w", None)
            if self.state == "nacked":
                self.acks.append(NACK)
                self.outcome = NACK
                self.pending = None
                return
            if self.isr & RXNE:
                raise ModelError("byte received while RXDR still full")
            self.rxdr = byte
            self.isr |= RXNE
            if self.cr1 & SBC and self.cr2 & RELOAD and self.cr2 >> 16 & 0xFF:
                self.cr2 = (self.cr2 & ~(0xFF << 16)) | (((self.cr2 >> 16 & 0xFF) - 1) << 16)
                if not self.cr2 >> 16 & 0xFF:
                    self.isr |= TCR
                    return
            self.acks.append(ACK)
            self.outcome = ACK
            return
        # read: the controller starts clocking the next byte
        if self.out_done:
            self.out_done = False
            self.shift = None
        if self.shift is None:
            if self.txdr is None:
                return                        # stretched until TXDR is written
            self.shift, self.txdr = self.txdr, None
            self.isr |= TXE | TXIS

    def _settle(self):
        for _ in range(8):
            self._step()
            before = (self.isr, self.txdr, self.cr2)
            self.emu.service_interrupts()
            if (self.isr, self.txdr, self.cr2) == before:
                break
        self._step()
        return self._result()

    def poll(self):
        return self._settle()

    def _result(self):
        if self.pending is None:
            return self.outcome
        if self.state == "idle":
            self.pending = None
            return NACK
        if self.pending[0] == "w":
            if self.pending[1] is None and not self.isr & TCR:
                self.pending = None
                return self.outcome
            return HOLD
        if self.shift is None or self.isr & ADDR:
            return HOLD
        self.pending = None
        self.out_done = True
        self.log.append(("out", self.shift))
        return SENT | self.shift

    def controller_nack(self):
        if self.state != "tx" or not self.out_done:
            raise ModelError("controller_nack with no byte sent")
        self.out_done = False
        self.shift = None
        self.isr |= NACKF
        self.state = "nacked"
        self.emu.service_interrupts()
        if self.isr & NACKF:
            raise ModelError("driver left NACKF set")
        return ACK

    def stop(self):
        if self.isr & (ADDR | TCR) or (self.pending is not None and self.state != "idle"):
            raise ModelError("STOP while the target holds SCL")
        was = self.state
        self.state = "idle"
        if was != "idle" and self.enabled:
            self.isr |= STOPF
        self.emu.service_interrupts()
        return ACK

    def bus_error(self, flag=BERR):
        self.isr = (self.isr & ~(ADDR | TCR)) | flag
        self.state = "idle"
        self.pending = None
        self.shift = None
        self.emu.service_interrupts()
        return ACK
