"""Sequence guard of one pair's depth stream (§8.3); diffs are ``(U, u, item)`` with ``item`` opaque.

After snapshot ``L`` the first diff applied must satisfy ``U <= L+1 <= u``, then only ``U == last_u + 1``;
``u <= last_u`` is skipped. ``U > last_u + 1`` is a gap: diffs are buffered until a snapshot ``L' >= last_u``
joins the buffer, whose chain is then replayed through the same rules.
"""
from collections import deque
from typing import Any, Deque, List, NamedTuple, Optional, Tuple

#: ``DepthSync.on_diff`` outcomes.
APPLY = 0
SKIP = 1
GAP = 2        # buffered; the pair needs a new snapshot
BUFFERED = 3   # waiting for a snapshot

Diff = Tuple[int, int, Any]


def joins(first: int, last: int, snapshot_id: int) -> bool:
    """Whether diff ``(U=first, u=last)`` is the first to apply on a book at ``snapshot_id``."""
    return first <= snapshot_id + 1 <= last


class Join(NamedTuple):
    """``chain``: buffered items to emit after the snapshot; ``gap``: ``(U, u)`` that broke the chain, or None."""
    chain: List[Any]
    gap: Optional[Tuple[int, int]]


class DepthSync:
    """Sequence state of one pair; ``last_u`` is -1 before the first book, ``max_buffer`` drops the oldest diffs."""

    __slots__ = ("last_u", "synced", "joining", "buffer")

    def __init__(self, max_buffer: int) -> None:
        self.last_u = -1
        self.synced = False
        self.joining = False
        self.buffer: Deque[Diff] = deque(maxlen=max_buffer)

    def on_diff(self, first: int, last: int, item: Any) -> int:
        """``APPLY``, ``SKIP``, ``GAP`` or ``BUFFERED``; ``ValueError`` if ``first > last``."""
        if first > last:
            raise ValueError(f"U={first} > u={last}")
        if self.synced:
            book_u = self.last_u
            if first == book_u + 1 or (self.joining and joins(first, last, book_u)):
                self.last_u = last
                self.joining = False
                return APPLY
            if last <= book_u:
                return SKIP
            self.synced = False
            self.buffer.clear()
            self.buffer.append((first, last, item))
            return GAP
        self.buffer.append((first, last, item))
        return BUFFERED

    def follows(self, first: int, last: int) -> bool:
        """``on_diff``'s common ``APPLY`` without an item: True (``last_u`` advanced to ``last``) if synced and
        ``last_u + 1 == first <= last``; otherwise False and nothing changed (call ``on_diff``)."""
        if self.synced and first == self.last_u + 1 and first <= last:
            self.last_u = last
            self.joining = False
            return True
        return False

    def pause(self) -> None:
        """Buffer from now on, keeping the buffer."""
        self.synced = False

    def restart(self) -> None:
        """Buffer from now on, dropping the buffer; a snapshot must follow."""
        self.synced = False
        self.buffer.clear()

    def join(self, snapshot_id: int) -> Optional[Join]:
        """Join snapshot ``L`` to the buffer; ``None`` if ``L < last_u`` or no buffered diff joins ``L``."""
        if snapshot_id < self.last_u:
            return None
        pending: List[Diff] = []
        for diff in self.buffer:
            if diff[1] <= snapshot_id:
                pending.clear()  # everything before it is covered too
            else:
                pending.append(diff)
        buffer = self.buffer
        buffer.clear()
        if pending:
            start = next((i for i, (first, last, _) in enumerate(pending) if joins(first, last, snapshot_id)), None)
            if start is None:
                buffer.extend(pending)
                return None
            del pending[:start]  # bogus (far-future) ids
        self.last_u = snapshot_id
        self.joining = True
        self.synced = True
        chain: List[Any] = []
        for index, (first, last, item) in enumerate(pending):
            action = self.on_diff(first, last, item)
            if action == APPLY:
                chain.append(item)
            elif action == GAP:
                buffer.extend(pending[index + 1:])
                return Join(chain, (first, last))
        return Join(chain, None)

    def new_book(self, snapshot_id: int) -> Optional[Join]:
        """``join`` regardless of ``last_u``; if nothing joins (``None``) the book stays exact at ``L``."""
        self.last_u = -1
        joined = self.join(snapshot_id)
        if joined is None:
            self.last_u = snapshot_id
        return joined
