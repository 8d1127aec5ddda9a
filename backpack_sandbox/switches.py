"""Exchange-behaviour switches for readings Backpack does not document (``open-questions.md``). Unlike faults
they describe how the exchange behaves, not an incident; each is a ``SandboxConfig`` field, a CLI flag, a control
endpoint (``GET``/``POST /_sandbox/switches``) and ``server.switches`` in Python.

=================== =========================== ==============================================================
Switch              Values (default first)      Meaning
=================== =========================== ==============================================================
``balance_stream``  ``all`` | ``fills`` |        ``account.balanceUpdate`` (U1): an event for every balance
                    ``refused`` | ``off``        change (placement locks, cancels, fills); on fills only; a
                                                 SUBSCRIBE naming it answered ``{"id":null,"error":{"code":
                                                 4006,"message":"Invalid stream"}}`` (nothing subscribed by that
                                                 frame); or accepted and silent.
``lend_redeem``     ``flag`` | ``always``        Redemption of lent funds (U5): an order whose required balance
                                                 is lent (``/borrowLend/positions``, §5.3) gets the shortfall
                                                 redeemed into available at placement only when it carries
                                                 ``autoLendRedeem: true`` (§5.5); or for every order.
=================== =========================== ==============================================================
"""
from __future__ import annotations

from typing import Any, Dict, Tuple

SWITCHES: Dict[str, Tuple[str, ...]] = {
    "balance_stream": ("all", "fills", "refused", "off"),
    "lend_redeem": ("flag", "always"),
}


def check_switch(name: str, value: Any) -> str:
    """:returns: ``value`` as a string. :raises ValueError: unknown switch or value."""
    if name not in SWITCHES:
        raise ValueError(f"unknown switch {name!r}; switches: {', '.join(SWITCHES)}")
    if value not in SWITCHES[name]:
        raise ValueError(f"switch {name} takes one of {', '.join(SWITCHES[name])}, not {value!r}")
    return str(value)


class Switches:
    """Current switch values; attributes named after the switches (``switches.balance_stream``)."""

    balance_stream: str
    lend_redeem: str

    def __init__(self, **values: str) -> None:
        for name, choices in SWITCHES.items():
            setattr(self, name, check_switch(name, values.get(name, choices[0])))

    def set(self, name: str, value: str) -> Dict[str, str]:
        """Switch ``name`` to ``value`` now; returns every switch."""
        setattr(self, name, check_switch(name, value))
        return self.as_json()

    def as_json(self) -> Dict[str, str]:
        return {name: getattr(self, name) for name in SWITCHES}
