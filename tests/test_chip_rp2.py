"""The RP2040 / RP2350 driver (ports/rp2) executed in unicorn against the
DW_apb_i2c register model, with the real engine and glue compiled in."""
import pytest

from tests.chips import measure
from tests.chips.build import armv6m_violations
from tests.chips.rp2_chip import CHIPS, FLASH_VECTORS, Rp2Chip, build
from tests.chips.rp2_dw_i2c import (ACK, HOLD, NACK, SENT, ModelError, ABRT_SLVFLUSH_TXFIFO,
                                    CON_MASTER_MODE, CON_SLAVE_DISABLE, CON_RX_FIFO_FULL_HLD_CTRL,
                                    CON_STOP_DET_IFADDRESSED, FIFO_DEPTH, DwApbI2c)

EPIN, EBUSY, EADDR, EINST, ESTATE = -20, -21, -22, -23, -24
SEG_READ, SEG_RESTART, SEG_ENDED, SEG_HELD = 0x100, 0x200, 0x400, 0x1000
SEG_ACK_WAIT, SEG_CTRL_NACK, SEG_TIMEOUT, SEG_BUS_ERROR = 0x2000, 0x4000, 0x8000, 0x10000
CNT_BYTES_IN, CNT_BYTES_OUT, CNT_NACKS, CNT_FILLER, CNT_TIMEOUTS, CNT_BUS_ERRORS = 0, 1, 2, 3, 4, 5
CNT_SEGMENTS, CNT_REG_WRITES = 9, 11
CFG_MAX_STRETCH_US = 0

# Pico default I2C pins: I2C0 on GPIO 4 (SDA) / 5 (SCL)
SCL, SDA = 5, 4


@pytest.fixture(params=["rp2040", "rp2350"])
def chip(request):
    return Rp2Chip(request.param)


def open_board(chip, address=0x40, scl=SCL, sda=SDA, t=0):
    assert chip.open(t, scl, sda, [address]) == 0
    return chip.i2c[(sda >> 1) & 1]


def status(chip):
    return chip.call("i2ct_status", 0)


# ---- build -----------------------------------------------------------------------

def test_armv6m_build_has_no_thumb2():
    assert armv6m_violations(build("rp2040")) == []


def test_rp2350_build_is_armv7em_code():
    # the same sources for the M33 (armv7emsp) use Thumb-2, so the check above means something
    assert armv6m_violations(build("rp2350"))


def test_port_id(chip):
    assert chip.call("i2ct_port") == CHIPS[chip.chip]["port_id"]


# ---- open / close ------------------------------------------------------------------

@pytest.mark.parametrize("scl,sda", [(4, 5), (5, 6), (3, 0), (1, 2), (5, 5), (-1, 4), (5, -2)])
def test_open_refuses_pins_that_are_not_one_instances_sda_scl(chip, scl, sda):
    assert chip.open(0, scl, sda, [0x40]) == EPIN
    assert not chip.emu.scs.enabled
    assert chip.resets.reset == sum(1 << b for b in chip.cfg["reset_bits"])  # nothing touched
    assert chip.call("i2ct_is_open", 0) == 0


def test_gpio_range_differs_between_chips():
    assert Rp2Chip("rp2040").open(0, 33, 32, [0x40]) == EPIN      # GPIO 0..29 only
    rp2350 = Rp2Chip("rp2350")
    assert rp2350.open(0, 33, 32, [0x40]) == 0                  # RP2350B: GPIO 32/33 = I2C0
    assert rp2350.funcsel(32) == 3 and rp2350.i2c[0].enabled
    assert Rp2Chip("rp2350").open(0, 49, 48, [0x40]) == EPIN


def test_one_address_per_instance_and_no_reserved_ones(chip):
    assert chip.open(0, SCL, SDA, [0x40, 0x41]) == EADDR
    assert chip.open(0, SCL, SDA, [0x05]) == EADDR
    assert chip.open(0, SCL, SDA, [0x78]) == EADDR
    assert chip.open(5, SCL, SDA, [0x40]) == EINST
    assert not chip.emu.scs.enabled


