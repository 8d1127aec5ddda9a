"""Exchange profiles of a chaos run (``--profile``, ``make chaos PROFILE=…``): how the sandbox behaves besides the
seeded fault schedule, and how many pairs the load quotes.

- ``default``: today's run. Pure MM on SOL-USDC, the order driver on ETH-USDC; the sandbox's defaults (taker
  speed bump on, every balance event, history unlimited and at once).
- ``pessimistic``: every undocumented reading at its worst at once (``docs/open-questions.md``):
  ``account.balanceUpdate`` refused (U1), ``/wapi/v1/history/*`` in the 30/min bucket per key (U2), history 3 s
  behind (U3), the 100 ms taker speed bump (U4), an auto-lend account with 99.5 % of its USDC lent, redeemed only
  for orders carrying ``autoLendRedeem`` (U5); and 20 pairs quoted: the default two plus 18 synthetic
  ``TOKENn_USDC`` markets, each with a slower order driver. Depth messages per market are cut so that the 20 books
  together carry about the default run's depth traffic.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Tuple

PMM_PAIR, DRIVER_PAIR = "SOL-USDC", "ETH-USDC"
BASE_SYMBOLS = ("SOL_USDC", "ETH_USDC")
BASE_BALANCES = {"SOL": "100", "ETH": "20", "USDC": "100000"}
#: ``--flow-pace 2`` doubles the sandbox's default 20 depth messages a second per market.
BASE_SANDBOX_ARGS = ("--markets", ",".join(BASE_SYMBOLS), "--flow-pace", "2")
#: The history routes (§5.11, §5.12), reported apart from the others.
HISTORY_ROUTE_PREFIX = "/wapi/v1/history/"


@dataclass(frozen=True)
class ExtraPairs:
    """Synthetic ``TOKENn_USDC`` markets the sandbox adds (``--extra-markets``) and the order driver's settings
    on each (``OrderDriver`` keyword arguments: amounts in base units, seconds)."""

    count: int = 0
    base_balance: str = "0"
    driver: Dict[str, object] = field(default_factory=dict)

    @property
    def trading_pairs(self) -> List[str]:
        return [f"TOKEN{n}-USDC" for n in range(1, self.count + 1)]


@dataclass(frozen=True)
class ChaosProfile:
    """One profile: sandbox flags on top of :data:`BASE_SANDBOX_ARGS`, available balances, extra pairs, and
    whether a 429 of the rate limits on a history route fails the run (``history_429_fails``)."""

    name: str
    sandbox_args: Tuple[str, ...] = ()
    balances: Dict[str, str] = field(default_factory=lambda: dict(BASE_BALANCES))
    extra: ExtraPairs = ExtraPairs()
    history_429_fails: bool = False

    @property
    def trading_pairs(self) -> List[str]:
        return [PMM_PAIR, DRIVER_PAIR, *self.extra.trading_pairs]

    @property
    def symbols(self) -> List[str]:
        return [pair.replace("-", "_") for pair in self.trading_pairs]

    def all_sandbox_args(self) -> List[str]:
        extra = ["--extra-markets", str(self.extra.count)] if self.extra.count else []
        return [*BASE_SANDBOX_ARGS, *extra, *self.sandbox_args]

    def all_balances(self) -> Dict[str, str]:
        tokens = {pair.split("-")[0]: self.extra.base_balance for pair in self.extra.trading_pairs}
        return {**self.balances, **tokens}


_PESSIMISTIC_EXTRA = ExtraPairs(count=18, base_balance="2000", driver={
    "interval_s": 5.0, "amounts": ("5", "20"), "hold_s": (5.0, 15.0), "batch_every": 6, "batch_size": 2,
    "max_open": 3})

PROFILES: Dict[str, ChaosProfile] = {
    "default": ChaosProfile("default"),
    "pessimistic": ChaosProfile(
        "pessimistic",
        sandbox_args=("--balance-stream", "refused", "--history-rate-limited", "--history-lag-ms", "3000",
                      "--taker-speed-bump-ms", "100", "--auto-lend", "--lend-redeem", "flag",
                      "--lent", "USDC=99500", "--depth-rate", "2"),
        balances={"SOL": "100", "ETH": "20", "USDC": "500"},
        extra=_PESSIMISTIC_EXTRA,
        history_429_fails=True),
}


def profile(name: str) -> ChaosProfile:
    """:raises ValueError: unknown profile name."""
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(f"unknown chaos profile {name!r}; profiles: {', '.join(PROFILES)}") from None
