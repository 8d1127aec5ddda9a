"""Backpack Exchange constants; sections (§N) of ``docs/backpack-api.md``."""
from typing import Dict, Tuple

from hummingbot.core.api_throttler.data_types import LinkedLimitWeightPair, RateLimit
from hummingbot.core.data_type.in_flight_order import OrderState

EXCHANGE_NAME = "backpack"

# ---------------------------------------------------------------------------------------------- domains (§1)
DEFAULT_DOMAIN = "exchange"
SANDBOX_DOMAIN = "sandbox"
SANDBOX_CONNECTOR_NAME = "backpack_sandbox"
#: A second account on the same sandbox (its own keys), e.g. the taker of an XEMM or the other venue of an arbitrage.
SANDBOX_2_DOMAIN = "sandbox_2"
SANDBOX_2_CONNECTOR_NAME = "backpack_sandbox_2"
#: Domains served by the local sandbox exchange; all share its URL.
SANDBOX_DOMAINS: Tuple[str, ...] = (SANDBOX_DOMAIN, SANDBOX_2_DOMAIN)
#: Overrides the sandbox REST base URL (every sandbox domain); the WS URL is derived from it.
SANDBOX_URL_ENV = "BACKPACK_SANDBOX_URL"
SANDBOX_DEFAULT_URL = "http://127.0.0.1:8765"
SANDBOX_WS_PATH = "/ws"

REST_URLS: Dict[str, str] = {DEFAULT_DOMAIN: "https://api.backpack.exchange"}
WSS_URLS: Dict[str, str] = {DEFAULT_DOMAIN: "wss://ws.backpack.exchange/"}

# ------------------------------------------------------------------------------------------ public paths (§4)
STATUS_PATH_URL = "/api/v1/status"
PING_PATH_URL = "/api/v1/ping"
SERVER_TIME_PATH_URL = "/api/v1/time"
MARKETS_PATH_URL = "/api/v1/markets"
MARKET_PATH_URL = "/api/v1/market"
TICKER_PATH_URL = "/api/v1/ticker"
TICKERS_PATH_URL = "/api/v1/tickers"
DEPTH_PATH_URL = "/api/v1/depth"
TRADES_PATH_URL = "/api/v1/trades"
TRADES_HISTORY_PATH_URL = "/api/v1/trades/history"
KLINES_PATH_URL = "/api/v1/klines"

# ----------------------------------------------------------------------------------------- private paths (§5)
ACCOUNT_PATH_URL = "/api/v1/account"
BALANCE_PATH_URL = "/api/v1/capital"
BORROW_LEND_POSITIONS_PATH_URL = "/api/v1/borrowLend/positions"
ORDER_PATH_URL = "/api/v1/order"
ORDERS_PATH_URL = "/api/v1/orders"
ORDER_HISTORY_PATH_URL = "/wapi/v1/history/orders"
FILL_HISTORY_PATH_URL = "/wapi/v1/history/fills"

# ------------------------------------------------------------------------------- route → instruction (§3)
#: (HTTP method, path) → signing instruction.
INSTRUCTIONS: Dict[Tuple[str, str], str] = {
    ("GET", ACCOUNT_PATH_URL): "accountQuery",
    ("PATCH", ACCOUNT_PATH_URL): "accountUpdate",
    ("GET", BALANCE_PATH_URL): "balanceQuery",
    ("GET", "/api/v1/capital/collateral"): "collateralQuery",
    ("GET", BORROW_LEND_POSITIONS_PATH_URL): "borrowLendPositionQuery",
    ("GET", "/api/v1/account/limits/order"): "maxOrderQuantity",
    ("GET", ORDER_PATH_URL): "orderQuery",
    ("POST", ORDER_PATH_URL): "orderExecute",
    ("DELETE", ORDER_PATH_URL): "orderCancel",
    ("GET", ORDERS_PATH_URL): "orderQueryAll",
    ("POST", ORDERS_PATH_URL): "orderExecute",
    ("DELETE", ORDERS_PATH_URL): "orderCancelAll",
    ("GET", ORDER_HISTORY_PATH_URL): "orderHistoryQueryAll",
    ("GET", FILL_HISTORY_PATH_URL): "fillHistoryQueryAll",
}
#: Routes whose body is an array, one instruction block per item (§2.4).
BATCH_ROUTES = frozenset({("POST", ORDERS_PATH_URL)})
WS_SUBSCRIBE_INSTRUCTION = "subscribe"  # §2.5

