"""REST routes (docs/backpack-api.md §4 public, §5 private) and the request middleware.

Middleware order per request (control routes ``/_sandbox/*`` and ``/ws`` bypass it): count →
``maintenance`` fault (503 ``MAINTENANCE``; ``/api/v1/status`` reports it instead) → ``http_429`` fault →
rate limit (§7; per API key on private routes, per remote address on public ones; 429
``{"code":"TOO_MANY_REQUESTS","message":"Too many requests"}``) → handler → ``latency_ms`` fault (added
after the engine acted, so the WS event can beat the REST reply) → error mapping:
:class:`ApiError` → JSON ``{"code","message"}`` (or plain text for parameter parse errors, §6.1),
unknown path → plain-text 404 ``not found``, anything unexpected → 500 ``SERVER_ERROR``.
"""
from __future__ import annotations

import asyncio
import json
import logging
import time
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from typing import Any, List, Optional, Tuple

from aiohttp import web

from .auth import INSTRUCTIONS, JsonNumber
from .candles import KLINE_SECONDS
from .errors import ApiError, bad_request, parse_error
from .markets import asset_json
from .views import fill_history_json, history_order_json, order_json

log = logging.getLogger("backpack_sandbox.rest")

DEPTH_LIMITS = ("5", "10", "20", "50", "100", "500", "1000")
HISTORICAL_PATHS = ("/api/v1/klines", "/api/v1/trades/history")
#: Account history routes; in the 30/min bucket only with the ``history_rate_limited`` switch (U2).
ACCOUNT_HISTORY_PREFIX = "/wapi/v1/history/"
PRIVATE_PATHS = {path for _, path in INSTRUCTIONS}
SERVICE_UNAVAILABLE = {"code": "SERVICE_UNAVAILABLE",
                       "message": "Unknown error, please check your request or try again later."}
TOO_MANY = {"code": "TOO_MANY_REQUESTS", "message": "Too many requests"}
MAINTENANCE = {"code": "MAINTENANCE", "message": "System under maintenance"}
LEND_IMF = {"type": "sqrt", "base": "0.05", "factor": "0.0001"}  # §5.3 example values
LEND_MMF = {"type": "sqrt", "base": "0.03", "factor": "0.00006"}
BROKER_HEADER = "X-Broker-Id"
MARKET_TYPES = ("SPOT", "PERP", "IPERP", "DATED", "PREDICTION", "RFQ")


def json_response(data: Any, status: int = 200, headers: Optional[dict] = None) -> web.Response:
    return web.Response(text=json.dumps(data, separators=(",", ":")), status=status,
                        content_type="application/json", headers=headers)


def error_response(err: ApiError) -> web.Response:
    if err.plain:
        return web.Response(text=err.message, status=err.status, content_type="text/plain")
    return json_response(err.body(), status=err.status)


def _int_param(query, name: str, default: Optional[int], lo: int = 0, hi: Optional[int] = None) -> Optional[int]:
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise parse_error(name, "expected an integer")
    if value < lo or (hi is not None and value > hi):
        raise parse_error(name, f"out of range [{lo}, {hi}]")
    return value


def _symbol_param(query, required: bool = True) -> Optional[str]:
    sym = query.get("symbol")
    if not sym:
        if required:
            raise parse_error("symbol", 'Type "string" expects an input value.')
        return None
    return sym


def broker_id(request: web.Request) -> Optional[str]:
    """The request's ``X-Broker-Id`` header (broker attribution), recorded on the orders it places or cancels."""
    return request.headers.get(BROKER_HEADER)


def make_middleware(server):
    @web.middleware
    async def middleware(request: web.Request, handler):
        path = request.path
        if path.startswith("/_sandbox/") or path == "/ws":
            return await handler(request)
        stats = server.stats
        stats.requests += 1
        route = f"{request.method} {path}"
        stats.by_route[route] += 1
        api_key = request.headers.get("X-API-Key")
        if api_key:
            stats.by_key_route[(api_key[:64], route)] += 1
        arrived = time.monotonic()
        resp = await _guarded(request, handler, server)
        stats.by_status[resp.status] += 1
        stats.by_route_status[(route, resp.status)] += 1
        stats.arrivals.append((arrived, route, resp.status))
        if resp.status == 429:
            stats.http_429 += 1
        return resp

    return middleware


