"""``BackpackMakerScorecard``: how the connector's quoting scores per market (``metrics_snapshot()["maker"]``).

Figures per trading pair over the window since the scorecard started (amounts in quote units, times in s of the
connector's wall clock):

- ``maker_volume_quote`` / ``volume_quote``: quote volume of our maker fills / of all our fills; ``maker_share``
  their ratio (by volume; ``None`` before the first fill). Liquidity from the fill (``m`` / ``isMaker``, §8.5,
  §5.12) as ``TradeUpdate.is_taker``.
- ``two_sided_share``: share of the window with a resting bid at or above ``mid × (1 − band_bps/10⁴)`` and a resting
  ask at or below ``mid × (1 + band_bps/10⁴)``, mid of the connector's order book.
- ``uptime_share``: share of the window with at least one resting order of ours.
- ``avg_resting_order_notional_quote``: time-weighted average of a resting order's ``price × remaining``
  (notional-seconds / order-seconds; ``None`` before an order rested).

Resting: a LIMIT or LIMIT_MAKER order acknowledged by the exchange (OPEN, PARTIALLY_FILLED or PENDING_CANCEL) with
a remaining amount. The order tracker feeds every order update and every new fill; the connector's clock tick and
each snapshot observe the book's mid. Between two observations the resting orders and the mid are those of the
earlier one (a step function).
"""
import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Callable, Dict, Optional

from hummingbot.core.data_type.common import OrderType, TradeType
from hummingbot.core.data_type.in_flight_order import InFlightOrder, OrderState, TradeUpdate

DEFAULT_BAND_BPS = Decimal("100")
_RESTING_STATES = (OrderState.OPEN, OrderState.PARTIALLY_FILLED, OrderState.PENDING_CANCEL)
_BPS = Decimal(10000)


def book_mid(order_book: Any) -> Optional[Decimal]:
    """Mid of a Hummingbot ``OrderBook`` (best bid + best ask) / 2, or ``None`` when a side is empty or missing."""
    if order_book is None:
        return None
    try:
        bid, ask = float(order_book.get_price(True)), float(order_book.get_price(False))
    except Exception:  # an empty side raises in the C++ book
        return None
    if math.isnan(bid) or math.isnan(ask) or bid <= 0 or ask <= 0:
        return None
    return (Decimal(str(bid)) + Decimal(str(ask))) / 2


def is_resting(order: InFlightOrder) -> bool:
    """True for an acknowledged LIMIT / LIMIT_MAKER order with something left to fill."""
    return (order.order_type is not OrderType.MARKET and order.current_state in _RESTING_STATES
            and order.amount - order.executed_amount_base > 0 and order.price is not None and order.price > 0)


@dataclass
class _Resting:
    trading_pair: str
    is_buy: bool
    price: Decimal
    remaining: Decimal


@dataclass
class _MarketFigures:
    maker_volume: Decimal = Decimal(0)
    volume: Decimal = Decimal(0)
    fills: int = 0
    maker_fills: int = 0
    two_sided_s: float = 0.0
    uptime_s: float = 0.0
    notional_s: float = 0.0
    order_s: float = 0.0


