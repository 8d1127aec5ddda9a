"""``BackpackExchange``: Hummingbot's ``ExchangePyBase`` for Backpack spot (``shared/backpack-api.md``).

What the exchange owns (the data sources only stream): trading rules and the symbol map (§4.4), balances (§5.1,
§5.3, WS §8.4), fees (§5.4), order placement (§5.5, §5.6), cancels (§5.7, §5.8), order status (§5.9, §5.11),
fills (§5.12), private WS order events (§8.5), REST error handling (§6, §7) and observability.

Key decisions (details at each method):
- Client order id == the decimal text of a fresh random uint32 ``clientId`` (§5.5, §11.16): one id for Hummingbot,
  REST queries/cancels and WS ``c``; works before the exchange order id is known.
- A 200 cancel answer with ``Cancelled`` confirms; a 202 is only "accepted" (§5.7): the order goes to
  PENDING_CANCEL and stays tracked until WS ``orderCancelled`` or status polling shows a final state.
- 5xx/``TIMEOUT``/``SERVER_ERROR``/transport timeouts on placement = unknown outcome (§6.3): the order is kept and
  reconciled by ``clientId`` (open → OPEN, in history → its state, not found → the tracker's usual not-found
  counting, then FAILED).
- Fills are polled with ONE ``/wapi/v1/history/fills`` request per trading pair and poll cycle (§11.6), keyed by
  trade id so WS and REST fills de-duplicate.

The class composes one mixin per role (each in its own module); the ExchangePyBase hooks each one overrides are
listed in ``BackpackExchange``'s docstring.
"""
import asyncio
import secrets
from collections import OrderedDict
from decimal import Decimal
from typing import Any, Dict, List, Mapping, Optional, Set, Tuple

from hummingbot.connector.backpack_common.stream_metrics import LogThrottle
from hummingbot.connector.exchange.backpack import backpack_constants as CONSTANTS, backpack_web_utils as web_utils
from hummingbot.connector.exchange.backpack.backpack_api_order_book_data_source import BackpackAPIOrderBookDataSource
from hummingbot.connector.exchange.backpack.backpack_api_user_stream_data_source import BackpackAPIUserStreamDataSource
from hummingbot.connector.exchange.backpack.backpack_auth import BackpackAuth
from hummingbot.connector.exchange.backpack.backpack_client_order_tracker import BackpackClientOrderTracker
from hummingbot.connector.exchange.backpack.backpack_exchange_balances import BackpackBalancesMixin
from hummingbot.connector.exchange.backpack.backpack_exchange_cancels import BackpackCancelMixin
from hummingbot.connector.exchange.backpack.backpack_exchange_markets import BackpackMarketsMixin
from hummingbot.connector.exchange.backpack.backpack_exchange_orders import BackpackOrderPlacementMixin
from hummingbot.connector.exchange.backpack.backpack_exchange_rest import BackpackRestMixin
from hummingbot.connector.exchange.backpack.backpack_exchange_status import BackpackOrderStatusMixin
from hummingbot.connector.exchange.backpack.backpack_exchange_user_stream import BackpackUserStreamMixin
from hummingbot.connector.exchange.backpack.backpack_health import (
    BackpackHealth,
    RestCounters,
    assess_health,
    build_metrics_snapshot,
)
from hummingbot.connector.exchange.backpack.backpack_order_book_tracker import BackpackOrderBookTracker
from hummingbot.connector.exchange.backpack.backpack_throttler import BackpackThrottler
from hummingbot.connector.exchange_py_base import ExchangePyBase
from hummingbot.core.api_throttler.async_throttler import AsyncThrottler
from hummingbot.core.data_type.common import OrderType
from hummingbot.core.data_type.order_book_tracker import OrderBookTracker
from hummingbot.core.data_type.order_book_tracker_data_source import OrderBookTrackerDataSource
from hummingbot.core.data_type.user_stream_tracker_data_source import UserStreamTrackerDataSource
from hummingbot.core.network_iterator import NetworkStatus
from hummingbot.core.web_assistant.web_assistants_factory import WebAssistantsFactory


