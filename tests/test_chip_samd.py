"""The SAMD51 / SAMD21 driver (ports/samd) executed in unicorn against the
SERCOM I2CS register model, with the real engine and glue compiled in."""
import pytest

from tests.chips import measure
from tests.chips.build import armv6m_violations
from tests.chips.samd import BOARD, CHIPS, SamdChip, build, pin
from tests.chips.sercom_i2cs import ACK, HOLD, NACK, SENT, ModelError

EPIN, EBUSY, EINST, ESTATE = -20, -21, -23, -24
SEG_READ, SEG_RESTART, SEG_ENDED, SEG_HELD = 0x100, 0x200, 0x400, 0x1000
SEG_ACK_WAIT, SEG_CTRL_NACK, SEG_TIMEOUT, SEG_BUS_ERROR = 0x2000, 0x4000, 0x8000, 0x10000
CNT_BYTES_IN, CNT_BYTES_OUT, CNT_NACKS, CNT_TIMEOUTS, CNT_BUS_ERRORS = 0, 1, 2, 4, 5
CNT_ADDR_NACKS, CNT_REG_WRITES = 10, 11
OPEN_SMBUS = 1
CFG_MAX_STRETCH_US = 0

@pytest.fixture(params=["samd51", "samd21"])
def chip(request):
    return SamdChip(request.param)


def test_armv6m_build_has_no_thumb2():
    assert armv6m_violations(build("samd21")) == []


def test_armv6m_check_catches_thumb2():
    # the same sources for the M4 use wide instructions the M0+ lacks
    assert armv6m_violations(build("samd51"))


def test_port_id(chip):
    assert chip.call("i2ct_port") == CHIPS[chip.chip]["port_id"]


@pytest.mark.parametrize("scl,sda", [("PA02", "PA03"), ("PA12", "PA12"), ("PA22", "PA13")])
def test_open_refuses_pins_without_a_common_sercom(chip, scl, sda):
    assert chip.open(0, pin(scl), pin(sda), [0x40]) == EPIN
    assert chip.emu.scs.vtor == 0 and not chip.emu.scs.enabled
    assert chip.call("i2ct_is_open", 0) == 0


def test_open_refuses_out_of_range_pins_and_slots(chip):
    assert chip.open(0, -1, pin("PA12"), [0x40]) == EPIN
    assert chip.open(0, pin("PA13"), 64, [0x40]) == EPIN
    assert chip.open(5, pin("PA13"), pin("PA12"), [0x40]) == EINST


def test_open_sets_up_and_close_undoes_everything(chip):
    c = chip.cfg
    scl, sda, n = BOARD[chip.chip]
    before_port = bytes(chip.port.mem)
    s = chip.open_board()
    assert s.enabled and s.ctrla & (1 << 27) == 0      # SCLSM=0: hold before each ACK
    assert chip.apb_on(n)
    assert chip.gclk_channel(c["gclk_core"][n]) & (0x40 if chip.chip == "samd51" else 0x4000)
    for p in (scl, sda):
        cfg, mux = chip.pin_mux(pin(p))
        assert cfg & 1 and mux == 2                   # PMUXEN, function C
    irqs = [c["irq0"](n) + k for k in range(c["lines"])]
    assert chip.emu.scs.enabled == set(irqs)
    vtor = chip.emu.scs.vtor
    align = 1024 if chip.chip == "samd51" else 256
    assert vtor >= 0x20000000 and vtor % align == 0
    handler = chip.emu.vector(irqs[0])
    for i, fw in enumerate(chip.firmware_vectors):
        got = chip.emu.read32(vtor + 4 * i)
        assert got == (handler if i - 16 in irqs else fw), i
    assert chip.call("i2ct_open", 0, pin(scl), pin(sda), b"\x40", 1, 0) == ESTATE

    assert chip.close(0) == 0
    assert chip.emu.scs.vtor == 0 and chip.emu.scs.vtor_writes == [vtor, 0]
    assert not chip.emu.scs.enabled
    assert not s.enabled and not chip.apb_on(n)
    assert chip.gclk_channel(c["gclk_core"][n]) & (0x40 if chip.chip == "samd51" else 0x4000) == 0
    assert bytes(chip.port.mem) == before_port
    assert chip.close(0) == ESTATE                    # second close is harmless
    assert s.address(0x40, False) == NACK             # nobody answers any more


