"""``make soak`` on a short run: the report's shape and values (RSS samples after the warm-up, fitted growth,
tracemalloc growth sites, glibc's figures, the demo's settlement), and the pieces: growth-site ranking (by line and
by stack), type counts, the least-squares growth. No memory target is asserted."""
import asyncio
import ctypes
import json
import tracemalloc
from pathlib import Path

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


def _allocate():
    return [bytearray(1024) for _ in range(200)]


def test_growth_sites_with_more_frames_group_by_stack_allocating_frame_first():
    tracemalloc.start(4)
    try:
        kept = []
        first = tracemalloc.take_snapshot()
        kept.append(_allocate())   # the caller line of the stack
        last = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    top = soak.growth_sites(first, last, top=3)[0]
    assert top["file"] == __file__ and top["size_diff"] >= 200 * 1024
    assert top["line"] == _allocate.__code__.co_firstlineno + 1
    assert top["stack"][0] == f"{__file__}:{top['line']}" and len(top["stack"]) > 1
    assert top["stack"][1].startswith(f"{__file__}:")


class _Kept:
    pass


def test_type_growth_ranks_types_by_object_count_growth():
    first = soak.type_counts()
    kept = [_Kept() for _ in range(500)]
    last = soak.type_counts()
    growth = soak.type_growth(first, last, top=50)
    row = next(g for g in growth if g["type"] == f"{__name__}._Kept")
    assert row["count_diff"] == 500 and row["count"] >= 500 and len(kept) == 500
    assert growth == sorted(growth, key=lambda g: -g["count_diff"]) and all(g["count_diff"] > 0 for g in growth)
    assert soak.type_growth({"a": 3, "b": 1}, {"a": 1, "b": 4, "c": 2}) == [
        {"type": "b", "count_diff": 3, "count": 4}, {"type": "c", "count_diff": 2, "count": 2}]


def test_growth_is_the_least_squares_line_not_the_last_sample():
    """One high sample at the end (a transient) moved the old last ÷ first growth; the fitted line barely moves."""
    mib = soak.MIB
    flat = [{"t_s": 60.0 * i, "rss": 100 * mib} for i in range(31)]
    spike = flat[:-1] + [{"t_s": 1800.0, "rss": 110 * mib}]
    assert soak.fitted_growth_pct(flat) == pytest.approx(0.0)
    assert soak.fitted_growth_pct(spike) < 2.5   # last ÷ first says +10 %
    steady = [{"t_s": 300.0 + 60 * i, "rss": (200 + 0.5 * i) * mib, "traced": None} for i in range(31)]
    assert soak.fitted_growth_pct(steady) == pytest.approx(15 / 200 * 100)
    assert soak.slope_per_min(steady, "rss") == pytest.approx(0.5)
    assert soak.slope_per_min(steady, "traced") is None


def test_malloc_info_reads_glibc_totals_that_follow_allocations():
    if soak._LIBC is None:
        pytest.skip("not glibc")
    before = soak.malloc_info()
    block = ctypes.create_string_buffer(64 * 1024 * 1024)   # above the mmap threshold: its own mapping
    during = soak.malloc_info()
    assert during["malloc_mmap"] >= before["malloc_mmap"] + 64 * 1024 * 1024 and len(block) > 0
    assert all(isinstance(during[k], int) for k in ("malloc_in_use", "malloc_free", "malloc_mmap"))
    assert soak.malloc_trim() in (True, False)


