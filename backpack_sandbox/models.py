"""Plain records of the engine: accounts, orders, fills (all amounts are ``Decimal``).

Times: ``*_us`` fields are µs since the epoch (engine time, ``T`` in §8). Prices in quote units,
quantities in base units.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Dict, Optional

ZERO = Decimal(0)


@dataclass(eq=False)
class Account:
    """A trading account. ``available``/``locked`` per asset (§5.1); fee tier in bps (§5.4);
    ``lent`` per asset feeds ``/api/v1/borrowLend/positions`` (§5.3) and counts in ``total``; ``auto_lend`` is the
    ``autoLend`` setting (§5.4; the sandbox never lends idle funds by itself); ``redeemed``: amounts moved from
    ``lent`` into available by placements (switch ``lend_redeem``); ``fees_paid`` per asset."""

    id: int
    api_key: str
    secret: str = field(repr=False)
    maker_bps: Decimal
    taker_bps: Decimal
    label: str = ""
    internal: bool = False
    available: Dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal), repr=False)
    locked: Dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal), repr=False)
    fees_paid: Dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal), repr=False)
    lent: Dict[str, Decimal] = field(default_factory=dict, repr=False)
    auto_lend: bool = False
    redeemed: Dict[str, Decimal] = field(default_factory=dict, repr=False)

    def total(self, asset: str) -> Decimal:
        """Available + locked + lent."""
        return self.available.get(asset, ZERO) + self.locked.get(asset, ZERO) + self.lent.get(asset, ZERO)

    def assets(self):
        return sorted(set(self.available) | set(self.locked))


@dataclass(eq=False)
class Order:
    """One order (§5.13). ``order_type`` is ``Limit``/``Market``; ``tif`` GTC/IOC/FOK; ``side`` Bid/Ask.

    ``locked`` is what this order still holds in ``lock_asset`` (quote for bids, base for asks).
    ``broker_id`` / ``cancel_broker_id``: the ``X-Broker-Id`` header of the request that placed / cancelled it
    (``None`` when absent); recorded only, never in Backpack's order JSON.
    """

    id: str
    account_id: int
    symbol: str
    side: str
    order_type: str
    tif: str
    price: Optional[Decimal]
    quantity: Optional[Decimal]
    quote_quantity: Optional[Decimal]
    post_only: bool
    stp: str
    client_id: Optional[int]
    created_us: int
    lock_asset: str
    status: str = "New"
    executed_qty: Decimal = ZERO
    executed_quote: Decimal = ZERO
    expiry_reason: Optional[str] = None
    locked: Decimal = ZERO
    quote_quantity_text: Optional[str] = None
    broker_id: Optional[str] = None
    cancel_broker_id: Optional[str] = None
    #: Engine time (µs) the order left the open set (filled, cancelled, expired); None while open.
    closed_us: Optional[int] = None

    @property
    def remaining(self) -> Decimal:
        """Unfilled base quantity (``quantity - executedQuantity``); 0 for quote-sized market orders."""
        if self.quantity is None:
            return ZERO
        return self.quantity - self.executed_qty

    @property
    def is_open(self) -> bool:
        return self.status in ("New", "PartiallyFilled")


@dataclass(eq=False, slots=True)
class Fill:
    """One trade in the ledger: both sides, price, quantity, fees and µs time.

    Fee rule (stated, mirrors §5.12 "feeSymbol can be the base asset on buys"): the buyer pays its
    fee in the base asset, the seller in the quote asset, i.e. each side pays in the asset it receives.
    """

    trade_id: int
    symbol: str
    price: Decimal
    quantity: Decimal
    quote_quantity: Decimal
    buy_order_id: str
    sell_order_id: str
    buyer_account: int
    seller_account: int
    buyer_is_maker: bool
    buyer_fee: Decimal
    seller_fee: Decimal
    base: str
    quote: str
    time_us: int
    buyer_client_id: Optional[int] = None
    seller_client_id: Optional[int] = None

    def side_of(self, account_id: int, order_id: Optional[str] = None) -> str:
        if order_id is not None:
            return "Bid" if order_id == self.buy_order_id else "Ask"
        return "Bid" if account_id == self.buyer_account else "Ask"

    def to_json(self) -> dict:
        """Ledger entry as served by ``/_sandbox/accounts/{key}/fills`` and used in assertions."""
        return {
            "tradeId": self.trade_id,
            "symbol": self.symbol,
            "price": str(self.price),
            "quantity": str(self.quantity),
            "quoteQuantity": str(self.quote_quantity),
            "buyOrderId": self.buy_order_id,
            "sellOrderId": self.sell_order_id,
            "buyerAccount": self.buyer_account,
            "sellerAccount": self.seller_account,
            "buyerIsMaker": self.buyer_is_maker,
            "buyerFee": str(self.buyer_fee),
            "buyerFeeSymbol": self.base,
            "sellerFee": str(self.seller_fee),
            "sellerFeeSymbol": self.quote,
            "timestampUs": self.time_us,
        }
