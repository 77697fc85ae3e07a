"""Register model of the STM32 I2C v1 block (F1/F2/F4/L1) in slave mode.

Facts modelled (RM0090, section 27), typed in independently of the C headers:
- SR1 clear sequences: ADDR by an SR1 read followed by an SR2 read; STOPF by
  an SR1 read followed by a CR1 write; BTF by an SR1 read followed by a DR
  read or write.  The model applies them only when the SR1 read is the
  access just before (a stricter reading than the hardware's), so a driver
  that relies on an unrelated older read fails here.
- Error flags BERR/ARLO/AF/OVR/TIMEOUT are cleared by writing 0, writing 1
  leaves them; the other SR1 bits are read-only.
- Reception: the ACK of a byte is CR1.ACK when the byte is clocked; RxNE
  after the ACK; a second byte while DR is unread goes to the shift register,
  sets BTF and stretches SCL after its ACK pulse.  The controller has its ACK
  then, but cannot clock on or make a STOP until SCL is high again: the byte
  step answers HOLD, and poll() gives the ACK once BTF is cleared (an SR1
  read followed by a DR read).  Address: ACKed by hardware only with PE=1,
  CR1.ACK=1 and an OAR1 / OAR2(ENDUAL) match; ADDR stretches SCL.
- Transmission: a DR write with the shift register empty moves the byte on
  at once; the next byte is wanted after the controller's ACK: with DR empty
  BTF is set and SCL stretched.  A controller NACK sets AF; no STOPF after it.
- CR1.ACK reads 0 while PE=0; SWRST resets everything.
- Interrupt lines: event (ITEVTEN: ADDR/STOPF/BTF; ITBUFEN: RxNE/TxE),
  error (ITERREN: BERR/ARLO/AF/OVR/TIMEOUT).
"""

from .bus import ACK, HOLD, NACK, SENT  # noqa: F401 (the models' result codes)

CR1, CR2, OAR1, OAR2, DR, SR1, SR2, CCR, TRISE = 0x00, 0x04, 0x08, 0x0C, 0x10, 0x14, 0x18, 0x1C, 0x20
PE, ACKBIT, SWRST, NOSTRETCH = 1, 1 << 10, 1 << 15, 1 << 7
ITERREN, ITEVTEN, ITBUFEN = 1 << 8, 1 << 9, 1 << 10
ADDR, BTF, STOPF, RXNE, TXE = 2, 4, 0x10, 0x40, 0x80
BERR, ARLO, AF, OVR, TIMEOUT = 1 << 8, 1 << 9, 1 << 10, 1 << 11, 1 << 14
ERRORS = BERR | ARLO | AF | OVR | TIMEOUT
TRA, BUSY, DUALF = 4, 2, 0x80


class ModelError(AssertionError):
    pass


