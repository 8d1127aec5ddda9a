"""WebSocket hub at ``/ws`` (docs/backpack-api.md §8).

Client frames ``{"method": "SUBSCRIBE"|"UNSUBSCRIBE", "params": [...], "id"?: any}``; no ack on success,
``id`` not echoed (§8.1). Errors ``{"id": null, "error": {"code": <int>, "message": str}}`` (§6.4):
4002 "Parse error" (bad JSON / unknown method), 4006 "Invalid stream", 4008 "Invalid depth window"
(``depth.<N>ms.<sym>`` with an unserved window); unknown symbols are silent. A symbol is everything after the
stream type (and window or interval), dots included (``depth.SPCX.US_USDC``); so ``depth.5.<sym>`` names the
unknown symbol ``5.<sym>`` and stays silent. Private streams need ``"signature": [key, sig, "tsMs", "windowMs"]``
over ``instruction=subscribe&timestamp=..&window=..`` (§2.5); a failure answers an error frame with
code 4003 (bad signature / expired / malformed) or 4001 (unknown key) — these codes are the sandbox's
choice (UNCONFIRMED upstream, §6.4).

Data frames ``{"stream": name, "data": {...}}``; ``E`` (send time) and ``T`` (engine time) in µs.
Depth (§8.2): absolute level quantities, ``U``/``u`` consecutive per market, prices padded to the tick
decimals and quantities to the step decimals (plain REST text when ``ws_pad_numbers`` is off); one frame per
engine command, empty (``"a": [], "b": []``) for :meth:`Engine.empty_depth`. Aggregated
``depth.<200ms|600ms|1000ms>.<sym>`` frames merge the commands of each window (``U`` < ``u``).

Keep-alive (§8.1): a protocol Ping every ``ping_interval_s``; a client that sent nothing (no frame,
no Pong) for ``idle_timeout_s`` is closed. Client Pings are answered with Pongs (handled here with
``autoping=False`` so that Pongs count as activity).
"""
from __future__ import annotations

import asyncio
import json
import logging
import random
import re
import time
from collections import defaultdict
from decimal import Decimal
from typing import Dict, List, Optional, Set, Tuple

from aiohttp import WSMsgType, web

from .auth import Verifier
from .candles import KLINE_SECONDS, CandleStore, KlinePublisher
from .errors import ApiError
from .faults import Faults
from .markets import MarketSpec, fmt_ws
from .stats import Stats
from .switches import Switches
from .tasks import cancel_and_wait

log = logging.getLogger("backpack_sandbox.ws")

PUBLIC_TYPES = ("depth", "trade", "bookTicker", "ticker", "markPrice", "openInterest")
DEPTH_WINDOWS = {"200ms": 0.2, "600ms": 0.6, "1000ms": 1.0}
PRIVATE_PREFIXES = ("account.orderUpdate", "account.balanceUpdate", "account.positionUpdate", "account.rfqUpdate")
WINDOW_RE = re.compile(r"\d+ms")
KLINE_INTERVALS = set(KLINE_SECONDS)


def _dumps(obj) -> str:
    return json.dumps(obj, separators=(",", ":"))


def error_frame(code: int, message: str) -> str:
    return _dumps({"id": None, "error": {"code": code, "message": message}})


def classify_stream(name: str) -> Tuple[str, Optional[int], Optional[str]]:
    """→ (``"public"``|``"private"``|``"error"``, error code, error message)."""
    if not isinstance(name, str) or not name:
        return "error", 4006, "Invalid stream"
    if name.startswith("account."):
        for prefix in PRIVATE_PREFIXES:
            if name == prefix or name.startswith(prefix + "."):
                if prefix == "account.balanceUpdate" and name != prefix:
                    break
                return "private", None, None
        return "error", 4006, "Invalid stream"
    kind, _, rest = name.partition(".")
    if kind == "depth" and rest:
        window, _, symbol = rest.partition(".")
        if symbol and WINDOW_RE.fullmatch(window) and window not in DEPTH_WINDOWS:
            return "error", 4008, "Invalid depth window"
        return "public", None, None
    if kind in PUBLIC_TYPES and rest:
        return "public", None, None
    if kind == "kline":
        interval, _, symbol = rest.partition(".")
        if interval in KLINE_INTERVALS and symbol:
            return "public", None, None
    if kind == "liquidation":
        return "public", None, None
    return "error", 4006, "Invalid stream"