# ------------------------------------------------------------------------------------------- signing (§2.2)
DEFAULT_WINDOW_MS = 5000
MAX_WINDOW_MS = 60000
HEADER_API_KEY = "X-API-Key"
HEADER_SIGNATURE = "X-Signature"
HEADER_TIMESTAMP = "X-Timestamp"
HEADER_WINDOW = "X-Window"
#: Broker attribution (Hummingbot's broker code with Backpack), sent on order placement and cancel requests only:
#: ``POST``/``DELETE`` ``/api/v1/order`` and ``/api/v1/orders``.
HEADER_BROKER_ID = "X-Broker-Id"
BROKER_ID = "2200"
BROKER_HEADERS: Dict[str, str] = {HEADER_BROKER_ID: BROKER_ID}

# --------------------------------------------------------------------------------------- websocket (§8)
WS_STALE_TIMEOUT_S = 120.0        # the server pings every 60 s (§8.1)
WS_WATCHDOG_CHECK_S = 30.0
WS_BACKOFF_INITIAL_S = 1.0
WS_BACKOFF_MAX_S = 60.0
WS_BACKOFF_RESET_AFTER_S = 30.0
WS_HEARTBEAT_TIME_INTERVAL = 30.0
DEPTH_STREAM = "depth"
TRADE_STREAM = "trade"
ORDER_UPDATE_STREAM = "account.orderUpdate"
#: UNCONFIRMED (§8.4).
BALANCE_UPDATE_STREAM = "account.balanceUpdate"
DEPTH_SNAPSHOT_LIMIT = 1000       # always pass `limit` (§4.6, §10.1)

# ------------------------------------------------------------------------------------------ enums (§5)
SIDE_BUY = "Bid"
SIDE_SELL = "Ask"
ORDER_TYPE_LIMIT = "Limit"
ORDER_TYPE_MARKET = "Market"
TIME_IN_FORCE_GTC = "GTC"
TIME_IN_FORCE_IOC = "IOC"
TIME_IN_FORCE_FOK = "FOK"
MARKET_TYPE_SPOT = "SPOT"
ORDER_BOOK_STATE_OPEN = "Open"
MAX_CLIENT_ID = 0xFFFFFFFF        # clientId is a uint32 (§5.5)
#: ``selfTradePrevention`` (§5.5): which side of a cross between two orders of one account expires.
SELF_TRADE_PREVENTION_MODES = ("RejectTaker", "RejectMaker", "RejectBoth")
DEFAULT_SELF_TRADE_PREVENTION = "RejectTaker"
FILL_TYPE_USER = "User"           # only our own orders' fills (§5.12)

#: REST `status` / WS `X` → order state (§5.13, §8.5; `Triggered`: §10.11).
ORDER_STATE: Dict[str, OrderState] = {
    "New": OrderState.OPEN,
    "PartiallyFilled": OrderState.PARTIALLY_FILLED,
    "Filled": OrderState.FILLED,
    "Cancelled": OrderState.CANCELED,
    "Expired": OrderState.CANCELED,
    "TriggerPending": OrderState.OPEN,
    "Triggered": OrderState.OPEN,
    "TriggerFailed": OrderState.FAILED,
}

# --------------------------------------------------------------------------------------- errors (§6)
ERROR_RESOURCE_NOT_FOUND = "RESOURCE_NOT_FOUND"
ERROR_INVALID_CLIENT_REQUEST = "INVALID_CLIENT_REQUEST"
ERROR_INVALID_ORDER = "INVALID_ORDER"
ERROR_TOO_MANY_REQUESTS = "TOO_MANY_REQUESTS"
MESSAGE_REQUEST_EXPIRED = "Request has expired"
#: "Order is not open" texts (§5.7, UNCONFIRMED which one).
ORDER_NOT_FOUND_MESSAGES = ("Not Found", "Order not found", "Order does not exist")
#: Post-only crossing rejection fragment (§5.5, UNCONFIRMED).
POST_ONLY_REJECT_FRAGMENT = "immediately match"
#: Post-only taker expiry reasons (§5.11; WS `R` format UNCONFIRMED).
POST_ONLY_EXPIRY_REASONS = frozenset({"PostOnlyTaker", "POST_ONLY_TAKER"})

# ------------------------------------------------------------------------------------- rate limits (§7)
ONE_MINUTE = 60
GLOBAL_POOL = "GLOBAL"
HISTORICAL_POOL = "HISTORICAL"
GLOBAL_LIMIT_PER_MINUTE = 2000
HISTORICAL_LIMIT_PER_MINUTE = 30