def test_open_sets_up_and_close_undoes_everything(chip):
    c = chip.cfg
    irq = c["irqs"][0]
    pads_before = dict(chip.pads.regs)
    io_before = dict(chip.io.regs)
    s = open_board(chip)
    assert not chip.resets.held(c["reset_bits"][0])           # out of reset
    assert chip.resets.held(c["reset_bits"][1])               # I2C1 untouched
    assert s.enabled
    assert s.con & CON_SLAVE_DISABLE == 0 and s.con & CON_MASTER_MODE == 0
    assert s.con & CON_RX_FIFO_FULL_HLD_CTRL and s.con & CON_STOP_DET_IFADDRESSED
    assert s.sar == 0x40 and s.rx_tl == 0 and s.ack_gen_call == 0 and s.nack_only == 0
    hold_ns = (s.sda_hold & 0xFFFF) * 1000 / c["mhz"]
    assert 100 <= hold_ns <= 300
    for g in (SCL, SDA):
        assert chip.funcsel(g) == 3
        pad = chip.pad(g)
        assert pad & 0x08 and pad & 0x40                      # pull-up, input enable
        assert not pad & 0x80 and not pad & 0x04              # output allowed, no pull-down
        assert not pad & 0x100                                # RP2350: isolation released
    # MicroPython's RAM vector table is patched in place
    assert chip.emu.scs.vtor == 0x20000000 and chip.emu.scs.vtor_writes == []
    handler = chip.emu.vector(irq)
    assert handler != chip.firmware_vectors[16 + irq]
    for i, fw in enumerate(chip.firmware_vectors):
        if i != 16 + irq:
            assert chip.emu.read32(0x20000000 + 4 * i) == fw, i
    assert chip.emu.scs.enabled == {irq} and chip.emu.scs.priority[irq] == 0x80
    assert chip.open(0, SCL, SDA, [0x40]) == ESTATE

    assert chip.close(0) == 0
    assert not chip.emu.scs.enabled
    assert chip.emu.read32(0x20000000 + 4 * (16 + irq)) == chip.firmware_vectors[16 + irq]
    assert chip.resets.held(c["reset_bits"][0])               # back in reset
    assert chip.pads.regs == pads_before and chip.io.regs == io_before
    assert chip.close(0) == ESTATE
    assert s.address(0x40, False) == NACK


def test_close_during_a_read_request_lets_go_of_scl(chip):
    """IC_ENABLE=0 cannot end a transfer waiting on RD_REQ (the model keeps
    SCL held and IC_EN at 1, as the datasheet describes); close resets the
    block, and the next open serves the bus again."""
    s = open_board(chip)
    s.address(0x40, True)
    assert s.read_byte() == HOLD and s.holding_scl
    assert chip.close(0) == 0
    assert not s.holding_scl and s.state == "idle"
    assert chip.resets.held(chip.cfg["reset_bits"][0])
    open_board(chip)
    assert s.address(0x40, False) == ACK


def test_close_of_an_instance_found_out_of_reset_resets_it_and_leaves_it_out(chip):
    bit = chip.cfg["reset_bits"][0]
    chip.resets.reset &= ~(1 << bit)
    s = open_board(chip)
    s.address(0x40, True)
    assert s.read_byte() == HOLD
    chip.close(0)
    assert not chip.resets.held(bit) and not s.holding_scl
    assert (0x2000, 1 << bit) in chip.resets.writes   # went through reset


def test_model_disable_waits_for_a_pending_read_request():
    chip = Rp2Chip("rp2040")
    s = open_board(chip)
    s.address(0x40, True)
    assert s.read_byte() == HOLD
    s.write(0x6C, 4, 0)                               # IC_ENABLE = 0
    assert s.read(0x9C, 4) & 1 == 1 and s.holding_scl  # IC_EN still 1, SCL still low
    s.write(0x10, 4, 0x12)                            # the FIFO is held erased
    assert s.poll() == HOLD


