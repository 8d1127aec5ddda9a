"""One place that wires a Backpack WebSocket data source to the shared stream machinery of ``backpack_common``:
its ``StreamMetrics``, a ``StreamSupervisor`` with Backpack's reconnect/watchdog settings (§8.1) and a
``LogThrottle``. Time is injectable so tests run in milliseconds."""
import asyncio
import logging
import random
import time
from typing import Awaitable, Callable, Optional, Tuple

from hummingbot.connector.backpack_common.stream_metrics import LogThrottle, StreamMetrics
from hummingbot.connector.backpack_common.stream_supervisor import StreamSupervisor
from hummingbot.connector.exchange.backpack import backpack_constants as CONSTANTS


def supervised_stream(kind: str, label: str, logger: logging.Logger, log_interval_s: float,
                      clock: Callable[[], float] = time.monotonic,
                      sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
                      rng: Optional[random.Random] = None,
                      stale_timeout_s: float = CONSTANTS.WS_STALE_TIMEOUT_S,
                      watchdog_check_s: float = CONSTANTS.WS_WATCHDOG_CHECK_S,
                      ) -> Tuple[StreamMetrics, StreamSupervisor, LogThrottle]:
    """Build ``(metrics, supervisor, log_throttle)`` for the ``kind`` ("public" / "private") stream.

    Backoff 1 s → 60 s with reset after 30 s healthy; silence beyond ``stale_timeout_s`` (s) reconnects, checked
    every ``watchdog_check_s`` (s).
    """
    metrics = StreamMetrics(f"{CONSTANTS.EXCHANGE_NAME}.{kind}", clock=clock)
    supervisor = StreamSupervisor(
        label, stale_timeout_s=stale_timeout_s, watchdog_check_s=watchdog_check_s, metrics=metrics,
        backoff_initial_s=CONSTANTS.WS_BACKOFF_INITIAL_S, backoff_max_s=CONSTANTS.WS_BACKOFF_MAX_S,
        backoff_reset_after_s=CONSTANTS.WS_BACKOFF_RESET_AFTER_S,
        rng=rng, clock=clock, sleep=sleep, logger=logger)
    return metrics, supervisor, LogThrottle(log_interval_s, clock=clock)
