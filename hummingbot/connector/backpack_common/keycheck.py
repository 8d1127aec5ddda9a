"""Backpack API credential checker: ``python -m hummingbot.connector.backpack_common.keycheck``.

Checks a key / secret pair offline (encoding, length, key derived from the secret, §2.1), prints a sample signed
``GET /api/v1/capital`` (§2.3), and with ``--check`` calls it (§5.1). The secret is never printed; without
``--secret`` it comes from ``BACKPACK_API_SECRET`` or a no-echo prompt. Exit status: 0 ok, 1 check failed, 2 usage.
"""
import argparse
import asyncio
import getpass
import json
import os
import sys
import time
from dataclasses import dataclass, field
from typing import Callable, List, Optional

import aiohttp

from hummingbot.connector.backpack_common.signing import (
    DEFAULT_WINDOW_MS,
    BackpackKeyError,
    Ed25519Signer,
    decode_api_key,
    decode_secret,
    mask_key,
    signing_string,
    validate_window,
)

#: REST base per domain (§1).
SANDBOX_URL_ENV = "BACKPACK_SANDBOX_URL"
DOMAIN_URLS = {"exchange": "https://api.backpack.exchange", "sandbox": "http://127.0.0.1:8765"}
SECRET_ENV = "BACKPACK_API_SECRET"
#: The sample request: balances (§5.1), instruction ``balanceQuery`` (§3).
SAMPLE_METHOD, SAMPLE_PATH, SAMPLE_INSTRUCTION = "GET", "/api/v1/capital", "balanceQuery"
#: Sample signature timestamp (ms): that of the §2.6 test vectors, long expired.
SAMPLE_TIMESTAMP_MS = 1700000000000
CHECK_TIMEOUT_S = 15.0


def domain_url(domain: str) -> str:
    """REST base URL of ``domain`` (sandbox honours ``BACKPACK_SANDBOX_URL``); ``ValueError`` if unknown."""
    if domain == "sandbox":
        return os.environ.get(SANDBOX_URL_ENV, DOMAIN_URLS["sandbox"]).rstrip("/")
    try:
        return DOMAIN_URLS[domain]
    except KeyError:
        raise ValueError(f"unknown domain {domain!r}; expected one of {sorted(DOMAIN_URLS)}") from None


def _encoding(text: str) -> str:
    compact = "".join(text.split())
    if len(compact) in (64, 128) and all(c in "0123456789abcdefABCDEF" for c in compact):
        return "hex"
    return "base64"


@dataclass
class KeyReport:
    """Outcome of the offline checks. ``problems`` is empty when the pair is usable."""
    problems: List[str] = field(default_factory=list)
    notes: List[str] = field(default_factory=list)
    signer: Optional[Ed25519Signer] = None
    derived_api_key: Optional[str] = None


def inspect_keys(api_key: str, secret: str) -> KeyReport:
    """Decode both keys and check the API key derives from the secret (§2.1); never raises, never holds the secret."""
    report = KeyReport()
    key_ok = secret_ok = False
    try:
        decode_api_key(api_key)
        key_ok = True
        report.notes.append(f"API key: {_encoding(api_key)}, 32 bytes ({mask_key(api_key.strip())})")
    except BackpackKeyError as e:
        report.problems.append(str(e))
    try:
        seed = decode_secret(secret)
        secret_ok = True
        compact = "".join(secret.split())
        long_form = len(compact) == 128 or len(compact.rstrip("=")) == 86
        report.notes.append(f"API secret: {_encoding(secret)}, "
                            + ("64 bytes (seed + public key; the first 32 bytes are used)" if long_form
                               else "32-byte ED25519 seed"))
        del seed
    except BackpackKeyError as e:
        report.problems.append(str(e))
    if not secret_ok:
        return report
    signer = Ed25519Signer(secret)
    report.signer, report.derived_api_key = signer, signer.api_key
    if key_ok:
        try:
            Ed25519Signer(secret, api_key)
        except BackpackKeyError as e:
            report.problems.append(f"{e}; use the API key shown next to this secret when the key was created")
    return report


def sample_request_lines(signer: Ed25519Signer, timestamp_ms: int, window_ms: int) -> List[str]:
    """The signing string, headers and signature of the sample ``GET /api/v1/capital`` (§2.2, §2.3)."""
    message = signing_string(SAMPLE_INSTRUCTION, None, timestamp_ms, window_ms)
    return [
        f"sample request    {SAMPLE_METHOD} {SAMPLE_PATH}",
        f"signing string    {message}",
        f"X-API-Key         {signer.api_key}",
        f"X-Timestamp       {timestamp_ms}",
        f"X-Window          {window_ms}",
        f"X-Signature       {signer.sign(message)}",
    ]


