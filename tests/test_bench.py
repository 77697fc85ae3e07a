"""Smoke run of the benchmark (tiny repeat counts): it runs end to end, its
output parses and the chip figures come from the shipped .mpy files.  No
timing is asserted."""
import os
import re
import subprocess

import pytest

from bench import __main__ as bench_main
from bench import chips, host
from tests.chips import mpy_loader


@pytest.fixture(scope="module")
def report():
    # the chip figures are measured on dist/<arch>_6.3/i2ct_<chip>.mpy (make is incremental)
    subprocess.run(["make", "-s", "-C", bench_main.REPO, "natmod"], check=True)
    return bench_main.collect(smoke=True)


def test_every_chip_with_a_model_is_measured(report):
    names = [c["chip"] for c in report["chips"]]
    assert names[:4] == ["samd51", "samd21", "rp2040", "rp2350"]
    assert names == [n for n, _, _ in chips.available()]
    for c in report["chips"]:
        for key in ("reg_in", "reg_out", "req_in", "req_out"):
            assert 0 < c[key]["mean"] <= c[key]["max"], (c["chip"], key)
        assert c["worst"]["median"] >= c["reg_in"]["max"] or c["reg_in"]["max"] > 0
        assert c["ram"]["engine"] > 0 and c["ram"]["instance"] > c["ram"]["engine"]
        assert c["ram"]["total"] == c["mpy_bss"] > 2 * c["ram"]["instance"]
        for key in ("reg_in", "reg_out", "req_in", "req_out"):
            tb = c["test_build"][key]
            assert 0 < tb["mean"] <= tb["max"], (c["chip"], "test build", key)


def test_chip_figures_are_measured_on_the_shipped_mpy(report):
    for c in report["chips"]:
        path = mpy_loader.mpy_path(c["chip"])
        assert c["mpy"] == os.path.relpath(path, bench_main.REPO)
        with open(path, "rb") as f:
            _, _, text, bss, _ = mpy_loader.L.parse(f.read())
        assert (c["mpy_text"], c["mpy_bss"]) == (len(text), bss), c["chip"]


def test_load_mpy_sends_the_glue_calls_to_the_module():
    name, _, factory = chips.available()[0]
    chip = factory()
    glue = chip.load_mpy(chips.mpy_of(name))
    assert chip.open == glue.open and chip.call == glue.call
    chip.open_board([0x50])
    assert chip.set_regmap(0, 0x50, 16)[1] == 0
    n = (chip.cfg["n_vectors"] - 16)
    assert any(glue.handler_in_text(irq) for irq in range(n)), "no vector into the module text"
    chip.close(0)
    assert not any(glue.handler_in_text(irq) for irq in range(n))


def test_missing_mpy_names_the_file_and_the_fix(monkeypatch):
    monkeypatch.setattr(mpy_loader, "mpy_path", lambda chip: "/nonexistent/i2ct_%s.mpy" % chip)
    with pytest.raises(FileNotFoundError, match=r"samd51: no .*i2ct_samd51\.mpy .*make natmod"):
        chips.mpy_of("samd51")


def test_request_figures_have_every_round_trip(report):
    q = report["requests"]
    for key in ("w1", "w32", "r1", "r32"):
        for fig in ("ours", "ours_raw", "lean", "sim", "peer", "peer_vs_ours", "req_per_s"):
            d = q[key][fig]
            assert d["min"] <= d["median"] <= d["max"] and d["n"] == 2, (key, fig)
        assert q[key]["steps"] >= 1


def test_ctypes_and_sizes(report):
    assert report["ctypes"]["bytes_per_s"]["median"] > 0
    assert report["ctypes"]["noop_us"]["n"] == 1
    ports = {m["port"] for m in report["mpy"]}
    assert "sim" in ports
    for m in report["mpy"]:
        assert m["error"] or 0 < m["text"] < m["bytes"]


def test_markdown_tables_parse(report):
    md = bench_main.markdown(report)
    assert re.search(r"^- commit: `[0-9a-f]+`", md, re.M)
    assert re.search(r"^- date: \d{4}-\d\d-\d\d", md, re.M)
    assert "- machine: " in md
    tables = [b for b in md.split("\n\n") if b.startswith("| ")]
    assert len(tables) >= 6
    for t in tables:
        rows = [r for r in t.splitlines()]
        width = rows[0].count("|")
        assert rows[1].startswith("|---")
        for r in rows[2:]:
            assert r.count("|") == width, r
    for c in report["chips"]:
        assert c["label"] in md


def test_spread_and_ratio_math():
    s = host.spread([3.0, 1.0, 2.0])
    assert s == {"median": 2.0, "min": 1.0, "max": 3.0, "n": 3}
    rows = {"empty_us": [0.1, 0.2]}
    for key in ("w1", "w32", "r1", "r32"):
        rows.update({"ours_%s_us" % key: [2.1, 4.2], "queued_%s_us" % key: [1.6, 3.2],
                     "lean_%s_us" % key: [1.1, 2.2],
                     "peer_%s_us" % key: [3.1, 6.2], "src_%s_us" % key: [0.1, 0.2],
                     "sim_%s_us" % key: [5.0, 10.0], "steps_%s" % key: [2.0, 2.0]})
    f = host.request_figures(rows)
    assert f["w1"]["ours"]["median"] == pytest.approx(10.0)
    assert f["w1"]["queued"]["median"] == pytest.approx(5.0)
    assert f["w1"]["peer_vs_ours"]["median"] == pytest.approx(3.0)
    assert f["w1"]["req_per_s"]["max"] == pytest.approx(1e6)


def test_micropython_failure_is_reported(monkeypatch):
    monkeypatch.setattr(host.shutil, "which", lambda name: None)
    with pytest.raises(RuntimeError, match="micropython"):
        host.micropython_requests(1, 1)
