"""Control endpoints under ``/_sandbox/`` (no auth; loopback clients only). Shapes:

- ``POST /_sandbox/faults`` body ``{"kind": <fault kind>, ...params}`` → ``{"ok": true, "fault": {...}}``
  (kinds/params: faults.py). ``DELETE /_sandbox/faults[?kind=K]`` clears; ``GET /_sandbox/faults`` lists.
- ``GET /_sandbox/stats`` → ``{"requests", "requestsByStatus", "http429", "wsConnections", "wsConnectionsTotal",
  "wsFramesSent", "wsFramesDropped", "wsRefused", "wsPublicFramesByKind": {"depth": n, ...}, "requestsByRoute":
  {"METHOD /path": n}, "http429ByRoute", "http429RateLimitedByRoute" (429s of the rate limits only),
  "requestsByKey": {apiKey: {"METHOD /path": n}}, "faults": {kind: {"injected", "hits"}}, "activeFaults": [...],
  "orders", "fills", "accounts", "speedBump": {"ms", "held", "passed"}}``.
- ``POST /_sandbox/accounts`` body ``{"balances": {"SOL": "100"}, "secret"?: b64 seed, "feeMakerBps"?,
  "feeTakerBps"?, "lent"?: {"USDC": "50"}, "autoLend"?: bool}`` → ``{"apiKey", "secret", "accountId"}``.
- ``GET /_sandbox/accounts/{apiKey}`` (URL-encode the key) → ``{"accountId", "apiKey", "autoLend", "balances":
  {asset: {"available", "locked", "lent" (when lent)}}, "redeemed": {asset: amount}, "feesPaid": {asset: amount},
  "makerFeeBps", "takerFeeBps"}``.
- ``GET /_sandbox/accounts/{apiKey}/fills`` → ledger entries (models.Fill.to_json) of that account.
- ``GET /_sandbox/accounts/{apiKey}/orders`` → every order of the account (§5.11 history shape, final state).
- ``GET /_sandbox/accounts/{apiKey}/scorecard[?since=S&until=S&bandBps=N]`` → the account's maker scorecard as the
  exchange sees it (scorecard.py: window in s, default from its first order event to now; band default 100 bps);
  ``server.scorecard(api_key, since_s, until_s, band_bps)``.
- ``GET /_sandbox/accounts/{apiKey}/brokers`` → ``{orderId: {"placed", "cancelled"}}``: the ``X-Broker-Id`` header
  of the request that placed / cancelled each order (``null`` when absent); ``server.broker_ids(api_key)``.
- ``POST /_sandbox/events`` body ``{"apiKey", "event": {...}, "stream"?: "account.orderUpdate"}`` → injects a raw
  private event (``E``/``T`` filled with now µs when absent), e.g. ``triggerPlaced``/``triggerFailed``/
  ``orderModified``.
- ``POST /_sandbox/price`` body ``{"symbol", "mid"}`` → moves the flow's mid for that market (requotes now).
- ``GET /_sandbox/conservation`` → per-asset ``{"deposits","balances","fees","diff"}``.
- ``GET /_sandbox/switches`` → ``{switch: value}``; ``POST /_sandbox/switches`` body ``{switch: value, ...}`` sets
  them (switches.py) → ``{"ok": true, "switches": {...}}``.
- ``POST /_sandbox/speed-bump`` body ``{"ms": N}`` (0 = off) / ``GET /_sandbox/speed-bump`` → ``{"ms", "held",
  "passed"}`` (taker speed bump, speedbump.py).
"""
from __future__ import annotations

import json
from urllib.parse import unquote

from aiohttp import web

from .auth import normalize_api_key
from .errors import ApiError, bad_request
from .scorecard import DEFAULT_BAND_BPS
from .switches import check_switch
from .views import history_order_json

LOOPBACK = ("127.0.0.1", "::1", "localhost")


def _json(data, status: int = 200) -> web.Response:
    return web.Response(text=json.dumps(data, separators=(",", ":"), default=str), status=status,
                        content_type="application/json")


def _err(status: int, message: str) -> web.Response:
    return _json({"code": "INVALID_CLIENT_REQUEST", "message": message}, status)


