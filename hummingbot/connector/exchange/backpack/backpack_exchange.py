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
"""
import asyncio
import json
import secrets
import time
from collections import OrderedDict, defaultdict
from decimal import Decimal
from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple, Union

import aiohttp
from bidict import bidict

from hummingbot.connector.backpack_common.stream_metrics import LogThrottle
from hummingbot.connector.constants import s_decimal_NaN
from hummingbot.connector.exchange.backpack import (
    backpack_constants as CONSTANTS,
    backpack_utils,
    backpack_web_utils as web_utils,
)
from hummingbot.connector.exchange.backpack.backpack_api_order_book_data_source import BackpackAPIOrderBookDataSource
from hummingbot.connector.exchange.backpack.backpack_api_user_stream_data_source import BackpackAPIUserStreamDataSource
from hummingbot.connector.exchange.backpack.backpack_auth import BackpackAuth
from hummingbot.connector.exchange.backpack.backpack_errors import (
    BackpackAPIError,
    BackpackCredentialsMissingError,
    BackpackOrderNotFoundError,
    BackpackPostOnlyRejectedError,
    BackpackRateLimitError,
    BackpackRegionBlockedError,
    error_from_response,
)
from hummingbot.connector.exchange.backpack.backpack_health import (
    BackpackHealth,
    RestCounters,
    assess_health,
    build_metrics_snapshot,
)
from hummingbot.connector.exchange.backpack.backpack_client_order_tracker import BackpackClientOrderTracker
from hummingbot.connector.exchange.backpack.backpack_order_book_tracker import BackpackOrderBookTracker
from hummingbot.connector.exchange.backpack.backpack_throttler import BackpackThrottler
from hummingbot.connector.exchange.backpack.backpack_order_parsing import (
    bps_to_fraction,
    build_order_payload,
    order_update_from_order,
    order_update_from_ws,
    to_decimal,
    trade_update_from_fill,
    trade_update_from_ws,
    trading_rule_from_market,
    us_to_s,
)
from hummingbot.connector.exchange_py_base import ExchangePyBase
from hummingbot.connector.trading_rule import TradingRule
from hummingbot.core.api_throttler.async_throttler import AsyncThrottler
from hummingbot.connector.utils import combine_to_hb_trading_pair
from hummingbot.core.data_type.cancellation_result import CancellationResult
from hummingbot.core.data_type.common import OrderType, TradeType
from hummingbot.core.data_type.in_flight_order import InFlightOrder, OrderState, OrderUpdate, TradeUpdate
from hummingbot.core.data_type.limit_order import LimitOrder
from hummingbot.core.data_type.market_order import MarketOrder
from hummingbot.core.data_type.order_book_tracker import OrderBookTracker
from hummingbot.core.data_type.order_book_tracker_data_source import OrderBookTrackerDataSource
from hummingbot.core.data_type.trade_fee import TradeFeeBase
from hummingbot.core.data_type.user_stream_tracker_data_source import UserStreamTrackerDataSource
from hummingbot.core.network_iterator import NetworkStatus
from hummingbot.core.utils.async_utils import safe_ensure_future, safe_gather
from hummingbot.core.web_assistant.connections.data_types import RESTMethod
from hummingbot.core.web_assistant.web_assistants_factory import WebAssistantsFactory

_CANCEL_CONFIRMED = "confirmed"   # 200 with a final status: the order is cancelled
_CANCEL_ACCEPTED = "accepted"     # 202 (or a non-final 200): wait for WS / polling (§5.7)
_ORDER_EVENTS = frozenset({"orderAccepted", "orderCancelled", "orderExpired", "orderFill", "orderModified",
                           "triggerPlaced", "triggerFailed"})
#: Transport errors after which an order may or may not have reached the engine (§6.3).
_UNKNOWN_OUTCOME_TRANSPORT_ERRORS = (asyncio.TimeoutError, aiohttp.ServerDisconnectedError,
                                     aiohttp.ServerTimeoutError, aiohttp.ClientPayloadError)
_ZERO = Decimal("0")
_NewOrder = Union[LimitOrder, MarketOrder]


class _ResolvedTradingPair(str):
    """A trading pair that is also awaitable (``await x`` gives the same text).

    ``trading_pair_associated_to_exchange_symbol`` is async in Hummingbot, but Hummingbot's shipped
    ``BackpackRateSource`` calls it without ``await`` (it was written against a connector that overrode it with a
    sync method, §11). Returning this object when the symbol map already knows the symbol serves both callers
    without making the method synchronous.
    """
    __slots__ = ()

    def __await__(self):
        if False:  # pragma: no cover - makes this a generator, never yields
            yield
        return str(self)


class BackpackExchange(ExchangePyBase):
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
    """

    SHORT_POLL_INTERVAL = 5.0
    LONG_POLL_INTERVAL = 120.0
    TRADING_FEES_INTERVAL = CONSTANTS.TRADING_FEES_REFRESH_INTERVAL_S
    #: Max orders per ``POST /api/v1/orders`` (UNCONFIRMED §5.6: ccxt says 20, a note 50; we use the lower).
    BATCH_ORDER_MAX_SIZE = 20
    #: Waits (s) between the clientId checks of an order whose placement outcome is unknown (§6.3).
    UNKNOWN_OUTCOME_RECHECK_DELAYS_S: Tuple[float, ...] = (1.0, 2.0, 4.0, 8.0, 15.0)
    #: Page size and page budget of one fills poll per pair (§5.12 max limit 1000).
    FILLS_PAGE_LIMIT = 1000
    FILLS_MAX_PAGES = 5
    #: Fills are polled from (last poll start − overlap): covers history indexing lag and clock skew (ms).
    FILLS_OVERLAP_MS = 5 * 60 * 1000
    #: Order history rows scanned when looking an order up by clientId only (no orderId known yet; §5.11).
    ORDER_HISTORY_SCAN_LIMIT = 1000
    #: After WS fills with no ``account.balanceUpdate`` for this long, the balance stream is deemed absent.
    BALANCE_STREAM_GRACE_S = 30.0
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
            api_factory=self._web_assistants_factory, domain=self._domain)

    # ======================================================================================= REST layer
    async def _api_request(self,
                           path_url,
                           overwrite_url: Optional[str] = None,
                           method: RESTMethod = RESTMethod.GET,
                           params: Optional[Dict[str, Any]] = None,
                           data: Optional[Any] = None,
                           is_auth_required: bool = False,
                           return_err: bool = False,
                           limit_id: Optional[str] = None,
                           headers: Optional[Dict[str, Any]] = None,
                           **kwargs) -> Any:
        """JSON answer of a Backpack REST call (``None`` for an empty 2xx body such as a 202). See ``_rest_call``."""
        _, payload = await self._rest_call(path_url, method=method, params=params, data=data,
                                           is_auth_required=is_auth_required, limit_id=limit_id,
                                           headers=headers, overwrite_url=overwrite_url)
        return payload

    async def _rest_call(self, path_url: str, method: RESTMethod = RESTMethod.GET,
                         params: Optional[Dict[str, Any]] = None, data: Optional[Any] = None,
                         is_auth_required: bool = False, limit_id: Optional[str] = None,
                         headers: Optional[Dict[str, Any]] = None,
                         overwrite_url: Optional[str] = None) -> Tuple[int, Any]:
        """One REST call through the throttler: ``(HTTP status, parsed JSON or None)``.

        Errors (§6): 429 → ``BackpackRateLimitError`` and a connector-wide backoff (doubling from
        ``RATE_LIMIT_BACKOFF_INITIAL_S`` to ``RATE_LIMIT_BACKOFF_MAX_S``) before the next request; 451 →
        ``BackpackRegionBlockedError``; "Request has expired" → re-sync the clock and retry once; other non-2xx →
        ``BackpackAPIError`` (status, ``code``, ``message``). Transport errors propagate unchanged.

        :raises BackpackCredentialsMissingError: a private route on a connector built without keys.
        """
        if is_auth_required and self._auth is None:
            raise BackpackCredentialsMissingError(
                f"{method.value} {path_url} needs Backpack API credentials, but this connector instance was created "
                "without an API key and secret (public data only). Configure the keys with `connect backpack`.")
        url = overwrite_url or await self._api_request_url(path_url=path_url, is_auth_required=is_auth_required)
        rest_assistant = await self._web_assistants_factory.get_rest_assistant()
        for attempt in range(2):
            await self._wait_for_rate_limit_backoff()
            response = await rest_assistant.execute_request_and_get_response(
                url=url, throttler_limit_id=limit_id or path_url, params=params, data=data, method=method,
                is_auth_required=is_auth_required, return_err=True, headers=headers)
            status = response.status
            self._rest_counters.on_status(status)
            body = await response.text()
            if status < 400:
                self._backoff_s = 0.0
                return status, (json.loads(body) if body and body.strip() else None)
            error = error_from_response(status, body, method.value, path_url)
            if isinstance(error, BackpackRateLimitError):
                self._start_rate_limit_backoff(path_url)
            elif isinstance(error, BackpackRegionBlockedError):
                if self._log_throttle.check("451") is not None:
                    self.logger().error(str(error))
            elif attempt == 0 and error.is_request_expired:
                await self._update_time_synchronizer()
                continue
            raise error
        raise AssertionError("unreachable")  # pragma: no cover

    def _start_rate_limit_backoff(self, path_url: str) -> None:
        self._backoff_s = min(max(self._backoff_s * 2, CONSTANTS.RATE_LIMIT_BACKOFF_INITIAL_S),
                              CONSTANTS.RATE_LIMIT_BACKOFF_MAX_S)
        self._backoff_until = time.monotonic() + self._backoff_s
        self.logger().warning(f"Backpack rate limit hit (HTTP 429 on {path_url}): pausing REST requests for "
                              f"{self._backoff_s:.1f} s.")

    def _backoff_remaining_s(self) -> float:
        return max(0.0, self._backoff_until - time.monotonic())

    async def _wait_for_rate_limit_backoff(self) -> None:
        remaining = self._backoff_remaining_s()
        if remaining > 0:
            await asyncio.sleep(remaining)

    async def _make_network_check_request(self):
        """``GET /api/v1/status`` (§4.1): connected only when ``status == "Ok"`` (``Maintenance`` counts as down)."""
        answer = await self._api_get(path_url=self.check_network_request_path)
        if not isinstance(answer, dict) or answer.get("status") != "Ok":
            raise IOError(f"Backpack status is not Ok: {answer!r}")

    def _is_request_exception_related_to_time_synchronizer(self, request_exception: Exception) -> bool:
        """``INVALID_CLIENT_REQUEST`` + "Request has expired" (§2.7, §6.3)."""
        if isinstance(request_exception, BackpackAPIError):
            return request_exception.is_request_expired
        text = str(request_exception)
        return CONSTANTS.ERROR_INVALID_CLIENT_REQUEST in text and CONSTANTS.MESSAGE_REQUEST_EXPIRED in text

    def _is_order_not_found_during_status_update_error(self, status_update_exception: Exception) -> bool:
        """Only when neither the open-order query nor the order history knows the order (§5.9, §5.11)."""
        return isinstance(status_update_exception, BackpackOrderNotFoundError)

    def _is_order_not_found_during_cancelation_error(self, cancelation_exception: Exception) -> bool:
        """``RESOURCE_NOT_FOUND``/"Not Found" or ``INVALID_CLIENT_REQUEST``/"Order not found" (§5.7)."""
        return isinstance(cancelation_exception, BackpackAPIError) and cancelation_exception.is_order_not_found

    # ============================================================================= markets / rules / symbols
    async def _format_trading_rules(self, exchange_info_dict: Any) -> List[TradingRule]:
        """Trading rules of the tradable spot markets of ``GET /api/v1/markets`` (§4.4; filter:
        ``backpack_utils.is_exchange_information_valid``). Unparseable entries are logged and skipped."""
        rules = []
        for market in _markets(exchange_info_dict):
            try:
                if not backpack_utils.is_exchange_information_valid(market):
                    continue
                trading_pair = combine_to_hb_trading_pair(market["baseSymbol"], market["quoteSymbol"])
                rules.append(trading_rule_from_market(market, trading_pair))
            except Exception as e:
                symbol = market.get("symbol") if isinstance(market, dict) else repr(market)
                self.logger().error(f"Error parsing the trading rule of Backpack market {symbol}: {e!r}. Skipping.")
        return rules

    def _initialize_trading_pair_symbols_from_exchange_info(self, exchange_info: Any):
        """bidict exchange symbol → trading pair from ``baseSymbol``/``quoteSymbol`` (never string replacement,
        §11.8); only tradable spot markets. A pair claimed twice keeps its first symbol (logged)."""
        mapping = bidict()
        for market in _markets(exchange_info):
            try:
                if not backpack_utils.is_exchange_information_valid(market):
                    continue
                symbol = market["symbol"]
                trading_pair = combine_to_hb_trading_pair(market["baseSymbol"], market["quoteSymbol"])
            except Exception:
                continue
            if trading_pair in mapping.inverse or symbol in mapping:
                self.logger().warning(f"Backpack market {symbol} maps to {trading_pair}, already taken; ignored.")
                continue
            mapping[symbol] = trading_pair
        self._set_trading_pair_symbol_map(mapping)

    def _set_trading_pair_symbol_map(self, trading_pair_and_symbol_map: Optional[Mapping[str, str]]):
        self._symbol_map_view = trading_pair_and_symbol_map
        super()._set_trading_pair_symbol_map(trading_pair_and_symbol_map)

    def trading_pair_associated_to_exchange_symbol(self, symbol: str):
        """Awaitable trading pair of an exchange symbol (Hummingbot's async API). When the map is loaded and knows
        the symbol, the result is also usable without ``await`` (see ``_ResolvedTradingPair``)."""
        mapping = self._symbol_map_view
        if mapping is not None and symbol in mapping:
            return _ResolvedTradingPair(mapping[symbol])
        return super().trading_pair_associated_to_exchange_symbol(symbol)

    # ================================================================================== prices
    async def get_last_traded_prices(self, trading_pairs: List[str]) -> Dict[str, float]:
        """``lastPrice`` per trading pair: ``/api/v1/ticker`` for one pair, one ``/api/v1/tickers`` call for several
        (§4.5). A 204 (no data) or a pair without a price is left out."""
        if not trading_pairs:
            return {}
        if len(trading_pairs) == 1:
            symbol = await self.exchange_symbol_associated_to_pair(trading_pair=trading_pairs[0])
            ticker = await self._api_get(path_url=CONSTANTS.TICKER_PATH_URL, params={"symbol": symbol})
            tickers = [ticker] if isinstance(ticker, dict) else []
        else:
            tickers = await self._api_get(path_url=CONSTANTS.TICKERS_PATH_URL) or []
        wanted = set(trading_pairs)
        symbol_map = await self.trading_pair_symbol_map()
        prices = {}
        for ticker in tickers:
            trading_pair = symbol_map.get(ticker.get("symbol"))
            if trading_pair in wanted and ticker.get("lastPrice") not in (None, ""):
                prices[trading_pair] = float(ticker["lastPrice"])
        return prices

    async def _get_last_traded_price(self, trading_pair: str) -> float:
        prices = await self.get_last_traded_prices([trading_pair])
        return prices.get(trading_pair, float("nan"))

    async def get_all_pairs_prices(self) -> List[Dict[str, Any]]:
        """Tickers of ``GET /api/v1/tickers`` (§4.5: ``symbol``, ``lastPrice``...) for the spot markets this connector
        maps (perps and closed/hidden markets left out), for Hummingbot's rate oracle. Loads the symbol map first,
        so ``trading_pair_associated_to_exchange_symbol`` resolves every returned symbol."""
        tickers = await self._api_get(path_url=CONSTANTS.TICKERS_PATH_URL) or []
        symbol_map = await self.trading_pair_symbol_map()
        return [ticker for ticker in tickers if isinstance(ticker, dict) and ticker.get("symbol") in symbol_map]

    # ================================================================================== fees
    async def _update_trading_fees(self):
        """Account fee tier from ``GET /api/v1/account`` (§5.4): ``spotMakerFee``/``spotTakerFee`` in basis points →
        fractions (negative = rebate). Refreshed every ``TRADING_FEES_INTERVAL`` s by ExchangePyBase's loop."""
        account = await self._api_get(path_url=CONSTANTS.ACCOUNT_PATH_URL, is_auth_required=True)
        self._maker_fee = bps_to_fraction(account["spotMakerFee"])
        self._taker_fee = bps_to_fraction(account["spotTakerFee"])
        self._account_auto_lend = account.get("autoLend")

    def _get_fee(self,
                 base_currency: str,
                 quote_currency: str,
                 order_type: OrderType,
                 order_side: TradeType,
                 amount: Decimal,
                 price: Decimal = s_decimal_NaN,
                 is_maker: Optional[bool] = None) -> TradeFeeBase:
        """Estimated fee: maker rate when ``is_maker`` or LIMIT_MAKER (post-only never takes), else taker; the
        account's fetched rates, or ``backpack_utils.DEFAULT_FEES`` until ``/api/v1/account`` answered."""
        defaults = backpack_utils.DEFAULT_FEES
        if order_type is OrderType.LIMIT_MAKER or is_maker:
            percent = self._maker_fee if self._maker_fee is not None else defaults.maker_percent_fee_decimal
        else:
            percent = self._taker_fee if self._taker_fee is not None else defaults.taker_percent_fee_decimal
        return TradeFeeBase.new_spot_fee(fee_schema=self.trade_fee_schema(), trade_type=order_side, percent=percent)

    # ================================================================================== balances
    async def _update_balances(self):
        """Balances from ``GET /api/v1/capital`` (§5.1) plus lent funds from ``GET /api/v1/borrowLend/positions``
        (§5.3), the source of truth; assets absent from the answer are removed.

        total = available + locked + staked + lent (positive ``netQuantity``); available = ``available`` only.
        Lent funds are NOT counted as available: whether a plain spot order redeems them is UNCONFIRMED (§11.10)
        and upstream's choice (counting them) risks ``INSUFFICIENT_FUNDS`` rejections. If the positions query
        fails, the last known lent amounts are kept (logged).
        """
        self._check_balance_stream()
        self._balances_requested_at_s = self._time_synchronizer.time()
        capital, positions = await asyncio.gather(
            self._api_get(path_url=CONSTANTS.BALANCE_PATH_URL, is_auth_required=True),
            self._api_get(path_url=CONSTANTS.BORROW_LEND_POSITIONS_PATH_URL, is_auth_required=True),
            return_exceptions=True)
        for result in (capital, positions):
            if isinstance(result, asyncio.CancelledError):
                raise result
        if isinstance(capital, BaseException):
            raise capital
        if isinstance(positions, BaseException):
            if self._log_throttle.check("lend") is not None:
                self.logger().warning(f"Could not read Backpack lend positions ({positions}); keeping the last known "
                                      "lent amounts in total balances.")
        else:
            self._lent_balances = _lent_amounts(positions, self.logger())
        self._apply_rest_balances(capital or {})

    def _apply_rest_balances(self, capital: Mapping[str, Any]) -> None:
        available: Dict[str, Decimal] = {}
        total: Dict[str, Decimal] = {}
        for asset, entry in capital.items():
            try:
                free = to_decimal(entry["available"])
                held = to_decimal(entry.get("locked") or 0) + to_decimal(entry.get("staked") or 0)
            except (KeyError, ValueError, TypeError, AttributeError) as e:
                self.logger().warning(f"Skipping malformed Backpack balance entry {asset!r}: {e!r}")
                continue
            available[asset] = free
            total[asset] = free + held
        for asset, lent in self._lent_balances.items():
            total[asset] = total.get(asset, _ZERO) + lent
            available.setdefault(asset, _ZERO)
        self._account_available_balances.clear()
        self._account_available_balances.update(available)
        self._account_balances.clear()
        self._account_balances.update(total)

    def _apply_balance_event(self, data: Mapping[str, Any]) -> None:
        """``account.balanceUpdate`` (§8.4, UNCONFIRMED; ``a`` asset, ``A`` available, ``L`` locked, ``S`` staked,
        absolute values). An event older than the last REST balance request is ignored (REST already has it)."""
        event_time = data.get("E")
        if event_time is not None and us_to_s(event_time) < self._balances_requested_at_s:
            return
        asset = data["a"]
        free = to_decimal(data["A"])
        held = to_decimal(data.get("L") or 0) + to_decimal(data.get("S") or 0)
        self._account_available_balances[asset] = free
        self._account_balances[asset] = free + held + self._lent_balances.get(asset, _ZERO)
        self._last_balance_event_at = time.monotonic()
        self._user_event_counters["balance_updates"] += 1
        if not self.real_time_balance_update and self._trading_required:
            self.real_time_balance_update = True

    def _check_balance_stream(self) -> None:
        """Turn ``real_time_balance_update`` off when WS fills were seen but no balance event followed within
        ``BALANCE_STREAM_GRACE_S`` (the stream is UNCONFIRMED, §8.4): Hummingbot then adjusts REST balances by
        in-flight orders between polls, as for exchanges without a balance stream."""
        fill_at = self._last_ws_fill_at
        if (not self.real_time_balance_update or fill_at is None
                or time.monotonic() - fill_at < self.BALANCE_STREAM_GRACE_S):
            return
        if self._last_balance_event_at is None or self._last_balance_event_at < fill_at:
            self.real_time_balance_update = False
            self.logger().warning("No account.balanceUpdate event followed order fills: Backpack's balance stream "
                                  "looks unavailable; balances now come from REST polling only.")

    # ================================================================================== order placement
    def buy(self, trading_pair: str, amount: Decimal, order_type: OrderType = OrderType.LIMIT,
            price: Decimal = s_decimal_NaN, **kwargs) -> str:
        """Place a buy order; returns its client order id (decimal text of a uint32 ``clientId``). kwargs may carry
        ``time_in_force`` (``"GTC"|"IOC"|"FOK"``)."""
        return self._submit_order(TradeType.BUY, trading_pair, amount, order_type, price, **kwargs)

    def sell(self, trading_pair: str, amount: Decimal, order_type: OrderType = OrderType.LIMIT,
             price: Decimal = s_decimal_NaN, **kwargs) -> str:
        """Place a sell order; see ``buy``."""
        return self._submit_order(TradeType.SELL, trading_pair, amount, order_type, price, **kwargs)

    def _submit_order(self, trade_type: TradeType, trading_pair: str, amount: Decimal, order_type: OrderType,
                      price: Decimal, **kwargs) -> str:
        order_id = self._new_client_order_id()
        safe_ensure_future(self._create_order(trade_type=trade_type, order_id=order_id, trading_pair=trading_pair,
                                              amount=amount, order_type=order_type, price=price, **kwargs))
        return order_id

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

    async def _order_payload(self, order_id: str, trading_pair: str, amount: Decimal, trade_type: TradeType,
                             order_type: OrderType, price: Optional[Decimal], **kwargs) -> Dict[str, Any]:
        symbol = await self.exchange_symbol_associated_to_pair(trading_pair=trading_pair)
        return build_order_payload(symbol=symbol, trade_type=trade_type, order_type=order_type, amount=amount,
                                   price=price, client_id=int(order_id), time_in_force=kwargs.get("time_in_force"))

    async def _post_order(self, body: Dict[str, Any]) -> Dict[str, Any]:
        """``POST /api/v1/order`` (§5.5). A post-only crossing rejection becomes ``BackpackPostOnlyRejectedError``."""
        try:
            return await self._api_post(path_url=CONSTANTS.ORDER_PATH_URL, data=body, is_auth_required=True)
        except BackpackAPIError as e:
            if e.is_post_only_rejection:
                raise BackpackPostOnlyRejectedError(e.status, e.code, e.message, e.method, e.path) from None
            raise

    async def _place_order(self, order_id: str, trading_pair: str, amount: Decimal, trade_type: TradeType,
                           order_type: OrderType, price: Decimal, **kwargs) -> Tuple[str, float]:
        """Send one order; returns ``(exchange order id, update timestamp s)``."""
        body = await self._order_payload(order_id, trading_pair, amount, trade_type, order_type, price, **kwargs)
        answer = await self._post_order(body)
        return str(answer["id"]), self.current_timestamp

    async def _place_order_and_process_update(self, order: InFlightOrder, **kwargs) -> str:
        """Send the order and apply the engine's answer (which may already be PartiallyFilled/Filled, or an
        Expired post-only → FAILED). An unknown outcome (§6.3) keeps the order and starts reconciliation."""
        body = await self._order_payload(order.client_order_id, order.trading_pair, order.amount, order.trade_type,
                                         order.order_type, order.price, **kwargs)
        try:
            answer = await self._post_order(body)
        except Exception as e:
            if _is_unknown_outcome(e):
                self._on_unknown_outcome(order, e)
                return ""
            raise
        self._apply_order_answer(order, answer)
        return str(answer["id"])

    def _apply_order_answer(self, order: InFlightOrder, answer: Mapping[str, Any]) -> None:
        update = order_update_from_order(answer, order.client_order_id, order.trading_pair, self.current_timestamp)
        if update.new_state is OrderState.FAILED and update.misc_updates:
            self.logger().warning(f"Order {order.client_order_id} failed: {update.misc_updates['error_message']}")
        self._process_order_update_keeping_progress(order, update)

    def _process_order_update_keeping_progress(self, order: InFlightOrder, update: OrderUpdate) -> None:
        """Apply ``update`` without moving an order back to OPEN from PARTIALLY_FILLED or PENDING_CANCEL (a REST
        answer can be older than a WS fill or a 202 cancel)."""
        if update.new_state is OrderState.OPEN and order.current_state in (OrderState.PARTIALLY_FILLED,
                                                                         OrderState.PENDING_CANCEL):
            update = update._replace(new_state=order.current_state)
        self._order_tracker.process_order_update(update)

    def _on_order_failure(self, order_id: str, trading_pair: str, amount: Decimal, trade_type: TradeType,
                          order_type: OrderType, price: Optional[Decimal], exception: Exception, **kwargs):
        if isinstance(exception, BackpackPostOnlyRejectedError):
            self.logger().warning(f"{order_type.name} {trade_type.name} order {order_id} for {amount} {trading_pair} "
                                  f"at {price} rejected: {exception}.")
            self._update_order_after_failure(order_id=order_id, trading_pair=trading_pair, exception=exception)
            return
        super()._on_order_failure(order_id=order_id, trading_pair=trading_pair, amount=amount, trade_type=trade_type,
                                  order_type=order_type, price=price, exception=exception, **kwargs)

    # ---------------------------------------------------------------------------------- unknown outcome
    def _on_unknown_outcome(self, order: InFlightOrder, error: BaseException) -> None:
        self._rest_counters.unknown_outcome_orders += 1
        self.logger().warning(f"Order {order.client_order_id} ({order.trade_type.name} {order.amount} "
                              f"{order.trading_pair}): placement outcome unknown ({error!r}). The order is kept and "
                              "will be resolved by clientId.")
        if order.client_order_id not in self._unknown_outcome_orders:
            self._unknown_outcome_orders[order.client_order_id] = safe_ensure_future(
                self._reconcile_unknown_outcome(order))

    async def _reconcile_unknown_outcome(self, order: InFlightOrder) -> None:
        """Query the order by clientId after each of ``UNKNOWN_OUTCOME_RECHECK_DELAYS_S``: open → OPEN, in the
        history → its state; not found → the tracker's not-found counter (past its limit the order becomes FAILED
        and a lost order, which keeps being checked). Stops as soon as something (WS or polling) resolved it."""
        client_order_id = order.client_order_id
        try:
            for delay in self.UNKNOWN_OUTCOME_RECHECK_DELAYS_S:
                await asyncio.sleep(delay)
                if order.current_state is not OrderState.PENDING_CREATE or order.is_done:
                    return
                try:
                    update = await self._request_order_status(order)
                except asyncio.CancelledError:
                    raise
                except BackpackOrderNotFoundError:
                    await self._order_tracker.process_order_not_found(client_order_id)
                    continue
                except Exception as e:
                    self.logger().debug(f"Unknown-outcome check of {client_order_id} failed: {e!r}")
                    continue
                self._process_order_update_keeping_progress(order, update)
                return
        finally:
            self._unknown_outcome_orders.pop(client_order_id, None)

    # ---------------------------------------------------------------------------------- batch create
    def batch_order_create(self, orders_to_create: List[_NewOrder]) -> List[_NewOrder]:
        """Create several orders with ``POST /api/v1/orders`` (§5.6) in chunks of ``BATCH_ORDER_MAX_SIZE``.

        :param orders_to_create: ``LimitOrder``/``MarketOrder`` objects (ids may be blank).
        :returns: the same orders with their client order ids; they are tracked at once, sent in the background;
            each answer element ``"Ok"`` → OPEN (or its state), ``"Err"`` → that order FAILED with the code/message.
        """
        with_ids = [order.copy_with_id(client_order_id=self._new_client_order_id()) for order in orders_to_create]
        safe_ensure_future(self._execute_batch_order_create(with_ids))
        return with_ids

    async def _execute_batch_order_create(self, orders: List[Union[LimitOrder, MarketOrder]]) -> None:
        ready: List[Tuple[InFlightOrder, Dict[str, Any]]] = []
        for order in orders:
            tracked = self._track_batch_order(order)
            if tracked is None:
                continue
            try:
                body = await self._order_payload(tracked.client_order_id, tracked.trading_pair, tracked.amount,
                                                 tracked.trade_type, tracked.order_type, tracked.price)
            except asyncio.CancelledError:
                raise
            except Exception as e:
                self._update_order_after_failure(tracked.client_order_id, tracked.trading_pair, exception=e)
                continue
            ready.append((tracked, body))
        size = max(1, int(self.BATCH_ORDER_MAX_SIZE))
        for start in range(0, len(ready), size):
            await self._send_batch_chunk(ready[start:start + size])

    def _track_batch_order(self, order: Union[LimitOrder, MarketOrder]) -> Optional[InFlightOrder]:
        order_type = order.order_type()
        trade_type = TradeType.BUY if order.is_buy else TradeType.SELL
        trading_pair = order.trading_pair
        client_order_id = order.client_order_id
        price = order.price if order_type is not OrderType.MARKET else None
        rule = self._trading_rules.get(trading_pair)
        amount = Decimal(str(order.quantity))
        if rule is not None:
            amount = self.quantize_order_amount(trading_pair, amount)
            if price is not None:
                price = self.quantize_order_price(trading_pair, Decimal(str(price)))
        self.start_tracking_order(order_id=client_order_id, exchange_order_id=None, trading_pair=trading_pair,
                                  trade_type=trade_type, price=price, amount=amount, order_type=order_type)
        if rule is None:
            self._update_order_after_failure(client_order_id, trading_pair,
                                             exception=ValueError(f"No trading rule for {trading_pair}"))
            return None
        if amount < rule.min_order_size:
            self._update_order_after_failure(client_order_id, trading_pair, exception=ValueError(
                f"Order amount {order.quantity} is lower than minimum order size {rule.min_order_size} for the pair "
                f"{trading_pair}. The order will not be created."))
            return None
        return self._order_tracker.fetch_tracked_order(client_order_id)

    async def _send_batch_chunk(self, chunk: List[Tuple[InFlightOrder, Dict[str, Any]]]) -> None:
        try:
            answer = await self._api_post(path_url=CONSTANTS.ORDERS_PATH_URL, data=[body for _, body in chunk],
                                          is_auth_required=True)
        except asyncio.CancelledError:
            raise
        except Exception as e:
            for order, _ in chunk:
                if _is_unknown_outcome(e):
                    self._on_unknown_outcome(order, e)
                else:
                    self.logger().network(f"Batch order request failed for {order.client_order_id}: {e}")
                    self._update_order_after_failure(order.client_order_id, order.trading_pair, exception=e)
            return
        elements = answer if isinstance(answer, list) else []
        for index, (order, _) in enumerate(chunk):
            element = elements[index] if index < len(elements) else None
            try:
                self._apply_batch_element(order, element)
            except Exception as e:
                self.logger().error(f"Unexpected batch answer for order {order.client_order_id}: {element!r} ({e!r});"
                                    " its state will be resolved by status polling.")

    def _apply_batch_element(self, order: InFlightOrder, element: Optional[Mapping[str, Any]]) -> None:
        if element is None:
            self._on_unknown_outcome(order, ValueError("no element for this order in the batch answer"))
            return
        if element.get("operation") == "Err":
            error = BackpackAPIError(400, str(element.get("code") or ""), str(element.get("message") or ""),
                                     "POST", CONSTANTS.ORDERS_PATH_URL)
            if error.is_post_only_rejection:
                error = BackpackPostOnlyRejectedError(400, error.code, error.message, "POST", CONSTANTS.ORDERS_PATH_URL)
            self.logger().warning(f"Batch order {order.client_order_id} rejected: {error.code} {error.message}")
            self._update_order_after_failure(order.client_order_id, order.trading_pair, exception=error)
            return
        self._apply_order_answer(order, element)

    # ================================================================================== cancels
    async def _place_cancel(self, order_id: str, tracked_order: InFlightOrder) -> str:
        """``DELETE /api/v1/order`` with ``symbol`` + ``clientId`` (or ``orderId``), §5.7.

        :returns: ``"confirmed"`` (200 with a final status) or ``"accepted"`` (202 without body, or a non-final
            200): not a confirmation, the order stays tracked until a final state is seen.
        :raises BackpackAPIError: on errors (``is_order_not_found`` for an order that is no longer open).
        """
        symbol = await self.exchange_symbol_associated_to_pair(trading_pair=tracked_order.trading_pair)
        body = {"symbol": symbol, **_order_reference(tracked_order)}
        status, answer = await self._rest_call(CONSTANTS.ORDER_PATH_URL, method=RESTMethod.DELETE, data=body,
                                               is_auth_required=True)
        if status == 202 or not isinstance(answer, dict):
            return _CANCEL_ACCEPTED
        if answer.get("status") in ("Cancelled", "Expired"):
            return _CANCEL_CONFIRMED
        return _CANCEL_ACCEPTED

    async def _execute_order_cancel_and_process_update(self, order: InFlightOrder) -> bool:
        """Confirmed cancel → CANCELED; accepted (202) → PENDING_CANCEL and the order stays tracked. Both count as a
        successful cancel request for ``cancel``/``cancel_all``."""
        outcome = await self._place_cancel(order.client_order_id, order)
        if outcome == _CANCEL_CONFIRMED:
            new_state = OrderState.CANCELED
        elif outcome == _CANCEL_ACCEPTED:
            new_state = OrderState.PENDING_CANCEL
            self.logger().info(f"Cancel of order {order.client_order_id} accepted by Backpack, awaiting confirmation.")
        else:
            return False
        timestamp = self.current_timestamp
        if timestamp is None or timestamp != timestamp:
            timestamp = self._time()
        self._order_tracker.process_order_update(OrderUpdate(
            client_order_id=order.client_order_id, trading_pair=order.trading_pair, update_timestamp=timestamp,
            new_state=new_state))
        return True

    async def cancel_all_on_exchange(self, trading_pair: str) -> int:
        """``DELETE /api/v1/orders`` {"symbol"} (§5.8): cancels EVERY open order of the pair on the account, including
        orders this bot did not place. 200 → tracked orders in the answer become CANCELED; 202 → the tracked open
        orders of the pair go PENDING_CANCEL until confirmed.

        :returns: number of tracked orders updated.
        """
        symbol = await self.exchange_symbol_associated_to_pair(trading_pair=trading_pair)
        status, answer = await self._rest_call(CONSTANTS.ORDERS_PATH_URL, method=RESTMethod.DELETE,
                                               data={"symbol": symbol}, is_auth_required=True)
        timestamp = self.current_timestamp
        count = 0
        if status == 202 or not isinstance(answer, list):
            for order in list(self.in_flight_orders.values()):
                if order.trading_pair == trading_pair and not order.is_done:
                    self._order_tracker.process_order_update(OrderUpdate(
                        client_order_id=order.client_order_id, trading_pair=trading_pair,
                        update_timestamp=timestamp, new_state=OrderState.PENDING_CANCEL))
                    count += 1
            return count
        for element in answer:
            order = self._tracked_order(element.get("clientId"), element.get("id"))
            if order is None:
                continue
            try:
                update = order_update_from_order(element, order.client_order_id, order.trading_pair, timestamp)
            except (KeyError, ValueError) as e:
                self.logger().warning(f"Unexpected cancel-all element {element!r}: {e!r}")
                continue
            self._order_tracker.process_order_update(update)
            count += 1
        return count

    def batch_order_cancel(self, orders_to_cancel: List[LimitOrder]):
        """Cancel several orders. Backpack has no batch cancel by ids (§5.7–§5.8): the orders are cancelled
        concurrently one by one. ``DELETE /api/v1/orders`` is not used because it would also cancel orders on the
        same pair that this bot does not track (manual orders, other bots on the account, orders in flight)."""
        safe_ensure_future(self._execute_batch_cancel(orders_to_cancel))

    async def _execute_batch_cancel(self, orders_to_cancel: List[LimitOrder]) -> List[CancellationResult]:
        """Concurrent per-order cancels; one ``CancellationResult`` per order (success = request accepted)."""
        results = await safe_gather(*[self._execute_cancel(order.trading_pair, order.client_order_id)
                                      for order in orders_to_cancel], return_exceptions=True)
        return [CancellationResult(order.client_order_id, result == order.client_order_id)
                for order, result in zip(orders_to_cancel, results)]

    # ================================================================================== order status
    async def _request_order_status(self, tracked_order: InFlightOrder) -> OrderUpdate:
        """Current state of one order: ``GET /api/v1/order`` by clientId (open orders only, §5.9); on 404/not found,
        ``GET /wapi/v1/history/orders`` (§5.11; by ``orderId`` when known, else the latest rows filtered by clientId).

        :raises BackpackOrderNotFoundError: neither knows the order.
        :raises BackpackAPIError: other API errors.
        """
        symbol = await self.exchange_symbol_associated_to_pair(trading_pair=tracked_order.trading_pair)
        try:
            answer = await self._api_get(path_url=CONSTANTS.ORDER_PATH_URL,
                                         params={"symbol": symbol, **_order_reference(tracked_order)},
                                         is_auth_required=True)
        except BackpackAPIError as e:
            if not e.is_order_not_found:
                raise
            answer = None
        if not isinstance(answer, dict):
            answer = await self._find_order_in_history(symbol, tracked_order)
            if answer is None:
                raise BackpackOrderNotFoundError(
                    f"Order {tracked_order.client_order_id} is neither open nor in the {symbol} order history "
                    "on Backpack.")
        return order_update_from_order(answer, tracked_order.client_order_id, tracked_order.trading_pair,
                                       self.current_timestamp)

    async def _find_order_in_history(self, symbol: str, order: InFlightOrder) -> Optional[Dict[str, Any]]:
        exchange_order_id = order.exchange_order_id
        if exchange_order_id:
            params = {"symbol": symbol, "orderId": exchange_order_id, "limit": 10}
        else:
            params = {"symbol": symbol, "limit": self.ORDER_HISTORY_SCAN_LIMIT, "sortDirection": "Desc"}
        rows = await self._api_get(path_url=CONSTANTS.ORDER_HISTORY_PATH_URL, params=params, is_auth_required=True)
        client_order_id = order.client_order_id
        for row in rows or []:
            if not isinstance(row, dict):
                continue
            if exchange_order_id and str(row.get("id")) == exchange_order_id:
                return row
            if not exchange_order_id and str(row.get("clientId")) == client_order_id:
                return row
        return None

    # ================================================================================== fills
    async def _update_orders_fills(self, orders: List[InFlightOrder]):
        """One ``/wapi/v1/history/fills`` request (pages only if > ``FILLS_PAGE_LIMIT`` fills) per trading pair and
        poll (§11.6), filtered ``fillType=User`` and ``from`` = max(oldest order creation, last poll) − overlap;
        fills are matched to orders by ``orderId`` or ``clientId`` and de-duplicated by trade id in the tracker."""
        by_pair: Dict[str, List[InFlightOrder]] = defaultdict(list)
        for order in orders:
            by_pair[order.trading_pair].append(order)
        if by_pair:
            await safe_gather(*[self._update_pair_fills(pair, pair_orders) for pair, pair_orders in by_pair.items()],
                              return_exceptions=False)

    async def _update_pair_fills(self, trading_pair: str, orders: List[InFlightOrder]) -> None:
        started_ms = int(self._time_synchronizer.time() * 1e3)
        oldest_ms = int(min(order.creation_timestamp for order in orders) * 1e3)
        from_ms = max(oldest_ms, self._fills_cursor_ms.get(trading_pair, 0)) - self.FILLS_OVERLAP_MS
        try:
            fills, complete = await self._fetch_fills(trading_pair, {"from": max(0, from_ms)})
        except asyncio.CancelledError:
            raise
        except Exception as e:
            self.logger().warning(f"Failed to fetch trade updates for {trading_pair}. Error: {e}", exc_info=e)
            return
        by_exchange_id = {order.exchange_order_id: order for order in orders if order.exchange_order_id}
        by_client_id = {order.client_order_id: order for order in orders}
        newest_ms = 0
        for fill in fills:
            order = by_exchange_id.get(str(fill.get("orderId"))) or by_client_id.get(str(fill.get("clientId")))
            if order is None:
                continue
            update = self._trade_update_from_rest_fill(fill, order)
            if update is not None:
                self._order_tracker.process_trade_update(update)
                newest_ms = max(newest_ms, int(update.fill_timestamp * 1e3))
        self._fills_cursor_ms[trading_pair] = started_ms if complete else max(newest_ms, from_ms)

    async def _fetch_fills(self, trading_pair: str, filters: Dict[str, Any]) -> Tuple[List[Dict[str, Any]], bool]:
        """Fills of ``trading_pair`` matching ``filters`` (oldest first), following pages up to ``FILLS_MAX_PAGES``.

        :returns: (fills, complete) — complete is False when the page budget ran out.
        """
        symbol = await self.exchange_symbol_associated_to_pair(trading_pair=trading_pair)
        fills: List[Dict[str, Any]] = []
        for page in range(self.FILLS_MAX_PAGES):
            params = {"symbol": symbol, "fillType": CONSTANTS.FILL_TYPE_USER, "limit": self.FILLS_PAGE_LIMIT,
                      "sortDirection": "Asc", **filters}
            if page:
                params["offset"] = page * self.FILLS_PAGE_LIMIT
            rows = await self._api_get(path_url=CONSTANTS.FILL_HISTORY_PATH_URL, params=params, is_auth_required=True)
            rows = rows if isinstance(rows, list) else []
            fills.extend(row for row in rows if isinstance(row, dict))
            if len(rows) < self.FILLS_PAGE_LIMIT:
                return fills, True
        return fills, False

    def _trade_update_from_rest_fill(self, fill: Mapping[str, Any], order: InFlightOrder) -> Optional[TradeUpdate]:
        try:
            return trade_update_from_fill(fill, order.client_order_id, order.exchange_order_id, order.trading_pair,
                                          order.trade_type, self.trade_fee_schema())
        except (KeyError, ValueError, TypeError) as e:
            self.logger().warning(f"Skipping malformed Backpack fill {fill!r}: {e!r}")
            return None

    async def _all_trade_updates_for_order(self, order: InFlightOrder) -> List[TradeUpdate]:
        """Fills of one order (``orderId`` filter, §5.12). The poll cycle uses ``_update_orders_fills`` instead."""
        if not order.exchange_order_id:
            return []
        fills, _ = await self._fetch_fills(order.trading_pair, {"orderId": order.exchange_order_id})
        updates = (self._trade_update_from_rest_fill(fill, order) for fill in fills
                   if str(fill.get("orderId")) == order.exchange_order_id)
        return [update for update in updates if update is not None]

    # ================================================================================== private stream
    async def _user_stream_event_listener(self):
        """Consume private messages ``{"stream", "data"}`` (§8.4–§8.5) from the user stream data source. A malformed
        message is logged and counted; the loop goes on."""
        async for event_message in self._iter_user_event_queue():
            try:
                self._process_user_stream_message(event_message)
            except asyncio.CancelledError:
                raise
            except Exception:
                self._user_event_counters["malformed"] += 1
                self.logger().error("Unexpected error in user stream listener loop.", exc_info=True)

    def _process_user_stream_message(self, message: Mapping[str, Any]) -> None:
        stream = message["stream"]
        data = message["data"]
        if stream.startswith(CONSTANTS.ORDER_UPDATE_STREAM):
            self._process_order_event(data)
        elif stream.startswith(CONSTANTS.BALANCE_UPDATE_STREAM):
            self._apply_balance_event(data)
        else:
            self._user_event_counters["ignored"] += 1
            return
        self._user_event_counters["processed"] += 1

    def _process_order_event(self, data: Mapping[str, Any]) -> None:
        """One ``account.orderUpdate`` event (§8.5). ``orderFill`` yields a ``TradeUpdate`` (trade id ``t``, fee
        ``n`` in ``N``) and then the order's new state; other events only the state. Events of orders this connector
        does not track are ignored. A fill before ``orderAccepted`` is matched by clientId and sets the exchange id."""
        event_type = data["e"]
        if event_type not in _ORDER_EVENTS:
            self._user_event_counters["ignored"] += 1
            return
        order = self._tracked_order(data.get("c"), data["i"])
        if order is None:
            self._user_event_counters["unknown_order"] += 1
            return
        if event_type == "orderFill":
            self._last_ws_fill_at = time.monotonic()
            self._order_tracker.process_trade_update(trade_update_from_ws(
                data, order.client_order_id, order.trading_pair, order.trade_type, self.trade_fee_schema()))
        update = order_update_from_ws(data, order.client_order_id, order.trading_pair)
        if update.new_state is OrderState.FAILED and update.misc_updates:
            self.logger().warning(f"Order {order.client_order_id} failed: {update.misc_updates['error_message']}")
        self._process_order_update_keeping_progress(order, update)

    def _tracked_order(self, client_id: Any, exchange_order_id: Any) -> Optional[InFlightOrder]:
        """The tracked (active, cached or lost) order for a WS/REST ``clientId``/order id, or None. A clientId match
        whose known exchange order id differs is someone else's order (ids are only uint32) → None."""
        tracker = self._order_tracker
        exchange_order_id = str(exchange_order_id) if exchange_order_id is not None else None
        if client_id is not None:
            client_order_id = str(client_id)
            order = (tracker.fetch_tracked_order(client_order_id) or tracker.fetch_cached_order(client_order_id)
                     or tracker.fetch_lost_order(client_order_id=client_order_id))
            if order is None:
                return None
            if order.exchange_order_id and exchange_order_id and order.exchange_order_id != exchange_order_id:
                return None
            return order
        if exchange_order_id is None:
            return None
        return tracker.all_fillable_orders_by_exchange_order_id.get(exchange_order_id)

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


