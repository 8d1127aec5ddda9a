"""Behaviour of our own ``test.isolated_asyncio_wrapper_test_case`` (the harness imports it)."""
import asyncio
import threading
import unittest
from test.isolated_asyncio_wrapper_test_case import IsolatedAsyncioWrapperTestCase, async_to_sync


class MainLoopTests(unittest.TestCase):
    def test_setup_class_keeps_an_existing_loop(self):
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            IsolatedAsyncioWrapperTestCase.setUpClass()
            self.assertIs(loop, IsolatedAsyncioWrapperTestCase.main_event_loop)
        finally:
            asyncio.set_event_loop(None)
            loop.close()

    def test_setup_and_teardown_without_a_loop_leave_a_usable_loop(self):
        outcome = {}

        def run():
            asyncio.set_event_loop(None)
            try:
                IsolatedAsyncioWrapperTestCase.main_event_loop = None
                IsolatedAsyncioWrapperTestCase.setUpClass()
                outcome["setup"] = IsolatedAsyncioWrapperTestCase.main_event_loop
                IsolatedAsyncioWrapperTestCase.tearDownClass()
                outcome["after"] = asyncio.get_event_loop()
            except Exception as e:  # pragma: no cover - reported below
                outcome["error"] = e

        thread = threading.Thread(target=run)
        thread.start()
        thread.join()
        self.assertNotIn("error", outcome)
        self.assertIsNotNone(outcome["setup"])
        self.assertIs(outcome["setup"], outcome["after"])
        outcome["setup"].close()


class AwaitTaskCompletionTests(IsolatedAsyncioWrapperTestCase):
    async def _short(self):
        await asyncio.sleep(0.01)

    async def _long(self):
        await asyncio.sleep(30)

    async def test_waits_only_for_named_coroutines(self):
        short = asyncio.create_task(self._short())
        long = asyncio.create_task(self._long())
        await self.await_task_completion(["_short"])
        self.assertTrue(short.done())
        self.assertFalse(long.done())
        long.cancel()

    def test_run_async_with_timeout_runs_on_the_test_loop(self):
        async def add(a, b):
            await asyncio.sleep(0)
            return a + b
        self.assertEqual(5, self.run_async_with_timeout(add(2, 3)))
        with self.assertRaises(asyncio.TimeoutError):
            self.run_async_with_timeout(asyncio.sleep(5), timeout=0.01)


class AsyncToSyncTests(unittest.TestCase):
    @async_to_sync
    async def add(self, a, b):
        await asyncio.sleep(0.001)
        return a + b

    @async_to_sync
    async def fail(self):
        raise ValueError("boom")

    def test_result_and_exception_propagate_and_the_loop_is_untouched(self):
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            self.assertEqual(3, self.add(1, 2))
            with self.assertRaisesRegex(ValueError, "boom"):
                self.fail()
            self.assertIs(loop, asyncio.get_event_loop())
        finally:
            asyncio.set_event_loop(None)
            loop.close()
