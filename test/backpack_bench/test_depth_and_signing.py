"""Depth and signing benchmarks on tiny sizes: they run, both connectors end with the floor's book, signatures
verify. No timing is asserted."""
import asyncio

import pytest

from backpack_bench import depth, signing
from backpack_bench.frames import generate
from backpack_bench.upstream import upstream_dir
from hummingbot.connector.backpack_common.signing import signing_string

pytestmark = pytest.mark.skipif(not (upstream_dir() / "backpack_exchange.py").is_file(),
                                reason="the shipped connector is not installed (make install)")


def test_depth_paths_end_with_the_same_book_as_the_floor():
    stream = generate(300, seed=11)
    results = asyncio.run(depth.run_depth(stream, repeats=1, log=lambda _: None))
    for variant in ("pipeline", "direct"):
        for side in ("ours", "upstream"):
            assert len(results[variant][side]) == 1 and results[variant][side][0] > 0
    for part in ("floor", "decode", "decode_ujson", "decode_typed", "apply", "socket_turn"):
        assert len(results["floor"][part]) == 1 and results["floor"][part][0] > 0, part
    floor = depth.run_floor(stream)
    assert floor["book"][0] and floor["book"][1]  # both sides non-empty


def test_depth_detects_a_diverging_book():
    stream = generate(50, seed=11)
    other = generate(50, seed=12)
    ours = depth.ours_side()

    async def run():
        _, state = await depth.run_direct(ours, stream)
        return state

    assert asyncio.run(run()) == depth.run_floor(stream)["book"]
    assert depth.run_floor(other)["book"] != depth.run_floor(stream)["book"]


def test_every_depth_figure_is_cpu_time_of_the_bench_thread(monkeypatch):
    """Each variant is timed on ``cpu_clock`` (CPU time of this thread): a clock that advances 1 s per read gives
    (reads between start and stop) s per run, never the wall time."""
    reads = [0.0]

    def fake_clock() -> float:
        reads[0] += 1.0
        return reads[0]

    monkeypatch.setattr(depth, "cpu_clock", fake_clock)
    stream = generate(40, seed=11)
    per_frame_us = 1e6 / len(stream.frames)
    floor = depth.run_floor(stream)
    for part in ("decode", "decode_ujson", "decode_typed", "apply", "floor"):
        assert floor[part] == pytest.approx(per_frame_us), part
    assert asyncio.run(depth.run_socket_turn(stream)) == pytest.approx(per_frame_us)
    assert asyncio.run(depth.run_direct(depth.ours_side(), stream))[0] == pytest.approx(per_frame_us)
    assert asyncio.run(depth.run_pipeline(depth.ours_side(), stream))[0] == pytest.approx(per_frame_us)


def test_signing_message_is_the_connectors_signing_string():
    body = dict(signing.ORDER_BODY)
    assert signing.signing_message(1700000000000) == signing_string("orderExecute", body, 1700000000000,
                                                                    5000).encode()


def test_signing_runs_and_every_auth_verifies():
    results = asyncio.run(signing.run_signing(50, repeats=2, log=lambda _: None))
    assert {k: len(v) for k, v in results.items()} == {"ours": 2, "upstream": 2, "raw": 2}
    assert all(v > 0 for values in results.values() for v in values)
