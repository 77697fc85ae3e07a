"""Cross-compile C sources into one fixed-address ELF for the emulator.

Generic: any chip driver + the engine + the glue.  Results are cached by the
hash of sources, headers and flags, so a test session compiles each
configuration once.
"""
import hashlib
import os
import shutil
import subprocess

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD_DIR = os.environ.get("I2CT_CHIP_BUILD", "/tmp/i2ct_chip_build")

# natmod arch -> gcc flags (the same code generation the .mpy files use)
ARCH_FLAGS = {
    "armv6m": ["-mthumb", "-mcpu=cortex-m0plus"],
    "armv7m": ["-mthumb", "-mcpu=cortex-m3"],
    "armv7emsp": ["-mthumb", "-mcpu=cortex-m4", "-mfpu=fpv4-sp-d16", "-mfloat-abi=hard"],
}

COMMON_CFLAGS = ["-std=c99", "-Os", "-Wall", "-Wextra", "-Werror", "-ffreestanding",
                 "-fno-common", "-ffunction-sections", "-fdata-sections", "-fno-builtin"]

LINKER_SCRIPT = """
SECTIONS {
  . = 0x%08x;
  .text : { *(.text*) *(.rodata*) }
  . = ALIGN(4);
  .data : { *(.data*) }
  . = ALIGN(4);
  .bss (NOLOAD) : { *(.bss*) *(COMMON) }
  /DISCARD/ : { *(.ARM.exidx*) *(.ARM.attributes) *(.comment) }
}
"""


def gcc():
    path = shutil.which("arm-none-eabi-gcc")
    if not path:
        raise RuntimeError("arm-none-eabi-gcc is not installed")
    return path


def _digest(parts):
    h = hashlib.sha256()
    for p in parts:
        h.update(p if isinstance(p, bytes) else str(p).encode())
        h.update(b"\0")
    return h.hexdigest()[:16]


def _headers_near(sources):
    seen = set()
    for src in sources:
        for d in {os.path.dirname(src), os.path.join(REPO, "natmod"),
                  os.path.join(REPO, "natmod", "engine")}:
            for name in sorted(os.listdir(d)):
                if name.endswith(".h"):
                    seen.add(os.path.join(d, name))
    return sorted(seen)


def build_elf(name, sources, arch, defines=(), base=0x20010000):
    """Compile `sources` for `arch` and link them at `base`; returns the ELF path.

    Links with -nostdlib plus libgcc (the armv6m engine needs its divide
    helper, as a natmod would)."""
    sources = [os.path.abspath(s) for s in sources]
    flags = ARCH_FLAGS[arch] + COMMON_CFLAGS + ["-D" + d for d in defines]
    parts = [name, arch, base] + flags
    for path in sources + _headers_near(sources):
        with open(path, "rb") as f:
            parts += [path, f.read()]
    out_dir = os.path.join(BUILD_DIR, "%s-%s" % (name, _digest(parts)))
    elf = os.path.join(out_dir, name + ".elf")
    if os.path.exists(elf):
        return elf
    tmp_dir = out_dir + ".tmp%d" % os.getpid()
    os.makedirs(tmp_dir, exist_ok=True)
    objs = []
    for src in sources:
        obj = os.path.join(tmp_dir, os.path.basename(src) + ".o")
        subprocess.run([gcc()] + flags + ["-c", src, "-o", obj], check=True,
                       capture_output=True, text=True)
        objs.append(obj)
    script = os.path.join(tmp_dir, "link.ld")
    with open(script, "w") as f:
        f.write(LINKER_SCRIPT % base)
    subprocess.run([gcc()] + ARCH_FLAGS[arch] + ["-nostdlib", "-T", script,
                   "-Wl,--no-warn-rwx-segments", "-Wl,-e,0"] + objs
                   + ["-lgcc", "-o", os.path.join(tmp_dir, name + ".elf")],
                   check=True, capture_output=True, text=True)
    try:
        os.rename(tmp_dir, out_dir)
    except OSError:
        shutil.rmtree(tmp_dir, ignore_errors=True)  # another process won the race
    return elf


def disassemble(elf):
    objdump = gcc().replace("gcc", "objdump")
    return subprocess.run([objdump, "-d", elf], check=True, capture_output=True,
                          text=True).stdout


# 32-bit Thumb instructions an ARMv6-M core does implement.
ARMV6M_WIDE_OK = {"bl", "mrs", "msr", "dsb", "dmb", "isb", "udf.w"}


def armv6m_violations(elf):
    """Wide (32-bit) instructions an ARMv6-M core would fault on.

    unicorn's Cortex-M0 model executes Thumb-2 anyway, so this is checked on
    the disassembly instead."""
    bad = []
    for line in disassemble(elf).splitlines():
        parts = line.split("\t")
        if len(parts) < 3 or not parts[0].strip().endswith(":"):
            continue
        code = parts[1].strip().split()
        mnemonic = parts[2].strip().split()[0] if parts[2].strip() else ""
        if mnemonic.startswith("."):
            continue  # literal pool data
        if len(code) == 2 and all(len(c) == 4 for c in code):
            if mnemonic not in ARMV6M_WIDE_OK:
                bad.append(line.strip())
    return bad
