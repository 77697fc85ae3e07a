"""Reading back a native module .mpy: a description and a validity check."""

from . import mpyformat
from .arch import ARCH_BY_CODE


def entry_offset(module):
    """Text offset the leading jump goes to, or None when it is not a jump."""
    arch = ARCH_BY_CODE.get(module.arch)
    if arch is None:
        return None
    return arch.decode_jump(module.text)


def _word(module, reloc):
    ws = module.word_size
    data = module.text if reloc.base == mpyformat.BASE_TEXT else module.rodata
    return int.from_bytes(data[reloc.word * ws:(reloc.word + 1) * ws], "little")


def check(module):
    """List of problems (empty when the module is well formed)."""
    problems = []
    if module.sub_version != mpyformat.MPY_SUB_VERSION:
        problems.append("sub-version %d, loaders of 6.%d reject it" % (module.sub_version, mpyformat.MPY_SUB_VERSION))
    if module.arch not in ARCH_BY_CODE:
        problems.append("architecture %s not supported by this tool" % module.arch_name)
        return problems
    if module.small_int_bits > 31:
        problems.append("small-int bits %d: 32-bit ports reject more than 31" % module.small_int_bits)
    if not module.qstrs or not isinstance(module.qstrs[0], str):
        problems.append("qstr table lacks the source name")
    entry = entry_offset(module)
    if entry is None:
        pass    # no jump: the text starts with the entry function itself
    elif not 0 < entry < len(module.text):
        problems.append("entry jump goes outside the text (0x%x)" % entry)
    elif entry % 2 and ARCH_BY_CODE[module.arch].name != "x64":
        problems.append("entry 0x%x is not instruction aligned" % entry)
    ws = module.word_size
    seen = set()
    for r in module.relocations:
        size = len(module.text) if r.base == mpyformat.BASE_TEXT else len(module.rodata)
        if (r.word + 1) * ws > size:
            problems.append("relocation outside its section: %r" % (r,))
        if (r.base, r.word) in seen:
            problems.append("word relocated twice: %r" % (r,))
        seen.add((r.base, r.word))
        if r.dest == mpyformat.DEST_BSS and not module.bss_size:
            problems.append("relocation to bss without bss: %r" % (r,))
        elif r.dest == mpyformat.DEST_RODATA and not module.rodata:
            problems.append("relocation to rodata without rodata: %r" % (r,))
        elif r.dest == mpyformat.DEST_OBJ_TABLE or r.dest in (3, 4, 5):
            problems.append("relocation to something the module does not have: %r" % (r,))
        elif r.dest >= mpyformat.DEST_FUN_SLOT_BASE + mpyformat.FUN_TABLE_SLOTS:
            problems.append("function table slot beyond the 6.3 table: %r" % (r,))
        elif r.dest == mpyformat.DEST_QSTR_TABLE and _word(module, r) % 2:
            problems.append("odd offset into the qstr table: %r" % (r,))
        if r.dest == mpyformat.DEST_BSS and _word(module, r) >= max(module.bss_size, 1):
            problems.append("bss offset 0x%x beyond bss size %d" % (_word(module, r), module.bss_size))
        if r.dest == mpyformat.DEST_TEXT and _word(module, r) > len(module.text):
            problems.append("text pointer 0x%x beyond the text" % _word(module, r))
    if module.bss_size and not any(r.dest == mpyformat.DEST_BSS and _word(module, r) == 0
                                   for r in module.relocations):
        problems.append("no word holds the start of the bss (the GC could free it)")
    return problems


def describe(module):
    """Human-readable lines."""
    lines = []
    lines.append("version:     %d.%d" % (mpyformat.MPY_VERSION, module.sub_version))
    lines.append("arch:        %s (%d)%s" % (module.arch_name, module.arch,
                                             "  flags 0x%x" % module.arch_flags if module.arch_flags else ""))
    lines.append("small int:   %d bits" % module.small_int_bits)
    lines.append("qstrs:       %d: %s" % (len(module.qstrs), " ".join(
        q if isinstance(q, str) else "<static %d>" % q for q in module.qstrs)))
    entry = entry_offset(module)
    lines.append("text:        %d bytes, entry %s" % (len(module.text), "0x%x" % entry if entry is not None else "0x0 (no jump)"))
    if module.rodata:
        lines.append("rodata:      %d bytes" % len(module.rodata))
    lines.append("bss:         %d bytes" % module.bss_size)
    lines.append("relocations: %d" % len(module.relocations))
    for r in module.relocations:
        lines.append("  %s+0x%04x (= 0x%x) += %s" % (
            "text" if r.base == mpyformat.BASE_TEXT else "rodata", r.word * module.word_size,
            _word(module, r), mpyformat.dest_name(r.dest)))
    return lines
