"""Link ELF relocatable objects into a native module .mpy.

Output layout (one native raw code):

    text:  [jump to entry] [entry section] [other .text] [.rodata, .data.rel.ro]
           [.bss moved into text, only with bss_in_text] [GOT]
    bss:   the remaining .bss sections (zeroed by the loader, allocated apart
           from the text, so text reaches it only through load-time relocated
           words: literal pools / absolute data words / GOT entries)

Unreferenced sections are dropped (compile with -ffunction-sections
-fdata-sections to make that effective).
"""

import io
import os
import tempfile

from elftools.common.exceptions import ELFError
from elftools.elf.elffile import ELFFile

from . import mpyformat
from .archive import Archive
from .arch import ARCHES
from .errors import ToolError

QSTR_SECTION = ".mpy.qstrs"
GOT_SYMBOL = "_GLOBAL_OFFSET_TABLE_"
DEFAULT_ENTRY = "mpy_init"
DEFAULT_MAX_TEXT = 64 * 1024

# Undefined symbols the loader resolves: name -> .mpy relocation destination.
RUNTIME_SYMBOLS = {
    "mpy_fun_table": mpyformat.DEST_FUN_TABLE,
    "mpy_qstr_table": mpyformat.DEST_QSTR_TABLE,
}
for _slot, _name in ((73, "type_type"), (74, "type_str"), (75, "type_list"), (76, "type_dict"),
                     (77, "type_fun_builtin_0"), (78, "type_fun_builtin_1"),
                     (79, "type_fun_builtin_2"), (80, "type_fun_builtin_3"),
                     (81, "type_fun_builtin_var"), (82, "type_Exception")):
    RUNTIME_SYMBOLS["mpy_" + _name] = mpyformat.DEST_FUN_SLOT_BASE + _slot

_DROP_PREFIXES = (".eh_frame", ".ARM.exidx", ".ARM.extab", ".note", ".comment", ".debug",
                  ".ARM.attributes", ".riscv.attributes", ".group", ".llvm_addrsig")


def _section_kind(name, sh_type, flags):
    if name == QSTR_SECTION:
        return "qstrs"
    if not flags & 0x2 or name.startswith(_DROP_PREFIXES):  # SHF_ALLOC
        return "drop"
    if flags & 0x400:  # SHF_TLS
        return "other"
    if name == ".text" or name.startswith(".text."):
        return "text"
    if name.startswith((".rodata", ".data.rel.ro", ".srodata")):
        return "rodata"
    if sh_type == "SHT_NOBITS" or name.startswith((".bss", ".sbss")):
        return "bss"
    if name.startswith((".data", ".sdata")):
        return "data"
    return "other"


class Section:
    def __init__(self, obj, index, name, kind, data, size, align):
        self.obj = obj
        self.index = index
        self.name = name
        self.kind = kind          # text rodata bss data qstrs drop other
        self.data = data          # bytearray (None for bss)
        self.size = size
        self.align = max(1, align)
        self.relocs = []
        self.keep = False
        self.region = None        # "text" or "bss" once placed
        self.addr = None

    def __repr__(self):
        return "%s(%s)" % (self.name, self.obj.name)


class Symbol:
    def __init__(self, obj, name, value, bind, stype, shndx):
        self.obj = obj
        self.name = name
        self.value = value
        self.bind = bind
        self.type = stype
        self.shndx = shndx
        self.section = None


class Reloc:
    __slots__ = ("offset", "rtype", "sym", "addend")

    def __init__(self, offset, rtype, sym, addend):
        self.offset = offset
        self.rtype = rtype
        self.sym = sym
        self.addend = addend


