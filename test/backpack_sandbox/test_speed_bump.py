"""Taker speed bump (speedbump.py, U4): non-post-only placements are held, post-only ones are not; switch via
config, CLI, control endpoint and Python API."""
from __future__ import annotations

import asyncio
import time
import urllib.request

import pytest

from backpack_sandbox.__main__ import build_parser

from .sandbox_client import SignedClient, control, wait_for
from .test_cli import start_serve, stop

LONG_HOLD_MS = 5000  # long enough that the checks made during the hold cannot race its end


def lim(side, price, qty, **kw):
    return {"symbol": "SOL_USDC", "side": side, "orderType": "Limit", "price": price, "quantity": qty, **kw}


async def _accounts(sb, session):
    out = []
    for _ in range(2):
        keys = sb.add_account({"SOL": "100", "USDC": "100000"})
        out.append(SignedClient(session, sb.rest_url, keys.api_key, keys.secret))
    return out


@pytest.mark.asyncio
async def test_on_by_default_at_100_ms(make_sandbox):
    sb = await make_sandbox()
    assert sb.config.taker_speed_bump_ms == 100 and sb.speed_bump.ms == 100
    assert build_parser().parse_args(["serve"]).taker_speed_bump_ms == 100


@pytest.mark.asyncio
async def test_taker_is_held_and_post_only_is_not(make_sandbox, session):
    sb = await make_sandbox()
    maker, taker = await _accounts(sb, session)
    status, body = await control(session, "POST", sb.rest_url + "/_sandbox/speed-bump", {"ms": LONG_HOLD_MS})
    assert status == 200 and body["ms"] == LONG_HOLD_MS
    status, resting = await maker.order(**lim("Ask", "100", "1", postOnly=True))
    assert status == 200 and resting["status"] == "New"
    assert sb.speed_bump.held == 0 and sb.speed_bump.passed == 1
    t0_ms = int(time.time() * 1000)
    task = asyncio.ensure_future(taker.order(**lim("Bid", "100", "1", clientId=7)))
    await wait_for(lambda: sb.speed_bump.held == 1, timeout=30)
    # While the taker is held it is nowhere in the engine; a post-only order goes straight to the book.
    acct = sb.account(taker.api_key)
    assert sb.engine.history[acct.id] == []
    status, quote = await taker.order(**lim("Bid", "90", "1", postOnly=True))
    assert status == 200 and quote["status"] == "New" and not task.done()
    status, answer = await task
    assert status == 200 and answer["status"] == "Filled" and answer["clientId"] == 7
    assert answer["createdAt"] >= t0_ms + LONG_HOLD_MS - 1
    assert sb.stats_json()["speedBump"] == {"ms": LONG_HOLD_MS, "held": 1, "passed": 2}


@pytest.mark.asyncio
async def test_batch_places_post_only_items_first_and_answers_in_order(make_sandbox, session):
    sb = await make_sandbox()
    maker, taker = await _accounts(sb, session)
    sb.speed_bump.set(LONG_HOLD_MS)
    await maker.order(**lim("Ask", "100", "1", postOnly=True))
    batch = [lim("Bid", "100", "1", clientId=1), lim("Bid", "90", "1", clientId=2, postOnly=True)]
    task = asyncio.ensure_future(taker.call("POST", "/api/v1/orders", batch))
    acct = sb.account(taker.api_key)
    await wait_for(lambda: len(sb.engine.history[acct.id]) == 1, timeout=30)
    assert sb.engine.history[acct.id][0].client_id == 2 and not task.done()
    status, answers = await task
    assert status == 200 and [a["clientId"] for a in answers] == [1, 2]
    assert [a["status"] for a in answers] == ["Filled", "New"]


@pytest.mark.asyncio
async def test_switched_off_holds_nothing(make_sandbox, session):
    sb = await make_sandbox(taker_speed_bump_ms=0)
    maker, taker = await _accounts(sb, session)
    await maker.order(**lim("Ask", "100", "1", postOnly=True))
    status, answer = await taker.order(**lim("Bid", "100", "1"))
    assert status == 200 and answer["status"] == "Filled"
    status, body = await control(session, "GET", sb.rest_url + "/_sandbox/speed-bump")
    assert body == {"ms": 0, "held": 0, "passed": 2}
    status, body = await control(session, "POST", sb.rest_url + "/_sandbox/speed-bump", {"ms": -1})
    assert status == 400


@pytest.mark.timeout(60)
def test_cli_flag():
    proc, lines = start_serve("--no-flow", "--taker-speed-bump-ms", "0")
    try:
        rest = next(x.split()[1] for x in lines if x.startswith("REST"))
        with urllib.request.urlopen(rest + "/_sandbox/speed-bump", timeout=10) as resp:
            assert resp.read() == b'{"ms":0.0,"held":0,"passed":0}'
    finally:
        code, _, _ = stop(proc)
    assert code == 0
