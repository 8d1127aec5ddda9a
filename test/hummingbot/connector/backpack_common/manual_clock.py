"""A manual clock for time-based tests: ``sleep`` waits until the test ``advance``s time past the deadline."""
import asyncio
from typing import List, Tuple


class ManualClock:
    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self._sleepers: List[Tuple[float, asyncio.Future]] = []
        self.sleeps: List[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, delay: float) -> None:
        self.sleeps.append(delay)
        fut = asyncio.get_running_loop().create_future()
        self._sleepers.append((self.now + delay, fut))
        await fut

    @property
    def pending_sleeps(self) -> int:
        return sum(1 for _, f in self._sleepers if not f.done())

    async def settle(self, rounds: int = 20) -> None:
        for _ in range(rounds):
            await asyncio.sleep(0)

    async def advance(self, seconds: float, step: float = 1.0) -> None:
        """Move time forward in ``step`` increments, waking due sleepers and letting tasks run after each."""
        target = self.now + seconds
        while self.now < target:
            self.now = min(target, self.now + step)
            due = [(d, f) for d, f in self._sleepers if d <= self.now]
            self._sleepers = [(d, f) for d, f in self._sleepers if d > self.now]
            for _, fut in due:
                if not fut.done():
                    fut.set_result(None)
            await self.settle()
