"""``backpack_common.signing`` against docs/backpack-api.md §2: vectors, key parsing (mutated keys included)."""
import base64
import binascii
import pickle
from decimal import Decimal
from enum import Enum, IntEnum

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey, VerifyKey

from hummingbot.connector.backpack_common import signing
from hummingbot.connector.backpack_common.signing import (
    BackpackKeyError,
    Ed25519Signer,
    batch_signing_string,
    decode_api_key,
    decode_secret,
    mask_key,
    render_value,
    signing_string,
    validate_window,
    ws_subscribe_signing_string,
)

# §2.6 throwaway key: seed = 32 bytes of 0x01.
SEED = bytes([1]) * 32
SECRET_B64 = "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE="
API_KEY_B64 = "iojj3XQJ8ZX9UtstPLpdcspnCb8dlBIb83SIAbQPb1w="
TS = 1700000000000
WINDOW = 5000

# §2.1 demo pair from the support Python guide.
DEMO_SECRET = "4odxgSUxFrC/zsKWZF4OQwYAgnNu9hnWH3NxWfLAPz4="
DEMO_PUBLIC = "zDIJj9qneWIY0IYZ5aXoHcNMCm+XDhVcTssiT0HyY0A="

# §2.6 vectors: (id, kind, instruction, payload, timestamp, signing string, X-Signature).
# kind: "single" → signing_string, "batch" → batch_signing_string, "ws" → ws_subscribe_signing_string.
VECTORS = [
    ("1-capital", "single", "balanceQuery", None, TS,
     "instruction=balanceQuery&timestamp=1700000000000&window=5000",
     "8/pvBr2sH4KpHhNiih+BVquUEtRORDCWn0tMcoGGNz09KzLbEWuIvQ/bZpyIfKJVDxIHQ2vwe1ln9It7NyBcCA=="),
    ("2-order-execute", "single", "orderExecute",
     {"symbol": "SOL_USDC", "side": "Bid", "orderType": "Limit", "price": "150.25", "quantity": "0.5",
      "timeInForce": "GTC", "postOnly": True, "clientId": 123456789}, TS,
     "instruction=orderExecute&clientId=123456789&orderType=Limit&postOnly=true&price=150.25&quantity=0.5"
     "&side=Bid&symbol=SOL_USDC&timeInForce=GTC&timestamp=1700000000000&window=5000",
     "U0Bl+SqTQNHbdr/FEsaDECfkwg+MnkWNvI2EYHy5psSkdPvyQY5KaPpHyWzLLtVZP/oXyZbRmPAHfgv4aljRCQ=="),
    ("3-order-cancel", "single", "orderCancel", {"symbol": "SOL_USDC", "clientId": 123456789}, TS,
     "instruction=orderCancel&clientId=123456789&symbol=SOL_USDC&timestamp=1700000000000&window=5000",
     "3zkHb3PHDLSTeS+qn9zavJtMZ3qCnVl+voBpn6m4xPzqUtTol4ciptLwiurVSWj9eJ+nzM/ogHrTj7/P9U1lCw=="),
    ("4-order-query", "single", "orderQuery", {"orderId": "111051090663277568", "symbol": "SOL_USDC"}, TS,
     "instruction=orderQuery&orderId=111051090663277568&symbol=SOL_USDC&timestamp=1700000000000&window=5000",
     "8Liube1K1WTBsUU3JJ1QXjyqYAx2Lg+VlvIlYm+X4+Ay95nMqjC8jNTwzNbptmlbBpfex+Z8Z51XQ0zFdUh1Bg=="),
    ("5-fills", "single", "fillHistoryQueryAll", {"limit": 100, "offset": 0, "symbol": "SOL_USDC"}, TS,
     "instruction=fillHistoryQueryAll&limit=100&offset=0&symbol=SOL_USDC&timestamp=1700000000000&window=5000",
     "+4bRflRDqlbV+f5XY51oths3TqjlHn5nUUbROcslaX4xsbOJsCFgujAD/6pIxncyo49soPJ/2m4RgkNodFGrCA=="),
    ("6-cancel-all", "single", "orderCancelAll", {"symbol": "SOL_USDC"}, TS,
     "instruction=orderCancelAll&symbol=SOL_USDC&timestamp=1700000000000&window=5000",
     "dkkK71mauQ/uIIUmV2PcBlS3HEHM+6eoTQu/DQKrSgem/Gf037Eh+QCW7OSGxLz4GZWIeREampA/g/LEXb/RCA=="),
    ("7-batch", "batch", "orderExecute",
     [{"symbol": "SOL_USDC_PERP", "side": "Bid", "orderType": "Limit", "price": "141", "quantity": "12"},
      {"symbol": "SOL_USDC_PERP", "side": "Bid", "orderType": "Limit", "price": "140", "quantity": "11"}], TS,
     "instruction=orderExecute&orderType=Limit&price=141&quantity=12&side=Bid&symbol=SOL_USDC_PERP"
     "&instruction=orderExecute&orderType=Limit&price=140&quantity=11&side=Bid&symbol=SOL_USDC_PERP"
     "&timestamp=1700000000000&window=5000",
     "vB3kFJBM1A6WXhBy7I3f2ywOhaKhPGEszz/RWLhZqERB813WYKIzClLGCeN1s98qEMIZQZ76bUIeTrJt/fNSCg=="),
    ("8-ws-subscribe", "ws", "subscribe", None, TS,
     "instruction=subscribe&timestamp=1700000000000&window=5000",
     "pRObOWlU70asmsHXDgJZfmR4mj2pYuWLErtxNvPIt6dy0Z3R52pak6qGELEXiMnrq03YmNjVSPH0TjJyTo6VAw=="),
    ("9-docs-cancel", "single", "orderCancel", {"orderId": 28, "symbol": "BTC_USDT"}, 1614550000000,
     "instruction=orderCancel&orderId=28&symbol=BTC_USDT&timestamp=1614550000000&window=5000",
     "5JNvIFup6BvOx0ITxfxtEn5ac317vAI78vza6AWOyTvrzDTlVnO/T0dQazXuJmS4WJbLnm17ydL4EwqW5+6aBA=="),
]


