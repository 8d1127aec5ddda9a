"""``python -m backpack_demo.v2``'s all-kinds summary: one row per executor with its maker scorecard columns."""
from backpack_demo.v2 import scorecard_columns, summary

CARD = {"band_bps": "100", "since": 1.0, "window_s": 20.0, "markets": {"SOL-USDC": {
    "maker_volume_quote": "45.0150", "volume_quote": "60.02", "maker_share": 0.75, "fills": 3, "maker_fills": 2,
    "two_sided_s": 15.0, "uptime_s": 18.0, "two_sided_share": 0.75, "uptime_share": 0.9,
    "avg_resting_order_notional_quote": "15.00"}}}
RUN = {"executor": "order", "trading_pair": "SOL-USDC", "orders_created": 6, "fills": 3, "hedge_fills": 0,
       "ledger_match": True, "open_orders_at_exit": 0, "chaos_seed": None, "maker_scorecard": CARD,
       "market_close": "not needed"}


def test_scorecard_columns_of_a_run():
    assert scorecard_columns(RUN) == "     45.02   75%     75%    90%"
    assert scorecard_columns(dict(RUN, maker_scorecard={"markets": {}})) == "         -     -       -      -"


def test_all_kinds_summary_has_a_row_per_executor_with_its_scorecard():
    lines = summary({"runs": {"order": RUN, "grid": {"executor": "grid", "error": "exit status 1, no report"}}})
    assert all(column in lines[0] for column in ("maker vol", "maker", "2-sided", "uptime", "result"))
    assert lines[1].startswith("order") and "45.02   75%     75%    90%" in lines[1]
    assert lines[2] == "grid       exit status 1, no report"
