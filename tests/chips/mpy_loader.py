"""Run the shipped .mpy on a chip model instead of the test build.

The chip models (samd.py, rp2_chip.py, stm32.py) load a fixed-address ELF
compiled from the same sources.  MpyGlue puts the text of
dist/<arch>_6.3/i2ct_<chip>.mpy into the chip's RAM instead, resolves its
relocations the way MicroPython's loader does (the .mpy is parsed and
relocated by tests/natmod_fixtures/emu_loader.py's reader, not by our
linker), runs its init function against a stand-in function table whose
slots trap into Python, and then calls the functions the module registered
by name (natmod/mpy_module.c: store_global of each function object) with
MicroPython objects as arguments: small ints, and buffers that are fake
objects whose get_buffer slot hands out emulated memory.  The interrupt
handler is whatever the driver writes into the vector table at open(): the
chip's CortexM takes interrupts through that table as before.

MpyGlue offers the methods the chip classes offer to ChipLib (call, open,
rx_take, tx_put) plus set_regmap / reg_dirty with raw chip addresses, so
ChipLib(name, mpy=True) runs every scenario on the shipped bytes.
"""
import os
import struct

from unicorn import UC_HOOK_CODE
from unicorn import arm_const as A

from tests.natmod_fixtures import emu_loader as L

from .armemu import EmuError
from .build import REPO

MPY_OF = {
    "samd51": ("armv7emsp", "samd51"), "samd21": ("armv6m", "samd21"),
    "rp2040": ("armv6m", "rp2040"), "rp2350": ("armv7emsp", "rp2350"),
    "f405": ("armv7emsp", "stm32f4"), "f767": ("armv7emdp", "stm32f7"),
    "l476": ("armv7emsp", "stm32l4"),
}

# The stand-in runtime: one region outside every chip's RAM and peripherals.
RT = 0x30000000
RT_SIZE = 0x20000
FUN_TABLE = RT
QSTR_TABLE = RT + 0x1000
TYPES = RT + 0x2000            # fake type objects, 16 bytes each
SELF_OBJ = RT + 0x3000
STUBS = RT + 0x4000            # slot k: "bx lr" at STUBS + 16 * k
OBJECTS = RT + 0x8000          # fake objects and argument data, reset per call
OBJECTS_END = RT + RT_SIZE
MAGIC_GLOBALS = 0xABC0


def mpy_path(chip):
    arch, port = MPY_OF[chip]
    return os.path.join(REPO, "dist", "%s_6.3" % arch, "i2ct_%s.mpy" % port)


