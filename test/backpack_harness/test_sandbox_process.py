"""The sandbox child process: start-up handshake, secret kept off the command line, control API views."""
import asyncio
import base64
from pathlib import Path

import pytest

from backpack_harness.headless import new_key_pair
from backpack_harness.sandbox_process import SandboxProcess


def _cmdline(pid):
    return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()


@pytest.mark.e2e
def test_the_child_starts_on_loopback_with_the_secret_only_in_its_environment():
    api_key, secret = new_key_pair()

    async def scenario():
        async with SandboxProcess(api_key=api_key, secret=secret, balances={"SOL": "5", "USDC": "100"},
                                  extra_args=["--no-flow", "--markets", "SOL_USDC"]) as sandbox:
            pid = sandbox._process.pid
            seen = (sandbox.rest_url, sandbox.ws_url, _cmdline(pid), await sandbox.account(),
                    await sandbox.orders(), await sandbox.fills())
        await sandbox.stop()  # a second stop is harmless
        return seen, sandbox._process.returncode

    (rest_url, ws_url, cmdline, account, orders, fills), returncode = asyncio.run(scenario())
    assert rest_url.startswith("http://127.0.0.1:") and ws_url.startswith("ws://127.0.0.1:")
    assert api_key in cmdline and secret not in cmdline
    assert base64.b64decode(secret).hex() not in cmdline
    assert {a: b["available"] for a, b in account["balances"].items()} == {"SOL": "5", "USDC": "100"}
    assert orders == [] and fills == []
    assert returncode is not None


@pytest.mark.e2e
def test_a_child_that_exits_before_ready_raises_with_its_output():
    api_key, secret = new_key_pair()

    async def scenario():
        await SandboxProcess(api_key=api_key, secret=secret, balances={"SOL": "1"},
                             extra_args=["--no-such-flag"]).start()

    with pytest.raises(RuntimeError, match="the sandbox did not start") as raised:
        asyncio.run(scenario())
    assert "--no-such-flag" in str(raised.value)


def test_fills_keep_the_accounts_side_of_each_ledger_entry():
    sandbox = SandboxProcess(api_key="key", secret="s", balances={})
    entry = {"tradeId": 1, "price": "100", "quantity": "2", "buyOrderId": "b", "sellOrderId": "s",
             "buyerAccount": 1, "sellerAccount": 2, "buyerFee": "0.002", "buyerFeeSymbol": "SOL",
             "sellerFee": "0.2", "sellerFeeSymbol": "USDC"}
    ledger = [entry, dict(entry, tradeId=2, buyerAccount=3, sellerAccount=1),
              dict(entry, tradeId=3, buyerAccount=3, sellerAccount=4), dict(entry, tradeId=4, sellerAccount=1)]

    async def control(method, path, payload=None):
        return {"accountId": 1} if path.endswith("/key") else ledger

    sandbox.control = control
    fills = asyncio.run(sandbox.fills())
    assert [(f["tradeId"], f["side"], f["orderId"], f["fee"], f["feeSymbol"]) for f in fills] == [
        (1, "Bid", "b", "0.002", "SOL"), (2, "Ask", "s", "0.2", "USDC"),
        (4, "Bid", "b", "0.002", "SOL"), (4, "Ask", "s", "0.2", "USDC")]


@pytest.mark.e2e
def test_another_account_is_opened_and_read_by_its_own_key():
    """Several bots on one sandbox, each with its own account: views take the account's key."""
    run_key, run_secret = new_key_pair()
    other_key, other_secret = new_key_pair()

    async def scenario():
        async with SandboxProcess(api_key=run_key, secret=run_secret, balances={"USDC": "10"},
                                  extra_args=["--no-flow"]) as sandbox:
            account_id = await sandbox.add_account(other_key, other_secret, {"SOL": "3", "USDC": "500"})
            other, own = await sandbox.account(other_key), await sandbox.account()
            return account_id, other, own, await sandbox.fills(other_key), await sandbox.orders(other_key)

    account_id, other, own, fills, orders = asyncio.run(scenario())
    assert other["accountId"] == account_id != own["accountId"]
    assert other["balances"]["SOL"]["available"] == "3" and own["balances"]["USDC"]["available"] == "10"
    assert fills == [] and orders == []
