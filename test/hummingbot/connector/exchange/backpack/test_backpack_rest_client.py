"""``BackpackRestClient`` alone (fake REST assistant and clock), then through the exchange (aioresponses)."""
import asyncio
import json
import logging
from decimal import Decimal
from test.isolated_asyncio_wrapper_test_case import IsolatedAsyncioWrapperTestCase
from typing import List, Tuple
from unittest.mock import patch

from aioresponses import CallbackResult, aioresponses

from hummingbot.connector.exchange.backpack import backpack_constants as CONSTANTS
from hummingbot.connector.exchange.backpack.backpack_errors import (
    BackpackAPIError,
    BackpackCredentialsMissingError,
    BackpackMalformedAnswerError,
    BackpackRateLimitError,
    BackpackRegionBlockedError,
)
from hummingbot.connector.exchange.backpack.backpack_rest_client import BackpackRestClient
from hummingbot.core.web_assistant.connections.data_types import RESTMethod

from .exchange_test_support import ExchangeTestCase, error_body, url

TOO_MANY = error_body("TOO_MANY_REQUESTS", "Too many requests")
EXPIRED = error_body("INVALID_CLIENT_REQUEST", "Request has expired")


class FakeResponse:
    def __init__(self, status: int, body: str):
        self.status = status
        self._body = body

    async def text(self) -> str:
        return self._body


class FakeAssistant:
    """Answers requests from a list of ``(status, body)``; records each request's kwargs."""

    def __init__(self, answers: List[Tuple[int, str]]):
        self.answers = list(answers)
        self.requests: List[dict] = []

    async def execute_request_and_get_response(self, url: str, throttler_limit_id: str, **kwargs):
        self.requests.append(dict(kwargs, url=url, throttler_limit_id=throttler_limit_id))
        status, body = self.answers.pop(0)
        return FakeResponse(status, body)


