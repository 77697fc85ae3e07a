"""Architectures: ELF machine, word size, the entry jump, and how each
relocation type is resolved.

A relocation is resolved in one of three ways:
  - at link time (PC-relative within the text image),
  - at load time (an absolute word; the .mpy relocation stream tells the
    loader what to add),
  - through a GOT entry (a word at the end of the text resolved at load time)
    that the instruction reaches PC-relative.
"""

import struct

from .errors import ToolError

# ---- helpers ---------------------------------------------------------------------


def fits_signed(value, bits):
    return -(1 << (bits - 1)) <= value < (1 << (bits - 1))


def sign_extend(value, bits):
    value &= (1 << bits) - 1
    return value - (1 << bits) if value & (1 << (bits - 1)) else value


def u16(buf, off):
    return struct.unpack_from("<H", buf, off)[0]


def u32(buf, off):
    return struct.unpack_from("<I", buf, off)[0]


def put16(buf, off, v):
    struct.pack_into("<H", buf, off, v & 0xFFFF)


def put32(buf, off, v):
    struct.pack_into("<I", buf, off, v & 0xFFFFFFFF)


# ---- entry jumps -------------------------------------------------------------------
# Each encoder returns the jump placed at text offset 0 to `target`;
# each decoder returns the target of the jump at offset 0, or None.


def jump_x86(target):
    if fits_signed(target - 2, 8):
        return struct.pack("<Bb", 0xEB, target - 2)
    return struct.pack("<Bi", 0xE9, target - 5)


def decode_jump_x86(text):
    if len(text) >= 2 and text[0] == 0xEB:
        return 2 + sign_extend(text[1], 8)
    if len(text) >= 5 and text[0] == 0xE9:
        return 5 + struct.unpack_from("<i", text, 1)[0]
    return None


def jump_thumb(target):
    # 16-bit unconditional B (T2 encoding): PC is the instruction + 4.
    off = target - 4
    if not fits_signed(off, 12):
        raise ToolError("entry function too far for a 16-bit Thumb branch")
    return struct.pack("<H", 0xE000 | ((off >> 1) & 0x7FF))


def decode_jump_thumb(text):
    if len(text) >= 2 and (u16(text, 0) & 0xF800) == 0xE000:
        return 4 + sign_extend((u16(text, 0) & 0x7FF) << 1, 12)
    if len(text) >= 4 and (u16(text, 0) & 0xF800) == 0xF000 and (u16(text, 2) & 0xD000) == 0x9000:
        return 4 + thumb_bl_get(u16(text, 0), u16(text, 2))
    return None


def jump_thumb2(target):
    # 16-bit B when it reaches, else 32-bit B.W (T4, ARMv7-M and later).
    if fits_signed(target - 4, 12):
        return jump_thumb(target)
    hw1, hw2 = thumb_bl_set(0xF000, 0x9000, target - 4)
    return struct.pack("<HH", hw1, hw2)


def _cj_imm_bits(off):
    # immediate scatter of the RISC-V compressed jump (C.J / C.JAL) format
    return (((off >> 11) & 1) << 12 | ((off >> 4) & 1) << 11 | ((off >> 8) & 3) << 9
            | ((off >> 10) & 1) << 8 | ((off >> 6) & 1) << 7 | ((off >> 7) & 1) << 6
            | ((off >> 1) & 7) << 3 | ((off >> 5) & 1) << 2)


def _cj_imm_value(insn):
    v = (((insn >> 12) & 1) << 11 | ((insn >> 11) & 1) << 4 | ((insn >> 9) & 3) << 8
         | ((insn >> 8) & 1) << 10 | ((insn >> 7) & 1) << 6 | ((insn >> 6) & 1) << 7
         | ((insn >> 3) & 7) << 1 | ((insn >> 2) & 1) << 5)
    return sign_extend(v, 12)


def jump_riscv(target):
    # C.J (quadrant 1, funct3 101), else JAL x0: PC-relative to the instruction.
    if fits_signed(target, 12):
        return struct.pack("<H", 0xA001 | _cj_imm_bits(target))
    if not fits_signed(target, 21):
        raise ToolError("entry function too far for a RISC-V jump")
    return struct.pack("<I", riscv_j_set(0x06F, target))


