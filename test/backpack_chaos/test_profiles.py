"""The chaos profiles: what each asks of the sandbox and which pairs it quotes (runs: ``test/e2e/test_chaos*.py``)."""
import pytest

from backpack_chaos.profiles import BASE_SANDBOX_ARGS, PROFILES, profile
from backpack_sandbox.__main__ import build_parser


def test_the_default_profile_is_the_run_as_it_was():
    default = profile("default")
    assert default.trading_pairs == ["SOL-USDC", "ETH-USDC"]
    assert default.symbols == ["SOL_USDC", "ETH_USDC"]
    assert default.all_sandbox_args() == list(BASE_SANDBOX_ARGS) == ["--markets", "SOL_USDC,ETH_USDC",
                                                                     "--flow-pace", "2"]
    assert default.all_balances() == {"SOL": "100", "ETH": "20", "USDC": "100000"}
    assert not default.history_429_fails


def test_the_pessimistic_profile_plays_every_reading_at_its_worst_on_20_pairs():
    pessimistic = profile("pessimistic")
    assert len(pessimistic.trading_pairs) == 20 and pessimistic.trading_pairs[:2] == ["SOL-USDC", "ETH-USDC"]
    assert pessimistic.trading_pairs[2:] == [f"TOKEN{n}-USDC" for n in range(1, 19)]
    args = build_parser().parse_args(["serve", *pessimistic.all_sandbox_args()])
    assert (args.balance_stream, args.history_rate_limited, args.history_lag_ms, args.taker_speed_bump_ms,
            args.auto_lend, args.lend_redeem) == ("refused", True, 3000, 100.0, True, "flag")
    assert args.extra_markets == 18 and args.markets == "SOL_USDC,ETH_USDC"
    balances = pessimistic.all_balances()
    assert balances["TOKEN18"] == "2000"
    assert args.lent["USDC"] == "99500" and balances["USDC"] == "500"  # 99.5 % of the USDC lent
    assert pessimistic.history_429_fails


def test_an_unknown_profile_is_refused_with_the_known_ones():
    with pytest.raises(ValueError, match="default, pessimistic"):
        profile("optimistic")
    assert sorted(PROFILES) == ["default", "pessimistic"]
