"""The public socket hands text frames over undecoded and the data source decodes them once (ujson): the connection
class, the assistant the data source builds, and a real aiohttp WebSocket on loopback through that assistant."""
import json

import pytest
from aiohttp import WSMessage, WSMsgType, web

from hummingbot.connector.exchange.backpack import backpack_web_utils as web_utils
from hummingbot.connector.exchange.backpack.backpack_api_order_book_data_source import (
    BackpackAPIOrderBookDataSource,
    BackpackTextWSConnection,
)
from hummingbot.core.web_assistant.connections.connections_factory import ConnectionsFactory
from hummingbot.core.web_assistant.connections.ws_connection import WSConnection
from test.hummingbot.connector.exchange.backpack.stream_fakes import FakeConnector, FakeExchangeBook

PAIR = "SOL-USDC"


def test_text_frames_are_handed_over_undecoded_everything_else_as_hummingbot_does():
    text = json.dumps(FakeExchangeBook().step())
    assert BackpackTextWSConnection._build_resp(WSMessage(WSMsgType.TEXT, text, None)).data == text
    assert WSConnection._build_resp(WSMessage(WSMsgType.TEXT, text, None)).data == json.loads(text)
    assert BackpackTextWSConnection._build_resp(WSMessage(WSMsgType.BINARY, b"\x01", None)).data == b"\x01"


def _source():
    factory = web_utils.build_api_factory_without_time_synchronizer_pre_processor(web_utils.create_throttler())
    return BackpackAPIOrderBookDataSource([PAIR], FakeConnector(), factory, domain="exchange")


@pytest.mark.asyncio
async def test_text_frames_from_a_real_socket_are_decoded_once_by_the_data_source(monkeypatch):
    ex = FakeExchangeBook()
    frames = [json.dumps(ex.step()), json.dumps(ex.step()), "not json {", json.dumps({"id": None, "error": {"code": 1}})]

    async def handler(request):
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        for frame in frames:
            await ws.send_str(frame)
        await ws.close()
        return ws

    app = web.Application()
    app.router.add_get("/ws", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    monkeypatch.setattr(web_utils, "wss_url", lambda domain="exchange": f"ws://127.0.0.1:{port}/ws")
    connections = ConnectionsFactory()  # a process-wide singleton: its shared session may belong to a closed loop
    monkeypatch.setattr(connections, "_shared_client", None)
    monkeypatch.setattr(connections, "_ws_independent_session", None)
    ds = _source()
    await ds._pair_state(PAIR)       # routes for depth.SOL_USDC; no book yet, so diffs are buffered
    ws = await ds._connected_websocket_assistant()
    received = []
    try:
        assert type(ws._connection) is BackpackTextWSConnection
        with pytest.raises(ConnectionError):  # the server closes after the frames
            async for response in ws.iter_messages():
                received.append(response.data)
                ds._on_frame(response.data)
    finally:
        await ws.disconnect()
        await connections._shared_client.close()
        await runner.cleanup()
    assert received == frames
    assert ds.metrics.messages == {"depth": 2}
    assert ds.metrics.dropped_by_reason == {"malformed": 1, "error_frame": 1}
    assert [last for _, last, _ in ds._pairs[PAIR].sync.buffer] == [1001, 1002]


def test_decoded_and_text_frames_give_the_same_message():
    frame = FakeExchangeBook().step()
    messages = []
    for handover in (frame, json.dumps(frame)):
        ds = _source()
        ds._routes["depth.SOL_USDC"] = lambda data, out=messages: out.append(data)
        ds._on_frame(handover)
    assert messages[0] == messages[1] == frame["data"]


@pytest.mark.asyncio
async def test_a_foreign_assistant_is_left_as_it_is():
    """A factory whose assistant has no Hummingbot ``WSConnection`` (a test fake, another transport) is not touched;
    the data source still takes decoded frames from it."""
    class Other:
        _connection = object()

        async def connect(self, **kwargs):
            return None

    class Factory:
        async def get_ws_assistant(self):
            return Other()

    ds = BackpackAPIOrderBookDataSource([PAIR], FakeConnector(), Factory(), domain="exchange")
    ws = await ds._connected_websocket_assistant()
    assert type(ws) is Other and type(ws._connection) is object
