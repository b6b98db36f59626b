"""Micro-batching across requests: concurrent jobs with the same key join one model call.

Requests arrive on the event loop; the model runs on one worker thread. A job waits at most
``window_s`` for others with the same key (route, target, decoding options, format), then
up to ``max_batch`` sentences of jobs go to the model together, and every job gets its own
results back. While the model is busy, new jobs queue up, so under load batches form without
any waiting. The queue is bounded: past ``max_queue`` waiting jobs, :class:`QueueFull`.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

# Runs on the worker thread: one key and the payloads of its jobs -> one result per payload.
Runner = Callable[[Hashable, Sequence[Any]], list[Any]]


class QueueFull(Exception):
    """Too many jobs are already waiting for the model."""


@dataclass
class _Job:
    key: Hashable
    payload: Any
    size: int
    future: asyncio.Future[Any]
    arrived: float


@dataclass
class BatchStats:
    """What the batcher did so far: model calls, jobs and sentences it carried (a job
    re-run alone after its batch failed counts again)."""

    calls: int = 0
    jobs: int = 0
    sentences: int = 0
    largest_call: int = 0
    queued: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "calls": self.calls,
            "jobs": self.jobs,
            "sentences": self.sentences,
            "largest_call": self.largest_call,
            "queued": self.queued,
        }


class MicroBatcher:
    """Collects jobs on the event loop and runs them in batches on one worker thread.

    Args:
        run: the model call (see :data:`Runner`); called on the worker thread only.
        window_s: how long the oldest waiting job may wait for company.
        max_batch: most sentences per call (a larger job still goes alone).
        max_queue: most jobs waiting; more raise :class:`QueueFull`.
    """

    def __init__(self, run: Runner, *, window_s: float, max_batch: int, max_queue: int) -> None:
        self._run = run
        self._window_s = window_s
        self._max_batch = max_batch
        self._max_queue = max_queue
        self._queue: deque[_Job] = deque()
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._busy = False
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lingosum-model")
        self.stats = BatchStats()

    def start(self) -> None:
        """Start the dispatcher on the running event loop."""
        self._wake = asyncio.Event()
        self._task = asyncio.get_running_loop().create_task(self._dispatch())

    async def stop(self) -> None:
        """Finish every queued job, then stop the dispatcher and the worker thread."""
        while (self._queue or self._busy) and self._task is not None and not self._task.done():
            await asyncio.sleep(0.01)
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        self._executor.shutdown(wait=True)

    async def submit(self, key: Hashable, payload: Any, size: int = 1) -> Any:
        """Queue one job and wait for its result.

        Raises:
            QueueFull: ``max_queue`` jobs are already waiting.
            Exception: whatever the runner raised for this job.
        """
        if self._wake is None:
            raise RuntimeError("MicroBatcher.start() was not called")
        if len(self._queue) >= self._max_queue:
            raise QueueFull(f"{len(self._queue)} requests are waiting")
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._queue.append(_Job(key, payload, max(1, size), future, time.monotonic()))
        self.stats.queued = len(self._queue)
        self._wake.set()
        return await future

    async def _dispatch(self) -> None:
        assert self._wake is not None  # set by start(), which creates this task
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._queue:
                await self._wait_for_company()
                batch = self._take()
                if batch:
                    self._busy = True
                    try:
                        await self._execute(batch)
                    finally:
                        self._busy = False

    async def _wait_for_company(self) -> None:
        """Sleep out the oldest job's window unless its key already fills a batch."""
        assert self._wake is not None
        oldest = self._queue[0]
        delay = oldest.arrived + self._window_s - time.monotonic()
        while delay > 0 and self._ready(oldest.key) < self._max_batch:
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), delay)
            except asyncio.TimeoutError:
                return
            delay = oldest.arrived + self._window_s - time.monotonic()

    def _ready(self, key: Hashable) -> int:
        return sum(job.size for job in self._queue if job.key == key)

    def _take(self) -> list[_Job]:
        """Remove and return the oldest job and the next ones with its key that fit."""
        while self._queue and self._queue[0].future.done():  # timed out while waiting
            self._queue.popleft()
        if not self._queue:
            return []
        key, total = self._queue[0].key, 0
        taken: list[_Job] = []
        kept: deque[_Job] = deque()
        for job in self._queue:
            if job.future.done():
                continue
            if job.key == key and (not taken or total + job.size <= self._max_batch):
                taken.append(job)
                total += job.size
            else:
                kept.append(job)
        self._queue = kept
        self.stats.queued = len(kept)
        return taken

    async def _execute(self, batch: list[_Job]) -> None:
        loop = asyncio.get_running_loop()
        payloads = [job.payload for job in batch]
        self._count(batch)
        try:
            results = await loop.run_in_executor(self._executor, self._run, batch[0].key, payloads)
        except Exception as error:
            if len(batch) == 1:
                _settle(batch[0].future, error=error)
                return
            # One bad job must not fail the others: run each on its own to isolate it.
            for job in batch:
                await self._execute([job])
            return
        for job, result in zip(batch, results, strict=True):
            _settle(job.future, result=result)

    def _count(self, batch: list[_Job]) -> None:
        sentences = sum(job.size for job in batch)
        self.stats.calls += 1
        self.stats.jobs += len(batch)
        self.stats.sentences += sentences
        self.stats.largest_call = max(self.stats.largest_call, sentences)


def _settle(
    future: asyncio.Future[Any], *, result: Any = None, error: BaseException | None = None
) -> None:
    """Resolve a job's future unless its request already gave up (timeout, disconnect)."""
    if future.done():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)
