"""The one settle path: call order, waits on conditions, the balance policy, report fields (the connector's maker
scorecard and the sandbox's view of its window) and summary rows."""
import asyncio
import json
from decimal import Decimal
from types import SimpleNamespace

import pytest

from backpack_harness import settle as settle_module
from backpack_harness.headless import EventRecorder
from backpack_harness.settle import (
    ledger_failure,
    order_final,
    scorecard_disagreements,
    settle,
    summary_lines,
    write_report,
)
from hummingbot.core.data_type.common import OrderType, TradeType
from hummingbot.core.data_type.trade_fee import AddedToCostTradeFee, TokenAmount
from hummingbot.core.event.events import BuyOrderCreatedEvent, MarketEvent, OrderFilledEvent
from hummingbot.core.pubsub import PubSub

D = Decimal
START = {"SOL": D("10"), "USDC": D("1000")}
END = {"SOL": D("10.999"), "USDC": D("900")}
MAKER = {"band_bps": "100", "since": 1000.0, "window_s": 20.0, "markets": {"SOL-USDC": {
    "maker_volume_quote": "150.0", "volume_quote": "200.0", "maker_share": 0.75, "fills": 3, "maker_fills": 2,
    "two_sided_s": 18.0, "uptime_s": 19.0, "two_sided_share": 0.9, "uptime_share": 0.95,
    "avg_resting_order_notional_quote": "15.00"}}}
EXCHANGE_VIEW = {"bandBps": "100", "since": 1000.0, "until": 1020.0, "windowS": 20.0, "markets": {"SOL_USDC": {
    "makerVolumeQuote": "150.0", "twoSidedShare": 0.89, "uptimeShare": 0.951}}}
LEDGER_FILL = {"tradeId": 7, "orderId": "x1", "price": "100", "quantity": "1", "fee": "0.001", "feeSymbol": "SOL"}


def fill_event():
    return OrderFilledEvent(0.0, "c1", "SOL-USDC", TradeType.BUY, OrderType.LIMIT, D("100"), D("1"),
                            AddedToCostTradeFee(flat_fees=[TokenAmount("SOL", D("0.001"))]), "7")


def account(balances):
    return {"accountId": 1, "balances": {a: {"available": str(v), "locked": "0"} for a, v in balances.items()}}


class Order(SimpleNamespace):
    pass


class FakeConnector(PubSub):
    def __init__(self, calls, balances):
        super().__init__()
        self.calls, self.balances = calls, dict(balances)
        self.in_flight_orders = {}
        self.refreshed_balances = None

    async def cancel_all(self, timeout_s):
        self.calls.append(("cancel_all", timeout_s))
        return []

    async def _update_balances(self):
        self.calls.append("refresh")
        if self.refreshed_balances is not None:
            self.balances = dict(self.refreshed_balances)

    def get_all_balances(self):
        return dict(self.balances)

    def metrics_snapshot(self):
        self.calls.append("metrics")
        return {"maker": MAKER}


class FakeSandbox:
    def __init__(self, calls, fills, orders, end):
        self.calls, self._fills, self._orders, self._end = calls, fills, orders, end

    async def fills(self, api_key=None):
        self.calls.append("fills")
        return list(self._fills)

    async def account(self, api_key=None):
        return account(self._end)

    async def orders(self, api_key=None):
        return list(self._orders)

    async def scorecard(self, since_s, until_s, band_bps, api_key=None):
        self.calls.append(("scorecard", since_s, until_s, band_bps))
        return EXCHANGE_VIEW


class Strategy:
    def __init__(self, calls):
        self.calls = calls

    async def on_stop(self):
        self.calls.append("on_stop")


class Core:
    def __init__(self, calls, strategy):
        self.calls, self.strategy = calls, strategy

    async def stop_strategy(self):
        self.calls.append("stop_strategy")


def session(calls, connector_balances, fills=(LEDGER_FILL,), orders=(), end=END, strategy=True):
    connector = FakeConnector(calls, connector_balances)
    return SimpleNamespace(core=Core(calls, Strategy(calls) if strategy else None), connector=connector,
                           sandbox=FakeSandbox(calls, fills, orders, end), recorder=EventRecorder(connector),
                           balances_start=dict(START))


