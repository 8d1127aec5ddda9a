"""Order-level reconciliation of the chaos report: orphans and unresolved orders, each case once."""
from types import SimpleNamespace

from backpack_chaos.orders_check import check_orders


def in_flight(cid, done=False, state="OPEN"):
    return SimpleNamespace(client_order_id=cid, is_done=done, current_state=SimpleNamespace(name=state))


def test_a_consistent_history_has_no_finding():
    outcomes = {"1": {"created", "filled"}, "2": {"created", "cancelled"}, "3": {"failed"},
                "4": {"created", "cancelled"}}
    exchange = [{"clientId": 1, "id": "a", "status": "Filled"}, {"clientId": 2, "id": "b", "status": "Cancelled"},
                {"clientId": 4, "id": "d", "status": "Expired"}]
    check = check_orders(outcomes, [in_flight("9", done=True)], exchange)
    assert check.orphan_orders == [] and check.unresolved_orders == []


def test_orders_open_on_the_exchange_are_orphans_tracked_or_not():
    exchange = [{"clientId": 1, "id": "a", "status": "New"}, {"clientId": 5, "id": "e", "status": "PartiallyFilled"}]
    check = check_orders({"1": {"created", "cancelled"}}, [], exchange)
    assert [(o["client_order_id"], o["tracked"]) for o in check.orphan_orders] == [("1", True), ("5", False)]


def test_every_kind_of_unresolved_order_is_reported():
    outcomes = {"1": {"created"}, "2": {"failed"}, "3": {"created", "cancelled"}, "4": {"created", "filled"},
                "6": {"created", "cancelled"}}
    exchange = [{"clientId": 1, "status": "Cancelled"}, {"clientId": 2, "status": "Filled"},
                {"clientId": 3, "status": "Filled"}, {"clientId": 4, "status": "Cancelled"},
                {"clientId": 5, "status": "Filled"}, {"clientId": 7, "status": "Cancelled"}]
    check = check_orders(outcomes, [in_flight("7", state="PENDING_CANCEL")], exchange)
    problems = {u["client_order_id"]: u["problem"] for u in check.unresolved_orders}
    assert problems == {
        "7": "still in flight",
        "1": "connector says none",
        "2": "failed in the connector, exists on the exchange",
        "3": "connector says cancelled",
        "4": "connector says filled",
        "5": "on the exchange, unknown to the connector",
        "6": "connector says cancelled, exchange has no order",
    }
