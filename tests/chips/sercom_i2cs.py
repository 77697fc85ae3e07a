"""Register model of a SAM D21 / D5x SERCOM in I2C target (I2CS) mode.

What it models (datasheet behaviour, the parts a target driver relies on):
- CTRLA: SWRST resets everything; ENABLE; MODE must be I2CS (4); the
  enable-protected bits must not change while enabled; LOWTOUTEN, SEXTTOEN,
  SCLSM are remembered.
- CTRLB: ACKACT, AMODE; CMD is a strobe: 2 = ACK action then wait for a
  START, 3 = ACK action then go on (next byte in, or DRDY for the next byte
  out).  A command with nothing pending is recorded as spurious.
- INTFLAG write-1-to-clear; clearing AMATCH or DRDY performs the ACK action
  (as the hardware does); INTENSET/INTENCLR.
- STATUS: DIR, SR, RXNACK, CLKHOLD (SCL held while AMATCH or DRDY is set),
  BUSERR/COLL/LOWTOUT/SEXTTOUT write-1-to-clear; SYNCBUSY always reads 0.
- ADDR/ADDRMASK matching in the three AMODEs; after AMATCH DATA reads the
  address byte; DATA read in receive gives the byte; DATA write loads the byte
  to send (it goes out on CMD 3).
- interrupt lines: four on SAMD51 (_0 PREC, _1 AMATCH, _2 DRDY, _3 the rest),
  one on SAMD21.

The bus side (`address`, `write_byte`, `read_byte`, `controller_nack`,
`stop`, `bus_error`, `poll`) returns the same ints as ports/sim/sim_port.h,
so one controller-side bus model can drive either.
"""

from .bus import ACK, HOLD, NACK, SENT  # noqa: F401 (the models' result codes)

# register offsets / bits (kept here independently of the C headers, so a
# wrong offset in the driver shows up as a model error)
CTRLA, CTRLB, INTENCLR, INTENSET, INTFLAG, STATUS, SYNCBUSY, ADDR, DATA = (
    0x00, 0x04, 0x14, 0x16, 0x18, 0x1A, 0x1C, 0x24, 0x28)
PREC, AMATCH, DRDY, ERROR = 1, 2, 4, 0x80
ST_BUSERR, ST_COLL, ST_RXNACK, ST_DIR, ST_SR = 1, 2, 4, 8, 0x10
ST_LOWTOUT, ST_CLKHOLD, ST_SEXTTOUT = 0x40, 0x80, 0x200
ST_W1C = ST_BUSERR | ST_COLL | ST_LOWTOUT | ST_SEXTTOUT
CTRLA_SWRST, CTRLA_ENABLE = 1, 2
CTRLA_SEXTTOEN, CTRLA_SCLSM, CTRLA_LOWTOUTEN = 1 << 23, 1 << 27, 1 << 30
CTRLB_ACKACT = 1 << 18


class ModelError(AssertionError):
    pass


