"""Backpack depth snapshots (§4.6), diffs and trades (§8.2) → ``OrderBookMessage``. Pure functions.

Payload times are µs, message timestamps seconds. Row prices are floats, so ``"86700"`` and ``"86700.0"`` are one
level (§4.6).

Depth frames as text (``decode_depth_frame``): where ``msgspec`` is installed (an optional, light C-extension wheel;
Hummingbot's environment does not ship it) the frame is decoded straight into typed numbers and ``DepthLevel`` rows
(frame-scoped, see ``DepthLevel``); without it ``decode_depth_frame`` is ``None`` and callers decode with ``ujson``
and build rows with ``diff_message``.
Both give the same book: a frame the typed decoder rejects is left to the ``ujson`` path, which classifies it.
"""
from typing import Any, Callable, ClassVar, Generic, List, Mapping, Optional, Sequence, TypeVar, Union

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


try:
    import msgspec
except ImportError:  # pragma: no cover - exercised by the tests with the decoder switched off
    msgspec = None  # type: ignore[assignment]

if msgspec is not None:
    class DepthLevel(msgspec.Struct, array_like=True, gc=False):
        """One ``[price, quantity]`` level of a depth frame decoded as numbers (§8.2), read by the C++ book like an
        ``OrderBookRow`` (``price``, ``amount``, ``update_id``). Frame-scoped: ``update_id`` is the class attribute,
        which the hot path sets to the frame's ``u`` right before ``OrderBook.apply_diffs`` (one store per frame
        instead of one per level); anything that keeps levels past that call keeps ``own_rows`` of them instead. A
        level with a third element is rejected (``absent``)."""
        price: float
        amount: float
        absent: msgspec.UnsetType = msgspec.UNSET
        update_id: ClassVar[int] = -1

    class StampedDepthLevel(msgspec.Struct, array_like=True, gc=False):
        """``DepthLevel`` with an ``update_id`` of its own, set by ``typed_diff_message`` (a level with a third
        element is rejected: ``update_id`` is never decoded)."""
        price: float
        amount: float
        update_id: msgspec.UnsetType = msgspec.UNSET

    _Level = TypeVar("_Level")

    class DepthData(msgspec.Struct, Generic[_Level], gc=False):
        """``data`` of a ``depth.<symbol>`` frame (§8.2): ids ``U``/``u`` and times (µs) as decoded (strings are
        read by ``as_int`` in ``typed_diff_message``, as in ``diff_message``)."""
        U: Union[int, str]
        u: Union[int, str]
        b: List[_Level]
        a: List[_Level]
        T: Union[int, str, None] = None
        E: Union[int, str, None] = None

    class DepthFrame(msgspec.Struct, Generic[_Level], gc=False):
        stream: str
        data: DepthData[_Level]

    #: ``decode(text) -> DepthFrame`` with ``DepthLevel`` rows (``decode_depth_frame``) or ``StampedDepthLevel`` rows
    #: (``decode_stamped_depth_frame``); raises ``msgspec.DecodeError`` (``ValidationError``) on text that is not
    #: JSON or not a depth frame's shape (numbers as JSON numbers or numeric strings).
    decode_depth_frame: Optional[Callable[[Any], Any]] = msgspec.json.Decoder(
        DepthFrame[DepthLevel], strict=False).decode
    decode_stamped_depth_frame: Optional[Callable[[Any], Any]] = msgspec.json.Decoder(
        DepthFrame[StampedDepthLevel], strict=False).decode
else:  # pragma: no cover
    DepthLevel = None  # type: ignore[misc]
    decode_depth_frame = decode_stamped_depth_frame = None


def own_rows(levels: Sequence[Any], update_id: int) -> List[OrderBookRow]:
    """``OrderBookRow`` copies of rows (``DepthLevel`` or ``OrderBookRow``), each with ``update_id``: what is kept
    of a frame's ``DepthLevel`` rows past the frame."""
    return [_tuple_new(_Row, (level.price, level.amount, update_id)) for level in levels]


def typed_diff_message(data: Any, trading_pair: str) -> BackpackOrderBookMessage:
    """``DepthData`` (from either decoder) → DIFF whose rows keep their update id past the frame: the frame's
    ``StampedDepthLevel`` rows stamped with ``u``, or ``own_rows`` of its ``DepthLevel`` rows. :raises (TypeError,
    ValueError): no ``T``/``E`` time, or an id or time ``as_int`` rejects; nothing is changed then."""
    ts = data.T or data.E
    if type(ts) is not int:
        if ts is None:
            raise ValueError("depth frame without T or E")
        ts = as_int(ts)
    first_update_id = data.U
    update_id = data.u
    if type(first_update_id) is not int or type(update_id) is not int:
        first_update_id, update_id = as_int(first_update_id), as_int(update_id)
    bids = data.b
    asks = data.a
    if (bids and type(bids[0]) is DepthLevel) or (asks and type(asks[0]) is DepthLevel):
        bids = own_rows(bids, update_id)
        asks = own_rows(asks, update_id)
    else:
        for level in bids:
            level.update_id = update_id
        for level in asks:
            level.update_id = update_id
    return rows_diff_message(trading_pair, first_update_id, update_id, ts, bids, asks)


def rows_diff_message(trading_pair: str, first_update_id: int, update_id: int, timestamp_us: int,
                      bids: List[Any], asks: List[Any]) -> BackpackOrderBookMessage:
    """DIFF of rows that keep ``update_id`` (``OrderBookRow``, stamped ``StampedDepthLevel``); time in µs."""
    return _tuple_new(BackpackOrderBookMessage, (_DIFF, {
        "trading_pair": trading_pair,
        "update_id": update_id,
        "first_update_id": first_update_id,
        "bids": bids,
        "asks": asks,
    }, timestamp_us * _US))


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
