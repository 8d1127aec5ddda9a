"""The chaos fault schedule: seeded, complete (every kind once at least), inside the run, sandbox-valid bodies."""
import pytest

from backpack_chaos.schedule import CHAOS_FAULTS, SIGNING_WINDOW_MS, build_schedule
from backpack_sandbox.faults import FAULT_KINDS, Faults

SYMBOLS = ["SOL_USDC", "ETH_USDC"]


@pytest.mark.parametrize("seed,duration", [(1, 60), (2, 60), (7, 300), (11, 600)])
def test_every_kind_is_injected_inside_the_window_in_time_order(seed, duration):
    schedule = build_schedule(seed, duration, SYMBOLS)
    assert {e.kind for e in schedule} == set(CHAOS_FAULTS)
    times = [e.at_s for e in schedule]
    assert times == sorted(times)
    assert times[0] >= 3.0 and times[-1] < duration - 5.0


def test_the_same_seed_gives_the_same_schedule_and_another_seed_another():
    assert build_schedule(5, 120, SYMBOLS) == build_schedule(5, 120, SYMBOLS)
    assert build_schedule(5, 120, SYMBOLS) != build_schedule(6, 120, SYMBOLS)


def test_longer_runs_draw_more_faults_after_the_first_round():
    assert len(build_schedule(3, 600, SYMBOLS)) > len(build_schedule(3, 60, SYMBOLS)) >= len(CHAOS_FAULTS)


def test_every_body_is_accepted_by_the_sandbox_fault_switches():
    faults = Faults()
    faults.on_drop_ws = lambda target, abrupt: 0
    faults.on_skip_depth = lambda symbol, count: None
    offsets = []
    faults.set_clock_offset = offsets.append
    for event in build_schedule(4, 600, SYMBOLS):
        assert event.body["kind"] in FAULT_KINDS
        params = {k: v for k, v in event.body.items() if k != "kind"}
        faults.inject(event.body["kind"], **params)
        if event.body["kind"] == "skip_depth_seq":
            assert event.body["symbol"] in SYMBOLS
    assert offsets and all(0 < abs(ms) < SIGNING_WINDOW_MS for ms in offsets)


def test_503_is_scheduled_both_with_and_without_the_order_accepted():
    bodies = [e.body for e in build_schedule(9, 60, SYMBOLS) if e.body["kind"] == "order_503"]
    assert sorted(b["accept"] for b in bodies) == [False, True]


def test_a_run_too_short_for_every_kind_is_refused():
    with pytest.raises(ValueError, match="too short"):
        build_schedule(1, 10, SYMBOLS)
    with pytest.raises(ValueError, match="symbol"):
        build_schedule(1, 60, [])
