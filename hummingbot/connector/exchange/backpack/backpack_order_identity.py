"""Whether an order payload found by ``clientId`` is really our tracked order (pure).

Bots sharing one account see each other's orders and fills (private stream, open orders, history), and a
``clientId`` is only unique per bot: a payload is ours only when its symbol and side match too, and its order id
when both sides know one.
"""
from typing import Any

from hummingbot.connector.exchange.backpack import backpack_constants as CONSTANTS
from hummingbot.core.data_type.common import TradeType
from hummingbot.core.data_type.in_flight_order import InFlightOrder

_SIDE = {TradeType.BUY: CONSTANTS.SIDE_BUY, TradeType.SELL: CONSTANTS.SIDE_SELL}


def is_same_order(order: InFlightOrder, trading_pair: Any, side: Any, exchange_order_id: Any) -> bool:
    """False when the payload's trading pair (resolved from its ``symbol``), ``side`` (``Bid``/``Ask``) or order id
    differs from the tracked order's; values that are absent or not text/integers are not compared (a garbled
    payload is left to the parsers)."""
    if isinstance(trading_pair, str) and trading_pair != order.trading_pair:
        return False
    if isinstance(side, str) and side != _SIDE.get(order.trade_type):
        return False
    if (isinstance(exchange_order_id, (str, int)) and not isinstance(exchange_order_id, bool)
            and order.exchange_order_id and str(exchange_order_id) != order.exchange_order_id):
        return False
    return True
