"""The credential checker: offline key checks, the sample signature (§2.6 vectors) and ``--check`` against the
in-process sandbox, as a library and as ``python -m hummingbot.connector.backpack_common.keycheck``. The secret
must never appear in the output, in any encoding."""
import asyncio
import base64
import os
import sys
from pathlib import Path

import pytest
from nacl.signing import SigningKey

from backpack_sandbox import SandboxConfig, SandboxServer
from hummingbot.connector.backpack_common import keycheck

REPO = Path(__file__).resolve().parents[4]
MODULE = "hummingbot.connector.backpack_common.keycheck"
# §2.6 throwaway key: seed = 32 bytes of 0x01.
SEED = bytes([1]) * 32
SECRET_B64 = base64.b64encode(SEED).decode()
API_KEY = "iojj3XQJ8ZX9UtstPLpdcspnCb8dlBIb83SIAbQPb1w="
VECTOR_1_SIGNATURE = "8/pvBr2sH4KpHhNiih+BVquUEtRORDCWn0tMcoGGNz09KzLbEWuIvQ/bZpyIfKJVDxIHQ2vwe1ln9It7NyBcCA=="


def secret_forms(seed: bytes):
    """Every text form of a seed a leak could take."""
    b64 = base64.b64encode(seed).decode()
    return {b64, b64.rstrip("="), base64.urlsafe_b64encode(seed).decode().rstrip("="), seed.hex(),
            seed.hex().upper()}


def run_main(argv):
    lines = []
    code = keycheck.main(argv, out=lines.append, read_secret=lambda prompt: pytest.fail("asked for the secret"))
    return code, "\n".join(lines)


def assert_no_secret(output: str, seed: bytes):
    for form in secret_forms(seed):
        assert form not in output


@pytest.mark.parametrize("secret", [SECRET_B64, SEED.hex(), SECRET_B64.rstrip("="),
                                    base64.b64encode(SEED + bytes(SigningKey(SEED).verify_key)).decode()])
def test_valid_pair_in_any_encoding_prints_derived_key_and_the_documented_signature(secret):
    code, output = run_main(["--api-key", API_KEY, "--secret", secret])
    assert code == 0
    assert f"derived API key   {API_KEY}" in output
    assert "signing string    instruction=balanceQuery&timestamp=1700000000000&window=5000" in output
    assert f"X-Signature       {VECTOR_1_SIGNATURE}" in output  # §2.6 vector 1
    assert "keys: OK" in output
    assert_no_secret(output, SEED)


def test_hex_secret_is_reported_as_hex_and_64_byte_secret_as_such():
    _, output = run_main(["--api-key", API_KEY, "--secret", SEED.hex()])
    assert "API secret: hex, 32-byte ED25519 seed" in output
    long_secret = base64.b64encode(SEED + bytes(SigningKey(SEED).verify_key)).decode()
    _, output = run_main(["--api-key", API_KEY, "--secret", long_secret])
    assert "64 bytes (seed + public key" in output


def test_mismatched_key_is_a_problem_naming_the_derived_key():
    other_key = base64.b64encode(bytes(SigningKey(bytes([2]) * 32).verify_key)).decode()
    code, output = run_main(["--api-key", other_key, "--secret", SECRET_B64])
    assert code == 1
    assert "PROBLEM: API key does not match the secret: the secret derives iojj…b1w=" in output
    assert "keys: NOT usable" in output
    assert_no_secret(output, SEED)


def test_key_and_secret_swapped_gets_a_hint_without_echoing_the_secret():
    code, output = run_main(["--api-key", SECRET_B64, "--secret", SECRET_B64])
    assert code == 1
    assert "the API key and the secret hold the same value" in output
    assert_no_secret(output, SEED)


@pytest.mark.parametrize("api_key, secret, expected", [
    (API_KEY, "AQEBAQ==", "API secret decodes to 4 bytes"),
    (API_KEY, "not base64 !!", "API secret is neither base64 nor hex"),
    ("AQID", SECRET_B64, "API key decodes to 3 bytes"),
    (API_KEY, "", "API secret is empty"),
])
def test_bad_length_or_encoding_is_reported_plainly(api_key, secret, expected):
    code, output = run_main(["--api-key", api_key, "--secret", secret])
    assert code == 1
    assert f"PROBLEM: {expected}" in output
    assert secret.strip() == "" or secret not in output


