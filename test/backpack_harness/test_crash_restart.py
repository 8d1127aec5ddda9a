"""Crash-and-restart pieces without a bot: the taker's targets, reading the bot's SQLite ``TradeFill`` rows, the
verdict, the bot's output lines and a kept data directory (the short run, whose bots run sessions attached to the
run's sandbox, is ``test/e2e/test_crash_restart.py``)."""
import json
import sqlite3
from decimal import Decimal

import pytest

from backpack_harness import crash_bot, crash_restart
from backpack_harness.headless import isolate_hummingbot_data_dir
from hummingbot.core.data_type.common import TradeType
from hummingbot.core.data_type.trade_fee import TokenAmount, TradeFeeBase, TradeFeeSchema
from hummingbot.model.decimal_type_decorator import SqliteDecimal


def _order(side, price):
    return {"side": side, "price": price, "quantity": "1", "status": "New"}


def test_the_taker_sweeps_our_best_bid_and_best_ask():
    orders = [_order("Bid", "149.5"), _order("Ask", "151"), _order("Bid", "149.9"), _order("Ask", "150.4")]
    targets = crash_restart.pick_targets(orders)
    assert [(o["side"], o["price"]) for o in targets] == [("Bid", "149.9"), ("Ask", "150.4")]
    assert crash_restart.pick_targets([_order("Ask", "151")]) == [_order("Ask", "151")]


def test_db_fills_reads_trade_fill_rows_as_hummingbot_stores_them(tmp_path):
    assert crash_restart.db_fills(tmp_path) == []
    (tmp_path / "data").mkdir()
    db = sqlite3.connect(tmp_path / "data" / "conf.sqlite")
    db.execute("CREATE TABLE TradeFill (exchange_trade_id TEXT, order_id TEXT, symbol TEXT, trade_type TEXT, "
               "price BIGINT, amount BIGINT, trade_fee JSON)")
    db.execute('CREATE TABLE "Order" (id TEXT, exchange_order_id TEXT)')
    column = SqliteDecimal(6)
    fee_json = json.dumps(TradeFeeBase.new_spot_fee(fee_schema=TradeFeeSchema(), trade_type=TradeType.BUY,
                                                    flat_fees=[TokenAmount("SOL", Decimal("0.0005"))]).to_json())
    db.execute("INSERT INTO TradeFill VALUES ('94', '42', 'SOL-USDC', 'BUY', ?, ?, ?)",
               (column.process_bind_param(Decimal("150.18"), None), column.process_bind_param(Decimal("0.5"), None),
                fee_json))
    db.execute("INSERT INTO \"Order\" VALUES ('42', '7001')")
    db.commit()
    db.close()
    [fill] = crash_restart.db_fills(tmp_path)
    assert (fill.exchange_trade_id, fill.trade_type, fill.price, fill.amount) == ("94", TradeType.BUY,
                                                                                  Decimal("150.18"), Decimal("0.5"))
    assert [(t.token, t.amount) for t in fill.trade_fee.flat_fees] == [("SOL", Decimal("0.0005"))]
    assert crash_restart.db_order_ids(tmp_path) == {"7001"}


def _report(**changes):
    report = {"ledger_match": True, "orphaned_orders": 0, "open_orders_at_exit": 0, "orders_unknown_to_db": [],
              "fills_while_down": 2, "fills_while_down_recorded": 2, "restarts": [{"reconcile_s": 0.5}], "kills": 1}
    report.update(changes)
    return report


@pytest.mark.parametrize("changes, reason", [
    ({}, None),
    ({"ledger_match": False}, "ledger"),
    ({"orphaned_orders": 1}, "orphaned"),
    ({"orders_unknown_to_db": ["9"]}, "orphaned"),
    ({"fills_while_down_recorded": 1}, "exactly once"),
    ({"restarts": [{"reconcile_s": None}]}, "in time"),
    ({"fills_while_down": 0, "fills_while_down_recorded": 0}, "no fill"),
])
def test_failure_names_what_went_wrong(changes, reason):
    verdict = crash_restart.failure(_report(**changes))
    assert verdict is None if reason is None else reason in verdict


def test_the_bot_writes_one_prefixed_json_line_per_event(capsys):
    crash_bot.emit("started", restored=["1", "2"])
    line = capsys.readouterr().out
    assert line.startswith(crash_bot.PREFIX) and line.endswith("\n")
    assert json.loads(line[len(crash_bot.PREFIX):]) == {"event": "started", "restored": ["1", "2"]}


def test_a_fixed_data_dir_is_kept(tmp_path):
    assert isolate_hummingbot_data_dir(tmp_path / "hb") == tmp_path / "hb" and (tmp_path / "hb").is_dir()
