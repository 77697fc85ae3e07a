"""Register model of the DW_apb_i2c block of RP2040 / RP2350 in target mode.

What it models (datasheet behaviour, the parts a target driver relies on):
- IC_CON, IC_SAR, IC_FS_SPKLEN, IC_SDA_HOLD accept writes only while
  IC_ENABLE=0 (the hardware ignores them otherwise; here that is an error,
  because a driver doing it is broken).  The block must be out of reset
  (RESETS) to be touched at all.
- 16-entry RX and TX FIFOs.  IC_DATA_CMD read pops the RX FIFO and carries
  FIRST_DATA_BYTE (bit 11) on the first byte after an address; a write pushes
  the TX FIFO (CMD=1 in target mode is an abort, ABRT_SLVRD_INTX).
- IC_RAW_INTR_STAT: RX_FULL and TX_EMPTY are levels (RXFLR > IC_RX_TL,
  TXFLR <= IC_TX_TL); the rest latch until their IC_CLR_* register (or
  IC_CLR_INTR) is read.  IC_INTR_STAT = raw & IC_INTR_MASK; the interrupt
  line is its OR.
- Written bytes are ACKed by hardware when they enter the RX FIFO, unless
  IC_SLV_DATA_NACK_ONLY is 1 (then NACKed and not stored).  A full FIFO with
  RX_FIFO_FULL_HLD_CTRL holds SCL (the byte waits in the shift register and
  is taken when an entry is popped); without it the byte is lost (RX_OVER).
- A read: RD_REQ is raised whenever the controller needs a byte and the TX
  FIFO is empty, and SCL stays low until a byte is written.  Stale TX data at
  a new read request is flushed with TX_ABRT (ABRT_SLVFLUSH_TXFIFO); TX_ABRT
  flushes both FIFOs and TX writes are dropped until IC_CLR_TX_ABRT is read.
  A controller NACK raises RX_DONE.
- START_DET on any START; RESTART_DET on a repeated START while addressed;
  STOP_DET only when addressed if IC_CON.STOP_DET_IFADDRESSED, else always.
- IC_ENABLE 1 -> 0 flushes both FIFOs and keeps them erased (IC_DATA_CMD
  writes are lost).  It completes only when the bus lets it: while a target
  transfer is in progress IC_ENABLE_STATUS.IC_EN stays 1; a receive is ended
  by NACKing the next byte, but a pending read request (SCL held, TX FIFO
  empty) is never answered, so SCL stays held until the controller gives up
  with STOP -- or the block is reset.  A RESETS reset ends everything at once
  (`reset()`, called by the chip model when the block's reset bit is set).

The bus side (`address`, `write_byte`, `read_byte`, `controller_nack`,
`stop`, `poll`) returns the same ints as ports/sim/sim_port.h, like the
SERCOM model, so one controller-side driver can exercise either.
"""

from .bus import ACK, HOLD, NACK, SENT  # noqa: F401 (the models' result codes)
FIFO_DEPTH = 16

# offsets and bits, typed in from the datasheet independently of the C headers
IC_CON, IC_TAR, IC_SAR, IC_DATA_CMD = 0x00, 0x04, 0x08, 0x10
IC_INTR_STAT, IC_INTR_MASK, IC_RAW_INTR_STAT, IC_RX_TL, IC_TX_TL = 0x2C, 0x30, 0x34, 0x38, 0x3C
IC_CLR_INTR = 0x40
IC_ENABLE, IC_STATUS, IC_TXFLR, IC_RXFLR, IC_SDA_HOLD = 0x6C, 0x70, 0x74, 0x78, 0x7C
IC_TX_ABRT_SOURCE, IC_SLV_DATA_NACK_ONLY = 0x80, 0x84
IC_ACK_GENERAL_CALL, IC_ENABLE_STATUS, IC_FS_SPKLEN = 0x98, 0x9C, 0xA0
IC_COMP_PARAM_1 = 0xF4

RX_UNDER, RX_OVER, RX_FULL, TX_OVER, TX_EMPTY, RD_REQ, TX_ABRT, RX_DONE = (
    1, 2, 4, 8, 0x10, 0x20, 0x40, 0x80)
ACTIVITY, STOP_DET, START_DET, GEN_CALL, RESTART_DET = 0x100, 0x200, 0x400, 0x800, 0x1000
LEVELS = RX_FULL | TX_EMPTY

