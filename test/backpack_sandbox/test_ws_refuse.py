"""The ``ws_refuse`` switch (a network that blocks WebSockets): config field, CLI flag, ``/_sandbox/switches`` and
``server.switches``; upgrades on ``/ws`` answered 403/503 while REST keeps working, turned off live."""
from __future__ import annotations

import json
import urllib.request

import aiohttp
import pytest

from .test_cli import start_serve, stop


async def _upgrade_status(session: aiohttp.ClientSession, ws_url: str) -> int:
    try:
        ws = await session.ws_connect(ws_url)
    except aiohttp.WSServerHandshakeError as e:
        return e.status
    await ws.close()
    return 101


@pytest.mark.asyncio
async def test_upgrades_are_refused_with_the_chosen_status_until_switched_off(make_sandbox, session):
    server = await make_sandbox(ws_refuse="503")
    assert server.switches.ws_refuse == "503"
    assert await _upgrade_status(session, server.ws_url) == 503
    async with session.get(server.rest_url + "/api/v1/depth?symbol=SOL_USDC") as r:
        assert r.status == 200  # REST is untouched
    async with session.post(server.rest_url + "/_sandbox/switches", json={"ws_refuse": 403}) as r:
        assert r.status == 200 and (await r.json())["switches"]["ws_refuse"] == "403"
    assert await _upgrade_status(session, server.ws_url) == 403
    async with session.post(server.rest_url + "/_sandbox/switches", json={"ws_refuse": "502"}) as r:
        assert r.status == 400
    server.switches.set("ws_refuse", "off")
    assert await _upgrade_status(session, server.ws_url) == 101
    assert server.stats_json()["wsRefused"] == 2 and server.stats.ws_connections_total == 1


def test_the_config_field_is_checked():
    from backpack_sandbox import SandboxConfig
    with pytest.raises(ValueError):
        SandboxConfig(ws_refuse="always")
    assert SandboxConfig(ws_refuse=503).ws_refuse == "503"


@pytest.mark.timeout(60)
def test_cli_flag_sets_the_switch():
    proc, lines = start_serve("--no-flow", "--ws-refuse", "403")
    try:
        rest = lines[0].split()[-1]
        with urllib.request.urlopen(rest + "/_sandbox/switches", timeout=10) as r:
            assert json.loads(r.read())["ws_refuse"] == "403"
    finally:
        stop(proc)
