"""Record a Backpack WS feed and replay it as the sandbox's market.

Capture file: JSON lines. Frame lines ``{"recv_us": <µs>, "frame": "<raw text frame>"}``; optional
snapshot lines ``{"recv_us": <µs>, "snapshot": {"symbol": S, "depth": <REST /depth body, §4.6>}}``
written by :func:`record` right after subscribing (best effort, from the REST host).

Replay (:class:`ReplayFeed`): frames are re-published to subscribers of their ``stream`` with the
recorded spacing divided by ``speed``; ``E`` is rewritten to the send time and ``T`` keeps its recorded
distance to ``E`` (µs). The replayed book (snapshot, then every depth frame's absolute levels,
``lastUpdateId`` = last published ``u``) and trades back REST ``/depth``, ``/trades`` and ``/ticker``
for the captured symbols, so a client's snapshot + diffs sync (§8.3); replayed trades also feed REST
``/klines``, while ``kline`` frames of those symbols are the capture's own (``T`` there is an ISO string and
stays as recorded). Engine-generated public frames for those symbols are suppressed; orders placed there match
only other sandbox orders (UNCONFIRMED use case — the capture is read-only market data).
"""
from __future__ import annotations

import asyncio
import json
import logging
import time
from decimal import Decimal
from typing import Callable, Dict, Iterable, List, Optional, Tuple
from urllib.parse import urlsplit, urlunsplit

import aiohttp

log = logging.getLogger("backpack_sandbox.replay")

RECORD_STREAMS = ("depth", "trade", "bookTicker", "kline.1m")


def rest_url_for(ws_url: str) -> str:
    """REST base for a WS URL: ``wss://ws.backpack.exchange`` → ``https://api.backpack.exchange`` (§1);
    ``ws://127.0.0.1:8765/ws`` → ``http://127.0.0.1:8765``."""
    parts = urlsplit(ws_url)
    scheme = "https" if parts.scheme == "wss" else "http"
    host = parts.netloc
    if host.startswith("ws."):
        host = "api." + host[3:]
    return urlunsplit((scheme, host, "", "", ""))