def test_secret_from_environment_and_bad_window(monkeypatch):
    monkeypatch.setenv(keycheck.SECRET_ENV, SECRET_B64)
    assert run_main(["--api-key", API_KEY])[0] == 0
    code, output = run_main(["--api-key", API_KEY, "--secret", SECRET_B64, "--window", "60001"])
    assert code == 2 and "window_ms must be an int in 1..60000" in output


def test_secret_is_asked_for_when_not_given(monkeypatch):
    monkeypatch.delenv(keycheck.SECRET_ENV, raising=False)
    asked = []
    code = keycheck.main(["--api-key", API_KEY], out=lambda line: None,
                         read_secret=lambda prompt: asked.append(prompt) or SECRET_B64)
    assert code == 0 and asked and "not echoed" in asked[0]


def test_domain_urls(monkeypatch):
    assert keycheck.domain_url("exchange") == "https://api.backpack.exchange"
    monkeypatch.setenv(keycheck.SANDBOX_URL_ENV, "http://127.0.0.1:9999/")
    assert keycheck.domain_url("sandbox") == "http://127.0.0.1:9999"
    with pytest.raises(ValueError):
        keycheck.domain_url("nowhere")


@pytest.mark.asyncio
async def test_check_balance_against_the_sandbox_accepts_a_known_key_and_refuses_an_unknown_one():
    server = SandboxServer(SandboxConfig(host="127.0.0.1", port=0, flow=False))
    await server.start()
    try:
        keys = server.add_account({"SOL": "12.5", "USDC": "1000"})
        lines = await keycheck.check_balance(server.rest_url, keycheck.Ed25519Signer(keys.secret), 5000)
        assert lines[0].startswith("OK: ") and "-> 200" in lines[0]
        assert any(line.split()[:3] == ["SOL", "available", "12.5"] for line in lines)
        assert any(line.startswith("clock offset") and "ms" in line for line in lines)

        stranger = keycheck.Ed25519Signer(base64.b64encode(bytes([7]) * 32).decode())
        lines = await keycheck.check_balance(server.rest_url, stranger, 5000)
        assert lines[0].startswith("FAILED: ") and "HTTP 401" in lines[0] and "UNAUTHORIZED" in lines[0]
    finally:
        await server.stop()
    lines = await keycheck.check_balance(server.rest_url, keycheck.Ed25519Signer(SECRET_B64), 5000, timeout_s=5)
    assert lines == [lines[0]] and lines[0].startswith(f"FAILED: cannot reach {server.rest_url}")


async def _run_cli(*args, env=None):
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", MODULE, *args, cwd=REPO, env=dict(os.environ, **(env or {})),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    out, _ = await asyncio.wait_for(process.communicate(), 120)
    return process.returncode, out.decode()


@pytest.mark.asyncio
async def test_cli_check_on_the_sandbox_by_url_and_by_domain():
    server = SandboxServer(SandboxConfig(host="127.0.0.1", port=0, flow=False))
    await server.start()
    try:
        keys = server.add_account({"USDC": "250"})
        seed = base64.b64decode(keys.secret)
        code, output = await _run_cli("--api-key", keys.api_key, "--secret", keys.secret, "--check",
                                      "--url", server.rest_url)
        assert code == 0, output
        assert f"OK: {server.rest_url} accepted the key" in output and "USDC" in output
        assert_no_secret(output, seed)

        code, output = await _run_cli("--api-key", keys.api_key, "--secret", seed.hex(), "--check",
                                      "--domain", "sandbox", env={keycheck.SANDBOX_URL_ENV: server.rest_url})
        assert code == 0, output
        assert_no_secret(output, seed)

        unknown = SigningKey.generate()
        code, output = await _run_cli(
            "--api-key", base64.b64encode(bytes(unknown.verify_key)).decode(),
            "--secret", base64.b64encode(bytes(unknown)).decode(), "--check", "--url", server.rest_url)
        assert code == 1 and "FAILED" in output and "HTTP 401" in output
        assert_no_secret(output, bytes(unknown))
    finally:
        await server.stop()
