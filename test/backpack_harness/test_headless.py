"""The runs' EventRecorder keeps every event (Hummingbot's EventLogger keeps only the last 50 of a kind)."""
from backpack_demo.headless import EventRecorder
from hummingbot.core.event.events import MarketEvent, OrderCancelledEvent
from hummingbot.core.pubsub import PubSub


def test_every_event_is_kept_in_order_past_fifty():
    source = PubSub()
    recorder = EventRecorder(source)
    for i in range(120):
        source.trigger_event(MarketEvent.OrderCancelled, OrderCancelledEvent(float(i), str(i)))
    assert recorder.count(MarketEvent.OrderCancelled) == 120
    assert [e.order_id for e in recorder.events(MarketEvent.OrderCancelled)] == [str(i) for i in range(120)]
    assert recorder.count(MarketEvent.OrderFilled, MarketEvent.OrderFailure) == 0
