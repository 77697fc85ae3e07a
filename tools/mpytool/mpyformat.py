"""The .mpy file format for native modules (version 6.3): writer and reader.

A native module .mpy holds:

    header       b'M', version 6, feature byte (arch << 2 | sub-version 3,
                 | 0x40 when architecture flags follow), small-int bits
    [arch flags] uint, only when the feature byte has 0x40
    n_qstr, n_obj                     uints (n_obj is 0 here)
    qstr table   each: uint (len << 1) + bytes + NUL, or uint (id << 1 | 1)
                 for a qstr built into the firmware; entry 0 is the source name
    raw code     uint (len(text) << 3 | kind - 2), kind 4 = native viper
                 text bytes (starts with a jump to the init function)
                 uint scope flags (0x10 relocations follow, 0x20 rodata, 0x40 bss)
                 [uint rodata size] [uint bss size] [rodata bytes]
    relocations  byte stream ended by 0xff (see encode_relocations)

uints are big-endian base-128 with the high bit set on all but the last byte.
"""

MPY_MAGIC = ord("M")
MPY_VERSION = 6
MPY_SUB_VERSION = 3
FEATURE_ARCH_FLAGS = 0x40
SMALL_INT_BITS = 31  # the loader accepts any value <= its own (31 on 32-bit ports)

CODE_BYTECODE = 2
CODE_NATIVE_PY = 3
CODE_NATIVE_VIPER = 4
CODE_NATIVE_ASM = 5

SCOPE_VIPERRELOC = 0x10
SCOPE_VIPERRODATA = 0x20
SCOPE_VIPERBSS = 0x40

ARCH_NAMES = {
    0: "none", 1: "x86", 2: "x64", 3: "armv6", 4: "armv6m", 5: "armv7m", 6: "armv7em",
    7: "armv7emsp", 8: "armv7emdp", 9: "xtensa", 10: "xtensawin", 11: "rv32imc", 12: "rv64imc",
}
WORD_SIZE = {1: 4, 2: 8, 3: 4, 4: 4, 5: 4, 6: 4, 7: 4, 8: 4, 9: 4, 10: 4, 11: 4, 12: 8}

# Relocation destinations: what the loader adds to a word.
DEST_TEXT = 0
DEST_RODATA = 1
DEST_BSS = 2
DEST_QSTR_TABLE = 6
DEST_OBJ_TABLE = 7
DEST_FUN_TABLE = 8          # address of the function table itself
DEST_FUN_SLOT_BASE = 9      # 9 + k: the value stored in function table slot k
FUN_TABLE_SLOTS = 87        # slots of the 6.3 function table
MAX_FUN_SLOT = 0x7E - DEST_FUN_SLOT_BASE  # largest slot the op byte can name

# Where an adjusted word lives.
BASE_TEXT = 0
BASE_RODATA = 1

FUN_SLOT_NAMES = {
    0: "const_none", 1: "const_false", 2: "const_true", 3: "native_from_obj",
    4: "native_to_obj", 50: "memset", 51: "memmove", 73: "type_type", 74: "type_str",
    75: "type_list", 76: "type_dict", 77: "type_fun_builtin_0", 78: "type_fun_builtin_1",
    79: "type_fun_builtin_2", 80: "type_fun_builtin_3", 81: "type_fun_builtin_var",
    82: "type_Exception",
}


class MpyFormatError(Exception):
    """The bytes are not a .mpy this module can read."""


def dest_name(dest):
    if dest == DEST_TEXT:
        return "text"
    if dest == DEST_RODATA:
        return "rodata"
    if dest == DEST_BSS:
        return "bss"
    if dest == DEST_QSTR_TABLE:
        return "qstr_table"
    if dest == DEST_OBJ_TABLE:
        return "obj_table"
    if dest == DEST_FUN_TABLE:
        return "fun_table"
    slot = dest - DEST_FUN_SLOT_BASE
    return "fun_table[%d]%s" % (slot, ("=" + FUN_SLOT_NAMES[slot]) if slot in FUN_SLOT_NAMES else "")


class Relocation:
    """The loader adds the address of `dest` to the word at `base`[`word`]."""

    __slots__ = ("base", "word", "dest")

    def __init__(self, base, word, dest):
        self.base = base
        self.word = word
        self.dest = dest

    def __eq__(self, other):
        return (self.base, self.word, self.dest) == (other.base, other.word, other.dest)

    def __repr__(self):
        return "Relocation(%s[%d] += %s)" % (
            "text" if self.base == BASE_TEXT else "rodata", self.word, dest_name(self.dest))


