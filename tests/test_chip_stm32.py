"""The STM32 I2C v1 (F405) and v2 (F767, L476) drivers executed in unicorn
against the register models, with the real engine and glue compiled in."""
import pytest

from tests.chips import measure
from tests.chips.bus import ACK, HOLD, NACK, SENT
from tests.chips.stm32 import BOARD, CHIPS, Stm32Chip, pin
from tests.chips.stm32_i2c_v1 import ModelError as V1ModelError

EPIN, EBUSY, EADDR, EINST, ESTATE = -20, -21, -22, -23, -24
SEG_READ, SEG_RESTART, SEG_ENDED, SEG_HELD = 0x100, 0x200, 0x400, 0x1000
SEG_ACK_WAIT, SEG_CTRL_NACK, SEG_TIMEOUT, SEG_BUS_ERROR = 0x2000, 0x4000, 0x8000, 0x10000
CNT_BYTES_IN, CNT_BYTES_OUT, CNT_NACKS, CNT_TX_UNSENT, CNT_BUS_ERRORS, CNT_REG_WRITES = 0, 1, 2, 8, 5, 11
CFG_MAX_STRETCH_US = 0

OTHER = {"f405": ("PB10", "PB11", 1), "f767": ("PB10", "PB11", 1), "l476": ("PB10", "PB11", 1)}


@pytest.fixture(params=sorted(CHIPS))
def chip(request):
    return Stm32Chip(request.param)


def gen(chip):
    return chip.cfg["gen"]


def test_port_id(chip):
    assert chip.call("i2ct_port") == chip.cfg["port_id"]


@pytest.mark.parametrize("scl,sda", [("PB7", "PB6"), ("PB6", "PB6"), ("PA0", "PA1"), ("PB6", "PB11")])
def test_open_refuses_pins_without_a_common_instance(chip, scl, sda):
    assert chip.open(0, pin(scl), pin(sda), [0x40]) == EPIN
    assert chip.emu.scs.vtor == 0x08000000 and not chip.emu.scs.enabled
    assert not any(chip.clock_on(n) for n in range(len(chip.i2c)))


def test_open_refuses_bad_slots_and_pins(chip):
    assert chip.open(0, -1, pin("PB7"), [0x40]) == EPIN
    assert chip.open(3, pin("PB6"), pin("PB7"), [0x40]) == EINST


def test_open_sets_up_and_close_undoes_everything(chip):
    scl, sda, n = BOARD[chip.chip]
    m = chip.open_board()
    assert m.enabled and chip.clock_on(n)
    assert chip.gpio_clock_on(1)                       # GPIOB
    for p in (scl, sda):
        assert chip.pin_config(pin(p)) == (2, 1, 1, 4)   # AF, open drain, pull-up, AF4
    _, ev, er = chip.cfg["instances"][n]
    assert chip.emu.scs.enabled == {ev, er}
    assert chip.emu.scs.priority[ev] == 0x80
    vtor = chip.emu.scs.vtor
    assert 0x20000000 <= vtor < 0x20040000 and vtor % 512 == 0
    handler = chip.emu.vector(ev)
    assert handler == chip.emu.vector(er) and handler & 1
    for i, fw in enumerate(chip.firmware_vectors):
        assert chip.emu.read32(vtor + 4 * i) == (handler if i - 16 in (ev, er) else fw), i
    if gen(chip) == 1:
        assert m.cr2 & 0x3F == chip.cfg["mhz"] // 4            # FREQ = APB1 MHz
        assert m.cr1 & (1 << 10) and not m.cr1 & (1 << 7)      # ACK, clock stretching on
    else:
        assert m.cr1 & (1 << 16) and not m.cr1 & (1 << 17)     # SBC, NOSTRETCH=0
        assert m.timingr >> 20 & 0xF and m.timingr >> 16 & 0xF  # setup / hold delays set

    assert chip.close(0) == 0
    assert chip.emu.scs.vtor == 0x08000000 and chip.emu.scs.vtor_writes == [vtor, 0x08000000]
    assert not chip.emu.scs.enabled
    assert not m.enabled and not chip.clock_on(n)
    for p in (scl, sda):
        assert chip.pin_config(pin(p)) == (0, 0, 0, 0)
    assert chip.close(0) == ESTATE
    assert m.address(0x40, False) == NACK


