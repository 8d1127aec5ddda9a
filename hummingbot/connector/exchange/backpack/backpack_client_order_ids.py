"""``ClientOrderIdGenerator``: client order ids as the decimal text of a random uint32 ``clientId`` (§5.5)."""
import secrets
from collections import OrderedDict
from typing import Callable, Optional

from hummingbot.connector.exchange.backpack import backpack_constants as CONSTANTS


class ClientOrderIdGenerator:
    """Fresh ids in 1..2³²−1, never one ``is_taken`` reports nor one of the last ``RECENT_CLIENT_IDS_KEPT`` given
    (Backpack does not document rejecting duplicates, §11.16).

    :param is_taken: ``client order id → bool``, e.g. "tracked, cached or lost by the order tracker".
    :param randbelow: ``n → int in [0, n)``; ``secrets.randbelow`` by default.
    """

    #: Recently given ids remembered so none is reused soon after its order left the tracker.
    RECENT_CLIENT_IDS_KEPT = 10_000

    def __init__(self, is_taken: Callable[[str], bool], randbelow: Optional[Callable[[int], int]] = None):
        self._is_taken = is_taken
        self._randbelow = randbelow or (lambda n: secrets.randbelow(n))
        self._recent: "OrderedDict[str, None]" = OrderedDict()

    def new_id(self) -> str:
        """A fresh client order id (decimal text)."""
        recent = self._recent
        while True:
            candidate = str(self._randbelow(CONSTANTS.MAX_CLIENT_ID) + 1)
            if candidate in recent or self._is_taken(candidate):
                continue
            recent[candidate] = None
            if len(recent) > self.RECENT_CLIENT_IDS_KEPT:
                recent.popitem(last=False)
            return candidate
