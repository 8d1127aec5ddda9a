"""The exchange's own view of an account's maker scorecard (``GET /_sandbox/accounts/{apiKey}/scorecard``,
``server.scorecard(api_key, ...)``), for checking a client's figures against the truth.

Per market over a window ``[since, until]`` (s): ``makerVolumeQuote`` / ``volumeQuote`` (quote volume of the
account's maker fills / all its fills, liquidity from the ledger) and ``makerShare`` (their ratio; ``null``
without fills); ``twoSidedShare``: share of the window with a resting bid of the
account at or above ``mid × (1 − bandBps/10⁴)`` and a resting ask at or below ``mid × (1 + bandBps/10⁴)``, mid of the
book (best bid + best ask) / 2, our own orders included; ``uptimeShare``: share with at least one resting order;
``avgRestingOrderNotionalQuote``: time-weighted average of a resting order's ``price × remaining``.

:class:`ScorecardRecorder` is an engine listener: after every command that sent an account an order event it records
that account's resting orders of the market, for every market an account has quoted each top-of-book change, and the
time of each of its fills. Its times are real µs (not the fault-skewed server clock), so a client's wall-clock
window compares. Each timeline keeps its newest ``MAX_POINTS`` changes.
"""
from __future__ import annotations

import bisect
import time
from decimal import Decimal, InvalidOperation
from typing import Callable, Dict, List, Optional, Tuple

from .book import ASK, BID

#: Changes kept per timeline (an account's orders in one market; one market's mid).
MAX_POINTS = 200_000
DEFAULT_BAND_BPS = Decimal(100)

#: (is_bid, price, remaining) of each resting order.
Resting = Tuple[Tuple[bool, Decimal, Decimal], ...]


def parse_band_bps(value: object) -> Decimal:
    """``value`` as a positive, finite number of bps.

    :raises ValueError: anything else.
    """
    try:
        band = Decimal(str(value))
    except InvalidOperation:
        band = Decimal("NaN")
    if not band.is_finite() or band <= 0:
        raise ValueError("bandBps must be a positive number of basis points")
    return band


def _real_us() -> int:
    return time.time_ns() // 1000


