"""ccxt against the sandbox: only the URLs change. Env: BACKPACK_SANDBOX_URL, _API_KEY, _SECRET (printed by serve)."""
import asyncio
import os

import ccxt.pro as ccxtpro


async def main() -> None:
    url = os.environ.get("BACKPACK_SANDBOX_URL", "http://127.0.0.1:8765")
    ws = url.replace("http", "ws", 1) + "/ws"
    ex = ccxtpro.backpack({"apiKey": os.environ["BACKPACK_SANDBOX_API_KEY"],
                           "secret": os.environ["BACKPACK_SANDBOX_SECRET"]})
    ex.urls["api"] = {"public": url, "private": url, "ws": {"public": ws, "private": ws}}
    try:
        book = await ex.watch_order_book("SOL/USDC")
        order = await ex.create_order("SOL/USDC", "limit", "buy", 1, book["bids"][0][0], {"postOnly": True})
        print(order["status"], order["id"], (await ex.fetch_balance())["USDC"])
        print((await ex.cancel_order(order["id"], "SOL/USDC"))["status"])
    finally:
        await ex.close()


asyncio.run(main())
