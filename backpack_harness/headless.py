"""Pieces of headless Hummingbot runs on the sandbox: data directory and logging, the run's key pair, an event
recorder, a rate-oracle source priced from the connector's own books, condition waits and balance totals.

Nothing here changes Hummingbot: strategies are started with ``TradingCore.start_strategy`` as the ``start``
command does (``session.py``).
"""
import asyncio
import base64
import logging
import os
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

from nacl.signing import SigningKey

from hummingbot import set_prefix_path  # type: ignore[attr-defined]
from hummingbot.connector.exchange_base import ExchangeBase
from hummingbot.core.event.event_forwarder import EventForwarder
from hummingbot.core.event.events import MarketEvent
from hummingbot.core.rate_oracle.rate_oracle import RateOracle
from hummingbot.core.rate_oracle.sources.rate_source_base import RateSourceBase

#: Market events a run records.
RECORDED_EVENTS = (
    MarketEvent.BuyOrderCreated, MarketEvent.SellOrderCreated, MarketEvent.OrderFilled,
    MarketEvent.BuyOrderCompleted, MarketEvent.SellOrderCompleted, MarketEvent.OrderCancelled,
    MarketEvent.OrderFailure,
)


def isolate_hummingbot_data_dir(directory: Optional[Path] = None) -> Path:
    """Point Hummingbot's data directory (trade sqlite, logs) at ``directory`` (kept across runs: a restarted bot
    finds its saved state) or a fresh temporary folder, never site-packages."""
    if directory is None:
        directory = Path(tempfile.mkdtemp(prefix="backpack-demo-"))
    directory.mkdir(parents=True, exist_ok=True)
    set_prefix_path(str(directory))
    return directory


class ConnectorRateSource(RateSourceBase):
    """Rate oracle source that prices pairs from a running connector's own order books, so the oracle that
    ``TradingCore.start_strategy`` starts never reaches for the network."""

    def __init__(self, connector: ExchangeBase):
        super().__init__()
        self._connector = connector

    @property
    def name(self) -> str:
        return f"{self._connector.name}_books"

    async def get_prices(self, quote_token: Optional[str] = None) -> Dict[str, Decimal]:
        prices = {}
        for trading_pair, book in self._connector.order_books.items():
            if quote_token is not None and not trading_pair.endswith(f"-{quote_token}"):
                continue
            try:
                prices[trading_pair] = (Decimal(str(book.get_price(True))) + Decimal(str(book.get_price(False)))) / 2
            except Exception:  # an empty side: no price yet
                continue
        return prices


def use_connector_prices_for_rate_oracle(connector: ExchangeBase) -> None:
    """Price the rate oracle from ``connector``'s books; call it last before a strategy start (Hummingbot resets the
    oracle's source whenever it validates its client config)."""
    RateOracle.get_instance().source = ConnectorRateSource(connector)


class EventRecorder:
    """Keeps every market event of ``RECORDED_EVENTS`` a connector emits, by event type, in order (Hummingbot's
    ``EventLogger`` keeps only the last 50 of a kind)."""

    def __init__(self, connector: ExchangeBase):
        self._events: Dict[MarketEvent, List] = {event: [] for event in RECORDED_EVENTS}
        # PubSub holds its listeners weakly: the forwarders live as long as this recorder.
        self._forwarders = [EventForwarder(self._events[event].append) for event in RECORDED_EVENTS]
        for event, forwarder in zip(RECORDED_EVENTS, self._forwarders):
            connector.add_listener(event, forwarder)

    def events(self, *event_types: MarketEvent) -> List:
        """The events of ``event_types``, grouped by type in the order given."""
        return [e for t in event_types for e in self._events[t]]

    def count(self, *event_types: MarketEvent) -> int:
        return sum(len(self._events[t]) for t in event_types)


def new_key_pair() -> Tuple[str, str]:
    """A throwaway ED25519 key pair for a sandbox account: (API key base64, secret base64 seed)."""
    key = SigningKey.generate()
    return base64.b64encode(bytes(key.verify_key)).decode(), base64.b64encode(bytes(key)).decode()


def account_key_pair() -> Tuple[str, str]:
    """The sandbox account's key pair for a run: derived from ``BACKPACK_SANDBOX_SECRET`` (base64 32-byte seed, the
    variable the sandbox itself reads) when it is set — so a test can run with a secret it knows and scan the
    output for it — else :func:`new_key_pair`.

    :raises ValueError: when ``BACKPACK_SANDBOX_SECRET`` is set but is not a base64 32-byte seed (never quoted).
    """
    secret = os.environ.get("BACKPACK_SANDBOX_SECRET")
    if not secret:
        return new_key_pair()
    try:
        seed = base64.b64decode(secret, validate=True)
    except ValueError:
        seed = b""
    if len(seed) != 32:
        raise ValueError("BACKPACK_SANDBOX_SECRET must be a base64 32-byte ED25519 seed")
    return base64.b64encode(bytes(SigningKey(seed).verify_key)).decode(), secret


def configure_logging(log_path: Path) -> None:
    """Send every log record (INFO and up) to ``log_path`` only, replacing the root logger's handlers."""
    handler = logging.FileHandler(log_path, mode="w", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s - %(message)s"))
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(logging.INFO)


async def wait_for(predicate: Callable[[], bool], timeout: float, interval: float = 0.2) -> bool:
    """Poll ``predicate`` every ``interval`` s until true or ``timeout`` s passed; return its last value."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() >= deadline:
            return False
        await asyncio.sleep(interval)
    return True


def totals(account: Dict[str, Any]) -> Dict[str, Decimal]:
    """Total per asset (available + locked + staked + lent) from the sandbox control API's account view."""
    kinds = ("available", "locked", "staked", "lent")
    return {asset: sum((Decimal(str(entry.get(k, "0"))) for k in kinds), Decimal(0))
            for asset, entry in account["balances"].items()}
