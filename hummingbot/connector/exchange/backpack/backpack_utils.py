"""Connector settings Hummingbot discovers: config maps (``KEYS``), default fees, example pair and the sandbox
domains (``OTHER_DOMAINS``: ``backpack_sandbox`` and a second account ``backpack_sandbox_2``), plus the market
filter used for trading rules.

Besides the keys, each config map has two non-secret settings for several bots on one account (not prompted; set
them in ``conf/connectors/<connector>.yml``): ``*_rate_limit_share_pct`` (percent of the account's request limit,
§7; Hummingbot passes its own ``rate_limits_share_pct`` to sub-domain connectors only) and
``*_self_trade_prevention`` (``selfTradePrevention`` sent on every order, §5.5). Networks (README "Networks"):
``*_proxy_url`` (an ``http[s]://[user:password@]host:port`` proxy for REST and both WebSockets; blank: the
``HTTPS_PROXY``/``ALL_PROXY`` environment), ``*_rest_market_data`` (order books and trades from REST polling, no
public WebSocket) and ``*_ws_failures_before_rest`` (consecutive public WebSocket connect failures before falling
back to REST market data; 0 = never). ``*_instance_tag`` (1..4095, blank: random each start): the tag in every
``clientId`` this bot gives, the same in every life, so a restart can cancel the orders its previous life left open
(README "Crash and restart"); each bot on one key needs its own. Requests: ``*_batch_placements`` (placements that
arrive together go out as one batch; default on) and ``*_cancel_by_market`` (a bot alone on its key cancels a
market's orders with one request, §5.8; default off; README "Several bots on one account").

Fees: Backpack's published fee table is an image; the fallback below (maker 8 bps, taker 10 bps) is used only
until ``GET /api/v1/account`` answers with the account's tier (§5.4; the connector refreshes it periodically).
"""
import binascii
import json
from decimal import Decimal
from typing import Any, Callable, Dict, Optional, Type

from pydantic import ConfigDict, Field, SecretStr, create_model, field_validator

import hummingbot.connector.exchange.backpack.backpack_constants as CONSTANTS
import hummingbot.connector.exchange.backpack.backpack_web_utils as web_utils
from hummingbot.client.config.config_data_types import BaseConnectorConfigMap
from hummingbot.connector.backpack_common.signing import BackpackKeyError, decode_api_key, decode_secret
from hummingbot.connector.exchange.backpack.backpack_client_order_ids import parse_instance_tag
from hummingbot.connector.exchange.backpack.backpack_types import Market
from hummingbot.core.data_type.trade_fee import TradeFeeSchema

CENTRALIZED = True
EXAMPLE_PAIR = "SOL-USDC"

DEFAULT_FEES = TradeFeeSchema(
    maker_percent_fee_decimal=Decimal("0.0008"),
    taker_percent_fee_decimal=Decimal("0.001"),
    buy_percent_fee_deducted_from_returns=True,
)


#: Default of ``*_ws_failures_before_rest``: consecutive public WebSocket connect failures before REST market data.
WS_FAILURES_BEFORE_REST = 5


def is_exchange_information_valid(market: Market) -> bool:
    """True for a tradable spot market: ``marketType == "SPOT"``, ``visible`` and ``orderBookState == "Open"``
    (§4.4, §11.7), with text ``symbol``/``baseSymbol``/``quoteSymbol`` (a
    list there would be unhashable in the symbol map, any other type a nonsense trading pair)."""
    return (market.get("marketType") == CONSTANTS.MARKET_TYPE_SPOT
            and market.get("visible") is True
            and market.get("orderBookState") == CONSTANTS.ORDER_BOOK_STATE_OPEN
            and all(type(value) is str and value
                    for value in (market.get("symbol"), market.get("baseSymbol"), market.get("quoteSymbol"))))


def _is_encrypted(raw: str) -> bool:
    """True for a secure field as Hummingbot stores it in ``conf/connectors/<connector>.yml``: the hex of an
    Ethereum v3 keyfile JSON (its ``config_crypt``). Hummingbot validates the file's values before it decrypts them,
    then assigns the decrypted values with validation, so the key checks run on the plain values then."""
    try:
        keyfile = json.loads(binascii.unhexlify(raw))
    except ValueError:  # binascii.Error, UnicodeDecodeError and JSONDecodeError included
        return False
    return isinstance(keyfile, dict) and "crypto" in keyfile


