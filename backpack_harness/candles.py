"""Hummingbot's shipped ``BackpackSpotCandles`` feed on a sandbox run, by configuration only.

:func:`backpack_candles_on` points the feed's REST and WebSocket URL constants at the sandbox and registers the
feed class under the sandbox connector's name in ``CandlesFactory``, so a ``CandlesConfig(connector=
"backpack_sandbox")`` builds the Backpack feed and ``MarketDataProvider`` attaches our ``backpack_sandbox``
connector to it (shared throttler and symbol map), as it attaches ``backpack`` on the live exchange.
:func:`build_minute_history` gives the sandbox some past minutes of trades (its background flow trading with its
clock set back) so a feed of 1-minute candles has history to backfill.
"""
import asyncio
import time
from contextlib import contextmanager
from typing import Any, Iterator

import hummingbot.connector.exchange.backpack.backpack_constants as CONSTANTS
import hummingbot.data_feed.candles_feed.backpack_spot_candles.constants as CANDLES_CONSTANTS
from hummingbot.data_feed.candles_feed.backpack_spot_candles.backpack_spot_candles import BackpackSpotCandles
from hummingbot.data_feed.candles_feed.candles_factory import CandlesFactory


@contextmanager
def backpack_candles_on(rest_url: str, ws_url: str, connector_name: str = CONSTANTS.SANDBOX_CONNECTOR_NAME
                        ) -> Iterator[None]:
    """Within the block, ``BackpackSpotCandles`` talks to ``rest_url``/``ws_url`` and is the candles feed of
    ``connector_name``; both are restored on exit."""
    saved = CANDLES_CONSTANTS.REST_URL, CANDLES_CONSTANTS.WSS_URL, CandlesFactory._candles_map.get(connector_name)
    CANDLES_CONSTANTS.REST_URL, CANDLES_CONSTANTS.WSS_URL = rest_url, ws_url
    CandlesFactory._candles_map[connector_name] = BackpackSpotCandles
    try:
        yield
    finally:
        CANDLES_CONSTANTS.REST_URL, CANDLES_CONSTANTS.WSS_URL = saved[0], saved[1]
        if saved[2] is None:
            CandlesFactory._candles_map.pop(connector_name, None)
        else:
            CandlesFactory._candles_map[connector_name] = saved[2]


async def build_minute_history(sandbox: Any, minutes: int, trade_s: float = 2.0) -> None:
    """For each of the ``minutes`` minutes before the current one (oldest first), set the sandbox clock into it
    (``clock_offset_ms`` fault) and let its background flow trade for ``trade_s`` seconds; then clear the offset.
    Call it before any client signs requests (the offset is far outside the signing window)."""
    try:
        for back in range(minutes, 0, -1):
            now_ms = int(time.time() * 1000)
            offset_ms = (now_ms // 60_000 - back) * 60_000 + 20_000 - now_ms  # 20 s into that minute
            await sandbox.control("POST", "/_sandbox/faults", {"kind": "clock_offset_ms", "ms": offset_ms})
            await asyncio.sleep(trade_s)
    finally:
        await sandbox.control("DELETE", "/_sandbox/faults")
