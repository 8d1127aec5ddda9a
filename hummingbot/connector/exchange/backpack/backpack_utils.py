"""Connector settings Hummingbot discovers: config maps (``KEYS``), default fees, example pair and the
``backpack_sandbox`` domain (``OTHER_DOMAINS``), plus the market filter used for trading rules.

Fees: Backpack's published fee table is an image; the fallback below (maker 8 bps, taker 10 bps) is used only
until ``GET /api/v1/account`` answers with the account's tier (§5.4; the connector refreshes it periodically).
"""
from decimal import Decimal
from typing import Any

from pydantic import ConfigDict, Field, SecretStr, field_validator

import hummingbot.connector.exchange.backpack.backpack_constants as CONSTANTS
from hummingbot.client.config.config_data_types import BaseConnectorConfigMap
from hummingbot.connector.backpack_common.signing import BackpackKeyError, decode_api_key, decode_secret
from hummingbot.connector.exchange.backpack.backpack_types import Market
from hummingbot.core.data_type.trade_fee import TradeFeeSchema

CENTRALIZED = True
EXAMPLE_PAIR = "SOL-USDC"

DEFAULT_FEES = TradeFeeSchema(
    maker_percent_fee_decimal=Decimal("0.0008"),
    taker_percent_fee_decimal=Decimal("0.001"),
    buy_percent_fee_deducted_from_returns=True,
)


def is_exchange_information_valid(market: Market) -> bool:
    """True for a tradable spot market: ``marketType == "SPOT"``, ``visible`` and ``orderBookState == "Open"``
    (§4.4, §11.7), with text ``symbol``/``baseSymbol``/``quoteSymbol`` (a
    list there would be unhashable in the symbol map, any other type a nonsense trading pair)."""
    return (market.get("marketType") == CONSTANTS.MARKET_TYPE_SPOT
            and market.get("visible") is True
            and market.get("orderBookState") == CONSTANTS.ORDER_BOOK_STATE_OPEN
            and all(type(value) is str and value
                    for value in (market.get("symbol"), market.get("baseSymbol"), market.get("quoteSymbol"))))


def _check_api_key(value: SecretStr) -> SecretStr:
    try:
        decode_api_key(value.get_secret_value())
    except BackpackKeyError as e:
        raise ValueError(str(e)) from None
    return value


def _check_secret(value: SecretStr) -> SecretStr:
    try:
        decode_secret(value.get_secret_value())
    except BackpackKeyError as e:
        raise ValueError(str(e)) from None
    return value


def _key_field(prompt: str) -> Any:
    return Field(
        default=...,
        json_schema_extra={
            "prompt": lambda cm: prompt,  # type: ignore[dict-item]  # Hummingbot calls prompts
            "is_secure": True,
            "is_connect_key": True,
            "prompt_on_new": True,
        },
    )


class BackpackConfigMap(BaseConnectorConfigMap):
    connector: str = CONSTANTS.EXCHANGE_NAME
    backpack_api_key: SecretStr = _key_field("Enter your Backpack API key (base64 public key)")
    backpack_api_secret: SecretStr = _key_field("Enter your Backpack API secret (base64 or hex ED25519 seed)")
    model_config = ConfigDict(title=CONSTANTS.EXCHANGE_NAME, hide_input_in_errors=True)

    _validate_key = field_validator("backpack_api_key", mode="after")(_check_api_key)
    _validate_secret = field_validator("backpack_api_secret", mode="after")(_check_secret)


KEYS = BackpackConfigMap.model_construct()

OTHER_DOMAINS = [CONSTANTS.SANDBOX_CONNECTOR_NAME]
OTHER_DOMAINS_PARAMETER = {CONSTANTS.SANDBOX_CONNECTOR_NAME: CONSTANTS.SANDBOX_DOMAIN}
OTHER_DOMAINS_EXAMPLE_PAIR = {CONSTANTS.SANDBOX_CONNECTOR_NAME: EXAMPLE_PAIR}
OTHER_DOMAINS_DEFAULT_FEES = {CONSTANTS.SANDBOX_CONNECTOR_NAME: DEFAULT_FEES}


class BackpackSandboxConfigMap(BaseConnectorConfigMap):
    """Keys for the local sandbox exchange (``python -m backpack_sandbox``). Its URL comes from the
    ``BACKPACK_SANDBOX_URL`` environment variable (default ``http://127.0.0.1:8765``)."""
    connector: str = CONSTANTS.SANDBOX_CONNECTOR_NAME
    backpack_sandbox_api_key: SecretStr = _key_field("Enter your Backpack sandbox API key")
    backpack_sandbox_api_secret: SecretStr = _key_field("Enter your Backpack sandbox API secret")
    model_config = ConfigDict(title=CONSTANTS.SANDBOX_CONNECTOR_NAME, hide_input_in_errors=True)

    _validate_key = field_validator("backpack_sandbox_api_key", mode="after")(_check_api_key)
    _validate_secret = field_validator("backpack_sandbox_api_secret", mode="after")(_check_secret)


OTHER_DOMAINS_KEYS = {CONSTANTS.SANDBOX_CONNECTOR_NAME: BackpackSandboxConfigMap.model_construct()}
