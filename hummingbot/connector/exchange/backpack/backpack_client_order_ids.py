"""``ClientOrderIdGenerator``: client order ids as the decimal text of a uint32 ``clientId`` (§5.5) that carries
a per-instance tag in its high bits, so bots sharing one account do not draw each other's ids."""
import secrets
from collections import OrderedDict
from typing import Callable, Optional

TAG_BITS = 12
SEQUENCE_BITS = 20
MAX_INSTANCE_TAG = (1 << TAG_BITS) - 1


class ClientOrderIdGenerator:
    """Ids ``tag << 20 | n``: ``tag`` in 1..4095 (random per instance unless given), ``n`` a counter from a random
    start (mod 2²⁰); never one ``is_taken`` reports nor a recently given one (§11.16). Two instances can only give
    the same id when they drew the same tag (1 in 4095 for a pair of instances)."""

    RECENT_CLIENT_IDS_KEPT = 10_000

    def __init__(self, is_taken: Callable[[str], bool], randbelow: Optional[Callable[[int], int]] = None,
                 instance_tag: Optional[int] = None):
        draw = randbelow or (lambda n: secrets.randbelow(n))
        tag = draw(MAX_INSTANCE_TAG) + 1 if instance_tag is None else int(instance_tag)
        if not 1 <= tag <= MAX_INSTANCE_TAG:
            raise ValueError(f"instance tag must be in 1..{MAX_INSTANCE_TAG}, got {tag}")
        self.instance_tag = tag
        self._is_taken = is_taken
        self._next = draw(1 << SEQUENCE_BITS)
        self._recent: "OrderedDict[str, None]" = OrderedDict()

    def new_id(self) -> str:
        recent = self._recent
        while True:
            candidate = str((self.instance_tag << SEQUENCE_BITS) | self._next)
            self._next = (self._next + 1) % (1 << SEQUENCE_BITS)
            if candidate in recent or self._is_taken(candidate):
                continue
            recent[candidate] = None
            if len(recent) > self.RECENT_CLIENT_IDS_KEPT:
                recent.popitem(last=False)
            return candidate

    @staticmethod
    def instance_tag_of(client_id: int) -> int:
        """The instance tag of a ``clientId`` this class gave."""
        return int(client_id) >> SEQUENCE_BITS
