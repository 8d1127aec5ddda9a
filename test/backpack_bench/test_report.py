"""Report arithmetic: summaries, pairwise ratios, table and JSON."""
import json

import pytest

from backpack_bench.report import Report, Row, pair_ratios, summary


def test_ratios_are_computed_pair_by_pair():
    ours, theirs = [1.0, 10.0, 4.0], [2.0, 30.0, 4.0]
    ratios = pair_ratios(theirs, ours)
    assert ratios == [2.0, 3.0, 1.0]
    # not the ratio of the medians (4 / 4 = 1.0): repeat i is compared with repeat i only
    assert summary(ratios)["median"] == 2.0


def test_pairing_needs_equal_lengths_and_no_zero():
    with pytest.raises(ValueError):
        pair_ratios([1.0, 2.0], [1.0])
    with pytest.raises(ValueError):
        pair_ratios([1.0], [0.0])


def test_summary_median_and_spread():
    s = summary([3, 1, 2, 10])
    assert (s["median"], s["min"], s["max"], s["n"]) == (2.5, 1.0, 10.0, 4)
    with pytest.raises(ValueError):
        summary([])


def test_report_files(tmp_path):
    report = Report(meta={"sizes": {"frames": 10}})
    ratio = summary(pair_ratios([30.0, 33.0], [10.0, 10.0]))
    report.add(Row("Depth", "µs/frame", summary([10.0, 10.0]), summary([30.0, 33.0]), summary([5.0, 6.0]),
                   "shipped/ours", ratio, "≥ 3× faster", ratio["median"] >= 3.0))
    report.add(Row("Ready", "s", summary([2.0]), summary([1.0]), ratio_label="ours/shipped",
                   ratio=summary([2.0]), target="≤ shipped", met=False))
    text = report.write(str(tmp_path / "r.json"), str(tmp_path / "r.md"))
    assert (tmp_path / "r.md").read_text() == text
    lines = text.splitlines()
    assert lines[2].startswith("| Depth (µs/frame) | 10.0 | 31.5 [30.0–33.0] | 5.50 [5.00–6.00] | shipped/ours 3.15×")
    assert "| yes |" in lines[2] and "| **no** |" in lines[3]
    data = json.loads((tmp_path / "r.json").read_text())
    assert [t["met"] for t in data["targets"]] == [True, False]
    assert data["rows"][0]["ratio"]["values"] == [3.0, 3.3]
