"""Three of our connectors on ONE sandbox key quote the same pair with crossing prices (issue 17 item 7): each
reconciles exactly with its own part of the exchange's ledger, no bot cancels or fills another's order (two of them
even draw the same clientIds, on opposite sides), no 429 with a 33 % share each, and every cross between them is
resolved by the configured self-trade prevention instead of a fill."""
import asyncio
import contextlib
from decimal import Decimal
from test.e2e.loopback import READY_TIMEOUT_S, sandbox, wait_until
from typing import Dict, List

import pytest

import hummingbot.connector.exchange.backpack.backpack_constants as CONSTANTS
from hummingbot.connector.exchange.backpack.backpack_client_order_ids import ClientOrderIdGenerator
from hummingbot.connector.exchange.backpack.backpack_exchange import BackpackExchange
from hummingbot.core.clock import Clock
from hummingbot.core.clock_mode import ClockMode
from hummingbot.core.data_type.common import OrderType
from hummingbot.core.event.event_logger import EventLogger
from hummingbot.core.event.events import MarketEvent
from hummingbot.core.web_assistant.connections.connections_factory import ConnectionsFactory

PAIR = "SOL-USDC"
MODES = ("RejectTaker", "RejectMaker", "RejectBoth")
ROUNDS = 6
AMOUNT = Decimal("0.1")
pytestmark = [pytest.mark.e2e, pytest.mark.asyncio]


@contextlib.asynccontextmanager
async def bots(server, api_key: str, secret: str, monkeypatch):
    monkeypatch.setenv(CONSTANTS.SANDBOX_URL_ENV, server.rest_url)
    await ConnectionsFactory().close()  # Hummingbot's shared session may belong to an earlier test's closed loop
    connectors = [BackpackExchange(backpack_api_key=api_key, backpack_api_secret=secret, trading_pairs=[PAIR],
                                   domain=CONSTANTS.SANDBOX_DOMAIN, backpack_rate_limit_share_pct=Decimal("33"),
                                   backpack_self_trade_prevention=mode) for mode in MODES]
    # Bots 0 and 1 draw the very same clientIds (same tag, same counter): only symbol/side/order id tell them apart.
    for c in connectors[:2]:
        tracker = c._order_tracker
        c._client_order_ids = ClientOrderIdGenerator(
            is_taken=lambda cid, t=tracker: t.fetch_order(client_order_id=cid) is not None,
            randbelow=lambda n: 0, instance_tag=7)
    clock = Clock(ClockMode.REALTIME, tick_size=0.5)
    for c in connectors:
        clock.add_iterator(c)
    with clock:
        task = asyncio.ensure_future(clock.run())
        try:
            await wait_until(lambda: all(c.ready for c in connectors), READY_TIMEOUT_S, "the three bots to be ready")
            yield connectors
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            for c in connectors:
                await c.stop_network()
            await ConnectionsFactory().close()


def _order(connector, client_order_id):
    """A bot's order wherever its tracker keeps it (active, cached or lost)."""
    tracker = connector._order_tracker
    return tracker.fetch_order(client_order_id=client_order_id) or tracker.fetch_lost_order(
        client_order_id=client_order_id)


def _states(connectors, ids):
    return [(oid, _order(c, oid).current_state.name, oid in c._order_tracker.lost_orders)
            for c, pair_ids in zip(connectors, ids) for oid in pair_ids]


def _fills_logger(connector) -> EventLogger:
    logger = EventLogger()
    connector.add_listener(MarketEvent.OrderFilled, logger)
    return logger


async def test_three_bots_on_one_key_stay_apart(monkeypatch):
    async with sandbox(flow=False) as server:
        keys = server.add_account({"SOL": "100", "USDC": "100000"})
        account = server.account(keys.api_key)
        counterparty = server.account(server.add_account({"SOL": "100", "USDC": "100000"}).api_key)
        async with bots(server, keys.api_key, keys.secret, monkeypatch) as connectors:
            fills = [_fills_logger(c) for c in connectors]
            cancels_requested: List[set] = [set() for _ in connectors]
            for round_ in range(ROUNDS):
                mid = Decimal("150") + Decimal(round_) / 10
                ids: List[List[str]] = []
                for i, c in enumerate(connectors):
                    # bot 0 rests a 0.10 spread; bots 1 and 2 cross it (and each other) by 0.10 and 0.20
                    step = Decimal("0.20") * i
                    bid, ask = mid - Decimal("0.10") + step, mid + Decimal("0.10") - step
                    buy = (lambda c=c, bid=bid: c.buy(PAIR, AMOUNT, OrderType.LIMIT, bid))
                    sell = (lambda c=c, ask=ask: c.sell(PAIR, AMOUNT, OrderType.LIMIT, ask))
                    # bot 1 sells first: the same clientIds as bot 0, on the other side
                    ids.append([sell(), buy()] if i == 1 else [buy(), sell()])
                await wait_until(lambda: all(
                    (o := _order(c, oid)) is not None
                    and (o.exchange_order_id is not None or o.is_done)
                    for c, pair_ids in zip(connectors, ids) for oid in pair_ids), what="every placement answered")
                # an outside taker hits whatever rests
                for side, price in (("Ask", "149"), ("Bid", "152")):
                    server.engine.place(counterparty, {"symbol": "SOL_USDC", "side": side, "orderType": "Limit",
                                                       "price": price, "quantity": "0.05", "timeInForce": "IOC"})
                for i, c in enumerate(connectors):
                    for oid in ids[i]:
                        order = _order(c, oid)
                        if not order.is_done:
                            cancels_requested[i].add(order.exchange_order_id)
                            c.cancel(PAIR, oid)
                await wait_until(lambda: all(_order(c, oid).is_done
                                             for c, pair_ids in zip(connectors, ids) for oid in pair_ids), 60,
                                 lambda: f"every order done: {_states(connectors, ids)}")

            owners: Dict[str, int] = {}
            for i, c in enumerate(connectors):
                for order in list(c._order_tracker.all_fillable_orders.values()) + list(
                        c._order_tracker._cached_orders.values()):
                    if order.exchange_order_id:
                        owners[order.exchange_order_id] = i
            history = server.engine.history[account.id]
            assert history and all(o.id in owners for o in history), "an order of the account no bot knows"
            # self-trade prevention: as configured on every order, and no bot ever traded with another
            assert all(o.stp == MODES[owners[o.id]] for o in history)
            assert any(o.expiry_reason == "SelfTradePrevention" for o in history)
            ledger = [f for f in server.engine.ledger if account.id in (f.buyer_account, f.seller_account)]
            assert ledger and all(f.buyer_account != f.seller_account for f in ledger)
            # each bot's fills are exactly the ledger's fills of its own orders
            expected = [set() for _ in connectors]
            for f in ledger:
                own = f.buy_order_id if f.buyer_account == account.id else f.sell_order_id
                expected[owners[own]].add(str(f.trade_id))

            def seen(i):
                return {str(e.exchange_trade_id) for e in fills[i].event_log}
            await wait_until(lambda: all(seen(i) == expected[i] for i in range(len(connectors))), 60,
                             lambda: f"fills per bot {[sorted(seen(i)) for i in range(3)]} vs {expected}")
            # nobody cancelled another bot's order
            for o in history:
                if o.status == "Cancelled":
                    assert o.id in cancels_requested[owners[o.id]]
            assert server.stats.http_429 == 0
            assert len({c._client_order_ids.instance_tag for c in connectors}) <= 2