class SercomI2CS:
    def __init__(self, irq0, lines=1):
        self.irq0 = irq0
        self.lines = lines
        self.spurious = []          # commands given with nothing pending
        self.log = []               # bus events, for debugging failures
        self._reset()

    def _reset(self):
        self.ctrla = 0
        self.ctrlb = 0
        self.inten = 0
        self.intflag = 0
        self.status = 0
        self.addr = 0
        self.rx_data = 0
        self.tx_data = None
        self.state = "idle"         # idle, addr, rx, rx_held, tx_wait, tx_ready, tx_out, wait_start
        self.outcome = None         # result of the last bus step that held
        self.out_byte = None
        self.pending = None         # which bus step waits: addr, rx, tx, nack

    # ---- register side -----------------------------------------------------
    @property
    def enabled(self):
        return bool(self.ctrla & CTRLA_ENABLE) and (self.ctrla >> 2 & 7) == 4

    def read(self, off, size):
        if off == CTRLA and size == 4:
            return self.ctrla
        if off == CTRLB and size == 4:
            return self.ctrlb
        if off in (INTENSET, INTENCLR) and size == 1:
            return self.inten
        if off == INTFLAG and size == 1:
            return self.intflag
        if off == STATUS and size == 2:
            held = self.intflag & (AMATCH | DRDY)
            return self.status | (ST_CLKHOLD if held else 0)
        if off == SYNCBUSY and size == 4:
            return 0
        if off == ADDR and size == 4:
            return self.addr
        if off == DATA and size in (1, 4):
            return self.rx_data
        raise ModelError("unmodelled SERCOM read offset 0x%x size %d" % (off, size))

    def write(self, off, size, value):
        if off == CTRLA and size == 4:
            if value & CTRLA_SWRST:
                self._reset()
                return
            protected = ~CTRLA_ENABLE & 0xFFFFFFFF
            if self.ctrla & CTRLA_ENABLE and value & CTRLA_ENABLE and \
                    (value ^ self.ctrla) & protected:
                raise ModelError("CTRLA enable-protected bits changed while enabled")
            self.ctrla = value
            if not self.enabled:
                self.intflag &= ~(AMATCH | DRDY)
                self.state = "idle"
            return
        if off == CTRLB and size == 4:
            if self.ctrla & CTRLA_ENABLE and (value ^ self.ctrlb) & (0x3 << 14):
                raise ModelError("CTRLB.AMODE changed while enabled")
            self.ctrlb = value & ~(3 << 16)
            cmd = value >> 16 & 3
            if cmd:
                self._command(cmd, bool(value & CTRLB_ACKACT))
            return
        if off == INTENSET and size == 1:
            self.inten |= value & 0x87
            return
        if off == INTENCLR and size == 1:
            self.inten &= ~value & 0xFF
            return
        if off == INTFLAG and size == 1:
            if value & (AMATCH | DRDY) & self.intflag:
                self._command(3, bool(self.ctrlb & CTRLB_ACKACT))
            self.intflag &= ~(value & (PREC | ERROR))
            return
        if off == STATUS and size == 2:
            self.status &= ~(value & ST_W1C)
            return
        if off == ADDR and size == 4:
            if self.ctrla & CTRLA_ENABLE:
                raise ModelError("ADDR written while enabled")
            self.addr = value
            return
        if off == DATA and size in (1, 4):
            self.tx_data = value & 0xFF
            return
        raise ModelError("unmodelled SERCOM write offset 0x%x size %d" % (off, size))

    def pending_irqs(self):
        active = self.intflag & self.inten
        if not active or not self.enabled:
            return set()
        if self.lines == 1:
            return {self.irq0}
        out = set()
        for k, bits in enumerate((PREC, AMATCH, DRDY, 0xF8)):
            if active & bits:
                out.add(self.irq0 + k)
        return out

    def _command(self, cmd, nack):
        if self.intflag & AMATCH:
            self.intflag &= ~AMATCH
            self.outcome = NACK if nack else ACK
            if nack:
                self.state = "wait_start"
            elif self.status & ST_DIR:
                self.state = "tx_wait"
                self.intflag |= DRDY        # first byte wanted
            else:
                self.state = "rx"
            self.log.append(("addr", self.outcome))
            return
        if self.intflag & DRDY:
            self.intflag &= ~DRDY
            if self.state == "rx_held":
                self.outcome = NACK if nack else ACK
                self.state = "wait_start" if (nack or cmd == 2) else "rx"
                self.log.append(("rx", self.outcome))
                return
            if self.state == "tx_wait":
                if cmd == 2:
                    self.state = "wait_start"
                    self.log.append(("tx", "wait_start"))
                    return
                if self.tx_data is None:
                    raise ModelError("CMD 3 in transmit with no byte written to DATA")
                self.out_byte = self.tx_data
                self.tx_data = None
                self.state = "tx_ready"
                self.log.append(("tx", self.out_byte))
                return
        self.spurious.append((cmd, nack, self.state))

    # ---- address matching ----------------------------------------------------
    def matches(self, address):
        a = self.addr >> 1 & 0x3FF
        m = self.addr >> 17 & 0x3FF
        amode = self.ctrlb >> 14 & 3
        if amode == 0:
            return (address & ~m & 0x7F) == (a & ~m & 0x7F)
        if amode == 1:
            return address in (a, m)
        if amode == 2:
            return a <= address <= m
        return False

    # ---- bus side (controller actions) ------------------------------------------
    def _held(self):
        return bool(self.intflag & (AMATCH | DRDY))

    def address(self, address, is_read, restart=False):
        if not self.enabled:
            return NACK
        if self._held():
            raise ModelError("START while the target holds SCL")
        if not self.matches(address):
            self.state = "idle"
            return NACK
        self.status = (self.status & ~(ST_DIR | ST_SR | ST_RXNACK)) | \
            (ST_DIR if is_read else 0) | (ST_SR if restart else 0)
        self.rx_data = (address << 1) | (1 if is_read else 0)
        self.intflag |= AMATCH
        self.state = "addr"
        self.outcome = None
        self.pending = "addr"
        self.log.append(("start", address, is_read, restart))
        return self._settle()

    def write_byte(self, byte):
        if self.state != "rx":
            raise ModelError("write_byte in state %s" % self.state)
        self.rx_data = byte & 0xFF
        self.intflag |= DRDY
        self.state = "rx_held"
        self.outcome = None
        self.pending = "rx"
        return self._settle()

    def read_byte(self):
        if self.state == "tx_out":       # the controller ACKs the byte before
            self.status &= ~ST_RXNACK
            self.intflag |= DRDY
            self.state = "tx_wait"
        elif self.state not in ("tx_wait", "tx_ready"):
            raise ModelError("read_byte in state %s" % self.state)
        self.pending = "tx"
        return self._settle()

    def controller_nack(self):
        if self.state != "tx_out":
            raise ModelError("controller_nack in state %s" % self.state)
        self.status |= ST_RXNACK
        self.intflag |= DRDY
        self.state = "tx_wait"
        self.pending = "nack"
        self.emu.service_interrupts()
        if self.state != "wait_start":
            raise ModelError("driver did not answer a controller NACK with CMD 2 (state %s)"
                             % self.state)
        return ACK

    def stop(self):
        if self._held():
            raise ModelError("STOP while the target holds SCL")
        was_ours = self.state != "idle"
        self.state = "idle"
        if was_ours and self.enabled:
            self.intflag |= PREC
            self.emu.service_interrupts()
        return ACK

    def bus_error(self, status_bit=ST_BUSERR):
        """Bus error / collision / timeout: the SERCOM lets go of the bus."""
        self.status |= status_bit
        self.intflag = (self.intflag & ~(AMATCH | DRDY)) | ERROR
        self.state = "idle"
        self.outcome = NACK
        self.emu.service_interrupts()
        return ACK

    def low_timeout(self):
        """SCL held low 25..35 ms: fires only with CTRLA.LOWTOUTEN."""
        if not (self.ctrla & CTRLA_LOWTOUTEN):
            return False
        self.bus_error(ST_LOWTOUT)
        return True

    def poll(self):
        self.emu.service_interrupts()
        return self._result()

    def _settle(self):
        self.emu.service_interrupts()
        return self._result()

    def _result(self):
        if self.pending == "tx":
            if self.state == "tx_ready":
                self.state = "tx_out"
                self.pending = None
                return SENT | self.out_byte
            if self.state != "tx_wait":
                return NACK         # the transfer ended (error / timeout) while held
            return HOLD
        if self.pending == "addr" and self.intflag & AMATCH:
            return HOLD
        if self.pending == "rx" and self.state == "rx_held":
            return HOLD
        return self.outcome

    def irq_reason(self):
        """What the next interrupt entry serves (for per-event instruction counts)."""
        active = self.intflag & self.inten
        if active & ERROR:
            return "error"
        if active & PREC:
            return "stop"
        if active & AMATCH:
            return "address"
        if active & DRDY:
            if self.state == "rx_held":
                return "byte_in"
            return "nack" if self.status & ST_RXNACK else "byte_out"
        return None
