"""The .mpy 6.3 native-module format: writer and reader agree, and the bytes
are what the loader expects."""

import pytest
from hypothesis import given, settings, strategies as st

from tools.mpytool import mpyformat as F


@given(st.integers(min_value=0, max_value=2 ** 63))
def test_uint_round_trip(value):
    data = F.encode_uint(value) + b"\xff"
    r = F._Reader(data)
    assert r.uint() == value
    assert r.pos == len(data) - 1


def test_uint_encoding_is_big_endian_base128():
    assert F.encode_uint(0) == b"\x00"
    assert F.encode_uint(127) == b"\x7f"
    assert F.encode_uint(128) == b"\x81\x00"
    assert F.encode_uint(0x3FFF) == b"\xff\x7f"


_dests = st.sampled_from([F.DEST_TEXT, F.DEST_BSS, F.DEST_QSTR_TABLE, F.DEST_FUN_TABLE,
                          F.DEST_FUN_SLOT_BASE + 78, F.DEST_FUN_SLOT_BASE + 81])


@settings(max_examples=200)
@given(st.dictionaries(st.integers(min_value=0, max_value=5000), _dests, max_size=60))
def test_relocation_stream_round_trip(words):
    relocs = [F.Relocation(F.BASE_TEXT, w, d) for w, d in words.items()]
    stream = F.encode_relocations(relocs)
    assert stream[-1] == 0xFF
    decoded = F._decode_relocations(F._Reader(stream))
    assert sorted((r.word, r.dest) for r in decoded) == sorted(words.items())


def test_relocation_runs_are_compressed():
    relocs = [F.Relocation(F.BASE_TEXT, 10 + i, F.DEST_TEXT) for i in range(5)]
    # one op with position and count: (0 << 1 | 1) << 1 | 1, uint(10 << 1), uint(5), end
    assert F.encode_relocations(relocs) == bytes([0x03, 20, 5, 0xFF])
    # fun-table slots cannot carry a count, but consecutive words skip the position
    relocs = [F.Relocation(F.BASE_TEXT, 3, F.DEST_FUN_TABLE), F.Relocation(F.BASE_TEXT, 4, F.DEST_QSTR_TABLE)]
    assert F.encode_relocations(relocs) == bytes([(8 << 1) | 1, 6, 6 << 1, 0xFF])


def test_duplicate_word_rejected():
    with pytest.raises(ValueError):
        F.encode_relocations([F.Relocation(0, 1, 0), F.Relocation(0, 1, 2)])


def _module():
    return F.NativeModule(7, b"\x00\xe0" + bytes(range(30)), ["m.mpy", "open", "close"],
                          [F.Relocation(0, 2, F.DEST_BSS), F.Relocation(0, 3, F.DEST_FUN_SLOT_BASE + 78)],
                          bss_size=64)


def test_header_bytes():
    data = F.write_mpy(_module())
    assert data[:4] == bytes([ord("M"), 6, 7 << 2 | 3, 31])
    # n_qstr 3, n_obj 0, first qstr "m.mpy" as length << 1
    assert data[4:7] == bytes([3, 0, 5 << 1]) and data[7:13] == b"m.mpy\x00"


def test_write_read_round_trip():
    m = _module()
    back = F.read_mpy(F.write_mpy(m))
    assert (back.arch, back.text, back.qstrs, back.bss_size) == (m.arch, m.text, m.qstrs, m.bss_size)
    assert back.relocations == m.relocations
    assert back.scope_flags == F.SCOPE_VIPERRELOC | F.SCOPE_VIPERBSS
    assert back.arch_name == "armv7emsp"


def test_arch_flags_round_trip():
    m = _module()
    m.arch, m.arch_flags = 11, 3
    data = F.write_mpy(m)
    assert data[2] == 11 << 2 | 3 | 0x40 and data[4] == 3
    assert F.read_mpy(data).arch_flags == 3


@pytest.mark.parametrize("mutate, message", [
    (lambda d: b"X" + d[1:], "magic"),
    (lambda d: d[:1] + b"\x05" + d[2:], "version"),
    (lambda d: d[:2] + b"\x03" + d[3:], "bytecode-only"),
    (lambda d: d[:-1], "truncated"),
    (lambda d: d + b"\x00", "trailing"),
    (lambda d: b"", "magic"),
])
def test_reader_rejects_bad_files(mutate, message):
    with pytest.raises(F.MpyFormatError, match=message):
        F.read_mpy(mutate(F.write_mpy(_module())))