#: Priority by reserve (issue 17): polling (every route below) may use ``POLLING_LIMIT_PER_MINUTE`` of the pool,
#: placements and polling together ``NON_CANCEL_LIMIT_PER_MINUTE``, cancels all of it; so neither polling nor
#: placements can make a cancel wait in the throttler.
POLLING_POOL = "POLLING"
NON_CANCEL_POOL = "NON_CANCEL"
POLLING_LIMIT_PER_MINUTE = 1600
NON_CANCEL_LIMIT_PER_MINUTE = 1900
#: Throttler ids of the order actions (``BackpackRestClient`` picks them from method + path).
ORDER_CANCEL_LIMIT_ID = "ORDER_CANCEL"
ORDER_PLACE_LIMIT_ID = "ORDER_PLACE"

_GLOBAL_ROUTES = (
    STATUS_PATH_URL, PING_PATH_URL, SERVER_TIME_PATH_URL, MARKETS_PATH_URL, MARKET_PATH_URL, TICKER_PATH_URL,
    TICKERS_PATH_URL, DEPTH_PATH_URL, TRADES_PATH_URL, ACCOUNT_PATH_URL, BALANCE_PATH_URL,
    BORROW_LEND_POSITIONS_PATH_URL, ORDER_PATH_URL, ORDERS_PATH_URL,
)
#: Routes in the 30/min bucket (§7): market-data history, and `/wapi/v1/history/*` in case Backpack counts account
#: history there too (U2: undocumented; costs nothing when it does not).
_HISTORICAL_ROUTES = (TRADES_HISTORY_PATH_URL, KLINES_PATH_URL, ORDER_HISTORY_PATH_URL, FILL_HISTORY_PATH_URL)
_POLLING_LINKS = [LinkedLimitWeightPair(GLOBAL_POOL, 1), LinkedLimitWeightPair(NON_CANCEL_POOL, 1),
                  LinkedLimitWeightPair(POLLING_POOL, 1)]

RATE_LIMITS = [
    RateLimit(limit_id=GLOBAL_POOL, limit=GLOBAL_LIMIT_PER_MINUTE, time_interval=ONE_MINUTE),
    RateLimit(limit_id=HISTORICAL_POOL, limit=HISTORICAL_LIMIT_PER_MINUTE, time_interval=ONE_MINUTE),
    RateLimit(limit_id=NON_CANCEL_POOL, limit=NON_CANCEL_LIMIT_PER_MINUTE, time_interval=ONE_MINUTE),
    RateLimit(limit_id=POLLING_POOL, limit=POLLING_LIMIT_PER_MINUTE, time_interval=ONE_MINUTE),
    RateLimit(limit_id=ORDER_CANCEL_LIMIT_ID, limit=GLOBAL_LIMIT_PER_MINUTE, time_interval=ONE_MINUTE,
              linked_limits=[LinkedLimitWeightPair(GLOBAL_POOL, 1)]),
    RateLimit(limit_id=ORDER_PLACE_LIMIT_ID, limit=GLOBAL_LIMIT_PER_MINUTE, time_interval=ONE_MINUTE,
              linked_limits=[LinkedLimitWeightPair(GLOBAL_POOL, 1), LinkedLimitWeightPair(NON_CANCEL_POOL, 1)]),
    *[
        RateLimit(limit_id=route, limit=GLOBAL_LIMIT_PER_MINUTE, time_interval=ONE_MINUTE,
                  linked_limits=list(_POLLING_LINKS))
        for route in _GLOBAL_ROUTES
    ],
    *[
        RateLimit(limit_id=route, limit=HISTORICAL_LIMIT_PER_MINUTE, time_interval=ONE_MINUTE,
                  linked_limits=[*_POLLING_LINKS, LinkedLimitWeightPair(HISTORICAL_POOL, 1)])
        for route in _HISTORICAL_ROUTES
    ],
]

# -------------------------------------------------------------------------------------- polling cadence
#: Trading fee refresh interval (s).
TRADING_FEES_REFRESH_INTERVAL_S = 60 * 60
#: Pause of polling requests after a 429 (s), doubling up to the cap; order actions never wait for it.
RATE_LIMIT_BACKOFF_INITIAL_S = 1.0
RATE_LIMIT_BACKOFF_MAX_S = 30.0
#: A cancel answered 429 is sent again after a random delay in this range (s), until it gets another answer.
CANCEL_RETRY_DELAY_RANGE_S = (0.2, 0.8)