def _build(kind, instruction, payload, ts):
    if kind == "single":
        return signing_string(instruction, payload, ts, WINDOW)
    if kind == "batch":
        return batch_signing_string(instruction, payload, ts, WINDOW)
    return ws_subscribe_signing_string(ts, WINDOW)


def _secret_forms(seed: bytes):
    """Every textual form of a secret that must never show up in an error message."""
    b64 = base64.b64encode(seed).decode()
    return [b64, b64.rstrip("="), base64.urlsafe_b64encode(seed).decode(), seed.hex(), seed.hex().upper()]


# ------------------------------------------------------------------------------------------------ vectors (§2.6)

@pytest.mark.parametrize("vid,kind,instruction,payload,ts,expected_string,expected_signature", VECTORS,
                         ids=[v[0] for v in VECTORS])
def test_vector_signing_string_and_signature(vid, kind, instruction, payload, ts, expected_string,
                                             expected_signature):
    message = _build(kind, instruction, payload, ts)
    assert message == expected_string
    signer = Ed25519Signer(SECRET_B64, API_KEY_B64)
    assert signer.sign(message) == expected_signature
    assert signer.sign(message.encode()) == expected_signature
    # Independent cross-check with PyNaCl's public API, and verification against the public key.
    raw = SigningKey(SEED).sign(expected_string.encode()).signature
    assert base64.b64encode(raw).decode() == expected_signature
    VerifyKey(base64.b64decode(API_KEY_B64)).verify(expected_string.encode(), base64.b64decode(expected_signature))


