"""Configuration of a sandbox instance (:class:`SandboxConfig`)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Optional, Sequence, Tuple

from .switches import check_switch


@dataclass
class SandboxConfig:
    """All knobs of one sandbox. Units are in the field names (``_s`` seconds, ``_ms`` milliseconds).

    Network: ``host``/``port`` (``port=0`` picks a free port; the CLI default is 8765).
    Markets: ``markets`` (symbols, see markets.py) plus ``extra_markets`` synthetic ``TOKENn_USDC``;
    ``perp_rows`` lists the PERP rows of markets.py in ``GET /api/v1/markets`` (never tradable).
    Flow: ``flow`` runs background traders seeded with ``seed``; ``flow_pace`` multiplies their speed (2.0 = twice
    as many actions per second). ``flow_style="market"``: ``flow_makers`` independent makers, ``depth_rate`` depth
    messages a second per market, one diff per requote (makers.py); ``"ladder"``: one maker re-placing a
    ``flow_levels`` ladder level by level about once a second (flow.py).
    Fees: default account fee tier in basis points (§5.4: ``spotMakerFee``/``spotTakerFee``).
    Post-only crossing (§5.5, UNCONFIRMED live): ``post_only_mode="reject"`` answers 400 INVALID_ORDER,
    ``"expire"`` accepts and expires with ``R="PostOnlyTaker"``.
    WS keep-alive (§8.1): protocol ping every ``ping_interval_s``; close after ``idle_timeout_s`` with
    nothing received. ``balance_updates=False`` is ``balance_stream="off"``.
    Switches (switches.py): ``balance_stream`` (U1: ``all``, ``fills``, ``refused``, ``off``); ``lend_redeem``
    (U5: ``flag``, ``always``).
    ``ws_pad_numbers``: WS prices/sizes padded to tick/step (§8.1) or, off, printed as REST does.
    ``price_bands``: enforce each market's price band and market-order impact limit (engine.py).
    ``empty_depth_diff_s``: mean seconds between empty depth diffs per market (§8.2; 0 = never).
    Taker speed bump (U4, §5.5): ``taker_speed_bump_ms`` holds every placement that is not post-only before it
    reaches the engine (default 100 as on Backpack; 0 = off; speedbump.py).
    Rate limits (§7): ``rate_limit`` requests per ``rate_window_s`` per API key (public routes: per
    remote address); ``historical_rate_limit`` per window on ``/klines`` and ``/trades/history``.
    Auth (§2.2): ``default_window_ms`` 5000, ``max_window_ms`` 60000.
    Readings of open questions (``docs/open-questions.md``; live values in ``server.switches``, switches.py):
    ``ticker_204_without_trades`` answers ``GET /api/v1/ticker`` with 204 (no body) for a market without trades in
    the ticker window and leaves it out of ``/tickers`` (§4.5). ``history_rate_limited`` (U2) puts
    ``/wapi/v1/history/*`` in the ``historical_rate_limit`` bucket (per API key), besides the global one.
    ``history_lag_ms`` (U3, 0 = off): an order reaches ``/wapi/v1/history/orders`` only ``history_lag_ms`` after it
    was placed and again after it left the open set (absent in between), a fill reaches ``/wapi/v1/history/fills``
    ``history_lag_ms`` after it happened. ``ws_refuse`` (``off``, ``403``, ``503``): answer every WebSocket upgrade
    with that status (a network that blocks WebSockets). ``batch_rate_weight`` (U8, ``request`` or ``order``): a
    batch placement takes one slot of ``rate_limit`` or one per order it carries.
    Replay (replay.py): ``replay_file`` replaces the synthetic flow for the captured symbols;
    ``replay_speed`` > 1 plays faster.
    Demo account: created at start when ``demo_balances`` is not None, with ``demo_api_key``/
    ``demo_secret`` (generated when None), ``demo_lent`` lend positions (asset → amount) and the ``autoLend``
    setting ``demo_auto_lend``. ``faults``: fault specs applied at start (faults.py).
    """

    host: str = "127.0.0.1"
    port: int = 0
    seed: int = 1
    markets: Sequence[str] = ("SOL_USDC", "BTC_USDC", "ETH_USDC", "SPCX.US_USDC")
    extra_markets: int = 0
    perp_rows: bool = True
    flow: bool = True
    flow_pace: float = 1.0
    flow_levels: int = 10
    flow_style: str = "market"
    flow_makers: int = 3
    depth_rate: float = 20.0
    fee_maker_bps: str = "8"
    fee_taker_bps: str = "10"
    post_only_mode: str = "reject"
    ping_interval_s: float = 60.0
    idle_timeout_s: float = 120.0
    balance_updates: bool = True
    balance_stream: str = "all"
    lend_redeem: str = "flag"
    ws_pad_numbers: bool = True
    empty_depth_diff_s: float = 10.0
    price_bands: bool = True
    taker_speed_bump_ms: float = 100.0
    rate_limit: int = 2000
    historical_rate_limit: int = 30
    rate_window_s: float = 60.0
    default_window_ms: int = 5000
    max_window_ms: int = 60000
    max_batch_orders: int = 50
    clock_offset_ms: int = 0
    replay_file: Optional[str] = None
    replay_speed: float = 1.0
    demo_balances: Optional[Mapping[str, str]] = None
    demo_api_key: Optional[str] = None
    demo_secret: Optional[str] = field(default=None, repr=False)
    demo_lent: Optional[Mapping[str, str]] = None
    demo_auto_lend: bool = False
    faults: Tuple[str, ...] = ()
    ws_send_queue_max: int = 10000
    control_loopback_only: bool = True
    ticker_204_without_trades: bool = False
    history_rate_limited: bool = False
    history_lag_ms: int = 0
    ws_refuse: str = "off"
    batch_rate_weight: str = "request"

    def __post_init__(self) -> None:
        if self.post_only_mode not in ("reject", "expire"):
            raise ValueError("post_only_mode must be 'reject' or 'expire'")
        check_switch("balance_stream", self.balance_stream)
        check_switch("lend_redeem", self.lend_redeem)
        self.ws_refuse = check_switch("ws_refuse", self.ws_refuse)
        self.batch_rate_weight = check_switch("batch_rate_weight", self.batch_rate_weight)
        if self.flow_style not in ("market", "ladder"):
            raise ValueError("flow_style must be 'market' or 'ladder'")
        if isinstance(self.markets, str):
            self.markets = tuple(s for s in self.markets.split(",") if s.strip())
        self.markets = tuple(self.markets)
        self.faults = tuple(self.faults)
