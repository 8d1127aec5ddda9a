"""``backpack_utils``: the market filter, default fees, and the config maps Hummingbot discovers (``KEYS`` and
the sandbox domains' ``OTHER_DOMAINS*``)."""
from decimal import Decimal
from test.hummingbot.connector.exchange.backpack.exchange_test_support import API_KEY, API_SECRET

import pytest
from pydantic import ValidationError

from hummingbot.connector.exchange.backpack import backpack_constants as CONSTANTS, backpack_utils as utils

SPOT = {"symbol": "SOL_USDC", "baseSymbol": "SOL", "quoteSymbol": "USDC", "marketType": "SPOT", "visible": True,
        "orderBookState": "Open"}


def test_a_visible_open_spot_market_with_text_symbols_is_valid():
    assert utils.is_exchange_information_valid(dict(SPOT)) is True


@pytest.mark.parametrize("change", [
    {"marketType": "PERP"}, {"marketType": None},
    {"visible": False}, {"visible": "true"}, {"visible": 1},
    {"orderBookState": "Closed"}, {"orderBookState": "PostOnly"}, {"orderBookState": "open"},
    {"symbol": ["SOL_USDC"]}, {"symbol": ""}, {"baseSymbol": 5}, {"quoteSymbol": None},
])
def test_markets_that_are_not_tradable_spot_or_have_non_text_symbols_are_invalid(change):
    assert utils.is_exchange_information_valid(dict(SPOT, **change)) is False


@pytest.mark.parametrize("missing", ["marketType", "visible", "orderBookState", "symbol", "baseSymbol",
                                     "quoteSymbol"])
def test_a_market_missing_a_field_is_invalid(missing):
    market = {k: v for k, v in SPOT.items() if k != missing}
    assert utils.is_exchange_information_valid(market) is False


def test_default_fees_and_example_pair():
    assert utils.CENTRALIZED is True and utils.EXAMPLE_PAIR == "SOL-USDC"
    assert utils.DEFAULT_FEES.maker_percent_fee_decimal == Decimal("0.0008")
    assert utils.DEFAULT_FEES.taker_percent_fee_decimal == Decimal("0.001")
    assert utils.DEFAULT_FEES.buy_percent_fee_deducted_from_returns is True


@pytest.mark.parametrize("keys, connector, prefix", [
    (utils.KEYS, CONSTANTS.EXCHANGE_NAME, "backpack"),
    (utils.OTHER_DOMAINS_KEYS[CONSTANTS.SANDBOX_CONNECTOR_NAME], CONSTANTS.SANDBOX_CONNECTOR_NAME, "backpack_sandbox"),
    (utils.OTHER_DOMAINS_KEYS[CONSTANTS.SANDBOX_2_CONNECTOR_NAME], CONSTANTS.SANDBOX_2_CONNECTOR_NAME,
     "backpack_sandbox_2"),
])
def test_config_maps_have_secure_connect_key_fields(keys, connector, prefix):
    assert keys.connector == connector
    assert keys.model_config["title"] == connector
    for field in (f"{prefix}_api_key", f"{prefix}_api_secret"):
        extra = type(keys).model_fields[field].json_schema_extra
        assert extra["is_secure"] is True and extra["is_connect_key"] is True and extra["prompt_on_new"] is True
        assert "Backpack" in extra["prompt"](keys)


@pytest.mark.parametrize("config_class, prefix", [
    (utils.BackpackConfigMap, "backpack"), (utils.BackpackSandboxConfigMap, "backpack_sandbox"),
    (utils.BackpackSandbox2ConfigMap, "backpack_sandbox_2")])
