"""Linker unit tests: small hand-made C objects per architecture and
relocation kind, linked by tools/mpytool and executed by the unicorn
stand-in loader (tests/natmod_fixtures/emu_loader.py)."""

import os

import pytest
from elftools.elf.elffile import ELFFile

from tests.natmod_fixtures import build
from tests.natmod_fixtures.emu_loader import MpyException, NativeModule
from tools.mpytool import inspect, mpyformat
from tools.mpytool.arch import ARCHES

FIX = build.FIXTURES

# arch -> (probe source, {probe: expected}, relocation types the objects must contain).
# Probes are called in sorted order; probe_global_var carries over between them.
PROBES = {
    "x64": ("reloc_x64.c", {"k_plt32": 427, "k_pc32": 405, "k_gotpcrelx": 42, "k_abs64": 42, "k_fptr": 1},
            {"R_X86_64_64", "R_X86_64_PC32", "R_X86_64_PLT32", "R_X86_64_REX_GOTPCRELX"}),
    "armv6m": ("reloc_arm.c", {"k_abs32": 1011, "k_thm_call": 10087, "k_jump24": 10057, "k_jump11": 42,
                               "k_jump8": 43, "k_rel32": 45, "k_static_bss": 10, "k_jump19": 44},
               {"R_ARM_ABS32", "R_ARM_THM_CALL", "R_ARM_THM_JUMP11", "R_ARM_THM_JUMP8", "R_ARM_REL32"}),
    "armv7m": ("reloc_arm.c", {"k_abs32": 1011, "k_thm_call": 10087, "k_jump24": 10057, "k_jump11": 42,
                               "k_jump8": 43, "k_rel32": 45, "k_static_bss": 10, "k_jump19": 44},
               {"R_ARM_ABS32", "R_ARM_THM_CALL", "R_ARM_THM_JUMP24", "R_ARM_THM_JUMP11",
                "R_ARM_THM_JUMP8", "R_ARM_THM_JUMP19", "R_ARM_REL32"}),
    "armv7emsp": ("reloc_arm.c", {"k_abs32": 1011, "k_thm_call": 10087, "k_jump24": 10057, "k_jump11": 42,
                                  "k_jump8": 43, "k_rel32": 45, "k_static_bss": 10, "k_jump19": 44},
                  {"R_ARM_ABS32", "R_ARM_THM_CALL", "R_ARM_THM_JUMP24", "R_ARM_THM_JUMP19"}),
    "rv32imc": ("reloc_riscv.c", {"k_call": 37, "k_got": 501, "k_pcrel_i": 13, "k_pcrel_s": 154,
                                  "k_abs32": 17, "k_branch": 531, "k_jal": 52, "k_addsub": 1,
                                  "k_pcrel32": 52, "k_store_s": 100, "k_loop": 79},
                {"R_RISCV_32", "R_RISCV_CALL_PLT", "R_RISCV_GOT_HI20", "R_RISCV_PCREL_HI20",
                 "R_RISCV_PCREL_LO12_I", "R_RISCV_PCREL_LO12_S", "R_RISCV_BRANCH", "R_RISCV_JAL",
                 "R_RISCV_RVC_JUMP", "R_RISCV_ADD32", "R_RISCV_SUB32"}),
}


def _reloc_types(path, arch):
    with open(path, "rb") as f:
        elf = ELFFile(f)
        found = set()
        for sec in elf.iter_sections():
            if sec.header["sh_type"] in ("SHT_REL", "SHT_RELA"):
                for r in sec.iter_relocations():
                    found.add(ARCHES[arch].machine.type_name(r["r_info_type"]))
        return found


@pytest.fixture(scope="module", params=sorted(PROBES))
def probe(request, tmp_path_factory):
    arch = request.param
    source, expected, kinds = PROBES[arch]
    d = str(tmp_path_factory.mktemp("probe_" + arch))
    objs = [build.compile_c(arch, os.path.join(FIX, source), d),
            build.compile_c(arch, os.path.join(FIX, "reloc_other.c"), d)]
    out = build.link(arch, objs, os.path.join(d, "probe.mpy"))
    with open(out, "rb") as f:
        data = f.read()
    return arch, objs, data, expected, kinds


