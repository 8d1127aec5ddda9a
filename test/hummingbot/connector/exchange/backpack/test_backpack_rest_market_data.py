"""``BackpackRestMarketData``: pace from the rate budget, snapshots never older than emitted, trades once each by
id, the websocket ↔ rest mode switch; and its hooks in the order book data source (connect failures, recovery
resync, forced mode without a public socket)."""
import asyncio
from decimal import Decimal
from test.hummingbot.connector.exchange.backpack.stream_fakes import FakeConnector, FakeFactory, wait_for

import pytest

from hummingbot.connector.exchange.backpack.backpack_api_order_book_data_source import BackpackAPIOrderBookDataSource
from hummingbot.connector.exchange.backpack.backpack_order_book import snapshot_message
from hummingbot.connector.exchange.backpack.backpack_rest_market_data import (
    MODE_REST,
    MODE_WEBSOCKET,
    BackpackRestMarketData,
    trade_from_rest,
)
from hummingbot.core.data_type.common import TradeType
from hummingbot.core.data_type.order_book_message import OrderBookMessageType

PAIR = "SOL-USDC"


def _trade(trade_id, buyer_maker=False, price="150.5"):
    return {"id": trade_id, "price": price, "quantity": "0.25", "quoteQuantity": "37.6",
            "timestamp": 1_753_123_916_819, "isBuyerMaker": buyer_maker}


class Exchange:
    """Answers per pair: depth ``lastUpdateId`` and recent trades (newest first, as Backpack)."""

    def __init__(self, pairs=(PAIR,)):
        self.update_id = {p: 100 for p in pairs}
        self.trades = {p: [] for p in pairs}
        self.fail = set()
        self.limits = []

    async def snapshot(self, pair):
        if pair in self.fail:
            raise IOError("boom")
        return snapshot_message({"lastUpdateId": self.update_id[pair], "bids": [["149", "1"]], "asks": [["151", "2"]],
                                 "timestamp": 1_753_123_916_819_000}, pair)

    async def recent(self, pair, limit):
        self.limits.append(limit)
        return sorted(self.trades[pair], key=lambda t: -t["id"])[:limit]


def make(pairs=(PAIR,), budget=1600.0, **kw):
    exchange = Exchange(pairs)
    snapshots, trades = [], []
    rest = BackpackRestMarketData(pairs=lambda: list(pairs), fetch_snapshot=exchange.snapshot,
                                  fetch_trades=exchange.recent, emit_snapshot=snapshots.append,
                                  emit_trade=trades.append, polling_budget_per_min=lambda: budget, **kw)
    return rest, exchange, snapshots, trades


def test_the_cycle_fits_a_quarter_of_the_polling_budget_and_scales_with_the_pairs():
    rest, *_ = make(pairs=[f"P{i}-USDC" for i in range(10)], budget=1600.0)
    assert rest.cycle_s(1) == 1.0                  # 2 req × 60 / 400 = 0.3 s → the 1 s floor
    assert rest.cycle_s(10) == pytest.approx(3.0)  # 20 requests a cycle, 400/min
    assert rest.cycle_s() == pytest.approx(3.0)
    shared, *_ = make(budget=160.0)                # a 10 % rate-limit share
    assert shared.cycle_s(10) == pytest.approx(30.0)
    assert rest.snapshot()["requests_per_min"] == pytest.approx(400.0)


@pytest.mark.asyncio
async def test_snapshots_are_emitted_only_when_newer():
    rest, exchange, snapshots, _ = make()
    await rest.poll_once()
    await rest.poll_once()                          # same lastUpdateId: nothing new
    exchange.update_id[PAIR] = 99                   # an older answer (another server behind a balancer)
    await rest.poll_once()
    exchange.update_id[PAIR] = 105
    await rest.poll_once()
    assert [m.update_id for m in snapshots] == [100, 105]
    assert all(m.type is OrderBookMessageType.SNAPSHOT for m in snapshots) and rest.snapshots == 2


