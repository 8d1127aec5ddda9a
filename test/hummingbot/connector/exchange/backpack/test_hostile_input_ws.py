"""Hostile input, WebSocket side: generated and mutated frames (truncated JSON, binary garbage, wrong stream names,
dropped keys, wrong types, huge/NaN/Infinity numbers, bogus sequence ids) pushed through the *running* loops —
the public data source with Hummingbot's real ``OrderBookTracker``, the private data source feeding the exchange's
``_user_stream_event_listener`` — over the in-process fake socket of ``stream_fakes``.

Checked: no exception escapes a loop (the socket is never replaced, nothing reconnects), every frame is counted
exactly once (as a message or in ``dropped_by_reason``; private messages as processed / malformed / ignored /
unknown order), and the loop keeps working: after the bad frames, good frames bring the tracker's book back to the
exchange's book and a good order event moves its order.
"""
import asyncio
import json
import random
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from hummingbot.connector.exchange.backpack import backpack_constants as CONSTANTS
from hummingbot.connector.exchange.backpack.backpack_api_user_stream_data_source import (
    BackpackAPIUserStreamDataSource,
)
from hummingbot.connector.exchange.backpack.backpack_order_book import diff_message
from hummingbot.core.data_type.in_flight_order import OrderState
from test.hummingbot.connector.backpack_common.manual_clock import ManualClock
from test.hummingbot.connector.exchange.backpack.stream_fakes import (
    FakeConnector,
    FakeExchangeBook,
    FakeFactory,
    book_levels,
    wait_for,
)
from test.hummingbot.connector.exchange.backpack.test_backpack_api_order_book_data_source import (
    PAIR,
    make_source,
    serve,
    started_tracker,
    stop,
)

from .exchange_test_support import ExchangeTestCase, official_vectors
from .hostile_payloads import json_values, junk, mutated, wire_text

