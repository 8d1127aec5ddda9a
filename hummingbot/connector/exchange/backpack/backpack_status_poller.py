"""``BackpackStatusPoller``: the status poll (balances, order status, fills) for a connector whose
``_status_polling_loop`` does not run.

hummingbot-api runs trading connectors in its own process without ``start_network()``: it starts the trading rules
and fees loops, the user stream tracker, the user stream listener and the lost-orders loop, never the status
polling loop (``docs/architecture.md``, "Hosts"). Private events are not replayed after a reconnect (§8.4), so
without a poll a missed fill, cancel or balance change would stay missed. The poller runs while the user stream
runs, polls only while no status polling loop does, and is paced by the polling pool of the rate budget (§7).
"""
import asyncio
import logging
import time
from typing import Any, Awaitable, Callable, Optional

from hummingbot.core.utils.async_utils import safe_ensure_future


class BackpackStatusPoller:
    """Runs ``fetch_updates`` every ``poll_interval_s()`` seconds (and soon after ``notify``) while
    ``status_loop_running()`` is false.

    :param fetch_updates: one status poll; its errors are logged and the next poll retries.
    :param status_loop_running: ExchangePyBase's ``_status_polling_loop`` is running (then nothing is polled here).
    :param poll_interval_s: the connector's poll interval (s) now (short while the private stream is silent).
    :param requests_per_poll: REST requests one poll costs now (balances, fills, one lookup per order).
    :param polling_budget_per_min: requests per minute the connector's polling pool allows.
    :param backoff_remaining_s: seconds left of a 429 pause of polling (§7).
    :param clock: monotonic seconds.
    """

    #: Share of the polling pool's per-minute budget this poll may use on its own.
    BUDGET_SHARE = 0.25
    #: Shortest gap (s) between two polls, notifications included.
    MIN_GAP_S = 1.0

    def __init__(self,
                 fetch_updates: Callable[[], Awaitable[Any]],
                 status_loop_running: Callable[[], bool],
                 poll_interval_s: Callable[[], float],
                 requests_per_poll: Callable[[], int],
                 polling_budget_per_min: Callable[[], float],
                 backoff_remaining_s: Callable[[], float],
                 logger: Callable[[], logging.Logger],
                 clock: Callable[[], float] = time.monotonic):
        self._fetch_updates = fetch_updates
        self._status_loop_running = status_loop_running
        self._poll_interval_s = poll_interval_s
        self._requests_per_poll = requests_per_poll
        self._polling_budget_per_min = polling_budget_per_min
        self._backoff_remaining_s = backoff_remaining_s
        self._logger = logger
        self._clock = clock
        self._wake = asyncio.Event()
        self._task: Optional[asyncio.Task] = None
        self._last_poll_at: Optional[float] = None
        #: Polls started, polls finished, polls skipped because the status polling loop ran, polls that raised.
        self.polls = 0
        self.completed = 0
        self.skipped = 0
        self.errors = 0

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> asyncio.Task:
        """Start the loop (or keep the running one) and return its task; the first poll follows ``notify`` or one
        interval."""
        if self._task is None or self._task.done():
            self._wake = asyncio.Event()
            self._task = safe_ensure_future(self._loop())
        return self._task

    def stop(self, task: Optional[asyncio.Task] = None) -> None:
        """Stop the loop; with ``task``, only if that is still the running loop (a late stop of an earlier start
        leaves a newer loop alone)."""
        if self._task is not None and (task is None or task is self._task):
            self._task.cancel()
            self._task = None

    def notify(self) -> None:
        """Poll soon (e.g. after a private stream (re)subscription: missed events are not replayed, §8.4)."""
        self._wake.set()

    def next_gap_s(self) -> float:
        """Seconds until the next poll: the connector's interval, stretched so that one poll's requests stay within
        ``BUDGET_SHARE`` of the polling pool per minute, and never shorter than a 429 pause still running."""
        budget_per_s = max(self._polling_budget_per_min(), 1.0) * self.BUDGET_SHARE / 60.0
        paced = max(self._poll_interval_s(), self._requests_per_poll() / budget_per_s, self.MIN_GAP_S)
        return max(paced, self._backoff_remaining_s())

    async def poll_once(self) -> bool:
        """One poll unless the status polling loop runs; True when it polled."""
        if self._status_loop_running():
            self.skipped += 1
            return False
        self._last_poll_at = self._clock()
        self.polls += 1
        try:
            await self._fetch_updates()
        except asyncio.CancelledError:
            raise
        except Exception as e:
            self.errors += 1
            self._logger().warning(f"Status poll failed ({e!r}); retrying at the next poll.")
        self.completed += 1
        return True

    async def _loop(self) -> None:
        while True:
            gap = self.next_gap_s()
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=gap)
            except asyncio.TimeoutError:
                pass
            self._wake.clear()
            if self._last_poll_at is not None:  # a notification right after a poll waits for the minimum gap
                wait = self._last_poll_at + max(self.MIN_GAP_S, self._backoff_remaining_s()) - self._clock()
                if wait > 0:
                    await asyncio.sleep(wait)
            await self.poll_once()
