"""``ClientOrderIdGenerator``: client order ids as the decimal text of a uint32 ``clientId`` (§5.5) that carries
a per-instance tag in its high bits, so bots sharing one account do not draw each other's ids; ``parse_instance_tag``
reads the ``backpack_instance_tag`` setting (a tag that stays the same across restarts)."""
import secrets
from collections import OrderedDict
from typing import Any, Callable, Optional

TAG_BITS = 12
SEQUENCE_BITS = 20
MAX_INSTANCE_TAG = (1 << TAG_BITS) - 1


def parse_instance_tag(value: Any) -> Optional[int]:
    """The ``backpack_instance_tag`` setting: an integer (or its text) in 1..4095, or None for blank (``None``,
    ``""``: a random tag each start).

    :raises ValueError: anything else, e.g. ``0``, ``4096``, ``"abc"``, ``1.5``, ``True``.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    text = value.strip() if isinstance(value, str) else value
    if isinstance(text, bool) or not isinstance(text, (int, str)) or (isinstance(text, str) and not text.isdigit()):
        raise ValueError(f"backpack_instance_tag must be an integer in 1..{MAX_INSTANCE_TAG} "
                         f"(blank: a random tag each start), got {value!r}")
    tag = int(text)
    if not 1 <= tag <= MAX_INSTANCE_TAG:
        raise ValueError(f"backpack_instance_tag must be an integer in 1..{MAX_INSTANCE_TAG} "
                         f"(blank: a random tag each start), got {value!r}")
    return tag


class ClientOrderIdGenerator:
    """Ids ``tag << 20 | n``: ``tag`` in 1..4095 (random per instance unless given), ``n`` a counter from a random
    start (mod 2²⁰); never one ``is_taken`` reports nor a recently given one (§11.16). Two instances can only give
    the same id when they drew the same tag (1 in 4095 for a pair of instances). ``stable_tag``: the tag was given
    (``backpack_instance_tag``), so it is the same in every life of this bot.

    :raises ValueError: ``instance_tag`` outside 1..4095.
    """

    RECENT_CLIENT_IDS_KEPT = 10_000

    def __init__(self, is_taken: Callable[[str], bool], randbelow: Optional[Callable[[int], int]] = None,
                 instance_tag: Optional[int] = None):
        draw = randbelow or (lambda n: secrets.randbelow(n))
        tag = draw(MAX_INSTANCE_TAG) + 1 if instance_tag is None else int(instance_tag)
        if not 1 <= tag <= MAX_INSTANCE_TAG:
            raise ValueError(f"instance tag must be in 1..{MAX_INSTANCE_TAG}, got {tag}")
        self.instance_tag = tag
        self.stable_tag = instance_tag is not None
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

    def is_ours(self, client_id: Any) -> bool:
        """``client_id`` (a payload's ``clientId``: integer or its text) is a uint32 with this instance's tag."""
        try:
            value = int(str(client_id))
        except (TypeError, ValueError):
            return False
        return 0 <= value < (1 << (TAG_BITS + SEQUENCE_BITS)) and value >> SEQUENCE_BITS == self.instance_tag