def test_instance_1_pins_and_interrupt(chip):
    irq = chip.cfg["irqs"][1]
    s = open_board(chip, scl=27, sda=26)
    assert s is chip.i2c[1] and s.enabled and not chip.i2c[0].enabled
    assert chip.emu.scs.enabled == {irq}
    assert s.address(0x40, False) == ACK
    assert s.write_byte(9) == ACK
    assert chip.emu.irq_log and chip.emu.irq_log[-1][0] == irq


def test_open_refuses_an_instance_enabled_by_machine_i2c(chip):
    bit = chip.cfg["reset_bits"][0]
    chip.resets.reset &= ~(1 << bit)
    chip.i2c[0].enable = 1                                    # machine.I2C(0) running
    assert chip.open(0, SCL, SDA, [0x40]) == EBUSY
    assert chip.i2c[0].con == 0x65                            # not reconfigured
    assert not chip.emu.scs.enabled


def test_instance_out_of_reset_but_disabled_is_used_and_left_out_of_reset(chip):
    bit = chip.cfg["reset_bits"][0]
    chip.resets.reset &= ~(1 << bit)
    open_board(chip)
    chip.close(0)
    assert not chip.resets.held(bit)


def test_second_target_on_the_same_instance_is_busy(chip):
    open_board(chip)
    assert chip.open(1, 21, 20, [0x50]) == EBUSY              # GPIO 20/21 are I2C0 too
    assert chip.open(1, 3, 2, [0x50]) == 0                     # I2C1 is free
    assert chip.emu.scs.enabled == set(chip.cfg["irqs"])


# ---- write segments ----------------------------------------------------------------

def test_other_addresses_and_their_stop_cause_no_interrupt(chip):
    s = open_board(chip)
    assert s.address(0x41, False) == NACK
    s.stop()
    assert chip.emu.irq_log == []
    assert chip.call("i2ct_request", 0) < 0


def test_write_bytes_wait_in_the_fifo_for_credit(chip):
    s = open_board(chip)
    assert s.address(0x40, False) == ACK
    assert s.write_byte(0x11) == ACK                  # ACKed by hardware...
    assert status(chip) & SEG_HELD                    # ...held by the engine
    assert s.write_byte(0x22) == ACK                  # waits in the FIFO
    assert len(s.rx) == 1 and s.mask & 0x4 == 0       # RX_FULL masked while held
    assert chip.call("i2ct_rx_want", 0, 3, 1) == 0
    assert len(s.rx) == 0                             # drained after the release
    assert s.write_byte(0x33) == ACK
    assert not status(chip) & SEG_HELD
    assert s.write_byte(0x44) == ACK
    assert status(chip) & SEG_HELD                    # credit used up
    assert chip.rx_take(0, 8) == b"\x11\x22\x33"
    assert chip.call("i2ct_counter", 0, CNT_BYTES_IN) == 3


def test_full_fifo_stretches_until_python_reads(chip):
    s = open_board(chip)
    s.address(0x40, False)
    data = bytes(range(0x80, 0x80 + FIFO_DEPTH + 3))
    results = [s.write_byte(b) for b in data[:FIFO_DEPTH + 1]]
    assert results == [ACK] * (FIFO_DEPTH + 1)        # 1 held by the engine + 16 in the FIFO
    assert s.write_byte(data[FIFO_DEPTH + 1]) == HOLD  # SCL stretched, nothing lost
    assert s.holding_scl and s.poll() == HOLD
    assert chip.call("i2ct_rx_want", 0, -1, 1) == 0
    assert s.poll() == ACK and not s.holding_scl
    assert s.write_byte(data[-1]) == ACK
    s.stop()
    assert chip.rx_take(0, 64) == data
    assert status(chip) & SEG_ENDED
    assert s.latched & 0x2 == 0                       # never RX_OVER


