"""``SandboxServer``: wires config, clock, engine, auth, REST, WS, faults, flow and replay into one
aiohttp application on ``config.host:config.port`` (REST ``/api/v1``, ``/wapi/v1``; WS ``/ws``;
control ``/_sandbox``)."""
from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Dict, Iterator, List, Mapping, Optional

from aiohttp import web

from .auth import Verifier, keypair_from_secret
from .candles import CandleStore
from .clock import Clock
from .config import SandboxConfig
from .control import ControlApi
from .engine import Engine
from .faults import Faults, parse_fault_spec
from .flow import FlowDriver
from .makers import MarketFlow
from .marketdata import MarketData
from .markets import PERP_MARKETS, MarketSpec, build_markets
from .ratelimit import SlidingWindow
from .replay import ReplayFeed, capture_symbols
from .rest import RestApi, make_middleware
from .scorecard import DEFAULT_BAND_BPS, ScorecardRecorder
from .speedbump import SpeedBump
from .stats import Stats
from .switches import Switches
from .tasks import cancel_and_wait
from .ws import WsHub

log = logging.getLogger("backpack_sandbox")


@dataclass
class AccountKeys:
    """Credentials of a sandbox account. Unpacks as ``(api_key, secret)``; the secret is not in repr."""

    api_key: str
    secret: str = field(repr=False)
    account_id: int = 0

    @property
    def api_key_b64(self) -> str:
        return self.api_key

    @property
    def secret_b64(self) -> str:
        return self.secret

    def __iter__(self) -> Iterator[str]:
        return iter((self.api_key, self.secret))


