"""``python -m backpack_client --offline-rates``: a rate oracle source that never reaches for the internet.

Hummingbot's client values balances in its global token (``balance``'s "Total ($)" column) and strategies' P&L
with a rate oracle whose sources are all internet services (Gate.IO by default). On a machine without internet
(the sandbox walkthrough, CI) this source replaces it: USD stablecoins (USDC, USDT, USD) count 1:1 with the global
token, and other assets are priced from the mid prices of the order books of the connectors the client is running
(e.g. a strategy's ``backpack_sandbox`` SOL-USDC book). Assets it cannot price show a value of 0.
"""
from decimal import Decimal
from typing import Callable, Dict, Iterable, Optional

from hummingbot.core.rate_oracle.sources.rate_source_base import RateSourceBase

USD_STABLECOINS = ("USDC", "USDT", "USD")


class OfflineRateSource(RateSourceBase):
    """:param connectors: returns the running connectors (e.g. ``lambda: trading_core.connectors.values()``)."""

    def __init__(self, connectors: Callable[[], Iterable]):
        super().__init__()
        self._connectors = connectors

    @property
    def name(self) -> str:
        return "offline"

    async def get_prices(self, quote_token: Optional[str] = None) -> Dict[str, Decimal]:
        quote = (quote_token or "USDT").upper()
        prices: Dict[str, Decimal] = {}
        stable_quote = quote in USD_STABLECOINS
        if stable_quote:
            prices.update({f"{coin}-{quote}": Decimal(1) for coin in USD_STABLECOINS if coin != quote})
        for connector in self._connectors():
            for trading_pair, book in getattr(connector, "order_books", {}).items():
                base, book_quote = trading_pair.split("-")
                if book_quote != quote and not (stable_quote and book_quote in USD_STABLECOINS):
                    continue
                try:
                    mid = (Decimal(str(book.get_price(True))) + Decimal(str(book.get_price(False)))) / 2
                except Exception:  # an empty side: no price yet
                    continue
                if mid.is_finite() and mid > 0:
                    prices[f"{base}-{quote}"] = mid
        return prices