def test_per_byte_nack_refuses_the_byte_after_the_held_one(chip):
    s = open_board(chip)
    s.address(0x40, False)
    # the engine learns of a write segment at its first byte (the address
    # itself raises no interrupt on this block)
    assert chip.call("i2ct_request", 0) < 0
    assert s.write_byte(0xA0) == ACK
    assert chip.call("i2ct_rx_want", 0, 2, 0) == 0    # read(2, ack=False)
    assert s.write_byte(0xA1) == ACK                  # hardware ACKed; the engine waits
    assert status(chip) & SEG_ACK_WAIT
    assert chip.rx_take(0, 4) == b"\xa0\xa1"
    assert chip.call("i2ct_ack", 0, 0) == 0
    assert s.nack_only == 1
    assert s.write_byte(0xA2) == NACK                 # refused on the wire, not stored
    assert s.rx == []
    s.stop()
    assert s.nack_only == 0                           # the next segment is accepted again
    assert status(chip) & SEG_ENDED
    chip.call("i2ct_seg_close", 0)
    s.address(0x40, False)
    assert s.write_byte(0x01) == ACK
    chip.call("i2ct_rx_want", 0, -1, 1)
    assert chip.rx_take(0, 4) == b"\x01"


def test_closing_a_write_segment_nacks_the_rest(chip):
    s = open_board(chip)
    s.address(0x40, False)
    assert s.write_byte(1) == ACK
    chip.call("i2ct_rx_want", 0, 1, 1)
    assert chip.rx_take(0, 2) == b"\x01"
    assert s.write_byte(2) == ACK                     # ACKed by hardware, held by the engine
    chip.call("i2ct_seg_close", 0)                    # leaving `with r:`
    assert s.nack_only == 1
    assert s.write_byte(3) == NACK
    s.stop()
    # every byte written is counted once: 1 read, 2 refused by the engine (the
    # FIFO ACKed it), 3 refused on the wire (no interrupt; counted at STOP)
    assert chip.call("i2ct_counter", 0, CNT_NACKS) == 2
    assert chip.call("i2ct_counter", 0, CNT_BYTES_IN) == 1
    assert s.nack_only == 0


def test_refusal_ignored_by_the_block_is_not_counted_on_the_wire(chip):
    """If NACK_ONLY cannot be set while enabled (the register description's
    strict reading), the rest of the write is ACKed and each byte is refused
    and counted by the engine as it drains: still one count per byte."""
    s = open_board(chip)
    s.nack_only_while_disabled = True
    s.address(0x40, False)
    assert s.write_byte(1) == ACK
    chip.call("i2ct_rx_want", 0, 1, 1)
    assert chip.rx_take(0, 2) == b"\x01"
    assert s.write_byte(2) == ACK                     # held by the engine
    chip.call("i2ct_seg_close", 0)
    assert s.nack_only == 0                           # the write did not take
    assert s.write_byte(3) == ACK and s.write_byte(4) == ACK
    s.stop()
    assert chip.call("i2ct_counter", 0, CNT_NACKS) == 3
    assert chip.call("i2ct_counter", 0, CNT_BYTES_IN) == 1


def test_refusal_after_the_segment_ended_is_not_armed(chip):
    """The program closes a write whose STOP is already latched: the rest is in
    the FIFO (refused as it drains); NACK_ONLY would hit the next transfer."""
    s = open_board(chip)
    s.address(0x40, False)
    for b in (1, 2, 3):
        assert s.write_byte(b) == ACK                 # 1 held, 2 and 3 in the FIFO
    s.stop()                                          # latched under the hold
    chip.call("i2ct_seg_close", 0)
    assert s.nack_only == 0
    assert chip.call("i2ct_counter", 0, CNT_NACKS) == 3   # no byte refused on the wire
    assert s.address(0x40, False) == ACK
    assert s.write_byte(4) == ACK                     # the next transfer is not refused
    assert chip.call("i2ct_counter", 0, CNT_NACKS) == 3


