"""Reconnect backoff and stale-connection watchdog for Backpack WebSocket streams (§8.1). Times in seconds."""
import asyncio
import logging
import random
import time
from typing import Awaitable, Callable, Optional

from hummingbot.connector.backpack_common.stream_metrics import StreamMetrics

Probe = Callable[[], Optional[float]]


class StaleConnectionError(ConnectionError):
    """The watchdog found the connection silent for ``stale_timeout_s`` (handled by the supervisor)."""


class BackoffPolicy:
    """Delay ``initial_s * 2**(n-1)`` capped at ``max_s``, times ``1 - jitter_ratio * rng.random()``.

    A session healthy for ``reset_after_s`` resets ``n``.
    :raises ValueError: non-positive delays or ``jitter_ratio`` outside [0, 1).
    """

    def __init__(self, initial_s: float = 1.0, max_s: float = 60.0, reset_after_s: float = 30.0,
                 jitter_ratio: float = 0.2, rng: Optional[random.Random] = None) -> None:
        if initial_s <= 0 or max_s < initial_s:
            raise ValueError(f"Backoff needs 0 < initial_s <= max_s, got {initial_s} and {max_s}")
        if not 0 <= jitter_ratio < 1:
            raise ValueError(f"jitter_ratio must be in [0, 1), got {jitter_ratio}")
        self.initial_s = initial_s
        self.max_s = max_s
        self.reset_after_s = reset_after_s
        self.jitter_ratio = jitter_ratio
        self._rng = rng or random.Random()
        self.consecutive_failures = 0

    def base_delay(self, failures: int) -> float:
        """Delay without jitter after ``failures`` (≥ 1) consecutive failures."""
        exponent = min(max(failures, 1) - 1, 32)
        return min(self.max_s, self.initial_s * (2 ** exponent))

    def on_session_end(self, healthy_for_s: Optional[float]) -> float:
        """Delay (s) before the next attempt; ``healthy_for_s`` is ``None`` if the session never connected."""
        if healthy_for_s is not None and healthy_for_s >= self.reset_after_s:
            self.consecutive_failures = 0
        self.consecutive_failures += 1
        delay = self.base_delay(self.consecutive_failures)
        if self.jitter_ratio:
            delay *= 1.0 - self.jitter_ratio * self._rng.random()
        return delay


class StreamSupervisor:
    """Runs a session forever: watchdog while it runs, backed-off reconnect when it ends.

    A session connects, subscribes, calls ``connected(probe)`` and reads until the connection ends; its
    ``finally`` must close the socket (a stale session is cancelled). ``clock`` must be the one ``metrics`` uses.
    """

    def __init__(self, name: str, *, stale_timeout_s: float, watchdog_check_s: float,
                 metrics: Optional[StreamMetrics] = None,
                 backoff_initial_s: float = 1.0, backoff_max_s: float = 60.0, backoff_reset_after_s: float = 30.0,
                 jitter_ratio: float = 0.2, rng: Optional[random.Random] = None,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
                 logger: Optional[logging.Logger] = None) -> None:
        if stale_timeout_s <= 0 or watchdog_check_s <= 0:
            raise ValueError("stale_timeout_s and watchdog_check_s must be positive")
        self.name = name
        self.stale_timeout_s = stale_timeout_s
        self.watchdog_check_s = watchdog_check_s
        self.metrics = metrics if metrics is not None else StreamMetrics(name, clock=clock)
        self.backoff = BackoffPolicy(backoff_initial_s, backoff_max_s, backoff_reset_after_s, jitter_ratio, rng)
        self._clock = clock
        self._sleep = sleep
        self._logger = logger or logging.getLogger(__name__)
        self._session_started_at: Optional[float] = None
        self._connected_at: Optional[float] = None
        self._probe: Optional[Probe] = None
        self.last_delay_s: Optional[float] = None

    @property
    def consecutive_failures(self) -> int:
        return self.backoff.consecutive_failures

    def connected(self, probe: Optional[Probe] = None) -> None:
        """Session is subscribed; ``probe()`` gives seconds since the transport got any frame (pings too) or None."""
        self._connected_at = self._clock()
        self._probe = probe
        self.metrics.connected = True

    def silence_s(self) -> float:
        """Seconds since anything (data or transport frame) was received on the current session."""
        now = self._clock()
        start = self._connected_at if self._connected_at is not None else self._session_started_at
        silence = now - start if start is not None else 0.0
        data_age = self.metrics.last_message_age_s()
        if data_age is not None and data_age < silence:
            silence = data_age
        probe = self._probe
        if probe is not None:
            try:
                transport_age = probe()
            except Exception:  # a broken probe must not kill the watchdog; data ages still count
                transport_age = None
            if transport_age is not None and transport_age < silence:
                silence = max(0.0, transport_age)
        return silence

    async def run(self, session: Callable[[], Awaitable[None]]) -> None:
        """Run ``session`` until cancelled, reconnecting with backoff."""
        while True:
            self._session_started_at = self._clock()
            self._connected_at = None
            self._probe = None
            try:
                await self._run_once(session)
                self._logger.info(f"{self.name}: stream ended; reconnecting.")
            except asyncio.CancelledError:
                self.metrics.connected = False
                raise
            except StaleConnectionError as e:
                self._logger.warning(f"{self.name}: {e}; closing the connection and reconnecting.")
            except ConnectionError as e:
                self._logger.warning(f"{self.name}: the WebSocket connection was closed ({e}).")
            except Exception:
                self._logger.exception(f"{self.name}: unexpected error on the stream.")
            self.metrics.connected = False
            healthy_for = None
            if self._connected_at is not None:
                healthy_for = max(0.0, (self._clock() - self.silence_s()) - self._connected_at)
            delay = self.backoff.on_session_end(healthy_for)
            self.last_delay_s = delay
            self.metrics.consecutive_failures = self.backoff.consecutive_failures
            self.metrics.reconnects += 1
            self._logger.info(f"{self.name}: reconnecting in {delay:.2f} s "
                              f"(consecutive failures: {self.backoff.consecutive_failures}).")
            await self._sleep(delay)

    async def _run_once(self, session: Callable[[], Awaitable[None]]) -> None:
        session_task = asyncio.ensure_future(session())
        watchdog_task = asyncio.ensure_future(self._watchdog())
        try:
            done, _ = await asyncio.wait({session_task, watchdog_task}, return_when=asyncio.FIRST_COMPLETED)
            if session_task in done:
                session_task.result()  # re-raises the session's error, if any
                return
            silence = watchdog_task.result()
            raise StaleConnectionError(f"no message (data or ping) for {silence:.0f} s "
                                       f"(limit {self.stale_timeout_s:.0f} s)")
        finally:
            for task in (session_task, watchdog_task):
                if not task.done():
                    task.cancel()
            for task in (session_task, watchdog_task):
                if task.done():
                    if not task.cancelled():
                        task.exception()  # mark retrieved
                    continue
                try:
                    await task
                except (asyncio.CancelledError, Exception):
                    pass

    async def _watchdog(self) -> float:
        while True:
            await self._sleep(self.watchdog_check_s)
            silence = self.silence_s()
            if silence >= self.stale_timeout_s:
                return silence