def test_objects_contain_the_relocation_kinds(probe):
    arch, objs, _, _, kinds = probe
    found = set().union(*(_reloc_types(o, arch) for o in objs))
    assert kinds <= found, "fixture no longer produces %s" % sorted(kinds - found)


def test_every_probe_computes_its_value(probe):
    arch, _, data, expected, _ = probe
    module = NativeModule(data)
    assert sorted(module.globals) == sorted(expected)
    got = {name: module.call(name) for name in sorted(expected)}
    assert got == expected


def test_linked_module_reads_back_clean(probe):
    arch, _, data, expected, _ = probe
    m = mpyformat.read_mpy(data)
    assert m.arch_name == arch
    assert inspect.check(m) == []
    assert m.qstrs[0] == "probe.mpy" and set(m.qstrs[1:]) == set(expected)
    entry = inspect.entry_offset(m)
    assert 0 < entry <= 8


@pytest.fixture(scope="module", params=build.ARCHES)
def demo(request, tmp_path_factory):
    arch = request.param
    d = str(tmp_path_factory.mktemp("demo_" + arch))
    objs = [build.compile_c(arch, os.path.join(FIX, f), d) for f in ("demo_mod.c", "demo_helper.c")]
    ld = ["--bss-in-text"] if arch in ("x64", "rv32imc") else []
    return arch, build.link(arch, objs, os.path.join(d, "_demo.mpy"), ld)


def test_demo_module_behaves_the_same_on_every_arch(demo):
    arch, path = demo
    with open(path, "rb") as f:
        m = NativeModule(f.read())
    buf = bytearray(10)
    assert m.call("add", 2, 5) == 11
    assert [m.call("count"), m.call("count")] == [1001, 2001]
    assert m.call("fill", buf, 1) == 10 and list(buf) == [2, 3, 4, 6, 9, 14, 22, 35, 2, 3]
    assert [m.call("sum", bytes(buf)), m.call("sum", buf, 2), m.call("sum", buf, 0, 10, 3)] == [100, 95, 33]
    assert m.call("divide", 1000, 7) == 6142           # armv6m: __aeabi_uidivmod from libgcc
    assert m.call("big") == 0xFFFFFFF0
    assert [m.call("pick", i) for i in range(-1, 9)] == [-1, 11, 23, 37, 41, 59, 67, 73, 89, -1]
    assert m.call("fail", 0) is None
    with pytest.raises(MpyException) as e:
        m.call("fail", 1)
    assert (e.value.type_name, e.value.message) == ("ValueError", "demo failure requested")


def test_unreferenced_sections_are_dropped(tmp_path):
    arch = "armv7m"
    src = tmp_path / "gc.c"
    src.write_text('#include "tests/natmod_fixtures/reloc_common.h"\n'
                   "#define Q(X) X(k)\nMPY_DEFINE_QSTRS(Q);\n"
                   "int unused_big(int x) { volatile int a[64]; for (int i = 0; i < 64; i++) a[i] = x * i; return a[x & 63]; }\n"
                   "PROBE(k, 5)\nPROBE_INIT(Q)\n")
    obj = build.compile_c(arch, str(src), str(tmp_path))
    out = build.link(arch, [obj], str(tmp_path / "gc.mpy"))
    with open(out, "rb") as f:
        m = mpyformat.read_mpy(f.read())
    assert len(m.text) < 200
    with open(out, "rb") as f:
        assert NativeModule(f.read()).call("k") == 5


@pytest.mark.parametrize("arch", build.ARCHES)
def test_far_entry_gets_a_long_jump(arch, tmp_path):
    """Without -ffunction-sections mpy_init sits deep inside one .text."""
    d = str(tmp_path)
    flags = ["-fno-function-sections", "-fno-data-sections"]
    objs = [build.compile_c(arch, os.path.join(FIX, f), d, flags) for f in ("demo_mod.c", "demo_helper.c")]
    ld = ["--bss-in-text"] if arch in ("x64", "rv32imc") else []
    out = build.link(arch, objs, os.path.join(d, "far.mpy"), ld)
    with open(out, "rb") as f:
        data = f.read()
    m = mpyformat.read_mpy(data)
    assert inspect.entry_offset(m) > 64 and inspect.check(m) == []
    assert NativeModule(data).call("divide", 1000, 7) == 6142