async def _rate_weight(request: web.Request, server) -> int:
    """Slots of the request limit this request takes: 1, or with ``batch_rate_weight`` ``order`` one per order of a
    batch placement (U8; an unreadable body: 1, the handler answers it)."""
    if (server.switches.batch_rate_weight != "order" or request.method != "POST"
            or request.path != "/api/v1/orders"):
        return 1
    try:
        body = await request.json()
    except ValueError:
        return 1
    return max(1, len(body)) if isinstance(body, list) else 1


async def _guarded(request: web.Request, handler, server) -> web.StreamResponse:
    path = request.path
    if path != "/api/v1/status" and server.faults.take_maintenance():
        return json_response(MAINTENANCE, status=503)
    if server.faults.take_http_429():
        return json_response(TOO_MANY, status=429)
    if path in PRIVATE_PATHS:
        key = "key:" + (request.headers.get("X-API-Key") or request.remote or "?")
    else:
        key = "ip:" + (request.remote or "?")
    historical = path in HISTORICAL_PATHS or (server.switches.history_rate_limited
                                              and path.startswith(ACCOUNT_HISTORY_PREFIX))
    weight = await _rate_weight(request, server)
    if not server.limiter.allow(key, weight) or (historical and not server.hist_limiter.allow(key)):
        server.stats.rate_limited_by_route[f"{request.method} {path}"] += 1
        return json_response(TOO_MANY, status=429)
    try:
        resp = await handler(request)
    except ApiError as e:
        resp = error_response(e)
    except web.HTTPNotFound:
        resp = web.Response(text="not found", status=404, content_type="text/plain")
    except web.HTTPMethodNotAllowed:
        resp = web.Response(text="method not allowed", status=405, content_type="text/plain")
    except web.HTTPException as e:
        resp = web.Response(text=e.text or e.reason, status=e.status, content_type="text/plain")
    except Exception:
        log.exception("unhandled error on %s %s", request.method, path)
        resp = json_response({"code": "SERVER_ERROR", "message": "Internal server error"}, status=500)
    delay = server.faults.latency_s()
    if delay:
        await asyncio.sleep(delay)
    return resp


