"""In-process fakes for the Backpack stream tests: a tiny exchange (book + update ids), a WS assistant, a REST
assistant, a web assistants factory and a connector with the symbol-map methods."""
import asyncio
import json
import random
from decimal import Decimal
from typing import Any, Dict, List, Optional

from hummingbot.core.web_assistant.connections.data_types import WSResponse

CLOSE = object()


class FakeExchangeBook:
    """One market: integer-tick prices, update ids, WS depth frames (padded prices) and REST snapshots (bare)."""

    def __init__(self, symbol: str = "SOL_USDC", seed: int = 1, first_id: int = 1000) -> None:
        self.symbol = symbol
        self.rng = random.Random(seed)
        self.update_id = first_id
        self.bids: Dict[int, str] = {9990 - i: "1.000" for i in range(10)}   # ticks of 0.01
        self.asks: Dict[int, str] = {10000 + i: "2.000" for i in range(10)}
        self.time_us = 1_694_687_965_941_000

    @staticmethod
    def ws_price(ticks: int) -> str:
        return f"{ticks / 100:.2f}"                   # "99.90", "100.00"

    @staticmethod
    def rest_price(ticks: int) -> str:
        return format(Decimal(ticks) / 100, "f").rstrip("0").rstrip(".") if ticks % 100 else str(ticks // 100)

    def step(self) -> Dict[str, Any]:
        self.update_id += 1
        self.time_us += 1000
        bids, asks = [], []
        for _ in range(self.rng.randint(1, 3)):
            if self.rng.random() < 0.5:
                ticks = self.rng.randint(9970, 9999)
                side, levels = self.bids, bids
            else:
                ticks = self.rng.randint(10000, 10029)
                side, levels = self.asks, asks
            if ticks in side and self.rng.random() < 0.4:
                del side[ticks]
                levels.append([self.ws_price(ticks), "0.000"])
            else:
                qty = f"{self.rng.randint(1, 5000) / 1000:.3f}"
                side[ticks] = qty
                levels.append([self.ws_price(ticks), qty])
        return {"stream": f"depth.{self.symbol}", "data": {
            "e": "depth", "E": self.time_us + 1, "s": self.symbol, "a": asks, "b": bids,
            "U": self.update_id, "u": self.update_id, "T": self.time_us}}

    def snapshot(self) -> Dict[str, Any]:
        return {"asks": [[self.rest_price(t), q] for t, q in sorted(self.asks.items())],
                "bids": [[self.rest_price(t), q] for t, q in sorted(self.bids.items())],   # ascending (§4.6)
                "lastUpdateId": str(self.update_id), "timestamp": self.time_us}

    def expected(self):
        bids = [(t / 100, float(q)) for t, q in sorted(self.bids.items(), reverse=True)]
        asks = [(t / 100, float(q)) for t, q in sorted(self.asks.items())]
        return bids, asks


def book_levels(order_book):
    return ([(round(r.price, 8), r.amount) for r in order_book.bid_entries()],
            [(round(r.price, 8), r.amount) for r in order_book.ask_entries()])


class FakeWS:
    """Duck-typed WSAssistant: frames pushed with ``push`` (dict → JSON text → decoded like WSConnection; with
    ``text``, handed over undecoded like ``BackpackTextWSConnection``)."""

    def __init__(self, text: bool = False) -> None:
        self.text = text
        self.queue: asyncio.Queue = asyncio.Queue()
        self.sent: List[Dict[str, Any]] = []
        self.connected = False
        self.disconnected = False
        self.pings = 0
        self.last_recv_time = 0.0
        self.url: Optional[str] = None

    async def connect(self, ws_url: str, **kwargs) -> None:
        self.url = ws_url
        self.connected = True

    async def send(self, request) -> None:
        self.sent.append(request.payload)

    async def ping(self) -> None:
        self.pings += 1

    async def disconnect(self) -> None:
        self.disconnected = True
        self.connected = False

    def push(self, frame: Any) -> None:
        self.queue.put_nowait(json.dumps(frame) if not isinstance(frame, str) else frame)

    def push_raw(self, text: str) -> None:
        self.queue.put_nowait(text)

    def close(self) -> None:
        self.queue.put_nowait(CLOSE)

    async def iter_messages(self):
        while True:
            item = await self.queue.get()
            if item is CLOSE:
                raise ConnectionError("closed by the fake server")
            if self.text:
                yield WSResponse(item)
                continue
            try:
                data = json.loads(item)
            except ValueError:
                data = item           # WSConnection hands over the text when it is not JSON
            yield WSResponse(data)


class FakeRest:
    def __init__(self, factory: "FakeFactory") -> None:
        self.factory = factory

    async def execute_request(self, url: str, params=None, method=None, throttler_limit_id=None, **kwargs):
        self.factory.rest_calls.append({"url": url, "params": params, "limit_id": throttler_limit_id})
        responder = self.factory.rest_responder
        result = responder(params) if callable(responder) else responder
        if asyncio.iscoroutine(result):
            result = await result
        if isinstance(result, Exception):
            raise result
        return result


class FakeFactory:
    """``text``: its sockets hand text frames over undecoded (``FakeWS``)."""

    def __init__(self, text: bool = False) -> None:
        self.text = text
        self.sockets: List[FakeWS] = []
        self.rest_calls: List[Dict[str, Any]] = []
        self.rest_responder: Any = None
        self.connect_error: Optional[Exception] = None

    async def get_ws_assistant(self) -> FakeWS:
        if self.connect_error is not None:
            raise self.connect_error
        ws = FakeWS(text=self.text)
        self.sockets.append(ws)
        return ws

    async def get_rest_assistant(self) -> FakeRest:
        return FakeRest(self)


class FakeConnector:
    """The symbol-map part of ExchangePyBase (async, bidict-like) plus get_last_traded_prices."""

    def __init__(self, mapping: Optional[Dict[str, str]] = None) -> None:
        self.pair_to_symbol = dict(mapping or {"SOL-USDC": "SOL_USDC", "BTC-USDC": "BTC_USDC"})
        self.symbol_to_pair = {v: k for k, v in self.pair_to_symbol.items()}
        self.last_prices_calls: List[List[str]] = []

    async def exchange_symbol_associated_to_pair(self, trading_pair: str) -> str:
        return self.pair_to_symbol[trading_pair]

    async def trading_pair_associated_to_exchange_symbol(self, symbol: str) -> str:
        return self.symbol_to_pair[symbol]

    async def get_last_traded_prices(self, trading_pairs: List[str]) -> Dict[str, float]:
        self.last_prices_calls.append(list(trading_pairs))
        return {pair: 100.0 for pair in trading_pairs}


async def wait_for(predicate, timeout: float = 10.0, message: str = "condition not met in time") -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(message)
        await asyncio.sleep(0.001)
