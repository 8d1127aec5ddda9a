"""Backpack depth snapshots (§4.6), diffs and trades (§8.2) → ``OrderBookMessage``. Pure functions.

Payload times are µs, message timestamps seconds. Row prices are floats, so ``"86700"`` and ``"86700.0"`` are one
level (§4.6).
"""
from typing import Any, List, Mapping, Optional, Sequence

from hummingbot.core.data_type.common import TradeType
from hummingbot.core.data_type.order_book_message import OrderBookMessage, OrderBookMessageType
from hummingbot.core.data_type.order_book_row import OrderBookRow

_DIFF = OrderBookMessageType.DIFF
_SNAPSHOT = OrderBookMessageType.SNAPSHOT
_TRADE = OrderBookMessageType.TRADE
_SELL = float(TradeType.SELL.value)
_BUY = float(TradeType.BUY.value)
_Row = OrderBookRow
_US = 1e-6
#: Builds the namedtuples without their Python-level ``__new__`` (faster, same objects).
_tuple_new = tuple.__new__


class BackpackOrderBookMessage(OrderBookMessage):
    """``OrderBookMessage`` with pre-converted rows, ordered by update id, then trade id, then timestamp."""

    __slots__ = ()

    @property
    def update_id(self) -> int:
        return self.content.get("update_id", -1)

    @property
    def first_update_id(self) -> int:
        if self.type is _DIFF:
            content = self.content
            return content.get("first_update_id", content["update_id"])
        return -1

    @property
    def bids(self) -> List[OrderBookRow]:
        return self.content["bids"]

    @property
    def asks(self) -> List[OrderBookRow]:
        return self.content["asks"]

    # The base class inherits tuple's ``>``/``<=``/``>=``; all four must agree.
    def __lt__(self, other: "OrderBookMessage") -> bool:
        return _precedes(self, other)

    def __gt__(self, other: "OrderBookMessage") -> bool:
        return _precedes(other, self)

    def __le__(self, other: "OrderBookMessage") -> bool:
        return not _precedes(other, self)

    def __ge__(self, other: "OrderBookMessage") -> bool:
        return not _precedes(self, other)


def _precedes(a: OrderBookMessage, b: OrderBookMessage) -> bool:
    if a.has_update_id and b.has_update_id:
        return a.update_id < b.update_id
    if a.has_trade_id and b.has_trade_id:
        return a.trade_id < b.trade_id
    if a.timestamp != b.timestamp:
        return a.timestamp < b.timestamp
    return a.has_update_id and not b.has_update_id  # book messages before trades at equal times


def rows(levels: Sequence[Sequence[Any]], update_id: int) -> List[OrderBookRow]:
    """``[[price, qty], ...]`` → ``OrderBookRow`` list; ``TypeError``/``ValueError`` on a malformed level."""
    return [_tuple_new(_Row, (float(price), float(amount), update_id)) for price, amount in levels]


def as_int(value: Any) -> int:
    """Integer id from a number or string (§8.1); ``TypeError``/``ValueError`` otherwise (booleans included)."""
    if type(value) is int:
        return value
    if isinstance(value, bool) or not isinstance(value, (str, float)):
        raise TypeError(f"expected an integer id, got {type(value).__name__}")
    if isinstance(value, float) and not value.is_integer():
        raise ValueError(f"expected an integer id, got {value!r}")
    return int(value)


def snapshot_message(payload: Mapping[str, Any], trading_pair: str,
                     default_timestamp: Optional[float] = None) -> BackpackOrderBookMessage:
    """REST depth body → SNAPSHOT; timestamp from ``timestamp`` else ``default_timestamp`` (s).

    :raises (KeyError, TypeError, ValueError): malformed payload.
    """
    update_id = as_int(payload["lastUpdateId"])
    ts = payload.get("timestamp")
    try:
        timestamp = as_int(ts) * _US if ts is not None else default_timestamp
        return BackpackOrderBookMessage(_SNAPSHOT, {
            "trading_pair": trading_pair,
            "update_id": update_id,
            "bids": rows(payload["bids"], update_id),
            "asks": rows(payload["asks"], update_id),
        }, timestamp)
    except OverflowError:
        raise _beyond_float_range() from None


def diff_message(data: Mapping[str, Any], trading_pair: str) -> BackpackOrderBookMessage:
    """WS ``depth.<symbol>`` data → DIFF. :raises (KeyError, TypeError, ValueError): malformed payload."""
    update_id = as_int(data["u"])
    return diff_message_fast(data, trading_pair, as_int(data["U"]), update_id)


def diff_message_fast(data: Mapping[str, Any], trading_pair: str, first_update_id: int,
                      update_id: int) -> BackpackOrderBookMessage:
    """``diff_message`` for callers that already read ``U``/``u``."""
    ts = data.get("T") or data["E"]
    if type(ts) is not int:
        ts = as_int(ts)
    try:
        return _tuple_new(BackpackOrderBookMessage, (_DIFF, {
            "trading_pair": trading_pair,
            "update_id": update_id,
            "first_update_id": first_update_id,
            "bids": [_tuple_new(_Row, (float(p), float(q), update_id)) for p, q in data["b"]],
            "asks": [_tuple_new(_Row, (float(p), float(q), update_id)) for p, q in data["a"]],
        }, ts * _US))
    except OverflowError:
        raise _beyond_float_range() from None


def trade_message(data: Mapping[str, Any], trading_pair: str) -> BackpackOrderBookMessage:
    """WS ``trade.<symbol>`` data → TRADE; ``m`` (buyer is maker) ⇒ taker SOLD.

    :raises (KeyError, TypeError, ValueError): malformed payload.
    """
    maker_is_buyer = data["m"]
    ts = data.get("T") or data["E"]
    if not isinstance(maker_is_buyer, bool):
        raise TypeError(f"trade field m must be a boolean, got {type(maker_is_buyer).__name__}")
    price = data["p"]
    amount = data["q"]
    try:
        float(price), float(amount)  # the tracker converts them later, where an error would be lost
        timestamp = as_int(ts) * _US
    except OverflowError:
        raise _beyond_float_range() from None
    return BackpackOrderBookMessage(_TRADE, {
        "trading_pair": trading_pair,
        "trade_type": _SELL if maker_is_buyer else _BUY,
        "trade_id": as_int(data["t"]),
        "price": price,
        "amount": amount,
    }, timestamp)


def _beyond_float_range() -> ValueError:
    return ValueError("a number in the payload is beyond float range")
