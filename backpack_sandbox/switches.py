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
``ticker_204_without_   ``False`` | ``True``     ``GET /api/v1/ticker`` (§4.5): 204 with no body for a market
trades``                                         without trades in the last 24 h (left out of ``/tickers``).
``history_rate_         ``False`` | ``True``     U2: ``/wapi/v1/history/*`` also in the 30/min historical
limited``                                        bucket per API key.
``history_lag_ms``  ``0`` (off) | ms ≥ 0         U3: an order shows in ``/wapi/v1/history/orders`` that long
                                                 after placement and again after it left the open set (absent
                                                 in between); a fill in ``/wapi/v1/history/fills`` that long
                                                 after the trade.
``ws_refuse``       ``off`` | ``403`` | ``503``  A network that blocks WebSockets: every upgrade on ``/ws`` is
                                                 answered with that HTTP status (no socket); sockets already
                                                 open stay open (``drop_ws`` fault closes them).
``batch_rate_       ``request`` | ``order``      U8: a batch placement (``POST /api/v1/orders``, §5.6) takes one
weight``                                         slot of the request limit (§7), or one per order it carries.
=================== =========================== ==============================================================
"""
from __future__ import annotations

from typing import Any, Dict, Tuple, Union

#: Switch → its choices (strings, default first), or ``bool`` (default False) / ``int`` (≥ 0, default 0).
SWITCHES: Dict[str, Union[Tuple[str, ...], type]] = {
    "balance_stream": ("all", "fills", "refused", "off"),
    "lend_redeem": ("flag", "always"),
    "ticker_204_without_trades": bool,
    "history_rate_limited": bool,
    "history_lag_ms": int,
    "ws_refuse": ("off", "403", "503"),
    "batch_rate_weight": ("request", "order"),
}


def _default(name: str) -> Any:
    spec = SWITCHES[name]
    return spec[0] if isinstance(spec, tuple) else spec()


def check_switch(name: str, value: Any) -> Any:
    """:returns: ``value`` as the switch's type (``"true"``/``"false"`` and digit strings accepted).
    :raises ValueError: unknown switch or value."""
    if name not in SWITCHES:
        raise ValueError(f"unknown switch {name!r}; switches: {', '.join(SWITCHES)}")
    spec = SWITCHES[name]
    if isinstance(spec, tuple):
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)  # ws_refuse: 503
        if value not in spec:
            raise ValueError(f"switch {name} takes one of {', '.join(spec)}, not {value!r}")
        return str(value)
    if spec is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise ValueError(f"switch {name} takes true or false, not {value!r}")
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"switch {name} takes an integer ≥ 0, not {value!r}")
    return value


class Switches:
    """Current switch values; attributes named after the switches (``switches.balance_stream``)."""

    balance_stream: str
    lend_redeem: str
    ticker_204_without_trades: bool
    history_rate_limited: bool
    history_lag_ms: int
    ws_refuse: str
    batch_rate_weight: str

    def __init__(self, **values: Any) -> None:
        for name in SWITCHES:
            setattr(self, name, check_switch(name, values.get(name, _default(name))))

    def set(self, name: str, value: Any) -> Dict[str, Any]:
        """Switch ``name`` to ``value`` now; returns every switch."""
        setattr(self, name, check_switch(name, value))
        return self.as_json()

    def as_json(self) -> Dict[str, Any]:
        return {name: getattr(self, name) for name in SWITCHES}