class Connection:
    """One client socket: subscriptions, outgoing queue, activity times (monotonic seconds)."""

    _ids = 0

    def __init__(self, ws: web.WebSocketResponse, request: web.Request) -> None:
        Connection._ids += 1
        self.id = Connection._ids
        self.ws = ws
        self.request = request
        self.public: Set[str] = set()
        self.private: Dict[str, int] = {}  # stream -> account id
        self.queue: asyncio.Queue = asyncio.Queue()
        self.last_recv = time.monotonic()
        self.last_ping = time.monotonic()
        self.closing = False
        self.shuffle_buf: List[str] = []
        self.shuffle_handle: Optional[asyncio.TimerHandle] = None


class WsHub:
    """Fan-out of engine events to subscribers, keep-alive, and WS fault hooks. Engine listener."""

    def __init__(self, config, clock, engine, verifier: Verifier, faults: Faults, stats: Stats,
                 rng: Optional[random.Random] = None, switches: Optional[Switches] = None) -> None:
        self.config = config
        self.switches = switches or Switches()
        self.clock = clock
        self.engine = engine
        self.verifier = verifier
        self.faults = faults
        self.stats = stats
        self.rng = rng or random.Random(0)
        self.conns: Set[Connection] = set()
        self.subs: Dict[str, Set[Connection]] = defaultdict(set)
        self.private_subs: Dict[int, Dict[Connection, Set[str]]] = defaultdict(dict)
        self.suppressed_symbols: Set[str] = set()
        self._agg: Dict[Tuple[str, str], dict] = {}
        self._kline_since: Dict[str, int] = {}  # kline stream → engine µs of its first subscription
        self._tasks: List[asyncio.Task] = []
        self.ticker_stats = None  # callable(symbol) -> REST ticker dict or None; set by the server
        self.candles: Optional[CandleStore] = None  # set by the server; feeds kline.<interval>.<symbol>

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._tasks.append(loop.create_task(self._keepalive_loop()))
        self._tasks.append(loop.create_task(self._ticker_loop()))
        self._tasks.append(loop.create_task(self._aggregate_loop()))
        if self.candles is not None:
            klines = KlinePublisher(self.candles, self._kline_streams, self.publish, self.clock.now_us)
            self._tasks.append(loop.create_task(klines.run()))

    async def stop(self) -> None:
        await cancel_and_wait(self._tasks)
        self._tasks.clear()
        await asyncio.gather(*(self._close(c, 1001, "server shutdown") for c in list(self.conns)),
                             return_exceptions=True)

    # ------------------------------------------------------------------ handler
    async def handle(self, request: web.Request) -> web.StreamResponse:
        if self.switches.ws_refuse != "off":  # a network that blocks WebSockets (switches.py)
            self.stats.ws_refused += 1
            return web.Response(status=int(self.switches.ws_refuse), text="WebSocket upgrades are refused")
        ws = web.WebSocketResponse(autoping=False, max_msg_size=1 << 20, timeout=2.0)
        await ws.prepare(request)
        conn = Connection(ws, request)
        self.conns.add(conn)
        self.stats.ws_connections += 1
        self.stats.ws_connections_total += 1
        writer = asyncio.get_running_loop().create_task(self._writer(conn))
        try:
            async for msg in ws:
                conn.last_recv = time.monotonic()
                if msg.type == WSMsgType.TEXT:
                    self._on_text(conn, msg.data)
                elif msg.type == WSMsgType.PING:
                    await ws.pong(msg.data)
                elif msg.type == WSMsgType.BINARY:
                    self._send(conn, error_frame(4002, "Parse error"), None)
                elif msg.type in (WSMsgType.ERROR, WSMsgType.CLOSE):
                    break
        except Exception:  # never let one socket crash the server
            log.debug("ws connection %s failed", conn.id, exc_info=True)
        finally:
            self._forget(conn)
            writer.cancel()
            try:
                await writer
            except (asyncio.CancelledError, Exception):
                pass
            if not ws.closed:
                try:
                    await ws.close()
                except Exception:
                    pass
        return ws

    def _forget(self, conn: Connection) -> None:
        if conn in self.conns:
            self.conns.discard(conn)
            self.stats.ws_connections -= 1
        for stream in conn.public:
            self.subs[stream].discard(conn)
        for acct in set(conn.private.values()):
            self.private_subs[acct].pop(conn, None)
        if conn.shuffle_handle is not None:
            conn.shuffle_handle.cancel()

    def _on_text(self, conn: Connection, text: str) -> None:
        try:
            frame = json.loads(text)
        except ValueError:
            self._send(conn, error_frame(4002, "Parse error"), None)
            return
        if not isinstance(frame, dict):
            self._send(conn, error_frame(4002, "Parse error"), None)
            return
        method = frame.get("method")
        params = frame.get("params")
        if not isinstance(method, str) or method.upper() not in ("SUBSCRIBE", "UNSUBSCRIBE") \
                or not isinstance(params, list) or not all(isinstance(p, str) for p in params):
            self._send(conn, error_frame(4002, "Parse error"), None)
            return
        if method.upper() == "UNSUBSCRIBE":
            for name in params:
                self._unsubscribe(conn, name)
            return
        public, private = [], []
        for name in params:
            kind, code, message = classify_stream(name)
            if name == "account.balanceUpdate" and self.switches.balance_stream == "refused":
                kind, code, message = "error", 4006, "Invalid stream"
            if kind == "error":
                self._send(conn, error_frame(code, message), None)
                return
            (private if kind == "private" else public).append(name)
        for name in public:
            conn.public.add(name)
            self.subs[name].add(conn)
            if name.startswith("kline."):
                self._kline_since.setdefault(name, self.clock.now_us())
        if private:
            try:
                api_key = self.verifier.check_ws(frame.get("signature"), self.clock.now_ms())
            except ApiError as e:
                self._send(conn, error_frame(4001 if e.status == 401 else 4003, e.message), None)
                return
            acct = self.engine.by_key[api_key]
            for name in private:
                conn.private[name] = acct.id
                self.private_subs[acct.id].setdefault(conn, set()).add(name)

    def _unsubscribe(self, conn: Connection, name: str) -> None:
        if name in conn.public:
            conn.public.discard(name)
            self.subs[name].discard(conn)
        acct = conn.private.pop(name, None)
        if acct is not None:
            streams = self.private_subs[acct].get(conn)
            if streams is not None:
                streams.discard(name)
                if not streams:
                    self.private_subs[acct].pop(conn, None)

    # ------------------------------------------------------------------ sending
    def _send(self, conn: Connection, text: str, stream: Optional[str]) -> None:
        if conn.closing:
            return
        if stream is not None and self.faults.stalled(stream):
            self.stats.ws_frames_dropped += 1
            return
        if conn.queue.qsize() >= self.config.ws_send_queue_max:
            log.warning("closing slow ws consumer %s", conn.id)
            asyncio.get_running_loop().create_task(self._close(conn, 1008, "slow consumer"))
            return
        conn.queue.put_nowait(text)

    async def _writer(self, conn: Connection) -> None:
        while True:
            text = await conn.queue.get()
            if conn.ws.closed:
                return
            try:
                await conn.ws.send_str(text)
                self.stats.ws_frames_sent += 1
            except Exception:
                return

    def publish(self, stream: str, data: dict) -> None:
        """Send ``{"stream", "data"}`` to every subscriber of a public ``stream``."""
        conns = self.subs.get(stream)
        if not conns:
            return
        text = _dumps({"stream": stream, "data": data})
        self.stats.ws_public_frames[stream.partition(".")[0]] += len(conns)
        for c in list(conns):
            self._send(c, text, stream)

    def publish_text(self, stream: str, text: str) -> None:
        """Send an already-serialized frame (replay)."""
        for c in list(self.subs.get(stream, ())):
            self._send(c, text, stream)

    def publish_private(self, account_id: int, stream_base: str, data: dict, symbol: Optional[str]) -> None:
        """Send a private event to ``stream_base`` and ``stream_base.<symbol>`` subscribers of the account."""
        targets = self.private_subs.get(account_id)
        if not targets:
            return
        names = (stream_base, f"{stream_base}.{symbol}") if symbol else (stream_base,)
        delay_s, window_s = self.faults.private_delay()
        for conn, streams in list(targets.items()):
            for name in names:
                if name not in streams:
                    continue
                text = _dumps({"stream": name, "data": data})
                if window_s > 0:
                    self._shuffle(conn, text, name, delay_s, window_s)
                elif delay_s > 0:
                    asyncio.get_running_loop().call_later(delay_s, self._send, conn, text, name)
                else:
                    self._send(conn, text, name)

    def _shuffle(self, conn: Connection, text: str, stream: str, delay_s: float, window_s: float) -> None:
        conn.shuffle_buf.append(text)
        if conn.shuffle_handle is None:
            def flush() -> None:
                buf, conn.shuffle_buf, conn.shuffle_handle = conn.shuffle_buf, [], None
                self.rng.shuffle(buf)
                for t in buf:
                    self._send(conn, t, stream)
            conn.shuffle_handle = asyncio.get_running_loop().call_later(delay_s + window_s, flush)

    # ------------------------------------------------------------------ engine listener
    def on_order_event(self, account_id: int, symbol: str, event: dict) -> None:
        data = dict(event)
        data["E"] = self.clock.now_us()
        self.publish_private(account_id, "account.orderUpdate", data, symbol)

    def on_balance(self, account_id: int, asset: str, available: Decimal, locked: Decimal, time_us: int,
                   from_fill: bool = False) -> None:
        """One ``account.balanceUpdate``; ``from_fill``: the change comes with a fill of this account."""
        mode = self.switches.balance_stream
        if mode in ("off", "refused") or (mode == "fills" and not from_fill):
            return
        data = {"e": "balanceUpdate", "E": self.clock.now_us(), "a": asset, "A": _plain(available),
                "L": _plain(locked), "S": "0"}
        self.publish_private(account_id, "account.balanceUpdate", data, None)

    def _num(self, value, places: int) -> Optional[str]:
        return fmt_ws(value, places, self.config.ws_pad_numbers)

    def on_trade(self, spec: MarketSpec, fill) -> None:
        if spec.symbol in self.suppressed_symbols:
            return
        pd, qd = spec.price_decimals, spec.qty_decimals
        self.publish(f"trade.{spec.symbol}", {
            "e": "trade", "E": self.clock.now_us(), "s": spec.symbol, "p": self._num(fill.price, pd),
            "q": self._num(fill.quantity, qd), "b": fill.buy_order_id, "a": fill.sell_order_id,
            "t": fill.trade_id, "T": fill.time_us, "m": fill.buyer_is_maker,
        })

    def on_depth(self, spec: MarketSpec, first_id: int, last_id: int, time_us: int, bids, asks) -> None:
        if spec.symbol in self.suppressed_symbols:
            return
        pd, qd = spec.price_decimals, spec.qty_decimals
        a = [[self._num(p, pd), self._num(q, qd)] for p, q in asks]
        b = [[self._num(p, pd), self._num(q, qd)] for p, q in bids]
        for window in DEPTH_WINDOWS:
            name = f"depth.{window}.{spec.symbol}"
            if self.subs.get(name):
                agg = self._agg.setdefault((window, spec.symbol), {"U": first_id, "a": {}, "b": {}})
                agg["u"], agg["T"] = last_id, time_us
                agg["a"].update({x[0]: x[1] for x in a})
                agg["b"].update({x[0]: x[1] for x in b})
        if self.faults.take_depth_drop(spec.symbol):
            return
        self.publish(f"depth.{spec.symbol}", {
            "e": "depth", "E": self.clock.now_us(), "s": spec.symbol, "a": a, "b": b,
            "U": first_id, "u": last_id, "T": time_us,
        })

    def on_book_ticker(self, spec: MarketSpec, update_id: int, time_us: int, bid, ask) -> None:
        if spec.symbol in self.suppressed_symbols:
            return
        pd, qd = spec.price_decimals, spec.qty_decimals
        self.publish(f"bookTicker.{spec.symbol}", {
            "e": "bookTicker", "E": self.clock.now_us(), "s": spec.symbol,
            "a": self._num(ask[0], pd), "A": self._num(ask[1], qd), "b": self._num(bid[0], pd),
            "B": self._num(bid[1], qd),
            "u": update_id, "T": time_us,
        })

    # ------------------------------------------------------------------ background loops
    async def _aggregate_loop(self) -> None:
        ticks = 0
        while True:
            await asyncio.sleep(0.2)
            ticks += 1
            for window, secs in DEPTH_WINDOWS.items():
                if ticks % round(secs / 0.2):
                    continue
                for (w, symbol), agg in list(self._agg.items()):
                    if w != window:
                        continue
                    del self._agg[(w, symbol)]
                    self.publish(f"depth.{window}.{symbol}", {
                        "e": "depth", "E": self.clock.now_us(), "s": symbol,
                        "a": sorted(([p, q] for p, q in agg["a"].items()), key=lambda x: Decimal(x[0])),
                        "b": sorted(([p, q] for p, q in agg["b"].items()), key=lambda x: Decimal(x[0])),
                        "U": agg["U"], "u": agg["u"], "T": agg["T"],
                    })

    def _kline_streams(self) -> Dict[str, int]:
        for stream in [s for s in self._kline_since if not self.subs.get(s)]:
            del self._kline_since[stream]
        return {s: t for s, t in self._kline_since.items() if s.split(".", 2)[2] not in self.suppressed_symbols}

    async def _keepalive_loop(self) -> None:
        ping_s = float(self.config.ping_interval_s)
        idle_s = float(self.config.idle_timeout_s)
        tick = max(0.05, min(1.0, ping_s / 4, idle_s / 4))
        while True:
            await asyncio.sleep(tick)
            self.faults.periodic_drop_due()
            now = time.monotonic()
            stalled = self.faults.pings_stalled()
            for conn in list(self.conns):
                if conn.closing:
                    continue
                if now - conn.last_recv >= idle_s:
                    asyncio.get_running_loop().create_task(self._close(conn, 1000, "idle timeout"))
                    continue
                if not stalled and now - conn.last_ping >= ping_s:
                    conn.last_ping = now
                    try:
                        await conn.ws.ping()
                    except Exception:
                        pass

    async def _ticker_loop(self) -> None:
        while True:
            await asyncio.sleep(1.0)
            for stream, conns in list(self.subs.items()):
                if not conns or not stream.startswith("ticker."):
                    continue
                symbol = stream[len("ticker."):]
                try:
                    stats = self.ticker_stats(symbol) if self.ticker_stats else None
                except ApiError:  # unknown symbol: silent (§6.4)
                    continue
                if stats is None:
                    continue
                self.publish(stream, {
                    "e": "ticker", "E": self.clock.now_us(), "s": symbol, "o": stats["firstPrice"],
                    "c": stats["lastPrice"], "h": stats["high"], "l": stats["low"], "v": stats["volume"],
                    "V": stats["quoteVolume"], "n": int(stats["trades"]),
                })

    # ------------------------------------------------------------------ faults
    async def _close(self, conn: Connection, code: int, message: str, abrupt: bool = False) -> None:
        if conn.closing:
            return
        conn.closing = True
        try:
            if abrupt:
                transport = conn.request.transport
                if transport is not None:
                    transport.abort()
            else:
                await conn.ws.close(code=code, message=message.encode())
        except Exception:
            pass

    def drop(self, target: str = "all", abrupt: bool = False) -> int:
        """Close connections now (``drop_ws`` fault); returns how many."""
        chosen = []
        for conn in list(self.conns):
            if conn.closing:
                continue
            if target == "public" and not conn.public:
                continue
            if target == "private" and not conn.private:
                continue
            chosen.append(conn)
        loop = asyncio.get_running_loop()
        for conn in chosen:
            loop.create_task(self._close(conn, 1001, "dropped by sandbox fault", abrupt))
        return len(chosen)


def _plain(value: Decimal) -> str:
    if not value:
        return "0"
    return format(value.normalize(), "f")
