"""Matching engine: price-time priority per market, balances, fees and the fill ledger.

Every public method is one synchronous *engine command* (the sandbox runs on one asyncio loop, so a
command is atomic, like Backpack's single linear command stream, §5.5). At the end of a command the
engine notifies its listeners (the WS hub) in this order: private order events (§8.5), ``balanceUpdate``
for each changed asset (§8.4), trades (§8.2), one depth update carrying every level the command changed
with ``U == u == previous u + 1`` (§8.2, §8.3), then a bookTicker when the top of book changed.

Units: prices in quote, quantities in base, fees in the received asset (buyer pays base, seller pays
quote), fee rates in basis points (§5.4), times in µs.

Price band and impact limit (§4.4 filters, §6.3; the sandbox's reading, UNCONFIRMED in detail; switch
``price_bands``; background traders exempt): a limit price above ``last × maxMultiplier`` or below
``last × minMultiplier``, ``last`` being the market's last trade price (no trade yet: no band), answers 400
``INVALID_PRICE`` "Price is too far from the last active price". A market order fills only at prices within
``best × maxImpactMultiplier`` (buy) or ``best × minImpactMultiplier`` (sell) of the best opposite price it found,
and the rest expires with ``PriceImpact``.

Conservation invariant: for each asset, ``sum(available + locked over all accounts) + fees_collected
== deposits`` (see :meth:`Engine.conservation`).
"""
from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from typing import Deque, Dict, Iterable, List, Mapping, Optional, Set, Tuple

from .book import ASK, BID, Book
from .clock import Clock
from .errors import ApiError, bad_request, not_found
from .markets import MarketSpec
from .models import ZERO, Account, Fill, Order
from .orderparse import OrderRequest, parse_client_id, parse_order
from .switches import Switches
from .views import order_event

#: Fills between internal accounts kept in ``Engine.flow_fills``.
FLOW_FILLS_KEPT = 10_000
ORDER_ID_BASE = 112_000_000_000_000_000


def _opposite(side: str) -> str:
    return ASK if side == BID else BID


@dataclass
class MarketState:
    """Book plus per-market sequence (``update_id``, §8.3) and recent trades for REST/ticker."""

    spec: MarketSpec
    book: Book = field(default_factory=Book)
    update_id: int = 0
    pending_skip: int = 0
    last_time_us: int = 0
    trades: Deque[Fill] = field(default_factory=lambda: deque(maxlen=1000))
    publish: bool = True


class _Command:
    """Collects the effects of one engine command for notification at commit."""

    def __init__(self, market: Optional[MarketState], now_us: int) -> None:
        self.market = market
        self.now_us = now_us
        self.levels: Dict[str, Set[Decimal]] = {BID: set(), ASK: set()}
        self.balances_before: Dict[Tuple[int, str], Tuple[Decimal, Decimal]] = {}
        self.order_events: List[Tuple[int, str, dict]] = []
        self.fills: List[Fill] = []
        self.top_before = None
        self.empty_depth = False
        if market is not None:
            self.top_before = (market.book.top(BID), market.book.top(ASK))