@pytest.mark.asyncio
async def test_trades_are_emitted_once_each_oldest_first_after_the_first_answer():
    rest, exchange, _, trades = make()
    exchange.trades[PAIR] = [_trade(1), _trade(2)]
    await rest.poll_once()                          # sets the mark: history before REST mode is not replayed
    assert trades == []
    exchange.trades[PAIR] += [_trade(3, buyer_maker=True), _trade(4)]
    await rest.poll_once()
    await rest.poll_once()
    exchange.trades[PAIR] = exchange.trades[PAIR][-2:] + [_trade(5)]  # the page slides
    await rest.poll_once()
    assert [t.trade_id for t in trades] == [3, 4, 5] and rest.trades == 3
    assert trades[0].content["trade_type"] == float(TradeType.SELL.value)  # buyer was maker: the taker sold


@pytest.mark.asyncio
async def test_a_full_page_newer_than_the_mark_is_asked_again_with_the_largest_page():
    rest, exchange, _, trades = make()
    exchange.trades[PAIR] = [_trade(1)]
    await rest.poll_once()
    exchange.trades[PAIR] = [_trade(i) for i in range(1, 1 + 350)]  # 349 new trades in one cycle
    await rest.poll_once()
    assert exchange.limits == [rest.TRADES_LIMIT, rest.TRADES_LIMIT, rest.TRADES_LIMIT_MAX]
    assert [t.trade_id for t in trades] == list(range(2, 351))
    assert rest.snapshot()["deep_trade_fetches"] == 1 and rest.snapshot()["trade_gaps"] == 0
    exchange.trades[PAIR] += [_trade(i) for i in range(351, 351 + rest.TRADES_LIMIT)]  # exactly one page: no gap
    await rest.poll_once()
    assert exchange.limits[3:] == [rest.TRADES_LIMIT] and trades[-1].trade_id == 450 and len(trades) == 449


@pytest.mark.asyncio
async def test_more_trades_than_the_largest_page_are_counted_as_a_gap():
    rest, exchange, _, trades = make()
    exchange.trades[PAIR] = [_trade(1)]
    await rest.poll_once()
    exchange.trades[PAIR] = [_trade(i) for i in range(1, 1 + 1500)]
    await rest.poll_once()
    assert rest.snapshot()["trade_gaps"] == 1 and rest.deep_trade_fetches == 1
    assert [t.trade_id for t in trades] == list(range(501, 1501))   # the newest page, oldest first


@pytest.mark.asyncio
async def test_an_empty_first_answer_makes_every_later_trade_new():
    rest, exchange, _, trades = make()
    await rest.poll_once()
    exchange.trades[PAIR] = [_trade(7)]
    await rest.poll_once()
    assert [t.trade_id for t in trades] == [7]


@pytest.mark.asyncio
async def test_a_failing_pair_is_counted_and_the_others_still_served():
    pairs = (PAIR, "BTC-USDC")
    rest, exchange, snapshots, _ = make(pairs=pairs)
    exchange.fail.add(PAIR)
    await rest.poll_once()
    assert rest.errors == 1 and [m.trading_pair for m in snapshots] == ["BTC-USDC"]
    rest.forget("BTC-USDC")
    await rest.poll_once()
    assert [m.trading_pair for m in snapshots] == ["BTC-USDC", "BTC-USDC"]  # marks dropped: served again


def test_rest_rows_map_to_trade_messages():
    message = trade_from_rest(_trade(9, buyer_maker=False, price="150.5"), PAIR)
    assert (message.trade_id, message.content["price"], message.content["amount"]) == (9, "150.5", "0.25")
    assert message.content["trade_type"] == float(TradeType.BUY.value)
    assert message.timestamp == pytest.approx(1_753_123_916.819)
    with pytest.raises((KeyError, TypeError, ValueError)):
        trade_from_rest({"id": 1, "price": "1", "quantity": "1", "timestamp": 1}, PAIR)