def test_vector_signature_does_not_verify_for_altered_message():
    signer = Ed25519Signer(SECRET_B64)
    sig = base64.b64decode(signer.sign("instruction=balanceQuery&timestamp=1700000000000&window=5000"))
    with pytest.raises(BadSignatureError):
        VerifyKey(base64.b64decode(API_KEY_B64)).verify(b"instruction=balanceQuery&timestamp=1700000000001&window=5000",
                                                        sig)


def test_signing_string_order_independent_and_drops_none():
    a = signing_string("orderQuery", {"symbol": "SOL_USDC", "orderId": "1", "clientId": None}, TS, WINDOW)
    b = signing_string("orderQuery", {"orderId": "1", "symbol": "SOL_USDC"}, TS, WINDOW)
    assert a == b == "instruction=orderQuery&orderId=1&symbol=SOL_USDC&timestamp=1700000000000&window=5000"


def test_signing_string_empty_params_equals_no_params():
    assert signing_string("balanceQuery", {}, TS, WINDOW) == signing_string("balanceQuery", None, TS, WINDOW)


def test_signing_string_rejects_non_int_timestamp_and_window():
    with pytest.raises(TypeError):
        signing_string("balanceQuery", None, 1.7e12, WINDOW)
    with pytest.raises(TypeError):
        signing_string("balanceQuery", None, TS, "5000")
    with pytest.raises(TypeError):
        ws_subscribe_signing_string(TS, True)


def test_signing_string_custom_window():
    assert signing_string("balanceQuery", None, TS, 60000).endswith("&timestamp=1700000000000&window=60000")


def test_batch_signing_string_rejects_empty_and_non_mapping_items():
    with pytest.raises(ValueError):
        batch_signing_string("orderExecute", [], TS, WINDOW)
    with pytest.raises(ValueError):
        batch_signing_string("orderExecute", [["symbol", "SOL_USDC"]], TS, WINDOW)


def test_batch_item_bools_rendered():
    s = batch_signing_string("orderExecute", [{"postOnly": True, "reduceOnly": False}], TS, WINDOW)
    assert s == "instruction=orderExecute&postOnly=true&reduceOnly=false&timestamp=1700000000000&window=5000"


# --------------------------------------------------------------------------------------------- render_value

class _Side(str, Enum):
    BID = "Bid"


class _Num(IntEnum):
    SEVEN = 7


@pytest.mark.parametrize("value,expected", [
    (True, "true"),
    (False, "false"),
    (0, "0"),
    (123456789, "123456789"),
    (-5, "-5"),
    (4294967295, "4294967295"),
    ("SOL_USDC", "SOL_USDC"),
    ("150.25", "150.25"),
    ("", ""),
    ("TrueUSD", "TrueUSD"),            # §11.13: upstream's global replace("True", "true") would corrupt this
    ("True", "True"),                  # a *string* "True" is verbatim; only bools are lower-cased
    ("False_Market", "False_Market"),
    ("50%", "50%"),                    # no URL-encoding (§2.3)
    ("a b&c=d", "a b&c=d"),
    ('"quoted"', '"quoted"'),
    (Decimal("150.25"), "150.25"),
    (Decimal("1.50"), "1.50"),
    (Decimal("1E-7"), "0.0000001"),
    (Decimal("1E+2"), "100"),
    (Decimal("0"), "0"),
    (_Side.BID, "Bid"),
    (_Num.SEVEN, "7"),
])
def test_render_value(value, expected):
    assert render_value(value) == expected


@pytest.mark.parametrize("value", [1.5, 141.0, None, [1], {"a": 1}, b"x", object(),
                                   Decimal("NaN"), Decimal("Infinity")])
def test_render_value_rejects(value):
    with pytest.raises(TypeError):
        render_value(value)


def test_signing_string_bool_vs_string_true():
    s = signing_string("orderExecute", {"postOnly": True, "symbol": "TrueUSD_USDC", "note": "False"}, TS, WINDOW)
    assert s == ("instruction=orderExecute&note=False&postOnly=true&symbol=TrueUSD_USDC"
                 "&timestamp=1700000000000&window=5000")


