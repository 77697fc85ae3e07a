"""Smoke run of the benchmark (tiny repeat counts): it runs end to end and its
output parses.  No timing is asserted."""
import re

import pytest

from bench import __main__ as bench_main
from bench import chips, host


@pytest.fixture(scope="module")
def report():
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
        rows.update({"ours_%s_us" % key: [2.1, 4.2], "lean_%s_us" % key: [1.1, 2.2],
                     "peer_%s_us" % key: [3.1, 6.2], "src_%s_us" % key: [0.1, 0.2],
                     "sim_%s_us" % key: [5.0, 10.0], "steps_%s" % key: [2.0, 2.0]})
    f = host.request_figures(rows)
    assert f["w1"]["ours"]["median"] == pytest.approx(10.0)
    assert f["w1"]["peer_vs_ours"]["median"] == pytest.approx(3.0)
    assert f["w1"]["req_per_s"]["max"] == pytest.approx(1e6)


def test_micropython_failure_is_reported(monkeypatch):
    monkeypatch.setattr(host.shutil, "which", lambda name: None)
    with pytest.raises(RuntimeError, match="micropython"):
        host.micropython_requests(1, 1)
