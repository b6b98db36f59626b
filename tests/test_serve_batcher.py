"""The cross-request micro-batcher on its own: merging, order, limits, failure isolation.

The runner here is an ordinary function that records each call; the batcher runs it on its
worker thread exactly as it runs the engine.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Hashable, Sequence
from typing import Any

import pytest

from lingosum.serve.batcher import MicroBatcher, QueueFull


class Recorder:
    """Upper-cases payloads and remembers every call (key, payloads, thread)."""

    def __init__(self, fail_on: str | None = None) -> None:
        self.calls: list[tuple[Hashable, list[str]]] = []
        self.threads: set[str] = set()
        self.fail_on = fail_on

    def __call__(self, key: Hashable, payloads: Sequence[str]) -> list[Any]:
        self.calls.append((key, list(payloads)))
        self.threads.add(threading.current_thread().name)
        if self.fail_on is not None and self.fail_on in payloads:
            raise ValueError(f"cannot take {self.fail_on}")
        return [p.upper() for p in payloads]


def run(coroutine: Any) -> Any:
    return asyncio.run(asyncio.wait_for(coroutine, timeout=20))


async def _gather(batcher: MicroBatcher, jobs: Sequence[tuple[Hashable, str, int]]) -> list[Any]:
    batcher.start()
    try:
        return await asyncio.gather(
            *(batcher.submit(key, payload, size) for key, payload, size in jobs),
            return_exceptions=True,
        )
    finally:
        await batcher.stop()


def test_concurrent_jobs_share_one_call_and_get_their_own_results() -> None:
    runner = Recorder()
    batcher = MicroBatcher(runner, window_s=0.05, max_batch=64, max_queue=100)
    payloads = [f"text {i}" for i in range(20)]
    results = run(_gather(batcher, [("k", p, 1) for p in payloads]))
    assert results == [p.upper() for p in payloads]
    assert len(runner.calls) == 1
    assert runner.threads == {next(iter(runner.threads))}
    assert next(iter(runner.threads)).startswith("lingosum-model")
    assert batcher.stats.calls == 1 and batcher.stats.jobs == 20


def test_different_keys_never_share_a_call() -> None:
    runner = Recorder()
    batcher = MicroBatcher(runner, window_s=0.05, max_batch=64, max_queue=100)
    jobs = [("ru" if i % 2 else "az", f"t{i}", 1) for i in range(10)]
    results = run(_gather(batcher, jobs))
    assert results == [f"T{i}" for i in range(10)]
    assert sorted(key for key, _ in runner.calls) == ["az", "ru"]
    for key, payloads in runner.calls:
        assert all((int(p[1:]) % 2 == 1) == (key == "ru") for p in payloads)


@pytest.mark.parametrize(
    ("max_batch", "sizes", "expected_calls"),
    [(1, [1] * 6, 6), (4, [2] * 6, 3), (5, [3, 3, 3], 3), (4, [9], 1)],
)
def test_max_batch_counts_sentences(max_batch: int, sizes: list[int], expected_calls: int) -> None:
    runner = Recorder()
    batcher = MicroBatcher(runner, window_s=0.05, max_batch=max_batch, max_queue=100)
    results = run(_gather(batcher, [("k", f"p{i}", size) for i, size in enumerate(sizes)]))
    assert results == [f"P{i}" for i in range(len(sizes))]
    assert len(runner.calls) == expected_calls
    assert batcher.stats.sentences == sum(sizes)


def test_a_full_queue_refuses_instead_of_growing() -> None:
    runner = Recorder()
    batcher = MicroBatcher(runner, window_s=0.3, max_batch=64, max_queue=3)
    results = run(_gather(batcher, [("k", f"p{i}", 1) for i in range(6)]))
    assert results[:3] == ["P0", "P1", "P2"]
    assert all(isinstance(r, QueueFull) for r in results[3:])


def test_one_failing_job_does_not_fail_the_others() -> None:
    runner = Recorder(fail_on="bad")
    batcher = MicroBatcher(runner, window_s=0.05, max_batch=64, max_queue=100)
    results = run(_gather(batcher, [("k", p, 1) for p in ("a", "bad", "c")]))
    assert results[0] == "A" and results[2] == "C"
    assert isinstance(results[1], ValueError)
    assert len(runner.calls) == 4  # the merged call, then each job alone


def test_a_job_given_up_on_is_not_run() -> None:
    runner = Recorder()
    batcher = MicroBatcher(runner, window_s=0.3, max_batch=64, max_queue=10)

    async def scenario() -> list[Any]:
        batcher.start()
        try:
            impatient = asyncio.ensure_future(batcher.submit("k", "gone"))
            patient = asyncio.ensure_future(batcher.submit("k", "kept"))
            await asyncio.sleep(0.05)
            impatient.cancel()
            return [await patient]
        finally:
            await batcher.stop()

    assert run(scenario()) == ["KEPT"]
    assert runner.calls == [("k", ["kept"])]


def test_stop_finishes_queued_jobs() -> None:
    runner = Recorder()
    batcher = MicroBatcher(runner, window_s=0.2, max_batch=64, max_queue=10)

    async def scenario() -> Any:
        batcher.start()
        job = asyncio.ensure_future(batcher.submit("k", "late"))
        await asyncio.sleep(0.01)
        await batcher.stop()
        return await job

    assert run(scenario()) == "LATE"