def test_refusal_ends_at_a_start_without_stop(chip):
    """A controller that vanished mid-write sends no STOP; the refusal must not
    hit the next transaction's first byte (START_DET ends it)."""
    s = open_board(chip)
    chip.call("i2ct_configure", 0, CFG_MAX_STRETCH_US, 1000)
    s.address(0x40, False)
    s.write_byte(0x55)                                # held, then the controller is gone
    chip.clock.now += 5000
    assert chip.call("i2ct_service", 0) == 1          # timeout: NACK armed
    assert s.nack_only == 1
    assert s.address(0x40, False) == ACK              # a new START, no STOP before it
    assert s.nack_only == 0
    assert s.write_byte(0x66) == ACK
    nacks = chip.call("i2ct_counter", 0, CNT_NACKS)
    assert nacks == 1                                 # the timed-out byte; nothing on the wire
    chip.call("i2ct_seg_close", 0)
    chip.call("i2ct_rx_want", 0, -1, 1)
    assert chip.rx_take(0, 4) == b"\x66"


def test_other_starts_raise_no_interrupt_unless_a_refusal_is_armed(chip):
    s = open_board(chip)
    assert s.mask & 0x400 == 0                        # START_DET masked normally
    assert s.address(0x41, False) == NACK
    s.stop()
    assert chip.emu.irq_log == []


def test_stop_mid_write_delivers_what_was_acked(chip):
    s = open_board(chip)
    s.address(0x40, False)
    for b in (5, 6, 7):
        assert s.write_byte(b) == ACK                 # no credit: held + FIFO
    s.stop()                                          # latched while held
    assert not status(chip) & SEG_ENDED               # bus order: bytes first
    assert chip.call("i2ct_rx_want", 0, -1, 1) == 0
    assert chip.rx_take(0, 8) == b"\x05\x06\x07"
    assert status(chip) & SEG_ENDED


def test_segments_queued_behind_a_hold_keep_their_boundaries(chip):
    s = open_board(chip)
    s.address(0x40, False)
    s.write_byte(1)                                   # held: no credit
    s.write_byte(2)
    s.stop()
    s.address(0x40, False)                            # a second transfer, all in the FIFO
    s.write_byte(3)
    s.stop()
    chip.call("i2ct_rx_want", 0, -1, 1)
    assert chip.rx_take(0, 8) == b"\x01\x02"
    first = status(chip)
    assert first & SEG_ENDED and not first & SEG_RESTART
    chip.call("i2ct_seg_close", 0)
    second = chip.call("i2ct_request", 0)
    assert second & 0xFF == 0x40 and not second & SEG_READ
    chip.call("i2ct_rx_want", 0, -1, 1)
    assert chip.rx_take(0, 8) == b"\x03"
    assert status(chip) & SEG_ENDED
    chip.call("i2ct_seg_close", 0)
    assert chip.call("i2ct_request", 0) < 0


def test_address_only_write_is_a_request(chip):
    s = open_board(chip)
    assert s.address(0x40, False) == ACK              # SMBus quick command / i2cdetect
    s.stop()
    r = chip.call("i2ct_request", 0)
    assert r & 0xFF == 0x40 and not r & SEG_READ and r & SEG_ENDED
    assert chip.rx_take(0, 4) == b""


# ---- read segments -----------------------------------------------------------------

