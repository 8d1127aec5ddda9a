"""``LostOrdersPacer``: how often lost orders (FAILED after repeated "not found", maybe alive) are re-cancelled and
re-checked; each check costs ``/wapi/v1/history/*`` requests (§7)."""
import time
from typing import Callable, Dict


class LostOrdersPacer:
    """Says when a lost-orders pass (``"cancel"`` or ``"status"``) is due.

    :param has_lost_orders: ``() → bool``.
    :param clock: monotonic seconds.
    """

    #: Lost orders are re-cancelled and re-checked at most this often (s); Hummingbot's loop asks every 5 s.
    LOST_ORDERS_CHECK_INTERVAL_S = 30.0

    def __init__(self, has_lost_orders: Callable[[], bool], clock: Callable[[], float] = time.monotonic):
        self._has_lost_orders = has_lost_orders
        self._clock = clock
        self._next_check: Dict[str, float] = {}

    def due(self, what: str) -> bool:
        """True at most once per ``LOST_ORDERS_CHECK_INTERVAL_S`` for ``what``, and only with lost orders."""
        now = self._clock()
        if not self._has_lost_orders() or now < self._next_check.get(what, 0.0):
            return False
        self._next_check[what] = now + self.LOST_ORDERS_CHECK_INTERVAL_S
        return True

    def reset(self) -> None:
        """Make the next pass of every kind due at once."""
        self._next_check.clear()
