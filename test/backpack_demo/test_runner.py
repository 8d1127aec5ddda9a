"""The pure-MM demo's verdict, summary and progress line (the run itself: ``test/e2e/test_demo.py``)."""
from decimal import Decimal
from types import SimpleNamespace

from backpack_demo.runner import demo_failed, demo_summary, progress_line
from backpack_harness.headless import EventRecorder
from hummingbot.core.data_type.common import TradeType
from hummingbot.core.pubsub import PubSub

REPORT = {"duration_s": 20.0, "trading_pair": "SOL-USDC", "connector": "backpack_sandbox",
          "strategy": "pure_market_making", "orders_created": 4, "orders_filled": 2, "orders_cancelled": 2,
          "orders_failed": 0, "fills": 3, "exchange_fills": 3, "open_orders_at_exit": 0,
          "balances_start": {}, "balances_end": {}, "fees_paid": {}, "ledger_match": True}


def test_the_demo_fails_without_orders_without_fills_on_a_mismatch_or_with_orders_left_open():
    assert demo_failed(REPORT) is None
    assert demo_failed(dict(REPORT, orders_created=0)) == "the strategy placed no orders"
    assert demo_failed(dict(REPORT, fills=0)) == "no order was filled"
    assert "do not match" in demo_failed(dict(REPORT, ledger_match=False))
    assert demo_failed(dict(REPORT, open_orders_at_exit=1)) == "1 orders were still open at exit"


def test_the_summary_names_strategy_connector_and_pair():
    lines = demo_summary(REPORT)
    assert lines[1] == "Backpack sandbox demo — pure_market_making on backpack_sandbox SOL-USDC"
    assert "  ledger              MATCH" in lines


class Connector(PubSub):
    def __init__(self, mid):
        super().__init__()
        self._mid = mid
        order = SimpleNamespace(is_open=True, trading_pair="SOL-USDC", trade_type=TradeType.SELL,
                                price=Decimal("150.12"))
        self.in_flight_orders = {"a": order}

    def get_price_by_type(self, pair, price_type):
        if self._mid is None:
            raise ValueError("no book yet")
        return self._mid

    def get_balance(self, asset):
        return Decimal("99.5") if asset == "SOL" else Decimal("20075.6")


def test_the_progress_line_shows_mid_best_quotes_and_balances():
    connector = Connector(Decimal("150.04"))
    line = progress_line(connector, EventRecorder(connector), "SOL-USDC", 30.0)
    assert line == ("[ 30.0s] mid 150.04 | our bid - ask 150.12 | orders placed 0 | fills 0 | "
                    "SOL 99.5000 USDC 20075.60")
    no_book = Connector(None)
    assert "mid n/a" in progress_line(no_book, EventRecorder(no_book), "SOL-USDC", 1.0)