class NativeModule:
    """Everything a native module .mpy carries."""

    def __init__(self, arch, text, qstrs, relocations=(), bss_size=0, rodata=b"",
                 arch_flags=0, small_int_bits=SMALL_INT_BITS, sub_version=MPY_SUB_VERSION):
        self.arch = arch                  # numeric arch code
        self.text = bytes(text)
        self.qstrs = list(qstrs)          # qstrs[0] is the source name; str or int (static id)
        self.relocations = list(relocations)
        self.bss_size = bss_size
        self.rodata = bytes(rodata)
        self.arch_flags = arch_flags
        self.small_int_bits = small_int_bits
        self.sub_version = sub_version

    @property
    def arch_name(self):
        return ARCH_NAMES.get(self.arch, "arch%d" % self.arch)

    @property
    def word_size(self):
        return WORD_SIZE.get(self.arch, 4)

    @property
    def scope_flags(self):
        flags = SCOPE_VIPERRELOC
        if self.rodata:
            flags |= SCOPE_VIPERRODATA
        if self.bss_size:
            flags |= SCOPE_VIPERBSS
        return flags


# ---- uints -------------------------------------------------------------------

def encode_uint(value):
    if value < 0:
        raise ValueError("uint cannot be negative: %d" % value)
    out = [value & 0x7F]
    value >>= 7
    while value:
        out.append(0x80 | (value & 0x7F))
        value >>= 7
    return bytes(reversed(out))


class _Reader:
    def __init__(self, data):
        self.data = bytes(data)
        self.pos = 0

    def byte(self):
        if self.pos >= len(self.data):
            raise MpyFormatError("truncated at byte %d" % self.pos)
        b = self.data[self.pos]
        self.pos += 1
        return b

    def bytes(self, n):
        if self.pos + n > len(self.data):
            raise MpyFormatError("truncated: wanted %d bytes at %d" % (n, self.pos))
        b = self.data[self.pos:self.pos + n]
        self.pos += n
        return b

    def uint(self):
        value = 0
        for _ in range(10):
            b = self.byte()
            value = (value << 7) | (b & 0x7F)
            if not b & 0x80:
                return value
        raise MpyFormatError("uint longer than 10 bytes at %d" % self.pos)


# ---- relocation stream ---------------------------------------------------------

def encode_relocations(relocations):
    """Byte stream for a list of Relocation, sorted by the caller or not.

    Op byte: bit 0 set = a new position (uint word << 1 | base) follows, else
    the position continues after the previous adjustment.  op >> 1 = code:
    codes 0..5 are (dest << 1 | has_count) for text/rodata/bss, with a uint
    count following when has_count is set; 6, 7, 8 and 9 + slot name one word
    each.  0xff ends the stream.
    """
    out = bytearray()
    items = sorted(relocations, key=lambda r: (r.base, r.word))
    seen = set()
    for r in items:
        if (r.base, r.word) in seen:
            raise ValueError("two relocations for the same word %r" % (r,))
        seen.add((r.base, r.word))
    next_pos = None  # (base, word) the loader's pointer is at
    i = 0
    while i < len(items):
        r = items[i]
        run = 1
        if r.dest <= DEST_BSS:
            while (i + run < len(items) and items[i + run].dest == r.dest
                   and items[i + run].base == r.base and items[i + run].word == r.word + run):
                run += 1
        need_pos = next_pos != (r.base, r.word)
        if r.dest <= DEST_BSS:
            code = (r.dest << 1) | (1 if run > 1 else 0)
        else:
            if not (DEST_QSTR_TABLE <= r.dest <= DEST_FUN_SLOT_BASE + MAX_FUN_SLOT):
                raise ValueError("relocation destination out of range: %r" % (r,))
            code = r.dest
        out.append((code << 1) | (1 if need_pos else 0))
        if need_pos:
            out += encode_uint((r.word << 1) | r.base)
        if r.dest <= DEST_BSS and run > 1:
            out += encode_uint(run)
        next_pos = (r.base, r.word + run)
        i += run
    out.append(0xFF)
    return bytes(out)