def decode_jump_riscv(text):
    if len(text) >= 2 and (u16(text, 0) & 0xE003) == 0xA001:
        return _cj_imm_value(u16(text, 0))
    if len(text) >= 4 and (u32(text, 0) & 0xFFF) == 0x06F:   # jal x0
        insn = u32(text, 0)
        v = (((insn >> 31) & 1) << 20 | ((insn >> 21) & 0x3FF) << 1 | ((insn >> 20) & 1) << 11
             | ((insn >> 12) & 0xFF) << 12)
        return sign_extend(v, 21)
    return None


# ---- Thumb branch immediates ----------------------------------------------------------


def thumb_bl_get(hw1, hw2):
    """Offset encoded in a 32-bit Thumb BL / B.W (T4)."""
    s = (hw1 >> 10) & 1
    j1 = (hw2 >> 13) & 1
    j2 = (hw2 >> 11) & 1
    i1 = 1 - (j1 ^ s)
    i2 = 1 - (j2 ^ s)
    v = s << 24 | i1 << 23 | i2 << 22 | (hw1 & 0x3FF) << 12 | (hw2 & 0x7FF) << 1
    return sign_extend(v, 25)


def thumb_bl_set(hw1, hw2, off):
    s = (off >> 24) & 1
    i1 = (off >> 23) & 1
    i2 = (off >> 22) & 1
    j1 = 1 - (i1 ^ s)
    j2 = 1 - (i2 ^ s)
    hw1 = (hw1 & 0xF800) | s << 10 | ((off >> 12) & 0x3FF)
    hw2 = (hw2 & 0xD000) | j1 << 13 | j2 << 11 | ((off >> 1) & 0x7FF)
    return hw1, hw2


def thumb_bcond_get(hw1, hw2):
    """Offset encoded in a 32-bit conditional Thumb B<c>.W (T3)."""
    s = (hw1 >> 10) & 1
    j1 = (hw2 >> 13) & 1
    j2 = (hw2 >> 11) & 1
    v = s << 20 | j2 << 19 | j1 << 18 | (hw1 & 0x3F) << 12 | (hw2 & 0x7FF) << 1
    return sign_extend(v, 21)


def thumb_bcond_set(hw1, hw2, off):
    hw1 = (hw1 & 0xFBC0) | ((off >> 20) & 1) << 10 | ((off >> 12) & 0x3F)
    hw2 = (hw2 & 0xD000) | ((off >> 18) & 1) << 13 | ((off >> 19) & 1) << 11 | ((off >> 1) & 0x7FF)
    return hw1, hw2


# ---- RISC-V immediates -------------------------------------------------------------


def riscv_hi_lo(value):
    """Split a 32-bit PC-relative value for auipc (hi20) + a 12-bit signed lo."""
    lo = sign_extend(value, 12)
    hi = (value - lo) & 0xFFFFFFFF
    return hi, lo


def riscv_b_set(insn, off):
    return ((insn & 0x01FFF07F) | ((off >> 12) & 1) << 31 | ((off >> 5) & 0x3F) << 25
            | ((off >> 1) & 0xF) << 8 | ((off >> 11) & 1) << 7)


def riscv_j_set(insn, off):
    return ((insn & 0xFFF) | ((off >> 20) & 1) << 31 | ((off >> 1) & 0x3FF) << 21
            | ((off >> 11) & 1) << 20 | ((off >> 12) & 0xFF) << 12)


def riscv_cb_set(insn, off):
    return ((insn & 0xE383) | ((off >> 8) & 1) << 12 | ((off >> 3) & 3) << 10
            | ((off >> 6) & 3) << 5 | ((off >> 1) & 3) << 3 | ((off >> 5) & 1) << 2)


def riscv_cj_set(insn, off):
    return (insn & 0xE003) | _cj_imm_bits(off)


# ---- relocation types -------------------------------------------------------------------
# Kinds the linker dispatches on:
#   "abs_word"   absolute pointer-sized word, resolved at load time
#   "ignore"     nothing to do
#   "error"      rejected with a hint
#   anything else: a machine-specific link-time patch, handled by the Machine.

class Machine:
    """Relocation handling for one ELF machine."""

    elf_machine = None
    elf_class = 32
    rela = True
    names = {}

    def type_name(self, rtype):
        return self.names.get(rtype, "type %d" % rtype)