def test_settle_stops_then_cancels_then_waits_for_fills_and_reports_a_match():
    async def scenario():
        calls = []
        s = session(calls, END, orders=[{"status": "Filled"}, {"status": "Cancelled"}])
        s.connector.trigger_event(MarketEvent.BuyOrderCreated, BuyOrderCreatedEvent(
            0.0, OrderType.LIMIT, "SOL-USDC", D("1"), D("100"), "c1", 0.0))

        async def after_stop():
            calls.append("after_stop")

        # The fill event arrives only after the settle has read the ledger: the settle waits for it.
        asyncio.get_running_loop().call_later(0.3, s.connector.trigger_event, MarketEvent.OrderFilled, fill_event())
        settlement = await settle(s, timeout_s=10.0, after_stop=after_stop)
        return calls, settlement

    calls, settlement = asyncio.run(scenario())
    assert calls == ["on_stop", "stop_strategy", "after_stop", ("cancel_all", settle_module.CANCEL_TIMEOUT_S),
                     "fills", "refresh", "metrics", ("scorecard", 1000.0, 1020.0, "100")]
    report = settlement.report()
    assert report["orders_created"] == 1 and report["fills"] == 1 and report["exchange_fills"] == 1
    assert report["open_orders_at_exit"] == 0 and report["ledger_match"] is True
    assert report["fees_paid"] == {"SOL": "0.001"}
    assert report["balances_start"] == {"SOL": "10", "USDC": "1000"}
    assert report["balances_end"] == {"SOL": "10.999", "USDC": "900"}
    assert set(report["ledger"]) == {"missing_fills", "duplicate_fills", "unknown_fills", "fill_mismatches",
                                     "balance_mismatches", "conservation_mismatches"}
    assert report["settle_s"] < 10.0
    assert report["maker_scorecard"] == MAKER and report["maker_scorecard_exchange"] == EXCHANGE_VIEW


def test_settle_without_refresh_waits_for_the_connectors_own_balance_update(monkeypatch):
    async def scenario():
        calls = []
        s = session(calls, START, fills=(), end=START, strategy=False)
        s.sandbox._end = dict(START, USDC=D("999"))  # a fee the connector learns of later, by itself
        loop = asyncio.get_running_loop()
        loop.call_later(0.3, s.connector.balances.update, {"USDC": D("999")})
        settlement = await settle(s, timeout_s=10.0, refresh_balances=False)
        return calls, settlement

    calls, settlement = asyncio.run(scenario())
    assert "refresh" not in calls and "on_stop" not in calls
    assert settlement.ledger.balance_mismatches == {}
    assert settlement.connector_totals["USDC"] == D("999")


def test_settle_reports_what_never_settled_once_the_ceiling_passed(monkeypatch):
    monkeypatch.setattr(settle_module, "MIN_WAIT_S", 0.05)

    async def scenario():
        s = session([], dict(END, USDC=D("901")), orders=[{"status": "New"}, {"status": "PartiallyFilled"}])
        s.connector.in_flight_orders = {"c2": Order(is_done=False, is_open=True)}
        return await settle(s, timeout_s=0.1)

    settlement = asyncio.run(scenario())
    report = settlement.report()
    assert report["open_orders_at_exit"] == 2
    assert report["ledger"]["missing_fills"] == ["7"]
    assert report["ledger"]["balance_mismatches"] == {"USDC": {"connector": "901", "exchange": "900"}}
    assert report["ledger_match"] is False


@pytest.mark.parametrize("is_done, is_open, final", [(True, False, True), (True, True, False),
                                                     (False, True, False), (False, False, False)])
def test_an_order_is_final_when_done_and_no_longer_open(is_done, is_open, final):
    assert order_final(Order(is_done=is_done, is_open=is_open)) is final


BASE = {"duration_s": 30.0, "orders_created": 4, "orders_filled": 2, "orders_cancelled": 2, "orders_failed": 0,
        "fills": 3, "exchange_fills": 3, "open_orders_at_exit": 0, "balances_start": {"SOL": "10"},
        "balances_end": {"SOL": "11"}, "fees_paid": {"SOL": "0.001"}, "ledger_match": True}


def test_summary_lines_hold_the_shared_rows_then_the_runs_own():
    lines = summary_lines("Title", BASE, [("hedges", "2 fills")])
    assert lines[0] == lines[-1] == "=" * 72 and lines[1] == "Title"
    assert "  duration            30.0 s" in lines
    assert "  orders created      4  (filled 2, cancelled 2, failed 0)" in lines
    assert "  fills               3 (exchange ledger: 3)" in lines
    assert "  open orders at exit 0" in lines
    assert lines[-3:-1] == ["  ledger              MATCH", "  hedges              2 fills"]
    assert "  ledger              MISMATCH" in summary_lines("Title", dict(BASE, ledger_match=False))


