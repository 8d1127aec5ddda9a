"""REST budget: per-minute arithmetic, and one short end-to-end run of both connectors quoting a pair (pure market
making on a sandbox child with background traders). No timing is asserted."""
import asyncio
from decimal import Decimal

import pytest

from backpack_bench import budget
from backpack_bench.upstream import upstream_dir


def test_per_minute_counts_only_routes_with_requests_in_between():
    before = {"GET /api/v1/capital": 10, "POST /api/v1/order": 4}
    after = {"GET /api/v1/capital": 10, "POST /api/v1/order": 10, "GET /wapi/v1/history/fills": 3}
    assert budget.per_minute(before, after, 30.0) == {"GET /wapi/v1/history/fills": 6.0, "POST /api/v1/order": 12.0}
    assert budget.is_history("GET /wapi/v1/history/fills") and not budget.is_history("GET /api/v1/orders")
    assert budget.is_cancel("DELETE /api/v1/order") and budget.is_cancel("DELETE /api/v1/orders")
    assert not budget.is_cancel("POST /api/v1/order") and not budget.is_cancel("GET /api/v1/orders")


def test_ours_alone_on_key_is_ours_with_cancel_by_market_on(monkeypatch):
    from types import SimpleNamespace

    import hummingbot.connector.exchange.backpack.backpack_constants as CONSTANTS
    monkeypatch.setenv(CONSTANTS.SANDBOX_URL_ENV, "http://127.0.0.1:1")
    process = SimpleNamespace(rest_url="http://127.0.0.1:1")
    key, secret = "iojj3XQJ8ZX9UtstPLpdcspnCb8dlBIb83SIAbQPb1w=", "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE="

    async def build():  # a connector is built on a running loop, as in the bench
        return [budget.MAKERS[kind](process, key, secret, ["SOL-USDC"]) for kind in ("ours_alone", "ours")]
    alone, ours = asyncio.run(build())
    assert alone._cancel_batcher.enabled and not ours._cancel_batcher.enabled
    assert budget.KINDS == ("ours", "ours_alone", "upstream")


def test_pmm_settings_are_the_templates_at_the_demo_pace():
    settings = asyncio.run(budget.pmm_settings())
    assert settings["bid_spread"] == settings["ask_spread"] == Decimal("0.0015")
    assert settings["order_refresh_time"] == 5.0 and settings["filled_order_delay"] == 3.0


@pytest.mark.e2e
@pytest.mark.skipif(not (upstream_dir() / "backpack_exchange.py").is_file(),
                    reason="the shipped connector is not installed")
def test_budget_run_counts_each_connectors_requests_by_route():
    results = asyncio.run(budget.run_budget([1], warmup_s=4.0, measure_s=12.0, log=lambda _: None))
    for kind in ("ours", "upstream", "ours_alone", "upstream_alone"):
        run = results["1"][kind]
        assert run["per_min"] == pytest.approx(sum(run["by_route"].values())) and run["per_min"] > 0
        assert run["cancel_per_min"] <= run["per_min"]
        assert run["http429"] == 0 and run["seconds"] >= 12.0   # both poll a status route every 10 s
