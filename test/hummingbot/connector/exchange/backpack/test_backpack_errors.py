"""``backpack_errors``: error classification and messages, and ``error_from_response`` over any answer."""
import asyncio
import json
import unittest

import aiohttp
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from hummingbot.connector.exchange.backpack.backpack_errors import (
    BackpackAPIError,
    BackpackMalformedAnswerError,
    error_from_response,
    is_unknown_outcome,
)

from .hostile_payloads import json_values

FAST = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])


class ErrorTests(unittest.TestCase):
    def test_not_found_variants(self):
        for status, code, message, expected in [
                (404, "RESOURCE_NOT_FOUND", "Not Found", True),
                (400, "INVALID_CLIENT_REQUEST", "Order not found", True),
                (400, "INVALID_ORDER", "Order does not exist", True),
                (400, "INVALID_CLIENT_REQUEST", "Invalid signature", False),
                (500, "SERVER_ERROR", "boom", False)]:
            self.assertEqual(expected, BackpackAPIError(status, code, message).is_order_not_found, message)

    def test_parsing_of_bodies(self):
        self.assertTrue(error_from_response(400, '{"code":"INVALID_CLIENT_REQUEST","message":"Request has expired"}',
                                            "GET", "/x").is_request_expired)
        plain = error_from_response(400, "failed to parse parameter `limit`", "GET", "/x")
        self.assertEqual(("", "failed to parse parameter `limit`"), (plain.code, plain.message))
        self.assertTrue(error_from_response(503, "", "POST", "/api/v1/order").is_unknown_outcome)
        self.assertTrue(error_from_response(400, '{"code":"TIMEOUT","message":"t"}', "POST", "/o").is_unknown_outcome)

    def test_unknown_outcome_errors(self):
        for error in (BackpackAPIError(503, "", ""), BackpackAPIError(400, "TIMEOUT", "t"),
                      BackpackMalformedAnswerError(200, "", "<html>"), asyncio.TimeoutError(),
                      aiohttp.ServerDisconnectedError()):
            self.assertTrue(is_unknown_outcome(error), repr(error))
        for error in (BackpackAPIError(400, "INVALID_ORDER", "x"), BackpackAPIError(429, "", ""), ValueError("x"),
                      aiohttp.ClientConnectorError.__new__(aiohttp.ClientConnectorError)):
            self.assertFalse(is_unknown_outcome(error), repr(error))


@FAST
@given(status=st.integers(100, 599), body=st.one_of(st.text(max_size=400), json_values.map(
    json.dumps)))
def test_error_from_any_answer_is_a_clear_api_error(status, body):
    error = error_from_response(status, body, "POST", "/api/v1/order")
    assert isinstance(error, BackpackAPIError) and error.status == status
    text = str(error)
    assert str(status) in text and "/api/v1/order" in text and len(text) < 1200
    error.is_order_not_found, error.is_request_expired, error.is_unknown_outcome, error.is_post_only_rejection


@pytest.mark.parametrize("status, body, fragments", [
    (401, '{"code": "UNAUTHORIZED", "message": "Invalid X-API-Key"}',
     ("HTTP 401", "refused the API credentials", "check the API key and secret", "Invalid X-API-Key")),
    (403, "", ("HTTP 403", "refused the API credentials")),
    (429, '{"code": "TOO_MANY_REQUESTS", "message": ""}', ("HTTP 429", "rate limit", "not executed")),
    (451, "", ("HTTP 451", "region")),
    (400, '{"code": "INVALID_CLIENT_REQUEST", "message": "Request has expired"}',
     ("HTTP status is 400", "Request has expired", "system clock")),
])
def test_error_answers_read_clearly(status, body, fragments):
    """401/403, 429, 451 and an expired window say what happened and what to do (the 401 one was the generic
    "HTTP status is 401" text, the expired one did not mention the clock)."""
    text = str(error_from_response(status, body, "POST", "/api/v1/order"))
    for fragment in fragments:
        assert fragment in text, (fragment, text)
    assert "/api/v1/order" in text