def test_signing_string_rejects_float_value():
    with pytest.raises(TypeError, match="float"):
        signing_string("orderExecute", {"price": 141.0}, TS, WINDOW)


# ------------------------------------------------------------------------------------------- key parsing (§2.1)

@pytest.mark.parametrize("text", [
    SECRET_B64,
    SECRET_B64.rstrip("="),                                   # padding dropped
    SECRET_B64 + "\n",                                        # trailing newline from a paste
    "  " + SECRET_B64[:20] + "\n" + SECRET_B64[20:] + "  ",  # wrapped
    SEED.hex(),
    SEED.hex().upper(),
    base64.b64encode(SEED + base64.b64decode(API_KEY_B64)).decode(),  # 64-byte seed ‖ public key
    (SEED + base64.b64decode(API_KEY_B64)).hex(),
])
def test_decode_secret_accepts(text):
    assert decode_secret(text) == SEED


def test_decode_secret_urlsafe_base64():
    seed = bytes(range(200, 232))                       # produces '-'/'_' characters in urlsafe form
    urlsafe = base64.urlsafe_b64encode(seed).decode()
    assert "-" in urlsafe or "_" in urlsafe
    assert decode_secret(urlsafe) == seed
    assert decode_secret(urlsafe.rstrip("=")) == seed
    assert decode_secret(base64.b64encode(seed).decode()) == seed


def test_decode_api_key_forms():
    pub = base64.b64decode(API_KEY_B64)
    assert decode_api_key(API_KEY_B64) == pub
    assert decode_api_key(API_KEY_B64.rstrip("=")) == pub
    assert decode_api_key(base64.urlsafe_b64encode(pub).decode()) == pub
    assert decode_api_key(pub.hex()) == pub


@pytest.mark.parametrize("length", [0, 1, 16, 31, 33, 48, 63, 65, 96])
def test_decode_secret_wrong_length_names_length(length):
    raw = bytes([7]) * length
    text = base64.b64encode(raw).decode()
    with pytest.raises(BackpackKeyError) as err:
        decode_secret(text)
    msg = str(err.value)
    if length == 0:
        assert "empty" in msg
    else:
        assert f"{length} bytes" in msg
        assert "32" in msg
        for form in _secret_forms(raw):
            assert form not in msg


@pytest.mark.parametrize("length", [16, 31, 33, 64])
def test_decode_api_key_wrong_length(length):
    with pytest.raises(BackpackKeyError, match=f"API key decodes to {length} bytes"):
        decode_api_key(base64.b64encode(bytes([9]) * length).decode())


@pytest.mark.parametrize("garbage", ["not a key!", "****", "AQEB$AQEB", "é" * 44, "AQE=BAQE", "A"])
def test_decode_secret_garbage(garbage):
    with pytest.raises(BackpackKeyError) as err:
        decode_secret(garbage)
    msg = str(err.value)
    assert "API secret" in msg
    assert ("neither base64 nor hex" in msg) or ("bytes" in msg)
    if len(garbage) >= 4:                      # a one-letter input trivially occurs in any English text
        assert garbage.strip() not in msg


@pytest.mark.parametrize("value", [None, 123, b"AQEB"])
def test_decode_secret_non_str(value):
    with pytest.raises(BackpackKeyError, match="must be a str"):
        decode_secret(value)


def test_key_error_is_value_error_and_has_no_cause():
    with pytest.raises(ValueError) as err:
        decode_secret("AQEB$AQEB")
    assert err.value.__cause__ is None


def test_secret_of_31_bytes_in_hex_form_not_echoed():
    raw = bytes(range(31))
    with pytest.raises(BackpackKeyError) as err:
        decode_secret(raw.hex())
    for form in _secret_forms(raw):
        assert form not in str(err.value)


# ------------------------------------------------------------------------------------------------- signer