class Engine:
    """The exchange core. Listeners get ``on_order_event``, ``on_trade``, ``on_depth``,
    ``on_book_ticker`` and ``on_balance`` calls (see ws.py)."""

    def __init__(
        self,
        specs: Iterable[MarketSpec],
        clock: Clock,
        post_only_mode: str = "reject",
        maker_bps: str = "8",
        taker_bps: str = "10",
    ) -> None:
        self.clock = clock
        self.specs: Dict[str, MarketSpec] = {s.symbol: s for s in specs}
        self.markets: Dict[str, MarketState] = {s: MarketState(spec) for s, spec in self.specs.items()}
        self.post_only_mode = post_only_mode
        self.default_maker_bps = Decimal(maker_bps)
        self.default_taker_bps = Decimal(taker_bps)
        self.accounts: Dict[int, Account] = {}
        self.by_key: Dict[str, Account] = {}
        self.orders: Dict[str, Order] = {}
        self.open_orders: Dict[int, Dict[str, Order]] = defaultdict(dict)
        self.history: Dict[int, List[Order]] = defaultdict(list)
        self.account_fills: Dict[int, List[Tuple[Fill, str]]] = defaultdict(list)
        #: Every fill with an account that is not internal (the background traders'), oldest first.
        self.ledger: List[Fill] = []
        #: The newest ``FLOW_FILLS_KEPT`` fills between internal accounts (the background flow trading with
        #: itself), kept apart so a long-running sandbox's memory does not grow with them.
        self.flow_fills: Deque[Fill] = deque(maxlen=FLOW_FILLS_KEPT)
        #: Fills since start, both kinds.
        self.fill_count = 0
        self.fees_collected: Dict[str, Decimal] = defaultdict(Decimal)
        self.deposits: Dict[str, Decimal] = defaultdict(Decimal)
        self.listeners: list = []
        self.pad_ws_numbers = True
        self.price_bands = True
        #: The server's switches (``lend_redeem`` is read at placement).
        self.switches = Switches()
        self._order_seq = 0
        self._trade_seq = 0

    # ----------------------------------------------------------------- accounts
    def create_account(
        self,
        api_key: str,
        secret: str,
        balances: Optional[Mapping[str, object]] = None,
        maker_bps: Optional[object] = None,
        taker_bps: Optional[object] = None,
        label: str = "",
        internal: bool = False,
        lent: Optional[Mapping[str, object]] = None,
        auto_lend: bool = False,
    ) -> Account:
        acct = Account(
            id=len(self.accounts) + 1,
            api_key=api_key,
            secret=secret,
            maker_bps=Decimal(str(maker_bps)) if maker_bps is not None else self.default_maker_bps,
            taker_bps=Decimal(str(taker_bps)) if taker_bps is not None else self.default_taker_bps,
            label=label,
            internal=internal,
            auto_lend=auto_lend,
        )
        self.accounts[acct.id] = acct
        self.by_key[api_key] = acct
        for asset, amount in (balances or {}).items():
            self.deposit(acct, asset, Decimal(str(amount)))
        for asset, amount in (lent or {}).items():
            acct.lent[asset] = Decimal(str(amount))
            self.deposits[asset] += acct.lent[asset]
        return acct

    def deposit(self, acct: Account, asset: str, amount: Decimal) -> None:
        """Credit (or debit, if negative) ``amount`` of ``asset``; tracked for the conservation check."""
        cmd = _Command(None, self.clock.now_us())
        self._touch(cmd, acct, asset)
        acct.available[asset] += amount
        self.deposits[asset] += amount
        self._commit(cmd)

    # ------------------------------------------------------------------ queries
    def market(self, symbol: str) -> MarketState:
        m = self.markets.get(symbol)
        if m is None:
            raise bad_request("Invalid market symbol")
        return m

    def find_open(self, acct: Account, symbol: str, order_id=None, client_id=None) -> Order:
        """The open order by ``orderId`` (string) or ``clientId`` (uint32) — exactly one (§5.7, §5.9).

        With several open orders sharing a clientId the oldest is returned (UNCONFIRMED upstream).
        """
        self.market(symbol)
        if order_id is not None and client_id is not None:
            raise bad_request("Specify either orderId or clientId, not both")
        if order_id is None and client_id is None:
            raise bad_request("Missing orderId or clientId")
        for o in self.open_orders[acct.id].values():
            if o.symbol != symbol:
                continue
            if order_id is not None and o.id == str(order_id):
                return o
            if client_id is not None and o.client_id == client_id:
                return o
        raise not_found()

    def list_open(self, acct: Account, symbol: Optional[str] = None) -> List[Order]:
        return [o for o in self.open_orders[acct.id].values() if symbol is None or o.symbol == symbol]

    def depth(self, symbol: str, limit: int) -> Tuple[list, list, int, int]:
        """(bids ascending, asks ascending, lastUpdateId, engine time µs) — §4.6."""
        m = self.market(symbol)
        return m.book.depth(BID, limit), m.book.depth(ASK, limit), m.update_id, m.last_time_us or self.clock.now_us()

    def conservation(self) -> Dict[str, Dict[str, Decimal]]:
        """Per asset: ``deposits``, ``balances`` (sum of available+locked+lent), ``fees`` (collected), ``diff``."""
        out: Dict[str, Dict[str, Decimal]] = {}
        assets = set(self.deposits) | set(self.fees_collected)
        for acct in self.accounts.values():
            assets |= set(acct.available) | set(acct.locked) | set(acct.lent)
        for asset in sorted(assets):
            bal = sum((a.total(asset) for a in self.accounts.values()), ZERO)
            fees = self.fees_collected.get(asset, ZERO)
            dep = self.deposits.get(asset, ZERO)
            out[asset] = {"deposits": dep, "balances": bal, "fees": fees, "diff": bal + fees - dep}
        return out

    def skip_update_ids(self, symbol: str, count: int = 1) -> None:
        """Make the next depth update skip ``count`` update ids (a sequence gap, §8.3)."""
        self.market(symbol).pending_skip += count

    # ------------------------------------------------------------------ commands
    def place(self, acct: Account, payload: Mapping) -> Order:
        """Execute one §5.5 order payload for ``acct``; returns the order after matching."""
        req = parse_order(payload, self.specs)
        m = self.markets[req.symbol]
        cmd = _Command(m, self.clock.now_us())
        order = self._execute(cmd, acct, req, m)
        self._commit(cmd)
        return order

    def requote(self, acct: Account, symbol: str, cancel: Iterable[Order], payloads: Iterable[Mapping]
                ) -> List[Optional[Order]]:
        """Cancel ``cancel`` and place ``payloads`` (all on ``symbol``) for ``acct`` as ONE command, so subscribers
        see one depth diff; a payload the engine refuses is skipped (``None`` in its place)."""
        m = self.market(symbol)
        cmd = _Command(m, self.clock.now_us())
        for order in cancel:
            if order.is_open:
                self._cancel_resting(cmd, order)
        out: List[Optional[Order]] = []
        for payload in payloads:
            try:
                req = parse_order(payload, self.specs)
                if req.symbol != symbol:
                    raise bad_request("Invalid market symbol")
                out.append(self._execute(cmd, acct, req, m))
            except ApiError:
                out.append(None)
        self._commit(cmd)
        return out

    def cancel(self, acct: Account, symbol: str, order_id=None, client_id=None) -> Order:
        """Cancel one open order (§5.7); 404 RESOURCE_NOT_FOUND when it is not open."""
        if client_id is not None:
            client_id = parse_client_id(client_id)
        order = self.find_open(acct, symbol, order_id, client_id)
        cmd = _Command(self.markets[symbol], self.clock.now_us())
        self._cancel_resting(cmd, order)
        self._commit(cmd)
        return order

    def cancel_all(self, acct: Account, symbol: str) -> List[Order]:
        """Cancel every open order of ``acct`` on ``symbol`` (§5.8) in one command."""
        m = self.market(symbol)
        cmd = _Command(m, self.clock.now_us())
        orders = sorted(self.list_open(acct, symbol), key=lambda o: int(o.id))
        for o in orders:
            self._cancel_resting(cmd, o)
        self._commit(cmd)
        return orders

    def empty_depth(self, symbol: str) -> None:
        """Publish an empty depth diff (``"a": [], "b": []``, ``U == u``, §8.2) that takes the next update id."""
        cmd = _Command(self.market(symbol), self.clock.now_us())
        cmd.empty_depth = True
        self._commit(cmd)

    # ------------------------------------------------------------------ internals
    def _execute(self, cmd: _Command, acct: Account, req: OrderRequest, m: MarketState) -> Order:
        """Validate (band, post-only, funds: raising before any change) and run one order inside ``cmd``."""
        if req.price is not None and self.price_bands and not acct.internal and m.trades:
            last, spec = m.trades[-1].price, m.spec
            if req.price > last * spec.max_multiplier or req.price < last * spec.min_multiplier:
                raise ApiError(400, "INVALID_PRICE", "Price is too far from the last active price")
        crosses = False
        if req.post_only:
            best = m.book.best(_opposite(req.side))
            crosses = best is not None and (req.price >= best if req.side == BID else req.price <= best)
            if crosses and self.post_only_mode == "reject":
                raise ApiError(400, "INVALID_ORDER", "Order would immediately match and take liquidity")
        lock_asset, lock_amount = self._required_lock(req, m)
        shortfall = lock_amount - acct.available.get(lock_asset, ZERO)
        redeem = ZERO
        if shortfall > 0 and (req.auto_lend_redeem or self.switches.lend_redeem == "always"):
            redeem = min(shortfall, acct.lent.get(lock_asset, ZERO))
        if shortfall > redeem:
            raise ApiError(400, "INSUFFICIENT_FUNDS", "Insufficient funds")
        order = self._new_order(acct, req, m, cmd.now_us, lock_asset)
        self._touch(cmd, acct, lock_asset)
        if redeem > 0:
            self._redeem(acct, lock_asset, redeem)
        acct.available[lock_asset] -= lock_amount
        acct.locked[lock_asset] += lock_amount
        order.locked = lock_amount
        self._event(cmd, order, "orderAccepted")
        if crosses:
            self._expire(cmd, order, "PostOnlyTaker")
        elif req.tif == "FOK" and not self._fok_fillable(order, m):
            self._expire(cmd, order, "FillOrKill")
        else:
            reason = self._match(cmd, order, m)
            self._finish_taker(cmd, order, m, reason)
        return order

    def _new_order(self, acct: Account, req: OrderRequest, m: MarketState, now_us: int, lock_asset: str) -> Order:
        self._order_seq += 1
        order = Order(
            id=str(ORDER_ID_BASE + self._order_seq),
            account_id=acct.id,
            symbol=req.symbol,
            side=req.side,
            order_type=req.order_type,
            tif=req.tif,
            price=req.price,
            quantity=req.quantity,
            quote_quantity=req.quote_quantity,
            post_only=req.post_only,
            stp=req.stp,
            client_id=req.client_id,
            created_us=now_us,
            lock_asset=lock_asset,
            quote_quantity_text=req.quote_quantity_text,
        )
        self.orders[order.id] = order
        if not acct.internal:
            self.history[acct.id].append(order)
        return order

    @staticmethod
    def _redeem(acct: Account, asset: str, amount: Decimal) -> None:
        """Move ``amount`` of ``asset`` from the lend position into available (U5; switch ``lend_redeem``)."""
        left = acct.lent[asset] - amount
        if left > 0:
            acct.lent[asset] = left
        else:
            del acct.lent[asset]
        acct.available[asset] += amount
        acct.redeemed[asset] = acct.redeemed.get(asset, ZERO) + amount

    def _walk(self, m: MarketState, side: str, qty: Optional[Decimal], quote: Optional[Decimal],
              account_id: Optional[int] = None) -> Tuple[Decimal, Decimal]:
        """Simulate taking liquidity from ``side`` for ``qty`` base or ``quote`` quote → (base, quote)."""
        step = m.spec.step_size
        got_base = got_quote = ZERO
        for price in m.book.levels_from_best(side):
            level = m.book.level_qty[side][price]
            if account_id is not None:
                level -= sum((o.remaining for o in m.book.queues[side][price] if o.account_id == account_id), ZERO)
            if level <= 0:
                continue
            if qty is not None:
                take = min(level, qty - got_base)
            else:
                take = min(level, ((quote - got_quote) / price).quantize(step, rounding=ROUND_DOWN))
            if take <= 0:
                break
            got_base += take
            got_quote += take * price
            if qty is not None and got_base >= qty:
                break
        return got_base, got_quote

    def _required_lock(self, req: OrderRequest, m: MarketState) -> Tuple[str, Decimal]:
        spec = m.spec
        if req.side == BID:
            if req.order_type == "Limit":
                return spec.quote, req.price * req.quantity
            if req.quote_quantity is not None:
                return spec.quote, req.quote_quantity
            return spec.quote, self._walk(m, ASK, req.quantity, None)[1]
        if req.quantity is not None:
            return spec.base, req.quantity
        return spec.base, self._walk(m, BID, None, req.quote_quantity)[0]

    def _fok_fillable(self, order: Order, m: MarketState) -> bool:
        opp = _opposite(order.side)
        exclude = order.account_id if order.stp != "Allow" else None
        if order.quantity is None:  # quote-sized market FOK: the whole quote amount must be usable
            got = self._walk(m, opp, None, order.quote_quantity, exclude)[1]
            return order.quote_quantity - got < (m.book.best(opp) or ZERO) * m.spec.step_size
        avail = ZERO
        for price in m.book.levels_from_best(opp):
            if order.price is not None and ((order.side == BID and price > order.price)
                                            or (order.side == ASK and price < order.price)):
                break
            avail += m.book.level_qty[opp][price]
            if exclude is not None:
                avail -= sum((o.remaining for o in m.book.queues[opp][price] if o.account_id == exclude), ZERO)
            if avail >= order.quantity:
                return True
        return False

    def _match(self, cmd: _Command, order: Order, m: MarketState) -> Optional[str]:
        """Take liquidity; returns an expiry reason when matching must stop early (STP, impact limit), else None."""
        book, opp, step = m.book, _opposite(order.side), m.spec.step_size
        quote_sized = order.quantity is None
        cap = None
        if order.order_type == "Market" and self.price_bands and not self.accounts[order.account_id].internal:
            first = book.best(opp)
            if first is not None:
                cap = first * (m.spec.max_impact_multiplier if order.side == BID else m.spec.min_impact_multiplier)
        while True:
            best = book.best(opp)
            if best is None:
                return None
            if order.price is not None and ((order.side == BID and best > order.price)
                                            or (order.side == ASK and best < order.price)):
                return None
            if cap is not None and ((order.side == BID and best > cap) or (order.side == ASK and best < cap)):
                return "PriceImpact"
            maker = book.queues[opp][best][0]
            if maker.account_id == order.account_id and order.stp != "Allow":
                if order.stp in ("RejectMaker", "RejectBoth"):
                    self._expire(cmd, maker, "SelfTradePrevention")
                if order.stp in ("RejectTaker", "RejectBoth"):
                    return "SelfTradePrevention"
                continue
            if quote_sized:
                left = order.quote_quantity - order.executed_quote
                qty = min(maker.remaining, (left / best).quantize(step, rounding=ROUND_DOWN))
            else:
                qty = min(maker.remaining, order.remaining)
            if order.side == BID and order.order_type == "Market":
                qty = min(qty, (order.locked / best).quantize(step, rounding=ROUND_DOWN))
            elif order.side == ASK and order.order_type == "Market":
                qty = min(qty, order.locked)
            if qty <= 0:
                return None
            self._trade(cmd, m, order, maker, best, qty)
            if not quote_sized and order.remaining <= 0:
                return None

    def _trade(self, cmd: _Command, m: MarketState, taker: Order, maker: Order, price: Decimal, qty: Decimal) -> None:
        spec = m.spec
        quote = price * qty
        buy, sell = (taker, maker) if taker.side == BID else (maker, taker)
        buyer, seller = self.accounts[buy.account_id], self.accounts[sell.account_id]
        buyer_bps = buyer.maker_bps if buy is maker else buyer.taker_bps
        seller_bps = seller.maker_bps if sell is maker else seller.taker_bps
        buyer_fee = qty * buyer_bps / Decimal(10000)
        seller_fee = quote * seller_bps / Decimal(10000)
        for acct, asset in ((buyer, spec.quote), (buyer, spec.base), (seller, spec.base), (seller, spec.quote)):
            self._touch(cmd, acct, asset)
        buyer.locked[spec.quote] -= quote
        buy.locked -= quote
        buyer.available[spec.base] += qty - buyer_fee
        seller.locked[spec.base] -= qty
        sell.locked -= qty
        seller.available[spec.quote] += quote - seller_fee
        self.fees_collected[spec.base] += buyer_fee
        self.fees_collected[spec.quote] += seller_fee
        buyer.fees_paid[spec.base] += buyer_fee
        seller.fees_paid[spec.quote] += seller_fee
        for o in (buy, sell):
            o.executed_qty += qty
            o.executed_quote += quote
        m.book.reduce(maker, qty)
        cmd.levels[maker.side].add(price)
        maker.status = "Filled" if maker.remaining <= 0 else "PartiallyFilled"
        if maker.status == "Filled":
            self._close(maker)
        if taker.quantity is not None and taker.remaining <= 0:
            taker.status = "Filled"
        else:
            taker.status = "PartiallyFilled"
        self._trade_seq += 1
        fill = Fill(
            trade_id=self._trade_seq, symbol=spec.symbol, price=price, quantity=qty, quote_quantity=quote,
            buy_order_id=buy.id, sell_order_id=sell.id, buyer_account=buyer.id, seller_account=seller.id,
            buyer_is_maker=buy is maker, buyer_fee=buyer_fee, seller_fee=seller_fee, base=spec.base,
            quote=spec.quote, time_us=cmd.now_us, buyer_client_id=buy.client_id, seller_client_id=sell.client_id,
        )
        self.fill_count += 1
        if buyer.internal and seller.internal:
            self.flow_fills.append(fill)
        else:
            self.ledger.append(fill)
        cmd.fills.append(fill)
        for o, acct in ((buy, buyer), (sell, seller)):
            if not acct.internal:
                self.account_fills[acct.id].append((fill, o.id))
        self._event(cmd, maker, "orderFill", fill=fill)
        self._event(cmd, taker, "orderFill", fill=fill)

    def _finish_taker(self, cmd: _Command, order: Order, m: MarketState, reason: Optional[str]) -> None:
        if order.status == "Filled":
            self._release(cmd, order)
            self._close(order)
            return
        if reason is not None:
            self._expire(cmd, order, reason)
            return
        if order.order_type == "Limit" and order.tif == "GTC":
            m.book.add(order)
            cmd.levels[order.side].add(order.price)
            self.open_orders[order.account_id][order.id] = order
            if order.side == BID:
                excess = order.locked - order.price * order.remaining
                if excess > 0:
                    self._unlock(cmd, order, excess)
            return
        if order.quantity is None:
            left = order.quote_quantity - order.executed_quote
            best = m.book.best(_opposite(order.side))
            if order.executed_qty > 0 and best is not None and left < best * m.spec.step_size:
                order.status = "Filled"
                self._release(cmd, order)
                self._close(order)
                return
            self._expire(cmd, order, "InsufficientLiquidity")
            return
        self._expire(cmd, order, "ImmediateOrCancel" if order.order_type == "Limit" else "InsufficientLiquidity")

    def _expire(self, cmd: _Command, order: Order, reason: str) -> None:
        if order.id in self.open_orders[order.account_id]:
            self.markets[order.symbol].book.remove(order)
            cmd.levels[order.side].add(order.price)
        order.status = "Expired"
        order.expiry_reason = reason
        self._release(cmd, order)
        self._close(order)
        self._event(cmd, order, "orderExpired", reason=reason)

    def _cancel_resting(self, cmd: _Command, order: Order) -> None:
        self.markets[order.symbol].book.remove(order)
        cmd.levels[order.side].add(order.price)
        order.status = "Cancelled"
        self._release(cmd, order)
        self._close(order)
        self._event(cmd, order, "orderCancelled")

    def _close(self, order: Order) -> None:
        order.closed_us = self.clock.now_us()
        self.open_orders[order.account_id].pop(order.id, None)
        if self.accounts[order.account_id].internal:
            self.orders.pop(order.id, None)

    def _unlock(self, cmd: _Command, order: Order, amount: Decimal) -> None:
        acct = self.accounts[order.account_id]
        self._touch(cmd, acct, order.lock_asset)
        acct.locked[order.lock_asset] -= amount
        acct.available[order.lock_asset] += amount
        order.locked -= amount

    def _release(self, cmd: _Command, order: Order) -> None:
        if order.locked:
            self._unlock(cmd, order, order.locked)

    def _touch(self, cmd: _Command, acct: Account, asset: str) -> None:
        key = (acct.id, asset)
        if key not in cmd.balances_before:
            cmd.balances_before[key] = (acct.available.get(asset, ZERO), acct.locked.get(asset, ZERO))

    def _event(self, cmd: _Command, order: Order, etype: str, fill: Optional[Fill] = None,
               reason: Optional[str] = None) -> None:
        if self.accounts[order.account_id].internal:
            return
        ev = order_event(order, self.specs[order.symbol], etype, cmd.now_us, fill=fill, reason=reason,
                         pad=self.pad_ws_numbers)
        cmd.order_events.append((order.account_id, order.symbol, ev))

    def _commit(self, cmd: _Command) -> None:
        m = cmd.market
        depth = None
        if m is not None:
            m.last_time_us = cmd.now_us
            m.trades.extend(cmd.fills)
            if cmd.levels[BID] or cmd.levels[ASK] or cmd.empty_depth:
                first = m.update_id + 1 + m.pending_skip
                m.pending_skip = 0
                m.update_id = first
                book = m.book
                bids = [(p, book.level_qty[BID].get(p, ZERO)) for p in sorted(cmd.levels[BID])]
                asks = [(p, book.level_qty[ASK].get(p, ZERO)) for p in sorted(cmd.levels[ASK])]
                depth = (first, first, bids, asks)
        listeners = list(self.listeners)
        for acct_id, symbol, ev in cmd.order_events:
            if not self.accounts[acct_id].internal:
                for ls in listeners:
                    ls.on_order_event(acct_id, symbol, ev)
        filled = {a for f in cmd.fills for a in (f.buyer_account, f.seller_account)}
        for (acct_id, asset), before in cmd.balances_before.items():
            acct = self.accounts[acct_id]
            after = (acct.available.get(asset, ZERO), acct.locked.get(asset, ZERO))
            if after != before and not acct.internal:
                for ls in listeners:
                    ls.on_balance(acct_id, asset, after[0], after[1], cmd.now_us, from_fill=acct_id in filled)
        if m is not None and m.publish:
            for f in cmd.fills:
                for ls in listeners:
                    ls.on_trade(m.spec, f)
            if depth is not None:
                for ls in listeners:
                    ls.on_depth(m.spec, depth[0], depth[1], cmd.now_us, depth[2], depth[3])
                top_after = (m.book.top(BID), m.book.top(ASK))
                if top_after != cmd.top_before:
                    for ls in listeners:
                        ls.on_book_ticker(m.spec, m.update_id, cmd.now_us, top_after[0], top_after[1])
