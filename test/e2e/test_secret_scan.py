"""The leak scanner finds every form of the secret and the unmasked API key, and accepts the masked key."""
import base64
from test.e2e.secret_scan import leaks, secret_forms

from nacl.signing import SigningKey

SEED = bytes(range(32))
SECRET = base64.b64encode(SEED).decode()
API_KEY = base64.b64encode(bytes(SigningKey(SEED).verify_key)).decode()


def test_each_form_of_the_secret_is_found():
    forms = secret_forms(SECRET)
    assert SECRET in forms and SEED.hex() in forms and len(forms) >= 8
    for form in forms:
        assert leaks({"log": f"x {form} y"}, SECRET, API_KEY), form


def test_the_unmasked_api_key_is_found_and_the_masked_one_is_not():
    assert leaks({"out": f"key {API_KEY}"}, SECRET, API_KEY) == ["out: unmasked API key"]
    assert leaks({"out": f"account {API_KEY[:4]}…{API_KEY[-4:]}"}, SECRET, API_KEY) == []