def _check_api_key(value: SecretStr) -> SecretStr:
    if _is_encrypted(value.get_secret_value()):
        return value
    try:
        decode_api_key(value.get_secret_value())
    except BackpackKeyError as e:
        raise ValueError(str(e)) from None
    return value


def _check_secret(value: SecretStr) -> SecretStr:
    if _is_encrypted(value.get_secret_value()):
        return value
    try:
        decode_secret(value.get_secret_value())
    except BackpackKeyError as e:
        raise ValueError(str(e)) from None
    return value


def _check_share_pct(value: Decimal) -> Decimal:
    if not Decimal("0") < value <= Decimal("100"):
        raise ValueError("the rate limit share must be a percentage above 0 and at most 100")
    return value


def _check_stp(value: str) -> str:
    if value not in CONSTANTS.SELF_TRADE_PREVENTION_MODES:
        raise ValueError(f"self-trade prevention must be one of {', '.join(CONSTANTS.SELF_TRADE_PREVENTION_MODES)}")
    return value


def _check_proxy_url(value: str) -> str:
    if value and value.strip():
        web_utils.parse_proxy_url(value)  # raises ValueError without the credentials
    return value.strip()


def _check_ws_failures(value: int) -> int:
    if value < 0:
        raise ValueError("the WebSocket failures before REST market data must be 0 (never) or more")
    return value


def _setting_field(default: Any, prompt: str) -> Any:
    """A non-secret setting passed to the connector like the keys (``is_connect_key``), never prompted for."""
    return Field(
        default=default,
        json_schema_extra={
            "prompt": lambda cm: prompt,  # type: ignore[dict-item]  # Hummingbot calls prompts
            "is_secure": False,
            "is_connect_key": True,
            "prompt_on_new": False,
        },
    )


_SHARE_PROMPT = "Percent of the account's 2000 requests/min this bot may use (several bots on one key: split it)"
_STP_PROMPT = "Self-trade prevention when two bots on this account cross: RejectTaker, RejectMaker or RejectBoth"
_PROXY_PROMPT = "HTTP(S) proxy for REST and WebSockets, http://[user:password@]host:port (blank: HTTPS_PROXY/ALL_PROXY)"
_REST_MD_PROMPT = "Serve order books and trades from REST polling instead of the public WebSocket (True/False)"
_BATCH_PROMPT = "Send placements that arrive together as one batch request (True/False)"
_CANCEL_BY_MARKET_PROMPT = ("This bot is alone on its API key: cancel a market's orders with one request (True/False; "
                            "False when other bots or people trade on the key)")
_TAG_PROMPT = "This bot's clientId tag, 1..4095, unique per bot on the key (blank: random each start, no restart sweep)"
_WS_FAILURES_PROMPT = "Public WebSocket connect failures in a row before market data falls back to REST (0 = never)"


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
    backpack_rate_limit_share_pct: Decimal = _setting_field(Decimal("100"), _SHARE_PROMPT)
    backpack_self_trade_prevention: str = _setting_field(CONSTANTS.DEFAULT_SELF_TRADE_PREVENTION, _STP_PROMPT)
    backpack_proxy_url: str = _setting_field("", _PROXY_PROMPT)
    backpack_rest_market_data: bool = _setting_field(False, _REST_MD_PROMPT)
    backpack_ws_failures_before_rest: int = _setting_field(WS_FAILURES_BEFORE_REST, _WS_FAILURES_PROMPT)
    backpack_batch_placements: bool = _setting_field(True, _BATCH_PROMPT)
    backpack_cancel_by_market: bool = _setting_field(False, _CANCEL_BY_MARKET_PROMPT)
    backpack_instance_tag: Optional[int] = _setting_field(None, _TAG_PROMPT)
    model_config = ConfigDict(title=CONSTANTS.EXCHANGE_NAME, hide_input_in_errors=True)

    _validate_key = field_validator("backpack_api_key", mode="after")(_check_api_key)
    _validate_secret = field_validator("backpack_api_secret", mode="after")(_check_secret)
    _validate_share = field_validator("backpack_rate_limit_share_pct", mode="after")(_check_share_pct)
    _validate_stp = field_validator("backpack_self_trade_prevention", mode="after")(_check_stp)
    _validate_proxy = field_validator("backpack_proxy_url", mode="after")(_check_proxy_url)
    _validate_ws_failures = field_validator("backpack_ws_failures_before_rest", mode="after")(_check_ws_failures)
    _validate_tag = field_validator("backpack_instance_tag", mode="before")(parse_instance_tag)