class RestClientAloneTests(IsolatedAsyncioWrapperTestCase):
    def setUp(self):
        super().setUp()
        self.now = 1000.0
        self.resyncs = 0
        self.credentials = True
        self.assistant = FakeAssistant([])
        self.log_records: List[logging.LogRecord] = []
        self.log = logging.getLogger("test_backpack_rest_client")
        self.log.setLevel(1)
        self.log.addHandler(self)
        self.client = BackpackRestClient(get_rest_assistant=self._assistant, url_for=self._url_for,
                                         has_credentials=lambda: self.credentials, resync_clock=self._resync,
                                         logger=lambda: self.log, clock=lambda: self.now)

    def tearDown(self):
        self.log.removeHandler(self)
        super().tearDown()

    level = 0

    def handle(self, record):
        self.log_records.append(record)

    async def _assistant(self):
        return self.assistant

    async def _url_for(self, path: str, is_auth: bool) -> str:
        return f"https://host{path}" + ("#auth" if is_auth else "")

    async def _resync(self):
        self.resyncs += 1

    def answer(self, *answers: Tuple[int, str]) -> None:
        self.assistant.answers.extend(answers)

    async def test_json_answer_and_request_shape(self):
        self.answer((200, '{"a": 1}'))
        status, payload = await self.client.call("/api/v1/account", method=RESTMethod.POST, data={"x": 1},
                                                 is_auth_required=True, params={"p": 2})
        self.assertEqual((200, {"a": 1}), (status, payload))
        request = self.assistant.requests[0]
        self.assertEqual("https://host/api/v1/account#auth", request["url"])
        self.assertEqual("/api/v1/account", request["throttler_limit_id"])
        self.assertEqual((RESTMethod.POST, {"x": 1}, {"p": 2}, True, True),
                         (request["method"], request["data"], request["params"], request["is_auth_required"],
                          request["return_err"]))
        self.assertEqual(1, self.client.counters.requests)

    async def test_overwrite_url_and_limit_id(self):
        self.answer((200, "[]"))
        await self.client.call("/api/v1/depth", overwrite_url="https://other/x", limit_id="LIMIT")
        self.assertEqual(("https://other/x", "LIMIT"), (self.assistant.requests[0]["url"],
                                                        self.assistant.requests[0]["throttler_limit_id"]))

    async def test_empty_body_is_none(self):
        self.answer((202, ""), (200, "  "))
        self.assertEqual((202, None), await self.client.call("/api/v1/order", method=RESTMethod.DELETE))
        self.assertEqual((200, None), await self.client.call("/api/v1/order"))

    async def test_a_2xx_body_that_is_not_json_is_a_malformed_answer(self):
        self.answer((200, '{"id": "7", "sta'))
        with self.assertRaises(BackpackMalformedAnswerError) as ctx:
            await self.client.call("/api/v1/order", method=RESTMethod.POST)
        self.assertTrue(ctx.exception.is_unknown_outcome)

    async def test_private_route_without_credentials_sends_nothing(self):
        self.credentials = False
        with self.assertRaises(BackpackCredentialsMissingError):
            await self.client.call("/api/v1/capital", is_auth_required=True)
        self.assertEqual([], self.assistant.requests)
        self.answer((200, "{}"))
        self.assertEqual((200, {}), await self.client.call("/api/v1/status"))  # public routes still work

    async def test_429_starts_a_polling_pause_and_success_resets_its_length(self):
        self.answer((429, TOO_MANY))
        with self.assertRaises(BackpackRateLimitError):
            await self.client.call("/api/v1/capital")
        self.assertEqual(CONSTANTS.RATE_LIMIT_BACKOFF_INITIAL_S, self.client.backoff_s)
        self.assertEqual(CONSTANTS.RATE_LIMIT_BACKOFF_INITIAL_S, self.client.backoff_remaining_s())
        self.assertEqual(1, self.client.counters.rate_limited)
        self.assertTrue(any("pausing REST polling for 1.0 s" in r.getMessage() for r in self.log_records))
        self.now += 5  # the pause is over
        self.answer((200, "{}"))
        await self.client.call("/api/v1/ticker")
        self.assertEqual(0.0, self.client.backoff_s)

    async def test_429s_during_a_pause_do_not_escalate_and_later_ones_double_up_to_the_cap(self):
        self.client.start_backoff("/a")
        self.client.start_backoff("/a")  # same burst
        self.assertEqual(CONSTANTS.RATE_LIMIT_BACKOFF_INITIAL_S, self.client.backoff_s)
        lengths = []
        for _ in range(8):
            self.now = self.client.backoff_until  # each pause over
            self.client.start_backoff("/a")
            lengths.append(self.client.backoff_s)
        self.assertEqual([2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 30.0, 30.0], lengths)

    async def test_order_actions_skip_the_pause_and_have_their_own_throttler_ids(self):
        """Issue 17: a cancel or a placement never waits for the 429 pause (polling does) and is throttled under its
        own id, so polling cannot use up the pool it needs."""
        self.client.backoff_until = self.now + 30
        self.answer((200, "{}"), (200, "{}"), (200, "{}"), (200, "[]"))
        with patch("hummingbot.connector.exchange.backpack.backpack_rest_client.asyncio.sleep") as sleep:
            await self.client.call(CONSTANTS.ORDER_PATH_URL, method=RESTMethod.DELETE)
            await self.client.call(CONSTANTS.ORDERS_PATH_URL, method=RESTMethod.DELETE)
            await self.client.call(CONSTANTS.ORDER_PATH_URL, method=RESTMethod.POST)
            await self.client.call(CONSTANTS.ORDERS_PATH_URL, method=RESTMethod.POST)
        sleep.assert_not_awaited()
        self.assertEqual([CONSTANTS.ORDER_CANCEL_LIMIT_ID] * 2 + [CONSTANTS.ORDER_PLACE_LIMIT_ID] * 2,
                         [r["throttler_limit_id"] for r in self.assistant.requests])
        limits = {limit.limit_id: limit for limit in CONSTANTS.RATE_LIMITS}
        pools = {limit_id: {link.limit_id for link in limits[limit_id].linked_limits}
                 for limit_id in (CONSTANTS.ORDER_CANCEL_LIMIT_ID, CONSTANTS.ORDER_PLACE_LIMIT_ID,
                                  CONSTANTS.ORDER_PATH_URL, CONSTANTS.FILL_HISTORY_PATH_URL)}
        self.assertEqual({CONSTANTS.GLOBAL_POOL}, pools[CONSTANTS.ORDER_CANCEL_LIMIT_ID])
        self.assertEqual({CONSTANTS.GLOBAL_POOL, CONSTANTS.NON_CANCEL_POOL}, pools[CONSTANTS.ORDER_PLACE_LIMIT_ID])
        self.assertIn(CONSTANTS.POLLING_POOL, pools[CONSTANTS.ORDER_PATH_URL])
        self.assertIn(CONSTANTS.HISTORICAL_POOL, pools[CONSTANTS.FILL_HISTORY_PATH_URL])  # U2: 30/min either way
        self.assertLess(limits[CONSTANTS.POLLING_POOL].limit, limits[CONSTANTS.NON_CANCEL_POOL].limit)
        self.assertLess(limits[CONSTANTS.NON_CANCEL_POOL].limit, limits[CONSTANTS.GLOBAL_POOL].limit)

    async def test_requests_wait_for_the_pause(self):
        self.client.backoff_until = self.now + 0.05
        self.answer((200, "{}"))
        with patch("hummingbot.connector.exchange.backpack.backpack_rest_client.asyncio.sleep") as sleep:
            await self.client.call("/api/v1/status")
        sleep.assert_awaited_once()
        self.assertAlmostEqual(0.05, sleep.await_args.args[0])

    async def test_451_raises_and_is_logged_once_a_minute(self):
        self.answer((451, ""), (451, ""))
        for _ in range(2):
            with self.assertRaises(BackpackRegionBlockedError):
                await self.client.call("/api/v1/capital")
        self.assertEqual(1, sum(r.levelname == "ERROR" for r in self.log_records))
        self.assertEqual(2, self.client.counters.region_blocked)

    async def test_expired_window_resyncs_the_clock_and_retries_once(self):
        self.answer((400, EXPIRED), (200, '{"ok": true}'))
        self.assertEqual((200, {"ok": True}), await self.client.call("/api/v1/account"))
        self.assertEqual(1, self.resyncs)
        self.answer((400, EXPIRED), (400, EXPIRED))
        with self.assertRaises(BackpackAPIError) as ctx:
            await self.client.call("/api/v1/account")
        self.assertTrue(ctx.exception.is_request_expired)
        self.assertEqual(2, self.resyncs)
        self.assertEqual(4, len(self.assistant.requests))

    async def test_other_errors_raise_without_retry(self):
        self.answer((503, ""))
        with self.assertRaises(BackpackAPIError) as ctx:
            await self.client.call("/api/v1/order", method=RESTMethod.POST)
        self.assertEqual(503, ctx.exception.status)
        self.assertEqual((1, 1), (len(self.assistant.requests), self.client.counters.server_errors))


