"""``BackpackExchange``: Hummingbot's ``ExchangePyBase`` for Backpack spot; stateful policies are collaborators.

Client order ids are the decimal text of a uint32 ``clientId`` with a per-instance tag (§5.5, §11.16); cancels and
status queries use the order id once known (other bots on the account may share a ``clientId``).
"""
import asyncio
import dataclasses
from decimal import Decimal
from typing import Any, Dict, List, Mapping, Optional, Tuple, cast

from hummingbot.connector.constants import s_decimal_NaN
from hummingbot.connector.exchange.backpack import (
    backpack_balances as balances,
    backpack_constants as CONSTANTS,
    backpack_markets as markets,
    backpack_utils,
    backpack_web_utils as web_utils,
)
from hummingbot.connector.exchange.backpack.backpack_api_order_book_data_source import BackpackAPIOrderBookDataSource
from hummingbot.connector.exchange.backpack.backpack_api_user_stream_data_source import BackpackAPIUserStreamDataSource
from hummingbot.connector.exchange.backpack.backpack_auth import BackpackAuth
from hummingbot.connector.exchange.backpack.backpack_balances import BalanceStreamState
from hummingbot.connector.exchange.backpack.backpack_batch_orders import BackpackBatchOrders, NewOrder
from hummingbot.connector.exchange.backpack.backpack_cancel_batcher import BackpackCancelBatcher
from hummingbot.connector.exchange.backpack.backpack_cancels import BackpackCancelFlow
from hummingbot.connector.exchange.backpack.backpack_client_order_ids import ClientOrderIdGenerator, parse_instance_tag
from hummingbot.connector.exchange.backpack.backpack_client_order_tracker import BackpackClientOrderTracker
from hummingbot.connector.exchange.backpack.backpack_errors import (
    BackpackAPIError,
    BackpackPostOnlyRejectedError,
    BackpackRateLimitError,
    is_unknown_outcome,
)
from hummingbot.connector.exchange.backpack.backpack_fees import BackpackFeeSchedule
from hummingbot.connector.exchange.backpack.backpack_fills import BackpackFillsTracker
from hummingbot.connector.exchange.backpack.backpack_health import BackpackHealth, assess_health, build_metrics_snapshot
from hummingbot.connector.exchange.backpack.backpack_lost_orders import LostOrdersPacer
from hummingbot.connector.exchange.backpack.backpack_maker_scorecard import (
    DEFAULT_BAND_BPS,
    BackpackMakerScorecard,
    book_mid,
)
from hummingbot.connector.exchange.backpack.backpack_order_batcher import BackpackOrderBatcher
from hummingbot.connector.exchange.backpack.backpack_order_book_tracker import BackpackOrderBookTracker
from hummingbot.connector.exchange.backpack.backpack_order_parsing import (
    build_order_payload,
    created_at_s,
    order_update_from_order,
    order_update_from_ws,
    trade_update_from_ws,
)
from hummingbot.connector.exchange.backpack.backpack_order_status import BackpackOrderStatus, is_order_not_found
from hummingbot.connector.exchange.backpack.backpack_orphan_sweep import OrphanSweep
from hummingbot.connector.exchange.backpack.backpack_rest_client import BackpackRestClient
from hummingbot.connector.exchange.backpack.backpack_status_poller import BackpackStatusPoller
from hummingbot.connector.exchange.backpack.backpack_throttler import BackpackThrottler
from hummingbot.connector.exchange.backpack.backpack_types import Order, OrderUpdateEvent
from hummingbot.connector.exchange.backpack.backpack_unknown_outcome import UnknownOutcomeReconciler
from hummingbot.connector.exchange_py_base import ExchangePyBase
from hummingbot.connector.trading_rule import TradingRule
from hummingbot.core.api_throttler.async_throttler import AsyncThrottler
from hummingbot.core.data_type.cancellation_result import CancellationResult
from hummingbot.core.data_type.common import OrderType, TradeType
from hummingbot.core.data_type.in_flight_order import InFlightOrder, OrderState, OrderUpdate, TradeUpdate
from hummingbot.core.data_type.limit_order import LimitOrder
from hummingbot.core.data_type.order_book_tracker import OrderBookTracker
from hummingbot.core.data_type.order_book_tracker_data_source import OrderBookTrackerDataSource
from hummingbot.core.data_type.trade_fee import TradeFeeBase
from hummingbot.core.data_type.user_stream_tracker_data_source import UserStreamTrackerDataSource
from hummingbot.core.network_iterator import NetworkStatus
from hummingbot.core.utils.async_utils import safe_ensure_future, safe_gather
from hummingbot.core.web_assistant.connections.data_types import RESTMethod
from hummingbot.core.web_assistant.web_assistants_factory import WebAssistantsFactory

_ORDER_EVENTS = frozenset({"orderAccepted", "orderCancelled", "orderExpired", "orderFill", "orderModified",
                           "triggerPlaced", "triggerFailed"})