class ObjectFile:
    def __init__(self, name, data, arch):
        self.name = name
        if not data.startswith(b"\x7fELF"):
            raise ToolError("%s: not an ELF file" % name)
        try:
            self._parse(data, arch)
        except (ELFError, ValueError, KeyError, IndexError) as e:
            raise ToolError("%s: malformed ELF object (%s)" % (name, e))

    def _parse(self, data, arch):
        elf = ELFFile(io.BytesIO(data))
        machine = arch.machine
        if elf["e_type"] != "ET_REL":
            raise ToolError("%s: not a relocatable object (%s); pass the .o files" % (self.name, elf["e_type"]))
        if elf["e_machine"] != machine.elf_machine:
            raise ToolError("%s: machine %s does not match --arch %s (%s)"
                            % (self.name, elf["e_machine"], arch.name, machine.elf_machine))
        if elf.elfclass != machine.elf_class:
            raise ToolError("%s: ELF%d object, --arch %s needs ELF%d"
                            % (self.name, elf.elfclass, arch.name, machine.elf_class))
        self.sections = {}
        for index, sec in enumerate(elf.iter_sections()):
            h = sec.header
            if h["sh_type"] in ("SHT_PROGBITS", "SHT_NOBITS", "SHT_INIT_ARRAY", "SHT_FINI_ARRAY",
                                "SHT_PREINIT_ARRAY") or h["sh_flags"] & 0x2:
                kind = _section_kind(sec.name, h["sh_type"], h["sh_flags"])
                data_bytes = None if h["sh_type"] == "SHT_NOBITS" else bytearray(sec.data())
                self.sections[index] = Section(self, index, sec.name, kind, data_bytes,
                                               h["sh_size"], h["sh_addralign"])
        symtab = elf.get_section_by_name(".symtab")
        if symtab is None:
            raise ToolError("%s: no symbol table" % self.name)
        self.symbols = []
        for s in symtab.iter_symbols():
            sym = Symbol(self, s.name, s["st_value"], s["st_info"]["bind"], s["st_info"]["type"],
                         s["st_shndx"])
            if isinstance(sym.shndx, int):
                sym.section = self.sections.get(sym.shndx)
            elif sym.shndx == "SHN_COMMON":
                raise ToolError("%s: common symbol %s: compile with -fno-common" % (self.name, sym.name))
            self.symbols.append(sym)
        for sec in elf.iter_sections():
            if sec.header["sh_type"] not in ("SHT_REL", "SHT_RELA"):
                continue
            target = self.sections.get(sec.header["sh_info"])
            if target is None:
                continue
            is_rela = sec.header["sh_type"] == "SHT_RELA"
            for r in sec.iter_relocations():
                target.relocs.append(Reloc(r["r_offset"], r["r_info_type"],
                                           self.symbols[r["r_info_sym"]],
                                           r["r_addend"] if is_rela else None))


class Target:
    """Where a relocation's symbol lives: region text/bss/abs/runtime and value."""

    __slots__ = ("region", "value", "dest", "name")

    def __init__(self, region, value, dest=None, name=""):
        self.region = region
        self.value = value
        self.dest = dest
        self.name = name

    def key(self):
        return (self.region, self.value, self.dest)


class _RelocContext:
    def __init__(self, machine, sec, r):
        self.machine = machine
        self.sec = sec
        self.r = r

    def range_error(self):
        raise ToolError("%s: %s at %s+0x%x to %s is out of range"
                        % (self.sec.obj.name, self.machine.type_name(self.r.rtype), self.sec.name,
                           self.r.offset, _sym_label(self.r.sym)))


def _sym_label(sym):
    if sym.type == "STT_SECTION" and sym.section is not None:
        return sym.section.name
    return sym.name or "<unnamed>"


def _align(value, align):
    return (value + align - 1) // align * align


