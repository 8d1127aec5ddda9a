"""Ledger reconciliation: every check reports its own discrepancy and nothing else."""
from decimal import Decimal

from backpack_harness.ledger import fees_by_asset, reconcile
from hummingbot.core.data_type.common import OrderType, TradeType
from hummingbot.core.data_type.trade_fee import AddedToCostTradeFee, TokenAmount
from hummingbot.core.event.events import OrderFilledEvent

D = Decimal
START = {"SOL": D("10"), "USDC": D("1000")}


def fill(trade_id, side, price, amount, fee, fee_asset):
    return OrderFilledEvent(0.0, f"o{trade_id}", "SOL-USDC", side, OrderType.LIMIT, D(price), D(amount),
                            AddedToCostTradeFee(flat_fees=[TokenAmount(fee_asset, D(fee))]), str(trade_id))


def exchange_fill(trade_id, price, quantity, fee, fee_symbol):
    return {"tradeId": trade_id, "price": price, "quantity": quantity, "fee": fee, "feeSymbol": fee_symbol}


BUY = fill(1, TradeType.BUY, "100", "1", "0.001", "SOL")      # +0.999 SOL, -100 USDC
SELL = fill(2, TradeType.SELL, "110", "0.5", "0.055", "USDC")  # -0.5 SOL, +54.945 USDC
END = {"SOL": D("10.499"), "USDC": D("954.945")}
EXCHANGE = [exchange_fill(1, "100", "1", "0.001", "SOL"), exchange_fill(2, "110", "0.5", "0.055", "USDC")]


def test_a_complete_and_correct_view_matches():
    check = reconcile([BUY, SELL], EXCHANGE, dict(END), dict(END), START)
    assert check.match
    assert fees_by_asset([BUY, SELL]) == {"SOL": D("0.001"), "USDC": D("0.055")}


def test_missing_duplicate_and_unknown_fills_are_listed_by_trade_id():
    stray = fill(9, TradeType.BUY, "100", "0.1", "0", "SOL")
    check = reconcile([BUY, BUY, stray], EXCHANGE, dict(END), dict(END), START)
    assert check.missing_fills == ["2"] and check.duplicate_fills == ["1"] and check.unknown_fills == ["9"]
    assert not check.match


def test_a_fill_with_another_price_quantity_or_fee_is_a_mismatch():
    for changed in (exchange_fill(1, "101", "1", "0.001", "SOL"), exchange_fill(1, "100", "2", "0.001", "SOL"),
                    exchange_fill(1, "100", "1", "0.002", "SOL"), exchange_fill(1, "100", "1", "0.001", "USDC")):
        check = reconcile([BUY, SELL], [changed, EXCHANGE[1]], dict(END), dict(END), START)
        assert check.fill_mismatches == ["1"], changed


def test_balances_differing_from_the_exchange_are_listed_per_asset():
    ours = dict(END, SOL=D("10.5"))
    check = reconcile([BUY, SELL], EXCHANGE, ours, dict(END), START)
    assert check.balance_mismatches == {"SOL": {"connector": "10.5", "exchange": "10.499"}}
    assert not check.conservation_mismatches and not check.match


def test_end_balances_the_connectors_fills_do_not_explain_are_conservation_mismatches():
    exchange_end = dict(END, USDC=D("954.9"))
    check = reconcile([BUY, SELL], EXCHANGE, dict(exchange_end), exchange_end, START)
    assert check.conservation_mismatches == {"USDC": {"expected": "954.945", "exchange": "954.9"}}
    assert not check.balance_mismatches and not check.match