def test_signer_derives_api_key_from_vector_seed():
    signer = Ed25519Signer(SECRET_B64)
    assert signer.api_key == API_KEY_B64
    assert signer.verify_key_bytes == base64.b64decode(API_KEY_B64)


def test_demo_pair_from_support_guide_derives():
    signer = Ed25519Signer(DEMO_SECRET, DEMO_PUBLIC)
    assert signer.api_key == DEMO_PUBLIC


@pytest.mark.parametrize("api_key", [API_KEY_B64, API_KEY_B64.rstrip("="),
                                     base64.b64decode(API_KEY_B64).hex()])
def test_signer_accepts_matching_api_key_in_any_form(api_key):
    assert Ed25519Signer(SEED.hex(), api_key).api_key == API_KEY_B64


def test_signer_api_key_mismatch():
    with pytest.raises(BackpackKeyError) as err:
        Ed25519Signer(SECRET_B64, DEMO_PUBLIC)
    msg = str(err.value)
    assert msg.startswith("API key does not match the secret: the secret derives ")
    assert mask_key(API_KEY_B64) in msg
    assert API_KEY_B64 not in msg
    for form in _secret_forms(SEED):
        assert form not in msg


def test_signer_mismatch_when_api_key_pasted_as_secret():
    with pytest.raises(BackpackKeyError, match="same value") as err:
        Ed25519Signer(API_KEY_B64, API_KEY_B64)
    assert API_KEY_B64 not in str(err.value)


def test_signer_malformed_api_key():
    with pytest.raises(BackpackKeyError, match="API key"):
        Ed25519Signer(SECRET_B64, "nope!")


def test_signer_repr_masks_and_hides_secret():
    signer = Ed25519Signer(SECRET_B64, API_KEY_B64)
    for text in (repr(signer), str(signer), f"{signer}"):
        assert "iojj…b1w=" in text
        assert API_KEY_B64 not in text
        for form in _secret_forms(SEED):
            assert form not in text
    assert not hasattr(signer, "__dict__")
    for slot in Ed25519Signer.__slots__:
        assert not isinstance(getattr(signer, slot), str) or getattr(signer, slot) == API_KEY_B64
    with pytest.raises(TypeError):
        pickle.dumps(signer)


def test_signer_is_deterministic_and_matches_pynacl():
    signer = Ed25519Signer(DEMO_SECRET)
    ref = SigningKey(base64.b64decode(DEMO_SECRET))
    for message in ("", "x", "instruction=subscribe&timestamp=1&window=1", "ünïcødé=1"):
        expected = base64.b64encode(ref.sign(message.encode("utf-8")).signature).decode()
        assert signer.sign(message) == expected == signer.sign(message)


def test_mask_key():
    assert mask_key(API_KEY_B64) == "iojj…b1w="
    assert mask_key("short") == "…"
    assert mask_key("") == "…"
    assert mask_key(None) == "…"


# ------------------------------------------------------------------------------------------------- window

@pytest.mark.parametrize("window", [1, 5000, 10000, 60000])
def test_validate_window_ok(window):
    assert validate_window(window) == window


@pytest.mark.parametrize("window", [0, -1, 60001, 10 ** 9, 5000.0, "5000", None, True])
def test_validate_window_rejects(window):
    with pytest.raises(ValueError, match="1..60000"):
        validate_window(window)


def test_module_constants():
    assert signing.DEFAULT_WINDOW_MS == 5000
    assert signing.MAX_WINDOW_MS == 60000
    assert signing.WS_SUBSCRIBE_INSTRUCTION == "subscribe"


def test_module_does_not_import_exchange_package():
    import ast
    import inspect
    tree = ast.parse(inspect.getsource(signing))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            assert not (node.module or "").startswith("hummingbot.connector.exchange")
        elif isinstance(node, ast.Import):
            assert not any(a.name.startswith("hummingbot.connector.exchange") for a in node.names)


# ------------------------------------------------------------------------------------------ property check

