"""TypedDicts of the Backpack payload fields the parsers read; prices and quantities are decimal strings.

Any key may be missing (``total=False``) and parsers still check every value.
"""
from typing import Literal, Optional, TypedDict, Union


# ------------------------------------------------------------------------------------------------- REST (§4, §5)
class PriceFilter(TypedDict, total=False):
    tickSize: str


class QuantityFilter(TypedDict, total=False):
    minQuantity: str
    maxQuantity: Optional[str]
    stepSize: str


class MarketFilters(TypedDict, total=False):
    price: PriceFilter
    quantity: QuantityFilter


class Market(TypedDict, total=False):
    """One element of ``GET /api/v1/markets`` (§4.4)."""
    symbol: str
    baseSymbol: str
    quoteSymbol: str
    marketType: str          # SPOT | PERP | IPERP | DATED | PREDICTION | RFQ
    filters: MarketFilters
    orderBookState: str      # Open | Closed | CancelOnly | LimitOnly | PostOnly
    visible: bool


class Ticker(TypedDict, total=False):
    """``GET /api/v1/ticker(s)`` (§4.5)."""
    symbol: str
    lastPrice: str


class BalanceEntry(TypedDict, total=False):
    """One asset of ``GET /api/v1/capital`` (§5.1)."""
    available: str
    locked: str
    staked: str


class BorrowLendPosition(TypedDict, total=False):
    """``GET /api/v1/borrowLend/positions`` (§5.3); ``netQuantity`` > 0 means lent."""
    symbol: str
    netQuantity: str


class AccountSummary(TypedDict, total=False):
    """``GET /api/v1/account`` (§5.4); fees in **basis points** (strings, negative = rebate)."""
    spotMakerFee: str
    spotTakerFee: str
    autoLend: bool


class Order(TypedDict, total=False):
    """Order object (§5.13) and order-history row (§5.11)."""
    id: str
    clientId: Optional[int]
    status: str              # New | PartiallyFilled | Filled | Cancelled | Expired | TriggerPending | TriggerFailed
    expiryReason: Optional[str]
    executedQuantity: str


class BatchOrderResult(Order, total=False):
    """Element of the ``POST /api/v1/orders`` answer (§5.6)."""
    operation: Literal["Ok", "Err"]
    code: str
    message: str


class Fill(TypedDict, total=False):
    """Element of ``GET /wapi/v1/history/fills`` (§5.12)."""
    tradeId: Union[int, str]
    orderId: str
    clientId: Optional[str]  # a STRING here, unlike orders
    price: str
    quantity: str
    fee: str
    feeSymbol: str
    isMaker: bool
    timestamp: str           # naive UTC ISO, no "Z"


# --------------------------------------------------------------------------------------------- WebSocket (§8)
#: ``account.orderUpdate`` (§8.5); fill keys only on ``orderFill``.
OrderUpdateEvent = TypedDict("OrderUpdateEvent", {
    "e": str,                # orderAccepted | orderCancelled | orderExpired | orderFill | orderModified | trigger*
    "E": int,                # µs
    "c": int,                # clientId, only when the order has one
    "i": str,                # exchange order id
    "X": str,                # order status
    "R": str,                # expiry reason
    "t": Optional[int],      # trade id (orderFill)
    "l": str,                # fill quantity (orderFill)
    "L": str,                # fill price (orderFill)
    "m": bool,               # maker (orderFill)
    "n": str,                # fee of this fill
    "N": str,                # fee asset
    "z": str,                # cumulative executed quantity
    "T": int,                # engine time, µs
}, total=False)

#: ``account.balanceUpdate`` (§8.4, UNCONFIRMED stream): absolute values per asset.
BalanceUpdateEvent = TypedDict("BalanceUpdateEvent", {
    "E": int,                # µs
    "a": str,                # asset
    "A": str,                # available
    "L": str,                # locked
    "S": str,                # staked
}, total=False)
