"""What a leaked secret looks like: every text form of an ED25519 seed and of its key pair, and a scanner.

A secret given as a base64 32-byte seed may surface as that base64 (standard or URL-safe, with or without
padding), as hex (either case), or as the 64-byte seed+public-key form in base64 or hex; the API key (base64
public key) may only appear masked (first and last four characters around an ellipsis).
"""
import base64
from typing import Dict, Iterable, List

from nacl.signing import SigningKey


def secret_forms(secret_b64: str) -> List[str]:
    seed = base64.b64decode(secret_b64)
    pair = seed + bytes(SigningKey(seed).verify_key)
    forms = set()
    for raw in (seed, pair):
        for encoded in (base64.b64encode(raw).decode(), base64.urlsafe_b64encode(raw).decode()):
            forms.update({encoded, encoded.rstrip("=")})
        forms.update({raw.hex(), raw.hex().upper()})
    return sorted(forms)


def leaks(texts: Dict[str, str], secret_b64: str, api_key: str) -> List[str]:
    """Where (name of the text) a secret form or the unmasked API key appears; empty when nothing leaked."""
    found = []
    forms = secret_forms(secret_b64)
    for name, text in texts.items():
        found.extend(f"{name}: secret form {form[:4]}…" for form in forms if form in text)
        if any(form in text for form in _key_forms(api_key)):
            found.append(f"{name}: unmasked API key")
    return found


def _key_forms(api_key: str) -> Iterable[str]:
    raw = base64.b64decode(api_key)
    return {api_key, api_key.rstrip("="), raw.hex(), raw.hex().upper()}
