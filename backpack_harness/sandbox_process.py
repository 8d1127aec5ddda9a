"""Run the sandbox exchange (``python -m backpack_sandbox serve``) as a child process and talk to its control API.

The child gets the run account's API key by flag and its secret through the environment
(``BACKPACK_SANDBOX_SECRET``), so the secret never appears on a command line or in the sandbox's output.
"""
import asyncio
import os
import sys
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional
from urllib.parse import quote, urlencode

import aiohttp

READY_LINE = "READY"
START_TIMEOUT_S = 60.0


@dataclass
class SandboxProcess:
    """Async context manager around the sandbox child process.

    :param api_key: base64 public key of the run's account.
    :param secret: base64 seed of the run's account (passed via the environment only).
    :param balances: starting balances, e.g. ``{"SOL": "100", "USDC": "20000"}``.
    :param extra_args: further ``serve`` flags (``--fault ...``, ``--markets ...``).
    """
    api_key: str
    secret: str
    balances: Dict[str, str]
    seed: int = 1
    extra_args: List[str] = field(default_factory=list)
    rest_url: str = ""
    ws_url: str = ""
    output: List[str] = field(default_factory=list)
    _process: Optional[asyncio.subprocess.Process] = None
    _session: Optional[aiohttp.ClientSession] = None
    _reader: Optional[asyncio.Task] = None

    async def __aenter__(self) -> "SandboxProcess":
        await self.start()
        return self

    async def __aexit__(self, *exc_info) -> None:
        await self.stop()

    @classmethod
    def attach(cls, rest_url: str, api_key: str, secret: str) -> "SandboxProcess":
        """A handle on a sandbox another process runs (control API only; ``stop`` leaves that sandbox running)."""
        handle = cls(api_key=api_key, secret=secret, balances={}, rest_url=rest_url.rstrip("/"))
        handle._session = aiohttp.ClientSession()
        return handle

    async def start(self) -> None:
        """Start the child and wait for its ``READY`` line.

        :raises RuntimeError: if it exits or stays silent for ``START_TIMEOUT_S`` seconds.
        """
        balances = ",".join(f"{asset}={amount}" for asset, amount in self.balances.items())
        env = dict(os.environ, BACKPACK_SANDBOX_SECRET=self.secret, PYTHONUNBUFFERED="1")
        self._process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "backpack_sandbox", "serve", "--host", "127.0.0.1", "--port", "0",
            "--seed", str(self.seed), "--api-key", self.api_key, "--balances", balances, *self.extra_args,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, env=env)
        try:
            await asyncio.wait_for(self._read_until_ready(), START_TIMEOUT_S)
        except (asyncio.TimeoutError, RuntimeError) as e:
            await self.stop()
            raise RuntimeError(f"the sandbox did not start: {e!s}; its output:\n" + "\n".join(self.output[-20:]))
        self._reader = asyncio.ensure_future(self._drain())
        self._session = aiohttp.ClientSession()

    async def _read_until_ready(self) -> None:
        assert self._process is not None and self._process.stdout is not None
        while True:
            raw = await self._process.stdout.readline()
            if not raw:
                raise RuntimeError("the sandbox exited before it was ready")
            line = raw.decode(errors="replace").rstrip()
            self.output.append(line)
            words = line.split()
            if len(words) >= 2 and words[0].rstrip(":").upper() == "REST":
                self.rest_url = words[-1]
            elif len(words) >= 2 and words[0].rstrip(":").upper() == "WS":
                self.ws_url = words[-1]
            elif line.strip() == READY_LINE:
                if not self.rest_url:
                    raise RuntimeError("the sandbox printed READY without its REST URL")
                return

    async def _drain(self) -> None:
        """Keep reading the child's output so its pipe never fills up."""
        assert self._process is not None and self._process.stdout is not None
        while True:
            raw = await self._process.stdout.readline()
            if not raw:
                return
            self.output.append(raw.decode(errors="replace").rstrip())
            del self.output[:-200]

    async def stop(self) -> None:
        """Close the control session and end the child (terminate, kill after 10 s); safe to call twice."""
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._process is not None and self._process.returncode is None:
            self._process.terminate()
            try:
                await asyncio.wait_for(self._process.wait(), 10)
            except asyncio.TimeoutError:
                self._process.kill()
                await self._process.wait()
        if self._reader is not None:
            self._reader.cancel()
            self._reader = None

    # ------------------------------------------------------------------------------------------- control API
    async def control(self, method: str, path: str, payload: Optional[Any] = None) -> Any:
        """Call the sandbox's control API (``/_sandbox/...``, no auth, loopback only) and return its JSON."""
        assert self._session is not None, "start() first"
        async with self._session.request(method, self.rest_url + path, json=payload) as response:
            response.raise_for_status()
            return await response.json(content_type=None)

    async def account(self, api_key: Optional[str] = None) -> Dict[str, Any]:
        """The account view: ``accountId`` and ``balances`` (asset → ``available``/``locked``/``staked``) of the run's
        account, or of another account's ``api_key``."""
        return await self.control("GET", f"/_sandbox/accounts/{quote(api_key or self.api_key, safe='')}")

    async def fills(self, api_key: Optional[str] = None) -> List[Dict[str, Any]]:
        """The account's side of every ledger fill: ``tradeId``, ``orderId``, ``side``, ``price``, ``quantity``,
        ``fee``, ``feeSymbol`` (the ledger keeps both sides of a trade in one entry)."""
        account_id = (await self.account(api_key))["accountId"]
        entries = await self.control("GET", f"/_sandbox/accounts/{quote(api_key or self.api_key, safe='')}/fills")
        fills = []
        for entry in entries:
            for side, role, order_key in (("Bid", "buyer", "buyOrderId"), ("Ask", "seller", "sellOrderId")):
                if entry[f"{role}Account"] == account_id:
                    fills.append({"tradeId": entry["tradeId"], "orderId": entry[order_key], "side": side,
                                  "price": entry["price"], "quantity": entry["quantity"], "fee": entry[f"{role}Fee"],
                                  "feeSymbol": entry[f"{role}FeeSymbol"]})
        return fills

    async def scorecard(self, since_s: float, until_s: float, band_bps: Any,
                        api_key: Optional[str] = None) -> Dict[str, Any]:
        """The sandbox's view of the account's maker scorecard over ``[since_s, until_s]`` (wall-clock s), band in
        bps (``GET /_sandbox/accounts/{apiKey}/scorecard``)."""
        query = urlencode({"since": repr(since_s), "until": repr(until_s), "bandBps": str(band_bps)})
        account = quote(api_key or self.api_key, safe="")
        return await self.control("GET", f"/_sandbox/accounts/{account}/scorecard?{query}")

    async def orders(self, api_key: Optional[str] = None) -> List[Dict[str, Any]]:
        """Every order of the account (open and final): ``id``, ``clientId``, ``status``, … (§5.11 shape)."""
        return await self.control("GET", f"/_sandbox/accounts/{quote(api_key or self.api_key, safe='')}/orders")

    async def add_account(self, api_key: str, secret: str, balances: Dict[str, str]) -> str:
        """Open another account with this key pair and balances (control API); return its ``accountId``."""
        created = await self.control("POST", "/_sandbox/accounts", {"balances": balances, "secret": secret})
        if created["apiKey"] != api_key:
            raise RuntimeError("the sandbox derived another API key from the secret")
        return created["accountId"]
