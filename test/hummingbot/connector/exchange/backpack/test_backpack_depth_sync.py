"""``backpack_depth_sync``: rows of (state, snapshot/diff ids) → expected action and state (§8.3)."""
import random

import pytest

from hummingbot.connector.exchange.backpack.backpack_depth_sync import (
    APPLY,
    BUFFERED,
    GAP,
    SKIP,
    DepthSync,
    Join,
    joins,
)

FAR = 10 ** 15  # a corrupt, far-future id


def make(last_u=-1, synced=False, joining=False, buffered=()):
    sync = DepthSync(max_buffer=100)
    sync.last_u, sync.synced, sync.joining = last_u, synced, joining
    for first, last in buffered:
        sync.buffer.append((first, last, (first, last)))
    return sync


def ids(sync):
    return [(first, last) for first, last, _ in sync.buffer]


@pytest.mark.parametrize("first, last, snapshot_id, expected", [
    (11, 11, 10, True), (8, 12, 10, True), (11, 15, 10, True), (5, 11, 10, True),
    (12, 12, 10, False), (5, 10, 10, False), (3, 9, 10, False),
])
def test_the_join_predicate_is_u_first_le_l_plus_1_le_u_last(first, last, snapshot_id, expected):
    assert joins(first, last, snapshot_id) is expected


# (synced, joining, last_u, diff U, diff u) → (action, last_u after, synced after, joining after, buffer after)
ON_DIFF = [
    # emitting: only U == last_u + 1 continues the book
    (True, False, 10, 11, 11, APPLY, 11, True, False, []),
    (True, False, 10, 11, 15, APPLY, 15, True, False, []),
    (True, False, 10, 10, 10, SKIP, 10, True, False, []),             # duplicate
    (True, False, 10, 5, 10, SKIP, 10, True, False, []),              # already in the book
    (True, False, 10, 12, 12, GAP, 10, False, False, [(12, 12)]),     # one id lost: buffer from it
    (True, False, 10, 9, 12, GAP, 10, False, False, [(9, 12)]),       # overlaps the book after the join: a gap
    # first diff after a snapshot at 10: may straddle it
    (True, True, 10, 8, 12, APPLY, 12, True, False, []),
    (True, True, 10, 11, 11, APPLY, 11, True, False, []),
    (True, True, 10, 3, 10, SKIP, 10, True, True, []),                # covered by the snapshot: still joining
    (True, True, 10, 12, 13, GAP, 10, False, True, [(12, 13)]),
    # waiting for a snapshot: everything is buffered
    (False, False, 10, 12, 13, BUFFERED, 10, False, False, [(12, 13)]),
    (False, False, -1, 1, 1, BUFFERED, -1, False, False, [(1, 1)]),
]


@pytest.mark.parametrize("synced, joining, last_u, first, last, action, last_u_after, synced_after, joining_after, "
                         "buffer_after", ON_DIFF)
def test_on_diff(synced, joining, last_u, first, last, action, last_u_after, synced_after, joining_after,
                 buffer_after):
    sync = make(last_u, synced, joining)
    assert sync.on_diff(first, last, (first, last)) == action
    assert (sync.last_u, sync.synced, sync.joining, ids(sync)) == (last_u_after, synced_after, joining_after,
                                                                   buffer_after)


def test_a_gap_replaces_what_was_buffered_and_an_inverted_diff_is_rejected():
    sync = make(10, synced=True, buffered=[(3, 3)])
    assert sync.on_diff(13, 13, "x") == GAP and list(sync.buffer) == [(13, 13, "x")]
    with pytest.raises(ValueError):
        sync.on_diff(5, 4, "bad")
    assert list(sync.buffer) == [(13, 13, "x")]


NO_JOIN = None
# (last_u, buffered, snapshot L) → (chain u's | NO_JOIN, gap, last_u after, synced after, buffer after)
JOIN = [
    # not older than the book
    (20, [(21, 21)], 19, NO_JOIN, None, 20, False, [(21, 21)]),
    (20, [(21, 21)], 20, [21], None, 21, True, []),
    # diffs with u <= L are dropped; the first applied joins U <= L+1 <= u; then U == last_u + 1
    (-1, [], 10, [], None, 10, True, []),
    (-1, [(8, 8), (9, 9), (10, 10), (11, 11), (12, 12)], 10, [11, 12], None, 12, True, []),
    (-1, [(8, 12), (13, 13)], 10, [12, 13], None, 13, True, []),
    (-1, [(11, 11), (11, 11), (12, 12)], 10, [11, 12], None, 12, True, []),            # duplicate skipped
    # a hole between the snapshot and the buffer: fetch again (covered diffs go, the rest stays)
    (-1, [(12, 12), (13, 13)], 10, NO_JOIN, None, -1, False, [(12, 12), (13, 13)]),
    (-1, [(5, 5), (12, 12)], 10, NO_JOIN, None, -1, False, [(12, 12)]),
    # no buffered diff is left with U > L+1 before the one that joins: bogus ids are dropped
    (-1, [(FAR, FAR), (11, 11), (12, 12)], 10, [11, 12], None, 12, True, []),
    (-1, [(FAR, FAR), (9, 9), (11, 11)], 10, [11], None, 11, True, []),
    # a hole inside the buffered chain: emit up to it, buffer again from it
    (-1, [(11, 11), (12, 12), (14, 14), (15, 15)], 10, [11, 12], (14, 14), 12, False, [(14, 14), (15, 15)]),
    (-1, [(11, 12), (12, 13)], 10, [12], (12, 13), 12, False, [(12, 13)]),
]