class BackpackExchange(BackpackRestMixin,
                       BackpackMarketsMixin,
                       BackpackBalancesMixin,
                       BackpackOrderPlacementMixin,
                       BackpackCancelMixin,
                       BackpackOrderStatusMixin,
                       BackpackUserStreamMixin,
                       ExchangePyBase):
    """Backpack spot connector.

    :param backpack_api_key: API key (base64 ED25519 public key, §2.1); ``""`` together with an empty secret builds a
        public-data-only instance (rate oracle, paper trade), whose private requests raise
        ``BackpackCredentialsMissingError``.
    :param backpack_api_secret: API secret (base64/hex 32-byte seed, §2.1).
    :param balance_asset_limit: Hummingbot's per-asset balance limits.
    :param rate_limits_share_pct: share of Backpack's rate limits this instance may use (§7).
    :param trading_pairs: Hummingbot trading pairs (``"SOL-USDC"``).
    :param trading_required: False for public data only.
    :param domain: ``"exchange"`` (api.backpack.exchange) or ``"sandbox"`` (local sandbox, ``backpack_sandbox``).
    :raises BackpackKeyError: a malformed key/secret, or a key not matching the secret (message never contains
        the secret).

    Where the ExchangePyBase overrides live (all reachable on this class and its instances):

    - here: identity/config properties, ``authenticator``, the ``_create_*`` factories, ``_set_order_book_tracker``,
      client order ids (``_new_client_order_id``), observability (``metrics_snapshot``, ``health``);
    - ``BackpackRestMixin`` (``backpack_exchange_rest``): ``_api_request``, ``check_network``,
      ``_make_network_check_request``,
      ``_is_request_exception_related_to_time_synchronizer``, ``_is_order_not_found_during_*_error``;
    - ``BackpackMarketsMixin`` (``backpack_exchange_markets``): ``_format_trading_rules``,
      ``_initialize_trading_pair_symbols_from_exchange_info``, ``_set_trading_pair_symbol_map``,
      ``trading_pair_associated_to_exchange_symbol``, ``get_last_traded_prices``, ``_get_last_traded_price``,
      ``get_all_pairs_prices``;
    - ``BackpackBalancesMixin`` (``backpack_exchange_balances``): ``_update_trading_fees``, ``_get_fee``,
      ``_update_balances``;
    - ``BackpackOrderPlacementMixin`` (``backpack_exchange_orders``): ``buy``, ``sell``, ``_place_order``,
      ``_place_order_and_process_update``, ``_on_order_failure``, ``batch_order_create``;
    - ``BackpackCancelMixin`` (``backpack_exchange_cancels``): ``_place_cancel``,
      ``_execute_order_cancel_and_process_update``, ``cancel_all_on_exchange``, ``batch_order_cancel``;
    - ``BackpackOrderStatusMixin`` (``backpack_exchange_status``): ``_request_order_status``,
      ``_update_orders_fills``, ``_all_trade_updates_for_order``;
    - ``BackpackUserStreamMixin`` (``backpack_exchange_user_stream``): ``_user_stream_event_listener``.
    """

    SHORT_POLL_INTERVAL = 5.0
    #: Status poll (balances, open orders, fills) while the private stream is live. Hummingbot's default is 120 s;
    #: Backpack does not replay private events lost while a stream stalls or drops (§8.4), and a stall that keeps
    #: pings flowing cannot be told from quiet, so REST reconciles every 30 s (≈ 1 + open orders + pairs requests;
    #: ``make chaos`` showed balances and fills stale for up to two minutes).
    LONG_POLL_INTERVAL = 30.0
    TRADING_FEES_INTERVAL = CONSTANTS.TRADING_FEES_REFRESH_INTERVAL_S
    #: Recently used client ids remembered to avoid reusing one soon after its order left the tracker.
    RECENT_CLIENT_IDS_KEPT = 10_000

    web_utils = web_utils

    def __init__(self,
                 backpack_api_key: str,
                 backpack_api_secret: str,
                 balance_asset_limit: Optional[Dict[str, Dict[str, Decimal]]] = None,
                 rate_limits_share_pct: Decimal = Decimal("100"),
                 trading_pairs: Optional[List[str]] = None,
                 trading_required: bool = True,
                 domain: str = CONSTANTS.DEFAULT_DOMAIN):
        self._domain = domain
        self._rate_limits_share_pct = rate_limits_share_pct
        self._trading_required = trading_required
        self._trading_pairs = trading_pairs or []
        # Consumed (and dropped) by `authenticator` during ExchangePyBase.__init__; never kept afterwards.
        self._pending_credentials: Optional[Tuple[str, str]] = (backpack_api_key or "", backpack_api_secret or "")
        self._backpack_auth: Optional[BackpackAuth] = None
        self._symbol_map_view: Optional[Mapping[str, str]] = None

        self._maker_fee: Optional[Decimal] = None
        self._taker_fee: Optional[Decimal] = None
        self._account_auto_lend: Optional[bool] = None
        self._lent_balances: Dict[str, Decimal] = {}
        self._balances_requested_at_s: float = 0.0
        self._last_ws_fill_at: Optional[float] = None
        self._last_balance_event_at: Optional[float] = None

        self._rest_counters = RestCounters()
        self._user_event_counters: Dict[str, int] = {"processed": 0, "malformed": 0, "unknown_order": 0,
                                                     "ignored": 0, "balance_updates": 0}
        self._backoff_s = 0.0
        self._backoff_until = 0.0
        self._log_throttle = LogThrottle(interval_s=60.0)
        self._unknown_outcome_orders: Dict[str, asyncio.Task] = {}
        self._recent_client_ids: "OrderedDict[str, None]" = OrderedDict()
        self._fills_cursor_ms: Dict[str, int] = {}
        self._missed_fill_fetches: Dict[str, asyncio.Task] = {}
        self._closed_order_lookups: Set[str] = set()
        self._lost_orders_next_check: Dict[str, float] = {}

        super().__init__(balance_asset_limit=balance_asset_limit, rate_limits_share_pct=rate_limits_share_pct)
        self._pending_credentials = None
        # REST polling stays the source of truth; WS balance events (UNCONFIRMED stream, §8.4, §11.11) are applied
        # as they come. Hummingbot then uses balances as given instead of adjusting them by in-flight orders. If
        # fills arrive on WS without any balance event, `_check_balance_stream` turns this off again.
        self.real_time_balance_update = bool(trading_required)

    # ================================================================================== identity / config
    @staticmethod
    def backpack_order_type(order_type: OrderType) -> str:
        """Hummingbot order type → Backpack ``orderType`` (LIMIT_MAKER is a Limit with ``postOnly``)."""
        return CONSTANTS.ORDER_TYPE_MARKET if order_type is OrderType.MARKET else CONSTANTS.ORDER_TYPE_LIMIT

    @property
    def name(self) -> str:
        return CONSTANTS.EXCHANGE_NAME if self._domain == CONSTANTS.DEFAULT_DOMAIN else f"backpack_{self._domain}"

    @property
    def authenticator(self) -> Optional[BackpackAuth]:
        """``BackpackAuth`` built once from the constructor keys; ``None`` for a public-data instance (both empty)."""
        if self._backpack_auth is None and self._pending_credentials is not None:
            api_key, secret = self._pending_credentials
            self._pending_credentials = None
            if api_key or secret:
                self._backpack_auth = BackpackAuth(api_key=api_key, secret_key=secret,
                                                   time_provider=self._time_synchronizer)
        return self._backpack_auth

    @property
    def rate_limits_rules(self):
        return CONSTANTS.RATE_LIMITS

    @property
    def domain(self) -> str:
        return self._domain

    @property
    def client_order_id_max_length(self) -> int:
        return len(str(CONSTANTS.MAX_CLIENT_ID))

    @property
    def client_order_id_prefix(self) -> str:
        return ""

    @property
    def trading_rules_request_path(self) -> str:
        return CONSTANTS.MARKETS_PATH_URL

    @property
    def trading_pairs_request_path(self) -> str:
        return CONSTANTS.MARKETS_PATH_URL

    @property
    def check_network_request_path(self) -> str:
        return CONSTANTS.STATUS_PATH_URL

    @property
    def trading_pairs(self) -> List[str]:
        return self._trading_pairs

    @property
    def is_cancel_request_in_exchange_synchronous(self) -> bool:
        # True: a 200 cancel answer carries the cancelled order (§5.7). The 202 case is handled in
        # `_execute_order_cancel_and_process_update` (PENDING_CANCEL, never CANCELED).
        return True

    @property
    def is_trading_required(self) -> bool:
        return self._trading_required

    def supported_order_types(self) -> List[OrderType]:
        return [OrderType.LIMIT, OrderType.LIMIT_MAKER, OrderType.MARKET]

    # ======================================================================================= factories
    def _create_web_assistants_factory(self) -> WebAssistantsFactory:
        if type(self._throttler) is AsyncThrottler:  # ExchangePyBase's; ours checks capacity faster, same rules
            self._throttler = BackpackThrottler(rate_limits=self.rate_limits_rules,
                                                limits_share_percentage=self._rate_limits_share_pct)
        return web_utils.build_api_factory(
            throttler=self._throttler,
            time_synchronizer=self._time_synchronizer,
            domain=self._domain,
            auth=self._auth)

    def _set_order_book_tracker(self, order_book_tracker: OrderBookTracker):
        """``ExchangePyBase`` builds a plain ``OrderBookTracker``; ours applies diffs without queue hops and builds
        initial books concurrently (``backpack_order_book_tracker``)."""
        if type(order_book_tracker) is OrderBookTracker:
            order_book_tracker = BackpackOrderBookTracker(data_source=order_book_tracker.data_source,
                                                          trading_pairs=order_book_tracker._trading_pairs,
                                                          domain=order_book_tracker._domain)
        super()._set_order_book_tracker(order_book_tracker)

    def _create_order_tracker(self) -> BackpackClientOrderTracker:
        """O(1) order lookups by client id (``backpack_client_order_tracker``)."""
        return BackpackClientOrderTracker(connector=self)

    def _create_order_book_data_source(self) -> OrderBookTrackerDataSource:
        return BackpackAPIOrderBookDataSource(
            trading_pairs=self._trading_pairs, connector=self, api_factory=self._web_assistants_factory,
            domain=self._domain)

    def _create_user_stream_data_source(self) -> UserStreamTrackerDataSource:
        return BackpackAPIUserStreamDataSource(
            auth=self._auth, trading_pairs=self._trading_pairs, connector=self,
            api_factory=self._web_assistants_factory, domain=self._domain,
            on_subscribed=self._on_private_stream_subscribed)

    def _on_private_stream_subscribed(self) -> None:
        """After each private (re)subscription: order events and fills sent while the stream was down are not
        replayed (§8.4), so the status poll (orders, fills, balances) runs now instead of at the next interval."""
        self._poll_notifier.set()

    # ================================================================================== client order ids
    def _new_client_order_id(self) -> str:
        """A fresh random uint32 ``clientId`` in 1..2³²−1 as decimal text, unused by any tracked (active, cached or
        lost) order and by the last ``RECENT_CLIENT_IDS_KEPT`` ids (§5.5; Backpack does not document rejecting
        duplicates, §11.16)."""
        tracker = self._order_tracker
        recent = self._recent_client_ids
        while True:
            candidate = str(secrets.randbelow(CONSTANTS.MAX_CLIENT_ID) + 1)
            if (candidate in recent or tracker.fetch_tracked_order(candidate) is not None
                    or tracker.fetch_cached_order(candidate) is not None
                    or tracker.fetch_lost_order(client_order_id=candidate) is not None):
                continue
            recent[candidate] = None
            if len(recent) > self.RECENT_CLIENT_IDS_KEPT:
                recent.popitem(last=False)
            return candidate

    # ================================================================================== observability
    def metrics_snapshot(self) -> Dict[str, Any]:
        """Counters for dashboards/logs: ``public_stream``/``private_stream`` (the data sources'
        ``StreamMetrics.snapshot()``: messages per stream, reconnects, gaps, resyncs, dropped, auth failures, last
        message ages in s), ``rest`` (requests, 429s, 5xx, 451s, 401/403s, unknown-outcome placements),
        ``user_stream_events`` (processed, malformed, unknown_order, ignored, balance_updates) and
        ``rate_limit_backoff_s``."""
        return build_metrics_snapshot(self._stream_metrics(self._orderbook_ds),
                                      self._stream_metrics(self._user_stream_tracker.data_source),
                                      self._rest_counters, self._user_event_counters, self._backoff_remaining_s())

    def health(self) -> BackpackHealth:
        """``BackpackHealth(status, reasons)``: ``down`` when the network check fails or Backpack refuses this region
        (451); ``degraded`` for a stale/disconnected stream, stream auth failures, a 429 backoff or recent
        429/5xx/auth errors, or orders with an unknown placement outcome; else ``ok``."""
        return assess_health(
            network_connected=self._is_network_connected(),
            trading_required=self._trading_required,
            public_stream=self._stream_metrics(self._orderbook_ds),
            private_stream=self._stream_metrics(self._user_stream_tracker.data_source),
            rest=self._rest_counters,
            backoff_remaining_s=self._backoff_remaining_s(),
            pending_unknown_outcome=len(self._unknown_outcome_orders))

    def _is_network_connected(self) -> bool:
        return self.network_status is NetworkStatus.CONNECTED

    @staticmethod
    def _stream_metrics(data_source: Any) -> Any:
        return getattr(data_source, "metrics", None)
