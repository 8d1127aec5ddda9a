"""JSON renderings of engine records, one function per wire shape.

- :func:`order_json`: order object of docs/backpack-api.md §5.5/§5.13 (``createdAt`` int ms, ``id`` string).
- :func:`history_order_json`: order-history element of §5.11 (``createdAt`` naive UTC ISO string).
- :func:`fill_history_json`: fills-history element of §5.12 (``timestamp`` naive UTC ISO, ``clientId`` string).
- :func:`order_event`: WS ``account.orderUpdate`` payload of §8.5 (µs ``E``/``T``, ``o`` upper case).

``quoteQuantity``: the requested quote amount of a quote-sized market order; for a quantity-sized market order
the executed quote (a market answer always carries one, [ccxt] example); ``price × quantity`` on limit rows of
order history (§5.11).
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Optional

from .markets import MarketSpec, fmt, fmt_ws
from .models import Fill, Order


def iso_from_us(time_us: int) -> str:
    """Naive UTC ISO string with milliseconds, no ``Z`` (§5.11, §5.12), e.g. ``2025-07-27T17:39:00.092``."""
    dt = datetime.fromtimestamp(time_us / 1_000_000, tz=timezone.utc).replace(tzinfo=None)
    return dt.isoformat(timespec="milliseconds")


_NULL_ORDER_FIELDS = (
    "reduceOnly", "relatedOrderId", "stopLossLimitPrice", "stopLossTriggerBy", "stopLossTriggerPrice",
    "strategyId", "systemOrderType", "takeProfitLimitPrice", "takeProfitTriggerBy", "takeProfitTriggerPrice",
    "triggerBy", "triggerPrice", "triggerQuantity", "triggeredAt",
)


def _quote_quantity(o: Order) -> Optional[str]:
    if o.quote_quantity is not None:
        return o.quote_quantity_text
    if o.order_type == "Market":
        return fmt(o.executed_quote)
    if o.price is not None and o.quantity is not None:
        return fmt(o.price * o.quantity)
    return None


def order_json(o: Order) -> dict:
    """§5.13 order object (Limit: ``price``, ``postOnly``; Market: ``quoteQuantity``, slippage fields);
    ``systemOrderType`` null (user orders)."""
    out = {
        "id": o.id,
        "clientId": o.client_id,
        "symbol": o.symbol,
        "side": o.side,
        "orderType": o.order_type,
        "quantity": fmt(o.quantity),
        "executedQuantity": fmt(o.executed_qty),
        "executedQuoteQuantity": fmt(o.executed_quote),
        "selfTradePrevention": o.stp,
        "status": o.status,
        "timeInForce": o.tif,
        "createdAt": o.created_us // 1000,
    }
    if o.order_type == "Limit":
        out["price"] = fmt(o.price)
        out["postOnly"] = o.post_only
    else:
        out["quoteQuantity"] = _quote_quantity(o)
        out["slippageTolerance"] = None
        out["slippageToleranceType"] = None
    for name in _NULL_ORDER_FIELDS:
        out[name] = None
    return out


def history_order_json(o: Order) -> dict:
    """§5.11 order-history element."""
    return {
        "id": o.id,
        "createdAt": iso_from_us(o.created_us),
        "clientId": o.client_id,
        "symbol": o.symbol,
        "side": o.side,
        "orderType": o.order_type,
        "price": fmt(o.price),
        "quantity": fmt(o.quantity),
        "quoteQuantity": _quote_quantity(o),
        "executedQuantity": fmt(o.executed_qty),
        "executedQuoteQuantity": fmt(o.executed_quote),
        "status": o.status,
        "expiryReason": o.expiry_reason,
        "postOnly": o.post_only,
        "timeInForce": o.tif,
        "selfTradePrevention": o.stp,
        "systemOrderType": None,
        "strategyId": None,
        "triggerBy": None,
        "triggerPrice": None,
        "triggerQuantity": None,
        "stopLossTriggerPrice": None,
        "stopLossLimitPrice": None,
        "stopLossTriggerBy": None,
        "takeProfitTriggerPrice": None,
        "takeProfitLimitPrice": None,
        "takeProfitTriggerBy": None,
        "slippageTolerance": None,
        "slippageToleranceType": None,
    }


def fill_history_json(f: Fill, account_id: int, order_id: str) -> dict:
    """§5.12 fills-history element, seen from ``account_id``'s order ``order_id``."""
    side = "Bid" if order_id == f.buy_order_id else "Ask"
    is_buy = side == "Bid"
    client_id = f.buyer_client_id if is_buy else f.seller_client_id
    return {
        "tradeId": f.trade_id,
        "orderId": order_id,
        "clientId": None if client_id is None else str(client_id),
        "symbol": f.symbol,
        "side": side,
        "price": fmt(f.price),
        "quantity": fmt(f.quantity),
        "fee": fmt(f.buyer_fee if is_buy else f.seller_fee),
        "feeSymbol": f.base if is_buy else f.quote,
        "isMaker": f.buyer_is_maker if is_buy else not f.buyer_is_maker,
        "systemOrderType": None,
        "timestamp": iso_from_us(f.time_us),
    }


def order_event(
    o: Order,
    spec: MarketSpec,
    event_type: str,
    time_us: int,
    fill: Optional[Fill] = None,
    reason: Optional[str] = None,
    pad: bool = True,
) -> dict:
    """§8.5 order update (``E`` is set by the WS hub when it is sent).

    With ``pad`` quantities are padded to the step's decimals and prices to the tick's (§8.1), without it printed
    as REST does; ``z``/``Z`` read ``"0"`` until something executed (§8.5 examples). ``Q`` (quote quantity) is
    ``price × quantity`` for limit orders (as in the §8.5 orderAccepted example) or the requested
    ``quoteQuantity`` of a reverse market order.
    """
    pd, qd = spec.price_decimals, spec.qty_decimals

    def num(value, places):
        return fmt_ws(value, places, pad)

    ev = {"e": event_type, "E": time_us, "s": o.symbol}
    if o.client_id is not None:
        ev["c"] = o.client_id
    ev["S"] = o.side
    ev["o"] = o.order_type.upper()
    ev["f"] = o.tif
    if o.quantity is not None:
        ev["q"] = num(o.quantity, qd)
    if o.quote_quantity is not None:
        ev["Q"] = o.quote_quantity_text
    elif o.price is not None and o.quantity is not None:
        ev["Q"] = num(o.price * o.quantity, pd + qd)
    if o.price is not None:
        ev["p"] = num(o.price, pd)
    ev["X"] = o.status
    ev["i"] = o.id
    ev["t"] = fill.trade_id if fill is not None else None
    if fill is not None:
        is_buy = o.id == fill.buy_order_id
        ev["l"] = num(fill.quantity, qd)
        ev["L"] = num(fill.price, pd)
        ev["m"] = fill.buyer_is_maker if is_buy else not fill.buyer_is_maker
        ev["n"] = fmt(fill.buyer_fee if is_buy else fill.seller_fee)
        ev["N"] = fill.base if is_buy else fill.quote
    ev["z"] = num(o.executed_qty, qd) if o.executed_qty else "0"
    ev["Z"] = num(o.executed_quote, pd + qd) if o.executed_quote else "0"
    ev["V"] = o.stp
    ev["T"] = time_us
    ev["O"] = "USER"
    ev["r"] = False
    ev["y"] = o.post_only
    if reason is not None:
        ev["R"] = reason
    return ev
