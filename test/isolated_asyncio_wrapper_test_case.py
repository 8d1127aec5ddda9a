"""Our own implementation of the test base class Hummingbot's connector harness imports
(``hummingbot/connector/test_support/exchange_connector_test.py`` does
``from test.isolated_asyncio_wrapper_test_case import IsolatedAsyncioWrapperTestCase``); the PyPI wheel does
not ship it.

Contract (what the harness relies on):
- ``IsolatedAsyncioWrapperTestCase`` is a ``unittest.IsolatedAsyncioTestCase`` (each test gets a fresh loop);
  ``setUpClass`` records the thread's current event loop (creating one when there is none) in
  ``main_event_loop`` and ``tearDownClass`` makes it current again, so tests never leave the process without a
  usable default loop.
- ``run_async_with_timeout(coroutine, timeout)`` runs a coroutine on the test's own loop from a synchronous test.
- ``await_task_completion(names)`` waits for the running tasks whose coroutine name is in ``names``.
- ``async_to_sync`` turns an ``async def`` into a plain function that runs it on a private loop in a worker
  thread, leaving the caller's event loop untouched.
"""
import asyncio
import functools
import threading
import unittest
from typing import Any, Awaitable, Callable, Iterable, Optional, TypeVar, Union

T = TypeVar("T")


def _current_loop_or_none() -> Optional[asyncio.AbstractEventLoop]:
    try:
        return asyncio.get_event_loop_policy().get_event_loop()
    except RuntimeError:
        return None


class IsolatedAsyncioWrapperTestCase(unittest.IsolatedAsyncioTestCase):
    main_event_loop: Optional[asyncio.AbstractEventLoop] = None

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        loop = _current_loop_or_none()
        if loop is None or loop.is_closed():
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
        cls.main_event_loop = loop

    @classmethod
    def tearDownClass(cls) -> None:
        loop = cls.main_event_loop
        if loop is None or loop.is_closed():
            loop = asyncio.new_event_loop()
            cls.main_event_loop = loop
        asyncio.set_event_loop(loop)
        super().tearDownClass()

    def run_async_with_timeout(self, coroutine: Awaitable[T], timeout: float = 1) -> T:
        """Run ``coroutine`` to completion on this test's loop (from a synchronous test method).

        :raises asyncio.TimeoutError: after ``timeout`` seconds.
        """
        runner = getattr(self, "_asyncioRunner", None)
        loop = runner.get_loop() if runner is not None else asyncio.get_event_loop()
        return loop.run_until_complete(asyncio.wait_for(coroutine, timeout))

    @staticmethod
    async def await_task_completion(coroutine_names: Union[str, Iterable[str]], timeout: float = 10) -> None:
        """Wait until every task running a coroutine named in ``coroutine_names`` is done."""
        names = {coroutine_names} if isinstance(coroutine_names, str) else set(coroutine_names)
        current = asyncio.current_task()
        tasks = [task for task in asyncio.all_tasks()
                 if task is not current and getattr(task.get_coro(), "__name__", None) in names]
        if tasks:
            await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), timeout)


def async_to_sync(func: Callable[..., Awaitable[T]]) -> Callable[..., T]:
    """Decorator: call an ``async def`` synchronously on a private event loop in a worker thread.

    The caller's event loop (if any) is neither used nor replaced; exceptions propagate unchanged.
    """
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        outcome: dict = {}

        def run() -> None:
            try:
                outcome["result"] = asyncio.run(func(*args, **kwargs))
            except BaseException as e:  # re-raised in the caller's thread
                outcome["error"] = e

        thread = threading.Thread(target=run, name=f"async_to_sync:{func.__name__}")
        thread.start()
        thread.join()
        if "error" in outcome:
            raise outcome["error"]
        return outcome["result"]

    return wrapper
