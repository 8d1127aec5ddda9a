"""REST budget: steady-state REST requests per minute, by route, while Hummingbot's ``pure_market_making`` quotes N
pairs with one connector, ours and the shipped one at the same time, each on its own sandbox child (background
traders on at ``flow_pace``, taker speed bump on: the sandbox default, §5.5; fills arrive). Ours runs with the
default settings (``"ours"``) and, in a run of its own beside another shipped run, alone on its key (``"ours_alone"``:
``backpack_cancel_by_market`` on, a market's cancels of one tick as one ``DELETE /api/v1/orders``, §5.8).

One ``PureMarketMakingStrategy`` per pair on the connector's clock, with the values of this checkout's PMM template
(``backpack_harness.strategies.PMM_TEMPLATE``: 0.15 % spreads, 0.02 % refresh tolerance) at the demo's sandbox pace
(``PMM_PACE``: refresh 5 s, 3 s after a fill, max order age 60 s) and an order amount a few times each market's
minimum. After ``warmup_s`` (start, books, first quotes) the
sandbox's ``/_sandbox/stats`` ``requestsByRoute`` is read twice, ``measure_s`` apart: the difference per minute is
the connector's steady state (the background traders call the engine directly, never REST). Routes under
``/history/`` are the history routes (fills and orders history, §4.9).
"""
import asyncio
import os
import time
from decimal import Decimal
from typing import Any, Callable, Dict, List, Optional, Sequence

from backpack_bench import live
from hummingbot.core.event.event_listener import EventListener
from hummingbot.core.event.events import MarketEvent
from hummingbot.core.web_assistant.connections.connections_factory import ConnectionsFactory

#: Order amount per base asset (a few times the sandbox market's minimum, ~15–20 USDC); TOKENn markets: 10.
ORDER_AMOUNTS = {"SOL": Decimal("0.1"), "BTC": Decimal("0.0002"), "ETH": Decimal("0.005")}
TOKEN_AMOUNT = Decimal("10")
TOKEN_BALANCE = "100000"


def make_ours_alone(process, api_key: str, secret: str, trading_pairs: List[str]):
    """Ours with ``backpack_cancel_by_market`` on (a bot alone on its key)."""
    from hummingbot.connector.exchange.backpack import backpack_constants as CONSTANTS
    from hummingbot.connector.exchange.backpack.backpack_exchange import BackpackExchange
    os.environ[CONSTANTS.SANDBOX_URL_ENV] = process.rest_url
    return BackpackExchange(backpack_api_key=api_key, backpack_api_secret=secret, trading_pairs=trading_pairs,
                            domain=CONSTANTS.SANDBOX_DOMAIN, backpack_cancel_by_market=True)


#: Connectors a budget run can build: ours with default settings, ours alone on its key, the shipped connector.
MAKERS: Dict[str, Callable] = {"ours": live.MAKERS["ours"], "ours_alone": make_ours_alone,
                               "upstream": live.MAKERS["upstream"]}
KINDS = tuple(MAKERS)


def is_history(route: str) -> bool:
    return "/history/" in route


def is_cancel(route: str) -> bool:
    """Order cancels (§5.7, §5.8): one per order the strategy cancels, whatever the connector."""
    return route.startswith("DELETE /api/v1/order")


class _Count(EventListener):
    def __init__(self) -> None:
        super().__init__()
        self.n = 0

    def __call__(self, event) -> None:
        self.n += 1


async def pmm_settings() -> Dict[str, Any]:
    """The PMM template's values with the sandbox pace of the demo (``PMM_PACE``) on top, as
    ``PureMarketMakingStrategy.init_params`` keywords (spreads as fractions)."""
    from backpack_harness.strategies import PMM_PACE, PMM_TEMPLATE
    from hummingbot.client.config.config_helpers import load_strategy_config_map_from_file
    config = await load_strategy_config_map_from_file(PMM_TEMPLATE)

    def value(key: str) -> Decimal:
        return Decimal(str(PMM_PACE.get(key, config[key].value)))
    return {"bid_spread": value("bid_spread") / 100, "ask_spread": value("ask_spread") / 100,
            "order_refresh_time": float(value("order_refresh_time")), "max_order_age": float(value("max_order_age")),
            "order_refresh_tolerance_pct": value("order_refresh_tolerance_pct") / 100,
            "filled_order_delay": float(value("filled_order_delay"))}


def make_strategies(connector, trading_pairs: Sequence[str], settings: Dict[str, Any]) -> List[Any]:
    from hummingbot.strategy.market_trading_pair_tuple import MarketTradingPairTuple
    from hummingbot.strategy.pure_market_making import PureMarketMakingStrategy
    out = []
    for pair in trading_pairs:
        base, quote = pair.split("-")
        strategy = PureMarketMakingStrategy()
        strategy.init_params(market_info=MarketTradingPairTuple(connector, pair, base, quote),
                             order_amount=ORDER_AMOUNTS.get(base, TOKEN_AMOUNT), **settings)
        out.append(strategy)
    return out