def test_swapped_pins_on_samd51_use_sercom4():
    chip = SamdChip("samd51")
    assert chip.open(0, pin("PA12"), pin("PA13"), [0x40]) == 0   # PA13/PA12 are SERCOM4 PAD0/1 in mux D
    assert chip.sercoms[4].enabled and chip.pin_mux(pin("PA12"))[1] == 3
    assert chip.sercoms[4].address(0x40, False) == ACK


def test_metro_m4_pins():
    chip = SamdChip("samd51")
    assert chip.open(0, pin("PB03"), pin("PB02"), [0x40]) == 0   # SERCOM5, mux D
    assert chip.sercoms[5].enabled and chip.pin_mux(pin("PB02")) == (3, 3)


def board_rows():
    import os
    path = os.path.join(os.path.dirname(__file__), "..", "ports", "samd", "README.md")
    rows = []
    for line in open(path):
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 5 and cells[2].startswith("P") and cells[1].startswith("SAMD"):
            rows.append((cells[0], "samd51" if "SAMD51" in cells[1] else "samd21",
                         cells[2], cells[3], int(cells[4].split()[0]), cells[4][-2]))
    return rows


def test_board_table_is_read():
    assert len(board_rows()) >= 8


@pytest.mark.parametrize("row", board_rows(), ids=lambda r: r[0])
def test_board_pins(row):
    board, chip_name, scl, sda, sercom, func = row
    chip = SamdChip(chip_name)
    assert chip.open(0, pin(scl), pin(sda), [0x40]) == 0, board
    assert chip.sercoms[sercom].enabled
    assert chip.pin_mux(pin(sda))[1] == {"C": 2, "D": 3}[func]
    assert chip.sercoms[sercom].address(0x40, False) == ACK


def test_open_refuses_a_sercom_in_use(chip):
    scl, sda, n = BOARD[chip.chip]
    off, bit = chip.cfg["apb_bits"][n]
    chip.apb.write(off, 4, chip.apb.u32(off) | 1 << bit)
    chip.sercoms[n].ctrla = 0x2 | (1 << 2)            # the firmware runs it as I2C host
    assert chip.open(0, pin(scl), pin(sda), [0x40]) == EBUSY
    assert chip.emu.scs.vtor == 0


def test_second_target_on_the_same_sercom_is_busy(chip):
    scl, sda, _ = BOARD[chip.chip]
    chip.open_board()
    assert chip.open(1, pin(scl), pin(sda), [0x50]) == EBUSY


def test_two_addresses_match_and_others_are_nacked_by_hardware(chip):
    s = chip.open_board((0x40, 0x41))
    assert s.ctrlb >> 14 & 3 == 1                     # two-address mode
    assert s.address(0x41, False) == ACK
    s.stop()
    assert s.address(0x40, False) == ACK
    s.stop()
    entries = len(chip.emu.irq_log)
    assert s.address(0x42, False) == NACK
    assert len(chip.emu.irq_log) == entries           # no interrupt at all
    assert chip.call("i2ct_request", 0) & 0xFF == 0x41


def test_more_addresses_use_a_mask_and_the_engine_nacks_extras(chip):
    s = chip.open_board((0x20, 0x22, 0x31))
    assert s.matches(0x30)                            # the mask covers it...
    assert s.address(0x30, False) == NACK             # ...the engine refuses it
    assert chip.call("i2ct_counter", 0, CNT_ADDR_NACKS) == 1
    s.stop()
    for a in (0x20, 0x22, 0x31):
        assert s.address(a, False) == ACK
        s.stop()
    assert s.address(0x7F, False) == NACK


