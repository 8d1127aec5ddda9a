"""``make client`` / ``python -m backpack_client [--home DIR]``: Hummingbot's interactive client, with this
connector overlaid (``connect backpack``, ``connect backpack_sandbox``).

The pip package of Hummingbot ships the client but not a working launcher (its ``hummingbot_quickstart.py`` imports
``bin/`` modules that are only in Hummingbot's source checkout). This launcher does what that one does with
Hummingbot's own pieces: the password dialog (``login_prompt``: "Set Password" on first start, "Welcome back"
later), then ``bootstrap_application`` (decrypt keys, write default configs, logging, paper-trade settings) and
``HummingbotApplication.run()`` — the full-screen client.

``--home DIR`` runs it on another Hummingbot home (default: the installed Hummingbot's own, ``site-packages`` of a
pip install); see ``backpack_client/home.py``. ``--offline-rates`` replaces the rate oracle's internet sources (see
``backpack_client/offline_rates.py``). The sandbox connector's URL comes from ``BACKPACK_SANDBOX_URL``.
"""
import argparse
import asyncio
import os
import sys
from pathlib import Path

from backpack_harness.cli import command


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--home", type=Path, default=None,
                        help="Hummingbot home folder (conf/, logs/, data/, scripts/); created if missing")
    parser.add_argument("--offline-rates", action="store_true",
                        help="value balances without internet rate sources (backpack_client/offline_rates.py)")
    parser.add_argument("--config-password", default=os.environ.get("CONFIG_PASSWORD"),
                        help="password of the encrypted keys (env CONFIG_PASSWORD); asked for when absent")


def launch(args: argparse.Namespace) -> int:
    """Enter the home, ask for (or take) the password, bootstrap and run the client; 1 on a wrong password."""
    from backpack_client.home import enter_home, use_home
    if args.home is not None:
        use_home(args.home)
    else:
        import hummingbot
        enter_home(Path(hummingbot.root_path()))

    from hummingbot.client.config.config_crypt import ETHKeyFileSecretManger
    from hummingbot.client.config.config_helpers import load_client_config_map_from_file
    from hummingbot.client.runner import bootstrap_application
    from hummingbot.client.ui import login_prompt
    from hummingbot.client.ui.style import load_style

    client_config_map = load_client_config_map_from_file()
    if args.config_password is None:
        secrets_manager = login_prompt(ETHKeyFileSecretManger, style=load_style(client_config_map))
        if secrets_manager is None:
            return 1
    else:
        secrets_manager = ETHKeyFileSecretManger(args.config_password)

    async def run() -> int:
        hb = await bootstrap_application(client_config_map, secrets_manager)
        if hb is None:
            print("Invalid password.", file=sys.stderr)
            return 1
        if args.offline_rates:
            from backpack_client.offline_rates import OfflineRateSource
            from hummingbot.core.rate_oracle.rate_oracle import RateOracle
            RateOracle.get_instance().source = OfflineRateSource(lambda: hb.trading_core.connectors.values())
        await hb.run()
        return 0

    return asyncio.run(run())


main = command("python -m backpack_client", __doc__, launch, add_arguments)

if __name__ == "__main__":
    sys.exit(main())
