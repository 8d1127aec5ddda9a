"""The real Hummingbot client (``python -m backpack_client``, what ``make client`` runs) in a pseudo-terminal, driven
by keystrokes and read from the rendered screen: first-start password, ``connect backpack_sandbox`` with a wrong
secret (clear message, no traceback) and then the right one (validated against the sandbox), ``balance`` showing
the sandbox balances, ``exit``. The session's screens are written to ``client-session.txt`` in the test's tmp dir
(the README walkthrough shows them)."""
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from test.backpack_client.terminal import ENTER, TerminalSession

import pytest
import yaml

from backpack_harness.headless import new_key_pair

REPO = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse"
#: A character no command starts with: typing it closes the command menu that pops up at the empty prompt over
#: the output; BACKSPACEs clear it before the next command.
HIDE_COMPLETIONS, CLEAR_INPUT = "#", "\x7f" * 8


def menu_visible(screen: str) -> bool:
    return "lphistory" in screen  # an entry of the command menu, never in the output


def wait_for_output(term, condition, timeout=60.0, what=""):
    """Wait until ``condition(screen)`` holds with the command menu closed (closing it when it pops up)."""
    last_hide = [0.0]

    def check(screen):
        if menu_visible(screen):
            if time.monotonic() - last_hide[0] > 1.0:
                term.send(HIDE_COMPLETIONS)
                last_hide[0] = time.monotonic()
            return False
        return condition(screen)
    return term.wait_for(check, timeout, what)


def command(term, text):
    term.send(CLEAR_INPUT + text + ENTER)


pytestmark = pytest.mark.e2e


@pytest.fixture
def sandbox_url():
    """The sandbox exchange as a child process on an ephemeral port with one account (SOL 100, USDC 10000)."""
    api_key, secret = new_key_pair()
    env = dict(os.environ, BACKPACK_SANDBOX_SECRET=secret, PYTHONUNBUFFERED="1")
    process = subprocess.Popen(
        [sys.executable, "-m", "backpack_sandbox", "serve", "--port", "0", "--no-flow", "--markets", "SOL_USDC",
         "--api-key", api_key, "--balances", "SOL=100,USDC=10000"],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = None
    for line in process.stdout:
        if line.startswith("REST"):
            url = line.split()[-1]
        if line.strip() == "READY":
            break
    assert url, "the sandbox did not start"
    yield url, api_key, secret
    process.terminate()
    process.wait(timeout=20)


def write_client_config(home: Path) -> None:
    """The isolated home's conf_client.yml: paper trade only on the sandbox (Hummingbot's default list would make
    the client fetch markets from internet exchanges at start)."""
    (home / "conf").mkdir(parents=True)
    (home / "conf" / "conf_client.yml").write_text(yaml.safe_dump(
        {"paper_trade": {"paper_trade_exchanges": ["backpack_sandbox"]}}))


def test_connect_and_balance_in_the_real_client(sandbox_url, tmp_path):
    url, api_key, secret = sandbox_url
    home = tmp_path / "hummingbot-home"
    write_client_config(home)
    env = dict(os.environ, BACKPACK_SANDBOX_URL=url, TERM="xterm-256color", PYTHONUNBUFFERED="1")
    env.pop("CONFIG_PASSWORD", None)
    term = TerminalSession([sys.executable, "-m", "backpack_client", "--home", str(home), "--offline-rates"],
                           env=env, cwd=str(REPO))
    wrong_secret = new_key_pair()[1]
    try:
        # First start: Hummingbot's welcome and warning pages, then "Set Password" twice.
        term.wait_for("Welcome to Hummingbot", 90)
        term.snapshot("welcome")
        while "Set Password" not in term.text():
            term.send(ENTER)
            term.wait_for(lambda s: "Set Password" in s or "Important Warning" in s or "Welcome" in s, 30)
            term.pump(0.5)
        for _ in range(2):  # new password, then again; Enter moves to OK, Enter presses it
            term.send(PASSWORD + ENTER)
            term.wait_for(lambda s: "<    OK    >" in s or ">>>" in s, 30)
            term.send(ENTER)
            term.pump(0.5)
        term.wait_for("Useful Commands", 90, "the client's main screen")
        term.wait_for(">>>", 30)
        term.snapshot("main screen")

        # A malformed secret, then a wrong one (a well-formed secret of another key pair).
        command(term, "connect backpack_sandbox")
        term.wait_for("Enter your Backpack sandbox API key >>>", 30)
        term.send(api_key + ENTER)
        term.wait_for("Enter your Backpack sandbox API secret >>>", 30)
        term.send("abc" + ENTER)  # malformed: rejected by the config validator, the prompt asks again
        screen = term.wait_for("Value error, API secret decodes to 2 bytes", 30)
        assert "Traceback" not in screen
        term.wait_for(lambda s: s.count("Enter your Backpack sandbox API secret >>>") >= 2, 30)
        term.send(wrong_secret + ENTER)
        screen = wait_for_output(term, lambda s: "Error: API key does not match the secret" in s, 60)
        term.snapshot("wrong secret")
        assert "Traceback" not in screen

        # The right secret: validated against the sandbox.
        command(term, "connect backpack_sandbox")
        term.wait_for("Enter your Backpack sandbox API key >>>", 30)
        term.send(api_key + ENTER)
        term.wait_for("Enter your Backpack sandbox API secret >>>", 30)
        term.send(secret + ENTER)
        wait_for_output(term, lambda s: "You are now connected to backpack_sandbox" in s, 60)
        term.snapshot("connected")

        command(term, "balance")
        screen = wait_for_output(term, lambda s: re.search(r"USDC\s+10000\.0000", s) is not None, 60,
                                 "the USDC balance")
        term.snapshot("balance")
        assert re.search(r"SOL\s+100\.0000", screen)
        assert "backpack_sandbox:" in screen and "Traceback" not in screen

        command(term, "exit")
    finally:
        transcript = "\n\n".join(term.snapshots)
        (tmp_path / "client-session.txt").write_text(transcript)
        term.close()
    client_log = "\n".join(p.read_text(errors="replace") for p in (home / "logs").glob("*.log"))
    assert "Name or service not known" not in client_log and "gaierror" not in client_log  # loopback only
    for text in [transcript] + [p.read_text(errors="replace") for p in home.rglob("*") if p.is_file()
                                and p.suffix in (".log", ".yml", ".json", ".txt")]:
        assert secret not in text and wrong_secret not in text
