"""Load a native module .mpy into unicorn and call its functions.

A stand-in for MicroPython's loader and runtime, for the architectures this
machine cannot run natively: it parses the .mpy bytes itself (independently
of tools/mpytool's reader), applies the relocation stream the way the
firmware's loader does, provides a function table whose slots trap into
Python, calls the init function and then the registered functions.
Objects use representation A (small ints, qstrs, immediates); buffers are
fake objects in emulated memory.
"""

import struct

import unicorn
from unicorn import arm_const, riscv_const, x86_const

TEXT = 0x10000000
BSS = 0x20000000
TABLES = 0x30000000          # function table, qstr table, fake objects
FUN_TABLE = TABLES
QSTR_TABLE = TABLES + 0x1000
TYPES = TABLES + 0x2000      # fake type objects: 16 bytes each
SELF_OBJ = TABLES + 0x3000
STUBS = 0x38000000           # slot k traps at STUBS + 16 * k (executable on Cortex-M)
HEAP = 0x50000000
STACK = 0x60000000
STACK_SIZE = 0x10000
RETURN_MAGIC = 0x70000000

N_SLOTS = 87
TYPE_SLOTS = {73: "type", 74: "str", 75: "list", 76: "dict", 77: "fun_builtin_0",
              78: "fun_builtin_1", 79: "fun_builtin_2", 80: "fun_builtin_3",
              81: "fun_builtin_var", 82: "Exception"}
NONE, FALSE, TRUE = 6, 14, 30

CALL_SLOT_INDEX = 2          # make_new, print, call, ... (one byte each)


def arg_check_problem(n_args, n_kw, sig):
    """The TypeError message the runtime's arg_check_num_sig raises, or None."""
    n_min, n_max = sig >> 17, (sig >> 1) & 0xFFFF
    if n_kw and not sig & 1:
        return "function doesn't take keyword arguments"
    if not n_min <= n_args <= n_max:
        return "function takes %d positional arguments but %d were given" % (n_min, n_args)
    return None


ARCH_CODES = {2: "x64", 4: "armv6m", 5: "armv7m", 7: "armv7emsp", 8: "armv7emdp", 11: "rv32imc"}


class MpyException(Exception):
    """An exception the module raised through the runtime."""

    def __init__(self, type_name, message):
        Exception.__init__(self, "%s: %s" % (type_name, message))
        self.type_name = type_name
        self.message = message


class _Stream:
    def __init__(self, data):
        self.data = data
        self.pos = 0

    def byte(self):
        b = self.data[self.pos]
        self.pos += 1
        return b

    def take(self, n):
        b = self.data[self.pos:self.pos + n]
        self.pos += n
        return b

    def uint(self):
        v = 0
        while True:
            b = self.byte()
            v = (v << 7) | (b & 0x7F)
            if not b & 0x80:
                return v


def parse(data):
    """(arch name, qstrs, text, bss size, relocation stream bytes)."""
    s = _Stream(data)
    magic, version, feature, _small = s.take(4)
    assert magic == ord("M") and version == 6 and feature & 3 == 3, data[:4]
    arch = ARCH_CODES[(feature >> 2) & 0xF]
    if feature & 0x40:
        s.uint()
    n_qstr = s.uint()
    assert s.uint() == 0
    qstrs = []
    for _ in range(n_qstr):
        n = s.uint()
        assert not n & 1
        qstrs.append(s.take(n >> 1).decode())
        assert s.byte() == 0
    kind_len = s.uint()
    assert kind_len & 7 == 2, "not a native viper raw code"
    text = s.take(kind_len >> 3)
    flags = s.uint()
    assert flags & 0x10
    rodata_size = s.uint() if flags & 0x20 else 0
    bss_size = s.uint() if flags & 0x40 else 0
    assert rodata_size == 0
    return arch, qstrs, text, bss_size, s