class MpyGlue:
    """The flat functions of one chip, served by the shipped module's text."""

    def __init__(self, chip, path=None):
        self.chip = chip
        self.emu = emu = chip.emu
        self.path = path or mpy_path(chip.chip)
        with open(self.path, "rb") as f:
            data = f.read()
        self.arch, self.qstrs, text, self.bss_size, relocs = L.parse(data)
        want = MPY_OF[chip.chip][0]
        if self.arch != want:
            raise EmuError("%s is a %s module, %s runs %s" % (self.path, self.arch, chip.chip, want))
        # text where the test build sat (its code is overwritten), .bss after it
        self.text = self._code_base()
        self.text_size = len(text)
        self.bss = (self.text + len(text) + 15) & ~15
        end = self.bss + self.bss_size
        if end > emu.scratch_base:
            raise EmuError("module text+bss (%d bytes) does not fit the chip's RAM" % (end - self.text))
        self.end = end
        emu.write(self.text, bytes(text))
        emu.write(self.bss, bytes(self.bss_size))
        emu.uc.mem_map(RT, RT_SIZE)
        self.qstr_ids = {}
        for i, q in enumerate(self.qstrs):
            self.qstr_ids[1000 + i] = q
            emu.write(QSTR_TABLE + 2 * i, struct.pack("<H", 1000 + i))
        self.type_names = {}
        for k in range(L.N_SLOTS):
            emu.write(STUBS + 16 * k, b"\x70\x47")          # bx lr
            value = (STUBS + 16 * k) | 1
            if k in (0, 1, 2):
                value = (L.NONE, L.FALSE, L.TRUE)[k]
            elif k in L.TYPE_SLOTS:
                value = TYPES + 16 * (k - 73)
                self.type_names[value] = L.TYPE_SLOTS[k]
            emu.write32(FUN_TABLE + 4 * k, value)
        self.relocations = self._relocate(relocs)
        self.functions = {}            # name -> function object address
        self.buffers = {}              # fake object -> (data address, length)
        self.big_ints = {}
        self.exception = None
        self.stub_calls = 0
        self._next = OBJECTS
        emu.uc.hook_add(UC_HOOK_CODE, self._on_stub, begin=STUBS, end=STUBS + 16 * L.N_SLOTS)
        emu.write32(SELF_OBJ, 0)
        emu.write32(SELF_OBJ + 4, SELF_OBJ + 16)               # ->context
        emu.write32(SELF_OBJ + 20, MAGIC_GLOBALS)              # context->module.globals
        r = emu.call(self.text, SELF_OBJ, 0, 0, 0, service=False) & 0xFFFFFFFF
        self._check_exception()
        if r != L.NONE:
            raise EmuError("module init returned 0x%x" % r)
        if "open" not in self.functions:
            raise EmuError("the module registered no open(): %r" % sorted(self.functions))

    def _code_base(self):
        cfg = getattr(self.chip, "cfg", {})
        if "code_base" in cfg:
            return cfg["code_base"]
        from .stm32 import CODE_BASE
        return CODE_BASE

    def _relocate(self, s):
        """MicroPython's loader algorithm over the relocation stream."""
        emu = self.emu
        ptr = None
        count = 0
        while True:
            op = s.byte()
            if op == 0xFF:
                break
            if op & 1:
                at = s.uint()
                if at & 1:
                    raise EmuError("rodata relocation in a module without rodata")
                ptr = self.text + (at >> 1) * 4
            op >>= 1
            n = 1
            if op <= 5:
                if op & 1:
                    n = s.uint()
                dest = (self.text, None, self.bss)[op >> 1]
                if dest is None:
                    raise EmuError("rodata relocation in a module without rodata")
            elif op == 6:
                dest = QSTR_TABLE
            elif op == 7:
                raise EmuError("object table relocation")
            elif op == 8:
                dest = FUN_TABLE
            else:
                dest = emu.read32(FUN_TABLE + 4 * (op - 9))
            for _ in range(n):
                if not self.text <= ptr < self.text + self.text_size:
                    raise EmuError("relocation at 0x%x outside the text" % ptr)
                emu.write32(ptr, emu.read32(ptr) + dest)
                ptr += 4
                count += 1
        if s.pos != len(s.data):
            raise EmuError("bytes after the relocations")
        return count

    # ---- the stand-in runtime --------------------------------------------------
    def _on_stub(self, uc, address, size, user):
        slot = (address - STUBS) // 16
        a = [uc.reg_read(r) for r in (A.UC_ARM_REG_R0, A.UC_ARM_REG_R1, A.UC_ARM_REG_R2)]
        self.stub_calls += 1
        ret = None
        if slot == 3:        # native_from_obj: an int argument
            ret = self._to_int(a[0])
        elif slot == 4:      # native_to_obj: a result beyond the small-int range
            ret = self._from_int(a[0])
        elif slot == 5:      # swap_globals
            ret = MAGIC_GLOBALS
        elif slot == 13:     # store_global(qstr, fun): the module registers a function
            self.functions[self.qstr_ids[a[0]]] = a[1]
        elif slot == 44:     # arg_check_num_sig(n_args, n_kw, sig): raises on a mismatch
            problem = L.arg_check_problem(a[0], a[1], a[2])
            if problem:
                self.exception = TypeError(problem)
                uc.emu_stop()
                return
        elif slot == 65:     # get_buffer(obj, info, flags)
            if a[0] not in self.buffers:
                self.exception = EmuError("get_buffer on a non-buffer object 0x%x" % a[0])
                uc.emu_stop()
                return
            addr, n = self.buffers[a[0]]
            self.emu.write32(a[1], addr)
            self.emu.write32(a[1] + 4, n)
            self.emu.write32(a[1] + 8, ord("B"))
            ret = 1
        else:
            self.exception = EmuError("unexpected function table slot %d" % slot)
            uc.emu_stop()
            return
        if ret is not None:
            uc.reg_write(A.UC_ARM_REG_R0, ret & 0xFFFFFFFF)

    def _check_exception(self):
        if self.exception is not None:
            exc, self.exception = self.exception, None
            raise exc

    def _alloc(self, n):
        addr = (self._next + 15) & ~15
        if addr + n > OBJECTS_END:
            raise EmuError("stand-in runtime memory exhausted")
        self._next = addr + max(n, 1)
        return addr

    def _to_int(self, obj):
        if obj & 1:
            v = obj - (1 << 32) if obj & 0x80000000 else obj
            return (v >> 1) & 0xFFFFFFFF
        if obj in self.big_ints:
            return self.big_ints[obj] & 0xFFFFFFFF
        if obj in (L.TRUE, L.FALSE):
            return 1 if obj == L.TRUE else 0
        self.exception = EmuError("int argument expected, got object 0x%x" % obj)
        self.emu.uc.emu_stop()
        return 0

    def _from_int(self, value):
        value = value - (1 << 32) if value & 0x80000000 else value
        if -(1 << 30) <= value < (1 << 30):
            return ((value << 1) | 1) & 0xFFFFFFFF
        addr = self._alloc(16)
        self.big_ints[addr] = value
        return addr

    def int_obj(self, v):
        return self._from_int(v & 0xFFFFFFFF)

    def buffer_obj(self, addr, n):
        """A bytes-like object over emulated memory [addr, addr+n)."""
        obj = self._alloc(16)
        self.buffers[obj] = (addr, n)
        return obj

    def data_obj(self, data):
        addr = self._alloc(len(data) + 1)
        self.emu.write(addr, bytes(data))
        return self.buffer_obj(addr, len(data)), addr

    def value(self, obj):
        obj &= 0xFFFFFFFF
        if obj in self.big_ints:
            return self.big_ints[obj]
        if obj == L.NONE:
            return None
        if obj & 1:
            v = obj - (1 << 32) if obj & 0x80000000 else obj
            return v >> 1
        raise EmuError("unexpected result object 0x%x" % obj)

    def _invoke(self, name, objs):
        emu = self.emu
        fun = self.functions[name]
        kind = self.type_names.get(emu.read32(fun))
        if kind == "fun_builtin_var":
            sig = emu.read32(fun + 4)
            n_min, n_max = sig >> 17, (sig >> 1) & 0xFFFF
            if not n_min <= len(objs) <= n_max:
                raise TypeError("%s takes %d..%d arguments, not %d" % (name, n_min, n_max, len(objs)))
            argv = self._alloc(4 * max(1, len(objs)))
            for i, o in enumerate(objs):
                emu.write32(argv + 4 * i, o)
            code, args = emu.read32(fun + 8), [len(objs), argv]
        elif kind and kind.startswith("fun_builtin_"):
            if int(kind[-1]) != len(objs):
                raise TypeError("%s takes %s arguments, not %d" % (name, kind[-1], len(objs)))
            code, args = emu.read32(fun + 4), objs
        elif emu.read32(emu.read32(fun)) == TYPES:
            # the module's own function type: its call slot gets (self, n_args, n_kw, args)
            argv = self._alloc(4 * max(1, len(objs)))
            for i, o in enumerate(objs):
                emu.write32(argv + 4 * i, o)
            type_addr = emu.read32(fun)
            index = emu.read(type_addr + 8 + L.CALL_SLOT_INDEX, 1)[0]
            if index == 0:
                raise EmuError("%s: its type has no call slot" % name)
            code, args = emu.read32(type_addr + 20 + 4 * (index - 1)), [fun, len(objs), 0, argv]
        else:
            raise EmuError("%s is not a function object (type 0x%x)" % (name, emu.read32(fun)))
        r = emu.call(code & ~1, *args)
        self._check_exception()
        return self.value(r)

    # ---- what ChipLib calls ---------------------------------------------------------
    def call(self, name, *args):
        """i2ct_<name>(ints...) through the module's function of that name."""
        self._next = OBJECTS
        self.buffers.clear()
        self.big_ints.clear()
        short = name[5:] if name.startswith("i2ct_") else name
        return self._invoke(short, [self.int_obj(a) for a in args])

    def open(self, t, scl, sda, addresses, flags=0):
        self._next = OBJECTS
        self.buffers.clear()
        addrs, _ = self.data_obj(bytes(addresses))
        return self._invoke("open", [self.int_obj(t), self.int_obj(scl), self.int_obj(sda),
                                     addrs, self.int_obj(flags)])

    def close(self, t):
        return self.call("close", t)

    def rx_take(self, t, n):
        self._next = OBJECTS
        self.buffers.clear()
        buf, addr = self.data_obj(bytes(max(n, 1)))
        if n == 0:
            self.buffers[buf] = (addr, 0)
        got = self._invoke("rx_take", [self.int_obj(t), buf])
        return got if got < 0 else self.emu.read(addr, got)

    def tx_put(self, t, data):
        self._next = OBJECTS
        self.buffers.clear()
        buf, _ = self.data_obj(bytes(data))
        return self._invoke("tx_put", [self.int_obj(t), buf])

    def set_regmap(self, t, address, addr, size, flags=0):
        """Register memory at chip address addr (0: back to request mode)."""
        self._next = OBJECTS
        self.buffers.clear()
        mem = L.NONE if not addr else self.buffer_obj(addr, size)
        return self._invoke("set_regmap", [self.int_obj(t), self.int_obj(address), mem,
                                           self.int_obj(flags)])

    def reg_dirty(self, t, address, n):
        self._next = OBJECTS
        self.buffers.clear()
        buf, addr = self.data_obj(bytes(n))
        r = self._invoke("reg_dirty", [self.int_obj(t), self.int_obj(address), buf])
        return r, self.emu.read(addr, n)

    def handler_in_text(self, irq):
        """The vector the driver installed for irq points into the module's text."""
        v = self.emu.vector(irq)
        return v & 1 and self.text <= (v & ~1) < self.text + self.text_size