class Linker:
    def __init__(self, arch_name, entry=DEFAULT_ENTRY, bss_in_text=False, max_text=DEFAULT_MAX_TEXT):
        if arch_name not in ARCHES:
            raise ToolError("unknown architecture %r (known: %s)" % (arch_name, ", ".join(sorted(ARCHES))))
        self.arch = ARCHES[arch_name]
        self.machine = self.arch.machine
        self.entry = entry
        self.bss_in_text = bss_in_text
        self.max_text = max_text
        self.objects = []
        self.globals = {}
        self.archives = []

    # ---- input ---------------------------------------------------------------------

    def add_object_file(self, path):
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError as e:
            raise ToolError("%s: cannot read: %s" % (path, e.strerror))
        self.add_object(path, data)

    def add_object(self, name, data):
        obj = ObjectFile(name, data, self.arch)
        self.objects.append(obj)
        for sym in obj.symbols:
            if sym.bind not in ("STB_GLOBAL", "STB_WEAK") or sym.shndx == "SHN_UNDEF":
                continue
            old = self.globals.get(sym.name)
            if old is not None:
                if sym.bind == "STB_WEAK":
                    continue
                if old.bind != "STB_WEAK":
                    raise ToolError("duplicate symbol %s (in %s and %s)" % (sym.name, old.obj.name, obj.name))
            self.globals[sym.name] = sym

    def add_archive(self, path):
        self.archives.append(Archive.load(path))

    # ---- resolution ------------------------------------------------------------------

    def _undefined(self):
        missing = {}
        for obj in self.objects:
            for sym in obj.symbols:
                if (sym.shndx == "SHN_UNDEF" and sym.name and sym.name not in self.globals
                        and sym.name not in RUNTIME_SYMBOLS and sym.name not in missing
                        and sym.name != GOT_SYMBOL):
                    missing[sym.name] = (obj.name, sym.bind)
        return missing

    def _resolve_from_archives(self):
        loaded = set()
        while True:
            progress = False
            for name in self._undefined():
                for ar in self.archives:
                    member = ar.member_for(name)
                    if member is not None and (ar.path, member[0]) not in loaded:
                        loaded.add((ar.path, member[0]))
                        self.add_object("%s(%s)" % (ar.path, member[0]), member[1])
                        progress = True
                        break
            if not progress:
                return

    def target_of(self, sym):
        if sym.shndx == "SHN_UNDEF":
            if sym.name in self.globals:
                sym = self.globals[sym.name]
            elif sym.name in RUNTIME_SYMBOLS:
                return Target("runtime", 0, RUNTIME_SYMBOLS[sym.name], sym.name)
            elif sym.name == GOT_SYMBOL:
                return Target("text", self._got_start, name=sym.name)
            else:
                raise ToolError("undefined symbol %s (referenced from %s)" % (sym.name, sym.obj.name))
        if sym.shndx == "SHN_ABS":
            return Target("abs", sym.value, name=sym.name)
        sec = sym.section
        if sec is None:
            raise ToolError("%s: symbol %s is in a section the linker does not load" % (sym.obj.name, _sym_label(sym)))
        return Target(sec.region, sec.addr + sym.value, name=_sym_label(sym))

    def _section_of(self, sym):
        if sym.shndx == "SHN_UNDEF":
            sym = self.globals.get(sym.name)
            if sym is None:
                return None
        return sym.section

    # ---- link ------------------------------------------------------------------------------

    def link(self, source_name):
        if not self.objects:
            raise ToolError("no input objects")
        self._resolve_from_archives()
        missing = self._undefined()
        strong = {n: v for n, v in missing.items() if v[1] != "STB_WEAK"}
        if strong:
            names = sorted(strong)
            shown = ", ".join("%s (referenced from %s)" % (n, strong[n][0]) for n in names[:5])
            more = " and %d more" % (len(names) - 5) if len(names) > 5 else ""
            raise ToolError("undefined symbol%s: %s%s" % ("s" if len(names) > 1 else "", shown, more))
        if missing:
            raise ToolError("unresolved weak symbol %s: not supported" % sorted(missing)[0])
        for obj in self.objects:
            for sec in obj.sections.values():
                if sec.kind == "other" and sec.size:
                    raise ToolError("%s: section %s is not supported in a native module" % (obj.name, sec.name))

        entry_sym = self.globals.get(self.entry)
        if entry_sym is None or entry_sym.section is None or entry_sym.section.kind != "text":
            raise ToolError("entry function %s not found in the inputs" % self.entry)

        kept = self._collect_garbage(entry_sym.section)
        for sec in kept:
            if sec.kind == "data" and sec.size:
                raise ToolError("%s: %s holds initialised writable data, which a native module cannot "
                                "have; make it const or zero-initialised" % (sec.obj.name, sec.name))
        qstrs = self._qstrs()
        text, relocations, bss_size = self._layout_and_relocate(kept, entry_sym)
        if len(text) > self.max_text:
            raise ToolError("text too large: %d bytes (limit %d)" % (len(text), self.max_text))
        return mpyformat.NativeModule(self.arch.code, text, [source_name] + qstrs, relocations, bss_size)

    def _collect_garbage(self, root):
        root.keep = True
        todo = [root]
        for obj in self.objects:
            for sec in obj.sections.values():
                if sec.kind == "qstrs":
                    sec.keep = True
        while todo:
            sec = todo.pop()
            for r in sec.relocs:
                dest = self._section_of(r.sym)
                if dest is not None and not dest.keep and dest.kind != "drop":
                    dest.keep = True
                    todo.append(dest)
        kept = []
        for obj in self.objects:
            for sec in sorted(obj.sections.values(), key=lambda s: s.index):
                if sec.keep and sec.kind in ("text", "rodata", "bss", "data", "other"):
                    kept.append(sec)
        return kept

    def _qstrs(self):
        found = [s for o in self.objects for s in o.sections.values() if s.kind == "qstrs"]
        if len(found) > 1:
            raise ToolError("%s sections in more than one object (%s); list all qstrs in one"
                            % (QSTR_SECTION, ", ".join(s.obj.name for s in found)))
        if not found:
            return []
        raw = bytes(found[0].data).rstrip(b"\x00")
        names = raw.split(b"\x00") if raw else []
        for n in names:
            if not n:
                raise ToolError("%s: empty name in %s" % (found[0].obj.name, QSTR_SECTION))
        return [n.decode("utf-8") for n in names]

    def _pcrel_bss_sections(self, kept):
        """.bss sections reached by link-time PC-relative relocations."""
        found = {}
        for sec in kept:
            for r in sec.relocs:
                kind = self.machine.classify(r.rtype)
                if kind in ("pcrel", "label_arith"):
                    dest = self._section_of(r.sym)
                    if dest is not None and dest.kind == "bss":
                        found.setdefault(dest, (sec, r))
        return found

    def _layout_and_relocate(self, kept, entry_sym):
        ws = self.arch.word_size
        moved = self._pcrel_bss_sections(kept)
        if moved and not self.bss_in_text:
            dest, (sec, r) = next(iter(moved.items()))
            raise ToolError("%s: %s reaches %s in %s PC-relative, but .bss lives apart from the text; "
                            "give the variable external linkage (not static) so it goes through the GOT, "
                            "or link with --bss-in-text"
                            % (sec.obj.name, sec.name, _sym_label(r.sym), dest.name))
        entry_sec = entry_sym.section
        text_secs = [entry_sec] + [s for s in kept if s.kind == "text" and s is not entry_sec]
        text_secs += [s for s in kept if s.kind == "rodata"]
        text_secs += [s for s in kept if s.kind == "bss" and s in moved]
        bss_secs = [s for s in kept if s.kind == "bss" and s not in moved]

        for s in text_secs + bss_secs:
            if s.align > self.arch.text_align:
                raise ToolError("%s: %s needs %d-byte alignment; the loader guarantees %d"
                                % (s.obj.name, s.name, s.align, self.arch.text_align))

        # entry jump, then the entry section right behind it (its size can
        # depend on the distance, so grow the gap until the jump fits)
        entry_value = entry_sym.value & ~1 if self.arch.thumb else entry_sym.value
        gap = 1
        while True:
            start = _align(gap, entry_sec.align)
            jump = self.arch.jump(start + entry_value)
            if len(jump) <= start:
                jump = jump + b"\x00" * (start - len(jump))
                break
            gap = len(jump)
        text = bytearray(jump)
        for s in text_secs:
            start = _align(len(text), s.align)
            text += b"\x00" * (start - len(text))
            s.region = "text"
            s.addr = start
            text += s.data if s.data is not None else b"\x00" * s.size
        bss_size = 0
        for s in bss_secs:
            bss_size = _align(bss_size, s.align)
            s.region = "bss"
            s.addr = bss_size
            bss_size += s.size
        bss_size = _align(bss_size, ws)

        # GOT: one word per distinct target reached through it
        got = {}
        for sec in text_secs:
            for r in sec.relocs:
                if self.machine.classify(r.rtype) == "got_pcrel":
                    t = self.target_of(r.sym)
                    got.setdefault(t.key(), t)
        relocations = []
        got_start = self._got_start = _align(len(text), ws)
        text += b"\x00" * (got_start - len(text))
        got_addr = {}
        self._got_addr_cache = got_addr
        # Keep a word holding the exact BSS start: the GC keeps a heap block
        # alive only through a pointer to its beginning.
        need_anchor = bss_size > 0
        for key, t in list(got.items()) + ([(("bss", 0, None), Target("bss", 0, name="<bss>"))]
                                           if need_anchor and ("bss", 0, None) not in got else []):
            got_addr[key] = len(text)
            text += b"\x00" * ws
            self._emit_abs_word(text, got_addr[key], t, 0, relocations)

        for sec in text_secs:
            for r in sec.relocs:
                self._apply(sec, r, text, got_addr, relocations)
        return bytes(text), relocations, bss_size

    def _emit_abs_word(self, text, place, target, addend, relocations):
        ws = self.arch.word_size
        if place % ws:
            raise ToolError("absolute word at text+0x%x to %s is not %d-byte aligned" % (place, target.name, ws))
        if target.region == "runtime":
            value = addend
            dest = target.dest
        elif target.region == "abs":
            value = target.value + addend
            dest = None
        else:
            value = target.value + addend
            dest = mpyformat.DEST_TEXT if target.region == "text" else mpyformat.DEST_BSS
        text[place:place + ws] = (value & ((1 << (8 * ws)) - 1)).to_bytes(ws, "little")
        if dest is not None:
            relocations.append(mpyformat.Relocation(mpyformat.BASE_TEXT, place // ws, dest))

    def _apply(self, sec, r, text, got_addr, relocations):
        m = self.machine
        kind = m.classify(r.rtype)
        if kind == "ignore":
            return
        if kind is None:
            hint = m.hints.get(r.rtype)
            raise ToolError("%s: unsupported relocation %s in %s against %s%s"
                            % (sec.obj.name, m.type_name(r.rtype), sec.name, _sym_label(r.sym),
                               " (%s)" % hint if hint else ""))
        place = sec.addr + r.offset
        addend = r.addend if r.addend is not None else m.implicit_addend(sec.data, r.offset, r.rtype)
        ctx = _RelocContext(m, sec, r)
        if kind == "abs_word":
            self._emit_abs_word(text, place, self.target_of(r.sym), addend, relocations)
            return
        if kind == "pcrel_lo":
            value = self._riscv_hi_value(sec, r)
            m.patch(self, kind, text, place, r.rtype, value, ctx)
            return
        t = self.target_of(r.sym)
        if kind == "got_pcrel":
            value = got_addr[t.key()] + addend - place
            m.patch(self, kind, text, place, r.rtype, value, ctx)
            return
        if t.region != "text":
            what = {"runtime": "a runtime symbol resolved at load time",
                    "bss": ".bss (allocated apart from the text)",
                    "abs": "an absolute symbol"}[t.region]
            raise ToolError("%s: %s in %s reaches %s PC-relative, but it is %s"
                            % (sec.obj.name, m.type_name(r.rtype), sec.name, t.name, what))
        s_value = t.value
        if self.arch.thumb and m.branch_target(r.rtype):
            s_value &= ~1
        if kind == "label_arith":
            m.label_arith(text, place, r.rtype, s_value + addend)
            return
        m.patch(self, kind, text, place, r.rtype, s_value + addend - place, ctx)

    def _riscv_hi_value(self, sec, r):
        """PCREL_LO12 relocations name the label of their auipc; use its value."""
        label = r.sym
        hi_sec = label.section
        for hr in hi_sec.relocs:
            if hr.offset == label.value and hr.rtype in (self.machine.R_PCREL_HI20, self.machine.R_GOT_HI20):
                hi_place = hi_sec.addr + hr.offset
                t = self.target_of(hr.sym)
                if hr.rtype == self.machine.R_GOT_HI20:
                    return self._got_lookup(t) + hr.addend - hi_place
                if t.region != "text":
                    raise ToolError("%s: %s reaches %s PC-relative, but it is not in the text"
                                    % (sec.obj.name, sec.name, t.name))
                return t.value + hr.addend - hi_place
        raise ToolError("%s: %s at %s+0x%x has no matching HI20 relocation"
                        % (sec.obj.name, self.machine.type_name(r.rtype), sec.name, r.offset))

    def _got_lookup(self, t):
        return self._got_addr_cache[t.key()]


def write_atomically(path, data):
    """Write `data` to `path` so that it is either complete or absent."""
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".mpytool-", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def link_files(arch, objects, output, libs=(), entry=DEFAULT_ENTRY, source_name=None,
               bss_in_text=False, max_text=DEFAULT_MAX_TEXT):
    """Link and write `output`; on any error nothing is left at `output`."""
    try:
        linker = Linker(arch, entry=entry, bss_in_text=bss_in_text, max_text=max_text)
        for path in objects:
            linker.add_object_file(path)
        for path in libs:
            linker.add_archive(path)
        module = linker.link(source_name or os.path.basename(output))
        data = mpyformat.write_mpy(module)
    except ToolError:
        if os.path.exists(output):
            os.unlink(output)   # no stale artifact that looks fresh
        raise
    write_atomically(output, data)
    return module