class X64Machine(Machine):
    elf_machine = "EM_X86_64"
    elf_class = 64
    rela = True
    R_NONE, R_64, R_PC32, R_PLT32, R_GOTPCREL, R_32, R_32S = 0, 1, 2, 4, 9, 10, 11
    R_GOTPCRELX, R_REX_GOTPCRELX = 41, 42
    names = {0: "R_X86_64_NONE", 1: "R_X86_64_64", 2: "R_X86_64_PC32", 3: "R_X86_64_GOT32",
             4: "R_X86_64_PLT32", 9: "R_X86_64_GOTPCREL", 10: "R_X86_64_32", 11: "R_X86_64_32S",
             41: "R_X86_64_GOTPCRELX", 42: "R_X86_64_REX_GOTPCRELX"}
    hints = {10: "absolute 32-bit address: compile with -fpic", 11: "absolute 32-bit address: compile with -fpic"}

    def classify(self, rtype):
        if rtype == self.R_NONE:
            return "ignore"
        if rtype == self.R_64:
            return "abs_word"
        if rtype in (self.R_PC32, self.R_PLT32):
            return "pcrel"
        if rtype in (self.R_GOTPCREL, self.R_GOTPCRELX, self.R_REX_GOTPCRELX):
            return "got_pcrel"
        return None

    def implicit_addend(self, buf, off, rtype):
        return 0

    def patch(self, link, kind, buf, off, rtype, value, ctx):
        # value: S + A - P (pcrel) or G + A - P (got_pcrel)
        if not fits_signed(value, 32):
            ctx.range_error()
        struct.pack_into("<i", buf, off, value)


class ArmMachine(Machine):
    elf_machine = "EM_ARM"
    rela = False
    R_NONE, R_ABS32, R_REL32, R_THM_CALL, R_THM_JUMP24 = 0, 2, 3, 10, 30
    R_THM_JUMP19, R_THM_JUMP11, R_THM_JUMP8 = 51, 102, 103
    names = {0: "R_ARM_NONE", 2: "R_ARM_ABS32", 3: "R_ARM_REL32", 10: "R_ARM_THM_CALL",
             11: "R_ARM_THM_PC8", 24: "R_ARM_GOTOFF32", 25: "R_ARM_BASE_PREL",
             26: "R_ARM_GOT_BREL", 30: "R_ARM_THM_JUMP24", 38: "R_ARM_TARGET1",
             40: "R_ARM_V4BX", 42: "R_ARM_PREL31", 47: "R_ARM_THM_MOVW_ABS_NC",
             48: "R_ARM_THM_MOVT_ABS", 51: "R_ARM_THM_JUMP19", 96: "R_ARM_GOT_PREL",
             102: "R_ARM_THM_JUMP11", 103: "R_ARM_THM_JUMP8"}
    hints = {47: "compile with -mword-relocations", 48: "compile with -mword-relocations",
             24: "PIC code: compile without -fpic", 25: "PIC code: compile without -fpic",
             26: "PIC code: compile without -fpic", 96: "PIC code: compile without -fpic"}

    def classify(self, rtype):
        if rtype == self.R_NONE:
            return "ignore"
        if rtype == self.R_ABS32:
            return "abs_word"
        if rtype in (self.R_REL32, self.R_THM_CALL, self.R_THM_JUMP24, self.R_THM_JUMP19,
                     self.R_THM_JUMP11, self.R_THM_JUMP8):
            return "pcrel"
        return None

    def implicit_addend(self, buf, off, rtype):
        if rtype in (self.R_ABS32, self.R_REL32):
            return struct.unpack_from("<i", buf, off)[0]
        if rtype in (self.R_THM_CALL, self.R_THM_JUMP24):
            return thumb_bl_get(u16(buf, off), u16(buf, off + 2))
        if rtype == self.R_THM_JUMP19:
            return thumb_bcond_get(u16(buf, off), u16(buf, off + 2))
        if rtype == self.R_THM_JUMP11:
            return sign_extend((u16(buf, off) & 0x7FF) << 1, 12)
        if rtype == self.R_THM_JUMP8:
            return sign_extend((u16(buf, off) & 0xFF) << 1, 9)
        return 0

    def branch_target(self, rtype):
        # Branch relocations address the instruction, not the Thumb-bit value.
        return rtype != self.R_REL32

    def patch(self, link, kind, buf, off, rtype, value, ctx):
        if rtype == self.R_REL32:
            struct.pack_into("<i", buf, off, value)
        elif rtype in (self.R_THM_CALL, self.R_THM_JUMP24):
            if not fits_signed(value, 25):
                ctx.range_error()
            hw1, hw2 = u16(buf, off), u16(buf, off + 2)
            if rtype == self.R_THM_CALL and not hw2 & 0x1000:
                hw2 |= 0x1000  # BLX to Thumb code becomes BL
            hw1, hw2 = thumb_bl_set(hw1, hw2, value)
            put16(buf, off, hw1)
            put16(buf, off + 2, hw2)
        elif rtype == self.R_THM_JUMP19:
            if not fits_signed(value, 21):
                ctx.range_error()
            hw1, hw2 = thumb_bcond_set(u16(buf, off), u16(buf, off + 2), value)
            put16(buf, off, hw1)
            put16(buf, off + 2, hw2)
        elif rtype == self.R_THM_JUMP11:
            if not fits_signed(value, 12):
                ctx.range_error()
            put16(buf, off, (u16(buf, off) & 0xF800) | ((value >> 1) & 0x7FF))
        elif rtype == self.R_THM_JUMP8:
            if not fits_signed(value, 9):
                ctx.range_error()
            put16(buf, off, (u16(buf, off) & 0xFF00) | ((value >> 1) & 0xFF))