def test_open_refuses_an_instance_in_use(chip):
    scl, sda, n = BOARD[chip.chip]
    chip.set_clock(n, True)
    chip.i2c[n].cr1 = 1                                 # machine.I2C enabled it
    assert chip.open(0, pin(scl), pin(sda), [0x40]) == EBUSY
    assert chip.emu.scs.vtor == 0x08000000
    assert chip.clock_on(n)                             # left as found


def test_clock_on_but_disabled_is_taken_and_left_on(chip):
    scl, sda, n = BOARD[chip.chip]
    chip.set_clock(n, True)
    chip.open_board()
    chip.close(0)
    assert chip.clock_on(n)


def test_two_addresses(chip):
    m = chip.open_board((0x40, 0x52))
    for a in (0x52, 0x40):
        assert m.address(a, False) == ACK
        assert chip.call("i2ct_request", 0) & 0xFF == a
        m.stop()
        chip.call("i2ct_seg_close", 0)
    assert m.address(0x41, False) == NACK               # hardware does not match it


def test_v1_refuses_three_addresses_v2_masks_them():
    chip = Stm32Chip("f405")
    assert chip.open(0, pin("PB6"), pin("PB7"), [0x20, 0x21, 0x22]) == EADDR
    chip = Stm32Chip("f767")
    m = chip.open_board((0x50, 0x20, 0x21, 0x22))
    assert m.oar2 >> 8 & 7 == 2                          # OA2 0x20 with two bits masked
    assert m.address(0x23, False) == ACK                 # let in by the mask...
    assert m.write_byte(0x00) == NACK                    # ...and refused by the engine
    m.stop()
    for a in (0x50, 0x20, 0x21, 0x22):
        assert m.address(a, False) == ACK
        m.stop()
    assert m.address(0x24, False) == NACK


def test_write_segment_waits_for_credit(chip):
    m = chip.open_board()
    assert m.address(0x40, False) == ACK
    if gen(chip) == 2:
        assert m.write_byte(0x11) == HOLD                # held before its ACK
        assert chip.call("i2ct_status", 0) & SEG_HELD
        assert chip.call("i2ct_rx_want", 0, 3, 1) == 0
        assert m.poll() == ACK
        assert m.write_byte(0x22) == ACK
        assert m.write_byte(0x33) == ACK
        assert m.write_byte(0x44) == HOLD                # credit used up
    else:
        # v1 ACKs ahead: the first byte waits in DR, the second is ACKed and
        # then SCL is held (BTF) until Python asks.
        assert m.write_byte(0x11) == ACK
        assert m.write_byte(0x22) == HOLD                # ACK pulse, then stretched at BTF
        assert m.acks == [ACK, ACK]
        assert m.stretched() and m.poll() == HOLD
        assert chip.call("i2ct_rx_want", 0, 3, 1) == 0
        assert m.poll() == ACK                           # BTF cleared: the bus moves on
        assert not m.stretched()
        assert m.write_byte(0x33) == ACK
        assert m.write_byte(0x44) == ACK                 # beyond credit: ACKed, kept in DR
        assert m.write_byte(0x55) == HOLD                # ACKed into the shift register, BTF
    assert chip.rx_take(0, 8) == b"\x11\x22\x33"
    assert chip.call("i2ct_counter", 0, CNT_BYTES_IN) == 3


def test_write_then_stop_before_python_asks_loses_nothing(chip):
    m = chip.open_board()
    m.address(0x40, False)
    first = m.write_byte(0x61)
    if gen(chip) == 2:
        assert first == HOLD
        chip.call("i2ct_rx_want", 0, -1, 1)
        assert m.poll() == ACK
        assert m.write_byte(0x62) == ACK
        m.stop()
        assert chip.rx_take(0, 8) == b"\x61\x62"
    else:
        assert first == ACK
        m.stop()                                         # STOP waits behind the byte in DR
        assert not chip.call("i2ct_status", 0) & SEG_ENDED
        chip.call("i2ct_rx_want", 0, -1, 1)
        assert chip.rx_take(0, 8) == b"\x61"
    assert chip.call("i2ct_status", 0) & SEG_ENDED


