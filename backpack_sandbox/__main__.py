"""CLI: ``python -m backpack_sandbox [serve] [options]`` and ``python -m backpack_sandbox record ...``.

``serve`` prints ``REST  <url>``, ``WS    <url>``, ``API_KEY <key>``, ``SECRET <seed>`` (only when the
sandbox generated it), ``BALANCES <A=x,...>`` and then ``READY`` on its own line, flushing stdout.
SIGINT/SIGTERM stop it cleanly.
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from typing import Dict, List, Optional

from .config import SandboxConfig
from .faults import FAULT_KINDS, parse_fault_spec
from .switches import SWITCHES

DEFAULT_BALANCES = "SOL=1000,BTC=10,ETH=100,USDC=1000000"


def parse_balances(text: str) -> Dict[str, str]:
    out: Dict[str, str] = {}
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        asset, sep, amount = part.partition("=")
        if not sep or not asset.strip() or not amount.strip():
            raise argparse.ArgumentTypeError(f"bad balance {part!r}; expected ASSET=AMOUNT")
        out[asset.strip()] = amount.strip()
    return out


def _fault(text: str) -> str:
    try:
        parse_fault_spec(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e))
    return text


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m backpack_sandbox",
                                description="Local Backpack Exchange sandbox (REST + WebSocket).")
    sub = p.add_subparsers(dest="command")
    s = sub.add_parser("serve", help="run the sandbox exchange (default)")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8765, help="0 picks a free port (default 8765)")
    s.add_argument("--seed", type=int, default=1)
    s.add_argument("--markets", default="SOL_USDC,BTC_USDC,ETH_USDC,SPCX.US_USDC", help="comma-separated symbols")
    s.add_argument("--extra-markets", type=int, default=0, help="add N synthetic TOKENn_USDC markets")
    s.add_argument("--no-flow", action="store_true", help="no background traders")
    s.add_argument("--flow-pace", type=float, default=1.0, help="speed factor of the background traders")
    s.add_argument("--flow-style", choices=("market", "ladder"), default="market",
                   help="market: several makers, one diff per requote; ladder: one maker re-placing its ladder")
    s.add_argument("--makers", type=int, default=3, help="background makers (market style, 1-5)")
    s.add_argument("--depth-rate", type=float, default=20.0,
                   help="depth messages a second per market (market style; times --flow-pace)")
    s.add_argument("--replay", metavar="FILE", help="replay a capture (see `record`) instead of synthetic flow")
    s.add_argument("--replay-speed", type=float, default=1.0)
    s.add_argument("--api-key", default=os.environ.get("BACKPACK_SANDBOX_API_KEY"),
                   help="demo account API key (env BACKPACK_SANDBOX_API_KEY)")
    s.add_argument("--secret", default=None, help="demo account secret (env BACKPACK_SANDBOX_SECRET); "
                   "generated and printed when absent")
    s.add_argument("--balances", type=parse_balances, default=parse_balances(DEFAULT_BALANCES),
                   help=f'demo balances, e.g. "SOL=100,USDC=10000" (default {DEFAULT_BALANCES})')
    s.add_argument("--fee-maker-bps", default="8")
    s.add_argument("--fee-taker-bps", default="10")
    s.add_argument("--post-only-mode", choices=("reject", "expire"), default="reject")
    s.add_argument("--fault", action="append", type=_fault, default=[], metavar="KIND[:params]",
                   help=f"inject a fault at start (repeatable); kinds: {', '.join(FAULT_KINDS)}; "
                        "params k=v,k=v or a single value, e.g. latency_ms:50 or http_429:count=3")
    s.add_argument("--ping-interval", type=float, default=60.0, help="WS ping interval, seconds")
    s.add_argument("--idle-timeout", type=float, default=120.0, help="WS idle timeout, seconds")
    s.add_argument("--no-balance-updates", action="store_true", help="disable account.balanceUpdate")
    s.add_argument("--balance-stream", choices=SWITCHES["balance_stream"], default="all",
                   help="account.balanceUpdate: every change, fills only, refused (4006) or silent")
    s.add_argument("--lend-redeem", choices=SWITCHES["lend_redeem"], default="flag",
                   help="redeem lent funds at placement only for orders with autoLendRedeem: true, or always")
    s.add_argument("--lent", type=parse_balances, default=None,
                   help='demo account lend positions, e.g. "USDC=9000" (§5.3)')
    s.add_argument("--auto-lend", action="store_true", help="demo account has autoLend on (§5.4)")
    s.add_argument("--ws-plain-numbers", action="store_true", help="WS numbers printed as REST does (no padding)")
    s.add_argument("--empty-depth-diff-s", type=float, default=10.0,
                   help="mean seconds between empty depth diffs per market; 0 = never (default 10)")
    s.add_argument("--no-perp-rows", action="store_true", help="list no PERP rows in /api/v1/markets")
    s.add_argument("--no-price-bands", action="store_true",
                   help="accept limit prices outside the price band; no impact limit on market orders")
    s.add_argument("--taker-speed-bump-ms", type=float, default=100.0,
                   help="hold every order that is not post-only this long before matching; 0 = off (default 100)")
    s.add_argument("--ticker-204-without-trades", action="store_true",
                   help="GET /api/v1/ticker answers 204 for markets without trades")
    s.add_argument("--history-rate-limited", action="store_true",
                   help="/wapi/v1/history/* limited to the 30/min historical bucket per key")
    s.add_argument("--history-lag-ms", type=int, default=0,
                   help="orders and fills reach /wapi/v1/history/* this many ms after the event (0: at once)")
    s.add_argument("--ws-refuse", choices=SWITCHES["ws_refuse"], default="off",
                   help="answer every WebSocket upgrade with HTTP 403 or 503 (a network blocking WebSockets)")
    s.add_argument("--batch-rate-weight", choices=SWITCHES["batch_rate_weight"], default="request",
                   help="a batch placement takes one slot of the request limit, or one per order (U8)")
    s.add_argument("--log-level", default="WARNING")
    r = sub.add_parser("record", help="record public WS frames of a Backpack endpoint to a JSON-lines file")
    r.add_argument("--url", default="wss://ws.backpack.exchange", help="WS URL")
    r.add_argument("--rest-url", default=None, help="REST base for initial snapshots (derived from --url)")
    r.add_argument("--pairs", required=True, help="comma-separated symbols, e.g. SOL_USDC,BTC_USDC")
    r.add_argument("--out", required=True, help="output file (JSON lines)")
    r.add_argument("--duration", type=float, default=60.0, help="seconds")
    r.add_argument("--no-snapshots", action="store_true")
    return p


def _print(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


async def _serve(args: argparse.Namespace) -> int:
    from .server import SandboxServer

    secret = args.secret or os.environ.get("BACKPACK_SANDBOX_SECRET")
    cfg = SandboxConfig(
        host=args.host, port=args.port, seed=args.seed, markets=tuple(args.markets.split(",")),
        extra_markets=args.extra_markets, flow=not args.no_flow, flow_pace=args.flow_pace,
        flow_style=args.flow_style, flow_makers=args.makers, depth_rate=args.depth_rate,
        fee_maker_bps=args.fee_maker_bps, fee_taker_bps=args.fee_taker_bps, post_only_mode=args.post_only_mode,
        ping_interval_s=args.ping_interval, idle_timeout_s=args.idle_timeout,
        balance_updates=not args.no_balance_updates, balance_stream=args.balance_stream,
        lend_redeem=args.lend_redeem, demo_lent=args.lent, demo_auto_lend=args.auto_lend,
        ws_pad_numbers=not args.ws_plain_numbers,
        empty_depth_diff_s=args.empty_depth_diff_s, perp_rows=not args.no_perp_rows,
        price_bands=not args.no_price_bands, replay_file=args.replay,
        replay_speed=args.replay_speed, taker_speed_bump_ms=args.taker_speed_bump_ms,
        demo_balances=args.balances, demo_api_key=args.api_key, demo_secret=secret, faults=tuple(args.fault),
        ticker_204_without_trades=args.ticker_204_without_trades, history_rate_limited=args.history_rate_limited,
        history_lag_ms=args.history_lag_ms, ws_refuse=args.ws_refuse, batch_rate_weight=args.batch_rate_weight,
    )
    server = SandboxServer(cfg)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):
            pass
    await server.start()
    try:
        _print(f"REST  {server.rest_url}")
        _print(f"WS    {server.ws_url}")
        _print(f"API_KEY {server.demo.api_key}")
        if secret is None:
            _print(f"SECRET {server.demo.secret}  (generated, throwaway)")
        _print("BALANCES " + ",".join(f"{k}={v}" for k, v in args.balances.items()))
        _print("READY")
        await stop.wait()
    finally:
        await server.stop()
    return 0


async def _record(args: argparse.Namespace) -> int:
    from .replay import record

    n = await record(args.url, args.pairs.split(","), args.out, args.duration, rest_url=args.rest_url,
                     snapshots=not args.no_snapshots)
    _print(f"recorded {n} frames to {args.out}")
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in ("serve", "record", "-h", "--help"):
        argv.insert(0, "serve")
    args = build_parser().parse_args(argv)
    if args.command == "record":
        return asyncio.run(_record(args))
    logging.basicConfig(level=getattr(logging, str(args.log_level).upper(), logging.WARNING),
                        stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        return asyncio.run(_serve(args))
    except OSError as e:
        sys.stderr.write(f"cannot start sandbox: {e}\n")
        return 2


if __name__ == "__main__":
    sys.exit(main())
