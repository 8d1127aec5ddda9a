"""deploy-check's pure parts: fills read back from Hummingbot's trade database, the engine's balances, one
container's report against the sandbox ledger, and the printed summary."""
from decimal import Decimal

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from deploy import check
from hummingbot.core.data_type.common import TradeType
from hummingbot.core.data_type.trade_fee import AddedToCostTradeFee, TokenAmount
from hummingbot.model import get_declarative_base
from hummingbot.model.trade_fill import TradeFill

START = {"SOL": Decimal("100"), "USDC": Decimal("20000")}


def _fee(amount: str) -> AddedToCostTradeFee:
    return AddedToCostTradeFee(flat_fees=[TokenAmount("USDC", Decimal(amount))])


@pytest.fixture
def database(tmp_path):
    """A trade database as Hummingbot's recorder writes it: one buy of 0.5 SOL at 150.12, fee 0.060048 USDC."""
    path = tmp_path / "conf_backpack_executors_order.sqlite"
    engine = create_engine(f"sqlite:///{path}")
    get_declarative_base().metadata.create_all(engine)
    with Session(engine) as session:
        session.add(TradeFill(config_file_path="c.yml", strategy="backpack_executors", market="backpack_sandbox",
                              symbol="SOL-USDC", base_asset="SOL", quote_asset="USDC", timestamp=1, order_id="o1",
                              trade_type="BUY", order_type="LIMIT_MAKER", price=Decimal("150.12"),
                              amount=Decimal("0.5"), leverage=1, trade_fee=_fee("0.060048").to_json(),
                              exchange_trade_id="77"))
        session.commit()
    engine.dispose()
    return path


def test_recorded_fills_read_hummingbots_trade_fill_rows(database):
    (fill,) = check.recorded_fills(database)
    assert (fill.exchange_trade_id, fill.trading_pair, fill.trade_type) == ("77", "SOL-USDC", TradeType.BUY)
    assert (fill.price, fill.amount) == (Decimal("150.12"), Decimal("0.5"))
    assert [(t.token, t.amount) for t in fill.trade_fee.flat_fees] == [("USDC", Decimal("0.060048"))]


def test_engine_balances_are_the_sandbox_connectors():
    status = {"balances": {"backpack_sandbox": {"SOL": 100.5, "USDC": 19924.879952}, "other": {"X": 1.0}}}
    assert check.engine_balances(status) == {"SOL": Decimal("100.5"), "USDC": Decimal("19924.879952")}
    assert check.engine_balances({}) == {}


def _report(database, **overrides):
    fills = check.recorded_fills(database)
    exchange_fills = [{"tradeId": 77, "price": "150.12", "quantity": "0.5", "fee": "0.060048", "feeSymbol": "USDC"}]
    end = {"SOL": Decimal("100.5"), "USDC": Decimal("19924.879952")}
    arguments = dict(name="bot-1", kind="order", timings={"first_order_s": 12.34}, exit_code=0, fills=fills,
                     exchange_fills=exchange_fills, exchange_orders=[{"status": "Filled"}, {"status": "Cancelled"}],
                     connector_totals=dict(end), exchange_totals=dict(end), start_totals=START)
    arguments.update(overrides)
    return check.bot_report(**arguments)


def test_a_reconciled_container_matches(database):
    report = _report(database)
    assert report["ledger_match"] is True and report["ledger"] == {}
    assert report["orders"] == 2 and report["orders_by_status"] == {"Filled": 1, "Cancelled": 1}
    assert report["fills"] == report["exchange_fills"] == 1 and report["first_order_s"] == 12.3


@pytest.mark.parametrize("override, finding", [
    ({"exchange_fills": []}, "unknown_fills"),
    ({"connector_totals": {"SOL": Decimal("100.5"), "USDC": Decimal("19924.88")}}, "balance_mismatches"),
    ({"exchange_orders": [{"status": "New"}]}, None),
    ({"exit_code": 137}, None),
])
def test_a_discrepancy_an_open_order_or_a_failed_exit_is_a_mismatch(database, override, finding):
    report = _report(database, **override)
    assert report["ledger_match"] is False
    if finding:
        assert finding in report["ledger"]


def test_a_container_without_fills_proves_nothing(database):
    report = _report(database, fills=[], exchange_fills=[], connector_totals=dict(START), exchange_totals=dict(START))
    assert report["ledger"] == {} and report["ledger_match"] is False


def test_summary_names_each_container_and_its_ledger(database):
    report = {"total_s": 250.0, "base_built": False, "bot_image_build_s": 4.4, "api_image_build_s": 9.1,
              "shipped_verify_exit": 1,
              "containers": [_report(database), {"name": "bot-2", "kind": "twap", "error": "RuntimeError: boom"}]}
    text = "\n".join(check.summary(report))
    assert "bot-1" in text and "MATCH" in text and "bot-2" in text and "FAILED RuntimeError: boom" in text