def test_config_maps_accept_valid_keys_and_refuse_others_without_echoing_them(config_class, prefix):
    """The message Hummingbot shows (``errors()[...]["msg"]``) names the problem, never the value."""
    config = config_class(**{f"{prefix}_api_key": API_KEY, f"{prefix}_api_secret": API_SECRET})
    assert config.model_dump()[f"{prefix}_api_key"].get_secret_value() == API_KEY
    hex_secret = bytes(range(32)).hex()
    assert config_class(**{f"{prefix}_api_key": API_KEY, f"{prefix}_api_secret": hex_secret})
    bad_secret = "c2VjcmV0LXRvby1zaG9ydA=="
    with pytest.raises(ValidationError) as secret_error:
        config_class(**{f"{prefix}_api_key": API_KEY, f"{prefix}_api_secret": bad_secret})
    message = secret_error.value.errors()[0]["msg"]
    assert "API secret" in message and bad_secret not in message
    # pydantic quotes the rejected input in the error's text unless the model hides it
    assert bad_secret not in str(secret_error.value) and bad_secret not in repr(secret_error.value)
    with pytest.raises(ValidationError) as key_error:
        config_class(**{f"{prefix}_api_key": "not a key!", f"{prefix}_api_secret": API_SECRET})
    assert "API key" in key_error.value.errors()[0]["msg"]


def test_the_sandbox_domains_are_declared_for_hummingbot():
    """``backpack_sandbox`` and a second account ``backpack_sandbox_2``, each with its own domain and keys."""
    names = [CONSTANTS.SANDBOX_CONNECTOR_NAME, CONSTANTS.SANDBOX_2_CONNECTOR_NAME]
    assert names == ["backpack_sandbox", "backpack_sandbox_2"]
    assert utils.OTHER_DOMAINS == names
    assert utils.OTHER_DOMAINS_PARAMETER == {names[0]: CONSTANTS.SANDBOX_DOMAIN, names[1]: CONSTANTS.SANDBOX_2_DOMAIN}
    assert set(utils.OTHER_DOMAINS_PARAMETER.values()) == set(CONSTANTS.SANDBOX_DOMAINS)
    assert utils.OTHER_DOMAINS_EXAMPLE_PAIR == {name: utils.EXAMPLE_PAIR for name in names}
    assert utils.OTHER_DOMAINS_DEFAULT_FEES == {name: utils.DEFAULT_FEES for name in names}
    assert set(utils.OTHER_DOMAINS_KEYS) == set(names)
    assert type(utils.OTHER_DOMAINS_KEYS[names[1]]) is utils.BackpackSandbox2ConfigMap


def test_the_second_sandbox_account_connects_with_its_own_keys_as_a_sandbox_connector():
    """Hummingbot's path (config map → connect keys → init parameters) builds a ``backpack_sandbox_2`` connector
    on the sandbox domain ``sandbox_2`` with that map's keys, not ``backpack_sandbox``'s."""
    from hummingbot.client.config.config_helpers import ClientConfigAdapter, api_keys_from_connector_config_map
    from hummingbot.client.settings import AllConnectorSettings
    from hummingbot.connector.exchange.backpack.backpack_exchange import BackpackExchange

    config = utils.BackpackSandbox2ConfigMap(backpack_sandbox_2_api_key=API_KEY,
                                             backpack_sandbox_2_api_secret=API_SECRET)
    api_keys = api_keys_from_connector_config_map(ClientConfigAdapter(config))
    assert set(api_keys) == {f"backpack_sandbox_2_{name}" for name in (
        "api_key", "api_secret", "rate_limit_share_pct", "self_trade_prevention", "proxy_url", "rest_market_data",
        "ws_failures_before_rest", "batch_placements", "cancel_by_market")}  # a blank instance tag (None) is not passed
    settings = AllConnectorSettings.get_connector_settings()[CONSTANTS.SANDBOX_2_CONNECTOR_NAME]
    assert settings.parent_name == "backpack" and settings.domain_parameter == CONSTANTS.SANDBOX_2_DOMAIN
    exchange = BackpackExchange(**settings.conn_init_parameters(trading_pairs=["SOL-USDC"], trading_required=True,
                                                                api_keys=api_keys))
    assert exchange.name == "backpack_sandbox_2" and exchange.domain == "sandbox_2"
    assert exchange._auth.api_key == API_KEY
    assert exchange._order_batcher.enabled is True
    off = dict(api_keys, backpack_sandbox_2_batch_placements=False)
    assert BackpackExchange(**settings.conn_init_parameters(trading_pairs=["SOL-USDC"], trading_required=True,
                                                            api_keys=off))._order_batcher.enabled is False
    assert exchange._cancel_batcher.enabled is False
    on = dict(api_keys, backpack_sandbox_2_cancel_by_market=True)
    assert BackpackExchange(**settings.conn_init_parameters(trading_pairs=["SOL-USDC"], trading_required=True,
                                                            api_keys=on))._cancel_batcher.enabled is True


