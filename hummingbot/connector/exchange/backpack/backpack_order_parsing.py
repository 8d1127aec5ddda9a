"""Pure functions between Backpack payloads and Hummingbot's data types: trading rules (§4.4), order payloads
(§5.5), order states (§5.13, §8.5), REST orders and fills (§5.9–§5.12) and private WS order events (§8.5).

No I/O and no connector state: every function takes the payload plus what it needs (client order id, trading
pair, side, fee schema) and returns an ``OrderUpdate``/``TradeUpdate``/``TradingRule``/dict, so each can be
table-tested with recorded payloads. Malformed payloads raise ``KeyError``/``ValueError``/``TypeError``
(``to_decimal`` turns ``decimal.InvalidOperation`` into ``ValueError``); callers log and count them.
"""
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any, Dict, Optional

from hummingbot.connector.exchange.backpack import backpack_constants as CONSTANTS
from hummingbot.connector.exchange.backpack.backpack_types import Fill, Market, Order, OrderUpdateEvent
from hummingbot.connector.trading_rule import TradingRule
from hummingbot.core.data_type.common import OrderType, TradeType
from hummingbot.core.data_type.in_flight_order import OrderState, OrderUpdate, TradeUpdate
from hummingbot.core.data_type.trade_fee import TokenAmount, TradeFeeBase, TradeFeeSchema

_BPS = Decimal("10000")
_ZERO = Decimal("0")
_TIF_VALUES = frozenset({CONSTANTS.TIME_IN_FORCE_GTC, CONSTANTS.TIME_IN_FORCE_IOC, CONSTANTS.TIME_IN_FORCE_FOK})
_SIDE = {TradeType.BUY: CONSTANTS.SIDE_BUY, TradeType.SELL: CONSTANTS.SIDE_SELL}
_EXPIRED = "Expired"
#: Decimals beyond 1e±100 are no Backpack price, size, fee or balance; rejecting them keeps later arithmetic
#: (products, sums, divisions) inside the decimal context instead of raising ``decimal.Overflow``.
_MAX_EXPONENT = 100


# ----------------------------------------------------------------------------------------------- scalars
def to_decimal(value: Any) -> Decimal:
    """Decimal from a Backpack decimal string (or number).

    :raises ValueError: ``None``, empty, not a number, not finite, or a non-zero magnitude beyond 1e±100.
    """
    if value is None or value == "":
        raise ValueError("missing decimal value")
    try:
        result = Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"not a decimal: {value!r}") from None
    if not result.is_finite():
        raise ValueError(f"not a finite decimal: {value!r}")
    if result and not -_MAX_EXPONENT <= result.adjusted() <= _MAX_EXPONENT:
        # e.g. "1e999999999": a finite Decimal whose first product or sum raises decimal.Overflow
        raise ValueError(f"decimal out of range: {str(value)[:32]!r}")
    return result