@pytest.mark.asyncio
async def test_the_nth_failed_connect_starts_rest_mode_and_a_connect_ends_it():
    rest, exchange, snapshots, _ = make(failures_before_rest=3)
    for _ in range(2):
        rest.on_ws_connect_failed(ConnectionError("503"))
    assert rest.mode == MODE_WEBSOCKET and rest.snapshot()["ws_connect_failures"] == 2
    rest.on_ws_connect_failed(ConnectionError("503"))
    assert rest.mode == MODE_REST and "connect failed 3 times" in rest.reason and "503" in rest.reason
    await wait_for(lambda: snapshots, message="the poller runs")
    task = rest._task
    assert rest.on_ws_connected() is True
    assert rest.mode == MODE_WEBSOCKET and rest.reason == "public WebSocket reconnected"
    await asyncio.sleep(0)
    assert task.cancelled() and rest.snapshot()["rest_periods"] == 1
    assert rest.on_ws_connected() is False          # already on the WebSocket


def test_zero_failures_means_never_and_negative_is_refused():
    rest, *_ = make(failures_before_rest=0)
    for _ in range(50):
        rest.on_ws_connect_failed(ConnectionError("x"))
    assert rest.mode == MODE_WEBSOCKET
    with pytest.raises(ValueError):
        make(failures_before_rest=-1)


def test_forced_rest_mode_stays_on_a_connect():
    rest, *_ = make(force=True)
    assert rest.mode == MODE_REST and rest.snapshot()["forced"] is True
    assert rest.on_ws_connected() is False and rest.mode == MODE_REST


# ---------------------------------------------------------------------------------- hooks in the data source
class RefusingFactory(FakeFactory):
    """WS connects fail while ``refuse`` is set; REST serves depth and trades."""

    def __init__(self):
        super().__init__()
        self.refuse = True
        self.ws_connects = 0
        self.rest_responder = self._answer

    @staticmethod
    def _answer(params):
        if "limit" in params and params["limit"] == str(BackpackRestMarketData.TRADES_LIMIT):
            return [_trade(1)]
        return {"lastUpdateId": 100, "bids": [["149", "1"]], "asks": [["151", "2"]]}

    async def get_ws_assistant(self):
        self.ws_connects += 1
        ws = await super().get_ws_assistant()
        if self.refuse:
            async def refused(ws_url, **kwargs):
                raise ConnectionError("503 upgrade refused")
            ws.connect = refused
        return ws


class NoSleep:
    async def __call__(self, delay):
        await asyncio.sleep(0)


@pytest.mark.asyncio
async def test_the_data_source_falls_back_to_rest_and_resyncs_every_book_when_the_stream_returns():
    factory = RefusingFactory()
    ds = BackpackAPIOrderBookDataSource([PAIR], FakeConnector(), factory, domain="exchange",
                                        ws_failures_before_rest=2)
    ds.configure_time(sleep=NoSleep())
    ds.rest_market_data._sleep = NoSleep()
    await ds.get_new_order_book(PAIR)
    task = asyncio.ensure_future(ds.listen_for_subscriptions())
    try:
        await wait_for(lambda: ds.rest_market_data.is_rest and ds.rest_market_data.snapshots,
                       message="REST market data")
        factory.refuse = False
        await wait_for(lambda: not ds.rest_market_data.is_rest and ds._ws_assistant is not None,
                       message="back on the WebSocket")
        await wait_for(lambda: ds._pairs[PAIR].resync_task is not None, message="the book resyncs")
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert ds.rest_market_data._task is None


@pytest.mark.asyncio
async def test_forced_rest_market_data_never_opens_the_public_socket():
    factory = RefusingFactory()
    factory.refuse = False
    ds = BackpackAPIOrderBookDataSource([PAIR], FakeConnector(), factory, domain="exchange", force_rest=True)
    ds.rest_market_data._sleep = NoSleep()
    task = asyncio.ensure_future(ds.listen_for_subscriptions())
    try:
        await wait_for(lambda: ds.rest_market_data.snapshots >= 1, message="REST snapshots")
        snapshot = ds._diff_output.get_nowait()
        assert snapshot.type is OrderBookMessageType.SNAPSHOT and snapshot.bids[0].price == float(Decimal("149"))
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert factory.ws_connects == 0
