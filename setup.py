"""End-user install: `pip install .` into the Python environment that already has `hummingbot==20260922`.

The wheel carries only this project's packages (never `hummingbot/__init__.py` or any other Hummingbot file):
- `hummingbot.connector.exchange.backpack` — replaces the Backpack connector shipped with Hummingbot, in place,
  so `connect backpack` loads ours;
- `hummingbot.connector.backpack_common` — signing, key parsing, stream supervision;
- `backpack_sandbox` — the local Backpack-protocol exchange (`python -m backpack_sandbox`).
"""
from setuptools import setup

setup(
    name="hummingbot-backpack-connector",
    version="0.1.0",
    description="Backpack Exchange spot connector for Hummingbot, with a local sandbox exchange",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    python_requires=">=3.12,<3.13",
    packages=[
        "hummingbot.connector.exchange.backpack",
        "hummingbot.connector.backpack_common",
        "backpack_sandbox",
    ],
    install_requires=["hummingbot==20260922", "pynacl>=1.5", "bidict>=0.22", "aiohttp<3.14", "ujson>=5",
                      "msgspec>=0.18"],
    entry_points={"console_scripts": ["backpack-sandbox=backpack_sandbox.__main__:main"]},
)
