import asyncio
import random
from test.hummingbot.connector.backpack_common.manual_clock import ManualClock

import pytest

from hummingbot.connector.backpack_common.stream_metrics import StreamMetrics
from hummingbot.connector.backpack_common.stream_supervisor import BackoffPolicy, StreamSupervisor


def make_supervisor(clock: ManualClock, **kwargs) -> StreamSupervisor:
    metrics = StreamMetrics("test", clock=clock)
    params = dict(stale_timeout_s=120.0, watchdog_check_s=30.0, metrics=metrics, jitter_ratio=0.0,
                  backoff_reset_after_s=30.0, clock=clock, sleep=clock.sleep)
    params.update(kwargs)
    return StreamSupervisor("test", **params)


async def wait_for(predicate, clock: ManualClock = None, timeout: float = 5.0):
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.001)


# ----------------------------------------------------------------------------------------------- backoff policy
def test_backoff_sequence_doubles_and_caps_at_60():
    policy = BackoffPolicy(initial_s=1.0, max_s=60.0, reset_after_s=30.0, jitter_ratio=0.0)
    delays = [policy.on_session_end(None) for _ in range(9)]
    assert delays == [1, 2, 4, 8, 16, 32, 60, 60, 60]
    assert policy.consecutive_failures == 9


def test_backoff_resets_after_a_healthy_session():
    policy = BackoffPolicy(initial_s=1.0, max_s=60.0, reset_after_s=30.0, jitter_ratio=0.0)
    for _ in range(4):
        policy.on_session_end(None)
    assert policy.on_session_end(29.9) == 16  # not healthy long enough: keeps growing
    assert policy.on_session_end(30.0) == 1
    assert policy.consecutive_failures == 1
    assert policy.on_session_end(5.0) == 2


def test_backoff_jitter_is_bounded_seeded_and_never_above_cap():
    a = BackoffPolicy(jitter_ratio=0.25, rng=random.Random(7))
    b = BackoffPolicy(jitter_ratio=0.25, rng=random.Random(7))
    delays_a = [a.on_session_end(None) for _ in range(12)]
    delays_b = [b.on_session_end(None) for _ in range(12)]
    assert delays_a == delays_b
    for n, delay in enumerate(delays_a, start=1):
        base = a.base_delay(n)
        assert base * 0.75 <= delay <= base <= 60
    assert len(set(delays_a[-5:])) > 1  # jitter actually varies the capped delays


def test_backoff_rejects_bad_parameters():
    with pytest.raises(ValueError):
        BackoffPolicy(initial_s=0)
    with pytest.raises(ValueError):
        BackoffPolicy(jitter_ratio=1.0)


# ------------------------------------------------------------------------------------------------- supervisor
@pytest.mark.asyncio
async def test_failing_sessions_back_off_exponentially():
    clock = ManualClock()
    sup = make_supervisor(clock)
    attempts = []

    async def session():
        attempts.append(clock.now)
        raise ConnectionError("refused")

    task = asyncio.ensure_future(sup.run(session))
    try:
        await wait_for(lambda: len(attempts) == 1)
        for expected in (1, 2, 4, 8):
            await wait_for(lambda: clock.pending_sleeps == 1)
            assert clock.sleeps[-1] == expected
            await clock.advance(expected)
        await wait_for(lambda: len(attempts) == 5)
        assert [round(b - a) for a, b in zip(attempts, attempts[1:])] == [1, 2, 4, 8]
        assert sup.metrics.reconnects == 4 or sup.metrics.reconnects == 5
        assert sup.consecutive_failures >= 4
        assert sup.metrics.consecutive_failures == sup.consecutive_failures
        assert sup.metrics.connected is False
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


@pytest.mark.asyncio
async def test_healthy_session_resets_backoff_to_initial():
    clock = ManualClock()
    sup = make_supervisor(clock)
    sup.backoff.consecutive_failures = 5  # as after a bad patch
    drop = asyncio.Event()

    async def session():
        sup.connected(probe=lambda: 0.0)
        await drop.wait()
        raise ConnectionError("server closed")

    task = asyncio.ensure_future(sup.run(session))
    try:
        await wait_for(lambda: sup.metrics.connected)
        await clock.advance(45)  # healthy for 45 s (probe says: pings keep coming)
        drop.set()
        await wait_for(lambda: sup.last_delay_s is not None)
        assert sup.last_delay_s == 1.0
        assert sup.consecutive_failures == 1
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