class Machine:
    def __init__(self, arch):
        self.arch = arch
        if arch == "x64":
            self.uc = unicorn.Uc(unicorn.UC_ARCH_X86, unicorn.UC_MODE_64)
            self.ws = 8
            self.arg_regs = [x86_const.UC_X86_REG_RDI, x86_const.UC_X86_REG_RSI,
                             x86_const.UC_X86_REG_RDX, x86_const.UC_X86_REG_RCX]
            self.ret_reg = x86_const.UC_X86_REG_RAX
            self.stub = b"\xc3"                        # ret
        elif arch.startswith("arm"):
            self.uc = unicorn.Uc(unicorn.UC_ARCH_ARM, unicorn.UC_MODE_THUMB | unicorn.UC_MODE_MCLASS)
            model = {"armv6m": arm_const.UC_CPU_ARM_CORTEX_M0, "armv7m": arm_const.UC_CPU_ARM_CORTEX_M3}
            self.uc.ctl_set_cpu_model(model.get(arch, arm_const.UC_CPU_ARM_CORTEX_M4))
            self.ws = 4
            self.arg_regs = [arm_const.UC_ARM_REG_R0, arm_const.UC_ARM_REG_R1,
                             arm_const.UC_ARM_REG_R2, arm_const.UC_ARM_REG_R3]
            self.ret_reg = arm_const.UC_ARM_REG_R0
            self.stub = b"\x70\x47"                    # bx lr
        elif arch == "rv32imc":
            self.uc = unicorn.Uc(unicorn.UC_ARCH_RISCV, unicorn.UC_MODE_RISCV32)
            self.ws = 4
            self.arg_regs = [riscv_const.UC_RISCV_REG_A0, riscv_const.UC_RISCV_REG_A1,
                             riscv_const.UC_RISCV_REG_A2, riscv_const.UC_RISCV_REG_A3]
            self.ret_reg = riscv_const.UC_RISCV_REG_A0
            self.stub = b"\x67\x80\x00\x00"            # jalr x0, 0(ra)
        else:
            raise ValueError(arch)
        self.thumb = arch.startswith("arm")

    def word(self, addr):
        return int.from_bytes(self.uc.mem_read(addr, self.ws), "little")

    def put_word(self, addr, value):
        self.uc.mem_write(addr, (value & ((1 << (8 * self.ws)) - 1)).to_bytes(self.ws, "little"))