_KEYS = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=12)
_VALUES = st.one_of(st.booleans(), st.integers(min_value=-(2 ** 63), max_value=2 ** 64),
                    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=20), st.none())


def _reference(instruction, params, ts, window):
    """Naive oracle: straight from the §2.3 prose."""
    def render(v):
        return ("true" if v else "false") if isinstance(v, bool) else str(v)
    pairs = "".join(f"&{k}={render(params[k])}" for k in sorted(params) if params[k] is not None)
    return f"instruction={instruction}{pairs}&timestamp={ts}&window={window}"


@settings(max_examples=200, deadline=None)
@given(params=st.dictionaries(_KEYS, _VALUES, max_size=10), ts=st.integers(min_value=0, max_value=2 ** 53),
       window=st.integers(min_value=1, max_value=60000))
def test_signing_string_matches_reference_and_verifies(params, ts, window):
    message = signing_string("orderExecute", params, ts, window)
    assert message == _reference("orderExecute", params, ts, window)
    signature = Ed25519Signer(SECRET_B64).sign(message)
    VerifyKey(base64.b64decode(API_KEY_B64)).verify(message.encode("utf-8"), base64.b64decode(signature))


# ------------------------------------------------------------------------------------------ hostile key texts
# Key parsing returns 32 bytes or raises BackpackKeyError, whose text never contains the secret.
SECRET_RAW = binascii.a2b_base64(SECRET_B64)
FAST = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12)
    | st.sampled_from([10 ** 400, float("nan"), "", " ", "\x00", "\ud800", "1" * 5000]),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4),
    max_leaves=12)


@st.composite
def mutated_key_text(draw, text: str) -> str:
    operation = draw(st.integers(0, 5))
    if operation == 0:
        return text[:draw(st.integers(0, len(text) - 1))]
    if operation == 1:
        index = draw(st.integers(0, len(text) - 1))
        return text[:index] + draw(st.characters()) + text[index + 1:]
    if operation == 2:
        return text + draw(st.text(min_size=1, max_size=8))
    if operation == 3:
        return draw(st.binary(max_size=70)).hex()
    if operation == 4:
        return binascii.b2a_base64(draw(st.binary(max_size=70)), newline=False).decode()
    return draw(st.text(max_size=90))


@FAST
@given(secret=st.one_of(mutated_key_text(SECRET_B64), mutated_key_text(SECRET_RAW.hex()), json_values))
def test_decode_secret_returns_a_seed_or_a_key_error_without_the_secret(secret):
    try:
        seed = decode_secret(secret)
    except BackpackKeyError as e:
        if isinstance(secret, str) and len(secret.strip()) >= 8:
            assert secret.strip() not in str(e)
        return
    assert isinstance(seed, bytes) and len(seed) == 32


@FAST
@given(api_key=st.one_of(mutated_key_text(API_KEY_B64), json_values))
def test_decode_api_key_returns_32_bytes_or_a_key_error(api_key):
    try:
        raw = decode_api_key(api_key)
    except BackpackKeyError:
        return
    assert isinstance(raw, bytes) and len(raw) == 32


@settings(max_examples=120, deadline=None)
@given(secret=mutated_key_text(SECRET_B64), api_key=st.one_of(st.just(API_KEY_B64), mutated_key_text(API_KEY_B64)))
def test_signer_with_mutated_keys_fails_clearly_without_leaking_the_secret(secret, api_key):
    try:
        signer = Ed25519Signer(secret, api_key)
    except BackpackKeyError as e:
        text = str(e)
        assert text  # says what is wrong
        forms = {secret.strip(), SECRET_B64, SECRET_RAW.hex()}
        try:
            raw = decode_secret(secret)
            forms |= {binascii.b2a_base64(raw, newline=False).decode(), raw.hex()}
        except BackpackKeyError:
            pass
        for form in forms:
            if len(form) >= 8:
                assert form not in text
        return
    assert decode_api_key(api_key) == signer.verify_key_bytes