class _Timeline:
    """A step function of time (µs): the value set at a time holds until the next one."""

    def __init__(self) -> None:
        self.times: List[int] = []
        self.values: List[object] = []

    def set(self, t_us: int, value: object) -> None:
        if self.values and self.values[-1] == value:
            return
        if self.times and t_us < self.times[-1]:
            t_us = self.times[-1]
        self.times.append(t_us)
        self.values.append(value)
        if len(self.times) > MAX_POINTS:
            del self.times[: MAX_POINTS // 2], self.values[: MAX_POINTS // 2]

    def at(self, t_us: int, default: object = None) -> object:
        i = bisect.bisect_right(self.times, t_us) - 1
        return self.values[i] if i >= 0 else default

    def changes(self, after_us: int, before_us: int) -> List[int]:
        lo, hi = bisect.bisect_right(self.times, after_us), bisect.bisect_left(self.times, before_us)
        return self.times[lo:hi]


class ScorecardRecorder:
    """Engine listener recording resting orders per (account, market) and the mid of quoted markets."""

    def __init__(self, engine, now_us: Callable[[], int] = _real_us) -> None:
        self.engine = engine
        self.now_us = now_us
        self.orders: Dict[Tuple[int, str], _Timeline] = {}
        self.mids: Dict[str, _Timeline] = {}
        #: Real µs of each fill of a non-internal account, by trade id.
        self.fill_times: Dict[int, int] = {}

    def _mid(self, symbol: str) -> Optional[Decimal]:
        book = self.engine.markets[symbol].book
        bid, ask = book.best(BID), book.best(ASK)
        return (bid + ask) / 2 if bid is not None and ask is not None else None

    # engine listener
    def on_order_event(self, account_id: int, symbol: str, event: dict) -> None:
        now = self.now_us()
        resting: Resting = tuple(sorted((o.side == BID, o.price, o.remaining)
                                        for o in self.engine.open_orders[account_id].values() if o.symbol == symbol))
        self.orders.setdefault((account_id, symbol), _Timeline()).set(now, resting)
        if symbol not in self.mids:
            self.mids[symbol] = _Timeline()
        self.mids[symbol].set(now, self._mid(symbol))

    def on_book_ticker(self, spec, update_id, now_us, bid_top, ask_top) -> None:
        timeline = self.mids.get(spec.symbol)
        if timeline is not None:
            timeline.set(self.now_us(), self._mid(spec.symbol))

    def on_trade(self, spec, fill) -> None:
        accounts = self.engine.accounts
        if not (accounts[fill.buyer_account].internal and accounts[fill.seller_account].internal):
            self.fill_times[fill.trade_id] = self.now_us()

    def on_balance(self, *args, **kwargs) -> None:
        pass

    def on_depth(self, *args) -> None:
        pass

    # view
    def view(self, account_id: int, since_s: Optional[float] = None, until_s: Optional[float] = None,
             band_bps: object = DEFAULT_BAND_BPS) -> dict:
        """The account's scorecard over ``[since_s, until_s]`` (default: its first recorded order event, now).

        :raises ValueError: ``until_s`` before ``since_s``, or a band that is not a positive number of bps.
        """
        band = parse_band_bps(band_bps)
        symbols = sorted({s for (a, s) in self.orders if a == account_id}
                         | {f.symbol for f, _ in self.engine.account_fills.get(account_id, [])})
        until_us = int(until_s * 1e6) if until_s is not None else self.now_us()
        if since_s is not None:
            since_us = int(since_s * 1e6)
        else:
            firsts = [self.orders[(account_id, s)].times[0] for s in symbols if (account_id, s) in self.orders]
            since_us = min(firsts, default=until_us)
        if until_us < since_us:
            raise ValueError("until must not be before since")
        window_s = (until_us - since_us) / 1e6
        markets = {s: self._market(account_id, s, since_us, until_us, band / Decimal(10000), window_s)
                   for s in symbols}
        return {"bandBps": str(band), "since": since_us / 1e6, "until": until_us / 1e6, "windowS": window_s,
                "markets": markets}

    def _market(self, account_id: int, symbol: str, since_us: int, until_us: int, band: Decimal,
                window_s: float) -> dict:
        maker = total = Decimal(0)
        fills = maker_fills = 0
        for fill, order_id in self.engine.account_fills.get(account_id, []):
            if fill.symbol != symbol or not since_us <= self.fill_times.get(fill.trade_id, fill.time_us) <= until_us:
                continue
            is_maker = (order_id == fill.buy_order_id) == fill.buyer_is_maker
            fills += 1
            total += fill.quote_quantity
            if is_maker:
                maker_fills += 1
                maker += fill.quote_quantity
        orders = self.orders.get((account_id, symbol), _Timeline())
        mids = self.mids.get(symbol, _Timeline())
        points = sorted({since_us, *orders.changes(since_us, until_us), *mids.changes(since_us, until_us)})
        two_sided = uptime = notional = order_s = 0.0
        for start, end in zip(points, points[1:] + [until_us]):
            dt = (end - start) / 1e6
            resting = orders.at(start, ())
            if dt <= 0 or not resting:
                continue
            uptime += dt
            order_s += dt * len(resting)
            notional += dt * float(sum(price * remaining for _, price, remaining in resting))
            mid = mids.at(start)
            if mid is not None and any(bid and price >= mid * (1 - band) for bid, price, _ in resting) \
                    and any(not bid and price <= mid * (1 + band) for bid, price, _ in resting):
                two_sided += dt
        return {
            "makerVolumeQuote": str(maker), "volumeQuote": str(total),
            "makerShare": float(maker / total) if total > 0 else None, "fills": fills, "makerFills": maker_fills,
            "twoSidedS": round(two_sided, 3), "uptimeS": round(uptime, 3),
            "twoSidedShare": two_sided / window_s if window_s > 0 else 0.0,
            "uptimeShare": uptime / window_s if window_s > 0 else 0.0,
            "avgRestingOrderNotionalQuote": (str(Decimal(str(notional / order_s)).quantize(Decimal("0.01")))
                                             if order_s > 0 else None),
        }
