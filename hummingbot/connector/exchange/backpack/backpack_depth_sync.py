"""Sequence guard of one pair's depth stream (§8.3): which diffs continue the book, when a snapshot joins them.

Pure state machine: no I/O, no asyncio, no Hummingbot types; diffs are ``(U, u, item)`` with ``item`` opaque.

- Snapshot ``L = lastUpdateId``: buffered diffs with ``u <= L`` are dropped (and any buffered before them); the
  first diff applied must join it, ``U <= L+1 <= u`` (``joins``); after that only ``U == last_u + 1`` is applied and
  a diff with ``u <= last_u`` is skipped.
- A diff with ``U > last_u + 1`` is a gap: emitting stops (the book stays exact at ``last_u``) and diffs are
  buffered until a new snapshot ``L'`` joins the buffer: ``L' >= last_u`` (not older than the book) and some
  buffered diff joins it (those before it are dropped, so no buffered diff is left with ``U > L'+1``); the
  buffered chain is then replayed through the same rules (a hole inside it is a new gap).
"""
from collections import deque
from typing import Any, Deque, List, NamedTuple, Optional, Tuple

#: ``DepthSync.on_diff`` outcomes.
APPLY = 0      # continues the book: emit it
SKIP = 1       # already in the book (duplicate, or covered by the snapshot)
GAP = 2        # does not continue the book: buffered; the pair needs a new snapshot
BUFFERED = 3   # the pair is waiting for a snapshot: buffered

Diff = Tuple[int, int, Any]


def joins(first: int, last: int, snapshot_id: int) -> bool:
    """True when the diff ``(U=first, u=last)`` is the first one to apply on a book at ``snapshot_id``."""
    return first <= snapshot_id + 1 <= last


class Join(NamedTuple):
    """A snapshot joined the buffer: ``chain`` (buffered items to emit after it, in order) and ``gap``, the
    ``(U, u)`` of a buffered diff that broke the chain (the pair is buffering again from it), else ``None``."""
    chain: List[Any]
    gap: Optional[Tuple[int, int]]


class DepthSync:
    """Sequence state of one pair (module docstring).

    :param max_buffer: diffs kept while waiting for a snapshot (oldest dropped; a join then fails and refetches).

    ``last_u``: update id of the emitted book (-1 before one); ``synced``: emitting (else buffering);
    ``joining``: the next diff may straddle ``last_u`` (``joins``); ``buffer``: ``(U, u, item)`` in arrival order.
    """

    __slots__ = ("last_u", "synced", "joining", "buffer")

    def __init__(self, max_buffer: int) -> None:
        self.last_u = -1
        self.synced = False
        self.joining = False
        self.buffer: Deque[Diff] = deque(maxlen=max_buffer)

    def on_diff(self, first: int, last: int, item: Any) -> int:
        """Classify a live diff: ``APPLY`` (``last_u`` advanced), ``SKIP``, ``GAP`` (buffered alone) or
        ``BUFFERED``.

        :raises ValueError: ``first > last``.
        """
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

    def pause(self) -> None:
        """Stop emitting and buffer from now on, keeping what is buffered (a snapshot is being fetched)."""
        self.synced = False

    def restart(self) -> None:
        """Stop emitting and drop the buffer (diffs were lost, or a periodic resync): a snapshot must follow."""
        self.synced = False
        self.buffer.clear()

    def join(self, snapshot_id: int) -> Optional[Join]:
        """Join snapshot ``L = snapshot_id`` to the buffer; on success the book is at ``L`` and the chain advances
        it. ``None`` when ``L < last_u`` (nothing changes) or no buffered diff joins ``L`` (the diffs it covers go)."""
        if snapshot_id < self.last_u:
            return None
        pending: List[Diff] = []
        for diff in self.buffer:
            if diff[1] <= snapshot_id:
                pending.clear()  # covered by the snapshot, and so is everything that arrived before it
            else:
                pending.append(diff)
        buffer = self.buffer
        buffer.clear()
        if pending:
            start = next((i for i, (first, last, _) in enumerate(pending) if joins(first, last, snapshot_id)), None)
            if start is None:
                buffer.extend(pending)
                return None
            del pending[:start]  # arrived before the diff that joins the snapshot: bogus (far-future) ids
        self.last_u = snapshot_id
        self.joining = True
        self.synced = True
        chain: List[Any] = []
        for index, (first, last, item) in enumerate(pending):  # replayed through the live rules
            action = self.on_diff(first, last, item)
            if action == APPLY:
                chain.append(item)
            elif action == GAP:  # the diff is buffered again; so is everything after it
                buffer.extend(pending[index + 1:])
                return Join(chain, (first, last))
        return Join(chain, None)

    def new_book(self, snapshot_id: int) -> Optional[Join]:
        """A new book is built from snapshot ``L`` whatever happens: ``join`` it regardless of ``last_u``; when it
        does not join, the book stays exact at ``L`` (``None``: a later snapshot must join the buffer)."""
        self.last_u = -1
        joined = self.join(snapshot_id)
        if joined is None:
            self.last_u = snapshot_id
        return joined