@pytest.mark.parametrize("config_class, prefix, connector_name", [
    (utils.BackpackConfigMap, "backpack", CONSTANTS.EXCHANGE_NAME),
    (utils.BackpackSandboxConfigMap, "backpack_sandbox", CONSTANTS.SANDBOX_CONNECTOR_NAME),
    (utils.BackpackSandbox2ConfigMap, "backpack_sandbox_2", CONSTANTS.SANDBOX_2_CONNECTOR_NAME)])
def test_instance_tag_setting_is_validated_and_reaches_the_connector(config_class, prefix, connector_name):
    """``*_instance_tag``: blank → None (random tag, not passed); 1..4095 → the connector's ``clientId`` tag; other
    values fail validation naming the range."""
    from hummingbot.client.config.config_helpers import ClientConfigAdapter, api_keys_from_connector_config_map
    from hummingbot.client.settings import AllConnectorSettings
    from hummingbot.connector.exchange.backpack.backpack_exchange import BackpackExchange

    field = f"{prefix}_instance_tag"
    extra = config_class.model_fields[field].json_schema_extra
    assert extra["is_secure"] is False and extra["is_connect_key"] is True and extra["prompt_on_new"] is False
    keys = {f"{prefix}_api_key": API_KEY, f"{prefix}_api_secret": API_SECRET}
    assert getattr(config_class(**keys), field) is None
    assert getattr(config_class(**keys, **{field: ""}), field) is None
    config = config_class(**keys, **{field: "4095"})
    assert getattr(config, field) == 4095
    api_keys = api_keys_from_connector_config_map(ClientConfigAdapter(config))
    assert api_keys[field] == 4095
    settings = AllConnectorSettings.get_connector_settings()[connector_name]
    exchange = BackpackExchange(**settings.conn_init_parameters(trading_pairs=["SOL-USDC"], trading_required=True,
                                                                api_keys=api_keys))
    assert exchange._client_order_ids.instance_tag == 4095 and exchange._orphan_sweep.enabled
    for bad in (0, 4096, "x", "2.5"):
        with pytest.raises(ValidationError, match="1..4095"):
            config_class(**keys, **{field: bad})


@pytest.mark.parametrize("config_class, prefix", [
    (utils.BackpackConfigMap, "backpack"), (utils.BackpackSandboxConfigMap, "backpack_sandbox"),
    (utils.BackpackSandbox2ConfigMap, "backpack_sandbox_2")])
def test_multi_bot_settings_are_non_secret_connect_keys_with_defaults(config_class, prefix):
    for field in (f"{prefix}_rate_limit_share_pct", f"{prefix}_self_trade_prevention"):
        extra = config_class.model_fields[field].json_schema_extra
        assert extra["is_secure"] is False and extra["is_connect_key"] is True and extra["prompt_on_new"] is False
    keys = {f"{prefix}_api_key": API_KEY, f"{prefix}_api_secret": API_SECRET}
    config = config_class(**keys)
    assert getattr(config, f"{prefix}_rate_limit_share_pct") == Decimal("100")
    assert getattr(config, f"{prefix}_self_trade_prevention") == "RejectTaker"
    config = config_class(**keys, **{f"{prefix}_rate_limit_share_pct": "33",
                                     f"{prefix}_self_trade_prevention": "RejectBoth"})
    assert getattr(config, f"{prefix}_rate_limit_share_pct") == Decimal("33")
    for bad in ({f"{prefix}_rate_limit_share_pct": "0"}, {f"{prefix}_rate_limit_share_pct": "101"},
                {f"{prefix}_self_trade_prevention": "Allow"}):
        with pytest.raises(ValidationError):
            config_class(**keys, **bad)