class SandboxServer:
    """A local Backpack-protocol exchange. ``await start()`` / ``await stop()``; see docs/sandbox.md."""

    def __init__(self, config: Optional[SandboxConfig] = None) -> None:
        self.config = cfg = config or SandboxConfig()
        self.clock = Clock(cfg.clock_offset_ms)
        symbols = list(cfg.markets)
        if cfg.replay_file:
            symbols += [s for s in capture_symbols(cfg.replay_file) if s not in symbols]
        self.specs = build_markets(symbols, cfg.extra_markets)
        self.engine = Engine(self.specs, self.clock, cfg.post_only_mode, cfg.fee_maker_bps, cfg.fee_taker_bps)
        self.verifier = Verifier(cfg.default_window_ms, cfg.max_window_ms)
        self.stats = Stats()
        self.faults = Faults(random.Random(cfg.seed * 7919 + 3))
        self.switches = Switches(balance_stream=cfg.balance_stream if cfg.balance_updates else "off",
                                 lend_redeem=cfg.lend_redeem,
                                 ticker_204_without_trades=cfg.ticker_204_without_trades,
                                 history_rate_limited=cfg.history_rate_limited, history_lag_ms=cfg.history_lag_ms,
                                 ws_refuse=cfg.ws_refuse, batch_rate_weight=cfg.batch_rate_weight)
        self.engine.switches = self.switches
        self.faults.set_clock_offset = self._set_clock_offset
        self.faults.on_skip_depth = lambda symbol, count: self.engine.skip_update_ids(symbol, count)
        self.limiter = SlidingWindow(cfg.rate_limit, cfg.rate_window_s)
        self.hist_limiter = SlidingWindow(cfg.historical_rate_limit, cfg.rate_window_s)
        self.speed_bump = SpeedBump(cfg.taker_speed_bump_ms)
        self.hub = WsHub(cfg, self.clock, self.engine, self.verifier, self.faults, self.stats,
                         random.Random(cfg.seed * 7919 + 5), switches=self.switches)
        self.faults.on_drop_ws = self.hub.drop
        self.engine.listeners.append(self.hub)
        self.engine.pad_ws_numbers = cfg.ws_pad_numbers
        self.engine.price_bands = cfg.price_bands
        self.replay: Optional[ReplayFeed] = None
        self.candles = CandleStore()
        self.engine.listeners.append(self.candles)
        self.scorecards = ScorecardRecorder(self.engine)
        self.engine.listeners.append(self.scorecards)
        self.hub.candles = self.candles
        self.market_data = MarketData(self.engine, candles=self.candles)
        self.hub.ticker_stats = self.market_data.ticker
        self.flow: Optional[FlowDriver] = None
        self.demo: Optional[AccountKeys] = None
        self.mids = {s.symbol: s.initial_mid for s in self.specs}
        self._runner: Optional[web.AppRunner] = None
        self._tasks: List[asyncio.Task] = []
        self.port: Optional[int] = None

    # ------------------------------------------------------------------ urls
    @property
    def rest_url(self) -> str:
        return f"http://{self._url_host()}:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://{self._url_host()}:{self.port}/ws"

    def _url_host(self) -> str:
        host = self.config.host
        if host in ("0.0.0.0", ""):
            return "127.0.0.1"
        return f"[{host}]" if ":" in host else host

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> "SandboxServer":
        cfg = self.config
        app = web.Application(middlewares=[make_middleware(self)], client_max_size=1 << 20)
        RestApi(self).setup(app)
        ControlApi(self).setup(app)
        app.router.add_get("/ws", self.hub.handle)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, cfg.host, cfg.port, reuse_address=True)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        if cfg.demo_balances is not None:
            self.demo = self.add_account(cfg.demo_balances, secret_b64=cfg.demo_secret, api_key_b64=cfg.demo_api_key,
                                         lent=cfg.demo_lent, auto_lend=cfg.demo_auto_lend)
        for spec in cfg.faults:
            params = parse_fault_spec(spec)
            self.faults.inject(params.pop("kind"), **params)
        self.hub.start()
        if cfg.replay_file:
            self.replay = ReplayFeed(cfg.replay_file, self.hub, self.clock, cfg.replay_speed)
            self.replay.on_trade = self.candles.add
            self.market_data.replay = self.replay
            self.hub.suppressed_symbols = set(self.replay.symbols)
            self.replay.start()
        flow_symbols = [s.symbol for s in self.specs if not (self.replay and self.replay.has(s.symbol))]
        if cfg.flow and flow_symbols:
            if cfg.flow_style == "ladder":
                self.flow = FlowDriver(self.engine, flow_symbols, cfg.seed, cfg.flow_pace, cfg.flow_levels)
            else:
                self.flow = MarketFlow(self.engine, flow_symbols, cfg.seed, cfg.flow_pace, cfg.flow_makers,
                                       cfg.depth_rate)
            self.flow.mids.update({s: self.mids[s] for s in flow_symbols})
            self.flow.start(self._internal_account)
        if cfg.empty_depth_diff_s > 0 and flow_symbols:
            self._tasks.append(asyncio.get_running_loop().create_task(self._empty_diffs(flow_symbols)))
        log.info("sandbox listening on %s", self.rest_url)
        return self

    async def stop(self) -> None:
        await cancel_and_wait(self._tasks)
        self._tasks.clear()
        if self.flow is not None:
            await self.flow.stop()
        if self.replay is not None:
            await self.replay.stop()
        await self.hub.stop()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> "SandboxServer":
        return await self.start()

    async def __aexit__(self, *exc) -> None:
        await self.stop()

    async def _empty_diffs(self, symbols: List[str]) -> None:
        """An empty depth diff on a random market, on average every ``empty_depth_diff_s`` per market."""
        rng = random.Random(self.config.seed * 7919 + 11)
        rate = len(symbols) / self.config.empty_depth_diff_s
        while True:
            await asyncio.sleep(rng.expovariate(rate))
            self.engine.empty_depth(rng.choice(symbols))

    # ------------------------------------------------------------------ accounts
    def add_account(
        self,
        balances: Optional[Mapping[str, object]] = None,
        secret_b64: Optional[str] = None,
        fee_maker_bps: Optional[object] = None,
        fee_taker_bps: Optional[object] = None,
        lent: Optional[Mapping[str, object]] = None,
        api_key_b64: Optional[str] = None,
        label: str = "",
        auto_lend: bool = False,
    ) -> AccountKeys:
        """Create an account with ``balances`` (asset → decimal string) and an optional fee tier (bps).

        ``lent``: lend positions (asset → amount, §5.3; deposits that are not available until redeemed);
        ``auto_lend``: the account's ``autoLend`` setting (§5.4).

        ``secret_b64``: base64 ED25519 seed (§2.1); generated when None. ``api_key_b64`` if given must
        match the secret. Returns :class:`AccountKeys` (``api_key``, ``secret``, ``account_id``).
        """
        api_key, secret = keypair_from_secret(secret_b64)
        if api_key_b64 is not None and api_key_b64.strip() != api_key:
            raise ValueError("api key does not match the secret")
        if api_key in self.engine.by_key:
            raise ValueError("an account with this key already exists")
        self.verifier.register(api_key)
        acct = self.engine.create_account(api_key, secret, balances or {}, fee_maker_bps, fee_taker_bps,
                                          label=label, lent=lent, auto_lend=auto_lend)
        return AccountKeys(api_key, secret, acct.id)

    def _internal_account(self, balances, label: str = ""):
        api_key, secret = keypair_from_secret(None)
        return self.engine.create_account(api_key, secret, balances, label=label, internal=True)

    def account(self, api_key: str):
        """The engine :class:`~backpack_sandbox.models.Account` of ``api_key``."""
        return self.engine.by_key[api_key]

    def broker_ids(self, api_key: str) -> Dict[str, Dict[str, Optional[str]]]:
        """Per order id of ``api_key``'s orders: ``{"placed": X-Broker-Id of the placement, "cancelled": of the
        cancel}`` (``None`` when the request had none)."""
        return {o.id: {"placed": o.broker_id, "cancelled": o.cancel_broker_id}
                for o in self.engine.history[self.account(api_key).id]}

    def scorecard(self, api_key: str, since_s: Optional[float] = None, until_s: Optional[float] = None,
                  band_bps: object = DEFAULT_BAND_BPS) -> dict:
        """``api_key``'s maker scorecard as the exchange sees it (``scorecard.py``; window in s, band in bps).

        :raises ValueError: a bad window or band.
        """
        return self.scorecards.view(self.account(api_key).id, since_s, until_s, band_bps)

    # ------------------------------------------------------------------ misc
    def listed_markets(self) -> List[MarketSpec]:
        """Rows of ``GET /api/v1/markets``: the traded spot markets, then the PERP rows (when ``perp_rows``)."""
        return list(self.specs) + (PERP_MARKETS if self.config.perp_rows else [])

    def _set_clock_offset(self, ms: int) -> None:
        self.clock.offset_ms = int(ms)

    def set_mid(self, symbol: str, mid: str) -> str:
        """Move ``symbol``'s mid (quote units); the flow requotes around it at once."""
        value = Decimal(mid)
        if value <= 0:
            raise ValueError("mid must be positive")
        self.mids[symbol] = value
        if self.flow is not None and symbol in self.flow.mids:
            self.flow.set_mid(symbol, value)
        return str(value)

    def stats_json(self) -> dict:
        out = self.stats.to_json()
        out["faults"] = self.faults.counts()
        out["activeFaults"] = self.faults.active()
        out["orders"] = sum(len(v) for v in self.engine.history.values())
        out["fills"] = self.engine.fill_count
        out["accounts"] = len(self.engine.accounts)
        out["speedBump"] = self.speed_bump.to_json()
        return out