@pytest.mark.parametrize("last_u, buffered, snapshot_id, chain, gap, last_u_after, synced_after, buffer_after", JOIN)
def test_join(last_u, buffered, snapshot_id, chain, gap, last_u_after, synced_after, buffer_after):
    sync = make(last_u, synced=False, buffered=buffered)
    joined = sync.join(snapshot_id)
    if chain is NO_JOIN:
        assert joined is None
    else:
        assert joined == Join([(first, last) for first, last in joined.chain], gap)
        assert [last for _, last in joined.chain] == chain
    assert (sync.last_u, sync.synced, ids(sync)) == (last_u_after, synced_after, buffer_after)


def test_a_join_leaves_the_next_live_diff_free_to_straddle_the_snapshot():
    sync = make(buffered=[(3, 4)])
    assert sync.join(10) == Join([], None) and sync.joining
    assert sync.on_diff(9, 11, "d") == APPLY and sync.last_u == 11 and not sync.joining


# (last_u of the old book, buffered, snapshot L) → (chain u's | NO_JOIN, last_u after, synced after)
NEW_BOOK = [
    (50, [(41, 41), (42, 42)], 40, [41, 42], 42, True),        # an older snapshot is fine for a new book
    (50, [(45, 45)], 40, NO_JOIN, 40, False),                  # the new book stays exact at L until a resync
    (-1, [], 40, [], 40, True),
]


@pytest.mark.parametrize("last_u, buffered, snapshot_id, chain, last_u_after, synced_after", NEW_BOOK)
def test_new_book(last_u, buffered, snapshot_id, chain, last_u_after, synced_after):
    sync = make(last_u, buffered=buffered)
    joined = sync.new_book(snapshot_id)
    if chain is NO_JOIN:
        assert joined is None
    else:
        assert joined is not None and [last for _, last in joined.chain] == chain
    assert (sync.last_u, sync.synced) == (last_u_after, synced_after)


def test_pause_keeps_the_buffer_restart_drops_it():
    sync = make(10, synced=True)
    sync.pause()
    assert sync.on_diff(11, 11, "a") == BUFFERED and ids(sync) == [(11, 11)]
    sync.restart()
    assert not sync.synced and ids(sync) == [] and sync.last_u == 10


def test_the_buffer_keeps_the_newest_diffs():
    sync = DepthSync(max_buffer=3)
    for i in range(1, 6):
        sync.on_diff(i, i, i)
    assert ids(sync) == [(3, 3), (4, 4), (5, 5)]


@pytest.mark.parametrize("seed", range(20))
def test_a_lossy_stream_only_ever_emits_a_contiguous_chain(seed):
    """Random losses, duplicates and snapshots: every emitted id continues the previous one."""
    rng = random.Random(seed)
    sync = DepthSync(max_buffer=50)
    exchange_u = 100
    book_u = None
    for _ in range(400):
        roll = rng.random()
        if roll < 0.1 or not sync.synced and roll < 0.3:
            joined = sync.new_book(exchange_u) if book_u is None else sync.join(exchange_u)
            if joined is None:
                continue
            book_u = exchange_u
            emitted = joined.chain
        else:
            size = rng.randint(1, 3)
            first, exchange_u = exchange_u + 1, exchange_u + size
            if rng.random() < 0.1:
                continue  # lost
            diffs = [(first, exchange_u)] * (2 if rng.random() < 0.1 else 1)  # sometimes duplicated
            emitted = [d for d in diffs if sync.on_diff(d[0], d[1], d) == APPLY]
        for first, last in emitted:
            assert book_u is not None and first <= book_u + 1 <= last
            book_u = last
        assert book_u is None or sync.last_u == book_u


@pytest.mark.parametrize("seed", range(5))
def test_follows_is_on_diff_apply_for_the_next_diff_and_changes_nothing_otherwise(seed):
    """``follows`` (no item) agrees with ``on_diff`` on every state and diff: True exactly when ``on_diff`` would
    APPLY a diff starting at ``last_u + 1``, with the same state after; False leaves the state untouched."""
    rng = random.Random(seed)
    for _ in range(2000):
        last_u = rng.randint(-1, 20)
        state = dict(last_u=last_u, synced=rng.random() < 0.7, joining=rng.random() < 0.3, buffered=[(3, 4)])
        first = last_u + rng.randint(-2, 3)
        last = first + rng.randint(-2, 3)
        fast, reference = make(**state), make(**state)
        try:
            action = reference.on_diff(first, last, "item")
        except ValueError:
            action = None
        if fast.follows(first, last):
            assert action == APPLY and first == last_u + 1
            assert (fast.last_u, fast.synced, fast.joining) == (reference.last_u, reference.synced, reference.joining)
            assert ids(fast) == ids(reference)
        else:
            assert not (action == APPLY and first == last_u + 1)
            unchanged = (last_u, state["synced"], state["joining"], [(3, 4)])
            assert (fast.last_u, fast.synced, fast.joining, ids(fast)) == unchanged
