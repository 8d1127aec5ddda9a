"""The seeded depth stream: deterministic, continuous ids, realistic shape."""
import json

import pytest

from backpack_bench.frames import LEVEL_BUCKETS, START_UPDATE_ID, generate


def test_same_seed_same_bytes_other_seed_other_bytes():
    assert generate(200, seed=3).frames == generate(200, seed=3).frames
    assert generate(200, seed=3).frames != generate(200, seed=4).frames


def test_frames_continue_the_snapshot_one_id_each():
    stream = generate(500)
    assert int(stream.snapshot["lastUpdateId"]) == START_UPDATE_ID
    ids = [(json.loads(f)["data"]["U"], json.loads(f)["data"]["u"]) for f in stream.frames]
    assert ids == [(START_UPDATE_ID + i, START_UPDATE_ID + i) for i in range(1, 501)]
    assert stream.last_update_id == START_UPDATE_ID + 500


def test_frame_shape_and_level_counts():
    stream = generate(2000)
    total = 0
    max_side = LEVEL_BUCKETS[-1][2]
    for frame in stream.frames:
        message = json.loads(frame)
        data = message["data"]
        assert message["stream"] == "depth.SOL_USDC" and data["e"] == "depth" and data["s"] == "SOL_USDC"
        assert data["b"] or data["a"]
        assert len(data["b"]) <= max_side and len(data["a"]) <= max_side
        best_ask = min((float(p) for p, _ in data["a"]), default=None)
        worst_bid = max((float(p) for p, _ in data["b"]), default=None)
        if best_ask is not None and worst_bid is not None:
            assert worst_bid < best_ask
        for side in (data["a"], data["b"]):
            assert len({p for p, _ in side}) == len(side)
        total += len(data["a"]) + len(data["b"])
    assert total == stream.levels
    assert 3 < stream.levels_per_frame() < 15


def test_needs_at_least_one_frame():
    with pytest.raises(ValueError):
        generate(0)