def test_summary_lines_show_the_maker_scorecard_per_market():
    lines = summary_lines("Title", dict(BASE, maker_scorecard=MAKER, maker_scorecard_exchange=EXCHANGE_VIEW))
    assert ("  maker scorecard     SOL-USDC: maker 150.0 of 200.0 quote (75%), two-sided 90.0% (±100 bps), uptime "
            "95.0%, avg order 15.00; exchange: maker 150.0, two-sided 89.0%, uptime 95.1% over 20.0 s") in lines


def test_ledger_failure_names_a_mismatch_first_then_open_orders():
    assert ledger_failure(BASE) is None
    assert "do not match" in ledger_failure(dict(BASE, ledger_match=False, open_orders_at_exit=2))
    assert ledger_failure(dict(BASE, open_orders_at_exit=2)) == "2 orders were still open at exit"


def test_write_report_writes_indented_json_with_decimals_as_strings(tmp_path):
    path = tmp_path / "report.json"
    write_report({"a": D("1.50"), "b": [1]}, path)
    assert json.loads(path.read_text()) == {"a": "1.50", "b": [1]}
    assert path.read_text().endswith("\n") and "\n  " in path.read_text()


def test_settle_with_refresh_compares_the_refreshed_balances():
    async def scenario():
        s = session([], START)
        s.connector.refreshed_balances = END
        asyncio.get_running_loop().call_soon(s.connector.trigger_event, MarketEvent.OrderFilled, fill_event())
        return await settle(s, timeout_s=10.0)

    settlement = asyncio.run(scenario())
    assert settlement.connector_totals == END and settlement.ledger.match


def test_scorecard_disagreements_want_equal_volumes_and_time_shares_within_two_points():
    view = {"makerVolumeQuote": "150.00", "volumeQuote": "200", "fills": 3, "makerFills": 2, "twoSidedShare": 0.881,
            "uptimeShare": 0.969}
    report = {"maker_scorecard": MAKER, "maker_scorecard_exchange": {"markets": {"SOL_USDC": view}}}
    assert scorecard_disagreements(report) == []
    off = dict(view, makerVolumeQuote="150.01", makerFills=1, twoSidedShare=0.879)
    report["maker_scorecard_exchange"]["markets"] = {"SOL_USDC": off, "ETH_USDC": view}
    assert scorecard_disagreements(report) == [
        "ETH-USDC: only in the sandbox's scorecard",
        "SOL-USDC maker_volume_quote: connector 150.0, sandbox 150.01",
        "SOL-USDC maker_fills: connector 2, sandbox 1",
        "SOL-USDC two_sided_share: connector 0.9000, sandbox 0.8790"]


class TwoAccountSandbox(FakeSandbox):
    """The sandbox's per-account views: the session's account (``api_key`` None) and ``"K2"``."""

    def __init__(self, calls, second_fills, second_end):
        super().__init__(calls, (LEDGER_FILL,), (), END)
        self._second = (second_fills, second_end)

    async def fills(self, api_key=None):
        self.calls.append(("fills", api_key))
        return list(self._fills if api_key is None else self._second[0])

    async def account(self, api_key=None):
        return account(self._end if api_key is None else self._second[1])

    async def scorecard(self, since_s, until_s, band_bps, api_key=None):
        self.calls.append(("scorecard", api_key))
        return EXCHANGE_VIEW


def test_settle_cancels_and_reconciles_the_second_account_on_its_own_side_of_the_ledger():
    async def scenario():
        calls = []
        s = session(calls, END)
        s.sandbox = TwoAccountSandbox(calls, second_fills=(), second_end=START)
        second = FakeConnector(calls, dict(START, USDC=D("999")))  # off by 1 USDC: a balance mismatch
        s.second = SimpleNamespace(connector=second, recorder=EventRecorder(second), api_key="K2",
                                   balances_start=dict(START))
        s.connector.trigger_event(MarketEvent.OrderFilled, fill_event())
        settlement = await settle(s, timeout_s=0.5, refresh_balances=False)
        return calls, settlement

    calls, settlement = asyncio.run(scenario())
    assert calls.count(("cancel_all", settle_module.CANCEL_TIMEOUT_S)) == 2
    assert [c for c in calls if isinstance(c, tuple) and c[0] in ("fills", "scorecard")] == [
        ("fills", None), ("scorecard", None), ("fills", "K2"), ("scorecard", "K2")]
    assert settlement.report()["ledger_match"] is True and settlement.report()["fills"] == 1
    second = settlement.second.report()
    assert second["fills"] == 0 == second["exchange_fills"] and second["ledger_match"] is False
    assert second["ledger"]["balance_mismatches"]
    assert settlement.second.second is None