def test_per_byte_nack(chip):
    m = chip.open_board()
    m.address(0x40, False)
    if gen(chip) == 2:
        assert m.write_byte(0xA0) == HOLD
        assert chip.call("i2ct_rx_want", 0, 2, 0) == 0   # read(2, ack=False)
        assert m.poll() == ACK
        assert m.write_byte(0xA1) == HOLD                # waits for ack()
        assert chip.call("i2ct_status", 0) & SEG_ACK_WAIT
        assert chip.rx_take(0, 4) == b"\xa0\xa1"
        assert chip.call("i2ct_ack", 0, 0) == 0
        assert m.poll() == NACK                          # NACKed on the wire
        assert m.acks == [ACK, NACK]
    else:
        assert chip.call("i2ct_rx_want", 0, 2, 0) == 0
        assert m.write_byte(0xA0) == ACK
        assert m.write_byte(0xA1) == ACK                 # v1: ACKed before ack() can run
        assert chip.call("i2ct_status", 0) & SEG_ACK_WAIT
        assert chip.rx_take(0, 4) == b"\xa0\xa1"
        assert chip.call("i2ct_ack", 0, 0) == 0
        assert m.write_byte(0xA2) == NACK                # the refusal lands on the next byte
    m.stop()
    assert chip.call("i2ct_status", 0) & SEG_ENDED


def test_read_held_until_python_writes_then_controller_nack(chip):
    m = chip.open_board()
    assert m.address(0x40, True) == ACK
    assert m.read_byte() == HOLD
    assert chip.call("i2ct_request", 0) & SEG_READ
    assert chip.tx_put(0, b"\x5a\xa5\x77") == 3
    assert m.poll() == SENT | 0x5A
    assert m.read_byte() == SENT | 0xA5
    assert m.controller_nack() == ACK
    m.stop()
    st = chip.call("i2ct_status", 0)
    assert st & SEG_CTRL_NACK and st & SEG_ENDED
    assert chip.call("i2ct_tx_sent", 0) == 2             # exactly what was clocked out
    assert chip.call("i2ct_counter", 0, CNT_BYTES_OUT) == 2


def test_closed_read_sends_filler(chip):
    m = chip.open_board()
    m.address(0x40, True)
    assert m.read_byte() == HOLD
    chip.call("i2ct_seg_close", 0)
    assert m.poll() == SENT | 0xFF
    assert m.read_byte() == SENT | 0xFF
    m.controller_nack()
    m.stop()


def test_register_mode_served_in_the_interrupt(chip):
    m = chip.open_board((0x50,))
    mem, r = chip.set_regmap(0, 0x50, 16)
    assert r == 0
    chip.emu.write(mem, bytes(range(0x80, 0x90)))
    assert m.address(0x50, False) == ACK
    for b in (0x04, 0xC4, 0xC5):
        assert m.write_byte(b) == ACK
    assert m.address(0x50, True, restart=True) == ACK
    out = [m.read_byte() for _ in range(2)]
    m.controller_nack()
    m.stop()
    assert chip.emu.read(mem + 4, 2) == b"\xc4\xc5"
    assert out == [SENT | 0x86, SENT | 0x87]
    assert chip.call("i2ct_counter", 0, CNT_REG_WRITES) == 2
    assert chip.call("i2ct_request", 0) < 0


def test_register_mode_readonly_byte_is_nacked(chip):
    m = chip.open_board((0x50,))
    chip.set_regmap(0, 0x50, 16)
    assert chip.call("i2ct_set_readonly", 0, 0x50, 0, 2, 4) == 0
    m.address(0x50, False)
    assert m.write_byte(0x01) == ACK
    assert m.write_byte(0xEE) == ACK                     # index 1: writable
    assert m.write_byte(0xEF) == NACK                    # index 2: read-only
    m.stop()


def test_restart_flag_and_stop_mid_write(chip):
    m = chip.open_board()
    m.address(0x40, False)
    chip.call("i2ct_rx_want", 0, -1, 1)
    r = m.write_byte(1)
    if r == HOLD:
        assert m.poll() == ACK
    assert m.address(0x40, True, restart=True) == ACK
    first = chip.call("i2ct_request", 0)
    assert first & SEG_ENDED and not first & SEG_READ
    assert chip.rx_take(0, 4) == b"\x01"
    chip.call("i2ct_seg_close", 0)
    second = chip.call("i2ct_request", 0)
    assert second & SEG_READ and second & SEG_RESTART
    chip.tx_put(0, b"\x07")
    assert m.read_byte() == SENT | 7
    m.controller_nack()
    m.stop()
    chip.call("i2ct_seg_close", 0)
    assert m.address(0x40, False) == ACK                  # after a STOP: no restart flag
    assert not chip.call("i2ct_request", 0) & SEG_RESTART