class I2CV1:
    def __init__(self, irq_event, irq_error):
        self.irq_event = irq_event
        self.irq_error = irq_error
        self.log = []
        self.acks = []              # wire ACK/NACK of every data byte received
        self.emu = None
        self._reset()

    def _reset(self):
        self.cr1 = self.cr2 = self.oar1 = self.oar2 = 0
        self.sr1 = 0
        self.sr2 = 0
        self.dr = None              # byte in DR (rx: received, tx: to send)
        self.shift = None           # byte in the shift register
        self.latch = None           # SR1 value when SR1 was the last access
        self.state = "idle"         # idle, rx, tx, nacked
        self.pending = None         # bus step waiting for the stretch to end
        self.outcome = None

    # ---- register side ------------------------------------------------------
    def _take_latch(self):
        latch, self.latch = self.latch, None
        return latch

    def read(self, off, size):
        if size != 4:
            raise ModelError("I2C v1 registers are read as words (offset 0x%x size %d)" % (off, size))
        if off == SR1:
            self.latch = self.sr1
            return self.sr1
        latch = self._take_latch()
        if off == SR2:
            if latch is not None and latch & ADDR:
                self.sr1 &= ~ADDR
                self._addr_cleared()
            return self.sr2
        if off == CR1:
            return self.cr1
        if off == CR2:
            return self.cr2
        if off == OAR1:
            return self.oar1
        if off == OAR2:
            return self.oar2
        if off == DR:
            if self.sr1 & BTF:
                if latch is None or not latch & BTF:
                    raise ModelError("DR read with BTF set but no SR1 read just before")
                self.sr1 &= ~BTF
            value = self.dr if self.dr is not None else 0
            self.dr = None
            self.sr1 &= ~RXNE
            if self.state == "rx" and self.shift is not None:
                self.dr, self.shift = self.shift, None
                self.sr1 |= RXNE
            return value
        if off in (CCR, TRISE):
            return 0
        raise ModelError("unmodelled I2C v1 read 0x%x" % off)

    def write(self, off, size, value):
        if size != 4:
            raise ModelError("I2C v1 registers are written as words (offset 0x%x)" % off)
        latch = self._take_latch()
        if off == CR1:
            if value & SWRST:
                self._reset()
                self.cr1 = SWRST
                return
            if not value & PE:
                value &= ~ACKBIT        # ACK is cleared by hardware while PE=0
                if self.cr1 & PE:
                    self.state = "idle"
                    self.sr1 = 0
            self.cr1 = value & 0xFFFF
            if latch is not None and latch & STOPF:
                self.sr1 &= ~STOPF
            return
        if off == CR2:
            self.cr2 = value & 0x1F3F
            return
        if off == OAR1:
            if self.cr1 & PE:
                raise ModelError("OAR1 written while PE=1")
            self.oar1 = value & 0xC3FF
            return
        if off == OAR2:
            self.oar2 = value & 0xFF
            return
        if off == SR1:
            # rc_w0 error flags: a 0 clears, a 1 leaves
            self.sr1 &= ~(ERRORS & ~value)
            return
        if off == DR:
            if self.state != "tx":
                raise ModelError("DR written outside a read segment (state %s)" % self.state)
            if self.sr1 & BTF:
                if latch is None or not latch & BTF:
                    raise ModelError("DR written with BTF set but no SR1 read just before")
                self.sr1 &= ~BTF
            if self.shift is None:
                self.shift = value & 0xFF
                self.sr1 |= TXE
            else:
                if self.dr is not None:
                    raise ModelError("DR written twice before the byte went out")
                self.dr = value & 0xFF
                self.sr1 &= ~TXE
            return
        if off in (CCR, TRISE):
            return
        raise ModelError("unmodelled I2C v1 write 0x%x" % off)

    def pending_irqs(self):
        out = set()
        if self.cr2 & ITEVTEN:
            if self.sr1 & (ADDR | STOPF | BTF):
                out.add(self.irq_event)
            if self.cr2 & ITBUFEN and self.sr1 & (RXNE | TXE):
                out.add(self.irq_event)
        if self.cr2 & ITERREN and self.sr1 & ERRORS:
            out.add(self.irq_error)
        return out

    def irq_reason(self):
        if self.cr2 & ITERREN and self.sr1 & ERRORS:
            return "nack" if self.sr1 & AF else "error"
        if not self.cr2 & ITEVTEN:
            return None
        if self.sr1 & ADDR:
            return "address"
        if self.sr1 & RXNE and self.cr2 & ITBUFEN:
            return "byte_in"
        if self.sr1 & STOPF:
            return "stop"
        if self.sr1 & BTF and self.state == "tx":
            return "byte_out"
        return None

    # ---- bus side -------------------------------------------------------------
    @property
    def enabled(self):
        return bool(self.cr1 & PE)

    def matches(self, address):
        if self.oar1 >> 15 & 1:
            return None                 # 10-bit mode is not modelled
        if address == (self.oar1 >> 1) & 0x7F:
            return "oar1"
        if self.oar2 & 1 and address == (self.oar2 >> 1) & 0x7F:
            return "oar2"
        return None

    def stretched(self):
        return bool(self.sr1 & (ADDR | BTF)) or (self.state == "tx" and self.shift is None
                                                 and self.pending is not None)

    def _addr_cleared(self):
        if self.sr2 & TRA:
            self.sr1 |= TXE

    def address(self, address, is_read, restart=False):
        if self.stretched():
            raise ModelError("START while the target holds SCL")
        which = self.matches(address) if self.enabled else None
        if which is None or not self.cr1 & ACKBIT:
            self.state = "idle"
            return NACK
        self.dr = None if is_read else self.dr
        self.shift = None
        self.sr1 = (self.sr1 & ~(TXE | BTF)) | ADDR
        self.sr2 = BUSY | (TRA if is_read else 0) | (DUALF if which == "oar2" else 0)
        self.state = "tx" if is_read else "rx"
        self.pending = None
        self.out_done = False
        self.log.append(("start", address, is_read, restart))
        self.emu.service_interrupts()
        return ACK

    def _clock_in(self, byte):
        ack = bool(self.cr1 & ACKBIT)
        self.acks.append(ACK if ack else NACK)
        self.outcome = ACK if ack else NACK
        if self.dr is None and not self.sr1 & RXNE:
            self.dr = byte
            self.sr1 |= RXNE
        else:
            self.shift = byte
            self.sr1 |= BTF
        return self.outcome

    def _clock_in_and_serve(self, byte):
        result = self._clock_in(byte)
        self.emu.service_interrupts()
        if self.state == "rx" and self.sr1 & BTF:
            # ACK pulse given, then SCL stretched (BTF): the controller waits
            self.pending = ("btf",)
            return HOLD
        return result

    def write_byte(self, byte):
        if self.state != "rx":
            raise ModelError("write_byte in state %s" % self.state)
        if self.sr1 & (ADDR | BTF):
            self.pending = ("w", byte & 0xFF)
            return self._settle()
        return self._clock_in_and_serve(byte & 0xFF)

    def read_byte(self):
        if self.state != "tx":
            raise ModelError("read_byte in state %s" % self.state)
        if self.sr1 & ADDR:
            self.pending = ("r",)
            return self._settle()
        if self.out_done:      # previous byte ACKed
            self.out_done = False
            self.shift = None
            if self.dr is not None:
                self.shift, self.dr = self.dr, None
                self.sr1 |= TXE
            else:
                self.sr1 |= BTF
        self.pending = ("r",)
        return self._settle()

    def _settle(self):
        self.emu.service_interrupts()
        return self._result()

    def poll(self):
        return self._settle()

    def _result(self):
        if self.pending is None:
            return self.outcome
        kind = self.pending[0]
        if self.state == "idle":
            self.pending = None
            return NACK
        if kind == "btf":
            if self.sr1 & BTF:
                return HOLD
            self.pending = None
            return self.outcome
        if kind == "w":
            if self.sr1 & (ADDR | BTF):
                return HOLD
            byte = self.pending[1]
            self.pending = None
            return self._clock_in_and_serve(byte)
        if self.sr1 & (ADDR | BTF) or self.shift is None:
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
        self.sr1 |= AF
        self.state = "nacked"
        self.emu.service_interrupts()
        if self.sr1 & AF:
            raise ModelError("driver left AF set after a controller NACK")
        return ACK

    def stop(self):
        if self.stretched() and self.state != "nacked":
            raise ModelError("STOP while the target holds SCL")
        was = self.state
        self.state = "idle"
        self.sr2 &= ~(BUSY | TRA)
        self.sr1 &= ~TXE                # cleared by a STOP
        if was in ("rx", "tx") and self.enabled:
            self.sr1 |= STOPF
        self.emu.service_interrupts()
        return ACK

    def bus_error(self, flag=BERR):
        """Misplaced START/STOP: the slave lets go of the lines."""
        self.sr1 = (self.sr1 & ~(ADDR | BTF)) | flag
        self.shift = None
        self.state = "idle"
        self.pending = None
        self.emu.service_interrupts()
        return ACK