class RestClientThroughExchangeTests(ExchangeTestCase):
    async def test_429_backs_off_and_is_counted(self):
        with aioresponses() as mock_api:
            mock_api.get(url(CONSTANTS.ACCOUNT_PATH_URL), status=429, body=error_body("TOO_MANY_REQUESTS", "slow"))
            with self.assertRaises(BackpackRateLimitError):
                await self.exchange._update_trading_fees()
        self.assertTrue(self.logged("WARNING", "Backpack rate limit hit (HTTP 429"))
        self.assertGreater(self.exchange._rest.backoff_remaining_s(), 0)
        snapshot = self.exchange.metrics_snapshot()
        self.assertEqual(1, snapshot["rest"]["rate_limited_429"])
        self.assertGreater(snapshot["rate_limit_backoff_s"], 0)
        self.assertIn("rate-limit backoff active", " ".join(self.exchange.health().reasons))
        # the next request waits for the backoff to end
        self.exchange._rest.backoff_until = 0.0
        self.exchange._rest.backoff_s = 4.0
        with aioresponses() as mock_api:
            mock_api.get(url(CONSTANTS.ACCOUNT_PATH_URL), status=429, body="")
            with self.assertRaises(BackpackRateLimitError):
                await self.exchange._update_trading_fees()
        self.assertEqual(8.0, self.exchange._rest.backoff_s)  # doubling

    async def test_451_says_region_plainly(self):
        with aioresponses() as mock_api:
            mock_api.get(url(CONSTANTS.ACCOUNT_PATH_URL), status=451, body="")
            with self.assertRaises(BackpackRegionBlockedError) as ctx:
                await self.exchange._update_trading_fees()
        self.assertTrue(str(ctx.exception).startswith("Backpack refused the request from this region (HTTP 451)"))
        self.assertTrue(self.logged("ERROR", "Backpack refused the request from this region (HTTP 451)"))
        health = self.exchange.health()
        self.assertEqual("down", health.status)

    async def test_expired_request_resyncs_clock_and_retries_once(self):
        with aioresponses() as mock_api, patch.object(self.exchange, "_update_time_synchronizer") as resync:
            mock_api.get(url(CONSTANTS.ACCOUNT_PATH_URL), status=400, body=EXPIRED)
            mock_api.get(url(CONSTANTS.ACCOUNT_PATH_URL), body=json.dumps({"spotMakerFee": "1", "spotTakerFee": "2"}))
            await self.exchange._update_trading_fees()
        resync.assert_awaited_once()
        self.assertEqual(Decimal("0.0001"), self.exchange._fees.maker)

    async def test_window_still_expired_after_the_clock_resync_is_a_clear_error(self):
        async def no_resync():
            return None
        self.exchange._update_time_synchronizer = no_resync
        with aioresponses() as mock_api:
            for _ in range(2):
                mock_api.get(url(CONSTANTS.ACCOUNT_PATH_URL), status=400, body=EXPIRED)
            with self.assertRaises(BackpackAPIError) as ctx:
                await self.exchange._update_trading_fees()
        text = str(ctx.exception)
        self.assertIn("Request has expired", text)
        self.assertIn("clock", text)
        self.assertTrue(ctx.exception.is_request_expired)

    async def test_a_burst_of_concurrent_429s_pauses_once_not_once_per_answer(self):
        """Regression (``make chaos``): five requests in flight answered 429 together doubled the REST pause once
        per answer, 1 → 30 s after five. A 429 arriving while a pause runs answers the same burst; it pauses once."""
        arrived, all_sent = [], asyncio.Event()

        async def answer_once_all_five_are_in_flight(*_, **__):
            arrived.append(1)
            if len(arrived) == 5:
                all_sent.set()
            await asyncio.wait_for(all_sent.wait(), 10)
            return CallbackResult(status=429, body=TOO_MANY)

        with aioresponses() as mock_api:
            mock_api.get(url(CONSTANTS.BALANCE_PATH_URL), callback=answer_once_all_five_are_in_flight, repeat=True)
            requests = [self.exchange._api_get(path_url=CONSTANTS.BALANCE_PATH_URL, is_auth_required=True)
                        for _ in range(5)]
            results = await asyncio.gather(*requests, return_exceptions=True)
        self.assertEqual(5, len([r for r in results if isinstance(r, Exception)]))
        self.assertEqual(CONSTANTS.RATE_LIMIT_BACKOFF_INITIAL_S, self.exchange._rest.backoff_s)
        self.assertLessEqual(self.exchange._rest.backoff_remaining_s(), CONSTANTS.RATE_LIMIT_BACKOFF_INITIAL_S)

    async def test_a_429_after_the_pause_ended_doubles_it(self):
        """Regression companion of the burst fix: a 429 met after the previous pause ended still doubles it."""
        self.exchange._rest.start_backoff(CONSTANTS.BALANCE_PATH_URL)
        first = self.exchange._rest.backoff_s
        self.exchange._rest.backoff_until = 0.0  # the pause is over
        self.exchange._rest.start_backoff(CONSTANTS.BALANCE_PATH_URL)
        self.assertEqual(first * 2, self.exchange._rest.backoff_s)
