"""``HistoryLagGrace``: how long an acknowledged order may be missing from both the open set (§5.9) and the order
history (§5.11) before it counts as "not found" (U3: how soon a closed order reaches history is undocumented)."""
import time
from typing import Callable, Dict


class HistoryLagGrace:
    """Per client order id, the monotonic time of the first "neither open nor in history" answer.

    ``missing`` is True while that answer is younger than ``GRACE_S``; ``found`` forgets the order.
    """

    #: Seconds an order may be missing from history after leaving the open set.
    GRACE_S = 60.0

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self._clock = clock
        self.first_missing: Dict[str, float] = {}

    def missing(self, client_order_id: str) -> bool:
        """Record a miss; True while within the grace period of the first one."""
        now = self._clock()
        first = self.first_missing.setdefault(client_order_id, now)
        return now - first < self.GRACE_S

    def found(self, client_order_id: str) -> None:
        self.first_missing.pop(client_order_id, None)