def test_write_bytes_wait_for_credit(chip):
    s = chip.open_board()
    assert s.address(0x40, False) == ACK
    assert s.write_byte(0x11) == HOLD                 # Python has not asked yet
    assert s.poll() == HOLD
    assert chip.call("i2ct_status", 0) & SEG_HELD
    assert chip.call("i2ct_rx_want", 0, 3, 1) == 0
    assert s.poll() == ACK                            # released by the glue call
    assert s.write_byte(0x22) == ACK
    assert s.write_byte(0x33) == ACK
    assert s.write_byte(0x44) == HOLD                 # credit used up
    assert chip.rx_take(0, 8) == b"\x11\x22\x33"
    assert chip.call("i2ct_counter", 0, CNT_BYTES_IN) == 3
    assert s.spurious == []


def test_per_byte_nack(chip):
    s = chip.open_board()
    s.address(0x40, False)
    assert chip.call("i2ct_rx_want", 0, 2, 0) == 0    # read(2, ack=False)
    assert s.write_byte(0xA0) == ACK
    assert s.write_byte(0xA1) == HOLD                 # the 2nd waits for ack()
    assert chip.call("i2ct_status", 0) & SEG_ACK_WAIT
    assert chip.rx_take(0, 4) == b"\xa0\xa1"
    assert chip.call("i2ct_ack", 0, 0) == 0
    assert s.poll() == NACK                           # NACKed on the wire
    assert s.state == "wait_start"
    s.stop()
    assert chip.call("i2ct_status", 0) & SEG_ENDED


def test_read_waits_for_python_then_controller_nack(chip):
    s = chip.open_board()
    assert s.address(0x40, True) == ACK
    assert s.read_byte() == HOLD                      # nothing written by Python yet
    assert chip.call("i2ct_request", 0) & SEG_READ
    assert chip.tx_put(0, b"\x5a\xa5") == 2
    assert s.poll() == SENT | 0x5A
    assert s.read_byte() == SENT | 0xA5
    assert s.controller_nack() == ACK
    assert chip.call("i2ct_status", 0) & SEG_CTRL_NACK
    s.stop()
    assert chip.call("i2ct_tx_sent", 0) == 2
    assert s.spurious == []


def test_closed_read_segment_sends_filler(chip):
    s = chip.open_board()
    s.address(0x40, True)
    assert s.read_byte() == HOLD
    chip.call("i2ct_seg_close", 0)
    assert s.poll() == SENT | 0xFF
    assert s.read_byte() == SENT | 0xFF


def test_register_mode_is_served_in_the_interrupt(chip):
    s = chip.open_board((0x50,))
    mem, r = chip.set_regmap(0, 0x50, 16)
    assert r == 0
    chip.emu.write(mem, bytes(range(0x80, 0x90)))
    calls_before = len(chip.emu.irq_log)
    assert s.address(0x50, False) == ACK
    assert s.write_byte(0x04) == ACK                  # index
    assert s.write_byte(0xC4) == ACK
    assert s.write_byte(0xC5) == ACK
    assert s.address(0x50, True, restart=True) == ACK
    out = [s.read_byte() for _ in range(2)]
    s.controller_nack()
    s.stop()
    assert chip.emu.read(mem + 4, 2) == b"\xc4\xc5"
    assert out[0] == SENT | 0x86                      # pointer continued past the writes
    assert out[1] == SENT | 0x87
    assert chip.call("i2ct_counter", 0, CNT_REG_WRITES) == 2
    assert chip.call("i2ct_request", 0) < 0           # nothing reached Python
    assert len(chip.emu.irq_log) > calls_before


def test_stop_mid_write_and_restart_read(chip):
    s = chip.open_board()
    s.address(0x40, False)
    chip.call("i2ct_rx_want", 0, -1, 1)
    s.write_byte(1)
    assert s.address(0x40, True, restart=True) == ACK
    first = chip.call("i2ct_request", 0)
    assert first & SEG_ENDED and not first & SEG_READ
    assert chip.rx_take(0, 4) == b"\x01"
    chip.call("i2ct_seg_close", 0)
    second = chip.call("i2ct_request", 0)
    assert second & SEG_READ and second & SEG_RESTART
    chip.tx_put(0, b"\x07")                             # before the controller clocks
    assert s.read_byte() == SENT | 7
    s.controller_nack()
    s.stop()
    assert chip.call("i2ct_status", 0) & SEG_ENDED


