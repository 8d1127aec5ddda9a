"""Pure conversions between Backpack payloads and Hummingbot types: trading rules (§4.4), order payloads (§5.5),
order states, REST orders and fills (§5.9–§5.13) and WS order events (§8.5).

Malformed payloads raise ``KeyError``/``ValueError``/``TypeError``; callers log and count them.
"""
import math
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
#: Larger magnitudes are rejected so later arithmetic cannot raise ``decimal.Overflow``.
_MAX_EXPONENT = 100


def to_decimal(value: Any) -> Decimal:
    """:raises ValueError: ``None``, empty, not a number, not finite, or a non-zero magnitude beyond 1e±100."""
    if value is None or value == "":
        raise ValueError("missing decimal value")
    try:
        result = Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"not a decimal: {value!r}") from None
    if not result.is_finite():
        raise ValueError(f"not a finite decimal: {value!r}")
    if result and not -_MAX_EXPONENT <= result.adjusted() <= _MAX_EXPONENT:
        raise ValueError(f"decimal out of range: {str(value)[:32]!r}")
    return result


def decimal_text(value: Decimal) -> str:
    """Wire decimal text (§2.3): no exponent, no trailing zeros (``Decimal("1E-8")`` → ``"0.00000001"``)."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"


def bps_to_fraction(value: Any) -> Decimal:
    """Basis points (§5.4) → fraction: ``"8"`` → ``0.0008``; negative = rebate."""
    return to_decimal(value) / _BPS


def iso_to_epoch_s(text: str) -> float:
    """Naive UTC ISO timestamp (§9; ``Z`` or an offset tolerated) → Unix seconds; ``ValueError`` if unparseable."""
    if not isinstance(text, str):
        raise ValueError(f"not an ISO timestamp: {text!r}")
    parsed = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.timestamp()


def us_to_s(value: Any) -> float:
    """WS ``E``/``T`` µs (§8.1; int, maybe quoted) → seconds; ``ValueError``/``TypeError`` if not an integer."""
    try:
        return int(value) * 1e-6
    except OverflowError:
        raise ValueError(f"timestamp out of range: {str(value)[:32]!r}") from None


def created_at_s(order: Any) -> Optional[float]:
    """An order's ``createdAt`` (§5.13: int ms; a decimal string of ms or a naive UTC ISO string tolerated, §9) in
    seconds; ``None`` when absent or unreadable."""
    value = order.get("createdAt") if isinstance(order, dict) else None
    if value is None or isinstance(value, bool):
        return None
    try:
        if isinstance(value, str) and not value.strip().lstrip("-").isdigit():
            return iso_to_epoch_s(value)
        seconds = int(value) / 1000.0
    except (ValueError, TypeError, OverflowError):
        return None
    return seconds if math.isfinite(seconds) and seconds > 0 else None


def trade_id_text(value: Any) -> str:
    """Trade id text, equal for WS ``t`` and REST ``tradeId`` of one fill; ``ValueError`` if not an integer."""
    if value is None or isinstance(value, bool):
        raise ValueError(f"missing trade id: {value!r}")
    if isinstance(value, float) and not value.is_integer():  # also NaN, Infinity
        raise ValueError(f"trade id is not an integer: {value!r}")
    return str(int(value))


def order_id_text(value: Any) -> str:
    """Exchange order id (REST ``id``/``orderId``, WS ``i``) as text; ``ValueError`` unless a non-empty str or int."""
    if type(value) is str and value:
        return value
    if type(value) is int:
        return str(value)
    raise ValueError(f"missing or malformed order id: {str(value)[:32]!r}")


def trading_rule_from_market(market: Market, trading_pair: str) -> TradingRule:
    """Market (§4.4) → ``TradingRule``; no min-notional filter exists (§4.4).

    :raises KeyError/ValueError/TypeError: missing or non-numeric filters, or tick/step ≤ 0.
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


def normalize_time_in_force(value: Any) -> Optional[str]:
    """``"GTC"|"IOC"|"FOK"`` from a string or an enum; ``None`` stays ``None``; else ``ValueError``."""
    if value is None:
        return None
    text = getattr(value, "value", None) or getattr(value, "name", None) or value
    text = str(text).upper()
    if text not in _TIF_VALUES:
        raise ValueError(f"unsupported time in force {value!r}; Backpack accepts GTC, IOC or FOK (§5.5)")
    return text


