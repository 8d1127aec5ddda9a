"""Auto-lend (U5): lend positions, the account's ``autoLend`` setting and redemption at placement under both
readings of switch ``lend_redeem`` (``flag``: only orders with ``autoLendRedeem: true``; ``always``)."""
from __future__ import annotations

from decimal import Decimal

import pytest

from backpack_sandbox.__main__ import build_parser
from backpack_sandbox.config import SandboxConfig

from .sandbox_client import SignedClient, control

pytestmark = pytest.mark.asyncio


def bid(price, qty, **kw):
    return {"symbol": "SOL_USDC", "side": "Bid", "orderType": "Limit", "price": price, "quantity": qty, **kw}


async def test_account_and_positions_show_auto_lend_and_lent_funds(make_sandbox, session):
    sb = await make_sandbox()
    keys = sb.add_account({"USDC": "100"}, lent={"USDC": "900"}, auto_lend=True)
    plain = sb.add_account({"USDC": "100"})
    c = SignedClient(session, sb.rest_url, keys.api_key, keys.secret)
    status, account = await c.call("GET", "/api/v1/account")
    assert status == 200 and account["autoLend"] is True
    status, account = await SignedClient(session, sb.rest_url, plain.api_key, plain.secret).call(
        "GET", "/api/v1/account")
    assert account["autoLend"] is False
    status, positions = await c.call("GET", "/api/v1/borrowLend/positions")
    assert [(p["symbol"], p["netQuantity"]) for p in positions] == [("USDC", "900")]
    status, view = await control(session, "GET", sb.rest_url + f"/_sandbox/accounts/{keys.api_key}")
    assert view["autoLend"] is True and view["balances"]["USDC"]["lent"] == "900"
    assert all(row["diff"] == "0" for row in (await control(session, "GET",
                                                            sb.rest_url + "/_sandbox/conservation"))[1].values())


@pytest.mark.parametrize("mode", ["flag", "always"])
async def test_redemption_at_placement(make_sandbox, session, mode):
    sb = await make_sandbox(lend_redeem=mode)
    keys = sb.add_account({"USDC": "100"}, lent={"USDC": "900"}, auto_lend=True)
    c = SignedClient(session, sb.rest_url, keys.api_key, keys.secret)
    status, answer = await c.call("POST", "/api/v1/order", bid("100", "3"))    # needs 300: 200 short
    if mode == "flag":
        assert status == 400 and answer["code"] == "INSUFFICIENT_FUNDS"
        assert sb.account(keys.api_key).lent == {"USDC": Decimal("900")}
    else:
        assert status == 200 and answer["status"] == "New"
    status, answer = await c.call("POST", "/api/v1/order", bid("100", "4", autoLendRedeem=True))
    assert status == 200
    acct = sb.account(keys.api_key)
    redeemed = Decimal("300") if mode == "flag" else Decimal("600")
    assert acct.lent == {"USDC": Decimal("900") - redeemed}
    assert acct.available["USDC"] == 0 and acct.redeemed == {"USDC": redeemed}
    assert acct.total("USDC") == Decimal("1000")
    # Not enough even with the whole lend position: refused, nothing redeemed.
    status, answer = await c.call("POST", "/api/v1/order", bid("100", "20", autoLendRedeem=True))
    assert status == 400 and answer["code"] == "INSUFFICIENT_FUNDS"
    assert acct.lent == {"USDC": Decimal("900") - redeemed}
    status, positions = await c.call("GET", "/api/v1/borrowLend/positions")
    assert [p["netQuantity"] for p in positions] == [str(Decimal("900") - redeemed)]
    status, conservation = await control(session, "GET", sb.rest_url + "/_sandbox/conservation")
    assert all(Decimal(row["diff"]) == 0 for row in conservation.values())


async def test_switch_config_cli_control(make_sandbox, session):
    sb = await make_sandbox()
    assert sb.switches.lend_redeem == "flag"
    status, body = await control(session, "POST", sb.rest_url + "/_sandbox/switches", {"lend_redeem": "always"})
    assert status == 200 and body["switches"]["lend_redeem"] == "always" and sb.engine.switches.lend_redeem == "always"
    status, _ = await control(session, "POST", sb.rest_url + "/_sandbox/switches", {"lend_redeem": "never"})
    assert status == 400
    with pytest.raises(ValueError):
        SandboxConfig(lend_redeem="sometimes")
    args = build_parser().parse_args(["serve", "--lend-redeem", "always", "--lent", "USDC=9000", "--auto-lend"])
    assert (args.lend_redeem, args.lent, args.auto_lend) == ("always", {"USDC": "9000"}, True)
    sb = await make_sandbox(demo_balances={"USDC": "1000"}, demo_lent={"USDC": "9000"}, demo_auto_lend=True)
    assert sb.demo is not None
    demo = sb.account(sb.demo.api_key)
    assert demo.auto_lend and demo.lent == {"USDC": Decimal("9000")}
