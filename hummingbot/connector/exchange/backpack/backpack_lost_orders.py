"""``LostOrdersPacer``: paces re-cancelling and re-checking lost orders (each check costs history requests, §7)."""
import time
from typing import Callable, Dict


class LostOrdersPacer:
    """Says when a lost-orders pass (``"cancel"`` or ``"status"``) is due; ``clock`` in monotonic seconds."""

    #: Minimum interval (s) between passes of one kind.
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
        self._next_check.clear()