def per_minute(before: Dict[str, int], after: Dict[str, int], seconds: float) -> Dict[str, float]:
    """Route → requests per minute between two ``requestsByRoute`` readings (routes with none left out)."""
    out = {}
    for route, n in after.items():
        delta = n - before.get(route, 0)
        if delta:
            out[route] = delta * 60.0 / seconds
    return dict(sorted(out.items()))


async def one_run(kind: str, pairs: int, warmup_s: float, measure_s: float, flow_pace: float = 2.0,
                  depth_rate: float = 5.0) -> Dict[str, Any]:
    """``{"per_min", "history_per_min", "cancel_per_min", "by_route", "fills", "http429", "seconds"}`` of one
    connector quoting
    ``pairs`` pairs (``kind``: a ``MAKERS`` key) on a fresh sandbox child."""
    trading_pairs = live.sandbox_pairs(pairs)
    balances = dict(live.BALANCES, **{p.split("-")[0]: TOKEN_BALANCE for p in trading_pairs
                                      if p.startswith("TOKEN")})
    settings = await pmm_settings()
    async with live.sandbox(pairs=pairs, flow=True, extra_args=[
            "--flow-pace", str(flow_pace), "--depth-rate", str(depth_rate)]) as process:
        account = await live.new_account(process, balances)
        connector = MAKERS[kind](process, account["apiKey"], account["secret"], trading_pairs)
        fills = _Count()
        connector.add_listener(MarketEvent.OrderFilled, fills)
        async with live.running(connector, iterators=make_strategies(connector, trading_pairs, settings),
                                close_sessions=False):
            await asyncio.sleep(warmup_s)
            before = await live.sandbox_stats(process)
            fills_before = fills.n
            start = time.monotonic()
            await asyncio.sleep(measure_s)
            after = await live.sandbox_stats(process)
            seconds = time.monotonic() - start
            filled = fills.n - fills_before
    by_route = per_minute(before["requestsByRoute"], after["requestsByRoute"], seconds)
    return {"per_min": sum(by_route.values()),
            "history_per_min": sum(v for route, v in by_route.items() if is_history(route)),
            "cancel_per_min": sum(v for route, v in by_route.items() if is_cancel(route)),
            "by_route": by_route, "fills": filled, "http429": after["http429"] - before["http429"],
            "seconds": seconds}


async def run_budget(pair_counts: Sequence[int], warmup_s: float, measure_s: float,
                     log: Callable[[str], None] = print, flow_pace: float = 2.0, depth_rate: float = 5.0,
                     alone_pair_counts: Optional[Sequence[int]] = None) -> Dict[str, Dict[str, Any]]:
    """For each pair count (in turn), ours and the shipped connector at the same time (each its own sandbox); then,
    for ``alone_pair_counts`` (default: the largest count), ours alone on its key beside another shipped run. (Our
    sandbox URL is one per process, ``BACKPACK_SANDBOX_URL``: two of ours cannot run at once on two sandboxes.)

    :returns: ``{"<n>": {"ours": one_run(...), "upstream": one_run(...)}}``, plus ``"ours_alone"`` and
        ``"upstream_alone"`` (the shipped run made with it) for the alone pair counts.
    """
    alone_counts = set(alone_pair_counts if alone_pair_counts is not None else [max(pair_counts)])
    out: Dict[str, Dict[str, Any]] = {}
    for n in pair_counts:
        out[str(n)] = runs = await _together(("ours", "upstream"), n, warmup_s, measure_s, flow_pace, depth_rate)
        ours, upstream = runs["ours"], runs["upstream"]
        log(f"  REST budget, {n} pair(s): ours {ours['per_min']:.1f}/min ({ours['history_per_min']:.1f} history, "
            f"{ours['fills']} fills) / shipped {upstream['per_min']:.1f}/min ({upstream['history_per_min']:.1f} "
            f"history, {upstream['fills']} fills)")
        if n not in alone_counts:
            continue
        alone_runs = await _together(("ours_alone", "upstream"), n, warmup_s, measure_s, flow_pace, depth_rate)
        runs["ours_alone"], runs["upstream_alone"] = alone, upstream = alone_runs["ours_alone"], alone_runs["upstream"]
        log(f"  REST budget, {n} pair(s): ours alone on key {alone['per_min']:.1f}/min ({alone['fills']} fills) / "
            f"shipped {upstream['per_min']:.1f}/min ({upstream['fills']} fills)")
    return out


async def _together(kinds: Sequence[str], n: int, warmup_s: float, measure_s: float, flow_pace: float,
                    depth_rate: float) -> Dict[str, Dict[str, Any]]:
    try:
        runs = await asyncio.gather(*(one_run(kind, n, warmup_s, measure_s, flow_pace, depth_rate) for kind in kinds))
    finally:
        await ConnectionsFactory().close()
    return dict(zip(kinds, runs))