# read-to-clear registers and the latched bit each clears
CLEARS = {0x44: RX_UNDER, 0x48: RX_OVER, 0x4C: TX_OVER, 0x50: RD_REQ, 0x54: TX_ABRT,
          0x58: RX_DONE, 0x5C: ACTIVITY, 0x60: STOP_DET, 0x64: START_DET, 0x68: GEN_CALL,
          0xA8: RESTART_DET}

CON_MASTER_MODE, CON_SLAVE_DISABLE = 1, 0x40
CON_STOP_DET_IFADDRESSED, CON_RX_FIFO_FULL_HLD_CTRL = 0x80, 0x200
FIRST_DATA_BYTE = 1 << 11
ABRT_ARB_LOST, ABRT_SLVFLUSH_TXFIFO, ABRT_SLV_ARBLOST, ABRT_SLVRD_INTX = (
    1 << 12, 1 << 13, 1 << 14, 1 << 15)
ST_ACTIVITY, ST_TFNF, ST_TFE, ST_RFNE, ST_RFF, ST_SLV_ACTIVITY = 1, 2, 4, 8, 0x10, 0x40

HELD_STATES = ("tx_req", "rx_full_wait")


class ModelError(AssertionError):
    pass


class DwApbI2c:
    def __init__(self, irq, in_reset=lambda: False):
        self.irq = irq
        # IC_SLV_DATA_NACK_ONLY: the register description allows writes only
        # while IC_ENABLE=0 and the target is idle.  Drivers refuse bytes by
        # writing it mid-transfer; False (default) lets such writes take,
        # True ignores them (what the text says), so both can be tested.
        self.nack_only_while_disabled = False
        self.in_reset = in_reset      # callable: RESETS holds the block
        self.log = []
        self.dropped_tx = 0           # IC_DATA_CMD writes lost to a flushed FIFO
        self.reset()

    def reset(self):
        """RESETS: every register to its reset value, the bus side idle."""
        self.con = 0x65
        self.sar = 0x55
        self.mask = 0x8FF
        self.latched = 0
        self.rx_tl = 0
        self.tx_tl = 0
        self.enable = 0
        self.disabling = False        # IC_ENABLE=0 written, the transfer still on
        self.sda_hold = 1
        self.spklen = 7
        self.abrt_source = 0
        self.nack_only = 0
        self.ack_gen_call = 1
        self.rx = []                  # (byte, first)
        self.tx = []
        self.state = "idle"           # idle, other, rx, rx_full_wait, nacked, tx_req, tx_out, tx_done
        self.addressed = False        # a segment to us since the last START after a STOP
        self.first_pending = False
        self.waiting_byte = None
        self.outcome = None
        self.pending = None
        self.out_byte = None

    # ---- register side -----------------------------------------------------
    @property
    def enabled(self):
        return bool(self.enable & 1)

    @property
    def raw(self):
        r = self.latched
        if len(self.rx) > self.rx_tl:
            r |= RX_FULL
        if self.enabled and len(self.tx) <= self.tx_tl:
            r |= TX_EMPTY
        return r

    def _check_access(self, off, size):
        if self.in_reset():
            raise ModelError("I2C register 0x%x accessed while the block is in reset" % off)
        if size != 4:
            raise ModelError("I2C register 0x%x accessed with size %d" % (off, size))

    def _status(self):
        s = 0
        if len(self.tx) < FIFO_DEPTH:
            s |= ST_TFNF
        if not self.tx:
            s |= ST_TFE
        if self.rx:
            s |= ST_RFNE
        if len(self.rx) == FIFO_DEPTH:
            s |= ST_RFF
        if self.state not in ("idle", "other"):
            s |= ST_SLV_ACTIVITY | ST_ACTIVITY
        return s

    def read(self, off, size):
        self._check_access(off, size)
        if off == IC_CON:
            return self.con
        if off == IC_SAR:
            return self.sar
        if off == IC_DATA_CMD:
            return self._pop_rx()
        if off == IC_INTR_STAT:
            return self.raw & self.mask
        if off == IC_INTR_MASK:
            return self.mask
        if off == IC_RAW_INTR_STAT:
            return self.raw
        if off == IC_RX_TL:
            return self.rx_tl
        if off == IC_TX_TL:
            return self.tx_tl
        if off == IC_CLR_INTR:
            was = 1 if self.latched else 0
            self.latched = 0
            self.abrt_source = 0
            return was
        if off in CLEARS:
            bit = CLEARS[off]
            was = 1 if self.latched & bit else 0
            self.latched &= ~bit
            if bit == TX_ABRT:
                self.abrt_source = 0
            return was
        if off == IC_ENABLE:
            return self.enable
        if off == IC_STATUS:
            return self._status()
        if off == IC_TXFLR:
            return len(self.tx)
        if off == IC_RXFLR:
            return len(self.rx)
        if off == IC_SDA_HOLD:
            return self.sda_hold
        if off == IC_TX_ABRT_SOURCE:
            return self.abrt_source
        if off == IC_SLV_DATA_NACK_ONLY:
            return self.nack_only
        if off == IC_ACK_GENERAL_CALL:
            return self.ack_gen_call
        if off == IC_ENABLE_STATUS:
            return 1 if self.enable & 1 or self.disabling else 0
        if off == IC_FS_SPKLEN:
            return self.spklen
        if off == IC_COMP_PARAM_1:
            return (FIFO_DEPTH - 1) << 16 | (FIFO_DEPTH - 1) << 8
        raise ModelError("unmodelled I2C read offset 0x%x" % off)

    def _disabled_only(self, name):
        if self.enabled:
            raise ModelError("%s written while IC_ENABLE=1 (the hardware ignores it)" % name)

    def write(self, off, size, value):
        self._check_access(off, size)
        if off == IC_CON:
            self._disabled_only("IC_CON")
            self.con = value & 0x7FF
        elif off == IC_SAR:
            self._disabled_only("IC_SAR")
            self.sar = value & 0x3FF
        elif off == IC_DATA_CMD:
            self._push_tx(value)
        elif off == IC_INTR_MASK:
            self.mask = value & 0x1FFF
        elif off == IC_RX_TL:
            self.rx_tl = min(value & 0xFF, FIFO_DEPTH - 1)
        elif off == IC_TX_TL:
            self.tx_tl = min(value & 0xFF, FIFO_DEPTH - 1)
        elif off == IC_ENABLE:
            if value & ~1:
                raise ModelError("IC_ENABLE ABORT / TX_CMD_BLOCK are controller-only (0x%x)" % value)
            if self.enabled and not value & 1:
                self.rx.clear()       # disabling flushes both FIFOs
                self.tx.clear()
                if self.state == "rx_full_wait":
                    self.state = "nacked"
                    self.outcome = NACK
                # the disable waits for the target transfer to end
                self.disabling = self.state not in ("idle", "other")
            elif value & 1:
                self.disabling = False
            self.enable = value & 1
        elif off == IC_SDA_HOLD:
            self._disabled_only("IC_SDA_HOLD")
            self.sda_hold = value & 0xFFFFFF
        elif off == IC_SLV_DATA_NACK_ONLY:
            if self.nack_only_while_disabled and (self.enabled or self._status() & ST_SLV_ACTIVITY):
                return                # the strict reading of the register description
            self.nack_only = value & 1
        elif off == IC_ACK_GENERAL_CALL:
            self.ack_gen_call = value & 1
        elif off == IC_FS_SPKLEN:
            self._disabled_only("IC_FS_SPKLEN")
            self.spklen = max(1, value & 0xFF)
        else:
            raise ModelError("unmodelled I2C write offset 0x%x = 0x%x" % (off, value))

    def _pop_rx(self):
        if not self.rx:
            self.latched |= RX_UNDER
            return 0
        byte, first = self.rx.pop(0)
        if self.state == "rx_full_wait":
            # the byte held in the shift register takes the free entry
            b = self.waiting_byte
            self.waiting_byte = None
            if self.nack_only:
                self.state, self.outcome = "nacked", NACK
            else:
                self._store(b)
                self.state, self.outcome = "rx", ACK
        return byte | (FIRST_DATA_BYTE if first else 0)

    def _push_tx(self, value):
        if not self.enabled:
            self.dropped_tx += 1      # FIFOs are held erased while disabled
            return
        if self.latched & TX_ABRT:
            self.dropped_tx += 1      # the FIFO stays flushed until IC_CLR_TX_ABRT
            return
        if value & 0x100:
            self._abort(ABRT_SLVRD_INTX)
            return
        if len(self.tx) >= FIFO_DEPTH:
            self.latched |= TX_OVER
            return
        self.tx.append(value & 0xFF)

    def _abort(self, source):
        self.abrt_source |= source
        self.latched |= TX_ABRT
        self.rx.clear()
        self.tx.clear()

    def pending_irqs(self):
        if self.in_reset() or not (self.raw & self.mask):
            return set()
        return {self.irq}

    # ---- bus side (controller actions) -----------------------------------------
    def _store(self, byte):
        self.rx.append((byte & 0xFF, self.first_pending))
        self.first_pending = False

    def address(self, address, is_read, restart=False):
        if self.state in HELD_STATES:
            raise ModelError("START while the target holds SCL (%s)" % self.state)
        if not self.enabled or self.in_reset():
            return NACK
        self.latched |= START_DET
        if restart and self.addressed:
            self.latched |= RESTART_DET
        slave_on = not (self.con & CON_SLAVE_DISABLE) and not (self.con & CON_MASTER_MODE)
        if address == 0 and not is_read and self.ack_gen_call and slave_on:
            raise ModelError("general call ACKed: IC_ACK_GENERAL_CALL left at 1")
        if not slave_on or address != (self.sar & 0x7F):
            self.state = "other"
            self.log.append(("start-other", address, is_read, restart))
            self._service()
            return NACK
        self.addressed = True
        self.outcome = None
        self.log.append(("start", address, is_read, restart))
        if not is_read:
            self.state = "rx"
            self.first_pending = True
            self.pending = None
            self._service()
            return ACK
        if self.tx:
            self._abort(ABRT_SLVFLUSH_TXFIFO)
        self.latched |= RD_REQ
        self.state = "tx_req"
        self.pending = "tx"             # the controller clocks the first byte at once
        self._service()
        return ACK

    def write_byte(self, byte):
        if self.state == "nacked":
            return NACK
        if self.state != "rx":
            raise ModelError("write_byte in state %s" % self.state)
        self.pending = "rx"
        if self.nack_only or not self.enabled:   # disabled: the byte is not acknowledged
            self.state, self.outcome = "nacked", NACK
            self.log.append(("rx", byte, NACK))
            return self._settle()
        if len(self.rx) < FIFO_DEPTH:
            self._store(byte)
            self.outcome = ACK
            self.log.append(("rx", byte, ACK))
            return self._settle()
        if self.con & CON_RX_FIFO_FULL_HLD_CTRL:
            self.state = "rx_full_wait"
            self.waiting_byte = byte & 0xFF
            self.outcome = None
            self.log.append(("rx", byte, "full-hold"))
            return self._settle()
        self.latched |= RX_OVER       # ACKed and lost
        self.outcome = ACK
        return self._settle()

    def read_byte(self):
        if self.state == "tx_out":      # the controller ACKed the byte before
            if not self.tx:
                self.latched |= RD_REQ
            self.state = "tx_req"
        elif self.state != "tx_req":
            raise ModelError("read_byte in state %s" % self.state)
        self.pending = "tx"
        return self._settle()

    def controller_nack(self):
        if self.state != "tx_out":
            raise ModelError("controller_nack in state %s" % self.state)
        # (a disable pending since the read began stays pending until STOP)
        self.latched |= RX_DONE
        self.state = "tx_done"
        self.pending = None
        self._service()
        return ACK

    def stop(self):
        if self.state in HELD_STATES:
            raise ModelError("STOP while the target holds SCL (%s)" % self.state)
        if self.addressed or not (self.con & CON_STOP_DET_IFADDRESSED):
            if self.enabled:
                self.latched |= STOP_DET
        self.log.append(("stop", self.addressed))
        self.state = "idle"
        self.disabling = False        # the pending disable completes
        self.addressed = False
        self.pending = None
        self._service()
        return ACK

    def arbitration_lost(self):
        """SDA did not read back what the target drove while sending."""
        if self.state not in ("tx_out", "tx_req"):
            raise ModelError("arbitration_lost in state %s" % self.state)
        self._abort(ABRT_SLV_ARBLOST | ABRT_ARB_LOST)
        self.state = "other"
        self.pending = None
        self._service()
        return ACK

    def poll(self):
        return self._settle()

    def _service(self):
        self.emu.service_interrupts()

    def _settle(self):
        self._service()
        if self.pending == "tx":
            if self.state == "tx_req":
                if self.tx:
                    self.out_byte = self.tx.pop(0)
                    self.state = "tx_out"
                    self.pending = None
                    self.log.append(("tx", self.out_byte))
                    return SENT | self.out_byte
                return HOLD
            return NACK                # the transfer ended while held
        if self.pending == "rx" and self.state == "rx_full_wait":
            return HOLD
        return self.outcome

    @property
    def holding_scl(self):
        return self.state in HELD_STATES

    def irq_reason(self):
        """What the next interrupt entry serves (for per-event instruction counts)."""
        active = self.raw & self.mask
        if active & RX_FULL:
            return "byte_in"
        if active & RD_REQ:
            return "byte_out"
        if active & RX_DONE:
            return "nack"
        if active & STOP_DET:
            return "stop"
        if active & TX_ABRT:
            return "abort"
        if active & RESTART_DET:
            return "restart"
        return None