@pytest.mark.asyncio
async def test_watchdog_closes_a_silent_connection_and_reconnects():
    clock = ManualClock()
    sup = make_supervisor(clock)
    sessions = []
    closed = []

    async def session():
        sessions.append(clock.now)
        sup.connected(probe=None)
        try:
            await asyncio.Event().wait()  # silent forever
        finally:
            closed.append(clock.now)

    task = asyncio.ensure_future(sup.run(session))
    try:
        await wait_for(lambda: len(sessions) == 1)
        await clock.advance(119)
        assert closed == []
        await clock.advance(31)  # next watchdog check after 120 s of silence is at 120
        await wait_for(lambda: len(closed) == 1)
        assert closed[0] - sessions[0] == 120  # checked every 30 s: fires at the 4th check
        assert sup.metrics.reconnects == 1
        await clock.advance(1)
        await wait_for(lambda: len(sessions) == 2)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


@pytest.mark.asyncio
async def test_watchdog_does_not_fire_on_a_healthy_stream():
    clock = ManualClock()
    sup = make_supervisor(clock)
    closed = []

    async def session():
        sup.connected(probe=None)
        try:
            while True:
                await clock.sleep(10)
                sup.metrics.on_message("depth")
        finally:
            closed.append(clock.now)

    task = asyncio.ensure_future(sup.run(session))
    try:
        await wait_for(lambda: sup.metrics.connected)
        await clock.advance(900)
        assert closed == []
        assert sup.metrics.reconnects == 0
        assert sup.metrics.messages["depth"] >= 80
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


@pytest.mark.asyncio
async def test_pings_seen_by_the_transport_count_as_liveness():
    clock = ManualClock()
    sup = make_supervisor(clock)
    last_ping = {"at": clock.now}
    closed = []

    async def pinger():
        while True:
            await clock.sleep(60)  # the server pings every 60 s
            last_ping["at"] = clock.now

    async def session():
        sup.connected(probe=lambda: clock.now - last_ping["at"])
        try:
            await asyncio.Event().wait()  # no data message at all
        finally:
            closed.append(clock.now)

    ping_task = asyncio.ensure_future(pinger())
    task = asyncio.ensure_future(sup.run(session))
    try:
        await wait_for(lambda: sup.metrics.connected)
        await clock.advance(600)
        assert closed == []
        ping_task.cancel()  # pings stop: the connection is dead
        await clock.advance(200)
        await wait_for(lambda: len(closed) == 1)
        assert sup.metrics.reconnects == 1
    finally:
        ping_task.cancel()
        task.cancel()
        await asyncio.gather(task, ping_task, return_exceptions=True)


@pytest.mark.asyncio
async def test_watchdog_catches_a_hung_connect():
    clock = ManualClock()
    sup = make_supervisor(clock, stale_timeout_s=60.0, watchdog_check_s=10.0)
    cancelled = []

    async def session():
        try:
            await asyncio.Event().wait()  # never connects
        except asyncio.CancelledError:
            cancelled.append(clock.now)
            raise

    task = asyncio.ensure_future(sup.run(session))
    try:
        await wait_for(lambda: clock.pending_sleeps == 1)
        await clock.advance(60)
        await wait_for(lambda: len(cancelled) == 1)
        assert sup.metrics.connected is False
        assert sup.last_delay_s == 1.0
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


@pytest.mark.asyncio
async def test_unexpected_errors_do_not_stop_the_loop_and_cancel_propagates():
    clock = ManualClock()
    sup = make_supervisor(clock)
    attempts = []

    async def session():
        attempts.append(1)
        raise ValueError("bug in a handler")

    task = asyncio.ensure_future(sup.run(session))
    await wait_for(lambda: clock.pending_sleeps == 1)
    await clock.advance(1)
    await wait_for(lambda: len(attempts) == 2)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