async def record(url: str, pairs: Iterable[str], out: str, duration_s: float,
                 rest_url: Optional[str] = None, snapshots: bool = True) -> int:
    """Subscribe to depth/trade/bookTicker/kline.1m of ``pairs`` at ``url`` and write frames for ``duration_s``
    seconds to ``out``. Returns the number of frames written."""
    pairs = [p.strip() for p in pairs if p.strip()]
    streams = [f"{kind}.{p}" for p in pairs for kind in RECORD_STREAMS]
    count = 0
    timeout = aiohttp.ClientTimeout(total=None, sock_connect=10)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        async with session.ws_connect(url, autoping=True, heartbeat=None) as ws:
            await ws.send_str(json.dumps({"method": "SUBSCRIBE", "params": streams}))
            with open(out, "w", encoding="utf-8") as fh:
                if snapshots:
                    base = rest_url or rest_url_for(url)
                    for p in pairs:
                        try:
                            async with session.get(f"{base}/api/v1/depth", params={"symbol": p, "limit": "1000"},
                                                   timeout=aiohttp.ClientTimeout(total=10)) as resp:
                                if resp.status == 200:
                                    depth = await resp.json(content_type=None)
                                    fh.write(json.dumps({"recv_us": time.time_ns() // 1000,
                                                         "snapshot": {"symbol": p, "depth": depth}}) + "\n")
                        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as e:
                            log.warning("no REST snapshot for %s: %s", p, e)
                deadline = time.monotonic() + duration_s
                while True:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        break
                    try:
                        msg = await ws.receive(timeout=left)
                    except asyncio.TimeoutError:
                        break
                    if msg.type == aiohttp.WSMsgType.TEXT:
                        fh.write(json.dumps({"recv_us": time.time_ns() // 1000, "frame": msg.data}) + "\n")
                        count += 1
                    elif msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR):
                        break
    return count


def capture_symbols(path: str) -> List[str]:
    """Symbols present in a capture (from snapshot lines and frame ``data.s``)."""
    out: List[str] = []
    for entry in _read(path):
        sym = None
        if "snapshot" in entry:
            sym = entry["snapshot"].get("symbol")
        elif "frame" in entry:
            try:
                sym = json.loads(entry["frame"]).get("data", {}).get("s")
            except (ValueError, AttributeError):
                sym = None
        if sym and sym not in out:
            out.append(sym)
    return out


def _read(path: str) -> List[dict]:
    rows = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            line = line.strip()
            if not line:
                continue
            try:
                rows.append(json.loads(line))
            except ValueError:
                log.warning("skipping malformed capture line")
    return rows


class _ReplayBook:
    def __init__(self) -> None:
        self.bids: Dict[Decimal, Decimal] = {}
        self.asks: Dict[Decimal, Decimal] = {}
        self.last_id = 0
        self.time_us = 0
        self.trades: List[Tuple[int, Decimal, Decimal, int, bool]] = []

    @staticmethod
    def _apply(side: Dict[Decimal, Decimal], levels) -> None:
        for price, qty in levels:
            p, q = Decimal(price), Decimal(qty)
            if q == 0:
                side.pop(p, None)
            else:
                side[p] = q


class ReplayFeed:
    """Plays a capture into the WS hub and serves its book to REST (see module doc)."""

    def __init__(self, path: str, hub, clock, speed: float = 1.0) -> None:
        self.entries = _read(path)
        self.hub = hub
        self.clock = clock
        self.speed = max(1e-6, float(speed))
        self.books: Dict[str, _ReplayBook] = {}
        for sym in capture_symbols(path):
            self.books[sym] = _ReplayBook()
        self.done = asyncio.Event()
        self.published = 0
        self.on_trade: Optional[Callable[[str, Decimal, Decimal, int], None]] = None  # symbol, price, qty, µs
        self._task: Optional[asyncio.Task] = None

    @property
    def symbols(self) -> List[str]:
        return list(self.books)

    def has(self, symbol: str) -> bool:
        return symbol in self.books

    def depth(self, symbol: str, limit: int):
        b = self.books[symbol]
        bids = sorted(b.bids.items())[-limit:]
        asks = sorted(b.asks.items())[:limit]
        return bids, asks, b.last_id, b.time_us or self.clock.now_us()

    def trades(self, symbol: str):
        return list(self.books[symbol].trades[-1000:])

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):
                pass

    async def _run(self) -> None:
        frames = [e for e in self.entries if "frame" in e]
        for e in self.entries:
            if "snapshot" in e:
                self._snapshot(e["snapshot"])
        if frames:
            t0 = frames[0]["recv_us"]
            start = time.monotonic()
            for e in frames:
                due = start + (e["recv_us"] - t0) / 1e6 / self.speed
                wait = due - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                try:
                    self._publish(e["frame"])
                except (ValueError, KeyError, TypeError, ArithmeticError):
                    log.warning("skipping malformed frame in capture")
        self.done.set()

    def _snapshot(self, snap: dict) -> None:
        b = self.books.get(snap.get("symbol"))
        if b is None:
            return
        depth = snap["depth"]
        b.bids.clear()
        b.asks.clear()
        _ReplayBook._apply(b.bids, depth.get("bids", []))
        _ReplayBook._apply(b.asks, depth.get("asks", []))
        b.last_id = int(depth.get("lastUpdateId", 0))
        b.time_us = int(depth.get("timestamp", 0))

    def _publish(self, raw: str) -> None:
        frame = json.loads(raw)
        stream, data = frame.get("stream"), frame.get("data")
        if not isinstance(stream, str) or not isinstance(data, dict):
            return
        now = self.clock.now_us()
        if isinstance(data.get("E"), int):
            if isinstance(data.get("T"), int):
                data["T"] = now - (data["E"] - data["T"])
            data["E"] = now
        b = self.books.get(data.get("s"))
        if b is not None:
            if data.get("e") == "depth":
                if int(data["u"]) <= b.last_id:
                    pass  # older than the snapshot: the book already has it
                else:
                    _ReplayBook._apply(b.bids, data.get("b", []))
                    _ReplayBook._apply(b.asks, data.get("a", []))
                    b.last_id = int(data["u"])
                    b.time_us = int(data.get("T", now))
            elif data.get("e") == "trade":
                b.trades.append((int(data["t"]), Decimal(data["p"]), Decimal(data["q"]), int(data.get("T", now)),
                                 bool(data.get("m"))))
                del b.trades[:-1000]
                if self.on_trade is not None:
                    self.on_trade(data["s"], b.trades[-1][1], b.trades[-1][2], b.trades[-1][3])
        self.published += 1
        self.hub.publish_text(stream, json.dumps({"stream": stream, "data": data}, separators=(",", ":")))
