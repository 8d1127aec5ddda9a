"""Small helpers shared by the benchmarks: throwaway keys, timing, GC hygiene."""
import base64
import gc
import time
from typing import Tuple

from nacl.signing import SigningKey

perf_counter = time.perf_counter


def throwaway_keys(seed: int = 1) -> Tuple[str, str]:
    """A deterministic ED25519 key pair for benchmarks: (api key, secret) as standard base64 (§2.1)."""
    signing_key = SigningKey(bytes([seed % 256]) * 32)
    return (base64.b64encode(bytes(signing_key.verify_key)).decode(),
            base64.b64encode(bytes(signing_key)).decode())


def settle() -> None:
    """Collect garbage left by the previous measurement so it is not charged to the next one."""
    gc.collect()