LOOP_SETTINGS = settings(max_examples=40, deadline=None,
                         suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
NEXT = "<next id>"  # placeholder replaced by the next real update id when the frame is pushed

DEPTH_FRAME = {"stream": "depth.SOL_USDC", "data": {
    "e": "depth", "E": 1694687965941000, "s": "SOL_USDC", "a": [["100.05", "0.000"], ["100.07", "1.500"]],
    "b": [["99.97", "0.832"]], "U": NEXT, "u": NEXT, "T": 1694687965940999}}
TRADE_FRAME = {"stream": "trade.SOL_USDC", "data": {
    "e": "trade", "E": 1694688638091000, "s": "SOL_USDC", "p": "100.01", "q": "0.122", "b": "111063114377265150",
    "a": "111063114585735170", "t": 12345, "T": 1694688638089000, "m": True}}
WRONG_STREAMS = ["depth.ETH_USDC", "depth.", "depth.SOL_USDC.x", "depth", "DEPTH.SOL_USDC", "depth.200ms.SOL_USDC",
                 "trade.SOL-USDC", "bookTicker.SOL_USDC", "", " ", "account.orderUpdate", None, 5, ["depth.SOL_USDC"]]

public_frames = st.one_of(
    mutated(DEPTH_FRAME), mutated(DEPTH_FRAME), mutated(TRADE_FRAME), json_values,
    st.builds(lambda stream, data: {"stream": stream, "data": data}, st.sampled_from(WRONG_STREAMS),
              st.sampled_from([DEPTH_FRAME["data"], TRADE_FRAME["data"]])),
    st.builds(lambda data: {"stream": "depth.SOL_USDC", "data": data},
              st.fixed_dictionaries({"U": st.integers(-5, 10 ** 15) | junk, "u": st.integers(-5, 10 ** 15) | junk,
                                     "a": st.just([]), "b": st.just([]), "T": st.just(1)})),
)


def _resolve(frame, next_id: int):
    """Replace the NEXT placeholders (wherever mutations left them) with the next real update id."""
    if isinstance(frame, dict):
        return {k: _resolve(v, next_id) for k, v in frame.items()}
    if isinstance(frame, list):
        return [_resolve(v, next_id) for v in frame]
    return next_id if frame == NEXT else frame


def _valid_but_wrong(frame, next_id: int) -> bool:
    """A well-formed diff of our stream that would be applied in sequence: indistinguishable from a real one, so
    no connector can reject it; such frames are not pushed (everything else is)."""
    if not (isinstance(frame, dict) and frame.get("stream") == "depth.SOL_USDC" and isinstance(frame.get("data"),
                                                                                                 dict)):
        return False
    try:
        message = diff_message(frame["data"], PAIR)
    except Exception:
        return False
    return message.first_update_id <= next_id <= message.update_id


@LOOP_SETTINGS
@given(plan=st.lists(st.tuples(public_frames, st.integers(0, 9), st.integers(0, 10 ** 6)), min_size=1, max_size=6))
def test_public_loop_counts_hostile_frames_and_the_book_heals(plan):
    async def run():
        ds, factory, _ = make_source()
        ds.RESYNC_RETRY_DELAY_S = 0.001
        ex = FakeExchangeBook(seed=5)
        serve(factory, ex)
        tracker = await started_tracker(ds)
        try:
            await wait_for(lambda: factory.sockets and PAIR in tracker.order_books)
            ws = factory.sockets[0]
            pushed = 0
            for frame, how, cut in plan:
                frame = _resolve(frame, ex.update_id + 1)
                if _valid_but_wrong(frame, ex.update_id + 1):
                    continue
                text = json.dumps(frame)
                if how == 0 and len(text) > 1:
                    text = text[:1 + cut % (len(text) - 1)]           # truncated JSON
                elif how == 1:
                    text = random.Random(cut).randbytes(1 + cut % 40).decode("latin-1")   # binary garbage
                ws.push_raw(text)
                pushed += 1
                if how == 2:
                    ws.push(ex.step())                                  # interleave a real frame
                    pushed += 1
            for _ in range(10):
                ws.push(ex.step())
            pushed += 10
            await wait_for(lambda: sum(ds.metrics.messages.values()) + ds.metrics.dropped == pushed,
                           message="every frame is counted once")
            await wait_for(lambda: book_levels(tracker.order_books[PAIR]) == ex.expected(),
                           message="the book heals after hostile frames")
            assert sum(ds.metrics.dropped_by_reason.values()) == ds.metrics.dropped
            assert len(factory.sockets) == 1 and ds.metrics.reconnects == 0 and ws.connected
        finally:
            await stop(tracker)
    asyncio.run(run())


@pytest.mark.asyncio
async def test_a_bogus_future_sequence_id_does_not_freeze_the_book():
    """Regression: one frame with a far-future ``U`` (a corrupt id) is a gap; it was then kept at the head of the
    resync buffer, where it made every snapshot look like it had a hole after it, so the book stayed frozen until
    5000 further diffs pushed it out of the buffer. Now the join starts at the buffered diff that continues the
    snapshot."""
    ds, factory, _ = make_source()
    ds.RESYNC_RETRY_DELAY_S = 0.001
    ex = FakeExchangeBook(seed=6)
    serve(factory, ex)
    tracker = await started_tracker(ds)
    try:
        await wait_for(lambda: factory.sockets and PAIR in tracker.order_books)
        ws = factory.sockets[0]
        ws.push({"stream": "depth.SOL_USDC", "data": dict(DEPTH_FRAME["data"], U=10 ** 15, u=10 ** 15)})
        for _ in range(20):
            ws.push(ex.step())
        await wait_for(lambda: book_levels(tracker.order_books[PAIR]) == ex.expected(), timeout=10,
                       message="book frozen behind a bogus sequence id")
        assert ds.metrics.gaps >= 1 and ds.metrics.resyncs >= 1
    finally:
        await stop(tracker)


# ------------------------------------------------------------------------------------------------ private
ORDER_ID, OTHER_ID = "42", "31337"
ORDER_EVENTS = [dict(v, c=int(ORDER_ID)) for v in official_vectors("test_order_update")] + [
    {"e": "orderFill", "E": 1754939110175879, "s": "SOL_USDC", "c": int(ORDER_ID), "S": "Bid", "o": "LIMIT",
     "f": "GTC", "q": "1", "p": "150", "X": "PartiallyFilled", "i": "e42", "t": 2888471, "l": "0.25", "L": "150",
     "m": True, "n": "0.01", "N": "USDC", "z": "0.25", "Z": "37.5", "V": "RejectTaker", "T": 1754939110174705,
     "O": "USER"}]
BALANCE_EVENT = {"e": "balanceUpdate", "E": 1754939110175879, "a": "USDC", "A": "100.5", "L": "3", "S": "0"}
private_frames = st.one_of(
    st.sampled_from(ORDER_EVENTS).flatmap(lambda e: mutated({"stream": "account.orderUpdate", "data": e})),
    st.sampled_from(ORDER_EVENTS).flatmap(lambda e: mutated(e)).map(
        lambda data: {"stream": "account.orderUpdate", "data": data}),
    mutated({"stream": "account.balanceUpdate", "data": BALANCE_EVENT}),
    st.builds(lambda stream, data: {"stream": stream, "data": data},
              st.sampled_from(["account.orderUpdate.SOL_USDC", "account.orderUpdateX", "account.positionUpdate",
                               "account.balanceUpdate.x", "depth.SOL_USDC", "", None, 7]),
              st.sampled_from(ORDER_EVENTS)),
    json_values,
)


def _is_error_frame(frame) -> bool:
    return isinstance(frame, dict) and frame.get("stream") is None and frame.get("error") is not None


class PrivateLoopTests(ExchangeTestCase):
    """The private data source loop (fake socket) feeding the exchange's real user-stream listener."""

    def test_private_loop_counts_hostile_frames_and_keeps_processing(self):
        @LOOP_SETTINGS
        @given(plan=st.lists(st.tuples(st.one_of(private_frames, wire_text(private_frames)), st.booleans()),
                             min_size=1, max_size=6))
        def check(plan):
            self.run_async_with_timeout(self._private_loop(plan), timeout=30)
        check()

    async def _private_loop(self, plan):
        exchange = self.exchange
        for client_order_id in list(exchange.in_flight_orders):
            exchange.stop_tracking_order(client_order_id)
        exchange._order_tracker._cached_orders.clear()  # ids are reused across examples; a cached order would win
        exchange._order_tracker._lost_orders.clear()
        mine = self.track(client_order_id=ORDER_ID, exchange_order_id="e42", amount="1", price="150")
        other = self.track(client_order_id=OTHER_ID, exchange_order_id="e31337", amount="1", price="150")
        counters = exchange._user_event_counters
        for key in counters:
            counters[key] = 0
        clock = ManualClock()
        factory = FakeFactory()
        ds = BackpackAPIUserStreamDataSource(exchange._auth, [self.pair], FakeConnector(), factory)
        ds.configure_time(clock=clock, sleep=clock.sleep, rng=random.Random(1))
        queue: asyncio.Queue = asyncio.Queue()
        exchange._user_stream_tracker._user_stream = queue
        reader = asyncio.ensure_future(ds.listen_for_user_stream(queue))
        listener = asyncio.ensure_future(exchange._user_stream_event_listener())
        try:
            await wait_for(lambda: factory.sockets and ds.metrics.connected)
            ws = factory.sockets[0]
            pushed = 0
            for frame, as_text in plan:
                if isinstance(frame, str) and not as_text:
                    ws.push_raw(frame)
                else:
                    if _is_error_frame(frame):
                        continue  # ends the connection by design (auth failure): covered by the data source tests
                    ws.push_raw(frame if isinstance(frame, str) else json.dumps(frame))
                pushed += 1
            good = {"stream": "account.orderUpdate", "data": dict(ORDER_EVENTS[1], c=int(OTHER_ID), i="e31337")}
            ws.push(good)
            pushed += 1
            await wait_for(lambda: other.current_state is OrderState.OPEN, message="good event not applied")
            forwarded = sum(ds.metrics.messages.values())
            assert forwarded + ds.metrics.dropped == pushed
            # every forwarded message is accounted for by the exchange: processed, malformed or ignored
            await wait_for(lambda: queue.empty())
            assert counters["processed"] + counters["malformed"] + counters["ignored"] >= forwarded
            assert len(factory.sockets) == 1 and ds.metrics.reconnects == 0
            assert not reader.done() and not listener.done()
            for order in (mine, other):
                assert order.executed_amount_base >= 0 and order.executed_amount_base.is_finite()
        finally:
            reader.cancel()
            listener.cancel()
            await asyncio.gather(reader, listener, return_exceptions=True)


class UserStreamMessageTests(ExchangeTestCase):
    """``_process_user_stream_message`` straight (the listener's body): an exception is counted as malformed by the
    listener, so what matters here is that nothing *wrong* is applied to the tracked order."""

    def test_mutated_fills_never_apply_non_positive_or_non_finite_amounts(self):
        order = self.track(client_order_id=ORDER_ID, exchange_order_id="e42", amount="1", price="150")

        @settings(max_examples=150, deadline=None)
        @given(data=mutated(ORDER_EVENTS[3]))
        def check(data):
            before = order.executed_amount_base
            try:
                self.exchange._process_user_stream_message({"stream": "account.orderUpdate", "data": data})
            except Exception:
                pass
            after = order.executed_amount_base
            assert after.is_finite() and after >= before
            assert order.cumulative_fee_paid(token="USDC").is_finite()
            for trade in order.order_fills.values():
                assert trade.fill_base_amount > 0 and trade.fill_price > 0
        check()
        self.assertLessEqual(order.executed_amount_base, Decimal("1000000"))
