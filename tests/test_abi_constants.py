"""python/i2cperipheral/_abi.py mirrors the C headers, which are the source
of truth: every constant is checked against the header that defines it."""
import os
import re

from i2cperipheral import _abi

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HEADERS = ["natmod/engine/i2ct_engine.h", "natmod/i2ct_glue.h", "ports/sim/sim_port.h"]


def c_constants():
    values = {}
    for h in HEADERS:
        text = open(os.path.join(ROOT, h)).read()
        for name, value in re.findall(r"#define\s+I2CT_(\w+)\s+\(?(-?(?:0x)?[0-9A-Fa-f]+)u?\)?", text):
            values[name] = int(value, 0)
        for body in re.findall(r"enum\s*\{([^}]*)\}", text):
            counter = 0
            for item in body.split(","):
                item = re.sub(r"/\*.*?\*/", "", item, flags=re.S).strip()
                m = re.match(r"I2CT_(\w+)(?:\s*=\s*(\w+))?", item)
                if not m:
                    continue
                if m.group(2):
                    counter = int(m.group(2), 0)
                values[m.group(1)] = counter
                counter += 1
    return values


PY_TO_C = {
    "ABI_VERSION": "ABI_VERSION", "MAX_TARGETS": "MAX_TARGETS", "MAX_ADDRESSES": "MAX_ADDRESSES",
    "QUEUE_LEN": "QUEUE_LEN", "RX_SIZE": "RX_SIZE", "TX_SIZE": "TX_SIZE",
    "OPEN_SMBUS": "OPEN_SMBUS",
}


def c_name(py):
    if py in PY_TO_C:
        return PY_TO_C[py]
    if py.startswith("E_"):
        return "E" + py[2:]
    if py.startswith("CNT_"):
        return "CNT_" + py[4:]
    if py.startswith("CFG_"):
        return "CFG_" + py[4:]
    return py


def test_every_python_constant_matches_its_header():
    c = c_constants()
    checked = 0
    for name in dir(_abi):
        if not name.isupper() or name == "COUNTER_NAMES":
            continue
        assert c_name(name) in c, "%s has no I2CT_%s in the headers" % (name, c_name(name))
        assert getattr(_abi, name) == c[c_name(name)], name
        checked += 1
    assert checked >= 50


def test_every_header_value_is_mirrored():
    c = c_constants()
    mirrored = {c_name(n) for n in dir(_abi) if n.isupper()}
    for name in c:
        if name.startswith(("SEG_", "CNT_", "PORT_", "SIM_", "CFG_", "REG_", "E")) and \
                name not in ("SEG_REFUSING", "ENGINE_H") and not name.endswith("_H"):
            assert name in mirrored, "I2CT_%s is not in _abi.py" % name


def test_counter_names_cover_every_counter():
    assert len(_abi.COUNTER_NAMES) == _abi.CNT_COUNT