class BackpackExchange(ExchangePyBase):
    """Backpack spot connector.

    :param backpack_api_key: base64 ED25519 public key (§2.1); empty key and secret build a public-data instance
        whose private requests raise ``BackpackCredentialsMissingError``.
    :param domain: ``"exchange"`` or ``"sandbox"``.
    :raises BackpackKeyError: a malformed key/secret, or a key not matching the secret.
    """

    SHORT_POLL_INTERVAL = 5.0
    #: Lost private events are not replayed (§8.4): REST reconciles even while the stream is live.
    LONG_POLL_INTERVAL = 30.0
    TRADING_FEES_INTERVAL = CONSTANTS.TRADING_FEES_REFRESH_INTERVAL_S

    web_utils = web_utils
    _throttler: AsyncThrottler

    def __init__(self,
                 backpack_api_key: str,
                 backpack_api_secret: str,
                 balance_asset_limit: Optional[Dict[str, Dict[str, Decimal]]] = None,
                 rate_limits_share_pct: Decimal = Decimal("100"),
                 trading_pairs: Optional[List[str]] = None,
                 trading_required: bool = True,
                 domain: str = CONSTANTS.DEFAULT_DOMAIN,
                 backpack_rate_limit_share_pct: Optional[Decimal] = None,
                 backpack_self_trade_prevention: str = CONSTANTS.DEFAULT_SELF_TRADE_PREVENTION,
                 backpack_proxy_url: str = "",
                 backpack_rest_market_data: bool = False,
                 backpack_ws_failures_before_rest: int = backpack_utils.WS_FAILURES_BEFORE_REST,
                 backpack_batch_placements: bool = True,
                 backpack_cancel_by_market: bool = False,
                 backpack_instance_tag: Optional[int] = None,
                 maker_band_bps: Decimal = DEFAULT_BAND_BPS):
        """``backpack_rate_limit_share_pct`` / ``backpack_self_trade_prevention``: the config-map settings
        (``backpack_utils``); the share used is the lower of it and Hummingbot's ``rate_limits_share_pct``.
        ``backpack_proxy_url`` (blank: ``HTTPS_PROXY``/``ALL_PROXY``), ``backpack_rest_market_data`` and
        ``backpack_ws_failures_before_rest``: README "Networks" (``web_utils.resolve_proxy``,
        ``BackpackRestMarketData``). ``backpack_batch_placements``: placements arriving together go out as one batch
        request (``BackpackOrderBatcher``). ``backpack_cancel_by_market``: this bot is alone on its key, a market's
        cancels requested together may go out as one cancel of the whole market (``BackpackCancelBatcher``).
        ``backpack_instance_tag``: the ``clientId`` tag (1..4095; None or blank: random each start); a given tag turns
        on the start-up sweep of orders a previous life left open (``OrphanSweep``). ``maker_band_bps``: the maker
        scorecard's two-sided band around the mid (bps).

        :raises ValueError: a self-trade prevention mode Backpack does not know; an unusable proxy URL; a band that
            is not positive; an instance tag outside 1..4095.
        """
        instance_tag = parse_instance_tag(backpack_instance_tag)
        if backpack_self_trade_prevention not in CONSTANTS.SELF_TRADE_PREVENTION_MODES:
            raise ValueError(f"unknown self-trade prevention mode {backpack_self_trade_prevention!r}")
        self._self_trade_prevention = backpack_self_trade_prevention
        self._domain = domain
        self._connections_factory = web_utils.connections_factory_for(domain, backpack_proxy_url)
        self._market_data_settings: Dict[str, Any] = {
            "force_rest": bool(backpack_rest_market_data),
            "ws_failures_before_rest": int(backpack_ws_failures_before_rest)}
        if backpack_rate_limit_share_pct is not None:
            rate_limits_share_pct = min(Decimal(str(rate_limits_share_pct)),
                                        Decimal(str(backpack_rate_limit_share_pct)))
        self._rate_limits_share_pct = rate_limits_share_pct
        self._trading_required = trading_required
        self._trading_pairs = trading_pairs or []
        # Consumed (and dropped) by `authenticator` during ExchangePyBase.__init__.
        self._pending_credentials: Optional[Tuple[str, str]] = (backpack_api_key or "", backpack_api_secret or "")
        self._backpack_auth: Optional[BackpackAuth] = None
        self._symbol_map_view: Optional[Mapping[str, str]] = None
        self._user_event_counters: Dict[str, int] = {"processed": 0, "malformed": 0, "unknown_order": 0,
                                                     "ignored": 0, "balance_updates": 0}
        self._rest = BackpackRestClient(
            get_rest_assistant=lambda: self._web_assistants_factory.get_rest_assistant(),
            url_for=lambda path, is_auth: self._api_request_url(path_url=path, is_auth_required=is_auth),
            has_credentials=lambda: self._auth is not None,
            resync_clock=lambda: self._update_time_synchronizer(),
            logger=self.logger)
        self._fees = BackpackFeeSchedule()
        self._balance_state = BalanceStreamState()

        super().__init__(balance_asset_limit=balance_asset_limit, rate_limits_share_pct=rate_limits_share_pct)
        self._pending_credentials = None
        tracker = self._tracker
        self._client_order_ids = ClientOrderIdGenerator(is_taken=lambda candidate: (
            tracker.fetch_tracked_order(candidate) is not None or tracker.fetch_cached_order(candidate) is not None
            or tracker.fetch_lost_order(client_order_id=candidate) is not None), instance_tag=instance_tag)
        self._fills = BackpackFillsTracker(
            private_get=lambda path, params: self._api_get(path_url=path, params=params, is_auth_required=True),
            symbol_for=self._symbol_for, tracker=tracker, fee_schema=self.trade_fee_schema,
            server_time_s=self._time_synchronizer.time, on_missed_fills_fetched=self._count_missed_fills_fetch,
            logger=self.logger)
        self._order_status = BackpackOrderStatus(
            private_get=lambda path, params: self._api_get(path_url=path, params=params, is_auth_required=True),
            symbol_for=self._symbol_for, pair_of=self._pair_of, tracker=tracker,
            trade_updates_for_order=self._fills.all_trade_updates_for_order,
            note_executed_quantity=self._fills.note_executed_quantity, observation_time_s=self._observation_time_s,
            logger=self.logger, observe_open_orders=lambda rows: self._cancel_batcher.note_open_orders(rows))
        self._unknown_outcomes = UnknownOutcomeReconciler(
            request_order_status=self._request_order_status, apply_update=self._process_order_update_keeping_progress,
            tracker=tracker, on_unknown_outcome=self._count_unknown_outcome, logger=self.logger)
        self._cancels = BackpackCancelFlow(
            private_call=lambda path, method, body, headers=None: self._rest.call(
                path, method=method, data=body, is_auth_required=True, headers=headers),
            symbol_for=self._symbol_for, tracker=tracker, request_order_status=self._request_order_status,
            apply_update=self._process_order_update_keeping_progress,
            note_executed_quantity=self._fills.note_executed_quantity,
            placement_reconciling=self._unknown_outcomes.is_pending,
            current_timestamp=lambda: self.current_timestamp, wall_time=self._time, logger=self.logger)
        self._cancel_batcher = BackpackCancelBatcher(
            cancel_one=self._cancels.cancel, cancel_market=self._cancels.cancel_market,
            cancel_error_outcome=self._cancels.cancel_error_outcome, tracker=tracker, pair_of=self._pair_of,
            logger=self.logger, enabled=bool(backpack_cancel_by_market))
        self._batch_orders = BackpackBatchOrders(
            new_client_order_id=self._new_client_order_id, trading_rule=lambda pair: self._trading_rules.get(pair),
            quantize_amount=self.quantize_order_amount, quantize_price=self.quantize_order_price,
            start_tracking=self.start_tracking_order, fetch_tracked_order=tracker.fetch_tracked_order,
            fail_order=self._update_order_after_failure, order_payload=self._order_payload,
            private_post=lambda path, body: self._api_post(path_url=path, data=body, is_auth_required=True,
                                                           headers=dict(CONSTANTS.BROKER_HEADERS)),
            start_unknown_outcome=self._unknown_outcomes.start, apply_order_answer=self._apply_order_answer,
            logger=self.logger)
        self._order_batcher = BackpackOrderBatcher(
            post_one=lambda body: self._api_post(path_url=CONSTANTS.ORDER_PATH_URL, data=body, is_auth_required=True,
                                                 headers=dict(CONSTANTS.BROKER_HEADERS)),
            post_batch=lambda bodies: self._api_post(path_url=CONSTANTS.ORDERS_PATH_URL, data=bodies,
                                                     is_auth_required=True, headers=dict(CONSTANTS.BROKER_HEADERS)),
            enabled=bool(backpack_batch_placements))
        self._orphan_sweep = OrphanSweep(
            enabled=self._client_order_ids.stable_tag, is_our_client_id=self._client_order_ids.is_ours,
            find_order=tracker.find_order, pair_of=self._pair_of,
            cancel=lambda symbol, order_id: self._rest.call(
                CONSTANTS.ORDER_PATH_URL, method=RESTMethod.DELETE, data={"symbol": symbol, "orderId": order_id},
                is_auth_required=True, headers=dict(CONSTANTS.BROKER_HEADERS), retry_cancel_429=False),
            logger=self.logger)
        self._lost_orders_pacer = LostOrdersPacer(has_lost_orders=lambda: bool(tracker.lost_orders))
        self._maker_scorecard = BackpackMakerScorecard(
            mid_price=lambda pair: book_mid(self.order_book_tracker.order_books.get(pair)), clock=self._time,
            band_bps=maker_band_bps)
        tracker.observer = self._maker_scorecard
        # Whether and when Backpack sends balance events is UNCONFIRMED (§8.4, U1): Hummingbot always deducts the
        # orders placed since the last REST poll itself; events are applied relative to that (`_apply_balance_event`).
        self.real_time_balance_update = False
        self._balance_refresh_due = False
        self._balance_refresh_task: Optional[asyncio.Future] = None
        # hummingbot-api never starts `_status_polling_loop` (docs/architecture.md, "Hosts"): this poll runs with the
        # user stream.
        self._status_poller = BackpackStatusPoller(
            fetch_updates=self._status_poll_without_clock,
            status_loop_running=lambda: self._status_polling_task is not None and not self._status_polling_task.done(),
            poll_interval_s=lambda: self._get_poll_interval(self._time()),
            requests_per_poll=lambda: 4 + 2 * self._order_status.last_looked_up,
            polling_budget_per_min=lambda: (CONSTANTS.POLLING_LIMIT_PER_MINUTE
                                            * float(self._rate_limits_share_pct) / 100),
            backoff_remaining_s=self._rest.backoff_remaining_s, logger=self.logger)

    @staticmethod
    def backpack_order_type(order_type: OrderType) -> str:
        """LIMIT_MAKER is a Limit with ``postOnly``."""
        return CONSTANTS.ORDER_TYPE_MARKET if order_type is OrderType.MARKET else CONSTANTS.ORDER_TYPE_LIMIT

    @property
    def name(self) -> str:
        return CONSTANTS.EXCHANGE_NAME if self._domain == CONSTANTS.DEFAULT_DOMAIN else f"backpack_{self._domain}"

    @property
    def authenticator(self) -> Optional[BackpackAuth]:
        """``BackpackAuth``, or ``None`` for a public-data instance."""
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
        """A 200 cancel answer carries the cancelled order (§5.7)."""
        return True

    @property
    def is_trading_required(self) -> bool:
        return self._trading_required

    def supported_order_types(self) -> List[OrderType]:
        return [OrderType.LIMIT, OrderType.LIMIT_MAKER, OrderType.MARKET]

    def _create_web_assistants_factory(self) -> WebAssistantsFactory:
        if type(self._throttler) is AsyncThrottler:  # ExchangePyBase's
            self._throttler = BackpackThrottler(rate_limits=self.rate_limits_rules,
                                                limits_share_percentage=self._rate_limits_share_pct)
        return web_utils.build_api_factory(
            throttler=self._throttler,
            time_synchronizer=self._time_synchronizer,
            domain=self._domain,
            auth=self._auth,
            connections_factory=self._connections_factory)

    async def stop_network(self):
        """Stops the status poller and ExchangePyBase's tasks, then closes the proxied session, if any (a later start
        opens a new one)."""
        self._status_poller.stop()
        await super().stop_network()
        if self._connections_factory is not None:
            await self._connections_factory.close()

    def _set_order_book_tracker(self, order_book_tracker: OrderBookTracker):
        if type(order_book_tracker) is OrderBookTracker:
            order_book_tracker = BackpackOrderBookTracker(data_source=order_book_tracker.data_source,
                                                          trading_pairs=order_book_tracker._trading_pairs,
                                                          domain=order_book_tracker._domain)
        super()._set_order_book_tracker(order_book_tracker)

    def _create_order_tracker(self) -> BackpackClientOrderTracker:
        return BackpackClientOrderTracker(connector=self)

    @property
    def _tracker(self) -> BackpackClientOrderTracker:
        return cast(BackpackClientOrderTracker, self._order_tracker)

    def _create_order_book_data_source(self) -> OrderBookTrackerDataSource:
        return BackpackAPIOrderBookDataSource(
            trading_pairs=self._trading_pairs, connector=self, api_factory=self._web_assistants_factory,
            domain=self._domain, **self._market_data_settings)

    def _create_user_stream_data_source(self) -> UserStreamTrackerDataSource:
        return BackpackAPIUserStreamDataSource(
            auth=self._auth, trading_pairs=self._trading_pairs, connector=self,
            api_factory=self._web_assistants_factory, domain=self._domain,
            on_subscribed=self._on_private_stream_subscribed,
            on_balance_stream_refused=self._request_balance_refresh)

    def _on_private_stream_subscribed(self) -> None:
        """Missed private events are not replayed (§8.4): poll status after each (re)subscription."""
        self._poll_notifier.set()
        self._status_poller.notify()

    def _create_user_stream_tracker_task(self):
        """The user stream, and the status poll that runs with it when no ``_status_polling_loop`` does."""
        task = super()._create_user_stream_tracker_task()
        poller_task = self._status_poller.start()
        task.add_done_callback(lambda _: self._status_poller.stop(poller_task))
        return task

    async def _status_poll_without_clock(self) -> None:
        """The status polling loop's updates; without that loop no clock ticks the connector either (hummingbot-api
        sets the timestamp itself before its own refreshes), so the timestamp becomes the wall clock first."""
        self._set_current_timestamp(self._time())
        await self._status_polling_loop_fetch_updates()

    def _stamp_if_never_ticked(self) -> None:
        """Orders get ``creation_timestamp`` from the connector's timestamp: the wall clock when no clock ticked
        and nobody set it (hummingbot-api places orders before its first refresh), never NaN."""
        timestamp = self.current_timestamp
        if not (timestamp == timestamp and timestamp > 0):
            self._set_current_timestamp(self._time())

    def _new_client_order_id(self) -> str:
        return self._client_order_ids.new_id()

    async def _symbol_for(self, trading_pair: str) -> str:
        return await self.exchange_symbol_associated_to_pair(trading_pair=trading_pair)

    def _pair_of(self, symbol: Any) -> Optional[str]:
        """Trading pair of an exchange ``symbol`` for identity checks; the symbol itself when the map lacks it
        (so it matches no pair), None when there is no symbol or no map yet."""
        mapping = self._symbol_map_view
        if not isinstance(symbol, str) or mapping is None:
            return None
        return mapping.get(symbol, symbol)

    async def _api_request(self, path_url, overwrite_url: Optional[str] = None, method: RESTMethod = RESTMethod.GET,
                           params: Optional[Dict[str, Any]] = None, data: Optional[Any] = None,
                           is_auth_required: bool = False, return_err: bool = False, limit_id: Optional[str] = None,
                           headers: Optional[Dict[str, Any]] = None, **kwargs) -> Any:
        """JSON answer (``None`` for an empty 2xx body); errors as ``BackpackRestClient.call``."""
        _, payload = await self._rest.call(path_url, method=method, params=params, data=data,
                                           is_auth_required=is_auth_required, limit_id=limit_id, headers=headers,
                                           overwrite_url=overwrite_url)
        return payload

    async def check_network(self) -> NetworkStatus:
        """``CONNECTED`` on status ``Ok`` or any 429 (a rate-limiting Backpack is up)."""
        if self._rest.backoff_remaining_s() > 0:
            return NetworkStatus.CONNECTED
        try:
            await self._make_network_check_request()
        except asyncio.CancelledError:
            raise
        except BackpackRateLimitError:
            return NetworkStatus.CONNECTED
        except Exception:
            return NetworkStatus.NOT_CONNECTED
        return NetworkStatus.CONNECTED

    async def _make_network_check_request(self):
        """``GET /api/v1/status`` (§4.1); ``IOError`` unless ``"Ok"``."""
        answer = await self._api_get(path_url=self.check_network_request_path)
        if not isinstance(answer, dict) or answer.get("status") != "Ok":
            raise IOError(f"Backpack status is not Ok: {answer!r}")

    def _is_request_exception_related_to_time_synchronizer(self, request_exception: Exception) -> bool:
        """The request's timestamp was outside its window (§2.7, §6.3)."""
        if isinstance(request_exception, BackpackAPIError):
            return request_exception.is_request_expired
        text = str(request_exception)
        return CONSTANTS.ERROR_INVALID_CLIENT_REQUEST in text and CONSTANTS.MESSAGE_REQUEST_EXPIRED in text

    def _is_order_not_found_during_status_update_error(self, status_update_exception: Exception) -> bool:
        """Neither open nor in the order history (§5.9, §5.11)."""
        return is_order_not_found(status_update_exception)

    def _is_order_not_found_during_cancelation_error(self, cancelation_exception: Exception) -> bool:
        """The order is no longer open (§5.7)."""
        return isinstance(cancelation_exception, BackpackAPIError) and cancelation_exception.is_order_not_found

    async def _format_trading_rules(self, exchange_info_dict: Any) -> List[TradingRule]:
        """Spot trading rules (§4.4); unparseable markets are logged and skipped."""
        rules, errors = markets.trading_rules(exchange_info_dict)
        for symbol, error in errors:
            self.logger().error(f"Error parsing the trading rule of Backpack market {symbol}: {error!r}. Skipping.")
        return rules

    def _initialize_trading_pair_symbols_from_exchange_info(self, exchange_info: Any):
        """Spot symbol map (§4.4, §11.8); a pair claimed twice keeps its first symbol."""
        mapping, conflicts = markets.symbol_map(exchange_info)
        for symbol, trading_pair in conflicts:
            self.logger().warning(f"Backpack market {symbol} maps to {trading_pair}, already taken; ignored.")
        self._set_trading_pair_symbol_map(mapping)

    def _set_trading_pair_symbol_map(self, trading_pair_and_symbol_map: Optional[Mapping[str, str]]):
        self._symbol_map_view = trading_pair_and_symbol_map
        super()._set_trading_pair_symbol_map(trading_pair_and_symbol_map)

    def trading_pair_associated_to_exchange_symbol(self, symbol: str):
        """Awaitable trading pair; a ``ResolvedTradingPair`` (usable without ``await``) once the map is loaded."""
        mapping = self._symbol_map_view
        if mapping is not None and symbol in mapping:
            return markets.ResolvedTradingPair(mapping[symbol])
        return super().trading_pair_associated_to_exchange_symbol(symbol)

    async def get_last_traded_prices(self, trading_pairs: List[str]) -> Dict[str, float]:
        """``lastPrice`` per trading pair (§4.5); a pair the answer leaves out (204: no trades) gets the last trade
        its book applied or the book's mid; pairs without any of these are left out."""
        if not trading_pairs:
            return {}
        if len(trading_pairs) == 1:
            symbol = await self._symbol_for(trading_pairs[0])
            ticker = await self._api_get(path_url=CONSTANTS.TICKER_PATH_URL, params={"symbol": symbol})
            tickers = [ticker] if isinstance(ticker, dict) else []
        else:
            tickers = await self._api_get(path_url=CONSTANTS.TICKERS_PATH_URL) or []
        prices = markets.last_prices(tickers, await self.trading_pair_symbol_map(), set(trading_pairs))
        order_books = self.order_books
        for trading_pair in trading_pairs:
            order_book = order_books.get(trading_pair)
            if trading_pair not in prices and order_book is not None:
                fallback = markets.fallback_last_price(order_book)
                if fallback is not None:
                    prices[trading_pair] = fallback
        return prices

    async def _get_last_traded_price(self, trading_pair: str) -> float:
        prices = await self.get_last_traded_prices([trading_pair])
        return prices.get(trading_pair, float("nan"))

    async def get_all_pairs_prices(self) -> List[Dict[str, Any]]:
        """Tickers (§4.5) of the mapped spot markets, for the rate oracle."""
        tickers = await self._api_get(path_url=CONSTANTS.TICKERS_PATH_URL) or []
        return cast(List[Dict[str, Any]], markets.mapped_tickers(tickers, await self.trading_pair_symbol_map()))

    async def _update_trading_fees(self):
        """Account fee tier and ``autoLend`` (§5.4)."""
        account = await self._api_get(path_url=CONSTANTS.ACCOUNT_PATH_URL, is_auth_required=True)
        self._fees.update(account)

    async def _read_auto_lend(self) -> None:
        """``GET /api/v1/account`` for ``autoLend``; on failure the conservative reading (off) stays until the fee
        refresh reads it."""
        try:
            await self._update_trading_fees()
        except asyncio.CancelledError:
            raise
        except Exception as e:
            if self._balance_state.should_log_settings_failure():
                self.logger().warning(f"Could not read the Backpack account settings ({e}); lent funds count in "
                                      "total balances only until they are read.")

    def _get_fee(self, base_currency: str, quote_currency: str, order_type: OrderType, order_side: TradeType,
                 amount: Decimal, price: Decimal = s_decimal_NaN, is_maker: Optional[bool] = None) -> TradeFeeBase:
        return TradeFeeBase.new_spot_fee(fee_schema=self.trade_fee_schema(), trade_type=order_side,
                                         percent=self._fees.percent(order_type, is_maker))

    async def _update_balances(self):
        """Balances (§5.1) plus lent funds (§5.3); absent assets are removed, last lent amounts kept on failure.
        Lent funds count as available only while the account's ``autoLend`` is on (U5; read from §5.4 first if
        not known yet, off when unreadable).

        :raises ValueError: the capital answer is not an object (balances kept).
        """
        if self._fees.auto_lend is None:
            await self._read_auto_lend()
        state = self._balance_state
        state.requested_at_s = self._time_synchronizer.time()
        capital: Any
        positions: Any
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
            if state.should_log_lend_failure():
                self.logger().warning(f"Could not read Backpack lend positions ({positions}); keeping the last known "
                                      "lent amounts in total balances.")
        else:
            state.lent = balances.lent_amounts(positions, self.logger())
        if not isinstance(capital, dict):
            raise ValueError(f"unexpected answer of GET {CONSTANTS.BALANCE_PATH_URL}: {str(capital)[:100]!r}")
        available, total = balances.balances_from_capital(capital, state.lent, self.logger(),
                                                          lent_available=self._fees.lent_available)
        self._account_available_balances.clear()
        self._account_available_balances.update(available)
        self._account_balances.clear()
        self._account_balances.update(total)

    def _apply_balance_event(self, data: Mapping[str, Any]) -> None:
        """``account.balanceUpdate`` (§8.4) relative to the in-flight orders (``balances.event_available``); stale
        events are ignored; malformed ones raise."""
        event = cast(balances.BalanceUpdateEvent, data)
        state = self._balance_state
        if state.is_stale(event):
            return
        asset, free, total = balances.balance_from_event(event, state.lent, self._fees.lent_available)
        acknowledged = {key: order for key, order in self.in_flight_orders.items()
                        if order.current_state is not OrderState.PENDING_CREATE}
        self._account_available_balances[asset] = balances.event_available(
            free, asset, self.in_flight_asset_balances(acknowledged),
            self.in_flight_asset_balances(self._in_flight_orders_snapshot))
        self._account_balances[asset] = total
        self._user_event_counters["balance_updates"] += 1

    @property
    def balance_stream_refused(self) -> bool:
        """The current private connection's ``account.balanceUpdate`` subscription was refused (U1)."""
        return bool(getattr(self._user_stream_tracker.data_source, "balance_stream_refused", False))

    def _request_balance_refresh(self) -> None:
        """REST balances now (one refresh at a time; a request during a refresh runs another after it)."""
        self._balance_refresh_due = True
        if self._balance_refresh_task is None or self._balance_refresh_task.done():
            self._balance_refresh_task = safe_ensure_future(self._refresh_balances())

    async def _refresh_balances(self) -> None:
        while self._balance_refresh_due:
            self._balance_refresh_due = False
            await self._update_all_balances()

    def buy(self, trading_pair: str, amount: Decimal, order_type: OrderType = OrderType.LIMIT,
            price: Decimal = s_decimal_NaN, **kwargs) -> str:
        """Returns the client order id; kwargs may carry ``time_in_force`` (GTC/IOC/FOK)."""
        return self._submit_order(TradeType.BUY, trading_pair, amount, order_type, price, **kwargs)

    def sell(self, trading_pair: str, amount: Decimal, order_type: OrderType = OrderType.LIMIT,
             price: Decimal = s_decimal_NaN, **kwargs) -> str:
        return self._submit_order(TradeType.SELL, trading_pair, amount, order_type, price, **kwargs)

    def _submit_order(self, trade_type: TradeType, trading_pair: str, amount: Decimal, order_type: OrderType,
                      price: Decimal, **kwargs) -> str:
        order_id = self._new_client_order_id()
        self._stamp_if_never_ticked()
        safe_ensure_future(self._create_order(trade_type=trade_type, order_id=order_id, trading_pair=trading_pair,
                                              amount=amount, order_type=order_type, price=price, **kwargs))
        return order_id

    async def _order_payload(self, order_id: str, trading_pair: str, amount: Decimal, trade_type: TradeType,
                             order_type: OrderType, price: Optional[Decimal], **kwargs) -> Dict[str, Any]:
        symbol = await self._symbol_for(trading_pair)
        payload = build_order_payload(symbol=symbol, trade_type=trade_type, order_type=order_type, amount=amount,
                                      price=price, client_id=int(order_id), time_in_force=kwargs.get("time_in_force"),
                                      self_trade_prevention=self._self_trade_prevention)
        if self._fees.lent_available:
            payload["autoLendRedeem"] = True  # auto-lend on: the order may redeem lent funds (§5.5, U5)
        return payload

    async def _post_order(self, body: Dict[str, Any]) -> Order:
        """``POST /api/v1/order`` (§5.5), or with placements arriving together ``POST /api/v1/orders`` (§5.6); errors
        as ``BackpackOrderBatcher.place``."""
        return await self._order_batcher.place(body)

    async def _place_order(self, order_id: str, trading_pair: str, amount: Decimal, trade_type: TradeType,
                           order_type: OrderType, price: Decimal, **kwargs) -> Tuple[str, float]:
        """``(exchange order id, the answer's createdAt in s)``; the observation time when createdAt is unreadable."""
        body = await self._order_payload(order_id, trading_pair, amount, trade_type, order_type, price, **kwargs)
        answer = await self._post_order(body)
        return str(answer["id"]), self._order_time_s(answer)

    def _observation_time_s(self) -> float:
        """The connector clock (s), or the wall clock before the clock's first tick (never NaN)."""
        timestamp = self.current_timestamp
        return timestamp if timestamp == timestamp and timestamp > 0 else self._time()

    def _order_time_s(self, answer: Any) -> float:
        """An order answer's ``createdAt`` (s, §5.13), else the observation time."""
        created = created_at_s(answer)
        return created if created is not None else self._observation_time_s()

    async def _place_order_and_process_update(self, order: InFlightOrder, **kwargs) -> str:
        """Send and apply the answer; an unknown outcome (§6.3) keeps the order and reconciles it."""
        body = await self._order_payload(order.client_order_id, order.trading_pair, order.amount, order.trade_type,
                                         order.order_type, order.price, **kwargs)
        try:
            answer = await self._post_order(body)
        except Exception as e:
            if is_unknown_outcome(e):
                self._unknown_outcomes.start(order, e)
                return ""
            raise
        try:
            self._apply_order_answer(order, answer)
        except (KeyError, ValueError, TypeError, ArithmeticError) as e:  # 2xx, unreadable answer (e.g. "NaN")
            self._unknown_outcomes.start(order, ValueError(f"unreadable answer {str(answer)[:200]!r}: {e}"))
            return ""
        return str(answer["id"])

    def _apply_order_answer(self, order: InFlightOrder, answer: Order) -> None:
        """Apply a placement answer (§5.5, §5.13)."""
        update = order_update_from_order(answer, order.client_order_id, order.trading_pair, self._order_time_s(answer))
        if update.new_state is OrderState.FAILED and update.misc_updates:
            self.logger().warning(f"Order {order.client_order_id} failed: {update.misc_updates['error_message']}")
        self._process_order_update_keeping_progress(order, update)
        self._fills.note_executed_quantity(order, answer.get("executedQuantity"))

    def _process_order_update_keeping_progress(self, order: InFlightOrder, update: OrderUpdate) -> None:
        """Apply ``update`` but never back to OPEN from PARTIALLY_FILLED or PENDING_CANCEL; sets the exchange id."""
        if update.new_state is OrderState.OPEN and order.current_state in (
                OrderState.PARTIALLY_FILLED, OrderState.PENDING_CANCEL):
            update = update._replace(new_state=order.current_state)
        if order.exchange_order_id is None and update.exchange_order_id:
            order.update_exchange_order_id(update.exchange_order_id)
        self._order_tracker.process_order_update(update)

    def _on_order_failure(self, order_id: str, trading_pair: str, amount: Decimal, trade_type: TradeType,
                          order_type: OrderType, price: Optional[Decimal], exception: Exception, **kwargs):
        """A post-only rejection is logged as a warning; other failures as ExchangePyBase."""
        if isinstance(exception, BackpackPostOnlyRejectedError):
            self.logger().warning(f"{order_type.name} {trade_type.name} order {order_id} for {amount} {trading_pair} "
                                  f"at {price} rejected: {exception}.")
            self._update_order_after_failure(order_id=order_id, trading_pair=trading_pair, exception=exception)
            return
        super()._on_order_failure(order_id=order_id, trading_pair=trading_pair, amount=amount, trade_type=trade_type,
                                  order_type=order_type, price=price, exception=exception, **kwargs)

    def batch_order_create(self, orders_to_create: List[NewOrder]) -> List[NewOrder]:
        """``POST /api/v1/orders`` (§5.6) in chunks of ``BackpackBatchOrders.MAX_SIZE``, sent in the background.

        :returns: the ``LimitOrder``/``MarketOrder`` objects with their client order ids, tracked at once.
        """
        with_ids = self._batch_orders.submit(orders_to_create)
        self._stamp_if_never_ticked()
        return with_ids

    def _count_unknown_outcome(self) -> None:
        self._rest.counters.unknown_outcome_orders += 1

    async def _place_cancel(self, order_id: str, tracked_order: InFlightOrder) -> str:
        """``DELETE /api/v1/order`` (§5.7): ``"confirmed"`` or ``"accepted"``."""
        return await self._cancels.place_cancel(tracked_order)

    async def _execute_order_cancel_and_process_update(self, order: InFlightOrder) -> bool:
        return await self._cancel_batcher.cancel(order)

    async def cancel_all_on_exchange(self, trading_pair: str) -> int:
        """Cancels every open order of the pair, including others' (§5.8); returns tracked orders updated."""
        return await self._cancels.cancel_all(trading_pair)

    def batch_order_cancel(self, orders_to_cancel: List[LimitOrder]):
        """Cancel orders concurrently one by one (no batch cancel by ids, §5.7–§5.8)."""
        safe_ensure_future(self._execute_batch_cancel(orders_to_cancel))

    async def _execute_batch_cancel(self, orders_to_cancel: List[LimitOrder]) -> List[CancellationResult]:
        results = await safe_gather(*[self._execute_cancel(order.trading_pair, order.client_order_id)
                                      for order in orders_to_cancel], return_exceptions=True)
        return [CancellationResult(order.client_order_id, result == order.client_order_id)
                for order, result in zip(orders_to_cancel, results)]

    async def _request_order_status(self, tracked_order: InFlightOrder) -> OrderUpdate:
        """Open order, else the order history; errors as ``BackpackOrderStatus.request``."""
        return await self._order_status.request(tracked_order)

    async def _update_orders(self):
        """Every in-flight order's status from one open-orders request (``BackpackOrderStatus.update_orders``), which
        also feeds the start-up orphan sweep until it is done."""
        sweep = self._orphan_sweep
        await self._order_status.update_orders(list(self.in_flight_orders.values()),
                                               self._order_tracker.process_order_update,
                                               self._handle_update_error_for_active_order,
                                               on_open_orders=sweep.on_open_orders if sweep.pending else None)

    async def _handle_update_error_for_active_order(self, order: InFlightOrder, error: Exception):
        await self._order_status.handle_update_error(order, error)

    async def _update_orders_fills(self, orders: List[InFlightOrder]):
        await self._fills.update_orders_fills(orders)

    async def _all_trade_updates_for_order(self, order: InFlightOrder) -> List[TradeUpdate]:
        return await self._fills.all_trade_updates_for_order(order)

    def _count_missed_fills_fetch(self) -> None:
        self._rest.counters.missed_fills_fetches += 1

    async def _cancel_lost_orders(self):
        """ExchangePyBase's pass, at most once per ``LostOrdersPacer.LOST_ORDERS_CHECK_INTERVAL_S``."""
        if self._lost_orders_pacer.due("cancel"):
            await super()._cancel_lost_orders()

    async def _update_lost_orders_status(self):
        """ExchangePyBase's pass, at most once per ``LostOrdersPacer.LOST_ORDERS_CHECK_INTERVAL_S``."""
        if self._lost_orders_pacer.due("status"):
            await super()._update_lost_orders_status()

    async def _user_stream_event_listener(self):
        """Private messages (§8.4–§8.5); malformed ones are logged and counted."""
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

    def _process_order_event(self, data: OrderUpdateEvent) -> None:
        """``account.orderUpdate`` (§8.5): a fill then the state; untracked orders are counted and ignored."""
        event_type = data["e"]
        if event_type not in _ORDER_EVENTS:
            self._user_event_counters["ignored"] += 1
            return
        order = self._tracker.find_order(data.get("c"), data["i"], trading_pair=self._pair_of(data.get("s")),
                                         side=data.get("S"))
        if order is None:
            self._user_event_counters["unknown_order"] += 1
            self._cancel_batcher.note_order_event(data)
            return
        if event_type == "orderFill":
            self._order_tracker.process_trade_update(trade_update_from_ws(
                data, order.client_order_id, order.trading_pair, order.trade_type, self.trade_fee_schema()))
            if self.balance_stream_refused:
                self._request_balance_refresh()
        update = order_update_from_ws(data, order.client_order_id, order.trading_pair)
        if update.new_state is OrderState.FAILED and update.misc_updates:
            self.logger().warning(f"Order {order.client_order_id} failed: {update.misc_updates['error_message']}")
        self._process_order_update_keeping_progress(order, update)
        self._fills.note_executed_quantity(order, data.get("z"))

    def tick(self, timestamp: float):
        super().tick(timestamp)
        self._maker_scorecard.observe()

    def metrics_snapshot(self) -> Dict[str, Any]:
        """Stream, REST and user-event counters, ``rate_limit_backoff_s``, ``balance_stream``
        (``{"refused": bool, "refusals": connections refused}``, U1), ``market_data``, ``private_stream_polling``,
        ``maker`` (the maker scorecard, ``backpack_maker_scorecard``), ``orphan_sweep`` (``OrphanSweep.snapshot``) and
        ``cancel_by_market`` (``BackpackCancelBatcher.snapshot``)."""
        snapshot = build_metrics_snapshot(self._stream_metrics(self._orderbook_ds),
                                          self._stream_metrics(self._user_stream_tracker.data_source),
                                          self._rest.counters, self._user_event_counters,
                                          self._rest.backoff_remaining_s())
        refusals = getattr(self._user_stream_tracker.data_source, "balance_stream_refusals", 0)
        snapshot["balance_stream"] = {"refused": self.balance_stream_refused, "refusals": refusals}
        market_data = getattr(self._orderbook_ds, "rest_market_data", None)
        snapshot["market_data"] = market_data.snapshot() if market_data is not None else None
        snapshot["private_stream_polling"] = self._private_stream_polling()
        snapshot["maker"] = self._maker_scorecard.snapshot()
        snapshot["orphan_sweep"] = self._orphan_sweep.snapshot()
        snapshot["cancel_by_market"] = self._cancel_batcher.snapshot()
        return snapshot

    def health(self) -> BackpackHealth:
        """``BackpackHealth``: ``ok``, ``degraded`` or ``down`` with reasons (see ``assess_health``); ``notes`` say
        what runs in a fallback mode without degrading (a refused balance stream: balances from REST)."""
        market_data = getattr(self._orderbook_ds, "rest_market_data", None)
        forced_rest = market_data is not None and market_data.force
        verdict = assess_health(
            network_connected=self._is_network_connected(),
            trading_required=self._trading_required,
            public_stream=None if forced_rest else self._stream_metrics(self._orderbook_ds),
            private_stream=self._stream_metrics(self._user_stream_tracker.data_source),
            rest=self._rest.counters,
            backoff_remaining_s=self._rest.backoff_remaining_s(),
            pending_unknown_outcome=len(self._unknown_outcomes.pending))
        if self._trading_required and self.balance_stream_refused:
            verdict = dataclasses.replace(verdict, notes=verdict.notes + [
                "balance stream refused by Backpack: balances come from REST polling, refreshed after each fill"])
        if market_data is not None and market_data.is_rest:
            verdict = dataclasses.replace(verdict, notes=verdict.notes + [
                f"market data mode rest ({market_data.reason}): books and trades from REST every "
                f"{market_data.cycle_s():.1f} s"])
        if self._private_stream_polling():
            verdict = dataclasses.replace(verdict, notes=verdict.notes + [
                "private stream unavailable: orders, fills and balances tracked by REST status polling every "
                f"{self.SHORT_POLL_INTERVAL:.0f} s"])
        return verdict

    def _private_stream_polling(self) -> bool:
        """Trading without a private stream: ``ws_failures_before_rest`` (≥ 1) failed connects in a row."""
        metrics = self._stream_metrics(self._user_stream_tracker.data_source)
        needed = self._market_data_settings["ws_failures_before_rest"]
        return (self._trading_required and metrics is not None and bool(needed) and not metrics.connected
                and metrics.consecutive_failures >= needed)

    def _is_user_stream_initialized(self) -> bool:
        """ExchangePyBase's, or the private stream is down for good enough (``_private_stream_polling``): order
        status, fills and balances then come from the status polling loop alone."""
        return super()._is_user_stream_initialized() or self._private_stream_polling()

    def _is_network_connected(self) -> bool:
        return self.network_status is NetworkStatus.CONNECTED

    @staticmethod
    def _stream_metrics(data_source: Any) -> Any:
        return getattr(data_source, "metrics", None)
