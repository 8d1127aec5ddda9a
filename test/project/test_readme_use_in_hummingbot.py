"""Every command of the README's "Use it in Hummingbot" section is covered: each shell command and each client
command maps to the test that runs it (and that test exists); the cheap ones run here, and the credential
checker's printed example must be exactly what the checker prints."""
import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
README = (REPO / "README.md").read_text(encoding="utf-8")
SECTION = README.split("## Use it in Hummingbot", 1)[1].split("\n## ", 1)[0]

KEYCHECK_TESTS = "test/hummingbot/connector/backpack_common/test_keycheck.py"
CLIENT_TEST = ("test/backpack_client/test_client_session.py", "test_connect_and_balance_in_the_real_client")
#: command pattern → (test file, test function) that runs it.
COVERAGE = {
    r"^pip install \.$": ("test/project/test_pip_install_over_hummingbot.py",
                          "test_pip_install_replaces_the_shipped_connector"),
    r"python -m backpack_client\.install_templates": (
        "test/project/test_readme_use_in_hummingbot.py", "test_install_templates_command"),
    r"make client": ("test/project/test_readme_use_in_hummingbot.py", "test_make_targets_run_the_documented_modules"),
    r"python -m backpack_client --home \S+ --offline-rates": CLIENT_TEST,
    r"python -m backpack_sandbox serve --port 8765 --balances": CLIENT_TEST,
    r"BACKPACK_SANDBOX_URL=\S+ python -m backpack_client --home \S+ --offline-rates": CLIENT_TEST,
    r"connect backpack_sandbox": CLIENT_TEST,
    r"balance": CLIENT_TEST,
    r"exit": CLIENT_TEST,
    r"python -m backpack_demo --duration 20": ("test/e2e/test_demo.py",
                                               "test_demo_trades_leaves_nothing_open_and_matches_the_ledger"),
    r"python -m backpack_demo\.xemm --duration 25": (
        "test/e2e/test_templates_on_sandbox.py",
        "test_cross_exchange_market_making_template_makes_on_backpack_and_hedges_on_paper_trade"),
    r"python -m backpack_demo\.dca --duration 30": ("test/e2e/test_templates_on_sandbox.py",
                                                    "test_dca_template_places_every_level_and_fills_one"),
    r"python -m hummingbot\.connector\.backpack_common\.keycheck --api-key KEY --secret SECRET$": (
        "test/project/test_readme_use_in_hummingbot.py", "test_keycheck_example_output_is_what_it_prints"),
    r"keycheck --api-key KEY --secret SECRET --check$": (KEYCHECK_TESTS, "test_domain_urls"),
    r"keycheck --api-key KEY --secret SECRET --check --domain sandbox": (
        KEYCHECK_TESTS, "test_cli_check_on_the_sandbox_by_url_and_by_domain"),
    r"keycheck --api-key KEY --secret SECRET --check --url \S+": (
        KEYCHECK_TESTS, "test_cli_check_on_the_sandbox_by_url_and_by_domain"),
}


def shell_commands():
    commands = []
    for block in re.findall(r"```bash\n(.*?)```", SECTION, re.S):
        for line in block.splitlines():
            command = re.split(r"\s{2,}#", line)[0].strip()
            if command:
                commands.append(command)
    return commands


def client_commands():
    return [line.split(">>>", 1)[1].strip() for line in SECTION.splitlines() if line.startswith(">>>  ")]


def test_the_section_opens_with_the_install_and_sits_before_the_development_layout():
    assert (SECTION.index("pip install .") < SECTION.index("python -m backpack_client.install_templates")
            < SECTION.index(">>>  connect backpack_sandbox"))
    assert README.index("## Use it in Hummingbot") < README.index("## Development layout")


@pytest.mark.parametrize("command", shell_commands() + client_commands())
def test_every_command_maps_to_an_existing_test(command):
    matches = [target for pattern, target in COVERAGE.items() if re.search(pattern, command)]
    assert matches, f"README command not covered by any test: {command}"
    path, function = matches[0]
    tree = ast.parse((REPO / path).read_text(encoding="utf-8"))
    functions = {node.name for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))}
    assert function in functions, (path, function)


def test_the_commands_were_found():
    assert len(shell_commands()) >= 10 and client_commands() == ["connect backpack_sandbox", "connect backpack_sandbox",
                                                                 "balance", "exit"]


def test_keycheck_example_output_is_what_it_prints():
    example = re.search(r"```\n(API key: base64.*?)```", SECTION, re.S).group(1).splitlines()
    offline = [line for line in example if not line.startswith(("OK:", "  ", "clock offset"))]
    out = subprocess.run(
        [sys.executable, "-m", "hummingbot.connector.backpack_common.keycheck",
         "--api-key", "iojj3XQJ8ZX9UtstPLpdcspnCb8dlBIb83SIAbQPb1w=",
         "--secret", "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE="],
        cwd=REPO, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0
    assert out.stdout.splitlines() == offline


def test_install_templates_command(tmp_path):
    out = subprocess.run([sys.executable, "-m", "backpack_client.install_templates", "--home", str(tmp_path)],
                         cwd=REPO, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "scripts" / "backpack_dca.py").is_file()
    assert (tmp_path / "conf" / "strategies" / "conf_backpack_cross_exchange_market_making_TEMPLATE.yml").is_file()
    assert (tmp_path / "conf" / "scripts" / "conf_backpack_dca_TEMPLATE.yml").is_file()
    from backpack_client.install_templates import hummingbot_package_dir, plan
    assert out.stdout.count("installed ") == len(plan(tmp_path, hummingbot_package_dir())) >= 7


def test_make_targets_run_the_documented_modules():
    client = subprocess.run(["make", "-n", "client", "HOME_DIR=/tmp/x"], cwd=REPO, capture_output=True, text=True)
    assert "-m backpack_client --home /tmp/x" in client.stdout
    templates = subprocess.run(["make", "-n", "templates"], cwd=REPO, capture_output=True, text=True)
    assert "-m backpack_client.install_templates" in templates.stdout
    install = subprocess.run(["make", "-n", "install"], cwd=REPO, capture_output=True, text=True)
    assert "-m backpack_client.install_templates" in install.stdout