@pytest.mark.parametrize("connector_name, prefix, hummingbot_share, expected_share", [
    (CONSTANTS.EXCHANGE_NAME, "backpack", None, Decimal("33")),
    (CONSTANTS.SANDBOX_CONNECTOR_NAME, "backpack_sandbox", Decimal("100"), Decimal("33")),
    (CONSTANTS.SANDBOX_CONNECTOR_NAME, "backpack_sandbox", Decimal("20"), Decimal("20")),
    (CONSTANTS.SANDBOX_2_CONNECTOR_NAME, "backpack_sandbox_2", Decimal("20"), Decimal("20")),
])
def test_hummingbot_hands_the_settings_to_the_connector(connector_name, prefix, hummingbot_share, expected_share):
    """Through Hummingbot's own path (config map → connect keys → init parameters): the main domain never gets
    Hummingbot's ``rate_limits_share_pct``, so the connector applies its own field (the lower of the two)."""
    from hummingbot.client.config.config_helpers import ClientConfigAdapter, api_keys_from_connector_config_map
    from hummingbot.client.settings import AllConnectorSettings
    from hummingbot.connector.exchange.backpack.backpack_exchange import BackpackExchange

    config_class = {"backpack": utils.BackpackConfigMap, "backpack_sandbox": utils.BackpackSandboxConfigMap,
                    "backpack_sandbox_2": utils.BackpackSandbox2ConfigMap}[prefix]
    config = config_class(**{f"{prefix}_api_key": API_KEY, f"{prefix}_api_secret": API_SECRET,
                             f"{prefix}_rate_limit_share_pct": "33", f"{prefix}_self_trade_prevention": "RejectMaker"})
    api_keys = api_keys_from_connector_config_map(ClientConfigAdapter(config))
    settings = AllConnectorSettings.get_connector_settings()[connector_name]
    extra = {} if hummingbot_share is None else {"rate_limits_share_pct": hummingbot_share}
    params = settings.conn_init_parameters(trading_pairs=["SOL-USDC"], trading_required=True, api_keys=api_keys,
                                           **extra)
    exchange = BackpackExchange(**params)
    assert exchange._rate_limits_share_pct == expected_share
    assert exchange._self_trade_prevention == "RejectMaker"
    global_limit = exchange._throttler._id_to_limit_map[CONSTANTS.GLOBAL_POOL].limit
    assert global_limit == int(CONSTANTS.GLOBAL_LIMIT_PER_MINUTE * expected_share / 100)
    with pytest.raises(ValueError):
        BackpackExchange(backpack_api_key=API_KEY, backpack_api_secret=API_SECRET, backpack_self_trade_prevention="x")


@pytest.mark.parametrize("config_class, prefix", [
    (utils.BackpackConfigMap, "backpack"), (utils.BackpackSandboxConfigMap, "backpack_sandbox"),
    (utils.BackpackSandbox2ConfigMap, "backpack_sandbox_2")])
def test_keys_saved_encrypted_by_hummingbot_load_back(tmp_path, config_class, prefix):
    """Hummingbot validates ``conf/connectors/<connector>.yml`` with the secure fields still encrypted, then assigns
    the decrypted values: a headless bot (or a restarted client) starting from its stored keys reads them back, and
    a bad key stored encrypted is still refused once decrypted."""
    from hummingbot.client.config.config_crypt import ETHKeyFileSecretManger
    from hummingbot.client.config.config_helpers import (
        ClientConfigAdapter,
        load_connector_config_map_from_file,
        save_to_yml,
    )
    from hummingbot.client.config.security import Security

    path = tmp_path / f"{prefix}.yml"
    previous, Security.secrets_manager = Security.secrets_manager, ETHKeyFileSecretManger("password")
    try:
        save_to_yml(path, ClientConfigAdapter(config_class(**{f"{prefix}_api_key": API_KEY,
                                                              f"{prefix}_api_secret": API_SECRET})))
        assert API_SECRET not in path.read_text()
        loaded = load_connector_config_map_from_file(path)
        assert getattr(loaded, f"{prefix}_api_key").get_secret_value() == API_KEY
        assert getattr(loaded, f"{prefix}_api_secret").get_secret_value() == API_SECRET

        bad = config_class.model_construct(**{f"{prefix}_api_key": API_KEY,
                                              f"{prefix}_api_secret": "c2VjcmV0LXRvby1zaG9ydA=="})
        save_to_yml(path, ClientConfigAdapter(bad))
        with pytest.raises(ValueError, match="API secret"):
            load_connector_config_map_from_file(path)
    finally:
        Security.secrets_manager = previous


