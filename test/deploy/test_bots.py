"""Bot instances: the container spec is hummingbot-api's (volumes, environment, host network), and the credentials
are written by Hummingbot's own config and security functions, readable with the password only."""
import json

import pytest
import yaml

from backpack_harness.headless import new_key_pair
from deploy import bots
from hummingbot.client.config.config_crypt import PASSWORD_VERIFICATION_WORD, ETHKeyFileSecretManger
from hummingbot.client.config.config_helpers import load_connector_config_map_from_file
from hummingbot.client.config.security import Security

PASSWORD = "a-config-password"


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    root = tmp_path_factory.mktemp("deploy-bots") / "bots"
    api_key, secret = new_key_pair()
    bot = bots.BotInstance("backpack-bot-order", "order", root)
    bots.prepare(bot, PASSWORD, api_key, secret, duration_s=60)
    return bot, api_key, secret


def test_container_spec_is_hummingbot_apis(tmp_path):
    bot = bots.BotInstance("bot-1", "twap", tmp_path / "bots")
    spec = bots.container_spec(bot, "localhost/hummingbot-backpack:test", PASSWORD)
    instance = (tmp_path / "bots" / "instances" / "bot-1").resolve()
    shared = (tmp_path / "bots").resolve()
    assert spec["volumes"] == {
        str(instance / "conf"): {"bind": "/home/hummingbot/conf", "mode": "rw"},
        str(instance / "conf" / "connectors"): {"bind": "/home/hummingbot/conf/connectors", "mode": "rw"},
        str(instance / "conf" / "scripts"): {"bind": "/home/hummingbot/conf/scripts", "mode": "rw"},
        str(instance / "conf" / "controllers"): {"bind": "/home/hummingbot/conf/controllers", "mode": "rw"},
        str(instance / "data"): {"bind": "/home/hummingbot/data", "mode": "rw"},
        str(instance / "logs"): {"bind": "/home/hummingbot/logs", "mode": "rw"},
        str(shared / "scripts"): {"bind": "/home/hummingbot/scripts", "mode": "rw"},
        str(shared / "controllers"): {"bind": "/home/hummingbot/controllers", "mode": "rw"},
    }
    assert spec["environment"] == {"CONFIG_PASSWORD": PASSWORD, "SCRIPT_CONFIG": "conf_backpack_executors_twap.yml",
                                   "HEADLESS_MODE": "true"}
    assert spec["network_mode"] == "host" and spec["name"] == "bot-1"
    assert spec["image"] == "localhost/hummingbot-backpack:test"
    assert spec["detach"] is spec["tty"] is spec["stdin_open"] is True
    assert "HEADLESS_MODE" not in bots.container_spec(bot, "i", PASSWORD, headless=False)["environment"]


def test_a_script_bot_without_password_is_refused(tmp_path):
    with pytest.raises(ValueError, match="password"):
        bots.container_spec(bots.BotInstance("b", "order", tmp_path), "i", "")


def test_credentials_decrypt_with_the_password_only(prepared):
    bot, api_key, secret = prepared
    conf = bot.folder / "conf"
    manager = ETHKeyFileSecretManger(PASSWORD)
    verification = (conf / ".password_verification").read_text()
    assert manager.decrypt_secret_value(PASSWORD_VERIFICATION_WORD, verification) == PASSWORD_VERIFICATION_WORD
    with pytest.raises(ValueError):
        ETHKeyFileSecretManger("wrong").decrypt_secret_value(PASSWORD_VERIFICATION_WORD, verification)

    connector_file = conf / "connectors" / "backpack_sandbox.yml"
    for path in conf.rglob("*"):
        if path.is_file():
            assert secret not in path.read_text(), f"{path.name} holds the secret in clear"
    previous, Security.secrets_manager = Security.secrets_manager, manager
    try:
        config = load_connector_config_map_from_file(connector_file)  # what Hummingbot's decrypt_all does
    finally:
        Security.secrets_manager = previous
    assert config.backpack_sandbox_api_key.get_secret_value() == api_key
    assert config.backpack_sandbox_api_secret.get_secret_value() == secret
    assert yaml.safe_load((conf / "conf_client.yml").read_text())["instance_id"] == bot.name


def test_prepare_lays_out_hummingbot_apis_instance_folders(prepared):
    bot, _, _ = prepared
    for folder in ("conf/connectors", "conf/scripts", "conf/controllers", "data", "logs"):
        assert (bot.folder / folder).is_dir(), folder
    config = yaml.safe_load((bot.folder / "conf" / "scripts" / bot.script_config).read_text())
    assert config["script_file_name"] == "backpack_executors.py" and config["executor"] == "order"
    assert config["connector_name"] == "backpack_sandbox" and config["trading_pair"] == "SOL-USDC"
    assert (bot.bots / "scripts" / "backpack_executors.py").is_file() and (bot.bots / "controllers").is_dir()
    assert bot.status_file == bot.folder / "data" / "bot" / "status.json"
    json.dumps(bots.container_spec(bot, "i", PASSWORD))  # JSON-able, as docker-py sends it
