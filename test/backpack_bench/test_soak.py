"""``make soak`` on a short run: the report's shape and values (RSS samples after the warm-up, growth, tracemalloc
growth sites, the demo's settlement), and the growth-site ranking. No memory target is asserted."""
import asyncio
import json
import tracemalloc

import pytest

from backpack_bench import soak


def test_growth_sites_rank_source_lines_by_growth():
    tracemalloc.start(1)
    try:
        kept = []
        first = tracemalloc.take_snapshot()
        kept.append([bytearray(1024) for _ in range(200)])   # this line grows by ~200 KiB
        last = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    sites = soak.growth_sites(first, last, top=3)
    assert sites[0]["file"] == __file__ and sites[0]["size_diff"] >= 200 * 1024 and sites[0]["count_diff"] >= 200
    assert set(sites[0]) == {"file", "line", "size_diff", "count_diff", "size"}


@pytest.mark.e2e
def test_short_soak_writes_a_report_with_samples_growth_and_sites(tmp_path):
    path = tmp_path / "soak-report.json"
    report = asyncio.run(soak.run_soak(duration_s=20.0, warmup_s=5.0, interval_s=5.0, report_path=path,
                                       log_path=tmp_path / "soak.log", out=lambda _: None))
    assert json.loads(path.read_text()) == json.loads(json.dumps(report, default=str))
    samples = report["samples"]
    assert len(samples) >= 4 and samples[0]["t_s"] >= 4.5
    assert all(s["rss"] > 10 * soak.MIB and s["sandbox_rss"] > 10 * soak.MIB for s in samples)
    assert report["rss_first"] == samples[0]["rss"] and report["rss_last"] == samples[-1]["rss"]
    assert report["growth_pct"] == pytest.approx((samples[-1]["rss"] / samples[0]["rss"] - 1) * 100)
    assert report["met"] == (report["growth_pct"] <= 5.0)
    assert all(s["traced"] > 0 for s in samples)
    assert report["traced_growth"] == samples[-1]["traced"] - samples[0]["traced"]
    assert 0 < len(report["top_growth"]) <= soak.TOP_SITES
    assert report["orders_created"] > 0 and report["ledger_match"] is True
    assert any("RSS" in line for line in soak.summary(report))