def decimal_text(value: Decimal) -> str:
    """Plain decimal text for the wire (§2.3): no exponent, no trailing zeros (``Decimal("100.000")`` → ``"100"``,
    ``Decimal("1E-8")`` → ``"0.00000001"``). Values already quantized to tick/step keep their precision."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"


def bps_to_fraction(value: Any) -> Decimal:
    """Basis points (``/api/v1/account`` fee strings, §5.4) → fraction: ``"8"`` → ``0.0008``; negative = rebate."""
    return to_decimal(value) / _BPS


def iso_to_epoch_s(text: str) -> float:
    """Backpack's naive UTC ISO timestamps (fills ``timestamp``, history ``createdAt``; §9) → Unix seconds.

    A trailing ``Z`` or an explicit offset is tolerated. :raises ValueError: unparseable text.
    """
    if not isinstance(text, str):
        raise ValueError(f"not an ISO timestamp: {text!r}")
    parsed = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.timestamp()


def us_to_s(value: Any) -> float:
    """WS ``E``/``T`` microseconds (§8.1; integers, sometimes quoted) → seconds.

    :raises ValueError/TypeError: not an integer, or beyond float range.
    """
    try:
        return int(value) * 1e-6
    except OverflowError:  # int(inf), or an int beyond float range
        raise ValueError(f"timestamp out of range: {str(value)[:32]!r}") from None


def trade_id_text(value: Any) -> str:
    """One text form for a trade id, whether it came as WS ``t`` (number) or REST ``tradeId`` (number or string),
    so the order tracker de-duplicates a fill seen on both paths. :raises ValueError: ``None``/non-integer."""
    if value is None or isinstance(value, bool):
        raise ValueError(f"missing trade id: {value!r}")
    if isinstance(value, float) and not value.is_integer():  # 1.5, NaN, Infinity (int(inf): OverflowError)
        raise ValueError(f"trade id is not an integer: {value!r}")
    return str(int(value))


def order_id_text(value: Any) -> str:
    """An exchange order id (REST ``id``/``orderId``, WS ``i``; a string, older payloads a number) as text.

    :raises ValueError: ``None``, empty, a boolean or anything else that is not a string or an integer (an id of
        ``"None"`` would never match the real one again).
    """
    if type(value) is str and value:
        return value
    if type(value) is int:
        return str(value)
    raise ValueError(f"missing or malformed order id: {str(value)[:32]!r}")


# ----------------------------------------------------------------------------------------- trading rules
def trading_rule_from_market(market: Market, trading_pair: str) -> TradingRule:
    """Market of ``GET /api/v1/markets`` (§4.4) → ``TradingRule``: tick = ``filters.price.tickSize``, step =
    ``filters.quantity.stepSize``, min size = ``filters.quantity.minQuantity``, max size = ``maxQuantity`` when set.
    Backpack has no min-notional filter (§4.4), so ``min_notional_size`` stays 0.

    :raises KeyError/ValueError/TypeError: missing or non-numeric filters (tick/step must be > 0).
    """
    filters = market["filters"]
    price_filter = filters["price"]
    quantity_filter = filters["quantity"]
    tick = to_decimal(price_filter["tickSize"])
    step = to_decimal(quantity_filter["stepSize"])
    if tick <= _ZERO or step <= _ZERO:
        raise ValueError(f"non-positive tick {tick} or step {step}")
    kwargs = dict(
        trading_pair=trading_pair,
        min_order_size=to_decimal(quantity_filter["minQuantity"]),
        min_price_increment=tick,
        min_base_amount_increment=step,
    )
    max_quantity = quantity_filter.get("maxQuantity")
    if max_quantity not in (None, ""):
        kwargs["max_order_size"] = to_decimal(max_quantity)
    return TradingRule(**kwargs)


# ------------------------------------------------------------------------------------------ order payloads
def normalize_time_in_force(value: Any) -> Optional[str]:
    """``"GTC"|"IOC"|"FOK"`` from a string or an enum (``.value``/``.name``); ``None`` stays ``None``.

    :raises ValueError: any other value.
    """
    if value is None:
        return None
    text = getattr(value, "value", None) or getattr(value, "name", None) or value
    text = str(text).upper()
    if text not in _TIF_VALUES:
        raise ValueError(f"unsupported time in force {value!r}; Backpack accepts GTC, IOC or FOK (§5.5)")
    return text


def build_order_payload(symbol: str, trade_type: TradeType, order_type: OrderType, amount: Decimal,
                        price: Optional[Decimal], client_id: int,
                        time_in_force: Optional[str] = None) -> Dict[str, Any]:
    """Body of ``POST /api/v1/order`` (or one element of the batch, §5.6) for a LIMIT, LIMIT_MAKER or MARKET order.

    Prices/quantities go as decimal strings (§2.3; callers pass values already quantized to tick/step), ``clientId``
    as a JSON integer (uint32). LIMIT_MAKER ⇒ ``postOnly: true`` (with GTC; IOC/FOK contradict post-only). MARKET
    orders carry ``quantity`` only.

    :raises ValueError: unsupported order type, missing price on a limit order, bad time in force.
    """
    tif = normalize_time_in_force(time_in_force)
    payload: Dict[str, Any] = {"symbol": symbol, "side": _SIDE[trade_type]}
    if order_type is OrderType.MARKET:
        payload["orderType"] = CONSTANTS.ORDER_TYPE_MARKET
        payload["quantity"] = decimal_text(amount)
    elif order_type in (OrderType.LIMIT, OrderType.LIMIT_MAKER):
        if price is None or not price.is_finite() or price <= _ZERO:
            raise ValueError(f"a {order_type.name} order needs a positive price, got {price}")
        payload["orderType"] = CONSTANTS.ORDER_TYPE_LIMIT
        payload["price"] = decimal_text(price)
        payload["quantity"] = decimal_text(amount)
        if order_type is OrderType.LIMIT_MAKER:
            if tif not in (None, CONSTANTS.TIME_IN_FORCE_GTC):
                raise ValueError(f"LIMIT_MAKER (post-only) cannot be combined with time in force {tif}")
            payload["postOnly"] = True
    else:
        raise ValueError(f"order type {order_type} is not supported by Backpack spot")
    if tif is not None:
        payload["timeInForce"] = tif
    payload["clientId"] = int(client_id)
    return payload


def order_reference(client_order_id: str, exchange_order_id: Optional[str]) -> Dict[str, Any]:
    """``{"clientId": int}`` when the client order id is a uint32 decimal (ours always are), else
    ``{"orderId": ...}`` (orders restored from another connector's ids). Backpack takes exactly one (§5.7).

    :raises ValueError: neither is usable.
    """
    if client_order_id.isdigit() and int(client_order_id) <= CONSTANTS.MAX_CLIENT_ID:
        return {"clientId": int(client_order_id)}
    if exchange_order_id:
        return {"orderId": exchange_order_id}
    raise ValueError(f"order {client_order_id} has neither a uint32 clientId nor an exchange order id")


# ------------------------------------------------------------------------------------------- order states
def is_post_only_taker_expiry(reason: Any) -> bool:
    """True when an expiry reason (REST ``expiryReason`` PascalCase, WS ``R`` format UNCONFIRMED, §8.5) says a
    post-only order would have taken liquidity."""
    if not reason:
        return False
    text = str(reason)
    return text in CONSTANTS.POST_ONLY_EXPIRY_REASONS or text.replace("_", "").lower() == "postonlytaker"


def order_state(status: str, expiry_reason: Any = None) -> OrderState:
    """Backpack order status (REST ``status``, WS ``X``; §5.13, §8.5) → ``OrderState``.

    ``Expired`` is CANCELED (IOC/FOK remainder, price band...), except a post-only order expired because it would
    have taken liquidity (``PostOnlyTaker``): that one is FAILED — the order never rested, as with the 400
    rejection of §5.5, so strategies see the same outcome either way.

    :raises ValueError: unknown status (logged by the caller; the order keeps its state).
    """
    if status == _EXPIRED and is_post_only_taker_expiry(expiry_reason):
        return OrderState.FAILED
    try:
        return CONSTANTS.ORDER_STATE[status]
    except (KeyError, TypeError):  # TypeError: an unhashable status ([] or {})
        raise ValueError(f"unknown Backpack order status {str(status)[:32]!r}") from None


def _failure_misc(state: OrderState, status: str, reason: Any) -> Optional[Dict[str, str]]:
    if state is not OrderState.FAILED:
        return None
    if is_post_only_taker_expiry(reason):
        return {"error_type": "PostOnlyTaker",
                "error_message": "post-only order would have taken liquidity (expired by Backpack: PostOnlyTaker)"}
    return {"error_type": status, "error_message": f"Backpack reported the order as {status} ({reason or 'no reason'})"}


def order_update_from_order(order: Order, client_order_id: str, trading_pair: str,
                            timestamp: float) -> OrderUpdate:
    """Order object of §5.13 (placement, query, cancel answers) or an order-history row (§5.11) → ``OrderUpdate``.

    :param timestamp: update time in seconds (when we observed it; order ``createdAt`` is creation, not update).
    :raises KeyError/ValueError: no ``status``/``id`` or an unknown status.
    """
    status = order["status"]
    reason = order.get("expiryReason")
    state = order_state(status, reason)
    return OrderUpdate(
        trading_pair=trading_pair,
        update_timestamp=timestamp,
        new_state=state,
        client_order_id=client_order_id,
        exchange_order_id=order_id_text(order["id"]),
        misc_updates=_failure_misc(state, status, reason),
    )


def order_update_from_ws(event: OrderUpdateEvent, client_order_id: str, trading_pair: str) -> OrderUpdate:
    """``account.orderUpdate`` event (§8.5: ``X`` state, ``R`` expiry reason, ``i`` order id, ``E``/``T`` µs) →
    ``OrderUpdate`` with the engine time ``T`` (or ``E``) in seconds. ``triggerFailed`` maps to FAILED.

    :raises KeyError/ValueError: missing ``X``/``i`` or an unknown state.
    """
    status = event["X"]
    reason = event.get("R")
    state = order_state(status, reason)
    if event.get("e") == "triggerFailed":
        state = OrderState.FAILED
    return OrderUpdate(
        trading_pair=trading_pair,
        update_timestamp=us_to_s(event.get("T") or event["E"]),
        new_state=state,
        client_order_id=client_order_id,
        exchange_order_id=order_id_text(event["i"]),
        misc_updates=_failure_misc(state, status, reason),
    )


# ------------------------------------------------------------------------------------------------ fills
def _fee(fee_schema: TradeFeeSchema, trade_type: TradeType, amount: Any, asset: Optional[str]) -> TradeFeeBase:
    fee_amount = to_decimal(amount) if amount not in (None, "") else _ZERO
    if asset is not None and type(asset) is not str:
        raise ValueError(f"fee asset is not a string: {str(asset)[:32]!r}")
    flat_fees = [TokenAmount(asset, fee_amount)] if asset and fee_amount != _ZERO else []
    return TradeFeeBase.new_spot_fee(fee_schema=fee_schema, trade_type=trade_type, flat_fees=flat_fees)


def _positive_fill(price: Any, quantity: Any):
    """(price, quantity) of one fill as Decimals; a fill of zero or less (price or size) is malformed: it would
    move the order's executed amount backwards or not at all. :raises ValueError: otherwise."""
    price, quantity = to_decimal(price), to_decimal(quantity)
    if price <= _ZERO or quantity <= _ZERO:
        raise ValueError(f"fill price {price} and quantity {quantity} must be positive")
    return price, quantity


def trade_update_from_fill(fill: Fill, client_order_id: str, exchange_order_id: str,
                           trading_pair: str, trade_type: TradeType, fee_schema: TradeFeeSchema) -> TradeUpdate:
    """Element of ``GET /wapi/v1/history/fills`` (§5.12) → ``TradeUpdate`` (fee = flat ``fee`` in ``feeSymbol``,
    time = naive UTC ISO ``timestamp`` → seconds, Hummingbot trading pair — never the exchange symbol, §11.5).

    :raises KeyError/ValueError/TypeError: missing price/quantity/trade id, a non-positive price or quantity, an
        unparseable timestamp or a malformed order id / fee asset.
    """
    price, quantity = _positive_fill(fill["price"], fill["quantity"])
    order_id = fill.get("orderId")
    return TradeUpdate(
        trade_id=trade_id_text(fill["tradeId"]),
        client_order_id=client_order_id,
        exchange_order_id=order_id_text(order_id) if order_id is not None else exchange_order_id,
        trading_pair=trading_pair,
        fill_timestamp=iso_to_epoch_s(fill["timestamp"]),
        fill_price=price,
        fill_base_amount=quantity,
        fill_quote_amount=price * quantity,
        fee=_fee(fee_schema, trade_type, fill.get("fee"), fill.get("feeSymbol")),
        is_taker=not bool(fill.get("isMaker", False)),
    )


def trade_update_from_ws(event: OrderUpdateEvent, client_order_id: str, trading_pair: str,
                         trade_type: TradeType, fee_schema: TradeFeeSchema) -> TradeUpdate:
    """``orderFill`` event (§8.5: ``t`` trade id, ``l`` fill quantity, ``L`` fill price, ``n`` fee, ``N`` fee asset,
    ``m`` maker, ``T`` µs) → ``TradeUpdate`` whose ``trade_id`` equals the REST one for the same fill.

    :raises KeyError/ValueError/TypeError: missing or malformed ``t``/``l``/``L``/``i``/``N``, non-positive ``l``/``L``.
    """
    price, quantity = _positive_fill(event["L"], event["l"])
    return TradeUpdate(
        trade_id=trade_id_text(event["t"]),
        client_order_id=client_order_id,
        exchange_order_id=order_id_text(event["i"]),
        trading_pair=trading_pair,
        fill_timestamp=us_to_s(event.get("T") or event["E"]),
        fill_price=price,
        fill_base_amount=quantity,
        fill_quote_amount=price * quantity,
        fee=_fee(fee_schema, trade_type, event.get("n"), event.get("N")),
        is_taker=not bool(event.get("m", False)),
    )