# ============================================================================================== helpers
def _markets(exchange_info: Any) -> Iterable[Dict[str, Any]]:
    if isinstance(exchange_info, list):
        return exchange_info
    raise ValueError(f"expected the list of markets of GET {CONSTANTS.MARKETS_PATH_URL}, got "
                     f"{type(exchange_info).__name__}")


def _order_reference(order: InFlightOrder) -> Dict[str, Any]:
    """``{"clientId": int}`` when the client order id is a uint32 decimal (ours always are), else
    ``{"orderId": ...}`` (orders restored from another connector's ids). Backpack takes exactly one (§5.7)."""
    client_order_id = order.client_order_id
    if client_order_id.isdigit() and int(client_order_id) <= CONSTANTS.MAX_CLIENT_ID:
        return {"clientId": int(client_order_id)}
    if order.exchange_order_id:
        return {"orderId": order.exchange_order_id}
    raise ValueError(f"order {client_order_id} has neither a uint32 clientId nor an exchange order id")


def _is_unknown_outcome(error: BaseException) -> bool:
    if isinstance(error, BackpackAPIError):
        return error.is_unknown_outcome
    return isinstance(error, _UNKNOWN_OUTCOME_TRANSPORT_ERRORS)


def _lent_amounts(positions: Any, logger) -> Dict[str, Decimal]:
    """Positive ``netQuantity`` per asset of ``/api/v1/borrowLend/positions`` (§5.3; negative = borrowed, ignored)."""
    lent: Dict[str, Decimal] = {}
    for position in positions if isinstance(positions, list) else []:
        try:
            quantity = to_decimal(position["netQuantity"])
            asset = position["symbol"]
        except (KeyError, ValueError, TypeError) as e:
            logger.warning(f"Skipping malformed Backpack lend position {position!r}: {e!r}")
            continue
        if quantity > _ZERO:
            lent[asset] = lent.get(asset, _ZERO) + quantity
    return lent

