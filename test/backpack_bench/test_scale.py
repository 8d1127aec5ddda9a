"""Pairs per core: quantiles, the book-reading strategy, and one short end-to-end run of both connectors tracking
three streaming sandbox markets. No timing is asserted."""
import asyncio
import math

import pytest

from backpack_bench import scale
from backpack_bench.upstream import upstream_dir


def test_quantile():
    values = [float(i) for i in range(1, 101)]
    assert scale.quantile(values, 0.5) == pytest.approx(50.5)
    assert scale.quantile(values, 0.99) == pytest.approx(99.01)
    assert scale.quantile([7.0], 0.99) == 7.0


@pytest.mark.e2e
@pytest.mark.skipif(not (upstream_dir() / "backpack_exchange.py").is_file(),
                    reason="the shipped connector is not installed")
def test_scale_run_measures_cpu_per_depth_frame_and_tick_lag_of_both_connectors():
    results = asyncio.run(scale.run_scale([3], warmup_s=1.0, measure_s=3.0, depth_rate=10.0, log=lambda _: None))
    for kind in ("ours", "upstream"):
        run = results["3"][kind]
        assert run["depth_frames"] > 0 and run["cpu_s_per_1000"] > 0
        assert run["ticks"] >= 10                        # 3 s at 0.1 s ticks, the strategy read every book
        assert all(math.isfinite(run[k]) and run[k] >= 0 for k in ("lag_p50_ms", "lag_p99_ms", "lag_max_ms"))
        assert run["lag_p50_ms"] <= run["lag_p99_ms"] <= run["lag_max_ms"]
