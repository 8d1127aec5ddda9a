"""Round trip and ready time against a sandbox child, tiny sizes (end to end: real sockets, both connectors)."""
import asyncio

import pytest

from backpack_bench import live, ready, roundtrip
from backpack_bench.upstream import upstream_dir

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(not (upstream_dir() / "backpack_exchange.py").is_file(),
                                                  reason="the shipped connector is not installed")]


def test_sandbox_pairs_match_the_sandbox_markets():
    assert live.sandbox_pairs(2) == ["SOL-USDC", "BTC-USDC"]
    assert live.sandbox_pairs(5) == ["SOL-USDC", "BTC-USDC", "ETH-USDC", "TOKEN1-USDC", "TOKEN2-USDC"]


def test_percentile():
    values = [float(i) for i in range(1, 101)]
    assert roundtrip.percentile(values, 50) == pytest.approx(50.5)
    assert roundtrip.percentile(values, 99) == pytest.approx(99.01)
    assert roundtrip.percentile([3.0], 99) == 3.0


def test_round_trip_both_connectors_on_one_sandbox():
    results = asyncio.run(roundtrip.run_roundtrip(orders=3, repeats=1, log=lambda _: None))
    for kind in ("ours", "upstream"):
        assert all(len(v) == 1 and v[0] > 0 for v in results[kind].values())
    stats = results["stats"]
    assert stats["http429"] == 0
    assert stats["orders"] == 2 * (3 + 5)  # every order of both runs (warm-up included) reached the sandbox


def test_ready_time_and_429_count():
    results = asyncio.run(ready.run_ready(pairs=2, repeats=1, log=lambda _: None))
    for kind in ("ours", "upstream"):
        assert results[kind]["ready_s"][0] > 0
        assert results[kind]["http429"] == [0]
        assert results[kind]["requests"][0] > 0
