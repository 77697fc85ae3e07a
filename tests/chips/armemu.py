"""A small Cortex-M machine on unicorn for running cross-compiled drivers.

Generic over chips: flash and RAM, any number of memory-mapped peripheral
models (objects with read(offset, size) / write(offset, size, value) and,
for interrupt sources, pending_irqs()), and a system control space model
(VTOR and the NVIC enable / pending / priority registers; unicorn has no
NVIC).  C functions of the loaded ELF are called like Python functions;
interrupts are taken by calling the handler the code installed in the vector
table VTOR points at, with LR set to a magic return address.  Every run
counts the instructions it executed.
"""
import struct

from elftools.elf.elffile import ELFFile
from unicorn import Uc, UcError, UC_ARCH_ARM, UC_MODE_THUMB, UC_MODE_MCLASS, UC_HOOK_CODE
from unicorn import arm_const as A

CPU_MODELS = {
    "cortex-m0plus": A.UC_CPU_ARM_CORTEX_M0,
    "cortex-m3": A.UC_CPU_ARM_CORTEX_M3,
    "cortex-m4": A.UC_CPU_ARM_CORTEX_M4,
    "cortex-m7": A.UC_CPU_ARM_CORTEX_M7,
}

RETURN_MAGIC = 0x0FFFF000   # "exception return" / call return lands here
SCS_BASE = 0xE000E000
SCS_SIZE = 0x1000
PAGE = 0x1000


class EmuError(AssertionError):
    """The emulated code did something the machine or a model refuses."""


class SystemControl:
    """VTOR and the NVIC registers the drivers use (ISER/ICER/ISPR/ICPR/IPR)."""

    def __init__(self, n_irqs=240):
        self.vtor = 0
        self.enabled = set()
        self.pending = set()
        self.priority = {}
        self.n_irqs = n_irqs
        self.vtor_writes = []

    def read(self, off, size):
        if off == 0xD08:
            return self.vtor
        for base in (0x100, 0x180):
            if base <= off < base + 0x40:
                word = (off - base) // 4
                return sum(1 << b for b in range(32) if word * 32 + b in self.enabled)
        for base in (0x200, 0x280):
            if base <= off < base + 0x40:
                word = (off - base) // 4
                return sum(1 << b for b in range(32) if word * 32 + b in self.pending)
        if 0x400 <= off < 0x400 + self.n_irqs:
            irq = off - 0x400
            return sum(self.priority.get(irq + i, 0) << (8 * i) for i in range(size))
        return 0

    def write(self, off, size, value):
        if off == 0xD08:
            if value & 0x7F:
                raise EmuError("VTOR 0x%08x is not 128-byte aligned" % value)
            self.vtor = value
            self.vtor_writes.append(value)
            return
        for base, action in ((0x100, "en"), (0x180, "dis"), (0x200, "pend"), (0x280, "unpend")):
            if base <= off < base + 0x40:
                word = (off - base) // 4
                for b in range(32):
                    if value >> b & 1:
                        irq = word * 32 + b
                        if action == "en":
                            self.enabled.add(irq)
                        elif action == "dis":
                            self.enabled.discard(irq)
                        elif action == "pend":
                            self.pending.add(irq)
                        else:
                            self.pending.discard(irq)
                return
        if 0x400 <= off < 0x400 + self.n_irqs:
            for i in range(size):
                self.priority[off - 0x400 + i] = (value >> (8 * i)) & 0xFF