class ControlApi:
    def __init__(self, server) -> None:
        self.s = server

    def setup(self, app: web.Application) -> None:
        r = app.router
        r.add_post("/_sandbox/faults", self._wrap(self.add_fault))
        r.add_delete("/_sandbox/faults", self._wrap(self.clear_faults))
        r.add_get("/_sandbox/faults", self._wrap(self.list_faults))
        r.add_get("/_sandbox/stats", self._wrap(self.stats))
        r.add_get("/_sandbox/conservation", self._wrap(self.conservation))
        r.add_post("/_sandbox/accounts", self._wrap(self.create_account))
        r.add_get("/_sandbox/accounts/{tail:.+}", self._wrap(self.account_get))
        r.add_post("/_sandbox/events", self._wrap(self.inject_event))
        r.add_post("/_sandbox/price", self._wrap(self.move_price))
        r.add_get("/_sandbox/switches", self._wrap(self.get_switches))
        r.add_post("/_sandbox/switches", self._wrap(self.set_switches))
        r.add_post("/_sandbox/speed-bump", self._wrap(self.set_speed_bump))
        r.add_get("/_sandbox/speed-bump", self._wrap(self.get_speed_bump))

    def _wrap(self, fn):
        async def handler(request: web.Request) -> web.StreamResponse:
            if self.s.config.control_loopback_only and request.remote not in LOOPBACK:
                return _json({"code": "FORBIDDEN", "message": "control endpoints are loopback only"}, 403)
            try:
                return await fn(request)
            except ApiError as e:
                return _json(e.body(), e.status)
            except (ValueError, TypeError, KeyError) as e:
                return _err(400, f"bad control request: {e}")
        return handler

    async def _body(self, request: web.Request) -> dict:
        try:
            body = await request.json()
        except ValueError:
            raise bad_request("Invalid JSON body")
        if not isinstance(body, dict):
            raise bad_request("Body must be a JSON object")
        return body

    async def add_fault(self, request):
        body = await self._body(request)
        kind = body.pop("kind", None)
        if not isinstance(kind, str):
            raise bad_request("missing fault kind")
        return _json({"ok": True, "fault": self.s.faults.inject(kind, **body)})

    async def clear_faults(self, request):
        self.s.faults.clear(request.query.get("kind"))
        return _json({"ok": True})

    async def list_faults(self, request):
        return _json({"active": self.s.faults.active(), "counts": self.s.faults.counts()})

    async def stats(self, request):
        return _json(self.s.stats_json())

    async def conservation(self, request):
        return _json({a: {k: str(v) for k, v in row.items()} for a, row in self.s.engine.conservation().items()})

    async def create_account(self, request):
        body = await self._body(request)
        keys = self.s.add_account(balances=body.get("balances") or {}, secret_b64=body.get("secret"),
                                  fee_maker_bps=body.get("feeMakerBps"), fee_taker_bps=body.get("feeTakerBps"),
                                  lent=body.get("lent"), auto_lend=bool(body.get("autoLend", False)))
        return _json({"apiKey": keys.api_key, "secret": keys.secret, "accountId": keys.account_id})

    def _account(self, raw: str):
        key = normalize_api_key(raw)
        acct = self.s.engine.by_key.get(key) if key else None
        if acct is None and raw.isdigit():
            acct = self.s.engine.accounts.get(int(raw))
        if acct is None:
            raise ApiError(404, "RESOURCE_NOT_FOUND", "Not Found")
        return acct

    async def account_get(self, request):
        tail = unquote(request.match_info["tail"])
        sub = None
        for suffix in ("/fills", "/orders", "/brokers", "/scorecard"):
            if tail.endswith(suffix):
                tail, sub = tail[: -len(suffix)], suffix[1:]
        acct = self._account(tail)
        engine = self.s.engine
        if sub == "fills":
            rows = [f.to_json() for f in engine.ledger if acct.id in (f.buyer_account, f.seller_account)]
            return _json(rows)
        if sub == "brokers":
            return _json(self.s.broker_ids(acct.api_key))
        if sub == "scorecard":
            return _json(self.s.scorecard(acct.api_key, *self._window(request),
                                          request.query.get("bandBps", DEFAULT_BAND_BPS)))
        if sub == "orders":
            return _json([history_order_json(o) for o in engine.history[acct.id]])
        return _json({
            "accountId": acct.id, "apiKey": acct.api_key, "autoLend": acct.auto_lend,
            "balances": {a: {"available": str(acct.available.get(a, 0)), "locked": str(acct.locked.get(a, 0)),
                             **({"lent": str(acct.lent[a])} if a in acct.lent else {})}
                         for a in sorted(set(acct.assets()) | set(acct.lent))},
            "redeemed": {a: str(v) for a, v in acct.redeemed.items()},
            "feesPaid": {a: str(v) for a, v in acct.fees_paid.items()},
            "makerFeeBps": str(acct.maker_bps), "takerFeeBps": str(acct.taker_bps),
        })

    @staticmethod
    def _window(request: web.Request):
        def seconds(name: str):
            raw = request.query.get(name)
            if raw is None:
                return None
            value = float(raw)
            if value != value or value in (float("inf"), float("-inf")):
                raise ValueError(f"{name} must be a finite number of seconds")
            return value
        return seconds("since"), seconds("until")

    async def inject_event(self, request):
        body = await self._body(request)
        acct = self._account(str(body.get("apiKey", "")))
        event = body.get("event")
        if not isinstance(event, dict):
            raise bad_request("event must be an object")
        stream = body.get("stream", "account.orderUpdate")
        if not isinstance(stream, str) or not stream.startswith("account."):
            raise bad_request("stream must be an account.* stream")
        event = dict(event)
        now = self.s.clock.now_us()
        event.setdefault("E", now)
        if stream != "account.balanceUpdate":
            event.setdefault("T", now)
        self.s.hub.publish_private(acct.id, stream, event, event.get("s"))
        return _json({"ok": True})

    async def get_switches(self, request):
        return _json(self.s.switches.as_json())

    async def set_switches(self, request):
        body = await self._body(request)
        for name, value in body.items():
            check_switch(name, value)
        for name, value in body.items():
            self.s.switches.set(name, value)
        return _json({"ok": True, "switches": self.s.switches.as_json()})

    async def move_price(self, request):
        body = await self._body(request)
        symbol = body.get("symbol")
        if symbol not in self.s.engine.specs:
            raise bad_request("Invalid market symbol")
        mid = self.s.set_mid(symbol, str(body.get("mid")))
        return _json({"ok": True, "symbol": symbol, "mid": mid})

    async def set_speed_bump(self, request):
        body = await self._body(request)
        self.s.speed_bump.set(body["ms"])
        return _json({"ok": True, **self.s.speed_bump.to_json()})

    async def get_speed_bump(self, request):
        return _json(self.s.speed_bump.to_json())
