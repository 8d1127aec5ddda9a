"""CLI: --help, `serve` output lines and READY, secret handling, `record` and `serve --replay`."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SECRET = "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE="


def run(*args, env=None, timeout=30):
    return subprocess.run([sys.executable, "-m", "backpack_sandbox", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout, env=env)


def start_serve(*args, env=None):
    proc = subprocess.Popen([sys.executable, "-m", "backpack_sandbox", "serve", "--port", "0", *args], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    lines = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line.rstrip("\n"))
        if line.strip() == "READY":
            return proc, lines
    proc.kill()
    raise AssertionError(f"no READY: {lines} {proc.stderr.read()}")


def stop(proc):
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=15)
    return proc.returncode, out, err


def test_help():
    res = run("--help")
    assert res.returncode == 0 and "serve" in res.stdout and "record" in res.stdout
    res = run("serve", "--help")
    for flag in ("--host", "--port", "--seed", "--markets", "--no-flow", "--replay", "--api-key", "--secret",
                 "--balances", "--fee-maker-bps", "--fee-taker-bps", "--fault", "--ping-interval", "--idle-timeout"):
        assert flag in res.stdout
    assert "--duration" in run("record", "--help").stdout


@pytest.mark.timeout(60)
def test_serve_prints_urls_ready_and_generated_secret():
    proc, lines = start_serve("--no-flow", "--balances", "SOL=100,USDC=10000")
    try:
        assert lines[0].startswith("REST  http://127.0.0.1:") and lines[1].startswith("WS    ws://127.0.0.1:")
        assert lines[1].endswith("/ws")
        assert any(x.startswith("API_KEY ") for x in lines) and any(x.startswith("SECRET ") for x in lines)
        assert "BALANCES SOL=100,USDC=10000" in lines and lines[-1] == "READY"
    finally:
        code, _, _ = stop(proc)
    assert code == 0


@pytest.mark.timeout(60)
def test_serve_never_prints_a_supplied_secret():
    env = dict(os.environ, BACKPACK_SANDBOX_SECRET=SECRET)
    proc, lines = start_serve("--no-flow", "--log-level", "DEBUG", env=env)
    try:
        assert "API_KEY iojj3XQJ8ZX9UtstPLpdcspnCb8dlBIb83SIAbQPb1w=" in lines
        assert not any(x.startswith("SECRET") for x in lines)
    finally:
        code, out, err = stop(proc)
    assert SECRET not in "\n".join(lines) + out + err and code == 0


@pytest.mark.timeout(90)
def test_record_and_replay_cli(tmp_path):
    proc, lines = start_serve("--flow-pace", "5")
    ws_url = lines[1].split()[1]
    out = tmp_path / "cap.jsonl"
    try:
        res = run("record", "--url", ws_url, "--pairs", "SOL_USDC", "--out", str(out), "--duration", "1")
        assert res.returncode == 0, res.stderr
    finally:
        stop(proc)
    frames = [json.loads(x) for x in out.read_text().splitlines()]
    assert any("frame" in f for f in frames)
    proc, lines = start_serve("--no-flow", "--replay", str(out))
    try:
        assert lines[-1] == "READY"
    finally:
        code, _, _ = stop(proc)
    assert code == 0