def _decode_relocations(reader):
    relocs = []
    pos = None
    while True:
        op = reader.byte()
        if op == 0xFF:
            return relocs
        if op & 1:
            at = reader.uint()
            pos = (at & 1, at >> 1)
        if pos is None:
            raise MpyFormatError("relocation without a position")
        code = op >> 1
        n = 1
        if code <= 5:
            if code & 1:
                n = reader.uint()
            dest = code >> 1
            if dest > DEST_BSS:
                raise MpyFormatError("bad relocation code %d" % code)
        else:
            dest = code
        for k in range(n):
            relocs.append(Relocation(pos[0], pos[1] + k, dest))
        pos = (pos[0], pos[1] + n)


# ---- whole file ------------------------------------------------------------------

def _encode_qstr(q):
    if isinstance(q, int):
        return encode_uint((q << 1) | 1)
    raw = q.encode("utf-8")
    return encode_uint(len(raw) << 1) + raw + b"\x00"


def write_mpy(module):
    """Bytes of the .mpy for a NativeModule."""
    out = bytearray()
    feature = (module.arch << 2) | module.sub_version
    if module.arch_flags:
        feature |= FEATURE_ARCH_FLAGS
    out += bytes([MPY_MAGIC, MPY_VERSION, feature, module.small_int_bits])
    if module.arch_flags:
        out += encode_uint(module.arch_flags)
    out += encode_uint(len(module.qstrs))
    out += encode_uint(0)  # constant objects
    for q in module.qstrs:
        out += _encode_qstr(q)
    out += encode_uint((len(module.text) << 3) | (CODE_NATIVE_VIPER - CODE_BYTECODE))
    out += module.text
    out += encode_uint(module.scope_flags)
    if module.rodata:
        out += encode_uint(len(module.rodata))
    if module.bss_size:
        out += encode_uint(module.bss_size)
    out += module.rodata
    out += encode_relocations(module.relocations)
    return bytes(out)


def read_mpy(data):
    """Parse a native module .mpy into a NativeModule (MpyFormatError if not one)."""
    rd = _Reader(data)
    header = rd.bytes(4) if len(data) >= 4 else None
    if header is None or header[0] != MPY_MAGIC:
        raise MpyFormatError("not a .mpy file (no 'M' magic)")
    if header[1] != MPY_VERSION:
        raise MpyFormatError("unsupported .mpy version %d (want %d)" % (header[1], MPY_VERSION))
    feature = header[2]
    arch = (feature >> 2) & 0x0F
    sub_version = feature & 3
    arch_flags = 0
    if feature & FEATURE_ARCH_FLAGS:
        arch_flags = rd.uint()
    if arch == 0:
        raise MpyFormatError("bytecode-only .mpy (no native architecture)")
    n_qstr = rd.uint()
    n_obj = rd.uint()
    qstrs = []
    for _ in range(n_qstr):
        n = rd.uint()
        if n & 1:
            qstrs.append(n >> 1)
        else:
            raw = rd.bytes(n >> 1)
            if rd.byte() != 0:
                raise MpyFormatError("qstr %r not NUL-terminated" % raw)
            qstrs.append(raw.decode("utf-8", "replace"))
    if n_obj:
        raise MpyFormatError("constant objects in a native module are not supported (%d)" % n_obj)
    kind_len = rd.uint()
    kind = (kind_len & 3) + CODE_BYTECODE
    if kind != CODE_NATIVE_VIPER:
        raise MpyFormatError("top-level code kind %d is not native viper (%d)" % (kind, CODE_NATIVE_VIPER))
    if kind_len & 4:
        raise MpyFormatError("native module with child functions is not supported")
    text = rd.bytes(kind_len >> 3)
    scope = rd.uint()
    rodata_size = rd.uint() if scope & SCOPE_VIPERRODATA else 0
    bss_size = rd.uint() if scope & SCOPE_VIPERBSS else 0
    rodata = rd.bytes(rodata_size)
    relocations = _decode_relocations(rd) if scope & SCOPE_VIPERRELOC else []
    if rd.pos != len(rd.data):
        raise MpyFormatError("%d trailing bytes after the relocations" % (len(rd.data) - rd.pos))
    return NativeModule(arch, text, qstrs, relocations, bss_size, rodata, arch_flags,
                        header[3], sub_version)
