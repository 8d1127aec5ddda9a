"""Fixtures for the sandbox tests: servers on 127.0.0.1 with port 0, stopped after each test."""
from __future__ import annotations

import aiohttp
import pytest_asyncio

from backpack_sandbox import SandboxConfig, SandboxServer

from .sandbox_client import SignedClient


@pytest_asyncio.fixture
async def session():
    async with aiohttp.ClientSession() as s:
        yield s


@pytest_asyncio.fixture
async def make_sandbox():
    """``await make_sandbox(**config)`` → started SandboxServer (flow off unless asked)."""
    servers = []

    async def factory(**kw):
        kw.setdefault("flow", False)
        server = SandboxServer(SandboxConfig(port=0, **kw))
        await server.start()
        servers.append(server)
        return server

    yield factory
    for s in servers:
        await s.stop()


@pytest_asyncio.fixture
async def sandbox(make_sandbox):
    return await make_sandbox()


@pytest_asyncio.fixture
async def trader(sandbox, session):
    """A funded account's SignedClient on the default (flow-off) sandbox."""
    keys = sandbox.add_account({"SOL": "100", "BTC": "1", "ETH": "10", "USDC": "100000"})
    return SignedClient(session, sandbox.rest_url, keys.api_key, keys.secret)


@pytest_asyncio.fixture
async def counterparty(sandbox, session):
    keys = sandbox.add_account({"SOL": "100", "BTC": "1", "ETH": "10", "USDC": "100000"})
    return SignedClient(session, sandbox.rest_url, keys.api_key, keys.secret)
