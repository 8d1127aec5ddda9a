"""Bot instances as hummingbot-api lays them out and starts them (one container per bot).

hummingbot-api keeps ``bots/instances/<name>/{conf,data,logs}`` per bot (its ``conf`` copied from a credentials
profile: ``conf_client.yml`` with ``instance_id``, ``.password_verification``, ``connectors/<connector>.yml``
encrypted with the config password, the script config in ``conf/scripts``) and shares ``bots/scripts`` and
``bots/controllers``. It runs the bot image with docker-py: host network, eight bind mounts under
``/home/hummingbot`` and the environment ``CONFIG_PASSWORD``, ``SCRIPT_CONFIG``, ``HEADLESS_MODE``
(:func:`container_spec`). The connector file is written with Hummingbot's own config and security functions
(:func:`write_credentials`), so Hummingbot in the container decrypts it as its own.
"""
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict

import yaml

from backpack_client.install_templates import EXECUTORS_SCRIPT, EXECUTORS_TEMPLATE, SCRIPTS_DIR, TEMPLATES_DIR
from backpack_demo.v2 import sandbox_values
from hummingbot.client.config.client_config_map import ClientConfigMap
from hummingbot.client.config.config_crypt import PASSWORD_VERIFICATION_WORD, ETHKeyFileSecretManger
from hummingbot.client.config.config_helpers import ClientConfigAdapter, save_to_yml
from hummingbot.client.config.security import Security
from hummingbot.connector.exchange.backpack import backpack_constants as CONSTANTS
from hummingbot.connector.exchange.backpack.backpack_utils import BackpackSandboxConfigMap

CONTAINER_HOME = "/home/hummingbot"
#: (host folder relative to the instance or to ``bots/``, container folder): hummingbot-api's eight volumes.
INSTANCE_VOLUMES = (("conf", "conf"), ("conf/connectors", "conf/connectors"), ("conf/scripts", "conf/scripts"),
                    ("conf/controllers", "conf/controllers"), ("data", "data"), ("logs", "logs"))
SHARED_VOLUMES = (("scripts", "scripts"), ("controllers", "controllers"))


@dataclass(frozen=True)
class BotInstance:
    """One bot: its name (container name, ``instance_id``), the executor kind of ``backpack_executors.py`` it runs,
    and where its folders live (``<bots>/instances/<name>``)."""

    name: str
    kind: str
    bots: Path

    @property
    def folder(self) -> Path:
        return self.bots / "instances" / self.name

    @property
    def script_config(self) -> str:
        """File name in ``conf/scripts`` (what ``SCRIPT_CONFIG`` names)."""
        return f"conf_backpack_executors_{self.kind}.yml"

    @property
    def status_file(self) -> Path:
        """Where Hummingbot's headless engine writes its status (``data/bot/status.json``)."""
        return self.folder / "data" / "bot" / "status.json"


def container_spec(bot: BotInstance, image: str, password: str, headless: bool = True) -> Dict[str, Any]:
    """Keyword arguments of docker-py's ``containers.run`` for ``bot``, as hummingbot-api passes them.

    :raises ValueError: for a script config without a password (hummingbot-api refuses to start such a bot).
    """
    volumes = {str((bot.folder / host).resolve()): {"bind": f"{CONTAINER_HOME}/{inside}", "mode": "rw"}
               for host, inside in INSTANCE_VOLUMES}
    volumes.update({str((bot.bots / host).resolve()): {"bind": f"{CONTAINER_HOME}/{inside}", "mode": "rw"}
                    for host, inside in SHARED_VOLUMES})
    if not password:
        raise ValueError("a bot with a script config needs a config password")
    environment = {"CONFIG_PASSWORD": password, "SCRIPT_CONFIG": bot.script_config}
    if headless:
        environment["HEADLESS_MODE"] = "true"
    return {"image": image, "name": bot.name, "volumes": volumes, "environment": environment,
            "network_mode": "host", "detach": True, "tty": True, "stdin_open": True}


def write_credentials(conf: Path, password: str, api_key: str, secret: str, instance_id: str) -> None:
    """``conf/.password_verification``, ``conf/conf_client.yml`` (``instance_id``) and the encrypted
    ``conf/connectors/backpack_sandbox.yml``, written by Hummingbot's own functions with ``password``.

    :raises RuntimeError: when Hummingbot did not write a file (its writer only logs errors).
    """
    (conf / "connectors").mkdir(parents=True, exist_ok=True)
    secrets_manager = ETHKeyFileSecretManger(password)
    verification = secrets_manager.encrypt_secret_value(PASSWORD_VERIFICATION_WORD, PASSWORD_VERIFICATION_WORD)
    (conf / ".password_verification").write_text(verification, encoding="utf-8")
    previous, Security.secrets_manager = Security.secrets_manager, secrets_manager
    try:
        files = {
            conf / "conf_client.yml": ClientConfigAdapter(ClientConfigMap(instance_id=instance_id)),
            conf / "connectors" / f"{CONSTANTS.SANDBOX_CONNECTOR_NAME}.yml": ClientConfigAdapter(
                BackpackSandboxConfigMap(backpack_sandbox_api_key=api_key, backpack_sandbox_api_secret=secret)),
        }
        for path, adapter in files.items():
            save_to_yml(path, adapter)
            if not path.is_file():
                raise RuntimeError(f"Hummingbot did not write {path.name}")
    finally:
        Security.secrets_manager = previous


def prepare(bot: BotInstance, password: str, api_key: str, secret: str, duration_s: float) -> None:
    """Create ``bot``'s folders, credentials and script config, and the shared ``scripts``/``controllers``."""
    for folder in ("conf/scripts", "conf/controllers", "data", "logs"):
        (bot.folder / folder).mkdir(parents=True, exist_ok=True)
    write_credentials(bot.folder / "conf", password, api_key, secret, bot.name)
    config = yaml.safe_load((TEMPLATES_DIR / EXECUTORS_TEMPLATE).read_text(encoding="utf-8"))
    config.update(sandbox_values(bot.kind, duration_s))
    (bot.folder / "conf" / "scripts" / bot.script_config).write_text(yaml.safe_dump(config, sort_keys=False))
    (bot.bots / "scripts").mkdir(parents=True, exist_ok=True)
    (bot.bots / "controllers").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(SCRIPTS_DIR / EXECUTORS_SCRIPT, bot.bots / "scripts" / EXECUTORS_SCRIPT)
