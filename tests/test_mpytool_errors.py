"""Bad input to `python -m tools.mpytool`: one clear line, exit status 1, no
traceback, and no output file left behind."""

import os

import pytest

from tests.natmod_fixtures import build

FIX = build.FIXTURES


@pytest.fixture(scope="module")
def objs(tmp_path_factory):
    d = str(tmp_path_factory.mktemp("bad"))
    out = {"dir": d}
    out["demo_x64"] = build.compile_c("x64", os.path.join(FIX, "demo_mod.c"), d)
    out["helper_x64"] = build.compile_c("x64", os.path.join(FIX, "demo_helper.c"), d)
    out["helper_arm"] = build.compile_c("armv7m", os.path.join(FIX, "demo_helper.c"), d)
    out["demo_arm"] = build.compile_c("armv7m", os.path.join(FIX, "demo_mod.c"), d)

    def write(name, text):
        p = os.path.join(d, name)
        with open(p, "w") as f:
            f.write(text)
        return p

    cc = build.arch_flags("x64")[0]
    nopic = [a for a in cc if a != "-fpic"] + ["-fno-pic", "-mcmodel=small"]
    import subprocess
    src = write("abs32.c", "int v; long get(void) { return (long)&v; }\n"
                           "void *mpy_init(void) { return (void *)get(); }\n")
    out["abs32_x64"] = os.path.join(d, "abs32.o")
    subprocess.run(nopic + ["-c", src, "-o", out["abs32_x64"]], check=True, cwd=build.ROOT)
    out["data_x64"] = build.compile_c("x64", write("data.c", "int counter = 5;\nint mpy_init(void) { return counter++; }\n"), d)
    out["dup_x64"] = build.compile_c("x64", write("dup.c", "int demo_helper_mix(int a, int b) { return a - b; }\n"), d)
    out["noinit_x64"] = build.compile_c("x64", write("noinit.c", "int not_init(void) { return 1; }\n"), d)
    out["hi20_rv"] = os.path.join(d, "hi20.o")
    rcc = build.arch_flags("rv32imc")[0]
    subprocess.run([a for a in rcc if a != "-fpic"] + ["-fno-pic", "-mcmodel=medlow", "-c",
                    write("hi20.c", "int v; int *mpy_init(void) { return &v; }\n"), "-o", out["hi20_rv"]],
                   check=True, cwd=build.ROOT)
    out["text_file"] = write("notelf.o", "this is not an object file\n")
    return out


def _fails(args, objs, message, out_name="out.mpy", existing=False):
    out = os.path.join(objs["dir"], out_name)
    if existing:
        with open(out, "wb") as f:
            f.write(b"stale")
    elif os.path.exists(out):
        os.unlink(out)
    r = build.mpytool(*(["link", "-o", out] + args))
    assert r.returncode == 1, r
    assert "Traceback" not in r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("mpytool: error: "), r.stderr
    assert message in lines[0], lines[0]
    assert not os.path.exists(out), "output left behind"
    leftovers = [f for f in os.listdir(objs["dir"]) if f.startswith(".mpytool-")]
    assert leftovers == []
    return lines[0]


def test_not_an_elf(objs):
    _fails(["--arch", "x64", objs["text_file"]], objs, "not an ELF file")


def test_missing_file(objs):
    _fails(["--arch", "x64", os.path.join(objs["dir"], "nope.o")], objs, "cannot read")


def test_wrong_machine(objs):
    _fails(["--arch", "x64", objs["helper_arm"]], objs, "machine EM_ARM does not match --arch x64")


def test_wrong_arm_word_size(objs):
    _fails(["--arch", "armv7m", objs["helper_x64"]], objs, "EM_X86_64")


def test_undefined_symbol(objs):
    line = _fails(["--arch", "x64", "--bss-in-text", objs["demo_x64"]], objs, "undefined symbol")
    assert "demo_helper_mix" in line and "demo_mod" in line


def test_missing_init(objs):
    _fails(["--arch", "x64", objs["noinit_x64"]], objs, "entry function mpy_init not found")


def test_text_too_large(objs):
    _fails(["--arch", "armv7m", "--max-text", "64", objs["demo_arm"], objs["helper_arm"],
            "--lib", build.arch_flags("armv7m")[2]], objs, "text too large")


def test_stale_output_removed_on_failure(objs):
    _fails(["--arch", "x64", objs["text_file"]], objs, "not an ELF", existing=True)


def test_unsupported_relocation_named(objs):
    line = _fails(["--arch", "x64", objs["abs32_x64"]], objs, "unsupported relocation R_X86_64_32")
    assert "-fpic" in line


def test_riscv_absolute_relocation_named(objs):
    line = _fails(["--arch", "rv32imc", objs["hi20_rv"]], objs, "unsupported relocation R_RISCV_HI20")
    assert " v" in line or "against v" in line


def test_initialised_data_rejected(objs):
    _fails(["--arch", "x64", objs["data_x64"]], objs, "initialised writable data")


def test_static_bss_needs_got_or_flag(objs):
    line = _fails(["--arch", "x64", objs["demo_x64"], objs["helper_x64"]], objs, "PC-relative")
    assert "counter_state" in line and "--bss-in-text" in line


def test_duplicate_symbol(objs):
    _fails(["--arch", "x64", "--bss-in-text", objs["demo_x64"], objs["helper_x64"], objs["dup_x64"]],
           objs, "duplicate symbol demo_helper_mix")


def test_unknown_arch_is_a_usage_error(objs):
    r = build.mpytool("link", "-o", os.path.join(objs["dir"], "x.mpy"), "--arch", "z80", objs["helper_x64"])
    assert r.returncode == 2 and "invalid choice" in r.stderr and "Traceback" not in r.stderr


def test_dump_of_a_non_mpy(objs):
    r = build.mpytool("dump", objs["text_file"])
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert r.stderr.startswith("mpytool: error: ") and "not a .mpy" in r.stderr


def test_dump_of_a_truncated_mpy(objs, tmp_path):
    out = str(tmp_path / "ok.mpy")
    build.link("x64", [objs["demo_x64"], objs["helper_x64"]], out, ["--bss-in-text"])
    with open(out, "rb") as f:
        data = f.read()
    bad = tmp_path / "bad.mpy"
    bad.write_bytes(data[:len(data) // 2])
    r = build.mpytool("dump", str(bad))
    assert r.returncode == 1 and "truncated" in r.stderr and "Traceback" not in r.stderr
    r = build.mpytool("dump", out)
    assert r.returncode == 0 and "arch:        x64" in r.stdout and "PROBLEM" not in r.stdout