class RiscvMachine(Machine):
    elf_machine = "EM_RISCV"
    rela = True
    R_NONE, R_32 = 0, 1
    R_BRANCH, R_JAL, R_CALL, R_CALL_PLT, R_GOT_HI20 = 16, 17, 18, 19, 20
    R_PCREL_HI20, R_PCREL_LO12_I, R_PCREL_LO12_S = 23, 24, 25
    R_HI20, R_LO12_I, R_LO12_S = 26, 27, 28
    R_ADD8, R_ADD16, R_ADD32, R_SUB8, R_SUB16, R_SUB32 = 33, 34, 35, 37, 38, 39
    R_ALIGN, R_RVC_BRANCH, R_RVC_JUMP, R_RELAX = 43, 44, 45, 51
    R_SUB6, R_SET6, R_SET8, R_SET16, R_SET32, R_32_PCREL, R_PLT32 = 52, 53, 54, 55, 56, 57, 59
    names = {0: "R_RISCV_NONE", 1: "R_RISCV_32", 16: "R_RISCV_BRANCH", 17: "R_RISCV_JAL",
             18: "R_RISCV_CALL", 19: "R_RISCV_CALL_PLT", 20: "R_RISCV_GOT_HI20",
             21: "R_RISCV_TLS_GOT_HI20", 22: "R_RISCV_TLS_GD_HI20",
             23: "R_RISCV_PCREL_HI20", 24: "R_RISCV_PCREL_LO12_I", 25: "R_RISCV_PCREL_LO12_S",
             26: "R_RISCV_HI20", 27: "R_RISCV_LO12_I", 28: "R_RISCV_LO12_S",
             29: "R_RISCV_TPREL_HI20", 33: "R_RISCV_ADD8", 34: "R_RISCV_ADD16",
             35: "R_RISCV_ADD32", 37: "R_RISCV_SUB8", 38: "R_RISCV_SUB16", 39: "R_RISCV_SUB32",
             43: "R_RISCV_ALIGN", 44: "R_RISCV_RVC_BRANCH", 45: "R_RISCV_RVC_JUMP",
             51: "R_RISCV_RELAX", 52: "R_RISCV_SUB6", 53: "R_RISCV_SET6", 54: "R_RISCV_SET8",
             55: "R_RISCV_SET16", 56: "R_RISCV_SET32", 57: "R_RISCV_32_PCREL",
             59: "R_RISCV_PLT32", 60: "R_RISCV_SET_ULEB128", 61: "R_RISCV_SUB_ULEB128"}
    hints = {26: "absolute address: compile with -fpic", 27: "absolute address: compile with -fpic",
             28: "absolute address: compile with -fpic", 43: "compile with -mno-relax"}
    ADDSUB = {33: (1, 8, 1), 34: (2, 16, 1), 35: (4, 32, 1), 37: (1, 8, -1),
              38: (2, 16, -1), 39: (4, 32, -1), 52: (1, 6, -1)}
    SET = {53: (1, 6), 54: (1, 8), 55: (2, 16), 56: (4, 32)}

    def classify(self, rtype):
        if rtype in (self.R_NONE, self.R_RELAX):
            return "ignore"  # no relaxation is done: the unrelaxed code is valid
        if rtype == self.R_32:
            return "abs_word"
        if rtype in (self.R_BRANCH, self.R_JAL, self.R_CALL, self.R_CALL_PLT, self.R_PCREL_HI20,
                     self.R_RVC_BRANCH, self.R_RVC_JUMP, self.R_32_PCREL, self.R_PLT32):
            return "pcrel"
        if rtype == self.R_GOT_HI20:
            return "got_pcrel"
        if rtype in (self.R_PCREL_LO12_I, self.R_PCREL_LO12_S):
            return "pcrel_lo"
        if rtype in self.ADDSUB or rtype in self.SET:
            return "label_arith"
        return None

    def implicit_addend(self, buf, off, rtype):
        return 0

    def patch(self, link, kind, buf, off, rtype, value, ctx):
        if rtype in (self.R_PCREL_HI20, self.R_GOT_HI20):
            hi, _ = riscv_hi_lo(value)
            put32(buf, off, (u32(buf, off) & 0xFFF) | hi)
        elif rtype in (self.R_CALL, self.R_CALL_PLT):
            if not fits_signed(value, 32):
                ctx.range_error()
            hi, lo = riscv_hi_lo(value)
            put32(buf, off, (u32(buf, off) & 0xFFF) | hi)
            put32(buf, off + 4, (u32(buf, off + 4) & 0xFFFFF) | ((lo & 0xFFF) << 20))
        elif rtype == self.R_PCREL_LO12_I:
            _, lo = riscv_hi_lo(value)
            put32(buf, off, (u32(buf, off) & 0xFFFFF) | ((lo & 0xFFF) << 20))
        elif rtype == self.R_PCREL_LO12_S:
            _, lo = riscv_hi_lo(value)
            put32(buf, off, (u32(buf, off) & 0x01FFF07F) | ((lo >> 5) & 0x7F) << 25 | (lo & 0x1F) << 7)
        elif rtype == self.R_BRANCH:
            if not fits_signed(value, 13):
                ctx.range_error()
            put32(buf, off, riscv_b_set(u32(buf, off), value))
        elif rtype == self.R_JAL:
            if not fits_signed(value, 21):
                ctx.range_error()
            put32(buf, off, riscv_j_set(u32(buf, off), value))
        elif rtype == self.R_RVC_BRANCH:
            if not fits_signed(value, 9):
                ctx.range_error()
            put16(buf, off, riscv_cb_set(u16(buf, off), value))
        elif rtype == self.R_RVC_JUMP:
            if not fits_signed(value, 12):
                ctx.range_error()
            put16(buf, off, riscv_cj_set(u16(buf, off), value))
        elif rtype in (self.R_32_PCREL, self.R_PLT32):
            put32(buf, off, value)

    def label_arith(self, buf, off, rtype, value):
        if rtype in self.ADDSUB:
            size, bits, sign = self.ADDSUB[rtype]
            fmt = {1: "<B", 2: "<H", 4: "<I"}[size]
            old = struct.unpack_from(fmt, buf, off)[0]
            mask = (1 << bits) - 1
            new = ((old & mask) + sign * value) & mask
            struct.pack_into(fmt, buf, off, (old & ~mask & ((1 << (8 * size)) - 1)) | new)
        else:
            size, bits = self.SET[rtype]
            fmt = {1: "<B", 2: "<H", 4: "<I"}[size]
            old = struct.unpack_from(fmt, buf, off)[0]
            mask = (1 << bits) - 1
            struct.pack_into(fmt, buf, off, (old & ~mask & ((1 << (8 * size)) - 1)) | (value & mask))