def test_smbus_low_timeout_takes_the_bus_error_path(chip):
    s = chip.open_board(flags=OPEN_SMBUS)
    assert s.ctrla & (1 << 30) and s.ctrla & (1 << 23)   # LOWTOUTEN, SEXTTOEN
    assert chip.gclk_channel(chip.cfg["gclk_slow"])
    s.address(0x40, False)
    assert s.write_byte(0x99) == HOLD
    assert s.low_timeout()
    assert s.status == 0                              # driver cleared the error bits
    assert chip.call("i2ct_status", 0) & SEG_BUS_ERROR
    assert chip.call("i2ct_counter", 0, CNT_BUS_ERRORS) == 1
    assert s.address(0x40, False) == ACK              # and answers again


def test_without_smbus_there_is_no_hardware_timeout(chip):
    s = chip.open_board()
    s.address(0x40, False)
    s.write_byte(0x99)
    assert not s.low_timeout()
    assert s.poll() == HOLD


def test_engine_stretch_limit_releases_with_nack(chip):
    s = chip.open_board()
    assert chip.call("i2ct_configure", 0, CFG_MAX_STRETCH_US, 25000) == 0
    chip.clock.now = 0xFFFFF000                        # across the 32-bit wrap
    s.address(0x40, False)
    assert s.write_byte(0x55) == HOLD
    chip.clock.now += 24000
    assert chip.call("i2ct_service", 0) == 0 and s.poll() == HOLD
    chip.clock.now += 2000
    assert chip.call("i2ct_service", 0) == 1
    assert s.poll() == NACK
    assert chip.call("i2ct_status", 0) & SEG_TIMEOUT
    if chip.chip == "samd51":
        assert chip.clock.readsyncs >= 2


def test_vector_table_shared_by_two_targets_and_restored(chip):
    scl, sda, n = BOARD[chip.chip]
    other = {"samd51": ("PA09", "PA08", 0), "samd21": ("PA09", "PA08", 0)}[chip.chip]
    chip.open_board()
    vtor = chip.emu.scs.vtor
    assert chip.open(1, pin(other[0]), pin(other[1]), [0x60]) == 0
    assert chip.emu.scs.vtor == vtor                  # one copy for both
    assert chip.sercoms[other[2]].address(0x60, False) == ACK
    assert chip.sercoms[n].address(0x60, False) == NACK
    chip.close(0)
    assert chip.emu.scs.vtor == vtor                  # target 1 still needs it
    irq0 = chip.cfg["irq0"](n)
    assert chip.emu.read32(vtor + 4 * (16 + irq0)) == chip.firmware_vectors[16 + irq0]
    chip.close(1)
    assert chip.emu.scs.vtor == 0


def test_vector_table_already_in_ram_is_patched_in_place(chip):
    ram_table = 0x20000000
    for i, v in enumerate(chip.firmware_vectors):
        chip.emu.write32(ram_table + 4 * i, v)
    chip.emu.scs.vtor = ram_table
    _, _, n = BOARD[chip.chip]
    chip.open_board()
    irq0 = chip.cfg["irq0"](n)
    assert chip.emu.scs.vtor == ram_table
    assert chip.emu.read32(ram_table + 4 * (16 + irq0)) != chip.firmware_vectors[16 + irq0]
    chip.close(0)
    assert chip.emu.scs.vtor_writes == []
    for i, v in enumerate(chip.firmware_vectors):
        assert chip.emu.read32(ram_table + 4 * i) == v


def test_model_rejects_misuse():
    chip = SamdChip("samd51")
    s = chip.open_board()
    with pytest.raises(ModelError):
        s.write_byte(1)                               # not addressed


@pytest.mark.parametrize("chip_name", ["samd51", "samd21"])
def test_instructions_per_byte(chip_name, capsys):
    m = measure.isr_per_byte(SamdChip(chip_name))
    with capsys.disabled():
        print(measure.report(chip_name, m, CHIPS[chip_name]["mhz"]))
    measure.assert_bounded(m)