KEYS = BackpackConfigMap.model_construct()


def sandbox_config_map(connector_name: str, account: str) -> Type[BaseConnectorConfigMap]:
    """The config map of a sandbox domain ``connector_name`` (fields ``<connector_name>_api_key``, ``..._api_secret``
    and the settings above, validated the same way); ``account`` names the account in the key prompts. The sandbox's
    URL comes from the ``BACKPACK_SANDBOX_URL`` environment variable (default ``http://127.0.0.1:8765``) for every
    sandbox domain."""
    fields: Dict[str, Any] = {
        "connector": (str, connector_name),
        f"{connector_name}_api_key": (SecretStr, _key_field(f"Enter your Backpack {account} API key")),
        f"{connector_name}_api_secret": (SecretStr, _key_field(f"Enter your Backpack {account} API secret")),
        f"{connector_name}_rate_limit_share_pct": (Decimal, _setting_field(Decimal("100"), _SHARE_PROMPT)),
        f"{connector_name}_self_trade_prevention": (
            str, _setting_field(CONSTANTS.DEFAULT_SELF_TRADE_PREVENTION, _STP_PROMPT)),
        f"{connector_name}_proxy_url": (str, _setting_field("", _PROXY_PROMPT)),
        f"{connector_name}_rest_market_data": (bool, _setting_field(False, _REST_MD_PROMPT)),
        f"{connector_name}_ws_failures_before_rest": (int, _setting_field(WS_FAILURES_BEFORE_REST,
                                                                          _WS_FAILURES_PROMPT)),
        f"{connector_name}_batch_placements": (bool, _setting_field(True, _BATCH_PROMPT)),
        f"{connector_name}_cancel_by_market": (bool, _setting_field(False, _CANCEL_BY_MARKET_PROMPT)),
        f"{connector_name}_instance_tag": (Optional[int], _setting_field(None, _TAG_PROMPT)),
    }
    checks: Dict[str, Callable[[Any], Any]] = {
        "api_key": _check_api_key, "api_secret": _check_secret, "rate_limit_share_pct": _check_share_pct,
        "self_trade_prevention": _check_stp, "proxy_url": _check_proxy_url,
        "ws_failures_before_rest": _check_ws_failures}
    validators: Dict[str, Any] = {
        f"_validate_{name}": field_validator(f"{connector_name}_{name}", mode="after")(check)
        for name, check in checks.items()}
    validators["_validate_instance_tag"] = field_validator(f"{connector_name}_instance_tag",
                                                           mode="before")(parse_instance_tag)
    base = type("_ConfigBase", (BaseConnectorConfigMap,), {
        "model_config": ConfigDict(title=connector_name, hide_input_in_errors=True)})
    class_name = "".join(part.capitalize() for part in connector_name.split("_")) + "ConfigMap"
    return create_model(class_name, __base__=base, __module__=__name__, __validators__=validators, **fields)


#: Keys of the local sandbox exchange's account (``python -m backpack_sandbox``).
BackpackSandboxConfigMap = sandbox_config_map(CONSTANTS.SANDBOX_CONNECTOR_NAME, "sandbox")
#: Keys of a second sandbox account (its own key pair, same sandbox), e.g. an XEMM taker or an arbitrage's other venue.
BackpackSandbox2ConfigMap = sandbox_config_map(CONSTANTS.SANDBOX_2_CONNECTOR_NAME, "second sandbox account")

OTHER_DOMAINS = [CONSTANTS.SANDBOX_CONNECTOR_NAME, CONSTANTS.SANDBOX_2_CONNECTOR_NAME]
OTHER_DOMAINS_PARAMETER = {CONSTANTS.SANDBOX_CONNECTOR_NAME: CONSTANTS.SANDBOX_DOMAIN,
                           CONSTANTS.SANDBOX_2_CONNECTOR_NAME: CONSTANTS.SANDBOX_2_DOMAIN}
OTHER_DOMAINS_EXAMPLE_PAIR = {name: EXAMPLE_PAIR for name in OTHER_DOMAINS}
OTHER_DOMAINS_DEFAULT_FEES = {name: DEFAULT_FEES for name in OTHER_DOMAINS}
OTHER_DOMAINS_KEYS = {CONSTANTS.SANDBOX_CONNECTOR_NAME: BackpackSandboxConfigMap.model_construct(),
                      CONSTANTS.SANDBOX_2_CONNECTOR_NAME: BackpackSandbox2ConfigMap.model_construct()}