X64 = X64Machine()
ARM = ArmMachine()
RISCV = RiscvMachine()


class Arch:
    def __init__(self, name, code, machine, word_size, jump, decode_jump, text_align=16):
        self.name = name
        # alignment the loader's allocator gives the text: GC heap blocks are
        # 16 bytes on 32-bit ports; the unix port maps text pages.
        self.text_align = text_align
        self.code = code              # .mpy arch number
        self.machine = machine
        self.word_size = word_size
        self.jump = jump
        self.decode_jump = decode_jump
        self.thumb = machine is ARM


ARCHES = {
    "x64": Arch("x64", 2, X64, 8, jump_x86, decode_jump_x86, text_align=4096),
    "armv6m": Arch("armv6m", 4, ARM, 4, jump_thumb, decode_jump_thumb),
    "armv7m": Arch("armv7m", 5, ARM, 4, jump_thumb2, decode_jump_thumb),
    "armv7emsp": Arch("armv7emsp", 7, ARM, 4, jump_thumb2, decode_jump_thumb),
    "armv7emdp": Arch("armv7emdp", 8, ARM, 4, jump_thumb2, decode_jump_thumb),
    "rv32imc": Arch("rv32imc", 11, RISCV, 4, jump_riscv, decode_jump_riscv),
}

ARCH_BY_CODE = {a.code: a for a in ARCHES.values()}
