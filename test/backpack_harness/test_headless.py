"""The harness's headless pieces: event recording, rate source, key pair, logging, waits and totals."""
import asyncio
import base64
import logging
import time
from decimal import Decimal
from types import SimpleNamespace

import pytest
from nacl.signing import SigningKey

from backpack_harness import headless
from backpack_harness.headless import (
    ConnectorRateSource,
    EventRecorder,
    account_key_pair,
    configure_logging,
    isolate_hummingbot_data_dir,
    new_key_pair,
    totals,
    wait_for,
)
from hummingbot.core.event.events import MarketEvent, OrderCancelledEvent
from hummingbot.core.pubsub import PubSub


def test_every_event_is_kept_in_order_past_fifty():
    """Hummingbot's ``EventLogger`` keeps only the last 50 events of a kind: a chaos run of several minutes lost its
    early fills and orders from the reconciliation until the runs recorded every event themselves."""
    source = PubSub()
    recorder = EventRecorder(source)
    for i in range(120):
        source.trigger_event(MarketEvent.OrderCancelled, OrderCancelledEvent(float(i), str(i)))
    assert recorder.count(MarketEvent.OrderCancelled) == 120
    assert [e.order_id for e in recorder.events(MarketEvent.OrderCancelled)] == [str(i) for i in range(120)]
    assert recorder.count(MarketEvent.OrderFilled, MarketEvent.OrderFailure) == 0


class _Book:
    def __init__(self, bid, ask):
        self._prices = {False: bid, True: ask}

    def get_price(self, is_buy):
        price = self._prices[is_buy]
        if price is None:
            raise ValueError("empty side")
        return price


def test_rate_source_prices_pairs_at_the_mid_of_the_connectors_books_and_skips_empty_ones():
    connector = SimpleNamespace(name="backpack_sandbox", order_books={
        "SOL-USDC": _Book(149.0, 151.0), "ETH-USDC": _Book(None, 3000.0), "SOL-BTC": _Book(0.001, 0.003)})
    source = ConnectorRateSource(connector)
    assert source.name == "backpack_sandbox_books"
    assert asyncio.run(source.get_prices()) == {"SOL-USDC": Decimal("150"), "SOL-BTC": Decimal("0.002")}
    assert asyncio.run(source.get_prices("USDC")) == {"SOL-USDC": Decimal("150")}


def test_new_key_pair_is_a_matching_ed25519_pair():
    api_key, secret = new_key_pair()
    assert base64.b64decode(api_key) == bytes(SigningKey(base64.b64decode(secret)).verify_key)
    assert new_key_pair() != (api_key, secret)


def test_account_key_pair_derives_from_the_sandbox_secret_when_set(monkeypatch):
    seed = bytes(range(32))
    secret = base64.b64encode(seed).decode()
    monkeypatch.setenv("BACKPACK_SANDBOX_SECRET", secret)
    assert account_key_pair() == (base64.b64encode(bytes(SigningKey(seed).verify_key)).decode(), secret)
    monkeypatch.delenv("BACKPACK_SANDBOX_SECRET")
    assert account_key_pair()[1] != secret


@pytest.mark.parametrize("bad", ["not base64!", base64.b64encode(b"short").decode()])
def test_account_key_pair_rejects_a_malformed_secret_without_quoting_it(monkeypatch, bad):
    monkeypatch.setenv("BACKPACK_SANDBOX_SECRET", bad)
    with pytest.raises(ValueError) as raised:
        account_key_pair()
    assert bad not in str(raised.value)


def test_configure_logging_sends_records_to_the_file_only(tmp_path):
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    try:
        configure_logging(tmp_path / "run.log")
        assert len(root.handlers) == 1
        logging.getLogger("harness.test").info("hello %s", "log")
        logging.getLogger("harness.test").debug("not kept")
        root.handlers[0].flush()
        text = (tmp_path / "run.log").read_text()
        assert "INFO harness.test - hello log" in text and "not kept" not in text
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
            handler.close()
        for handler in saved[0]:
            root.addHandler(handler)
        root.setLevel(saved[1])


def test_isolate_hummingbot_data_dir_points_hummingbot_at_a_fresh_folder(monkeypatch):
    prefixes = []
    monkeypatch.setattr(headless, "set_prefix_path", prefixes.append)
    first, second = isolate_hummingbot_data_dir(), isolate_hummingbot_data_dir()
    assert first != second and first.is_dir() and prefixes == [str(first), str(second)]


def test_wait_for_returns_as_soon_as_the_condition_holds_and_false_at_the_timeout():
    async def scenario():
        flag = []
        asyncio.get_running_loop().call_later(0.05, flag.append, 1)
        started = time.monotonic()
        became_true = await wait_for(lambda: bool(flag), 10.0, interval=0.01)
        took = time.monotonic() - started
        timed_out = await wait_for(lambda: False, 0.05, interval=0.01)
        return became_true, took, timed_out

    became_true, took, timed_out = asyncio.run(scenario())
    assert became_true is True and took < 5.0
    assert timed_out is False


def test_totals_add_available_locked_and_staked_per_asset():
    account = {"balances": {"SOL": {"available": "1.5", "locked": "0.5"},
                            "USDC": {"available": "10", "locked": "0", "staked": "2.25"}}}
    assert totals(account) == {"SOL": Decimal("2.0"), "USDC": Decimal("12.25")}
