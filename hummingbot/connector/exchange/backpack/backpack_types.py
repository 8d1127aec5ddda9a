"""TypedDicts for every Backpack REST response and WebSocket payload the connector reads.

Prices and quantities are decimal **strings**; timestamps carry their unit in the field comment.
Section numbers refer to ``shared/backpack-api.md``. ``total=False`` marks payloads whose optional keys vary.
"""
from typing import Dict, List, Literal, Optional, TypedDict, Union

Side = Literal["Bid", "Ask"]
PriceLevel = List[str]  # [price, quantity], both decimal strings


# ------------------------------------------------------------------------------------------------- REST (§4, §5)
class PriceFilter(TypedDict, total=False):
    minPrice: str
    maxPrice: Optional[str]
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
    createdAt: str           # naive UTC ISO
    rwaMarketType: Optional[str]


class Ticker(TypedDict, total=False):
    """``GET /api/v1/ticker(s)`` (§4.5)."""
    symbol: str
    firstPrice: str
    lastPrice: str
    priceChange: str
    priceChangePercent: str  # a fraction
    high: str
    low: str
    volume: str
    quoteVolume: str
    trades: str


class DepthSnapshot(TypedDict):
    """``GET /api/v1/depth`` (§4.6): bids AND asks ascending; ``lastUpdateId`` a string (older: a number)."""
    asks: List[PriceLevel]
    bids: List[PriceLevel]
    lastUpdateId: Union[str, int]
    timestamp: int           # µs


class BalanceEntry(TypedDict):
    """One asset of ``GET /api/v1/capital`` (§5.1)."""
    available: str
    locked: str
    staked: str


Balances = Dict[str, BalanceEntry]


class BorrowLendPosition(TypedDict, total=False):
    """``GET /api/v1/borrowLend/positions`` (§5.3); ``netQuantity`` > 0 means lent."""
    id: str
    symbol: str
    netQuantity: str


class AccountSummary(TypedDict, total=False):
    """``GET /api/v1/account`` (§5.4); fees in **basis points** (strings, negative = rebate)."""
    spotMakerFee: str
    spotTakerFee: str
    autoLend: bool
    limitOrders: int


class Order(TypedDict, total=False):
    """Order object of §5.13 (and order-history elements of §5.11, where ``createdAt`` is a naive ISO string)."""
    id: str
    clientId: Optional[int]
    symbol: str
    side: Side
    orderType: str           # Limit | Market
    price: Optional[str]
    quantity: Optional[str]
    quoteQuantity: Optional[str]
    executedQuantity: str
    executedQuoteQuantity: str
    status: str              # New | PartiallyFilled | Filled | Cancelled | Expired | TriggerPending | TriggerFailed
    timeInForce: str
    postOnly: bool
    createdAt: Union[int, str]   # int ms on order routes; naive UTC ISO on /wapi/v1/history/orders
    expiryReason: Optional[str]


class BatchOrderResult(Order, total=False):
    """Element of the ``POST /api/v1/orders`` answer (§5.6)."""
    operation: Literal["Ok", "Err"]
    code: str
    message: str


class Fill(TypedDict, total=False):
    """Element of ``GET /wapi/v1/history/fills`` (§5.12)."""
    tradeId: Optional[int]
    orderId: str
    clientId: Optional[str]  # a STRING here, unlike orders
    symbol: str
    side: Side
    price: str
    quantity: str
    fee: str
    feeSymbol: str
    isMaker: bool
    timestamp: str           # naive UTC ISO, no "Z"


class ErrorBody(TypedDict):
    """Error body (§6.2)."""
    code: str
    message: str


# --------------------------------------------------------------------------------------------- WebSocket (§8)
class DepthEvent(TypedDict):
    """``depth.<symbol>`` (§8.2): absolute quantities; ``"0"`` deletes; ``U``/``u`` first/last update id."""
    e: str
    E: int                   # µs
    s: str
    a: List[PriceLevel]
    b: List[PriceLevel]
    U: int
    u: int
    T: int                   # µs


class TradeEvent(TypedDict):
    """``trade.<symbol>`` (§8.2): ``m`` true ⇒ the buyer was maker (the aggressor sold)."""
    e: str
    E: int                   # µs
    s: str
    p: str
    q: str
    b: str
    a: str
    t: int
    T: int                   # µs
    m: bool


class OrderUpdateEvent(TypedDict, total=False):
    """``account.orderUpdate`` (§8.5). ``c`` only when the order has a clientId; fill keys only on ``orderFill``."""
    e: str                   # orderAccepted | orderCancelled | orderExpired | orderFill | orderModified | triggerPlaced | triggerFailed
    E: int                   # µs
    s: str
    c: int
    S: Side
    o: str                   # LIMIT | MARKET
    f: str
    q: str
    Q: str
    p: str
    X: str
    R: str
    i: str
    t: Optional[int]
    l: str                   # noqa: E741  (Backpack's field letter) fill quantity
    L: str                   # fill price
    m: bool
    n: str                   # fee of this fill
    N: str                   # fee asset
    z: str                   # cumulative executed quantity
    Z: str                   # cumulative executed quote quantity
    T: int                   # µs


class BalanceUpdateEvent(TypedDict, total=False):
    """``account.balanceUpdate`` (§8.4, UNCONFIRMED stream): absolute values per asset."""
    e: str
    E: int                   # µs
    a: str                   # asset
    A: str                   # available
    L: str                   # locked
    S: str                   # staked


class StreamMessage(TypedDict):
    """Every data frame: ``{"stream": name, "data": payload}`` (§8.1)."""
    stream: str
    data: dict
