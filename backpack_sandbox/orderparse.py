"""Validation of order payloads (docs/backpack-api.md §5.5) into an :class:`OrderRequest`.

Error answers (§6.3): "Price decimal too long" / "Quantity decimal too long" as INVALID_CLIENT_REQUEST,
below ``minQuantity`` → INVALID_QUANTITY, clientId must be a uint32 JSON integer (§0, §5.5).
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Mapping, Optional

from .errors import ApiError, bad_request
from .markets import MarketSpec, decimals_of

UINT32_MAX = 4294967295
SIDES = ("Bid", "Ask")
ORDER_TYPES = ("Limit", "Market")
TIFS = ("GTC", "IOC", "FOK")
STPS = ("RejectTaker", "RejectMaker", "RejectBoth", "Allow")


@dataclass
class OrderRequest:
    symbol: str
    side: str
    order_type: str
    tif: str
    price: Optional[Decimal]
    quantity: Optional[Decimal]
    quote_quantity: Optional[Decimal]
    quote_quantity_text: Optional[str]
    post_only: bool
    stp: str
    client_id: Optional[int]
    auto_lend_redeem: bool = False


def parse_decimal(value: Any, name: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise bad_request(f"Invalid {name}")
    try:
        d = Decimal(str(value).strip())
    except InvalidOperation:
        raise bad_request(f"Invalid {name}")
    if not d.is_finite():
        raise bad_request(f"Invalid {name}")
    return d


def parse_client_id(value: Any) -> Optional[int]:
    """uint32 JSON integer (0..4294967295) or absent/null."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or isinstance(value, str):
        raise bad_request("Invalid clientId: must be an integer between 0 and 4294967295")
    if value < 0 or value > UINT32_MAX:
        raise bad_request("Invalid clientId: must be an integer between 0 and 4294967295")
    return value


def _bool(value: Any, name: str) -> bool:
    if value is None:
        return False
    if not isinstance(value, bool):
        raise bad_request(f"Invalid {name}: must be a boolean")
    return value


def check_price(price: Decimal, spec: MarketSpec) -> None:
    if price <= 0:
        raise ApiError(400, "INVALID_PRICE", "Price must be positive")
    if decimals_of(price) > spec.price_decimals:
        raise bad_request("Price decimal too long")
    if price % spec.tick_size != 0:
        raise ApiError(400, "INVALID_PRICE", "Price must be a multiple of the tick size")


def check_quantity(qty: Decimal, spec: MarketSpec) -> None:
    if qty <= 0:
        raise ApiError(400, "INVALID_QUANTITY", "Quantity must be positive")
    if decimals_of(qty) > spec.qty_decimals:
        raise bad_request("Quantity decimal too long")
    if qty < spec.min_quantity:
        raise ApiError(400, "INVALID_QUANTITY", "Quantity is below the minimum allowed value")
    if qty % spec.step_size != 0:
        raise bad_request("Quantity decimal too long")


def parse_order(payload: Mapping[str, Any], markets: Mapping[str, MarketSpec]) -> OrderRequest:
    """Validate one §5.5 payload against its market's filters (§4.4). Raises :class:`ApiError`."""
    if not isinstance(payload, Mapping):
        raise bad_request("Order must be a JSON object")
    symbol = payload.get("symbol")
    if not isinstance(symbol, str) or not symbol:
        raise bad_request("Missing symbol")
    spec = markets.get(symbol)
    if spec is None:
        raise bad_request("Invalid market symbol")
    side = payload.get("side")
    if side not in SIDES:
        raise bad_request("Invalid side: must be Bid or Ask")
    order_type = payload.get("orderType")
    if order_type not in ORDER_TYPES:
        raise bad_request("Invalid orderType: must be Limit or Market")
    tif = payload.get("timeInForce")
    if tif is None:
        tif = "GTC"
    if tif not in TIFS:
        raise bad_request("Invalid timeInForce: must be GTC, IOC or FOK")
    stp = payload.get("selfTradePrevention") or "RejectTaker"
    if stp not in STPS:
        raise bad_request("Invalid selfTradePrevention")
    post_only = _bool(payload.get("postOnly"), "postOnly")
    client_id = parse_client_id(payload.get("clientId"))
    if payload.get("triggerPrice") is not None or payload.get("triggerQuantity") is not None:
        raise ApiError(400, "NOT_IMPLEMENTED", "Trigger orders are not supported by the sandbox")
    price = quantity = quote_quantity = None
    quote_text = None
    if payload.get("quantity") is not None:
        quantity = parse_decimal(payload["quantity"], "quantity")
        check_quantity(quantity, spec)
    if order_type == "Limit":
        if payload.get("price") is None:
            raise bad_request("Missing price for a limit order")
        if quantity is None:
            raise bad_request("Missing quantity for a limit order")
        if payload.get("quoteQuantity") is not None:
            raise bad_request("quoteQuantity is only valid for market orders")
        price = parse_decimal(payload["price"], "price")
        check_price(price, spec)
        if post_only and tif != "GTC":
            raise ApiError(400, "INVALID_ORDER", "Post only orders must be GTC")
    else:
        if post_only:
            raise ApiError(400, "INVALID_ORDER", "Market orders cannot be post only")
        if payload.get("quoteQuantity") is not None:
            if quantity is not None:
                raise bad_request("Specify either quantity or quoteQuantity, not both")
            quote_quantity = parse_decimal(payload["quoteQuantity"], "quoteQuantity")
            if quote_quantity <= 0:
                raise ApiError(400, "INVALID_QUANTITY", "Quote quantity must be positive")
            quote_text = str(payload["quoteQuantity"]).strip()
        elif quantity is None:
            raise bad_request("Missing quantity or quoteQuantity for a market order")
    return OrderRequest(symbol, side, order_type, tif, price, quantity, quote_quantity, quote_text,
                        post_only, stp, client_id, _bool(payload.get("autoLendRedeem"), "autoLendRedeem"))
