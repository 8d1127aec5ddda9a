"""metrics_snapshot() and health(): counters from both data sources' StreamMetrics plus REST counters."""
from unittest.mock import patch

from hummingbot.connector.backpack_common.stream_metrics import StreamMetrics
from hummingbot.connector.exchange.backpack.backpack_health import RestCounters, assess_health

from .exchange_test_support import ExchangeTestCase


class FakeClock:
    def __init__(self, now: float = 1000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


class HealthTests(ExchangeTestCase):
    def setUp(self):
        super().setUp()
        self.clock = FakeClock()
        self.public = StreamMetrics("backpack.public", clock=self.clock)
        self.private = StreamMetrics("backpack.private", clock=self.clock)
        self.public.connected = self.private.connected = True
        self.exchange._orderbook_ds.metrics = self.public
        self.exchange._user_stream_tracker.data_source.metrics = self.private
        self.exchange._rest.counters.clock = self.clock
        self.connected = patch.object(type(self.exchange), "_is_network_connected", return_value=True)
        self.connected.start()

    def tearDown(self):
        self.connected.stop()
        super().tearDown()

    def test_metrics_snapshot_combines_streams_and_rest(self):
        for _ in range(3):
            self.public.on_message("depth")
        self.public.gaps = 1
        self.public.resyncs = 1
        self.private.on_message("account.orderUpdate")
        self.private.auth_failures = 2
        self.public.on_dropped("malformed")
        self.clock.now += 4.0
        self.exchange._rest.counters.on_status(200)
        self.exchange._rest.counters.on_status(503)
        snapshot = self.exchange.metrics_snapshot()
        self.assertEqual({"depth": 3}, snapshot["public_stream"]["messages"])
        self.assertEqual((1, 1, 1), (snapshot["public_stream"]["gaps"], snapshot["public_stream"]["resyncs"],
                                     snapshot["public_stream"]["dropped"]))
        self.assertEqual(4.0, snapshot["public_stream"]["last_message_age_s_per_stream"]["depth"])
        self.assertEqual(2, snapshot["private_stream"]["auth_failures"])
        self.assertEqual({"requests": 2, "server_errors_5xx": 1},
                         {k: snapshot["rest"][k] for k in ("requests", "server_errors_5xx")})
        self.assertIn("user_stream_events", snapshot)

    def test_ok_when_connected_and_fresh(self):
        self.public.on_message("depth")
        health = self.exchange.health()
        self.assertEqual(("ok", []), (health.status, health.reasons))

    def test_degraded_when_public_stream_stale(self):
        self.public.on_message("depth")
        self.clock.now += 500
        health = self.exchange.health()
        self.assertEqual("degraded", health.status)
        self.assertIn("public stream stale", " ".join(health.reasons))

    def test_degraded_on_private_auth_failures_and_reconnects(self):
        self.private.connected = False
        self.private.auth_failures = 1
        self.private.consecutive_failures = 3
        reasons = " ".join(self.exchange.health().reasons)
        self.assertIn("private stream disconnected (3 consecutive failures)", reasons)
        self.assertIn("private stream authentication failures (1)", reasons)

    def test_down_when_network_check_fails(self):
        with patch.object(type(self.exchange), "_is_network_connected", return_value=False):
            health = self.exchange.health()
        self.assertEqual("down", health.status)

    def test_recent_errors_expire_from_the_verdict(self):
        rest = RestCounters(clock=self.clock)
        rest.on_status(500)
        kwargs = dict(network_connected=True, trading_required=True, public_stream=None, private_stream=None,
                      rest=rest, backoff_remaining_s=0.0, pending_unknown_outcome=0)
        self.assertEqual("degraded", assess_health(**kwargs).status)
        self.clock.now += 1000
        self.assertEqual("ok", assess_health(**kwargs).status)
        self.assertEqual("degraded", assess_health(**dict(kwargs, pending_unknown_outcome=1)).status)