class NativeModule:
    """A loaded module: `call(name, *args)` runs one of its functions."""

    def __init__(self, data, max_instructions=2_000_000):
        self.arch, self.qstrs, text, self.bss_size, relocs = parse(data)
        self.m = m = Machine(self.arch)
        self.uc = uc = m.uc
        self.max_instructions = max_instructions
        self.text_size = len(text)
        for base, size in ((TEXT, 0x100000), (BSS, 0x100000), (TABLES, 0x10000), (STUBS, 0x1000),
                           (HEAP, 0x100000), (STACK, STACK_SIZE), (RETURN_MAGIC, 0x1000)):
            uc.mem_map(base, size)
        uc.mem_write(TEXT, bytes(text))
        self.qstr_ids = {}
        for i, q in enumerate(self.qstrs):
            qid = 1000 + i
            self.qstr_ids[qid] = q
            uc.mem_write(QSTR_TABLE + 2 * i, struct.pack("<H", qid))
        # function table: trap stubs, constants, fake types
        self.type_names = {}
        for k in range(N_SLOTS):
            uc.mem_write(STUBS + 16 * k, m.stub)
            value = STUBS + 16 * k + (1 if m.thumb else 0)
            if k in (0, 1, 2):
                value = (NONE, FALSE, TRUE)[k]
            elif k in TYPE_SLOTS:
                value = TYPES + 16 * (k - 73)
                self.type_names[value] = TYPE_SLOTS[k]
            m.put_word(FUN_TABLE + m.ws * k, value)
        self._apply_relocations(relocs)
        self.globals = {}
        self.names = {}
        self.heap_top = HEAP
        self.buffers = {}          # fake object address -> (data address, length, writable)
        self.shared = {}           # id(bytearray) -> (bytearray, fake object address)
        self.big_ints = {}         # fake object address -> Python int
        self.exception = None
        self.instructions = 0
        uc.hook_add(unicorn.UC_HOOK_CODE, self._on_stub, begin=STUBS, end=STUBS + 16 * N_SLOTS)
        # the init function receives the module's function object
        m.put_word(SELF_OBJ, 0)
        m.put_word(SELF_OBJ + m.ws, SELF_OBJ + 4 * m.ws)          # ->context
        m.put_word(SELF_OBJ + 5 * m.ws, 0xABC0)                   # context.module.globals
        result = self._run(TEXT, [SELF_OBJ, 0, 0, 0])
        assert result == NONE, "init returned 0x%x" % result

    def _apply_relocations(self, s):
        """The firmware loader's algorithm, over the raw stream."""
        m = self.m
        ptr = None
        while True:
            op = s.byte()
            if op == 0xFF:
                break
            if op & 1:
                at = s.uint()
                assert at & 1 == 0, "rodata relocation without rodata"
                ptr = TEXT + (at >> 1) * m.ws
            op >>= 1
            n = 1
            if op <= 5:
                if op & 1:
                    n = s.uint()
                dest = (TEXT, None, BSS)[op >> 1]
                assert dest is not None
            elif op == 6:
                dest = QSTR_TABLE
            elif op == 7:
                raise AssertionError("object table relocation")
            elif op == 8:
                dest = FUN_TABLE
            else:
                dest = m.word(FUN_TABLE + m.ws * (op - 9))
            for _ in range(n):
                assert TEXT <= ptr < TEXT + self.text_size, "relocation outside the text"
                m.put_word(ptr, m.word(ptr) + dest)
                ptr += m.ws
        assert s.pos == len(s.data), "bytes after the relocations"

    # ---- running code ---------------------------------------------------------

    def _run(self, addr, args):
        m, uc = self.m, self.uc
        sp = STACK + STACK_SIZE - 256
        for reg, value in zip(m.arg_regs, args):
            uc.reg_write(reg, value)
        if self.arch == "x64":
            sp -= 8
            uc.mem_write(sp, struct.pack("<Q", RETURN_MAGIC))
            uc.reg_write(x86_const.UC_X86_REG_RSP, sp)
        elif m.thumb:
            uc.reg_write(arm_const.UC_ARM_REG_SP, sp)
            uc.reg_write(arm_const.UC_ARM_REG_LR, RETURN_MAGIC | 1)
            addr |= 1
        else:
            uc.reg_write(riscv_const.UC_RISCV_REG_SP, sp)
            uc.reg_write(riscv_const.UC_RISCV_REG_RA, RETURN_MAGIC)
        self.exception = None
        uc.emu_start(addr, RETURN_MAGIC, count=self.max_instructions)
        if self.exception is not None:
            raise self.exception
        pc = uc.reg_read({"x64": x86_const.UC_X86_REG_RIP, "rv32imc": riscv_const.UC_RISCV_REG_PC}.get(
            self.arch, arm_const.UC_ARM_REG_PC))
        if pc & ~1 != RETURN_MAGIC:
            raise RuntimeError("%s: stopped at 0x%x (instruction limit?)" % (self.arch, pc))
        return uc.reg_read(m.ret_reg) & ((1 << (8 * m.ws)) - 1)

    def _raise(self, exc):
        self.exception = exc
        self.uc.emu_stop()

    def _on_stub(self, uc, address, size, user):
        slot = (address - STUBS) // 16
        m = self.m
        a = [uc.reg_read(r) for r in m.arg_regs]
        ret = None
        if slot == 3:       # native_from_obj(obj, type)
            ret = self._to_int(a[0], a[1])
        elif slot == 4:     # native_to_obj(value, type)
            ret = self._from_int(a[0], a[1])
        elif slot == 5:     # swap_globals
            ret = 0xABC0
        elif slot == 7:     # load_global(qstr)
            ret = self._new_name_obj(self.qstr_ids[a[0]])
        elif slot == 13:    # store_global(qstr, obj)
            self.globals[self.qstr_ids[a[0]]] = a[1]
        elif slot == 27:    # call_function_n_kw(fun, n, args): exception constructors
            args = [self._to_int(m.word(a[2] + m.ws * i), 2) for i in range(a[1] & 0xFF)]
            ret = self._new_name_obj("%s%r" % (self.names[a[0]], tuple(args)))
        elif slot == 34:    # raise(obj)
            return self._raise(MpyException(self.names.get(a[0], "?"), ""))
        elif slot == 44:    # arg_check_num_sig(n_args, n_kw, sig): raises on a mismatch
            problem = arg_check_problem(a[0], a[1], a[2])
            if problem:
                return self._raise(MpyException("TypeError", problem))
        elif slot == 55:    # raise_msg(type, msg)
            msg = bytes(uc.mem_read(a[1], 200)).split(b"\0")[0].decode()
            return self._raise(MpyException(self.names.get(a[0], "?"), msg))
        elif slot == 56:    # obj_get_type
            ret = TYPES
        elif slot == 65:    # get_buffer(obj, info, flags)
            if a[0] not in self.buffers or (a[2] & 2 and not self.buffers[a[0]][2]):
                if a[2] & 4:
                    return self._raise(MpyException("TypeError", "object with buffer protocol required"))
                ret = 0
            else:
                data, length, _ = self.buffers[a[0]]
                m.put_word(a[1], data)
                m.put_word(a[1] + m.ws, length)
                m.put_word(a[1] + 2 * m.ws, ord("B"))
                ret = 1
        else:
            return self._raise(RuntimeError("%s: unexpected function table slot %d" % (self.arch, slot)))
        if ret is not None:
            uc.reg_write(m.ret_reg, ret)



    def _new_name_obj(self, name):
        addr = self._alloc(16)
        self.names[addr] = name
        return addr

    def _alloc(self, n):
        addr = self.heap_top
        self.heap_top += (n + 15) & ~15
        return addr

    def _to_int(self, obj, typ):
        ws_bits = 8 * self.m.ws
        if obj & 1:
            v = obj if obj < (1 << (ws_bits - 1)) else obj - (1 << ws_bits)
            return (v >> 1) & ((1 << ws_bits) - 1)
        if obj in self.big_ints:
            return self.big_ints[obj] & ((1 << ws_bits) - 1)
        if obj in (TRUE, FALSE):
            return 1 if obj == TRUE else 0
        self._raise(MpyException("TypeError", "can't convert to int"))
        return 0

    def _from_int(self, value, typ):
        ws_bits = 8 * self.m.ws
        if typ == 2 and value & (1 << (ws_bits - 1)):
            value -= 1 << ws_bits
        small_lo, small_hi = -(1 << (ws_bits - 2)), 1 << (ws_bits - 2)
        if small_lo <= value < small_hi:
            return ((value << 1) | 1) & ((1 << ws_bits) - 1)
        addr = self._alloc(16)
        self.big_ints[addr] = value
        return addr

    # ---- the Python side ------------------------------------------------------------

    def obj(self, value):
        """Encode a Python int / bytes / bytearray / None as an object."""
        if value is None:
            return NONE
        if isinstance(value, int):
            return self._from_int(value & ((1 << (8 * self.m.ws)) - 1), 2)
        if isinstance(value, bytearray) and id(value) in self.shared:
            # the same bytearray again (e.g. a register map the module keeps): same memory
            addr = self.shared[id(value)][1]
            self.uc.mem_write(self.buffers[addr][0], bytes(value))
            return addr
        data = self._alloc(len(value) + 1)
        self.uc.mem_write(data, bytes(value))
        addr = self._alloc(16)
        self.buffers[addr] = (data, len(value), isinstance(value, bytearray))
        if isinstance(value, bytearray):
            self.shared[id(value)] = (value, addr)
        return addr

    def value(self, obj):
        if obj == NONE:
            return None
        if obj in self.big_ints:
            return self.big_ints[obj]
        if obj & 1:
            v = self._to_int(obj, 2)
            ws_bits = 8 * self.m.ws
            return v - (1 << ws_bits) if v & (1 << (ws_bits - 1)) else v
        raise AssertionError("unexpected result object 0x%x" % obj)

    def buffer_bytes(self, obj):
        data, length, _ = self.buffers[obj]
        return bytes(self.uc.mem_read(data, length))

    def call_slot(self, type_addr, name):
        """The call slot of a type object the module built (natmod/abi:
        mpy_obj_type_call_t): base, flags, name, 12 slot indexes, slots."""
        m = self.m
        if m.word(type_addr) != TYPES:
            raise AssertionError("%s: type 0x%x is not a type object" % (name, type_addr))
        index = bytes(self.uc.mem_read(type_addr + m.ws + 4 + CALL_SLOT_INDEX, 1))[0]
        if index == 0:
            raise AssertionError("%s: its type has no call slot" % name)
        slots = (type_addr + m.ws + 4 + 12 + m.ws - 1) & ~(m.ws - 1)
        return m.word(slots + m.ws * (index - 1))

    def call(self, name, *args):
        """Call a registered function; buffers passed as bytearray are copied back."""
        m = self.m
        fun = self.globals[name]
        type_name = self.type_names.get(m.word(fun))
        objs = [self.obj(a) for a in args]
        if type_name is None:
            # a type of the module's own: call its call slot (self, n_args, n_kw, args)
            code = self.call_slot(m.word(fun), name)
            argv = self._alloc(m.ws * max(1, len(objs)))
            for i, o in enumerate(objs):
                m.put_word(argv + m.ws * i, o)
            ret = self._run(code & ~1 if m.thumb else code, [fun, len(objs), 0, argv])
        elif type_name == "fun_builtin_var":
            sig = struct.unpack("<I", self.uc.mem_read(fun + m.ws, 4))[0]
            n_min, n_max = sig >> 17, (sig >> 1) & 0xFFFF
            if not n_min <= len(args) <= n_max:
                raise TypeError("%s takes %d..%d arguments" % (name, n_min, n_max))
            code = m.word(fun + 2 * m.ws)
            argv = self._alloc(m.ws * max(1, len(objs)))
            for i, o in enumerate(objs):
                m.put_word(argv + m.ws * i, o)
            ret = self._run(code & ~1 if m.thumb else code, [len(objs), argv])
        else:
            n = int(type_name[-1])
            if n != len(args):
                raise TypeError("%s takes %d arguments" % (name, n))
            code = m.word(fun + m.ws)
            ret = self._run(code & ~1 if m.thumb else code, objs)
        for value, addr in self.shared.values():   # the module may write any buffer it holds
            value[:] = self.buffer_bytes(addr)
        return self.value(ret)
