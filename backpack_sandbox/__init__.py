"""Local Backpack Exchange sandbox: REST + WebSocket on 127.0.0.1 speaking Backpack's protocol
(docs/backpack-api.md); usage, engine rules and faults: docs/sandbox.md.

Imports nothing from hummingbot or the connector; signatures are verified with PyNaCl.
"""
from .config import SandboxConfig
from .server import AccountKeys, SandboxServer

__all__ = ["SandboxServer", "SandboxConfig", "AccountKeys"]
