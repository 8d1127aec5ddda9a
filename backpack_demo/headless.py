"""Hummingbot without its terminal UI: ``TradingCore`` (the engine the client itself drives), our connector on
the ``backpack_sandbox`` domain, Hummingbot's own strategy start-up code and a real-time clock.

Nothing here changes Hummingbot: strategies are loaded from their YAML config files through Hummingbot's config
machinery and started with ``TradingCore.start_strategy`` exactly as the ``start`` command does.
"""
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Dict, List, Optional

from hummingbot import set_prefix_path
from hummingbot.connector.exchange_base import ExchangeBase
from hummingbot.core.event.event_logger import EventLogger
from hummingbot.core.event.events import MarketEvent
from hummingbot.core.rate_oracle.rate_oracle import RateOracle
from hummingbot.core.rate_oracle.sources.rate_source_base import RateSourceBase

#: Market events the demo and the chaos run count.
RECORDED_EVENTS = (
    MarketEvent.BuyOrderCreated, MarketEvent.SellOrderCreated, MarketEvent.OrderFilled,
    MarketEvent.BuyOrderCompleted, MarketEvent.SellOrderCompleted, MarketEvent.OrderCancelled,
    MarketEvent.OrderFailure,
)


def isolate_hummingbot_data_dir() -> Path:
    """Point Hummingbot's data directory (trade sqlite, logs) at a fresh temporary folder, not site-packages."""
    directory = Path(tempfile.mkdtemp(prefix="backpack-demo-"))
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
    RateOracle.get_instance().source = ConnectorRateSource(connector)


class EventRecorder:
    """Keeps every market event of ``RECORDED_EVENTS`` a connector emits, by event type."""

    def __init__(self, connector: ExchangeBase):
        self._loggers: Dict[MarketEvent, EventLogger] = {}
        for event in RECORDED_EVENTS:
            logger = EventLogger()
            connector.add_listener(event, logger)
            self._loggers[event] = logger

    def events(self, *event_types: MarketEvent) -> List:
        return [e for t in event_types for e in self._loggers[t].event_log]

    def count(self, *event_types: MarketEvent) -> int:
        return len(self.events(*event_types))