class BackpackMakerScorecard:
    """Owns the scorecard's state; see the module doc for the figures.

    :param mid_price: trading pair → mid of the connector's book, or ``None`` (no book / an empty side).
    :param clock: wall time in s (the connector's ``_time``; tests pass a fake).
    :param band_bps: half-width of the two-sided band around the mid, bps (default 100).
    :raises ValueError: a band that is not a positive number of bps.
    """

    def __init__(self, mid_price: Callable[[str], Optional[Decimal]], clock: Callable[[], float],
                 band_bps: Decimal = DEFAULT_BAND_BPS):
        band = Decimal(str(band_bps))
        if not band.is_finite() or band <= 0:
            raise ValueError(f"band_bps must be a positive number of basis points, got {band_bps!r}")
        self._mid_price = mid_price
        self._clock = clock
        self._band = band / _BPS
        self.band_bps = band
        self.since = clock()
        self._last = self.since
        self._orders: Dict[str, _Resting] = {}
        self._mids: Dict[str, Optional[Decimal]] = {}
        self._markets: Dict[str, _MarketFigures] = {}

    # ------------------------------------------------------------------------------------------------ feed
    def on_order(self, order: InFlightOrder) -> None:
        """An order update was applied to ``order`` (any state)."""
        self.observe()
        self._market(order.trading_pair)
        if is_resting(order):
            self._orders[order.client_order_id] = _Resting(
                order.trading_pair, order.trade_type is TradeType.BUY, Decimal(order.price),
                order.amount - order.executed_amount_base)
        else:
            self._orders.pop(order.client_order_id, None)
        self._refresh_mid(order.trading_pair)

    def on_fill(self, order: InFlightOrder, trade_update: TradeUpdate) -> None:
        """A new fill (``trade_update``) of ``order`` was applied."""
        figures = self._market(order.trading_pair)
        quote = trade_update.fill_quote_amount
        figures.fills += 1
        figures.volume += quote
        if not trade_update.is_taker:
            figures.maker_fills += 1
            figures.maker_volume += quote
        self.on_order(order)

    def observe(self) -> None:
        """Accrue the time since the last observation, then read the mids of the pairs we quote."""
        now = self._clock()
        elapsed = now - self._last
        if elapsed > 0:
            self._accrue(elapsed)
            self._last = now
        for trading_pair in {o.trading_pair for o in self._orders.values()}:
            self._refresh_mid(trading_pair)

    # ------------------------------------------------------------------------------------------------ read
    def snapshot(self) -> Dict[str, Any]:
        """``{"band_bps", "since" (s), "window_s", "markets": {trading_pair: figures}}``; volumes and notionals as
        decimal strings, shares as floats in [0, 1]."""
        self.observe()
        window = self._last - self.since
        return {
            "band_bps": str(self.band_bps), "since": self.since, "window_s": window,
            "markets": {pair: self._figures(f, window) for pair, f in sorted(self._markets.items())},
        }

    # ------------------------------------------------------------------------------------------------ internals
    def _market(self, trading_pair: str) -> _MarketFigures:
        figures = self._markets.get(trading_pair)
        if figures is None:
            figures = self._markets[trading_pair] = _MarketFigures()
        return figures

    def _refresh_mid(self, trading_pair: str) -> None:
        self._mids[trading_pair] = self._mid_price(trading_pair)

    def _accrue(self, elapsed: float) -> None:
        by_pair: Dict[str, list] = {}
        for resting in self._orders.values():
            by_pair.setdefault(resting.trading_pair, []).append(resting)
        for trading_pair, orders in by_pair.items():
            figures = self._market(trading_pair)
            figures.uptime_s += elapsed
            figures.order_s += elapsed * len(orders)
            figures.notional_s += elapsed * float(sum(o.price * o.remaining for o in orders))
            if self._two_sided(orders, self._mids.get(trading_pair)):
                figures.two_sided_s += elapsed

    def _two_sided(self, orders: list, mid: Optional[Decimal]) -> bool:
        if mid is None:
            return False
        return (any(o.is_buy and o.price >= mid * (1 - self._band) for o in orders)
                and any(not o.is_buy and o.price <= mid * (1 + self._band) for o in orders))

    @staticmethod
    def _figures(f: _MarketFigures, window: float) -> Dict[str, Any]:
        return {
            "maker_volume_quote": str(f.maker_volume), "volume_quote": str(f.volume),
            "maker_share": float(f.maker_volume / f.volume) if f.volume > 0 else None,
            "fills": f.fills, "maker_fills": f.maker_fills,
            "two_sided_s": round(f.two_sided_s, 3), "uptime_s": round(f.uptime_s, 3),
            "two_sided_share": f.two_sided_s / window if window > 0 else 0.0,
            "uptime_share": f.uptime_s / window if window > 0 else 0.0,
            "avg_resting_order_notional_quote": (str(Decimal(str(f.notional_s / f.order_s)).quantize(Decimal("0.01")))
                                                 if f.order_s > 0 else None),
        }