def test_read_waits_for_python_then_controller_nack(chip):
    s = open_board(chip)
    assert s.address(0x40, True) == ACK
    assert s.read_byte() == HOLD                      # RD_REQ pending, TX FIFO empty
    assert s.mask & 0x20 == 0                         # RD_REQ masked while held
    assert chip.call("i2ct_request", 0) & SEG_READ
    assert chip.tx_put(0, b"\x5a\xa5\x00\x01") == 4
    assert s.poll() == SENT | 0x5A
    assert s.read_byte() == SENT | 0xA5
    assert s.tx == []                                 # one byte per RD_REQ, never ahead
    assert s.controller_nack() == ACK
    assert status(chip) & SEG_CTRL_NACK
    s.stop()
    assert chip.call("i2ct_tx_sent", 0) == 2
    assert chip.call("i2ct_counter", 0, CNT_BYTES_OUT) == 2


def test_closed_read_segment_sends_filler(chip):
    s = open_board(chip)
    s.address(0x40, True)
    assert s.read_byte() == HOLD
    chip.call("i2ct_seg_close", 0)
    assert s.poll() == SENT | 0xFF
    assert s.read_byte() == SENT | 0xFF


def test_restart_read_after_write(chip):
    s = open_board(chip)
    s.address(0x40, False)
    assert s.write_byte(1) == ACK
    chip.call("i2ct_rx_want", 0, -1, 1)
    assert s.address(0x40, True, restart=True) == ACK
    first = chip.call("i2ct_request", 0)
    assert first & SEG_ENDED and not first & SEG_READ
    assert chip.rx_take(0, 4) == b"\x01"
    chip.call("i2ct_seg_close", 0)
    second = chip.call("i2ct_request", 0)
    assert second & SEG_READ and second & SEG_RESTART
    chip.tx_put(0, b"\x07")
    assert s.poll() == SENT | 7
    s.controller_nack()
    s.stop()
    assert status(chip) & SEG_ENDED


def test_reference_example_register_index_then_restart_read(chip):
    """DESIGN.md's example: i2cset 0x40 0x01 0xaa, then i2cget 0x40 0x01."""
    s = open_board(chip)
    regs = bytearray(16)
    # i2cset: one write segment, index then value (Python reads byte by byte)
    s.address(0x40, False)
    s.write_byte(0x01)
    s.write_byte(0xAA)
    s.stop()
    chip.call("i2ct_rx_want", 0, 1, 1)
    index = chip.rx_take(0, 1)[0] & 15
    chip.call("i2ct_rx_want", 0, 1, 1)
    regs[index] = chip.rx_take(0, 1)[0]
    chip.call("i2ct_seg_close", 0)
    # i2cget: write index, repeated START, read one byte
    s.address(0x40, False)
    s.write_byte(0x01)
    s.address(0x40, True, restart=True)
    chip.call("i2ct_rx_want", 0, 1, 1)
    index = chip.rx_take(0, 1)[0] & 15
    chip.call("i2ct_seg_close", 0)
    r = chip.call("i2ct_request", 0)
    assert r & SEG_READ and r & SEG_RESTART
    chip.tx_put(0, bytes([regs[index]]))
    assert s.poll() == SENT | 0xAA
    s.controller_nack()
    s.stop()
    assert regs[1] == 0xAA


def test_controller_nack_mid_read_leaves_the_rest_unsent(chip):
    s = open_board(chip)
    s.address(0x40, True)
    chip.tx_put(0, b"\x10\x11\x12\x13")
    assert s.read_byte() == SENT | 0x10
    assert s.read_byte() == SENT | 0x11
    s.controller_nack()
    s.stop()
    assert chip.call("i2ct_tx_sent", 0) == 2
    assert status(chip) & SEG_CTRL_NACK and status(chip) & SEG_ENDED


# ---- aborts and timeouts -----------------------------------------------------------

def test_tx_abort_of_a_stale_byte_is_cleared_before_the_read_is_served(chip):
    s = open_board(chip)
    s.tx.append(0xEE)                                 # something left a byte in the TX FIFO
    assert s.address(0x40, True) == ACK               # flushed with TX_ABRT (SLVFLUSH_TXFIFO)
    assert s.abrt_source == 0 and not s.latched & 0x40  # the driver read IC_CLR_TX_ABRT
    chip.tx_put(0, b"\x42")
    assert s.poll() == SENT | 0x42                    # not the stale byte
    assert s.dropped_tx == 0
    assert ("tx", 0xEE) not in s.log