@pytest.mark.e2e
def test_short_soak_writes_a_report_with_samples_growth_and_sites(tmp_path):
    path = tmp_path / "soak-report.json"
    # A faster background flow than the demo's: the run is short, and on a loaded machine the strategy's first
    # quotes can rest for only part of it; the report must still show a fill to be judged like the demo.
    report = asyncio.run(soak.run_soak(duration_s=25.0, warmup_s=5.0, interval_s=5.0, report_path=path,
                                       log_path=tmp_path / "soak.log", out=lambda _: None, types=True,
                                       sandbox_args=["--flow-pace", "4"]))
    assert json.loads(path.read_text()) == json.loads(json.dumps(report, default=str))
    samples = report["samples"]
    assert len(samples) >= 4 and samples[0]["t_s"] >= 4.5
    assert all(s["rss"] > 10 * soak.MIB and s["sandbox_rss"] > 10 * soak.MIB for s in samples)
    assert report["rss_first"] == samples[0]["rss"] and report["rss_last"] == samples[-1]["rss"]
    assert report["growth_pct"] == pytest.approx(soak.fitted_growth_pct(samples))
    assert report["growth_last_first_pct"] == pytest.approx((samples[-1]["rss"] / samples[0]["rss"] - 1) * 100)
    assert report["rss_slope_mib_per_min"] == pytest.approx(soak.slope_per_min(samples, "rss"))
    assert all(s["tracing_overhead"] > 0 for s in samples) and report["malloc_env"] == soak.malloc_env()
    if soak._LIBC is not None:
        assert all(s["malloc_in_use"] > 0 for s in samples) and report["rss_after_trim"] > 10 * soak.MIB
    assert report["met"] == (report["growth_pct"] <= 5.0)
    assert all(s["traced"] > 0 for s in samples)
    assert report["traced_growth"] == samples[-1]["traced"] - samples[0]["traced"]
    assert 0 < len(report["top_growth"]) <= soak.TOP_SITES
    assert report["orders_created"] > 0 and report["ledger_match"] is True
    assert any("RSS" in line for line in soak.summary(report))
    assert report["type_growth"] and all(t["count_diff"] > 0 for t in report["type_growth"])
    assert soak.soak_failed(report) is None


@pytest.mark.e2e
def test_soak_bisect_knobs_no_strategy_no_tracing_extra_sandbox_args(tmp_path):
    report = asyncio.run(soak.run_soak(duration_s=10.0, warmup_s=5.0, interval_s=5.0,
                                       report_path=tmp_path / "soak-report.json", log_path=tmp_path / "soak.log",
                                       out=lambda _: None, frames=0, strategy=False, sandbox_args=["--no-flow"]))
    assert report["strategy"] is None and report["orders_created"] == 0 and report["sandbox_args"][-1] == "--no-flow"
    assert all(s["traced"] is None for s in report["samples"]) and report["traced_growth"] is None
    assert report["top_growth"] == [] and "type_growth" not in report and not tracemalloc.is_tracing()
    assert soak.soak_failed(report) is None   # no strategy: only the ledger counts
    assert any("no strategy" in line for line in soak.summary(report))


def _image_env(path):
    text = path.read_text(encoding="utf-8")
    return dict(line[4:].strip().split("=", 1) for line in text.splitlines() if line.startswith("ENV MALLOC_"))


def test_make_soak_and_the_deploy_images_run_glibc_malloc_with_a_fixed_mmap_threshold():
    """With glibc's dynamic mmap threshold the demo's RSS grew ~0.8 MiB/min for as long as it ran: freed chunks
    (``mallinfo2`` free) grew by as much while allocated memory and traced Python memory stayed flat, and a fixed
    threshold (``MALLOC_MMAP_THRESHOLD_``) kept RSS flat. The images and ``make client`` set it; ``make soak`` measures
    the same."""
    repo = Path(__file__).resolve().parents[2]
    bot, api = (_image_env(repo / "deploy" / f"{kind}.Dockerfile") for kind in ("bot", "api"))
    assert bot == api == {"MALLOC_MMAP_THRESHOLD_": "131072"}
    makefile = (repo / "Makefile").read_text(encoding="utf-8")
    for target, module in (("soak", "backpack_bench.soak"), ("client", "backpack_client")):  # a long-lived bot
        recipe = makefile.split(f"\n{target}:", 1)[1].splitlines()[1].split()
        assert recipe[recipe.index("$(PY)") + 2] == module
        assert dict(word.split("=", 1) for word in recipe[:recipe.index("$(PY)")]) == bot, target


def test_malloc_env_is_the_processs_glibc_settings(monkeypatch):
    monkeypatch.setenv("MALLOC_MMAP_THRESHOLD_", "131072")
    monkeypatch.setenv("NOT_MALLOC_X", "1")
    env = soak.malloc_env()
    assert env["MALLOC_MMAP_THRESHOLD_"] == "131072" and "NOT_MALLOC_X" not in env
