"""Order-level reconciliation of a chaos run: the connector's view of every order against the exchange's.

Fills and balances are compared by ``backpack_harness/ledger.py``; this module adds the two order checks of the chaos
report:

- ``orphan_orders``: orders still open on the exchange after the stop (``New``/``PartiallyFilled``) — whether the
  connector tracked them (and failed to cancel) or never knew them;
- ``unresolved_orders``: orders whose outcome the connector got wrong or never settled — still in flight after the
  settle time; on the exchange but unknown to the connector or failed by it (a lost order); filled on the
  exchange but not completed in the connector; completed in the connector but not filled on the exchange;
  cancelled/filled in the connector but absent from the exchange.

The connector's view comes from the market events it emitted (``BuyOrderCreated``/``SellOrderCreated``,
``OrderFilled`` completion events, ``OrderCancelled``, ``OrderFailure``) and its in-flight orders; the exchange's
from the sandbox's order list (§5.11 history shape: ``clientId``, ``status``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Mapping, Set

from hummingbot.core.event.events import MarketEvent

EXCHANGE_OPEN = ("New", "PartiallyFilled")
#: Connector outcome → exchange statuses consistent with it. A cancel of a partly filled order is "cancelled";
#: a post-only order the engine expired is "failed" in the connector (§5.5).
CONSISTENT = {
    "filled": {"Filled"},
    "cancelled": {"Cancelled", "Expired"},
    "failed": set(),
}


@dataclass
class OrdersCheck:
    orphan_orders: List[Dict[str, Any]]
    unresolved_orders: List[Dict[str, Any]]


def connector_outcomes(recorder: Any) -> Dict[str, Set[str]]:
    """Client order id → set of outcomes the connector announced (``created``, ``filled``, ``cancelled``,
    ``failed``), from an ``EventRecorder`` (``backpack_harness/headless.py``)."""
    outcomes: Dict[str, Set[str]] = {}
    for names, kind in (((MarketEvent.BuyOrderCreated, MarketEvent.SellOrderCreated), "created"),
                        ((MarketEvent.BuyOrderCompleted, MarketEvent.SellOrderCompleted), "filled"),
                        ((MarketEvent.OrderCancelled,), "cancelled"),
                        ((MarketEvent.OrderFailure,), "failed")):
        for event in recorder.events(*names):
            outcomes.setdefault(str(event.order_id), set()).add(kind)
    return outcomes


def _final(outcomes: Set[str]) -> str:
    for kind in ("filled", "cancelled", "failed"):
        if kind in outcomes:
            return kind
    return "none"


def check_orders(outcomes: Mapping[str, Set[str]], in_flight: Iterable[Any],
                 exchange_orders: Iterable[Mapping[str, Any]]) -> OrdersCheck:
    """Compare the connector's orders with the exchange's.

    :param outcomes: from :func:`connector_outcomes`.
    :param in_flight: the connector's tracked orders (``InFlightOrder``) after the settle time.
    :param exchange_orders: every order of the account on the exchange (``clientId``, ``id``, ``status``).
    """
    exchange = {str(o.get("clientId")): o for o in exchange_orders if o.get("clientId") is not None}
    orphans = [{"client_order_id": cid, "exchange_order_id": o.get("id"), "status": o.get("status"),
                "tracked": cid in outcomes}
               for cid, o in sorted(exchange.items()) if o.get("status") in EXCHANGE_OPEN]
    unresolved: List[Dict[str, Any]] = []
    still_tracked = set()
    for order in in_flight:
        if not order.is_done:
            still_tracked.add(order.client_order_id)
            unresolved.append({"client_order_id": order.client_order_id, "problem": "still in flight",
                               "connector": order.current_state.name,
                               "exchange": (exchange.get(order.client_order_id) or {}).get("status")})
    for cid, o in sorted(exchange.items()):
        if cid in still_tracked or o.get("status") in EXCHANGE_OPEN:
            continue  # counted above, or an orphan
        final = _final(outcomes.get(cid, set()))
        if cid not in outcomes:
            problem = "on the exchange, unknown to the connector"
        elif final == "failed":
            problem = "failed in the connector, exists on the exchange"
        elif o.get("status") not in CONSISTENT.get(final, set()):
            problem = f"connector says {final}"
        else:
            continue
        unresolved.append({"client_order_id": cid, "problem": problem, "exchange": o.get("status")})
    for cid, seen in sorted(outcomes.items()):
        final = _final(seen)
        if cid not in exchange and cid not in still_tracked and final in ("filled", "cancelled"):
            unresolved.append({"client_order_id": cid, "problem": f"connector says {final}, exchange has no order",
                               "exchange": None})
    return OrdersCheck(orphans, unresolved)