def test_tx_abort_flag_is_the_one_the_model_raises():
    # guard for the test above: the model does flush and abort on stale data
    m = DwApbI2c(36)
    m.emu = type("E", (), {"service_interrupts": lambda self: None})()
    m.enable, m.con, m.sar = 1, 0x284, 0x40
    m.tx.append(1)
    m.address(0x40, True)
    assert m.abrt_source & ABRT_SLVFLUSH_TXFIFO and m.tx == []


def test_arbitration_lost_while_sending_is_a_bus_error(chip):
    s = open_board(chip)
    s.address(0x40, True)
    chip.tx_put(0, b"\x01\x02")
    assert s.read_byte() == SENT | 1
    s.arbitration_lost()
    assert status(chip) & SEG_BUS_ERROR
    assert chip.call("i2ct_counter", 0, CNT_BUS_ERRORS) == 1
    s.stop()
    chip.call("i2ct_seg_close", 0)
    assert s.address(0x40, False) == ACK              # and serves the next transfer
    assert s.write_byte(3) == ACK
    chip.call("i2ct_rx_want", 0, -1, 1)
    assert chip.rx_take(0, 2) == b"\x03"


def test_stretch_limit_releases_a_read_with_filler(chip):
    s = open_board(chip)
    assert chip.call("i2ct_configure", 0, CFG_MAX_STRETCH_US, 25000) == 0
    chip.clock.now = 0xFFFFF000                        # across the 32-bit wrap
    s.address(0x40, True)
    assert s.read_byte() == HOLD
    chip.clock.now += 24000
    assert chip.call("i2ct_service", 0) == 0 and s.poll() == HOLD
    chip.clock.now += 2000
    assert chip.call("i2ct_service", 0) == 1
    assert s.poll() == SENT | 0xFF
    assert status(chip) & SEG_TIMEOUT


def test_read_behind_a_held_write_is_timed_from_its_read_request(chip):
    """The held write masks the read's RD_REQ until the FIFO before it is
    taken; the read's stretch still counts from when the controller began
    waiting, so it is released max_stretch_us after that, not after the write."""
    s = open_board(chip)
    chip.call("i2ct_configure", 0, CFG_MAX_STRETCH_US, 2000)
    s.address(0x40, False)
    s.write_byte(1)                                   # held at t=0
    s.stop()
    chip.clock.now = 500
    assert s.address(0x40, True) == ACK               # RD_REQ at t=500, SCL held
    assert s.read_byte() == HOLD
    chip.clock.now = 2000
    assert chip.call("i2ct_service", 0) == 1          # the write's hold times out
    assert s.poll() == HOLD                           # the read now held by the engine
    chip.clock.now = 2400
    assert chip.call("i2ct_service", 0) == 0
    chip.clock.now = 2500                             # 2000 us after its RD_REQ
    assert chip.call("i2ct_service", 0) == 1
    assert s.poll() == SENT | 0xFF


def test_stretch_limit_on_a_held_write_nacks_the_next_byte(chip):
    s = open_board(chip)
    chip.call("i2ct_configure", 0, CFG_MAX_STRETCH_US, 1000)
    s.address(0x40, False)
    s.write_byte(0x55)
    chip.clock.now += 5000
    assert chip.call("i2ct_service", 0) == 1
    assert s.nack_only == 1 and s.write_byte(0x56) == NACK
    assert chip.call("i2ct_counter", 0, CNT_TIMEOUTS) == 1


# ---- register mode -----------------------------------------------------------------