class CortexM:
    def __init__(self, elf_path, cpu="cortex-m4", flash=(0x00000000, 0x40000),
                 ram=(0x20000000, 0x40000), stack_size=0x2000, max_irq_chain=64):
        self.uc = Uc(UC_ARCH_ARM, UC_MODE_THUMB | UC_MODE_MCLASS)
        self.uc.ctl_set_cpu_model(CPU_MODELS[cpu])
        self.cpu = cpu
        self.flash = flash
        self.ram = ram
        self.uc.mem_map(flash[0], flash[1])
        self.uc.mem_map(ram[0], ram[1])
        self.uc.mem_map(RETURN_MAGIC & ~(PAGE - 1), PAGE)
        self.stack_top = ram[0] + ram[1]
        self.scratch_top = self.stack_top - stack_size
        self.scratch_base = self.scratch_top - 0x1000
        self.scratch_next = self.scratch_base
        self.scs = SystemControl()
        self.devices = []
        self._pages = set()
        self.errors = []
        self.max_irq_chain = max_irq_chain
        self.icount = 0
        self.irq_log = []           # (irq, instructions, note) per interrupt entry
        self.irq_note = None        # set by a model: what this entry serves
        self.uc.hook_add(UC_HOOK_CODE, self._count)
        self.add_device(SCS_BASE, SCS_SIZE, self.scs)
        self.symbols = {}
        self._load(elf_path)

    # ---- loading -------------------------------------------------------
    def _load(self, path):
        with open(path, "rb") as f:
            elf = ELFFile(f)
            for seg in elf.iter_segments():
                if seg["p_type"] != "PT_LOAD" or seg["p_memsz"] == 0:
                    continue
                data = seg.data()
                addr = seg["p_paddr"]
                self.uc.mem_write(addr, data + b"\0" * (seg["p_memsz"] - len(data)))
            # NOLOAD .bss has no segment bytes: zero every section explicitly
            for sec in elf.iter_sections():
                if sec["sh_type"] == "SHT_NOBITS" and sec["sh_size"]:
                    self.uc.mem_write(sec["sh_addr"], b"\0" * sec["sh_size"])
            symtab = elf.get_section_by_name(".symtab")
            for sym in symtab.iter_symbols():
                if sym.name and sym["st_info"]["type"] in ("STT_FUNC", "STT_OBJECT"):
                    self.symbols[sym.name] = (sym["st_value"], sym["st_size"])

    def add_device(self, base, size, model):
        """Map `model` at [base, base+size); accesses go to model.read/write.

        Models may share a 4 KiB page (SAMD51 SERCOM0/1 and TC0 do): pages are
        mapped once and each access is dispatched to the model covering it."""
        self.devices.append((base, size, model))
        for page in range(base & ~(PAGE - 1), base + size, PAGE):
            if page not in self._pages:
                self._pages.add(page)
                self.uc.mmio_map(page, PAGE, self._mmio_read, page, self._mmio_write, page)

    def _device_at(self, addr):
        for base, size, model in self.devices:
            if base <= addr < base + size:
                return base, model
        raise EmuError("no device at 0x%08x" % addr)

    def _mmio_read(self, uc, off, sz, page):
        addr = page + off
        try:
            base, model = self._device_at(addr)
            return model.read(addr - base, sz) & ((1 << (8 * sz)) - 1)
        except Exception as exc:  # report after the run, stop now
            self.errors.append("read 0x%08x: %r" % (addr, exc))
            uc.emu_stop()
            return 0

    def _mmio_write(self, uc, off, sz, value, page):
        addr = page + off
        try:
            base, model = self._device_at(addr)
            model.write(addr - base, sz, value)
        except Exception as exc:
            self.errors.append("write 0x%08x=0x%x: %r" % (addr, value, exc))
            uc.emu_stop()

    def _count(self, uc, addr, size, ud):
        self.icount += 1

    # ---- memory helpers --------------------------------------------------
    def read32(self, addr):
        return struct.unpack("<I", self.uc.mem_read(addr, 4))[0]

    def write32(self, addr, value):
        self.uc.mem_write(addr, struct.pack("<I", value & 0xFFFFFFFF))

    def read(self, addr, n):
        return bytes(self.uc.mem_read(addr, n))

    def write(self, addr, data):
        self.uc.mem_write(addr, bytes(data))

    def alloc(self, data_or_size):
        """Scratch RAM for one call's buffers (reset by every call())."""
        n = data_or_size if isinstance(data_or_size, int) else len(data_or_size)
        addr = (self.scratch_next + 7) & ~7
        if addr + max(n, 1) > self.scratch_top:
            raise EmuError("scratch RAM exhausted")
        self.scratch_next = addr + max(n, 1)
        if not isinstance(data_or_size, int):
            self.write(addr, data_or_size)
        return addr

    def addr_of(self, name):
        return self.symbols[name][0]

    # ---- running code ----------------------------------------------------
    def primask(self):
        return self.uc.reg_read(A.UC_ARM_REG_PRIMASK)

    def _run(self, entry, args, limit):
        regs = [A.UC_ARM_REG_R0, A.UC_ARM_REG_R1, A.UC_ARM_REG_R2, A.UC_ARM_REG_R3]
        sp = self.stack_top
        stacked = [a & 0xFFFFFFFF for a in args[4:]]
        sp -= 4 * len(stacked)
        sp &= ~7
        for i, a in enumerate(stacked):
            self.write32(sp + 4 * i, a)
        for reg, a in zip(regs, args):
            self.uc.reg_write(reg, a & 0xFFFFFFFF)
        self.uc.reg_write(A.UC_ARM_REG_SP, sp)
        self.uc.reg_write(A.UC_ARM_REG_LR, RETURN_MAGIC | 1)
        start = self.icount
        try:
            self.uc.emu_start(entry | 1, RETURN_MAGIC, count=limit)
        except UcError as exc:
            pc = self.uc.reg_read(A.UC_ARM_REG_PC)
            raise EmuError("emulation fault %s at pc=0x%08x" % (exc, pc))
        if self.errors:
            errs, self.errors = self.errors, []
            raise EmuError("; ".join(errs))
        pc = self.uc.reg_read(A.UC_ARM_REG_PC)
        if pc != RETURN_MAGIC:
            raise EmuError("code did not return (pc=0x%08x after %d instructions)"
                           % (pc, self.icount - start))
        return self.icount - start

    def call(self, name, *args, limit=200000, service=True):
        """Call C function `name`; bytes arguments are copied to scratch RAM.

        Returns r0 as a signed int.  Pending interrupts are taken afterwards
        (as they would be when the function re-enables them)."""
        self.scratch_next = self.scratch_base
        conv = [self.alloc(a) if isinstance(a, (bytes, bytearray)) else a for a in args]
        self.last_args = conv
        self._run(self.addr_of(name) if isinstance(name, str) else name, conv, limit)
        r0 = self.uc.reg_read(A.UC_ARM_REG_R0)
        if self.primask():
            raise EmuError("%s returned with interrupts masked (PRIMASK=1)" % name)
        if service:
            self.service_interrupts()
        return r0 - (1 << 32) if r0 & 0x80000000 else r0

    def vector(self, irq):
        return self.read32(self.scs.vtor + 4 * (16 + irq))

    def take_interrupt(self, irq, limit=20000):
        """Exception entry, simply: call the handler VTOR's table holds."""
        handler = self.vector(irq)
        if not (handler & 1):
            raise EmuError("vector %d = 0x%08x is not a Thumb address" % (irq, handler))
        lo, hi = self.ram
        if not (self.flash[0] <= handler < self.flash[0] + self.flash[1] or lo <= handler < lo + hi):
            raise EmuError("vector %d = 0x%08x points outside code memory" % (irq, handler))
        notes = [m.irq_reason() for _, _, m in self.devices if hasattr(m, "irq_reason")]
        self.irq_note = next((x for x in notes if x), None)
        n = self._run(handler & ~1, [], limit)
        self.irq_log.append((irq, n, self.irq_note))
        return n

    def pending_irqs(self):
        lines = set(self.scs.pending)
        for _, _, model in self.devices:
            if hasattr(model, "pending_irqs"):
                lines.update(model.pending_irqs())
        return lines

    def service_interrupts(self):
        """Take enabled pending interrupts until none is left (lowest line first)."""
        for _ in range(self.max_irq_chain):
            if self.primask():
                return
            ready = sorted(i for i in self.pending_irqs() if i in self.scs.enabled)
            if not ready:
                return
            self.scs.pending.discard(ready[0])
            self.take_interrupt(ready[0])
        raise EmuError("interrupt storm: still pending after %d entries" % self.max_irq_chain)