def build_order_payload(symbol: str, trade_type: TradeType, order_type: OrderType, amount: Decimal,
                        price: Optional[Decimal], client_id: int,
                        time_in_force: Optional[str] = None,
                        self_trade_prevention: Optional[str] = None) -> Dict[str, Any]:
    """Body of ``POST /api/v1/order`` (§5.5) or a batch element (§5.6); amount and price already quantized;
    ``selfTradePrevention`` when given.

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
    if self_trade_prevention is not None:
        payload["selfTradePrevention"] = self_trade_prevention
    return payload


def order_reference(client_order_id: str, exchange_order_id: Optional[str]) -> Dict[str, Any]:
    """``{"orderId": ...}`` once known (unique on the account, unlike a ``clientId`` another bot may also use),
    else ``{"clientId": int}`` for a uint32 client order id (§5.7, §5.9); else ``ValueError``."""
    if exchange_order_id:
        return {"orderId": exchange_order_id}
    if client_order_id.isdigit() and int(client_order_id) <= CONSTANTS.MAX_CLIENT_ID:
        return {"clientId": int(client_order_id)}
    raise ValueError(f"order {client_order_id} has neither a uint32 clientId nor an exchange order id")


def is_post_only_taker_expiry(reason: Any) -> bool:
    """Whether an expiry reason (REST ``expiryReason``, WS ``R``, §8.5) means a post-only order would have taken."""
    if not reason:
        return False
    text = str(reason)
    return text in CONSTANTS.POST_ONLY_EXPIRY_REASONS or text.replace("_", "").lower() == "postonlytaker"


def order_state(status: str, expiry_reason: Any = None) -> OrderState:
    """Order status (REST ``status``, WS ``X``; §5.13, §8.5) → ``OrderState``; ``PostOnlyTaker`` expiry is FAILED
    like the 400 rejection of §5.5. :raises ValueError: unknown status.
    """
    if status == _EXPIRED and is_post_only_taker_expiry(expiry_reason):
        return OrderState.FAILED
    try:
        return CONSTANTS.ORDER_STATE[status]
    except (KeyError, TypeError):  # TypeError: unhashable status
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
    """Order object (§5.13) or history row (§5.11) → ``OrderUpdate`` at ``timestamp`` (s, observation time).

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
    """``account.orderUpdate`` event (§8.5) → ``OrderUpdate`` at ``T`` (or ``E``); ``triggerFailed`` is FAILED.

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


def _fee(fee_schema: TradeFeeSchema, trade_type: TradeType, amount: Any, asset: Optional[str]) -> TradeFeeBase:
    fee_amount = to_decimal(amount) if amount not in (None, "") else _ZERO
    if asset is not None and type(asset) is not str:
        raise ValueError(f"fee asset is not a string: {str(asset)[:32]!r}")
    flat_fees = [TokenAmount(asset, fee_amount)] if asset and fee_amount != _ZERO else []
    return TradeFeeBase.new_spot_fee(fee_schema=fee_schema, trade_type=trade_type, flat_fees=flat_fees)


def _positive_fill(price: Any, quantity: Any):
    """(price, quantity) as Decimals; ``ValueError`` unless both are positive."""
    price, quantity = to_decimal(price), to_decimal(quantity)
    if price <= _ZERO or quantity <= _ZERO:
        raise ValueError(f"fill price {price} and quantity {quantity} must be positive")
    return price, quantity


def trade_update_from_fill(fill: Fill, client_order_id: str, exchange_order_id: str,
                           trading_pair: str, trade_type: TradeType, fee_schema: TradeFeeSchema) -> TradeUpdate:
    """Fill of ``GET /wapi/v1/history/fills`` (§5.12) → ``TradeUpdate`` with a flat fee (§11.5: Hummingbot pair).

    :raises KeyError/ValueError/TypeError: missing or malformed fields, non-positive price or quantity.
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
    """``orderFill`` event (§8.5) → ``TradeUpdate``; its ``trade_id`` equals the REST one for the same fill.

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