def test_bus_error_ends_the_segment_and_recovers(chip):
    m = chip.open_board()
    m.address(0x40, False)
    chip.call("i2ct_rx_want", 0, -1, 1)
    r = m.write_byte(0x99)
    if r == HOLD:
        m.poll()
    m.bus_error()
    st = chip.call("i2ct_status", 0)
    assert st & SEG_BUS_ERROR and st & SEG_ENDED
    assert chip.call("i2ct_counter", 0, CNT_BUS_ERRORS) == 1
    chip.call("i2ct_seg_close", 0)
    assert m.address(0x40, False) == ACK


def test_arbitration_loss_counts_as_bus_error(chip):
    m = chip.open_board()
    m.address(0x40, True)
    m.bus_error(1 << 9)                                   # ARLO: same bit on both generations
    assert chip.call("i2ct_status", 0) & SEG_BUS_ERROR


def test_stretch_limit_releases(chip):
    m = chip.open_board()
    assert chip.call("i2ct_configure", 0, CFG_MAX_STRETCH_US, 25000) == 0
    m.address(0x40, False)
    if gen(chip) == 2:
        assert m.write_byte(0x55) == HOLD
    else:
        assert m.write_byte(0x55) == ACK                 # waits in DR
        assert m.write_byte(0x56) == HOLD                # ACKed, then BTF holds SCL
    chip.set_us(24000)
    chip.call("i2ct_service", 0)
    assert m.poll() == HOLD
    chip.set_us(26000)
    chip.call("i2ct_service", 0)
    assert m.poll() in (ACK, NACK)                        # the bus moves again
    if gen(chip) == 2:
        assert m.acks[-1] == NACK
        assert chip.call("i2ct_status", 0) & SEG_TIMEOUT


def test_v2_preloaded_byte_cut_by_nack_is_not_counted():
    chip = Stm32Chip("f767")
    m = chip.open_board()
    m.address(0x40, True)
    chip.tx_put(0, b"\x01\x02\x03")
    assert m.read_byte() == SENT | 1                      # byte 2 is loaded behind it
    m.controller_nack()
    m.stop()
    assert chip.call("i2ct_tx_sent", 0) == 1
    assert chip.call("i2ct_counter", 0, CNT_TX_UNSENT) >= 1
    assert chip.call("i2ct_counter", 0, CNT_BYTES_OUT) == 1


def test_smbus_flag_sets_the_v2_timeout():
    chip = Stm32Chip("l476")
    m = chip.open_board(flags=1)
    assert m.timeoutr & (1 << 15)
    assert m.timeoutr & 0xFFF == 80000 * 25 // 2048 - 1
    m.bus_error(1 << 12)                                  # TIMEOUT
    assert chip.call("i2ct_counter", 0, CNT_BUS_ERRORS) == 1


def test_vectors_shared_by_two_targets_and_restored(chip):
    scl, sda, n = BOARD[chip.chip]
    oscl, osda, on = OTHER[chip.chip]
    chip.open_board()
    vtor = chip.emu.scs.vtor
    assert chip.open(1, pin(oscl), pin(osda), [0x60]) == 0
    assert chip.emu.scs.vtor == vtor
    assert chip.i2c[on].address(0x60, False) == ACK
    assert chip.i2c[n].address(0x60, False) == NACK
    chip.close(0)
    assert chip.emu.scs.vtor == vtor
    ev = chip.cfg["instances"][n][1]
    assert chip.emu.read32(vtor + 4 * (16 + ev)) == chip.firmware_vectors[16 + ev]
    chip.close(1)
    assert chip.emu.scs.vtor == 0x08000000


def test_same_instance_twice_is_busy(chip):
    scl, sda, _ = BOARD[chip.chip]
    chip.open_board()
    assert chip.open(1, pin(scl), pin(sda), [0x50]) == EBUSY


def test_v1_model_rejects_stop_while_stretched():
    chip = Stm32Chip("f405")
    m = chip.open_board()
    m.address(0x40, False)
    m.write_byte(1)
    m.write_byte(2)
    with pytest.raises(V1ModelError):
        m.stop()


