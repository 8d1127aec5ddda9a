"""BackpackThrottler decides exactly like Hummingbot's AsyncThrottler (same flush, same capacity answers)."""
import asyncio
import random

import pytest

from hummingbot.connector.exchange.backpack import backpack_constants as CONSTANTS
from hummingbot.connector.exchange.backpack.backpack_throttler import BackpackThrottler
from hummingbot.core.api_throttler.async_throttler import AsyncThrottler
from hummingbot.core.api_throttler.data_types import LinkedLimitWeightPair, RateLimit, TaskLog

LIMITS = [RateLimit("pool", limit=5, time_interval=10),
          RateLimit("route", limit=3, time_interval=10, linked_limits=[LinkedLimitWeightPair("pool")]),
          RateLimit("other", limit=4, time_interval=2, weight=2, linked_limits=[LinkedLimitWeightPair("pool")])]


def _answers(throttler_class, logs, now, limit_id):
    throttler = throttler_class(rate_limits=LIMITS)
    by_id = {limit.limit_id: limit for limit in throttler._rate_limits}
    throttler._task_logs.extend(TaskLog(timestamp=now - age, rate_limit=by_id[lid], weight=w) for age, lid, w in logs)
    context = throttler.execute_task(limit_id)
    context._time = lambda: now
    import hummingbot.core.api_throttler.async_request_context_base as base_module
    real_time = base_module.time.time
    base_module.time.time = lambda: now
    try:
        context.flush()
    finally:
        base_module.time.time = real_time
    kept = [(round(now - t.timestamp, 6), t.rate_limit.limit_id, t.weight) for t in throttler._task_logs]
    return context.within_capacity(), sorted(kept)


def test_same_decisions_as_the_base_on_random_logs(monkeypatch):
    import hummingbot.connector.exchange.backpack.backpack_throttler as ours_module
    rng = random.Random(5)
    for _ in range(400):
        now = 1_700_000_000.0
        monkeypatch.setattr(ours_module, "_time", lambda: now)
        logs = [(rng.uniform(0, 25), rng.choice(["pool", "route", "other"]), rng.choice([1, 1, 2]))
                for _ in range(rng.randint(0, 8))]
        limit_id = rng.choice(["pool", "route", "other"])
        assert _answers(BackpackThrottler, logs, now, limit_id) == _answers(AsyncThrottler, logs, now, limit_id)


@pytest.mark.asyncio
async def test_waits_for_capacity_and_logs_each_task():
    throttler = BackpackThrottler(rate_limits=[RateLimit("x", limit=2, time_interval=0.2)])
    throttler._retry_interval = 0.01
    loop = asyncio.get_running_loop()
    start = loop.time()
    for _ in range(3):
        async with throttler.execute_task("x"):
            pass
    assert loop.time() - start >= 0.15   # the third request had to wait for the first to leave the window
    assert len(throttler._task_logs) <= 2


@pytest.mark.asyncio
async def test_the_exchange_uses_it():
    from test.hummingbot.connector.exchange.backpack.exchange_test_support import API_KEY, API_SECRET

    from hummingbot.connector.exchange.backpack.backpack_exchange import BackpackExchange
    connector = BackpackExchange(backpack_api_key=API_KEY, backpack_api_secret=API_SECRET, trading_pairs=["SOL-USDC"])
    assert type(connector._throttler) is BackpackThrottler
    assert connector._web_assistants_factory._throttler is connector._throttler
    assert {r.limit_id for r in connector._throttler._rate_limits} == {r.limit_id for r in CONSTANTS.RATE_LIMITS}