async def check_balance(base_url: str, signer: Ed25519Signer, window_ms: int,
                        timeout_s: float = CHECK_TIMEOUT_S) -> List[str]:
    """Signed ``GET /api/v1/capital`` plus clock offset (§2.7); report lines, the first ``OK ...`` or ``FAILED ...``.

    Network errors become a ``FAILED`` line.
    """
    lines: List[str] = []
    timeout = aiohttp.ClientTimeout(total=timeout_s)
    try:
        async with aiohttp.ClientSession(timeout=timeout) as session:
            offset_line = None
            try:
                async with session.get(base_url + "/api/v1/time") as response:
                    server_ms = int((await response.text()).strip())
                    offset_line = f"clock offset      {server_ms - int(time.time() * 1e3)} ms (server - local)"
            except (aiohttp.ClientError, ValueError):
                offset_line = "clock offset      unknown (GET /api/v1/time failed)"
            timestamp_ms = int(time.time() * 1e3)
            headers = {
                "X-API-Key": signer.api_key,
                "X-Timestamp": str(timestamp_ms),
                "X-Window": str(window_ms),
                "X-Signature": signer.sign(signing_string(SAMPLE_INSTRUCTION, None, timestamp_ms, window_ms)),
            }
            async with session.get(base_url + SAMPLE_PATH, headers=headers) as response:
                status, text = response.status, await response.text()
    except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as e:
        return [f"FAILED: cannot reach {base_url} ({type(e).__name__}: {e or 'timeout'})"]
    try:
        body = json.loads(text)
    except ValueError:
        body = None
    if status == 200 and isinstance(body, dict):
        lines.append(f"OK: {base_url} accepted the key (GET {SAMPLE_PATH} -> 200)")
        for asset in sorted(body):
            entry = body[asset] if isinstance(body[asset], dict) else {}
            lines.append(f"  {asset:<8} available {entry.get('available', '?')}  locked {entry.get('locked', '?')}")
    else:
        detail = (f"{body.get('code')}: {body.get('message')}" if isinstance(body, dict)
                  else text.strip()[:200] or "(empty body)")
        lines.append(f"FAILED: {base_url} refused the key (GET {SAMPLE_PATH} -> HTTP {status}, {detail})")
    if offset_line:
        lines.append(offset_line)
    return lines


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m hummingbot.connector.backpack_common.keycheck",
                                description="Check a Backpack API key and secret (never prints the secret).")
    p.add_argument("--api-key", required=True, help="API key: base64 (or hex) of the ED25519 public key")
    p.add_argument("--secret", help=f"API secret: base64 or hex ED25519 seed (default: ${SECRET_ENV}, else asked)")
    p.add_argument("--check", action="store_true", help="call GET /api/v1/capital to confirm the key is accepted")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--domain", choices=sorted(DOMAIN_URLS), default="exchange",
                       help=f"where --check goes (sandbox: ${SANDBOX_URL_ENV} or {DOMAIN_URLS['sandbox']})")
    where.add_argument("--url", help="REST base URL for --check, e.g. http://127.0.0.1:8765")
    p.add_argument("--window", type=int, default=DEFAULT_WINDOW_MS, help="X-Window in ms (1..60000)")
    p.add_argument("--timestamp", type=int, default=SAMPLE_TIMESTAMP_MS,
                   help=f"X-Timestamp (ms) of the sample signature (default {SAMPLE_TIMESTAMP_MS}, as in the docs)")
    return p


def main(argv: Optional[List[str]] = None, out: Callable[[str], None] = print,
         read_secret: Callable[[str], str] = getpass.getpass) -> int:
    args = build_parser().parse_args(argv)
    try:
        validate_window(args.window)
    except ValueError as e:
        out(f"error: {e}")
        return 2
    secret = args.secret if args.secret is not None else os.environ.get(SECRET_ENV)
    if secret is None:
        secret = read_secret("Backpack API secret (not echoed): ")
    report = inspect_keys(args.api_key, secret)
    del secret
    for note in report.notes:
        out(note)
    if report.derived_api_key is not None:
        out(f"derived API key   {report.derived_api_key}")
    for problem in report.problems:
        out(f"PROBLEM: {problem}")
    if report.signer is not None:
        for line in sample_request_lines(report.signer, args.timestamp, args.window):
            out(line)
    signer = report.signer
    if report.problems or signer is None:
        out("keys: NOT usable")
        return 1
    out("keys: OK (the API key matches the secret)")
    if not args.check:
        return 0
    base_url = args.url.rstrip("/") if args.url else domain_url(args.domain)
    lines = asyncio.run(check_balance(base_url, signer, args.window))
    for line in lines:
        out(line)
    return 0 if lines[0].startswith("OK") else 1


if __name__ == "__main__":
    sys.exit(main())