@pytest.mark.parametrize("name", sorted(CHIPS))
def test_instructions_per_byte(name, capsys):
    # v1 loads the first byte out at the address, v2 one byte ahead: at least N - 1 entries
    m = measure.isr_per_byte(Stm32Chip(name), out_entries=(15, 15), at_least=True)
    with capsys.disabled():
        print(measure.report(name, m, CHIPS[name]["mhz"]))
    measure.assert_bounded(m)


def test_v1_btf_stretch_is_a_hold_for_the_controller():
    """RM0090: BTF stretches SCL after the ACK pulse of the byte in the shift
    register; a stretching controller waits there, so its STOP comes only
    once the driver read DR."""
    chip = Stm32Chip("f405")
    m = chip.open_board()
    m.address(0x40, False)
    assert m.write_byte(1) == ACK                        # waits in DR: no credit yet
    assert m.write_byte(2) == HOLD                       # ACKed, then BTF
    assert m.acks == [ACK, ACK] and m.stretched()
    assert chip.call("i2ct_rx_want", 0, -1, 1) == 0      # read(): DR read, BTF cleared
    assert m.poll() == ACK and not m.stretched()
    m.stop()
    assert chip.rx_take(0, 4) == b"\x01\x02"
    assert chip.call("i2ct_status", 0) & SEG_ENDED


def test_v1_port_hold_timeout_frees_the_bus_at_once():
    """The byte left in DR (port hold) has stretched for max_stretch_us: the
    engine times it out at once (no second max_stretch_us of its own), the
    STOP is taken and the next address is ACKed (CR1.ACK is 1 again)."""
    chip = Stm32Chip("f405")
    m = chip.open_board()
    assert chip.call("i2ct_configure", 0, CFG_MAX_STRETCH_US, 2000) == 0
    chip.set_us(1000)
    m.address(0x40, False)
    assert m.write_byte(1) == ACK
    assert m.write_byte(2) == HOLD
    chip.set_us(2900)
    chip.call("i2ct_service", 0)
    assert m.poll() == HOLD
    chip.set_us(3000)
    chip.call("i2ct_service", 0)
    assert m.poll() == ACK and not m.stretched()
    st = chip.call("i2ct_status", 0)
    assert st & SEG_TIMEOUT and not st & SEG_HELD
    m.stop()
    assert chip.call("i2ct_status", 0) & SEG_ENDED
    assert chip.call("i2ct_counter", 0, CNT_NACKS) == 2   # ACKed on the wire, refused to Python
    assert chip.call("i2ct_counter", 0, 4) == 1           # TIMEOUTS
    assert m.address(0x40, True) == ACK                  # the next transaction is served
    assert m.read_byte() == HOLD                         # (behind the unclosed write)


def test_v1_close_during_btf_hold_lets_scl_go():
    """close() (soft reset, deinit) while BTF holds SCL: SWRST puts the block
    in reset, which releases the lines (RM0090 I2C_CR1.SWRST)."""
    chip = Stm32Chip("f405")
    m = chip.open_board()
    m.address(0x40, False)
    m.write_byte(1)
    assert m.write_byte(2) == HOLD and m.stretched()
    assert chip.close(0) == 0
    assert not m.stretched() and not m.enabled
    m = chip.open_board()
    assert m.address(0x40, False) == ACK


@pytest.mark.parametrize("name", ["f767", "l476"])
def test_v2_no_filler_outside_a_read_segment(name):
    """A read ended by a bus error while the driver holds the byte request:
    TXIS stays set in the block, but no segment wants a byte, so nothing is
    loaded or counted; the next read counts exactly what it clocked."""
    chip = Stm32Chip(name)
    m = chip.open_board()
    m.address(0x40, True)
    assert m.read_byte() == HOLD
    m.bus_error()
    assert m.txdr is None                                 # no filler loaded for nobody
    assert chip.call("i2ct_seg_close", 0) == 0
    m.address(0x40, True)
    chip.tx_put(0, b"\x01")
    assert m.read_byte() == SENT | 1
    m.controller_nack()
    m.stop()
    assert chip.call("i2ct_counter", 0, CNT_BYTES_OUT) == 1
    assert chip.call("i2ct_counter", 0, 3) == 0           # FILLER
    chip.emu.irq_log.clear()
    m.address(0x40, False)                                # a write segment after it
    m.stop()
    assert chip.isr_counts("byte_out") == []
