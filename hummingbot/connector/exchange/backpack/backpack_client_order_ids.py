"""``ClientOrderIdGenerator``: client order ids as the decimal text of a random uint32 ``clientId`` (§5.5)."""
import secrets
from collections import OrderedDict
from typing import Callable, Optional

from hummingbot.connector.exchange.backpack import backpack_constants as CONSTANTS


class ClientOrderIdGenerator:
    """Ids in 1..2³²−1, never one ``is_taken`` reports nor a recently given one (§11.16)."""

    RECENT_CLIENT_IDS_KEPT = 10_000

    def __init__(self, is_taken: Callable[[str], bool], randbelow: Optional[Callable[[int], int]] = None):
        self._is_taken = is_taken
        self._randbelow = randbelow or (lambda n: secrets.randbelow(n))
        self._recent: "OrderedDict[str, None]" = OrderedDict()

    def new_id(self) -> str:
        recent = self._recent
        while True:
            candidate = str(self._randbelow(CONSTANTS.MAX_CLIENT_ID) + 1)
            if candidate in recent or self._is_taken(candidate):
                continue
            recent[candidate] = None
            if len(recent) > self.RECENT_CLIENT_IDS_KEPT:
                recent.popitem(last=False)
            return candidate