class RestApi:
    """Route handlers; ``server`` gives engine, verifier, clock, faults, market data."""

    def __init__(self, server) -> None:
        self.s = server

    def setup(self, app: web.Application) -> None:
        r = app.router
        r.add_get("/api/v1/status", self.status)
        r.add_get("/api/v1/ping", self.ping)
        r.add_get("/api/v1/time", self.time)
        r.add_get("/api/v1/markets", self.markets)
        r.add_get("/api/v1/market", self.market)
        r.add_get("/api/v1/assets", self.assets)
        r.add_get("/api/v1/securities", self.securities)
        r.add_get("/api/v1/depth", self.depth)
        r.add_get("/api/v1/ticker", self.ticker)
        r.add_get("/api/v1/tickers", self.tickers)
        r.add_get("/api/v1/trades", self.trades)
        r.add_get("/api/v1/trades/history", self.trades_history)
        r.add_get("/api/v1/klines", self.klines)
        r.add_get("/api/v1/capital", self.capital)
        r.add_get("/api/v1/borrowLend/positions", self.borrow_lend_positions)
        r.add_get("/api/v1/account", self.account)
        r.add_get("/api/v1/account/limits/order", self.max_order_quantity)
        r.add_get("/api/v1/capital/collateral", self.collateral)
        r.add_post("/api/v1/order", self.order_execute)
        r.add_get("/api/v1/order", self.order_query)
        r.add_delete("/api/v1/order", self.order_cancel)
        r.add_get("/api/v1/orders", self.orders_query)
        r.add_post("/api/v1/orders", self.orders_execute)
        r.add_delete("/api/v1/orders", self.orders_cancel)
        r.add_get("/wapi/v1/history/orders", self.history_orders)
        r.add_get("/wapi/v1/history/fills", self.history_fills)

    # ------------------------------------------------------------------ auth
    async def _auth(self, request: web.Request, batch: bool = False) -> Tuple[Any, Any]:
        """Verify the signature (§2) and return (account, params). GET: query dict; others: JSON body."""
        instruction = INSTRUCTIONS[(request.method, request.path)]
        if request.method == "GET":
            pairs = list(request.query.items())
            params: Any = dict(pairs)
            signed: Any = pairs
        else:
            raw = await request.read()
            if raw.strip():
                try:
                    params = json.loads(raw.decode("utf-8"), parse_float=JsonNumber,
                                        parse_constant=lambda c: (_ for _ in ()).throw(ValueError(c)))
                except (ValueError, UnicodeDecodeError):
                    raise bad_request("Invalid JSON body")
            else:
                params = [] if batch else dict(request.query.items())
            if batch:
                if not isinstance(params, list) or not all(isinstance(o, dict) for o in params):
                    raise bad_request("Batch body must be a JSON array of order objects")
            elif not isinstance(params, dict):
                raise bad_request("Body must be a JSON object")
            signed = params
        api_key = self.s.verifier.check(request.headers, instruction, signed, self.s.clock.now_ms(), batch=batch)
        return self.s.engine.by_key[api_key], params

    # ------------------------------------------------------------------ public
    async def status(self, request):
        if self.s.faults.maintenance_active():
            return json_response({"status": "Maintenance", "message": MAINTENANCE["message"]})
        return json_response({"status": "Ok", "message": None})

    async def ping(self, request):
        return web.Response(text="pong", content_type="text/plain")

    async def time(self, request):
        return web.Response(text=str(self.s.clock.now_ms()), content_type="text/plain")

    async def markets(self, request):
        """§4.4: ``marketType`` repeated (an array); without it spot and perp rows."""
        types = request.query.getall("marketType", [])
        for t in types:
            if t not in MARKET_TYPES:
                raise parse_error("marketType", f"expected one of {', '.join(MARKET_TYPES)}")
        wanted = set(types) if types else {"SPOT", "PERP"}
        return json_response([spec.to_json() for spec in self.s.listed_markets() if spec.market_type in wanted])

    async def market(self, request):
        sym = _symbol_param(request.query)
        spec = next((s for s in self.s.listed_markets() if s.symbol == sym), None)
        if spec is None:
            raise bad_request("Invalid market symbol")
        return json_response(spec.to_json())

    async def assets(self, request):
        """§4.9: one row per asset of the listed markets (``country`` accepted, ignored)."""
        names = sorted({a for s in self.s.listed_markets() for a in (s.base, s.quote)})
        return json_response([asset_json(a) for a in names])

    async def securities(self, request):
        """§4.9 ``/api/v1/securities`` (tokenized-stock metadata): the sandbox lists none."""
        return json_response([])

    async def depth(self, request):
        sym = _symbol_param(request.query)
        limit = request.query.get("limit", "1000")
        if limit not in DEPTH_LIMITS:
            raise parse_error("limit", f"expected one of {', '.join(DEPTH_LIMITS)}")
        if sym not in self.s.engine.specs:
            raise bad_request("Invalid market symbol")
        return json_response(self.s.market_data.depth(sym, int(limit)))

    def _interval(self, request):
        interval = request.query.get("interval", "1d")
        if interval not in ("1d", "1w"):
            raise parse_error("interval", "expected 1d or 1w")

    async def ticker(self, request):
        sym = _symbol_param(request.query)
        self._interval(request)
        if sym not in self.s.engine.specs:
            raise bad_request("Invalid market symbol")
        ticker = self.s.market_data.ticker(sym)
        if self.s.switches.ticker_204_without_trades and ticker["trades"] == "0":
            return web.Response(status=204)
        return json_response(ticker)

    async def tickers(self, request):
        self._interval(request)
        tickers = [self.s.market_data.ticker(sym) for sym in self.s.engine.specs]
        if self.s.switches.ticker_204_without_trades:
            tickers = [t for t in tickers if t["trades"] != "0"]
        return json_response(tickers)

    async def trades(self, request):
        sym = _symbol_param(request.query)
        limit = _int_param(request.query, "limit", 100, 1, 1000)
        if sym not in self.s.engine.specs:
            raise bad_request("Invalid market symbol")
        return json_response(self.s.market_data.trades(sym, limit))

    async def trades_history(self, request):
        sym = _symbol_param(request.query)
        limit = _int_param(request.query, "limit", 100, 1, 1000)
        offset = _int_param(request.query, "offset", 0, 0)
        if sym not in self.s.engine.specs:
            raise bad_request("Invalid market symbol")
        return json_response(self.s.market_data.trades(sym, limit, offset))

    async def klines(self, request):
        sym = _symbol_param(request.query)
        interval = request.query.get("interval")
        if interval not in KLINE_SECONDS:
            raise parse_error("interval", "invalid interval")
        start = _int_param(request.query, "startTime", None, 0)
        if start is None:
            raise parse_error("startTime", 'Type "integer" expects an input value.')
        end = _int_param(request.query, "endTime", None, 0)
        if sym not in self.s.engine.specs:
            raise bad_request("Invalid market symbol")
        return json_response(self.s.market_data.klines(sym, interval, start, end))

    # ------------------------------------------------------------------ account
    async def capital(self, request):
        acct, _ = await self._auth(request)
        out = {}
        for asset in acct.assets():
            avail, locked = acct.available.get(asset, 0), acct.locked.get(asset, 0)
            if avail or locked:
                out[asset] = {"available": _fmt(avail), "locked": _fmt(locked), "staked": "0"}
        return json_response(out)

    async def borrow_lend_positions(self, request):
        acct, _ = await self._auth(request)
        out = []
        for i, (asset, qty) in enumerate(sorted(acct.lent.items()), start=1):
            out.append({"id": str(acct.id * 1000 + i), "symbol": asset, "netQuantity": _fmt(qty),
                        "netExposureQuantity": "0", "netExposureNotional": "0", "markPrice": "1",
                        "imf": "0", "imfFunction": dict(LEND_IMF), "mmf": "0", "mmfFunction": dict(LEND_MMF),
                        "cumulativeInterest": "0", "estLiquidationPrice": "0"})
        return json_response(out)

    async def account(self, request):
        acct, _ = await self._auth(request)
        return json_response({
            "autoBorrowSettlements": False, "autoLend": acct.auto_lend, "autoRealizePnl": False,
            "autoRepayBorrows": False,
            "borrowLimit": "0", "futuresMakerFee": _fmt(acct.maker_bps), "futuresTakerFee": _fmt(acct.taker_bps),
            "leverageLimit": "1", "limitOrders": len(self.s.engine.open_orders[acct.id]), "liquidating": False,
            "positionLimit": "0", "spotMakerFee": _fmt(acct.maker_bps), "spotTakerFee": _fmt(acct.taker_bps),
            "triggerOrders": 0,
        })

    async def max_order_quantity(self, request):
        """§5.4 ``maxOrderQuantity``: Bid → available quote / price (or the best ask), Ask → available base."""
        acct, params = await self._auth(request)
        sym = _symbol_param(params)
        side = params.get("side")
        if side not in ("Bid", "Ask"):
            raise parse_error("side", "expected Bid or Ask")
        spec = self.s.engine.specs.get(sym)
        if spec is None:
            raise bad_request("Invalid market symbol")
        price = params.get("price")
        if side == "Ask":
            qty = acct.available.get(spec.base, 0)
        else:
            try:
                ref = Decimal(price) if price else self.s.engine.markets[sym].book.best("Ask") or self.s.mids[sym]
            except InvalidOperation:
                raise parse_error("price", "expected a decimal")
            qty = acct.available.get(spec.quote, 0) / ref if ref > 0 else Decimal(0)
        qty = (Decimal(qty) / spec.step_size).to_integral_value(rounding=ROUND_DOWN) * spec.step_size
        return json_response({"symbol": sym, "side": side, "maxOrderQuantity": _fmt(qty), "price": price,
                              "reduceOnly": None, "autoBorrow": None, "autoBorrowRepay": None, "autoLendRedeem": None})

    async def collateral(self, request):
        """§5.2 MarginAccountSummary, spot-only approximation: weight 1, marks from mids (UNCONFIRMED values)."""
        acct, _ = await self._auth(request)
        marks = {"USDC": Decimal(1)}
        for sym, spec in self.s.engine.specs.items():
            if spec.quote == "USDC":
                marks.setdefault(spec.base, self.s.mids[sym])
        rows, total, locked_value = [], Decimal(0), Decimal(0)
        for asset in acct.assets():
            avail, locked = acct.available.get(asset, Decimal(0)), acct.locked.get(asset, Decimal(0))
            mark = marks.get(asset, Decimal(0))
            value = (avail + locked) * mark
            total += value
            locked_value += locked * mark
            rows.append({"symbol": asset, "assetMarkPrice": _fmt(mark), "totalQuantity": _fmt(avail + locked),
                         "balanceNotional": _fmt(value), "collateralWeight": "1", "collateralValue": _fmt(value),
                         "openOrderQuantity": _fmt(locked), "lendQuantity": "0", "availableQuantity": _fmt(avail)})
        return json_response({"assetsValue": _fmt(total), "borrowLiability": "0", "collateral": rows, "imf": "0",
                              "unsettledEquity": "0", "liabilitiesValue": "0", "marginFraction": None, "mmf": "0",
                              "netEquity": _fmt(total), "netEquityAvailable": _fmt(total - locked_value),
                              "netEquityLocked": _fmt(locked_value), "netExposureFutures": "0", "pnlUnrealized": "0"})

    # ------------------------------------------------------------------ orders
    async def order_execute(self, request):
        acct, params = await self._auth(request)
        accept = self.s.faults.take_order_503()
        if accept is not None:
            if accept:
                try:
                    self.s.engine.place(acct, params).broker_id = broker_id(request)
                except ApiError:
                    pass
            return json_response(SERVICE_UNAVAILABLE, status=503)
        if self.s.speed_bump.should_hold(params):
            await self.s.speed_bump.wait()
        order = self.s.engine.place(acct, params)
        order.broker_id = broker_id(request)
        return json_response(order_json(order))

    async def orders_execute(self, request):
        acct, orders = await self._auth(request, batch=True)
        if len(orders) > self.s.config.max_batch_orders:
            raise bad_request(f"Too many orders in batch (max {self.s.config.max_batch_orders})")
        accept = self.s.faults.take_order_503()
        if accept is False:
            return json_response(SERVICE_UNAVAILABLE, status=503)
        out: List[dict] = [{} for _ in orders]
        held = [i for i, payload in enumerate(orders) if self.s.speed_bump.should_hold(payload)]
        for i, payload in enumerate(orders):
            if i not in held:
                out[i] = self._place_item(acct, payload, broker_id(request))
        if held:  # post-only items went first; the others wait out the speed bump, then go in batch order
            await self.s.speed_bump.wait()
            for i in held:
                out[i] = self._place_item(acct, orders[i], broker_id(request))
        if accept is not None:
            return json_response(SERVICE_UNAVAILABLE, status=503)
        return json_response(out)

    def _place_item(self, acct, payload: dict, broker: Optional[str] = None) -> dict:
        """One batch element: the placed order (its ``broker_id`` recorded) or an ``Err`` element."""
        try:
            order = self.s.engine.place(acct, payload)
            order.broker_id = broker
            return {"operation": "Ok", **order_json(order)}
        except ApiError as e:
            return {"operation": "Err", "code": e.code or "INVALID_CLIENT_REQUEST", "message": e.message}

    def _ids(self, params) -> Tuple[Optional[str], Optional[int]]:
        order_id = params.get("orderId")
        client_id = params.get("clientId")
        if isinstance(client_id, str):
            try:
                client_id = int(client_id)
            except ValueError:
                raise bad_request("Invalid clientId: must be an integer between 0 and 4294967295")
        if order_id is not None and not isinstance(order_id, bool):
            order_id = str(order_id)
        return order_id, client_id

    async def order_query(self, request):
        acct, params = await self._auth(request)
        sym = _symbol_param(params)
        order_id, client_id = self._ids(params)
        return json_response(order_json(self.s.engine.find_open(acct, sym, order_id, client_id)))

    async def order_cancel(self, request):
        acct, params = await self._auth(request)
        sym = params.get("symbol")
        if not isinstance(sym, str) or not sym:
            raise bad_request("Missing symbol")
        order_id, client_id = self._ids(params)
        engine = self.s.engine
        order = engine.find_open(acct, sym, order_id, client_id)
        order.cancel_broker_id = broker_id(request)
        delay = self.s.faults.take_cancel_202(cancel_all=False)
        if delay is not None:
            self._later(delay, lambda: engine.cancel(acct, sym, order_id=order.id))
            return web.Response(status=202)
        return json_response(order_json(engine.cancel(acct, sym, order_id=order.id)))

    async def orders_query(self, request):
        acct, params = await self._auth(request)
        sym = _symbol_param(params, required=False)
        if sym is not None and sym not in self.s.engine.specs:
            raise bad_request("Invalid market symbol")
        mtype = params.get("marketType")
        if mtype is not None and mtype != "SPOT":
            return json_response([])
        orders = sorted(self.s.engine.list_open(acct, sym), key=lambda o: int(o.id))
        return json_response([order_json(o) for o in orders])

    async def orders_cancel(self, request):
        acct, params = await self._auth(request)
        sym = params.get("symbol")
        if not isinstance(sym, str) or not sym:
            raise bad_request("Missing symbol")
        self.s.engine.market(sym)
        if params.get("orderType") == "ConditionalOrder":
            return json_response([])
        for order in self.s.engine.list_open(acct, sym):
            order.cancel_broker_id = broker_id(request)
        delay = self.s.faults.take_cancel_202(cancel_all=True)
        if delay is not None:
            self._later(delay, lambda: self.s.engine.cancel_all(acct, sym))
            return web.Response(status=202)
        return json_response([order_json(o) for o in self.s.engine.cancel_all(acct, sym)])

    def _later(self, delay: float, fn) -> None:
        def run() -> None:
            try:
                fn()
            except ApiError:
                pass  # the order closed meanwhile
        asyncio.get_running_loop().call_later(delay, run)

    # ------------------------------------------------------------------ history
    def _page(self, rows: list, params) -> Tuple[list, dict]:
        limit = _int_param(params, "limit", 100, 1, 1000)
        offset = _int_param(params, "offset", 0, 0)
        direction = params.get("sortDirection", "Desc")
        if direction not in ("Asc", "Desc"):
            raise parse_error("sortDirection", "expected Asc or Desc")
        if direction == "Desc":
            rows = list(reversed(rows))
        page = rows[offset:offset + limit]
        total = len(rows)
        headers = {"X-PAGE-COUNT": str((total + limit - 1) // limit), "X-CURRENT-PAGE": str(offset // limit + 1),
                   "X-PAGE-SIZE": str(limit), "X-TOTAL": str(total)}
        return page, headers

    async def history_orders(self, request):
        acct, params = await self._auth(request)
        rows = self.s.engine.history[acct.id]
        lag_us = self.s.switches.history_lag_ms * 1000
        if lag_us:
            seen_us = self.s.clock.now_us() - lag_us
            rows = [o for o in rows if max(o.created_us, o.closed_us or 0) <= seen_us]
        if params.get("orderId"):
            rows = [o for o in rows if o.id == params["orderId"]]
        if params.get("symbol"):
            rows = [o for o in rows if o.symbol == params["symbol"]]
        page, headers = self._page(rows, params)
        return json_response([history_order_json(o) for o in page], headers=headers)

    async def history_fills(self, request):
        acct, params = await self._auth(request)
        rows = self.s.engine.account_fills[acct.id]
        lag_us = self.s.switches.history_lag_ms * 1000
        if lag_us:
            seen_us = self.s.clock.now_us() - lag_us
            rows = [r for r in rows if r[0].time_us <= seen_us]
        fill_type = params.get("fillType")
        if fill_type and fill_type != "User":
            rows = []  # the sandbox has no system (liquidation/ADL/conversion) fills
        if params.get("orderId"):
            rows = [r for r in rows if r[1] == params["orderId"]]
        if params.get("symbol"):
            rows = [r for r in rows if r[0].symbol == params["symbol"]]
        frm = _int_param(params, "from", None, 0)
        to = _int_param(params, "to", None, 0)
        if frm is not None:
            rows = [r for r in rows if r[0].time_us // 1000 >= frm]
        if to is not None:
            rows = [r for r in rows if r[0].time_us // 1000 < to]
        page, headers = self._page(rows, params)
        return json_response([fill_history_json(f, acct.id, oid) for f, oid in page], headers=headers)


def _fmt(value) -> str:
    if not value:
        return "0"
    return format(value.normalize(), "f")
