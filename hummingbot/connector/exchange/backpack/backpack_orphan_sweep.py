"""``OrphanSweep``: at start, cancel the open orders a previous life of this bot left on the exchange untracked.

An order Backpack accepted between Hummingbot sending it and its recorder saving the creation event is not in the
saved state: a restart does not restore it, and it would rest untracked (README "Crash and restart"). With a stable
instance tag (``backpack_instance_tag``) every ``clientId`` this bot gives carries the tag in every life, so the
first complete account-wide open-orders read after start (``GET /api/v1/orders``, §5.10; the status poll's) tells
them apart: an open order whose ``clientId`` carries our tag and that no tracked, cached or lost order matches
(``BackpackClientOrderTracker.find_order``: same ``clientId``, symbol, side and order id) is such an orphan.
Hummingbot (``TradingCore``) and hummingbot-api restore saved orders before the connector's network starts, so
restored orders are tracked by then and spared. Orders with another tag (other bots on the key) are never touched.

Each orphan is logged once at WARNING and cancelled by order id (``DELETE /api/v1/order``, §5.7); a failed cancel
(429 or any error) is retried at the next complete read while the order is still open there, at most
``MAX_CANCEL_ATTEMPTS`` times. Fills an orphan had before the cancel are not trades of this run: no Hummingbot
event or ``TradeFill`` row is made for them; the exchange already settled them into the account's balances, which
the balance poll and stream report. With a random tag (no setting) nothing is swept.
"""
import asyncio
import logging
from typing import Any, Awaitable, Callable, Dict, List, Optional

from hummingbot.connector.exchange.backpack.backpack_errors import BackpackAPIError
from hummingbot.core.data_type.in_flight_order import InFlightOrder


class OrphanSweep:
    """Runs once per connector instance, only when ``enabled``.

    :param enabled: the instance tag is stable (``ClientOrderIdGenerator.stable_tag``).
    :param is_our_client_id: a ``clientId`` carries this bot's tag (``ClientOrderIdGenerator.is_ours``).
    :param find_order: ``(clientId, order id, trading pair, side) → tracked order or None``
        (``BackpackClientOrderTracker.find_order``).
    :param pair_of: trading pair of an exchange symbol, None if unknown.
    :param cancel: async ``(symbol, order id)``: ``DELETE /api/v1/order`` (errors as ``BackpackRestClient.call``).
    """

    #: Cancel attempts per orphan (one per complete open-orders read) before it is left open and logged.
    MAX_CANCEL_ATTEMPTS = 3

    def __init__(self,
                 enabled: bool,
                 is_our_client_id: Callable[[Any], bool],
                 find_order: Callable[[Any, Any, Optional[str], Any], Optional[InFlightOrder]],
                 pair_of: Callable[[Any], Optional[str]],
                 cancel: Callable[[str, str], Awaitable[Any]],
                 logger: Callable[[], logging.Logger]):
        self.enabled = enabled
        self._is_our_client_id = is_our_client_id
        self._find_order = find_order
        self._pair_of = pair_of
        self._cancel = cancel
        self._logger = logger
        self._swept = False
        #: Orphans whose cancel is not confirmed yet: order id → (symbol, attempts so far).
        self._to_cancel: Dict[str, List[Any]] = {}
        #: Orphans found, cancelled, closed before our cancel (filled or cancelled elsewhere), given up after
        #: ``MAX_CANCEL_ATTEMPTS``; cancel attempts that failed.
        self.found = 0
        self.cancelled = 0
        self.closed = 0
        self.given_up = 0
        self.cancel_errors = 0

    @property
    def pending(self) -> bool:
        """The sweep still needs a complete open-orders read (first sweep not done, or cancels to retry)."""
        return self.enabled and (not self._swept or bool(self._to_cancel))

    async def on_open_orders(self, rows: List[Any]) -> None:
        """One complete ``GET /api/v1/orders`` answer: the first one finds the orphans; each cancels those still
        open (a retry only for an orphan still in ``rows``)."""
        if not self.pending:
            return
        if not self._swept:
            self._swept = True
            for row in rows:
                if self._is_orphan(row):
                    self._found(row)
        else:
            open_ids = {str(row.get("id")) for row in rows if isinstance(row, dict)}
            for order_id in [order_id for order_id in self._to_cancel if order_id not in open_ids]:
                del self._to_cancel[order_id]
                self.closed += 1
        for order_id, entry in list(self._to_cancel.items()):
            await self._cancel_one(order_id, entry)

    def _is_orphan(self, row: Any) -> bool:
        if not isinstance(row, dict) or row.get("id") is None or not self._is_our_client_id(row.get("clientId")):
            return False
        return self._find_order(row.get("clientId"), row.get("id"), self._pair_of(row.get("symbol")),
                                row.get("side")) is None

    def _found(self, row: Dict[str, Any]) -> None:
        self.found += 1
        self._to_cancel[str(row["id"])] = [row.get("symbol"), 0]
        market = self._pair_of(row.get("symbol")) or row.get("symbol")
        self._logger().warning(
            f"Order left by a previous run of this bot (instance tag in clientId {row.get('clientId')}): {market} "
            f"{row.get('side')} {row.get('quantity')} @ {row.get('price')} (executed {row.get('executedQuantity')}), "
            f"order id {row['id']}; cancelling it. Its fills are not trades of this run.")

    async def _cancel_one(self, order_id: str, entry: List[Any]) -> None:
        symbol = entry[0]
        try:
            await self._cancel(str(symbol), order_id)
        except asyncio.CancelledError:
            raise
        except Exception as e:
            if isinstance(e, BackpackAPIError) and e.is_order_not_found:
                del self._to_cancel[order_id]
                self.closed += 1
                return
            self.cancel_errors += 1
            entry[1] += 1
            if entry[1] >= self.MAX_CANCEL_ATTEMPTS:
                del self._to_cancel[order_id]
                self.given_up += 1
                self._logger().warning(f"Cancel of order {order_id} left by a previous run failed ({e}); gave up "
                                       f"after {entry[1]} attempts: it stays open on the exchange, untracked.")
            else:
                self._logger().warning(f"Cancel of order {order_id} left by a previous run failed ({e}); retrying "
                                       f"at the next poll (attempt {entry[1]} of {self.MAX_CANCEL_ATTEMPTS}).")
            return
        del self._to_cancel[order_id]
        self.cancelled += 1

    def snapshot(self) -> Dict[str, Any]:
        """``metrics_snapshot()["orphan_sweep"]``: ``enabled``, ``done`` (first read swept, no cancel pending) and
        the counters."""
        return {"enabled": self.enabled, "done": self.enabled and not self.pending, "found": self.found,
                "cancelled": self.cancelled, "closed": self.closed, "given_up": self.given_up,
                "cancel_errors": self.cancel_errors}
