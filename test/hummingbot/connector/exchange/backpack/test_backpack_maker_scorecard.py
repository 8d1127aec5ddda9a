"""``BackpackMakerScorecard`` with a fake clock and a fake mid: maker volume and share, two-sided time within the
band, uptime, time-weighted resting notional; and through the exchange: the tracker feeds it from WS order and
fill events and ``metrics_snapshot()["maker"]`` shows it."""
from decimal import Decimal
from typing import Dict, Optional

import pytest

from hummingbot.connector.exchange.backpack.backpack_maker_scorecard import BackpackMakerScorecard, book_mid
from hummingbot.core.data_type.common import OrderType, TradeType
from hummingbot.core.data_type.in_flight_order import InFlightOrder, OrderState, TradeUpdate
from hummingbot.core.data_type.trade_fee import AddedToCostTradeFee

from .exchange_test_support import ExchangeTestCase, wait_for

PAIR = "SOL-USDC"


class Clock:
    def __init__(self, now: float = 1000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


class Setup:
    def __init__(self, band_bps="100", mid="100"):
        self.clock = Clock()
        self.mids: Dict[str, Optional[Decimal]] = {PAIR: Decimal(mid)}
        self.card = BackpackMakerScorecard(mid_price=self.mids.get, clock=self.clock, band_bps=Decimal(band_bps))
        self.orders: Dict[str, InFlightOrder] = {}

    def advance(self, seconds: float) -> None:
        self.clock.now += seconds

    def place(self, client_id: str, side: TradeType, price: str, amount: str = "1",
              order_type: OrderType = OrderType.LIMIT_MAKER, state: OrderState = OrderState.OPEN,
              pair: str = PAIR) -> InFlightOrder:
        order = InFlightOrder(client_order_id=client_id, exchange_order_id=f"e{client_id}", trading_pair=pair,
                              order_type=order_type, trade_type=side, amount=Decimal(amount), price=Decimal(price),
                              creation_timestamp=self.clock.now, initial_state=state)
        self.orders[client_id] = order
        self.card.on_order(order)
        return order

    def set_state(self, client_id: str, state: OrderState) -> None:
        order = self.orders[client_id]
        order.current_state = state
        self.card.on_order(order)

    def fill(self, client_id: str, amount: str, price: str, maker: bool, trade_id: str) -> None:
        order = self.orders[client_id]
        update = TradeUpdate(trade_id=trade_id, client_order_id=client_id, exchange_order_id=order.exchange_order_id,
                             trading_pair=order.trading_pair, fill_timestamp=self.clock.now,
                             fill_price=Decimal(price), fill_base_amount=Decimal(amount),
                             fill_quote_amount=Decimal(price) * Decimal(amount), fee=AddedToCostTradeFee(),
                             is_taker=not maker)
        order.update_with_trade_update(update)
        self.card.on_fill(order, update)

    def market(self) -> dict:
        return self.card.snapshot()["markets"][PAIR]


def test_two_sided_time_uptime_and_window():
    s = Setup()
    s.advance(10)                                     # 10 s nothing
    s.place("1", TradeType.BUY, "99.5")
    s.advance(10)                                     # 10 s one side
    s.place("2", TradeType.SELL, "100.5")
    s.advance(20)                                     # 20 s both sides within 100 bps
    s.set_state("1", OrderState.CANCELED)
    s.advance(10)                                     # 10 s one side
    s.set_state("2", OrderState.CANCELED)
    s.advance(50)
    snap = s.card.snapshot()
    assert snap["window_s"] == 100 and snap["since"] == 1000.0 and snap["band_bps"] == "100"
    m = snap["markets"][PAIR]
    assert m["two_sided_s"] == 20 and m["two_sided_share"] == pytest.approx(0.2)
    assert m["uptime_s"] == 40 and m["uptime_share"] == pytest.approx(0.4)


def test_a_quote_outside_the_band_is_not_two_sided_and_the_band_is_configurable():
    for band, expected in (("100", 0.0), ("300", 1.0)):
        s = Setup(band_bps=band)
        s.place("1", TradeType.BUY, "98")             # 200 bps below the mid
        s.place("2", TradeType.SELL, "100.5")
        s.advance(30)
        m = s.market()
        assert m["two_sided_share"] == expected and m["uptime_share"] == 1.0


def test_the_mid_is_read_at_each_observation_and_no_mid_means_not_two_sided():
    s = Setup()
    s.place("1", TradeType.BUY, "99.5")
    s.place("2", TradeType.SELL, "100.5")
    s.advance(10)                                     # mid 100: both within the band
    s.mids[PAIR] = Decimal("103")
    s.card.observe()                                  # the tick: the bid is now 340 bps under the mid
    s.advance(10)
    s.mids[PAIR] = None
    s.card.observe()
    s.advance(20)                                     # an empty side of the book: no mid
    m = s.market()
    assert m["two_sided_s"] == 10 and m["uptime_s"] == 40


def test_only_acknowledged_limit_orders_with_a_remainder_rest():
    s = Setup()
    s.place("1", TradeType.BUY, "99.5", state=OrderState.PENDING_CREATE)
    s.place("2", TradeType.SELL, "100.5", order_type=OrderType.MARKET)
    s.advance(10)
    assert s.market()["uptime_s"] == 0
    s.set_state("1", OrderState.OPEN)                 # acknowledged
    s.advance(10)
    s.set_state("1", OrderState.PENDING_CANCEL)       # still on the book until the cancel is confirmed
    s.advance(5)
    s.set_state("1", OrderState.FAILED)
    s.advance(5)
    assert s.market()["uptime_s"] == 15


def test_maker_volume_and_share_by_volume():
    s = Setup()
    s.place("1", TradeType.BUY, "99.5", amount="2")
    s.fill("1", "1", "99.5", maker=True, trade_id="t1")
    s.place("2", TradeType.SELL, "100", amount="0.5", order_type=OrderType.MARKET)
    s.fill("2", "0.5", "100", maker=False, trade_id="t2")
    m = s.market()
    assert Decimal(m["maker_volume_quote"]) == Decimal("99.5")
    assert Decimal(m["volume_quote"]) == Decimal("149.5")
    assert m["maker_share"] == pytest.approx(99.5 / 149.5)
    assert (m["fills"], m["maker_fills"]) == (2, 1)


def test_no_fills_no_maker_share():
    s = Setup()
    s.place("1", TradeType.BUY, "99.5")
    assert s.market()["maker_share"] is None and s.market()["volume_quote"] == "0"


def test_average_resting_notional_is_time_weighted_and_follows_partial_fills():
    s = Setup()
    s.place("1", TradeType.BUY, "100", amount="2")    # 200 USDC
    s.advance(10)
    s.fill("1", "1", "100", maker=True, trade_id="t1")  # 100 USDC left
    s.advance(30)
    s.place("2", TradeType.SELL, "101", amount="1")   # 101 USDC
    s.advance(10)
    # (200·10 + 100·30 + (100 + 101)·10) / (10 + 30 + 2·10)
    expected = (Decimal(200 * 10 + 100 * 30 + 201 * 10) / 60).quantize(Decimal("0.01"))
    assert Decimal(s.market()["avg_resting_order_notional_quote"]) == expected
    s.fill("1", "1", "100", maker=True, trade_id="t2")  # fully filled: no longer resting
    s.advance(10)
    assert s.market()["uptime_s"] == 60


def test_markets_are_separate():
    s = Setup()
    s.mids["ETH-USDC"] = Decimal("3000")
    s.place("1", TradeType.BUY, "99.5")
    s.place("2", TradeType.SELL, "3001", pair="ETH-USDC")
    s.advance(10)
    markets = s.card.snapshot()["markets"]
    assert markets[PAIR]["uptime_s"] == 10 and markets["ETH-USDC"]["uptime_s"] == 10
    assert markets[PAIR]["two_sided_s"] == 0 and markets["ETH-USDC"]["two_sided_s"] == 0


@pytest.mark.parametrize("band", ["0", "-5", "nan"])
def test_a_band_that_is_not_positive_is_refused(band):
    with pytest.raises(ValueError, match="band_bps"):
        BackpackMakerScorecard(mid_price=lambda pair: None, clock=Clock(), band_bps=Decimal(band))


def test_book_mid_of_missing_or_empty_books():
    class Book:
        def __init__(self, bid, ask):
            self.prices = {True: bid, False: ask}

        def get_price(self, is_buy):
            if self.prices[is_buy] is None:
                raise EnvironmentError("empty")
            return self.prices[is_buy]

    assert book_mid(None) is None
    assert book_mid(Book(None, 101.0)) is None
    assert book_mid(Book(float("nan"), 101.0)) is None
    assert book_mid(Book(99.0, 101.0)) == Decimal("100")


class ExchangeHookTests(ExchangeTestCase):
    """The order tracker feeds the scorecard from the connector's own events; a replayed fill counts once."""

    async def test_ws_order_and_fill_events_reach_metrics_snapshot(self):
        clock = Clock(2000.0)
        card = self.exchange._maker_scorecard
        self.exchange._maker_scorecard = self.exchange._tracker.observer = BackpackMakerScorecard(
            mid_price=card._mid_price, clock=clock)
        order = self.track(client_order_id="42", exchange_order_id="e42", amount="1", price="150",
                           order_type=OrderType.LIMIT_MAKER)
        self.exchange._process_user_stream_message(self.order_event(order, "orderAccepted", "New"))
        await wait_for(lambda: order.current_state is OrderState.OPEN)
        clock.now += 5
        fill = self.fill_event(order, 7, "0.4", "150", "PartiallyFilled")  # "m": true
        self.exchange._process_user_stream_message(fill)
        self.exchange._process_user_stream_message(fill)  # the same trade again (WS and REST both report it)
        await wait_for(lambda: order.current_state is OrderState.PARTIALLY_FILLED)
        clock.now += 5
        maker = self.exchange.metrics_snapshot()["maker"]
        market = maker["markets"][self.pair]
        self.assertEqual(Decimal("60.0"), Decimal(market["maker_volume_quote"]))
        self.assertEqual((1, 1), (market["fills"], market["maker_fills"]))
        self.assertEqual(1.0, market["maker_share"])
        self.assertEqual(10, market["uptime_s"])
        self.assertEqual(0, market["two_sided_s"])  # one side only (and no book)

    def test_each_clock_tick_observes_the_book(self):
        seen = []
        self.exchange._maker_scorecard.observe = lambda: seen.append("observe")
        self.exchange.tick(1700000001.0)
        self.assertEqual(["observe"], seen)