@pytest.mark.parametrize("config_class, prefix", [
    (utils.BackpackConfigMap, "backpack"), (utils.BackpackSandboxConfigMap, "backpack_sandbox"),
    (utils.BackpackSandbox2ConfigMap, "backpack_sandbox_2")])
def test_network_settings_are_non_secret_and_checked_without_echoing_proxy_credentials(config_class, prefix):
    for name in ("proxy_url", "rest_market_data", "ws_failures_before_rest"):
        extra = config_class.model_fields[f"{prefix}_{name}"].json_schema_extra
        assert extra["is_secure"] is False and extra["is_connect_key"] is True and extra["prompt_on_new"] is False
    keys = {f"{prefix}_api_key": API_KEY, f"{prefix}_api_secret": API_SECRET}
    config = config_class(**keys)
    assert getattr(config, f"{prefix}_proxy_url") == ""
    assert getattr(config, f"{prefix}_rest_market_data") is False
    assert getattr(config, f"{prefix}_ws_failures_before_rest") == utils.WS_FAILURES_BEFORE_REST
    config = config_class(**keys, **{f"{prefix}_proxy_url": " http://u:p@proxy:3128 "})
    assert getattr(config, f"{prefix}_proxy_url") == "http://u:p@proxy:3128"
    for bad in ({f"{prefix}_proxy_url": "socks5://bot:hunter2@proxy:1080"},
                {f"{prefix}_proxy_url": "http://bot:hunter2@"},
                {f"{prefix}_ws_failures_before_rest": -1}):
        with pytest.raises(ValidationError) as raised:
            config_class(**keys, **bad)
        assert "hunter2" not in str(raised.value)


def test_hummingbot_hands_the_network_settings_to_the_connector():
    from hummingbot.client.config.config_helpers import ClientConfigAdapter, api_keys_from_connector_config_map
    from hummingbot.client.settings import AllConnectorSettings
    from hummingbot.connector.exchange.backpack.backpack_exchange import BackpackExchange

    config = utils.BackpackSandboxConfigMap(
        backpack_sandbox_api_key=API_KEY, backpack_sandbox_api_secret=API_SECRET,
        backpack_sandbox_proxy_url="http://bot:hunter2@127.0.0.1:3128", backpack_sandbox_rest_market_data=True,
        backpack_sandbox_ws_failures_before_rest=2)
    api_keys = api_keys_from_connector_config_map(ClientConfigAdapter(config))
    settings = AllConnectorSettings.get_connector_settings()[CONSTANTS.SANDBOX_CONNECTOR_NAME]
    params = settings.conn_init_parameters(trading_pairs=["SOL-USDC"], trading_required=True, api_keys=api_keys)
    exchange = BackpackExchange(**params)
    proxy = exchange._connections_factory.proxy
    assert proxy.url == "http://127.0.0.1:3128" and proxy.auth.password == "hunter2"
    assert exchange._market_data_settings == {"force_rest": True, "ws_failures_before_rest": 2}


@pytest.mark.parametrize("config_class, prefix", [
    (utils.BackpackConfigMap, "backpack"), (utils.BackpackSandboxConfigMap, "backpack_sandbox")])
def test_cancel_by_market_is_an_opt_in_non_secret_setting(config_class, prefix):
    field = f"{prefix}_cancel_by_market"
    extra = config_class.model_fields[field].json_schema_extra
    assert extra["is_secure"] is False and extra["is_connect_key"] is True and extra["prompt_on_new"] is False
    keys = {f"{prefix}_api_key": API_KEY, f"{prefix}_api_secret": API_SECRET}
    assert getattr(config_class(**keys), field) is False
    assert getattr(config_class(**keys, **{field: True}), field) is True