def test_register_mode_is_served_in_the_interrupt(chip):
    s = open_board(chip, address=0x50)
    mem, r = chip.set_regmap(0, 0x50, 16)
    assert r == 0
    chip.emu.write(mem, bytes(range(0x80, 0x90)))
    assert s.address(0x50, False) == ACK
    assert s.write_byte(0x04) == ACK                  # index
    assert s.write_byte(0xC4) == ACK
    assert s.write_byte(0xC5) == ACK
    assert s.address(0x50, True, restart=True) == ACK
    out = [s.read_byte() for _ in range(2)]
    s.controller_nack()
    s.stop()
    assert chip.emu.read(mem + 4, 2) == b"\xc4\xc5"
    assert out == [SENT | 0x86, SENT | 0x87]          # pointer continued past the writes
    assert chip.call("i2ct_counter", 0, CNT_REG_WRITES) == 2
    assert chip.call("i2ct_request", 0) < 0           # nothing reached Python


def test_register_mode_serves_a_controller_that_never_waits(chip):
    """A host that cannot stretch (Raspberry Pi hardware I2C): every byte must be
    answered inside the interrupt, without a single hold."""
    s = open_board(chip, address=0x50)
    mem, _ = chip.set_regmap(0, 0x50, 64)
    for rnd in range(3):
        s.address(0x50, False)
        assert s.write_byte(0) == ACK
        for i in range(32):
            assert s.write_byte((i * 7 + rnd) & 0xFF) == ACK
        s.stop()
        assert s.address(0x50, False) == ACK
        assert s.write_byte(0) == ACK
        assert s.address(0x50, True, restart=True) == ACK
        for i in range(32):
            r = s.read_byte()
            assert r == SENT | ((i * 7 + rnd) & 0xFF), (rnd, i)
        s.controller_nack()
        s.stop()
    assert chip.call("i2ct_counter", 0, CNT_TIMEOUTS) == 0
    assert chip.call("i2ct_counter", 0, CNT_FILLER) == 0


# ---- vector table ------------------------------------------------------------------

def test_vector_table_in_flash_is_copied_to_ram_and_restored():
    for name in ("rp2040", "rp2350"):
        chip = Rp2Chip(name, vectors="flash")
        c = chip.cfg
        open_board(chip)
        vtor = chip.emu.scs.vtor
        align = 256 if name == "rp2040" else 512
        assert vtor >= 0x20000000 and vtor % align == 0
        for i, fw in enumerate(chip.firmware_vectors):
            got = chip.emu.read32(vtor + 4 * i)
            assert got == fw or i == 16 + c["irqs"][0], i
        assert chip.open(1, 3, 2, [0x60]) == 0            # both share the copy
        assert chip.emu.scs.vtor == vtor
        assert chip.i2c[1].address(0x60, False) == ACK
        chip.close(0)
        assert chip.emu.scs.vtor == vtor                  # target 1 still needs it
        chip.close(1)
        assert chip.emu.scs.vtor == FLASH_VECTORS
        assert chip.emu.scs.vtor_writes == [vtor, FLASH_VECTORS]


# ---- the model itself --------------------------------------------------------------

def test_model_rejects_driver_mistakes():
    chip = Rp2Chip("rp2040")
    s = open_board(chip)
    with pytest.raises(ModelError):
        s.write(0x00, 4, 0)                           # IC_CON while enabled
    with pytest.raises(ModelError):
        chip.i2c[1].read(0x70, 4)                     # I2C1 still in reset
    with pytest.raises(ModelError):
        s.read_byte()                                 # not addressed for a read


# ---- instructions per byte ---------------------------------------------------------

@pytest.mark.parametrize("chip_name", ["rp2040", "rp2350"])
def test_instructions_per_byte(chip_name, capsys):
    # one address per block; a write is seen at its first byte (see isr_per_byte)
    m = measure.isr_per_byte(Rp2Chip(chip_name), out_entries=(16, 15), one_address=True)
    with capsys.disabled():
        print(measure.report(chip_name, m, CHIPS[chip_name]["mhz"]))
    measure.assert_bounded(m)
