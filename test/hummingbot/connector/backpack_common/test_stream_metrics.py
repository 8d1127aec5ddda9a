import json

from hummingbot.connector.backpack_common.stream_metrics import LogThrottle, StreamMetrics


class FakeClock:
    def __init__(self, now: float = 100.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_on_message_counts_per_stream_and_stamps_ages():
    clock = FakeClock()
    m = StreamMetrics("public", clock=clock)
    assert m.last_message_age_s() is None
    assert m.last_message_age_s("depth") is None
    m.on_message("depth")
    clock.now += 5
    m.on_message("depth")
    m.on_message("trade")
    clock.now += 2
    assert m.messages == {"depth": 2, "trade": 1}
    assert m.last_message_age_s() == 2
    assert m.last_message_age_s("depth") == 2
    assert m.last_message_age_s("trade") == 2
    clock.now += 3
    m.on_message("trade")
    assert m.last_message_age_s("depth") == 5
    assert m.last_message_age_s() == 0
    assert m.last_message_age_s("account.orderUpdate") is None


def test_on_dropped_counts_total_and_per_reason():
    m = StreamMetrics("public", clock=FakeClock())
    m.on_dropped("malformed")
    m.on_dropped("malformed")
    m.on_dropped("unknown_stream")
    assert m.dropped == 3
    assert m.dropped_by_reason == {"malformed": 2, "unknown_stream": 1}


def test_snapshot_is_json_able_and_complete():
    clock = FakeClock()
    m = StreamMetrics("private", clock=clock)
    m.on_message("account.orderUpdate")
    m.reconnects = 2
    m.gaps = 1
    m.resyncs = 3
    m.auth_failures = 4
    m.connected = True
    m.consecutive_failures = 5
    m.on_dropped("error_frame")
    clock.now += 1.5
    snap = json.loads(json.dumps(m.snapshot()))
    assert snap["name"] == "private"
    assert snap["messages"] == {"account.orderUpdate": 1}
    assert (snap["reconnects"], snap["gaps"], snap["resyncs"], snap["auth_failures"]) == (2, 1, 3, 4)
    assert snap["connected"] is True and snap["consecutive_failures"] == 5
    assert snap["dropped"] == 1 and snap["dropped_by_reason"] == {"error_frame": 1}
    assert snap["last_message_age_s"] == 1.5
    assert snap["last_message_age_s_per_stream"] == {"account.orderUpdate": 1.5}


def test_snapshot_is_a_copy():
    m = StreamMetrics("x", clock=FakeClock())
    m.on_message("depth")
    snap = m.snapshot()
    m.on_message("depth")
    assert snap["messages"] == {"depth": 1}


def test_log_throttle_allows_one_line_per_interval_and_counts_suppressed():
    clock = FakeClock()
    throttle = LogThrottle(interval_s=60, clock=clock)
    assert throttle.check("malformed") == 0
    assert throttle.check("malformed") is None
    assert throttle.check("malformed") is None
    assert throttle.check("other") == 0
    clock.now += 60
    assert throttle.check("malformed") == 2
    assert throttle.check("malformed") is None


def test_a_counter_counted_inline_is_the_same_count_as_on_message():
    """``counter(stream)`` is one object per kind; counting through it (the depth hot path) and through
    ``on_message`` add up in ``messages``, the ages and the snapshot."""
    clock = FakeClock()
    m = StreamMetrics("public", clock=clock)
    counter = m.counter("depth")
    assert m.counter("depth") is counter
    assert m.messages == {} and m.last_message_age_s("depth") is None
    assert m.snapshot()["last_message_age_s_per_stream"] == {}
    counter.count += 1
    counter.at = counter.clock()
    clock.now += 4
    m.on_message("depth")
    m.on_message("trade")
    clock.now += 1
    counter.count += 1
    counter.at = counter.clock()
    assert m.messages == {"depth": 3, "trade": 1}
    assert m.last_message_age_s("depth") == 0 and m.last_message_age_s("trade") == 1
    assert m.last_message_age_s() == 0
    assert m.snapshot()["last_message_age_s_per_stream"] == {"depth": 0, "trade": 1}
