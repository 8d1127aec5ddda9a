"""Property test of the matching engine: any order sequence keeps the invariants (engine.py doc)."""
from __future__ import annotations

from decimal import Decimal

from hypothesis import HealthCheck, given, settings, strategies as st

from backpack_sandbox.clock import Clock
from backpack_sandbox.engine import Engine
from backpack_sandbox.errors import ApiError
from backpack_sandbox.markets import build_markets

ORDER = st.fixed_dictionaries({
    "account": st.integers(0, 2),
    "side": st.sampled_from(["Bid", "Ask"]),
    "kind": st.sampled_from(["Limit", "Limit", "Market", "MarketQuote", "Cancel"]),
    "ticks": st.integers(-20, 20),
    "lots": st.integers(1, 300),
    "tif": st.sampled_from(["GTC", "IOC", "FOK"]),
    "post_only": st.booleans(),
    "stp": st.sampled_from(["RejectTaker", "RejectMaker", "RejectBoth", "Allow"]),
})


@settings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(ORDER, min_size=1, max_size=60), st.sampled_from(["reject", "expire"]))
def test_invariants_hold_for_any_order_sequence(orders, mode):
    engine = Engine(build_markets(["SOL_USDC"]), Clock(fixed_ms=1_700_000_000_000), post_only_mode=mode,
                    maker_bps="-1", taker_bps="7")
    accts = [engine.create_account(f"k{i}", "s", {"SOL": "20", "USDC": "3000"}) for i in range(3)]
    for o in orders:
        acct = accts[o["account"]]
        price = str(Decimal("150") + Decimal("0.01") * o["ticks"])
        qty = str(Decimal("0.01") * o["lots"])
        try:
            if o["kind"] == "Cancel":
                engine.cancel_all(acct, "SOL_USDC")
            elif o["kind"] == "Limit":
                engine.place(acct, {"symbol": "SOL_USDC", "side": o["side"], "orderType": "Limit", "price": price,
                                    "quantity": qty, "timeInForce": "GTC" if o["post_only"] else o["tif"],
                                    "postOnly": o["post_only"], "selfTradePrevention": o["stp"]})
            elif o["kind"] == "Market":
                engine.place(acct, {"symbol": "SOL_USDC", "side": o["side"], "orderType": "Market", "quantity": qty,
                                    "selfTradePrevention": o["stp"]})
            else:
                engine.place(acct, {"symbol": "SOL_USDC", "side": o["side"], "orderType": "Market",
                                    "quoteQuantity": str(Decimal(o["lots"])), "selfTradePrevention": o["stp"]})
        except ApiError as e:
            assert e.code in ("INSUFFICIENT_FUNDS", "INVALID_ORDER")
    assert all(row["diff"] == 0 for row in engine.conservation().values())
    book = engine.markets["SOL_USDC"].book
    bid, ask = book.best("Bid"), book.best("Ask")
    assert bid is None or ask is None or bid < ask
    for acct in accts:
        for asset in ("SOL", "USDC"):
            assert acct.available[asset] >= 0 and acct.locked[asset] >= 0
            held = sum((o.locked for o in engine.open_orders[acct.id].values() if o.lock_asset == asset), Decimal(0))
            assert held == acct.locked[asset]
    for side in ("Bid", "Ask"):
        for price, qty in book.level_qty[side].items():
            assert qty == sum((o.remaining for o in book.queues[side][price]), Decimal(0)) and qty > 0
    for f in engine.ledger:
        assert f.quote_quantity == f.price * f.quantity


def test_fills_between_internal_accounts_are_kept_apart_and_bounded(monkeypatch):
    import backpack_sandbox.engine as engine_module
    monkeypatch.setattr(engine_module, "FLOW_FILLS_KEPT", 5)
    engine = Engine(build_markets(["SOL_USDC"]), Clock(fixed_ms=1_700_000_000_000))
    maker, taker = (engine.create_account(f"flow{i}", "s", {"SOL": "100", "USDC": "100000"}, internal=True)
                    for i in range(2))
    user = engine.create_account("user", "s", {"SOL": "100", "USDC": "100000"})

    def trade(buyer):
        engine.place(maker, {"symbol": "SOL_USDC", "side": "Ask", "orderType": "Limit", "price": "150",
                             "quantity": "0.1"})
        engine.place(buyer, {"symbol": "SOL_USDC", "side": "Bid", "orderType": "Market", "quantity": "0.1"})

    for _ in range(8):
        trade(taker)
    trade(user)
    assert engine.fill_count == 9 and len(engine.markets["SOL_USDC"].trades) == 9
    assert [f.trade_id for f in engine.flow_fills] == [4, 5, 6, 7, 8]   # the newest 5 of the flow's own fills
    assert [(f.trade_id, f.buyer_account) for f in engine.ledger] == [(9, user.id)]
